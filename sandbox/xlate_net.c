/*
 * xlate_net - the network rows of the translation table: socket, bind,
 * connect, listen, accept, accept4 and shutdown of sandboxed programs
 * become MicronOS's network syscalls (net.h, 3000-3005).
 *
 * The data never passes through the supervisor: MicronOS makes the real
 * socket (in the world's network namespace, see netwait.c) and injects it
 * into the program (ADDFD|SEND); later calls on it operate on a duplicate
 * of the program's descriptor (pidfd_getfd), passed to the syscall as its
 * `via` argument (args[5], descriptor + 1), so MicronOS's socket table
 * records the call and follows the real connection.  Sockets the
 * supervisor did not make (inherited, passed over a unix socket) are
 * adopted (mn_net_adopt_fd) at their first translated call.
 *
 * Each address is read once (page-bounded, NOTIF_ID_VALID checked) and
 * the policy (net.policy, net.allow_ports, antennas) is checked on that
 * copy; the call then runs on the copy, never on the program's memory.
 *
 * What the supervisor leaves to the kernel (CONTINUE), and why:
 *  - domains other than inet and inet6, and socket types other than
 *    stream and datagram: the namespaces enforce the same rules (raw
 *    sockets need capabilities the program has only in its own
 *    namespace);
 *  - every unix socket call (after recording the socket): the kernel
 *    takes SO_PEERCRED and the listener's credentials from the *caller*
 *    of connect and listen, which must be the program, not the daemon,
 *    and pathname addresses are resolved in the caller's mount namespace.
 *    MicronOS's policy has nothing to say about unix addresses.
 *
 * Calls made by the daemon on the program's behalf must not exceed what
 * the program could do itself: a bind below the world's unprivileged port
 * start needs CAP_NET_BIND_SERVICE in the program's effective set, and in
 * the host's network namespace it never has it (the user namespace gives
 * capabilities only over its own network namespace).
 *
 * Calls that may block (accept on a blocking socket, connect of a
 * blocking stream socket) never hold up the notification thread, which
 * serves every program of a tree: made here only when they should return
 * at once (a connection is pending, a loopback handshake), under a guard
 * that interrupts them after a few milliseconds; otherwise, and after an
 * interruption, netwait.c's workers wait for them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <micronos/net.h>
#include <micronos/proc.h>

#include "xlate_net.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#define CAP_NET_BIND_SERVICE_BIT 10

#define ARG(c, i) ((c)->req->data.args[i])

/* the host's network shared (at the end of this file) */
static int restricted(struct sbx_call *c);
static void narrow_wildcard(struct sockaddr_storage *ss, socklen_t len);
static long bind_unbound(struct sbx_call *c, int sd, int sock);
static enum sbx_verdict unix_socket(struct sbx_call *c, int type);

static enum sbx_verdict answer(struct sbx_call *c, long v)
{
	if (v < 0)
		c->resp->error = (int32_t)v;
	else
		c->resp->val = v;
	return SBX_ANSWER;
}

static long call6(struct sbx_call *c, uint32_t nr, uint64_t a0, uint64_t a1,
		  uint64_t a2, uint64_t a3, int via)
{
	uint64_t args[6] = {a0, a1, a2, a3, 0, (uint64_t)via + 1};

	return mn_syscall_dispatch(c->sb->syscalls, c->ctx, nr, args);
}

/* The caller's MicronOS credentials into its context. */
static int load_cred(struct sbx_call *c)
{
	struct mn_proc_info info;

	if (mn_proc_get(c->sb->procs, c->pid, &info) < 0)
		return -ESRCH;
	c->ctx->uid = info.uid;
	c->ctx->gid = info.gid;
	return 0;
}

/*
 * A duplicate of the caller's descriptor fd.  The pidfd names the calling
 * thread (its descriptor table may be its own); it is validated against
 * the notification before use, so a recycled pid is never read from.
 * -EBADF for no such descriptor, -ESRCH if the caller is gone.
 */
