/*
 * fs_storage.c - storage, the persistent tree of MicronOS (mounted at /).
 *
 * Representation: a host directory tree, DATA/storage, with one host file
 * per MicronOS file - a directory is a directory, a hard link a hard link,
 * every other file a regular file.  Why:
 *  - data I/O is a pread/pwrite on a host descriptor (and the FUSE adapter
 *    may splice straight from it), so storage runs at the speed of the host
 *    file system, as bindfs and passthrough_ll do; no block layer, no
 *    allocation map, no journal of our own to get wrong;
 *  - crash safety is the host's: what the host file system has made durable
 *    is durable; fsync is passed down (file and directory), so what was
 *    fsync'd survives a kill -9 of the daemon or a power cut;
 *  - POSIX semantics come for free: rename over an existing file is atomic,
 *    unlink while open keeps the inode alive, nlink, ctime, O_APPEND and
 *    sparse files behave exactly as the host's;
 *  - an administrator can inspect or back up the tree with ordinary tools.
 * Owner, group, mode, file type and device number are MicronOS's, kept in
 * an xattr of each backing file; the backing files themselves are private
 * to the daemon (fs_storage_meta.c says why and how).  Inode numbers are
 * the host's st_ino: stable across restarts; generation is 0.  Nodes do
 * not hold a descriptor each: a bounded cache does (fs_storage_node.c).
 *
 * Caching: files open with MN_VFS_FOPEN_KEEP_CACHE, so the FUSE kernel
 * keeps a file's pages from one open to the next instead of reading it all
 * again.  That is safe because every way data changes is seen: writes
 * through the mount go through the kernel's page cache; writes by the
 * shell or the syscalls are reported by the VFS's change hook and the
 * adapter invalidates the pages; writes behind the VFS (a sandboxed
 * program's log file written through its host descriptor, an administrator
 * on the host) change size or mtime, which the kernel notices within the
 * attribute timeout (1 s) and then drops the pages itself.
 *
 * I/O accounting: each open file counts its reads and writes (vfs_file.c);
 * at release one DiskRead and one DiskWrite event carry the totals, so a
 * program that writes a file in 4 KiB pieces makes one event, not 1000.
 *
 * Locking: the node cache's lock (fs_storage_i.h); each open directory
 * stream has a mutex for its position.  The host kernel serialises the
 * rest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <micronos/evbus.h>

#include "fs_storage_i.h"

struct sopen {
	int fd;
	int append;		/* O_APPEND currently set on fd */
};

struct sdir {
	pthread_mutex_t lock;
	DIR *dp;		/* protected by lock */
	off_t pos;		/* protected by lock */
};

static void procpath(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* --- attributes ------------------------------------------------------------ */

/* What MicronOS sees of the node behind fd. */
static int stat_node(struct storage *s, struct sino *si, int fd,
		     struct stat *st)
{
	struct smeta m;
	int ret;

	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	ret = smeta_get(s, si, fd, &m);
	if (ret == 0)
		smeta_apply(&m, st);
	return ret;
}

static int fill_entry(struct storage *s, struct sino *si,
		      struct mn_fs_entry *out)
{
	int fd = snode_fd(s, si), ret;

	if (fd < 0)
		return fd;
	ret = stat_node(s, si, fd, &out->attr);
	snode_fd_put(s, si);
	if (ret < 0)
		return ret;
	out->ino = out->attr.st_ino;
	out->gen = 0;
	out->priv = si;
	return 0;
}

static int entry_at(struct storage *s, struct sino *dir, const char *name,
		    struct mn_fs_entry *out)
{
	struct sino *si;
	struct stat st;
	int ret = snode_lookup(s, dir, name, &si, &st);

	if (ret == 0 && (ret = fill_entry(s, si, out)) < 0)
		snode_put(s, si);
	return ret;
}

static int s_lookup(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		    const struct mn_vfs_cred *cred, struct mn_fs_entry *out)
{
	(void)cred;
	/* the root's ".." would leave the tree */
	if (strcmp(name, "..") == 0 && dir->lino == fs->root_ino)
		name = ".";
	return entry_at(ST(fs), SI(dir), name, out);
}

static void s_put(struct mn_fs *fs, void *priv)
{
	if (priv)
		snode_put(ST(fs), priv);
}

static int s_getattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct mn_vfs_cred *cred, struct stat *st)
{
	struct storage *s = ST(fs);
	int fd = snode_fd(s, SI(vn)), ret;

	(void)cred;
	if (fd < 0)
		return fd;
	ret = stat_node(s, SI(vn), fd, st);
	snode_fd_put(s, SI(vn));
	return ret;
}

