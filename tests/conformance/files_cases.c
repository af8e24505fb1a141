/*
 * files_cases - small reproductions of issue 10's file and process bugs,
 * run natively and inside micronos-run by tests/integration/run_files.sh.
 * Each case prints one line, "CASE ok" or "CASE fail: why", and the exit
 * status is the number of failures, so native and inside runs compare
 * line by line.  Usage: files_cases DIR [CASE...] (DIR: a writable
 * directory on the tree under test, e.g. /tmp).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;
static char why[1024];

#define FAIL(...) (snprintf(why, sizeof(why), __VA_ARGS__), -1)

/*
 * A fork child that makes no other call first reads /proc/self and
 * /proc/thread-self: both must name it (raw fork: glibc's wrapper makes
 * no trapped call either, but be sure).
 */
static int c_self(void)
{
	char buf[128], want[64];
	int p[2], st;
	ssize_t n;
	pid_t c;

	if (pipe(p) < 0)
		return FAIL("pipe: %s", strerror(errno));
	c = (pid_t)syscall(SYS_fork);
	if (c == 0) {
		char a[64] = "", b[64] = "";
		ssize_t x = readlink("/proc/self", a, sizeof(a) - 1);
		ssize_t y = readlink("/proc/thread-self", b, sizeof(b) - 1);

		a[x > 0 ? x : 0] = '\0';
		b[y > 0 ? y : 0] = '\0';
		n = snprintf(buf, sizeof(buf), "%s %s", a, b);
		if (write(p[1], buf, (size_t)n) < 0)
			_exit(2);
		_exit(0);
	}
	if (c < 0)
		return FAIL("fork: %s", strerror(errno));
	close(p[1]);
	waitpid(c, &st, 0);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "%d %d/task/%d", (int)c, (int)c, (int)c);
	if (strcmp(buf, want))
		return FAIL("fork child %d reads [%s], want [%s]", (int)c, buf,
			    want);
	return 0;
}

