/*
 * ctl.c - the control socket server (see include/micronos/ctl.h for the
 * protocol).
 *
 * One accept thread and one thread per client.  The accept thread checks
 * the peer's credentials before a client gets a slot, so a stranger never
 * costs a thread.  A client thread reads one request line at a time without
 * reading past its LF (it peeks first, then takes exactly the line), so a
 * registered handler such as the sandbox's "run" receives the connection at
 * a clean boundary together with the descriptors that came with the line.
 *
 * Stopping: mn_ctl_stop() wakes the accept thread through a pipe, writes a
 * "!" notice to every shell client (under the client's write mutex, so it
 * never lands inside a response), shuts every socket down so blocked reads
 * return at once, and joins.  A command running at that moment finishes,
 * its reply fails with EPIPE, and the thread leaves.
 *
 * Lock order: ctl->lock, then a client's wlock.  Client threads take wlock
 * alone; nothing else is called with either held.
 */
#include <micronos/ctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/shell.h>

#define MAX_INFO 16

struct ctl_conn {
	struct mn_ctl *ctl;
	/* protected by ctl->lock: */
	int fd;			/* -1: slot free */
	int done;		/* the thread ended: join it */
	int owned;		/* a handler owns the fd: no notices */
	pthread_t thread;
	/* serialises writes to fd (responses vs notices) */
	pthread_mutex_t wlock;
	struct ucred cred;	/* set before the thread starts */
};

struct ctl_handler {
	char verb[MN_CTL_VERB_MAX + 1];
	mn_ctl_handler_fn fn;
	void *arg;
};

struct mn_ctl {
	struct mn_kernel *k;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	int wake[2];		/* stop wakes the accept thread */
	int started;
	pthread_t acceptor;
	atomic_int stopping;
	pthread_mutex_t lock;
	/* protected by lock: */
	struct ctl_conn conns[MN_CTL_MAX_CLIENTS];
	struct ctl_handler handlers[MN_CTL_MAX_HANDLERS];
	void (*down_fn)(void *arg);
	void *down_arg;
	struct {
		char *key;
		char *value;
	} info[MAX_INFO];
	char reason[128];
};

static const char *const builtin_verbs[] = {"sh", "complete", "info", "down"};

/* --------------------------------------------------------------------- */
/* Frames */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void add_frame(struct mn_strbuf *sb, char tag, const void *data,
		      size_t len)
{
	mn_strbuf_printf(sb, "%c %zu\n", tag, len);
	mn_strbuf_add(sb, data, len);
}

int mn_ctl_send_frame(int fd, char tag, const void *data, size_t len)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	int ret;

	add_frame(&sb, tag, data, len);
	ret = mn_strbuf_error(&sb);
	if (!ret)
		ret = write_all(fd, sb.buf, sb.len);
	mn_strbuf_release(&sb);
	return ret;
}

int mn_ctl_send_status(int fd, int status, unsigned flags)
{
	char line[48];
	int n = snprintf(line, sizeof(line), "x %d %u\n", status, flags);

	return write_all(fd, line, (size_t)n);
}

/* Writes a whole response (out, err, status) in one go under wlock. */
static int reply(struct ctl_conn *c, const struct mn_strbuf *out,
		 const struct mn_strbuf *err, int status, unsigned flags)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	int ret;

	if (out && out->len)
		add_frame(&sb, 'o', out->buf, out->len);
	if (err && err->len)
		add_frame(&sb, 'e', err->buf, err->len);
	mn_strbuf_printf(&sb, "x %d %u\n", status, flags);
	ret = mn_strbuf_error(&sb);
	if (!ret) {
		pthread_mutex_lock(&c->wlock);
		ret = write_all(c->fd, sb.buf, sb.len);
		pthread_mutex_unlock(&c->wlock);
	}
	mn_strbuf_release(&sb);
	return ret;
}

