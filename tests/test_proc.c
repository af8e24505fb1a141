/*
 * test_proc - the process table.
 *
 * Pids (allocation, reserved kernel-task range, wrap-around, reuse only
 * after wrap, registration at a given pid), the transition table, exit and
 * wait (blocking, non-blocking, timeouts, -ECHILD), reparenting to init, the
 * copies that leave the table, the setters the sandbox and the memory
 * manager use, and the events every transition publishes.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include <micronos/evbus.h>
#include <micronos/proc.h>

struct fixture {
	struct mn_evbus *bus;
	struct mn_proctab *pt;
};

static int make_fixture(void **state, const struct mn_proctab_opts *opts)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mn_evbus_create(&f->bus, 1000, NULL), 0);
	assert_int_equal(mn_proctab_create(&f->pt, opts, NULL, f->bus), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return make_fixture(state, NULL);
}

/* Small pid space: kernel tasks 2..3, user pids 4..19. */
static int setup_small(void **state)
{
	struct mn_proctab_opts o = {.pid_max = 20, .ktask_pids = 2,
				    .init_reaps = 1};

	return make_fixture(state, &o);
}

static int setup_noreap(void **state)
{
	struct mn_proctab_opts o = {.ktask_pids = -1, .init_reaps = 0};

	return make_fixture(state, &o);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_proctab_destroy(f->pt);
	mn_evbus_destroy(f->bus);
	free(f);
	return 0;
}

static int32_t spawn(struct mn_proctab *pt, int32_t ppid, uint32_t uid,
		     const char *cmd)
{
	const char *argv[] = {cmd, NULL};
	struct mn_proc_spec s = {
		.ppid = ppid, .uid = uid, .gid = uid, .kind = MN_PROC_USER,
		.prio = MN_PRIO_NORMAL, .argv = argv,
	};

	return mn_proc_create(pt, &s);
}

/* Events of `type` about `pid` in the bus history. */
static int count_events(struct mn_evbus *bus, enum mn_event_type type,
			int32_t pid)
{
	static struct mn_event ev[1000];
	size_t n = mn_evbus_snapshot(bus, NULL, ev, 1000), i;
	int c = 0;

	for (i = 0; i < n; i++)
		if (ev[i].type == type && ev[i].pid == pid)
			c++;
	return c;
}

/* ------------------------------------------------------------------------ */

static void test_init_exists(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_info pi;
	char cwd[8];

	assert_int_equal(mn_proc_get(f->pt, 1, &pi), 0);
	assert_int_equal(pi.pid, 1);
	assert_int_equal(pi.ppid, 0);
	assert_int_equal(pi.uid, 0);
	assert_int_equal(pi.kind, MN_PROC_INIT);
	assert_int_equal(pi.state, MN_PROC_RUNNING);
	assert_string_equal(pi.comm, "init");
	assert_int_equal(mn_proc_get_cwd(f->pt, 1, cwd, sizeof(cwd)), 1);
	assert_string_equal(cwd, "/");
	assert_int_equal(mn_proc_count(f->pt), 1);
	assert_int_equal(mn_proctab_first_user_pid(f->pt),
			 MN_PROC_KTASK_PIDS + 2);
	assert_int_equal(mn_proctab_pid_max(f->pt), MN_PROC_PID_MAX_DEFAULT);
	/* init can neither exit nor stop */
	assert_int_equal(mn_proc_exit(f->pt, 1, 0), -EPERM);
	assert_int_equal(mn_proc_suspend(f->pt, 1), -EPERM);
	assert_int_equal(mn_proc_get(f->pt, 2, &pi), -ESRCH);
}

static void test_create_opts_invalid(void **state)
{
	struct mn_proctab *pt = NULL;
	struct mn_proctab_opts o = {.pid_max = 10, .ktask_pids = 30};

	(void)state;
	assert_int_equal(mn_proctab_create(&pt, &o, NULL, NULL), -EINVAL);
	o.pid_max = MN_PROC_PID_MAX_LIMIT + 1;
	o.ktask_pids = 0;
	assert_int_equal(mn_proctab_create(&pt, &o, NULL, NULL), -EINVAL);
	assert_null(pt);
	o.pid_max = 3;	/* init, one user pid: the smallest table */
	assert_int_equal(mn_proctab_create(&pt, &o, NULL, NULL), 0);
	assert_int_equal(mn_proctab_first_user_pid(pt), 2);
	mn_proctab_destroy(pt);
	mn_proctab_destroy(NULL);
}

static void test_create_and_kinds(void **state)
{
	struct fixture *f = *state;
	const char *kargv[] = {"[timerd]", NULL};
	struct mn_proc_spec ks = {.ppid = 1, .kind = MN_PROC_KTASK,
				  .prio = MN_PRIO_HIGH, .argv = kargv,
				  .comm = "timerd"};
	struct mn_proc_info pi;
	int32_t k1, k2, u1, u2;

	k1 = mn_proc_create(f->pt, &ks);
	k2 = mn_proc_create(f->pt, &ks);
	u1 = spawn(f->pt, 1, 1000, "/bin/sh");
	u2 = spawn(f->pt, u1, 1000, "/bin/ls");
	assert_int_equal(k1, 2);
	assert_int_equal(k2, 3);
	assert_int_equal(u1, MN_PROC_KTASK_PIDS + 2);
	assert_int_equal(u2, u1 + 1);
	assert_int_equal(mn_proc_get(f->pt, k1, &pi), 0);
	assert_int_equal(pi.kind, MN_PROC_KTASK);
	assert_int_equal(pi.prio, MN_PRIO_HIGH);
	assert_int_equal(pi.nice, -10);
	assert_string_equal(pi.comm, "timerd");
	assert_int_equal(mn_proc_get(f->pt, u2, &pi), 0);
	assert_int_equal(pi.ppid, u1);
	assert_int_equal(pi.uid, 1000);
	assert_int_equal(pi.euid, 1000);
	assert_string_equal(pi.comm, "ls");
	assert_true(pi.serial > 0);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_CREATED, u2), 1);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_CREATED, k1), 1);
}

