/*
 * bench_sandbox - the cost of a sandboxed system call.
 *
 *   bench_sandbox [N] [NAME]   all rows below, N calls each (default
 *                              100000); NAME: a running instance too
 *   bench_sandbox --loop N     one process's figures (used inside the sandbox)
 *
 * Rows: getpid (native under micronos-run since the identity calls are no
 * longer trapped), uname (trapped, translated, its record written into the
 * caller), open+close (trapped, continued), stat (never trapped), each
 * natively, under
 * micronos-run, and getpid under a bare seccomp-notify supervisor (one
 * thread in blocking NOTIF_RECV, SYNC_WAKE_UP set, answering at once): the
 * floor a translated call is measured against.  Also the wall time of
 * `micronos-run --throwaway /bin/true` (boot + world + program) and, with
 * NAME, of `micronos-run -n NAME /bin/true` (through the running instance):
 * median and minimum of 20 runs, fork+exec to exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void loop(long n, double out[4])
{
	struct utsname u;
	struct stat st;
	double t;
	long i;

	t = now();
	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	out[0] = (now() - t) / n * 1e9;
	t = now();
	for (i = 0; i < n / 4; i++)
		close(open("/etc/hostname", O_RDONLY));
	out[1] = (now() - t) / (n / 4) * 1e9;
	t = now();
	for (i = 0; i < n; i++)
		stat("/etc/hostname", &st);
	out[2] = (now() - t) / n * 1e9;
	t = now();
	for (i = 0; i < n; i++)
		syscall(SYS_uname, &u);
	out[3] = (now() - t) / n * 1e9;
}

static void *answer_thread(void *arg)
{
	int fd = *(int *)arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	__u64 flags = 1;	/* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */

	ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		resp.id = req.id;
		resp.val = 12345;
		resp.error = 0;
		resp.flags = 0;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

/* getpid under a minimal notify supervisor; ns per call. */
static double bare(long n)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {4, f};
	int p[2], fd = -1;
	double ns = -1;
	pid_t pid;
	pthread_t th;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		double t;
		long i;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		fd = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		/* the supervisor is a thread of this process: the filter
		   covers it too, but it never calls getpid */
		pthread_create(&th, NULL, answer_thread, &fd);
		t = now();
		for (i = 0; i < n; i++)
			syscall(SYS_getpid);
		t = (now() - t) / n * 1e9;
		if (write(p[1], &t, sizeof(t)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &ns, sizeof(ns)) != sizeof(ns))
		ns = -1;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return ns;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Wall time of argv from fork to exit: median of runs, *min the least. */
static double startup_ms(char *const argv[], int runs, double *min)
{
	double ts[64], t;
	int i, st;
	pid_t pid;

	for (i = 0; i < runs && i < 64; i++) {
		t = now();
		pid = fork();
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || st != 0)
			return -1;
		ts[i] = (now() - t) * 1e3;
	}
	qsort(ts, (size_t)i, sizeof(ts[0]), by_value);
	*min = ts[0];
	return ts[i / 2];
}

int main(int argc, char **argv)
{
	long n = 100000;
	double nat[4], sbx[4] = {-1, -1, -1, -1}, b, t, tmin, u = -1, umin = 0;
	const char *name = argc > 2 ? argv[2] : NULL;
	char run[4200];
	char cmd[16384], self[4096], dir[4096];
	ssize_t len;
	FILE *f;

	if (argc == 3 && !strcmp(argv[1], "--loop")) {
		loop(atol(argv[2]), nat);
		printf("%.0f %.0f %.0f %.0f\n", nat[0], nat[1], nat[2],
		       nat[3]);
		return 0;
	}
	if (argc > 1)
		n = atol(argv[1]);
	loop(n, nat);
	b = bare(n);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return 1;
	self[len] = '\0';
	snprintf(dir, sizeof(dir), "%s", self);
	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "%s/micronos-run --ro-bind %s:/b "
		 "/b/bench_sandbox --loop %ld", dir, dir, n);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%lf %lf %lf %lf", &sbx[0], &sbx[1], &sbx[2],
			   &sbx[3]) != 4)
			sbx[0] = -1;
		pclose(f);
	}
	snprintf(run, sizeof(run), "%s/micronos-run", dir);
	t = startup_ms((char *[]){run, "--throwaway", "/bin/true", NULL}, 20,
		       &tmin);
	if (name)
		u = startup_ms((char *[]){run, "-n", (char *)name, "/bin/true",
					  NULL}, 20, &umin);
	printf("%-12s %10s %14s %14s\n", "call", "native ns", "micronos-run",
	       "bare notify");
	printf("%-12s %10.0f %14.0f %14.0f\n", "getpid", nat[0], sbx[0], b);
	printf("%-12s %10.0f %14.0f %14s\n", "uname", nat[3], sbx[3], "-");
	printf("%-12s %10.0f %14.0f %14s\n", "open+close", nat[1], sbx[1], "-");
	printf("%-12s %10.0f %14.0f %14s\n", "stat", nat[2], sbx[2], "-");
	printf("getpid under micronos-run / bare round trip: %.2fx\n",
	       sbx[0] / b);
	printf("translated uname / bare round trip: %.2fx\n", sbx[3] / b);
	printf("untrapped stat / native: %.2fx\n", sbx[2] / nat[2]);
	printf("startup of micronos-run /bin/true (throwaway instance): "
	       "%.1f ms median, %.1f ms min\n", t, tmin);
	if (name)
		printf("startup of micronos-run -n %s /bin/true (instance "
		       "running): %.1f ms median, %.1f ms min\n", name, u,
		       umin);
	return 0;
}
