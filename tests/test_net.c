/*
 * test_net - the socket table over real host sockets: policy and port
 * checks, TCP sockets following the host through a whole connection (the
 * closing states after the descriptors are gone included), UDP, errors,
 * the syscall rows, sockets handed over to and adopted from programs (also
 * in another network namespace), antennas, and /proc/net and
 * /sys/class/net against the host's own files.
 *
 * Peers have their own binary (test_net_peer).  These networks run without
 * a peer link (no_p2p), so parallel test runs never meet.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "mn_skip.h"

#include <micronos/evbus.h>
#include <micronos/net.h>
#include <micronos/net_fs.h>
#include <micronos/syscall.h>
#include <micronos/vfs.h>

#include "net_i.h"
#include "net_test_util.h"

#define PID 42
#define UID 1000

struct fixture {
	struct mn_evbus *bus;
	struct mn_net *net;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_net_opts o = {.name = "t", .no_p2p = 1,
				.policy = MN_NET_POLICY_LOOPBACK};

	assert_non_null(f);
	assert_int_equal(mn_evbus_create(&f->bus, 2000, NULL), 0);
	o.bus = f->bus;
	assert_int_equal(mn_net_create(&f->net, &o, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_net_destroy(f->net);
	mn_evbus_destroy(f->bus);
	free(f);
	return 0;
}

static struct sockaddr_in sin4(const char *ip, unsigned port)
{
	struct sockaddr_in s = {.sin_family = AF_INET};

	s.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
	return s;
}

#define SA(x) ((const struct sockaddr *)&(x))

static unsigned local_port(struct mn_net *net, int sd)
{
	struct mn_net_sock_info si;

	assert_int_equal(mn_net_sock_info(net, sd, &si), 0);
	return ntohs(((struct sockaddr_in *)&si.local)->sin_port);
}

/* --- policy --------------------------------------------------------------- */

static void test_ports(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf err = MN_STRBUF_INIT;
	char many[400] = "";

	assert_int_equal(mn_net_ports_check("", NULL), 0);
	assert_int_equal(mn_net_ports_check("80", NULL), 0);
	assert_int_equal(mn_net_ports_check(" 8000 - 9000 , 53 \n", NULL), 0);
	assert_int_equal(mn_net_ports_check("0", &err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "1..65535"));
	assert_int_equal(mn_net_ports_check("70000", NULL), -EINVAL);
	assert_int_equal(mn_net_ports_check("9-8", NULL), -EINVAL);
	assert_int_equal(mn_net_ports_check("http", NULL), -EINVAL);
	assert_int_equal(mn_net_ports_check("1,,2", NULL), -EINVAL);
	assert_int_equal(mn_net_ports_check("1 2", NULL), -EINVAL);
	for (int i = 1; i <= 33; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "%s%d", i > 1 ? "," : "", i);
	assert_int_equal(mn_net_ports_check(many, NULL), -EINVAL);
	assert_true(mn_net_port_allowed(f->net, 1));
	assert_int_equal(mn_net_set_ports(f->net, "8000-9000,53", NULL), 0);
	assert_true(mn_net_port_allowed(f->net, 53));
	assert_true(mn_net_port_allowed(f->net, 8500));
	assert_false(mn_net_port_allowed(f->net, 80));
	assert_true(mn_net_port_allowed(f->net, 0));	/* "any port" */
	/* a bad list changes nothing */
	assert_int_equal(mn_net_set_ports(f->net, "x", NULL), -EINVAL);
	assert_false(mn_net_port_allowed(f->net, 80));
	mn_strbuf_release(&err);
}

