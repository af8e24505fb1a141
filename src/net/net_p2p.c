/*
 * net_p2p.c - the peer link: its sockets, its receive thread, and the
 * calls that use it (announce, discover, ping).
 *
 * Two UDP sockets (see "The peer protocol" in net.h): the discovery socket
 * on the shared port, bound to the loopback broadcast address so that every
 * instance on the host receives each announcement (Linux delivers a
 * broadcast datagram to every socket bound to it with SO_REUSEADDR), and a
 * unicast socket of our own, from which everything is sent and to which
 * answers come.  Both are records of the socket table (owned by netd,
 * antenna p2p0), so `sockets` lists them and their traffic is counted.
 *
 * The receive thread sleeps in poll() on both sockets and an eventfd that
 * stop() writes.  Calls that wait for answers (discover, ping) sleep on
 * p->cond, which the thread signals; a call holds the link (users) so that
 * stop waits for it to leave before freeing anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <micronos/clock.h>

#include "net_i.h"

struct net_p2p *mn__net_p2p_get(struct mn_net *net)
{
	struct net_p2p *p;

	pthread_mutex_lock(&net->lock);
	p = net->p2p;
	if (p && p->stop)
		p = NULL;
	if (p)
		p->users++;
	pthread_mutex_unlock(&net->lock);
	return p;
}

void mn__net_p2p_put(struct mn_net *net, struct net_p2p *p)
{
	pthread_mutex_lock(&net->lock);
	if (--p->users == 0 && p->stop)
		pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&net->lock);
}

uint32_t mn__net_p2p_announce_ms(struct mn_net *net)
{
	struct net_p2p *p = mn__net_p2p_get(net);
	uint32_t ms = MN_NET_ANNOUNCE_MS_DEFAULT;

	if (p) {
		ms = p->announce_ms;
		mn__net_p2p_put(net, p);
	}
	return ms;
}

uint16_t mn_net_p2p_unicast_port(struct mn_net *net)
{
	struct net_p2p *p = mn__net_p2p_get(net);
	uint16_t port = 0;

	if (p) {
		port = p->uni_port;
		mn__net_p2p_put(net, p);
	}
	return port;
}

int mn__net_p2p_send(struct mn_net *net, struct net_p2p *p, int verb,
		     const struct sockaddr_in *to, uint32_t seq, uint64_t ts,
		     uint64_t probe)
{
	char buf[MN_NET_MSG_MAX + 1];
	struct net_msg m;
	ssize_t n;
	int len;

	memset(&m, 0, sizeof(m));
	m.verb = verb;
	snprintf(m.name, sizeof(m.name), "%s", net->name);
	m.id = net->id;
	m.port = p->uni_port;
	m.ts = ts ? ts : mn_clock_host_mono_ns();
	m.has = NET_MSG_HAS_TS;
	if (verb == NET_MSG_PING || verb == NET_MSG_PONG) {
		m.seq = seq;
		m.has |= NET_MSG_HAS_SEQ;
	}
	if (probe) {
		m.probe = probe;
		m.has |= NET_MSG_HAS_PROBE;
	}
	len = mn__net_msg_format(&m, buf, sizeof(buf));
	if (len < 0)
		return len;
	n = sendto(p->uni_fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)to, sizeof(*to));
	if (n < 0) {
		int e = -errno;

		mn__net_antenna_error(net, NET_ANT_P2P, 0, e == -EAGAIN);
		return e;
	}
	mn__net_sock_count(net, p->uni_sd, 1, (size_t)n);
	return 0;
}

/* To every instance: the loopback broadcast, and the LAN's with lan on. */
static void broadcast(struct mn_net *net, struct net_p2p *p, int verb,
		      uint64_t probe)
{
	struct sockaddr_in lan = p->disc_addr;

	mn__net_p2p_send(net, p, verb, &p->disc_addr, 0, 0, probe);
	if (p->lan) {
		lan.sin_addr.s_addr = htonl(INADDR_BROADCAST);
		mn__net_p2p_send(net, p, verb, &lan, 0, 0, probe);
	}
}

static void drain(struct mn_net *net, struct net_p2p *p, int fd, int sd)
{
	char buf[MN_NET_MSG_MAX + 2];

	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;	/* EAGAIN: all read */
		mn__net_sock_count(net, sd, 0, (size_t)n);
		if (fl < sizeof(from) || from.sin_family != AF_INET)
			continue;
		mn__net_peer_input(net, p, buf, (size_t)n, &from);
	}
}

