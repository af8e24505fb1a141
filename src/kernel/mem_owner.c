/*
 * mem_owner.c - who holds MicronOS memory, and the text views of it.
 *
 * Per-owner totals live in a chained hash by pid beside the allocator's
 * regions (mem.c); a record exists while its pid holds at least one
 * allocation, so the table is as small as the set of owners.  The shell's
 * `memory` and /proc/meminfo are formatted here from copies taken under the
 * lock, never while holding it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_i.h"
#include "texttable_i.h"

#define OWNER_MIN_BITS 6

static uint64_t pid_hash(int32_t pid, unsigned bits)
{
	return ((uint64_t)(uint32_t)pid * 0x9E3779B97F4A7C15ULL) >>
	       (64 - bits);
}

int mn_mem_owners_init(struct mn_mem *mem)
{
	mem->owner_bits = OWNER_MIN_BITS;
	mem->owners = calloc((size_t)1 << mem->owner_bits,
			     sizeof(*mem->owners));
	return mem->owners ? 0 : -ENOMEM;
}

void mn_mem_owners_fini(struct mn_mem *mem)
{
	size_t i, n = mem->owners ? (size_t)1 << mem->owner_bits : 0;

	for (i = 0; i < n; i++) {
		struct mn_mem_owner_rec *o = mem->owners[i], *next;

		for (; o; o = next) {
			next = o->next;
			free(o);
		}
	}
	free(mem->owners);
	mem->owners = NULL;
}

/* Doubles the table; on failure the old one stays (only chains lengthen). */
static void owners_grow(struct mn_mem *mem)
{
	unsigned bits = mem->owner_bits + 1;
	size_t i, n = (size_t)1 << mem->owner_bits;
	struct mn_mem_owner_rec **tab = calloc((size_t)1 << bits, sizeof(*tab));

	if (!tab)
		return;
	for (i = 0; i < n; i++) {
		struct mn_mem_owner_rec *o = mem->owners[i], *next;

		for (; o; o = next) {
			uint64_t h = pid_hash(o->pid, bits);

			next = o->next;
			o->next = tab[h];
			tab[h] = o;
		}
	}
	free(mem->owners);
	mem->owners = tab;
	mem->owner_bits = bits;
}

struct mn_mem_owner_rec *mn_mem_owner_get(struct mn_mem *mem, int32_t pid,
					  int create)
{
	struct mn_mem_owner_rec *o;
	uint64_t h = pid_hash(pid, mem->owner_bits);

	for (o = mem->owners[h]; o; o = o->next)
		if (o->pid == pid)
			return o;
	if (!create)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	if (mem->owner_count + 1 > ((uint64_t)1 << mem->owner_bits)) {
		owners_grow(mem);
		h = pid_hash(pid, mem->owner_bits);
	}
	o->pid = pid;
	o->next = mem->owners[h];
	mem->owners[h] = o;
	mem->owner_count++;
	return o;
}

void mn_mem_owner_add(struct mn_mem *mem, struct mn_mem_owner_rec *o,
		      int64_t bytes, int64_t allocations)
{
	struct mn_mem_owner_rec **pp;

	if (!o)
		return;
	o->bytes += (uint64_t)bytes;
	o->allocations += (uint64_t)allocations;
	if (o->allocations)
		return;
	pp = &mem->owners[pid_hash(o->pid, mem->owner_bits)];
	while (*pp != o)
		pp = &(*pp)->next;
	*pp = o->next;
	mem->owner_count--;
	free(o);
}

uint64_t mn_mem_used_by(struct mn_mem *mem, int32_t pid)
{
	struct mn_mem_owner_rec *o;
	uint64_t bytes;

	pthread_mutex_lock(&mem->lock);
	o = mn_mem_owner_get(mem, pid, 0);
	bytes = o ? o->bytes : 0;
	pthread_mutex_unlock(&mem->lock);
	return bytes;
}

