/*
 * test_sandbox - the sandbox adapter: its pieces alone (size parsing, the
 * wire format, program lookup, the seccomp filter in a child) and a whole
 * sandbox on a booted kernel (spawn, wait, signals, the process table,
 * events, bad input, watching and detaching programs, host usage).  The
 * whole-sandbox tests need root (the uid map); they are skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mn_skip.h"

#include <micronos/evbus.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/sys_ident.h>
#include <micronos/syscall.h>

#include "sandbox.h"
#include "sandbox_i.h"

static void test_parse_size(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(mn_sandbox_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mn_sandbox_parse_size("512M", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(mn_sandbox_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(mn_sandbox_parse_size("0", &v), -EINVAL);
	assert_int_equal(mn_sandbox_parse_size("-1", &v), -EINVAL);
	assert_int_equal(mn_sandbox_parse_size("12Q", &v), -EINVAL);
	assert_int_equal(mn_sandbox_parse_size("", &v), -EINVAL);
	assert_int_equal(mn_sandbox_parse_size("99999999999T", &v), -EINVAL);
}

static void test_wire_roundtrip(void **state)
{
	union {
		struct sbx_msg m;
		char raw[sizeof(struct sbx_msg) + 64];
	} a, b;
	int sv[2], fds[3] = {-1, -1, -1}, p[2], n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(p), 0);
	memset(&a, 0, sizeof(a));
	a.m.type = SBX_MSG_EXITED;
	a.m.pid = 42;
	a.m.status = 7 << 8;
	a.m.len = 6;
	memcpy(a.m.data, "hello", 6);
	assert_int_equal(sbx_msg_send(sv[0], &a.m, p, 1), 0);
	n = sbx_msg_recv(sv[1], &b.m, sizeof(b), fds, 3, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(b.m.pid, 42);
	assert_string_equal(b.m.data, "hello");
	assert_true(fds[0] >= 0);
	close(fds[0]);
	/* a short packet is refused whole */
	assert_int_equal(send(sv[0], "xx", 2, 0), 2);
	assert_int_equal(sbx_msg_recv(sv[1], &b.m, sizeof(b), fds, 3, NULL),
			 -EBADMSG);
	/* too many descriptors is refused before sending */
	assert_int_equal(sbx_msg_send(sv[0], &a.m, p, 4), -EINVAL);
	close(sv[0]);
	n = sbx_msg_recv(sv[1], &b.m, sizeof(b), fds, 3, NULL);
	assert_int_equal(n, 0);
	assert_int_equal(b.m.type, 0);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

