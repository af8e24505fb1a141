/*
 * test_vfs - the VFS core on an in-memory root: node ids and lookup counts,
 * mounts (crossing, "..", EBUSY, EXDEV, /proc/mounts), path resolution
 * errors, the synthetic-file-system framework (snapshots and offsets,
 * control writes, dynamic directories, per-caller symlinks, growing files),
 * the waiters of blocking reads (wake, cancel, timeout, interrupt) and the
 * change hook (what is reported, what is not, removal while a call runs).
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
#include <unistd.h>

#include <cmocka.h>

#include <micronos/vfs.h>

static const struct mn_vfs_cred root = {0, 0, 7, 0, NULL, 0};
static const struct mn_vfs_cred user = {1000, 1000, 8, 0, NULL, 0};

/* --- a synthetic tree for the tests ---------------------------------------- */

static atomic_int renders;
static char last_ctl[64];
static atomic_int stream_ready;
static struct mn_vfs_file *stream_file;
static int grows_len = 3;

static int r_hello(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	atomic_fetch_add(&renders, 1);
	return mn_strbuf_printf(out, "hello, render %d\n",
				atomic_load(&renders));
}

static int w_ctl(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 const char *data, size_t len)
{
	(void)k;
	(void)ctx;
	if (strncmp(data, "bad", 3) == 0)
		return -EINVAL;
	snprintf(last_ctl, sizeof(last_ctl), "%.*s", (int)len, data);
	return 0;
}

static int r_self(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	(void)k;
	return mn_strbuf_printf(out, "%d", ctx->cred->pid);
}

static int r_id(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		struct mn_strbuf *out)
{
	(void)k;
	return mn_strbuf_printf(out, "%s %lld", ctx->bind[0].name,
				(long long)ctx->bind[0].num);
}

static int r_grows(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	int i;

	(void)k;
	(void)ctx;
	for (i = 0; i < grows_len; i++)
		mn_strbuf_putc(out, (char)('a' + i));
	return 0;
}

static int l_items(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   int (*emit)(void *e, const char *name), void *e)
{
	(void)k;
	(void)ctx;
	if (emit(e, "1") || emit(e, "22") || emit(e, "abc"))
		return 0;
	return 0;
}

static int s_open(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_vfs_file *file, int flags, void **state)
{
	(void)k;
	(void)ctx;
	(void)flags;
	stream_file = file;
	*state = NULL;
	return 0;
}

static ssize_t s_read(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      void *state, void *buf, size_t size, off_t off)
{
	(void)k;
	(void)ctx;
	(void)state;
	(void)off;
	if (!atomic_load(&stream_ready))
		return -EAGAIN;
	atomic_store(&stream_ready, 0);
	memcpy(buf, "ev\n", size < 3 ? size : 3);
	return size < 3 ? (ssize_t)size : 3;
}

static unsigned s_poll(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       void *state)
{
	(void)k;
	(void)ctx;
	(void)state;
	return atomic_load(&stream_ready) ? POLLIN : 0;
}

static const struct mn_synth_io_ops stream_io = {
	.open = s_open,
	.read = s_read,
	.poll = s_poll,
	.fopen_flags = MN_VFS_FOPEN_DIRECT_IO | MN_VFS_FOPEN_NONSEEKABLE |
		       MN_VFS_FOPEN_STREAM,
};

static const struct mn_synth_node item_rows[] = {
	{.name = "id", .mode = S_IFREG | 0444, .render = r_id},
	{.name = NULL},
};

static const struct mn_synth_node item = {
	.name = "", .mode = S_IFDIR | 0555, .children = item_rows,
};

static const struct mn_synth_dir_ops items_dyn = {
	.list = l_items, .entry = &item,
};

