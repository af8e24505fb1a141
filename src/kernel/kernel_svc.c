/*
 * kernel_svc.c - the "services" boot stage: timers and the health monitor.
 *
 * The timer thread starts here.  The health monitor gets one check per core
 * module, and a watchdog: a thread of its own that does not depend on what
 * it watches.  Every half period (health.period_ms) it
 *
 *   - runs the "ktasks" and "drivers" checks itself, in its own thread, so
 *     a suspended timerd or healthd cannot silence them;
 *   - starts the other checks that are due (mn_health_run_due): those run
 *     as jobs of healthd on the scheduler, so a held healthd shows as hung
 *     checks, reported by this thread after their timeout.
 *
 * Each check reads its module's public state only, and each that can fail
 * has a recovery: a stopped scheduler is restarted; a kernel task suspended
 * longer than health.grace_ms is resumed (SIGCONT through the signal
 * service, as the shell's resume); a driver stopped or suspended longer
 * than that is started again (one shut down is reported, but shutdown is
 * terminal); the events check fails when
 * subscribers lose events or the history is crowded by one source, and
 * nothing can recover that but a reader.  The grace lets a person suspend a
 * task or stop a driver on purpose for a while; 0 recovers at once.  Each
 * recovery is an event (Custom 501, health.c) and counted (recoveries).
 *
 * The log bridge: a subscriber thread that writes every event of the bus
 * to the kernel log, one line each, at the level its kind deserves (a
 * process killed by a signal is a notice, a component failing an error, a
 * memory allocation debug).  Every subsystem reports what it does on the
 * bus, so through the bridge every subsystem logs, and `log.level debug`
 * shows all of it; the level is tested before a line is formatted.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/evbus.h>
#include <micronos/health.h>
#include <micronos/log.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/signal.h>
#include <micronos/timer.h>

#include "kernel_i.h"

#define DOWN_MAX 64

/* The watchdog's state: its thread, and since when each thing is down. */
struct watchdog {
	struct mn_kernel *k;
	pthread_t thread;
	int started;			/* owner only */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* protected by lock: */
	int stop;
	struct mn_evsub *logsub;	/* the log bridge's; set once */
	pthread_t logthread;
	int log_started;		/* owner only */
	struct {
		char name[40];		/* "ktask:3", "driver:zero" */
		uint64_t since_ns;	/* MicronOS time first seen down */
		int seen;		/* in the last check */
	} down[DOWN_MAX];
	size_t ndown;
	uint64_t last_dropped, last_published;
};

static struct watchdog *wd_of(struct mn_kernel *k)
{
	return k->watchdog;
}

/*
 * Marks `name` down now and returns for how long it has been, in ns (0 the
 * first time).  Names not marked during a check are forgotten by wd_sweep.
 */
static uint64_t wd_down_for(struct mn_kernel *k, const char *name)
{
	struct watchdog *w = wd_of(k);
	uint64_t now = mn_kernel_uptime_ns(k), since = now;
	size_t i;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->ndown; i++)
		if (strcmp(w->down[i].name, name) == 0)
			break;
	if (i == w->ndown && w->ndown < DOWN_MAX) {
		snprintf(w->down[i].name, sizeof(w->down[i].name), "%s", name);
		w->down[i].since_ns = now;
		w->ndown++;
	}
	if (i < w->ndown) {
		w->down[i].seen = 1;
		since = w->down[i].since_ns;
	}
	pthread_mutex_unlock(&w->lock);
	return now - since;
}

/* Forgets what was not seen down with `prefix` since the last sweep. */
static void wd_sweep(struct mn_kernel *k, const char *prefix)
{
	struct watchdog *w = wd_of(k);
	size_t i = 0, plen = strlen(prefix);

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	while (i < w->ndown) {
		if (strncmp(w->down[i].name, prefix, plen) == 0 &&
		    !w->down[i].seen) {
			w->down[i] = w->down[--w->ndown];
			continue;
		}
		if (strncmp(w->down[i].name, prefix, plen) == 0)
			w->down[i].seen = 0;
		i++;
	}
	pthread_mutex_unlock(&w->lock);
}