static void test_create_invalid(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_spec s = {.ppid = 1, .kind = MN_PROC_USER};
	int32_t z;

	assert_int_equal(mn_proc_create(f->pt, NULL), -EINVAL);
	s.ppid = 999;
	assert_int_equal(mn_proc_create(f->pt, &s), -ESRCH);
	s.ppid = 1;
	s.kind = MN_PROC_INIT;
	assert_int_equal(mn_proc_create(f->pt, &s), -EINVAL);
	s.kind = MN_PROC_USER;
	s.prio = MN_PRIO__COUNT;
	assert_int_equal(mn_proc_create(f->pt, &s), -EINVAL);
	s.prio = MN_PRIO_NORMAL;
	s.cwd = "relative/path";
	assert_int_equal(mn_proc_create(f->pt, &s), -EINVAL);
	s.cwd = NULL;
	s.host_pid = -5;
	assert_int_equal(mn_proc_create(f->pt, &s), -EINVAL);
	/* a zombie cannot be a parent */
	s.host_pid = 0;
	z = spawn(f->pt, 1, 0, "z");
	assert_true(z > 0);
	s.ppid = z;
	assert_true(mn_proc_create(f->pt, &s) > 0);
	assert_int_equal(mn_proc_exit(f->pt, z, 0), 0);
	assert_int_equal(mn_proc_create(f->pt, &s), -ESRCH);
	assert_int_equal(mn_proc_count(f->pt), 3);	/* init, zombie, orphan */
}

