/*
 * test_fusefs - the FUSE adapter through a real mount: a kernel is booted
 * with a temporary data dir, its VFS mounted in a temporary directory, and
 * everything is checked with real system calls against the mount point.
 *
 * Besides the standard and generated trees the fixture (fusefs_fixture.h)
 * mounts a test tree at /test whose "stream" file blocks like
 * /events/stream and is fed by the test itself, so parked reads, poll,
 * O_NONBLOCK and interrupts are tested without depending on the event
 * trees.  Covered: browsing, every generated file read alike in every
 * chunk size, devices, storage POSIX semantics, other users' permissions
 * (default_permissions and the VFS agree, cached dentries included),
 * persistence across remounts, parked reads woken, interrupted (EINTR,
 * SIGINT of cat), O_NONBLOCK and poll, 32 parked readers beside a tree
 * walk, stopping with parked readers and a busy mount, a daemon killed
 * with SIGKILL (no D-state reader; the dead mount cleaned at the next
 * attach), invalidation, id maps, and the API's failure paths.
 *
 * Needs root and /dev/fuse (CI runs as root); skips otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/kernel.h>
#include <micronos/vfs.h>

#include "fusefs.h"
#include "fusefs_fixture.h"

/* --- the tree ------------------------------------------------------------ */

static int dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, name))
			found = 1;
	closedir(d);
	return found;
}

static void tree_is_browsable(void **state)
{
	struct fx *fx = *state;
	static const char *const top[] = {"dev", "tmp",	 "etc", "home", "root",
					  "var", "test", ".",	".."};
	char path[256];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		assert_true(dir_has(fx->mnt, top[i]));
	assert_int_equal(stat(fx->mnt, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	p(fx, path, sizeof(path), "dev/zero");
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0666);
	p(fx, path, sizeof(path), "dev/stdin");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	p(fx, path, sizeof(path), "nonexistent");
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	p(fx, path, sizeof(path), "etc/passwd");
	assert_int_equal(stat(path, &st), 0);
	assert_true(dir_has(fx->mnt, "dev"));
}

/* --- generated files: 1-byte reads, odd sizes, lseek 0, one read --------- */

#define GEN_MAX (1 << 20)
#define BYTEWISE_MAX (256 << 10) /* 1-byte reads up to this much */

struct gen_walk {
	char *a, *b;
	int files, streams;
};

static struct gen_walk *gw;

static ssize_t read_chunks(int fd, char *buf, size_t max, size_t chunk)
{
	size_t got = 0;
	ssize_t n;

	while (got < max) {
		n = read(fd, buf + got, chunk < max - got ? chunk : max - got);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* A word that is a figure (digits, a point): it may move between renders. */
static int numeric(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((w[i] < '0' || w[i] > '9') && w[i] != '.')
			return 0;
	return n > 0;
}

/* Same lines with the same first word each: what a re-render keeps. */
static int same_keys(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *ae = a + alen, *be = b + blen;

	while (a < ae && b < be) {
		size_t ka = strcspn(a, " \t:\n"), kb = strcspn(b, " \t:\n");
		const char *na = memchr(a, '\n', (size_t)(ae - a));
		const char *nb = memchr(b, '\n', (size_t)(be - b));

		if (!na != !nb ||
		    (!(numeric(a, ka) && numeric(b, kb)) &&
		     (ka != kb || memcmp(a, b, ka))))
			return 0;
		a = na ? na + 1 : ae;
		b = nb ? nb + 1 : be;
	}
	return a >= ae && b >= be;
}

/*
 * Re-reads fd from 0 in `chunk`-byte reads and compares with the first
 * whole read.  A log (events/log) may have grown meanwhile: more bytes are
 * fine if the first ones are the same.  Reading from offset 0 again renders
 * the file again (seq_file), so figures may move, but never the lines and
 * their keys: a sequence of small reads mixing two renders would tear one.
 */
static void reread_same(int fd, const char *path, ssize_t whole, size_t chunk)
{
	ssize_t n;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read_chunks(fd, gw->b, GEN_MAX, chunk);
	assert_true(n >= 0);
	if ((n != whole || memcmp(gw->a, gw->b, (size_t)whole)) &&
	    same_keys(gw->a, (size_t)whole, gw->b, (size_t)n))
		return;	/* rendered again: same lines, other figures */
	if (n > whole)
		print_message("%s grew by %zd bytes while open\n", path,
			      n - whole);
	else if (n != whole)
		print_error("%s: %zd bytes at once, %zd in %zu-byte reads\n",
			    path, whole, n, chunk);
	assert_true(n >= whole);
	assert_memory_equal(gw->a, gw->b, (size_t)whole);
}

/* One open: the snapshot rendered at open must be what every way of
 * reading it returns. */
static void check_generated(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	ssize_t whole;

	if (fd < 0) {
		print_message("skip %s: %s\n", path, strerror(errno));
		return;
	}
	whole = read_chunks(fd, gw->a, GEN_MAX, GEN_MAX);
	if (whole == -EAGAIN) { /* a stream: tested below */
		gw->streams++;
		close(fd);
		return;
	}
	if (whole < 0) {
		print_message("skip %s: %s\n", path, strerror((int)-whole));
		close(fd);
		return;
	}
	assert_true(whole < GEN_MAX);
	if (whole <= BYTEWISE_MAX)
		reread_same(fd, path, whole, 1);
	reread_same(fd, path, whole, 7);
	reread_same(fd, path, whole, 4093);
	close(fd);
	gw->files++;
}

static int gen_cb(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	static const char *const endless[] = {"/dev/zero", "/dev/random",
					      "/dev/urandom", "/dev/full"};
	size_t i;

	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	for (i = 0; i < sizeof(endless) / sizeof(endless[0]); i++) {
		size_t l = strlen(endless[i]), pl = strlen(path);

		if (pl >= l && !strcmp(path + pl - l, endless[i]))
			return 0;
	}
	check_generated(path);
	return 0;
}

static void generated_files_read_alike(void **state)
{
	struct fx *fx = *state;
	static const char *const trees[] = {"dev", "etc",    "test",  "proc",
					    "sys", "events", "health"};
	struct gen_walk w = {malloc(GEN_MAX), malloc(GEN_MAX), 0, 0};
	char path[256];
	size_t i;

	assert_non_null(w.a);
	assert_non_null(w.b);
	gw = &w;
	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		p(fx, path, sizeof(path), trees[i]);
		if (access(path, F_OK) == 0)
			assert_int_equal(nftw(path, gen_cb, 16, FTW_PHYS), 0);
		else
			print_message("no %s yet\n", trees[i]);
	}
	print_message("%d generated files checked, %d streams\n", w.files,
		      w.streams);
	assert_true(w.files >= 6);   /* etc, dev/null, test/static */
	assert_true(w.streams >= 1); /* test/stream */
	free(w.a);
	free(w.b);
}

static void devices_work(void **state)
{
	struct fx *fx = *state;
	char path[256], *buf = malloc(1 << 20);
	int fd, i, nonzero = 0;

	assert_non_null(buf);
	p(fx, path, sizeof(path), "dev/zero");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	memset(buf, 0xa5, 1 << 20);
	assert_int_equal(read(fd, buf, 1 << 20), 1 << 20);
	for (i = 0; i < (1 << 20); i++)
		assert_int_equal(buf[i], 0);
	close(fd);

	p(fx, path, sizeof(path), "dev/urandom");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, 4096), 4096);
	for (i = 0; i < 4096; i++)
		nonzero += buf[i] != 0;
	assert_true(nonzero > 3000);
	close(fd);

	p(fx, path, sizeof(path), "dev/null");
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_int_equal(read(fd, buf, 16), 0);
	close(fd);

	p(fx, path, sizeof(path), "dev/full");
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
	free(buf);
}

