/*
 * xlate - the translation table: one row per trapped Linux syscall, and
 * the MicronOS syscall (or service) it becomes.
 *
 * Like xv6's syscall table the rows are filled by number; a number with no
 * row is never trapped (filter.c builds its notify list from this table).
 * Each handler decodes the arguments once (copying any memory they point
 * to), dispatches to the core, and answers in one of three ways:
 *
 *   ANSWER    the MicronOS result is the call's result;
 *   CONTINUE  the kernel runs the call: only where the decision does not
 *             depend on memory the program could change afterwards and the
 *             namespaces enforce the same rule (MicronOS pids ARE the pid
 *             namespace's, uids ARE the user namespace's);
 *   SENT      a descriptor was injected with ADDFD|SEND.
 *
 * Fails closed: a supervisor error is the call's error, never a CONTINUE.
 * Every trapped call is counted on its process (mn_proc_add_syscalls), so
 * /proc/PID and `ps` show per-process syscall counts.
 *
 * Not trapped, by design: clock_gettime/gettimeofday/time reach the vDSO
 * and never enter the kernel (the time namespace gives monotonic and boot
 * clocks MicronOS's origin); reads and writes go to real descriptors.
 */
#include <errno.h>
#include <linux/audit.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <micronos/evbus.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/signal.h>
#include <micronos/sys_ident.h>

#include "sandbox_i.h"
#include "xlate_net.h"

typedef enum sbx_verdict xlate_fn(struct sbx_call *c);

struct xrow {
	const char *name;	/* Linux name, for messages and man page */
	xlate_fn *fn;
};

#define ARG(c, i) ((c)->req->data.args[i])

static enum sbx_verdict answer(struct sbx_call *c, long v)
{
	if (v < 0)
		c->resp->error = (int32_t)v;
	else
		c->resp->val = v;
	return SBX_ANSWER;
}

static long dispatch(struct sbx_call *c, uint32_t nr, uint64_t a0,
		     uint64_t a1)
{
	uint64_t args[6] = {a0, a1, 0, 0, 0, 0};

	return mn_syscall_dispatch(c->sb->syscalls, c->ctx, nr, args);
}

/* Fills the context with the caller's MicronOS credentials. */
static int load_cred(struct sbx_call *c)
{
	struct mn_proc_info info;

	if (mn_proc_get(c->sb->procs, c->pid, &info) < 0)
		return -ESRCH;
	c->ctx->uid = info.uid;
	c->ctx->gid = info.gid;
	return 0;
}

/* ---- process identity ---- */

static enum sbx_verdict x_getpid(struct sbx_call *c)
{
	return answer(c, dispatch(c, MN_SYS_GETPID, 0, 0));
}

/* MicronOS has no threads: a main thread's tid is its pid; other threads'
   tids are the namespace's, which the kernel gives. */
static enum sbx_verdict x_gettid(struct sbx_call *c)
{
	if ((pid_t)c->req->pid != c->host_tgid)
		return SBX_CONTINUE;
	return answer(c, dispatch(c, MN_SYS_GETPID, 0, 0));
}

/* The pid namespace is authoritative for the parent: it reparents to
   init (or a subreaper) the moment a parent dies, while MicronOS learns of
   the death through a pidfd a little later. */
static enum sbx_verdict x_getppid(struct sbx_call *c)
{
	(void)c;
	return SBX_CONTINUE;
}

static enum sbx_verdict x_getuid(struct sbx_call *c)
{
	if (load_cred(c) < 0)
		return answer(c, -ESRCH);
	return answer(c, dispatch(c, MN_SYS_GETUID, 0, 0));
}

static enum sbx_verdict x_getgid(struct sbx_call *c)
{
	if (load_cred(c) < 0)
		return answer(c, -ESRCH);
	return answer(c, dispatch(c, MN_SYS_GETGID, 0, 0));
}

static enum sbx_verdict x_geteuid(struct sbx_call *c)
{
	return answer(c, dispatch(c, MN_SYS_GETEUID, 0, 0));
}

static enum sbx_verdict x_getegid(struct sbx_call *c)
{
	return answer(c, dispatch(c, MN_SYS_GETEGID, 0, 0));
}

