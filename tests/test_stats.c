/*
 * test_stats - the statistics service: registration, stable pointers and
 * lock-free updates from several threads, gauges, by-name access, the
 * sorted table, reset, and every refusal (bad names, kind clashes, a full
 * table).
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

#include <micronos/stats.h>

static int setup(void **state)
{
	struct mn_stats *st;

	if (mn_stats_create(&st, 8) < 0)
		return -1;
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	mn_stats_destroy(*state);
	return 0;
}

static void test_create_args(void **state)
{
	struct mn_stats *st = (struct mn_stats *)0x1;

	(void)state;
	assert_int_equal(mn_stats_create(&st, MN_STATS_LIMIT + 1), -EINVAL);
	assert_int_equal(mn_stats_create(NULL, 4), -EINVAL);
	assert_ptr_equal(st, (struct mn_stats *)0x1);
	assert_int_equal(mn_stats_create(&st, 0), 0);
	assert_int_equal(mn_stats_count(st), 0);
	mn_stats_destroy(st);
	mn_stats_destroy(NULL);
}

static void test_counter_pointer(void **state)
{
	struct mn_stats *st = *state;
	_Atomic uint64_t *c, *again;
	uint64_t v;
	int64_t s;

	assert_int_equal(mn_stats_counter(st, "syscalls.total", &c), 0);
	mn_stat_inc(c);
	mn_stat_add(c, 41);
	assert_int_equal(mn_stats_get_counter(st, "syscalls.total", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(mn_stats_get(st, "syscalls.total", &s), 0);
	assert_int_equal(s, 42);
	/* Registering again finds the same value. */
	assert_int_equal(mn_stats_counter(st, "syscalls.total", &again), 0);
	assert_ptr_equal(c, again);
	assert_int_equal(mn_stats_counter(st, "syscalls.total", NULL), 0);
	assert_int_equal(mn_stats_add(st, "syscalls.total", 8), 0);
	assert_int_equal(*c, 50);
	assert_int_equal(mn_stats_count(st), 1);
}

/* Pointers stay valid while more names are registered. */
static void test_pointers_stable(void **state)
{
	struct mn_stats *st = *state;
	_Atomic uint64_t *first, *p;
	char name[32];
	int i;

	assert_int_equal(mn_stats_counter(st, "zzz.last", &first), 0);
	mn_stat_add(first, 7);
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "a.%d", i);
		assert_int_equal(mn_stats_counter(st, name, &p), 0);
		mn_stat_add(p, (uint64_t)i);
	}
	mn_stat_inc(first);
	assert_int_equal(*first, 8);
	assert_int_equal(mn_stats_counter(st, "zzz.last", &p), 0);
	assert_ptr_equal(p, first);
}

static void test_gauges(void **state)
{
	struct mn_stats *st = *state;
	_Atomic int64_t *g;
	uint64_t u;
	int64_t v;

	assert_int_equal(mn_stats_gauge(st, "procs.running", &g), 0);
	mn_gauge_set(g, 5);
	mn_gauge_add(g, -7);
	assert_int_equal(mn_stats_get(st, "procs.running", &v), 0);
	assert_int_equal(v, -2);
	assert_int_equal(mn_stats_set(st, "procs.running", 12), 0);
	assert_int_equal(*g, 12);
	assert_int_equal(mn_stats_set(st, "mem.free", 1 << 20), 0);
	assert_int_equal(mn_stats_get(st, "mem.free", &v), 0);
	assert_int_equal(v, 1 << 20);
	/* Kinds do not mix. */
	assert_int_equal(mn_stats_get_counter(st, "mem.free", &u), -EEXIST);
	assert_int_equal(mn_stats_add(st, "mem.free", 1), -EEXIST);
	assert_int_equal(mn_stats_counter(st, "mem.free", NULL), -EEXIST);
	assert_int_equal(mn_stats_add(st, "c", 1), 0);
	assert_int_equal(mn_stats_set(st, "c", 1), -EEXIST);
	assert_int_equal(mn_stats_gauge(st, "c", &g), -EEXIST);
}

