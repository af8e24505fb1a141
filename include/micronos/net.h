/*
 * net - the MicronOS network: sockets (TCP with RFC 793's states, UDP),
 * antennas (its interfaces) and peers (other instances found and pinged).
 *
 * Sockets.  Every MicronOS socket is a real host socket.  The table records
 * each one under a MicronOS socket descriptor `sd` (1, 2, ...; never reused
 * within an instance): domain, type, protocol, state (TCP's RFC 793 states,
 * see tcp.h, or unbound/bound/connected), local and remote address, owner
 * pid and uid, the socket's inode, byte and packet counters, times.  A
 * socket is either *held* (the daemon owns a host descriptor of it: created
 * with mn_net_socket() or accepted by mn_net_accept()) or *observed* (its
 * descriptors belong to a program: handed over with mn_net_take_fd() or
 * registered with mn_net_adopt_fd()).  mn_net_sync() reads the real state of
 * every socket from the host - TCP_INFO on held descriptors, sock_diag
 * (NETLINK_SOCK_DIAG, what ss(8) uses) in the socket's own network
 * namespace for observed ones - so the table follows the real connection,
 * including the closing states after the owner closed its descriptor (the
 * orphaned connection is matched by its addresses).  A change to or from
 * ESTABLISHED publishes NetworkConnected / NetworkDisconnected (source
 * network, the owner's pid).  Closed sockets stay listed as CLOSED for
 * MN_NET_CLOSED_LINGER_MS, then leave the table.
 *
 * Why observed sockets are not kept open by the daemon: a duplicate held by
 * the daemon would keep the connection alive after the program closed it
 * (no FIN until the last descriptor goes), which programs notice.  A caller
 * that wants that anyway (no sock_diag) passes MN_NET_ADOPT_DUP.
 *
 * Policy (config net.policy, net.allow_ports): none and loopback allow only
 * loopback addresses (connect/sendto elsewhere: -ENETUNREACH; bind to a
 * non-loopback address: -EADDRNOTAVAIL; the wildcard address is fine);
 * host allows every address.  A port outside the allow-list fails with
 * -EACCES (bind to port 0 - "any port" - is always allowed).  A socket or
 * address on an antenna that is down fails with -ENETDOWN.  The same checks
 * are exported (mn_net_check_bind/_connect) for the sandbox's supervisor.
 *
 * Antennas are MicronOS's network interfaces: lo (loopback addresses), p2p0
 * (the peer link below) and host0 (everything else; present only when the
 * policy is host).  Each has a state, an MTU, an address and counters that
 * add up the traffic of its sockets.  Taking one down makes the calls of its
 * sockets fail with -ENETDOWN; p2p0 down also stops announcements and drops
 * what peers send.
 *
 * Peers.  Instances on one host (or a LAN with net.p2p.lan) find each other
 * with text datagrams; see "The peer protocol" below.
 *
 * Locking: one mutex per network guards the table, antennas, peers and the
 * cached policy; only the event bus (a leaf) is called under it.  Host calls
 * that may block (connect, accept, recv, poll, sock_diag) run without it;
 * a socket in use by such a call is pinned so that its descriptor cannot be
 * closed under it.  Syncs are serialised by a second mutex that is never
 * taken while the first is held.  All functions are safe from any thread.
 */
#ifndef MICRONOS_NET_H
#define MICRONOS_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <micronos/strbuf.h>
#include <micronos/tcp.h>

struct mn_kernel;
struct mn_evbus;
struct mn_clock;
struct mn_net;

/* The peer protocol's default discovery port (config net.p2p.port). */
#define MN_NET_P2P_PORT_DEFAULT 47800
#define MN_NET_ANNOUNCE_MS_DEFAULT 1000
#define MN_NET_EXPIRE_MS_DEFAULT 5000
#define MN_NET_SYNC_MS_DEFAULT 250
#define MN_NET_DISCOVER_MS_DEFAULT 500
/* How long a closed socket stays listed. */
#define MN_NET_CLOSED_LINGER_MS 10000
#define MN_NET_MAX_SOCKETS 4096
#define MN_NET_MAX_PEERS 64
#define MN_NET_NAME_MAX 64		/* instance names, with the NUL */
#define MN_NET_ANTENNA_NAME_MAX 16	/* IFNAMSIZ */
#define MN_NET_MAX_ANTENNAS 3
/* Longest peer datagram; longer ones are dropped as errors. */
#define MN_NET_MSG_MAX 512

