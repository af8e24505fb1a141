/*
 * sandbox - unmodified host programs inside a MicronOS instance.
 *
 * One struct mn_sandbox per instance owns the sandbox *world*: a user
 * namespace (MicronOS uids 0..65535 mapped to an unprivileged host range),
 * a pid namespace whose pid 1 is our init (MicronOS pids ARE its pids), a
 * mount namespace pivoted into a root made of MicronOS's FUSE tree (when
 * the instance mounts one) or a private tmpfs, with read-only host system
 * directories, uts (MicronOS hostname), ipc, cgroup, net (loopback only
 * unless asked) and time (monotonic and boot clocks start at MicronOS
 * boot).  The init forks programs on request; each program runs under a
 * seccomp filter whose trapped calls come to the supervisor, which
 * translates them into MicronOS syscalls (xlate.c).
 *
 * Namespaces are the security boundary; seccomp notification is the
 * transport.  See DESIGN.md, "The sandbox", and micronos-run(1).
 *
 * Files: sandbox.c (create/destroy), world.c (namespaces), rootfs.c (the
 * root), init.c (pid 1), filter.c, supervisor.c (spawn/wait/signal),
 * registry.c (processes, exits, host usage), notify.c + xlate.c (trapped
 * calls), runwire.c (micronos-run's protocol), service.c (the sandbox of a
 * running instance: the "run" verb and the shell's spawn).
 *
 * Threads: mn_sandbox_create() starts a control thread (init's messages,
 * process exits through pidfds, housekeeping, host usage once a second)
 * and one notification thread per spawned program tree (joined once the
 * tree is gone).  All functions are safe from any thread; create it from
 * a long-lived thread.
 */
#ifndef MICRONOS_SANDBOX_H
#define MICRONOS_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/sched.h>
#include <micronos/strbuf.h>

struct mn_kernel;
struct mn_sandbox;

enum mn_sandbox_net {
	MN_SANDBOX_NET_NONE,	/* own network namespace: loopback only */
	MN_SANDBOX_NET_HOST,	/* the host's network */
	MN_SANDBOX_NET_LOOPBACK, /* the host's network; MicronOS's policy
				    (net.policy loopback) admits only its
				    loopback addresses */
};

/* A host path made visible inside.  Strings borrowed during create. */
struct mn_sandbox_bind {
	const char *src;	/* host path */
	const char *dst;	/* absolute path inside; NULL: same as src */
	int writable;		/* 0: read-only bind */
};

/* root_flags */
#define MN_SANDBOX_ROOT_DEV 0x1		/* /dev/null, zero, full, random,
					   urandom from the tree (MicronOS's
					   drivers) instead of the host's */
#define MN_SANDBOX_ROOT_HOSTPROC 0x2	/* /proc is the namespace's procfs,
					   not MicronOS's */
#define MN_SANDBOX_HIDDEN_PROC "/.micronos/proc"	/* the namespace's
					   procfs inside, for magic links */
#define MN_SANDBOX_HOST_ETC "/.micronos/etc"	/* the host's /etc, read-only:
						   /etc's links lead there */

#define MN_SANDBOX_MAX_BINDS 32
#define MN_SANDBOX_UID_BASE 200000	/* host uid of MicronOS uid 0 */
#define MN_SANDBOX_ID_COUNT 65536	/* MicronOS ids 0..65535 */
#define MN_SANDBOX_USER_UID 1000	/* the default MicronOS user */
#define MN_SANDBOX_ARG_MAX (256 * 1024)	/* argv + env + cwd of a spawn */

/*
 * Which host ids stand for MicronOS's ids (idmap.c): host root maps
 * 0..65535 onto 200000..; a user onto its /etc/subuid and /etc/subgid range
 * through newuidmap/newgidmap; a user without one maps a single MicronOS id
 * onto itself and no other id exists.
 */
enum mn_sandbox_idmode {
	MN_SANDBOX_IDS_ROOT,
	MN_SANDBOX_IDS_SUBID,
	MN_SANDBOX_IDS_SINGLE,
};

struct mn_sandbox_ids {
	enum mn_sandbox_idmode mode;
	uint32_t uid_base, gid_base;	/* host id of MicronOS id 0 */
	uint32_t inside;		/* SINGLE: the one MicronOS id */
	uint32_t host_uid, host_gid;	/* SINGLE: the user it maps onto */
	char why[200];			/* SINGLE: why, for people */
};

/*
 * Chooses the map for this process's euid (MICRONOS_IDMAP=single forces
 * the single-id map, to test it).  single_inside: the MicronOS id a
 * single-id map gives this user (MN_SANDBOX_USER_UID, or 0 for --root).
 */
void mn_sandbox_ids_choose(struct mn_sandbox_ids *ids, uint32_t single_inside);
/* Host uid (gid != 0: gid) of MicronOS id `id`, or -1 if it has none. */
int mn_sandbox_ids_host(const struct mn_sandbox_ids *ids, uint32_t id,
			int gid);

