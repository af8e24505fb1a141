/*
 * fs_synth.c - the synthetic file system framework: trees of static rows
 * (struct mn_synth_node, see vfs.h) served as a file system of the VFS.
 *
 * /proc, /sys, /events, /health, /dev and /etc are all tables of rows.  A
 * node of such a tree is a row plus the names bound by the dynamic
 * directories on its path (/proc/42/fd/3 is the "fd entry" row with 42 and
 * 3 bound).  Its inode number is computed, not stored, so the same file
 * always has the same number without any table growing as processes come
 * and go:
 *
 *     bits  0..11  the row's index (rows numbered at mount, root = 1)
 *     bits 12..33  the first bound name
 *     bits 34..55  the second bound name (deeper ones folded into it)
 *
 * A bound name is its number + 1 when it is a small decimal number (pids,
 * fds), otherwise 2^21 + an id from a per-mount table of interned names
 * (driver names, config keys: few and long-lived).
 *
 * Regular files are rendered into a snapshot at open; reads copy from it at
 * any offset.  A read from offset 0 after the first one renders again, as
 * Linux's seq_file does: top and vmstat keep /proc/stat open and lseek(0)
 * (or pread at 0) every frame, and must see fresh figures, while one read
 * sequence (offset 0 then onwards) stays one consistent snapshot.
 * MN_SYNTH_GROWS files also render again when a read reaches the end, so
 * `tail -f` sees what was appended.  Directories with dynamic
 * entries take their list once, at opendir, so one listing is consistent.
 *
 * Locking: the intern table has a mutex (a leaf); a snapshot has a mutex
 * taken by reads and re-renders.  Callbacks (render, write, list, io) run
 * with no lock of this file held.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/clock.h>

#include "vfs_i.h"

#define ROWS_MAX 4095
#define BIND_BITS 22
#define BIND_MASK ((1ULL << BIND_BITS) - 1)
#define BIND_INTERN (1ULL << (BIND_BITS - 1))
#define CTL_MAX 65536

struct synth {
	const struct mn_synth_node *root;
	void *arg;
	struct timespec born;
	const struct mn_synth_node *rows[ROWS_MAX + 1];	/* set at mount */
	unsigned nrows;
	pthread_mutex_t lock;
	/* protected by lock: */
	char **names;
	size_t nnames, cap;
};

struct snode {
	unsigned refs;		/* atomic */
	const struct mn_synth_node *row;
	struct snode *parent;	/* reference held; NULL for the root */
	unsigned nbind;
	char *bname[MN_SYNTH_MAX_BIND];
	int64_t bnum[MN_SYNTH_MAX_BIND];
	uint64_t ino;
};

/* Per open file. */
struct sfile {
	struct mn_vfs_cred cred;	/* the opener (no groups) */
	void *state;			/* io rows */
	pthread_mutex_t lock;
	struct mn_strbuf snap;		/* protected by lock */
	int fresh;			/* snap unread since rendered; lock */
	char **dyn;			/* directories: names listed */
	size_t ndyn, dyncap;
};

#define SY(fs) ((struct synth *)(fs)->priv)
#define SN(vn) ((struct snode *)(vn)->priv)
#define SF(f) ((struct sfile *)(f)->priv)

static unsigned row_index(const struct synth *s, const struct mn_synth_node *r)
{
	unsigned i;

	for (i = 1; i <= s->nrows; i++)
		if (s->rows[i] == r)
			return i;
	return 0;
}

static int number_rows(struct synth *s, const struct mn_synth_node *r)
{
	const struct mn_synth_node *c;
	int ret = 0;

	if (row_index(s, r))
		return 0;
	if (s->nrows == ROWS_MAX)
		return -E2BIG;
	s->rows[++s->nrows] = r;
	for (c = r->children; c && c->name && ret == 0; c++)
		ret = number_rows(s, c);
	if (ret == 0 && r->dyn && r->dyn->entry)
		ret = number_rows(s, r->dyn->entry);
	return ret;
}

static uint64_t intern(struct synth *s, const char *name)
{
	size_t i;
	uint64_t id = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			break;
	if (i == s->nnames && s->nnames == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		char **nn = realloc(s->names, ncap * sizeof(*nn));

		if (nn) {
			s->names = nn;
			s->cap = ncap;
		}
	}
	if (i == s->nnames && s->nnames < s->cap &&
	    (s->names[i] = strdup(name)))
		s->nnames++;
	id = i;
	pthread_mutex_unlock(&s->lock);
	return (id & (BIND_INTERN - 1)) | BIND_INTERN;
}

