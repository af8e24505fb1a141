/*
 * net.c - the network's life cycle and its policy.
 *
 * A struct mn_net is one instance's network: the socket table (net_sock.c,
 * the calls in net_ops.c), the antennas (net_antenna.c) and the peer link
 * (net_peer.c, net_p2p.c).  This file creates and destroys it and decides
 * what the policy allows: which addresses (none/loopback/host), which
 * ports (the allow-list), and whether the antenna an address lives on is
 * up.  The answers are errnos a program expects from Linux, so the same
 * checks serve the syscalls and the sandbox's supervisor.
 *
 * Destroy must not free what a call blocked in a host call still uses:
 * calls count themselves in net->calls; destroy shuts down the sockets such
 * calls sit on (which wakes accept, connect and recv) and waits for the
 * count to drop to zero.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <micronos/clock.h>

#include "net_i.h"

static const char *const policy_names[MN_NET_POLICY__COUNT] = {
	"none", "loopback", "host",
};

uint64_t mn__net_now(struct mn_net *net)
{
	return net->clock ? mn_clock_now_ns(net->clock) :
			    mn_clock_host_mono_ns();
}

const char *mn_net_policy_name(enum mn_net_policy policy)
{
	return (unsigned)policy < MN_NET_POLICY__COUNT ?
		       policy_names[policy] : "?";
}

int mn_net_policy_parse(const char *name)
{
	for (int i = 0; name && i < MN_NET_POLICY__COUNT; i++)
		if (!strcasecmp(name, policy_names[i]))
			return i;
	return -EINVAL;
}

/* --- port lists ----------------------------------------------------------- */

static int parse_port(const char *s, const char **end, uint16_t *out)
{
	unsigned long v;
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || v < 1 || v > 65535)
		return -ERANGE;
	while (*e == ' ' || *e == '\t')
		e++;
	*out = (uint16_t)v;
	*end = e;
	return 0;
}

/* Parses a list into r (at most NET_PORT_RANGES_MAX); the count or -EINVAL. */
static int parse_ports(const char *list, struct net_port_range *r,
		       struct mn_strbuf *err)
{
	const char *p = list, *why = NULL;
	int n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	while (*p && *p != '\n') {
		struct net_port_range x;
		int ret = parse_port(p, &p, &x.lo);

		x.hi = x.lo;
		if (ret == 0 && *p == '-')
			ret = parse_port(p + 1, &p, &x.hi);
		if (ret < 0)
			why = ret == -ERANGE ? "ports are 1..65535" :
					       "expected PORT or LOW-HIGH";
		else if (x.hi < x.lo)
			why = "a range goes from low to high";
		else if (n == NET_PORT_RANGES_MAX)
			why = "at most 32 items";
		else if (*p && *p != ',' && *p != '\n')
			why = "items are separated by commas";
		if (why) {
			if (err)
				mn_strbuf_printf(err, "bad port list '%s': %s",
						 list, why);
			return -EINVAL;
		}
		r[n++] = x;
		if (*p == ',')
			p++;
	}
	return n;
}

int mn_net_ports_check(const char *list, struct mn_strbuf *err)
{
	struct net_port_range r[NET_PORT_RANGES_MAX];
	int n = parse_ports(list ? list : "", r, err);

	return n < 0 ? n : 0;
}

int mn_net_set_ports(struct mn_net *net, const char *list,
		     struct mn_strbuf *err)
{
	struct net_port_range r[NET_PORT_RANGES_MAX];
	int n = parse_ports(list ? list : "", r, err);

	if (n < 0)
		return n;
	pthread_mutex_lock(&net->lock);
	memcpy(net->ports, r, sizeof(r));
	net->nports = n;
	pthread_mutex_unlock(&net->lock);
	return 0;
}

static int port_allowed_locked(struct mn_net *net, uint16_t port)
{
	if (!net->nports || !port)
		return 1;
	for (int i = 0; i < net->nports; i++)
		if (port >= net->ports[i].lo && port <= net->ports[i].hi)
			return 1;
	return 0;
}

int mn_net_port_allowed(struct mn_net *net, uint16_t port)
{
	int ok;

	pthread_mutex_lock(&net->lock);
	ok = port_allowed_locked(net, port);
	pthread_mutex_unlock(&net->lock);
	return ok;
}

