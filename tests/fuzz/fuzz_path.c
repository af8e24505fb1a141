/*
 * fuzz_path - path resolution (vfs_path.c) over a booted kernel's whole
 * tree: /proc, /sys, /dev, /events, storage-less tmp, plus symlinks made
 * here (loops, absolute, relative, dangling, through ".." past /).
 * Paths come from programs (every trapped open) and from the shell.
 * Input: byte 0 picks the cwd and the credentials, the rest is the path
 * (a NUL ends it).  Resolution must end (ELOOP, not a hang), never leave
 * the root, and keep lookup counts balanced.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <micronos/kernel.h>
#include <micronos/vfs.h>

#include "fs_trees_i.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mn_kernel *k;

static void boot(void)
{
	struct mn_kernel_opts o = {.name = "fuzzpath", .deterministic = 1};
	struct mn_strbuf err = MN_STRBUF_INIT;
	const struct mn_vfs_cred *c = &mn_vfs_cred_kernel;
	struct mn_vfs *vfs;

	if (mn_kernel_create(&k, &o) < 0 || mn_vfs_attach(k) < 0 ||
	    mn_fs_trees_attach(k) < 0 || mn_kernel_boot(k, &err) < 0)
		abort();
	mn_strbuf_release(&err);
	vfs = mn_vfs_of(k);
	mn_vfs_mkdir_path(vfs, c, "/", "/tmp", 01777);
	mn_vfs_mkdir_path(vfs, c, "/", "/tmp/a", 0755);
	mn_vfs_mkdir_path(vfs, c, "/", "/tmp/a/b", 0700);
	mn_vfs_symlink_path(vfs, c, "/", "/tmp/loop", "/tmp/loop");
	mn_vfs_symlink_path(vfs, c, "/", "/tmp/up", "../../../..");
	mn_vfs_symlink_path(vfs, c, "/", "/tmp/a/abs", "/proc/self");
	mn_vfs_symlink_path(vfs, c, "/", "/tmp/a/rel", "b/../../a");
	mn_vfs_symlink_path(vfs, c, "/", "/tmp/dangle", "/no/such");
	mn_vfs_symlink_path(vfs, c, "/", "/tmp/ping", "pong");
	mn_vfs_symlink_path(vfs, c, "/", "/tmp/pong", "ping");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cwds[] = {"/", "/tmp/a/b", "/proc", "/sys"};
	static const struct mn_vfs_cred user = {.uid = 1000, .gid = 1000,
						.pid = 1};
	const struct mn_vfs_cred *cred;
	struct mn_vfs *vfs;
	struct mn_vfs_entry e;
	char *path, real[4096], name[MN_VFS_NAME_MAX + 1];
	uint64_t parent;
	struct stat st;
	int must_dir;

	if (!k)
		boot();
	if (size < 1)
		return 0;
	vfs = mn_vfs_of(k);
	cred = data[0] & 4 ? &user : &mn_vfs_cred_kernel;
	path = malloc(size);
	if (!path)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	if (mn_vfs_resolve(vfs, cred, cwds[data[0] & 3], path,
			   data[0] & 8 ? MN_VFS_NOFOLLOW : 0, &e) == 0)
		mn_vfs_forget(vfs, e.ino, 1);
	if (mn_vfs_resolve_parent(vfs, cred, cwds[data[0] & 3], path, &parent,
				  name, &must_dir) == 0)
		mn_vfs_forget(vfs, parent, 1);
	mn_vfs_stat_path(vfs, cred, cwds[data[0] & 3], path,
			 data[0] & 8 ? MN_VFS_NOFOLLOW : 0, &st);
	if (mn_vfs_realpath(vfs, cred, cwds[data[0] & 3], path, real,
			    sizeof(real)) == 0 && real[0] != '/')
		abort();	/* a real path is absolute */
	free(path);
	return 0;
}
