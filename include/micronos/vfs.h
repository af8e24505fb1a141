/*
 * vfs - the MicronOS virtual file system.
 *
 * One tree, assembled from file systems mounted on each other: storage (the
 * persistent tree, mounted at /), tmp (in memory, /tmp), dev (/dev, served
 * by the drivers), etc (/etc), and the generated trees (/proc, /sys,
 * /events, /health) built with the synthetic-file-system framework at the
 * end of this header.  Everyone reads the same nodes through the same code:
 * the FUSE adapter (fusefs/), the file syscalls (sys_file.c), the shell.
 *
 * Two APIs over one implementation:
 *
 *  1. The inode API (mn_vfs_lookup ... mn_vfs_poll) maps 1:1 onto libfuse's
 *     low-level API.  A node is named by its node id (`ino`, a uint64_t that
 *     the FUSE adapter hands to the kernel as the fuse_ino_t).  Node id 1
 *     (MN_VFS_ROOT_INO) is the root.  Every call that returns a struct
 *     mn_vfs_entry (lookup, create, create_open, mknod, mkdir, symlink, link, resolve,
 *     readdirplus) adds 1 to that node's lookup count; mn_vfs_forget(ino, n)
 *     takes n away.  A node id stays valid while its lookup count is > 0 or
 *     a file is open on it, and is never reused within one VFS (so the
 *     generation only matters across runs; it is the file's own generation
 *     where the file system has one).  attr.st_ino is the file's stable
 *     inode number (unique in the whole tree, stable across lookups; for
 *     storage stable across restarts); it is NOT the node id.  Calls on an
 *     unknown or forgotten node id return -ESTALE.
 *
 *  2. The path API (mn_vfs_resolve, mn_vfs_open_path, mn_vfs_mkdir_path ...)
 *     for the shell and the syscalls: resolves ".", "..", symlinks (at most
 *     MN_VFS_SYMLOOP_MAX of them per resolution, then -ELOOP), checks search
 *     permission on each directory, crosses mount points, then calls the
 *     inode API.  Paths are at most MN_VFS_PATH_MAX bytes (-ENAMETOOLONG),
 *     each name at most MN_VFS_NAME_MAX bytes.
 *
 * Credentials.  Every call takes the caller's credentials; the VFS checks
 * permissions itself (owner / group (primary or supplementary) / other, uid
 * 0 may read and write anything and execute anything with an x bit; search
 * on directories; sticky directories; chown only by root; chmod and
 * explicit timestamps only by the owner or root).  A FUSE adapter may add
 * default_permissions but need not.
 *
 * Errors are -errno, Linux values (the FUSE adapter passes them back
 * negated: fuse_reply_err(req, -ret)).  -ESTALE unknown node id; -ENOENT;
 * -ENOTDIR; -EISDIR; -EACCES permission; -EPERM not owner / not allowed;
 * -EEXIST; -ENOTEMPTY; -EXDEV across file systems; -EBUSY a mount point;
 * -EROFS a read-only file system; -ENOSYS an operation a file system does
 * not have (the FUSE adapter replies ENOSYS, which the kernel remembers for
 * some ops; -EOPNOTSUPP for those that must not be remembered).
 *
 * Threads and locking.  Every function is safe from any thread.  The VFS has
 * one mutex guarding the node table and the mount table (held for short
 * sections, never across a host call or a file system operation); each file
 * system has its own lock; an open file has a small lock for its waiters.
 * No VFS lock is held while a callback (wait hook, render, control write,
 * readdir fill) runs, so callbacks may call back into the VFS.
 *
 * Lifetime.  struct mn_vfs_file is reference counted by the VFS: it is
 * valid from a successful open/opendir/create_open until mn_vfs_release() /
 * mn_vfs_releasedir(); the FUSE adapter stores the pointer in fi->fh.
 */
#ifndef MICRONOS_VFS_H
#define MICRONOS_VFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <micronos/strbuf.h>

struct mn_kernel;
struct mn_evbus;
struct mn_vfs;
struct mn_vfs_file;
struct mn_synth_node;

#define MN_VFS_ROOT_INO 1ULL	/* == FUSE_ROOT_ID */
#define MN_VFS_PATH_MAX 4096	/* bytes, with the NUL (PATH_MAX) */
#define MN_VFS_NAME_MAX 255	/* bytes of one name (NAME_MAX) */
#define MN_VFS_SYMLOOP_MAX 40	/* symlinks followed per resolution */
#define MN_VFS_XATTR_MAX 65536	/* bytes of one xattr value (XATTR_SIZE_MAX) */
#define MN_VFS_GROUPS_MAX 64	/* supplementary groups looked at */

