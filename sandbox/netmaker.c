/*
 * netmaker - sockets of the world's network namespace for a daemon that
 * cannot enter it.
 *
 * A socket belongs to the network namespace it was created in.  Host root
 * makes a program's sockets by setns()ing a thread into the world's
 * namespace (netwait.c); an ordinary user cannot: setns into a network
 * namespace needs CAP_SYS_ADMIN in the caller's own user namespace too.
 * So a rootless world gets a small helper process, forked by the
 * intermediate (world.c) right after it made the network namespace and
 * before the pid namespace: it lives in the world's user and network
 * namespaces, holds the namespace's capabilities (it becomes the
 * namespace's root where there is one),
 * and answers one request at a time on a SOCK_SEQPACKET pair: "socket(D,
 * T, P) owned by MicronOS uid U, gid G" -> the descriptor, by SCM_RIGHTS,
 * or an errno.  The owner is set there, where the ids are the world's own.
 *
 * It keeps no descriptor of the daemon's but its end of the pair, and
 * exits when the daemon's end closes (the daemon exited or was killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox_i.h"

struct nm_req {
	int domain, type, proto;
	uint32_t uid, gid;
};

struct nm_rep {
	int err;	/* 0 or -errno; the socket rides along when 0 */
};

static pthread_mutex_t nm_lock = PTHREAD_MUTEX_INITIALIZER;

static int send_rep(int sock, int err, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct nm_rep rep = {.err = err};
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

void sbx_netmaker_main(int sock)
{
	struct nm_req rq;
	ssize_t n;
	int fd;

	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* nothing of the daemon's: the FUSE device, its sockets, and its
	   stdio (the pipe a `micronos up -d` reports through would never
	   see its end) */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (sock != 3 && dup2(sock, 3) == 3)
		sock = 3;
	syscall(SYS_close_range, 4U, ~0U, 0U);
	signal(SIGPIPE, SIG_IGN);
	/* a socket is created owned by its maker: for fchown to give it
	   away, that must be an id of the world (with a subordinate range
	   the user is not: become its root; a single-id map has no root,
	   and there the user is the world's one id already) */
	if (setresgid(0, 0, 0) == 0)
		(void)!setresuid(0, 0, 0);
	/* dumpable again (changing ids cleared it): the daemon opens the
	   world's network namespace through our /proc/PID/ns/net, init's
	   being closed to it (init.c, confine_self) */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	for (;;) {
		n = recv(sock, &rq, sizeof(rq), 0);
		if (n == 0 || (n < 0 && errno != EINTR))
			_exit(0);
		if (n != (ssize_t)sizeof(rq)) {
			if (n > 0)
				send_rep(sock, -EINVAL, -1);
			continue;
		}
		fd = socket(rq.domain, rq.type, rq.proto);
		if (fd < 0) {
			send_rep(sock, -errno, -1);
			continue;
		}
		/* a socket's owner is its inode's: chown sets sk_uid too */
		if (fchown(fd, rq.uid, rq.gid) < 0) {
			send_rep(sock, -errno, -1);
			close(fd);
			continue;
		}
		send_rep(sock, 0, fd);
		close(fd);
	}
}

int sbx_netmaker_socket(struct mn_sandbox *sb, int domain, int type,
			int proto, uint32_t uid, uint32_t gid)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct nm_req rq = {domain, type, proto, uid, gid};
	struct nm_rep rep = {.err = -EIO};
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int fd = -1;
	ssize_t n;

	/* one request in flight: replies carry no request id */
	pthread_mutex_lock(&nm_lock);
	if (send(sb->netmaker_fd, &rq, sizeof(rq), MSG_NOSIGNAL) < 0) {
		pthread_mutex_unlock(&nm_lock);
		return -errno;
	}
	do
		n = recvmsg(sb->netmaker_fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	pthread_mutex_unlock(&nm_lock);
	if (n != (ssize_t)sizeof(rep))
		return n < 0 ? -errno : -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (rep.err < 0) {
		if (fd >= 0)
			close(fd);
		return rep.err;
	}
	return fd >= 0 ? fd : -EIO;
}
