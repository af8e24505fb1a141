/*
 * mem.c - the region allocator behind `memory alloc`, `memory free` and
 * /proc/meminfo.
 *
 * MicronOS's address space is bookkeeping only: nothing is mapped there, so
 * region headers cannot live inside the regions as in malloc.  Instead each
 * region is a `struct node` kept outside the space, and three structures
 * index the nodes:
 *
 *   - the region list: every node, free or used, in address order.  The
 *     nodes tile the space without gaps, so a region's neighbours are its
 *     list neighbours and coalescing on free is O(1);
 *   - the free classes: free nodes in doubly linked lists by power-of-two
 *     size class (class k holds sizes in [2^k, 2^(k+1))), with a bitmap of
 *     the classes that are not empty.  Alloc looks in the request's own class
 *     first (a few entries, first fit), then takes the head of the next
 *     non-empty class, which always fits (see find_fit);
 *   - the allocation map: used nodes in a chained hash by start address, so
 *     free finds its node in O(1).
 *
 * Nodes come from a pool allocated in chunks, so a steady alloc/free loop
 * does not call malloc.  Per-owner totals live in a second small hash.
 *
 * Lock order: mem->lock, then (after releasing it) the event bus.
 */
#include <micronos/mem.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/evbus.h>

#include "mem_i.h"

#define NODES_PER_CHUNK 512
#define MAP_MIN_BITS 10
#define OWNER_MIN_BITS 6
/* Entries of the request's own class tried before a bigger class. */
#define OWN_CLASS_PROBES 16

/* Appends one error line to err, which may be NULL. */

static unsigned class_of(uint64_t size)
{
	return 63u - (unsigned)__builtin_clzll(size);
}

static uint64_t hash64(uint64_t v, unsigned bits)
{
	return (v * 0x9E3779B97F4A7C15ULL) >> (64 - bits);
}

uint64_t mn_mem_round(uint64_t size)
{
	if (size == 0)
		return 0;
	if (size > MN_MEM_MAX_SIZE)
		return UINT64_MAX;
	if (size >= MN_MEM_PAGE)
		return (size + MN_MEM_PAGE - 1) & ~(MN_MEM_PAGE - 1);
	return (size + MN_MEM_MIN_ALIGN - 1) & ~(MN_MEM_MIN_ALIGN - 1);
}

static uint64_t align_of(uint64_t rounded)
{
	return rounded >= MN_MEM_PAGE ? MN_MEM_PAGE : MN_MEM_MIN_ALIGN;
}

/* --- node pool ------------------------------------------------------------ */

static struct node *node_get(struct mn_mem *mem)
{
	struct node *n;

	if (!mem->spare) {
		struct chunk *c = malloc(sizeof(*c) +
					 NODES_PER_CHUNK * sizeof(struct node));
		size_t i;

		if (!c)
			return NULL;
		c->next = mem->chunks;
		mem->chunks = c;
		for (i = 0; i < NODES_PER_CHUNK; i++) {
			c->nodes[i].hnext = mem->spare;
			mem->spare = &c->nodes[i];
		}
	}
	n = mem->spare;
	mem->spare = n->hnext;
	memset(n, 0, sizeof(*n));
	return n;
}

static void node_put(struct mn_mem *mem, struct node *n)
{
	n->hnext = mem->spare;
	mem->spare = n;
}

/* --- region list and free classes ---------------------------------------- */

static void list_insert_after(struct node *pos, struct node *n)
{
	n->prev = pos;
	n->next = pos->next;
	if (pos->next)
		pos->next->prev = n;
	pos->next = n;
}

static void list_unlink(struct mn_mem *mem, struct node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		mem->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
}

static void free_insert(struct mn_mem *mem, struct node *n)
{
	unsigned c = class_of(n->size);

	n->used = 0;
	n->cls = (uint8_t)c;
	n->fprev = NULL;
	n->fnext = mem->classes[c];
	if (n->fnext)
		n->fnext->fprev = n;
	mem->classes[c] = n;
	mem->class_bits |= 1ULL << c;
	mem->free_regions++;
}

