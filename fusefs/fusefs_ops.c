/*
 * fusefs_ops - the FUSE request handlers that map one to one onto the VFS's
 * inode API, and the table libfuse dispatches through.
 *
 * Each handler builds the caller's credentials, makes one VFS call and
 * replies; a VFS error -E is replied as E.  Replies that hand the kernel a
 * lookup reference (entries, creates) check that the kernel took it: if the
 * request was interrupted meanwhile the reply fails, no forget will ever
 * come for it, so the lookup is given back here.  That keeps the VFS's
 * lookup counts exactly equal to the kernel's.
 *
 * The file ops (open, read, write, poll ...) live in fusefs_io.c; the
 * connection parameters are chosen in fusefs_init() at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fusefs_i.h"

#define FS(req) ((struct mn_fusefs *)fuse_req_userdata(req))

/* The setattr bits the VFS knows; they have FUSE's values (vfs.h). */
#define SETATTR_KNOWN                                                          \
	(MN_SETATTR_MODE | MN_SETATTR_UID | MN_SETATTR_GID | MN_SETATTR_SIZE | \
	 MN_SETATTR_ATIME | MN_SETATTR_MTIME | MN_SETATTR_ATIME_NOW |          \
	 MN_SETATTR_MTIME_NOW | MN_SETATTR_CTIME)

_Static_assert(MN_SETATTR_MODE == FUSE_SET_ATTR_MODE &&
		   MN_SETATTR_UID == FUSE_SET_ATTR_UID &&
		   MN_SETATTR_GID == FUSE_SET_ATTR_GID &&
		   MN_SETATTR_SIZE == FUSE_SET_ATTR_SIZE &&
		   MN_SETATTR_ATIME == FUSE_SET_ATTR_ATIME &&
		   MN_SETATTR_MTIME == FUSE_SET_ATTR_MTIME &&
		   MN_SETATTR_ATIME_NOW == FUSE_SET_ATTR_ATIME_NOW &&
		   MN_SETATTR_MTIME_NOW == FUSE_SET_ATTR_MTIME_NOW &&
		   MN_SETATTR_CTIME == FUSE_SET_ATTR_CTIME,
	       "vfs.h setattr bits must be FUSE's");
_Static_assert(MN_VFS_ROOT_INO == FUSE_ROOT_ID, "root node id");

static void reply_rc(fuse_req_t req, int rc)
{
	fuse_reply_err(req, rc < 0 ? -rc : 0);
}

void fusefs_reply_entry(struct mn_fusefs *fs, fuse_req_t req,
			const struct mn_vfs_entry *ve)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = ve->ino;
	e.generation = ve->generation;
	e.attr = ve->attr;
	e.attr_timeout = ve->attr_timeout;
	e.entry_timeout = ve->entry_timeout;
	fusefs_attr_out(fs, &e.attr);
	/* ino 0: a negative entry, no lookup to give back */
	if (fuse_reply_entry(req, &e) < 0 && ve->ino)
		mn_vfs_forget(fs->vfs, ve->ino, 1);
}

static void entry_or_err(fuse_req_t req, int rc, const struct mn_vfs_entry *e)
{
	if (rc < 0)
		reply_rc(req, rc);
	else
		fusefs_reply_entry(FS(req), req, e);
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct req_cred c;
	struct mn_vfs_entry e;
	int rc;

	fusefs_req_cred(FS(req), req, &c);
	rc = mn_vfs_lookup(FS(req)->vfs, &c.cred, parent, name, &e);
	/* A negative entry the kernel keeps: the next stat of a missing
	 * name (PATH searches, a build's probes) asks nobody. */
	if (rc == -ENOENT && e.entry_timeout > 0)
		rc = 0;
	entry_or_err(req, rc, &e);
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	mn_vfs_forget(FS(req)->vfs, ino, nlookup);
	fuse_reply_none(req);
}

static void ll_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		mn_vfs_forget(FS(req)->vfs, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct req_cred c;
	struct stat st;
	double timeout = 0;
	int rc;

	(void)fi;
	fusefs_req_cred(FS(req), req, &c);
	rc = mn_vfs_getattr(FS(req)->vfs, &c.cred, ino, &st, &timeout);
	if (rc < 0) {
		reply_rc(req, rc);
		return;
	}
	fusefs_attr_out(FS(req), &st);
	fuse_reply_attr(req, &st, timeout);
}

