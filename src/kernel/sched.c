/*
 * sched - the run queue of kernel work (the priority classes are in
 * sched_prio.c).
 *
 * Each owner pid has a task record holding one FIFO of jobs per class.  For
 * each class a ring lists the tasks that can run a job of
 * that class right now (not suspended, not busy with another job, queue not
 * empty).  A worker takes the head task of the highest non-empty ring, pops
 * its first job and marks it busy, which takes it out of every ring; when the
 * job ends the task goes back to the tail of the rings it belongs to.  That
 * one rule gives priority order, round robin between tasks of a class, FIFO
 * and one-job-at-a-time within a task.  Suspension simply keeps a task out
 * of the rings.
 *
 * Lock order: s->lock is a leaf here; job and discard functions run after it
 * is dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/clock.h>
#include <micronos/sched.h>

#include "texttable_i.h"

/* ------------------------------------------------------------------------ */
/* Run queue state */

struct job {
	struct job *next;
	int64_t id;
	enum mn_prio_class cls;
	void (*fn)(void *arg);
	void (*discard)(void *arg);
	void *arg;
	char name[MN_SCHED_NAME_MAX];
};

struct task {
	struct task *next;		/* s->tasks, ascending pid */
	int32_t pid;
	char name[MN_SCHED_NAME_MAX];
	int named;			/* name set explicitly */
	int suspended;
	int busy;			/* one of its jobs runs */
	int forgotten;			/* free when the running job ends */
	struct job *head[MN_PRIO__COUNT], *tail[MN_PRIO__COUNT];
	struct task *rnext[MN_PRIO__COUNT], *rprev[MN_PRIO__COUNT];
	int in_ring[MN_PRIO__COUNT];
	uint64_t queued, runs, run_ns, max_run_ns, discarded, last_run_ns;
};

struct mn_sched {
	pthread_mutex_t lock;
	pthread_cond_t work_cv;		/* workers wait for jobs */
	pthread_cond_t idle_cv;		/* wait_idle and stop wait here */
	const struct mn_clock *clock;	/* borrowed; set once */

	/* protected by lock: */
	struct task *tasks;
	struct task *rhead[MN_PRIO__COUNT], *rtail[MN_PRIO__COUNT];
	pthread_t *threads;
	unsigned nworkers;
	int stopping;			/* workers exit when nothing runnable */
	int discarding;			/* submit refused */
	int stop_busy;			/* a start or stop is in progress */
	int64_t next_id;
	uint64_t submitted, completed, discarded, queued, running;
	uint64_t queued_by_class[MN_PRIO__COUNT];
	uint64_t completed_by_class[MN_PRIO__COUNT];
	uint64_t ntasks;
};

/* The scheduler whose job (or worker loop) this thread is in, if any. */
static __thread struct mn_sched *tls_in_job;
static __thread struct mn_sched *tls_worker_of;

static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, MN_SCHED_NAME_MAX - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* s->lock held for everything below that takes a struct mn_sched. */

static struct task *task_find(struct mn_sched *s, int32_t pid)
{
	struct task *t;

	for (t = s->tasks; t && t->pid <= pid; t = t->next)
		if (t->pid == pid && !t->forgotten)
			return t;
	return NULL;
}

static struct task *task_get(struct mn_sched *s, int32_t pid)
{
	struct task **pp = &s->tasks, *t = task_find(s, pid);

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->pid = pid;
	copy_name(t->name, "task");
	while (*pp && (*pp)->pid <= pid)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	s->ntasks++;
	return t;
}

static void task_unlink_free(struct mn_sched *s, struct task *t)
{
	struct task **pp = &s->tasks;

	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	s->ntasks--;
	free(t);
}

static void ring_add(struct mn_sched *s, struct task *t, int c)
{
	t->rnext[c] = NULL;
	t->rprev[c] = s->rtail[c];
	if (s->rtail[c])
		s->rtail[c]->rnext[c] = t;
	else
		s->rhead[c] = t;
	s->rtail[c] = t;
	t->in_ring[c] = 1;
}

static void ring_del(struct mn_sched *s, struct task *t, int c)
{
	if (t->rprev[c])
		t->rprev[c]->rnext[c] = t->rnext[c];
	else
		s->rhead[c] = t->rnext[c];
	if (t->rnext[c])
		t->rnext[c]->rprev[c] = t->rprev[c];
	else
		s->rtail[c] = t->rprev[c];
	t->in_ring[c] = 0;
}

