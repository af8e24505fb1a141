/*
 * shell_fs.c - the shell's filesystem group: ls, mkdir, create, cat, rm.
 *
 * The commands use the VFS's path API with the kernel's credentials, the
 * same calls the file syscalls make, so `ls /proc` here and `ls` on the
 * FUSE mount list the same nodes.  The shell has no working directory:
 * relative paths are taken from "/".  cat reads at most CAT_MAX bytes (a
 * device like /dev/zero never ends); bigger files are for the mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <micronos/kernel.h>
#include <micronos/vfs.h>

#include "shell_i.h"

#define CAT_MAX (1U << 20)
#define LS_MAX_ENTRIES 100000

static struct mn_vfs *need_vfs(struct mn_shell_ctx *c)
{
	struct mn_vfs *vfs = mn_vfs_of(c->k);

	if (!vfs)
		mn_shell_fail(c, "needs the VFS, which is not loaded in this "
			      "instance");
	return vfs;
}

static void mode_string(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p'
		 : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISSOCK(m) ? 's'
		 : '-';
	for (int i = 0; i < 9; i++)
		out[i + 1] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	out[10] = '\0';
}

struct ls_list {
	char **names;
	size_t n, cap;
	int oom;
};

static int ls_fill(void *arg, const char *name, uint64_t st_ino,
		   unsigned dtype, off_t next)
{
	struct ls_list *l = arg;

	(void)st_ino;
	(void)dtype;
	(void)next;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **names;

		if (cap > LS_MAX_ENTRIES)
			return 1;
		names = realloc(l->names, cap * sizeof(*names));
		if (!names) {
			l->oom = 1;
			return 1;
		}
		l->names = names;
		l->cap = cap;
	}
	l->names[l->n] = strdup(name);
	if (!l->names[l->n]) {
		l->oom = 1;
		return 1;
	}
	l->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One "MODE  UID  GID  SIZE  NAME[ -> TARGET]" row. */
static void ls_row(struct mn_shell_ctx *c, struct mn_vfs *vfs,
		   struct mn_texttable *t, const char *path, const char *name)
{
	const struct mn_vfs_cred *cr = &mn_vfs_cred_kernel;
	struct stat st;
	char mode[11], target[256];
	ssize_t n;

	(void)c;
	if (mn_vfs_stat_path(vfs, cr, "/", path, MN_VFS_NOFOLLOW, &st) < 0)
		memset(&st, 0, sizeof(st));
	mode_string(st.st_mode, mode);
	mn_texttable_cell(t, "%s", mode);
	mn_texttable_cell(t, "%u", (unsigned)st.st_uid);
	mn_texttable_cell(t, "%u", (unsigned)st.st_gid);
	mn_texttable_cell(t, "%lld", (long long)st.st_size);
	if (S_ISLNK(st.st_mode) &&
	    (n = mn_vfs_readlink_path(vfs, cr, "/", path, target,
				      sizeof(target) - 1)) >= 0) {
		target[n] = '\0';
		mn_texttable_cell(t, "%s -> %s", name, target);
	} else {
		mn_texttable_cell(t, "%s%s", name,
				  S_ISDIR(st.st_mode) ? "/" : "");
	}
}

static int ls_dir(struct mn_shell_ctx *c, struct mn_vfs *vfs,
		  const char *path, struct mn_vfs_file *dir)
{
	struct ls_list l = {0};
	struct mn_texttable t;
	int ret = mn_vfs_readdir(dir, 0, ls_fill, &l);

	if (ret == 0 && l.oom)
		ret = -ENOMEM;
	if (ret == 0) {
		if (l.n)
			qsort(l.names, l.n, sizeof(*l.names), by_name);
		mn_texttable_init_header(&t, "MODE|>UID|>GID|>SIZE|NAME");
		for (size_t i = 0; i < l.n; i++) {
			char *full = NULL;

			if (asprintf(&full, "%s%s%s", path,
				     path[strlen(path) - 1] == '/' ? "" : "/",
				     l.names[i]) < 0)
				continue;
			ls_row(c, vfs, &t, full, l.names[i]);
			free(full);
		}
		mn_texttable_print(&t, c->out);
		mn_shell_printf(c, "%zu entr%s\n", l.n, l.n == 1 ? "y" : "ies");
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.names[i]);
	free(l.names);
	return ret;
}

