/*
 * fusefs_i.h - private definitions shared by the FUSE adapter's files.
 *
 * fusefs.c       life cycle: mount, the session loop thread, stop, the
 *                kernel stage hook;
 * fusefs_mnt.c   the host side of mounting: dead mount detection/cleanup;
 * fusefs_ops.c   the request handlers that map 1:1 onto the VFS;
 * fusefs_io.c    open files, read/write, poll, parked reads;
 * fusefs_notify.c the notifier thread and its queue;
 * fusefs_cred.c  caller credentials and id maps;
 * fusefs_stats.c requests and their latency per FUSE operation.
 *
 * Lock order: fs->files_lock, then fs->qlock; neither is held across a
 * VFS call, a FUSE reply or a notification (the VFS may run a waiter's
 * wake, which takes qlock, with the file system's own lock held).
 */
#ifndef MICRONOS_FUSEFS_I_H
#define MICRONOS_FUSEFS_I_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <micronos/stats.h>
#include <micronos/vfs.h>

#include "fusefs.h"

#define FUSEFS_IO_MAX (1u << 20) /* max_write, max_read: 1 MiB */
#define FUSEFS_GROUPS_CACHE 64	 /* pids whose groups are cached */

/* What the notifier thread does with a queued item. */
enum nitem_kind {
	NI_PARKED, /* struct parked: retry a read, or answer EINTR */
	NI_POLL,   /* struct pollw: notify the kernel, free */
	NI_INVAL_INODE,
	NI_INVAL_ENTRY,
};

struct nitem {
	enum nitem_kind kind;
	struct nitem *next; /* queue link, protected by fs->qlock */
	int queued;	    /* in the queue; protected by fs->qlock */
};

/* An open file or directory the kernel holds (fi->fh). */
struct fh {
	struct mn_vfs_file *f;
	unsigned fopen; /* MN_VFS_FOPEN_* at open; set once */
	int host_fd;	/* storage data file, or -1; set once */
	int is_dir;	/* set once */
	/* protected by fs->qlock: */
	struct pollw *pw; /* the armed poll waiter, if any */
	/* protected by fs->files_lock: */
	struct fh *prev, *next;
};

/* A poll handle waiting for its file to become ready. */
struct pollw {
	struct nitem it;
	struct mn_vfs_waiter w;
	struct mn_fusefs *fs;
	struct fuse_pollhandle *ph;
	/* protected by fs->qlock: the file it is armed on (NULL once the
	 * file let go of it) */
	struct fh *owner;
};

/*
 * A read parked until its stream has data.  Owned by the notifier thread
 * from the moment it is queued; other threads only set flags and queue it
 * (under qlock).
 */
struct parked {
	struct nitem it;
	struct mn_vfs_waiter w;
	struct mn_fusefs *fs;
	fuse_req_t req;
	struct fh *fh; /* kept open by the pending read */
	size_t size;
	off_t off;
	/* protected by fs->qlock: */
	int interrupted;	    /* the interrupt callback ran */
	int woken;		    /* the waiter's wake ran */
	int done;		    /* answered; free when next popped */
	struct parked *prev, *next; /* fs->parked list */
	/* notifier thread only: */
	int armed;	  /* waiter armed, wake not seen yet */
	int wake_pending; /* cancel failed: wake is on its way */
	int registered;	  /* interrupt callback set */
};

struct inval {
	struct nitem it;
	uint64_t ino;
	int attr_only; /* INODE: keep the cached data */
	char name[MN_VFS_NAME_MAX + 1];
};

struct groups_slot {
	pid_t pid;
	uint64_t stamp_ns;
	uint32_t n;
	uint32_t g[MN_VFS_GROUPS_MAX];
};

struct idmap {
	unsigned n;
	struct mn_fusefs_idmap line[MN_FUSEFS_IDMAP_MAX];
};

/* The FUSE operations counted by fusefs_stats.c. */
enum fusefs_op {
	FOP_LOOKUP,
	FOP_FORGET,
	FOP_BATCH_FORGET,
	FOP_GETATTR,
	FOP_SETATTR,
	FOP_READLINK,
	FOP_MKNOD,
	FOP_MKDIR,
	FOP_UNLINK,
	FOP_RMDIR,
	FOP_SYMLINK,
	FOP_RENAME,
	FOP_LINK,
	FOP_OPEN,
	FOP_READ,
	FOP_WRITE,
	FOP_FLUSH,
	FOP_RELEASE,
	FOP_FSYNC,
	FOP_OPENDIR,
	FOP_READDIR,
	FOP_READDIRPLUS,
	FOP_RELEASEDIR,
	FOP_FSYNCDIR,
	FOP_STATFS,
	FOP_SETXATTR,
	FOP_GETXATTR,
	FOP_LISTXATTR,
	FOP_REMOVEXATTR,
	FOP_ACCESS,
	FOP_CREATE,
	FOP_POLL,
	FUSEFS_OP_COUNT
};

/* One operation's figures: relaxed atomics, see fusefs_stats.c. */
struct fusefs_opstat {
	atomic_ullong count, ns, ns_max;
	atomic_ullong lat[MN_FUSEFS_LAT_BUCKETS];
	/* 0 not yet, 1 the kernel's counters below are set, -1 never */
	atomic_int published;
	_Atomic uint64_t *k_count;
	struct mn_stat_hist *k_hist;
};

