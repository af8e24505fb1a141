/*
 * sandbox_i.h - what the files of sandbox/ share.
 *
 * world.c builds the namespaces and starts init; rootfs.c (inside init)
 * builds the root; init.c is pid 1 and the pre-exec code of every program;
 * wire.c is the message format between supervisor and init; filter.c
 * builds the seccomp program; supervisor.c is the control thread, spawn and
 * process lifecycle; notify.c the notification threads; xlate.c the
 * translation table; aftercall.c records continued set*id and execve once
 * they ran; progcheck.c finds a program and its interpreter.
 *
 * Lock order: sb->lock is taken last; nothing that can block, no other
 * module of the core except the event bus, is called while it is held.
 */
#ifndef MICRONOS_SANDBOX_I_H
#define MICRONOS_SANDBOX_I_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include <micronos/syscall.h>

#include "sandbox.h"

/* Newer than Debian 12's headers (kernel 6.6+ / 6.15+). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Linux 5.19+ */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define SBX_MAX_PATH 4096
#define SBX_HOSTNAME_MAX 64

/* ---- wire.c: supervisor <-> init messages on a SOCK_SEQPACKET pair ---- */

enum sbx_msg_type {
	SBX_MSG_SPAWN = 1,	/* sup -> init: run a program (+3 fds) */
	SBX_MSG_SPAWNED,	/* init -> sup: forked it at pid */
	SBX_MSG_LISTENER,	/* child -> sup: its seccomp listener (+1 fd,
				   or none and its number in status: the
				   supervisor takes it with pidfd_getfd) */
	SBX_MSG_FAILED,		/* child -> sup: could not start; text */
	SBX_MSG_EXITED,		/* init -> sup: reaped pid with status */
	SBX_MSG_READY,		/* init -> sup: world is set up; text = err */
};

struct sbx_msg {
	uint32_t type;
	uint32_t len;		/* bytes of data[] used */
	uint64_t id;		/* spawn request id */
	int32_t pid;		/* namespace pid */
	int32_t status;		/* wait status, or -errno for FAILED */
	/* SPAWN only */
	uint32_t uid, gid;
	uint64_t mem_limit;
	uint32_t argc, envc;
	uint32_t cwd_strict;
	uint32_t traced;	/* trap (and publish) its opens */
	uint32_t trap_fork;	/* trap process creation (a fork rule) */
	char data[];		/* SPAWN: cwd\0 argv\0... envp\0...; else text */
};

#define SBX_MSG_MAX (sizeof(struct sbx_msg) + MN_SANDBOX_ARG_MAX)

/* Sends msg (header + len bytes of data) with up to 3 fds.  0 or -errno. */
int sbx_msg_send(int sock, const struct sbx_msg *msg, const int *fds,
		 int nfds);
/*
 * Receives one message into buf (cap bytes), fds into fds[max] (rest
 * closed), sender host pid into *pid (may be NULL; needs SO_PASSCRED).
 * Returns the number of fds (>= 0), 0 on EOF with msg->type 0, or -errno.
 */
int sbx_msg_recv(int sock, struct sbx_msg *buf, size_t cap, int *fds,
		 int max, pid_t *pid);
/* Formats a FAILED message into buf.  Async-signal-safe. */
void sbx_msg_fail(struct sbx_msg *m, uint64_t id, int err, const char *a,
		  const char *b, const char *c);

/* ---- filter.c ---- */
/* Builds the program once (malloc'd insns).  0 or -errno. */
/*
 * Builds the filter.  trap_opens 0 leaves open/openat/openat2 native: the
 * mount namespace confines their paths, so they are trapped only for
 * programs whose opens are traced (each trap costs a round trip, and real
 * work opens thousands of files).
 */
#define SBX_FILTER_OPENS 0x1	/* trap opens: traced programs */
#define SBX_FILTER_SENDS 0x2	/* trap every sendmsg: host's network */
#define SBX_FILTER_SEEDED 0x4	/* trap getrandom: a deterministic world
				   (kernel.deterministic) */