static uint64_t grace_ns(struct mn_kernel *k)
{
	return (uint64_t)mn_config_int_or(k->config, "health.grace_ms", 5000) *
	       1000000ULL;
}

static enum mn_health_status check_sched(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;

	if (!mn_sched_running(mn_kernel_sched(k))) {
		snprintf(msg, n, "workers are not running");
		return MN_HEALTH_FAILED;
	}
	snprintf(msg, n, "workers running");
	return MN_HEALTH_OK;
}

static int recover_sched(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;
	int rc = mn_sched_start(mn_kernel_sched(k), 2);

	snprintf(msg, n, rc == 0 || rc == -EALREADY ? "workers restarted"
						    : "restart failed");
	return rc == -EALREADY ? 0 : rc;
}

/* timerd's state decides whether timers fire: see mn__kernel_ktask_state. */
static enum mn_health_status check_timers(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;
	size_t count = mn_timers_count(mn_kernel_timers(k));

	if (mn_timers_paused(mn_kernel_timers(k))) {
		snprintf(msg, n, "paused (timerd suspended), %zu timers",
			 count);
		return MN_HEALTH_DEGRADED;
	}
	snprintf(msg, n, "%zu timers armed", count);
	return MN_HEALTH_OK;
}

static enum mn_health_status check_memory(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;
	struct mn_memview m;
	struct mn_meminfo mi;

	/* the one model (memview.h): RAM, then the address space */
	if (!mn_kernel_mem(k) || mn_memview_get(k, &m) < 0) {
		snprintf(msg, n, "no address space");
		return MN_HEALTH_FAILED;
	}
	mn_mem_info(mn_kernel_mem(k), &mi);
	snprintf(msg, n, "RAM %llu of %llu kB free; address space %llu of "
		 "%llu bytes free, fragmentation %.0f%%",
		 (unsigned long long)(m.free / 1024),
		 (unsigned long long)(m.total / 1024),
		 (unsigned long long)mi.free, (unsigned long long)mi.total,
		 mi.fragmentation * 100.0);
	if (m.free < m.total / 10 || mi.free < mi.total / 10)
		return MN_HEALTH_DEGRADED;
	return MN_HEALTH_OK;
}

static enum mn_health_status check_drivers(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;
	struct mn_driver_info info[32];
	size_t count, i, off = 0, down = 0, overdue = 0;
	char name[48];

	if (!mn_kernel_drivers(k)) {
		snprintf(msg, n, "no drivers");
		return MN_HEALTH_FAILED;
	}
	count = mn_drivers_list(mn_kernel_drivers(k), info, 32);
	msg[0] = '\0';
	for (i = 0; i < count && i < 32; i++) {
		uint64_t for_ns;

		if (info[i].state == MN_DRV_RUNNING)
			continue;
		snprintf(name, sizeof(name), "driver:%.30s", info[i].name);
		for_ns = wd_down_for(k, name);
		down++;
		/* shut down is terminal: reported, never recovered */
		overdue += for_ns >= grace_ns(k) &&
			   info[i].state != MN_DRV_SHUTDOWN;
		if (off < n)
			off += (size_t)snprintf(msg + off, n - off,
						"%s%s %s %.1f s",
						down > 1 ? ", " : "",
						info[i].name,
						mn_drv_state_name(info[i].state),
						(double)for_ns / 1e9);
	}
	wd_sweep(k, "driver:");
	if (down)
		return overdue ? MN_HEALTH_FAILED : MN_HEALTH_DEGRADED;
	snprintf(msg, n, "%zu drivers running", count);
	return MN_HEALTH_OK;
}