static void test_bad_names(void **state)
{
	struct mn_stats *st = *state;
	char name[MN_STATS_NAME_MAX + 2];
	_Atomic uint64_t *c = NULL;
	int64_t v;

	assert_int_equal(mn_stats_counter(st, "", &c), -EINVAL);
	assert_int_equal(mn_stats_counter(st, NULL, &c), -EINVAL);
	assert_int_equal(mn_stats_counter(st, "has space", &c), -EINVAL);
	assert_int_equal(mn_stats_counter(st, "new\nline", &c), -EINVAL);
	assert_int_equal(mn_stats_counter(st, "slash/no", &c), -EINVAL);
	assert_int_equal(mn_stats_counter(NULL, "x", &c), -EINVAL);
	assert_null(c);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';	/* MAX + 1 characters */
	assert_int_equal(mn_stats_counter(st, name, &c), -ENAMETOOLONG);
	assert_int_equal(mn_stats_get(st, name, &v), -ENAMETOOLONG);
	name[MN_STATS_NAME_MAX] = '\0';	/* exactly MAX: fine */
	assert_int_equal(mn_stats_counter(st, name, &c), 0);
	assert_int_equal(mn_stats_counter(st, "Ok_name-1.x", NULL), 0);
	assert_int_equal(mn_stats_get(st, "missing", &v), -ENOENT);
	assert_int_equal(mn_stats_get(st, "bad name", &v), -EINVAL);
	assert_int_equal(mn_stats_get(NULL, "x", &v), -EINVAL);
	assert_int_equal(mn_stats_count(st), 2);
}

static void test_full_table(void **state)
{
	struct mn_stats *st = *state;
	char name[16];
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(mn_stats_add(st, name, 1), 0);
	}
	assert_int_equal(mn_stats_add(st, "one.more", 1), -ENOSPC);
	assert_int_equal(mn_stats_set(st, "one.more", 1), -ENOSPC);
	/* Existing names still work when full. */
	assert_int_equal(mn_stats_add(st, "n3", 1), 0);
	assert_int_equal(mn_stats_count(st), 8);
}

static void test_format_sorted(void **state)
{
	struct mn_stats *st = *state;
	struct mn_strbuf sb = MN_STRBUF_INIT;
	const char *s;

	mn_stats_add(st, "vfs.read", 3);
	mn_stats_add(st, "syscalls.total", 1234);
	mn_stats_set(st, "procs", -4);
	mn_stats_add(st, "syscalls.errors", 0);
	assert_int_equal(mn_stats_format(st, NULL, &sb), 4);
	s = mn_strbuf_str(&sb);
	/* texttable: each column as wide as its widest cell */
	assert_string_equal(s,
			    "procs            gauge      -4\n"
			    "syscalls.errors  counter     0\n"
			    "syscalls.total   counter  1234\n"
			    "vfs.read         counter     3\n");
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_stats_format(st, "syscalls.", &sb), 2);
	assert_string_equal(mn_strbuf_str(&sb),
			    "syscalls.errors  counter     0\n"
			    "syscalls.total   counter  1234\n");
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_stats_format(st, "nothing", &sb), 0);
	assert_string_equal(mn_strbuf_str(&sb), "");
	mn_strbuf_release(&sb);
}

static void test_snapshot(void **state)
{
	struct mn_stats *st = *state;
	struct mn_stat_value v[8];
	_Atomic uint64_t *big;

	mn_stats_counter(st, "b", &big);
	mn_stat_add(big, UINT64_MAX);
	mn_stats_set(st, "a", 9);
	assert_int_equal(mn_stats_snapshot(st, NULL, v, 8), 2);
	assert_string_equal(v[0].name, "a");
	assert_int_equal(v[0].kind, MN_STAT_GAUGE);
	assert_int_equal(v[0].value, 9);
	assert_string_equal(v[1].name, "b");
	assert_int_equal(v[1].counter, UINT64_MAX);
	assert_int_equal(v[1].value, INT64_MAX);	/* saturates */
	assert_int_equal(mn_stats_snapshot(st, "", v, 1), 1);
	assert_string_equal(v[0].name, "a");
	assert_string_equal(mn_stat_kind_name(MN_STAT_COUNTER), "counter");
	assert_string_equal(mn_stat_kind_name(MN_STAT_GAUGE), "gauge");
}

static void test_reset(void **state)
{
	struct mn_stats *st = *state;
	_Atomic uint64_t *c;
	int64_t v;

	mn_stats_counter(st, "c", &c);
	mn_stat_add(c, 10);
	mn_stats_set(st, "g", 10);
	mn_stats_reset(st);
	assert_int_equal(*c, 0);
	assert_int_equal(mn_stats_get(st, "g", &v), 0);
	assert_int_equal(v, 10);	/* gauges describe state: kept */
	assert_int_equal(mn_stats_count(st), 2);
	mn_stat_inc(c);	/* the pointer survives reset */
	assert_int_equal(mn_stats_get(st, "c", &v), 0);
	assert_int_equal(v, 1);
}

#define NTHREADS 4
#define PER_THREAD 100000

static void *count_thread(void *arg)
{
	struct mn_stats *st = arg;
	_Atomic uint64_t *c;
	int i;

	if (mn_stats_counter(st, "hot", &c) < 0)
		return NULL;
	for (i = 0; i < PER_THREAD; i++)
		mn_stat_inc(c);
	for (i = 0; i < 100; i++)
		mn_stats_add(st, "cold", 1);
	return NULL;
}