static void test_policy_checks(void **state)
{
	struct fixture *f = *state;
	struct mn_net *n = f->net;
	struct sockaddr_in lo = sin4("127.0.0.1", 8080),
			   any = sin4("0.0.0.0", 0), far = sin4("10.1.2.3", 80);
	struct sockaddr_in6 lo6 = {.sin6_family = AF_INET6},
			    far6 = {.sin6_family = AF_INET6},
			    mapped = {.sin6_family = AF_INET6};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	struct sockaddr pk = {.sa_family = AF_PACKET};

	inet_pton(AF_INET6, "::1", &lo6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::1", &far6.sin6_addr);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
	assert_int_equal(mn_net_policy(n), MN_NET_POLICY_LOOPBACK);
	assert_int_equal(mn_net_check_bind(n, PID, SA(lo), sizeof(lo)), 0);
	assert_int_equal(mn_net_check_bind(n, PID, SA(any), sizeof(any)), 0);
	assert_int_equal(mn_net_check_bind(n, PID, SA(far), sizeof(far)),
			 -EADDRNOTAVAIL);
	assert_int_equal(mn_net_check_connect(n, PID, SA(far), sizeof(far)),
			 -ENETUNREACH);
	assert_int_equal(mn_net_check_connect(n, PID, SA(far6), sizeof(far6)),
			 -ENETUNREACH);
	assert_int_equal(mn_net_check_connect(n, PID, SA(lo6), sizeof(lo6)),
			 0);
	assert_int_equal(mn_net_check_connect(n, PID, SA(mapped),
					      sizeof(mapped)),
			 0);
	assert_int_equal(mn_net_check_connect(n, PID, SA(any), sizeof(any)),
			 0);
	assert_int_equal(mn_net_check_connect(n, PID, &unspec,
					      sizeof(unspec)),
			 0);
	assert_int_equal(mn_net_check_bind(n, PID, SA(un), sizeof(un)), 0);
	assert_int_equal(mn_net_check_bind(n, PID, &pk, sizeof(pk)),
			 -EAFNOSUPPORT);
	assert_int_equal(mn_net_check_bind(n, PID, SA(lo), 4), -EINVAL);
	assert_int_equal(mn_net_check_bind(n, PID, NULL, 0), -EINVAL);
	/* none is as strict as loopback for the daemon's sockets */
	mn_net_set_policy(n, MN_NET_POLICY_NONE);
	assert_int_equal(mn_net_check_connect(n, PID, SA(far), sizeof(far)),
			 -ENETUNREACH);
	mn_net_set_policy(n, MN_NET_POLICY_HOST);
	assert_int_equal(mn_net_check_connect(n, PID, SA(far), sizeof(far)),
			 0);
	assert_int_equal(mn_net_check_bind(n, PID, SA(far), sizeof(far)), 0);
	/* ports */
	assert_int_equal(mn_net_set_ports(n, "8000-9000", NULL), 0);
	assert_int_equal(mn_net_check_connect(n, PID, SA(far), sizeof(far)),
			 -EACCES);
	assert_int_equal(mn_net_check_bind(n, PID, SA(lo), sizeof(lo)), 0);
	assert_int_equal(mn_net_check_bind(n, PID, SA(any), sizeof(any)), 0);
	/* an antenna down */
	assert_int_equal(mn_net_antenna_set(n, "lo", 0), 0);
	assert_int_equal(mn_net_check_connect(n, PID, SA(lo), sizeof(lo)),
			 -ENETDOWN);
	assert_int_equal(mn_net_antenna_set(n, "lo", 1), 0);
	assert_int_equal(mn_net_check_connect(n, PID, SA(lo), sizeof(lo)), 0);
	assert_true(mn_net_domain_handled(AF_UNIX));
	assert_false(mn_net_domain_handled(AF_NETLINK));
	assert_int_equal(mn_net_policy_parse("HOST"), MN_NET_POLICY_HOST);
	assert_int_equal(mn_net_policy_parse("wifi"), -EINVAL);
	assert_string_equal(mn_net_policy_name(MN_NET_POLICY_NONE), "none");
}

/* --- TCP ------------------------------------------------------------------ */

static int server(struct mn_net *net, struct sockaddr_in *addr)
{
	struct sockaddr_in lo = sin4("127.0.0.1", 0);
	int sd = mn_net_socket(net, PID, UID, AF_INET, SOCK_STREAM, 0);

	assert_true(sd > 0);
	assert_int_equal(mn_net_bind(net, PID, sd, SA(lo), sizeof(lo), -1), 0);
	assert_int_equal(mn_net_listen(net, PID, sd, 8, -1), 0);
	*addr = sin4("127.0.0.1", local_port(net, sd));
	return sd;
}

static void test_tcp_follows_the_host(void **state)
{
	struct fixture *f = *state;
	struct mn_net *n = f->net;
	struct mn_net_sock_info li, ci, ai;
	struct sockaddr_in addr, peer;
	socklen_t pl = sizeof(peer);
	char buf[16] = "";
	int l, c, a;

	l = server(n, &addr);
	assert_int_equal(mn_net_sock_info(n, l, &li), 0);
	assert_int_equal(li.state, MN_TCP_LISTEN);
	assert_int_equal(li.pid, PID);
	assert_int_equal(li.uid, UID);
	assert_true(li.held);
	assert_true(li.ino > 0);
	c = mn_net_socket(n, PID, UID, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(mn_net_sock_info(n, c, &ci), 0);
	assert_int_equal(ci.state, MN_TCP_CLOSED);
	assert_int_equal(mn_net_connect(n, PID, c, SA(addr), sizeof(addr),
					-1),
			 0);
	a = mn_net_accept(n, PID, l, (struct sockaddr *)&peer, &pl, 0, -1);
	assert_true(a > c);
	assert_int_equal(mn_net_sock_info(n, c, &ci), 0);
	assert_int_equal(mn_net_sock_info(n, a, &ai), 0);
	assert_int_equal(ci.state, MN_TCP_ESTABLISHED);
	assert_int_equal(ai.state, MN_TCP_ESTABLISHED);
	assert_int_equal(ntohs(peer.sin_port), local_port(n, c));
	assert_int_equal(ai.antenna, 0);	/* lo */
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_CONNECTED,
					 "ESTABLISHED"),
			 2);
	/* the accepted one came the passive way: LISTEN, SYN, ACK */
	assert_int_equal(ai.transitions, 2);
	/* data, counted by the host */
	assert_int_equal(mn_net_sendto(n, PID, c, "hello", 5, 0, NULL, 0), 5);
	assert_int_equal(mn_net_recvfrom(n, PID, a, buf, sizeof(buf), 0, NULL,
					 NULL),
			 5);
	assert_string_equal(buf, "hello");
	for (int i = 0; i < 200 && ci.tx_bytes < 5; i++) {
		mn_net_sync(n);
		mn_net_sock_info(n, c, &ci);
		nt_sleep_ms(5);
	}
	assert_int_equal(ci.tx_bytes, 5);
	mn_net_sock_info(n, a, &ai);
	assert_int_equal(ai.rx_bytes, 5);
	assert_true(ai.rx_packets > 0);
	/* the client closes: its descriptor goes, the connection goes on */
	assert_int_equal(mn_net_close(n, PID, c), 0);
	assert_int_equal(mn_net_close(n, PID, c), -EBADF);
	assert_true(nt_wait_state(n, a, MN_TCP_CLOSE_WAIT, 15000));
	assert_true(nt_wait_state(n, c, MN_TCP_FIN_WAIT_2, 15000));
	mn_net_sock_info(n, c, &ci);
	assert_false(ci.held);
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_DISCONNECTED,
					 "CLOSE_WAIT"),
			 1);
	/* the server closes: the client's orphan reaches TIME_WAIT */
	assert_int_equal(mn_net_close(n, PID, a), 0);
	assert_true(nt_wait_state(n, c, MN_TCP_TIME_WAIT, 15000));
	assert_true(nt_wait_state(n, a, MN_TCP_CLOSED, 15000));
	mn_net_sock_info(n, c, &ci);
	mn_net_sock_info(n, a, &ai);
	assert_int_equal(ci.anomalies, 0);
	assert_int_equal(ai.anomalies, 0);
	assert_true(ci.transitions >= 4);
	assert_int_equal(mn_net_close(n, PID, l), 0);
	assert_true(nt_wait_state(n, l, MN_TCP_CLOSED, 15000));
}

