/*
 * shell_mem.c - the shell's memory and driver commands, and the "advanced"
 * group: syscall info, syscall invoke and posix.
 *
 * `syscall invoke` goes through mn_syscall_dispatch() with a context for
 * init (pid 1, uid 0), exactly as a sandboxed program's translated call
 * would.  Arguments are parsed by the kinds the syscall table declares:
 * numbers for the integer kinds, the word itself for a PATH (a pointer to
 * the daemon's copy), and for a BUF either the word's bytes (what write
 * sends) or "-" for a zeroed buffer of the following SIZE that is printed
 * after the call (what read fills).  Other pointers can only be 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/driver.h>
#include <micronos/kernel.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/posix.h>
#include <micronos/proc.h>
#include <micronos/syscall.h>

#include "shell_i.h"

#define MEMORY_ROWS 20
/* Largest buffer `syscall invoke` lends a call. */
#define INVOKE_BUF_MAX 65536

/* --- memory -------------------------------------------------------------- */

static struct mn_mem *need_mem(struct mn_shell_ctx *c)
{
	struct mn_mem *mem = mn_kernel_mem(c->k);

	if (!mem)
		mn_shell_fail(c, "the memory manager is not running (the "
			      "instance has not booted)");
	return mem;
}

int mn_shell_cmd_memory(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_mem *mem = need_mem(c);
	struct mn_memview m;
	char a[32], b[32], d[32];
	int ret;

	(void)argc;
	(void)argv;
	if (!mem)
		return MN_SHELL_FAIL;
	ret = mn_memview_get(c->k, &m);
	if (ret < 0)
		return mn_shell_errno(c, ret, "memory");
	/* the model first (memview.h): what free and /proc/meminfo show */
	mn_shell_printf(c, "RAM %s (%s): %s used by %u processes, %s free\n",
			mn_fmt_size(a, sizeof(a), m.total),
			m.limited ? "cgroup memory.max" : "host",
			mn_fmt_size(b, sizeof(b), m.used), m.holders,
			mn_fmt_size(d, sizeof(d), m.free));
	ret = mn_mem_format(mem, c->out, MEMORY_ROWS);
	if (ret < 0)
		return mn_shell_errno(c, ret, "memory");
	return MN_SHELL_OK;
}

static int parse_size_arg(struct mn_shell_ctx *c, const char *s,
			  unsigned long long *out)
{
	int ret = mn_shell_parse_size(s, out);

	if (ret == -ERANGE)
		return mn_shell_usage(c, "size '%s' is too large", s);
	if (ret < 0 || *out == 0)
		return mn_shell_usage(c, "'%s' is not a size (4096, 4K, 1M)",
				      s);
	return 0;
}

int mn_shell_cmd_memory_alloc(struct mn_shell_ctx *c, int argc, char **argv)
{
	int32_t owner = MN_MEM_KERNEL_PID;
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_mem *mem = need_mem(c);
	unsigned long long sz;
	uint64_t addr;
	char a[32];
	int ret;

	if (!mem)
		return MN_SHELL_FAIL;
	if (parse_size_arg(c, argv[2], &sz))
		return MN_SHELL_USAGE;
	/* Charged to a process when one is named: freed when it exits. */
	if (argc > 3) {
		uint64_t v;

		if (mn_shell_parse_u64(argv[3], INT32_MAX, &v) < 0 || v == 0)
			return mn_shell_usage(c, "'%s' is not a pid", argv[3]);
		owner = (int32_t)v;
		if (!mn_proc_exists(mn_kernel_procs(c->k), owner))
			return mn_shell_fail(c, "no process %d", owner);
	}
	ret = mn_mem_alloc(mem, sz, owner, &addr, &msg);
	if (ret < 0)
		return mn_shell_fail_core(c, ret, &msg, argv[2]);
	mn_strbuf_release(&msg);
	mn_shell_printf(c, "0x%llx (%s reserved)\n", (unsigned long long)addr,
			mn_fmt_size(a, sizeof(a), mn_mem_round(sz)));
	return MN_SHELL_OK;
}

int mn_shell_cmd_memory_free(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_mem *mem = need_mem(c);
	unsigned long long sz;
	uint64_t addr;
	char a[32];
	int ret;

	(void)argc;
	if (!mem)
		return MN_SHELL_FAIL;
	if (mn_shell_parse_u64(argv[2], UINT64_MAX, &addr) < 0)
		return mn_shell_usage(c, "'%s' is not an address (0x10000000)",
				      argv[2]);
	if (parse_size_arg(c, argv[3], &sz))
		return MN_SHELL_USAGE;
	ret = mn_mem_free(mem, addr, sz, MN_MEM_ANY_PID, &msg);
	if (ret < 0)
		return mn_shell_fail_core(c, ret, &msg, argv[2]);
	mn_strbuf_release(&msg);
	mn_shell_printf(c, "freed 0x%llx (%s)\n", (unsigned long long)addr,
			mn_fmt_size(a, sizeof(a), mn_mem_round(sz)));
	return MN_SHELL_OK;
}