static uint64_t bind_code(struct synth *s, const char *name, int64_t num)
{
	if (num >= 0 && (uint64_t)num < BIND_INTERN - 1)
		return (uint64_t)num + 1;
	return intern(s, name);
}

static uint64_t compute_ino(struct synth *s, const struct snode *n)
{
	uint64_t ino = row_index(s, n->row), b1 = 0;
	char joined[1024] = "";
	unsigned i;

	if (n->nbind > 0)
		ino |= bind_code(s, n->bname[0], n->bnum[0]) << 12;
	if (n->nbind == 2)
		b1 = bind_code(s, n->bname[1], n->bnum[1]);
	for (i = 1; n->nbind > 2 && i < n->nbind; i++) {
		size_t l = strlen(joined);

		snprintf(joined + l, sizeof(joined) - l, "/%s", n->bname[i]);
	}
	if (n->nbind > 2)
		b1 = intern(s, joined);
	return ino | (b1 << 34);
}

static int64_t parse_num(const char *name)
{
	int64_t v = 0;
	const char *p = name;

	if (!*p || (*p == '0' && p[1]))
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static void snode_put(struct snode *n)
{
	while (n && __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct snode *p = n->parent;
		unsigned i;

		for (i = 0; i < n->nbind; i++)
			free(n->bname[i]);
		free(n);
		n = p;
	}
}

/* A child of dir for row r, binding `name` if bind. */
static struct snode *snode_new(struct synth *s, struct snode *dir,
			       const struct mn_synth_node *r, const char *name,
			       int bind)
{
	struct snode *n = calloc(1, sizeof(*n));
	unsigned i;

	if (!n)
		return NULL;
	n->refs = 1;
	n->row = r;
	for (i = 0; dir && i < dir->nbind; i++) {
		n->bname[i] = strdup(dir->bname[i]);
		n->bnum[i] = dir->bnum[i];
		n->nbind++;
		if (!n->bname[i])
			goto fail;
	}
	if (bind) {
		n->bname[n->nbind] = strdup(name);
		n->bnum[n->nbind] = parse_num(name);
		if (!n->bname[n->nbind++])
			goto fail;
	}
	n->parent = dir;
	if (dir)
		__atomic_add_fetch(&dir->refs, 1, __ATOMIC_RELAXED);
	n->ino = compute_ino(s, n);
	return n;
fail:
	n->parent = NULL;
	snode_put(n);
	return NULL;
}

static void make_ctx(struct mn_fs *fs, const struct snode *n,
		     const struct mn_vfs_cred *cred, struct mn_vnode_ctx *ctx)
{
	unsigned i;

	memset(ctx, 0, sizeof(*ctx));
	ctx->node = n->row;
	ctx->arg = SY(fs)->arg;
	ctx->vfs = fs->vfs;
	ctx->cred = cred;
	ctx->nbind = n->nbind;
	for (i = 0; i < n->nbind; i++) {
		ctx->bind[i].name = n->bname[i];
		ctx->bind[i].num = n->bnum[i];
	}
}

static int render(struct mn_fs *fs, const struct snode *n,
		  const struct mn_vfs_cred *cred, struct mn_strbuf *out)
{
	struct mn_vnode_ctx ctx;
	int ret;

	if (!n->row->render)
		return 0;
	make_ctx(fs, n, cred, &ctx);
	ret = n->row->render(mn_vfs_kernel(fs->vfs), &ctx, out);
	if (ret == 0)
		ret = mn_strbuf_error(out);
	return ret;
}

static int sn_attr(struct mn_fs *fs, const struct snode *n,
		   const struct mn_vfs_cred *cred, struct stat *st)
{
	const struct mn_synth_node *r = n->row;
	struct mn_vnode_ctx ctx;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = r->mode;
	st->st_nlink = S_ISDIR(r->mode) ? 2 : 1;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = SY(fs)->born;
	if (r->flags & MN_SYNTH_GROWS)
		clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	if (S_ISLNK(r->mode) || (r->flags & MN_SYNTH_SIZED)) {
		struct mn_strbuf sb = MN_STRBUF_INIT;

		ret = render(fs, n, cred, &sb);
		st->st_size = (off_t)sb.len;
		mn_strbuf_release(&sb);
		/*
		 * A link whose target cannot be told (a kernel task's exe)
		 * still exists, as on Linux: lstat works, readlink fails.
		 */
		if (ret < 0 && S_ISLNK(r->mode)) {
			st->st_size = 0;
			ret = 0;
		}
	}
	if (ret == 0 && r->getattr) {
		make_ctx(fs, n, cred, &ctx);
		ret = r->getattr(mn_vfs_kernel(fs->vfs), &ctx, st);
	}
	st->st_ino = n->ino;
	return ret;
}

/* Does dynamic directory dir have an entry `name`? */
static int dyn_has(struct mn_fs *fs, struct snode *dir, const char *name,
		   const struct mn_vfs_cred *cred);

static int y_lookup(struct mn_fs *fs, struct mn_vnode *dirvn,
		    const char *name, const struct mn_vfs_cred *cred,
		    struct mn_fs_entry *out)
{
	struct synth *s = SY(fs);
	struct snode *dir = SN(dirvn), *n = NULL;
	const struct mn_synth_node *c;
	int ret = -ENOENT;

	if (strcmp(name, "..") == 0) {
		n = dir->parent ? dir->parent : dir;
		__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
		ret = 0;
	}
	for (c = dir->row->children; !n && c && c->name; c++)
		if (strcmp(c->name, name) == 0) {
			n = snode_new(s, dir, c, name, 0);
			ret = n ? 0 : -ENOMEM;
			break;
		}
	if (!n && ret == -ENOENT && dir->row->dyn && dir->row->dyn->entry) {
		if (dir->nbind >= MN_SYNTH_MAX_BIND)
			return -ENOENT;
		ret = dyn_has(fs, dir, name, cred);
		if (ret == 0) {
			n = snode_new(s, dir, dir->row->dyn->entry, name, 1);
			ret = n ? 0 : -ENOMEM;
		}
	}
	if (ret < 0)
		return ret;
	ret = sn_attr(fs, n, cred, &out->attr);
	if (ret < 0) {
		snode_put(n);
		return ret;
	}
	out->ino = n->ino;
	out->gen = 0;
	out->priv = n;
	return 0;
}

static void y_put(struct mn_fs *fs, void *priv)
{
	(void)fs;
	snode_put(priv);
}

static int y_getattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct mn_vfs_cred *cred, struct stat *st)
{
	return sn_attr(fs, SN(vn), cred, st);
}