static void *p2p_thread(void *arg)
{
	struct net_p2p *p = arg;	/* not net->p2p: a stop may have
					 * cleared it before we ran */
	struct mn_net *net = p->net;
	struct pollfd pfd[3] = {
		{p->disc_fd, POLLIN, 0},
		{p->uni_fd, POLLIN, 0},
		{p->wake_fd, POLLIN, 0},
	};

	for (;;) {
		if (poll(pfd, 3, -1) < 0)
			continue;	/* EINTR */
		if (pfd[2].revents)
			break;
		if (pfd[0].revents)
			drain(net, p, p->disc_fd, p->disc_sd);
		if (pfd[1].revents)
			drain(net, p, p->uni_fd, p->uni_sd);
	}
	return NULL;
}

static int open_udp(struct mn_net *net, uint32_t addr, uint16_t port,
		    int shared, struct mn_strbuf *err)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, ret;
	char a[INET_ADDRSTRLEN];

	if (fd < 0)
		return -errno;
	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (shared) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	}
	ret = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (ret < 0 && shared && errno == EADDRINUSE) {
		/* Another user's SO_REUSEPORT group: REUSEADDR still shares
		 * broadcasts with it. */
		close(fd);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0)
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ret = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	if (ret < 0) {
		ret = -errno;
		mn_strbuf_printf(err, "peer link: cannot bind %s:%u: %s",
				 inet_ntop(AF_INET, &sin.sin_addr, a,
					   sizeof(a)),
				 port, strerror(-ret));
		close(fd);
		return ret;
	}
	(void)net;
	return fd;
}

/* Registers the two sockets as netd's records (they own the fds). */
static int register_fds(struct mn_net *net, struct net_p2p *p)
{
	int sd = mn__net_sock_add(net, p->disc_fd,
				  NET_ADD_HELD | NET_ADD_KERNEL, net->netd_pid,
				  0, NET_ANT_P2P);

	if (sd < 0)
		return sd;
	p->disc_sd = sd;
	sd = mn__net_sock_add(net, p->uni_fd, NET_ADD_HELD | NET_ADD_KERNEL,
			      net->netd_pid, 0, NET_ANT_P2P);
	if (sd < 0)
		return sd;
	p->uni_sd = sd;
	return 0;
}

static int open_link(struct mn_net *net, struct net_p2p *p,
		     struct mn_strbuf *err)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	p->uni_fd = open_udp(net, p->lan ? INADDR_ANY : INADDR_LOOPBACK, 0, 0,
			     err);
	if (p->uni_fd < 0)
		return p->uni_fd;
	if (getsockname(p->uni_fd, (struct sockaddr *)&sin, &sl) < 0)
		return -errno;
	p->uni_port = ntohs(sin.sin_port);
	p->disc_fd = open_udp(net, p->lan ? INADDR_ANY : 0x7fffffffu, p->port,
			      1, err);
	if (p->disc_fd < 0)
		return p->disc_fd;
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->wake_fd < 0)
		return -errno;
	return register_fds(net, p);
}

static void free_link(struct mn_net *net, struct net_p2p *p)
{
	/* The records own the sockets once registered. */
	if (p->uni_sd > 0)
		mn__net_sock_drop(net, p->uni_sd);
	else if (p->uni_fd >= 0)
		close(p->uni_fd);
	if (p->disc_sd > 0)
		mn__net_sock_drop(net, p->disc_sd);
	else if (p->disc_fd >= 0)
		close(p->disc_fd);
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	pthread_cond_destroy(&p->cond);
	free(p);
}

int mn__net_p2p_start(struct mn_net *net, uint16_t port, int lan,
		      uint32_t announce_ms, uint32_t expire_ms,
		      struct mn_strbuf *err)
{
	struct net_p2p *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	int ret;

	if (!p)
		return -ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->net = net;
	p->disc_fd = p->uni_fd = p->wake_fd = -1;
	p->port = port ? port : MN_NET_P2P_PORT_DEFAULT;
	p->lan = !!lan;
	p->announce_ms = announce_ms ? announce_ms : MN_NET_ANNOUNCE_MS_DEFAULT;
	p->expire_ms = expire_ms ? expire_ms : MN_NET_EXPIRE_MS_DEFAULT;
	p->disc_addr.sin_family = AF_INET;
	p->disc_addr.sin_port = htons(p->port);
	/* 127.255.255.255, the loopback broadcast */
	p->disc_addr.sin_addr.s_addr = htonl(0x7fffffffu);
	ret = open_link(net, p, err);
	if (ret < 0)
		goto fail;
	pthread_mutex_lock(&net->lock);
	net->p2p = p;
	net->p2p_error[0] = '\0';
	pthread_mutex_unlock(&net->lock);
	ret = -pthread_create(&p->thread, NULL, p2p_thread, p);
	if (ret < 0) {
		pthread_mutex_lock(&net->lock);
		net->p2p = NULL;
		pthread_mutex_unlock(&net->lock);
		goto fail;
	}
	p->thread_started = 1;
	/* Say hello, and ask who is there so the table fills at once. */
	mn__net_p2p_hello(net);
	return 0;
fail:
	free_link(net, p);
	return ret;
}