static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct mn_fusefs *fs = FS(req);
	struct mn_vfs_file *f = NULL;
	struct req_cred c;
	double timeout = 0;
	int rc;

	fusefs_req_cred(fs, req, &c);
	if (fi && fusefs_fh(fi) && !fusefs_fh(fi)->is_dir)
		f = fusefs_fh(fi)->f;
	/* Linux sends "now" as ATIME|ATIME_NOW; the VFS reads ATIME as an
	 * explicit time, which only the owner may set. */
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		to_set &= ~FUSE_SET_ATTR_ATIME;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		to_set &= ~FUSE_SET_ATTR_MTIME;
	if (to_set & FUSE_SET_ATTR_UID)
		attr->st_uid = fusefs_uid_in(fs, attr->st_uid);
	if (to_set & FUSE_SET_ATTR_GID)
		attr->st_gid = fusefs_gid_in(fs, attr->st_gid);
	rc = mn_vfs_setattr(fs->vfs, &c.cred, ino, attr, to_set & SETATTR_KNOWN,
			    f, &timeout);
	if (rc < 0) {
		reply_rc(req, rc);
		return;
	}
	fusefs_attr_out(fs, attr);
	fuse_reply_attr(req, attr, timeout);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct req_cred c;
	char buf[MN_VFS_PATH_MAX];
	ssize_t n;

	fusefs_req_cred(FS(req), req, &c);
	n = mn_vfs_readlink(FS(req)->vfs, &c.cred, ino, buf, sizeof(buf) - 1);
	if (n < 0) {
		reply_rc(req, (int)n);
		return;
	}
	buf[n] = '\0';
	fuse_reply_readlink(req, buf);
}

static void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct req_cred c;
	struct mn_vfs_entry e;
	int rc;

	fusefs_req_cred(FS(req), req, &c);
	rc = mn_vfs_mknod(FS(req)->vfs, &c.cred, parent, name, mode, rdev, &e);
	entry_or_err(req, rc, &e);
}

static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct req_cred c;
	struct mn_vfs_entry e;
	int rc;

	fusefs_req_cred(FS(req), req, &c);
	rc = mn_vfs_mkdir(FS(req)->vfs, &c.cred, parent, name, mode, &e);
	entry_or_err(req, rc, &e);
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct req_cred c;

	fusefs_req_cred(FS(req), req, &c);
	reply_rc(req, mn_vfs_unlink(FS(req)->vfs, &c.cred, parent, name));
}

static void ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct req_cred c;

	fusefs_req_cred(FS(req), req, &c);
	reply_rc(req, mn_vfs_rmdir(FS(req)->vfs, &c.cred, parent, name));
}

static void ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	struct req_cred c;
	struct mn_vfs_entry e;
	int rc;

	fusefs_req_cred(FS(req), req, &c);
	rc = mn_vfs_symlink(FS(req)->vfs, &c.cred, link, parent, name, &e);
	entry_or_err(req, rc, &e);
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct req_cred c;

	/* RENAME_WHITEOUT and future flags: not ours to half-do. */
	if (flags & ~(unsigned)(MN_RENAME_NOREPLACE | MN_RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fusefs_req_cred(FS(req), req, &c);
	reply_rc(req, mn_vfs_rename(FS(req)->vfs, &c.cred, parent, name,
				    newparent, newname, flags));
}

static void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct req_cred c;
	struct mn_vfs_entry e;
	int rc;

	fusefs_req_cred(FS(req), req, &c);
	rc = mn_vfs_link(FS(req)->vfs, &c.cred, ino, newparent, newname, &e);
	entry_or_err(req, rc, &e);
}

/* --- directories --------------------------------------------------------- */

struct dirbuf {
	fuse_req_t req;
	char *buf;
	size_t size, used;
	/* readdirplus: node ids handed out, to give back if the reply is
	 * lost */
	uint64_t *inos;
	size_t ninos, maxinos;
};

static int fill_dir(void *arg, const char *name, uint64_t st_ino,
		    unsigned dtype, off_t next)
{
	struct dirbuf *d = arg;
	struct stat st;
	size_t need;

	memset(&st, 0, sizeof(st));
	st.st_ino = st_ino;
	st.st_mode = (mode_t)dtype << 12; /* DT_* is S_IFMT >> 12 */
	need = fuse_add_direntry(d->req, d->buf + d->used, d->size - d->used,
				 name, &st, next);
	if (need > d->size - d->used)
		return 1; /* full: this entry is not consumed */
	d->used += need;
	return 0;
}