/* --- drivers ------------------------------------------------------------- */

int mn_shell_cmd_drivers(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_drivers *drvs = mn_kernel_drivers(c->k);
	int ret;

	(void)argc;
	(void)argv;
	if (!drvs)
		return mn_shell_fail(c, "no drivers (the instance has not "
				     "booted)");
	ret = mn_drivers_format(drvs, c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "drivers");
	return MN_SHELL_OK;
}

int mn_shell_cmd_driver(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_drivers *drvs = mn_kernel_drivers(c->k);
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_driver *drv;
	enum mn_drv_state before;
	int ret;

	(void)argc;
	drv = drvs ? mn_drivers_find(drvs, argv[1]) : NULL;
	if (!drv)
		return mn_shell_fail(c, "no driver '%s' (see 'drivers')",
				     argv[1]);
	if (mn_drv_op_parse(argv[2]) < 0)
		return mn_shell_usage(c, "unknown action '%s' (init, start, "
				      "stop, suspend, resume, shutdown)",
				      argv[2]);
	before = mn_driver_state(drv);
	ret = mn_driver_control(drv, argv[2], &msg);
	if (ret < 0)
		return mn_shell_fail_core(c, ret, &msg, argv[1]);
	mn_strbuf_release(&msg);
	mn_shell_printf(c, "%s: %s -> %s\n", argv[1], mn_drv_state_name(before),
			mn_drv_state_name(mn_driver_state(drv)));
	return MN_SHELL_OK;
}

/* --- syscalls ------------------------------------------------------------ */

int mn_shell_cmd_syscall_info(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_syscalls *s = mn_kernel_syscalls(c->k);
	int ret;

	(void)argc;
	(void)argv;
	ret = mn_syscall_format_table(s, c->out);
	if (ret >= 0) {
		mn_strbuf_putc(c->out, '\n');
		ret = mn_syscall_format_stats(s, c->out);
	}
	if (ret < 0)
		return mn_shell_errno(c, ret, "syscall table");
	return MN_SHELL_OK;
}

/* What `syscall invoke` lent the call, to print and free afterwards. */
struct invoke_args {
	uint64_t v[MN_SYSCALL_ARGS];
	char *out_buf;		/* a "-" BUF: printed after the call */
	size_t out_len;
	char *bufs[MN_SYSCALL_ARGS];
};

/* Parses argument i of kind `kind` from word w (next: the word after). */
static int invoke_arg(struct mn_shell_ctx *c, struct invoke_args *ia, int i,
		      int kind, const char *w, const char *next)
{
	int64_t sv;
	uint64_t size = 0;

	switch (kind) {
	case MN_ARG_PATH:
		ia->v[i] = (uint64_t)(uintptr_t)w;
		return 0;
	case MN_ARG_BUF:
		if (strcmp(w, "-")) {
			ia->v[i] = (uint64_t)(uintptr_t)w;
			return 0;
		}
		if (!next || mn_shell_parse_u64(next, INVOKE_BUF_MAX, &size))
			return mn_shell_usage(c, "a '-' buffer needs a SIZE "
					      "of at most %d after it",
					      INVOKE_BUF_MAX);
		ia->bufs[i] = calloc(1, size + 1);
		if (!ia->bufs[i])
			return mn_shell_errno(c, -ENOMEM, "buffer");
		ia->out_buf = ia->bufs[i];
		ia->v[i] = (uint64_t)(uintptr_t)ia->bufs[i];
		return 0;
	case MN_ARG_PTR:
		if (strcmp(w, "0"))
			return mn_shell_usage(c, "argument %d is a pointer: "
					      "only 0 can be given from the "
					      "shell",
					      i + 1);
		ia->v[i] = 0;
		return 0;
	default:
		if (mn_shell_parse_i64(w, INT64_MIN, INT64_MAX, &sv) == 0) {
			ia->v[i] = (uint64_t)sv;
			return 0;
		}
		if (mn_shell_parse_u64(w, UINT64_MAX, &ia->v[i]) == 0)
			return 0;
		return mn_shell_usage(c, "argument %d (%s) must be a number, "
				      "not '%s'",
				      i + 1, mn_sysarg_name(kind), w);
	}
}

static int invoke_parse(struct mn_shell_ctx *c,
			const struct mn_syscall_info *si, int argc,
			char **argv, struct invoke_args *ia)
{
	int given = argc - 3;

	if (given > si->nargs)
		return mn_shell_usage(c, "%s takes %u argument%s, %d given",
				      si->name, si->nargs,
				      si->nargs == 1 ? "" : "s", given);
	for (int i = 0; i < given; i++) {
		int ret = invoke_arg(c, ia, i, si->args[i], argv[3 + i],
				     i + 1 < given ? argv[4 + i] : NULL);

		if (ret)
			return ret;
	}
	/* A pointer left out would reach the handler as NULL. */
	for (int i = given; i < si->nargs; i++)
		if (si->args[i] == MN_ARG_PATH || si->args[i] == MN_ARG_BUF)
			return mn_shell_usage(c, "%s needs %u arguments, %d "
					      "given",
					      si->name, si->nargs, given);
	/* A text buffer must be at least as long as the size given. */
	for (int i = 0; i + 1 < given; i++)
		if (si->args[i] == MN_ARG_BUF && !ia->bufs[i] &&
		    si->args[i + 1] == MN_ARG_SIZE &&
		    ia->v[i + 1] > strlen(argv[3 + i]))
			return mn_shell_usage(c, "size %llu is larger than "
					      "the %zu bytes of '%s'",
					      (unsigned long long)ia->v[i + 1],
					      strlen(argv[3 + i]), argv[3 + i]);
	return 0;
}

