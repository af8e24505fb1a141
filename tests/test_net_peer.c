/*
 * test_net_peer - instances finding and reaching each other: the message
 * codec (good and hostile datagrams), two and three networks in one
 * process over loopback broadcast (join, scan, discover, ping by name, id
 * prefix and address, p2p0 down, BYE, expiry by silence), and two kernels
 * booted with mn_net_attach (syscall rows, netd, config keys applied live,
 * the shell's network commands, reboot).
 *
 * Each run uses a discovery port of its own (from the pid), so tests and
 * running instances on the same host do not meet; the port 47800 of the
 * real instances is never used here.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include <micronos/config.h>
#include <micronos/evbus.h>
#include <micronos/kernel.h>
#include <micronos/clock.h>
#include <micronos/net.h>
#include <micronos/proc.h>
#include <micronos/shell.h>
#include <micronos/syscall.h>

#include "net_i.h"
#include "net_test_util.h"

static uint16_t test_port(void)
{
	return (uint16_t)(20000 + getpid() % 10000);
}

/* --- the codec ------------------------------------------------------------ */

static void bad(const char *text, int err)
{
	struct net_msg m;

	assert_int_equal(mn__net_msg_parse(text, strlen(text), &m), err);
}

static void test_codec(void **state)
{
	struct net_msg m = {0}, back;
	char buf[MN_NET_MSG_MAX + 1], big[MN_NET_MSG_MAX + 20];
	int n;

	(void)state;
	m.verb = NET_MSG_PING;
	snprintf(m.name, sizeof(m.name), "alpha-1.x_y");
	m.id = 0x0123456789abcdefULL;
	m.port = 40000;
	m.ts = 123456789012ULL;
	m.seq = 7;
	m.has = NET_MSG_HAS_TS | NET_MSG_HAS_SEQ;
	n = mn__net_msg_format(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf, "MICRONOS/1 PING name=alpha-1.x_y "
				 "id=0123456789abcdef port=40000 "
				 "ts=123456789012 seq=7");
	assert_int_equal(mn__net_msg_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.verb, NET_MSG_PING);
	assert_string_equal(back.name, "alpha-1.x_y");
	assert_true(back.id == m.id);
	assert_int_equal(back.port, 40000);
	assert_true(back.ts == m.ts);
	assert_int_equal(back.seq, 7);
	/* a trailing newline and unknown keys are fine */
	snprintf(buf, sizeof(buf), "MICRONOS/1 HELLO name=a "
		 "id=00000000000000ff port=1 color=blue\n");
	assert_int_equal(mn__net_msg_parse(buf, strlen(buf), &back), 0);
	assert_true(back.id == 0xff);
	bad("HTTP/1.1 200 OK", -EPROTO);
	bad("MICRONOS/2 HELLO name=a id=00000000000000ff port=1", -EPROTO);
	bad("MICRONOS/1 HOWDY name=a id=00000000000000ff port=1", -EINVAL);
	bad("MICRONOS/1 HELLO name=a port=1", -EINVAL);
	bad("MICRONOS/1 HELLO name=a id=ff port=1", -EINVAL);
	bad("MICRONOS/1 HELLO name=a id=0000000000000000 port=1", -EINVAL);
	bad("MICRONOS/1 HELLO name=a id=00000000000000fg port=1", -EINVAL);
	bad("MICRONOS/1 HELLO name=a id=00000000000000ff port=0", -EINVAL);
	bad("MICRONOS/1 HELLO name=a id=00000000000000ff port=65536", -EINVAL);
	bad("MICRONOS/1 HELLO name=a/b id=00000000000000ff port=1", -EINVAL);
	bad("MICRONOS/1 HELLO name= id=00000000000000ff port=1", -EINVAL);
	bad("MICRONOS/1 HELLO name=a id=00000000000000ff port=1 junk",
	    -EINVAL);
	bad("MICRONOS/1 HELLO name=a id=00000000000000ff port=1 =x", -EINVAL);
	bad("MICRONOS/1 PING name=a id=00000000000000ff port=1 ts=5",
	    -EINVAL);
	bad("MICRONOS/1 PROBE name=a id=00000000000000ff port=1", -EINVAL);
	bad("MICRONOS/1 PING name=a id=00000000000000ff port=1 ts=5 seq=-1",
	    -EINVAL);
	bad("MICRONOS/1 HELLO name=a\tb id=00000000000000ff port=1", -EINVAL);
	bad("", -EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(mn__net_msg_parse(big, sizeof(big), &back), -EINVAL);
	/* formatting refuses what parsing would */
	m.name[0] = ' ';
	assert_int_equal(mn__net_msg_format(&m, buf, sizeof(buf)), -EINVAL);
	m.name[0] = 'a';
	assert_int_equal(mn__net_msg_format(&m, buf, 20), -ENOSPC);
	assert_true(mn__net_name_ok("x"));
	assert_false(mn__net_name_ok(""));
}

/* --- networks in one process --------------------------------------------- */

struct fixture {
	struct mn_evbus *bus;
	struct mn_net *a, *b;
};

static struct mn_net *make(struct mn_evbus *bus, const char *name,
			   uint32_t expire_ms)
{
	struct mn_net_opts o = {.name = name, .bus = bus, .p2p_port =
								   test_port(),
				.announce_ms = 100, .expire_ms = expire_ms};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_net *net;

	assert_int_equal(mn_net_create(&net, &o, &err), 0);
	assert_true(mn_net_p2p_unicast_port(net) > 0);
	mn_strbuf_release(&err);
	return net;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mn_evbus_create(&f->bus, 2000, NULL), 0);
	f->a = make(f->bus, "alpha", 700);
	f->b = make(NULL, "beta", 700);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_net_destroy(f->a);
	mn_net_destroy(f->b);
	mn_evbus_destroy(f->bus);
	free(f);
	return 0;
}

