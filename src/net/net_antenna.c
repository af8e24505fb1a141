/*
 * net_antenna.c - MicronOS's network interfaces ("antennas").
 *
 * Three fixed slots: lo (every loopback address), p2p0 (the peer link's
 * own sockets) and host0 (other addresses; present only when the policy
 * is host).  An antenna's counters are the sum of its sockets' counters
 * plus what sockets that already left the table had moved, plus the peer
 * link's errors and drops, so they only grow, as an interface's do.  Down
 * means: new calls on its sockets and addresses fail with ENETDOWN, and for
 * p2p0 no announcements and every peer datagram dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <micronos/evbus.h>

#include "net_i.h"
#include "texttable_i.h"

/* host0 takes the host's MTU when the host has a default route. */
static uint32_t host_mtu(void)
{
	char line[256], ifname[64] = "", path[128];
	unsigned dest, mtu = 1500;
	FILE *f = fopen("/proc/net/route", "r");

	if (!f)
		return mtu;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %x", ifname, &dest) == 2 && dest == 0)
			break;
		else
			ifname[0] = '\0';
	fclose(f);
	if (!ifname[0])
		return mtu;
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", ifname);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%u", &mtu) != 1 || mtu < 68 || mtu > 65536)
			mtu = 1500;
		fclose(f);
	}
	return mtu;
}

/* A locally administered unicast MAC made of the instance id. */
static void make_mac(char *out, uint64_t id, unsigned salt)
{
	snprintf(out, 18, "02:%02x:%02x:%02x:%02x:%02x",
		 (unsigned)(id >> 32) & 0xff, (unsigned)(id >> 24) & 0xff,
		 (unsigned)(id >> 16) & 0xff, (unsigned)(id >> 8) & 0xff,
		 ((unsigned)id & 0xfe) ^ salt);
}

void mn__net_antennas_init(struct mn_net *net)
{
	struct net_antenna *a = net->ant;

	snprintf(a[NET_ANT_LO].name, sizeof(a->name), "lo");
	a[NET_ANT_LO].kind = "loopback";
	a[NET_ANT_LO].mtu = 65536;
	snprintf(a[NET_ANT_LO].address, sizeof(a->address),
		 "00:00:00:00:00:00");
	snprintf(a[NET_ANT_P2P].name, sizeof(a->name), "p2p0");
	a[NET_ANT_P2P].kind = "p2p";
	a[NET_ANT_P2P].mtu = 1500;
	make_mac(a[NET_ANT_P2P].address, net->id, 0);
	snprintf(a[NET_ANT_HOST].name, sizeof(a->name), "host0");
	a[NET_ANT_HOST].kind = "ether";
	a[NET_ANT_HOST].mtu = host_mtu();
	make_mac(a[NET_ANT_HOST].address, net->id, 1);
	for (int i = 0; i < MN_NET_MAX_ANTENNAS; i++)
		a[i].up = a[i].present = 1;
	mn__net_antennas_policy(net);
}

void mn__net_antennas_policy(struct mn_net *net)
{
	net->ant[NET_ANT_HOST].present = net->policy == MN_NET_POLICY_HOST;
}

int mn__net_antenna_up(struct mn_net *net, int i)
{
	return i >= 0 && i < MN_NET_MAX_ANTENNAS && net->ant[i].present &&
	       net->ant[i].up;
}

int mn__net_antenna_of(struct mn_net *net, const struct net_sock *s)
{
	const struct sockaddr_storage *a = s->remote.ss_family ? &s->remote :
								 &s->local;
	int cls;

	if (s->domain == AF_UNIX)
		return -1;
	if (s->kernel)
		return NET_ANT_P2P;
	cls = a->ss_family ? mn__net_addr_class((const void *)a, sizeof(*a)) :
			     0;
	if (cls == 1)
		return NET_ANT_LO;
	if (cls == 2)
		return NET_ANT_HOST;
	return net->policy == MN_NET_POLICY_HOST ? NET_ANT_HOST : NET_ANT_LO;
}

void mn__net_antenna_retire(struct mn_net *net, const struct net_sock *s)
{
	struct net_counters *c;

	if (s->antenna < 0 || s->antenna >= MN_NET_MAX_ANTENNAS)
		return;
	c = &net->ant[s->antenna].own;
	c->rx_bytes += s->rx_bytes;
	c->rx_packets += s->rx_packets;
	c->tx_bytes += s->tx_bytes;
	c->tx_packets += s->tx_packets;
}

void mn__net_antenna_error(struct mn_net *net, int i, int rx, int drop)
{
	struct net_counters *c = &net->ant[i].own;

	pthread_mutex_lock(&net->lock);
	if (rx && drop)
		c->rx_dropped++;
	else if (rx)
		c->rx_errors++;
	else if (drop)
		c->tx_dropped++;
	else
		c->tx_errors++;
	pthread_mutex_unlock(&net->lock);
}

/* One antenna with its sums (lock held). */
static void info_locked(struct mn_net *net, int i,
			struct mn_net_antenna_info *o)
{
	const struct net_antenna *a = &net->ant[i];
	const struct net_counters *c = &a->own;

