/*
 * supervisor - the sandbox of one instance: create/destroy, spawn, wait,
 * and the life of every sandboxed process in the MicronOS process table.
 *
 * The control thread waits (epoll) on four things: init's socket (SPAWNED,
 * LISTENER, FAILED and EXITED messages), one pidfd per registered process,
 * a housekeeping timer (registry.c's tick, and aftercall.c's: continued
 * set*id and execve not yet recorded) and a stop eventfd.
 *
 * A spawned program is registered by the thread that called
 * mn_sandbox_spawn() as soon as its listener arrives (it is then blocked
 * in its first, trapped, execve), at the pid the namespace gave it; the
 * rest of a process's life is registry.c's.  A spawn record lives until
 * somebody waits for it (mn_sandbox_wait), or until the program exits if
 * it was detached (the shell's background spawns).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/evbus.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/signal.h>

#include "sandbox_i.h"

#define EV_SOCK 1ULL
#define EV_STOP 2ULL
#define EV_TIMER 3ULL

struct sbx_spawn {
	uint64_t id;
	int32_t pid;		/* namespace pid, 0 until known */
	int state;		/* 0 pending, 1 listener arrived, < 0 failed */
	int lfd;		/* listener, until handed to its thread */
	pid_t host_pid;
	char msg[512];
	int exited, status, waited;
	int efd;		/* eventfd for mn_sandbox_watch, -1 */
	int detached;		/* nobody waits: dropped at exit */
	unsigned fault_ids[SBX_RUN_FAULTS_MAX];	/* the run's fault rules */
	unsigned nfaults;
	struct sbx_spawn *next;
};

void sbx_stat_add(struct mn_sandbox *sb, size_t off, uint64_t n)
{
	pthread_mutex_lock(&sb->lock);
	*(uint64_t *)((char *)&sb->stats + off) += n;
	pthread_mutex_unlock(&sb->lock);
}

/* ------------------------------------------------------------------ */
/* spawns */

static struct sbx_spawn *spawn_find(struct mn_sandbox *sb, uint64_t id,
				    int32_t pid)
{
	struct sbx_spawn *s;

	for (s = sb->spawns; s; s = s->next)
		if ((id && s->id == id) || (!id && pid && s->pid == pid))
			return s;
	return NULL;
}

static void spawn_drop(struct mn_sandbox *sb, struct sbx_spawn *s);

/* The program ended: wake its watcher; a detached record goes. */
static void spawn_exited(struct mn_sandbox *sb, struct sbx_spawn *s,
			 int status)
{
	uint64_t one = 1;

	s->exited = 1;
	s->status = status;
	sbx_faults_detach(sb, s->fault_ids, &s->nfaults);
	if (s->efd >= 0 && write(s->efd, &one, sizeof(one)) < 0)
		abort();	/* an eventfd cannot overflow from 1s */
	if (s->detached && s->state == 1)
		spawn_drop(sb, s);
}

/* A child's listener, by its number there (pidfd_getfd).  fd or -1. */
static int take_listener(pid_t host_pid, int num)
{
	int pfd = (int)syscall(SYS_pidfd_open, host_pid, 0), fd = -1;

	if (pfd >= 0 && num >= 0)
		fd = (int)syscall(SYS_pidfd_getfd, pfd, num, 0);
	if (pfd >= 0)
		close(pfd);
	return fd;
}

