/*
 * fusefs_stats - what the kernel asks of the mount: a request counter and
 * a latency histogram per FUSE operation.
 *
 * Every FUSE round trip costs tens of microseconds of wake-ups before the
 * daemon does any work, so the first question about a slow operation is
 * "how many requests did it take", and the second "which of them was
 * slow in the daemon".  Each request handler of fusefs_ll_ops is wrapped
 * here: the wrapper reads the clock, calls the handler and files the time
 * it took (until the reply, or until the request was parked) under the
 * operation.  The session is created with the wrapped table
 * (fusefs_counted_ops), so a handler added to fusefs_ll_ops without a
 * wrapper still works, uncounted.
 *
 * The figures live in the mount (relaxed atomics; mn_fusefs_op_stats
 * copies them, with a coarse six-bucket histogram) and, when the mount
 * belongs to a kernel, also in the kernel's statistics, so `stats
 * fuse.req` in the shell shows them:
 *   fuse.req.OP       counter: requests
 *   fuse.req.OP.ns    histogram: nanoseconds each spent in the daemon
 * An operation's names are registered on its first request (the stats
 * table is shared and bounded: ops never used take no room).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <micronos/kernel.h>
#include <micronos/stats.h>

#include "fusefs_i.h"

static const char *const op_names[FUSEFS_OP_COUNT] = {
    [FOP_LOOKUP] = "lookup",
    [FOP_FORGET] = "forget",
    [FOP_BATCH_FORGET] = "batch_forget",
    [FOP_GETATTR] = "getattr",
    [FOP_SETATTR] = "setattr",
    [FOP_READLINK] = "readlink",
    [FOP_MKNOD] = "mknod",
    [FOP_MKDIR] = "mkdir",
    [FOP_UNLINK] = "unlink",
    [FOP_RMDIR] = "rmdir",
    [FOP_SYMLINK] = "symlink",
    [FOP_RENAME] = "rename",
    [FOP_LINK] = "link",
    [FOP_OPEN] = "open",
    [FOP_READ] = "read",
    [FOP_WRITE] = "write",
    [FOP_FLUSH] = "flush",
    [FOP_RELEASE] = "release",
    [FOP_FSYNC] = "fsync",
    [FOP_OPENDIR] = "opendir",
    [FOP_READDIR] = "readdir",
    [FOP_READDIRPLUS] = "readdirplus",
    [FOP_RELEASEDIR] = "releasedir",
    [FOP_FSYNCDIR] = "fsyncdir",
    [FOP_STATFS] = "statfs",
    [FOP_SETXATTR] = "setxattr",
    [FOP_GETXATTR] = "getxattr",
    [FOP_LISTXATTR] = "listxattr",
    [FOP_REMOVEXATTR] = "removexattr",
    [FOP_ACCESS] = "access",
    [FOP_CREATE] = "create",
    [FOP_POLL] = "poll",
};

/* Upper bounds of the histogram's buckets, in ns; the last is open. */
static const uint64_t lat_bound[MN_FUSEFS_LAT_BUCKETS - 1] = {
    4000, 16000, 64000, 256000, 1000000,
};
static const char *const lat_name[MN_FUSEFS_LAT_BUCKETS] = {
    "lt4us", "lt16us", "lt64us", "lt256us", "lt1ms", "ge1ms",
};

const char *mn_fusefs_lat_bucket_name(unsigned i)
{
	return i < MN_FUSEFS_LAT_BUCKETS ? lat_name[i] : NULL;
}

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t ns)
{
	unsigned i;

	for (i = 0; i < MN_FUSEFS_LAT_BUCKETS - 1; i++)
		if (ns < lat_bound[i])
			break;
	return i;
}

/* Registers op's names in the kernel's stats; once, under stats_lock. */
static void publish(struct mn_fusefs *fs, struct fusefs_opstat *os,
		    enum fusefs_op op)
{
	struct mn_stats *st = mn_kernel_stats(fs->kernel);
	char name[MN_STATS_NAME_MAX + 1];
	int ok;

	pthread_mutex_lock(&fs->stats_lock);
	if (atomic_load_explicit(&os->published, memory_order_relaxed)) {
		pthread_mutex_unlock(&fs->stats_lock);
		return;
	}
	snprintf(name, sizeof(name), "fuse.req.%s", op_names[op]);
	ok = st && mn_stats_counter(st, name, &os->k_count) == 0;
	snprintf(name, sizeof(name), "fuse.req.%s.ns", op_names[op]);
	ok = ok && mn_stats_histogram(st, name, &os->k_hist) == 0;
	/* A full table: the mount's own figures still count; -1 = never. */
	atomic_store_explicit(&os->published, ok ? 1 : -1,
			      memory_order_release);
	pthread_mutex_unlock(&fs->stats_lock);
}

