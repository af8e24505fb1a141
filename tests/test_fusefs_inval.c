/*
 * test_fusefs_inval - changes made beside the mount show through it at
 * once: the VFS's change hook and the adapter's invalidations, through a
 * real mount with the real timeouts (storage caches entries, attributes
 * and missing names for an hour: MN_VFS_CACHE_LONG).
 *
 * Each test looks a file up through the mount (so the kernel caches it),
 * changes it through the VFS as the shell or a syscall would, waits until
 * the notifier has sent what was queued (not for a timeout), and checks the
 * mount with no retry: without the invalidation the kernel would answer
 * from its cache.  A control shows that the cache is really on: a change
 * made behind the VFS's back (on the host storage directory) stays
 * invisible while the timeout runs.  Also: a writer through a host
 * descriptor the VFS handed out (a sandboxed program's log) shows at once
 * while it writes, the mount's own changes queue nothing, the shell's
 * create and rm, the hook is removed at unmount.
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
#include <micronos/vfs.h>

#include "fusefs.h"

/* The fixture is shared with test_fusefs; not every helper is used here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fusefs_fixture.h"
#pragma GCC diagnostic pop


static const struct mn_vfs_cred *kc = &mn_vfs_cred_kernel;

/* Waits until the notifier has sent everything queued so far. */
static void drain_fs(struct mn_fusefs *fs)
{
	uint64_t t0 = now_ms();
	struct mn_fusefs_stats st = stats_of(fs);

	while (st.inval_done < st.inval_queued) {
		assert_true(now_ms() - t0 < WAIT_MS);
		sleep_ms(2);
		st = stats_of(fs);
	}
}

static void drain_k(struct fx *fx)
{
	drain_fs(mn_fusefs_of(fx->k));
}

static struct mn_vfs *vfs_of(struct fx *fx)
{
	return mn_vfs_of(fx->k);
}

static void vfs_chmod(struct fx *fx, const char *path, mode_t mode)
{
	struct mn_vfs_entry e;
	struct stat a = {.st_mode = mode};

	assert_int_equal(mn_vfs_resolve(vfs_of(fx), kc, "/", path, 0, &e), 0);
	assert_int_equal(mn_vfs_setattr(vfs_of(fx), kc, e.ino, &a,
					MN_SETATTR_MODE, NULL, NULL),
			 0);
	mn_vfs_forget(vfs_of(fx), e.ino, 1);
}

/* Overwrites the start of a file in place (same size: only mtime says). */
static void vfs_overwrite(struct fx *fx, const char *path, const char *text)
{
	struct mn_vfs_file *f;

	assert_int_equal(mn_vfs_open_path(vfs_of(fx), kc, "/", path, O_WRONLY,
					  0, &f),
			 0);
	assert_int_equal(mn_vfs_write(f, text, strlen(text), 0),
			 (ssize_t)strlen(text));
	mn_vfs_release(f);
}

/* --- the control: the kernel does cache -------------------------------- */

static void cache_is_on(void **state)
{
	struct fx *fx = *state;
	char a[256], host[256], host2[256];
	struct stat st;

	p(fx, a, sizeof(a), "var/ctl");
	snprintf(host, sizeof(host), "%s/storage/var/ctl", fx->data);
	snprintf(host2, sizeof(host2), "%s/storage/var/ctl2", fx->data);
	write_file(a, "x"); /* the kernel caches the entry from here */
	assert_int_equal(stat(a, &st), 0);
	/* Behind the VFS's back: nobody tells the kernel, for an hour. */
	assert_int_equal(rename(host, host2), 0);
	assert_int_equal(stat(a, &st), 0);
}

/* --- changes beside the mount ----------------------------------------- */

