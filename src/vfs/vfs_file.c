/*
 * vfs_file.c - open files: the open file table, data I/O, directories and
 * the waiters of blocking reads.
 *
 * An open file (struct mn_vfs_file) pins its node and carries the file
 * system's per-open state.  It is reference counted: one reference per
 * FUSE file handle or per MicronOS descriptor (dup and fork take more).
 * Every open file is on the VFS's list so /proc/PID/fd and `files` views
 * can show them.  Byte and call counters are relaxed atomics: the data
 * path takes no lock at all, so reads and writes of one file from many
 * threads run in parallel (the file system serialises what it must).
 *
 * Directory listings are collected from the file system in batches before
 * the caller's fill runs, so fill may call back into the VFS (the shell's
 * ls stats each entry; readdirplus looks each one up) without any file
 * system lock held.
 *
 * Waiters implement parked reads: see "Blocking reads" in vfs.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <micronos/fault.h>
#include <micronos/kernel.h>

#include "vfs_i.h"

int mn_vfs_file_new(struct mn_vfs *vfs, struct mn_vnode *vn,
		    const struct mn_vfs_cred *cred, int flags, int is_dir,
		    struct mn_vfs_file **out)
{
	struct mn_vfs_file *f = calloc(1, sizeof(*f));
	char path[MN_VFS_PATH_MAX];

	if (!f)
		return -ENOMEM;
	if (pthread_mutex_init(&f->wlock, NULL) != 0) {
		free(f);
		return -ENOMEM;
	}
	f->vfs = vfs;
	f->vn = vn;
	atomic_init(&f->refs, 1);
	atomic_init(&f->flags, flags);
	f->is_dir = is_dir;
	f->pid = cred->pid;
	f->uid = cred->uid;
	f->gid = cred->gid;
	f->cflags = cred->flags;
	if (mn_vfs_node_path(vfs, vn->id, path, sizeof(path)) == 0)
		f->path = strdup(path);
	mn_vnode_ref(vfs, vn);
	mn_vfs_files_link(vfs, f);
	*out = f;
	return 0;
}

void mn_vfs_file_free(struct mn_vfs_file *f)
{
	struct mn_vfs_waiter *w;

	mn_vfs_files_unlink(f->vfs, f);
	pthread_mutex_lock(&f->wlock);
	for (w = f->waiters; w; w = w->next)
		w->armed = 0;	/* a caller bug: see vfs.h */
	f->waiters = NULL;
	pthread_mutex_unlock(&f->wlock);
	mn_vnode_put(f->vfs, f->vn);
	pthread_mutex_destroy(&f->wlock);
	free(f->path);
	free(f);
}

/* --- fault rules (fault.h) ---------------------------------------------- */

static struct mn_faults *faults_of(struct mn_vfs *vfs)
{
	struct mn_kernel *k = mn_vfs_kernel(vfs);
	struct mn_faults *fl = k ? mn_kernel_faults(k) : NULL;

	return fl && mn_faults_count(fl) ? fl : NULL;
}

/*
 * Asks the rules about one operation on the mount; 1 when one fired (its
 * delay already slept), with what to do in hit.  No rule: one atomic load.
 */
static int fault_at(struct mn_vfs *vfs, const char *call, const char *path,
		    const struct mn_vfs_cred *cred, size_t size,
		    struct mn_fault_hit *hit)
{
	struct mn_faults *fl = faults_of(vfs);
	struct mn_fault_query q = {call, path, cred->pid, cred->uid, size};

	if (!fl || !mn_fault_check(fl, &q, hit))
		return 0;
	mn_fault_delay(hit);
	return 1;
}

static int file_fault(struct mn_vfs_file *f, const char *call, size_t size,
		      struct mn_fault_hit *hit)
{
	struct mn_vfs_cred cred = {.uid = f->uid, .gid = f->gid,
				   .pid = f->pid};

	return fault_at(f->vfs, call, f->path, &cred, size, hit);
}

/* An open of node ino (path looked up only when a rule may care). */
static int open_fault(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      uint64_t ino)
{
	char path[MN_VFS_PATH_MAX];
	struct mn_fault_hit hit;

	if (!faults_of(vfs) || mn_vfs_node_path(vfs, ino, path,
						 sizeof(path)) < 0)
		return 0;
	return fault_at(vfs, "open", path, cred, 0, &hit) ? hit.error : 0;
}

