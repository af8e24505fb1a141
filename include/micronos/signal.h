/*
 * signal - the MicronOS signal service (module "signals").
 *
 * Linux signal numbers 1..64 (SIGHUP 1 ... SIGRTMAX 64), Linux semantics
 * where it matters.  Each process has a pending set, a blocked mask and a
 * disposition per signal (default, ignore, handled by the owner).  Sets are
 * uint64_t with bit (sig - 1) for sig.
 *
 * mn_signals_kill() checks, marks the signal pending, publishes
 * SignalReceived, then delivers whatever is deliverable:
 *   - order: SIGKILL first, then the standard signals 1..31 lowest number
 *     first, then the real-time signals 32..64 lowest first.  A signal is
 *     pending at most once (real-time signals are not queued more deeply);
 *   - blocked signals stay pending until unblocked (delivered at unblock);
 *     SIGKILL and SIGSTOP cannot be blocked, ignored or handled (-EINVAL);
 *   - a stopped process takes only SIGKILL; the rest wait for SIGCONT;
 *   - SIGCONT resumes a stopped process when it is sent, whatever the mask,
 *     and discards pending stop signals; a stop signal discards a pending
 *     SIGCONT (POSIX);
 *   - default actions (Linux's table): terminate (the process exits with a
 *     signalled wait status, MN_W_SIGNALED(sig), | MN_W_COREDUMP for the
 *     core-dumping ones), stop (mn_proc_suspend), continue (mn_proc_resume),
 *     ignore;
 *   - handled: the owner's handler (mn_signals_set_handler) is called outside
 *     every lock; without a handler the signal stays pending until the owner
 *     takes it with mn_signals_dequeue().
 *
 * Kind by kind:
 *   - user processes with no host process: as above, entirely in MicronOS;
 *   - host-backed user processes (host_pid != 0) with a host hook set: the
 *     signal goes to the real program through the hook (outside locks), which
 *     applies its own mask and handlers; MicronOS keeps no pending state for
 *     it.  The sandbox updates the table as the program's fate shows (exit
 *     via mn_proc_exit).  Because SIGSTOP and SIGCONT cannot be caught, a
 *     successful hook for them also records stopped/running here at once.
 *     Without a hook they are treated as MicronOS processes;
 *   - kernel tasks: stop/continue suspend/resume the task in the scheduler
 *     (given at create) and in the table; handled signals reach the service's
 *     handler; a signal whose action would terminate is refused (-EPERM):
 *     services are stopped by the kernel, not killed;
 *   - init: only handled and ignored signals are accepted, others -EPERM
 *     (Linux protects init the same way); never forwarded to the host hook,
 *     even when a real program stands behind pid 1.
 *   - zombies: accepted and discarded (Linux).
 *
 * Per-process state is created on first use and tied to the process record
 * by its serial number, so a reused pid starts clean.  mn_signals_fork()
 * copies mask and dispositions to a child; mn_signals_exec() resets handled
 * signals to default as execve does.
 *
 * Locking: one mutex per service guards the per-process state and the
 * statistics.  It calls the bus while holding it; the process table, the
 * scheduler, handlers and the host hook are called with it released.
 */
#ifndef MICRONOS_SIGNAL_H
#define MICRONOS_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/proc.h>
#include <micronos/strbuf.h>

struct mn_evbus;
struct mn_proctab;
struct mn_sched;
struct mn_signals;

#define MN_SIG_MAX 64		/* highest signal number (SIGRTMAX) */
#define MN_SIG_RTMIN 34		/* SIGRTMIN as glibc shows it */
#define MN_SIGBIT(sig) (1ULL << ((sig) - 1))

enum mn_sig_disp {
	MN_SIG_DFL,		/* the default action */
	MN_SIG_IGN,		/* discarded when delivered */
	MN_SIG_HANDLE,		/* handled by the owner */
};

enum mn_sig_action {
	MN_SIGACT_TERM,
	MN_SIGACT_CORE,		/* terminate with a core-dump status */
	MN_SIGACT_STOP,
	MN_SIGACT_CONT,
	MN_SIGACT_IGN,
};

/* mask operations as sigprocmask() */
enum mn_sig_how {
	MN_SIG_BLOCK,
	MN_SIG_UNBLOCK,
	MN_SIG_SETMASK,
};

struct mn_signals_stats {
	uint64_t sent;		/* accepted by kill */
	uint64_t delivered;	/* actions applied or handed to handlers */
	uint64_t ignored;	/* discarded (ignored, zombie target) */
	uint64_t to_host;	/* handed to the host hook */
	uint64_t refused;	/* kill errors */
	uint64_t by_signal[MN_SIG_MAX + 1];	/* accepted, per number */
};

/*
 * Creates the service.  `pt` and `bus` are borrowed and must outlive it;
 * `sched` (borrowed, may be NULL) suspends/resumes kernel tasks; `bus` may be
 * NULL (no events).  -EINVAL if pt is NULL.
 */
int mn_signals_create(struct mn_signals **out, struct mn_proctab *pt,
		      struct mn_sched *sched, struct mn_evbus *bus);
