/*
 * fs_storage_node.c - storage's nodes and the bounded cache of the host
 * descriptors they use.
 *
 * A node (struct sino) stands for one host inode of the backing tree.  It
 * does NOT own a descriptor: the FUSE kernel may know hundreds of thousands
 * of inodes, and a descriptor per known inode let one program that creates
 * 25,000 files exhaust the daemon (every other run, and the world's binds,
 * failed with EMFILE).  Instead each node remembers how to find its file
 * again:
 *  - its parent node (a reference: a child keeps its directory's node, as a
 *    dentry pins its parent) and its name there, kept true by the renames
 *    and lookups the VFS asks for;
 *  - its host inode number, checked after every re-open, so a name that
 *    now names another file (replaced behind the daemon's back) gives
 *    -ESTALE, never the wrong file;
 *  - when the daemon may use them (root: open_by_handle_at needs
 *    CAP_DAC_READ_SEARCH), a file handle, which finds the inode whatever
 *    happened to its names.
 * The O_PATH descriptors themselves live in an LRU cache of at most
 * fd_cap entries (a quarter of RLIMIT_NOFILE, at most 4096, or
 * $MICRONOS_STORAGE_FD_CAP; $MICRONOS_STORAGE_NO_HANDLES=1 makes a root
 * daemon use names as a rootless one does - both for tests): a hot node
 * costs no re-open, a cold one costs one openat per level that also went
 * cold (by handle: one call).  Descriptors being used (borrowed by a call
 * in flight) or belonging to a node with open files are never evicted;
 * the root's stays for the instance's life.
 *
 * Re-opening by name walks down from the nearest node whose descriptor is
 * cached with openat(O_PATH | O_NOFOLLOW) one name at a time: a symlink
 * planted anywhere is never followed (the tree holds none of its own: see
 * fs_storage_meta.c), and ".." is never walked.
 *
 * Nodes are shared: a lookup of an inode that already has a node returns a
 * new reference on it (the VFS keeps one node per inode too), so a rename
 * updates the one place that remembers the name.
 *
 * Locking: storage.lock guards the hash, the LRU and every node's mutable
 * fields; it is never held across an open or a stat.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <micronos/health.h>

#include "fs_storage_i.h"

#define FD_CAP_MAX 4096
#define FD_CAP_MIN 16

static size_t hslot(const struct storage *s, uint64_t ino)
{
	uint64_t x = ino * 0x9e3779b97f4a7c15ULL;

	return (size_t)(x >> 20) & (s->hsize - 1);
}

/* --- hash and LRU (lock held) ------------------------------------------- */

static struct sino *hfind(struct storage *s, uint64_t ino)
{
	struct sino *si = s->hash[hslot(s, ino)];

	while (si && si->ino != ino)
		si = si->hnext;
	return si;
}

static int hgrow(struct storage *s)
{
	size_t nsize = s->hsize * 2, i;
	struct sino **nh = calloc(nsize, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (i = 0; i < s->hsize; i++) {
		struct sino *si = s->hash[i], *next;

		for (; si; si = next) {
			size_t h = (size_t)((si->ino * 0x9e3779b97f4a7c15ULL)
					    >> 20) & (nsize - 1);

			next = si->hnext;
			si->hnext = nh[h];
			nh[h] = si;
		}
	}
	free(s->hash);
	s->hash = nh;
	s->hsize = nsize;
	return 0;
}

static void hremove(struct storage *s, struct sino *si)
{
	struct sino **pp = &s->hash[hslot(s, si->ino)];

	while (*pp && *pp != si)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = si->hnext;
		s->hcount--;
	}
}

static void lru_unlink(struct storage *s, struct sino *si)
{
	if (si->lru_prev)
		si->lru_prev->lru_next = si->lru_next;
	else
		s->lru_head = si->lru_next;
	if (si->lru_next)
		si->lru_next->lru_prev = si->lru_prev;
	else
		s->lru_tail = si->lru_prev;
	si->lru_prev = si->lru_next = NULL;
}

