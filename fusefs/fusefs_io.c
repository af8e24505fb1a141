/*
 * fusefs_io - open files through FUSE: open/create/opendir, read, write,
 * flush, fsync, release, poll.
 *
 * fi->fh is a struct fh wrapping the VFS's open file with what the adapter
 * needs per open: the open flags to answer with, the storage host fd for
 * spliced reads, and the poll waiter.  Every fh is also on fs->files so
 * that a stop can release what the kernel will never release any more.
 *
 * Reads take the cheapest path the VFS offers: a storage file's host fd is
 * handed to libfuse (fuse_reply_data with an fd buffer: spliced into
 * /dev/fuse without passing through our memory); a generated file or a
 * device replies straight from memory the file owns (mn_vfs_read_ref: the
 * rendered snapshot, /dev/zero's zero page); anything else is read into a
 * per-thread 1 MiB scratch buffer.  A stream with nothing to read is
 * answered EAGAIN under O_NONBLOCK, else parked (fusefs_notify.c).
 *
 * Rule: once a request on a file is replied to, its handler does not touch
 * the fh again: the caller's close may already have released it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs_i.h"

#define FS(req) ((struct mn_fusefs *)fuse_req_userdata(req))

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_key_init(void)
{
	/* One key for the process, never deleted: threads free their own. */
	if (pthread_key_create(&scratch_key, free) != 0)
		abort();
}

/* This thread's FUSEFS_IO_MAX bytes of scratch, or NULL. */
static void *scratch(void)
{
	void *p;

	pthread_once(&scratch_once, scratch_key_init);
	p = pthread_getspecific(scratch_key);
	if (!p && (p = malloc(FUSEFS_IO_MAX)) &&
	    pthread_setspecific(scratch_key, p) != 0) {
		free(p);
		p = NULL;
	}
	return p;
}

struct fh *fusefs_fh(struct fuse_file_info *fi)
{
	return (struct fh *)(uintptr_t)fi->fh;
}

static struct fh *fh_new(struct mn_fusefs *fs, struct mn_vfs_file *f,
			 int is_dir)
{
	struct fh *fh = calloc(1, sizeof(*fh));
	int fd;

	if (!fh)
		return NULL;
	fh->f = f;
	fh->is_dir = is_dir;
	fh->fopen = is_dir ? 0 : mn_vfs_file_open_flags(f);
	fd = is_dir ? -1 : mn_vfs_file_host_fd(f);
	fh->host_fd = fd >= 0 ? fd : -1;
	pthread_mutex_lock(&fs->files_lock);
	fh->next = fs->files;
	if (fs->files)
		fs->files->prev = fh;
	fs->files = fh;
	pthread_mutex_unlock(&fs->files_lock);
	atomic_fetch_add_explicit(&fs->st_open_files, 1, memory_order_relaxed);
	return fh;
}

/* Ends an open the kernel no longer holds. */
static void fh_close(struct mn_fusefs *fs, struct fh *fh)
{
	pthread_mutex_lock(&fs->files_lock);
	if (fh->prev)
		fh->prev->next = fh->next;
	else
		fs->files = fh->next;
	if (fh->next)
		fh->next->prev = fh->prev;
	pthread_mutex_unlock(&fs->files_lock);
	atomic_fetch_sub_explicit(&fs->st_open_files, 1, memory_order_relaxed);
	if (fh->is_dir) {
		mn_vfs_releasedir(fh->f);
	} else {
		fusefs_poll_disarm(fs, fh);
		mn_vfs_release(fh->f);
	}
	free(fh);
}

void fusefs_release_all(struct mn_fusefs *fs)
{
	struct fh *fh;

	for (;;) {
		pthread_mutex_lock(&fs->files_lock);
		fh = fs->files;
		pthread_mutex_unlock(&fs->files_lock);
		if (!fh)
			break;
		fh_close(fs, fh);
	}
}

