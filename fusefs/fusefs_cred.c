/*
 * fusefs_cred - who is calling: turns a FUSE request's host credentials
 * into the struct mn_vfs_cred the VFS checks permissions with.
 *
 * uid and gid come from fuse_req_ctx() and are mapped through the mount's
 * id maps (the sandbox's user namespace: MicronOS ids inside, host ids
 * outside; identity without a map, and then no lock is taken).  The maps
 * may be replaced while serving (mn_fusefs_set_idmaps), hence the rwlock.  The
 * pid is the MicronOS pid of the host process when the kernel knows it (a
 * sandboxed program, registered on the spot if it is a fork that made no
 * trapped call yet: mn_proc_resolve_host), else 0.
 *
 * Supplementary groups are only asked for callers other than root (root
 * passes every check anyway).  libfuse reads them from /proc/PID/status,
 * an open+read+close per call, so they are cached per pid for a second:
 * a process's groups rarely change, and a pid reused within the second by
 * a process with other groups is the price (default_permissions makes the
 * Linux kernel check with the real groups first anyway).
 */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>

#include "fusefs_i.h"

#define GROUPS_TTL_NS 1000000000ULL

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int fusefs_idmap_copy(struct idmap *dst, const struct mn_fusefs_idmap *src,
		      unsigned n)
{
	unsigned i;

	memset(dst, 0, sizeof(*dst));
	if (n > MN_FUSEFS_IDMAP_MAX || (n && !src))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!src[i].count ||
		    src[i].inside > UINT32_MAX - src[i].count ||
		    src[i].outside > UINT32_MAX - src[i].count)
			return -EINVAL;
		dst->line[i] = src[i];
	}
	dst->n = n;
	return 0;
}

static uint32_t id_in(const struct idmap *m, uint32_t host_id)
{
	unsigned i;

	if (!m->n)
		return host_id;
	for (i = 0; i < m->n; i++) {
		const struct mn_fusefs_idmap *l = &m->line[i];

		if (host_id >= l->outside && host_id - l->outside < l->count)
			return l->inside + (host_id - l->outside);
	}
	return MN_FUSEFS_OVERFLOW_ID;
}

static uint32_t id_out(const struct idmap *m, uint32_t id)
{
	unsigned i;

	if (!m->n)
		return id;
	for (i = 0; i < m->n; i++) {
		const struct mn_fusefs_idmap *l = &m->line[i];

		if (id >= l->inside && id - l->inside < l->count)
			return l->outside + (id - l->inside);
	}
	return MN_FUSEFS_OVERFLOW_ID;
}

uint32_t fusefs_uid_in(struct mn_fusefs *fs, uint32_t host_id)
{
	uint32_t id = host_id;

	if (atomic_load_explicit(&fs->mapped, memory_order_acquire)) {
		pthread_rwlock_rdlock(&fs->maplock);
		id = id_in(&fs->uidmap, host_id);
		pthread_rwlock_unlock(&fs->maplock);
	}
	return id;
}

uint32_t fusefs_gid_in(struct mn_fusefs *fs, uint32_t host_id)
{
	uint32_t id = host_id;

	if (atomic_load_explicit(&fs->mapped, memory_order_acquire)) {
		pthread_rwlock_rdlock(&fs->maplock);
		id = id_in(&fs->gidmap, host_id);
		pthread_rwlock_unlock(&fs->maplock);
	}
	return id;
}

void fusefs_attr_out(struct mn_fusefs *fs, struct stat *st)
{
	if (!atomic_load_explicit(&fs->mapped, memory_order_acquire))
		return;
	pthread_rwlock_rdlock(&fs->maplock);
	st->st_uid = id_out(&fs->uidmap, st->st_uid);
	st->st_gid = id_out(&fs->gidmap, st->st_gid);
	pthread_rwlock_unlock(&fs->maplock);
}

int mn_fusefs_set_idmaps(struct mn_fusefs *fs,
			 const struct mn_fusefs_idmap *uid_map, unsigned nuid,
			 const struct mn_fusefs_idmap *gid_map, unsigned ngid)
{
	struct idmap u, g;
	int rc;

	if (!fs)
		return -EINVAL;
	if ((rc = fusefs_idmap_copy(&u, uid_map, nuid)) < 0 ||
	    (rc = fusefs_idmap_copy(&g, gid_map, ngid)) < 0)
		return rc;
	pthread_rwlock_wrlock(&fs->maplock);
	fs->uidmap = u;
	fs->gidmap = g;
	atomic_store_explicit(&fs->mapped, u.n || g.n, memory_order_release);
	pthread_rwlock_unlock(&fs->maplock);
	/* The cache holds mapped gids. */
	pthread_mutex_lock(&fs->groups_lock);
	memset(fs->groups, 0, sizeof(fs->groups));
	pthread_mutex_unlock(&fs->groups_lock);
	return 0;
}

