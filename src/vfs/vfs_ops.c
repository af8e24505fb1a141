/*
 * vfs_ops.c - the inode API's namespace and attribute operations.
 *
 * Each call follows one pattern: take a reference on the node(s) by id
 * (unknown ids are -ESTALE), fetch the attributes the permission rules
 * need, check them, then ask the file system to do the work; new files come
 * back through mn_vfs_install(), which turns them into nodes holding one
 * lookup.  The rules are those of a Unix kernel's VFS layer (search and
 * write permission on directories, sticky directories, owner-only chmod,
 * root-only chown, mount points that cannot be removed), so file systems
 * only store and fetch.  A change that succeeded is reported to the change
 * hook last, with every lock dropped (vfs_notify.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vfs_i.h"

static int check_name(const char *name)
{
	size_t len;

	if (!name || !*name)
		return -ENOENT;
	len = strnlen(name, MN_VFS_NAME_MAX + 1);
	if (len > MN_VFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(name, '/'))
		return -EINVAL;
	return 0;
}

static int is_dots(const char *name)
{
	return name[0] == '.' &&
	       (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Takes a reference on dir `ino`, checks it is a directory and mask. */
static int dir_begin(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		     uint64_t ino, int mask, struct mn_vnode **out,
		     struct stat *st)
{
	struct mn_vnode *vn = mn_vnode_get(vfs, ino);
	int ret;

	if (!vn)
		return -ESTALE;
	ret = mn_vnode_getattr(vn, cred, st);
	if (ret == 0 && !S_ISDIR(st->st_mode))
		ret = -ENOTDIR;
	if (ret == 0)
		ret = mn_vfs_perm(cred, st, mask);
	if (ret < 0) {
		mn_vnode_put(vfs, vn);
		return ret;
	}
	*out = vn;
	return 0;
}

/* Same for a directory that will change: also -EROFS. */
static int wdir_begin(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      uint64_t ino, const char *name, struct mn_vnode **out,
		      struct stat *st)
{
	int ret = check_name(name);

	if (ret == 0 && is_dots(name))
		ret = -EINVAL;
	if (ret == 0)
		ret = dir_begin(vfs, cred, ino, W_OK | X_OK, out, st);
	if (ret == 0 && (*out)->fs->readonly) {
		mn_vnode_put(vfs, *out);
		ret = -EROFS;
	}
	return ret;
}

int mn_vfs_lookup(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t parent, const char *name, struct mn_vfs_entry *out)
{
	struct mn_vnode *dir, *base = NULL;
	struct mn_fs_entry fe;
	struct stat st;
	int ret, self = 0;

	ret = check_name(name);
	if (ret < 0)
		return ret;
	ret = dir_begin(vfs, cred, parent, X_OK, &dir, &st);
	if (ret < 0)
		return ret;
	if (strcmp(name, ".") == 0) {
		ret = mn_vfs_entry_of(vfs, dir, cred, out);
		goto out;
	}
	if (strcmp(name, "..") == 0) {
		base = mn_vfs_dotdot_base(vfs, dir, &self);
		if (self) {
			ret = mn_vfs_entry_of(vfs, dir, cred, out);
			goto out;
		}
	}
	if (base) {
		ret = base->fs->ops->lookup(base->fs, base, name, cred, &fe);
		if (ret == 0)
			ret = mn_vfs_install(vfs, base->fs, &fe, 0, NULL, cred,
					     out, NULL);
		mn_vnode_put(vfs, base);
		goto out;
	}
	ret = dir->fs->ops->lookup(dir->fs, dir, name, cred, &fe);
	if (ret == 0)
		ret = mn_vfs_install(vfs, dir->fs, &fe, parent,
				     strcmp(name, "..") ? name : NULL, cred,
				     out, NULL);
	if (ret == -ENOENT) {
		/* the caller may remember the absence (vfs.h) */
		memset(out, 0, sizeof(*out));
		out->entry_timeout = dir->fs->neg_timeout;
	}
out:
	mn_vnode_put(vfs, dir);
	return ret;
}

