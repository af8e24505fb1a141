/*
 * test_sched - priority classes and the run queue of kernel work.
 *
 * Order, fairness and suspension are checked deterministically with
 * mn_sched_run_pending() on the test thread; workers are checked for
 * draining, discarding, refusing to stop themselves and running work
 * submitted from several threads without ever running two jobs of one task
 * at once.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/sched.h>

#define MAXLOG 256

/* A job log: each job appends its tag. */
struct joblog {
	pthread_mutex_t lock;
	int tags[MAXLOG];
	int n;
};

struct fixture {
	struct mn_sched *s;
	struct joblog log;
};

struct tagged {
	struct joblog *log;
	int tag;
};

static void log_job(void *arg)
{
	struct tagged *t = arg;

	pthread_mutex_lock(&t->log->lock);
	if (t->log->n < MAXLOG)
		t->log->tags[t->log->n++] = t->tag;
	pthread_mutex_unlock(&t->log->lock);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pthread_mutex_init(&f->log.lock, NULL);
	assert_int_equal(mn_sched_create(&f->s, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_sched_destroy(f->s);
	pthread_mutex_destroy(&f->log.lock);
	free(f);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------------ */

static void test_prio_table(void **state)
{
	(void)state;
	assert_string_equal(mn_prio_name(MN_PRIO_IDLE), "idle");
	assert_string_equal(mn_prio_name(MN_PRIO_URGENT), "urgent");
	assert_string_equal(mn_prio_name(99), "?");
	assert_null(mn_prio_desc(MN_PRIO__COUNT));
	assert_int_equal(mn_prio_nice(MN_PRIO_NORMAL), 0);
	assert_int_equal(mn_prio_nice(MN_PRIO_IDLE), 19);
	assert_int_equal(mn_prio_nice(MN_PRIO_URGENT), -20);
	assert_int_equal(mn_prio_cpu_weight(MN_PRIO_NORMAL), 100);
	assert_int_equal(mn_prio_cpu_weight(MN_PRIO_IDLE), 1);
	assert_int_equal(mn_prio_cpu_weight(99), 100);
	/* weights grow with the class, within cgroup v2's 1..10000 */
	for (int c = 1; c < MN_PRIO__COUNT; c++) {
		assert_true(mn_prio_cpu_weight(c) > mn_prio_cpu_weight(c - 1));
		assert_true(mn_prio_nice(c) < mn_prio_nice(c - 1));
		assert_true(mn_prio_cpu_weight(c) <= 10000);
	}
	assert_int_equal(mn_prio_parse("HIGH"), MN_PRIO_HIGH);
	assert_int_equal(mn_prio_parse("low"), MN_PRIO_LOW);
	assert_int_equal(mn_prio_parse("4"), MN_PRIO_URGENT);
	assert_int_equal(mn_prio_parse("5"), -EINVAL);
	assert_int_equal(mn_prio_parse("realtime"), -EINVAL);
	assert_int_equal(mn_prio_parse(""), -EINVAL);
	assert_int_equal(mn_prio_parse(NULL), -EINVAL);
	assert_int_equal(mn_prio_from_nice(19), MN_PRIO_IDLE);
	assert_int_equal(mn_prio_from_nice(15), MN_PRIO_IDLE);
	assert_int_equal(mn_prio_from_nice(10), MN_PRIO_LOW);
	assert_int_equal(mn_prio_from_nice(5), MN_PRIO_NORMAL);	/* tie */
	assert_int_equal(mn_prio_from_nice(-5), MN_PRIO_NORMAL);	/* tie */
	assert_int_equal(mn_prio_from_nice(-15), MN_PRIO_HIGH);	/* tie */
	assert_int_equal(mn_prio_from_nice(-20), MN_PRIO_URGENT);
	assert_int_equal(mn_prio_from_nice(100), MN_PRIO_IDLE);
	assert_int_equal(mn_prio_from_nice(-100), MN_PRIO_URGENT);
}

static void test_submit_invalid(void **state)
{
	struct fixture *f = *state;
	struct tagged t = {&f->log, 1};

	assert_int_equal(mn_sched_submit(f->s, 0, MN_PRIO_NORMAL, log_job, &t,
					 "x"), -EINVAL);
	assert_int_equal(mn_sched_submit(f->s, -3, MN_PRIO_NORMAL, log_job,
					 &t, "x"), -EINVAL);
	assert_int_equal(mn_sched_submit(f->s, 2, MN_PRIO__COUNT, log_job, &t,
					 "x"), -EINVAL);
	assert_int_equal(mn_sched_submit(f->s, 2, MN_PRIO_NORMAL, NULL, &t,
					 "x"), -EINVAL);
	assert_int_equal(mn_sched_submit_job(f->s, NULL), -EINVAL);
	assert_int_equal(mn_sched_run_pending(f->s, 10), 0);
}

static void test_priority_order(void **state)
{
	struct fixture *f = *state;
	static const int order[] = {MN_PRIO_LOW, MN_PRIO_IDLE, MN_PRIO_URGENT,
				    MN_PRIO_NORMAL, MN_PRIO_HIGH};
	struct tagged t[5];
	int i;

	for (i = 0; i < 5; i++) {
		t[i].log = &f->log;
		t[i].tag = order[i];
		assert_true(mn_sched_submit(f->s, 2 + i, order[i], log_job,
					    &t[i], "prio") > 0);
	}
	assert_int_equal(mn_sched_run_pending(f->s, 100), 5);
	assert_int_equal(f->log.n, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(f->log.tags[i], MN_PRIO_URGENT - i);
}

static void test_fairness_round_robin(void **state)
{
	struct fixture *f = *state;
	static const int expect[] = {100, 200, 300, 101, 201, 301, 102, 202};
	struct tagged t[8];
	int i, k = 0;

	/* A submits 3, B 3, C 2, all at once, in one class */
	for (i = 0; i < 3; i++, k++) {
		t[k] = (struct tagged){&f->log, 100 + i};
		mn_sched_submit(f->s, 10, MN_PRIO_NORMAL, log_job, &t[k], "a");
	}
	for (i = 0; i < 3; i++, k++) {
		t[k] = (struct tagged){&f->log, 200 + i};
		mn_sched_submit(f->s, 20, MN_PRIO_NORMAL, log_job, &t[k], "b");
	}
	for (i = 0; i < 2; i++, k++) {
		t[k] = (struct tagged){&f->log, 300 + i};
		mn_sched_submit(f->s, 30, MN_PRIO_NORMAL, log_job, &t[k], "c");
	}
	assert_int_equal(mn_sched_run_pending(f->s, 100), 8);
	assert_int_equal(f->log.n, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(f->log.tags[i], expect[i]);
}

static void test_run_pending_max(void **state)
{
	struct fixture *f = *state;
	struct tagged t = {&f->log, 7};
	int i;

	for (i = 0; i < 5; i++)
		mn_sched_submit(f->s, 2, MN_PRIO_LOW, log_job, &t, "x");
	assert_int_equal(mn_sched_run_pending(f->s, 2), 2);
	assert_int_equal(mn_sched_run_pending(f->s, 0), 0);
	assert_int_equal(mn_sched_run_pending(f->s, 10), 3);
	assert_int_equal(f->log.n, 5);
}

/* A job that submits another job of its own task. */
struct chain {
	struct mn_sched *s;
	struct tagged t;
	int left;
};

static void chain_job(void *arg)
{
	struct chain *c = arg;

	log_job(&c->t);
	c->t.tag++;
	if (--c->left > 0)
		mn_sched_submit(c->s, 5, MN_PRIO_NORMAL, chain_job, c, "chain");
}

static void test_job_submits_job(void **state)
{
	struct fixture *f = *state;
	struct chain c = {f->s, {&f->log, 0}, 4};

	mn_sched_submit(f->s, 5, MN_PRIO_NORMAL, chain_job, &c, "chain");
	assert_int_equal(mn_sched_run_pending(f->s, 100), 4);
	assert_int_equal(f->log.n, 4);
	assert_int_equal(f->log.tags[3], 3);
}

static void test_suspend_resume_task(void **state)
{
	struct fixture *f = *state;
	struct tagged a1 = {&f->log, 1}, a2 = {&f->log, 2}, b = {&f->log, 3};
	struct mn_sched_task_stats ts;

	mn_sched_submit(f->s, 7, MN_PRIO_HIGH, log_job, &a1, "a");
	mn_sched_submit(f->s, 7, MN_PRIO_HIGH, log_job, &a2, "a");
	mn_sched_submit(f->s, 8, MN_PRIO_IDLE, log_job, &b, "b");
	assert_int_equal(mn_sched_suspend_task(f->s, 7), 0);
	assert_int_equal(mn_sched_suspend_task(f->s, 7), 0);	/* idempotent */
	/* only the idle job of the other task runs; a's are held */
	assert_int_equal(mn_sched_run_pending(f->s, 100), 1);
	assert_int_equal(f->log.tags[0], 3);
	assert_int_equal(mn_sched_task_stats(f->s, 7, &ts), 0);
	assert_int_equal(ts.suspended, 1);
	assert_int_equal(ts.queued, 2);
	assert_int_equal(ts.runs, 0);
	/* held jobs do not keep the queue busy */
	assert_int_equal(mn_sched_wait_idle(f->s, 1000), 0);
	/* work submitted while suspended is held too */
	mn_sched_submit(f->s, 7, MN_PRIO_HIGH, log_job, &a2, "a");
	assert_int_equal(mn_sched_run_pending(f->s, 100), 0);

	assert_int_equal(mn_sched_resume_task(f->s, 7), 0);
	assert_int_equal(mn_sched_resume_task(f->s, 7), 0);
	assert_int_equal(mn_sched_run_pending(f->s, 100), 3);
	assert_int_equal(f->log.n, 4);
	assert_int_equal(f->log.tags[1], 1);	/* FIFO kept */
	assert_int_equal(f->log.tags[2], 2);
	assert_int_equal(mn_sched_task_stats(f->s, 7, &ts), 0);
	assert_int_equal(ts.suspended, 0);
	assert_int_equal(ts.runs, 3);
	assert_int_equal(ts.queued, 0);
	assert_string_equal(ts.name, "a");
}

static void test_suspend_errors(void **state)
{
	struct fixture *f = *state;
	struct mn_sched_task_stats ts;
	struct tagged t = {&f->log, 1};

	assert_int_equal(mn_sched_suspend_task(f->s, 0), -EINVAL);
	assert_int_equal(mn_sched_resume_task(f->s, 99), -ENOENT);
	assert_int_equal(mn_sched_task_stats(f->s, 99, &ts), -ENOENT);
	/* suspending before any submit holds the first job */
	assert_int_equal(mn_sched_suspend_task(f->s, 12), 0);
	mn_sched_submit(f->s, 12, MN_PRIO_NORMAL, log_job, &t, "x");
	assert_int_equal(mn_sched_run_pending(f->s, 10), 0);
	assert_int_equal(mn_sched_resume_task(f->s, 12), 0);
	assert_int_equal(mn_sched_run_pending(f->s, 10), 1);
}

static void count_discard(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static void count_run(void *arg)
{
	__atomic_add_fetch((int *)arg, 100, __ATOMIC_SEQ_CST);
}

static void test_cancel_and_forget(void **state)
{
	struct fixture *f = *state;
	struct mn_sched_job job = {
		.owner = 4, .cls = MN_PRIO_NORMAL, .fn = count_run,
		.discard = count_discard, .name = "c",
	};
	struct mn_sched_stats st;
	int counter = 0;
	int64_t id1, id2;

	job.arg = &counter;
	id1 = mn_sched_submit_job(f->s, &job);
	id2 = mn_sched_submit_job(f->s, &job);
	assert_true(id1 > 0 && id2 > id1);
	assert_int_equal(mn_sched_cancel(f->s, id1), 0);
	assert_int_equal(counter, 1);
	assert_int_equal(mn_sched_cancel(f->s, id1), -ENOENT);
	assert_int_equal(mn_sched_cancel(f->s, 12345), -ENOENT);
	assert_int_equal(mn_sched_run_pending(f->s, 10), 1);
	assert_int_equal(counter, 101);
	assert_int_equal(mn_sched_cancel(f->s, id2), -ENOENT);	/* ran */

	mn_sched_submit_job(f->s, &job);
	mn_sched_submit_job(f->s, &job);
	assert_int_equal(mn_sched_forget_task(f->s, 4), 2);
	assert_int_equal(counter, 103);
	assert_int_equal(mn_sched_forget_task(f->s, 4), -ENOENT);
	assert_int_equal(mn_sched_list_tasks(f->s, NULL, 0), 0);
	mn_sched_stats(f->s, &st);
	assert_int_equal(st.submitted, 4);
	assert_int_equal(st.completed, 1);
	assert_int_equal(st.discarded, 3);
	assert_int_equal(st.queued, 0);
}

static void test_stop_discard_without_workers(void **state)
{
	struct fixture *f = *state;
	struct mn_sched_job job = {
		.owner = 3, .cls = MN_PRIO_LOW, .fn = count_run,
		.discard = count_discard, .name = "d",
	};
	int counter = 0, i;

	job.arg = &counter;
	for (i = 0; i < 5; i++)
		assert_true(mn_sched_submit_job(f->s, &job) > 0);
	assert_int_equal(mn_sched_stop(f->s, MN_SCHED_DISCARD), 0);
	assert_int_equal(counter, 5);	/* all discarded, none ran */
	/* still usable afterwards */
	assert_true(mn_sched_submit_job(f->s, &job) > 0);
	assert_int_equal(mn_sched_run_pending(f->s, 10), 1);
	assert_int_equal(counter, 105);
}

static void test_stop_drain_with_workers(void **state)
{
	struct fixture *f = *state;
	struct mn_sched_job job = {
		.cls = MN_PRIO_NORMAL, .fn = count_run,
		.discard = count_discard, .name = "w",
	};
	int counter = 0, i;

	job.arg = &counter;
	for (i = 0; i < 20; i++) {
		job.owner = 2 + i % 4;
		mn_sched_submit_job(f->s, &job);
	}
	job.owner = 9;	/* held: a suspended task's jobs are discarded */
	mn_sched_suspend_task(f->s, 9);
	mn_sched_submit_job(f->s, &job);
	mn_sched_submit_job(f->s, &job);

	assert_int_equal(mn_sched_start(f->s, 2), 0);
	assert_int_equal(mn_sched_running(f->s), 1);
	assert_int_equal(mn_sched_start(f->s, 2), -EALREADY);
	assert_int_equal(mn_sched_stop(f->s, MN_SCHED_DRAIN), 0);
	assert_int_equal(mn_sched_running(f->s), 0);
	assert_int_equal(counter, 20 * 100 + 2);
	/* stop again: nothing to do */
	assert_int_equal(mn_sched_stop(f->s, MN_SCHED_DRAIN), 0);
}

static void test_start_invalid(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mn_sched_start(f->s, 0), -EINVAL);
	assert_int_equal(mn_sched_start(f->s, MN_SCHED_MAX_WORKERS + 1),
			 -EINVAL);
	assert_int_equal(mn_sched_running(f->s), 0);
}

/* A job that blocks until released, to stop the queue under it. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int started, open, ran;
};

static void gate_job(void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->lock);
	g->started = 1;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->lock);
	g->ran = 1;
	pthread_mutex_unlock(&g->lock);
}

static void *stopper(void *arg)
{
	mn_sched_stop(arg, MN_SCHED_DISCARD);
	return NULL;
}

static void test_stop_discard_with_running_job(void **state)
{
	struct fixture *f = *state;
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			 0, 0, 0};
	struct mn_sched_job queued = {
		.owner = 6, .cls = MN_PRIO_NORMAL, .fn = count_run,
		.discard = count_discard, .name = "q",
	};
	int counter = 0, i;
	pthread_t th;

	queued.arg = &counter;
	assert_int_equal(mn_sched_start(f->s, 1), 0);
	mn_sched_submit(f->s, 6, MN_PRIO_NORMAL, gate_job, &g, "gate");
	pthread_mutex_lock(&g.lock);
	while (!g.started)
		pthread_cond_wait(&g.cv, &g.lock);
	pthread_mutex_unlock(&g.lock);
	/* queued behind the running job of the same task */
	mn_sched_submit_job(f->s, &queued);
	assert_int_equal(pthread_create(&th, NULL, stopper, f->s), 0);
	for (i = 0; i < 1000 && !__atomic_load_n(&counter, __ATOMIC_SEQ_CST);
	     i++)
		sleep_ms(10);
	assert_int_equal(counter, 1);	/* discarded, not run */
	pthread_mutex_lock(&g.lock);
	g.open = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.lock);
	pthread_join(th, NULL);
	assert_int_equal(g.ran, 1);	/* the running job finished */
	assert_int_equal(mn_sched_running(f->s), 0);
	assert_int_equal(counter, 1);
}

struct selfstop {
	struct mn_sched *s;
	int stop_rc, idle_rc;
};

static void selfstop_job(void *arg)
{
	struct selfstop *x = arg;

	x->stop_rc = mn_sched_stop(x->s, MN_SCHED_DISCARD);
	x->idle_rc = mn_sched_wait_idle(x->s, 10);
}

static void test_stop_from_worker_refused(void **state)
{
	struct fixture *f = *state;
	struct selfstop x = {f->s, 1, 1};

	assert_int_equal(mn_sched_start(f->s, 1), 0);
	mn_sched_submit(f->s, 2, MN_PRIO_NORMAL, selfstop_job, &x, "self");
	assert_int_equal(mn_sched_wait_idle(f->s, 10000), 0);
	assert_int_equal(x.stop_rc, -EDEADLK);
	assert_int_equal(x.idle_rc, -EDEADLK);
	assert_int_equal(mn_sched_running(f->s), 1);
	assert_int_equal(mn_sched_stop(f->s, MN_SCHED_DRAIN), 0);
}

static void test_wait_idle_timeout(void **state)
{
	struct fixture *f = *state;
	struct tagged t = {&f->log, 1};

	assert_int_equal(mn_sched_wait_idle(f->s, 0), 0);
	/* no workers: a runnable job never runs by itself */
	mn_sched_submit(f->s, 2, MN_PRIO_NORMAL, log_job, &t, "x");
	assert_int_equal(mn_sched_wait_idle(f->s, 50), -EAGAIN);
	assert_int_equal(mn_sched_run_pending(f->s, 10), 1);
	assert_int_equal(mn_sched_wait_idle(f->s, 50), 0);
}

static void free_arg(void *arg)
{
	free(arg);
}

static void test_destroy_discards(void **state)
{
	struct fixture *f = *state;
	struct mn_sched_job job = {
		.owner = 3, .cls = MN_PRIO_NORMAL, .fn = free_arg,
		.discard = free_arg, .name = "mem",
	};
	int i;

	/* args owned by the jobs: ASan reports a leak if destroy drops them */
	for (i = 0; i < 10; i++) {
		job.arg = malloc(32);
		assert_true(mn_sched_submit_job(f->s, &job) > 0);
	}
	mn_sched_suspend_task(f->s, 3);
}

/* ------------------------------------------------------------------------ */
/* Concurrency */

#define NTHREADS 4
#define PER_THREAD 500
#define NOWNERS 6

struct conc {
	struct mn_sched *s;
	int total;
	int busy[NOWNERS];	/* a task's jobs never overlap */
	int overlaps;
	int order_errors;
	int last_seq[NTHREADS][NOWNERS];
};

struct conc_job {
	struct conc *c;
	int owner, thread, seq;
};

static void conc_run(void *arg)
{
	struct conc_job *j = arg;
	struct conc *c = j->c;

	if (__atomic_exchange_n(&c->busy[j->owner], 1, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&c->overlaps, 1, __ATOMIC_SEQ_CST);
	/* FIFO per task: one submitter's jobs to one task come in order */
	if (j->seq <= c->last_seq[j->thread][j->owner])
		__atomic_add_fetch(&c->order_errors, 1, __ATOMIC_SEQ_CST);
	c->last_seq[j->thread][j->owner] = j->seq;
	__atomic_add_fetch(&c->total, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->busy[j->owner], 0, __ATOMIC_SEQ_CST);
	free(j);
}

struct submitter {
	struct conc *c;
	int thread;
};

static void *submit_many(void *arg)
{
	struct submitter *sb = arg;
	int i;

	for (i = 1; i <= PER_THREAD; i++) {
		struct conc_job *j = malloc(sizeof(*j));
		struct mn_sched_job job = {
			.cls = (enum mn_prio_class)(i % MN_PRIO__COUNT),
			.fn = conc_run, .discard = free_arg, .name = "conc",
		};

		j->c = sb->c;
		j->owner = i % NOWNERS;
		j->thread = sb->thread;
		j->seq = i;
		job.owner = 100 + j->owner;
		job.arg = j;
		/* one class per owner keeps FIFO checkable */
		job.cls = (enum mn_prio_class)(j->owner % MN_PRIO__COUNT);
		if (mn_sched_submit_job(sb->c->s, &job) < 0)
			free(j);
	}
	return NULL;
}

static void test_concurrent_submitters(void **state)
{
	struct fixture *f = *state;
	struct conc *c = calloc(1, sizeof(*c));
	struct submitter sb[NTHREADS];
	pthread_t th[NTHREADS];
	struct mn_sched_stats st;
	struct mn_strbuf out = MN_STRBUF_INIT;
	int i;

	assert_non_null(c);
	c->s = f->s;
	assert_int_equal(mn_sched_start(f->s, 3), 0);
	for (i = 0; i < NTHREADS; i++) {
		sb[i] = (struct submitter){c, i};
		assert_int_equal(pthread_create(&th[i], NULL, submit_many,
						&sb[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(mn_sched_wait_idle(f->s, 60000), 0);
	assert_int_equal(c->total, NTHREADS * PER_THREAD);
	assert_int_equal(c->overlaps, 0);
	assert_int_equal(c->order_errors, 0);
	mn_sched_stats(f->s, &st);
	assert_int_equal(st.completed, NTHREADS * PER_THREAD);
	assert_int_equal(st.workers, 3);
	assert_int_equal(st.tasks, NOWNERS);
	assert_int_equal(mn_sched_format(f->s, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "conc"));
	assert_non_null(strstr(mn_strbuf_str(&out), "urgent"));
	mn_strbuf_release(&out);
	assert_int_equal(mn_sched_stop(f->s, MN_SCHED_DRAIN), 0);
	free(c);
}

static void test_format_and_names(void **state)
{
	struct fixture *f = *state;
	struct mn_sched_task_stats ts[4];
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct tagged t = {&f->log, 1};

	assert_int_equal(mn_sched_name_task(f->s, 0, "x"), -EINVAL);
	assert_int_equal(mn_sched_name_task(f->s, 3, "timerd"), 0);
	assert_int_equal(mn_sched_name_task(f->s, 2, "a-very-long-task-name-"
					    "that-is-truncated"), 0);
	mn_sched_submit(f->s, 3, MN_PRIO_HIGH, log_job, &t, "tick");
	mn_sched_run_pending(f->s, 10);
	assert_int_equal(mn_sched_list_tasks(f->s, ts, 4), 2);
	assert_int_equal(ts[0].pid, 2);
	assert_int_equal(strlen(ts[0].name), MN_SCHED_NAME_MAX - 1);
	assert_int_equal(ts[1].pid, 3);
	assert_string_equal(ts[1].name, "timerd");	/* named: kept */
	assert_int_equal(ts[1].runs, 1);
	assert_int_equal(mn_sched_format(f->s, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "timerd"));
	assert_non_null(strstr(mn_strbuf_str(&out), "weight"));
	mn_strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prio_table),
		cmocka_unit_test_setup_teardown(test_submit_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_priority_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fairness_round_robin,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_pending_max, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_job_submits_job, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_suspend_resume_task, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_suspend_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_forget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_stop_discard_without_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drain_with_workers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_stop_discard_with_running_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_from_worker_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_idle_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_destroy_discards, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_submitters,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_and_names, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
