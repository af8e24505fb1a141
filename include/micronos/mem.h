/*
 * mem - the MicronOS memory manager: a region allocator over MicronOS's own
 * address space.
 *
 * MicronOS has an address space of its own, [base, base + size), separate
 * from the host's: `memory alloc SIZE` hands out an address in it and
 * `memory free ADDR SIZE` gives it back.  Nothing is mapped at those
 * addresses; the allocator keeps its bookkeeping outside the space, so the
 * space may be much larger than the host memory it costs.
 *
 * Alignment and rounding (the contract):
 *   - a request below MN_MEM_PAGE bytes is rounded up to a multiple of
 *     MN_MEM_MIN_ALIGN (16) and aligned to 16 bytes;
 *   - a request of MN_MEM_PAGE (4096) bytes or more is rounded up to a whole
 *     number of pages and page-aligned, as mmap would;
 *   - a request of 0 bytes is -EINVAL.
 * Free takes the address returned by alloc and a size that rounds, by the
 * same rule, to the allocation's rounded size (so the size given to alloc is
 * always accepted).  Anything else is refused and nothing changes:
 *   - an address outside the space, inside an allocation but not at its
 *     start, or inside a free region (a double free): -EINVAL;
 *   - a size that does not match: -EINVAL;
 *   - a caller pid >= 0 that does not own the allocation: -EPERM.
 * Each refusal appends one clear line to `err` (if not NULL), for example
 * "free 0x10000040: size 32 does not match the allocation of 64 bytes".
 * Adjacent free regions always coalesce, so freeing everything leaves one
 * free region covering the whole space.
 *
 * Implementation: every region, free or allocated, is a node in an
 * address-ordered list that tiles the space (coalescing looks at two
 * neighbours, O(1)); free regions also sit in power-of-two size classes with
 * a bitmap of non-empty classes (alloc is a segregated fit); allocations sit
 * in a hash map by address (free is O(1)).  Per-owner byte counts sit in a
 * second hash map.
 *
 * Events: each alloc publishes MemoryAllocated and each free MemoryFreed
 * (source kernel, pid = owner) to the bus given at create, after the lock is
 * dropped.  mn_mem_release_pid() publishes one MemoryFreed for the lot.
 *
 * Locking: one mutex per allocator guards everything below; the bus is the
 * only module called, and only after the mutex is released.  All functions
 * are safe from any thread.
 */
#ifndef MICRONOS_MEM_H
#define MICRONOS_MEM_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_evbus;
struct mn_mem;

#define MN_MEM_DEFAULT_BASE 0x10000000ULL
#define MN_MEM_DEFAULT_SIZE (64ULL << 20)	/* 64 MiB */
#define MN_MEM_MIN_ALIGN 16ULL
#define MN_MEM_PAGE 4096ULL
/* Largest space accepted at create (1 TiB); base + size must not wrap. */
#define MN_MEM_MAX_SIZE (1ULL << 40)
/* Cap on live allocations: bookkeeping costs ~64 host bytes each. */
#define MN_MEM_MAX_ALLOCS (1U << 20)
/* Owner pid used for allocations of the kernel itself (and the shell). */
#define MN_MEM_KERNEL_PID 0
/* Pass as the caller pid of mn_mem_free() to skip the owner check. */
#define MN_MEM_ANY_PID (-1)

struct mn_meminfo {
	uint64_t base;		/* first address of the space */
	uint64_t total;		/* size of the space in bytes */
	uint64_t used;		/* bytes in live allocations (rounded sizes) */
	uint64_t free;		/* total - used */
	uint64_t largest_free;	/* largest free region in bytes */
	uint64_t peak_used;	/* high-water mark of used */
	uint64_t allocations;	/* live allocations */
	uint64_t free_regions;	/* number of free regions */
	uint64_t owners;	/* distinct pids holding memory */
	uint64_t alloc_calls;	/* successful allocs since create */
	uint64_t free_calls;	/* successful frees since create */
	uint64_t failed_calls;	/* refused allocs and frees since create */
	/* 1 - largest_free / free, in [0, 1]; 0 when nothing is free. */
	double fragmentation;
};

