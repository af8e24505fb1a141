/*
 * registry - the sandboxed host processes MicronOS knows, and their ends.
 *
 * Each registered process has a record here (namespace pid -> host pid and
 * a pidfd) next to its MicronOS process record.  A spawned program is
 * registered by the thread that spawned it (supervisor.c); processes it
 * forks are registered when first seen: their first trapped call
 * (sbx_proc_lookup, from a notification thread) reads /proc/HOSTPID/status
 * and records them as forks of their parent.
 *
 * The control thread watches every pidfd.  When one becomes readable the
 * process has exited: its wait status comes from /proc/PID/stat while it
 * is a zombie or from PIDFD_GET_INFO once reaped (Linux 6.15),
 * ProcessTerminated is published through mn_proc_exit() (the kernel's exit
 * hooks then release what the process held: its memory, its VFS
 * descriptors, its sockets), and the record is reaped once the host
 * process is.  The same thread's timer (sbx_registry_tick) retries exits
 * not resolved yet and, once a second, queues a job of the kernel task
 * "sandboxd" that copies every live process's CPU time and memory from
 * /proc/HOSTPID/stat into the process table (mn_proc_update_usage) for
 * `top`, `ps` and /proc: as a kernel task's work it is counted on
 * sandboxd, and `suspend` of sandboxd holds it.  The job's token outlives
 * the sandbox if the job is still queued when the sandbox goes.
 *
 * Only the control thread frees records (and sbx_registry_clear, after it
 * stopped), so pointers it collected under sb->lock stay valid after the
 * lock is dropped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/sched.h>

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

#define PROC_BUCKETS 1024
#define BATCH 256		/* records handled per tick and pass */
#define USAGE_EVERY 5		/* ticks (200 ms) between usage updates */

/* The usage job's hold on the sandbox (see above). */
struct sbx_usage {
	pthread_mutex_t m;
	struct mn_sandbox *sb;	/* NULL once the sandbox is gone */
	int refs;		/* the sandbox's, and a queued job's */
	int queued;
};

struct sbx_proc {
	int32_t pid;
	pid_t host;
	int pidfd;
	int exited;		/* published; waiting for the host reap */
	uint64_t rand_off;	/* getrandom bytes served (xlate.c) */
	struct sbx_proc *next;
};

int sbx_registry_init(struct mn_sandbox *sb)
{
	sb->proc_hash = calloc(PROC_BUCKETS, sizeof(*sb->proc_hash));
	sb->usage = calloc(1, sizeof(*sb->usage));
	if (!sb->proc_hash || !sb->usage)
		return -ENOMEM;
	pthread_mutex_init(&sb->usage->m, NULL);
	sb->usage->sb = sb;
	sb->usage->refs = 1;
	return 0;
}

static void usage_put(struct sbx_usage *u)
{
	int last;

	pthread_mutex_lock(&u->m);
	last = --u->refs == 0;
	pthread_mutex_unlock(&u->m);
	if (last) {
		pthread_mutex_destroy(&u->m);
		free(u);
	}
}

static struct sbx_proc *proc_find(struct mn_sandbox *sb, int32_t pid)
{
	struct sbx_proc *p = sb->proc_hash[(uint32_t)pid % PROC_BUCKETS];

	while (p && p->pid != pid)
		p = p->next;
	return p;
}