enum mn_net_policy {
	MN_NET_POLICY_NONE,	/* loopback only, in the sandbox's own
				 * namespace */
	MN_NET_POLICY_LOOPBACK,	/* loopback only */
	MN_NET_POLICY_HOST,	/* every address */
	MN_NET_POLICY__COUNT
};

/*
 * A socket's state: TCP's (enum mn_tcp_state, same values) for inet stream
 * sockets, and for unix stream sockets CLOSED / LISTEN / ESTABLISHED; the
 * three below for datagram sockets.
 */
enum mn_sock_state {
	MN_SOCK_UNBOUND = MN_TCP__STATES,
	MN_SOCK_BOUND,
	MN_SOCK_CONNECTED,
	MN_SOCK__STATES
};

/* A copy of one socket's record. */
struct mn_net_sock_info {
	int sd;				/* MicronOS socket descriptor */
	int domain;			/* AF_INET, AF_INET6, AF_UNIX */
	int type;			/* SOCK_STREAM, SOCK_DGRAM */
	int protocol;			/* IPPROTO_TCP, IPPROTO_UDP, 0 */
	int state;			/* enum mn_tcp_state/mn_sock_state */
	struct sockaddr_storage local;	/* family 0: none */
	struct sockaddr_storage remote;	/* family 0: none */
	int32_t pid;			/* owner */
	uint32_t uid;
	uint64_t ino;			/* the host socket's inode */
	uint64_t netns;			/* inode of its network namespace */
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
	uint32_t tx_queue, rx_queue;	/* bytes queued (TCP) */
	uint64_t created_ns;		/* MicronOS times */
	uint64_t changed_ns;		/* last state change */
	int held;			/* the daemon holds a descriptor */
	int antenna;			/* index, -1: none (unix) */
	uint64_t transitions;		/* TCP transitions seen */
	uint64_t anomalies;		/* observed jumps no path explains */
};

struct mn_net_antenna_info {
	char name[MN_NET_ANTENNA_NAME_MAX];	/* "lo", "p2p0", "host0" */
	const char *kind;		/* "loopback", "p2p", "ether"; static */
	int index;			/* ifindex: 1, 2, 3 */
	int up;
	uint32_t mtu;
	char address[18];		/* "02:4d:..." */
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
	uint32_t sockets;		/* open sockets on it */
};

struct mn_net_peer_info {
	char name[MN_NET_NAME_MAX];
	uint64_t id;			/* the instance's random id */
	struct sockaddr_storage addr;	/* its unicast address */
	uint64_t first_ns, last_ns;	/* MicronOS times heard */
	uint64_t rtt_ns;		/* last measured round trip, 0: none */
	uint64_t messages;		/* datagrams received from it */
};

/* Options for mn_net_create().  Strings are copied. */
struct mn_net_opts {
	const char *name;		/* instance name ("default" if NULL) */
	struct mn_evbus *bus;		/* borrowed, may be NULL */
	const struct mn_clock *clock;	/* borrowed, may be NULL */
	enum mn_net_policy policy;
	const char *allow_ports;	/* NULL or "": every port */
	int32_t netd_pid;		/* pid peer events carry; 0 */
	/* Peers: 0 for the defaults above. */
	uint16_t p2p_port;
	int p2p_lan;			/* also announce on the LAN */
	int no_p2p;			/* no peer link at all (unit tests) */
	uint32_t announce_ms, expire_ms;
};

/* --- life cycle ----------------------------------------------------------- */

/*
 * Creates a network: antennas, an empty table, and (unless no_p2p) the
 * peer link - its sockets bound and its receive thread running; it
 * announces itself at once.  Announcing again and expiring silent peers is
 * mn_net_tick()'s job, syncing the table mn_net_sync()'s (netd's timers
 * call both; tests may call them directly).  -errno with a message in err
 * (may be NULL).
 */
int mn_net_create(struct mn_net **out, const struct mn_net_opts *opts,
		  struct mn_strbuf *err);
/*
 * Says BYE to peers, stops the receive thread (joined), wakes and waits
 * for calls blocked in host calls (their sockets are shut down), closes
 * every descriptor the daemon holds, frees.  Accepts NULL.
 */
void mn_net_destroy(struct mn_net *net);