static int y_setattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct stat *a, int to_set, struct mn_vfs_file *f)
{
	const struct mn_synth_node *r = SN(vn)->row;

	(void)fs;
	(void)a;
	(void)f;
	/* `echo x > ctl` truncates first: a no-op for a writable file */
	if (to_set & (MN_SETATTR_MODE | MN_SETATTR_UID | MN_SETATTR_GID))
		return -EPERM;
	if ((to_set & MN_SETATTR_SIZE) && !r->write &&
	    !(r->io && r->io->write))
		return -EACCES;
	return 0;
}

static ssize_t y_readlink(struct mn_fs *fs, struct mn_vnode *vn,
			  const struct mn_vfs_cred *cred, char *buf,
			  size_t size)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	ssize_t ret;

	if (!S_ISLNK(SN(vn)->row->mode))
		return -EINVAL;
	ret = render(fs, SN(vn), cred, &sb);
	if (ret == 0) {
		ret = (ssize_t)(sb.len < size ? sb.len : size);
		memcpy(buf, mn_strbuf_str(&sb), (size_t)ret);
	}
	mn_strbuf_release(&sb);
	return ret;
}

struct dyn_find {
	const char *name;
	int found;
};

static int dyn_find_emit(void *e, const char *name)
{
	struct dyn_find *d = e;

	if (strcmp(d->name, name) == 0)
		d->found = 1;
	return d->found;
}

static int dyn_has(struct mn_fs *fs, struct snode *dir, const char *name,
		   const struct mn_vfs_cred *cred)
{
	const struct mn_synth_dir_ops *dyn = dir->row->dyn;
	struct dyn_find d = {name, 0};
	struct mn_vnode_ctx ctx;
	int ret;

	make_ctx(fs, dir, cred, &ctx);
	if (dyn->lookup)
		return dyn->lookup(mn_vfs_kernel(fs->vfs), &ctx, name);
	if (!dyn->list)
		return -ENOENT;
	ret = dyn->list(mn_vfs_kernel(fs->vfs), &ctx, dyn_find_emit, &d);
	if (ret < 0)
		return ret;
	return d.found ? 0 : -ENOENT;
}

