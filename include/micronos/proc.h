/*
 * proc - the MicronOS process table.
 *
 * Every process MicronOS knows is a record here: init (pid 1, the kernel
 * itself, created with the table), the kernel tasks that run its services,
 * and user processes, most of them real host programs run by the sandbox.
 * Records carry identity (pid, parent, credentials, command line, cwd),
 * state, priority, accounting and the host process behind them.
 *
 * Pids.  pid 1 is init.  Pids 2 .. MN_PROC_KTASK_PIDS + 1 (by default) are
 * reserved for kernel tasks; user pids start after them and grow up to
 * pid_max, then wrap around to the first user pid, skipping pids in use.  So
 * a pid is reused only after wrap-around (as Linux does).  The sandbox's pid
 * namespace pids ARE MicronOS pids: it registers a program at the pid the
 * namespace gave it with mn_proc_create_at() (and reserves the kernel-task
 * range in the namespace, e.g. through ns_last_pid).  While the sandbox is
 * active, user pids should come from the namespace only: a pid that
 * mn_proc_create() allocated could later collide (-EEXIST) with a program's.
 * The real program behind init is attached with mn_proc_set_host(pt, 1, ...).
 *
 * States and transitions (anything else is -EINVAL):
 *
 *   running  <-> sleeping          mn_proc_set_state
 *   running, sleeping -> stopped   mn_proc_suspend / set_state  ProcessSuspended
 *   stopped -> running, sleeping   mn_proc_resume / set_state   ProcessResumed
 *   running, sleeping, stopped -> zombie   mn_proc_exit only    ProcessTerminated
 *   zombie -> dead                 mn_proc_wait only (reaping)
 *
 * Setting the state a process already has is a no-op returning 0 (the
 * sandbox mirrors host states without checking first).  A dead record is
 * removed from the table as it is reaped; its pid becomes free.  init cannot
 * exit or be stopped (-EPERM).
 *
 * Exit: the exiting process's children are reparented to init; zombies among
 * them (and the exiting process itself, if its parent is init) are reaped by
 * init at once when init_reaps is on (the default: init is a loop of wait()),
 * so orphans never pile up.  Waiters of the parent are woken.
 *
 * This module records; it does not make things happen to host programs.  To
 * stop, continue or kill a process (real or not) send a signal with
 * mn_signals_kill() (signal.h): the signal service applies the action here
 * and, for host-backed processes, to the real program.
 *
 * Events (to the bus given at create, source process, kernel for kernel
 * tasks and init): ProcessCreated, ProcessTerminated (text has the status),
 * ProcessSuspended, ProcessResumed.
 *
 * Locking: one mutex per table guards every record; the bus is the only
 * module called with it held.  Hooks are called after it is dropped.  All
 * functions are safe from any thread.  Information leaves the table only
 * as copies (struct mn_proc_info), never as pointers into it.
 */
#ifndef MICRONOS_PROC_H
#define MICRONOS_PROC_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/sched.h>
#include <micronos/strbuf.h>

struct mn_clock;
struct mn_evbus;
struct mn_proctab;

#define MN_PID_INIT 1
#define MN_PROC_PID_MAX_DEFAULT 32768
/* Linux's PID_MAX_LIMIT, plus room above it for processes without a host
 * program once a pid namespace hands out the low pids (see below). */
#define MN_PROC_VIRTUAL_PIDS 32768
#define MN_PROC_PID_MAX_LIMIT (4194304 + MN_PROC_VIRTUAL_PIDS)
#define MN_PROC_KTASK_PIDS 30		/* default: kernel tasks get 2..31 */
#define MN_PROC_COMM_MAX 16		/* like Linux TASK_COMM_LEN, NUL incl. */
#define MN_PROC_CMDLINE_MAX 4096	/* bytes of argv kept, NULs included */
#define MN_PROC_CWD_MAX 4096		/* PATH_MAX */
#define MN_PROC_MAX_ARGS 1024		/* argv entries kept */

