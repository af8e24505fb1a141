/*
 * mem_i.h - private definitions of the region allocator, shared by mem.c
 * (regions) and mem_owner.c (per-owner accounting and text output).
 */
#ifndef MICRONOS_MEM_I_H
#define MICRONOS_MEM_I_H

#include <pthread.h>
#include <stdint.h>

#include <micronos/mem.h>

/* One region of the space, free or used.  Protected by mem->lock. */
struct node {
	uint64_t addr;
	uint64_t size;		/* rounded */
	uint64_t requested;	/* used: the size asked for */
	struct node *prev;	/* region list, address order */
	struct node *next;
	struct node *fprev;	/* free: its class list */
	struct node *fnext;
	struct node *hnext;	/* used: map chain; spare: pool list */
	int32_t pid;		/* used: owner */
	uint8_t used;
	uint8_t cls;		/* free: its class */
};

struct chunk {
	struct chunk *next;
	struct node nodes[];
};

/* Bytes held by one pid.  Protected by mem->lock. */
struct mn_mem_owner_rec {
	int32_t pid;
	uint64_t bytes;
	uint64_t allocations;
	struct mn_mem_owner_rec *next;
};

struct mn_mem {
	uint64_t base;			/* set at create, read-only */
	uint64_t size;			/* set at create, read-only */
	struct mn_evbus *bus;		/* borrowed, read-only */
	pthread_mutex_t lock;
	/* Everything below is protected by lock. */
	struct node *head;		/* region list */
	struct node *classes[64];	/* free lists by class */
	uint64_t class_bits;		/* bit c: classes[c] not empty */
	struct node **map;		/* used nodes by address */
	unsigned map_bits;
	struct chunk *chunks;		/* node pool */
	struct node *spare;
	struct mn_mem_owner_rec **owners;
	unsigned owner_bits;
	uint64_t owner_count;
	uint64_t used;
	uint64_t peak_used;
	uint64_t allocations;
	uint64_t free_regions;
	uint64_t alloc_calls;
	uint64_t free_calls;
	uint64_t failed_calls;
};

/* mem_owner.c; all with mem->lock held. */
int mn_mem_owners_init(struct mn_mem *mem);
void mn_mem_owners_fini(struct mn_mem *mem);
/* The record of pid; with create, made if missing (NULL if out of memory). */
struct mn_mem_owner_rec *mn_mem_owner_get(struct mn_mem *mem, int32_t pid,
					  int create);
/* Adjusts a record; one that drops to no allocations is removed. */
void mn_mem_owner_add(struct mn_mem *mem, struct mn_mem_owner_rec *o,
		      int64_t bytes, int64_t allocations);

/* mem.c */
uint64_t mn_mem_largest_free_locked(struct mn_mem *mem);
/* Frees what create allocated; for create's unwinding and destroy. */
void mn_mem_destroy_parts(struct mn_mem *mem);

#endif