static void test_prog_resolve(void **state)
{
	char path[256], msg[512], dir[] = "/tmp/mn-sbx-test.XXXXXX";
	char script[300];
	char *const env[] = {"PATH=/usr/bin:/bin", NULL};
	int fd;

	(void)state;
	assert_int_equal(sbx_prog_resolve("sh", env, path, sizeof(path), msg,
					  sizeof(msg)), 0);
	assert_true(strstr(path, "/sh") != NULL);
	assert_int_equal(sbx_prog_resolve("no-such-prog", env, path,
					  sizeof(path), msg, sizeof(msg)),
			 -ENOENT);
	assert_non_null(strstr(msg, "no-such-prog: not found"));
	assert_int_equal(sbx_prog_resolve("", env, path, sizeof(path), msg,
					  sizeof(msg)), -ENOENT);
	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/s", dir);
	fd = open(script, O_WRONLY | O_CREAT, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/no/interp -x\n", 16), 16);
	close(fd);
	assert_int_equal(sbx_prog_resolve(script, env, path, sizeof(path),
					  msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "interpreter /no/interp is missing"));
	chmod(script, 0644);
	assert_int_equal(sbx_prog_resolve(script, env, path, sizeof(path),
					  msg, sizeof(msg)), -EACCES);
	unlink(script);
	rmdir(dir);
}

/* Runs fn in a child under the filter; returns its wait status. */
static int under_filter_opens(int (*fn)(void), int trap_opens)
{
	struct sock_fprog prog;
	pid_t pid;
	int st = 0;

	assert_int_equal(sbx_filter_build(&prog, trap_opens ?
					  SBX_FILTER_OPENS : 0), 0);
	pid = fork();
	if (pid == 0) {
		int lfd = sbx_filter_install(&prog);

		if (lfd < 0)
			_exit(100);
		close(lfd);	/* no supervisor: trapped calls must fail */
		_exit(fn());
	}
	waitpid(pid, &st, 0);
	sbx_filter_free(&prog);
	return st;
}

static int under_filter(int (*fn)(void))
{
	return under_filter_opens(fn, 1);
}

/* With no supervisor, a trapped open fails: an untrapped one works. */
static int try_open(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		return errno == ENOSYS ? 10 : 11;
	close(fd);
	return 0;
}

static void opens_are_trapped_only_when_traced(void **state)
{
	int st;

	(void)state;
	st = under_filter_opens(try_open, 1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 10);
	st = under_filter_opens(try_open, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int try_denied(void)
{
	struct utsname uts;

	if (mount("none", "/tmp", "tmpfs", 0, NULL) == 0 || errno != EPERM)
		return 1;
	if (unshare(CLONE_NEWUSER) == 0 || errno != EPERM)
		return 2;
	if (syscall(__NR_clone3, NULL, 0) == 0 || errno != ENOSYS)
		return 3;
	/* the supervisor is gone: a trapped call fails, never passes */
	if (syscall(SYS_uname, &uts) != -1 || errno != ENOSYS)
		return 4;
	return 0;
}

static int try_x32(void)
{
	syscall(0x40000000 | SYS_getpid);
	return 0;
}

static int try_i386(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory");
	return 0;
}

static void test_filter(void **state)
{
	int st;

	(void)state;
	st = under_filter(try_denied);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = under_filter(try_x32);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	st = under_filter(try_i386);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

/* ---- a whole sandbox ---- */

struct fixture {
	struct mn_kernel *k;
	struct mn_sandbox *sb;
	int devnull;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_kernel_opts ko = {.name = "test-sandbox"};
	struct mn_strbuf err = MN_STRBUF_INIT;

	if (!f || geteuid() != 0)
		goto skip;
	if (mn_kernel_create(&f->k, &ko) < 0 || mn_kernel_boot(f->k, &err) < 0)
		goto skip;
	if (mn_sandbox_create(&f->sb, f->k, NULL, &err) < 0) {
		fprintf(stderr, "sandbox: %s\n", mn_strbuf_str(&err));
		mn_kernel_destroy(f->k);
		mn_strbuf_release(&err);
		free(f);
		return -1;
	}
	f->devnull = open("/dev/null", O_RDWR);
	mn_strbuf_release(&err);
	*state = f;
	return 0;
skip:
	if (f)
		mn_kernel_destroy(f->k);
	free(f);
	mn_strbuf_release(&err);
	*state = NULL;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		mn_sandbox_destroy(f->sb);
		mn_kernel_destroy(f->k);
		close(f->devnull);
		free(f);
	}
	return 0;
}

static int32_t spawn(struct fixture *f, const char *const *argv,
		     struct mn_strbuf *err)
{
	struct mn_sandbox_spawn sp = {
		.argv = argv, .fds = {f->devnull, f->devnull, f->devnull},
		.uid = 1000, .gid = 1000, .prio = MN_PRIO_NORMAL,
	};

	return mn_sandbox_spawn(f->sb, &sp, err);
}

static void test_spawn_wait(void **state)
{
	struct fixture *f = *state;
	const char *const argv[] = {"sh", "-c", "exit 5", NULL};
	struct mn_proc_info info;
	int32_t pid;
	int st = 0;

	if (!f)
		MN_SKIP();
	pid = spawn(f, argv, NULL);
	assert_true(pid > MN_PROC_KTASK_PIDS + 1);
	assert_int_equal(mn_proc_get(mn_kernel_procs(f->k), pid, &info), 0);
	assert_int_equal(info.uid, 1000);
	assert_true(info.host_pid > 0);
	assert_int_equal(mn_sandbox_wait(f->sb, pid, &st, 10000), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 5);
	/* waited once only */
	assert_int_equal(mn_sandbox_wait(f->sb, pid, &st, 0), -ECHILD);
	assert_int_equal(mn_sandbox_wait(f->sb, 99999, &st, 0), -ECHILD);
}

static void test_spawn_missing(void **state)
{
	struct fixture *f = *state;
	const char *const argv[] = {"no-such-program-xyz", NULL};
	const char *const empty[] = {NULL};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_sandbox_spawn bad = {.argv = empty};

	if (!f)
		MN_SKIP();
	assert_int_equal(spawn(f, argv, &err), -ENOENT);
	assert_non_null(strstr(mn_strbuf_str(&err),
			       "no-such-program-xyz: not found"));
	assert_int_equal(mn_sandbox_spawn(f->sb, &bad, NULL), -EINVAL);
	mn_strbuf_release(&err);
}

static void test_signal_and_events(void **state)
{
	struct fixture *f = *state;
	const char *const argv[] = {"sleep", "100", NULL};
	struct mn_event ev[64];
	struct mn_evfilter flt = {.class_mask = 1u << MN_EVC_PROCESS};
	int32_t pid;
	size_t n, i;
	int st = 0, seen = 0;

	if (!f)
		MN_SKIP();
	pid = spawn(f, argv, NULL);
	assert_true(pid > 0);
	assert_int_equal(mn_sandbox_wait(f->sb, pid, &st, 200), -EAGAIN);
	assert_int_equal(mn_sandbox_signal(f->sb, pid, SIGTERM), 0);
	assert_int_equal(mn_sandbox_wait(f->sb, pid, &st, 10000), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	/* the pidfd path publishes the exit too */
	for (i = 0; i < 50 && !seen; i++) {
		size_t j;

		n = mn_evbus_snapshot(mn_kernel_evbus(f->k), &flt, ev, 64);
		for (j = 0; j < n; j++)
			if (ev[j].type == MN_EV_PROCESS_TERMINATED &&
			    ev[j].pid == pid)
				seen = 1;
		if (!seen)
			usleep(20000);
	}
	assert_true(seen);
}

static void test_watch_and_detach(void **state)
{
	struct fixture *f = *state;
	const char *const nap[] = {"sleep", "0.3", NULL};
	const char *const quick[] = {"true", NULL};
	struct pollfd p = {.events = POLLIN};
	int32_t pid;
	int st = 0;

	if (!f)
		MN_SKIP();
	pid = spawn(f, nap, NULL);
	assert_true(pid > 0);
	p.fd = mn_sandbox_watch(f->sb, pid);
	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 0), 0);	/* still sleeping */
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(mn_sandbox_wait(f->sb, pid, &st, 0), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p.fd);
	assert_int_equal(mn_sandbox_watch(f->sb, pid), -ECHILD);
	assert_int_equal(mn_sandbox_watch(f->sb, 99999), -ECHILD);
	/* detached: nobody waits, the record goes at exit */
	pid = spawn(f, quick, NULL);
	assert_true(pid > 0);
	assert_int_equal(mn_sandbox_detach(f->sb, pid), 0);
	assert_int_equal(mn_sandbox_detach(f->sb, pid), -ECHILD);
	assert_int_equal(mn_sandbox_watch(f->sb, pid), -ECHILD);
	assert_int_equal(mn_sandbox_wait(f->sb, pid, &st, 0), -ECHILD);
}

/* The host's CPU time and memory reach the process table; sandboxd is
   a kernel task. */
static void test_usage(void **state)
{
	struct fixture *f = *state;
	const char *const busy[] = {"sh", "-c", "while :; do :; done", NULL};
	struct mn_proctab *pt;
	struct mn_proc_info info;
	int32_t pid, pids[64];
	size_t n, i;
	int st = 0, found = 0;

	if (!f)
		MN_SKIP();
	pt = mn_kernel_procs(f->k);
	n = mn_proc_pids(pt, pids, 64);
	for (i = 0; i < n && i < 64; i++)
		if (mn_proc_get(pt, pids[i], &info) == 0 &&
		    !strcmp(info.comm, "sandboxd") &&
		    info.kind == MN_PROC_KTASK)
			found = 1;
	assert_true(found);
	pid = spawn(f, busy, NULL);
	assert_true(pid > 0);
	for (i = 0; i < 60; i++) {
		usleep(100000);
		assert_int_equal(mn_proc_get(pt, pid, &info), 0);
		if (info.usage_update_ns && info.usage.utime_ns +
		    info.usage.stime_ns > 0)
			break;
	}
	assert_true(info.usage.utime_ns + info.usage.stime_ns > 0);
	assert_true(info.usage.rss_bytes > 0);
	assert_true(info.usage.vsize_bytes >= info.usage.rss_bytes);
	assert_int_equal(info.usage.threads, 1);
	assert_int_equal(mn_sandbox_signal(f->sb, pid, SIGKILL), 0);
	assert_int_equal(mn_sandbox_wait(f->sb, pid, &st, 10000), 0);
	assert_true(WIFSIGNALED(st));
}

static void test_translated_rows(void **state)
{
	struct fixture *f = *state;
	struct mn_syscall_info info;

	if (!f)
		MN_SKIP();
	assert_int_equal(mn_syscall_info(mn_kernel_syscalls(f->k),
					 MN_SYS_UNAME, &info), 0);
	assert_string_equal(info.name, "uname");
	assert_int_equal(mn_sys_ident_install(mn_kernel_syscalls(f->k),
					      NULL), 0);	/* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opens_are_trapped_only_when_traced),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_wire_roundtrip),
		cmocka_unit_test(test_prog_resolve),
		cmocka_unit_test(test_filter),
		cmocka_unit_test_setup_teardown(test_spawn_wait, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spawn_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_signal_and_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_translated_rows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_and_detach, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	};

	return MN_SKIP_STATUS(cmocka_run_group_tests(tests, NULL, NULL));
}
