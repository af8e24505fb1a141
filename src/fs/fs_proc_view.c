/*
 * fs_proc_view.c - one process as MicronOS shows it (struct mn_pview, see
 * <micronos/pview.h>): the process table's record plus what the scheduler,
 * the memory manager, the signal service and, for real programs, the
 * host's own /proc know about it.  /proc/PID, the shell's ps, top and
 * signals all read this view.
 *
 * Why the host's /proc: a sandboxed program is a real host process (its
 * MicronOS record carries host_pid) and init is the daemon itself, so their
 * state, CPU time, memory and threads are best read where the host keeps
 * them, at the moment of the call.  The sandbox's periodic usage report is
 * the fallback, then what MicronOS charges the process.  Kernel tasks are
 * MicronOS's own work units: their CPU time is the time the scheduler spent
 * in their jobs, reported as system time, and like Linux's kernel threads
 * they have no memory map.
 *
 * init is the kernel, so its CPU time is the daemon's less what its kernel
 * tasks' jobs account for (each CPU second is shown once), and it has one
 * thread: the daemon's other threads do the kernel tasks' work and show as
 * those tasks.  Its memory is the daemon's whole memory.
 */
#include <dirent.h>
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
	if (pi->kind == MN_PROC_INIT)
		return (int32_t)getpid();	/* init is the kernel: us */
	if (pi->host_pid > 0)
		return pi->host_pid;
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
	char path[340];

	snprintf(path, sizeof(path), "/proc/%d/%.300s", (int)hp, name);
	return mn_host_file_append(path, HOST_FILE_MAX, sb);
}

/*
 * Parses a stat text: the state letter into *state and fields 4..24 into
 * f[] (f[i] is field i of proc(5); 7 tty_nr and 8 tpgid may be negative).
 */
static int parse_stat(const char *text, char *state, long long f[25])
{
	const char *p = strrchr(text, ')');
	char *end;
	int i;

	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	*state = p[2];
	p += 3;
	for (i = 4; i <= 24 && *p; i++) {
		f[i] = strtoll(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
	}
	return i <= 24 ? -EINVAL : 0;
}

static int host_stat(const char *name, int32_t hp, struct mn_pview *v,
		     int whole)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	long long f[25] = {0};
	uint64_t tick_ns = 1000000000ULL / mn_host_clk_tck();
	char st = 0;
	int ret = host_read(hp, name, &sb);

	if (ret == 0)
		ret = parse_stat(mn_strbuf_str(&sb), &st, f);
	mn_strbuf_release(&sb);
	if (ret < 0)
		return ret;
	v->state = st;
	v->utime_ns = (uint64_t)f[14] * tick_ns;
	v->stime_ns = (uint64_t)f[15] * tick_ns;
	v->minflt = (uint64_t)f[10];
	v->majflt = (uint64_t)f[12];
	if (!whole)
		return 0;
	v->tty_nr = (int32_t)f[7];
	v->tpgid = (int32_t)f[8];
	v->threads = (uint32_t)f[20];
	v->vsize = (uint64_t)f[23];
	v->rss = (uint64_t)f[24] * mn_host_page_size();
	return 0;
}

/* The line "Name:..." of a status text, just after the colon, or NULL. */
static const char *status_line(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* A "Name:\tvalue" line of a status text: value parsed in base, or 0. */
static uint64_t status_field(const char *text, const char *name, int base)
{
	const char *p = status_line(text, name);

	return p ? strtoull(p, NULL, base) : 0;
}

static uint64_t status_kb(const char *text, const char *name)
{
	return status_field(text, name, 10) * 1024;
}

/*
 * The last number of a "NSpid:\t17472\t40" line: the innermost pid
 * namespace's, which is the sandbox's and so MicronOS's.  -1 if absent.
 */
static long long status_last(const char *text, const char *name)
{
	const char *p = status_line(text, name);
	long long v = -1;
	char *end;

	while (p && *p && *p != '\n') {
		long long x = strtoll(p, &end, 10);

		if (end == p)
			break;
		v = x;
		p = end;
	}
	return v;
}

static void host_status(int32_t hp, struct mn_pview *v, int program)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	const char *s;
	long long pg, sid;

	if (host_read(hp, "status", &sb) < 0) {
		mn_strbuf_release(&sb);
		return;
	}
	s = mn_strbuf_str(&sb);
	v->umask = (uint32_t)status_field(s, "Umask", 8);
	v->vmpeak = status_kb(s, "VmPeak");
	v->vmhwm = status_kb(s, "VmHWM");
	v->vmlck = status_kb(s, "VmLck");
	v->vmpin = status_kb(s, "VmPin");
	v->rss_anon = status_kb(s, "RssAnon");
	v->rss_file = status_kb(s, "RssFile");
	v->rss_shmem = status_kb(s, "RssShmem");
	v->vmdata = status_kb(s, "VmData");
	v->vmstk = status_kb(s, "VmStk");
	v->vmexe = status_kb(s, "VmExe");
	v->vmlib = status_kb(s, "VmLib");
	v->vmpte = status_kb(s, "VmPTE");
	v->vmswap = status_kb(s, "VmSwap");
	v->vol_ctxt = status_field(s, "voluntary_ctxt_switches", 10);
	v->nonvol_ctxt = status_field(s, "nonvoluntary_ctxt_switches", 10);
	if (program) {
		v->sigpnd = status_field(s, "SigPnd", 16);
		v->shdpnd = status_field(s, "ShdPnd", 16);
		v->sigblk = status_field(s, "SigBlk", 16);
		v->sigign = status_field(s, "SigIgn", 16);
		v->sigcgt = status_field(s, "SigCgt", 16);
		pg = status_last(s, "NSpgid");
		sid = status_last(s, "NSsid");
		if (pg >= 0)
			v->pgrp = (int32_t)pg;
		if (sid >= 0)
			v->session = (int32_t)sid;
	}
	mn_strbuf_release(&sb);
}