/*
 * The kernel's network: registers a hook on MN_STAGE_NET that registers
 * the net.* config keys, creates the network from them, stores it in
 * MN_SLOT_NET, wires the network syscalls (socket 3000, bind 3001, connect
 * 3002, listen 3003, accept 3004, shutdown 3005, sockclose 3006, sendto
 * 3007, recvfrom 3008), creates the kernel task "netd" and its timers
 * ("net.sync", "net.announce"), and watches net.* keys (policy and ports
 * apply at once; a net.p2p.* change restarts the peer link).  The stop
 * undoes all of it.  Call before mn_kernel_boot().
 */
int mn_net_attach(struct mn_kernel *k);
/*
 * The rows the network adds to the syscall table (the base table's 3000
 * socket, 3001 bind, 3003 listen and 3004 accept are syscall.h's), and the slot of
 * the `via` argument: bind, connect, listen, accept and shutdown take in
 * args[MN_NET_SYS_VIA] a host descriptor of the socket plus one (0: none),
 * see mn_net_bind().  accept takes accept4's flags in args[3].
 */
enum mn_net_sysno {
	MN_SYS_CONNECT = 3002,		/* sd, addr, addrlen */
	MN_SYS_SHUTDOWN = 3005,		/* sd, how */
	MN_SYS_SOCKCLOSE = 3006,	/* sd */
	MN_SYS_SENDTO = 3007,		/* sd, buf, len, flags, addr, addrlen */
	MN_SYS_RECVFROM = 3008,		/* sd, buf, len, flags, addr, lenp */
};
#define MN_NET_SYS_VIA 5

/* The kernel's network (borrowed), NULL outside the net stage. */
struct mn_net *mn_net_of(struct mn_kernel *k);
/*
 * The same as a counted reference, for callers that may run while the
 * stage stops (shell commands, generated files): NULL when there is no
 * network; give it back with mn_net_put().  The stop waits for every
 * reference to come back.
 */
struct mn_net *mn_net_get(struct mn_kernel *k);
void mn_net_put(struct mn_net *net);

/* --- policy ----------------------------------------------------------------*/

/* "none", "loopback", "host"; "?" out of range. */
const char *mn_net_policy_name(enum mn_net_policy policy);
int mn_net_policy_parse(const char *name);	/* the policy or -EINVAL */
void mn_net_set_policy(struct mn_net *net, enum mn_net_policy policy);
enum mn_net_policy mn_net_policy(struct mn_net *net);
/*
 * Port list: "" (every port), or comma-separated ports and ranges
 * "8000-9000,53" (1..65535, at most 32 items, blanks allowed around items).
 * mn_net_ports_check: 0 or -EINVAL with a reason in err (may be NULL).
 * mn_net_set_ports: the same check, then applies it.
 */
int mn_net_ports_check(const char *list, struct mn_strbuf *err);
int mn_net_set_ports(struct mn_net *net, const char *list,
		     struct mn_strbuf *err);
/* 1 if the allow-list admits the port. */
int mn_net_port_allowed(struct mn_net *net, uint16_t port);

/*
 * The checks the syscalls make, for the sandbox's supervisor too: 0, or
 * -EAFNOSUPPORT / -EINVAL (malformed address), -ENETUNREACH,
 * -EADDRNOTAVAIL, -EACCES, -ENETDOWN as described at the top.  Unix
 * addresses pass (the file system decides).  `sa` is borrowed.
 */
int mn_net_check_bind(struct mn_net *net, int32_t pid,
		      const struct sockaddr *sa, socklen_t len);
int mn_net_check_connect(struct mn_net *net, int32_t pid,
			 const struct sockaddr *sa, socklen_t len);
/* 1 for the domains MicronOS sockets cover (inet, inet6, unix). */
int mn_net_domain_handled(int domain);

/* --- sockets ---------------------------------------------------------------*/

/*
 * Where new sockets are created: fn(arg, pid, domain, type, protocol)
 * returns a host descriptor or -errno.  The sandbox sets one that creates
 * them in its network namespace; NULL (the default) calls socket(2) in the
 * daemon's.  `arg` is borrowed until replaced.
 */
typedef int mn_net_socket_fn(void *arg, int32_t pid, int domain, int type,
			     int protocol);
void mn_net_set_socket_factory(struct mn_net *net, mn_net_socket_fn *fn,
			       void *arg);

