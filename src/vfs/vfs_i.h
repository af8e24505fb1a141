/*
 * vfs_i.h - private definitions shared by the VFS and its file systems.
 *
 * The VFS (vfs.c) owns nodes (struct mn_vnode), the mount table and the
 * permission rules; vfs_file.c the open files; vfs_path.c path resolution.
 * A file system is a table of operations (struct mn_fs_ops) plus its own
 * state; it names its files by a local inode number and keeps whatever it
 * needs per file in a `priv` pointer that the VFS stores in the node.
 *
 * Contract between the VFS and a file system:
 *  - The VFS calls every op without its own lock held, on nodes it holds a
 *    reference to, and has already checked permissions (the fs only does
 *    what it is asked: it trusts cred for ownership of new files).
 *  - lookup/mknod/mkdir/symlink/link fill a struct mn_fs_entry whose priv is
 *    a NEW reference on the fs's node; the VFS either keeps it in a new
 *    mn_vnode or, when a node with the same local ino already exists, gives
 *    it back with ops->put().  put() is also called when a node is dropped.
 *  - attr.st_ino as filled by the fs is the local ino; the VFS rewrites it
 *    into the tree-wide number (mount index in the top 8 bits).
 *  - Ops a file system lacks are NULL: the VFS answers -ENOSYS (or -EROFS
 *    for the mutating ones when the fs is read-only).
 *
 * Lock order: vfs->lock, then a file's wait lock; file systems' locks are
 * never taken with vfs->lock held.
 */
#ifndef MICRONOS_VFS_I_H
#define MICRONOS_VFS_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <micronos/health.h>
#include <micronos/vfs.h>

struct mn_fs;
struct mn_vnode;
struct mn_mount;

struct mn_fs_entry {
	uint64_t ino;		/* local inode number, > 0 */
	uint64_t gen;
	void *priv;		/* a new reference, see above */
	struct stat attr;
};

/* readdir callback of a file system: st_ino is the local number. */
typedef int mn_fs_fill_fn(void *arg, const char *name, uint64_t st_ino,
			  unsigned dtype, off_t next);

/* Attributes a new node gets (the VFS computes ownership and setgid). */
struct mn_fs_newattr {
	mode_t mode;		/* type | permissions */
	uint32_t uid, gid;
	dev_t rdev;
};

/* Node types a file system's mknod keeps, beyond regular files and FIFOs. */
#define MN_FS_NOD_SOCK 1u	/* unix sockets: the node must stay that inode */
#define MN_FS_NOD_DEV 2u	/* character and block devices (inert: nodev) */

