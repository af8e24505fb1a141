/*
 * test_syscall - the syscall table and dispatcher: the base rows, unknown
 * numbers, missing rows and their messages, wiring and unwiring, added
 * rows and their refusals, fork/getppid against a real process table,
 * statistics (errors counted), the text views, and dispatch racing a
 * re-wiring on other threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/clock.h>
#include <micronos/proc.h>
#include <micronos/syscall.h>

struct fx {
	struct mn_syscalls *s;
	struct mn_proctab *procs;
	struct mn_clock clock;
	struct mn_sysctx ctx;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(mn_syscalls_create(&fx->s), 0);
	mn_clock_init(&fx->clock);
	assert_int_equal(mn_proctab_create(&fx->procs, NULL, &fx->clock,
					   NULL), 0);
	/* A bare context, as a kernel-less caller fills it. */
	fx->ctx.procs = fx->procs;
	fx->ctx.clock = &fx->clock;
	fx->ctx.pid = MN_PID_INIT;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	mn_syscalls_destroy(fx->s);
	mn_proctab_destroy(fx->procs);
	free(fx);
	return 0;
}

static long call(struct fx *fx, uint32_t nr)
{
	return mn_syscall_dispatch(fx->s, &fx->ctx, nr, NULL);
}

static void test_identity(void **state)
{
	struct fx *fx = *state;
	uint64_t junk[6] = {1, 2, 3, 4, 5, 6};

	fx->ctx.pid = 42;
	fx->ctx.uid = 1000;
	fx->ctx.gid = 100;
	assert_int_equal(call(fx, MN_SYS_GETPID), 42);
	assert_int_equal(call(fx, MN_SYS_GETUID), 1000);
	assert_int_equal(call(fx, MN_SYS_GETGID), 100);
	/* Arguments the shell might pass are ignored by these rows. */
	assert_int_equal(mn_syscall_dispatch(fx->s, &fx->ctx, MN_SYS_GETPID,
					     junk), 42);
	assert_string_equal(fx->ctx.msg, "");
}

static void test_unknown(void **state)
{
	struct fx *fx = *state;
	struct mn_syscall_totals t;

	assert_int_equal(call(fx, 1234), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "unknown syscall 1234");
	assert_int_equal(call(fx, 1), -ENOSYS);
	assert_int_equal(call(fx, MN_SYSCALL_NR_MAX), -ENOSYS);
	assert_int_equal(call(fx, UINT32_MAX), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "unknown syscall 4294967295");
	/* The message does not stick to the next, successful call. */
	assert_int_equal(call(fx, MN_SYS_GETPID), 1);
	assert_string_equal(fx->ctx.msg, "");
	mn_syscall_totals(fx->s, &t);
	assert_int_equal(t.unknown, 4);
	assert_int_equal(t.errors, 4);
	assert_int_equal(t.calls, 5);
}

static void test_missing_rows(void **state)
{
	struct fx *fx = *state;
	struct mn_syscall_info in;

	assert_int_equal(call(fx, MN_SYS_OPEN), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "open: the VFS is not loaded");
	assert_int_equal(call(fx, MN_SYS_LSEEK), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "lseek: the VFS is not loaded");
	assert_int_equal(call(fx, MN_SYS_SOCKET), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "socket: the network is not loaded");
	assert_int_equal(call(fx, MN_SYS_ACCEPT), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "accept: the network is not loaded");
	assert_int_equal(mn_syscall_info(fx->s, MN_SYS_OPEN, &in), 0);
	assert_int_equal(in.wired, 0);
	assert_int_equal(in.calls, 1);
	assert_int_equal(in.errors, 1);
	assert_int_equal(in.group, MN_SYSG_FILE);
	assert_int_equal(in.nargs, 3);
	assert_int_equal(in.args[0], MN_ARG_PATH);
	assert_string_equal(in.provider, "the VFS");
}

static long fake_open(struct mn_sysctx *ctx, const uint64_t args[6],
		      void *data)
{
	const char *path = (const char *)(uintptr_t)args[0];

	if (strcmp(path, "/etc/hostname"))
		return mn_sysctx_fail(ctx, -ENOENT, "open: %s: no such file",
				      path);
	return *(int *)data + (long)args[1];
}