/* Fills out->groups for a non-root caller; returns how many. */
static uint32_t caller_groups(struct mn_fusefs *fs, fuse_req_t req, pid_t pid,
			      uint32_t *out)
{
	struct groups_slot *s =
	    &fs->groups[(unsigned)pid % FUSEFS_GROUPS_CACHE];
	gid_t raw[MN_VFS_GROUPS_MAX];
	uint64_t now = mono_ns();
	uint32_t n = 0, i;
	int rc;

	pthread_mutex_lock(&fs->groups_lock);
	if (s->pid == pid && now - s->stamp_ns < GROUPS_TTL_NS) {
		n = s->n;
		memcpy(out, s->g, n * sizeof(*out));
		pthread_mutex_unlock(&fs->groups_lock);
		return n;
	}
	pthread_mutex_unlock(&fs->groups_lock);

	/* Outside the lock: this reads /proc. */
	rc = fuse_req_getgroups(req, MN_VFS_GROUPS_MAX, raw);
	if (rc <= 0)
		return 0;
	n = (uint32_t)rc < MN_VFS_GROUPS_MAX ? (uint32_t)rc : MN_VFS_GROUPS_MAX;
	for (i = 0; i < n; i++)
		out[i] = fusefs_gid_in(fs, raw[i]);

	pthread_mutex_lock(&fs->groups_lock);
	s->pid = pid;
	s->stamp_ns = now;
	s->n = n;
	memcpy(s->g, out, n * sizeof(*out));
	pthread_mutex_unlock(&fs->groups_lock);
	return n;
}

/* The thread group of a host thread id, from /proc; 0 if unknown. */
static pid_t host_tgid(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/*
 * The MicronOS pid of a caller.  FUSE gives the calling thread's id: a
 * program's other threads are found through their thread group.  Only
 * callers whose uid is not the host's own (a mapped sandbox id) pay for
 * that look-up (ids below 65536 are the sandbox's: see ARCHITECTURE.md,
 * "Ids"); host tools browsing the mount are no MicronOS process.
 */
static int32_t caller_pid(struct mn_fusefs *fs, const struct fuse_ctx *ctx,
			  uint32_t mapped_uid)
{
	struct mn_proctab *pt = mn_kernel_procs(fs->kernel);
	int32_t pid = mn_proc_find_by_host(pt, ctx->pid);
	pid_t tgid;

	/* a fork not registered yet is registered now (the sandbox's
	   resolver): /proc/self must name the caller from its first call */
	if (pid <= 0 && mapped_uid != ctx->uid && mapped_uid < 65536)
		pid = mn_proc_resolve_host(pt, ctx->pid);
	if (pid <= 0 && mapped_uid != ctx->uid && mapped_uid < 65536 &&
	    (tgid = host_tgid(ctx->pid)) > 0 && tgid != ctx->pid)
		pid = mn_proc_find_by_host(pt, tgid);
	return pid > 0 ? pid : 0;
}

void fusefs_req_cred(struct mn_fusefs *fs, fuse_req_t req, struct req_cred *out)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	memset(&out->cred, 0, sizeof(out->cred));
	/* The kernel drops what it cached for what it asks to change. */
	out->cred.flags = MN_VFS_CRED_COHERENT;
	out->cred.uid = fusefs_uid_in(fs, ctx->uid);
	out->cred.gid = fusefs_gid_in(fs, ctx->gid);
	/* host root keeps its privilege under whatever id it maps to */
	if (ctx->uid == 0)
		out->cred.flags |= MN_VFS_CRED_ADMIN;
	out->cred.groups = out->groups;
	if (fs->kernel && ctx->pid > 0)
		out->cred.pid = caller_pid(fs, ctx, out->cred.uid);
	if (ctx->uid != 0 && out->cred.uid != 0 && ctx->pid > 0)
		out->cred.ngroups =
		    caller_groups(fs, req, ctx->pid, out->groups);
}