static int fill_dirplus(void *arg, const char *name,
			const struct mn_vfs_entry *ve, off_t next)
{
	struct dirbuf *d = arg;
	struct fuse_entry_param e;
	size_t need;

	memset(&e, 0, sizeof(e));
	e.ino = ve->ino;
	e.generation = ve->generation;
	e.attr = ve->attr;
	e.attr_timeout = ve->attr_timeout;
	e.entry_timeout = ve->entry_timeout;
	fusefs_attr_out(FS(d->req), &e.attr);
	need = fuse_add_direntry_plus(d->req, d->buf + d->used,
				      d->size - d->used, name, &e, next);
	if (need > d->size - d->used || (ve->ino && d->ninos >= d->maxinos))
		return 1; /* the VFS takes this entry's lookup back */
	d->used += need;
	if (ve->ino)
		d->inos[d->ninos++] = ve->ino;
	return 0;
}

/* A readdirplus entry without a lookup (node id 0): the kernel lists the
 * name and learns nothing else, as from a plain readdir. */
static int fill_dirplus_bare(void *arg, const char *name, uint64_t st_ino,
			     unsigned dtype, off_t next)
{
	struct dirbuf *d = arg;
	struct fuse_entry_param e;
	size_t need;

	memset(&e, 0, sizeof(e));
	e.attr.st_ino = st_ino;
	e.attr.st_mode = (mode_t)dtype << 12;
	need = fuse_add_direntry_plus(d->req, d->buf + d->used,
				      d->size - d->used, name, &e, next);
	if (need > d->size - d->used)
		return 1;
	d->used += need;
	return 0;
}

static void do_readdir(fuse_req_t req, size_t size, off_t off,
		       struct fuse_file_info *fi, int plus)
{
	struct fh *fh = fusefs_fh(fi);
	struct req_cred c;
	struct dirbuf d = {req, NULL, size, 0, NULL, 0, 0};
	size_t i;
	int rc;

	if (size > FUSEFS_IO_MAX)
		d.size = size = FUSEFS_IO_MAX;
	/* A direntplus is more than 128 bytes: this many fit at most. */
	d.maxinos = plus ? size / 128 + 1 : 0;
	d.buf = malloc(size ? size : 1);
	d.inos = plus ? calloc(d.maxinos, sizeof(*d.inos)) : NULL;
	if (!d.buf || (plus && !d.inos)) {
		fuse_reply_err(req, ENOMEM);
		goto out;
	}
	if (plus && off == 0) {
		/*
		 * The kernel asks for readdirplus on every first batch, then
		 * only if someone looked at the entries.  Looking each entry
		 * up (a storage lookup opens the host file) costs find(1) 5
		 * to 10 times more than it saves ls -l; so the first batch
		 * comes bare, and the kernel's heuristic decides the rest.
		 */
		rc = mn_vfs_readdir(fh->f, off, fill_dirplus_bare, &d);
	} else if (plus) {
		fusefs_req_cred(FS(req), req, &c);
		rc = mn_vfs_readdirplus(fh->f, &c.cred, off, fill_dirplus, &d);
	} else {
		rc = mn_vfs_readdir(fh->f, off, fill_dir, &d);
	}
	/*
	 * Entries already in the buffer are sent even if a later one failed:
	 * readdirplus entries carry lookups the kernel must get.
	 */
	if (rc < 0 && !d.used) {
		reply_rc(req, rc);
	} else if (fuse_reply_buf(req, d.buf, d.used) < 0) {
		for (i = 0; i < d.ninos; i++)
			mn_vfs_forget(FS(req)->vfs, d.inos[i], 1);
	}
out:
	free(d.inos);
	free(d.buf);
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)ino;
	do_readdir(req, size, off, fi, 0);
}

static void ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	do_readdir(req, size, off, fi, 1);
}

static void ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	(void)ino;
	reply_rc(req, mn_vfs_fsyncdir(fusefs_fh(fi)->f, datasync));
}

/* --- the rest ------------------------------------------------------------ */

static void ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct req_cred c;
	struct statvfs sv;
	int rc;

	fusefs_req_cred(FS(req), req, &c);
	rc = mn_vfs_statfs(FS(req)->vfs, &c.cred, ino, &sv);
	if (rc < 0)
		reply_rc(req, rc);
	else
		fuse_reply_statfs(req, &sv);
}

static void ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct req_cred c;

	fusefs_req_cred(FS(req), req, &c);
	reply_rc(req, mn_vfs_setxattr(FS(req)->vfs, &c.cred, ino, name, value,
				      size, flags));
}

