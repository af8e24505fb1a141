/*
 * test_timer - timers: deadline order, periodic firing, cancel (also while
 * the callback runs and from inside it), pause/resume and stop/start with
 * late timers, the runner path (owner pid, coalescing, a dispatch that
 * outlives cancel and destroy), limits, events and the `timers` table.
 *
 * Waits poll with generous limits; counts are checked against bounds that
 * hold however slow the machine is (a timer can never fire more often than
 * the periods that elapsed, plus one).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>
#include <micronos/timer.h>

struct fixture {
	struct mn_evbus *bus;
	struct mn_timers *t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mn_evbus_create(&f->bus, 10000, NULL), 0);
	assert_int_equal(mn_timers_create(&f->t, f->bus, NULL, NULL, 0), 0);
	assert_int_equal(mn_timers_start(f->t), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_timers_destroy(f->t);
	mn_evbus_destroy(f->bus);
	free(f);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
	return mn_clock_host_mono_ns() / MN_NSEC_PER_MSEC;
}

static uint64_t fired(struct mn_timers *t, int id)
{
	struct mn_timer_info info;

	assert_int_equal(mn_timers_get(t, id, &info), 0);
	return info.count;
}

/* Waits up to 10 s for a timer to have fired at least n times. */
static void wait_fired(struct mn_timers *t, int id, uint64_t n)
{
	int i;

	for (i = 0; i < 10000 && fired(t, id) < n; i++)
		sleep_ms(1);
	assert_true(fired(t, id) >= n);
}

/* Records the order callbacks ran in. */
struct order {
	pthread_mutex_t lock;
	int ids[16];
	int n;
};

static void record_cb(void *arg, int id, uint64_t count)
{
	struct order *o = arg;

	(void)count;
	pthread_mutex_lock(&o->lock);
	if (o->n < 16)
		o->ids[o->n++] = id;
	pthread_mutex_unlock(&o->lock);
}

static void test_deadline_order(void **state)
{
	struct fixture *f = *state;
	struct order o = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct mn_evfilter filter = {.class_mask = 1u << MN_EVC_TIMER};
	struct mn_event ev[8];
	int c, a, b, d;

	c = mn_timers_create_timer(f->t, "c", 90, 0, record_cb, &o, 0, NULL);
	a = mn_timers_create_timer(f->t, "a", 30, 0, record_cb, &o, 0, NULL);
	d = mn_timers_create_timer(f->t, "d", 0, 0, record_cb, &o, 0, NULL);
	b = mn_timers_create_timer(f->t, "b", 60, 0, record_cb, &o, 0, NULL);
	assert_true(a > 0 && b > 0 && c > 0 && d > 0);
	wait_fired(f->t, c, 1);
	wait_fired(f->t, b, 1);
	pthread_mutex_lock(&o.lock);
	assert_int_equal(o.n, 4);
	assert_int_equal(o.ids[0], d);
	assert_int_equal(o.ids[1], a);
	assert_int_equal(o.ids[2], b);
	assert_int_equal(o.ids[3], c);
	pthread_mutex_unlock(&o.lock);
	/* TimerExpired events, in the same order, from source timer */
	assert_int_equal(mn_evbus_snapshot(f->bus, &filter, ev, 8), 4);
	assert_int_equal(ev[0].type, MN_EV_TIMER_EXPIRED);
	assert_int_equal(ev[0].source, MN_SRC_TIMER);
	assert_non_null(strstr(ev[0].text, "name=d"));
	assert_non_null(strstr(ev[1].text, "name=a"));
	assert_non_null(strstr(ev[3].text, "name=c"));
	assert_non_null(strstr(ev[3].text, "count=1"));
}

static void test_periodic_count(void **state)
{
	struct fixture *f = *state;
	struct mn_timer_info info;
	uint64_t start = now_ms(), elapsed;
	int id = mn_timers_create_timer(f->t, "tick", 10, 1, NULL, NULL, 4,
					NULL);

	assert_true(id > 0);
	wait_fired(f->t, id, 3);
	sleep_ms(50);
	assert_int_equal(mn_timers_get(f->t, id, &info), 0);
	elapsed = now_ms() - start;
	assert_true(info.count >= 3);
	/* never more firings than periods elapsed, however late it was */
	assert_true(info.count + info.missed <= elapsed / 10 + 1);
	assert_true(info.periodic);
	assert_int_equal(info.state, MN_TIMER_ARMED);
	assert_int_equal(info.owner, 4);

	assert_int_equal(mn_timers_cancel(f->t, id), 0);
	assert_int_equal(mn_timers_get(f->t, id, &info), -ENOENT);
	assert_int_equal(mn_timers_cancel(f->t, id), -ENOENT);
	assert_int_equal(mn_timers_cancel(f->t, 9999), -ENOENT);
}