enum mn_proc_state {
	MN_PROC_RUNNING,
	MN_PROC_SLEEPING,
	MN_PROC_STOPPED,
	MN_PROC_ZOMBIE,
	MN_PROC_DEAD,
	MN_PROC__STATE_COUNT
};

enum mn_proc_kind {
	MN_PROC_INIT,		/* pid 1 only */
	MN_PROC_KTASK,		/* a kernel task (service); pid in the reserved range */
	MN_PROC_USER,
	MN_PROC__KIND_COUNT
};

/*
 * Wait-status encoding: Linux's, so <sys/wait.h>'s WIFEXITED(),
 * WEXITSTATUS(), WIFSIGNALED(), WTERMSIG(), WCOREDUMP() decode it.
 */
#define MN_W_EXITED(code) (((code) & 0xff) << 8)
#define MN_W_SIGNALED(sig) ((sig) & 0x7f)
#define MN_W_COREDUMP 0x80

/* Credentials of an actor (sender of a signal, caller of a syscall). */
struct mn_cred {
	int32_t pid;	/* acting process, 0 for the kernel itself */
	uint32_t uid;	/* effective uid used for permission checks */
	uint32_t gid;
};

/* What the sandbox reads from the host about the program behind a record. */
struct mn_proc_usage {
	uint64_t utime_ns;
	uint64_t stime_ns;
	uint64_t rss_bytes;
	uint64_t vsize_bytes;
	uint32_t threads;
};

/* A copy of one record (no pointers: safe to keep after the lock). */
struct mn_proc_info {
	int32_t pid;
	int32_t ppid;			/* 0 for init */
	uint32_t uid, gid, euid, egid;
	enum mn_proc_state state;
	enum mn_proc_kind kind;
	enum mn_prio_class prio;
	int nice;			/* -20..19 */
	uint64_t serial;		/* unique per record ever created */
	uint64_t start_ns;		/* MicronOS time of creation */
	uint64_t exit_ns;		/* MicronOS time of exit, 0 while alive */
	int exit_status;		/* wait status, valid when zombie/dead */
	char comm[MN_PROC_COMM_MAX];
	uint32_t nchildren;		/* children, zombies included */
	uint32_t argc;
	size_t cmdline_len;		/* bytes of the NUL-separated argv */
	/* Host process behind it (0: none) and what the sandbox measured. */
	int32_t host_pid;
	struct mn_proc_usage usage;
	uint64_t usage_update_ns;	/* MicronOS time of the last update, 0 */
	uint64_t syscalls;		/* MicronOS syscalls made (trapped) */
	uint64_t mem_bytes;		/* MicronOS memory charged to it */
};

struct mn_proctab_opts {
	int32_t pid_max;	/* highest pid + 1 as Linux's pid_max; 0: default */
	int32_t ktask_pids;	/* reserved kernel-task pids; -1: default, 0: none */
	int init_reaps;		/* -1/1: init reaps its zombies at once; 0: not */
};

/* Per-state and totals for /proc/loadavg, /proc/stat, `ps`. */
struct mn_proctab_stats {
	uint32_t total;
	uint32_t by_state[MN_PROC__STATE_COUNT];
	uint32_t by_kind[MN_PROC__KIND_COUNT];
	int32_t last_pid;		/* last pid allocated or registered */
	uint64_t created;		/* records created since boot (forks) */
	uint64_t reaped;
	int32_t pid_max;
	int32_t first_user_pid;
};

/*
 * Creates a table holding init (pid 1, uid 0, comm "init", cwd "/").
 * opts may be NULL (defaults).  -EINVAL for pid_max outside
 * [ktask_pids + 3, MN_PROC_PID_MAX_LIMIT].  `clock` and `bus` are borrowed
 * and must outlive the table; either may be NULL (host time; no events).
 */
int mn_proctab_create(struct mn_proctab **out,
		      const struct mn_proctab_opts *opts,
		      const struct mn_clock *clock, struct mn_evbus *bus);
