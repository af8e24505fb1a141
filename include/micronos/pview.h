/*
 * pview - one process as MicronOS shows it, everywhere: /proc/PID (stat,
 * status, statm, task/), the shell's ps, top and signals all read this one
 * view, so no two of them can disagree.
 *
 * A view is gathered once per call from the process table's record plus
 * what the scheduler, the memory manager, the signal service and, for a
 * process with a real program behind it, the host's own /proc know:
 *
 *   - user programs run by the sandbox: state, CPU times, threads, process
 *     group, session, terminal, memory (every Vm and Rss line), signal sets,
 *     umask and context switches are the host's figures for that program,
 *     read at the call.  Process group and session are the program's own
 *     pid namespace's numbers (NSpgid, NSsid), which are MicronOS pids.
 *   - init (pid 1) is the kernel: the daemon itself, so its figures are the
 *     daemon's memory and its CPU time less its kernel tasks' jobs, one
 *     thread (the others do the kernel tasks' work), pgrp = session = 1.
 *   - kernel tasks are MicronOS's work units: their state is their
 *     scheduler work's (R running or queued, T suspended, S waiting), their
 *     CPU time the time spent in their jobs (system time), no memory map,
 *     pgrp = session = 0 as Linux's kernel threads.
 *   - a process without a live host program (a forked record, a zombie)
 *     shows its recorded state, the sandbox's last usage report and the
 *     MicronOS memory charged to it.  A program's zombie the host has
 *     already reaped is gone (-ENOENT), as on the host, even before the
 *     sandbox's registry removes the record.
 *
 * Thread ids are the pid namespace's (MicronOS's) numbers, like pids.
 */
#ifndef MICRONOS_PVIEW_H
#define MICRONOS_PVIEW_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/proc.h>

struct mn_kernel;

struct mn_pview {
	struct mn_proc_info pi;
	char state;			/* R S D T t Z X I as Linux's */
	int has_mm;			/* a user/init process still alive */
	int from_host;			/* figures read from the host */
	int32_t pgrp, session;		/* MicronOS pids (kernel tasks: 0) */
	int32_t tty_nr, tpgid;		/* Linux's encoding; 0 / -1: none */
	uint64_t utime_ns, stime_ns;
	uint64_t minflt, majflt;
	uint32_t threads;
	uint32_t umask;
	/* memory, bytes (0 when not known or no memory map) */
	uint64_t vsize, rss;
	uint64_t vmpeak, vmhwm;		/* vsize, rss if unknown */
	uint64_t rss_anon, rss_file, rss_shmem;
	uint64_t vmdata, vmstk, vmexe, vmlib, vmpte, vmlck, vmpin, vmswap;
	uint64_t shared, text;		/* statm's 3rd and 4th, bytes */
	/* signal sets, bit (sig - 1) */
	uint64_t sigpnd, shdpnd, sigblk, sigign, sigcgt;
	uint64_t vol_ctxt, nonvol_ctxt;
};

/* 1 if pi is a program's zombie that the host has reaped already. */
int mn_pview_reaped(const struct mn_proc_info *pi);
/* Fills v for pid: 0 or -ENOENT. */
int mn_pview_get(struct mn_kernel *k, int32_t pid, struct mn_pview *v);
/*
 * The view of thread tid of process pid: the process's view with the
 * thread's own state, CPU times and context switches.  -ENOENT when pid has
 * no such thread.
 */
int mn_pview_get_thread(struct mn_kernel *k, int32_t pid, int32_t tid,
			struct mn_pview *v);
/*
 * The thread ids of pid, ascending, up to max into tids; returns how many
 * there are (the process's own pid when its threads cannot be listed), or
 * -ENOENT.
 */
int mn_pview_threads(struct mn_kernel *k, int32_t pid, int32_t *tids,
		     size_t max);
/*
 * The host pid whose /proc describes the program behind a process (its
 * host_pid; the daemon itself for init), or 0 for none.
 */
int32_t mn_pview_host_pid(const struct mn_proc_info *pi);
/* CPU time in ns (user + system). */
static inline uint64_t mn_pview_cpu_ns(const struct mn_pview *v)
{
	return v->utime_ns + v->stime_ns;
}

#endif