	memset(o, 0, sizeof(*o));
	memcpy(o->name, a->name, sizeof(o->name));
	o->kind = a->kind;
	o->index = i + 1;
	o->up = a->up;
	o->mtu = a->mtu;
	memcpy(o->address, a->address, sizeof(o->address));
	o->rx_bytes = c->rx_bytes;
	o->rx_packets = c->rx_packets;
	o->rx_errors = c->rx_errors;
	o->rx_dropped = c->rx_dropped;
	o->tx_bytes = c->tx_bytes;
	o->tx_packets = c->tx_packets;
	o->tx_errors = c->tx_errors;
	o->tx_dropped = c->tx_dropped;
	for (size_t k = 0; k < net->nsocks; k++) {
		const struct net_sock *s = net->socks[k];

		if (s->antenna != i)
			continue;
		o->rx_bytes += s->rx_bytes;
		o->rx_packets += s->rx_packets;
		o->tx_bytes += s->tx_bytes;
		o->tx_packets += s->tx_packets;
		if (!s->closed_ns)
			o->sockets++;
	}
}

size_t mn_net_antenna_list(struct mn_net *net,
			   struct mn_net_antenna_info *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&net->lock);
	for (int i = 0; i < MN_NET_MAX_ANTENNAS; i++) {
		if (!net->ant[i].present)
			continue;
		if (n < max)
			info_locked(net, i, &out[n]);
		n++;
	}
	pthread_mutex_unlock(&net->lock);
	return n;
}

/* Index of a present antenna by name (lock held), -ENODEV. */
static int find_locked(struct mn_net *net, const char *name)
{
	for (int i = 0; name && i < MN_NET_MAX_ANTENNAS; i++)
		if (net->ant[i].present && !strcmp(net->ant[i].name, name))
			return i;
	return -ENODEV;
}

int mn_net_antenna_get(struct mn_net *net, const char *name,
		       struct mn_net_antenna_info *out)
{
	int i;

	pthread_mutex_lock(&net->lock);
	i = find_locked(net, name);
	if (i >= 0)
		info_locked(net, i, out);
	pthread_mutex_unlock(&net->lock);
	return i < 0 ? i : 0;
}

int mn_net_antenna_set(struct mn_net *net, const char *name, int up)
{
	int i, changed = 0;

	pthread_mutex_lock(&net->lock);
	i = find_locked(net, name);
	if (i >= 0 && net->ant[i].up != !!up) {
		net->ant[i].up = !!up;
		changed = 1;
		mn_evbus_publish(net->bus, up ? MN_EV_NETWORK_CONNECTED :
					  MN_EV_NETWORK_DISCONNECTED,
				 MN_SRC_NETWORK, net->netd_pid, "antenna %s %s",
				 net->ant[i].name, up ? "up" : "down");
	}
	pthread_mutex_unlock(&net->lock);
	/* Back on the air: say hello and ask who is there, as at start. */
	if (changed && up && i == NET_ANT_P2P)
		mn__net_p2p_hello(net);
	return i < 0 ? i : 0;
}

int mn_net_format_antennas(struct mn_net *net, struct mn_strbuf *out)
{
	struct mn_net_antenna_info a[MN_NET_MAX_ANTENNAS];
	size_t n = mn_net_antenna_list(net, a, MN_NET_MAX_ANTENNAS);
	struct mn_texttable t;
	int ret;

	mn_texttable_init(&t, 11);
	for (const char *const *h = (const char *const[]){
		     "NAME", "KIND", "STATE", "MTU", "ADDRESS", "RX-BYTES",
		     "RX-PKTS", "TX-BYTES", "TX-PKTS", "ERR/DROP", "SOCKETS",
		     NULL};
	     *h; h++)
		mn_texttable_cell(&t, "%s", *h);
	for (size_t i = 0; i < n && i < MN_NET_MAX_ANTENNAS; i++) {
		mn_texttable_cell(&t, "%s", a[i].name);
		mn_texttable_cell(&t, "%s", a[i].kind);
		mn_texttable_cell(&t, "%s", a[i].up ? "up" : "down");
		mn_texttable_cell(&t, "%u", a[i].mtu);
		mn_texttable_cell(&t, "%s", a[i].address);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)a[i].rx_bytes);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)a[i].rx_packets);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)a[i].tx_bytes);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)a[i].tx_packets);
		mn_texttable_cell(&t, "%llu/%llu",
				  (unsigned long long)(a[i].rx_errors +
						       a[i].tx_errors),
				  (unsigned long long)(a[i].rx_dropped +
						       a[i].tx_dropped));
		mn_texttable_cell(&t, "%u", a[i].sockets);
	}
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	return ret < 0 ? ret : mn_strbuf_error(out);
}

int mn_net_format_antenna(struct mn_net *net, const char *name,
			  struct mn_strbuf *out)
{
	struct mn_net_antenna_info a;
	int ret = mn_net_antenna_get(net, name, &a);

	if (ret < 0)
		return ret;
	mn_strbuf_printf(out, "%s: <%s%s> mtu %u  kind %s  index %d\n",
			 a.name, a.up ? "UP" : "DOWN",
			 !strcmp(a.kind, "loopback") ? ",LOOPBACK" :
			 !strcmp(a.kind, "p2p") ? ",BROADCAST" : "",
			 a.mtu, a.kind, a.index);
	mn_strbuf_printf(out, "    address %s\n", a.address);
	mn_strbuf_printf(out, "    RX packets %llu  bytes %llu  errors %llu  "
			 "dropped %llu\n",
			 (unsigned long long)a.rx_packets,
			 (unsigned long long)a.rx_bytes,
			 (unsigned long long)a.rx_errors,
			 (unsigned long long)a.rx_dropped);
	mn_strbuf_printf(out, "    TX packets %llu  bytes %llu  errors %llu  "
			 "dropped %llu\n",
			 (unsigned long long)a.tx_packets,
			 (unsigned long long)a.tx_bytes,
			 (unsigned long long)a.tx_errors,
			 (unsigned long long)a.tx_dropped);
	mn_strbuf_printf(out, "    sockets %u\n", a.sockets);
	return mn_strbuf_error(out);
}
