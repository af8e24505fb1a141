/*
 * fs_sys.c - sys, the /sys tree: MicronOS's kernel objects, one value per
 * file, some writable (Plan 9's ctl style: `echo stop > state`).
 *
 *   kernel/    version, hostname (rw: config kernel.hostname), boot_time
 *              (Unix seconds), uptime (seconds), name (the instance)
 *   config/    one file per config key, named exactly like the key; rw for
 *              root, a bad value fails the write with EINVAL and changes
 *              nothing (read-only keys are 0444 and fail with EPERM)
 *   drivers/NAME/  type, description, state (rw: init start stop suspend
 *              resume shutdown), reads, writes, bytes_read, bytes_written,
 *              errors, transitions
 *   scheduler/ classes, tasks, workers, queued, running, submitted,
 *              completed
 *   memory/    total, used, free, largest_free, fragmentation, peak_used,
 *              allocations
 *   stats/     one file per statistic (stats.h), named like it, holding its
 *              value (a histogram: its count), refreshed from every
 *              subsystem at each read (kstats.h); stats/metrics: all of
 *              them in Prometheus's text format
 *   devices/system/cpu/  online, possible, present (the host's CPUs)
 *   class/net/ANTENNA/   the network's antennas (net_sysfs.c, net_fs.h)
 *
 * Each writable file calls the same core function as the shell command
 * that does the same thing: mn_config_set (`config set`) and
 * mn_driver_control (`driver NAME ACTION`).  The refusal's message goes to
 * the kernel log, since write(2) can only carry the errno.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/clock.h>
#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/kernel.h>
#include <micronos/kstats.h>
#include <micronos/log.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/net.h>
#include <micronos/net_fs.h>
#include <micronos/sched.h>
#include <micronos/stats.h>
#include <micronos/sys_ident.h>

#include "fs_trees_i.h"

/* --- config keys as files ------------------------------------------------- */

int mn_trees_config_render(struct mn_kernel *k, const char *key,
			   struct mn_strbuf *out)
{
	char value[MN_CONFIG_VALUE_MAX];
	int ret = mn_config_get(mn_kernel_config(k), key, value,
				sizeof(value));

	if (ret < 0)
		return ret;
	return mn_strbuf_printf(out, "%s\n", value);
}

int mn_trees_config_write(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			  const char *key, const char *data)
{
	struct mn_strbuf err = MN_STRBUF_INIT;
	int ret;

	ret = mn_config_set(mn_kernel_config(k), key, data, ctx->cred->pid,
			    &err);
	if (ret < 0)
		mn_log_write(mn_kernel_log(k), MN_LOG_WARNING,
			     "write to config key %s refused: %s", key,
			     err.len ? mn_strbuf_str(&err) : strerror(-ret));
	mn_strbuf_release(&err);
	return ret < 0 ? ret : 0;
}

static const char *bound(const struct mn_vnode_ctx *ctx)
{
	return ctx->nbind ? ctx->bind[ctx->nbind - 1].name : "";
}

static int r_key(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct mn_strbuf *out)
{
	return mn_trees_config_render(k, bound(ctx), out);
}

static int w_key(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 const char *data, size_t len)
{
	(void)len;
	return mn_trees_config_write(k, ctx, bound(ctx), data);
}

static int a_key(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct stat *st)
{
	struct mn_config_info ci;

	if (mn_config_info(mn_kernel_config(k), bound(ctx), &ci) < 0)
		return -ENOENT;
	if (ci.flags & MN_CONFIG_F_READONLY)
		st->st_mode = S_IFREG | 0444;
	return 0;
}

static int keys_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     int (*emit)(void *e, const char *name), void *e)
{
	struct mn_config *cfg = mn_kernel_config(k);
	struct mn_config_info *ci = malloc(MN_CONFIG_MAX_KEYS * sizeof(*ci));
	int i, n;

	(void)ctx;
	if (!ci)
		return -ENOMEM;
	n = mn_config_list(cfg, NULL, ci, MN_CONFIG_MAX_KEYS);
	for (i = 0; i < n && i < MN_CONFIG_MAX_KEYS; i++)
		if (emit(e, ci[i].name))
			break;
	free(ci);
	return 0;
}