static int acc_mask(int flags)
{
	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		return W_OK;
	case O_RDWR:
		return R_OK | W_OK;
	default:
		return (flags & O_TRUNC) ? R_OK | W_OK : R_OK;
	}
}

/* Opens vn; check: whether to apply the permission rules. */
static int do_open(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   struct mn_vnode *vn, int flags, int check,
		   struct mn_vfs_file **out)
{
	struct mn_vfs_file *f;
	struct stat st;
	int ret, is_dir, wr = (flags & O_ACCMODE) != O_RDONLY;

	ret = mn_vnode_getattr(vn, cred, &st);
	if (ret < 0)
		return ret;
	is_dir = S_ISDIR(st.st_mode);
	if (is_dir && (wr || (flags & O_TRUNC)))
		return -EISDIR;
	if ((flags & O_DIRECTORY) && !is_dir)
		return -ENOTDIR;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (check && (ret = mn_vfs_perm(cred, &st, acc_mask(flags))) < 0)
		return ret;
	if (wr && vn->fs->readonly && !S_ISFIFO(st.st_mode))
		return -EROFS;
	ret = mn_vfs_file_new(vfs, vn, cred, flags, is_dir, &f);
	if (ret < 0)
		return ret;
	if (is_dir)
		ret = vn->fs->ops->opendir ?
			vn->fs->ops->opendir(vn->fs, vn, f) : 0;
	else
		ret = vn->fs->ops->open ? vn->fs->ops->open(vn->fs, vn, f, flags) :
			-ENXIO;
	if (ret < 0) {
		mn_vfs_file_free(f);
		return ret;
	}
	if ((flags & O_TRUNC) && wr && S_ISREG(st.st_mode) && st.st_size) {
		struct stat a = {.st_size = 0};

		ret = vn->fs->ops->setattr ?
			vn->fs->ops->setattr(vn->fs, vn, &a, MN_SETATTR_SIZE,
					     f) : 0;
		if (ret < 0) {
			mn_vfs_release(f);
			return ret;
		}
		mn_vfs_file_changed(f, MN_VFS_CHANGED_DATA);
	}
	*out = f;
	return 0;
}

int mn_vfs_open(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		uint64_t ino, int flags, struct mn_vfs_file **out)
{
	struct mn_vnode *vn = mn_vnode_get(vfs, ino);
	int ret;

	if (!vn)
		return -ESTALE;
	ret = open_fault(vfs, cred, ino);
	if (ret == 0)
		ret = do_open(vfs, cred, vn, flags & ~(O_CREAT | O_EXCL), 1,
			      out);
	mn_vnode_put(vfs, vn);
	return ret;
}

/* An O_CREAT open is an "open" for the rules: the file is not made. */
static int create_fault(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			uint64_t parent, const char *name)
{
	char path[MN_VFS_PATH_MAX];
	struct mn_fault_hit hit;
	size_t len;

	if (!faults_of(vfs) || mn_vfs_node_path(vfs, parent, path,
						 sizeof(path)) < 0)
		return 0;
	len = strlen(path);
	if (len + 1 + strlen(name) >= sizeof(path))
		return 0;
	snprintf(path + len, sizeof(path) - len, "%s%s",
		 len > 1 ? "/" : "", name);
	return fault_at(vfs, "open", path, cred, 0, &hit) ? hit.error : 0;
}

int mn_vfs_create_open(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       uint64_t parent, const char *name, mode_t mode,
		       int flags, struct mn_vfs_entry *out,
		       struct mn_vfs_file **fout)
{
	struct mn_vnode *vn;
	int ret, created = 1;