/* Makes ring membership match what the task can run; joins at the tail. */
static void requeue(struct mn_sched *s, struct task *t)
{
	int c;

	for (c = 0; c < MN_PRIO__COUNT; c++) {
		int want = !t->suspended && !t->busy && !t->forgotten &&
			   t->head[c];

		if (want && !t->in_ring[c])
			ring_add(s, t, c);
		else if (!want && t->in_ring[c])
			ring_del(s, t, c);
	}
}

static int has_runnable(const struct mn_sched *s)
{
	int c;

	for (c = 0; c < MN_PRIO__COUNT; c++)
		if (s->rhead[c])
			return 1;
	return 0;
}

static void wake_after_change(struct mn_sched *s)
{
	if (has_runnable(s))
		pthread_cond_signal(&s->work_cv);
	else if (!s->running)
		pthread_cond_broadcast(&s->idle_cv);
}

/* Moves every queued job of t (all classes) onto *list for discarding. */
static size_t task_drop_jobs(struct mn_sched *s, struct task *t,
			     struct job **list)
{
	size_t n = 0;
	int c;

	for (c = 0; c < MN_PRIO__COUNT; c++) {
		while (t->head[c]) {
			struct job *j = t->head[c];

			t->head[c] = j->next;
			j->next = *list;
			*list = j;
			s->queued_by_class[c]--;
			n++;
		}
		t->tail[c] = NULL;
	}
	t->queued -= n;
	t->discarded += n;
	s->queued -= n;
	s->discarded += n;
	requeue(s, t);
	return n;
}

/* Called without the lock: runs discard functions and frees the jobs. */
static void discard_list(struct job *list)
{
	while (list) {
		struct job *j = list;

		list = j->next;
		if (j->discard)
			j->discard(j->arg);
		free(j);
	}
}

static struct job *take_job(struct mn_sched *s, struct task **tout)
{
	int c;

	for (c = MN_PRIO__COUNT - 1; c >= 0; c--) {
		struct task *t = s->rhead[c];
		struct job *j;

		if (!t)
			continue;
		j = t->head[c];
		t->head[c] = j->next;
		if (!t->head[c])
			t->tail[c] = NULL;
		t->queued--;
		s->queued--;
		s->queued_by_class[c]--;
		t->busy = 1;
		s->running++;
		requeue(s, t);
		*tout = t;
		return j;
	}
	return NULL;
}

/* Runs a taken job with no lock held, then accounts for it. */
static void run_job(struct mn_sched *s, struct task *t, struct job *j)
{
	struct mn_sched *prev = tls_in_job;
	uint64_t t0, dt;

	tls_in_job = s;
	t0 = mn_clock_host_mono_ns();
	j->fn(j->arg);
	dt = mn_clock_host_mono_ns() - t0;
	tls_in_job = prev;

	pthread_mutex_lock(&s->lock);
	t->busy = 0;
	t->runs++;
	t->run_ns += dt;
	if (dt > t->max_run_ns)
		t->max_run_ns = dt;
	t->last_run_ns = mn_clock_now_ns(s->clock);
	if (!t->named)
		copy_name(t->name, j->name);
	s->running--;
	s->completed++;
	s->completed_by_class[j->cls]++;
	if (t->forgotten)
		task_unlink_free(s, t);
	else
		requeue(s, t);
	wake_after_change(s);
	pthread_mutex_unlock(&s->lock);
	free(j);
}