static int keys_lookup(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       const char *name)
{
	struct mn_config_info ci;

	(void)ctx;
	return mn_config_info(mn_kernel_config(k), name, &ci) < 0 ? -ENOENT : 0;
}

static const struct mn_synth_node key_entry = {
	.name = "", .mode = S_IFREG | 0644, .render = r_key, .write = w_key,
	.getattr = a_key,
};

static const struct mn_synth_dir_ops keys_dyn = {
	.list = keys_list,
	.lookup = keys_lookup,
	.entry = &key_entry,
};

/* --- kernel/ -------------------------------------------------------------- */

static int r_version(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_strbuf_puts(out, MN_VERSION "\n");
}

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

static int r_boot_time(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	(void)ctx;
	return mn_strbuf_printf(out, "%llu\n", (unsigned long long)
				(mn_kernel_clock(k)->boot_real_ns /
				 MN_NSEC_PER_SEC));
}

static int r_uptime(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	uint64_t cs = mn_kernel_uptime_ns(k) / 10000000ULL;

	(void)ctx;
	return mn_strbuf_printf(out, "%llu.%02llu\n",
				(unsigned long long)(cs / 100),
				(unsigned long long)(cs % 100));
}

static int r_name(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	(void)ctx;
	return mn_strbuf_printf(out, "%s\n", mn_kernel_name(k));
}

/* --- drivers/NAME/ -------------------------------------------------------- */

static struct mn_driver *ctx_driver(struct mn_kernel *k,
				    const struct mn_vnode_ctx *ctx)
{
	struct mn_drivers *d = mn_kernel_drivers(k);

	return d && ctx->nbind ? mn_drivers_find(d, ctx->bind[0].name) : NULL;
}

/* One row per field of struct mn_driver_info that is a number. */
static const struct {
	const char *name;
	size_t off;
} drv_counters[] = {
	{"reads", offsetof(struct mn_driver_info, reads)},
	{"writes", offsetof(struct mn_driver_info, writes)},
	{"bytes_read", offsetof(struct mn_driver_info, bytes_read)},
	{"bytes_written", offsetof(struct mn_driver_info, bytes_written)},
	{"errors", offsetof(struct mn_driver_info, errors)},
	{"transitions", offsetof(struct mn_driver_info, transitions)},
};

static int r_drv(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct mn_strbuf *out)
{
	struct mn_driver *drv = ctx_driver(k, ctx);
	const char *f = ctx->node->name;
	struct mn_driver_info di;
	size_t i;

	if (!drv)
		return -ENOENT;
	mn_driver_info(drv, &di);
	if (strcmp(f, "type") == 0)
		return mn_strbuf_printf(out, "%s\n", mn_dev_type_name(di.type));
	if (strcmp(f, "state") == 0)
		return mn_strbuf_printf(out, "%s\n",
					mn_drv_state_name(di.state));
	if (strcmp(f, "description") == 0)
		return mn_strbuf_printf(out, "%s\n", di.description);
	for (i = 0; i < sizeof(drv_counters) / sizeof(drv_counters[0]); i++)
		if (strcmp(f, drv_counters[i].name) == 0)
			return mn_strbuf_printf(out, "%llu\n",
				(unsigned long long)*(const uint64_t *)
				((const char *)&di + drv_counters[i].off));
	return -ENOENT;
}

static int w_drv_state(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       const char *data, size_t len)
{
	struct mn_driver *drv = ctx_driver(k, ctx);
	struct mn_strbuf err = MN_STRBUF_INIT;
	int ret;

	(void)len;
	if (!drv)
		return -ENOENT;
	ret = mn_driver_control(drv, data, &err);
	if (ret < 0)
		mn_log_write(mn_kernel_log(k), MN_LOG_WARNING,
			     "write to sys/drivers/%s/state refused: %s",
			     mn_driver_name(drv), err.len ?
			     mn_strbuf_str(&err) : strerror(-ret));
	mn_strbuf_release(&err);
	return ret < 0 ? ret : 0;
}