/* Waits until net lists (1) or stops listing (0) a peer called name. */
static int wait_peer(struct mn_net *net, const char *name, int present)
{
	struct mn_net_peer_info p[MN_NET_MAX_PEERS];

	for (int t = 0; t < 500; t++) {
		size_t n = mn_net_peer_list(net, p, MN_NET_MAX_PEERS);
		int found = 0;

		for (size_t i = 0; i < n; i++)
			found |= !strcmp(p[i].name, name);
		if (found == present)
			return 1;
		mn_net_tick(net);
		nt_sleep_ms(10);
	}
	return 0;
}

static void test_two_see_each_other(void **state)
{
	struct fixture *f = *state;
	struct mn_net_peer_info p[MN_NET_MAX_PEERS];
	struct mn_strbuf out = MN_STRBUF_INIT;
	size_t n;

	/* HELLO and PROBE at start: no tick needed, but allowed */
	assert_true(wait_peer(f->a, "beta", 1));
	assert_true(wait_peer(f->b, "alpha", 1));
	n = mn_net_peer_list(f->a, p, MN_NET_MAX_PEERS);
	assert_int_equal(n, 1);
	assert_true(p[0].id == mn_net_instance_id(f->b));
	assert_int_equal(ntohs(((struct sockaddr_in *)&p[0].addr)->sin_port),
			 mn_net_p2p_unicast_port(f->b));
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_CONNECTED,
					 "peer beta joined"),
			 1);
	assert_int_equal(mn_net_format_peers(f->a, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "beta"));
	assert_non_null(strstr(mn_strbuf_str(&out), "1 peer"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_net_render_sys(f->a, "p2p0", "peers", &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "beta "));
	mn_strbuf_reset(&out);
	/* the link's sockets are netd's records on p2p0 */
	assert_int_equal(mn_net_format_sockets(f->a, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "127.255.255.255:"));
	assert_non_null(strstr(mn_strbuf_str(&out), "p2p0"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_net_format_overview(f->a, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "1 heard"));
	mn_strbuf_release(&out);
}

static void test_discover(void **state)
{
	struct fixture *f = *state;
	struct mn_net_peer_info p[MN_NET_MAX_PEERS];
	struct mn_strbuf out = MN_STRBUF_INIT;
	int n = mn_net_discover(f->a, 300, p, MN_NET_MAX_PEERS);

	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "beta");
	assert_true(p[0].rtt_ns > 0);
	assert_int_equal(mn_net_discover(f->a, 0, p, 1), -EINVAL);
	assert_int_equal(mn_net_discover(f->a, 20000, p, 1), -EINVAL);
	assert_int_equal(mn_net_format_discover(f->a, 200, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "1 answer"));
	assert_non_null(strstr(mn_strbuf_str(&out), "beta"));
	mn_strbuf_release(&out);
}

