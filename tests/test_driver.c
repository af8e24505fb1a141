/*
 * test_driver - the driver registry: the built-in devices, every lifecycle
 * transition (legal and illegal) against an independent copy of the table,
 * hooks that fail, I/O refused outside running, counters, events,
 * deterministic random streams, and registration errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/driver.h>
#include <micronos/evbus.h>

struct fx {
	struct mn_evbus *bus;
	struct mn_drivers *drvs;
	struct mn_strbuf err;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct mn_drivers_opts opts = {.deterministic = 1, .seed = 42};

	assert_non_null(fx);
	assert_int_equal(mn_evbus_create(&fx->bus, 1000, NULL), 0);
	assert_int_equal(mn_drivers_create(&fx->drvs, fx->bus, &opts), 0);
	mn_strbuf_init(&fx->err);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	mn_drivers_destroy(fx->drvs);
	mn_evbus_destroy(fx->bus);
	mn_strbuf_release(&fx->err);
	free(fx);
	return 0;
}

static struct mn_driver *get(struct fx *fx, const char *name)
{
	struct mn_driver *drv = mn_drivers_find(fx->drvs, name);

	assert_non_null(drv);
	return drv;
}

static void test_builtins(void **state)
{
	struct fx *fx = *state;
	struct mn_driver_info in[8];
	static const char *const names[] = {"null", "zero", "full", "random",
					    "urandom"};
	size_t i;

	assert_int_equal(mn_drivers_list(fx->drvs, in, 8), 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(in[i].name, names[i]);
		assert_int_equal(in[i].state, MN_DRV_REGISTERED);
	}
	assert_int_equal(in[0].type, MN_DEV_PSEUDO);
	assert_int_equal(in[3].type, MN_DEV_CHAR);
	assert_null(mn_drivers_find(fx->drvs, "nope"));
	assert_null(mn_drivers_find(fx->drvs, NULL));
	assert_int_equal(mn_drivers_list(fx->drvs, in, 2), 5);
}

static void test_builtin_io(void **state)
{
	struct fx *fx = *state;
	unsigned char buf[4096];
	size_t i;

	/* Not started yet: no I/O. */
	assert_int_equal(mn_driver_read(get(fx, "zero"), buf, 16, 0), -ENXIO);
	assert_int_equal(mn_drivers_start_all(fx->drvs, &fx->err), 0);
	assert_int_equal(mn_driver_state(get(fx, "random")), MN_DRV_RUNNING);

	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(mn_driver_read(get(fx, "zero"), buf, 4000, 7), 4000);
	for (i = 0; i < 4000; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[4000], 0xff);
	assert_int_equal(mn_driver_read(get(fx, "null"), buf, 100, 0), 0);
	assert_int_equal(mn_driver_write(get(fx, "null"), buf, 100, 0), 100);
	assert_int_equal(mn_driver_write(get(fx, "zero"), buf, 50, 0), 50);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(mn_driver_read(get(fx, "full"), buf, 64, 0), 64);
	assert_int_equal(buf[63], 0);
	assert_int_equal(mn_driver_write(get(fx, "full"), buf, 1, 0),
			 -ENOSPC);
	assert_int_equal(mn_driver_write(get(fx, "random"), buf, 10, 0), 10);

	memset(buf, 0, sizeof(buf));
	assert_int_equal(mn_driver_read(get(fx, "random"), buf, 4095, 0),
			 4095);
	for (i = 0; i < 4095 && buf[i] == 0; i++)
		;
	assert_true(i < 4095);
}

static void test_counters(void **state)
{
	struct fx *fx = *state;
	struct mn_driver *z = get(fx, "full");
	struct mn_driver_info in;
	char buf[100];

	assert_int_equal(mn_drivers_start_all(fx->drvs, NULL), 0);
	assert_int_equal(mn_driver_read(z, buf, 100, 0), 100);
	assert_int_equal(mn_driver_read(z, buf, 30, 0), 30);
	assert_int_equal(mn_driver_write(z, buf, 30, 0), -ENOSPC);
	assert_int_equal(mn_driver_transition(z, MN_DRV_OP_STOP, NULL), 0);
	assert_int_equal(mn_driver_read(z, buf, 30, 0), -ENXIO);
	mn_driver_info(z, &in);
	assert_int_equal(in.reads, 2);
	assert_int_equal(in.bytes_read, 130);
	assert_int_equal(in.writes, 0);
	assert_int_equal(in.bytes_written, 0);
	assert_int_equal(in.errors, 2);
	assert_int_equal(in.transitions, 3);	/* init, start, stop */
	assert_int_equal(in.state, MN_DRV_STOPPED);
}