/*
 * Who is calling.  The FUSE adapter fills it from fuse_req_ctx() (pid is
 * then a host pid unless the adapter translates it; uid/gid are the
 * MicronOS ids as seen through the user namespace), the syscalls from the
 * calling process.  groups is borrowed for the call, may be NULL.
 */
struct mn_vfs_cred {
	uint32_t uid;
	uint32_t gid;
	int32_t pid;		/* MicronOS pid, 0 for the kernel */
	uint32_t ngroups;	/* entries in groups (at most GROUPS_MAX read) */
	const uint32_t *groups;	/* supplementary gids; borrowed */
	unsigned flags;		/* MN_VFS_CRED_* */
};

/*
 * The caller keeps a cache of the tree that its own changes already update
 * (the FUSE kernel: it drops its dentries and attributes for what it asked
 * to change).  Its changes, and those through files it opened, are not
 * reported to the change hook (see "Change notification").
 */
#define MN_VFS_CRED_COHERENT 0x1
/*
 * The caller holds the host's privilege over files (host root through the
 * mount): it passes every check MicronOS root passes, yet what it creates
 * is owned by its own uid - host root's files show as host uid 0, which is
 * not MicronOS root (see "Ids" in ARCHITECTURE.md).
 */
#define MN_VFS_CRED_ADMIN 0x2

/* The kernel itself: uid 0, gid 0, pid 0. */
extern const struct mn_vfs_cred mn_vfs_cred_kernel;

/*
 * What lookup and friends return; mirrors struct fuse_entry_param.  ino is
 * the node id (its lookup count was raised by 1); attr.st_ino the stable
 * inode number.  Timeouts in seconds: what this file system wants the
 * kernel to cache (0 for generated files whose content or size change;
 * long for the trees only the VFS writes, whose changes the change hook
 * reports; 0 for the attributes of a file while a writer outside the VFS
 * holds its host fd, see mn_vfs_file_host_fd).
 */
struct mn_vfs_entry {
	uint64_t ino;
	uint64_t generation;
	struct stat attr;
	double attr_timeout;
	double entry_timeout;
};

/* setattr: which fields of attr to apply.  Same bits as FUSE_SET_ATTR_*. */
#define MN_SETATTR_MODE (1 << 0)
#define MN_SETATTR_UID (1 << 1)
#define MN_SETATTR_GID (1 << 2)
#define MN_SETATTR_SIZE (1 << 3)
#define MN_SETATTR_ATIME (1 << 4)	/* attr->st_atim */
#define MN_SETATTR_MTIME (1 << 5)	/* attr->st_mtim */
#define MN_SETATTR_ATIME_NOW (1 << 7)
#define MN_SETATTR_MTIME_NOW (1 << 8)
#define MN_SETATTR_CTIME (1 << 10)	/* ignored: ctime is always "now" */

/* rename flags: Linux's RENAME_NOREPLACE / RENAME_EXCHANGE values. */
#define MN_RENAME_NOREPLACE (1 << 0)
#define MN_RENAME_EXCHANGE (1 << 1)

/*
 * How an open file wants to be served (mn_vfs_file_open_flags), to copy
 * into struct fuse_file_info.  Generated files are DIRECT_IO (the kernel
 * must not trust st_size, which is 0 or a guess, nor cache the content).
 */
#define MN_VFS_FOPEN_DIRECT_IO 0x1	/* fi->direct_io = 1 */
#define MN_VFS_FOPEN_KEEP_CACHE 0x2	/* fi->keep_cache = 1 */
#define MN_VFS_FOPEN_NONSEEKABLE 0x4	/* fi->nonseekable = 1 (streams) */
#define MN_VFS_FOPEN_STREAM 0x8		/* reads may return -EAGAIN: see
					   "Blocking reads" below */

/* --- life cycle and mounts ---------------------------------------------- */

struct mn_vfs_opts {
	/* Borrowed, may be NULL (unit tests): passed to render functions and
	 * used to reach the drivers, config and event bus. */
	struct mn_kernel *kernel;
	/* Borrowed; NULL: the kernel's bus, or no events without a kernel. */
	struct mn_evbus *bus;
	/* Host directory of the persistent tree (created if missing, mode
	 * 0700).  NULL: the root is an in-memory tree (tests, no data dir). */
	const char *storage_dir;
	/* Cap of the in-memory file systems' data, bytes; 0: 256 MiB. */
	uint64_t tmp_max_bytes;
};

