/*
 * fs_trees_i.h - the generated trees of the VFS: /proc, /sys, /events and
 * /health, each a synthetic file system (vfs.h, "synthetic file systems")
 * whose files are rendered from the core modules at open.
 *
 * Mounting.  mn_fs_trees_attach(k) registers a hook on the kernel's vfs
 * stage; call it after mn_vfs_attach() and before mn_kernel_boot().  The
 * hook's start mounts the four trees on mn_vfs_of(k) and starts their two
 * service threads (the load average sampler of /proc and the event
 * notifier of /events); its stop, which runs before the VFS is destroyed,
 * stops the threads and retires the trees' state.  A layer that manages its
 * own VFS calls mn_fs_trees_mount()/mn_fs_trees_unmount() instead.
 *
 * State.  The trees' state (struct mn_trees) is found from the kernel's
 * slot MN_SLOT_TREES and is reference counted: every callback takes a
 * reference for its duration and every open /events file holds one until
 * its release, so a render or a stream still running while the trees are
 * retired finds its state intact.  After retirement, callbacks that need
 * the state answer -ENODEV: the VFS (which has no unmount) is about to be
 * destroyed.
 */
#ifndef MICRONOS_FS_TREES_I_H
#define MICRONOS_FS_TREES_I_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/proc.h>
#include <micronos/pview.h>
#include <micronos/vfs.h>

struct mn_kernel;
struct mn_evbus;
struct mn_strbuf;
struct mn_trees;
struct mn_procfs;
struct mn_eventsfs;

/* --- fs_trees.c: mounting and the shared state --------------------------- */

/*
 * Registers the "generated trees" hook on MN_STAGE_VFS (see above).  Being
 * attached twice is harmless: the second hook finds the trees mounted.
 */
int mn_fs_trees_attach(struct mn_kernel *k);
/*
 * Mounts /proc, /sys, /events and /health on vfs for kernel k and starts
 * the service threads.  -EBUSY if k already has trees; a message in err
 * (may be NULL) on failure.
 */
int mn_fs_trees_mount(struct mn_kernel *k, struct mn_vfs *vfs,
		      struct mn_strbuf *err);
/* Stops the threads and retires the state (see above).  Idempotent. */
void mn_fs_trees_unmount(struct mn_kernel *k);

/* The live state of k's trees with a reference, or NULL (retired/none). */
struct mn_trees *mn_trees_get(struct mn_kernel *k);
/* Takes one more reference on t (an open file keeping it). */
void mn_trees_ref(struct mn_trees *t);
/* Drops a reference; the last one frees.  NULL ok. */
void mn_trees_put(struct mn_trees *t);
/* Parts of the state, borrowed for as long as the reference is held. */
struct mn_procfs *mn_trees_procfs(struct mn_trees *t);
struct mn_eventsfs *mn_trees_eventsfs(struct mn_trees *t);

/* --- fs_proc.c: /proc ----------------------------------------------------- */

extern const struct mn_synth_node mn_fs_proc_root;
/*
 * The state of /proc: the host CPU counters at mount (the baseline of
 * /proc/stat and the idle time of /proc/uptime) and the load average,
 * sampled every 5 seconds by a thread of its own.
 */
int mn_procfs_create(struct mn_procfs **out, struct mn_kernel *k);
/* Stops the sampler (joined).  Idempotent. */
void mn_procfs_stop(struct mn_procfs *p);
void mn_procfs_destroy(struct mn_procfs *p);	/* NULL ok */
/* One sample of the load average now (the sampler's step; for tests). */
void mn_procfs_sample(struct mn_procfs *p);
/*
 * Processes that want a CPU now: user processes in state running and
 * kernel tasks with a job running or queued (not suspended).
 */
uint32_t mn_procfs_runnable(struct mn_kernel *k);

/* --- fs_proc_pid.c: /proc/PID --------------------------------------------- */

/* The dynamic entries of /proc: one directory per process. */
extern const struct mn_synth_dir_ops mn_fs_proc_pid_dyn;
/*
 * The state letter of a process as /proc shows it: a kernel task is R with
 * a job running or queued, T when suspended, S otherwise (it waits for
 * work); other processes show their recorded state.
 */
