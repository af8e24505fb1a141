/*
 * netwait - the sandbox's side of the network: where its sockets are made
 * and who waits for the socket calls that block.
 *
 * One struct sbx_net per sandbox, created once the world runs.  It holds a
 * counted reference on the kernel's network (the net stage cannot stop
 * under a translated call), the world's network namespace (a descriptor,
 * or none when the world shares the host's), a waiter thread and a pool
 * of workers.
 *
 * Sockets.  A program's socket() becomes MicronOS's socket (3000), whose
 * factory is set here: the calling thread enters the world's network
 * namespace for the one socket(2) call and comes back, and the socket is
 * given to the caller's mapped host ids (fchown of a socket sets its
 * sk_uid), so its owner (ss -e, SO_REUSEPORT groups) is the program's
 * user and not the daemon's root.  Callers that are not translating a
 * sandboxed call (the shell's `syscall invoke 3000`) get a plain socket in
 * the daemon's namespace, as without a factory.
 *
 * Waiting.  Each program tree has one notification thread (notify.c), so
 * a blocking accept served on it would hold up every other call of the
 * tree - the server's accept would wait for a connect that its own client,
 * one fork away, could never make.  A call that has to wait becomes a job
 * (sbx_net_job_submit): the waiter thread keeps every waiting job in one
 * epoll set (an accept waits for POLLIN, a connect under way for POLLOUT)
 * and checks each tick (WAIT_TICK_MS) that its notification is still
 * valid (a killed or interrupted caller) and, every SIG_TICK_MS, that its
 * caller has no signal to take (signal_sweep_locked); a job whose socket
 * is ready goes to a worker, which makes the call under the guard
 * (below), answers the notification on a duplicate of the listener, or,
 * interrupted because another process took the connection first, gives
 * the job back to the waiter.  So a thousand blocked accepts cost one thread, and workers
 * (started on demand, up to MAX_WORKERS, living until the sandbox goes)
 * only ever make calls that return.  Past the cap a ready job waits in
 * the queue for the next free worker.
 *
 * Stop: the world is dead by then, so every socket a job holds belongs to
 * nobody else: the ones being called are shut down, which wakes the
 * calls, and the threads are joined.
 *
 * n->lock is a leaf lock: under it, only list handling and calls that do
 * not block (shutdown, epoll_ctl, the seccomp ID_VALID ioctl).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/net.h>

#include "xlate_net.h"

#define MAX_WORKERS 32
#define WAIT_TICK_MS 100
#define SIG_TICK_MS 10		/* a parked caller's signal waits so long */
#define SIG_SHARED_TICKS 3	/* see signal_sweep_locked */
#define WORKER_STACK (256 * 1024)
#define GUARD_NS 5000000	/* a call made here may block this long */
#define GUARD_SIG (SIGRTMAX - 2)

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

struct sbx_net {
	struct mn_sandbox *sb;		/* borrowed: owns us */
	struct mn_net *net;		/* counted reference (mn_net_get) */
	int nsfd;			/* the world's netns, -1: the host's */
	int selfns;			/* the daemon's netns, -1 with it */
	/* unix sockets of a world on the host's network (sbx_net_private_
	   socket), made at first use; protected by lock */
	int privns, hostns;
	int unpriv_port;		/* see sbx_net_unpriv_port */
	size_t req_size, resp_size;	/* the kernel's notification sizes */
	int epfd;			/* the waiting jobs' sockets */
	int wake_efd;			/* in epfd: stop */
	atomic_int stopping;		/* read unlocked by the threads */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* protected by lock */
	struct sbx_net_job *waiting;	/* in epfd */
	struct sbx_net_job *queue;	/* ready, for a worker, FIFO */
	struct sbx_net_job **queue_tail;
	struct sbx_net_job *running;	/* being called */
	int waiter_started;
	pthread_t waiter;
	int nworkers;
	int nfree;			/* workers without a job */
	int nqueued;			/* jobs in queue */
	pthread_t workers[MAX_WORKERS];
};

/* The factory's mark on the calling thread (sbx_net_factory_begin). */
static __thread struct sbx_net *tls_net;
static __thread uint32_t tls_uid, tls_gid;

struct mn_net *sbx_net_net(struct sbx_net *n)
{
	return n->net;
}

int sbx_net_unpriv_port(struct sbx_net *n)
{
	return n->unpriv_port;
}

int sbx_net_own_ns(struct sbx_net *n)
{
	return n->nsfd >= 0;
}

