/*
 * vfs_posix_checks.h - POSIX semantics every writable file system of the
 * VFS must have, written once and run against tmp (test_fs_tmp) and
 * storage (test_fs_storage).  Each check works under the directory `base`
 * of a VFS and cleans nothing up (each test gets a fresh fixture).
 */
#ifndef MN_TEST_VFS_POSIX_CHECKS_H
#define MN_TEST_VFS_POSIX_CHECKS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#include <micronos/vfs.h>

static const struct mn_vfs_cred pc_root = {0, 0, 1, 0, NULL, 0};
static const struct mn_vfs_cred pc_user = {1000, 1000, 42, 0, NULL, 0};
static const struct mn_vfs_cred pc_other = {1001, 1001, 43, 0, NULL, 0};

static void pc_write(struct mn_vfs *vfs, const struct mn_vfs_cred *c,
		     const char *path, const char *text)
{
	assert_int_equal(mn_vfs_write_file(vfs, c, "/", path, text,
					   strlen(text), 0644), 0);
}

static void pc_expect(struct mn_vfs *vfs, const struct mn_vfs_cred *c,
		      const char *path, const char *text)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;

	assert_int_equal(mn_vfs_read_file(vfs, c, "/", path, 1 << 20, &sb), 0);
	assert_string_equal(mn_strbuf_str(&sb), text);
	mn_strbuf_release(&sb);
}

static struct stat pc_stat(struct mn_vfs *vfs, const char *path)
{
	struct stat st;

	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", path,
					  MN_VFS_NOFOLLOW, &st), 0);
	return st;
}

static void pc_create_read_write(struct mn_vfs *vfs)
{
	struct mn_vfs_file *f;
	char buf[64];

	pc_write(vfs, &pc_root, "/t/a", "hello");
	pc_expect(vfs, &pc_root, "/t/a", "hello");
	assert_int_equal(pc_stat(vfs, "/t/a").st_size, 5);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/a",
					  O_CREAT | O_EXCL | O_RDWR, 0644, &f),
			 -EEXIST);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/t", "a", O_RDWR, 0,
					  &f), 0);
	assert_int_equal(mn_vfs_write(f, "J", 1, 0), 1);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "Jello", 5);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 5), 0);
	/* sparse write past the end reads back zeros */
	assert_int_equal(mn_vfs_write(f, "Z", 1, 9), 1);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), 10);
	assert_memory_equal(buf, "Jello\0\0\0\0Z", 10);
	mn_vfs_release(f);
	/* wrong access modes */
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/a",
					  O_RDONLY, 0, &f), 0);
	assert_int_equal(mn_vfs_write(f, "x", 1, 0), -EBADF);
	mn_vfs_release(f);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/a",
					  O_WRONLY, 0, &f), 0);
	assert_int_equal(mn_vfs_read(f, buf, 1, 0), -EBADF);
	mn_vfs_release(f);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/nope",
					  O_RDONLY, 0, &f), -ENOENT);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t",
					  O_WRONLY, 0, &f), -EISDIR);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/a/x",
					  O_RDONLY, 0, &f), -ENOTDIR);
}