static const struct mn_synth_node rows[] = {
	{.name = "hello", .mode = S_IFREG | 0444, .render = r_hello},
	{.name = "ctl", .mode = S_IFREG | 0644, .render = r_hello,
	 .write = w_ctl},
	{.name = "self", .mode = S_IFLNK | 0777, .render = r_self,
	 .flags = MN_SYNTH_VOLATILE},
	{.name = "grows", .mode = S_IFREG | 0444, .render = r_grows,
	 .flags = MN_SYNTH_GROWS},
	{.name = "stream", .mode = S_IFREG | 0444, .io = &stream_io},
	{.name = "items", .mode = S_IFDIR | 0555, .dyn = &items_dyn},
	{.name = NULL},
};

static const struct mn_synth_node synth_root = {
	.name = "", .mode = S_IFDIR | 0555, .children = rows,
};

/* --- fixture ---------------------------------------------------------------- */

static int setup(void **state)
{
	struct mn_vfs *vfs;

	if (mn_vfs_create(&vfs, NULL) < 0)
		return -1;
	if (mn_vfs_mkdir_path(vfs, &root, "/", "/d", 0755) < 0 ||
	    mn_vfs_mount_synth(vfs, "/s", "test", &synth_root, NULL) < 0)
		return -1;
	atomic_store(&renders, 0);
	atomic_store(&stream_ready, 0);
	grows_len = 3;
	*state = vfs;
	return 0;
}

static int teardown(void **state)
{
	mn_vfs_destroy(*state);
	return 0;
}

static void expect(struct mn_vfs *vfs, const char *path, const char *text)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;

	assert_int_equal(mn_vfs_read_file(vfs, &root, "/", path, 4096, &sb), 0);
	assert_string_equal(mn_strbuf_str(&sb), text);
	mn_strbuf_release(&sb);
}

/* --- tests ------------------------------------------------------------------ */

static void t_lookup_counts(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_entry a, b, r;
	struct stat st;

	assert_int_equal(mn_vfs_getattr(vfs, &root, MN_VFS_ROOT_INO, &st, NULL),
			 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mn_vfs_lookup(vfs, &root, MN_VFS_ROOT_INO, "d", &a),
			 0);
	assert_int_equal(mn_vfs_lookup(vfs, &root, MN_VFS_ROOT_INO, "d", &b),
			 0);
	assert_int_equal(a.ino, b.ino);
	assert_int_not_equal(a.ino, MN_VFS_ROOT_INO);
	assert_int_equal(mn_vfs_lookup(vfs, &root, MN_VFS_ROOT_INO, "..", &r),
			 0);
	assert_int_equal(r.ino, MN_VFS_ROOT_INO);
	mn_vfs_forget(vfs, a.ino, 1);
	assert_int_equal(mn_vfs_getattr(vfs, &root, a.ino, &st, NULL), 0);
	mn_vfs_forget(vfs, a.ino, 1);
	/* forgotten: the id is dead and never comes back */
	assert_int_equal(mn_vfs_getattr(vfs, &root, a.ino, &st, NULL), -ESTALE);
	assert_int_equal(mn_vfs_lookup(vfs, &root, a.ino, "x", &b), -ESTALE);
	assert_int_equal(mn_vfs_lookup(vfs, &root, MN_VFS_ROOT_INO, "d", &b),
			 0);
	assert_true(b.ino > a.ino);
	assert_int_equal(b.attr.st_ino, a.attr.st_ino);
	mn_vfs_forget(vfs, b.ino, 1);
	mn_vfs_forget(vfs, 999999, 5);	/* unknown: ignored */
	mn_vfs_forget(vfs, MN_VFS_ROOT_INO, 100);	/* root stays */
	assert_int_equal(mn_vfs_getattr(vfs, &root, MN_VFS_ROOT_INO, &st, NULL),
			 0);
}

