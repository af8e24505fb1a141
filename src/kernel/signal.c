/*
 * signal - the MicronOS signal service (module "signals").
 *
 * Sending is split in two: generation (checks, pending bit, event) and
 * delivery (take the next deliverable signal, apply its action), so that a
 * signal blocked at generation is delivered by the same code when the mask
 * or disposition changes later.  Actions are applied to the process table,
 * the scheduler (kernel tasks), an owner's handler or, for real programs,
 * the sandbox's host hook; all of those are called with our lock released,
 * so delivery re-reads the process and the signal state on every step.
 *
 * Per-process state sits in a small hash by pid and carries the serial of
 * the process record it belongs to: a mismatch means the pid was reused and
 * the state is stale.  Stale states of processes that went away are swept
 * now and then (amortised: when the count doubles).
 *
 * Locking: sigs->lock guards the hash, the states, the hook and the
 * statistics.  Only the bus is called with it held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <micronos/evbus.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/signal.h>

#include "texttable_i.h"

#define NBUCKETS 256
#define SWEEP_MIN 64

#define BIT(sig) MN_SIGBIT(sig)
#define UNBLOCKABLE (BIT(9) | BIT(19))	/* SIGKILL, SIGSTOP */
#define STOP_SIGS (BIT(19) | BIT(20) | BIT(21) | BIT(22))
#define SIG_KILL 9
#define SIG_STOP 19
#define SIG_CONT 18

struct sigstate {
	struct sigstate *next;
	int32_t pid;
	uint64_t serial;		/* of the process record */
	uint64_t pending, blocked;
	uint8_t disp[MN_SIG_MAX + 1];
	void (*handler)(void *arg, int32_t pid, int sig);
	void *harg;
};

struct mn_signals {
	pthread_mutex_t lock;
	struct mn_proctab *pt;		/* borrowed; set once */
	struct mn_sched *sched;		/* borrowed, may be NULL; set once */
	struct mn_evbus *bus;		/* borrowed, may be NULL; set once */

	/* protected by lock: */
	struct sigstate *b[NBUCKETS];
	size_t n, sweep_at;
	int (*host_hook)(void *arg, int32_t pid, int32_t host_pid, int sig);
	void *host_arg;
	void (*ktask_hook)(void *arg, int32_t pid, int stopped);
	void *ktask_arg;
	struct mn_signals_stats st;
};

/* ------------------------------------------------------------------------ */
/* Per-process state (lock held) */

static struct sigstate **slot(struct mn_signals *sigs, int32_t pid)
{
	return &sigs->b[(uint32_t)pid % NBUCKETS];
}

static void state_reset(struct sigstate *st, uint64_t serial)
{
	struct sigstate *next = st->next;
	int32_t pid = st->pid;

	memset(st, 0, sizeof(*st));
	st->next = next;
	st->pid = pid;
	st->serial = serial;
}

/* The state of (pid, serial); with `create`, made (or reset) if needed. */
static struct sigstate *state_get(struct mn_signals *sigs,
				  const struct mn_proc_info *pi, int create)
{
	struct sigstate *st;

	for (st = *slot(sigs, pi->pid); st; st = st->next)
		if (st->pid == pi->pid)
			break;
	if (st && st->serial != pi->serial) {
		if (!create)
			return NULL;
		state_reset(st, pi->serial);	/* the pid was reused */
	}
	if (st || !create)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->pid = pi->pid;
	st->serial = pi->serial;
	st->next = *slot(sigs, pi->pid);
	*slot(sigs, pi->pid) = st;
	sigs->n++;
	return st;
}

static void state_del(struct mn_signals *sigs, int32_t pid, uint64_t serial)
{
	struct sigstate **pp, *st;

	for (pp = slot(sigs, pid); (st = *pp); pp = &st->next) {
		if (st->pid == pid && st->serial == serial) {
			*pp = st->next;
			free(st);
			sigs->n--;
			return;
		}
	}
}