static void on_message(struct mn_sandbox *sb, struct sbx_msg *m, int *fds,
		       int nfds, pid_t sender)
{
	struct sbx_spawn *s;
	int i, used = 0;

	pthread_mutex_lock(&sb->lock);
	s = spawn_find(sb, m->type == SBX_MSG_EXITED ? 0 : m->id, m->pid);
	if (!s)
		goto out;
	switch (m->type) {
	case SBX_MSG_SPAWNED:
		s->pid = m->pid;
		break;
	case SBX_MSG_LISTENER:
		if (nfds == 1 && s->state == 0 && sender > 0) {
			s->pid = m->pid;
			s->lfd = fds[0];
			s->host_pid = sender;
			s->state = 1;
			used = 1;
		} else if (nfds == 0 && s->state == 0 && sender > 0 &&
			   (s->lfd = take_listener(sender, m->status)) >= 0) {
			s->pid = m->pid;	/* init.c: sent by number */
			s->host_pid = sender;
			s->state = 1;
		}
		break;
	case SBX_MSG_FAILED:
		m->data[m->len ? m->len - 1 : 0] = '\0';
		snprintf(s->msg, sizeof(s->msg), "%s", m->len ? m->data :
			 "cannot start the program");
		s->state = m->status < 0 ? m->status : -EIO;
		break;
	case SBX_MSG_EXITED:
		if (s->state == 0) {
			snprintf(s->msg, sizeof(s->msg), "the program died "
				 "before it started (status 0x%x)", m->status);
			s->state = -ECHILD;
		}
		spawn_exited(sb, s, m->status);
		break;
	}
	pthread_cond_broadcast(&sb->cond);
out:
	pthread_mutex_unlock(&sb->lock);
	for (i = used; i < nfds; i++)
		close(fds[i]);
}

static void on_socket(struct mn_sandbox *sb)
{
	static __thread union {
		struct sbx_msg m;
		char raw[sizeof(struct sbx_msg) + 2048];
	} u;
	int fds[3], n;
	pid_t sender;

	n = sbx_msg_recv(sb->sock, &u.m, sizeof(u), fds, 3, &sender);
	if (n == 0 && u.m.type == 0) {
		/* init is gone: nothing can be spawned any more */
		pthread_mutex_lock(&sb->lock);
		sb->down = 1;
		pthread_cond_broadcast(&sb->cond);
		pthread_mutex_unlock(&sb->lock);
		epoll_ctl(sb->epfd, EPOLL_CTL_DEL, sb->sock, NULL);
		return;
	}
	if (n >= 0)
		on_message(sb, &u.m, fds, n, sender);
}

static void *control_thread(void *arg)
{
	struct mn_sandbox *sb = arg;
	struct epoll_event evs[32];
	int stop = 0;

	while (!stop) {
		int i, n = epoll_wait(sb->epfd, evs, 32, -1);

		for (i = 0; i < n; i++) {
			uint64_t v;

			if (evs[i].data.u64 == EV_STOP) {
				stop = 1;
			} else if (evs[i].data.u64 == EV_SOCK) {
				on_socket(sb);
			} else if (evs[i].data.u64 == EV_TIMER) {
				if (read(sb->timer_fd, &v, sizeof(v)) > 0) {
					sbx_registry_tick(sb);
					sbx_after_tick(sb);
				}
			} else {
				sbx_proc_exited(sb, evs[i].data.ptr);
			}
		}
	}
	return NULL;
}

int sbx_control_start(struct mn_sandbox *sb)
{
	struct itimerspec its = {{0, 200000000}, {0, 200000000}};
	struct epoll_event ev = {.events = EPOLLIN};
	int e;

	e = sbx_registry_init(sb);
	sb->epfd = epoll_create1(EPOLL_CLOEXEC);
	sb->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sb->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				      TFD_CLOEXEC | TFD_NONBLOCK);
	if (e < 0 || sb->epfd < 0 || sb->stop_efd < 0 ||
	    sb->timer_fd < 0)
		return -ENOMEM;
	timerfd_settime(sb->timer_fd, 0, &its, NULL);
	ev.data.u64 = EV_SOCK;
	epoll_ctl(sb->epfd, EPOLL_CTL_ADD, sb->sock, &ev);
	ev.data.u64 = EV_STOP;
	epoll_ctl(sb->epfd, EPOLL_CTL_ADD, sb->stop_efd, &ev);
	ev.data.u64 = EV_TIMER;
	epoll_ctl(sb->epfd, EPOLL_CTL_ADD, sb->timer_fd, &ev);
	e = pthread_create(&sb->ctl_thread, NULL, control_thread, sb);
	if (e)
		return -e;
	sb->ctl_started = 1;
	return 0;
}

