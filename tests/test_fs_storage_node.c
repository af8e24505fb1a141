/*
 * test_fs_storage_node - storage's descriptor use is bounded (issue 16,
 * item 3): hundreds of known files cost no more descriptors than the
 * node cache's cap (MICRONOS_STORAGE_FD_CAP=32 here), and every node is still reachable - by file handle
 * (root) and by parent + name (what a rootless daemon does; forced here
 * with MICRONOS_STORAGE_NO_HANDLES=1), through renames of its directory,
 * with an open file unlinked, and never as another file that took its
 * name behind the daemon's back.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/strbuf.h>

#include "vfs_i.h"

static const struct mn_vfs_cred pc_root = {0, 0, 1, 0, NULL, 0};

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

#define NFILES 500

struct fx {
	struct mn_vfs *vfs;
	char dir[64];
	char storage[96];
	uint64_t ino[NFILES];
};

static int open_vfs(struct fx *fx)
{
	struct mn_vfs_opts o = {.storage_dir = fx->storage};

	return mn_vfs_create(&fx->vfs, &o);
}

static int setup_with(void **state, const char *no_handles)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mn-snode-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->storage, sizeof(fx->storage), "%s/storage", fx->dir);
	setenv("MICRONOS_STORAGE_FD_CAP", "32", 1);
	setenv("MICRONOS_STORAGE_NO_HANDLES", no_handles, 1);
	if (open_vfs(fx) < 0)
		return -1;
	if (mn_vfs_mkdir_path(fx->vfs, &pc_root, "/", "/t", 0755) < 0 ||
	    mn_vfs_mkdir_path(fx->vfs, &pc_root, "/", "/t/d", 0755) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int setup_handles(void **state)
{
	return setup_with(state, "0");
}

static int setup_names(void **state)
{
	return setup_with(state, "1");
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
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("MICRONOS_STORAGE_NO_HANDLES");
	unsetenv("MICRONOS_STORAGE_FD_CAP");
	free(fx);
	return 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

/* Creates NFILES files in /t/d and keeps a lookup on each. */
static void make_many(struct fx *fx)
{
	struct mn_vfs_entry e;
	char path[64], text[16];
	int i;

	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "/t/d/f%04d", i);
		snprintf(text, sizeof(text), "%d", i);
		pc_write(fx->vfs, &pc_root, path, text);
		assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", path,
						0, &e), 0);
		fx->ino[i] = e.ino;
	}
}

static void check_all(struct fx *fx)
{
	struct stat st;
	char text[16];
	int i;

	for (i = 0; i < NFILES; i++) {
		assert_int_equal(mn_vfs_getattr(fx->vfs, &pc_root, fx->ino[i],
						&st, NULL), 0);
		snprintf(text, sizeof(text), "%d", i);
		assert_int_equal(st.st_size, (off_t)strlen(text));
		assert_int_equal(st.st_mode, S_IFREG | 0644);
	}
}

static void forget_all(struct fx *fx)
{
	int i;

	for (i = 0; i < NFILES; i++)
		mn_vfs_forget(fx->vfs, fx->ino[i], 1);
}

static void t_bounded(void **state)
{
	struct fx *fx = *state;
	int before = count_fds(), after;
	char msg[256];

	make_many(fx);
	after = count_fds();
	/* at most the cap (32) plus the slack of calls in flight */
	assert_true(after - before <= 32 + 4);
	check_all(fx);
	assert_true(count_fds() - before <= 32 + 4);
	/* the directory moves: its files are found under the new name */
	assert_int_equal(mn_vfs_rename_path(fx->vfs, &pc_root, "/", "/t/d",
					    "/t/moved"), 0);
	check_all(fx);
	pc_expect(fx->vfs, &pc_root, "/t/moved/f0321", "321");
	assert_int_equal(mn_fs_storage_health(fx->vfs, msg, sizeof(msg)),
			 MN_HEALTH_OK);
	assert_non_null(strstr(msg, "storage caches"));
	assert_non_null(strstr(msg, "(cap 32)"));
	forget_all(fx);
}