void sbx_net_factory_begin(struct sbx_net *n, uint32_t uid, uint32_t gid)
{
	tls_net = n;
	tls_uid = uid;
	tls_gid = gid;
}

void sbx_net_factory_end(void)
{
	tls_net = NULL;
}

/*
 * mn_net's socket factory.  setns() is per thread for network
 * namespaces; going back can only fail if the daemon's own namespace
 * vanished, and then this thread's later plain sockets (it makes none:
 * notification threads and workers only use the factory) would be the
 * world's - not a way out of it.
 */
static int factory(void *arg, int32_t pid, int domain, int type, int proto)
{
	struct sbx_net *n = arg;
	int fd, e = 0;

	(void)pid;
	if (tls_net != n) {
		fd = socket(domain, type, proto);
		return fd < 0 ? -errno : fd;
	}
	/* a rootless daemon cannot setns: its helper makes them */
	if (n->sb->netmaker_fd >= 0)
		return sbx_netmaker_socket(n->sb, domain, type, proto,
					   tls_uid, tls_gid);
	if (n->nsfd >= 0 && setns(n->nsfd, CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(domain, type, proto);
	if (fd < 0)
		e = -errno;
	if (n->nsfd >= 0)
		(void)setns(n->selfns, CLONE_NEWNET);
	/* a socket's owner is its inode's: chown sets sk_uid too (a
	   rootless daemon sharing its namespace cannot: the socket stays
	   the user's, which only `ss -e` shows) */
	if (fd >= 0 && fchown(fd, n->sb->uid_base + tls_uid,
			      n->sb->gid_base + tls_gid) < 0 &&
	    !(errno == EPERM && geteuid() != 0)) {
		e = -errno;
		close(fd);
		fd = -1;
	}
	return fd < 0 ? e : fd;
}

/*
 * The private namespace: made by this thread (unshare is per thread for
 * networks), which then goes back.  Lock held.  0 or -errno.
 */
static int make_private_ns(struct sbx_net *n)
{
	int e = 0;

	n->hostns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->hostns < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	n->privns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->privns < 0)
		e = -errno;
	if (setns(n->hostns, CLONE_NEWNET) < 0)
		abort();	/* this thread would serve programs from a
				   namespace nobody chose: never */
	return e;
}

int sbx_net_private_socket(struct sbx_net *n, uint32_t uid, uint32_t gid,
			   int *sv, int domain, int type, int proto)
{
	int e = 0, r;

	/* a rootless daemon can neither make nor enter one (CAP_SYS_ADMIN
	   over its own user namespace): the kernel's sockets, as before */
	if (n->sb->netmaker_fd >= 0)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&n->lock);
	if (n->privns < 0)
		e = make_private_ns(n);
	pthread_mutex_unlock(&n->lock);
	if (e == -EPERM)
		return -EOPNOTSUPP;
	if (e < 0)
		return e;
	if (setns(n->privns, CLONE_NEWNET) < 0)
		return -errno;
	r = sv[1] == -2 ? (sv[0] = socket(domain, type, proto)) :
	    socketpair(domain, type, proto, sv);
	if (r < 0)
		e = -errno;
	if (setns(n->hostns, CLONE_NEWNET) < 0)
		abort();	/* as above */
	if (e == 0 && (fchown(sv[0], n->sb->uid_base + uid,
			      n->sb->gid_base + gid) < 0 ||
		       (sv[1] >= 0 && fchown(sv[1], n->sb->uid_base + uid,
					     n->sb->gid_base + gid) < 0))) {
		e = -errno;
		close(sv[0]);
		if (sv[1] >= 0)
			close(sv[1]);
	}
	return e;
}

/* ------------------------------------------------------------------ */
/* the guard: a call that usually returns at once, made on the
   notification thread, is interrupted (EINTR) if it blocks after all */

struct guard {
	timer_t timer;		/* SIGEV_THREAD_ID: signals its thread */
};

static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static pthread_key_t guard_key;		/* deletes a thread's timer */
static int guard_ready;			/* written once, under guard_once */
static __thread struct guard *tls_guard;

static void guard_handler(int sig)
{
	(void)sig;	/* its only purpose is to interrupt */
}

static void guard_free(void *p)
{
	struct guard *g = p;

	timer_delete(g->timer);
	free(g);
}

/* No SA_RESTART: the blocked call returns EINTR. */
static void guard_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guard_handler;
	sigemptyset(&sa.sa_mask);
	guard_ready = sigaction(GUARD_SIG, &sa, NULL) == 0 &&
		      pthread_key_create(&guard_key, guard_free) == 0;
}

