/*
 * net_ops.c - the socket calls: socket, bind, connect, listen, accept,
 * shutdown, close, sendto, recvfrom, and the sandbox's hand-over calls
 * (adopt, take, lookup, release).
 *
 * Every call on an existing socket has the same shape (begin/finish):
 * under the lock, find the record, check that the caller may use it (it
 * owns it, or proves it holds it with a `via` descriptor of the same
 * inode) and that its antenna is up, pin it; without the lock, make the
 * real host call and read the socket back; under the lock again, apply
 * what was read, unpin.  The host's errno is the call's result, so a
 * program sees what Linux would have told it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "net_i.h"

struct call {
	struct net_sock *s;	/* pinned: stays valid until finish */
	int fd;			/* the descriptor to use */
	uint32_t uid;		/* the record's owner uid */
	int refresh;		/* read the socket back in finish */
	size_t tx, rx;		/* bytes moved by the daemon */
};

/* Takes a call slot; -ENETDOWN once the network is stopping (lock held). */
static int enter_locked(struct mn_net *net)
{
	if (net->stopping)
		return -ENETDOWN;
	net->calls++;
	return 0;
}

static void leave_locked(struct mn_net *net)
{
	if (--net->calls == 0)
		pthread_cond_broadcast(&net->idle);
}

static int begin(struct mn_net *net, int32_t pid, int sd, int via,
		 int need_up, struct call *c)
{
	uint64_t via_ino = 0;
	struct net_sock *s;
	int d, t, p, ret;

	memset(c, 0, sizeof(*c));
	if (via >= 0 && (ret = mn__net_fd_identity(via, &d, &t, &p,
						    &via_ino)) < 0)
		return ret == -ENOTSOCK ? -ENOTSOCK : -EBADF;
	pthread_mutex_lock(&net->lock);
	s = mn__net_find(net, sd);
	if ((ret = enter_locked(net)) < 0)
		goto out;
	if (!s || s->kernel || s->closed_ns || s->released)
		ret = -EBADF;
	else if (via >= 0 ? via_ino != s->ino :
			    s->pid != pid || s->fd < 0 || s->closing)
		ret = -EBADF;
	else if (need_up && s->antenna >= 0 &&
		 !mn__net_antenna_up(net, s->antenna))
		ret = -ENETDOWN;
	if (ret < 0) {
		leave_locked(net);
		goto out;
	}
	s->pins++;
	c->s = s;
	c->fd = via >= 0 ? via : s->fd;
	c->uid = s->uid;
	c->refresh = 1;
out:
	pthread_mutex_unlock(&net->lock);
	return ret;
}

static void finish(struct mn_net *net, struct call *c)
{
	struct net_obs o;
	int have = c->refresh && mn__net_observe_fd(c->fd, &o) == 0;

	pthread_mutex_lock(&net->lock);
	if (have)
		mn__net_apply_obs(net, c->s, &o, 0);
	if (!c->s->counters_from_host) {
		c->s->tx_bytes += c->tx;
		c->s->tx_packets += c->tx ? 1 : 0;
		c->s->rx_bytes += c->rx;
		c->s->rx_packets += c->rx ? 1 : 0;
	}
	mn__net_unpin(net, c->s);
	leave_locked(net);
	pthread_mutex_unlock(&net->lock);
}

/* Pathname unix addresses would be made in the daemon's mount namespace. */
static int unix_path(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *un = (const void *)sa;

	return len > offsetof(struct sockaddr_un, sun_path) &&
	       sa->sa_family == AF_UNIX && un->sun_path[0] != '\0';
}