	ret = create_fault(vfs, cred, parent, name);
	if (ret < 0)
		return ret;
	ret = mn_vfs_mknod(vfs, cred, parent, name, S_IFREG | (mode & 07777),
			   0, out);
	if (ret == -EEXIST && !(flags & O_EXCL)) {
		created = 0;
		ret = mn_vfs_lookup(vfs, cred, parent, name, out);
	}
	if (ret < 0)
		return ret;
	vn = mn_vnode_get(vfs, out->ino);
	if (!vn) {
		ret = -ESTALE;
	} else {
		/* the creator may write a file it made read-only */
		ret = do_open(vfs, cred, vn, flags & ~(O_CREAT | O_EXCL),
			      !created, fout);
		mn_vnode_put(vfs, vn);
	}
	if (ret == 0 && (flags & O_TRUNC) && !created)
		ret = mn_vfs_getattr(vfs, cred, out->ino, &out->attr, NULL);
	if (ret < 0)
		mn_vfs_forget(vfs, out->ino, 1);
	return ret;
}

/* --- data ------------------------------------------------------------------- */

/* Per-open-file read statistics (DiskRead events are made of them). */
static void count_read(struct mn_vfs_file *f, ssize_t ret)
{
	if (ret < 0)
		return;
	atomic_fetch_add_explicit(&f->rd_calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&f->rd_bytes, (uint64_t)ret,
				  memory_order_relaxed);
}

/*
 * Why f cannot be read or written at off: opened the other way only
 * (`wrong` is O_WRONLY for a read), a directory, a negative offset, or a
 * file system without the operation.  0 if it can.
 */
static int io_refused(struct mn_vfs_file *f, int wrong, int has_op, off_t off)
{
	if ((atomic_load_explicit(&f->flags, memory_order_relaxed) &
	     O_ACCMODE) == wrong)
		return -EBADF;
	if (f->is_dir)
		return -EISDIR;
	if (off < 0 || !has_op)
		return -EINVAL;
	return 0;
}

ssize_t mn_vfs_read(struct mn_vfs_file *f, void *buf, size_t size, off_t off)
{
	ssize_t ret = io_refused(f, O_WRONLY, f->vn->fs->ops->read != NULL,
				 off);
	struct mn_fault_hit hit;

	if (ret < 0)
		return ret;
	if (file_fault(f, "read", size, &hit) && hit.error)
		return hit.error;
	ret = f->vn->fs->ops->read(f, buf, size, off);
	count_read(f, ret);
	return ret;
}

ssize_t mn_vfs_read_ref(struct mn_vfs_file *f, void *scratch, size_t size,
			off_t off, const void **data)
{
	ssize_t ret;

	if (!f->vn->fs->ops->read_ref || f->is_dir || faults_of(f->vfs) ||
	    (atomic_load(&f->flags) & O_ACCMODE) == O_WRONLY || off < 0) {
		*data = scratch;
		return mn_vfs_read(f, scratch, size, off);
	}
	ret = f->vn->fs->ops->read_ref(f, scratch, size, off, data);
	count_read(f, ret);
	return ret;
}

ssize_t mn_vfs_write(struct mn_vfs_file *f, const void *buf, size_t size,
		     off_t off)
{
	ssize_t ret = io_refused(f, O_RDONLY, f->vn->fs->ops->write != NULL,
				 off);
	struct mn_fault_hit hit;

	if (ret < 0)
		return ret;
	if (file_fault(f, "write", size, &hit)) {
		if (hit.short_len >= 0)
			size = (size_t)hit.short_len;
		else if (hit.error)
			return hit.error;
	}
	ret = f->vn->fs->ops->write(f, buf, size, off);
	if (ret >= 0) {
		atomic_fetch_add_explicit(&f->wr_calls, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&f->wr_bytes, (uint64_t)ret,
					  memory_order_relaxed);
	}
	if (ret > 0)
		mn_vfs_file_changed(f, MN_VFS_CHANGED_DATA);
	return ret;
}

int mn_vfs_file_host_fd(struct mn_vfs_file *f)
{
	struct mn_faults *fl = faults_of(f->vfs);
	int fd;

	/* data moved behind our back could not be faulted: go the slow way */
	if (f->is_dir || !f->vn->fs->ops->host_fd ||
	    (fl && (mn_faults_watch(fl, "read") ||
		    mn_faults_watch(fl, "write"))))
		return -EOPNOTSUPP;
	fd = f->vn->fs->ops->host_fd(f);
	/*
	 * A writer the VFS will not see (a sandboxed program's log): from
	 * now until release the file's attributes are served with timeout 0
	 * (mn_vnode_attr_timeout), and whoever cached them for long is told
	 * to ask again.  The mount's own opens keep their caches coherent.
	 */
	if (fd >= 0 && !(f->cflags & MN_VFS_CRED_COHERENT) &&
	    (atomic_load(&f->flags) & O_ACCMODE) != O_RDONLY &&
	    !atomic_exchange(&f->host_writer, 1)) {
		atomic_fetch_add(&f->vn->host_writers, 1);
		mn_vfs_file_changed(f, MN_VFS_CHANGED_DATA);
	}
	return fd;
}

