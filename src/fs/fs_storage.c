/*
 * fs_storage.c - storage, the persistent tree of MicronOS (mounted at /).
 *
 * Representation: a host directory tree, DATA/storage, with one host file
 * per MicronOS file - a directory is a directory, a symlink a symlink, a
 * hard link a hard link.  Why:
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
 * Ownership and modes: when the daemon runs as root (as it does with a
 * sandbox), they are real host ownership and modes (chown/chmod on the host
 * file).  Otherwise the host files stay owned by the daemon's user and the
 * MicronOS uid, gid and mode live in a "user.micronos.meta" xattr (files
 * and directories; symlinks, which cannot carry user xattrs, show uid 0).
 * Inode numbers are the host's st_ino: stable across restarts.  Each node
 * holds an O_PATH descriptor of its host file (as passthrough_ll does), so
 * renames by anyone never confuse it and a looked-up inode cannot be
 * reused by the host while the kernel still knows it; generation is 0.
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
 * Locking: none here.  The host kernel serialises what it must; each open
 * directory stream has a mutex for its position.
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

#include "vfs_i.h"

#define META_XATTR "user.micronos.meta"
#define HIDDEN_PREFIX "user.micronos."

struct storage {
	int rootfd;		/* O_PATH of the root; set once */
	int native;		/* real host ownership (running as root) */
	mode_t umask;		/* the daemon's, undone on create */
};

struct sino {
	int fd;			/* O_PATH | O_NOFOLLOW */
};

struct sopen {
	int fd;
	int append;		/* O_APPEND currently set on fd */
};

struct sdir {
	pthread_mutex_t lock;
	DIR *dp;		/* protected by lock */
	off_t pos;		/* protected by lock */
};

#define ST(fs) ((struct storage *)(fs)->priv)
#define FD(vn) (((struct sino *)(vn)->priv)->fd)

static void procpath(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* --- metadata in xattrs (non-root daemon) ------------------------------- */

static void meta_load(const char *pp, struct stat *st)
{
	char buf[64];
	unsigned uid, gid, mode;
	ssize_t n = getxattr(pp, META_XATTR, buf, sizeof(buf) - 1);

	st->st_uid = 0;
	st->st_gid = 0;
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%u %u %o", &uid, &gid, &mode) != 3)
		return;
	st->st_uid = uid;
	st->st_gid = gid;
	st->st_mode = (st->st_mode & S_IFMT) | (mode & 07777);
}

static int meta_store(const char *pp, uint32_t uid, uint32_t gid, mode_t mode)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%u %u %o", uid, gid,
			 (unsigned)(mode & 07777));

	return setxattr(pp, META_XATTR, buf, (size_t)n, 0) < 0 ? -errno : 0;
}

static int stat_fd(struct storage *s, int fd, struct stat *st)
{
	char pp[64];

	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!s->native && !S_ISLNK(st->st_mode)) {
		procpath(fd, pp, sizeof(pp));
		meta_load(pp, st);
	} else if (!s->native) {
		st->st_uid = st->st_gid = 0;
	}
	return 0;
}

/* --- nodes ------------------------------------------------------------------- */

static int entry_at(struct storage *s, int dirfd, const char *name,
		    struct mn_fs_entry *out)
{
	struct sino *si = malloc(sizeof(*si));
	int ret;

	if (!si)
		return -ENOMEM;
	si->fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (si->fd < 0) {
		ret = -errno;
		free(si);
		return ret;
	}
	ret = stat_fd(s, si->fd, &out->attr);
	if (ret < 0) {
		close(si->fd);
		free(si);
		return ret;
	}
	out->ino = out->attr.st_ino;
	out->gen = 0;
	out->priv = si;
	return 0;
}

static int s_lookup(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		    const struct mn_vfs_cred *cred, struct mn_fs_entry *out)
{
	(void)cred;
	/* the root's ".." would leave the tree */
	if (strcmp(name, "..") == 0 && dir->lino == fs->root_ino)
		name = ".";
	return entry_at(ST(fs), FD(dir), name, out);
}

static void s_put(struct mn_fs *fs, void *priv)
{
	struct sino *si = priv;

	(void)fs;
	if (!si)
		return;
	close(si->fd);
	free(si);
}