/* --- the state machine ---------------------------------------------------- */

static int hook_calls[MN_DRV_OP__COUNT];
static int hook_fail_op = -1;

static int hook(enum mn_drv_op op)
{
	hook_calls[op]++;
	return (int)op == hook_fail_op ? -EIO : 0;
}

static int h_init(struct mn_driver *d, void *p)
{
	(void)d, (void)p;
	return hook(MN_DRV_OP_INIT);
}

static int h_start(struct mn_driver *d, void *p)
{
	(void)d, (void)p;
	return hook(MN_DRV_OP_START);
}

static int h_stop(struct mn_driver *d, void *p)
{
	(void)d, (void)p;
	return hook(MN_DRV_OP_STOP);
}

static int h_suspend(struct mn_driver *d, void *p)
{
	(void)d, (void)p;
	return hook(MN_DRV_OP_SUSPEND);
}

static int h_resume(struct mn_driver *d, void *p)
{
	(void)d, (void)p;
	return hook(MN_DRV_OP_RESUME);
}

static int h_shutdown(struct mn_driver *d, void *p)
{
	(void)d, (void)p;
	return hook(MN_DRV_OP_SHUTDOWN);
}

static ssize_t h_read(struct mn_driver *d, void *p, void *buf, size_t len,
		      uint64_t off)
{
	(void)d, (void)p, (void)off;
	memset(buf, 'x', len);
	return (ssize_t)len;
}

static const struct mn_driver_ops test_ops = {
	.init = h_init,
	.start = h_start,
	.stop = h_stop,
	.suspend = h_suspend,
	.resume = h_resume,
	.shutdown = h_shutdown,
	.read = h_read,
};

static struct mn_driver *new_driver(struct fx *fx, const char *name)
{
	struct mn_driver_desc d = {
		.name = name,
		.type = MN_DEV_VIRTUAL,
		.description = "test",
		.ops = &test_ops,
	};
	struct mn_driver *drv = NULL;

	assert_int_equal(mn_drivers_register(fx->drvs, &d, &drv, NULL), 0);
	assert_non_null(drv);
	return drv;
}

/* A path of verbs from registered to each state. */
static void drive_to(struct mn_driver *drv, enum mn_drv_state s)
{
	static const int paths[MN_DRV__STATE_COUNT][4] = {
		[MN_DRV_REGISTERED] = {-1},
		[MN_DRV_INITIALIZED] = {MN_DRV_OP_INIT, -1},
		[MN_DRV_RUNNING] = {MN_DRV_OP_INIT, MN_DRV_OP_START, -1},
		[MN_DRV_SUSPENDED] = {MN_DRV_OP_INIT, MN_DRV_OP_START,
				      MN_DRV_OP_SUSPEND, -1},
		[MN_DRV_STOPPED] = {MN_DRV_OP_INIT, MN_DRV_OP_START,
				    MN_DRV_OP_STOP, -1},
		[MN_DRV_SHUTDOWN] = {MN_DRV_OP_SHUTDOWN, -1},
	};
	int i;

	for (i = 0; paths[s][i] >= 0; i++)
		assert_int_equal(mn_driver_transition(
					 drv, (enum mn_drv_op)paths[s][i],
					 NULL), 0);
	assert_int_equal(mn_driver_state(drv), s);
}

/* The lifecycle of driver.h, written out again: -1 is illegal. */
static const int expect[MN_DRV__STATE_COUNT][MN_DRV_OP__COUNT] = {
	/* init, start, stop, suspend, resume, shutdown */
	[MN_DRV_REGISTERED] = {MN_DRV_INITIALIZED, -1, -1, -1, -1,
			       MN_DRV_SHUTDOWN},
	[MN_DRV_INITIALIZED] = {-1, MN_DRV_RUNNING, -1, -1, -1,
				MN_DRV_SHUTDOWN},
	[MN_DRV_RUNNING] = {-1, -1, MN_DRV_STOPPED, MN_DRV_SUSPENDED, -1,
			    MN_DRV_SHUTDOWN},
	[MN_DRV_SUSPENDED] = {-1, -1, MN_DRV_STOPPED, -1, MN_DRV_RUNNING,
			      MN_DRV_SHUTDOWN},
	[MN_DRV_STOPPED] = {-1, MN_DRV_RUNNING, -1, -1, -1, MN_DRV_SHUTDOWN},
	[MN_DRV_SHUTDOWN] = {-1, -1, -1, -1, -1, -1},
};