static void t_bad_names(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_entry e;
	char longname[300];
	char *longpath = malloc(MN_VFS_PATH_MAX + 10);

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longpath, 'a', MN_VFS_PATH_MAX + 9);
	longpath[MN_VFS_PATH_MAX + 9] = '\0';
	assert_int_equal(mn_vfs_lookup(vfs, &root, 1, longname, &e),
			 -ENAMETOOLONG);
	assert_int_equal(mn_vfs_lookup(vfs, &root, 1, "", &e), -ENOENT);
	assert_int_equal(mn_vfs_lookup(vfs, &root, 1, "a/b", &e), -EINVAL);
	assert_int_equal(mn_vfs_mkdir(vfs, &root, 1, "..", 0755, &e), -EINVAL);
	assert_int_equal(mn_vfs_resolve(vfs, &root, "/", "", 0, &e), -ENOENT);
	assert_int_equal(mn_vfs_resolve(vfs, &root, "/", longpath, 0, &e),
			 -ENAMETOOLONG);
	assert_int_equal(mn_vfs_resolve(vfs, &root, "rel", "x", 0, &e),
			 -EINVAL);
	assert_int_equal(mn_vfs_mkdir_path(vfs, &root, "/", "/", 0755), -EEXIST);
	assert_int_equal(mn_vfs_rmdir_path(vfs, &root, "/", "/"), -EBUSY);
	/* device nodes are root's to make (CAP_MKNOD); no such type */
	assert_int_equal(mn_vfs_mknod(vfs, &user, 1, "dev", S_IFCHR | 0600, 0,
				      &e), -EPERM);
	assert_int_equal(mn_vfs_mknod(vfs, &root, 1, "bad", 0170000 | 0600,
				      0, &e), -EINVAL);
	assert_int_equal(mn_vfs_rename(vfs, &root, 1, "d", 1, "e", 0x80),
			 -EINVAL);
	/* relative paths, "." and ".." */
	assert_int_equal(mn_vfs_mkdir_path(vfs, &root, "/d", "sub", 0755), 0);
	assert_int_equal(mn_vfs_resolve(vfs, &root, "/d/sub", "../sub/./..",
					0, &e), 0);
	assert_true(S_ISDIR(e.attr.st_mode));
	mn_vfs_forget(vfs, e.ino, 1);
	free(longpath);
}

static void t_mounts(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct mn_vfs_entry e;
	char path[MN_VFS_PATH_MAX];

	/* ".." from a mounted root leads back to the parent tree */
	assert_int_equal(mn_vfs_resolve(vfs, &root, "/s/items", "../../d", 0,
					&e), 0);
	mn_vfs_forget(vfs, e.ino, 1);
	assert_int_equal(mn_vfs_realpath(vfs, &root, "/", "/s/items/22/..",
					 path, sizeof(path)), 0);
	assert_string_equal(path, "/s/items");
	assert_int_equal(mn_vfs_rmdir_path(vfs, &root, "/", "/s"), -EBUSY);
	assert_int_equal(mn_vfs_rename_path(vfs, &root, "/", "/s", "/z"),
			 -EBUSY);
	assert_int_equal(mn_vfs_rename_path(vfs, &root, "/", "/d", "/s/d"),
			 -EXDEV);
	assert_int_equal(mn_vfs_mount_synth(vfs, "/s", "again", &synth_root,
					    NULL), -EBUSY);
	assert_int_equal(mn_vfs_mount_synth(vfs, "rel", "x", &synth_root,
					    NULL), -EINVAL);
	/* nothing can be made in a table */
	assert_int_equal(mn_vfs_mkdir_path(vfs, &root, "/", "/s/new", 0755),
			 -EPERM);
	assert_int_equal(mn_vfs_mkdir_path(vfs, &user, "/", "/s/new", 0755),
			 -EACCES);
	assert_int_equal(mn_vfs_mounts_render(vfs, &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), " / tmpfs rw 0 0\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb), " /s test rw 0 0\n"));
	mn_strbuf_release(&sb);
}

static void t_snapshot_offsets(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_file *f;
	char one[64], all[64];
	ssize_t n, i;
	struct stat st;

	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/hello",
					  O_RDONLY, 0, &f), 0);
	assert_true(mn_vfs_file_open_flags(f) & MN_VFS_FOPEN_DIRECT_IO);
	n = mn_vfs_read(f, all, sizeof(all), 0);
	assert_int_equal(n, 16);
	assert_memory_equal(all, "hello, render 1\n", 16);
	/* the rest of one read sequence comes from the same snapshot */
	for (i = 1; i < n; i++)
		assert_int_equal(mn_vfs_read(f, one + i, 1, i), 1);
	assert_int_equal(mn_vfs_read(f, one, 1, n), 0);
	assert_memory_equal(one + 1, all + 1, (size_t)n - 1);
	assert_int_equal(mn_vfs_read(f, one, 5, 7), 5);
	assert_memory_equal(one, "rende", 5);
	assert_int_equal(atomic_load(&renders), 1);
	/* offset 0 again (top's lseek(0)): a fresh render, as seq_file */
	assert_int_equal(mn_vfs_read(f, all, sizeof(all), 0), 16);
	assert_memory_equal(all, "hello, render 2\n", 16);
	assert_int_equal(mn_vfs_read(f, one, 6, 10), 6);
	assert_memory_equal(one, "der 2\n", 6);
	assert_int_equal(mn_vfs_read(f, all, 3, 0), 3);
	assert_int_equal(atomic_load(&renders), 3);
	assert_int_equal(mn_vfs_write(f, "x", 1, 0), -EBADF);
	mn_vfs_release(f);
	/* generated files: size 0 (unknown), read-only even for root */
	assert_int_equal(mn_vfs_stat_path(vfs, &root, "/", "/s/hello", 0, &st),
			 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/hello",
					  O_WRONLY, 0, &f), -EACCES);
	expect(vfs, "/s/hello", "hello, render 4\n");
}

