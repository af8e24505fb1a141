/*
 * escape - attempts to get out of the sandbox, one per subcommand.  Each
 * prints "refused: <errno name>" (exit 0) when the sandbox stops it and
 * "ESCAPED" (exit 1) when it does not.  Used by run_escape.sh; the i386
 * and x32 attempts are expected to be killed by SIGSYS instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int verdict(long r, const char *what)
{
	if (r < 0) {
		printf("%s refused: %s\n", what, strerrorname_np(errno));
		return 0;
	}
	printf("%s ESCAPED (%ld)\n", what, r);
	return 1;
}

static int child_fn(void *arg)
{
	(void)arg;
	return 0;
}

static int do_clone_ns(void)
{
	static char stack[65536];
	long r = clone(child_fn, stack + sizeof(stack),
		       CLONE_NEWUSER | SIGCHLD, NULL);

	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return verdict(r, "clone(CLONE_NEWUSER)");
}

static int storm(void)
{
	/* a signal storm while the child makes trapped calls */
	pid_t me, child = fork();
	int i, st, bad = 0;

	if (child == 0) {
		signal(SIGUSR1, SIG_IGN);
		me = (pid_t)syscall(SYS_getpid);
		for (i = 0; i < 200000; i++)
			if ((pid_t)syscall(SYS_getpid) != me)
				_exit(3);
		_exit(0);
	}
	usleep(10000);
	for (i = 0; i < 20000; i++)
		if (kill(child, SIGUSR1) < 0)
			break;
	waitpid(child, &st, 0);
	bad = !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	printf("storm %s (status 0x%x)\n", bad ? "FAILED" : "ok", st);
	return bad;
}

/*
 * A thread swaps the path of open() between a file of the sandbox and a
 * host file that is not visible inside (argv: its path and its content),
 * while the main thread opens in a loop.  The supervisor reads the path
 * once (with --trace it copies it for the event); the kernel resolves it
 * again inside the root, so the host file's content must never be read.
 */
static char swap_path[256];
static const char *swap_a, *swap_b;
static volatile int swap_stop;

static void *swapper(void *arg)
{
	(void)arg;
	while (!swap_stop) {
		strcpy(swap_path, swap_a);
		strcpy(swap_path, swap_b);
	}
	return NULL;
}

static int swap(const char *host_path, const char *secret)
{
	pthread_t t;
	char buf[256];
	int i, fd, opened = 0, leaked = 0;

	swap_a = "/etc/hostname";
	swap_b = host_path;
	strcpy(swap_path, swap_a);
	pthread_create(&t, NULL, swapper, NULL);
	for (i = 0; i < 20000; i++) {
		fd = open(swap_path, O_RDONLY);
		if (fd < 0)
			continue;
		opened++;
		memset(buf, 0, sizeof(buf));
		if (read(fd, buf, sizeof(buf) - 1) > 0 && strstr(buf, secret))
			leaked++;
		close(fd);
	}
	swap_stop = 1;
	pthread_join(t, NULL);
	if (leaked) {
		printf("swap ESCAPED: read the host file %d times\n", leaked);
		return 1;
	}
	printf("swap ok: %d opens, host file never read\n", opened);
	return 0;
}

/* Every descriptor taken, then a trapped open and a socket (whose
   descriptor the supervisor injects with ADDFD): EMFILE, nothing breaks. */
static int fdmax(void)
{
	struct rlimit rl = {32, 32};
	int fd, last = -1, r;

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return verdict(0, "setrlimit");
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fd;
	if (errno != EMFILE)
		return verdict(0, "fdmax (not EMFILE)");
	r = openat(AT_FDCWD, "/etc/hostname", O_RDONLY);
	if (r >= 0)
		return verdict(r, "fdmax open");
	printf("fdmax refused: %s\n", strerrorname_np(errno));
	/* socket() is answered by injecting a descriptor (ADDFD) */
	r = socket(AF_INET, SOCK_STREAM, 0);
	if (r >= 0)
		return verdict(r, "fdmax socket");
	printf("fdmax socket refused: %s\n", strerrorname_np(errno));
	close(last);
	r = open("/etc/hostname", O_RDONLY);
	printf("fdmax then %s\n", r >= 0 ? "ok" : strerrorname_np(errno));
	close(r);
	r = socket(AF_INET, SOCK_STREAM, 0);
	printf("fdmax socket then %s\n", r >= 0 ? "ok" :
	       strerrorname_np(errno));
	return 0;
}

int main(int argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : "";
	char c = 'x';

	if (!strcmp(t, "mount"))
		return verdict(mount("none", "/tmp", "tmpfs", 0, NULL), t);
	if (!strcmp(t, "umount"))
		return verdict(umount2("/proc", MNT_DETACH), t);
	if (!strcmp(t, "unshare"))
		return verdict(unshare(CLONE_NEWUSER), t);
	if (!strcmp(t, "unshare-ns"))
		return verdict(unshare(CLONE_NEWNS), t);
	if (!strcmp(t, "setns"))
		return verdict(setns(open("/proc/1/ns/mnt", O_RDONLY), 0), t);
	if (!strcmp(t, "clone-ns"))
		return do_clone_ns();
	if (!strcmp(t, "ptrace"))
		return verdict(ptrace(PTRACE_ATTACH, 1, 0, 0), t);
	if (!strcmp(t, "process_vm_writev")) {
		struct iovec l = {&c, 1}, r = {&c, 1};

		return verdict(process_vm_writev(1, &l, 1, &r, 1, 0), t);
	}
	if (!strcmp(t, "io_uring"))
		return verdict(syscall(__NR_io_uring_setup, 8, calloc(1, 120)),
			       t);
	if (!strcmp(t, "bpf"))
		return verdict(syscall(__NR_bpf, 0, NULL, 0), t);
	if (!strcmp(t, "keyctl"))
		return verdict(syscall(__NR_keyctl, 0, 0, 0, 0, 0), t);
	if (!strcmp(t, "fsopen"))
		return verdict(syscall(__NR_fsopen, "tmpfs", 0), t);
	if (!strcmp(t, "open_tree"))
		return verdict(syscall(__NR_open_tree, AT_FDCWD, "/", 1), t);
	if (!strcmp(t, "tiocsti"))
		return verdict(ioctl(0, TIOCSTI, &c), t);
	if (!strcmp(t, "sethostname"))
		return verdict(sethostname("evil", 4), t);
	if (!strcmp(t, "clone3"))
		return verdict(syscall(__NR_clone3, NULL, 0), t);
	if (!strcmp(t, "storm"))
		return storm();
	if (!strcmp(t, "swap") && argc > 3)
		return swap(argv[2], argv[3]);
	if (!strcmp(t, "fdmax"))
		return fdmax();
	if (!strcmp(t, "ns_last_pid")) {
		/* MicronOS's /proc has none: try the namespace's first */
		int fd = open("/.micronos/proc/sys/kernel/ns_last_pid",
			      O_WRONLY);

		if (fd < 0 && errno == ENOENT)
			fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		return verdict(fd < 0 ? -1 : write(fd, "2", 1), t);
	}
	if (!strcmp(t, "x32")) {
		syscall(0x40000000 | SYS_getpid);
		puts("x32 ESCAPED (not killed)");
		return 1;
	}
	if (!strcmp(t, "i386")) {
		long r;

		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory");
		printf("i386 ESCAPED (not killed, %ld)\n", r);
		return 1;
	}
	fprintf(stderr, "unknown test %s\n", t);
	return 2;
}
