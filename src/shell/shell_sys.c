/*
 * shell_sys.c - the shell's "system info" group: info, status, version,
 * kernel, uptime and top.  (benchmark lives in shell_bench.c.)
 *
 * These commands read the kernel's own records (boot stages, process
 * table, scheduler, memory, event bus, health); the figures are the ones
 * /proc and /sys show.  top is one snapshot per call: a terminal client
 * re-runs it to refresh in place (MN_SHELL_F_LIVE), so the server keeps no
 * per-viewer state and a viewer that goes away costs nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/evbus.h>
#include <micronos/health.h>
#include <micronos/kernel.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/proc.h>
#include <micronos/pview.h>
#include <micronos/sched.h>

#include "shell_i.h"

static const char *dur(char *buf, size_t n, uint64_t ns)
{
	return mn_fmt_duration(buf, n, ns);
}

static const char *size(char *buf, size_t n, uint64_t bytes)
{
	return mn_fmt_size(buf, n, bytes);
}

static uint64_t boot_total_ns(struct mn_kernel *k)
{
	struct mn_stage_info si;
	uint64_t total = 0;

	for (int s = 0; s < MN_STAGE__COUNT; s++) {
		mn_kernel_stage_info(k, s, &si);
		total += si.duration_ns;
	}
	return total;
}

int mn_shell_cmd_version(struct mn_shell_ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	mn_shell_printf(c, "MicronOS %s\n", MN_VERSION);
	return MN_SHELL_OK;
}

static void info_memory(struct mn_shell_ctx *c)
{
	struct mn_mem *mem = mn_kernel_mem(c->k);
	struct mn_memview mv;
	struct mn_meminfo mi;
	char a[32], b[32], d[32], e[32];

	if (!mem || mn_memview_get(c->k, &mv) < 0) {
		mn_shell_printf(c, "%-12s not started\n", "memory:");
		return;
	}
	mn_mem_info(mem, &mi);
	/* the memory model (memview.h): RAM, then the address space */
	mn_shell_printf(c, "%-12s RAM %s used of %s by %u processes; "
			"address space %s used of %s, %llu allocations\n",
			"memory:", size(a, sizeof(a), mv.used),
			size(b, sizeof(b), mv.total), mv.holders,
			size(d, sizeof(d), mi.used),
			size(e, sizeof(e), mi.total),
			(unsigned long long)mi.allocations);
}

int mn_shell_cmd_info(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_kernel *k = c->k;
	struct mn_proctab_stats ps;
	struct mn_evstats es;
	struct utsname u;
	char host[128] = "?", a[32], b[32];
	const char *dd = mn_kernel_data_dir(k), *rd = mn_kernel_runtime_dir(k);
	struct mn_drivers *drvs = mn_kernel_drivers(c->k);

	(void)argc;
	(void)argv;
	mn_config_get(mn_kernel_config(k), "kernel.hostname", host,
		      sizeof(host));
	mn_proctab_stats(mn_kernel_procs(k), &ps);
	mn_evbus_stats(mn_kernel_evbus(k), &es);
	mn_shell_printf(c, "%-12s MicronOS %s\n", "system:", MN_VERSION);
	mn_shell_printf(c, "%-12s %s (hostname %s)\n", "instance:",
			mn_kernel_name(k), host);
	mn_shell_printf(c, "%-12s %s\n", "state:",
			mn_kernel_is_up(k) ? "up" : "not booted");
	mn_shell_printf(c, "%-12s %s (boot took %s)\n", "uptime:",
			dur(a, sizeof(a), mn_kernel_uptime_ns(k)),
			dur(b, sizeof(b), boot_total_ns(k)));
	mn_shell_printf(c, "%-12s %u (%u kernel tasks, %u user)\n",
			"processes:", ps.total, ps.by_kind[MN_PROC_KTASK],
			ps.by_kind[MN_PROC_USER]);
	info_memory(c);
	mn_shell_printf(c, "%-12s %zu\n", "drivers:",
			drvs ? mn_drivers_list(drvs, NULL, 0) : 0);
	mn_shell_printf(c, "%-12s %llu published, %llu in history\n",
			"events:", (unsigned long long)es.published,
			(unsigned long long)es.in_history);
	mn_shell_printf(c, "%-12s %s\n", "health:",
			mn_health_status_name(
				mn_health_overall(mn_kernel_health(k))));
	mn_shell_printf(c, "%-12s %s\n", "data dir:",
			dd && *dd ? dd : "(none: memory only)");
	mn_shell_printf(c, "%-12s %s\n", "runtime dir:",
			rd && *rd ? rd : "(none)");
	if (uname(&u) == 0)
		mn_shell_printf(c, "%-12s %s %s %s, daemon pid %d, %ld CPUs\n",
				"host:", u.sysname, u.release, u.machine,
				(int)getpid(), sysconf(_SC_NPROCESSORS_ONLN));
	return MN_SHELL_OK;
}