static void free_remove(struct mn_mem *mem, struct node *n)
{
	unsigned c = n->cls;

	if (n->fprev)
		n->fprev->fnext = n->fnext;
	else
		mem->classes[c] = n->fnext;
	if (n->fnext)
		n->fnext->fprev = n->fprev;
	if (!mem->classes[c])
		mem->class_bits &= ~(1ULL << c);
	mem->free_regions--;
}

/* --- allocation map ------------------------------------------------------- */

static int map_grow(struct mn_mem *mem)
{
	unsigned bits = mem->map_bits + 1;
	size_t i, n = (size_t)1 << mem->map_bits;
	struct node **tab = calloc((size_t)1 << bits, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct node *e = mem->map[i], *next;

		for (; e; e = next) {
			uint64_t h = hash64(e->addr, bits);

			next = e->hnext;
			e->hnext = tab[h];
			tab[h] = e;
		}
	}
	free(mem->map);
	mem->map = tab;
	mem->map_bits = bits;
	return 0;
}

static void map_insert(struct mn_mem *mem, struct node *n)
{
	uint64_t h = hash64(n->addr, mem->map_bits);

	n->hnext = mem->map[h];
	mem->map[h] = n;
}

static struct node *map_find(struct mn_mem *mem, uint64_t addr)
{
	struct node *e = mem->map[hash64(addr, mem->map_bits)];

	while (e && e->addr != addr)
		e = e->hnext;
	return e;
}

static void map_remove(struct mn_mem *mem, struct node *n)
{
	struct node **pp = &mem->map[hash64(n->addr, mem->map_bits)];

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
}

/* --- construction --------------------------------------------------------- */

int mn_mem_create(struct mn_mem **out, uint64_t base, uint64_t size,
		  struct mn_evbus *bus)
{
	struct mn_mem *mem;
	struct node *all;
	int err = -EINVAL;

	if (!out || size < MN_MEM_PAGE || size > MN_MEM_MAX_SIZE ||
	    base % MN_MEM_PAGE || size % MN_MEM_PAGE || base + size < base)
		return err;
	err = -ENOMEM;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return err;
	mem->base = base;
	mem->size = size;
	mem->bus = bus;
	mem->map_bits = MAP_MIN_BITS;
	mem->map = calloc((size_t)1 << mem->map_bits, sizeof(*mem->map));
	if (!mem->map || mn_mem_owners_init(mem) < 0)
		goto fail;
	all = node_get(mem);
	if (!all)
		goto fail;
	all->addr = base;
	all->size = size;
	mem->head = all;
	free_insert(mem, all);
	pthread_mutex_init(&mem->lock, NULL);
	*out = mem;
	return 0;
fail:
	mn_mem_destroy_parts(mem);
	return err;
}