static int getfd(struct sbx_call *c, uint64_t fd)
{
	int pfd, dup, e;

	if (fd > INT32_MAX)
		return -EBADF;
	pfd = (int)syscall(SYS_pidfd_open, c->req->pid, PIDFD_THREAD);
	if (pfd < 0 && errno == EINVAL)		/* before Linux 6.9 */
		pfd = (int)syscall(SYS_pidfd_open, c->host_tgid, 0);
	if (pfd < 0)
		return -ESRCH;
	if (sbx_call_valid(c) < 0) {
		close(pfd);
		return -ESRCH;
	}
	dup = (int)syscall(SYS_pidfd_getfd, pfd, (int)fd, 0);
	e = errno;
	close(pfd);
	if (dup < 0)
		return e == EBADF ? -EBADF : e == ESRCH ? -ESRCH : -e;
	return dup;
}

static int sock_int(int fd, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0)
		return -errno;
	return v;
}

/* How the supervisor treats a socket: by its domain and type. */
enum kind {
	K_INET,		/* translated */
	K_UNIX,		/* recorded, then the kernel runs the call */
	K_OTHER,	/* the kernel runs the call */
};

static enum kind sock_kind(int fd)
{
	int d = sock_int(fd, SO_DOMAIN), t = sock_int(fd, SO_TYPE);

	if (d == AF_UNIX)
		return K_UNIX;
	if ((d == AF_INET || d == AF_INET6) &&
	    (t == SOCK_STREAM || t == SOCK_DGRAM))
		return K_INET;
	return K_OTHER;
}

/*
 * The program's socket behind descriptor fd, recorded in MicronOS's
 * table: *sock gets the duplicate (the caller closes it) and the sd is
 * returned, or -errno as Linux says it (EBADF, ENOTSOCK).  *k tells how
 * to go on, *type is the socket's type; for K_OTHER the sd is 0.  The
 * record says what the socket is, so a known one costs no more host
 * calls than the adoption's.
 */
static int program_socket(struct sbx_call *c, uint64_t fd, int *sock,
			  enum kind *k, int *type)
{
	struct mn_net_sock_info si;
	int dup = getfd(c, fd), sd;

	if (dup < 0)
		return dup;
	if (load_cred(c) < 0) {
		close(dup);
		return -ESRCH;
	}
	sd = mn_net_adopt_fd(sbx_net_net(c->sb->net), c->pid, c->ctx->uid,
			     dup, 0);
	if (sd > 0 && mn_net_sock_info(sbx_net_net(c->sb->net), sd,
				       &si) == 0) {
		*type = si.type;
		*k = si.domain == AF_UNIX ? K_UNIX :
		     si.type == SOCK_STREAM || si.type == SOCK_DGRAM ? K_INET :
		     K_OTHER;
	} else if (sd == -EAFNOSUPPORT || sd == -ENFILE || sd > 0) {
		/* another domain, or (a full table must not keep a program
		   off the network) the call runs unrecorded: sd 0 */
		*k = sock_kind(dup);
		*type = sock_int(dup, SO_TYPE);
		sd = 0;
	} else {
		close(dup);
		return sd == -ENOTSOCK ? -ENOTSOCK : -EBADF;
	}
	*sock = dup;
	return sd;
}

/* Reads the program's sockaddr once.  0 or -EINVAL / -EFAULT / -ESRCH. */
static int read_addr(struct sbx_call *c, uint64_t addr, uint64_t len,
		     struct sockaddr_storage *ss)
{
	int e;

	memset(ss, 0, sizeof(*ss));
	if (len > sizeof(*ss) || (uint32_t)len != len)
		return -EINVAL;
	if (len == 0)
		return 0;
	e = sbx_mem_read(c, addr, ss, (size_t)len);
	return e == 0 ? 0 : e == -ENOENT ? -ESRCH : -EFAULT;
}

/* ---- socket ---- */

/* inet and inet6 stream and datagram sockets are made by MicronOS. */
enum sbx_verdict sbx_x_socket(struct sbx_call *c)
{
	int domain = (int)ARG(c, 0), type = (int)ARG(c, 1);
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct mn_net *net;
	long sd;
	int fd, e;