/*
 * Drops states whose process is gone.  Called without the lock: it asks the
 * process table about each state, then deletes under the lock.
 */
static void sweep(struct mn_signals *sigs)
{
	struct { int32_t pid; uint64_t serial; } *v;
	struct mn_proc_info pi;
	size_t n = 0, i, k;

	pthread_mutex_lock(&sigs->lock);
	v = malloc((sigs->n ? sigs->n : 1) * sizeof(*v));
	for (k = 0; v && k < NBUCKETS; k++) {
		struct sigstate *st;

		for (st = sigs->b[k]; st; st = st->next, n++) {
			v[n].pid = st->pid;
			v[n].serial = st->serial;
		}
	}
	pthread_mutex_unlock(&sigs->lock);
	for (i = 0; i < n; i++) {
		int gone = mn_proc_get(sigs->pt, v[i].pid, &pi) < 0 ||
			   pi.serial != v[i].serial ||
			   pi.state >= MN_PROC_ZOMBIE;

		if (!gone)
			continue;
		pthread_mutex_lock(&sigs->lock);
		state_del(sigs, v[i].pid, v[i].serial);
		pthread_mutex_unlock(&sigs->lock);
	}
	free(v);
	pthread_mutex_lock(&sigs->lock);
	sigs->sweep_at = sigs->n * 2 > SWEEP_MIN ? sigs->n * 2 : SWEEP_MIN;
	pthread_mutex_unlock(&sigs->lock);
}

/* ------------------------------------------------------------------------ */
/* Lifecycle */

int mn_signals_create(struct mn_signals **out, struct mn_proctab *pt,
		      struct mn_sched *sched, struct mn_evbus *bus)
{
	struct mn_signals *sigs;

	if (!pt)
		return -EINVAL;
	sigs = calloc(1, sizeof(*sigs));
	if (!sigs)
		return -ENOMEM;
	pthread_mutex_init(&sigs->lock, NULL);
	sigs->pt = pt;
	sigs->sched = sched;
	sigs->bus = bus;
	sigs->sweep_at = SWEEP_MIN;
	*out = sigs;
	return 0;
}

void mn_signals_destroy(struct mn_signals *sigs)
{
	size_t k;

	if (!sigs)
		return;
	for (k = 0; k < NBUCKETS; k++) {
		while (sigs->b[k]) {
			struct sigstate *st = sigs->b[k];

			sigs->b[k] = st->next;
			free(st);
		}
	}
	pthread_mutex_destroy(&sigs->lock);
	free(sigs);
}

void mn_signals_set_host_hook(struct mn_signals *sigs,
			      int (*fn)(void *arg, int32_t pid,
					int32_t host_pid, int sig),
			      void *arg)
{
	pthread_mutex_lock(&sigs->lock);
	sigs->host_hook = fn;
	sigs->host_arg = arg;
	pthread_mutex_unlock(&sigs->lock);
}

void mn_signals_set_ktask_hook(struct mn_signals *sigs,
			       void (*fn)(void *arg, int32_t pid, int stopped),
			       void *arg)
{
	pthread_mutex_lock(&sigs->lock);
	sigs->ktask_hook = fn;
	sigs->ktask_arg = arg;
	pthread_mutex_unlock(&sigs->lock);
}

/* ------------------------------------------------------------------------ */
/* Delivery */

/* Next deliverable signal of st, in delivery order; 0 if none. */
static int next_deliverable(const struct sigstate *st, int stopped)
{
	uint64_t ready = st->pending & ~(st->blocked & ~UNBLOCKABLE);
	int sig;

	if (stopped)	/* a stopped process takes only SIGKILL */
		ready &= BIT(SIG_KILL);
	if (ready & BIT(SIG_KILL))
		return SIG_KILL;
	for (sig = 1; sig <= MN_SIG_MAX; sig++) {
		if (!(ready & BIT(sig)))
			continue;
		/* handled with nobody to handle it: wait for dequeue */
		if (st->disp[sig] == MN_SIG_HANDLE && !st->handler)
			continue;
		return sig;
	}
	return 0;
}

