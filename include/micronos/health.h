/*
 * health - the MicronOS health monitor.
 *
 * Components register a check: a function that reports ok, degraded or
 * failed with a short message, a period, and optionally a recovery function
 * that runs when the check fails.  The kernel calls mn_health_run_due() from
 * a periodic timer on the scheduler; it starts every check whose period has
 * elapsed and that is not still running, each as its own job through the
 * runner (so one slow check does not hold up the others), or in the calling
 * thread when there is no runner.
 *
 * Checks and recoveries run with no health lock held, so the status of every
 * component can always be read at once, even while a check hangs.  A check
 * still running after its timeout (default 2 x period) is reported "hung":
 * status failed, hung 1, message "check hung for N ms".  Readers see that as
 * soon as the timeout passes; the next mn_health_run_due() also publishes it
 * and starts the recovery.  A hung check is not started again until it
 * returns.
 *
 * Recovery: after each check that returns failed, and once per hang, the
 * component's recover(arg, msg, size) runs (same thread as the check, or
 * from run_due for a hang; it may run while the hung check is still inside
 * the component).  It returns 0 if it did something that should help,
 * -errno if not; `recoveries` counts the 0s.  The status stays failed until
 * a later check says otherwise.
 *
 * Events, Custom(501), source kernel, pid = owner: on every status change
 * ("NAME: ok -> failed: message") and every recovery ("NAME: recovery
 * ok|failed: message").
 *
 * Status order, best to worst: ok, unknown (never checked yet), degraded,
 * failed.  The overall status is the worst component's (ok if none).
 *
 * Locking: one mutex guards the components; only the event bus is called
 * under it.  The service is reference-counted by the check jobs in flight,
 * so a job that outlives mn_health_destroy() (a hung check that returns
 * later, a job still queued on the runner) finds it still there, does
 * nothing and frees it if it is last.
 */
#ifndef MICRONOS_HEALTH_H
#define MICRONOS_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/runner.h>
#include <micronos/strbuf.h>

struct mn_clock;
struct mn_evbus;
struct mn_health;

/* Component names: 1..MN_HEALTH_NAME_MAX-1 of [a-z0-9_.-]. */
#define MN_HEALTH_NAME_MAX 32
#define MN_HEALTH_MSG_MAX 128
#define MN_HEALTH_MAX_CHECKS 64
#define MN_HEALTH_DEFAULT_PERIOD_MS 1000

enum mn_health_status {
	MN_HEALTH_OK,
	MN_HEALTH_UNKNOWN,
	MN_HEALTH_DEGRADED,
	MN_HEALTH_FAILED,
	MN_HEALTH__COUNT
};

/* A registration; the struct is copied, `name` too. */
struct mn_health_check {
	const char *name;
	/*
	 * Returns the status and may write a NUL-terminated message into msg
	 * (size msgsz, starts empty).  Called with no lock held.
	 */
	enum mn_health_status (*check)(void *arg, char *msg, size_t msgsz);
	/* May be NULL.  0: recovery done; -errno: could not recover. */
	int (*recover)(void *arg, char *msg, size_t msgsz);
	void *arg;		/* borrowed, see mn_health_unregister */
	uint32_t period_ms;	/* 0: the service's default period */
	uint32_t timeout_ms;	/* 0: 2 x period */
	int32_t owner;		/* pid the jobs run for (0: kernel) */
};

struct mn_health_info {
	char name[MN_HEALTH_NAME_MAX];
	enum mn_health_status status;
	int hung;		/* status is failed because the check hangs */
	int running;		/* a check or recovery is in progress */
	char message[MN_HEALTH_MSG_MAX];
	/* MicronOS time the last check ended / last returned ok; 0: never */
	uint64_t last_check_ns;
	uint64_t last_ok_ns;
	uint64_t checks;	/* checks completed */
	uint32_t consecutive_failures;	/* failed checks (and hangs) in a row */
	uint64_t recoveries;	/* recoveries that returned 0 */
	uint64_t recovery_attempts;
	uint32_t period_ms;	/* effective */
	uint32_t timeout_ms;	/* effective */
	int32_t owner;
};

/*
 * Creates the monitor.  `bus`, `clock` and `runner` are borrowed (each may
 * be NULL); the runner struct is copied.  default_period_ms: 0 for
 * MN_HEALTH_DEFAULT_PERIOD_MS.
 */
int mn_health_create(struct mn_health **out, struct mn_evbus *bus,
		     const struct mn_clock *clock,
		     const struct mn_runner *runner,
		     uint32_t default_period_ms);
/*
 * Unregisters everything (waiting as mn_health_unregister does for checks
 * that are running but not hung) and releases the monitor; a hung check
 * keeps it alive until it returns.  Accepts NULL.
 */
void mn_health_destroy(struct mn_health *h);

/* For the config key health.period_ms (1..3600000); -EINVAL. */
int mn_health_set_default_period(struct mn_health *h, uint32_t period_ms);

/*
 * Adds a component, status unknown until its first check, due at once.
 * -EINVAL (bad name, no check fn), -EEXIST, -ENOSPC (MN_HEALTH_MAX_CHECKS).
 */
int mn_health_register(struct mn_health *h, const struct mn_health_check *c);
/*
 * Removes a component.  If its check or recovery is running, waits for it
 * (up to the check's timeout) so that arg may be freed after a 0 return;
 * returns -EBUSY if it was still running after that (the component is
 * removed anyway, but arg must stay valid until the check returns).
 * -ENOENT if unknown.  Must not be called from that component's check.
 */
int mn_health_unregister(struct mn_health *h, const char *name);

/*
 * Starts every check that is due and not running; reports hangs and starts
 * their recovery.  Returns the number of checks started.  With no runner
 * the checks run in the calling thread before this returns.
 */
int mn_health_run_due(struct mn_health *h);
/*
 * Runs one component's check now, in the calling thread, whatever its
 * period; returns its status, or -ENOENT, or -EBUSY if it is running.
 */
int mn_health_check_now(struct mn_health *h, const char *name);

/* Never blocks on a check.  -ENOENT. */
int mn_health_get(struct mn_health *h, const char *name,
		  struct mn_health_info *out);
/* Copies up to max components sorted by name; returns how many exist. */
int mn_health_list(struct mn_health *h, struct mn_health_info *out,
		   size_t max);
enum mn_health_status mn_health_overall(struct mn_health *h);

/* "ok", "unknown", "degraded", "failed"; "?" out of range. */
const char *mn_health_status_name(enum mn_health_status s);

/*
 * Formatters.
 * _table (shell `health`, `status`): "overall: STATUS" then an aligned
 *   table COMPONENT STATUS CHECKED FAILURES RECOVERIES MESSAGE.
 * _overall (/health/status): "key: value" lines:
 *   status, components, ok, unknown, degraded, failed.
 * _component (/health/NAME): "key: value" lines: name, status, hung,
 *   message, last_check, last_ok (MicronOS seconds "12.345678", "never"),
 *   checks, consecutive_failures, recoveries, recovery_attempts,
 *   period_ms, timeout_ms.  -ENOENT for an unknown name.
 * All return 0 or -errno (-ENOMEM from the strbuf).
 */
int mn_health_format_table(struct mn_health *h, struct mn_strbuf *out);
int mn_health_format_overall(struct mn_health *h, struct mn_strbuf *out);
int mn_health_format_component(struct mn_health *h, const char *name,
			       struct mn_strbuf *out);

#endif