void mn_vfs_file_account(struct mn_vfs_file *f, int is_write, size_t bytes)
{
	if (is_write) {
		atomic_fetch_add_explicit(&f->wr_calls, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&f->wr_bytes, bytes,
					  memory_order_relaxed);
		if (bytes)
			mn_vfs_file_changed(f, MN_VFS_CHANGED_DATA);
	} else {
		atomic_fetch_add_explicit(&f->rd_calls, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&f->rd_bytes, bytes,
					  memory_order_relaxed);
	}
}

int mn_vfs_flush(struct mn_vfs_file *f)
{
	return f->vn->fs->ops->flush ? f->vn->fs->ops->flush(f) : 0;
}

int mn_vfs_fsync(struct mn_vfs_file *f, int datasync)
{
	struct mn_fault_hit hit;

	if (file_fault(f, "fsync", 0, &hit) && hit.error)
		return hit.error;
	if (f->is_dir)
		return mn_vfs_fsyncdir(f, datasync);
	return f->vn->fs->ops->fsync ? f->vn->fs->ops->fsync(f, datasync) : 0;
}

void mn_vfs_file_get(struct mn_vfs_file *f)
{
	atomic_fetch_add(&f->refs, 1);
}

void mn_vfs_release(struct mn_vfs_file *f)
{
	if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	if (atomic_load(&f->host_writer)) {
		/* what it wrote last: the kernel asks once more, then caches */
		atomic_fetch_sub(&f->vn->host_writers, 1);
		mn_vfs_file_changed(f, MN_VFS_CHANGED_DATA);
	}
	if (f->is_dir) {
		if (f->vn->fs->ops->releasedir)
			f->vn->fs->ops->releasedir(f);
	} else if (f->vn->fs->ops->release) {
		f->vn->fs->ops->release(f);
	}
	mn_vfs_file_free(f);
}

uint64_t mn_vfs_file_ino(const struct mn_vfs_file *f)
{
	return f->vn->id;
}

unsigned mn_vfs_file_open_flags(const struct mn_vfs_file *f)
{
	return f->fopen;
}

int mn_vfs_file_flags(const struct mn_vfs_file *f)
{
	return atomic_load(&((struct mn_vfs_file *)f)->flags);
}

void mn_vfs_file_set_flags(struct mn_vfs_file *f, int flags)
{
	int keep = O_NONBLOCK | O_APPEND, old, neu;

	old = atomic_load(&f->flags);
	do
		neu = (old & ~keep) | (flags & keep);
	while (!atomic_compare_exchange_weak(&f->flags, &old, neu));
}

const char *mn_vfs_file_path(const struct mn_vfs_file *f)
{
	return f->path ? f->path : "?";
}

/* --- directories ---------------------------------------------------------- */

int mn_vfs_opendir(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   uint64_t ino, struct mn_vfs_file **out)
{
	return mn_vfs_open(vfs, cred, ino, O_RDONLY | O_DIRECTORY, out);
}

void mn_vfs_releasedir(struct mn_vfs_file *dir)
{
	mn_vfs_release(dir);
}

int mn_vfs_fsyncdir(struct mn_vfs_file *dir, int datasync)
{
	return dir->vn->fs->ops->fsyncdir ?
		dir->vn->fs->ops->fsyncdir(dir, datasync) : 0;
}

#define BATCH 64

struct dent {
	char name[MN_VFS_NAME_MAX + 1];
	uint64_t st_ino;
	unsigned dtype;
	off_t next;
};

struct batch {
	const struct mn_fs *fs;
	size_t n;
	struct dent d[BATCH];
};