/* Brings each driver down past the grace back to running. */
static int recover_drivers(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;
	struct mn_driver_info info[32];
	size_t count, i, off = 0;
	int done = 0;

	msg[0] = '\0';
	count = mn_drivers_list(mn_kernel_drivers(k), info, 32);
	for (i = 0; i < count && i < 32; i++) {
		struct mn_driver *drv;
		char name[48];
		int rc = 0;

		if (info[i].state == MN_DRV_RUNNING ||
		    info[i].state == MN_DRV_SHUTDOWN)
			continue;
		snprintf(name, sizeof(name), "driver:%.30s", info[i].name);
		if (wd_down_for(k, name) < grace_ns(k))
			continue;
		drv = mn_drivers_find(mn_kernel_drivers(k), info[i].name);
		if (!drv)
			continue;
		/* the lifecycle's way back to running from each state */
		if (info[i].state == MN_DRV_SUSPENDED)
			rc = mn_driver_transition(drv, MN_DRV_OP_RESUME, NULL);
		else if (info[i].state == MN_DRV_REGISTERED)
			rc = mn_driver_transition(drv, MN_DRV_OP_INIT, NULL);
		if (rc == 0 && info[i].state != MN_DRV_SUSPENDED)
			rc = mn_driver_transition(drv, MN_DRV_OP_START, NULL);
		done += rc == 0;
		if (off < n)
			off += (size_t)snprintf(msg + off, n - off,
						"%s%s %s", done > 1 ? ", " : "",
						info[i].name,
						rc == 0 ? "restarted" :
						"would not restart");
	}
	return done ? 0 : -EAGAIN;
}

/*
 * The bus is sick when subscribers lose events (dropped: overwritten before
 * a subscriber that wanted them read them) since the last check: degraded,
 * failed when they lost more than half of what was published meanwhile.
 */
static enum mn_health_status check_events(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;
	struct watchdog *w = wd_of(k);
	struct mn_evstats st;
	uint64_t dropped = 0, published = 0;

	mn_evbus_stats(mn_kernel_evbus(k), &st);
	if (w) {
		pthread_mutex_lock(&w->lock);
		dropped = st.dropped - w->last_dropped;
		published = st.published - w->last_published;
		w->last_dropped = st.dropped;
		w->last_published = st.published;
		pthread_mutex_unlock(&w->lock);
	}
	if (dropped) {
		snprintf(msg, n, "%llu of %llu events lost by slow subscribers "
			 "since the last check",
			 (unsigned long long)dropped,
			 (unsigned long long)published);
		return dropped * 2 > published ? MN_HEALTH_FAILED
					       : MN_HEALTH_DEGRADED;
	}
	snprintf(msg, n, "%llu published, %llu held of %llu, %llu subscribers",
		 (unsigned long long)st.published,
		 (unsigned long long)st.in_history,
		 (unsigned long long)st.capacity,
		 (unsigned long long)st.subscribers);
	return MN_HEALTH_OK;
}

/* --- kernel tasks: none suspended for long --------------------------------- */

struct ktask_walk {
	struct mn_kernel *k;
	char *msg;
	size_t n, off;
	int down, overdue;
	int32_t pids[DOWN_MAX];	/* overdue ones, for the recovery */
	int npids;
};

static int ktask_one(void *arg, const struct mn_proc_info *pi)
{
	struct ktask_walk *w = arg;
	struct mn_sched_task_stats ts;
	char name[40];
	uint64_t for_ns;

	if (pi->kind != MN_PROC_KTASK ||
	    mn_sched_task_stats(mn_kernel_sched(w->k), pi->pid, &ts) < 0 ||
	    !ts.suspended)
		return 0;
	snprintf(name, sizeof(name), "ktask:%d", (int)pi->pid);
	for_ns = wd_down_for(w->k, name);
	w->down++;
	if (for_ns >= grace_ns(w->k) && w->npids < DOWN_MAX) {
		w->overdue++;
		w->pids[w->npids++] = pi->pid;
	}
	if (w->off < w->n)
		w->off += (size_t)snprintf(w->msg + w->off, w->n - w->off,
					   "%s%s (%d) suspended %.1f s",
					   w->down > 1 ? ", " : "", pi->comm,
					   (int)pi->pid,
					   (double)for_ns / 1e9);
	return 0;
}