/* --- storage: POSIX through the mount ------------------------------------ */

static void storage_create_rename_unlink(void **state)
{
	struct fx *fx = *state;
	char a[256], b[256], buf[64];
	struct stat st;
	int fd, keep;

	p(fx, a, sizeof(a), "var/a");
	p(fx, b, sizeof(b), "var/b");
	fd = open(a, O_RDWR | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "alpha", 5), 5);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 5);
	close(fd);
	assert_int_equal(open(a, O_RDWR | O_CREAT | O_EXCL, 0640), -1);
	assert_int_equal(errno, EEXIST);

	/* Rename over an existing file: an open fd keeps the old one. */
	write_file(b, "beta");
	keep = open(b, O_RDONLY);
	assert_true(keep >= 0);
	assert_int_equal(rename(a, b), 0);
	expect_file(b, "alpha");
	assert_int_equal(access(a, F_OK), -1);
	assert_int_equal(pread(keep, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "beta", 4);
	close(keep);

	/* Unlink while open. */
	fd = open(b, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(unlink(b), 0);
	assert_int_equal(stat(b, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(pwrite(fd, "!", 1, 5), 1);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "alpha!", 6);
	close(fd);

	/* renameat2 flags. */
	write_file(a, "1");
	write_file(b, "2");
	assert_int_equal(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE),
			 -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE),
			 0);
	expect_file(a, "2");
	expect_file(b, "1");
}

