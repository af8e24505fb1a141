/*
 * fusefs_mnt - the host side of the mount point: making it, and cleaning
 * a dead mount that a crashed instance left there.
 *
 * When a FUSE daemon dies its /dev/fuse descriptor closes, the kernel
 * aborts the connection, and the mount stays in the mount table answering
 * every call with ENOTCONN ("Transport endpoint is not connected").  The
 * next instance must detach it before mounting again.  It must not detach
 * a live mount (another instance serving the same directory) nor block on
 * a hung one (its daemon stopped, not dead: a stat would wait for ever), so
 * a FUSE mount point is only ever probed from a child process with a
 * deadline; anything but ENOTCONN leaves it alone and says why.
 *
 * An ordinary user cannot open /dev/fuse (0600 on many hosts) nor call
 * mount(2): the setuid helper fusermount3 does both for it and passes the
 * /dev/fuse descriptor back over a socket named in _FUSE_COMMFD.  libfuse
 * falls back to it only when mount(2) says EPERM after /dev/fuse opened,
 * so with a 0600 device it never gets there: fusefs_fusermount() makes
 * that call itself and the session is then mounted on "/dev/fd/N".
 * Unmounting such a mount is fusermount3's too (fusefs_unmount_path()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <micronos/posix.h>

#include "fusefs_i.h"

#define PROBE_TIMEOUT_MS 1000
#define MAX_STACKED 8 /* dead mounts detached at one path, at most */

extern char **environ;

static void errmsg(struct mn_strbuf *err, const char *fmt, const char *path,
		   int rc)
{
	if (err) {
		mn_strbuf_printf(err, fmt, path);
		if (rc)
			mn_strbuf_printf(err, ": %s", mn_errno_message(rc));
	}
}

/* Absolute path without resolving the last component (it may be dead). */
static int canonical(const char *path, char *out, size_t size)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *base;
	char *slash;
	size_t len = strlen(path);

	if (!len || len >= sizeof(tmp))
		return len ? -ENAMETOOLONG : -EINVAL;
	memcpy(tmp, path, len + 1);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = '\0';
	slash = strrchr(tmp, '/');
	if (!slash) {
		base = tmp;
		strcpy(dir, ".");
	} else {
		base = slash + 1;
		*slash = '\0';
		snprintf(dir, sizeof(dir), "%s", slash == tmp ? "/" : tmp);
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL; /* "/", ".", "..": name the directory */
	if (!realpath(dir, out))
		return -errno;
	if (strlen(out) + 1 + strlen(base) + 1 > size)
		return -ENAMETOOLONG;
	if (strcmp(out, "/"))
		strcat(out, "/");
	strcat(out, base);
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* 1 if the topmost mount at path is a FUSE one (fstype fuse*), else 0. */
static int is_fuse_mount(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[PATH_MAX * 2 + 512];
	int fuse = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *mnt = NULL, *sep;
		int i;

		tok = strtok_r(line, " ", &save);
		for (i = 1; tok && i < 5; i++)
			tok = strtok_r(NULL, " ", &save);
		mnt = tok;
		sep = save ? strstr(save, " - ") : NULL;
		if (!mnt || !sep)
			continue;
		unescape(mnt);
		if (strcmp(mnt, path))
			continue;
		/* A later line is mounted on top of an earlier one. */
		fuse = !strncmp(sep + 3, "fuse", 4);
	}
	fclose(f);
	return fuse;
}

