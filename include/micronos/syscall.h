/*
 * syscall - the MicronOS system call table and dispatcher.
 *
 * MicronOS numbers its syscalls itself (a stable ABI: enum mn_sysno):
 * the thousands give the group - process 0xxx, file 2xxx, network 3xxx,
 * time 5xxx.  Every caller goes through mn_syscall_dispatch(): the shell's
 * `syscall invoke`, the VFS's file calls and the sandbox supervisor, which
 * translates a trapped Linux syscall into a MicronOS one.
 *
 * The table is one row per syscall: number, name, argument kinds (for
 * `syscall info` and for the shell to parse `syscall invoke` arguments),
 * and a handler.  The core fills the process and time rows.  The file and
 * network rows exist from the start but are "missing" until their layer
 * wires them with mn_syscall_register(); until then they return -ENOSYS with
 * a message naming what is missing ("open: the VFS is not loaded").  A later
 * layer may also add rows of its own with mn_syscall_add() (numbers below
 * MN_SYSCALL_NR_MAX, in the group their thousands give).
 *
 * Arguments are six uint64_t.  Pointer kinds (PATH, BUF, PTR) are pointers
 * in the daemon's own address space: the dispatcher never sees a sandboxed
 * program's memory - the supervisor copies it in and out.  The process and
 * time rows take no pointers at all, so the shell may call them with any
 * arguments.
 *
 * Statistics: each row counts calls, errors (returns < 0) and cumulative
 * time in its handler (every call is timed with CLOCK_MONOTONIC: ~40 ns,
 * measured to fit; see syscall.c), with relaxed atomics, so dispatch is
 * lock-free and safe from any number of threads.
 *
 * Locking: the table has one mutex, taken only to add or (re)wire rows and
 * to format; dispatch reads rows through atomics (a row, once added, is
 * never removed or moved; a wiring is swapped as one pointer).
 */
#ifndef MICRONOS_SYSCALL_H
#define MICRONOS_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_kernel;
struct mn_proctab;
struct mn_clock;
struct mn_evbus;
struct mn_syscalls;

/* The base table, every instance's: never renumber (a stable ABI). */
enum mn_sysno {
	MN_SYS_FORK = 0,
	MN_SYS_GETPID = 4,
	MN_SYS_GETPPID = 5,
	MN_SYS_GETUID = 6,
	MN_SYS_GETGID = 7,
	MN_SYS_OPEN = 2000,
	MN_SYS_CLOSE = 2001,
	MN_SYS_READ = 2002,
	MN_SYS_WRITE = 2003,
	MN_SYS_LSEEK = 2004,
	MN_SYS_SOCKET = 3000,
	MN_SYS_BIND = 3001,
	MN_SYS_LISTEN = 3003,
	MN_SYS_ACCEPT = 3004,
	MN_SYS_TIME = 5000,
};

/* Numbers are < this; the group is nr / 1000. */
#define MN_SYSCALL_NR_MAX 8000
/* Rows per table (the base table's 15 plus room for later layers). */
#define MN_SYSCALL_ROWS_MAX 256
#define MN_SYSCALL_NAME_MAX 24
#define MN_SYSCALL_ARGS 6
/* Bytes of ctx->msg, including the NUL. */
#define MN_SYSCTX_MSG_MAX 160

enum mn_sys_group {
	MN_SYSG_PROCESS,	/* 0xxx "process" */
	MN_SYSG_1XXX,		/* 1xxx unassigned "group1" */
	MN_SYSG_FILE,		/* 2xxx "file" */
	MN_SYSG_NETWORK,	/* 3xxx "network" */
	MN_SYSG_4XXX,		/* 4xxx unassigned "group4" */
	MN_SYSG_TIME,		/* 5xxx "time" */
	MN_SYSG_6XXX,		/* 6xxx unassigned "group6" */
	MN_SYSG_7XXX,		/* 7xxx unassigned "group7" */
	MN_SYSG__COUNT
};

/* What an argument is: `syscall info` prints it, the shell parses by it. */
enum mn_sysarg {
	MN_ARG_NONE,		/* unused slot */
	MN_ARG_INT,		/* signed integer */
	MN_ARG_UINT,		/* unsigned integer */
	MN_ARG_FD,		/* MicronOS file descriptor */
	MN_ARG_PID,		/* MicronOS pid */
	MN_ARG_PATH,		/* const char *, NUL-terminated, daemon's */
	MN_ARG_BUF,		/* void *, length in the next SIZE argument */
	MN_ARG_SIZE,		/* size_t */
	MN_ARG_FLAGS,		/* bit flags (O_*, SOCK_*) */
	MN_ARG_MODE,		/* mode_t */
	MN_ARG_OFFSET,		/* off_t */
	MN_ARG_WHENCE,		/* SEEK_SET, SEEK_CUR, SEEK_END */
	MN_ARG_PTR,		/* other pointer in daemon memory */
	MN_ARG__COUNT
};

/*
 * The per-call context.  Fill it with mn_sysctx_init() (or by hand in tests:
 * every pointer may be NULL; a handler that needs a missing one returns
 * -ENOSYS with a message).  All pointers are borrowed.  A context is used by
 * one thread at a time; keep one per caller and reuse it.
 */
