/*
 * fusefs_notify - the notifier thread: parked reads, poll notifications
 * and cache invalidations.
 *
 * A read of a stream that has nothing (`cat events/stream`) must not hold
 * a FUSE thread, and the thread that later makes data available (an event
 * publisher) must not do FUSE work: it may hold its own locks, and a reply
 * or a notification writes to /dev/fuse.  So both sides only queue a small
 * item here; this one thread does the rest.  Likewise invalidations are
 * only ever sent from here: sent from a request handler they can deadlock
 * against the very directory lock the kernel holds for that request.  They
 * come from the VFS's change hook (fusefs_vfs_changed: what the shell or
 * the syscalls changed) and from mn_fusefs_inval_*; one equal to the item
 * queued last is not queued again (a file written in many pieces).
 *
 * A parked read belongs to this thread from the moment it is queued.  The
 * others only set a flag and queue it (under qlock): the waiter's wake
 * (woken), the interrupt callback (interrupted).  The thread retries the
 * read, replies, or arms the waiter again; an interrupt disarms the waiter
 * and answers EINTR unless the wake won the race, in which case the read
 * is retried when the wake's item arrives.  Before replying, the interrupt
 * callback is unregistered (libfuse serialises that against a running
 * callback), so nothing touches a parked read after it is freed.
 *
 * At stop the thread answers every parked read with end of file, and
 * exits once nothing it owns is left, or after a deadline: a stop never
 * hangs on a waiter whose wake never comes.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fusefs_i.h"

#define STOP_DEADLINE_S 3
#define RETRIES 8 /* ready-at-arming flips before requeueing */

#define container_of(p, type, member)                                          \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

static void deadline_in(struct timespec *ts, int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += seconds;
}

void fusefs_enqueue_locked(struct mn_fusefs *fs, struct nitem *it)
{
	if (it->queued)
		return;
	it->queued = 1;
	it->next = NULL;
	if (fs->qtail)
		fs->qtail->next = it;
	else
		fs->qhead = it;
	fs->qtail = it;
	pthread_cond_broadcast(&fs->qcond);
}

void fusefs_enqueue(struct mn_fusefs *fs, struct nitem *it)
{
	pthread_mutex_lock(&fs->qlock);
	fusefs_enqueue_locked(fs, it);
	pthread_mutex_unlock(&fs->qlock);
}

static struct nitem *dequeue_locked(struct mn_fusefs *fs)
{
	struct nitem *it = fs->qhead;

	fs->qhead = it->next;
	if (!fs->qhead)
		fs->qtail = NULL;
	it->next = NULL;
	it->queued = 0;
	return it;
}

/* --- poll waiters -------------------------------------------------------- */

/* The VFS's wake: runs in the publisher's thread.  Queue, nothing else. */
static void poll_wake(struct mn_vfs_waiter *w)
{
	struct pollw *pw = container_of(w, struct pollw, w);

	fusefs_enqueue(pw->fs, &pw->it);
}

struct pollw *fusefs_pollw_new(struct mn_fusefs *fs, struct fh *fh,
			       struct fuse_pollhandle *ph)
{
	struct pollw *pw = calloc(1, sizeof(*pw));

	if (!pw) {
		fuse_pollhandle_destroy(ph);
		return NULL;
	}
	pw->it.kind = NI_POLL;
	pw->w.wake = poll_wake;
	pw->fs = fs;
	pw->ph = ph;
	pw->owner = fh;
	pthread_mutex_lock(&fs->qlock);
	fs->live++;
	pthread_mutex_unlock(&fs->qlock);
	return pw;
}

void fusefs_pollw_free(struct mn_fusefs *fs, struct pollw *pw)
{
	fuse_pollhandle_destroy(pw->ph);
	free(pw);
	pthread_mutex_lock(&fs->qlock);
	fs->live--;
	pthread_cond_broadcast(&fs->qcond);
	pthread_mutex_unlock(&fs->qlock);
}

static void poll_notify(struct mn_fusefs *fs, struct nitem *it)
{
	struct pollw *pw = container_of(it, struct pollw, it);
	int stopping;

	pthread_mutex_lock(&fs->qlock);
	if (pw->owner && pw->owner->pw == pw)
		pw->owner->pw = NULL;
	pw->owner = NULL;
	stopping = fs->stopping;
	pthread_mutex_unlock(&fs->qlock);
	if (!stopping) {
		atomic_fetch_add_explicit(&fs->st_poll_notifies, 1,
					  memory_order_relaxed);
		fuse_lowlevel_notify_poll(pw->ph);
	}
	fusefs_pollw_free(fs, pw);
}

