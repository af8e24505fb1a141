/*
 * ctl_client.c - the client side of the control socket (protocol in
 * include/micronos/ctl.h).
 *
 * Used by `micronos shell`, `down` and `status`, and by anything else that
 * talks to an instance (micronos-run sends its request with
 * mn_ctl_client_send() and descriptors).  Reads are buffered; a frame's
 * header is a short text line, its payload raw bytes of the announced
 * length.  Every size the server announces is checked before anything is
 * allocated for it, so a broken or hostile server cannot make a client
 * allocate without bound.
 */
#include <micronos/ctl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HDR_MAX 300

struct mn_ctl_client {
	int fd;
	size_t start, end;	/* unread bytes are buf[start..end) */
	char buf[8192];
};

void mn_ctl_reply_init(struct mn_ctl_reply *r)
{
	mn_strbuf_init(&r->out);
	mn_strbuf_init(&r->err);
	r->status = 0;
	r->flags = 0;
	r->notice[0] = '\0';
}

void mn_ctl_reply_release(struct mn_ctl_reply *r)
{
	mn_strbuf_release(&r->out);
	mn_strbuf_release(&r->err);
}

int mn_ctl_client_connect(struct mn_ctl_client **out, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mn_ctl_client *cl;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return -ENOMEM;
	}
	cl->fd = fd;
	*out = cl;
	return 0;
}

void mn_ctl_client_destroy(struct mn_ctl_client *cl)
{
	if (!cl)
		return;
	close(cl->fd);
	free(cl);
}

int mn_ctl_client_fd(struct mn_ctl_client *cl)
{
	return cl->fd;
}

int mn_ctl_client_send(struct mn_ctl_client *cl, const char *verb,
		       const char *arg, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MN_CTL_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct mn_strbuf line = MN_STRBUF_INIT;
	struct msghdr msg = {0};
	struct iovec iov;
	size_t off = 0;
	int ret = 0;

	if (!verb || !*verb || strpbrk(verb, " \n") ||
	    (arg && strchr(arg, '\n')) || nfds < 0 || nfds > MN_CTL_MAX_FDS)
		return -EINVAL;
	mn_strbuf_puts(&line, verb);
	if (arg) {
		mn_strbuf_putc(&line, ' ');
		mn_strbuf_puts(&line, arg);
	}
	mn_strbuf_putc(&line, '\n');
	if (mn_strbuf_error(&line)) {
		ret = -ENOMEM;
		goto out;
	}
	if (line.len > MN_CTL_LINE_MAX) {
		ret = -E2BIG;
		goto out;
	}
	if (nfds) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	while (off < line.len) {
		ssize_t n;

		iov.iov_base = line.buf + off;
		iov.iov_len = line.len - off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = sendmsg(cl->fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		off += (size_t)n;
		/* The descriptors travel with the first bytes only. */
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
out:
	mn_strbuf_release(&line);
	return ret;
}

/* Refills the buffer: >0 bytes, 0 EOF, -errno. */
static ssize_t fill(struct mn_ctl_client *cl)
{
	ssize_t n;

	if (cl->start == cl->end)
		cl->start = cl->end = 0;
	if (cl->end == sizeof(cl->buf)) {
		memmove(cl->buf, cl->buf + cl->start, cl->end - cl->start);
		cl->end -= cl->start;
		cl->start = 0;
	}
	do
		n = read(cl->fd, cl->buf + cl->end, sizeof(cl->buf) - cl->end);
	while (n < 0 && errno == EINTR);
	/* A server that hangs up with our request unread resets the
	 * connection: for us that is the same end of it. */
	if (n < 0 && errno == ECONNRESET)
		return 0;
	if (n < 0)
		return -errno;
	cl->end += (size_t)n;
	return n;
}

/* One header line without its LF: length, -ESHUTDOWN at EOF, -EPROTO. */
static int read_header(struct mn_ctl_client *cl, char *line, size_t cap)
{
	size_t len = 0;

	for (;;) {
		while (cl->start < cl->end) {
			char ch = cl->buf[cl->start++];

			if (ch == '\n') {
				line[len] = '\0';
				return (int)len;
			}
			if (len + 1 >= cap)
				return -EPROTO;
			line[len++] = ch;
		}
		ssize_t n = fill(cl);

		if (n <= 0)
			return n ? (int)n : (len ? -EPROTO : -ESHUTDOWN);
	}
}

static int read_payload(struct mn_ctl_client *cl, struct mn_strbuf *sb,
			size_t len)
{
	while (len) {
		size_t avail = cl->end - cl->start;

		if (!avail) {
			ssize_t n = fill(cl);

			if (n <= 0)
				return n ? (int)n : -EPROTO;
			continue;
		}
		if (avail > len)
			avail = len;
		mn_strbuf_add(sb, cl->buf + cl->start, avail);
		cl->start += avail;
		len -= avail;
	}
	return mn_strbuf_error(sb);
}

static int parse_frame(struct mn_ctl_client *cl, struct mn_ctl_reply *r,
		       const char *hdr)
{
	unsigned long long len;
	unsigned flags;
	int status;
	char *end;

	if (hdr[0] == 'x' && sscanf(hdr, "x %d %u", &status, &flags) == 2) {
		r->status = status;
		r->flags = flags;
		return 1;
	}
	if ((hdr[0] != 'o' && hdr[0] != 'e') || hdr[1] != ' ')
		return -EPROTO;
	errno = 0;
	len = strtoull(hdr + 2, &end, 10);
	if (*end || errno || len > MN_CTL_FRAME_MAX)
		return -EPROTO;
	return read_payload(cl, hdr[0] == 'o' ? &r->out : &r->err,
			    (size_t)len);
}

int mn_ctl_client_reply(struct mn_ctl_client *cl, struct mn_ctl_reply *r)
{
	char hdr[HDR_MAX];

	mn_strbuf_reset(&r->out);
	mn_strbuf_reset(&r->err);
	r->status = 0;
	r->flags = 0;
	r->notice[0] = '\0';
	for (;;) {
		int n = read_header(cl, hdr, sizeof(hdr));

		if (n == -ESHUTDOWN) {
			snprintf(r->notice, sizeof(r->notice),
				 "connection closed");
			return n;
		}
		if (n < 0)
			return n;
		if (hdr[0] == '!') {
			snprintf(r->notice, sizeof(r->notice), "%.250s",
				 hdr[1] == ' ' ? hdr + 2 : hdr + 1);
			return -ESHUTDOWN;
		}
		n = parse_frame(cl, r, hdr);
		if (n < 0)
			return n;
		if (n == 1)
			return 0;
	}
}

int mn_ctl_client_call(struct mn_ctl_client *cl, const char *verb,
		       const char *arg, struct mn_ctl_reply *r)
{
	int ret = mn_ctl_client_send(cl, verb, arg, NULL, 0);

	if (ret < 0)
		return ret;
	return mn_ctl_client_reply(cl, r);
}
