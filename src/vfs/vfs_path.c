/*
 * vfs_path.c - path resolution and the path API.
 *
 * A path is walked one component at a time through mn_vfs_lookup(), which
 * checks search permission, handles "." and "..", and crosses mount
 * points; this file adds what only paths have: a starting point (root or
 * the caller's cwd), symlinks (expanded in place into the rest of the path,
 * at most MN_VFS_SYMLOOP_MAX per resolution, then -ELOOP), trailing
 * slashes, and the O_CREAT family of open.  The walk holds exactly one
 * lookup on the current directory and gives it back as it moves, so a
 * resolution leaves the lookup counts as it found them except for the one
 * it returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfs_i.h"

/* Starting point of a walk: root, or cwd for a relative path. */
static int walk_start(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path,
		      struct mn_vfs_entry *cur)
{
	struct mn_vnode *root;
	int ret;

	if (path[0] != '/' && cwd && strcmp(cwd, "/") != 0) {
		if (cwd[0] != '/')
			return -EINVAL;
		return mn_vfs_resolve(vfs, cred, NULL, cwd, 0, cur);
	}
	root = mn_vnode_get(vfs, MN_VFS_ROOT_INO);
	if (!root)
		return -ESTALE;
	ret = mn_vfs_entry_of(vfs, root, cred, cur);
	mn_vnode_put(vfs, root);
	return ret;
}

/* Splices a symlink's target in front of the rest of the walk. */
static int splice_link(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       uint64_t ino, char *buf, size_t bufsz, const char *rest)
{
	char *tmp = malloc(MN_VFS_PATH_MAX);
	ssize_t n;
	int ret = 0;

	if (!tmp)
		return -ENOMEM;
	n = mn_vfs_readlink(vfs, cred, ino, tmp, MN_VFS_PATH_MAX - 1);
	if (n < 0)
		ret = (int)n;
	else if (n == 0)
		ret = -ENOENT;
	if (ret == 0) {
		tmp[n] = '\0';
		if ((size_t)snprintf(buf, bufsz, "%s%s%s", tmp,
				     *rest ? "/" : "", rest) >= bufsz)
			ret = -ENAMETOOLONG;
	}
	free(tmp);
	return ret;
}