static struct guard *guard_get(void)
{
	struct sigevent ev;
	struct guard *g;
	sigset_t set;

	if (tls_guard)
		return tls_guard;
	pthread_once(&guard_once, guard_setup);
	if (!guard_ready || !(g = calloc(1, sizeof(*g))))
		return NULL;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = GUARD_SIG;
	ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &ev, &g->timer) < 0) {
		free(g);
		return NULL;
	}
	if (pthread_setspecific(guard_key, g) != 0) {
		guard_free(g);
		return NULL;
	}
	sigemptyset(&set);
	sigaddset(&set, GUARD_SIG);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	tls_guard = g;
	return g;
}

int sbx_net_guard_arm(void)
{
	struct itimerspec its = {.it_value = {0, GUARD_NS}};
	struct guard *g = guard_get();

	if (!g)
		return -ENOSYS;
	return timer_settime(g->timer, 0, &its, NULL) < 0 ? -errno : 0;
}

/* A signal of a timer that expired before this is delivered by the time
   the disarming call returns: nothing is left pending for later calls. */
void sbx_net_guard_disarm(void)
{
	struct itimerspec off;

	memset(&off, 0, sizeof(off));
	if (tls_guard)
		timer_settime(tls_guard->timer, 0, &off, NULL);
}

/* ------------------------------------------------------------------ */
/* jobs */

static void job_free(struct sbx_net_job *j)
{
	if (!j)
		return;
	if (j->sock >= 0)
		close(j->sock);
	if (j->lfd >= 0)
		close(j->lfd);
	free(j->req_mem);
	free(j->resp_mem);
	free(j);
}

struct sbx_net_job *sbx_net_job_new(struct sbx_net *n, struct sbx_call *c,
				    int sock)
{
	struct sbx_net_job *j = calloc(1, sizeof(*j));

	if (!j) {
		close(sock);
		return NULL;
	}
	j->sock = sock;
	j->lfd = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
	j->req_mem = calloc(1, n->req_size);
	j->resp_mem = calloc(1, n->resp_size);
	if (j->lfd < 0 || !j->req_mem || !j->resp_mem) {
		job_free(j);
		return NULL;
	}
	memcpy(j->req_mem, c->req, sizeof(*c->req));
	j->c = *c;
	j->c.fd = j->lfd;
	j->c.req = j->req_mem;
	j->c.resp = j->resp_mem;
	j->ctx = *c->ctx;
	j->c.ctx = &j->ctx;
	j->ctx.caller = &j->c;
	return j;
}

/* Lists of jobs, linked through next (lock held). */
static void list_add(struct sbx_net_job **head, struct sbx_net_job *j)
{
	j->next = *head;
	*head = j;
}

static void list_del(struct sbx_net_job **head, struct sbx_net_job *j)
{
	struct sbx_net_job **pp;

	for (pp = head; *pp && *pp != j; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = j->next;
}

/*
 * Makes the call and answers it.  Returns 1 when the job is done (the
 * caller frees it), 0 when it has to wait again (given back).
 */
static int job_run(struct sbx_net *n, struct sbx_net_job *j)
{
	struct seccomp_notif_resp *resp = j->c.resp;
	enum sbx_verdict v;

	if (atomic_load(&n->stopping) || sbx_call_valid(&j->c) < 0) {
		SBX_STAT(n->sb, stale, 1);
		return 1;
	}
	resp->id = j->c.req->id;
	resp->val = 0;
	resp->error = 0;
	resp->flags = 0;
	v = j->run(j);
	if (v == SBX_DEFERRED)
		return 0;
	if (v == SBX_SENT) {
		SBX_STAT(n->sb, injected, 1);
		return 1;
	}
	if (v == SBX_CONTINUE)
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(j->lfd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0)
		SBX_STAT(n->sb, stale, 1);
	else if (v == SBX_CONTINUE)
		SBX_STAT(n->sb, continued, 1);
	else if (resp->error)
		SBX_STAT(n->sb, failed, 1);
	else
		SBX_STAT(n->sb, answered, 1);
	return 1;
}

static void *worker_main(void *arg);
static void *waiter_main(void *arg);
static void run_here(struct sbx_net *n, struct sbx_net_job *j);

/* Starts a thread of ours.  0 or -errno. */
static int thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	int e;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, WORKER_STACK);
	e = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	return -e;
}