static double y_entry_timeout(struct mn_fs *fs, struct mn_vnode *vn)
{
	const struct snode *n = SN(vn);

	if (n->nbind || (n->row->flags & MN_SYNTH_VOLATILE))
		return 0;
	return fs->entry_timeout;
}

/*
 * A static row whose attributes the framework alone fills (no getattr
 * callback, not rendered for its size, no growing mtime) has constant
 * attributes: the kernel may keep them, which spares a GETATTR for each
 * permission check on the way to /proc/meminfo.  The content is not
 * cached by this (DIRECT_IO, st_size 0), and the rest keep 0.
 */
static double y_attr_timeout(struct mn_fs *fs, struct mn_vnode *vn)
{
	const struct snode *n = SN(vn);
	const struct mn_synth_node *r = n->row;

	(void)fs;
	if (n->nbind || S_ISLNK(r->mode) || r->getattr ||
	    (r->flags & (MN_SYNTH_GROWS | MN_SYNTH_SIZED | MN_SYNTH_VOLATILE)))
		return 0;
	return MN_VFS_CACHE_LONG;
}

static struct sfile *sfile_new(const struct mn_vfs_cred *cred)
{
	struct sfile *sf = calloc(1, sizeof(*sf));

	if (!sf)
		return NULL;
	sf->cred = *cred;
	sf->cred.ngroups = 0;
	sf->cred.groups = NULL;
	pthread_mutex_init(&sf->lock, NULL);
	return sf;
}

static void sfile_free(struct sfile *sf)
{
	size_t i;

	if (!sf)
		return;
	for (i = 0; i < sf->ndyn; i++)
		free(sf->dyn[i]);
	free(sf->dyn);
	mn_strbuf_release(&sf->snap);
	pthread_mutex_destroy(&sf->lock);
	free(sf);
}

static int y_open(struct mn_fs *fs, struct mn_vnode *vn, struct mn_vfs_file *f,
		  int flags)
{
	const struct snode *n = SN(vn);
	const struct mn_synth_node *r = n->row;
	int acc = flags & O_ACCMODE, ret = 0;
	struct mn_vnode_ctx ctx;
	struct mn_vfs_cred cred = {f->uid, f->gid, f->pid, 0, NULL,
				   f->cflags};
	struct sfile *sf;

	if (!S_ISREG(r->mode))
		return -ENXIO;
	if (acc != O_RDONLY && !r->write && !(r->io && r->io->write))
		return -EACCES;	/* even root cannot write a read-only file */
	sf = sfile_new(&cred);
	if (!sf)
		return -ENOMEM;
	f->priv = sf;
	make_ctx(fs, n, &sf->cred, &ctx);
	if (r->io) {
		f->fopen = r->io->fopen_flags;
		if (r->io->open)
			ret = r->io->open(mn_vfs_kernel(fs->vfs), &ctx, f,
					  flags, &sf->state);
	} else {
		f->fopen = (r->flags & MN_SYNTH_SIZED) ? 0 :
			MN_VFS_FOPEN_DIRECT_IO;
		if (acc != O_WRONLY) {
			ret = render(fs, n, &sf->cred, &sf->snap);
			sf->fresh = 1;
		}
	}
	if (ret < 0) {
		f->priv = NULL;
		sfile_free(sf);
	}
	return ret;
}

static ssize_t y_read(struct mn_vfs_file *f, void *buf, size_t size, off_t off)
{
	struct mn_fs *fs = f->vn->fs;
	const struct snode *n = SN(f->vn);
	struct sfile *sf = SF(f);
	struct mn_vnode_ctx ctx;
	ssize_t ret = 0;

	if (n->row->io) {
		if (!n->row->io->read)
			return -EINVAL;
		make_ctx(fs, n, &sf->cred, &ctx);
		return n->row->io->read(mn_vfs_kernel(fs->vfs), &ctx,
					sf->state, buf, size, off);
	}
	pthread_mutex_lock(&sf->lock);
	/* offset 0 again: a new read sequence, so a new snapshot */
	if ((off == 0 && !sf->fresh) ||
	    ((size_t)off >= sf->snap.len &&
	     (n->row->flags & MN_SYNTH_GROWS))) {
		struct mn_strbuf fresh = MN_STRBUF_INIT;

		ret = render(fs, n, &sf->cred, &fresh);
		if (ret == 0) {
			mn_strbuf_release(&sf->snap);
			sf->snap = fresh;
		} else {
			mn_strbuf_release(&fresh);
		}
	}
	sf->fresh = 0;
	if (ret == 0 && (size_t)off < sf->snap.len) {
		ret = (ssize_t)(sf->snap.len - (size_t)off);
		if ((size_t)ret > size)
			ret = (ssize_t)size;
		memcpy(buf, sf->snap.buf + off, (size_t)ret);
	}
	pthread_mutex_unlock(&sf->lock);
	return ret;
}