static void removal_shows_at_once(void **state)
{
	struct fx *fx = *state;
	char a[256];
	struct stat st;

	p(fx, a, sizeof(a), "var/gone");
	write_file(a, "x");
	assert_int_equal(stat(a, &st), 0); /* cached for a second */
	assert_int_equal(mn_vfs_unlink_path(vfs_of(fx), kc, "/", "/var/gone"),
			 0);
	drain_k(fx);
	assert_int_equal(stat(a, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void rename_shows_at_once(void **state)
{
	struct fx *fx = *state;
	char a[256], b[256];
	struct stat st, st2;

	p(fx, a, sizeof(a), "var/r1");
	p(fx, b, sizeof(b), "var/r2");
	write_file(a, "one");
	write_file(b, "two");
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(stat(b, &st2), 0);
	assert_int_not_equal(st.st_ino, st2.st_ino);
	assert_int_equal(
	    mn_vfs_rename_path(vfs_of(fx), kc, "/", "/var/r1", "/var/r2"), 0);
	drain_k(fx);
	assert_int_equal(stat(a, &st2), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(b, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
	expect_file(b, "one");
}

static void attributes_show_at_once(void **state)
{
	struct fx *fx = *state;
	char a[256];
	struct stat st;

	p(fx, a, sizeof(a), "var/mode");
	write_file(a, "short");
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	vfs_chmod(fx, "/var/mode", 0600);
	drain_k(fx);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* the size, and the content it brings */
	assert_int_equal(mn_vfs_write_file(vfs_of(fx), kc, "/", "/var/mode",
					   "a longer text", 13, 0644),
			 0);
	drain_k(fx);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_size, 13);
	expect_file(a, "a longer text");
}

static void link_count_shows_at_once(void **state)
{
	struct fx *fx = *state;
	char a[256], b[256];
	struct stat st;

	p(fx, a, sizeof(a), "var/l1");
	p(fx, b, sizeof(b), "var/l2");
	write_file(a, "x");
	assert_int_equal(link(a, b), 0);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(mn_vfs_unlink_path(vfs_of(fx), kc, "/", "/var/l2"),
			 0);
	drain_k(fx);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(stat(b, &st), -1);
}

static void directory_attributes_show_at_once(void **state)
{
	struct fx *fx = *state;
	char a[256];
	struct stat st;
	nlink_t n;

	p(fx, a, sizeof(a), "var");
	assert_int_equal(stat(a, &st), 0);
	n = st.st_nlink;
	assert_int_equal(mn_vfs_mkdir_path(vfs_of(fx), kc, "/", "/var/sub",
					   0755),
			 0);
	drain_k(fx);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_nlink, n + 1);
}

/* Pages the kernel keeps (keep_cache) are dropped when the data changes. */
static void data_shows_at_once(void **state)
{
	struct fx *fx = *state;
	char a[256];
	int i;

	p(fx, a, sizeof(a), "var/data");
	write_file(a, "old text");
	for (i = 0; i < 2; i++) /* the second open finds cached pages */
		expect_file(a, "old text");
	vfs_overwrite(fx, "/var/data", "new");
	drain_k(fx);
	expect_file(a, "new text");
}

/* Read whole; 1 if it is text. */
static int file_is(const char *path, const char *text)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return !strcmp(buf, text);
}

/* Appends through the host file; the fd stays the VFS's. */
static void host_append(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/*
 * Kept pages and cached attributes, and a writer the VFS does not see: a
 * sandboxed program writing its log through the host descriptor the VFS
 * handed out.  While that descriptor is out, the file's attributes are
 * not cached, so each append shows at once; once it is released the
 * cache is back (a change behind the VFS's back then stays unseen).
 */
static void host_fd_writer_shows_at_once(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_file *f;
	char a[256], host[256];
	struct stat st;
	int fd;

	p(fx, a, sizeof(a), "var/log1");
	snprintf(host, sizeof(host), "%s/storage/var/log1", fx->data);
	write_file(a, "line 1\n");
	expect_file(a, "line 1\n");
	expect_file(a, "line 1\n"); /* pages and attributes cached */
	assert_int_equal(mn_vfs_open_path(vfs_of(fx), kc, "/", "/var/log1",
					  O_WRONLY | O_APPEND, 0, &f),
			 0);
	fd = mn_vfs_file_host_fd(f);
	assert_true(fd >= 0);
	drain_k(fx);
	host_append(fd, "line 2\n");
	expect_file(a, "line 1\nline 2\n");
	host_append(fd, "line 3\n");
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_size, 21);
	expect_file(a, "line 1\nline 2\nline 3\n");
	mn_vfs_release(f);
	drain_k(fx);
	expect_file(a, "line 1\nline 2\nline 3\n");
	/* cached again (a read makes the kernel ask for the atime: stat
	 * first): an append nobody reports is not seen */
	assert_int_equal(stat(a, &st), 0);
	fd = open(host, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	host_append(fd, "hidden\n");
	close(fd);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_size, 21);
}

/* The shell is the user's way to make such changes. */
static void shell_create_and_rm_show_at_once(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	char a[256];
	struct stat st;

	p(fx, a, sizeof(a), "home/x");
	assert_int_equal(stat(a, &st), -1);
	assert_int_equal(mn_shell_exec(fx->k, "create /home/x hello", &out), 0);
	drain_k(fx);
	expect_file(a, "hello\n");
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(mn_shell_exec(fx->k, "rm /home/x", &out), 0);
	drain_k(fx);
	assert_int_equal(stat(a, &st), -1);
	assert_int_equal(errno, ENOENT);
	mn_strbuf_release(&out);
}

/*
 * Generated files are not cached at all (attribute timeout 0, direct I/O
 * or rendered at open): a config change made in the shell shows in /sys
 * and /etc at once without any invalidation.
 */
static void config_changes_show_at_once(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	char a[256], b[256];
	struct stat st;

	p(fx, a, sizeof(a), "etc/hostname");
	p(fx, b, sizeof(b), "sys/config/kernel.hostname");
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(stat(b, &st), 0);
	assert_false(file_is(a, "renamed-host\n"));
	assert_int_equal(
	    mn_shell_exec(fx->k, "config kernel.hostname renamed-host", &out),
	    0);
	expect_file(a, "renamed-host\n");
	expect_file(b, "renamed-host\n");
	mn_strbuf_release(&out);
}

/* What the mount itself changes, the kernel knows: nothing is queued. */
static void own_changes_queue_nothing(void **state)
{
	struct fx *fx = *state;
	uint64_t q0 = stats(fx).inval_queued;
	char a[256], b[256], d[256];
	int fd;

	p(fx, a, sizeof(a), "var/own");
	p(fx, b, sizeof(b), "var/own2");
	p(fx, d, sizeof(d), "var/owndir");
	write_file(a, "some text");
	fd = open(a, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "more", 4), 4);
	assert_int_equal(ftruncate(fd, 2), 0);
	close(fd);
	assert_int_equal(chmod(a, 0600), 0);
	assert_int_equal(setxattr(a, "user.k", "v", 1, 0), 0);
	assert_int_equal(link(a, b), 0);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(unlink(b), 0);
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(rmdir(d), 0);
	assert_int_equal(stats(fx).inval_queued, q0);
}

/* --- the hook's life cycle --------------------------------------------- */

static void other_hook(void *arg, uint64_t parent, const char *name,
		       uint64_t ino, unsigned what)
{
	(void)parent;
	(void)name;
	(void)ino;
	(void)what;
	(*(int *)arg)++;
}

static void hook_follows_the_mount(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_opts vo = {0};
	int calls = 0;
	char a[256];
	struct stat st;

	fx->fo.mountpoint = fx->mnt;
	assert_int_equal(mn_vfs_create(&fx->vfs, &vo), 0);
	assert_int_equal(mn_fusefs_mount(&fx->fs, fx->vfs, NULL, &fx->fo, NULL),
			 0);
	/* the mount holds the one hook */
	assert_int_equal(mn_vfs_set_change_hook(fx->vfs, other_hook, &calls),
			 -EBUSY);
	p(fx, a, sizeof(a), "f");
	write_file(a, "x");
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(mn_vfs_unlink_path(fx->vfs, kc, "/", "/f"), 0);
	drain_fs(fx->fs);
	assert_int_equal(stat(a, &st), -1);
	mn_fusefs_unmount(fx->fs);
	fx->fs = NULL;
	/* gone with the mount: a change reaches nobody, the slot is free */
	assert_int_equal(mn_vfs_mkdir_path(fx->vfs, kc, "/", "/d", 0755), 0);
	assert_int_equal(mn_vfs_set_change_hook(fx->vfs, other_hook, &calls),
			 0);
	assert_int_equal(mn_vfs_rmdir_path(fx->vfs, kc, "/", "/d"), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(mn_vfs_set_change_hook(fx->vfs, NULL, NULL), 0);
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define BARE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_bare, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FX_TEST(cache_is_on),
	    FX_TEST(removal_shows_at_once),
	    FX_TEST(rename_shows_at_once),
	    FX_TEST(attributes_show_at_once),
	    FX_TEST(link_count_shows_at_once),
	    FX_TEST(directory_attributes_show_at_once),
	    FX_TEST(data_shows_at_once),
	    FX_TEST(host_fd_writer_shows_at_once),
	    FX_TEST(shell_create_and_rm_show_at_once),
	    FX_TEST(config_changes_show_at_once),
	    FX_TEST(own_changes_queue_nothing),
	    BARE_TEST(hook_follows_the_mount),
	};

	if (!can_mount())
		return mn_skip_all("needs root and /dev/fuse");

	return MN_SKIP_STATUS(cmocka_run_group_tests(tests, NULL, NULL));
}
