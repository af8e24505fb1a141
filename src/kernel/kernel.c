/*
 * kernel.c - one MicronOS instance: the modules it owns and its boot.
 *
 * mn_kernel_create() makes every module that needs no configuration (event
 * bus, logger, statistics, config, process table, scheduler, signals,
 * syscalls, timers, IPC, health), so their accessors are valid for the whole
 * life of the struct and the shell can be attached at any time.  Boot then
 * runs the stage table below in order: each stage starts what it owns
 * (threads, drivers, kernel tasks) and then the hooks that later layers
 * attached to it.  Shutdown walks the table backwards over the stages that
 * started.  Memory and drivers are created inside their stages because their
 * size, seed and determinism come from the configuration loaded in "core".
 *
 * Kernel tasks are processes in the table (kind KTASK, children of init) that
 * own scheduler work: suspending one holds its jobs, so the service it stands
 * for stops until it is resumed.  The kernel itself owns timerd (timer
 * callbacks) and healthd (health checks); layers add their own with
 * mn_kernel_ktask().
 *
 * Locking: the kernel struct has no lock of its own.  Boot and shutdown are
 * called from one thread (the daemon's main thread); the fields they write are
 * read by other threads only after boot returned.  The modules lock
 * themselves.
 */
#include <micronos/kernel.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <micronos/clock.h>
#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/evbus.h>
#include <micronos/fault.h>
#include <micronos/health.h>
#include <micronos/ipc.h>
#include <micronos/log.h>
#include <micronos/mem.h>
#include <micronos/posix.h>
#include <micronos/proc.h>
#include <micronos/runner.h>
#include <micronos/sched.h>
#include <micronos/signal.h>
#include <micronos/stats.h>
#include <micronos/syscall.h>
#include <micronos/timer.h>

#include "kernel_i.h"

static const char *const stage_names[MN_STAGE__COUNT] = {
	[MN_STAGE_CORE] = "core",
	[MN_STAGE_MEMORY] = "memory",
	[MN_STAGE_SCHEDULER] = "scheduler",
	[MN_STAGE_DRIVERS] = "drivers",
	[MN_STAGE_SERVICES] = "services",
	[MN_STAGE_VFS] = "vfs",
	[MN_STAGE_NET] = "net",
	[MN_STAGE_FUSE] = "fuse",
	[MN_STAGE_READY] = "ready",
};

const char *mn_stage_name(enum mn_boot_stage stage)
{
	if ((unsigned)stage >= MN_STAGE__COUNT)
		return "?";
	return stage_names[stage];
}

/* The runner: kernel work queued on the scheduler for its task's class. */
static int run_on_sched(void *arg, int32_t owner, void (*fn)(void *),
			void *fn_arg)
{
	struct mn_kernel *k = arg;
	struct mn_proc_info pi;
	enum mn_prio_class cls = MN_PRIO_NORMAL;
	int64_t id;

	if (!mn_sched_running(k->sched))
		return -ESRCH;
	if (owner > 0 && mn_proc_get(k->procs, owner, &pi) == 0)
		cls = pi.prio;
	/*
	 * A job dropped at shutdown (its task suspended) is still called, as
	 * runner.h promises: the service's fn checks whether it is wanted
	 * and frees what it holds either way.
	 */
	struct mn_sched_job job = {
		.owner = owner > 0 ? owner : 1,
		.cls = cls,
		.fn = fn,
		.discard = fn,
		.arg = fn_arg,
	};

	id = mn_sched_submit_job(k->sched, &job);
	return id < 0 ? (int)id : 0;
}

/* ---- process exit ---------------------------------------------------------*/

struct exit_job {
	struct mn_kernel *k;
	int32_t pid;
};

static void exit_job_run(void *arg)
{
	struct exit_job *j = arg;
	struct mn_kernel *k = j->k;
	unsigned i;

	if (k->mem)
		mn_mem_release_pid(k->mem, j->pid, NULL);
	for (i = 0; i < k->nexit_hooks; i++)
		k->exit_hooks[i].fn(k->exit_hooks[i].arg, j->pid);
	free(j);
}

/*
 * The bus hook: a terminated process's resources are released by a job,
 * because the hook may run under the process table's lock and must not
 * publish, while releasing memory publishes MemoryFreed.
 */