static void pc_rename_over(struct mn_vfs *vfs)
{
	struct mn_vfs_entry e;
	uint64_t t;
	struct stat before;

	pc_write(vfs, &pc_root, "/t/src", "new");
	pc_write(vfs, &pc_root, "/t/dst", "old");
	before = pc_stat(vfs, "/t/src");
	assert_int_equal(mn_vfs_rename_path(vfs, &pc_root, "/", "/t/src",
					    "/t/dst"), 0);
	pc_expect(vfs, &pc_root, "/t/dst", "new");
	assert_int_equal(pc_stat(vfs, "/t/dst").st_ino, before.st_ino);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/src", 0,
					  &before), -ENOENT);
	/* NOREPLACE and EXCHANGE */
	pc_write(vfs, &pc_root, "/t/x", "X");
	assert_int_equal(mn_vfs_resolve(vfs, &pc_root, "/", "/t", 0, &e), 0);
	t = e.ino;
	assert_int_equal(mn_vfs_rename(vfs, &pc_root, t, "x", t, "dst",
				       MN_RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(mn_vfs_rename(vfs, &pc_root, t, "x", t, "dst",
				       MN_RENAME_EXCHANGE), 0);
	pc_expect(vfs, &pc_root, "/t/x", "new");
	pc_expect(vfs, &pc_root, "/t/dst", "X");
	assert_int_equal(mn_vfs_rename(vfs, &pc_root, t, "x", t, "dst",
				       MN_RENAME_EXCHANGE |
				       MN_RENAME_NOREPLACE), -EINVAL);
	/* directories: over a non-empty one, into itself, over a file */
	assert_int_equal(mn_vfs_mkdir_path(vfs, &pc_root, "/", "/t/d1", 0755),
			 0);
	assert_int_equal(mn_vfs_mkdir_path(vfs, &pc_root, "/", "/t/d2", 0755),
			 0);
	pc_write(vfs, &pc_root, "/t/d2/f", "f");
	assert_int_equal(mn_vfs_rename_path(vfs, &pc_root, "/", "/t/d1",
					    "/t/d2"), -ENOTEMPTY);
	assert_int_equal(mn_vfs_rename_path(vfs, &pc_root, "/", "/t/d2",
					    "/t/d2/sub"), -EINVAL);
	assert_int_equal(mn_vfs_rename_path(vfs, &pc_root, "/", "/t/d1",
					    "/t/x"), -ENOTDIR);
	assert_int_equal(mn_vfs_rename_path(vfs, &pc_root, "/", "/t/x",
					    "/t/d1"), -EISDIR);
	assert_int_equal(mn_vfs_rename_path(vfs, &pc_root, "/", "/t/d2",
					    "/t/d1/moved"), 0);
	pc_expect(vfs, &pc_root, "/t/d1/moved/f", "f");
	assert_int_equal(pc_stat(vfs, "/t/d1").st_nlink, 3);
	assert_int_equal(pc_stat(vfs, "/t").st_nlink, 3);
	mn_vfs_forget(vfs, t, 1);
}

static void pc_unlink_while_open(struct mn_vfs *vfs)
{
	struct mn_vfs_file *f;
	char buf[16];

	pc_write(vfs, &pc_root, "/t/u", "still here");
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/u", O_RDWR,
					  0, &f), 0);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_root, "/", "/t/u"), 0);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/u", 0,
					  &(struct stat){0}), -ENOENT);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), 10);
	assert_memory_equal(buf, "still here", 10);
	assert_int_equal(mn_vfs_write(f, "S", 1, 0), 1);
	assert_int_equal(mn_vfs_read(f, buf, 1, 0), 1);
	assert_int_equal(buf[0], 'S');
	mn_vfs_release(f);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_root, "/", "/t/u"),
			 -ENOENT);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_root, "/", "/t"), -EISDIR);
	assert_int_equal(mn_vfs_rmdir_path(vfs, &pc_root, "/", "/t/nope"),
			 -ENOENT);
}

static void pc_hard_links(struct mn_vfs *vfs)
{
	struct mn_vfs_entry a, dir, l;

	pc_write(vfs, &pc_root, "/t/h1", "linked");
	assert_int_equal(mn_vfs_resolve(vfs, &pc_root, "/", "/t/h1", 0, &a), 0);
	assert_int_equal(mn_vfs_resolve(vfs, &pc_root, "/", "/t", 0, &dir), 0);
	assert_int_equal(mn_vfs_link(vfs, &pc_root, a.ino, dir.ino, "h2", &l),
			 0);
	/* the same file: the same node id and inode number */
	assert_int_equal(l.ino, a.ino);
	assert_int_equal(l.attr.st_ino, a.attr.st_ino);
	assert_int_equal(l.attr.st_nlink, 2);
	assert_int_equal(mn_vfs_link(vfs, &pc_root, a.ino, dir.ino, "h2", &l),
			 -EEXIST);
	assert_int_equal(mn_vfs_link(vfs, &pc_root, dir.ino, dir.ino, "dl", &l),
			 -EPERM);
	assert_int_equal(mn_vfs_unlink(vfs, &pc_root, dir.ino, "h1"), 0);
	pc_expect(vfs, &pc_root, "/t/h2", "linked");
	assert_int_equal(pc_stat(vfs, "/t/h2").st_nlink, 1);
	mn_vfs_forget(vfs, a.ino, 2);
	mn_vfs_forget(vfs, dir.ino, 1);
}

