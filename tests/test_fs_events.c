/*
 * test_fs_events - /events through the VFS path API on a booted kernel:
 * every rendered file with the offsets contract, history/csv/stats and the
 * filtered views against the bus, events/log growing with stable offsets
 * (also after its events left the history), and events/stream: a blocking
 * read woken by a publish from another thread, the VFS waiter, poll,
 * O_NONBLOCK, the lost-events line, interrupts and 1-byte reads.
 *
 * The kernel publishes events of its own meanwhile (timers, health), so the
 * checks look for their own events rather than count every line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/evbus.h>

#include "fs_trees_test.h"

static int setup(void **state)
{
	*state = tt_boot("eventstest");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	mn_kernel_destroy(*state);
	return 0;
}

static struct mn_evbus *bus_of(void **state)
{
	return mn_kernel_evbus(*state);
}

static void t_every_file_readable(void **state)
{
	/* the stream blocks by design: it has its own tests below */
	assert_true(tt_walk_check(*state, "/events", "stream") >= 15);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void t_history_csv_stats_filters(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_evstats st;
	char *text, want[64];

	mn_evbus_publish(bus_of(state), MN_EV_PROCESS_CREATED, MN_SRC_PROCESS,
			 42, "hello-proc");
	mn_evbus_publish(bus_of(state), MN_EV_DISK_READ, MN_SRC_DRIVER, 0,
			 "hello-disk");
	text = tt_cat(k, "/events/history");
	assert_non_null(strstr(text, "hello-proc"));
	assert_non_null(strstr(text, "hello-disk"));
	mn_evbus_stats(bus_of(state), &st);
	assert_true(count_lines(text) <= st.in_history);
	assert_true(count_lines(text) >= 2);
	free(text);

	text = tt_cat(k, "/events/by-type/process");
	assert_non_null(strstr(text, "hello-proc"));
	assert_null(strstr(text, "hello-disk"));
	free(text);
	text = tt_cat(k, "/events/by-type/disk");
	assert_non_null(strstr(text, "hello-disk"));
	assert_null(strstr(text, "hello-proc"));
	free(text);
	text = tt_cat(k, "/events/by-source/driver");
	assert_non_null(strstr(text, "hello-disk"));
	assert_null(strstr(text, "hello-proc"));
	free(text);

	text = tt_cat(k, "/events/csv");
	assert_int_equal(strncmp(text, "seq,time_ns,type,source,pid,text\n",
				 33), 0);
	assert_non_null(strstr(text, ",ProcessCreated,process,42,hello-proc"));
	free(text);

	text = tt_cat(k, "/events/stats");
	mn_evbus_stats(bus_of(state), &st);
	assert_int_equal(strncmp(text, "published: ", 11), 0);
	assert_true(strtoull(text + 11, NULL, 10) <= st.published);
	assert_true(strtoull(text + 11, NULL, 10) >= 2);
	snprintf(want, sizeof(want), "\ntype.DiskRead: ");
	assert_true(strtoull(strstr(text, want) + strlen(want), NULL, 10) >= 1);
	assert_non_null(strstr(text, "\nsource.timer: "));
	free(text);
}

static off_t log_size(struct mn_kernel *k)
{
	struct stat st;

	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/",
					  "/events/log", 0, &st), 0);
	return st.st_size;
}

static char *read_range(struct mn_vfs_file *f, off_t off, size_t len)
{
	char *buf = calloc(1, len + 1);
	size_t got = 0;
	ssize_t n;

	assert_non_null(buf);
	while (got < len &&
	       (n = mn_vfs_read(f, buf + got, len - got, off + (off_t)got)) > 0)
		got += (size_t)n;
	assert_int_equal(got, len);
	return buf;
}

