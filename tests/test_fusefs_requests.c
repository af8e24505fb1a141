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
#include <sys/xattr.h>
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

/* --- the counters -------------------------------------------------------- */

static void requests_are_counted_and_timed(void **state)
{
	struct fx *fx = *state;
	struct mn_fusefs_opstat os[NOPS];
	struct statx stx;
	uint64_t g0 = reqs(fx, "getattr"), kv = 0, lat = 0;
	unsigned n, i, j;
	int k;

	uint64_t t0;

	/* FORCE_SYNC: the kernel must ask, whatever it cached. */
	for (k = 0; k < 3; k++)
		assert_int_equal(statx(AT_FDCWD, fx->mnt, AT_STATX_FORCE_SYNC,
				       STATX_BASIC_STATS, &stx),
				 0);
	assert_true(reqs(fx, "getattr") >= g0 + 3);
	/* the time is filed once the handler is done: wait for that */
	t0 = now_ms();
	for (;;) {
		n = mn_fusefs_op_stats(mn_fusefs_of(fx->k), os, NOPS);
		for (i = 0; i < n && strcmp(os[i].name, "getattr"); i++)
			;
		assert_true(i < n);
		for (j = 0, lat = 0; j < MN_FUSEFS_LAT_BUCKETS; j++)
			lat += os[i].lat[j];
		if (lat == os[i].requests)
			break;
		assert_true(now_ms() - t0 < WAIT_MS);
		sleep_ms(2);
	}
	assert_true(os[i].ns_total >= os[i].ns_max);
	assert_true(os[i].ns_max > 0);
	/* the same figures in the kernel's statistics (the shell's stats) */
	assert_int_equal(mn_stats_get_counter(mn_kernel_stats(fx->k),
					      "fuse.req.getattr", &kv),
			 0);
	assert_int_equal(kv, reqs(fx, "getattr"));
	t0 = now_ms();
	for (;;) {
		uint64_t hb[MN_STATS_HIST_BUCKETS], hn = 0, hsum = 0;

		assert_int_equal(mn_stats_get_histogram(mn_kernel_stats(fx->k),
							"fuse.req.getattr.ns",
							hb, &hn, &hsum),
				 0);
		for (j = 0, lat = 0; j < MN_STATS_HIST_BUCKETS; j++)
			lat += hb[j];
		assert_int_equal(lat, hn);
		if (hn == kv) {
			assert_true(hsum >= os[i].ns_max);
			break;
		}
		assert_true(now_ms() - t0 < WAIT_MS);
		sleep_ms(2);
	}
	assert_string_equal(mn_fusefs_lat_bucket_name(0), "lt4us");
	assert_null(mn_fusefs_lat_bucket_name(MN_FUSEFS_LAT_BUCKETS));
	/* an operation never asked for takes no room in the table */
	assert_int_equal(mn_stats_get_counter(mn_kernel_stats(fx->k),
					      "fuse.req.fsyncdir", &kv),
			 -ENOENT);
}

/* --- requests per operation ------------------------------------------- */

/* Waits for the RELEASE a close sends in the background. */
static void closed(struct fx *fx, uint64_t releases_before, unsigned n)
{
	wait_reqs(fx, "release", releases_before + n);
}

static void stat_of_a_cached_entry_asks_nobody(void **state)
{
	struct fx *fx = *state;
	uint64_t r0 = reqs(fx, "release"), all;
	struct stat st;
	char a[256];
	int i;

	p(fx, a, sizeof(a), "home/cached");
	write_file(a, "x");
	closed(fx, r0, 1);
	assert_int_equal(stat(a, &st), 0);
	all = reqs_all(fx);
	for (i = 0; i < 100; i++)
		assert_int_equal(stat(a, &st), 0);
	assert_int_equal(reqs_all(fx), all);
}

/* A missing name is asked once; the shell making it is seen at once. */
static void missing_names_are_remembered_exactly(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct stat st;
	uint64_t l0;
	char a[256];
	int i;

	p(fx, a, sizeof(a), "home");
	assert_int_equal(stat(a, &st), 0);
	p(fx, a, sizeof(a), "home/not-yet");
	l0 = reqs(fx, "lookup");
	for (i = 0; i < 10; i++) {
		assert_int_equal(stat(a, &st), -1);
		assert_int_equal(errno, ENOENT);
	}
	assert_int_equal(reqs(fx, "lookup"), l0 + 1);
	assert_int_equal(mn_shell_exec(fx->k, "create /home/not-yet now", &out),
			 0);
	drain(fx);
	assert_int_equal(stat(a, &st), 0);
	expect_file(a, "now\n");
	/* and gone again, through the VFS as a syscall would */
	assert_int_equal(mn_vfs_unlink_path(mn_vfs_of(fx->k), kc, "/",
					    "/home/not-yet"),
			 0);
	drain(fx);
	assert_int_equal(stat(a, &st), -1);
	assert_int_equal(errno, ENOENT);
	mn_strbuf_release(&out);
}