int mn_vfs_getattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   uint64_t ino, struct stat *attr, double *timeout)
{
	struct mn_vnode *vn = mn_vnode_get(vfs, ino);
	int ret;

	if (!vn)
		return -ESTALE;
	ret = mn_vnode_getattr(vn, cred, attr);
	if (timeout)
		*timeout = mn_vnode_attr_timeout(vn);
	mn_vnode_put(vfs, vn);
	return ret;
}

static int is_owner(const struct mn_vfs_cred *cred, const struct stat *st)
{
	return mn_vfs_cred_root(cred) || cred->uid == st->st_uid;
}

/*
 * Whether a mode change only clears setuid/setgid.  Linux clears them
 * itself when someone else writes the file, and the FUSE kernel asks for
 * that as a chmod from the writer: whoever may write the file may have
 * them cleared (a write would do it anyway).
 */
static int kills_suid(const struct stat *cur, const struct stat *attr)
{
	mode_t old = cur->st_mode & 07777, new = attr->st_mode & 07777;
	mode_t ids = S_ISUID | S_ISGID;

	return new != old && (new & ~ids) == (old & ~ids) && !(new & ~old);
}

/* The rules of chmod, chown, truncate and utimes (see the header). */
static int setattr_check(const struct mn_vfs_cred *cred,
			 const struct stat *cur, struct stat *attr, int to_set,
			 struct mn_vfs_file *f)
{
	if ((to_set & MN_SETATTR_MODE) && !is_owner(cred, cur) &&
	    !(kills_suid(cur, attr) && mn_vfs_perm(cred, cur, W_OK) == 0))
		return -EPERM;
	if ((to_set & MN_SETATTR_MODE) && !mn_vfs_cred_root(cred) &&
	    !mn_vfs_cred_in_group(cred, (to_set & MN_SETATTR_GID) ?
				  attr->st_gid : cur->st_gid))
		attr->st_mode &= ~(mode_t)S_ISGID;
	if ((to_set & MN_SETATTR_UID) && !mn_vfs_cred_root(cred) &&
	    attr->st_uid != cur->st_uid)
		return -EPERM;
	if ((to_set & MN_SETATTR_GID) && !mn_vfs_cred_root(cred) &&
	    attr->st_gid != cur->st_gid &&
	    (cred->uid != cur->st_uid ||
	     !mn_vfs_cred_in_group(cred, attr->st_gid)))
		return -EPERM;
	if (to_set & MN_SETATTR_SIZE) {
		if (S_ISDIR(cur->st_mode))
			return -EISDIR;
		if (!S_ISREG(cur->st_mode))
			return -EINVAL;
		if (attr->st_size < 0)
			return -EINVAL;
		if (!f && mn_vfs_perm(cred, cur, W_OK) < 0)
			return -EACCES;
	}
	if ((to_set & (MN_SETATTR_ATIME | MN_SETATTR_MTIME)) &&
	    !is_owner(cred, cur))
		return -EPERM;
	if ((to_set & (MN_SETATTR_ATIME_NOW | MN_SETATTR_MTIME_NOW)) &&
	    !is_owner(cred, cur) && mn_vfs_perm(cred, cur, W_OK) < 0)
		return -EACCES;
	return 0;
}

int mn_vfs_setattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   uint64_t ino, struct stat *attr, int to_set,
		   struct mn_vfs_file *f, double *timeout)
{
	struct mn_vnode *vn = mn_vnode_get(vfs, ino);
	struct stat cur;
	int ret;

	if (!vn)
		return -ESTALE;
	to_set &= ~MN_SETATTR_CTIME;
	ret = mn_vnode_getattr(vn, cred, &cur);
	if (ret == 0)
		ret = setattr_check(cred, &cur, attr, to_set, f);
	if (ret == 0 && to_set && vn->fs->readonly)
		ret = -EROFS;
	if (ret == 0 && to_set)
		ret = vn->fs->ops->setattr ?
			vn->fs->ops->setattr(vn->fs, vn, attr, to_set, f) :
			-EPERM;
	if (ret == 0 && to_set)
		mn_vfs_changed(vfs, cred, 0, NULL, ino,
			       (to_set & MN_SETATTR_SIZE) ?
			       MN_VFS_CHANGED_DATA : 0);
	if (ret == 0)
		ret = mn_vnode_getattr(vn, cred, attr);
	if (timeout)
		*timeout = mn_vnode_attr_timeout(vn);
	mn_vnode_put(vfs, vn);
	return ret;
}