/* Wakes waiters with -ESHUTDOWN first; frees.  Accepts NULL. */
void mn_proctab_destroy(struct mn_proctab *pt);
/*
 * Makes blocked and future blocking waits return -ESHUTDOWN (kernel
 * shutdown).  Non-blocking waits still work.
 */
void mn_proctab_shutdown(struct mn_proctab *pt);

/* pid_max: -EINVAL outside [first user pid + 1, MN_PROC_PID_MAX_LIMIT]. */
int mn_proctab_set_pid_max(struct mn_proctab *pt, int32_t pid_max);
/*
 * Once a pid namespace backs the table (the sandbox), pids below the host's
 * pid_max belong to it: they are registered with mn_proc_create_at() as the
 * namespace hands them out.  Processes with no host program (a fork through
 * the syscall table) are then numbered from host_max up, so they never take
 * a pid a real program will get; pid_max becomes host_max plus
 * MN_PROC_VIRTUAL_PIDS.  -EINVAL if host_max is out of range.
 */
int mn_proctab_reserve_host_pids(struct mn_proctab *pt, int32_t host_max);
int32_t mn_proctab_pid_max(struct mn_proctab *pt);
int32_t mn_proctab_first_user_pid(struct mn_proctab *pt);
void mn_proctab_stats(struct mn_proctab *pt, struct mn_proctab_stats *out);

/* What a new process is.  Everything is copied; pointers are borrowed. */
struct mn_proc_spec {
	int32_t ppid;		/* parent: a live (non-zombie) process */
	uint32_t uid, gid;	/* also the effective ids */
	enum mn_proc_kind kind;	/* MN_PROC_KTASK or MN_PROC_USER */
	enum mn_prio_class prio;
	/* NULL-terminated argv, may be NULL (empty command line).  Capped at
	 * MN_PROC_CMDLINE_MAX bytes / MN_PROC_MAX_ARGS entries (truncated). */
	const char *const *argv;
	const char *comm;	/* NULL: basename of argv[0] (or "?"), truncated */
	const char *cwd;	/* NULL: the parent's; must start with '/' */
	int32_t host_pid;	/* 0: none */
};

/*
 * Creates a process with an allocated pid (kernel tasks from the reserved
 * range, user processes from the user range); starts running with the
 * class's nice value.  Returns the pid, or -EINVAL (bad kind/class/cwd,
 * NULL spec), -ESRCH (parent missing or a zombie), -EAGAIN (no free pid),
 * -ENOMEM.
 */
int32_t mn_proc_create(struct mn_proctab *pt, const struct mn_proc_spec *spec);
/*
 * Registers a process at a given pid (1 < pid < pid_max).  Returns pid, or
 * -EEXIST if taken, -EINVAL out of range, and mn_proc_create()'s errors.
 * Allocation skips it afterwards; last_pid does not move.
 */
int32_t mn_proc_create_at(struct mn_proctab *pt, int32_t pid,
			  const struct mn_proc_spec *spec);
/*
 * fork(): a user child of `parent` with its credentials, priority, nice,
 * command line, comm and cwd.  at_pid 0 allocates, otherwise as
 * mn_proc_create_at().  host_pid is the child's (0: none).  Returns the pid.
 */
int32_t mn_proc_fork(struct mn_proctab *pt, int32_t parent, int32_t at_pid,
		     int32_t host_pid);

/* Copies a record.  0 or -ESRCH. */
int mn_proc_get(struct mn_proctab *pt, int32_t pid, struct mn_proc_info *out);
/* 1 if the pid is in the table (zombies included), else 0. */
int mn_proc_exists(struct mn_proctab *pt, int32_t pid);
/* Credentials of a process for checks (euid/egid).  0 or -ESRCH. */
int mn_proc_cred(struct mn_proctab *pt, int32_t pid, struct mn_cred *out);
/*
 * The pid whose host process is host_pid: > 0, or -ESRCH.  Constant time
 * (the sandbox calls it on every trapped call).
 */
