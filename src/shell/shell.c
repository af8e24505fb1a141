/*
 * shell.c - the shell's command table, line parser and dispatcher.
 *
 * A line goes through three steps: mn_shell_parse() splits it into words
 * (sh-like quoting, everything capped), mn_shell_lookup() finds the table row
 * for its command and sub-command words, and the dispatcher checks the
 * argument count against the row before calling the handler.  Every error
 * the user can cause is reported here or by the handler as one line naming
 * the command, plus the usage for usage errors; nothing reaches the kernel
 * unchecked.  The handlers live in shell_*.c by group; this file owns the
 * table (the one list of commands that help, dispatch and completion read)
 * and the small output and parsing helpers they share.
 */
#include <micronos/shell.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/kernel.h>
#include <micronos/posix.h>

#include "shell_i.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Groups, in the order `help` prints them: system info, processes,
 * filesystem, network, system, advanced, utilities.
 */
#define G_INFO "system info"
#define G_PROC "processes"
#define G_FS "filesystem"
#define G_NET "network"
#define G_SYS "system"
#define G_ADV "advanced"
#define G_UTIL "utilities"

static const char *const groups[] = {G_INFO, G_PROC, G_FS, G_NET,
				     G_SYS, G_ADV, G_UTIL};

/*
 * The command table.  Columns: name, sub-command word, index of the sub
 * word, group, usage, help, handler, min and max arguments (words other than
 * the name and the sub word; -1 no limit), completion kinds per argument:
 *   c command  k config key  e event class  s event source  d driver
 *   a driver action  p pid  g signal  l log level  h channel id
 *   t timer id  n syscall number  o posix error  f path  w antenna
 *   u up/down  - nothing
 * Rows with the same name are the forms of one command; a row with a NULL
 * sub is the form used when no sub word matches.
 */
