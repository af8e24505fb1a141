/*
 * fs_proc_view.c - one process as /proc/PID shows it (struct mn_pview, see
 * fs_trees_i.h): the process table's record plus what the scheduler, the
 * signal service, the VFS descriptor tables and, for real programs, the
 * host's own /proc know about it.
 *
 * Why the host's /proc: a sandboxed program is a real host process (its
 * MicronOS record carries host_pid) and init is the daemon itself, so their
 * CPU time, memory and threads are best read where the host keeps them, at
 * the moment of the render.  The sandbox's periodic usage report is the
 * fallback, then what MicronOS charges the process.  Kernel tasks are
 * MicronOS's own work units: their CPU time is the time the scheduler spent
 * in their jobs, reported as system time, and like Linux's kernel threads
 * they have no memory map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/mem.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/signal.h>

#include "fs_trees_i.h"

#define HOST_FILE_MAX 16384

int32_t mn_pview_host_pid(const struct mn_proc_info *pi)
{
	if (pi->host_pid > 0)
		return pi->host_pid;
	if (pi->kind == MN_PROC_INIT)
		return (int32_t)getpid();	/* init is the kernel: us */
	return 0;
}

char mn_fs_proc_state_char(struct mn_kernel *k, int32_t pid, int kind,
			   int state)
{
	struct mn_sched_task_stats ts;

	if (kind != MN_PROC_KTASK || state != MN_PROC_RUNNING)
		return mn_proc_state_char((enum mn_proc_state)state);
	if (mn_sched_task_stats(mn_kernel_sched(k), pid, &ts) < 0)
		return 'S';
	if (ts.suspended)
		return 'T';
	return ts.running || ts.queued ? 'R' : 'S';
}

/* Reads /proc/<hp>/<name> of the host into sb. */
static int host_read(int32_t hp, const char *name, struct mn_strbuf *sb)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)hp, name);
	return mn_host_file_append(path, HOST_FILE_MAX, sb);
}

/* Fields 14 utime, 15 stime, 20 num_threads, 23 vsize, 24 rss. */
static int host_stat(int32_t hp, struct mn_pview *v)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	unsigned long long f[25] = {0};
	uint64_t tick_ns = 1000000000ULL / mn_host_clk_tck();
	const char *p;
	char *end;
	int i, ret = host_read(hp, "stat", &sb);

	p = ret == 0 ? strrchr(mn_strbuf_str(&sb), ')') : NULL;
	if (!p) {
		mn_strbuf_release(&sb);
		return ret < 0 ? ret : -EINVAL;
	}
	p += 2;		/* ") " then field 3, the state */
	for (i = 4; i <= 24 && *p; i++) {
		while (*p && *p != ' ')
			p++;
		f[i] = strtoull(p, &end, 10);
		p = end;
	}
	mn_strbuf_release(&sb);
	if (i <= 24)
		return -EINVAL;
	v->utime_ns = f[14] * tick_ns;
	v->stime_ns = f[15] * tick_ns;
	v->threads = (uint32_t)f[20];
	v->vsize = f[23];
	v->rss = f[24] * mn_host_page_size();
	return 0;
}

/* A "Name:\tvalue" line of a status text: value parsed in base, or 0. */
static uint64_t status_field(const char *text, const char *name, int base)
{
	const char *p = text;
	size_t n = strlen(name);

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return strtoull(p + n + 1, NULL, base);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static void host_status(int32_t hp, struct mn_pview *v, int sigs)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	const char *s;

	if (host_read(hp, "status", &sb) == 0) {
		s = mn_strbuf_str(&sb);
		v->umask = (uint32_t)status_field(s, "Umask", 8);
		v->vmpeak = status_field(s, "VmPeak", 10) * 1024;
		v->vmhwm = status_field(s, "VmHWM", 10) * 1024;
		v->vol_ctxt = status_field(s, "voluntary_ctxt_switches", 10);
		v->nonvol_ctxt = status_field(s,
					      "nonvoluntary_ctxt_switches", 10);
		if (sigs) {
			v->sigpnd = status_field(s, "SigPnd", 16);
			v->shdpnd = status_field(s, "ShdPnd", 16);
			v->sigblk = status_field(s, "SigBlk", 16);
			v->sigign = status_field(s, "SigIgn", 16);
			v->sigcgt = status_field(s, "SigCgt", 16);
		}
	}
	mn_strbuf_release(&sb);
}

static void module_signals(struct mn_kernel *k, int32_t pid,
			   struct mn_pview *v)
{
	struct mn_signals *sigs = mn_kernel_signals(k);
	int sig, d;

	if (!sigs)
		return;
	mn_signals_pending(sigs, pid, &v->sigpnd);
	mn_signals_mask(sigs, pid, MN_SIG_SETMASK, NULL, &v->sigblk);
	for (sig = 1; sig <= MN_SIG_MAX; sig++) {
		d = mn_signals_get_disp(sigs, pid, sig);
		if (d == MN_SIG_IGN)
			v->sigign |= MN_SIGBIT(sig);
		else if (d == MN_SIG_HANDLE)
			v->sigcgt |= MN_SIGBIT(sig);
	}
}

/* Figures without a host program: usage report, charges, scheduler. */
static void own_figures(struct mn_kernel *k, struct mn_pview *v)
{
	const struct mn_proc_info *pi = &v->pi;
	struct mn_sched_task_stats ts;

	if (pi->usage_update_ns) {
		v->utime_ns = pi->usage.utime_ns;
		v->stime_ns = pi->usage.stime_ns;
		v->vsize = pi->usage.vsize_bytes;
		v->rss = pi->usage.rss_bytes;
		v->threads = pi->usage.threads;
	} else {
		v->vsize = v->rss = pi->mem_bytes;
	}
	if (pi->kind == MN_PROC_KTASK &&
	    mn_sched_task_stats(mn_kernel_sched(k), pi->pid, &ts) == 0) {
		v->stime_ns = ts.run_ns;
		v->vol_ctxt = ts.runs;	/* each job ends by giving way */
	}
}

int mn_pview_get(struct mn_kernel *k, int32_t pid, struct mn_pview *v)
{
	struct mn_proc_info *pi = &v->pi;
	int32_t hp;
	int ktask, alive, host_sigs;

	memset(v, 0, sizeof(*v));
	if (pid <= 0 || mn_proc_get(mn_kernel_procs(k), pid, pi) < 0)
		return -ENOENT;
	/* The memory manager keeps the charges: one source of truth. */
	if (mn_kernel_mem(k))
		pi->mem_bytes = mn_mem_used_by(mn_kernel_mem(k), pid);
	ktask = pi->kind == MN_PROC_KTASK;
	alive = pi->state != MN_PROC_ZOMBIE && pi->state != MN_PROC_DEAD;
	v->state = mn_fs_proc_state_char(k, pid, pi->kind, pi->state);
	v->has_mm = !ktask && alive;
	v->pgrp = v->session = ktask ? 0 : pid;
	v->umask = 022;
	hp = alive ? mn_pview_host_pid(pi) : 0;
	v->from_host = hp > 0 && host_stat(hp, v) == 0;
	host_sigs = v->from_host && pi->kind == MN_PROC_USER;
	if (v->from_host)
		host_status(hp, v, host_sigs);
	else
		own_figures(k, v);
	if (!host_sigs)
		module_signals(k, pid, v);
	if (!v->has_mm)
		v->vsize = v->rss = 0;
	if (v->vmpeak < v->vsize)
		v->vmpeak = v->vsize;
	if (v->vmhwm < v->rss)
		v->vmhwm = v->rss;
	if (!v->threads)
		v->threads = 1;
	return 0;
}