static void test_cmdline_comm_cwd(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = {"/usr/bin/python3", "-c", "print(1)", NULL};
	struct mn_proc_spec s = {.ppid = 1, .kind = MN_PROC_USER,
				 .argv = argv, .cwd = "/home/user"};
	char buf[64], small[8];
	struct mn_proc_info pi;
	int32_t p, c;

	p = mn_proc_create(f->pt, &s);
	assert_true(p > 0);
	assert_int_equal(mn_proc_get_cmdline(f->pt, p, buf, sizeof(buf)), 29);
	assert_memory_equal(buf, "/usr/bin/python3\0-c\0print(1)\0", 29);
	assert_int_equal(mn_proc_get_cmdline_str(f->pt, p, buf, sizeof(buf)),
			 28);
	assert_string_equal(buf, "/usr/bin/python3 -c print(1)");
	/* truncated like snprintf */
	assert_int_equal(mn_proc_get_cmdline_str(f->pt, p, small,
						 sizeof(small)), 28);
	assert_string_equal(small, "/usr/bi");
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_string_equal(pi.comm, "python3");
	assert_int_equal(pi.argc, 3);
	assert_int_equal(pi.cmdline_len, 29);
	/* cwd is inherited, settable, copied out with a size check */
	c = spawn(f->pt, p, 0, "child");
	assert_int_equal(mn_proc_get_cwd(f->pt, c, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "/home/user");
	assert_int_equal(mn_proc_get_cwd(f->pt, c, small, sizeof(small)),
			 -ERANGE);
	assert_int_equal(mn_proc_set_cwd(f->pt, c, "/tmp"), 0);
	assert_int_equal(mn_proc_get_cwd(f->pt, c, small, sizeof(small)), 4);
	assert_int_equal(mn_proc_set_cwd(f->pt, c, "tmp"), -EINVAL);
	assert_int_equal(mn_proc_set_cwd(f->pt, 999, "/tmp"), -ESRCH);
	/* exec replaces the command line */
	const char *argv2[] = {"/bin/a-program-with-a-long-name", "x", NULL};
	assert_int_equal(mn_proc_exec(f->pt, c, argv2, NULL), 0);
	assert_int_equal(mn_proc_get(f->pt, c, &pi), 0);
	assert_string_equal(pi.comm, "a-program-with-");	/* 15 chars */
	assert_int_equal(mn_proc_get_cmdline_str(f->pt, c, buf, sizeof(buf)),
			 33);
	assert_int_equal(mn_proc_set_comm(f->pt, c, "renamed"), 0);
	assert_int_equal(mn_proc_get(f->pt, c, &pi), 0);
	assert_string_equal(pi.comm, "renamed");
	assert_int_equal(mn_proc_get_cmdline(f->pt, 999, buf, 1), -ESRCH);
}

static void test_cmdline_capped(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(10000);
	const char *argv[] = {big, "second", NULL};
	struct mn_proc_spec s = {.ppid = 1, .kind = MN_PROC_USER,
				 .argv = argv};
	char *buf = malloc(MN_PROC_CMDLINE_MAX + 10);
	struct mn_proc_info pi;
	int32_t p;

	memset(big, 'a', 9999);
	big[9999] = '\0';
	p = mn_proc_create(f->pt, &s);
	assert_true(p > 0);
	assert_int_equal(mn_proc_get_cmdline(f->pt, p, buf,
					     MN_PROC_CMDLINE_MAX + 10),
			 MN_PROC_CMDLINE_MAX);
	assert_int_equal(buf[MN_PROC_CMDLINE_MAX - 1], '\0');
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_int_equal(pi.argc, 1);	/* the second argument did not fit */
	/* no argv at all: an empty command line, comm "?" */
	s.argv = NULL;
	p = mn_proc_create(f->pt, &s);
	assert_int_equal(mn_proc_get_cmdline(f->pt, p, buf, 10), 0);
	assert_int_equal(mn_proc_get_cmdline_str(f->pt, p, buf, 10), 0);
	assert_string_equal(buf, "");
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_string_equal(pi.comm, "?");
	free(big);
	free(buf);
}

static void test_transitions(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_info pi;
	int32_t p = spawn(f->pt, 1, 0, "t");

	/* the table itself */
	assert_true(mn_proc_transition_ok(MN_PROC_RUNNING, MN_PROC_SLEEPING));
	assert_true(mn_proc_transition_ok(MN_PROC_STOPPED, MN_PROC_RUNNING));
	assert_true(mn_proc_transition_ok(MN_PROC_SLEEPING, MN_PROC_ZOMBIE));
	assert_true(mn_proc_transition_ok(MN_PROC_ZOMBIE, MN_PROC_DEAD));
	assert_false(mn_proc_transition_ok(MN_PROC_ZOMBIE, MN_PROC_RUNNING));
	assert_false(mn_proc_transition_ok(MN_PROC_DEAD, MN_PROC_RUNNING));
	assert_false(mn_proc_transition_ok(MN_PROC_RUNNING, MN_PROC_DEAD));
	assert_false(mn_proc_transition_ok(MN_PROC_STOPPED, MN_PROC_DEAD));
	assert_false(mn_proc_transition_ok(99, MN_PROC_RUNNING));

	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_SLEEPING), 0);
	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_SLEEPING), 0);
	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_STOPPED), 0);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_SUSPENDED, p), 1);
	assert_int_equal(mn_proc_suspend(f->pt, p), 0);	/* already */
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_SUSPENDED, p), 1);
	assert_int_equal(mn_proc_resume(f->pt, p), 0);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_RESUMED, p), 1);
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_int_equal(pi.state, MN_PROC_RUNNING);
	assert_int_equal(mn_proc_resume(f->pt, p), 0);	/* not stopped */
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_RESUMED, p), 1);
	/* zombie and dead are reached through exit and wait only */
	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_ZOMBIE), -EINVAL);
	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_DEAD), -EINVAL);
	assert_int_equal(mn_proc_set_state(f->pt, p, 42), -EINVAL);
	assert_int_equal(mn_proc_set_state(f->pt, 999, MN_PROC_RUNNING),
			 -ESRCH);
	/* stopped -> sleeping: a continued program that sleeps at once */
	assert_int_equal(mn_proc_suspend(f->pt, p), 0);
	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_SLEEPING), 0);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_RESUMED, p), 2);
	/* a zombie goes nowhere but dead */
	mn_proctab_destroy(f->pt);
	{
		struct mn_proctab_opts o = {.ktask_pids = -1, .init_reaps = 0};

		assert_int_equal(mn_proctab_create(&f->pt, &o, NULL, f->bus),
				 0);
	}
	p = spawn(f->pt, 1, 0, "z");
	assert_int_equal(mn_proc_exit(f->pt, p, 0), 0);
	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_RUNNING), -EINVAL);
	assert_int_equal(mn_proc_set_state(f->pt, p, MN_PROC_STOPPED), -EINVAL);
	assert_int_equal(mn_proc_suspend(f->pt, p), -EINVAL);
	assert_int_equal(mn_proc_resume(f->pt, p), -EINVAL);
	assert_int_equal(mn_proc_exit(f->pt, p, 0), -EINVAL);
	assert_int_equal(mn_proc_exec(f->pt, p, NULL, NULL), -EINVAL);
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_int_equal(pi.state, MN_PROC_ZOMBIE);
	assert_int_equal(mn_proc_exit(f->pt, 999, 0), -ESRCH);
}

static void test_pid_wrap_and_reuse(void **state)
{
	struct fixture *f = *state;
	int32_t pid, p;

	assert_int_equal(mn_proctab_first_user_pid(f->pt), 4);
	assert_int_equal(spawn(f->pt, 1, 0, "a"), 4);
	assert_int_equal(spawn(f->pt, 1, 0, "b"), 5);
	assert_int_equal(spawn(f->pt, 1, 0, "c"), 6);
	/* 5 exits (init reaps it): its pid is NOT reused before wrap */
	assert_int_equal(mn_proc_exit(f->pt, 5, 0), 0);
	assert_int_equal(mn_proc_exists(f->pt, 5), 0);
	assert_int_equal(spawn(f->pt, 1, 0, "d"), 7);
	for (pid = 8; pid < 20; pid++)
		assert_int_equal(spawn(f->pt, 1, 0, "fill"), pid);
	/* pid_max 20 reached: wrap to the first user pid, skipping 4 */
	assert_int_equal(spawn(f->pt, 1, 0, "wrapped"), 5);
	/* full now */
	assert_int_equal(spawn(f->pt, 1, 0, "none"), -EAGAIN);
	/* after more exits the cursor continues from 5, not from 4 */
	assert_int_equal(mn_proc_exit(f->pt, 4, 0), 0);
	assert_int_equal(mn_proc_exit(f->pt, 9, 0), 0);
	assert_int_equal(spawn(f->pt, 1, 0, "x"), 9);
	assert_int_equal(spawn(f->pt, 1, 0, "y"), 4);
	/* kernel tasks have their own range: 2, 3, then none */
	{
		struct mn_proc_spec ks = {.ppid = 1, .kind = MN_PROC_KTASK};

		assert_int_equal(mn_proc_create(f->pt, &ks), 2);
		assert_int_equal(mn_proc_create(f->pt, &ks), 3);
		assert_int_equal(mn_proc_create(f->pt, &ks), -EAGAIN);
	}
	p = spawn(f->pt, 1, 0, "none");
	assert_int_equal(p, -EAGAIN);
}