static void t_ctl_write(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_file *f;

	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/s/ctl", "stop\n",
					   5, 0), 0);
	assert_string_equal(last_ctl, "stop\n");
	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/ctl", O_WRONLY,
					  0, &f), 0);
	assert_int_equal(mn_vfs_write(f, "bad value", 9, 0), -EINVAL);
	mn_vfs_release(f);
	assert_string_equal(last_ctl, "stop\n");
	/* mode 0644: only root writes */
	assert_int_equal(mn_vfs_open_path(vfs, &user, "/", "/s/ctl", O_WRONLY,
					  0, &f), -EACCES);
	assert_int_equal(atomic_load(&renders), 0);	/* write-only: none */
}

struct names {
	char s[16][16];
	int n;
};

static int fill(void *arg, const char *name, uint64_t st_ino, unsigned dt,
		off_t next)
{
	struct names *nm = arg;

	(void)st_ino;
	(void)dt;
	(void)next;
	if (nm->n == 16)
		return 1;
	snprintf(nm->s[nm->n++], 16, "%s", name);
	return 0;
}

static void t_dynamic_dirs(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_file *d;
	struct names nm = {0};
	struct mn_vfs_entry e1, e2;
	struct stat st;

	expect(vfs, "/s/items/22/id", "22 22");
	expect(vfs, "/s/items/abc/id", "abc -1");
	assert_int_equal(mn_vfs_stat_path(vfs, &root, "/", "/s/items/3/id", 0,
					  &st), -ENOENT);
	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/items",
					  O_RDONLY | O_DIRECTORY, 0, &d), 0);
	assert_int_equal(mn_vfs_readdir(d, 0, fill, &nm), 0);
	mn_vfs_releasedir(d);
	assert_int_equal(nm.n, 5);
	assert_string_equal(nm.s[2], "1");
	assert_string_equal(nm.s[4], "abc");
	/* computed inode numbers are stable and distinct */
	assert_int_equal(mn_vfs_resolve(vfs, &root, "/", "/s/items/1/id", 0,
					&e1), 0);
	assert_int_equal(mn_vfs_resolve(vfs, &root, "/", "/s/items/22/id", 0,
					&e2), 0);
	assert_int_not_equal(e1.attr.st_ino, e2.attr.st_ino);
	assert_true(e1.entry_timeout == 0);
	mn_vfs_forget(vfs, e1.ino, 1);
	mn_vfs_forget(vfs, e2.ino, 1);
	assert_int_equal(mn_vfs_resolve(vfs, &root, "/", "/s/items/1/id", 0,
					&e2), 0);
	assert_int_equal(e1.attr.st_ino, e2.attr.st_ino);
	mn_vfs_forget(vfs, e2.ino, 1);
}