void mn_mem_destroy_parts(struct mn_mem *mem)
{
	struct chunk *c, *next;

	for (c = mem->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	mn_mem_owners_fini(mem);
	free(mem->map);
	free(mem);
}

void mn_mem_destroy(struct mn_mem *mem)
{
	if (!mem)
		return;
	pthread_mutex_destroy(&mem->lock);
	mn_mem_destroy_parts(mem);
}

/* --- alloc ---------------------------------------------------------------- */

static int fits(const struct node *n, uint64_t need, uint64_t align)
{
	uint64_t a = (n->addr + align - 1) & ~(align - 1);

	return a + need <= n->addr + n->size;
}

/*
 * Segregated fit.  A node of a class above the request's is at least
 * 2^(c+1) > need bytes; for a page request (need a multiple of 4096) the gap
 * to 2^(c+1) is at least one page, which covers the worst alignment pad of
 * 4080 bytes, so the head of any bigger class fits.  Only the request's own
 * class needs a search; it is probed a little first, to keep big blocks
 * whole, and searched fully only when nothing bigger is free.
 */
static struct node *find_fit(struct mn_mem *mem, uint64_t need, uint64_t align)
{
	unsigned c = class_of(need);
	struct node *n = mem->classes[c];
	uint64_t above;
	int probes = OWN_CLASS_PROBES;

	for (; n && probes > 0; n = n->fnext, probes--)
		if (fits(n, need, align))
			return n;
	above = c >= 63 ? 0 : mem->class_bits & ~((2ULL << c) - 1);
	if (above) {
		struct node *h = mem->classes[__builtin_ctzll(above)];

		if (fits(h, need, align))
			return h;
	}
	for (; n; n = n->fnext)
		if (fits(n, need, align))
			return n;
	return NULL;
}

/* Splits free node f around [a, a + need) and returns the used node. */
static struct node *carve(struct mn_mem *mem, struct node *f, uint64_t need,
			  uint64_t align, struct node *spare[2])
{
	uint64_t a = (f->addr + align - 1) & ~(align - 1);
	uint64_t end = f->addr + f->size;
	struct node *u = f;

	free_remove(mem, f);
	if (a > f->addr) {
		u = spare[0];
		spare[0] = NULL;
		u->addr = a;
		f->size = a - f->addr;
		list_insert_after(f, u);
		free_insert(mem, f);
	}
	u->size = need;
	if (a + need < end) {
		struct node *t = spare[1];

		spare[1] = NULL;
		t->addr = a + need;
		t->size = end - t->addr;
		list_insert_after(u, t);
		free_insert(mem, t);
	}
	u->used = 1;
	return u;
}

static int alloc_locked(struct mn_mem *mem, uint64_t size, int32_t pid,
			uint64_t *addr_out, struct mn_strbuf *err)
{
	uint64_t need = mn_mem_round(size), align = align_of(need);
	struct node *spare[2] = {NULL, NULL}, *f, *u;
	struct mn_mem_owner_rec *o;
	int ret = -ENOMEM;

	if (mem->allocations >= MN_MEM_MAX_ALLOCS) {
		mn_strbuf_errf(err,
			       "alloc %" PRIu64 ": too many allocations "
			       "(limit %u)\n",
			       size, MN_MEM_MAX_ALLOCS);
		return ret;
	}
	f = find_fit(mem, need, align);
	if (!f) {
		mn_strbuf_errf(err,
			       "alloc %" PRIu64 ": out of memory (%" PRIu64
			       " bytes free, largest block %" PRIu64 ")\n",
			       size, mem->size - mem->used,
			       mn_mem_largest_free_locked(mem));
		return ret;
	}
	if (mem->allocations + 1 > ((uint64_t)1 << mem->map_bits) &&
	    map_grow(mem) < 0)
		goto nomem;
	spare[0] = node_get(mem);
	spare[1] = node_get(mem);
	if (!spare[0] || !spare[1])
		goto nomem;
	/* Last step that can fail: an owner record is never left empty. */
	o = mn_mem_owner_get(mem, pid, 1);
	if (!o)
		goto nomem;
	u = carve(mem, f, need, align, spare);
	u->requested = size;
	u->pid = pid;
	map_insert(mem, u);
	mn_mem_owner_add(mem, o, (int64_t)need, 1);
	mem->allocations++;
	mem->used += need;
	if (mem->used > mem->peak_used)
		mem->peak_used = mem->used;
	*addr_out = u->addr;
	ret = 0;
	goto out;
nomem:
	mn_strbuf_errf(err, "alloc %" PRIu64 ": host out of memory\n", size);
out:
	if (spare[0])
		node_put(mem, spare[0]);
	if (spare[1])
		node_put(mem, spare[1]);
	return ret;
}

int mn_mem_alloc(struct mn_mem *mem, uint64_t size, int32_t owner_pid,
		 uint64_t *addr_out, struct mn_strbuf *err)
{
	uint64_t addr = 0;
	int ret;

	if (size == 0 || size > mem->size || owner_pid < 0 || !addr_out) {
		mn_strbuf_errf(err, "alloc %" PRIu64 ": %s\n", size,
			       owner_pid < 0 ? "bad owner pid"
			       : size	     ? "larger than MicronOS memory"
					     : "size must be at least 1 byte");
		pthread_mutex_lock(&mem->lock);
		mem->failed_calls++;
		pthread_mutex_unlock(&mem->lock);
		return -EINVAL;
	}
	pthread_mutex_lock(&mem->lock);
	ret = alloc_locked(mem, size, owner_pid, &addr, err);
	if (ret < 0)
		mem->failed_calls++;
	else
		mem->alloc_calls++;
	pthread_mutex_unlock(&mem->lock);
	if (ret < 0)
		return ret;
	*addr_out = addr;
	if (mem->bus)
		mn_evbus_publish(mem->bus, MN_EV_MEMORY_ALLOCATED,
				 MN_SRC_KERNEL, owner_pid,
				 "alloc %" PRIu64 " bytes at 0x%" PRIx64,
				 mn_mem_round(size), addr);
	return 0;
}

/* --- free ----------------------------------------------------------------- */

/* Frees used node u; returns the free node it ended up in. */
static struct node *release_node(struct mn_mem *mem, struct node *u)
{
	struct node *p = u->prev, *n = u->next;

	map_remove(mem, u);
	mn_mem_owner_add(mem, mn_mem_owner_get(mem, u->pid, 0),
			 -(int64_t)u->size, -1);
	mem->allocations--;
	mem->used -= u->size;
	u->used = 0;
	u->requested = 0;
	if (p && !p->used) {
		free_remove(mem, p);
		p->size += u->size;
		list_unlink(mem, u);
		node_put(mem, u);
		u = p;
	}
	if (n && !n->used) {
		free_remove(mem, n);
		u->size += n->size;
		list_unlink(mem, n);
		node_put(mem, n);
	}
	free_insert(mem, u);
	return u;
}

/* Explains why addr is not an allocation start (error path: a list walk). */
static void explain_bad_addr(struct mn_mem *mem, uint64_t addr,
			     struct mn_strbuf *err)
{
	struct node *n;

	if (addr < mem->base || addr - mem->base >= mem->size) {
		mn_strbuf_errf(err,
			       "free 0x%" PRIx64 ": outside MicronOS "
			       "memory 0x%" PRIx64 "-0x%" PRIx64 "\n",
			       addr, mem->base, mem->base + mem->size);
		return;
	}
	for (n = mem->head; n; n = n->next)
		if (addr < n->addr + n->size)
			break;
	if (n && n->used)
		mn_strbuf_errf(err,
			       "free 0x%" PRIx64 ": inside the "
			       "allocation at 0x%" PRIx64 " (%" PRIu64
			       " bytes); free its start address\n",
			       addr, n->addr, n->size);
	else
		mn_strbuf_errf(err,
			       "free 0x%" PRIx64 ": not allocated "
			       "(double free?)\n",
			       addr);
}

static int free_locked(struct mn_mem *mem, uint64_t addr, uint64_t size,
		       int32_t caller, int32_t *owner, struct mn_strbuf *err)
{
	struct node *u = map_find(mem, addr);

	if (!u) {
		explain_bad_addr(mem, addr, err);
		return -EINVAL;
	}
	if (mn_mem_round(size) != u->size) {
		mn_strbuf_errf(err,
			       "free 0x%" PRIx64 ": size %" PRIu64
			       " does not match the allocation of %" PRIu64
			       " bytes\n",
			       addr, size, u->requested);
		return -EINVAL;
	}
	if (caller >= 0 && caller != u->pid) {
		mn_strbuf_errf(err,
			       "free 0x%" PRIx64 ": owned by pid %" PRId32
			       ", not by pid %" PRId32 "\n",
			       addr, u->pid, caller);
		return -EPERM;
	}
	*owner = u->pid;
	release_node(mem, u);
	return 0;
}

int mn_mem_free(struct mn_mem *mem, uint64_t addr, uint64_t size,
		int32_t caller_pid, struct mn_strbuf *err)
{
	int32_t owner = 0;
	int ret;

	pthread_mutex_lock(&mem->lock);
	ret = free_locked(mem, addr, size, caller_pid, &owner, err);
	if (ret < 0)
		mem->failed_calls++;
	else
		mem->free_calls++;
	pthread_mutex_unlock(&mem->lock);
	if (ret == 0 && mem->bus)
		mn_evbus_publish(mem->bus, MN_EV_MEMORY_FREED, MN_SRC_KERNEL,
				 owner, "free %" PRIu64 " bytes at 0x%" PRIx64,
				 mn_mem_round(size), addr);
	return ret;
}

int64_t mn_mem_release_pid(struct mn_mem *mem, int32_t pid,
			   uint64_t *bytes_out)
{
	int64_t count = 0;
	uint64_t bytes = 0;
	struct node *n;

	pthread_mutex_lock(&mem->lock);
	if (mn_mem_owner_get(mem, pid, 0)) {
		for (n = mem->head; n; n = n->next) {
			if (!n->used || n->pid != pid)
				continue;
			bytes += n->size;
			count++;
			n = release_node(mem, n);
		}
		mem->free_calls += (uint64_t)count;
	}
	pthread_mutex_unlock(&mem->lock);
	if (bytes_out)
		*bytes_out = bytes;
	if (count && mem->bus)
		mn_evbus_publish(mem->bus, MN_EV_MEMORY_FREED, MN_SRC_KERNEL,
				 pid, "released %" PRId64 " allocations (%"
				 PRIu64 " bytes) of pid %" PRId32, count,
				 bytes, pid);
	return count;
}

/* --- queries -------------------------------------------------------------- */

uint64_t mn_mem_largest_free_locked(struct mn_mem *mem)
{
	uint64_t best = 0;
	struct node *n;

	if (!mem->class_bits)
		return 0;
	n = mem->classes[63 - __builtin_clzll(mem->class_bits)];
	for (; n; n = n->fnext)
		if (n->size > best)
			best = n->size;
	return best;
}

void mn_mem_info(struct mn_mem *mem, struct mn_meminfo *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&mem->lock);
	out->base = mem->base;
	out->total = mem->size;
	out->used = mem->used;
	out->free = mem->size - mem->used;
	out->largest_free = mn_mem_largest_free_locked(mem);
	out->peak_used = mem->peak_used;
	out->allocations = mem->allocations;
	out->free_regions = mem->free_regions;
	out->owners = mem->owner_count;
	out->alloc_calls = mem->alloc_calls;
	out->free_calls = mem->free_calls;
	out->failed_calls = mem->failed_calls;
	pthread_mutex_unlock(&mem->lock);
	if (out->free)
		out->fragmentation = 1.0 - (double)out->largest_free /
					   (double)out->free;
}

size_t mn_mem_regions(struct mn_mem *mem, struct mn_mem_region *out,
		      size_t max, int used_only)
{
	size_t total = 0;
	struct node *n;

	pthread_mutex_lock(&mem->lock);
	for (n = mem->head; n; n = n->next) {
		if (used_only && !n->used)
			continue;
		if (total < max) {
			out[total].addr = n->addr;
			out[total].size = n->size;
			out[total].requested = n->requested;
			out[total].pid = n->used ? n->pid : -1;
			out[total].used = n->used;
		}
		total++;
	}
	pthread_mutex_unlock(&mem->lock);
	return total;
}