static int drv_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    int (*emit)(void *e, const char *name), void *e)
{
	struct mn_drivers *d = mn_kernel_drivers(k);
	struct mn_driver_info *di;
	size_t i, n;

	(void)ctx;
	if (!d)
		return 0;
	di = malloc(MN_DRIVERS_MAX * sizeof(*di));
	if (!di)
		return -ENOMEM;
	n = mn_drivers_list(d, di, MN_DRIVERS_MAX);
	for (i = 0; i < n && i < MN_DRIVERS_MAX; i++)
		if (emit(e, di[i].name))
			break;
	free(di);
	return 0;
}

static int drv_lookup(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      const char *name)
{
	struct mn_drivers *d = mn_kernel_drivers(k);

	(void)ctx;
	return d && mn_drivers_find(d, name) ? 0 : -ENOENT;
}

#define RO(n, fn) {.name = n, .mode = S_IFREG | 0444, .render = fn}
#define RW(n, fn, wfn) \
	{.name = n, .mode = S_IFREG | 0644, .render = fn, .write = wfn}

static const struct mn_synth_node drv_rows[] = {
	RO("type", r_drv),
	RO("description", r_drv),
	RW("state", r_drv, w_drv_state),
	RO("reads", r_drv),
	RO("writes", r_drv),
	RO("bytes_read", r_drv),
	RO("bytes_written", r_drv),
	RO("errors", r_drv),
	RO("transitions", r_drv),
	{.name = NULL},
};

static const struct mn_synth_node drv_entry = {
	.name = "", .mode = S_IFDIR | 0555, .children = drv_rows,
};

static const struct mn_synth_dir_ops drv_dyn = {
	.list = drv_list,
	.lookup = drv_lookup,
	.entry = &drv_entry,
};

/* --- scheduler/ ----------------------------------------------------------- */

static int r_classes(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_prio_format_table(out);
}

/* One line per kernel task: pid name state queued runs run_ns. */
static int r_tasks(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	struct mn_sched *s = mn_kernel_sched(k);
	size_t want = mn_sched_list_tasks(s, NULL, 0) + 8, n, i;
	struct mn_sched_task_stats *ts = malloc(want * sizeof(*ts));

	(void)ctx;
	if (!ts)
		return -ENOMEM;
	n = mn_sched_list_tasks(s, ts, want);
	if (n > want)
		n = want;
	for (i = 0; i < n; i++)
		mn_strbuf_printf(out, "%d %s %s %llu %llu %llu\n",
				 (int)ts[i].pid, ts[i].name,
				 ts[i].suspended ? "suspended" :
				 ts[i].running ? "running" : "idle",
				 (unsigned long long)ts[i].queued,
				 (unsigned long long)ts[i].runs,
				 (unsigned long long)ts[i].run_ns);
	free(ts);
	return mn_strbuf_error(out);
}

static const struct {
	const char *name;
	size_t off;
} sched_fields[] = {
	{"queued", offsetof(struct mn_sched_stats, queued)},
	{"running", offsetof(struct mn_sched_stats, running)},
	{"submitted", offsetof(struct mn_sched_stats, submitted)},
	{"completed", offsetof(struct mn_sched_stats, completed)},
};

static int r_sched(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	struct mn_sched_stats st;
	size_t i;

	mn_sched_stats(mn_kernel_sched(k), &st);
	if (strcmp(ctx->node->name, "workers") == 0)
		return mn_strbuf_printf(out, "%u\n", st.workers);
	for (i = 0; i < sizeof(sched_fields) / sizeof(sched_fields[0]); i++)
		if (strcmp(ctx->node->name, sched_fields[i].name) == 0)
			return mn_strbuf_printf(out, "%llu\n",
				(unsigned long long)*(const uint64_t *)
				((const char *)&st + sched_fields[i].off));
	return -ENOENT;
}

