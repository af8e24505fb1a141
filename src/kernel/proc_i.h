/*
 * proc_i.h - the process table's private definitions, shared by proc.c
 * (table, pids, creation), proc_state.c (transitions, exit, wait) and
 * proc_info.c (copies out, setters, text).
 */
#ifndef MICRONOS_PROC_I_H
#define MICRONOS_PROC_I_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <micronos/proc.h>

enum { BY_PID, BY_HOST, BY__COUNT };

/* One process.  Every field is protected by the table's lock. */
struct proc {
	struct proc *hnext[BY__COUNT];	/* hash chains */
	struct proc *parent;		/* NULL for init */
	struct proc *children;		/* first child */
	struct proc *sib_next, *sib_prev;
	int32_t pid, ppid;
	uint32_t uid, gid, euid, egid;
	enum mn_proc_state state;
	enum mn_proc_kind kind;
	enum mn_prio_class prio;
	int nice;
	uint64_t serial, start_ns, exit_ns;
	int exit_status;
	char comm[MN_PROC_COMM_MAX];
	char *cmdline;			/* owned; NUL-separated argv or NULL */
	size_t cmdline_len;
	uint32_t argc;
	char *cwd;			/* owned */
	uint32_t nchildren;
	int32_t host_pid;
	struct mn_proc_usage usage;
	uint64_t usage_update_ns, syscalls, mem_bytes;
};

struct phash {
	struct proc **b;
	size_t nb;			/* power of two, or 0 */
	size_t n;
};

struct mn_proctab {
	pthread_mutex_t lock;
	pthread_cond_t exit_cv;		/* exits, reaps, shutdown */
	const struct mn_clock *clock;	/* borrowed; set once */
	struct mn_evbus *bus;		/* borrowed; set once */
	int32_t first_user;		/* set once */

	/* protected by lock: */
	struct phash by_pid, by_host;
	struct proc *init;
	int32_t pid_max;
	int32_t last_alloc;		/* user-pid cursor */
	int32_t alloc_floor;		/* allocated user pids start here */
	int32_t last_pid;		/* last allocated or registered */
	uint64_t serial;
	uint64_t created, reaped;
	int init_reaps;
	int shutdown;
	unsigned nwaiters;		/* threads blocked in wait */
	void (*prio_hook)(void *arg, int32_t pid, int32_t host_pid,
			  enum mn_prio_class cls, int nice);
	void *prio_hook_arg;
	int32_t (*resolver)(void *arg, int32_t host_tid);
	void *resolver_arg;
};

/* pt->lock held for all of these. */
struct proc *mn_proc__hfind(const struct phash *h, int which, int32_t key);
void mn_proc__fill_info(const struct proc *p, struct mn_proc_info *o);
/* Moves c under parent (unlinking it from its old parent). */
void mn_proc__reparent(struct proc *c, struct proc *parent);
/* Unlinks p from its parent and both hashes and frees it. */
void mn_proc__destroy_locked(struct mn_proctab *pt, struct proc *p);
/* Re-keys p in the host hash; -EEXIST if another record has host_pid. */
int mn_proc__set_host_locked(struct mn_proctab *pt, struct proc *p,
			     int32_t host_pid);
/* Replaces argv and comm (comm NULL: basename of argv[0]); -ENOMEM. */
int mn_proc__set_cmdline_locked(struct proc *p, const char *const *argv,
				const char *comm);
void mn_proc__set_comm(struct proc *p, const char *comm);
/* Needs no lock. */
int mn_proc__cwd_ok(const char *cwd);

#endif