static ssize_t y_read_ref(struct mn_vfs_file *f, void *scratch, size_t size,
			  off_t off, const void **data)
{
	const struct snode *n = SN(f->vn);
	struct mn_vnode_ctx ctx;

	if (!n->row->io || !n->row->io->read_ref) {
		*data = scratch;
		return y_read(f, scratch, size, off);
	}
	make_ctx(f->vn->fs, n, &SF(f)->cred, &ctx);
	return n->row->io->read_ref(mn_vfs_kernel(f->vfs), &ctx,
				    SF(f)->state, size, off, data);
}

static ssize_t y_write(struct mn_vfs_file *f, const void *buf, size_t size,
		       off_t off)
{
	struct mn_fs *fs = f->vn->fs;
	const struct snode *n = SN(f->vn);
	struct mn_vnode_ctx ctx;
	char *text;
	int ret;

	make_ctx(fs, n, &SF(f)->cred, &ctx);
	if (n->row->io)
		return n->row->io->write ?
			n->row->io->write(mn_vfs_kernel(fs->vfs), &ctx,
					  SF(f)->state, buf, size, off) :
			-EINVAL;
	if (!n->row->write)
		return -EINVAL;
	if (size > CTL_MAX)
		return -EFBIG;
	text = malloc(size + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, buf, size);
	text[size] = '\0';
	ret = n->row->write(mn_vfs_kernel(fs->vfs), &ctx, text, size);
	free(text);
	return ret < 0 ? ret : (ssize_t)size;
}

static unsigned y_poll(struct mn_vfs_file *f)
{
	const struct snode *n = SN(f->vn);
	struct mn_vnode_ctx ctx;

	if (!n->row->io || !n->row->io->poll)
		return POLLIN | POLLOUT;
	make_ctx(f->vn->fs, n, &SF(f)->cred, &ctx);
	return n->row->io->poll(mn_vfs_kernel(f->vfs), &ctx, SF(f)->state);
}

static void y_release(struct mn_vfs_file *f)
{
	const struct snode *n = SN(f->vn);
	struct sfile *sf = SF(f);
	struct mn_vnode_ctx ctx;

	if (!sf)
		return;
	if (n->row->io && n->row->io->release) {
		make_ctx(f->vn->fs, n, &sf->cred, &ctx);
		n->row->io->release(mn_vfs_kernel(f->vfs), &ctx, sf->state);
	}
	sfile_free(sf);
	f->priv = NULL;
}

