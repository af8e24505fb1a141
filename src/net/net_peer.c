/*
 * net_peer.c - the peer protocol: its messages, the table of peers heard,
 * and the `scan` view.
 *
 * The message format is documented in net.h ("The peer protocol").  Parsing
 * is strict - one datagram of printable ASCII, a known magic, version and
 * verb, each value checked - because any program on the host (or the LAN)
 * may send to the discovery port; a message that fails is dropped and
 * counted as an rx error of p2p0.  The receive thread (net_p2p.c) hands
 * each datagram to mn__net_peer_input(), which updates the table, answers
 * PROBE and PING, and completes the waits of discover and ping.
 *
 * Peer events are rate-limited: other instances come and go (every test
 * run boots some), and one event each pushed people's events out of the
 * history (278 of the first 327).  At most NET_PEER_EVENTS_MAX joins and
 * leaves are published one by one per window of NET_PEER_EVENTS_WINDOW_MS;
 * the rest are counted and published as one summary when the window ends.
 * Peers silent for expire_ms are forgotten, at each tick and before each
 * listing, so `scan` never shows a stale one even while netd is held.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>

#include "net_i.h"
#include "texttable_i.h"

#define MAGIC "MICRONOS/1"

static const char *const verbs[NET_MSG__VERBS] = {
	"HELLO", "BYE", "PROBE", "PING", "PONG",
};

int mn__net_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return i > 0 && i < MN_NET_NAME_MAX;
}

static int parse_hex64(const char *s, uint64_t *out)
{
	char *end;

	if (strlen(s) != 16 || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 16);
	return errno || *end ? -EINVAL : 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 20)
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

/* One key=value; unknown keys are fine (later versions may add some). */
static int parse_field(struct net_msg *m, const char *key, const char *val,
		       unsigned *seen)
{
	uint64_t v;

	if (!strcmp(key, "name")) {
		if (!mn__net_name_ok(val))
			return -EINVAL;
		snprintf(m->name, sizeof(m->name), "%s", val);
		*seen |= 1;
	} else if (!strcmp(key, "id")) {
		if (parse_hex64(val, &m->id) < 0 || !m->id)
			return -EINVAL;
		*seen |= 2;
	} else if (!strcmp(key, "port")) {
		if (parse_u64(val, 65535, &v) < 0 || !v)
			return -EINVAL;
		m->port = (uint16_t)v;
		*seen |= 4;
	} else if (!strcmp(key, "ts")) {
		if (parse_u64(val, UINT64_MAX, &m->ts) < 0)
			return -EINVAL;
		m->has |= NET_MSG_HAS_TS;
	} else if (!strcmp(key, "seq")) {
		if (parse_u64(val, UINT32_MAX, &v) < 0)
			return -EINVAL;
		m->seq = (uint32_t)v;
		m->has |= NET_MSG_HAS_SEQ;
	} else if (!strcmp(key, "probe")) {
		if (parse_hex64(val, &m->probe) < 0)
			return -EINVAL;
		m->has |= NET_MSG_HAS_PROBE;
	}
	return 0;
}

static int check_required(const struct net_msg *m, unsigned seen)
{
	if (seen != 7)
		return -EINVAL;	/* name, id and port are always there */
	if ((m->verb == NET_MSG_PING || m->verb == NET_MSG_PONG) &&
	    (m->has & (NET_MSG_HAS_SEQ | NET_MSG_HAS_TS)) !=
		    (NET_MSG_HAS_SEQ | NET_MSG_HAS_TS))
		return -EINVAL;
	if (m->verb == NET_MSG_PROBE && !(m->has & NET_MSG_HAS_PROBE))
		return -EINVAL;
	return 0;
}

int mn__net_msg_parse(const char *buf, size_t len, struct net_msg *m)
{
	char text[MN_NET_MSG_MAX + 1], *save = NULL, *tok;
	unsigned seen = 0;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len > MN_NET_MSG_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return -EINVAL;
	memcpy(text, buf, len);
	text[len] = '\0';
	tok = strtok_r(text, " ", &save);
	if (!tok || strcmp(tok, MAGIC))
		return -EPROTO;
	tok = strtok_r(NULL, " ", &save);
	m->verb = -1;
	for (int v = 0; tok && v < NET_MSG__VERBS; v++)
		if (!strcmp(tok, verbs[v]))
			m->verb = v;
	if (m->verb < 0)
		return -EINVAL;
	while (ret == 0 && (tok = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok)
			return -EINVAL;
		*eq = '\0';
		ret = parse_field(m, tok, eq + 1, &seen);
	}
	return ret < 0 ? ret : check_required(m, seen);
}