static void test_pid_max_setting(void **state)
{
	struct fixture *f = *state;
	struct mn_proctab_stats st;
	int32_t pid;

	assert_int_equal(mn_proctab_set_pid_max(f->pt, 4), -EINVAL);
	assert_int_equal(mn_proctab_set_pid_max(f->pt,
						MN_PROC_PID_MAX_LIMIT + 1),
			 -EINVAL);
	assert_int_equal(mn_proctab_set_pid_max(f->pt, 8), 0);
	assert_int_equal(mn_proctab_pid_max(f->pt), 8);
	for (pid = 4; pid < 8; pid++)
		assert_int_equal(spawn(f->pt, 1, 0, "p"), pid);
	assert_int_equal(spawn(f->pt, 1, 0, "p"), -EAGAIN);
	mn_proctab_stats(f->pt, &st);
	assert_int_equal(st.total, 5);
	assert_int_equal(st.by_kind[MN_PROC_USER], 4);
	assert_int_equal(st.by_state[MN_PROC_RUNNING], 5);
	assert_int_equal(st.last_pid, 7);
	assert_int_equal(st.pid_max, 8);
	assert_int_equal(st.created, 5);
}

static void test_create_at(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_spec s = {.ppid = 1, .kind = MN_PROC_USER,
				 .host_pid = 5555};
	struct mn_proc_info pi;

	assert_int_equal(mn_proc_create_at(f->pt, 5, &s), 5);
	assert_int_equal(mn_proc_get(f->pt, 5, &pi), 0);
	assert_int_equal(pi.host_pid, 5555);
	assert_int_equal(mn_proc_find_by_host(f->pt, 5555), 5);
	s.host_pid = 0;
	assert_int_equal(mn_proc_create_at(f->pt, 5, &s), -EEXIST);
	assert_int_equal(mn_proc_create_at(f->pt, 1, &s), -EINVAL);
	assert_int_equal(mn_proc_create_at(f->pt, 20, &s), -EINVAL);
	assert_int_equal(mn_proc_create_at(f->pt, -3, &s), -EINVAL);
	/* one record per host process */
	s.host_pid = 5555;
	assert_int_equal(mn_proc_create_at(f->pt, 6, &s), -EEXIST);
	assert_int_equal(mn_proc_exists(f->pt, 6), 0);
	/* allocation skips the registered pid */
	assert_int_equal(spawn(f->pt, 1, 0, "a"), 4);
	assert_int_equal(spawn(f->pt, 1, 0, "b"), 6);
	/* a kernel-task pid can be registered too (sandbox's choice) */
	s.host_pid = 0;
	assert_int_equal(mn_proc_create_at(f->pt, 2, &s), 2);
}

static void test_host_fields(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_usage u = {.utime_ns = 5, .stime_ns = 7,
				  .rss_bytes = 4096, .vsize_bytes = 8192,
				  .threads = 3};
	struct mn_proc_info pi;
	int32_t p = spawn(f->pt, 1, 0, "h"), q = spawn(f->pt, 1, 0, "q");

	assert_int_equal(mn_proc_find_by_host(f->pt, 77), -ESRCH);
	assert_int_equal(mn_proc_find_by_host(f->pt, 0), -ESRCH);
	assert_int_equal(mn_proc_set_host(f->pt, p, 77), 0);
	assert_int_equal(mn_proc_find_by_host(f->pt, 77), p);
	assert_int_equal(mn_proc_set_host(f->pt, q, 77), -EEXIST);
	assert_int_equal(mn_proc_set_host(f->pt, p, 78), 0);	/* re-key */
	assert_int_equal(mn_proc_find_by_host(f->pt, 77), -ESRCH);
	assert_int_equal(mn_proc_find_by_host(f->pt, 78), p);
	assert_int_equal(mn_proc_set_host(f->pt, p, 0), 0);	/* detach */
	assert_int_equal(mn_proc_find_by_host(f->pt, 78), -ESRCH);
	assert_int_equal(mn_proc_set_host(f->pt, p, -1), -EINVAL);
	assert_int_equal(mn_proc_set_host(f->pt, 999, 5), -ESRCH);
	assert_int_equal(mn_proc_set_host(f->pt, 1, 4242), 0);	/* init */

	assert_int_equal(mn_proc_update_usage(f->pt, p, &u), 0);
	assert_int_equal(mn_proc_update_usage(f->pt, p, NULL), -EINVAL);
	assert_int_equal(mn_proc_update_usage(f->pt, 999, &u), -ESRCH);
	assert_int_equal(mn_proc_add_syscalls(f->pt, p, 3), 0);
	assert_int_equal(mn_proc_add_syscalls(f->pt, p, 2), 0);
	assert_int_equal(mn_proc_add_syscalls(f->pt, 999, 2), -ESRCH);
	assert_int_equal(mn_proc_charge_mem(f->pt, p, 1000), 0);
	assert_int_equal(mn_proc_charge_mem(f->pt, p, -400), 0);
	assert_int_equal(mn_proc_charge_mem(f->pt, p, -601), -EINVAL);
	assert_int_equal(mn_proc_charge_mem(f->pt, p, INT64_MIN), -EINVAL);
	assert_int_equal(mn_proc_charge_mem(f->pt, 999, 1), -ESRCH);
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_int_equal(pi.usage.rss_bytes, 4096);
	assert_int_equal(pi.usage.threads, 3);
	assert_int_equal(pi.syscalls, 5);
	assert_int_equal(pi.mem_bytes, 600);
	/* a zombie can still be uncharged (the allocator frees after exit) */
	assert_int_equal(mn_proc_charge_mem(f->pt, q, 10), 0);
	assert_int_equal(mn_proc_exit(f->pt, q, 0), 0);
	assert_int_equal(mn_proc_charge_mem(f->pt, q, -10), 0);
	assert_int_equal(mn_proc_get(f->pt, q, &pi), 0);
	assert_int_equal(pi.state, MN_PROC_ZOMBIE);
	assert_int_equal(pi.mem_bytes, 0);
}

