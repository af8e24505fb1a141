/*
 * fs_etc.c - etc, MicronOS's own /etc: passwd, group, hostname, hosts and
 * os-release.
 *
 * These are what programs in the sandbox (id, ls -l, whoami, hostname, the
 * resolver, anything that reads os-release) look at to learn who they are
 * and where: MicronOS's users (root, the MicronOS user uid 1000 "user",
 * nobody), the hostname from the config key kernel.hostname, and MicronOS
 * by name and version.  Generated on each open from the live config, so a
 * hostname change shows at once; /etc/hostname is writable by root and
 * sets the key (with the config's validation).  Rows are MN_SYNTH_SIZED:
 * tools that trust st_size (or mmap) see the real length.
 *
 * This is the one source of these files: a run whose root is not the
 * instance's tree (a throwaway instance's tmpfs root) gets the same text
 * through mn_fs_etc_render(), written into its /etc by sandbox/rootfs.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <micronos/config.h>
#include <micronos/fs_etc.h>
#include <micronos/kernel.h>

#include "vfs_i.h"

#define DEFAULT_HOSTNAME "micronos"

static void hostname(struct mn_kernel *k, char *buf, size_t size)
{
	struct mn_config *cfg = k ? mn_kernel_config(k) : NULL;

	if (!cfg || mn_config_get(cfg, "kernel.hostname", buf, size) <= 0)
		snprintf(buf, size, "%s", DEFAULT_HOSTNAME);
}

static int r_passwd(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_strbuf_puts(out,
		"root:x:0:0:root:/root:/bin/sh\n"
		"user:x:1000:1000:MicronOS user:/home/user:/bin/sh\n"
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
}

static int r_group(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_strbuf_puts(out,
		"root:x:0:\n"
		"tty:x:5:\n"	/* /dev/pts's group (devpts gid=5) */
		"users:x:100:user\n"
		"user:x:1000:\n"
		"nogroup:x:65534:\n");
}

static int r_hostname(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      struct mn_strbuf *out)
{
	char name[256];

	(void)ctx;
	hostname(k, name, sizeof(name));
	return mn_strbuf_printf(out, "%s\n", name);
}

static int w_hostname(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      const char *data, size_t len)
{
	struct mn_config *cfg = k ? mn_kernel_config(k) : NULL;
	char name[256];

	if (!cfg)
		return -ENOSYS;
	while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	if (len == 0 || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, data, len);
	name[len] = '\0';
	return mn_config_set(cfg, "kernel.hostname", name, ctx->cred->pid,
			     NULL) < 0 ? -EINVAL : 0;
}

static int r_hosts(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	char name[256];

	(void)ctx;
	hostname(k, name, sizeof(name));
	return mn_strbuf_printf(out,
		"127.0.0.1\tlocalhost\n"
		"127.0.1.1\t%s\n"
		"::1\tlocalhost ip6-localhost ip6-loopback\n", name);
}

static int r_os_release(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			struct mn_strbuf *out)
{
	(void)k;
	(void)ctx;
	return mn_strbuf_puts(out,
		"NAME=\"MicronOS\"\n"
		"VERSION=\"" MN_VERSION "\"\n"
		"ID=micronos\n"
		"VERSION_ID=\"" MN_VERSION "\"\n"
		"PRETTY_NAME=\"MicronOS " MN_VERSION "\"\n");
}

#define ROW(n, m, r) {.name = n, .mode = S_IFREG | (m), \
		      .flags = MN_SYNTH_SIZED, .render = r}

static const struct mn_synth_node etc_rows[] = {
	ROW("passwd", 0644, r_passwd),
	ROW("group", 0644, r_group),
	{.name = "hostname", .mode = S_IFREG | 0644, .flags = MN_SYNTH_SIZED,
	 .render = r_hostname, .write = w_hostname},
	ROW("hosts", 0644, r_hosts),
	ROW("os-release", 0644, r_os_release),
	{.name = NULL},
};

const struct mn_synth_node mn_fs_etc_root = {
	.name = "",
	.mode = S_IFDIR | 0755,
	.children = etc_rows,
};

int mn_fs_etc_render(struct mn_kernel *k, size_t i, const char **name,
		     struct mn_strbuf *out)
{
	static const struct mn_vfs_cred root;
	struct mn_vnode_ctx ctx = {.cred = &root};

	if (i >= sizeof(etc_rows) / sizeof(etc_rows[0]) - 1)
		return -ENOENT;
	ctx.node = &etc_rows[i];
	*name = etc_rows[i].name;
	return etc_rows[i].render(k, &ctx, out);
}
