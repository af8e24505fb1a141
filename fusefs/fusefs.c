/*
 * fusefs - life cycle of the FUSE mount: mount, serve, stop; and the
 * kernel's fuse stage.
 *
 * mn_fusefs_mount() prepares the mount point (creates it, detaches a dead
 * mount of a crashed instance, refuses a live one), creates the libfuse
 * session with our options, mounts, and starts two things: the notifier
 * thread (fusefs_notify.c) and the loop thread, which runs libfuse's
 * multithreaded session loop (its workers are created from it and inherit
 * its blocked signal mask and its name, "mn-fuse").  Last it installs the
 * VFS's change hook, so that what the shell or the syscalls change is
 * invalidated in the kernel's caches at once rather than after the
 * timeouts; the hook is the first thing a stop removes.
 *
 * Stopping must never hang, whatever the mount's users do.  libfuse's loop
 * only notices fuse_session_exit() when one of its workers comes back from
 * reading /dev/fuse, i.e. on the next request.  So stop sets the exit flag
 * and makes that request itself: a detached "poke" thread stats the mount
 * root with AT_STATX_FORCE_SYNC, which always reaches us.  If the loop
 * still has not ended after a deadline (the mount point is shadowed by
 * another mount, say), the connection is aborted through fusectl.  Then
 * parked reads are answered, the files the kernel held are released (it
 * will never send those releases now), the device is closed and the mount
 * detached (lazily: a process may still have its cwd inside; it gets
 * ENOTCONN from then on).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <micronos/kernel.h>

#include "fusefs_i.h"

#define STOP_WAIT_S 2
#define DEFAULT_THREADS 8
#define FUSECTL_DIR "/sys/fs/fuse/connections"

/* --- the session loop ---------------------------------------------------- */

/*
 * MN_FUSE_LOOP="max=N,idle=N,clone_fd=0|1" overrides the worker model, for
 * measuring it (bench/README.md, tuning log); unknown words are ignored.
 */
static void loop_knobs(unsigned *max, unsigned *idle, unsigned *clone_fd)
{
	const char *env = getenv("MN_FUSE_LOOP");
	unsigned v;

	if (!env)
		return;
	if (strstr(env, "max=") && sscanf(strstr(env, "max="), "max=%u",
					   &v) == 1 && v)
		*max = v;
	if (strstr(env, "idle=") && sscanf(strstr(env, "idle="), "idle=%u",
					    &v) == 1)
		*idle = v;
	if (strstr(env, "clone_fd=") &&
	    sscanf(strstr(env, "clone_fd="), "clone_fd=%u", &v) == 1)
		*clone_fd = !!v;
}

static void *loop_main(void *arg)
{
	struct mn_fusefs *fs = arg;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	unsigned max = fs->max_threads, idle, clone_fd = 0;

	pthread_setname_np(pthread_self(), "mn-fuse");
	idle = max < 4 ? max : 4;
	loop_knobs(&max, &idle, &clone_fd);
	if (!cfg) {
		fs->loop_rc = -ENOMEM;
	} else {
		fuse_loop_cfg_set_max_threads(cfg, max);
		fuse_loop_cfg_set_idle_threads(cfg, idle < max ? idle : max);
		fuse_loop_cfg_set_clone_fd(cfg, clone_fd);
		fs->loop_rc = fuse_session_loop_mt(fs->se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	atomic_store(&fs->loop_done, 1);
	return NULL;
}

static int loop_start(struct mn_fusefs *fs)
{
	sigset_t all, old;
	int rc;

	/* Workers inherit this: the daemon's signals go to its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&fs->loop_thread, NULL, loop_main, fs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	fs->loop_started = 1;
	return 0;
}

/* Detached: owns its copy of the path; may outlive the mount object. */
static void *poke_main(void *arg)
{
	struct statx stx;

	statx(AT_FDCWD, arg, AT_STATX_FORCE_SYNC, STATX_MODE, &stx);
	free(arg);
	return NULL;
}

static void poke(struct mn_fusefs *fs)
{
	pthread_attr_t attr;
	pthread_t t;
	char *path = strdup(fs->mountpoint);

	if (!path)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, poke_main, path) != 0)
		free(path);
	pthread_attr_destroy(&attr);
}

/* Last resort: make every /dev/fuse read and pending request fail. */
static void abort_connection(struct mn_fusefs *fs)
{
	char path[128];
	int fd, mounted = 0;

	if (!fs->conn_dev)
		return;
	snprintf(path, sizeof(path), FUSECTL_DIR "/%u/abort",
		 minor(fs->conn_dev));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT &&
	    mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL) == 0) {
		mounted = 1;
		fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			fuse_log(FUSE_LOG_ERR, "micronos: fusectl abort: %s\n",
				 strerror(errno));
		close(fd);
	}
	if (mounted)
		umount2(FUSECTL_DIR, MNT_DETACH);
}