/* statm's shared and text pages. */
static void host_statm(int32_t hp, struct mn_pview *v)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	unsigned long long size, res, shared, text;

	if (host_read(hp, "statm", &sb) == 0 &&
	    sscanf(mn_strbuf_str(&sb), "%llu %llu %llu %llu", &size, &res,
		   &shared, &text) == 4) {
		v->shared = shared * mn_host_page_size();
		v->text = text * mn_host_page_size();
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
	v->rss_anon = v->rss;
	v->vmdata = v->vsize;
	if (pi->kind == MN_PROC_KTASK &&
	    mn_sched_task_stats(mn_kernel_sched(k), pi->pid, &ts) == 0) {
		v->stime_ns = ts.run_ns;
		v->vol_ctxt = ts.runs;	/* each job ends by giving way */
	}
}

struct ktask_sum {
	struct mn_kernel *k;
	uint64_t ns;
};

static int sum_ktask_ns(void *arg, const struct mn_proc_info *pi)
{
	struct ktask_sum *s = arg;
	struct mn_sched_task_stats ts;

	if (pi->kind == MN_PROC_KTASK &&
	    mn_sched_task_stats(mn_kernel_sched(s->k), pi->pid, &ts) == 0)
		s->ns += ts.run_ns;
	return 0;
}

/* init: the daemon's CPU time less its kernel tasks' (shown there). */
static void init_figures(struct mn_kernel *k, struct mn_pview *v)
{
	struct ktask_sum sum = {k, 0};
	uint64_t ktask, cut;

	mn_proc_foreach(mn_kernel_procs(k), sum_ktask_ns, &sum);
	ktask = sum.ns;
	cut = ktask < v->stime_ns ? ktask : v->stime_ns;
	v->stime_ns -= cut;
	ktask -= cut;
	v->utime_ns -= ktask < v->utime_ns ? ktask : v->utime_ns;
	v->threads = 1;
	v->pgrp = v->session = MN_PID_INIT;
	v->tty_nr = 0;
	v->tpgid = -1;
}

/* A Linux state letter, or the recorded one when the host's is odd. */
static int host_state_ok(char c)
{
	return c && strchr("RSDTtZXIPKWx", c) != NULL;
}

int mn_pview_reaped(const struct mn_proc_info *pi)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	const char *p;
	int gone;

	if (pi->state != MN_PROC_ZOMBIE || pi->kind != MN_PROC_USER ||
	    pi->host_pid <= 0)
		return 0;
	/* a program's zombie is the host's: gone once the host reaped it
	   (the sandbox's registry catches up at its next tick) */
	gone = host_read(pi->host_pid, "stat", &sb) < 0;
	if (!gone) {
		p = strrchr(mn_strbuf_str(&sb), ')');
		gone = !p || p[1] != ' ' || p[2] != 'Z';
	}
	mn_strbuf_release(&sb);
	return gone;
}

int mn_pview_get(struct mn_kernel *k, int32_t pid, struct mn_pview *v)
{
	struct mn_proc_info *pi = &v->pi;
	char recorded;
	int32_t hp;
	int ktask, alive, program;

	memset(v, 0, sizeof(*v));
	if (pid <= 0 || mn_proc_get(mn_kernel_procs(k), pid, pi) < 0 ||
	    mn_pview_reaped(pi))
		return -ENOENT;
	/* The memory manager keeps the charges: one source of truth. */
	if (mn_kernel_mem(k))
		pi->mem_bytes = mn_mem_used_by(mn_kernel_mem(k), pid);
	ktask = pi->kind == MN_PROC_KTASK;
	alive = pi->state != MN_PROC_ZOMBIE && pi->state != MN_PROC_DEAD;
	recorded = mn_fs_proc_state_char(k, pid, pi->kind, pi->state);
	v->has_mm = !ktask && alive;
	v->pgrp = v->session = ktask ? 0 : pid;
	v->tpgid = -1;
	v->umask = 022;
	hp = alive ? mn_pview_host_pid(pi) : 0;
	v->from_host = hp > 0 && host_stat("stat", hp, v, 1) == 0;
	program = v->from_host && pi->kind == MN_PROC_USER;
	if (v->from_host) {
		host_status(hp, v, program);
		host_statm(hp, v);
	} else {
		own_figures(k, v);
	}
	/* MicronOS's own stop (SIGSTOP through the signal service) and
	   zombies are the table's; otherwise a program's state is its own */
	if (!v->from_host || !host_state_ok(v->state) ||
	    pi->state == MN_PROC_STOPPED)
		v->state = recorded;
	if (pi->kind == MN_PROC_INIT)
		init_figures(k, v);
	if (!program)
		module_signals(k, pid, v);
	if (v->tpgid > 0) {
		/* the foreground group's leader, as MicronOS numbers it */
		int32_t fg = mn_proc_find_by_host(mn_kernel_procs(k),
						  v->tpgid);

		v->tpgid = fg > 0 ? fg : -1;
	}
	if (!v->has_mm) {
		v->vsize = v->rss = v->rss_anon = v->rss_file = 0;
		v->rss_shmem = v->vmdata = v->vmstk = v->vmexe = 0;
		v->vmlib = v->vmpte = v->shared = v->text = 0;
	}
	if (v->vmpeak < v->vsize)
		v->vmpeak = v->vsize;
	if (v->vmhwm < v->rss)
		v->vmhwm = v->rss;
	if (!v->threads)
		v->threads = 1;
	return 0;
}

