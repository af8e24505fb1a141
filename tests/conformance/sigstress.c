/*
 * sigstress - every call micronos-run traps (and the identity calls it
 * leaves native), made in a loop by several threads while a 50 us
 * ITIMER_REAL and a sibling process send signals; the results are compared
 * with the same calls made before any signal, and every buffer the
 * supervisor writes is fenced by canaries.  Run natively and inside by
 * tests/integration/run_signals.sh, which compares the two reports.
 *
 *   sigstress restart|intr SECONDS THREADS
 *
 * restart: the handlers have SA_RESTART; intr: they have not (as Python's).
 * Prints one line per call: "NAME calls=N wrong=W eintr=E canary=C", and
 * "late=L" for stack frames found overwritten after a call returned (the
 * supervisor writing after the call was over).  Exits 0 when nothing was
 * wrong (EINTR is counted, not judged: the script decides).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CANARY 0xa5
#define FENCE 64

enum call {
	C_GETPID, C_GETTID, C_GETPPID, C_GETUID, C_GETEUID, C_GETGID,
	C_GETEGID, C_GETRESUID, C_GETRESGID, C_UNAME, C_TIME, C_KILL,
	C_TGKILL, C_SETRESUID, C_SOCKET, C_BIND_LISTEN, C_ACCEPT, C__COUNT
};

static const char *const names[C__COUNT] = {
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getresuid", "getresgid", "uname", "time", "kill",
	"tgkill", "setresuid", "socket", "bind+listen", "accept",
};

struct count {
	atomic_long calls, wrong, eintr, canary;
};

static struct count counts[C__COUNT];
static atomic_long late;
static atomic_long handled;
static atomic_int stop;
static long ref[C__COUNT];
static struct utsname ref_uts;
static uint32_t ref_res[2][3];
static int listener = -1;

static void handler(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&handled, 1, memory_order_relaxed);
}

/* A buffer the supervisor writes, fenced on both sides. */
struct fenced_uts {
	unsigned char before[FENCE];
	struct utsname u;
	unsigned char after[FENCE];
};

struct fenced_ids {
	unsigned char before[FENCE];
	uint32_t id[3];
	unsigned char after[FENCE];
};

struct fenced_time {
	unsigned char before[FENCE];
	time_t t;
	unsigned char after[FENCE];
};

struct fenced_addr {
	unsigned char before[FENCE];
	struct sockaddr_in sa;
	socklen_t len;
	unsigned char after[FENCE];
};

static int fence_ok(const unsigned char *a, const unsigned char *b)
{
	int i;

	for (i = 0; i < FENCE; i++)
		if (a[i] != CANARY || b[i] != CANARY)
			return 0;
	return 1;
}

#define FENCE_INIT(x) do { \
		memset((x)->before, CANARY, FENCE); \
		memset((x)->after, CANARY, FENCE); \
	} while (0)
#define FENCE_OK(x) fence_ok((x)->before, (x)->after)

/*
 * After a call returns, the stack below the caller's frame is reused by
 * the next call: fill a frame there, give a late writer time, and look.
 */
static __attribute__((noinline)) void probe_frame(void)
{
	volatile unsigned char frame[2048];
	size_t i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = CANARY;
	sched_yield();
	for (i = 0; i < sizeof(frame); i++)
		if (frame[i] != CANARY) {
			atomic_fetch_add(&late, 1);
			break;
		}
}

static void note(enum call c, long r, int good, int fence)
{
	atomic_fetch_add_explicit(&counts[c].calls, 1, memory_order_relaxed);
	if (r == -EINTR)
		atomic_fetch_add(&counts[c].eintr, 1);
	else if (!good)
		atomic_fetch_add(&counts[c].wrong, 1);
	if (!fence)
		atomic_fetch_add(&counts[c].canary, 1);
}

/* raw calls: -errno on failure, as the kernel answers */
static long raw(long r)
{
	return r < 0 ? -errno : r;
}

static __attribute__((noinline)) void call_uname(void)
{
	struct fenced_uts f;
	long r;

	FENCE_INIT(&f);
	memset(&f.u, 0, sizeof(f.u));
	r = raw(syscall(SYS_uname, &f.u));
	note(C_UNAME, r, r == 0 && !memcmp(&f.u, &ref_uts, sizeof(f.u)),
	     FENCE_OK(&f));
}

static __attribute__((noinline)) void call_res(enum call c, long nr, int k)
{
	struct fenced_ids f;
	long r;

	FENCE_INIT(&f);
	memset(f.id, 0xff, sizeof(f.id));
	r = raw(syscall(nr, &f.id[0], &f.id[1], &f.id[2]));
	note(c, r, r == 0 && !memcmp(f.id, ref_res[k], sizeof(f.id)),
	     FENCE_OK(&f));
}

static __attribute__((noinline)) void call_time(void)
{
	struct fenced_time f;
	long r;

	FENCE_INIT(&f);
	f.t = 0;
	r = raw(syscall(SYS_time, &f.t));
	/* time moves: it must be this second or a later one, and agree */
	note(C_TIME, r, r >= ref[C_TIME] && r - f.t <= 1 && f.t <= r,
	     FENCE_OK(&f));
}

static __attribute__((noinline)) void call_accept(void)
{
	struct fenced_addr f;
	long r;

	FENCE_INIT(&f);
	f.len = sizeof(f.sa);
	r = raw(syscall(SYS_accept4, listener, &f.sa, &f.len, SOCK_NONBLOCK));
	if (r >= 0)
		close((int)r);
	/* nobody connects: the non-blocking accept has nothing to take */
	note(C_ACCEPT, r, r == -EAGAIN && f.len == sizeof(f.sa),
	     FENCE_OK(&f));
}