static void lru_front(struct storage *s, struct sino *si)
{
	si->lru_prev = NULL;
	si->lru_next = s->lru_head;
	if (s->lru_head)
		s->lru_head->lru_prev = si;
	s->lru_head = si;
	if (!s->lru_tail)
		s->lru_tail = si;
}

/* Caches fd in si (which has none). */
static void cache_fd(struct storage *s, struct sino *si, int fd)
{
	si->fd = fd;
	lru_front(s, si);
	s->cached++;
}

/*
 * Takes descriptors beyond the cap out of the cache, coldest first, into
 * out[] (closed by the caller once the lock is dropped); returns how many.
 */
static size_t evict(struct storage *s, int *out, size_t max)
{
	struct sino *si = s->lru_tail, *prev;
	size_t n = 0;

	while (si && s->cached > s->fd_cap && n < max) {
		prev = si->lru_prev;
		if (!si->users && !si->opens && si != s->root) {
			lru_unlink(s, si);
			out[n++] = si->fd;
			si->fd = -1;
			s->cached--;
		}
		si = prev;
	}
	return n;
}

static void close_all(const int *fds, size_t n)
{
	while (n--)
		close(fds[n]);
}

/*
 * The process ran out of descriptors (another part of the daemon, or a
 * burst of open files): the cache gives back every descriptor it may, so
 * the open that failed can be retried.  A lookup that failed for want of
 * a descriptor would make the FUSE kernel drop a dentry - and with it the
 * world's mounts on it (/usr, /etc files) - so storage retries once.
 */
static void shrink(struct storage *s)
{
	unsigned cap = s->fd_cap;
	int victims[64];
	size_t n;

	do {
		pthread_mutex_lock(&s->lock);
		s->fd_cap = 0;
		n = evict(s, victims, 64);
		s->fd_cap = cap;
		pthread_mutex_unlock(&s->lock);
		close_all(victims, n);
	} while (n == 64);
}

/* openat, retried once after shrinking the cache on EMFILE/ENFILE. */
static int open_at(struct storage *s, int dfd, const char *name)
{
	int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		snode_err(s, errno);
		shrink(s);
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

int snode_err(struct storage *s, int err)
{
	if (err == EMFILE || err == ENFILE) {
		pthread_mutex_lock(&s->lock);
		s->emfile++;
		pthread_mutex_unlock(&s->lock);
	}
	return -err;
}

/* --- references ------------------------------------------------------------ */

void snode_put(struct storage *s, struct sino *si)
{
	while (si) {
		struct sino *parent = NULL;
		int fd = -1, dead;

		pthread_mutex_lock(&s->lock);
		dead = --si->refs == 0;
		if (dead) {
			hremove(s, si);
			if (si->fd >= 0) {
				lru_unlink(s, si);
				s->cached--;
				fd = si->fd;
			}
			parent = si->parent;
		}
		pthread_mutex_unlock(&s->lock);
		if (!dead)
			return;
		if (fd >= 0)
			close(fd);
		free(si->name);
		free(si);
		si = parent;
	}
}

/* Sets si's remembered place (lock held); returns the old parent to put. */
static struct sino *set_place(struct sino *si, struct sino *dir, char **name)
{
	struct sino *old = si->parent;

	if (dir == si)
		return NULL;
	if (dir)
		dir->refs++;
	si->parent = dir;
	free(si->name);
	si->name = *name;
	*name = NULL;
	return old;
}

/* --- descriptors ------------------------------------------------------------ */

static int reopen_by_name(struct storage *s, struct sino *si,
			  struct sino *parent, const char *name)
{
	struct stat st;
	int pfd, fd;

	if (!parent || !name)
		return -ESTALE;
	pfd = snode_fd(s, parent);
	if (pfd < 0)
		return pfd;
	fd = open_at(s, pfd, name);
	if (fd < 0)
		fd = errno == ENOENT ? -ESTALE : snode_err(s, errno);
	snode_fd_put(s, parent);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_ino != si->ino)) {
		close(fd);	/* the name names another file now */
		fd = -ESTALE;
	}
	return fd;
}