	if (domain == AF_UNIX && restricted(c))
		return unix_socket(c, type);
	if (!c->sb->net || (domain != AF_INET && domain != AF_INET6) ||
	    (base != SOCK_STREAM && base != SOCK_DGRAM))
		return SBX_CONTINUE;
	if (load_cred(c) < 0)
		return answer(c, -ESRCH);
	net = sbx_net_net(c->sb->net);
	sbx_net_factory_begin(c->sb->net, c->ctx->uid, c->ctx->gid);
	sd = call6(c, MN_SYS_SOCKET, (uint64_t)domain, (uint64_t)type,
		   ARG(c, 2), 0, -1);
	sbx_net_factory_end();
	/* a full table must not keep a program off the network: the kernel
	   makes the socket, unrecorded (its calls are still checked) */
	if (sd == -ENFILE)
		return SBX_CONTINUE;
	if (sd < 0)
		return answer(c, sd);
	fd = mn_net_take_fd(net, (int)sd);
	if (fd < 0)
		return answer(c, fd);
	e = sbx_call_inject(c, fd, type & SOCK_CLOEXEC ? O_CLOEXEC : 0);
	close(fd);
	if (e < 0) {
		mn_net_close(net, c->pid, (int)sd);
		return answer(c, e == -ENOENT ? -ESRCH : e);
	}
	return SBX_SENT;
}

/* ---- bind ---- */

/* 1 if the caller's effective capabilities hold CAP_NET_BIND_SERVICE. */
static int may_bind_low(struct sbx_call *c)
{
	char path[64], line[128];
	unsigned long long caps = 0;
	int got = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->req->pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!got && fgets(line, sizeof(line), f))
		got = sscanf(line, "CapEff: %llx", &caps) == 1;
	fclose(f);
	return got && sbx_call_valid(c) == 0 &&
	       (caps >> CAP_NET_BIND_SERVICE_BIT & 1);
}

static uint16_t addr_port(const struct sockaddr_storage *ss, socklen_t len)
{
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

enum sbx_verdict sbx_x_bind(struct sbx_call *c)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)ARG(c, 2);
	enum kind k;
	uint16_t port;
	int sock, sd, e, type;
	long r;

	if (!c->sb->net)
		return SBX_CONTINUE;
	/* Linux's order: the descriptor, then the address */
	sd = program_socket(c, ARG(c, 0), &sock, &k, &type);
	if (sd < 0)
		return answer(c, sd);
	if (k != K_INET) {
		close(sock);
		return SBX_CONTINUE;
	}
	if ((e = read_addr(c, ARG(c, 1), ARG(c, 2), &ss)) < 0) {
		close(sock);
		return answer(c, e);
	}
	if (restricted(c))
		narrow_wildcard(&ss, len);
	port = addr_port(&ss, len);
	if (port && port < sbx_net_unpriv_port(c->sb->net) &&
	    (!sbx_net_own_ns(c->sb->net) || !may_bind_low(c))) {
		close(sock);
		return answer(c, -EACCES);
	}
	if (sd > 0) {
		r = call6(c, MN_SYS_BIND, (uint64_t)sd, (uint64_t)(uintptr_t)&ss,
			  len, 0, sock);
	} else {	/* unrecorded (table full): the checks, then the call */
		r = mn_net_check_bind(sbx_net_net(c->sb->net), c->pid,
				      (void *)&ss, len);
		if (r == 0 && bind(sock, (void *)&ss, len) < 0)
			r = -errno;
	}
	close(sock);
	return answer(c, r);
}

/* ---- connect ---- */

static long do_connect(struct sbx_net_job *j)
{
	long r;

	if (j->sd > 0)
		return call6(&j->c, MN_SYS_CONNECT, (uint64_t)j->sd,
			     (uint64_t)(uintptr_t)&j->ss, j->len, 0, j->sock);
	/* unrecorded (table full): the checks, then the call */
	r = mn_net_check_connect(sbx_net_net(j->c.sb->net), j->c.pid,
				 (void *)&j->ss, j->len);
	if (r == 0 && connect(j->sock, (void *)&j->ss, j->len) < 0)
		r = -errno;
	return r;
}

/*
 * Under the guard (without one, if the guard cannot be had: on a worker
 * that only costs the worker).  Interrupted, the connection is under way:
 * SBX_DEFERRED, and the job waits for its end (POLLOUT); then the same
 * call returns at once with the result - or EISCONN had it completed in
 * between, which for the program's one connect is success.
 */
static enum sbx_verdict run_connect(struct sbx_net_job *j)
{
	int guarded = sbx_net_guard_arm() == 0;
	long r = do_connect(j);

	if (guarded)
		sbx_net_guard_disarm();
	if (r == -EINTR) {
		j->interrupted = 1;
		j->wait = SBX_NET_WAIT_WRITE;
		return SBX_DEFERRED;
	}
	if (r == -EISCONN && j->interrupted)
		r = 0;
	return answer(&j->c, r);
}