/* chown, chmod: the xattr only (the host file stays the daemon's). */
static int set_meta(struct storage *s, struct sino *si, int fd,
		    const struct stat *a, int to_set)
{
	struct smeta m;
	int ret = smeta_get(s, si, fd, &m);

	if (ret < 0)
		return ret;
	if (to_set & MN_SETATTR_UID)
		m.uid = a->st_uid;
	if (to_set & MN_SETATTR_GID)
		m.gid = a->st_gid;
	/* Linux: a chown clears setuid, and setgid of a group-executable
	 * file (the mount's kernel sends that as a mode; other callers
	 * rely on this) */
	if ((to_set & (MN_SETATTR_UID | MN_SETATTR_GID)) &&
	    !(to_set & MN_SETATTR_MODE) && !S_ISDIR(m.mode)) {
		m.mode &= ~(mode_t)S_ISUID;
		if (m.mode & S_IXGRP)
			m.mode &= ~(mode_t)S_ISGID;
	}
	if ((to_set & MN_SETATTR_MODE) && !S_ISLNK(m.mode))
		m.mode = (m.mode & S_IFMT) | (a->st_mode & 07777);
	ret = smeta_write(fd, &m);
	if (ret == 0)
		smeta_set_cached(s, si, &m);
	return ret;
}

static int set_size(int fd, const struct stat *a, struct mn_vfs_file *f)
{
	struct sopen *so = f && !f->is_dir ? f->priv : NULL;
	char pp[64];
	int wfd, ret = 0;

	if (so && (atomic_load(&f->flags) & O_ACCMODE) != O_RDONLY)
		return ftruncate(so->fd, a->st_size) < 0 ? -errno : 0;
	procpath(fd, pp, sizeof(pp));
	wfd = open(pp, O_WRONLY | O_CLOEXEC);
	if (wfd < 0)
		return -errno;
	if (ftruncate(wfd, a->st_size) < 0)
		ret = -errno;
	close(wfd);
	return ret;
}

static int set_times(int fd, const struct stat *a, int to_set)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	char pp[64];

	if (to_set & MN_SETATTR_ATIME)
		ts[0] = a->st_atim;
	if (to_set & MN_SETATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	if (to_set & MN_SETATTR_MTIME)
		ts[1] = a->st_mtim;
	if (to_set & MN_SETATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	procpath(fd, pp, sizeof(pp));
	return utimensat(AT_FDCWD, pp, ts, 0) < 0 ? -errno : 0;
}

static int s_setattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct stat *a, int to_set, struct mn_vfs_file *f)
{
	struct storage *s = ST(fs);
	int fd = snode_fd(s, SI(vn)), ret = 0;

	if (fd < 0)
		return fd;
	if (to_set & (MN_SETATTR_UID | MN_SETATTR_GID | MN_SETATTR_MODE))
		ret = set_meta(s, SI(vn), fd, a, to_set);
	if (ret == 0 && (to_set & MN_SETATTR_SIZE))
		ret = set_size(fd, a, f);
	if (ret == 0 && (to_set & (MN_SETATTR_ATIME | MN_SETATTR_MTIME |
				   MN_SETATTR_ATIME_NOW |
				   MN_SETATTR_MTIME_NOW)))
		ret = set_times(fd, a, to_set);
	snode_fd_put(s, SI(vn));
	return ret;
}

/* A symlink's target is its backing file's data. */
static ssize_t s_readlink(struct mn_fs *fs, struct mn_vnode *vn,
			  const struct mn_vfs_cred *cred, char *buf,
			  size_t size)
{
	struct storage *s = ST(fs);
	int fd = snode_fd(s, SI(vn)), rfd;
	struct smeta m;
	char pp[64];
	ssize_t n;

	(void)cred;
	if (fd < 0)
		return fd;
	n = smeta_get(s, SI(vn), fd, &m);
	if (n == 0 && !S_ISLNK(m.mode))
		n = -EINVAL;
	procpath(fd, pp, sizeof(pp));
	rfd = n == 0 ? open(pp, O_RDONLY | O_CLOEXEC) : -1;
	if (n == 0 && rfd < 0)
		n = snode_err(s, errno);
	snode_fd_put(s, SI(vn));
	if (rfd < 0)
		return n;
	n = pread(rfd, buf, size, 0);
	if (n < 0)
		n = -errno;
	close(rfd);
	return n;
}