/* Stops the control thread and frees the registry and spawn records. */
void sbx_control_stop(struct mn_sandbox *sb)
{
	uint64_t one = 1;

	if (sb->ctl_started) {
		if (write(sb->stop_efd, &one, sizeof(one)) < 0)
			abort();
		pthread_join(sb->ctl_thread, NULL);
		sb->ctl_started = 0;
	}
	sbx_registry_clear(sb);
	sbx_after_clear(sb);
	while (sb->spawns) {
		struct sbx_spawn *s = sb->spawns;

		sb->spawns = s->next;
		if (s->lfd >= 0)
			close(s->lfd);
		if (s->efd >= 0)
			close(s->efd);
		free(s);
	}
	if (sb->epfd >= 0)
		close(sb->epfd);
	if (sb->stop_efd >= 0)
		close(sb->stop_efd);
	if (sb->timer_fd >= 0)
		close(sb->timer_fd);
	sb->epfd = sb->stop_efd = sb->timer_fd = -1;
}

/* ------------------------------------------------------------------ */
/* the spawn API */

/* Packs cwd, argv and envp into m->data.  0 or -E2BIG. */
static int pack(struct sbx_msg *m, const struct mn_sandbox_spawn *sp)
{
	size_t at = 0, len, i;
	const char *cwd = sp->cwd ? sp->cwd : "";
	const char *const *v;

#define PUT(s) do { \
		len = strlen(s) + 1; \
		if (at + len > MN_SANDBOX_ARG_MAX) \
			return -E2BIG; \
		memcpy(m->data + at, s, len); \
		at += len; \
	} while (0)
	PUT(cwd);
	for (v = sp->argv, i = 0; *v; v++, i++)
		PUT(*v);
	m->argc = (uint32_t)i;
	for (v = sp->envp, i = 0; v && *v; v++, i++)
		PUT(*v);
	m->envc = (uint32_t)i;
#undef PUT
	m->len = (uint32_t)at;
	return 0;
}

static int32_t register_spawned(struct mn_sandbox *sb,
				const struct mn_sandbox_spawn *sp,
				struct sbx_spawn *s, struct mn_strbuf *err)
{
	struct mn_proc_spec spec = {
		.ppid = sp->ppid > 0 ? sp->ppid : MN_PID_INIT,
		.uid = sp->uid, .gid = sp->gid, .kind = MN_PROC_USER,
		.prio = sp->prio, .argv = sp->argv, .cwd = NULL,
		.host_pid = s->host_pid,
	};
	int32_t pid;
	int e;

	pid = mn_proc_create_at(sb->procs, s->pid, &spec);
	if (pid == -ESRCH && spec.ppid != MN_PID_INIT) {
		spec.ppid = MN_PID_INIT;
		pid = mn_proc_create_at(sb->procs, s->pid, &spec);
	}
	if (pid < 0) {
		mn_strbuf_printf(err, "cannot register pid %d in the process "
				 "table: %s", s->pid, strerror(-pid));
		return pid;
	}
	/* raising priority needs the host's CAP_SYS_NICE: done from here */
	if (setpriority(PRIO_PROCESS, s->host_pid, mn_prio_nice(sp->prio)) <
	    0 && errno != ESRCH)
		mn_strbuf_printf(err, "priority: %s", strerror(errno));
	if ((e = sbx_proc_watch(sb, pid, s->host_pid)) < 0)
		return e;
	return pid;
}

static int wait_spawn(struct mn_sandbox *sb, struct sbx_spawn *s)
{
	struct timespec dl;
	int e = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 30;
	while (s->state == 0 && !sb->down && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&sb->cond, &sb->lock, &dl);
	if (s->state != 0)
		return s->state < 0 ? s->state : 0;
	snprintf(s->msg, sizeof(s->msg), "%s", sb->down ?
		 "the sandbox is shutting down" :
		 "the program did not start within 30 s");
	return sb->down ? -ESHUTDOWN : -ETIMEDOUT;
}

