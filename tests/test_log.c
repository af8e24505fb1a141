/*
 * test_log - the logger: levels and their names, the ring of recent lines,
 * MN_LOG's level test before argument evaluation, the sink, resize, and
 * logging from several threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/clock.h>
#include <micronos/log.h>

struct fixture {
	struct mn_clock clock;
	struct mn_log *log;
	struct mn_strbuf out;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	mn_clock_init(&f->clock);
	if (mn_log_create(&f->log, 4, &f->clock) < 0) {
		free(f);
		return -1;
	}
	mn_strbuf_init(&f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_log_destroy(f->log);
	mn_strbuf_release(&f->out);
	free(f);
	return 0;
}

/* The text of line i of out, without the "[ time] " stamp. */
static const char *line_text(const char *out, int i, char *buf, size_t n)
{
	const char *p = out, *end;

	while (i-- > 0 && (p = strchr(p, '\n')))
		p++;
	if (!p || !(p = strstr(p, "] ")))
		return NULL;
	p += 2;
	end = strchr(p, '\n');
	snprintf(buf, n, "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
	return buf;
}

static void test_level_names(void **state)
{
	(void)state;
	assert_string_equal(mn_log_level_name(MN_LOG_DEBUG), "debug");
	assert_string_equal(mn_log_level_name(MN_LOG_INFO), "info");
	assert_string_equal(mn_log_level_name(MN_LOG_NOTICE), "notice");
	assert_string_equal(mn_log_level_name(MN_LOG_WARNING), "warning");
	assert_string_equal(mn_log_level_name(MN_LOG_ERROR), "error");
	assert_string_equal(mn_log_level_name(-1), "?");
	assert_string_equal(mn_log_level_name(MN_LOG__COUNT), "?");
	assert_int_equal(mn_log_level_parse("debug"), MN_LOG_DEBUG);
	assert_int_equal(mn_log_level_parse("NOTICE"), MN_LOG_NOTICE);
	assert_int_equal(mn_log_level_parse("Warning"), MN_LOG_WARNING);
	assert_int_equal(mn_log_level_parse("warn"), MN_LOG_WARNING);
	assert_int_equal(mn_log_level_parse("err"), MN_LOG_ERROR);
	assert_int_equal(mn_log_level_parse("4"), MN_LOG_ERROR);
	assert_int_equal(mn_log_level_parse("0"), MN_LOG_DEBUG);
	assert_int_equal(mn_log_level_parse("5"), -EINVAL);
	assert_int_equal(mn_log_level_parse("10"), -EINVAL);
	assert_int_equal(mn_log_level_parse(""), -EINVAL);
	assert_int_equal(mn_log_level_parse("loud"), -EINVAL);
	assert_int_equal(mn_log_level_parse(NULL), -EINVAL);
}

static void test_create_args(void **state)
{
	struct mn_log *log = (struct mn_log *)0x1;

	(void)state;
	assert_int_equal(mn_log_create(&log, MN_LOG_MAX_LINES + 1, NULL),
			 -EINVAL);
	assert_int_equal(mn_log_create(NULL, 10, NULL), -EINVAL);
	assert_ptr_equal(log, (struct mn_log *)0x1);
	assert_int_equal(mn_log_create(&log, 0, NULL), 0);
	assert_int_equal(mn_log_capacity(log), MN_LOG_DEFAULT_LINES);
	assert_int_equal(mn_log_get_level(log), MN_LOG_INFO);
	mn_log_destroy(log);
	mn_log_destroy(NULL);
}

static void test_levels_filter(void **state)
{
	struct fixture *f = *state;
	char buf[256];
	const char *s;

	mn_log_write(f->log, MN_LOG_DEBUG, "hidden");
	mn_log_write(f->log, MN_LOG_INFO, "info %d", 1);
	mn_log_write(f->log, MN_LOG_ERROR, "bad %s", "thing");
	assert_int_equal(mn_log_recent(f->log, &f->out, 0, MN_LOG_DEBUG), 2);
	s = mn_strbuf_str(&f->out);
	assert_string_equal(line_text(s, 0, buf, sizeof(buf)), "info: info 1");
	assert_string_equal(line_text(s, 1, buf, sizeof(buf)),
			    "error: bad thing");
	assert_int_equal(s[0], '[');
	assert_int_equal(s[strlen(s) - 1], '\n');
	mn_strbuf_reset(&f->out);
	/* min_level filters what is shown. */
	assert_int_equal(mn_log_recent(f->log, &f->out, 0, MN_LOG_WARNING), 1);
	assert_non_null(strstr(mn_strbuf_str(&f->out), "error: bad thing"));
	/* Run-time level change. */
	assert_int_equal(mn_log_set_level(f->log, MN_LOG_DEBUG), 0);
	assert_true(mn_log_enabled(f->log, MN_LOG_DEBUG));
	mn_log_write(f->log, MN_LOG_DEBUG, "now shown");
	assert_int_equal(mn_log_count(f->log, MN_LOG_DEBUG), 1);
	assert_int_equal(mn_log_count(f->log, MN_LOG_INFO), 1);
	assert_int_equal(mn_log_count(f->log, MN_LOG_ERROR), 1);
	assert_int_equal(mn_log_count(f->log, 99), 0);
	assert_int_equal(mn_log_set_level(f->log, MN_LOG_ERROR), 0);
	assert_false(mn_log_enabled(f->log, MN_LOG_WARNING));
	assert_int_equal(mn_log_set_level(f->log, 5), -EINVAL);
	assert_int_equal(mn_log_set_level(f->log, -1), -EINVAL);
	assert_int_equal(mn_log_set_level(NULL, 1), -EINVAL);
	assert_int_equal(mn_log_get_level(f->log), MN_LOG_ERROR);
}

static int evaluated;

static int side_effect(void)
{
	evaluated++;
	return 42;
}

static void test_macro_skips_arguments(void **state)
{
	struct fixture *f = *state;
	int level_evals = 0;

	evaluated = 0;
	MN_LOG(f->log, MN_LOG_DEBUG, "value %d", side_effect());
	assert_int_equal(evaluated, 0);
	assert_int_equal(mn_log_recent(f->log, &f->out, 0, MN_LOG_DEBUG), 0);
	MN_LOG(f->log, MN_LOG_INFO, "value %d", side_effect());
	assert_int_equal(evaluated, 1);
	assert_int_equal(mn_log_recent(f->log, &f->out, 0, MN_LOG_DEBUG), 1);
	assert_non_null(strstr(mn_strbuf_str(&f->out), "info: value 42"));
	/* The level expression is evaluated exactly once. */
	MN_LOG(f->log, (level_evals++, MN_LOG_WARNING), "w");
	assert_int_equal(level_evals, 1);
	/* A NULL logger: nothing happens, arguments are not evaluated. */
	MN_LOG(NULL, MN_LOG_ERROR, "%d", side_effect());
	assert_int_equal(evaluated, 1);
	mn_log_write(NULL, MN_LOG_ERROR, "ignored");
}

static void test_ring_keeps_newest(void **state)
{
	struct fixture *f = *state;
	struct mn_log_entry e[8];
	size_t n;
	int i;

	for (i = 1; i <= 10; i++)
		mn_log_write(f->log, MN_LOG_INFO, "line %d", i);
	n = mn_log_snapshot(f->log, e, 8, MN_LOG_DEBUG);
	assert_int_equal(n, 4);
	assert_string_equal(e[0].text, "line 7");
	assert_string_equal(e[3].text, "line 10");
	assert_int_equal(e[0].seq, 7);
	assert_true(e[3].time_ns >= e[0].time_ns);
	/* max_lines takes the newest. */
	assert_int_equal(mn_log_recent(f->log, &f->out, 2, MN_LOG_DEBUG), 2);
	assert_null(strstr(mn_strbuf_str(&f->out), "line 8\n"));
	assert_non_null(strstr(mn_strbuf_str(&f->out), "line 9\n"));
	assert_non_null(strstr(mn_strbuf_str(&f->out), "line 10\n"));
	assert_int_equal(mn_log_snapshot(f->log, e, 0, MN_LOG_DEBUG), 0);
}

static void test_line_cleanup(void **state)
{
	struct fixture *f = *state;
	struct mn_log_entry e;
	char big[MN_LOG_LINE_MAX * 2];

	mn_log_write(f->log, MN_LOG_INFO, "trailing newline\n\n");
	assert_int_equal(mn_log_snapshot(f->log, &e, 1, MN_LOG_DEBUG), 1);
	assert_string_equal(e.text, "trailing newline");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mn_log_write(f->log, MN_LOG_INFO, "%s", big);
	assert_int_equal(mn_log_snapshot(f->log, &e, 1, MN_LOG_DEBUG), 1);
	assert_int_equal(strlen(e.text), MN_LOG_LINE_MAX);
	/* one record, one line: a newline inside (a refused /sys write of
	   "bogus\n") is escaped, never splits the record */
	mn_log_write(f->log, MN_LOG_WARNING, "unknown command '%s'",
		     "bogus\n\tx\x01");
	assert_int_equal(mn_log_snapshot(f->log, &e, 1, MN_LOG_DEBUG), 1);
	assert_string_equal(e.text, "unknown command 'bogus\\n\\tx\\x01'");
	/* Out-of-range levels are clamped, never lost. */
	mn_log_write(f->log, 99, "too high");
	assert_int_equal(mn_log_snapshot(f->log, &e, 1, MN_LOG_DEBUG), 1);
	assert_int_equal(e.level, MN_LOG_ERROR);
	mn_log_set_level(f->log, MN_LOG_DEBUG);
	mn_log_write(f->log, -5, "too low");
	assert_int_equal(mn_log_snapshot(f->log, &e, 1, MN_LOG_DEBUG), 1);
	assert_int_equal(e.level, MN_LOG_DEBUG);
}

static void test_sink(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	assert_non_null(mem);
	mn_log_set_sink(f->log, mem);
	mn_log_write(f->log, MN_LOG_WARNING, "to the sink");
	mn_log_write(f->log, MN_LOG_WARNING, "two\nlines");
	mn_log_write(f->log, MN_LOG_DEBUG, "filtered");
	mn_log_set_sink(f->log, NULL);
	mn_log_write(f->log, MN_LOG_WARNING, "not to the sink");
	fclose(mem);
	assert_non_null(strstr(buf, "] warning: to the sink\n"));
	assert_non_null(strstr(buf, "] warning: two\\nlines\n"));
	assert_null(strstr(buf, "filtered"));
	assert_null(strstr(buf, "not to"));
	assert_int_equal(buf[0], '[');
	free(buf);
}

static void test_resize_and_clear(void **state)
{
	struct fixture *f = *state;
	struct mn_log_entry e[8];
	int i;

	for (i = 1; i <= 4; i++)
		mn_log_write(f->log, MN_LOG_INFO, "l%d", i);
	assert_int_equal(mn_log_resize(f->log, 2), 0);
	assert_int_equal(mn_log_snapshot(f->log, e, 8, MN_LOG_DEBUG), 2);
	assert_string_equal(e[0].text, "l3");
	assert_int_equal(mn_log_resize(f->log, 6), 0);
	assert_int_equal(mn_log_capacity(f->log), 6);
	for (i = 5; i <= 12; i++)
		mn_log_write(f->log, MN_LOG_INFO, "l%d", i);
	assert_int_equal(mn_log_snapshot(f->log, e, 8, MN_LOG_DEBUG), 6);
	assert_string_equal(e[0].text, "l7");
	assert_string_equal(e[5].text, "l12");
	assert_int_equal(mn_log_resize(f->log, 0), -EINVAL);
	assert_int_equal(mn_log_resize(f->log, MN_LOG_MAX_LINES + 1), -EINVAL);
	assert_int_equal(mn_log_capacity(f->log), 6);
	mn_log_clear(f->log);
	assert_int_equal(mn_log_snapshot(f->log, e, 8, MN_LOG_DEBUG), 0);
	assert_int_equal(mn_log_recent(f->log, &f->out, 0, MN_LOG_DEBUG), 0);
	assert_string_equal(mn_strbuf_str(&f->out), "");
	mn_log_write(f->log, MN_LOG_INFO, "after clear");
	assert_int_equal(mn_log_snapshot(f->log, e, 8, MN_LOG_DEBUG), 1);
	assert_int_equal(e[0].seq, 13);	/* numbering continues */
}

#define NTHREADS 4
#define PER_THREAD 5000

static void *log_thread(void *arg)
{
	struct mn_log *log = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		MN_LOG(log, MN_LOG_NOTICE, "thread line %d", i);
	return NULL;
}

static void test_threads(void **state)
{
	struct mn_log_entry *e;
	struct mn_log *log;
	pthread_t t[NTHREADS];
	size_t n, i;

	(void)state;
	assert_int_equal(mn_log_create(&log, 1000, NULL), 0);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_thread, log),
				 0);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(mn_log_count(log, MN_LOG_NOTICE),
			 NTHREADS * PER_THREAD);
	e = calloc(1000, sizeof(*e));
	assert_non_null(e);
	n = mn_log_snapshot(log, e, 1000, MN_LOG_DEBUG);
	assert_int_equal(n, 1000);
	for (i = 1; i < n; i++)
		assert_int_equal(e[i].seq, e[i - 1].seq + 1);
	assert_int_equal(e[n - 1].seq, NTHREADS * PER_THREAD);
	free(e);
	mn_log_destroy(log);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_create_args),
		T(test_levels_filter),
		T(test_macro_skips_arguments),
		T(test_ring_keeps_newest),
		T(test_line_cleanup),
		T(test_sink),
		T(test_resize_and_clear),
		cmocka_unit_test(test_threads),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
