/*
 * test_health - the health monitor: registration rules, due checks, a check
 * that fails, is recovered and comes back ok (with its events), a hung check
 * that every reader sees at once without waiting for it, unregister and
 * destroy with checks in flight, and the formatters behind `health` and the
 * /health files.
 *
 * The hang tests use a runner that starts one thread per job, as the
 * scheduler would run jobs on its workers; every such thread is joined.
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
#include <micronos/health.h>

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A runner with one thread per job. */
struct thread_runner {
	pthread_mutex_t lock;
	pthread_t th[64];
	int n;
};

struct job {
	void (*fn)(void *);
	void *arg;
};

static void *job_main(void *p)
{
	struct job j = *(struct job *)p;

	free(p);
	j.fn(j.arg);
	return NULL;
}

static int thread_run(void *runner_arg, int32_t owner, void (*fn)(void *),
		      void *fn_arg)
{
	struct thread_runner *r = runner_arg;
	struct job *j = malloc(sizeof(*j));
	int rc = -EAGAIN;

	(void)owner;
	if (!j)
		return -ENOMEM;
	j->fn = fn;
	j->arg = fn_arg;
	pthread_mutex_lock(&r->lock);
	if (r->n < 64 && pthread_create(&r->th[r->n], NULL, job_main, j) == 0) {
		r->n++;
		rc = 0;
	}
	pthread_mutex_unlock(&r->lock);
	if (rc < 0)
		free(j);
	return rc;
}

static void join_all(struct thread_runner *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		pthread_join(r->th[i], NULL);
	r->n = 0;
}

/* A component the tests can break, repair and hang. */
struct fake {
	pthread_mutex_t lock;
	enum mn_health_status next;	/* what the check returns */
	const char *msg;
	int checks;
	int recoveries;
	int recover_rc;
	int repair;		/* recovery makes next ok */
	int hang;		/* check waits on `release` */
	sem_t entered, release;
};

static enum mn_health_status fake_check(void *arg, char *msg, size_t n)
{
	struct fake *f = arg;
	enum mn_health_status st;
	int hang;

	pthread_mutex_lock(&f->lock);
	f->checks++;
	hang = f->hang;
	pthread_mutex_unlock(&f->lock);
	if (hang) {
		sem_post(&f->entered);
		sem_wait(&f->release);
	}
	pthread_mutex_lock(&f->lock);
	st = f->next;
	if (f->msg)
		snprintf(msg, n, "%s", f->msg);
	pthread_mutex_unlock(&f->lock);
	return st;
}

static int fake_recover(void *arg, char *msg, size_t n)
{
	struct fake *f = arg;
	int rc;

	pthread_mutex_lock(&f->lock);
	f->recoveries++;
	if (f->repair)
		f->next = MN_HEALTH_OK;
	rc = f->recover_rc;
	pthread_mutex_unlock(&f->lock);
	snprintf(msg, n, "%s", rc == 0 ? "restarted" : "could not restart");
	return rc;
}

static void fake_init(struct fake *f, enum mn_health_status st)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	sem_init(&f->entered, 0, 0);
	sem_init(&f->release, 0, 0);
	f->next = st;
}

static void fake_fini(struct fake *f)
{
	sem_destroy(&f->entered);
	sem_destroy(&f->release);
	pthread_mutex_destroy(&f->lock);
}

static int fake_get(struct fake *f, int *field)
{
	int v;

	pthread_mutex_lock(&f->lock);
	v = *field;
	pthread_mutex_unlock(&f->lock);
	return v;
}

struct fixture {
	struct mn_clock clock;
	struct mn_evbus *bus;
	struct mn_health *h;
	struct thread_runner runner;
	struct fake a, b;
};