static int collect_dyn(void *e, const char *name)
{
	struct sfile *sf = e;
	size_t len = strlen(name);

	if (!len || len > MN_VFS_NAME_MAX || strchr(name, '/') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;	/* a bad name from a list callback: skip */
	if (sf->ndyn == sf->dyncap) {
		size_t ncap = sf->dyncap ? sf->dyncap * 2 : 32;
		char **nd = realloc(sf->dyn, ncap * sizeof(*nd));

		if (!nd)
			return 1;
		sf->dyn = nd;
		sf->dyncap = ncap;
	}
	if ((sf->dyn[sf->ndyn] = strdup(name)))
		sf->ndyn++;
	return 0;
}

static int y_opendir(struct mn_fs *fs, struct mn_vnode *vn,
		     struct mn_vfs_file *f)
{
	struct snode *n = SN(vn);
	struct mn_vfs_cred cred = {f->uid, f->gid, f->pid, 0, NULL,
				   f->cflags};
	struct mn_vnode_ctx ctx;
	struct sfile *sf = sfile_new(&cred);
	int ret = 0;

	if (!sf)
		return -ENOMEM;
	if (n->row->dyn && n->row->dyn->list &&
	    n->nbind < MN_SYNTH_MAX_BIND) {
		make_ctx(fs, n, &sf->cred, &ctx);
		ret = n->row->dyn->list(mn_vfs_kernel(fs->vfs), &ctx,
					collect_dyn, sf);
	}
	if (ret < 0) {
		sfile_free(sf);
		return ret;
	}
	f->priv = sf;
	return 0;
}

static int y_readdir(struct mn_vfs_file *f, off_t off, mn_fs_fill_fn *fill,
		     void *arg)
{
	struct synth *s = SY(f->vn->fs);
	struct snode *n = SN(f->vn), tmp;
	const struct mn_synth_node *c;
	struct sfile *sf = SF(f);
	off_t cookie = 3;
	size_t i;

	if (off < 1 && fill(arg, ".", n->ino, DT_DIR, 1))
		return 0;
	if (off < 2 && fill(arg, "..", n->parent ? n->parent->ino : n->ino,
			    DT_DIR, 2))
		return 0;
	tmp = *n;
	for (c = n->row->children; c && c->name; c++, cookie++) {
		if (cookie <= off)
			continue;
		tmp.row = c;
		if (fill(arg, c->name, compute_ino(s, &tmp),
			 IFTODT(c->mode), cookie))
			return 0;
	}
	for (i = 0; n->row->dyn && i < sf->ndyn; i++, cookie++) {
		struct snode *e;
		uint64_t ino;

		if (cookie <= off)
			continue;
		e = snode_new(s, n, n->row->dyn->entry, sf->dyn[i], 1);
		if (!e)
			return -ENOMEM;
		ino = e->ino;
		snode_put(e);
		if (fill(arg, sf->dyn[i], ino,
			 IFTODT(n->row->dyn->entry->mode), cookie))
			return 0;
	}
	return 0;
}

static void y_releasedir(struct mn_vfs_file *f)
{
	sfile_free(SF(f));
	f->priv = NULL;
}

static void y_destroy(struct mn_fs *fs)
{
	struct synth *s = SY(fs);
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct mn_fs_ops synth_ops = {
	.type = "synth",
	.lookup = y_lookup,
	.put = y_put,
	.getattr = y_getattr,
	.setattr = y_setattr,
	.readlink = y_readlink,
	.open = y_open,
	.read = y_read,
	.read_ref = y_read_ref,
	.write = y_write,
	.poll = y_poll,
	.release = y_release,
	.opendir = y_opendir,
	.readdir = y_readdir,
	.releasedir = y_releasedir,
	.entry_timeout = y_entry_timeout,
	.attr_timeout = y_attr_timeout,
	.destroy = y_destroy,
};

int mn_fs_synth_create(struct mn_vfs *vfs, const char *type,
		       const struct mn_synth_node *root, void *arg,
		       struct mn_fs **out)
{
	struct mn_fs *fs;
	struct synth *s;
	struct snode *rn;
	int ret;

	if (!root || !S_ISDIR(root->mode))
		return -EINVAL;
	fs = mn_fs_alloc(vfs, &synth_ops, type);
	s = calloc(1, sizeof(*s));
	if (!fs || !s) {
		free(fs);
		free(s);
		return -ENOMEM;
	}
	s->root = root;
	s->arg = arg;
	clock_gettime(CLOCK_REALTIME, &s->born);
	pthread_mutex_init(&s->lock, NULL);
	fs->priv = s;
	ret = number_rows(s, root);
	rn = ret == 0 ? snode_new(s, NULL, root, NULL, 0) : NULL;
	if (!rn) {
		y_destroy(fs);
		free(fs);
		return ret < 0 ? ret : -ENOMEM;
	}
	fs->root_ino = rn->ino;
	fs->root_priv = rn;
	fs->attr_timeout = 0;
	fs->entry_timeout = 1.0;
	*out = fs;
	return 0;
}

int mn_vfs_mount_synth(struct mn_vfs *vfs, const char *path, const char *type,
		       const struct mn_synth_node *root, void *arg)
{
	struct mn_fs *fs;
	int ret;

	if (!path || path[0] != '/' || !type)
		return -EINVAL;
	ret = mn_fs_synth_create(vfs, type, root, arg, &fs);
	if (ret < 0)
		return ret;
	return mn_vfs_mount_fs(vfs, path, fs);
}