static void test_every_transition(void **state)
{
	struct fx *fx = *state;
	int s, op, n = 0;

	for (s = 0; s < MN_DRV__STATE_COUNT; s++) {
		for (op = 0; op < MN_DRV_OP__COUNT; op++) {
			char name[16];
			struct mn_driver *drv;
			int before;
			int64_t seq;

			snprintf(name, sizeof(name), "t%d", n++);
			drv = new_driver(fx, name);
			drive_to(drv, (enum mn_drv_state)s);
			before = hook_calls[op];
			seq = (int64_t)mn_evbus_last_seq(fx->bus);
			mn_strbuf_reset(&fx->err);
			if (expect[s][op] < 0) {
				assert_int_equal(mn_driver_transition(
					drv, (enum mn_drv_op)op, &fx->err),
					-EINVAL);
				assert_int_equal(mn_driver_state(drv), s);
				assert_int_equal(hook_calls[op], before);
				assert_non_null(strstr(
					mn_strbuf_str(&fx->err), "cannot"));
				assert_int_equal(mn_evbus_last_seq(fx->bus),
						 seq);
			} else {
				assert_int_equal(mn_driver_transition(
					drv, (enum mn_drv_op)op, &fx->err), 0);
				assert_int_equal(mn_driver_state(drv),
						 expect[s][op]);
				assert_int_equal(hook_calls[op], before + 1);
				assert_int_equal(mn_evbus_last_seq(fx->bus),
						 seq + 1);
			}
		}
	}
}

static void test_refusal_message(void **state)
{
	struct fx *fx = *state;
	struct mn_driver *drv = new_driver(fx, "msg");

	drive_to(drv, MN_DRV_STOPPED);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_SUSPEND,
					      &fx->err), -EINVAL);
	assert_string_equal(mn_strbuf_str(&fx->err),
			    "msg: cannot suspend a driver that is stopped "
			    "(allowed from: running)\n");
	assert_int_equal(mn_driver_transition(drv, (enum mn_drv_op)99, NULL),
			 -EINVAL);
}

static void test_events(void **state)
{
	struct fx *fx = *state;
	struct mn_driver *drv = get(fx, "random");
	struct mn_evfilter f = {.source_mask = 1u << MN_SRC_DRIVER};
	struct mn_event ev[4];

	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_INIT, NULL), 0);
	assert_int_equal(mn_driver_control(drv, "start", NULL), 0);
	assert_int_equal(mn_evbus_snapshot(fx->bus, &f, ev, 4), 2);
	assert_int_equal(ev[0].type, MN_EV_CUSTOM);
	assert_int_equal(ev[0].custom_id, MN_CUSTOM_DRIVER);
	assert_int_equal(ev[0].source, MN_SRC_DRIVER);
	assert_string_equal(ev[0].text, "random: registered -> initialized");
	assert_string_equal(ev[1].text, "random: initialized -> running");
}

static void test_hook_failure(void **state)
{
	struct fx *fx = *state;
	struct mn_driver *drv = new_driver(fx, "flaky");
	uint64_t seq;

	drive_to(drv, MN_DRV_INITIALIZED);
	hook_fail_op = MN_DRV_OP_START;
	seq = mn_evbus_last_seq(fx->bus);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_START, &fx->err),
			 -EIO);
	assert_int_equal(mn_driver_state(drv), MN_DRV_INITIALIZED);
	assert_non_null(strstr(mn_strbuf_str(&fx->err), "start failed"));
	assert_int_equal(mn_evbus_last_seq(fx->bus), seq);
	/* Shutdown completes even when its hook fails. */
	hook_fail_op = MN_DRV_OP_SHUTDOWN;
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_SHUTDOWN, NULL),
			 -EIO);
	assert_int_equal(mn_driver_state(drv), MN_DRV_SHUTDOWN);
	assert_int_equal(mn_evbus_last_seq(fx->bus), seq + 1);
	hook_fail_op = -1;
	/* Terminal. */
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_START, NULL),
			 -EINVAL);
	assert_int_equal(mn_driver_read(drv, &seq, 1, 0), -ENXIO);
}

/* A hook that re-enters its own driver gets -EBUSY, not a deadlock. */
static int reentrant_result;