static void test_register(void **state)
{
	struct fx *fx = *state;
	int base = 100;
	uint64_t a[6] = {(uintptr_t) "/etc/hostname", 3};
	uint64_t b[6] = {(uintptr_t) "/nope"};
	struct mn_syscall_info in;

	assert_int_equal(mn_syscall_register(fx->s, MN_SYS_OPEN, fake_open,
					     &base), 0);
	assert_int_equal(mn_syscall_dispatch(fx->s, &fx->ctx, MN_SYS_OPEN, a),
			 103);
	assert_int_equal(mn_syscall_dispatch(fx->s, &fx->ctx, MN_SYS_OPEN, b),
			 -ENOENT);
	assert_string_equal(fx->ctx.msg, "open: /nope: no such file");
	assert_int_equal(mn_syscall_info(fx->s, MN_SYS_OPEN, &in), 0);
	assert_int_equal(in.wired, 1);
	assert_int_equal(in.calls, 2);
	assert_int_equal(in.errors, 1);
	/* Rewire, then unwire: missing again, with its message. */
	base = 0;
	assert_int_equal(mn_syscall_register(fx->s, MN_SYS_OPEN, fake_open,
					     &base), 0);
	assert_int_equal(mn_syscall_dispatch(fx->s, &fx->ctx, MN_SYS_OPEN, a),
			 3);
	assert_int_equal(mn_syscall_register(fx->s, MN_SYS_OPEN, NULL, NULL),
			 0);
	assert_int_equal(mn_syscall_dispatch(fx->s, &fx->ctx, MN_SYS_OPEN, a),
			 -ENOSYS);
	assert_string_equal(fx->ctx.msg, "open: the VFS is not loaded");
	/* No such row. */
	assert_int_equal(mn_syscall_register(fx->s, 2999, fake_open, &base),
			 -ENOENT);
	assert_int_equal(mn_syscall_register(fx->s, UINT32_MAX, fake_open,
					     &base), -ENOENT);
}

static long uname_len(struct mn_sysctx *ctx, const uint64_t args[6],
		      void *data)
{
	(void)ctx, (void)args;
	return (long)strlen(data);
}

static void test_add(void **state)
{
	struct fx *fx = *state;
	struct mn_syscall_desc d = {
		.nr = 5001,
		.name = "uname",
		.args = {MN_ARG_PTR},
		.provider = "the sandbox",
		.handler = uname_len,
		.data = "micronos",
	};
	struct mn_syscall_info in;
	char name[24];
	int i, added = 0;

	assert_int_equal(mn_syscall_add(fx->s, &d), 0);
	assert_int_equal(call(fx, 5001), 8);
	assert_int_equal(mn_syscall_lookup(fx->s, "uname"), 5001);
	assert_int_equal(mn_syscall_info(fx->s, 5001, &in), 0);
	assert_int_equal(in.group, MN_SYSG_TIME);
	assert_int_equal(in.nargs, 1);
	/* refusals */
	assert_int_equal(mn_syscall_add(fx->s, &d), -EEXIST);
	d.nr = 5002;
	assert_int_equal(mn_syscall_add(fx->s, &d), -EEXIST);	/* name */
	d.name = "getpid";
	assert_int_equal(mn_syscall_add(fx->s, &d), -EEXIST);
	d.name = "x";
	d.nr = MN_SYSCALL_NR_MAX;
	assert_int_equal(mn_syscall_add(fx->s, &d), -EINVAL);
	d.nr = 5002;
	d.name = "";
	assert_int_equal(mn_syscall_add(fx->s, &d), -EINVAL);
	d.name = "a_name_that_is_far_too_long";
	assert_int_equal(mn_syscall_add(fx->s, &d), -EINVAL);
	d.name = "x";
	d.args[1] = 99;
	assert_int_equal(mn_syscall_add(fx->s, &d), -EINVAL);
	assert_int_equal(mn_syscall_add(fx->s, NULL), -EINVAL);
	/* A missing row added by a layer, without a handler. */
	d.args[1] = MN_ARG_NONE;
	d.handler = NULL;
	assert_int_equal(mn_syscall_add(fx->s, &d), 0);
	assert_int_equal(call(fx, 5002), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "x: the sandbox is not loaded");
	/* fill the table */
	d.provider = NULL;
	for (i = 0; i < MN_SYSCALL_ROWS_MAX; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		d.nr = 6000 + (uint32_t)i;
		d.name = name;
		if (mn_syscall_add(fx->s, &d) < 0)
			break;
		added++;
	}
	assert_int_equal(added, MN_SYSCALL_ROWS_MAX - 17);
	assert_int_equal(mn_syscall_add(fx->s, &d), -ENOSPC);
	assert_int_equal(call(fx, 6000), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "r0: not implemented");
	assert_int_equal(mn_syscall_list(fx->s, NULL, 0), MN_SYSCALL_ROWS_MAX);
}