/* --- parked reads -------------------------------------------------------- */

static void parked_wake(struct mn_vfs_waiter *w)
{
	struct parked *p = container_of(w, struct parked, w);
	struct mn_fusefs *fs = p->fs;

	pthread_mutex_lock(&fs->qlock);
	p->woken = 1;
	fusefs_enqueue_locked(fs, &p->it);
	pthread_mutex_unlock(&fs->qlock);
}

/* libfuse calls this with the request's lock held: queue, nothing else. */
static void parked_interrupt(fuse_req_t req, void *data)
{
	struct parked *p = data;
	struct mn_fusefs *fs = p->fs;

	(void)req;
	pthread_mutex_lock(&fs->qlock);
	p->interrupted = 1;
	fusefs_enqueue_locked(fs, &p->it);
	pthread_mutex_unlock(&fs->qlock);
}

void fusefs_park(struct mn_fusefs *fs, fuse_req_t req, struct fh *fh,
		 size_t size, off_t off)
{
	struct parked *p = calloc(1, sizeof(*p));

	if (!p) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->it.kind = NI_PARKED;
	p->w.wake = parked_wake;
	p->fs = fs;
	p->req = req;
	p->fh = fh;
	p->size = size;
	p->off = off;
	pthread_mutex_lock(&fs->qlock);
	if (fs->stopping) {
		pthread_mutex_unlock(&fs->qlock);
		free(p);
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	p->next = fs->parked;
	if (fs->parked)
		fs->parked->prev = p;
	fs->parked = p;
	fs->live++;
	fusefs_enqueue_locked(fs, &p->it);
	pthread_mutex_unlock(&fs->qlock);
	atomic_fetch_add_explicit(&fs->st_parked_now, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&fs->st_parked_total, 1,
				  memory_order_relaxed);
}

/* The read was answered: free it, or when it is queued, once popped. */
static void parked_finish(struct mn_fusefs *fs, struct parked *p)
{
	pthread_mutex_lock(&fs->qlock);
	if (p->it.queued) {
		p->done = 1;
		pthread_mutex_unlock(&fs->qlock);
		return;
	}
	atomic_fetch_sub_explicit(&fs->st_parked_now, 1, memory_order_relaxed);
	if (p->prev)
		p->prev->next = p->next;
	else
		fs->parked = p->next;
	if (p->next)
		p->next->prev = p->prev;
	fs->live--;
	pthread_cond_broadcast(&fs->qcond);
	pthread_mutex_unlock(&fs->qlock);
	free(p);
}

/* Retries the read; arms the waiter when there is still nothing. */
static void parked_retry(struct mn_fusefs *fs, struct parked *p)
{
	int rc, tries;

	for (tries = 0; tries < RETRIES; tries++) {
		rc = fusefs_read_reply(fs, p->req, p->fh, p->size, p->off);
		if (rc != -EAGAIN) {
			parked_finish(fs, p);
			return;
		}
		p->armed = 1;
		rc = mn_vfs_wait_add(p->fh->f, &p->w);
		if (rc == 0)
			break;
		p->armed = 0;
		if (rc < 0) {
			fuse_reply_err(p->req, -rc);
			parked_finish(fs, p);
			return;
		}
	}
	/* May call parked_interrupt at once (already interrupted). */
	fuse_req_interrupt_func(p->req, parked_interrupt, p);
	p->registered = 1;
	if (!p->armed) /* readiness kept flipping: come back later */
		fusefs_enqueue(fs, &p->it);
}

static void parked_step(struct mn_fusefs *fs, struct nitem *it)
{
	struct parked *p = container_of(it, struct parked, it);
	int intr, woken, done, stopping;

	pthread_mutex_lock(&fs->qlock);
	intr = p->interrupted;
	woken = p->woken;
	p->woken = 0;
	done = p->done;
	stopping = fs->stopping;
	pthread_mutex_unlock(&fs->qlock);
	if (done) {
		parked_finish(fs, p);
		return;
	}
	if (woken)
		p->armed = p->wake_pending = 0;
	if (p->armed) {
		if (!intr && !stopping)
			return;
		if (mn_vfs_wait_cancel(p->fh->f, &p->w) == 0) {
			/* The wake won: its item is on the way. */
			p->armed = 0;
			p->wake_pending = 1;
			return;
		}
		p->armed = 0;
	}
	if (p->wake_pending)
		return;
	/* From here on no interrupt callback can run for this request. */
	if (p->registered) {
		fuse_req_interrupt_func(p->req, NULL, NULL);
		p->registered = 0;
	}
	pthread_mutex_lock(&fs->qlock);
	intr = p->interrupted || fuse_req_interrupted(p->req);
	pthread_mutex_unlock(&fs->qlock);
	if (intr) {
		atomic_fetch_add_explicit(&fs->st_interrupts, 1,
					  memory_order_relaxed);
		fuse_reply_err(p->req, EINTR);
		parked_finish(fs, p);
	} else if (stopping) {
		fuse_reply_buf(p->req, NULL, 0); /* end of file */
		parked_finish(fs, p);
	} else {
		parked_retry(fs, p);
	}
}

/* --- invalidations ------------------------------------------------------- */

/* Whether b asks for nothing that a (still queued) does not. */
static int inval_covered(const struct inval *a, const struct inval *b)
{
	return a->it.kind == b->it.kind && a->ino == b->ino &&
	       (!a->attr_only || b->attr_only) && !strcmp(a->name, b->name);
}

static int queue_inval(struct mn_fusefs *fs, enum nitem_kind kind, uint64_t ino,
		       const char *name, int attr_only)
{
	struct inval *iv, *last;

	if (!fs)
		return -EINVAL;
	if (name && (!*name || strlen(name) > MN_VFS_NAME_MAX))
		return -EINVAL;
	if (!(iv = calloc(1, sizeof(*iv))))
		return -ENOMEM;
	iv->it.kind = kind;
	iv->ino = ino;
	iv->attr_only = attr_only;
	if (name)
		strcpy(iv->name, name);
	pthread_mutex_lock(&fs->qlock);
	if (fs->stopping) {
		pthread_mutex_unlock(&fs->qlock);
		free(iv);
		return -ESHUTDOWN;
	}
	/* A file written in many small pieces: one invalidation. */
	last = fs->qtail && fs->qtail->kind == kind
		   ? container_of(fs->qtail, struct inval, it)
		   : NULL;
	if (last && inval_covered(last, iv)) {
		pthread_mutex_unlock(&fs->qlock);
		free(iv);
		return 0;
	}
	fusefs_enqueue_locked(fs, &iv->it);
	pthread_mutex_unlock(&fs->qlock);
	atomic_fetch_add_explicit(&fs->st_inval_queued, 1,
				  memory_order_relaxed);
	return 0;
}

int mn_fusefs_inval_inode(struct mn_fusefs *fs, uint64_t ino)
{
	return queue_inval(fs, NI_INVAL_INODE, ino, NULL, 0);
}

int mn_fusefs_inval_entry(struct mn_fusefs *fs, uint64_t parent,
			  const char *name)
{
	if (!name)
		return -EINVAL;
	return queue_inval(fs, NI_INVAL_ENTRY, parent, name, 0);
}

/*
 * The VFS's change hook: runs in the thread that made the change (the
 * shell's, a syscall's), never in one of ours serving the kernel - the
 * mount's own changes are not reported (MN_VFS_CRED_COHERENT).  Queue only:
 * the kernel may hold the very locks an invalidation waits for.
 */
void fusefs_vfs_changed(void *arg, uint64_t parent, const char *name,
			uint64_t ino, unsigned what)
{
	struct mn_fusefs *fs = arg;

	/* The kernel drops the directory's attributes with the entry only
	 * when it had the entry: a new name needs both. */
	if (parent && name) {
		queue_inval(fs, NI_INVAL_ENTRY, parent, name, 0);
		queue_inval(fs, NI_INVAL_INODE, parent, NULL, 1);
	}
	if (ino)
		queue_inval(fs, NI_INVAL_INODE, ino, NULL,
			    !(what & MN_VFS_CHANGED_DATA));
}

static void inval_send(struct mn_fusefs *fs, struct nitem *it)
{
	struct inval *iv = container_of(it, struct inval, it);
	int stopping, rc;

	pthread_mutex_lock(&fs->qlock);
	stopping = fs->stopping;
	pthread_mutex_unlock(&fs->qlock);
	if (!stopping) {
		/* -ENOENT: the kernel did not have it cached; fine.  A
		 * negative offset keeps the cached pages. */
		if (it->kind == NI_INVAL_INODE)
			rc = fuse_lowlevel_notify_inval_inode(
			    fs->se, iv->ino, iv->attr_only ? -1 : 0, 0);
		else
			rc = fuse_lowlevel_notify_inval_entry(
			    fs->se, iv->ino, iv->name, strlen(iv->name));
		if (rc == 0)
			atomic_fetch_add_explicit(&fs->st_invalidations, 1,
						  memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&fs->st_inval_done, 1, memory_order_relaxed);
	free(iv);
}

/* --- the thread ---------------------------------------------------------- */

static void (*const handlers[])(struct mn_fusefs *fs, struct nitem *it) = {
    [NI_PARKED] = parked_step,
    [NI_POLL] = poll_notify,
    [NI_INVAL_INODE] = inval_send,
    [NI_INVAL_ENTRY] = inval_send,
};

/* Stop seen: every armed parked read comes round to be answered. */
static void stop_requeue_locked(struct mn_fusefs *fs)
{
	struct parked *p;

	for (p = fs->parked; p; p = p->next)
		if (p->armed)
			fusefs_enqueue_locked(fs, &p->it);
}

static void *notifier_main(void *arg)
{
	struct mn_fusefs *fs = arg;
	struct timespec deadline;
	int stop_seen = 0;

	pthread_mutex_lock(&fs->qlock);
	for (;;) {
		if (fs->stopping && !stop_seen) {
			stop_seen = 1;
			deadline_in(&deadline, STOP_DEADLINE_S);
			stop_requeue_locked(fs);
		}
		if (fs->qhead) {
			struct nitem *it = dequeue_locked(fs);

			pthread_mutex_unlock(&fs->qlock);
			handlers[it->kind](fs, it);
			pthread_mutex_lock(&fs->qlock);
			continue;
		}
		if (fs->stop_final && !fs->live)
			break;
		if (!stop_seen) {
			pthread_cond_wait(&fs->qcond, &fs->qlock);
		} else if (pthread_cond_timedwait(&fs->qcond, &fs->qlock,
						  &deadline) == ETIMEDOUT &&
			   fs->stop_final) {
			fuse_log(FUSE_LOG_ERR,
				 "micronos: %lu parked reads or poll waiters "
				 "never woke; leaking them\n",
				 fs->live);
			break;
		}
	}
	pthread_mutex_unlock(&fs->qlock);
	return NULL;
}

int fusefs_notifier_start(struct mn_fusefs *fs)
{
	sigset_t all, old;
	int rc;

	/* Signals are the daemon's business, not this thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&fs->notifier, NULL, notifier_main, fs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	fs->notifier_started = 1;
	return 0;
}

void fusefs_notifier_quiesce(struct mn_fusefs *fs)
{
	struct timespec deadline;

	deadline_in(&deadline, STOP_DEADLINE_S);
	pthread_mutex_lock(&fs->qlock);
	fs->stopping = 1;
	pthread_cond_broadcast(&fs->qcond);
	while (fs->parked && fs->notifier_started &&
	       pthread_cond_timedwait(&fs->qcond, &fs->qlock, &deadline) !=
		   ETIMEDOUT)
		;
	pthread_mutex_unlock(&fs->qlock);
}

void fusefs_notifier_stop(struct mn_fusefs *fs)
{
	struct nitem *it;

	pthread_mutex_lock(&fs->qlock);
	fs->stopping = 1;
	fs->stop_final = 1;
	pthread_cond_broadcast(&fs->qcond);
	pthread_mutex_unlock(&fs->qlock);
	if (fs->notifier_started)
		pthread_join(fs->notifier, NULL);
	fs->notifier_started = 0;
	/* Never started (a failed mount): only invalidations can be left. */
	while (fs->qhead && fs->qhead->kind >= NI_INVAL_INODE) {
		it = dequeue_locked(fs);
		free(container_of(it, struct inval, it));
		atomic_fetch_add_explicit(&fs->st_inval_done, 1,
					  memory_order_relaxed);
	}
}
