/*
 * stats.c - the kernel's figures in the statistics service (see
 * <micronos/kstats.h>): a refresh copies each subsystem's own counts into
 * the stats table by name.
 *
 * Why pull rather than push: every subsystem already counts exactly what it
 * does, lock-free, in its own table (the syscall rows, the bus per type);
 * counting it a second time on the hot path would cost for nothing.  The
 * refresh runs when someone looks (`stats`, /sys/stats, the Prometheus
 * file), with no lock of ours held while a subsystem is asked.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <micronos/driver.h>
#include <micronos/evbus.h>
#include <micronos/health.h>
#include <micronos/kernel.h>
#include <micronos/kstats.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/signal.h>
#include <micronos/stats.h>
#include <micronos/syscall.h>

struct refresh {
	struct mn_stats *st;
	int err;
};

/* Sets counter `name` to v (the subsystem's count since boot). */
static void put_counter(struct refresh *r, const char *name, uint64_t v)
{
	_Atomic uint64_t *c;
	int e = mn_stats_counter(r->st, name, &c);

	if (e == 0)
		atomic_store_explicit(c, v, memory_order_relaxed);
	else if (!r->err)
		r->err = e;
}

static void put_gauge(struct refresh *r, const char *name, int64_t v)
{
	int e = mn_stats_set(r->st, name, v);

	if (e < 0 && !r->err)
		r->err = e;
}

static void __attribute__((format(printf, 3, 0)))
put_fmt(struct refresh *r, uint64_t v, const char *fmt, const char *a,
	const char *b)
{
	char name[1024];
	int n = snprintf(name, sizeof(name), fmt, a, b);

	/* a name too long for the table (a long driver name) is left out */
	if (n > 0 && n <= MN_STATS_NAME_MAX)
		put_counter(r, name, v);
}

static void syscalls(struct refresh *r, struct mn_syscalls *s)
{
	struct mn_syscall_info *rows;
	struct mn_syscall_totals t;
	size_t n, i;

	if (!s)
		return;
	mn_syscall_totals(s, &t);
	put_counter(r, "syscalls.calls", t.calls);
	put_counter(r, "syscalls.errors", t.errors);
	put_counter(r, "syscalls.unknown", t.unknown);
	rows = calloc(MN_SYSCALL_ROWS_MAX, sizeof(*rows));
	if (!rows)
		return;
	n = mn_syscall_list(s, rows, MN_SYSCALL_ROWS_MAX);
	for (i = 0; i < n && i < MN_SYSCALL_ROWS_MAX; i++) {
		if (!rows[i].calls)
			continue;	/* a row never called adds no name */
		put_fmt(r, rows[i].calls, "syscalls.nr.%s.%s", rows[i].name,
			"calls");
		put_fmt(r, rows[i].errors, "syscalls.nr.%s.%s", rows[i].name,
			"errors");
	}
	free(rows);
}

static void procs(struct refresh *r, struct mn_kernel *k)
{
	struct mn_proctab_stats ps;
	struct mn_sched_stats ss;
	struct mn_signals_stats gs;

	mn_proctab_stats(mn_kernel_procs(k), &ps);
	put_counter(r, "proc.created", ps.created);
	put_counter(r, "proc.reaped", ps.reaped);
	put_gauge(r, "proc.count", ps.total);
	put_gauge(r, "proc.running", ps.by_state[MN_PROC_RUNNING]);
	mn_sched_stats(mn_kernel_sched(k), &ss);
	put_counter(r, "sched.submitted", ss.submitted);
	put_counter(r, "sched.completed", ss.completed);
	put_counter(r, "sched.discarded", ss.discarded);
	put_gauge(r, "sched.queued", (int64_t)ss.queued);
	if (!mn_kernel_signals(k))
		return;
	mn_signals_stats(mn_kernel_signals(k), &gs);
	put_counter(r, "signals.sent", gs.sent);
	put_counter(r, "signals.delivered", gs.delivered);
	put_counter(r, "signals.ignored", gs.ignored);
	put_counter(r, "signals.to_host", gs.to_host);
	put_counter(r, "signals.refused", gs.refused);
}

static void events(struct refresh *r, struct mn_evbus *bus)
{
	struct mn_evstats es;
	int i;

	mn_evbus_stats(bus, &es);
	put_counter(r, "events.published", es.published);
	put_counter(r, "events.dropped", es.dropped);
	for (i = 0; i < MN_EV__COUNT; i++)
		if (es.by_type[i])
			put_fmt(r, es.by_type[i], "events.type.%s%s",
				mn_event_type_name((enum mn_event_type)i), "");
	for (i = 0; i < MN_SRC__COUNT; i++)
		if (es.by_source[i])
			put_fmt(r, es.by_source[i], "events.source.%s%s",
				mn_event_source_name((enum mn_event_source)i),
				"");
}

static void memory(struct refresh *r, struct mn_kernel *k)
{
	struct mn_meminfo mi;
	struct mn_memview mv;

	if (!mn_kernel_mem(k))
		return;
	mn_mem_info(mn_kernel_mem(k), &mi);
	put_counter(r, "mem.allocs", mi.alloc_calls);
	put_counter(r, "mem.frees", mi.free_calls);
	put_counter(r, "mem.refused", mi.failed_calls);
	put_gauge(r, "mem.space.used", (int64_t)mi.used);
	if (mn_memview_get(k, &mv) == 0) {
		put_gauge(r, "mem.ram.used", (int64_t)mv.used);
		put_gauge(r, "mem.ram.total", (int64_t)mv.total);
	}
}

static void drivers(struct refresh *r, struct mn_drivers *d)
{
	struct mn_driver_info info[64];
	size_t n, i;

	if (!d)
		return;
	n = mn_drivers_list(d, info, 64);
	for (i = 0; i < n && i < 64; i++) {
		put_fmt(r, info[i].reads, "drivers.%s.%s", info[i].name,
			"reads");
		put_fmt(r, info[i].writes, "drivers.%s.%s", info[i].name,
			"writes");
		put_fmt(r, info[i].bytes_read, "drivers.%s.%s", info[i].name,
			"bytes_read");
		put_fmt(r, info[i].bytes_written, "drivers.%s.%s",
			info[i].name, "bytes_written");
		put_fmt(r, info[i].errors, "drivers.%s.%s", info[i].name,
			"errors");
		put_fmt(r, info[i].transitions, "drivers.%s.%s", info[i].name,
			"transitions");
	}
}

static void health(struct refresh *r, struct mn_health *h)
{
	struct mn_health_info info[64];
	uint64_t checks = 0, rec = 0, att = 0;
	int64_t failing = 0;
	int n, i;

	if (!h)
		return;
	n = mn_health_list(h, info, 64);
	for (i = 0; i < n && i < 64; i++) {
		checks += info[i].checks;
		rec += info[i].recoveries;
		att += info[i].recovery_attempts;
		failing += info[i].status == MN_HEALTH_FAILED;
	}
	put_counter(r, "health.checks", checks);
	put_counter(r, "health.recoveries", rec);
	put_counter(r, "health.recovery_attempts", att);
	put_gauge(r, "health.failing", failing);
}

int mn_kernel_stats_refresh(struct mn_kernel *k)
{
	struct refresh r = {mn_kernel_stats(k), 0};

	if (!r.st)
		return -ENODEV;
	syscalls(&r, mn_kernel_syscalls(k));
	procs(&r, k);
	events(&r, mn_kernel_evbus(k));
	memory(&r, k);
	drivers(&r, mn_kernel_drivers(k));
	health(&r, mn_kernel_health(k));
	return r.err;
}
