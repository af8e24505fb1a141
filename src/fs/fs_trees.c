/*
 * fs_trees.c - mounting the generated trees (/proc, /sys, /events, /health)
 * and keeping their shared state alive while anyone uses it.
 *
 * The trees are static tables (fs_proc.c, fs_sys.c, fs_events.c,
 * fs_health.c); only /proc and /events keep state: the load average
 * sampler and the CPU baseline, the events/log index, the open streams and
 * the notifier thread.  The VFS has no unmount, so a mount outlives
 * anything this layer could free at its stop: callbacks therefore never
 * get the state through the mount's arg but from the kernel's slot
 * MN_SLOT_TREES, with a reference.  Retiring (the stage stop) empties the
 * slot and drops the slot's reference; the state is freed by whoever drops
 * the last one (a render in flight, an open stream's release).
 *
 * Lock order: slot_lock guards the slot of every kernel and every refs
 * count; it is a leaf, never held while a callback, a thread join or
 * another module runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/kernel.h>

#include "fs_trees_i.h"

struct mn_trees {
	struct mn_kernel *k;			/* set once */
	struct mn_procfs *proc;			/* set once */
	struct mn_eventsfs *ev;			/* set once */
	unsigned refs;				/* protected by slot_lock */
};

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

/* The trees: mount point, type in /proc/mounts, root row. */
static const struct {
	const char *path;
	const char *type;
	const struct mn_synth_node *root;
} trees[] = {
	{"/proc", "proc", &mn_fs_proc_root},
	{"/sys", "sysfs", &mn_fs_sys_root},
	{"/events", "events", &mn_fs_events_root},
	{"/health", "health", &mn_fs_health_root},
};

struct mn_trees *mn_trees_get(struct mn_kernel *k)
{
	struct mn_trees *t;

	if (!k)
		return NULL;
	pthread_mutex_lock(&slot_lock);
	t = mn_kernel_slot(k, MN_SLOT_TREES);
	if (t)
		t->refs++;
	pthread_mutex_unlock(&slot_lock);
	return t;
}

void mn_trees_ref(struct mn_trees *t)
{
	pthread_mutex_lock(&slot_lock);
	t->refs++;
	pthread_mutex_unlock(&slot_lock);
}

static void trees_free(struct mn_trees *t)
{
	mn_eventsfs_destroy(t->ev);
	mn_procfs_destroy(t->proc);
	free(t);
}

void mn_trees_put(struct mn_trees *t)
{
	unsigned left;

	if (!t)
		return;
	pthread_mutex_lock(&slot_lock);
	left = --t->refs;
	pthread_mutex_unlock(&slot_lock);
	if (left == 0)
		trees_free(t);
}

struct mn_procfs *mn_trees_procfs(struct mn_trees *t)
{
	return t->proc;
}

struct mn_eventsfs *mn_trees_eventsfs(struct mn_trees *t)
{
	return t->ev;
}

/* Empties k's slot; returns what it held (the slot's reference). */
static struct mn_trees *unregister(struct mn_kernel *k)
{
	struct mn_trees *t;

	pthread_mutex_lock(&slot_lock);
	t = mn_kernel_slot(k, MN_SLOT_TREES);
	mn_kernel_set_slot(k, MN_SLOT_TREES, NULL);
	pthread_mutex_unlock(&slot_lock);
	return t;
}

/* Creates the state and puts it in k's slot; -EBUSY if k has trees. */
static int trees_register(struct mn_kernel *k)
{
	struct mn_trees *t = calloc(1, sizeof(*t)), *o;
	int ret = -ENOMEM;

	if (!t)
		return ret;
	t->k = k;
	t->refs = 1;
	ret = mn_procfs_create(&t->proc, k);
	if (ret == 0)
		ret = mn_eventsfs_create(&t->ev, mn_kernel_evbus(k));
	if (ret < 0)
		goto fail;
	pthread_mutex_lock(&slot_lock);
	o = mn_kernel_slot(k, MN_SLOT_TREES);
	if (!o)
		mn_kernel_set_slot(k, MN_SLOT_TREES, t);
	pthread_mutex_unlock(&slot_lock);
	if (!o)
		return 0;
	ret = -EBUSY;
fail:
	mn_eventsfs_stop(t->ev);
	mn_procfs_stop(t->proc);
	trees_free(t);
	return ret;
}

void mn_fs_trees_unmount(struct mn_kernel *k)
{
	struct mn_trees *t = unregister(k);

	if (!t)
		return;
	/* Threads first: they must not outlive the modules they read. */
	mn_eventsfs_stop(t->ev);
	mn_procfs_stop(t->proc);
	mn_trees_put(t);
}

int mn_fs_trees_mount(struct mn_kernel *k, struct mn_vfs *vfs,
		      struct mn_strbuf *err)
{
	size_t i;
	int ret;

	if (!k || !vfs)
		return -EINVAL;
	ret = trees_register(k);
	if (ret < 0) {
		if (err)
			mn_strbuf_printf(err, "generated trees: %s",
					 strerror(-ret));
		return ret;
	}
	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		ret = mn_vfs_mount_synth(vfs, trees[i].path, trees[i].type,
					 trees[i].root, NULL);
		if (ret < 0) {
			if (err)
				mn_strbuf_printf(err, "cannot mount %s: %s",
						 trees[i].path, strerror(-ret));
			mn_fs_trees_unmount(k);
			return ret;
		}
	}
	return 0;
}

static int hook_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	struct mn_vfs *vfs = mn_vfs_of(k);
	struct mn_trees *t = mn_trees_get(k);

	(void)arg;
	if (t) {
		/* attached twice (by the daemon and a layer): mounted once */
		mn_trees_put(t);
		return 0;
	}
	if (!vfs) {
		if (err)
			mn_strbuf_printf(err, "generated trees: no VFS "
					 "(mn_vfs_attach must come first)");
		return -ENODEV;
	}
	return mn_fs_trees_mount(k, vfs, err);
}

static void hook_stop(struct mn_kernel *k, void *arg)
{
	(void)arg;
	mn_fs_trees_unmount(k);
}

int mn_fs_trees_attach(struct mn_kernel *k)
{
	static const struct mn_stage_hook hook = {
		.name = "generated trees",
		.start = hook_start,
		.stop = hook_stop,
		.arg = NULL,
	};

	return mn_kernel_stage_hook(k, MN_STAGE_VFS, &hook);
}