static void spawn_drop(struct mn_sandbox *sb, struct sbx_spawn *s)
{
	struct sbx_spawn **pp = &sb->spawns;

	while (*pp && *pp != s)
		pp = &(*pp)->next;
	if (*pp)
		*pp = s->next;
	sbx_faults_detach(sb, s->fault_ids, &s->nfaults);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->efd >= 0)
		close(s->efd);
	free(s);
}

int32_t mn_sandbox_spawn(struct mn_sandbox *sb,
			 const struct mn_sandbox_spawn *sp,
			 struct mn_strbuf *err)
{
	struct mn_strbuf dummy = MN_STRBUF_INIT;
	struct sbx_msg *m = NULL;
	struct sbx_spawn *s = NULL;
	int32_t pid;
	int e, lfd;

	if (!err)
		err = &dummy;

	if (!sb || !sp || !sp->argv || !sp->argv[0] ||
	    (unsigned)sp->prio >= MN_PRIO__COUNT) {
		mn_strbuf_printf(err, "spawn: no program given");
		e = -EINVAL;
		goto out;
	}
	m = calloc(1, SBX_MSG_MAX);
	s = calloc(1, sizeof(*s));
	if (!m || !s) {
		e = -ENOMEM;
		goto out;
	}
	if ((e = pack(m, sp)) < 0) {
		mn_strbuf_printf(err, "%s: argument list and environment "
				 "exceed %d KiB", sp->argv[0],
				 MN_SANDBOX_ARG_MAX / 1024);
		goto out;
	}
	m->type = SBX_MSG_SPAWN;
	m->uid = sp->uid;
	m->gid = sp->gid;
	m->mem_limit = sp->mem_limit;
	m->cwd_strict = !!sp->cwd_strict;
	m->traced = sb->trace_files || sp->trace_files;
	m->trap_fork = sp->faults && sbx_faults_name_fork(sp->faults);
	s->lfd = s->efd = -1;
	pthread_mutex_lock(&sb->lock);
	if (sb->down) {
		pthread_mutex_unlock(&sb->lock);
		mn_strbuf_printf(err, "the sandbox is shutting down");
		e = -ESHUTDOWN;
		goto out;
	}
	s->id = m->id = ++sb->next_id;
	s->next = sb->spawns;
	sb->spawns = s;
	pthread_mutex_unlock(&sb->lock);
	/* sends are serialised by the socket; a packet is atomic */
	e = sbx_msg_send(sb->sock, m, sp->fds, 3);
	pthread_mutex_lock(&sb->lock);
	if (e == 0)
		e = wait_spawn(sb, s);
	if (e < 0) {
		if (s->msg[0])
			mn_strbuf_puts(err, s->msg);
		else
			mn_strbuf_printf(err, "spawn %s: %s", sp->argv[0],
					 strerror(-e));
		/* a child that reported its failure was reaped by init */
		spawn_drop(sb, s);
		s = NULL;
		pthread_mutex_unlock(&sb->lock);
		goto out;
	}
	lfd = s->lfd;
	s->lfd = -1;
	pthread_mutex_unlock(&sb->lock);
	/* s stays listed for mn_sandbox_wait(); only its spawner frees it */
	pid = register_spawned(sb, sp, s, err);
	/* before the listener: the program's execve waits for it */
	if (pid >= 0 && sp->faults) {
		pthread_mutex_lock(&sb->lock);
		if (sbx_faults_attach(sb, sp->faults, s->pid, s->fault_ids,
				      SBX_RUN_FAULTS_MAX, &s->nfaults, err))
			pid = -EINVAL;
		pthread_mutex_unlock(&sb->lock);
	}
	if (pid >= 0)
		pid = sbx_listener_start(sb, lfd, sp->trace_files);
	else
		close(lfd);
	if (pid < 0) {
		kill(s->host_pid, SIGKILL);
		if (!mn_strbuf_str(err)[0])
			mn_strbuf_printf(err, "spawn %s: %s", sp->argv[0],
					 strerror(-pid));
		pthread_mutex_lock(&sb->lock);
		spawn_drop(sb, s);
		pthread_mutex_unlock(&sb->lock);
		s = NULL;
		e = pid;
		goto out;
	}
	e = s->pid;
	s = NULL;
out:
	free(m);
	free(s);
	mn_strbuf_release(&dummy);
	return e;
}