ssize_t mn_vfs_readlink(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			uint64_t ino, char *buf, size_t size)
{
	struct mn_vnode *vn = mn_vnode_get(vfs, ino);
	ssize_t ret;

	if (!vn)
		return -ESTALE;
	ret = vn->fs->ops->readlink ?
		vn->fs->ops->readlink(vn->fs, vn, cred, buf, size) : -EINVAL;
	mn_vnode_put(vfs, vn);
	return ret;
}

/* Owner, group and setgid of a new node in a directory with attrs dst. */
static void new_attr(const struct mn_vfs_cred *cred, const struct stat *dst,
		     mode_t mode, struct mn_fs_newattr *na)
{
	na->mode = mode;
	na->uid = cred->uid;
	na->gid = cred->gid;
	na->rdev = 0;
	if (dst->st_mode & S_ISGID) {
		na->gid = dst->st_gid;
		if (S_ISDIR(mode))
			na->mode |= S_ISGID;
	}
}

enum mk_kind { MK_NOD, MK_DIR, MK_LNK };

/*
 * Regular files and FIFOs are every file system's to make; sockets and
 * devices only where the file system says it keeps them (mknod_types):
 * a unix socket's inode must stay that node for as long as the kernel
 * binds to it, and a storage file system that kept a socket as something
 * else would break the kernel's entry check.
 */
static int mknod_allowed(const struct mn_fs *fs, mode_t mode)
{
	unsigned want = S_ISREG(mode) || S_ISFIFO(mode) ? 0 :
			S_ISSOCK(mode) ? MN_FS_NOD_SOCK :
			S_ISCHR(mode) || S_ISBLK(mode) ? MN_FS_NOD_DEV : ~0u;

	return fs->ops->mknod && (fs->ops->mknod_types & want) == want;
}

static int make(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		uint64_t parent, const char *name, mode_t mode,
		const char *target, dev_t rdev, enum mk_kind kind,
		struct mn_vfs_entry *out)
{
	struct mn_fs_newattr na;
	struct mn_fs_entry fe;
	struct mn_vnode *dir;
	struct stat dst;
	struct mn_fs *fs;
	int ret;

	ret = wdir_begin(vfs, cred, parent, name, &dir, &dst);
	if (ret < 0)
		return ret;
	fs = dir->fs;
	new_attr(cred, &dst, mode, &na);
	/* the mount is nodev: a device node stands for nothing of the
	   host's, it only keeps its number */
	if (S_ISCHR(mode) || S_ISBLK(mode))
		na.rdev = rdev;
	if (kind == MK_DIR)
		ret = fs->ops->mkdir ? fs->ops->mkdir(fs, dir, name, &na, &fe) :
			-EPERM;
	else if (kind == MK_LNK)
		ret = fs->ops->symlink ?
			fs->ops->symlink(fs, dir, name, target, &na, &fe) :
			-EPERM;
	else if (!mknod_allowed(fs, mode))
		ret = -EPERM;
	else
		ret = fs->ops->mknod(fs, dir, name, &na, &fe);
	if (ret == 0)
		ret = mn_vfs_install(vfs, fs, &fe, parent, name, cred, out,
				     NULL);
	if (ret == 0)
		mn_vfs_changed(vfs, cred, parent, name, 0, 0);
	mn_vnode_put(vfs, dir);
	return ret;
}

int mn_vfs_mknod(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		 uint64_t parent, const char *name, mode_t mode, dev_t rdev,
		 struct mn_vfs_entry *out)
{
	if ((mode & S_IFMT) == 0)
		mode |= S_IFREG;
	if (!S_ISREG(mode) && !S_ISFIFO(mode) && !S_ISSOCK(mode) &&
	    !S_ISCHR(mode) && !S_ISBLK(mode))
		return -EINVAL;
	/* a device node is a name and a number to the file system (the
	 * mounts are nodev); making one is root's, as CAP_MKNOD is */
	if ((S_ISCHR(mode) || S_ISBLK(mode)) && !mn_vfs_cred_root(cred))
		return -EPERM;
	return make(vfs, cred, parent, name, mode & (S_IFMT | 07777), NULL,
		    rdev, MK_NOD, out);
}