static enum mn_health_status check_ktasks(void *arg, char *msg, size_t n)
{
	struct ktask_walk w = {.k = arg, .msg = msg, .n = n};

	msg[0] = '\0';
	mn_proc_foreach(mn_kernel_procs(w.k), ktask_one, &w);
	wd_sweep(w.k, "ktask:");
	if (!w.down) {
		snprintf(msg, n, "no kernel task suspended");
		return MN_HEALTH_OK;
	}
	/* failed once past the grace: that is when the recovery runs */
	return w.overdue ? MN_HEALTH_FAILED : MN_HEALTH_DEGRADED;
}

static int recover_ktasks(void *arg, char *msg, size_t n)
{
	struct ktask_walk w = {.k = arg, .msg = msg, .n = n};
	size_t off = 0;
	int i, done = 0;

	msg[0] = '\0';
	mn_proc_foreach(mn_kernel_procs(w.k), ktask_one, &w);
	for (i = 0; i < w.npids; i++) {
		int rc = mn_signals_kill(mn_kernel_signals(w.k), NULL,
					 w.pids[i], SIGCONT);

		done += rc == 0;
		if (off < n)
			off += (size_t)snprintf(msg + off, n - off,
						"%sresumed %d%s",
						i ? ", " : "", (int)w.pids[i],
						rc == 0 ? "" : " (refused)");
	}
	return done ? 0 : -EAGAIN;
}

static const struct {
	const char *name;
	enum mn_health_status (*check)(void *arg, char *msg, size_t n);
	int (*recover)(void *arg, char *msg, size_t n);
	int watchdog;	/* run by the watchdog thread itself */
} checks[] = {
	{"scheduler", check_sched, recover_sched, 0},
	{"timers", check_timers, NULL, 0},
	{"memory", check_memory, NULL, 0},
	{"drivers", check_drivers, recover_drivers, 1},
	{"ktasks", check_ktasks, recover_ktasks, 1},
	{"events", check_events, NULL, 0},
};

/* The watchdog's period checks never come due on the scheduler. */
#define WATCHDOG_ONLY_MS 3600000

/* --- the log bridge ------------------------------------------------------- */

/* The level an event is logged at. */
static int event_level(const struct mn_event *ev)
{
	switch (ev->type) {
	case MN_EV_PROCESS_TERMINATED:
		return strstr(ev->text, "killed by") ? MN_LOG_NOTICE
						     : MN_LOG_INFO;
	case MN_EV_PROCESS_SUSPENDED:
	case MN_EV_PROCESS_RESUMED:
	case MN_EV_NETWORK_CONNECTED:
	case MN_EV_NETWORK_DISCONNECTED:
		return MN_LOG_INFO;
	case MN_EV_CUSTOM:
		break;
	default:	/* created, timers, memory, disk, signals */
		return MN_LOG_DEBUG;
	}
	switch (ev->custom_id) {
	case MN_CUSTOM_DRIVER:
	case MN_CUSTOM_CONFIG:
		return MN_LOG_NOTICE;
	case MN_CUSTOM_HEALTH:
		if (strstr(ev->text, "-> failed") ||
		    strstr(ev->text, "recovery failed"))
			return MN_LOG_ERROR;
		if (strstr(ev->text, "-> degraded"))
			return MN_LOG_WARNING;
		return MN_LOG_NOTICE;
	case MN_CUSTOM_SERVICE:		/* boot stages: logged by the kernel */
	default:
		return MN_LOG_DEBUG;
	}
}