int mn_sandbox_wait(struct mn_sandbox *sb, int32_t pid, int *status,
		    int timeout_ms)
{
	struct sbx_spawn *s;
	struct timespec dl;
	int e = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	if (timeout_ms >= 0) {
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&sb->lock);
	s = spawn_find(sb, 0, pid);
	if (!s || s->waited || s->detached) {
		e = -ECHILD;
		goto out;
	}
	while (!s->exited && !sb->down && e != ETIMEDOUT) {
		if (timeout_ms < 0)
			e = pthread_cond_wait(&sb->cond, &sb->lock);
		else
			e = pthread_cond_timedwait(&sb->cond, &sb->lock, &dl);
	}
	if (s->exited) {
		if (status)
			*status = s->status;
		spawn_drop(sb, s);
		e = 0;
	} else {
		e = sb->down ? -ESHUTDOWN : -EAGAIN;
	}
out:
	pthread_mutex_unlock(&sb->lock);
	return e;
}

int mn_sandbox_watch(struct mn_sandbox *sb, int32_t pid)
{
	struct sbx_spawn *s;
	uint64_t one = 1;
	int fd = -ECHILD;

	pthread_mutex_lock(&sb->lock);
	s = spawn_find(sb, 0, pid);
	if (!s || s->waited || s->detached)
		goto out;
	if (s->efd < 0) {
		s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->efd < 0) {
			fd = -errno;
			goto out;
		}
		if (s->exited && write(s->efd, &one, sizeof(one)) < 0)
			abort();
	}
	fd = fcntl(s->efd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		fd = -errno;
out:
	pthread_mutex_unlock(&sb->lock);
	return fd;
}

int mn_sandbox_detach(struct mn_sandbox *sb, int32_t pid)
{
	struct sbx_spawn *s;
	int e = 0;

	pthread_mutex_lock(&sb->lock);
	s = spawn_find(sb, 0, pid);
	if (!s || s->waited || s->detached)
		e = -ECHILD;
	else if (s->exited)
		spawn_drop(sb, s);
	else
		s->detached = 1;
	pthread_mutex_unlock(&sb->lock);
	return e;
}

/* How the host hook delivers, set by the caller of mn_signals_kill. */
static __thread int hook_mode;


/* The signal service's path to real programs (signal.h host hook). */
int sbx_host_signal(void *arg, int32_t pid, int32_t host_pid, int sig)
{
	(void)arg;
	(void)pid;
	if (hook_mode == SBX_HOOK_SKIP)
		return 0;	/* the trapped kill() itself will deliver */
	if (kill(hook_mode == SBX_HOOK_GROUP ? -host_pid : host_pid, sig) < 0)
		return -errno;
	return 0;
}

int sbx_signal_via_service(struct mn_sandbox *sb,
			   const struct mn_cred *sender, int32_t pid, int sig,
			   int mode)
{
	int e;

	hook_mode = mode;
	e = mn_signals_kill(sb->signals, sender, pid, sig);
	hook_mode = SBX_HOOK_PID;
	return e;
}

int mn_sandbox_signal(struct mn_sandbox *sb, int32_t pid, int sig)
{
	int e = sbx_signal_via_service(sb, NULL, pid, sig, SBX_HOOK_GROUP);

	/* the leader may be gone while its group lives on */
	if (e == -ESRCH) {
		pid_t host = sbx_proc_host(sb, pid);

		if (host > 0 && kill(-host, sig) == 0)
			e = 0;
	}
	return e;
}

void mn_sandbox_stats(struct mn_sandbox *sb, struct mn_sandbox_stats *out)
{
	pthread_mutex_lock(&sb->lock);
	*out = sb->stats;
	pthread_mutex_unlock(&sb->lock);
}

int mn_sandbox_init_host_pid(struct mn_sandbox *sb)
{
	return sb->init_pid;
}
