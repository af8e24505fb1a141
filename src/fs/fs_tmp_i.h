/*
 * fs_tmp_i.h - private definitions of tmp, the in-memory file system,
 * shared by its two files: fs_tmp.c keeps the tree (inodes, names,
 * directories, attributes), fs_tmp_data.c what a file holds (its content
 * and its extended attributes).
 *
 * Locking: one rwlock per file system (struct tmpfs) guards everything
 * here; see fs_tmp.c.
 */
#ifndef MICRONOS_FS_TMP_I_H
#define MICRONOS_FS_TMP_I_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vfs_i.h"

struct txattr {
	char *name;
	void *value;
	size_t size;
	struct txattr *next;
};

struct tdirent;

struct tnode {
	uint64_t ino;
	/* protected by tmpfs->lock: */
	unsigned refs;		/* VFS references */
	mode_t mode;
	uint32_t uid, gid;
	dev_t rdev;		/* CHR, BLK: the number only (nodev) */
	nlink_t nlink;
	struct timespec atime, mtime, ctime;
	char *data;		/* LNK: target */
	size_t size, cap;	/* cap: LNK's bytes */
	void *pages;		/* REG: page tree root (fs_tmp_data.c) */
	unsigned height;	/* REG: levels of the tree (0: no page) */
	uint64_t npages;	/* REG: pages held (holes hold none) */
	struct tnode *parent;	/* DIR */
	struct tdirent *first, *last;	/* DIR, by cookie */
	uint64_t next_cookie;	/* DIR */
	size_t nent;		/* DIR */
	struct txattr *xattrs;
	struct tnode *all_next, *all_prev;
};

struct tmpfs {
	pthread_rwlock_t lock;
	/* protected by lock: */
	struct tdirent **hash;
	size_t hsize, hcount;
	struct tnode *all;
	uint64_t next_ino;
	uint64_t used, max;
	uint64_t inodes;
};

#define TMP(fs) ((struct tmpfs *)(fs)->priv)
#define TN(vn) ((struct tnode *)(vn)->priv)

static inline void mn_tmp_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

/* --- fs_tmp_data.c: the ops on content and xattrs, for the ops table --- */

/* Sets the size of a regular file (lock held exclusively): growing makes
 * a hole (no memory), shrinking gives the pages past the end back. */
int mn_tmp_resize(struct tmpfs *t, struct tnode *n, size_t size);
/* Gives back every page of a regular file (n is being freed). */
void mn_tmp_pages_free(struct tmpfs *t, struct tnode *n);
/* Frees n's xattrs (n is being freed). */
void mn_tmp_xattrs_free(struct tnode *n);
int mn_tmp_open(struct mn_fs *fs, struct mn_vnode *vn, struct mn_vfs_file *f,
		int flags);
ssize_t mn_tmp_read(struct mn_vfs_file *f, void *buf, size_t size, off_t off);
ssize_t mn_tmp_write(struct mn_vfs_file *f, const void *buf, size_t size,
		     off_t off);
int mn_tmp_setxattr(struct mn_fs *fs, struct mn_vnode *vn, const char *name,
		    const void *value, size_t size, int flags);
ssize_t mn_tmp_getxattr(struct mn_fs *fs, struct mn_vnode *vn,
			const char *name, void *value, size_t size);
ssize_t mn_tmp_listxattr(struct mn_fs *fs, struct mn_vnode *vn, char *list,
			 size_t size);
int mn_tmp_removexattr(struct mn_fs *fs, struct mn_vnode *vn,
		       const char *name);

#endif