int mn_vfs_mkdir(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		 uint64_t parent, const char *name, mode_t mode,
		 struct mn_vfs_entry *out)
{
	return make(vfs, cred, parent, name, S_IFDIR | (mode & 07777), NULL,
		    0, MK_DIR, out);
}

int mn_vfs_symlink(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   const char *target, uint64_t parent, const char *name,
		   struct mn_vfs_entry *out)
{
	size_t len = target ? strnlen(target, MN_VFS_PATH_MAX) : 0;

	if (len == 0)
		return -ENOENT;
	if (len >= MN_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	return make(vfs, cred, parent, name, S_IFLNK | 0777, target, 0,
		    MK_LNK, out);
}

int mn_vfs_link(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		uint64_t ino, uint64_t newparent, const char *newname,
		struct mn_vfs_entry *out)
{
	struct mn_vnode *vn, *dir;
	struct mn_fs_entry fe;
	struct stat st, dst;
	int ret;

	vn = mn_vnode_get(vfs, ino);
	if (!vn)
		return -ESTALE;
	ret = wdir_begin(vfs, cred, newparent, newname, &dir, &dst);
	if (ret < 0)
		goto out_vn;
	ret = mn_vnode_getattr(vn, cred, &st);
	if (ret == 0 && S_ISDIR(st.st_mode))
		ret = -EPERM;
	if (ret == 0 && vn->fs != dir->fs)
		ret = -EXDEV;
	if (ret == 0)
		ret = dir->fs->ops->link ?
			dir->fs->ops->link(dir->fs, vn, dir, newname, &fe) :
			-EPERM;
	if (ret == 0)
		ret = mn_vfs_install(vfs, dir->fs, &fe, newparent, newname,
				     cred, out, NULL);
	if (ret == 0)	/* and its link count */
		mn_vfs_changed(vfs, cred, newparent, newname, ino, 0);
	mn_vnode_put(vfs, dir);
out_vn:
	mn_vnode_put(vfs, vn);
	return ret;
}

/*
 * What may be removed from (or replaced in) dir: not a mount point, and in
 * a sticky directory only by the owner of the file or the directory.
 * *vst gets the victim's attributes, st_ino its local inode number.
 */
static int victim_check(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			struct mn_vnode *dir, const struct stat *dst,
			const char *name, struct stat *vst)
{
	struct mn_fs_entry fe;
	int ret;

	ret = dir->fs->ops->lookup(dir->fs, dir, name, cred, &fe);
	if (ret < 0)
		return ret;
	*vst = fe.attr;
	vst->st_ino = fe.ino;
	if (mn_vfs_is_mountpoint(vfs, dir->fs, fe.ino))
		ret = -EBUSY;
	if (dir->fs->ops->put)
		dir->fs->ops->put(dir->fs, fe.priv);
	if (ret == 0 && (dst->st_mode & S_ISVTX) && !mn_vfs_cred_root(cred) &&
	    cred->uid != vst->st_uid && cred->uid != dst->st_uid)
		ret = -EPERM;
	return ret;
}

/* Reports name in dir and the file it named, by local ino (0: none). */
static void name_changed(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			 struct mn_vnode *dir, const char *name, uint64_t lino)
{
	uint64_t ino = 0;

	if (!mn_vfs_reporting(vfs, cred))
		return;
	if (lino)
		ino = mn_vfs_node_id(vfs, dir->fs, lino);
	mn_vfs_changed(vfs, cred, dir->id, name, ino, 0);
}

static int remove_name(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t parent, const char *name, int is_rmdir)
{
	struct mn_vnode *dir;
	struct stat dst, vst;
	int ret;

	ret = wdir_begin(vfs, cred, parent, name, &dir, &dst);
	if (ret < 0)
		return ret;
	ret = victim_check(vfs, cred, dir, &dst, name, &vst);
	if (ret == 0 && is_rmdir && !S_ISDIR(vst.st_mode))
		ret = -ENOTDIR;
	if (ret == 0 && !is_rmdir && S_ISDIR(vst.st_mode))
		ret = -EISDIR;
	if (ret == 0 && is_rmdir)
		ret = dir->fs->ops->rmdir ?
			dir->fs->ops->rmdir(dir->fs, dir, name) : -EPERM;
	else if (ret == 0)
		ret = dir->fs->ops->unlink ?
			dir->fs->ops->unlink(dir->fs, dir, name) : -EPERM;
	if (ret == 0)	/* the name, and the link count of its file */
		name_changed(vfs, cred, dir, name, vst.st_ino);
	mn_vnode_put(vfs, dir);
	return ret;
}

int mn_vfs_unlink(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t parent, const char *name)
{
	return remove_name(vfs, cred, parent, name, 0);
}

int mn_vfs_rmdir(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		 uint64_t parent, const char *name)
{
	return remove_name(vfs, cred, parent, name, 1);
}

/*
 * Permission part of rename; dirs are referenced and writable.  lino gets
 * the local inos of the file moved and of the one replaced (0: none).
 */
static int rename_check(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			struct mn_vnode *d1, const struct stat *s1,
			const char *name, struct mn_vnode *d2,
			const struct stat *s2, const char *newname,
			unsigned flags, uint64_t lino[2])
{
	struct stat vst, tst;
	int ret;

	lino[0] = lino[1] = 0;
	ret = victim_check(vfs, cred, d1, s1, name, &vst);
	if (ret < 0)
		return ret;
	lino[0] = vst.st_ino;
	/* moving a directory rewrites its "..": needs write on it */
	if (S_ISDIR(vst.st_mode) && d1 != d2 && !mn_vfs_cred_root(cred) &&
	    mn_vfs_perm(cred, &vst, W_OK) < 0)
		return -EACCES;
	ret = victim_check(vfs, cred, d2, s2, newname, &tst);
	if (ret == -ENOENT)
		return (flags & MN_RENAME_EXCHANGE) ? -ENOENT : 0;
	if (ret < 0)
		return ret;
	lino[1] = tst.st_ino;
	if (flags & MN_RENAME_NOREPLACE)
		return -EEXIST;
	if (flags & MN_RENAME_EXCHANGE)
		return 0;
	if (S_ISDIR(vst.st_mode) && !S_ISDIR(tst.st_mode))
		return -ENOTDIR;
	if (!S_ISDIR(vst.st_mode) && S_ISDIR(tst.st_mode))
		return -EISDIR;
	return 0;
}

int mn_vfs_rename(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t parent, const char *name, uint64_t newparent,
		  const char *newname, unsigned flags)
{
	struct mn_vnode *d1, *d2;
	struct stat s1, s2;
	uint64_t lino[2];
	int ret;

	if (flags & ~(unsigned)(MN_RENAME_NOREPLACE | MN_RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & MN_RENAME_NOREPLACE) && (flags & MN_RENAME_EXCHANGE))
		return -EINVAL;
	ret = wdir_begin(vfs, cred, parent, name, &d1, &s1);
	if (ret < 0)
		return ret;
	ret = wdir_begin(vfs, cred, newparent, newname, &d2, &s2);
	if (ret < 0)
		goto out1;
	ret = d1->fs == d2->fs ? 0 : -EXDEV;
	if (ret == 0)
		ret = rename_check(vfs, cred, d1, &s1, name, d2, &s2, newname,
				   flags, lino);
	if (ret == 0)
		ret = d1->fs->ops->rename ?
			d1->fs->ops->rename(d1->fs, d1, name, d2, newname,
					    flags) : -EPERM;
	if (ret == 0) {	/* both names; the files' ctime and link counts */
		name_changed(vfs, cred, d1, name, lino[0]);
		name_changed(vfs, cred, d2, newname, lino[1]);
	}
	mn_vnode_put(vfs, d2);
out1:
	mn_vnode_put(vfs, d1);
	return ret;
}

int mn_vfs_statfs(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t ino, struct statvfs *out)
{
	struct mn_vnode *vn = mn_vnode_get(vfs, ino);
	int ret = 0;

	(void)cred;
	if (!vn)
		return -ESTALE;
	memset(out, 0, sizeof(*out));
	out->f_bsize = out->f_frsize = 4096;
	out->f_namemax = MN_VFS_NAME_MAX;
	if (vn->fs->ops->statfs)
		ret = vn->fs->ops->statfs(vn->fs, vn, out);
	if (vn->fs->readonly)
		out->f_flag |= ST_RDONLY;
	mn_vnode_put(vfs, vn);
	return ret;
}

/* Reference + attributes + a permission mask for the xattr calls. */
static int xattr_begin(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       uint64_t ino, const char *name, int mask,
		       struct mn_vnode **out)
{
	struct mn_vnode *vn;
	struct stat st;
	int ret = 0;