static void t_per_caller_link(void **state)
{
	struct mn_vfs *vfs = *state;
	char buf[16];

	assert_int_equal(mn_vfs_readlink_path(vfs, &root, "/", "/s/self", buf,
					      sizeof(buf)), 1);
	assert_memory_equal(buf, "7", 1);
	assert_int_equal(mn_vfs_readlink_path(vfs, &user, "/", "/s/self", buf,
					      sizeof(buf)), 1);
	assert_memory_equal(buf, "8", 1);
}

static void t_grows(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_file *f;
	char buf[16];

	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/grows",
					  O_RDONLY, 0, &f), 0);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), 3);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 3), 0);
	grows_len = 5;	/* appended: a read at the end sees it (tail -f) */
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 3), 2);
	assert_memory_equal(buf, "de", 2);
	mn_vfs_release(f);
}

static atomic_int woken;

static void on_wake(struct mn_vfs_waiter *w)
{
	(void)w;
	atomic_fetch_add(&woken, 1);
}

static void t_waiters(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_waiter w = {.wake = on_wake};
	struct mn_vfs_file *f;
	unsigned rev;
	char buf[8];

	atomic_store(&woken, 0);
	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/stream",
					  O_RDONLY, 0, &f), 0);
	assert_true(mn_vfs_file_open_flags(f) & MN_VFS_FOPEN_STREAM);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(mn_vfs_poll(f, &rev), 0);
	assert_int_equal(rev & POLLIN, 0);
	assert_int_equal(mn_vfs_wait_add(f, NULL), -EINVAL);
	assert_int_equal(mn_vfs_wait_add(f, &w), 0);
	atomic_store(&stream_ready, 1);
	mn_vfs_file_wake(stream_file);
	assert_int_equal(atomic_load(&woken), 1);
	assert_int_equal(mn_vfs_wait_cancel(f, &w), 0);	/* already ran */
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), 3);
	/* armed then cancelled: wake never runs */
	assert_int_equal(mn_vfs_wait_add(f, &w), 0);
	assert_int_equal(mn_vfs_wait_cancel(f, &w), 1);
	mn_vfs_file_wake(f);
	assert_int_equal(atomic_load(&woken), 1);
	/* ready while arming: 1, nothing armed */
	atomic_store(&stream_ready, 1);
	assert_int_equal(mn_vfs_wait_add(f, &w), 1);
	assert_int_equal(mn_vfs_wait_cancel(f, &w), 0);
	mn_vfs_release(f);
}

static void *interrupter(void *arg)
{
	usleep(100000);
	mn_vfs_file_interrupt(arg);
	return NULL;
}

static void *feeder(void *arg)
{
	usleep(100000);
	atomic_store(&stream_ready, 1);
	mn_vfs_file_wake(arg);
	return NULL;
}

static void t_read_wait(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_file *f;
	pthread_t th;
	char buf[8];

	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/stream",
					  O_RDONLY, 0, &f), 0);
	assert_int_equal(mn_vfs_read_wait(f, buf, sizeof(buf), 0, 50),
			 -EAGAIN);
	assert_int_equal(mn_vfs_read_wait(f, buf, sizeof(buf), 0, 0), -EAGAIN);
	pthread_create(&th, NULL, feeder, f);
	assert_int_equal(mn_vfs_read_wait(f, buf, sizeof(buf), 0, 30000), 3);
	pthread_join(th, NULL);
	pthread_create(&th, NULL, interrupter, f);
	assert_int_equal(mn_vfs_read_wait(f, buf, sizeof(buf), 0, -1), -EINTR);
	pthread_join(th, NULL);
	mn_vfs_release(f);
	/* a regular file never waits */
	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/s/hello",
					  O_RDONLY, 0, &f), 0);
	assert_int_equal(mn_vfs_read_wait(f, buf, 5, 0, -1), 5);
	mn_vfs_release(f);
}