struct mn_fs_ops {
	const char *type;
	/* name may be ".." (never "."); dir is never a mount's covered node */
	int (*lookup)(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		      const struct mn_vfs_cred *cred, struct mn_fs_entry *out);
	void (*put)(struct mn_fs *fs, void *priv);
	int (*getattr)(struct mn_fs *fs, struct mn_vnode *vn,
		       const struct mn_vfs_cred *cred, struct stat *st);
	/* to_set already checked; f may be NULL */
	int (*setattr)(struct mn_fs *fs, struct mn_vnode *vn,
		       const struct stat *attr, int to_set,
		       struct mn_vfs_file *f);
	ssize_t (*readlink)(struct mn_fs *fs, struct mn_vnode *vn,
			    const struct mn_vfs_cred *cred, char *buf,
			    size_t size);
	/* regular files and FIFOs; sockets and devices (na->rdev) only if
	   mknod_types says so, else the VFS answers -EPERM first */
	int (*mknod)(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		     const struct mn_fs_newattr *na, struct mn_fs_entry *out);
	unsigned mknod_types;	/* MN_FS_NOD_* */
	int (*mkdir)(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		     const struct mn_fs_newattr *na, struct mn_fs_entry *out);
	int (*symlink)(struct mn_fs *fs, struct mn_vnode *dir,
		       const char *name, const char *target,
		       const struct mn_fs_newattr *na,
		       struct mn_fs_entry *out);
	int (*link)(struct mn_fs *fs, struct mn_vnode *vn,
		    struct mn_vnode *newdir, const char *newname,
		    struct mn_fs_entry *out);
	int (*unlink)(struct mn_fs *fs, struct mn_vnode *dir,
		      const char *name);
	int (*rmdir)(struct mn_fs *fs, struct mn_vnode *dir, const char *name);
	int (*rename)(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		      struct mn_vnode *newdir, const char *newname,
		      unsigned flags);
	/* open sets f->priv and may add to f->fopen */
	int (*open)(struct mn_fs *fs, struct mn_vnode *vn,
		    struct mn_vfs_file *f, int flags);
	ssize_t (*read)(struct mn_vfs_file *f, void *buf, size_t size,
			off_t off);
	ssize_t (*read_ref)(struct mn_vfs_file *f, void *scratch, size_t size,
			    off_t off, const void **data);
	ssize_t (*write)(struct mn_vfs_file *f, const void *buf, size_t size,
			 off_t off);
	int (*flush)(struct mn_vfs_file *f);
	int (*fsync)(struct mn_vfs_file *f, int datasync);
	void (*release)(struct mn_vfs_file *f);
	int (*host_fd)(struct mn_vfs_file *f);
	unsigned (*poll)(struct mn_vfs_file *f);
	int (*opendir)(struct mn_fs *fs, struct mn_vnode *vn,
		       struct mn_vfs_file *f);
	/* "." and ".." included; cookies > 0 */
	int (*readdir)(struct mn_vfs_file *f, off_t off, mn_fs_fill_fn *fill,
		       void *arg);
	void (*releasedir)(struct mn_vfs_file *f);
	int (*fsyncdir)(struct mn_vfs_file *f, int datasync);
	int (*statfs)(struct mn_fs *fs, struct mn_vnode *vn,
		      struct statvfs *out);
	int (*setxattr)(struct mn_fs *fs, struct mn_vnode *vn,
			const char *name, const void *value, size_t size,
			int flags);
	ssize_t (*getxattr)(struct mn_fs *fs, struct mn_vnode *vn,
			    const char *name, void *value, size_t size);
	ssize_t (*listxattr)(struct mn_fs *fs, struct mn_vnode *vn,
			     char *list, size_t size);
	int (*removexattr)(struct mn_fs *fs, struct mn_vnode *vn,
			   const char *name);
	/* entry timeout for a name in dir (NULL: fs->entry_timeout) */
	double (*entry_timeout)(struct mn_fs *fs, struct mn_vnode *vn);
	/* attribute timeout of vn (NULL: fs->attr_timeout) */
	double (*attr_timeout)(struct mn_fs *fs, struct mn_vnode *vn);
	void (*destroy)(struct mn_fs *fs);
};

/* One file system instance.  Fields set at creation, then read-only. */
struct mn_fs {
	const struct mn_fs_ops *ops;
	struct mn_vfs *vfs;
	void *priv;
	unsigned index;		/* mount index: top bits of st_ino */
	uint64_t root_ino;	/* local ino of the root */
	void *root_priv;	/* a reference on the root node, given to the
				   VFS at mount */
	double attr_timeout;
	double entry_timeout;
	double neg_timeout;	/* how long a missing name may be cached */
	int readonly;
	char type[16];
};

/* A VFS node. */
struct mn_vnode {
	uint64_t id;		/* node id; set once */
	struct mn_fs *fs;	/* set once */
	uint64_t lino;		/* local ino; set once */
	uint64_t gen;		/* set once */
	void *priv;		/* the fs's node; set once */
	/* protected by vfs->lock: */
	uint64_t nlookup;
	uint64_t refs;		/* open files, calls in flight, mounts */
	int hashed_key;		/* still in the (fs, lino) table */
	struct mn_mount *covered_by;	/* a mount sits on this node */
	struct mn_mount *root_of;	/* this is a mount's root */
	struct mn_vnode *parent;	/* dir it was last looked up in;
					   reference held (as a dentry pins
					   its parent), for paths */
	char *name;		/* name it was last looked up by */
	/* open files whose host fd a writer outside the VFS holds (the
	 * sandbox's log files): the kernel must not cache the attributes */
	atomic_uint host_writers;
	struct mn_vnode *next_id, *next_key;
};

struct mn_mount {
	struct mn_fs *fs;
	struct mn_vnode *root;		/* reference held */
	struct mn_vnode *covered;	/* reference held; NULL for / */
	char path[256];
	struct mn_mount *next;
};

