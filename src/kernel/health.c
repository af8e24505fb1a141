/*
 * health.c - the health monitor (see include/micronos/health.h).
 *
 * Each registered component is a struct comp.  mn_health_run_due() marks a
 * due component `checking` and hands a job to the runner; the job calls the
 * check with no lock held, then records the result under the lock and, if
 * the check failed, runs the recovery.  Hangs are a matter of time only: a
 * component that has been `checking` longer than its timeout is hung, which
 * readers work out for themselves from the start time, so no reader ever
 * waits for a check.  run_due makes a hang official (event, failure count,
 * recovery job).
 *
 * Jobs may outlive unregister and destroy (a hung check returns whenever it
 * does; a runner may run a queued job late), so components and the monitor
 * are reference-counted, and a job that finds its component removed touches
 * nothing but the counts.  `in_fn` counts the check/recover calls executing
 * right now; unregister waits for it (not for queued jobs, which will skip).
 *
 * Lock order: h->lock, then the event bus (leaf).
 */
#include <micronos/health.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>

#include "texttable_i.h"

struct mn_health;

struct comp {
	/* set at register, then read-only */
	struct mn_health *h;
	struct mn_health_check def;	/* def.name points to name */
	char name[MN_HEALTH_NAME_MAX];
	/* protected by h->lock */
	enum mn_health_status status;	/* as last recorded */
	int hung;			/* a hang was made official */
	char message[MN_HEALTH_MSG_MAX];
	uint64_t last_check_ns, last_ok_ns;	/* MicronOS time */
	uint64_t checks, recoveries, recovery_attempts;
	uint32_t consecutive_failures;
	uint64_t next_due;		/* host mono ns */
	int checking;			/* a check job is queued or running */
	uint64_t started;		/* host mono ns the job was handed */
	int recovering;			/* a recovery job queued or running */
	int in_fn;			/* check/recover calls executing */
	int removed;
	int refs;			/* table + jobs */
};

struct mn_health {
	pthread_mutex_t lock;
	pthread_cond_t done;		/* in_fn dropped (CLOCK_MONOTONIC) */
	/* set at create, then read-only */
	struct mn_evbus *bus;
	const struct mn_clock *clock;
	struct mn_runner runner;
	/* protected by lock */
	struct comp *comps[MN_HEALTH_MAX_CHECKS];	/* sorted by name */
	size_t n;
	uint32_t default_period;
	int refs;			/* owner + jobs */
};

static const char *const status_names[MN_HEALTH__COUNT] = {
	[MN_HEALTH_OK] = "ok",
	[MN_HEALTH_UNKNOWN] = "unknown",
	[MN_HEALTH_DEGRADED] = "degraded",
	[MN_HEALTH_FAILED] = "failed",
};

const char *mn_health_status_name(enum mn_health_status s)
{
	if ((unsigned)s >= MN_HEALTH__COUNT)
		return "?";
	return status_names[s];
}

static uint64_t mono_now(void)
{
	return mn_clock_host_mono_ns();
}

/* Caller holds h->lock (the clock may be gone once h is destroyed). */
static uint64_t mn_now(const struct mn_health *h)
{
	return mn_clock_now_ns(h->clock);
}

/* Caller holds h->lock. */
static uint32_t period_of(const struct mn_health *h, const struct comp *c)
{
	return c->def.period_ms ? c->def.period_ms : h->default_period;
}

