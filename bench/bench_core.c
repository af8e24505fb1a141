/*
 * bench_core - how fast the core's hot paths are: syscall dispatch, region
 * alloc/free and the driver read path.  (Event publishing on its own is
 * bench_evbus; here it appears only as the cost it adds to alloc/free.)
 *
 * Each figure is one line "name value unit" so scripts can pick it up:
 *   syscall.dispatch 7.2e6 calls/s
 * Every case runs for about BENCH_SECONDS of wall time (MN_BENCH_SECONDS in
 * the environment overrides it).  Not a test: the machine is shared and
 * noisy, so nothing here asserts a speed.  Results go to bench/RESULTS.md.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/clock.h>
#include <micronos/driver.h>
#include <micronos/evbus.h>
#include <micronos/mem.h>
#include <micronos/syscall.h>

#define BENCH_SECONDS 0.5
#define BATCH 4096

static double seconds = BENCH_SECONDS;

static double now_s(void)
{
	return (double)mn_clock_host_mono_ns() / 1e9;
}

static void report(const char *name, double value, const char *unit)
{
	printf("%-28s %.3g %s\n", name, value, unit);
	fflush(stdout);
}

/* --- syscall dispatch ----------------------------------------------------- */

struct dispatch_arg {
	struct mn_syscalls *s;
	uint32_t nr;
	double rate;
};

static void *dispatch_loop(void *p)
{
	struct dispatch_arg *a = p;
	struct mn_sysctx ctx;
	uint64_t n = 0;
	double t0 = now_s(), t;
	volatile long sink = 0;
	int i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.pid = 1;
	do {
		for (i = 0; i < BATCH; i++)
			sink += mn_syscall_dispatch(a->s, &ctx, a->nr, NULL);
		n += BATCH;
		t = now_s() - t0;
	} while (t < seconds);
	(void)sink;
	a->rate = (double)n / t;
	return NULL;
}

static double dispatch_rate(struct mn_syscalls *s, uint32_t nr, int threads)
{
	struct dispatch_arg a[8];
	pthread_t th[8];
	double total = 0;
	int i;

	for (i = 0; i < threads; i++) {
		a[i].s = s;
		a[i].nr = nr;
		pthread_create(&th[i], NULL, dispatch_loop, &a[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		total += a[i].rate;
	}
	return total;
}

static void bench_syscalls(void)
{
	struct mn_syscalls *s;

	if (mn_syscalls_create(&s) < 0)
		return;
	report("syscall.dispatch", dispatch_rate(s, 4, 1), "calls/s");
	report("syscall.dispatch.2threads", dispatch_rate(s, 4, 2), "calls/s");
	report("syscall.dispatch.missing", dispatch_rate(s, 2000, 1),
	       "calls/s");
	report("syscall.dispatch.unknown", dispatch_rate(s, 1234, 1),
	       "calls/s");
	mn_syscalls_destroy(s);
}

/* --- memory --------------------------------------------------------------- */

static void bench_mem_pairs(const char *name, struct mn_evbus *bus,
			    uint64_t size)
{
	struct mn_mem *mem;
	uint64_t n = 0, addr;
	double t0, t;
	int i;

	if (mn_mem_create(&mem, MN_MEM_DEFAULT_BASE, MN_MEM_DEFAULT_SIZE,
			  bus) < 0)
		return;
	t0 = now_s();
	do {
		for (i = 0; i < BATCH; i++) {
			mn_mem_alloc(mem, size, 1, &addr, NULL);
			mn_mem_free(mem, addr, size, 1, NULL);
		}
		n += BATCH;
		t = now_s() - t0;
	} while (t < seconds);
	report(name, (double)n / t, "pairs/s");
	mn_mem_destroy(mem);
}

/* Random sizes against 4096 live allocations: splits and merges happen. */
static void bench_mem_mixed(void)
{
	enum { LIVE = 4096 };
	static uint64_t addr[LIVE], size[LIVE];
	struct mn_mem *mem;
	uint64_t n = 0, x = 0x9E3779B97F4A7C15ULL;
	struct mn_meminfo mi;
	double t0, t;
	int i;

	if (mn_mem_create(&mem, MN_MEM_DEFAULT_BASE, MN_MEM_DEFAULT_SIZE,
			  NULL) < 0)
		return;
	for (i = 0; i < LIVE; i++) {
		size[i] = 1 + i % 2000;
		mn_mem_alloc(mem, size[i], 1, &addr[i], NULL);
	}
	t0 = now_s();
	do {
		for (i = 0; i < BATCH; i++) {
			unsigned k;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			k = (unsigned)(x % LIVE);
			mn_mem_free(mem, addr[k], size[k], 1, NULL);
			size[k] = 1 + (x >> 32) % ((x & 0x100) ? 16384 : 512);
			mn_mem_alloc(mem, size[k], 1, &addr[k], NULL);
		}
		n += BATCH;
		t = now_s() - t0;
	} while (t < seconds);
	mn_mem_info(mem, &mi);
	report("mem.mixed.4096live", (double)n / t, "pairs/s");
	report("mem.mixed.fragmentation", mi.fragmentation * 100, "%");
	mn_mem_destroy(mem);
}

/* --- drivers ----------------------------------------------------------- */

static void bench_driver(struct mn_drivers *d, const char *dev,
			 const char *name)
{
	size_t len = 1 << 20;
	char *buf = malloc(len);
	struct mn_driver *drv = mn_drivers_find(d, dev);
	uint64_t bytes = 0;
	double t0 = now_s(), t;

	if (!buf || !drv)
		goto out;
	do {
		ssize_t r = mn_driver_read(drv, buf, len, 0);

		if (r <= 0)
			goto out;
		bytes += (uint64_t)r;
		t = now_s() - t0;
	} while (t < seconds);
	report(name, (double)bytes / t / 1e9, "GB/s");
out:
	free(buf);
}

static void bench_drivers(void)
{
	struct mn_drivers_opts det = {.deterministic = 1, .seed = 1};
	struct mn_drivers *d1, *d2;

	if (mn_drivers_create(&d1, NULL, NULL) < 0)
		return;
	if (mn_drivers_create(&d2, NULL, &det) < 0)
		goto out;
	mn_drivers_start_all(d1, NULL);
	mn_drivers_start_all(d2, NULL);
	bench_driver(d1, "zero", "driver.zero.read1M");
	bench_driver(d1, "urandom", "driver.urandom.getrandom.read1M");
	bench_driver(d2, "urandom", "driver.urandom.xoshiro.read1M");
	mn_drivers_destroy(d2);
out:
	mn_drivers_destroy(d1);
}

int main(void)
{
	struct mn_evbus *bus;
	const char *env = getenv("MN_BENCH_SECONDS");

	if (env && atof(env) > 0)
		seconds = atof(env);
	if (mn_evbus_create(&bus, MN_EVBUS_DEFAULT_CAPACITY, NULL) < 0)
		return 1;
	bench_syscalls();
	bench_mem_pairs("mem.alloc_free.64B", NULL, 64);
	bench_mem_pairs("mem.alloc_free.64KiB", NULL, 65536);
	bench_mem_pairs("mem.alloc_free.64B.events", bus, 64);
	bench_mem_mixed();
	bench_drivers();
	mn_evbus_destroy(bus);
	return 0;
}