static void test_ping(void **state)
{
	struct fixture *f = *state;
	struct mn_net_ping_stats st;
	struct mn_strbuf out = MN_STRBUF_INIT;
	char id[8], addr[32];

	assert_true(wait_peer(f->a, "beta", 1));
	assert_int_equal(mn_net_ping(f->a, "beta", 5, 20, 1000, &st, &out), 5);
	assert_int_equal(st.sent, 5);
	assert_int_equal(st.received, 5);
	assert_true(st.min_ns > 0 && st.min_ns <= st.avg_ns &&
		    st.avg_ns <= st.max_ns);
	assert_non_null(strstr(mn_strbuf_str(&out), "PING beta (127.0.0.1:"));
	assert_non_null(strstr(mn_strbuf_str(&out), "seq=5 time="));
	assert_non_null(strstr(mn_strbuf_str(&out), "5 packets transmitted, "
						     "5 received, 0% packet "
						     "loss"));
	assert_non_null(strstr(mn_strbuf_str(&out), "rtt min/avg/max/mdev"));
	print_message("ping alpha -> beta: min %.3f avg %.3f max %.3f ms\n",
		      st.min_ns / 1e6, st.avg_ns / 1e6, st.max_ns / 1e6);
	/* by id prefix, and by address */
	snprintf(id, sizeof(id), "%06" PRIx64,
		 mn_net_instance_id(f->b) >> 40);
	assert_int_equal(mn_net_ping(f->a, id, 1, 0, 1000, NULL, NULL), 1);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u",
		 mn_net_p2p_unicast_port(f->b));
	assert_int_equal(mn_net_ping(f->a, addr, 2, 10, 1000, NULL, NULL), 2);
	assert_int_equal(mn_net_ping(f->a, "gamma", 1, 0, 100, NULL, NULL),
			 -ENOENT);
	assert_int_equal(mn_net_ping(f->a, "beta", 0, 0, 100, NULL, NULL),
			 -EINVAL);
	assert_int_equal(mn_net_ping(f->a, "beta", 101, 0, 100, NULL, NULL),
			 -EINVAL);
	assert_int_equal(mn_net_ping(f->a, NULL, 1, 0, 100, NULL, NULL),
			 -EINVAL);
	/* nobody answers on a port where no instance is: loss */
	mn_strbuf_reset(&out);
	assert_int_equal(mn_net_ping(f->a, "127.0.0.1:9", 2, 10, 100, &st,
				     &out),
			 0);
	assert_int_equal(st.received, 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "100% packet loss"));
	mn_strbuf_release(&out);
}

static void test_p2p0_down(void **state)
{
	struct fixture *f = *state;
	struct mn_net_peer_info p[4];
	struct mn_net_antenna_info b0, b1;

	assert_true(wait_peer(f->a, "beta", 1));
	assert_int_equal(mn_net_antenna_set(f->a, "p2p0", 0), 0);
	assert_int_equal(mn_net_ping(f->a, "beta", 1, 0, 100, NULL, NULL),
			 -ENETDOWN);
	assert_int_equal(mn_net_discover(f->a, 100, p, 4), -ENETDOWN);
	/* beta's announcements now land in alpha's drops */
	mn_net_antenna_get(f->a, "p2p0", &b0);
	for (int i = 0; i < 200; i++) {
		mn_net_tick(f->b);
		nt_sleep_ms(10);
		mn_net_antenna_get(f->a, "p2p0", &b1);
		if (b1.rx_dropped > b0.rx_dropped)
			break;
	}
	assert_true(b1.rx_dropped > b0.rx_dropped);
	/* and alpha stopped announcing: beta lets it go (expire 700 ms) */
	assert_true(wait_peer(f->b, "alpha", 0));
	/* up again: alpha says hello and probes, so both know at once */
	assert_int_equal(mn_net_antenna_set(f->a, "p2p0", 1), 0);
	assert_true(wait_peer(f->b, "alpha", 1));
	assert_true(wait_peer(f->a, "beta", 1));
	assert_int_equal(mn_net_ping(f->a, "beta", 1, 0, 1000, NULL, NULL), 1);
}