static int check_addr(struct mn_net *net, int32_t pid,
		      const struct sockaddr *sa, socklen_t len, int connecting)
{
	if (!sa)
		return -EFAULT;
	if (len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (unix_path(sa, len))
		return -EOPNOTSUPP;
	return connecting ? mn_net_check_connect(net, pid, sa, len) :
			    mn_net_check_bind(net, pid, sa, len);
}

int mn_net_socket(struct mn_net *net, int32_t pid, uint32_t uid, int domain,
		  int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	mn_net_socket_fn *fn;
	void *arg;
	int fd, ret;

	if (!mn_net_domain_handled(domain))
		return -EAFNOSUPPORT;
	if (base != SOCK_STREAM && base != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	pthread_mutex_lock(&net->lock);
	ret = enter_locked(net);
	fn = net->factory;
	arg = net->factory_arg;
	pthread_mutex_unlock(&net->lock);
	if (ret < 0)
		return ret;
	type |= SOCK_CLOEXEC;	/* the daemon's copy never leaks to a child */
	fd = fn ? fn(arg, pid, domain, type, protocol) :
		  socket(domain, type, protocol);
	if (fd < 0)
		ret = fn ? fd : -errno;
	else if ((ret = mn__net_sock_add(net, fd, NET_ADD_HELD, pid, uid,
					 -1)) < 0)
		close(fd);
	pthread_mutex_lock(&net->lock);
	leave_locked(net);
	pthread_mutex_unlock(&net->lock);
	return ret;
}

int mn_net_bind(struct mn_net *net, int32_t pid, int sd,
		const struct sockaddr *sa, socklen_t len, int via)
{
	struct call c;
	int ret = check_addr(net, pid, sa, len, 0);

	if (ret < 0 || (ret = begin(net, pid, sd, via, 1, &c)) < 0)
		return ret;
	if (bind(c.fd, sa, len) < 0)
		ret = -errno;
	finish(net, &c);
	return ret;
}

int mn_net_connect(struct mn_net *net, int32_t pid, int sd,
		   const struct sockaddr *sa, socklen_t len, int via)
{
	struct call c;
	int ret = check_addr(net, pid, sa, len, 1);

	if (ret < 0 || (ret = begin(net, pid, sd, via, 1, &c)) < 0)
		return ret;
	if (connect(c.fd, sa, len) < 0)
		ret = -errno;
	finish(net, &c);
	return ret;
}

int mn_net_listen(struct mn_net *net, int32_t pid, int sd, int backlog,
		  int via)
{
	struct call c;
	int ret = begin(net, pid, sd, via, 1, &c);

	if (ret < 0)
		return ret;
	if (listen(c.fd, backlog) < 0)
		ret = -errno;
	finish(net, &c);
	return ret;
}

int mn_net_accept(struct mn_net *net, int32_t pid, int sd,
		  struct sockaddr *addr, socklen_t *len, int flags, int via)
{
	struct call c;
	int ret, nfd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (addr && !len)
		return -EFAULT;
	ret = begin(net, pid, sd, via, 1, &c);
	if (ret < 0)
		return ret;
	nfd = accept4(c.fd, addr, addr ? len : NULL,
		      (flags & SOCK_NONBLOCK) | SOCK_CLOEXEC);
	if (nfd < 0)
		ret = -errno;
	else if ((ret = mn__net_sock_add(net, nfd,
					 NET_ADD_HELD | NET_ADD_ACCEPTED, pid,
					 c.uid, -1)) < 0)
		close(nfd);
	finish(net, &c);
	return ret;
}

int mn_net_shutdown(struct mn_net *net, int32_t pid, int sd, int how,
		    int via)
{
	struct call c;
	int ret = begin(net, pid, sd, via, 0, &c);

	if (ret < 0)
		return ret;
	if (shutdown(c.fd, how) < 0)
		ret = -errno;
	finish(net, &c);
	return ret;
}

int mn_net_close(struct mn_net *net, int32_t pid, int sd)
{
	struct net_sock *s;
	int ret = 0;

	pthread_mutex_lock(&net->lock);
	s = mn__net_find(net, sd);
	if (!s || s->kernel || s->pid != pid || s->closed_ns || s->released) {
		ret = -EBADF;
	} else {
		s->released = 1;
		mn__net_release_fd(net, s);
		/* A connection goes on closing on the host: sync follows it
		 * (FIN-WAIT, TIME-WAIT ...) and marks it when it is gone. */
		if (s->type != SOCK_STREAM || s->domain == AF_UNIX ||
		    s->state == MN_TCP_CLOSED)
			s->closed_ns = mn__net_now(net) | 1;
	}
	pthread_mutex_unlock(&net->lock);
	return ret;
}

ssize_t mn_net_sendto(struct mn_net *net, int32_t pid, int sd,
		      const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen)
{
	struct call c;
	ssize_t n;
	int ret;

	if (!buf && len)
		return -EFAULT;
	if (to && (ret = check_addr(net, pid, to, tolen, 1)) < 0)
		return ret;
	ret = begin(net, pid, sd, -1, 1, &c);
	if (ret < 0)
		return ret;
	n = sendto(c.fd, buf, len, flags | MSG_NOSIGNAL, to, to ? tolen : 0);
	if (n < 0)
		n = -errno;
	else
		c.tx = (size_t)n;
	finish(net, &c);
	return n;
}

ssize_t mn_net_recvfrom(struct mn_net *net, int32_t pid, int sd, void *buf,
			size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen)
{
	struct call c;
	ssize_t n;
	int ret;

	if ((!buf && len) || (from && !fromlen))
		return -EFAULT;
	ret = begin(net, pid, sd, -1, 1, &c);
	if (ret < 0)
		return ret;
	n = recvfrom(c.fd, buf, len, flags, from, from ? fromlen : NULL);
	if (n < 0)
		n = -errno;
	else
		c.rx = (size_t)n;
	finish(net, &c);
	return n;
}

/* --- the sandbox's hand-over calls ---------------------------------------- */

void mn_net_set_socket_factory(struct mn_net *net, mn_net_socket_fn *fn,
			       void *arg)
{
	pthread_mutex_lock(&net->lock);
	net->factory = fn;
	net->factory_arg = fn ? arg : NULL;
	pthread_mutex_unlock(&net->lock);
}

int mn_net_lookup_fd(struct mn_net *net, int fd)
{
	uint64_t ino, netns = 0;
	int d, t, p, ret = mn__net_fd_identity(fd, &d, &t, &p, &ino);

	if (ret < 0)
		return ret;
	if (mn__net_fd_netns(fd, &netns, NULL) < 0 || netns == net->self_netns)
		netns = 0;
	ret = -ENOENT;
	pthread_mutex_lock(&net->lock);
	/* newest first: the sandbox looks up sockets it has just made */
	for (size_t i = net->nsocks; i-- > 0;) {
		const struct net_sock *s = net->socks[i];

		if (s->ino == ino && s->netns == netns && !s->closed_ns &&
		    !s->kernel) {
			ret = s->sd;
			break;
		}
	}
	pthread_mutex_unlock(&net->lock);
	return ret;
}

int mn_net_adopt_fd(struct mn_net *net, int32_t pid, uint32_t uid, int fd,
		    unsigned flags)
{
	int ret, nfd;

	if (flags & ~MN_NET_ADOPT_DUP)
		return -EINVAL;
	ret = mn_net_lookup_fd(net, fd);
	if (ret != -ENOENT)
		return ret;
	if (!(flags & MN_NET_ADOPT_DUP))
		return mn__net_sock_add(net, fd, 0, pid, uid, -1);
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		return -errno;
	ret = mn__net_sock_add(net, nfd, NET_ADD_HELD, pid, uid, -1);
	if (ret < 0)
		close(nfd);
	return ret;
}

int mn_net_take_fd(struct mn_net *net, int sd)
{
	struct net_sock *s;
	int fd = -EBADF;

	pthread_mutex_lock(&net->lock);
	s = mn__net_find(net, sd);
	if (s && s->fd >= 0 && !s->closing && !s->kernel && !s->closed_ns &&
	    !s->released) {
		if (!s->pins) {
			fd = s->fd;
			s->fd = -1;
		} else {
			/* A call still uses it: hand out a copy. */
			fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
			if (fd < 0)
				fd = -errno;
			else
				mn__net_release_fd(net, s);
		}
	}
	pthread_mutex_unlock(&net->lock);
	return fd;
}

int mn_net_release_pid(struct mn_net *net, int32_t pid)
{
	int n = 0;

	pthread_mutex_lock(&net->lock);
	for (size_t i = 0; i < net->nsocks; i++) {
		struct net_sock *s = net->socks[i];

		if (s->pid != pid || s->kernel || s->closed_ns || s->released)
			continue;
		s->released = 1;
		if (s->fd >= 0 && !s->closing) {
			mn__net_release_fd(net, s);
			n++;
		}
		/* What sync cannot follow ends with its process. */
		if (s->type != SOCK_STREAM || s->domain == AF_UNIX ||
		    s->state == MN_TCP_CLOSED)
			s->closed_ns = mn__net_now(net) | 1;
	}
	pthread_mutex_unlock(&net->lock);
	return n;
}