struct mn_fusefs {
	struct mn_vfs *vfs;	  /* borrowed */
	struct mn_kernel *kernel; /* borrowed, may be NULL */
	struct fuse_session *se;
	char mountpoint[PATH_MAX];
	unsigned flags;
	unsigned max_threads;
	pthread_rwlock_t maplock;
	/* protected by maplock; `mapped` (either map non-empty) is read
	 * without it so that identity costs no lock: */
	struct idmap uidmap, gidmap;
	atomic_int mapped;
	int mounted;	/* fuse_session_mount succeeded */
	int helper_mount; /* made by fusermount3: unmounted by it too */
	char mntopts[256]; /* the -o options of the mount */
	int hooked;	/* our change hook is installed on vfs */
	dev_t conn_dev; /* st_dev of the mount: fusectl id */

	pthread_t loop_thread;
	int loop_started;
	atomic_int loop_done;
	int loop_rc;

	/* the notifier */
	pthread_t notifier;
	int notifier_started;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	/* protected by qlock: */
	struct nitem *qhead, *qtail;
	int stopping;	       /* answer parked reads, no invals */
	int stop_final;	       /* files released: exit when idle */
	struct parked *parked; /* every live parked read */
	unsigned long live;    /* parked reads + poll waiters */

	/* protected by files_lock: every open fh */
	pthread_mutex_t files_lock;
	struct fh *files;

	pthread_mutex_t groups_lock;
	/* protected by groups_lock: */
	struct groups_slot groups[FUSEFS_GROUPS_CACHE];

	/* statistics, relaxed atomics */
	atomic_ullong st_parked_now, st_parked_total, st_interrupts;
	atomic_ullong st_poll_notifies, st_invalidations, st_open_files;
	atomic_ullong st_inval_queued, st_inval_done;
	atomic_ullong st_splice_reads;
	struct fusefs_opstat opstat[FUSEFS_OP_COUNT];
	pthread_mutex_t stats_lock; /* registering opstat in the kernel's */
};

/* The caller of one request, built on the stack. */
struct req_cred {
	struct mn_vfs_cred cred;
	uint32_t groups[MN_VFS_GROUPS_MAX];
};

/* fusefs_cred.c */
void fusefs_req_cred(struct mn_fusefs *fs, fuse_req_t req,
		     struct req_cred *out);
/* Host uid/gid of a caller or a chown -> MicronOS id. */
uint32_t fusefs_uid_in(struct mn_fusefs *fs, uint32_t host_id);
uint32_t fusefs_gid_in(struct mn_fusefs *fs, uint32_t host_id);
int fusefs_idmap_copy(struct idmap *dst, const struct mn_fusefs_idmap *src,
		      unsigned n);
/* A file's owner as the host sees it. */
void fusefs_attr_out(struct mn_fusefs *fs, struct stat *st);

/* fusefs_ops.c */
extern const struct fuse_lowlevel_ops fusefs_ll_ops;
void fusefs_reply_entry(struct mn_fusefs *fs, fuse_req_t req,
			const struct mn_vfs_entry *ve);

/* fusefs_io.c: the file ops of fusefs_ll_ops */
void fusefs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fusefs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi);
void fusefs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void fusefs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi);
void fusefs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fusefs_ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi);
void fusefs_ll_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi);
void fusefs_ll_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph);
void fusefs_ll_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi);
void fusefs_ll_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi);
struct fh *fusefs_fh(struct fuse_file_info *fi);
/* Releases every file the kernel still holds (at stop, loop ended). */
void fusefs_release_all(struct mn_fusefs *fs);
/*
 * Answers one read: returns 0 once replied, -EAGAIN (nothing replied) when
 * a stream has no data.
 */
int fusefs_read_reply(struct mn_fusefs *fs, fuse_req_t req, struct fh *fh,
		      size_t size, off_t off);
/* Detaches and cancels fh's poll waiter (release, new poll). */
void fusefs_poll_disarm(struct mn_fusefs *fs, struct fh *fh);

/* fusefs_notify.c */
int fusefs_notifier_start(struct mn_fusefs *fs);
/* Stop, phase 1 (loop ended): parked reads are answered with end of file;
 * returns when none is left (or after a deadline). */
void fusefs_notifier_quiesce(struct mn_fusefs *fs);
/* Phase 2 (files released): the thread exits once it owns nothing. */
void fusefs_notifier_stop(struct mn_fusefs *fs);
/* The VFS's change hook (arg: the mount): queues invalidations. */
void fusefs_vfs_changed(void *arg, uint64_t parent, const char *name,
			uint64_t ino, unsigned what);
/* Queues it (once): wakes the notifier.  Any thread. */
void fusefs_enqueue(struct mn_fusefs *fs, struct nitem *it);
void fusefs_enqueue_locked(struct mn_fusefs *fs, struct nitem *it);
/* Hands a read that found nothing to the notifier (it owns it now). */
void fusefs_park(struct mn_fusefs *fs, fuse_req_t req, struct fh *fh,
		 size_t size, off_t off);
/* A poll waiter for fh (takes ph over; destroys it on failure). */
struct pollw *fusefs_pollw_new(struct mn_fusefs *fs, struct fh *fh,
			       struct fuse_pollhandle *ph);
void fusefs_pollw_free(struct mn_fusefs *fs, struct pollw *pw);

/* fusefs_stats.c: fusefs_ll_ops with each handler counted and timed */
void fusefs_counted_ops(struct fuse_lowlevel_ops *out);

/* fusefs_mnt.c */
int fusefs_prepare_mountpoint(const char *path, char *canon, size_t size,
			      struct mn_strbuf *err);
/* Mounts through fusermount3 with these -o options: the /dev/fuse
 * descriptor of the new mount, or -errno with one line in err. */
int fusefs_fusermount(const char *mountpoint, const char *opts,
		      struct mn_strbuf *err);
/* Lazy unmount: umount2, or fusermount3 -u -z when not allowed.  0/-errno */
int fusefs_unmount_path(const char *path);

#endif