/*
 * The socket calls.  Each takes the calling pid (and uid at creation); a
 * pid may use only the sockets it owns, unless it proves it holds one by
 * passing `via`, a host descriptor of the same socket (the supervisor's
 * copy of the program's descriptor; borrowed, -1 for none), which the call
 * then uses.  Results are Linux's: 0 / a count / a new sd, or -errno from
 * the host call or the checks above; -EBADF for an unknown sd, or one that
 * neither belongs to pid nor matches via; -ENOTSOCK... as the host says.
 * Calls may block as the host call does (connect, accept, recvfrom on a
 * blocking socket).  Pathname unix addresses are refused (-EOPNOTSUPP):
 * the daemon must not create files in its own mount namespace on a
 * program's behalf; abstract ones are fine.
 */
int mn_net_socket(struct mn_net *net, int32_t pid, uint32_t uid, int domain,
		  int type, int protocol);
int mn_net_bind(struct mn_net *net, int32_t pid, int sd,
		const struct sockaddr *sa, socklen_t len, int via);
int mn_net_connect(struct mn_net *net, int32_t pid, int sd,
		   const struct sockaddr *sa, socklen_t len, int via);
int mn_net_listen(struct mn_net *net, int32_t pid, int sd, int backlog,
		  int via);
/* addr/len may be NULL; flags: SOCK_NONBLOCK, SOCK_CLOEXEC. */
int mn_net_accept(struct mn_net *net, int32_t pid, int sd,
		  struct sockaddr *addr, socklen_t *len, int flags, int via);
int mn_net_shutdown(struct mn_net *net, int32_t pid, int sd, int how,
		    int via);
/*
 * Closes the daemon's descriptor (held) or forgets the program's socket
 * (observed: sync notices the real close).  The record stays as it closes.
 */
int mn_net_close(struct mn_net *net, int32_t pid, int sd);
/* Datagrams (and stream data) through a held socket, counted. */
ssize_t mn_net_sendto(struct mn_net *net, int32_t pid, int sd,
		      const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen);
ssize_t mn_net_recvfrom(struct mn_net *net, int32_t pid, int sd, void *buf,
			size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen);

/* Flags of mn_net_adopt_fd(). */
#define MN_NET_ADOPT_DUP 0x1	/* keep a duplicate and observe through it
				 * (closing by the program then sends no
				 * FIN while the daemon holds it) */

/*
 * Records a socket a program holds (fd is borrowed: the daemon keeps it
 * only with MN_NET_ADOPT_DUP).  Reads its domain, type, protocol, inode,
 * addresses, state and network namespace.  Adopting a socket already in
 * the table returns its sd.  Returns the sd, or -ENOTSOCK, -EAFNOSUPPORT
 * (not inet/inet6/unix), -ENFILE (table full), -errno.
 */
int mn_net_adopt_fd(struct mn_net *net, int32_t pid, uint32_t uid, int fd,
		    unsigned flags);
/*
 * Hands the daemon's descriptor of a held socket to the caller (who owns
 * it from now on, e.g. to inject it into a program and close its copy);
 * the socket becomes observed.  Returns the descriptor, or -EBADF.
 */
int mn_net_take_fd(struct mn_net *net, int sd);
/* The sd of the socket behind a host descriptor (by inode), or -ENOENT. */
int mn_net_lookup_fd(struct mn_net *net, int fd);
/*
 * A process exited: closes the descriptors the daemon holds for it.  The
 * records stay as they close.  Returns how many were closed.
 */
int mn_net_release_pid(struct mn_net *net, int32_t pid);

/*
 * Discovery: every sync also dumps the sockets of each watched network
 * namespace and records those it did not know that belong to a MicronOS
 * process (as the owners function says), as observed sockets.  So a
 * program's sockets are listed even when the supervisor let its calls run
 * natively.  nsfd: a descriptor of the namespace (duplicated; the caller
 * keeps its own), -1 for the daemon's own.  0, -ENOSPC (8 namespaces),
 * -errno.
 */
int mn_net_watch_netns(struct mn_net *net, int nsfd);

/* Who holds a socket: filled by the owners function. */
struct mn_net_owner {
	uint64_t ino;		/* the socket's inode */
	int32_t pid;		/* MicronOS pid holding it */
	uint32_t uid;		/* MicronOS uid */
};
/*
 * Lists the sockets MicronOS processes hold (up to max into out) and
 * returns how many there are, or -errno.  Called by sync, without the
 * network's lock, only when a watched namespace has sockets the table
 * does not know.  The kernel's network (mn_net_attach) sets one that reads
 * /proc/HOSTPID/fd of every process with a host pid.
 */
typedef int mn_net_owners_fn(void *arg, struct mn_net_owner *out,
			     size_t max);
void mn_net_set_owners(struct mn_net *net, mn_net_owners_fn *fn, void *arg);

