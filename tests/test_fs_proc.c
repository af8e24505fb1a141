/*
 * test_fs_proc - /proc through the VFS path API on a booted kernel: every
 * file readable with the offsets contract, /proc/PID/stat's 52 fields for
 * init, kernel tasks and user processes, /proc/self per caller, status,
 * fd/ from the syscalls' descriptor tables, the system files and the
 * writable sys/kernel files.
 */
#include <errno.h>
#include <sched.h>
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
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/proc.h>
#include <micronos/signal.h>
#include <micronos/syscall.h>

#include "fs_trees_test.h"

static int setup(void **state)
{
	*state = tt_boot("proctest");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	mn_kernel_destroy(*state);
	return 0;
}

/* A user process, child of init, running `argv`. */
static int32_t spawn(struct mn_kernel *k, uint32_t uid)
{
	const char *argv[] = {"/bin/sleep", "100", NULL};
	struct mn_proc_spec spec = {
		.ppid = 1, .uid = uid, .gid = uid, .kind = MN_PROC_USER,
		.prio = MN_PRIO_NORMAL, .argv = argv, .cwd = "/home",
	};
	int32_t pid = mn_proc_create(mn_kernel_procs(k), &spec);

	assert_true(pid > 0);
	return pid;
}

static void t_every_file_readable(void **state)
{
	struct mn_kernel *k = *state;

	spawn(*state, 1000);
	/* /proc/self is a link; the walk reaches every pid's files */
	assert_true(tt_walk_check(k, "/proc", NULL) > 50);
}

/* Parses /proc/PID/stat: 52 fields, comm between the parens. */
static void check_stat(struct mn_kernel *k, int32_t pid, char *comm,
		       size_t commsz, char *state, long *field)
{
	char path[64], *text, *open, *close, *f[64] = {NULL};
	int n, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = tt_cat(k, path);
	open = strchr(text, '(');
	close = strrchr(text, ')');
	assert_non_null(open);
	assert_non_null(close);
	assert_int_equal(atoi(text), pid);
	snprintf(comm, commsz, "%.*s", (int)(close - open - 1), open + 1);
	n = tt_split(close + 1, f, 64);
	if (n != 50)	/* the 52 fields less pid and comm */
		fail_msg("%s has %d fields, want 52", path, n + 2);
	*state = f[0] ? f[0][0] : '?';
	for (i = 0; i < n; i++)
		field[i + 3] = strtol(f[i], NULL, 10);
	free(text);
}

static void t_stat_init_ktasks_user(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_proc_info pi[64];
	long field[53] = {0};
	char comm[32], st;
	size_t n, i;
	int32_t pid = spawn(k, 1000);

	check_stat(k, 1, comm, sizeof(comm), &st, field);
	assert_string_equal(comm, "init");
	assert_int_equal(field[4], 0);		/* ppid */
	assert_int_equal(field[5], 1);		/* pgrp */
	assert_int_equal(field[7], 0);		/* tty_nr */
	assert_int_equal(field[19], 0);		/* nice */
	assert_true(field[20] >= 1);		/* threads */
	assert_true(field[23] > 0);		/* vsize: the daemon's */

	n = mn_proc_list(mn_kernel_procs(k), pi, 64);
	for (i = 0; i < n && i < 64; i++) {
		if (pi[i].kind != MN_PROC_KTASK)
			continue;
		check_stat(k, pi[i].pid, comm, sizeof(comm), &st, field);
		assert_string_equal(comm, pi[i].comm);
		assert_true(st == 'R' || st == 'S' || st == 'T');
		assert_int_equal(field[4], 1);
		assert_true(field[9] & 0x00200000);	/* PF_KTHREAD */
		assert_int_equal(field[23], 0);	/* no memory map */
	}

	check_stat(k, pid, comm, sizeof(comm), &st, field);
	assert_string_equal(comm, "sleep");
	assert_int_equal(st, 'R');
	assert_int_equal(field[4], 1);
	assert_int_equal(field[18], 20);	/* priority 20 + nice 0 */
	assert_int_equal(field[38], 17);	/* exit_signal */

	assert_int_equal(mn_proc_suspend(mn_kernel_procs(k), pid), 0);
	check_stat(k, pid, comm, sizeof(comm), &st, field);
	assert_int_equal(st, 'T');
	assert_int_equal(mn_proc_exit(mn_kernel_procs(k), pid,
				      MN_W_EXITED(3)), 0);
}