/* clang-format off */
static const struct mn_shell_cmd table[] = {
	{"help", NULL, 0, G_INFO, "help [CMD [SUB]]",
	 "list commands by group, or show how to use one",
	 mn_shell_cmd_help, 0, 2, "c"},
	{"info", NULL, 0, G_INFO, "info", "instance, host and boot summary",
	 mn_shell_cmd_info, 0, 0, ""},
	{"status", NULL, 0, G_INFO, "status",
	 "health of every component and the kernel at a glance",
	 mn_shell_cmd_status, 0, 0, ""},
	{"version", NULL, 0, G_INFO, "version", "MicronOS version",
	 mn_shell_cmd_version, 0, 0, ""},
	{"kernel", NULL, 0, G_INFO, "kernel",
	 "boot stages with their durations", mn_shell_cmd_kernel, 0, 0, ""},
	{"uptime", NULL, 0, G_INFO, "uptime", "time since boot, load",
	 mn_shell_cmd_uptime, 0, 0, ""},
	{"top", NULL, 0, G_INFO, "top [-c]",
	 "processes and kernel tasks by activity; live until a key is pressed "
	 "(-c: print once)",
	 mn_shell_cmd_top, 0, 1, "-"},
	{"benchmark", NULL, 0, G_INFO, "benchmark [MS]",
	 "in-kernel micro-benchmarks (syscall, events, memory, IPC), MS each "
	 "(default 200)",
	 mn_shell_cmd_benchmark, 0, 1, "-"},

	{"ps", NULL, 0, G_PROC, "ps", "processes and kernel tasks",
	 mn_shell_cmd_ps, 0, 0, ""},
	{"spawn", NULL, 0, G_PROC, "spawn PROGRAM [ARG...]",
	 "start a host program in the sandbox, in the background",
	 mn_shell_cmd_spawn, 1, -1, "f"},
	{"suspend", NULL, 0, G_PROC, "suspend PID", "stop a process (SIGSTOP)",
	 mn_shell_cmd_suspend, 1, 1, "p"},
	{"resume", NULL, 0, G_PROC, "resume PID",
	 "continue a stopped process (SIGCONT)", mn_shell_cmd_resume, 1, 1,
	 "p"},
	{"kill", NULL, 0, G_PROC, "kill PID [SIG]",
	 "send a signal (default TERM) to a process", mn_shell_cmd_kill, 1, 2,
	 "pg"},
	{"signals", NULL, 0, G_PROC, "signals [PID]",
	 "signal names, and a process's pending, blocked and handled signals",
	 mn_shell_cmd_signals, 0, 1, "p"},

	{"ls", NULL, 0, G_FS, "ls [PATH]", "list a directory",
	 mn_shell_cmd_ls, 0, 1, "f"},
	{"mkdir", NULL, 0, G_FS, "mkdir PATH", "make a directory",
	 mn_shell_cmd_mkdir, 1, 1, "f"},
	{"create", NULL, 0, G_FS, "create PATH [TEXT...]",
	 "create a file (with TEXT and a newline)", mn_shell_cmd_create, 1, -1,
	 "f"},
	{"cat", NULL, 0, G_FS, "cat PATH", "print a file", mn_shell_cmd_cat,
	 1, 1, "f"},
	{"rm", NULL, 0, G_FS, "rm PATH", "remove a file or empty directory",
	 mn_shell_cmd_rm, 1, 1, "f"},

	{"network", NULL, 0, G_NET, "network",
	 "policy, ports, antennas, sockets by state, peers",
	 mn_shell_cmd_network, 0, 0, ""},
	{"scan", NULL, 0, G_NET, "scan",
	 "MicronOS peers heard recently on the peer link",
	 mn_shell_cmd_scan, 0, 0, ""},
	{"discover", NULL, 0, G_NET, "discover [MS]",
	 "probe for peers and list those answering within MS (default 500)",
	 mn_shell_cmd_discover, 0, 1, "-"},
	{"antenna", NULL, 0, G_NET, "antenna [NAME [up|down]]",
	 "network interfaces: list, one in detail, or take one up or down (also: antenna up|down NAME)",
	 mn_shell_cmd_antenna, 0, 2, "wu"},
	{"ping", NULL, 0, G_NET, "ping PEER [COUNT]",
	 "echo requests to another instance (name, id or ADDR:PORT)",
	 mn_shell_cmd_ping, 1, 2, "-"},
	{"sockets", NULL, 0, G_NET, "sockets", "sockets and their TCP states",
	 mn_shell_cmd_sockets, 0, 0, ""},

	{"log", NULL, 0, G_SYS, "log [N] [LEVEL]",
	 "last N log lines (default 20) at LEVEL or above", mn_shell_cmd_log,
	 0, 2, "ll"},
	{"events", NULL, 0, G_SYS, "events",
	 "event bus summary and the newest events", mn_shell_cmd_events, 0, 0,
	 ""},
	{"events", "list", 1, G_SYS, "events list [N]",
	 "the newest N events (default 50)", mn_shell_cmd_events_list, 0, 1,
	 "-"},
	{"events", "stats", 1, G_SYS, "events stats",
	 "events by type and source", mn_shell_cmd_events_stats, 0, 0, ""},
	{"events", "filter", 1, G_SYS, "events filter TYPE [N]",
	 "events of one class: process timer network memory disk signal "
	 "custom fault",
	 mn_shell_cmd_events_filter, 1, 2, "e"},
	{"events", "by", 1, G_SYS, "events by SOURCE [N]",
	 "events from one source: kernel process driver network timer",
	 mn_shell_cmd_events_by, 1, 2, "s"},
	{"events", "export", 1, G_SYS, "events export [TYPE]",
	 "the history as CSV (RFC 4180)", mn_shell_cmd_events_export, 0, 1,
	 "e"},
	{"events", "clear", 1, G_SYS, "events clear", "empty the history",
	 mn_shell_cmd_events_clear, 0, 0, ""},
	{"fault", NULL, 0, G_SYS, "fault",
	 "fault rules, with how often each fired", mn_shell_cmd_fault, 0, 0,
	 ""},
	{"fault", "add", 1, G_SYS, "fault add RULE",
	 "make calls fail on purpose: CALL [path=GLOB] [errno=E] [every=N] "
	 "[prob=P] ...", mn_shell_cmd_fault_add, 1, -1, "-"},
	{"fault", "rm", 1, G_SYS, "fault rm ID", "remove one fault rule",
	 mn_shell_cmd_fault_rm, 1, 1, "-"},
	{"fault", "clear", 1, G_SYS, "fault clear", "remove every fault rule",
	 mn_shell_cmd_fault_clear, 0, 0, ""},
	{"ipc", NULL, 0, G_SYS, "ipc", "IPC channels and their queues",
	 mn_shell_cmd_ipc, 0, 0, ""},
	{"channel", "create", 1, G_SYS, "channel create NAME [CAPACITY]",
	 "create an IPC channel", mn_shell_cmd_channel_create, 1, 2, "-"},
	{"channel", "send", 2, G_SYS, "channel N send MSG...",
	 "queue a message on channel N", mn_shell_cmd_channel_send, 2, -1,
	 "h"},
	{"channel", "recv", 2, G_SYS, "channel N recv [TIMEOUT_MS]",
	 "take the oldest message of channel N (waits up to TIMEOUT_MS, "
	 "default 0, at most 5000)",
	 mn_shell_cmd_channel_recv, 1, 2, "h"},
	{"config", NULL, 0, G_SYS, "config [KEY [VALUE]]",
	 "list keys, show one, or set it", mn_shell_cmd_config, 0, 2, "k"},
	{"stats", NULL, 0, G_SYS, "stats [PREFIX]",
	 "kernel counters and gauges", mn_shell_cmd_stats, 0, 1, "-"},
	{"timers", NULL, 0, G_SYS, "timers", "active timers",
	 mn_shell_cmd_timers, 0, 0, ""},
	{"timer", "create", 1, G_SYS, "timer create NAME MS [periodic]",
	 "a one-shot (or periodic) timer firing in MS milliseconds",
	 mn_shell_cmd_timer_create, 2, 3, "--"},
	{"timer", "cancel", 1, G_SYS, "timer cancel ID", "cancel a timer",
	 mn_shell_cmd_timer_cancel, 1, 1, "t"},
	{"memory", NULL, 0, G_SYS, "memory",
	 "memory totals, fragmentation and allocations", mn_shell_cmd_memory,
	 0, 0, ""},
	{"memory", "alloc", 1, G_SYS, "memory alloc SIZE [PID]",
	 "allocate SIZE bytes (4096, 4K, 1M), charged to PID (default the kernel)",
	 mn_shell_cmd_memory_alloc, 1, 2, "-"},
	{"memory", "free", 1, G_SYS, "memory free ADDR SIZE",
	 "release an allocation", mn_shell_cmd_memory_free, 2, 2, "-"},
	{"drivers", NULL, 0, G_SYS, "drivers", "drivers, types and states",
	 mn_shell_cmd_drivers, 0, 0, ""},
	{"driver", NULL, 0, G_SYS, "driver NAME ACTION",
	 "drive a driver: init start stop suspend resume shutdown",
	 mn_shell_cmd_driver, 2, 2, "da"},
	{"health", NULL, 0, G_SYS, "health", "health checks and recoveries",
	 mn_shell_cmd_health, 0, 0, ""},

	{"syscall", "info", 1, G_ADV, "syscall info",
	 "the system call table with call counts",
	 mn_shell_cmd_syscall_info, 0, 0, ""},
	{"syscall", "invoke", 1, G_ADV, "syscall invoke NR [ARG...]",
	 "call system call NR (or its name) as the shell",
	 mn_shell_cmd_syscall_invoke, 1, 7, "n"},
	{"posix", NULL, 0, G_ADV, "posix [CODE|NAME]",
	 "the POSIX error table, or one error", mn_shell_cmd_posix, 0, 1,
	 "o"},

	{"echo", NULL, 0, G_UTIL, "echo [WORD...]", "print the words",
	 mn_shell_cmd_echo, 0, -1, ""},
	{"exit", NULL, 0, G_UTIL, "exit [STATUS]", "leave the shell",
	 mn_shell_cmd_exit, 0, 1, "-"},
	{"quit", NULL, 0, G_UTIL, "quit", "leave the shell", mn_shell_cmd_exit,
	 0, 0, ""},
};
/* clang-format on */

