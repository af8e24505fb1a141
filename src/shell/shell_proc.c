/*
 * shell_proc.c - the shell's "processes" group: ps, spawn, suspend, resume,
 * kill and signals.
 *
 * Everything that happens to a process goes through the signal service, as
 * it does for a sandboxed program calling kill(2): suspend is SIGSTOP,
 * resume SIGCONT, kill whatever signal was asked for.  The signal service
 * then suspends the kernel task's scheduler work, or signals the real host
 * program behind a process.  The shell acts as the kernel (no credential
 * check: only the instance's owner and root reach the control socket).
 *
 * spawn needs the sandbox, which replaces the handler with
 * mn_shell_set_hook(k, "spawn", NULL, ...) when it is loaded.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/signal.h>

#include "shell_i.h"

int mn_shell_cmd_ps(struct mn_shell_ctx *c, int argc, char **argv)
{
	int ret;

	(void)argc;
	(void)argv;
	ret = mn_proc_format(mn_kernel_procs(c->k), c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "process table");
	return MN_SHELL_OK;
}

int mn_shell_cmd_spawn(struct mn_shell_ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return mn_shell_fail(c, "needs the sandbox (micronos-run support "
				"not loaded)");
}

static int parse_pid(struct mn_shell_ctx *c, const char *s, int32_t *pid)
{
	int64_t v;

	if (mn_shell_parse_i64(s, 1, INT32_MAX, &v) < 0)
		return mn_shell_usage(c, "'%s' is not a process id", s);
	*pid = (int32_t)v;
	return 0;
}

/* Explains a refused signal in the terms of the target. */
static int signal_error(struct mn_shell_ctx *c, int32_t pid, int sig,
			int err)
{
	struct mn_proc_info pi;
	const char *name = mn_signal_name(sig);

	if (err == -ESRCH)
		return mn_shell_fail(c, "no process %d", pid);
	if (err == -EPERM &&
	    mn_proc_get(mn_kernel_procs(c->k), pid, &pi) == 0) {
		if (pi.kind == MN_PROC_INIT)
			return mn_shell_fail(c, "%s refused: pid 1 is init "
					     "and takes no %s",
					     name ? name : "signal",
					     name ? name : "such signal");
		if (pi.kind == MN_PROC_KTASK)
			return mn_shell_fail(c, "%s refused: %d (%s) is a "
					     "kernel task: it can be "
					     "suspended and resumed, not "
					     "killed",
					     name ? name : "signal", pid,
					     pi.comm);
	}
	return mn_shell_errno(c, err, name ? name : "signal");
}

/* Sends sig and reports the state the process is in afterwards. */
static int send_signal(struct mn_shell_ctx *c, int32_t pid, int sig,
		       const char *done)
{
	struct mn_proctab *pt = mn_kernel_procs(c->k);
	struct mn_proc_info pi;
	int ret = mn_signals_kill(mn_kernel_signals(c->k), NULL, pid, sig);

	if (ret < 0)
		return signal_error(c, pid, sig, ret);
	if (mn_proc_get(pt, pid, &pi) < 0)
		mn_shell_printf(c, "%s %d: gone\n", done, pid);
	else
		mn_shell_printf(c, "%s %d (%s): %s\n", done, pid, pi.comm,
				mn_proc_state_name(pi.state));
	return MN_SHELL_OK;
}

int mn_shell_cmd_suspend(struct mn_shell_ctx *c, int argc, char **argv)
{
	int32_t pid = 0;

	(void)argc;
	if (parse_pid(c, argv[1], &pid))
		return MN_SHELL_USAGE;
	return send_signal(c, pid, SIGSTOP, "suspended");
}

int mn_shell_cmd_resume(struct mn_shell_ctx *c, int argc, char **argv)
{
	int32_t pid = 0;

	(void)argc;
	if (parse_pid(c, argv[1], &pid))
		return MN_SHELL_USAGE;
	return send_signal(c, pid, SIGCONT, "resumed");
}

int mn_shell_cmd_kill(struct mn_shell_ctx *c, int argc, char **argv)
{
	int32_t pid = 0;
	int sig = SIGTERM;
	const char *name;
	char done[64];

	if (parse_pid(c, argv[1], &pid))
		return MN_SHELL_USAGE;
	if (argc == 3) {
		sig = mn_signal_parse(argv[2]);
		if (sig < 0)
			return mn_shell_usage(c, "unknown signal '%s' (try "
					      "TERM, KILL, STOP, CONT, HUP, "
					      "USR1 or a number 0..64)",
					      argv[2]);
	}
	name = sig ? mn_signal_name(sig) : "signal 0";
	snprintf(done, sizeof(done), "sent %s to", name);
	return send_signal(c, pid, sig, done);
}

int mn_shell_cmd_signals(struct mn_shell_ctx *c, int argc, char **argv)
{
	int32_t pid = 0;
	int ret;

	if (argc == 2 && parse_pid(c, argv[1], &pid))
		return MN_SHELL_USAGE;
	ret = mn_signals_format(mn_kernel_signals(c->k), pid, c->out);
	if (ret == -ESRCH)
		return mn_shell_fail(c, "no process %d", pid);
	if (ret < 0)
		return mn_shell_errno(c, ret, "signals");
	return MN_SHELL_OK;
}