static void storage_links_dirs_symlinks(void **state)
{
	struct fx *fx = *state;
	char a[256], b[256], d[256], s[256], buf[256];
	struct stat sa, sb;

	p(fx, a, sizeof(a), "var/f");
	p(fx, b, sizeof(b), "var/g");
	write_file(a, "data");
	assert_int_equal(link(a, b), 0);
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sa.st_nlink, 2);
	assert_int_equal(sa.st_ino, sb.st_ino);
	assert_int_equal(unlink(a), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sb.st_nlink, 1);
	expect_file(b, "data");

	p(fx, d, sizeof(d), "var/d");
	assert_int_equal(mkdir(d, 0750), 0);
	assert_int_equal(stat(d, &sa), 0);
	assert_true(S_ISDIR(sa.st_mode));
	assert_int_equal(sa.st_mode & 0777, 0750);
	p(fx, a, sizeof(a), "var/d/x");
	write_file(a, "x");
	assert_int_equal(rmdir(d), -1);
	assert_int_equal(errno, ENOTEMPTY);
	assert_int_equal(unlink(a), 0);
	assert_int_equal(rmdir(d), 0);

	p(fx, s, sizeof(s), "var/s");
	assert_int_equal(symlink("g", s), 0);
	assert_int_equal(readlink(s, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'g');
	expect_file(s, "data");
	assert_int_equal(lstat(s, &sa), 0);
	assert_true(S_ISLNK(sa.st_mode));
	assert_int_equal(mknod(a, S_IFIFO | 0600, 0), -1); /* d is gone */
	p(fx, a, sizeof(a), "var/fifo");
	assert_int_equal(mknod(a, S_IFIFO | 0600, 0), 0);
	assert_int_equal(lstat(a, &sa), 0);
	assert_true(S_ISFIFO(sa.st_mode));
}

static void storage_attrs_truncate_append(void **state)
{
	struct fx *fx = *state;
	struct timespec times[2] = {{1000000000, 5}, {1200000000, 7}};
	char a[256], buf[64];
	struct stat st, st2;
	int fd, fd2;

	p(fx, a, sizeof(a), "var/attr");
	write_file(a, "0123456789");
	assert_int_equal(stat(a, &st), 0);
	sleep_ms(20);
	assert_int_equal(chmod(a, 0600), 0);
	assert_int_equal(stat(a, &st2), 0);
	assert_int_equal(st2.st_mode & 0777, 0600);
	assert_true(st2.st_ctim.tv_sec > st.st_ctim.tv_sec ||
		    (st2.st_ctim.tv_sec == st.st_ctim.tv_sec &&
		     st2.st_ctim.tv_nsec > st.st_ctim.tv_nsec));
	assert_int_equal(chown(a, 1000, 1000), 0);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_int_equal(utimensat(AT_FDCWD, a, times, 0), 0);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000000000);
	assert_int_equal(st.st_mtim.tv_sec, 1200000000);
	assert_int_equal(st.st_mtim.tv_nsec, 7);

	assert_int_equal(truncate(a, 4), 0);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_size, 4);
	expect_file(a, "0123");
	fd = open(a, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 8);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 8);
	assert_memory_equal(buf, "0123\0\0\0\0", 8);
	close(fd);
	fd = open(a, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	close(fd);

	/* O_APPEND: two appenders never overwrite each other. */
	fd = open(a, O_WRONLY | O_APPEND);
	fd2 = open(a, O_WRONLY | O_APPEND);
	assert_true(fd >= 0 && fd2 >= 0);
	assert_int_equal(write(fd, "ab", 2), 2);
	assert_int_equal(write(fd2, "cd", 2), 2);
	assert_int_equal(write(fd, "ef", 2), 2);
	close(fd);
	close(fd2);
	expect_file(a, "abcdef");
}

