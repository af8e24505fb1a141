/*
 * syscall_i.h - the core's syscall handlers (sys_proc.c), named here so
 * that syscall.c can list them in its table.
 */
#ifndef MICRONOS_SYSCALL_I_H
#define MICRONOS_SYSCALL_I_H

#include <micronos/syscall.h>

long mn_sys_fork(struct mn_sysctx *ctx, const uint64_t args[6], void *data);
long mn_sys_getpid(struct mn_sysctx *ctx, const uint64_t args[6], void *data);
long mn_sys_getppid(struct mn_sysctx *ctx, const uint64_t args[6],
		    void *data);
long mn_sys_getuid(struct mn_sysctx *ctx, const uint64_t args[6], void *data);
long mn_sys_getgid(struct mn_sysctx *ctx, const uint64_t args[6], void *data);
long mn_sys_time(struct mn_sysctx *ctx, const uint64_t args[6], void *data);

#endif
