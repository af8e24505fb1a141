/*
 * bench_evbus - event bus throughput (a benchmark, not a test).
 *
 * Prints one line per figure:
 *   evbus.publish           events/s, one thread, nobody subscribed
 *   evbus.publish+drain     events/s, one publisher while a subscriber
 *                           drains with blocking waits in another thread
 *   evbus.publish.4threads  events/s, four publishers at once
 *   evbus.snapshot          cost of copying the full default history
 *   evbus.export_csv        cost of exporting the full default history
 *
 * Usage: bench_evbus [EVENTS]  (default 2000000 per publish figure).
 * Figures depend on the machine and its load; bench/RESULTS.md records
 * what was measured where.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>

static double seconds(uint64_t t0)
{
	return (double)(mn_clock_host_mono_ns() - t0) / 1e9;
}

static void publish_loop(struct mn_evbus *bus, long n, int id)
{
	long i;

	for (i = 0; i < n; i++)
		mn_evbus_publish(bus, MN_EV_PROCESS_CREATED, MN_SRC_KERNEL,
				 id, "pid %ld spawned", i);
}

static void bench_publish(long n)
{
	struct mn_clock clock;
	struct mn_evbus *bus;
	uint64_t t0;
	double s;

	mn_clock_init(&clock);
	if (mn_evbus_create(&bus, MN_EVBUS_DEFAULT_CAPACITY, &clock) < 0)
		exit(1);
	publish_loop(bus, n / 10, 1);	/* warm up */
	t0 = mn_clock_host_mono_ns();
	publish_loop(bus, n, 1);
	s = seconds(t0);
	printf("evbus.publish           %.3g events/s  (%.0f ns/event)\n",
	       (double)n / s, s * 1e9 / (double)n);
	mn_evbus_destroy(bus);
}

struct drain {
	struct mn_evsub *sub;
	atomic_int stop;
	uint64_t got, lost;
};

static void *drain_thread(void *arg)
{
	struct drain *d = arg;
	struct mn_event ev;
	uint64_t lost;
	int ret;

	while (!atomic_load(&d->stop)) {
		ret = mn_evsub_next(d->sub, &ev, 100, &lost);
		d->lost += lost;
		d->got += ret == 1;
	}
	while (mn_evsub_next(d->sub, &ev, 0, &lost) == 1)
		d->got++;
	d->lost += lost;
	return NULL;
}

static void bench_publish_drain(long n)
{
	struct drain d = {0};
	struct mn_evbus *bus;
	pthread_t t;
	uint64_t t0;
	double s;

	if (mn_evbus_create(&bus, MN_EVBUS_DEFAULT_CAPACITY, NULL) < 0 ||
	    mn_evsub_create(&d.sub, bus, NULL, 0) < 0 ||
	    pthread_create(&t, NULL, drain_thread, &d) != 0)
		exit(1);
	t0 = mn_clock_host_mono_ns();
	publish_loop(bus, n, 1);
	s = seconds(t0);
	atomic_store(&d.stop, 1);
	pthread_join(t, NULL);
	printf("evbus.publish+drain     %.3g events/s  (reader got %.1f%%, "
	       "lost %llu)\n",
	       (double)n / s, 100.0 * (double)d.got / (double)n,
	       (unsigned long long)d.lost);
	mn_evsub_destroy(d.sub);
	mn_evbus_destroy(bus);
}

struct pub {
	struct mn_evbus *bus;
	long n;
	int id;
};

static void *pub_thread(void *arg)
{
	struct pub *p = arg;

	publish_loop(p->bus, p->n, p->id);
	return NULL;
}

static void bench_publish_threads(long n)
{
	struct pub p[4];
	pthread_t t[4];
	struct mn_evbus *bus;
	uint64_t t0;
	double s;
	int i;

	if (mn_evbus_create(&bus, MN_EVBUS_DEFAULT_CAPACITY, NULL) < 0)
		exit(1);
	t0 = mn_clock_host_mono_ns();
	for (i = 0; i < 4; i++) {
		p[i] = (struct pub){bus, n / 4, i + 1};
		if (pthread_create(&t[i], NULL, pub_thread, &p[i]) != 0)
			exit(1);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	s = seconds(t0);
	printf("evbus.publish.4threads  %.3g events/s\n",
	       (double)(n / 4 * 4) / s);
	mn_evbus_destroy(bus);
}

static void bench_snapshot(void)
{
	enum { ROUNDS = 2000, CSV_ROUNDS = 50 };
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct mn_event *ev;
	struct mn_evbus *bus;
	uint64_t t0;
	double s;
	int i;

	ev = malloc(MN_EVBUS_DEFAULT_CAPACITY * sizeof(*ev));
	if (!ev || mn_evbus_create(&bus, MN_EVBUS_DEFAULT_CAPACITY, NULL) < 0)
		exit(1);
	publish_loop(bus, MN_EVBUS_DEFAULT_CAPACITY, 1);
	t0 = mn_clock_host_mono_ns();
	for (i = 0; i < ROUNDS; i++)
		mn_evbus_snapshot(bus, NULL, ev, MN_EVBUS_DEFAULT_CAPACITY);
	s = seconds(t0);
	printf("evbus.snapshot          %.1f us per %d-event snapshot\n",
	       s * 1e6 / ROUNDS, MN_EVBUS_DEFAULT_CAPACITY);
	t0 = mn_clock_host_mono_ns();
	for (i = 0; i < CSV_ROUNDS; i++) {
		mn_strbuf_reset(&sb);
		mn_evbus_export_csv(bus, NULL, &sb);
	}
	s = seconds(t0);
	printf("evbus.export_csv        %.1f us per %d-event export "
	       "(%zu bytes)\n",
	       s * 1e6 / CSV_ROUNDS, MN_EVBUS_DEFAULT_CAPACITY, sb.len);
	mn_strbuf_release(&sb);
	mn_evbus_destroy(bus);
	free(ev);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;

	if (n < 100) {
		fprintf(stderr, "usage: bench_evbus [EVENTS >= 100]\n");
		return 2;
	}
	bench_publish(n);
	bench_publish_drain(n);
	bench_publish_threads(n);
	bench_snapshot();
	return 0;
}
