/*
 * sys_proc.c - the process and time syscalls: fork, getpid, getppid,
 * getuid, getgid, time.
 *
 * Like xv6's sysproc.c these only unpack the context and call into the
 * module that does the work (the process table, the clock).  None of them
 * takes a pointer argument, so the shell's `syscall invoke` may call them
 * with anything.  A context without the module a call needs (a unit test's
 * bare context) gets -ENOSYS with a message rather than a crash.
 */
#include <errno.h>

#include <micronos/clock.h>
#include <micronos/proc.h>

#include "syscall_i.h"

/*
 * fork() records a child of the caller in the process table, with the
 * caller's credentials, priority, command line and cwd, and returns its pid.
 * It creates no host process: for sandboxed programs the host's fork runs
 * natively and the sandbox registers the child it sees.
 */
long mn_sys_fork(struct mn_sysctx *ctx, const uint64_t args[6], void *data)
{
	int32_t child;

	(void)args, (void)data;
	if (!ctx->procs)
		return mn_sysctx_fail(ctx, -ENOSYS,
				      "fork: no process table");
	child = mn_proc_fork(ctx->procs, ctx->pid, 0, 0);
	if (child == -ESRCH)
		return mn_sysctx_fail(ctx, child, "fork: caller pid %d is not "
				      "a live process", (int)ctx->pid);
	if (child == -EAGAIN)
		return mn_sysctx_fail(ctx, child, "fork: no free pid");
	if (child < 0)
		return mn_sysctx_fail(ctx, child, "fork: failed (%d)",
				      (int)child);
	return child;
}

long mn_sys_getpid(struct mn_sysctx *ctx, const uint64_t args[6], void *data)
{
	(void)args, (void)data;
	return ctx->pid;
}

long mn_sys_getppid(struct mn_sysctx *ctx, const uint64_t args[6],
		    void *data)
{
	struct mn_proc_info info;

	(void)args, (void)data;
	if (!ctx->procs)
		return mn_sysctx_fail(ctx, -ENOSYS,
				      "getppid: no process table");
	if (mn_proc_get(ctx->procs, ctx->pid, &info) < 0)
		return mn_sysctx_fail(ctx, -ESRCH, "getppid: caller pid %d is "
				      "not in the process table",
				      (int)ctx->pid);
	return info.ppid;
}

long mn_sys_getuid(struct mn_sysctx *ctx, const uint64_t args[6], void *data)
{
	(void)args, (void)data;
	return (long)ctx->uid;
}

long mn_sys_getgid(struct mn_sysctx *ctx, const uint64_t args[6], void *data)
{
	(void)args, (void)data;
	return (long)ctx->gid;
}

/*
 * time() returns MicronOS wall-clock seconds since the Unix epoch: the
 * host's wall time at boot plus MicronOS monotonic time, so a step of the
 * host's clock after boot does not move MicronOS's.  Linux's optional out
 * pointer is the translating layer's business (it owns the user memory).
 */
long mn_sys_time(struct mn_sysctx *ctx, const uint64_t args[6], void *data)
{
	uint64_t ns;

	(void)args, (void)data;
	if (ctx->clock)
		ns = ctx->clock->boot_real_ns + mn_clock_now_ns(ctx->clock);
	else
		ns = mn_clock_host_real_ns();
	return (long)(ns / MN_NSEC_PER_SEC);
}
