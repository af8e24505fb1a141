/*
 * fs_stage.c - the VFS's part of boot: the "vfs" stage hook and the
 * standard mounts.
 *
 * Kept apart from vfs.c so that unit tests of the VFS alone link without
 * the kernel.  The stage creates the VFS over DATA/storage (or in memory
 * without a data dir), mounts tmp, dev and etc, wires the file syscalls
 * and publishes the VFS in the kernel's MN_SLOT_VFS; the generated trees'
 * owners mount theirs from hooks of the same stage that run after it.
 *
 * /tmp's cap is the key tmp.size; 0 (the default) is half of the host's
 * RAM, as Linux's tmpfs sizes itself: tmp's pages are the daemon's memory,
 * so a cap past RAM would only move the failure from ENOSPC to the OOM
 * killer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/kernel.h>

#include "fs_trees_i.h"
#include "vfs_i.h"

/* Directories a fresh storage gets: path, mode, owner. */
static const struct {
	const char *path;
	mode_t mode;
	uint32_t uid;
} skeleton[] = {
	{"/home", 0755, 0},
	{"/home/user", 0755, 1000},	/* the MicronOS user of /etc/passwd */
	{"/root", 0700, 0},
	{"/var", 0755, 0},
};

/*
 * One directory of the skeleton, walked down from the root a name at a time
 * with lookups that follow no symlink: root inside may have replaced /home
 * by a link to anywhere, and boot must neither create at its target nor
 * fail because of it.  Whatever is not a directory on the way is left as
 * it is and the entry skipped (returns 0).  The last component is made
 * with mode and given to uid if missing.
 */
static int make_one(struct mn_vfs *vfs, const char *path, mode_t mode,
		    uint32_t uid)
{
	const struct mn_vfs_cred *kc = &mn_vfs_cred_kernel;
	char buf[MN_VFS_PATH_MAX], *name, *next, *save = NULL;
	uint64_t dir = MN_VFS_ROOT_INO;
	struct mn_vfs_entry e;
	int ret = 0, made;

	snprintf(buf, sizeof(buf), "%s", path);
	mn_vfs_lookup(vfs, kc, dir, ".", &e);	/* a lookup to forget */
	for (name = strtok_r(buf, "/", &save); name; name = next) {
		next = strtok_r(NULL, "/", &save);
		made = 0;
		ret = mn_vfs_lookup(vfs, kc, dir, name, &e);
		if (ret == -ENOENT) {
			ret = mn_vfs_mkdir(vfs, kc, dir, name, next ? 0755 :
					   mode, &e);
			made = ret == 0;
		}
		mn_vfs_forget(vfs, dir, 1);
		if (ret < 0)
			return ret;
		dir = e.ino;
		if (!S_ISDIR(e.attr.st_mode))
			break;	/* not followed, not touched */
		if (made && !next && uid) {
			struct stat st = {.st_uid = uid, .st_gid = uid};

			ret = mn_vfs_setattr(vfs, kc, dir, &st, MN_SETATTR_UID
					     | MN_SETATTR_GID, NULL, NULL);
		}
	}
	mn_vfs_forget(vfs, dir, 1);
	return ret;
}

