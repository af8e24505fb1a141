/*
 * proc_state - process state transitions, exit and wait.
 *
 * The transition table lives in proc.c (mn_proc_transition_ok); this file
 * applies it.  Exit turns a process into a zombie, hands its children to
 * init and wakes every waiter; wait reaps a zombie child (zombie -> dead) and
 * removes its record, freeing the pid.  When init_reaps is on, init behaves
 * as a real init does and reaps its zombie children at once.
 *
 * Locking: pt->lock (see proc.c); the bus is called with it held.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>
#include <micronos/proc.h>

#include "proc_i.h"

static enum mn_event_source src_of(const struct proc *p)
{
	return p->kind == MN_PROC_USER ? MN_SRC_PROCESS : MN_SRC_KERNEL;
}

static int set_state_locked(struct mn_proctab *pt, struct proc *p,
			    enum mn_proc_state to)
{
	enum mn_proc_state from = p->state;

	if (from == to)
		return 0;
	if (p->kind == MN_PROC_INIT && to == MN_PROC_STOPPED)
		return -EPERM;
	/* zombie and dead are reached through exit and wait only */
	if (to >= MN_PROC_ZOMBIE || !mn_proc_transition_ok(from, to))
		return -EINVAL;
	p->state = to;
	if (!pt->bus)
		return 0;
	if (to == MN_PROC_STOPPED)
		mn_evbus_publish(pt->bus, MN_EV_PROCESS_SUSPENDED, src_of(p),
				 p->pid, "pid %d (%s) stopped", p->pid,
				 p->comm);
	else if (from == MN_PROC_STOPPED)
		mn_evbus_publish(pt->bus, MN_EV_PROCESS_RESUMED, src_of(p),
				 p->pid, "pid %d (%s) continued, %s", p->pid,
				 p->comm, mn_proc_state_name(to));
	return 0;
}

int mn_proc_set_state(struct mn_proctab *pt, int32_t pid,
		      enum mn_proc_state state)
{
	struct proc *p;
	int err;