struct mn_sandbox_opts {
	const char *hostname;	/* NULL: config kernel.hostname */
	/* MicronOS's tree (its FUSE mount) to build / from; NULL: a private
	   tmpfs with MicronOS's /etc files (see rootfs.c) */
	const char *root_dir;
	unsigned root_flags;	/* MN_SANDBOX_ROOT_*, with root_dir */
	const char *stage_dir;	/* empty host dir to stage the root on;
				   NULL: a temporary one under /tmp */
	enum mn_sandbox_net net;
	const struct mn_sandbox_bind *binds;	/* borrowed during create */
	size_t nbinds;
	uint32_t uid_base;	/* 0: MN_SANDBOX_UID_BASE (root's map) */
	int trace_files;	/* publish DiskRead/DiskWrite for each open */
	/* cgroup limits (cgroup.c); 0: the default named */
	uint64_t run_pids_max;	/* processes of one run: 1024 */
	uint64_t world_pids_max; /* processes of the world: 8192 */
	uint32_t cpu_weight;	/* the world's CPU share, 1..10000: 100 */
	/* the id map; NULL: mn_sandbox_ids_choose(MN_SANDBOX_USER_UID) */
	const struct mn_sandbox_ids *ids;
};

#define MN_SANDBOX_RUN_PIDS 1024
#define MN_SANDBOX_WORLD_PIDS 8192

/*
 * Creates the world and starts the supervisor.  Needs root on the host (the
 * uid range map).  `k` is borrowed and must be booted and outlive the
 * sandbox; the sandbox stores itself in MN_SLOT_SANDBOX.  On failure returns
 * -errno with a message in err (may be NULL) and leaves nothing behind.
 */
int mn_sandbox_create(struct mn_sandbox **out, struct mn_kernel *k,
		      const struct mn_sandbox_opts *opts,
		      struct mn_strbuf *err);
/*
 * Kills every sandboxed process (the pid namespace dies with its init),
 * joins the threads, frees.  Accepts NULL.
 */
void mn_sandbox_destroy(struct mn_sandbox *sb);

/* One program to run.  Everything is copied; pointers are borrowed. */
struct mn_sandbox_spawn {
	const char *const *argv;	/* argv[0] looked up in PATH inside */
	const char *const *envp;	/* NULL: a minimal environment */
	const char *cwd;	/* NULL or missing inside: the user's home */
	int cwd_strict;		/* fail if cwd does not exist inside */
	int fds[3];		/* stdin/out/err; borrowed (dup'd) */
	uint32_t uid, gid;	/* MicronOS credentials */
	enum mn_prio_class prio;
	uint64_t mem_limit;	/* bytes of address space; 0: none */
	int32_t ppid;		/* MicronOS parent; 0: init */
	int trace_files;	/* publish this program tree's opens */
	const char *faults;	/* fault rules for this program tree, one
				   per line (fault.h); NULL: none */
};

/*
 * Starts a program.  Returns its MicronOS pid (which is its pid in the
 * namespace), or -errno with a message naming what is wrong (missing
 * program or interpreter, bad cwd, argument list too long, ...).
 */
int32_t mn_sandbox_spawn(struct mn_sandbox *sb,
			 const struct mn_sandbox_spawn *sp,
			 struct mn_strbuf *err);
/*
 * Waits for a program started by mn_sandbox_spawn() to exit; *status gets
 * its wait status.  timeout_ms < 0 waits forever.  Returns 0, -EAGAIN on
 * timeout, -ECHILD if pid was not spawned here (or already waited for),
 * -ESHUTDOWN if the sandbox is going down.
 */
int mn_sandbox_wait(struct mn_sandbox *sb, int32_t pid, int *status,
		    int timeout_ms);
/*
 * An eventfd (the caller's to close) that becomes readable when the program
 * started by mn_sandbox_spawn() exits; mn_sandbox_wait() with timeout 0
 * then returns its status.  Lets one thread wait for a program and for
 * something else with poll().  -ECHILD as mn_sandbox_wait.
 */
int mn_sandbox_watch(struct mn_sandbox *sb, int32_t pid);
/*
 * Nobody will wait for this program (a background spawn): its record goes
 * when it exits.  -ECHILD if unknown or already waited for.
 */
int mn_sandbox_detach(struct mn_sandbox *sb, int32_t pid);
/*
 * Sends sig to a spawned program's process group through the signal
 * service (SignalReceived is published): what a terminal's ^C does.
 */
int mn_sandbox_signal(struct mn_sandbox *sb, int32_t pid, int sig);

/*
 * For a daemon (`micronos up`): at the end of boot (ready stage) creates
 * the instance's sandbox, registers the control socket's "run" verb for
 * micronos-run and completes the shell's `spawn`; at shutdown ends every
 * run, kills the sandboxed programs and destroys the world.  When the
 * FUSE mount is up (MN_SLOT_FUSE) at mount_dir (borrowed, may be NULL),
 * the sandbox's root is built from it.  ids (copied; NULL: chosen at
 * boot) is the world's id map.  Config keys registered here:
 * sandbox.net, sandbox.dev, sandbox.proc.  A world that cannot be created
 * (no root) does not fail the boot: run and spawn say why.  Call before
 * mn_kernel_boot(); k and ctl are borrowed and must outlive the kernel's
 * shutdown; stop ctl before shutting k down.
 */