static int reopen_by_handle(struct storage *s, struct sino *si)
{
	struct file_handle *fh = (struct file_handle *)si->handle;
	int fd = open_by_handle_at(s->rootfd, fh, O_PATH | O_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		snode_err(s, errno);
		shrink(s);
		fd = open_by_handle_at(s->rootfd, fh, O_PATH | O_CLOEXEC);
	}
	if (fd < 0)
		return errno == ESTALE || errno == ENOENT ? -ESTALE :
			snode_err(s, errno);
	return fd;
}

int snode_fd(struct storage *s, struct sino *si)
{
	struct sino *parent;
	char name[MN_VFS_NAME_MAX + 1];
	int victims[8], fd, have_name = 0, have_handle;
	size_t n;

	pthread_mutex_lock(&s->lock);
	if (si->fd >= 0) {
		si->users++;
		lru_unlink(s, si);
		lru_front(s, si);
		fd = si->fd;
		pthread_mutex_unlock(&s->lock);
		return fd;
	}
	parent = si->parent;
	if (parent)
		parent->refs++;
	if (si->name) {
		snprintf(name, sizeof(name), "%s", si->name);
		have_name = 1;
	}
	have_handle = s->handles &&
		((struct file_handle *)si->handle)->handle_bytes;
	pthread_mutex_unlock(&s->lock);

	fd = have_handle ? reopen_by_handle(s, si) :
		reopen_by_name(s, si, parent, have_name ? name : NULL);
	snode_put(s, parent);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&s->lock);
	victims[0] = -1;
	n = 0;
	if (si->fd >= 0)
		victims[n++] = fd;	/* another thread was quicker */
	else
		cache_fd(s, si, fd);
	s->reopens++;
	si->users++;
	fd = si->fd;
	n += evict(s, victims + n, 8 - n);
	pthread_mutex_unlock(&s->lock);
	close_all(victims, n);
	return fd;
}

void snode_fd_put(struct storage *s, struct sino *si)
{
	int victims[8];
	size_t n;

	pthread_mutex_lock(&s->lock);
	si->users--;
	n = evict(s, victims, 8);
	pthread_mutex_unlock(&s->lock);
	close_all(victims, n);
}

int snode_pin(struct storage *s, struct sino *si)
{
	int fd = snode_fd(s, si);

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&s->lock);
	si->opens++;
	pthread_mutex_unlock(&s->lock);
	snode_fd_put(s, si);
	return 0;
}

void snode_unpin(struct storage *s, struct sino *si)
{
	int victims[8];
	size_t n;

	pthread_mutex_lock(&s->lock);
	si->opens--;
	n = evict(s, victims, 8);
	pthread_mutex_unlock(&s->lock);
	close_all(victims, n);
}

/* --- lookup ------------------------------------------------------------------ */

static struct sino *sino_new(const struct stat *st, int fd, int handles)
{
	struct sino *si = calloc(1, sizeof(*si));
	struct file_handle *fh;
	int mnt;

	if (!si)
		return NULL;
	si->ino = st->st_ino;
	si->is_dir = S_ISDIR(st->st_mode);
	si->refs = 1;
	si->fd = -1;
	fh = (struct file_handle *)si->handle;
	fh->handle_bytes = sizeof(si->handle) - sizeof(*fh);
	if (!handles || name_to_handle_at(fd, "", fh, &mnt,
					  AT_EMPTY_PATH) < 0)
		fh->handle_bytes = 0;
	return si;
}

