/*
 * syscall.c - the MicronOS syscall table and its dispatcher.
 *
 * As in xv6's syscall.c, the table is filled by number and dispatch is a
 * bounds check and an indexed load.  The numbers are sparse (0..5000 and
 * up), so the index is a flat array of 16-bit row numbers over the whole
 * number range (16 KB) and the rows themselves are dense.  A row, once
 * added, never moves or goes away; its handler is a pointer to an immutable
 * binding that mn_syscall_register() swaps atomically, so layers can wire
 * and unwire their rows while other threads dispatch, without a lock on the
 * dispatch path.  Old bindings are kept until destroy (there are a handful).
 *
 * Statistics are relaxed atomics per row.  Timing every call costs two
 * clock reads (~40 ns); see TIME_SAMPLE_SHIFT for why that is kept.
 *
 * The handlers of the process and time rows are in sys_proc.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syscall_i.h"
#include "texttable_i.h"

/*
 * Calls are timed one in 2^TIME_SAMPLE_SHIFT per thread, and the measured
 * time is scaled up.  0 times every call, exactly; that is the setting,
 * because bench_core measured it to fit the budget with room to spare (on
 * the 2-core build machine, getpid through the dispatcher: 1.9e7 calls/s
 * timed with two vDSO clock_gettime reads, 1.5e8 calls/s sampled 1 in 16;
 * the aim is 5e6), and sampling would leave rarely used rows (a shell's
 * three forks) with no time at all.  Raise it (-DTIME_SAMPLE_SHIFT=4) if
 * dispatch ever becomes the bottleneck.
 */
#ifndef TIME_SAMPLE_SHIFT
#define TIME_SAMPLE_SHIFT 0
#endif

static const char *const group_names[MN_SYSG__COUNT] = {
	"process", "group1", "file", "network",
	"group4", "time", "group6", "group7",
};

static const char *const arg_names[MN_ARG__COUNT] = {
	"-", "int", "uint", "fd", "pid", "path", "buf", "size",
	"flags", "mode", "offset", "whence", "ptr",
};

#define A(...) {__VA_ARGS__}
/*
 * The base table, by number: the fifteen calls every MicronOS offers (the
 * numbers of syscall.h's enum mn_sysno).  A NULL handler is "missing"
 * until its layer wires it.
 */
static const struct mn_syscall_desc spec_rows[] = {
	{MN_SYS_FORK, "fork", A(0), NULL, mn_sys_fork, NULL},
	{MN_SYS_GETPID, "getpid", A(0), NULL, mn_sys_getpid, NULL},
	{MN_SYS_GETPPID, "getppid", A(0), NULL, mn_sys_getppid, NULL},
	{MN_SYS_GETUID, "getuid", A(0), NULL, mn_sys_getuid, NULL},
	{MN_SYS_GETGID, "getgid", A(0), NULL, mn_sys_getgid, NULL},
	{MN_SYS_OPEN, "open", A(MN_ARG_PATH, MN_ARG_FLAGS, MN_ARG_MODE),
	 "the VFS", NULL, NULL},
	{MN_SYS_CLOSE, "close", A(MN_ARG_FD), "the VFS", NULL, NULL},
	{MN_SYS_READ, "read", A(MN_ARG_FD, MN_ARG_BUF, MN_ARG_SIZE),
	 "the VFS", NULL, NULL},
	{MN_SYS_WRITE, "write", A(MN_ARG_FD, MN_ARG_BUF, MN_ARG_SIZE),
	 "the VFS", NULL, NULL},
	{MN_SYS_LSEEK, "lseek", A(MN_ARG_FD, MN_ARG_OFFSET, MN_ARG_WHENCE),
	 "the VFS", NULL, NULL},
	/* domain, type (SOCK_* and flags), protocol */
	{MN_SYS_SOCKET, "socket", A(MN_ARG_INT, MN_ARG_FLAGS, MN_ARG_INT),
	 "the network", NULL, NULL},
	/* fd, struct sockaddr *, its length */
	{MN_SYS_BIND, "bind", A(MN_ARG_FD, MN_ARG_PTR, MN_ARG_SIZE),
	 "the network", NULL, NULL},
	{MN_SYS_LISTEN, "listen", A(MN_ARG_FD, MN_ARG_INT), "the network",
	 NULL, NULL},
	/* fd, struct sockaddr * out, socklen_t * in/out; both may be 0 */
	{MN_SYS_ACCEPT, "accept", A(MN_ARG_FD, MN_ARG_PTR, MN_ARG_PTR),
	 "the network", NULL, NULL},
	{MN_SYS_TIME, "time", A(0), NULL, mn_sys_time, NULL},
};

struct binding {
	mn_syscall_fn *fn;
	void *data;
	struct binding *next;	/* every binding ever made; s->lock */
};