static void test_format_sockets(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct sockaddr_in addr;
	int l = server(f->net, &addr);
	int u = mn_net_socket(f->net, PID, UID, AF_INET, SOCK_DGRAM, 0);

	assert_true(u > 0);
	assert_int_equal(mn_net_format_sockets(f->net, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "SD"));
	assert_non_null(strstr(mn_strbuf_str(&out), "LISTEN"));
	assert_non_null(strstr(mn_strbuf_str(&out), "UNBOUND"));
	assert_non_null(strstr(mn_strbuf_str(&out), "127.0.0.1:"));
	assert_non_null(strstr(mn_strbuf_str(&out), "2 sockets: 1 tcp (0 "
						     "established, 1 "
						     "listening), 1 udp"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_net_format_overview(f->net, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "policy    loopback"));
	assert_non_null(strstr(mn_strbuf_str(&out), "LISTEN 1"));
	assert_non_null(strstr(mn_strbuf_str(&out), "no peer link"));
	mn_strbuf_release(&out);
	(void)l;
}

/* --- UDP ------------------------------------------------------------------ */

static void test_udp(void **state)
{
	struct fixture *f = *state;
	struct mn_net *n = f->net;
	struct sockaddr_in lo = sin4("127.0.0.1", 0), to, from;
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	socklen_t fl = sizeof(from);
	struct mn_net_sock_info ri, si;
	char buf[32] = "";
	int r = mn_net_socket(n, PID, UID, AF_INET, SOCK_DGRAM, 0);
	int s = mn_net_socket(n, PID, UID, AF_INET, SOCK_DGRAM, 0);

	assert_int_equal(mn_net_sock_info(n, r, &ri), 0);
	assert_int_equal(ri.state, MN_SOCK_UNBOUND);
	assert_int_equal(ri.protocol, IPPROTO_UDP);
	assert_int_equal(mn_net_bind(n, PID, r, SA(lo), sizeof(lo), -1), 0);
	assert_int_equal(mn_net_sock_info(n, r, &ri), 0);
	assert_int_equal(ri.state, MN_SOCK_BOUND);
	to = sin4("127.0.0.1", local_port(n, r));
	assert_int_equal(mn_net_sendto(n, PID, s, "ping", 4, 0, SA(to),
				       sizeof(to)),
			 4);
	assert_int_equal(mn_net_recvfrom(n, PID, r, buf, sizeof(buf), 0,
					 (struct sockaddr *)&from, &fl),
			 4);
	assert_string_equal(buf, "ping");
	assert_int_equal(ntohs(from.sin_port), local_port(n, s));
	mn_net_sock_info(n, r, &ri);
	mn_net_sock_info(n, s, &si);
	assert_int_equal(si.state, MN_SOCK_BOUND);	/* sendto bound it */
	assert_int_equal(si.tx_bytes, 4);
	assert_int_equal(si.tx_packets, 1);
	assert_int_equal(ri.rx_bytes, 4);
	assert_int_equal(ri.rx_packets, 1);
	/* nothing waiting: a non-blocking read says so */
	assert_int_equal(mn_net_recvfrom(n, PID, r, buf, sizeof(buf),
					 MSG_DONTWAIT, NULL, NULL),
			 -EAGAIN);
	assert_int_equal(mn_net_connect(n, PID, s, SA(to), sizeof(to), -1), 0);
	mn_net_sock_info(n, s, &si);
	assert_int_equal(si.state, MN_SOCK_CONNECTED);
	assert_int_equal(mn_net_sendto(n, PID, s, "x", 1, 0, NULL, 0), 1);
	assert_int_equal(mn_net_connect(n, PID, s, &unspec, sizeof(unspec),
					-1),
			 0);
	/* Linux gives an autobound port back on disconnect */
	mn_net_sock_info(n, s, &si);
	assert_int_equal(si.state, MN_SOCK_UNBOUND);
	/* the policy applies to each datagram's destination */
	to = sin4("10.9.9.9", 53);
	assert_int_equal(mn_net_sendto(n, PID, s, "x", 1, 0, SA(to),
				       sizeof(to)),
			 -ENETUNREACH);
	assert_int_equal(mn_net_close(n, PID, s), 0);
	mn_net_sync(n);
	assert_int_equal(mn_net_sendto(n, PID, s, "x", 1, 0, NULL, 0), -EBADF);
}

static void test_unix(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un path = {.sun_family = AF_UNIX},
			   abs = {.sun_family = AF_UNIX};
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 +
			 (socklen_t)snprintf(abs.sun_path + 1,
					     sizeof(abs.sun_path) - 1,
					     "mn-test-%d", getpid());
	struct mn_net_sock_info si;
	struct mn_strbuf out = MN_STRBUF_INIT;
	int u = mn_net_socket(f->net, PID, UID, AF_UNIX, SOCK_STREAM, 0);

	assert_true(u > 0);
	snprintf(path.sun_path, sizeof(path.sun_path), "/tmp/mn-x.sock");
	assert_int_equal(mn_net_bind(f->net, PID, u, SA(path), sizeof(path),
				     -1),
			 -EOPNOTSUPP);
	assert_int_equal(mn_net_bind(f->net, PID, u, SA(abs), alen, -1), 0);
	assert_int_equal(mn_net_listen(f->net, PID, u, 4, -1), 0);
	assert_int_equal(mn_net_sock_info(f->net, u, &si), 0);
	assert_int_equal(si.state, MN_TCP_LISTEN);
	assert_int_equal(si.antenna, -1);
	assert_int_equal(mn_net_render_proc(f->net, "unix", &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), " 00010000 0001 01 "));
	assert_non_null(strstr(mn_strbuf_str(&out), "@mn-test-"));
	mn_strbuf_release(&out);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct mn_net *n = f->net;
	struct sockaddr_in lo = sin4("127.0.0.1", 0);
	int s = mn_net_socket(n, PID, UID, AF_INET, SOCK_STREAM, 0);

	assert_int_equal(mn_net_socket(n, PID, UID, AF_PACKET, SOCK_DGRAM, 0),
			 -EAFNOSUPPORT);
	assert_int_equal(mn_net_socket(n, PID, UID, AF_INET, SOCK_RAW, 0),
			 -ESOCKTNOSUPPORT);
	assert_int_equal(mn_net_socket(n, PID, UID, AF_INET, SOCK_STREAM, 99),
			 -EPROTONOSUPPORT);
	assert_int_equal(mn_net_listen(n, PID, 9999, 1, -1), -EBADF);
	assert_int_equal(mn_net_listen(n, PID + 1, s, 1, -1), -EBADF);
	assert_int_equal(mn_net_close(n, PID + 1, s), -EBADF);
	assert_int_equal(mn_net_bind(n, PID, s, NULL, 0, -1), -EFAULT);
	assert_int_equal(mn_net_accept(n, PID, s, NULL, NULL, 0x1234, -1),
			 -EINVAL);
	/* the host's own errors come through */
	assert_int_equal(mn_net_accept(n, PID, s, NULL, NULL, 0, -1), -EINVAL);
	assert_int_equal(mn_net_sendto(n, PID, s, "x", 1, 0, NULL, 0), -EPIPE);
	/* an antenna down fails its sockets' calls, not close */
	assert_int_equal(mn_net_bind(n, PID, s, SA(lo), sizeof(lo), -1), 0);
	assert_int_equal(mn_net_antenna_set(n, "lo", 0), 0);
	assert_int_equal(mn_net_listen(n, PID, s, 1, -1), -ENETDOWN);
	assert_int_equal(mn_net_antenna_set(n, "lo", 1), 0);
	assert_int_equal(mn_net_listen(n, PID, s, 1, -1), 0);
	assert_int_equal(mn_net_antenna_set(n, "lo", 0), 0);
	assert_int_equal(mn_net_close(n, PID, s), 0);
	assert_int_equal(mn_net_antenna_set(n, "lo", 1), 0);
	assert_int_equal(mn_net_take_fd(n, s), -EBADF);
	assert_int_equal(mn_net_sock_info(n, 9999, NULL), -EBADF);
}

