/*
 * fs_tmp_data.c - what a file of tmp holds: its content (a growable buffer,
 * read and written under the file system's lock) and its extended
 * attributes (a list of user.* names per inode).  The tree they hang on -
 * inodes, names, directories - is fs_tmp.c's.
 *
 * Content is allocated in doubling steps up to 1 MiB, then 1 MiB at a
 * time, and counted against the file system's cap (-ENOSPC); a file that
 * does not fit with slack gets exactly its size if that fits.
 *
 * Locking: reads take the file system's rwlock shared, writes and xattr
 * changes exclusive (fs_tmp_i.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs_tmp_i.h"

/* Sets the size of a regular file (lock held exclusively). */
int mn_tmp_resize(struct tmpfs *t, struct tnode *n, size_t size)
{
	if (size > n->cap) {
		size_t ncap = n->cap ? n->cap : 4096;
		char *nd;

		while (ncap < size)
			ncap = ncap < (1 << 20) ? ncap * 2 : ncap + (1 << 20);
		if (t->used - n->cap + ncap > t->max) {
			ncap = size;
			if (t->used - n->cap + ncap > t->max)
				return -ENOSPC;
		}
		nd = realloc(n->data, ncap);
		if (!nd)
			return -ENOMEM;
		t->used = t->used - n->cap + ncap;
		n->data = nd;
		n->cap = ncap;
	}
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
	return 0;
}

int mn_tmp_open(struct mn_fs *fs, struct mn_vnode *vn, struct mn_vfs_file *f,
		int flags)
{
	(void)fs;
	(void)f;
	(void)flags;
	return S_ISREG(TN(vn)->mode) ? 0 : -ENXIO;
}

ssize_t mn_tmp_read(struct mn_vfs_file *f, void *buf, size_t size, off_t off)
{
	struct tmpfs *t = TMP(f->vn->fs);
	struct tnode *n = TN(f->vn);
	size_t len = 0;

	pthread_rwlock_rdlock(&t->lock);
	if ((uint64_t)off < n->size) {
		len = n->size - (size_t)off;
		if (len > size)
			len = size;
		memcpy(buf, n->data + off, len);
	}
	pthread_rwlock_unlock(&t->lock);
	return (ssize_t)len;
}

ssize_t mn_tmp_write(struct mn_vfs_file *f, const void *buf, size_t size,
		     off_t off)
{
	struct tmpfs *t = TMP(f->vn->fs);
	struct tnode *n = TN(f->vn);
	int ret = 0;

	pthread_rwlock_wrlock(&t->lock);
	if (atomic_load(&f->flags) & O_APPEND)
		off = (off_t)n->size;
	if ((uint64_t)off + size > (uint64_t)SSIZE_MAX)
		ret = -EFBIG;
	else if ((size_t)off + size > n->size)
		ret = mn_tmp_resize(t, n, (size_t)off + size);
	if (ret == 0) {
		memcpy(n->data + off, buf, size);
		mn_tmp_now(&n->mtime);
		n->ctime = n->mtime;
		n->mode &= ~(mode_t)(S_ISUID | S_ISGID);
	}
	pthread_rwlock_unlock(&t->lock);
	return ret < 0 ? ret : (ssize_t)size;
}

void mn_tmp_xattrs_free(struct tnode *n)
{
	struct txattr *x, *xn;

	for (x = n->xattrs; x; x = xn) {
		xn = x->next;
		free(x->name);
		free(x->value);
		free(x);
	}
	n->xattrs = NULL;
}

static int user_ns(const char *name)
{
	return strncmp(name, "user.", 5) == 0 && name[5];
}

static struct txattr **xfind(struct tnode *n, const char *name)
{
	struct txattr **pp = &n->xattrs;

	while (*pp && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

int mn_tmp_setxattr(struct mn_fs *fs, struct mn_vnode *vn, const char *name,
		    const void *value, size_t size, int flags)
{
	struct tmpfs *t = TMP(fs);
	struct tnode *n = TN(vn);
	struct txattr **pp, *x;
	void *v = NULL;
	int ret = 0;

	if (!user_ns(name))
		return -EOPNOTSUPP;
	if (!S_ISREG(n->mode) && !S_ISDIR(n->mode))
		return -EPERM;	/* as Linux: user.* only on files, dirs */
	if (size && !(v = malloc(size)))
		return -ENOMEM;
	if (size)
		memcpy(v, value, size);
	pthread_rwlock_wrlock(&t->lock);
	pp = xfind(n, name);
	if (*pp && (flags & XATTR_CREATE))
		ret = -EEXIST;
	else if (!*pp && (flags & XATTR_REPLACE))
		ret = -ENODATA;
	else if (!*pp && t->used + size + 64 > t->max)
		ret = -ENOSPC;
	else if (!*pp) {
		x = calloc(1, sizeof(*x));
		if (!x || !(x->name = strdup(name))) {
			free(x);
			ret = -ENOMEM;
		} else {
			x->next = n->xattrs;
			n->xattrs = x;
			pp = &n->xattrs;
		}
	}
	if (ret == 0) {
		x = *pp;
		free(x->value);
		x->value = v;
		x->size = size;
		v = NULL;
		mn_tmp_now(&n->ctime);
	}
	pthread_rwlock_unlock(&t->lock);
	free(v);
	return ret;
}

ssize_t mn_tmp_getxattr(struct mn_fs *fs, struct mn_vnode *vn,
			const char *name, void *value, size_t size)
{
	struct tmpfs *t = TMP(fs);
	struct txattr *x;
	ssize_t ret;

	pthread_rwlock_rdlock(&t->lock);
	x = *xfind(TN(vn), name);
	if (!x)
		ret = -ENODATA;
	else if (size == 0)
		ret = (ssize_t)x->size;
	else if (size < x->size)
		ret = -ERANGE;
	else {
		memcpy(value, x->value, x->size);
		ret = (ssize_t)x->size;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

ssize_t mn_tmp_listxattr(struct mn_fs *fs, struct mn_vnode *vn, char *list,
			 size_t size)
{
	struct tmpfs *t = TMP(fs);
	struct txattr *x;
	size_t need = 0;
	ssize_t ret;

	pthread_rwlock_rdlock(&t->lock);
	for (x = TN(vn)->xattrs; x; x = x->next)
		need += strlen(x->name) + 1;
	if (size == 0)
		ret = (ssize_t)need;
	else if (size < need)
		ret = -ERANGE;
	else {
		char *p = list;

		for (x = TN(vn)->xattrs; x; x = x->next) {
			size_t l = strlen(x->name) + 1;

			memcpy(p, x->name, l);
			p += l;
		}
		ret = (ssize_t)need;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

int mn_tmp_removexattr(struct mn_fs *fs, struct mn_vnode *vn,
		       const char *name)
{
	struct tmpfs *t = TMP(fs);
	struct txattr **pp, *x;
	int ret = 0;

	pthread_rwlock_wrlock(&t->lock);
	pp = xfind(TN(vn), name);
	x = *pp;
	if (!x) {
		ret = -ENODATA;
	} else {
		*pp = x->next;
		free(x->name);
		free(x->value);
		free(x);
		mn_tmp_now(&TN(vn)->ctime);
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}
