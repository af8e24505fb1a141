/*
 * vfs.c - the heart of the VFS: nodes, the mount table, permissions.
 *
 * A node (struct mn_vnode) is the VFS's handle on one file of one mounted
 * file system.  Nodes live in two hash tables: by node id (what callers and
 * the FUSE kernel hold) and by (file system, local inode number), so that
 * looking the same file up twice - through two hard links, or after a
 * forget raced a lookup - yields the same node id.  A node lives while its
 * lookup count (lookups the caller has not forgotten) or its reference
 * count (open files, calls in flight, mounts) is above zero; then the file
 * system's node is given back with ops->put().  Node ids are never reused.
 *
 * Mounts: a mount covers a directory node of its parent file system; a
 * lookup that finds a covered node returns the mounted root instead, and
 * ".." at a mounted root is looked up from the covered node, as in Unix.
 * Both nodes are pinned by the mount.  The root mount's root is node id 1.
 *
 * Locking: vfs->lock guards both tables, every node's counts, names and
 * mount links, the mount list and the open file list.  It is a leaf for the
 * file systems: no fs op, host call or callback runs with it held.
 *
 * The namespace operations (mkdir, unlink, rename, xattrs ...) are in
 * vfs_ops.c, open files in vfs_file.c, paths in vfs_path.c, the change
 * hook in vfs_notify.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/kernel.h>

#include "vfs_i.h"

struct mn_vfs {
	struct mn_kernel *k;	/* borrowed; set once */
	struct mn_evbus *bus;	/* borrowed; set once */
	uint64_t tmp_max;	/* set once */
	pthread_mutex_t lock;
	/* protected by lock: */
	struct mn_vnode **by_id;
	size_t id_size, id_count;
	struct mn_vnode **by_key;
	size_t key_size, key_count;
	uint64_t next_id;
	struct mn_mount *mounts;	/* in mount order, "/" first */
	unsigned nmounts;
	struct mn_vfs_file *files;
	size_t nfiles;
	struct mn_sysfiles *sysfiles;	/* set once by the vfs stage */
	struct mn_vfs_hook hook;	/* its own lock: vfs_notify.c */
};

const struct mn_vfs_cred mn_vfs_cred_kernel = {0, 0, 0, 0, NULL, 0};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t key_hash(const struct mn_fs *fs, uint64_t lino, size_t size)
{
	return mix64(lino ^ ((uint64_t)(uintptr_t)fs << 7)) & (size - 1);
}

/* --- hash tables (vfs->lock held) --------------------------------------- */

static int tables_grow(struct mn_vfs *vfs)
{
	size_t nsize = vfs->id_size ? vfs->id_size * 2 : 256;
	struct mn_vnode **nid = calloc(nsize, sizeof(*nid));
	struct mn_vnode **nkey = calloc(nsize, sizeof(*nkey));
	size_t i;

	if (!nid || !nkey) {
		free(nid);
		free(nkey);
		return -ENOMEM;
	}
	for (i = 0; i < vfs->id_size; i++) {
		struct mn_vnode *vn = vfs->by_id[i], *next;

		for (; vn; vn = next) {
			size_t h = mix64(vn->id) & (nsize - 1);

			next = vn->next_id;
			vn->next_id = nid[h];
			nid[h] = vn;
		}
		for (vn = vfs->by_key[i]; vn; vn = next) {
			size_t h = key_hash(vn->fs, vn->lino, nsize);

			next = vn->next_key;
			vn->next_key = nkey[h];
			nkey[h] = vn;
		}
	}
	free(vfs->by_id);
	free(vfs->by_key);
	vfs->by_id = nid;
	vfs->by_key = nkey;
	vfs->id_size = vfs->key_size = nsize;
	return 0;
}

static struct mn_vnode *id_find(struct mn_vfs *vfs, uint64_t id)
{
	struct mn_vnode *vn;

	if (!vfs->id_size)
		return NULL;
	vn = vfs->by_id[mix64(id) & (vfs->id_size - 1)];
	while (vn && vn->id != id)
		vn = vn->next_id;
	return vn;
}

static struct mn_vnode *key_find(struct mn_vfs *vfs, struct mn_fs *fs,
				 uint64_t lino)
{
	struct mn_vnode *vn;

	if (!vfs->key_size)
		return NULL;
	vn = vfs->by_key[key_hash(fs, lino, vfs->key_size)];
	while (vn && (vn->fs != fs || vn->lino != lino))
		vn = vn->next_key;
	return vn;
}