int mn_shell_cmd_status(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_proctab_stats ps;
	char a[32];
	int ret;

	(void)argc;
	(void)argv;
	mn_proctab_stats(mn_kernel_procs(c->k), &ps);
	if (mn_kernel_is_up(c->k))
		mn_shell_printf(c, "kernel: running for %s, ",
				dur(a, sizeof(a), mn_kernel_uptime_ns(c->k)));
	else
		mn_shell_printf(c, "kernel: not booted, ");
	mn_shell_printf(c, "%u processes (%u running, %u stopped)\n",
			ps.total, ps.by_state[MN_PROC_RUNNING],
			ps.by_state[MN_PROC_STOPPED]);
	ret = mn_health_format_table(mn_kernel_health(c->k), c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "health");
	return MN_SHELL_OK;
}

int mn_shell_cmd_kernel(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_stage_info si;
	struct mn_texttable t;
	char a[32];

	(void)argc;
	(void)argv;
	mn_shell_printf(c, "MicronOS %s, instance %s, %s\n", MN_VERSION,
			mn_kernel_name(c->k),
			mn_kernel_is_up(c->k) ? "up" : "not booted");
	mn_texttable_init_header(&t, ">#|STAGE|STATE|>DURATION|NOTE");
	for (int s = 0; s < MN_STAGE__COUNT; s++) {
		mn_kernel_stage_info(c->k, s, &si);
		mn_texttable_cell(&t, "%d", s + 1);
		mn_texttable_cell(&t, "%s", si.name);
		mn_texttable_cell(&t, "%s", si.error ? "failed"
					    : si.started ? "started" : "-");
		mn_texttable_cell(&t, "%s",
				  si.started || si.error
					  ? dur(a, sizeof(a), si.duration_ns)
					  : "-");
		mn_texttable_cell(&t, "%s",
				  si.error ? strerror(-si.error) : "");
	}
	mn_texttable_print(&t, c->out);
	mn_shell_printf(c, "boot took %s\n",
			dur(a, sizeof(a), boot_total_ns(c->k)));
	return MN_SHELL_OK;
}

int mn_shell_cmd_uptime(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_proctab_stats ps;
	struct mn_sched_stats ss;
	char a[32];

	(void)argc;
	(void)argv;
	mn_proctab_stats(mn_kernel_procs(c->k), &ps);
	mn_sched_stats(mn_kernel_sched(c->k), &ss);
	mn_shell_printf(c, "up %s, %u processes, %llu kernel jobs run, "
			"%llu queued\n",
			dur(a, sizeof(a), mn_kernel_uptime_ns(c->k)), ps.total,
			(unsigned long long)ss.completed,
			(unsigned long long)ss.queued);
	return MN_SHELL_OK;
}

/* --------------------------------------------------------------------- */
/* top */

struct top_row {
	struct mn_proc_info pi;
	char state;		/* the process view's (pview.h), as /proc */
	uint64_t cpu_ns;	/* host CPU time, or kernel-job time */
	uint64_t runs;		/* kernel jobs run */
	uint64_t mem;		/* resident (host) + MicronOS memory */
};

static int by_cpu(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->cpu_ns != y->cpu_ns)
		return x->cpu_ns < y->cpu_ns ? 1 : -1;
	return x->pi.pid - y->pi.pid;
}

/* Collects processes with their activity; returns the count or -ENOMEM. */
static int top_collect(struct mn_kernel *k, struct top_row **out)
{
	struct mn_proctab *pt = mn_kernel_procs(k);
	size_t n = mn_proc_count(pt) + 16, got;
	struct mn_proc_info *pis = calloc(n, sizeof(*pis));
	struct top_row *rows = calloc(n, sizeof(*rows));

	if (!pis || !rows) {
		free(pis);
		free(rows);
		return -ENOMEM;
	}
	got = mn_proc_list(pt, pis, n);
	if (got > n)
		got = n;
	for (size_t i = 0; i < got; i++) {
		struct mn_sched_task_stats ts;
		struct top_row *r = &rows[i];
		struct mn_pview v;

		/* the one process view /proc and ps read (pview.h) */
		if (mn_pview_get(k, pis[i].pid, &v) < 0) {
			r->pi = pis[i];
			r->state = 'X';
			continue;
		}
		r->pi = v.pi;
		r->state = v.state;
		r->cpu_ns = mn_pview_cpu_ns(&v);
		r->mem = v.rss + v.pi.mem_bytes;
		if (mn_sched_task_stats(mn_kernel_sched(k), pis[i].pid,
					&ts) == 0)
			r->runs = ts.runs;
	}
	free(pis);
	qsort(rows, got, sizeof(*rows), by_cpu);
	*out = rows;
	return (int)got;
}