	if (name && (!*name || strnlen(name, 256) > 255))
		return -ERANGE;
	vn = mn_vnode_get(vfs, ino);
	if (!vn)
		return -ESTALE;
	if (mask)
		ret = mn_vnode_getattr(vn, cred, &st);
	if (ret == 0 && mask)
		ret = mn_vfs_perm(cred, &st, mask);
	if (ret == 0 && (mask & W_OK) && vn->fs->readonly)
		ret = -EROFS;
	if (ret < 0) {
		mn_vnode_put(vfs, vn);
		return ret;
	}
	*out = vn;
	return 0;
}

int mn_vfs_setxattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		    uint64_t ino, const char *name, const void *value,
		    size_t size, int flags)
{
	struct mn_vnode *vn;
	int ret;

	if (size > MN_VFS_XATTR_MAX)
		return -E2BIG;
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	ret = xattr_begin(vfs, cred, ino, name, W_OK, &vn);
	if (ret < 0)
		return ret;
	ret = vn->fs->ops->setxattr ?
		vn->fs->ops->setxattr(vn->fs, vn, name, value, size, flags) :
		-EOPNOTSUPP;
	if (ret == 0)	/* ctime */
		mn_vfs_changed(vfs, cred, 0, NULL, ino, 0);
	mn_vnode_put(vfs, vn);
	return ret;
}

