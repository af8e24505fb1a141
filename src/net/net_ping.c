/*
 * net_ping.c - `ping PEER [COUNT]`: echo requests between instances.
 *
 * Each request is a PING datagram with a sequence number unique to this
 * link and the send time; the peer's receive thread answers PONG with both
 * copied back, and ours completes the waiting slot (net_peer.c).  The
 * round trip is measured on the host's monotonic clock, from just before
 * sendto() to when the receive thread saw the answer: it includes both
 * instances' receive threads waking up, as ping(8)'s includes the stacks.
 * Output follows ping(8): a line per reply, then the loss and
 * min/avg/max/mdev summary.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#include <micronos/clock.h>

#include "net_i.h"

struct target {
	char name[MN_NET_NAME_MAX];
	uint64_t id;			/* 0: an address, any instance */
	struct sockaddr_in addr;
	char addr_text[64];
};

static int hex_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* By name, by id prefix, or ADDR:PORT (lock NOT held). */
static int resolve(struct mn_net *net, struct net_p2p *p, const char *peer,
		   struct target *t)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int found = -1, many = 0, named = 0;

	memset(t, 0, sizeof(*t));
	pthread_mutex_lock(&net->lock);
	/* a name two instances share picks neither: their ids tell them
	   apart (t->name lists them for the message) */
	for (size_t i = 0; i < p->npeers; i++)
		if (!strcmp(p->peers[i].name, peer)) {
			size_t l = strlen(t->name);

			snprintf(t->name + l, sizeof(t->name) - l, "%s%016"
				 PRIx64, named ? ", " : "", p->peers[i].id);
			found = named++ ? -3 : (int)i;
		}
	if (found >= 0)
		t->name[0] = '\0';
	for (size_t i = 0; found == -1 && hex_prefix(peer) && i < p->npeers;
	     i++) {
		char id[17];

		snprintf(id, sizeof(id), "%016" PRIx64, p->peers[i].id);
		if (!strncasecmp(id, peer, strlen(peer)))
			many = many ? -2 : (int)i + 1;
		if (many == -2)
			found = -2;
	}
	if (found == -1 && many > 0)
		found = many - 1;
	if (found >= 0) {
		const struct mn_net_peer_info *e = &p->peers[found];

		snprintf(t->name, sizeof(t->name), "%s", e->name);
		t->id = e->id;
		memcpy(&t->addr, &e->addr, sizeof(t->addr));
	}
	pthread_mutex_unlock(&net->lock);
	if (found == -3)
		return -ENOTUNIQ;	/* several peers of that name */
	if (found == -2)
		return -EINVAL;		/* an ambiguous id prefix */
	if (found < 0) {
		if (mn_net_addr_parse(peer, &ss, &len) < 0 ||
		    ss.ss_family != AF_INET)
			return -ENOENT;
		snprintf(t->name, sizeof(t->name), "%s", peer);
		memcpy(&t->addr, &ss, sizeof(t->addr));
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &t->addr, sizeof(t->addr));
	mn_net_addr_str(&ss, t->addr_text, sizeof(t->addr_text));
	return 0;
}

static int got_reply(void *arg)
{
	return ((struct net_ping_slot *)arg)->got_ns != 0;
}

/* One request: the round trip in ns, or 0 for none (lost, or no slot). */
static uint64_t ping_once(struct mn_net *net, struct net_p2p *p,
			  const struct target *t, int timeout_ms, int *err)
{
	struct net_ping_slot *s = NULL;
	uint64_t rtt = 0, ts;
	uint32_t seq;

	pthread_mutex_lock(&net->lock);
	for (int k = 0; k < NET_PING_SLOTS && !s; k++)
		if (!p->pings[k].active)
			s = &p->pings[k];
	if (s) {
		seq = ++p->next_seq;
		ts = mn_clock_host_mono_ns();
		*s = (struct net_ping_slot){1, t->id, seq, ts, 0};
	}
	pthread_mutex_unlock(&net->lock);
	if (!s) {
		*err = -EBUSY;
		return 0;
	}
	*err = mn__net_p2p_send(net, p, NET_MSG_PING, &t->addr, seq, ts, 0);
	pthread_mutex_lock(&net->lock);
	if (*err == 0)
		mn__net_p2p_wait(net, p,
				 ts + (uint64_t)timeout_ms * MN_NSEC_PER_MSEC,
				 got_reply, s);
	if (s->got_ns)
		rtt = s->got_ns - ts;
	s->active = 0;
	pthread_mutex_unlock(&net->lock);
	return rtt;
}

