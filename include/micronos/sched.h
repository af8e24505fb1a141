/*
 * sched - priority classes and the run queue of kernel work.
 *
 * Two jobs share this module.
 *
 * 1. Priority classes.  Every MicronOS process has one of five classes.  For
 *    a sandboxed program the class is a real host setting: the sandbox applies
 *    the class's nice value with setpriority() and, when it runs the program
 *    in a cgroup v2, writes the class's cpu.weight.  The two columns of the
 *    table below express the same CPU share: each weight is the kernel's
 *    sched_prio_to_weight[] entry for that nice value scaled so that nice 0 is
 *    cgroup v2's default weight 100 (the kernel's own cpu.weight.nice
 *    conversion), so a program gets the same share whichever knob applies.
 *
 * 2. A run queue of kernel work.  MicronOS's kernel tasks (timer service,
 *    health monitor, ...) are processes with pids; the work they do is
 *    submitted here as jobs owned by the task's pid.  Worker threads take
 *    jobs highest class first; within one class, owners are served round
 *    robin (one job per owner per turn), and one owner's jobs run one at a
 *    time in submission order (a task behaves like a thread of its own).
 *    Suspending a task holds its queued jobs until it is resumed: this is
 *    what makes `suspend <ktask pid>` really stop a service.
 *
 * Jobs are not preempted: a running job finishes, whatever is queued.
 *
 * Locking: one mutex per scheduler guards the queue and the statistics.  No
 * job function, discard function or other module is called with it held.
 * All functions are safe from any thread, including from inside a job
 * (except mn_sched_stop(), which refuses to run on a worker).
 */
#ifndef MICRONOS_SCHED_H
#define MICRONOS_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_clock;
struct mn_sched;

/*
 * Priority classes, lowest first: a higher value is served first.  The
 * numeric values are stable (shown in /sys and stored in configs).
 *
 *   class   nice  cpu.weight  why
 *   idle     19       1       only when nothing else wants the CPU; nice 19
 *                             is weight 15/1024, 1.5 % of a nice-0 task, the
 *                             smallest share both knobs can express
 *   low      10      11       batch work that must still progress (indexers,
 *                             builds): 110/1024, a tenth of normal
 *   normal    0     100       everything by default: the host default for both
 *   high    -10     932       interactive services that must stay responsive
 *                             under load: 9548/1024, ~9x normal
 *   urgent  -20    8668       the closest to real time a weight-based
 *                             scheduler gets (88761/1024); no SCHED_FIFO, so
 *                             a runaway urgent program cannot lock up the host
 */
enum mn_prio_class {
	MN_PRIO_IDLE,
	MN_PRIO_LOW,
	MN_PRIO_NORMAL,
	MN_PRIO_HIGH,
	MN_PRIO_URGENT,
	MN_PRIO__COUNT
};

#define MN_PRIO_DEFAULT MN_PRIO_NORMAL
#define MN_NICE_MIN (-20)
#define MN_NICE_MAX 19

struct mn_prio_desc {
	const char *name;	/* "idle", "low", "normal", "high", "urgent" */
	int nice;		/* host nice value (setpriority) */
	unsigned cpu_weight;	/* cgroup v2 cpu.weight, 1..10000 */
};

/* The row of a class; NULL out of range.  Static storage. */
const struct mn_prio_desc *mn_prio_desc(enum mn_prio_class cls);
/* "normal"...; "?" out of range. */
const char *mn_prio_name(enum mn_prio_class cls);
/* Parses a class name (case-insensitive) or its number; -EINVAL. */
int mn_prio_parse(const char *name);
int mn_prio_nice(enum mn_prio_class cls);		/* 0 out of range */
unsigned mn_prio_cpu_weight(enum mn_prio_class cls);	/* 100 out of range */
/*
 * The class whose nice value is nearest (ties toward normal): used when a
 * program renices itself.  Values are clamped to -20..19.
 */
enum mn_prio_class mn_prio_from_nice(int nice);

/* ------------------------------------------------------------------------ */
/* The run queue */

#define MN_SCHED_MAX_WORKERS 64
#define MN_SCHED_NAME_MAX 32	/* job and task names, NUL included */

/* What mn_sched_stop() does with queued jobs. */
enum mn_sched_stop_mode {
	/*
	 * Workers run every runnable job (including jobs those jobs submit)
	 * before they exit.  Jobs held by suspended tasks are not runnable:
	 * they are discarded.
	 */
	MN_SCHED_DRAIN,
	/* Every queued job is discarded; only running jobs finish. */
	MN_SCHED_DISCARD,
};

/* A job to submit.  Copied at submit; `name` is copied (truncated). */
struct mn_sched_job {
	int32_t owner;			/* pid of the kernel task (> 0) */
	enum mn_prio_class cls;
	void (*fn)(void *arg);		/* required; runs with no lock held */
	/*
	 * Called instead of fn when the job is dropped (discarding stop,
	 * cancel, forget, destroy) so arg can be freed.  May be NULL.
	 */
	void (*discard)(void *arg);
	void *arg;			/* borrowed until fn or discard ran */
	const char *name;		/* for statistics; NULL: "job" */
};