/* Walks path from cur (lookup held; replaced by the result). */
static int walk(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		const char *path, int flags, struct mn_vfs_entry *cur)
{
	size_t bufsz = 2 * MN_VFS_PATH_MAX;
	char *buf = malloc(bufsz), *rest = malloc(bufsz);
	char name[MN_VFS_NAME_MAX + 1];
	int ret = 0, links = 0, dir_slash;

	if (!buf || !rest) {
		ret = -ENOMEM;
		goto out;
	}
	snprintf(buf, bufsz, "%s", path);
	while (ret == 0) {
		struct mn_vfs_entry e;
		char *p = buf, *s;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = strchr(p, '/');
		len = s ? (size_t)(s - p) : strlen(p);
		if (len > MN_VFS_NAME_MAX) {
			ret = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		dir_slash = *p == '/';
		while (*p == '/')
			p++;
		if (!S_ISDIR(cur->attr.st_mode)) {
			ret = -ENOTDIR;
			break;
		}
		ret = mn_vfs_lookup(vfs, cred, cur->ino, name, &e);
		if (ret < 0)
			break;
		if (S_ISLNK(e.attr.st_mode) &&
		    (*p || dir_slash || !(flags & MN_VFS_NOFOLLOW))) {
			if (++links > MN_VFS_SYMLOOP_MAX)
				ret = -ELOOP;
			else
				ret = splice_link(vfs, cred, e.ino, rest, bufsz,
						  dir_slash && !*p ? "." : p);
			mn_vfs_forget(vfs, e.ino, 1);
			if (ret == 0 && rest[0] == '/') {
				mn_vfs_forget(vfs, cur->ino, 1);
				ret = walk_start(vfs, cred, NULL, "/", cur);
			}
			if (ret == 0)
				memcpy(buf, rest, strlen(rest) + 1);
			continue;
		}
		mn_vfs_forget(vfs, cur->ino, 1);
		*cur = e;
		if (dir_slash && !*p && !S_ISDIR(e.attr.st_mode))
			ret = -ENOTDIR;
		else
			memmove(buf, p, strlen(p) + 1);
	}
out:
	free(buf);
	free(rest);
	return ret;
}

int mn_vfs_resolve(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		   const char *cwd, const char *path, int flags,
		   struct mn_vfs_entry *out)
{
	struct mn_vfs_entry cur;
	int ret;

	if (!path || !*path)
		return -ENOENT;
	if (strnlen(path, MN_VFS_PATH_MAX) >= MN_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	ret = walk_start(vfs, cred, cwd, path, &cur);
	if (ret < 0)
		return ret;
	ret = walk(vfs, cred, path, flags, &cur);
	if (ret < 0) {
		mn_vfs_forget(vfs, cur.ino, 1);
		return ret;
	}
	*out = cur;
	return 0;
}

int mn_vfs_resolve_parent(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			  const char *cwd, const char *path, uint64_t *parent,
			  char *name, int *must_dir)
{
	char *dir = NULL;
	struct mn_vfs_entry e;
	size_t len, i;
	int ret;

	if (!path || !*path)
		return -ENOENT;
	len = strnlen(path, MN_VFS_PATH_MAX);
	if (len >= MN_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	while (len > 1 && dir[len - 1] == '/')
		dir[--len] = '\0';
	if (must_dir)
		*must_dir = len < strlen(path);
	for (i = len; i > 0 && dir[i - 1] != '/'; i--)
		;
	if (len - i > MN_VFS_NAME_MAX) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	memcpy(name, dir + i, len - i + 1);
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		ret = -EINVAL;
		goto out;
	}
	if (i == 0)
		snprintf(dir, len + 1, ".");
	else
		dir[i > 1 ? i - 1 : 1] = '\0';
	ret = mn_vfs_resolve(vfs, cred, cwd, dir, 0, &e);
	if (ret == 0 && !S_ISDIR(e.attr.st_mode)) {
		mn_vfs_forget(vfs, e.ino, 1);
		ret = -ENOTDIR;
	}
	if (ret == 0)
		*parent = e.ino;
out:
	free(dir);
	return ret;
}

/* Opens an existing node found at parent/name (lookup held in e). */
static int open_found(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path, int flags,
		      struct mn_vfs_entry *e, struct mn_vfs_file **out)
{
	int ret;

	if (flags & O_EXCL)
		return -EEXIST;
	if (S_ISLNK(e->attr.st_mode)) {
		struct mn_vfs_entry t;

		if (flags & O_NOFOLLOW)
			return -ELOOP;
		ret = mn_vfs_resolve(vfs, cred, cwd, path, 0, &t);
		if (ret < 0)
			return ret;
		ret = mn_vfs_open(vfs, cred, t.ino, flags, out);
		mn_vfs_forget(vfs, t.ino, 1);
		return ret;
	}
	return mn_vfs_open(vfs, cred, e->ino, flags, out);
}

static int open_creat(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path, int flags,
		      mode_t mode, struct mn_vfs_file **out)
{
	char name[MN_VFS_NAME_MAX + 1];
	struct mn_vfs_entry e;
	uint64_t parent;
	int ret, must_dir;

	ret = mn_vfs_resolve_parent(vfs, cred, cwd, path, &parent, name,
				    &must_dir);
	if (ret < 0)
		return ret;
	ret = mn_vfs_lookup(vfs, cred, parent, name, &e);
	if (ret == 0) {
		ret = open_found(vfs, cred, cwd, path, flags, &e, out);
		mn_vfs_forget(vfs, e.ino, 1);
	} else if (ret == -ENOENT && must_dir) {
		ret = -EISDIR;
	} else if (ret == -ENOENT) {
		ret = mn_vfs_create_open(vfs, cred, parent, name, mode, flags,
					 &e, out);
		if (ret == 0)
			mn_vfs_forget(vfs, e.ino, 1);
	}
	mn_vfs_forget(vfs, parent, 1);
	return ret;
}

/* Remembers the path a file was opened by (absolute). */
static void set_path(struct mn_vfs_file *f, const char *cwd, const char *path)
{
	size_t n = strlen(path) + (cwd ? strlen(cwd) : 0) + 2;
	char *p = malloc(n);

	if (!p)
		return;
	if (path[0] == '/' || !cwd)
		snprintf(p, n, "%s", path);
	else
		snprintf(p, n, "%s%s%s", cwd,
			 cwd[strlen(cwd) - 1] == '/' ? "" : "/", path);
	free(f->path);
	f->path = p;
}

int mn_vfs_open_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		     const char *cwd, const char *path, int flags, mode_t mode,
		     struct mn_vfs_file **out)
{
	struct mn_vfs_entry e;
	int ret;

	if (flags & O_CREAT) {
		ret = open_creat(vfs, cred, cwd, path, flags, mode, out);
	} else {
		ret = mn_vfs_resolve(vfs, cred, cwd, path,
				     (flags & O_NOFOLLOW) ? MN_VFS_NOFOLLOW : 0,
				     &e);
		if (ret < 0)
			return ret;
		ret = S_ISLNK(e.attr.st_mode) ? -ELOOP :
			mn_vfs_open(vfs, cred, e.ino, flags, out);
		mn_vfs_forget(vfs, e.ino, 1);
	}
	if (ret == 0)
		set_path(*out, cwd, path);
	return ret;
}

int mn_vfs_stat_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		     const char *cwd, const char *path, int flags,
		     struct stat *out)
{
	struct mn_vfs_entry e;
	int ret = mn_vfs_resolve(vfs, cred, cwd, path, flags, &e);