static void storage_xattrs_statfs_fsync(void **state)
{
	struct fx *fx = *state;
	char a[256], buf[256];
	struct statvfs sv;
	ssize_t n;
	int fd;

	p(fx, a, sizeof(a), "var/x");
	write_file(a, "x");
	assert_int_equal(setxattr(a, "user.color", "blue", 4, XATTR_CREATE), 0);
	assert_int_equal(setxattr(a, "user.color", "red", 3, XATTR_CREATE), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(getxattr(a, "user.color", NULL, 0), 4);
	assert_int_equal(getxattr(a, "user.color", buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "blue", 4);
	assert_int_equal(getxattr(a, "user.color", buf, 2), -1);
	assert_int_equal(errno, ERANGE);
	n = listxattr(a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(memmem(buf, (size_t)n, "user.color", 11));
	assert_int_equal(removexattr(a, "user.color"), 0);
	assert_int_equal(getxattr(a, "user.color", buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENODATA);

	assert_int_equal(statvfs(fx->mnt, &sv), 0);
	assert_true(sv.f_bsize > 0);
	assert_true(sv.f_blocks > 0);
	fd = open(a, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(fdatasync(fd), 0);
	close(fd);
	fd = open(fx->mnt, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

/* Many entries: the first readdir batch comes bare, later ones with
 * lookups once the kernel has seen stats; nothing is lost or doubled. */
static void big_directory_lists_whole(void **state)
{
	struct fx *fx = *state;
	char d[256], a[600];
	struct dirent *de;
	struct stat st;
	int i, round, n;
	DIR *dir;

	p(fx, d, sizeof(d), "var/big");
	assert_int_equal(mkdir(d, 0755), 0);
	for (i = 0; i < 300; i++) {
		snprintf(a, sizeof(a), "%s/file-with-a-longish-name-%03d", d,
			 i);
		write_file(a, "x");
	}
	for (round = 0; round < 3; round++) {
		assert_non_null(dir = opendir(d));
		n = 0;
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			assert_int_equal(de->d_type, DT_REG);
			snprintf(a, sizeof(a), "%s/%s", d, de->d_name);
			assert_int_equal(lstat(a, &st), 0); /* as ls -l */
			assert_int_equal(st.st_ino, de->d_ino);
			n++;
		}
		closedir(dir);
		assert_int_equal(n, 300);
	}
}

/* --- permissions as another user ------------------------------------------ */

static int user_checks(struct fx *fx)
{
	char a[256];
	struct stat st;
	int fd;

	snprintf(a, sizeof(a), "%s/root/secret", fx->mnt);
	CHECK(1, stat(a, &st) == -1 && errno == EACCES);
	snprintf(a, sizeof(a), "%s/home/user/mine", fx->mnt);
	fd = open(a, O_RDWR | O_CREAT, 0644);
	CHECK(2, fd >= 0);
	CHECK(3, fstat(fd, &st) == 0 && st.st_uid == 1000);
	close(fd);
	CHECK(4, chown(a, 0, 0) == -1 && errno == EPERM);
	CHECK(5, utimensat(AT_FDCWD, a, (struct timespec[2]){{1, 0}, {2, 0}},
			   0) == 0);
	snprintf(a, sizeof(a), "%s/var/new", fx->mnt);
	CHECK(6, open(a, O_RDWR | O_CREAT, 0644) == -1 && errno == EACCES);
	snprintf(a, sizeof(a), "%s/var/private", fx->mnt);
	CHECK(7, open(a, O_RDONLY) == -1 && errno == EACCES);
	snprintf(a, sizeof(a), "%s/var/public", fx->mnt);
	fd = open(a, O_RDONLY);
	CHECK(8, fd >= 0);
	close(fd);
	CHECK(9, open(a, O_WRONLY) == -1 && errno == EACCES);
	CHECK(10, chmod(a, 0666) == -1 && errno == EPERM);
	CHECK(11, utimensat(AT_FDCWD, a, NULL, 0) == -1 && errno == EACCES);
	snprintf(a, sizeof(a), "%s/tmp/rootfile", fx->mnt);
	CHECK(12, utimensat(AT_FDCWD, a, NULL, 0) == 0);
	CHECK(13, unlink(a) == -1 && errno == EPERM); /* sticky /tmp */
	snprintf(a, sizeof(a), "%s/var/group", fx->mnt);
	CHECK(14, open(a, O_RDONLY) == -1 && errno == EACCES);
	return 0;
}

static int group_checks(struct fx *fx)
{
	char a[256];
	int fd;

	snprintf(a, sizeof(a), "%s/var/group", fx->mnt);
	fd = open(a, O_RDONLY);
	CHECK(1, fd >= 0);
	close(fd);
	return 0;
}

static void permissions_of_other_users(void **state)
{
	struct fx *fx = *state;
	const gid_t g50[] = {50};
	char a[256];
	struct stat st;
	int fd;

	/* Root looks it up first: a cached dentry must not let others in. */
	p(fx, a, sizeof(a), "root/secret");
	write_file(a, "s");
	assert_int_equal(stat(a, &st), 0);
	p(fx, a, sizeof(a), "var/private");
	write_file(a, "p");
	assert_int_equal(chmod(a, 0600), 0);
	p(fx, a, sizeof(a), "var/public");
	write_file(a, "p");
	p(fx, a, sizeof(a), "var/group");
	write_file(a, "g");
	assert_int_equal(chown(a, 0, 50), 0);
	assert_int_equal(chmod(a, 0640), 0);
	p(fx, a, sizeof(a), "tmp/rootfile");
	fd = open(a, O_WRONLY | O_CREAT, 0666);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0666), 0);
	close(fd);

	assert_int_equal(as_user(user_checks, fx, 1000, NULL, 0), 0);
	assert_int_equal(as_user(group_checks, fx, 1000, g50, 1), 0);
}

/* --- persistence -----------------------------------------------------------
 */

static void storage_survives_remount(void **state)
{
	struct fx *fx = *state;
	char a[256];
	int fd;

	p(fx, a, sizeof(a), "home/user/keep");
	fd = open(a, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "kept", 4), 4);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	shutdown_kernel(fx);
	assert_int_equal(boot(fx, 0), 0);
	expect_file(a, "kept");
}

/* --- the stream: parked reads, interrupts, poll, O_NONBLOCK --------------- */

static void on_usr1(int sig)
{
	(void)sig;
}

/* Child: a blocking read interrupted by a handled signal says EINTR. */
static int read_expect_eintr(const char *path)
{
	struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
	char buf[64];
	int fd;

	sigaction(SIGUSR1, &sa, NULL);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	if (read(fd, buf, sizeof(buf)) != -1)
		return 2;
	return errno == EINTR ? 0 : 3;
}

static void stream_read_interrupted(void **state)
{
	struct fx *fx = *state;
	char path[256];
	uint64_t t0;
	pid_t pid;
	int status;

	p(fx, path, sizeof(path), "test/stream");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(read_expect_eintr(path));
	wait_parked(fx, 1);
	t0 = now_ms();
	kill(pid, SIGUSR1);
	status = wait_child(pid, WAIT_MS);
	print_message("EINTR after %llu ms\n",
		      (unsigned long long)(now_ms() - t0));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(stats(fx).interrupts, 1);
	wait_parked(fx, 0);
}

static void cat_of_stream_dies_on_sigint(void **state)
{
	struct fx *fx = *state;
	char path[256];
	pid_t pid;
	int status, devnull;

	p(fx, path, sizeof(path), "test/stream");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execlp("cat", "cat", path, (char *)NULL);
		_exit(127);
	}
	wait_parked(fx, 1);
	kill(pid, SIGINT);
	status = wait_child(pid, WAIT_MS);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGINT);
}

struct reader {
	const char *path;
	pthread_t t;
	ssize_t n;
	char buf[64];
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	int fd = open(r->path, O_RDONLY);

	r->n = fd < 0 ? -errno : read(fd, r->buf, sizeof(r->buf) - 1);
	if (r->n >= 0)
		r->buf[r->n] = '\0';
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void stream_wakes_parked_reader(void **state)
{
	struct fx *fx = *state;
	struct reader r = {0};
	char path[256];

	p(fx, path, sizeof(path), "test/stream");
	r.path = path;
	assert_int_equal(pthread_create(&r.t, NULL, reader_main, &r), 0);
	wait_parked(fx, 1);
	ts_publish();
	assert_int_equal(pthread_join(r.t, NULL), 0);
	assert_int_equal(r.n, 7);
	assert_string_equal(r.buf, "line 0\n");
	wait_parked(fx, 0);
}

static void *publish_later(void *arg)
{
	(void)arg;
	sleep_ms(200);
	ts_publish();
	return NULL;
}

static void stream_nonblock_and_poll(void **state)
{
	struct fx *fx = *state;
	struct pollfd pfd;
	char path[256], buf[64];
	pthread_t t;
	int fd;

	p(fx, path, sizeof(path), "test/stream");
	fd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 0);

	assert_int_equal(pthread_create(&t, NULL, publish_later, NULL), 0);
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	assert_true(pfd.revents & POLLIN);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(stats(fx).poll_notifies >= 1);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);

	/* Back to blocking: the read parks until the next line. */
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, publish_later, NULL), 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "line 1\n", 7);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(fd);
}

