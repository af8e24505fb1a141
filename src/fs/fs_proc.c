/*
 * fs_proc.c - proc, the /proc tree: MicronOS's processes and kernel state
 * in Linux's formats, exactly enough that procps (ps, top, free, uptime,
 * pgrep, pidof) works when this tree is bound over /proc.
 *
 * This file holds the table of /proc and its system-wide files; the
 * per-process directories are in fs_proc_pid.c, the host reads in
 * fs_proc_host.c.  Where the figures come from:
 *
 *   meminfo    MicronOS's memory model (memview.h): the RAM its processes
 *              may use and use, the address space as Vmalloc*
 *   vmstat     the same model in pages, and the processes' page faults
 *   stat       cpuN: the counters, since MicronOS booted, of MicronOS's
 *              CPUs (the host CPUs it may use, renumbered 0..n-1, see
 *              fs_proc_host.c), cpu: their sum; intr, ctxt, softirq: the
 *              host's since MicronOS booted (not per CPU); btime,
 *              processes, procs_running, procs_blocked: MicronOS's
 *   uptime     MicronOS uptime; idle time of MicronOS's CPUs since boot
 *   loadavg    an exponentially decaying average of MicronOS's runnable
 *              processes, sampled every 5 s as Linux does (same fixed-point
 *              arithmetic), then runnable/total and the last pid
 *   cpuinfo    the host's entries of MicronOS's CPUs, renumbered
 *   version    "MicronOS version X (...)", as uname(2) describes MicronOS
 *   mounts     the VFS mount table
 *   net/       the network's files (net_proc.c, see net_fs.h)
 *   self       the caller's pid (per caller: the VFS passes credentials)
 *
 * State (struct mn_procfs) lives as long as the trees (fs_trees.c); the
 * sampler is a thread of its own so the load average moves even when no
 * one reads it, without publishing timer events every 5 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/clock.h>
#include <micronos/kernel.h>
#include <micronos/log.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/net_fs.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/sys_ident.h>

#include "fs_trees_i.h"

/* Linux's load average arithmetic (include/linux/sched/loadavg.h). */
#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
#define EXP_1 1884UL	/* 1/exp(5sec/1min) as fixed-point */
#define EXP_5 2014UL	/* 1/exp(5sec/5min) */
#define EXP_15 2037UL	/* 1/exp(5sec/15min) */
#define LOAD_INT(x) ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)
#define LOAD_FREQ_MS 5000

#define CPUINFO_MAX (4 << 20)

struct mn_procfs {
	struct mn_kernel *k;		/* set once */
	struct mn_hostcpu *base;	/* set once; NULL: host unreadable */
	pthread_t thread;
	int started;			/* thread runs; owner only */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* protected by lock: */
	int stop;
	unsigned long avenrun[3];
};

/* --- state and the load average sampler ---------------------------------- */

struct runnable_walk {
	struct mn_kernel *k;
	uint32_t n;
};

static int count_runnable(void *arg, const struct mn_proc_info *pi)
{
	struct runnable_walk *w = arg;

	if (pi->kind == MN_PROC_INIT)
		return 0;	/* the kernel itself: its work is its tasks' */
	if (mn_fs_proc_state_char(w->k, pi->pid, pi->kind, pi->state) == 'R')
		w->n++;
	return 0;
}

uint32_t mn_procfs_runnable(struct mn_kernel *k)
{
	struct runnable_walk w = {k, 0};

	mn_proc_foreach(mn_kernel_procs(k), count_runnable, &w);
	return w.n;
}

static unsigned long calc_load(unsigned long load, unsigned long exp,
			       unsigned long active)
{
	unsigned long newload = load * exp + active * (FIXED_1 - exp);

	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}

void mn_procfs_sample(struct mn_procfs *p)
{
	unsigned long active = mn_procfs_runnable(p->k) * FIXED_1;

	pthread_mutex_lock(&p->lock);
	p->avenrun[0] = calc_load(p->avenrun[0], EXP_1, active);
	p->avenrun[1] = calc_load(p->avenrun[1], EXP_5, active);
	p->avenrun[2] = calc_load(p->avenrun[2], EXP_15, active);
	pthread_mutex_unlock(&p->lock);
}

