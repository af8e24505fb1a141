/*
 * net_sys.c - the network syscalls: rows 3000-3008 of the MicronOS table.
 *
 * As xv6's sysfile.c, these only unpack and check arguments and call the
 * socket layer (net_ops.c).  Pointers are daemon memory (the supervisor
 * copies a program's sockaddr in and out).  `sd` is a MicronOS socket
 * descriptor.  The last argument slot (args[5]) of bind, connect, listen,
 * accept and shutdown may carry `via`: a host descriptor of the same
 * socket plus one (0: none), with which the sandbox's supervisor operates
 * on a program's socket that the daemon does not hold; the shell leaves it
 * 0.
 *
 *   3000 socket(domain, type, protocol)            -> sd
 *   3001 bind(sd, addr, addrlen)
 *   3002 connect(sd, addr, addrlen)
 *   3003 listen(sd, backlog)
 *   3004 accept(sd, addr out, addrlen in/out, flags) -> new sd
 *   3005 shutdown(sd, how)
 *   3006 sockclose(sd)
 *   3007 sendto(sd, buf, len, flags, addr, addrlen) -> bytes
 *   3008 recvfrom(sd, buf, len, flags, addr out, addrlen in/out) -> bytes
 */
#include <errno.h>
#include <string.h>

#include <micronos/kernel.h>
#include <micronos/syscall.h>

#include "net_i.h"

#define VIA(a) \
	((a)[MN_NET_SYS_VIA] ? (int)((a)[MN_NET_SYS_VIA] - 1) : -1)
#define PTR(x) ((void *)(uintptr_t)(x))

/* A message for the errors a program would not understand by errno. */
static long explain(struct mn_sysctx *ctx, long ret, const char *call,
		    struct mn_net *net)
{
	switch (ret) {
	case -ENETUNREACH:
		return mn_sysctx_fail(ctx, ret, "%s: only loopback addresses "
				      "are reachable with network policy %s",
				      call,
				      mn_net_policy_name(mn_net_policy(net)));
	case -EADDRNOTAVAIL:
		return mn_sysctx_fail(ctx, ret, "%s: only loopback or wildcard "
				      "addresses with network policy %s",
				      call,
				      mn_net_policy_name(mn_net_policy(net)));
	case -EACCES:
		return mn_sysctx_fail(ctx, ret, "%s: port not in "
				      "net.allow_ports", call);
	case -ENETDOWN:
		return mn_sysctx_fail(ctx, ret, "%s: the antenna is down",
				      call);
	case -EOPNOTSUPP:
		return mn_sysctx_fail(ctx, ret, "%s: pathname unix sockets are "
				      "bound by the program itself", call);
	case -EBADF:
		return mn_sysctx_fail(ctx, ret, "%s: no socket with that "
				      "descriptor for pid %d",
				      call, ctx->pid);
	default:
		return ret;
	}
}

static int addr_len(uint64_t v, socklen_t *out)
{
	if (v > sizeof(struct sockaddr_storage))
		return -EINVAL;
	*out = (socklen_t)v;
	return 0;
}

static long sys_socket(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	return explain(ctx, mn_net_socket(d, ctx->pid, ctx->uid, (int)a[0],
					  (int)a[1], (int)a[2]),
		       "socket", d);
}

static long sys_bind(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	socklen_t len;

	if (addr_len(a[2], &len) < 0)
		return -EINVAL;
	return explain(ctx, mn_net_bind(d, ctx->pid, (int)a[0], PTR(a[1]), len,
					VIA(a)),
		       "bind", d);
}

static long sys_connect(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	socklen_t len;

	if (addr_len(a[2], &len) < 0)
		return -EINVAL;
	return explain(ctx, mn_net_connect(d, ctx->pid, (int)a[0], PTR(a[1]),
					   len, VIA(a)),
		       "connect", d);
}

static long sys_listen(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	return explain(ctx, mn_net_listen(d, ctx->pid, (int)a[0], (int)a[1],
					  VIA(a)),
		       "listen", d);
}

