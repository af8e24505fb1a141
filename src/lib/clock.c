/*
 * clock.c - MicronOS time from the host's monotonic and real clocks.
 */
#include <micronos/clock.h>

#include <time.h>

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * MN_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t mn_clock_host_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

uint64_t mn_clock_host_real_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

void mn_clock_init(struct mn_clock *c)
{
	c->boot_mono_ns = mn_clock_host_mono_ns();
	c->boot_real_ns = mn_clock_host_real_ns();
}

uint64_t mn_clock_now_ns(const struct mn_clock *c)
{
	uint64_t now = mn_clock_host_mono_ns();

	if (!c)
		return now;
	return now - c->boot_mono_ns;
}

int mn_cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int rc;

	if ((rc = pthread_condattr_init(&attr)) != 0)
		return -rc;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return -rc;
}

void mn_clock_deadline_ms(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
