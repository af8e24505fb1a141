/*
 * supervisor - the sandbox of one instance: create/destroy, spawn, wait,
 * and the life of every sandboxed process in the MicronOS process table.
 *
 * The control thread waits (epoll) on four things: init's socket (SPAWNED,
 * LISTENER, FAILED and EXITED messages), one pidfd per registered process,
 * a housekeeping timer and a stop eventfd.
 *
 * Lifecycle of a process.  A spawned program is registered by the thread
 * that called mn_sandbox_spawn() as soon as its listener arrives (it is
 * then blocked in its first, trapped, execve), at the pid the namespace
 * gave it.  Processes it forks are registered when first seen: their first
 * trapped call (sbx_proc_lookup, from a notification thread) reads
 * /proc/HOSTPID/status and records them as forks of their parent.  Each
 * registered process has a pidfd; when it becomes readable the process has
 * exited: its wait status comes from /proc/PID/stat while it is a zombie
 * or from PIDFD_GET_INFO once reaped (Linux 6.15), ProcessTerminated is
 * published through mn_proc_exit(), and the record is reaped once the host
 * process is.
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

/* PIDFD_GET_INFO (Linux 6.13; exit status from 6.15). */
struct sbx_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid,
		fsgid;
	int32_t exit_code;
	uint32_t coredump_mask, spare;
};
#define SBX_PIDFD_GET_INFO _IOWR(0xFF, 11, struct sbx_pidfd_info)
#define SBX_PIDFD_INFO_EXIT (1ULL << 3)

#define EV_SOCK 1ULL
#define EV_STOP 2ULL
#define EV_TIMER 3ULL
#define PROC_BUCKETS 1024

struct sbx_spawn {
	uint64_t id;
	int32_t pid;		/* namespace pid, 0 until known */
	int state;		/* 0 pending, 1 listener arrived, < 0 failed */
	int lfd;		/* listener, until handed to its thread */
	pid_t host_pid;
	char msg[512];
	int exited, status, waited;
	struct sbx_spawn *next;
};

struct sbx_proc {
	int32_t pid;
	pid_t host;
	int pidfd;
	int exited;		/* published; waiting for the host reap */
	uint64_t exited_at;	/* tick count */
	struct sbx_proc *next;
};

void sbx_stat_add(struct mn_sandbox *sb, size_t off, uint64_t n)
{
	pthread_mutex_lock(&sb->lock);
	*(uint64_t *)((char *)&sb->stats + off) += n;
	pthread_mutex_unlock(&sb->lock);
}

/* ------------------------------------------------------------------ */
/* process registry: namespace pid -> host pid and pidfd */

static struct sbx_proc *proc_find(struct mn_sandbox *sb, int32_t pid)
{
	struct sbx_proc *p = sb->proc_hash[(uint32_t)pid % PROC_BUCKETS];

	while (p && p->pid != pid)
		p = p->next;
	return p;
}

static void proc_unlink(struct mn_sandbox *sb, struct sbx_proc *dead)
{
	struct sbx_proc **pp = &sb->proc_hash[(uint32_t)dead->pid %
					      PROC_BUCKETS];

	while (*pp && *pp != dead)
		pp = &(*pp)->next;
	if (*pp)
		*pp = dead->next;
}

/* Starts watching a registered process's exit.  0 or -errno. */
static int proc_watch(struct mn_sandbox *sb, int32_t pid, pid_t host)
{
	struct sbx_proc *p = calloc(1, sizeof(*p));
	struct epoll_event ev = {.events = EPOLLIN};

	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->host = host;
	p->pidfd = (int)syscall(SYS_pidfd_open, host, 0);
	if (p->pidfd < 0) {
		int e = -errno;

		free(p);
		return e;
	}
	ev.data.ptr = p;
	pthread_mutex_lock(&sb->lock);
	p->next = sb->proc_hash[(uint32_t)pid % PROC_BUCKETS];
	sb->proc_hash[(uint32_t)pid % PROC_BUCKETS] = p;
	sb->stats.processes++;
	pthread_mutex_unlock(&sb->lock);
	/* after the insert: the control thread may see it at once */
	epoll_ctl(sb->epfd, EPOLL_CTL_ADD, p->pidfd, &ev);
	return 0;
}

/* What /proc/HOST/status says about a process. */
struct host_status {
	pid_t tgid, ppid;
	int32_t nspid;
	uint32_t uid, euid, gid, egid;
};

static int read_status(pid_t tid, struct host_status *hs)
{
	char path[64], line[256];
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &hs->tgid) == 1)
			got |= 1;
		else if (sscanf(line, "PPid: %d", &hs->ppid) == 1)
			got |= 2;
		else if (sscanf(line, "Uid: %u %u", &hs->uid, &hs->euid) == 2)
			got |= 4;
		else if (sscanf(line, "Gid: %u %u", &hs->gid, &hs->egid) == 2)
			got |= 8;
		else if (!strncmp(line, "NSpid:", 6)) {
			char *last = strrchr(line, '\t');

			/* the innermost namespace (ours) is the last column */
			if (last && sscanf(last, "%d", &hs->nspid) == 1)
				got |= 16;
		}
	}
	fclose(f);
	return got == 31 ? 0 : -ESRCH;
}

