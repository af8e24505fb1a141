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
 * ps and signals read the one process view (<micronos/pview.h>) that
 * /proc and top read: a state, a time or a signal set is the same wherever
 * it is shown.
 *
 * spawn needs the sandbox, which replaces the handler with
 * mn_shell_set_hook(k, "spawn", NULL, ...) when it is loaded.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/pview.h>
#include <micronos/signal.h>

#include "shell_i.h"
#include "texttable_i.h"

/* Every live pid, ascending; returns the count, or -ENOMEM. */
static int all_pids(struct mn_kernel *k, int32_t **out)
{
	struct mn_proctab *pt = mn_kernel_procs(k);
	size_t max = mn_proc_count(pt) + 16, n;
	int32_t *pids = malloc(max * sizeof(*pids));

	if (!pids)
		return -ENOMEM;
	n = mn_proc_pids(pt, pids, max);
	*out = pids;
	return (int)(n < max ? n : max);
}

int mn_shell_cmd_ps(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_proctab *pt = mn_kernel_procs(c->k);
	struct mn_texttable t;
	struct mn_pview v;
	int32_t *pids;
	char cmd[256], rss[32];
	int i, n = all_pids(c->k, &pids);

	(void)argc;
	(void)argv;
	if (n < 0)
		return mn_shell_errno(c, n, "process table");
	mn_texttable_init_header(&t, ">PID|>PPID|>PGID|>SID|>UID|S|PRIO|>NI|"
				 "KIND|>THR|>RSS|>TIME|>SYSCALLS|CMD");
	for (i = 0; i < n; i++) {
		uint64_t cpu;

		if (mn_pview_get(c->k, pids[i], &v) < 0)
			continue;	/* gone since the list */
		cpu = mn_pview_cpu_ns(&v) / 1000000000ULL;
		if (mn_proc_get_cmdline_str(pt, v.pi.pid, cmd,
					    sizeof(cmd)) <= 0 ||
		    v.pi.kind == MN_PROC_KTASK)
			snprintf(cmd, sizeof(cmd), "[%s]", v.pi.comm);
		for (char *p = cmd; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = ' ';	/* one row per process */
		mn_texttable_cell(&t, "%d", (int)v.pi.pid);
		mn_texttable_cell(&t, "%d", (int)v.pi.ppid);
		mn_texttable_cell(&t, "%d", (int)v.pgrp);
		mn_texttable_cell(&t, "%d", (int)v.session);
		mn_texttable_cell(&t, "%u", v.pi.uid);
		mn_texttable_cell(&t, "%c", v.state);
		mn_texttable_cell(&t, "%s", mn_prio_name(v.pi.prio));
		mn_texttable_cell(&t, "%d", v.pi.nice);
		mn_texttable_cell(&t, "%s", mn_proc_kind_name(v.pi.kind));
		mn_texttable_cell(&t, "%u", v.threads);
		mn_texttable_cell(&t, "%s", v.rss ?
				  mn_fmt_size(rss, sizeof(rss), v.rss) : "-");
		mn_texttable_cell(&t, "%llu:%02llu",
				  (unsigned long long)(cpu / 60),
				  (unsigned long long)(cpu % 60));
		/* MicronOS syscalls made: translated and trapped ones */
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)v.pi.syscalls);
		mn_texttable_cell(&t, "%s", cmd);
	}
	free(pids);
	mn_texttable_print(&t, c->out);
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

/* The word for a state letter, as /proc/PID/status spells it. */
static const char *state_word(char st)
{
	switch (st) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk sleep";
	case 'T': return "stopped";
	case 't': return "tracing stop";
	case 'Z': return "zombie";
	case 'X': return "dead";
	case 'I': return "idle";
	default: return "?";
	}
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
	struct mn_pview v;
	int ret = mn_signals_kill(mn_kernel_signals(c->k), NULL, pid, sig);

	if (ret < 0)
		return signal_error(c, pid, sig, ret);
	if (mn_pview_get(c->k, pid, &v) < 0)
		mn_shell_printf(c, "%s %d: gone\n", done, pid);
	else
		mn_shell_printf(c, "%s %d (%s): %c (%s)\n", done, pid,
				v.pi.comm, v.state, state_word(v.state));
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

static void signals_row(struct mn_texttable *t, const struct mn_pview *v)
{
	const uint64_t sets[4] = {v->sigpnd, v->sigblk, v->sigign, v->sigcgt};
	struct mn_strbuf sb = MN_STRBUF_INIT;
	int i;

	mn_texttable_cell(t, "%d", (int)v->pi.pid);
	mn_texttable_cell(t, "%s", v->pi.comm);
	for (i = 0; i < 4; i++) {
		mn_strbuf_reset(&sb);
		mn_sigset_format(sets[i], &sb);
		mn_texttable_cell(t, "%s", mn_strbuf_str(&sb));
	}
	mn_strbuf_release(&sb);
}

/*
 * signals [PID]: the signal sets of every process (or one) from the
 * process view: a sandboxed program's are the host's, as its /proc status
 * shows them; the service's counters come first for the whole list.
 */
int mn_shell_cmd_signals(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_signals_stats st;
	struct mn_texttable t;
	struct mn_pview v;
	int32_t pid = 0, *pids = NULL;
	int i, n;

	if (argc == 2 && parse_pid(c, argv[1], &pid))
		return MN_SHELL_USAGE;
	if (pid > 0 && mn_pview_get(c->k, pid, &v) < 0)
		return mn_shell_fail(c, "no process %d", pid);
	if (pid <= 0) {
		/* the signals and their default actions, three a line */
		for (i = 1; i <= MN_SIG_MAX; i++)
			mn_shell_printf(c, "%2d %-12s %-9s%s", i,
					mn_signal_name(i),
					mn_sig_action_name(
						mn_signal_default_action(i)),
					i % 3 == 0 ? "\n" : "  ");
		mn_shell_printf(c, "\n");
		mn_signals_stats(mn_kernel_signals(c->k), &st);
		mn_shell_printf(c, "sent %llu  delivered %llu  ignored %llu  "
				"to host %llu  refused %llu\n\n",
				(unsigned long long)st.sent,
				(unsigned long long)st.delivered,
				(unsigned long long)st.ignored,
				(unsigned long long)st.to_host,
				(unsigned long long)st.refused);
	}
	mn_texttable_init_header(&t, ">PID|COMM|PENDING|BLOCKED|IGNORED|"
				 "HANDLED");
	if (pid > 0) {
		signals_row(&t, &v);
	} else {
		n = all_pids(c->k, &pids);
		if (n < 0) {
			mn_texttable_release(&t);
			return mn_shell_errno(c, n, "process table");
		}
		for (i = 0; i < n; i++)
			if (mn_pview_get(c->k, pids[i], &v) == 0)
				signals_row(&t, &v);
		free(pids);
	}
	mn_texttable_print(&t, c->out);
	return MN_SHELL_OK;
}