uint64_t sbx_proc_take_random(struct mn_sandbox *sb, int32_t pid,
			      uint64_t n)
{
	struct sbx_proc *p;
	uint64_t off = 0;

	pthread_mutex_lock(&sb->lock);
	p = sb->proc_hash ? proc_find(sb, pid) : NULL;
	if (p) {
		off = p->rand_off;
		p->rand_off += n;
	}
	pthread_mutex_unlock(&sb->lock);
	return off;
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

pid_t sbx_proc_host(struct mn_sandbox *sb, int32_t pid)
{
	struct sbx_proc *p;
	pid_t host = 0;

	pthread_mutex_lock(&sb->lock);
	p = sb->proc_hash ? proc_find(sb, pid) : NULL;
	if (p && !p->exited)
		host = p->host;
	pthread_mutex_unlock(&sb->lock);
	return host;
}

int sbx_proc_watch(struct mn_sandbox *sb, int32_t pid, pid_t host)
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

/* ------------------------------------------------------------------ */
/* first sight of a forked process */

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

/* The same for gids (a subordinate gid range may start elsewhere). */
static uint32_t to_mn_gid(struct mn_sandbox *sb, uint32_t host)
{
	uint32_t base = sb->gid_base;

	return host - base < MN_SANDBOX_ID_COUNT ? host - base : 65534;
}

static int32_t lookup_depth(struct mn_sandbox *sb, pid_t tid, pid_t *tgid,
			    int depth);

/* A record left by a process whose exit we have not seen yet: the pid is
   the kernel's now, so the old one ends here. */
static void evict_stale(struct mn_sandbox *sb, int32_t pid, pid_t new_host)
{
	struct mn_proc_info old;

	/* only a sandboxed process's: a kernel task's pid taken by a
	   program (ns_last_pid is read-only inside, but be sure) must not
	   end the task */
	if (mn_proc_get(sb->procs, pid, &old) < 0 || old.host_pid == new_host ||
	    old.host_pid == 0 || old.kind != MN_PROC_USER)
		return;
	if (old.state != MN_PROC_ZOMBIE)
		mn_proc_exit(sb->procs, pid, MN_W_SIGNALED(SIGKILL));
	mn_proc_wait(sb->procs, old.ppid, pid, 0, NULL, NULL);
}

/* Registers host process hs (not yet in the table) as a fork. */
static int32_t register_fork(struct mn_sandbox *sb,
			     const struct host_status *hs, int depth)
{
	int32_t ppid = MN_PID_INIT, pid;
	pid_t ignored;

	if (hs->ppid != sb->init_pid && depth < 16) {
		ppid = lookup_depth(sb, hs->ppid, &ignored, depth + 1);
		if (ppid < 0)
			ppid = MN_PID_INIT;
	}
	pid = mn_proc_fork(sb->procs, ppid, hs->nspid, hs->tgid);
	if (pid == -EEXIST) {
		evict_stale(sb, hs->nspid, hs->tgid);
		pid = mn_proc_fork(sb->procs, ppid, hs->nspid, hs->tgid);
	}
	if (pid < 0)
		return pid;
	mn_proc_set_ids(sb->procs, pid, to_mn_id(sb, hs->uid),
			to_mn_id(sb, hs->euid), to_mn_gid(sb, hs->gid),
			to_mn_gid(sb, hs->egid));
	/* gone already: publish its exit now, nothing to watch */
	if (sbx_proc_watch(sb, pid, hs->tgid) < 0)
		mn_proc_exit(sb->procs, pid, MN_W_EXITED(0));
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

/* The pid namespace inode of a host process; 0 if it is gone. */
static ino_t pidns_of(pid_t host)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)host);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/*
 * The proc table's host resolver: a FUSE caller the table does not know.
 * A program's fork that has made no trapped call yet (python's child
 * between fork and exec listing /proc/self/fd) is registered here, as
 * its first trapped call would, so /proc/self names it and not init.
 * Only threads of the sandbox's pid namespace qualify: host tools stay
 * unknown.  A thread's parent is its process's (a thread of a spawned
 * program is left to the supervisor as well, until it registers).
 */
/*
 * Registers every process of the world the table does not know: a walk
 * down from init through each thread's children list.  Forks that made no
 * trapped call are found so (getpid and getppid run natively).  At most
 * one walk per SYNC_NS unless forced (a lookup of a pid that is missing).
 */
#define SYNC_NS 20000000LL
#define SYNC_MAX 4096

static void sync_world(struct mn_sandbox *sb, int force)
{
	pid_t *q = NULL, tid;
	size_t head = 0, tail = 0;
	struct timespec now;
	long long t, prev;
	char path[64];
	DIR *d;
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	prev = atomic_load(&sb->synced_ns);
	if ((!force && t - prev < SYNC_NS) || sb->init_pid <= 0)
		return;
	atomic_store(&sb->synced_ns, t);
	q = malloc(SYNC_MAX * sizeof(*q));
	if (!q)
		return;
	q[tail++] = sb->init_pid;
	while (head < tail) {
		pid_t host = q[head++];
		struct dirent *de;

		if (host != sb->init_pid &&
		    mn_proc_find_by_host(sb->procs, host) <= 0)
			sbx_proc_resolve(sb, host);
		snprintf(path, sizeof(path), "/proc/%d/task", (int)host);
		d = opendir(path);
		while (d && (de = readdir(d))) {
			if ((tid = (pid_t)atoi(de->d_name)) <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
				 (int)host, (int)tid);
			f = fopen(path, "re");
			while (f && tail < SYNC_MAX &&
			       fscanf(f, "%d", &q[tail]) == 1)
				tail++;
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
	}
	free(q);
}

int32_t sbx_proc_resolve(void *arg, int32_t host_tid)
{
	struct mn_sandbox *sb = arg;
	ino_t ns;
	struct host_status hs;

	if (host_tid <= 0) {	/* mn_proc_sync_host() */
		sync_world(sb, host_tid < 0);
		return 0;
	}
	ns = pidns_of(host_tid);

	if (!ns || ns != pidns_of(sb->init_pid))
		return -ESRCH;
	/* init's children are spawned programs: the supervisor registers
	   them with their command line once init reports them, and a
	   record made here first would take their pid */
	if (read_status(host_tid, &hs) < 0 || hs.ppid == sb->init_pid)
		return -ESRCH;
	return sbx_proc_lookup(sb, host_tid, &hs.tgid);
}

/* ------------------------------------------------------------------ */
/* exits */

/* Reads /proc/HOST/stat into buf; a pointer just past "(comm)" or NULL. */
static char *host_stat(pid_t host, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)host);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strrchr(buf, ')');
}