static int walk_cb(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	struct stat st2;

	(void)st;
	(void)flag;
	(void)ftw;
	lstat(path, &st2);
	return 0;
}

static void readers_do_not_block_the_tree(void **state)
{
	struct fx *fx = *state;
	struct reader r[32];
	char path[256];
	uint64_t t0;
	int i, rounds;

	p(fx, path, sizeof(path), "test/stream");
	for (i = 0; i < 32; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].path = path;
		assert_int_equal(
		    pthread_create(&r[i].t, NULL, reader_main, &r[i]), 0);
	}
	wait_parked(fx, 32);
	/* ls -lR while every reader waits: the FUSE threads are free. */
	t0 = now_ms();
	for (rounds = 0; rounds < 5; rounds++)
		assert_int_equal(nftw(fx->mnt, walk_cb, 16, FTW_PHYS), 0);
	print_message("5 walks with 32 parked readers: %llu ms\n",
		      (unsigned long long)(now_ms() - t0));
	ts_publish();
	for (i = 0; i < 32; i++) {
		assert_int_equal(pthread_join(r[i].t, NULL), 0);
		assert_int_equal(r[i].n, 7);
		assert_string_equal(r[i].buf, "line 0\n");
	}
	wait_parked(fx, 0);
}

/* --- stopping ----------------------------------------------------------------
 */

