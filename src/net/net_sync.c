/*
 * net_sync.c - makes the socket table follow the host's real sockets.
 *
 * Three steps, so that no host call runs under net->lock:
 *   1. snapshot: copy what each record needs (pinning held descriptors so
 *      they cannot be closed meanwhile), the inodes the table knows, and
 *      the namespaces to dump;
 *   2. ask the host: held sockets through their descriptor, the others
 *      with one sock_diag dump per namespace, family and protocol, matched
 *      by inode, or - for a connection that outlived its last descriptor
 *      (inode 0 in the dump: FIN-WAIT, TIME-WAIT ...) - by its addresses;
 *      in watched namespaces, sockets the table does not know are recorded
 *      when the owners function names the MicronOS process holding them;
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
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>
#include <netinet/in.h>

#include "net_i.h"

/* Most unknown sockets looked at per sync (the rest wait for the next). */
#define UNKNOWN_MAX 1024

struct item {
	int sd, fd, pinned;
	int family, type;
	uint64_t ino, netns;
	struct sockaddr_storage remote;
	int found;		/* 1 seen, 0 missing, -1 unknown */
	struct net_obs obs;
};

struct unknown {
	struct net_obs obs;
	uint64_t netns;
};

/*
 * A sorted view of the snapshot, so that each dumped socket finds its
 * record in O(log n) instead of a scan of every record: a busy server
 * leaves a TIME_WAIT record per connection for a minute, and a scan per
 * dumped socket made each sync quadratic (seconds of CPU at 4096).
 */
struct ikey {
	uint64_t netns, key;	/* key: the inode, or a hash of the peer */
	int family, type;
	size_t i;		/* index in it[]: ties keep the sd order */
	size_t next;		/* by_peer, first of a key: where its
				   unmatched records start (see match) */
};

struct snap {
	struct item *it;
	size_t n;
	struct ikey *by_ino;	/* observed records, by inode */
	struct ikey *by_peer;	/* observed records with a peer, by it */
	struct ikey *by_known;	/* every record, by inode */
	size_t nino, npeer;
	uint64_t *known;	/* inodes of every record */
	uint64_t *known_ns;	/* their namespaces */
	size_t nknown;
	uint64_t dump[NET_NS_MAX + 1];	/* namespaces to dump */
	int watched[NET_NS_MAX + 1];
	int ndump;
	mn_net_owners_fn *owners;
	void *owners_arg;
	struct unknown *unk;
	size_t nunk;
};

struct dump_ctx {
	struct snap *sn;
	uint64_t netns;
	int family, type, watched;
};

static void add_dump(struct snap *sn, uint64_t netns, int watched)
{
	for (int i = 0; i < sn->ndump; i++)
		if (sn->dump[i] == netns) {
			sn->watched[i] |= watched;
			return;
		}
	if (sn->ndump <= NET_NS_MAX) {
		sn->dump[sn->ndump] = netns;
		sn->watched[sn->ndump++] = watched;
	}
}

static void snap_item(struct snap *sn, struct net_sock *s)
{
	struct item *x = &sn->it[sn->n++];

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
	if (x->fd < 0 && s->domain != AF_UNIX)
		add_dump(sn, s->netns, 0);
}

static int index_snap(struct snap *sn);