static int h_reenter(struct mn_driver *d, void *p)
{
	(void)p;
	reentrant_result = mn_driver_transition(d, MN_DRV_OP_SHUTDOWN, NULL);
	return 0;
}

static void test_busy(void **state)
{
	struct fx *fx = *state;
	static const struct mn_driver_ops ops = {.init = h_reenter};
	struct mn_driver_desc d = {.name = "busy", .ops = &ops};
	struct mn_driver *drv;

	assert_int_equal(mn_drivers_register(fx->drvs, &d, &drv, NULL), 0);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_INIT, NULL), 0);
	assert_int_equal(reentrant_result, -EBUSY);
	assert_int_equal(mn_driver_state(drv), MN_DRV_INITIALIZED);
	/* No read op. */
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_START, NULL), 0);
	assert_int_equal(mn_driver_read(drv, &d, 1, 0), -EINVAL);
	assert_int_equal(mn_driver_write(drv, &d, 1, 0), -EINVAL);
}

static void test_io_states(void **state)
{
	struct fx *fx = *state;
	struct mn_driver *drv = new_driver(fx, "io");
	char buf[8];

	assert_int_equal(mn_driver_read(drv, buf, 8, 0), -ENXIO);
	drive_to(drv, MN_DRV_INITIALIZED);
	assert_int_equal(mn_driver_read(drv, buf, 8, 0), -ENXIO);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_START, NULL), 0);
	assert_int_equal(mn_driver_read(drv, buf, 8, 0), 8);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_SUSPEND, NULL),
			 0);
	assert_int_equal(mn_driver_read(drv, buf, 8, 0), -EAGAIN);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_RESUME, NULL), 0);
	assert_int_equal(mn_driver_read(drv, buf, 8, 0), 8);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_STOP, NULL), 0);
	assert_int_equal(mn_driver_read(drv, buf, 8, 0), -ENXIO);
	assert_int_equal(mn_driver_write(drv, buf, 8, 0), -ENXIO);
	assert_int_equal(mn_driver_transition(drv, MN_DRV_OP_START, NULL), 0);
	assert_int_equal(mn_driver_read(drv, buf, 8, 0), 8);
}

static void test_control(void **state)
{
	struct fx *fx = *state;
	struct mn_driver *drv = get(fx, "zero");

	assert_int_equal(mn_driver_control(drv, "init\n", NULL), 0);
	assert_int_equal(mn_driver_control(drv, "  start \n", NULL), 0);
	assert_int_equal(mn_driver_state(drv), MN_DRV_RUNNING);
	assert_int_equal(mn_driver_control(drv, "stop", NULL), 0);
	assert_int_equal(mn_driver_control(drv, "explode\n", &fx->err),
			 -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&fx->err),
			       "unknown driver command 'explode"));
	assert_int_equal(mn_driver_control(drv, "", NULL), -EINVAL);
	assert_int_equal(mn_driver_control(drv, NULL, NULL), -EINVAL);
	assert_int_equal(mn_driver_control(drv, "Stop", NULL), -EINVAL);
	assert_int_equal(mn_driver_state(drv), MN_DRV_STOPPED);
}

static void test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < MN_DRV__STATE_COUNT; i++) {
		const char *n = mn_drv_state_name((enum mn_drv_state)i);

		assert_int_equal(mn_drv_state_parse(n), i);
	}
	for (i = 0; i < MN_DEV__COUNT; i++)
		assert_int_equal(mn_dev_type_parse(
					 mn_dev_type_name((enum mn_dev_type)i)),
				 i);
	for (i = 0; i < MN_DRV_OP__COUNT; i++)
		assert_int_equal(mn_drv_op_parse(
					 mn_drv_op_name((enum mn_drv_op)i)),
				 i);
	assert_string_equal(mn_drv_state_name(MN_DRV_RUNNING), "running");
	assert_string_equal(mn_dev_type_name(MN_DEV_CHAR), "character");
	assert_string_equal(mn_drv_state_name((enum mn_drv_state)77), "?");
	assert_int_equal(mn_drv_state_parse("runningx"), -EINVAL);
	assert_int_equal(mn_drv_state_parse("running\n"), MN_DRV_RUNNING);
	assert_int_equal(mn_dev_type_parse("tape"), -EINVAL);
}

