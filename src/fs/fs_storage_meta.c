/*
 * fs_storage_meta.c - what MicronOS knows of a storage file that the host
 * file does not say: owner, group, mode bits (setuid included), file type
 * and device number, kept with the file in one "user.micronos.meta" xattr.
 *
 * Why an xattr and not the host's own fields: the backing tree must hand
 * nothing to host users.  With real modes and owners, root inside a
 * sandbox could `chmod 4755` a copy of /usr/bin/id and any host user could
 * run it as host root from DATA/storage (the FUSE mount is nosuid, the
 * backing directory was not).  So every backing file is private to the
 * daemon - owned by its user, mode 0600 (directories 0700), never setuid,
 * setgid or world-writable, under a 0700 data dir - and MicronOS's view of
 * it lives here.  That also lets any id and any file type be represented
 * by a daemon without host privilege (rootless instances), as rootless
 * container storage does:
 *  - sockets, fifos and device nodes are empty regular backing files whose
 *    xattr carries the type and rdev (the host never sees a device node);
 *  - a symlink is a regular backing file holding its target, because Linux
 *    refuses user.* xattrs on symlinks and trusted.* needs CAP_SYS_ADMIN.
 *    A side effect we want: the backing tree holds no host symlink at all,
 *    so nothing that walks it (the daemon, an administrator's backup, boot)
 *    can be led out of it by one planted from inside.
 * The xattr's text is "UID GID MODE RDEV" (MODE octal, with the type).  A
 * file without it (an administrator copied it in) shows as root's, with its
 * host permission bits and type.
 *
 * Migration: a data dir written before this format (the root has no
 * "user.micronos.format" mark) is converted on first boot, walking it
 * without following any link: each file's real owner, group and mode (or a
 * rootless daemon's older three-field xattr) go into the new xattr, the
 * host file is made private, and host symlinks, fifos, sockets and device
 * nodes are replaced by regular files (a temporary name, then an atomic
 * rename over the old one).  Each step is redone safely after a crash; the
 * mark is set last.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs_storage_i.h"

#define MIGRATE_TMP ".micronos-migrate."
#define MIGRATE_DEPTH 4096

static void procpath(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* Parses the xattr's text; 1 for the current format, 2 for the old
 * three-field one (permission bits only), 0 if unreadable. */
static int parse(const char *buf, struct smeta *m)
{
	unsigned uid, gid, mode;
	unsigned long long rdev;
	int n = sscanf(buf, "%u %u %o %llu", &uid, &gid, &mode, &rdev);

	if (n < 3)
		return 0;
	m->uid = uid;
	m->gid = gid;
	m->mode = (mode_t)mode;
	m->rdev = n == 4 ? (dev_t)rdev : 0;
	return n == 4 ? 1 : 2;
}