int32_t mn_proc_find_by_host(struct mn_proctab *pt, int32_t host_pid);
/*
 * Like mn_proc_find_by_host(), but a host thread the table does not know
 * yet is handed to the host resolver (the sandbox's: a program's fork
 * that has made no trapped call yet is registered on the spot), so a
 * caller is named by its own pid from its first request.  host_tid may
 * be any thread of the process.  > 0, or -ESRCH (no resolver, or the
 * thread is no sandboxed process).
 */
int32_t mn_proc_resolve_host(struct mn_proctab *pt, int32_t host_tid);
/*
 * The resolver behind mn_proc_resolve_host(): called outside the lock,
 * returns the pid (registering it if need be) or -errno.  One per table;
 * NULL removes it.
 */
void mn_proc_set_host_resolver(struct mn_proctab *pt,
			       int32_t (*fn)(void *arg, int32_t host_tid),
			       void *arg);
/*
 * Registers the processes of the resolver's world that the table does not
 * know yet (forks that made no trapped call: getpid and getppid run
 * natively), so that /proc's listing and lookups name every process.  The
 * resolver is called with host_tid 0 for this; it may skip the walk when
 * one ran a moment ago, unless `force`.  No-op without a resolver.
 */
void mn_proc_sync_host(struct mn_proctab *pt, int force);

/*
 * argv as Linux /proc/PID/cmdline has it: each argument NUL-terminated,
 * back to back.  Copies min(len, size) bytes to buf and returns the full
 * length (like snprintf), or -ESRCH.
 */
int mn_proc_get_cmdline(struct mn_proctab *pt, int32_t pid, char *buf,
			size_t size);
/* The same, arguments joined by spaces, NUL-terminated (ps, `ps`).  */
int mn_proc_get_cmdline_str(struct mn_proctab *pt, int32_t pid, char *buf,
			    size_t size);
/* cwd, NUL-terminated; returns its length, -ERANGE if size is too small. */
int mn_proc_get_cwd(struct mn_proctab *pt, int32_t pid, char *buf,
		    size_t size);

/*
 * Copies pids in ascending order (up to max) and returns how many exist
 * (may exceed max; out may be NULL when max is 0).
 */
size_t mn_proc_pids(struct mn_proctab *pt, int32_t *out, size_t max);
/* Copies up to max records by ascending pid; returns how many exist. */
size_t mn_proc_list(struct mn_proctab *pt, struct mn_proc_info *out,
		    size_t max);
/*
 * Calls fn for every record, by ascending pid, WITHOUT the lock held: the
 * pids are copied first, then each record is copied just before its call
 * (processes that vanish meanwhile are skipped).  fn returning nonzero stops
 * the walk and is returned.  0 at the end, -ENOMEM.
 */
int mn_proc_foreach(struct mn_proctab *pt,
		    int (*fn)(void *arg, const struct mn_proc_info *info),
		    void *arg);
size_t mn_proc_count(struct mn_proctab *pt);
/* Children of pid (zombies included) like mn_proc_pids(); -ESRCH. */
int mn_proc_children(struct mn_proctab *pt, int32_t pid, int32_t *out,
		     size_t max);

/* State changes: see the transition table above. 0, -EINVAL, -ESRCH, -EPERM */
int mn_proc_set_state(struct mn_proctab *pt, int32_t pid,
		      enum mn_proc_state state);
int mn_proc_suspend(struct mn_proctab *pt, int32_t pid);	/* -> stopped */
int mn_proc_resume(struct mn_proctab *pt, int32_t pid);	/* -> running */

/*
 * The process ends with a wait status (MN_W_EXITED(code) or
 * MN_W_SIGNALED(sig)): it becomes a zombie, its children go to init, its
 * parent's waiters wake, ProcessTerminated is published.  0, -ESRCH, -EINVAL
 * (already a zombie), -EPERM (init).
 */
int mn_proc_exit(struct mn_proctab *pt, int32_t pid, int status);