/* A unix stream socket bound in dir: connect, a byte each way, stat. */
static int c_unix(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int l = -1, s = -1, c = -1, r = -1;
	struct stat st;
	char b = 0;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/fc.sock", dir);
	unlink(a.sun_path);
	if ((l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		r = FAIL("socket: %s", strerror(errno));
	else if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0)
		r = FAIL("bind %s: %s", a.sun_path, strerror(errno));
	else if (listen(l, 4) < 0)
		r = FAIL("listen: %s", strerror(errno));
	else if (stat(a.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		r = FAIL("stat %s: not a socket (%s)", a.sun_path,
			 strerror(errno));
	else if ((c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		r = FAIL("socket: %s", strerror(errno));
	else if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		r = FAIL("connect %s: %s", a.sun_path, strerror(errno));
	else if ((s = accept(l, NULL, NULL)) < 0)
		r = FAIL("accept: %s", strerror(errno));
	else if (write(c, "x", 1) != 1 || read(s, &b, 1) != 1 || b != 'x')
		r = FAIL("no byte across");
	else
		r = 0;
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	if (r == 0 && unlink(a.sun_path) < 0)
		r = FAIL("unlink %s: %s", a.sun_path, strerror(errno));
	return r;
}

/* The same with datagrams, and a second bind on the name: EADDRINUSE. */
static int c_unix_dgram(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = -1, c = -1, t = -1, r = -1;
	char b = 0;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/fc.dgram", dir);
	unlink(a.sun_path);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	t = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || c < 0 || t < 0)
		r = FAIL("socket: %s", strerror(errno));
	else if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		r = FAIL("bind %s: %s", a.sun_path, strerror(errno));
	else if (bind(t, (struct sockaddr *)&a, sizeof(a)) == 0 ||
		 errno != EADDRINUSE)
		r = FAIL("second bind: %s, want EADDRINUSE", strerror(errno));
	else if (sendto(c, "y", 1, 0, (struct sockaddr *)&a, sizeof(a)) != 1)
		r = FAIL("sendto: %s", strerror(errno));
	else if (recv(s, &b, 1, 0) != 1 || b != 'y')
		r = FAIL("no datagram");
	else
		r = 0;
	close(s);
	close(c);
	close(t);
	unlink(a.sun_path);
	return r;
}

/*
 * A sparse file: one byte at 4 GiB and one at 16 GiB take a page each,
 * the hole reads as zeros, a truncate back to 1 MiB frees the far page.
 */
static int c_sparse(void)
{
	char path[512], buf[4096], zero[4096] = {0};
	const off_t far = 4LL << 30;
	struct stat st;
	int fd, r = -1;

	snprintf(path, sizeof(path), "%s/fc.sparse", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return FAIL("open %s: %s", path, strerror(errno));
	if (pwrite(fd, "a", 1, far) != 1)
		r = FAIL("pwrite at 4 GiB: %s", strerror(errno));
	else if (pwrite(fd, "b", 1, 4 * far) != 1)
		r = FAIL("pwrite at 16 GiB: %s", strerror(errno));
	else if (fstat(fd, &st) < 0 || st.st_size != 4 * far + 1)
		r = FAIL("size %lld", (long long)st.st_size);
	else if (st.st_blocks > 64)
		r = FAIL("%lld blocks: the hole takes space",
			 (long long)st.st_blocks);
	else if (pread(fd, buf, sizeof(buf), far - 4096) != sizeof(buf) ||
		 memcmp(buf, zero, sizeof(buf)))
		r = FAIL("the hole does not read as zeros");
	else if (pread(fd, buf, 1, far) != 1 || buf[0] != 'a')
		r = FAIL("the byte at 4 GiB is lost");
	else if (ftruncate(fd, 1 << 20) < 0 || fstat(fd, &st) < 0 ||
		 st.st_size != 1 << 20 || st.st_blocks > 32)
		r = FAIL("truncate: size %lld, %lld blocks",
			 (long long)st.st_size, (long long)st.st_blocks);
	else
		r = 0;
	close(fd);
	unlink(path);
	return r;
}

/*
 * pidfd_send_signal through a descriptor of /proc/PID (the form before
 * pidfd_open): signal 0 probes, SIGTERM ends a child; once the child is
 * reaped, the same descriptor gives ESRCH.  The child runs before /proc
 * is looked at (MicronOS's /proc lists a fork once it made a call the
 * supervisor sees: a known limit).
 */
static int c_pidfd_proc(void)
{
	char path[64], b;
	int fd, st, r = -1, p[2];
	pid_t c;

	if (pipe(p) < 0)
		return FAIL("pipe: %s", strerror(errno));
	c = fork();
	if (c == 0) {
		/* a child that has run (made its first calls), then waits */
		b = (char)getppid();
		if (write(p[1], &b, 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (c < 0 || read(p[0], &b, 1) != 1) {
		close(p[0]);
		return FAIL("fork: %s", strerror(errno));
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d", (int)c);
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		r = FAIL("open %s: %s", path, strerror(errno));
	else if (syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0)
		r = FAIL("signal 0: %s", strerror(errno));
	else if (syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) < 0)
		r = FAIL("SIGTERM: %s", strerror(errno));
	else if (waitpid(c, &st, 0) != c || !WIFSIGNALED(st) ||
		 WTERMSIG(st) != SIGTERM)
		r = FAIL("the child did not die of SIGTERM (status %#x)", st);
	else if (syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0 ||
		 errno != ESRCH)
		r = FAIL("after the reap: %s, want ESRCH", strerror(errno));
	else
		r = 0;
	if (r < 0) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * epoll_ctl(ADD) of a regular file: Linux refuses it (EPERM).  On
 * MicronOS's trees FUSE accepts it (a documented difference: see
 * micronos-run(1)); run_files.sh expects "accepted" there.
 */
static int c_epoll_file(void)
{
	struct epoll_event ev = {.events = EPOLLIN};
	char path[512];
	int fd, ep, r;

	snprintf(path, sizeof(path), "%s/fc.epoll", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0)
		return FAIL("open: %s", strerror(errno));
	unlink(path);
	r = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	r = r == 0 ? FAIL("accepted") : errno != EPERM ?
	    FAIL("%s, want EPERM", strerror(errno)) : 0;
	close(ep);
	close(fd);
	return r;
}

struct kase {
	const char *name;
	int (*fn)(void);
};

static const struct kase cases[] = {
	{"self", c_self},
	{"unix", c_unix},
	{"unix_dgram", c_unix_dgram},
	{"sparse", c_sparse},
	{"pidfd_proc", c_pidfd_proc},
	{"epoll_file", c_epoll_file},
};

int main(int argc, char **argv)
{
	size_t i;
	int j, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: files_cases DIR [CASE...]\n");
		return 127;
	}
	dir = argv[1];
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int want = argc == 2;

		for (j = 2; j < argc; j++)
			want |= !strcmp(argv[j], cases[i].name);
		if (!want)
			continue;
		why[0] = '\0';
		if (cases[i].fn() < 0) {
			printf("%s fail: %s\n", cases[i].name, why);
			bad++;
		} else {
			printf("%s ok\n", cases[i].name);
		}
		fflush(stdout);
	}
	return bad;
}