struct row {
	/* Read-only once the row is published in the index. */
	uint32_t nr;
	uint8_t nargs;
	uint8_t args[MN_SYSCALL_ARGS];
	char name[MN_SYSCALL_NAME_MAX];
	char provider[32];
	_Atomic(struct binding *) bind;	/* NULL: missing */
	/* Statistics, relaxed. */
	atomic_uint_fast64_t calls;
	atomic_uint_fast64_t errors;
	atomic_uint_fast64_t time_ns;
};

struct mn_syscalls {
	pthread_mutex_t lock;		/* serialises add and register */
	struct binding *bindings;	/* lock */
	atomic_size_t nrows;		/* rows[0..nrows) are published */
	atomic_uint_fast64_t unknown;
	_Atomic uint16_t index[MN_SYSCALL_NR_MAX];	/* row + 1, 0: none */
	struct row rows[MN_SYSCALL_ROWS_MAX];
};

const char *mn_sys_group_name(enum mn_sys_group group)
{
	return (unsigned)group < MN_SYSG__COUNT ? group_names[group] : "?";
}

enum mn_sys_group mn_sys_group_of(uint32_t nr)
{
	uint32_t g = nr / 1000;

	return g < MN_SYSG__COUNT ? (enum mn_sys_group)g : MN_SYSG_7XXX;
}

const char *mn_sysarg_name(enum mn_sysarg kind)
{
	return (unsigned)kind < MN_ARG__COUNT ? arg_names[kind] : "?";
}