/* Creates a VFS with only its root file system mounted at /. */
int mn_vfs_create(struct mn_vfs **out, const struct mn_vfs_opts *opts);
/* Unmounts everything and frees; open files must be released first.  NULL
 * ok. */
void mn_vfs_destroy(struct mn_vfs *vfs);

/*
 * Mounts the standard trees of this module over the root: tmp at /tmp, dev
 * at /dev (needs opts.kernel for the drivers), etc at /etc.  Creates the
 * mount point directories as needed (also /home, /root, /var for a fresh
 * storage).  The generated trees are mounted by their owners with
 * mn_vfs_mount_synth().
 */
int mn_vfs_mount_standard(struct mn_vfs *vfs, struct mn_strbuf *err);

/*
 * Mounts a synthetic tree (see below) at an absolute path: `root` is the
 * row of its root directory (borrowed; normally a static const table that
 * outlives the VFS), `type` its name in /proc/mounts ("proc"), `arg` is
 * handed to every callback as ctx->arg (borrowed).  The mount point is
 * created as a directory if missing.  -EBUSY if something is mounted there.
 */
int mn_vfs_mount_synth(struct mn_vfs *vfs, const char *path, const char *type,
		       const struct mn_synth_node *root, void *arg);

/* /proc/mounts content: "storage / micronos rw 0 0\n"... */
int mn_vfs_mounts_render(struct mn_vfs *vfs, struct mn_strbuf *out);

/*
 * The kernel's vfs stage: registers a hook on MN_STAGE_VFS that creates the
 * VFS (storage in mn_kernel_data_dir()/storage, or in memory without a data
 * dir), mounts the standard trees, wires the file syscalls (2000-2004) and
 * stores the VFS in MN_SLOT_VFS; its stop unwires, empties the slot and
 * destroys.  Call before mn_kernel_boot().  Hooks registered on the same
 * stage after this one (the generated trees) find the VFS with mn_vfs_of().
 */
int mn_vfs_attach(struct mn_kernel *k);
/* The kernel's VFS (borrowed), NULL before the vfs stage. */
struct mn_vfs *mn_vfs_of(struct mn_kernel *k);

/* --- the inode API (libfuse low level) ---------------------------------- */

/* Node ids: see the top.  name: one component, not "." or ".." for the
 * mutating calls (-EINVAL).  Names longer than NAME_MAX: -ENAMETOOLONG.
 * lookup's -ENOENT zeroes out but for out->entry_timeout: how long the
 * caller may remember that the name is missing (0: not at all; what the
 * change hook reports as appearing must then be forgotten). */
int mn_vfs_lookup(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t parent, const char *name, struct mn_vfs_entry *out);
/* Takes nlookup away from ino's lookup count.  Never fails; unknown ids
 * are ignored. */
void mn_vfs_forget(struct mn_vfs *vfs, uint64_t ino, uint64_t nlookup);

/* Fills attr; *timeout (may be NULL) gets the attribute timeout. */
int mn_vfs_getattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   uint64_t ino, struct stat *attr, double *timeout);
/*
 * Applies the fields of attr named by to_set (MN_SETATTR_*).  If f is not
 * NULL (ftruncate/fchmod through an open file) the size change uses it and
 * skips the write-permission check, as open already checked.  On success
 * attr is refreshed with the new attributes.
 */
int mn_vfs_setattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   uint64_t ino, struct stat *attr, int to_set,
		   struct mn_vfs_file *f, double *timeout);
/* Copies the target (not NUL-terminated when it fills buf) and returns its
 * length; -ERANGE never: the result is truncated to size.  -EINVAL not a
 * symlink. */
ssize_t mn_vfs_readlink(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			uint64_t ino, char *buf, size_t size);

/* mknod: regular files and FIFOs; sockets and devices where the file
 * system keeps them (tmp: sockets), else -EPERM. */
int mn_vfs_mknod(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		 uint64_t parent, const char *name, mode_t mode, dev_t rdev,
		 struct mn_vfs_entry *out);
int mn_vfs_mkdir(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		 uint64_t parent, const char *name, mode_t mode,
		 struct mn_vfs_entry *out);
