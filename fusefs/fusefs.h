/*
 * fusefs - the FUSE adapter: exports a MicronOS VFS as a real FUSE mount.
 *
 * The adapter translates libfuse's low-level requests into the VFS's inode
 * API (include/micronos/vfs.h) and decides nothing itself: node ids, lookup
 * counts, generations, timeouts, permissions and open flags (direct I/O,
 * keep_cache, streams) all come from the VFS.  What it adds is transport:
 *
 *  - a multithreaded libfuse session loop on its own threads;
 *  - one notifier thread that answers parked requests (a blocking read of a
 *    stream that had nothing), sends poll notifications and cache
 *    invalidations; a request handler never does either itself;
 *  - zero-copy replies where the VFS offers them (a host fd for storage
 *    files, memory owned by the file for generated files and /dev/zero);
 *  - caller credentials (uid, gid, supplementary groups, pid) from the
 *    request, mapped from host ids to MicronOS ids;
 *  - a clean stop: the loop is ended, parked requests answered, every file
 *    the kernel still holds released, the mount detached.  It never hangs,
 *    even when a process keeps its cwd inside the mount.
 *
 * Mount options: allow_other (sandboxed users reach the tree), and
 * default_permissions unless MN_FUSEFS_VFS_PERMISSIONS: the Linux kernel
 * caches dentries and attributes, and without default_permissions a cached
 * path would be walked without any search-permission check, so a user
 * could reach a file below a directory he may not enter for as long as
 * someone else's lookup stays cached.  The VFS checks again on every
 * request (the same rules on MicronOS's ids), so both must agree.
 *
 * Threads: mn_fusefs_mount/unmount from one thread (the daemon's main or
 * the kernel's boot/shutdown); never from a FUSE request handler (a VFS
 * callback that runs inside one, e.g. a /sys control write, must not shut
 * the kernel down synchronously).  The other functions are safe anywhere.
 */
#ifndef MICRONOS_FUSEFS_H
#define MICRONOS_FUSEFS_H

#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_kernel;
struct mn_vfs;
struct mn_fusefs;

/* One line of a uid_map/gid_map: MicronOS ids [inside, inside + count)
 * are host ids [outside, outside + count). */