/* One open file or directory. */
struct mn_vfs_file {
	struct mn_vfs *vfs;
	struct mn_vnode *vn;	/* reference held */
	atomic_uint refs;
	atomic_int flags;	/* open(2) flags */
	unsigned fopen;		/* MN_VFS_FOPEN_* */
	int is_dir;
	int32_t pid;		/* the opener's credentials (no groups) */
	uint32_t uid, gid;
	unsigned cflags;	/* the opener's MN_VFS_CRED_*; set once */
	atomic_int host_writer;	/* counted in vn->host_writers */
	void *priv;		/* the fs's per-open state */
	char *path;		/* owned; may be NULL */
	atomic_uint_fast64_t rd_calls, rd_bytes, wr_calls, wr_bytes;
	atomic_llong pos;	/* file offset of the syscalls' descriptors */
	/* protected by wlock: */
	pthread_mutex_t wlock;
	struct mn_vfs_waiter *waiters;
	uint64_t intr_gen;	/* bumped by mn_vfs_file_interrupt */
	/* protected by vfs->lock: */
	struct mn_vfs_file *next, *prev;
};

/* The change hook (vfs_notify.c), embedded in struct mn_vfs. */
struct mn_vfs_hook {
	atomic_int installed;	/* fn != NULL, read without the lock */
	pthread_mutex_t lock;	/* a leaf: never held while fn runs */
	pthread_cond_t idle;
	/* protected by lock: */
	mn_vfs_change_fn *fn;
	void *arg;
	unsigned running;	/* calls of fn in progress */
};

/* Whether cred passes the checks root passes (MN_VFS_CRED_ADMIN too). */
static inline int mn_vfs_cred_root(const struct mn_vfs_cred *cred)
{
	return cred->uid == 0 || (cred->flags & MN_VFS_CRED_ADMIN);
}

/* --- vfs.c ---------------------------------------------------------------- */
struct mn_kernel *mn_vfs_kernel(struct mn_vfs *vfs);
struct mn_evbus *mn_vfs_bus(struct mn_vfs *vfs);
uint64_t mn_vfs_tmp_max(struct mn_vfs *vfs);
/* Node by id with a reference (vn_put); NULL if unknown. */
struct mn_vnode *mn_vnode_get(struct mn_vfs *vfs, uint64_t ino);
void mn_vnode_ref(struct mn_vfs *vfs, struct mn_vnode *vn);
void mn_vnode_put(struct mn_vfs *vfs, struct mn_vnode *vn);
/* getattr through the fs with st_ino rewritten. */
int mn_vnode_getattr(struct mn_vnode *vn, const struct mn_vfs_cred *cred,
		     struct stat *st);
uint64_t mn_vfs_st_ino(const struct mn_fs *fs, uint64_t lino);
/* Classic permission check of mask (R_OK|W_OK|X_OK) against st. */
int mn_vfs_perm(const struct mn_vfs_cred *cred, const struct stat *st,
		int mask);
/*
 * Turns a file system's entry into a node holding one more lookup, crossing
 * onto a mount that covers it.  Consumes fe->priv.  Fills out unless NULL;
 * *vn_out (may be NULL) gets the node with a reference.
 */
int mn_vfs_install(struct mn_vfs *vfs, struct mn_fs *fs,
		   struct mn_fs_entry *fe, uint64_t parent, const char *name,
		   const struct mn_vfs_cred *cred, struct mn_vfs_entry *out,
		   struct mn_vnode **vn_out);
/* An entry for vn itself with one more lookup ("." and friends). */
int mn_vfs_entry_of(struct mn_vfs *vfs, struct mn_vnode *vn,
		    const struct mn_vfs_cred *cred, struct mn_vfs_entry *out);
int mn_vfs_cred_in_group(const struct mn_vfs_cred *cred, uint32_t gid);
/* The timeouts to hand out with vn's attributes and with its name. */
double mn_vnode_attr_timeout(struct mn_vnode *vn);
double mn_vnode_entry_timeout(struct mn_vnode *vn);
/*
 * How long the kernel may cache a tree that only the VFS writes (storage,
 * tmp): its entries, attributes and missing names.  The change hook tells
 * it at once of what others than the mount change, so the timeout only
 * bounds what nobody reports (the storage directory edited on the host).
 */
#define MN_VFS_CACHE_LONG 3600.0
void mn_fs_cache_long(struct mn_fs *fs);
/*
 * For ".." at vn: if vn is a mounted root, returns (with a reference) the
 * covered node to look ".." up in; else NULL.  The root of / is its own
 * parent: *self is set.
 */
struct mn_vnode *mn_vfs_dotdot_base(struct mn_vfs *vfs, struct mn_vnode *vn,
				    int *self);
/* Whether a file system's local ino is a mount point now. */
int mn_vfs_is_mountpoint(struct mn_vfs *vfs, struct mn_fs *fs, uint64_t lino);
/* Best-effort path of a node from the names it was looked up by. */
int mn_vfs_node_path(struct mn_vfs *vfs, uint64_t ino, char *buf,
		     size_t size);
