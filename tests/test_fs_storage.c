/*
 * test_fs_storage - storage, the persistent tree: the shared POSIX checks
 * (vfs_posix_checks.h) on a host directory, plus what only storage has:
 * data and inode numbers that survive the VFS being destroyed and created
 * again on the same directory (a restart), one host file per file,
 * coalesced DiskRead/DiskWrite events, a host fd for splicing, and errors
 * for a storage directory that cannot be used.  Then the metadata design:
 * backing files private to the daemon whatever MicronOS's modes say, any
 * id and any file type kept in the xattr across a restart, the migration
 * of an old data dir (real modes and owners, host symlinks and fifos), and
 * a boot that follows no symlink planted where its directories go.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/evbus.h>

#include "vfs_posix_checks.h"
#include "vfs_i.h"

struct fx {
	struct mn_vfs *vfs;	/* first: the checks use *(struct mn_vfs **) */
	struct mn_evbus *bus;
	char dir[64];
	char storage[96];
};

static int open_vfs(struct fx *fx)
{
	struct mn_vfs_opts o = {.bus = fx->bus, .storage_dir = fx->storage};

	return mn_vfs_create(&fx->vfs, &o);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mn-storage-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->storage, sizeof(fx->storage), "%s/storage", fx->dir);
	if (mn_evbus_create(&fx->bus, 100, NULL) < 0 || open_vfs(fx) < 0)
		return -1;
	if (mn_vfs_mkdir_path(fx->vfs, &pc_root, "/", "/t", 0755) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	mn_vfs_destroy(fx->vfs);
	mn_evbus_destroy(fx->bus);
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void t_survives_restart(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_file *f;
	struct stat before, after;
	char host[160];

	pc_write(fx->vfs, &pc_root, "/t/keep", "persistent");
	assert_int_equal(mn_vfs_open_path(fx->vfs, &pc_root, "/", "/t/keep",
					  O_RDWR, 0, &f), 0);
	assert_int_equal(mn_vfs_fsync(f, 0), 0);
	mn_vfs_release(f);
	assert_int_equal(mn_vfs_symlink_path(fx->vfs, &pc_root, "/", "keep",
					     "/t/link"), 0);
	before = pc_stat(fx->vfs, "/t/keep");
	mn_vfs_destroy(fx->vfs);
	fx->vfs = NULL;
	/* one host file per MicronOS file */
	snprintf(host, sizeof(host), "%s/t/keep", fx->storage);
	assert_int_equal(access(host, F_OK), 0);
	assert_int_equal(open_vfs(fx), 0);
	pc_expect(fx->vfs, &pc_root, "/t/keep", "persistent");
	pc_expect(fx->vfs, &pc_root, "/t/link", "persistent");
	after = pc_stat(fx->vfs, "/t/keep");
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode, before.st_mode);
}

static void t_events_coalesced(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_file *f;
	struct mn_event ev[8];
	char buf[4];
	size_t n;
	int i;

	assert_int_equal(mn_vfs_open_path(fx->vfs, &pc_user, "/", "/t/ev",
					  O_CREAT | O_RDWR, 0644, &f), -EACCES);
	assert_int_equal(mn_vfs_open_path(fx->vfs, &pc_root, "/", "/t/ev",
					  O_CREAT | O_RDWR, 0644, &f), 0);
	mn_evbus_clear(fx->bus);
	for (i = 0; i < 100; i++)
		assert_int_equal(mn_vfs_write(f, "abcd", 4, i * 4), 4);
	for (i = 0; i < 10; i++)
		assert_int_equal(mn_vfs_read(f, buf, 4, i * 4), 4);
	assert_int_equal(mn_evbus_snapshot(fx->bus, NULL, ev, 8), 0);
	mn_vfs_release(f);
	n = mn_evbus_snapshot(fx->bus, NULL, ev, 8);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].type, MN_EV_DISK_READ);
	assert_non_null(strstr(ev[0].text, "read 40 bytes in 10 calls"));
	assert_non_null(strstr(ev[0].text, "/t/ev"));
	assert_int_equal(ev[1].type, MN_EV_DISK_WRITE);
	assert_non_null(strstr(ev[1].text, "wrote 400 bytes in 100 calls"));
	assert_int_equal(ev[1].pid, 1);
}

