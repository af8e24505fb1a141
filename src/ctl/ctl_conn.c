/*
 * ctl_conn.c - one client of the control socket: frames, request lines and
 * the built-in verbs (protocol in include/micronos/ctl.h).
 *
 * A client thread reads one request line at a time without reading past
 * its LF: it peeks first, then takes exactly the line, so a registered
 * handler such as the sandbox's "run" receives the connection at a clean
 * boundary together with the descriptors (SCM_RIGHTS) that came with the
 * line.  A whole response is written in one go under the client's write
 * mutex, so a "!" notice from mn_ctl_stop() never lands inside it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/shell.h>

#include "ctl_i.h"

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
	for (int i = 0; i < MN_CTL_MAX_INFO; i++)
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
	if (mn_ctl_find_handler(c->ctl, line, &h)) {
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

void *mn_ctl_conn_main(void *p)
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