int mn_vfs_symlink(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   const char *target, uint64_t parent, const char *name,
		   struct mn_vfs_entry *out);
int mn_vfs_link(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		uint64_t ino, uint64_t newparent, const char *newname,
		struct mn_vfs_entry *out);
int mn_vfs_unlink(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t parent, const char *name);
int mn_vfs_rmdir(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		 uint64_t parent, const char *name);
/* Plain rename replaces an existing target (a dir only by an empty dir);
 * flags MN_RENAME_NOREPLACE (-EEXIST) or MN_RENAME_EXCHANGE. */
int mn_vfs_rename(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t parent, const char *name, uint64_t newparent,
		  const char *newname, unsigned flags);

/*
 * Opens a node; flags are open(2)'s (O_ACCMODE, O_APPEND, O_TRUNC,
 * O_NONBLOCK, O_DIRECTORY, O_NOATIME ...; O_CREAT/O_EXCL are the path API's
 * business and ignored here).  -EISDIR for a directory opened for writing.
 * *out is the new open file (release it with mn_vfs_release).
 */
int mn_vfs_open(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		uint64_t ino, int flags, struct mn_vfs_file **out);
/*
 * FUSE's create: mknod(S_IFREG) + open in one step (named so because
 * mn_vfs_create is the constructor).  An existing name is opened, unless
 * flags has O_EXCL (-EEXIST).
 */
int mn_vfs_create_open(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       uint64_t parent, const char *name, mode_t mode,
		       int flags, struct mn_vfs_entry *out,
		       struct mn_vfs_file **fout);

/*
 * pread/pwrite semantics: returns bytes, 0 at end of file, or -errno.  A
 * file opened O_APPEND writes at its end whatever off says.  -EBADF when
 * the file was not opened for reading (writing).  A read may return
 * -EAGAIN on a STREAM file: see "Blocking reads".  Generated files honour
 * off within the snapshot rendered at open, so 1-byte reads and one big
 * read give the same bytes.
 */
ssize_t mn_vfs_read(struct mn_vfs_file *f, void *buf, size_t size, off_t off);
ssize_t mn_vfs_write(struct mn_vfs_file *f, const void *buf, size_t size,
		     off_t off);
/*
 * Zero-copy read: like mn_vfs_read, but *data may be set to memory owned by
 * the file (a snapshot, the zero page) instead of copying into scratch
 * (which must hold size bytes).  *data stays valid until the file is
 * released.  Returns the byte count at *data.
 */
ssize_t mn_vfs_read_ref(struct mn_vfs_file *f, void *scratch, size_t size,
			off_t off, const void **data);
/*
 * For splicing: if f's data lives in a host file (storage), returns its host
 * fd (borrowed, valid until release) so the caller may read/write it at the
 * same offsets itself (fuse_reply_data with FUSE_BUF_IS_FD); it must then
 * report the bytes with mn_vfs_file_account().  -EOPNOTSUPP otherwise; the
 * caller falls back to mn_vfs_read/write.  A writable file whose fd is
 * taken by a caller without MN_VFS_CRED_COHERENT (the sandbox hands it to a
 * program) is written where the VFS cannot see it: until its release the
 * node's attributes come with timeout 0, and the change hook reports the
 * node when the fd is taken and at release.
 */
int mn_vfs_file_host_fd(struct mn_vfs_file *f);
void mn_vfs_file_account(struct mn_vfs_file *f, int is_write, size_t bytes);

int mn_vfs_flush(struct mn_vfs_file *f);
int mn_vfs_fsync(struct mn_vfs_file *f, int datasync);
/* Ends the open: publishes the coalesced DiskRead/DiskWrite events and
 * drops the VFS's reference; f is invalid afterwards.  NULL ok. */
void mn_vfs_release(struct mn_vfs_file *f);

/* The node id, open flags (MN_VFS_FOPEN_*) and open(2) flags of a file. */
uint64_t mn_vfs_file_ino(const struct mn_vfs_file *f);
unsigned mn_vfs_file_open_flags(const struct mn_vfs_file *f);
int mn_vfs_file_flags(const struct mn_vfs_file *f);
/* Sets O_NONBLOCK / O_APPEND (fcntl F_SETFL); other bits ignored. */
void mn_vfs_file_set_flags(struct mn_vfs_file *f, int flags);
/* Path the file was opened by (best effort for inode-API opens). */
const char *mn_vfs_file_path(const struct mn_vfs_file *f);