/*
 * Counted before the handler runs: once a caller's system call returns,
 * every request it caused is in the count (the time comes after).
 */
static int op_begin(struct mn_fusefs *fs, enum fusefs_op op)
{
	struct fusefs_opstat *os = &fs->opstat[op];
	int pub;

	atomic_fetch_add_explicit(&os->count, 1, memory_order_relaxed);
	if (!fs->kernel)
		return -1;
	pub = atomic_load_explicit(&os->published, memory_order_acquire);
	if (!pub) {
		publish(fs, os, op);
		pub =
		    atomic_load_explicit(&os->published, memory_order_acquire);
	}
	if (pub > 0)
		mn_stat_inc(os->k_count);
	return pub;
}

static void op_done(struct mn_fusefs *fs, enum fusefs_op op, uint64_t t0,
		    int pub)
{
	struct fusefs_opstat *os = &fs->opstat[op];
	uint64_t ns = clock_ns() - t0;
	unsigned long long max;
	unsigned b = bucket_of(ns);

	atomic_fetch_add_explicit(&os->ns, ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&os->lat[b], 1, memory_order_relaxed);
	max = atomic_load_explicit(&os->ns_max, memory_order_relaxed);
	while (ns > max && !atomic_compare_exchange_weak_explicit(
			       &os->ns_max, &max, ns, memory_order_relaxed,
			       memory_order_relaxed))
		;
	if (pub > 0)
		mn_stat_observe(os->k_hist, ns);
}

unsigned mn_fusefs_op_stats(struct mn_fusefs *fs, struct mn_fusefs_opstat *out,
			    unsigned max)
{
	unsigned op, i;

	for (op = 0; fs && op < FUSEFS_OP_COUNT && op < max; op++) {
		const struct fusefs_opstat *os = &fs->opstat[op];

		out[op].name = op_names[op];
		out[op].requests = atomic_load(&os->count);
		out[op].ns_total = atomic_load(&os->ns);
		out[op].ns_max = atomic_load(&os->ns_max);
		for (i = 0; i < MN_FUSEFS_LAT_BUCKETS; i++)
			out[op].lat[i] = atomic_load(&os->lat[i]);
	}
	return FUSEFS_OP_COUNT;
}

/* --- the wrappers -------------------------------------------------------- */

/*
 * The mount is read before the call: once the handler replied, req may be
 * freed.  OP is the handler's name in fusefs_ll_ops, ID its counter.
 */
#define WRAP(op, ID, params, args)                                             \
	static void w_##op params                                              \
	{                                                                      \
		struct mn_fusefs *fs = fuse_req_userdata(req);                 \
		int pub = op_begin(fs, ID);                                    \
		uint64_t t0 = clock_ns();                                      \
		fusefs_ll_ops.op args;                                         \
		op_done(fs, ID, t0, pub);                                      \
	}

typedef struct fuse_file_info ffi;

WRAP(lookup, FOP_LOOKUP, (fuse_req_t req, fuse_ino_t p, const char *n),
     (req, p, n))
WRAP(forget, FOP_FORGET, (fuse_req_t req, fuse_ino_t i, uint64_t n),
     (req, i, n))
WRAP(forget_multi, FOP_BATCH_FORGET,
     (fuse_req_t req, size_t c, struct fuse_forget_data *f), (req, c, f))
WRAP(getattr, FOP_GETATTR, (fuse_req_t req, fuse_ino_t i, ffi *fi),
     (req, i, fi))
WRAP(setattr, FOP_SETATTR,
     (fuse_req_t req, fuse_ino_t i, struct stat *a, int s, ffi *fi),
     (req, i, a, s, fi))
WRAP(readlink, FOP_READLINK, (fuse_req_t req, fuse_ino_t i), (req, i))
WRAP(mknod, FOP_MKNOD,
     (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t r),
     (req, p, n, m, r))
WRAP(mkdir, FOP_MKDIR, (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m),
     (req, p, n, m))
WRAP(unlink, FOP_UNLINK, (fuse_req_t req, fuse_ino_t p, const char *n),
     (req, p, n))
WRAP(rmdir, FOP_RMDIR, (fuse_req_t req, fuse_ino_t p, const char *n),
     (req, p, n))
