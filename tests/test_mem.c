/*
 * test_mem - the region allocator: alignment and rounding, every refusal of
 * free, exhaustion, coalescing back to one region, per-pid accounting,
 * events, the text views, and a randomized run checked against the
 * invariants of the region list.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/evbus.h>
#include <micronos/mem.h>

#define BASE MN_MEM_DEFAULT_BASE
#define SIZE (1ULL << 20)

struct fx {
	struct mn_evbus *bus;
	struct mn_mem *mem;
	struct mn_strbuf err;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(mn_evbus_create(&fx->bus, 1000, NULL), 0);
	assert_int_equal(mn_mem_create(&fx->mem, BASE, SIZE, fx->bus), 0);
	mn_strbuf_init(&fx->err);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	mn_mem_destroy(fx->mem);
	mn_evbus_destroy(fx->bus);
	mn_strbuf_release(&fx->err);
	free(fx);
	return 0;
}

static const char *err_text(struct fx *fx)
{
	return mn_strbuf_str(&fx->err);
}

static void check_whole(struct mn_mem *mem)
{
	struct mn_meminfo mi;
	struct mn_mem_region r;

	mn_mem_info(mem, &mi);
	assert_int_equal(mi.used, 0);
	assert_int_equal(mi.allocations, 0);
	assert_int_equal(mi.free_regions, 1);
	assert_int_equal(mi.largest_free, mi.total);
	assert_true(mi.fragmentation == 0.0);
	assert_int_equal(mn_mem_regions(mem, &r, 1, 0), 1);
	assert_int_equal(r.addr, mi.base);
	assert_int_equal(r.size, mi.total);
	assert_int_equal(r.used, 0);
}

static void test_create_invalid(void **state)
{
	struct mn_mem *mem = (struct mn_mem *)0x1;

	(void)state;
	assert_int_equal(mn_mem_create(&mem, BASE + 16, SIZE, NULL), -EINVAL);
	assert_int_equal(mn_mem_create(&mem, BASE, 0, NULL), -EINVAL);
	assert_int_equal(mn_mem_create(&mem, BASE, 100, NULL), -EINVAL);
	assert_int_equal(mn_mem_create(&mem, BASE, SIZE + 16, NULL), -EINVAL);
	assert_int_equal(mn_mem_create(&mem, BASE, MN_MEM_MAX_SIZE * 2, NULL),
			 -EINVAL);
	assert_int_equal(mn_mem_create(&mem, UINT64_MAX - 4095, 8192, NULL),
			 -EINVAL);
	assert_ptr_equal(mem, (struct mn_mem *)0x1);	/* untouched */
	mn_mem_destroy(NULL);
}

static void test_round_and_align(void **state)
{
	struct fx *fx = *state;
	uint64_t a, b, c, d;
	struct mn_mem_region r[8];

	assert_int_equal(mn_mem_round(0), 0);
	assert_int_equal(mn_mem_round(1), 16);
	assert_int_equal(mn_mem_round(16), 16);
	assert_int_equal(mn_mem_round(17), 32);
	assert_int_equal(mn_mem_round(4095), 4096);
	assert_int_equal(mn_mem_round(4097), 8192);
	assert_int_equal(mn_mem_round(MN_MEM_MAX_SIZE + 1), UINT64_MAX);

	assert_int_equal(mn_mem_alloc(fx->mem, 1, 0, &a, NULL), 0);
	assert_int_equal(a, BASE);
	assert_int_equal(mn_mem_alloc(fx->mem, 100, 0, &b, NULL), 0);
	assert_int_equal(b % 16, 0);
	assert_int_equal(b, BASE + 16);
	/* A page request skips to the next page boundary... */
	assert_int_equal(mn_mem_alloc(fx->mem, 5000, 0, &c, NULL), 0);
	assert_int_equal(c % 4096, 0);
	assert_int_equal(c, BASE + 4096);
	/* ...and the pad before it stays free for small requests. */
	assert_int_equal(mn_mem_alloc(fx->mem, 32, 0, &d, NULL), 0);
	assert_int_equal(d, BASE + 16 + 112);
	assert_int_equal(mn_mem_regions(fx->mem, r, 8, 1), 4);
	assert_int_equal(r[3].addr, c);
	assert_int_equal(r[3].size, 8192);
	assert_int_equal(r[3].requested, 5000);
	assert_int_equal(mn_mem_used_by(fx->mem, 0), 16 + 112 + 32 + 8192);
	/* The size given to alloc, or anything rounding the same, frees. */
	assert_int_equal(mn_mem_free(fx->mem, c, 8000, -1, NULL), 0);
	assert_int_equal(mn_mem_free(fx->mem, b, 100, -1, NULL), 0);
	assert_int_equal(mn_mem_free(fx->mem, a, 16, -1, NULL), 0);
	assert_int_equal(mn_mem_free(fx->mem, d, 32, -1, NULL), 0);
	check_whole(fx->mem);
}

