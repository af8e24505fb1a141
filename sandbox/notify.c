/*
 * notify - the notification threads: NOTIF_RECV -> translate -> NOTIF_SEND.
 *
 * Each spawned program tree has its own seccomp listener (the filter is
 * installed in the program's child; its forks share it) and one thread
 * that serves it, blocked in NOTIF_RECV itself (not in poll; on kernels
 * before 6.6, whose RECV does not wake at the end, in poll first): the
 * kernel hands it a notification the moment one is queued.  The listener has
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set, so the kernel switches straight
 * from the blocked program to this thread and back (Linux 6.6).  The
 * thread ends when the listener reports POLLHUP: no process uses the
 * filter any more (RECV then fails with ENOENT at once).
 *
 * Signals.  The filter has WAIT_KILLABLE_RECV (filter.c): from RECV on,
 * the caller waits killably, so a signal does not interrupt a call being
 * served; it is delivered when the answer has been given, as after a
 * native call.  Before RECV the caller still waits interruptibly, and a
 * signal that arrives in that window (the few microseconds between the
 * trap and RECV) makes the kernel return ERESTARTSYS: restarted under
 * SA_RESTART, EINTR for a handler without it.  No answer can undo that,
 * so calls that natively never fail are not trapped when the kernel's own
 * answer is MicronOS's (xlate.c), and this thread waits in RECV to keep
 * the window short.  Calls the supervisor parks (netwait.c) are answered
 * ERESTARTSYS when a signal becomes pending for their caller.
 *
 * Memory of the caller is read with process_vm_readv, one page at a time,
 * into our buffers, once: every decision uses the copy.  Because the
 * caller's pid could in principle be reused between RECV and the read,
 * every copy is followed by SECCOMP_IOCTL_NOTIF_ID_VALID, and writes go
 * through /proc/TID/mem opened (and validated) first, so the descriptor
 * pins the right address space (see sbx_mem_write for why a write cannot
 * land after the call returned).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>

#include "sandbox_i.h"

#define PAGE 4096UL

struct sbx_listener {
	struct mn_sandbox *sb;
	int fd;
	int trace;
	int done;		/* the thread returned; protected by sb->lock */
	pthread_t thread;
	struct sbx_listener *next;
};

int sbx_call_valid(struct sbx_call *c)
{
	uint64_t id = c->req->id;

	return ioctl(c->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 ? 0 :
	       -ENOENT;
}

int sbx_call_signal_pending(struct sbx_call *c)
{
	unsigned long long pnd = 0, shd = 0, blk = 0;
	char path[64], line[160];
	int threads = 1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->req->pid);
	f = fopen(path, "re");
	if (!f)
		return SBX_SIG_NONE;	/* gone: ID_VALID says so */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Threads: %d", &threads) == 1 ||
		    sscanf(line, "SigPnd: %llx", &pnd) == 1 ||
		    sscanf(line, "ShdPnd: %llx", &shd) == 1)
			continue;
		if (sscanf(line, "SigBlk: %llx", &blk) == 1)
			break;		/* the last field we need */
	}
	fclose(f);
	if (pnd & ~blk)
		return SBX_SIG_OWN;
	if (shd & ~blk)
		return threads == 1 ? SBX_SIG_OWN : SBX_SIG_SHARED;
	return SBX_SIG_NONE;
}

/* One page-bounded chunk; returns bytes read (> 0) or -errno. */
static ssize_t read_chunk(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t room = PAGE - (addr & (PAGE - 1));
	struct iovec local = {buf, len < room ? len : room};
	struct iovec remote = {(void *)(uintptr_t)addr, local.iov_len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return n == 0 ? -EFAULT : n;
}

int sbx_mem_read(struct sbx_call *c, uint64_t addr, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read_chunk(c->req->pid, addr + got,
				       (char *)buf + got, len - got);

		if (n < 0)
			return (int)n;
		got += (size_t)n;
	}
	return sbx_call_valid(c);
}