/* --- creation ----------------------------------------------------------------- */

/* Looks the new host file up and gives its node the metadata na. */
static int finish_new(struct storage *s, struct sino *dir, const char *name,
		      const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	struct smeta m = {na->uid, na->gid, na->mode, na->rdev};
	struct sino *si;
	struct stat st;
	int fd, ret;

	if (!S_ISCHR(na->mode) && !S_ISBLK(na->mode))
		m.rdev = 0;
	ret = snode_lookup(s, dir, name, &si, &st);
	if (ret < 0)
		return ret;
	fd = snode_fd(s, si);
	ret = fd < 0 ? fd : smeta_write(fd, &m);
	if (ret == 0)
		smeta_set_cached(s, si, &m);
	if (fd >= 0)
		snode_fd_put(s, si);
	if (ret == 0)
		ret = fill_entry(s, si, out);
	if (ret < 0)
		snode_put(s, si);
	return ret;
}

/* Creates the regular backing file of a new non-directory. */
static int create_backing(struct storage *s, int dfd, const char *name,
			  const char *data)
{
	size_t len = data ? strlen(data) : 0;
	int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
			O_CLOEXEC, SHOST_FILE_MODE);
	int ret = 0;

	if (fd < 0)
		return snode_err(s, errno);
	if (len && write(fd, data, len) != (ssize_t)len)
		ret = errno ? -errno : -ENOSPC;
	if (ret == 0 && (s->umask & SHOST_FILE_MODE) &&
	    fchmod(fd, SHOST_FILE_MODE) < 0)
		ret = -errno;
	close(fd);
	if (ret < 0)
		unlinkat(dfd, name, 0);
	return ret;
}

static int make_node(struct storage *s, struct sino *dir, const char *name,
		     const char *data, const struct mn_fs_newattr *na,
		     struct mn_fs_entry *out)
{
	int dfd = snode_fd(s, dir), ret;

	if (dfd < 0)
		return dfd;
	ret = create_backing(s, dfd, name, data);
	if (ret == 0 && (ret = finish_new(s, dir, name, na, out)) < 0)
		unlinkat(dfd, name, 0);	/* never leave what the caller
					   did not get */
	snode_fd_put(s, dir);
	return ret;
}

/* Every type is a regular backing file with its type in the metadata. */
static int s_mknod(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		   const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	switch (na->mode & S_IFMT) {
	case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK:
		return make_node(ST(fs), SI(dir), name, NULL, na, out);
	default:
		return -EINVAL;
	}
}

static int s_mkdir(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		   const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	struct storage *s = ST(fs);
	int dfd = snode_fd(s, SI(dir)), ret = 0;

	if (dfd < 0)
		return dfd;
	if (mkdirat(dfd, name, SHOST_DIR_MODE) < 0)
		ret = snode_err(s, errno);
	if (ret == 0 && (ret = finish_new(s, SI(dir), name, na, out)) < 0)
		unlinkat(dfd, name, AT_REMOVEDIR);
	snode_fd_put(s, SI(dir));
	return ret;
}

static int s_symlink(struct mn_fs *fs, struct mn_vnode *dir,
		     const char *name, const char *target,
		     const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	struct mn_fs_newattr la = *na;

	la.mode = S_IFLNK | 0777;
	return make_node(ST(fs), SI(dir), name, target, &la, out);
}

static int s_link(struct mn_fs *fs, struct mn_vnode *vn,
		  struct mn_vnode *newdir, const char *newname,
		  struct mn_fs_entry *out)
{
	struct storage *s = ST(fs);
	int fd = snode_fd(s, SI(vn)), dfd, ret = 0;
	char pp[64];

	if (fd < 0)
		return fd;
	dfd = snode_fd(s, SI(newdir));
	if (dfd < 0) {
		snode_fd_put(s, SI(vn));
		return dfd;
	}
	procpath(fd, pp, sizeof(pp));
	if (linkat(AT_FDCWD, pp, dfd, newname, AT_SYMLINK_FOLLOW) < 0)
		ret = snode_err(s, errno);
	snode_fd_put(s, SI(newdir));
	snode_fd_put(s, SI(vn));
	return ret < 0 ? ret : entry_at(s, SI(newdir), newname, out);
}

