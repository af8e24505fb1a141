/*
 * net_diag.c - how the network reads real sockets from the host.
 *
 * Two ways, as ss(8) has them: through a descriptor (getsockname,
 * getpeername, TCP_INFO, the queue ioctls), for the sockets the daemon
 * holds; and through sock_diag (NETLINK_SOCK_DIAG dumps of a whole network
 * namespace), for the sockets programs hold and for connections that go on
 * closing after their last descriptor is gone (orphans, inode 0).  A diag
 * socket reports the namespace it was created in, so one for a program's
 * namespace is created by a short-lived thread that setns()es into it
 * (network namespaces are per thread).
 *
 * Nothing here touches the socket table: every function fills a struct
 * net_obs (see net_i.h) and the table decides.  Kept apart so that tests
 * can fake the host with -Wl,--wrap.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>

#include "net_i.h"

/* A dump that takes longer than this is abandoned (never hang a sync). */
#define DIAG_TIMEOUT_MS 2000
#define DIAG_BUF 32768

int mn__net_fd_identity(int fd, int *domain, int *type, int *protocol,
			uint64_t *ino)
{
	struct stat st;
	socklen_t l = sizeof(int);

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	*ino = (uint64_t)st.st_ino;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, domain, &l) < 0)
		return -errno;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, type, &l) < 0)
		return -errno;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, protocol, &l) < 0)
		return -errno;
	return 0;
}

/* An unnamed unix address (only the family) is "no address". */
static void norm_addr(struct sockaddr_storage *ss, socklen_t len)
{
	if (ss->ss_family == AF_UNIX &&
	    len <= offsetof(struct sockaddr_un, sun_path))
		memset(ss, 0, sizeof(*ss));
}

#define HAS(len, field) \
	((len) >= offsetof(struct tcp_info, field) + \
			  sizeof(((struct tcp_info *)0)->field))

/*
 * Data bytes sent: tcpi_bytes_sent less retransmissions (Linux 4.19+);
 * older kernels have only bytes_acked, which also counts the SYN and FIN.
 */
static void tcp_counters(struct net_obs *o, const struct tcp_info *ti,
			 size_t len)
{
	if (!HAS(len, tcpi_segs_in))
		return;
	o->counters = 1;
	o->tx_bytes = ti->tcpi_bytes_acked;
	if (HAS(len, tcpi_bytes_retrans))
		o->tx_bytes = ti->tcpi_bytes_sent - ti->tcpi_bytes_retrans;
	o->rx_bytes = ti->tcpi_bytes_received;
	o->tx_packets = ti->tcpi_segs_out;
	o->rx_packets = ti->tcpi_segs_in;
}

static void observe_tcp(int fd, struct net_obs *o)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	int v;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		return;
	o->state = mn_tcp_from_linux(ti.tcpi_state);
	tcp_counters(o, &ti, l);
	if (o->state == MN_TCP_LISTEN) {
		o->rxq = ti.tcpi_unacked;	/* the accept queue */
		return;
	}
	if (ioctl(fd, SIOCOUTQ, &v) == 0 && v > 0)
		o->txq = (uint32_t)v;
	if (ioctl(fd, SIOCINQ, &v) == 0 && v > 0)
		o->rxq = (uint32_t)v;
}

int mn__net_observe_fd(int fd, struct net_obs *o)
{
	int domain, type, proto, listening = 0, v, ret;
	socklen_t l;

	memset(o, 0, sizeof(*o));
	o->state = -1;
	ret = mn__net_fd_identity(fd, &domain, &type, &proto, &o->ino);
	if (ret < 0)
		return ret;
	o->family = domain;
	o->type = type;
	l = sizeof(o->local);
	if (getsockname(fd, (struct sockaddr *)&o->local, &l) < 0)
		return -errno;
	norm_addr(&o->local, l);
	l = sizeof(o->remote);
	if (getpeername(fd, (struct sockaddr *)&o->remote, &l) < 0)
		memset(&o->remote, 0, sizeof(o->remote));
	else if (domain == AF_UNIX && l <= sizeof(sa_family_t))
		o->remote.ss_family = AF_UNIX;	/* connected, unnamed */
	if (type == SOCK_STREAM && domain != AF_UNIX) {
		observe_tcp(fd, o);
		return 0;
	}
	l = sizeof(listening);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l);
	if (type == SOCK_STREAM)
		o->state = listening ? MN_TCP_LISTEN :
			   o->remote.ss_family ? MN_TCP_ESTABLISHED :
			   MN_TCP_CLOSED;
	else if (o->remote.ss_family)
		o->state = MN_SOCK_CONNECTED;
	else if (o->local.ss_family == AF_UNIX ||
		 (o->local.ss_family == AF_INET &&
		  ((struct sockaddr_in *)&o->local)->sin_port) ||
		 (o->local.ss_family == AF_INET6 &&
		  ((struct sockaddr_in6 *)&o->local)->sin6_port))
		o->state = MN_SOCK_BOUND;
	else
		o->state = MN_SOCK_UNBOUND;
	if (!listening && ioctl(fd, SIOCOUTQ, &v) == 0 && v > 0)
		o->txq = (uint32_t)v;
	if (!listening && ioctl(fd, SIOCINQ, &v) == 0 && v > 0)
		o->rxq = (uint32_t)v;
	return 0;
}

