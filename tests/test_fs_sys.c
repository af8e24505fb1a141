/*
 * test_fs_sys - /sys through the VFS path API on a booted kernel: every
 * file readable with the offsets contract, config keys as files (valid and
 * invalid writes, permissions), the hostname, driver state writes driving
 * the lifecycle as `driver NAME ACTION` does, and the memory, scheduler and
 * cpu files against the modules.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/clock.h>
#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/mem.h>
#include <micronos/log.h>
#include <micronos/sched.h>
#include <micronos/signal.h>
#include <micronos/stats.h>
#include <micronos/sys_ident.h>
#include <micronos/syscall.h>

#include "fs_trees_test.h"

static int setup(void **state)
{
	*state = tt_boot("systest");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	mn_kernel_destroy(*state);
	return 0;
}

static void t_every_file_readable(void **state)
{
	assert_true(tt_walk_check(*state, "/sys", NULL) > 30);
}

static void t_config_keys_are_files(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_config_info ci[MN_CONFIG_MAX_KEYS];
	struct tt_names nm = tt_list(k, "/sys/config");
	char path[128], want[MN_CONFIG_VALUE_MAX + 2], *text;
	int n, i;

	n = mn_config_list(mn_kernel_config(k), NULL, ci, MN_CONFIG_MAX_KEYS);
	assert_true(n > 5);
	assert_int_equal(nm.n, (size_t)n);
	for (i = 0; i < n; i++) {
		assert_true(tt_has(&nm, ci[i].name));
		snprintf(path, sizeof(path), "/sys/config/%.64s", ci[i].name);
		snprintf(want, sizeof(want), "%s\n", ci[i].value);
		text = tt_cat(k, path);
		assert_string_equal(text, want);
		free(text);
	}
	tt_names_free(&nm);
}

static void t_config_write(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_config *cfg = mn_kernel_config(k);
	char buf[64], *text;
	struct stat st;

	assert_int_equal(tt_write(k, &tt_root, "/sys/config/ipc.capacity",
				  "128\n"), 4);
	assert_true(mn_config_get(cfg, "ipc.capacity", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "128");
	text = tt_cat(k, "/sys/config/ipc.capacity");
	assert_string_equal(text, "128\n");
	free(text);

	/* out of range, wrong type: EINVAL and nothing changes */
	assert_int_equal(tt_write(k, &tt_root, "/sys/config/ipc.capacity",
				  "0\n"), -EINVAL);
	assert_int_equal(tt_write(k, &tt_root, "/sys/config/ipc.capacity",
				  "many\n"), -EINVAL);
	assert_true(mn_config_get(cfg, "ipc.capacity", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "128");
	assert_int_equal(tt_write(k, &tt_root, "/sys/config/log.level",
				  "loud\n"), -EINVAL);
	assert_int_equal(tt_write(k, &tt_root, "/sys/config/log.level",
				  "debug\n"), 6);
	assert_true(mn_config_get(cfg, "log.level", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "debug");

	/* only root writes; unknown keys are not there */
	assert_int_equal(tt_write(k, &tt_user, "/sys/config/ipc.capacity",
				  "64\n"), -EACCES);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/",
					  "/sys/config/no.such.key", 0, &st),
			 -ENOENT);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/",
					  "/sys/config/ipc.capacity", 0, &st),
			 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0644);
}

static void t_kernel_files(void **state)
{
	struct mn_kernel *k = *state;
	char buf[64], *text;

	text = tt_cat(k, "/sys/kernel/version");
	assert_string_equal(text, MN_VERSION "\n");
	free(text);
	text = tt_cat(k, "/sys/kernel/name");
	assert_string_equal(text, "systest\n");
	free(text);
	text = tt_cat(k, "/sys/kernel/boot_time");
	assert_int_equal(strtoull(text, NULL, 10),
			 mn_kernel_clock(k)->boot_real_ns / 1000000000ULL);
	free(text);
	text = tt_cat(k, "/sys/kernel/uptime");
	assert_non_null(strchr(text, '.'));
	free(text);

	assert_int_equal(tt_write(k, &tt_root, "/sys/kernel/hostname",
				  "alpha\n"), 6);
	assert_true(mn_config_get(mn_kernel_config(k), "kernel.hostname", buf,
				  sizeof(buf)) > 0);
	assert_string_equal(buf, "alpha");
	text = tt_cat(k, "/sys/config/kernel.hostname");
	assert_string_equal(text, "alpha\n");
	free(text);
	text = tt_cat(k, "/etc/hostname");
	assert_non_null(strstr(text, "alpha"));
	free(text);
	assert_int_equal(tt_write(k, &tt_root, "/sys/kernel/hostname",
				  "-bad\n"), -EINVAL);
	text = tt_cat(k, "/sys/kernel/hostname");
	assert_string_equal(text, "alpha\n");
	free(text);
	assert_int_equal(tt_write(k, &tt_root, "/sys/kernel/version", "9\n"),
			 -EACCES);
}