static void on_event(void *arg, const struct mn_event *ev)
{
	struct mn_kernel *k = arg;
	struct mn_sched_job job = {
		.owner = 1,
		.cls = MN_PRIO_NORMAL,
		.fn = exit_job_run,
		.discard = free,
		.name = "exit",
	};
	struct exit_job *j;

	if (ev->type != MN_EV_PROCESS_TERMINATED || ev->pid <= 1 ||
	    !mn_sched_running(k->sched))
		return;
	j = malloc(sizeof(*j));
	if (!j)
		return;
	j->k = k;
	j->pid = ev->pid;
	job.arg = j;
	if (mn_sched_submit_job(k->sched, &job) < 0)
		free(j);
}

int mn_kernel_on_exit(struct mn_kernel *k, void (*fn)(void *arg, int32_t pid),
		      void *arg)
{
	if (!fn)
		return -EINVAL;
	if (k->up || k->booted_once)
		return -EBUSY;
	if (k->nexit_hooks >= MN_KERNEL_EXIT_HOOKS)
		return -ENOSPC;
	k->exit_hooks[k->nexit_hooks].fn = fn;
	k->exit_hooks[k->nexit_hooks].arg = arg;
	k->nexit_hooks++;
	return 0;
}

/* tree= of fault rules: is pid root or one of its descendants? */
static int proc_in_tree(void *arg, int32_t pid, int32_t root)
{
	struct mn_kernel *k = arg;
	struct mn_proc_info info;
	int depth;

	for (depth = 0; pid > 0 && depth < 256; depth++) {
		if (pid == root)
			return 1;
		if (mn_proc_get(k->procs, pid, &info) < 0)
			return 0;
		pid = info.ppid;
	}
	return 0;
}

static int make_modules(struct mn_kernel *k)
{
	int err;

	if ((err = mn_evbus_create(&k->bus, MN_EVBUS_DEFAULT_CAPACITY,
				   &k->clock)) < 0 ||
	    (err = mn_log_create(&k->log, MN_LOG_DEFAULT_LINES, &k->clock)) <
		    0 ||
	    (err = mn_stats_create(&k->stats, 0)) < 0 ||
	    (err = mn_config_create(&k->config, k->bus)) < 0 ||
	    (err = mn_proctab_create(&k->procs, NULL, &k->clock, k->bus)) < 0 ||
	    (err = mn_sched_create(&k->sched, &k->clock)) < 0 ||
	    (err = mn_signals_create(&k->signals, k->procs, k->sched,
				     k->bus)) < 0 ||
	    (err = mn_syscalls_create(&k->syscalls)) < 0 ||
	    (err = mn_timers_create(&k->timers, k->bus, &k->clock, &k->runner,
				    0)) < 0 ||
	    (err = mn_ipc_create(&k->ipc, k->bus, 0, 0)) < 0 ||
	    (err = mn_health_create(&k->health, k->bus, &k->clock, &k->runner,
				    0)) < 0 ||
	    (err = mn_faults_create(&k->faults, k->bus, proc_in_tree, k,
				    0)) < 0)
		return err;
	mn_evbus_set_hook(k->bus, on_event, k);
	return 0;
}