struct plus {
	int n, stop_at;
	uint64_t inos[16];
};

static int fill_plus(void *arg, const char *name, const struct mn_vfs_entry *e,
		     off_t next)
{
	struct plus *p = arg;

	(void)name;
	(void)next;
	if (p->n == p->stop_at)
		return 1;
	p->inos[p->n++] = e->ino;
	return 0;
}

static void t_readdirplus_and_files(void **state)
{
	struct mn_vfs *vfs = *state;
	struct mn_vfs_file_info info[4];
	struct mn_vfs_file *d;
	struct plus p = {.stop_at = 3};
	struct stat st;

	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/d/a", "a", 1,
					   0644), 0);
	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/d/b", "b", 1,
					   0644), 0);
	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/d",
					  O_RDONLY | O_DIRECTORY, 0, &d), 0);
	assert_int_equal(mn_vfs_files(vfs, info, 4), 1);
	assert_string_equal(info[0].path, "/d");
	assert_int_equal(info[0].pid, 7);
	assert_int_equal(mn_vfs_readdirplus(d, &root, 0, fill_plus, &p), 0);
	mn_vfs_releasedir(d);
	assert_int_equal(mn_vfs_files(vfs, info, 4), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.inos[0], 0);	/* "." and ".." carry no lookup */
	assert_int_equal(p.inos[1], 0);
	/* the one entry consumed holds one lookup */
	assert_int_equal(mn_vfs_getattr(vfs, &root, p.inos[2], &st, NULL), 0);
	mn_vfs_forget(vfs, p.inos[2], 1);
	assert_int_equal(mn_vfs_getattr(vfs, &root, p.inos[2], &st, NULL),
			 -ESTALE);
}

/* --- change notification ---------------------------------------------------- */

#define CH_MAX 32

static struct change {
	uint64_t parent, ino;
	char name[64];
	unsigned what;
} changes[CH_MAX];
static int nchanges;

static void on_change(void *arg, uint64_t parent, const char *name,
		      uint64_t ino, unsigned what)
{
	struct change *c;

	assert_ptr_equal(arg, &nchanges);
	assert_true((parent && name && !ino) || (!parent && !name && ino));
	if (nchanges == CH_MAX)
		return;
	c = &changes[nchanges++];
	c->parent = parent;
	c->ino = ino;
	c->what = what;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
}

/* How many reports since the last call match; forgets them. */
static int reported(uint64_t parent, const char *name, uint64_t ino,
		    unsigned what)
{
	int i, n = 0;

	for (i = 0; i < nchanges; i++)
		n += changes[i].parent == parent && changes[i].ino == ino &&
		     changes[i].what == what &&
		     !strcmp(changes[i].name, name ? name : "");
	nchanges = 0;
	return n;
}

static uint64_t node(struct mn_vfs *vfs, const char *path)
{
	struct mn_vfs_entry e;

	assert_int_equal(mn_vfs_resolve(vfs, &root, "/", path,
					MN_VFS_NOFOLLOW, &e), 0);
	return e.ino;	/* its lookup stays: the node must not go away */
}

