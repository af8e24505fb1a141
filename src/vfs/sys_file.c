/*
 * sys_file.c - the file group of the base syscall table (syscall.h):
 * open (2000), close (2001), read (2002), write (2003), lseek (2004).
 *
 * As xv6's sysfile.c: each handler only checks and unpacks its arguments
 * and calls the VFS (vfs.h); the descriptor tables live here.  A table per
 * MicronOS process maps small integers to open files; the offset lives in
 * the open file itself, so descriptors copied by fork share it, as in Unix.
 * Relative paths start at the process's cwd from the process table.
 *
 * Locking: one mutex guards the list of tables and every table.  It is
 * never held across a VFS call: a handler takes a reference on the open
 * file (mn_vfs_file_get) under the lock, drops the lock, then does I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/syscall.h>

#include "vfs_i.h"

#define IO_MAX (64u << 20)	/* bytes per read/write call */

struct fdtab {
	int32_t pid;
	int count;
	struct mn_vfs_file *fd[MN_VFS_FDS_MAX];
	struct fdtab *next;
};

struct mn_sysfiles {
	struct mn_vfs *vfs;
	pthread_mutex_t lock;
	struct fdtab *tabs;	/* protected by lock */
};

int mn_sysfiles_create(struct mn_sysfiles **out, struct mn_vfs *vfs)
{
	struct mn_sysfiles *sf = calloc(1, sizeof(*sf));

	if (!sf)
		return -ENOMEM;
	sf->vfs = vfs;
	pthread_mutex_init(&sf->lock, NULL);
	*out = sf;
	return 0;
}

static void tab_free(struct fdtab *t)
{
	int i;

	for (i = 0; i < MN_VFS_FDS_MAX; i++)
		mn_vfs_release(t->fd[i]);
	free(t);
}

void mn_sysfiles_destroy(struct mn_sysfiles *sf)
{
	struct fdtab *t, *next;

	if (!sf)
		return;
	for (t = sf->tabs; t; t = next) {
		next = t->next;
		tab_free(t);
	}
	pthread_mutex_destroy(&sf->lock);
	free(sf);
}

/* The table of pid (lock held); created if `create`. */
static struct fdtab *tab_of(struct mn_sysfiles *sf, int32_t pid, int create)
{
	struct fdtab *t;

	for (t = sf->tabs; t; t = t->next)
		if (t->pid == pid)
			return t;
	if (!create || !(t = calloc(1, sizeof(*t))))
		return NULL;
	t->pid = pid;
	t->next = sf->tabs;
	sf->tabs = t;
	return t;
}

/* The open file behind fd with a reference, or NULL. */
static struct mn_vfs_file *fd_get(struct mn_sysfiles *sf, int32_t pid,
				  uint64_t fd)
{
	struct mn_vfs_file *f = NULL;
	struct fdtab *t;

	if (fd >= MN_VFS_FDS_MAX)
		return NULL;
	pthread_mutex_lock(&sf->lock);
	t = tab_of(sf, pid, 0);
	if (t && (f = t->fd[fd]))
		mn_vfs_file_get(f);
	pthread_mutex_unlock(&sf->lock);
	return f;
}

static void cred_of(const struct mn_sysctx *ctx, struct mn_vfs_cred *cred)
{
	memset(cred, 0, sizeof(*cred));
	cred->uid = ctx->uid;
	cred->gid = ctx->gid;
	cred->pid = ctx->pid;
}