static void test_ids_and_cred(void **state)
{
	struct fixture *f = *state;
	const uint32_t keep = (uint32_t)-1;
	struct mn_proc_info pi;
	struct mn_cred c;
	int32_t p = spawn(f->pt, 1, 1000, "id");

	assert_int_equal(mn_proc_set_ids(f->pt, p, keep, 0, keep, 50), 0);
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_int_equal(pi.uid, 1000);
	assert_int_equal(pi.euid, 0);
	assert_int_equal(pi.gid, 1000);
	assert_int_equal(pi.egid, 50);
	assert_int_equal(mn_proc_cred(f->pt, p, &c), 0);
	assert_int_equal(c.pid, p);
	assert_int_equal(c.uid, 0);	/* effective */
	assert_int_equal(c.gid, 50);
	assert_int_equal(mn_proc_cred(f->pt, 999, &c), -ESRCH);
	assert_int_equal(mn_proc_set_ids(f->pt, 999, 0, 0, 0, 0), -ESRCH);
}

struct prio_call {
	int calls;
	int32_t pid, host;
	enum mn_prio_class cls;
	int nice;
};

static void prio_hook(void *arg, int32_t pid, int32_t host,
		      enum mn_prio_class cls, int nice)
{
	struct prio_call *c = arg;

	c->calls++;
	c->pid = pid;
	c->host = host;
	c->cls = cls;
	c->nice = nice;
}

static void test_prio_and_hook(void **state)
{
	struct fixture *f = *state;
	struct prio_call call = {0};
	struct mn_proc_info pi;
	int32_t p = spawn(f->pt, 1, 0, "p"), h = spawn(f->pt, 1, 0, "h");

	mn_proc_set_prio_hook(f->pt, prio_hook, &call);
	mn_proc_set_host(f->pt, h, 3131);
	assert_int_equal(mn_proc_set_prio(f->pt, p, MN_PRIO_LOW), 0);
	assert_int_equal(call.calls, 0);	/* no host process behind it */
	assert_int_equal(mn_proc_get(f->pt, p, &pi), 0);
	assert_int_equal(pi.prio, MN_PRIO_LOW);
	assert_int_equal(pi.nice, 10);
	assert_int_equal(mn_proc_set_prio(f->pt, h, MN_PRIO_URGENT), 0);
	assert_int_equal(call.calls, 1);
	assert_int_equal(call.host, 3131);
	assert_int_equal(call.cls, MN_PRIO_URGENT);
	assert_int_equal(call.nice, -20);
	assert_int_equal(mn_proc_set_nice(f->pt, h, 12), 0);
	assert_int_equal(call.calls, 2);
	assert_int_equal(call.cls, MN_PRIO_LOW);
	assert_int_equal(call.nice, 12);
	assert_int_equal(mn_proc_get(f->pt, h, &pi), 0);
	assert_int_equal(pi.nice, 12);
	assert_int_equal(pi.prio, MN_PRIO_LOW);
	assert_int_equal(mn_proc_set_nice(f->pt, h, 20), -EINVAL);
	assert_int_equal(mn_proc_set_nice(f->pt, h, -21), -EINVAL);
	assert_int_equal(mn_proc_set_prio(f->pt, h, 9), -EINVAL);
	assert_int_equal(mn_proc_set_prio(f->pt, 999, MN_PRIO_LOW), -ESRCH);
	assert_int_equal(call.calls, 2);
	mn_proc_set_prio_hook(f->pt, NULL, NULL);
	assert_int_equal(mn_proc_set_prio(f->pt, h, MN_PRIO_IDLE), 0);
	assert_int_equal(call.calls, 2);
}

static void test_exit_and_wait(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_info pi;
	int status = -1;
	int32_t p = spawn(f->pt, 1, 0, "parent"), c1, c2;

	assert_int_equal(mn_proc_wait(f->pt, p, -1, 0, &status, NULL),
			 -ECHILD);
	c1 = spawn(f->pt, p, 0, "c1");
	c2 = spawn(f->pt, p, 0, "c2");
	assert_int_equal(mn_proc_wait(f->pt, p, -1, 0, &status, NULL),
			 -EAGAIN);	/* WNOHANG */
	assert_int_equal(mn_proc_wait(f->pt, p, 999, 0, NULL, NULL), -ECHILD);
	assert_int_equal(mn_proc_wait(f->pt, 1, c1, 0, NULL, NULL), -ECHILD);
	assert_int_equal(mn_proc_wait(f->pt, 999, -1, 0, NULL, NULL), -ESRCH);
	assert_int_equal(mn_proc_wait(f->pt, p, 0, 0, NULL, NULL), -EINVAL);
	assert_int_equal(mn_proc_wait(f->pt, p, -7, 0, NULL, NULL), -EINVAL);

	assert_int_equal(mn_proc_exit(f->pt, c2, MN_W_EXITED(3)), 0);
	assert_int_equal(mn_proc_get(f->pt, c2, &pi), 0);
	assert_int_equal(pi.state, MN_PROC_ZOMBIE);
	assert_true(pi.exit_ns >= pi.start_ns);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_TERMINATED, c2),
			 1);
	/* waiting for the live one does not reap the zombie */
	assert_int_equal(mn_proc_wait(f->pt, p, c1, 0, NULL, NULL), -EAGAIN);
	memset(&pi, 0, sizeof(pi));
	assert_int_equal(mn_proc_wait(f->pt, p, -1, 0, &status, &pi), c2);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_int_equal(pi.state, MN_PROC_DEAD);
	assert_int_equal(pi.pid, c2);
	assert_int_equal(mn_proc_exists(f->pt, c2), 0);
	assert_int_equal(mn_proc_wait(f->pt, p, c2, 0, NULL, NULL), -ECHILD);

	assert_int_equal(mn_proc_exit(f->pt, c1,
				      MN_W_SIGNALED(11) | MN_W_COREDUMP), 0);
	assert_int_equal(mn_proc_wait(f->pt, p, c1, 0, &status, NULL), c1);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), 11);
	assert_true(WCOREDUMP(status));
	assert_int_equal(mn_proc_wait(f->pt, p, -1, 0, NULL, NULL), -ECHILD);
	{
		struct mn_proctab_stats st;

		mn_proctab_stats(f->pt, &st);
		assert_int_equal(st.reaped, 2);
	}
}