static int timed_join(pthread_t t, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	return pthread_timedjoin_np(t, NULL, &ts);
}

/* 0 once the loop thread is joined; -ETIMEDOUT if it is stuck. */
static int loop_stop(struct mn_fusefs *fs)
{
	fuse_session_exit(fs->se);
	if (!atomic_load(&fs->loop_done))
		poke(fs);
	if (timed_join(fs->loop_thread, STOP_WAIT_S) == 0)
		goto joined;
	fuse_log(FUSE_LOG_WARNING,
		 "micronos: FUSE loop at %s did not stop; "
		 "aborting the connection\n",
		 fs->mountpoint);
	abort_connection(fs);
	if (timed_join(fs->loop_thread, STOP_WAIT_S) == 0)
		goto joined;
	fuse_log(FUSE_LOG_ERR,
		 "micronos: FUSE loop at %s is stuck; leaking "
		 "it\n",
		 fs->mountpoint);
	return -ETIMEDOUT;
joined:
	fs->loop_started = 0;
	return 0;
}

/* --- mount and unmount --------------------------------------------------- */

int mn_fusefs_user_allow_other(void)
{
	FILE *f = fopen("/etc/fuse.conf", "re");
	char line[256];
	int ok = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "user_allow_other", 16))
			ok = 1;
	fclose(f);
	return ok;
}

/* The session's options: see fusefs.h for why these. */
static struct fuse_session *new_session(struct mn_fusefs *fs,
					struct mn_strbuf *err)
{
	const char *name = fs->kernel ? mn_kernel_name(fs->kernel) : NULL;
	char *o = fs->mntopts;
	char *argv[4] = {"micronos", "-o", o, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_lowlevel_ops ops;
	struct fuse_session *se;
	int allow_other = !(fs->flags & MN_FUSEFS_NO_ALLOW_OTHER);

	if (allow_other && geteuid() != 0 && !mn_fusefs_user_allow_other()) {
		fuse_log(FUSE_LOG_WARNING,
			 "micronos: /etc/fuse.conf lacks "
			 "user_allow_other: only this user sees the mount "
			 "(sandboxed programs may use only ids mapped onto "
			 "this user)\n");
		allow_other = 0;
	}
	/* fsname shows in mountinfo: name the instance if the name is tame. */
	if (!name || strpbrk(name, ",\\ \t\n"))
		name = NULL;
	snprintf(o, sizeof(fs->mntopts), "fsname=micronos%s%s,subtype=micronos%s%s",
		 name ? ":" : "", name ? name : "",
		 allow_other ? ",allow_other" : "",
		 fs->flags & MN_FUSEFS_VFS_PERMISSIONS
		     ? ""
		     : ",default_permissions");
	if (fs->flags & MN_FUSEFS_DEBUG) {
		argv[3] = "-d";
		args.argc = 4;
	}
	fusefs_counted_ops(&ops);
	se = fuse_session_new(&args, &ops, sizeof(ops), fs);
	fuse_opt_free_args(&args);
	if (!se && err)
		mn_strbuf_printf(err, "libfuse refused the options %s", o);
	return se;
}

static int fs_init(struct mn_fusefs *fs, const struct mn_fusefs_opts *opts)
{
	pthread_condattr_t ca;
	int rc;

	fs->flags = opts->flags;
	fs->max_threads =
	    opts->max_threads ? opts->max_threads : DEFAULT_THREADS;
	if ((rc = fusefs_idmap_copy(&fs->uidmap, opts->uid_map,
				    opts->nuid_map)) < 0 ||
	    (rc = fusefs_idmap_copy(&fs->gidmap, opts->gid_map,
				    opts->ngid_map)) < 0)
		return rc;
	atomic_store(&fs->mapped, fs->uidmap.n || fs->gidmap.n);
	pthread_rwlock_init(&fs->maplock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fs->qcond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&fs->qlock, NULL);
	pthread_mutex_init(&fs->files_lock, NULL);
	pthread_mutex_init(&fs->groups_lock, NULL);
	pthread_mutex_init(&fs->stats_lock, NULL);
	return 0;
}

static void fs_free(struct mn_fusefs *fs)
{
	if (fs->se)
		fuse_session_destroy(fs->se);
	pthread_cond_destroy(&fs->qcond);
	pthread_mutex_destroy(&fs->qlock);
	pthread_mutex_destroy(&fs->files_lock);
	pthread_mutex_destroy(&fs->groups_lock);
	pthread_mutex_destroy(&fs->stats_lock);
	pthread_rwlock_destroy(&fs->maplock);
	free(fs);
}

/*
 * The kernel reads ahead at most the mount's bdi read_ahead_kb, 128 KiB by
 * default whatever max_readahead says: a sequential read of storage took
 * eight READs a MiB.  Raised to FUSEFS_IO_MAX, it takes one.  Best effort:
 * only root may write there, and nothing but speed depends on it.
 */
static void raise_readahead(struct mn_fusefs *fs)
{
	char path[96], cur[32];
	unsigned want = FUSEFS_IO_MAX / 1024;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 major(fs->conn_dev), minor(fs->conn_dev));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		if ((unsigned)strtoul(cur, NULL, 10) < want) {
			n = snprintf(cur, sizeof(cur), "%u", want);
			if (pwrite(fd, cur, (size_t)n, 0) != n)
				fuse_log(FUSE_LOG_DEBUG,
					 "micronos: %s: %s\n", path,
					 strerror(errno));
		}
	}
	close(fd);
}