/* Field `nr` (1-based, as in proc(5)) of a stat line, after the comm. */
static const char *stat_field(const char *after_comm, int nr)
{
	const char *s = after_comm;
	int i;

	for (i = 2; s && i < nr; i++)
		s = strchr(s + 1, ' ');
	return s;
}

/* The wait status of an exited host process; -EAGAIN if not known yet. */
static int host_exit_status(struct sbx_proc *p, int *reaped)
{
	struct sbx_pidfd_info info = {.mask = SBX_PIDFD_INFO_EXIT};
	char buf[1024];
	const char *s;
	int code;

	*reaped = 0;
	if (ioctl(p->pidfd, SBX_PIDFD_GET_INFO, &info) == 0 &&
	    (info.mask & SBX_PIDFD_INFO_EXIT)) {
		*reaped = 1;
		return info.exit_code;
	}
	/* still a zombie: field 52 of stat is the exit code */
	s = host_stat(p->host, buf, sizeof(buf));
	if (s && (s = stat_field(s, 52)) && sscanf(s, " %d", &code) == 1)
		return code;
	/* reaped between the two looks */
	info.mask = SBX_PIDFD_INFO_EXIT;
	if (ioctl(p->pidfd, SBX_PIDFD_GET_INFO, &info) == 0 &&
	    (info.mask & SBX_PIDFD_INFO_EXIT)) {
		*reaped = 1;
		return info.exit_code;
	}
	return -EAGAIN;
}

/* Publishes the exit of p's process (if the table still holds it). */
static void publish_exit(struct mn_sandbox *sb, struct sbx_proc *p,
			 int status)
{
	struct mn_proc_info info;

	if (mn_proc_get(sb->procs, p->pid, &info) == 0 &&
	    info.host_pid == p->host && info.state != MN_PROC_ZOMBIE)
		mn_proc_exit(sb->procs, p->pid, status);
}

/* The host reaped it: so does MicronOS, on its parent's behalf. */
static void reap_record(struct mn_sandbox *sb, struct sbx_proc *p)
{
	struct mn_proc_info info;

	if (mn_proc_get(sb->procs, p->pid, &info) == 0 &&
	    info.host_pid == p->host && info.state == MN_PROC_ZOMBIE)
		mn_proc_wait(sb->procs, info.ppid, p->pid, 0, NULL, NULL);
}

static void proc_forget(struct mn_sandbox *sb, struct sbx_proc *p)
{
	reap_record(sb, p);
	epoll_ctl(sb->epfd, EPOLL_CTL_DEL, p->pidfd, NULL);
	close(p->pidfd);
	pthread_mutex_lock(&sb->lock);
	proc_unlink(sb, p);
	pthread_mutex_unlock(&sb->lock);
	free(p);
}

void sbx_proc_exited(struct mn_sandbox *sb, struct sbx_proc *p)
{
	int reaped, status;

	if (!p->exited) {
		status = host_exit_status(p, &reaped);
		if (status == -EAGAIN)
			return;	/* the next tick tries again */
		pthread_mutex_lock(&sb->lock);
		p->exited = 1;
		sb->stats.exits++;
		pthread_mutex_unlock(&sb->lock);
		publish_exit(sb, p, status);
		/* a zombie stays readable: stop polling it */
		epoll_ctl(sb->epfd, EPOLL_CTL_DEL, p->pidfd, NULL);
	} else {
		host_exit_status(p, &reaped);
	}
	if (reaped)
		proc_forget(sb, p);
}

/* ------------------------------------------------------------------ */
/* usage: what `top` shows */

/* Copies CPU time, memory and threads of a live process from the host. */
static void update_usage(struct mn_sandbox *sb, int32_t pid, pid_t host)
{
	static long tick_ns, page;
	struct mn_proc_usage u = {0};
	unsigned long long ut, st, vsize;
	long long rss;
	long threads;
	char buf[1024];
	const char *s;

	if (!tick_ns) {
		long hz = sysconf(_SC_CLK_TCK);

		page = sysconf(_SC_PAGESIZE);
		tick_ns = 1000000000L / (hz > 0 ? hz : 100);
	}
	s = host_stat(host, buf, sizeof(buf));
	if (!s || !(s = stat_field(s, 14)) ||
	    sscanf(s, " %llu %llu", &ut, &st) != 2 ||
	    !(s = stat_field(s, 20 - 14 + 2)) || sscanf(s, " %ld", &threads)
	    != 1 || !(s = stat_field(s, 23 - 20 + 2)) ||
	    sscanf(s, " %llu %lld", &vsize, &rss) != 2)
		return;	/* gone: its exit is on the way */
	u.utime_ns = ut * (uint64_t)tick_ns;
	u.stime_ns = st * (uint64_t)tick_ns;
	u.vsize_bytes = vsize;
	u.rss_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	u.threads = threads > 0 ? (uint32_t)threads : 1;
	mn_proc_update_usage(sb->procs, pid, &u);
}