/* 1 if a call on this socket may block: a blocking socket. */
static int blocking(int sock)
{
	int fl = fcntl(sock, F_GETFL);

	return fl >= 0 && !(fl & O_NONBLOCK);
}

/* Hands a call to a worker, or fails it if the copy cannot be made. */
static enum sbx_verdict defer(struct sbx_call *c, struct sbx_net_job *tmpl,
			      int sock)
{
	struct sbx_net_job *j = sbx_net_job_new(c->sb->net, c, sock);

	if (!j)
		return answer(c, -ENOMEM);
	j->wait = tmpl->wait;
	j->run = tmpl->run;
	j->sd = tmpl->sd;
	j->interrupted = tmpl->interrupted;
	j->flags = tmpl->flags;
	j->addr = tmpl->addr;
	j->lenp = tmpl->lenp;
	j->ss = tmpl->ss;
	j->len = tmpl->len;
	return sbx_net_job_submit(c->sb->net, j);
}

/*
 * A non-blocking or datagram connect, and a refused one, never wait.  A
 * blocking stream connect to a loopback listener completes within the
 * call (the handshake is processed as the SYN is sent), so it is tried
 * here under the guard; one that must wait for a peer goes to a worker.
 */
enum sbx_verdict sbx_x_connect(struct sbx_call *c)
{
	struct sbx_net_job t = {.wait = SBX_NET_WAIT_NONE,
				.run = run_connect};
	enum sbx_verdict v;
	enum kind k;
	int sock, e, type;

	if (!c->sb->net)
		return SBX_CONTINUE;
	t.len = (socklen_t)ARG(c, 2);
	t.sd = program_socket(c, ARG(c, 0), &sock, &k, &type);
	if (t.sd < 0)
		return answer(c, t.sd);
	if (k != K_INET) {
		close(sock);
		return SBX_CONTINUE;
	}
	if ((e = read_addr(c, ARG(c, 1), ARG(c, 2), &t.ss)) < 0) {
		close(sock);
		return answer(c, e);
	}
	t.c = *c;
	t.sock = sock;
	if (type != SOCK_STREAM || !blocking(sock))
		v = answer(c, do_connect(&t));
	else
		v = run_connect(&t);
	if (v != SBX_DEFERRED) {
		close(sock);
		return v;
	}
	return defer(c, &t, sock);
}

/* ---- listen, shutdown ---- */

static enum sbx_verdict on_socket(struct sbx_call *c, uint32_t nr,
				  uint64_t arg)
{
	enum kind k;
	int sock, sd, type;
	long r;

	if (!c->sb->net)
		return SBX_CONTINUE;
	sd = program_socket(c, ARG(c, 0), &sock, &k, &type);
	if (sd < 0)
		return answer(c, sd);
	if (k != K_INET) {
		close(sock);
		return SBX_CONTINUE;
	}
	r = nr == MN_SYS_LISTEN && restricted(c) ? bind_unbound(c, sd, sock) :
	    0;
	if (r < 0)
		;	/* the implicit bind failed: so does listen */
	else if (sd > 0)
		r = call6(c, nr, (uint64_t)sd, arg, 0, 0, sock);
	else if (nr == MN_SYS_LISTEN)
		r = listen(sock, (int)arg) < 0 ? -errno : 0;
	else
		r = shutdown(sock, (int)arg) < 0 ? -errno : 0;
	close(sock);
	return answer(c, r);
}

enum sbx_verdict sbx_x_listen(struct sbx_call *c)
{
	return on_socket(c, MN_SYS_LISTEN, ARG(c, 1));
}

enum sbx_verdict sbx_x_shutdown(struct sbx_call *c)
{
	return on_socket(c, MN_SYS_SHUTDOWN, ARG(c, 1));
}

/* ---- accept, accept4 ---- */

/* Writes the peer's address the way accept(2) does. */
static int put_peer(struct sbx_net_job *j, const struct sockaddr_storage *ss,
		    socklen_t got)
{
	uint32_t room;
	int e;

	if (!j->addr)
		return 0;
	if ((e = sbx_mem_read(&j->c, j->lenp, &room, sizeof(room))) < 0)
		return e == -ENOENT ? -ESRCH : -EFAULT;
	if ((int32_t)room < 0)
		return -EINVAL;
	if (room > got)
		room = got;
	if (room && sbx_mem_write(&j->c, j->addr, ss, room) < 0)
		return -EFAULT;
	return sbx_mem_write(&j->c, j->lenp, &got, sizeof(got)) < 0 ?
	       -EFAULT : 0;
}