	if ((unsigned)state >= MN_PROC__STATE_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&pt->lock);
	p = mn_proc__hfind(&pt->by_pid, BY_PID, pid);
	err = p ? set_state_locked(pt, p, state) : -ESRCH;
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/* A process that can stop and run again, or NULL and why in *err. */
static struct proc *alive_locked(struct mn_proctab *pt, int32_t pid,
				 int *err)
{
	struct proc *p = mn_proc__hfind(&pt->by_pid, BY_PID, pid);

	*err = !p ? -ESRCH : p->state >= MN_PROC_ZOMBIE ? -EINVAL : 0;
	return *err ? NULL : p;
}

int mn_proc_suspend(struct mn_proctab *pt, int32_t pid)
{
	struct proc *p;
	int err;

	pthread_mutex_lock(&pt->lock);
	p = alive_locked(pt, pid, &err);
	if (p)
		err = set_state_locked(pt, p, MN_PROC_STOPPED);
	pthread_mutex_unlock(&pt->lock);
	return err;
}

int mn_proc_resume(struct mn_proctab *pt, int32_t pid)
{
	struct proc *p;
	int err;

	pthread_mutex_lock(&pt->lock);
	p = alive_locked(pt, pid, &err);
	if (p && p->state == MN_PROC_STOPPED)
		err = set_state_locked(pt, p, MN_PROC_RUNNING);
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/* zombie -> dead, and the record goes.  *info (may be NULL) gets a copy. */
static void reap_locked(struct mn_proctab *pt, struct proc *p,
			struct mn_proc_info *info)
{
	p->state = MN_PROC_DEAD;
	if (info)
		mn_proc__fill_info(p, info);
	pt->reaped++;
	mn_proc__destroy_locked(pt, p);
}

static void publish_exit(struct mn_proctab *pt, const struct proc *p)
{
	char how[64];

	if (!pt->bus)
		return;
	mn_proc_status_str(p->exit_status, how, sizeof(how));
	mn_evbus_publish(pt->bus, MN_EV_PROCESS_TERMINATED, src_of(p), p->pid,
			 "pid %d (%s) %s, status %d", p->pid, p->comm, how,
			 p->exit_status);
}

int mn_proc_exit(struct mn_proctab *pt, int32_t pid, int status)
{
	struct proc *p, *c;
	int err = 0;

	pthread_mutex_lock(&pt->lock);
	p = mn_proc__hfind(&pt->by_pid, BY_PID, pid);
	if (!p)
		err = -ESRCH;
	else if (p->kind == MN_PROC_INIT)
		err = -EPERM;
	else if (p->state >= MN_PROC_ZOMBIE)
		err = -EINVAL;
	if (err)
		goto out;
	p->state = MN_PROC_ZOMBIE;
	p->exit_status = status;
	p->exit_ns = mn_clock_now_ns(pt->clock);
	while ((c = p->children)) {
		mn_proc__reparent(c, pt->init);
		if (c->state == MN_PROC_ZOMBIE && pt->init_reaps)
			reap_locked(pt, c, NULL);
	}
	publish_exit(pt, p);
	if (p->parent == pt->init && pt->init_reaps)
		reap_locked(pt, p, NULL);
	pthread_cond_broadcast(&pt->exit_cv);
out:
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/*
 * A zombie among parent's children matching pid (-1: any) into *z.
 * 0 (with *z NULL if none is a zombie yet), or -ECHILD if no child matches.
 */
static int find_zombie(const struct proc *parent, int32_t pid,
		       struct proc **z)
{
	struct proc *c;
	int any = 0;

	*z = NULL;
	for (c = parent->children; c; c = c->sib_next) {
		if (pid > 0 && c->pid != pid)
			continue;
		any = 1;
		if (c->state == MN_PROC_ZOMBIE) {
			*z = c;
			return 0;
		}
	}
	return any ? 0 : -ECHILD;
}

/* One look at the children; > 0 reaped pid, 0 keep waiting, < 0 error. */
static int32_t try_reap(struct mn_proctab *pt, int32_t parent, uint64_t serial,
			int32_t pid, int *status, struct mn_proc_info *info)
{
	struct proc *pp = mn_proc__hfind(&pt->by_pid, BY_PID, parent), *z;
	int32_t r;

	if (!pp || (serial && pp->serial != serial))
		return -ESRCH;
	r = find_zombie(pp, pid, &z);
	if (r < 0 || !z)
		return r;
	r = z->pid;
	if (status)
		*status = z->exit_status;
	reap_locked(pt, z, info);
	pthread_cond_broadcast(&pt->exit_cv);
	return r;
}

int32_t mn_proc_wait(struct mn_proctab *pt, int32_t parent, int32_t pid,
		     int timeout_ms, int *status, struct mn_proc_info *info)
{
	struct mn_proc_info pinfo;
	struct timespec ts;
	int32_t r;
	int timed_out = 0;

	if (pid == 0 || pid < -1)
		return -EINVAL;	/* process groups are not supported */
	if (mn_proc_get(pt, parent, &pinfo) < 0)
		return -ESRCH;
	if (timeout_ms > 0)
		mn_clock_deadline_ms(&ts, timeout_ms);
	pthread_mutex_lock(&pt->lock);
	pt->nwaiters++;
	for (;;) {
		r = try_reap(pt, parent, pinfo.serial, pid, status, info);
		if (r != 0)
			break;
		if (timeout_ms == 0 || timed_out) {
			r = -EAGAIN;
			break;
		}
		if (pt->shutdown) {
			r = -ESHUTDOWN;
			break;
		}
		if (timeout_ms < 0)
			pthread_cond_wait(&pt->exit_cv, &pt->lock);
		else if (pthread_cond_timedwait(&pt->exit_cv, &pt->lock,
						&ts) == ETIMEDOUT)
			timed_out = 1;	/* one last look, then -EAGAIN */
	}
	pt->nwaiters--;
	if (pt->shutdown && !pt->nwaiters)
		pthread_cond_broadcast(&pt->exit_cv);	/* destroy waits */
	pthread_mutex_unlock(&pt->lock);
	return r;
}