struct counter {
	pthread_mutex_t lock;
	uint64_t calls;
	uint64_t last_count;
	int32_t last_id;
};

static void count_cb(void *arg, int id, uint64_t count)
{
	struct counter *c = arg;

	pthread_mutex_lock(&c->lock);
	c->calls++;
	c->last_count = count;
	c->last_id = id;
	pthread_mutex_unlock(&c->lock);
}

static uint64_t calls(struct counter *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->calls;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static void test_cancel_stops_callbacks(void **state)
{
	struct fixture *f = *state;
	struct counter c = {.lock = PTHREAD_MUTEX_INITIALIZER};
	uint64_t n;
	int id = mn_timers_create_timer(f->t, "p", 5, 1, count_cb, &c, 0,
					NULL);

	wait_fired(f->t, id, 2);
	assert_int_equal(mn_timers_cancel(f->t, id), 0);
	n = calls(&c);
	sleep_ms(40);
	assert_int_equal(calls(&c), n);	/* nothing after cancel returned */
	assert_true(n >= 1);
}

/* A callback that blocks until released, to cancel it while it runs. */
struct blocker {
	sem_t entered, release;
	int finished;
	int cancel_returned_after_finish;
	struct mn_timers *t;
	int id;
};

static void block_cb(void *arg, int id, uint64_t count)
{
	struct blocker *b = arg;

	(void)id;
	(void)count;
	sem_post(&b->entered);
	sem_wait(&b->release);
	__atomic_store_n(&b->finished, 1, __ATOMIC_SEQ_CST);
}

static void *cancel_main(void *arg)
{
	struct blocker *b = arg;

	assert_int_equal(mn_timers_cancel(b->t, b->id), 0);
	b->cancel_returned_after_finish =
		__atomic_load_n(&b->finished, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_cancel_waits_for_running_callback(void **state)
{
	struct fixture *f = *state;
	struct blocker b = {.t = f->t};
	pthread_t th;

	sem_init(&b.entered, 0, 0);
	sem_init(&b.release, 0, 0);
	b.id = mn_timers_create_timer(f->t, "slow", 1, 0, block_cb, &b, 0,
				      NULL);
	assert_true(b.id > 0);
	sem_wait(&b.entered);	/* the callback is running */
	assert_int_equal(pthread_create(&th, NULL, cancel_main, &b), 0);
	sleep_ms(20);		/* give cancel a chance to (wrongly) return */
	/* readers are not blocked by the waiting cancel */
	assert_int_equal(mn_timers_list(f->t, NULL, 0), 0);
	sem_post(&b.release);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(b.cancel_returned_after_finish, 1);
	sem_destroy(&b.entered);
	sem_destroy(&b.release);
}

struct self_cancel {
	struct mn_timers *t;
	int id;
	int calls;
	int rc;
};

static void self_cancel_cb(void *arg, int id, uint64_t count)
{
	struct self_cancel *s = arg;

	(void)id;
	(void)count;
	s->calls++;
	s->rc = mn_timers_cancel(s->t, s->id);	/* must not deadlock */
}

static void test_cancel_from_own_callback(void **state)
{
	struct fixture *f = *state;
	struct self_cancel s = {.t = f->t};
	struct mn_timer_info info;
	int i;

	s.id = mn_timers_create_timer(f->t, "self", 2, 1, self_cancel_cb, &s,
				      0, NULL);
	for (i = 0; i < 10000 && mn_timers_get(f->t, s.id, &info) == 0; i++)
		sleep_ms(1);
	sleep_ms(20);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.rc, 0);
}

static void test_pause_resume(void **state)
{
	struct fixture *f = *state;
	struct mn_timer_info info;
	int once, per;

	mn_timers_pause(f->t);
	mn_timers_pause(f->t);	/* idempotent */
	assert_true(mn_timers_paused(f->t));
	once = mn_timers_create_timer(f->t, "once", 5, 0, NULL, NULL, 0, NULL);
	per = mn_timers_create_timer(f->t, "per", 10, 1, NULL, NULL, 0, NULL);
	sleep_ms(80);
	assert_int_equal(fired(f->t, once), 0);
	assert_int_equal(fired(f->t, per), 0);
	mn_timers_resume(f->t);
	assert_false(mn_timers_paused(f->t));
	wait_fired(f->t, once, 1);
	wait_fired(f->t, per, 1);
	/* the late one-shot fired once; the periodic skipped what it missed */
	assert_int_equal(mn_timers_get(f->t, once, &info), 0);
	assert_int_equal(info.count, 1);
	assert_int_equal(info.state, MN_TIMER_EXPIRED);
	assert_int_equal(mn_timers_get(f->t, per, &info), 0);
	assert_true(info.missed >= 1);
	assert_int_equal(info.state, MN_TIMER_ARMED);
}

static void test_stop_start(void **state)
{
	struct fixture *f = *state;
	int id;

	assert_int_equal(mn_timers_start(f->t), -EALREADY);
	mn_timers_stop(f->t);
	mn_timers_stop(f->t);	/* idempotent */
	id = mn_timers_create_timer(f->t, "late", 5, 0, NULL, NULL, 0, NULL);
	sleep_ms(40);
	assert_int_equal(fired(f->t, id), 0);
	assert_int_equal(mn_timers_count(f->t), 1);
	assert_int_equal(mn_timers_start(f->t), 0);
	wait_fired(f->t, id, 1);
	assert_int_equal(mn_timers_count(f->t), 0);
}

/* A runner that only queues; the test runs the jobs when it wants. */
struct fake_runner {
	int refuse;
	int njobs;
	int32_t owner[64];
	void (*fn[64])(void *);
	void *arg[64];
};

static int fake_run(void *runner_arg, int32_t owner, void (*fn)(void *),
		    void *fn_arg)
{
	struct fake_runner *r = runner_arg;

	if (r->refuse || r->njobs == 64)
		return -EBUSY;
	r->owner[r->njobs] = owner;
	r->fn[r->njobs] = fn;
	r->arg[r->njobs] = fn_arg;
	r->njobs++;
	return 0;
}

static void run_jobs(struct fake_runner *r)
{
	int i;

	for (i = 0; i < r->njobs; i++)
		r->fn[i](r->arg[i]);
	r->njobs = 0;
}

static void test_runner_dispatch(void **state)
{
	struct fake_runner r = {0};
	struct mn_runner runner = {fake_run, &r};
	struct counter c = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct mn_timer_info info;
	struct mn_timers *t;
	int id, i;

	(void)state;
	assert_int_equal(mn_timers_create(&t, NULL, NULL, &runner, 0), 0);
	assert_int_equal(mn_timers_start(t), 0);
	id = mn_timers_create_timer(t, "job", 2, 1, count_cb, &c, 42, NULL);
	wait_fired(t, id, 4);
	/* one dispatch queued at a time; later expiries coalesced */
	assert_int_equal(r.njobs, 1);
	assert_int_equal(r.owner[0], 42);
	assert_int_equal(mn_timers_get(t, id, &info), 0);
	assert_true(info.coalesced >= 3);
	assert_true(info.has_callback);
	run_jobs(&r);
	assert_int_equal(calls(&c), 1);
	assert_int_equal(c.last_id, id);
	assert_true(c.last_count >= 4);

	/* a dispatch still queued when cancel returns is skipped */
	for (i = 0; i < 10000 && r.njobs == 0; i++)
		sleep_ms(1);
	assert_int_equal(r.njobs, 1);
	assert_int_equal(mn_timers_cancel(t, id), 0);
	run_jobs(&r);
	assert_int_equal(calls(&c), 1);

	/* a refusing runner: the callback runs on the timer thread */
	r.refuse = 1;
	id = mn_timers_create_timer(t, "inline", 1, 0, count_cb, &c, 1, NULL);
	for (i = 0; i < 10000 && calls(&c) < 2; i++)
		sleep_ms(1);
	assert_int_equal(calls(&c), 2);

	/* a dispatch that outlives destroy runs later as a no-op */
	r.refuse = 0;
	id = mn_timers_create_timer(t, "orphan", 1, 0, count_cb, &c, 1, NULL);
	for (i = 0; i < 10000 && r.njobs == 0; i++)
		sleep_ms(1);
	assert_int_equal(r.njobs, 1);
	mn_timers_destroy(t);
	run_jobs(&r);		/* frees the service (ASan checks) */
	assert_int_equal(calls(&c), 2);
}

static void test_bad_args_and_limits(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_timers *t = NULL;
	int i;

	assert_int_equal(mn_timers_create_timer(f->t, "", 10, 0, NULL, NULL,
						0, &err),
			 -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "name"));
	assert_int_equal(mn_timers_create_timer(f->t, NULL, 10, 0, NULL, NULL,
						0, NULL),
			 -EINVAL);
	assert_int_equal(mn_timers_create_timer(f->t, "a b", 10, 0, NULL,
						NULL, 0, NULL),
			 -EINVAL);
	assert_int_equal(mn_timers_create_timer(
				 f->t, "name-that-is-far-too-long-for-a-timer",
				 10, 0, NULL, NULL, 0, NULL),
			 -EINVAL);
	mn_strbuf_reset(&err);
	assert_int_equal(mn_timers_create_timer(f->t, "p", 0, 1, NULL, NULL,
						0, &err),
			 -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "period"));
	assert_int_equal(mn_timers_create_timer(f->t, "n", -1, 0, NULL, NULL,
						0, NULL),
			 -EINVAL);
	assert_int_equal(mn_timers_create_timer(f->t, "n",
						MN_TIMER_MAX_MS + 1, 0, NULL,
						NULL, 0, NULL),
			 -EINVAL);

	assert_int_equal(mn_timers_set_max(f->t, 0), -EINVAL);
	assert_int_equal(mn_timers_set_max(f->t, 100001), -EINVAL);
	assert_int_equal(mn_timers_set_max(f->t, 3), 0);
	for (i = 0; i < 3; i++)
		assert_true(mn_timers_create_timer(f->t, "x", 100000, 0, NULL,
						   NULL, 0, NULL) > 0);
	mn_strbuf_reset(&err);
	assert_int_equal(mn_timers_create_timer(f->t, "x", 100000, 0, NULL,
						NULL, 0, &err),
			 -ENOSPC);
	assert_non_null(strstr(mn_strbuf_str(&err), "too many"));
	assert_int_equal(mn_timers_create(&t, NULL, NULL, NULL, 100001),
			 -EINVAL);
	assert_null(t);
	mn_strbuf_release(&err);
	mn_timers_destroy(NULL);
}