struct mn_ctl;
int mn_sandbox_service_attach(struct mn_kernel *k, struct mn_ctl *ctl,
			      const struct mn_sandbox_ids *ids,
			      const char *mount_dir, struct mn_strbuf *err);

/*
 * Kills every process of the run that started as pid (its cgroup: its
 * children, whatever group or session they moved to) and removes the
 * run's cgroup.  0, -EBUSY if some would not go within 2 s, -EOPNOTSUPP
 * when the world has no cgroup (see mn_sandbox_cgroup_info).
 */
int mn_sandbox_kill_tree(struct mn_sandbox *sb, int32_t pid);
/* "cgroup v1 ..." / "cgroup v2 ..." or why there is none, into out. */
void mn_sandbox_cgroup_info(struct mn_sandbox *sb, struct mn_strbuf *out);

/* Host pid of the namespace's init (for tests and `micronos status`). */
int mn_sandbox_init_host_pid(struct mn_sandbox *sb);

/* Counters of the supervisor, for the shell and the benchmark. */
struct mn_sandbox_stats {
	uint64_t notifications;	/* trapped calls received */
	uint64_t answered;	/* answered with a value */
	uint64_t continued;	/* let the kernel run them */
	uint64_t injected;	/* fds injected with ADDFD */
	uint64_t failed;	/* answered with an error by the supervisor */
	uint64_t stale;		/* the caller was gone (ID_VALID failed) */
	uint64_t processes;	/* registered since create */
	uint64_t exits;		/* exits published */
	uint32_t listeners;	/* notification threads running */
};
void mn_sandbox_stats(struct mn_sandbox *sb, struct mn_sandbox_stats *out);

/*
 * Parses "1G", "512M", "4096" into bytes (K/M/G/T binary suffixes).
 * -EINVAL for garbage or zero.
 */
int mn_sandbox_parse_size(const char *s, uint64_t *out);

/* ---- micronos-run's conversation with a running instance (runwire.c) ----
 *
 * The client sends the control-socket request line "run 1" (ctl.h) with
 * its stdin, stdout and stderr attached (SCM_RIGHTS), then one request
 * frame "q LEN\n" + LEN bytes: NUL-terminated "key=value" items (see
 * mn_run_request_encode).  The instance answers with frames in ctl.h's
 * syntax: "p LEN\nPID" once the program runs, "e LEN\nTEXT" for errors and
 * --events lines (the client prints them on stderr), and finally
 * "x CODE 0\n", CODE being what micronos-run exits with.  While the
 * program runs the client sends "s LEN\nSIGNO" for each terminal signal
 * it receives.  If the client goes away the program's process group is
 * killed: a program lives as long as its micronos-run.
 */
#define MN_RUN_VERB "run"
#define MN_RUN_PROTO "1"
#define MN_RUN_REQUEST_MAX (MN_SANDBOX_ARG_MAX + 16384)
#define MN_RUN_ITEMS_MAX 65536	/* argv + env entries */

/* A decoded request; sp.fds are not part of it. */
struct mn_run_request {
	struct mn_sandbox_spawn sp;	/* argv, envp, cwd, ids, prio, ... */
	int events;			/* send the run's events at the end */
	/* storage of a decoded request: */
	char *buf;
	const char **vec;
};

/* Appends r's request payload to out.  0, -EINVAL (no argv), -ENOMEM. */
int mn_run_request_encode(const struct mn_run_request *r,
			  struct mn_strbuf *out);
/*
 * Parses a payload (copied) into r, which must be zeroed.  0, or -EINVAL /
 * -E2BIG / -ENOMEM with a message in err.  Release with
 * mn_run_request_release() in every case.
 */
int mn_run_request_decode(struct mn_run_request *r, const char *data,
			  size_t len, struct mn_strbuf *err);
void mn_run_request_release(struct mn_run_request *r);

/* One frame read from the conversation. */
struct mn_run_frame {
	char tag;		/* 'p', 'e', 'o', 's', 'q', 'x', '!' */
	int code;		/* 'x': its status */
	struct mn_strbuf data;	/* payload; '!': the notice text */
};

/* A buffered frame reader on a stream socket (borrowed fd). */
struct mn_run_reader {
	int fd;
	size_t start, end;	/* unread bytes are buf[start..end) */
	char buf[4096];
};

void mn_run_reader_init(struct mn_run_reader *r, int fd);
/* 1 if a frame's bytes are already buffered (poll() would not say so). */
int mn_run_reader_buffered(const struct mn_run_reader *r);
/*
 * Reads one frame into f (f->data reset first; init it once with
 * MN_STRBUF_INIT).  Each wait for bytes lasts at most timeout_ms (< 0:
 * forever).  Returns 0, -ESHUTDOWN at EOF, -EPROTO for a malformed frame,
 * -E2BIG for a payload larger than max, -ETIMEDOUT, or -errno.
 */
int mn_run_read_frame(struct mn_run_reader *r, struct mn_run_frame *f,
		      size_t max, int timeout_ms);

#endif