WRAP(symlink, FOP_SYMLINK,
     (fuse_req_t req, const char *l, fuse_ino_t p, const char *n),
     (req, l, p, n))
WRAP(rename, FOP_RENAME,
     (fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np,
      const char *nn, unsigned int f),
     (req, p, n, np, nn, f))
WRAP(link, FOP_LINK,
     (fuse_req_t req, fuse_ino_t i, fuse_ino_t np, const char *nn),
     (req, i, np, nn))
WRAP(open, FOP_OPEN, (fuse_req_t req, fuse_ino_t i, ffi *fi), (req, i, fi))
WRAP(read, FOP_READ, (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, ffi *fi),
     (req, i, s, o, fi))
WRAP(write, FOP_WRITE,
     (fuse_req_t req, fuse_ino_t i, const char *b, size_t s, off_t o, ffi *fi),
     (req, i, b, s, o, fi))
WRAP(flush, FOP_FLUSH, (fuse_req_t req, fuse_ino_t i, ffi *fi), (req, i, fi))
WRAP(release, FOP_RELEASE, (fuse_req_t req, fuse_ino_t i, ffi *fi),
     (req, i, fi))
WRAP(fsync, FOP_FSYNC, (fuse_req_t req, fuse_ino_t i, int d, ffi *fi),
     (req, i, d, fi))
WRAP(opendir, FOP_OPENDIR, (fuse_req_t req, fuse_ino_t i, ffi *fi),
     (req, i, fi))
WRAP(readdir, FOP_READDIR,
     (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, ffi *fi),
     (req, i, s, o, fi))
WRAP(readdirplus, FOP_READDIRPLUS,
     (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, ffi *fi),
     (req, i, s, o, fi))
WRAP(releasedir, FOP_RELEASEDIR, (fuse_req_t req, fuse_ino_t i, ffi *fi),
     (req, i, fi))
WRAP(fsyncdir, FOP_FSYNCDIR, (fuse_req_t req, fuse_ino_t i, int d, ffi *fi),
     (req, i, d, fi))
WRAP(statfs, FOP_STATFS, (fuse_req_t req, fuse_ino_t i), (req, i))
WRAP(setxattr, FOP_SETXATTR,
     (fuse_req_t req, fuse_ino_t i, const char *n, const char *v, size_t s,
      int f),
     (req, i, n, v, s, f))
WRAP(getxattr, FOP_GETXATTR,
     (fuse_req_t req, fuse_ino_t i, const char *n, size_t s), (req, i, n, s))
WRAP(listxattr, FOP_LISTXATTR, (fuse_req_t req, fuse_ino_t i, size_t s),
     (req, i, s))
WRAP(removexattr, FOP_REMOVEXATTR,
     (fuse_req_t req, fuse_ino_t i, const char *n), (req, i, n))
WRAP(access, FOP_ACCESS, (fuse_req_t req, fuse_ino_t i, int m), (req, i, m))
WRAP(create, FOP_CREATE,
     (fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, ffi *fi),
     (req, p, n, m, fi))
WRAP(poll, FOP_POLL,
     (fuse_req_t req, fuse_ino_t i, ffi *fi, struct fuse_pollhandle *ph),
     (req, i, fi, ph))

/* Each handler fusefs_ll_ops has, replaced by its wrapper. */
#define SWAP(op)                                                               \
	do {                                                                   \
		if (out->op)                                                   \
			out->op = w_##op;                                      \
	} while (0)

void fusefs_counted_ops(struct fuse_lowlevel_ops *out)
{
	*out = fusefs_ll_ops;
	SWAP(lookup);
	SWAP(forget);
	SWAP(forget_multi);
	SWAP(getattr);
	SWAP(setattr);
	SWAP(readlink);
	SWAP(mknod);
	SWAP(mkdir);
	SWAP(unlink);
	SWAP(rmdir);
	SWAP(symlink);
	SWAP(rename);
	SWAP(link);
	SWAP(open);
	SWAP(read);
	SWAP(write);
	SWAP(flush);
	SWAP(release);
	SWAP(fsync);
	SWAP(opendir);
	SWAP(readdir);
	SWAP(readdirplus);
	SWAP(releasedir);
	SWAP(fsyncdir);
	SWAP(statfs);
	SWAP(setxattr);
	SWAP(getxattr);
	SWAP(listxattr);
	SWAP(removexattr);
	SWAP(access);
	SWAP(create);
	SWAP(poll);
}