void mn_net_set_policy(struct mn_net *net, enum mn_net_policy policy)
{
	if ((unsigned)policy >= MN_NET_POLICY__COUNT)
		return;
	pthread_mutex_lock(&net->lock);
	net->policy = policy;
	mn__net_antennas_policy(net);
	pthread_mutex_unlock(&net->lock);
}

enum mn_net_policy mn_net_policy(struct mn_net *net)
{
	enum mn_net_policy p;

	pthread_mutex_lock(&net->lock);
	p = net->policy;
	pthread_mutex_unlock(&net->lock);
	return p;
}

/* --- address checks ------------------------------------------------------- */

int mn_net_domain_handled(int domain)
{
	return domain == AF_INET || domain == AF_INET6 || domain == AF_UNIX;
}

static int v4_class(uint32_t host_order)
{
	if (host_order == INADDR_ANY)
		return 0;
	return (host_order >> 24) == 127 ? 1 : 2;
}

int mn__net_addr_class(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		if (len < sizeof(*in))
			return -EINVAL;
		return v4_class(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		const struct in6_addr *a = &in6->sin6_addr;

		if (len < sizeof(*in6))
			return -EINVAL;
		if (IN6_IS_ADDR_UNSPECIFIED(a))
			return 0;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			uint32_t v4;

			memcpy(&v4, &a->s6_addr[12], 4);
			return v4_class(ntohl(v4));
		}
		return 2;
	}
	if (sa->sa_family == AF_UNIX)
		return 1;
	return -EAFNOSUPPORT;
}

static uint16_t addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)
				     ->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)
				     ->sin6_port);
	return 0;
}

/* The antenna an address of class cls reaches (lock held). */
static int antenna_up_for(struct mn_net *net, int cls)
{
	if (cls == 1)
		return mn__net_antenna_up(net, NET_ANT_LO);
	if (cls == 2)
		return mn__net_antenna_up(net, NET_ANT_HOST);
	/* The wildcard: lo always takes part, host0 with policy host. */
	return mn__net_antenna_up(net, NET_ANT_LO) ||
	       mn__net_antenna_up(net, NET_ANT_HOST);
}

static int check(struct mn_net *net, const struct sockaddr *sa,
		 socklen_t len, int connecting)
{
	int cls, ret = 0;

	if (connecting && sa && len >= sizeof(sa_family_t) &&
	    sa->sa_family == AF_UNSPEC)
		return 0;	/* dissolves a datagram association */
	cls = mn__net_addr_class(sa, len);
	if (cls < 0)
		return cls;
	if (sa->sa_family == AF_UNIX)
		return 0;
	if (connecting && cls == 0)
		cls = 1;	/* Linux connects 0.0.0.0 to the local host */
	pthread_mutex_lock(&net->lock);
	if (cls == 2 && net->policy != MN_NET_POLICY_HOST)
		ret = connecting ? -ENETUNREACH : -EADDRNOTAVAIL;
	else if (!port_allowed_locked(net, addr_port(sa)))
		ret = -EACCES;
	else if (!antenna_up_for(net, cls))
		ret = -ENETDOWN;
	pthread_mutex_unlock(&net->lock);
	return ret;
}

int mn_net_check_bind(struct mn_net *net, int32_t pid,
		      const struct sockaddr *sa, socklen_t len)
{
	(void)pid;	/* one policy per instance; per-run is the sandbox's */
	return check(net, sa, len, 0);
}

int mn_net_check_connect(struct mn_net *net, int32_t pid,
			 const struct sockaddr *sa, socklen_t len)
{
	(void)pid;
	return check(net, sa, len, 1);
}

/* --- life cycle ----------------------------------------------------------- */

