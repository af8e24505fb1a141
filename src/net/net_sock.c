/*
 * net_sock.c - the socket table: records, their states, and syncing them
 * with the host.
 *
 * Records are kept in an array sorted by sd (sds only grow, so adding is
 * appending and lookup a binary search).  A record's state changes only
 * through mn__net_set_state(), which checks the change against TCP's table
 * (mn_tcp_path: the shortest run of legal transitions, counted; a change no
 * run explains is an anomaly) and publishes NetworkConnected and
 * NetworkDisconnected for inet stream sockets entering or leaving
 * ESTABLISHED.
 *
 * mn_net_sync() works in three steps so that no host call runs under the
 * lock: copy what it needs of each record (pinning held descriptors), ask
 * the host (net_diag.c), then apply what it learnt to the records that are
 * still there.  Records that reached CLOSED (or vanished) and hold nothing
 * leave the table MN_NET_CLOSED_LINGER_MS later, their traffic added to
 * their antenna's totals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/evbus.h>

#include "net_i.h"

#define LINGER_NS ((uint64_t)MN_NET_CLOSED_LINGER_MS * 1000000ULL)

struct net_sock *mn__net_find(struct mn_net *net, int sd)
{
	size_t lo = 0, hi = net->nsocks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (net->socks[mid]->sd == sd)
			return net->socks[mid];
		if (net->socks[mid]->sd < sd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int is_tcp(const struct net_sock *s)
{
	return s->type == SOCK_STREAM && s->domain != AF_UNIX;
}

/* Checks the change against TCP's table and counts it (lock held). */
static void walk_tcp(struct net_sock *s, int state)
{
	/* An observed change is explained by ordinary events first. */
	const unsigned rare = (1u << MN_TCPE_RCV_RST) | (1u << MN_TCPE_ABORT) |
			      (1u << MN_TCPE_RCV_SYN);
	struct mn_tcp t = {(enum mn_tcp_state)s->state, s->passive};
	uint8_t ev[16];
	int n;

	if (s->state >= MN_TCP__STATES || state >= MN_TCP__STATES)
		return;
	n = mn_tcp_path(t.state, state, t.passive, rare, ev, sizeof(ev));
	if (n < 0)
		n = mn_tcp_path(t.state, state, t.passive, 0, ev, sizeof(ev));
	if (n < 0 || n > (int)sizeof(ev)) {
		s->anomalies++;
		s->passive = 0;
		return;
	}
	for (int i = 0; i < n; i++)
		mn_tcp_step(&t, (enum mn_tcp_event)ev[i], NULL);
	s->passive = t.passive;
	s->transitions += (uint64_t)n;
}

static void publish_change(struct mn_net *net, const struct net_sock *s,
			   int old)
{
	char l[64], r[64];

	if (!is_tcp(s) || s->kernel)
		return;
	if (s->state != MN_TCP_ESTABLISHED && old != MN_TCP_ESTABLISHED)
		return;
	mn_net_addr_str(&s->local, l, sizeof(l));
	mn_net_addr_str(&s->remote, r, sizeof(r));
	mn_evbus_publish(net->bus, s->state == MN_TCP_ESTABLISHED ?
					   MN_EV_NETWORK_CONNECTED :
					   MN_EV_NETWORK_DISCONNECTED,
			 MN_SRC_NETWORK, s->pid, "tcp sd %d %s -> %s %s", s->sd,
			 l, r, mn_sock_state_name(s->state));
}

void mn__net_set_state(struct mn_net *net, struct net_sock *s, int state)
{
	int old = s->state;

	if (state < 0 || state >= MN_SOCK__STATES || state == old)
		return;
	if (is_tcp(s))
		walk_tcp(s, state);
	s->state = state;
	s->changed_ns = mn__net_now(net);
	publish_change(net, s, old);
}

/* Registers a namespace so later syncs can reach it (lock held). */
static void add_ns(struct mn_net *net, uint64_t ino, int *nsfd)
{
	for (int i = 0; i < net->nns; i++)
		if (net->ns[i].ino == ino)
			return;
	if (net->nns == NET_NS_MAX)
		return;
	net->ns[net->nns].ino = ino;
	net->ns[net->nns].nsfd = *nsfd;
	net->ns[net->nns].diag = -1;
	net->ns[net->nns].watched = 0;
	net->nns++;
	*nsfd = -1;	/* kept */
}

static void remove_at(struct mn_net *net, size_t i);

/*
 * A full table forgets history before it refuses a socket: the oldest
 * record that is closed or in TIME_WAIT and that no one holds (Linux
 * likewise drops TIME_WAIT sockets past tcp_max_tw_buckets).  A busy
 * server leaves a TIME_WAIT per connection for a minute; without this,
 * 4096 connections a minute would make every socket() fail.  The oldest
 * records come first, so the scan usually stops at once.  Lock held.
 */