static int setup_common(void **state, int threaded)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_runner r = {thread_run, NULL};

	assert_non_null(f);
	mn_clock_init(&f->clock);
	pthread_mutex_init(&f->runner.lock, NULL);
	r.runner_arg = &f->runner;
	assert_int_equal(mn_evbus_create(&f->bus, 1000, &f->clock), 0);
	assert_int_equal(mn_health_create(&f->h, f->bus, &f->clock,
					  threaded ? &r : NULL, 10),
			 0);
	fake_init(&f->a, MN_HEALTH_OK);
	fake_init(&f->b, MN_HEALTH_OK);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, 0);
}

static int setup_threaded(void **state)
{
	return setup_common(state, 1);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_health_destroy(f->h);
	join_all(&f->runner);
	mn_evbus_destroy(f->bus);
	fake_fini(&f->a);
	fake_fini(&f->b);
	pthread_mutex_destroy(&f->runner.lock);
	free(f);
	return 0;
}

static int add(struct fixture *f, const char *name, struct fake *fk,
	       uint32_t period, uint32_t timeout)
{
	struct mn_health_check c = {
		.name = name,
		.check = fake_check,
		.recover = fake_recover,
		.arg = fk,
		.period_ms = period,
		.timeout_ms = timeout,
		.owner = 3,
	};

	return mn_health_register(f->h, &c);
}

static enum mn_health_status status_of(struct fixture *f, const char *name)
{
	struct mn_health_info info;

	assert_int_equal(mn_health_get(f->h, name, &info), 0);
	return info.status;
}

static void test_register_rules(void **state)
{
	struct fixture *f = *state;
	struct mn_health_check c = {.name = "x", .check = fake_check};
	char name[16];
	int i;

	assert_int_equal(add(f, "net", &f->a, 0, 0), 0);
	assert_int_equal(add(f, "net", &f->a, 0, 0), -EEXIST);
	assert_int_equal(add(f, "", &f->a, 0, 0), -EINVAL);
	assert_int_equal(add(f, NULL, &f->a, 0, 0), -EINVAL);
	assert_int_equal(add(f, "Upper", &f->a, 0, 0), -EINVAL);
	assert_int_equal(add(f, "a b", &f->a, 0, 0), -EINVAL);
	assert_int_equal(add(f, "a-name-that-is-much-too-long-for-it", &f->a,
			     0, 0),
			 -EINVAL);
	c.check = NULL;
	assert_int_equal(mn_health_register(f->h, &c), -EINVAL);
	assert_int_equal(mn_health_register(f->h, NULL), -EINVAL);
	for (i = 1; i < MN_HEALTH_MAX_CHECKS; i++) {
		snprintf(name, sizeof(name), "c%02d", i);
		assert_int_equal(add(f, name, &f->a, 0, 0), 0);
	}
	assert_int_equal(add(f, "straw", &f->a, 0, 0), -ENOSPC);
	assert_int_equal(mn_health_unregister(f->h, "nope"), -ENOENT);
	assert_int_equal(mn_health_unregister(f->h, NULL), -ENOENT);
	assert_int_equal(mn_health_unregister(f->h, "c05"), 0);
	assert_int_equal(mn_health_unregister(f->h, "c05"), -ENOENT);
	assert_int_equal(mn_health_set_default_period(f->h, 0), -EINVAL);
	assert_int_equal(mn_health_set_default_period(f->h, 3600001),
			 -EINVAL);
	assert_int_equal(mn_health_check_now(f->h, "ghost"), -ENOENT);
}

