/*
 * rootfs - the root a sandboxed program sees, assembled by init.
 *
 * Runs in the namespace's init (pid 1, root of the new user namespace, in
 * the new mount namespace) before anything else is started.
 *
 * With MicronOS's tree (cfg->root_dir, its FUSE mount: a running instance
 * with --mount) the root IS the tree, bound onto the staging directory:
 * /proc, /sys, /events, /health, /tmp, /home, /root, /var and the rest of
 * storage are MicronOS's, reached through FUSE.  Over it go read-only
 * binds of the host's system directories (their mount points are created
 * in the tree once: /usr, /opt, the /bin and /lib* links), a private /etc
 * (etc_tree: MicronOS's passwd, group, hostname, hosts and os-release, and
 * links to the host's other entries), the namespace's own procfs at
 * /.micronos/proc (the magic links /dev/fd and /dev/stdin point there:
 * FUSE cannot fake them),
 * a tmpfs /dev (the host's device nodes, or MicronOS's device files with
 * MN_SANDBOX_ROOT_DEV), a private devpts and /dev/shm, and a tmpfs /run.
 * The root stays writable where MicronOS's permissions allow.
 *
 * Without it (a throwaway instance), the root is a fresh tmpfs on a
 * staging directory with:
 *   - read-only, nosuid binds of the host's system directories (/usr,
 *     /opt and the /bin, /lib* links or directories, as the host has them);
 *   - the same private /etc, MicronOS's files rendered by fs_etc.c;
 *   - a procfs of the new pid namespace (its pids are MicronOS pids);
 *   - a minimal /dev: the host's null, zero, full, random, urandom and tty
 *     nodes bound in, a private devpts, /dev/shm;
 *   - private tmpfs /tmp, /var, /run, /home (with the default user's home)
 *     and /root;
 *   - the user's --bind/--ro-bind directories, whose targets are created
 *     component by component without following symlinks or "..";
 * then the root itself is made read-only and pivot_root'ed into.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox_i.h"

#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#define SBX_MOUNT_ATTR_RDONLY 0x1
#define SBX_MOUNT_ATTR_NOSUID 0x2
#define SBX_MOUNT_ATTR_NODEV 0x4
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

struct sbx_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct rfs {
	const struct sbx_world_cfg *cfg;
	char *err;
	size_t errsz;
	const char *proc;	/* where the namespace's procfs is, inside */
	char path[SBX_MAX_PATH];
};

static int fail(struct rfs *r, int e, const char *what, const char *path)
{
	snprintf(r->err, r->errsz, "%s %s: %s", what, path ? path : "",
		 strerror(e));
	return -e;
}

/* r->path = stage + rel */
static const char *at(struct rfs *r, const char *rel)
{
	snprintf(r->path, sizeof(r->path), "%s%s", r->cfg->stage, rel);
	return r->path;
}

static int set_attr(const char *path, uint64_t attr, unsigned int flags)
{
	struct sbx_mount_attr ma = {.attr_set = attr};

	if (syscall(__NR_mount_setattr, AT_FDCWD, path, flags, &ma,
		    sizeof(ma)) < 0)
		return -errno;
	return 0;
}

static int mnt(struct rfs *r, const char *src, const char *rel,
	       const char *type, unsigned long flags, const char *data)
{
	if (mount(src, at(r, rel), type, flags, data) < 0)
		return fail(r, errno, "mount", rel);
	return 0;
}

/*
 * One component of mkdir_rel: name in dfd made a directory (mode if made
 * here); returns an O_PATH descriptor of it, *made set if created.  A
 * symlink found there is never followed: MicronOS's tree is writable by
 * root inside, who could plant one to make the next boot create or mount
 * at its target on the host, so it is replaced by the directory.
 */