int mn_kernel_create(struct mn_kernel **out, const struct mn_kernel_opts *opts)
{
	struct mn_kernel *k;
	const char *name = opts && opts->name ? opts->name : "default";
	int err, i;

	if (strlen(name) >= sizeof(k->name) || !*name)
		return -EINVAL;
	if (opts && opts->data_dir && strlen(opts->data_dir) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (opts && opts->runtime_dir && strlen(opts->runtime_dir) >= PATH_MAX)
		return -ENAMETOOLONG;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	snprintf(k->name, sizeof(k->name), "%s", name);
	if (opts && opts->data_dir)
		snprintf(k->data_dir, sizeof(k->data_dir), "%s",
			 opts->data_dir);
	if (opts && opts->runtime_dir)
		snprintf(k->runtime_dir, sizeof(k->runtime_dir), "%s",
			 opts->runtime_dir);
	k->deterministic = opts ? opts->deterministic : 0;
	k->health_timer = -1;
	for (i = 0; i < MN_STAGE__COUNT; i++)
		k->stages[i].info.name = stage_names[i];
	mn_clock_init(&k->clock);
	k->runner.run = run_on_sched;
	k->runner.runner_arg = k;
	if ((err = make_modules(k)) < 0) {
		mn_kernel_destroy(k);
		return err;
	}
	*out = k;
	return 0;
}

void mn_kernel_destroy(struct mn_kernel *k)
{
	if (!k)
		return;
	mn_kernel_shutdown(k);
	if (k->bus)
		mn_evbus_set_hook(k->bus, NULL, NULL);
	/* Reverse of make_modules: users before what they use. */
	mn_faults_destroy(k->faults);
	mn_health_destroy(k->health);
	mn_ipc_destroy(k->ipc);
	mn_timers_destroy(k->timers);
	mn_drivers_destroy(k->drivers);
	mn_mem_destroy(k->mem);
	mn_syscalls_destroy(k->syscalls);
	mn_signals_destroy(k->signals);
	mn_sched_destroy(k->sched);
	mn_proctab_destroy(k->procs);
	mn_config_destroy(k->config);
	mn_stats_destroy(k->stats);
	mn_log_destroy(k->log);
	mn_evbus_destroy(k->bus);
	free(k);
}

int mn_kernel_stage_hook(struct mn_kernel *k, enum mn_boot_stage stage,
			 const struct mn_stage_hook *hook)
{
	struct stage *st;

	if ((unsigned)stage >= MN_STAGE__COUNT || !hook || !hook->start)
		return -EINVAL;
	if (k->up || k->booted_once)
		return -EBUSY;
	st = &k->stages[stage];
	if (st->nhooks >= MAX_HOOKS)
		return -ENOSPC;
	st->hooks[st->nhooks++] = *hook;
	return 0;
}

int32_t mn_kernel_ktask(struct mn_kernel *k, const char *name, int prio)
{
	const char *argv[] = {name, NULL};
	struct mn_proc_spec spec = {
		.ppid = 1,
		.uid = 0,
		.gid = 0,
		.kind = MN_PROC_KTASK,
		.prio = (enum mn_prio_class)prio,
		.argv = argv,
		.comm = name,
		.cwd = "/",
	};
	int32_t pid = mn_proc_create(k->procs, &spec);

	if (pid > 0)
		mn_sched_name_task(k->sched, pid, name);
	return pid;
}

/* ---- configuration -------------------------------------------------------*/

static void on_config(void *arg, const char *key, const char *value)
{
	struct mn_kernel *k = arg;
	long v = strtol(value, NULL, 10);

	if (strcmp(key, "events.history") == 0)
		mn_evbus_resize(k->bus, (size_t)v);
	else if (strcmp(key, "log.level") == 0)
		mn_log_set_level(k->log, mn_log_level_parse(value));
	else if (strcmp(key, "health.period_ms") == 0)
		mn_health_set_default_period(k->health, (uint32_t)v);
	else if (strcmp(key, "ipc.capacity") == 0)
		mn_ipc_set_default_capacity(k->ipc, (size_t)v);
	else if (strcmp(key, "ipc.max_channels") == 0)
		mn_ipc_set_max_channels(k->ipc, (size_t)v);
	else if (strcmp(key, "timers.max") == 0)
		mn_timers_set_max(k->timers, (size_t)v);
}

/* Applies every key once, as the watchers would on a change. */
static void apply_config(struct mn_kernel *k)
{
	static const char *const keys[] = {
		"events.history", "log.level", "health.period_ms",
		"ipc.capacity", "ipc.max_channels", "timers.max",
	};
	char val[128];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (mn_config_get(k->config, keys[i], val, sizeof(val)) >= 0)
			on_config(k, keys[i], val);
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* fault.seed, or a fresh random seed that /sys/fault/seed then shows. */
static void seed_faults(struct mn_kernel *k)
{
	uint64_t seed = (uint64_t)mn_config_int_or(k->config, "fault.seed", 0);

	while (seed == 0)
		if (getrandom(&seed, sizeof(seed), 0) == sizeof(seed))
			seed &= INT64_MAX;
	mn_faults_seed(k->faults, seed);
}

/*
 * The data dir is private to the daemon (0700): storage's backing files
 * are the daemon's, never meant for host users (fs_storage_meta.c).  One
 * made by an older version (0755) is closed on boot; one owned by someone
 * else is left to its owner.
 */
static void data_dir_private(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 077))
		chmod(path, st.st_mode & 07700);
}

