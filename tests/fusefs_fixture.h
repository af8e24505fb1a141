/*
 * fusefs_fixture.h - the fixture of test_fusefs: a kernel booted with a
 * temporary data dir and its tree mounted in a temporary directory, a test
 * tree at /test whose "stream" blocks until the test publishes (so parked
 * reads, poll and interrupts are tested without the event trees), and
 * helpers that wait with deadlines (a hang fails a test, slowness not).
 * Included by test_fusefs.c and test_fusefs_inval.c.
 */
#ifndef MN_TEST_FUSEFS_FIXTURE_H
#define MN_TEST_FUSEFS_FIXTURE_H

#include "mn_skip.h"	/* without root or /dev/fuse: skipped, CI fails */

#define WAIT_MS 10000 /* generous: a hang, not slowness, fails a test */

/* --- the test stream: a file that blocks until the test publishes -------- */

struct ts_open {
	struct mn_vfs_file *file;
	unsigned cursor;
	struct ts_open *next;
};

static struct {
	pthread_mutex_t lock;
	unsigned produced; /* lines "line N\n" published so far */
	struct ts_open *opens;
} ts = {PTHREAD_MUTEX_INITIALIZER, 0, NULL};

static int ts_open_cb(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      struct mn_vfs_file *file, int flags, void **state)
{
	struct ts_open *o = calloc(1, sizeof(*o));

	(void)k;
	(void)ctx;
	(void)flags;
	if (!o)
		return -ENOMEM;
	o->file = file;
	pthread_mutex_lock(&ts.lock);
	o->next = ts.opens;
	ts.opens = o;
	pthread_mutex_unlock(&ts.lock);
	*state = o;
	return 0;
}

static ssize_t ts_read(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       void *state, void *buf, size_t size, off_t off)
{
	struct ts_open *o = state;
	char line[32];
	ssize_t n = -EAGAIN;

	(void)k;
	(void)ctx;
	(void)off;
	pthread_mutex_lock(&ts.lock);
	if (o->cursor < ts.produced) {
		n = snprintf(line, sizeof(line), "line %u\n", o->cursor++);
		if ((size_t)n > size)
			n = (ssize_t)size;
		memcpy(buf, line, (size_t)n);
	}
	pthread_mutex_unlock(&ts.lock);
	return n;
}

static unsigned ts_poll(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			void *state)
{
	struct ts_open *o = state;
	unsigned rev;

	(void)k;
	(void)ctx;
	pthread_mutex_lock(&ts.lock);
	rev = o->cursor < ts.produced ? POLLIN : 0;
	pthread_mutex_unlock(&ts.lock);
	return rev;
}

static void ts_release(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       void *state)
{
	struct ts_open **pp;

	(void)k;
	(void)ctx;
	pthread_mutex_lock(&ts.lock);
	for (pp = &ts.opens; *pp; pp = &(*pp)->next)
		if (*pp == state) {
			*pp = ((struct ts_open *)state)->next;
			break;
		}
	pthread_mutex_unlock(&ts.lock);
	free(state);
}

/* Publishes one line and wakes every reader (like an event publisher). */
static void ts_publish(void)
{
	struct ts_open *o;

	pthread_mutex_lock(&ts.lock);
	ts.produced++;
	for (o = ts.opens; o; o = o->next)
		mn_vfs_file_wake(o->file);
	pthread_mutex_unlock(&ts.lock);
}

static int ts_static(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	int i;

	(void)k;
	(void)ctx;
	for (i = 0; i < 300; i++)
		mn_strbuf_printf(out, "row %03d: the quick brown fox\n", i);
	return 0;
}

static const struct mn_synth_io_ops ts_io = {
    .open = ts_open_cb,
    .read = ts_read,
    .poll = ts_poll,
    .release = ts_release,
    .fopen_flags =
	MN_VFS_FOPEN_DIRECT_IO | MN_VFS_FOPEN_STREAM | MN_VFS_FOPEN_NONSEEKABLE,
};

static const struct mn_synth_node ts_rows[] = {
    {.name = "stream", .mode = S_IFREG | 0444, .io = &ts_io},
    {.name = "static", .mode = S_IFREG | 0444, .render = ts_static},
    {.name = NULL},
};

static const struct mn_synth_node ts_root = {
    .name = "",
    .mode = S_IFDIR | 0755,
    .children = ts_rows,
};

static int ts_mount(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	(void)arg;
	(void)err;
	return mn_vfs_mount_synth(mn_vfs_of(k), "/test", "test", &ts_root,
				  NULL);
}

/* --- fixture ------------------------------------------------------------- */

struct fx {
	char base[64];
	char data[96];
	char mnt[96];
	struct mn_fusefs_opts fo;
	struct mn_kernel *k;
	/* a mount without a kernel (standalone tests) */
	struct mn_vfs *vfs;
	struct mn_fusefs *fs;
};

static int can_mount(void)
{
	return geteuid() == 0 && access("/dev/fuse", R_OK | W_OK) == 0;
}

