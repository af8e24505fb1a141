/*
 * epoll_file - what epoll says to a regular file, and what trapping
 * epoll_ctl would cost: the figures behind micronos-run(1)'s note that
 * regular files on MicronOS's trees are accepted by epoll.
 *
 * Usage: epoll_file DIR [N].  Prints the answer of epoll_ctl(ADD) for a
 * regular file made in DIR (Linux: EPERM; a FUSE file: accepted, since
 * FUSE's files always have a poll operation), then the mean time of N
 * epoll_ctl ADD+DEL pairs on a pipe and of N getppid calls (trapped by
 * micronos-run's filter: the cost one more trapped call would add).
 * Build: cc -O2 -o epoll_file bench/epoll_file.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = {.events = EPOLLIN}, got;
	int n = argc > 2 ? atoi(argv[2]) : 200000;
	int fd, ep, p[2], r, i;
	char path[4096];
	double t0, t1, t2;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: epoll_file DIR [N]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/epoll_file.%d", argv[1], (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0 || pipe(p) < 0) {
		perror(path);
		return 1;
	}
	unlink(path);
	r = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("regular file: epoll_ctl ADD: %s\n",
	       r == 0 ? "accepted" : strerror(errno));
	if (r == 0 && epoll_wait(ep, &got, 1, 0) == 1)
		printf("regular file: ready at once, events %#x\n", got.events);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
		epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
	}
	t1 = now_ns();
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	t2 = now_ns();
	printf("epoll_ctl ADD+DEL pair: %.0f ns\n", (t1 - t0) / n);
	printf("getppid: %.0f ns\n", (t2 - t1) / n);
	return 0;
}
