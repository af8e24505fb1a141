/*
 * shell_bench.c - `benchmark`: the kernel's own micro-benchmarks.
 *
 * Each benchmark runs one core operation in a loop for a bounded time
 * (default 200 ms, at most 2 s) and reports the rate.  Syscall dispatch uses
 * the instance's real table (its counters move: that is what happened).
 * Event publishing, region alloc/free and IPC send/receive run the same
 * module code on private instances created for the run, because a million
 * benchmark events or allocations in the live kernel would wipe the event
 * history a user is looking at and fill the memory map with noise.
 *
 * The clock is read every 256 iterations so that reading it costs well under
 * one percent of the measurement.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>
#include <micronos/ipc.h>
#include <micronos/kernel.h>
#include <micronos/mem.h>
#include <micronos/syscall.h>

#include "shell_i.h"

#define BENCH_DEFAULT_MS 200
#define BENCH_MAX_MS 2000
#define BENCH_BATCH 256

struct bench {
	const char *name;
	const char *what;
	/* Sets up *state; 0 or -errno. */
	int (*setup)(struct mn_kernel *k, void **state);
	/* One batch of operations: how many (> 0), or -errno. */
	int (*batch)(void *state);
	void (*teardown)(void *state);
};

/* --- syscall dispatch ---------------------------------------------------- */

struct sys_state {
	struct mn_syscalls *sys;
	struct mn_sysctx ctx;
};

static int sys_setup(struct mn_kernel *k, void **state)
{
	struct sys_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->sys = mn_kernel_syscalls(k);
	mn_sysctx_init(&s->ctx, k, 1, 0, 0);
	*state = s;
	return 0;
}

static int sys_batch(void *state)
{
	struct sys_state *s = state;

	for (int i = 0; i < BENCH_BATCH; i++) {
		long r = mn_syscall_dispatch(s->sys, &s->ctx, MN_SYS_GETPID,
					     NULL);

		if (r < 0)
			return (int)r;
	}
	return BENCH_BATCH;
}

/* --- event publish ------------------------------------------------------- */

static int ev_setup(struct mn_kernel *k, void **state)
{
	struct mn_evbus *bus;
	int ret = mn_evbus_create(&bus, MN_EVBUS_DEFAULT_CAPACITY,
				  mn_kernel_clock(k));

	if (ret < 0)
		return ret;
	*state = bus;
	return 0;
}

static int ev_batch(void *state)
{
	for (int i = 0; i < BENCH_BATCH; i++) {
		int64_t r = mn_evbus_publish(state, MN_EV_TIMER_EXPIRED,
					     MN_SRC_TIMER, 0, "bench %d", i);

		if (r < 0)
			return (int)r;
	}
	return BENCH_BATCH;
}

static void ev_teardown(void *state)
{
	mn_evbus_destroy(state);
}

/* --- memory alloc/free --------------------------------------------------- */

static int mem_setup(struct mn_kernel *k, void **state)
{
	struct mn_mem *mem;
	int ret;

	(void)k;
	ret = mn_mem_create(&mem, MN_MEM_DEFAULT_BASE, MN_MEM_DEFAULT_SIZE,
			    NULL);
	if (ret < 0)
		return ret;
	*state = mem;
	return 0;
}

/* Half a batch of allocations of mixed sizes, then their frees: the
 * allocator sees splits and merges, not one region bouncing. */
static int mem_batch(void *state)
{
	static const uint64_t sizes[] = {64, 4096, 256, 16384};
	uint64_t addr[BENCH_BATCH / 2];
	int ret = 0, n;

	for (n = 0; n < BENCH_BATCH / 2; n++) {
		ret = mn_mem_alloc(state, sizes[n % 4], MN_MEM_KERNEL_PID,
				   &addr[n], NULL);
		if (ret < 0)
			break;
	}
	for (int i = 0; i < n; i++)
		mn_mem_free(state, addr[i], sizes[i % 4], MN_MEM_ANY_PID,
			    NULL);
	return ret < 0 ? ret : n;
}

static void mem_teardown(void *state)
{
	mn_mem_destroy(state);
}

/* --- IPC send/recv ------------------------------------------------------- */

struct ipc_state {
	struct mn_ipc *ipc;
	int id;
};