/* open + read to EOF + close of a generated file, as top reads /proc. */
static void generated_file_costs_open_reads_release(void **state)
{
	struct fx *fx = *state;
	uint64_t o0, rd0, rl0, g0, l0, f0;
	char a[256], buf[65536];
	ssize_t n, total = 0;
	int fd, i;

	p(fx, a, sizeof(a), "test/static");
	for (i = 0; i < 2; i++) { /* the first one looks the path up */
		rl0 = reqs(fx, "release");
		o0 = reqs(fx, "open");
		rd0 = reqs(fx, "read");
		g0 = reqs(fx, "getattr");
		l0 = reqs(fx, "lookup");
		f0 = reqs(fx, "flush");
		fd = open(a, O_RDONLY);
		assert_true(fd >= 0);
		total = 0;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		assert_int_equal(n, 0);
		close(fd);
		closed(fx, rl0, 1);
	}
	assert_int_equal(total, 300 * 29);
	assert_int_equal(reqs(fx, "open"), o0 + 1);
	/* the data, then end of file: direct I/O, no size to trust */
	assert_int_equal(reqs(fx, "read"), rd0 + 2);
	/* constant attributes are cached; a read-only close has no flush */
	assert_int_equal(reqs(fx, "getattr"), g0);
	assert_int_equal(reqs(fx, "lookup"), l0);
	assert_int_equal(reqs(fx, "flush"), f0);
}

static void create_costs_no_flush(void **state)
{
	struct fx *fx = *state;
	uint64_t all, c0, f0, r0 = reqs(fx, "release");
	char a[256], b[256];

	p(fx, a, sizeof(a), "home/c1");
	p(fx, b, sizeof(b), "home/c2");
	write_file(a, ""); /* the kernel learns that FLUSH is not there */
	closed(fx, r0, 1);
	f0 = reqs(fx, "flush");
	assert_true(f0 <= 1);
	c0 = reqs(fx, "create");
	all = reqs_all(fx);
	write_file(b, "");
	closed(fx, r0, 2);
	assert_int_equal(reqs(fx, "flush"), f0);
	assert_int_equal(reqs(fx, "create"), c0 + 1);
	/* lookup of the new name, create, the directory's attributes (the
	 * kernel dropped them with the create before), release */
	assert_true(reqs_all(fx) - all <= 4);
}

/* ls -l asks for ACLs and labels: unsupported, said once for all. */
static void other_xattr_namespaces_are_unsupported(void **state)
{
	struct fx *fx = *state;
	char a[256], buf[64];

	p(fx, a, sizeof(a), "home/x1");
	write_file(a, "x");
	assert_int_equal(getxattr(a, "security.selinux", buf, sizeof(buf)),
			 -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(
	    getxattr(a, "system.posix_acl_access", buf, sizeof(buf)), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(getxattr(a, "user.none", buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENODATA);
}

/* A sequential read of storage: about one READ a MiB (readahead raised). */
static void sequential_reads_come_in_big_requests(void **state)
{
	struct fx *fx = *state;
	size_t size = 4u << 20;
	char *data = malloc(size), a[256];
	uint64_t r0;
	ssize_t n, total = 0;
	int fd;

	assert_non_null(data);
	memset(data, 'z', size);
	/* through the VFS: the kernel has no page of it */
	assert_int_equal(mn_vfs_write_file(mn_vfs_of(fx->k), kc, "/",
					   "/home/big", data, size, 0644),
			 0);
	p(fx, a, sizeof(a), "home/big");
	r0 = reqs(fx, "read");
	fd = open(a, O_RDONLY);
	assert_true(fd >= 0);
	while ((n = read(fd, data, 1u << 20)) > 0)
		total += n;
	close(fd);
	assert_int_equal(total, (ssize_t)size);
	/* 128 KiB readahead (the kernel's default) would take 32 */
	assert_true(reqs(fx, "read") - r0 <= 8);
	free(data);
}

/* --- exactness ----------------------------------------------------------- */

static void expect_size(const char *path, off_t size)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, size);
}

/*
 * One name replaced through the shell, then its file changed through a
 * second name (a hard link) on the mount and through the VFS's path API
 * as a syscall would, each read back through the first name at once:
 * size, mtime and content, while the kernel caches entries, attributes
 * and pages for an hour.
 */
static void changes_by_any_path_read_back_at_once(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	char a[256], b[256];
	struct stat st0, st;

	p(fx, a, sizeof(a), "home/doc");
	p(fx, b, sizeof(b), "home/doc.link");
	write_file(a, "first");
	expect_file(a, "first");
	expect_file(a, "first"); /* pages kept */
	assert_int_equal(stat(a, &st0), 0);

	assert_int_equal(mn_shell_exec(fx->k, "rm /home/doc", &out), 0);
	assert_int_equal(
	    mn_shell_exec(fx->k, "create /home/doc second version", &out), 0);
	drain(fx);
	expect_size(a, 15);
	expect_file(a, "second version\n");
	assert_int_equal(stat(a, &st0), 0);

	assert_int_equal(link(a, b), 0);
	expect_file(b, "second version\n");

	write_file(b, "third");
	expect_size(a, 5);
	expect_file(a, "third");

	sleep_ms(5); /* a later mtime than the write before */
	assert_int_equal(mn_vfs_write_file(mn_vfs_of(fx->k), kc, "/",
					   "/home/doc.link", "fourth!", 7,
					   0644),
			 0);
	drain(fx);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_size, 7);
	assert_true(st.st_mtim.tv_sec > st0.st_mtim.tv_sec ||
		    (st.st_mtim.tv_sec == st0.st_mtim.tv_sec &&
		     st.st_mtim.tv_nsec > st0.st_mtim.tv_nsec));
	expect_file(a, "fourth!");
	expect_file(b, "fourth!");
	mn_strbuf_release(&out);
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FX_TEST(requests_are_counted_and_timed),
	    FX_TEST(stat_of_a_cached_entry_asks_nobody),
	    FX_TEST(missing_names_are_remembered_exactly),
	    FX_TEST(generated_file_costs_open_reads_release),
	    FX_TEST(create_costs_no_flush),
	    FX_TEST(other_xattr_namespaces_are_unsupported),
	    FX_TEST(sequential_reads_come_in_big_requests),
	    FX_TEST(changes_by_any_path_read_back_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