static void t_log_grows_with_stable_offsets(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs_file *f = tt_open(k, &tt_root, "/events/log", O_RDONLY);
	char *before, *after, *tail;
	off_t s0, s1, s2;
	size_t i;
	int j;

	s0 = log_size(k);
	before = read_range(f, 0, (size_t)s0);
	assert_int_equal(strlen(before), (size_t)s0);
	/* past the end */
	assert_int_equal(mn_vfs_read(f, &i, 1, s0 + 1000), 0);
	for (j = 0; j < 5; j++)
		mn_evbus_publish(bus_of(state), MN_EV_SIGNAL_RECEIVED,
				 MN_SRC_KERNEL, 0, "grow-%d", j);
	s1 = log_size(k);
	assert_true(s1 > s0);
	tail = read_range(f, s0, (size_t)(s1 - s0));
	assert_non_null(strstr(tail, "grow-0"));
	assert_non_null(strstr(tail, "grow-4"));
	assert_int_equal(tail[s1 - s0 - 1], '\n');
	free(tail);
	after = read_range(f, 0, (size_t)s0);
	assert_memory_equal(after, before, (size_t)s0);
	free(after);

	/* the old events leave the history: same length, same line breaks */
	assert_int_equal(mn_evbus_resize(bus_of(state), 4), 0);
	for (j = 0; j < 10; j++)
		mn_evbus_publish(bus_of(state), MN_EV_SIGNAL_RECEIVED,
				 MN_SRC_KERNEL, 0, "push-%d", j);
	s2 = log_size(k);
	assert_true(s2 > s1);
	after = read_range(f, 0, (size_t)s0);
	for (i = 0; i < (size_t)s0; i++)
		assert_int_equal(after[i] == '\n', before[i] == '\n');
	if (s0 > 0)
		assert_non_null(strstr(after, "is no longer in the history"));
	free(after);
	tail = read_range(f, s1, (size_t)(s2 - s1));
	assert_non_null(strstr(tail, "push-9"));
	free(tail);
	free(before);
	mn_vfs_release(f);

	/* nobody has it open: it starts again at the history's oldest */
	assert_true(log_size(k) < s2);
	before = tt_cat(k, "/events/log");
	assert_null(strstr(before, "no longer in the history"));
	assert_non_null(strstr(before, "push-9"));
	free(before);
	assert_int_equal(mn_evbus_resize(bus_of(state), 1000), 0);
}

/*
 * Events that leave the history before the log indexed them become one
 * "lost" line.  With the trees retired the notifier no longer indexes in
 * the background, so only the read does, after the ring wrapped.
 */
static void t_log_lost_line(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs_file *f = tt_open(k, &tt_root, "/events/log", O_RDONLY);
	struct mn_strbuf sb = MN_STRBUF_INIT;
	char *p, *end;
	int j;

	assert_int_equal(tt_read_chunks(f, 65536, &sb), 0);
	mn_fs_trees_unmount(k);
	assert_int_equal(mn_evbus_resize(bus_of(state), 4), 0);
	for (j = 0; j < 20; j++)
		mn_evbus_publish(bus_of(state), MN_EV_CUSTOM, MN_SRC_KERNEL, 0,
				 "gone-%d", j);
	mn_strbuf_reset(&sb);
	assert_int_equal(tt_read_chunks(f, 65536, &sb), 0);
	p = strstr(mn_strbuf_str(&sb), "[lost ");
	assert_non_null(p);
	assert_true(strtoul(p + 6, &end, 10) >= 16);
	assert_int_equal(strncmp(end, " events: #", 10), 0);
	assert_non_null(strstr(p, "gone-19\n"));
	assert_null(strstr(mn_strbuf_str(&sb), "gone-0\n"));
	mn_strbuf_release(&sb);
	mn_vfs_release(f);
	assert_int_equal(mn_evbus_resize(bus_of(state), 1000), 0);
}

/* --- the stream ----------------------------------------------------------- */

struct pub {
	struct mn_evbus *bus;
	int delay_ms;
	const char *text;
};

static void *publish_later(void *arg)
{
	struct pub *p = arg;

	usleep((useconds_t)p->delay_ms * 1000);
	mn_evbus_publish(p->bus, MN_EV_CUSTOM, MN_SRC_KERNEL, 0, "%s",
			 p->text);
	return NULL;
}

/* Reads the stream (blocking, generous timeout) until `text` shows. */
static void wait_for(struct mn_vfs_file *f, const char *text)
{
	struct mn_strbuf got = MN_STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	while (!strstr(mn_strbuf_str(&got), text)) {
		n = mn_vfs_read_wait(f, buf, sizeof(buf), 0, 20000);
		if (n <= 0)
			fail_msg("stream read: %zd while waiting for %s", n,
				 text);
		mn_strbuf_add(&got, buf, (size_t)n);
	}
	mn_strbuf_release(&got);
}

static void t_stream_blocking_read_woken(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs_file *f = tt_open(k, &tt_root, "/events/stream",
					O_RDONLY);
	struct pub p = {bus_of(state), 200, "wake-up-call"};
	pthread_t th;

	assert_true(mn_vfs_file_open_flags(f) & MN_VFS_FOPEN_STREAM);
	assert_int_equal(pthread_create(&th, NULL, publish_later, &p), 0);
	wait_for(f, "wake-up-call");
	pthread_join(th, NULL);
	mn_vfs_release(f);
}

static atomic_int woken;

static void on_wake(struct mn_vfs_waiter *w)
{
	(void)w;
	atomic_store(&woken, 1);
}

static void drain(struct mn_vfs_file *f)
{
	char buf[4096];

	while (mn_vfs_read(f, buf, sizeof(buf), 0) > 0)
		;
}