/*
 * Directories.  opendir needs read permission.  readdir calls fill once per
 * entry starting after cookie `off` (0: from the start; "." and ".." come
 * first), with the entry's name, stable inode number (st_ino), type (DT_*)
 * and the cookie to pass back to continue after it.  fill returns 0 to go
 * on, nonzero to stop (the FUSE buffer is full): that entry is then NOT
 * consumed.  Cookies stay valid while entries are added or removed.
 * Returns 0 or -errno.
 */
int mn_vfs_opendir(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   uint64_t ino, struct mn_vfs_file **out);
int mn_vfs_readdir(struct mn_vfs_file *dir, off_t off,
		   int (*fill)(void *arg, const char *name, uint64_t st_ino,
			       unsigned dtype, off_t next),
		   void *arg);
/*
 * readdirplus: as readdir, but each entry comes looked up (lookup count +1)
 * in a struct mn_vfs_entry; when fill returns nonzero, the VFS takes that
 * lookup back itself.  "." and ".." come with e->ino == 0 (no lookup
 * taken; the FUSE kernel ignores them), attr.st_ino and st_mode set.
 */
int mn_vfs_readdirplus(struct mn_vfs_file *dir,
		       const struct mn_vfs_cred *cred, off_t off,
		       int (*fill)(void *arg, const char *name,
				   const struct mn_vfs_entry *e, off_t next),
		       void *arg);
void mn_vfs_releasedir(struct mn_vfs_file *dir);
int mn_vfs_fsyncdir(struct mn_vfs_file *dir, int datasync);

int mn_vfs_statfs(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t ino, struct statvfs *out);

/*
 * Extended attributes, getxattr(2) conventions: size 0 asks for the needed
 * size; a buffer too small is -ERANGE; a missing name -ENODATA; names are
 * "namespace.name", only the "user." namespace is stored (others
 * -EOPNOTSUPP for set and get: ls -l then stops asking for ACLs and
 * security labels).  flags: XATTR_CREATE / XATTR_REPLACE.
 * listxattr writes NUL-separated names.  File systems without xattrs:
 * -EOPNOTSUPP.
 */
int mn_vfs_setxattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		    uint64_t ino, const char *name, const void *value,
		    size_t size, int flags);
ssize_t mn_vfs_getxattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			uint64_t ino, const char *name, void *value,
			size_t size);
ssize_t mn_vfs_listxattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			 uint64_t ino, char *list, size_t size);
int mn_vfs_removexattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       uint64_t ino, const char *name);

/*
 * Change notification.  Whoever caches the tree (the FUSE kernel keeps
 * entries and attributes for the file system's timeouts, and data with
 * MN_VFS_FOPEN_KEEP_CACHE) learns through one hook per VFS of the changes
 * made by others: the shell, the syscalls, the kernel itself.
 *
 * fn runs after a change succeeded, in the thread that made it, with no VFS
 * or file system lock held.  It must be quick and must not block or call
 * the VFS: queue the work and return (an invalidation sent from a thread
 * that serves the FUSE kernel can deadlock against that kernel).  One call
 * per thing changed:
 *   parent != 0, name != NULL: the name in that directory appeared, went
 *     away or now names another file (the directory's own attributes
 *     changed with it); ino is 0;
 *   ino != 0: that node's attributes changed, and with MN_VFS_CHANGED_DATA
 *     in what also its content (write, truncate); parent is 0, name NULL.
 * Node ids are those of the inode API; a node nobody looked up is not
 * reported.  Not reported: changes made with MN_VFS_CRED_COHERENT (or
 * through a file opened with it), changes made to the storage directory
 * behind the VFS's back, and the content of generated files (they are
 * served uncached).
 */
#define MN_VFS_CHANGED_DATA 0x1
typedef void mn_vfs_change_fn(void *arg, uint64_t parent, const char *name,
			      uint64_t ino, unsigned what);
/*
 * Installs fn with arg (borrowed; NULL fn removes the hook).  -EBUSY if
 * another hook is installed.  Returns once no call of the previous hook is
 * running any more, so its arg may then be freed; must not be called from
 * the hook itself.
 */
int mn_vfs_set_change_hook(struct mn_vfs *vfs, mn_vfs_change_fn *fn,
			   void *arg);

/* access(2): mask R_OK|W_OK|X_OK or F_OK.  0, -EACCES, -EROFS. */
int mn_vfs_access(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t ino, int mask);