/* Host uids are base + MicronOS uid; /proc shows host ids. */
static uint32_t to_mn_id(struct mn_sandbox *sb, uint32_t host)
{
	uint32_t base = sb->uid_base;

	return host - base < MN_SANDBOX_ID_COUNT ? host - base : 65534;
}

static int32_t lookup_depth(struct mn_sandbox *sb, pid_t tid, pid_t *tgid,
			    int depth);

/* Registers host process hs (not yet in the table) as a fork. */
static int32_t register_fork(struct mn_sandbox *sb,
			     const struct host_status *hs, int depth)
{
	int32_t ppid = MN_PID_INIT, pid;
	pid_t ignored;
	int retried = 0;

	if (hs->ppid != sb->init_pid && depth < 16) {
		ppid = lookup_depth(sb, hs->ppid, &ignored, depth + 1);
		if (ppid < 0)
			ppid = MN_PID_INIT;
	}
again:
	pid = mn_proc_fork(sb->procs, ppid, hs->nspid, hs->tgid);
	if (pid == -EEXIST && !retried++) {
		/* a record left by a process whose exit we have not seen
		   yet: this pid is the kernel's now */
		struct mn_proc_info old;

		if (mn_proc_get(sb->procs, hs->nspid, &old) == 0 &&
		    old.host_pid != hs->tgid) {
			if (old.state != MN_PROC_ZOMBIE)
				mn_proc_exit(sb->procs, hs->nspid,
					     MN_W_SIGNALED(SIGKILL));
			mn_proc_wait(sb->procs, old.ppid, hs->nspid, 0, NULL,
				     NULL);
			goto again;
		}
	}
	if (pid < 0)
		return pid;
	mn_proc_set_ids(sb->procs, pid, to_mn_id(sb, hs->uid),
			to_mn_id(sb, hs->euid), to_mn_id(sb, hs->gid),
			to_mn_id(sb, hs->egid));
	if (proc_watch(sb, pid, hs->tgid) < 0) {
		/* gone already: publish its exit now, nothing to watch */
		mn_proc_exit(sb->procs, pid, MN_W_EXITED(0));
	}
	return pid;
}

static int32_t lookup_depth(struct mn_sandbox *sb, pid_t tid, pid_t *tgid,
			    int depth)
{
	struct host_status hs;
	int32_t pid = mn_proc_find_by_host(sb->procs, tid);
	int e;

	*tgid = tid;
	if (pid > 0)
		return pid;
	if (tid == sb->init_pid)
		return MN_PID_INIT;
	if ((e = read_status(tid, &hs)) < 0)
		return e;
	*tgid = hs.tgid;
	if (hs.tgid != tid) {
		pid = mn_proc_find_by_host(sb->procs, hs.tgid);
		if (pid > 0)
			return pid;
		if (read_status(hs.tgid, &hs) < 0)
			return -ESRCH;
	}
	return register_fork(sb, &hs, depth);
}

int32_t sbx_proc_lookup(struct mn_sandbox *sb, pid_t tid, pid_t *host_tgid)
{
	return lookup_depth(sb, tid, host_tgid, 0);
}

/* ------------------------------------------------------------------ */
/* exits */

/* The wait status of an exited host process; -EAGAIN if not known yet. */
static int host_exit_status(struct sbx_proc *p, int *reaped)
{
	struct sbx_pidfd_info info = {.mask = SBX_PIDFD_INFO_EXIT};
	char path[64], buf[1024], *s;
	int fd, code, i;
	ssize_t n;

	*reaped = 0;
	if (ioctl(p->pidfd, SBX_PIDFD_GET_INFO, &info) == 0 &&
	    (info.mask & SBX_PIDFD_INFO_EXIT)) {
		*reaped = 1;
		return info.exit_code;
	}
	/* still a zombie: field 52 of stat is the exit code */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->host);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto retry;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		goto retry;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	for (i = 2; s && i < 52; i++)
		s = strchr(s + 1, ' ');
	if (s && sscanf(s, " %d", &code) == 1)
		return code;
retry:
	/* reaped between the two looks */
	info.mask = SBX_PIDFD_INFO_EXIT;
	if (ioctl(p->pidfd, SBX_PIDFD_GET_INFO, &info) == 0 &&
	    (info.mask & SBX_PIDFD_INFO_EXIT)) {
		*reaped = 1;
		return info.exit_code;
	}
	return -EAGAIN;
}

static void proc_forget(struct mn_sandbox *sb, struct sbx_proc *p)
{
	struct mn_proc_info info;

	/* the host reaped it: so does MicronOS, on its parent's behalf */
	if (mn_proc_get(sb->procs, p->pid, &info) == 0 &&
	    info.host_pid == p->host && info.state == MN_PROC_ZOMBIE)
		mn_proc_wait(sb->procs, info.ppid, p->pid, 0, NULL, NULL);
	epoll_ctl(sb->epfd, EPOLL_CTL_DEL, p->pidfd, NULL);
	close(p->pidfd);
	pthread_mutex_lock(&sb->lock);
	proc_unlink(sb, p);
	pthread_mutex_unlock(&sb->lock);
	free(p);
}

