/*
 * fs_tmp.c - tmp, the in-memory file system of /tmp (and the root of a VFS
 * without a data dir).
 *
 * Inodes are heap objects (struct tnode) with the POSIX attributes, a
 * sparse page tree for regular files, a target for symlinks and
 * extended attributes.  Directory entries live in one hash table of the
 * whole file system keyed by (directory, name) for lookups, and on a list
 * per directory in creation order for readdir: each entry gets a cookie
 * from a per-directory counter, so a listing resumed at a cookie neither
 * repeats nor skips entries while others are added or removed.
 *
 * An inode lives while it has a name (nlink > 0) or the VFS holds a
 * reference on it (a lookup or an open file: unlink while open works).
 * Data is capped by max_bytes for the whole file system (-ENOSPC): the
 * pages files hold, not their sizes (holes are free, as on tmpfs).
 *
 * This file keeps the tree: inodes, names, directories and attributes;
 * fs_tmp_data.c what a file holds (content, extended attributes).
 *
 * Locking: one rwlock per file system guards everything here; reads,
 * lookups and getattr take it shared, everything that changes takes it
 * exclusive.  No callback runs with it held except readdir's fill, which
 * the VFS guarantees only copies.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>

#include "fs_tmp_i.h"

struct tdirent {
	char *name;
	struct tnode *dir, *node;
	uint64_t cookie;
	struct tdirent *next, *prev;	/* in dir */
	struct tdirent *hnext;		/* hash chain */
};

static size_t name_hash(const struct tnode *dir, const char *name,
			size_t size)
{
	uint64_t h = 1469598103934665603ULL ^ dir->ino;

	while (*name)
		h = (h ^ (unsigned char)*name++) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29)) & (size - 1);
}

static struct tdirent *dfind(struct tmpfs *t, struct tnode *dir,
			     const char *name)
{
	struct tdirent *d = t->hash[name_hash(dir, name, t->hsize)];

	while (d && (d->dir != dir || strcmp(d->name, name) != 0))
		d = d->hnext;
	return d;
}

static int hash_grow(struct tmpfs *t)
{
	size_t nsize = t->hsize * 2, i;
	struct tdirent **nh = calloc(nsize, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (i = 0; i < t->hsize; i++) {
		struct tdirent *d = t->hash[i], *next;

		for (; d; d = next) {
			size_t h = name_hash(d->dir, d->name, nsize);

			next = d->hnext;
			d->hnext = nh[h];
			nh[h] = d;
		}
	}
	free(t->hash);
	t->hash = nh;
	t->hsize = nsize;
	return 0;
}

static int dadd(struct tmpfs *t, struct tnode *dir, const char *name,
		struct tnode *node)
{
	struct tdirent *d;
	size_t h;

	if (t->hcount >= t->hsize && hash_grow(t) < 0)
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->name = strdup(name))) {
		free(d);
		return -ENOMEM;
	}
	d->dir = dir;
	d->node = node;
	d->cookie = dir->next_cookie++;
	d->prev = dir->last;
	if (dir->last)
		dir->last->next = d;
	else
		dir->first = d;
	dir->last = d;
	dir->nent++;
	h = name_hash(dir, name, t->hsize);
	d->hnext = t->hash[h];
	t->hash[h] = d;
	t->hcount++;
	return 0;
}

static void ddel(struct tmpfs *t, struct tdirent *d)
{
	struct tdirent **pp = &t->hash[name_hash(d->dir, d->name, t->hsize)];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	t->hcount--;
	if (d->prev)
		d->prev->next = d->next;
	else
		d->dir->first = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		d->dir->last = d->prev;
	d->dir->nent--;
	free(d->name);
	free(d);
}

