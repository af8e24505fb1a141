/*
 * wire - the messages between the supervisor and the namespace's init.
 *
 * One SOCK_SEQPACKET pair links them: each message is one packet, a fixed
 * header (struct sbx_msg) and up to MN_SANDBOX_ARG_MAX bytes of data, with
 * descriptors as SCM_RIGHTS.  Programs started by init also write to it once
 * before exec (their seccomp listener, or why they could not start); the
 * supervisor's end has SO_PASSCRED so it learns their host pids.  The
 * sending side runs in freshly forked children, so it sticks to
 * async-signal-safe calls.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox_i.h"

int sbx_msg_send(int sock, const struct sbx_msg *msg, const int *fds,
		 int nfds)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)msg, sizeof(*msg) + msg->len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfds < 0 || nfds > 3 || msg->len > MN_SANDBOX_ARG_MAX)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == iov.iov_len ? 0 : -EMSGSIZE;
}

/* Takes the descriptors and credentials out of a received message. */
static int take_cmsgs(struct msghdr *mh, int *fds, int max, pid_t *pid)
{
	struct cmsghdr *cm;
	int got = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS && pid) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
			*pid = uc.pid;
		} else if (cm->cmsg_type == SCM_RIGHTS) {
			size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			size_t i;

			for (i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
				       sizeof(int));
				if (got < max)
					fds[got++] = fd;
				else
					close(fd);
			}
		}
	}
	return got;
}

int sbx_msg_recv(int sock, struct sbx_msg *buf, size_t cap, int *fds,
		 int max, pid_t *pid)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int)) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, cap};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	int nfds, i;

	if (pid)
		*pid = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	nfds = take_cmsgs(&mh, fds, max, pid);
	if (n == 0) {
		buf->type = 0;
		goto drop;
	}
	/* A short, truncated or inconsistent packet is refused whole. */
	if ((size_t)n < sizeof(*buf) || (mh.msg_flags & (MSG_TRUNC |
							   MSG_CTRUNC)) ||
	    buf->len != (size_t)n - sizeof(*buf)) {
		nfds = -EBADMSG;
		goto drop;
	}
	return nfds;
drop:
	for (i = 0; i < (nfds > 0 ? nfds : 0); i++)
		close(fds[i]);
	return n == 0 ? 0 : -EBADMSG;
}

/* strlcpy-like append, async-signal-safe. */
static size_t put(char *dst, size_t at, size_t cap, const char *s)
{
	while (s && *s && at + 1 < cap)
		dst[at++] = *s++;
	dst[at] = '\0';
	return at;
}

void sbx_msg_fail(struct sbx_msg *m, uint64_t id, int err, const char *a,
		  const char *b, const char *c)
{
	size_t at;

	memset(m, 0, sizeof(*m));
	m->type = SBX_MSG_FAILED;
	m->id = id;
	m->status = err;
	at = put(m->data, 0, 512, a);
	at = put(m->data, at, 512, b);
	at = put(m->data, at, 512, c);
	m->len = at + 1;
}