static uint32_t timeout_of(const struct mn_health *h, const struct comp *c)
{
	uint64_t t = c->def.timeout_ms ? c->def.timeout_ms :
					 2ULL * period_of(h, c);

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* Caller holds h->lock: how long the current check has run, if hung. */
static int is_hung(const struct mn_health *h, const struct comp *c,
		   uint64_t now, uint64_t *ms)
{
	uint64_t ran;

	if (!c->checking || now < c->started)
		return 0;
	ran = (now - c->started) / MN_NSEC_PER_MSEC;
	if (ms)
		*ms = ran;
	return ran > timeout_of(h, c);
}

/* Caller holds h->lock: the status a reader sees. */
static enum mn_health_status effective(const struct mn_health *h,
				       const struct comp *c, uint64_t now)
{
	return is_hung(h, c, now, NULL) ? MN_HEALTH_FAILED : c->status;
}

/* Control characters would break the one-line-per-key files. */
static void clean_message(char *msg)
{
	for (; *msg; msg++)
		if ((unsigned char)*msg < ' ' || *msg == 0x7f)
			*msg = ' ';
}

static void free_monitor(struct mn_health *h)
{
	pthread_cond_destroy(&h->done);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* Caller holds h->lock.  Returns 1 if the monitor must be freed. */
static int put_refs(struct mn_health *h, struct comp *c)
{
	if (--c->refs == 0)
		free(c);
	return --h->refs == 0;
}

/* Without h->lock: drops a job's references on c and h, freeing the last. */
static void release_job_refs(struct mn_health *h, struct comp *c)
{
	int last;

	pthread_mutex_lock(&h->lock);
	last = put_refs(h, c);
	pthread_mutex_unlock(&h->lock);
	if (last)
		free_monitor(h);
}

int mn_health_create(struct mn_health **out, struct mn_evbus *bus,
		     const struct mn_clock *clock,
		     const struct mn_runner *runner,
		     uint32_t default_period_ms)
{
	pthread_condattr_t attr;
	struct mn_health *h;
	int rc;

	if (default_period_ms > 3600000)
		return -EINVAL;
	if (!(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	h->bus = bus;
	h->clock = clock;
	if (runner)
		h->runner = *runner;
	h->default_period = default_period_ms ? default_period_ms :
						MN_HEALTH_DEFAULT_PERIOD_MS;
	h->refs = 1;
	if ((rc = -pthread_mutex_init(&h->lock, NULL)) < 0)
		goto err_free;
	if ((rc = -pthread_condattr_init(&attr)) < 0)
		goto err_mutex;
	rc = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = -pthread_cond_init(&h->done, &attr);
	pthread_condattr_destroy(&attr);
	if (rc < 0)
		goto err_mutex;
	*out = h;
	return 0;
err_mutex:
	pthread_mutex_destroy(&h->lock);
err_free:
	free(h);
	return rc;
}

/*
 * Caller holds h->lock; c is out of the table.  Waits (up to its timeout)
 * for its check/recover calls to return.  0, or -EBUSY if one still runs.
 */
static int wait_idle(struct mn_health *h, struct comp *c)
{
	struct timespec ts;
	uint64_t end = mono_now() +
		       (uint64_t)timeout_of(h, c) * MN_NSEC_PER_MSEC;

	ts.tv_sec = (time_t)(end / MN_NSEC_PER_SEC);
	ts.tv_nsec = (long)(end % MN_NSEC_PER_SEC);
	while (c->in_fn > 0) {
		if (pthread_cond_timedwait(&h->done, &h->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	return c->in_fn > 0 ? -EBUSY : 0;
}

void mn_health_destroy(struct mn_health *h)
{
	int last;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	while (h->n > 0) {
		struct comp *c = h->comps[--h->n];

		c->removed = 1;
		wait_idle(h, c);
		if (--c->refs == 0)
			free(c);
	}
	last = --h->refs == 0;
	pthread_mutex_unlock(&h->lock);
	if (last)
		free_monitor(h);
}

int mn_health_set_default_period(struct mn_health *h, uint32_t period_ms)
{
	if (period_ms < 1 || period_ms > 3600000)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	h->default_period = period_ms;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static int valid_name(const char *name)
{
	return mn_name_valid(name, MN_HEALTH_NAME_MAX, "_.-");
}

/* Caller holds h->lock.  Index of name, or where it would go (-1 - i). */
static int find(const struct mn_health *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		int cmp = strcmp(h->comps[i]->name, name);

		if (cmp == 0)
			return (int)i;
		if (cmp > 0)
			break;
	}
	return -1 - (int)i;
}

int mn_health_register(struct mn_health *h, const struct mn_health_check *c)
{
	struct comp *p;
	int rc, at;

	if (!c || !c->check || !valid_name(c->name))
		return -EINVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->h = h;
	p->def = *c;
	strcpy(p->name, c->name);	/* length checked by valid_name */
	p->def.name = p->name;
	p->status = MN_HEALTH_UNKNOWN;
	p->refs = 1;
	pthread_mutex_lock(&h->lock);
	if ((at = find(h, c->name)) >= 0)
		rc = -EEXIST;
	else if (h->n == MN_HEALTH_MAX_CHECKS)
		rc = -ENOSPC;
	else
		rc = 0;
	if (rc == 0) {
		at = -1 - at;
		memmove(&h->comps[at + 1], &h->comps[at],
			(h->n - (size_t)at) * sizeof(h->comps[0]));
		h->comps[at] = p;
		h->n++;
		p->next_due = mono_now();	/* due at once */
	}
	pthread_mutex_unlock(&h->lock);
	if (rc < 0)
		free(p);
	return rc;
}

int mn_health_unregister(struct mn_health *h, const char *name)
{
	struct comp *c;
	int rc, at;

	if (!name)
		return -ENOENT;
	pthread_mutex_lock(&h->lock);
	if ((at = find(h, name)) < 0) {
		rc = -ENOENT;
		goto out;
	}
	c = h->comps[at];
	memmove(&h->comps[at], &h->comps[at + 1],
		(h->n - (size_t)at - 1) * sizeof(h->comps[0]));
	h->n--;
	c->removed = 1;
	rc = wait_idle(h, c);
	if (--c->refs == 0)
		free(c);
out:
	pthread_mutex_unlock(&h->lock);
	return rc;
}

/* Caller holds h->lock: publishes a change of what readers see. */
static void publish_change(struct mn_health *h, struct comp *c,
			   enum mn_health_status from,
			   enum mn_health_status to)
{
	if (from == to || !h->bus)
		return;
	mn_evbus_publish_custom(h->bus, MN_CUSTOM_HEALTH, MN_SRC_KERNEL,
				c->def.owner, "%s: %s -> %s%s%s", c->name,
				mn_health_status_name(from),
				mn_health_status_name(to),
				c->message[0] ? ": " : "", c->message);
}

/* Runs a recovery (no lock held); c->recovering was set by the caller. */
static void do_recover(struct mn_health *h, struct comp *c)
{
	char msg[MN_HEALTH_MSG_MAX] = "";
	int rc;

	pthread_mutex_lock(&h->lock);
	if (c->removed) {
		c->recovering = 0;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	c->in_fn++;
	pthread_mutex_unlock(&h->lock);
	rc = c->def.recover(c->def.arg, msg, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';
	clean_message(msg);
	pthread_mutex_lock(&h->lock);
	c->in_fn--;
	c->recovering = 0;
	pthread_cond_broadcast(&h->done);
	if (!c->removed) {
		c->recovery_attempts++;
		c->recoveries += rc == 0;
		if (h->bus)
			mn_evbus_publish_custom(h->bus, MN_CUSTOM_HEALTH,
						MN_SRC_KERNEL, c->def.owner,
						"%s: recovery %s%s%s", c->name,
						rc == 0 ? "ok" : "failed",
						msg[0] ? ": " : "", msg);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Caller holds h->lock: records a finished check; 1 if it must recover. */
static int record(struct mn_health *h, struct comp *c,
		  enum mn_health_status st, const char *msg)
{
	enum mn_health_status before = c->hung ? MN_HEALTH_FAILED : c->status;
	uint64_t now = mn_now(h);

	c->checks++;
	c->last_check_ns = now;
	c->hung = 0;
	c->status = st;
	snprintf(c->message, sizeof(c->message), "%s", msg);
	if (st == MN_HEALTH_OK) {
		c->last_ok_ns = now;
		c->consecutive_failures = 0;
	} else if (st == MN_HEALTH_FAILED) {
		c->consecutive_failures++;
	}
	c->next_due = mono_now() + (uint64_t)period_of(h, c) *
					    MN_NSEC_PER_MSEC;
	publish_change(h, c, before, st);
	if (st != MN_HEALTH_FAILED || !c->def.recover || c->recovering)
		return 0;
	c->recovering = 1;
	return 1;
}

/*
 * One check, start to end, in the calling thread; c->checking was set and a
 * reference on c and h taken by the caller.  Returns the status, or -ENOENT
 * if the component went away before the check could start.
 */
static int run_check(struct comp *c)
{
	struct mn_health *h = c->h;
	char msg[MN_HEALTH_MSG_MAX] = "";
	enum mn_health_status st;
	int recover = 0, rc = -ENOENT;

	pthread_mutex_lock(&h->lock);
	if (c->removed)
		goto out;
	c->in_fn++;
	pthread_mutex_unlock(&h->lock);
	st = c->def.check(c->def.arg, msg, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';
	clean_message(msg);
	if ((unsigned)st >= MN_HEALTH__COUNT || st == MN_HEALTH_UNKNOWN) {
		snprintf(msg, sizeof(msg), "check returned bad status %d",
			 (int)st);
		st = MN_HEALTH_FAILED;
	}
	pthread_mutex_lock(&h->lock);
	c->in_fn--;
	pthread_cond_broadcast(&h->done);
	rc = st;
	if (!c->removed)
		recover = record(h, c, st, msg);
out:
	c->checking = 0;
	pthread_mutex_unlock(&h->lock);
	if (recover)
		do_recover(h, c);
	release_job_refs(h, c);
	return rc;
}

static void check_job(void *arg)
{
	run_check(arg);
}

static void recover_job(void *arg)
{
	struct comp *c = arg;

	do_recover(c->h, c);
	release_job_refs(c->h, c);
}

/* Without h->lock: through the runner, or right here. */
static void dispatch(struct mn_health *h, struct comp *c, void (*fn)(void *))
{
	if (h->runner.run &&
	    h->runner.run(h->runner.runner_arg, c->def.owner, fn, c) == 0)
		return;
	fn(c);
}

/* Caller holds h->lock: makes a hang official; 1 if it must recover. */
static int report_hang(struct mn_health *h, struct comp *c, uint64_t ran_ms)
{
	enum mn_health_status before = c->status;

	c->hung = 1;
	c->status = MN_HEALTH_FAILED;
	c->consecutive_failures++;
	snprintf(c->message, sizeof(c->message), "check hung for %llu ms",
		 (unsigned long long)ran_ms);
	publish_change(h, c, before, MN_HEALTH_FAILED);
	if (!c->def.recover || c->recovering)
		return 0;
	c->recovering = 1;
	return 1;
}

int mn_health_run_due(struct mn_health *h)
{
	struct comp *jobs[MN_HEALTH_MAX_CHECKS];
	void (*fns[MN_HEALTH_MAX_CHECKS])(void *);
	uint64_t now, ran;
	size_t i, n = 0;
	int started = 0;

	pthread_mutex_lock(&h->lock);
	now = mono_now();
	for (i = 0; i < h->n; i++) {
		struct comp *c = h->comps[i];

		if (c->checking) {
			if (c->hung || !is_hung(h, c, now, &ran) ||
			    !report_hang(h, c, ran))
				continue;
			fns[n] = recover_job;
		} else if (now >= c->next_due && !c->recovering) {
			c->checking = 1;
			c->started = now;
			fns[n] = check_job;
			started++;
		} else {
			continue;
		}
		c->refs++;
		h->refs++;
		jobs[n++] = c;
	}
	pthread_mutex_unlock(&h->lock);
	for (i = 0; i < n; i++)
		dispatch(h, jobs[i], fns[i]);
	return started;
}

int mn_health_check_now(struct mn_health *h, const char *name)
{
	struct comp *c = NULL;
	int at, rc = 0;

	pthread_mutex_lock(&h->lock);
	if (!name || (at = find(h, name)) < 0) {
		rc = -ENOENT;
	} else if (h->comps[at]->checking || h->comps[at]->recovering) {
		rc = -EBUSY;
	} else {
		c = h->comps[at];
		c->checking = 1;
		c->started = mono_now();
		c->refs++;
		h->refs++;
	}
	pthread_mutex_unlock(&h->lock);
	return c ? run_check(c) : rc;
}

/* --- reading -------------------------------------------------------------- */

/* Caller holds h->lock. */
static void fill_info(const struct mn_health *h, const struct comp *c,
		      uint64_t now, struct mn_health_info *out)
{
	uint64_t ran;

	memset(out, 0, sizeof(*out));
	memcpy(out->name, c->name, sizeof(out->name));
	out->status = c->status;
	out->hung = c->hung;
	memcpy(out->message, c->message, sizeof(out->message));
	if (is_hung(h, c, now, &ran)) {
		/* seen before run_due makes it official */
		out->status = MN_HEALTH_FAILED;
		out->hung = 1;
		snprintf(out->message, sizeof(out->message),
			 "check hung for %llu ms", (unsigned long long)ran);
	}
	out->running = c->in_fn > 0;
	out->last_check_ns = c->last_check_ns;
	out->last_ok_ns = c->last_ok_ns;
	out->checks = c->checks;
	out->consecutive_failures = c->consecutive_failures;
	out->recoveries = c->recoveries;
	out->recovery_attempts = c->recovery_attempts;
	out->period_ms = period_of(h, c);
	out->timeout_ms = timeout_of(h, c);
	out->owner = c->def.owner;
}

int mn_health_get(struct mn_health *h, const char *name,
		  struct mn_health_info *out)
{
	int at, rc = 0;

	pthread_mutex_lock(&h->lock);
	if (!name || (at = find(h, name)) < 0)
		rc = -ENOENT;
	else
		fill_info(h, h->comps[at], mono_now(), out);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int mn_health_list(struct mn_health *h, struct mn_health_info *out,
		   size_t max)
{
	uint64_t now;
	size_t i;
	int n;

	pthread_mutex_lock(&h->lock);
	now = mono_now();
	for (i = 0; i < h->n && i < max; i++)
		fill_info(h, h->comps[i], now, &out[i]);
	n = (int)h->n;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* Caller holds h->lock: counts per effective status; returns the worst. */
static enum mn_health_status tally(const struct mn_health *h,
				   size_t counts[MN_HEALTH__COUNT])
{
	enum mn_health_status worst = MN_HEALTH_OK, st;
	uint64_t now = mono_now();
	size_t i;

	memset(counts, 0, MN_HEALTH__COUNT * sizeof(counts[0]));
	for (i = 0; i < h->n; i++) {
		st = effective(h, h->comps[i], now);
		counts[st]++;
		if (st > worst)
			worst = st;
	}
	return worst;
}

enum mn_health_status mn_health_overall(struct mn_health *h)
{
	size_t counts[MN_HEALTH__COUNT];
	enum mn_health_status worst;

	pthread_mutex_lock(&h->lock);
	worst = tally(h, counts);
	pthread_mutex_unlock(&h->lock);
	return worst;
}

int mn_health_format_overall(struct mn_health *h, struct mn_strbuf *out)
{
	size_t counts[MN_HEALTH__COUNT], n;
	enum mn_health_status worst;
	int s;

	pthread_mutex_lock(&h->lock);
	worst = tally(h, counts);
	n = h->n;
	pthread_mutex_unlock(&h->lock);
	mn_strbuf_printf(out, "status: %s\ncomponents: %zu\n",
			 mn_health_status_name(worst), n);
	for (s = 0; s < MN_HEALTH__COUNT; s++)
		mn_strbuf_printf(out, "%s: %zu\n", status_names[s], counts[s]);
	return mn_strbuf_error(out);
}

static void put_time(struct mn_strbuf *out, const char *key, uint64_t ns)
{
	if (!ns)
		mn_strbuf_printf(out, "%s: never\n", key);
	else
		mn_strbuf_printf(out, "%s: %llu.%06llu\n", key,
				 (unsigned long long)(ns / MN_NSEC_PER_SEC),
				 (unsigned long long)(ns % MN_NSEC_PER_SEC /
						      1000));
}

int mn_health_format_component(struct mn_health *h, const char *name,
			       struct mn_strbuf *out)
{
	struct mn_health_info v;
	int rc;

	if ((rc = mn_health_get(h, name, &v)) < 0)
		return rc;
	mn_strbuf_printf(out, "name: %s\nstatus: %s\nhung: %s\nmessage: %s\n",
			 v.name, mn_health_status_name(v.status),
			 v.hung ? "yes" : "no", v.message);
	put_time(out, "last_check", v.last_check_ns);
	put_time(out, "last_ok", v.last_ok_ns);
	mn_strbuf_printf(out,
			 "checks: %llu\nconsecutive_failures: %u\n"
			 "recoveries: %llu\nrecovery_attempts: %llu\n"
			 "period_ms: %u\ntimeout_ms: %u\n",
			 (unsigned long long)v.checks, v.consecutive_failures,
			 (unsigned long long)v.recoveries,
			 (unsigned long long)v.recovery_attempts, v.period_ms,
			 v.timeout_ms);
	return mn_strbuf_error(out);
}

int mn_health_format_table(struct mn_health *h, struct mn_strbuf *out)
{
	static const char *const head[] = {"COMPONENT", "STATUS", "CHECKED",
					   "FAILURES", "RECOVERIES",
					   "MESSAGE"};
	struct mn_health_info v[MN_HEALTH_MAX_CHECKS];
	struct mn_texttable t;
	uint64_t now;
	char age[32];
	int i, n, rc;

	n = mn_health_list(h, v, MN_HEALTH_MAX_CHECKS);
	pthread_mutex_lock(&h->lock);
	now = mn_now(h);
	pthread_mutex_unlock(&h->lock);
	mn_strbuf_printf(out, "overall: %s\n",
			 mn_health_status_name(mn_health_overall(h)));
	if (n == 0) {
		mn_strbuf_puts(out, "no components\n");
		return mn_strbuf_error(out);
	}
	mn_texttable_init(&t, 6);
	for (i = 0; i < 6; i++)
		mn_texttable_cell(&t, "%s", head[i]);
	for (i = 0; i < n; i++) {
		mn_texttable_cell(&t, "%s", v[i].name);
		mn_texttable_cell(&t, "%s%s",
				  mn_health_status_name(v[i].status),
				  v[i].hung ? " (hung)" : "");
		if (!v[i].last_check_ns || v[i].last_check_ns > now)
			mn_texttable_cell(&t, "%s",
					  v[i].last_check_ns ? "now" : "never");
		else
			mn_texttable_cell(&t, "%s ago",
					  mn_fmt_duration(age, sizeof(age),
							  now -
							  v[i].last_check_ns));
		mn_texttable_cell(&t, "%u", v[i].consecutive_failures);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)v[i].recoveries);
		mn_texttable_cell(&t, "%s", v[i].message);
	}
	rc = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	return rc < 0 ? rc : mn_strbuf_error(out);
}
