/*
 * syscalls - the per-call cost of a few system calls, for comparing
 * sandboxes (bench/run runs it natively and under bwrap, micronos-run,
 * proot, runsc and strace -f).
 *
 *   syscalls [-t SECONDS] [-f FILE] [CASE...]
 *
 * Cases: getpid, uname, open_close, stat, read4k (pread of 4 KiB at offset
 * 0).  Under micronos-run uname is trapped and translated (its record is
 * written into the caller); getpid is native there.
 * FILE (default /usr/bin/true) is what open, stat and read use; it must be
 * at least 4 KiB and visible inside every sandbox, which is why it lives
 * in /usr.  Each case warms up, then runs in growing batches until about
 * SECONDS (default 0.3) of wall time have passed, so a 40 ns native call
 * and a 40 us ptrace-translated one both get a usable sample without a
 * per-sandbox iteration count.  Prints one line per case:
 *
 *   getpid 52.3 ns/call 5734400 calls
 *
 * getpid goes through syscall(2) so that no libc caches the answer.  The
 * clock is read once per batch (vDSO: never trapped by any sandbox here).
 * Built by bench/run with cc -O2; not a CMake target, not a test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char *file = "/usr/bin/true";
static double budget = 0.3;
static char buf[4096];
static int rfd = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int op_getpid(void)
{
	return syscall(SYS_getpid) > 0 ? 0 : -1;
}

static int op_uname(void)
{
	struct utsname u;

	return (int)syscall(SYS_uname, &u);
}

static int op_open_close(void)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	return close(fd);
}

static int op_stat(void)
{
	struct stat st;

	return stat(file, &st);
}

static int op_read4k(void)
{
	return pread(rfd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) ? 0 : -1;
}

static const struct bench_case {
	const char *name;
	int (*op)(void);
} cases[] = {
	{"getpid", op_getpid},
	{"uname", op_uname},
	{"open_close", op_open_close},
	{"stat", op_stat},
	{"read4k", op_read4k},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Returns 0 and prints the figure, or -1 when the call fails. */
static int run_case(const struct bench_case *c)
{
	uint64_t n = 0, batch = 16, t0, t, limit;
	uint64_t i;

	for (i = 0; i < 64; i++) {	/* warm up, and check it works */
		if (c->op() < 0) {
			fprintf(stderr, "syscalls: %s on %s: %s\n", c->name,
				file, strerror(errno));
			return -1;
		}
	}
	limit = (uint64_t)(budget * 1e9);
	t0 = now_ns();
	do {
		for (i = 0; i < batch; i++)
			c->op();
		n += batch;
		t = now_ns() - t0;
		if (t < limit / 8 && batch < (1u << 20))
			batch *= 2;
	} while (t < limit);
	printf("%s %.1f ns/call %llu calls\n", c->name, (double)t / (double)n,
	       (unsigned long long)n);
	fflush(stdout);
	return 0;
}

static const struct bench_case *find_case(const char *name)
{
	size_t i;

	for (i = 0; i < NCASES; i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: syscalls [-t SECONDS] [-f FILE] "
			"[getpid|uname|open_close|stat|read4k]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	int opt, i, rc = 0;

	while ((opt = getopt(argc, argv, "t:f:")) != -1) {
		if (opt == 't')
			budget = atof(optarg);
		else if (opt == 'f')
			file = optarg;
		else
			return usage();
	}
	if (budget <= 0 || budget > 60)
		return usage();
	rfd = open(file, O_RDONLY | O_CLOEXEC);
	if (rfd < 0) {
		fprintf(stderr, "syscalls: %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (i = optind; i < argc; i++)
		if (!find_case(argv[i]))
			return usage();
	if (optind == argc) {
		for (i = 0; i < (int)NCASES; i++)
			rc |= run_case(&cases[i]);
	} else {
		for (i = optind; i < argc; i++)
			rc |= run_case(find_case(argv[i]));
	}
	close(rfd);
	return rc ? 1 : 0;
}