#define SBX_FILTER_FORK 0x8	/* trap process creation (not threads):
				   a run with a fork fault rule */
int sbx_filter_build(struct sock_fprog *out, int flags);
/* init's own filter: the refusals only, nothing trapped.  0 or -errno. */
int sbx_filter_build_init(struct sock_fprog *out);
void sbx_filter_free(struct sock_fprog *prog);
/* Installs it with NEW_LISTENER; returns the listener fd or -errno. */
int sbx_filter_install(const struct sock_fprog *prog);

/* ---- cgroup.c: per-world and per-run limits, killing a run's tree ---- */
enum { SBX_CG_PIDS, SBX_CG_MEMORY, SBX_CG_CPU, SBX_CG_FREEZER, SBX_CG_MAX };

struct sbx_cgroup_cfg {
	int version;			/* 0 none, 1 v1 hierarchies, 2 v2 */
	int dirfd[SBX_CG_MAX];		/* the world's directory; v2: [0] */
	int procs_fd[SBX_CG_MAX];	/* its cgroup.procs, host-opened */
	char path[SBX_CG_MAX][256];	/* host paths, for removal */
	uint64_t world_pids;		/* pids.max of the world; 0 none */
	uint64_t run_pids;		/* pids.max of each run; 0 none */
	uint32_t cpu_weight;		/* the world's, 1..10000; 0 default */
};

/* Daemon: makes and limits the world's cgroups, owned by `owner`. */
int sbx_cgroup_world_create(struct sbx_cgroup_cfg *cg, const char *name,
			    uint32_t owner, struct mn_strbuf *err);
/* Daemon side of the intermediate, as host root: opens cgroup.procs. */
int sbx_cgroup_world_open_procs(struct sbx_cgroup_cfg *cg);
/* The intermediate, inside the namespaces: moves itself in.  0/-errno. */
int sbx_cgroup_world_enter(struct sbx_cgroup_cfg *cg);
/* Daemon, once the intermediate is forked: closes its copies. */
void sbx_cgroup_world_enter_done(struct sbx_cgroup_cfg *cg);
/* init's child, as namespace root: makes run-PID, limits it, joins. */
int sbx_cgroup_run_join(const struct sbx_cgroup_cfg *cg, int32_t pid,
			uint64_t mem_limit);
/* Daemon: kills every process of run-PID and removes it.  0, -EBUSY. */
int sbx_cgroup_run_kill(const struct sbx_cgroup_cfg *cg, int32_t pid);
/* Daemon: kills what is left, removes the directories, closes.  Idem. */
void sbx_cgroup_world_destroy(struct sbx_cgroup_cfg *cg);

/* ---- world.c / rootfs.c / init.c ---- */
struct sbx_world_cfg {
	char hostname[SBX_HOSTNAME_MAX];
	char stage[1024];		/* where the new root is assembled */
	const char *root_dir;		/* NULL: tmpfs root; else root_buf */
	char root_buf[1024];		/* (the daemon's argv, where the
					   option came from, is overwritten
					   by name_init in the namespace) */
	unsigned root_flags;		/* MN_SANDBOX_ROOT_* */
	int tree_fd;			/* in init: O_PATH of root_dir */
	int net;			/* enum mn_sandbox_net */
	struct mn_sandbox_bind binds[MN_SANDBOX_MAX_BINDS];
	size_t nbinds;
	int32_t last_reserved_pid;	/* written to ns_last_pid */
	uint32_t uid_base;		/* host uid of MicronOS uid 0 */
	int single_id;			/* single-id map: init stays the
					   user (no uid 0 inside) */
	uint32_t single_inside;		/* that map's one MicronOS id */
	const struct sock_fprog *filter;	/* traced programs */
	const struct sock_fprog *filter_fast;	/* the rest: opens native */
	const struct sock_fprog *filter_fork;	/* runs with a fork rule */
	/* MicronOS's own /etc files as fs_etc.c renders them: "name\0text\0"
	   pairs (rootfs.c writes them; over a tree, binds the tree's) */
	char etc[8192];
	size_t etc_len;
	const struct sock_fprog *filter_init;	/* init's own, once built */
	struct sbx_cgroup_cfg cg;		/* the world's cgroups */
};