static long sys_open(struct mn_sysctx *ctx, const uint64_t args[6],
		     void *data)
{
	struct mn_sysfiles *sf = data;
	const char *path = (const char *)(uintptr_t)args[0];
	char cwd[MN_VFS_PATH_MAX] = "/";
	struct mn_vfs_cred cred;
	struct mn_vfs_file *f;
	struct fdtab *t;
	long ret;
	int fd;

	if (!path)
		return mn_sysctx_fail(ctx, -EFAULT, "open: no path");
	if (strnlen(path, MN_VFS_PATH_MAX) >= MN_VFS_PATH_MAX)
		return mn_sysctx_fail(ctx, -ENAMETOOLONG,
				      "open: path too long");
	if (ctx->procs && path[0] != '/')
		mn_proc_get_cwd(ctx->procs, ctx->pid, cwd, sizeof(cwd));
	cred_of(ctx, &cred);
	ret = mn_vfs_open_path(sf->vfs, &cred, cwd, path, (int)args[1],
			       (mode_t)(args[2] & 07777), &f);
	if (ret < 0)
		return mn_sysctx_fail(ctx, ret, "open: %.100s", path);
	pthread_mutex_lock(&sf->lock);
	t = tab_of(sf, ctx->pid, 1);
	for (fd = 0; t && fd < MN_VFS_FDS_MAX && t->fd[fd]; fd++)
		;
	if (t && fd < MN_VFS_FDS_MAX) {
		t->fd[fd] = f;
		t->count++;
		f = NULL;
	}
	pthread_mutex_unlock(&sf->lock);
	if (f) {
		mn_vfs_release(f);
		return mn_sysctx_fail(ctx, t ? -EMFILE : -ENOMEM,
				      "open: too many open files");
	}
	return fd;
}

static long sys_close(struct mn_sysctx *ctx, const uint64_t args[6],
		      void *data)
{
	struct mn_sysfiles *sf = data;
	struct mn_vfs_file *f = NULL;
	struct fdtab *t;

	pthread_mutex_lock(&sf->lock);
	t = tab_of(sf, ctx->pid, 0);
	if (t && args[0] < MN_VFS_FDS_MAX && (f = t->fd[args[0]])) {
		t->fd[args[0]] = NULL;
		t->count--;
	}
	pthread_mutex_unlock(&sf->lock);
	if (!f)
		return mn_sysctx_fail(ctx, -EBADF, "close: bad fd %llu",
				      (unsigned long long)args[0]);
	mn_vfs_flush(f);
	mn_vfs_release(f);
	return 0;
}

static long sys_read(struct mn_sysctx *ctx, const uint64_t args[6],
		     void *data)
{
	struct mn_vfs_file *f = fd_get(data, ctx->pid, args[0]);
	void *buf = (void *)(uintptr_t)args[1];
	size_t size = args[2] > IO_MAX ? IO_MAX : (size_t)args[2];
	long ret;

	if (!f)
		return mn_sysctx_fail(ctx, -EBADF, "read: bad fd");
	if (!buf && size)
		ret = -EFAULT;
	else if (mn_vfs_file_flags(f) & O_NONBLOCK)
		ret = mn_vfs_read(f, buf, size, (off_t)atomic_load(&f->pos));
	else
		ret = mn_vfs_read_wait(f, buf, size,
				       (off_t)atomic_load(&f->pos), -1);
	if (ret > 0)
		atomic_fetch_add(&f->pos, ret);
	mn_vfs_release(f);
	return ret < 0 ? mn_sysctx_fail(ctx, ret, "read failed") : ret;
}

static long sys_write(struct mn_sysctx *ctx, const uint64_t args[6],
		      void *data)
{
	struct mn_sysfiles *sf = data;
	struct mn_vfs_file *f = fd_get(sf, ctx->pid, args[0]);
	const void *buf = (const void *)(uintptr_t)args[1];
	size_t size = args[2] > IO_MAX ? IO_MAX : (size_t)args[2];
	struct stat st;
	long ret;

	if (!f)
		return mn_sysctx_fail(ctx, -EBADF, "write: bad fd");
	if (!buf && size)
		ret = -EFAULT;
	else
		ret = mn_vfs_write(f, buf, size, (off_t)atomic_load(&f->pos));
	if (ret > 0 && (mn_vfs_file_flags(f) & O_APPEND) &&
	    mn_vnode_getattr(f->vn, &mn_vfs_cred_kernel, &st) == 0)
		atomic_store(&f->pos, st.st_size);
	else if (ret > 0)
		atomic_fetch_add(&f->pos, ret);
	mn_vfs_release(f);
	return ret < 0 ? mn_sysctx_fail(ctx, ret, "write failed") : ret;
}