static void key_remove(struct mn_vfs *vfs, struct mn_vnode *vn)
{
	struct mn_vnode **pp;

	if (!vn->hashed_key)
		return;
	pp = &vfs->by_key[key_hash(vn->fs, vn->lino, vfs->key_size)];
	while (*pp != vn)
		pp = &(*pp)->next_key;
	*pp = vn->next_key;
	vn->hashed_key = 0;
	vfs->key_count--;
}

static void id_remove(struct mn_vfs *vfs, struct mn_vnode *vn)
{
	struct mn_vnode **pp = &vfs->by_id[mix64(vn->id) & (vfs->id_size - 1)];

	while (*pp != vn)
		pp = &(*pp)->next_id;
	*pp = vn->next_id;
	vfs->id_count--;
}

/* A new node in both tables; NULL on ENOMEM. */
static struct mn_vnode *vn_new(struct mn_vfs *vfs, struct mn_fs *fs,
			       const struct mn_fs_entry *fe)
{
	struct mn_vnode *vn;
	size_t h;

	if (vfs->id_count >= vfs->id_size && tables_grow(vfs) < 0)
		return NULL;
	vn = calloc(1, sizeof(*vn));
	if (!vn)
		return NULL;
	vn->id = vfs->next_id++;
	vn->fs = fs;
	vn->lino = fe->ino;
	vn->gen = fe->gen;
	vn->priv = fe->priv;
	h = mix64(vn->id) & (vfs->id_size - 1);
	vn->next_id = vfs->by_id[h];
	vfs->by_id[h] = vn;
	vfs->id_count++;
	h = key_hash(fs, fe->ino, vfs->key_size);
	vn->next_key = vfs->by_key[h];
	vfs->by_key[h] = vn;
	vn->hashed_key = 1;
	vfs->key_count++;
	return vn;
}

/* Unhooks a node nobody needs any more; 1 if the caller must free it. */
static int vn_maybe_drop(struct mn_vfs *vfs, struct mn_vnode *vn)
{
	if (vn->nlookup || vn->refs || vn->covered_by || vn->root_of)
		return 0;
	id_remove(vfs, vn);
	key_remove(vfs, vn);
	return 1;
}

/* Frees a dropped node, then drops its pin on its parent, and so on up. */
static void vn_free(struct mn_vfs *vfs, struct mn_vnode *vn)
{
	while (vn) {
		struct mn_vnode *p = vn->parent;
		int drop = 0;

		if (vn->fs->ops->put)
			vn->fs->ops->put(vn->fs, vn->priv);
		free(vn->name);
		free(vn);
		if (p) {
			pthread_mutex_lock(&vfs->lock);
			p->refs--;
			drop = vn_maybe_drop(vfs, p);
			pthread_mutex_unlock(&vfs->lock);
		}
		vn = drop ? p : NULL;
	}
}

/* --- node references ------------------------------------------------------ */

struct mn_vnode *mn_vnode_get(struct mn_vfs *vfs, uint64_t ino)
{
	struct mn_vnode *vn;

	pthread_mutex_lock(&vfs->lock);
	vn = id_find(vfs, ino);
	if (vn)
		vn->refs++;
	pthread_mutex_unlock(&vfs->lock);
	return vn;
}

void mn_vnode_ref(struct mn_vfs *vfs, struct mn_vnode *vn)
{
	pthread_mutex_lock(&vfs->lock);
	vn->refs++;
	pthread_mutex_unlock(&vfs->lock);
}

void mn_vnode_put(struct mn_vfs *vfs, struct mn_vnode *vn)
{
	int drop;

	if (!vn)
		return;
	pthread_mutex_lock(&vfs->lock);
	vn->refs--;
	drop = vn_maybe_drop(vfs, vn);
	pthread_mutex_unlock(&vfs->lock);
	if (drop)
		vn_free(vfs, vn);
}

void mn_vfs_forget(struct mn_vfs *vfs, uint64_t ino, uint64_t nlookup)
{
	struct mn_vnode *vn;
	int drop = 0;

	pthread_mutex_lock(&vfs->lock);
	vn = id_find(vfs, ino);
	if (vn) {
		vn->nlookup -= nlookup < vn->nlookup ? nlookup : vn->nlookup;
		drop = vn_maybe_drop(vfs, vn);
	}
	pthread_mutex_unlock(&vfs->lock);
	if (drop)
		vn_free(vfs, vn);
}