int sbx_mem_read_str(struct sbx_call *c, uint64_t addr, char *buf,
		     size_t cap)
{
	size_t got = 0;

	if (cap == 0)
		return -EINVAL;
	while (got < cap - 1) {
		ssize_t n = read_chunk(c->req->pid, addr + got, buf + got,
				       cap - 1 - got);
		char *nul;

		if (n < 0)
			return (int)n;
		nul = memchr(buf + got, '\0', (size_t)n);
		if (nul) {
			if (sbx_call_valid(c) < 0)
				return -ENOENT;
			return (int)(nul - buf);
		}
		got += (size_t)n;
	}
	return -ENAMETOOLONG;
}

/*
 * Why no write lands after the call returned.  ID_VALID and the write are
 * two steps, so the check alone proves nothing about the moment of the
 * write; what does is that the caller cannot leave the call in between.
 * It was received (RECV) before we got here, and with WAIT_KILLABLE_RECV a
 * received caller waits for our answer killably: it leaves the call only
 * by the answer (which we have not sent) or by dying.  A fatal signal
 * kills its whole thread group and an exec by another thread kills it
 * too, and the descriptor opened before the check pins the address space
 * it had then, which after such a death belongs to nobody (the exec's new
 * image is another address space).  So a write after a valid check lands
 * in memory no running code of the caller uses.  The one exception is an
 * address space shared outside the thread group (a vfork child killed
 * with SIGKILL during a trapped call while its parent resumes): the write
 * then lands in the parent's stack below its stack pointer, where the
 * child's frames were.
 */
/*
 * A rootless supervisor may not open /proc/PID/mem of a program whose host
 * uid is one of its subordinate ids (the file is that uid's, mode 0600,
 * and the user has no CAP_DAC_OVERRIDE), but as the owner of the program's
 * user namespace it may write with process_vm_writev.  Without a pinning
 * descriptor the notification is checked just before: the program is
 * blocked in the call until answered, so its pid cannot be reused unless
 * it is killed in between.
 */
static int write_unpinned(struct sbx_call *c, uint64_t addr, const void *buf,
			  size_t len)
{
	size_t done = 0;

	if (sbx_call_valid(c) < 0)
		return -ENOENT;
	while (done < len) {
		uint64_t at = addr + done;
		size_t room = PAGE - (at & (PAGE - 1));
		struct iovec local = {(char *)buf + done,
				      len - done < room ? len - done : room};
		struct iovec remote = {(void *)(uintptr_t)at, local.iov_len};
		ssize_t n = process_vm_writev(c->req->pid, &local, 1, &remote,
					      1, 0);

		if (n <= 0)
			return n < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
		done += (size_t)n;
	}
	return 0;
}

int sbx_mem_write(struct sbx_call *c, uint64_t addr, const void *buf,
		  size_t len)
{
	char path[64];
	ssize_t n;
	int fd, e = 0;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)c->req->pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		return write_unpinned(c, addr, buf, len);
	if (fd < 0)
		return -ESRCH;
	/* the fd now pins an address space: make sure it is the caller's */
	if (sbx_call_valid(c) < 0)
		e = -ENOENT;
	else if ((n = pwrite(fd, buf, len, (off_t)addr)) != (ssize_t)len)
		e = -EFAULT;
	close(fd);
	return e;
}

int sbx_call_inject(struct sbx_call *c, int fd, unsigned int newfd_flags)
{
	struct seccomp_notif_addfd add = {
		.id = c->req->id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)fd,
		.newfd = 0,
		.newfd_flags = newfd_flags,
	};
	int r = ioctl(c->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);

	return r < 0 ? -errno : r;
}

/* Answers one notification; the verdict decides how. */
static void serve_one(struct sbx_listener *l, struct sbx_call *c)
{
	struct seccomp_notif_resp *resp = c->resp;
	enum sbx_verdict v;
	pid_t tgid;

	resp->id = c->req->id;
	resp->val = 0;
	resp->error = 0;
	resp->flags = 0;
	c->pid = sbx_proc_lookup(l->sb, c->req->pid, &tgid);
	c->host_tgid = tgid;
	if (c->pid < 0) {
		/* fails closed: an unknown caller gets an error, not a pass */
		resp->error = c->pid == -ESRCH ? -ESRCH : -EPERM;
		v = SBX_ANSWER;
	} else {
		v = sbx_xlate(c);
	}
	if (v == SBX_SENT) {
		SBX_STAT(l->sb, injected, 1);
		return;
	}
	if (v == SBX_DEFERRED)	/* a worker answers (netwait.c) */
		return;
	if (v == SBX_CONTINUE)
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0)
		SBX_STAT(l->sb, stale, 1);	/* caller gone/interrupted */
	else if (v == SBX_CONTINUE)
		SBX_STAT(l->sb, continued, 1);
	else if (resp->error)
		SBX_STAT(l->sb, failed, 1);
	else
		SBX_STAT(l->sb, answered, 1);
}