static int reply_error(struct ctl_conn *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reply_error(struct ctl_conn *c, int status, const char *fmt, ...)
{
	struct mn_strbuf err = MN_STRBUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	mn_strbuf_vprintf(&err, fmt, ap);
	va_end(ap);
	mn_strbuf_putc(&err, '\n');
	ret = reply(c, NULL, &err, status, 0);
	mn_strbuf_release(&err);
	return ret;
}

/* --------------------------------------------------------------------- */
/* Reading a request line */

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Takes up to len bytes with their descriptors. >0 bytes, 0 EOF, -errno. */
static ssize_t take(int fd, char *buf, size_t len, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MN_CTL_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {buf, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf)};
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int *p = (int *)CMSG_DATA(cm);
		size_t cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < cnt; i++) {
			if (*nfds < MN_CTL_MAX_FDS)
				fds[(*nfds)++] = p[i];
			else
				close(p[i]);
		}
	}
	return n;
}

/*
 * Reads one line (LF stripped, NUL-terminated) into buf of size cap.
 * Returns its length, -ENODATA at a clean EOF, -E2BIG for an over-long line,
 * -EPROTO for EOF inside a line, or -errno.  *nfds descriptors were
 * received into fds (also on error: the caller closes them).
 */
static ssize_t read_line(int fd, char *buf, size_t cap, int *fds, int *nfds)
{
	size_t len = 0;

	for (;;) {
		ssize_t n, got;
		char *nl;
		size_t want;

		do
			n = recv(fd, buf + len, cap - 1 - len, MSG_PEEK);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (n == 0)
			return len ? -EPROTO : -ENODATA;
		nl = memchr(buf + len, '\n', (size_t)n);
		want = nl ? (size_t)(nl - (buf + len)) + 1 : (size_t)n;
		got = take(fd, buf + len, want, fds, nfds);
		if (got <= 0)
			return got ? got : -EPROTO;
		len += (size_t)got;
		if (buf[len - 1] == '\n') {
			buf[--len] = '\0';
			if (len && buf[len - 1] == '\r')
				buf[--len] = '\0';
			return (ssize_t)len;
		}
		if (len >= cap - 1)
			return -E2BIG;
	}
}

/* --------------------------------------------------------------------- */
/* Requests */

static void do_sh(struct ctl_conn *c, const char *line)
{
	struct mn_strbuf out = MN_STRBUF_INIT, err = MN_STRBUF_INIT;
	struct mn_shell_ctx sc = {.k = c->ctl->k, .out = &out, .err = &err};
	int status = mn_shell_run(&sc, line);

	if (mn_strbuf_error(&out) || mn_strbuf_error(&err)) {
		mn_strbuf_puts(&err, "shell: output truncated (out of "
				     "memory)\n");
		if (!status)
			status = MN_SHELL_FAIL;
	}
	reply(c, &out, &err, status, sc.flags);
	mn_strbuf_release(&out);
	mn_strbuf_release(&err);
}

static void do_complete(struct ctl_conn *c, const char *line)
{
	struct mn_strbuf out = MN_STRBUF_INIT;

	mn_shell_complete(c->ctl->k, line, &out);
	reply(c, &out, NULL, 0, 0);
	mn_strbuf_release(&out);
}

static void do_info(struct ctl_conn *c)
{
	struct mn_ctl *ctl = c->ctl;
	struct mn_kernel *k = ctl->k;
	struct mn_strbuf out = MN_STRBUF_INIT;
	const char *dd = mn_kernel_data_dir(k), *rd = mn_kernel_runtime_dir(k);

	mn_strbuf_printf(&out, "name=%s\nversion=%s\nprotocol=%d\npid=%d\n",
			 mn_kernel_name(k), MN_VERSION, MN_CTL_PROTO_VERSION,
			 (int)getpid());
	mn_strbuf_printf(&out, "up=%d\nuptime_ns=%llu\nprocesses=%zu\n",
			 mn_kernel_is_up(k),
			 (unsigned long long)mn_kernel_uptime_ns(k),
			 mn_proc_count(mn_kernel_procs(k)));
	mn_strbuf_printf(&out, "clients=%d\nruntime_dir=%s\ndata_dir=%s\n",
			 mn_ctl_clients(ctl), rd ? rd : "", dd ? dd : "");
	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MAX_INFO; i++)
		if (ctl->info[i].key)
			mn_strbuf_printf(&out, "%s=%s\n", ctl->info[i].key,
					 ctl->info[i].value);
	pthread_mutex_unlock(&ctl->lock);
	reply(c, &out, NULL, 0, 0);
	mn_strbuf_release(&out);
}