static int remove_at(struct mn_fs *fs, struct mn_vnode *dir,
		     const char *name, int flags)
{
	struct storage *s = ST(fs);
	int dfd = snode_fd(s, SI(dir)), ret = 0;

	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, name, flags) < 0)
		ret = -errno;
	snode_fd_put(s, SI(dir));
	return ret;
}

static int s_unlink(struct mn_fs *fs, struct mn_vnode *dir, const char *name)
{
	return remove_at(fs, dir, name, 0);
}

static int s_rmdir(struct mn_fs *fs, struct mn_vnode *dir, const char *name)
{
	return remove_at(fs, dir, name, AT_REMOVEDIR);
}

/* The node now at dfd/name remembers that name (see fs_storage_node.c). */
static void moved(struct storage *s, int dfd, struct sino *dir,
		  const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		snode_moved(s, st.st_ino, dir, name);
}

static int s_rename(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		    struct mn_vnode *newdir, const char *newname,
		    unsigned flags)
{
	struct storage *s = ST(fs);
	int d1 = snode_fd(s, SI(dir)), d2, ret = 0;

	if (d1 < 0)
		return d1;
	d2 = snode_fd(s, SI(newdir));
	if (d2 < 0) {
		snode_fd_put(s, SI(dir));
		return d2;
	}
	if (renameat2(d1, name, d2, newname, flags) < 0)
		ret = snode_err(s, errno);
	if (ret == 0)
		moved(s, d2, SI(newdir), newname);
	if (ret == 0 && (flags & RENAME_EXCHANGE))
		moved(s, d1, SI(dir), name);
	snode_fd_put(s, SI(newdir));
	snode_fd_put(s, SI(dir));
	return ret;
}

/* --- open files ------------------------------------------------------------- */

/* Opens the backing file of vn with host flags; -ENXIO for what is no
 * regular file to MicronOS (a socket, a fifo or a device: the mount's
 * kernel opens those itself). */
static int open_backing(struct storage *s, struct sino *si, int hflags)
{
	int fd = snode_fd(s, si), ofd;
	struct smeta m;
	char pp[64];
	int ret;

	if (fd < 0)
		return fd;
	ret = smeta_get(s, si, fd, &m);
	if (ret == 0 && !S_ISREG(m.mode) && !S_ISDIR(m.mode))
		ret = -ENXIO;
	procpath(fd, pp, sizeof(pp));
	ofd = ret == 0 ? open(pp, hflags | O_CLOEXEC) : -1;
	if (ret == 0 && ofd < 0)
		ret = snode_err(s, errno);
	snode_fd_put(s, si);
	return ret < 0 ? ret : ofd;
}

static int s_open(struct mn_fs *fs, struct mn_vnode *vn,
		  struct mn_vfs_file *f, int flags)
{
	struct storage *s = ST(fs);
	struct sopen *so = malloc(sizeof(*so));
	int ret;

	if (!so)
		return -ENOMEM;
	/* O_TRUNC is the VFS's (after the permission check); O_DIRECT would
	 * impose the host's alignment on every caller */
	so->fd = open_backing(s, SI(vn), flags & (O_ACCMODE | O_APPEND |
						  O_SYNC | O_DSYNC));
	/* an open file keeps its node's descriptor: fstat of an unlinked
	 * file must still work */
	ret = so->fd < 0 ? so->fd : snode_pin(s, SI(vn));
	if (ret < 0) {
		if (so->fd >= 0)
			close(so->fd);
		free(so);
		return ret;
	}
	so->append = !!(flags & O_APPEND);
	f->priv = so;
	/* The kernel's cached pages stay valid: see "Caching" at the top. */
	f->fopen = MN_VFS_FOPEN_KEEP_CACHE;
	return 0;
}

static ssize_t s_read(struct mn_vfs_file *f, void *buf, size_t size, off_t off)
{
	ssize_t n = pread(((struct sopen *)f->priv)->fd, buf, size, off);

	return n < 0 ? -errno : n;
}

