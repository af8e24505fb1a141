/*
 * test_kernel - boot, shutdown and the failure paths of the stage sequence.
 */
#include <errno.h>
#include <signal.h>
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
#include <micronos/log.h>
#include <micronos/sched.h>
#include <micronos/signal.h>
#include <micronos/driver.h>
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

/* Waits up to 10 s for component name to satisfy want(); 1 if it did. */
static int health_wait(struct mn_kernel *k, const char *name,
		       int (*want)(const struct mn_health_info *, void *),
		       void *arg, struct mn_health_info *out)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (mn_health_get(mn_kernel_health(k), name, out) == 0 &&
		    want(out, arg))
			return 1;
		usleep(10000);
	}
	return 0;
}

static int is_reported(const struct mn_health_info *hi, void *arg)
{
	return hi->status != MN_HEALTH_OK && strstr(hi->message, arg);
}

static int recovered_since(const struct mn_health_info *hi, void *arg)
{
	return hi->recoveries > *(uint64_t *)arg &&
	       hi->status == MN_HEALTH_OK;
}

static int boot_watched(struct mn_kernel *k)
{
	/* checks every 100 ms; recover what is down for 300 ms */
	if (mn_config_set(mn_kernel_config(k), "health.period_ms", "200", 0,
			  NULL) < 0 ||
	    mn_config_set(mn_kernel_config(k), "health.grace_ms", "300", 0,
			  NULL) < 0)
		return -1;
	return mn_kernel_boot(k, NULL);
}

/*
 * Each kernel task suspended is reported by the watchdog, even timerd
 * (which used to drive the checks) and healthd (which runs them), and
 * resumed once past the grace; each recovery is an event.
 */
static void health_resumes_every_kernel_task(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_proc_info pis[64];
	struct mn_health_info hi;
	struct mn_sched_task_stats ts;
	struct mn_event ev[256];
	size_t n, i, j, tasks = 0;
	uint64_t before;
	char who[32];

	assert_int_equal(boot_watched(k), 0);
	n = mn_proc_list(mn_kernel_procs(k), pis, 64);
	for (i = 0; i < n && i < 64; i++) {
		int found = 0;

		if (pis[i].kind != MN_PROC_KTASK)
			continue;
		tasks++;
		assert_int_equal(mn_health_get(mn_kernel_health(k), "ktasks",
					       &hi), 0);
		before = hi.recoveries;
		assert_int_equal(mn_signals_kill(mn_kernel_signals(k), NULL,
						 pis[i].pid, SIGSTOP), 0);
		snprintf(who, sizeof(who), "(%d) suspended", (int)pis[i].pid);
		if (!health_wait(k, "ktasks", is_reported, who, &hi))
			fail_msg("%s (%d) suspended is not reported: %s",
				 pis[i].comm, (int)pis[i].pid, hi.message);
		if (!health_wait(k, "ktasks", recovered_since, &before, &hi))
			fail_msg("%s (%d) is not resumed: %s", pis[i].comm,
				 (int)pis[i].pid, hi.message);
		assert_int_equal(mn_sched_task_stats(mn_kernel_sched(k),
						     pis[i].pid, &ts), 0);
		assert_false(ts.suspended);
		snprintf(who, sizeof(who), "resumed %d", (int)pis[i].pid);
		n = mn_evbus_snapshot(mn_kernel_evbus(k), NULL, ev, 256);
		for (j = 0; j < n; j++)
			found |= strstr(ev[j].text, "ktasks: recovery ok") &&
				 strstr(ev[j].text, who);
		if (!found)
			fail_msg("no recovery event for %s", who);
		n = mn_proc_list(mn_kernel_procs(k), pis, 64);
	}
	assert_true(tasks >= 2);	/* timerd and healthd at least */
}

static int driver_running(const struct mn_health_info *hi, void *arg)
{
	struct mn_driver_info di;
	struct mn_kernel *k = ((void **)arg)[0];
	const char *name = ((void **)arg)[1];
	uint64_t before = *(uint64_t *)((void **)arg)[2];

	if (hi->recoveries <= before)
		return 0;
	mn_driver_info(mn_drivers_find(mn_kernel_drivers(k), name), &di);
	return di.state == MN_DRV_RUNNING;
}

/*
 * Each driver stopped or suspended is reported and restarted; one shut
 * down (terminal) is reported and left alone.
 */