/* Per-task statistics (one record per owner pid ever submitted/named). */
struct mn_sched_task_stats {
	int32_t pid;
	char name[MN_SCHED_NAME_MAX];	/* task name or last job's name */
	int suspended;
	int running;			/* a job of it runs right now */
	uint64_t queued;		/* jobs waiting (held ones included) */
	uint64_t runs;			/* jobs completed */
	uint64_t run_ns;		/* total time in its jobs */
	uint64_t max_run_ns;		/* longest job */
	uint64_t discarded;		/* jobs dropped */
	uint64_t last_run_ns;		/* MicronOS time the last job ended */
};

struct mn_sched_stats {
	unsigned workers;		/* worker threads running */
	uint64_t submitted;
	uint64_t completed;
	uint64_t discarded;		/* includes cancelled */
	uint64_t queued;		/* jobs waiting now */
	uint64_t running;		/* jobs running now */
	uint64_t queued_by_class[MN_PRIO__COUNT];
	uint64_t completed_by_class[MN_PRIO__COUNT];
	uint64_t tasks;			/* task records */
};

/*
 * Creates a stopped scheduler (no workers; mn_sched_run_pending() works).
 * `clock` is borrowed and must outlive it; NULL uses host monotonic time.
 */
int mn_sched_create(struct mn_sched **out, const struct mn_clock *clock);
/*
 * Stops the workers (MN_SCHED_DISCARD), discards what is left (discard
 * functions run), frees.  Accepts NULL.  Must not be called from a job.
 */
void mn_sched_destroy(struct mn_sched *s);

/*
 * Starts `nworkers` (1..MN_SCHED_MAX_WORKERS) worker threads.  -EINVAL out
 * of range, -EALREADY if workers run, -errno if a thread cannot start (the
 * ones started are stopped again).
 */
int mn_sched_start(struct mn_sched *s, unsigned nworkers);
/*
 * Stops and joins the workers, draining or discarding queued work (see
 * enum mn_sched_stop_mode).  Submitting stays possible afterwards (jobs
 * queue until start or run_pending).  Returns 0 (also when no worker ran),
 * -EDEADLK if called from a worker thread (nothing is done).
 */
int mn_sched_stop(struct mn_sched *s, enum mn_sched_stop_mode mode);
int mn_sched_running(struct mn_sched *s);	/* 1 while workers run */

/*
 * Queues a job.  Returns the job id (> 0, unique) or -EINVAL (owner <= 0,
 * class out of range, fn NULL), -ENOMEM, -ESHUTDOWN while a stop is
 * discarding.  The job may run before this returns (on a worker).
 */
int64_t mn_sched_submit_job(struct mn_sched *s, const struct mn_sched_job *job);
/* Shorthand for mn_sched_submit_job() without a discard function. */
int64_t mn_sched_submit(struct mn_sched *s, int32_t owner_pid,
			enum mn_prio_class cls, void (*fn)(void *arg),
			void *arg, const char *name);
/*
 * Removes a queued job; its discard function runs (on this thread).
 * -ENOENT if it is not queued (it ran, runs, or never existed).
 */
int mn_sched_cancel(struct mn_sched *s, int64_t job_id);

/*
 * Runs up to `max` runnable jobs on the calling thread, in the order the
 * workers would (highest class, round robin, FIFO per task).  Returns how
 * many ran.  The deterministic way to drive the queue in tests; also works
 * while workers run (they compete for the jobs).
 */
size_t mn_sched_run_pending(struct mn_sched *s, size_t max);
/*
 * Waits until no runnable job is queued and none runs (jobs held by
 * suspended tasks do not count).  timeout_ms < 0 waits forever.  0, or
 * -EAGAIN on timeout.  Calling it from a job would wait for itself: -EDEADLK.
 */
int mn_sched_wait_idle(struct mn_sched *s, int timeout_ms);

/*
 * Task records.  A record is created by the first submit, name or suspend
 * for a pid.  Names a task (copied, truncated); -EINVAL for pid <= 0.
 */
int mn_sched_name_task(struct mn_sched *s, int32_t pid, const char *name);
/*
 * Holds the task's queued and future jobs (a running one finishes; this does
 * not wait for it).  Idempotent.  -EINVAL for pid <= 0, -ENOMEM.
 */
int mn_sched_suspend_task(struct mn_sched *s, int32_t pid);
/* Releases held jobs.  Idempotent; -ENOENT if the pid has no record. */
int mn_sched_resume_task(struct mn_sched *s, int32_t pid);
/*
 * Drops a task (it exited): its queued jobs are discarded and its record
 * removed once a running job of it ends.  Returns the number of jobs
 * discarded, -ENOENT if no record.
 */
int mn_sched_forget_task(struct mn_sched *s, int32_t pid);

/* Statistics of one task: 0 or -ENOENT. */
int mn_sched_task_stats(struct mn_sched *s, int32_t pid,
			struct mn_sched_task_stats *out);
/*
 * Copies up to `max` task records by ascending pid; returns how many tasks
 * exist (may be more than max; out may be NULL when max is 0).
 */
size_t mn_sched_list_tasks(struct mn_sched *s, struct mn_sched_task_stats *out,
			   size_t max);
void mn_sched_stats(struct mn_sched *s, struct mn_sched_stats *out);

/*
 * Text for the shell and /sys: the class table, the totals and one line per
 * task (pid, name, state, queued, runs, total and mean run time).  -ENOMEM.
 */
int mn_sched_format(struct mn_sched *s, struct mn_strbuf *out);
/* The class table alone ("class nice weight" lines). */
int mn_prio_format_table(struct mn_strbuf *out);

#endif