static const struct mn_synth_node sched_rows[] = {
	RO("classes", r_classes),
	RO("tasks", r_tasks),
	RO("workers", r_sched),
	RO("queued", r_sched),
	RO("running", r_sched),
	RO("submitted", r_sched),
	RO("completed", r_sched),
	{.name = NULL},
};

/* --- memory/ -------------------------------------------------------------- */

static const struct {
	const char *name;
	size_t off;
} mem_fields[] = {
	{"total", offsetof(struct mn_meminfo, total)},
	{"used", offsetof(struct mn_meminfo, used)},
	{"free", offsetof(struct mn_meminfo, free)},
	{"largest_free", offsetof(struct mn_meminfo, largest_free)},
	{"peak_used", offsetof(struct mn_meminfo, peak_used)},
	{"allocations", offsetof(struct mn_meminfo, allocations)},
};

static int r_mem(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct mn_strbuf *out)
{
	struct mn_meminfo mi;
	size_t i;

	if (!mn_kernel_mem(k))
		return -ENODEV;
	mn_mem_info(mn_kernel_mem(k), &mi);
	if (strcmp(ctx->node->name, "fragmentation") == 0)
		return mn_strbuf_printf(out, "%.4f\n", mi.fragmentation);
	for (i = 0; i < sizeof(mem_fields) / sizeof(mem_fields[0]); i++)
		if (strcmp(ctx->node->name, mem_fields[i].name) == 0)
			return mn_strbuf_printf(out, "%llu\n",
				(unsigned long long)*(const uint64_t *)
				((const char *)&mi + mem_fields[i].off));
	return -ENOENT;
}

/* memory/ram/: the RAM of the memory model (memview.h), in bytes. */
static int r_ram(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct mn_strbuf *out)
{
	struct mn_memview m;
	const char *n = ctx->node->name;
	int ret = mn_memview_get(k, &m);

	if (ret < 0)
		return ret;
	return mn_strbuf_printf(out, "%llu\n", (unsigned long long)
				(!strcmp(n, "total") ? m.total :
				 !strcmp(n, "used") ? m.used :
				 !strcmp(n, "free") ? m.free : m.holders));
}

static const struct mn_synth_node ram_rows[] = {
	RO("total", r_ram),
	RO("used", r_ram),
	RO("free", r_ram),
	RO("processes", r_ram),
	{.name = NULL},
};

static const struct mn_synth_node mem_rows[] = {
	{.name = "ram", .mode = S_IFDIR | 0555, .children = ram_rows},
	RO("total", r_mem),
	RO("used", r_mem),
	RO("free", r_mem),
	RO("largest_free", r_mem),
	RO("fragmentation", r_mem),
	RO("peak_used", r_mem),
	RO("allocations", r_mem),
	{.name = NULL},
};

/* --- stats/ --------------------------------------------------------------- */