static void t_zombie_and_gone(void **state)
{
	struct mn_kernel *k = *state;
	int32_t pid = spawn(k, 1000), child;
	const char *argv[] = {"child", NULL};
	struct mn_proc_spec spec = {
		.ppid = pid, .uid = 1000, .gid = 1000, .kind = MN_PROC_USER,
		.argv = argv,
	};
	long field[53] = {0};
	char comm[32], st, path[64];
	struct stat sb;
	size_t len;
	char *text;

	child = mn_proc_create(mn_kernel_procs(k), &spec);
	assert_true(child > 0);
	assert_int_equal(mn_proc_exit(mn_kernel_procs(k), child,
				      MN_W_EXITED(7)), 0);
	check_stat(k, child, comm, sizeof(comm), &st, field);
	assert_int_equal(st, 'Z');
	assert_int_equal(field[52], MN_W_EXITED(7));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)child);
	text = tt_cat_as(k, &tt_root, path, &len);
	assert_int_equal(len, 1);	/* empty, plus the helper's NUL */
	free(text);
	assert_int_equal(mn_proc_wait(mn_kernel_procs(k), pid, child, 0, NULL,
				      NULL), child);
	snprintf(path, sizeof(path), "/proc/%d", (int)child);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/", path,
					  0, &sb), -ENOENT);
}

static void t_self_per_caller(void **state)
{
	struct mn_kernel *k = *state;
	int32_t pid = spawn(k, 1000);
	struct mn_vfs_cred me = {1000, 1000, pid, 0, NULL, 0};
	struct mn_vfs_cred ghost = {1000, 1000, 30000, 0, NULL, 0};
	char buf[64], want[16], *text;
	ssize_t n;
	size_t len;

	n = mn_vfs_readlink_path(mn_vfs_of(k), &me, "/", "/proc/self", buf,
				 sizeof(buf));
	snprintf(want, sizeof(want), "%d", (int)pid);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
	n = mn_vfs_readlink_path(mn_vfs_of(k), &tt_root, "/", "/proc/self",
				 buf, sizeof(buf));
	assert_int_equal(n, 1);
	assert_memory_equal(buf, "1", 1);
	assert_true(mn_vfs_readlink_path(mn_vfs_of(k), &ghost, "/",
					 "/proc/self", buf, sizeof(buf)) < 0);
	/* following it reaches the caller's own files */
	text = tt_cat_as(k, &me, "/proc/self/stat", &len);
	assert_int_equal(atoi(text), pid);
	free(text);
	text = tt_cat_as(k, &me, "/proc/thread-self/comm", &len);
	assert_string_equal(text, "sleep\n");
	free(text);
}

static const char *line_of(const char *text, const char *key)
{
	const char *p = text;
	size_t n = strlen(key);

	while (p && *p) {
		if (strncmp(p, key, n) == 0 && p[n] == ':')
			return p + n + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	fail_msg("no %s line", key);
	return NULL;
}

static void t_status(void **state)
{
	struct mn_kernel *k = *state;
	int32_t pid = spawn(k, 1000);
	uint64_t set = MN_SIGBIT(10);	/* SIGUSR1 */
	char path[64], *text;
	unsigned u[4];

	assert_int_equal(mn_signals_mask(mn_kernel_signals(k), pid,
					 MN_SIG_BLOCK, &set, NULL), 0);
	assert_int_equal(mn_signals_set_disp(mn_kernel_signals(k), pid, 15,
					     MN_SIG_IGN), 0);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = tt_cat(k, path);
	assert_int_equal(strncmp(text, "Name:\tsleep\n", 12), 0);
	assert_int_equal(strncmp(line_of(text, "State"), "\tR (running)\n",
				 13), 0);
	assert_int_equal(atoi(line_of(text, "Pid")), pid);
	assert_int_equal(atoi(line_of(text, "PPid")), 1);
	assert_int_equal(sscanf(line_of(text, "Uid"), "%u %u %u %u", &u[0],
				&u[1], &u[2], &u[3]), 4);
	assert_int_equal(u[0], 1000);
	assert_int_equal(strtoull(line_of(text, "SigBlk"), NULL, 16), set);
	assert_int_equal(strtoull(line_of(text, "SigIgn"), NULL, 16),
			 MN_SIGBIT(15));
	assert_non_null(line_of(text, "VmRSS"));
	assert_non_null(line_of(text, "Cpus_allowed_list"));
	assert_int_equal(atoi(line_of(text, "Syscalls")), 0);
	assert_int_equal(strncmp(line_of(text, "Kind"), "\tuser\n", 6), 0);
	free(text);
	/* a kernel task: no Vm lines */
	text = tt_cat(k, "/proc/2/status");
	assert_null(strstr(text, "VmRSS"));
	free(text);
	mn_proc_exit(mn_kernel_procs(k), pid, 0);
}

static void t_cmdline_comm_cwd_exe(void **state)
{
	static const char want[] = "/bin/sleep\0" "100";
	struct mn_kernel *k = *state;
	int32_t pid = spawn(k, 1000);
	char path[64], buf[256], *text;
	struct mn_vfs_file *f;
	size_t len;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	text = tt_cat_as(k, &tt_root, path, &len);
	assert_int_equal(len, sizeof(want) + 1);	/* + the helper's NUL */
	assert_memory_equal(text, want, sizeof(want));
	free(text);
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	n = mn_vfs_readlink_path(mn_vfs_of(k), &tt_root, "/", path, buf,
				 sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "/home", 5);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = mn_vfs_readlink_path(mn_vfs_of(k), &tt_root, "/", path, buf,
				 sizeof(buf));
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "/bin/sleep", 10);
	/* environ: 0400 of the owner */
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	text = tt_cat_as(k, &tt_user, path, &len);
	free(text);
	f = NULL;
	assert_int_equal(mn_vfs_open_path(mn_vfs_of(k), &tt_user, "/",
					  "/proc/1/environ", O_RDONLY, 0, &f),
			 -EACCES);
	/* kernel tasks: empty command line, no exe */
	text = tt_cat_as(k, &tt_root, "/proc/2/cmdline", &len);
	assert_int_equal(len, 1);
	free(text);
	assert_true(mn_vfs_readlink_path(mn_vfs_of(k), &tt_root, "/",
					 "/proc/2/exe", buf, sizeof(buf)) < 0);
	mn_proc_exit(mn_kernel_procs(k), pid, 0);
}

