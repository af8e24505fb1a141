/*
 * net_fmt.c - the network as text: addresses, names, and the shell's
 * `sockets` and `network` views.
 *
 * Everything here reads copies (mn_net_sock_list, mn_net_antenna_list ...)
 * so no formatting runs under the network's lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <micronos/clock.h>

#include "net_i.h"
#include "texttable_i.h"

static const char *const dgram_states[] = {"UNBOUND", "BOUND", "CONNECTED"};

const char *mn_sock_state_name(int state)
{
	if (state >= 0 && state < MN_TCP__STATES)
		return mn_tcp_state_name((enum mn_tcp_state)state);
	if (state >= MN_SOCK_UNBOUND && state < MN_SOCK__STATES)
		return dgram_states[state - MN_SOCK_UNBOUND];
	return "?";
}

const char *mn_net_sock_proto_name(const struct mn_net_sock_info *i)
{
	int dgram = i->type == SOCK_DGRAM, v6 = i->domain == AF_INET6;

	if (i->domain == AF_UNIX)
		return dgram ? "unix-dgram" : "unix";
	if (dgram && (i->protocol == IPPROTO_ICMP ||
		      i->protocol == IPPROTO_ICMPV6))
		return v6 ? "icmp6" : "icmp";
	if (dgram)
		return v6 ? "udp6" : "udp";
	return v6 ? "tcp6" : "tcp";
}

static const char *unix_str(const struct sockaddr_un *un, char *buf,
			    size_t size)
{
	if (un->sun_path[0])
		snprintf(buf, size, "%.*s", (int)sizeof(un->sun_path),
			 un->sun_path);
	else if (un->sun_path[1])
		snprintf(buf, size, "@%.*s", (int)sizeof(un->sun_path) - 1,
			 un->sun_path + 1);
	else
		snprintf(buf, size, "*");	/* unnamed */
	return buf;
}

const char *mn_net_addr_str(const struct sockaddr_storage *ss, char *buf,
			    size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (!size)
		return buf;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		if (in->sin_addr.s_addr == htonl(INADDR_ANY))
			snprintf(buf, size, "*:%u", ntohs(in->sin_port));
		else
			snprintf(buf, size, "%s:%u",
				 inet_ntop(AF_INET, &in->sin_addr, a,
					   sizeof(a)),
				 ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		snprintf(buf, size, "[%s]:%u",
			 inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a)),
			 ntohs(in6->sin6_port));
	} else if (ss->ss_family == AF_UNIX) {
		unix_str((const void *)ss, buf, size);
	} else {
		snprintf(buf, size, "-");
	}
	return buf;
}

int mn_net_addr_parse(const char *text, struct sockaddr_storage *out,
		      socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	unsigned long port;
	char *end;
	size_t hl;

	if (!text || !(colon = strrchr(text, ':')))
		return -EINVAL;
	hl = (size_t)(colon - text);
	if (hl >= sizeof(host) || !colon[1])
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535 || colon[1] == '-')
		return -EINVAL;
	memcpy(host, text, hl);
	host[hl] = '\0';
	memset(out, 0, sizeof(*out));
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *in6 = (void *)out;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	struct sockaddr_in *in = (void *)out;

	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	if (!hl || !strcmp(host, "*"))
		in->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcmp(host, "localhost"))
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

/* Up to `max` records, most of them; the caller frees *out. */
static size_t list_all(struct mn_net *net, struct mn_net_sock_info **out)
{
	size_t n = mn_net_sock_list(net, NULL, 0), got;

	for (;;) {
		*out = calloc(n ? n : 1, sizeof(**out));
		if (!*out)
			return 0;
		got = mn_net_sock_list(net, *out, n);
		if (got <= n)
			return got;
		free(*out);	/* grew meanwhile */
		n = got;
	}
}

static void socket_row(struct mn_texttable *t, struct mn_net *net,
		       const struct mn_net_sock_info *s,
		       const struct mn_net_antenna_info *ant, size_t nant)
{
	char l[128], r[128], tx[16], rx[16];
	const char *an = "-";

	for (size_t k = 0; k < nant; k++)
		if (ant[k].index == s->antenna + 1)
			an = ant[k].name;
	mn_texttable_cell(t, "%d", s->sd);
	mn_texttable_cell(t, "%s", mn_net_sock_proto_name(s));
	mn_texttable_cell(t, "%s", mn_sock_state_name(s->state));
	mn_texttable_cell(t, "%s", mn_net_addr_str(&s->local, l, sizeof(l)));
	mn_texttable_cell(t, "%s", mn_net_addr_str(&s->remote, r, sizeof(r)));
	mn_texttable_cell(t, "%d", s->pid);
	mn_texttable_cell(t, "%llu", (unsigned long long)s->ino);
	mn_texttable_cell(t, "%s", mn_fmt_size(tx, sizeof(tx), s->tx_bytes));
	mn_texttable_cell(t, "%s", mn_fmt_size(rx, sizeof(rx), s->rx_bytes));
	mn_texttable_cell(t, "%s", an);
	mn_texttable_cell(t, "%s", s->held ? "daemon" : "program");
	(void)net;
}

