/*
 * net_sync.c - makes the socket table follow the host's real sockets.
 *
 * Three steps, so that no host call runs under net->lock:
 *   1. snapshot: copy what each record needs (pinning held descriptors so
 *      they cannot be closed meanwhile);
 *   2. ask the host: held sockets through their descriptor, the others
 *      with one sock_diag dump per namespace, family and protocol, matched
 *      by inode, or - for a connection that outlived its last descriptor
 *      (inode 0 in the dump: FIN-WAIT, TIME-WAIT ...) - by its addresses;
 *   3. apply to the records that are still there, then reap the ones that
 *      have been gone for the linger time.
 *
 * A socket missing from a dump is gone only if it must be in one: a TCP
 * socket that was connected or listening, or any socket seen in a dump
 * before.  A fresh unbound socket is in no hash table, so its absence
 * proves nothing.  When the host cannot dump a protocol (no udp_diag
 * module) the records simply keep their state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "net_i.h"

struct item {
	int sd, fd, pinned;
	int family, type;
	uint64_t ino, netns;
	struct sockaddr_storage remote;
	int found;		/* 1 seen, 0 missing, -1 unknown */
	struct net_obs obs;
};

struct dump_ctx {
	struct item *it;
	size_t n;
	uint64_t netns;
	int family, type;
};

static size_t snapshot(struct mn_net *net, struct item **out)
{
	struct item *it;
	size_t n = 0;

	pthread_mutex_lock(&net->lock);
	it = calloc(net->nsocks ? net->nsocks : 1, sizeof(*it));
	for (size_t i = 0; it && i < net->nsocks; i++) {
		struct net_sock *s = net->socks[i];
		struct item *x = &it[n];

		if (s->kernel || (s->closed_ns && s->fd < 0))
			continue;
		x->sd = s->sd;
		x->fd = -1;
		if (s->fd >= 0 && !s->closing) {
			x->fd = s->fd;
			x->pinned = 1;
			s->pins++;
		}
		x->family = s->domain;
		x->type = s->type;
		x->ino = s->ino;
		x->netns = s->netns;
		x->remote = s->remote;
		x->found = -1;
		n++;
	}
	pthread_mutex_unlock(&net->lock);
	*out = it;
	return it ? n : 0;
}

static int same_addr(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return 0;
}

/* One socket of a dump: whose is it? */
static void dump_cb(void *arg, const struct net_obs *o)
{
	struct dump_ctx *c = arg;

	for (size_t i = 0; i < c->n; i++) {
		struct item *x = &c->it[i];

		if (x->fd >= 0 || x->netns != c->netns ||
		    x->family != c->family || x->type != c->type)
			continue;
		if (o->ino ? o->ino != x->ino :
			     (x->found == 1 || !x->remote.ss_family ||
			      !same_addr(&x->remote, &o->remote)))
			continue;
		x->found = 1;
		x->obs = *o;
		return;
	}
}

/* The diag socket of a namespace (sync_lock held), -errno. */
static int diag_of(struct mn_net *net, uint64_t netns)
{
	int i, nsfd = -1;

	if (!netns) {
		if (net->own_diag < 0)
			net->own_diag = mn__net_diag_open(-1);
		return net->own_diag;
	}
	pthread_mutex_lock(&net->lock);
	for (i = 0; i < net->nns && net->ns[i].ino != netns; i++)
		;
	if (i < net->nns)
		nsfd = net->ns[i].nsfd;
	pthread_mutex_unlock(&net->lock);
	if (nsfd < 0)
		return -ENOENT;
	if (net->ns[i].diag < 0)
		net->ns[i].diag = mn__net_diag_open(nsfd);
	return net->ns[i].diag;
}