static void test_leave_and_garbage(void **state)
{
	struct fixture *f = *state;
	struct mn_net *c = make(NULL, "gamma", 700);
	struct mn_net_antenna_info a0, a1;
	struct sockaddr_in to = {.sin_family = AF_INET};
	int fd;

	assert_true(wait_peer(f->a, "gamma", 1));
	assert_true(wait_peer(f->a, "beta", 1));
	/* BYE: gone at once */
	mn_net_destroy(c);
	assert_true(wait_peer(f->a, "gamma", 0));
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_DISCONNECTED,
					 "peer gamma left (bye"),
			 1);
	/* garbage to the discovery port is counted, nothing else */
	mn_net_antenna_get(f->a, "p2p0", &a0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	to.sin_port = htons(test_port());
	to.sin_addr.s_addr = htonl(0x7fffffffu);
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &(int){1}, sizeof(int));
	assert_true(sendto(fd, "MICRONOS/1 HELLO name=evil", 26, 0,
			   (struct sockaddr *)&to, sizeof(to)) == 26);
	close(fd);
	for (int i = 0; i < 200; i++) {
		nt_sleep_ms(10);
		mn_net_antenna_get(f->a, "p2p0", &a1);
		if (a1.rx_errors > a0.rx_errors)
			break;
	}
	assert_true(a1.rx_errors > a0.rx_errors);
	assert_true(wait_peer(f->a, "evil", 0));
	/* silence: beta's link goes away without a word */
	assert_int_equal(mn_net_antenna_set(f->b, "p2p0", 0), 0);
	assert_true(wait_peer(f->a, "beta", 0));
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_DISCONNECTED,
					 "peer beta left (silent"),
			 1);
}

/* Feeds net one HELLO from a made-up peer, as the receive thread would. */
static void fake_hello(struct mn_net *net, const char *name, uint64_t id)
{
	struct net_p2p *p = mn__net_p2p_get(net);
	struct sockaddr_in from = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				   .sin_port = htons(9)};
	char buf[MN_NET_MSG_MAX + 1];

	assert_non_null(p);
	snprintf(buf, sizeof(buf), "MICRONOS/1 HELLO name=%s id=%016llx "
		 "port=9", name, (unsigned long long)id);
	mn__net_peer_input(net, p, buf, strlen(buf), &from);
	mn__net_p2p_put(net, p);
}

/*
 * Many peers coming and going publish a few events one by one and one
 * summary for the rest: a crowd of instances never floods the history.
 */
static void test_peer_events_rate_limited(void **state)
{
	struct fixture *f = *state;
	struct net_p2p *p;
	char name[32];
	int i, joins;

	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "crowd%d", i);
		fake_hello(f->a, name, 0x1000 + (uint64_t)i);
	}
	joins = nt_count_events(f->bus, MN_EV_NETWORK_CONNECTED, "crowd");
	assert_true(joins <= NET_PEER_EVENTS_MAX);
	assert_true(joins >= 1);
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_CONNECTED,
					 "more joined"), 0);
	/* the window ends: one summary of the rest */
	p = mn__net_p2p_get(f->a);
	pthread_mutex_lock(&f->a->lock);
	p->ev_window_ns -= (uint64_t)(NET_PEER_EVENTS_WINDOW_MS + 1) *
			   MN_NSEC_PER_MSEC;
	pthread_mutex_unlock(&f->a->lock);
	mn__net_p2p_put(f->a, p);
	mn_net_tick(f->a);
	assert_true(nt_count_events(f->bus, MN_EV_NETWORK_CONNECTED,
				    "more joined") == 1);
	/* silent past expire_ms: never listed again, even without a tick */
	nt_sleep_ms(800);
	{
		struct mn_net_peer_info pi[MN_NET_MAX_PEERS];
		size_t n = mn_net_peer_list(f->a, pi, MN_NET_MAX_PEERS);

		for (size_t j = 0; j < n; j++)
			assert_null(strstr(pi[j].name, "crowd"));
	}
}