/* getresuid/getresgid: real and effective from MicronOS; saved = effective
   (MicronOS keeps no saved id; with no_new_privs they only differ after a
   deliberate setresuid, which re-syncs the record, see x_setid). */
static enum sbx_verdict getres(struct sbx_call *c, uint32_t nr_real,
			       uint32_t nr_eff)
{
	uint32_t ids[3];
	long r, e;
	int i, err;

	if (load_cred(c) < 0)
		return answer(c, -ESRCH);
	r = dispatch(c, nr_real, 0, 0);
	e = dispatch(c, nr_eff, 0, 0);
	if (r < 0 || e < 0)
		return answer(c, r < 0 ? r : e);
	ids[0] = (uint32_t)r;
	ids[1] = ids[2] = (uint32_t)e;
	for (i = 0; i < 3; i++)
		if ((err = sbx_mem_write(c, ARG(c, i), &ids[i],
					 sizeof(ids[i]))) < 0)
			return answer(c, err == -ENOENT ? -ESRCH : -EFAULT);
	return answer(c, 0);
}

static enum sbx_verdict x_getresuid(struct sbx_call *c)
{
	return getres(c, MN_SYS_GETUID, MN_SYS_GETEUID);
}

static enum sbx_verdict x_getresgid(struct sbx_call *c)
{
	return getres(c, MN_SYS_GETGID, MN_SYS_GETEGID);
}

/*
 * set*id: the user namespace enforces who may become whom, so the kernel
 * runs the call; the record is re-read from the host once it has run (the
 * caller's next trapped call), marked here.
 */
static __thread int32_t setid_pending;

static enum sbx_verdict x_setid(struct sbx_call *c)
{
	setid_pending = c->pid;
	return SBX_CONTINUE;
}

/* ---- uname, time ---- */

static enum sbx_verdict x_uname(struct sbx_call *c)
{
	struct mn_utsname u;
	long r = dispatch(c, MN_SYS_UNAME, (uint64_t)(uintptr_t)&u, 0);
	int e;

	if (r < 0)
		return answer(c, r);
	e = sbx_mem_write(c, ARG(c, 0), &u, sizeof(u));
	return answer(c, e == 0 ? 0 : e == -ENOENT ? -ESRCH : -EFAULT);
}

static enum sbx_verdict x_time(struct sbx_call *c)
{
	long t = dispatch(c, MN_SYS_TIME, 0, 0);
	int64_t v = t;

	if (t >= 0 && ARG(c, 0) && sbx_mem_write(c, ARG(c, 0), &v,
						 sizeof(v)) < 0)
		return answer(c, -EFAULT);
	return answer(c, t);
}

/* ---- exec ---- */

#define EXEC_ARGS_MAX 256
#define EXEC_BYTES_MAX 16384

/*
 * Records the command line the program asked for, then lets the kernel
 * exec.  The record is what the program asked for; what runs is decided by
 * the kernel inside the root, so a racing thread can only make the record
 * wrong, never the sandbox weaker.  The copy is capped (first 256 args,
 * 16 KiB), like ps's view.
 */
static enum sbx_verdict x_exec(struct sbx_call *c)
{
	int at = c->req->data.nr == __NR_execveat;
	uint64_t vec = ARG(c, at ? 2 : 1);
	char *buf = malloc(EXEC_BYTES_MAX), path[SBX_MAX_PATH];
	const char *argv[EXEC_ARGS_MAX + 1];
	size_t used = 0, n = 0;
	int len;

	if (!buf)
		return answer(c, -ENOMEM);
	len = sbx_mem_read_str(c, ARG(c, at ? 1 : 0), path, sizeof(path));
	if (len < 0)
		goto fault;
	while (vec && n < EXEC_ARGS_MAX && used < EXEC_BYTES_MAX - 1) {
		uint64_t p;

		if (sbx_mem_read(c, vec + n * 8, &p, sizeof(p)) < 0)
			goto fault;
		if (!p)
			break;
		len = sbx_mem_read_str(c, p, buf + used,
				       EXEC_BYTES_MAX - used);
		if (len == -ENAMETOOLONG)
			break;	/* keep what fits */
		if (len < 0)
			goto fault;
		argv[n++] = buf + used;
		used += (size_t)len + 1;
	}
	argv[n] = NULL;
	{
		const char *base = strrchr(path, '/');

		dispatch(c, MN_SYS_EXEC, (uint64_t)(uintptr_t)argv,
			 (uint64_t)(uintptr_t)(base ? base + 1 : path));
	}
	free(buf);
	return SBX_CONTINUE;
fault:
	free(buf);
	return answer(c, -EFAULT);
}