static void test_reparent_with_init_reaping(void **state)
{
	struct fixture *f = *state;
	int32_t kids[4];
	int32_t p = spawn(f->pt, 1, 0, "p");
	int32_t c1 = spawn(f->pt, p, 0, "c1"), c2 = spawn(f->pt, p, 0, "c2");
	int32_t gc = spawn(f->pt, c1, 0, "gc");
	struct mn_proc_info pi;

	assert_int_equal(mn_proc_children(f->pt, p, kids, 4), 2);
	assert_int_equal(kids[0], c1);
	assert_int_equal(kids[1], c2);
	assert_int_equal(mn_proc_exit(f->pt, c2, 0), 0);	/* zombie */
	assert_int_equal(mn_proc_exit(f->pt, p, 0), 0);
	/* p's parent is init: reaped at once; so is the orphaned zombie */
	assert_int_equal(mn_proc_exists(f->pt, p), 0);
	assert_int_equal(mn_proc_exists(f->pt, c2), 0);
	assert_int_equal(mn_proc_get(f->pt, c1, &pi), 0);
	assert_int_equal(pi.ppid, 1);
	assert_int_equal(mn_proc_get(f->pt, gc, &pi), 0);
	assert_int_equal(pi.ppid, c1);	/* grandchildren stay put */
	assert_int_equal(mn_proc_children(f->pt, 1, kids, 4), 1);
	assert_int_equal(kids[0], c1);
	assert_int_equal(mn_proc_children(f->pt, 999, kids, 4), -ESRCH);
	assert_int_equal(mn_proc_get(f->pt, 1, &pi), 0);
	assert_int_equal(pi.nchildren, 1);
}

static void test_reparent_without_init_reaping(void **state)
{
	struct fixture *f = *state;
	int32_t p = spawn(f->pt, 1, 0, "p");
	int32_t c1 = spawn(f->pt, p, 0, "c1"), c2 = spawn(f->pt, p, 0, "c2");
	struct mn_proc_info pi;
	int status;

	assert_int_equal(mn_proc_exit(f->pt, c2, MN_W_EXITED(7)), 0);
	assert_int_equal(mn_proc_exit(f->pt, p, MN_W_EXITED(1)), 0);
	assert_int_equal(mn_proc_get(f->pt, c2, &pi), 0);
	assert_int_equal(pi.ppid, 1);
	assert_int_equal(pi.state, MN_PROC_ZOMBIE);
	assert_int_equal(mn_proc_get(f->pt, c1, &pi), 0);
	assert_int_equal(pi.ppid, 1);
	/* init waits like any parent */
	assert_int_equal(mn_proc_wait(f->pt, 1, c2, 0, &status, NULL), c2);
	assert_int_equal(WEXITSTATUS(status), 7);
	assert_int_equal(mn_proc_wait(f->pt, 1, p, 0, &status, NULL), p);
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_int_equal(mn_proc_wait(f->pt, 1, -1, 0, NULL, NULL), -EAGAIN);
}

struct delayed_exit {
	struct mn_proctab *pt;
	int32_t pid;
	int status;
};

static void *exit_later(void *arg)
{
	struct delayed_exit *d = arg;
	struct timespec ts = {0, 50 * 1000000L};

	nanosleep(&ts, NULL);
	mn_proc_exit(d->pt, d->pid, d->status);
	return NULL;
}

static void test_blocking_wait(void **state)
{
	struct fixture *f = *state;
	int32_t p = spawn(f->pt, 1, 0, "p"), c = spawn(f->pt, p, 0, "c");
	struct delayed_exit d = {f->pt, c, MN_W_EXITED(42)};
	pthread_t th;
	int status = 0;

	assert_int_equal(mn_proc_wait(f->pt, p, -1, 30, NULL, NULL), -EAGAIN);
	assert_int_equal(pthread_create(&th, NULL, exit_later, &d), 0);
	assert_int_equal(mn_proc_wait(f->pt, p, c, 30000, &status, NULL), c);
	assert_int_equal(WEXITSTATUS(status), 42);
	pthread_join(th, NULL);

	c = spawn(f->pt, p, 0, "c2");
	d.pid = c;
	assert_int_equal(pthread_create(&th, NULL, exit_later, &d), 0);
	assert_int_equal(mn_proc_wait(f->pt, p, -1, -1, &status, NULL), c);
	pthread_join(th, NULL);
}