static struct tnode *tnew(struct tmpfs *t, const struct mn_fs_newattr *na)
{
	struct tnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->ino = t->next_ino++;
	n->mode = na->mode;
	n->uid = na->uid;
	n->gid = na->gid;
	n->rdev = na->rdev;
	n->nlink = S_ISDIR(na->mode) ? 2 : 1;
	n->next_cookie = 3;	/* 1 ".", 2 ".." */
	mn_tmp_now(&n->mtime);
	n->atime = n->ctime = n->mtime;
	n->all_next = t->all;
	if (t->all)
		t->all->all_prev = n;
	t->all = n;
	t->inodes++;
	return n;
}

static void tfree(struct tmpfs *t, struct tnode *n)
{
	if (n->all_prev)
		n->all_prev->all_next = n->all_next;
	else
		t->all = n->all_next;
	if (n->all_next)
		n->all_next->all_prev = n->all_prev;
	mn_tmp_xattrs_free(n);
	mn_tmp_pages_free(t, n);
	t->used -= n->cap;
	t->inodes--;
	free(n->data);
	free(n);
}

static void maybe_free(struct tmpfs *t, struct tnode *n)
{
	if (n->nlink == 0 && n->refs == 0)
		tfree(t, n);
}

static void fill_attr(const struct tnode *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_rdev = n->rdev;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_size = S_ISDIR(n->mode) ? 4096 : (off_t)n->size;
	st->st_blksize = 4096;
	/* what it holds: a sparse file's holes take no blocks */
	st->st_blocks = (blkcnt_t)(n->npages * 8 + (n->cap + 511) / 512);
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

/* An entry for n with a new reference (lock held exclusively or n new). */
static void entry(struct tnode *n, struct mn_fs_entry *out)
{
	__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
	out->ino = n->ino;
	out->gen = 0;
	out->priv = n;
	fill_attr(n, &out->attr);
}

static int t_lookup(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		    const struct mn_vfs_cred *cred, struct mn_fs_entry *out)
{
	struct tmpfs *t = TMP(fs);
	struct tnode *d = TN(dir), *n = NULL;
	struct tdirent *de;

	(void)cred;
	pthread_rwlock_rdlock(&t->lock);
	if (strcmp(name, "..") == 0)
		n = d->parent ? d->parent : d;
	else if ((de = dfind(t, d, name)))
		n = de->node;
	if (n)
		entry(n, out);	/* refs is atomic: a shared lock suffices */
	pthread_rwlock_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

static void t_put(struct mn_fs *fs, void *priv)
{
	struct tmpfs *t = TMP(fs);
	struct tnode *n = priv;

	pthread_rwlock_wrlock(&t->lock);
	__atomic_sub_fetch(&n->refs, 1, __ATOMIC_RELAXED);
	maybe_free(t, n);
	pthread_rwlock_unlock(&t->lock);
}

static int t_getattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct mn_vfs_cred *cred, struct stat *st)
{
	struct tmpfs *t = TMP(fs);

	(void)cred;
	pthread_rwlock_rdlock(&t->lock);
	fill_attr(TN(vn), st);
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

static int t_setattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct stat *a, int to_set, struct mn_vfs_file *f)
{
	struct tmpfs *t = TMP(fs);
	struct tnode *n = TN(vn);
	int ret = 0;

	(void)f;
	pthread_rwlock_wrlock(&t->lock);
	if (to_set & MN_SETATTR_SIZE)
		ret = mn_tmp_resize(t, n, (size_t)a->st_size);
	if (ret == 0 && (to_set & MN_SETATTR_SIZE))
		mn_tmp_now(&n->mtime);
	if (ret == 0 && (to_set & MN_SETATTR_MODE))
		n->mode = (n->mode & S_IFMT) | (a->st_mode & 07777);
	if (ret == 0 && (to_set & MN_SETATTR_UID))
		n->uid = a->st_uid;
	if (ret == 0 && (to_set & MN_SETATTR_GID))
		n->gid = a->st_gid;
	if (ret == 0 && (to_set & MN_SETATTR_ATIME))
		n->atime = a->st_atim;
	if (ret == 0 && (to_set & MN_SETATTR_ATIME_NOW))
		mn_tmp_now(&n->atime);
	if (ret == 0 && (to_set & MN_SETATTR_MTIME))
		n->mtime = a->st_mtim;
	if (ret == 0 && (to_set & MN_SETATTR_MTIME_NOW))
		mn_tmp_now(&n->mtime);
	if (ret == 0)
		mn_tmp_now(&n->ctime);
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

static ssize_t t_readlink(struct mn_fs *fs, struct mn_vnode *vn,
			  const struct mn_vfs_cred *cred, char *buf,
			  size_t size)
{
	struct tmpfs *t = TMP(fs);
	struct tnode *n = TN(vn);
	ssize_t ret = -EINVAL;

	(void)cred;
	pthread_rwlock_rdlock(&t->lock);
	if (S_ISLNK(n->mode)) {
		ret = (ssize_t)(n->size < size ? n->size : size);
		memcpy(buf, n->data, (size_t)ret);
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

/* Creates a node of any kind in dir (lock held exclusively). */
static int make_locked(struct tmpfs *t, struct tnode *dir, const char *name,
		       const struct mn_fs_newattr *na, const char *target,
		       struct mn_fs_entry *out)
{
	struct tnode *n;
	size_t tlen = target ? strlen(target) : 0;

	if (dir->nlink == 0)
		return -ENOENT;	/* removed while we held it */
	if (dfind(t, dir, name))
		return -EEXIST;
	if (t->used + tlen > t->max)
		return -ENOSPC;
	n = tnew(t, na);
	if (!n)
		return -ENOMEM;
	if (target) {
		n->data = malloc(tlen + 1);
		if (!n->data) {
			tfree(t, n);
			return -ENOMEM;
		}
		memcpy(n->data, target, tlen + 1);
		n->size = tlen;
		n->cap = tlen;
		t->used += tlen;
	}
	if (dadd(t, dir, name, n) < 0) {
		tfree(t, n);
		return -ENOMEM;
	}
	if (S_ISDIR(n->mode)) {
		n->parent = dir;
		dir->nlink++;
	}
	mn_tmp_now(&dir->mtime);
	dir->ctime = dir->mtime;
	entry(n, out);
	return 0;
}

static int t_make(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		  const struct mn_fs_newattr *na, const char *target,
		  struct mn_fs_entry *out)
{
	struct tmpfs *t = TMP(fs);
	int ret;

	pthread_rwlock_wrlock(&t->lock);
	ret = make_locked(t, TN(dir), name, na, target, out);
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

static int t_mknod(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		   const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	return t_make(fs, dir, name, na, NULL, out);
}

static int t_symlink(struct mn_fs *fs, struct mn_vnode *dir,
		     const char *name, const char *target,
		     const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	return t_make(fs, dir, name, na, target, out);
}

static int t_link(struct mn_fs *fs, struct mn_vnode *vn,
		  struct mn_vnode *newdir, const char *newname,
		  struct mn_fs_entry *out)
{
	struct tmpfs *t = TMP(fs);
	struct tnode *n = TN(vn), *d = TN(newdir);
	int ret = 0;

	pthread_rwlock_wrlock(&t->lock);
	if (d->nlink == 0 || n->nlink == 0)
		ret = -ENOENT;
	else if (dfind(t, d, newname))
		ret = -EEXIST;
	else
		ret = dadd(t, d, newname, n);
	if (ret == 0) {
		n->nlink++;
		mn_tmp_now(&n->ctime);
		d->mtime = d->ctime = n->ctime;
		entry(n, out);
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

/* Drops one name of n (lock held). */
static void drop_name(struct tmpfs *t, struct tdirent *de)
{
	struct tnode *n = de->node, *dir = de->dir;

	ddel(t, de);
	if (S_ISDIR(n->mode)) {
		n->nlink = 0;
		dir->nlink--;
	} else {
		n->nlink--;
	}
	mn_tmp_now(&n->ctime);
	dir->mtime = dir->ctime = n->ctime;
	maybe_free(t, n);
}

static int t_remove(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		    int is_dir)
{
	struct tmpfs *t = TMP(fs);
	struct tdirent *de;
	int ret = 0;

	pthread_rwlock_wrlock(&t->lock);
	de = dfind(t, TN(dir), name);
	if (!de)
		ret = -ENOENT;
	else if (is_dir && !S_ISDIR(de->node->mode))
		ret = -ENOTDIR;
	else if (!is_dir && S_ISDIR(de->node->mode))
		ret = -EISDIR;
	else if (is_dir && de->node->nent)
		ret = -ENOTEMPTY;
	if (ret == 0)
		drop_name(t, de);
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

static int t_unlink(struct mn_fs *fs, struct mn_vnode *dir, const char *name)
{
	return t_remove(fs, dir, name, 0);
}

static int t_rmdir(struct mn_fs *fs, struct mn_vnode *dir, const char *name)
{
	return t_remove(fs, dir, name, 1);
}

/* 1 if `dir` is `n` or lies below it. */
static int is_under(const struct tnode *dir, const struct tnode *n)
{
	for (; dir; dir = dir->parent == dir ? NULL : dir->parent)
		if (dir == n)
			return 1;
	return 0;
}

/* Moves de's node to newdir/newname (lock held, target free). */
static int move(struct tmpfs *t, struct tdirent *de, struct tnode *newdir,
		const char *newname)
{
	struct tnode *n = de->node, *old = de->dir;
	int ret = dadd(t, newdir, newname, n);

	if (ret < 0)
		return ret;
	ddel(t, de);
	if (S_ISDIR(n->mode) && old != newdir) {
		old->nlink--;
		newdir->nlink++;
		n->parent = newdir;
	}
	mn_tmp_now(&n->ctime);
	old->mtime = old->ctime = newdir->mtime = newdir->ctime = n->ctime;
	return 0;
}

static int exchange(struct tdirent *a, struct tdirent *b)
{
	struct tnode *na = a->node, *nb = b->node;

	if ((S_ISDIR(na->mode) && is_under(b->dir, na)) ||
	    (S_ISDIR(nb->mode) && is_under(a->dir, nb)))
		return -EINVAL;
	a->node = nb;
	b->node = na;
	if (a->dir != b->dir) {
		if (S_ISDIR(na->mode)) {
			na->parent = b->dir;
			a->dir->nlink--;
			b->dir->nlink++;
		}
		if (S_ISDIR(nb->mode)) {
			nb->parent = a->dir;
			b->dir->nlink--;
			a->dir->nlink++;
		}
	}
	mn_tmp_now(&na->ctime);
	nb->ctime = na->ctime;
	return 0;
}

static int t_rename(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		    struct mn_vnode *newdir, const char *newname,
		    unsigned flags)
{
	struct tmpfs *t = TMP(fs);
	struct tnode *d1 = TN(dir), *d2 = TN(newdir);
	struct tdirent *src, *dst;
	int ret = 0;

	pthread_rwlock_wrlock(&t->lock);
	src = dfind(t, d1, name);
	dst = dfind(t, d2, newname);
	if (!src || (!dst && (flags & MN_RENAME_EXCHANGE)))
		ret = -ENOENT;
	else if (d2->nlink == 0)
		ret = -ENOENT;
	else if (flags & MN_RENAME_EXCHANGE)
		ret = exchange(src, dst);
	else if (dst && (flags & MN_RENAME_NOREPLACE))
		ret = -EEXIST;
	else if (src == dst || (dst && dst->node == src->node))
		ret = 0;	/* same file: POSIX says do nothing */
	else if (S_ISDIR(src->node->mode) && is_under(d2, src->node))
		ret = -EINVAL;
	else if (dst && S_ISDIR(dst->node->mode) && dst->node->nent)
		ret = -ENOTEMPTY;
	else {
		if (dst)
			drop_name(t, dst);
		ret = move(t, src, d2, newname);
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

static int t_readdir(struct mn_vfs_file *f, off_t off, mn_fs_fill_fn *fill,
		     void *arg)
{
	struct tmpfs *t = TMP(f->vn->fs);
	struct tnode *d = TN(f->vn);
	struct tdirent *de;

	pthread_rwlock_rdlock(&t->lock);
	if (off < 1 && fill(arg, ".", d->ino, DT_DIR, 1))
		goto out;
	if (off < 2 && fill(arg, "..", d->parent ? d->parent->ino : d->ino,
			    DT_DIR, 2))
		goto out;
	for (de = d->first; de; de = de->next) {
		if (de->cookie <= (uint64_t)off)
			continue;
		if (fill(arg, de->name, de->node->ino,
			 IFTODT(de->node->mode), (off_t)de->cookie))
			break;
	}
out:
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

static int t_statfs(struct mn_fs *fs, struct mn_vnode *vn,
		    struct statvfs *out)
{
	struct tmpfs *t = TMP(fs);

	(void)vn;
	pthread_rwlock_rdlock(&t->lock);
	out->f_blocks = t->max / 4096;
	out->f_bfree = out->f_bavail = (t->max - t->used) / 4096;
	out->f_files = 1000000;
	out->f_ffree = out->f_favail = 1000000 - t->inodes;
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

static void t_destroy(struct mn_fs *fs)
{
	struct tmpfs *t = TMP(fs);
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->hsize; i++) {
		struct tdirent *d = t->hash[i], *next;

		for (; d; d = next) {
			next = d->hnext;
			free(d->name);
			free(d);
		}
	}
	while (t->all)
		tfree(t, t->all);
	free(t->hash);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

static const struct mn_fs_ops tmp_ops = {
	.type = "tmpfs",
	.lookup = t_lookup,
	.put = t_put,
	.getattr = t_getattr,
	.setattr = t_setattr,
	.readlink = t_readlink,
	.mknod = t_mknod,
	/* a unix socket binds to its node, which stays while named or held */
	.mknod_types = MN_FS_NOD_SOCK,
	.mkdir = t_mknod,
	.symlink = t_symlink,
	.link = t_link,
	.unlink = t_unlink,
	.rmdir = t_rmdir,
	.rename = t_rename,
	.open = mn_tmp_open,
	.read = mn_tmp_read,
	.write = mn_tmp_write,
	.readdir = t_readdir,
	.statfs = t_statfs,
	.setxattr = mn_tmp_setxattr,
	.getxattr = mn_tmp_getxattr,
	.listxattr = mn_tmp_listxattr,
	.removexattr = mn_tmp_removexattr,
	.destroy = t_destroy,
};

int mn_fs_tmp_create(struct mn_vfs *vfs, uint64_t max_bytes,
		     struct mn_fs **out)
{
	struct mn_fs_newattr na = {S_IFDIR | 01777, 0, 0, 0};
	struct mn_fs *fs = mn_fs_alloc(vfs, &tmp_ops, "tmpfs");
	struct tmpfs *t = calloc(1, sizeof(*t));
	struct tnode *root;

	if (!fs || !t || !(t->hash = calloc(256, sizeof(*t->hash))))
		goto fail;
	t->hsize = 256;
	t->next_ino = 1;
	t->max = max_bytes;
	pthread_rwlock_init(&t->lock, NULL);
	root = tnew(t, &na);
	if (!root)
		goto fail_lock;
	root->refs = 1;		/* fs->root_priv */
	fs->priv = t;
	fs->root_ino = root->ino;
	fs->root_priv = root;
	fs->attr_timeout = 1.0;
	fs->entry_timeout = 1.0;
	*out = fs;
	return 0;
fail_lock:
	pthread_rwlock_destroy(&t->lock);
fail:
	if (t)
		free(t->hash);
	free(t);
	free(fs);
	return -ENOMEM;
}
