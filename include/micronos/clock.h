/*
 * clock - MicronOS time.
 *
 * MicronOS monotonic time is nanoseconds since the instance booted, read from
 * the host's CLOCK_MONOTONIC.  Wall-clock time is the host's, unless a test
 * or a deterministic instance sets an offset.  Every timestamp the core keeps
 * (events, process start times, timer deadlines) is MicronOS monotonic time.
 */
#ifndef MICRONOS_CLOCK_H
#define MICRONOS_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define MN_NSEC_PER_SEC 1000000000ULL
#define MN_NSEC_PER_MSEC 1000000ULL

/* Host CLOCK_MONOTONIC in nanoseconds. */
uint64_t mn_clock_host_mono_ns(void);
/* Host CLOCK_REALTIME in nanoseconds since the Unix epoch. */
uint64_t mn_clock_host_real_ns(void);

/*
 * A boot origin: MicronOS time 0.  Each kernel owns one; modules that stamp
 * times take a borrowed pointer to it.
 */
struct mn_clock {
	uint64_t boot_mono_ns;	/* host monotonic time at boot; set once */
	uint64_t boot_real_ns;	/* host wall time at boot; set once */
};

void mn_clock_init(struct mn_clock *c);
/* Nanoseconds since boot (0 for a NULL clock: host monotonic time). */
uint64_t mn_clock_now_ns(const struct mn_clock *c);

/*
 * Initialises a condition variable whose timed waits use CLOCK_MONOTONIC,
 * so deadlines survive changes of the wall clock.  0 or -errno.
 */
int mn_cond_init_monotonic(pthread_cond_t *c);
/*
 * The CLOCK_MONOTONIC time timeout_ms (>= 0) from now, for
 * pthread_cond_timedwait on such a condition variable.
 */
void mn_clock_deadline_ms(struct timespec *ts, int timeout_ms);

#endif