/*
 * One setter behind every hostname writer: the files of /sys and /proc
 * and a direct call agree on trimming, limits and the logged reason.
 */
static void t_hostname_one_setter(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_strbuf why = MN_STRBUF_INIT, log = MN_STRBUF_INIT;
	char long_name[MN_UTS_LEN + 1], buf[80];

	assert_int_equal(tt_write(k, &tt_root, "/proc/sys/kernel/hostname",
				  "beta \n"), 6);
	assert_true(mn_config_get(mn_kernel_config(k), "kernel.hostname", buf,
				  sizeof(buf)) > 0);
	assert_string_equal(buf, "beta");
	/* not NUL-terminated: len bytes count, the rest is not read */
	assert_int_equal(mn_sys_ident_set_hostname(k, "gammaXYZ", 5, 0, &why),
			 0);
	assert_true(mn_config_get(mn_kernel_config(k), "kernel.hostname", buf,
				  sizeof(buf)) > 0);
	assert_string_equal(buf, "gamma");

	memset(long_name, 'a', MN_UTS_LEN);
	long_name[MN_UTS_LEN] = '\0';
	assert_int_equal(mn_sys_ident_set_hostname(k, long_name, MN_UTS_LEN,
						   0, &why), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&why), "longer than 64"));
	assert_int_equal(mn_sys_ident_set_hostname(k, " \n", 2, 0, NULL),
			 -EINVAL);
	assert_int_equal(tt_write(k, &tt_root, "/proc/sys/kernel/hostname",
				  "no space\n"), -EINVAL);
	assert_int_equal(tt_write(k, &tt_root, "/sys/kernel/hostname",
				  "\n"), -EINVAL);
	assert_true(mn_config_get(mn_kernel_config(k), "kernel.hostname", buf,
				  sizeof(buf)) > 0);
	assert_string_equal(buf, "gamma");
	/* each refusal says why in the kernel log: four so far */
	mn_log_recent(mn_kernel_log(k), &log, 0, MN_LOG_WARNING);
	assert_non_null(strstr(mn_strbuf_str(&log),
			       "host name refused: is empty"));
	assert_non_null(strstr(mn_strbuf_str(&log), "not a host name"));
	mn_strbuf_release(&log);
	mn_strbuf_release(&why);
}

static enum mn_drv_state drv_state(struct mn_kernel *k, const char *name)
{
	return mn_driver_state(mn_drivers_find(mn_kernel_drivers(k), name));
}

static void t_drivers(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_driver_info di[MN_DRIVERS_MAX];
	struct tt_names nm = tt_list(k, "/sys/drivers");
	size_t n = mn_drivers_list(mn_kernel_drivers(k), di, MN_DRIVERS_MAX);
	char *text, buf[16], page[4096];
	struct mn_vfs_file *f;
	size_t i;

	assert_int_equal(nm.n, n);
	for (i = 0; i < n; i++)
		assert_true(tt_has(&nm, di[i].name));
	tt_names_free(&nm);
	text = tt_cat(k, "/sys/drivers/random/type");
	assert_string_equal(text, "character\n");
	free(text);
	text = tt_cat(k, "/sys/drivers/random/state");
	assert_string_equal(text, "running\n");
	free(text);

	/* echo stop > sys/drivers/random/state */
	assert_int_equal(tt_write(k, &tt_root, "/sys/drivers/random/state",
				  "stop\n"), 5);
	assert_int_equal(drv_state(k, "random"), MN_DRV_STOPPED);
	text = tt_cat(k, "/sys/drivers/random/state");
	assert_string_equal(text, "stopped\n");
	free(text);
	/* illegal transition and unknown verb: EINVAL, state kept */
	assert_int_equal(tt_write(k, &tt_root, "/sys/drivers/random/state",
				  "suspend\n"), -EINVAL);
	assert_int_equal(tt_write(k, &tt_root, "/sys/drivers/random/state",
				  "explode\n"), -EINVAL);
	assert_int_equal(drv_state(k, "random"), MN_DRV_STOPPED);
	assert_int_equal(tt_write(k, &tt_user, "/sys/drivers/random/state",
				  "start\n"), -EACCES);
	assert_int_equal(tt_write(k, &tt_root, "/sys/drivers/random/state",
				  "start"), 5);
	assert_int_equal(drv_state(k, "random"), MN_DRV_RUNNING);

	/* counters follow I/O through /dev */
	text = tt_cat(k, "/sys/drivers/zero/reads");
	snprintf(buf, sizeof(buf), "%s", text);
	free(text);
	f = tt_open(k, &tt_root, "/dev/zero", O_RDONLY);
	assert_int_equal(mn_vfs_read(f, page, sizeof(page), 0), sizeof(page));
	mn_vfs_release(f);
	text = tt_cat(k, "/sys/drivers/zero/reads");
	assert_int_equal(strtoull(text, NULL, 10),
			 strtoull(buf, NULL, 10) + 1);
	free(text);
	assert_int_equal(tt_write(k, &tt_root, "/sys/drivers/zero/reads",
				  "0\n"), -EACCES);
}