/*
 * Blocking reads, poll and interrupts.
 *
 * mn_vfs_read never blocks.  A STREAM file (MN_VFS_FOPEN_STREAM, e.g.
 * /events/stream) returns -EAGAIN when nothing is there yet.  The caller
 * then decides: with O_NONBLOCK (mn_vfs_file_flags or the FUSE read's
 * fi->flags) it returns EAGAIN; otherwise it parks the request:
 *
 *   struct my_parked { struct mn_vfs_waiter w; fuse_req_t req; ... };
 *   p->w.wake = my_wake;             // called once, see below
 *   if (mn_vfs_wait_add(f, &p->w) == 1)
 *           retry the read now       // became ready while arming
 *   // else: my_wake(&p->w) will run later; it hands the request to a
 *   // worker that retries the read and replies, or parks it again if
 *   // the read still says -EAGAIN.
 *
 * An interrupt (fuse_req_interrupt_func) calls mn_vfs_wait_cancel(f, &w):
 * if it returns 1 the waiter was disarmed and wake will never run (reply
 * EINTR); 0 means wake already ran or is running (let it reply).
 *
 * wake runs once per arming, in the thread that made data available (e.g.
 * an event publisher), with no VFS lock held but possibly with the file
 * system's own lock held: it must be quick, must not block and must NOT
 * call into the VFS (queue the retry to another thread, signal a condvar,
 * or call fuse_lowlevel_notify_poll; nothing else).  Releasing a file that
 * still has armed waiters is a caller bug (FUSE never does it: a pending
 * read keeps the file open); the VFS disarms them without calling wake.
 *
 * A file system that wakes a file from another thread must hold a
 * reference on it (mn_vfs_file_get) or its own lock that its release
 * callback also takes, so the file cannot go away under the wake.
 *
 * poll: mn_vfs_poll returns the ready mask now (POLLIN, POLLOUT, POLLHUP;
 * regular files are always POLLIN|POLLOUT).  For FUSE's poll with a poll
 * handle: if the mask lacks what was asked, arm a waiter whose wake calls
 * fuse_lowlevel_notify_poll(ph).
 *
 * The core's blocking readers (syscalls, shell) use mn_vfs_read_wait.
 */
struct mn_vfs_waiter {
	void (*wake)(struct mn_vfs_waiter *w);	/* set by the caller */
	/* private to the VFS: */
	struct mn_vfs_waiter *next, *prev;
	int armed;
};
/* 0 armed; 1 the file is ready now (not armed; retry now); -errno. */
int mn_vfs_wait_add(struct mn_vfs_file *f, struct mn_vfs_waiter *w);
/* 1 disarmed before wake ran, 0 otherwise.  w may be unarmed. */
int mn_vfs_wait_cancel(struct mn_vfs_file *f, struct mn_vfs_waiter *w);
/* Called by file systems (and the framework below) when f may be
 * readable/writable: runs and disarms every armed waiter.  Safe from any
 * thread; takes no lock but the file's waiter lock (not held during wake). */
void mn_vfs_file_wake(struct mn_vfs_file *f);
int mn_vfs_poll(struct mn_vfs_file *f, unsigned *revents);
/*
 * A read that blocks until data, end of file, timeout (timeout_ms < 0
 * waits forever: -EAGAIN after a timeout) or mn_vfs_file_interrupt()
 * (-EINTR).  For non-STREAM files it is mn_vfs_read.
 */
ssize_t mn_vfs_read_wait(struct mn_vfs_file *f, void *buf, size_t size,
			 off_t off, int timeout_ms);
/* Makes every mn_vfs_read_wait blocked on f (now) return -EINTR. */
void mn_vfs_file_interrupt(struct mn_vfs_file *f);

/* --- the path API -------------------------------------------------------- */

/* Resolution flags: how the last component is treated. */
#define MN_VFS_NOFOLLOW 0x1	/* do not follow a final symlink */

/*
 * Resolves path (absolute, or relative to cwd, itself an absolute path;
 * cwd NULL means "/") to a node: out gets its entry (lookup count +1:
 * mn_vfs_forget(vfs, out->ino, 1) when done).  flags MN_VFS_NOFOLLOW.
 */
int mn_vfs_resolve(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   const char *cwd, const char *path, int flags,
		   struct mn_vfs_entry *out);