/* An open file, unlinked, its node's descriptor long evicted otherwise. */
static void t_open_unlinked(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_file *f;
	struct mn_vfs_entry e;
	struct stat st;

	pc_write(fx->vfs, &pc_root, "/t/gone", "still here");
	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", "/t/gone", 0,
					&e), 0);
	assert_int_equal(mn_vfs_open_path(fx->vfs, &pc_root, "/", "/t/gone",
					  O_RDONLY, 0, &f), 0);
	assert_int_equal(mn_vfs_unlink_path(fx->vfs, &pc_root, "/",
					    "/t/gone"), 0);
	make_many(fx);	/* pushes everything else out of the cache */
	assert_int_equal(mn_vfs_getattr(fx->vfs, &pc_root, e.ino, &st, NULL),
			 0);
	assert_int_equal(st.st_size, 10);
	assert_int_equal(st.st_nlink, 0);
	mn_vfs_release(f);
	mn_vfs_forget(fx->vfs, e.ino, 1);
	forget_all(fx);
}

/*
 * By name: a file replaced on the host behind the daemon's back is never
 * taken for the one the node stands for (-ESTALE); by handle (where the
 * kernel lets the daemon use open_by_handle_at: not under a container's
 * default seccomp profile) the node follows its inode to the new name.
 */
static void replaced_behind(struct fx *fx)
{
	char msg[256];
	int by_name;

	struct mn_vfs_entry e;
	char a[160], b[160];
	struct stat st;
	FILE *fp;

	mn_fs_storage_health(fx->vfs, msg, sizeof(msg));
	by_name = strstr(msg, "by name") != NULL;
	assert_true(by_name || strstr(msg, "by handle"));
	pc_write(fx->vfs, &pc_root, "/t/x", "original");
	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/", "/t/x", 0,
					&e), 0);
	make_many(fx);
	snprintf(a, sizeof(a), "%s/t/x", fx->storage);
	snprintf(b, sizeof(b), "%s/t/y", fx->storage);
	assert_int_equal(rename(a, b), 0);
	fp = fopen(a, "w");
	assert_non_null(fp);
	fputs("impostor!", fp);
	fclose(fp);
	if (by_name) {
		assert_int_equal(mn_vfs_getattr(fx->vfs, &pc_root, e.ino, &st,
						NULL), -ESTALE);
	} else {
		assert_int_equal(mn_vfs_getattr(fx->vfs, &pc_root, e.ino, &st,
						NULL), 0);
		assert_int_equal(st.st_size, 8);
	}
	mn_vfs_forget(fx->vfs, e.ino, 1);
	forget_all(fx);
}

/*
 * The daemon runs out of descriptors (something else took them): storage's
 * cache gives its own back and the lookup still succeeds - a failed lookup
 * would make the FUSE kernel drop the world's mounts on that dentry - and
 * health says what happened.
 */
static void t_emfile(void **state)
{
	struct fx *fx = *state;
	struct rlimit saved, rl;
	struct mn_vfs_entry e;
	struct stat st;
	char msg[256];
	int i;

	make_many(fx);
	getrlimit(RLIMIT_NOFILE, &saved);
	rl = saved;
	/* a new descriptor takes the lowest free number: none below it */
	i = dup(0);
	assert_true(i >= 0);
	close(i);
	rl.rlim_cur = (rlim_t)i;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (i = 0; i < NFILES; i += 7)
		assert_int_equal(mn_vfs_getattr(fx->vfs, &pc_root, fx->ino[i],
						&st, NULL), 0);
	assert_int_equal(mn_vfs_resolve(fx->vfs, &pc_root, "/",
					"/t/d/f0123", 0, &e), 0);
	mn_vfs_forget(fx->vfs, e.ino, 1);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(mn_fs_storage_health(fx->vfs, msg, sizeof(msg)),
			 MN_HEALTH_FAILED);
	assert_null(strstr(msg, " 0 opens refused"));
	/* seen once: the next check is ok again */
	assert_int_equal(mn_fs_storage_health(fx->vfs, msg, sizeof(msg)),
			 MN_HEALTH_OK);
	forget_all(fx);
}

static void t_replaced(void **state)
{
	replaced_behind(*state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_bounded, setup_handles,
						teardown),
		cmocka_unit_test_setup_teardown(t_bounded, setup_names,
						teardown),
		cmocka_unit_test_setup_teardown(t_open_unlinked,
						setup_handles, teardown),
		cmocka_unit_test_setup_teardown(t_open_unlinked, setup_names,
						teardown),
		cmocka_unit_test_setup_teardown(t_replaced, setup_names,
						teardown),
		cmocka_unit_test_setup_teardown(t_emfile, setup_names,
						teardown),
		cmocka_unit_test_setup_teardown(t_emfile, setup_handles,
						teardown),
		cmocka_unit_test_setup_teardown(t_replaced, setup_handles,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