static void set_open_info(struct fh *fh, struct fuse_file_info *fi)
{
	fi->direct_io = !!(fh->fopen & MN_VFS_FOPEN_DIRECT_IO);
	fi->keep_cache =
	    !!(fh->fopen & MN_VFS_FOPEN_KEEP_CACHE) && !fi->direct_io;
	fi->nonseekable = !!(fh->fopen & MN_VFS_FOPEN_NONSEEKABLE);
	/* A read-only open has nothing to flush: save close a round trip. */
	fi->noflush = (fi->flags & O_ACCMODE) == O_RDONLY;
	fi->fh = (uintptr_t)fh;
}

void fusefs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mn_fusefs *fs = FS(req);
	struct mn_vfs_file *f;
	struct req_cred c;
	struct fh *fh;
	int rc;

	fusefs_req_cred(fs, req, &c);
	rc = mn_vfs_open(fs->vfs, &c.cred, ino, fi->flags, &f);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (!(fh = fh_new(fs, f, 0))) {
		mn_vfs_release(f);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	set_open_info(fh, fi);
	/* Interrupted meanwhile: no release will come for it. */
	if (fuse_reply_open(req, fi) < 0)
		fh_close(fs, fh);
}

void fusefs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct mn_fusefs *fs = FS(req);
	struct fuse_entry_param e;
	struct mn_vfs_entry ve;
	struct mn_vfs_file *f;
	struct req_cred c;
	struct fh *fh;
	int rc;

	fusefs_req_cred(fs, req, &c);
	rc = mn_vfs_create_open(fs->vfs, &c.cred, parent, name, mode, fi->flags,
				&ve, &f);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (!(fh = fh_new(fs, f, 0))) {
		mn_vfs_release(f);
		mn_vfs_forget(fs->vfs, ve.ino, 1);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	set_open_info(fh, fi);
	memset(&e, 0, sizeof(e));
	e.ino = ve.ino;
	e.generation = ve.generation;
	e.attr = ve.attr;
	e.attr_timeout = ve.attr_timeout;
	e.entry_timeout = ve.entry_timeout;
	fusefs_attr_out(fs, &e.attr);
	if (fuse_reply_create(req, &e, fi) < 0) {
		fh_close(fs, fh);
		mn_vfs_forget(fs->vfs, ve.ino, 1);
	}
}

void fusefs_ll_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct mn_fusefs *fs = FS(req);
	struct mn_vfs_file *f;
	struct req_cred c;
	struct fh *fh;
	int rc;

	fusefs_req_cred(fs, req, &c);
	rc = mn_vfs_opendir(fs->vfs, &c.cred, ino, &f);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (!(fh = fh_new(fs, f, 1))) {
		mn_vfs_releasedir(f);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = (uintptr_t)fh;
	if (fuse_reply_open(req, fi) < 0)
		fh_close(fs, fh);
}

void fusefs_ll_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	fh_close(FS(req), fusefs_fh(fi));
	fuse_reply_err(req, 0);
}

void fusefs_ll_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	fh_close(FS(req), fusefs_fh(fi));
	fuse_reply_err(req, 0);
}

/*
 * No file system of the VFS has anything to do at close(2) (writes go
 * through at once, there are no POSIX locks to drop), so every FLUSH
 * would be a round trip for nothing: ENOSYS, which the kernel remembers
 * for the connection, and no close waits on the daemon again.
 */
void fusefs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOSYS);
}

void fusefs_ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(req, -mn_vfs_fsync(fusefs_fh(fi)->f, datasync));
}

/* Storage: let libfuse splice straight from the host file. */
static void read_host_fd(struct mn_fusefs *fs, fuse_req_t req, struct fh *fh,
			 size_t size, off_t off)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	struct stat st;
	size_t n = 0;

	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = fh->host_fd;
	bv.buf[0].pos = off;
	/* The reply does not say how much it sent: the size does. */
	if (fstat(fh->host_fd, &st) == 0 && st.st_size > off)
		n = (size_t)(st.st_size - off) < size
			? (size_t)(st.st_size - off)
			: size;
	/* Before the reply: once it is sent, a release may free fh. */
	if (n)
		mn_vfs_file_account(fh->f, 0, n);
	atomic_fetch_add_explicit(&fs->st_splice_reads, 1,
				  memory_order_relaxed);
	fuse_reply_data(req, &bv, 0);
}