/*
 * Root mounts with mount(2) through libfuse.  Anyone else asks fusermount3
 * (fusefs_mnt.c says why libfuse would not) and hands libfuse the
 * descriptor it got as "/dev/fd/N".
 */
static int do_mount(struct mn_fusefs *fs, struct mn_strbuf *err)
{
	char fdpath[32];
	int fd;

	if (geteuid() == 0) {
		if (access("/dev/fuse", F_OK) < 0) {
			if (err)
				mn_strbuf_printf(err, "cannot mount FUSE at "
						 "%s: no /dev/fuse (load the "
						 "module: modprobe fuse)",
						 fs->mountpoint);
			return -ENODEV;
		}
		if (fuse_session_mount(fs->se, fs->mountpoint) != 0)
			goto fail;
		return 0;
	}
	if ((fd = fusefs_fusermount(fs->mountpoint, fs->mntopts, err)) < 0)
		return fd;
	fs->helper_mount = 1;
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	if (fuse_session_mount(fs->se, fdpath) == 0)
		return 0;
	close(fd);
fail:
	if (err)
		mn_strbuf_printf(err, "cannot mount FUSE at %s",
				 fs->mountpoint);
	return -EIO;
}

static int start_serving(struct mn_fusefs *fs, struct mn_strbuf *err)
{
	struct stat st;
	int rc;

	if ((rc = do_mount(fs, err)) < 0) {
		if (fs->helper_mount)
			fusefs_unmount_path(fs->mountpoint);
		fs->helper_mount = 0;
		return rc;
	}
	fs->mounted = 1;
	if ((rc = fusefs_notifier_start(fs)) < 0 || (rc = loop_start(fs)) < 0) {
		if (err)
			mn_strbuf_printf(err, "cannot start FUSE threads");
		return rc;
	}
	/* The first request: waits for INIT, names the connection. */
	if (stat(fs->mountpoint, &st) == 0) {
		fs->conn_dev = st.st_dev;
		raise_readahead(fs);
	}
	return 0;
}

int mn_fusefs_mount(struct mn_fusefs **out, struct mn_vfs *vfs,
		    struct mn_kernel *k, const struct mn_fusefs_opts *opts,
		    struct mn_strbuf *err)
{
	struct mn_fusefs *fs;
	int rc;