static void test_register_errors(void **state)
{
	struct fx *fx = *state;
	static const struct mn_driver_ops ops = {0};
	struct mn_driver_desc d = {.name = "zero", .ops = &ops};
	int i;

	assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, &fx->err),
			 -EEXIST);
	assert_non_null(strstr(mn_strbuf_str(&fx->err), "already"));
	d.name = "Bad Name";
	assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, NULL),
			 -EINVAL);
	d.name = "";
	assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, NULL),
			 -EINVAL);
	d.name = "abcdefghijabcdefghijabcdefghijab";	/* 32 chars */
	assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, NULL),
			 -EINVAL);
	d.name = "ok";
	d.ops = NULL;
	assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, NULL),
			 -EINVAL);
	d.ops = &ops;
	d.type = MN_DEV__COUNT;
	assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, NULL),
			 -EINVAL);
	d.type = MN_DEV_BLOCK;
	assert_int_equal(mn_drivers_register(fx->drvs, NULL, NULL, NULL),
			 -EINVAL);
	for (i = 5; i < MN_DRIVERS_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "d%d", i);
		d.name = name;
		assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, NULL),
				 0);
	}
	d.name = "onetoomany";
	assert_int_equal(mn_drivers_register(fx->drvs, &d, NULL, NULL),
			 -ENOSPC);
}

static void read_stream(uint64_t seed, const char *dev, unsigned char *buf,
			size_t len)
{
	struct mn_drivers_opts opts = {.deterministic = 1, .seed = seed};
	struct mn_drivers *d;
	struct mn_driver *drv;

	assert_int_equal(mn_drivers_create(&d, NULL, &opts), 0);
	assert_int_equal(mn_drivers_start_all(d, NULL), 0);
	drv = mn_drivers_find(d, dev);
	assert_non_null(drv);
	/* Odd sizes: the stream must not depend on how it is read. */
	assert_int_equal(mn_driver_read(drv, buf, 13, 0), 13);
	assert_int_equal(mn_driver_read(drv, buf + 13, len - 13, 0),
			 (ssize_t)(len - 13));
	mn_drivers_destroy(d);
}

static void test_deterministic_random(void **state)
{
	unsigned char a[1000], b[1000], c[1000], u[1000];

	(void)state;
	read_stream(7, "random", a, sizeof(a));
	read_stream(7, "random", b, sizeof(b));
	read_stream(8, "random", c, sizeof(c));
	read_stream(7, "urandom", u, sizeof(u));
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
	assert_memory_not_equal(a, u, sizeof(a));
}

static void test_host_random(void **state)
{
	struct mn_drivers *d;
	unsigned char a[64], b[64];

	(void)state;
	assert_int_equal(mn_drivers_create(&d, NULL, NULL), 0);
	assert_int_equal(mn_drivers_start_all(d, NULL), 0);
	assert_int_equal(mn_driver_read(mn_drivers_find(d, "urandom"), a, 64,
					0), 64);
	assert_int_equal(mn_driver_read(mn_drivers_find(d, "urandom"), b, 64,
					0), 64);
	assert_memory_not_equal(a, b, 64);
	mn_drivers_shutdown_all(d);
	assert_int_equal(mn_driver_state(mn_drivers_find(d, "null")),
			 MN_DRV_SHUTDOWN);
	mn_drivers_destroy(d);
	mn_drivers_destroy(NULL);

	assert_int_equal(mn_drivers_create(&d, NULL,
					   &(struct mn_drivers_opts){
						   .no_builtins = 1}), 0);
	assert_int_equal(mn_drivers_list(d, NULL, 0), 0);
	mn_drivers_destroy(d);
}

static void test_format(void **state)
{
	struct fx *fx = *state;
	struct mn_strbuf sb = MN_STRBUF_INIT;
	char buf[10];

	assert_int_equal(mn_drivers_start_all(fx->drvs, NULL), 0);
	assert_int_equal(mn_driver_read(get(fx, "zero"), buf, 10, 0), 10);
	assert_int_equal(mn_drivers_format(fx->drvs, &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "NAME"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "urandom"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "running"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "pseudo"));
	mn_strbuf_release(&sb);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_builtins),	  T(test_builtin_io),
		T(test_counters),	  T(test_every_transition),
		T(test_refusal_message),  T(test_events),
		T(test_hook_failure),	  T(test_busy),
		T(test_io_states),	  T(test_control),
		cmocka_unit_test(test_names),
		T(test_register_errors),
		cmocka_unit_test(test_deterministic_random),
		cmocka_unit_test(test_host_random),
		T(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
