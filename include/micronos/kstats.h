/*
 * kstats - the kernel's figures in the statistics service (stats.h).
 *
 * Each subsystem keeps its own exact counts (the syscall table per row,
 * the event bus per type and source, the process table, the scheduler, the
 * signal service, the memory manager, the drivers, the health monitor, the
 * network's sockets).  mn_kernel_stats_refresh() copies them into the
 * kernel's stats table under stable names, so `stats`, /sys/stats and the
 * Prometheus file show every subsystem in one place.  Counters that
 * modules push themselves (the FUSE adapter's, storage bytes) are already
 * in the table and are left alone.
 *
 * Names (counters unless "gauge"):
 *   syscalls.calls, syscalls.errors, syscalls.unknown,
 *   syscalls.nr.NAME.calls, syscalls.nr.NAME.errors   (rows called)
 *   proc.created, proc.reaped; proc.count, proc.running (gauges)
 *   sched.submitted, sched.completed, sched.discarded; sched.queued (gauge)
 *   signals.sent, .delivered, .ignored, .to_host, .refused
 *   events.published, events.dropped, events.type.NAME, events.source.NAME
 *   mem.allocs, mem.frees, mem.refused; mem.space.used, mem.ram.used,
 *   mem.ram.total (gauges, bytes)
 *   drivers.NAME.reads, .writes, .bytes_read, .bytes_written, .errors,
 *   .transitions
 *   health.checks, health.recoveries, health.recovery_attempts;
 *   health.failing (gauge)
 *
 * The network is a layer above the kernel: its gauges (net.sockets,
 * net.tx_bytes, net.rx_bytes of the open sockets) are refreshed by
 * mn_net_stats_refresh() (net.h), which the stats views call beside this.
 *
 * A refreshed counter holds the subsystem's count since boot: a stats
 * reset clears it only until the next refresh.
 */
#ifndef MICRONOS_KSTATS_H
#define MICRONOS_KSTATS_H

struct mn_kernel;

/* Copies every subsystem's figures now.  0 or -ENOSPC (table full). */
int mn_kernel_stats_refresh(struct mn_kernel *k);

#endif
