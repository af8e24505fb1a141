/*
 * test_strbuf - growable text buffers: appends of every kind, growth past
 * the first allocation, reset/release/detach, truncate, the sticky
 * allocation failure, and the human-readable size and duration formats.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/strbuf.h>

static int setup(void **state)
{
	struct mn_strbuf *sb = malloc(sizeof(*sb));

	if (!sb)
		return -1;
	mn_strbuf_init(sb);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	struct mn_strbuf *sb = *state;

	mn_strbuf_release(sb);
	free(sb);
	return 0;
}

static void test_empty(void **state)
{
	struct mn_strbuf *sb = *state;
	struct mn_strbuf st = MN_STRBUF_INIT;

	assert_string_equal(mn_strbuf_str(sb), "");
	assert_int_equal(sb->len, 0);
	assert_int_equal(mn_strbuf_error(sb), 0);
	assert_string_equal(mn_strbuf_str(&st), "");
	mn_strbuf_reset(&st);	/* on a never-used buffer */
	mn_strbuf_truncate(&st, 0);
	mn_strbuf_release(&st);
	mn_strbuf_release(NULL);
	/* An empty append still yields a terminated buffer. */
	assert_int_equal(mn_strbuf_add(sb, NULL, 0), 0);
	assert_string_equal(mn_strbuf_str(sb), "");
}

static void test_appends(void **state)
{
	struct mn_strbuf *sb = *state;

	assert_int_equal(mn_strbuf_puts(sb, "abc"), 0);
	assert_int_equal(mn_strbuf_putc(sb, '-'), 0);
	assert_int_equal(mn_strbuf_add(sb, "xyz123", 3), 0);
	assert_int_equal(mn_strbuf_printf(sb, " %d:%s", 42, "ok"), 0);
	assert_string_equal(mn_strbuf_str(sb), "abc-xyz 42:ok");
	assert_int_equal(sb->len, strlen("abc-xyz 42:ok"));
	/* Embedded NUL bytes are kept and counted. */
	assert_int_equal(mn_strbuf_add(sb, "a\0b", 3), 0);
	assert_int_equal(sb->len, 16);
	assert_memory_equal(sb->buf + 13, "a\0b", 4);
}

/* Growth across many reallocations keeps every byte and the NUL. */
static void test_growth(void **state)
{
	struct mn_strbuf *sb = *state;
	size_t i;

	for (i = 0; i < 10000; i++)
		assert_int_equal(mn_strbuf_putc(sb, (char)('a' + i % 26)), 0);
	assert_int_equal(sb->len, 10000);
	assert_true(sb->cap > sb->len);
	assert_int_equal(sb->buf[sb->len], '\0');
	for (i = 0; i < 10000; i++)
		assert_int_equal(sb->buf[i], 'a' + i % 26);
}

/* printf output longer than the space at hand takes the second pass. */
/* The optional-message printf: NULL is no buffer, not a crash. */
static void test_errf(void **state)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;

	(void)state;
	assert_int_equal(mn_strbuf_errf(NULL, "x %d", 1), 0);
	assert_int_equal(mn_strbuf_errf(&sb, "x %d", 2), 0);
	assert_string_equal(mn_strbuf_str(&sb), "x 2");
	mn_strbuf_release(&sb);
}

/* The one name check of the core's tables. */
static void test_name_valid(void **state)
{
	(void)state;
	assert_true(mn_name_valid("net.ports", 32, "_.-"));
	assert_true(mn_name_valid("a-b_c", 6, "_-"));
	assert_false(mn_name_valid("a-b_c", 5, "_-"));	/* too long */
	assert_false(mn_name_valid("net.ports", 32, "_-"));	/* no dots */
	assert_false(mn_name_valid("Net", 32, "_.-"));	/* lower case */
	assert_false(mn_name_valid("", 32, "_.-"));
	assert_false(mn_name_valid(NULL, 32, "_.-"));
}

static void test_printf_long(void **state)
{
	struct mn_strbuf *sb = *state;
	char big[1000];
	size_t n;

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mn_strbuf_puts(sb, "start:"), 0);
	for (n = 60; n < 70; n++) {	/* around the 64-byte first grow */
		mn_strbuf_reset(sb);
		assert_int_equal(mn_strbuf_printf(sb, "%.*s", (int)n, big), 0);
		assert_int_equal(sb->len, n);
		assert_int_equal(strlen(mn_strbuf_str(sb)), n);
	}
	mn_strbuf_reset(sb);
	assert_int_equal(mn_strbuf_puts(sb, "start:"), 0);
	assert_int_equal(mn_strbuf_printf(sb, "%s|%s", big, big), 0);
	assert_int_equal(sb->len, 6 + 2 * 999 + 1);
	assert_int_equal(strlen(mn_strbuf_str(sb)), sb->len);
	assert_int_equal(mn_strbuf_str(sb)[6 + 999], '|');
	/* An empty format appends nothing. */
	n = sb->len;
	assert_int_equal(mn_strbuf_printf(sb, "%s", ""), 0);
	assert_int_equal(sb->len, n);
}

