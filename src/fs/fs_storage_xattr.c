/*
 * fs_storage_xattr.c - storage's extended attributes: the "user."
 * namespace of each backing file, minus storage's own "user.micronos.*"
 * (the metadata of fs_storage_meta.c), which no caller may read, list or
 * change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs_storage_i.h"

static void procpath(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

static int xname_ok(const char *name)
{
	return strncmp(name, "user.", 5) == 0 && name[5] &&
	       strncmp(name, SHIDDEN_PREFIX, strlen(SHIDDEN_PREFIX)) != 0;
}

/*
 * Borrows vn's descriptor for an xattr call and fills pp with its path.
 * Linux keeps user.* xattrs to regular files and directories: so do we,
 * though every backing file could carry them.  *special tells the rest.
 */
static int xbegin(struct storage *s, struct mn_vnode *vn, char *pp,
		  size_t ppsz, int *special)
{
	int fd = snode_fd(s, SI(vn)), ret;
	struct smeta m;

	if (fd < 0)
		return fd;
	ret = smeta_get(s, SI(vn), fd, &m);
	if (ret < 0) {
		snode_fd_put(s, SI(vn));
		return ret;
	}
	*special = !S_ISREG(m.mode) && !S_ISDIR(m.mode);
	procpath(fd, pp, ppsz);
	return 0;
}

int sx_setxattr(struct mn_fs *fs, struct mn_vnode *vn, const char *name,
		      const void *value, size_t size, int flags)
{
	struct storage *s = ST(fs);
	int special, ret;
	char pp[64];

	if (!xname_ok(name))
		return -EOPNOTSUPP;
	ret = xbegin(s, vn, pp, sizeof(pp), &special);
	if (ret < 0)
		return ret;
	if (special)
		ret = -EPERM;
	else if (setxattr(pp, name, value, size, flags) < 0)
		ret = -errno;
	snode_fd_put(s, SI(vn));
	return ret;
}

ssize_t sx_getxattr(struct mn_fs *fs, struct mn_vnode *vn,
			  const char *name, void *value, size_t size)
{
	struct storage *s = ST(fs);
	int special;
	char pp[64];
	ssize_t n;

	if (!xname_ok(name))
		return -ENODATA;
	n = xbegin(s, vn, pp, sizeof(pp), &special);
	if (n < 0)
		return n;
	if (special)
		n = -ENODATA;
	else if ((n = getxattr(pp, name, value, size)) < 0)
		n = -errno;
	snode_fd_put(s, SI(vn));
	return n;
}

/* Copies the names xname_ok lets through from all[0..n) into list. */
static ssize_t xfilter(const char *all, ssize_t n, char *list, size_t size)
{
	const char *p;
	ssize_t need = 0;

	for (p = all; p < all + n; p += strlen(p) + 1) {
		size_t l = strlen(p) + 1;

		if (!xname_ok(p))
			continue;
		if (size && (size_t)need + l > size)
			return -ERANGE;
		if (size)
			memcpy(list + need, p, l);
		need += (ssize_t)l;
	}
	return need;
}

ssize_t sx_listxattr(struct mn_fs *fs, struct mn_vnode *vn, char *list,
			   size_t size)
{
	struct storage *s = ST(fs);
	char pp[64], *all = NULL;
	int special;
	ssize_t n;

	n = xbegin(s, vn, pp, sizeof(pp), &special);
	if (n < 0)
		return n;
	n = special ? 0 : listxattr(pp, NULL, 0);
	if (n > 0 && !(all = malloc((size_t)n)))
		n = -ENOMEM;
	else if (n > 0)
		n = listxattr(pp, all, (size_t)n);
	if (n < 0 && n != -ENOMEM)
		n = errno == ENOTSUP ? 0 : -errno;
	snode_fd_put(s, SI(vn));
	if (n > 0)
		n = xfilter(all, n, list, size);
	free(all);
	return n;
}

int sx_removexattr(struct mn_fs *fs, struct mn_vnode *vn,
			 const char *name)
{
	struct storage *s = ST(fs);
	int special, ret;
	char pp[64];

	if (!xname_ok(name))
		return -ENODATA;
	ret = xbegin(s, vn, pp, sizeof(pp), &special);
	if (ret < 0)
		return ret;
	if (special)
		ret = -EPERM;
	else if (removexattr(pp, name) < 0)
		ret = -errno;
	snode_fd_put(s, SI(vn));
	return ret;
}