uint64_t mn_vfs_st_ino(const struct mn_fs *fs, uint64_t lino)
{
	return (lino & ((1ULL << 56) - 1)) | ((uint64_t)fs->index << 56);
}

int mn_vnode_getattr(struct mn_vnode *vn, const struct mn_vfs_cred *cred,
		     struct stat *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = vn->fs->ops->getattr(vn->fs, vn, cred, st);
	st->st_ino = mn_vfs_st_ino(vn->fs, vn->lino);
	return ret;
}

int mn_vfs_install(struct mn_vfs *vfs, struct mn_fs *fs,
		   struct mn_fs_entry *fe, uint64_t parent, const char *name,
		   const struct mn_vfs_cred *cred, struct mn_vfs_entry *out,
		   struct mn_vnode **vn_out)
{
	char *nm = name ? strdup(name) : NULL;
	struct mn_vnode *vn, *oldp = NULL;
	void *dup = NULL;
	int crossed = 0, ret = 0;

	pthread_mutex_lock(&vfs->lock);
	vn = key_find(vfs, fs, fe->ino);
	if (vn && vn->gen != fe->gen) {
		key_remove(vfs, vn);	/* a new file reusing the number */
		vn = NULL;
	}
	if (vn) {
		dup = fe->priv;
		if (vn->covered_by) {
			vn = vn->covered_by->root;
			crossed = 1;
		}
	} else if (!(vn = vn_new(vfs, fs, fe))) {
		dup = fe->priv;
		ret = -ENOMEM;
		goto out;
	}
	vn->nlookup++;
	vn->refs++;
	if (!crossed && nm) {
		struct mn_vnode *p = id_find(vfs, parent);
		char *old = vn->name;

		vn->name = nm;
		nm = old;
		if (p && p != vn && p != vn->parent) {
			p->refs++;
			oldp = vn->parent;
			vn->parent = p;
		}
	}
out:
	pthread_mutex_unlock(&vfs->lock);
	mn_vnode_put(vfs, oldp);
	free(nm);
	if (dup && fs->ops->put)
		fs->ops->put(fs, dup);
	if (ret < 0)
		return ret;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->ino = vn->id;
		out->generation = vn->gen;
		if (crossed)
			ret = mn_vnode_getattr(vn, cred, &out->attr);
		else {
			out->attr = fe->attr;
			out->attr.st_ino = mn_vfs_st_ino(fs, fe->ino);
		}
		out->attr_timeout = mn_vnode_attr_timeout(vn);
		out->entry_timeout = mn_vnode_entry_timeout(vn);
		if (ret < 0) {
			mn_vfs_forget(vfs, vn->id, 1);
			mn_vnode_put(vfs, vn);
			return ret;
		}
	}
	if (vn_out)
		*vn_out = vn;
	else
		mn_vnode_put(vfs, vn);
	return 0;
}

int mn_vfs_entry_of(struct mn_vfs *vfs, struct mn_vnode *vn,
		    const struct mn_vfs_cred *cred, struct mn_vfs_entry *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = mn_vnode_getattr(vn, cred, &out->attr);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&vfs->lock);
	vn->nlookup++;
	pthread_mutex_unlock(&vfs->lock);
	out->ino = vn->id;
	out->generation = vn->gen;
	out->attr_timeout = mn_vnode_attr_timeout(vn);
	out->entry_timeout = mn_vnode_entry_timeout(vn);
	return 0;
}

double mn_vnode_attr_timeout(struct mn_vnode *vn)
{
	/* a writer nobody reports: the kernel must ask every time */
	if (atomic_load_explicit(&vn->host_writers, memory_order_relaxed))
		return 0;
	return vn->fs->ops->attr_timeout ?
		vn->fs->ops->attr_timeout(vn->fs, vn) : vn->fs->attr_timeout;
}

double mn_vnode_entry_timeout(struct mn_vnode *vn)
{
	return vn->fs->ops->entry_timeout ?
		vn->fs->ops->entry_timeout(vn->fs, vn) : vn->fs->entry_timeout;
}