static int read_raw(int fd, struct smeta *m)
{
	char pp[64], buf[96];
	ssize_t n;

	procpath(fd, pp, sizeof(pp));
	n = getxattr(pp, SMETA_XATTR, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return parse(buf, m);
}

int smeta_read(int fd, struct smeta *m)
{
	int ret = read_raw(fd, m);

	if (ret == 0)
		return -EINVAL;
	if (ret == 2)
		return -ENODATA;	/* only during migration */
	return ret < 0 ? ret : 0;
}

int smeta_write(int fd, const struct smeta *m)
{
	char pp[64], buf[96];
	int n = snprintf(buf, sizeof(buf), "%u %u %o %llu", m->uid, m->gid,
			 (unsigned)m->mode, (unsigned long long)m->rdev);

	procpath(fd, pp, sizeof(pp));
	return setxattr(pp, SMETA_XATTR, buf, (size_t)n, 0) < 0 ? -errno : 0;
}

int smeta_get(struct storage *s, struct sino *si, int fd, struct smeta *m)
{
	struct stat st;
	int ret;

	pthread_mutex_lock(&s->lock);
	if (si->meta_ok)
		*m = si->meta;
	ret = si->meta_ok;
	pthread_mutex_unlock(&s->lock);
	if (ret)
		return 0;
	ret = smeta_read(fd, m);
	if (ret == 0) {
		smeta_set_cached(s, si, m);
		return 0;
	}
	/* no metadata: root's, with the host's bits (not cached) */
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	m->uid = m->gid = 0;
	m->mode = st.st_mode & (S_IFMT | 0777);
	m->rdev = 0;
	return 0;
}

void smeta_set_cached(struct storage *s, struct sino *si,
		      const struct smeta *m)
{
	pthread_mutex_lock(&s->lock);
	si->meta = *m;
	si->meta_ok = 1;
	pthread_mutex_unlock(&s->lock);
}

unsigned smeta_dtype(struct storage *s, int dirfd, const char *name,
		     uint64_t ino)
{
	char pp[MN_VFS_NAME_MAX + 64], buf[96];
	struct smeta m;
	ssize_t n;

	if (!snode_cached_meta(s, ino, &m)) {
		snprintf(pp, sizeof(pp), "/proc/self/fd/%d/%s", dirfd, name);
		n = lgetxattr(pp, SMETA_XATTR, buf, sizeof(buf) - 1);
		if (n <= 0)
			return DT_REG;
		buf[n] = '\0';
		if (parse(buf, &m) != 1)
			return DT_REG;
	}
	return (m.mode & S_IFMT) ? IFTODT(m.mode) : DT_REG;
}

void smeta_apply(const struct smeta *m, struct stat *st)
{
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	/* a directory stays one: the type of a directory is the host's */
	if (!S_ISDIR(st->st_mode) && (m->mode & S_IFMT))
		st->st_mode = m->mode;
	else
		st->st_mode = (st->st_mode & S_IFMT) | (m->mode & 07777);
	st->st_rdev = (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) ?
		m->rdev : 0;
}

int smeta_privatize(struct storage *s, int fd, int is_dir)
{
	char pp[64];
	struct stat st;
	mode_t want = is_dir ? SHOST_DIR_MODE : SHOST_FILE_MODE;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((st.st_uid != s->uid || st.st_gid != s->gid) && s->root_ok &&
	    fchownat(fd, "", s->uid, s->gid, AT_EMPTY_PATH) < 0)
		return -errno;
	procpath(fd, pp, sizeof(pp));
	if ((st.st_mode & 07777) != want && chmod(pp, want) < 0)
		return -errno;
	return 0;
}

/* --- migration ------------------------------------------------------------- */

/*
 * Replaces the host symlink, fifo, socket or device node `name` by a
 * regular file with metadata m and (symlinks) the link's target as data.
 */
static int replace_special(struct storage *s, int dirfd, const char *name,
			   const struct stat *st, const struct smeta *m)
{
	char tmp[64], target[MN_VFS_PATH_MAX];
	ssize_t len = 0;
	int fd, ret = 0;

	if (S_ISLNK(st->st_mode)) {
		len = readlinkat(dirfd, name, target, sizeof(target));
		if (len < 0)
			return -errno;
	}
	snprintf(tmp, sizeof(tmp), MIGRATE_TMP "%llu",
		 (unsigned long long)st->st_ino);
	fd = openat(dirfd, tmp, O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW |
		    O_CLOEXEC, SHOST_FILE_MODE);
	if (fd < 0)
		return -errno;
	if (len > 0 && write(fd, target, (size_t)len) != len)
		ret = errno ? -errno : -EIO;
	if (ret == 0)
		ret = smeta_write(fd, m);
	if (ret == 0)
		ret = smeta_privatize(s, fd, 0);
	close(fd);
	if (ret == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		ret = -errno;
	if (ret < 0)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

/* Converts one entry of an old data dir (see the top of the file). */
static int migrate_entry(struct storage *s, int dirfd, const char *name,
			 const struct stat *st)
{
	struct smeta m = {st->st_uid, st->st_gid, st->st_mode, st->st_rdev};
	int fd, kind, ret = 0;

	if (!s->root_ok)	/* a rootless daemon showed these as root's */
		m.uid = m.gid = 0;

	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return replace_special(s, dirfd, name, st, &m);
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	kind = read_raw(fd, &m);
	if (kind == 2)	/* a rootless daemon's: ids and permissions */
		m.mode = (st->st_mode & S_IFMT) | (m.mode & 07777);
	if (kind != 1) {
		m.rdev = 0;
		ret = smeta_write(fd, &m);
	}
	if (ret == 0)
		ret = smeta_privatize(s, fd, S_ISDIR(st->st_mode));
	close(fd);
	return ret;
}

static int migrate_dir(struct storage *s, int dirfd, int depth)
{
	struct dirent *de;
	DIR *dp;
	int fd, ret = 0;

	if (depth > MIGRATE_DEPTH)
		return -ELOOP;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return -errno;
	}
	while (ret == 0 && (de = readdir(dp))) {
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strncmp(de->d_name, MIGRATE_TMP, strlen(MIGRATE_TMP))) {
			unlinkat(dirfd, de->d_name, 0);	/* a crash's */
			continue;
		}
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			break;
		}
		ret = migrate_entry(s, dirfd, de->d_name, &st);
		if (ret < 0 || !S_ISDIR(st.st_mode))
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
			     O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			ret = -errno;
			break;
		}
		ret = migrate_dir(s, sub, depth + 1);
		close(sub);
	}
	closedir(dp);
	return ret;
}

int smeta_migrate(struct storage *s, int rootfd)
{
	char pp[64], mark[8];
	struct stat st;
	ssize_t n;
	int dfd, ret;

	procpath(rootfd, pp, sizeof(pp));
	n = getxattr(pp, SFORMAT_XATTR, mark, sizeof(mark) - 1);
	if (n > 0) {
		mark[n] = '\0';
		if (!strcmp(mark, SFORMAT))
			return 0;
		return -EPROTO;	/* a format from the future */
	}
	if (n < 0 && errno != ENODATA)
		return -errno;
	if (fstat(rootfd, &st) < 0)
		return -errno;
	ret = migrate_entry(s, rootfd, ".", &st);
	if (ret < 0)
		return ret;
	dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	ret = migrate_dir(s, dfd, 0);
	close(dfd);
	if (ret == 0 && setxattr(pp, SFORMAT_XATTR, SFORMAT,
				 strlen(SFORMAT), 0) < 0)
		ret = -errno;
	return ret;
}
