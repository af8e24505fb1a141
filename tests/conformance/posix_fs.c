/*
 * posix_fs - pjdfstest's ground, as one C program: the POSIX (and Linux)
 * rules of ownership, chown/chgrp, modes (setuid cleared on write and
 * chown), node types (fifo, char, block, socket nodes and a bound unix
 * socket), links, renames (over files and dirs, across dirs), times,
 * unlink of open files and the errnos of misuse, checked in a fresh
 * directory under argv[1].
 *
 * Run as root (host root, or MicronOS root inside micronos-run); the
 * checks that need another user fork a child that drops to uid/gid 65534
 * or 65533 (ids every user namespace of MicronOS maps).  Prints one line
 * per failed check and "posix_fs: N checks, F failed"; exits 1 if any
 * failed.  pjdfstest is not packaged by Debian and the test machines are
 * offline, hence this program (tests/integration/fs_posix.sh runs it on
 * storage through the mount, inside the sandbox, and on tmpfs natively
 * as the reference).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define U1 65534		/* a user (and its group) */
#define U2 65533		/* another */
#define G3 65532		/* a supplementary group of U1 */

static int checks, failed;
/* In a user namespace (micronos-run), the kernel itself refuses device
 * nodes (CAP_MKNOD counts in the initial namespace only) and ids the
 * namespace does not map (EINVAL): those checks expect that instead. */
static int in_userns;
static char base[PATH_MAX / 2];

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failed++;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* rc is a call's result; expects failure with err (0: success). */
static void expect(int rc, int err, const char *what)
{
	int e = rc < 0 ? errno : 0;

	check(e == err, "%s: expected %s, got %s", what,
	      err ? strerror(err) : "success", e ? strerror(e) : "success");
}

static const char *P(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, name);
	return buf[i];
}

static struct stat S(const char *name)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (lstat(P(name), &st) < 0)
		st.st_mode = 0;
	return st;
}