static int read_expect_eof(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 1;
	return read(fd, buf, sizeof(buf)) == 0 ? 0 : 2;
}

static int cwd_inside(const char *dir, int ready)
{
	char c = 'r';

	if (chdir(dir) < 0)
		return 1;
	if (write(ready, &c, 1) != 1)
		return 2;
	pause();
	return 0;
}

/* Shutdown with a parked reader and a process whose cwd is inside: no
 * hang, the reader sees end of file, no mount is left. */
static void stop_with_busy_mount(void **state)
{
	struct fx *fx = *state;
	char path[256], c;
	pid_t reader, sitter;
	int pfd[2], status;

	p(fx, path, sizeof(path), "test/stream");
	reader = fork();
	assert_true(reader >= 0);
	if (reader == 0)
		_exit(read_expect_eof(path));
	assert_int_equal(pipe(pfd), 0);
	p(fx, path, sizeof(path), "home");
	sitter = fork();
	assert_true(sitter >= 0);
	if (sitter == 0)
		_exit(cwd_inside(path, pfd[1]));
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	close(pfd[1]);
	wait_parked(fx, 1);

	shutdown_kernel(fx); /* asserts the mount is gone */
	status = wait_child(reader, WAIT_MS);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	kill(sitter, SIGKILL);
	wait_child(sitter, WAIT_MS);
}