static void test_expired_kept_and_trimmed(void **state)
{
	struct fixture *f = *state;
	struct mn_timer_info *v;
	int first = 0, last = 0, i, n;

	for (i = 0; i < MN_TIMERS_KEEP_EXPIRED + 5; i++) {
		last = mn_timers_create_timer(f->t, "s", 0, 0, NULL, NULL, 0,
					      NULL);
		assert_true(last > 0);
		if (!first)
			first = last;
	}
	wait_fired(f->t, last, 1);
	for (i = 0; i < 10000 &&
		    mn_timers_list(f->t, NULL, 0) > MN_TIMERS_KEEP_EXPIRED;
	     i++)
		sleep_ms(1);
	n = mn_timers_list(f->t, NULL, 0);
	assert_int_equal(n, MN_TIMERS_KEEP_EXPIRED);
	v = calloc((size_t)n, sizeof(*v));
	assert_non_null(v);
	assert_int_equal(mn_timers_get(f->t, first, &v[0]), -ENOENT);
	assert_int_equal(mn_timers_list(f->t, v, (size_t)n), n);
	assert_int_equal(v[0].state, MN_TIMER_EXPIRED);
	assert_true(v[0].next_ns >= v[n - 1].next_ns);	/* newest first */
	/* an expired timer can be cancelled (forgotten) */
	assert_int_equal(mn_timers_cancel(f->t, last), 0);
	assert_int_equal(mn_timers_list(f->t, NULL, 0), n - 1);
	free(v);
}