static void proc_exited(struct mn_sandbox *sb, struct sbx_proc *p)
{
	struct mn_proc_info info;
	int reaped, status;

	if (!p->exited) {
		status = host_exit_status(p, &reaped);
		if (status == -EAGAIN)
			return;	/* the next tick tries again */
		p->exited = 1;
		if (mn_proc_get(sb->procs, p->pid, &info) == 0 &&
		    info.host_pid == p->host && info.state != MN_PROC_ZOMBIE)
			mn_proc_exit(sb->procs, p->pid, status);
		SBX_STAT(sb, exits, 1);
		/* a zombie stays readable: stop polling it */
		epoll_ctl(sb->epfd, EPOLL_CTL_DEL, p->pidfd, NULL);
	} else {
		host_exit_status(p, &reaped);
	}
	if (reaped)
		proc_forget(sb, p);
}

/* Timer: exits not resolved yet, zombies the host has reaped since. */
static void housekeeping(struct mn_sandbox *sb)
{
	struct sbx_proc *todo[256];
	size_t n = 0, b, i;

	pthread_mutex_lock(&sb->lock);
	for (b = 0; b < PROC_BUCKETS && n < 256; b++) {
		struct sbx_proc *p;

		for (p = sb->proc_hash[b]; p && n < 256; p = p->next)
			if (p->exited)
				todo[n++] = p;
	}
	pthread_mutex_unlock(&sb->lock);
	/* only this thread frees records, so the pointers stay valid */
	for (i = 0; i < n; i++)
		proc_exited(sb, todo[i]);
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
		}
		break;
	case SBX_MSG_FAILED:
		m->data[m->len ? m->len - 1 : 0] = '\0';
		snprintf(s->msg, sizeof(s->msg), "%s", m->len ? m->data :
			 "cannot start the program");
		s->state = m->status < 0 ? m->status : -EIO;
		break;
	case SBX_MSG_EXITED:
		s->exited = 1;
		s->status = m->status;
		if (s->state == 0) {
			snprintf(s->msg, sizeof(s->msg), "the program died "
				 "before it started (status 0x%x)", m->status);
			s->state = -ECHILD;
		}
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
				if (read(sb->timer_fd, &v, sizeof(v)) > 0)
					housekeeping(sb);
			} else {
				proc_exited(sb, evs[i].data.ptr);
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

	sb->proc_hash = calloc(PROC_BUCKETS, sizeof(*sb->proc_hash));
	sb->epfd = epoll_create1(EPOLL_CLOEXEC);
	sb->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sb->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				      TFD_CLOEXEC | TFD_NONBLOCK);
	if (!sb->proc_hash || sb->epfd < 0 || sb->stop_efd < 0 ||
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
	size_t b;

	if (sb->ctl_started) {
		if (write(sb->stop_efd, &one, sizeof(one)) < 0)
			abort();
		pthread_join(sb->ctl_thread, NULL);
		sb->ctl_started = 0;
	}
	/* the world is gone: publish every exit the thread did not see */
	for (b = 0; sb->proc_hash && b < PROC_BUCKETS; b++) {
		while (sb->proc_hash[b]) {
			struct sbx_proc *p = sb->proc_hash[b];
			struct mn_proc_info info;
			int reaped, st = host_exit_status(p, &reaped);

			sb->proc_hash[b] = p->next;
			if (!p->exited && mn_proc_get(sb->procs, p->pid,
						      &info) == 0 &&
			    info.host_pid == p->host &&
			    info.state != MN_PROC_ZOMBIE)
				mn_proc_exit(sb->procs, p->pid, st >= 0 ? st :
					     MN_W_SIGNALED(SIGKILL));
			if (mn_proc_get(sb->procs, p->pid, &info) == 0 &&
			    info.host_pid == p->host &&
			    info.state == MN_PROC_ZOMBIE)
				mn_proc_wait(sb->procs, info.ppid, p->pid, 0,
					     NULL, NULL);
			close(p->pidfd);
			free(p);
		}
	}
	free(sb->proc_hash);
	sb->proc_hash = NULL;
	while (sb->spawns) {
		struct sbx_spawn *s = sb->spawns;

		sb->spawns = s->next;
		if (s->lfd >= 0)
			close(s->lfd);
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
	if ((e = proc_watch(sb, pid, s->host_pid)) < 0)
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
	if (s->lfd >= 0)
		close(s->lfd);
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
	s->lfd = -1;
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
	if (pid >= 0)
		pid = sbx_listener_start(sb, lfd);
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
	if (!s || s->waited) {
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
		struct sbx_proc *p;
		pid_t host = 0;

		pthread_mutex_lock(&sb->lock);
		p = proc_find(sb, pid);
		if (p)
			host = p->host;
		pthread_mutex_unlock(&sb->lock);
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