static int make_skeleton(struct mn_vfs *vfs, struct mn_strbuf *err)
{
	size_t i;
	int ret;

	for (i = 0; i < sizeof(skeleton) / sizeof(skeleton[0]); i++) {
		ret = make_one(vfs, skeleton[i].path, skeleton[i].mode,
			       skeleton[i].uid);
		if (ret < 0) {
			if (err)
				mn_strbuf_printf(err, "vfs: cannot create %s: %s",
						 skeleton[i].path,
						 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int mn_vfs_mount_standard(struct mn_vfs *vfs, struct mn_strbuf *err)
{
	struct mn_fs *tmp;
	int ret;

	ret = make_skeleton(vfs, err);
	if (ret < 0)
		return ret;
	ret = mn_fs_tmp_create(vfs, mn_vfs_tmp_max(vfs), &tmp);
	if (ret == 0) {
		mn_fs_cache_long(tmp);
		ret = mn_vfs_mount_fs(vfs, "/tmp", tmp);
	}
	if (ret == 0)
		ret = mn_vfs_mount_synth(vfs, "/dev", "dev", &mn_fs_dev_root,
					 NULL);
	if (ret == 0)
		ret = mn_vfs_mount_synth(vfs, "/etc", "etc", &mn_fs_etc_root,
					 NULL);
	if (ret < 0 && err)
		mn_strbuf_printf(err, "vfs: standard mounts: %s",
				 strerror(-ret));
	return ret;
}

static enum mn_health_status check_storage(void *arg, char *msg, size_t n)
{
	return mn_fs_storage_health(arg, msg, n);
}

static const struct mn_config_key tmp_key = {
	.name = "tmp.size", .type = MN_CONFIG_SIZE, .def = "0",
	.desc = "cap of /tmp's content (0: half of the host's RAM, as tmpfs)",
	.min = 0, .max = 1LL << 50, .flags = MN_CONFIG_F_RESTART,
};

/* The cap of /tmp: tmp.size, or half of the host's RAM. */
static uint64_t tmp_cap(struct mn_kernel *k)
{
	struct mn_config *cfg = mn_kernel_config(k);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	int64_t set = 0;
	int ret;

	if (cfg) {
		ret = mn_config_register(cfg, &tmp_key, NULL);
		if (ret == 0 || ret == -EEXIST)	/* a reboot keeps it */
			set = mn_config_int_or(cfg, "tmp.size", 0);
	}
	if (set > 0)
		return (uint64_t)set;
	if (pages > 0 && psize > 0)
		return (uint64_t)pages * (uint64_t)psize / 2;
	return 0;	/* unknown: the VFS's default */
}

static int vfs_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	const char *data = mn_kernel_data_dir(k);
	char storage[MN_VFS_PATH_MAX];
	struct mn_vfs_opts opts = {.kernel = k};
	struct mn_sysfiles *sf = NULL;
	struct mn_vfs *vfs;
	int ret;

	(void)arg;
	opts.tmp_max_bytes = tmp_cap(k);
	if (data) {
		snprintf(storage, sizeof(storage), "%s/storage", data);
		opts.storage_dir = storage;
	}
	ret = mn_vfs_create(&vfs, &opts);
	if (ret < 0) {
		if (err)
			mn_strbuf_printf(err, "vfs: storage %s: %s",
					 data ? storage : "(memory)",
					 strerror(-ret));
		return ret;
	}
	ret = mn_vfs_mount_standard(vfs, err);
	if (ret == 0)
		ret = mn_sysfiles_create(&sf, vfs);
	if (ret == 0) {
		mn_vfs_set_sysfiles(vfs, sf);
		ret = mn_sysfiles_wire(k, sf);
	}
	if (ret < 0) {
		mn_sysfiles_wire(k, NULL);
		mn_sysfiles_destroy(sf);
		mn_vfs_destroy(vfs);
		return ret;
	}
	mn_kernel_set_slot(k, MN_SLOT_VFS, vfs);
	if (mn_kernel_health(k)) {
		struct mn_health_check c = {
			.name = "storage", .check = check_storage, .arg = vfs,
		};

		mn_health_register(mn_kernel_health(k), &c);
	}
	return 0;
}

static void vfs_stop(struct mn_kernel *k, void *arg)
{
	struct mn_vfs *vfs = mn_vfs_of(k);

	(void)arg;
	if (!vfs)
		return;
	if (mn_kernel_health(k))
		mn_health_unregister(mn_kernel_health(k), "storage");
	mn_sysfiles_wire(k, NULL);
	mn_kernel_set_slot(k, MN_SLOT_VFS, NULL);
	mn_sysfiles_destroy(mn_vfs_sysfiles(vfs));
	mn_vfs_destroy(vfs);
}

/* A terminated process's descriptor table is closed. */
static void vfs_on_exit(void *arg, int32_t pid)
{
	mn_vfs_proc_exit(arg, pid);
}

int mn_vfs_attach(struct mn_kernel *k)
{
	static const struct mn_stage_hook hook = {
		.name = "vfs",
		.start = vfs_start,
		.stop = vfs_stop,
		.arg = NULL,
	};

	int rc = mn_kernel_stage_hook(k, MN_STAGE_VFS, &hook);

	/* The generated trees (/proc, /sys, /events, /health) come with it. */
	if (rc == 0)
		rc = mn_kernel_on_exit(k, vfs_on_exit, k);
	if (rc == 0)
		rc = mn_fs_trees_attach(k);
	return rc;
}