/* Child: boots an instance mounted at fx->mnt, reports, waits to die. */
static void daemon_child(struct fx *fx, int ready)
{
	char c = 'u';

	if (boot(fx, 0) != 0)
		_exit(1);
	if (write(ready, &c, 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

static int read_after_daemon_death(const char *path, int ready)
{
	char buf[64], c = 'o';
	int fd = open(path, O_RDONLY);

	if (fd < 0 || write(ready, &c, 1) != 1)
		return 1;
	if (read(fd, buf, sizeof(buf)) != -1)
		return 2;
	return errno == ENOTCONN || errno == ECONNABORTED ? 0 : 3;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *s;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	return s && s[1] ? s[2] : 0;
}

static void dead_daemon_leaves_no_d_state(void **state)
{
	struct fx *fx = *state;
	char path[256], c;
	pid_t daemon, reader;
	struct statx stx;
	int pfd[2], status;

	assert_int_equal(pipe(pfd), 0);
	daemon = fork();
	assert_true(daemon >= 0);
	if (daemon == 0)
		daemon_child(fx, pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);

	p(fx, path, sizeof(path), "test/stream");
	reader = fork();
	assert_true(reader >= 0);
	if (reader == 0)
		_exit(read_after_daemon_death(path, pfd[1]));
	assert_int_equal(read(pfd[0], &c, 1), 1);
	sleep_ms(300); /* let the read reach the daemon and park */
	assert_int_equal(proc_state(reader), 'S');

	kill(daemon, SIGKILL);
	status = wait_child(daemon, WAIT_MS);
	assert_true(WIFSIGNALED(status));
	status = wait_child(reader, WAIT_MS); /* a D-state reader hangs */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(pfd[0]);
	close(pfd[1]);

	/* The dead mount is still there until the next attach cleans it. */
	assert_int_equal(
	    statx(AT_FDCWD, fx->mnt, AT_STATX_FORCE_SYNC, STATX_MODE, &stx),
	    -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(boot(fx, 0), 0);
	assert_true(dir_has(fx->mnt, "dev"));
	shutdown_kernel(fx); /* asserts no mount is left */
}

/* --- invalidation, id maps, the API's failure paths -------------------------
 */

static void invalidation_from_the_notifier(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs *vfs = mn_vfs_of(fx->k);
	struct mn_vfs_entry e;
	char a[256];
	struct stat st;
	uint64_t t0;

	p(fx, a, sizeof(a), "var/gone");
	write_file(a, "x");
	assert_int_equal(stat(a, &st), 0); /* cached for a second */
	/* Removed behind the kernel's back, as the shell's rm would. */
	assert_int_equal(
	    mn_vfs_unlink_path(vfs, &mn_vfs_cred_kernel, "/", "/var/gone"), 0);
	assert_int_equal(
	    mn_vfs_resolve(vfs, &mn_vfs_cred_kernel, "/", "/var", 0, &e), 0);
	assert_int_equal(
	    mn_fusefs_inval_entry(mn_fusefs_of(fx->k), e.ino, "gone"), 0);
	assert_int_equal(mn_fusefs_inval_inode(mn_fusefs_of(fx->k), e.ino), 0);
	t0 = now_ms();
	while (stats(fx).invalidations < 1) {
		assert_true(now_ms() - t0 < WAIT_MS);
		sleep_ms(5);
	}
	assert_int_equal(stat(a, &st), -1);
	assert_int_equal(errno, ENOENT);
	mn_vfs_forget(vfs, e.ino, 1);

	assert_int_equal(mn_fusefs_inval_entry(NULL, 1, "x"), -EINVAL);
	assert_int_equal(mn_fusefs_inval_entry(mn_fusefs_of(fx->k), 1, ""),
			 -EINVAL);
	assert_int_equal(mn_fusefs_inval_entry(mn_fusefs_of(fx->k), 1, NULL),
			 -EINVAL);
}

static int mapped_create(struct fx *fx)
{
	char a[256];
	struct stat st;
	int fd;

	snprintf(a, sizeof(a), "%s/tmp/mapped", fx->mnt);
	fd = open(a, O_RDWR | O_CREAT, 0644);
	CHECK(1, fd >= 0);
	CHECK(2, fstat(fd, &st) == 0 && st.st_uid == 2005 && st.st_gid == 2005);
	close(fd);
	return 0;
}

static int unmapped_create(struct fx *fx)
{
	char a[256];
	int fd;

	snprintf(a, sizeof(a), "%s/tmp/unmapped", fx->mnt);
	fd = open(a, O_RDWR | O_CREAT, 0644);
	CHECK(1, fd >= 0);
	close(fd);
	return 0;
}

static int ident_create(struct fx *fx)
{
	char a[256];
	struct stat st;
	int fd;

	snprintf(a, sizeof(a), "%s/tmp/ident", fx->mnt);
	fd = open(a, O_RDWR | O_CREAT, 0644);
	CHECK(1, fd >= 0);
	CHECK(2, fstat(fd, &st) == 0 && st.st_uid == 5000);
	close(fd);
	return 0;
}

static void id_maps_translate_both_ways(void **state)
{
	static const struct mn_fusefs_idmap map[] = {{0, 0, 1},
						     {1000, 2000, 10}};
	struct fx *fx = *state;
	struct stat st;

	fx->fo.uid_map = fx->fo.gid_map = map;
	fx->fo.nuid_map = fx->fo.ngid_map = 2;
	assert_int_equal(boot(fx, 0), 0);
	/* Host uid 2005 is MicronOS uid 1005, and back. */
	assert_int_equal(as_user(mapped_create, fx, 2005, NULL, 0), 0);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(fx->k), &mn_vfs_cred_kernel,
					  "/", "/tmp/mapped", 0, &st),
			 0);
	assert_int_equal(st.st_uid, 1005);
	assert_int_equal(st.st_gid, 1005);
	/* An unmapped host user is nobody. */
	assert_int_equal(as_user(unmapped_create, fx, 5000, NULL, 0), 0);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(fx->k), &mn_vfs_cred_kernel,
					  "/", "/tmp/unmapped", 0, &st),
			 0);
	assert_int_equal(st.st_uid, MN_FUSEFS_OVERFLOW_ID);

	/* Replaced while serving: back to identity. */
	assert_int_equal(mn_fusefs_set_idmaps(NULL, NULL, 0, NULL, 0), -EINVAL);
	assert_int_equal(
	    mn_fusefs_set_idmaps(mn_fusefs_of(fx->k), map, 9, NULL, 0),
	    -EINVAL);
	assert_int_equal(
	    mn_fusefs_set_idmaps(mn_fusefs_of(fx->k), NULL, 0, NULL, 0), 0);
	assert_int_equal(as_user(ident_create, fx, 5000, NULL, 0), 0);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(fx->k), &mn_vfs_cred_kernel,
					  "/", "/tmp/ident", 0, &st),
			 0);
	assert_int_equal(st.st_uid, 5000);
}

