/*
 * notify_floor - the bare round trip of a seccomp user notification: the
 * floor under any supervisor that answers trapped calls from user space,
 * micronos-run's included.
 *
 *   notify_floor [-t SECONDS] [-S]
 *
 * A child process installs a filter that sends getpid to a listener and
 * lets everything else through, hands the listener to its parent over a
 * socketpair (SCM_RIGHTS), and then times getpid exactly as bench/syscalls
 * does.  The parent answers each notification with RECV + SEND and nothing
 * else: no argument reads, no NOTIF_ID_VALID, no table lookup.  By default
 * the listener gets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6), which
 * micronos-run sets too; -S leaves the flag off, to show what it buys.
 *
 * Prints "getpid N ns/call M calls" like bench/syscalls.  The child ends the
 * run with one getpid whose first argument is a marker, so the supervisor
 * loop needs no poll() or signal per call.
 *
 * The constants newer than Debian 12's linux-libc-dev are defined here, and
 * libseccomp is not used: the filter is six BPF instructions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

#define FAKE_PID 4242
#define END_MARK 0x6e6f7469667931ULL	/* "notify1": the last call */

static double budget = 0.3;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]),
				  .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static int send_fd(int sock, int fd)
{
	char data = 'L';
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char data;
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The trapped side: same loop shape as bench/syscalls' getpid case. */
static int child(int sock)
{
	uint64_t n = 0, batch = 16, t0, t, limit, i;
	int lfd = install_filter();
	char go;

	if (lfd < 0) {
		fprintf(stderr, "notify_floor: seccomp listener: %s\n",
			strerror(-lfd));
		return 1;
	}
	if (send_fd(sock, lfd) < 0 || read(sock, &go, 1) != 1 || go != 'G')
		return 1;	/* the parent said why */
	close(lfd);
	for (i = 0; i < 64; i++) {
		if (syscall(SYS_getpid) != FAKE_PID) {
			fprintf(stderr, "notify_floor: getpid not answered\n");
			return 1;
		}
	}
	limit = (uint64_t)(budget * 1e9);
	t0 = now_ns();
	do {
		for (i = 0; i < batch; i++)
			syscall(SYS_getpid);
		n += batch;
		t = now_ns() - t0;
		if (t < limit / 8 && batch < (1u << 20))
			batch *= 2;
	} while (t < limit);
	printf("getpid %.1f ns/call %llu calls\n", (double)t / (double)n,
	       (unsigned long long)n);
	fflush(stdout);
	syscall(SYS_getpid, END_MARK);
	return 0;
}

/* The supervisor: answer until the end marker arrives. */
static int supervise(int lfd)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify_floor: NOTIF_RECV: %s\n",
				strerror(errno));
			return -1;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.val = FAKE_PID;
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 &&
		    errno != ENOENT) {
			fprintf(stderr, "notify_floor: NOTIF_SEND: %s\n",
				strerror(errno));
			return -1;
		}
		if (req.data.args[0] == END_MARK)
			return 0;
	}
}

static int parent(int sock, int sync_wake)
{
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	int lfd = recv_fd(sock);
	int rc = -1;

	if (lfd < 0) {
		fprintf(stderr, "notify_floor: no listener from the child\n");
		return -1;
	}
	if (sync_wake &&
	    ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0) {
		fprintf(stderr, "notify_floor: NOTIF_SET_FLAGS "
			"SYNC_WAKE_UP: %s (needs Linux 6.6)\n",
			strerror(errno));
		goto out;
	}
	if (write(sock, "G", 1) != 1)
		goto out;
	rc = supervise(lfd);
out:
	close(lfd);
	return rc;
}

int main(int argc, char **argv)
{
	int sv[2], opt, status, sync_wake = 1, rc;
	pid_t pid;

	while ((opt = getopt(argc, argv, "t:S")) != -1) {
		if (opt == 't')
			budget = atof(optarg);
		else if (opt == 'S')
			sync_wake = 0;
		else
			budget = -1;
	}
	if (budget <= 0 || budget > 60 || optind != argc) {
		fprintf(stderr, "usage: notify_floor [-t SECONDS] [-S]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(sv[0]);
		_exit(child(sv[1]));
	}
	close(sv[1]);
	rc = parent(sv[0], sync_wake);
	close(sv[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0
									  : 1;
}