static void t_fd_and_task(void **state)
{
	struct mn_kernel *k = *state;
	int32_t pid = spawn(k, 0);
	uint64_t args[6] = {(uintptr_t)"/proc/meminfo", O_RDONLY, 0};
	struct mn_sysctx ctx;
	struct tt_names nm;
	char path[64], buf[64], name[16];
	long fd;
	ssize_t n;

	mn_sysctx_init(&ctx, k, pid, 0, 0);
	fd = mn_syscall_dispatch(mn_kernel_syscalls(k), &ctx, MN_SYS_OPEN,
				 args);
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	nm = tt_list(k, path);
	snprintf(name, sizeof(name), "%ld", fd);
	assert_int_equal(nm.n, 1);
	assert_string_equal(nm.v[0], name);
	tt_names_free(&nm);
	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
	n = mn_vfs_readlink_path(mn_vfs_of(k), &tt_root, "/", path, buf,
				 sizeof(buf));
	assert_int_equal(n, strlen("/proc/meminfo"));
	assert_memory_equal(buf, "/proc/meminfo", (size_t)n);
	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd + 1);
	assert_int_equal(mn_vfs_readlink_path(mn_vfs_of(k), &tt_root, "/",
					      path, buf, sizeof(buf)),
			 -ENOENT);
	args[0] = (uint64_t)fd;
	assert_int_equal(mn_syscall_dispatch(mn_kernel_syscalls(k), &ctx,
					     MN_SYS_CLOSE, args), 0);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	nm = tt_list(k, path);
	snprintf(name, sizeof(name), "%d", (int)pid);
	assert_int_equal(nm.n, 1);
	assert_string_equal(nm.v[0], name);
	tt_names_free(&nm);
	mn_vfs_proc_exit(k, pid);
	mn_proc_exit(mn_kernel_procs(k), pid, 0);
}

static void t_pid_dir_listing_and_owner(void **state)
{
	struct mn_kernel *k = *state;
	int32_t pids[128];
	size_t n = mn_proc_pids(mn_kernel_procs(k), pids, 128), i;
	struct tt_names nm = tt_list(k, "/proc");
	int32_t pid = spawn(k, 1000);
	char name[16];
	struct stat st;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", (int)pids[i]);
		assert_true(tt_has(&nm, name));
	}
	assert_true(tt_has(&nm, "self"));
	assert_true(tt_has(&nm, "meminfo"));
	tt_names_free(&nm);
	snprintf(name, sizeof(name), "/proc/%d", (int)pid);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/", name,
					  0, &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/",
					  "/proc/0", 0, &st), -ENOENT);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/",
					  "/proc/01", 0, &st), -ENOENT);
	mn_proc_exit(mn_kernel_procs(k), pid, 0);
}