static int s_getattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct mn_vfs_cred *cred, struct stat *st)
{
	(void)cred;
	return stat_fd(ST(fs), FD(vn), st);
}

static int set_owner(struct storage *s, int fd, const char *pp,
		     const struct stat *a, int to_set)
{
	struct stat cur;
	int ret;

	if (s->native)
		return fchownat(fd, "", (to_set & MN_SETATTR_UID) ?
				a->st_uid : (uid_t)-1,
				(to_set & MN_SETATTR_GID) ? a->st_gid :
				(gid_t)-1, AT_EMPTY_PATH |
				AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	ret = stat_fd(s, fd, &cur);
	if (ret < 0 || S_ISLNK(cur.st_mode))
		return ret < 0 ? ret : -EPERM;
	return meta_store(pp, (to_set & MN_SETATTR_UID) ? a->st_uid :
			  cur.st_uid, (to_set & MN_SETATTR_GID) ? a->st_gid :
			  cur.st_gid, cur.st_mode);
}

static int set_mode(struct storage *s, int fd, const char *pp, mode_t mode)
{
	struct stat cur;
	int ret = stat_fd(s, fd, &cur);

	if (ret < 0 || S_ISLNK(cur.st_mode))
		return ret;	/* symlink modes mean nothing */
	if (s->native)
		return chmod(pp, mode & 07777) < 0 ? -errno : 0;
	/* the daemon must keep access to its own files */
	if (chmod(pp, (mode & 0777) | (S_ISDIR(cur.st_mode) ? 0700 : 0600)) < 0)
		return -errno;
	return meta_store(pp, cur.st_uid, cur.st_gid, mode);
}

static int set_times(int fd, const char *pp, const struct stat *a,
		     int to_set, int is_link)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};

	if (to_set & MN_SETATTR_ATIME)
		ts[0] = a->st_atim;
	if (to_set & MN_SETATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	if (to_set & MN_SETATTR_MTIME)
		ts[1] = a->st_mtim;
	if (to_set & MN_SETATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	if (is_link)
		return utimensat(fd, "", ts, AT_EMPTY_PATH |
				 AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	return utimensat(AT_FDCWD, pp, ts, 0) < 0 ? -errno : 0;
}

static int s_setattr(struct mn_fs *fs, struct mn_vnode *vn,
		     const struct stat *a, int to_set, struct mn_vfs_file *f)
{
	struct storage *s = ST(fs);
	int fd = FD(vn), ret = 0;
	struct stat cur;
	char pp[64];

	procpath(fd, pp, sizeof(pp));
	if (fstatat(fd, "", &cur, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (to_set & (MN_SETATTR_UID | MN_SETATTR_GID))
		ret = set_owner(s, fd, pp, a, to_set);
	if (ret == 0 && (to_set & MN_SETATTR_MODE))
		ret = set_mode(s, fd, pp, a->st_mode);
	if (ret == 0 && (to_set & MN_SETATTR_SIZE)) {
		struct sopen *so = f && !f->is_dir ? f->priv : NULL;
		int r = so && (atomic_load(&f->flags) & O_ACCMODE) != O_RDONLY
			? ftruncate(so->fd, a->st_size)
			: truncate(pp, a->st_size);

		ret = r < 0 ? -errno : 0;
	}
	if (ret == 0 && (to_set & (MN_SETATTR_ATIME | MN_SETATTR_MTIME |
				   MN_SETATTR_ATIME_NOW |
				   MN_SETATTR_MTIME_NOW)))
		ret = set_times(fd, pp, a, to_set, S_ISLNK(cur.st_mode));
	return ret;
}

static ssize_t s_readlink(struct mn_fs *fs, struct mn_vnode *vn,
			  const struct mn_vfs_cred *cred, char *buf,
			  size_t size)
{
	ssize_t n;

	(void)fs;
	(void)cred;
	n = readlinkat(FD(vn), "", buf, size);
	return n < 0 ? -errno : n;
}

/* Gives a new host file its MicronOS owner and mode, then looks it up. */
static int finish_new(struct storage *s, int dirfd, const char *name,
		      const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	int ret = 0;

	if (s->native) {
		if (fchownat(dirfd, name, na->uid, na->gid,
			     AT_SYMLINK_NOFOLLOW) < 0)
			ret = -errno;
		if (ret == 0 && !S_ISLNK(na->mode) &&
		    ((na->mode & s->umask) || (na->mode & 07000)) &&
		    fchmodat(dirfd, name, na->mode & 07777, 0) < 0)
			ret = -errno;
	}
	if (ret == 0)
		ret = entry_at(s, dirfd, name, out);
	if (ret == 0 && !s->native && !S_ISLNK(na->mode)) {
		char pp[64];

		procpath(((struct sino *)out->priv)->fd, pp, sizeof(pp));
		ret = meta_store(pp, na->uid, na->gid, na->mode);
		if (ret == 0)
			meta_load(pp, &out->attr);
		else
			s_put(NULL, out->priv);
	}
	if (ret < 0)	/* never leave a file the caller did not get */
		unlinkat(dirfd, name, S_ISDIR(na->mode) ? AT_REMOVEDIR : 0);
	return ret;
}

static mode_t host_mode(const struct storage *s, mode_t mode)
{
	if (s->native)
		return mode & 07777;
	return (mode & 0777) | (S_ISDIR(mode) ? 0700 : 0600);
}

static int s_mknod(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		   const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	struct storage *s = ST(fs);
	int fd;

	if (S_ISREG(na->mode)) {
		fd = openat(FD(dir), name, O_CREAT | O_EXCL | O_WRONLY |
			    O_CLOEXEC, host_mode(s, na->mode));
		if (fd < 0)
			return -errno;
		close(fd);
	} else if (mknodat(FD(dir), name, S_IFIFO | host_mode(s, na->mode),
			   0) < 0) {
		return -errno;
	}
	return finish_new(s, FD(dir), name, na, out);
}

static int s_mkdir(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		   const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	struct storage *s = ST(fs);

	if (mkdirat(FD(dir), name, host_mode(s, na->mode)) < 0)
		return -errno;
	return finish_new(s, FD(dir), name, na, out);
}

static int s_symlink(struct mn_fs *fs, struct mn_vnode *dir,
		     const char *name, const char *target,
		     const struct mn_fs_newattr *na, struct mn_fs_entry *out)
{
	if (symlinkat(target, FD(dir), name) < 0)
		return -errno;
	return finish_new(ST(fs), FD(dir), name, na, out);
}

static int s_link(struct mn_fs *fs, struct mn_vnode *vn,
		  struct mn_vnode *newdir, const char *newname,
		  struct mn_fs_entry *out)
{
	char pp[64];

	procpath(FD(vn), pp, sizeof(pp));
	if (linkat(AT_FDCWD, pp, FD(newdir), newname, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return entry_at(ST(fs), FD(newdir), newname, out);
}

static int s_unlink(struct mn_fs *fs, struct mn_vnode *dir, const char *name)
{
	(void)fs;
	return unlinkat(FD(dir), name, 0) < 0 ? -errno : 0;
}

static int s_rmdir(struct mn_fs *fs, struct mn_vnode *dir, const char *name)
{
	(void)fs;
	return unlinkat(FD(dir), name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int s_rename(struct mn_fs *fs, struct mn_vnode *dir, const char *name,
		    struct mn_vnode *newdir, const char *newname,
		    unsigned flags)
{
	(void)fs;
	return renameat2(FD(dir), name, FD(newdir), newname, flags) < 0 ?
		-errno : 0;
}

/* --- open files ------------------------------------------------------------- */

static int s_open(struct mn_fs *fs, struct mn_vnode *vn,
		  struct mn_vfs_file *f, int flags)
{
	struct sopen *so = malloc(sizeof(*so));
	char pp[64];
	int hflags;

	(void)fs;
	if (!so)
		return -ENOMEM;
	/* O_TRUNC is the VFS's (after the permission check); O_DIRECT would
	 * impose the host's alignment on every caller */
	hflags = flags & (O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC);
	procpath(FD(vn), pp, sizeof(pp));
	so->fd = open(pp, hflags | O_CLOEXEC);
	if (so->fd < 0) {
		int err = -errno;

		free(so);
		return err;
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
	char pp[64];
	int fd, err;

	(void)fs;
	if (!d)
		return -ENOMEM;
	procpath(FD(vn), pp, sizeof(pp));
	fd = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		err = -errno;
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
		if (fill(arg, de->d_name, de->d_ino, de->d_type, de->d_off)) {
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

/* --- xattrs: the "user." namespace, minus our own -------------------------- */

static int xname_ok(const char *name)
{
	return strncmp(name, "user.", 5) == 0 && name[5] &&
	       strncmp(name, HIDDEN_PREFIX, strlen(HIDDEN_PREFIX)) != 0;
}

static int s_setxattr(struct mn_fs *fs, struct mn_vnode *vn, const char *name,
		      const void *value, size_t size, int flags)
{
	char pp[64];

	(void)fs;
	if (!xname_ok(name))
		return -EOPNOTSUPP;
	procpath(FD(vn), pp, sizeof(pp));
	return setxattr(pp, name, value, size, flags) < 0 ? -errno : 0;
}

static ssize_t s_getxattr(struct mn_fs *fs, struct mn_vnode *vn,
			  const char *name, void *value, size_t size)
{
	char pp[64];
	ssize_t n;

	(void)fs;
	if (!xname_ok(name))
		return -ENODATA;
	procpath(FD(vn), pp, sizeof(pp));
	n = getxattr(pp, name, value, size);
	return n < 0 ? -errno : n;
}

static ssize_t s_listxattr(struct mn_fs *fs, struct mn_vnode *vn, char *list,
			   size_t size)
{
	char pp[64], *all, *p, *o = list;
	ssize_t n, need = 0;

	(void)fs;
	procpath(FD(vn), pp, sizeof(pp));
	n = listxattr(pp, NULL, 0);
	if (n <= 0)
		return n < 0 ? (errno == ENOTSUP ? 0 : -errno) : 0;
	all = malloc((size_t)n);
	if (!all)
		return -ENOMEM;
	n = listxattr(pp, all, (size_t)n);
	for (p = all; n > 0 && p < all + n; p += strlen(p) + 1) {
		size_t l = strlen(p) + 1;

		if (!xname_ok(p))
			continue;
		if (size && (size_t)need + l > size) {
			need = -ERANGE;
			break;
		}
		if (size)
			memcpy(o + need, p, l);
		need += (ssize_t)l;
	}
	free(all);
	return n < 0 ? -errno : need;
}

static int s_removexattr(struct mn_fs *fs, struct mn_vnode *vn,
			 const char *name)
{
	char pp[64];

	(void)fs;
	if (!xname_ok(name))
		return -ENODATA;
	procpath(FD(vn), pp, sizeof(pp));
	return removexattr(pp, name) < 0 ? -errno : 0;
}

static void s_destroy(struct mn_fs *fs)
{
	struct storage *s = ST(fs);

	if (!s)
		return;
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
	.setxattr = s_setxattr,
	.getxattr = s_getxattr,
	.listxattr = s_listxattr,
	.removexattr = s_removexattr,
	.destroy = s_destroy,
};

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
 * One descriptor per known node: a tree of a few hundred thousand files
 * needs as many.  Root may raise the hard limit too, up to the system's
 * nr_open; everyone else gets the hard limit.
 */
static void raise_nofile(void)
{
	rlim_t want = 1 << 20;
	struct rlimit rl;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	unsigned long nr;

	if (f) {
		if (fscanf(f, "%lu", &nr) == 1 && nr < want)
			want = nr;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_max < want) {
		struct rlimit up = {want, want};

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
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
	s->native = geteuid() == 0;
	s->umask = read_umask();
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		goto fail;
	}
	s->rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		ret = -errno;
		goto fail;
	}
	fs->priv = s;
	ret = entry_at(s, s->rootfd, ".", &fe);
	if (ret < 0)
		goto fail_fd;
	raise_nofile();
	fs->root_ino = fe.ino;
	fs->root_priv = fe.priv;
	fs->attr_timeout = 1.0;
	fs->entry_timeout = 1.0;
	*out = fs;
	return 0;
fail_fd:
	close(s->rootfd);
fail:
	free(s);
	free(fs);
	return ret;
}
