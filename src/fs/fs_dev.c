/*
 * fs_dev.c - dev, the /dev tree: devices served by MicronOS drivers.
 *
 * null, zero, full, random and urandom are regular files (mode 0666, size
 * 0, direct I/O) whose reads and writes go straight to the driver of the
 * same name (driver.h), on the caller's buffer: no copy, no lock, so
 * 1 MiB reads of zero cost one memset.  They are not S_IFCHR nodes: a FUSE
 * character device would open the host's device, never MicronOS's driver.
 * A stopped driver fails I/O with ENXIO, a suspended one with EAGAIN, as
 * the driver module decides.  fd, stdin, stdout and stderr are the usual
 * links into /proc/self/fd.
 *
 * Built on the synthetic-file-system framework (fs_synth.c); the driver is
 * looked up once per open.
 */
#include <errno.h>
#include <string.h>

#include <micronos/driver.h>
#include <micronos/kernel.h>

#include "vfs_i.h"

static int dev_open(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_vfs_file *file, int flags, void **state)
{
	struct mn_driver *drv;

	(void)file;
	(void)flags;
	if (!k || !mn_kernel_drivers(k))
		return -ENXIO;
	drv = mn_drivers_find(mn_kernel_drivers(k), ctx->node->name);
	if (!drv)
		return -ENXIO;
	*state = drv;
	return 0;
}

static ssize_t dev_read(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			void *state, void *buf, size_t size, off_t off)
{
	(void)k;
	(void)ctx;
	return mn_driver_read(state, buf, size, (uint64_t)off);
}

static ssize_t dev_write(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			 void *state, const void *buf, size_t size, off_t off)
{
	(void)k;
	(void)ctx;
	return mn_driver_write(state, buf, size, (uint64_t)off);
}

static const struct mn_synth_io_ops dev_io = {
	.open = dev_open,
	.read = dev_read,
	.write = dev_write,
	.fopen_flags = MN_VFS_FOPEN_DIRECT_IO,
};

static int link_target(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	static const struct {
		const char *name, *target;
	} links[] = {
		{"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"},
	};
	size_t i;

	(void)k;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (strcmp(links[i].name, ctx->node->name) == 0)
			return mn_strbuf_puts(out, links[i].target);
	return -ENOENT;
}

#define DEV(n) {.name = n, .mode = S_IFREG | 0666, .io = &dev_io}
#define LNK(n) {.name = n, .mode = S_IFLNK | 0777, .render = link_target}

static const struct mn_synth_node dev_rows[] = {
	DEV("null"),
	DEV("zero"),
	DEV("full"),
	DEV("random"),
	DEV("urandom"),
	LNK("fd"),
	LNK("stdin"),
	LNK("stdout"),
	LNK("stderr"),
	{.name = NULL},
};

const struct mn_synth_node mn_fs_dev_root = {
	.name = "",
	.mode = S_IFDIR | 0755,
	.children = dev_rows,
};