int snode_lookup(struct storage *s, struct sino *dir, const char *name,
		 struct sino **out, struct stat *st)
{
	struct sino *si, *fresh = NULL, *oldp = NULL;
	char *nm = NULL;
	int victims[8], dfd, fd, ret = 0;
	size_t n = 0;

	dfd = dir ? snode_fd(s, dir) : s->rootfd;
	if (dfd < 0)
		return dfd;
	fd = open_at(s, dfd, name);
	if (fd < 0)
		ret = snode_err(s, errno);
	if (dir)
		snode_fd_put(s, dir);
	if (ret == 0 && fstat(fd, st) < 0)
		ret = -errno;
	/* storage makes only files and directories: anything else (a
	 * symlink an administrator put in the backing tree) would be followed
	 * by the /proc/self/fd paths the xattr and time calls use */
	if (ret == 0 && !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		ret = -EIO;
	if (ret == 0 && dir && strcmp(name, "..") != 0 &&
	    !(nm = strdup(name)))
		ret = -ENOMEM;
	if (ret < 0)
		goto out;
	pthread_mutex_lock(&s->lock);
	si = hfind(s, st->st_ino);
	pthread_mutex_unlock(&s->lock);
	if (!si)	/* name_to_handle_at outside the lock */
		fresh = sino_new(st, fd, s->handles);
	pthread_mutex_lock(&s->lock);
	si = hfind(s, st->st_ino);
	if (si) {
		si->refs++;
	} else if (!fresh || (s->hcount * 2 >= s->hsize && hgrow(s) < 0)) {
		ret = -ENOMEM;
	} else {
		si = fresh;
		fresh = NULL;
		si->hnext = s->hash[hslot(s, si->ino)];
		s->hash[hslot(s, si->ino)] = si;
		s->hcount++;
	}
	if (ret == 0 && nm)
		oldp = set_place(si, dir, &nm);
	if (ret == 0 && si->fd < 0) {
		cache_fd(s, si, fd);
		fd = -1;
		n = evict(s, victims, 8);
	}
	pthread_mutex_unlock(&s->lock);
	close_all(victims, n);
	snode_put(s, oldp);
	free(fresh);
	if (ret == 0)
		*out = si;
out:
	free(nm);
	if (fd >= 0)
		close(fd);
	return ret;
}

void snode_moved(struct storage *s, uint64_t ino, struct sino *dir,
		 const char *name)
{
	struct sino *si, *oldp = NULL;
	char *nm = strdup(name);

	if (!nm)
		return;	/* its next lookup puts it right */
	pthread_mutex_lock(&s->lock);
	si = hfind(s, ino);
	if (si && si != s->root)
		oldp = set_place(si, dir, &nm);
	pthread_mutex_unlock(&s->lock);
	snode_put(s, oldp);
	free(nm);
}

int snode_cached_meta(struct storage *s, uint64_t ino, struct smeta *m)
{
	struct sino *si;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	si = hfind(s, ino);
	if (si && si->meta_ok) {
		*m = si->meta;
		ret = 1;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void snode_stats(struct storage *s, unsigned *cached, unsigned *cap,
		 uint64_t *reopens, uint64_t *emfile, int *handles)
{
	*handles = s->handles;
	pthread_mutex_lock(&s->lock);
	*cached = s->cached;
	*cap = s->fd_cap;
	*reopens = s->reopens;
	*emfile = s->emfile;
	pthread_mutex_unlock(&s->lock);
}

/* --- health ------------------------------------------------------------------- */

/* Descriptors the daemon holds, or -errno (EMFILE: none left to look). */
static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* not the one reading */
}

enum mn_health_status mn_fs_storage_health(struct mn_vfs *vfs, char *msg,
					   size_t size)
{
	struct mn_vnode *vn;
	struct storage *s = storage_of(vfs, &vn);
	enum mn_health_status st = MN_HEALTH_OK;
	unsigned cached = 0, cap = 0;
	int handles = 0;
	uint64_t reopens = 0, emfile = 0, fresh = 0;
	struct rlimit rl = {0, 0};
	long used = count_fds();
	int off;

	if (s) {
		snode_stats(s, &cached, &cap, &reopens, &emfile, &handles);
		pthread_mutex_lock(&s->lock);
		fresh = emfile - s->emfile_seen;
		s->emfile_seen = emfile;
		pthread_mutex_unlock(&s->lock);
	}
	mn_vnode_put(vfs, vn);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (used < 0) {
		off = snprintf(msg, size, "cannot count descriptors: %s",
			       strerror((int)-used));
		st = MN_HEALTH_FAILED;
	} else {
		off = snprintf(msg, size, "%ld of %llu descriptors in use",
			       used, (unsigned long long)rl.rlim_cur);
		if ((unsigned long long)used * 100 >= rl.rlim_cur * 95ULL)
			st = MN_HEALTH_FAILED;
		else if ((unsigned long long)used * 100 >= rl.rlim_cur * 80ULL)
			st = MN_HEALTH_DEGRADED;
	}
	if (fresh)
		st = MN_HEALTH_FAILED;
	if (s && off >= 0 && (size_t)off < size)
		snprintf(msg + off, size - (size_t)off, "; storage caches %u "
			 "(cap %u), %llu re-opens by %s, %llu opens refused "
			 "(EMFILE)", cached, cap, (unsigned long long)reopens,
			 handles ? "handle" : "name",
			 (unsigned long long)emfile);
	return st;
}

/* --- set-up ------------------------------------------------------------------ */

/* Whether open_by_handle_at works here (root, and a file system that
 * gives handles): tried on the root itself. */
static int handles_work(int rootfd)
{
	unsigned char buf[sizeof(((struct sino *)0)->handle)];
	struct file_handle *fh = (struct file_handle *)buf;
	int mnt, fd;

	fh->handle_bytes = sizeof(buf) - sizeof(*fh);
	if (name_to_handle_at(rootfd, "", fh, &mnt, AT_EMPTY_PATH) < 0)
		return 0;
	fd = open_by_handle_at(rootfd, fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static unsigned default_cap(void)
{
	struct rlimit rl;
	rlim_t cap = FD_CAP_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 4 < cap)
		cap = rl.rlim_cur / 4;
	return cap < FD_CAP_MIN ? FD_CAP_MIN : (unsigned)cap;
}

int snode_init(struct storage *s, unsigned fd_cap)
{
	const char *env = getenv("MICRONOS_STORAGE_NO_HANDLES");
	const char *cap = getenv("MICRONOS_STORAGE_FD_CAP");
	struct stat st;
	int fd;

	s->hsize = 1024;
	s->hash = calloc(s->hsize, sizeof(*s->hash));
	if (!s->hash)
		return -ENOMEM;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s->hash);
		return -ENOMEM;
	}
	/* an administrator's (or a test's) cap, else from the limit */
	if (!fd_cap && cap && atoi(cap) >= FD_CAP_MIN)
		fd_cap = (unsigned)atoi(cap);
	s->fd_cap = fd_cap ? fd_cap : default_cap();
	/* the tests' way to run the by-name path as root */
	s->handles = !(env && *env == '1') && handles_work(s->rootfd);
	fd = openat(s->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    !(s->root = sino_new(&st, fd, s->handles))) {
		if (fd >= 0)
			close(fd);
		snode_fini(s);
		return -ENOMEM;
	}
	s->root->opens = 1;	/* never evicted */
	cache_fd(s, s->root, fd);
	s->root->hnext = s->hash[hslot(s, s->root->ino)];
	s->hash[hslot(s, s->root->ino)] = s->root;
	s->hcount = 1;
	return 0;
}

void snode_fini(struct storage *s)
{
	if (s->root)
		snode_put(s, s->root);
	s->root = NULL;
	free(s->hash);
	s->hash = NULL;
	pthread_mutex_destroy(&s->lock);
}