/* The accept itself: *fd gets the new descriptor, *sd its record (0:
   unrecorded).  0 or -errno. */
static int accept_one(struct sbx_net_job *j, struct sockaddr_storage *ss,
		      socklen_t *len, int *fd, long *sd)
{
	struct sbx_call *c = &j->c;

	memset(ss, 0, sizeof(*ss));
	*len = sizeof(*ss);
	*sd = 0;
	if (j->sd <= 0) {	/* unrecorded: plain accept, injected */
		*fd = accept4(j->sock, (void *)ss, len,
			      (j->flags & SOCK_NONBLOCK) | SOCK_CLOEXEC);
		return *fd < 0 ? -errno : 0;
	}
	*sd = call6(c, MN_SYS_ACCEPT, (uint64_t)j->sd, (uint64_t)(uintptr_t)ss,
		    (uint64_t)(uintptr_t)len, (uint64_t)j->flags, j->sock);
	if (*sd < 0)
		return (int)*sd;
	*fd = mn_net_take_fd(sbx_net_net(c->sb->net), (int)*sd);
	if (*fd < 0)
		return *fd;
	/* the program's socket, as if it had accepted it itself */
	if (fchown(*fd, c->sb->uid_base + c->ctx->uid,
		   c->sb->gid_base + c->ctx->gid) < 0) {
		/* only its owner (ss -e) would be wrong: not worth
		   failing the call for */
	}
	return 0;
}

/* Gives the program its new socket: the peer's address, then the fd. */
static enum sbx_verdict accepted(struct sbx_net_job *j,
				 const struct sockaddr_storage *ss,
				 socklen_t len, int fd, long sd)
{
	struct sbx_call *c = &j->c;
	int e = put_peer(j, ss, len);

	if (e == 0)
		e = sbx_call_inject(c, fd, j->flags & SOCK_CLOEXEC ?
					   O_CLOEXEC : 0);
	close(fd);
	if (e < 0) {
		if (sd > 0)
			mn_net_close(sbx_net_net(c->sb->net), c->pid, (int)sd);
		return answer(c, e == -ENOENT ? -ESRCH : e);
	}
	return SBX_SENT;
}

/*
 * Under the guard: interrupted (another process took the connection
 * first), SBX_DEFERRED and the job waits for the next one.
 */
static enum sbx_verdict run_accept(struct sbx_net_job *j)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long sd;
	int guarded = sbx_net_guard_arm() == 0, fd = -1, e;

	e = accept_one(j, &ss, &len, &fd, &sd);
	if (guarded)
		sbx_net_guard_disarm();
	if (e == -EINTR) {
		j->wait = SBX_NET_WAIT_READ;
		return SBX_DEFERRED;
	}
	return e < 0 ? answer(&j->c, e) : accepted(j, &ss, len, fd, sd);
}

/*
 * A non-blocking accept is made here.  A blocking one with a connection
 * pending is made here under the guard (another process accepting on the
 * same socket may take the connection first: then the call would block);
 * one that must wait goes to a worker.
 */
enum sbx_verdict sbx_x_accept(struct sbx_call *c)
{
	int four = c->req->data.nr == __NR_accept4;
	struct sbx_net_job t = {.wait = SBX_NET_WAIT_READ, .run = run_accept};
	struct pollfd p = {.events = POLLIN};
	enum sbx_verdict v;
	enum kind k;
	int sock, type;

