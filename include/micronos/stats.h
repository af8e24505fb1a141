/*
 * stats - the MicronOS statistics service.
 *
 * Named counters and gauges that any module registers and updates: syscall
 * counts, bytes read, events published, processes running.  Names are
 * dotted paths ("syscalls.total", "vfs.read.bytes"); `stats` in the shell
 * shows them as a table sorted by name.
 *
 * Hot paths register once and keep the pointer: mn_stats_counter() returns
 * a pointer to an atomic that stays valid until the stats object is
 * destroyed, and mn_stat_inc()/mn_stat_add() update it without any lock.
 * The by-name calls (mn_stats_add, mn_stats_get) take the stats mutex and
 * are for code that counts rarely.
 *
 * A counter only goes up (until reset); a gauge holds a signed current value
 * (set or adjusted) and is not touched by reset, because it describes state
 * rather than history.  A histogram counts observations (latencies in ns,
 * sizes in bytes) in power-of-two buckets, with their count and sum; like a
 * counter it is history, cleared by reset.
 *
 * Locking: one mutex, a leaf lock, guards the name table; the values are
 * atomics and are updated without it.
 */
#ifndef MICRONOS_STATS_H
#define MICRONOS_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_stats;

/* Longest name, in bytes without the NUL. */
#define MN_STATS_NAME_MAX 63
#define MN_STATS_DEFAULT_MAX 1024
#define MN_STATS_LIMIT 65536

enum mn_stat_kind {
	MN_STAT_COUNTER,
	MN_STAT_GAUGE,
	MN_STAT_HISTOGRAM
};

/*
 * Histogram buckets: bucket 0 counts observations of 0, bucket i (1..38)
 * those in [2^(i-1), 2^i), the last one everything from 2^38 up (about 275
 * s in ns).  So the upper bound of bucket i < last is 2^i - 1 (inclusive),
 * which is what Prometheus's "le" of that bucket says.
 */
#define MN_STATS_HIST_BUCKETS 40

/* A histogram's live values: update only through mn_stat_observe(). */
struct mn_stat_hist {
	_Atomic uint64_t count;
	_Atomic uint64_t sum;
	_Atomic uint64_t bucket[MN_STATS_HIST_BUCKETS];
};

/* One value, as copied by mn_stats_snapshot(). */
struct mn_stat_value {
	char name[MN_STATS_NAME_MAX + 1];
	enum mn_stat_kind kind;
	int64_t value;		/* a counter past INT64_MAX reads INT64_MAX;
				   a histogram: its count, likewise */
	uint64_t counter;	/* the unsigned value of a counter, the count
				   of a histogram, else 0 */
	uint64_t sum;		/* a histogram's sum of observations, else 0 */
};

/*
 * Creates an empty table for up to `max_entries` names (0: default; at most
 * MN_STATS_LIMIT, else -EINVAL).
 */
int mn_stats_create(struct mn_stats **out, size_t max_entries);
/* Frees every value: pointers handed out become invalid.  Accepts NULL. */
void mn_stats_destroy(struct mn_stats *stats);

/*
 * Registers a counter (or finds the existing one) and, if `out` is not NULL,
 * stores a pointer to its value, owned by `stats` and valid until destroy.
 * Names: 1..MN_STATS_NAME_MAX bytes of [A-Za-z0-9._-].  Errors: -EINVAL
 * empty name or a character outside that set, -ENAMETOOLONG, -EEXIST the
 * name is a gauge, -ENOSPC the table is full.
 */
int mn_stats_counter(struct mn_stats *stats, const char *name,
		     _Atomic uint64_t **out);
/* Same for a gauge; -EEXIST if the name is a counter. */
int mn_stats_gauge(struct mn_stats *stats, const char *name,
		   _Atomic int64_t **out);

/*
 * Same for a histogram (-EEXIST if the name is a counter or gauge).  The
 * pointer stays valid until destroy, like a counter's.
 */
int mn_stats_histogram(struct mn_stats *stats, const char *name,
		       struct mn_stat_hist **out);