/* One record; -EBADF if the sd is unknown. */
int mn_net_sock_info(struct mn_net *net, int sd, struct mn_net_sock_info *out);
/*
 * Copies up to max records by ascending sd; returns how many there are
 * (may exceed max; out may be NULL when max is 0).
 */
size_t mn_net_sock_list(struct mn_net *net, struct mn_net_sock_info *out,
			size_t max);
/*
 * Reads the real state of every socket and updates the table (see the
 * top).  Returns the number of sockets whose state changed, or -errno.
 */
int mn_net_sync(struct mn_net *net);

/* "tcp", "udp", "tcp6", "udp6", "unix", "unix-dgram"... for a record. */
const char *mn_net_sock_proto_name(const struct mn_net_sock_info *info);
/* A state's name: "ESTABLISHED", "UNBOUND", "BOUND", "CONNECTED". */
const char *mn_sock_state_name(int state);
/*
 * An address as text: "127.0.0.1:8080", "[::1]:53", "*:80" (wildcard),
 * "/run/x.sock", "@abstract", "-" (none).  Into buf; returns buf.
 */
const char *mn_net_addr_str(const struct sockaddr_storage *ss, char *buf,
			    size_t size);
/*
 * Parses "HOST:PORT" ("127.0.0.1:80", "[::1]:80", "localhost:80",
 * ":80" for the wildcard) into *out: 0 or -EINVAL.
 */
int mn_net_addr_parse(const char *text, struct sockaddr_storage *out,
		      socklen_t *len);

/*
 * The shell's `sockets` (syncs first): an aligned table
 *   SD  PROTO  STATE  LOCAL  REMOTE  PID  INODE  TX  RX  AGE
 * and a summary line.  0 or -ENOMEM.
 */
int mn_net_format_sockets(struct mn_net *net, struct mn_strbuf *out);

/* --- antennas --------------------------------------------------------------*/

/* Copies up to max antennas by index; returns how many there are. */
size_t mn_net_antenna_list(struct mn_net *net,
			   struct mn_net_antenna_info *out, size_t max);
/* One antenna by name: 0 or -ENODEV. */
int mn_net_antenna_get(struct mn_net *net, const char *name,
		       struct mn_net_antenna_info *out);
/*
 * Up (1) or down (0): 0 (also when it already was), -ENODEV.  Publishes
 * NetworkConnected / NetworkDisconnected "antenna NAME up|down".
 */
int mn_net_antenna_set(struct mn_net *net, const char *name, int up);
/* `antenna`: the table of antennas; `antenna NAME`: one in detail. */
int mn_net_format_antennas(struct mn_net *net, struct mn_strbuf *out);
int mn_net_format_antenna(struct mn_net *net, const char *name,
			  struct mn_strbuf *out);

/*
 * --- peers -------------------------------------------------------------------
 *
 * The peer protocol (version 1).  Each instance binds two UDP sockets:
 *  - the discovery socket, the shared port P (net.p2p.port, 47800), bound
 *    to 127.255.255.255 - the loopback broadcast address, so that every
 *    instance on the host gets each announcement - with SO_REUSEADDR and
 *    SO_REUSEPORT; with net.p2p.lan it is bound to 0.0.0.0 and also hears
 *    LAN broadcasts;
 *  - its unicast socket, 127.0.0.1 (LAN: 0.0.0.0) on a port of its own.
 * Messages are one datagram of printable ASCII, at most MN_NET_MSG_MAX
 * bytes, sent from the unicast socket:
 *
 *   MICRONOS/1 VERB key=value key=value ...
 *
 * Keys: name=<instance name: [A-Za-z0-9._-], 1..63>, id=<16 hex digits,
 * random per boot>, port=<the sender's unicast port>, ts=<sender's
 * monotonic ns>, seq=<n>, probe=<16 hex digits>.  Unknown keys are ignored;
 * a bad magic, version or value drops the datagram (counted as an rx
 * error of p2p0).  Verbs:
 *
 *   HELLO name id port ts [probe]  announcement, every net.p2p.announce_ms
 *                                  to P (and 255.255.255.255:P with lan);
 *                                  with probe=X, a unicast answer to PROBE
 *   BYE   name id port             leaving (at shutdown), to P
 *   PROBE name id port probe       "who is there?" to P; everyone answers
 *                                  HELLO probe=X to the sender's port
 *   PING  name id port seq ts      echo request, unicast
 *   PONG  name id port seq ts      echo reply, unicast, ts copied back
 *
 * A peer is listed from its first HELLO (NetworkConnected "peer NAME
 * joined ...") until its BYE or net.p2p.expire_ms of silence
 * (NetworkDisconnected "peer NAME left ...").  Messages carrying our own
 * id are ignored.
 */

