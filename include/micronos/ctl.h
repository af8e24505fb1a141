/*
 * ctl - the control socket of a MicronOS instance: server and client.
 *
 * A running instance listens on RUNTIME_DIR/ctl, a SOCK_STREAM UNIX socket of
 * mode 0600.  The server checks each client's SO_PEERCRED: only the
 * instance's own uid and root are served; anyone else gets one error frame
 * and EOF.  Each client has its own thread (at most MN_CTL_MAX_CLIENTS at
 * once; one more is told "too many clients" and closed).
 *
 * The protocol (version 1), documented for users in micronos(1):
 *
 *   request  = VERB [SP ARGUMENT] LF          at most MN_CTL_LINE_MAX bytes
 *   response = *( out / err ) status
 *   out      = "o" SP LENGTH LF BYTES         standard output bytes
 *   err      = "e" SP LENGTH LF BYTES         error output bytes
 *   status   = "x" SP STATUS SP FLAGS LF      end of the response
 *   notice   = "!" SP TEXT LF                 the instance is going down;
 *                                             EOF follows
 *
 * LENGTH, STATUS and FLAGS are decimal.  A client sends one request and
 * reads its whole response before sending the next.  A notice may arrive
 * at any moment, including between responses and instead of a status.
 *
 *   sh LINE        runs a shell line (shell.h); STATUS is its exit status
 *                  and FLAGS its MN_SHELL_F_* bits (exit, live view)
 *   complete LINE  completion candidates for the last word, one per line
 *   info           "key=value" lines: name, version, pid, uptime_ns,
 *                  processes, runtime_dir, data_dir, plus what the program
 *                  added with mn_ctl_set_info() (mount, ...)
 *   down           shuts the instance down: "x 0 0", then a notice and EOF
 *                  when the instance has stopped serving
 *   VERB ...       anything registered with mn_ctl_set_handler(), such as
 *                  the sandbox's "run" (argv, environment, cwd and the
 *                  stdio descriptors passed with SCM_RIGHTS on the request
 *                  line); the handler owns the rest of that conversation
 *
 * An unknown verb or a malformed request gets an err frame and "x 2 0".
 *
 * The server reads a request line without reading past its LF (it peeks
 * first), so a handler receives the connection exactly after the request
 * line, with the descriptors that came with it.
 *
 * Locking: struct mn_ctl has one mutex guarding its client slots and
 * handler table (a leaf: nothing is called with it held).  Each client has
 * a write mutex so that a notice never lands inside a response.
 */
#ifndef MICRONOS_CTL_H
#define MICRONOS_CTL_H

#include <stddef.h>
#include <sys/types.h>

#include <micronos/strbuf.h>

struct mn_kernel;
struct mn_ctl;
struct mn_ctl_client;

#define MN_CTL_PROTO_VERSION 1
#define MN_CTL_LINE_MAX 8192	/* request line, LF included */
#define MN_CTL_MAX_CLIENTS 32
#define MN_CTL_MAX_FDS 16	/* descriptors per request */
#define MN_CTL_VERB_MAX 15
#define MN_CTL_MAX_HANDLERS 8
/* Largest frame a client accepts (protects it from a broken server). */
#define MN_CTL_FRAME_MAX (64U << 20)

/* What a registered handler receives. */
struct mn_ctl_request {
	struct mn_ctl *ctl;	/* borrowed */
	int fd;			/* the connection, positioned after the
				 * request line; borrowed: ctl closes it */
	const char *verb;	/* borrowed, valid during the call */
	const char *arg;	/* the rest of the line, no LF; borrowed */
	int *fds;		/* descriptors that came with the request;
				 * TAKEN OVER: the handler closes them (or
				 * keeps them) */
	int nfds;
	pid_t pid;		/* peer credentials (SO_PEERCRED) */
	uid_t uid;
	gid_t gid;
};

/*
 * A handler owns the conversation on req->fd until it returns.  Return 0 to
 * let the server go on reading requests from the connection, or nonzero to
 * have it closed.  When the instance goes down, the server shuts the fd
 * down (reads return 0, writes fail with EPIPE): a handler blocked on it
 * returns promptly, and mn_ctl_stopping() is 1.  Handlers write frames with
 * mn_ctl_send_frame()/mn_ctl_send_status() or a protocol of their own.
 */