/*
 * A ready job, for the next free worker; one more worker when none is
 * free, below the cap (past it the job waits its turn: workers make only
 * calls that return).  -EAGAIN if there is no worker at all.  Lock held.
 */
static int queue_locked(struct sbx_net *n, struct sbx_net_job *j)
{
	if (n->nfree <= n->nqueued && n->nworkers < MAX_WORKERS &&
	    thread_start(&n->workers[n->nworkers], worker_main, n) == 0) {
		n->nworkers++;
		n->nfree++;
	}
	if (!n->nworkers)
		return -EAGAIN;
	j->next = NULL;
	*n->queue_tail = j;
	n->queue_tail = &j->next;
	n->nqueued++;
	pthread_cond_signal(&n->cond);
	return 0;
}

/* Into the epoll set, for the waiter (lock held).  0 or -errno. */
static int wait_locked(struct sbx_net *n, struct sbx_net_job *j)
{
	struct epoll_event ev = {
		.events = (j->wait == SBX_NET_WAIT_READ ? EPOLLIN : EPOLLOUT) |
			  EPOLLONESHOT,
		.data.ptr = j,
	};
	int e;

	if (!n->waiter_started) {
		if ((e = thread_start(&n->waiter, waiter_main, n)) < 0)
			return e;
		n->waiter_started = 1;
	}
	if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, j->sock, &ev) < 0)
		return -errno;
	list_add(&n->waiting, j);
	return 0;
}