struct mn_sysctx {
	struct mn_kernel *k;		/* NULL in unit tests */
	struct mn_proctab *procs;	/* for fork, getppid */
	const struct mn_clock *clock;	/* for time; NULL: host clock */
	struct mn_evbus *bus;
	int32_t pid;			/* calling MicronOS process */
	uint32_t uid;			/* its credentials */
	uint32_t gid;
	void *caller;			/* the calling layer's own per-caller
					   data (the sandbox's process record),
					   NULL otherwise */
	/*
	 * Why the last call failed: set by a handler (mn_sysctx_fail) or by
	 * the dispatcher; "" after a call that set none.  NUL-terminated.
	 */
	char msg[MN_SYSCTX_MSG_MAX];
};

/*
 * A handler: returns a value >= 0 or -errno (with mn_sysctx_fail for a
 * message).  `data` is the pointer given at registration (borrowed).
 */
typedef long mn_syscall_fn(struct mn_sysctx *ctx, const uint64_t args[6],
			   void *data);

/* A row to add with mn_syscall_add(). */
struct mn_syscall_desc {
	uint32_t nr;
	const char *name;		/* copied; 1..MN_SYSCALL_NAME_MAX-1 */
	uint8_t args[MN_SYSCALL_ARGS];	/* enum mn_sysarg; NONE-terminated */
	/* What provides it, for the "missing" message: "the VFS". */
	const char *provider;		/* copied; may be NULL */
	mn_syscall_fn *handler;		/* NULL: registered missing */
	void *data;			/* borrowed, for handler */
};

/* A copy of one row with its statistics. */
struct mn_syscall_info {
	uint32_t nr;
	char name[MN_SYSCALL_NAME_MAX];
	enum mn_sys_group group;
	uint8_t nargs;
	uint8_t args[MN_SYSCALL_ARGS];	/* enum mn_sysarg */
	int wired;			/* 1 if a handler is present */
	char provider[32];		/* "" for core rows */
	uint64_t calls;
	uint64_t errors;		/* calls that returned < 0 */
	uint64_t time_ns;		/* cumulative time in the handler */
};

/* Totals of the whole table, including calls of unknown numbers. */
struct mn_syscall_totals {
	uint64_t calls;
	uint64_t errors;
	uint64_t unknown;		/* numbers with no row */
	uint64_t time_ns;
};

/*
 * Creates the table with the base rows: process and time rows wired to the
 * core's handlers, file rows missing "the VFS", network rows missing
 * "the network".
 */
int mn_syscalls_create(struct mn_syscalls **out);
void mn_syscalls_destroy(struct mn_syscalls *s);	/* NULL ok */

/*
 * Fills ctx for a caller of kernel k (which may be NULL: then procs, clock
 * and bus are NULL and the test sets them).  Clears msg and caller.
 */
void mn_sysctx_init(struct mn_sysctx *ctx, struct mn_kernel *k, int32_t pid,
		    uint32_t uid, uint32_t gid);
/*
 * Sets ctx->msg from a format ("open: no such file: /x") and returns err,
 * so a handler can `return mn_sysctx_fail(ctx, -ENOENT, "...", ...)`.
 */
long mn_sysctx_fail(struct mn_sysctx *ctx, long err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Calls syscall nr with args (NULL: all zero).  Returns the handler's
 * result, or -ENOSYS with ctx->msg "unknown syscall 1234" for a number
 * with no row, or -ENOSYS with "open: the VFS is not loaded" for a missing
 * row.  ctx->msg is cleared first, so it is "" after a call whose handler
 * set none.  Thread-safe; lock-free.
 */
long mn_syscall_dispatch(struct mn_syscalls *s, struct mn_sysctx *ctx,
			 uint32_t nr, const uint64_t args[6]);

/*
 * Wires an existing row to handler/data (replacing any previous wiring);
 * handler NULL makes the row missing again (a layer stopping).  -ENOENT if
 * the row does not exist.  Safe while other threads dispatch.
 */
int mn_syscall_register(struct mn_syscalls *s, uint32_t nr,
			mn_syscall_fn *handler, void *data);
/*
 * Adds a new row.  -EINVAL for nr >= MN_SYSCALL_NR_MAX, a bad name or
 * argument kind, -EEXIST if the number or the name is taken, -ENOSPC past
 * MN_SYSCALL_ROWS_MAX.  Safe while other threads dispatch.
 */
int mn_syscall_add(struct mn_syscalls *s, const struct mn_syscall_desc *desc);

/* Number of the syscall called `name`, or -ENOENT. */
int mn_syscall_lookup(struct mn_syscalls *s, const char *name);
/* Copies one row; -ENOENT if there is none. */
int mn_syscall_info(struct mn_syscalls *s, uint32_t nr,
		    struct mn_syscall_info *out);
/* Copies up to max rows by ascending number; returns the number of rows. */
size_t mn_syscall_list(struct mn_syscalls *s, struct mn_syscall_info *out,
		       size_t max);
void mn_syscall_totals(struct mn_syscalls *s, struct mn_syscall_totals *out);
/* Zeroes every counter. */
void mn_syscall_stats_reset(struct mn_syscalls *s);

/* `syscall info`: an aligned table of nr, name, group, arguments, state. */
int mn_syscall_format_table(struct mn_syscalls *s, struct mn_strbuf *out);
/* Statistics: calls, errors, mean time per row that was called, totals. */
int mn_syscall_format_stats(struct mn_syscalls *s, struct mn_strbuf *out);

const char *mn_sys_group_name(enum mn_sys_group group);
enum mn_sys_group mn_sys_group_of(uint32_t nr);	/* nr must be < NR_MAX */
const char *mn_sysarg_name(enum mn_sysarg kind);	/* "fd", "path", ... */

#endif