int mn__net_msg_format(const struct net_msg *m, char *buf, size_t size)
{
	int n;

	if ((unsigned)m->verb >= NET_MSG__VERBS || !mn__net_name_ok(m->name))
		return -EINVAL;
	n = snprintf(buf, size, MAGIC " %s name=%s id=%016" PRIx64 " port=%u",
		     verbs[m->verb], m->name, m->id, m->port);
	if (n >= 0 && (size_t)n < size && (m->has & NET_MSG_HAS_TS))
		n += snprintf(buf + n, size - (size_t)n, " ts=%" PRIu64, m->ts);
	if (n >= 0 && (size_t)n < size && (m->has & NET_MSG_HAS_SEQ))
		n += snprintf(buf + n, size - (size_t)n, " seq=%" PRIu32,
			      m->seq);
	if (n >= 0 && (size_t)n < size && (m->has & NET_MSG_HAS_PROBE))
		n += snprintf(buf + n, size - (size_t)n, " probe=%016" PRIx64,
			      m->probe);
	return n < 0 || (size_t)n >= size || n > MN_NET_MSG_MAX ? -ENOSPC : n;
}

/* --- the table ------------------------------------------------------------ */

static int peer_index(struct net_p2p *p, uint64_t id)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (p->peers[i].id == id)
			return (int)i;
	return -1;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf,
		      size_t size)
{
	mn_net_addr_str(ss, buf, size);
}

/* Publishes the summary of the window that ended, if any (lock held). */
static void peer_events_flush(struct mn_net *net, struct net_p2p *p,
			      uint64_t now)
{
	uint64_t window = (uint64_t)NET_PEER_EVENTS_WINDOW_MS *
			  MN_NSEC_PER_MSEC;

	if (p->ev_window_ns && now - p->ev_window_ns < window)
		return;
	if (p->ev_joined || p->ev_left)
		mn_evbus_publish(net->bus, p->ev_joined ?
				 MN_EV_NETWORK_CONNECTED :
				 MN_EV_NETWORK_DISCONNECTED, MN_SRC_NETWORK,
				 net->netd_pid, "peers: %u more joined, %u more "
				 "left in %u s (not listed one by one)",
				 p->ev_joined, p->ev_left,
				 NET_PEER_EVENTS_WINDOW_MS / 1000);
	p->ev_window_ns = now;
	p->ev_listed = p->ev_joined = p->ev_left = 0;
}

/* 1 if a join (or leave) may be published one by one now (lock held). */
static int peer_event_ok(struct mn_net *net, struct net_p2p *p, int joined)
{
	peer_events_flush(net, p, mn__net_now(net));
	if (p->ev_listed < NET_PEER_EVENTS_MAX) {
		p->ev_listed++;
		return 1;
	}
	if (joined)
		p->ev_joined++;
	else
		p->ev_left++;
	return 0;
}

/* A message from a live peer: list or refresh it (lock held). */
static void seen(struct mn_net *net, struct net_p2p *p,
		 const struct net_msg *m, const struct sockaddr_in *addr)
{
	struct mn_net_peer_info *e;
	uint64_t now = mn__net_now(net);
	int i = peer_index(p, m->id);
	char a[64];

	if (i < 0) {
		if (p->npeers == MN_NET_MAX_PEERS)
			return;
		e = &p->peers[p->npeers++];
		memset(e, 0, sizeof(*e));
		e->id = m->id;
		e->first_ns = now;
	} else {
		e = &p->peers[i];
	}
	snprintf(e->name, sizeof(e->name), "%s", m->name);
	memset(&e->addr, 0, sizeof(e->addr));
	memcpy(&e->addr, addr, sizeof(*addr));
	e->last_ns = now;
	e->messages++;
	if (i < 0 && peer_event_ok(net, p, 1)) {
		addr_text(&e->addr, a, sizeof(a));
		mn_evbus_publish(net->bus, MN_EV_NETWORK_CONNECTED,
				 MN_SRC_NETWORK, net->netd_pid,
				 "peer %s joined (id %016" PRIx64 ", %s)",
				 e->name, e->id, a);
	}
}

static void forget(struct mn_net *net, struct net_p2p *p, size_t i,
		   const char *why)
{
	if (peer_event_ok(net, p, 0))
		mn_evbus_publish(net->bus, MN_EV_NETWORK_DISCONNECTED,
				 MN_SRC_NETWORK, net->netd_pid,
				 "peer %s left (%s, id %016" PRIx64 ")",
				 p->peers[i].name, why, p->peers[i].id);
	p->peers[i] = p->peers[--p->npeers];
}