static void *worker_main(void *arg)
{
	struct sbx_net *n = arg;
	struct sbx_net_job *j;
	int done;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (!n->queue && !atomic_load(&n->stopping))
			pthread_cond_wait(&n->cond, &n->lock);
		if (atomic_load(&n->stopping))
			break;
		j = n->queue;
		n->queue = j->next;
		if (!n->queue)
			n->queue_tail = &n->queue;
		n->nqueued--;
		n->nfree--;
		list_add(&n->running, j);
		pthread_mutex_unlock(&n->lock);
		done = job_run(n, j);
		pthread_mutex_lock(&n->lock);
		list_del(&n->running, j);
		n->nfree++;
		/* interrupted: the connection went to another acceptor, or
		   the handshake is still under way - wait again */
		if (!done && !atomic_load(&n->stopping) &&
		    wait_locked(n, j) == 0)
			continue;
		pthread_mutex_unlock(&n->lock);
		if (!done)
			SBX_STAT(n->sb, stale, 1);
		job_free(j);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* Each tick: jobs whose caller is gone or was interrupted leave (lock
   held; ID_VALID does not block). */
static void sweep_locked(struct sbx_net *n, struct sbx_net_job **gone)
{
	struct sbx_net_job *j, *next;

	for (j = n->waiting; j; j = next) {
		next = j->next;
		if (sbx_call_valid(&j->c) == 0)
			continue;
		epoll_ctl(n->epfd, EPOLL_CTL_DEL, j->sock, NULL);
		list_del(&n->waiting, j);
		list_add(gone, j);
	}
}

/*
 * Each signal tick: a caller with a signal pending leaves its call as it
 * would leave a native blocking accept or connect.  The filter's
 * WAIT_KILLABLE_RECV keeps a received caller waiting through signals
 * (notify.c), so the kernel no longer tears a parked call away: the job is
 * answered ERESTARTSYS, which the kernel turns into a restart under
 * SA_RESTART or with no handler (a stop), EINTR otherwise - what a native
 * accept or connect returns.  Lock held (reading /proc/TID/status does
 * not block).
 */
static void signal_sweep_locked(struct sbx_net *n, struct sbx_net_job **out)
{
	struct sbx_net_job *j, *next;
	int r;

	for (j = n->waiting; j; j = next) {
		next = j->next;
		r = sbx_call_signal_pending(&j->c);
		/* a process-directed signal in a process of several threads
		   may be another thread's: it is this one's once it stayed
		   pending for a few ticks (a thread able to take it would
		   have) */
		if (r == SBX_SIG_SHARED && ++j->sig_ticks < SIG_SHARED_TICKS)
			continue;
		if (r == SBX_SIG_NONE) {
			j->sig_ticks = 0;
			continue;
		}
		epoll_ctl(n->epfd, EPOLL_CTL_DEL, j->sock, NULL);
		list_del(&n->waiting, j);
		list_add(out, j);
	}
}

/* Answers a job whose caller has a signal to take (no lock). */
static void job_interrupt(struct sbx_net *n, struct sbx_net_job *j)
{
	struct seccomp_notif_resp *resp = j->c.resp;

	resp->id = j->c.req->id;
	resp->val = 0;
	resp->error = -SBX_ERESTARTSYS;
	resp->flags = 0;
	if (ioctl(j->lfd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0)
		SBX_STAT(n->sb, stale, 1);
	else
		SBX_STAT(n->sb, failed, 1);
	job_free(j);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *waiter_main(void *arg)
{
	struct sbx_net *n = arg;
	struct epoll_event ev[64];
	struct sbx_net_job *gone, *j, *ready, *intr;
	uint64_t swept = mono_ms(), sig_swept = swept;
	int i, got, tick;

	while (!atomic_load(&n->stopping)) {
		pthread_mutex_lock(&n->lock);
		tick = n->waiting ? SIG_TICK_MS : WAIT_TICK_MS;
		pthread_mutex_unlock(&n->lock);
		got = epoll_wait(n->epfd, ev, 64, tick);
		gone = ready = intr = NULL;
		pthread_mutex_lock(&n->lock);
		for (i = 0; i < got; i++) {
			if (!(j = ev[i].data.ptr))
				continue;	/* the wake eventfd */
			epoll_ctl(n->epfd, EPOLL_CTL_DEL, j->sock, NULL);
			list_del(&n->waiting, j);
			if (queue_locked(n, j) < 0)
				list_add(&ready, j);	/* no worker at all */
		}
		if (mono_ms() - swept >= WAIT_TICK_MS) {
			sweep_locked(n, &gone);
			swept = mono_ms();
		}
		if (mono_ms() - sig_swept >= SIG_TICK_MS) {
			signal_sweep_locked(n, &intr);
			sig_swept = mono_ms();
		}
		pthread_mutex_unlock(&n->lock);
		while ((j = intr)) {
			intr = j->next;
			job_interrupt(n, j);
		}
		while ((j = gone)) {
			gone = j->next;
			SBX_STAT(n->sb, stale, 1);
			job_free(j);
		}
		while ((j = ready)) {
			ready = j->next;
			run_here(n, j);
		}
	}
	return NULL;
}

/*
 * A job that cannot wait (epoll or threads refused) runs on the calling
 * notification thread, listed so that stop can wake it.
 */
static void run_here(struct sbx_net *n, struct sbx_net_job *j)
{
	pthread_mutex_lock(&n->lock);
	list_add(&n->running, j);
	pthread_mutex_unlock(&n->lock);
	j->wait = SBX_NET_WAIT_NONE;
	while (!job_run(n, j)) {
		struct pollfd p = {.fd = j->sock, .events = POLLIN | POLLOUT};

		if (atomic_load(&n->stopping) || sbx_call_valid(&j->c) < 0)
			break;
		if (sbx_call_signal_pending(&j->c) == SBX_SIG_OWN) {
			pthread_mutex_lock(&n->lock);
			list_del(&n->running, j);
			pthread_mutex_unlock(&n->lock);
			job_interrupt(n, j);
			return;
		}
		poll(&p, 1, SIG_TICK_MS);
	}
	pthread_mutex_lock(&n->lock);
	list_del(&n->running, j);
	pthread_mutex_unlock(&n->lock);
	job_free(j);
}

enum sbx_verdict sbx_net_job_submit(struct sbx_net *n, struct sbx_net_job *j)
{
	int e = -ESHUTDOWN;

	pthread_mutex_lock(&n->lock);
	if (!atomic_load(&n->stopping))
		e = j->wait == SBX_NET_WAIT_NONE ? queue_locked(n, j) :
						   wait_locked(n, j);
	pthread_mutex_unlock(&n->lock);
	if (e < 0)
		run_here(n, j);
	return SBX_DEFERRED;
}

/* ------------------------------------------------------------------ */
/* life cycle */

static int read_unpriv_port(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	int v = 1024;

	if (f) {
		if (fscanf(f, "%d", &v) != 1 || v < 0 || v > 65536)
			v = 1024;
		fclose(f);
	}
	return v;
}

/*
 * The world's network namespace into n->nsfd, and ours into n->selfns
 * (both stay -1 when the world shares the daemon's).  0 or -errno.
 */
static int open_world_ns(struct sbx_net *n)
{
	char path[64];
	struct stat a, b;
	int e = 0;

	/* only net none gives the world a namespace of its own (world.c) */
	if (n->sb->cfg.net != MN_SANDBOX_NET_NONE)
		return 0;
	/* init is undumpable, so its ns files are closed to a rootless
	   daemon; the socket helper shares its network namespace */
	snprintf(path, sizeof(path), "/proc/%d/ns/net",
		 (int)(n->sb->netmaker_pid > 0 ? n->sb->netmaker_pid
					       : n->sb->init_pid));
	n->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	n->selfns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->nsfd < 0 || n->selfns < 0 || fstat(n->nsfd, &a) < 0 ||
	    fstat(n->selfns, &b) < 0)
		e = -errno;
	else if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return 0;
	if (n->nsfd >= 0)
		close(n->nsfd);
	if (n->selfns >= 0)
		close(n->selfns);
	n->nsfd = n->selfns = -1;
	return e;
}

static void net_free(struct sbx_net *n)
{
	if (n->privns >= 0)
		close(n->privns);
	if (n->hostns >= 0)
		close(n->hostns);
	if (n->nsfd >= 0)
		close(n->nsfd);
	if (n->selfns >= 0)
		close(n->selfns);
	if (n->epfd >= 0)
		close(n->epfd);
	if (n->wake_efd >= 0)
		close(n->wake_efd);
	mn_net_put(n->net);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

static struct sbx_net *net_new(struct mn_sandbox *sb,
			       const struct seccomp_notif_sizes *sz)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct sbx_net *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->sb = sb;
	n->nsfd = n->selfns = n->privns = n->hostns = -1;
	n->req_size = sz->seccomp_notif > sizeof(struct seccomp_notif) ?
		      sz->seccomp_notif : sizeof(struct seccomp_notif);
	n->resp_size = sz->seccomp_notif_resp >
		       sizeof(struct seccomp_notif_resp) ?
		       sz->seccomp_notif_resp :
		       sizeof(struct seccomp_notif_resp);
	n->queue_tail = &n->queue;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->epfd < 0 || n->wake_efd < 0 ||
	    epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->wake_efd, &ev) < 0) {
		net_free(n);
		return NULL;
	}
	return n;
}