void mn_fs_cache_long(struct mn_fs *fs)
{
	fs->attr_timeout = MN_VFS_CACHE_LONG;
	fs->entry_timeout = MN_VFS_CACHE_LONG;
	fs->neg_timeout = MN_VFS_CACHE_LONG;
}

/* --- permissions ---------------------------------------------------------- */

static int in_group(const struct mn_vfs_cred *cred, uint32_t gid)
{
	uint32_t i, n = cred->ngroups;

	if (cred->gid == gid)
		return 1;
	if (n > MN_VFS_GROUPS_MAX)
		n = MN_VFS_GROUPS_MAX;
	for (i = 0; cred->groups && i < n; i++)
		if (cred->groups[i] == gid)
			return 1;
	return 0;
}

int mn_vfs_cred_in_group(const struct mn_vfs_cred *cred, uint32_t gid)
{
	return in_group(cred, gid);
}

int mn_vfs_perm(const struct mn_vfs_cred *cred, const struct stat *st,
		int mask)
{
	unsigned bits;

	mask &= R_OK | W_OK | X_OK;
	if (mn_vfs_cred_root(cred)) {
		/* root executes only what someone may execute */
		if ((mask & X_OK) && !S_ISDIR(st->st_mode) &&
		    !(st->st_mode & 0111))
			return -EACCES;
		return 0;
	}
	if (cred->uid == st->st_uid)
		bits = (st->st_mode >> 6) & 7;
	else if (in_group(cred, st->st_gid))
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return ((bits & (unsigned)mask) == (unsigned)mask) ? 0 : -EACCES;
}

/* --- creation, mounts ----------------------------------------------------- */

struct mn_fs *mn_fs_alloc(struct mn_vfs *vfs, const struct mn_fs_ops *ops,
			  const char *type)
{
	struct mn_fs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->ops = ops;
	fs->vfs = vfs;
	snprintf(fs->type, sizeof(fs->type), "%s", type);
	return fs;
}

static void fs_destroy(struct mn_fs *fs)
{
	if (!fs)
		return;
	if (fs->root_priv && fs->ops->put)
		fs->ops->put(fs, fs->root_priv);
	if (fs->ops->destroy)
		fs->ops->destroy(fs);
	free(fs);
}

/* Creates the root node of fs and links mount m (vfs->lock held). */
static int mount_root(struct mn_vfs *vfs, struct mn_fs *fs,
		      struct mn_mount *m)
{
	struct mn_fs_entry fe = {.ino = fs->root_ino, .priv = fs->root_priv};

	m->root = vn_new(vfs, fs, &fe);
	if (!m->root)
		return -ENOMEM;
	fs->root_priv = NULL;	/* now the node's */
	m->root->refs = 1;
	m->root->root_of = m;
	m->fs = fs;
	fs->index = vfs->nmounts++;
	return 0;
}

static void mounts_append(struct mn_vfs *vfs, struct mn_mount *m)
{
	struct mn_mount **pp = &vfs->mounts;

	while (*pp)
		pp = &(*pp)->next;
	*pp = m;
}