/* pty.c: a program started on a terminal gets a pty of its own */
struct sbx_pty {
	int master, slave;
	int was_tty[3];			/* stdio that was the user's terminal */
	struct termios saved;		/* the user's terminal, restored */
};
/* 1 if fd 0 is a terminal and the pty is ready, 0 if not a terminal,
   -errno.  In the spawned process, as the program's user. */
int sbx_pty_open(struct sbx_pty *p);
/* Forks the program (returns 0 in it, on its own session and terminal);
   the caller becomes the relay and never returns.  -errno. */
pid_t sbx_pty_fork(struct sbx_pty *p);

/* world.c: namespaces + init; fills sb->sock, init_pid, init_pidfd */
int sbx_world_start(struct mn_sandbox *sb, struct mn_strbuf *err);

/* netmaker.c: the helper's loop (never returns), and asking it for a
 * socket of the world's network namespace: the fd or -errno */
void sbx_netmaker_main(int sock) __attribute__((noreturn));
int sbx_netmaker_socket(struct mn_sandbox *sb, int domain, int type,
			int proto, uint32_t uid, uint32_t gid);

/* idmap.c: writes the map of user namespace of pid.  0 or -errno + text */
int sbx_ids_apply(const struct mn_sandbox_ids *ids, pid_t pid,
		  struct mn_strbuf *err);
void sbx_world_stop(struct mn_sandbox *sb);

/* In init, before pivot: assembles and enters the root.  0 or -errno. */
int sbx_rootfs_setup(const struct sbx_world_cfg *cfg, char *err,
		     size_t errsz);
/* pid 1's main loop.  Never returns. */
void sbx_init_main(int sock, const struct sbx_world_cfg *cfg)
	__attribute__((noreturn));

/* ---- progcheck.c ---- */
/*
 * Resolves argv0 in PATH (from envp) inside the current root and checks the
 * program, its #! interpreter and its ELF interpreter exist and can be
 * executed.  Writes the path to run into out.  0 or -errno with a message.
 */
int sbx_prog_resolve(const char *argv0, char *const *envp, char *out,
		     size_t outsz, char *msg, size_t msgsz);

/* ---- the sandbox ---- */
struct sbx_spawn;	/* a pending or running spawn (supervisor.c) */
struct sbx_listener;	/* a notification thread (notify.c) */
struct sbx_proc;	/* a registered host process (registry.c) */
struct sbx_usage;	/* the usage job's token (registry.c) */
struct sbx_net;		/* the network side (netwait.c) */
struct sbx_call;	/* one trapped call (below) */

struct mn_sandbox {
	struct mn_kernel *k;		/* borrowed */
	struct mn_proctab *procs;	/* borrowed from k */
	struct mn_signals *signals;	/* borrowed from k */
	struct mn_syscalls *syscalls;	/* borrowed from k */
	struct mn_evbus *bus;		/* borrowed from k */
	struct sock_fprog filter;	/* built once, read-only */
	struct sock_fprog filter_fast;	/* same without open rows */
	struct sock_fprog filter_fork;	/* traced, and forks trapped */
	struct sbx_world_cfg cfg;
	int trace_files;
	int seeded;		/* kernel.deterministic: getrandom is MicronOS's */
	uint64_t seed;		/* random.seed, for getrandom's streams */
	struct mn_sandbox_ids ids;	/* the world's id map */
	uint32_t uid_base;		/* host uid of MicronOS uid 0 */
	uint32_t gid_base;		/* host gid of MicronOS gid 0 */
	int stage_made;			/* we created cfg.stage */
	struct sock_fprog filter_init;	/* init's own (no traps) */
	char cg_why[256];		/* why the world has no cgroup */

