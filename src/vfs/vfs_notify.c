/*
 * vfs_notify.c - change notification: tells whoever caches the tree (the
 * FUSE kernel, through the adapter's hook) what others changed.
 *
 * The operations in vfs_ops.c and vfs_file.c call mn_vfs_changed() after a
 * change succeeded and every lock is dropped.  Which changes are reported
 * is decided here, by the caller's credentials: a caller that keeps its own
 * coherent cache (MN_VFS_CRED_COHERENT, the FUSE adapter) is not told of
 * its own changes, so the data path of the mount pays one flag test and
 * nothing else, and an invalidation never chases a request the kernel has
 * already accounted for (it would throw away the pages the kernel just
 * wrote through).  The rest - the shell, the syscalls, the kernel's own
 * writes - is rare, and reported one call per thing changed.
 *
 * The hook is installed and removed while changes may be under way in
 * other threads.  A call copies fn and arg under the hook's lock and counts
 * itself as running, then calls without the lock; removing waits for the
 * running calls to return, so the owner may free arg afterwards.  Without
 * a hook, a change costs one relaxed atomic load.
 */
#include <errno.h>

#include "vfs_i.h"

int mn_vfs_hook_init(struct mn_vfs_hook *h)
{
	atomic_init(&h->installed, 0);
	h->fn = NULL;
	h->arg = NULL;
	h->running = 0;
	if (pthread_mutex_init(&h->lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_cond_init(&h->idle, NULL) != 0) {
		pthread_mutex_destroy(&h->lock);
		return -ENOMEM;
	}
	return 0;
}

void mn_vfs_hook_destroy(struct mn_vfs_hook *h)
{
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->lock);
}

int mn_vfs_set_change_hook(struct mn_vfs *vfs, mn_vfs_change_fn *fn,
			   void *arg)
{
	struct mn_vfs_hook *h = mn_vfs_hook_of(vfs);
	int ret = 0;

	pthread_mutex_lock(&h->lock);
	if (fn && h->fn && (h->fn != fn || h->arg != arg)) {
		ret = -EBUSY;
	} else {
		h->fn = fn;
		h->arg = fn ? arg : NULL;
		atomic_store(&h->installed, fn != NULL);
		/* calls that copied the old hook must be done with it */
		while (h->running)
			pthread_cond_wait(&h->idle, &h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int mn_vfs_reporting(struct mn_vfs *vfs, const struct mn_vfs_cred *cred)
{
	if (cred && (cred->flags & MN_VFS_CRED_COHERENT))
		return 0;
	return atomic_load_explicit(&mn_vfs_hook_of(vfs)->installed,
				    memory_order_relaxed);
}

void mn_vfs_changed(struct mn_vfs *vfs, const struct mn_vfs_cred *cred,
		    uint64_t parent, const char *name, uint64_t ino,
		    unsigned what)
{
	struct mn_vfs_hook *h = mn_vfs_hook_of(vfs);
	mn_vfs_change_fn *fn;
	void *arg;

	if (!mn_vfs_reporting(vfs, cred) || (!(parent && name) && !ino))
		return;
	pthread_mutex_lock(&h->lock);
	fn = h->fn;
	arg = h->arg;
	if (fn)
		h->running++;
	pthread_mutex_unlock(&h->lock);
	if (!fn)
		return;
	if (parent && name)
		fn(arg, parent, name, 0, 0);
	if (ino)
		fn(arg, 0, NULL, ino, what);
	pthread_mutex_lock(&h->lock);
	if (--h->running == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
}

void mn_vfs_file_changed(struct mn_vfs_file *f, unsigned what)
{
	struct mn_vfs_cred cred = {.flags = f->cflags};

	mn_vfs_changed(f->vfs, &cred, 0, NULL, f->vn->id, what);
}