static void t_stream_nonblock_poll_waiter(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs_file *f = tt_open(k, &tt_root, "/events/stream",
					O_RDONLY | O_NONBLOCK);
	struct pub p = {bus_of(state), 50, "poke"};
	struct mn_vfs_waiter w = {.wake = on_wake};
	unsigned rev = 0;
	char buf[4096];
	pthread_t th;
	int i, rc;

	drain(f);
	assert_int_equal(mn_vfs_file_flags(f) & O_NONBLOCK, O_NONBLOCK);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), -EAGAIN);

	/* the FUSE path: arm a waiter, an event from elsewhere wakes it */
	atomic_store(&woken, 0);
	rc = mn_vfs_wait_add(f, &w);
	if (rc == 1) {	/* a kernel event slipped in: drain, retry */
		drain(f);
		rc = mn_vfs_wait_add(f, &w);
	}
	assert_true(rc == 0 || rc == 1);
	assert_int_equal(pthread_create(&th, NULL, publish_later, &p), 0);
	for (i = 0; i < 2000 && rc == 0 && !atomic_load(&woken); i++)
		usleep(10000);
	pthread_join(th, NULL);
	assert_true(rc == 1 || atomic_load(&woken));
	mn_vfs_wait_cancel(f, &w);
	assert_int_equal(mn_vfs_poll(f, &rev), 0);
	assert_true(rev & POLLIN);
	wait_for(f, "poke");
	mn_vfs_release(f);
}

static void t_stream_lost_line(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs_file *f;
	char *first, buf[256];
	ssize_t n;
	int j;

	assert_int_equal(mn_evbus_resize(bus_of(state), 8), 0);
	f = tt_open(k, &tt_root, "/events/stream", O_RDONLY);
	for (j = 0; j < 20; j++)
		mn_evbus_publish(bus_of(state), MN_EV_CUSTOM, MN_SRC_KERNEL, 0,
				 "flood-%d", j);
	n = mn_vfs_read(f, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(strncmp(buf, "[lost ", 6), 0);
	assert_true(strtoul(buf + 6, &first, 10) >= 12);
	assert_int_equal(strncmp(first, " events]\n", 9), 0);
	wait_for(f, "flood-19");
	mn_vfs_release(f);
	assert_int_equal(mn_evbus_resize(bus_of(state), 1000), 0);
}

struct reader {
	struct mn_vfs_file *f;
	ssize_t ret;
};

static void *read_forever(void *arg)
{
	struct reader *r = arg;
	char buf[64];

	do
		r->ret = mn_vfs_read_wait(r->f, buf, sizeof(buf), 0, -1);
	while (r->ret > 0);	/* kernel events: keep reading */
	return NULL;
}

static void t_stream_interrupt(void **state)
{
	struct mn_kernel *k = *state;
	struct reader r = {tt_open(k, &tt_root, "/events/stream", O_RDONLY),
			   0};
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, read_forever, &r), 0);
	usleep(100000);
	mn_vfs_file_interrupt(r.f);
	pthread_join(th, NULL);
	assert_int_equal(r.ret, -EINTR);
	mn_vfs_release(r.f);
}

static void t_stream_one_byte_reads(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs_file *f = tt_open(k, &tt_root, "/events/stream",
					O_RDONLY);
	struct mn_strbuf got = MN_STRBUF_INIT;
	const char *a, *b, *c;
	char ch;
	int j;

	for (j = 0; j < 3; j++)
		mn_evbus_publish(bus_of(state), MN_EV_CUSTOM, MN_SRC_KERNEL, 0,
				 "byte-%d", j);
	while (!strstr(mn_strbuf_str(&got), "byte-2\n")) {
		assert_int_equal(mn_vfs_read_wait(f, &ch, 1, 0, 20000), 1);
		mn_strbuf_putc(&got, ch);
	}
	a = strstr(got.buf, "byte-0\n");
	b = strstr(got.buf, "byte-1\n");
	c = strstr(got.buf, "byte-2\n");
	assert_true(a && b && c && a < b && b < c);
	assert_non_null(strstr(got.buf, "] #"));	/* mn_event_format */
	mn_strbuf_release(&got);
	mn_vfs_release(f);
}

static void t_stream_ends_when_trees_stop(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs_file *f = tt_open(k, &tt_root, "/events/stream",
					O_RDONLY);
	char buf[4096];
	struct stat st;
	ssize_t n;

	mn_fs_trees_unmount(k);
	do
		n = mn_vfs_read_wait(f, buf, sizeof(buf), 0, 20000);
	while (n > 0);
	assert_int_equal(n, 0);
	mn_vfs_release(f);
	/* retired: what needs the state says so, the rest still answers */
	assert_int_equal(mn_vfs_open_path(mn_vfs_of(k), &tt_root, "/",
					  "/events/stream", O_RDONLY, 0, &f),
			 -ENODEV);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/",
					  "/events/history", 0, &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_every_file_readable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_history_csv_stats_filters,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_log_grows_with_stable_offsets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_log_lost_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_stream_blocking_read_woken,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_stream_nonblock_poll_waiter,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_stream_lost_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_stream_interrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_stream_one_byte_reads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_stream_ends_when_trees_stop,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
