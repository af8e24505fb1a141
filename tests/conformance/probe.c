/*
 * probe - prints what a program learns from the process, identity, file,
 * signal and time calls, one "key=value" line each.
 *
 * tests/integration/run_conformance.sh runs it natively and under
 * micronos-run and compares the two outputs; the keys that must differ
 * (pids, ids, hostname, uname) are listed there with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void process(void)
{
	pid_t pid = getpid(), child;
	int st = 0, pipefd[2];
	char buf[32] = "";

	printf("pid_is_tid=%d\n", pid == (pid_t)syscall(SYS_gettid));
	printf("pid_raw_matches=%d\n", pid == (pid_t)syscall(SYS_getpid));
	printf("ppid_positive=%d\n", getppid() > 0);
	if (pipe(pipefd) < 0)
		return;
	child = fork();
	if (child == 0) {
		char me[32];

		snprintf(me, sizeof(me), "%d %d", (int)getpid(),
			 (int)getppid());
		if (write(pipefd[1], me, strlen(me)) < 0)
			_exit(2);
		_exit(7);
	}
	close(pipefd[1]);
	if (read(pipefd[0], buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(pipefd[0]);
	waitpid(child, &st, 0);
	{
		int cpid = 0, cppid = 0;

		sscanf(buf, "%d %d", &cpid, &cppid);
		printf("fork_child_pid_matches=%d\n", cpid == child);
		printf("fork_child_ppid_is_me=%d\n", cppid == pid);
	}
	printf("fork_exit_status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	printf("pid=%d\n", (int)pid);
}

static void identity(void)
{
	uid_t r, e, s;
	struct utsname u;

	getresuid(&r, &e, &s);
	printf("uid=%u\neuid=%u\ngid=%u\negid=%u\n", getuid(), geteuid(),
	       getgid(), getegid());
	printf("resuid_consistent=%d\n", r == getuid() && e == geteuid() &&
	       s == e);
	uname(&u);
	printf("uname_sysname=%s\nuname_nodename=%s\nuname_machine=%s\n",
	       u.sysname, u.nodename, u.machine);
	{
		char h[256] = "";

		gethostname(h, sizeof(h));
		printf("hostname_matches_uname=%d\n",
		       strcmp(h, u.nodename) == 0);
	}
}

static void files(void)
{
	char path[] = "/tmp/probe.XXXXXX", buf[64] = "";
	int fd = mkstemp(path), e;
	struct stat st;

	printf("mkstemp_ok=%d\n", fd >= 0);
	if (fd < 0)
		return;
	printf("write=%zd\n", write(fd, "hello micronos\n", 15));
	printf("lseek=%ld\n", (long)lseek(fd, 0, SEEK_SET));
	printf("read=%zd\n", read(fd, buf, sizeof(buf) - 1));
	printf("read_data=%.5s\n", buf);
	fstat(fd, &st);
	printf("size=%ld\nmode=%o\n", (long)st.st_size, st.st_mode & 0777);
	printf("owner_is_me=%d\n", st.st_uid == geteuid());
	close(fd);
	fd = open("/nonexistent/file", O_RDONLY);
	e = errno;
	printf("open_missing=%d errno=%s\n", fd, strerrorname_np(e));
	fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	printf("openat_ok=%d\n", fd >= 0);
	if (fd >= 0)
		close(fd);
	printf("unlink=%d\n", unlink(path));
	printf("close_bad=%d errno=%s\n", close(12345),
	       strerrorname_np(errno));
	printf("dev_null_write=%zd\n", write(open("/dev/null", O_WRONLY),
					      "x", 1));
}

static void signals(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	int r;

	sigaction(SIGUSR1, &sa, NULL);
	r = kill(getpid(), SIGUSR1);
	printf("kill_self=%d got=%d\n", r, (int)got_usr1);
	got_usr1 = 0;
	r = (int)syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	printf("tgkill_self=%d got=%d\n", r, (int)got_usr1);
	r = kill(999999, 0);
	printf("kill_missing=%d errno=%s\n", r, strerrorname_np(errno));
	r = kill(getpid(), 0);
	printf("kill_probe=%d\n", r);
}

static void times(void)
{
	struct timespec mono, real;
	time_t t = (time_t)syscall(SYS_time, NULL);

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	printf("time_syscall_close=%d\n", labs((long)(t - real.tv_sec)) <= 2);
	printf("monotonic_positive=%d\n", mono.tv_sec >= 0);
	printf("realtime_after_2024=%d\n", real.tv_sec > 1704067200);
	printf("monotonic_secs=%ld\n", (long)mono.tv_sec);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	process();
	identity();
	files();
	signals();
	times();
	return 0;
}
