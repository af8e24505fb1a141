/*
 * stats.c - the statistics service: named counters, gauges and histograms
 * (see include/micronos/stats.h).
 *
 * All entries live in one array allocated at create time and never moved,
 * which is what makes the pointers handed out by mn_stats_counter() stable
 * without reference counting.  A second array holds the entry indices
 * sorted by name: lookups are a binary search, and the table the shell
 * prints comes out sorted for free.  Registration is rare (once per name),
 * so inserting into the sorted index with a memmove is fine.
 *
 * A histogram's buckets are allocated at registration and freed only at
 * destroy, so their pointer is as stable as a counter's.
 *
 * The mutex guards the name table (count, names, order); the values are
 * atomics that hot paths update without it.
 */
#include <micronos/stats.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "texttable_i.h"

struct stat_entry {
	char name[MN_STATS_NAME_MAX + 1];	/* set once at registration */
	enum mn_stat_kind kind;			/* set once */
	_Atomic uint64_t counter;		/* lock-free */
	_Atomic int64_t gauge;			/* lock-free */
	struct mn_stat_hist *hist;		/* histograms; set once */
};

struct mn_stats {
	pthread_mutex_t lock;
	size_t max;			/* set once */
	struct stat_entry *entries;	/* max slots, never reallocated */
	/* protected by lock: */
	size_t n;			/* entries[0..n) are in use */
	uint32_t *order;		/* n indices into entries, by name */
};

int mn_stats_create(struct mn_stats **out, size_t max_entries)
{
	struct mn_stats *st;
	int err = -EINVAL;

	if (!max_entries)
		max_entries = MN_STATS_DEFAULT_MAX;
	if (!out || max_entries > MN_STATS_LIMIT)
		return err;
	err = -ENOMEM;
	if (!(st = calloc(1, sizeof(*st))))
		return err;
	if (!(st->entries = calloc(max_entries, sizeof(*st->entries))))
		goto unwind_st;
	if (!(st->order = calloc(max_entries, sizeof(*st->order))))
		goto unwind_entries;
	if ((err = -pthread_mutex_init(&st->lock, NULL)) < 0)
		goto unwind_order;
	st->max = max_entries;
	*out = st;
	return 0;
unwind_order:
	free(st->order);
unwind_entries:
	free(st->entries);
unwind_st:
	free(st);
	return err;
}

void mn_stats_destroy(struct mn_stats *stats)
{
	size_t i;

	if (!stats)
		return;
	for (i = 0; i < stats->n; i++)
		free(stats->entries[i].hist);
	pthread_mutex_destroy(&stats->lock);
	free(stats->order);
	free(stats->entries);
	free(stats);
}

static int check_name(const char *name)
{
	size_t i;

	if (!name || !*name)
		return -EINVAL;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= MN_STATS_NAME_MAX)
			return -ENAMETOOLONG;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return 0;
}

/*
 * Binary search.  Returns the entry or NULL; either way *pos (may be NULL)
 * is the entry's place in `order`, or where the name would go.  Writing it
 * on both paths also lets the compiler see it set (gcc -O2 warned).  Lock
 * held.
 */
