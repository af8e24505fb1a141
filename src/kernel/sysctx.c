/*
 * sysctx.c - filling a syscall context from a kernel.
 *
 * Kept apart from the dispatcher so that code which builds its contexts by
 * hand (the dispatcher's unit test, the benchmark) does not pull the whole
 * kernel in through the static library.
 */
#include <micronos/kernel.h>
#include <micronos/syscall.h>

void mn_sysctx_init(struct mn_sysctx *ctx, struct mn_kernel *k, int32_t pid,
		    uint32_t uid, uint32_t gid)
{
	ctx->k = k;
	ctx->procs = k ? mn_kernel_procs(k) : NULL;
	ctx->clock = k ? mn_kernel_clock(k) : NULL;
	ctx->bus = k ? mn_kernel_evbus(k) : NULL;
	ctx->pid = pid;
	ctx->uid = uid;
	ctx->gid = gid;
	ctx->caller = NULL;
	ctx->msg[0] = '\0';
}