static void test_events_and_format(void **state)
{
	struct fixture *f = *state;
	struct mn_evfilter filter = {.class_mask = 1u << MN_EVC_CUSTOM};
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct mn_event ev[4];
	const char *s;
	int id, once;

	id = mn_timers_create_timer(f->t, "fmt", 60000, 1, NULL, NULL, 7,
				    NULL);
	once = mn_timers_create_timer(f->t, "t", 0, 0, NULL, NULL, 0, NULL);
	wait_fired(f->t, once, 1);
	assert_int_equal(mn_timers_format(f->t, &out), 0);
	s = mn_strbuf_str(&out);
	assert_non_null(strstr(s, "ID  NAME  TYPE      PERIOD  NEXT"));
	assert_non_null(strstr(s, "periodic  60s     in "));
	assert_non_null(strstr(s, "one-shot  0ms     -"));
	assert_non_null(strstr(s, "1 armed, 1 expired\n"));
	assert_int_equal(mn_timers_cancel(f->t, id), 0);
	assert_int_equal(mn_evbus_snapshot(f->bus, &filter, ev, 4), 3);
	assert_int_equal(ev[0].custom_id, MN_CUSTOM_TIMER);
	assert_int_equal(ev[0].pid, 7);
	assert_non_null(strstr(ev[0].text, "create name=fmt"));
	assert_non_null(strstr(ev[0].text, "periodic=1"));
	assert_non_null(strstr(ev[2].text, "cancel name=fmt"));
	mn_timers_pause(f->t);
	mn_strbuf_reset(&out);
	assert_int_equal(mn_timers_format(f->t, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "0 armed, 1 expired, "
						    "paused\n"));
	assert_string_equal(mn_timer_state_name(MN_TIMER_ARMED), "armed");
	assert_string_equal(mn_timer_state_name((enum mn_timer_state)7), "?");
	mn_strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deadline_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_periodic_count, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_stops_callbacks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_cancel_waits_for_running_callback, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_own_callback,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_start, setup,
						teardown),
		cmocka_unit_test(test_runner_dispatch),
		cmocka_unit_test_setup_teardown(test_bad_args_and_limits,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_kept_and_trimmed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_and_format, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