/* A name two peers share: ping says so and lists their ids. */
static void test_ping_ambiguous_name(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;

	fake_hello(f->a, "twin", 0xaaaa);
	fake_hello(f->a, "twin", 0xbbbb);
	assert_int_equal(mn_net_ping(f->a, "twin", 1, 10, 10, NULL, &out),
			 -ENOTUNIQ);
	assert_non_null(strstr(mn_strbuf_str(&out), "names several peers"));
	assert_non_null(strstr(mn_strbuf_str(&out), "000000000000aaaa"));
	assert_non_null(strstr(mn_strbuf_str(&out), "000000000000bbbb"));
	mn_strbuf_release(&out);
}

/* --- kernels -------------------------------------------------------------- */

static struct mn_kernel *boot(const char *name)
{
	struct mn_kernel_opts o = {.name = name};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_kernel *k;
	char port[16];

	assert_int_equal(mn_kernel_create(&k, &o), 0);
	assert_int_equal(mn_net_attach(k), 0);
	assert_int_equal(mn_kernel_boot(k, &err), 0);
	mn_strbuf_release(&err);
	snprintf(port, sizeof(port), "%u", test_port() + 1);
	/* a change of net.p2p.* restarts the link live */
	assert_int_equal(mn_config_set(mn_kernel_config(k), "net.p2p.port",
				       port, 0, NULL),
			 1);
	return k;
}

static char *sh(struct mn_kernel *k, const char *line, int want)
{
	static char text[16384];
	struct mn_strbuf out = MN_STRBUF_INIT;
	int ret = mn_shell_exec(k, line, &out);

	snprintf(text, sizeof(text), "%s", mn_strbuf_str(&out));
	mn_strbuf_release(&out);
	if (ret != want)
		print_error("'%s' -> %d:\n%s\n", line, ret, text);
	assert_int_equal(ret, want);
	return text;
}

static int find_netd(void *arg, const struct mn_proc_info *pi)
{
	if (pi->kind == MN_PROC_KTASK && !strcmp(pi->comm, "netd"))
		(*(int *)arg)++;
	return 0;
}