int mn_net_format_sockets(struct mn_net *net, struct mn_strbuf *out)
{
	static const char *const head[] = {
		"SD", "PROTO", "STATE", "LOCAL", "REMOTE", "PID", "INODE",
		"TX", "RX", "ANTENNA", "HELD-BY",
	};
	struct mn_net_antenna_info ant[MN_NET_MAX_ANTENNAS];
	struct mn_net_sock_info *s;
	struct mn_texttable t;
	size_t n, nant;
	unsigned tcp = 0, est = 0, lis = 0, udp = 0, unx = 0;
	int ret;

	mn_net_sync(net);
	n = list_all(net, &s);
	if (!s)
		return -ENOMEM;
	nant = mn_net_antenna_list(net, ant, MN_NET_MAX_ANTENNAS);
	mn_texttable_init(&t, 11);
	for (size_t i = 0; i < 11; i++)
		mn_texttable_cell(&t, "%s", head[i]);
	for (size_t i = 0; i < n; i++) {
		socket_row(&t, net, &s[i], ant, nant);
		if (s[i].domain == AF_UNIX)
			unx++;
		else if (s[i].type == SOCK_STREAM)
			tcp++;
		else
			udp++;
		est += s[i].type == SOCK_STREAM &&
		       s[i].state == MN_TCP_ESTABLISHED;
		lis += s[i].type == SOCK_STREAM && s[i].state == MN_TCP_LISTEN;
	}
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	free(s);
	mn_strbuf_printf(out, "%zu socket%s: %u tcp (%u established, %u "
			 "listening), %u udp, %u unix\n",
			 n, n == 1 ? "" : "s", tcp, est, lis, udp, unx);
	return ret < 0 ? ret : mn_strbuf_error(out);
}

/* The allow-list back as text (lock held). */
static void ports_str(struct mn_net *net, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (!net->nports)
		snprintf(buf, size, "all");
	for (int i = 0; i < net->nports && len < size; i++) {
		const struct net_port_range *r = &net->ports[i];
		int w = r->lo == r->hi ?
				snprintf(buf + len, size - len, "%s%u",
					 i ? "," : "", r->lo) :
				snprintf(buf + len, size - len, "%s%u-%u",
					 i ? "," : "", r->lo, r->hi);

		len += w > 0 ? (size_t)w : 0;
	}
}

int mn_net_format_overview(struct mn_net *net, struct mn_strbuf *out)
{
	struct mn_net_antenna_info ant[MN_NET_MAX_ANTENNAS];
	struct mn_net_sock_info *s;
	unsigned by[MN_SOCK__STATES] = {0};
	char ports[256];
	enum mn_net_policy pol;
	size_t n, nant;

	mn_net_sync(net);
	pthread_mutex_lock(&net->lock);
	pol = net->policy;
	ports_str(net, ports, sizeof(ports));
	pthread_mutex_unlock(&net->lock);
	mn_strbuf_printf(out, "instance  %s (id %016llx)\n", net->name,
			 (unsigned long long)net->id);
	mn_strbuf_printf(out, "policy    %s, ports allowed: %s\n",
			 mn_net_policy_name(pol), ports);
	nant = mn_net_antenna_list(net, ant, MN_NET_MAX_ANTENNAS);
	mn_strbuf_printf(out, "antennas ");
	for (size_t i = 0; i < nant && i < MN_NET_MAX_ANTENNAS; i++)
		mn_strbuf_printf(out, " %s %s (%u socket%s)%s", ant[i].name,
				 ant[i].up ? "up" : "DOWN", ant[i].sockets,
				 ant[i].sockets == 1 ? "" : "s",
				 i + 1 < nant ? "," : "\n");
	n = list_all(net, &s);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (s[i].state >= 0 && s[i].state < MN_SOCK__STATES)
			by[s[i].state]++;
	free(s);
	mn_strbuf_printf(out, "sockets   %zu", n);
	for (int st = 0; st < MN_SOCK__STATES; st++)
		if (by[st])
			mn_strbuf_printf(out, ", %s %u", mn_sock_state_name(st),
					 by[st]);
	mn_strbuf_printf(out, "\n");
	mn__net_p2p_describe(net, out);
	return mn_strbuf_error(out);
}