static int collect(void *arg, const char *name, uint64_t st_ino,
		   unsigned dtype, off_t next)
{
	struct batch *b = arg;
	struct dent *d;

	if (b->n == BATCH)
		return 1;
	d = &b->d[b->n++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->st_ino = mn_vfs_st_ino(b->fs, st_ino);
	d->dtype = dtype;
	d->next = next;
	return 0;
}

/* Fills b with the entries after off; 0 or -errno. */
static int fetch(struct mn_vfs_file *dir, off_t off, struct batch *b)
{
	b->fs = dir->vn->fs;
	b->n = 0;
	if (!dir->is_dir)
		return -ENOTDIR;
	if (!dir->vn->fs->ops->readdir)
		return 0;
	return dir->vn->fs->ops->readdir(dir, off, collect, b);
}

int mn_vfs_readdir(struct mn_vfs_file *dir, off_t off,
		   int (*fill)(void *arg, const char *name, uint64_t st_ino,
			       unsigned dtype, off_t next),
		   void *arg)
{
	struct batch *b = malloc(sizeof(*b));
	size_t i;
	int ret;

	if (!b)
		return -ENOMEM;
	do {
		ret = fetch(dir, off, b);
		for (i = 0; ret == 0 && i < b->n; i++) {
			if (fill(arg, b->d[i].name, b->d[i].st_ino,
				 b->d[i].dtype, b->d[i].next))
				goto out;
			off = b->d[i].next;
		}
	} while (ret == 0 && b->n == BATCH);
out:
	free(b);
	return ret;
}

static int plus_one(struct mn_vfs_file *dir, const struct mn_vfs_cred *cred,
		    const struct dent *d,
		    int (*fill)(void *, const char *,
				const struct mn_vfs_entry *, off_t),
		    void *arg)
{
	struct mn_vfs_entry e;
	int ret;

	if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0) {
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = d->st_ino;
		e.attr.st_mode = S_IFDIR;
		return fill(arg, d->name, &e, d->next) ? 1 : 0;
	}
	ret = mn_vfs_lookup(dir->vfs, cred, dir->vn->id, d->name, &e);
	if (ret < 0)
		return 0;	/* gone since it was listed: skip it */
	if (fill(arg, d->name, &e, d->next)) {
		mn_vfs_forget(dir->vfs, e.ino, 1);
		return 1;
	}
	return 0;
}

int mn_vfs_readdirplus(struct mn_vfs_file *dir,
		       const struct mn_vfs_cred *cred, off_t off,
		       int (*fill)(void *arg, const char *name,
				   const struct mn_vfs_entry *e, off_t next),
		       void *arg)
{
	struct batch *b = malloc(sizeof(*b));
	size_t i;
	int ret;

	if (!b)
		return -ENOMEM;
	do {
		ret = fetch(dir, off, b);
		for (i = 0; ret == 0 && i < b->n; i++) {
			if (plus_one(dir, cred, &b->d[i], fill, arg))
				goto out;
			off = b->d[i].next;
		}
	} while (ret == 0 && b->n == BATCH);
out:
	free(b);
	return ret;
}

/* --- waiters, poll ---------------------------------------------------------- */

int mn_vfs_poll(struct mn_vfs_file *f, unsigned *revents)
{
	*revents = f->vn->fs->ops->poll && !f->is_dir ?
		f->vn->fs->ops->poll(f) : POLLIN | POLLOUT;
	return 0;
}

int mn_vfs_wait_add(struct mn_vfs_file *f, struct mn_vfs_waiter *w)
{
	unsigned rev;

	if (!w || !w->wake)
		return -EINVAL;
	pthread_mutex_lock(&f->wlock);
	w->armed = 1;
	w->prev = NULL;
	w->next = f->waiters;
	if (f->waiters)
		f->waiters->prev = w;
	f->waiters = w;
	pthread_mutex_unlock(&f->wlock);
	/* data that came before we were armed would wake nobody: look now */
	mn_vfs_poll(f, &rev);
	if ((rev & (POLLIN | POLLHUP | POLLERR)) && mn_vfs_wait_cancel(f, w))
		return 1;
	return 0;
}