	if (!out || !vfs || !opts || !opts->mountpoint)
		return -EINVAL;
	if (!(fs = calloc(1, sizeof(*fs))))
		return -ENOMEM;
	fs->vfs = vfs;
	fs->kernel = k;
	if ((rc = fs_init(fs, opts)) < 0) {
		if (err)
			mn_strbuf_printf(err, "bad id map");
		free(fs);
		return rc;
	}
	rc = fusefs_prepare_mountpoint(opts->mountpoint, fs->mountpoint,
				       sizeof(fs->mountpoint), err);
	if (rc < 0)
		goto fail;
	if (!(fs->se = new_session(fs, err))) {
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = start_serving(fs, err)) < 0)
		goto fail;
	/* Another mount of the same VFS has it: that one only gets them. */
	if (mn_vfs_set_change_hook(vfs, fusefs_vfs_changed, fs) == 0)
		fs->hooked = 1;
	else
		fuse_log(FUSE_LOG_WARNING,
			 "micronos: %s: the VFS reports changes to another "
			 "mount; this one sees them after its timeouts\n",
			 fs->mountpoint);
	*out = fs;
	return 0;
fail:
	mn_fusefs_unmount(fs);
	return rc;
}

void mn_fusefs_unmount(struct mn_fusefs *fs)
{
	if (!fs)
		return;
	/* First: once it returns no change hook call uses fs any more. */
	if (fs->hooked)
		mn_vfs_set_change_hook(fs->vfs, NULL, NULL);
	fs->hooked = 0;
	if (fs->loop_started && loop_stop(fs) < 0) {
		/* Its threads still use fs: leak rather than crash. */
		fusefs_unmount_path(fs->mountpoint);
		return;
	}
	fusefs_notifier_quiesce(fs);
	fusefs_release_all(fs);
	fusefs_notifier_stop(fs);
	/* Closes /dev/fuse (aborting what is pending) and detaches. */
	if (fs->mounted)
		fuse_session_unmount(fs->se);
	/* libfuse does not unmount what it got as /dev/fd/N */
	if (fs->helper_mount)
		fusefs_unmount_path(fs->mountpoint);
	fs_free(fs);
}

const char *mn_fusefs_mountpoint(const struct mn_fusefs *fs)
{
	return fs->mountpoint;
}

void mn_fusefs_stats(struct mn_fusefs *fs, struct mn_fusefs_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!fs)
		return;
	out->parked_now = atomic_load(&fs->st_parked_now);
	out->parked_total = atomic_load(&fs->st_parked_total);
	out->interrupts = atomic_load(&fs->st_interrupts);
	out->poll_notifies = atomic_load(&fs->st_poll_notifies);
	out->invalidations = atomic_load(&fs->st_invalidations);
	out->inval_queued = atomic_load(&fs->st_inval_queued);
	out->inval_done = atomic_load(&fs->st_inval_done);
	out->open_files = atomic_load(&fs->st_open_files);
	out->splice_reads = atomic_load(&fs->st_splice_reads);
}

/* --- the kernel's fuse stage --------------------------------------------- */

static int stage_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	const struct mn_fusefs_opts *opts = arg;
	struct mn_vfs *vfs = mn_vfs_of(k);
	struct mn_fusefs *fs;
	int rc;

	if (!vfs) {
		mn_strbuf_printf(err, "no VFS to mount (mn_vfs_attach not "
				      "called?)");
		return -ENODEV;
	}
	if ((rc = mn_fusefs_mount(&fs, vfs, k, opts, err)) < 0)
		return rc;
	mn_kernel_set_slot(k, MN_SLOT_FUSE, fs);
	return 0;
}

static void stage_stop(struct mn_kernel *k, void *arg)
{
	struct mn_fusefs *fs = mn_kernel_slot(k, MN_SLOT_FUSE);

	(void)arg;
	mn_kernel_set_slot(k, MN_SLOT_FUSE, NULL);
	mn_fusefs_unmount(fs);
}

int mn_fusefs_attach(struct mn_kernel *k, const struct mn_fusefs_opts *opts)
{
	struct mn_stage_hook hook = {
	    .name = "fuse mount",
	    .start = stage_start,
	    .stop = stage_stop,
	    .arg = (void *)opts,
	};

	if (!k || !opts || !opts->mountpoint)
		return -EINVAL;
	return mn_kernel_stage_hook(k, MN_STAGE_FUSE, &hook);
}

struct mn_fusefs *mn_fusefs_of(struct mn_kernel *k)
{
	return mn_kernel_slot(k, MN_SLOT_FUSE);
}