static ssize_t s_write(struct mn_vfs_file *f, const void *buf, size_t size,
		       off_t off)
{
	struct sopen *so = f->priv;
	int app = !!(atomic_load(&f->flags) & O_APPEND);
	ssize_t n;

	if (app != so->append) {	/* fcntl(F_SETFL) since open */
		int fl = fcntl(so->fd, F_GETFL);

		if (fl >= 0 && fcntl(so->fd, F_SETFL,
				     app ? fl | O_APPEND : fl & ~O_APPEND) == 0)
			so->append = app;
	}
	/* with O_APPEND on the host fd, Linux's pwrite appends atomically */
	n = pwrite(so->fd, buf, size, off);
	return n < 0 ? -errno : n;
}

static int s_fsync(struct mn_vfs_file *f, int datasync)
{
	int fd = ((struct sopen *)f->priv)->fd;

	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

void mn_vfs_publish_io(struct mn_vfs_file *f)
{
	struct mn_evbus *bus = mn_vfs_bus(f->vfs);
	uint64_t rc = atomic_load(&f->rd_calls), wc = atomic_load(&f->wr_calls);

	if (!bus)
		return;
	if (rc)
		mn_evbus_publish(bus, MN_EV_DISK_READ, MN_SRC_KERNEL, f->pid,
				 "%s: read %llu bytes in %llu calls",
				 mn_vfs_file_path(f),
				 (unsigned long long)atomic_load(&f->rd_bytes),
				 (unsigned long long)rc);
	if (wc)
		mn_evbus_publish(bus, MN_EV_DISK_WRITE, MN_SRC_KERNEL, f->pid,
				 "%s: wrote %llu bytes in %llu calls",
				 mn_vfs_file_path(f),
				 (unsigned long long)atomic_load(&f->wr_bytes),
				 (unsigned long long)wc);
}

static void s_release(struct mn_vfs_file *f)
{
	struct sopen *so = f->priv;

	mn_vfs_publish_io(f);
	if (so) {
		close(so->fd);
		free(so);
		snode_unpin(ST(f->vn->fs), SI(f->vn));
	}
	f->priv = NULL;
}

static int s_host_fd(struct mn_vfs_file *f)
{
	return ((struct sopen *)f->priv)->fd;
}

/* --- directories ------------------------------------------------------------ */

static int s_opendir(struct mn_fs *fs, struct mn_vnode *vn,
		     struct mn_vfs_file *f)
{
	struct sdir *d = calloc(1, sizeof(*d));
	int fd, err;

	if (!d)
		return -ENOMEM;
	fd = open_backing(ST(fs), SI(vn), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		err = fd < 0 ? fd : -errno;
		if (fd >= 0)
			close(fd);
		free(d);
		return err;
	}
	pthread_mutex_init(&d->lock, NULL);
	f->priv = d;
	return 0;
}

static int s_readdir(struct mn_vfs_file *f, off_t off, mn_fs_fill_fn *fill,
		     void *arg)
{
	struct sdir *d = f->priv;
	struct dirent *de;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (off != d->pos) {
		seekdir(d->dp, off);
		d->pos = off;
	}
	for (;;) {
		errno = 0;
		de = readdir(d->dp);
		if (!de) {
			ret = errno ? -errno : 0;
			break;
		}
		if (fill(arg, de->d_name, de->d_ino,
			 de->d_type == DT_REG ?
			 smeta_dtype(ST(f->vn->fs), dirfd(d->dp), de->d_name,
				     de->d_ino) : de->d_type, de->d_off)) {
			d->pos = -1;	/* not consumed: seek back next time */
			break;
		}
		d->pos = de->d_off;
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static void s_releasedir(struct mn_vfs_file *f)
{
	struct sdir *d = f->priv;

	if (!d)
		return;
	closedir(d->dp);
	pthread_mutex_destroy(&d->lock);
	free(d);
	f->priv = NULL;
}

static int s_fsyncdir(struct mn_vfs_file *f, int datasync)
{
	int fd = dirfd(((struct sdir *)f->priv)->dp);

	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

static int s_statfs(struct mn_fs *fs, struct mn_vnode *vn,
		    struct statvfs *out)
{
	(void)vn;
	return fstatvfs(ST(fs)->rootfd, out) < 0 ? -errno : 0;
}

static void s_destroy(struct mn_fs *fs)
{
	struct storage *s = ST(fs);

	if (!s)
		return;
	snode_fini(s);
	close(s->rootfd);
	free(s);
}

static const struct mn_fs_ops storage_ops = {
	.type = "storage",
	.lookup = s_lookup,
	.put = s_put,
	.getattr = s_getattr,
	.setattr = s_setattr,
	.readlink = s_readlink,
	.mknod = s_mknod,
	/* sockets and device nodes are kept as such (fs_storage_meta.c) */
	.mknod_types = MN_FS_NOD_SOCK | MN_FS_NOD_DEV,
	.mkdir = s_mkdir,
	.symlink = s_symlink,
	.link = s_link,
	.unlink = s_unlink,
	.rmdir = s_rmdir,
	.rename = s_rename,
	.open = s_open,
	.read = s_read,
	.write = s_write,
	.fsync = s_fsync,
	.release = s_release,
	.host_fd = s_host_fd,
	.opendir = s_opendir,
	.readdir = s_readdir,
	.releasedir = s_releasedir,
	.fsyncdir = s_fsyncdir,
	.statfs = s_statfs,
	.setxattr = sx_setxattr,
	.getxattr = sx_getxattr,
	.listxattr = sx_listxattr,
	.removexattr = sx_removexattr,
	.destroy = s_destroy,
};

/* The storage under vfs's root, or NULL (an in-memory root): for health. */
struct storage *storage_of(struct mn_vfs *vfs, struct mn_vnode **vn)
{
	*vn = mn_vnode_get(vfs, MN_VFS_ROOT_INO);
	return *vn && (*vn)->fs->ops == &storage_ops ? ST((*vn)->fs) : NULL;
}

/* The daemon's umask, read without changing it (umask(2) would race). */
static mode_t read_umask(void)
{
	FILE *fp = fopen("/proc/self/status", "re");
	char line[128];
	unsigned m = 022;

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "Umask: %o", &m) == 1)
			break;
	if (fp)
		fclose(fp);
	return (mode_t)m;
}

/*
 * The soft descriptor limit up to the hard one: the node cache takes a
 * quarter of it (fs_storage_node.c), the rest is for open files, sockets
 * and the sandbox's descriptors.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Opens (creating it 0700 if missing) the storage directory without
 * following a symlink in its last component, makes it private, and brings
 * it to the current format: a fresh one gets the root's metadata, an old
 * one is migrated (fs_storage_meta.c).
 */
static int open_root(struct storage *s, const char *dir)
{
	struct smeta root = {0, 0, S_IFDIR | 0755, 0};
	int fresh = mkdir(dir, SHOST_DIR_MODE) == 0, ret = 0;
	char pp[64];

	if (!fresh && errno != EEXIST)
		return -errno;
	s->rootfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->rootfd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	if (fresh) {
		procpath(s->rootfd, pp, sizeof(pp));
		ret = smeta_write(s->rootfd, &root);
		if (ret == 0 && setxattr(pp, SFORMAT_XATTR, SFORMAT,
					 strlen(SFORMAT), 0) < 0)
			ret = -errno;
	}
	if (ret == 0)
		ret = smeta_migrate(s, s->rootfd);
	if (ret == 0)
		ret = smeta_privatize(s, s->rootfd, 1);
	if (ret < 0) {
		close(s->rootfd);
		s->rootfd = -1;
	}
	return ret;
}

int mn_fs_storage_create(struct mn_vfs *vfs, const char *dir,
			 struct mn_fs **out)
{
	struct mn_fs *fs = mn_fs_alloc(vfs, &storage_ops, "storage");
	struct storage *s = calloc(1, sizeof(*s));
	struct mn_fs_entry fe;
	int ret;

	if (!fs || !s) {
		ret = -ENOMEM;
		goto fail;
	}
	s->rootfd = -1;
	s->uid = geteuid();
	s->gid = getegid();
	s->root_ok = s->uid == 0;
	s->umask = read_umask();
	raise_nofile();
	ret = open_root(s, dir);
	if (ret < 0)
		goto fail;
	ret = snode_init(s, 0);
	if (ret < 0)
		goto fail_fd;
	fs->priv = s;
	ret = entry_at(s, NULL, ".", &fe);
	if (ret < 0)
		goto fail_node;
	fs->root_ino = fe.ino;
	fs->root_priv = fe.priv;
	fs->attr_timeout = 1.0;
	fs->entry_timeout = 1.0;
	*out = fs;
	return 0;
fail_node:
	snode_fini(s);
fail_fd:
	close(s->rootfd);
fail:
	free(s);
	free(fs);
	return ret;
}