static void *sampler(void *arg)
{
	struct mn_procfs *p = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		next.tv_sec += LOAD_FREQ_MS / 1000;
		while (!p->stop &&
		       pthread_cond_timedwait(&p->cond, &p->lock, &next) == 0)
			;
		if (p->stop)
			break;
		pthread_mutex_unlock(&p->lock);
		mn_procfs_sample(p);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int mn_procfs_create(struct mn_procfs **out, struct mn_kernel *k)
{
	struct mn_procfs *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	int ret;

	if (!p)
		return -ENOMEM;
	p->k = k;
	p->base = malloc(sizeof(*p->base));
	if (p->base && mn_hostcpu_read(p->base) < 0) {
		free(p->base);
		p->base = NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	ret = -pthread_create(&p->thread, NULL, sampler, p);
	if (ret < 0) {
		mn_procfs_destroy(p);
		return ret;
	}
	p->started = 1;
	*out = p;
	return 0;
}

void mn_procfs_stop(struct mn_procfs *p)
{
	if (!p || !p->started)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->started = 0;
}

void mn_procfs_destroy(struct mn_procfs *p)
{
	if (!p)
		return;
	mn_procfs_stop(p);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->base);
	free(p);
}

/* --- system-wide files ---------------------------------------------------- */

static void put_meminfo(struct mn_strbuf *out, const char *name,
			uint64_t bytes)
{
	/* Linux's layout: name and colon padded to 16, value to 8, kB */
	char key[40];

	snprintf(key, sizeof(key), "%s:", name);
	mn_strbuf_printf(out, "%-16s%8llu kB\n", key,
			 (unsigned long long)(bytes / 1024));
}

/*
 * The model's figures under Linux's names, in Linux's order; what
 * MicronOS does not have (swap, page cache, slab) is 0.  free(1) computes
 * used as total - free - buffers - cache: the processes' RSS.
 */
static int r_meminfo(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	struct mn_memview m;
	const struct {
		const char *name;
		const uint64_t *v;
	} rows[] = {
		{"MemTotal", &m.total},	{"MemFree", &m.free},
		{"MemAvailable", &m.free}, {"Buffers", NULL},
		{"Cached", NULL}, {"SwapCached", NULL},
		{"Active", &m.used}, {"Inactive", NULL},
		{"Active(anon)", &m.anon}, {"Inactive(anon)", NULL},
		{"Active(file)", &m.file}, {"Inactive(file)", NULL},
		{"Unevictable", NULL}, {"Mlocked", NULL},
		{"SwapTotal", NULL}, {"SwapFree", NULL},
		{"Dirty", NULL}, {"Writeback", NULL},
		{"AnonPages", &m.anon}, {"Mapped", &m.file},
		{"Shmem", NULL}, {"KReclaimable", NULL}, {"Slab", NULL},
		{"SReclaimable", NULL}, {"SUnreclaim", NULL},
		{"KernelStack", NULL}, {"PageTables", NULL},
		{"CommitLimit", &m.total}, {"Committed_AS", &m.used},
		{"VmallocTotal", &m.space_total},
		{"VmallocUsed", &m.space_used},
		{"VmallocChunk", &m.space_largest_free},
	};
	size_t i;
	int ret = mn_memview_get(k, &m);

	(void)ctx;
	if (ret < 0)
		return ret;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		put_meminfo(out, rows[i].name, rows[i].v ? *rows[i].v : 0);
	return mn_strbuf_error(out);
}

/* vmstat(8) needs the file; the model in pages, and page faults. */
static int r_vmstat(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	uint64_t pg = mn_host_page_size();
	struct mn_memview m;
	int ret = mn_memview_get(k, &m);

	(void)ctx;
	if (ret < 0)
		return ret;
	mn_strbuf_printf(out, "nr_free_pages %llu\nnr_anon_pages %llu\n"
			 "nr_mapped %llu\nnr_file_pages 0\nnr_dirty 0\n"
			 "nr_writeback 0\npswpin 0\npswpout 0\n"
			 "pgfault %llu\npgmajfault %llu\n",
			 (unsigned long long)(m.free / pg),
			 (unsigned long long)(m.anon / pg),
			 (unsigned long long)(m.file / pg),
			 (unsigned long long)m.faults,
			 (unsigned long long)m.major_faults);
	return mn_strbuf_error(out);
}

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void put_cpu_row(struct mn_strbuf *out, const char *name,
			const uint64_t now[MN_HOSTCPU_FIELDS],
			const uint64_t *base)
{
	int i;

	mn_strbuf_puts(out, name);
	for (i = 0; i < MN_HOSTCPU_FIELDS; i++)
		mn_strbuf_printf(out, " %llu", (unsigned long long)
				 sub_sat(now[i], base ? base[i] : 0));
	mn_strbuf_putc(out, '\n');
}

/* The cpu lines when the host's counters cannot be read: all idle. */
static void put_cpu_fallback(struct mn_kernel *k, struct mn_strbuf *out)
{
	uint64_t row[MN_HOSTCPU_FIELDS] = {0};

	row[3] = mn_ns_to_ticks(mn_kernel_uptime_ns(k));
	put_cpu_row(out, "cpu ", row, NULL);
	put_cpu_row(out, "cpu0", row, NULL);
}

static int r_stat(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	struct mn_trees *t = mn_trees_get(k);
	struct mn_procfs *p = t ? mn_trees_procfs(t) : NULL;
	const struct mn_hostcpu *b = p ? p->base : NULL;
	struct mn_hostcpu *now = b ? malloc(sizeof(*now)) : NULL;
	int have = now && mn_hostcpu_read(now) == 0;
	struct mn_proctab_stats ps;
	char name[16];
	unsigned i;

	(void)ctx;
	if (have) {
		unsigned ids[MN_HOSTCPU_MAX];
		unsigned n = mn_host_cpus(ids, MN_HOSTCPU_MAX);
		uint64_t sum[MN_HOSTCPU_FIELDS] = {0}, row[MN_HOSTCPU_FIELDS];
		unsigned f;

		/* the cpu line is the sum of MicronOS's CPUs, not the host's */
		for (i = 0; i < n && i < MN_HOSTCPU_MAX; i++)
			for (f = 0; f < MN_HOSTCPU_FIELDS; f++)
				sum[f] += sub_sat(now->cpu[ids[i]][f],
						  ids[i] < b->ncpu ?
						  b->cpu[ids[i]][f] : 0);
		put_cpu_row(out, "cpu ", sum, NULL);
		for (i = 0; i < n && i < MN_HOSTCPU_MAX; i++) {
			for (f = 0; f < MN_HOSTCPU_FIELDS; f++)
				row[f] = sub_sat(now->cpu[ids[i]][f],
						 ids[i] < b->ncpu ?
						 b->cpu[ids[i]][f] : 0);
			snprintf(name, sizeof(name), "cpu%u", i);
			put_cpu_row(out, name, row, NULL);
		}
		mn_strbuf_printf(out, "intr %llu\nctxt %llu\n",
				 (unsigned long long)sub_sat(now->intr,
							     b->intr),
				 (unsigned long long)sub_sat(now->ctxt,
							     b->ctxt));
	} else {
		put_cpu_fallback(k, out);
		mn_strbuf_puts(out, "intr 0\nctxt 0\n");
	}
	mn_proctab_stats(mn_kernel_procs(k), &ps);
	mn_strbuf_printf(out, "btime %llu\nprocesses %llu\nprocs_running %u\n"
			 "procs_blocked 0\nsoftirq %llu\n",
			 (unsigned long long)(mn_kernel_clock(k)->boot_real_ns /
					      MN_NSEC_PER_SEC),
			 (unsigned long long)ps.created,
			 mn_procfs_runnable(k),
			 (unsigned long long)(have ? sub_sat(now->softirq,
							     b->softirq) : 0));
	free(now);
	mn_trees_put(t);
	return mn_strbuf_error(out);
}

static int r_uptime(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	struct mn_trees *t = mn_trees_get(k);
	struct mn_procfs *p = t ? mn_trees_procfs(t) : NULL;
	struct mn_hostcpu *now = malloc(sizeof(*now));
	uint64_t up = mn_kernel_uptime_ns(k) / 10000000ULL;	/* 1/100 s */
	uint64_t idle = 0;

	(void)ctx;
	if (now && p && p->base && mn_hostcpu_read(now) == 0) {
		unsigned ids[MN_HOSTCPU_MAX];
		unsigned n = mn_host_cpus(ids, MN_HOSTCPU_MAX), i;

		/* idle of MicronOS's CPUs, summed as Linux sums all CPUs' */
		for (i = 0; i < n && i < MN_HOSTCPU_MAX; i++)
			idle += sub_sat(now->cpu[ids[i]][3],
					ids[i] < p->base->ncpu ?
					p->base->cpu[ids[i]][3] : 0);
		idle = idle * 100 / mn_host_clk_tck();
	}
	free(now);
	mn_trees_put(t);
	return mn_strbuf_printf(out, "%llu.%02llu %llu.%02llu\n",
				(unsigned long long)(up / 100),
				(unsigned long long)(up % 100),
				(unsigned long long)(idle / 100),
				(unsigned long long)(idle % 100));
}

static int r_loadavg(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	struct mn_trees *t = mn_trees_get(k);
	struct mn_procfs *p = t ? mn_trees_procfs(t) : NULL;
	unsigned long a[3] = {0, 0, 0};
	struct mn_proctab_stats ps;
	int i;

	(void)ctx;
	if (p) {
		pthread_mutex_lock(&p->lock);
		/* rounded as Linux's get_avenrun() does */
		for (i = 0; i < 3; i++)
			a[i] = p->avenrun[i] + FIXED_1 / 200;
		pthread_mutex_unlock(&p->lock);
	}
	mn_trees_put(t);
	mn_proctab_stats(mn_kernel_procs(k), &ps);
	return mn_strbuf_printf(out, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%u %d\n",
				LOAD_INT(a[0]), LOAD_FRAC(a[0]),
				LOAD_INT(a[1]), LOAD_FRAC(a[1]),
				LOAD_INT(a[2]), LOAD_FRAC(a[2]),
				mn_procfs_runnable(k), ps.total,
				(int)ps.last_pid);
}

static int r_cpuinfo(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_host_cpuinfo(out, CPUINFO_MAX);
}

static int r_version(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	time_t boot = (time_t)(mn_kernel_clock(k)->boot_real_ns /
			       MN_NSEC_PER_SEC);
	struct mn_strbuf host = MN_STRBUF_INIT;
	char when[64] = "";
	struct tm tm;
	int ret;

	(void)ctx;
	/* the same words as uname -v (sys_ident.c) */
	if (gmtime_r(&boot, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S UTC %Y", &tm);
	if (mn_trees_config_render(k, "kernel.hostname", &host) < 0 ||
	    host.len == 0)
		mn_strbuf_puts(&host, "micronos\n");
	ret = mn_strbuf_printf(out, "MicronOS version %s (root@%.*s) (cc %s) "
			       "#1 MicronOS %s\n", MN_VERSION,
			       (int)(host.len - 1), mn_strbuf_str(&host),
			       __VERSION__, when);
	mn_strbuf_release(&host);
	return ret;
}

static int r_mounts(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	(void)k;
	return mn_vfs_mounts_render(ctx->vfs, out);
}

/*
 * The caller's own directory.  Callers the kernel does not know as a
 * process (pid 0: the kernel's shell, or a host tool browsing the mount)
 * act through the kernel, and the kernel is init: they get "1".
 */
static int r_self(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	int32_t pid = ctx->cred->pid > 0 ? ctx->cred->pid : MN_PID_INIT;

	if (!mn_proc_exists(mn_kernel_procs(k), pid))
		return -ENOENT;
	return mn_strbuf_printf(out, "%d", (int)pid);
}

static int r_thread_self(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			 struct mn_strbuf *out)
{
	int32_t pid = ctx->cred->pid > 0 ? ctx->cred->pid : MN_PID_INIT;

	if (!mn_proc_exists(mn_kernel_procs(k), pid))
		return -ENOENT;
	return mn_strbuf_printf(out, "%d/task/%d", (int)pid, (int)pid);
}

/* --- /proc/sys/kernel ----------------------------------------------------- */

static int r_hostname(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      struct mn_strbuf *out)
{
	(void)ctx;
	return mn_trees_config_render(k, "kernel.hostname", out);
}

static int w_hostname(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      const char *data, size_t len)
{
	return mn_sys_ident_set_hostname(k, data, len, ctx->cred->pid, NULL);
}

static int r_osrelease(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_strbuf_puts(out, MN_VERSION "\n");
}

static int r_ostype(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_strbuf_puts(out, "MicronOS\n");
}

static int r_pid_max(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	(void)ctx;
	return mn_strbuf_printf(out, "%d\n",
				(int)mn_proctab_pid_max(mn_kernel_procs(k)));
}

/* Root may raise or lower pid_max, as on Linux; the table validates. */
static int w_pid_max(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     const char *data, size_t len)
{
	char *end;
	long v;
	int ret = -EINVAL;

	(void)ctx;
	(void)len;
	errno = 0;
	v = strtol(data, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (!errno && end != data && !*end && v > 0 &&
	    v <= MN_PROC_PID_MAX_LIMIT)
		ret = mn_proctab_set_pid_max(mn_kernel_procs(k), (int32_t)v);
	if (ret < 0)
		mn_log_write(mn_kernel_log(k), MN_LOG_WARNING,
			     "write to proc/sys/kernel/pid_max refused: '%.*s' "
			     "is not a pid_max from %d to %d",
			     (int)(strcspn(data, "\n") < 32 ?
				   strcspn(data, "\n") : 32), data,
			     (int)mn_proctab_first_user_pid(mn_kernel_procs(k))
			     + 1, MN_PROC_PID_MAX_LIMIT);
	return ret;
}

#define RO(n, fn) {.name = n, .mode = S_IFREG | 0444, .render = fn}
#define RW(n, fn, wfn) \
	{.name = n, .mode = S_IFREG | 0644, .render = fn, .write = wfn}

static const struct mn_synth_node kernel_rows[] = {
	RW("hostname", r_hostname, w_hostname),
	RO("osrelease", r_osrelease),
	RO("ostype", r_ostype),
	RW("pid_max", r_pid_max, w_pid_max),
	{.name = NULL},
};

static const struct mn_synth_node sys_rows[] = {
	{.name = "kernel", .mode = S_IFDIR | 0555, .children = kernel_rows},
	{.name = NULL},
};

static const struct mn_synth_node proc_rows[] = {
	/* per caller: never cached by name */
	{.name = "self", .mode = S_IFLNK | 0777, .flags = MN_SYNTH_VOLATILE,
	 .render = r_self},
	{.name = "thread-self", .mode = S_IFLNK | 0777,
	 .flags = MN_SYNTH_VOLATILE, .render = r_thread_self},
	RO("meminfo", r_meminfo),
	RO("vmstat", r_vmstat),
	RO("stat", r_stat),
	RO("uptime", r_uptime),
	RO("loadavg", r_loadavg),
	RO("cpuinfo", r_cpuinfo),
	RO("version", r_version),
	RO("mounts", r_mounts),
	{.name = "sys", .mode = S_IFDIR | 0555, .children = sys_rows},
	/* tcp, udp, unix, dev ... in Linux's formats: the network's rows */
	{.name = "net", .mode = S_IFDIR | 0555, .children = mn_net_proc_nodes},
	{.name = NULL},
};

const struct mn_synth_node mn_fs_proc_root = {
	.name = "",
	.mode = S_IFDIR | 0555,
	.children = proc_rows,
	.dyn = &mn_fs_proc_pid_dyn,
};