static void t_meminfo_stat_uptime(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_meminfo mi;
	struct mn_memview mv;
	char *text, *f[16], *p;
	unsigned long long kb;
	int n;

	mn_mem_info(mn_kernel_mem(k), &mi);
	assert_int_equal(mn_memview_get(k, &mv), 0);
	text = tt_cat(k, "/proc/meminfo");
	/* RAM is the model's (memview.h): the host's or the cgroup's */
	assert_int_equal(sscanf(text, "MemTotal: %llu kB", &kb), 1);
	assert_int_equal(kb, mv.total / 1024);
	assert_true(kb > 0);
	assert_non_null(strstr(text, "\nMemAvailable:"));
	/* init is the daemon, which is resident: used is not 0 */
	p = strstr(text, "\nMemFree:");
	assert_non_null(p);
	assert_true(strtoull(p + 9, NULL, 10) < kb);
	/* the address space as Vmalloc*, exactly the region manager's */
	p = strstr(text, "\nVmallocTotal:");
	assert_non_null(p);
	assert_int_equal(strtoull(p + 14, NULL, 10), mi.total / 1024);
	free(text);
	text = tt_cat(k, "/proc/vmstat");
	assert_non_null(strstr(text, "nr_free_pages "));
	assert_non_null(strstr(text, "\npgfault "));
	free(text);

	text = tt_cat(k, "/proc/stat");
	assert_int_equal(strncmp(text, "cpu  ", 5), 0);
	p = strstr(text, "\ncpu0 ");
	assert_non_null(p);
	p = strstr(text, "\nbtime ");
	assert_non_null(p);
	assert_int_equal(strtoull(p + 7, NULL, 10),
			 mn_kernel_clock(k)->boot_real_ns / 1000000000ULL);
	assert_non_null(strstr(text, "\nprocesses "));
	assert_non_null(strstr(text, "\nprocs_running "));
	assert_non_null(strstr(text, "\nprocs_blocked 0\n"));
	assert_non_null(strstr(text, "\nctxt "));
	*strchr(text, '\n') = '\0';
	n = tt_split(text, f, 16);
	assert_int_equal(n, 11);	/* "cpu" and 10 counters */
	free(text);

	text = tt_cat(k, "/proc/uptime");
	n = tt_split(text, f, 16);
	assert_int_equal(n, 2);
	assert_non_null(strchr(f[0], '.'));
	assert_true(strtod(f[0], NULL) * 1e9 <= mn_kernel_uptime_ns(k) + 1e7);
	free(text);
}

static void t_loadavg(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_trees *t = mn_trees_get(k);
	struct mn_proctab_stats ps;
	char *text, *f[8];
	int32_t pid[3];
	int i;

	assert_non_null(t);
	for (i = 0; i < 3; i++)
		pid[i] = spawn(k, 1000);
	for (i = 0; i < 24; i++)	/* two minutes of samples */
		mn_procfs_sample(mn_trees_procfs(t));
	mn_trees_put(t);
	mn_proctab_stats(mn_kernel_procs(k), &ps);
	text = tt_cat(k, "/proc/loadavg");
	assert_int_equal(tt_split(text, f, 8), 5);
	/* three runnable for two minutes, and maybe busy kernel tasks */
	assert_true(strtod(f[0], NULL) > 2.0);
	assert_true(strtod(f[0], NULL) <= 5.01);
	assert_true(strtod(f[1], NULL) > 0.5);
	assert_true(strtod(f[2], NULL) < strtod(f[1], NULL));
	assert_true(atoi(f[3]) >= 3);
	assert_int_equal(atoi(strchr(f[3], '/') + 1), ps.total);
	assert_int_equal(atoi(f[4]), ps.last_pid);
	free(text);
	for (i = 0; i < 3; i++)
		mn_proc_exit(mn_kernel_procs(k), pid[i], 0);
}

static void t_version_mounts_cpuinfo(void **state)
{
	struct mn_kernel *k = *state;
	char *text;

	text = tt_cat(k, "/proc/version");
	assert_int_equal(strncmp(text, "MicronOS version " MN_VERSION " ",
				 strlen("MicronOS version " MN_VERSION " ")),
			 0);
	free(text);
	text = tt_cat(k, "/proc/mounts");
	assert_non_null(strstr(text, " /proc proc "));
	assert_non_null(strstr(text, " /sys sysfs "));
	assert_non_null(strstr(text, " /events events "));
	assert_non_null(strstr(text, " /health health "));
	free(text);
	text = tt_cat(k, "/proc/cpuinfo");
	if (access("/proc/cpuinfo", R_OK) == 0)
		assert_true(strlen(text) > 0);
	free(text);
}