static void test_free_refusals(void **state)
{
	struct fx *fx = *state;
	uint64_t a, b;
	struct mn_meminfo before, after;

	assert_int_equal(mn_mem_alloc(fx->mem, 64, 7, &a, NULL), 0);
	assert_int_equal(mn_mem_alloc(fx->mem, 64, 7, &b, NULL), 0);
	mn_mem_info(fx->mem, &before);

	/* size mismatch */
	assert_int_equal(mn_mem_free(fx->mem, a, 32, -1, &fx->err), -EINVAL);
	assert_non_null(strstr(err_text(fx), "size 32 does not match the "
					     "allocation of 64 bytes"));
	assert_int_equal(mn_mem_free(fx->mem, a, 0, -1, NULL), -EINVAL);
	assert_int_equal(mn_mem_free(fx->mem, a, 128, -1, NULL), -EINVAL);
	assert_int_equal(mn_mem_free(fx->mem, a, UINT64_MAX, -1, NULL),
			 -EINVAL);
	/* the middle of an allocation */
	mn_strbuf_reset(&fx->err);
	assert_int_equal(mn_mem_free(fx->mem, a + 16, 48, -1, &fx->err),
			 -EINVAL);
	assert_non_null(strstr(err_text(fx), "inside the allocation at"));
	/* outside the space */
	mn_strbuf_reset(&fx->err);
	assert_int_equal(mn_mem_free(fx->mem, BASE - 16, 16, -1, &fx->err),
			 -EINVAL);
	assert_non_null(strstr(err_text(fx), "outside MicronOS memory"));
	assert_int_equal(mn_mem_free(fx->mem, BASE + SIZE, 16, -1, NULL),
			 -EINVAL);
	/* a free region that was never allocated */
	assert_int_equal(mn_mem_free(fx->mem, BASE + 4096, 16, -1, NULL),
			 -EINVAL);
	/* the wrong owner */
	mn_strbuf_reset(&fx->err);
	assert_int_equal(mn_mem_free(fx->mem, a, 64, 8, &fx->err), -EPERM);
	assert_non_null(strstr(err_text(fx), "owned by pid 7"));

	/* nothing changed */
	mn_mem_info(fx->mem, &after);
	assert_int_equal(after.used, before.used);
	assert_int_equal(after.allocations, 2);
	assert_int_equal(after.failed_calls, before.failed_calls + 9);

	/* the owner frees; then a double free is refused */
	assert_int_equal(mn_mem_free(fx->mem, a, 64, 7, NULL), 0);
	mn_strbuf_reset(&fx->err);
	assert_int_equal(mn_mem_free(fx->mem, a, 64, 7, &fx->err), -EINVAL);
	assert_non_null(strstr(err_text(fx), "double free"));
	assert_int_equal(mn_mem_free(fx->mem, b, 64, MN_MEM_ANY_PID, NULL), 0);
	assert_int_equal(mn_mem_free(fx->mem, b, 64, MN_MEM_ANY_PID, NULL),
			 -EINVAL);
	check_whole(fx->mem);
}

static void test_alloc_refusals(void **state)
{
	struct fx *fx = *state;
	uint64_t a = 42, big;

	assert_int_equal(mn_mem_alloc(fx->mem, 0, 0, &a, &fx->err), -EINVAL);
	assert_non_null(strstr(err_text(fx), "at least 1 byte"));
	assert_int_equal(mn_mem_alloc(fx->mem, SIZE + 1, 0, &a, NULL),
			 -EINVAL);
	assert_int_equal(mn_mem_alloc(fx->mem, 16, -3, &a, NULL), -EINVAL);
	assert_int_equal(mn_mem_alloc(fx->mem, UINT64_MAX, 0, &a, NULL),
			 -EINVAL);
	assert_int_equal(a, 42);

	/* exhaust: the whole space, then nothing more fits */
	assert_int_equal(mn_mem_alloc(fx->mem, SIZE, 1, &big, NULL), 0);
	mn_strbuf_reset(&fx->err);
	assert_int_equal(mn_mem_alloc(fx->mem, 16, 1, &a, &fx->err), -ENOMEM);
	assert_non_null(strstr(err_text(fx), "out of memory"));
	assert_int_equal(a, 42);
	assert_int_equal(mn_mem_free(fx->mem, big, SIZE, 1, NULL), 0);
	check_whole(fx->mem);
}