#define NCMDS ARRAY_SIZE(table)

/*
 * Handlers that adapters swapped in for one instance, kept in its slot
 * MN_SLOT_SHELL while any is set (allocated by the first, freed with the
 * last).  hook_lock guards every kernel's slot and table: a dispatch
 * copies the handler out under it, so a hook being removed never frees a
 * table under a reader.  It is a leaf.
 */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
struct shell_hooks {
	struct {
		mn_shell_fn fn;
		void *arg;
	} row[NCMDS];
	size_t set;	/* rows with a handler */
};

const struct mn_shell_cmd *mn_shell_commands(size_t *count)
{
	*count = NCMDS;
	return table;
}

/* --------------------------------------------------------------------- */
/* Parsing */

static int parse_fail(struct mn_strbuf *err, int code, const char *msg)
{
	if (err)
		mn_strbuf_printf(err, "parse error: %s\n", msg);
	return code;
}

/* One word starting at *pp; writes into *wp. 0 or -errno. */
static int parse_word(const char **pp, char **wp, struct mn_strbuf *err)
{
	const char *p = *pp;
	char *w = *wp;
	int quote = 0;

	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
			return parse_fail(err, -EINVAL,
					  "control character in line");
		if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
			else
				*w++ = (char)ch;
		} else if (quote == '"') {
			if (ch == '"') {
				quote = 0;
			} else if (ch == '\\' && p[1] &&
				   strchr("\"\\$`", p[1])) {
				*w++ = *++p;
			} else {
				*w++ = (char)ch;
			}
		} else if (strchr(" \t\n\r", ch)) {
			break;
		} else if (ch == '\'' || ch == '"') {
			quote = ch;
		} else if (ch == '\\') {
			if (!p[1])
				return parse_fail(err, -EINVAL,
						  "backslash at end of line");
			*w++ = *++p;
		} else {
			*w++ = (char)ch;
		}
	}
	if (quote)
		return parse_fail(err, -EINVAL,
				  quote == '\'' ? "unterminated single quote"
						: "unterminated double quote");
	*w++ = '\0';
	*pp = p;
	*wp = w;
	return 0;
}