long mn_sysctx_fail(struct mn_sysctx *ctx, long err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* --- the table ------------------------------------------------------------ */

static struct row *row_of(struct mn_syscalls *s, uint32_t nr)
{
	uint16_t i;

	if (nr >= MN_SYSCALL_NR_MAX)
		return NULL;
	i = atomic_load_explicit(&s->index[nr], memory_order_acquire);
	return i ? &s->rows[i - 1] : NULL;
}

/* A new binding, kept on s->bindings until destroy.  s->lock held. */
static struct binding *bind_new(struct mn_syscalls *s, mn_syscall_fn *fn,
				void *data)
{
	struct binding *b;

	if (!fn)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->fn = fn;
	b->data = data;
	b->next = s->bindings;
	s->bindings = b;
	return b;
}

static int desc_valid(const struct mn_syscall_desc *d)
{
	size_t i, len = d && d->name ? strlen(d->name) : 0;

	if (len == 0 || len >= MN_SYSCALL_NAME_MAX ||
	    d->nr >= MN_SYSCALL_NR_MAX)
		return 0;
	for (i = 0; i < MN_SYSCALL_ARGS; i++)
		if (d->args[i] >= MN_ARG__COUNT)
			return 0;
	return 1;
}

static int name_taken(struct mn_syscalls *s, const char *name)
{
	return mn_syscall_lookup(s, name) >= 0;
}

int mn_syscall_add(struct mn_syscalls *s, const struct mn_syscall_desc *desc)
{
	struct binding *b = NULL;
	struct row *r;
	size_t n, i;
	int ret = 0;

	if (!desc_valid(desc))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	n = atomic_load_explicit(&s->nrows, memory_order_relaxed);
	if (row_of(s, desc->nr) || name_taken(s, desc->name))
		ret = -EEXIST;
	else if (n >= MN_SYSCALL_ROWS_MAX)
		ret = -ENOSPC;
	if (ret < 0)
		goto out;
	r = &s->rows[n];
	memset(r, 0, sizeof(*r));
	r->nr = desc->nr;
	strcpy(r->name, desc->name);
	snprintf(r->provider, sizeof(r->provider), "%s",
		 desc->provider ? desc->provider : "");
	for (i = 0; i < MN_SYSCALL_ARGS && desc->args[i] != MN_ARG_NONE; i++)
		r->args[i] = desc->args[i];
	r->nargs = (uint8_t)i;
	if (desc->handler && !(b = bind_new(s, desc->handler, desc->data))) {
		ret = -ENOMEM;
		goto out;
	}
	atomic_init(&r->bind, b);
	/* Publish: the row's contents before the index entry that finds it. */
	atomic_store_explicit(&s->nrows, n + 1, memory_order_release);
	atomic_store_explicit(&s->index[desc->nr], (uint16_t)(n + 1),
			      memory_order_release);
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int mn_syscall_register(struct mn_syscalls *s, uint32_t nr,
			mn_syscall_fn *handler, void *data)
{
	struct row *r;
	struct binding *b = NULL;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	r = row_of(s, nr);
	if (!r)
		ret = -ENOENT;
	else if (handler && !(b = bind_new(s, handler, data)))
		ret = -ENOMEM;
	else
		atomic_store_explicit(&r->bind, b, memory_order_release);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int mn_syscalls_create(struct mn_syscalls **out)
{
	struct mn_syscalls *s = calloc(1, sizeof(*s));
	size_t i;
	int ret;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < sizeof(spec_rows) / sizeof(spec_rows[0]); i++) {
		ret = mn_syscall_add(s, &spec_rows[i]);
		if (ret < 0) {
			mn_syscalls_destroy(s);
			return ret;
		}
	}
	*out = s;
	return 0;
}

void mn_syscalls_destroy(struct mn_syscalls *s)
{
	struct binding *b, *next;

	if (!s)
		return;
	for (b = s->bindings; b; b = next) {
		next = b->next;
		free(b);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* --- dispatch ------------------------------------------------------------- */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long missing(const struct row *r, struct mn_sysctx *ctx)
{
	if (r->provider[0])
		return mn_sysctx_fail(ctx, -ENOSYS, "%s: %s is not loaded",
				      r->name, r->provider);
	return mn_sysctx_fail(ctx, -ENOSYS, "%s: not implemented", r->name);
}

long mn_syscall_dispatch(struct mn_syscalls *s, struct mn_sysctx *ctx,
			 uint32_t nr, const uint64_t args[6])
{
	static const uint64_t no_args[MN_SYSCALL_ARGS];
	static _Thread_local unsigned tick;
	struct row *r = row_of(s, nr);
	struct binding *b;
	uint64_t t0 = 0;
	int timed;
	long ret;

	ctx->msg[0] = '\0';
	if (!r) {
		atomic_fetch_add_explicit(&s->unknown, 1, memory_order_relaxed);
		return mn_sysctx_fail(ctx, -ENOSYS, "unknown syscall %" PRIu32,
				      nr);
	}
	b = atomic_load_explicit(&r->bind, memory_order_acquire);
	timed = (tick++ & ((1u << TIME_SAMPLE_SHIFT) - 1)) == 0;
	if (timed)
		t0 = now_ns();
	ret = b ? b->fn(ctx, args ? args : no_args, b->data) : missing(r, ctx);
	if (timed)
		atomic_fetch_add_explicit(&r->time_ns,
					  (now_ns() - t0) << TIME_SAMPLE_SHIFT,
					  memory_order_relaxed);
	atomic_fetch_add_explicit(&r->calls, 1, memory_order_relaxed);
	if (ret < 0)
		atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed);
	return ret;
}

/* --- queries -------------------------------------------------------------- */

int mn_syscall_lookup(struct mn_syscalls *s, const char *name)
{
	size_t i, n = atomic_load_explicit(&s->nrows, memory_order_acquire);

	if (!name)
		return -ENOENT;
	for (i = 0; i < n; i++)
		if (!strcmp(s->rows[i].name, name))
			return (int)s->rows[i].nr;
	return -ENOENT;
}

static void row_info(const struct row *r, struct mn_syscall_info *out)
{
	memset(out, 0, sizeof(*out));
	out->nr = r->nr;
	memcpy(out->name, r->name, sizeof(out->name));
	out->group = mn_sys_group_of(r->nr);
	out->nargs = r->nargs;
	memcpy(out->args, r->args, sizeof(out->args));
	out->wired = atomic_load_explicit(&r->bind, memory_order_acquire) !=
		     NULL;
	memcpy(out->provider, r->provider, sizeof(out->provider));
	out->calls = atomic_load_explicit(&r->calls, memory_order_relaxed);
	out->errors = atomic_load_explicit(&r->errors, memory_order_relaxed);
	out->time_ns = atomic_load_explicit(&r->time_ns, memory_order_relaxed);
}

int mn_syscall_info(struct mn_syscalls *s, uint32_t nr,
		    struct mn_syscall_info *out)
{
	struct row *r = row_of(s, nr);

	if (!r)
		return -ENOENT;
	row_info(r, out);
	return 0;
}

size_t mn_syscall_list(struct mn_syscalls *s, struct mn_syscall_info *out,
		       size_t max)
{
	size_t n = 0;
	uint32_t nr;

	/* The index is in number order; 8000 loads is cheap for a listing. */
	for (nr = 0; nr < MN_SYSCALL_NR_MAX; nr++) {
		struct row *r = row_of(s, nr);

		if (!r)
			continue;
		if (n < max)
			row_info(r, &out[n]);
		n++;
	}
	return n;
}

void mn_syscall_totals(struct mn_syscalls *s, struct mn_syscall_totals *out)
{
	size_t i, n = atomic_load_explicit(&s->nrows, memory_order_acquire);

	memset(out, 0, sizeof(*out));
	out->unknown = atomic_load_explicit(&s->unknown, memory_order_relaxed);
	out->calls = out->errors = out->unknown;
	for (i = 0; i < n; i++) {
		struct mn_syscall_info in;

		row_info(&s->rows[i], &in);
		out->calls += in.calls;
		out->errors += in.errors;
		out->time_ns += in.time_ns;
	}
}

void mn_syscall_stats_reset(struct mn_syscalls *s)
{
	size_t i, n = atomic_load_explicit(&s->nrows, memory_order_acquire);

	atomic_store_explicit(&s->unknown, 0, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		atomic_store_explicit(&s->rows[i].calls, 0,
				      memory_order_relaxed);
		atomic_store_explicit(&s->rows[i].errors, 0,
				      memory_order_relaxed);
		atomic_store_explicit(&s->rows[i].time_ns, 0,
				      memory_order_relaxed);
	}
}
