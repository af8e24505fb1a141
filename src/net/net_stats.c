/*
 * net_stats.c - the network's figures in the kernel's stats table: the
 * open sockets and the bytes they moved, copied when someone looks
 * (`stats`, /sys/stats), like the kernel's own (kstats.h).
 */
#include <errno.h>
#include <stdlib.h>

#include <micronos/kernel.h>
#include <micronos/net.h>
#include <micronos/stats.h>

int mn_net_stats_refresh(struct mn_kernel *k)
{
	struct mn_stats *st = mn_kernel_stats(k);
	struct mn_net *net = mn_net_get(k);
	struct mn_net_sock_info *s;
	uint64_t tx = 0, rx = 0;
	size_t n, i, max = 4096;
	int e = 0;

	if (!net || !st) {
		mn_net_put(net);
		return 0;
	}
	s = calloc(max, sizeof(*s));
	n = s ? mn_net_sock_list(net, s, max) : 0;
	for (i = 0; s && i < n && i < max; i++) {
		tx += s[i].tx_bytes;
		rx += s[i].rx_bytes;
	}
	free(s);
	mn_net_put(net);
	if ((e = mn_stats_set(st, "net.sockets", (int64_t)n)) < 0 ||
	    (e = mn_stats_set(st, "net.tx_bytes", (int64_t)tx)) < 0 ||
	    (e = mn_stats_set(st, "net.rx_bytes", (int64_t)rx)) < 0)
		return e;
	return 0;
}
