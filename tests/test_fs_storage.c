/*
 * test_fs_storage - storage, the persistent tree: the shared POSIX checks
 * (vfs_posix_checks.h) on a host directory, plus what only storage has:
 * data and inode numbers that survive the VFS being destroyed and created
 * again on the same directory (a restart), one host file per file,
 * coalesced DiskRead/DiskWrite events, a host fd for splicing, and errors
 * for a storage directory that cannot be used.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/evbus.h>

#include "vfs_posix_checks.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