static int stats_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      int (*emit)(void *e, const char *name), void *e)
{
	struct mn_stats *st = mn_kernel_stats(k);
	struct mn_stat_value *v;
	size_t n, i, max;

	(void)ctx;
	mn_kernel_stats_refresh(k);
	mn_net_stats_refresh(k);
	max = mn_stats_count(st) + 64;
	v = malloc(max * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = mn_stats_snapshot(st, NULL, v, max);
	for (i = 0; i < n; i++)
		if (emit(e, v[i].name))
			break;
	free(v);
	return 0;
}

static int stats_lookup(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			const char *name)
{
	int64_t v;

	(void)ctx;
	if (mn_stats_get(mn_kernel_stats(k), name, &v) == 0)
		return 0;
	/* a name a subsystem adds at its first figure */
	mn_kernel_stats_refresh(k);
	mn_net_stats_refresh(k);
	return mn_stats_get(mn_kernel_stats(k), name, &v) == 0 ? 0 : -ENOENT;
}

static int r_stat_value(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			struct mn_strbuf *out)
{
	struct mn_stats *st = mn_kernel_stats(k);
	const char *name = ctx->bind[ctx->nbind - 1].name;
	struct mn_stat_value v;
	size_t n, i;

	mn_kernel_stats_refresh(k);
	mn_net_stats_refresh(k);
	/* the snapshot by prefix, then the exact name */
	n = mn_stats_snapshot(st, name, &v, 1);
	for (i = 0; i < n; i++)
		if (strcmp(v.name, name) == 0)
			return v.kind == MN_STAT_GAUGE ?
				mn_strbuf_printf(out, "%lld\n",
						 (long long)v.value) :
				mn_strbuf_printf(out, "%llu\n",
						 (unsigned long long)v.counter);
	return -ENOENT;
}

static int r_metrics(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	int ret;

	(void)ctx;
	mn_kernel_stats_refresh(k);
	mn_net_stats_refresh(k);
	ret = mn_stats_format_prometheus(mn_kernel_stats(k), NULL, out);
	return ret < 0 ? ret : 0;
}

static const struct mn_synth_node stat_entry = {
	.name = "", .mode = S_IFREG | 0444, .render = r_stat_value,
};

static const struct mn_synth_dir_ops stats_dyn = {
	.list = stats_list,
	.lookup = stats_lookup,
	.entry = &stat_entry,
};

static const struct mn_synth_node stats_rows[] = {
	RO("metrics", r_metrics),
	{.name = NULL},
};

/* --- devices/system/cpu/ -------------------------------------------------- */

static int r_cpus(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	(void)k;
	if (strcmp(ctx->node->name, "online") == 0)
		return mn_cpu_list(mn_host_ncpu_online(), out);
	return mn_cpu_list(mn_host_ncpu_conf(), out);
}

static const struct mn_synth_node cpu_rows[] = {
	RO("online", r_cpus),
	RO("possible", r_cpus),
	RO("present", r_cpus),
	{.name = NULL},
};

static const struct mn_synth_node system_rows[] = {
	{.name = "cpu", .mode = S_IFDIR | 0555, .children = cpu_rows},
	{.name = NULL},
};

/* the antennas, one directory each: the network's rows (net_sysfs.c) */
static const struct mn_synth_node class_rows[] = {
	{.name = "net", .mode = S_IFDIR | 0555, .dyn = &mn_net_sys_class_dyn},
	{.name = NULL},
};

static const struct mn_synth_node devices_rows[] = {
	{.name = "system", .mode = S_IFDIR | 0555, .children = system_rows},
	{.name = NULL},
};

/* --- the root ------------------------------------------------------------- */

static const struct mn_synth_node kernel_rows[] = {
	RO("version", r_version),
	RW("hostname", r_hostname, w_hostname),
	RO("boot_time", r_boot_time),
	RO("uptime", r_uptime),
	RO("name", r_name),
	{.name = NULL},
};

static const struct mn_synth_node sys_rows[] = {
	{.name = "kernel", .mode = S_IFDIR | 0555, .children = kernel_rows},
	{.name = "config", .mode = S_IFDIR | 0555, .dyn = &keys_dyn},
	{.name = "drivers", .mode = S_IFDIR | 0555, .dyn = &drv_dyn},
	{.name = "stats", .mode = S_IFDIR | 0555, .children = stats_rows,
	 .dyn = &stats_dyn},
	{.name = "scheduler", .mode = S_IFDIR | 0555, .children = sched_rows},
	{.name = "memory", .mode = S_IFDIR | 0555, .children = mem_rows},
	{.name = "devices", .mode = S_IFDIR | 0555, .children = devices_rows},
	{.name = "class", .mode = S_IFDIR | 0555, .children = class_rows},
	{.name = "fault", .mode = S_IFDIR | 0555,
	 .children = mn_fs_sys_fault_rows},
	{.name = NULL},
};

const struct mn_synth_node mn_fs_sys_root = {
	.name = "",
	.mode = S_IFDIR | 0555,
	.children = sys_rows,
};