	if (ret < 0)
		return ret;
	*out = e.attr;
	mn_vfs_forget(vfs, e.ino, 1);
	return 0;
}

/*
 * Creates the last component of path in its parent: a directory of mode
 * `mode`, or a symlink to `target` when that is not NULL.  "/", "x/." and
 * "x/.." resolve to no new name: they exist (-EEXIST).
 */
static int create_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       const char *cwd, const char *path, mode_t mode,
		       const char *target)
{
	char name[MN_VFS_NAME_MAX + 1];
	struct mn_vfs_entry e;
	uint64_t parent;
	int ret;

	ret = mn_vfs_resolve_parent(vfs, cred, cwd, path, &parent, name, NULL);
	if (ret == -EINVAL)
		return -EEXIST;
	if (ret < 0)
		return ret;
	if (target)
		ret = mn_vfs_symlink(vfs, cred, target, parent, name, &e);
	else
		ret = mn_vfs_mkdir(vfs, cred, parent, name, mode, &e);
	if (ret == 0)
		mn_vfs_forget(vfs, e.ino, 1);
	mn_vfs_forget(vfs, parent, 1);
	return ret;
}

int mn_vfs_mkdir_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path, mode_t mode)
{
	return create_path(vfs, cred, cwd, path, mode, NULL);
}

static int remove_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       const char *cwd, const char *path, int is_dir)
{
	char name[MN_VFS_NAME_MAX + 1];
	uint64_t parent;
	int ret, must_dir;

	ret = mn_vfs_resolve_parent(vfs, cred, cwd, path, &parent, name,
				    &must_dir);
	if (ret == -EINVAL && is_dir)
		return -EBUSY;	/* rmdir "/" or "." */
	if (ret < 0)
		return ret;
	if (is_dir)
		ret = mn_vfs_rmdir(vfs, cred, parent, name);
	else if (must_dir)
		ret = -ENOTDIR;
	else
		ret = mn_vfs_unlink(vfs, cred, parent, name);
	mn_vfs_forget(vfs, parent, 1);
	return ret;
}