struct waiter {
	struct mn_proctab *pt;
	int32_t parent;
	int32_t rc;
};

static void *wait_forever(void *arg)
{
	struct waiter *w = arg;

	w->rc = mn_proc_wait(w->pt, w->parent, -1, -1, NULL, NULL);
	return NULL;
}

static void test_shutdown_wakes_waiters(void **state)
{
	struct fixture *f = *state;
	int32_t p = spawn(f->pt, 1, 0, "p");
	struct waiter w = {f->pt, p, 0};
	struct timespec ts = {0, 50 * 1000000L};
	pthread_t th;

	spawn(f->pt, p, 0, "c");
	assert_int_equal(pthread_create(&th, NULL, wait_forever, &w), 0);
	nanosleep(&ts, NULL);
	mn_proctab_shutdown(f->pt);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, -ESHUTDOWN);
	assert_int_equal(mn_proc_wait(f->pt, p, -1, 100, NULL, NULL),
			 -ESHUTDOWN);
	assert_int_equal(mn_proc_wait(f->pt, p, -1, 0, NULL, NULL), -EAGAIN);
}

static void test_fork(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = {"/bin/sh", "-c", "x", NULL};
	struct mn_proc_spec s = {.ppid = 1, .uid = 1000, .gid = 100,
				 .kind = MN_PROC_USER, .prio = MN_PRIO_LOW,
				 .argv = argv, .cwd = "/home"};
	struct mn_proc_info a, b;
	char buf[32];
	int32_t p = mn_proc_create(f->pt, &s), c, c2;

	c = mn_proc_fork(f->pt, p, 0, 0);
	assert_true(c > p);
	assert_int_equal(mn_proc_get(f->pt, p, &a), 0);
	assert_int_equal(mn_proc_get(f->pt, c, &b), 0);
	assert_int_equal(b.ppid, p);
	assert_int_equal(b.uid, 1000);
	assert_int_equal(b.gid, 100);
	assert_int_equal(b.prio, MN_PRIO_LOW);
	assert_int_equal(b.nice, 10);
	assert_string_equal(b.comm, a.comm);
	assert_int_equal(b.kind, MN_PROC_USER);
	assert_true(b.serial != a.serial);
	assert_int_equal(mn_proc_get_cmdline_str(f->pt, c, buf, sizeof(buf)),
			 12);
	assert_string_equal(buf, "/bin/sh -c x");
	assert_int_equal(mn_proc_get_cwd(f->pt, c, buf, sizeof(buf)), 5);
	c2 = mn_proc_fork(f->pt, p, 300, 9999);
	assert_int_equal(c2, 300);
	assert_int_equal(mn_proc_find_by_host(f->pt, 9999), 300);
	assert_int_equal(mn_proc_fork(f->pt, p, 300, 0), -EEXIST);
	assert_int_equal(mn_proc_fork(f->pt, 999, 0, 0), -ESRCH);
	assert_int_equal(mn_proc_fork(f->pt, p, -1, 0), -EINVAL);
	/* forking init gives a user process (kernel spawning a program) */
	c = mn_proc_fork(f->pt, 1, 0, 0);
	assert_int_equal(mn_proc_get(f->pt, c, &b), 0);
	assert_int_equal(b.kind, MN_PROC_USER);
	assert_int_equal(b.uid, 0);
}

struct walk {
	struct mn_proctab *pt;
	int32_t seen[64];
	int n;
	int stop_at;
};

static int walk_fn(void *arg, const struct mn_proc_info *info)
{
	struct walk *w = arg;
	struct mn_proc_info again;

	/* the table lock is not held: calling back in must not deadlock */
	assert_int_equal(mn_proc_get(w->pt, info->pid, &again), 0);
	w->seen[w->n++] = info->pid;
	return w->n == w->stop_at ? 77 : 0;
}

static void test_list_and_foreach(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_info infos[8];
	struct walk w = {.pt = f->pt};
	struct mn_strbuf out = MN_STRBUF_INIT;
	int32_t pids[8];
	int i;

	for (i = 0; i < 4; i++)
		spawn(f->pt, 1, 0, "w");
	mn_proc_create_at(f->pt, 100, &(struct mn_proc_spec){
		.ppid = 1, .kind = MN_PROC_USER});
	assert_int_equal(mn_proc_count(f->pt), 6);
	assert_int_equal(mn_proc_pids(f->pt, pids, 8), 6);
	assert_int_equal(pids[0], 1);
	assert_int_equal(pids[5], 100);
	for (i = 1; i < 6; i++)
		assert_true(pids[i] > pids[i - 1]);
	assert_int_equal(mn_proc_pids(f->pt, pids, 2), 6);
	assert_int_equal(mn_proc_pids(f->pt, NULL, 0), 6);
	assert_int_equal(mn_proc_list(f->pt, infos, 8), 6);
	assert_int_equal(infos[0].pid, 1);
	assert_int_equal(infos[5].pid, 100);
	assert_int_equal(mn_proc_list(f->pt, infos, 3), 6);
	assert_int_equal(mn_proc_foreach(f->pt, walk_fn, &w), 0);
	assert_int_equal(w.n, 6);
	assert_int_equal(w.seen[5], 100);
	w.n = 0;
	w.stop_at = 2;
	assert_int_equal(mn_proc_foreach(f->pt, walk_fn, &w), 77);
	assert_int_equal(w.n, 2);
	assert_int_equal(mn_proc_format(f->pt, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "init"));
	assert_non_null(strstr(mn_strbuf_str(&out), "PPID"));
	mn_strbuf_release(&out);
}