/* The bucket index of an observation v (see MN_STATS_HIST_BUCKETS). */
static inline unsigned mn_stat_hist_bucket(uint64_t v)
{
	unsigned b = v ? 64 - (unsigned)__builtin_clzll(v) : 0;

	return b < MN_STATS_HIST_BUCKETS ? b : MN_STATS_HIST_BUCKETS - 1;
}

/* Records one observation, lock-free. */
static inline void mn_stat_observe(struct mn_stat_hist *h, uint64_t v)
{
	atomic_fetch_add_explicit(&h->bucket[mn_stat_hist_bucket(v)], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

/*
 * Copies a histogram's buckets (not cumulative) into buckets[], and its
 * count and sum (either may be NULL).  -ENOENT, -EEXIST (not a histogram),
 * -EINVAL as for mn_stats_get.
 */
int mn_stats_get_histogram(struct mn_stats *stats, const char *name,
			   uint64_t buckets[MN_STATS_HIST_BUCKETS],
			   uint64_t *count, uint64_t *sum);

/* Lock-free updates through a registered pointer. */
static inline void mn_stat_inc(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static inline void mn_stat_add(_Atomic uint64_t *c, uint64_t delta)
{
	atomic_fetch_add_explicit(c, delta, memory_order_relaxed);
}

static inline void mn_gauge_set(_Atomic int64_t *g, int64_t v)
{
	atomic_store_explicit(g, v, memory_order_relaxed);
}

static inline void mn_gauge_add(_Atomic int64_t *g, int64_t delta)
{
	atomic_fetch_add_explicit(g, delta, memory_order_relaxed);
}

/*
 * By-name conveniences (take the stats mutex).  mn_stats_add registers the
 * counter on first use; mn_stats_set registers the gauge.  Same errors as
 * mn_stats_counter/mn_stats_gauge.
 */
int mn_stats_add(struct mn_stats *stats, const char *name, uint64_t delta);
int mn_stats_set(struct mn_stats *stats, const char *name, int64_t value);

/*
 * Reads a value by name: counters as unsigned (get_counter) and gauges as
 * signed (get).  mn_stats_get also reads a counter (saturating at
 * INT64_MAX).  -ENOENT unknown name, -EINVAL/-ENAMETOOLONG bad name,
 * -EEXIST for mn_stats_get_counter on a gauge.
 */
int mn_stats_get(struct mn_stats *stats, const char *name, int64_t *out);
int mn_stats_get_counter(struct mn_stats *stats, const char *name,
			 uint64_t *out);

/* Number of registered names. */
size_t mn_stats_count(struct mn_stats *stats);

/*
 * Copies up to `max` values sorted by name; `prefix` (NULL or "": all)
 * keeps only names starting with it.  Returns how many were copied.
 */
size_t mn_stats_snapshot(struct mn_stats *stats, const char *prefix,
			 struct mn_stat_value *out, size_t max);

/*
 * Appends an aligned table sorted by name, one line per value:
 *   "syscalls.total      counter        1234\n"
 * a histogram's line gives its count, then "sum S mean M".
 * `prefix` as for mn_stats_snapshot.  Returns the number of rows, or
 * -ENOMEM.
 */
int mn_stats_format(struct mn_stats *stats, const char *prefix,
		    struct mn_strbuf *out);

/*
 * Appends every value in Prometheus's text exposition format (version
 * 0.0.4): names get the prefix "micronos_" and '.' and '-' become '_'; a
 * "# TYPE" line before each; a histogram as NAME_bucket{le="..."}
 * (cumulative, last le="+Inf"), NAME_sum and NAME_count.  Returns the
 * number of values, or -ENOMEM.
 */
int mn_stats_format_prometheus(struct mn_stats *stats, const char *prefix,
			       struct mn_strbuf *out);

/* Sets every counter and histogram to 0; gauges keep their values. */
void mn_stats_reset(struct mn_stats *stats);

const char *mn_stat_kind_name(enum mn_stat_kind kind);

#endif