static void t_sys_kernel(void **state)
{
	struct mn_kernel *k = *state;
	char *text, buf[64];

	text = tt_cat(k, "/proc/sys/kernel/osrelease");
	assert_string_equal(text, MN_VERSION "\n");
	free(text);
	text = tt_cat(k, "/proc/sys/kernel/ostype");
	assert_string_equal(text, "MicronOS\n");
	free(text);
	text = tt_cat(k, "/proc/sys/kernel/pid_max");
	assert_int_equal(atoi(text), mn_proctab_pid_max(mn_kernel_procs(k)));
	free(text);
	assert_int_equal(tt_write(k, &tt_root, "/proc/sys/kernel/pid_max",
				  "40000\n"), 6);
	assert_int_equal(mn_proctab_pid_max(mn_kernel_procs(k)), 40000);
	assert_int_equal(tt_write(k, &tt_root, "/proc/sys/kernel/pid_max",
				  "lots\n"), -EINVAL);
	assert_int_equal(tt_write(k, &tt_user, "/proc/sys/kernel/pid_max",
				  "50000\n"), -EACCES);
	assert_int_equal(mn_proctab_pid_max(mn_kernel_procs(k)), 40000);

	assert_int_equal(tt_write(k, &tt_root, "/proc/sys/kernel/hostname",
				  "box7\n"), 5);
	assert_true(mn_config_get(mn_kernel_config(k), "kernel.hostname", buf,
				  sizeof(buf)) > 0);
	assert_string_equal(buf, "box7");
	text = tt_cat(k, "/proc/sys/kernel/hostname");
	assert_string_equal(text, "box7\n");
	free(text);
	assert_int_equal(tt_write(k, &tt_root, "/proc/sys/kernel/hostname",
				  "bad name!\n"), -EINVAL);
	text = tt_cat(k, "/proc/sys/kernel/hostname");
	assert_string_equal(text, "box7\n");
	free(text);
	assert_int_equal(tt_write(k, &tt_root, "/proc/meminfo", "x"),
			 -EACCES);
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;
	const char *p = text;
	size_t l = strlen(prefix);

	while (p && *p) {
		n += strncmp(p, prefix, l) == 0;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/*
 * MicronOS's CPUs are the host CPUs it may use: with the affinity cut to
 * one CPU (the highest the host has), /proc/stat, /proc/cpuinfo, status
 * and /sys/devices/system/cpu all show one CPU, numbered 0.
 */
static void t_cpus_are_the_allowed_ones(void **state)
{
	struct mn_kernel *k = *state;
	cpu_set_t all, one;
	char *text;
	int last = -1, c;

	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			last = c;
	text = tt_cat(k, "/proc/stat");
	assert_int_equal(count_lines(text, "cpu"), CPU_COUNT(&all) + 1);
	free(text);
	text = tt_cat(k, "/proc/cpuinfo");
	assert_int_equal(count_lines(text, "processor"), CPU_COUNT(&all));
	free(text);
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	text = tt_cat(k, "/proc/stat");
	assert_int_equal(count_lines(text, "cpu"), 2);	/* cpu and cpu0 */
	assert_non_null(strstr(text, "\ncpu0 "));
	free(text);
	text = tt_cat(k, "/proc/cpuinfo");
	assert_int_equal(count_lines(text, "processor"), 1);
	assert_non_null(strstr(text, "processor\t: 0\n"));
	free(text);
	text = tt_cat(k, "/sys/devices/system/cpu/online");
	assert_string_equal(text, "0\n");
	free(text);
	text = tt_cat(k, "/proc/1/status");
	assert_non_null(strstr(text, "Cpus_allowed_list:\t0\n"));
	free(text);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_every_file_readable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_stat_init_ktasks_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_zombie_and_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_self_per_caller, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_status, setup, teardown),
		cmocka_unit_test_setup_teardown(t_cmdline_comm_cwd_exe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_fd_and_task, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_pid_dir_listing_and_owner,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_meminfo_stat_uptime, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_loadavg, setup, teardown),
		cmocka_unit_test_setup_teardown(t_version_mounts_cpuinfo,
						setup, teardown),
		cmocka_unit_test_setup_teardown(t_sys_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(t_cpus_are_the_allowed_ones,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