static void *worker_main(void *arg)
{
	struct mn_sched *s = arg;

	tls_worker_of = s;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct task *t;
		struct job *j = take_job(s, &t);

		if (j) {
			pthread_mutex_unlock(&s->lock);
			run_job(s, t, j);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		if (s->stopping)
			break;
		pthread_cond_wait(&s->work_cv, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Lifecycle */

int mn_sched_create(struct mn_sched **out, const struct mn_clock *clock)
{
	struct mn_sched *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	mn_cond_init_monotonic(&s->work_cv);
	mn_cond_init_monotonic(&s->idle_cv);
	s->clock = clock;
	s->next_id = 1;
	*out = s;
	return 0;
}

/* Discards every queued job, held ones included. */
static void discard_all(struct mn_sched *s)
{
	struct job *list = NULL;
	struct task *t;

	pthread_mutex_lock(&s->lock);
	for (t = s->tasks; t; t = t->next)
		task_drop_jobs(s, t, &list);
	wake_after_change(s);
	pthread_mutex_unlock(&s->lock);
	discard_list(list);
}

void mn_sched_destroy(struct mn_sched *s)
{
	if (!s)
		return;
	mn_sched_stop(s, MN_SCHED_DISCARD);
	discard_all(s);
	while (s->tasks)
		task_unlink_free(s, s->tasks);
	pthread_cond_destroy(&s->work_cv);
	pthread_cond_destroy(&s->idle_cv);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void join_workers(pthread_t *threads, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	free(threads);
}

int mn_sched_start(struct mn_sched *s, unsigned nworkers)
{
	pthread_t *threads;
	unsigned i;
	int err = 0;

	if (nworkers < 1 || nworkers > MN_SCHED_MAX_WORKERS)
		return -EINVAL;
	threads = calloc(nworkers, sizeof(*threads));
	if (!threads)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	if (s->nworkers || s->stop_busy) {
		pthread_mutex_unlock(&s->lock);
		free(threads);
		return -EALREADY;
	}
	s->stop_busy = 1;
	s->stopping = 0;
	pthread_mutex_unlock(&s->lock);

	for (i = 0; i < nworkers && !err; i++)
		err = -pthread_create(&threads[i], NULL, worker_main, s);
	if (err)
		i--;

	if (err) {
		pthread_mutex_lock(&s->lock);
		s->stopping = 1;
		pthread_cond_broadcast(&s->work_cv);
		pthread_mutex_unlock(&s->lock);
		join_workers(threads, i);
	}
	pthread_mutex_lock(&s->lock);
	if (!err) {
		s->threads = threads;
		s->nworkers = nworkers;
	}
	s->stopping = 0;
	s->stop_busy = 0;
	pthread_cond_broadcast(&s->idle_cv);
	pthread_mutex_unlock(&s->lock);
	return err;
}

int mn_sched_stop(struct mn_sched *s, enum mn_sched_stop_mode mode)
{
	struct job *list = NULL;
	pthread_t *threads;
	unsigned n;
	struct task *t;

	if (tls_worker_of == s)
		return -EDEADLK;
	pthread_mutex_lock(&s->lock);
	while (s->stop_busy)	/* a concurrent start/stop: let it finish */
		pthread_cond_wait(&s->idle_cv, &s->lock);
	s->stop_busy = 1;
	if (mode == MN_SCHED_DISCARD) {
		s->discarding = 1;
		for (t = s->tasks; t; t = t->next)
			task_drop_jobs(s, t, &list);
	}
	threads = s->threads;
	n = s->nworkers;
	s->stopping = 1;
	pthread_cond_broadcast(&s->work_cv);
	pthread_mutex_unlock(&s->lock);

	discard_list(list);
	if (threads)
		join_workers(threads, n);
	else if (mode == MN_SCHED_DRAIN)
		mn_sched_run_pending(s, SIZE_MAX);
	discard_all(s);	/* held jobs of suspended tasks */

	pthread_mutex_lock(&s->lock);
	s->threads = NULL;
	s->nworkers = 0;
	s->stopping = 0;
	s->discarding = 0;
	s->stop_busy = 0;
	pthread_cond_broadcast(&s->idle_cv);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int mn_sched_running(struct mn_sched *s)
{
	int r;

	pthread_mutex_lock(&s->lock);
	r = s->nworkers > 0;
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Submitting and running */

int64_t mn_sched_submit_job(struct mn_sched *s, const struct mn_sched_job *job)
{
	struct task *t;
	struct job *j;
	int64_t id;

	if (!job || job->owner <= 0 || !job->fn ||
	    (unsigned)job->cls >= MN_PRIO__COUNT)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->cls = job->cls;
	j->fn = job->fn;
	j->discard = job->discard;
	j->arg = job->arg;
	copy_name(j->name, job->name ? job->name : "job");

	pthread_mutex_lock(&s->lock);
	t = s->discarding ? NULL : task_get(s, job->owner);
	if (!t) {
		id = s->discarding ? -ESHUTDOWN : -ENOMEM;
		pthread_mutex_unlock(&s->lock);
		free(j);
		return id;
	}
	id = j->id = s->next_id++;
	if (t->tail[j->cls])
		t->tail[j->cls]->next = j;
	else
		t->head[j->cls] = j;
	t->tail[j->cls] = j;
	t->queued++;
	s->queued++;
	s->queued_by_class[j->cls]++;
	s->submitted++;
	requeue(s, t);
	wake_after_change(s);
	pthread_mutex_unlock(&s->lock);
	return id;
}

int64_t mn_sched_submit(struct mn_sched *s, int32_t owner_pid,
			enum mn_prio_class cls, void (*fn)(void *arg),
			void *arg, const char *name)
{
	struct mn_sched_job job = {
		.owner = owner_pid, .cls = cls, .fn = fn, .arg = arg,
		.name = name,
	};

	return mn_sched_submit_job(s, &job);
}

/* Unlinks job `id` from its task's queue; NULL if not queued. */
static struct job *unlink_job(struct mn_sched *s, int64_t id)
{
	struct task *t;
	int c;

	for (t = s->tasks; t; t = t->next) {
		for (c = 0; c < MN_PRIO__COUNT; c++) {
			struct job **pp = &t->head[c], *prev = NULL;

			for (; *pp; prev = *pp, pp = &(*pp)->next) {
				struct job *j = *pp;

				if (j->id != id)
					continue;
				*pp = j->next;
				if (t->tail[c] == j)
					t->tail[c] = prev;
				t->queued--;
				t->discarded++;
				s->queued--;
				s->queued_by_class[c]--;
				s->discarded++;
				requeue(s, t);
				return j;
			}
		}
	}
	return NULL;
}

int mn_sched_cancel(struct mn_sched *s, int64_t job_id)
{
	struct job *j;

	pthread_mutex_lock(&s->lock);
	j = unlink_job(s, job_id);
	if (j) {
		j->next = NULL;
		wake_after_change(s);
	}
	pthread_mutex_unlock(&s->lock);
	if (!j)
		return -ENOENT;
	discard_list(j);
	return 0;
}

size_t mn_sched_run_pending(struct mn_sched *s, size_t max)
{
	size_t n = 0;

	while (n < max) {
		struct task *t;
		struct job *j;

		pthread_mutex_lock(&s->lock);
		j = take_job(s, &t);
		pthread_mutex_unlock(&s->lock);
		if (!j)
			break;
		run_job(s, t, j);
		n++;
	}
	return n;
}

int mn_sched_wait_idle(struct mn_sched *s, int timeout_ms)
{
	struct timespec ts;
	int err = 0;

	if (tls_in_job == s)
		return -EDEADLK;
	if (timeout_ms >= 0)
		mn_clock_deadline_ms(&ts, timeout_ms);
	pthread_mutex_lock(&s->lock);
	while (!err && (s->running || has_runnable(s))) {
		if (timeout_ms < 0)
			pthread_cond_wait(&s->idle_cv, &s->lock);
		else if (pthread_cond_timedwait(&s->idle_cv, &s->lock, &ts) ==
			 ETIMEDOUT)
			err = (s->running || has_runnable(s)) ? -EAGAIN : 0;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Tasks */

int mn_sched_name_task(struct mn_sched *s, int32_t pid, const char *name)
{
	struct task *t;
	int err = 0;

	if (pid <= 0 || !name)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	t = task_get(s, pid);
	if (t) {
		copy_name(t->name, name);
		t->named = 1;
	} else {
		err = -ENOMEM;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

int mn_sched_suspend_task(struct mn_sched *s, int32_t pid)
{
	struct task *t;
	int err = 0;

	if (pid <= 0)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	t = task_get(s, pid);
	if (t) {
		t->suspended = 1;
		requeue(s, t);
		wake_after_change(s);
	} else {
		err = -ENOMEM;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

int mn_sched_resume_task(struct mn_sched *s, int32_t pid)
{
	struct task *t;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	t = pid > 0 ? task_find(s, pid) : NULL;
	if (t) {
		t->suspended = 0;
		requeue(s, t);
		wake_after_change(s);
	} else {
		err = -ENOENT;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

int mn_sched_forget_task(struct mn_sched *s, int32_t pid)
{
	struct job *list = NULL;
	struct task *t;
	int n = -ENOENT;

	pthread_mutex_lock(&s->lock);
	t = pid > 0 ? task_find(s, pid) : NULL;
	if (t) {
		n = (int)task_drop_jobs(s, t, &list);
		if (t->busy)
			t->forgotten = 1;	/* run_job frees it */
		else
			task_unlink_free(s, t);
		wake_after_change(s);
	}
	pthread_mutex_unlock(&s->lock);
	discard_list(list);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Statistics and text */

static void fill_task_stats(const struct task *t, struct mn_sched_task_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->pid = t->pid;
	memcpy(o->name, t->name, sizeof(o->name));
	o->suspended = t->suspended;
	o->running = t->busy;
	o->queued = t->queued;
	o->runs = t->runs;
	o->run_ns = t->run_ns;
	o->max_run_ns = t->max_run_ns;
	o->discarded = t->discarded;
	o->last_run_ns = t->last_run_ns;
}

int mn_sched_task_stats(struct mn_sched *s, int32_t pid,
			struct mn_sched_task_stats *out)
{
	struct task *t;

	pthread_mutex_lock(&s->lock);
	t = task_find(s, pid);
	if (t)
		fill_task_stats(t, out);
	pthread_mutex_unlock(&s->lock);
	return t ? 0 : -ENOENT;
}

size_t mn_sched_list_tasks(struct mn_sched *s, struct mn_sched_task_stats *out,
			   size_t max)
{
	struct task *t;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (t = s->tasks; t; t = t->next) {
		if (t->forgotten)
			continue;
		if (n < max)
			fill_task_stats(t, &out[n]);
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

void mn_sched_stats(struct mn_sched *s, struct mn_sched_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	out->workers = s->nworkers;
	out->submitted = s->submitted;
	out->completed = s->completed;
	out->discarded = s->discarded;
	out->queued = s->queued;
	out->running = s->running;
	memcpy(out->queued_by_class, s->queued_by_class,
	       sizeof(out->queued_by_class));
	memcpy(out->completed_by_class, s->completed_by_class,
	       sizeof(out->completed_by_class));
	out->tasks = s->ntasks;
	pthread_mutex_unlock(&s->lock);
}

static void format_task(const struct mn_sched_task_stats *t,
			struct mn_texttable *tt)
{
	char total[32], mean[32];
	const char *state = t->suspended ? "suspended" :
			    t->running	 ? "running" :
			    t->queued	 ? "ready" : "idle";

	mn_fmt_duration(total, sizeof(total), t->run_ns);
	mn_fmt_duration(mean, sizeof(mean), t->runs ? t->run_ns / t->runs : 0);
	mn_texttable_cell(tt, "%d", t->pid);
	mn_texttable_cell(tt, "%s", t->name);
	mn_texttable_cell(tt, "%s", state);
	mn_texttable_cell(tt, "%llu", (unsigned long long)t->queued);
	mn_texttable_cell(tt, "%llu", (unsigned long long)t->runs);
	mn_texttable_cell(tt, "%s", total);
	mn_texttable_cell(tt, "%s", mean);
}

int mn_sched_format(struct mn_sched *s, struct mn_strbuf *out)
{
	struct mn_sched_task_stats *tasks = NULL;
	struct mn_sched_stats st;
	struct mn_texttable tt;
	size_t n, i;

	mn_prio_format_table(out);
	mn_sched_stats(s, &st);
	mn_strbuf_printf(out,
			 "\nworkers %u  submitted %llu  completed %llu  "
			 "queued %llu  running %llu  discarded %llu\n\n",
			 st.workers, (unsigned long long)st.submitted,
			 (unsigned long long)st.completed,
			 (unsigned long long)st.queued,
			 (unsigned long long)st.running,
			 (unsigned long long)st.discarded);
	n = mn_sched_list_tasks(s, NULL, 0);
	if (n) {
		tasks = calloc(n, sizeof(*tasks));
		if (!tasks)
			return -ENOMEM;
		i = mn_sched_list_tasks(s, tasks, n);
		if (i < n)	/* tasks went away meanwhile */
			n = i;
	}
	mn_texttable_init_header(&tt, ">PID|TASK|STATE|>QUEUED|>RUNS|>TOTAL|"
				 ">MEAN");
	for (i = 0; i < n; i++)
		format_task(&tasks[i], &tt);
	mn_texttable_render(&tt, out);
	mn_texttable_release(&tt);
	free(tasks);
	return mn_strbuf_error(out);
}