static void test_due_and_overall(void **state)
{
	struct fixture *f = *state;
	struct mn_health_info v[4];
	int i, started = 0;

	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_OK); /* none */
	assert_int_equal(add(f, "a", &f->a, 10, 0), 0);
	assert_int_equal(add(f, "b", &f->b, 60000, 0), 0);
	assert_int_equal(status_of(f, "a"), MN_HEALTH_UNKNOWN);
	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_UNKNOWN);
	assert_int_equal(mn_health_run_due(f->h), 2);	/* both due at once */
	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_OK);
	/* a runs again after its 10 ms period, b (60 s) does not */
	for (i = 0; i < 10000 && fake_get(&f->a, &f->a.checks) < 3; i++) {
		sleep_ms(1);
		started += mn_health_run_due(f->h);
	}
	assert_int_equal(started, 2);
	assert_int_equal(fake_get(&f->a, &f->a.checks), 3);
	assert_int_equal(fake_get(&f->b, &f->b.checks), 1);

	f->b.next = MN_HEALTH_DEGRADED;
	assert_int_equal(mn_health_check_now(f->h, "b"), MN_HEALTH_DEGRADED);
	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_DEGRADED);
	assert_int_equal(mn_health_list(f->h, v, 4), 2);
	assert_string_equal(v[0].name, "a");
	assert_string_equal(v[1].name, "b");
	assert_int_equal(v[0].period_ms, 10);
	assert_int_equal(v[0].timeout_ms, 20);
	assert_int_equal(v[1].status, MN_HEALTH_DEGRADED);
	assert_int_equal(v[1].consecutive_failures, 0);	/* degraded != failed */
	assert_int_equal(mn_health_get(f->h, "zz", v), -ENOENT);
}

static void test_fail_recover_ok(void **state)
{
	struct fixture *f = *state;
	struct mn_evfilter filter = {.class_mask = 1u << MN_EVC_CUSTOM};
	struct mn_health_info info;
	struct mn_event ev[8];
	int n;

	f->a.next = MN_HEALTH_FAILED;
	f->a.msg = "disk gone";
	f->a.repair = 1;
	assert_int_equal(add(f, "store", &f->a, 60000, 0), 0);
	assert_int_equal(mn_health_run_due(f->h), 1);
	/* the check failed, the recovery ran; failed until checked again */
	assert_int_equal(mn_health_get(f->h, "store", &info), 0);
	assert_int_equal(info.status, MN_HEALTH_FAILED);
	assert_string_equal(info.message, "disk gone");
	assert_int_equal(info.consecutive_failures, 1);
	assert_int_equal(info.recoveries, 1);
	assert_int_equal(info.recovery_attempts, 1);
	assert_int_equal(info.last_ok_ns, 0);
	assert_true(info.last_check_ns > 0);
	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_FAILED);

	f->a.msg = NULL;
	assert_int_equal(mn_health_check_now(f->h, "store"), MN_HEALTH_OK);
	assert_int_equal(mn_health_get(f->h, "store", &info), 0);
	assert_int_equal(info.status, MN_HEALTH_OK);
	assert_int_equal(info.consecutive_failures, 0);
	assert_true(info.last_ok_ns >= info.last_check_ns);
	assert_int_equal(info.checks, 2);
	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_OK);

	n = (int)mn_evbus_snapshot(f->bus, &filter, ev, 8);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].custom_id, MN_CUSTOM_HEALTH);
	assert_int_equal(ev[0].pid, 3);
	assert_string_equal(ev[0].text, "store: unknown -> failed: disk gone");
	assert_string_equal(ev[1].text, "store: recovery ok: restarted");
	assert_string_equal(ev[2].text, "store: failed -> ok");
}

static void test_recovery_fails_and_bad_status(void **state)
{
	struct fixture *f = *state;
	struct mn_health_info info;
	struct mn_health_check c = {.name = "norec", .check = fake_check,
				    .arg = &f->b, .period_ms = 60000};

	f->a.next = MN_HEALTH_FAILED;
	f->a.recover_rc = -EIO;
	f->a.msg = "line1\nline2";
	assert_int_equal(add(f, "a", &f->a, 60000, 0), 0);
	assert_int_equal(mn_health_check_now(f->h, "a"), MN_HEALTH_FAILED);
	assert_int_equal(mn_health_check_now(f->h, "a"), MN_HEALTH_FAILED);
	assert_int_equal(mn_health_get(f->h, "a", &info), 0);
	assert_int_equal(info.recoveries, 0);
	assert_int_equal(info.recovery_attempts, 2);
	assert_int_equal(info.consecutive_failures, 2);
	assert_string_equal(info.message, "line1 line2");	/* one line */

	/* no recovery fn; a check returning nonsense counts as failed */
	f->b.next = (enum mn_health_status)42;
	assert_int_equal(mn_health_register(f->h, &c), 0);
	assert_int_equal(mn_health_check_now(f->h, "norec"), MN_HEALTH_FAILED);
	assert_int_equal(mn_health_get(f->h, "norec", &info), 0);
	assert_non_null(strstr(info.message, "bad status 42"));
	assert_int_equal(info.recovery_attempts, 0);
	f->b.next = MN_HEALTH_UNKNOWN;	/* only the monitor says unknown */
	assert_int_equal(mn_health_check_now(f->h, "norec"), MN_HEALTH_FAILED);
}