int mn_shell_parse(const char *line, struct mn_shell_args *out,
		   struct mn_strbuf *err)
{
	const char *p = line;
	char *w = out->buf;
	int ret;

	out->argc = 0;
	out->argv[0] = NULL;
	/* A word is never longer than its source: buf cannot overflow. */
	if (strlen(line) > MN_SHELL_LINE_MAX)
		return parse_fail(err, -E2BIG, "line longer than 4096 bytes");
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			break;
		if (out->argc == MN_SHELL_ARGC_MAX) {
			out->argc = 0;
			out->argv[0] = NULL;
			return parse_fail(err, -E2BIG, "more than 64 words");
		}
		out->argv[out->argc] = w;
		ret = parse_word(&p, &w, err);
		if (ret < 0) {
			out->argc = 0;
			out->argv[0] = NULL;
			return ret;
		}
		out->argc++;
	}
	out->argv[out->argc] = NULL;
	return out->argc;
}

int mn_shell_parse_size(const char *s, unsigned long long *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (ULLONG_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int mn_shell_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int mn_shell_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	long long v;
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* --------------------------------------------------------------------- */
/* Output helpers */

static void put_cmd_name(struct mn_strbuf *sb, const struct mn_shell_cmd *r)
{
	if (r->sub)
		mn_strbuf_printf(sb, "%s %s: ", r->name, r->sub);
	else
		mn_strbuf_printf(sb, "%s: ", r->name);
}

int mn_shell_fail(struct mn_shell_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->cmd)
		put_cmd_name(c->err, c->cmd);
	va_start(ap, fmt);
	mn_strbuf_vprintf(c->err, fmt, ap);
	va_end(ap);
	mn_strbuf_putc(c->err, '\n');
	return MN_SHELL_FAIL;
}

int mn_shell_usage(struct mn_shell_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->cmd)
		put_cmd_name(c->err, c->cmd);
	va_start(ap, fmt);
	mn_strbuf_vprintf(c->err, fmt, ap);
	va_end(ap);
	mn_strbuf_putc(c->err, '\n');
	if (c->cmd)
		mn_strbuf_printf(c->err, "usage: %s\n", c->cmd->usage);
	return MN_SHELL_USAGE;
}

int mn_shell_errno(struct mn_shell_ctx *c, int err, const char *what)
{
	char buf[128];

	return mn_shell_fail(c, "%s: %s", what,
			     mn_errno_describe(err, buf, sizeof(buf)));
}