/* Mounts fs (taken over) at an absolute path. */
int mn_vfs_mount_fs(struct mn_vfs *vfs, const char *path, struct mn_fs *fs);
/* Allocates a struct mn_fs (zeroed, type copied). */
struct mn_fs *mn_fs_alloc(struct mn_vfs *vfs, const struct mn_fs_ops *ops,
			  const char *type);
/* Node id of a file system's local ino if a node exists for it, else 0. */
uint64_t mn_vfs_node_id(struct mn_vfs *vfs, struct mn_fs *fs, uint64_t lino);
struct mn_vfs_hook *mn_vfs_hook_of(struct mn_vfs *vfs);
void mn_vfs_files_link(struct mn_vfs *vfs, struct mn_vfs_file *f);
void mn_vfs_files_unlink(struct mn_vfs *vfs, struct mn_vfs_file *f);

/* --- vfs_file.c ----------------------------------------------------------- */
/* A new open file on vn (takes a node reference), 1 reference. */
int mn_vfs_file_new(struct mn_vfs *vfs, struct mn_vnode *vn,
		    const struct mn_vfs_cred *cred, int flags, int is_dir,
		    struct mn_vfs_file **out);
void mn_vfs_file_free(struct mn_vfs_file *f);

/* --- vfs_notify.c --------------------------------------------------------- */
int mn_vfs_hook_init(struct mn_vfs_hook *h);
void mn_vfs_hook_destroy(struct mn_vfs_hook *h);
/*
 * Reports a change to the hook (see vfs.h) unless cred is COHERENT.  Call
 * with no VFS or file system lock held.  parent/name and ino as there.
 */
void mn_vfs_changed(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		    uint64_t parent, const char *name, uint64_t ino,
		    unsigned what);
/* Whether a change by cred would reach a hook now (cheap, no lock). */
int mn_vfs_reporting(struct mn_vfs *vfs, const struct mn_vfs_cred *cred);
/* The same for a change through an open file (its opener's cred). */
void mn_vfs_file_changed(struct mn_vfs_file *f, unsigned what);

/* --- file systems --------------------------------------------------------- */
/*
 * The VFS core names no file system: the root is made by the caller's
 * make_root (fs_root.c: storage over opts->storage_dir, else tmp), so that
 * src/fs depends on src/vfs and never the other way (ARCHITECTURE.md,
 * "Folders").  make_root returns 0 or -errno and writes *out on success.
 */
typedef int mn_vfs_root_fn(struct mn_vfs *vfs, const struct mn_vfs_opts *opts,
			   struct mn_fs **out);
int mn_vfs_create_rooted(struct mn_vfs **out, const struct mn_vfs_opts *opts,
			 mn_vfs_root_fn *make_root);
int mn_fs_tmp_create(struct mn_vfs *vfs, uint64_t max_bytes,
		     struct mn_fs **out);
int mn_fs_storage_create(struct mn_vfs *vfs, const char *dir,
			 struct mn_fs **out);
int mn_fs_synth_create(struct mn_vfs *vfs, const char *type,
		       const struct mn_synth_node *root, void *arg,
		       struct mn_fs **out);
extern const struct mn_synth_node mn_fs_dev_root;
extern const struct mn_synth_node mn_fs_etc_root;

/* The syscalls' descriptor tables (sys_file.c), kept by the VFS. */
struct mn_sysfiles;
void mn_vfs_set_sysfiles(struct mn_vfs *vfs, struct mn_sysfiles *sf);
struct mn_sysfiles *mn_vfs_sysfiles(struct mn_vfs *vfs);
int mn_sysfiles_create(struct mn_sysfiles **out, struct mn_vfs *vfs);
void mn_sysfiles_destroy(struct mn_sysfiles *sf);
/* Wires (sf) or unwires (NULL) the file rows of the syscall table. */
int mn_sysfiles_wire(struct mn_kernel *k, struct mn_sysfiles *sf);

/*
 * fs_storage.c: the "storage" health check: the daemon's descriptors
 * against RLIMIT_NOFILE (degraded from 80%, failed from 95% or after a
 * host open was refused for want of one) and the node cache's figures.
 */
enum mn_health_status mn_fs_storage_health(struct mn_vfs *vfs, char *msg,
					   size_t size);

/* fs_storage.c: DiskRead/DiskWrite of a file at release. */
void mn_vfs_publish_io(struct mn_vfs_file *f);

#endif