/* --- syscalls ------------------------------------------------------------- */

static void test_syscalls(void **state)
{
	struct fixture *f = *state;
	struct mn_syscalls *s;
	struct mn_sysctx ctx;
	struct mn_syscall_info si;
	struct sockaddr_in lo = sin4("127.0.0.1", 0), addr, far;
	socklen_t al = sizeof(addr);
	char buf[8] = "";
	long l, c, a;

	assert_int_equal(mn_syscalls_create(&s), 0);
	mn_sysctx_init(&ctx, NULL, PID, UID, UID);
	assert_int_equal(mn_syscall_dispatch(s, &ctx, MN_SYS_SOCKET, NULL),
			 -ENOSYS);
	assert_int_equal(mn__net_sys_wire(s, f->net), 0);
	assert_int_equal(mn_syscall_lookup(s, "connect"), 3002);
	assert_int_equal(mn_syscall_info(s, 3008, &si), 0);
	assert_true(si.wired);
	assert_string_equal(si.name, "recvfrom");
	l = mn_syscall_dispatch(s, &ctx, MN_SYS_SOCKET,
				(uint64_t[6]){AF_INET, SOCK_STREAM, 0});
	assert_true(l > 0);
	assert_int_equal(mn_syscall_dispatch(s, &ctx, MN_SYS_BIND,
					     (uint64_t[6]){(uint64_t)l,
							   (uintptr_t)&lo,
							   sizeof(lo)}),
			 0);
	assert_int_equal(mn_syscall_dispatch(s, &ctx, MN_SYS_LISTEN,
					     (uint64_t[6]){(uint64_t)l, 4}),
			 0);
	addr = sin4("127.0.0.1", local_port(f->net, (int)l));
	c = mn_syscall_dispatch(s, &ctx, MN_SYS_SOCKET,
				(uint64_t[6]){AF_INET, SOCK_STREAM, 0});
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3002,
					     (uint64_t[6]){(uint64_t)c,
							   (uintptr_t)&addr,
							   sizeof(addr)}),
			 0);
	a = mn_syscall_dispatch(s, &ctx, MN_SYS_ACCEPT,
				(uint64_t[6]){(uint64_t)l, (uintptr_t)&addr,
					      (uintptr_t)&al});
	assert_true(a > c);
	assert_int_equal(ntohs(addr.sin_port), local_port(f->net, (int)c));
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3007,
					     (uint64_t[6]){(uint64_t)c,
							   (uintptr_t)"abc",
							   3}),
			 3);
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3008,
					     (uint64_t[6]){(uint64_t)a,
							   (uintptr_t)buf,
							   sizeof(buf)}),
			 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3005,
					     (uint64_t[6]){(uint64_t)c,
							   SHUT_WR}),
			 0);
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3008,
					     (uint64_t[6]){(uint64_t)a,
							   (uintptr_t)buf,
							   sizeof(buf)}),
			 0);	/* end of stream */
	/* refusals explain themselves */
	far = sin4("192.0.2.1", 80);
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3002,
					     (uint64_t[6]){(uint64_t)c,
							   (uintptr_t)&far,
							   sizeof(far)}),
			 -ENETUNREACH);
	assert_non_null(strstr(ctx.msg, "policy loopback"));
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3006,
					     (uint64_t[6]){999}),
			 -EBADF);
	assert_non_null(strstr(ctx.msg, "pid 42"));
	assert_int_equal(mn_syscall_dispatch(s, &ctx, MN_SYS_BIND,
					     (uint64_t[6]){(uint64_t)c,
							   (uintptr_t)&far,
							   100000}),
			 -EINVAL);
	for (long sd = l; sd <= a; sd++)
		assert_int_equal(mn_syscall_dispatch(s, &ctx, 3006,
						     (uint64_t[6]){
							     (uint64_t)sd}),
				 0);
	mn__net_sys_unwire(s);
	assert_int_equal(mn_syscall_dispatch(s, &ctx, 3002, NULL), -ENOSYS);
	assert_non_null(strstr(ctx.msg, "network"));
	mn_syscalls_destroy(s);
}