static void t_memory_scheduler_cpu(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_sched_stats ss;
	struct mn_meminfo mi;
	char *text, want[32];
	cpu_set_t set;
	long n;

	/* MicronOS's CPUs: those it may use (affinity), numbered from 0 */
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	n = CPU_COUNT(&set);
	mn_mem_info(mn_kernel_mem(k), &mi);
	text = tt_cat(k, "/sys/memory/total");
	assert_int_equal(strtoull(text, NULL, 10), mi.total);
	free(text);
	text = tt_cat(k, "/sys/memory/fragmentation");
	assert_true(strtod(text, NULL) >= 0 && strtod(text, NULL) <= 1);
	free(text);
	mn_sched_stats(mn_kernel_sched(k), &ss);
	text = tt_cat(k, "/sys/scheduler/workers");
	assert_int_equal(atoi(text), ss.workers);
	free(text);
	text = tt_cat(k, "/sys/scheduler/classes");
	assert_non_null(strstr(text, "urgent"));
	free(text);
	text = tt_cat(k, "/sys/scheduler/tasks");
	assert_non_null(strstr(text, "timerd"));
	free(text);
	if (n > 1)
		snprintf(want, sizeof(want), "0-%ld\n", n - 1);
	else
		snprintf(want, sizeof(want), "0\n");
	text = tt_cat(k, "/sys/devices/system/cpu/online");
	assert_string_equal(text, want);
	free(text);
}

/* /sys/stats/NAME as a number, or -1 when there is no such file. */
static long long stat_file(struct mn_kernel *k, const char *name)
{
	char path[128];
	struct stat st;
	char *text;
	long long v;

	snprintf(path, sizeof(path), "/sys/stats/%s", name);
	if (mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/", path, 0, &st) < 0)
		return -1;
	text = tt_cat(k, path);
	v = strtoll(text, NULL, 10);
	free(text);
	return v;
}

/* Each subsystem's counters move when it works, in the shell's table and
 * in /sys/stats alike. */
static void t_stats_move(void **state)
{
	static const char *const names[] = {
		"syscalls.calls", "syscalls.nr.getpid.calls", "proc.created",
		"sched.completed", "signals.sent", "events.published",
		"events.type.ProcessCreated", "mem.allocs",
		"drivers.zero.bytes_read",
	};
	struct mn_kernel *k = *state;
	long long before[sizeof(names) / sizeof(names[0])];
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct mn_vfs_file *f;
	struct mn_sysctx ctx;
	char buf[4096];
	uint64_t addr;
	int32_t pid;
	size_t i;
	char *text;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		before[i] = stat_file(k, names[i]);
	/* a syscall, a process, kernel jobs, signals, memory, a driver */
	mn_sysctx_init(&ctx, k, 1, 0, 0);
	assert_true(mn_syscall_dispatch(mn_kernel_syscalls(k), &ctx,
					MN_SYS_GETPID, NULL) >= 0);
	pid = mn_kernel_ktask(k, "statsd", MN_PRIO_NORMAL);
	assert_true(pid > 0);
	assert_int_equal(mn_signals_kill(mn_kernel_signals(k), NULL, pid,
					 SIGSTOP), 0);
	assert_int_equal(mn_signals_kill(mn_kernel_signals(k), NULL, pid,
					 SIGCONT), 0);
	assert_int_equal(mn_mem_alloc(mn_kernel_mem(k), 4096, pid, &addr,
				      NULL), 0);
	f = tt_open(k, &tt_root, "/dev/zero", O_RDONLY);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), sizeof(buf));
	mn_vfs_release(f);
	for (i = 0; i < 100 && stat_file(k, "sched.completed") <= before[3];
	     i++)
		usleep(10000);	/* a job of a kernel task finishes */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long long now = stat_file(k, names[i]);

		if (now <= before[i])
			fail_msg("%s did not move: %lld -> %lld", names[i],
				 before[i], now);
	}
	assert_true(stat_file(k, "mem.ram.used") > 0);
	assert_true(stat_file(k, "mem.ram.total") >= stat_file(k,
							       "mem.ram.used"));
	assert_int_equal(stat_file(k, "no.such.stat"), -1);
	/* the same figures in the shell's table and the Prometheus file */
	assert_true(mn_stats_format(mn_kernel_stats(k), "syscalls.", &sb) > 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "syscalls.nr.getpid.calls"));
	mn_strbuf_release(&sb);
	text = tt_cat(k, "/sys/stats/metrics");
	assert_non_null(strstr(text, "# TYPE micronos_syscalls_calls counter\n"
			       "micronos_syscalls_calls "));
	assert_non_null(strstr(text, "micronos_mem_ram_used "));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_every_file_readable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_config_keys_are_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_config_write, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_kernel_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_hostname_one_setter, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_drivers, setup, teardown),
		cmocka_unit_test_setup_teardown(t_memory_scheduler_cpu, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_stats_move, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