char mn_fs_proc_state_char(struct mn_kernel *k, int32_t pid, int kind,
			   int state);

/* --- fs_proc_view.c: one process as /proc/PID shows it -------------------- */

/* struct mn_pview, mn_pview_get() etc: see <micronos/pview.h>. */

/* --- fs_proc_host.c: what /proc borrows from the host --------------------- */

#define MN_HOSTCPU_MAX 256	/* CPUs /proc/stat shows (cpu0..cpu255) */
#define MN_HOSTCPU_FIELDS 10	/* user nice system idle iowait irq softirq
				   steal guest guest_nice */

/* The host's /proc/stat counters, in clock ticks. */
struct mn_hostcpu {
	unsigned ncpu;				/* cpuN lines read */
	uint64_t total[MN_HOSTCPU_FIELDS];	/* the "cpu" line */
	uint64_t cpu[MN_HOSTCPU_MAX][MN_HOSTCPU_FIELDS];
	uint64_t intr, ctxt, softirq;
};

/* Reads and parses the host's /proc/stat.  0 or -errno. */
int mn_hostcpu_read(struct mn_hostcpu *out);
/* Appends a whole host file (cpuinfo) to out; at most max bytes. */
int mn_host_file_append(const char *path, size_t max, struct mn_strbuf *out);
/*
 * MicronOS's CPUs: the host CPUs it may use (the daemon's affinity, within
 * its cgroup's cpuset).  Writes up to max host CPU ids, ascending, into ids
 * (may be NULL) and returns how many there are (at least 1).  MicronOS CPU
 * i is host CPU ids[i].
 */
unsigned mn_host_cpus(unsigned *ids, unsigned max);
/* Their count, for /sys/devices/system/cpu and Cpus_allowed. */
unsigned mn_host_ncpu_online(void);
unsigned mn_host_ncpu_conf(void);
/* The host's /proc/cpuinfo entries of MicronOS's CPUs, renumbered 0..n-1. */
int mn_host_cpuinfo(struct mn_strbuf *out, size_t max);
/* sysconf(_SC_CLK_TCK) (100 if unknown) and the page size. */
uint64_t mn_host_clk_tck(void);
uint64_t mn_host_page_size(void);
/* ns -> clock ticks, as Linux's nsec_to_clock_t. */
uint64_t mn_ns_to_ticks(uint64_t ns);
/* "0-3" (or "0") for n CPUs. */
int mn_cpu_list(unsigned n, struct mn_strbuf *out);

/* --- fs_sys.c, fs_events.c, fs_health.c ----------------------------------- */

/*
 * A config key as a file, /sys/config/KEY (render also serves the two
 * hostname files, whose writes go through mn_sys_ident_set_hostname):
 * render appends "value\n"; write sets it through mn_config_set (the
 * shell's `config set` calls the same) on behalf of the writer, so a bad
 * value fails with -EINVAL and changes nothing; the config's message goes
 * to the kernel log.
 */
int mn_trees_config_render(struct mn_kernel *k, const char *key,
			   struct mn_strbuf *out);
int mn_trees_config_write(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			  const char *key, const char *data);

extern const struct mn_synth_node mn_fs_sys_root;
/* /sys/fault (fs_sys_fault.c) */
extern const struct mn_synth_node mn_fs_sys_fault_rows[];
extern const struct mn_synth_node mn_fs_events_root;
extern const struct mn_synth_node mn_fs_health_root;

/*
 * The state of /events: the byte index of events/log (which keeps its
 * offsets stable while it is open, so tail -f can follow it), the open
 * streams, and the notifier thread that wakes them when events arrive.
 * bus is borrowed and must outlive it.
 */
int mn_eventsfs_create(struct mn_eventsfs **out, struct mn_evbus *bus);
/* Stops the notifier (joined).  Idempotent. */
void mn_eventsfs_stop(struct mn_eventsfs *e);
void mn_eventsfs_destroy(struct mn_eventsfs *e);	/* NULL ok */

#endif