	if (!c->sb->net)
		return SBX_CONTINUE;
	t.addr = ARG(c, 1);
	t.lenp = ARG(c, 2);
	t.flags = four ? (int)ARG(c, 3) : 0;
	if (t.flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return answer(c, -EINVAL);
	t.sd = program_socket(c, ARG(c, 0), &sock, &k, &type);
	if (t.sd < 0)
		return answer(c, t.sd);
	if (k != K_INET || type != SOCK_STREAM) {
		close(sock);	/* accept on a datagram socket: EOPNOTSUPP */
		return SBX_CONTINUE;
	}
	t.c = *c;
	t.sock = sock;
	p.fd = sock;
	if (!blocking(sock) || poll(&p, 1, 0) == 1) {
		v = run_accept(&t);
		if (v != SBX_DEFERRED) {
			close(sock);
			return v;
		}
	}
	return defer(c, &t, sock);
}

/* ---- the host's network shared: unix names, wildcards, addresses ---- */

/*
 * 1 when the world shares the host's network namespace and the policy
 * does not admit everything (loopback): the namespace then enforces
 * nothing, every address must be checked here.  A world with a network
 * of its own has nothing but its loopback: the kernel is the policy.
 */
static int restricted(struct sbx_call *c)
{
	return c->sb->net && !sbx_net_own_ns(c->sb->net) &&
	       mn_net_policy(sbx_net_net(c->sb->net)) != MN_NET_POLICY_HOST;
}

/* 1 when the world shares the host's network namespace. */
static int shared_ns(struct sbx_call *c)
{
	return c->sb->net && !sbx_net_own_ns(c->sb->net);
}

/*
 * Under loopback the wildcard address means "every address of this
 * host" - reachable from the host's network.  It is narrowed to the
 * loopback address of its family, as if loopback were the only
 * interface (a v6 wildcard then takes no v4 connections).
 */
static void narrow_wildcard(struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET && len >= sizeof(*v4) &&
	    v4->sin_addr.s_addr == htonl(INADDR_ANY))
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (ss->ss_family == AF_INET6 && len >= sizeof(*v6) &&
		 IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
		v6->sin6_addr = in6addr_loopback;
}

/*
 * listen() and a first send bind an unbound socket to the wildcard
 * address: under loopback it is bound to loopback first, recorded as
 * MicronOS's bind.  0 or -errno.
 */
static long bind_unbound(struct sbx_call *c, int sd, int sock)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	long r;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(sock, (void *)&ss, &len) < 0)
		return -errno;
	if (addr_port(&ss, len) != 0)
		return 0;	/* bound already */
	narrow_wildcard(&ss, len);
	if (sd > 0)
		r = call6(c, MN_SYS_BIND, (uint64_t)sd, (uint64_t)(uintptr_t)&ss,
			  len, 0, sock);
	else
		r = bind(sock, (void *)&ss, len) < 0 ? -errno : 0;
	return r;
}

/* ---- unix sockets of a world on the host's network ---- */

/* Adds fd to the caller without answering: its number there. */
static int addfd(struct sbx_call *c, int fd, unsigned int flags)
{
	struct seccomp_notif_addfd a = {.id = c->req->id, .srcfd = fd,
					.newfd_flags = flags};
	int r = ioctl(c->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);

	return r < 0 ? (errno == ENOENT ? -ESRCH : -errno) : r;
}

static void close_unless(int keep, int fd)
{
	if (!keep)
		close(fd);
}

static enum sbx_verdict unix_socket(struct sbx_call *c, int type)
{
	int sv[2] = {-1, -2}, e;

	if (load_cred(c) < 0)
		return answer(c, -ESRCH);
	e = sbx_net_private_socket(c->sb->net, c->ctx->uid, c->ctx->gid, sv,
				   AF_UNIX, type, (int)ARG(c, 2));
	if (e < 0)
		return answer(c, e);
	e = sbx_call_inject(c, sv[0], type & SOCK_CLOEXEC ? O_CLOEXEC : 0);
	close(sv[0]);
	return e < 0 ? answer(c, e == -ENOENT ? -ESRCH : e) : SBX_SENT;
}

enum sbx_verdict sbx_x_socketpair(struct sbx_call *c)
{
	int type = (int)ARG(c, 1), sv[2] = {-1, -1}, in[2], e, i;
	unsigned int fl = type & SOCK_CLOEXEC ? O_CLOEXEC : 0;

	if ((int)ARG(c, 0) != AF_UNIX || !shared_ns(c) ||
	    mn_net_policy(sbx_net_net(c->sb->net)) == MN_NET_POLICY_HOST)
		return SBX_CONTINUE;
	if (load_cred(c) < 0)
		return answer(c, -ESRCH);
	e = sbx_net_private_socket(c->sb->net, c->ctx->uid, c->ctx->gid, sv,
				   AF_UNIX, type, (int)ARG(c, 2));
	if (e < 0)
		return answer(c, e);
	for (i = 0; i < 2 && e >= 0; i++)
		e = in[i] = addfd(c, sv[i], fl);
	close(sv[0]);
	close(sv[1]);
	/* a failure after the first leaves it in the program (EMFILE):
	   it cannot be taken back, only reported */
	if (e >= 0)
		e = sbx_mem_write(c, ARG(c, 3), in, sizeof(in)) < 0 ? -EFAULT :
		    0;
	return answer(c, e < 0 ? e : 0);
}