typedef int (*mn_ctl_handler_fn)(void *arg, struct mn_ctl_request *req);

/* --- server ------------------------------------------------------------ */

/*
 * Creates a server for kernel `k` (borrowed, must outlive it) that will
 * listen on `path` (copied; at most 107 bytes, else -ENAMETOOLONG).
 * Nothing runs until mn_ctl_start().
 */
int mn_ctl_create(struct mn_ctl **out, struct mn_kernel *k, const char *path);
/*
 * Binds (replacing a stale socket file), sets mode 0600, listens and starts
 * the accept thread.  -errno on failure (nothing left running).
 */
int mn_ctl_start(struct mn_ctl *ctl);
/*
 * Stops accepting, sends "! REASON" to every idle or busy shell client,
 * shuts every connection down, joins the threads and removes the socket
 * file.  Idempotent.  Must not be called from a ctl thread (a handler or
 * the down callback): use the down callback to wake another thread.
 */
void mn_ctl_stop(struct mn_ctl *ctl, const char *reason);
/* Stops if needed, then frees; accepts NULL. */
void mn_ctl_destroy(struct mn_ctl *ctl);

/* 1 once mn_ctl_stop() has begun. */
int mn_ctl_stopping(struct mn_ctl *ctl);
/* Clients connected right now. */
int mn_ctl_clients(struct mn_ctl *ctl);

/*
 * Registers `fn` for requests whose first word is `verb` (1..15 bytes of
 * [a-z0-9_-]); `arg` is borrowed.  The built-in verbs (sh, complete, info,
 * down) cannot be replaced.  fn NULL removes a handler.  -EINVAL bad verb,
 * -EEXIST a built-in, -ENOSPC table full.  Safe at any time.
 */
int mn_ctl_set_handler(struct mn_ctl *ctl, const char *verb,
		       mn_ctl_handler_fn fn, void *arg);
/*
 * Called (from a client thread) when a client asks for `down`; it should
 * wake the thread that owns the instance, which then calls mn_ctl_stop()
 * and shuts the kernel down.  Without it, `down` is refused.
 */
void mn_ctl_set_down(struct mn_ctl *ctl, void (*fn)(void *arg), void *arg);
/* Adds or replaces a "key=value" line of the info reply (copied). */
int mn_ctl_set_info(struct mn_ctl *ctl, const char *key, const char *value);

/* Frame writers for handlers: 0 or -errno (EPIPE when the peer left). */
int mn_ctl_send_frame(int fd, char tag, const void *data, size_t len);
int mn_ctl_send_status(int fd, int status, unsigned flags);

/* --- client ------------------------------------------------------------ */

/* A decoded response. */
struct mn_ctl_reply {
	struct mn_strbuf out;	/* "o" frames, concatenated */
	struct mn_strbuf err;	/* "e" frames */
	int status;
	unsigned flags;
	char notice[256];	/* text of a "!" notice, or "" */
};

void mn_ctl_reply_init(struct mn_ctl_reply *r);
void mn_ctl_reply_release(struct mn_ctl_reply *r);

/*
 * Connects to the socket at `path`.  -ENOENT/-ECONNREFUSED when no instance
 * listens there, -EACCES when refused.
 */
int mn_ctl_client_connect(struct mn_ctl_client **out, const char *path);
void mn_ctl_client_destroy(struct mn_ctl_client *cl);
/* The socket, for poll(): readable while idle means a notice or EOF. */
int mn_ctl_client_fd(struct mn_ctl_client *cl);
/*
 * Sends "VERB ARG\n" (arg may be NULL), with `fds` (nfds may be 0) attached
 * by SCM_RIGHTS.  -EINVAL for a LF in arg or a bad verb, -E2BIG too long.
 */
int mn_ctl_client_send(struct mn_ctl_client *cl, const char *verb,
		       const char *arg, const int *fds, int nfds);
/*
 * Reads one response into `r` (reset first).  Returns 0 at its status frame;
 * -ESHUTDOWN after a notice (r->notice set) or EOF (notice "connection
 * closed"); -EPROTO for a malformed frame; -errno for an I/O error.
 */
int mn_ctl_client_reply(struct mn_ctl_client *cl, struct mn_ctl_reply *r);
/* send + reply. */
int mn_ctl_client_call(struct mn_ctl_client *cl, const char *verb,
		       const char *arg, struct mn_ctl_reply *r);

#endif