static void t_host_fd(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_file *f;
	char buf[8];
	int fd;

	pc_write(fx->vfs, &pc_root, "/t/h", "spliced");
	assert_int_equal(mn_vfs_open_path(fx->vfs, &pc_root, "/", "/t/h",
					  O_RDONLY, 0, &f), 0);
	fd = mn_vfs_file_host_fd(f);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 7, 0), 7);
	assert_memory_equal(buf, "spliced", 7);
	mn_vfs_file_account(f, 0, 7);
	mn_vfs_release(f);
}

static void t_bad_dir(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_opts o = {.storage_dir = "/proc/self/nonexistent/x"};
	struct mn_vfs *v = NULL;
	char path[160];

	(void)fx;
	assert_true(mn_vfs_create(&v, &o) < 0);
	assert_null(v);
	/* a plain file where the directory should be */
	snprintf(path, sizeof(path), "%s/afile", fx->dir);
	fclose(fopen(path, "w"));
	o.storage_dir = path;
	assert_int_equal(mn_vfs_create(&v, &o), -ENOTDIR);
}

static void t_hidden_meta_and_root_dotdot(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_entry e;

	/* ".." of the root is the root: storage never leaves its dir */
	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", "/../../t", 0,
					&e), 0);
	assert_true(S_ISDIR(e.attr.st_mode));
	assert_int_equal(mn_vfs_setxattr(fx->vfs, &pc_root, e.ino,
					 "user.micronos.meta", "0 0 777", 7,
					 0), -EOPNOTSUPP);
	mn_vfs_forget(fx->vfs, e.ino, 1);
}


/* The host's view of a backing file. */
static struct stat host_lstat(struct fx *fx, const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", fx->storage, rel);
	assert_int_equal(lstat(path, &st), 0);
	return st;
}

static void assert_private(struct fx *fx, const char *rel)
{
	struct stat st = host_lstat(fx, rel);

	assert_true(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, S_ISDIR(st.st_mode) ? 0700 :
			 0600);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
}

/* Issue 16, item 1: root inside chmods 4755 a root-owned copy of id. */
static void t_backing_private(void **state)
{
	struct fx *fx = *state;
	struct stat st = {0};
	struct mn_vfs_entry e;

	pc_write(fx->vfs, &pc_root, "/t/s", "#!/bin/sh\nid\n");
	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", "/t/s", 0,
					&e), 0);
	st.st_mode = 04755;
	assert_int_equal(mn_vfs_setattr(fx->vfs, &pc_root, e.ino, &st,
					MN_SETATTR_MODE, NULL, NULL), 0);
	assert_int_equal(st.st_mode & 07777, 04755);
	mn_vfs_forget(fx->vfs, e.ino, 1);
	assert_int_equal(pc_stat(fx->vfs, "/t/s").st_mode, S_IFREG | 04755);
	assert_int_equal(mn_vfs_mkdir_path(fx->vfs, &pc_root, "/", "/t/pub",
					   0777), 0);
	assert_int_equal(pc_stat(fx->vfs, "/t/pub").st_mode, S_IFDIR | 0777);
	assert_private(fx, "/t/s");
	assert_private(fx, "/t/pub");
	assert_private(fx, "");
}