static void p(struct fx *fx, char *out, size_t size, const char *rel)
{
	snprintf(out, size, "%s/%s", fx->mnt, rel);
}

static int is_mounted(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], a[4096];
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", a) == 1 &&
		    !strcmp(a, path))
			found = 1;
	fclose(f);
	return found;
}

static int boot(struct fx *fx, unsigned flags)
{
	struct mn_kernel_opts ko = {
	    .name = "fusetest", .data_dir = fx->data, .deterministic = 1};
	struct mn_stage_hook th = {.name = "test tree", .start = ts_mount};
	struct mn_strbuf err = MN_STRBUF_INIT;
	int rc;

	fx->fo.mountpoint = fx->mnt;
	fx->fo.flags |= flags;
	assert_int_equal(mn_kernel_create(&fx->k, &ko), 0);
	assert_int_equal(mn_vfs_attach(fx->k), 0);
	assert_int_equal(mn_kernel_stage_hook(fx->k, MN_STAGE_VFS, &th), 0);
	assert_int_equal(mn_fusefs_attach(fx->k, &fx->fo), 0);
	rc = mn_kernel_boot(fx->k, &err);
	if (rc)
		print_error("boot: %s\n", mn_strbuf_str(&err));
	mn_strbuf_release(&err);
	return rc;
}

static void shutdown_kernel(struct fx *fx)
{
	mn_kernel_destroy(fx->k);
	fx->k = NULL;
	assert_false(is_mounted(fx->mnt));
}

static struct fx *fx_new(void)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	strcpy(fx->base, "/tmp/test_fusefs.XXXXXX");
	assert_non_null(mkdtemp(fx->base));
	/* Other users (the setresuid tests) must reach the mount point. */
	assert_int_equal(chmod(fx->base, 0755), 0);
	snprintf(fx->data, sizeof(fx->data), "%s/data", fx->base);
	snprintf(fx->mnt, sizeof(fx->mnt), "%s/mnt", fx->base);
	pthread_mutex_lock(&ts.lock);
	ts.produced = 0;
	pthread_mutex_unlock(&ts.lock);
	return fx;
}

static int rm_cb(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Also after a failed test: nothing may stay mounted. */
static void fx_free(struct fx *fx)
{
	int left;

	mn_fusefs_unmount(fx->fs);
	mn_vfs_destroy(fx->vfs);
	mn_kernel_destroy(fx->k);
	left = is_mounted(fx->mnt);
	while (is_mounted(fx->mnt) && umount2(fx->mnt, MNT_DETACH) == 0)
		;
	nftw(fx->base, rm_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(fx);
	assert_false(left); /* stopping left a mount behind */
}

static int setup(void **state)
{
	struct fx *fx;

	if (!can_mount())
		MN_SKIP();
	fx = fx_new();
	if (boot(fx, 0) != 0) {
		fx_free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* Temporary dirs only: the test boots (or mounts) itself. */
static int setup_bare(void **state)
{
	if (!can_mount())
		MN_SKIP();
	*state = fx_new();
	return 0;
}

static int teardown(void **state)
{
	if (*state)
		fx_free(*state);
	return 0;
}

/* --- helpers ------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts_;

	clock_gettime(CLOCK_MONOTONIC, &ts_);
	return (uint64_t)ts_.tv_sec * 1000 + (uint64_t)ts_.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static struct mn_fusefs_stats stats_of(struct mn_fusefs *fs)
{
	struct mn_fusefs_stats st;

	mn_fusefs_stats(fs, &st);
	return st;
}

static struct mn_fusefs_stats stats(struct fx *fx)
{
	return stats_of(mn_fusefs_of(fx->k));
}

/* Waits until exactly `n` reads are parked; fails after WAIT_MS.  (A
 * reader may see its data a moment before the count drops.) */
static void wait_parked(struct fx *fx, uint64_t n)
{
	uint64_t t0 = now_ms();

	while (stats(fx).parked_now != n) {
		assert_true(now_ms() - t0 < WAIT_MS);
		sleep_ms(5);
	}
}

/* waitpid with a deadline: the child is killed (and the test fails) if it
 * does not end in time. */
static int wait_child(pid_t pid, unsigned ms)
{
	uint64_t t0 = now_ms();
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		assert_int_equal(r, 0);
		if (now_ms() - t0 > ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("child %d did not finish in %u ms", pid, ms);
		}
		sleep_ms(5);
	}
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static void expect_file(const char *path, const char *text)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
	close(fd);
}

/* Runs fn in a child as uid/gid 1000 with the given groups; its exit code
 * is the number of the first failed check. */
static int as_user(int (*fn)(struct fx *fx), struct fx *fx, uid_t uid,
		   const gid_t *groups, size_t ngroups)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(ngroups, groups) < 0 ||
		    setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(100);
		_exit(fn(fx));
	}
	status = wait_child(pid, WAIT_MS);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

#define CHECK(n, cond)                                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			return n;                                              \
	} while (0)

#endif
