/*
 * timer - the MicronOS timer service.
 *
 * Named one-shot and periodic timers with real deadlines on the host's
 * CLOCK_MONOTONIC.  One timer thread sleeps (on a condition variable bound to
 * CLOCK_MONOTONIC) until the earliest deadline of a min-heap.  On expiry it
 * publishes TimerExpired (source timer, pid = owner, text
 * "name=NAME id=ID count=N") and, if the timer has a callback, hands the
 * callback to the runner (struct mn_runner: the kernel's scheduler, on behalf
 * of the owner pid) or calls it itself when there is no runner.  Creating and
 * cancelling publish Custom(200) ("create name=NAME id=ID ms=MS periodic=0|1",
 * "cancel name=NAME id=ID").
 *
 * Lateness: a timer that fires late (busy machine, paused service, stopped
 * thread) fires once; a periodic timer then skips the periods it missed, its
 * next deadline staying on its original grid (first deadline + k * period),
 * and counts them in `missed`.  `count` is the number of times it fired.
 *
 * Callbacks: at most one dispatch of a timer is outstanding at a time; if a
 * periodic timer expires while its previous callback is still queued or
 * running, the event is published but the callback is not queued again (the
 * expiry counts in `coalesced`).  A callback receives the fire count as of
 * when it runs.
 *
 * Cancel: after mn_timers_cancel() returns, the timer's callback is not
 * running and will not start (a dispatch still queued on the runner is
 * skipped when the runner gets to it), except when cancel is called from the
 * timer's own callback, which then returns normally and is not called again.
 * So the callback's arg may be freed once cancel returns.  A callback must
 * not wait for something that waits on cancel of the same timer.
 *
 * Pause: mn_timers_pause() keeps the thread but fires nothing (the kernel
 * uses it when the timer task is suspended); mn_timers_resume() fires what
 * fell due meanwhile, once each, as described under Lateness.  Stop is
 * similar but ends the thread (joined); timers stay armed.
 *
 * One-shot timers that fired stay listed in state "expired" (so `timers`
 * shows what happened) until cancelled; the oldest are dropped beyond
 * MN_TIMERS_KEEP_EXPIRED.  Expired timers do not count toward the maximum.
 *
 * Locking: one mutex guards the heap and every timer; the event bus (a
 * leaf) is the only module called under it.  Callbacks and the runner are
 * called without it.
 */
#ifndef MICRONOS_TIMER_H
#define MICRONOS_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/runner.h>
#include <micronos/strbuf.h>

struct mn_clock;
struct mn_evbus;
struct mn_timers;

/* Names: 1..MN_TIMER_NAME_MAX-1 printable characters without blanks. */
#define MN_TIMER_NAME_MAX 32
/* Longest delay or period, ms (about 24.8 days, as setTimeout). */
#define MN_TIMER_MAX_MS 2147483647LL
#define MN_TIMERS_DEFAULT_MAX 256
#define MN_TIMERS_KEEP_EXPIRED 32

enum mn_timer_state {
	MN_TIMER_ARMED,		/* waiting for its deadline */
	MN_TIMER_EXPIRED,	/* a one-shot that fired */
};

struct mn_timer_info {
	int id;			/* 1, 2, ...; never reused */
	char name[MN_TIMER_NAME_MAX];
	int32_t owner;		/* pid the callback runs for */
	int periodic;
	uint64_t period_ms;	/* the create ms (delay of a one-shot) */
	uint64_t next_ns;	/* MicronOS time of the next deadline
				 * (armed), of the firing (expired) */
	uint64_t count;		/* times fired */
	uint64_t missed;	/* periods skipped because it fired late */
	uint64_t coalesced;	/* expiries whose callback was not queued */
	int has_callback;
	enum mn_timer_state state;
};

/*
 * Creates the service, with no thread yet (mn_timers_start).  `bus`,
 * `clock` and `runner` are borrowed and must outlive the service; each may
 * be NULL (no events; host monotonic time; callbacks on the timer thread).
 * The runner struct is copied.  max: most armed timers (0: default;
 * -EINVAL above 100000).
 */
int mn_timers_create(struct mn_timers **out, struct mn_evbus *bus,
		     const struct mn_clock *clock,
		     const struct mn_runner *runner, size_t max);
/*
 * Stops the thread, cancels every timer (waiting for running callbacks, as
 * cancel does) and frees.  Dispatches still queued on the runner run later
 * as no-ops.  Accepts NULL.  Must not be called from a timer callback.
 */
void mn_timers_destroy(struct mn_timers *t);

/* Starts the timer thread.  -EALREADY if running, -errno from pthreads. */
int mn_timers_start(struct mn_timers *t);
/*
 * Stops and joins the thread; timers stay armed and fire (late) after the
 * next start.  Idempotent.  Must not be called from a callback run on the
 * timer thread.
 */
void mn_timers_stop(struct mn_timers *t);
/* Pause/resume firing (see above).  Idempotent. */
void mn_timers_pause(struct mn_timers *t);
void mn_timers_resume(struct mn_timers *t);
int mn_timers_paused(struct mn_timers *t);

/* Changes the most armed timers allowed (1..100000); -EINVAL. */
int mn_timers_set_max(struct mn_timers *t, size_t max);

/*
 * Creates a timer that first fires `ms` milliseconds from now (one-shot:
 * 0..MN_TIMER_MAX_MS; periodic: 1..MN_TIMER_MAX_MS, then every ms).  `cb`
 * may be NULL (event only); it is called as cb(arg, id, count) through the
 * runner for `owner` (a pid; 0: the kernel).  `arg` is borrowed until the
 * timer is cancelled (or the service destroyed).  `name` is copied.
 * Returns the id (> 0), or -EINVAL (name, ms) or -ENOSPC (max armed timers
 * reached), with a message in err (may be NULL).
 */
int mn_timers_create_timer(struct mn_timers *t, const char *name, int64_t ms,
			   int periodic,
			   void (*cb)(void *arg, int id, uint64_t count),
			   void *arg, int32_t owner, struct mn_strbuf *err);
/*
 * Cancels and forgets a timer (armed or expired): 0, or -ENOENT if no timer
 * has that id.  Semantics with a running callback: see above.
 */
/*
 * Marks a timer as kernel housekeeping (the health tick, network sync):
 * it fires as usual but publishes no TimerExpired, so periodic internals do
 * not push people's events out of the history.  -ENOENT if unknown.
 */
int mn_timers_set_quiet(struct mn_timers *t, int id, int quiet);
int mn_timers_cancel(struct mn_timers *t, int id);

/* One timer's state; -ENOENT. */
int mn_timers_get(struct mn_timers *t, int id, struct mn_timer_info *out);
/*
 * Copies up to max timers, armed ones first by deadline, then expired ones
 * newest first.  Returns the number of timers (may exceed max).
 */
int mn_timers_list(struct mn_timers *t, struct mn_timer_info *out, size_t max);
/* Armed timers (what counts toward the max). */
size_t mn_timers_count(struct mn_timers *t);

/*
 * The shell's `timers`: an aligned table with a header row
 *   ID  NAME  TYPE      PERIOD  NEXT         FIRED  OWNER  STATE
 *   1   t     one-shot  500ms   in 312.4 ms  0      0      armed
 * (NEXT is "due" when late, "-" once expired) and a last line
 * "N armed, M expired[, paused]".  0 or -ENOMEM.
 */
int mn_timers_format(struct mn_timers *t, struct mn_strbuf *out);
const char *mn_timer_state_name(enum mn_timer_state state);

#endif