/* getxattr and listxattr: size 0 asks for the size, else the value. */
static void reply_xattr(fuse_req_t req, size_t size,
			ssize_t (*get)(struct mn_fusefs *fs,
				       const struct mn_vfs_cred *cred,
				       fuse_ino_t ino, const char *name,
				       void *buf, size_t size),
			fuse_ino_t ino, const char *name)
{
	struct req_cred c;
	char *buf = NULL;
	ssize_t n;

	fusefs_req_cred(FS(req), req, &c);
	if (size > MN_VFS_XATTR_MAX)
		size = MN_VFS_XATTR_MAX;
	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = get(FS(req), &c.cred, ino, name, buf, size);
	if (n < 0)
		reply_rc(req, (int)n);
	else if (!size)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static ssize_t get_xattr(struct mn_fusefs *fs, const struct mn_vfs_cred *cred,
			 fuse_ino_t ino, const char *name, void *buf,
			 size_t size)
{
	return mn_vfs_getxattr(fs->vfs, cred, ino, name, buf, size);
}

static ssize_t list_xattr(struct mn_fusefs *fs, const struct mn_vfs_cred *cred,
			  fuse_ino_t ino, const char *name, void *buf,
			  size_t size)
{
	(void)name;
	return mn_vfs_listxattr(fs->vfs, cred, ino, buf, size);
}

static void ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	reply_xattr(req, size, get_xattr, ino, name);
}

static void ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	reply_xattr(req, size, list_xattr, ino, NULL);
}

static void ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct req_cred c;

	fusefs_req_cred(FS(req), req, &c);
	reply_rc(req, mn_vfs_removexattr(FS(req)->vfs, &c.cred, ino, name));
}

static void ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct req_cred c;

	fusefs_req_cred(FS(req), req, &c);
	reply_rc(req, mn_vfs_access(FS(req)->vfs, &c.cred, ino, mask));
}

/*
 * Connection parameters.  Big requests (1 MiB, the kernel's max_pages
 * limit) for throughput; splice for replies from storage's host fds;
 * no write-back cache (the VFS would see writes late and with the
 * kernel's credentials); the kernel clears setuid bits itself (the VFS
 * does not implement HANDLE_KILLPRIV); readdirplus when the kernel thinks
 * it pays.  No NO_OPEN_SUPPORT: the kernel applies it to every file of the
 * connection, and streams (events/stream) need their open state.
 */
static void fusefs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct mn_fusefs *fs = userdata;

	conn->max_write = FUSEFS_IO_MAX;
	conn->max_readahead = FUSEFS_IO_MAX;
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	conn->time_gran = 1;
	if (!(fs->flags & MN_FUSEFS_NO_SPLICE) &&
	    (conn->capable & FUSE_CAP_SPLICE_WRITE))
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (fs->flags & MN_FUSEFS_NO_READDIRPLUS)
		conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS |
					  FUSE_CAP_READDIRPLUS_AUTO);
	conn->want &=
	    ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_HANDLE_KILLPRIV |
			FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_MOVE |
			FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_CACHE_SYMLINKS);
}

const struct fuse_lowlevel_ops fusefs_ll_ops = {
    .init = fusefs_init,
    .lookup = ll_lookup,
    .forget = ll_forget,
    .forget_multi = ll_forget_multi,
    .getattr = ll_getattr,
    .setattr = ll_setattr,
    .readlink = ll_readlink,
    .mknod = ll_mknod,
    .mkdir = ll_mkdir,
    .unlink = ll_unlink,
    .rmdir = ll_rmdir,
    .symlink = ll_symlink,
    .rename = ll_rename,
    .link = ll_link,
    .open = fusefs_ll_open,
    .read = fusefs_ll_read,
    .write = fusefs_ll_write,
    .flush = fusefs_ll_flush,
    .release = fusefs_ll_release,
    .fsync = fusefs_ll_fsync,
    .opendir = fusefs_ll_opendir,
    .readdir = ll_readdir,
    .readdirplus = ll_readdirplus,
    .releasedir = fusefs_ll_releasedir,
    .fsyncdir = ll_fsyncdir,
    .statfs = ll_statfs,
    .setxattr = ll_setxattr,
    .getxattr = ll_getxattr,
    .listxattr = ll_listxattr,
    .removexattr = ll_removexattr,
    .access = ll_access,
    .create = fusefs_ll_create,
    .poll = fusefs_ll_poll,
};