static void test_threads(void **state)
{
	struct mn_stats *st = *state;
	pthread_t t[NTHREADS];
	uint64_t v;
	int i;

	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, count_thread, st),
				 0);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(mn_stats_get_counter(st, "hot", &v), 0);
	assert_int_equal(v, NTHREADS * PER_THREAD);
	assert_int_equal(mn_stats_get_counter(st, "cold", &v), 0);
	assert_int_equal(v, NTHREADS * 100);
	assert_int_equal(mn_stats_count(st), 2);
}

static void test_histogram(void **state)
{
	struct mn_stats *st = *state;
	struct mn_stat_hist *h, *again;
	struct mn_stat_value v[8];
	struct mn_strbuf sb = MN_STRBUF_INIT;
	uint64_t b[MN_STATS_HIST_BUCKETS], count, sum;
	_Atomic uint64_t *c;

	assert_int_equal(mn_stats_histogram(st, "fuse.read.ns", &h), 0);
	assert_int_equal(mn_stats_histogram(st, "fuse.read.ns", &again), 0);
	assert_ptr_equal(h, again);
	assert_int_equal(mn_stats_counter(st, "fuse.read.ns", &c), -EEXIST);
	assert_int_equal(mn_stats_counter(st, "fuse.reads", &c), 0);
	assert_int_equal(mn_stats_histogram(st, "fuse.reads", &h), -EEXIST);
	assert_int_equal(mn_stats_histogram(st, "fuse.read.ns", &h), 0);
	/* bucket i holds [2^(i-1), 2^i); 0 alone; the top is open */
	assert_int_equal(mn_stat_hist_bucket(0), 0);
	assert_int_equal(mn_stat_hist_bucket(1), 1);
	assert_int_equal(mn_stat_hist_bucket(2), 2);
	assert_int_equal(mn_stat_hist_bucket(3), 2);
	assert_int_equal(mn_stat_hist_bucket(4), 3);
	assert_int_equal(mn_stat_hist_bucket(UINT64_MAX),
			 MN_STATS_HIST_BUCKETS - 1);
	mn_stat_observe(h, 0);
	mn_stat_observe(h, 3);
	mn_stat_observe(h, 1000);
	mn_stat_observe(h, 1ULL << 45);
	assert_int_equal(mn_stats_get_histogram(st, "fuse.read.ns", b, &count,
						&sum), 0);
	assert_int_equal(count, 4);
	assert_int_equal(sum, 1003 + (1ULL << 45));
	assert_int_equal(b[0], 1);
	assert_int_equal(b[2], 1);
	assert_int_equal(b[10], 1);	/* 512 <= 1000 < 1024 */
	assert_int_equal(b[MN_STATS_HIST_BUCKETS - 1], 1);
	assert_int_equal(mn_stats_get_histogram(st, "fuse.reads", b, NULL,
						NULL), -EEXIST);
	assert_int_equal(mn_stats_get_histogram(st, "nope", b, NULL, NULL),
			 -ENOENT);
	assert_int_equal(mn_stats_snapshot(st, "fuse.read.", v, 8), 1);
	assert_int_equal(v[0].kind, MN_STAT_HISTOGRAM);
	assert_int_equal(v[0].counter, 4);
	assert_int_equal(v[0].value, 4);
	mn_stat_inc(c);
	assert_int_equal(mn_stats_format_prometheus(st, NULL, &sb), 2);
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "# TYPE micronos_fuse_read_ns histogram\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "micronos_fuse_read_ns_bucket{le=\"0\"} 1\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "micronos_fuse_read_ns_bucket{le=\"3\"} 2\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "micronos_fuse_read_ns_bucket{le=\"1023\"} 3\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "micronos_fuse_read_ns_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "micronos_fuse_read_ns_count 4\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "# TYPE micronos_fuse_reads counter\n"
			       "micronos_fuse_reads 1\n"));
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_stats_format(st, "fuse.read.", &sb), 1);
	assert_non_null(strstr(mn_strbuf_str(&sb), "histogram"));
	mn_strbuf_release(&sb);
	mn_stats_reset(st);
	assert_int_equal(mn_stats_get_histogram(st, "fuse.read.ns", b, &count,
						&sum), 0);
	assert_int_equal(count + sum + b[0] + b[10], 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		T(test_counter_pointer),
		T(test_pointers_stable),
		T(test_gauges),
		T(test_bad_names),
		T(test_full_table),
		T(test_format_sorted),
		T(test_snapshot),
		T(test_reset),
		T(test_threads),
		T(test_histogram),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
