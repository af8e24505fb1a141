/*
 * test_kernel - boot, shutdown and the failure paths of the stage sequence.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/config.h>
#include <micronos/evbus.h>
#include <micronos/health.h>
#include <micronos/kernel.h>
#include <micronos/mem.h>
#include <micronos/proc.h>

struct hook_log {
	int started, stopped;
	int fail;
};

static int hook_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	struct hook_log *h = arg;

	(void)k;
	if (h->fail) {
		mn_strbuf_printf(err, "test hook refuses");
		return -EIO;
	}
	h->started++;
	return 0;
}

static void hook_stop(struct mn_kernel *k, void *arg)
{
	struct hook_log *h = arg;

	(void)k;
	h->stopped++;
}

static int setup(void **state)
{
	struct mn_kernel *k;

	assert_int_equal(mn_kernel_create(&k, NULL), 0);
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	mn_kernel_destroy(*state);
	return 0;
}

static void boots_every_stage_in_order(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_stage_info si;
	struct mn_event ev[64];
	size_t n, i;
	int s;

	assert_int_equal(mn_kernel_boot(k, &err), 0);
	assert_true(mn_kernel_is_up(k));
	for (s = 0; s < MN_STAGE__COUNT; s++) {
		mn_kernel_stage_info(k, (enum mn_boot_stage)s, &si);
		assert_true(si.started);
		assert_int_equal(si.error, 0);
		assert_string_equal(si.name, mn_stage_name((enum mn_boot_stage)s));
	}
	assert_non_null(mn_kernel_mem(k));
	assert_non_null(mn_kernel_drivers(k));
	/* Each stage published "stage NAME started", in order. */
	n = mn_evbus_snapshot(mn_kernel_evbus(k), NULL, ev, 64);
	s = 0;
	for (i = 0; i < n && s < MN_STAGE__COUNT; i++) {
		char want[64];

		snprintf(want, sizeof(want), "stage %s started",
			 mn_stage_name((enum mn_boot_stage)s));
		if (strncmp(ev[i].text, want, strlen(want)) == 0)
			s++;
	}
	assert_int_equal(s, MN_STAGE__COUNT);
	assert_int_equal(mn_kernel_boot(k, NULL), -EALREADY);
	mn_kernel_shutdown(k);
	assert_false(mn_kernel_is_up(k));
	mn_kernel_stage_info(k, MN_STAGE_CORE, &si);
	assert_false(si.started);
	mn_kernel_shutdown(k);	/* idempotent */
	mn_strbuf_release(&err);
}

static void kernel_tasks_are_processes(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_proc_info pi;
	int32_t pid;

	assert_int_equal(mn_kernel_boot(k, NULL), 0);
	pid = mn_kernel_ktask(k, "testd", 2);
	assert_true(pid > 1);
	assert_int_equal(mn_proc_get(mn_kernel_procs(k), pid, &pi), 0);
	assert_int_equal(pi.kind, MN_PROC_KTASK);
	assert_int_equal(pi.ppid, 1);
	assert_string_equal(pi.comm, "testd");
	assert_int_equal(mn_proc_get(mn_kernel_procs(k), 1, &pi), 0);
	assert_int_equal(pi.kind, MN_PROC_INIT);
}

static void failing_stage_names_itself_and_unwinds(void **state)
{
	struct mn_kernel *k = *state;
	struct hook_log early = {0}, bad = {.fail = 1};
	struct mn_stage_hook h1 = {"early", hook_start, hook_stop, &early};
	struct mn_stage_hook h2 = {"bad", hook_start, hook_stop, &bad};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_stage_info si;
	int s;

	assert_int_equal(mn_kernel_stage_hook(k, MN_STAGE_DRIVERS, &h1), 0);
	assert_int_equal(mn_kernel_stage_hook(k, MN_STAGE_FUSE, &h2), 0);
	assert_int_equal(mn_kernel_boot(k, &err), -EIO);
	assert_non_null(strstr(mn_strbuf_str(&err), "stage fuse"));
	assert_non_null(strstr(mn_strbuf_str(&err), "test hook refuses"));
	assert_false(mn_kernel_is_up(k));
	assert_int_equal(early.started, 1);
	assert_int_equal(early.stopped, 1);
	assert_int_equal(bad.stopped, 0);	/* never started */
	for (s = 0; s < MN_STAGE__COUNT; s++) {
		mn_kernel_stage_info(k, (enum mn_boot_stage)s, &si);
		assert_false(si.started);
	}
	mn_kernel_stage_info(k, MN_STAGE_FUSE, &si);
	assert_int_equal(si.error, -EIO);
	mn_strbuf_release(&err);
}