ssize_t mn_vfs_getxattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			uint64_t ino, const char *name, void *value,
			size_t size)
{
	struct mn_vnode *vn;
	ssize_t ret;

	/*
	 * Only "user." is stored: any other namespace is unsupported, as
	 * for set.  ENODATA would say "supported, none here", and ls -l
	 * would ask for security.selinux and the ACL of every file; told
	 * EOPNOTSUPP once, it stops asking for the whole file system.
	 */
	if (name && *name && strncmp(name, "user.", 5))
		return -EOPNOTSUPP;
	ret = xattr_begin(vfs, cred, ino, name, R_OK, &vn);
	if (ret < 0)
		return ret;
	ret = vn->fs->ops->getxattr ?
		vn->fs->ops->getxattr(vn->fs, vn, name, value, size) :
		-ENODATA;
	mn_vnode_put(vfs, vn);
	return ret;
}

ssize_t mn_vfs_listxattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			 uint64_t ino, char *list, size_t size)
{
	struct mn_vnode *vn;
	ssize_t ret;

	ret = xattr_begin(vfs, cred, ino, NULL, 0, &vn);
	if (ret < 0)
		return ret;
	ret = vn->fs->ops->listxattr ?
		vn->fs->ops->listxattr(vn->fs, vn, list, size) : 0;
	mn_vnode_put(vfs, vn);
	return ret;
}

int mn_vfs_removexattr(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       uint64_t ino, const char *name)
{
	struct mn_vnode *vn;
	int ret;

	ret = xattr_begin(vfs, cred, ino, name, W_OK, &vn);
	if (ret < 0)
		return ret;
	ret = vn->fs->ops->removexattr ?
		vn->fs->ops->removexattr(vn->fs, vn, name) : -ENODATA;
	if (ret == 0)
		mn_vfs_changed(vfs, cred, 0, NULL, ino, 0);
	mn_vnode_put(vfs, vn);
	return ret;
}

int mn_vfs_access(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		  uint64_t ino, int mask)
{
	struct mn_vnode *vn = mn_vnode_get(vfs, ino);
	struct stat st;
	int ret;

	if (!vn)
		return -ESTALE;
	ret = mn_vnode_getattr(vn, cred, &st);
	if (ret == 0 && mask != F_OK)
		ret = mn_vfs_perm(cred, &st, mask);
	if (ret == 0 && (mask & W_OK) && vn->fs->readonly &&
	    !S_ISREG(st.st_mode))
		ret = -EROFS;
	mn_vnode_put(vfs, vn);
	return ret;
}