/* Stop or continue: the table, and the scheduler for kernel tasks. */
static void apply_stop_cont(struct mn_signals *sigs,
			    const struct mn_proc_info *pi, int stop)
{
	void (*hook)(void *, int32_t, int);
	void *arg;

	pthread_mutex_lock(&sigs->lock);
	hook = sigs->ktask_hook;
	arg = sigs->ktask_arg;
	pthread_mutex_unlock(&sigs->lock);
	if (pi->kind == MN_PROC_KTASK && hook)
		hook(arg, pi->pid, stop);
	if (stop) {
		mn_proc_suspend(sigs->pt, pi->pid);
		if (pi->kind == MN_PROC_KTASK && sigs->sched)
			mn_sched_suspend_task(sigs->sched, pi->pid);
	} else {
		mn_proc_resume(sigs->pt, pi->pid);
		if (pi->kind == MN_PROC_KTASK && sigs->sched)
			mn_sched_resume_task(sigs->sched, pi->pid);
	}
}

/* What delivering one signal does, decided under the lock. */
struct delivery {
	int sig;
	enum mn_sig_action act;
	void (*handler)(void *arg, int32_t pid, int sig);
	void *harg;
};

static int take_one(struct mn_signals *sigs, const struct mn_proc_info *pi,
		    struct delivery *d)
{
	struct sigstate *st = state_get(sigs, pi, 0);

	memset(d, 0, sizeof(*d));
	d->sig = st ? next_deliverable(st, pi->state == MN_PROC_STOPPED) : 0;
	if (!d->sig)
		return 0;
	st->pending &= ~BIT(d->sig);
	d->act = mn_signal_default_action(d->sig);
	if (st->disp[d->sig] == MN_SIG_IGN) {
		d->act = MN_SIGACT_IGN;
	} else if (st->disp[d->sig] == MN_SIG_HANDLE) {
		d->handler = st->handler;
		d->harg = st->harg;
	} else if (pi->kind != MN_PROC_USER && (d->act == MN_SIGACT_TERM ||
						d->act == MN_SIGACT_CORE)) {
		/* the disposition changed since kill checked it */
		d->act = MN_SIGACT_IGN;
	}
	if (d->act == MN_SIGACT_IGN && !d->handler)
		sigs->st.ignored++;
	else
		sigs->st.delivered++;
	return 1;
}

/* Applies one delivery (no lock held); 1 if the process is gone. */
static int apply(struct mn_signals *sigs, const struct mn_proc_info *pi,
		 const struct delivery *d)
{
	if (d->handler) {
		d->handler(d->harg, pi->pid, d->sig);
		return 0;
	}
	switch (d->act) {
	case MN_SIGACT_TERM:
	case MN_SIGACT_CORE:
		mn_proc_exit(sigs->pt, pi->pid,
			     MN_W_SIGNALED(d->sig) |
				     (d->act == MN_SIGACT_CORE ? MN_W_COREDUMP
							       : 0));
		return 1;
	case MN_SIGACT_STOP:
		apply_stop_cont(sigs, pi, 1);
		return 0;
	case MN_SIGACT_CONT:	/* the resume happened at generation */
	case MN_SIGACT_IGN:
		return 0;
	}
	return 0;
}

/* Delivers everything deliverable to pid, one signal at a time. */
static void deliver(struct mn_signals *sigs, int32_t pid)
{
	struct mn_proc_info pi;
	struct delivery d;
	int gone = 0;

	while (!gone && mn_proc_get(sigs->pt, pid, &pi) == 0) {
		if (pi.state >= MN_PROC_ZOMBIE) {
			gone = 1;
			break;
		}
		pthread_mutex_lock(&sigs->lock);
		if (!take_one(sigs, &pi, &d)) {
			pthread_mutex_unlock(&sigs->lock);
			return;
		}
		pthread_mutex_unlock(&sigs->lock);
		gone = apply(sigs, &pi, &d);
	}
	if (gone) {
		pthread_mutex_lock(&sigs->lock);
		state_del(sigs, pid, pi.serial);
		pthread_mutex_unlock(&sigs->lock);
	}
}

