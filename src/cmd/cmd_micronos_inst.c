/*
 * cmd_micronos_inst.c - where an instance lives and who owns it.
 *
 * Runtime dir (control socket, pid file, lock, default mountpoint):
 *   --runtime DIR, else $MICRONOS_RUNTIME_ROOT/NAME, else /run/micronos/NAME
 *   for root, $XDG_RUNTIME_DIR/micronos/NAME, or /tmp/micronos-UID/NAME.
 * Data dir (config, storage, history):
 *   --data DIR, else $MICRONOS_DATA_ROOT/NAME, else /var/lib/micronos/NAME
 *   for root, $XDG_DATA_HOME/micronos/NAME or ~/.local/share/micronos/NAME.
 *
 * "Is it running?" is answered by a flock on RUNTIME/lock, held by the
 * daemon for its whole life: the kernel drops it when the daemon dies, even
 * by SIGKILL, so a stale pid file can never lie.  A new `up` that gets the
 * lock and finds a socket or pid file knows they belong to a dead instance
 * and removes them.  Because a clean exit removes the lock file, a locker
 * checks after flock that the path still names the file it locked (else it
 * raced with such an exit and tries again).  The data dir has a lock of its
 * own (DATA/lock, never removed): two instances of different names given
 * the same --data would otherwise share storage behind each other's back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "micronos_i.h"

static int join(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int mn_inst_runtime_root(char *buf, size_t size)
{
	const char *env = getenv("MICRONOS_RUNTIME_ROOT");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/micronos");
	else if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/micronos", xdg);
	else
		n = snprintf(buf, size, "/tmp/micronos-%u",
			     (unsigned)geteuid());
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int data_root(char *buf, size_t size)
{
	const char *env = getenv("MICRONOS_DATA_ROOT");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw;
	int n;

	if (!home || *home != '/') {
		pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : "/";
	}
	if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/var/lib/micronos");
	else if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/micronos", xdg);
	else
		n = snprintf(buf, size, "%s/.local/share/micronos", home);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < MN_INST_NAME_MAX && name[0] != '.' &&
	       name[0] != '-' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			    "WXYZ0123456789_.-") == n;
}

/* An option's directory, made absolute (a detached daemon runs in /). */
static int abs_dir(char *buf, size_t size, const char *dir)
{
	char cwd[PATH_MAX];
	int n;

	if (dir[0] == '/')
		n = snprintf(buf, size, "%s", dir);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(buf, size, "%s/%s", cwd, dir);
	else
		return -errno;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int mn_inst_resolve(struct mn_inst *in, const struct mn_opts *o,
		    struct mn_strbuf *err)
{
	const char *name = o->name ? o->name : "default";
	char root[PATH_MAX];
	int ret = 0;

	memset(in, 0, sizeof(*in));
	in->lock_fd = in->data_lock_fd = -1;
	if (!name_ok(name)) {
		mn_strbuf_printf(err, "bad instance name '%s': use 1..63 "
				 "letters, digits, '_', '.', '-'\n",
				 name);
		return -EINVAL;
	}
	snprintf(in->name, sizeof(in->name), "%s", name);
	if (o->runtime)
		ret = abs_dir(in->runtime_dir, PATH_MAX, o->runtime);
	else if (!(ret = mn_inst_runtime_root(root, sizeof(root))))
		ret = join(in->runtime_dir, PATH_MAX, root, name);
	if (!ret && o->data)
		ret = abs_dir(in->data_dir, PATH_MAX, o->data);
	else if (!ret && !(ret = data_root(root, sizeof(root))))
		ret = join(in->data_dir, PATH_MAX, root, name);
	if (!ret && o->mount)
		ret = abs_dir(in->mount_dir, PATH_MAX, o->mount);
	else if (!ret) {
		ret = join(in->mount_dir, PATH_MAX, in->runtime_dir, "mnt");
		in->mount_default = 1;
	}
	if (!ret)
		ret = join(in->ctl_path, PATH_MAX, in->runtime_dir, "ctl");
	if (!ret)
		ret = join(in->lock_path, PATH_MAX, in->runtime_dir, "lock");
	if (!ret)
		ret = join(in->pid_path, PATH_MAX, in->runtime_dir, "pid");
	if (!ret && strlen(in->ctl_path) >= 108)
		ret = -ENAMETOOLONG;
	if (ret)
		mn_strbuf_printf(err, "instance '%s': a path is too long "
				 "(the control socket path must stay under "
				 "108 bytes): %s\n",
				 name, in->runtime_dir);
	return ret;
}

/* mkdir -p; the last component gets `mode`, parents 0755. */
static int mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	struct stat st;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	/* A runtime dir someone else made (or a symlink planted in /tmp)
	 * must not be used: it holds the socket. */
	if (lstat(tmp, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	return 0;
}

int mn_inst_read_pid(const struct mn_inst *in)
{
	char buf[32] = "";
	int fd = open(in->pid_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	long pid;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 && pid < INT32_MAX ? (int)pid : -EINVAL;
}

/* Opens and flocks the lock file; -EBUSY if held.  Retries a race with a
 * clean exit that unlinked the file under us. */
static int take_lock(struct mn_inst *in)
{
	for (int tries = 0; tries < 10; tries++) {
		struct stat a, b;
		int fd = open(in->lock_path, O_RDWR | O_CREAT | O_CLOEXEC,
			      0600);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;

			close(fd);
			return e == EWOULDBLOCK ? -EBUSY : -e;
		}
		if (fstat(fd, &a) == 0 && stat(in->lock_path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			in->lock_fd = fd;
			return 0;
		}
		close(fd);
	}
	return -EAGAIN;
}

/* Takes DATA/lock; -EBUSY naming the instance that holds it. */
static int lock_data(struct mn_inst *in, struct mn_strbuf *err)
{
	char path[PATH_MAX + 8], who[MN_INST_NAME_MAX + 16] = "";
	int fd = -1, ret = mkdirs(in->data_dir, 0700);
	ssize_t n;

	if (ret == 0 && join(path, sizeof(path), in->data_dir, "lock") < 0)
		ret = -ENAMETOOLONG;
	if (ret == 0 &&
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		ret = -errno;
	if (ret < 0) {
		mn_strbuf_printf(err, "cannot use data dir %s: %s\n",
				 in->data_dir,
				 ret == -EPERM ? "not a directory owned by "
						 "this user"
					       : strerror(-ret));
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, who, sizeof(who) - 1, 0);
		who[n > 0 ? n : 0] = '\0';
		who[strcspn(who, "\n")] = '\0';
		mn_strbuf_printf(err, "data dir %s is in use by another "
				 "running instance%s%s\n",
				 in->data_dir, who[0] ? " " : "", who);
		close(fd);
		return -EBUSY;
	}
	/* for the message above: who holds it */
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "'%s' (pid %d)\n", in->name, (int)getpid());
	in->data_lock_fd = fd;
	return 0;
}

int mn_inst_lock(struct mn_inst *in, struct mn_strbuf *err,
		 struct mn_strbuf *note)
{
	struct stat st;
	int ret, pid;

	ret = mkdirs(in->runtime_dir, 0700);
	if (ret == 0)
		ret = take_lock(in);
	if (ret == -EBUSY) {
		pid = mn_inst_read_pid(in);
		if (pid > 0)
			mn_strbuf_printf(err, "instance '%s' is already "
					 "running (pid %d)\n",
					 in->name, pid);
		else
			mn_strbuf_printf(err, "instance '%s' is already "
					 "running\n",
					 in->name);
		return ret;
	}
	if (ret < 0) {
		mn_strbuf_printf(err, "cannot use runtime dir %s: %s\n",
				 in->runtime_dir,
				 ret == -EPERM ? "not a directory owned by "
						 "this user"
					       : strerror(-ret));
		return ret;
	}
	if ((ret = lock_data(in, err)) < 0) {
		mn_inst_release(in);	/* leaves no runtime dir behind */
		return ret;
	}
	pid = mn_inst_read_pid(in);
	if (pid > 0 || lstat(in->ctl_path, &st) == 0) {
		if (pid > 0)
			mn_strbuf_printf(note, "cleaned up after a crashed "
					 "instance '%s' (pid %d)\n",
					 in->name, pid);
		else
			mn_strbuf_printf(note, "cleaned up a stale runtime "
					 "dir of instance '%s'\n",
					 in->name);
		unlink(in->ctl_path);
		unlink(in->pid_path);
	}
	return 0;
}

int mn_inst_write_pid(struct mn_inst *in)
{
	char tmp[PATH_MAX + 8], buf[32];
	int fd, n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", in->pid_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		ret = -EIO;
	close(fd);
	if (!ret && rename(tmp, in->pid_path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

void mn_inst_release(struct mn_inst *in)
{
	if (in->lock_fd < 0)
		return;
	unlink(in->pid_path);
	unlink(in->ctl_path);
	/* Unlink while still locked: a locker checks the path afterwards. */
	unlink(in->lock_path);
	if (in->mount_default)
		rmdir(in->mount_dir);
	rmdir(in->runtime_dir);
	close(in->lock_fd);
	in->lock_fd = -1;
	if (in->data_lock_fd >= 0)
		close(in->data_lock_fd);
	in->data_lock_fd = -1;
}

int mn_inst_is_locked(const struct mn_inst *in)
{
	int fd = open(in->lock_path, O_RDONLY | O_CLOEXEC);
	int locked = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		locked = 1;
	close(fd);
	return locked;
}

/* 1 while pid runs (a zombie has finished: it only waits for its reaper,
 * which for a detached daemon is init). */
static int pid_running(int pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (pid <= 0 || kill(pid, 0) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

int mn_inst_wait_gone(const struct mn_inst *in, int pid, int timeout_ms)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	for (int waited = 0; waited < timeout_ms; waited += 20) {
		if (!mn_inst_is_locked(in) && !pid_running(pid))
			return 0;
		nanosleep(&ts, NULL);
	}
	return mn_inst_is_locked(in) || pid_running(pid) ? -ETIMEDOUT : 0;
}

int mn_inst_connect(const struct mn_inst *in, struct mn_ctl_client **out,
		    struct mn_strbuf *err)
{
	int ret = mn_ctl_client_connect(out, in->ctl_path);

	char rootdir[PATH_MAX];
	struct stat st;

	snprintf(rootdir, sizeof(rootdir), "/run/micronos/%s", in->name);
	if ((ret == -ENOENT || ret == -ECONNREFUSED) && geteuid() != 0 &&
	    !getenv("MICRONOS_RUNTIME_ROOT") && stat(rootdir, &st) == 0)
		/* root's instance of that name: not ours to reach */
		mn_strbuf_printf(err, "instance '%s' is not running as you; "
				 "root's '%s' lives in %s (sudo micronos "
				 "...)\n",
				 in->name, in->name, rootdir);
	else if (ret == -ENOENT || ret == -ECONNREFUSED)
		mn_strbuf_printf(err, "instance '%s' is not running (start it "
				 "with 'micronos up%s%s')\n",
				 in->name, strcmp(in->name, "default") ? " -n "
								       : "",
				 strcmp(in->name, "default") ? in->name : "");
	else if (ret == -EACCES)
		mn_strbuf_printf(err, "instance '%s' belongs to another user "
				 "(%s)\n",
				 in->name, in->ctl_path);
	else if (ret < 0)
		mn_strbuf_printf(err, "cannot reach instance '%s' at %s: %s\n",
				 in->name, in->ctl_path, strerror(-ret));
	return ret;
}