/* One region of the space, as listed by mn_mem_regions(). */
struct mn_mem_region {
	uint64_t addr;
	uint64_t size;		/* rounded size: what the region covers */
	uint64_t requested;	/* size asked for at alloc (0 for free) */
	int32_t pid;		/* owner; -1 for a free region */
	int used;		/* 1 allocation, 0 free region */
};

/* Memory held by one owner, as listed by mn_mem_owners(). */
struct mn_mem_owner {
	int32_t pid;
	uint64_t bytes;		/* rounded sizes */
	uint64_t allocations;
};

/*
 * Creates an allocator over [base, base + size).  base and size must be
 * multiples of MN_MEM_PAGE, size in [MN_MEM_PAGE, MN_MEM_MAX_SIZE], and the
 * range must not wrap: otherwise -EINVAL.  `bus` is borrowed and must
 * outlive the allocator; NULL publishes nothing.
 */
int mn_mem_create(struct mn_mem **out, uint64_t base, uint64_t size,
		  struct mn_evbus *bus);
/* Frees the bookkeeping (live allocations are simply forgotten); NULL ok. */
void mn_mem_destroy(struct mn_mem *mem);

/*
 * Allocates `size` bytes for `owner_pid` (>= 0; MN_MEM_KERNEL_PID for the
 * kernel) and writes the address to *addr_out.  Returns 0, -EINVAL (size 0,
 * larger than the space, negative pid), or -ENOMEM (no free region fits, or
 * MN_MEM_MAX_ALLOCS reached).  `err` may be NULL.
 */
int mn_mem_alloc(struct mn_mem *mem, uint64_t size, int32_t owner_pid,
		 uint64_t *addr_out, struct mn_strbuf *err);
/*
 * Frees the allocation at `addr` of `size` bytes (see the rules above).
 * `caller_pid` is the freeing process, checked against the owner, or
 * MN_MEM_ANY_PID for the kernel and the shell.  Returns 0 or -errno with a
 * line in `err` (may be NULL).
 */
int mn_mem_free(struct mn_mem *mem, uint64_t addr, uint64_t size,
		int32_t caller_pid, struct mn_strbuf *err);
/*
 * Frees every allocation owned by `pid` (process exit).  Returns how many
 * allocations were freed (0 if none); *bytes_out (may be NULL) receives the
 * bytes released.
 */
int64_t mn_mem_release_pid(struct mn_mem *mem, int32_t pid,
			   uint64_t *bytes_out);

/*
 * The rounded size alloc would reserve for a request: 0 for 0, UINT64_MAX
 * for a request above MN_MEM_MAX_SIZE (which no allocation can match).
 */
uint64_t mn_mem_round(uint64_t size);

void mn_mem_info(struct mn_mem *mem, struct mn_meminfo *out);
/* Bytes currently held by `pid` (0 if none). */
uint64_t mn_mem_used_by(struct mn_mem *mem, int32_t pid);
/*
 * Copies up to `max` owners, by ascending pid, into `out` (may be NULL when
 * max is 0).  Returns the total number of owners.
 */
size_t mn_mem_owners(struct mn_mem *mem, struct mn_mem_owner *out,
		     size_t max);
/*
 * Copies up to `max` regions, in address order, into `out`.  `used_only`
 * skips free regions.  Returns the total number of regions of that kind.
 */
size_t mn_mem_regions(struct mn_mem *mem, struct mn_mem_region *out,
		      size_t max, int used_only);

/*
 * The shell's `memory`: totals, fragmentation, largest free block, then an
 * aligned table of live allocations (at most `max_rows`; 0 for none) and the
 * per-owner summary.
 */
int mn_mem_format(struct mn_mem *mem, struct mn_strbuf *out, size_t max_rows);
/*
 * /proc/meminfo-style totals in Linux's format ("MemTotal:   65536 kB"):
 * MemTotal, MemFree, MemAvailable, Buffers, Cached, SwapCached, Active,
 * Inactive, SwapTotal, SwapFree, Shmem, Slab, SReclaimable, SUnreclaim;
 * the ones MicronOS does not have are 0.  Enough for procps' `free`.
 */
int mn_mem_format_meminfo(struct mn_mem *mem, struct mn_strbuf *out);

#endif