void mn__net_p2p_stop(struct mn_net *net)
{
	struct net_p2p *p;
	uint64_t one = 1;
	int up;

	pthread_mutex_lock(&net->lock);
	p = net->p2p;
	if (p) {
		p->stop = 1;
		pthread_cond_broadcast(&p->cond);
		while (p->users)
			pthread_cond_wait(&p->cond, &net->lock);
		net->p2p = NULL;
	}
	pthread_mutex_unlock(&net->lock);
	if (!p)
		return;
	/* An eventfd write of 1 cannot fail here (the counter is 0). */
	(void)!write(p->wake_fd, &one, sizeof(one));
	pthread_join(p->thread, NULL);
	pthread_mutex_lock(&net->lock);
	up = mn__net_antenna_up(net, NET_ANT_P2P);
	pthread_mutex_unlock(&net->lock);
	if (up)
		broadcast(net, p, NET_MSG_BYE, 0);
	free_link(net, p);
}

void mn__net_p2p_hello(struct mn_net *net)
{
	struct net_p2p *p = mn__net_p2p_get(net);

	if (!p)
		return;
	broadcast(net, p, NET_MSG_HELLO, 0);
	broadcast(net, p, NET_MSG_PROBE, net->id);
	mn__net_p2p_put(net, p);
}

int mn_net_tick(struct mn_net *net)
{
	struct net_p2p *p = mn__net_p2p_get(net);
	int up, left;

	if (!p)
		return 0;
	pthread_mutex_lock(&net->lock);
	up = mn__net_antenna_up(net, NET_ANT_P2P);
	left = mn__net_peer_expire(net, p);
	pthread_mutex_unlock(&net->lock);
	if (up)
		broadcast(net, p, NET_MSG_HELLO, 0);
	mn__net_p2p_put(net, p);
	return left;
}

/* Waits on p->cond until `deadline` (host monotonic ns) or stop. */
void mn__net_p2p_wait(struct mn_net *net, struct net_p2p *p,
		      uint64_t deadline, int (*done)(void *), void *arg)
{
	struct timespec ts = {(time_t)(deadline / MN_NSEC_PER_SEC),
			      (long)(deadline % MN_NSEC_PER_SEC)};

	while (!p->stop && !(done && done(arg)) &&
	       mn_clock_host_mono_ns() < deadline)
		pthread_cond_timedwait(&p->cond, &net->lock, &ts);
}

/* Opens a link for a call that needs p2p0 up. */
int mn__net_p2p_call(struct mn_net *net, struct net_p2p **out)
{
	struct net_p2p *p = mn__net_p2p_get(net);
	int up;

	if (!p)
		return -ENOTCONN;
	pthread_mutex_lock(&net->lock);
	up = mn__net_antenna_up(net, NET_ANT_P2P);
	pthread_mutex_unlock(&net->lock);
	if (!up) {
		mn__net_p2p_put(net, p);
		return -ENETDOWN;
	}
	*out = p;
	return 0;
}

int mn_net_discover(struct mn_net *net, int timeout_ms,
		    struct mn_net_peer_info *out, size_t max)
{
	struct net_probe_slot *s = NULL;
	struct net_p2p *p;
	uint64_t probe = 0;
	int ret, n = 0;

	if (timeout_ms < 1 || timeout_ms > 10000)
		return -EINVAL;
	if ((ret = mn__net_p2p_call(net, &p)) < 0)
		return ret;
	while (!probe)
		if (getrandom(&probe, sizeof(probe), 0) != sizeof(probe))
			probe = mn_clock_host_mono_ns();
	pthread_mutex_lock(&net->lock);
	for (int k = 0; k < NET_PROBE_SLOTS && !s; k++)
		if (!p->probes[k].active)
			s = &p->probes[k];
	if (s) {
		s->active = 1;
		s->probe = probe;
		s->n = 0;
		s->sent_ns = mn_clock_host_mono_ns();
	}
	pthread_mutex_unlock(&net->lock);
	if (!s) {
		mn__net_p2p_put(net, p);
		return -EBUSY;
	}
	broadcast(net, p, NET_MSG_PROBE, probe);
	pthread_mutex_lock(&net->lock);
	mn__net_p2p_wait(net, p,
			 s->sent_ns + (uint64_t)timeout_ms * MN_NSEC_PER_MSEC,
			 NULL, NULL);
	n = (int)s->n;
	memcpy(out, s->found, ((size_t)n < max ? (size_t)n : max) *
				      sizeof(*out));
	s->active = 0;
	pthread_mutex_unlock(&net->lock);
	mn__net_p2p_put(net, p);
	return n;
}