int mn_vfs_unlink_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       const char *cwd, const char *path)
{
	return remove_path(vfs, cred, cwd, path, 0);
}

int mn_vfs_rmdir_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path)
{
	return remove_path(vfs, cred, cwd, path, 1);
}

int mn_vfs_symlink_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
			const char *cwd, const char *target, const char *path)
{
	return target ? create_path(vfs, cred, cwd, path, 0, target) : -EINVAL;
}

int mn_vfs_rename_path(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		       const char *cwd, const char *from, const char *to)
{
	char n1[MN_VFS_NAME_MAX + 1], n2[MN_VFS_NAME_MAX + 1];
	uint64_t p1, p2;
	int ret;

	ret = mn_vfs_resolve_parent(vfs, cred, cwd, from, &p1, n1, NULL);
	if (ret < 0)
		return ret == -EINVAL ? -EBUSY : ret;
	ret = mn_vfs_resolve_parent(vfs, cred, cwd, to, &p2, n2, NULL);
	if (ret == 0) {
		ret = mn_vfs_rename(vfs, cred, p1, n1, p2, n2, 0);
		mn_vfs_forget(vfs, p2, 1);
	} else if (ret == -EINVAL) {
		ret = -EBUSY;
	}
	mn_vfs_forget(vfs, p1, 1);
	return ret;
}

ssize_t mn_vfs_readlink_path(struct mn_vfs *vfs,
			     const struct mn_vfs_cred *cred, const char *cwd,
			     const char *path, char *buf, size_t size)
{
	struct mn_vfs_entry e;
	ssize_t ret = mn_vfs_resolve(vfs, cred, cwd, path, MN_VFS_NOFOLLOW,
				     &e);

	if (ret < 0)
		return ret;
	ret = mn_vfs_readlink(vfs, cred, e.ino, buf, size);
	mn_vfs_forget(vfs, e.ino, 1);
	return ret;
}

int mn_vfs_realpath(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		    const char *cwd, const char *path, char *out, size_t size)
{
	struct mn_vfs_entry e;
	int ret = mn_vfs_resolve(vfs, cred, cwd, path, 0, &e);

	if (ret < 0)
		return ret;
	if (!S_ISDIR(e.attr.st_mode))
		ret = -ENOTDIR;
	else
		ret = mn_vfs_perm(cred, &e.attr, X_OK);
	if (ret == 0)
		ret = mn_vfs_node_path(vfs, e.ino, out, size);
	mn_vfs_forget(vfs, e.ino, 1);
	return ret;
}

int mn_vfs_read_file(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		     const char *cwd, const char *path, size_t max,
		     struct mn_strbuf *out)
{
	struct mn_vfs_file *f;
	char buf[16384];
	off_t off = 0;
	ssize_t n;
	int ret;

	ret = mn_vfs_open_path(vfs, cred, cwd, path, O_RDONLY, 0, &f);
	if (ret < 0)
		return ret;
	while ((n = mn_vfs_read(f, buf, sizeof(buf), off)) > 0) {
		if ((size_t)off + (size_t)n > max) {
			n = -EFBIG;
			break;
		}
		mn_strbuf_add(out, buf, (size_t)n);
		off += n;
	}
	mn_vfs_release(f);
	if (n < 0)
		return (int)n;
	return mn_strbuf_error(out);
}

int mn_vfs_write_file(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		      const char *cwd, const char *path, const void *data,
		      size_t len, mode_t mode)
{
	struct mn_vfs_file *f;
	size_t done = 0;
	ssize_t n = 0;
	int ret;

	ret = mn_vfs_open_path(vfs, cred, cwd, path,
			       O_WRONLY | O_CREAT | O_TRUNC, mode, &f);
	if (ret < 0)
		return ret;
	while (done < len) {
		n = mn_vfs_write(f, (const char *)data + done, len - done,
				 (off_t)done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (n == 0 && done < len)
		n = -EIO;
	mn_vfs_release(f);
	return n < 0 ? (int)n : 0;
}