static void *logbridge_main(void *arg)
{
	struct watchdog *w = arg;
	struct mn_log *log = mn_kernel_log(w->k);
	struct mn_event ev;
	uint64_t lost = 0;
	char type[32];
	int rc;

	while ((rc = mn_evsub_next(w->logsub, &ev, -1, &lost)) != -EINTR &&
	       rc != -ESHUTDOWN) {
		int level;

		if (rc != 1)
			continue;
		if (lost)
			mn_log_write(log, MN_LOG_WARNING, "log: %llu events "
				     "went by unlogged",
				     (unsigned long long)lost);
		level = event_level(&ev);
		if (!mn_log_enabled(log, level))
			continue;
		mn_event_type_label(&ev, type, sizeof(type));
		mn_log_write(log, level, "%s %s pid %d: %s", type,
			     mn_event_source_name(
				     (enum mn_event_source)ev.source),
			     (int)ev.pid, ev.text);
	}
	return NULL;
}

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct mn_kernel *k = w->k;
	struct timespec next;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		/* twice per period, so no check waits a whole period */
		int64_t half = mn_config_int_or(k->config, "health.period_ms",
						1000) / 2;

		pthread_mutex_unlock(&w->lock);
		for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
			if (checks[i].watchdog)
				mn_health_check_now(k->health, checks[i].name);
		mn_health_run_due(k->health);
		pthread_mutex_lock(&w->lock);
		next.tv_nsec += (long)((half > 0 ? half : 1) * 1000000);
		next.tv_sec += next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		while (!w->stop &&
		       pthread_cond_timedwait(&w->cond, &w->lock, &next) == 0)
			;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int watchdog_start(struct mn_kernel *k)
{
	struct watchdog *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int rc;

	if (!w)
		return -ENOMEM;
	w->k = k;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	k->watchdog = w;
	rc = -pthread_create(&w->thread, NULL, watchdog_main, w);
	if (rc < 0) {
		k->watchdog = NULL;
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return rc;
	}
	w->started = 1;
	if (mn_evsub_create(&w->logsub, mn_kernel_evbus(k), NULL, 0) == 0 &&
	    pthread_create(&w->logthread, NULL, logbridge_main, w) == 0)
		w->log_started = 1;
	return 0;
}

static void watchdog_stop(struct mn_kernel *k)
{
	struct watchdog *w = wd_of(k);

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	if (w->log_started) {
		mn_evsub_interrupt(w->logsub);
		pthread_join(w->logthread, NULL);
	}
	mn_evsub_destroy(w->logsub);
	k->watchdog = NULL;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int mn__kernel_start_services(struct mn_kernel *k, struct mn_strbuf *err)
{
	size_t i;
	int rc;

	if ((rc = mn_timers_start(k->timers)) < 0 && rc != -EALREADY) {
		mn_strbuf_printf(err, "cannot start the timer thread");
		return rc;
	}
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		struct mn_health_check c = {
			.name = checks[i].name,
			.check = checks[i].check,
			.recover = checks[i].recover,
			.arg = k,
			.owner = k->healthd,
			.period_ms = checks[i].watchdog ? WATCHDOG_ONLY_MS : 0,
		};

		rc = mn_health_register(k->health, &c);
		if (rc < 0 && rc != -EEXIST) {
			mn_strbuf_printf(err, "cannot register check %s",
					 checks[i].name);
			return rc;
		}
	}
	/* not a timer: timerd suspended must not silence the monitor */
	k->health_timer = -1;
	rc = watchdog_start(k);
	if (rc < 0)
		mn_strbuf_printf(err, "cannot start the health watchdog");
	return rc;
}

void mn__kernel_stop_services(struct mn_kernel *k)
{
	size_t i;

	watchdog_stop(k);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		mn_health_unregister(k->health, checks[i].name);
	mn_timers_stop(k->timers);
}