/* ---- signals ---- */

/*
 * kill, tkill, tgkill: MicronOS's signal service checks and records the
 * signal (SignalReceived) and the kernel delivers it, so the receiver's
 * siginfo names the real sender.  Targets that are MicronOS kernel tasks
 * (pids the namespace reserved) are served entirely by MicronOS.  Process
 * groups and kill(-1) are the namespace's business: published, continued.
 */
static enum sbx_verdict signal_to(struct sbx_call *c, int32_t target, int sig)
{
	struct mn_proc_info info;
	long r;
	int real;

	if (target <= 0 || sig < 0 || sig > MN_SIG_MAX) {
		mn_evbus_publish(c->sb->bus, MN_EV_SIGNAL_RECEIVED,
				 MN_SRC_PROCESS, c->pid, "signal %d to group "
				 "%d from pid %d", sig, (int)-target,
				 (int)c->pid);
		return SBX_CONTINUE;
	}
	if (load_cred(c) < 0)
		return answer(c, -ESRCH);
	if (mn_proc_get(c->sb->procs, target, &info) < 0)
		return SBX_CONTINUE;	/* not yet seen: the kernel knows it */
	real = info.host_pid != 0 && info.kind == MN_PROC_USER;
	r = sbx_signal_via_service(c->sb, &(struct mn_cred){c->pid,
				   c->ctx->uid, c->ctx->gid}, target, sig,
				   real ? SBX_HOOK_SKIP : SBX_HOOK_PID);
	if (r < 0)
		return answer(c, r);
	return real ? SBX_CONTINUE : answer(c, 0);
}

static enum sbx_verdict x_kill(struct sbx_call *c)
{
	return signal_to(c, (int32_t)ARG(c, 0), (int)ARG(c, 1));
}

static enum sbx_verdict x_tkill(struct sbx_call *c)
{
	/* a tid: the main thread's tid is the process's pid */
	return signal_to(c, (int32_t)ARG(c, 0), (int)ARG(c, 1));
}

static enum sbx_verdict x_tgkill(struct sbx_call *c)
{
	return signal_to(c, (int32_t)ARG(c, 0), (int)ARG(c, 2));
}

/* ---- files ---- */

/*
 * open, openat, openat2: counted on the process; with tracing on, the path
 * (copied once) is published as DiskRead/DiskWrite.  The mount namespace
 * confines every path (its root is the sandbox's), so the kernel opens.
 */
static enum sbx_verdict x_open(struct sbx_call *c)
{
	int nr = c->req->data.nr;
	uint64_t path_arg = ARG(c, nr == __NR_open ? 0 : 1);
	uint64_t flags = nr == __NR_openat2 ? 0 : ARG(c, nr == __NR_open ? 1 :
						       2);
	char path[SBX_MAX_PATH];
	int len;

	if (!c->sb->trace_files && !c->trace)
		return SBX_CONTINUE;
	if (nr == __NR_openat2 && sbx_mem_read(c, ARG(c, 2), &flags,
					       sizeof(flags)) < 0)
		return answer(c, -EFAULT);
	len = sbx_mem_read_str(c, path_arg, path, sizeof(path));
	if (len < 0)
		return answer(c, len == -ENAMETOOLONG ? -ENAMETOOLONG :
			      -EFAULT);
	mn_evbus_publish(c->sb->bus, (flags & O_ACCMODE) == O_RDONLY ?
			 MN_EV_DISK_READ : MN_EV_DISK_WRITE, MN_SRC_PROCESS,
			 c->pid, "open %s", path);
	return SBX_CONTINUE;
}