static int start_core(struct mn_kernel *k, struct mn_strbuf *err)
{
	char path[PATH_MAX + 16];
	struct mn_strbuf warn = MN_STRBUF_INIT;
	struct stat st;
	int rc = 0;

	if (k->deterministic)
		mn_config_set(k->config, "kernel.deterministic", "true", 0,
			      NULL);
	if (k->data_dir[0]) {
		if ((rc = mkdir_p(k->data_dir)) < 0) {
			mn_strbuf_printf(err, "cannot create data dir %s: %s",
					 k->data_dir, mn_errno_message(rc));
			goto out;
		}
		data_dir_private(k->data_dir);
		snprintf(path, sizeof(path), "%s/config", k->data_dir);
		if (stat(path, &st) == 0 &&
		    (rc = mn_config_load(k->config, path, err, &warn)) < 0)
			goto out;
		if (warn.len)
			MN_LOG(k->log, MN_LOG_WARNING, "config: %s",
			       mn_strbuf_str(&warn));
		mn_config_set_path(k->config, path);
	}
	apply_config(k);
	seed_faults(k);
	mn_config_watch(k->config, "", on_config, k);
out:
	mn_strbuf_release(&warn);
	return rc;
}

static void stop_core(struct mn_kernel *k)
{
	mn_config_set_path(k->config, NULL);
}

/* ---- memory, scheduler, drivers -------------------------------------------*/

static int start_memory(struct mn_kernel *k, struct mn_strbuf *err)
{
	int64_t size = mn_config_int_or(k->config, "memory.size",
					(int64_t)MN_MEM_DEFAULT_SIZE);
	int rc;

	if (k->mem)
		return 0;
	rc = mn_mem_create(&k->mem, MN_MEM_DEFAULT_BASE, (uint64_t)size,
			   k->bus);
	if (rc < 0)
		mn_strbuf_printf(err, "cannot create a %lld-byte address space",
				 (long long)size);
	return rc;
}

static void stop_memory(struct mn_kernel *k)
{
	(void)k;	/* the address space lives until destroy */
}

/* A stopped timerd stops the timers themselves, not only their callbacks. */
static void on_ktask_state(void *arg, int32_t pid, int stopped)
{
	struct mn_kernel *k = arg;

	if (pid != k->timerd)
		return;
	if (stopped)
		mn_timers_pause(k->timers);
	else
		mn_timers_resume(k->timers);
}

static int start_scheduler(struct mn_kernel *k, struct mn_strbuf *err)
{
	int64_t workers = mn_config_int_or(k->config, "sched.workers", 2);
	int rc;

	if (k->timerd <= 0)
		k->timerd = mn_kernel_ktask(k, "timerd", MN_PRIO_HIGH);
	if (k->healthd <= 0)
		k->healthd = mn_kernel_ktask(k, "healthd", MN_PRIO_NORMAL);
	if (k->timerd < 0 || k->healthd < 0) {
		rc = k->timerd < 0 ? k->timerd : k->healthd;
		mn_strbuf_printf(err, "cannot create kernel tasks");
		return rc;
	}
	mn_signals_set_ktask_hook(k->signals, on_ktask_state, k);
	rc = mn_sched_start(k->sched, (unsigned)workers);
	if (rc < 0)
		mn_strbuf_printf(err, "cannot start %lld workers",
				 (long long)workers);
	return rc;
}

static void stop_scheduler(struct mn_kernel *k)
{
	mn_sched_stop(k->sched, MN_SCHED_DRAIN);
}

static int start_drivers(struct mn_kernel *k, struct mn_strbuf *err)
{
	struct mn_drivers_opts o = {0};
	int det = 0;

	mn_config_get_bool(k->config, "kernel.deterministic", &det);
	o.deterministic = det || k->deterministic;
	o.seed = (uint64_t)mn_config_int_or(k->config, "random.seed", 1);
	if (!k->drivers) {
		int rc = mn_drivers_create(&k->drivers, k->bus, &o);

		if (rc < 0)
			return rc;
	}
	return mn_drivers_start_all(k->drivers, err);
}