/*
 * ps goes through texttable: with a pid and a uid wider than the old fixed
 * widths (6 and 5), the CMD column still starts at one offset on every
 * line, and no line ends in a blank.
 */
static void test_format_aligns(void **state)
{
	struct fixture *f = *state;
	static const char *const argv[] = {"/bin/long-running", "-x", NULL};
	struct mn_strbuf out = MN_STRBUF_INIT;
	const char *text, *line, *nl;
	long col;
	int lines = 0;

	assert_int_equal(mn_proc_create_at(f->pt, 30000,
		&(struct mn_proc_spec){.ppid = 1, .uid = 4000000000u,
				       .kind = MN_PROC_USER, .argv = argv}),
		30000);
	assert_int_equal(mn_proc_format(f->pt, &out), 0);
	text = mn_strbuf_str(&out);
	col = strstr(text, "CMD") - text;
	for (line = text; *line; line = nl + 1, lines++) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line > col);
		assert_true(nl[-1] != ' ');
		/* two blanks, then the command, on every line */
		assert_int_equal(line[col - 1], ' ');
		assert_int_equal(line[col - 2], ' ');
		assert_true(line[col] != ' ');
	}
	assert_true(lines >= 3);
	assert_non_null(strstr(text, "4000000000"));
	assert_non_null(strstr(text, "  /bin/long-running -x\n"));
	mn_strbuf_release(&out);
}

static void test_names(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(mn_proc_state_name(MN_PROC_ZOMBIE), "zombie");
	assert_string_equal(mn_proc_state_name(77), "?");
	assert_int_equal(mn_proc_state_char(MN_PROC_RUNNING), 'R');
	assert_int_equal(mn_proc_state_char(MN_PROC_SLEEPING), 'S');
	assert_int_equal(mn_proc_state_char(MN_PROC_STOPPED), 'T');
	assert_int_equal(mn_proc_state_char(MN_PROC_ZOMBIE), 'Z');
	assert_int_equal(mn_proc_state_char(MN_PROC_DEAD), 'X');
	assert_string_equal(mn_proc_kind_name(MN_PROC_KTASK), "ktask");
	assert_string_equal(mn_proc_kind_name(9), "?");
	assert_string_equal(mn_proc_status_str(MN_W_EXITED(3), buf,
					       sizeof(buf)), "exited 3");
	assert_string_equal(mn_proc_status_str(MN_W_SIGNALED(9), buf,
					       sizeof(buf)),
			    "killed by signal 9 (KILL)");
	assert_string_equal(mn_proc_status_str(MN_W_SIGNALED(11) |
						       MN_W_COREDUMP,
					       buf, sizeof(buf)),
			    "killed by signal 11 (SEGV), core dumped");
	assert_string_equal(mn_proc_status_str(MN_W_EXITED(1), buf, 5),
			    "exit");
}

/* Many threads creating, exiting and reaping at once. */
struct churn {
	struct mn_proctab *pt;
	int32_t parent;
	int errors;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	int i;

	for (i = 0; i < 300; i++) {
		int32_t pid = spawn(c->pt, c->parent, 0, "churn");
		int status;

		if (pid < 0 || mn_proc_exit(c->pt, pid, MN_W_EXITED(i & 0xff)) ||
		    mn_proc_wait(c->pt, c->parent, pid, 5000, &status, NULL) !=
			    pid ||
		    WEXITSTATUS(status) != (i & 0xff))
			c->errors++;
	}
	return NULL;
}

static void test_concurrent_churn(void **state)
{
	struct fixture *f = *state;
	struct churn c[4];
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++) {
		c[i] = (struct churn){f->pt, spawn(f->pt, 1, 0, "parent"), 0};
		assert_int_equal(pthread_create(&th[i], NULL, churn_main,
						&c[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(c[i].errors, 0);
	}
	assert_int_equal(mn_proc_count(f->pt), 5);
}

static void virtual_pids_stay_above_the_namespace(void **state)
{
	struct mn_proctab *pt = ((struct fixture *)*state)->pt;
	const char *argv[] = {"v", NULL};
	struct mn_proc_spec spec = {
		.ppid = 1, .uid = 0, .gid = 0, .kind = MN_PROC_USER,
		.argv = argv,
	};
	int32_t pid, first = mn_proctab_first_user_pid(pt);

	assert_int_equal(mn_proctab_reserve_host_pids(pt, first), -EINVAL);
	assert_int_equal(mn_proctab_reserve_host_pids(pt, 4194304), 0);
	assert_int_equal(mn_proctab_pid_max(pt), 4194304 + MN_PROC_VIRTUAL_PIDS);
	pid = mn_proc_create(pt, &spec);
	assert_int_equal(pid, 4194304);
	/* the namespace's first program gets its pid */
	assert_int_equal(mn_proc_create_at(pt, first, &spec), first);
	assert_int_equal(mn_proc_create(pt, &spec), 4194305);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_exists, setup,
						teardown),
		cmocka_unit_test(test_create_opts_invalid),
		cmocka_unit_test_setup_teardown(test_create_and_kinds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_invalid,
						setup_noreap, teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_comm_cwd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_capped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transitions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pid_wrap_and_reuse,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_pid_max_setting,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_create_at, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_fields, setup_noreap,
						teardown),
		cmocka_unit_test_setup_teardown(test_ids_and_cred, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prio_and_hook, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exit_and_wait, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reparent_with_init_reaping,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reparent_without_init_reaping, setup_noreap,
			teardown),
		cmocka_unit_test_setup_teardown(test_blocking_wait, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_wakes_waiters,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_aligns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_and_foreach, setup,
						teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_concurrent_churn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			virtual_pids_stay_above_the_namespace, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