static int ipc_setup(struct mn_kernel *k, void **state)
{
	struct ipc_state *s = calloc(1, sizeof(*s));
	int ret;

	(void)k;
	if (!s)
		return -ENOMEM;
	ret = mn_ipc_create(&s->ipc, NULL, 0, 0);
	if (ret < 0)
		goto fail;
	ret = mn_ipc_channel_create(s->ipc, "bench", BENCH_BATCH, 0, NULL);
	if (ret < 0)
		goto fail_ipc;
	s->id = ret;
	*state = s;
	return 0;
fail_ipc:
	mn_ipc_destroy(s->ipc);
fail:
	free(s);
	return ret;
}

/* A batch is BENCH_BATCH messages sent then received: one op = one
 * send + one receive. */
static int ipc_batch(void *state)
{
	struct ipc_state *s = state;
	char msg[64] = "benchmark message", buf[64];
	int ret;

	for (int i = 0; i < BENCH_BATCH; i++) {
		ret = mn_ipc_send(s->ipc, s->id, 0, msg, sizeof(msg), 0);
		if (ret < 0)
			return ret;
	}
	for (int i = 0; i < BENCH_BATCH; i++) {
		ret = mn_ipc_recv(s->ipc, s->id, 0, buf, sizeof(buf), 0);
		if (ret < 0)
			return ret;
	}
	return BENCH_BATCH;
}

static void ipc_teardown(void *state)
{
	struct ipc_state *s = state;

	mn_ipc_destroy(s->ipc);
	free(s);
}

static const struct bench benches[] = {
	{"syscall", "dispatch getpid through the syscall table", sys_setup,
	 sys_batch, free},
	{"events", "publish an event (1000-event history)", ev_setup,
	 ev_batch, ev_teardown},
	{"memory", "region alloc + free, mixed sizes (per op: one of each)",
	 mem_setup, mem_batch, mem_teardown},
	{"ipc", "channel send + receive of 64 bytes", ipc_setup, ipc_batch,
	 ipc_teardown},
};

/* Runs one benchmark for ms; fills ops and ns; 0 or -errno. */
static int run_one(struct mn_kernel *k, const struct bench *b, int ms,
		   uint64_t *ops, uint64_t *ns)
{
	uint64_t start, end, limit = (uint64_t)ms * MN_NSEC_PER_MSEC;
	void *state = NULL;
	int ret = b->setup(k, &state);

	*ops = 0;
	if (ret < 0)
		return ret;
	start = mn_clock_host_mono_ns();
	do {
		ret = b->batch(state);
		if (ret < 0)
			break;
		*ops += (uint64_t)ret;
		end = mn_clock_host_mono_ns();
	} while (end - start < limit);
	*ns = mn_clock_host_mono_ns() - start;
	b->teardown(state);
	return ret < 0 ? ret : 0;
}

int mn_shell_cmd_benchmark(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_texttable t;
	int64_t ms = BENCH_DEFAULT_MS;
	int failed = 0;

	if (argc == 2 &&
	    mn_shell_parse_i64(argv[1], 10, BENCH_MAX_MS, &ms) < 0)
		return mn_shell_usage(c, "MS must be 10..%d, not '%s'",
				      BENCH_MAX_MS, argv[1]);
	mn_texttable_init_header(&t, "BENCHMARK|>OPS|>TIME|>RATE|>PER OP|WHAT");
	for (size_t i = 0; i < sizeof(benches) / sizeof(*benches); i++) {
		const struct bench *b = &benches[i];
		uint64_t ops = 0, ns = 1;
		char a[32];
		int ret = run_one(c->k, b, (int)ms, &ops, &ns);

		if (ret < 0) {
			mn_shell_errno(c, ret, b->name);
			failed = 1;
			continue;
		}
		mn_texttable_cell(&t, "%s", b->name);
		mn_texttable_cell(&t, "%llu", (unsigned long long)ops);
		mn_texttable_cell(&t, "%s", mn_fmt_duration(a, sizeof(a), ns));
		mn_texttable_cell(&t, "%.2f M/s",
				  (double)ops * 1e3 / (double)ns);
		mn_texttable_cell(&t, "%.1f ns",
				  ops ? (double)ns / (double)ops : 0.0);
		mn_texttable_cell(&t, "%s", b->what);
	}
	mn_texttable_print(&t, c->out);
	return failed ? MN_SHELL_FAIL : MN_SHELL_OK;
}