static struct stat_entry *find(struct mn_stats *st, const char *name,
			       size_t *pos)
{
	struct stat_entry *found = NULL;
	size_t lo = 0, hi = st->n;

	while (lo < hi && !found) {
		size_t mid = lo + (hi - lo) / 2;
		struct stat_entry *e = &st->entries[st->order[mid]];
		int c = strcmp(name, e->name);

		if (c == 0) {
			found = e;
			lo = mid;
		} else if (c < 0) {
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	if (pos)
		*pos = lo;
	return found;
}

/* Finds or registers `name` as `kind`.  Lock held. */
static int lookup_or_add(struct mn_stats *st, const char *name,
			 enum mn_stat_kind kind, struct stat_entry **out)
{
	struct stat_entry *e;
	size_t pos;

	if ((e = find(st, name, &pos))) {
		if (e->kind != kind)
			return -EEXIST;
		*out = e;
		return 0;
	}
	if (st->n >= st->max)
		return -ENOSPC;
	e = &st->entries[st->n];
	if (kind == MN_STAT_HISTOGRAM &&
	    !(e->hist = calloc(1, sizeof(*e->hist))))
		return -ENOMEM;
	strcpy(e->name, name);	/* length checked by check_name */
	e->kind = kind;
	memmove(&st->order[pos + 1], &st->order[pos],
		(st->n - pos) * sizeof(*st->order));
	st->order[pos] = (uint32_t)st->n++;
	*out = e;
	return 0;
}

static int get_entry(struct mn_stats *st, const char *name,
		     enum mn_stat_kind kind, struct stat_entry **out)
{
	int err;

	if (!st)
		return -EINVAL;
	if ((err = check_name(name)) < 0)
		return err;
	pthread_mutex_lock(&st->lock);
	err = lookup_or_add(st, name, kind, out);
	pthread_mutex_unlock(&st->lock);
	return err;
}

int mn_stats_counter(struct mn_stats *stats, const char *name,
		     _Atomic uint64_t **out)
{
	struct stat_entry *e;
	int err = get_entry(stats, name, MN_STAT_COUNTER, &e);

	if (err == 0 && out)
		*out = &e->counter;
	return err;
}

int mn_stats_gauge(struct mn_stats *stats, const char *name,
		   _Atomic int64_t **out)
{
	struct stat_entry *e;
	int err = get_entry(stats, name, MN_STAT_GAUGE, &e);

	if (err == 0 && out)
		*out = &e->gauge;
	return err;
}

int mn_stats_histogram(struct mn_stats *stats, const char *name,
		       struct mn_stat_hist **out)
{
	struct stat_entry *e;
	int err = get_entry(stats, name, MN_STAT_HISTOGRAM, &e);

	if (err == 0 && out)
		*out = e->hist;
	return err;
}

int mn_stats_add(struct mn_stats *stats, const char *name, uint64_t delta)
{
	_Atomic uint64_t *c;
	int err = mn_stats_counter(stats, name, &c);

	if (err == 0)
		mn_stat_add(c, delta);
	return err;
}

int mn_stats_set(struct mn_stats *stats, const char *name, int64_t value)
{
	_Atomic int64_t *g;
	int err = mn_stats_gauge(stats, name, &g);

	if (err == 0)
		mn_gauge_set(g, value);
	return err;
}

/* Reads one entry into a value record. */
static void read_entry(const struct stat_entry *e, struct mn_stat_value *v)
{
	memcpy(v->name, e->name, sizeof(v->name));
	v->kind = e->kind;
	v->sum = 0;
	if (e->kind == MN_STAT_HISTOGRAM) {
		v->counter = atomic_load_explicit(&e->hist->count,
						  memory_order_relaxed);
		v->sum = atomic_load_explicit(&e->hist->sum,
					      memory_order_relaxed);
		v->value = v->counter > INT64_MAX ? INT64_MAX
						  : (int64_t)v->counter;
	} else if (e->kind == MN_STAT_COUNTER) {
		v->counter = atomic_load_explicit(&e->counter,
						  memory_order_relaxed);
		v->value = v->counter > INT64_MAX ? INT64_MAX
						  : (int64_t)v->counter;
	} else {
		v->counter = 0;
		v->value = atomic_load_explicit(&e->gauge,
						memory_order_relaxed);
	}
}

static int get_value(struct mn_stats *st, const char *name,
		     struct mn_stat_value *v)
{
	struct stat_entry *e;
	int err;

	if (!st)
		return -EINVAL;
	if ((err = check_name(name)) < 0)
		return err;
	pthread_mutex_lock(&st->lock);
	e = find(st, name, NULL);
	if (e)
		read_entry(e, v);
	pthread_mutex_unlock(&st->lock);
	return e ? 0 : -ENOENT;
}

int mn_stats_get(struct mn_stats *stats, const char *name, int64_t *out)
{
	struct mn_stat_value v;
	int err = get_value(stats, name, &v);

	if (err == 0)
		*out = v.value;
	return err;
}

int mn_stats_get_counter(struct mn_stats *stats, const char *name,
			 uint64_t *out)
{
	struct mn_stat_value v;
	int err = get_value(stats, name, &v);

	if (err == 0 && v.kind != MN_STAT_COUNTER)
		err = -EEXIST;
	if (err == 0)
		*out = v.counter;
	return err;
}

int mn_stats_get_histogram(struct mn_stats *stats, const char *name,
			   uint64_t buckets[MN_STATS_HIST_BUCKETS],
			   uint64_t *count, uint64_t *sum)
{
	struct stat_entry *e;
	int err, i;

	if (!stats)
		return -EINVAL;
	if ((err = check_name(name)) < 0)
		return err;
	pthread_mutex_lock(&stats->lock);
	e = find(stats, name, NULL);
	pthread_mutex_unlock(&stats->lock);
	if (!e)
		return -ENOENT;
	if (e->kind != MN_STAT_HISTOGRAM)
		return -EEXIST;
	/* an entry never moves nor changes kind once registered */
	for (i = 0; buckets && i < MN_STATS_HIST_BUCKETS; i++)
		buckets[i] = atomic_load_explicit(&e->hist->bucket[i],
						  memory_order_relaxed);
	if (count)
		*count = atomic_load_explicit(&e->hist->count,
					      memory_order_relaxed);
	if (sum)
		*sum = atomic_load_explicit(&e->hist->sum,
					    memory_order_relaxed);
	return 0;
}

size_t mn_stats_count(struct mn_stats *stats)
{
	size_t n;

	pthread_mutex_lock(&stats->lock);
	n = stats->n;
	pthread_mutex_unlock(&stats->lock);
	return n;
}

size_t mn_stats_snapshot(struct mn_stats *stats, const char *prefix,
			 struct mn_stat_value *out, size_t max)
{
	size_t plen = prefix ? strlen(prefix) : 0, i, n = 0;

	pthread_mutex_lock(&stats->lock);
	for (i = 0; i < stats->n && n < max; i++) {
		const struct stat_entry *e = &stats->entries[stats->order[i]];

		if (plen && strncmp(e->name, prefix, plen) != 0)
			continue;
		read_entry(e, &out[n++]);
	}
	pthread_mutex_unlock(&stats->lock);
	return n;
}

int mn_stats_format(struct mn_stats *stats, const char *prefix,
		    struct mn_strbuf *out)
{
	struct mn_stat_value *v;
	struct mn_texttable t;
	size_t n, i;
	int err;

	/* stats->max is set once: no lock needed to size the copy. */
	if (!(v = malloc(stats->max * sizeof(*v))))
		return -ENOMEM;
	n = mn_stats_snapshot(stats, prefix, v, stats->max);
	mn_texttable_init(&t, 3);	/* no header: name, kind, value */
	t.right = 1u << 2;
	for (i = 0; i < n; i++) {
		mn_texttable_cell(&t, "%s", v[i].name);
		if (v[i].kind == MN_STAT_COUNTER) {
			mn_texttable_cell(&t, "counter");
			mn_texttable_cell(&t, "%llu",
					  (unsigned long long)v[i].counter);
		} else if (v[i].kind == MN_STAT_HISTOGRAM) {
			/* count, then the sum and mean of what it counts */
			mn_texttable_cell(&t, "histogram");
			mn_texttable_cell(&t, "%llu (sum %llu, mean %llu)",
					  (unsigned long long)v[i].counter,
					  (unsigned long long)v[i].sum,
					  (unsigned long long)(v[i].counter ?
					  v[i].sum / v[i].counter : 0));
		} else {
			mn_texttable_cell(&t, "gauge");
			mn_texttable_cell(&t, "%lld", (long long)v[i].value);
		}
	}
	err = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	free(v);
	if (err == 0)
		err = mn_strbuf_error(out);
	return err < 0 ? err : (int)n;
}

/* A Prometheus metric name: micronos_ + name with '.' and '-' as '_'. */
static void prom_name(const char *name, char *buf, size_t size)
{
	size_t i;

	snprintf(buf, size, "micronos_%s", name);
	for (i = 0; buf[i]; i++)
		if (buf[i] == '.' || buf[i] == '-')
			buf[i] = '_';
}

static void prom_hist(struct mn_stats *stats, const struct mn_stat_value *v,
		      const char *pn, struct mn_strbuf *out)
{
	uint64_t b[MN_STATS_HIST_BUCKETS], count = 0, sum = 0, cum = 0;
	int i;

	if (mn_stats_get_histogram(stats, v->name, b, &count, &sum) < 0)
		return;
	for (i = 0; i < MN_STATS_HIST_BUCKETS - 1; i++) {
		cum += b[i];
		/* bucket i holds values up to 2^i - 1 */
		mn_strbuf_printf(out, "%s_bucket{le=\"%llu\"} %llu\n", pn,
				 (unsigned long long)((1ULL << i) - 1),
				 (unsigned long long)cum);
	}
	cum += b[MN_STATS_HIST_BUCKETS - 1];
	/* +Inf is the count: the buckets were read one by one */
	mn_strbuf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %llu\n"
			 "%s_count %llu\n", pn,
			 (unsigned long long)(cum > count ? cum : count), pn,
			 (unsigned long long)sum, pn,
			 (unsigned long long)(cum > count ? cum : count));
}

int mn_stats_format_prometheus(struct mn_stats *stats, const char *prefix,
			       struct mn_strbuf *out)
{
	struct mn_stat_value *v;
	char pn[MN_STATS_NAME_MAX + 16];
	size_t n, i;
	int err;

	if (!(v = malloc(stats->max * sizeof(*v))))
		return -ENOMEM;
	n = mn_stats_snapshot(stats, prefix, v, stats->max);
	for (i = 0; i < n; i++) {
		prom_name(v[i].name, pn, sizeof(pn));
		mn_strbuf_printf(out, "# TYPE %s %s\n", pn,
				 mn_stat_kind_name(v[i].kind));
		if (v[i].kind == MN_STAT_HISTOGRAM)
			prom_hist(stats, &v[i], pn, out);
		else if (v[i].kind == MN_STAT_COUNTER)
			mn_strbuf_printf(out, "%s %llu\n", pn,
					 (unsigned long long)v[i].counter);
		else
			mn_strbuf_printf(out, "%s %lld\n", pn,
					 (long long)v[i].value);
	}
	free(v);
	err = mn_strbuf_error(out);
	return err < 0 ? err : (int)n;
}

void mn_stats_reset(struct mn_stats *stats)
{
	size_t i;
	int b;

	pthread_mutex_lock(&stats->lock);
	for (i = 0; i < stats->n; i++) {
		struct mn_stat_hist *h = stats->entries[i].hist;

		atomic_store_explicit(&stats->entries[i].counter, 0,
				      memory_order_relaxed);
		for (b = 0; h && b < MN_STATS_HIST_BUCKETS; b++)
			atomic_store_explicit(&h->bucket[b], 0,
					      memory_order_relaxed);
		if (h) {
			atomic_store_explicit(&h->count, 0,
					      memory_order_relaxed);
			atomic_store_explicit(&h->sum, 0,
					      memory_order_relaxed);
		}
	}
	pthread_mutex_unlock(&stats->lock);
}

const char *mn_stat_kind_name(enum mn_stat_kind kind)
{
	return kind == MN_STAT_COUNTER ? "counter"
	       : kind == MN_STAT_GAUGE ? "gauge"
	       : kind == MN_STAT_HISTOGRAM ? "histogram"
				       : "?";
}