int mn_shell_fail_core(struct mn_shell_ctx *c, int err, struct mn_strbuf *msg,
		       const char *what)
{
	size_t len = msg->len;
	int ret;

	while (len && (msg->buf[len - 1] == '\n' || msg->buf[len - 1] == ' '))
		len--;
	if (len)
		ret = mn_shell_fail(c, "%.*s", (int)len, msg->buf);
	else
		ret = mn_shell_errno(c, err, what);
	mn_strbuf_release(msg);
	return ret;
}

int mn_shell_printf(struct mn_shell_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = mn_strbuf_vprintf(c->out, fmt, ap);
	va_end(ap);
	return ret;
}

/* --------------------------------------------------------------------- */
/* Lookup and dispatch */

static int has_name(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(table[i].name, name))
			return 1;
	return 0;
}

const struct mn_shell_cmd *mn_shell_lookup(int argc, char **argv)
{
	const struct mn_shell_cmd *plain = NULL;

	if (argc < 1)
		return NULL;
	for (size_t i = 0; i < NCMDS; i++) {
		const struct mn_shell_cmd *r = &table[i];

		if (strcmp(r->name, argv[0]))
			continue;
		if (!r->sub)
			plain = r;
		else if (argc > r->sub_at && !strcmp(argv[r->sub_at], r->sub))
			return r;
	}
	return plain;
}

/* Every form of a command, as "usage: A\n       B\n". */
static void put_usages(struct mn_strbuf *sb, const char *name)
{
	const char *lead = "usage: ";

	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(table[i].name, name))
			continue;
		mn_strbuf_printf(sb, "%s%s\n", lead, table[i].usage);
		lead = "       ";
	}
}

static mn_shell_fn handler_of(struct mn_kernel *k,
			      const struct mn_shell_cmd *r, void **arg)
{
	size_t i = (size_t)(r - table);
	struct shell_hooks *h;
	mn_shell_fn fn = NULL;

	*arg = NULL;
	if (!k)
		return r->fn;
	pthread_mutex_lock(&hook_lock);
	h = mn_kernel_slot(k, MN_SLOT_SHELL);
	if (h) {
		fn = h->row[i].fn;
		*arg = h->row[i].arg;
	}
	pthread_mutex_unlock(&hook_lock);
	return fn ? fn : r->fn;
}

/* Sets row i of k's table (hook_lock held); the table comes and goes. */
static int set_row(struct mn_kernel *k, size_t i, mn_shell_fn fn, void *arg)
{
	struct shell_hooks *h = mn_kernel_slot(k, MN_SLOT_SHELL);

	if (!h && !fn)
		return 0;
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return -ENOMEM;
		mn_kernel_set_slot(k, MN_SLOT_SHELL, h);
	}
	if (fn && !h->row[i].fn)
		h->set++;
	else if (!fn && h->row[i].fn)
		h->set--;
	h->row[i].fn = fn;
	h->row[i].arg = fn ? arg : NULL;
	if (h->set == 0) {
		mn_kernel_set_slot(k, MN_SLOT_SHELL, NULL);
		free(h);
	}
	return 0;
}

int mn_shell_set_hook(struct mn_kernel *k, const char *name, const char *sub,
		      mn_shell_fn fn, void *arg)
{
	int ret;

	if (!k || !name)
		return -EINVAL;
	for (size_t i = 0; i < NCMDS; i++) {
		const struct mn_shell_cmd *r = &table[i];

		if (strcmp(r->name, name) || (!r->sub) != (!sub) ||
		    (sub && strcmp(r->sub, sub)))
			continue;
		pthread_mutex_lock(&hook_lock);
		ret = set_row(k, i, fn, arg);
		pthread_mutex_unlock(&hook_lock);
		return ret;
	}
	return -ENOENT;
}

static int dispatch(struct mn_shell_ctx *c, int argc, char **argv)
{
	const struct mn_shell_cmd *r = mn_shell_lookup(argc, argv);
	int nargs;
	mn_shell_fn fn;

	if (!r) {
		if (!has_name(argv[0])) {
			mn_strbuf_printf(c->err,
					 "%s: unknown command (type 'help' "
					 "for the list)\n",
					 argv[0]);
			return MN_SHELL_USAGE;
		}
		mn_strbuf_printf(c->err, "%s: unknown or missing "
				 "sub-command\n", argv[0]);
		put_usages(c->err, argv[0]);
		return MN_SHELL_USAGE;
	}
	c->cmd = r;
	nargs = argc - 1 - (r->sub ? 1 : 0);
	if (nargs < r->min_args)
		return mn_shell_usage(c, "missing argument");
	if (r->max_args >= 0 && nargs > r->max_args)
		return mn_shell_usage(c, "too many arguments");
	fn = handler_of(c->k, r, &c->hook_arg);
	return fn(c, argc, argv);
}