/* --- threads -------------------------------------------------------------- */

/* The pid namespace's id of host thread htid of hp, or -1. */
static int32_t ns_tid(int32_t hp, const char *htid)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	char name[300];
	long long t = -1;

	snprintf(name, sizeof(name), "task/%.255s/status", htid);
	if (host_read(hp, name, &sb) == 0)
		t = status_last(mn_strbuf_str(&sb), "NSpid");
	mn_strbuf_release(&sb);
	return t > 0 && t < INT32_MAX ? (int32_t)t : -1;
}

/*
 * Walks the host threads of a program: calls fn with each one's host id
 * (text) and namespace id until fn returns non-zero.  -ENOENT when the
 * program has no host threads to read.
 */
static int host_threads(int32_t hp, int (*fn)(void *a, const char *htid,
					      int32_t tid), void *a)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int32_t tid;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)hp);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		tid = ns_tid(hp, de->d_name);
		if (tid > 0 && fn(a, de->d_name, tid))
			break;
	}
	closedir(d);
	return 0;
}

/* A program's threads are listed from the host; others have one. */
static int32_t threads_host_pid(struct mn_kernel *k, int32_t pid)
{
	struct mn_proc_info pi;

	if (mn_proc_get(mn_kernel_procs(k), pid, &pi) < 0)
		return -ENOENT;
	if (pi.kind != MN_PROC_USER || pi.host_pid <= 0 ||
	    pi.state == MN_PROC_ZOMBIE || pi.state == MN_PROC_DEAD)
		return 0;
	return pi.host_pid;
}

struct tid_list {
	int32_t *tids;
	size_t max, n;
};

static int tid_add(void *a, const char *htid, int32_t tid)
{
	struct tid_list *l = a;

	(void)htid;
	if (l->n < l->max)
		l->tids[l->n] = tid;
	l->n++;
	return 0;
}

static int tid_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

int mn_pview_threads(struct mn_kernel *k, int32_t pid, int32_t *tids,
		     size_t max)
{
	struct tid_list l = {tids, max, 0};
	int32_t hp = threads_host_pid(k, pid);

	if (hp < 0)
		return hp;
	if (hp == 0 || host_threads(hp, tid_add, &l) < 0 || l.n == 0) {
		l.n = 0;
		tid_add(&l, NULL, pid);
	}
	qsort(tids, l.n < max ? l.n : max, sizeof(*tids), tid_cmp);
	return (int)l.n;
}

struct tid_find {
	int32_t tid;
	char htid[24];
};

static int tid_match(void *a, const char *htid, int32_t tid)
{
	struct tid_find *f = a;

	if (tid != f->tid)
		return 0;
	snprintf(f->htid, sizeof(f->htid), "%s", htid);
	return 1;
}

int mn_pview_get_thread(struct mn_kernel *k, int32_t pid, int32_t tid,
			struct mn_pview *v)
{
	struct tid_find f = {tid, ""};
	struct mn_pview one;
	char name[64];
	int32_t hp;
	int ret = mn_pview_get(k, pid, v);

	if (ret < 0)
		return ret;
	hp = threads_host_pid(k, pid);
	if (hp <= 0 || !v->from_host)
		return tid == pid ? 0 : -ENOENT;
	if (host_threads(hp, tid_match, &f) < 0 || !f.htid[0])
		return tid == pid ? 0 : -ENOENT;
	snprintf(name, sizeof(name), "task/%s/stat", f.htid);
	memset(&one, 0, sizeof(one));
	if (host_stat(name, hp, &one, 0) < 0)
		return -ENOENT;	/* the thread just ended */
	if (host_state_ok(one.state) && v->pi.state != MN_PROC_STOPPED)
		v->state = one.state;
	v->utime_ns = one.utime_ns;
	v->stime_ns = one.stime_ns;
	v->minflt = one.minflt;
	v->majflt = one.majflt;
	return 0;
}
