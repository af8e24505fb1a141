/*
 * kernel_svc.c - the "services" boot stage: timers and the health monitor.
 *
 * The timer thread starts here.  The health monitor gets one check per core
 * module and a periodic timer owned by healthd that runs the checks that are
 * due; the checks themselves are queued on the scheduler for healthd, so
 * `suspend <healthd>` really stops health checking, and a check that hangs
 * is reported as hung without blocking anyone who reads the status.
 *
 * Each check reads its module's public state only.  Recovery actions are
 * limited to what the kernel itself broke: a stopped scheduler is restarted,
 * a paused timer service whose task is running again is resumed.  A driver
 * stopped by a person stays stopped: that is a decision, not a fault, so the
 * drivers check reports it as degraded and recovers nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/evbus.h>
#include <micronos/health.h>
#include <micronos/log.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/timer.h>

#include "kernel_i.h"

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
	size_t i, count, off = 0;
	int down = 0;

	if (!mn_kernel_drivers(k)) {
		snprintf(msg, n, "no drivers");
		return MN_HEALTH_FAILED;
	}
	count = mn_drivers_list(mn_kernel_drivers(k), info, 32);
	msg[0] = '\0';
	for (i = 0; i < count && i < 32; i++) {
		if (info[i].state == MN_DRV_RUNNING)
			continue;
		down++;
		if (off < n)
			off += (size_t)snprintf(msg + off, n - off, "%s%s %s",
						down > 1 ? ", " : "",
						info[i].name,
						mn_drv_state_name(info[i].state));
	}
	if (down)
		return MN_HEALTH_DEGRADED;
	snprintf(msg, n, "%zu drivers running", count);
	return MN_HEALTH_OK;
}

static enum mn_health_status check_events(void *arg, char *msg, size_t n)
{
	struct mn_kernel *k = arg;
	struct mn_evstats st;

	mn_evbus_stats(mn_kernel_evbus(k), &st);
	snprintf(msg, n, "%llu published, %llu held of %llu, %llu subscribers",
		 (unsigned long long)st.published,
		 (unsigned long long)st.in_history,
		 (unsigned long long)st.capacity,
		 (unsigned long long)st.subscribers);
	return MN_HEALTH_OK;
}

static const struct {
	const char *name;
	enum mn_health_status (*check)(void *arg, char *msg, size_t n);
	int (*recover)(void *arg, char *msg, size_t n);
} checks[] = {
	{"scheduler", check_sched, recover_sched},
	{"timers", check_timers, NULL},
	{"memory", check_memory, NULL},
	{"drivers", check_drivers, NULL},	/* a person's stop stays */
	{"events", check_events, NULL},
};

static void health_tick(void *arg, int id, uint64_t count)
{
	(void)id;
	(void)count;
	mn_health_run_due(mn_kernel_health(arg));
}

int mn__kernel_start_services(struct mn_kernel *k, struct mn_strbuf *err)
{
	int64_t period = mn_config_int_or(k->config, "health.period_ms", 1000);
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
		};

		rc = mn_health_register(k->health, &c);
		if (rc < 0 && rc != -EEXIST) {
			mn_strbuf_printf(err, "cannot register check %s",
					 checks[i].name);
			return rc;
		}
	}
	/* Ticks at twice the default rate so no check waits a whole period. */
	rc = mn_timers_create_timer(k->timers, "health",
				    period / 2 ? period / 2 : 1, 1,
				    health_tick, k, k->healthd, err);
	if (rc < 0)
		return rc;
	k->health_timer = rc;
	mn_timers_set_quiet(k->timers, rc, 1);
	return 0;
}

void mn__kernel_stop_services(struct mn_kernel *k)
{
	size_t i;

	if (k->health_timer >= 0)
		mn_timers_cancel(k->timers, k->health_timer);
	k->health_timer = -1;
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		mn_health_unregister(k->health, checks[i].name);
	mn_timers_stop(k->timers);
}
