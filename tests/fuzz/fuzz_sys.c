/*
 * fuzz_sys - writes to /sys: every writable file of a booted kernel's tree
 * (the config keys as files, drivers' state, ...), found by walking /sys
 * once.  A write is what a program inside the sandbox does through the
 * FUSE mount; it must fail cleanly or take effect, never corrupt.
 * Input: byte 0 picks the file, byte 1 the credentials (kernel/root or an
 * ordinary user), the rest is written (at offset 0, as echo does).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <micronos/kernel.h>
#include <micronos/vfs.h>

#include "fs_trees_i.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 512

static struct mn_kernel *k;
static char *files[MAX_FILES];
static int nfiles;

struct walk {
	const char *dir;
	char names[256][128];
	int n;
};

static int fill(void *arg, const char *name, uint64_t ino, unsigned dtype,
		off_t next)
{
	struct walk *w = arg;

	(void)ino;
	(void)dtype;
	(void)next;
	if (strcmp(name, ".") && strcmp(name, "..") && w->n < 256)
		snprintf(w->names[w->n++], 128, "%s", name);
	return 0;
}

/* Collects the writable regular files under dir (depth-first). */
static void collect(const char *dir, int depth)
{
	const struct mn_vfs_cred *cred = &mn_vfs_cred_kernel;
	struct mn_vfs *vfs = mn_vfs_of(k);
	struct mn_vfs_entry e;
	struct mn_vfs_file *d;
	struct walk *w = calloc(1, sizeof(*w));
	char path[512];
	struct stat st;
	int i;

	if (!w || depth > 6 || mn_vfs_resolve(vfs, cred, "/", dir, 0, &e) < 0) {
		free(w);
		return;
	}
	if (mn_vfs_opendir(vfs, cred, e.ino, &d) == 0) {
		mn_vfs_readdir(d, 0, fill, w);
		mn_vfs_releasedir(d);
	}
	mn_vfs_forget(vfs, e.ino, 1);
	for (i = 0; i < w->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, w->names[i]);
		if (mn_vfs_stat_path(vfs, cred, "/", path, 0, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			collect(path, depth + 1);
		else if (S_ISREG(st.st_mode) && (st.st_mode & 0222) &&
			 nfiles < MAX_FILES)
			files[nfiles++] = strdup(path);
	}
	free(w);
}

static void boot(void)
{
	struct mn_kernel_opts o = {.name = "fuzzsys", .deterministic = 1};
	struct mn_strbuf err = MN_STRBUF_INIT;

	if (mn_kernel_create(&k, &o) < 0 || mn_vfs_attach(k) < 0 ||
	    mn_fs_trees_attach(k) < 0 || mn_kernel_boot(k, &err) < 0)
		abort();
	mn_strbuf_release(&err);
	collect("/sys", 0);
	if (nfiles == 0)
		abort();	/* nothing to fuzz: the walk is broken */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mn_vfs_cred user = {.uid = 1000, .gid = 1000,
						.pid = 1};
	const struct mn_vfs_cred *cred;
	struct mn_vfs_file *f = NULL;
	const char *path;

	if (!k)
		boot();
	if (size < 2)
		return 0;
	path = files[data[0] % nfiles];
	cred = data[1] & 1 ? &user : &mn_vfs_cred_kernel;
	/* memory.size and its kin would make the next boot's numbers, not
	   this run's: every key is fair game, the kernel keeps running */
	if (mn_vfs_open_path(mn_vfs_of(k), cred, "/", path, O_WRONLY | O_TRUNC,
			     0, &f) == 0) {
		mn_vfs_write(f, data + 2, size - 2, 0);
		mn_vfs_release(f);
	}
	return 0;
}
