/*
 * shell - the MicronOS command language: the commands of `help`, in seven
 * groups (system info, processes, filesystem, network, system, advanced,
 * utilities).
 *
 * A shell line is parsed into words (quotes and backslash escapes as in sh,
 * lengths capped) and dispatched through ONE command table: each row names a
 * command (and optionally its sub-command word), its group, its usage, a
 * one-line help and its handler.  Handlers call the same core functions that
 * the /proc and /sys files call, and write text to a strbuf; nothing here
 * talks to a terminal or a socket.  The control socket (ctl.h) runs lines
 * for attached shells; the `micronos` program draws the terminal side.
 *
 * Exit status of a line: 0 ok, 1 the command failed, 2 a usage error (bad
 * line, unknown command, wrong arguments).  An error is one line naming the
 * command, followed by its usage for usage errors.
 *
 * Thread safety: mn_shell_exec() may run on many threads at once against one
 * kernel; every module it calls has its own lock.  The hooks
 * (mn_shell_set_hook) are per instance, in the kernel's MN_SLOT_SHELL,
 * behind a lock of their own.
 */
#ifndef MICRONOS_SHELL_H
#define MICRONOS_SHELL_H

#include <stddef.h>

#include <micronos/strbuf.h>

struct mn_kernel;
struct mn_shell_cmd;

/* Longest line accepted (bytes, without the NUL) and most words. */
#define MN_SHELL_LINE_MAX 4096
#define MN_SHELL_ARGC_MAX 64

/* Exit statuses. */
#define MN_SHELL_OK 0
#define MN_SHELL_FAIL 1
#define MN_SHELL_USAGE 2

/* Bits a handler sets in ctx->flags; carried to clients with the status. */
#define MN_SHELL_F_EXIT 0x1	/* the session ends (exit, quit) */
#define MN_SHELL_F_LIVE 0x2	/* a live view (top): a terminal client
				 * re-runs the line to refresh it in place
				 * until a key is pressed */

/*
 * What a handler sees.  The caller of mn_shell_run() fills k, out and err;
 * the dispatcher fills cmd and hook_arg; the handler may set flags and
 * exit_status.
 */
struct mn_shell_ctx {
	struct mn_kernel *k;		/* borrowed */
	struct mn_strbuf *out;		/* borrowed: normal output */
	struct mn_strbuf *err;		/* borrowed: errors (or = out) */
	const struct mn_shell_cmd *cmd;	/* the row being run */
	void *hook_arg;			/* arg of a hooked handler */
	unsigned flags;			/* MN_SHELL_F_* */
	int exit_status;		/* status asked for by `exit N` */
};

/* A handler: argv[0] is the command word; returns an exit status. */
typedef int (*mn_shell_fn)(struct mn_shell_ctx *c, int argc, char **argv);

/* One row of the command table (static storage). */
struct mn_shell_cmd {
	const char *name;	/* first word: "events" */
	const char *sub;	/* sub-command word or NULL: "list" */
	int sub_at;		/* index of the sub word in argv (1 or 2) */
	const char *group;	/* "system info", "processes", ... */
	const char *usage;	/* "events list [N]" */
	const char *help;	/* one line */
	mn_shell_fn fn;
	int min_args;		/* words after the command words */
	int max_args;		/* -1: any number */
	const char *complete;	/* completion kind of each argument, one
				 * letter per position (see shell.c) */
};

/* The parsed words of a line; `argv` points into `buf`. */
struct mn_shell_args {
	int argc;
	char *argv[MN_SHELL_ARGC_MAX + 1];	/* NULL-terminated */
	char buf[MN_SHELL_LINE_MAX + 1];
};

/*
 * Splits a line into words.  Rules: blanks separate words; '...' is literal;
 * "..." allows \" \\ \$ \` and keeps other backslashes; outside quotes a
 * backslash escapes the next character; a '#' that starts a word starts a
 * comment.  Returns the word count (0 for an empty line), or -E2BIG (line
 * longer than MN_SHELL_LINE_MAX or more than MN_SHELL_ARGC_MAX words) or
 * -EINVAL (unterminated quote, trailing backslash, control character) with
 * one line of explanation in `err` (may be NULL).
 */
int mn_shell_parse(const char *line, struct mn_shell_args *out,
		   struct mn_strbuf *err);

/*
 * Runs one line against the kernel: output and errors both go to `out`.
 * Returns the exit status (MN_SHELL_OK, _FAIL, _USAGE).
 */
int mn_shell_exec(struct mn_kernel *k, const char *line, struct mn_strbuf *out);
/* The same with a caller-filled context (separate err; flags back). */
int mn_shell_run(struct mn_shell_ctx *c, const char *line);

/*
 * Completion candidates for the last word of `line` (the text before the
 * cursor), one per line in `out`: command names, sub-commands, then
 * arguments by kind (config keys, event classes and sources, driver names,
 * pids, log levels, ...).  Returns the number of candidates.
 */
int mn_shell_complete(struct mn_kernel *k, const char *line,
		      struct mn_strbuf *out);

/* The command table: *count rows, static storage. */
const struct mn_shell_cmd *mn_shell_commands(size_t *count);
/* The row for argv (name and sub-command); NULL if the name is unknown. */
const struct mn_shell_cmd *mn_shell_lookup(int argc, char **argv);

/*
 * Replaces the handler of one row for instance k only, so that an adapter
 * can complete a command: the sandbox hooks "spawn" (sub NULL).  `arg` is
 * borrowed and reaches the handler as ctx->hook_arg.  fn NULL restores the
 * built-in handler; a layer that set hooks restores them before k is
 * destroyed (the table is freed with the last).  -ENOENT if no row has
 * that name and sub, -EINVAL without k, -ENOMEM.
 */
int mn_shell_set_hook(struct mn_kernel *k, const char *name, const char *sub,
		      mn_shell_fn fn, void *arg);

/*
 * Wakes shell commands blocked right now on behalf of the shell (a
 * `channel N recv MS` waiting for a message): they return at once.  The
 * control socket calls it when it stops, so shutdown never waits for them.
 */
void mn_shell_interrupt(struct mn_kernel *k);

/* "4096", "4K", "1M", "2G" (powers of 1024): -EINVAL, -ERANGE. */
int mn_shell_parse_size(const char *s, unsigned long long *out);

#endif