int sbx_net_start(struct mn_sandbox *sb, struct mn_strbuf *err)
{
	struct seccomp_notif_sizes sz;
	struct sbx_net *n;
	int e;

	sb->net = NULL;
	if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0) {
		e = -errno;
		mn_strbuf_printf(err, "seccomp notification sizes: %s",
				 strerror(-e));
		return e;
	}
	if (!(n = net_new(sb, &sz))) {
		mn_strbuf_printf(err, "the sandbox's network: out of memory "
				 "or descriptors");
		return -ENOMEM;
	}
	n->net = mn_net_get(sb->k);
	if (!n->net) {		/* no network layer: sockets are native */
		net_free(n);
		return 0;
	}
	if ((e = open_world_ns(n)) < 0) {
		mn_strbuf_printf(err, "the sandbox's network namespace: %s",
				 strerror(-e));
		net_free(n);
		return e;
	}
	n->unpriv_port = n->nsfd >= 0 ? 1024 : read_unpriv_port();
	if ((e = mn_net_watch_netns(n->net, n->nsfd)) < 0) {
		mn_strbuf_printf(err, "watching the sandbox's network: %s",
				 strerror(-e));
		net_free(n);
		return e;
	}
	mn_net_set_socket_factory(n->net, factory, n);
	sb->net = n;
	return 0;
}

void sbx_net_wake(struct mn_sandbox *sb)
{
	struct sbx_net *n = sb->net;
	struct sbx_net_job *j;
	uint64_t one = 1;

	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	atomic_store(&n->stopping, 1);
	for (j = n->running; j; j = j->next)
		shutdown(j->sock, SHUT_RDWR);
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	if (write(n->wake_efd, &one, sizeof(one)) < 0) {
		/* the counter is not full: cannot happen */
	}
}

void sbx_net_stop(struct mn_sandbox *sb)
{
	struct sbx_net *n = sb->net;
	struct sbx_net_job *j;
	int i;

	if (!n)
		return;
	sbx_net_wake(sb);
	if (n->waiter_started)
		pthread_join(n->waiter, NULL);
	for (i = 0; i < n->nworkers; i++)
		pthread_join(n->workers[i], NULL);
	/* jobs of programs that are gone */
	while ((j = n->queue)) {
		n->queue = j->next;
		job_free(j);
	}
	while ((j = n->waiting)) {
		n->waiting = j->next;
		job_free(j);
	}
	mn_net_set_socket_factory(n->net, NULL, NULL);
	sb->net = NULL;
	net_free(n);
}