/* --- sockets programs hold ------------------------------------------------ */

static int host_listener(unsigned *port)
{
	struct sockaddr_in lo = sin4("127.0.0.1", 0);
	socklen_t l = sizeof(lo);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, SA(lo), sizeof(lo)), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&lo, &l);
	*port = ntohs(lo.sin_port);
	return fd;
}

static void test_adopt(void **state)
{
	struct fixture *f = *state;
	struct mn_net *n = f->net;
	struct mn_net_sock_info si;
	unsigned port;
	int fd = host_listener(&port), other, sd;

	sd = mn_net_adopt_fd(n, PID, UID, fd, 0);
	assert_true(sd > 0);
	assert_int_equal(mn_net_adopt_fd(n, PID, UID, fd, 0), sd);
	assert_int_equal(mn_net_lookup_fd(n, fd), sd);
	assert_int_equal(mn_net_adopt_fd(n, PID, UID, fd, 0x80), -EINVAL);
	assert_int_equal(mn_net_adopt_fd(n, PID, UID, 0, 0), -ENOTSOCK);
	assert_int_equal(mn_net_sock_info(n, sd, &si), 0);
	assert_false(si.held);
	assert_int_equal(si.state, MN_TCP_LISTEN);
	/* observed: the owner has no descriptor in the daemon ... */
	assert_int_equal(mn_net_listen(n, PID, sd, 8, -1), -EBADF);
	/* ... but may prove it holds one, as may a child that inherited it */
	assert_int_equal(mn_net_listen(n, PID + 7, sd, 8, fd), 0);
	other = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(mn_net_listen(n, PID, sd, 8, other), -EBADF);
	assert_int_equal(mn_net_listen(n, PID, sd, 8, 0), -ENOTSOCK);
	close(other);
	/* the program closes it: sync finds it gone */
	close(fd);
	assert_true(nt_wait_state(n, sd, MN_TCP_CLOSED, 15000));
	assert_int_equal(mn_net_lookup_fd(n, 1), -ENOTSOCK);
}

static void test_take_fd(void **state)
{
	struct fixture *f = *state;
	struct mn_net *n = f->net;
	struct sockaddr_in addr;
	struct mn_net_sock_info si;
	int l = server(n, &addr), fd, c;

	fd = mn_net_take_fd(n, l);
	assert_true(fd >= 0);
	assert_int_equal(mn_net_take_fd(n, l), -EBADF);
	assert_int_equal(mn_net_sock_info(n, l, &si), 0);
	assert_false(si.held);
	/* the program (here: the test) connects through its descriptor's
	 * listener; the table follows through sock_diag */
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, SA(addr), sizeof(addr)), 0);
	{
		int a = accept(fd, NULL, NULL);
		int sd = mn_net_adopt_fd(n, PID, UID, a, 0);

		assert_true(sd > 0);
		assert_int_equal(mn_net_sock_info(n, sd, &si), 0);
		assert_int_equal(si.state, MN_TCP_ESTABLISHED);
		close(c);
		assert_true(nt_wait_state(n, sd, MN_TCP_CLOSE_WAIT, 15000));
		close(a);
		assert_true(nt_wait_state(n, sd, MN_TCP_CLOSED, 15000));
	}
	close(fd);
	assert_true(nt_wait_state(n, l, MN_TCP_CLOSED, 15000));
}

static void test_adopt_dup_and_release(void **state)
{
	struct fixture *f = *state;
	struct mn_net_sock_info si;
	unsigned port;
	int fd = host_listener(&port);
	int sd = mn_net_adopt_fd(f->net, PID, UID, fd, MN_NET_ADOPT_DUP);

	assert_true(sd > 0);
	assert_int_equal(mn_net_sock_info(f->net, sd, &si), 0);
	assert_true(si.held);
	close(fd);	/* the daemon's copy keeps it listening */
	mn_net_sync(f->net);
	assert_int_equal(mn_net_sock_info(f->net, sd, &si), 0);
	assert_int_equal(si.state, MN_TCP_LISTEN);
	assert_int_equal(mn_net_release_pid(f->net, PID), 1);
	assert_int_equal(mn_net_release_pid(f->net, PID), 0);
	assert_true(nt_wait_state(f->net, sd, MN_TCP_CLOSED, 15000));
}

/* The owners function of the discovery tests: one socket is pid 77's. */
static uint64_t owned_ino;
static int owner_calls;

static int owners(void *arg, struct mn_net_owner *out, size_t max)
{
	assert_ptr_equal(arg, &owner_calls);
	owner_calls++;
	if (max)
		out[0] = (struct mn_net_owner){owned_ino, 77, 5};
	return 1;
}

static uint64_t ino_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_ino;
}

static int find_ino(struct mn_net *net, uint64_t ino,
		    struct mn_net_sock_info *out)
{
	struct mn_net_sock_info all[64];
	size_t n = mn_net_sock_list(net, all, 64);

	for (size_t i = 0; i < n && i < 64; i++)
		if (all[i].ino == ino) {
			*out = all[i];
			return 1;
		}
	return 0;
}

