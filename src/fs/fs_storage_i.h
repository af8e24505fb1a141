/*
 * fs_storage_i.h - private definitions shared by storage's files.
 *
 * fs_storage.c holds the file system's operations, fs_storage_node.c the
 * nodes and the bounded cache of host descriptors they use (and the health
 * check that watches descriptors), fs_storage_meta.c the MicronOS metadata
 * kept in an xattr of each backing file and the migration of a data dir
 * written before that, fs_storage_xattr.c the callers' xattrs.
 *
 * Lock order: struct storage's lock is a leaf; it is never held across a
 * host call that may block on the disk (open, getxattr) nor while calling
 * the VFS.
 */
#ifndef MICRONOS_FS_STORAGE_I_H
#define MICRONOS_FS_STORAGE_I_H

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vfs_i.h"

#define SMETA_XATTR "user.micronos.meta"
#define SFORMAT_XATTR "user.micronos.format"
#define SHIDDEN_PREFIX "user.micronos."
#define SFORMAT "2"

/* Host modes of backing files: private to the daemon, whatever MicronOS
 * says (its modes live in the xattr). */
#define SHOST_DIR_MODE 0700
#define SHOST_FILE_MODE 0600

/* What MicronOS sees of a file: the rest (size, times, nlink, st_ino) is
 * the backing file's. */
struct smeta {
	uint32_t uid, gid;
	mode_t mode;		/* type and permission bits */
	dev_t rdev;
};

struct sino {
	uint64_t ino;		/* host st_ino; set once */
	int is_dir;		/* set once */
	/* protected by storage.lock: */
	unsigned refs;
	struct sino *parent;	/* reference held; NULL for the root */
	char *name;		/* name in parent; NULL for the root */
	int fd;			/* cached O_PATH descriptor, -1: none */
	unsigned users;		/* borrowers of fd (it stays open) */
	unsigned opens;		/* open files: fd stays open too */
	struct smeta meta;
	int meta_ok;
	struct sino *lru_prev, *lru_next;	/* when fd >= 0 */
	struct sino *hnext;	/* in storage.hash by ino */
	unsigned char handle[48];	/* struct file_handle, if any */
};

struct storage {
	int rootfd;		/* O_PATH of the root; set once */
	int handles;		/* open_by_handle_at works; set once */
	int root_ok;		/* the daemon is root: may chown; set once */
	uid_t uid;		/* the daemon's: owner of backing files */
	gid_t gid;
	mode_t umask;		/* the daemon's, undone on create */
	unsigned fd_cap;	/* descriptors the cache may keep; set once */
	pthread_mutex_t lock;
	/* protected by lock: */
	struct sino **hash;
	size_t hsize, hcount;
	struct sino *lru_head, *lru_tail;	/* most recently used first */
	unsigned cached;	/* fds in the cache (held in the LRU) */
	uint64_t reopens;	/* fds opened again after eviction */
	uint64_t emfile;	/* host opens that failed with EMFILE/ENFILE */
	uint64_t emfile_seen;	/* emfile at the last health check */
	struct sino *root;
};

#define ST(fs) ((struct storage *)(fs)->priv)
#define SI(vn) ((struct sino *)(vn)->priv)

/* --- fs_storage.c --------------------------------------------------------- */
/* The storage at vfs's root with a reference on the root node in *vn (put
 * it), or NULL. */
struct storage *storage_of(struct mn_vfs *vfs, struct mn_vnode **vn);

/* --- fs_storage_xattr.c: the xattr ops ------------------------------------ */
int sx_setxattr(struct mn_fs *fs, struct mn_vnode *vn, const char *name,
		const void *value, size_t size, int flags);
ssize_t sx_getxattr(struct mn_fs *fs, struct mn_vnode *vn, const char *name,
		    void *value, size_t size);
ssize_t sx_listxattr(struct mn_fs *fs, struct mn_vnode *vn, char *list,
		     size_t size);
int sx_removexattr(struct mn_fs *fs, struct mn_vnode *vn, const char *name);

/* --- fs_storage_node.c ---------------------------------------------------- */
int snode_init(struct storage *s, unsigned fd_cap);
void snode_fini(struct storage *s);
/*
 * The node for name in dir (looked up without following a symlink), one new
 * reference; *st gets its host attributes.  dir NULL: the root.
 */
int snode_lookup(struct storage *s, struct sino *dir, const char *name,
		 struct sino **out, struct stat *st);
void snode_put(struct storage *s, struct sino *si);
/*
 * Borrows the node's O_PATH descriptor, opening it again (by file handle,
 * or from its parent's by name, checking the inode) when the cache had let
 * it go.  Give it back with snode_fd_put.  -ESTALE if the file is gone.
 */
int snode_fd(struct storage *s, struct sino *si);
void snode_fd_put(struct storage *s, struct sino *si);
/* An open file on the node: its descriptor stays until snode_unpin. */
int snode_pin(struct storage *s, struct sino *si);
void snode_unpin(struct storage *s, struct sino *si);
/* The name `name` in dir now names the host inode ino (rename, link). */
void snode_moved(struct storage *s, uint64_t ino, struct sino *dir,
		 const char *name);
/* Counts a host call's failure; returns -err. */
int snode_err(struct storage *s, int err);
/* The cached metadata of host inode ino, if a node has it: 1, else 0. */
int snode_cached_meta(struct storage *s, uint64_t ino, struct smeta *m);
/* Cache figures for health. */
void snode_stats(struct storage *s, unsigned *cached, unsigned *cap,
		 uint64_t *reopens, uint64_t *emfile, int *handles);

/* --- fs_storage_meta.c ---------------------------------------------------- */
/* Reads the metadata of the file behind fd (O_PATH); -ENODATA if none. */
int smeta_read(int fd, struct smeta *m);
int smeta_write(int fd, const struct smeta *m);
/* The node's metadata, cached in the node after the first read. */
int smeta_get(struct storage *s, struct sino *si, int fd, struct smeta *m);
void smeta_set_cached(struct storage *s, struct sino *si,
		      const struct smeta *m);
/* The DT_* type of a regular backing file dirfd/name (a symlink, a fifo,
 * ...), from its node's cache or its xattr. */
unsigned smeta_dtype(struct storage *s, int dirfd, const char *name,
		     uint64_t ino);
/* Host attributes + metadata → what MicronOS sees. */
void smeta_apply(const struct smeta *m, struct stat *st);
/*
 * Brings a data dir written before the metadata moved into xattrs (real
 * modes and owners, host symlinks and fifos) to this format; a no-op once
 * the root carries the format mark.  rootfd: O_PATH of the storage root.
 */
int smeta_migrate(struct storage *s, int rootfd);
/* Makes the host file behind fd (O_PATH) private to the daemon: mode
 * 0600 or 0700, owned by the daemon's user. */
int smeta_privatize(struct storage *s, int fd, int is_dir);

#endif