int mn_vfs_mount_fs(struct mn_vfs *vfs, const char *path, struct mn_fs *fs)
{
	struct mn_vfs_entry e;
	struct mn_mount *m = calloc(1, sizeof(*m));
	struct mn_vnode *cov = NULL;
	int ret;

	if (!m) {
		fs_destroy(fs);
		return -ENOMEM;
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	ret = mn_vfs_resolve(vfs, &mn_vfs_cred_kernel, "/", path, 0, &e);
	if (ret == -ENOENT) {
		ret = mn_vfs_mkdir_path(vfs, &mn_vfs_cred_kernel, "/", path,
					0755);
		if (ret == 0)
			ret = mn_vfs_resolve(vfs, &mn_vfs_cred_kernel, "/",
					     path, 0, &e);
	}
	if (ret < 0)
		goto fail;
	if (!S_ISDIR(e.attr.st_mode)) {
		ret = -ENOTDIR;
		goto fail_forget;
	}
	pthread_mutex_lock(&vfs->lock);
	cov = id_find(vfs, e.ino);
	if (!cov || cov->covered_by || cov->root_of)
		ret = -EBUSY;
	else
		ret = mount_root(vfs, fs, m);
	if (ret == 0) {
		cov->refs++;
		cov->covered_by = m;
		m->covered = cov;
		mounts_append(vfs, m);
	}
	pthread_mutex_unlock(&vfs->lock);
fail_forget:
	mn_vfs_forget(vfs, e.ino, 1);
fail:
	if (ret < 0) {
		free(m);
		fs_destroy(fs);
	}
	return ret;
}

struct mn_vfs *mn_vfs_of(struct mn_kernel *k)
{
	return k ? mn_kernel_slot(k, MN_SLOT_VFS) : NULL;
}

int mn_vfs_create_rooted(struct mn_vfs **out, const struct mn_vfs_opts *opts,
			 mn_vfs_root_fn *make_root)
{
	struct mn_vfs *vfs = calloc(1, sizeof(*vfs));
	struct mn_mount *m = calloc(1, sizeof(*m));
	struct mn_fs *root = NULL;
	int ret = -ENOMEM;

	if (!vfs || !m || pthread_mutex_init(&vfs->lock, NULL) != 0)
		goto fail;
	if (mn_vfs_hook_init(&vfs->hook) < 0) {
		pthread_mutex_destroy(&vfs->lock);
		goto fail;
	}
	vfs->k = opts ? opts->kernel : NULL;
	vfs->bus = opts ? opts->bus : NULL;
	if (!vfs->bus && vfs->k)
		vfs->bus = mn_kernel_evbus(vfs->k);
	vfs->tmp_max = opts && opts->tmp_max_bytes ? opts->tmp_max_bytes :
		256ULL << 20;
	vfs->next_id = MN_VFS_ROOT_INO;
	if (tables_grow(vfs) < 0)
		goto fail_lock;
	ret = make_root(vfs, opts, &root);
	if (ret < 0)
		goto fail_lock;
	mn_fs_cache_long(root);
	snprintf(m->path, sizeof(m->path), "/");
	ret = mount_root(vfs, root, m);	/* node id 1 */
	if (ret < 0)
		goto fail_lock;
	vfs->mounts = m;
	*out = vfs;
	return 0;
fail_lock:
	fs_destroy(root);
	free(vfs->by_id);
	free(vfs->by_key);
	mn_vfs_hook_destroy(&vfs->hook);
	pthread_mutex_destroy(&vfs->lock);
fail:
	free(m);
	free(vfs);
	return ret;
}

void mn_vfs_destroy(struct mn_vfs *vfs)
{
	struct mn_mount *m, *next;
	size_t i;

	if (!vfs)
		return;
	/* Nodes first (their fs is still there to take them back). */
	for (i = 0; i < vfs->id_size; i++) {
		struct mn_vnode *vn, *vnext;

		for (vn = vfs->by_id[i]; vn; vn = vnext) {
			vnext = vn->next_id;
			if (vn->fs->ops->put)
				vn->fs->ops->put(vn->fs, vn->priv);
			free(vn->name);
			free(vn);
		}
	}
	for (m = vfs->mounts; m; m = next) {
		next = m->next;
		fs_destroy(m->fs);
		free(m);
	}
	free(vfs->by_id);
	free(vfs->by_key);
	mn_vfs_hook_destroy(&vfs->hook);
	pthread_mutex_destroy(&vfs->lock);
	free(vfs);
}

struct mn_kernel *mn_vfs_kernel(struct mn_vfs *vfs)
{
	return vfs->k;
}

struct mn_evbus *mn_vfs_bus(struct mn_vfs *vfs)
{
	return vfs->bus;
}

void mn_vfs_set_sysfiles(struct mn_vfs *vfs, struct mn_sysfiles *sf)
{
	vfs->sysfiles = sf;
}

struct mn_sysfiles *mn_vfs_sysfiles(struct mn_vfs *vfs)
{
	return vfs->sysfiles;
}

uint64_t mn_vfs_tmp_max(struct mn_vfs *vfs)
{
	return vfs->tmp_max;
}

struct mn_vfs_hook *mn_vfs_hook_of(struct mn_vfs *vfs)
{
	return &vfs->hook;
}

int mn_vfs_mounts_render(struct mn_vfs *vfs, struct mn_strbuf *out)
{
	struct mn_mount *m;

	pthread_mutex_lock(&vfs->lock);
	for (m = vfs->mounts; m; m = m->next)
		mn_strbuf_printf(out, "micronos-%s %s %s %s 0 0\n",
				 m->fs->type, m->path, m->fs->type,
				 m->fs->readonly ? "ro" : "rw");
	pthread_mutex_unlock(&vfs->lock);
	return mn_strbuf_error(out);
}

struct mn_vnode *mn_vfs_dotdot_base(struct mn_vfs *vfs, struct mn_vnode *vn,
				    int *self)
{
	struct mn_vnode *cov = NULL;

	*self = 0;
	pthread_mutex_lock(&vfs->lock);
	if (vn->root_of) {
		cov = vn->root_of->covered;
		if (cov)
			cov->refs++;
		else
			*self = 1;
	}
	pthread_mutex_unlock(&vfs->lock);
	return cov;
}

int mn_vfs_is_mountpoint(struct mn_vfs *vfs, struct mn_fs *fs, uint64_t lino)
{
	struct mn_vnode *vn;
	int ret;

	pthread_mutex_lock(&vfs->lock);
	vn = key_find(vfs, fs, lino);
	ret = vn && vn->covered_by;
	pthread_mutex_unlock(&vfs->lock);
	return ret;
}

uint64_t mn_vfs_node_id(struct mn_vfs *vfs, struct mn_fs *fs, uint64_t lino)
{
	struct mn_vnode *vn;
	uint64_t id;

	pthread_mutex_lock(&vfs->lock);
	vn = key_find(vfs, fs, lino);
	id = vn ? vn->id : 0;
	pthread_mutex_unlock(&vfs->lock);
	return id;
}

int mn_vfs_node_path(struct mn_vfs *vfs, uint64_t ino, char *buf, size_t size)
{
	const char *parts[64];
	size_t n = 0, len = 0;
	struct mn_vnode *vn;
	int ret = 0;

	pthread_mutex_lock(&vfs->lock);
	vn = id_find(vfs, ino);
	while (vn && vn->id != MN_VFS_ROOT_INO && n < 64) {
		if (vn->root_of) {
			vn = vn->root_of->covered;
			continue;
		}
		if (!vn->name)
			break;
		parts[n++] = vn->name;
		vn = vn->parent;
	}
	if (!vn || (vn->id != MN_VFS_ROOT_INO))
		ret = -ENOENT;
	buf[0] = '\0';
	while (ret == 0 && n > 0) {
		int w = snprintf(buf + len, size - len, "/%s", parts[--n]);

		if (w < 0 || (size_t)w >= size - len)
			ret = -ENAMETOOLONG;
		else
			len += (size_t)w;
	}
	if (ret == 0 && len == 0)
		snprintf(buf, size, "/");
	pthread_mutex_unlock(&vfs->lock);
	return ret;
}

void mn_vfs_files_link(struct mn_vfs *vfs, struct mn_vfs_file *f)
{
	pthread_mutex_lock(&vfs->lock);
	f->prev = NULL;
	f->next = vfs->files;
	if (vfs->files)
		vfs->files->prev = f;
	vfs->files = f;
	vfs->nfiles++;
	pthread_mutex_unlock(&vfs->lock);
}

void mn_vfs_files_unlink(struct mn_vfs *vfs, struct mn_vfs_file *f)
{
	pthread_mutex_lock(&vfs->lock);
	if (f->prev)
		f->prev->next = f->next;
	else
		vfs->files = f->next;
	if (f->next)
		f->next->prev = f->prev;
	vfs->nfiles--;
	pthread_mutex_unlock(&vfs->lock);
}

size_t mn_vfs_files(struct mn_vfs *vfs, struct mn_vfs_file_info *out,
		    size_t max)
{
	struct mn_vfs_file *f;
	size_t i = 0, n;

	pthread_mutex_lock(&vfs->lock);
	n = vfs->nfiles;
	for (f = vfs->files; f && i < max; f = f->next, i++) {
		struct mn_vfs_file_info *fi = &out[i];

		memset(fi, 0, sizeof(*fi));
		fi->ino = f->vn->id;
		fi->st_ino = mn_vfs_st_ino(f->vn->fs, f->vn->lino);
		fi->pid = f->pid;
		fi->flags = atomic_load(&f->flags);
		fi->bytes_read = atomic_load(&f->rd_bytes);
		fi->bytes_written = atomic_load(&f->wr_bytes);
		snprintf(fi->path, sizeof(fi->path), "%s",
			 f->path ? f->path : "?");
	}
	pthread_mutex_unlock(&vfs->lock);
	return n;
}