static int owner_cmp(const void *a, const void *b)
{
	const struct mn_mem_owner *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Copies every owner, sorted by pid, into a new array (*n_out entries). */
static struct mn_mem_owner *owners_copy(struct mn_mem *mem, size_t *n_out)
{
	struct mn_mem_owner *all;
	size_t i, n = 0, buckets;

	pthread_mutex_lock(&mem->lock);
	buckets = (size_t)1 << mem->owner_bits;
	all = malloc((mem->owner_count + 1) * sizeof(*all));
	for (i = 0; all && i < buckets; i++) {
		struct mn_mem_owner_rec *o;

		for (o = mem->owners[i]; o; o = o->next) {
			all[n].pid = o->pid;
			all[n].bytes = o->bytes;
			all[n].allocations = o->allocations;
			n++;
		}
	}
	pthread_mutex_unlock(&mem->lock);
	if (all)
		qsort(all, n, sizeof(*all), owner_cmp);
	*n_out = n;
	return all;
}

size_t mn_mem_owners(struct mn_mem *mem, struct mn_mem_owner *out, size_t max)
{
	size_t n = 0;
	struct mn_mem_owner *all = owners_copy(mem, &n);

	if (!all)
		return 0;
	if (out && max)
		memcpy(out, all, (n < max ? n : max) * sizeof(*all));
	free(all);
	return n;
}

/* One row of the totals: name, bytes (right-aligned), a note. */
static void total_row(struct mn_texttable *t, const char *name, uint64_t v,
		      const char *note)
{
	mn_texttable_cell(t, "%s", name);
	mn_texttable_cell(t, "%" PRIu64, v);
	mn_texttable_cell(t, "%s", note);
}

static void format_totals(const struct mn_meminfo *mi, struct mn_strbuf *out)
{
	struct mn_texttable t;
	char a[32];

	mn_strbuf_printf(out, "MicronOS memory 0x%08" PRIx64 "-0x%08" PRIx64
			 "\n", mi->base, mi->base + mi->total);
	mn_texttable_init(&t, 3);	/* no header: the names say it */
	t.right = 1u << 1;		/* the values */
	total_row(&t, "total", mi->total,
		  mn_fmt_size(a, sizeof(a), mi->total));
	total_row(&t, "used", mi->used, mn_fmt_size(a, sizeof(a), mi->used));
	total_row(&t, "free", mi->free, mn_fmt_size(a, sizeof(a), mi->free));
	total_row(&t, "largest free", mi->largest_free,
		  mn_fmt_size(a, sizeof(a), mi->largest_free));
	mn_texttable_cell(&t, "fragmentation");
	mn_texttable_cell(&t, "%.1f%%", mi->fragmentation * 100.0);
	mn_texttable_cell(&t, "%s", "");
	total_row(&t, "allocations", mi->allocations, "");
	total_row(&t, "free regions", mi->free_regions, "");
	snprintf(a, sizeof(a), "(%" PRIu64 " allocs, %" PRIu64 " frees, %"
		 PRIu64 " refused)", mi->alloc_calls, mi->free_calls,
		 mi->failed_calls);
	total_row(&t, "peak used", mi->peak_used, a);
	mn_texttable_render(&t, out);
	mn_texttable_release(&t);
}

static void format_regions(struct mn_mem *mem, struct mn_strbuf *out,
			   size_t max_rows)
{
	struct mn_mem_region *r = malloc(max_rows * sizeof(*r));
	struct mn_texttable t;
	size_t i, n;

	if (!r)
		return;
	n = mn_mem_regions(mem, r, max_rows, 1);
	mn_texttable_init_header(&t, "ADDRESS|>SIZE|>REQUESTED|>PID");
	for (i = 0; i < n && i < max_rows; i++) {
		mn_texttable_cell(&t, "0x%016" PRIx64, r[i].addr);
		mn_texttable_cell(&t, "%" PRIu64, r[i].size);
		mn_texttable_cell(&t, "%" PRIu64, r[i].requested);
		mn_texttable_cell(&t, "%" PRId32, r[i].pid);
	}
	if (n) {
		mn_strbuf_puts(out, "\n");
		mn_texttable_render(&t, out);
	}
	mn_texttable_release(&t);
	if (n > max_rows)
		mn_strbuf_printf(out, "... %zu more\n", n - max_rows);
	free(r);
}

static void format_owners(struct mn_mem *mem, struct mn_strbuf *out)
{
	struct mn_mem_owner *own;
	struct mn_texttable t;
	size_t i, n = 0;

	own = owners_copy(mem, &n);
	if (!own || !n) {
		free(own);
		return;
	}
	mn_texttable_init_header(&t, ">PID|>ALLOCATIONS|>BYTES");
	for (i = 0; i < n; i++) {
		mn_texttable_cell(&t, "%" PRId32, own[i].pid);
		mn_texttable_cell(&t, "%" PRIu64, own[i].allocations);
		mn_texttable_cell(&t, "%" PRIu64, own[i].bytes);
	}
	mn_strbuf_puts(out, "\n");
	mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	free(own);
}

int mn_mem_format(struct mn_mem *mem, struct mn_strbuf *out, size_t max_rows)
{
	struct mn_meminfo mi;

	mn_mem_info(mem, &mi);
	format_totals(&mi, out);
	if (max_rows)
		format_regions(mem, out, max_rows);
	format_owners(mem, out);
	return mn_strbuf_error(out);
}

int mn_mem_format_meminfo(struct mn_mem *mem, struct mn_strbuf *out)
{
	struct mn_meminfo mi;
	const struct {
		const char *name;
		int field;	/* 0 zero, 1 total, 2 free, 3 used */
	} rows[] = {
		{"MemTotal:", 1},	{"MemFree:", 2},   {"MemAvailable:", 2},
		{"Buffers:", 0},	{"Cached:", 0},	   {"SwapCached:", 0},
		{"Active:", 3},		{"Inactive:", 0},  {"SwapTotal:", 0},
		{"SwapFree:", 0},	{"Shmem:", 0},	   {"Slab:", 0},
		{"SReclaimable:", 0},	{"SUnreclaim:", 0},
	};
	size_t i;

	mn_mem_info(mem, &mi);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = rows[i].field == 1 ? mi.total :
			     rows[i].field == 2 ? mi.free :
			     rows[i].field == 3 ? mi.used : 0;

		/* Linux's layout: name padded to 16, value to 8, in kB. */
		mn_strbuf_printf(out, "%-16s%8" PRIu64 " kB\n", rows[i].name,
				 v / 1024);
	}
	return mn_strbuf_error(out);
}