/* Any id, any type: kept in the xattr, shown after a restart. */
static void t_any_id_and_type(void **state)
{
	struct fx *fx = *state;
	struct mn_fs_newattr na = {0};
	struct mn_vnode *dir;
	struct mn_fs_entry fe;
	struct mn_vfs_entry e;
	struct stat st = {0};
	const struct {
		const char *name;
		mode_t mode;
		dev_t rdev;
	} nodes[] = {
		{"fifo", S_IFIFO | 0640, 0},
		{"sock", S_IFSOCK | 0755, 0},
		{"null", S_IFCHR | 0666, makedev(1, 3)},
		{"disk", S_IFBLK | 0660, makedev(8, 1)},
	};
	char buf[64];
	size_t i;

	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", "/t", 0, &e),
			 0);
	dir = mn_vnode_get(fx->vfs, e.ino);
	/* the file system itself: the VFS's mknod may refuse devices */
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		na.mode = nodes[i].mode;
		na.uid = 4000000000u;
		na.gid = 77;
		na.rdev = nodes[i].rdev;
		assert_int_equal(dir->fs->ops->mknod(dir->fs, dir,
						     nodes[i].name, &na, &fe),
				 0);
		assert_int_equal(fe.attr.st_mode, nodes[i].mode);
		dir->fs->ops->put(dir->fs, fe.priv);
	}
	mn_vnode_put(fx->vfs, dir);
	mn_vfs_forget(fx->vfs, e.ino, 1);
	pc_write(fx->vfs, &pc_root, "/t/f", "x");
	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", "/t/f", 0,
					&e), 0);
	st.st_uid = 3000000000u;
	st.st_gid = 65536 + 1000;
	assert_int_equal(mn_vfs_setattr(fx->vfs, &pc_root, e.ino, &st,
					MN_SETATTR_UID | MN_SETATTR_GID, NULL,
					NULL), 0);
	mn_vfs_forget(fx->vfs, e.ino, 1);
	assert_int_equal(mn_vfs_symlink_path(fx->vfs, &pc_root, "/", "f",
					     "/t/l"), 0);
	mn_vfs_destroy(fx->vfs);
	assert_int_equal(open_vfs(fx), 0);
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(buf, sizeof(buf), "/t/%s", nodes[i].name);
		st = pc_stat(fx->vfs, buf);
		assert_int_equal(st.st_mode, nodes[i].mode);
		assert_int_equal(st.st_rdev, nodes[i].rdev);
		assert_int_equal(st.st_uid, 4000000000u);
		assert_int_equal(st.st_size, 0);
		assert_private(fx, buf);	/* never a host device */
	}
	st = pc_stat(fx->vfs, "/t/f");
	assert_int_equal(st.st_uid, 3000000000u);
	assert_int_equal(st.st_gid, 65536 + 1000);
	st = pc_stat(fx->vfs, "/t/l");
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_size, 1);
	assert_int_equal(mn_vfs_readlink_path(fx->vfs, &pc_root, "/", "/t/l",
					      buf, sizeof(buf)), 1);
	assert_memory_equal(buf, "f", 1);
	pc_expect(fx->vfs, &pc_root, "/t/l", "x");
	assert_private(fx, "/t/l");	/* no host symlink in the tree */
	/* Linux keeps user xattrs off symlinks and special files */
	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", "/t/fifo", 0,
					&e), 0);
	assert_int_equal(mn_vfs_setxattr(fx->vfs, &pc_root, e.ino, "user.a",
					 "1", 1, 0), -EPERM);
	mn_vfs_forget(fx->vfs, e.ino, 1);
	/* a socket is no file to open */
	{
		struct mn_vfs_file *f;

		assert_int_equal(mn_vfs_open_path(fx->vfs, &pc_root, "/",
						  "/t/sock", O_RDONLY, 0, &f),
				 -ENXIO);
	}
}

/*
 * An old data dir: real modes, owners, a host symlink and fifo, a rootless
 * daemon's three-field xattr; migrated on open, private afterwards.  Run
 * by a non-root user (fs_storage_rootless.sh), the files are its own and a
 * rootless daemon showed them as root's: so does the migration.
 */
