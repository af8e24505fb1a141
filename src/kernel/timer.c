/*
 * timer.c - one-shot and periodic timers (see include/micronos/timer.h).
 *
 * Armed timers sit in a binary min-heap ordered by deadline (host
 * CLOCK_MONOTONIC ns); each remembers its heap index so cancel is O(log n).
 * Every timer, armed or expired, is also in `all`, the table that id lookups
 * and listings walk (a few hundred entries at most).  The timer thread sleeps
 * on a condition variable bound to CLOCK_MONOTONIC until the top deadline, so
 * a change of the wall clock never moves a timer.
 *
 * A callback is dispatched through the runner with the timer record as its
 * argument.  The record and the service are reference-counted: the table
 * holds one reference on each record and the owner holds one on the service;
 * every dispatch holds one on both until its trampoline has run.  That is what
 * lets cancel and destroy return while a dispatch is still queued on the
 * scheduler: the trampoline sees `cancelled` and only drops its references.
 *
 * Lock order: t->lock, then the event bus (leaf).  Nothing else is called
 * under t->lock; callbacks and the runner are called without it.
 */
#include <micronos/timer.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>

#include "texttable_i.h"

#define NOT_IN_HEAP ((size_t)-1)

struct timer {
	/* set at create, then read-only */
	struct mn_timers *svc;
	int id;
	char name[MN_TIMER_NAME_MAX];
	int32_t owner;
	int periodic;
	uint64_t period_ms;
	void (*cb)(void *arg, int id, uint64_t count);
	void *arg;
	/* protected by svc->lock */
	uint64_t deadline;	/* host mono ns; the firing time once expired */
	uint64_t count, missed, coalesced;
	enum mn_timer_state state;
	size_t heap_idx;	/* NOT_IN_HEAP unless armed */
	int cancelled;		/* out of the table; dispatches are no-ops */
	int outstanding;	/* a dispatch is queued or running */
	int running;		/* the callback is executing */
	pthread_t running_thread;
	int refs;		/* table + outstanding dispatch */
	int quiet;		/* kernel housekeeping: no TimerExpired */
};

struct mn_timers {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* the timer thread's sleep (CLOCK_MONOTONIC) */
	pthread_cond_t done;	/* a callback finished */
	/* set at create, then read-only */
	struct mn_evbus *bus;
	const struct mn_clock *clock;
	struct mn_runner runner;
	/* protected by lock */
	struct timer **heap;
	size_t nheap, heapcap;
	struct timer **all;	/* armed and expired, in creation order */
	size_t nall, allcap;
	size_t nexpired;
	size_t max;
	int next_id;
	int paused;
	int stop_req;
	int thread_running;
	pthread_t thread;
	int refs;		/* owner + outstanding dispatches */
};

static uint64_t mono_now(void)
{
	return mn_clock_host_mono_ns();
}

/* Host monotonic ns -> MicronOS time. */
static uint64_t to_mn_time(const struct mn_timers *t, uint64_t host_ns)
{
	if (!t->clock)
		return host_ns;
	return host_ns > t->clock->boot_mono_ns ?
		       host_ns - t->clock->boot_mono_ns : 0;
}

/* --- heap (caller holds t->lock) ----------------------------------------- */

static void heap_set(struct mn_timers *t, size_t i, struct timer *tm)
{
	t->heap[i] = tm;
	tm->heap_idx = i;
}

static void sift_up(struct mn_timers *t, size_t i)
{
	struct timer *tm = t->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (t->heap[parent]->deadline <= tm->deadline)
			break;
		heap_set(t, i, t->heap[parent]);
		i = parent;
	}
	heap_set(t, i, tm);
}

static void sift_down(struct mn_timers *t, size_t i)
{
	struct timer *tm = t->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= t->nheap)
			break;
		if (c + 1 < t->nheap &&
		    t->heap[c + 1]->deadline < t->heap[c]->deadline)
			c++;
		if (tm->deadline <= t->heap[c]->deadline)
			break;
		heap_set(t, i, t->heap[c]);
		i = c;
	}
	heap_set(t, i, tm);
}