/*
 * Resolves everything but the last component: *parent gets the directory's
 * node id (lookup count +1), name (MN_VFS_NAME_MAX + 1 bytes) the last
 * component.  "/" (no last component) is -EINVAL; "." or ".." as the last
 * component too (the mutating calls refuse them).  A trailing "/" sets
 * *must_dir (may be NULL).
 */
int mn_vfs_resolve_parent(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			  const char *cwd, const char *path, uint64_t *parent,
			  char *name, int *must_dir);

/* open(2) by path: O_CREAT (mode), O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_TRUNC
 * and the rest as mn_vfs_open.  Directories open as with opendir. */
int mn_vfs_open_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		     const char *cwd, const char *path, int flags, mode_t mode,
		     struct mn_vfs_file **out);
int mn_vfs_stat_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		     const char *cwd, const char *path, int flags,
		     struct stat *out);
int mn_vfs_mkdir_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path, mode_t mode);
int mn_vfs_unlink_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       const char *cwd, const char *path);
int mn_vfs_rmdir_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path);
int mn_vfs_symlink_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			const char *cwd, const char *target, const char *path);
int mn_vfs_rename_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       const char *cwd, const char *from, const char *to);
ssize_t mn_vfs_readlink_path(struct mn_vfs *vfs,
			     const struct mn_vfs_cred *cred, const char *cwd,
			     const char *path, char *buf, size_t size);
/* Canonical absolute path of a directory (for chdir): resolves path, checks
 * it is a searchable directory, writes the path without symlinks, "." or
 * ".." into out (size MN_VFS_PATH_MAX). */
int mn_vfs_realpath(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		    const char *cwd, const char *path, char *out, size_t size);

/* Reads a whole file by path into out (at most max bytes; -EFBIG past). */
int mn_vfs_read_file(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		     const char *cwd, const char *path, size_t max,
		     struct mn_strbuf *out);
/* Creates/truncates and writes a whole file by path (mode for a new one). */
int mn_vfs_write_file(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path, const void *data,
		      size_t len, mode_t mode);

/* --- open file table ----------------------------------------------------- */

/* A copy of one open file, for /proc/PID/fd and `files`-like views. */
struct mn_vfs_file_info {
	uint64_t ino;		/* node id */
	uint64_t st_ino;
	int32_t pid;		/* opener */
	int flags;		/* open(2) flags */
	uint64_t bytes_read, bytes_written;
	char path[256];		/* truncated */
};
/* Copies up to max open files; returns how many are open. */
size_t mn_vfs_files(struct mn_vfs *vfs, struct mn_vfs_file_info *out,
		    size_t max);
/* Takes one more reference on an open file (dup, fork): each reference
 * needs its own mn_vfs_release(). */
void mn_vfs_file_get(struct mn_vfs_file *f);

/* --- per-process descriptors (the file syscalls) --------------------------- */

/*
 * The file syscalls (2000-2004, wired by mn_vfs_attach) keep one descriptor
 * table per MicronOS process: fd -> open file, offsets shared by dup and
 * fork as in Unix, at most MN_VFS_FDS_MAX descriptors per process.  The
 * process layer (or whoever reaps processes) calls these so tables follow
 * the processes; all accept a kernel without a VFS (no-op, 0).
 */
#define MN_VFS_FDS_MAX 1024
/* Closes every descriptor of pid (exit). */
void mn_vfs_proc_exit(struct mn_kernel *k, int32_t pid);
/* Gives child a copy of parent's table (fork); -ENOMEM. */
int mn_vfs_proc_fork(struct mn_kernel *k, int32_t parent, int32_t child);
/* Calls emit for each open descriptor of pid, in fd order, with the path
 * it was opened by; stops when emit returns nonzero.  Returns the count. */
int mn_vfs_proc_fds(struct mn_kernel *k, int32_t pid,
		    int (*emit)(void *arg, int fd, const char *path),
		    void *arg);

/* --- synthetic file systems ---------------------------------------------- */

/*
 * A synthetic file system is a tree of static rows, one per file, like
 * Linux's procfs/sysfs tables.  Each directory row lists its children in a
 * NULL-name-terminated array; a directory may also have dynamic entries
 * (the PIDs of /proc, the drivers of /sys/drivers) produced by a list
 * function, each entry described by one template row whose callbacks see
 * which entry they serve in ctx->bind.
 *
 * Regular files are rendered into a snapshot at open and again by each read
 * that starts over at offset 0 after the first (Linux's seq_file: a reader
 * that keeps the file open and lseeks to 0 sees fresh figures, and one read
 * sequence, 1-byte reads or not, sees one consistent text); they are served
 * DIRECT_IO with st_size 0 unless a getattr
 * callback says otherwise.  Symlinks render their target.  Writable
 * control files (mode with a w bit and a write callback) get each write(2)
 * as one call, Plan 9 style (`echo stop > state`); the callback's -errno is
 * the write's.  Rows with io ops are served raw (devices, streams).
 *
 * Every callback runs without any VFS lock held and may take its module's
 * locks.  Return 0 or -errno.
 */

