/*
 * test_clock - MicronOS time: the monotonic deadline every timed wait of
 * the core computes (ipc receive, event stream reads, wait, scheduler
 * idle) and the condition variables those waits use.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <micronos/clock.h>

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void deadline_is_timeout_ahead(void **state)
{
	static const int timeouts[] = {0, 1, 999, 1000, 1500, 86400000};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		struct timespec before, dl, after;
		int64_t ms = timeouts[i];

		clock_gettime(CLOCK_MONOTONIC, &before);
		mn_clock_deadline_ms(&dl, timeouts[i]);
		clock_gettime(CLOCK_MONOTONIC, &after);
		assert_true(dl.tv_nsec >= 0 && dl.tv_nsec < 1000000000L);
		assert_true(ns_of(&dl) >= ns_of(&before) + ms * 1000000LL);
		assert_true(ns_of(&dl) <= ns_of(&after) + ms * 1000000LL);
	}
}

/* A timed wait on a monotonic condition variable ends at the deadline. */
static void timed_wait_ends_at_deadline(void **state)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec dl, now;
	pthread_cond_t c;
	int rc;

	(void)state;
	assert_int_equal(mn_cond_init_monotonic(&c), 0);
	mn_clock_deadline_ms(&dl, 50);
	pthread_mutex_lock(&m);
	do
		rc = pthread_cond_timedwait(&c, &m, &dl);
	while (rc == 0);	/* spurious wake-ups */
	pthread_mutex_unlock(&m);
	clock_gettime(CLOCK_MONOTONIC, &now);
	assert_int_equal(rc, ETIMEDOUT);
	assert_true(ns_of(&now) >= ns_of(&dl));
	pthread_cond_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deadline_is_timeout_ahead),
		cmocka_unit_test(timed_wait_ends_at_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