/* ---- sends that carry an address ---- */

/*
 * TCP Fast Open is a connect that carries data; the address is checked
 * as connect's, and an admitted one fails with EOPNOTSUPP - what Linux
 * says with net.ipv4.tcp_fastopen off, so the program connects instead
 * (through the translated, checked connect).
 */
static long fastopen(struct sbx_call *c, uint64_t addr, uint64_t alen)
{
	struct sockaddr_storage ss;
	long r;

	if (!addr)
		return -EOPNOTSUPP;
	if ((r = read_addr(c, addr, alen, &ss)) < 0)
		return r;
	r = mn_net_check_connect(sbx_net_net(c->sb->net), c->pid,
				 (void *)&ss, (socklen_t)alen);
	return r < 0 ? r : -EOPNOTSUPP;
}

#define SEND_MAX 65536		/* a datagram is at most 65535 bytes */
#define CTL_MAX 4096
#define MMSG_MAX 1024		/* UIO_MAXIOV, sendmmsg's own cap */

/*
 * One datagram, checked and sent on sock from copies: m is ours, its
 * iovec array too, but every pointer in them is the program's, read once
 * here.  Its byte count or -errno.
 */
static long send_parts(struct sbx_call *c, int sd, int sock,
		       struct msghdr *m, int flags)
{
	struct sockaddr_storage ss;
	struct iovec io;
	char *data = malloc(SEND_MAX), *ctl = malloc(CTL_MAX);
	size_t i, total = 0;
	long r = !data || !ctl ? -ENOMEM : 0;

	if (m->msg_controllen > CTL_MAX)
		r = -ENOBUFS;
	for (i = 0; r == 0 && i < m->msg_iovlen; i++) {
		if (m->msg_iov[i].iov_len > SEND_MAX - total)
			r = -EMSGSIZE;
		else if (m->msg_iov[i].iov_len &&
			 sbx_mem_read(c, (uint64_t)(uintptr_t)
				      m->msg_iov[i].iov_base, data + total,
				      m->msg_iov[i].iov_len) < 0)
			r = -EFAULT;
		else
			total += m->msg_iov[i].iov_len;
	}
	if (r == 0 && m->msg_controllen &&
	    sbx_mem_read(c, (uint64_t)(uintptr_t)m->msg_control, ctl,
			 m->msg_controllen) < 0)
		r = -EFAULT;
	/* no name: the connected peer, checked at connect */
	if (r == 0 && m->msg_name && m->msg_namelen) {
		r = read_addr(c, (uint64_t)(uintptr_t)m->msg_name,
			      m->msg_namelen, &ss);
		if (r == 0)
			r = mn_net_check_connect(sbx_net_net(c->sb->net),
						 c->pid, (void *)&ss,
						 m->msg_namelen);
	}
	if (r == 0 && restricted(c))
		r = bind_unbound(c, sd, sock);
	if (r == 0) {
		io.iov_base = data;
		io.iov_len = total;
		m->msg_iov = &io;
		m->msg_iovlen = 1;
		m->msg_name = m->msg_name && m->msg_namelen ? &ss : NULL;
		m->msg_control = m->msg_controllen ? ctl : NULL;
		r = sendmsg(sock, m, flags | MSG_NOSIGNAL);
		r = r < 0 ? -errno : r;
	}
	free(data);
	free(ctl);
	return r;
}

/* A struct msghdr of the program at umsg, sent.  Count or -errno. */
static long sendmsg_copy(struct sbx_call *c, int sd, int sock, uint64_t umsg,
			 int flags)
{
	struct iovec *uio;
	struct msghdr m;
	long r;

	if (sbx_mem_read(c, umsg, &m, sizeof(m)) < 0)
		return -EFAULT;
	if (m.msg_iovlen > MMSG_MAX)
		return -EMSGSIZE;
	uio = calloc(m.msg_iovlen + 1, sizeof(*uio));
	if (!uio)
		return -ENOMEM;
	if (m.msg_iovlen && sbx_mem_read(c, (uint64_t)(uintptr_t)m.msg_iov,
					 uio, m.msg_iovlen * sizeof(*uio)) < 0)
		r = -EFAULT;
	else {
		m.msg_iov = uio;
		r = send_parts(c, sd, sock, &m, flags);
	}
	free(uio);
	return r;
}

