/*
 * memview - MicronOS's memory, one model read by every view of it:
 * /proc/meminfo (and so free, top, vmstat), /proc/vmstat, the shell's
 * memory and top, /sys/memory and the health check "memory".
 *
 * The model:
 *   - RAM: total is the memory MicronOS's programs may use: the host's
 *     RAM, or less when the daemon's cgroup sets memory.max.  Used is the
 *     resident memory of MicronOS's processes: every program the sandbox
 *     runs and init (the kernel: the daemon itself), exactly the sum of the
 *     RSS column of ps; free is total - used.  Kernel tasks and zombies
 *     hold none.
 *   - The address space: the region manager's space of memory.size bytes
 *     (mem.h), handed out by `memory alloc` and the memory syscalls and
 *     charged to processes (MemCharged in /proc/PID/status).  Nothing is
 *     mapped there, so it costs no RAM: /proc/meminfo shows it as
 *     VmallocTotal/VmallocUsed/VmallocChunk, as Linux shows the kernel's
 *     address space.
 *   - Limits: the cgroup's memory.max caps RAM (total); memory.size caps
 *     the address space; micronos-run -m caps one program's address space
 *     (its VmSize, RLIMIT_AS).
 */
#ifndef MICRONOS_MEMVIEW_H
#define MICRONOS_MEMVIEW_H

#include <stdint.h>

struct mn_kernel;

struct mn_memview {
	/* RAM, bytes */
	uint64_t total;		/* host RAM or the cgroup's memory.max */
	int limited;		/* 1: total is the cgroup's limit */
	uint64_t used;		/* sum of the processes' RSS */
	uint64_t free;		/* total - used, 0 at least */
	uint64_t anon, file;	/* used: private, and shared with files */
	uint32_t holders;	/* processes with resident memory */
	uint64_t faults, major_faults;	/* their page faults */
	/* the address space (mem.h), bytes */
	uint64_t space_total, space_used, space_largest_free;
};

/* Takes the model now.  0, or -ENODEV when k has no address space. */
int mn_memview_get(struct mn_kernel *k, struct mn_memview *out);

#endif
