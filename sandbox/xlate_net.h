/*
 * xlate_net.h - the network rows of the translation table and the
 * machinery behind them (sandbox/ private).
 *
 * xlate_net.c translates socket, bind, connect, listen, accept, accept4
 * and shutdown of sandboxed programs into MicronOS's network syscalls
 * (3000-3005, net.h); netwait.c owns the per-sandbox network state: the
 * reference on the kernel's network, the namespace sockets are made in
 * (the socket factory), and the workers that wait for calls that block
 * (accept on a blocking socket, a blocking connect), so that one program
 * waiting for a connection never holds up another program's trapped
 * calls.
 *
 * Lock order: n->lock is a leaf; nothing else is called under it.
 */
#ifndef MICRONOS_SANDBOX_XLATE_NET_H
#define MICRONOS_SANDBOX_XLATE_NET_H

#include <stdint.h>
#include <sys/socket.h>

#include "sandbox_i.h"

struct mn_net;
struct sbx_net;

/*
 * At mn_sandbox_create(), once the world runs: takes a reference on the
 * kernel's network (none: sb->net stays NULL and socket calls run
 * natively, the namespace being the only rule), watches the world's
 * network namespace (its programs' sockets appear in `sockets`, /proc/net
 * and events even when a call ran natively) and installs the socket
 * factory.  0 or -errno with a message.
 */
int sbx_net_start(struct mn_sandbox *sb, struct mn_strbuf *err);
/*
 * After the world died, before the notification threads are joined: wakes
 * every call waiting for the network (their sockets are shut down: no
 * program holds them any more) and makes later ones give up at once.
 */
void sbx_net_wake(struct mn_sandbox *sb);
/*
 * After the notification threads are joined: joins the workers, removes
 * the factory, gives the network back.  Both accept sb->net == NULL.
 */
void sbx_net_stop(struct mn_sandbox *sb);

/* ---- xlate_net.c: the rows of xlate.c's table ---- */
enum sbx_verdict sbx_x_socket(struct sbx_call *c);
enum sbx_verdict sbx_x_bind(struct sbx_call *c);
enum sbx_verdict sbx_x_connect(struct sbx_call *c);
enum sbx_verdict sbx_x_listen(struct sbx_call *c);
enum sbx_verdict sbx_x_accept(struct sbx_call *c);	/* and accept4 */
enum sbx_verdict sbx_x_shutdown(struct sbx_call *c);
enum sbx_verdict sbx_x_socketpair(struct sbx_call *c);
enum sbx_verdict sbx_x_sendto(struct sbx_call *c);	/* with an address */
enum sbx_verdict sbx_x_sendmsg(struct sbx_call *c);	/* and sendmmsg */

/* ---- netwait.c, for xlate_net.c ---- */

/* The network (borrowed while the sandbox lives). */
struct mn_net *sbx_net_net(struct sbx_net *n);
/*
 * The lowest port an unprivileged program may bind in the world's network
 * namespace (the host's ip_unprivileged_port_start when the world shares
 * the host's network, 1024 in a namespace of its own).
 */
int sbx_net_unpriv_port(struct sbx_net *n);
/* 1 when the world has a network namespace of its own. */
int sbx_net_own_ns(struct sbx_net *n);

/*
 * A world on the host's network shares its abstract unix names (and a
 * datagram socketpair may send to them): its unix sockets are made in a
 * network namespace of their own, where abstract names are the world's
 * (pathname sockets work across namespaces).  sv[1] == -2: one socket
 * into sv[0]; else a socketpair into sv.  Owned by the mapped uid/gid.
 * 0 or -errno.
 */
int sbx_net_private_socket(struct sbx_net *n, uint32_t uid, uint32_t gid,
			   int *sv, int domain, int type, int proto);

/*
 * Marks the calling thread as creating sockets for MicronOS uid/gid: the
 * factory then makes them in the world's namespace, owned by the mapped
 * host ids.  sbx_net_factory_end() clears the mark.
 */
void sbx_net_factory_begin(struct sbx_net *n, uint32_t uid, uint32_t gid);
void sbx_net_factory_end(void);

/*
 * Calls that usually return at once (a loopback connect, an accept with a
 * connection pending) are made on the notification thread under a guard:
 * armed, a timer interrupts the calling thread (the call fails with
 * EINTR, having done nothing an identical later call would not redo) if
 * it blocks for more than a few milliseconds; the call then goes to a
 * worker.  arm: 0, or -errno (no guard: use a worker).
 */
int sbx_net_guard_arm(void);
void sbx_net_guard_disarm(void);

/* What a job waits for before its call is made again. */
enum sbx_net_wait {
	SBX_NET_WAIT_READ,	/* accept: a connection (POLLIN) */
	SBX_NET_WAIT_WRITE,	/* connect under way: its end (POLLOUT) */
	SBX_NET_WAIT_NONE,	/* nothing: make the call at once */
};

/*
 * A call that has to wait: the job owns copies of the notification, a
 * duplicate of the listener and of the program's socket.  Once the
 * socket is ready a worker calls run(), which makes the call under the
 * guard and fills c->resp (or injects: SBX_SENT) - or, interrupted,
 * returns SBX_DEFERRED with j->wait set: the job waits again.
 */
struct sbx_net_job {
	struct sbx_call c;		/* points into the job */
	struct mn_sysctx ctx;
	int sock;			/* dup of the program's socket */
	enum sbx_net_wait wait;
	enum sbx_verdict (*run)(struct sbx_net_job *j);
	/* the call's decoded arguments */
	int sd;				/* MicronOS socket */
	int interrupted;		/* a guarded attempt was cut short */
	int flags;			/* accept4 */
	uint64_t addr, lenp;		/* accept: where the peer goes */
	struct sockaddr_storage ss;	/* connect: the address copy */
	socklen_t len;
	/* netwait.c's */
	int sig_ticks;			/* ticks a shared signal was pending */
	struct sbx_net_job *next;
	void *req_mem, *resp_mem;
	int lfd;			/* dup of the listener */
};

/*
 * Copies c into a new job (listener duplicated; `sock` is taken over:
 * closed with the job).  NULL and sock closed on failure.
 */
struct sbx_net_job *sbx_net_job_new(struct sbx_net *n, struct sbx_call *c,
				    int sock);
/*
 * Takes the job over: it waits (j->wait) and is run and answered by the
 * waiter and a worker.  Returns SBX_DEFERRED (the notification is
 * answered later).  Only if no thread can be had does the job run here,
 * on the notification thread.
 */
enum sbx_verdict sbx_net_job_submit(struct sbx_net *n,
				    struct sbx_net_job *j);

#endif