static int snapshot(struct mn_net *net, struct snap *sn)
{
	size_t cap;

	memset(sn, 0, sizeof(*sn));
	pthread_mutex_lock(&net->lock);
	cap = net->nsocks ? net->nsocks : 1;
	sn->it = calloc(cap, sizeof(*sn->it));
	sn->known = calloc(cap, sizeof(*sn->known));
	sn->known_ns = calloc(cap, sizeof(*sn->known_ns));
	for (size_t i = 0; sn->it && sn->known && sn->known_ns &&
			   i < net->nsocks; i++) {
		struct net_sock *s = net->socks[i];

		sn->known[sn->nknown] = s->ino;
		sn->known_ns[sn->nknown++] = s->netns;
		if (!s->kernel && !(s->closed_ns && s->fd < 0))
			snap_item(sn, s);
	}
	if (net->watch_own)
		add_dump(sn, 0, 1);
	for (int i = 0; i < net->nns; i++)
		if (net->ns[i].watched)
			add_dump(sn, net->ns[i].ino, 1);
	sn->owners = net->owners;
	sn->owners_arg = net->owners_arg;
	pthread_mutex_unlock(&net->lock);
	if (!sn->it || !sn->known || !sn->known_ns)
		return -ENOMEM;
	return index_snap(sn);
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

static int ikey_cmp(const void *a, const void *b)
{
	const struct ikey *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static int ikey_same(const struct ikey *x, const struct ikey *k)
{
	return x->netns == k->netns && x->family == k->family &&
	       x->type == k->type && x->key == k->key;
}

/* The first entry with k's key (k->i is 0), or n. */
static size_t ikey_find(const struct ikey *v, size_t n, const struct ikey *k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ikey_cmp(&v[mid], k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ikey_same(&v[lo], k) ? lo : n;
}

/* FNV-1a of a peer's address and port. */
static uint64_t peer_key(const struct sockaddr_storage *a)
{
	const unsigned char *p = (const void *)a;
	size_t len = 0, off = 0;
	uint64_t h = 1469598103934665603ULL;

	if (a->ss_family == AF_INET) {
		off = offsetof(struct sockaddr_in, sin_port);
		len = offsetof(struct sockaddr_in, sin_zero) - off;
	} else if (a->ss_family == AF_INET6) {
		off = offsetof(struct sockaddr_in6, sin6_port);
		len = offsetof(struct sockaddr_in6, sin6_scope_id) - off;
	}
	for (size_t i = 0; i < len; i++)
		if (a->ss_family != AF_INET6 ||
		    off + i < offsetof(struct sockaddr_in6, sin6_flowinfo) ||
		    off + i >= offsetof(struct sockaddr_in6, sin6_addr))
			h = (h ^ p[off + i]) * 1099511628211ULL;
	return h;
}

/* Builds the sorted views (no lock needed: the snapshot is ours). */
static int index_snap(struct snap *sn)
{
	size_t n = sn->n ? sn->n : 1, nk = sn->nknown ? sn->nknown : 1;

	sn->by_ino = calloc(n, sizeof(*sn->by_ino));
	sn->by_peer = calloc(n, sizeof(*sn->by_peer));
	sn->by_known = calloc(nk, sizeof(*sn->by_known));
	if (!sn->by_ino || !sn->by_peer || !sn->by_known)
		return -ENOMEM;
	for (size_t i = 0; i < sn->n; i++) {
		const struct item *x = &sn->it[i];
		struct ikey k = {x->netns, x->ino, x->family, x->type, i, 0};

		if (x->fd >= 0)
			continue;
		sn->by_ino[sn->nino++] = k;
		if (!x->remote.ss_family)
			continue;
		k.key = peer_key(&x->remote);
		sn->by_peer[sn->npeer++] = k;
	}
	for (size_t i = 0; i < sn->nknown; i++)
		sn->by_known[i] = (struct ikey){sn->known_ns[i], sn->known[i],
						0, 0, i, 0};
	qsort(sn->by_ino, sn->nino, sizeof(struct ikey), ikey_cmp);
	qsort(sn->by_peer, sn->npeer, sizeof(struct ikey), ikey_cmp);
	qsort(sn->by_known, sn->nknown, sizeof(struct ikey), ikey_cmp);
	return 0;
}

static int is_known(const struct snap *sn, uint64_t ino, uint64_t netns)
{
	struct ikey k = {netns, ino, 0, 0, 0, 0};

	return ikey_find(sn->by_known, sn->nknown, &k) < sn->nknown;
}

/* The record of a dumped socket: by inode, or (an orphan, inode 0: its
 * owner closed it) the first not yet matched record with its peer. */
static struct item *match(struct snap *sn, const struct dump_ctx *c,
			  const struct net_obs *o)
{
	struct ikey k = {c->netns, o->ino, c->family, c->type, 0, 0};
	size_t j, *cur;

	if (o->ino) {
		j = ikey_find(sn->by_ino, sn->nino, &k);
		return j < sn->nino ? &sn->it[sn->by_ino[j].i] : NULL;
	}
	k.key = peer_key(&o->remote);
	j = ikey_find(sn->by_peer, sn->npeer, &k);
	if (j == sn->npeer)
		return NULL;
	/* records only become matched during a dump: the cursor of the
	   key skips those once, so that a thousand orphans with one peer
	   (a server's clients) cost a thousand steps, not a million */
	cur = &sn->by_peer[j].next;
	if (*cur < j)
		*cur = j;
	while (*cur < sn->npeer && ikey_same(&sn->by_peer[*cur], &k) &&
	       sn->it[sn->by_peer[*cur].i].found == 1)
		(*cur)++;
	for (j = *cur; j < sn->npeer && ikey_same(&sn->by_peer[j], &k); j++) {
		struct item *x = &sn->it[sn->by_peer[j].i];

		if (x->found != 1 && same_addr(&x->remote, &o->remote))
			return x;
	}
	return NULL;
}

/* One socket of a dump: whose is it? */
static void dump_cb(void *arg, const struct net_obs *o)
{
	struct dump_ctx *c = arg;
	struct snap *sn = c->sn;
	struct item *x = match(sn, c, o);

	if (x) {
		x->found = 1;
		x->obs = *o;
		return;
	}
	if (!c->watched || !o->ino || is_known(sn, o->ino, c->netns))
		return;
	if (!sn->unk)
		sn->unk = calloc(UNKNOWN_MAX, sizeof(*sn->unk));
	if (sn->unk && sn->nunk < UNKNOWN_MAX) {
		sn->unk[sn->nunk].obs = *o;
		sn->unk[sn->nunk++].netns = c->netns;
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

static void mark(struct snap *sn, uint64_t netns, int family, int type,
		 int found)
{
	for (size_t i = 0; i < sn->n; i++)
		if (sn->it[i].fd < 0 && sn->it[i].netns == netns &&
		    sn->it[i].family == family && sn->it[i].type == type)
			sn->it[i].found = found;
	for (size_t j = 0; j < sn->npeer; j++)
		sn->by_peer[j].next = 0;	/* matches start over */
}

static void dump_one(struct mn_net *net, struct snap *sn, int k, int family,
		     int type)
{
	struct dump_ctx c = {sn, sn->dump[k], family, type, sn->watched[k]};
	int diag, ret;

	mark(sn, c.netns, family, type, 0);
	diag = diag_of(net, c.netns);
	ret = diag < 0 ? diag :
	      mn__net_diag_dump(diag, family, type == SOCK_STREAM ?
				IPPROTO_TCP : IPPROTO_UDP, dump_cb, &c);
	if (ret < 0)	/* we do not know after all */
		mark(sn, c.netns, family, type, -1);
}

/* Records the unknown sockets that MicronOS processes hold. */
static int discover(struct mn_net *net, struct snap *sn)
{
	struct mn_net_owner *own;
	int n, added = 0;

	if (!sn->nunk || !sn->owners)
		return 0;
	own = calloc(4096, sizeof(*own));
	n = own ? sn->owners(sn->owners_arg, own, 4096) : -ENOMEM;
	for (size_t u = 0; u < sn->nunk; u++)
		for (int i = 0; i < n && i < 4096; i++)
			if (own[i].ino == sn->unk[u].obs.ino) {
				added += mn__net_sock_add_obs(
						 net, &sn->unk[u].obs,
						 sn->unk[u].netns, own[i].pid,
						 own[i].uid) > 0;
				break;
			}
	free(own);
	return added;
}

static int ask_host(struct mn_net *net, struct snap *sn)
{
	static const int families[] = {AF_INET, AF_INET6};
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM};

	for (size_t i = 0; i < sn->n; i++)
		if (sn->it[i].fd >= 0)
			sn->it[i].found =
				mn__net_observe_fd(sn->it[i].fd,
						   &sn->it[i].obs) ? -1 : 1;
	for (int k = 0; k < sn->ndump; k++)
		for (int f = 0; f < 2; f++)
			for (int t = 0; t < 2; t++)
				dump_one(net, sn, k, families[f], types[t]);
	return discover(net, sn);
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

static int apply(struct mn_net *net, struct snap *sn)
{
	int changed = 0;

	pthread_mutex_lock(&net->lock);
	for (size_t i = 0; i < sn->n; i++) {
		struct item *x = &sn->it[i];
		struct net_sock *s = mn__net_find(net, x->sd);
		int before;

		if (!s)
			continue;
		before = s->state;
		if (x->pinned)
			mn__net_unpin(net, s);
		if (x->found == 1)
			mn__net_apply_obs(net, s, &x->obs, !x->pinned);
		else if (x->found == 0)
			changed += vanished(net, s) && before == s->state;
		changed += before != s->state;
	}
	mn__net_sock_reap(net);
	pthread_mutex_unlock(&net->lock);
	return changed;
}

int mn_net_sync(struct mn_net *net)
{
	struct snap sn;
	int ret, added = 0;

	pthread_mutex_lock(&net->sync_lock);
	ret = snapshot(net, &sn);
	if (ret == 0)
		added = ask_host(net, &sn);
	/* apply even after a failed snapshot: it unpins what was pinned */
	ret = ret < 0 ? (apply(net, &sn), ret) : apply(net, &sn) + added;
	pthread_mutex_unlock(&net->sync_lock);
	free(sn.it);
	free(sn.known);
	free(sn.known_ns);
	free(sn.by_ino);
	free(sn.by_peer);
	free(sn.by_known);
	free(sn.unk);
	return ret;
}

/* --- discovery settings --------------------------------------------------- */

int mn_net_watch_netns(struct mn_net *net, int nsfd)
{
	uint64_t ino = 0;
	int fd = -1, ret = 0, i;
	struct stat st;

	if (nsfd >= 0) {
		if (ioctl(nsfd, NS_GET_NSTYPE) != CLONE_NEWNET)
			return -EINVAL;
		if (fstat(nsfd, &st) < 0)
			return -errno;
		ino = (uint64_t)st.st_ino;
		if (ino == net->self_netns)
			ino = 0;
	}
	if (ino && (fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	pthread_mutex_lock(&net->lock);
	for (i = 0; ino && i < net->nns && net->ns[i].ino != ino; i++)
		;
	if (!ino) {
		net->watch_own = 1;
	} else if (i < net->nns) {
		net->ns[i].watched = 1;	/* known already: keep its fd */
	} else if (net->nns == NET_NS_MAX) {
		ret = -ENOSPC;
	} else {
		net->ns[net->nns++] = (struct net_ns){ino, fd, -1, 1};
		fd = -1;	/* kept */
	}
	pthread_mutex_unlock(&net->lock);
	if (fd >= 0)
		close(fd);
	return ret;
}

void mn_net_set_owners(struct mn_net *net, mn_net_owners_fn *fn, void *arg)
{
	pthread_mutex_lock(&net->lock);
	net->owners = fn;
	net->owners_arg = fn ? arg : NULL;
	pthread_mutex_unlock(&net->lock);
}