static void health_restarts_every_driver(void **state)
{
	static const char *const verbs[] = {"stop", "suspend"};
	struct mn_kernel *k = *state;
	struct mn_driver_info di[32];
	struct mn_health_info hi;
	size_t n, i, v;

	assert_int_equal(boot_watched(k), 0);
	n = mn_drivers_list(mn_kernel_drivers(k), di, 32);
	assert_true(n >= 5);
	for (i = 0; i < n && i < 32; i++) {
		for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
			struct mn_driver *drv = mn_drivers_find(
				mn_kernel_drivers(k), di[i].name);
			uint64_t before;
			void *arg[3] = {k, di[i].name, &before};

			assert_int_equal(mn_health_get(mn_kernel_health(k),
						       "drivers", &hi), 0);
			before = hi.recoveries;
			assert_int_equal(mn_driver_control(drv, verbs[v],
							   NULL), 0);
			if (!health_wait(k, "drivers", is_reported,
					 di[i].name, &hi))
				fail_msg("%s after %s is not reported: %s",
					 di[i].name, verbs[v], hi.message);
			if (!health_wait(k, "drivers", driver_running, arg,
					 &hi))
				fail_msg("%s after %s is not restarted: %s",
					 di[i].name, verbs[v], hi.message);
		}
	}
	assert_int_equal(mn_driver_control(mn_drivers_find(
		mn_kernel_drivers(k), "zero"), "shutdown", NULL), 0);
	if (!health_wait(k, "drivers", is_reported, "zero shutdown", &hi))
		fail_msg("zero shut down is not reported: %s", hi.message);
	usleep(600000);	/* past the grace: still no attempt */
	assert_int_equal(mn_health_get(mn_kernel_health(k), "drivers", &hi),
			 0);
	assert_int_equal(hi.status, MN_HEALTH_DEGRADED);
	assert_non_null(strstr(hi.message, "zero shutdown"));
}

/* The events check fails when a subscriber loses what it wanted. */
static void health_events_can_fail(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_health_info hi;
	struct mn_evsub *sub;
	int i;

	assert_int_equal(boot_watched(k), 0);
	assert_int_equal(mn_evsub_create(&sub, mn_kernel_evbus(k), NULL, 0),
			 0);
	for (i = 0; i < 3000; i++)	/* three times the history */
		mn_evbus_publish(mn_kernel_evbus(k), MN_EV_CUSTOM,
				 MN_SRC_KERNEL, 0, "flood %d", i);
	if (!health_wait(k, "events", is_reported, "lost", &hi))
		fail_msg("events: lost events not reported: %s", hi.message);
	assert_int_equal(hi.status, MN_HEALTH_FAILED);
	mn_evsub_destroy(sub);
}

/* Finds a log line at level with both words, waiting up to 5 s. */
static int log_has(struct mn_kernel *k, int level, const char *a,
		   const char *b)
{
	static struct mn_log_entry e[256];
	size_t n, i;
	int t;

	for (t = 0; t < 500; t++) {
		n = mn_log_snapshot(mn_kernel_log(k), e, 256, MN_LOG_DEBUG);
		for (i = 0; i < n; i++)
			if (e[i].level == level && strstr(e[i].text, a) &&
			    strstr(e[i].text, b))
				return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * Every subsystem's reports reach the log through the bridge, each at its
 * level: a driver's transition is a notice, a process created debug, a
 * health component failing an error.
 */
static void log_bridge_levels(void **state)
{
	struct mn_kernel *k = *state;
	int32_t pid;

	assert_true(mn_config_set(mn_kernel_config(k), "log.level", "debug", 0,
				  NULL) >= 0);
	assert_int_equal(boot_watched(k), 0);
	assert_int_equal(mn_driver_control(mn_drivers_find(
		mn_kernel_drivers(k), "zero"), "stop", NULL), 0);
	assert_true(log_has(k, MN_LOG_NOTICE, "Custom(300)",
			    "zero: running -> stopped"));
	assert_true(log_has(k, MN_LOG_ERROR, "Custom(501)",
			    "drivers: degraded -> failed"));
	pid = mn_kernel_ktask(k, "logd", MN_PRIO_NORMAL);
	assert_true(pid > 0);
	assert_true(log_has(k, MN_LOG_DEBUG, "ProcessCreated", "logd"));
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
		cmocka_unit_test_setup_teardown(
			health_resumes_every_kernel_task, setup, teardown),
		cmocka_unit_test_setup_teardown(
			health_restarts_every_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(health_events_can_fail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(log_bridge_levels, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