static void hooks_are_refused_after_boot_and_when_full(void **state)
{
	struct mn_kernel *k = *state;
	struct hook_log l = {0};
	struct mn_stage_hook h = {"h", hook_start, hook_stop, &l};
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(mn_kernel_stage_hook(k, MN_STAGE_NET, &h), 0);
	assert_int_equal(mn_kernel_stage_hook(k, MN_STAGE_NET, &h), -ENOSPC);
	assert_int_equal(mn_kernel_stage_hook(k, MN_STAGE__COUNT, &h),
			 -EINVAL);
	assert_int_equal(mn_kernel_boot(k, NULL), 0);
	assert_int_equal(l.started, 4);
	assert_int_equal(mn_kernel_stage_hook(k, MN_STAGE_VFS, &h), -EBUSY);
	mn_kernel_shutdown(k);
	assert_int_equal(l.stopped, 4);
}

static void config_persists_in_the_data_dir(void **state)
{
	char dir[] = "/tmp/mn-kernel-XXXXXX";
	char path[128], val[64];
	struct mn_kernel_opts o = {.name = "t"};
	struct mn_kernel *k2;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	o.data_dir = dir;
	assert_int_equal(mn_kernel_create(&k2, &o), 0);
	assert_int_equal(mn_kernel_boot(k2, NULL), 0);
	assert_true(mn_config_set(mn_kernel_config(k2), "kernel.hostname",
				  "saturn", 0, NULL) >= 0);
	mn_kernel_destroy(k2);

	assert_int_equal(mn_kernel_create(&k2, &o), 0);
	assert_int_equal(mn_kernel_boot(k2, NULL), 0);
	assert_true(mn_config_get(mn_kernel_config(k2), "kernel.hostname", val,
				  sizeof(val)) >= 0);
	assert_string_equal(val, "saturn");
	mn_kernel_destroy(k2);

	/* A broken config file stops boot in stage core with its line. */
	snprintf(path, sizeof(path), "%s/config", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kernel.hostname = ok\nevents.history = lots\n", f);
	fclose(f);
	assert_int_equal(mn_kernel_create(&k2, &o), 0);
	{
		struct mn_strbuf err = MN_STRBUF_INIT;

		assert_true(mn_kernel_boot(k2, &err) < 0);
		assert_non_null(strstr(mn_strbuf_str(&err), "stage core"));
		assert_non_null(strstr(mn_strbuf_str(&err), "2"));
		mn_strbuf_release(&err);
	}
	mn_kernel_destroy(k2);
	unlink(path);
	rmdir(dir);
}

static void health_checks_run_on_their_own(void **state)
{
	struct mn_kernel *k = *state;
	int i;

	assert_true(mn_config_set(mn_kernel_config(k), "health.period_ms",
				  "100", 0, NULL) >= 0);
	assert_int_equal(mn_kernel_boot(k, NULL), 0);
	for (i = 0; i < 100; i++) {
		if (mn_health_overall(mn_kernel_health(k)) == MN_HEALTH_OK)
			break;
		usleep(50000);
	}
	assert_int_equal(mn_health_overall(mn_kernel_health(k)), MN_HEALTH_OK);
}

static int exits_seen;
static int32_t exit_pid;

static void count_exit(void *arg, int32_t pid)
{
	(void)arg;
	exit_pid = pid;
	__atomic_add_fetch(&exits_seen, 1, __ATOMIC_SEQ_CST);
}

static void exit_releases_memory_and_calls_layers(void **state)
{
	struct mn_kernel *k = *state;
	const char *argv[] = {"worker", NULL};
	struct mn_proc_spec spec = {
		.ppid = 1, .uid = 1000, .gid = 1000, .kind = MN_PROC_USER,
		.argv = argv,
	};
	uint64_t addr;
	int32_t pid;
	int i;

	assert_int_equal(mn_kernel_on_exit(k, NULL, NULL), -EINVAL);
	assert_int_equal(mn_kernel_on_exit(k, count_exit, NULL), 0);
	assert_int_equal(mn_kernel_boot(k, NULL), 0);
	assert_int_equal(mn_kernel_on_exit(k, count_exit, NULL), -EBUSY);
	pid = mn_proc_create(mn_kernel_procs(k), &spec);
	assert_true(pid > 1);
	assert_int_equal(mn_mem_alloc(mn_kernel_mem(k), 8192, pid, &addr, NULL),
			 0);
	assert_int_equal(mn_mem_used_by(mn_kernel_mem(k), pid), 8192);
	assert_int_equal(mn_proc_exit(mn_kernel_procs(k), pid, MN_W_EXITED(0)),
			 0);
	for (i = 0; i < 200 && !__atomic_load_n(&exits_seen, __ATOMIC_SEQ_CST);
	     i++)
		usleep(10000);
	assert_int_equal(exits_seen, 1);
	assert_int_equal(exit_pid, pid);
	assert_int_equal(mn_mem_used_by(mn_kernel_mem(k), pid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(boots_every_stage_in_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_tasks_are_processes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			failing_stage_names_itself_and_unwinds, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			hooks_are_refused_after_boot_and_when_full, setup,
			teardown),
		cmocka_unit_test(config_persists_in_the_data_dir),
		cmocka_unit_test_setup_teardown(health_checks_run_on_their_own,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			exit_releases_memory_and_calls_layers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