	int sock;		/* our end of the init socket */
	int netmaker_fd;	/* rootless own-netns world: netmaker.c; -1 */
	pid_t netmaker_pid;
	pid_t init_pid;		/* host pid of init */
	int init_pidfd;
	int epfd;		/* control thread: sock, pidfds, timer, stop */
	int stop_efd;
	int timer_fd;
	pthread_t ctl_thread;
	int ctl_started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* protected by lock */
	int down;			/* shutting down */
	uint64_t next_id;
	struct sbx_spawn *spawns;
	struct sbx_listener *listeners;
	struct sbx_proc **proc_hash;	/* by namespace pid */
	_Atomic long long synced_ns;	/* last walk of the world (registry.c) */
	struct mn_sandbox_stats stats;
	/* control thread only */
	uint64_t ticks;
	struct sbx_usage *usage;	/* the usage job's token (registry.c) */
	/* set before the control thread starts */
	int32_t ktask;			/* "sandboxd", 0 if none */
	/* the network side (xlate_net.h), NULL without a network; set at
	   create, read-only until destroy */
	struct sbx_net *net;
};

/* registry.c: the registered host processes */
int sbx_registry_init(struct mn_sandbox *sb);
/*
 * The MicronOS pid of host thread `tid`, registering its process (and
 * unregistered ancestors) if it is new.  *host_tgid gets its process's host
 * pid.  > 0, or -errno.
 */
int32_t sbx_proc_lookup(struct mn_sandbox *sb, pid_t tid, pid_t *host_tgid);
/*
 * getrandom's stream of one process in a deterministic world: returns how
 * many bytes it was served before and counts n more (0 for a process the
 * registry does not know).
 */
uint64_t sbx_proc_take_random(struct mn_sandbox *sb, int32_t pid,
			      uint64_t n);
/* mn_proc_set_host_resolver()'s hook; arg is the sandbox */
int32_t sbx_proc_resolve(void *arg, int32_t host_tid);
/* Starts watching a registered process's exit.  0 or -errno. */
int sbx_proc_watch(struct mn_sandbox *sb, int32_t pid, pid_t host);
/* Host pid of a live registered process, 0 if none. */
pid_t sbx_proc_host(struct mn_sandbox *sb, int32_t pid);
/* Control thread: p's pidfd is readable; the 200 ms timer; usage now. */
void sbx_proc_exited(struct mn_sandbox *sb, struct sbx_proc *p);
void sbx_registry_tick(struct mn_sandbox *sb);
void sbx_registry_update_usage(struct mn_sandbox *sb);
/* After the control thread stopped: publishes the rest, frees. */
void sbx_registry_clear(struct mn_sandbox *sb);

/* supervisor.c: control thread pieces used by notify.c / xlate.c */
void sbx_stat_add(struct mn_sandbox *sb, size_t field_offset, uint64_t n);
#define SBX_STAT(sb, f, n) \
	sbx_stat_add(sb, offsetof(struct mn_sandbox_stats, f), n)

int sbx_control_start(struct mn_sandbox *sb);
void sbx_control_stop(struct mn_sandbox *sb);
/* signal.h's host hook, and kill through the signal service */
int sbx_host_signal(void *arg, int32_t pid, int32_t host_pid, int sig);
#define SBX_HOOK_PID 0
#define SBX_HOOK_GROUP 1
#define SBX_HOOK_SKIP 2
struct mn_cred;
int sbx_signal_via_service(struct mn_sandbox *sb,
			   const struct mn_cred *sender, int32_t pid, int sig,
			   int mode);

/* notify.c: one thread per listener; trace publishes its opens */
int sbx_listener_start(struct mn_sandbox *sb, int fd, int trace);
void sbx_listeners_stop(struct mn_sandbox *sb);

/* One trapped call being translated. */
struct sbx_call {
	struct mn_sandbox *sb;
	int fd;				/* the listener */
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int32_t pid;			/* MicronOS pid of the caller */
	pid_t host_tgid;
	int trace;			/* publish opens (--trace) */
	struct mn_sysctx *ctx;		/* the thread's context, pid filled */
};