static void *listener_main(void *arg)
{
	struct sbx_listener *l = arg;
	struct seccomp_notif_sizes sz;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct mn_sysctx ctx;
	struct sbx_call c = {.sb = l->sb, .fd = l->fd, .ctx = &ctx,
			     .trace = l->trace};
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	int poll_first;

	if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		goto out;
	req = calloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif :
		     sizeof(*req));
	resp = calloc(1, sz.seccomp_notif_resp > sizeof(*resp) ?
		      sz.seccomp_notif_resp : sizeof(*resp));
	if (!req || !resp)
		goto out;
	/* a speed-up only: older kernels simply lack it.  The same kernels
	   (before 6.6) do not wake a blocked RECV when the last process
	   leaves the filter: there the thread waits in poll first */
	poll_first = ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0;
	mn_sysctx_init(&ctx, l->sb->k, 0, 0, 0);
	c.req = req;
	c.resp = resp;
	for (;;) {
		if (poll_first) {
			struct pollfd p = {.fd = l->fd, .events = POLLIN};

			if (poll(&p, 1, -1) < 0)
				continue;
			if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
				break;
		}
		memset(req, 0, sz.seccomp_notif);
		if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			struct pollfd p = {.fd = l->fd, .events = POLLIN};

			/* ENOENT: the caller went away, or nobody uses the
			   filter any more (then RECV no longer blocks) */
			if (errno == EINTR)
				continue;
			if (poll(&p, 1, errno == ENOENT ? 0 : 100) >= 0 &&
			    (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
				break;
			continue;
		}
		SBX_STAT(l->sb, notifications, 1);
		serve_one(l, &c);
	}
out:
	free(req);
	free(resp);
	pthread_mutex_lock(&l->sb->lock);
	l->done = 1;
	l->sb->stats.listeners--;
	pthread_mutex_unlock(&l->sb->lock);
	return NULL;
}

/* Joins the threads whose programs are all gone (a long-lived instance
   starts many). */
static void reap_done(struct mn_sandbox *sb)
{
	struct sbx_listener **pp, *done = NULL, *l;

	pthread_mutex_lock(&sb->lock);
	for (pp = &sb->listeners; *pp;) {
		l = *pp;
		if (l->done) {
			*pp = l->next;
			l->next = done;
			done = l;
		} else {
			pp = &l->next;
		}
	}
	pthread_mutex_unlock(&sb->lock);
	while ((l = done)) {
		done = l->next;
		pthread_join(l->thread, NULL);
		close(l->fd);
		free(l);
	}
}

int sbx_listener_start(struct mn_sandbox *sb, int fd, int trace)
{
	struct sbx_listener *l = calloc(1, sizeof(*l)), **pp;
	int e;

	reap_done(sb);
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	l->sb = sb;
	l->fd = fd;
	l->trace = trace;
	/* listed and counted first: the thread may end at once */
	pthread_mutex_lock(&sb->lock);
	l->next = sb->listeners;
	sb->listeners = l;
	sb->stats.listeners++;
	pthread_mutex_unlock(&sb->lock);
	e = pthread_create(&l->thread, NULL, listener_main, l);
	if (e == 0)
		return 0;
	pthread_mutex_lock(&sb->lock);
	for (pp = &sb->listeners; *pp && *pp != l; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = l->next;
	sb->stats.listeners--;
	pthread_mutex_unlock(&sb->lock);
	close(fd);
	free(l);
	return -e;
}

/* After the world is gone every listener hangs up: join them all. */
void sbx_listeners_stop(struct mn_sandbox *sb)
{
	struct sbx_listener *l;

	pthread_mutex_lock(&sb->lock);
	l = sb->listeners;
	sb->listeners = NULL;
	pthread_mutex_unlock(&sb->lock);
	while (l) {
		struct sbx_listener *next = l->next;

		pthread_join(l->thread, NULL);
		close(l->fd);
		free(l);
		l = next;
	}
}