int mn__net_peer_expire(struct mn_net *net, struct net_p2p *p)
{
	uint64_t now = mn__net_now(net);
	uint64_t limit = (uint64_t)p->expire_ms * MN_NSEC_PER_MSEC;
	int n = 0;

	for (size_t i = p->npeers; i-- > 0;)
		if (now - p->peers[i].last_ns > limit) {
			forget(net, p, i, "silent");
			n++;
		}
	peer_events_flush(net, p, now);	/* a window that ended quietly */
	return n;
}

/* A HELLO that answers our PROBE (lock held). */
static void probe_answer(struct mn_net *net, struct net_p2p *p,
			 const struct net_msg *m)
{
	uint64_t now = mn_clock_host_mono_ns();
	int i = peer_index(p, m->id);

	(void)net;
	for (int k = 0; i >= 0 && k < NET_PROBE_SLOTS; k++) {
		struct net_probe_slot *s = &p->probes[k];
		size_t j;

		if (!s->active || s->probe != m->probe)
			continue;
		for (j = 0; j < s->n && s->found[j].id != m->id; j++)
			;
		if (j < s->n || s->n == MN_NET_MAX_PEERS)
			continue;
		s->found[s->n] = p->peers[i];
		s->found[s->n].rtt_ns = now - s->sent_ns;
		p->peers[i].rtt_ns = now - s->sent_ns;
		s->n++;
	}
}

/* A PONG: completes the ping waiting for it (lock held). */
static void pong(struct net_p2p *p, const struct net_msg *m)
{
	uint64_t now = mn_clock_host_mono_ns();
	int i = peer_index(p, m->id);

	for (int k = 0; k < NET_PING_SLOTS; k++) {
		struct net_ping_slot *s = &p->pings[k];

		if (!s->active || s->got_ns || s->seq != m->seq ||
		    s->ts != m->ts || (s->peer_id && s->peer_id != m->id))
			continue;
		s->got_ns = now;
		if (i >= 0)
			p->peers[i].rtt_ns = now - s->ts;
		pthread_cond_broadcast(&p->cond);
	}
}

void mn__net_peer_input(struct mn_net *net, struct net_p2p *p,
			const char *buf, size_t len,
			const struct sockaddr_in *from)
{
	struct sockaddr_in to = *from;
	struct net_msg m;
	int up, ret;

	pthread_mutex_lock(&net->lock);
	up = mn__net_antenna_up(net, NET_ANT_P2P);
	pthread_mutex_unlock(&net->lock);
	if (!up) {
		mn__net_antenna_error(net, NET_ANT_P2P, 1, 1);
		return;
	}
	ret = len > MN_NET_MSG_MAX ? -EINVAL : mn__net_msg_parse(buf, len, &m);
	if (ret < 0) {
		mn__net_antenna_error(net, NET_ANT_P2P, 1, 0);
		return;
	}
	if (m.id == net->id)
		return;		/* our own broadcast, looped back */
	to.sin_port = htons(m.port);
	pthread_mutex_lock(&net->lock);
	if (m.verb == NET_MSG_BYE) {
		int i = peer_index(p, m.id);

		if (i >= 0)
			forget(net, p, (size_t)i, "bye");
	} else {
		seen(net, p, &m, &to);
	}
	if (m.verb == NET_MSG_HELLO && (m.has & NET_MSG_HAS_PROBE))
		probe_answer(net, p, &m);
	else if (m.verb == NET_MSG_PONG)
		pong(p, &m);
	pthread_mutex_unlock(&net->lock);
	if (m.verb == NET_MSG_PROBE)
		mn__net_p2p_send(net, p, NET_MSG_HELLO, &to, 0, 0, m.probe);
	else if (m.verb == NET_MSG_PING)
		mn__net_p2p_send(net, p, NET_MSG_PONG, &to, m.seq, m.ts, 0);
}

/* --- views --------------------------------------------------------------- */

static int by_last_heard(const void *a, const void *b)
{
	const struct mn_net_peer_info *x = a, *y = b;

	return x->last_ns < y->last_ns ? 1 : x->last_ns > y->last_ns ? -1 : 0;
}