struct mn_fusefs_idmap {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

#define MN_FUSEFS_IDMAP_MAX 8	    /* lines per map */
#define MN_FUSEFS_OVERFLOW_ID 65534 /* unmapped ids become this */

/* opts->flags */
/* libfuse's request trace on stderr */
#define MN_FUSEFS_DEBUG 0x1
/* only the mounting user sees the mount */
#define MN_FUSEFS_NO_ALLOW_OTHER 0x2
/* no default_permissions: the VFS alone checks (see above) */
#define MN_FUSEFS_VFS_PERMISSIONS 0x4
/* storage reads copy instead of splicing from the host fd (benchmarks) */
#define MN_FUSEFS_NO_SPLICE 0x8
/* plain readdir only (else: readdirplus, first batch without lookups) */
#define MN_FUSEFS_NO_READDIRPLUS 0x10

struct mn_fusefs_opts {
	/* Where to mount (borrowed).  Created (mode 0755) if missing; a dead
	 * FUSE mount left there by a crashed instance is detached first. */
	const char *mountpoint;
	unsigned flags; /* MN_FUSEFS_* */
	/* Most FUSE worker threads (0: 8).  Parked reads hold no thread. */
	unsigned max_threads;
	/*
	 * Id maps for callers in a user namespace (the sandbox): a caller's
	 * host uid/gid is mapped to a MicronOS id for the VFS, and file
	 * owners the other way.  Empty (n 0): identity.  Borrowed for the
	 * call that takes opts; copied.  At most MN_FUSEFS_IDMAP_MAX lines
	 * (-EINVAL).
	 */
	const struct mn_fusefs_idmap *uid_map;
	unsigned nuid_map;
	const struct mn_fusefs_idmap *gid_map;
	unsigned ngid_map;
};

/* Counters, for status views and tests. */
struct mn_fusefs_stats {
	uint64_t parked_now;	/* reads waiting for data right now */
	uint64_t parked_total;	/* reads ever parked */
	uint64_t interrupts;	/* parked reads ended by a signal (EINTR) */
	uint64_t poll_notifies; /* poll notifications sent */
	uint64_t invalidations; /* invalidations that dropped something */
	uint64_t inval_queued;	/* invalidations queued (duplicates of the
				   one queued last are not) */
	uint64_t inval_done;	/* of those, sent or dropped at stop */
	uint64_t open_files;	/* files and dirs the kernel holds open */
	uint64_t splice_reads;	/* reads answered from a host fd */
};

/*
 * Requests per FUSE operation and the time the daemon spent on them (from
 * the request's arrival in its handler to the reply, or to the request
 * being parked), with a histogram of those times: bucket i counts the
 * requests below the i-th bound of 4 us, 16 us, 64 us, 256 us, 1 ms, the
 * last the rest.  With a kernel the same figures are in its statistics:
 * fuse.req.OP (a counter) and fuse.req.OP.ns (a histogram).  A request
 * is counted when its handler starts (so a system call that returned has
 * all of its requests counted), its time when the handler ends.
 */
#define MN_FUSEFS_LAT_BUCKETS 6
struct mn_fusefs_opstat {
	const char *name; /* "lookup", "getattr" ... (static) */
	uint64_t requests;
	uint64_t ns_total;
	uint64_t ns_max;
	uint64_t lat[MN_FUSEFS_LAT_BUCKETS];
};
/* Copies up to max operations (all, zeros included, in a fixed order);
 * returns how many there are. */
unsigned mn_fusefs_op_stats(struct mn_fusefs *fs, struct mn_fusefs_opstat *out,
			    unsigned max);
/* "lt4us" ... "ge1ms": the name of bucket i, NULL past the last. */
const char *mn_fusefs_lat_bucket_name(unsigned i);

/*
 * Mounts `vfs` at opts->mountpoint and starts serving it.  vfs is borrowed
 * and must outlive the mount; k (may be NULL) is used to turn host pids of
 * callers into MicronOS pids.  On failure returns -errno and appends a
 * message to err (may be NULL): -EBUSY a live mount is already there.
 */
int mn_fusefs_mount(struct mn_fusefs **out, struct mn_vfs *vfs,
		    struct mn_kernel *k, const struct mn_fusefs_opts *opts,
		    struct mn_strbuf *err);
/*
 * Stops serving, answers parked reads (end of file), releases the files
 * the kernel held open, unmounts (lazily if busy) and frees.  Returns in
 * bounded time whatever the mount's users do.  NULL ok.
 */
void mn_fusefs_unmount(struct mn_fusefs *fs);

/*
 * Replaces the id maps while serving (the sandbox knows its user
 * namespace's maps only once it made it).  Same rules as in opts; copied.
 * Attributes the kernel cached keep the old owners until they time out.
 */
int mn_fusefs_set_idmaps(struct mn_fusefs *fs,
			 const struct mn_fusefs_idmap *uid_map, unsigned nuid,
			 const struct mn_fusefs_idmap *gid_map, unsigned ngid);

/* 1 if /etc/fuse.conf lets users mount with allow_other (a user's mount
 * reaches other host ids, a sandbox's ids, only then). */
int mn_fusefs_user_allow_other(void);

/* The canonical mount point (borrowed, valid until unmount). */
const char *mn_fusefs_mountpoint(const struct mn_fusefs *fs);
void mn_fusefs_stats(struct mn_fusefs *fs, struct mn_fusefs_stats *out);

/*
 * The kernel's fuse stage: registers a hook on MN_STAGE_FUSE that mounts
 * the kernel's VFS (mn_vfs_of(k), so mn_vfs_attach() must have been called)
 * and stores the mount in MN_SLOT_FUSE; its stop unmounts.  Call before
 * mn_kernel_boot().  opts, its mount point and maps are borrowed until
 * mn_kernel_destroy() (they are read at boot).
 */
int mn_fusefs_attach(struct mn_kernel *k, const struct mn_fusefs_opts *opts);
/* The kernel's mount (borrowed), NULL outside the fuse stage. */
struct mn_fusefs *mn_fusefs_of(struct mn_kernel *k);

/*
 * Detects and detaches a dead FUSE mount at `path` (its daemon is gone:
 * stat says ENOTCONN), repeatedly if several are stacked.  Returns how many
 * were detached (0: nothing to do), -EBUSY if a live FUSE mount answers
 * there or one does not answer within a second (hung, not dead: left
 * alone), or another -errno; err (may be NULL) gets a message.  Never
 * blocks on a hung mount: the probe runs in a child process.
 */
int mn_fusefs_clean_dead(const char *path, struct mn_strbuf *err);

/*
 * Cache invalidation for changes made behind the kernel's back.  The mount
 * installs the VFS's change hook (mn_vfs_set_change_hook), so every change
 * made through the VFS by others than the mount itself (the shell, the
 * syscalls, the kernel) is invalidated without anyone calling these: a
 * changed name with inval_entry, changed attributes with inval_inode
 * (attributes only, or the cached data too when the content changed).
 * These are for the rest.  Queued to the notifier thread, which sends
 * fuse_lowlevel_notify_inval_*; safe from any thread, including VFS
 * callbacks.  -ENOMEM, -ESHUTDOWN when stopping.
 */
int mn_fusefs_inval_inode(struct mn_fusefs *fs, uint64_t ino);
int mn_fusefs_inval_entry(struct mn_fusefs *fs, uint64_t parent,
			  const char *name);

#endif