static void summary(struct mn_net_ping_stats *st, const struct target *t,
		    double sum2, struct mn_strbuf *out)
{
	double avg = 0, var;
	int loss;

	if (st->received) {
		avg = (double)st->avg_ns / st->received;
		var = sum2 / st->received - avg * avg;
		st->avg_ns = (uint64_t)avg;
		st->mdev_ns = (uint64_t)(var > 0 ? sqrt(var) : 0);
	}
	loss = st->sent ? (st->sent - st->received) * 100 / st->sent : 0;
	if (!out)
		return;
	mn_strbuf_printf(out, "--- %s ping statistics ---\n", t->name);
	mn_strbuf_printf(out, "%d packets transmitted, %d received, %d%% "
			 "packet loss, time %" PRIu64 "ms\n",
			 st->sent, st->received, loss,
			 (uint64_t)(st->total_ns / MN_NSEC_PER_MSEC));
	if (st->received)
		mn_strbuf_printf(out, "rtt min/avg/max/mdev = "
				 "%.3f/%.3f/%.3f/%.3f ms\n",
				 st->min_ns / 1e6, avg / 1e6, st->max_ns / 1e6,
				 st->mdev_ns / 1e6);
}

static void run(struct mn_net *net, struct net_p2p *p, const struct target *t,
		int count, int interval_ms, int timeout_ms,
		struct mn_net_ping_stats *st, struct mn_strbuf *out)
{
	uint64_t start = mn_clock_host_mono_ns();
	double sum2 = 0;

	for (int i = 1; i <= count && !p->stop; i++) {
		int err = 0;
		uint64_t sent = mn_clock_host_mono_ns();
		uint64_t rtt = ping_once(net, p, t, timeout_ms, &err);

		st->sent++;
		if (rtt) {
			st->received++;
			st->avg_ns += rtt;
			sum2 += (double)rtt * (double)rtt;
			if (!st->min_ns || rtt < st->min_ns)
				st->min_ns = rtt;
			if (rtt > st->max_ns)
				st->max_ns = rtt;
		}
		if (out && rtt)
			mn_strbuf_printf(out, "reply from %s (%s): seq=%d "
					 "time=%.3f ms\n",
					 t->name, t->addr_text, i, rtt / 1e6);
		else if (out)
			mn_strbuf_printf(out, "no reply from %s: seq=%d (%s)\n",
					 t->name, i, err ? strerror(-err) :
					 "timed out");
		if (i < count) {
			pthread_mutex_lock(&net->lock);
			mn__net_p2p_wait(net, p,
					 sent + (uint64_t)interval_ms *
							MN_NSEC_PER_MSEC,
					 NULL, NULL);
			pthread_mutex_unlock(&net->lock);
		}
	}
	st->total_ns = mn_clock_host_mono_ns() - start;
	summary(st, t, sum2, out);
}

int mn_net_ping(struct mn_net *net, const char *peer, int count,
		int interval_ms, int timeout_ms, struct mn_net_ping_stats *st,
		struct mn_strbuf *out)
{
	struct mn_net_ping_stats local;
	struct net_p2p *p;
	struct target t;
	int ret;

	if (!peer || !*peer || count < 1 || count > 100 || interval_ms < 0 ||
	    interval_ms > 60000 || timeout_ms < 0 || timeout_ms > 60000)
		return -EINVAL;
	if ((ret = mn__net_p2p_call(net, &p)) < 0)
		return ret;
	ret = resolve(net, p, peer, &t);
	if (ret == -ENOTUNIQ && out)
		mn_strbuf_printf(out, "'%s' names several peers (ids %s): "
				 "ping one by its id\n", peer, t.name);
	if (ret == 0) {
		if (!st)
			st = &local;
		memset(st, 0, sizeof(*st));
		if (out)
			mn_strbuf_printf(out, "PING %s (%s) id %016" PRIx64
					 ": %d echo request%s\n",
					 t.name, t.addr_text, t.id, count,
					 count == 1 ? "" : "s");
		run(net, p, &t, count, interval_ms ? interval_ms : 1000,
		    timeout_ms ? timeout_ms : 1000, st, out);
		ret = st->received;
	}
	mn__net_p2p_put(net, p);
	return ret;
}