void mn_signals_destroy(struct mn_signals *sigs);

/*
 * Delivery to real programs: fn(arg, pid, host_pid, sig) returns 0 or -errno
 * (which kill returns).  Called outside locks from the killing thread.  NULL
 * removes it.
 */
/*
 * Kernel tasks: fn(arg, pid, stopped) is called (outside locks) when a stop
 * or continue signal suspends or resumes a kernel task, before its scheduler
 * work is held or released, so the service it stands for can pause threads
 * of its own (timerd pauses the timer thread).  NULL removes it.
 */
void mn_signals_set_ktask_hook(struct mn_signals *sigs,
			       void (*fn)(void *arg, int32_t pid, int stopped),
			       void *arg);
void mn_signals_set_host_hook(struct mn_signals *sigs,
			      int (*fn)(void *arg, int32_t pid,
					int32_t host_pid, int sig),
			      void *arg);

/*
 * Sends sig (0..64; 0 checks existence and permission only) to pid.
 * `sender` is borrowed; NULL means the kernel (always allowed).  Otherwise
 * allowed when sender->uid is 0 or equals the target's uid or euid.
 * Returns 0, or -EINVAL (bad sig, pid <= 0), -ESRCH (no such process),
 * -EPERM (credentials, init, kernel task), the host hook's error, -ENOMEM.
 * Process groups and kill(-1) are not supported (-EINVAL).
 */
int mn_signals_kill(struct mn_signals *sigs, const struct mn_cred *sender,
		    int32_t pid, int sig);

/* Pending set of pid (0 if it has no state yet).  0 or -ESRCH. */
int mn_signals_pending(struct mn_signals *sigs, int32_t pid, uint64_t *out);
/*
 * sigprocmask(): applies `set` (may be NULL: only reads) with `how`, stores
 * the previous mask in *old (may be NULL).  SIGKILL and SIGSTOP bits are
 * silently dropped from the mask (as Linux does).  Signals unblocked by it
 * are delivered before it returns.  0, -EINVAL, -ESRCH.
 */
int mn_signals_mask(struct mn_signals *sigs, int32_t pid, enum mn_sig_how how,
		    const uint64_t *set, uint64_t *old);
/*
 * Disposition of one signal (1..64).  IGN or HANDLE for SIGKILL/SIGSTOP is
 * -EINVAL.  Setting IGN discards the signal if pending (POSIX).  Setting it
 * delivers what became deliverable.  0, -EINVAL, -ESRCH.
 */
int mn_signals_set_disp(struct mn_signals *sigs, int32_t pid, int sig,
			enum mn_sig_disp disp);
/* The disposition (>= 0), or -EINVAL, -ESRCH. */
int mn_signals_get_disp(struct mn_signals *sigs, int32_t pid, int sig);
/*
 * The owner's handler for its MN_SIG_HANDLE signals: fn(arg, pid, sig) runs
 * outside locks on the thread that delivers.  Setting one delivers handled
 * signals already pending.  NULL removes it.  0, -ESRCH, -ENOMEM.
 */
int mn_signals_set_handler(struct mn_signals *sigs, int32_t pid,
			   void (*fn)(void *arg, int32_t pid, int sig),
			   void *arg);
/*
 * Takes the next pending, unblocked, handled signal of pid (delivery order):
 * returns it (> 0), 0 if none, -ESRCH.
 */
int mn_signals_dequeue(struct mn_signals *sigs, int32_t pid);

/* fork: child gets parent's mask and dispositions, nothing pending. */
int mn_signals_fork(struct mn_signals *sigs, int32_t parent, int32_t child);
/* execve: handled signals go back to default; handler removed. */
int mn_signals_exec(struct mn_signals *sigs, int32_t pid);

void mn_signals_stats(struct mn_signals *sigs, struct mn_signals_stats *out);

/*
 * For the shell's `signals`: the signal table (number, name, default
 * action), the statistics, then one line per process that has signal state:
 * pid, pending, blocked, ignored, handled sets as names ("-" when empty).
 * pid > 0 lists that process only (-ESRCH if missing).  -ENOMEM.
 */
int mn_signals_format(struct mn_signals *sigs, int32_t pid,
		      struct mn_strbuf *out);
/* A set as "HUP,INT,TERM" ("-" if empty), appended to out. */
int mn_sigset_format(uint64_t set, struct mn_strbuf *out);

/* Pure helpers, no service needed. */
/* "SIGTERM", "SIGRTMIN+3", "SIGRTMAX"; NULL out of 1..64.  Static. */
const char *mn_signal_name(int sig);
/*
 * "SIGTERM", "TERM", "sigterm", "15", "RTMIN+2", "SIGRTMAX-1" -> number;
 * -EINVAL if unknown or out of range.  0 is accepted as a number ("0").
 */
int mn_signal_parse(const char *name);
enum mn_sig_action mn_signal_default_action(int sig);	/* IGN if invalid */
const char *mn_sig_action_name(enum mn_sig_action act);	/* "terminate" ... */
const char *mn_sig_disp_name(enum mn_sig_disp disp);	/* "default" ... */

#endif
