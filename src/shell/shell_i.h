/*
 * shell_i.h - what the shell's command groups share: output helpers, argument
 * parsers (tables: texttable_i.h) and the handler prototypes.  The command
 * table in shell.c is the only place that lists the handlers.
 */
#ifndef MICRONOS_SHELL_I_H
#define MICRONOS_SHELL_I_H

#include <stdint.h>

#include <micronos/shell.h>
#include <micronos/strbuf.h>

#include "texttable_i.h"

/* --- output helpers (shell.c) ------------------------------------------- */

/* "NAME: message\n" to c->err; returns MN_SHELL_FAIL. */
int mn_shell_fail(struct mn_shell_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "NAME: message\nusage: ...\n" to c->err; returns MN_SHELL_USAGE. */
int mn_shell_usage(struct mn_shell_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A core error: "NAME: what: ENOENT (no such file or directory)". */
int mn_shell_errno(struct mn_shell_ctx *c, int err, const char *what);
/*
 * A core call failed with err and may have explained itself in msg (the
 * `err` strbuf most services take): prints that explanation, or the errno
 * description of `what` when msg is empty.  Releases msg.  MN_SHELL_FAIL.
 */
int mn_shell_fail_core(struct mn_shell_ctx *c, int err, struct mn_strbuf *msg,
		       const char *what);
int mn_shell_printf(struct mn_shell_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --- argument parsers (shell.c) ----------------------------------------- */

/* Decimal (or 0x hex) unsigned within [0, max]: 0, -EINVAL, -ERANGE. */
int mn_shell_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A signed decimal within [min, max]. */
int mn_shell_parse_i64(const char *s, int64_t min, int64_t max,
		       int64_t *out);

/* --- handlers ------------------------------------------------------------ */

/* shell.c */
int mn_shell_cmd_help(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_echo(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_exit(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_sys.c: system info */
int mn_shell_cmd_info(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_status(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_version(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_kernel(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_uptime(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_top(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_benchmark(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_fault.c: fault rules */
int mn_shell_cmd_fault(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_fault_add(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_fault_rm(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_fault_clear(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_proc.c: processes and signals */
int mn_shell_cmd_ps(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_spawn(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_suspend(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_resume(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_kill(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_signals(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_fs.c: file system */
int mn_shell_cmd_ls(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_mkdir(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_create(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_cat(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_rm(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_net.c: network */
int mn_shell_cmd_network(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_scan(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_discover(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_antenna(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_ping(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_sockets(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_events.c: log and events */
int mn_shell_cmd_log(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_events(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_events_list(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_events_stats(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_events_filter(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_events_by(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_events_export(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_events_clear(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_svc.c: services */
int mn_shell_cmd_ipc(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_channel_create(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_channel_send(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_channel_recv(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_config(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_stats(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_timers(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_timer_create(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_timer_cancel(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_health(struct mn_shell_ctx *c, int argc, char **argv);

/* shell_mem.c: memory, drivers, syscalls, posix */
int mn_shell_cmd_memory(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_memory_alloc(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_memory_free(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_drivers(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_driver(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_syscall_info(struct mn_shell_ctx *c, int argc, char **argv);
int mn_shell_cmd_syscall_invoke(struct mn_shell_ctx *c, int argc,
				char **argv);
int mn_shell_cmd_posix(struct mn_shell_ctx *c, int argc, char **argv);

#endif