static void stop_drivers(struct mn_kernel *k)
{
	mn_drivers_shutdown_all(k->drivers);
}

static int start_nothing(struct mn_kernel *k, struct mn_strbuf *err)
{
	(void)k;
	(void)err;
	return 0;
}

static void stop_nothing(struct mn_kernel *k)
{
	(void)k;
}

/* The boot sequence: one row per stage, run top to bottom. */
static const struct {
	int (*start)(struct mn_kernel *k, struct mn_strbuf *err);
	void (*stop)(struct mn_kernel *k);
} stage_ops[MN_STAGE__COUNT] = {
	[MN_STAGE_CORE] = {start_core, stop_core},
	[MN_STAGE_MEMORY] = {start_memory, stop_memory},
	[MN_STAGE_SCHEDULER] = {start_scheduler, stop_scheduler},
	[MN_STAGE_DRIVERS] = {start_drivers, stop_drivers},
	[MN_STAGE_SERVICES] = {mn__kernel_start_services,
			       mn__kernel_stop_services},
	/* The layers' stages: their hooks are all the work. */
	[MN_STAGE_VFS] = {start_nothing, stop_nothing},
	[MN_STAGE_NET] = {start_nothing, stop_nothing},
	[MN_STAGE_FUSE] = {start_nothing, stop_nothing},
	[MN_STAGE_READY] = {start_nothing, stop_nothing},
};

static void stop_stage(struct mn_kernel *k, enum mn_boot_stage i)
{
	struct stage *st = &k->stages[i];

	while (st->hooks_started > 0) {
		struct mn_stage_hook *h = &st->hooks[--st->hooks_started];

		if (h->stop)
			h->stop(k, h->arg);
	}
	if (st->info.started) {
		stage_ops[i].stop(k);
		st->info.started = 0;
		mn_evbus_publish_custom(k->bus, MN_CUSTOM_SERVICE,
					MN_SRC_KERNEL, 0, "stage %s stopped",
					stage_names[i]);
	}
}

static int start_stage(struct mn_kernel *k, enum mn_boot_stage i,
		       struct mn_strbuf *msg)
{
	struct stage *st = &k->stages[i];
	uint64_t t0 = mn_clock_host_mono_ns();
	int rc;

	if ((rc = stage_ops[i].start(k, msg)) < 0)
		goto out;
	st->info.started = 1;
	for (; st->hooks_started < st->nhooks; st->hooks_started++) {
		struct mn_stage_hook *h = &st->hooks[st->hooks_started];

		if ((rc = h->start(k, h->arg, msg)) < 0) {
			if (!msg->len)
				mn_strbuf_printf(msg, "%s failed", h->name);
			goto out;
		}
	}
out:
	st->info.duration_ns = mn_clock_host_mono_ns() - t0;
	st->info.error = rc < 0 ? rc : 0;
	if (rc == 0) {
		char d[32];

		mn_fmt_duration(d, sizeof(d), st->info.duration_ns);
		mn_evbus_publish_custom(k->bus, MN_CUSTOM_SERVICE,
					MN_SRC_KERNEL, 0,
					"stage %s started in %s",
					stage_names[i], d);
		MN_LOG(k->log, MN_LOG_INFO, "boot: stage %s started in %s",
		       stage_names[i], d);
	}
	return rc;
}