/* Free space that is there but in pieces too small: -ENOMEM too. */
static void test_fragmented_enomem(void **state)
{
	struct fx *fx = *state;
	uint64_t addr[256];
	struct mn_meminfo mi;
	size_t i;

	for (i = 0; i < 256; i++)
		assert_int_equal(mn_mem_alloc(fx->mem, 4096, 1, &addr[i],
					      NULL), 0);
	for (i = 0; i < 256; i += 2)
		assert_int_equal(mn_mem_free(fx->mem, addr[i], 4096, 1, NULL),
				 0);
	mn_mem_info(fx->mem, &mi);
	assert_int_equal(mi.free, SIZE / 2);
	assert_int_equal(mi.largest_free, 4096);
	assert_int_equal(mi.free_regions, 128);
	assert_true(mi.fragmentation > 0.99);
	assert_int_equal(mn_mem_alloc(fx->mem, 8192, 1, &addr[0], NULL),
			 -ENOMEM);
	/* a hole still takes a request that fits */
	assert_int_equal(mn_mem_alloc(fx->mem, 4096, 1, &addr[0], NULL), 0);
	assert_int_equal(mn_mem_release_pid(fx->mem, 1, NULL), 129);
	check_whole(fx->mem);
}

static void test_coalesce_orders(void **state)
{
	struct fx *fx = *state;
	uint64_t a[3];
	static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	size_t o, i;

	for (o = 0; o < 6; o++) {
		for (i = 0; i < 3; i++)
			assert_int_equal(mn_mem_alloc(fx->mem, 48, 0, &a[i],
						      NULL), 0);
		for (i = 0; i < 3; i++)
			assert_int_equal(mn_mem_free(fx->mem, a[orders[o][i]],
						     48, -1, NULL), 0);
		check_whole(fx->mem);
	}
}