static void top_header(struct mn_shell_ctx *c, const struct top_row *rows,
		       int n)
{
	unsigned st[4] = {0, 0, 0, 0};	/* running sleeping stopped zombie */
	struct mn_memview mv;
	char e[32], f[32];
	struct mn_proctab_stats ps;
	struct mn_sched_stats ss;
	struct mn_evstats es;
	char a[32], b[32], d[32];

	mn_proctab_stats(mn_kernel_procs(c->k), &ps);
	mn_sched_stats(mn_kernel_sched(c->k), &ss);
	mn_evbus_stats(mn_kernel_evbus(c->k), &es);
	mn_shell_printf(c, "MicronOS %s - up %s\n", mn_kernel_name(c->k),
			dur(a, sizeof(a), mn_kernel_uptime_ns(c->k)));
	for (int i = 0; i < n; i++)
		st[rows[i].state == 'R' ? 0 : rows[i].state == 'T' ||
		   rows[i].state == 't' ? 2 : rows[i].state == 'Z' ? 3 : 1]++;
	mn_shell_printf(c, "Tasks: %u total, %u running, %u sleeping, "
			"%u stopped, %u zombie\n",
			(unsigned)n, st[0], st[1], st[2], st[3]);
	mn_shell_printf(c, "Jobs:  %llu run, %llu queued, %llu running, "
			"%u workers\n",
			(unsigned long long)ss.completed,
			(unsigned long long)ss.queued,
			(unsigned long long)ss.running, ss.workers);
	mn_memview_get(c->k, &mv);	/* the model free(1) shows too */
	mn_shell_printf(c, "Mem:   %s total, %s used, %s free; address "
			"space %s used of %s\n",
			size(a, sizeof(a), mv.total),
			size(b, sizeof(b), mv.used),
			size(d, sizeof(d), mv.free),
			size(e, sizeof(e), mv.space_used),
			size(f, sizeof(f), mv.space_total));
	mn_shell_printf(c, "Events: %llu published, %llu in history\n\n",
			(unsigned long long)es.published,
			(unsigned long long)es.in_history);
}

int mn_shell_cmd_top(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct top_row *rows;
	struct mn_texttable t;
	uint64_t now = mn_kernel_uptime_ns(c->k);
	int n;

	if (argc == 2 && strcmp(argv[1], "-c"))
		return mn_shell_usage(c, "unknown option '%s'", argv[1]);
	n = top_collect(c->k, &rows);
	if (n < 0)
		return mn_shell_errno(c, n, "process list");
	top_header(c, rows, n);
	mn_texttable_init_header(&t, ">PID|USER|PRIO|>NI|S|>CPU%|>TIME|>JOBS|"
				 ">MEM|COMMAND");
	for (int i = 0; i < n; i++) {
		struct top_row *r = &rows[i];
		uint64_t life = now > r->pi.start_ns ? now - r->pi.start_ns : 0;
		char a[32], b[32];

		mn_texttable_cell(&t, "%d", r->pi.pid);
		mn_texttable_cell(&t, "%u", r->pi.uid);
		mn_texttable_cell(&t, "%s", mn_prio_name(r->pi.prio));
		mn_texttable_cell(&t, "%d", r->pi.nice);
		mn_texttable_cell(&t, "%c", r->state);
		/* Average over the process's life: one snapshot has no
		 * previous one to take a difference from. */
		mn_texttable_cell(&t, "%.1f",
				  life ? 100.0 * (double)r->cpu_ns /
						 (double)life
				       : 0.0);
		mn_texttable_cell(&t, "%s", dur(a, sizeof(a), r->cpu_ns));
		mn_texttable_cell(&t, "%llu", (unsigned long long)r->runs);
		mn_texttable_cell(&t, "%s",
				  r->mem ? size(b, sizeof(b), r->mem) : "-");
		mn_texttable_cell(&t, "%s", r->pi.comm);
	}
	mn_texttable_print(&t, c->out);
	free(rows);
	if (argc == 1)
		c->flags |= MN_SHELL_F_LIVE;
	return MN_SHELL_OK;
}