int mn_kernel_boot(struct mn_kernel *k, struct mn_strbuf *err)
{
	struct mn_strbuf msg = MN_STRBUF_INIT;
	int i, rc = 0;

	if (k->up)
		return -EALREADY;
	if (k->booted_once)
		return -EBUSY;	/* a shut-down instance is not rebooted */
	k->booted_once = 1;
	mn_clock_init(&k->clock);
	for (i = 0; i < MN_STAGE__COUNT; i++) {
		mn_strbuf_reset(&msg);
		if ((rc = start_stage(k, (enum mn_boot_stage)i, &msg)) < 0)
			break;
	}
	if (rc < 0) {
		if (err)
			mn_strbuf_printf(err, "stage %s: %s%s%s",
					 stage_names[i], mn_strbuf_str(&msg),
					 msg.len ? ": " : "",
					 mn_errno_message(rc));
		MN_LOG(k->log, MN_LOG_ERROR, "boot failed in stage %s: %s",
		       stage_names[i], mn_strbuf_str(&msg));
		mn_evbus_publish_custom(k->bus, MN_CUSTOM_SERVICE,
					MN_SRC_KERNEL, 0,
					"boot failed in stage %s: %s",
					stage_names[i], mn_errno_name(rc));
		for (; i >= 0; i--)
			stop_stage(k, (enum mn_boot_stage)i);
	} else {
		k->up = 1;
	}
	mn_strbuf_release(&msg);
	return rc;
}

void mn_kernel_shutdown(struct mn_kernel *k)
{
	int i;

	if (!k->up)
		return;
	k->up = 0;
	MN_LOG(k->log, MN_LOG_INFO, "shutdown");
	for (i = MN_STAGE__COUNT - 1; i >= 0; i--)
		stop_stage(k, (enum mn_boot_stage)i);
	mn_proctab_shutdown(k->procs);
}

int mn_kernel_is_up(const struct mn_kernel *k)
{
	return k->up;
}

void mn_kernel_stage_info(const struct mn_kernel *k, enum mn_boot_stage stage,
			  struct mn_stage_info *out)
{
	memset(out, 0, sizeof(*out));
	out->name = mn_stage_name(stage);
	if ((unsigned)stage < MN_STAGE__COUNT)
		*out = k->stages[stage].info;
}

uint64_t mn_kernel_uptime_ns(const struct mn_kernel *k)
{
	return mn_clock_now_ns(&k->clock);
}

const char *mn_kernel_name(const struct mn_kernel *k)
{
	return k->name;
}

const char *mn_kernel_data_dir(const struct mn_kernel *k)
{
	return k->data_dir[0] ? k->data_dir : NULL;
}

const char *mn_kernel_runtime_dir(const struct mn_kernel *k)
{
	return k->runtime_dir[0] ? k->runtime_dir : NULL;
}

const struct mn_runner *mn_kernel_runner(struct mn_kernel *k)
{
	return &k->runner;
}

void mn_kernel_set_slot(struct mn_kernel *k, enum mn_kernel_slot slot,
			void *handle)
{
	if ((unsigned)slot < MN_SLOT__COUNT)
		k->slots[slot] = handle;
}

void *mn_kernel_slot(struct mn_kernel *k, enum mn_kernel_slot slot)
{
	return (unsigned)slot < MN_SLOT__COUNT ? k->slots[slot] : NULL;
}

/* Accessors: one line each. */
const struct mn_clock *mn_kernel_clock(struct mn_kernel *k) { return &k->clock; }
struct mn_evbus *mn_kernel_evbus(struct mn_kernel *k) { return k->bus; }
struct mn_log *mn_kernel_log(struct mn_kernel *k) { return k->log; }
struct mn_config *mn_kernel_config(struct mn_kernel *k) { return k->config; }
struct mn_stats *mn_kernel_stats(struct mn_kernel *k) { return k->stats; }
struct mn_mem *mn_kernel_mem(struct mn_kernel *k) { return k->mem; }
struct mn_sched *mn_kernel_sched(struct mn_kernel *k) { return k->sched; }
struct mn_proctab *mn_kernel_procs(struct mn_kernel *k) { return k->procs; }
struct mn_signals *mn_kernel_signals(struct mn_kernel *k) { return k->signals; }
struct mn_timers *mn_kernel_timers(struct mn_kernel *k) { return k->timers; }
struct mn_ipc *mn_kernel_ipc(struct mn_kernel *k) { return k->ipc; }
struct mn_health *mn_kernel_health(struct mn_kernel *k) { return k->health; }
struct mn_drivers *mn_kernel_drivers(struct mn_kernel *k) { return k->drivers; }
struct mn_syscalls *mn_kernel_syscalls(struct mn_kernel *k) { return k->syscalls; }
struct mn_faults *mn_kernel_faults(struct mn_kernel *k) { return k->faults; }