/* ------------------------------------------------------------------------ */
/* Generation */

static void publish_signal(struct mn_signals *sigs, const struct mn_cred *from,
			   const struct mn_proc_info *pi, int sig,
			   const char *note)
{
	int by_process = from && from->pid > 0;

	if (!sigs->bus)
		return;
	if (by_process)
		mn_evbus_publish(sigs->bus, MN_EV_SIGNAL_RECEIVED,
				 MN_SRC_PROCESS, pi->pid,
				 "%s to pid %d (%s) from pid %d uid %u%s",
				 mn_signal_name(sig), pi->pid, pi->comm,
				 from->pid, from->uid, note);
	else
		mn_evbus_publish(sigs->bus, MN_EV_SIGNAL_RECEIVED,
				 MN_SRC_KERNEL, pi->pid,
				 "%s to pid %d (%s) from the kernel%s",
				 mn_signal_name(sig), pi->pid, pi->comm, note);
}

/*
 * Checks the target's kind against the disposition, marks the signal
 * pending (or drops it if ignored), applies SIGCONT/stop rules.  *resume is
 * set when SIGCONT must resume a stopped process.
 */
static int generate_locked(struct mn_signals *sigs,
			   const struct mn_proc_info *pi, int sig, int *resume)
{
	struct sigstate *st = state_get(sigs, pi, 1);
	enum mn_sig_action act = mn_signal_default_action(sig);
	uint64_t bit = BIT(sig);
	int disp;

	if (!st)
		return -ENOMEM;
	disp = st->disp[sig];
	if (pi->kind == MN_PROC_INIT && disp == MN_SIG_DFL)
		return -EPERM;	/* init takes handled/ignored signals only */
	if (pi->kind == MN_PROC_KTASK && disp == MN_SIG_DFL &&
	    (act == MN_SIGACT_TERM || act == MN_SIGACT_CORE))
		return -EPERM;	/* services are stopped by the kernel */
	if (sig == SIG_CONT) {
		st->pending &= ~STOP_SIGS;
		*resume = pi->state == MN_PROC_STOPPED;
	}
	if (bit & STOP_SIGS)
		st->pending &= ~BIT(SIG_CONT);
	sigs->st.sent++;
	sigs->st.by_signal[sig]++;
	if (!(st->blocked & bit & ~UNBLOCKABLE) &&
	    (disp == MN_SIG_IGN || (disp == MN_SIG_DFL && act == MN_SIGACT_IGN)))
		sigs->st.ignored++;	/* discarded at generation (Linux) */
	else
		st->pending |= bit;
	return 0;
}

/* Hands the signal to the real program; mirrors what cannot be caught. */
static int kill_host(struct mn_signals *sigs, const struct mn_cred *from,
		     const struct mn_proc_info *pi, int sig)
{
	int (*hook)(void *, int32_t, int32_t, int) = sigs->host_hook;
	void *arg = sigs->host_arg;
	int err;

	sigs->st.sent++;
	sigs->st.by_signal[sig]++;
	sigs->st.to_host++;
	publish_signal(sigs, from, pi, sig, " (host)");
	pthread_mutex_unlock(&sigs->lock);

	err = hook(arg, pi->pid, pi->host_pid, sig);
	if (err == 0 && sig == SIG_STOP)
		mn_proc_suspend(sigs->pt, pi->pid);
	else if (err == 0 && sig == SIG_CONT)
		mn_proc_resume(sigs->pt, pi->pid);
	if (err > 0)
		err = -err;	/* a hook that forgot the sign */
	if (err) {
		pthread_mutex_lock(&sigs->lock);
		sigs->st.refused++;
		pthread_mutex_unlock(&sigs->lock);
	}
	return err;
}