/*
 * The datagram socket behind ARG(0) when its sends must be made here: on
 * the host's network, where the kernel would take any address.  0: made
 * here; 1: a stream socket asking for Fast Open; -1: *v is the verdict.
 */
static int datagram_here(struct sbx_call *c, int *sd, int *sock,
			 enum sbx_verdict *v, int fastopen_flag)
{
	enum kind k;
	int type;

	*v = SBX_CONTINUE;
	if (!shared_ns(c))
		return -1;	/* the world's own loopback is all it has */
	*sd = program_socket(c, ARG(c, 0), sock, &k, &type);
	if (*sd < 0) {
		*v = answer(c, *sd);
		return -1;
	}
	if (k == K_INET && type == SOCK_STREAM && fastopen_flag)
		return 1;
	close_unless(k == K_INET && type == SOCK_DGRAM, *sock);
	return k == K_INET && type == SOCK_DGRAM ? 0 : -1;
}

enum sbx_verdict sbx_x_sendto(struct sbx_call *c)
{
	int flags = (int)ARG(c, 3), sd = 0, sock = -1, how;
	struct iovec io = {(void *)(uintptr_t)ARG(c, 1), (size_t)ARG(c, 2)};
	struct msghdr m = {.msg_name = (void *)(uintptr_t)ARG(c, 4),
			   .msg_namelen = (socklen_t)ARG(c, 5),
			   .msg_iov = &io, .msg_iovlen = 1};
	enum sbx_verdict v;
	long r;

	how = datagram_here(c, &sd, &sock, &v, flags & MSG_FASTOPEN);
	if (how < 0)
		return v;
	if (how == 1)
		r = fastopen(c, ARG(c, 4), ARG(c, 5));
	else if (ARG(c, 5) > sizeof(struct sockaddr_storage))
		r = -EINVAL;
	else
		r = send_parts(c, sd, sock, &m, flags);
	close(sock);
	return answer(c, r);
}

/* One message of sendmmsg: struct mmsghdr is a msghdr and its count. */
static long mmsg_one(struct sbx_call *c, int sd, int sock, uint64_t at,
		     int flags)
{
	unsigned int n;
	long r = sendmsg_copy(c, sd, sock, at, flags);

	if (r < 0)
		return r;
	n = (unsigned int)r;
	if (sbx_mem_write(c, at + offsetof(struct mmsghdr, msg_len), &n,
			  sizeof(n)) < 0)
		return -EFAULT;
	return r;
}

enum sbx_verdict sbx_x_sendmsg(struct sbx_call *c)
{
	int mm = c->req->data.nr == __NR_sendmmsg;
	int flags = (int)ARG(c, mm ? 3 : 2), sd = 0, sock = -1, how;
	uint64_t i, vlen = mm ? ARG(c, 2) : 1;
	struct msghdr m;
	enum sbx_verdict v;
	long r = 0;

	how = datagram_here(c, &sd, &sock, &v, flags & MSG_FASTOPEN);
	if (how < 0)
		return v;
	if (how == 1) {
		/* the name is in the program's msghdr: read once */
		r = mm ? -EOPNOTSUPP :
		    sbx_mem_read(c, ARG(c, 1), &m, sizeof(m)) < 0 ? -EFAULT :
		    fastopen(c, (uint64_t)(uintptr_t)m.msg_name,
			     m.msg_namelen);
	} else if (!mm) {
		r = sendmsg_copy(c, sd, sock, ARG(c, 1), flags);
	} else {
		if (vlen > MMSG_MAX)
			vlen = MMSG_MAX;
		for (i = 0; i < vlen; i++) {
			long e = mmsg_one(c, sd, sock, ARG(c, 1) + i *
					  sizeof(struct mmsghdr), flags);

			if (e < 0) {
				r = i ? (long)i : e;
				break;
			}
			r = (long)i + 1;
		}
	}
	close(sock);
	return answer(c, r);
}
