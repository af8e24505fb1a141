/*
 * net_test_util.h - helpers shared by the network's tests: waiting for a
 * socket state (syncing with the host meanwhile) and finding events.
 * Waits poll with generous limits; nothing asserts on speed.
 */
#ifndef NET_TEST_UTIL_H
#define NET_TEST_UTIL_H

#include <string.h>
#include <time.h>

#include <micronos/evbus.h>
#include <micronos/net.h>

static inline void nt_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Syncs until sd is in `state` (1) or timeout_ms passed (0). */
static inline int nt_wait_state(struct mn_net *net, int sd, int state,
				int timeout_ms)
{
	struct mn_net_sock_info si;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		mn_net_sync(net);
		if (mn_net_sock_info(net, sd, &si) == 0 && si.state == state)
			return 1;
		nt_sleep_ms(10);
	}
	return 0;
}

/* Events of one type whose text contains `needle`. */
static inline int nt_count_events(struct mn_evbus *bus, int type,
				  const char *needle)
{
	static struct mn_event ev[2000];
	struct mn_evfilter f = {0, 0, 1u << type};
	size_t n = mn_evbus_snapshot(bus, &f, ev, 2000);
	int hits = 0;

	for (size_t i = 0; i < n; i++)
		if (!needle || strstr(ev[i].text, needle))
			hits++;
	return hits;
}

#endif