static void do_down(struct ctl_conn *c)
{
	struct mn_ctl *ctl = c->ctl;
	void (*fn)(void *arg);
	void *arg;

	pthread_mutex_lock(&ctl->lock);
	fn = ctl->down_fn;
	arg = ctl->down_arg;
	pthread_mutex_unlock(&ctl->lock);
	if (!fn) {
		reply_error(c, 1, "down: this instance cannot be shut down "
				  "from its control socket");
		return;
	}
	reply(c, NULL, NULL, 0, 0);
	fn(arg);
}

static int find_handler(struct mn_ctl *ctl, const char *verb,
			struct ctl_handler *out)
{
	int found = 0;

	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_HANDLERS; i++) {
		if (ctl->handlers[i].fn &&
		    !strcmp(ctl->handlers[i].verb, verb)) {
			*out = ctl->handlers[i];
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&ctl->lock);
	return found;
}

static void set_owned(struct ctl_conn *c, int owned)
{
	pthread_mutex_lock(&c->ctl->lock);
	c->owned = owned;
	pthread_mutex_unlock(&c->ctl->lock);
}

/* Runs one request; returns nonzero to close the connection. */
static int dispatch(struct ctl_conn *c, char *line, int *fds, int *nfds)
{
	struct ctl_handler h;
	char *arg = strchr(line, ' ');
	int ret;

	if (arg)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	if (find_handler(c->ctl, line, &h)) {
		struct mn_ctl_request req = {
			.ctl = c->ctl, .fd = c->fd, .verb = line, .arg = arg,
			.fds = fds, .nfds = *nfds, .pid = c->cred.pid,
			.uid = c->cred.uid, .gid = c->cred.gid};

		*nfds = 0;	/* taken over by the handler */
		set_owned(c, 1);
		ret = h.fn(h.arg, &req);
		set_owned(c, 0);
		return ret;
	}
	if (*nfds) {
		close_fds(fds, *nfds);
		*nfds = 0;
		return reply_error(c, 2, "request '%s' takes no descriptors",
				   line) < 0;
	}
	if (!strcmp(line, "sh"))
		do_sh(c, arg);
	else if (!strcmp(line, "complete"))
		do_complete(c, arg);
	else if (!strcmp(line, "info"))
		do_info(c);
	else if (!strcmp(line, "down"))
		do_down(c);
	else
		reply_error(c, 2, "unknown request '%.32s' (protocol %d)",
			    line, MN_CTL_PROTO_VERSION);
	return 0;
}

static void *conn_main(void *p)
{
	struct ctl_conn *c = p;
	char *line = malloc(MN_CTL_LINE_MAX);
	int fds[MN_CTL_MAX_FDS];

	while (line && !atomic_load(&c->ctl->stopping)) {
		int nfds = 0;
		ssize_t n = read_line(c->fd, line, MN_CTL_LINE_MAX, fds,
				      &nfds);
		int stop;

		if (n == -E2BIG)
			reply_error(c, 2, "request longer than %d bytes",
				    MN_CTL_LINE_MAX);
		if (n < 0) {
			close_fds(fds, nfds);
			break;
		}
		stop = dispatch(c, line, fds, &nfds);
		close_fds(fds, nfds);
		if (stop)
			break;
	}
	free(line);
	pthread_mutex_lock(&c->ctl->lock);
	close(c->fd);
	c->fd = -1;
	c->done = 1;
	pthread_mutex_unlock(&c->ctl->lock);
	return NULL;
}

/* --------------------------------------------------------------------- */
/* Accepting */

static int peer_allowed(const struct ucred *cr)
{
	return cr->uid == 0 || cr->uid == geteuid();
}

/* Joins finished client threads; called with ctl->lock held.  A finished
 * thread has already left conn_main's critical section, so the join is
 * short. */
static void reap_locked(struct mn_ctl *ctl)
{
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &ctl->conns[i];

		if (c->done) {
			pthread_join(c->thread, NULL);
			c->done = 0;
		}
	}
}

