/*
 * bench_fs - serves a MicronOS tree over FUSE for the file system
 * benchmark (bench/bench_fs.sh), which measures it with dd and find beside
 * bindfs on the same data.
 *
 *   bench_fs MOUNTPOINT DATADIR [--no-splice] [--vfs-permissions] [--debug]
 *
 * Boots a kernel whose storage lives in DATADIR/storage, mounts its tree at
 * MOUNTPOINT, prints "ready" on stdout and serves until SIGINT or SIGTERM,
 * then shuts down (unmounting).  Only the kernel, the VFS and the FUSE
 * adapter: no shell, no control socket.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <micronos/kernel.h>
#include <micronos/vfs.h>

#include "fusefs.h"

static int usage(void)
{
	fprintf(stderr, "usage: bench_fs MOUNTPOINT DATADIR [--no-splice] "
			"[--vfs-permissions] [--no-readdirplus] [--debug]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct mn_kernel_opts ko = {.name = "bench"};
	struct mn_fusefs_opts fo = {0};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_kernel *k;
	sigset_t set;
	int i, sig, rc;

	if (argc < 3)
		return usage();
	fo.mountpoint = argv[1];
	ko.data_dir = argv[2];
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--no-splice"))
			fo.flags |= MN_FUSEFS_NO_SPLICE;
		else if (!strcmp(argv[i], "--vfs-permissions"))
			fo.flags |= MN_FUSEFS_VFS_PERMISSIONS;
		else if (!strcmp(argv[i], "--no-readdirplus"))
			fo.flags |= MN_FUSEFS_NO_READDIRPLUS;
		else if (!strcmp(argv[i], "--debug"))
			fo.flags |= MN_FUSEFS_DEBUG;
		else
			return usage();
	}
	/* Blocked before any thread starts, so only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((rc = mn_kernel_create(&k, &ko)) < 0) {
		fprintf(stderr, "bench_fs: %s\n", strerror(-rc));
		return 1;
	}
	if ((rc = mn_vfs_attach(k)) < 0 ||
	    (rc = mn_fusefs_attach(k, &fo)) < 0 ||
	    (rc = mn_kernel_boot(k, &err)) < 0) {
		fprintf(stderr, "bench_fs: %s (%s)\n", mn_strbuf_str(&err),
			strerror(-rc));
		mn_strbuf_release(&err);
		mn_kernel_destroy(k);
		return 1;
	}
	printf("ready %s\n", mn_fusefs_mountpoint(mn_fusefs_of(k)));
	fflush(stdout);
	sigwait(&set, &sig);
	mn_kernel_destroy(k);
	mn_strbuf_release(&err);
	return 0;
}