/*
 * wait(): `parent` reaps `pid` (> 0: that child; -1: any child).  Returns the
 * reaped pid with *status (may be NULL) and *info (may be NULL, state
 * MN_PROC_DEAD) filled.  timeout_ms: 0 does not block (-EAGAIN if children
 * exist but none is a zombie: WNOHANG), < 0 waits forever, > 0 at most that
 * long (-EAGAIN on timeout).  -ECHILD if parent has no such child (also
 * while waiting, if the last one goes away), -ESRCH if parent is missing,
 * -ESHUTDOWN after mn_proctab_shutdown().
 */
int32_t mn_proc_wait(struct mn_proctab *pt, int32_t parent, int32_t pid,
		     int timeout_ms, int *status, struct mn_proc_info *info);

/* Setters.  Each returns 0, -ESRCH, -EINVAL for bad values. */
/* exec(): new command line and comm (NULL: basename of argv[0]). */
int mn_proc_exec(struct mn_proctab *pt, int32_t pid,
		 const char *const *argv, const char *comm);
int mn_proc_set_comm(struct mn_proctab *pt, int32_t pid, const char *comm);
/* Absolute path, at most MN_PROC_CWD_MAX - 1 bytes. */
int mn_proc_set_cwd(struct mn_proctab *pt, int32_t pid, const char *cwd);
/* setresuid-style: real and effective ids; (uint32_t)-1 keeps a value. */
int mn_proc_set_ids(struct mn_proctab *pt, int32_t pid, uint32_t uid,
		    uint32_t euid, uint32_t gid, uint32_t egid);
/* Class; nice becomes the class's.  Calls the prio hook for host processes. */
int mn_proc_set_prio(struct mn_proctab *pt, int32_t pid,
		     enum mn_prio_class cls);
/* Nice -20..19; the class becomes mn_prio_from_nice(nice).  Calls the hook. */
int mn_proc_set_nice(struct mn_proctab *pt, int32_t pid, int nice);
/*
 * Called (outside the lock, on the thread that changed it) when the class or
 * nice of a process with a host pid changes, so the sandbox applies it to the
 * real program.  One hook per table; NULL removes it.
 */
void mn_proc_set_prio_hook(struct mn_proctab *pt,
			   void (*fn)(void *arg, int32_t pid, int32_t host_pid,
				      enum mn_prio_class cls, int nice),
			   void *arg);

/* Sandbox side: attach (host_pid > 0) or detach (0) the host process. */
int mn_proc_set_host(struct mn_proctab *pt, int32_t pid, int32_t host_pid);
/* Copies usage and stamps the update time.  usage borrowed. */
int mn_proc_update_usage(struct mn_proctab *pt, int32_t pid,
			 const struct mn_proc_usage *usage);
/* Adds n trapped syscalls to the process's count. */
int mn_proc_add_syscalls(struct mn_proctab *pt, int32_t pid, uint64_t n);
/*
 * Memory manager accounting: adds delta bytes (negative frees); works on
 * zombies too.  -EINVAL if the total would go below 0 (nothing changes).
 */
int mn_proc_charge_mem(struct mn_proctab *pt, int32_t pid, int64_t delta);

/* Names: "running", ...; 'R', 'S', 'T', 'Z', 'X' as /proc/PID/stat; kinds. */
const char *mn_proc_state_name(enum mn_proc_state state);
char mn_proc_state_char(enum mn_proc_state state);
const char *mn_proc_kind_name(enum mn_proc_kind kind);
/* 1 if from -> to is in the table above (either API), else 0. */
int mn_proc_transition_ok(enum mn_proc_state from, enum mn_proc_state to);
/*
 * "exited 3", "killed by signal 9 (KILL)", "killed by signal 11 (SEGV),
 * core dumped": a wait status in words, into buf (NUL-terminated, truncated).
 * Returns buf.
 */
const char *mn_proc_status_str(int status, char *buf, size_t size);

/* The `ps` table: PID PPID UID STATE PRIO NICE TIME CMD, one line each. */
int mn_proc_format(struct mn_proctab *pt, struct mn_strbuf *out);

#endif