static void t_change_hook(void **state)
{
	struct mn_vfs *vfs = *state;
	uint64_t d, f;
	struct stat a = {.st_mode = 0600};
	struct mn_vfs_entry e;

	nchanges = 0;
	assert_int_equal(mn_vfs_set_change_hook(vfs, on_change, &nchanges), 0);
	assert_int_equal(mn_vfs_set_change_hook(vfs, on_change, &nchanges), 0);
	assert_int_equal(mn_vfs_set_change_hook(vfs, on_change, &renders),
			 -EBUSY);
	d = node(vfs, "/d");
	assert_int_equal(mn_vfs_mkdir_path(vfs, &root, "/", "/d/x", 0755), 0);
	assert_int_equal(reported(d, "x", 0, 0), 1);
	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/d/f", "abc", 3,
					   0644), 0);
	assert_int_equal(nchanges, 2);	/* the name, then the data */
	assert_int_equal(changes[1].what, MN_VFS_CHANGED_DATA);
	assert_int_equal(reported(d, "f", 0, 0), 1);
	f = node(vfs, "/d/f");
	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/d/f", "abcd", 4,
					   0644), 0);
	/* truncated at open, then written */
	assert_int_equal(reported(0, NULL, f, MN_VFS_CHANGED_DATA), 2);
	assert_int_equal(mn_vfs_setattr(vfs, &root, f, &a, MN_SETATTR_MODE,
					NULL, NULL), 0);
	assert_int_equal(reported(0, NULL, f, 0), 1);
	a.st_size = 1;
	assert_int_equal(mn_vfs_setattr(vfs, &root, f, &a, MN_SETATTR_SIZE,
					NULL, NULL), 0);
	assert_int_equal(reported(0, NULL, f, MN_VFS_CHANGED_DATA), 1);
	assert_int_equal(mn_vfs_setxattr(vfs, &root, f, "user.k", "v", 1, 0),
			 0);
	assert_int_equal(reported(0, NULL, f, 0), 1);
	assert_int_equal(mn_vfs_link(vfs, &root, f, d, "g", &e), 0);
	mn_vfs_forget(vfs, e.ino, 1);
	assert_int_equal(nchanges, 2);
	assert_int_equal(reported(d, "g", 0, 0), 1);
	assert_int_equal(mn_vfs_rename_path(vfs, &root, "/", "/d/g", "/d/h"),
			 0);
	assert_int_equal(nchanges, 3);	/* both names; f (its ctime) */
	assert_int_equal(changes[0].parent, d);
	assert_string_equal(changes[0].name, "g");
	assert_int_equal(changes[1].ino, f);
	assert_string_equal(changes[2].name, "h");
	nchanges = 0;
	assert_int_equal(mn_vfs_unlink_path(vfs, &root, "/", "/d/h"), 0);
	assert_int_equal(nchanges, 2);	/* the name; f's link count */
	assert_int_equal(reported(0, NULL, f, 0), 1);
	assert_int_equal(mn_vfs_rmdir_path(vfs, &root, "/", "/d/x"), 0);
	assert_int_equal(reported(d, "x", 0, 0), 1);
	/* renamed over: the file replaced loses its name */
	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/d/v", "", 0,
					   0644), 0);
	nchanges = 0;
	assert_int_equal(mn_vfs_rename_path(vfs, &root, "/", "/d/v", "/d/f"),
			 0);
	assert_int_equal(nchanges, 3);	/* v's node is gone: not reported */
	assert_int_equal(changes[2].ino, f);
	nchanges = 0;
	/* failures change nothing and report nothing */
	assert_int_equal(mn_vfs_rmdir_path(vfs, &root, "/", "/d/x"), -ENOENT);
	assert_int_equal(mn_vfs_mkdir_path(vfs, &user, "/", "/d/y", 0755),
			 -EACCES);
	assert_int_equal(nchanges, 0);
	/* removed: nothing reaches it */
	assert_int_equal(mn_vfs_set_change_hook(vfs, NULL, NULL), 0);
	assert_int_equal(mn_vfs_mkdir_path(vfs, &root, "/", "/d/z", 0755), 0);
	assert_int_equal(nchanges, 0);
	mn_vfs_forget(vfs, d, 1);
	mn_vfs_forget(vfs, f, 1);
}