static void test_fork_getppid(void **state)
{
	struct fx *fx = *state;
	struct mn_proc_info pi;
	long child, grandchild;

	fx->ctx.pid = MN_PID_INIT;
	child = call(fx, MN_SYS_FORK);
	assert_true(child > MN_PID_INIT);
	assert_true(mn_proc_exists(fx->procs, (int32_t)child));
	fx->ctx.pid = (int32_t)child;
	assert_int_equal(call(fx, MN_SYS_GETPID), child);
	assert_int_equal(call(fx, MN_SYS_GETPPID), MN_PID_INIT);

	/* A child copies its parent's credentials. */
	assert_int_equal(mn_proc_set_ids(fx->procs, (int32_t)child, 1000,
					 1000, 50, 50), 0);
	grandchild = call(fx, MN_SYS_FORK);
	assert_true(grandchild > child);
	assert_int_equal(mn_proc_get(fx->procs, (int32_t)grandchild, &pi), 0);
	assert_int_equal(pi.ppid, child);
	assert_int_equal(pi.uid, 1000);
	assert_int_equal(pi.gid, 50);
	fx->ctx.pid = (int32_t)grandchild;
	assert_int_equal(call(fx, MN_SYS_GETPPID), child);

	/* A caller that is not in the table. */
	fx->ctx.pid = 30000;
	assert_int_equal(call(fx, MN_SYS_FORK), -ESRCH);
	assert_non_null(strstr(fx->ctx.msg, "30000"));
	assert_int_equal(call(fx, MN_SYS_GETPPID), -ESRCH);
	/* A bare context without a process table. */
	fx->ctx.procs = NULL;
	assert_int_equal(call(fx, MN_SYS_FORK), -ENOSYS);
	assert_string_equal(fx->ctx.msg, "fork: no process table");
	assert_int_equal(call(fx, MN_SYS_GETPPID), -ENOSYS);
}

static void test_time(void **state)
{
	struct fx *fx = *state;
	long host = (long)(mn_clock_host_real_ns() / MN_NSEC_PER_SEC);
	long t = call(fx, MN_SYS_TIME);

	assert_true(t >= host - 2 && t <= host + 2);
	fx->ctx.clock = NULL;
	t = call(fx, MN_SYS_TIME);
	assert_true(t >= host - 2 && t <= host + 2);
	/* A deterministic clock: boot wall time moved back an hour. */
	fx->clock.boot_real_ns -= 3600 * MN_NSEC_PER_SEC;
	fx->ctx.clock = &fx->clock;
	t = call(fx, MN_SYS_TIME);
	assert_true(t >= host - 3602 && t <= host - 3598);
}

static void test_stats(void **state)
{
	struct fx *fx = *state;
	struct mn_syscall_info in;
	struct mn_syscall_totals t;
	int i;

	for (i = 0; i < 10; i++)
		call(fx, MN_SYS_GETPID);
	fx->ctx.pid = 31000;
	for (i = 0; i < 3; i++)
		call(fx, MN_SYS_GETPPID);
	call(fx, 77);
	assert_int_equal(mn_syscall_info(fx->s, MN_SYS_GETPID, &in), 0);
	assert_int_equal(in.calls, 10);
	assert_int_equal(in.errors, 0);
	assert_int_equal(mn_syscall_info(fx->s, MN_SYS_GETPPID, &in), 0);
	assert_int_equal(in.calls, 3);
	assert_int_equal(in.errors, 3);
	mn_syscall_totals(fx->s, &t);
	assert_int_equal(t.calls, 14);
	assert_int_equal(t.errors, 4);
	assert_int_equal(t.unknown, 1);
	assert_int_equal(mn_syscall_info(fx->s, 77, &in), -ENOENT);
	mn_syscall_stats_reset(fx->s);
	mn_syscall_totals(fx->s, &t);
	assert_int_equal(t.calls, 0);
	assert_int_equal(t.errors, 0);
	assert_int_equal(t.time_ns, 0);
}

