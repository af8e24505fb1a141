/*
 * cmd_micronos-run_seed.c - the world of a seeded run (--seed N).
 *
 * A reproducible run needs every answer MicronOS gives to come from
 * MicronOS: its seeded random devices rather than the host's, its own
 * tree rather than a private tmpfs.  So a seeded run's throwaway instance
 * is a whole one, as `micronos up` boots it, only private and in memory:
 * the VFS (an in-memory storage), its FUSE mount on a temporary directory
 * under /tmp, and the sandbox's root built from that mount with /dev served
 * by MicronOS's drivers.  The mount goes away with the instance.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/vfs.h>

#include "cmd_idmap.h"
#include "cmd_micronos-run.h"
#include "fusefs.h"

static struct mn_fusefs_opts fuse_opts;
static struct mn_fusefs_idmap fuse_umaps[3], fuse_gmaps[3];
static char mount_dir[] = "/tmp/micronos-seed.XXXXXX";

int run_seed_attach(struct mn_kernel *k, struct run_opts *o,
		    const struct mn_sandbox_ids *ids, struct mn_strbuf *err)
{
	int e;

	if (!mkdtemp(mount_dir)) {
		mn_strbuf_printf(err, "cannot make a mount point: %s",
				 strerror(errno));
		return -errno;
	}
	/* sandboxed programs reach the mount through the user namespace */
	chmod(mount_dir, 0755);
	o->seed_mount = mount_dir;
	if ((e = mn_vfs_attach(k)) < 0) {
		mn_strbuf_printf(err, "cannot attach the VFS: %s",
				 strerror(-e));
		return e;
	}
	/* the instance's id rule, for this world's ids */
	fuse_opts.mountpoint = mount_dir;
	fuse_opts.uid_map = fuse_umaps;
	fuse_opts.gid_map = fuse_gmaps;
	fuse_opts.nuid_map = cmd_fuse_idmap(ids, 0, fuse_umaps);
	fuse_opts.ngid_map = cmd_fuse_idmap(ids, 1, fuse_gmaps);
	if ((e = mn_fusefs_attach(k, &fuse_opts)) < 0) {
		mn_strbuf_printf(err, "cannot attach the FUSE mount: %s",
				 strerror(-e));
		return e;
	}
	o->sb.root_dir = mount_dir;
	o->sb.root_flags = MN_SANDBOX_ROOT_DEV;
	return 0;
}

void run_seed_cleanup(struct run_opts *o)
{
	if (o->seed_mount)
		rmdir(o->seed_mount);
	o->seed_mount = NULL;
}