static void pc_attrs(struct mn_vfs *vfs)
{
	struct mn_vfs_entry e;
	struct stat st = {0}, before;

	pc_write(vfs, &pc_root, "/t/m", "0123456789");
	assert_int_equal(mn_vfs_resolve(vfs, &pc_root, "/", "/t/m", 0, &e), 0);
	before = e.attr;
	/* chmod by root; ctime moves, mode changes */
	st.st_mode = 0600;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_root, e.ino, &st,
					MN_SETATTR_MODE, NULL, NULL), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(st.st_ctim.tv_sec > before.st_ctim.tv_sec ||
		    (st.st_ctim.tv_sec == before.st_ctim.tv_sec &&
		     st.st_ctim.tv_nsec >= before.st_ctim.tv_nsec));
	/* chown to the user, who may then chmod but not chown back */
	st.st_uid = 1000;
	st.st_gid = 1000;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_root, e.ino, &st,
					MN_SETATTR_UID | MN_SETATTR_GID, NULL,
					NULL), 0);
	assert_int_equal(st.st_uid, 1000);
	st.st_mode = 0640;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_user, e.ino, &st,
					MN_SETATTR_MODE, NULL, NULL), 0);
	st.st_uid = 0;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_user, e.ino, &st,
					MN_SETATTR_UID, NULL, NULL), -EPERM);
	st.st_mode = 0777;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_other, e.ino, &st,
					MN_SETATTR_MODE, NULL, NULL), -EPERM);
	/* truncate, then explicit times */
	st.st_size = 3;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_user, e.ino, &st,
					MN_SETATTR_SIZE, NULL, NULL), 0);
	assert_int_equal(st.st_size, 3);
	pc_expect(vfs, &pc_root, "/t/m", "012");
	st.st_size = 3;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_other, e.ino, &st,
					MN_SETATTR_SIZE, NULL, NULL), -EACCES);
	st.st_atim.tv_sec = 1000000000;
	st.st_atim.tv_nsec = 0;
	st.st_mtim.tv_sec = 1234567890;
	st.st_mtim.tv_nsec = 0;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_user, e.ino, &st,
					MN_SETATTR_ATIME | MN_SETATTR_MTIME,
					NULL, NULL), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1234567890);
	assert_int_equal(st.st_atim.tv_sec, 1000000000);
	assert_int_equal(mn_vfs_setattr(vfs, &pc_other, e.ino, &st,
					MN_SETATTR_MTIME, NULL, NULL), -EPERM);
	mn_vfs_forget(vfs, e.ino, 1);
}

static void pc_append(struct mn_vfs *vfs)
{
	struct mn_vfs_file *f;

	pc_write(vfs, &pc_root, "/t/log", "one\n");
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/log",
					  O_WRONLY | O_APPEND, 0, &f), 0);
	assert_int_equal(mn_vfs_write(f, "two\n", 4, 0), 4);
	assert_int_equal(mn_vfs_write(f, "three\n", 6, 1), 6);
	mn_vfs_release(f);
	pc_expect(vfs, &pc_root, "/t/log", "one\ntwo\nthree\n");
	/* O_TRUNC empties */
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/log",
					  O_WRONLY | O_TRUNC, 0, &f), 0);
	mn_vfs_release(f);
	assert_int_equal(pc_stat(vfs, "/t/log").st_size, 0);
}

static void pc_permissions(struct mn_vfs *vfs)
{
	struct mn_vfs_file *f;
	struct mn_vfs_entry e;
	struct stat st = {0};

	/* a directory of the user's, mode 0755 */
	assert_int_equal(mn_vfs_mkdir_path(vfs, &pc_root, "/", "/t/home",
					   0777), 0);
	assert_int_equal(mn_vfs_resolve(vfs, &pc_root, "/", "/t/home", 0, &e),
			 0);
	st.st_uid = st.st_gid = 1000;
	st.st_mode = 0755;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_root, e.ino, &st,
					MN_SETATTR_UID | MN_SETATTR_GID |
					MN_SETATTR_MODE, NULL, NULL), 0);
	pc_write(vfs, &pc_user, "/t/home/mine", "secret");
	st = pc_stat(vfs, "/t/home/mine");
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	/* others cannot create in it, nor write the file */
	assert_int_equal(mn_vfs_write_file(vfs, &pc_other, "/",
					   "/t/home/theirs", "x", 1, 0644),
			 -EACCES);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_other, "/",
					  "/t/home/mine", O_WRONLY, 0, &f),
			 -EACCES);
	pc_expect(vfs, &pc_other, "/t/home/mine", "secret");
	assert_int_equal(mn_vfs_access(vfs, &pc_other, e.ino, W_OK), -EACCES);
	assert_int_equal(mn_vfs_access(vfs, &pc_user, e.ino, W_OK), 0);
	/* 0700: no search for others */
	st.st_mode = 0700;
	assert_int_equal(mn_vfs_setattr(vfs, &pc_user, e.ino, &st,
					MN_SETATTR_MODE, NULL, NULL), 0);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_other, "/", "/t/home/mine",
					  0, &st), -EACCES);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_other, "/",
					    "/t/home/mine"), -EACCES);
	/* a file the user made read-only: open for writing fails, but root
	 * may; the creator could write what it created with mode 0444 */
	assert_int_equal(mn_vfs_open_path(vfs, &pc_user, "/", "/t/home/ro",
					  O_CREAT | O_WRONLY, 0444, &f), 0);
	assert_int_equal(mn_vfs_write(f, "x", 1, 0), 1);
	mn_vfs_release(f);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_user, "/", "/t/home/ro",
					  O_WRONLY, 0, &f), -EACCES);
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/home/ro",
					  O_WRONLY, 0, &f), 0);
	mn_vfs_release(f);
	mn_vfs_forget(vfs, e.ino, 1);
}