static void t_migration(void **state)
{
	struct fx *fx = *state;
	int root = geteuid() == 0;
	uid_t u1 = root ? 1000 : 0, u2 = root ? 2000 : 0;
	gid_t g2 = root ? 2001 : 0;
	char p[256];
	struct stat st;
	int fd;

	mn_vfs_destroy(fx->vfs);
	fx->vfs = NULL;
	nftw(fx->storage, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(mkdir(fx->storage, 0755), 0);
	snprintf(p, sizeof(p), "%s/suid", fx->storage);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "bin", 3), 3);
	close(fd);
	assert_int_equal(root ? chown(p, 1000, 1000) : 0, 0);
	assert_int_equal(chmod(p, 04755), 0);
	snprintf(p, sizeof(p), "%s/d", fx->storage);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(root ? chown(p, 2000, 2001) : 0, 0);
	snprintf(p, sizeof(p), "%s/d/l", fx->storage);
	assert_int_equal(symlink("../suid", p), 0);
	assert_int_equal(root ? lchown(p, 2000, 2000) : 0, 0);
	snprintf(p, sizeof(p), "%s/d/ff", fx->storage);
	assert_int_equal(mkfifo(p, 0640), 0);
	assert_int_equal(chmod(p, 0640), 0);
	snprintf(p, sizeof(p), "%s/d/rl", fx->storage);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(setxattr(p, "user.micronos.meta", "1000 1000 750",
				  13, 0), 0);

	assert_int_equal(open_vfs(fx), 0);
	st = pc_stat(fx->vfs, "/suid");
	assert_int_equal(st.st_mode, S_IFREG | 04755);
	assert_int_equal(st.st_uid, u1);
	st = pc_stat(fx->vfs, "/d");
	assert_int_equal(st.st_mode, S_IFDIR | 0755);
	assert_int_equal(st.st_uid, u2);
	assert_int_equal(st.st_gid, g2);
	st = pc_stat(fx->vfs, "/d/l");
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_uid, u2);
	pc_expect(fx->vfs, &pc_root, "/d/l", "bin");
	assert_int_equal(pc_stat(fx->vfs, "/d/ff").st_mode, S_IFIFO | 0640);
	st = pc_stat(fx->vfs, "/d/rl");
	assert_int_equal(st.st_mode, S_IFREG | 0750);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(pc_stat(fx->vfs, "/").st_mode, S_IFDIR | 0755);
	assert_private(fx, "");
	assert_private(fx, "/suid");
	assert_private(fx, "/d");
	assert_private(fx, "/d/l");
	assert_private(fx, "/d/ff");
	assert_private(fx, "/d/rl");
	/* a second boot finds the mark and changes nothing */
	mn_vfs_destroy(fx->vfs);
	assert_int_equal(open_vfs(fx), 0);
	assert_int_equal(pc_stat(fx->vfs, "/suid").st_mode, S_IFREG | 04755);
	assert_int_equal(mn_vfs_mkdir_path(fx->vfs, &pc_root, "/", "/t",
					   0755), 0);
}

/* A host symlink put into the backing tree behind the daemon's back (after
 * migration) is never followed: its name gives EIO. */
static void t_foreign_symlink(void **state)
{
	struct fx *fx = *state;
	char p[256], secret[128];
	struct stat st;

	snprintf(secret, sizeof(secret), "%s/secret", fx->dir);
	fclose(fopen(secret, "w"));
	snprintf(p, sizeof(p), "%s/t/evil", fx->storage);
	assert_int_equal(symlink(secret, p), 0);
	assert_int_equal(mn_vfs_stat_path(fx->vfs, &pc_root, "/", "/t/evil",
					  0, &st), -EIO);
	assert_int_equal(mn_vfs_stat_path(fx->vfs, &pc_root, "/",
					  "/t/evil", MN_VFS_NOFOLLOW, &st),
			 -EIO);
}

/* Issue 16, item 8: /home replaced by a symlink; boot does not follow it. */
static void t_skeleton_no_follow(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct stat st;

	assert_int_equal(mn_vfs_mkdir_path(fx->vfs, &pc_root, "/",
					   "/t/target", 0755), 0);
	assert_int_equal(mn_vfs_symlink_path(fx->vfs, &pc_root, "/",
					     "/t/target", "/home"), 0);
	assert_int_equal(mn_vfs_mount_standard(fx->vfs, &err), 0);
	mn_strbuf_release(&err);
	assert_int_equal(mn_vfs_stat_path(fx->vfs, &pc_root, "/",
					  "/t/target/user", 0, &st), -ENOENT);
	assert_true(S_ISLNK(pc_stat(fx->vfs, "/home").st_mode));
	assert_true(S_ISDIR(pc_stat(fx->vfs, "/root").st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PC_TESTS(setup, teardown),
		cmocka_unit_test_setup_teardown(t_survives_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_events_coalesced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_host_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(t_bad_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(t_hidden_meta_and_root_dotdot,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_backing_private, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_any_id_and_type, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(t_skeleton_no_follow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_foreign_symlink, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