static void test_discovery(void **state)
{
	struct fixture *f = *state;
	struct mn_net_sock_info si;
	unsigned port;
	int fd = host_listener(&port), stranger = host_listener(&port);

	owned_ino = ino_of(fd);
	owner_calls = 0;
	mn_net_sync(f->net);
	assert_false(find_ino(f->net, owned_ino, &si));	/* not watched */
	assert_int_equal(owner_calls, 0);
	mn_net_set_owners(f->net, owners, &owner_calls);
	assert_int_equal(mn_net_watch_netns(f->net, -1), 0);
	assert_true(mn_net_sync(f->net) >= 1);
	assert_true(owner_calls > 0);
	assert_true(find_ino(f->net, owned_ino, &si));
	assert_int_equal(si.pid, 77);
	assert_int_equal(si.uid, 5);
	assert_int_equal(si.state, MN_TCP_LISTEN);
	assert_false(si.held);
	assert_int_equal(si.protocol, IPPROTO_TCP);
	/* a socket no MicronOS process holds stays out */
	assert_false(find_ino(f->net, ino_of(stranger), &si));
	/* found once, not again */
	mn_net_sync(f->net);
	assert_int_equal(mn_net_sock_list(f->net, NULL, 0), 1);
	close(fd);
	close(stranger);
	find_ino(f->net, owned_ino, &si);
	assert_true(nt_wait_state(f->net, si.sd, MN_TCP_CLOSED, 15000));
}

/* A listener made in a new network namespace by a thread. */
static int netns_fd = -1;

static void *netns_thread(void *arg)
{
	int *fd = arg;
	struct sockaddr_in any = {.sin_family = AF_INET};

	*fd = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return NULL;
	netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd >= 0 && (bind(*fd, SA(any), sizeof(any)) < 0 ||
			 listen(*fd, 1) < 0)) {
		close(*fd);
		*fd = -1;
	}
	return NULL;
}

static void test_adopt_other_netns(void **state)
{
	struct fixture *f = *state;
	struct mn_net_sock_info si;
	pthread_t t;
	int fd, sd;

	pthread_create(&t, NULL, netns_thread, &fd);
	pthread_join(t, NULL);
	if (fd < 0)
		MN_SKIP();	/* no CAP_SYS_ADMIN */
	sd = mn_net_adopt_fd(f->net, PID, UID, fd, 0);
	assert_true(sd > 0);
	assert_int_equal(mn_net_sock_info(f->net, sd, &si), 0);
	assert_true(si.netns != 0);
	assert_int_equal(si.state, MN_TCP_LISTEN);
	/* only a dump in that namespace can show it: the sync finds it ... */
	mn_net_sync(f->net);
	assert_int_equal(mn_net_sock_info(f->net, sd, &si), 0);
	assert_int_equal(si.state, MN_TCP_LISTEN);
	/* ... and sees it go */
	close(fd);
	assert_true(nt_wait_state(f->net, sd, MN_TCP_CLOSED, 15000));
	close(netns_fd);
}

static void test_discovery_other_netns(void **state)
{
	struct fixture *f = *state;
	struct mn_net_sock_info si;
	pthread_t t;
	int fd;

	pthread_create(&t, NULL, netns_thread, &fd);
	pthread_join(t, NULL);
	if (fd < 0)
		MN_SKIP();
	owned_ino = ino_of(fd);
	mn_net_set_owners(f->net, owners, &owner_calls);
	assert_int_equal(mn_net_watch_netns(f->net, netns_fd), 0);
	assert_int_equal(mn_net_watch_netns(f->net, netns_fd), 0);
	close(netns_fd);	/* the network keeps its own copy */
	mn_net_sync(f->net);
	assert_true(find_ino(f->net, owned_ino, &si));
	assert_true(si.netns != 0);
	assert_int_equal(si.state, MN_TCP_LISTEN);
	assert_int_equal(si.pid, 77);
	close(fd);
	assert_true(nt_wait_state(f->net, si.sd, MN_TCP_CLOSED, 15000));
	/* not a network namespace */
	fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	assert_int_equal(mn_net_watch_netns(f->net, fd), -EINVAL);
	close(fd);
	assert_int_equal(mn_net_watch_netns(f->net, 0), -EINVAL);
}

static int factory_calls;

static int factory(void *arg, int32_t pid, int domain, int type, int proto)
{
	int fd;

	assert_ptr_equal(arg, &factory_calls);
	assert_int_equal(pid, PID);
	factory_calls++;
	if (domain == AF_INET6)
		return -EACCES;
	fd = socket(domain, type, proto);
	return fd < 0 ? -errno : fd;
}

static void test_factory(void **state)
{
	struct fixture *f = *state;

	mn_net_set_socket_factory(f->net, factory, &factory_calls);
	assert_true(mn_net_socket(f->net, PID, UID, AF_INET, SOCK_DGRAM, 0) >
		    0);
	assert_int_equal(mn_net_socket(f->net, PID, UID, AF_INET6, SOCK_DGRAM,
				       0),
			 -EACCES);
	assert_int_equal(factory_calls, 2);
	mn_net_set_socket_factory(f->net, NULL, NULL);
	assert_true(mn_net_socket(f->net, PID, UID, AF_INET6, SOCK_DGRAM, 0) >
		    0);
	assert_int_equal(factory_calls, 2);
}

/* A call blocked in accept() does not keep destroy waiting. */
static void *blocked_accept(void *arg)
{
	struct fixture *f = arg;
	struct mn_net_sock_info si;
	int sd = -1;

	for (size_t i = 0; i < 64 && sd < 0; i++)
		if (mn_net_sock_list(f->net, &si, 1) && si.state ==
							  MN_TCP_LISTEN)
			sd = si.sd;
	return (void *)(intptr_t)mn_net_accept(f->net, PID, sd, NULL, NULL,
					       0, -1);
}

static void test_destroy_wakes_blocked_calls(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in addr;
	pthread_t t;
	void *ret;

	server(f->net, &addr);
	pthread_create(&t, NULL, blocked_accept, f);
	nt_sleep_ms(100);
	mn_net_destroy(f->net);
	f->net = NULL;
	pthread_join(t, &ret);
	assert_true((intptr_t)ret < 0);
}

/* --- antennas ------------------------------------------------------------- */