/* stat of path in a child: 0, -errno, or -ETIMEDOUT if it never answers. */
static int probe(const char *path)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	struct statx stx;
	pid_t pid;
	int status, waited;

	pid = fork();
	if (pid < 0)
		return -errno;
	/* FORCE_SYNC: cached attributes would hide a dead connection. */
	if (pid == 0)
		_exit(statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_MODE,
			    &stx) < 0
			  ? (errno & 0x7f)
			  : 0);
	for (waited = 0; waited < PROBE_TIMEOUT_MS; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
		if (r < 0)
			return -errno;
		nanosleep(&tick, NULL);
	}
	/* A hung mount: the child may stay blocked until it answers. */
	kill(pid, SIGKILL);
	for (waited = 0; waited < 100; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

/* Waits for a helper, at most timeout_ms: its exit status or -errno. */
static int wait_helper(pid_t pid, int timeout_ms)
{
	struct timespec tick = {0, 5 * 1000 * 1000};
	int status, waited;

	for (waited = 0; waited < timeout_ms; waited += 5) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		if (r < 0)
			return -errno;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -ETIMEDOUT;
}

static int detach(const char *path)
{
	char *argv[] = {"fusermount3", "-u", "-z", "-q", "--", (char *)path,
			NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (umount2(path, MNT_DETACH) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	/* Not root: the setuid helper may unmount what this user mounted. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "fusermount3", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -EPERM;
	return wait_helper(pid, 10000) == 0 ? 0 : -EPERM;
}

int fusefs_unmount_path(const char *path)
{
	return detach(path);
}

/* The /dev/fuse descriptor fusermount3 sends back, or -errno. */
static int recv_fd(int sock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char c;
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(fd)))
		return -EIO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

/* First line of what a helper wrote, without its "NAME: " prefix. */
static void helper_text(int fd, char *out, size_t size)
{
	ssize_t n = read(fd, out, size - 1);
	char *nl, *colon;

	out[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(out, '\n')))
		*nl = '\0';
	if ((colon = strstr(out, ": ")) && colon - out < 16)
		memmove(out, colon + 2, strlen(colon + 2) + 1);
}

int fusefs_fusermount(const char *mountpoint, const char *opts,
		      struct mn_strbuf *err)
{
	char *argv[] = {"fusermount3", "-o", (char *)opts, "--",
			(char *)mountpoint, NULL};
	posix_spawn_file_actions_t fa;
	char env_fd[32], why[256] = "";
	char **envp;
	int sv[2], ep[2], fd, rc, st;
	size_t n = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		rc = -errno;
		goto close_sv;
	}
	while (environ[n])
		n++;
	if (!(envp = calloc(n + 2, sizeof(*envp)))) {
		rc = -ENOMEM;
		goto close_ep;
	}
	/* The helper's end keeps its number: dup2 onto itself clears
	 * FD_CLOEXEC in the child only. */
	snprintf(env_fd, sizeof(env_fd), "_FUSE_COMMFD=%d", sv[1]);
	for (n = 0; environ[n]; n++)
		envp[n] = environ[n];
	envp[n] = env_fd;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], sv[1]);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	rc = posix_spawnp(&pid, "fusermount3", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(sv[1]);
	sv[1] = -1;
	close(ep[1]);
	ep[1] = -1;
	if (rc) {
		errmsg(err, "cannot run fusermount3 to mount %s", mountpoint,
		       rc);
		if (err && rc == ENOENT)
			mn_strbuf_printf(err, " (install the fuse3 package)");
		rc = -rc;
		goto close_ep;
	}
	/* It exits after sending; a closed socket means it refused. */
	fd = recv_fd(sv[0]);
	st = wait_helper(pid, 10000);
	if (fd >= 0 && st == 0) {
		rc = fd;
		goto close_ep;
	}
	if (fd >= 0)
		close(fd);
	helper_text(ep[0], why, sizeof(why));
	if (err) {
		mn_strbuf_printf(err, "fusermount3 cannot mount %s",
				 mountpoint);
		if (why[0])
			mn_strbuf_printf(err, ": %s", why);
		else if (st == -ETIMEDOUT)
			mn_strbuf_printf(err, ": it did not answer in 10 s");
		/* fusermount3 >= 3.13 opens the device with our rights */
		if (strstr(why, "open /dev/fuse: Permission denied"))
			mn_strbuf_printf(err, " (/dev/fuse must be open to "
					 "users, mode 0666, the kernel's "
					 "default: ask root)");
		else if (strstr(why, "not found"))
			mn_strbuf_printf(err, " (load the module: modprobe "
					 "fuse)");
	}
	rc = strstr(why, "not found") ? -ENODEV
	     : st == -ETIMEDOUT	      ? -ETIMEDOUT
				      : -EPERM;
close_ep:
	if (ep[1] >= 0)
		close(ep[1]);
	close(ep[0]);
close_sv:
	if (sv[1] >= 0)
		close(sv[1]);
	close(sv[0]);
	return rc;
}