static void mkfile(const char *name, mode_t mode, const char *data)
{
	int fd = open(P(name), O_CREAT | O_WRONLY | O_TRUNC, mode);

	if (fd < 0 || (data && write(fd, data, strlen(data)) < 0)) {
		check(0, "create %s: %s", name, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	chmod(P(name), mode);
}

/* Runs fn in a child as uid/gid (groups: g3 too if with_g3); returns
 * fn's errno (0 on success) or 255 if the child could not become it. */
static int as(uid_t uid, gid_t gid, int with_g3, int (*fn)(void *),
	      void *arg)
{
	gid_t groups[2] = {gid, G3};
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgroups(with_g3 ? 2 : 1, groups) < 0 ||
		    setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(255);
		_exit(fn(arg) < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 254;
	return WEXITSTATUS(status);
}

static void expect_as(int got, int err, const char *what)
{
	check(got == err, "%s: expected %s, got %s", what,
	      err ? strerror(err) : "success",
	      got == 255 ? "cannot switch user" :
	      got ? strerror(got) : "success");
}

/* What the children do (arg: a path or a struct of arguments). */
struct own { const char *path; uid_t uid; gid_t gid; mode_t mode; };

static int do_chown(void *a)
{
	struct own *o = a;

	return chown(o->path, o->uid, o->gid);
}

static int do_chmod(void *a)
{
	struct own *o = a;

	return chmod(o->path, o->mode);
}

static int do_write(void *a)
{
	int fd = open(a, O_WRONLY), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, "w", 1) == 1 ? 0 : -1;
	close(fd);
	return rc;
}

static int do_unlink(void *a)
{
	return unlink(a);
}

static int do_stat(void *a)
{
	struct stat st;

	return stat(a, &st);
}

static int do_utimes_now(void *a)
{
	return utimensat(AT_FDCWD, a, NULL, 0);
}

static int do_utimes_set(void *a)
{
	struct timespec ts[2] = {{1000, 0}, {1000, 0}};

	return utimensat(AT_FDCWD, a, ts, 0);
}

static int do_create(void *a)
{
	int fd = open(a, O_CREAT | O_WRONLY, 0644);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int do_mknod_chr(void *a)
{
	return mknod(a, S_IFCHR | 0600, makedev(1, 3));
}

static int tick(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};	/* > a jiffy */

	return nanosleep(&ts, NULL);
}

static int newer(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* --- the checks -------------------------------------------------------- */

static void ownership(void)
{
	struct own o = {P("own"), U1, U2, 0};
	struct stat st;

	mkfile("own", 0644, NULL);
	st = S("own");
	check(st.st_uid == geteuid() && st.st_gid == getegid(),
	      "a new file is its creator's: %u:%u", st.st_uid, st.st_gid);
	expect(chown(P("own"), U1, U2), 0, "root chowns to any id");
	st = S("own");
	check(st.st_uid == U1 && st.st_gid == U2, "chown shows: %u:%u",
	      st.st_uid, st.st_gid);
	expect(chown(P("own"), (uid_t)-1, (gid_t)-1), 0, "chown -1 -1");
	st = S("own");
	check(st.st_uid == U1 && st.st_gid == U2, "chown -1 -1 keeps ids");
	expect(chown(P("own"), 123456, 654321), in_userns ? EINVAL : 0,
	       "chown to ids > 65535");
	st = S("own");
	check(in_userns || (st.st_uid == 123456 && st.st_gid == 654321),
	      "large ids show: %u:%u", st.st_uid, st.st_gid);
	expect(chown(P("own"), U1, U1), 0, "chown back");
	o.uid = U2;
	o.gid = (gid_t)-1;
	expect_as(as(U1, U1, 1, do_chown, &o), EPERM,
		  "the owner cannot give the file away");
	o.uid = (uid_t)-1;
	o.gid = G3;
	expect_as(as(U1, U1, 1, do_chown, &o), 0,
		  "the owner chgrps to a group it is in");
	check(S("own").st_gid == G3, "chgrp shows");
	o.gid = U2;
	expect_as(as(U1, U1, 1, do_chown, &o), EPERM,
		  "the owner cannot chgrp to a group it is not in");
	o.gid = G3;
	expect_as(as(U2, U2, 1, do_chown, &o), EPERM,
		  "a non-owner cannot chgrp");
	o.mode = 0777;
	expect_as(as(U2, U2, 0, do_chmod, &o), EPERM,
		  "a non-owner cannot chmod");
	expect_as(as(U1, U1, 0, do_chmod, &o), 0, "the owner chmods");
	/* lchown changes the link, not its target */
	expect(symlink("own", P("ownl")), 0, "symlink");
	expect(lchown(P("ownl"), U2, U2), 0, "lchown");
	check(S("ownl").st_uid == U2 && S("own").st_uid == U1,
	      "lchown changes the link only");
	/* setgid directories */
	expect(mkdir(P("sgid"), 0755), 0, "mkdir");
	expect(chown(P("sgid"), 0, U2), 0, "chgrp dir");
	expect(chmod(P("sgid"), 02755), 0, "chmod g+s dir");
	mkfile("sgid/f", 0644, NULL);
	check(S("sgid/f").st_gid == U2, "a file in a setgid dir takes its "
	      "group");
	expect(mkdir(P("sgid/d"), 0755), 0, "mkdir in setgid dir");
	check(S("sgid/d").st_gid == U2 && (S("sgid/d").st_mode & S_ISGID),
	      "a dir in a setgid dir takes its group and setgid");
}

static void modes(void)
{
	struct own o = {P("m"), 0, 0, 02755};
	mode_t old = umask(022);
	struct stat st;
	int fd;

	fd = open(P("m"), O_CREAT | O_WRONLY, 0777);
	check(fd >= 0, "create m");
	if (fd >= 0)
		close(fd);
	check((S("m").st_mode & 07777) == 0755, "umask 022 applies: %o",
	      S("m").st_mode & 07777);
	umask(old);
	expect(chmod(P("m"), 07777), 0, "root chmods 07777");
	check((S("m").st_mode & 07777) == 07777, "07777 shows: %o",
	      S("m").st_mode & 07777);
	expect(chown(P("m"), U1, U1), 0, "chown m");
	/* Linux clears setuid, and setgid with group exec, on chown */
	check((S("m").st_mode & 06000) == 0, "chown clears setuid/setgid: "
	      "%o", S("m").st_mode & 07777);
	/* a non-root owner outside the file's group cannot set setgid */
	expect(chown(P("m"), U1, U2), 0, "chgrp m");
	expect_as(as(U1, U1, 0, do_chmod, &o), 0, "owner chmod g+s");
	check((S("m").st_mode & 07777) == 0755, "setgid dropped for a "
	      "non-member: %o", S("m").st_mode & 07777);
	/* a write by someone else clears setuid */
	expect(chmod(P("m"), 04777), 0, "chmod 4777");
	expect_as(as(U2, U2, 0, do_write, (void *)P("m")), 0,
		  "another user writes");
	st = S("m");
	check((st.st_mode & 07777) == 0777, "a write clears setuid: %o",
	      st.st_mode & 07777);
	expect(chmod(P("m"), 02777), 0, "chmod 2777");
	expect_as(as(U2, U2, 0, do_write, (void *)P("m")), 0,
		  "another user writes again");
	check((S("m").st_mode & 07777) == 0777, "a write clears setgid of "
	      "a group-executable file: %o", S("m").st_mode & 07777);
	/* permission bits are obeyed */
	expect(chown(P("m"), 0, 0), 0, "chown m to root");
	expect(chmod(P("m"), 0644), 0, "chmod 644");
	expect_as(as(U1, U1, 0, do_write, (void *)P("m")), EACCES,
		  "0644 root's file: others cannot write");
	expect(mkdir(P("closed"), 0700), 0, "mkdir 0700");
	mkfile("closed/f", 0644, NULL);
	expect_as(as(U1, U1, 0, do_stat, (void *)P("closed/f")), EACCES,
		  "no search permission: EACCES");
}

static void node_types(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int s, c, a;
	char b = 0;

	expect(mkfifo(P("fifo"), 0640), 0, "mkfifo");
	st = S("fifo");
	check(S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640,
	      "a fifo: %o", st.st_mode);
	expect(mknod(P("chr"), S_IFCHR | 0600, makedev(1, 3)),
	       in_userns ? EPERM : 0, "mknod char");
	st = S("chr");
	check(in_userns || (S_ISCHR(st.st_mode) &&
			    st.st_rdev == makedev(1, 3)),
	      "a char device 1,3: %o %u,%u", st.st_mode, major(st.st_rdev),
	      minor(st.st_rdev));
	expect(mknod(P("blk"), S_IFBLK | 0600, makedev(8, 17)),
	       in_userns ? EPERM : 0, "mknod block");
	st = S("blk");
	check(in_userns || (S_ISBLK(st.st_mode) &&
			    st.st_rdev == makedev(8, 17)),
	      "a block device 8,17");
	expect(mknod(P("sock"), S_IFSOCK | 0600, 0), 0, "mknod socket");
	check(S_ISSOCK(S("sock").st_mode), "a socket node");
	expect(mknod(P("fifo"), S_IFIFO | 0600, 0), EEXIST,
	       "mknod over a name: EEXIST");
	expect(mkdir(P("open"), 0777), 0, "mkdir");
	expect(chmod(P("open"), 0777), 0, "chmod 777");
	expect_as(as(U1, U1, 0, do_mknod_chr, (void *)P("open/chr")), EPERM,
		  "a non-root user cannot mknod a device");
	/* a unix socket bound here works */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", P("bound"));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	expect(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind");
	expect(listen(s, 1), 0, "listen");
	check(S_ISSOCK(S("bound").st_mode), "a bound socket is a socket");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	expect(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect");
	a = accept(s, NULL, NULL);
	check(a >= 0 && write(c, "z", 1) == 1 && read(a, &b, 1) == 1 &&
	      b == 'z', "data through the bound socket");
	expect(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sa,
		    sizeof(sa)), EADDRINUSE, "bind to a used name");
	close(a);
	close(c);
	close(s);
}

static void links(void)
{
	struct stat a, b;
	char buf[64];
	ssize_t n;

	mkfile("l1", 0644, "data");
	expect(link(P("l1"), P("l2")), 0, "link");
	a = S("l1");
	b = S("l2");
	check(a.st_nlink == 2 && a.st_ino == b.st_ino, "link: nlink %lu",
	      (unsigned long)a.st_nlink);
	expect(link(P("l1"), P("l2")), EEXIST, "link over a name: EEXIST");
	expect(mkdir(P("ld"), 0755), 0, "mkdir");
	expect(link(P("ld"), P("ld2")), EPERM, "link of a dir: EPERM");
	expect(unlink(P("l1")), 0, "unlink");
	check(S("l2").st_nlink == 1, "nlink 1 after unlink");
	expect(symlink("l2", P("sl")), 0, "symlink");
	a = S("sl");
	check(S_ISLNK(a.st_mode) && a.st_size == 2, "lstat of a symlink");
	n = readlink(P("sl"), buf, sizeof(buf));
	check(n == 2 && !memcmp(buf, "l2", 2), "readlink");
	check(stat(P("sl"), &b) == 0 && S_ISREG(b.st_mode) && b.st_size == 4,
	      "stat follows");
	expect(symlink("loop2", P("loop1")), 0, "symlink loop1");
	expect(symlink("loop1", P("loop2")), 0, "symlink loop2");
	expect(open(P("loop1"), O_RDONLY), ELOOP, "open of a loop: ELOOP");
	expect(symlink("x", P("sl")), EEXIST, "symlink over a name: EEXIST");
	expect(readlink(P("l2"), buf, sizeof(buf)), EINVAL,
	       "readlink of a file: EINVAL");
}

static void renames(void)
{
	struct stat a, b;

	mkfile("r1", 0644, "one");
	mkfile("r2", 0644, "two");
	a = S("r1");
	tick();
	expect(rename(P("r1"), P("r2")), 0, "rename over a file");
	b = S("r2");
	check(b.st_ino == a.st_ino && S("r1").st_mode == 0,
	      "the file moved, the old name is gone");
	check(newer(b.st_ctim, a.st_ctim), "rename changes the ctime");
	expect(mkdir(P("rd1"), 0755), 0, "mkdir");
	expect(mkdir(P("rd2"), 0755), 0, "mkdir");
	expect(rename(P("rd1"), P("rd2")), 0, "rename dir over an empty dir");
	expect(mkdir(P("rd3"), 0755), 0, "mkdir");
	mkfile("rd3/x", 0644, NULL);
	expect(mkdir(P("rd4"), 0755), 0, "mkdir");
	expect(rename(P("rd4"), P("rd3")), ENOTEMPTY,
	       "rename dir over a non-empty dir: ENOTEMPTY");
	expect(rename(P("rd4"), P("r2")), ENOTDIR,
	       "rename dir over a file: ENOTDIR");
	expect(rename(P("r2"), P("rd4")), EISDIR,
	       "rename file over a dir: EISDIR");
	expect(rename(P("rd4"), P("rd4/sub")), EINVAL,
	       "rename a dir into itself: EINVAL");
	/* across directories, with ".." following */
	expect(mkdir(P("rd4/sub"), 0755), 0, "mkdir");
	expect(rename(P("rd4/sub"), P("rd3/sub")), 0, "rename dir across");
	a = S("rd3");
	check(stat(P("rd3/sub/.."), &b) == 0 && b.st_ino == a.st_ino,
	      "\"..\" of a moved dir is its new parent");
	check(S("rd3").st_nlink == 3 && S("rd4").st_nlink == 2,
	      "link counts of the parents: %lu %lu",
	      (unsigned long)S("rd3").st_nlink,
	      (unsigned long)S("rd4").st_nlink);
	expect(rename(P("r2"), P("rd4/r")), 0, "rename file across");
	check(S_ISREG(S("rd4/r").st_mode), "the file is there");
	/* two links to one file: rename is a no-op */
	expect(link(P("rd4/r"), P("rd4/r2")), 0, "link");
	expect(rename(P("rd4/r"), P("rd4/r2")), 0, "rename onto a link");
	check(S("rd4/r").st_mode && S("rd4/r2").st_mode,
	      "both names stay");
	expect(symlink("target", P("rs")), 0, "symlink");
	expect(rename(P("rs"), P("rd4/rs")), 0, "rename a symlink");
	check(S_ISLNK(S("rd4/rs").st_mode), "still a symlink");
	expect(rename(P("nonexistent"), P("x")), ENOENT, "rename: ENOENT");
}

static void times(void)
{
	struct timespec ts[2] = {{1000000000, 123456789},
				 {1100000000, 987654321}};
	struct stat a, b;
	int fd;

	mkfile("t", 0644, NULL);
	expect(utimensat(AT_FDCWD, P("t"), ts, 0), 0, "utimensat");
	a = S("t");
	check(a.st_atim.tv_sec == ts[0].tv_sec &&
	      a.st_atim.tv_nsec == ts[0].tv_nsec &&
	      a.st_mtim.tv_sec == ts[1].tv_sec &&
	      a.st_mtim.tv_nsec == ts[1].tv_nsec,
	      "times set to the nanosecond");
	expect(mkdir(P("td"), 0755), 0, "mkdir");
	a = S("td");
	tick();
	mkfile("td/new", 0644, NULL);
	b = S("td");
	check(newer(b.st_mtim, a.st_mtim) && newer(b.st_ctim, a.st_ctim),
	      "a create changes the dir's mtime and ctime");
	a = S("t");
	tick();
	fd = open(P("t"), O_WRONLY);
	check(fd >= 0 && write(fd, "x", 1) == 1, "write t");
	if (fd >= 0)
		close(fd);
	b = S("t");
	check(newer(b.st_mtim, a.st_mtim) && newer(b.st_ctim, a.st_ctim),
	      "a write changes mtime and ctime");
	a = b;
	tick();
	expect(chmod(P("t"), 0666), 0, "chmod");
	b = S("t");
	check(newer(b.st_ctim, a.st_ctim) &&
	      b.st_mtim.tv_sec == a.st_mtim.tv_sec &&
	      b.st_mtim.tv_nsec == a.st_mtim.tv_nsec,
	      "chmod changes ctime only");
	expect_as(as(U1, U1, 0, do_utimes_now, (void *)P("t")), 0,
		  "a writer (not owner) sets times to now");
	expect_as(as(U1, U1, 0, do_utimes_set, (void *)P("t")), EPERM,
		  "a non-owner cannot set given times");
}

static void open_unlinked(void)
{
	struct stat st;
	char buf[16] = "";
	int fd;

	mkfile("ou", 0644, "kept");
	fd = open(P("ou"), O_RDWR);
	expect(unlink(P("ou")), 0, "unlink an open file");
	check(fd >= 0 && pread(fd, buf, sizeof(buf), 0) == 4 &&
	      !memcmp(buf, "kept", 4), "read after unlink");
	check(pwrite(fd, "more", 4, 4) == 4 && pread(fd, buf, 8, 0) == 8 &&
	      !memcmp(buf, "keptmore", 8), "write after unlink");
	check(fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_size == 8,
	      "fstat after unlink: nlink %lu", (unsigned long)st.st_nlink);
	if (fd >= 0)
		close(fd);
	check(S("ou").st_mode == 0, "the name is gone");
}

static void errnos(void)
{
	char name[300];
	int fd;

	expect(mkdir(P("e"), 0755), 0, "mkdir");
	expect(mkdir(P("e"), 0755), EEXIST, "mkdir existing: EEXIST");
	mkfile("e/f", 0644, "abc");
	expect(rmdir(P("e")), ENOTEMPTY, "rmdir non-empty: ENOTEMPTY");
	expect(unlink(P("e")), EISDIR, "unlink a dir: EISDIR");
	expect(rmdir(P("e/f")), ENOTDIR, "rmdir a file: ENOTDIR");
	expect(open(P("e/f/x"), O_RDONLY), ENOTDIR, "a file as a dir: "
	       "ENOTDIR");
	expect(open(P("e/f"), O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST,
	       "O_EXCL on a name: EEXIST");
	expect(open(P("e"), O_WRONLY), EISDIR, "open a dir for writing: "
	       "EISDIR");
	expect(truncate(P("e"), 0), EISDIR, "truncate a dir: EISDIR");
	memset(name, 'n', 256);
	name[256] = '\0';
	expect(open(P(name), O_CREAT | O_WRONLY, 0644), ENAMETOOLONG,
	       "a 256-byte name: ENAMETOOLONG");
	expect(open(P("e/none"), O_RDONLY), ENOENT, "ENOENT");
	expect(rmdir(P("e/.")), EINVAL, "rmdir \".\": EINVAL");
	/* truncate both ways */
	fd = open(P("e/f"), O_RDWR);
	check(fd >= 0 && ftruncate(fd, 10) == 0 && S("e/f").st_size == 10,
	      "ftruncate grows");
	{
		char buf[10];

		check(pread(fd, buf, 10, 0) == 10 && buf[9] == 0 &&
		      !memcmp(buf, "abc", 3), "grown with zeros");
	}
	check(ftruncate(fd, 1) == 0 && S("e/f").st_size == 1,
	      "ftruncate shrinks");
	if (fd >= 0)
		close(fd);
	fd = open(P("e/f"), O_WRONLY | O_APPEND);
	check(fd >= 0 && pwrite(fd, "z", 1, 0) == 1 &&
	      S("e/f").st_size == 2, "O_APPEND writes at the end");
	if (fd >= 0)
		close(fd);
	/* sticky directories */
	expect(mkdir(P("sticky"), 01777), 0, "mkdir sticky");
	expect(chmod(P("sticky"), 01777), 0, "chmod sticky");
	expect_as(as(U1, U1, 0, do_create, (void *)P("sticky/mine")), 0,
		  "a user creates in a sticky dir");
	check(S("sticky/mine").st_uid == U1, "its file is its own: %u",
	      S("sticky/mine").st_uid);
	expect_as(as(U2, U2, 0, do_unlink, (void *)P("sticky/mine")), EPERM,
		  "another user cannot remove it");
	expect_as(as(U1, U1, 0, do_unlink, (void *)P("sticky/mine")), 0,
		  "its owner can");
}

/* Whether this process is in a user namespace other than the first. */
static int user_namespaced(void)
{
	unsigned long in, out, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	int n, full = 0;

	/* MicronOS's /proc has no uid_map: the namespace's procfs is at
	 * /.micronos/proc inside */
	if (!f)
		f = fopen("/.micronos/proc/self/uid_map", "re");
	if (!f)
		return 0;
	n = fscanf(f, "%lu %lu %lu", &in, &out, &count);
	full = n == 3 && in == 0 && out == 0 && count == 4294967295UL;
	fclose(f);
	return !full;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: posix_fs DIR\n");
		return 2;
	}
	snprintf(base, sizeof(base), "%s/posix_fs.%d", argv[1], (int)getpid());
	if (mkdir(base, 0755) < 0 || chmod(base, 0755) < 0) {
		fprintf(stderr, "posix_fs: mkdir %s: %s\n", base,
			strerror(errno));
		return 2;
	}
	in_userns = user_namespaced();
	if (in_userns)
		printf("posix_fs: in a user namespace: devices and unmapped "
		       "ids are the kernel's to refuse\n");
	ownership();
	modes();
	node_types();
	links();
	renames();
	times();
	open_unlinked();
	errnos();
	printf("posix_fs: %d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}