#define MN_SYNTH_MAX_BIND 4	/* nested dynamic directories */

/* What a callback is serving. */
struct mn_vnode_ctx {
	const struct mn_synth_node *node;	/* the row */
	void *arg;		/* the mount's arg */
	struct mn_vfs *vfs;
	/* The caller: the opener for render/write/io, the looker for
	 * lookup/list/getattr (e.g. /proc/self renders cred->pid).  Borrowed
	 * for the call. */
	const struct mn_vfs_cred *cred;
	/* Entries of dynamic directories on the path, outermost first:
	 * /proc/42/fd/3 -> bind[0] = {"42", 42}, bind[1] = {"3", 3}.  num is
	 * -1 for a name that is not a decimal number. */
	unsigned nbind;
	struct {
		const char *name;
		int64_t num;
	} bind[MN_SYNTH_MAX_BIND];
};

/* Dynamic entries of a directory. */
struct mn_synth_dir_ops {
	/*
	 * Calls emit(e, name) for every entry (names: 1..NAME_MAX bytes,
	 * no '/'); stop when emit returns nonzero.  Returns 0 or -errno.
	 */
	int (*list)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    int (*emit)(void *e, const char *name), void *e);
	/* 0 if `name` is an entry, else -ENOENT.  NULL: list is scanned. */
	int (*lookup)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      const char *name);
	/* The row each entry is (its name field is ignored); borrowed. */
	const struct mn_synth_node *entry;
};

/*
 * Raw I/O instead of a rendered snapshot: devices and streams.  state is
 * per open file.  read returns bytes, 0 at end, -EAGAIN when a stream has
 * nothing now (the framework then reports MN_VFS_FOPEN_STREAM semantics:
 * call mn_vfs_file_wake(file) when data arrives).  file is borrowed until
 * release; it may be kept for waking.
 */
struct mn_synth_io_ops {
	int (*open)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_vfs_file *file, int flags, void **state);
	ssize_t (*read)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			void *state, void *buf, size_t size, off_t off);
	ssize_t (*write)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			 void *state, const void *buf, size_t size, off_t off);
	/* Ready mask (POLLIN...); NULL: always POLLIN|POLLOUT. */
	unsigned (*poll)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			 void *state);
	void (*release)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			void *state);
	/* Zero-copy read for mn_vfs_read_ref (optional): set *data to memory
	 * valid until release, return its length. */
	ssize_t (*read_ref)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			    void *state, size_t size, off_t off,
			    const void **data);
	unsigned fopen_flags;	/* MN_VFS_FOPEN_*, e.g. DIRECT_IO|STREAM */
};

/* Row flags. */
#define MN_SYNTH_GROWS 0x1	/* content only grows (a log): a read at or
				   past the snapshot's end renders again, so
				   tail -f follows it */
#define MN_SYNTH_VOLATILE 0x2	/* entry timeout 0 (names that come and
				   go, /proc/self); dynamic entries always */
#define MN_SYNTH_SIZED 0x4	/* getattr renders to report the real
				   st_size (small files: /etc/passwd), and
				   the file is not DIRECT_IO */

struct mn_synth_node {
	const char *name;	/* NULL ends a table */
	mode_t mode;		/* S_IFREG/S_IFDIR/S_IFLNK | permissions */
	unsigned flags;		/* MN_SYNTH_* */
	/* REG: the content; LNK: the target. */
	int (*render)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      struct mn_strbuf *out);
	/* REG: a control write: data is NUL-terminated (at most 64 KiB). */
	int (*write)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     const char *data, size_t len);
	/* Optional: adjust attributes (st_size, st_mtim, st_uid ...) after
	 * the framework filled them. */
	int (*getattr)(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct stat *st);
	const struct mn_synth_node *children;	/* DIR: static entries */
	const struct mn_synth_dir_ops *dyn;	/* DIR: dynamic entries */
	const struct mn_synth_io_ops *io;	/* REG: raw I/O */
};

#endif