static void dump_one(struct mn_net *net, struct item *it, size_t n,
		     uint64_t netns, int family, int type)
{
	struct dump_ctx c = {it, n, netns, family, type};
	int any = 0, diag, ret;

	for (size_t i = 0; i < n; i++)
		if (it[i].fd < 0 && it[i].netns == netns &&
		    it[i].family == family && it[i].type == type) {
			it[i].found = 0;
			any = 1;
		}
	if (!any)
		return;
	diag = diag_of(net, netns);
	ret = diag < 0 ? diag :
	      mn__net_diag_dump(diag, family, type == SOCK_STREAM ?
				IPPROTO_TCP : IPPROTO_UDP, dump_cb, &c);
	if (ret == 0)
		return;
	for (size_t i = 0; i < n; i++)	/* we do not know after all */
		if (it[i].fd < 0 && it[i].netns == netns &&
		    it[i].family == family && it[i].type == type)
			it[i].found = -1;
}

static void ask_host(struct mn_net *net, struct item *it, size_t n)
{
	static const int families[] = {AF_INET, AF_INET6};
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM};

	for (size_t i = 0; i < n; i++)
		if (it[i].fd >= 0)
			it[i].found = mn__net_observe_fd(it[i].fd, &it[i].obs) ?
					      -1 : 1;
	for (size_t i = 0; i < n; i++) {
		int dup = 0;

		if (it[i].fd >= 0 || it[i].family == AF_UNIX)
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = it[j].fd < 0 && it[j].family != AF_UNIX &&
			      it[j].netns == it[i].netns;
		if (dup)
			continue;	/* namespace already dumped */
		for (int f = 0; f < 2; f++)
			for (int t = 0; t < 2; t++)
				dump_one(net, it, n, it[i].netns, families[f],
					 types[t]);
	}
}

void mn__net_apply_obs(struct mn_net *net, struct net_sock *s,
		       const struct net_obs *o, int from_dump)
{
	if (o->local.ss_family)
		s->local = o->local;
	if (o->remote.ss_family || s->type == SOCK_DGRAM)
		s->remote = o->remote;
	if (o->counters) {
		s->counters_from_host = 1;
		s->tx_bytes = o->tx_bytes;
		s->rx_bytes = o->rx_bytes;
		s->tx_packets = o->tx_packets;
		s->rx_packets = o->rx_packets;
	}
	s->txq = o->txq;
	s->rxq = o->rxq;
	if (from_dump)
		s->diag_seen = 1;
	s->antenna = mn__net_antenna_of(net, s);
	mn__net_set_state(net, s, o->state);
}

/* Gone from the host (lock held). */
static int vanished(struct mn_net *net, struct net_sock *s)
{
	int tcp = s->type == SOCK_STREAM && s->domain != AF_UNIX;

	if (!s->diag_seen && !(tcp && s->state != MN_TCP_CLOSED))
		return 0;	/* an unbound socket is in no dump */
	if (tcp)
		mn__net_set_state(net, s, MN_TCP_CLOSED);
	s->closed_ns = mn__net_now(net) | 1;
	return 1;
}

static int apply(struct mn_net *net, struct item *it, size_t n)
{
	int changed = 0;

	pthread_mutex_lock(&net->lock);
	for (size_t i = 0; i < n; i++) {
		struct net_sock *s = mn__net_find(net, it[i].sd);
		int before;

		if (!s)
			continue;
		before = s->state;
		if (it[i].pinned)
			mn__net_unpin(net, s);
		if (it[i].found == 1)
			mn__net_apply_obs(net, s, &it[i].obs, !it[i].pinned);
		else if (it[i].found == 0)
			changed += vanished(net, s) && before == s->state;
		changed += before != s->state;
	}
	mn__net_sock_reap(net);
	pthread_mutex_unlock(&net->lock);
	return changed;
}

int mn_net_sync(struct mn_net *net)
{
	struct item *it;
	size_t n;
	int ret;

	pthread_mutex_lock(&net->sync_lock);
	n = snapshot(net, &it);
	if (!it) {
		pthread_mutex_unlock(&net->sync_lock);
		return -ENOMEM;
	}
	ask_host(net, it, n);
	ret = apply(net, it, n);
	pthread_mutex_unlock(&net->sync_lock);
	free(it);
	return ret;
}
