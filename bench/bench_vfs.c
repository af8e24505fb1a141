/*
 * bench_vfs - throughput of the VFS API itself, without FUSE: sequential
 * write and read of a storage file (4 KiB and 1 MiB calls), reads of a
 * tmp file, and lookups/getattr per second on a storage directory.
 * Usage: bench_vfs [DIR] [MIB]  (DIR defaults to a new dir under /tmp,
 * MIB, the file size, to 256).  Not a test: prints figures only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <micronos/vfs.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run_io(struct mn_vfs *vfs, const char *path, int write,
		     size_t chunk, size_t total)
{
	const struct mn_vfs_cred *c = &mn_vfs_cred_kernel;
	struct mn_vfs_file *f;
	char *buf = malloc(chunk);
	size_t off;
	double t0;

	memset(buf, 'x', chunk);
	if (mn_vfs_open_path(vfs, c, "/", path, write ? O_CREAT | O_WRONLY |
			     O_TRUNC : O_RDONLY, 0644, &f) < 0) {
		free(buf);
		return 0;
	}
	t0 = now();
	for (off = 0; off < total; off += chunk) {
		ssize_t n = write ? mn_vfs_write(f, buf, chunk, (off_t)off) :
			mn_vfs_read(f, buf, chunk, (off_t)off);

		if (n <= 0)
			break;
	}
	if (write)
		mn_vfs_fsync(f, 1);
	t0 = now() - t0;
	mn_vfs_release(f);
	free(buf);
	return (double)total / (1 << 20) / t0;
}

int main(int argc, char **argv)
{
	char dir[256], storage[300], path[64];
	size_t mib = argc > 2 ? (size_t)atoi(argv[2]) : 256;
	size_t total = mib << 20;
	struct mn_vfs_opts o = {0};
	struct mn_vfs *vfs, *mem;
	struct mn_vfs_entry e;
	double t0;
	int i, n = 10000;

	if (argc > 1 && argv[1][0] != '/') {
		fprintf(stderr, "usage: bench_vfs [ABSOLUTE_DIR] [MIB]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] :
		 "/tmp/mn-bench-XXXXXX");
	if (argc <= 1 && !mkdtemp(dir))
		return 1;
	snprintf(storage, sizeof(storage), "%s/storage", dir);
	o.storage_dir = storage;
	if (mn_vfs_create(&vfs, &o) < 0 || mn_vfs_create(&mem, NULL) < 0)
		return 1;
	printf("storage write 1M: %8.0f MiB/s\n",
	       run_io(vfs, "/f", 1, 1 << 20, total));
	printf("storage read  1M: %8.0f MiB/s\n",
	       run_io(vfs, "/f", 0, 1 << 20, total));
	printf("storage write 4K: %8.0f MiB/s\n",
	       run_io(vfs, "/f", 1, 4096, total / 4));
	printf("storage read  4K: %8.0f MiB/s\n",
	       run_io(vfs, "/f", 0, 4096, total / 4));
	printf("tmp     write 1M: %8.0f MiB/s\n",
	       run_io(mem, "/f", 1, 1 << 20, total / 4));
	printf("tmp     read  1M: %8.0f MiB/s\n",
	       run_io(mem, "/f", 0, 1 << 20, total / 4));
	mn_vfs_mkdir_path(vfs, &mn_vfs_cred_kernel, "/", "/many", 0755);
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/many/f%d", i);
		mn_vfs_write_file(vfs, &mn_vfs_cred_kernel, "/", path, "x", 1,
				  0644);
	}
	printf("storage create+write+close: %8.0f files/s\n",
	       n / (now() - t0));
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/many/f%d", i);
		if (mn_vfs_resolve(vfs, &mn_vfs_cred_kernel, "/", path, 0,
				   &e) == 0)
			mn_vfs_forget(vfs, e.ino, 1);
	}
	printf("storage path resolve:       %8.0f paths/s\n",
	       n / (now() - t0));
	mn_vfs_destroy(vfs);
	mn_vfs_destroy(mem);
	if (argc <= 1) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