static void invoke_report(struct mn_shell_ctx *c,
			  const struct mn_syscall_info *si,
			  const struct invoke_args *ia, int given, long ret,
			  const struct mn_sysctx *ctx)
{
	char desc[128];

	mn_shell_printf(c, "%s(", si->name);
	for (int i = 0; i < given; i++) {
		int kind = si->args[i];

		if (i)
			mn_shell_printf(c, ", ");
		if (kind == MN_ARG_PATH ||
		    (kind == MN_ARG_BUF && ia->bufs[i] == NULL))
			mn_shell_printf(c, "\"%s\"",
					(const char *)(uintptr_t)ia->v[i]);
		else if (kind == MN_ARG_BUF)
			mn_shell_printf(c, "<buf>");
		else
			mn_shell_printf(c, "%lld", (long long)ia->v[i]);
	}
	if (ret >= 0)
		mn_shell_printf(c, ") = %ld\n", ret);
	else
		mn_shell_printf(c, ") = %ld %s\n", ret,
				mn_errno_describe((int)ret, desc,
						  sizeof(desc)));
	if (ret < 0 && ctx->msg[0])
		mn_shell_printf(c, "  %s\n", ctx->msg);
	if (ret > 0 && ia->out_buf) {
		mn_strbuf_add(c->out, ia->out_buf, (size_t)ret);
		if (ia->out_buf[ret - 1] != '\n')
			mn_strbuf_putc(c->out, '\n');
	}
}

int mn_shell_cmd_syscall_invoke(struct mn_shell_ctx *c, int argc,
				char **argv)
{
	struct mn_syscalls *s = mn_kernel_syscalls(c->k);
	struct mn_syscall_info si;
	struct invoke_args ia;
	struct mn_sysctx ctx;
	uint64_t nr;
	int ret;
	long r;

	memset(&ia, 0, sizeof(ia));
	if (mn_shell_parse_u64(argv[2], MN_SYSCALL_NR_MAX - 1, &nr) < 0) {
		ret = mn_syscall_lookup(s, argv[2]);
		if (ret < 0)
			return mn_shell_usage(c, "unknown syscall '%s' (see "
					      "'syscall info')",
					      argv[2]);
		nr = (uint64_t)ret;
	}
	if (mn_syscall_info(s, (uint32_t)nr, &si) < 0) {
		/* Let the dispatcher say it: that is what a program sees. */
		memset(&si, 0, sizeof(si));
		snprintf(si.name, sizeof(si.name), "syscall_%llu",
			 (unsigned long long)nr);
		si.nargs = MN_SYSCALL_ARGS;
	}
	ret = invoke_parse(c, &si, argc, argv, &ia);
	if (ret == 0) {
		mn_sysctx_init(&ctx, c->k, 1, 0, 0);
		r = mn_syscall_dispatch(s, &ctx, (uint32_t)nr, ia.v);
		invoke_report(c, &si, &ia, argc - 3, r, &ctx);
		ret = r < 0 ? MN_SHELL_FAIL : MN_SHELL_OK;
	}
	for (int i = 0; i < MN_SYSCALL_ARGS; i++)
		free(ia.bufs[i]);
	return ret;
}

/* --- posix --------------------------------------------------------------- */

int mn_shell_cmd_posix(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_texttable t;
	char desc[128];

	if (argc == 2) {
		int code = mn_errno_from_name(argv[1]);

		if (code < 0 || !mn_errno_is_known(code))
			return mn_shell_fail(c, "unknown error '%s'", argv[1]);
		mn_shell_printf(c, "%s, %s\n",
				mn_errno_describe(code, desc, sizeof(desc)),
				mn_errno_class(code));
		return MN_SHELL_OK;
	}
	mn_shell_printf(c, "POSIX errors (Linux values); retryable: try "
			"again as is; fatal: something is broken\n");
	mn_texttable_init_header(&t, ">CODE|NAME|CLASS|MESSAGE");
	for (size_t i = 0; i < mn_errno_count(); i++) {
		const char *name, *msg;
		int code;

		if (mn_errno_at(i, &code, &name, &msg) < 0)
			break;
		mn_texttable_cell(&t, "%d", code);
		mn_texttable_cell(&t, "%s", name);
		mn_texttable_cell(&t, "%s", mn_errno_class(code));
		mn_texttable_cell(&t, "%s", msg);
	}
	mn_texttable_print(&t, c->out);
	return MN_SHELL_OK;
}
