/*
 * stats.c - the statistics service: named counters and gauges (see
 * include/micronos/stats.h).
 *
 * All entries live in one array allocated at create time and never moved,
 * which is what makes the pointers handed out by mn_stats_counter() stable
 * without reference counting.  A second array holds the entry indices
 * sorted by name: lookups are a binary search, and the table the shell
 * prints comes out sorted for free.  Registration is rare (once per name),
 * so inserting into the sorted index with a memmove is fine.
 *
 * The mutex guards the name table (count, names, order); the values are
 * atomics that hot paths update without it.
 */
#include <micronos/stats.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "texttable_i.h"

struct stat_entry {
	char name[MN_STATS_NAME_MAX + 1];	/* set once at registration */
	enum mn_stat_kind kind;			/* set once */
	_Atomic uint64_t counter;		/* lock-free */
	_Atomic int64_t gauge;			/* lock-free */
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
	if (!stats)
		return;
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
	if (e->kind == MN_STAT_COUNTER) {
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

void mn_stats_reset(struct mn_stats *stats)
{
	size_t i;

	pthread_mutex_lock(&stats->lock);
	for (i = 0; i < stats->n; i++)
		atomic_store_explicit(&stats->entries[i].counter, 0,
				      memory_order_relaxed);
	pthread_mutex_unlock(&stats->lock);
}

const char *mn_stat_kind_name(enum mn_stat_kind kind)
{
	return kind == MN_STAT_COUNTER ? "counter"
	       : kind == MN_STAT_GAUGE ? "gauge"
				       : "?";
}