static void pc_sticky(struct mn_vfs *vfs)
{
	struct mn_vfs_entry e;
	struct stat st = {.st_mode = 01777};

	assert_int_equal(mn_vfs_mkdir_path(vfs, &pc_root, "/", "/t/sticky",
					   0777), 0);
	assert_int_equal(mn_vfs_resolve(vfs, &pc_root, "/", "/t/sticky", 0,
					&e), 0);
	assert_int_equal(mn_vfs_setattr(vfs, &pc_root, e.ino, &st,
					MN_SETATTR_MODE, NULL, NULL), 0);
	pc_write(vfs, &pc_user, "/t/sticky/u", "u");
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_other, "/",
					    "/t/sticky/u"), -EPERM);
	assert_int_equal(mn_vfs_rename_path(vfs, &pc_other, "/",
					    "/t/sticky/u", "/t/sticky/v"),
			 -EPERM);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_user, "/", "/t/sticky/u"),
			 0);
	mn_vfs_forget(vfs, e.ino, 1);
}

static void pc_symlinks(struct mn_vfs *vfs)
{
	char buf[64];
	struct stat st;

	pc_write(vfs, &pc_root, "/t/target", "via link");
	assert_int_equal(mn_vfs_symlink_path(vfs, &pc_root, "/", "target",
					     "/t/rel"), 0);
	assert_int_equal(mn_vfs_symlink_path(vfs, &pc_root, "/", "/t/target",
					     "/t/abs"), 0);
	pc_expect(vfs, &pc_root, "/t/rel", "via link");
	pc_expect(vfs, &pc_root, "/t/abs", "via link");
	assert_int_equal(mn_vfs_readlink_path(vfs, &pc_root, "/", "/t/rel",
					      buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "target", 6);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/rel",
					  MN_VFS_NOFOLLOW, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_size, 6);
	/* a loop: -ELOOP, not a hang */
	assert_int_equal(mn_vfs_symlink_path(vfs, &pc_root, "/", "l2",
					     "/t/l1"), 0);
	assert_int_equal(mn_vfs_symlink_path(vfs, &pc_root, "/", "l1",
					     "/t/l2"), 0);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/l1", 0, &st),
			 -ELOOP);
	/* dangling */
	assert_int_equal(mn_vfs_symlink_path(vfs, &pc_root, "/", "nowhere",
					     "/t/dang"), 0);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/dang", 0,
					  &st), -ENOENT);
	assert_int_equal(mn_vfs_symlink_path(vfs, &pc_root, "/", "x",
					     "/t/target"), -EEXIST);
}