int mn__net_fd_netns(int fd, uint64_t *ino, int *nsfd)
{
	struct stat st;
	int ns = ioctl(fd, SIOCGSKNS);

	if (ns < 0)
		return -errno;
	if (fstat(ns, &st) < 0) {
		int e = -errno;

		close(ns);
		return e;
	}
	*ino = (uint64_t)st.st_ino;
	if (nsfd)
		*nsfd = ns;
	else
		close(ns);
	return 0;
}

int mn__net_self_netns(uint64_t *ino)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0 &&
	    stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

static int diag_socket(void)
{
	struct timeval tv = {DIAG_TIMEOUT_MS / 1000,
			     (DIAG_TIMEOUT_MS % 1000) * 1000};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

struct ns_job {
	int nsfd;
	int result;
};

static void *ns_thread(void *arg)
{
	struct ns_job *j = arg;

	if (setns(j->nsfd, CLONE_NEWNET) < 0)
		j->result = -errno;
	else
		j->result = diag_socket();
	return NULL;
}

int mn__net_diag_open(int nsfd)
{
	struct ns_job j = {nsfd, -EINVAL};
	pthread_t t;
	int ret;

	if (nsfd < 0)
		return diag_socket();
	ret = pthread_create(&t, NULL, ns_thread, &j);
	if (ret)
		return -ret;
	pthread_join(t, NULL);
	return j.result;
}

static void diag_addr(struct sockaddr_storage *ss, int family,
		      const __be32 *addr, __be16 port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = port;
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		memcpy(&sin6->sin6_addr, addr, 16);
	}
}

static void diag_info(struct net_obs *o, const struct inet_diag_msg *m,
		      size_t len)
{
	const struct rtattr *rta = (const struct rtattr *)(m + 1);
	int rlen = (int)(len - NLMSG_ALIGN(sizeof(*m)));

	for (; RTA_OK(rta, rlen); rta = RTA_NEXT(rta, rlen)) {
		struct tcp_info ti;
		size_t n = RTA_PAYLOAD(rta);

		if (rta->rta_type != INET_DIAG_INFO)
			continue;
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, RTA_DATA(rta), n < sizeof(ti) ? n : sizeof(ti));
		tcp_counters(o, &ti, n);
	}
}

static void diag_msg(const struct nlmsghdr *h, int protocol,
		     void (*cb)(void *arg, const struct net_obs *o), void *arg)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;
	struct net_obs o;
	int st;

	if (len < sizeof(*m))
		return;
	memset(&o, 0, sizeof(o));
	o.family = m->idiag_family;
	o.type = protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	o.protocol = protocol;
	o.ino = m->idiag_inode;
	diag_addr(&o.local, o.family, m->id.idiag_src, m->id.idiag_sport);
	if (m->id.idiag_dport)
		diag_addr(&o.remote, o.family, m->id.idiag_dst,
			  m->id.idiag_dport);
	if (protocol == IPPROTO_TCP) {
		st = mn_tcp_from_linux(m->idiag_state);
		o.state = st;
	} else {
		o.state = m->idiag_state == 1 ? MN_SOCK_CONNECTED :
			  MN_SOCK_BOUND;
	}
	o.rxq = m->idiag_rqueue;
	o.txq = m->idiag_wqueue;
	diag_info(&o, m, len);
	cb(arg, &o);
}

/* Reads one batch; 1 at the end of the dump, 0 for more, -errno. */
static int diag_batch(int diag, uint32_t seq, char *buf, int protocol,
		      void (*cb)(void *arg, const struct net_obs *o),
		      void *arg)
{
	ssize_t n = recv(diag, buf, DIAG_BUF, 0);
	struct nlmsghdr *h;

	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != seq)
			continue;	/* left over from an abandoned dump */
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error ? e->error : 1;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
			diag_msg(h, protocol, cb, arg);
	}
	return 0;
}

int mn__net_diag_dump(int diag, int family, int protocol,
		      void (*cb)(void *arg, const struct net_obs *o),
		      void *arg)
{
	static _Atomic uint32_t seqs;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
	char *buf;
	int ret = 0;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = ++seqs;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = (uint8_t)protocol;
	req.r.idiag_states = ~0u;
	if (protocol == IPPROTO_TCP)
		req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	if (sendto(diag, &req, sizeof(req), 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0)
		return -errno;
	buf = malloc(DIAG_BUF);
	if (!buf)
		return -ENOMEM;
	while (ret == 0)
		ret = diag_batch(diag, req.nlh.nlmsg_seq, buf, protocol, cb,
				 arg);
	free(buf);
	return ret < 0 ? ret : 0;
}