/* Instance names travel in peer messages: [A-Za-z0-9._-], 1..63. */
static void sanitise_name(const char *in, char *out)
{
	size_t i;

	if (!in || !*in)
		in = "default";
	for (i = 0; in[i] && i < MN_NET_NAME_MAX - 1; i++) {
		char c = in[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			 c == '-';

		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
}

static uint64_t random_id(void)
{
	uint64_t id = 0;

	while (!id)
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = mn_clock_host_mono_ns() ^
			     ((uint64_t)getpid() << 32);
	return id;
}

static int init_locks(struct mn_net *net)
{
	pthread_condattr_t ca;
	int ret;

	if ((ret = pthread_mutex_init(&net->lock, NULL)))
		return -ret;
	if ((ret = pthread_mutex_init(&net->sync_lock, NULL)))
		goto unwind_lock;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&net->idle, &ca);
	pthread_condattr_destroy(&ca);
	if (!ret)
		return 0;
	pthread_mutex_destroy(&net->sync_lock);
unwind_lock:
	pthread_mutex_destroy(&net->lock);
	return -ret;
}

int mn_net_create(struct mn_net **out, const struct mn_net_opts *opts,
		  struct mn_strbuf *err)
{
	static const struct mn_net_opts none;
	const struct mn_net_opts *o = opts ? opts : &none;
	struct mn_net *net = calloc(1, sizeof(*net));
	int ret;

	if (!net)
		return -ENOMEM;
	if ((ret = init_locks(net)) < 0) {
		free(net);
		return ret;
	}
	sanitise_name(o->name, net->name);
	net->id = random_id();
	net->bus = o->bus;
	net->clock = o->clock;
	net->netd_pid = o->netd_pid;
	net->policy = (unsigned)o->policy < MN_NET_POLICY__COUNT ?
			      o->policy : MN_NET_POLICY_LOOPBACK;
	net->next_sd = 1;
	net->sync_timer = net->announce_timer = net->watch_id = -1;
	net->own_diag = -1;
	mn__net_self_netns(&net->self_netns);
	mn__net_antennas_init(net);
	ret = mn_net_set_ports(net, o->allow_ports, err);
	if (ret < 0) {
		mn_net_destroy(net);
		return ret;
	}
	if (!o->no_p2p) {
		struct mn_strbuf why = MN_STRBUF_INIT;

		/* Not fatal: the network works without peers, and says why. */
		if (mn__net_p2p_start(net, o->p2p_port, o->p2p_lan,
				      o->announce_ms, o->expire_ms, &why) < 0)
			snprintf(net->p2p_error, sizeof(net->p2p_error), "%s",
				 mn_strbuf_str(&why));
		mn_strbuf_release(&why);
	}
	*out = net;
	return 0;
}

/* Wakes calls blocked on held sockets and waits for every call to end. */
static void drain_calls(struct mn_net *net)
{
	pthread_mutex_lock(&net->lock);
	net->stopping = 1;
	for (size_t i = 0; i < net->nsocks; i++) {
		struct net_sock *s = net->socks[i];

		/* shutdown() does not block; it wakes accept/connect/recv. */
		if (s->pins && s->fd >= 0)
			shutdown(s->fd, SHUT_RDWR);
	}
	while (net->calls > 0)
		pthread_cond_wait(&net->idle, &net->lock);
	pthread_mutex_unlock(&net->lock);
}

void mn_net_destroy(struct mn_net *net)
{
	if (!net)
		return;
	mn__net_p2p_stop(net);
	drain_calls(net);
	mn__net_sock_free_all(net);
	if (net->own_diag >= 0)
		close(net->own_diag);
	for (int i = 0; i < net->nns; i++) {
		if (net->ns[i].nsfd >= 0)
			close(net->ns[i].nsfd);
		if (net->ns[i].diag >= 0)
			close(net->ns[i].diag);
	}
	pthread_cond_destroy(&net->idle);
	pthread_mutex_destroy(&net->sync_lock);
	pthread_mutex_destroy(&net->lock);
	free(net);
}

int mn__net_enter(struct mn_net *net)
{
	int ret = 0;

	pthread_mutex_lock(&net->lock);
	if (net->stopping)
		ret = -ENETDOWN;
	else
		net->calls++;
	pthread_mutex_unlock(&net->lock);
	return ret;
}

void mn__net_leave(struct mn_net *net)
{
	pthread_mutex_lock(&net->lock);
	if (--net->calls == 0)
		pthread_cond_broadcast(&net->idle);
	pthread_mutex_unlock(&net->lock);
}

uint64_t mn_net_instance_id(struct mn_net *net)
{
	return net->id;
}