static long sys_accept(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	socklen_t *lenp = PTR(a[2]);

	if (a[1] && (!lenp || *lenp > sizeof(struct sockaddr_storage)))
		return -EINVAL;
	return explain(ctx, mn_net_accept(d, ctx->pid, (int)a[0], PTR(a[1]),
					  a[1] ? lenp : NULL, (int)a[3],
					  VIA(a)),
		       "accept", d);
}

static long sys_shutdown(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	return explain(ctx, mn_net_shutdown(d, ctx->pid, (int)a[0], (int)a[1],
					    VIA(a)),
		       "shutdown", d);
}

static long sys_sockclose(struct mn_sysctx *ctx, const uint64_t a[6],
			  void *d)
{
	return explain(ctx, mn_net_close(d, ctx->pid, (int)a[0]), "sockclose",
		       d);
}

static long sys_sendto(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	socklen_t len = 0;

	if (a[4] && addr_len(a[5], &len) < 0)
		return -EINVAL;
	return explain(ctx, mn_net_sendto(d, ctx->pid, (int)a[0], PTR(a[1]),
					  (size_t)a[2], (int)a[3], PTR(a[4]),
					  len),
		       "sendto", d);
}

static long sys_recvfrom(struct mn_sysctx *ctx, const uint64_t a[6], void *d)
{
	socklen_t *lenp = PTR(a[5]);

	if (a[4] && (!lenp || *lenp > sizeof(struct sockaddr_storage)))
		return -EINVAL;
	return explain(ctx, mn_net_recvfrom(d, ctx->pid, (int)a[0], PTR(a[1]),
					    (size_t)a[2], (int)a[3], PTR(a[4]),
					    a[4] ? lenp : NULL),
		       "recvfrom", d);
}

#define A(...) {__VA_ARGS__}
/*
 * The rows: the four of the base table (socket 3000, bind 3001, listen
 * 3003, accept 3004, created "missing" by mn_syscalls_create) exist
 * already and are wired; the rest are added.
 */
static const struct mn_syscall_desc rows[] = {
	{MN_SYS_SOCKET, "socket", A(0), NULL, sys_socket, NULL},
	{MN_SYS_BIND, "bind", A(0), NULL, sys_bind, NULL},
	{MN_SYS_CONNECT, "connect", A(MN_ARG_FD, MN_ARG_PTR, MN_ARG_SIZE),
	 "the network", sys_connect, NULL},
	{MN_SYS_LISTEN, "listen", A(0), NULL, sys_listen, NULL},
	{MN_SYS_ACCEPT, "accept", A(0), NULL, sys_accept, NULL},
	{MN_SYS_SHUTDOWN, "shutdown", A(MN_ARG_FD, MN_ARG_INT), "the network",
	 sys_shutdown, NULL},
	{MN_SYS_SOCKCLOSE, "sockclose", A(MN_ARG_FD), "the network",
	 sys_sockclose, NULL},
	/* sd, buf, len, flags, addr, addrlen (recvfrom: a pointer to it) */
	{MN_SYS_SENDTO, "sendto",
	 A(MN_ARG_FD, MN_ARG_BUF, MN_ARG_SIZE, MN_ARG_FLAGS, MN_ARG_PTR,
	   MN_ARG_SIZE),
	 "the network", sys_sendto, NULL},
	{MN_SYS_RECVFROM, "recvfrom",
	 A(MN_ARG_FD, MN_ARG_BUF, MN_ARG_SIZE, MN_ARG_FLAGS, MN_ARG_PTR,
	   MN_ARG_PTR),
	 "the network", sys_recvfrom, NULL},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

int mn__net_sys_wire(struct mn_syscalls *s, struct mn_net *net)
{
	int ret = 0;

	for (size_t i = 0; i < NROWS && ret == 0; i++) {
		struct mn_syscall_desc d = rows[i];

		d.data = net;
		ret = mn_syscall_register(s, d.nr, d.handler, net);
		if (ret == -ENOENT)	/* first boot: add the row */
			ret = mn_syscall_add(s, &d);
	}
	if (ret < 0)
		mn__net_sys_unwire(s);
	return ret;
}

void mn__net_sys_unwire(struct mn_syscalls *s)
{
	for (size_t i = 0; i < NROWS; i++)
		mn_syscall_register(s, rows[i].nr, NULL, NULL);
}