/* This instance's random id, and the unicast port it listens on (0: no
 * peer link). */
uint64_t mn_net_instance_id(struct mn_net *net);
uint16_t mn_net_p2p_unicast_port(struct mn_net *net);
/*
 * Netd's periodic work: announce (when p2p0 is up) and expire silent
 * peers.  Returns the number of peers that left.
 */
int mn_net_tick(struct mn_net *net);
/* Copies up to max peers, most recently heard first; returns the count. */
size_t mn_net_peer_list(struct mn_net *net, struct mn_net_peer_info *out,
			size_t max);
/*
 * Probes for peers and waits timeout_ms for answers (1..10000).  Copies up
 * to max that answered (rtt_ns = the probe's round trip) into out and
 * returns how many answered, or -ENETDOWN (p2p0 down), -ENOTCONN (no peer
 * link), -EINVAL.
 */
int mn_net_discover(struct mn_net *net, int timeout_ms,
		    struct mn_net_peer_info *out, size_t max);

/* What mn_net_ping() measured. */
struct mn_net_ping_stats {
	int sent, received;
	uint64_t min_ns, avg_ns, max_ns, mdev_ns;
	uint64_t total_ns;		/* first send to last reply/timeout */
};
/*
 * Pings a peer named by its name, its id (or a unique prefix of 4 or more
 * hex digits), or "ADDR:PORT": count echo requests (1..100) interval_ms
 * apart (0: 1000), each waited for up to timeout_ms (0: 1000).  Prints
 * ping(8)-style lines into out (may be NULL) and fills st (may be NULL).
 * Returns the number of replies, or -ENOENT (no such peer), -ENOTUNIQ
 * (several peers have that name: out lists their ids), -ENETDOWN,
 * -ENOTCONN, -EINVAL.
 */
int mn_net_ping(struct mn_net *net, const char *peer, int count,
		int interval_ms, int timeout_ms, struct mn_net_ping_stats *st,
		struct mn_strbuf *out);

/* `scan`: the peers heard recently (NAME ID ADDRESS LAST-HEARD RTT). */
int mn_net_format_peers(struct mn_net *net, struct mn_strbuf *out);
/* `discover`: probes and lists who answered within timeout_ms. */
int mn_net_format_discover(struct mn_net *net, int timeout_ms,
			   struct mn_strbuf *out);
/* `network`: policy, ports, antennas, sockets by state, peers. */
int mn_net_format_overview(struct mn_net *net, struct mn_strbuf *out);

/*
 * --- generated files (/proc/net, /sys/class/net) -----------------------------
 *
 * The content of /proc/net/FILE in Linux's exact format, for FILE "tcp",
 * "tcp6", "udp", "udp6", "unix", "dev" (syncs first): 0, -ENOENT for
 * another name, -ENOMEM.
 */
int mn_net_render_proc(struct mn_net *net, const char *file,
		       struct mn_strbuf *out);
/*
 * The value of /sys/class/net/ANTENNA/ATTR with its newline: ATTR is
 * "operstate", "mtu", "address", "carrier", "ifindex", "type", "flags",
 * "peers" (p2p0: one line per peer "NAME ID ADDRESS", empty elsewhere) or
 * "statistics/NAME" with NAME one of Linux's counter files (rx_bytes ...).
 * 0, -ENODEV (no antenna), -ENOENT (no attribute), -ENOMEM.
 */
int mn_net_render_sys(struct mn_net *net, const char *antenna,
		      const char *attr, struct mn_strbuf *out);
/*
 * A control write to /sys/class/net/ANTENNA/operstate: "up" or "down"
 * (surrounding blanks ignored).  0, -ENODEV, -EINVAL.
 */
int mn_net_write_sys(struct mn_net *net, const char *antenna,
		     const char *attr, const char *value);
/* Names of the statistics files, NULL-terminated (static). */
const char *const *mn_net_sys_stat_names(void);

/*
 * Sets the network's gauges in the kernel's stats table (kstats.h):
 * net.sockets, net.tx_bytes and net.rx_bytes of the open sockets.  0, or
 * -errno; no network: 0 and nothing set.  (net_stats.c)
 */
int mn_net_stats_refresh(struct mn_kernel *k);

#endif