static void test_hung_check_never_blocks_readers(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct mn_health_info info;
	int i;

	f->a.hang = 1;
	f->a.repair = 0;
	assert_int_equal(add(f, "stuck", &f->a, 60000, 30), 0);
	assert_int_equal(add(f, "fine", &f->b, 60000, 0), 0);
	assert_int_equal(mn_health_run_due(f->h), 2);
	sem_wait(&f->a.entered);	/* the check is now inside, blocked */
	assert_int_equal(mn_health_check_now(f->h, "stuck"), -EBUSY);
	/* past the 30 ms timeout every reader says hung, at once */
	for (i = 0; i < 10000; i++) {
		assert_int_equal(mn_health_get(f->h, "stuck", &info), 0);
		if (info.hung)
			break;
		sleep_ms(1);
	}
	assert_int_equal(info.hung, 1);
	assert_int_equal(info.status, MN_HEALTH_FAILED);
	assert_true(info.running);
	assert_non_null(strstr(info.message, "hung"));
	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_FAILED);
	assert_int_equal(mn_health_format_component(f->h, "stuck", &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "hung: yes\n"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_health_format_table(f->h, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "failed (hung)"));

	/* run_due makes it official and starts the recovery, not a check */
	assert_int_equal(mn_health_run_due(f->h), 0);
	for (i = 0; i < 10000 && fake_get(&f->a, &f->a.recoveries) == 0; i++)
		sleep_ms(1);
	assert_int_equal(fake_get(&f->a, &f->a.recoveries), 1);
	assert_int_equal(mn_health_run_due(f->h), 0);	/* once per hang */
	for (i = 0; i < 10000; i++) {
		assert_int_equal(mn_health_get(f->h, "stuck", &info), 0);
		if (info.recovery_attempts == 1)
			break;
		sleep_ms(1);
	}
	assert_int_equal(info.consecutive_failures, 1);
	assert_int_equal(fake_get(&f->a, &f->a.checks), 1);

	/* the check returns at last: ok again */
	sem_post(&f->a.release);
	for (i = 0; i < 10000 && status_of(f, "stuck") != MN_HEALTH_OK; i++)
		sleep_ms(1);
	assert_int_equal(mn_health_get(f->h, "stuck", &info), 0);
	assert_int_equal(info.hung, 0);
	assert_int_equal(info.status, MN_HEALTH_OK);
	assert_int_equal(info.consecutive_failures, 0);
	mn_strbuf_release(&out);
}

static void test_unregister_waits_or_busy(void **state)
{
	struct fixture *f = *state;

	f->a.hang = 1;
	assert_int_equal(add(f, "slow", &f->a, 60000, 50), 0);
	assert_int_equal(mn_health_run_due(f->h), 1);
	sem_wait(&f->a.entered);
	/* still inside after its timeout: removed anyway, -EBUSY */
	assert_int_equal(mn_health_unregister(f->h, "slow"), -EBUSY);
	assert_int_equal(mn_health_list(f->h, NULL, 0), 0);
	sem_post(&f->a.release);
	join_all(&f->runner);	/* the job finished without touching it */
	assert_int_equal(mn_health_overall(f->h), MN_HEALTH_OK);

	/* a check that returns within the wait: 0 */
	f->b.hang = 1;
	assert_int_equal(add(f, "brief", &f->b, 60000, 10000), 0);
	assert_int_equal(mn_health_run_due(f->h), 1);
	sem_wait(&f->b.entered);
	sem_post(&f->b.release);
	assert_int_equal(mn_health_unregister(f->h, "brief"), 0);
}

