/*
 * xlate_pidfd - pidfd_send_signal on a descriptor of MicronOS's /proc/PID.
 *
 * Linux accepts two kinds of descriptor in pidfd_send_signal: a pidfd and
 * a directory of procfs opened as /proc/PID.  Inside a running instance
 * /proc is MicronOS's FUSE tree, so the second kind names a FUSE directory
 * and the kernel refuses it with EBADF.  This trap finds out what the
 * caller's descriptor is (its /proc/TID/fd link, seen from here): a
 * directory of the instance's own mount whose path is exactly /proc/N
 * stands for MicronOS process N, and the call becomes what Linux would do
 * with a procfs directory: MicronOS's signal service checks the sender's
 * right (and records the signal), then the supervisor sends it through a
 * real pidfd of N's host process, with the caller's siginfo if it gave
 * one, so a reused pid is never hit.  Anything else (a real pidfd, a bad
 * descriptor, a procfs directory of a throwaway run) goes to the kernel
 * untouched, and its answer is the native one.
 *
 * What stays different: the receiver's siginfo names the sender as pid 0
 * (the signal comes from outside the namespace) unless the caller passed
 * its own siginfo.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <micronos/proc.h>

#include "sandbox_i.h"

#define ARG(c, i) ((c)->req->data.args[i])
/* PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP (Linux 6.9) */
#define PIDFD_SIGNAL_FLAGS 0x7

static enum sbx_verdict reply(struct sbx_call *c, long v)
{
	if (v < 0)
		c->resp->error = (int32_t)v;
	else
		c->resp->val = v;
	return SBX_ANSWER;
}

/*
 * The device of the mount a descriptor of the caller is on: its mount id
 * from fdinfo, then that mount's line of the caller's mountinfo.  No
 * getattr on the file: a /proc/N of a reaped process has none left.
 */
static int fd_dev(pid_t tid, int fd, dev_t *out)
{
	char path[64], line[1024];
	unsigned maj, min;
	int id = -1, mid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)tid, fd);
	if (!(f = fopen(path, "re")))
		return -EBADF;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %d", &id) == 1)
			break;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)tid);
	if (id < 0 || !(f = fopen(path, "re")))
		return -EBADF;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %*d %u:%u", &mid, &maj, &min) == 3 &&
		    mid == id) {
			*out = makedev(maj, min);
			fclose(f);
			return 0;
		}
	fclose(f);
	return -EBADF;
}

/* The MicronOS pid the caller's descriptor fd names, or 0 if it is no
   /proc/N of the instance's mount. */
static int32_t proc_dir_pid(struct sbx_call *c, int fd)
{
	const char *root = c->sb->cfg.root_dir;
	char path[64], link[256], tail;
	struct stat rst;
	int32_t pid;
	dev_t dev;
	ssize_t n;

	if (!root || fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)c->req->pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	/* a directory the tree dropped (its process was reaped) */
	if (n > 10 && !strcmp(link + n - 10, " (deleted)"))
		link[n - 10] = '\0';
	if (sscanf(link, "/proc/%d%c", &pid, &tail) != 1 || pid <= 0 ||
	    fd_dev(c->req->pid, fd, &dev) < 0 || stat(root, &rst) < 0 ||
	    dev != rst.st_dev)
		return 0;
	return pid;
}

enum sbx_verdict sbx_x_pidfd_send_signal(struct sbx_call *c)
{
	int sig = (int)ARG(c, 1), pfd;
	struct mn_proc_info me, target;
	siginfo_t info, *ip = NULL;
	int32_t pid = proc_dir_pid(c, (int)ARG(c, 0));
	long r;

	if (pid == 0 || sbx_call_valid(c) < 0)
		return SBX_CONTINUE;
	if (ARG(c, 3) & ~(uint64_t)PIDFD_SIGNAL_FLAGS)
		return reply(c, -EINVAL);
	if (ARG(c, 2)) {
		if (sbx_mem_read(c, ARG(c, 2), &info, sizeof(info)) < 0)
			return reply(c, -EFAULT);
		/* as Linux: only the sender's own kind of siginfo, and the
		   signal must match */
		if (info.si_signo != sig ||
		    ((info.si_code >= 0 || info.si_code == SI_TKILL) &&
		     pid != c->pid))
			return reply(c, info.si_signo != sig ? -EINVAL :
				     -EPERM);
		ip = &info;
	}
	if (mn_proc_get(c->sb->procs, c->pid, &me) < 0 ||
	    mn_proc_get(c->sb->procs, pid, &target) < 0 ||
	    target.state == MN_PROC_ZOMBIE)
		return reply(c, -ESRCH);
	if (target.host_pid <= 0 || target.kind != MN_PROC_USER)
		return reply(c, -EPERM);	/* a kernel task: no pidfd */
	/* reaped already, though its exit may not be in the table yet */
	pfd = (int)syscall(SYS_pidfd_open, target.host_pid, 0);
	if (pfd < 0)
		return reply(c, -ESRCH);
	r = sbx_signal_via_service(c->sb, &(struct mn_cred){c->pid, me.uid,
				   me.gid}, pid, sig, SBX_HOOK_SKIP);
	if (r < 0) {
		close(pfd);
		return reply(c, r);
	}
	/* flags (PIDFD_SIGNAL_*) mean the same on the real pidfd; the
	   kernel checks them */
	r = syscall(SYS_pidfd_send_signal, pfd, sig, ip,
		    (unsigned int)ARG(c, 3));
	close(pfd);
	return reply(c, r < 0 ? -errno : 0);
}