static void refuse(int fd, const char *msg)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "e %zu\n%s\nx 1 0\n",
			 strlen(msg) + 1, msg);

	/* Best effort: the peer may not be reading. */
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;
	close(fd);
}

static void admit(struct mn_ctl *ctl, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct ctl_conn *slot = NULL;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    !peer_allowed(&cr)) {
		refuse(fd, "permission denied: this instance belongs to "
			   "another user");
		return;
	}
	pthread_mutex_lock(&ctl->lock);
	reap_locked(ctl);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS && !slot; i++)
		if (ctl->conns[i].fd < 0)
			slot = &ctl->conns[i];
	if (slot) {
		slot->fd = fd;
		slot->cred = cr;
		slot->owned = 0;
		if (pthread_create(&slot->thread, NULL, conn_main, slot)) {
			slot->fd = -1;
			slot = NULL;
		}
	}
	pthread_mutex_unlock(&ctl->lock);
	if (!slot)
		refuse(fd, "too many clients attached to this instance");
}

static void *accept_main(void *p)
{
	struct mn_ctl *ctl = p;

	while (!atomic_load(&ctl->stopping)) {
		struct pollfd pf[2] = {{ctl->lfd, POLLIN, 0},
				       {ctl->wake[0], POLLIN, 0}};
		int fd;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		fd = accept4(ctl->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* EMFILE and friends: back off instead of spinning */
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				poll(NULL, 0, 100);
			continue;
		}
		admit(ctl, fd);
	}
	return NULL;
}

/* --------------------------------------------------------------------- */
/* Life cycle */

int mn_ctl_create(struct mn_ctl **out, struct mn_kernel *k, const char *path)
{
	struct mn_ctl *ctl;

	if (!k || !path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(ctl->path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->k = k;
	strcpy(ctl->path, path);
	ctl->lfd = -1;
	ctl->wake[0] = ctl->wake[1] = -1;
	pthread_mutex_init(&ctl->lock, NULL);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		ctl->conns[i].ctl = ctl;
		ctl->conns[i].fd = -1;
		pthread_mutex_init(&ctl->conns[i].wlock, NULL);
	}
	*out = ctl;
	return 0;
}

static int bind_socket(struct mn_ctl *ctl)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, ret = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, ctl->path);
	/* The caller holds the instance lock: a socket file left here
	 * belongs to a dead instance. */
	unlink(ctl->path);
	old = umask(0177);	/* never a moment with a wider mode */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		ret = -errno;
	umask(old);
	if (!ret && chmod(ctl->path, 0600) < 0)
		ret = -errno;
	if (!ret && listen(fd, 16) < 0)
		ret = -errno;
	if (ret) {
		close(fd);
		return ret;
	}
	ctl->lfd = fd;
	return 0;
}

int mn_ctl_start(struct mn_ctl *ctl)
{
	int ret;

	if (ctl->started)
		return -EALREADY;
	ret = bind_socket(ctl);
	if (ret)
		return ret;
	if (pipe2(ctl->wake, O_CLOEXEC) < 0) {
		ret = -errno;
		goto unbind;
	}
	ret = -pthread_create(&ctl->acceptor, NULL, accept_main, ctl);
	if (ret)
		goto unpipe;
	ctl->started = 1;
	return 0;
unpipe:
	close(ctl->wake[0]);
	close(ctl->wake[1]);
	ctl->wake[0] = ctl->wake[1] = -1;
unbind:
	close(ctl->lfd);
	ctl->lfd = -1;
	unlink(ctl->path);
	return ret;
}