static int mkdir_one(int dfd, const char *name, mode_t mode, int *made)
{
	struct stat st;
	int fd;

	*made = mkdirat(dfd, name, mode) == 0;
	if (!*made && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOTDIR &&
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 || mkdirat(dfd, name, mode) < 0)
			return -errno;
		*made = 1;
		fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	/* the umask must not decide a sticky /tmp's mode */
	if (*made && fchmodat(dfd, name, mode, 0) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * mkdir -p of stage + rel, walked one name at a time without following a
 * symlink (see mkdir_one); parents get 0755, the last component mode.  What
 * exists is left as it is (a tree's own).  Returns 1 if the last component
 * was made, 0 if it was there, or -errno.
 */
static int mkdir_rel(struct rfs *r, const char *rel, mode_t mode)
{
	char buf[SBX_MAX_PATH], *name, *next, *save = NULL;
	int dfd, fd, made = 0;

	snprintf(buf, sizeof(buf), "%s", rel);
	dfd = open(r->cfg->stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(r, errno, "open", r->cfg->stage);
	for (name = strtok_r(buf, "/", &save); name; name = next) {
		next = strtok_r(NULL, "/", &save);
		fd = mkdir_one(dfd, name, next ? 0755 : mode, &made);
		close(dfd);
		if (fd < 0)
			return fail(r, -fd, "mkdir", rel);
		dfd = fd;
	}
	close(dfd);
	return made;
}

/*
 * A read-only (unless rw), nosuid recursive bind of a host path onto an
 * absolute path (or a /proc/self/fd link): the tree is cloned detached,
 * its attributes set, then attached, so it is never visible writable.
 */
static int bind_at(struct rfs *r, int dirfd, const char *src,
		   const char *abs, int rw)
{
	struct sbx_mount_attr ma = {.attr_set = rw ? SBX_MOUNT_ATTR_NOSUID :
				    SBX_MOUNT_ATTR_RDONLY |
				    SBX_MOUNT_ATTR_NOSUID};
	int fd = (int)syscall(__NR_open_tree, dirfd, src, OPEN_TREE_CLONE |
			      OPEN_TREE_CLOEXEC | AT_RECURSIVE |
			      (src[0] ? 0 : AT_EMPTY_PATH));
	int e = 0;

	if (fd < 0)
		return fail(r, errno, "bind", src);
	if (syscall(__NR_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
		    &ma, sizeof(ma)) < 0)
		e = fail(r, errno, "read-only", src);
	else if (syscall(__NR_move_mount, fd, "", AT_FDCWD, abs,
			 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) < 0)
		e = fail(r, errno, "bind onto", abs);
	close(fd);
	return e;
}

static int bind_path(struct rfs *r, const char *src, const char *abs, int rw)
{
	return bind_at(r, AT_FDCWD, src, abs, rw);
}

/* /usr, /etc, ...: mirror the host's symlink or bind its directory. */
static int system_dirs(struct rfs *r)
{
	/* /etc is not bound whole: etc_tree() */
	static const char *const names[] = {"/usr", "/bin", "/sbin", "/lib",
		"/lib32", "/lib64", "/libx32", "/opt"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char link[SBX_MAX_PATH];
		struct stat st;
		ssize_t n;
		int e;

		if (lstat(names[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(names[i], link, sizeof(link) - 1);
			if (n < 0)
				return fail(r, errno, "readlink", names[i]);
			link[n] = '\0';
			/* in a tree the link stays from an earlier boot */
			if (symlink(link, at(r, names[i])) < 0 &&
			    errno != EEXIST)
				return fail(r, errno, "symlink", names[i]);
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if ((e = mkdir_rel(r, names[i], 0755)) < 0)
			return e;
		if ((e = bind_path(r, names[i], at(r, names[i]), 0)) < 0)
			return e;
	}
	return 0;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);
	int e = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		e = -EIO;
	close(fd);
	return e;
}

/* 1 if name is one of MicronOS's own /etc files (cfg->etc). */
static int etc_own(const struct sbx_world_cfg *cfg, const char *name)
{
	size_t at = 0;

	while (at < cfg->etc_len) {
		const char *n = cfg->etc + at;
		const char *text = n + strlen(n) + 1;

		if (!strcmp(n, name))
			return 1;
		at = (size_t)(text - cfg->etc) + strlen(text) + 1;
	}
	return 0;
}

/*
 * Every entry of the host's /etc but MicronOS's own, as a symlink in the
 * private /etc: to the host's link target if the entry is a link (so
 * relative links resolve from /etc, as on the host), else to the entry
 * in the read-only bind of the host's /etc at /.micronos/etc.
 */
static int etc_links(struct rfs *r)
{
	char link[SBX_MAX_PATH], rel[NAME_MAX + 8];
	struct dirent *d;
	DIR *dir = opendir("/etc");
	int e = 0;

	if (!dir)
		return fail(r, errno, "opendir", "/etc");
	while (!e && (d = readdir(dir))) {
		ssize_t n;

		if (d->d_name[0] == '.' && (!d->d_name[1] ||
		    (d->d_name[1] == '.' && !d->d_name[2])))
			continue;
		if (etc_own(r->cfg, d->d_name))
			continue;
		n = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);
		if (n >= 0)
			link[n] = '\0';
		else
			snprintf(link, sizeof(link), "%s/%s",
				 MN_SANDBOX_HOST_ETC, d->d_name);
		snprintf(rel, sizeof(rel), "/etc/%s", d->d_name);
		if (symlink(link, at(r, rel)) < 0)
			e = fail(r, errno, "symlink", rel);
	}
	closedir(dir);
	return e;
}

/*
 * MicronOS's own files (passwd, group, hostname, hosts, os-release): in
 * the tree, its /etc files bound in (live: a hostname change shows); on
 * a tmpfs root, the text the supervisor rendered from the same rows
 * (cfg->etc, from src/fs/fs_etc.c), written.
 */
static int etc_own_files(struct rfs *r)
{
	char src[SBX_MAX_PATH], rel[NAME_MAX + 8];
	size_t at_ = 0;
	int e = 0;

	while (!e && at_ < r->cfg->etc_len) {
		const char *name = r->cfg->etc + at_;
		const char *text = name + strlen(name) + 1;

		at_ = (size_t)(text - r->cfg->etc) + strlen(text) + 1;
		snprintf(rel, sizeof(rel), "/etc/%.*s", NAME_MAX, name);
		if ((e = write_file(at(r, rel), text, 0644)) < 0) {
			fail(r, -e, "write", rel);
			break;
		}
		if (!r->cfg->root_dir)
			continue;
		/* the tree's, through its descriptor (see world.c) */
		snprintf(src, sizeof(src), "/proc/self/fd/%d/etc/%.*s",
			 r->cfg->tree_fd, NAME_MAX, name);
		if (access(src, F_OK) == 0 &&
		    mount(src, at(r, rel), NULL, MS_BIND, NULL) < 0)
			e = fail(r, errno, "bind", src);
	}
	return e;
}

/*
 * /etc: a private tmpfs, never a bind of the host's files.  A bind over
 * a single host file is detached when the host renames over it (useradd
 * replaces /etc/passwd that way), and the host's users would show
 * through; the private /etc's names are the sandbox's own, so nothing the
 * host does to its files changes MicronOS's.  The host's other entries
 * are links into a read-only bind of the host's /etc directory: they
 * follow the host's changes (resolv.conf), but entries the host adds
 * after the instance started do not appear.
 */
static int etc_tree(struct rfs *r)
{
	int e;

	if ((e = mkdir_rel(r, "/.micronos", 0755)) < 0 ||
	    (e = mkdir_rel(r, MN_SANDBOX_HOST_ETC, 0755)) < 0 ||
	    (e = bind_path(r, "/etc", at(r, MN_SANDBOX_HOST_ETC), 0)) < 0 ||
	    (e = mkdir_rel(r, "/etc", 0755)) < 0 ||
	    (e = mnt(r, "tmpfs", "/etc", "tmpfs", MS_NOSUID | MS_NODEV,
		     "mode=755,size=256k")) < 0 ||
	    (e = etc_links(r)) < 0 || (e = etc_own_files(r)) < 0)
		return e;
	if (set_attr(at(r, "/etc"), SBX_MOUNT_ATTR_RDONLY, 0) < 0)
		return fail(r, errno, "read-only", "/etc");
	return 0;
}

static int dev_node(struct rfs *r, const char *name, int from_tree)
{
	char host[SBX_MAX_PATH], rel[64];
	int fd;

	if (from_tree)
		snprintf(host, sizeof(host), "/proc/self/fd/%d/dev/%s",
			 r->cfg->tree_fd, name);
	else
		snprintf(host, sizeof(host), "/dev/%s", name);
	snprintf(rel, sizeof(rel), "/dev/%s", name);
	fd = open(at(r, rel), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return fail(r, errno, "create", rel);
	close(fd);
	if (mount(host, r->path, NULL, MS_BIND, NULL) < 0)
		return fail(r, errno, "bind", host);
	return 0;
}

/*
 * Which device nodes to show, and whether MicronOS's drivers may serve
 * them (through FUSE) when asked: /dev/tty must be the host's.
 */
static const struct {
	const char *name;
	int micronos;
} nodes[] = {
	{"null", 1}, {"zero", 1}, {"full", 1}, {"random", 1}, {"urandom", 1},
	{"tty", 0},
};

/* The magic links: into the namespace's procfs (r->proc). */
static const char *const links[][2] = {
	{"self/fd", "/dev/fd"}, {"self/fd/0", "/dev/stdin"},
	{"self/fd/1", "/dev/stdout"}, {"self/fd/2", "/dev/stderr"},
};

static int dev_tree(struct rfs *r)
{
	int tree = r->cfg->root_dir &&
		   (r->cfg->root_flags & MN_SANDBOX_ROOT_DEV);
	char target[64];
	size_t i;
	int e;

	if ((e = mkdir_rel(r, "/dev", 0755)) < 0 ||
	    (e = mnt(r, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		     "mode=755,size=256k")) < 0)
		return e;
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		if ((e = dev_node(r, nodes[i].name, tree &&
				  nodes[i].micronos)) < 0)
			return e;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(target, sizeof(target), "%s/%s", r->proc,
			 links[i][0]);
		if (symlink(target, at(r, links[i][1])) < 0)
			return fail(r, errno, "symlink", links[i][1]);
	}
	if (symlink("pts/ptmx", at(r, "/dev/ptmx")) < 0)
		return fail(r, errno, "symlink", "/dev/ptmx");
	if ((e = mkdir_rel(r, "/dev/pts", 0755)) < 0 ||
	    /* a single-id map has no tty group (gid 5) */
	    (e = mnt(r, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		     r->cfg->single_id ? "newinstance,ptmxmode=0666,mode=620"
				       : "newinstance,ptmxmode=0666,mode=620,"
					 "gid=5")) < 0 ||
	    (e = mkdir_rel(r, "/dev/shm", 01777)) < 0 ||
	    (e = mnt(r, "tmpfs", "/dev/shm", "tmpfs",
		     MS_NOSUID | MS_NODEV, "mode=1777")) < 0)
		return e;
	return 0;
}

/* Writable private trees. */
static int scratch_trees(struct rfs *r)
{
	static const struct {
		const char *rel;
		mode_t mode;
		const char *opts;
	} trees[] = {
		{"/tmp", 01777, "mode=1777"},
		{"/var", 0755, "mode=755"},
		{"/run", 0755, "mode=755"},
		{"/home", 0755, "mode=755"},
		{"/root", 0700, "mode=700"},
	};
	size_t i;
	int e;

	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		if ((e = mkdir_rel(r, trees[i].rel, trees[i].mode)) < 0 ||
		    (e = mnt(r, "tmpfs", trees[i].rel, "tmpfs",
			     MS_NOSUID | MS_NODEV, trees[i].opts)) < 0)
			return e;
	if ((e = mkdir_rel(r, "/var/tmp", 01777)) < 0 ||
	    (e = mkdir_rel(r, "/home/user", 0755)) < 0)
		return e;
	/* single-id map: made by the one id there is, or by no one */
	if (!r->cfg->single_id &&
	    chown(at(r, "/home/user"), MN_SANDBOX_USER_UID,
		  MN_SANDBOX_USER_UID) < 0)
		return fail(r, errno, "chown", "/home/user");
	return 0;
}

/*
 * Opens (creating as needed) the target of a user bind inside the stage,
 * one component at a time: no "..", no symlinks, so a target cannot lead
 * out of the new root.  Returns an O_PATH fd or -errno.
 */
static int open_target(struct rfs *r, const char *dst, int is_dir)
{
	char comp[256];
	const char *p = dst;
	int dirfd = open(r->cfg->stage, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return -errno;
	while (*p) {
		const char *end;
		size_t len;
		int last, fd;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len == 0)
			break;
		last = *end == '\0' || end[strspn(end, "/")] == '\0';
		if (len >= sizeof(comp) || (len <= 2 && !strncmp(p, "..", len)
					    && p[0] == '.')) {
			close(dirfd);
			return -EINVAL;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (!last || is_dir) {
			if (mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST)
				goto err;
			fd = openat(dirfd, comp, O_PATH | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
		} else {
			fd = openat(dirfd, comp, O_WRONLY | O_CREAT |
				    O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd >= 0) {
				int pfd = openat(dirfd, comp, O_PATH |
						 O_NOFOLLOW | O_CLOEXEC);
				close(fd);
				fd = pfd;
			}
		}
		if (fd < 0)
			goto err;
		close(dirfd);
		dirfd = fd;
		p = end;
	}
	return dirfd;
err:
	{
		int e = -errno;

		close(dirfd);
		return e;
	}
}

static int user_binds(struct rfs *r)
{
	size_t i;

	for (i = 0; i < r->cfg->nbinds; i++) {
		const struct mn_sandbox_bind *b = &r->cfg->binds[i];
		const char *dst = b->dst ? b->dst : b->src;
		char fdpath[64];
		struct stat st;
		int fd, e;

		if (stat(b->src, &st) < 0) {
			if (errno != EACCES)
				return fail(r, errno, "bind source", b->src);
			snprintf(r->err, r->errsz, "bind source %s: permission "
				 "denied to the sandbox (host uid %u must be "
				 "able to reach it)", b->src, r->cfg->uid_base);
			return -EACCES;
		}
		if (dst[0] != '/')
			return fail(r, EINVAL, "bind target must be absolute:",
				    dst);
		fd = open_target(r, dst, S_ISDIR(st.st_mode));
		if (fd < 0)
			return fail(r, -fd, "bind target", dst);
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		e = bind_path(r, b->src, fdpath, b->writable);
		close(fd);
		if (e < 0)
			return e;
	}
	return 0;
}

static int proc_and_pids(struct rfs *r)
{
	char num[16], rel[64];
	int e;

	if ((e = mkdir_rel(r, r->proc, 0555)) < 0 ||
	    (e = mnt(r, "proc", r->proc, "proc",
		     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0)
		return e;
	if (r->cfg->last_reserved_pid > 1) {
		snprintf(num, sizeof(num), "%d", r->cfg->last_reserved_pid);
		snprintf(rel, sizeof(rel), "%s/sys/kernel/ns_last_pid",
			 r->proc);
		e = write_file(at(r, rel), num, 0);
		if (e < 0)
			return fail(r, -e, "reserve kernel-task pids:",
				    "ns_last_pid");
	}
	/* read-only from now on, as containers do: root inside must not
	   move ns_last_pid into the kernel tasks' pids (nor tune the rest
	   of the namespace's sysctls) */
	snprintf(rel, sizeof(rel), "%s/sys", r->proc);
	if (mount(at(r, rel), r->path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    set_attr(r->path, SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID,
		     AT_RECURSIVE) < 0)
		return fail(r, errno, "read-only", rel);
	return 0;
}

static int loopback_up(struct rfs *r)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int e = 0;

	if (s < 0)
		return fail(r, errno, "socket", "lo");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		e = fail(r, errno, "ioctl", "lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!e && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		e = fail(r, errno, "up", "lo");
	close(s);
	return e;
}

static int enter_root(struct rfs *r)
{
	/* a tree's own permissions decide who writes where in it */
	if (!r->cfg->root_dir &&
	    set_attr(r->cfg->stage, SBX_MOUNT_ATTR_RDONLY, 0) < 0)
		return fail(r, errno, "read-only", "/");
	if (chdir(r->cfg->stage) < 0)
		return fail(r, errno, "chdir", r->cfg->stage);
	if (syscall(__NR_pivot_root, ".", ".") < 0)
		return fail(r, errno, "pivot_root", r->cfg->stage);
	if (umount2(".", MNT_DETACH) < 0)
		return fail(r, errno, "detach old root", NULL);
	if (chdir("/") < 0)
		return fail(r, errno, "chdir", "/");
	return 0;
}

/*
 * MicronOS's tree as the root: bound onto the stage, the mount points the
 * host's directories need made in it (they stay in storage: a later boot
 * finds them), then the host's /etc under MicronOS's identity files.
 */
static int tree_root(struct rfs *r)
{
	int e;

	if ((e = bind_at(r, r->cfg->tree_fd, "", r->cfg->stage, 1)) < 0 ||
	    (e = mkdir_rel(r, "/.micronos", 0755)) < 0 ||
	    (e = system_dirs(r)) < 0 || (e = mkdir_rel(r, "/run", 0755)) < 0 ||
	    (e = mnt(r, "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV,
		     "mode=755")) < 0 || (e = mkdir_rel(r, "/home", 0755)) < 0
	    || (e = mkdir_rel(r, "/var/tmp", 01777)) < 0)
		return e;
	/* the default user's home, if the tree lets it be made */
	if (mkdir_rel(r, "/home/user", 0755) == 1 && !r->cfg->single_id &&
	    chown(at(r, "/home/user"), MN_SANDBOX_USER_UID,
		  MN_SANDBOX_USER_UID) < 0)
		return fail(r, errno, "chown", "/home/user");
	if ((e = etc_tree(r)) < 0)
		return e;
	if (r->cfg->root_flags & MN_SANDBOX_ROOT_HOSTPROC)
		return mnt(r, "proc", "/proc", "proc",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	return 0;
}

/* A private tmpfs as the root, with MicronOS's /etc files. */
static int tmpfs_root(struct rfs *r)
{
	int e;

	if ((e = mnt(r, "tmpfs", "", "tmpfs", MS_NOSUID | MS_NODEV,
		     "mode=755,size=1m")) < 0 ||
	    (e = system_dirs(r)) < 0 || (e = etc_tree(r)) < 0 ||
	    (e = scratch_trees(r)) < 0)
		return e;
	return mkdir_rel(r, "/sys", 0555);
}

int sbx_rootfs_setup(const struct sbx_world_cfg *cfg, char *err,
		     size_t errsz)
{
	struct rfs r = {.cfg = cfg, .err = err, .errsz = errsz};
	int tree = cfg->root_dir != NULL, e;

	/* MicronOS's /proc is FUSE: the real one hides for magic links */
	r.proc = tree && !(cfg->root_flags & MN_SANDBOX_ROOT_HOSTPROC) ?
		 MN_SANDBOX_HIDDEN_PROC : "/proc";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(&r, errno, "make-rprivate", "/");
	if ((e = tree ? tree_root(&r) : tmpfs_root(&r)) < 0 ||
	    (e = proc_and_pids(&r)) < 0 || (e = dev_tree(&r)) < 0 ||
	    (e = user_binds(&r)) < 0)
		return e;
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return fail(&r, errno, "sethostname", cfg->hostname);
	if (cfg->net == MN_SANDBOX_NET_NONE && (e = loopback_up(&r)) < 0)
		return e;
	return enter_root(&r);
}
