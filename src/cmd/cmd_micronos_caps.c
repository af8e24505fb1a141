/*
 * cmd_micronos_caps.c - what a root-started daemon keeps of root.
 *
 * A daemon started by root gives up, before its first thread exists (so
 * every thread it will ever have inherits it, libfuse's workers included),
 * every capability its code never uses: from the effective, permitted and
 * inheritable sets and from the bounding set, so that nothing it execs
 * (fusermount3 and newuidmap are setuid root) can take them back.  What it
 * keeps, each for a call it makes (ARCHITECTURE.md, "Privilege"):
 *
 *   SYS_ADMIN      mounting and unmounting FUSE, the world's namespaces,
 *                  setns into the world's network namespace
 *   SETUID/SETGID  writing a new world's uid_map/gid_map (a world is
 *                  made again after its init dies)
 *   CHOWN, FOWNER, DAC_OVERRIDE, DAC_READ_SEARCH, FSETID
 *                  storage's host files, kept on MicronOS's owners' behalf
 *                  (open_by_handle_at needs DAC_READ_SEARCH)
 *   KILL           signals to programs through their pidfds
 *   SYS_PTRACE     reading a trapped call's arguments from the program
 *   SYS_NICE       priority classes (negative nice values)
 *   SYS_RESOURCE   the descriptor limit storage raises
 *   SYS_CHROOT     the world's pivot_root
 *   NET_BIND_SERVICE, NET_ADMIN  network policy host: programs' ports
 *                  below 1024, socket namespace lookups
 *
 * Everything else goes: modules, raw I/O, BPF, perf, time, boot, audit,
 * MAC, raw sockets, immutable files, leases, mknod, ...  The sandboxed
 * world is unaffected: a new user namespace starts with a full set of
 * its own.  A rootless instance has none of these on the host at all;
 * that is the way to run MicronOS with no host privilege.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "micronos_i.h"

#define KEEP(c) (1ULL << (c))

uint64_t mn_cmd_kept_caps(void)
{
	return KEEP(CAP_SYS_ADMIN) | KEEP(CAP_SETUID) | KEEP(CAP_SETGID) |
	       KEEP(CAP_CHOWN) | KEEP(CAP_FOWNER) | KEEP(CAP_DAC_OVERRIDE) |
	       KEEP(CAP_DAC_READ_SEARCH) | KEEP(CAP_FSETID) | KEEP(CAP_KILL) |
	       KEEP(CAP_SYS_PTRACE) | KEEP(CAP_SYS_NICE) |
	       KEEP(CAP_SYS_RESOURCE) | KEEP(CAP_SYS_CHROOT) |
	       KEEP(CAP_NET_BIND_SERVICE) | KEEP(CAP_NET_ADMIN);
}

/* The highest capability this kernel knows. */
static int last_cap(void)
{
	int c = CAP_LAST_CAP;

	while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	return c;
}

int mn_cmd_drop_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	uint64_t keep = mn_cmd_kept_caps(), eff, prm;
	int c, top = last_cap();

	if (geteuid() != 0)
		return 0;
	/* the bounding set first: dropping needs SETPCAP, dropped last */
	for (c = 0; c <= top; c++)
		if (!(keep & KEEP(c)) && c != CAP_SETPCAP &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAPBSET_DROP, CAP_SETPCAP, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	eff = ((uint64_t)d[1].effective << 32 | d[0].effective) & keep;
	prm = ((uint64_t)d[1].permitted << 32 | d[0].permitted) & keep;
	memset(d, 0, sizeof(d));
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	/* inheritable and ambient: none */
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}