/* Memory of the caller: page-bounded reads, copies checked with ID_VALID. */
int sbx_mem_read(struct sbx_call *c, uint64_t addr, void *buf, size_t len);
/* Reads a NUL-terminated string of at most cap-1 bytes: length or -errno. */
int sbx_mem_read_str(struct sbx_call *c, uint64_t addr, char *buf,
		     size_t cap);
int sbx_mem_write(struct sbx_call *c, uint64_t addr, const void *buf,
		  size_t len);
/* 0 while the notification is still pending, else -ENOENT. */
int sbx_call_valid(struct sbx_call *c);
/*
 * Whether the caller has a signal to take (from /proc/TID/status): OWN, a
 * signal it does not block is pending for the thread itself (or for its
 * process, and it is the only thread); SHARED, only for its process of
 * several threads (any thread not blocking it may take it); NONE.
 */
#define SBX_SIG_NONE 0
#define SBX_SIG_OWN 1
#define SBX_SIG_SHARED 2
int sbx_call_signal_pending(struct sbx_call *c);
/* Linux's "restart, or EINTR under a handler without SA_RESTART": an
   answer only while the caller has a signal to take, or it leaks. */
#define SBX_ERESTARTSYS 512
/* Injects fd into the caller as the call's result (ADDFD|SEND). */
int sbx_call_inject(struct sbx_call *c, int fd, unsigned int newfd_flags);

/* aftercall.c: continued set*id and execve, recorded once they ran */
#define SBX_EXEC_ARGS_MAX 256
#define SBX_EXEC_BYTES_MAX 16384
struct sbx_exec_rec {
	char name[256];			/* basename of the path */
	const char *argv[SBX_EXEC_ARGS_MAX + 1];	/* into buf */
	char buf[SBX_EXEC_BYTES_MAX];
};
/* The caller's set*id is about to run: re-read its ids afterwards. */
void sbx_after_setid(struct sbx_call *c);
/* The caller's execve is about to run: record x (taken over) if it does. */
void sbx_after_exec(struct sbx_call *c, struct sbx_exec_rec *x);
/* Before each trapped call is translated: its process's pending work. */
void sbx_after_call(struct sbx_call *c);
/* Control thread, each tick; and at sandbox stop. */
void sbx_after_tick(struct mn_sandbox *sb);
void sbx_after_clear(struct mn_sandbox *sb);

/* xlate.c */
enum sbx_verdict {
	SBX_ANSWER,	/* resp->val / resp->error are the result */
	SBX_CONTINUE,	/* the kernel runs the call */
	SBX_SENT,	/* already answered (ADDFD|SEND) */
	SBX_DEFERRED,	/* a worker answers it later (xlate_net.h) */
};
/* Translates one call; never fails open: errors become resp->error. */
enum sbx_verdict sbx_xlate(struct sbx_call *c);
/* Linux syscall numbers the filter sends to the supervisor. */
size_t sbx_xlate_trapped(int *nrs, size_t max);
/* Registers the MicronOS rows the table needs (uname, ...).  0 or -errno. */
int sbx_xlate_install(struct mn_sandbox *sb);
/* xlate_pidfd.c: pidfd_send_signal on a MicronOS /proc/PID directory */
enum sbx_verdict sbx_x_pidfd_send_signal(struct sbx_call *c);

/* faults.c: a run's fault rules, and the trapped calls' check */
#define SBX_RUN_FAULTS_MAX 16
/* Adds each line of rules with tree=pid; ids[] gets their ids. */
int sbx_faults_attach(struct mn_sandbox *sb, const char *rules, int32_t pid,
		      unsigned *ids, unsigned max, unsigned *n,
		      struct mn_strbuf *err);
void sbx_faults_detach(struct mn_sandbox *sb, unsigned *ids, unsigned *n);
/* Whether a run's rules (one per line) name process creation. */
int sbx_faults_name_fork(const char *rules);
/* -errno a rule makes a trapped call fail with (after its delay), or 0. */
long sbx_fault_call(struct mn_sandbox *sb, const char *call, int32_t pid);

#endif
