/*
 * fs_tmp_data.c - what a file of tmp holds: its content (4 KiB pages in a
 * radix tree, read and written under the file system's lock) and its
 * extended attributes (a list of user.* names per inode).  The tree they
 * hang on - inodes, names, directories - is fs_tmp.c's.
 *
 * Content is sparse, as on Linux's tmpfs: a page exists only once
 * something was written into it; a hole (ftruncate up, a write past the
 * end) reads as zeros and costs nothing, so a write at offset 4 GiB takes
 * one page.  The tree has 512 slots per level and grows a level on top
 * when an offset needs it (6 levels reach 2^63 bytes).  Pages, not file
 * sizes, are counted against the file system's cap (-ENOSPC); a write
 * first counts the pages it lacks and is refused whole if they do not
 * fit, so nothing of it lands.
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

#define PG_SHIFT 12
#define PG_SIZE (1UL << PG_SHIFT)
#define FAN_SHIFT 9
#define FAN (1U << FAN_SHIFT)
#define MAX_HEIGHT 6

/* Pages a tree of height h addresses (h >= 1). */
static uint64_t reach(unsigned h)
{
	return 1ULL << (FAN_SHIFT * h);
}

/* Slot of page idx at level lvl (1 = the level that holds pages). */
static unsigned slot(uint64_t idx, unsigned lvl)
{
	return (unsigned)(idx >> (FAN_SHIFT * (lvl - 1))) & (FAN - 1);
}

/* The page idx, or NULL for a hole. */
static char *page_find(const struct tnode *n, uint64_t idx)
{
	void **node = n->pages;
	unsigned lvl;

	if (!n->height || idx >= reach(n->height))
		return NULL;
	for (lvl = n->height; node && lvl > 1; lvl--)
		node = node[slot(idx, lvl)];
	return node ? node[slot(idx, 1)] : NULL;
}

/* Adds levels on top until idx is in reach; -ENOMEM, -EFBIG. */
static int tree_grow(struct tnode *n, uint64_t idx)
{
	while (!n->height || idx >= reach(n->height)) {
		void **top;

		if (n->height == MAX_HEIGHT)
			return -EFBIG;
		top = calloc(FAN, sizeof(void *));
		if (!top)
			return -ENOMEM;
		top[0] = n->pages;
		n->pages = top;
		n->height++;
	}
	return 0;
}

/* The page idx, made (zeroed) if missing; the caller checked the cap. */
static char *page_make(struct tmpfs *t, struct tnode *n, uint64_t idx)
{
	void **node, **next;
	unsigned lvl;
	char *pg;

	if (tree_grow(n, idx) < 0)
		return NULL;
	node = n->pages;
	for (lvl = n->height; lvl > 1; lvl--) {
		next = node[slot(idx, lvl)];
		if (!next) {
			next = calloc(FAN, sizeof(void *));
			if (!next)
				return NULL;
			node[slot(idx, lvl)] = next;
		}
		node = next;
	}
	pg = node[slot(idx, 1)];
	if (!pg) {
		pg = calloc(1, PG_SIZE);
		if (!pg)
			return NULL;
		node[slot(idx, 1)] = pg;
		n->npages++;
		t->used += PG_SIZE;
	}
	return pg;
}

/*
 * Frees the pages from index `from` on in the subtree `node` of level
 * lvl whose first page is base; returns 1 if the subtree is now empty
 * (and freed).
 */
static int prune(struct tmpfs *t, struct tnode *n, void **node, unsigned lvl,
		 uint64_t base, uint64_t from)
{
	uint64_t span = reach(lvl - 1);
	unsigned i, left = 0;

	for (i = 0; i < FAN; i++) {
		uint64_t first = base + i * span;

		if (!node[i])
			continue;
		if (first + span <= from) {
			left++;
		} else if (lvl == 1) {
			free(node[i]);	/* first >= from: span is 1 */
			node[i] = NULL;
			n->npages--;
			t->used -= PG_SIZE;
		} else if (prune(t, n, node[i], lvl - 1, first, from)) {
			node[i] = NULL;
		} else {
			left++;
		}
	}
	if (left)
		return 0;
	free(node);
	return 1;
}