static void test_kernels(void **state)
{
	struct mn_kernel *k1 = boot("one"), *k2 = boot("two");
	struct mn_net *n1 = mn_net_of(k1);
	struct mn_syscall_info si;
	int netd = 0;
	char *t;

	(void)state;
	assert_non_null(n1);
	assert_int_equal(mn_syscall_info(mn_kernel_syscalls(k1), 3002, &si),
			 0);
	assert_true(si.wired);
	mn_proc_foreach(mn_kernel_procs(k1), find_netd, &netd);
	assert_int_equal(netd, 1);
	assert_true(wait_peer(n1, "two", 1));
	t = sh(k1, "scan", MN_SHELL_OK);
	assert_non_null(strstr(t, "two"));
	t = sh(k1, "discover", MN_SHELL_OK);
	assert_non_null(strstr(t, "1 answer"));
	t = sh(k1, "ping two", MN_SHELL_OK);
	assert_non_null(strstr(t, "0% packet loss"));
	t = sh(k1, "ping nobody", MN_SHELL_FAIL);
	assert_non_null(strstr(t, "no peer 'nobody'"));
	t = sh(k1, "network", MN_SHELL_OK);
	assert_non_null(strstr(t, "policy    loopback"));
	t = sh(k1, "antenna", MN_SHELL_OK);
	assert_non_null(strstr(t, "p2p0"));
	assert_null(strstr(t, "host0"));
	t = sh(k1, "antenna lo", MN_SHELL_OK);
	assert_non_null(strstr(t, "lo: <UP,LOOPBACK>"));
	sh(k1, "antenna p2p0 down", MN_SHELL_OK);
	t = sh(k1, "ping two", MN_SHELL_FAIL);
	assert_non_null(strstr(t, "p2p0 is down"));
	sh(k1, "antenna p2p0 up", MN_SHELL_OK);
	sh(k1, "antenna p2p0 sideways", MN_SHELL_USAGE);
	sh(k1, "antenna up", MN_SHELL_FAIL);
	t = sh(k1, "antenna wlan0", MN_SHELL_FAIL);
	assert_non_null(strstr(t, "no antenna 'wlan0'"));
	/* syscalls from the shell, then `sockets` shows them */
	t = sh(k1, "syscall invoke 3000 2 1 0", MN_SHELL_OK);
	assert_non_null(strstr(t, "socket(2, 1, 0) = "));
	t = sh(k1, "sockets", MN_SHELL_OK);
	assert_non_null(strstr(t, "CLOSED"));
	assert_non_null(strstr(t, "127.255.255.255:"));
	/* config applies at once */
	sh(k1, "config net.policy host", MN_SHELL_OK);
	assert_int_equal(mn_net_policy(n1), MN_NET_POLICY_HOST);
	t = sh(k1, "antenna", MN_SHELL_OK);
	assert_non_null(strstr(t, "host0"));
	sh(k1, "config net.allow_ports 8000-9000", MN_SHELL_OK);
	assert_false(mn_net_port_allowed(n1, 80));
	sh(k1, "config net.allow_ports 8000-", MN_SHELL_FAIL);
	/* shutdown: the peer says bye, the rows go missing */
	mn_kernel_shutdown(k2);
	assert_true(wait_peer(n1, "two", 0));
	assert_null(mn_net_of(k2));
	assert_int_equal(mn_syscall_info(mn_kernel_syscalls(k2), 3002, &si),
			 0);
	assert_false(si.wired);
	/* a new instance is seen as the old one was */
	mn_kernel_destroy(k2);
	k2 = boot("three");
	assert_true(wait_peer(n1, "three", 1));
	mn_kernel_destroy(k2);
	mn_kernel_destroy(k1);
}

/* The kernel's owners function: sockets of processes with a host pid. */
static void test_kernel_owners(void **state)
{
	struct mn_kernel *k = boot("own");
	struct mn_net *net = mn_net_of(k);
	struct mn_net_sock_info si[16];
	struct mn_proc_spec spec = {.ppid = 1, .uid = 1000, .gid = 1000,
				    .kind = MN_PROC_USER,
				    .prio = MN_PRIO_NORMAL,
				    .host_pid = getpid()};
	struct sockaddr_in lo = {.sin_family = AF_INET};
	struct stat st;
	int32_t pid;
	size_t n;
	int fd, found = 0;

	(void)state;
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&lo, sizeof(lo)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(fstat(fd, &st), 0);
	/* this test process plays a sandboxed program */
	pid = mn_proc_create(mn_kernel_procs(k), &spec);
	assert_true(pid > 1);
	assert_int_equal(mn_net_watch_netns(net, -1), 0);
	mn_net_sync(net);
	n = mn_net_sock_list(net, si, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		if (si[i].ino == (uint64_t)st.st_ino) {
			found = 1;
			assert_int_equal(si[i].pid, pid);
			assert_int_equal(si[i].uid, 1000);
			assert_int_equal(si[i].state, MN_TCP_LISTEN);
		}
	assert_true(found);
	close(fd);
	mn_kernel_destroy(k);
}

static void test_no_network(void **state)
{
	struct mn_kernel *k;
	char *t;

	(void)state;
	assert_int_equal(mn_kernel_create(&k, NULL), 0);
	assert_int_equal(mn_kernel_boot(k, NULL), 0);
	t = sh(k, "sockets", MN_SHELL_FAIL);
	assert_non_null(strstr(t, "needs the network layer"));
	assert_null(mn_net_get(k));
	mn_kernel_destroy(k);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		T(test_two_see_each_other),
		T(test_discover),
		T(test_ping),
		T(test_p2p0_down),
		T(test_leave_and_garbage),
		T(test_peer_events_rate_limited),
		T(test_ping_ambiguous_name),
		cmocka_unit_test(test_kernels),
		cmocka_unit_test(test_kernel_owners),
		cmocka_unit_test(test_no_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