static void test_reset_keeps_allocation(void **state)
{
	struct mn_strbuf *sb = *state;
	size_t cap;

	mn_strbuf_puts(sb, "some text that is there");
	cap = sb->cap;
	mn_strbuf_reset(sb);
	assert_string_equal(mn_strbuf_str(sb), "");
	assert_int_equal(sb->len, 0);
	assert_int_equal(sb->cap, cap);
	mn_strbuf_puts(sb, "again");
	assert_string_equal(mn_strbuf_str(sb), "again");
}

static void test_release_and_reuse(void **state)
{
	struct mn_strbuf *sb = *state;

	mn_strbuf_puts(sb, "text");
	mn_strbuf_release(sb);
	assert_null(sb->buf);
	assert_int_equal(sb->len, 0);
	assert_string_equal(mn_strbuf_str(sb), "");
	mn_strbuf_puts(sb, "new");
	assert_string_equal(mn_strbuf_str(sb), "new");
}

static void test_detach(void **state)
{
	struct mn_strbuf *sb = *state;
	size_t len = 99;
	char *s;

	mn_strbuf_puts(sb, "hand over");
	s = mn_strbuf_detach(sb, &len);
	assert_string_equal(s, "hand over");
	assert_int_equal(len, 9);
	assert_null(sb->buf);
	assert_int_equal(sb->len, 0);
	free(s);
	/* Detaching an empty buffer gives an allocated "". */
	s = mn_strbuf_detach(sb, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	s = mn_strbuf_detach(sb, NULL);
	free(s);
}

/*
 * mn_strbuf_truncate(sb, len) keeps the first `len` bytes (the parameter
 * name and every caller's use); a longer len changes nothing.
 */
static void test_truncate(void **state)
{
	struct mn_strbuf *sb = *state;

	mn_strbuf_puts(sb, "hello world");
	mn_strbuf_truncate(sb, 5);
	assert_string_equal(mn_strbuf_str(sb), "hello");
	assert_int_equal(sb->len, 5);
	mn_strbuf_truncate(sb, 50);
	assert_string_equal(mn_strbuf_str(sb), "hello");
	mn_strbuf_truncate(sb, 5);
	assert_string_equal(mn_strbuf_str(sb), "hello");
	mn_strbuf_truncate(sb, 0);
	assert_string_equal(mn_strbuf_str(sb), "");
	mn_strbuf_puts(sb, "x");
	assert_string_equal(mn_strbuf_str(sb), "x");
}

/* A failed append is sticky: later appends are dropped, text is kept. */
static void test_oom_sticky(void **state)
{
	struct mn_strbuf *sb = *state;
	static const char tiny[1];

	mn_strbuf_puts(sb, "kept");
	/* A length no allocator can satisfy; the data is never read. */
	assert_int_equal(mn_strbuf_add(sb, tiny, SIZE_MAX / 2), -ENOMEM);
	assert_int_equal(mn_strbuf_error(sb), -ENOMEM);
	assert_int_equal(mn_strbuf_puts(sb, "dropped"), -ENOMEM);
	assert_int_equal(mn_strbuf_putc(sb, 'x'), -ENOMEM);
	assert_int_equal(mn_strbuf_printf(sb, "%d", 1), -ENOMEM);
	assert_string_equal(mn_strbuf_str(sb), "kept");
	assert_int_equal(sb->len, 4);
	/* Overflowing size arithmetic is caught, not wrapped. */
	assert_int_equal(mn_strbuf_add(sb, tiny, SIZE_MAX), -ENOMEM);
	/* reset clears the failure along with the text. */
	mn_strbuf_reset(sb);
	assert_int_equal(mn_strbuf_error(sb), 0);
	assert_int_equal(mn_strbuf_puts(sb, "fresh"), 0);
	assert_string_equal(mn_strbuf_str(sb), "fresh");
}

static void test_fmt_size(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 0), "0 B");
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 1023), "1023 B");
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 1024), "1.0 KiB");
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 1536), "1.5 KiB");
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 12 * 1024),
			    "12 KiB");
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 5ULL << 20),
			    "5.0 MiB");
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 3ULL << 30),
			    "3.0 GiB");
	assert_string_equal(mn_fmt_size(buf, sizeof(buf), 2048ULL << 40),
			    "2048 TiB");
	/* A short buffer is truncated and terminated. */
	assert_string_equal(mn_fmt_size(buf, 4, 1536), "1.5");
}

static void test_fmt_duration(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf), 0), "0 ns");
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf), 850), "850 ns");
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf), 1500), "1.5 us");
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf), 12300000),
			    "12.3 ms");
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf), 2500000000ULL),
			    "2.50 s");
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf), 125000000000ULL),
			    "2m 05s");
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf),
					    7390ULL * 1000000000ULL),
			    "2h 03m 10s");
	assert_string_equal(mn_fmt_duration(buf, sizeof(buf),
					    (86400ULL + 3600 + 60) *
						    1000000000ULL),
			    "1d 01h 01m");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_empty),
		T(test_appends),
		T(test_growth),
		cmocka_unit_test(test_errf),
		cmocka_unit_test(test_name_valid),
		T(test_printf_long),
		T(test_reset_keeps_allocation),
		T(test_release_and_reuse),
		T(test_detach),
		T(test_truncate),
		T(test_oom_sticky),
		cmocka_unit_test(test_fmt_size),
		cmocka_unit_test(test_fmt_duration),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