static int check_kill(struct mn_signals *sigs, const struct mn_cred *from,
		      int32_t pid, int sig, struct mn_proc_info *pi)
{
	if (sig < 0 || sig > MN_SIG_MAX || pid <= 0)
		return -EINVAL;
	if (mn_proc_get(sigs->pt, pid, pi) < 0)
		return -ESRCH;
	if (from && from->uid != 0 && from->uid != pi->uid &&
	    from->uid != pi->euid)
		return -EPERM;
	return 0;
}

int mn_signals_kill(struct mn_signals *sigs, const struct mn_cred *sender,
		    int32_t pid, int sig)
{
	struct mn_proc_info pi;
	int err, resume = 0, need_sweep;

	err = check_kill(sigs, sender, pid, sig, &pi);
	pthread_mutex_lock(&sigs->lock);
	if (err)
		sigs->st.refused++;
	if (err || sig == 0) {
		pthread_mutex_unlock(&sigs->lock);
		return err;
	}
	if (pi.state >= MN_PROC_ZOMBIE) {
		sigs->st.sent++;
		sigs->st.ignored++;
		pthread_mutex_unlock(&sigs->lock);
		return 0;
	}
	/* init may have a real program behind it too: it stays protected */
	if (pi.host_pid && sigs->host_hook && pi.kind == MN_PROC_USER)
		return kill_host(sigs, sender, &pi, sig);	/* unlocks */
	err = generate_locked(sigs, &pi, sig, &resume);
	if (err)
		sigs->st.refused++;
	else
		publish_signal(sigs, sender, &pi, sig, "");
	need_sweep = sigs->n >= sigs->sweep_at;
	pthread_mutex_unlock(&sigs->lock);
	if (err)
		return err;
	if (resume)
		apply_stop_cont(sigs, &pi, 0);
	deliver(sigs, pid);
	if (need_sweep)
		sweep(sigs);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Masks, dispositions, handlers */

int mn_signals_pending(struct mn_signals *sigs, int32_t pid, uint64_t *out)
{
	struct mn_proc_info pi;
	struct sigstate *st;

	if (mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	st = state_get(sigs, &pi, 0);
	*out = st ? st->pending : 0;
	pthread_mutex_unlock(&sigs->lock);
	return 0;
}

int mn_signals_mask(struct mn_signals *sigs, int32_t pid, enum mn_sig_how how,
		    const uint64_t *set, uint64_t *old)
{
	struct mn_proc_info pi;
	struct sigstate *st;
	int err = 0;

	if ((unsigned)how > MN_SIG_SETMASK)
		return -EINVAL;
	if (mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	st = state_get(sigs, &pi, set != NULL);
	if (old)
		*old = st ? st->blocked : 0;
	if (set && !st)
		err = -ENOMEM;
	else if (set && how == MN_SIG_BLOCK)
		st->blocked |= *set;
	else if (set && how == MN_SIG_UNBLOCK)
		st->blocked &= ~*set;
	else if (set)
		st->blocked = *set;
	if (st)
		st->blocked &= ~UNBLOCKABLE;
	pthread_mutex_unlock(&sigs->lock);
	if (set && !err)
		deliver(sigs, pid);
	return err;
}

static int sig_ok(int sig)
{
	return sig >= 1 && sig <= MN_SIG_MAX;
}

int mn_signals_set_disp(struct mn_signals *sigs, int32_t pid, int sig,
			enum mn_sig_disp disp)
{
	struct mn_proc_info pi;
	struct sigstate *st;

	if (!sig_ok(sig) || (unsigned)disp > MN_SIG_HANDLE ||
	    ((BIT(sig) & UNBLOCKABLE) && disp != MN_SIG_DFL))
		return -EINVAL;
	if (mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	st = state_get(sigs, &pi, 1);
	if (st) {
		st->disp[sig] = (uint8_t)disp;
		if (disp == MN_SIG_IGN)
			st->pending &= ~BIT(sig);	/* POSIX */
	}
	pthread_mutex_unlock(&sigs->lock);
	if (!st)
		return -ENOMEM;
	deliver(sigs, pid);
	return 0;
}

int mn_signals_get_disp(struct mn_signals *sigs, int32_t pid, int sig)
{
	struct mn_proc_info pi;
	struct sigstate *st;
	int disp;

	if (!sig_ok(sig))
		return -EINVAL;
	if (mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	st = state_get(sigs, &pi, 0);
	disp = st ? st->disp[sig] : MN_SIG_DFL;
	pthread_mutex_unlock(&sigs->lock);
	return disp;
}

int mn_signals_set_handler(struct mn_signals *sigs, int32_t pid,
			   void (*fn)(void *arg, int32_t pid, int sig),
			   void *arg)
{
	struct mn_proc_info pi;
	struct sigstate *st;

	if (mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	st = state_get(sigs, &pi, 1);
	if (st) {
		st->handler = fn;
		st->harg = fn ? arg : NULL;
	}
	pthread_mutex_unlock(&sigs->lock);
	if (!st)
		return -ENOMEM;
	deliver(sigs, pid);
	return 0;
}

int mn_signals_dequeue(struct mn_signals *sigs, int32_t pid)
{
	struct mn_proc_info pi;
	struct sigstate *st;
	uint64_t ready;
	int sig, r = 0;

	if (mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	st = state_get(sigs, &pi, 0);
	ready = st ? st->pending & ~st->blocked : 0;
	for (sig = 1; sig <= MN_SIG_MAX && !r; sig++) {
		if ((ready & BIT(sig)) && st->disp[sig] == MN_SIG_HANDLE) {
			st->pending &= ~BIT(sig);
			sigs->st.delivered++;
			r = sig;
		}
	}
	pthread_mutex_unlock(&sigs->lock);
	return r;
}

int mn_signals_fork(struct mn_signals *sigs, int32_t parent, int32_t child)
{
	struct mn_proc_info ppi, cpi;
	struct sigstate *ps, *cs;
	int err = 0;

	if (mn_proc_get(sigs->pt, parent, &ppi) < 0 ||
	    mn_proc_get(sigs->pt, child, &cpi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	ps = state_get(sigs, &ppi, 0);
	cs = state_get(sigs, &cpi, ps != NULL);
	if (ps && !cs) {
		err = -ENOMEM;
	} else if (cs) {
		state_reset(cs, cpi.serial);
		if (ps) {
			cs->blocked = ps->blocked;
			memcpy(cs->disp, ps->disp, sizeof(cs->disp));
			cs->handler = ps->handler;
			cs->harg = ps->harg;
		}
	}
	pthread_mutex_unlock(&sigs->lock);
	return err;
}

int mn_signals_exec(struct mn_signals *sigs, int32_t pid)
{
	struct mn_proc_info pi;
	struct sigstate *st;
	int sig;

	if (mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	st = state_get(sigs, &pi, 0);
	for (sig = 1; st && sig <= MN_SIG_MAX; sig++)
		if (st->disp[sig] == MN_SIG_HANDLE)
			st->disp[sig] = MN_SIG_DFL;
	if (st) {
		st->handler = NULL;
		st->harg = NULL;
	}
	pthread_mutex_unlock(&sigs->lock);
	/* handled signals left pending now take their default action */
	deliver(sigs, pid);
	return 0;
}

void mn_signals_stats(struct mn_signals *sigs, struct mn_signals_stats *out)
{
	pthread_mutex_lock(&sigs->lock);
	*out = sigs->st;
	pthread_mutex_unlock(&sigs->lock);
}

/* ------------------------------------------------------------------------ */
/* Text */

struct sigline {
	int32_t pid;
	uint64_t pending, blocked, ignored, handled;
};

static void line_of(const struct sigstate *st, struct sigline *l)
{
	int sig;

	memset(l, 0, sizeof(*l));
	l->pid = st->pid;
	l->pending = st->pending;
	l->blocked = st->blocked;
	for (sig = 1; sig <= MN_SIG_MAX; sig++) {
		if (st->disp[sig] == MN_SIG_IGN)
			l->ignored |= BIT(sig);
		else if (st->disp[sig] == MN_SIG_HANDLE)
			l->handled |= BIT(sig);
	}
}

static int cmp_line(const void *a, const void *b)
{
	int32_t x = ((const struct sigline *)a)->pid;
	int32_t y = ((const struct sigline *)b)->pid;

	return (x > y) - (x < y);
}

/* Copies the lines of live states (all, or pid's); -ESRCH, -ENOMEM. */
static ssize_t collect_lines(struct mn_signals *sigs, int32_t pid,
			     struct sigline **out)
{
	struct mn_proc_info pi;
	struct sigline *v;
	size_t n = 0, k;

	if (pid > 0 && mn_proc_get(sigs->pt, pid, &pi) < 0)
		return -ESRCH;
	pthread_mutex_lock(&sigs->lock);
	v = calloc(sigs->n ? sigs->n : 1, sizeof(*v));
	for (k = 0; v && k < NBUCKETS; k++) {
		struct sigstate *st;

		for (st = sigs->b[k]; st; st = st->next)
			if (pid <= 0 || (st->pid == pid &&
					 st->serial == pi.serial))
				line_of(st, &v[n++]);
	}
	pthread_mutex_unlock(&sigs->lock);
	if (!v)
		return -ENOMEM;
	if (pid > 0 && n == 0)	/* no state yet: an empty line */
		v[n++].pid = pid;
	qsort(v, n, sizeof(*v), cmp_line);
	*out = v;
	return (ssize_t)n;
}

/* Every signal and its default action, three to a line. */
static void format_table(struct mn_strbuf *out)
{
	struct mn_texttable t;
	int sig;

	mn_texttable_init(&t, 9);
	t.right = 1u << 0 | 1u << 3 | 1u << 6;	/* the numbers */
	for (sig = 1; sig <= MN_SIG_MAX; sig++) {
		mn_texttable_cell(&t, "%d", sig);
		mn_texttable_cell(&t, "%s", mn_signal_name(sig));
		mn_texttable_cell(&t, "%s", mn_sig_action_name(
					  mn_signal_default_action(sig)));
	}
	while (sig++ % 3 != 1)	/* complete the last line */
		mn_texttable_cell(&t, "%s", "");
	mn_texttable_render(&t, out);
	mn_texttable_release(&t);
}

/* One set as a cell ("-" when empty is mn_sigset_format's business). */
static void sigset_cell(struct mn_texttable *t, uint64_t set)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;

	mn_sigset_format(set, &sb);
	mn_texttable_cell(t, "%s", mn_strbuf_str(&sb));
	mn_strbuf_release(&sb);
}

int mn_signals_format(struct mn_signals *sigs, int32_t pid,
		      struct mn_strbuf *out)
{
	struct mn_signals_stats st;
	struct mn_texttable t;
	struct sigline *v;
	ssize_t n = collect_lines(sigs, pid, &v), i;

	if (n < 0)
		return (int)n;
	if (pid <= 0) {
		format_table(out);
		mn_signals_stats(sigs, &st);
		mn_strbuf_printf(out,
				 "\nsent %llu  delivered %llu  ignored %llu  "
				 "to host %llu  refused %llu\n\n",
				 (unsigned long long)st.sent,
				 (unsigned long long)st.delivered,
				 (unsigned long long)st.ignored,
				 (unsigned long long)st.to_host,
				 (unsigned long long)st.refused);
	}
	mn_texttable_init_header(&t, ">PID|PENDING|BLOCKED|IGNORED|HANDLED");
	for (i = 0; i < n; i++) {
		mn_texttable_cell(&t, "%d", v[i].pid);
		sigset_cell(&t, v[i].pending);
		sigset_cell(&t, v[i].blocked);
		sigset_cell(&t, v[i].ignored);
		sigset_cell(&t, v[i].handled);
	}
	mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	free(v);
	return mn_strbuf_error(out);
}