int mn_vfs_wait_cancel(struct mn_vfs_file *f, struct mn_vfs_waiter *w)
{
	int was;

	pthread_mutex_lock(&f->wlock);
	was = w->armed;
	if (was) {
		if (w->prev)
			w->prev->next = w->next;
		else
			f->waiters = w->next;
		if (w->next)
			w->next->prev = w->prev;
		w->armed = 0;
	}
	pthread_mutex_unlock(&f->wlock);
	return was;
}

void mn_vfs_file_wake(struct mn_vfs_file *f)
{
	struct mn_vfs_waiter *w, *next;

	pthread_mutex_lock(&f->wlock);
	w = f->waiters;
	f->waiters = NULL;
	for (next = w; next; next = next->next)
		next->armed = 0;
	pthread_mutex_unlock(&f->wlock);
	for (; w; w = next) {
		next = w->next;	/* w may be gone once wake returns */
		w->wake(w);
	}
}

void mn_vfs_file_interrupt(struct mn_vfs_file *f)
{
	pthread_mutex_lock(&f->wlock);
	f->intr_gen++;
	pthread_mutex_unlock(&f->wlock);
	mn_vfs_file_wake(f);
}

struct bwait {
	struct mn_vfs_waiter w;	/* first: wake gets &bw->w */
	pthread_mutex_t m;
	pthread_cond_t c;
	int woken;
};

static void bwait_wake(struct mn_vfs_waiter *w)
{
	struct bwait *bw = (struct bwait *)w;

	pthread_mutex_lock(&bw->m);
	bw->woken = 1;
	pthread_cond_signal(&bw->c);
	pthread_mutex_unlock(&bw->m);
}

static uint64_t intr_gen(struct mn_vfs_file *f)
{
	uint64_t g;

	pthread_mutex_lock(&f->wlock);
	g = f->intr_gen;
	pthread_mutex_unlock(&f->wlock);
	return g;
}

/* Sleeps until woken or deadline; 0 woken, -EAGAIN timed out. */
static int bwait_sleep(struct mn_vfs_file *f, struct bwait *bw,
		       const struct timespec *deadline)
{
	int ret = 0;

	pthread_mutex_lock(&bw->m);
	while (!bw->woken && ret == 0)
		ret = deadline ? pthread_cond_timedwait(&bw->c, &bw->m, deadline)
			       : pthread_cond_wait(&bw->c, &bw->m);
	pthread_mutex_unlock(&bw->m);
	if (bw->woken)
		return 0;
	if (mn_vfs_wait_cancel(f, &bw->w))
		return -EAGAIN;
	/* wake is on its way: it touches bw, so wait for it */
	pthread_mutex_lock(&bw->m);
	while (!bw->woken)
		pthread_cond_wait(&bw->c, &bw->m);
	pthread_mutex_unlock(&bw->m);
	return 0;
}

ssize_t mn_vfs_read_wait(struct mn_vfs_file *f, void *buf, size_t size,
			 off_t off, int timeout_ms)
{
	struct timespec dl;
	struct bwait bw;
	pthread_condattr_t ca;
	uint64_t gen = intr_gen(f);
	ssize_t ret;

	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	memset(&bw, 0, sizeof(bw));
	bw.w.wake = bwait_wake;
	pthread_mutex_init(&bw.m, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&bw.c, &ca);
	pthread_condattr_destroy(&ca);
	for (;;) {
		ret = mn_vfs_read(f, buf, size, off);
		if (ret != -EAGAIN || !(f->fopen & MN_VFS_FOPEN_STREAM))
			break;
		if (intr_gen(f) != gen) {
			ret = -EINTR;
			break;
		}
		bw.woken = 0;
		ret = mn_vfs_wait_add(f, &bw.w);
		if (ret == 1)
			continue;
		if (ret < 0)
			break;
		/* an interrupt between the check and arming woke nobody */
		if (intr_gen(f) != gen && mn_vfs_wait_cancel(f, &bw.w)) {
			ret = -EINTR;
			break;
		}
		ret = bwait_sleep(f, &bw, timeout_ms >= 0 ? &dl : NULL);
		if (ret < 0)
			break;
	}
	pthread_cond_destroy(&bw.c);
	pthread_mutex_destroy(&bw.m);
	return ret;
}