/* A caller with a coherent cache (the FUSE kernel) is not told its own. */
static void t_change_hook_coherent(void **state)
{
	struct mn_vfs *vfs = *state;
	const struct mn_vfs_cred coh = {0, 0, 7, 0, NULL,
					MN_VFS_CRED_COHERENT};
	struct mn_vfs_file *fc, *fr;
	uint64_t f;

	nchanges = 0;
	assert_int_equal(mn_vfs_set_change_hook(vfs, on_change, &nchanges), 0);
	assert_int_equal(mn_vfs_mkdir_path(vfs, &coh, "/", "/d/c", 0755), 0);
	assert_int_equal(mn_vfs_open_path(vfs, &coh, "/", "/d/c/f",
					  O_RDWR | O_CREAT, 0644, &fc), 0);
	assert_int_equal(mn_vfs_write(fc, "x", 1, 0), 1);
	assert_int_equal(mn_vfs_rename_path(vfs, &coh, "/", "/d/c/f",
					    "/d/c/g"), 0);
	assert_int_equal(nchanges, 0);
	/* the same file opened by someone else: that writer is reported */
	assert_int_equal(mn_vfs_open_path(vfs, &root, "/", "/d/c/g", O_WRONLY,
					  0, &fr), 0);
	f = node(vfs, "/d/c/g");
	assert_int_equal(mn_vfs_write(fr, "y", 1, 0), 1);
	assert_int_equal(reported(0, NULL, f, MN_VFS_CHANGED_DATA), 1);
	assert_int_equal(mn_vfs_write(fc, "z", 1, 0), 1);
	assert_int_equal(nchanges, 0);
	mn_vfs_release(fc);
	mn_vfs_release(fr);
	mn_vfs_forget(vfs, f, 1);
	assert_int_equal(mn_vfs_set_change_hook(vfs, NULL, NULL), 0);
}

/* Removing the hook waits for a call in progress (its arg may be freed). */
static atomic_int slow_entered, slow_release, hook_removed;

static void slow_hook(void *arg, uint64_t parent, const char *name,
		      uint64_t ino, unsigned what)
{
	int i;

	(void)arg;
	(void)parent;
	(void)name;
	(void)ino;
	(void)what;
	atomic_store(&slow_entered, 1);
	for (i = 0; i < 10000 && !atomic_load(&slow_release); i++)
		usleep(1000);	/* at most 10 s: a hang fails, not slowness */
}

static void *do_mkdir(void *arg)
{
	assert_int_equal(mn_vfs_mkdir_path(arg, &root, "/", "/d/slow", 0755),
			 0);
	return NULL;
}

static void *do_remove(void *arg)
{
	assert_int_equal(mn_vfs_set_change_hook(arg, NULL, NULL), 0);
	atomic_store(&hook_removed, 1);
	return NULL;
}

static void t_change_hook_removal_waits(void **state)
{
	struct mn_vfs *vfs = *state;
	pthread_t a, b;
	int i;

	atomic_store(&slow_entered, 0);
	atomic_store(&slow_release, 0);
	atomic_store(&hook_removed, 0);
	assert_int_equal(mn_vfs_set_change_hook(vfs, slow_hook, NULL), 0);
	pthread_create(&a, NULL, do_mkdir, vfs);
	for (i = 0; i < 10000 && !atomic_load(&slow_entered); i++)
		usleep(1000);
	assert_true(atomic_load(&slow_entered));
	pthread_create(&b, NULL, do_remove, vfs);
	usleep(50000);
	assert_false(atomic_load(&hook_removed));
	atomic_store(&slow_release, 1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_true(atomic_load(&hook_removed));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_lookup_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(t_mounts, setup, teardown),
		cmocka_unit_test_setup_teardown(t_snapshot_offsets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_ctl_write, setup, teardown),
		cmocka_unit_test_setup_teardown(t_dynamic_dirs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_per_caller_link, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(t_waiters, setup, teardown),
		cmocka_unit_test_setup_teardown(t_read_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(t_readdirplus_and_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_change_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(t_change_hook_coherent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_change_hook_removal_waits,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