static void bad_arguments_are_refused(void **state)
{
	static const struct mn_fusefs_idmap bad[] = {{0, 0, 0}};
	struct fx *fx = *state;
	struct mn_fusefs_opts o = {0};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_fusefs *fs;
	struct mn_vfs *vfs = mn_vfs_of(fx->k);
	char a[256];

	assert_int_equal(mn_fusefs_mount(&fs, vfs, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(mn_fusefs_mount(&fs, vfs, NULL, &o, NULL), -EINVAL);
	o.mountpoint = "/";
	assert_int_equal(mn_fusefs_mount(&fs, vfs, NULL, &o, &err), -EINVAL);
	snprintf(a, sizeof(a), "%s/file", fx->base);
	write_file(a, "x");
	o.mountpoint = a;
	assert_int_equal(mn_fusefs_mount(&fs, vfs, NULL, &o, &err), -ENOTDIR);
	o.mountpoint = fx->base;
	o.uid_map = bad;
	o.nuid_map = 1;
	assert_int_equal(mn_fusefs_mount(&fs, vfs, NULL, &o, &err), -EINVAL);
	o.nuid_map = MN_FUSEFS_IDMAP_MAX + 1;
	assert_int_equal(mn_fusefs_mount(&fs, vfs, NULL, &o, &err), -EINVAL);
	o.nuid_map = 0;

	/* A live mount is never stacked over nor cleaned. */
	mn_strbuf_reset(&err);
	o.mountpoint = fx->mnt;
	assert_int_equal(mn_fusefs_mount(&fs, vfs, NULL, &o, &err), -EBUSY);
	assert_non_null(strstr(mn_strbuf_str(&err), "live FUSE mount"));
	assert_int_equal(mn_fusefs_clean_dead(fx->mnt, NULL), -EBUSY);
	assert_int_equal(mn_fusefs_clean_dead(fx->base, NULL), 0);
	assert_int_equal(mn_fusefs_clean_dead(NULL, NULL), -EINVAL);
	assert_true(is_mounted(fx->mnt));
	assert_true(dir_has(fx->mnt, "dev"));

	assert_int_equal(mn_fusefs_attach(NULL, &o), -EINVAL);
	assert_int_equal(mn_fusefs_attach(fx->k, NULL), -EINVAL);
	assert_int_equal(mn_fusefs_attach(fx->k, &o), -EBUSY); /* booted */
	mn_strbuf_release(&err);
}

static void attach_needs_a_vfs(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf err = MN_STRBUF_INIT;

	fx->fo.mountpoint = fx->mnt;
	assert_int_equal(mn_kernel_create(&fx->k, NULL), 0);
	assert_int_equal(mn_fusefs_attach(fx->k, &fx->fo), 0);
	assert_int_equal(mn_kernel_boot(fx->k, &err), -ENODEV);
	assert_non_null(strstr(mn_strbuf_str(&err), "no VFS"));
	assert_null(mn_fusefs_of(fx->k));
	mn_strbuf_release(&err);
}

/* The adapter without a kernel: any VFS, here an in-memory one. */
static void standalone_mount_of_a_vfs(void **state)
{
	struct fx *fx = *state;
	struct mn_vfs_opts vo = {0};
	char a[256];

	fx->fo.mountpoint = fx->mnt;
	assert_int_equal(mn_vfs_create(&fx->vfs, &vo), 0);
	assert_int_equal(mn_fusefs_mount(&fx->fs, fx->vfs, NULL, &fx->fo, NULL),
			 0);
	assert_string_equal(mn_fusefs_mountpoint(fx->fs), fx->mnt);
	p(fx, a, sizeof(a), "hello");
	write_file(a, "world");
	expect_file(a, "world");
	mn_fusefs_unmount(fx->fs);
	fx->fs = NULL;
	assert_false(is_mounted(fx->mnt));
	mn_fusefs_unmount(NULL);
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define BARE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_bare, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FX_TEST(tree_is_browsable),
	    FX_TEST(generated_files_read_alike),
	    FX_TEST(devices_work),
	    FX_TEST(storage_create_rename_unlink),
	    FX_TEST(storage_links_dirs_symlinks),
	    FX_TEST(storage_attrs_truncate_append),
	    FX_TEST(storage_xattrs_statfs_fsync),
	    FX_TEST(big_directory_lists_whole),
	    FX_TEST(permissions_of_other_users),
	    FX_TEST(storage_survives_remount),
	    FX_TEST(stream_read_interrupted),
	    FX_TEST(cat_of_stream_dies_on_sigint),
	    FX_TEST(stream_wakes_parked_reader),
	    FX_TEST(stream_nonblock_and_poll),
	    FX_TEST(readers_do_not_block_the_tree),
	    FX_TEST(stop_with_busy_mount),
	    FX_TEST(invalidation_from_the_notifier),
	    FX_TEST(bad_arguments_are_refused),
	    BARE_TEST(dead_daemon_leaves_no_d_state),
	    BARE_TEST(id_maps_translate_both_ways),
	    BARE_TEST(attach_needs_a_vfs),
	    BARE_TEST(standalone_mount_of_a_vfs),
	};

	if (!can_mount())
		return mn_skip_all("needs root and /dev/fuse");

	return MN_SKIP_STATUS(cmocka_run_group_tests(tests, NULL, NULL));
}
