/*
 * fsbench - the file system figures of bench/run, the same code pointed at
 * a host directory, a bindfs mount, lxcfs and the MicronOS mount, so that
 * only the file system differs between rows.
 *
 *   fsbench write FILE MIB BS        sequential write, fsync included
 *   fsbench read FILE BS [SECONDS]   sequential read to EOF; with SECONDS,
 *                                    rewinds at EOF until the time is up
 *                                    (for dev/zero, which has none)
 *   fsbench meta DIR N PHASE         PHASE = create, stat or unlink of N
 *                                    empty files in sqrt(N) directories
 *   fsbench reread FILE SECONDS      open + read all + close, repeatedly
 *                                    (a generated file such as meminfo)
 *
 * Output: one "NAME VALUE UNIT" line per figure (MB/s is 10^6 bytes a
 * second; us/op is microseconds per operation).  Any failed call stops the
 * program with the call, the path and errno: bench/run records that as
 * the reason the row is missing.  Built by bench/run with cc -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_BS (16u << 20)

static int usage(void);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "fsbench: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

static size_t parse_bs(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end == 'k' || *end == 'K')
		v <<= 10;
	else if (*end == 'm' || *end == 'M')
		v <<= 20;
	return v > 0 && v <= MAX_BS ? (size_t)v : 0;
}

static int do_write(const char *path, long mib, size_t bs)
{
	uint64_t total = (uint64_t)mib << 20, done = 0;
	char *buf = malloc(bs);
	double t0, t;
	int fd, rc = 1;

	if (!buf)
		return 1;
	memset(buf, 'm', bs);
	t0 = now_s();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = fail("open", path);
		goto out;
	}
	while (done < total) {
		ssize_t w = write(fd, buf, bs);

		if (w <= 0) {
			rc = fail("write", path);
			close(fd);
			goto out;
		}
		done += (uint64_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		rc = fail("fsync/close", path);
		goto out;
	}
	t = now_s() - t0;
	printf("write %.1f MB/s %llu bytes %.3f s\n", (double)done / t / 1e6,
	       (unsigned long long)done, t);
	rc = 0;
out:
	free(buf);
	return rc;
}

static int do_read(const char *path, size_t bs, double seconds)
{
	uint64_t done = 0;
	char *buf = malloc(bs);
	double t0 = now_s(), t = 0;
	int fd, rc = 1;

	if (!buf)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = fail("open", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, bs);

		if (r < 0) {
			rc = fail("read", path);
			goto out_close;
		}
		done += (uint64_t)r;
		if (seconds > 0) {
			if (r == 0 && lseek(fd, 0, SEEK_SET) < 0) {
				rc = fail("lseek", path);
				goto out_close;
			}
			if ((t = now_s() - t0) >= seconds)
				break;
		} else if (r == 0) {
			break;
		}
	}
	t = now_s() - t0;
	if (done == 0) {
		fprintf(stderr, "fsbench: read %s: no data\n", path);
		goto out_close;
	}
	printf("read %.1f MB/s %llu bytes %.3f s\n", (double)done / t / 1e6,
	       (unsigned long long)done, t);
	rc = 0;
out_close:
	close(fd);
out:
	free(buf);
	return rc;
}

/*
 * One metadata phase over N files spread over sqrt(N) directories, so that
 * the tree left between "create" and "unlink" is also what find and ls -lR
 * walk.  The figure is microseconds per file; create includes the mkdir of
 * each directory, unlink the rmdir.
 */
static int meta_one(const char *dir, const char *phase, long i, long per)
{
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/d%03ld", dir, i / per);
	if (!strcmp(phase, "create") && i % per == 0 && mkdir(path, 0755) < 0)
		return fail("mkdir", path);
	snprintf(path, sizeof(path), "%s/d%03ld/f%06ld", dir, i / per, i);
	if (!strcmp(phase, "create")) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) < 0)
			return fail("create", path);
	} else if (!strcmp(phase, "stat")) {
		if (stat(path, &st) < 0)
			return fail("stat", path);
	} else {
		if (unlink(path) < 0)
			return fail("unlink", path);
		snprintf(path, sizeof(path), "%s/d%03ld", dir, i / per);
		if (i % per == per - 1 && rmdir(path) < 0)
			return fail("rmdir", path);
	}
	return 0;
}

static int do_meta(const char *dir, long n, const char *phase)
{
	long per = 1, i;
	double t0;

	if (strcmp(phase, "create") && strcmp(phase, "stat") &&
	    strcmp(phase, "unlink"))
		return usage();
	while (per * per < n)
		per++;
	t0 = now_s();
	for (i = 0; i < n; i++)
		if (meta_one(dir, phase, i, per))
			return 1;
	if (!strcmp(phase, "unlink") && n % per) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/d%03ld", dir, (n - 1) / per);
		if (rmdir(path) < 0)
			return fail("rmdir", path);
	}
	printf("%s %.2f us/op %ld files\n", phase,
	       (now_s() - t0) * 1e6 / (double)n, n);
	return 0;
}

static int do_reread(const char *path, double seconds)
{
	char buf[65536];
	uint64_t n = 0, bytes = 0;
	double t0 = now_s(), t;

	do {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r;

		if (fd < 0)
			return fail("open", path);
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			bytes += (uint64_t)r;
		if (r < 0) {
			close(fd);
			return fail("read", path);
		}
		close(fd);
		n++;
		t = now_s() - t0;
	} while (t < seconds);
	printf("reread %.2f us/op %llu reads %.0f bytes/read\n",
	       t * 1e6 / (double)n, (unsigned long long)n,
	       (double)bytes / (double)n);
	return 0;
}

static int usage(void)
{
	fputs("usage: fsbench write FILE MIB BS | read FILE BS [SECONDS] |\n"
	      "       meta DIR N create|stat|unlink | reread FILE SECONDS\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "write") && argc == 5 && parse_bs(argv[4]) &&
	    atol(argv[3]) > 0)
		return do_write(argv[2], atol(argv[3]), parse_bs(argv[4]));
	if (!strcmp(cmd, "read") && (argc == 4 || argc == 5) &&
	    parse_bs(argv[3]))
		return do_read(argv[2], parse_bs(argv[3]),
			       argc == 5 ? atof(argv[4]) : 0);
	if (!strcmp(cmd, "meta") && argc == 5 && atol(argv[3]) > 0 &&
	    atol(argv[3]) <= 1000000)
		return do_meta(argv[2], atol(argv[3]), argv[4]);
	if (!strcmp(cmd, "reread") && argc == 4 && atof(argv[3]) > 0)
		return do_reread(argv[2], atof(argv[3]));
	return usage();
}