int fusefs_read_reply(struct mn_fusefs *fs, fuse_req_t req, struct fh *fh,
		      size_t size, off_t off)
{
	const void *data = NULL;
	void *buf;
	ssize_t n;

	if (size > FUSEFS_IO_MAX)
		size = FUSEFS_IO_MAX;
	if (fh->host_fd >= 0 && !(fs->flags & MN_FUSEFS_NO_SPLICE)) {
		read_host_fd(fs, req, fh, size, off);
		return 0;
	}
	if (!(buf = scratch())) {
		fuse_reply_err(req, ENOMEM);
		return 0;
	}
	n = mn_vfs_read_ref(fh->f, buf, size, off, &data);
	if (n == -EAGAIN && (fh->fopen & MN_VFS_FOPEN_STREAM))
		return -EAGAIN;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, data ? data : buf, (size_t)n);
	return 0;
}

void fusefs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct mn_fusefs *fs = FS(req);
	struct fh *fh = fusefs_fh(fi);

	(void)ino;
	if (fusefs_read_reply(fs, req, fh, size, off) != -EAGAIN)
		return;
	if (fi->flags & O_NONBLOCK)
		fuse_reply_err(req, EAGAIN);
	else
		fusefs_park(fs, req, fh, size, off);
}

void fusefs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n;

	(void)ino;
	n = mn_vfs_write(fusefs_fh(fi)->f, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

/* --- poll ---------------------------------------------------------------- */

void fusefs_poll_disarm(struct mn_fusefs *fs, struct fh *fh)
{
	struct pollw *pw;

	pthread_mutex_lock(&fs->qlock);
	pw = fh->pw;
	fh->pw = NULL;
	if (pw)
		pw->owner = NULL;
	pthread_mutex_unlock(&fs->qlock);
	/* 0: its wake ran or is running and queues it: the notifier frees. */
	if (pw && mn_vfs_wait_cancel(fh->f, &pw->w) == 1)
		fusefs_pollw_free(fs, pw);
}

/* Arms a waiter that notifies ph when fh becomes ready; 1 if ready now. */
static int poll_arm(struct mn_fusefs *fs, struct fh *fh,
		    struct fuse_pollhandle *ph)
{
	struct pollw *pw = fusefs_pollw_new(fs, fh, ph);
	int rc;

	if (!pw)
		return -ENOMEM;
	fusefs_poll_disarm(fs, fh); /* the kernel keeps the newest only */
	pthread_mutex_lock(&fs->qlock);
	fh->pw = pw;
	pthread_mutex_unlock(&fs->qlock);
	rc = mn_vfs_wait_add(fh->f, &pw->w);
	if (rc == 0)
		return 0;
	/* Not armed (ready now, or an error): wake will never run. */
	pthread_mutex_lock(&fs->qlock);
	if (fh->pw == pw)
		fh->pw = NULL;
	pthread_mutex_unlock(&fs->qlock);
	fusefs_pollw_free(fs, pw);
	return rc;
}

void fusefs_ll_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct mn_fusefs *fs = FS(req);
	struct fh *fh = fusefs_fh(fi);
	unsigned want = fi->poll_events ? fi->poll_events : POLLIN | POLLOUT;
	unsigned rev = 0;
	int rc;

	(void)ino;
	rc = mn_vfs_poll(fh->f, &rev);
	if (rc < 0) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_err(req, -rc);
		return;
	}
	if (ph && (rev & want)) {
		fuse_pollhandle_destroy(ph);
	} else if (ph && poll_arm(fs, fh, ph) == 1) {
		/* Became ready while arming: answer with the new mask. */
		if (mn_vfs_poll(fh->f, &rev) < 0)
			rev = POLLERR;
	}
	fuse_reply_poll(req, rev);
}