static const struct xrow table[] = {
	[__NR_getpid] = {"getpid", x_getpid},
	[__NR_gettid] = {"gettid", x_gettid},
	[__NR_getppid] = {"getppid", x_getppid},
	[__NR_getuid] = {"getuid", x_getuid},
	[__NR_getgid] = {"getgid", x_getgid},
	[__NR_geteuid] = {"geteuid", x_geteuid},
	[__NR_getegid] = {"getegid", x_getegid},
	[__NR_getresuid] = {"getresuid", x_getresuid},
	[__NR_getresgid] = {"getresgid", x_getresgid},
	[__NR_setuid] = {"setuid", x_setid},
	[__NR_setgid] = {"setgid", x_setid},
	[__NR_setreuid] = {"setreuid", x_setid},
	[__NR_setregid] = {"setregid", x_setid},
	[__NR_setresuid] = {"setresuid", x_setid},
	[__NR_setresgid] = {"setresgid", x_setid},
	[__NR_uname] = {"uname", x_uname},
	[__NR_time] = {"time", x_time},
	[__NR_execve] = {"execve", x_exec},
	[__NR_execveat] = {"execveat", x_exec},
	[__NR_kill] = {"kill", x_kill},
	[__NR_tkill] = {"tkill", x_tkill},
	[__NR_tgkill] = {"tgkill", x_tgkill},
	[__NR_open] = {"open", x_open},
	[__NR_openat] = {"openat", x_open},
	[__NR_openat2] = {"openat2", x_open},
	/* the network: xlate_net.c */
	[__NR_socket] = {"socket", sbx_x_socket},
	[__NR_bind] = {"bind", sbx_x_bind},
	[__NR_listen] = {"listen", sbx_x_listen},
	[__NR_accept] = {"accept", sbx_x_accept},
	[__NR_accept4] = {"accept4", sbx_x_accept},
	[__NR_connect] = {"connect", sbx_x_connect},
	[__NR_shutdown] = {"shutdown", sbx_x_shutdown},
	[__NR_socketpair] = {"socketpair", sbx_x_socketpair},
	/* calls that carry an address: the policy is checked on a copy
	   (sendto only when it has one: filter.c) */
	[__NR_sendto] = {"sendto", sbx_x_sendto},
	[__NR_sendmsg] = {"sendmsg", sbx_x_sendmsg},
	[__NR_sendmmsg] = {"sendmmsg", sbx_x_sendmsg},
};

#define NROWS (sizeof(table) / sizeof(table[0]))

size_t sbx_xlate_trapped(int *nrs, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < NROWS; i++)
		if (table[i].fn && n < max)
			nrs[n++] = (int)i;
	return n;
}

/* After a set*id ran, the record takes the host's new ids. */
static void resync_ids(struct sbx_call *c)
{
	char path[64], line[128];
	uint32_t r, e, gr, ge, base = c->sb->uid_base;
	int got = 0;
	FILE *f;

	setid_pending = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->req->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u", &r, &e) == 2)
			got |= 1;
		else if (sscanf(line, "Gid: %u %u", &gr, &ge) == 2)
			got |= 2;
	fclose(f);
	if (got == 3)
		mn_proc_set_ids(c->sb->procs, c->pid, r - base, e - base,
				gr - base, ge - base);
}

enum sbx_verdict sbx_xlate(struct sbx_call *c)
{
	int nr = c->req->data.nr;

	/* the filter only traps native calls, but the table is the law */
	if (c->req->data.arch != AUDIT_ARCH_X86_64 || nr < 0 ||
	    (size_t)nr >= NROWS || !table[nr].fn)
		return answer(c, -ENOSYS);
	c->ctx->pid = c->pid;
	c->ctx->uid = c->ctx->gid = 0;
	c->ctx->caller = c;
	if (setid_pending == c->pid)
		resync_ids(c);
	mn_proc_add_syscalls(c->sb->procs, c->pid, 1);
	return table[nr].fn(c);
}

int sbx_xlate_install(struct mn_sandbox *sb)
{
	return mn_sys_ident_install(sb->syscalls, sb->signals);
}