void sbx_registry_update_usage(struct mn_sandbox *sb)
{
	struct {
		int32_t pid;
		pid_t host;
	} todo[BATCH];
	size_t n, b, i;

	/* in batches, so the lock is never held for long */
	for (b = 0; b < PROC_BUCKETS;) {
		n = 0;
		pthread_mutex_lock(&sb->lock);
		for (; b < PROC_BUCKETS && n + 32 < BATCH; b++) {
			struct sbx_proc *p;

			for (p = sb->proc_hash[b]; p && n < BATCH; p = p->next)
				if (!p->exited) {
					todo[n].pid = p->pid;
					todo[n++].host = p->host;
				}
		}
		pthread_mutex_unlock(&sb->lock);
		for (i = 0; i < n; i++)
			update_usage(sb, todo[i].pid, todo[i].host);
	}
}

/* The job: the sandbox cannot go while it runs (u->m is held). */
static void usage_job(void *arg)
{
	struct sbx_usage *u = arg;

	pthread_mutex_lock(&u->m);
	if (u->sb)
		sbx_registry_update_usage(u->sb);
	u->queued = 0;
	pthread_mutex_unlock(&u->m);
	usage_put(u);
}

/* Dropped unrun (sandboxd was stopped when the scheduler stopped). */
static void usage_drop(void *arg)
{
	struct sbx_usage *u = arg;

	pthread_mutex_lock(&u->m);
	u->queued = 0;
	pthread_mutex_unlock(&u->m);
	usage_put(u);
}

static void queue_usage(struct mn_sandbox *sb)
{
	struct mn_sched *s = mn_kernel_sched(sb->k);
	struct mn_sched_job job = {
		.owner = sb->ktask, .cls = MN_PRIO_HIGH, .fn = usage_job,
		.discard = usage_drop, .arg = sb->usage, .name = "usage"};
	struct sbx_usage *u = sb->usage;

	pthread_mutex_lock(&u->m);
	if (u->queued) {	/* the last one has not run (sandboxd stopped) */
		pthread_mutex_unlock(&u->m);
		return;
	}
	u->queued = 1;
	u->refs++;
	pthread_mutex_unlock(&u->m);
	/* the scheduler directly, not the kernel's runner: a job dropped
	   unrun must give its reference back (discard) */
	if (!sb->ktask || !mn_sched_running(s) ||
	    mn_sched_submit_job(s, &job) < 0)
		usage_job(u);
}

/* Timer: exits not resolved yet, zombies reaped since, usage. */
void sbx_registry_tick(struct mn_sandbox *sb)
{
	struct sbx_proc *todo[BATCH];
	size_t n = 0, b, i;

	pthread_mutex_lock(&sb->lock);
	for (b = 0; b < PROC_BUCKETS && n < BATCH; b++) {
		struct sbx_proc *p;

		for (p = sb->proc_hash[b]; p && n < BATCH; p = p->next)
			if (p->exited)
				todo[n++] = p;
	}
	pthread_mutex_unlock(&sb->lock);
	for (i = 0; i < n; i++)
		sbx_proc_exited(sb, todo[i]);
	if (++sb->ticks % USAGE_EVERY == 0)
		queue_usage(sb);
}

/* The world is gone: publish every exit the control thread did not see. */
void sbx_registry_clear(struct mn_sandbox *sb)
{
	size_t b;

	for (b = 0; sb->proc_hash && b < PROC_BUCKETS; b++) {
		while (sb->proc_hash[b]) {
			struct sbx_proc *p = sb->proc_hash[b];
			int reaped, st = host_exit_status(p, &reaped);

			sb->proc_hash[b] = p->next;
			if (!p->exited)
				publish_exit(sb, p, st >= 0 ? st :
					     MN_W_SIGNALED(SIGKILL));
			reap_record(sb, p);
			close(p->pidfd);
			free(p);
		}
	}
	free(sb->proc_hash);
	sb->proc_hash = NULL;
	if (sb->usage) {
		/* waits for a running job; a queued one will find NULL */
		pthread_mutex_lock(&sb->usage->m);
		sb->usage->sb = NULL;
		pthread_mutex_unlock(&sb->usage->m);
		usage_put(sb->usage);
		sb->usage = NULL;
	}
}
