/*
 * net_i.h - what the network's files share: the struct behind struct mn_net,
 * socket records, antennas, the peer link, and the host-observation helpers
 * of net_diag.c.
 *
 * Lock order: glue (net.c, static, only around config watchers and stage
 * stop) -> net->sync_lock -> net->lock -> the event bus.  net->lock is held
 * for short sections only; no host call that may block runs under it.
 */
#ifndef MICRONOS_NET_I_H
#define MICRONOS_NET_I_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <micronos/net.h>

struct mn_kernel;
struct mn_syscalls;
struct net_obs;

/* Antenna indices: fixed, so a record can name its antenna by number. */
enum {
	NET_ANT_LO,
	NET_ANT_P2P,
	NET_ANT_HOST,
};

struct net_counters {
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

/* One socket.  Every field is protected by net->lock. */
struct net_sock {
	int sd;
	int fd;			/* held host descriptor, -1: observed */
	int pins;		/* calls using fd outside the lock */
	int closing;		/* fd is closed (or was handed out) when
				 * pins drops to 0 */
	int diag_seen;		/* matched in a sock_diag dump once */
	int released;		/* closed by its owner (mn_net_close) */
	int kernel;		/* the peer link's own: counted by it */
	int counters_from_host;	/* TCP: counters are the host's (sync) */
	int domain, type, protocol;
	int state;		/* enum mn_tcp_state / mn_sock_state */
	int passive;		/* for mn_tcp_path */
	struct sockaddr_storage local, remote;
	int32_t pid;
	uint32_t uid;
	uint64_t ino, netns;	/* netns 0: the daemon's own */
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
	uint32_t txq, rxq;
	uint64_t created_ns, changed_ns;
	uint64_t closed_ns;	/* when it reached CLOSED/gone, 0 */
	int antenna;		/* NET_ANT_*, -1 */
	uint64_t transitions, anomalies;
};

struct net_antenna {
	char name[MN_NET_ANTENNA_NAME_MAX];
	const char *kind;
	int up;
	int present;		/* host0 only with policy host */
	uint32_t mtu;
	char address[18];
	/* Traffic of sockets that left the table, and the peer link's
	 * errors and drops. */
	struct net_counters own;
};

struct net_port_range {
	uint16_t lo, hi;
};
#define NET_PORT_RANGES_MAX 32

/* A network namespace seen in the table: its diag socket for syncs. */
struct net_ns {
	uint64_t ino;		/* 0: the daemon's own */
	int nsfd;		/* open namespace fd (net->lock to add) */
	int diag;		/* NETLINK_SOCK_DIAG socket (sync_lock), -1 */
	int watched;		/* discover unknown sockets in it (lock) */
};
#define NET_NS_MAX 8

/* The peer link: net_p2p.c (sockets, thread) and net_peer.c (protocol). */
#define NET_PING_SLOTS 8
#define NET_PROBE_SLOTS 4

struct net_ping_slot {
	int active;
	uint64_t peer_id;	/* 0: any (pinging an address) */
	uint32_t seq;
	uint64_t ts;		/* host monotonic ns at send */
	uint64_t got_ns;	/* when the PONG came, 0 */
};

struct net_probe_slot {
	int active;
	uint64_t probe;
	uint64_t sent_ns;	/* host monotonic */
	size_t n;
	struct mn_net_peer_info found[MN_NET_MAX_PEERS];
};

struct net_p2p {
	/* Set by start; read-only while the link exists. */
	struct mn_net *net;
	int disc_fd, uni_fd, wake_fd;	/* owned by the records / p2p */
	int disc_sd, uni_sd;
	uint16_t port, uni_port;
	int lan;
	uint32_t announce_ms, expire_ms;
	struct sockaddr_in disc_addr;	/* where announcements go */
	pthread_t thread;
	int thread_started;

	/* net->lock must be held: */
	int stop;
	int users;			/* calls using the link */
	pthread_cond_t cond;		/* replies, users leaving */
	struct mn_net_peer_info peers[MN_NET_MAX_PEERS];
	size_t npeers;
	struct net_ping_slot pings[NET_PING_SLOTS];
	struct net_probe_slot probes[NET_PROBE_SLOTS];
	uint32_t next_seq;
	/* peer events, rate-limited (net_peer.c): this window's */
	uint64_t ev_window_ns;		/* start, MicronOS time */
	unsigned ev_listed;		/* published one by one */
	unsigned ev_joined, ev_left;	/* counted for the summary */
};

/* At most this many peer events one by one per window; the rest summed. */
#define NET_PEER_EVENTS_MAX 4
#define NET_PEER_EVENTS_WINDOW_MS 10000

struct mn_net {
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* calls dropped to 0; lock */
	char name[MN_NET_NAME_MAX];	/* sanitised instance name */
	uint64_t id;			/* random instance id */
	struct mn_evbus *bus;
	const struct mn_clock *clock;
	int32_t netd_pid;
	uint64_t self_netns;		/* the daemon's own namespace */