static void test_table(void **state)
{
	struct fx *fx = *state;
	struct mn_syscall_info rows[32];
	static const uint32_t nrs[] = {0, 4, 5, 6, 7, 2000, 2001, 2002, 2003,
				       2004, 3000, 3001, 3003, 3004, 5000};
	struct mn_strbuf sb = MN_STRBUF_INIT;
	size_t i;

	assert_int_equal(mn_syscall_list(fx->s, rows, 32), 15);
	for (i = 0; i < 15; i++)
		assert_int_equal(rows[i].nr, nrs[i]);
	assert_string_equal(rows[0].name, "fork");
	assert_int_equal(rows[0].wired, 1);
	assert_string_equal(rows[14].name, "time");
	assert_int_equal(rows[14].group, MN_SYSG_TIME);
	assert_int_equal(rows[10].group, MN_SYSG_NETWORK);
	assert_int_equal(mn_syscall_lookup(fx->s, "listen"), 3003);
	assert_int_equal(mn_syscall_lookup(fx->s, "ioctl"), -ENOENT);
	assert_int_equal(mn_syscall_lookup(fx->s, NULL), -ENOENT);
	assert_string_equal(mn_sys_group_name(MN_SYSG_PROCESS), "process");
	assert_string_equal(mn_sys_group_name(MN_SYSG__COUNT), "?");
	assert_string_equal(mn_sysarg_name(MN_ARG_FD), "fd");
	assert_int_equal(mn_sys_group_of(3004), MN_SYSG_NETWORK);

	assert_int_equal(mn_syscall_format_table(fx->s, &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "(path, flags, mode)"));
	assert_non_null(strstr(mn_strbuf_str(&sb),
			       "missing: the VFS is not loaded"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "getppid"));
	mn_strbuf_reset(&sb);
	call(fx, MN_SYS_GETPID);
	call(fx, MN_SYS_OPEN);
	assert_int_equal(mn_syscall_format_stats(fx->s, &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "getpid"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "total 2 calls, 1 errors"));
	assert_null(strstr(mn_strbuf_str(&sb), "fork"));
	mn_strbuf_release(&sb);
}

/* --- dispatch racing re-wiring -------------------------------------------- */

#define RACE_CALLS 200000

static long ret_data(struct mn_sysctx *ctx, const uint64_t args[6],
		     void *data)
{
	(void)ctx, (void)args;
	return (long)(intptr_t)data;
}

static void *racer(void *arg)
{
	struct fx *fx = arg;
	struct mn_sysctx ctx = {.pid = 9};
	long i, bad = 0;

	for (i = 0; i < RACE_CALLS; i++) {
		long r = mn_syscall_dispatch(fx->s, &ctx, MN_SYS_CLOSE, NULL);

		if (r != 1 && r != 2 && r != -ENOSYS)
			bad++;
	}
	return (void *)(intptr_t)bad;
}

static void test_race(void **state)
{
	struct fx *fx = *state;
	pthread_t th[2];
	struct mn_syscall_info in;
	void *bad;
	int i;

	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, racer, fx), 0);
	for (i = 0; i < 2000; i++)
		mn_syscall_register(fx->s, MN_SYS_CLOSE,
				    i % 3 ? ret_data : NULL,
				    (void *)(intptr_t)(1 + i % 2));
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_null(bad);
	}
	assert_int_equal(mn_syscall_info(fx->s, MN_SYS_CLOSE, &in), 0);
	assert_int_equal(in.calls, 2 * RACE_CALLS);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),    T(test_unknown),	 T(test_missing_rows),
		T(test_register),    T(test_add),	 T(test_fork_getppid),
		T(test_time),	     T(test_stats),	 T(test_table),
		T(test_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
