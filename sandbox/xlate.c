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
 * clocks MicronOS's origin), so the raw time syscall is left native too:
 * it answers as time() does; reads and writes go to real descriptors.
 *
 * Not trapped either, for exactness under signals: the identity calls
 * (getpid, gettid, getppid, get[e]uid, get[e]gid, getres[ug]id).  A
 * trapped call can be interrupted in the moment before the supervisor
 * receives it, and the kernel then returns EINTR to a handler without
 * SA_RESTART (notify.c); these calls never fail natively, and their
 * native answer IS MicronOS's: MicronOS pids are the pid namespace's and
 * MicronOS ids the user namespace's (the record follows set*id, below).
 *
 * Continued calls whose effect MicronOS records (set*id, execve) run in
 * the kernel after the answer, so the record is made once they have run:
 * a pending entry per process, resolved at the process's next trapped
 * call or the control thread's tick (sbx_xlate_tick).
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

/* ---- set*id ---- */

/*
 * The user namespace enforces who may become whom, so the kernel runs the
 * call; the record takes the host's new ids once it has run (aftercall.c).
 */
static enum sbx_verdict x_setid(struct sbx_call *c)
{
	sbx_after_setid(c);
	return SBX_CONTINUE;
}

/* ---- uname ---- */

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

/*
 * getrandom, trapped only in a deterministic world (filter.c): each
 * process gets its own stream, a counter-mode splitmix64 of the instance's
 * seed, its pid and the byte offset it reached, so that a seeded run
 * repeats whatever order concurrent processes call in (pids repeat too).
 * Python's os.urandom and hash seed come from here.  Like Linux, a request
 * is served whole up to 32 MiB.
 */
#define RANDOM_MAX (32u << 20)
#define RANDOM_CHUNK 4096

static uint64_t random_block(uint64_t seed, int32_t pid, uint64_t i)
{
	uint64_t z = seed ^ ((uint64_t)(uint32_t)pid << 32) ^
		     (i * 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static enum sbx_verdict x_getrandom(struct sbx_call *c)
{
	unsigned char buf[RANDOM_CHUNK];
	uint64_t len = ARG(c, 1), done = 0, off;

	if (!c->sb->seeded)
		return SBX_CONTINUE;
	if (len > RANDOM_MAX)
		len = RANDOM_MAX;
	off = sbx_proc_take_random(c->sb, c->pid, len);
	while (done < len) {
		size_t n = len - done < RANDOM_CHUNK ? len - done : RANDOM_CHUNK;
		size_t k;
		int e;

		for (k = 0; k < n; k++) {
			uint64_t at = off + done + k;

			buf[k] = (unsigned char)(random_block(c->sb->seed,
							      c->pid, at / 8) >>
						 (8 * (at % 8)));
		}
		e = sbx_mem_write(c, ARG(c, 0) + done, buf, n);
		if (e < 0)
			return answer(c, e == -ENOENT ? -ESRCH : -EFAULT);
		done += n;
	}
	return answer(c, (long)done);
}

/*
 * clone (a process, not a thread), fork, vfork: trapped only for runs
 * whose fault rules name fork (filter.c); the rules are asked before this
 * row (sbx_xlate), so what reaches it goes on natively.
 */
static enum sbx_verdict x_fork(struct sbx_call *c)
{
	(void)c;
	return SBX_CONTINUE;
}

/* ---- exec ---- */

/*
 * Copies the command line the program asked for and lets the kernel exec;
 * the copy is recorded only once the exec has happened (aftercall.c): a
 * failed execve leaves the process's name alone.  What runs is decided by
 * the kernel inside the root, so a racing thread can only make the record
 * wrong, never the sandbox weaker.  The copy is capped (first 256 args,
 * 16 KiB), like ps's view.
 */
static enum sbx_verdict x_exec(struct sbx_call *c)
{
	int at = c->req->data.nr == __NR_execveat;
	uint64_t vec = ARG(c, at ? 2 : 1);
	struct sbx_exec_rec *x = malloc(sizeof(*x));
	char path[SBX_MAX_PATH];
	const char *base;
	size_t used = 0, n = 0;
	int len;

	if (!x)
		return answer(c, -ENOMEM);
	len = sbx_mem_read_str(c, ARG(c, at ? 1 : 0), path, sizeof(path));
	if (len < 0)
		goto fault;
	while (vec && n < SBX_EXEC_ARGS_MAX && used < sizeof(x->buf) - 1) {
		uint64_t p;

		if (sbx_mem_read(c, vec + n * 8, &p, sizeof(p)) < 0)
			goto fault;
		if (!p)
			break;
		len = sbx_mem_read_str(c, p, x->buf + used,
				       sizeof(x->buf) - used);
		if (len == -ENAMETOOLONG)
			break;	/* keep what fits */
		if (len < 0)
			goto fault;
		x->argv[n++] = x->buf + used;
		used += (size_t)len + 1;
	}
	x->argv[n] = NULL;
	base = strrchr(path, '/');
	/* a file name is at most 255 bytes (NAME_MAX) */
	snprintf(x->name, sizeof(x->name), "%.255s", base ? base + 1 : path);
	sbx_after_exec(c, x);
	return SBX_CONTINUE;
fault:
	free(x);
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
	[__NR_setuid] = {"setuid", x_setid},
	[__NR_setgid] = {"setgid", x_setid},
	[__NR_setreuid] = {"setreuid", x_setid},
	[__NR_setregid] = {"setregid", x_setid},
	[__NR_setresuid] = {"setresuid", x_setid},
	[__NR_setresgid] = {"setresgid", x_setid},
	[__NR_uname] = {"uname", x_uname},
	[__NR_getrandom] = {"getrandom", x_getrandom},
	[__NR_clone] = {"clone", x_fork},
	[__NR_fork] = {"fork", x_fork},
	[__NR_vfork] = {"vfork", x_fork},
	[__NR_execve] = {"execve", x_exec},
	[__NR_execveat] = {"execveat", x_exec},
	[__NR_kill] = {"kill", x_kill},
	[__NR_tkill] = {"tkill", x_tkill},
	[__NR_tgkill] = {"tgkill", x_tgkill},
	/* a /proc/PID directory of MicronOS's /proc: xlate_pidfd.c */
	[__NR_pidfd_send_signal] = {"pidfd_send_signal",
				    sbx_x_pidfd_send_signal},
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

enum sbx_verdict sbx_xlate(struct sbx_call *c)
{
	int nr = c->req->data.nr;
	long fault;

	/* the filter only traps native calls, but the table is the law */
	if (c->req->data.arch != AUDIT_ARCH_X86_64 || nr < 0 ||
	    (size_t)nr >= NROWS || !table[nr].fn)
		return answer(c, -ENOSYS);
	c->ctx->pid = c->pid;
	c->ctx->uid = c->ctx->gid = 0;
	c->ctx->caller = c;
	sbx_after_call(c);
	mn_proc_add_syscalls(c->sb->procs, c->pid, 1);
	/* fault rules (faults.c); opens are the mount's to fault, once */
	if (strncmp(table[nr].name, "open", 4) != 0 &&
	    (fault = sbx_fault_call(c->sb, table[nr].name, c->pid)) < 0)
		return answer(c, fault);
	return table[nr].fn(c);
}

int sbx_xlate_install(struct mn_sandbox *sb)
{
	return mn_sys_ident_install(sb->syscalls, sb->signals);
}