static void test_destroy_with_hung_check(void **state)
{
	struct fixture *f = *state;

	f->a.hang = 1;
	assert_int_equal(add(f, "stuck", &f->a, 60000, 20), 0);
	assert_int_equal(mn_health_run_due(f->h), 1);
	sem_wait(&f->a.entered);
	mn_health_destroy(f->h);	/* returns after ~20 ms */
	f->h = NULL;
	sem_post(&f->a.release);	/* the last reference frees it */
	join_all(&f->runner);
}

static void test_formatters(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	const char *s;

	assert_int_equal(mn_health_format_table(f->h, &out), 0);
	assert_string_equal(mn_strbuf_str(&out),
			    "overall: ok\nno components\n");
	mn_strbuf_reset(&out);
	f->b.next = MN_HEALTH_DEGRADED;
	f->b.msg = "slow disk";
	assert_int_equal(add(f, "alpha", &f->a, 60000, 0), 0);
	assert_int_equal(add(f, "beta", &f->b, 0, 0), 0);
	assert_int_equal(mn_health_format_component(f->h, "alpha", &out), 0);
	assert_string_equal(mn_strbuf_str(&out),
			    "name: alpha\nstatus: unknown\nhung: no\n"
			    "message: \nlast_check: never\nlast_ok: never\n"
			    "checks: 0\nconsecutive_failures: 0\n"
			    "recoveries: 0\nrecovery_attempts: 0\n"
			    "period_ms: 60000\ntimeout_ms: 120000\n");
	assert_int_equal(mn_health_run_due(f->h), 2);
	mn_strbuf_reset(&out);
	assert_int_equal(mn_health_format_overall(f->h, &out), 0);
	assert_string_equal(mn_strbuf_str(&out),
			    "status: degraded\ncomponents: 2\nok: 1\n"
			    "unknown: 0\ndegraded: 1\nfailed: 0\n");
	mn_strbuf_reset(&out);
	assert_int_equal(mn_health_format_component(f->h, "beta", &out), 0);
	s = mn_strbuf_str(&out);
	assert_non_null(strstr(s, "status: degraded\n"));
	assert_non_null(strstr(s, "message: slow disk\n"));
	assert_non_null(strstr(s, "period_ms: 10\n"));	/* the default */
	assert_null(strstr(s, "last_check: never"));
	assert_non_null(strstr(s, "last_ok: never\n"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_health_format_table(f->h, &out), 0);
	s = mn_strbuf_str(&out);
	assert_non_null(strstr(s, "overall: degraded\n"));
	assert_non_null(strstr(s, "COMPONENT  STATUS    CHECKED"));
	assert_non_null(strstr(s, "\nbeta       degraded  "));
	assert_non_null(strstr(s, "slow disk\n"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_health_format_component(f->h, "x", &out), -ENOENT);
	assert_int_equal(mn_health_set_default_period(f->h, 500), 0);
	assert_int_equal(mn_health_format_component(f->h, "beta", &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "timeout_ms: 1000\n"));
	assert_string_equal(mn_health_status_name(MN_HEALTH_FAILED), "failed");
	assert_string_equal(mn_health_status_name((enum mn_health_status)9),
			    "?");
	mn_strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_due_and_overall, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fail_recover_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_recovery_fails_and_bad_status, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_hung_check_never_blocks_readers, setup_threaded,
			teardown),
		cmocka_unit_test_setup_teardown(test_unregister_waits_or_busy,
						setup_threaded, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_hung_check,
						setup_threaded, teardown),
		cmocka_unit_test_setup_teardown(test_formatters, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
