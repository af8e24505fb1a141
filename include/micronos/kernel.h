/*
 * kernel - one MicronOS instance.
 *
 * struct mn_kernel owns every module of the core: clock, event bus, logger,
 * configuration, statistics, memory, scheduler, process table, signals,
 * timers, IPC, health monitor, drivers and the syscall dispatcher, plus the
 * layers that plug in later (VFS, network, FUSE).  Boot runs ordered, named
 * stages (core, memory, scheduler, drivers, services, vfs, net, fuse, ready);
 * each is timed and published as an event.  Shutdown runs the stages that
 * started in reverse.  A stage that fails stops boot: the error names the
 * stage, and the stages already started are stopped again.
 *
 * Adapters (FUSE, sandbox) and later layers attach to a stage with
 * mn_kernel_stage_hook() before boot; the hook runs inside that stage.
 */
#ifndef MICRONOS_KERNEL_H
#define MICRONOS_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_kernel;
struct mn_clock;
struct mn_evbus;
struct mn_log;
struct mn_config;
struct mn_stats;
struct mn_mem;
struct mn_sched;
struct mn_proctab;
struct mn_signals;
struct mn_timers;
struct mn_ipc;
struct mn_health;
struct mn_drivers;
struct mn_syscalls;
struct mn_faults;

enum mn_boot_stage {
	MN_STAGE_CORE,
	MN_STAGE_MEMORY,
	MN_STAGE_SCHEDULER,
	MN_STAGE_DRIVERS,
	MN_STAGE_SERVICES,
	MN_STAGE_VFS,
	MN_STAGE_NET,
	MN_STAGE_FUSE,
	MN_STAGE_READY,
	MN_STAGE__COUNT
};

struct mn_kernel_opts {
	const char *name;	/* instance name; "default" if NULL */
	const char *data_dir;	/* config + storage; NULL: memory only */
	const char *runtime_dir;/* control socket etc.; may be NULL */
	int deterministic;	/* seeded random driver, for tests */
};

struct mn_stage_info {
	const char *name;
	int started;		/* 1 once its start returned 0 */
	uint64_t duration_ns;	/* time its start took */
	int error;		/* -errno of a failed start, else 0 */
};

/* A layer's part of one boot stage. */
struct mn_stage_hook {
	const char *name;	/* for messages: "fuse mount" */
	int (*start)(struct mn_kernel *k, void *arg, struct mn_strbuf *err);
	void (*stop)(struct mn_kernel *k, void *arg);
	void *arg;		/* borrowed */
};

/* Allocates an instance; nothing runs until mn_kernel_boot(). */
int mn_kernel_create(struct mn_kernel **out, const struct mn_kernel_opts *opts);
/* Shuts down if needed, then frees; accepts NULL. */
void mn_kernel_destroy(struct mn_kernel *k);

/*
 * Attaches a hook to a stage (at most 4 per stage), before boot.
 * -EBUSY after boot, -ENOSPC if the stage is full.
 */
int mn_kernel_stage_hook(struct mn_kernel *k, enum mn_boot_stage stage,
			 const struct mn_stage_hook *hook);

/*
 * Runs every stage in order.  On failure returns -errno, appends
 * "stage NAME: message" to err (may be NULL) and stops what had started.
 */
int mn_kernel_boot(struct mn_kernel *k, struct mn_strbuf *err);
/* Stops started stages in reverse order.  Idempotent. */
void mn_kernel_shutdown(struct mn_kernel *k);
int mn_kernel_is_up(const struct mn_kernel *k);

const char *mn_kernel_name(const struct mn_kernel *k);
const char *mn_kernel_data_dir(const struct mn_kernel *k);
const char *mn_kernel_runtime_dir(const struct mn_kernel *k);
const char *mn_stage_name(enum mn_boot_stage stage);
void mn_kernel_stage_info(const struct mn_kernel *k, enum mn_boot_stage stage,
			  struct mn_stage_info *out);
/* MicronOS monotonic ns since boot. */
uint64_t mn_kernel_uptime_ns(const struct mn_kernel *k);

/* Borrowed module handles, valid from create to destroy. */
const struct mn_clock *mn_kernel_clock(struct mn_kernel *k);
struct mn_evbus *mn_kernel_evbus(struct mn_kernel *k);
struct mn_log *mn_kernel_log(struct mn_kernel *k);
struct mn_config *mn_kernel_config(struct mn_kernel *k);
struct mn_stats *mn_kernel_stats(struct mn_kernel *k);
struct mn_mem *mn_kernel_mem(struct mn_kernel *k);
struct mn_sched *mn_kernel_sched(struct mn_kernel *k);
struct mn_proctab *mn_kernel_procs(struct mn_kernel *k);
struct mn_signals *mn_kernel_signals(struct mn_kernel *k);
struct mn_timers *mn_kernel_timers(struct mn_kernel *k);
struct mn_ipc *mn_kernel_ipc(struct mn_kernel *k);
struct mn_health *mn_kernel_health(struct mn_kernel *k);
struct mn_drivers *mn_kernel_drivers(struct mn_kernel *k);
struct mn_syscalls *mn_kernel_syscalls(struct mn_kernel *k);
struct mn_faults *mn_kernel_faults(struct mn_kernel *k);

/*
 * Registers a kernel task: a process of kind MN_PROC_KTASK, child of init,
 * named `name`, whose scheduler jobs run at `prio` (enum mn_prio_class).
 * Services and layers each own one, so that `ps` lists them and `suspend
 * PID` holds their work.  Returns the pid or -errno.
 */
int32_t mn_kernel_ktask(struct mn_kernel *k, const char *name, int prio);

/*
 * Registers fn(arg, pid), called once for every process that terminates,
 * after its ProcessTerminated event, from a scheduler job owned by init (no
 * lock held), so a layer releases what the process held (descriptors,
 * sockets).  The memory it was charged is released by the kernel itself.
 * Before boot; at most 8.  -EBUSY after boot, -ENOSPC when full.
 */
int mn_kernel_on_exit(struct mn_kernel *k, void (*fn)(void *arg, int32_t pid),
		      void *arg);

/*
 * The runner (see runner.h) that queues work on the scheduler for a kernel
 * task.  Borrowed; valid from create to destroy.
 */
const struct mn_runner *mn_kernel_runner(struct mn_kernel *k);

/*
 * Slots: the one way a layer attaches its state to an instance (no layer
 * keeps a process-global table of instances).  Each layer stores its own
 * handle in its slot, normally when its stage starts, and empties it
 * before it frees the handle; the kernel never frees a slot.  Borrowed.
 * The kernel takes no lock here: a layer whose slot may be read by one
 * thread while another empties it guards both with a leaf lock of its own
 * (net_stage.c, fs_trees.c, shell.c).
 */
enum mn_kernel_slot {
	MN_SLOT_VFS,
	MN_SLOT_NET,
	MN_SLOT_FUSE,
	MN_SLOT_SANDBOX,
	MN_SLOT_TREES,		/* /proc, /sys, /events, /health (fs_trees.c) */
	MN_SLOT_SHELL,		/* the shell's command hooks (shell.c) */
	MN_SLOT__COUNT
};
void mn_kernel_set_slot(struct mn_kernel *k, enum mn_kernel_slot slot,
			void *handle);
void *mn_kernel_slot(struct mn_kernel *k, enum mn_kernel_slot slot);

#endif