static void test_antennas(void **state)
{
	struct fixture *f = *state;
	struct mn_net *n = f->net;
	struct mn_net_antenna_info a[MN_NET_MAX_ANTENNAS], lo;
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct sockaddr_in addr;
	int c;

	assert_int_equal(mn_net_antenna_list(n, a, MN_NET_MAX_ANTENNAS), 2);
	assert_string_equal(a[0].name, "lo");
	assert_string_equal(a[1].name, "p2p0");
	assert_int_equal(a[0].mtu, 65536);
	assert_int_equal(strlen(a[1].address), 17);
	mn_net_set_policy(n, MN_NET_POLICY_HOST);
	assert_int_equal(mn_net_antenna_list(n, a, MN_NET_MAX_ANTENNAS), 3);
	assert_string_equal(a[2].name, "host0");
	assert_int_equal(mn_net_antenna_get(n, "host0", &a[0]), 0);
	mn_net_set_policy(n, MN_NET_POLICY_LOOPBACK);
	assert_int_equal(mn_net_antenna_get(n, "host0", &a[0]), -ENODEV);
	assert_int_equal(mn_net_antenna_set(n, "wlan0", 0), -ENODEV);
	/* down and up again: events, once each */
	assert_int_equal(mn_net_antenna_set(n, "p2p0", 0), 0);
	assert_int_equal(mn_net_antenna_set(n, "p2p0", 0), 0);
	assert_int_equal(mn_net_antenna_set(n, "p2p0", 1), 0);
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_DISCONNECTED,
					 "antenna p2p0 down"),
			 1);
	assert_int_equal(nt_count_events(f->bus, MN_EV_NETWORK_CONNECTED,
					 "antenna p2p0 up"),
			 1);
	/* traffic on lo adds up, and stays after its sockets are gone */
	server(n, &addr);
	c = mn_net_socket(n, PID, UID, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(mn_net_connect(n, PID, c, SA(addr), sizeof(addr), -1),
			 0);
	assert_int_equal(mn_net_sendto(n, PID, c, "0123456789", 10, 0, NULL,
				       0),
			 10);
	for (int i = 0; i < 200; i++) {
		mn_net_sync(n);
		mn_net_antenna_get(n, "lo", &lo);
		if (lo.tx_bytes >= 10)
			break;
		nt_sleep_ms(5);
	}
	assert_true(lo.tx_bytes >= 10);
	assert_true(lo.tx_packets > 0);
	assert_int_equal(lo.sockets, 2);
	assert_int_equal(mn_net_format_antennas(n, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "p2p0"));
	assert_non_null(strstr(mn_strbuf_str(&out), "65536"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_net_format_antenna(n, "lo", &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "lo: <UP,LOOPBACK> mtu "
						     "65536"));
	assert_int_equal(mn_net_format_antenna(n, "eth9", &out), -ENODEV);
	mn_strbuf_release(&out);
}

static void sys_is(struct mn_net *n, const char *ant, const char *attr,
		   const char *want)
{
	struct mn_strbuf out = MN_STRBUF_INIT;

	assert_int_equal(mn_net_render_sys(n, ant, attr, &out), 0);
	assert_string_equal(mn_strbuf_str(&out), want);
	mn_strbuf_release(&out);
}

static void test_sys_values(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	const char *const *names = mn_net_sys_stat_names();
	size_t k;

	sys_is(f->net, "lo", "operstate", "up\n");
	sys_is(f->net, "lo", "mtu", "65536\n");
	sys_is(f->net, "lo", "address", "00:00:00:00:00:00\n");
	sys_is(f->net, "lo", "type", "772\n");
	sys_is(f->net, "lo", "flags", "0x9\n");
	sys_is(f->net, "lo", "ifindex", "1\n");
	sys_is(f->net, "p2p0", "peers", "");
	sys_is(f->net, "lo", "statistics/collisions", "0\n");
	for (k = 0; names[k]; k++) {
		char attr[64];

		snprintf(attr, sizeof(attr), "statistics/%s", names[k]);
		assert_int_equal(mn_net_render_sys(f->net, "p2p0", attr, &out),
				 0);
	}
	assert_int_equal(k, 24);
	assert_int_equal(mn_net_render_sys(f->net, "lo", "speed", &out),
			 -ENOENT);
	assert_int_equal(mn_net_render_sys(f->net, "lo", "statistics/nope",
					   &out),
			 -ENOENT);
	assert_int_equal(mn_net_render_sys(f->net, "eth0", "mtu", &out),
			 -ENODEV);
	assert_int_equal(mn_net_write_sys(f->net, "lo", "operstate",
					  " down\n"),
			 0);
	sys_is(f->net, "lo", "operstate", "down\n");
	sys_is(f->net, "lo", "carrier", "0\n");
	sys_is(f->net, "lo", "flags", "0x8\n");
	assert_int_equal(mn_net_write_sys(f->net, "lo", "operstate", "up"), 0);
	assert_int_equal(mn_net_write_sys(f->net, "lo", "operstate",
					  "sideways"),
			 -EINVAL);
	assert_int_equal(mn_net_write_sys(f->net, "lo", "operstate", "up up"),
			 -EINVAL);
	assert_int_equal(mn_net_write_sys(f->net, "lo", "mtu", "1500"),
			 -EINVAL);
	assert_int_equal(mn_net_write_sys(f->net, "xx", "operstate", "up"),
			 -ENODEV);
	mn_strbuf_release(&out);
}

/* --- /proc/net against the host's ----------------------------------------- */

static char *first_line(const char *text, char *buf, size_t size)
{
	size_t n = strcspn(text, "\n");

	snprintf(buf, size, "%.*s", (int)n, text);
	return buf;
}

static char *read_host(const char *name)
{
	static char buf[1 << 20];
	char path[64];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/net/%s", name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static void test_proc_headers(void **state)
{
	static const char *const files[] = {"tcp", "tcp6", "udp", "udp6",
					    "unix", "dev"};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct mn_strbuf out = MN_STRBUF_INIT;
		char a[512], b[512];

		assert_int_equal(mn_net_render_proc(f->net, files[i], &out), 0);
		assert_string_equal(first_line(mn_strbuf_str(&out), a,
					       sizeof(a)),
				    first_line(read_host(files[i]), b,
					       sizeof(b)));
		mn_strbuf_release(&out);
	}
	assert_int_equal(mn_net_render_proc(f->net, "raw", NULL), -ENOENT);
}

/* Our line for a socket must be the host's line, up to the fields we do
 * not track (timers and the TCP internals after the inode). */
static void same_line(const char *ours, const char *host, unsigned long ino)
{
	char want[32];
	const char *a, *b;

	snprintf(want, sizeof(want), " %lu ", ino);
	a = strstr(ours, want);
	b = strstr(host, want);
	assert_non_null(a);
	assert_non_null(b);
	while (a > ours && a[-1] != '\n')
		a--;
	while (b > host && b[-1] != '\n')
		b--;
	/* sl differs (hash bucket vs. row); from the address to "st" equal */
	a = strchr(a, ':') + 1;
	b = strchr(b, ':') + 1;
	assert_memory_equal(a, b, 30);
}

static void test_proc_lines_match_host(void **state)
{
	struct fixture *f = *state;
	struct mn_net_sock_info si;
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct sockaddr_in addr, lo = sin4("127.0.0.1", 0);
	int l = server(f->net, &addr);
	int u = mn_net_socket(f->net, PID, UID, AF_INET, SOCK_DGRAM, 0);
	const char *p, *e;

	assert_int_equal(mn_net_bind(f->net, PID, u, SA(lo), sizeof(lo), -1),
			 0);
	assert_int_equal(mn_net_render_proc(f->net, "tcp", &out), 0);
	mn_net_sock_info(f->net, l, &si);
	same_line(mn_strbuf_str(&out), read_host("tcp"),
		  (unsigned long)si.ino);
	/* every line is padded to 149 columns, as the kernel's */
	for (p = mn_strbuf_str(&out); (e = strchr(p, '\n')); p = e + 1)
		assert_int_equal(e - p, 149);
	mn_strbuf_reset(&out);
	assert_int_equal(mn_net_render_proc(f->net, "udp", &out), 0);
	mn_net_sock_info(f->net, u, &si);
	same_line(mn_strbuf_str(&out), read_host("udp"),
		  (unsigned long)si.ino);
	for (p = mn_strbuf_str(&out); (e = strchr(p, '\n')); p = e + 1)
		assert_int_equal(e - p, 127);
	mn_strbuf_reset(&out);
	assert_int_equal(mn_net_render_proc(f->net, "dev", &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "    lo: "));
	assert_non_null(strstr(mn_strbuf_str(&out), "  p2p0: "));
	mn_strbuf_release(&out);
}

/* The rows of net_fs.h, mounted in a VFS as /proc and /sys mount them. */
static const struct mn_synth_node test_root_rows[] = {
	{.name = "net", .mode = S_IFDIR | 0555, .children = mn_net_proc_nodes},
	{.name = "class", .mode = S_IFDIR | 0555, .dyn = &mn_net_sys_class_dyn},
	{.name = NULL},
};
static const struct mn_synth_node test_root = {
	.name = "", .mode = S_IFDIR | 0555, .children = test_root_rows,
};

static void test_synth_rows(void **state)
{
	struct mn_vfs *vfs;
	struct mn_vfs_opts o = {0};
	struct mn_vfs_entry e;

	(void)state;
	/* without a kernel there is no network: headers only, no antennas */
	assert_int_equal(mn_vfs_create(&vfs, &o), 0);
	assert_int_equal(mn_vfs_mount_synth(vfs, "/t", "test", &test_root,
					    NULL),
			 0);
	assert_int_equal(mn_vfs_resolve(vfs, &mn_vfs_cred_kernel, "/",
					"/t/net/tcp", 0, &e),
			 0);
	mn_vfs_forget(vfs, e.ino, 1);
	assert_int_equal(mn_vfs_resolve(vfs, &mn_vfs_cred_kernel, "/",
					"/t/class/lo", 0, &e),
			 -ENOENT);
	mn_vfs_destroy(vfs);
}

/*
 * A full table forgets closed records (oldest first) before it refuses a
 * socket: socket+close more times than the table holds always works, the
 * newest closed record stays, the oldest went; live sockets are never
 * forgotten.
 */
static void test_full_table_forgets_history(void **state)
{
	struct fixture *f = *state;
	struct mn_net_sock_info si;
	int live = mn_net_socket(f->net, PID, UID, AF_INET, SOCK_DGRAM, 0);
	int first = 0, last = 0;

	assert_true(live > 0);
	for (int i = 0; i < MN_NET_MAX_SOCKETS + 8; i++) {
		last = mn_net_socket(f->net, PID, UID, AF_INET, SOCK_DGRAM, 0);
		assert_true(last > 0);
		if (!first)
			first = last;
		assert_int_equal(mn_net_close(f->net, PID, last), 0);
	}
	assert_int_equal(mn_net_sock_info(f->net, live, &si), 0);
	assert_int_equal(mn_net_sock_info(f->net, last, &si), 0);
	assert_int_equal(mn_net_sock_info(f->net, first, &si), -EBADF);
	assert_true(mn_net_sock_list(f->net, NULL, 0) <= MN_NET_MAX_SOCKETS);
	assert_int_equal(mn_net_close(f->net, PID, live), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ports),
		T(test_policy_checks),
		T(test_tcp_follows_the_host),
		T(test_format_sockets),
		T(test_udp),
		T(test_unix),
		T(test_errors),
		T(test_syscalls),
		T(test_adopt),
		T(test_take_fd),
		T(test_adopt_dup_and_release),
		T(test_adopt_other_netns),
		T(test_discovery),
		T(test_discovery_other_netns),
		T(test_factory),
		T(test_destroy_wakes_blocked_calls),
		T(test_antennas),
		T(test_sys_values),
		T(test_proc_headers),
		T(test_proc_lines_match_host),
		T(test_synth_rows),
		T(test_full_table_forgets_history),
	};

	return MN_SKIP_STATUS(cmocka_run_group_tests(tests, NULL, NULL));
}