int mn_shell_run(struct mn_shell_ctx *c, const char *line)
{
	struct mn_shell_args *a = malloc(sizeof(*a));
	int n, status;

	c->cmd = NULL;
	c->hook_arg = NULL;
	c->flags = 0;
	c->exit_status = 0;
	if (!a) {
		mn_strbuf_puts(c->err, "shell: out of memory\n");
		return MN_SHELL_FAIL;
	}
	n = mn_shell_parse(line, a, c->err);
	if (n < 0)
		status = MN_SHELL_USAGE;
	else if (n == 0)
		status = MN_SHELL_OK;
	else
		status = dispatch(c, a->argc, a->argv);
	free(a);
	return status;
}

int mn_shell_exec(struct mn_kernel *k, const char *line, struct mn_strbuf *out)
{
	struct mn_shell_ctx c = {.k = k, .out = out, .err = out};

	return mn_shell_run(&c, line);
}

/* --------------------------------------------------------------------- */
/* Built-in utilities */

#define HELP_COL 35	/* where the help text starts */
#define HELP_WIDTH 79

/* Appends text from column `col` on, wrapped at HELP_WIDTH. */
static void put_wrapped(struct mn_strbuf *out, const char *text, int col)
{
	int x = col;

	while (*text) {
		int n = (int)strcspn(text, " ");

		if (x > col && x + 1 + n > HELP_WIDTH) {
			mn_strbuf_printf(out, "\n%*s", col, "");
			x = col;
		} else if (x > col) {
			mn_strbuf_putc(out, ' ');
			x++;
		}
		mn_strbuf_add(out, text, (size_t)n);
		x += n;
		text += n;
		text += strspn(text, " ");
	}
	mn_strbuf_putc(out, '\n');
}

static void help_group(struct mn_strbuf *out, const char *group)
{
	mn_strbuf_printf(out, "%s:\n", group);
	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(table[i].group, group))
			continue;
		mn_strbuf_printf(out, "  %-*s ", HELP_COL - 3, table[i].usage);
		put_wrapped(out, table[i].help, HELP_COL);
	}
}

int mn_shell_cmd_help(struct mn_shell_ctx *c, int argc, char **argv)
{
	int shown = 0;

	if (argc == 1) {
		for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
			if (g)
				mn_strbuf_putc(c->out, '\n');
			help_group(c->out, groups[g]);
		}
		return MN_SHELL_OK;
	}
	for (size_t i = 0; i < NCMDS; i++) {
		const struct mn_shell_cmd *r = &table[i];

		if (strcmp(r->name, argv[1]))
			continue;
		if (argc == 3 && (!r->sub || strcmp(r->sub, argv[2])))
			continue;
		mn_shell_printf(c, "%s%s\n    %s\n", shown ? "" : "usage: ",
				r->usage, r->help);
		shown++;
	}
	if (!shown)
		return mn_shell_fail(c, "no command '%s%s%s' (type 'help')",
				     argv[1], argc == 3 ? " " : "",
				     argc == 3 ? argv[2] : "");
	return MN_SHELL_OK;
}

int mn_shell_cmd_echo(struct mn_shell_ctx *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		mn_shell_printf(c, "%s%s", i > 1 ? " " : "", argv[i]);
	mn_strbuf_putc(c->out, '\n');
	return MN_SHELL_OK;
}

int mn_shell_cmd_exit(struct mn_shell_ctx *c, int argc, char **argv)
{
	int64_t v = 0;

	if (argc == 2 && mn_shell_parse_i64(argv[1], 0, 255, &v) < 0)
		return mn_shell_usage(c, "status must be 0..255, not '%s'",
				      argv[1]);
	c->flags |= MN_SHELL_F_EXIT;
	c->exit_status = (int)v;
	return (int)v;
}