size_t mn_net_peer_list(struct mn_net *net, struct mn_net_peer_info *out,
			size_t max)
{
	struct mn_net_peer_info all[MN_NET_MAX_PEERS];
	struct net_p2p *p = mn__net_p2p_get(net);
	size_t n = 0;

	if (!p)
		return 0;
	pthread_mutex_lock(&net->lock);
	mn__net_peer_expire(net, p);	/* never list a stale peer */
	n = p->npeers;
	memcpy(all, p->peers, n * sizeof(*all));
	pthread_mutex_unlock(&net->lock);
	mn__net_p2p_put(net, p);
	qsort(all, n, sizeof(*all), by_last_heard);
	memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	return n;
}

static void fmt_rtt(char *buf, size_t size, uint64_t ns)
{
	if (ns)
		snprintf(buf, size, "%.3f ms", (double)ns / 1e6);
	else
		snprintf(buf, size, "-");
}

static void peer_rows(struct mn_texttable *t, struct mn_net *net,
		      const struct mn_net_peer_info *pi, size_t n, int heard)
{
	uint64_t now = mn__net_now(net);

	for (size_t i = 0; i < n; i++) {
		char a[64], r[32];

		addr_text(&pi[i].addr, a, sizeof(a));
		fmt_rtt(r, sizeof(r), pi[i].rtt_ns);
		mn_texttable_cell(t, "%s", pi[i].name);
		mn_texttable_cell(t, "%016" PRIx64, pi[i].id);
		mn_texttable_cell(t, "%s", a);
		if (heard)
			mn_texttable_cell(t, "%.1fs ago",
					  (double)(now - pi[i].last_ns) / 1e9);
		mn_texttable_cell(t, "%s", r);
	}
}

int mn_net_format_peers(struct mn_net *net, struct mn_strbuf *out)
{
	struct mn_net_peer_info pi[MN_NET_MAX_PEERS];
	size_t n = mn_net_peer_list(net, pi, MN_NET_MAX_PEERS);
	struct mn_texttable t;
	int ret = 0;

	if (!n) {
		mn_strbuf_printf(out, "no peers heard\n");
		mn__net_p2p_describe(net, out);
		return mn_strbuf_error(out);
	}
	mn_texttable_init(&t, 5);
	mn_texttable_cell(&t, "NAME");
	mn_texttable_cell(&t, "ID");
	mn_texttable_cell(&t, "ADDRESS");
	mn_texttable_cell(&t, "LAST-HEARD");
	mn_texttable_cell(&t, "RTT");
	peer_rows(&t, net, pi, n, 1);
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	mn_strbuf_printf(out, "%zu peer%s\n", n, n == 1 ? "" : "s");
	return ret < 0 ? ret : mn_strbuf_error(out);
}

int mn_net_format_discover(struct mn_net *net, int timeout_ms,
			   struct mn_strbuf *out)
{
	struct mn_net_peer_info pi[MN_NET_MAX_PEERS];
	struct mn_texttable t;
	int n = mn_net_discover(net, timeout_ms, pi, MN_NET_MAX_PEERS), ret;

	if (n < 0)
		return n;
	if (n > MN_NET_MAX_PEERS)
		n = MN_NET_MAX_PEERS;
	mn_strbuf_printf(out, "probed for %d ms: %d answer%s\n", timeout_ms,
			 n, n == 1 ? "" : "s");
	if (!n)
		return mn_strbuf_error(out);
	mn_texttable_init(&t, 4);
	mn_texttable_cell(&t, "NAME");
	mn_texttable_cell(&t, "ID");
	mn_texttable_cell(&t, "ADDRESS");
	mn_texttable_cell(&t, "RTT");
	peer_rows(&t, net, pi, (size_t)n, 0);
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	return ret < 0 ? ret : mn_strbuf_error(out);
}

void mn__net_p2p_describe(struct mn_net *net, struct mn_strbuf *out)
{
	struct net_p2p *p = mn__net_p2p_get(net);
	char err[sizeof(net->p2p_error)];
	size_t n;

	if (!p) {
		pthread_mutex_lock(&net->lock);
		memcpy(err, net->p2p_error, sizeof(err));
		pthread_mutex_unlock(&net->lock);
		mn_strbuf_printf(out, "peers     no peer link%s%s\n",
				 err[0] ? ": " : "", err);
		return;
	}
	pthread_mutex_lock(&net->lock);
	n = p->npeers;
	pthread_mutex_unlock(&net->lock);
	mn_strbuf_printf(out, "peers     %zu heard; discovery %s:%u, unicast "
			 "%s:%u, announce every %u ms, lan %s\n",
			 n, p->lan ? "0.0.0.0" : "127.255.255.255", p->port,
			 p->lan ? "0.0.0.0" : "127.0.0.1", p->uni_port,
			 p->announce_ms, p->lan ? "on" : "off");
	mn__net_p2p_put(net, p);
}