/* Tells every client the instance is going and cuts its connection. */
static void hang_up_all(struct mn_ctl *ctl)
{
	char notice[160];
	int n = snprintf(notice, sizeof(notice), "! %s\n", ctl->reason);

	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &ctl->conns[i];

		if (c->fd < 0)
			continue;
		if (!c->owned) {
			pthread_mutex_lock(&c->wlock);
			/* Never block on a client that does not read. */
			if (send(c->fd, notice, (size_t)n,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;
			pthread_mutex_unlock(&c->wlock);
		}
		shutdown(c->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&ctl->lock);
}

void mn_ctl_stop(struct mn_ctl *ctl, const char *reason)
{
	if (!ctl || !ctl->started || atomic_exchange(&ctl->stopping, 1))
		return;
	snprintf(ctl->reason, sizeof(ctl->reason), "%s",
		 reason ? reason : "the instance is shutting down");
	if (write(ctl->wake[1], "x", 1) < 0)
		(void)0;
	pthread_join(ctl->acceptor, NULL);
	close(ctl->lfd);
	ctl->lfd = -1;
	unlink(ctl->path);
	hang_up_all(ctl);
	/* Client threads end on their own now; the slots are not reused. */
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &ctl->conns[i];
		int live;

		pthread_mutex_lock(&ctl->lock);
		live = c->fd >= 0 || c->done;
		pthread_mutex_unlock(&ctl->lock);
		if (live)
			pthread_join(c->thread, NULL);
		c->done = 0;
	}
	close(ctl->wake[0]);
	close(ctl->wake[1]);
	ctl->wake[0] = ctl->wake[1] = -1;
}

void mn_ctl_destroy(struct mn_ctl *ctl)
{
	if (!ctl)
		return;
	mn_ctl_stop(ctl, NULL);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++)
		pthread_mutex_destroy(&ctl->conns[i].wlock);
	for (int i = 0; i < MAX_INFO; i++) {
		free(ctl->info[i].key);
		free(ctl->info[i].value);
	}
	pthread_mutex_destroy(&ctl->lock);
	free(ctl);
}

int mn_ctl_stopping(struct mn_ctl *ctl)
{
	return atomic_load(&ctl->stopping);
}

int mn_ctl_clients(struct mn_ctl *ctl)
{
	int n = 0;

	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++)
		n += ctl->conns[i].fd >= 0;
	pthread_mutex_unlock(&ctl->lock);
	return n;
}

/* --------------------------------------------------------------------- */
/* Registration */

static int verb_ok(const char *verb)
{
	size_t n = strlen(verb);

	if (n == 0 || n > MN_CTL_VERB_MAX)
		return 0;
	return strspn(verb, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int mn_ctl_set_handler(struct mn_ctl *ctl, const char *verb,
		       mn_ctl_handler_fn fn, void *arg)
{
	struct ctl_handler *free_slot = NULL;
	int ret = -ENOSPC;

	if (!verb || !verb_ok(verb))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(builtin_verbs) / sizeof(*builtin_verbs);
	     i++)
		if (!strcmp(verb, builtin_verbs[i]))
			return -EEXIST;
	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_HANDLERS; i++) {
		struct ctl_handler *h = &ctl->handlers[i];

		if (h->fn && !strcmp(h->verb, verb)) {
			free_slot = h;
			break;
		}
		if (!h->fn && !free_slot)
			free_slot = h;
	}
	if (free_slot) {
		strcpy(free_slot->verb, verb);
		free_slot->fn = fn;
		free_slot->arg = fn ? arg : NULL;
		ret = 0;
	} else if (!fn) {
		ret = 0;
	}
	pthread_mutex_unlock(&ctl->lock);
	return ret;
}

void mn_ctl_set_down(struct mn_ctl *ctl, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&ctl->lock);
	ctl->down_fn = fn;
	ctl->down_arg = arg;
	pthread_mutex_unlock(&ctl->lock);
}

int mn_ctl_set_info(struct mn_ctl *ctl, const char *key, const char *value)
{
	int ret = -ENOSPC, slot = -1;
	char *k2, *v2;

	if (!key || !*key || strpbrk(key, "=\n") || !value ||
	    strchr(value, '\n'))
		return -EINVAL;
	k2 = strdup(key);
	v2 = strdup(value);
	if (!k2 || !v2) {
		free(k2);
		free(v2);
		return -ENOMEM;
	}
	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MAX_INFO; i++) {
		if (ctl->info[i].key && !strcmp(ctl->info[i].key, key)) {
			slot = i;
			break;
		}
		if (!ctl->info[i].key && slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		free(ctl->info[slot].key);
		free(ctl->info[slot].value);
		ctl->info[slot].key = k2;
		ctl->info[slot].value = v2;
		k2 = v2 = NULL;
		ret = 0;
	}
	pthread_mutex_unlock(&ctl->lock);
	free(k2);
	free(v2);
	return ret;
}