void mn_tmp_pages_free(struct tmpfs *t, struct tnode *n)
{
	if (n->height && prune(t, n, n->pages, n->height, 0, 0))
		n->pages = NULL;
	n->height = 0;
}

/* Sets the size of a regular file (lock held exclusively). */
int mn_tmp_resize(struct tmpfs *t, struct tnode *n, size_t size)
{
	if (!S_ISREG(n->mode))
		return -EINVAL;
	if (size < n->size) {
		uint64_t keep = (size + PG_SIZE - 1) >> PG_SHIFT;
		char *last = size & (PG_SIZE - 1) ?
			     page_find(n, size >> PG_SHIFT) : NULL;

		/* the tail of the last page reads as zeros if regrown */
		if (last)
			memset(last + (size & (PG_SIZE - 1)), 0,
			       PG_SIZE - (size & (PG_SIZE - 1)));
		if (n->height && prune(t, n, n->pages, n->height, 0, keep)) {
			n->pages = NULL;
			n->height = 0;
		}
	}
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
	size_t len = 0, done = 0;

	pthread_rwlock_rdlock(&t->lock);
	if ((uint64_t)off < n->size) {
		len = n->size - (size_t)off;
		if (len > size)
			len = size;
	}
	while (done < len) {
		uint64_t at = (uint64_t)off + done;
		size_t in = at & (PG_SIZE - 1);
		size_t chunk = PG_SIZE - in < len - done ? PG_SIZE - in :
			       len - done;
		const char *pg = page_find(n, at >> PG_SHIFT);

		if (pg)
			memcpy((char *)buf + done, pg + in, chunk);
		else
			memset((char *)buf + done, 0, chunk);
		done += chunk;
	}
	pthread_rwlock_unlock(&t->lock);
	return (ssize_t)len;
}

/* Pages of [off, off + size) that do not exist yet. */
static uint64_t pages_missing(const struct tnode *n, uint64_t off, size_t size)
{
	uint64_t idx, last = (off + size - 1) >> PG_SHIFT, miss = 0;

	for (idx = off >> PG_SHIFT; idx <= last; idx++)
		miss += page_find(n, idx) == NULL;
	return miss;
}

ssize_t mn_tmp_write(struct mn_vfs_file *f, const void *buf, size_t size,
		     off_t off)
{
	struct tmpfs *t = TMP(f->vn->fs);
	struct tnode *n = TN(f->vn);
	size_t done = 0;
	int ret = 0;

	pthread_rwlock_wrlock(&t->lock);
	if (atomic_load(&f->flags) & O_APPEND)
		off = (off_t)n->size;
	if ((uint64_t)off + size > (uint64_t)SSIZE_MAX)
		ret = -EFBIG;
	else if (size && t->used + pages_missing(n, (uint64_t)off, size) *
				     PG_SIZE > t->max)
		ret = -ENOSPC;
	while (ret == 0 && done < size) {
		uint64_t at = (uint64_t)off + done;
		size_t in = at & (PG_SIZE - 1);
		size_t chunk = PG_SIZE - in < size - done ? PG_SIZE - in :
			       size - done;
		char *pg = page_make(t, n, at >> PG_SHIFT);

		if (!pg) {
			ret = at >> PG_SHIFT >= reach(MAX_HEIGHT) ? -EFBIG :
			      -ENOMEM;
			break;
		}
		memcpy(pg + in, (const char *)buf + done, chunk);
		done += chunk;
	}
	/* what was copied is the file's (a short write, as Linux's) */
	if (done && (uint64_t)off + done > n->size)
		n->size = (size_t)off + done;
	if (done) {
		mn_tmp_now(&n->mtime);
		n->ctime = n->mtime;
		n->mode &= ~(mode_t)(S_ISUID | S_ISGID);
	}
	pthread_rwlock_unlock(&t->lock);
	return done ? (ssize_t)done : ret;
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
