/*
 * fs_root.c - the file system a VFS is created over: storage in a host
 * directory when the instance has a data dir, else an in-memory tmp tree.
 *
 * mn_vfs_create() lives here, not in vfs.c, because choosing the root is
 * knowing the file systems: the VFS core (src/vfs) names none of them, so
 * src/fs depends on src/vfs and never the other way (ARCHITECTURE.md,
 * "Folders").  Kept apart from fs_stage.c so that a test of the VFS alone
 * links without the kernel's boot stages.
 */
#include <micronos/vfs.h>

#include "vfs_i.h"

static int make_root(struct mn_vfs *vfs, const struct mn_vfs_opts *opts,
		     struct mn_fs **out)
{
	if (opts && opts->storage_dir)
		return mn_fs_storage_create(vfs, opts->storage_dir, out);
	return mn_fs_tmp_create(vfs, mn_vfs_tmp_max(vfs), out);
}

int mn_vfs_create(struct mn_vfs **out, const struct mn_vfs_opts *opts)
{
	return mn_vfs_create_rooted(out, opts, make_root);
}