static void pc_xattrs(struct mn_vfs *vfs)
{
	struct mn_vfs_entry e;
	char buf[64];

	pc_write(vfs, &pc_root, "/t/xa", "x");
	assert_int_equal(mn_vfs_resolve(vfs, &pc_root, "/", "/t/xa", 0, &e), 0);
	assert_int_equal(mn_vfs_setxattr(vfs, &pc_root, e.ino, "user.color",
					 "blue", 4, 0), 0);
	assert_int_equal(mn_vfs_setxattr(vfs, &pc_root, e.ino, "user.color",
					 "red", 3, XATTR_CREATE), -EEXIST);
	assert_int_equal(mn_vfs_setxattr(vfs, &pc_root, e.ino, "user.none",
					 "red", 3, XATTR_REPLACE), -ENODATA);
	assert_int_equal(mn_vfs_getxattr(vfs, &pc_root, e.ino, "user.color",
					 NULL, 0), 4);
	assert_int_equal(mn_vfs_getxattr(vfs, &pc_root, e.ino, "user.color",
					 buf, 2), -ERANGE);
	assert_int_equal(mn_vfs_getxattr(vfs, &pc_root, e.ino, "user.color",
					 buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "blue", 4);
	assert_int_equal(mn_vfs_listxattr(vfs, &pc_root, e.ino, buf,
					  sizeof(buf)), 11);
	assert_string_equal(buf, "user.color");
	assert_int_equal(mn_vfs_setxattr(vfs, &pc_root, e.ino, "trusted.x",
					 "1", 1, 0), -EOPNOTSUPP);
	assert_int_equal(mn_vfs_removexattr(vfs, &pc_root, e.ino,
					    "user.color"), 0);
	assert_int_equal(mn_vfs_getxattr(vfs, &pc_root, e.ino, "user.color",
					 buf, sizeof(buf)), -ENODATA);
	mn_vfs_forget(vfs, e.ino, 1);
}

struct pc_names {
	char seen[64][32];
	int n;
};

static int pc_fill(void *arg, const char *name, uint64_t st_ino,
		   unsigned dtype, off_t next)
{
	struct pc_names *p = arg;

	(void)st_ino;
	(void)dtype;
	(void)next;
	if (p->n == 64)
		return 1;
	snprintf(p->seen[p->n++], 32, "%s", name);
	return 0;
}

static int pc_has(const struct pc_names *p, const char *name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->seen[i], name) == 0)
			return 1;
	return 0;
}

static void pc_readdir(struct mn_vfs *vfs)
{
	struct mn_vfs_file *d;
	struct pc_names names = {0};
	char path[64];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/t/f%02d", i);
		pc_write(vfs, &pc_root, path, "x");
	}
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t",
					  O_RDONLY | O_DIRECTORY, 0, &d), 0);
	assert_int_equal(mn_vfs_readdir(d, 0, pc_fill, &names), 0);
	assert_int_equal(names.n, 22);
	assert_true(pc_has(&names, "."));
	assert_true(pc_has(&names, ".."));
	assert_true(pc_has(&names, "f07"));
	mn_vfs_releasedir(d);
}

static void pc_statfs_fsync(struct mn_vfs *vfs)
{
	struct mn_vfs_file *f;
	struct statvfs sv;

	assert_int_equal(mn_vfs_statfs(vfs, &pc_root, MN_VFS_ROOT_INO, &sv), 0);
	assert_true(sv.f_blocks > 0);
	assert_true(sv.f_bsize > 0);
	pc_write(vfs, &pc_root, "/t/sync", "durable");
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/sync",
					  O_RDWR, 0, &f), 0);
	assert_int_equal(mn_vfs_fsync(f, 0), 0);
	assert_int_equal(mn_vfs_fsync(f, 1), 0);
	assert_int_equal(mn_vfs_flush(f), 0);
	mn_vfs_release(f);
}

#define PC_TESTS(setup, teardown)                                            \
	cmocka_unit_test_setup_teardown(t_create_read_write, setup, teardown), \
	cmocka_unit_test_setup_teardown(t_rename_over, setup, teardown),       \
	cmocka_unit_test_setup_teardown(t_unlink_while_open, setup, teardown), \
	cmocka_unit_test_setup_teardown(t_hard_links, setup, teardown),        \
	cmocka_unit_test_setup_teardown(t_attrs, setup, teardown),             \
	cmocka_unit_test_setup_teardown(t_append, setup, teardown),            \
	cmocka_unit_test_setup_teardown(t_permissions, setup, teardown),       \
	cmocka_unit_test_setup_teardown(t_sticky, setup, teardown),            \
	cmocka_unit_test_setup_teardown(t_symlinks, setup, teardown),          \
	cmocka_unit_test_setup_teardown(t_xattrs, setup, teardown),            \
	cmocka_unit_test_setup_teardown(t_readdir, setup, teardown),           \
	cmocka_unit_test_setup_teardown(t_statfs_fsync, setup, teardown)

/* Wrappers: each check on the fixture's VFS (state is a struct mn_vfs **). */
#define PC_WRAP(name)                                                        \
	static void t_##name(void **state)                                   \
	{                                                                    \
		pc_##name(*(struct mn_vfs **)*state);                        \
	}
PC_WRAP(create_read_write)
PC_WRAP(rename_over)
PC_WRAP(unlink_while_open)
PC_WRAP(hard_links)
PC_WRAP(attrs)
PC_WRAP(append)
PC_WRAP(permissions)
PC_WRAP(sticky)
PC_WRAP(symlinks)
PC_WRAP(xattrs)
PC_WRAP(readdir)
PC_WRAP(statfs_fsync)

#endif