static int evict_locked(struct mn_net *net)
{
	for (size_t i = 0; i < net->nsocks; i++) {
		const struct net_sock *s = net->socks[i];

		if (s->fd >= 0 || s->pins || s->kernel)
			continue;
		if (s->closed_ns || (s->type == SOCK_STREAM &&
				     s->state == MN_TCP_TIME_WAIT)) {
			remove_at(net, i);
			return 0;
		}
	}
	return -ENFILE;
}

static int insert_locked(struct mn_net *net, struct net_sock *s)
{
	if (net->nsocks >= MN_NET_MAX_SOCKETS && evict_locked(net) < 0)
		return -ENFILE;
	if (net->nsocks == net->cap) {
		size_t cap = net->cap ? net->cap * 2 : 16;
		struct net_sock **n = realloc(net->socks, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		net->socks = n;
		net->cap = cap;
	}
	s->sd = net->next_sd++;
	net->socks[net->nsocks++] = s;
	return s->sd;
}

/* An observed socket already in the table (same inode and namespace). */
static struct net_sock *find_ino(struct mn_net *net, uint64_t ino,
				 uint64_t netns)
{
	for (size_t i = 0; i < net->nsocks; i++) {
		struct net_sock *s = net->socks[i];

		if (s->ino == ino && s->netns == netns && !s->closed_ns)
			return s;
	}
	return NULL;
}

static struct net_sock *new_record(struct mn_net *net, int fd,
				   const struct net_obs *o, unsigned flags,
				   int32_t pid, uint32_t uid)
{
	struct net_sock *s = calloc(1, sizeof(*s));
	int d, t, p;
	uint64_t ino;

	if (!s)
		return NULL;
	s->fd = (flags & NET_ADD_HELD) ? fd : -1;
	s->kernel = !!(flags & NET_ADD_KERNEL);
	s->domain = o->family;
	s->type = o->type;
	if (mn__net_fd_identity(fd, &d, &t, &p, &ino) == 0)
		s->protocol = p;
	s->state = s->type == SOCK_DGRAM ? MN_SOCK_UNBOUND : MN_TCP_CLOSED;
	s->local = o->local;
	s->remote = o->remote;
	s->pid = pid;
	s->uid = uid;
	s->ino = o->ino;
	s->created_ns = s->changed_ns = mn__net_now(net);
	return s;
}

int mn__net_sock_add(struct mn_net *net, int fd, unsigned flags,
		     int32_t pid, uint32_t uid, int antenna)
{
	struct net_obs o;
	struct net_sock *s, *old;
	uint64_t netns = 0;
	int nsfd = -1, ret;

	ret = mn__net_observe_fd(fd, &o);
	if (ret < 0)
		return ret;
	if (!mn_net_domain_handled(o.family))
		return -EAFNOSUPPORT;
	if (mn__net_fd_netns(fd, &netns, &nsfd) == 0 &&
	    netns == net->self_netns)
		netns = 0;
	s = new_record(net, fd, &o, flags, pid, uid);
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	s->netns = netns;
	pthread_mutex_lock(&net->lock);
	old = (flags & NET_ADD_HELD) ? NULL : find_ino(net, o.ino, netns);
	if (net->stopping)
		ret = -ESHUTDOWN;
	else if (old)
		ret = old->sd;
	else
		ret = insert_locked(net, s);
	if (ret > 0 && !old) {
		if (netns)
			add_ns(net, netns, &nsfd);
		if (flags & NET_ADD_ACCEPTED) {
			s->state = MN_TCP_LISTEN;	/* it came from one */
			s->passive = 0;
		}
		mn__net_set_state(net, s, o.state);
		s->counters_from_host = !!o.counters;
		s->antenna = antenna >= 0 ? antenna :
					    mn__net_antenna_of(net, s);
		s = NULL;
	}
	pthread_mutex_unlock(&net->lock);
	free(s);
out:
	if (nsfd >= 0)
		close(nsfd);
	return ret;
}

int mn__net_sock_add_obs(struct mn_net *net, const struct net_obs *o,
			 uint64_t netns, int32_t pid, uint32_t uid)
{
	struct net_sock *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->domain = o->family;
	s->type = o->type;
	s->protocol = o->protocol;
	s->state = s->type == SOCK_DGRAM ? MN_SOCK_UNBOUND : MN_TCP_CLOSED;
	s->pid = pid;
	s->uid = uid;
	s->ino = o->ino;
	s->netns = netns;
	s->created_ns = s->changed_ns = mn__net_now(net);
	pthread_mutex_lock(&net->lock);
	if (net->stopping)
		ret = -ESHUTDOWN;
	else if (find_ino(net, o->ino, netns))
		ret = 0;
	else
		ret = insert_locked(net, s);
	if (ret > 0) {
		mn__net_apply_obs(net, s, o, 1);
		s = NULL;
	}
	pthread_mutex_unlock(&net->lock);
	free(s);
	return ret;
}

static void remove_at(struct mn_net *net, size_t i)
{
	struct net_sock *s = net->socks[i];

	mn__net_antenna_retire(net, s);
	memmove(&net->socks[i], &net->socks[i + 1],
		(net->nsocks - i - 1) * sizeof(*net->socks));
	net->nsocks--;
	free(s);
}

void mn__net_unpin(struct mn_net *net, struct net_sock *s)
{
	(void)net;
	if (s->pins > 0)
		s->pins--;
	if (!s->pins && s->closing && s->fd >= 0) {
		close(s->fd);	/* a socket's close does not block */
		s->fd = -1;
		s->closing = 0;
	}
}

void mn__net_release_fd(struct mn_net *net, struct net_sock *s)
{
	if (s->fd < 0)
		return;
	s->closing = 1;
	s->pins++;
	mn__net_unpin(net, s);
}

void mn__net_sock_reap(struct mn_net *net)
{
	uint64_t now = mn__net_now(net);

	for (size_t i = net->nsocks; i-- > 0;) {
		struct net_sock *s = net->socks[i];

		if (s->closed_ns && s->fd < 0 && !s->pins && !s->kernel &&
		    now - s->closed_ns >= LINGER_NS)
			remove_at(net, i);
	}
}

void mn__net_sock_drop(struct mn_net *net, int sd)
{
	int fd = -1;

	pthread_mutex_lock(&net->lock);
	for (size_t i = 0; i < net->nsocks; i++) {
		if (net->socks[i]->sd != sd)
			continue;
		fd = net->socks[i]->fd;
		remove_at(net, i);
		break;
	}
	pthread_mutex_unlock(&net->lock);
	if (fd >= 0)
		close(fd);
}

void mn__net_sock_count(struct mn_net *net, int sd, int tx, size_t bytes)
{
	struct net_sock *s;

	pthread_mutex_lock(&net->lock);
	s = mn__net_find(net, sd);
	if (s && tx) {
		s->tx_bytes += bytes;
		s->tx_packets++;
	} else if (s) {
		s->rx_bytes += bytes;
		s->rx_packets++;
	}
	pthread_mutex_unlock(&net->lock);
}

void mn__net_sock_free_all(struct mn_net *net)
{
	for (size_t i = 0; i < net->nsocks; i++) {
		if (net->socks[i]->fd >= 0)
			close(net->socks[i]->fd);
		free(net->socks[i]);
	}
	free(net->socks);
	net->socks = NULL;
	net->nsocks = net->cap = 0;
}

void mn__net_sock_copy(const struct net_sock *s, struct mn_net_sock_info *o)
{
	memset(o, 0, sizeof(*o));
	o->sd = s->sd;
	o->domain = s->domain;
	o->type = s->type;
	o->protocol = s->protocol;
	o->state = s->state;
	o->local = s->local;
	o->remote = s->remote;
	o->pid = s->pid;
	o->uid = s->uid;
	o->ino = s->ino;
	o->netns = s->netns;
	o->tx_bytes = s->tx_bytes;
	o->rx_bytes = s->rx_bytes;
	o->tx_packets = s->tx_packets;
	o->rx_packets = s->rx_packets;
	o->tx_queue = s->txq;
	o->rx_queue = s->rxq;
	o->created_ns = s->created_ns;
	o->changed_ns = s->changed_ns;
	o->held = s->fd >= 0;
	o->antenna = s->antenna;
	o->transitions = s->transitions;
	o->anomalies = s->anomalies;
}

int mn_net_sock_info(struct mn_net *net, int sd, struct mn_net_sock_info *out)
{
	struct net_sock *s;

	pthread_mutex_lock(&net->lock);
	s = mn__net_find(net, sd);
	if (s)
		mn__net_sock_copy(s, out);
	pthread_mutex_unlock(&net->lock);
	return s ? 0 : -EBADF;
}

size_t mn_net_sock_list(struct mn_net *net, struct mn_net_sock_info *out,
			size_t max)
{
	size_t n;

	pthread_mutex_lock(&net->lock);
	n = net->nsocks;
	for (size_t i = 0; i < n && i < max; i++)
		mn__net_sock_copy(net->socks[i], &out[i]);
	pthread_mutex_unlock(&net->lock);
	return n;
}