static void call_socket(void)
{
	long r = raw(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));

	if (r >= 0)
		close((int)r);
	note(C_SOCKET, r, r >= 0, 1);
}

static void call_bind_listen(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	long r;

	if (fd < 0) {
		note(C_BIND_LISTEN, -errno, errno == EINTR ? 1 : 0, 1);
		return;
	}
	r = raw(syscall(SYS_bind, fd, &sa, sizeof(sa)));
	if (r == 0)
		r = raw(syscall(SYS_listen, fd, 4));
	close(fd);
	note(C_BIND_LISTEN, r, r == 0, 1);
}

static void one_round(pid_t tid)
{
	long r;

	r = raw(syscall(SYS_getpid));
	note(C_GETPID, r, r == ref[C_GETPID], 1);
	r = raw(syscall(SYS_gettid));
	note(C_GETTID, r, r == tid, 1);
	r = raw(syscall(SYS_getppid));
	note(C_GETPPID, r, r == ref[C_GETPPID], 1);
	r = raw(syscall(SYS_getuid));
	note(C_GETUID, r, r == ref[C_GETUID], 1);
	r = raw(syscall(SYS_geteuid));
	note(C_GETEUID, r, r == ref[C_GETEUID], 1);
	r = raw(syscall(SYS_getgid));
	note(C_GETGID, r, r == ref[C_GETGID], 1);
	r = raw(syscall(SYS_getegid));
	note(C_GETEGID, r, r == ref[C_GETEGID], 1);
	call_res(C_GETRESUID, SYS_getresuid, 0);
	probe_frame();
	call_res(C_GETRESGID, SYS_getresgid, 1);
	probe_frame();
	call_uname();
	probe_frame();
	call_time();
	probe_frame();
	r = raw(syscall(SYS_kill, ref[C_GETPID], 0));
	note(C_KILL, r, r == 0, 1);
	r = raw(syscall(SYS_tgkill, ref[C_GETPID], tid, 0));
	note(C_TGKILL, r, r == 0, 1);
	r = raw(syscall(SYS_setresuid, -1, -1, -1));
	note(C_SETRESUID, r, r == 0, 1);
	call_socket();
	call_bind_listen();
	call_accept();
	probe_frame();
}

static void *worker(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)arg;
	while (!atomic_load(&stop))
		one_round(tid);
	return NULL;
}

/* The sibling: signals the parent until told to stop (or orphaned). */
static pid_t start_sibling(pid_t parent)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	for (;;) {
		struct timespec ts = {0, 30000};

		if (getppid() != parent || kill(parent, SIGUSR1) < 0)
			_exit(0);
		nanosleep(&ts, NULL);
	}
}

static void take_refs(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	ref[C_GETPID] = syscall(SYS_getpid);
	ref[C_GETPPID] = syscall(SYS_getppid);
	ref[C_GETUID] = syscall(SYS_getuid);
	ref[C_GETEUID] = syscall(SYS_geteuid);
	ref[C_GETGID] = syscall(SYS_getgid);
	ref[C_GETEGID] = syscall(SYS_getegid);
	ref[C_TIME] = syscall(SYS_time, NULL);
	syscall(SYS_getresuid, &ref_res[0][0], &ref_res[0][1], &ref_res[0][2]);
	syscall(SYS_getresgid, &ref_res[1][0], &ref_res[1][1], &ref_res[1][2]);
	if (syscall(SYS_uname, &ref_uts) < 0) {
		perror("uname");
		exit(2);
	}
	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (listener < 0 || bind(listener, (void *)&sa, sizeof(sa)) < 0 ||
	    listen(listener, 4) < 0) {
		perror("listener");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct itimerval it = {{0, 50}, {0, 50}};
	struct sigaction sa;
	pthread_t th[16];
	struct timespec end;
	sigset_t mask;
	int i, n, secs, bad = 0, st;
	pid_t sib;

	if (argc != 4 || (strcmp(argv[1], "restart") &&
			  strcmp(argv[1], "intr"))) {
		fprintf(stderr, "usage: sigstress restart|intr SECONDS "
			"THREADS\n");
		return 2;
	}
	secs = atoi(argv[2]);
	n = atoi(argv[3]);
	if (n < 1 || n > 16)
		n = 4;
	take_refs();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = !strcmp(argv[1], "restart") ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sib = start_sibling(getpid());
	if (sib < 0) {
		perror("fork");
		return 2;
	}
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	/* the signals are the workers': the main thread only waits */
	sigemptyset(&mask);
	sigaddset(&mask, SIGALRM);
	sigaddset(&mask, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += secs;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) ==
	       EINTR)
		;
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	kill(sib, SIGKILL);
	while (waitpid(sib, &st, 0) < 0 && errno == EINTR)
		;
	for (i = 0; i < C__COUNT; i++) {
		printf("%s calls=%s wrong=%ld eintr=%ld canary=%ld\n",
		       names[i], atomic_load(&counts[i].calls) > 0 ? "yes" :
		       "no", atomic_load(&counts[i].wrong),
		       atomic_load(&counts[i].eintr),
		       atomic_load(&counts[i].canary));
		bad |= atomic_load(&counts[i].wrong) != 0 ||
		       atomic_load(&counts[i].canary) != 0;
	}
	printf("late=%ld\n", atomic_load(&late));
	printf("signals=%s\n", atomic_load(&handled) > 100 ? "many" : "few");
	fflush(stdout);
	return bad || atomic_load(&late) ? 1 : 0;
}