int mn_shell_cmd_ls(struct mn_shell_ctx *c, int argc, char **argv)
{
	const char *path = argc == 2 ? argv[1] : "/";
	struct mn_vfs *vfs = need_vfs(c);
	struct mn_vfs_file *dir;
	struct stat st;
	struct mn_texttable t;
	int ret;

	if (!vfs)
		return MN_SHELL_FAIL;
	ret = mn_vfs_stat_path(vfs, &mn_vfs_cred_kernel, "/", path, 0, &st);
	if (ret < 0)
		return mn_shell_errno(c, ret, path);
	if (!S_ISDIR(st.st_mode)) {
		mn_texttable_init_header(&t, "MODE|>UID|>GID|>SIZE|NAME");
		ls_row(c, vfs, &t, path, path);
		mn_texttable_print(&t, c->out);
		return MN_SHELL_OK;
	}
	ret = mn_vfs_open_path(vfs, &mn_vfs_cred_kernel, "/", path,
			       O_RDONLY | O_DIRECTORY, 0, &dir);
	if (ret < 0)
		return mn_shell_errno(c, ret, path);
	ret = ls_dir(c, vfs, path, dir);
	mn_vfs_releasedir(dir);
	if (ret < 0)
		return mn_shell_errno(c, ret, path);
	return MN_SHELL_OK;
}

int mn_shell_cmd_mkdir(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_vfs *vfs = need_vfs(c);
	int ret;

	(void)argc;
	if (!vfs)
		return MN_SHELL_FAIL;
	ret = mn_vfs_mkdir_path(vfs, &mn_vfs_cred_kernel, "/", argv[1], 0755);
	if (ret < 0)
		return mn_shell_errno(c, ret, argv[1]);
	return MN_SHELL_OK;
}

int mn_shell_cmd_create(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_strbuf text = MN_STRBUF_INIT;
	struct mn_vfs *vfs = need_vfs(c);
	struct mn_vfs_file *f;
	ssize_t n = 0;
	int ret;

	if (!vfs)
		return MN_SHELL_FAIL;
	for (int i = 2; i < argc; i++)
		mn_strbuf_printf(&text, "%s%s", i > 2 ? " " : "", argv[i]);
	if (argc > 2)
		mn_strbuf_putc(&text, '\n');
	ret = mn_vfs_open_path(vfs, &mn_vfs_cred_kernel, "/", argv[1],
			       O_WRONLY | O_CREAT | O_EXCL, 0644, &f);
	if (ret < 0) {
		mn_strbuf_release(&text);
		if (ret == -EEXIST)
			return mn_shell_fail(c, "%s already exists", argv[1]);
		return mn_shell_errno(c, ret, argv[1]);
	}
	if (text.len)
		n = mn_vfs_write(f, text.buf, text.len, 0);
	mn_vfs_release(f);
	mn_strbuf_release(&text);
	if (n < 0)
		return mn_shell_errno(c, (int)n, argv[1]);
	return MN_SHELL_OK;
}

int mn_shell_cmd_cat(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_vfs *vfs = need_vfs(c);
	struct mn_strbuf data = MN_STRBUF_INIT;
	int ret;

	(void)argc;
	if (!vfs)
		return MN_SHELL_FAIL;
	ret = mn_vfs_read_file(vfs, &mn_vfs_cred_kernel, "/", argv[1], CAT_MAX,
			       &data);
	if (ret == -EFBIG)
		ret = mn_shell_fail(c, "%s is larger than 1 MiB (or endless): "
				    "read it on the mount instead",
				    argv[1]);
	else if (ret < 0)
		ret = mn_shell_errno(c, ret, argv[1]);
	else
		ret = MN_SHELL_OK;
	if (ret == MN_SHELL_OK)
		mn_strbuf_add(c->out, data.buf, data.len);
	mn_strbuf_release(&data);
	return ret;
}

int mn_shell_cmd_rm(struct mn_shell_ctx *c, int argc, char **argv)
{
	const struct mn_vfs_cred *cr = &mn_vfs_cred_kernel;
	struct mn_vfs *vfs = need_vfs(c);
	struct stat st;
	int ret;

	(void)argc;
	if (!vfs)
		return MN_SHELL_FAIL;
	ret = mn_vfs_stat_path(vfs, cr, "/", argv[1], MN_VFS_NOFOLLOW, &st);
	if (ret == 0)
		ret = S_ISDIR(st.st_mode)
			      ? mn_vfs_rmdir_path(vfs, cr, "/", argv[1])
			      : mn_vfs_unlink_path(vfs, cr, "/", argv[1]);
	if (ret < 0)
		return mn_shell_errno(c, ret, argv[1]);
	return MN_SHELL_OK;
}