static long sys_lseek(struct mn_sysctx *ctx, const uint64_t args[6],
		      void *data)
{
	struct mn_vfs_file *f = fd_get(data, ctx->pid, args[0]);
	int64_t off = (int64_t)args[1], base = 0;
	struct stat st;
	long ret = 0;

	if (!f)
		return mn_sysctx_fail(ctx, -EBADF, "lseek: bad fd");
	if (mn_vfs_file_open_flags(f) & (MN_VFS_FOPEN_NONSEEKABLE |
					 MN_VFS_FOPEN_STREAM))
		ret = -ESPIPE;
	else if (args[2] == SEEK_CUR)
		base = atomic_load(&f->pos);
	else if (args[2] == SEEK_END)
		ret = mn_vnode_getattr(f->vn, &mn_vfs_cred_kernel, &st);
	else if (args[2] != SEEK_SET)
		ret = -EINVAL;
	if (ret == 0 && args[2] == SEEK_END)
		base = st.st_size;
	if (ret == 0 && (base + off < 0 || (off > 0 && base + off < base)))
		ret = -EINVAL;
	if (ret == 0) {
		atomic_store(&f->pos, base + off);
		ret = (long)(base + off);
	}
	mn_vfs_release(f);
	return ret < 0 ? mn_sysctx_fail(ctx, ret, "lseek failed") : ret;
}

int mn_sysfiles_wire(struct mn_kernel *k, struct mn_sysfiles *sf)
{
	static const struct {
		uint32_t nr;
		mn_syscall_fn *fn;
	} rows[] = {
		{MN_SYS_OPEN, sys_open},
		{MN_SYS_CLOSE, sys_close},
		{MN_SYS_READ, sys_read},
		{MN_SYS_WRITE, sys_write},
		{MN_SYS_LSEEK, sys_lseek},
	};
	struct mn_syscalls *s = k ? mn_kernel_syscalls(k) : NULL;
	size_t i;
	int ret = 0;

	for (i = 0; s && i < sizeof(rows) / sizeof(rows[0]); i++) {
		int r = mn_syscall_register(s, rows[i].nr,
					    sf ? rows[i].fn : NULL, sf);

		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

static struct mn_sysfiles *sysfiles_of(struct mn_kernel *k)
{
	struct mn_vfs *vfs = k ? mn_vfs_of(k) : NULL;

	return vfs ? mn_vfs_sysfiles(vfs) : NULL;
}

void mn_vfs_proc_exit(struct mn_kernel *k, int32_t pid)
{
	struct mn_sysfiles *sf = sysfiles_of(k);
	struct fdtab **pp, *t = NULL;

	if (!sf)
		return;
	pthread_mutex_lock(&sf->lock);
	for (pp = &sf->tabs; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid) {
			t = *pp;
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&sf->lock);
	if (t)
		tab_free(t);
}

int mn_vfs_proc_fork(struct mn_kernel *k, int32_t parent, int32_t child)
{
	struct mn_sysfiles *sf = sysfiles_of(k);
	struct fdtab *p, *c;
	int i, ret = 0;

	if (!sf)
		return 0;
	pthread_mutex_lock(&sf->lock);
	p = tab_of(sf, parent, 0);
	c = p ? tab_of(sf, child, 1) : NULL;
	if (p && !c)
		ret = -ENOMEM;
	for (i = 0; c && i < MN_VFS_FDS_MAX; i++) {
		if (!p->fd[i] || c->fd[i])
			continue;
		mn_vfs_file_get(p->fd[i]);
		c->fd[i] = p->fd[i];
		c->count++;
	}
	pthread_mutex_unlock(&sf->lock);
	return ret;
}

int mn_vfs_proc_fds(struct mn_kernel *k, int32_t pid,
		    int (*emit)(void *arg, int fd, const char *path),
		    void *arg)
{
	struct mn_sysfiles *sf = sysfiles_of(k);
	struct mn_vfs_file *f;
	int fd, n = 0;

	if (!sf)
		return 0;
	for (fd = 0; fd < MN_VFS_FDS_MAX; fd++) {
		f = fd_get(sf, pid, (uint64_t)fd);
		if (!f)
			continue;
		n++;
		if (emit(arg, fd, mn_vfs_file_path(f))) {
			mn_vfs_release(f);
			break;
		}
		mn_vfs_release(f);
	}
	return n;
}