static void test_per_pid(void **state)
{
	struct fx *fx = *state;
	struct mn_mem_owner own[4];
	uint64_t a, bytes = 0;
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(mn_mem_alloc(fx->mem, 100, 10, &a, NULL), 0);
	assert_int_equal(mn_mem_alloc(fx->mem, 5000, 20, &a, NULL), 0);
	assert_int_equal(mn_mem_alloc(fx->mem, 16, 0, &a, NULL), 0);
	assert_int_equal(mn_mem_used_by(fx->mem, 10), 3 * 112);
	assert_int_equal(mn_mem_used_by(fx->mem, 20), 8192);
	assert_int_equal(mn_mem_used_by(fx->mem, 99), 0);
	assert_int_equal(mn_mem_owners(fx->mem, NULL, 0), 3);
	assert_int_equal(mn_mem_owners(fx->mem, own, 4), 3);
	assert_int_equal(own[0].pid, 0);
	assert_int_equal(own[1].pid, 10);
	assert_int_equal(own[1].allocations, 3);
	assert_int_equal(own[1].bytes, 336);
	assert_int_equal(own[2].pid, 20);

	assert_int_equal(mn_mem_release_pid(fx->mem, 10, &bytes), 3);
	assert_int_equal(bytes, 336);
	assert_int_equal(mn_mem_used_by(fx->mem, 10), 0);
	assert_int_equal(mn_mem_release_pid(fx->mem, 10, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(mn_mem_owners(fx->mem, own, 4), 2);
	assert_int_equal(mn_mem_release_pid(fx->mem, 20, NULL), 1);
	assert_int_equal(mn_mem_free(fx->mem, a, 16, 0, NULL), 0);
	assert_int_equal(mn_mem_owners(fx->mem, NULL, 0), 0);
	check_whole(fx->mem);
}

static void test_events(void **state)
{
	struct fx *fx = *state;
	struct mn_evfilter f = {.class_mask = 1u << MN_EVC_MEMORY};
	struct mn_event ev[8];
	uint64_t a;

	assert_int_equal(mn_mem_alloc(fx->mem, 40, 33, &a, NULL), 0);
	assert_int_equal(mn_mem_free(fx->mem, a, 40, 33, NULL), 0);
	assert_int_equal(mn_mem_free(fx->mem, a, 40, 33, NULL), -EINVAL);
	assert_int_equal(mn_mem_alloc(fx->mem, 40, 34, &a, NULL), 0);
	assert_int_equal(mn_mem_alloc(fx->mem, 40, 34, &a, NULL), 0);
	assert_int_equal(mn_mem_release_pid(fx->mem, 34, NULL), 2);
	assert_int_equal(mn_evbus_snapshot(fx->bus, &f, ev, 8), 5);
	assert_int_equal(ev[0].type, MN_EV_MEMORY_ALLOCATED);
	assert_int_equal(ev[0].source, MN_SRC_KERNEL);
	assert_int_equal(ev[0].pid, 33);
	assert_non_null(strstr(ev[0].text, "48 bytes at 0x10000000"));
	assert_int_equal(ev[1].type, MN_EV_MEMORY_FREED);
	assert_int_equal(ev[1].pid, 33);
	assert_int_equal(ev[3].type, MN_EV_MEMORY_ALLOCATED);
	assert_int_equal(ev[4].type, MN_EV_MEMORY_FREED);
	assert_int_equal(ev[4].pid, 34);
	assert_non_null(strstr(ev[4].text, "released 2 allocations"));
}

static void test_format(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf sb = MN_STRBUF_INIT;
	uint64_t a;

	assert_int_equal(mn_mem_alloc(fx->mem, 4096, 5, &a, NULL), 0);
	assert_int_equal(mn_mem_format(fx->mem, &sb, 10), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "fragmentation"));
	/* texttable's columns: as wide as their widest cell, two apart */
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "ADDRESS             SIZE  REQUESTED  PID\n"
			       "0x0000000010000000  4096       4096    5\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "ALLOCATIONS"));
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_mem_format_meminfo(fx->mem, &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "MemTotal:           1024 kB\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "MemFree:            1020 kB\n"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "SwapTotal:"));
	mn_strbuf_release(&sb);
}

/* Checks that the regions tile the space and no two free ones touch. */
static void check_invariants(struct mn_mem *mem)
{
	static struct mn_mem_region r[4096];
	struct mn_meminfo mi;
	size_t n, i;
	uint64_t at = BASE, used = 0;

	mn_mem_info(mem, &mi);
	n = mn_mem_regions(mem, r, 4096, 0);
	assert_true(n <= 4096);
	for (i = 0; i < n; i++) {
		assert_int_equal(r[i].addr, at);
		assert_true(r[i].size > 0);
		if (i > 0)
			assert_false(!r[i].used && !r[i - 1].used);
		if (r[i].used) {
			used += r[i].size;
			assert_int_equal(r[i].addr %
					 (r[i].size >= 4096 ? 4096 : 16), 0);
		}
		at += r[i].size;
	}
	assert_int_equal(at, BASE + SIZE);
	assert_int_equal(used, mi.used);
}

static void test_random_model(void **state)
{
	struct fx *fx = *state;
	struct {
		uint64_t addr, size;
		int32_t pid;
	} live[512];
	size_t nlive = 0, i;
	uint64_t x = 88172645463325252ULL;

	for (i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (nlive < 512 && (x & 1)) {
			uint64_t sz = 1 + (x >> 8) % ((x & 2) ? 20000 : 300);
			int32_t pid = (int32_t)((x >> 40) % 4);
			uint64_t a;
			int r = mn_mem_alloc(fx->mem, sz, pid, &a, NULL);

			if (r == 0) {
				live[nlive].addr = a;
				live[nlive].size = sz;
				live[nlive++].pid = pid;
			} else {
				assert_int_equal(r, -ENOMEM);
			}
		} else if (nlive) {
			size_t k = (x >> 16) % nlive;

			assert_int_equal(mn_mem_free(fx->mem, live[k].addr,
						     live[k].size, live[k].pid,
						     NULL), 0);
			live[k] = live[--nlive];
		}
		if (i % 997 == 0)
			check_invariants(fx->mem);
	}
	check_invariants(fx->mem);
	for (i = 0; i < 4; i++)
		mn_mem_release_pid(fx->mem, (int32_t)i, NULL);
	check_whole(fx->mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_invalid),
		cmocka_unit_test_setup_teardown(test_round_and_align, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_alloc_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fragmented_enomem, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_coalesce_orders, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_per_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_model, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