static int clean_canonical(const char *canon, struct mn_strbuf *err)
{
	struct stat st;
	int cleaned = 0, rc, fuse;

	while (cleaned < MAX_STACKED) {
		fuse = is_fuse_mount(canon);
		/* Not FUSE per mountinfo: a plain stat cannot hang. */
		rc = fuse ? probe(canon) : (stat(canon, &st) < 0 ? -errno : 0);
		if (rc == -ENOTCONN) {
			if ((rc = detach(canon)) < 0) {
				errmsg(err,
				       "cannot detach the dead mount at %s",
				       canon, rc);
				return rc;
			}
			cleaned++;
			continue;
		}
		if (fuse && rc == -ETIMEDOUT) {
			errmsg(err,
			       "the FUSE mount at %s does not answer (a "
			       "hung instance?); not touching it",
			       canon, 0);
			return -EBUSY;
		}
		if (fuse) {
			errmsg(err,
			       "%s is a live FUSE mount (another instance "
			       "running?)",
			       canon, 0);
			return -EBUSY;
		}
		break;
	}
	return cleaned;
}

int mn_fusefs_clean_dead(const char *path, struct mn_strbuf *err)
{
	char canon[PATH_MAX];
	int rc;

	if (!path)
		return -EINVAL;
	if ((rc = canonical(path, canon, sizeof(canon))) < 0) {
		errmsg(err, "bad mount point %s", path, rc);
		return rc;
	}
	return clean_canonical(canon, err);
}

/* 0 if dir has no entries, -ENOTEMPTY, or -errno. */
static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			rc = -ENOTEMPTY;
			break;
		}
	closedir(d);
	return rc;
}

int fusefs_prepare_mountpoint(const char *path, char *canon, size_t size,
			      struct mn_strbuf *err)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;
	int rc;

	if (!path || !*path) {
		errmsg(err, "no mount point given%s", "", 0);
		return -EINVAL;
	}
	/* The parent must exist for the canonical name. */
	if (strlen(path) >= sizeof(parent))
		return -ENAMETOOLONG;
	strcpy(parent, path);
	while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
		parent[strlen(parent) - 1] = '\0';
	if ((slash = strrchr(parent, '/')) && slash != parent) {
		*slash = '\0';
		if ((rc = mkdir_p(parent, 0755)) < 0) {
			errmsg(err, "cannot create %s", parent, rc);
			return rc;
		}
	}
	if ((rc = canonical(path, canon, size)) < 0) {
		errmsg(err, "bad mount point %s", path, rc);
		return rc;
	}
	if ((rc = clean_canonical(canon, err)) < 0)
		return rc;
	if (mkdir(canon, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		errmsg(err, "cannot create the mount point %s", canon, rc);
		return rc;
	}
	if (stat(canon, &st) < 0)
		rc = -errno;
	else if (!S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	else if ((rc = dir_empty(canon)) == -ENOTEMPTY) {
		/* Mounting over files hides them: say so rather than
		 * let the instance shadow someone's data. */
		errmsg(err, "mount point %s is not empty (its files would "
		       "be hidden under the mount); use an empty directory",
		       canon, 0);
		return rc;
	}
	if (rc < 0)
		errmsg(err, "mount point %s", canon, rc);
	return rc < 0 ? rc : 0;
}