static int heap_push(struct mn_timers *t, struct timer *tm)
{
	if (t->nheap == t->heapcap) {
		size_t cap = t->heapcap ? t->heapcap * 2 : 16;
		struct timer **p = realloc(t->heap, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->heap = p;
		t->heapcap = cap;
	}
	heap_set(t, t->nheap++, tm);
	sift_up(t, tm->heap_idx);
	return 0;
}

static void heap_remove(struct mn_timers *t, struct timer *tm)
{
	size_t i = tm->heap_idx;
	struct timer *last;

	if (i == NOT_IN_HEAP)
		return;
	tm->heap_idx = NOT_IN_HEAP;
	last = t->heap[--t->nheap];
	if (last == tm)
		return;
	heap_set(t, i, last);
	sift_down(t, i);
	sift_up(t, last->heap_idx);
}

/* --- table and references (caller holds t->lock) ------------------------- */

static int table_add(struct mn_timers *t, struct timer *tm)
{
	if (t->nall == t->allcap) {
		size_t cap = t->allcap ? t->allcap * 2 : 16;
		struct timer **p = realloc(t->all, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->all = p;
		t->allcap = cap;
	}
	t->all[t->nall++] = tm;
	return 0;
}

static struct timer *table_find(struct mn_timers *t, int id)
{
	size_t i;

	for (i = 0; i < t->nall; i++)
		if (t->all[i]->id == id)
			return t->all[i];
	return NULL;
}

static void timer_unref(struct timer *tm)
{
	if (--tm->refs == 0)
		free(tm);
}

/*
 * Takes a timer out of the table and the heap for good and drops the
 * table's reference.  With `wait`, first waits for its callback if that runs
 * in another thread (cancel's promise); the lock is dropped meanwhile.
 */
static void table_remove(struct mn_timers *t, struct timer *tm, int wait)
{
	size_t i;

	for (i = 0; i < t->nall; i++) {
		if (t->all[i] == tm) {
			memmove(&t->all[i], &t->all[i + 1],
				(t->nall - i - 1) * sizeof(*t->all));
			t->nall--;
			break;
		}
	}
	if (tm->state == MN_TIMER_EXPIRED)
		t->nexpired--;
	heap_remove(t, tm);
	tm->cancelled = 1;
	while (wait && tm->running &&
	       !pthread_equal(tm->running_thread, pthread_self()))
		pthread_cond_wait(&t->done, &t->lock);
	timer_unref(tm);
}

/* Drops the oldest expired one-shots beyond MN_TIMERS_KEEP_EXPIRED. */
static void trim_expired(struct mn_timers *t)
{
	size_t i;

	for (i = 0; t->nexpired > MN_TIMERS_KEEP_EXPIRED && i < t->nall;) {
		/* no wait: nobody asked, and the thread must not stall */
		if (t->all[i]->state == MN_TIMER_EXPIRED)
			table_remove(t, t->all[i], 0);	/* shifts all[] */
		else
			i++;
	}
}

static void free_service(struct mn_timers *t)
{
	free(t->heap);
	free(t->all);
	pthread_cond_destroy(&t->wake);
	pthread_cond_destroy(&t->done);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* --- create / destroy ----------------------------------------------------- */

int mn_timers_create(struct mn_timers **out, struct mn_evbus *bus,
		     const struct mn_clock *clock,
		     const struct mn_runner *runner, size_t max)
{
	struct mn_timers *t;
	int rc;

	if (max > 100000)
		return -EINVAL;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	t->bus = bus;
	t->clock = clock;
	if (runner)
		t->runner = *runner;
	t->max = max ? max : MN_TIMERS_DEFAULT_MAX;
	t->next_id = 1;
	t->refs = 1;
	if ((rc = -pthread_mutex_init(&t->lock, NULL)) < 0)
		goto err_free;
	if ((rc = mn_cond_init_monotonic(&t->wake)) < 0)
		goto err_mutex;
	if ((rc = -pthread_cond_init(&t->done, NULL)) < 0)
		goto err_wake;
	*out = t;
	return 0;
err_wake:
	pthread_cond_destroy(&t->wake);
err_mutex:
	pthread_mutex_destroy(&t->lock);
err_free:
	free(t);
	return rc;
}

void mn_timers_destroy(struct mn_timers *t)
{
	int last;

	if (!t)
		return;
	mn_timers_stop(t);
	pthread_mutex_lock(&t->lock);
	while (t->nall > 0)
		table_remove(t, t->all[t->nall - 1], 1);
	last = --t->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (last)
		free_service(t);
}

/* --- firing --------------------------------------------------------------- */

/*
 * Runs one dispatch: the callback unless the timer was cancelled since, then
 * drops the dispatch's references.  May run on any thread, even after
 * mn_timers_destroy() returned.
 */
static void trampoline(void *arg)
{
	struct timer *tm = arg;
	struct mn_timers *t = tm->svc;
	int last;

	pthread_mutex_lock(&t->lock);
	if (!tm->cancelled) {
		uint64_t count = tm->count;

		tm->running = 1;
		tm->running_thread = pthread_self();
		pthread_mutex_unlock(&t->lock);
		tm->cb(tm->arg, tm->id, count);
		pthread_mutex_lock(&t->lock);
		tm->running = 0;
		pthread_cond_broadcast(&t->done);
	}
	tm->outstanding = 0;
	timer_unref(tm);
	last = --t->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (last)
		free_service(t);
}

/* Called without t->lock: hands a prepared dispatch to the runner. */
static void dispatch(struct mn_timers *t, struct timer *tm)
{
	if (t->runner.run &&
	    t->runner.run(t->runner.runner_arg, tm->owner, trampoline, tm) == 0)
		return;
	trampoline(tm);
}

/*
 * Caller holds t->lock; tm is due.  Publishes, reschedules or retires it,
 * and returns it if its callback must be dispatched (references taken).
 */
static struct timer *fire(struct mn_timers *t, struct timer *tm, uint64_t now)
{
	uint64_t period = tm->period_ms * MN_NSEC_PER_MSEC;

	tm->count++;
	if (t->bus && !tm->quiet)
		mn_evbus_publish(t->bus, MN_EV_TIMER_EXPIRED, MN_SRC_TIMER,
				 tm->owner, "name=%s id=%d count=%llu",
				 tm->name, tm->id,
				 (unsigned long long)tm->count);
	if (tm->periodic) {
		/* stay on the original grid; skip what was missed */
		uint64_t late = now - tm->deadline;
		uint64_t skip = late / period;

		tm->missed += skip;
		tm->deadline += (skip + 1) * period;
		sift_down(t, tm->heap_idx);
	} else {
		heap_remove(t, tm);
		tm->state = MN_TIMER_EXPIRED;
		tm->deadline = now;
		t->nexpired++;
	}
	if (!tm->cb)
		return NULL;
	if (tm->outstanding) {
		tm->coalesced++;
		return NULL;
	}
	tm->outstanding = 1;
	tm->refs++;
	t->refs++;
	return tm;
}

static void *timer_thread(void *arg)
{
	struct mn_timers *t = arg;
	struct timespec ts;
	struct timer *tm;
	uint64_t now;

	pthread_mutex_lock(&t->lock);
	while (!t->stop_req) {
		if (t->paused || t->nheap == 0) {
			pthread_cond_wait(&t->wake, &t->lock);
			continue;
		}
		now = mono_now();
		if (now < t->heap[0]->deadline) {
			ts.tv_sec = (time_t)(t->heap[0]->deadline /
					     MN_NSEC_PER_SEC);
			ts.tv_nsec = (long)(t->heap[0]->deadline %
					    MN_NSEC_PER_SEC);
			pthread_cond_timedwait(&t->wake, &t->lock, &ts);
			continue;
		}
		tm = fire(t, t->heap[0], now);
		trim_expired(t);
		if (tm) {
			pthread_mutex_unlock(&t->lock);
			dispatch(t, tm);
			pthread_mutex_lock(&t->lock);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* --- control -------------------------------------------------------------- */

int mn_timers_start(struct mn_timers *t)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (t->thread_running) {
		rc = -EALREADY;
		goto out;
	}
	t->stop_req = 0;
	rc = -pthread_create(&t->thread, NULL, timer_thread, t);
	if (rc == 0)
		t->thread_running = 1;
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void mn_timers_stop(struct mn_timers *t)
{
	pthread_t th;

	pthread_mutex_lock(&t->lock);
	if (!t->thread_running) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	t->stop_req = 1;
	th = t->thread;
	pthread_cond_broadcast(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(th, NULL);
	pthread_mutex_lock(&t->lock);
	t->thread_running = 0;
	pthread_mutex_unlock(&t->lock);
}

static void set_paused(struct mn_timers *t, int paused)
{
	pthread_mutex_lock(&t->lock);
	t->paused = paused;
	pthread_cond_broadcast(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

void mn_timers_pause(struct mn_timers *t)
{
	set_paused(t, 1);
}

void mn_timers_resume(struct mn_timers *t)
{
	set_paused(t, 0);
}

int mn_timers_paused(struct mn_timers *t)
{
	int p;

	pthread_mutex_lock(&t->lock);
	p = t->paused;
	pthread_mutex_unlock(&t->lock);
	return p;
}

int mn_timers_set_max(struct mn_timers *t, size_t max)
{
	if (max < 1 || max > 100000)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	t->max = max;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* --- timers --------------------------------------------------------------- */

static int check_args(const char *name, int64_t ms, int periodic,
		      struct mn_strbuf *err)
{
	size_t i, len = name ? strlen(name) : 0;

	if (len == 0 || len >= MN_TIMER_NAME_MAX) {
		if (err)
			mn_strbuf_printf(err, "timer name must be 1..%d "
					 "characters", MN_TIMER_NAME_MAX - 1);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (name[i] <= ' ' || name[i] == 0x7f) {
			if (err)
				mn_strbuf_printf(err, "timer name may not hold "
						 "blanks or control "
						 "characters");
			return -EINVAL;
		}
	}
	if (ms < (periodic ? 1 : 0) || ms > MN_TIMER_MAX_MS) {
		if (err)
			mn_strbuf_printf(err, "%s must be %d..%lld ms",
					 periodic ? "period" : "delay",
					 periodic ? 1 : 0, MN_TIMER_MAX_MS);
		return -EINVAL;
	}
	return 0;
}

static struct timer *new_timer(struct mn_timers *t, const char *name,
			       int64_t ms, int periodic,
			       void (*cb)(void *, int, uint64_t), void *arg,
			       int32_t owner)
{
	struct timer *tm = calloc(1, sizeof(*tm));

	if (!tm)
		return NULL;
	tm->svc = t;
	snprintf(tm->name, sizeof(tm->name), "%s", name);
	tm->owner = owner;
	tm->periodic = periodic;
	tm->period_ms = (uint64_t)ms;
	tm->cb = cb;
	tm->arg = arg;
	tm->state = MN_TIMER_ARMED;
	tm->heap_idx = NOT_IN_HEAP;
	tm->refs = 1;
	return tm;
}

int mn_timers_create_timer(struct mn_timers *t, const char *name, int64_t ms,
			   int periodic,
			   void (*cb)(void *arg, int id, uint64_t count),
			   void *arg, int32_t owner, struct mn_strbuf *err)
{
	struct timer *tm;
	int rc;

	periodic = !!periodic;
	if ((rc = check_args(name, ms, periodic, err)) < 0)
		return rc;
	if (!(tm = new_timer(t, name, ms, periodic, cb, arg, owner)))
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	if (t->nheap >= t->max) {
		if (err)
			mn_strbuf_printf(err, "too many timers (at most %zu)",
					 t->max);
		rc = -ENOSPC;
		goto err_free;
	}
	tm->deadline = mono_now() + (uint64_t)ms * MN_NSEC_PER_MSEC;
	if ((rc = table_add(t, tm)) < 0)
		goto err_free;
	if ((rc = heap_push(t, tm)) < 0) {
		t->nall--;
		goto err_free;
	}
	tm->id = rc = t->next_id++;
	if (t->bus)
		mn_evbus_publish_custom(t->bus, MN_CUSTOM_TIMER, MN_SRC_TIMER,
					owner,
					"create name=%s id=%d ms=%lld "
					"periodic=%d",
					tm->name, tm->id, (long long)ms,
					periodic);
	if (tm->heap_idx == 0)
		pthread_cond_broadcast(&t->wake);	/* new earliest */
	pthread_mutex_unlock(&t->lock);
	return rc;
err_free:
	pthread_mutex_unlock(&t->lock);
	free(tm);
	if (rc == -ENOMEM && err)
		mn_strbuf_printf(err, "out of memory");
	return rc;
}

int mn_timers_cancel(struct mn_timers *t, int id)
{
	struct timer *tm;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (!(tm = table_find(t, id))) {
		rc = -ENOENT;
		goto out;
	}
	if (t->bus)
		mn_evbus_publish_custom(t->bus, MN_CUSTOM_TIMER, MN_SRC_TIMER,
					tm->owner, "cancel name=%s id=%d",
					tm->name, tm->id);
	/* no wake-up needed: the thread re-reads the heap top anyway */
	table_remove(t, tm, 1);
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int mn_timers_set_quiet(struct mn_timers *t, int id, int quiet)
{
	struct timer *tm;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if ((tm = table_find(t, id)))
		tm->quiet = !!quiet;
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* --- reading -------------------------------------------------------------- */

/* Caller holds t->lock. */
static void fill_info(const struct mn_timers *t, const struct timer *tm,
		      struct mn_timer_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = tm->id;
	memcpy(out->name, tm->name, sizeof(out->name));
	out->owner = tm->owner;
	out->periodic = tm->periodic;
	out->period_ms = tm->period_ms;
	out->next_ns = to_mn_time(t, tm->deadline);
	out->count = tm->count;
	out->missed = tm->missed;
	out->coalesced = tm->coalesced;
	out->has_callback = tm->cb != NULL;
	out->state = tm->state;
}

int mn_timers_get(struct mn_timers *t, int id, struct mn_timer_info *out)
{
	struct timer *tm;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if ((tm = table_find(t, id)))
		fill_info(t, tm, out);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* Armed first by deadline, then expired newest first. */
static int cmp_info(const void *a, const void *b)
{
	const struct mn_timer_info *x = a, *y = b;

	if (x->state != y->state)
		return x->state == MN_TIMER_ARMED ? -1 : 1;
	if (x->next_ns != y->next_ns) {
		int earlier = x->next_ns < y->next_ns ? -1 : 1;

		return x->state == MN_TIMER_ARMED ? earlier : -earlier;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

int mn_timers_list(struct mn_timers *t, struct mn_timer_info *out, size_t max)
{
	struct mn_timer_info *v;
	size_t i, n;

	pthread_mutex_lock(&t->lock);
	n = t->nall;
	v = n ? calloc(n, sizeof(*v)) : NULL;
	for (i = 0; v && i < n; i++)
		fill_info(t, t->all[i], &v[i]);
	pthread_mutex_unlock(&t->lock);
	if (n && !v)
		return -ENOMEM;
	if (n) {
		qsort(v, n, sizeof(*v), cmp_info);
		if (out && max)
			memcpy(out, v, (n < max ? n : max) * sizeof(*v));
	}
	free(v);
	return (int)n;
}

size_t mn_timers_count(struct mn_timers *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->nheap;
	pthread_mutex_unlock(&t->lock);
	return n;
}

const char *mn_timer_state_name(enum mn_timer_state state)
{
	static const char *const names[] = {
		[MN_TIMER_ARMED] = "armed",
		[MN_TIMER_EXPIRED] = "expired",
	};

	if ((unsigned)state >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[state];
}

static const char *fmt_ms(char *buf, size_t n, uint64_t ms)
{
	if (ms >= 1000 && ms % 1000 == 0)
		snprintf(buf, n, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, n, "%llums", (unsigned long long)ms);
	return buf;
}

static void add_row(struct mn_texttable *tt, const struct mn_timer_info *v,
		    uint64_t now)
{
	char a[32], b[32];

	mn_texttable_cell(tt, "%d", v->id);
	mn_texttable_cell(tt, "%s", v->name);
	mn_texttable_cell(tt, "%s", v->periodic ? "periodic" : "one-shot");
	mn_texttable_cell(tt, "%s", fmt_ms(a, sizeof(a), v->period_ms));
	if (v->state != MN_TIMER_ARMED)
		mn_texttable_cell(tt, "-");
	else if (v->next_ns <= now)
		mn_texttable_cell(tt, "due");
	else
		mn_texttable_cell(tt, "in %s",
				  mn_fmt_duration(b, sizeof(b),
						  v->next_ns - now));
	mn_texttable_cell(tt, "%llu", (unsigned long long)v->count);
	mn_texttable_cell(tt, "%d", (int)v->owner);
	mn_texttable_cell(tt, "%s", mn_timer_state_name(v->state));
}

int mn_timers_format(struct mn_timers *t, struct mn_strbuf *out)
{
	static const char *const head[] = {"ID", "NAME", "TYPE", "PERIOD",
					   "NEXT", "FIRED", "OWNER", "STATE"};
	struct mn_timer_info *v = NULL;
	struct mn_texttable tt;
	size_t i, armed = 0, n;
	uint64_t now = to_mn_time(t, mono_now());
	int rc, paused = mn_timers_paused(t);

	if ((rc = mn_timers_list(t, NULL, 0)) < 0)
		return rc;
	n = (size_t)rc;
	if (n && !(v = calloc(n, sizeof(*v))))
		return -ENOMEM;
	if (n && (rc = mn_timers_list(t, v, n)) < 0) {
		free(v);
		return rc;
	}
	if (n && (size_t)rc < n)
		n = (size_t)rc;	/* some went away meanwhile */
	mn_texttable_init(&tt, 8);
	for (i = 0; i < 8; i++)
		mn_texttable_cell(&tt, "%s", head[i]);
	for (i = 0; i < n; i++) {
		add_row(&tt, &v[i], now);
		armed += v[i].state == MN_TIMER_ARMED;
	}
	rc = n ? mn_texttable_render(&tt, out) : 0;
	mn_texttable_release(&tt);
	mn_strbuf_printf(out, "%zu armed, %zu expired%s\n", armed, n - armed,
			 paused ? ", paused" : "");
	free(v);
	return rc < 0 ? rc : mn_strbuf_error(out);
}