	/* lock must be held: */
	enum mn_net_policy policy;
	struct net_port_range ports[NET_PORT_RANGES_MAX];
	int nports;			/* 0: every port */
	struct net_sock **socks;	/* by ascending sd */
	size_t nsocks, cap;
	int next_sd;
	struct net_antenna ant[MN_NET_MAX_ANTENNAS];
	int calls;			/* socket calls in progress */
	int stopping;
	mn_net_socket_fn *factory;
	void *factory_arg;
	mn_net_owners_fn *owners;
	void *owners_arg;
	int watch_own;			/* discover in our own namespace */
	struct net_ns ns[NET_NS_MAX];	/* ino and nsfd: lock; diag: sync */
	int nns;

	pthread_mutex_t sync_lock;	/* one sync at a time; ns[].diag */
	int own_diag;			/* diag socket of our namespace; sync */

	struct net_p2p *p2p;		/* the peer link; see net_peer.c */
	char p2p_error[160];		/* why the link is not there; lock */

	/* The kernel glue (net.c): set and read by the stage only. */
	struct mn_kernel *k;
	int sync_timer, announce_timer, watch_id;
};

/* --- net.c ---------------------------------------------------------------- */

uint64_t mn__net_now(struct mn_net *net);
/* Counts a call in net->calls (destroy waits for them): 0 or -ENETDOWN. */
int mn__net_enter(struct mn_net *net);
void mn__net_leave(struct mn_net *net);
/* Classifies an address: 1 loopback, 0 wildcard, 2 other, -EINVAL. */
int mn__net_addr_class(const struct sockaddr *sa, socklen_t len);

/* --- net_sock.c ----------------------------------------------------------- */

/* Finds a record by sd (lock held), NULL if none. */
struct net_sock *mn__net_find(struct mn_net *net, int sd);
/* Flags of mn__net_sock_add(). */
#define NET_ADD_HELD 0x1	/* the record owns fd from now on */
#define NET_ADD_KERNEL 0x2	/* the peer link's socket */
#define NET_ADD_ACCEPTED 0x4	/* came out of a listener */

/*
 * Adds a record for host descriptor fd (held: the record owns fd on
 * success; otherwise fd is only looked at; an observed socket already in
 * the table gives its sd).  Lock NOT held: reads the socket from the host
 * first.  antenna -1: by its addresses.  Returns the sd or -errno (fd
 * untouched on error).
 */
int mn__net_sock_add(struct mn_net *net, int fd, unsigned flags,
		     int32_t pid, uint32_t uid, int antenna);
/* Ends a call's use of s->fd; closes it if it was released (lock held). */
void mn__net_unpin(struct mn_net *net, struct net_sock *s);
/* Lets go of s->fd: now, or when the last pin goes (lock held). */
void mn__net_release_fd(struct mn_net *net, struct net_sock *s);
/* Removes records closed for MN_NET_CLOSED_LINGER_MS (lock held). */
void mn__net_sock_reap(struct mn_net *net);
/*
 * Records a socket found by discovery, with no descriptor (lock NOT held);
 * nothing if the table has it already.  Returns the sd, 0, or -errno.
 */
int mn__net_sock_add_obs(struct mn_net *net, const struct net_obs *o,
			 uint64_t netns, int32_t pid, uint32_t uid);
/* Drops a record now (peer link stop); closes a held fd.  Lock NOT held. */
void mn__net_sock_drop(struct mn_net *net, int sd);
/* Adds traffic to a record (lock NOT held). */
void mn__net_sock_count(struct mn_net *net, int sd, int tx, size_t bytes);
/* Changes a record's state with events (lock held). */
void mn__net_set_state(struct mn_net *net, struct net_sock *s, int state);
/* The antenna a record belongs to by its addresses (lock held). */
int mn__net_antenna_of(struct mn_net *net, const struct net_sock *s);
void mn__net_sock_free_all(struct mn_net *net);
/* Copies a record (lock held). */
void mn__net_sock_copy(const struct net_sock *s, struct mn_net_sock_info *o);

/* --- net_sync.c ----------------------------------------------------------- */

/* Takes what the host said about s (lock held); from_dump: via sock_diag. */
void mn__net_apply_obs(struct mn_net *net, struct net_sock *s,
		       const struct net_obs *o, int from_dump);

/* --- net_antenna.c -------------------------------------------------------- */

void mn__net_antennas_init(struct mn_net *net);
/* host0's presence follows the policy (lock held). */
void mn__net_antennas_policy(struct mn_net *net);
/* 1 if antenna i is present and up (lock held). */
int mn__net_antenna_up(struct mn_net *net, int i);
/* A record leaves: its counters go to its antenna's totals (lock held). */
void mn__net_antenna_retire(struct mn_net *net, const struct net_sock *s);
/* p2p0's errors and drops (lock NOT held). */
void mn__net_antenna_error(struct mn_net *net, int i, int rx, int drop);

/* --- net_peer.c / net_p2p.c ----------------------------------------------- */

/* Opens the link (sockets, thread).  0 or -errno with a message in err. */
int mn__net_p2p_start(struct mn_net *net, uint16_t port, int lan,
		      uint32_t announce_ms, uint32_t expire_ms,
		      struct mn_strbuf *err);
/* Says BYE, stops the thread, closes the sockets.  Idempotent. */
void mn__net_p2p_stop(struct mn_net *net);
uint32_t mn__net_p2p_announce_ms(struct mn_net *net);
/* HELLO and PROBE to everyone (start, p2p0 up again). */
void mn__net_p2p_hello(struct mn_net *net);
/* The link for a call (users + 1), NULL if there is none; put it back. */
struct net_p2p *mn__net_p2p_get(struct mn_net *net);
void mn__net_p2p_put(struct mn_net *net, struct net_p2p *p);
/* The link for a call that needs p2p0 up: 0, -ENOTCONN, -ENETDOWN. */
int mn__net_p2p_call(struct mn_net *net, struct net_p2p **out);
/*
 * Waits on p->cond (net->lock held) until `deadline` (host monotonic ns),
 * the link stops, or done(arg) (may be NULL) returns nonzero.
 */
void mn__net_p2p_wait(struct mn_net *net, struct net_p2p *p,
		      uint64_t deadline, int (*done)(void *), void *arg);
/* Sends one message from the unicast socket (lock NOT held): 0, -errno. */
int mn__net_p2p_send(struct mn_net *net, struct net_p2p *p, int verb,
		     const struct sockaddr_in *to, uint32_t seq, uint64_t ts,
		     uint64_t probe);
/* Handles one received datagram (net_peer.c; lock NOT held). */
void mn__net_peer_input(struct mn_net *net, struct net_p2p *p,
			const char *buf, size_t len,
			const struct sockaddr_in *from);
/* Forgets peers silent for expire_ms (lock held); returns how many. */
int mn__net_peer_expire(struct mn_net *net, struct net_p2p *p);
/* The `network` lines about peers and the link. */
void mn__net_p2p_describe(struct mn_net *net, struct mn_strbuf *out);

/* The peer protocol's messages (pure; net_peer.c). */
enum {
	NET_MSG_HELLO,
	NET_MSG_BYE,
	NET_MSG_PROBE,
	NET_MSG_PING,
	NET_MSG_PONG,
	NET_MSG__VERBS
};
#define NET_MSG_HAS_TS 0x1
#define NET_MSG_HAS_SEQ 0x2
#define NET_MSG_HAS_PROBE 0x4

struct net_msg {
	int verb;
	char name[MN_NET_NAME_MAX];
	uint64_t id;
	uint16_t port;
	unsigned has;		/* NET_MSG_HAS_* */
	uint64_t ts;
	uint32_t seq;
	uint64_t probe;
};

/* 0, or -EINVAL (malformed), -EPROTO (another magic or version). */
int mn__net_msg_parse(const char *buf, size_t len, struct net_msg *m);
/* The datagram's text into buf (NUL-terminated); returns its length or
 * -ENOSPC. */
int mn__net_msg_format(const struct net_msg *m, char *buf, size_t size);
/* 1 if name is a valid instance name for the protocol. */
int mn__net_name_ok(const char *name);

/* --- net_sys.c ------------------------------------------------------------ */

/* Wires rows 3000-3008 to net (adding the new rows on first use). */
int mn__net_sys_wire(struct mn_syscalls *s, struct mn_net *net);
/* Makes them "missing" again. */
void mn__net_sys_unwire(struct mn_syscalls *s);

/* --- net_diag.c: host observation (kept apart so tests can fake it) ---- */

struct net_obs {
	uint64_t ino;
	int state;		/* enum mn_tcp_state / mn_sock_state, -1 */
	int family, type;
	struct sockaddr_storage local, remote;
	int counters;		/* the byte/packet fields are valid */
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
	uint32_t txq, rxq;
	int protocol;		/* from dumps; descriptors ask the host */
};

/* Reads a socket through a descriptor: 0 or -errno. */
int mn__net_observe_fd(int fd, struct net_obs *o);
/* domain/type/protocol and inode of a socket descriptor; -ENOTSOCK. */
int mn__net_fd_identity(int fd, int *domain, int *type, int *protocol,
			uint64_t *ino);
/*
 * The network namespace of a socket (SIOCGSKNS): its inode, and an open
 * descriptor of it in *nsfd (the caller closes it; may be NULL).
 */
int mn__net_fd_netns(int fd, uint64_t *ino, int *nsfd);
/* Inode of the calling thread's network namespace. */
int mn__net_self_netns(uint64_t *ino);
/* A sock_diag socket in namespace nsfd (-1: our own), or -errno. */
int mn__net_diag_open(int nsfd);
/*
 * Dumps every socket of one family/protocol (IPPROTO_TCP, IPPROTO_UDP)
 * from a diag socket, calling cb for each: 0 or -errno (-ENOENT when the
 * host lacks that protocol's diag module).
 */
int mn__net_diag_dump(int diag, int family, int protocol,
		      void (*cb)(void *arg, const struct net_obs *o),
		      void *arg);

#endif
