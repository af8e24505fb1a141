/*
 * test_ctl - the control socket: the framed protocol end to end (shell
 * lines, completion, info, unknown requests), registered handlers with
 * descriptors passed by SCM_RIGHTS, `down`, stopping with clients idle, busy
 * or inside a handler (no hang, a notice for shells), the client cap, the
 * line cap, the socket's mode and the refusal of other users.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mn_skip.h"

#include <micronos/ctl.h>
#include <micronos/kernel.h>
#include <micronos/shell.h>

struct fx {
	char dir[64];
	char path[96];
	struct mn_kernel *k;
	struct mn_ctl *ctl;
	struct mn_ctl_reply r;
	int downs;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/ctl", fx->dir);
	assert_int_equal(mn_kernel_create(&fx->k, NULL), 0);
	assert_int_equal(mn_kernel_boot(fx->k, NULL), 0);
	assert_int_equal(mn_ctl_create(&fx->ctl, fx->k, fx->path), 0);
	assert_int_equal(mn_ctl_start(fx->ctl), 0);
	mn_ctl_reply_init(&fx->r);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	mn_ctl_destroy(fx->ctl);
	mn_kernel_destroy(fx->k);
	mn_ctl_reply_release(&fx->r);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static struct mn_ctl_client *client(struct fx *fx)
{
	struct mn_ctl_client *cl = NULL;

	assert_int_equal(mn_ctl_client_connect(&cl, fx->path), 0);
	return cl;
}

static void test_create_errors(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl *ctl;
	char longpath[200];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(mn_ctl_create(&ctl, fx->k, longpath), -ENAMETOOLONG);
	assert_int_equal(mn_ctl_create(&ctl, NULL, fx->path), -EINVAL);
	assert_int_equal(mn_ctl_create(&ctl, fx->k, ""), -EINVAL);
	assert_int_equal(mn_ctl_start(fx->ctl), -EALREADY);
	mn_ctl_destroy(NULL);
}

static void test_socket_mode(void **state)
{
	struct fx *fx = *state;
	struct stat st;

	assert_int_equal(stat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_shell_lines(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *cl = client(fx);

	assert_int_equal(mn_ctl_client_call(cl, "sh", "echo hi  'a b'", &fx->r),
			 0);
	assert_string_equal(mn_strbuf_str(&fx->r.out), "hi a b\n");
	assert_string_equal(mn_strbuf_str(&fx->r.err), "");
	assert_int_equal(fx->r.status, 0);
	/* errors travel in their own frame, with the status */
	assert_int_equal(mn_ctl_client_call(cl, "sh", "nosuch", &fx->r), 0);
	assert_string_equal(mn_strbuf_str(&fx->r.out), "");
	assert_non_null(strstr(mn_strbuf_str(&fx->r.err), "unknown command"));
	assert_int_equal(fx->r.status, MN_SHELL_USAGE);
	assert_int_equal(mn_ctl_client_call(cl, "sh", "exit 4", &fx->r), 0);
	assert_int_equal(fx->r.status, 4);
	assert_int_equal(fx->r.flags, MN_SHELL_F_EXIT);
	assert_int_equal(mn_ctl_client_call(cl, "sh", "top", &fx->r), 0);
	assert_true(fx->r.flags & MN_SHELL_F_LIVE);
	/* an empty line is fine, and so is no argument */
	assert_int_equal(mn_ctl_client_call(cl, "sh", NULL, &fx->r), 0);
	assert_int_equal(fx->r.status, 0);
	/* big output: the whole history as CSV */
	assert_int_equal(mn_ctl_client_call(cl, "sh", "benchmark 10", &fx->r),
			 0);
	assert_int_equal(mn_ctl_client_call(cl, "sh", "events export", &fx->r),
			 0);
	assert_true(fx->r.out.len > 100);
	mn_ctl_client_destroy(cl);
}

static void test_other_requests(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *cl = client(fx);
	char pid[32];

	assert_int_equal(mn_ctl_client_call(cl, "complete", "ev", &fx->r), 0);
	assert_string_equal(mn_strbuf_str(&fx->r.out), "events\n");
	assert_int_equal(mn_ctl_set_info(fx->ctl, "mount", "/x/y"), 0);
	assert_int_equal(mn_ctl_set_info(fx->ctl, "mount", "/z"), 0);
	assert_int_equal(mn_ctl_set_info(fx->ctl, "a=b", "c"), -EINVAL);
	assert_int_equal(mn_ctl_set_info(fx->ctl, "k", "two\nlines"), -EINVAL);
	assert_int_equal(mn_ctl_client_call(cl, "info", NULL, &fx->r), 0);
	assert_non_null(strstr(mn_strbuf_str(&fx->r.out), "name=default\n"));
	assert_non_null(strstr(mn_strbuf_str(&fx->r.out), "mount=/z\n"));
	assert_null(strstr(mn_strbuf_str(&fx->r.out), "/x/y"));
	snprintf(pid, sizeof(pid), "pid=%d\n", (int)getpid());
	assert_non_null(strstr(mn_strbuf_str(&fx->r.out), pid));
	assert_int_equal(mn_ctl_client_call(cl, "frob", "x", &fx->r), 0);
	assert_int_equal(fx->r.status, 2);
	assert_non_null(strstr(mn_strbuf_str(&fx->r.err), "unknown request"));
	/* no down callback: refused, and the instance keeps serving */
	assert_int_equal(mn_ctl_client_call(cl, "down", NULL, &fx->r), 0);
	assert_int_equal(fx->r.status, 1);
	assert_int_equal(mn_ctl_client_call(cl, "sh", "echo still", &fx->r), 0);
	assert_string_equal(mn_strbuf_str(&fx->r.out), "still\n");
	/* client-side checks */
	assert_int_equal(mn_ctl_client_send(cl, "sh", "a\nb", NULL, 0),
			 -EINVAL);
	assert_int_equal(mn_ctl_client_send(cl, "two words", NULL, NULL, 0),
			 -EINVAL);
	mn_ctl_client_destroy(cl);
}

static void test_long_line(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *cl = client(fx);
	char *big = malloc(MN_CTL_LINE_MAX + 16);
	int fd;

	assert_non_null(big);
	memset(big, 'x', MN_CTL_LINE_MAX + 8);
	big[MN_CTL_LINE_MAX + 8] = '\0';
	assert_int_equal(mn_ctl_client_send(cl, "sh", big, NULL, 0), -E2BIG);
	/* a raw over-long line: the server answers and hangs up */
	fd = mn_ctl_client_fd(cl);
	big[MN_CTL_LINE_MAX + 8] = '\n';
	assert_int_equal(send(fd, big, MN_CTL_LINE_MAX + 9, MSG_NOSIGNAL),
			 MN_CTL_LINE_MAX + 9);
	assert_int_equal(mn_ctl_client_reply(cl, &fx->r), 0);
	assert_int_equal(fx->r.status, 2);
	assert_non_null(strstr(mn_strbuf_str(&fx->r.err), "longer"));
	assert_int_equal(mn_ctl_client_reply(cl, &fx->r), -ESHUTDOWN);
	free(big);
	mn_ctl_client_destroy(cl);
}

/* A "run"-like handler: writes its argument to the descriptor it got. */
static int echo_handler(void *arg, struct mn_ctl_request *req)
{
	char line[128];
	int n;

	*(int *)arg += 1;
	if (req->nfds != 1) {
		mn_ctl_send_status(req->fd, 9, 0);
		return 0;
	}
	n = snprintf(line, sizeof(line), "got %s from %s\n", req->arg,
		     req->verb);
	if (write(req->fds[0], line, (size_t)n) != n)
		return 1;
	close(req->fds[0]);
	mn_ctl_send_frame(req->fd, 'o', "done\n", 5);
	mn_ctl_send_status(req->fd, 7, 0);
	return 0;
}

static void test_handler_fds(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *cl;
	int calls = 0, p[2];
	char buf[128] = "";

	assert_int_equal(
	    mn_ctl_set_handler(fx->ctl, "sh", echo_handler, &calls), -EEXIST);
	assert_int_equal(
	    mn_ctl_set_handler(fx->ctl, "Bad", echo_handler, &calls), -EINVAL);
	assert_int_equal(mn_ctl_set_handler(fx->ctl, "", echo_handler, &calls),
			 -EINVAL);
	assert_int_equal(
	    mn_ctl_set_handler(fx->ctl, "run", echo_handler, &calls), 0);
	cl = client(fx);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(mn_ctl_client_send(cl, "run", "argv0 x", &p[1], 1), 0);
	close(p[1]);
	assert_int_equal(mn_ctl_client_reply(cl, &fx->r), 0);
	assert_int_equal(fx->r.status, 7);
	assert_string_equal(mn_strbuf_str(&fx->r.out), "done\n");
	assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
	assert_string_equal(buf, "got argv0 x from run\n");
	/* every write end is closed now: the server kept no copy */
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	/* the connection goes on serving after the handler */
	assert_int_equal(mn_ctl_client_call(cl, "sh", "echo after", &fx->r), 0);
	assert_string_equal(mn_strbuf_str(&fx->r.out), "after\n");
	assert_int_equal(calls, 1);
	/* descriptors on a built-in request are refused and closed */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(mn_ctl_client_send(cl, "sh", "echo x", &p[1], 1), 0);
	close(p[1]);
	assert_int_equal(mn_ctl_client_reply(cl, &fx->r), 0);
	assert_int_equal(fx->r.status, 2);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	/* removal */
	assert_int_equal(mn_ctl_set_handler(fx->ctl, "run", NULL, NULL), 0);
	assert_int_equal(mn_ctl_client_call(cl, "run", NULL, &fx->r), 0);
	assert_int_equal(fx->r.status, 2);
	mn_ctl_client_destroy(cl);
}

static void on_down(void *arg)
{
	struct fx *fx = arg;

	__atomic_add_fetch(&fx->downs, 1, __ATOMIC_SEQ_CST);
}

static void test_down_and_stop(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *idle, *cl;

	mn_ctl_set_down(fx->ctl, on_down, fx);
	idle = client(fx);
	/* one round trip: connect alone may leave it in the listen queue,
	   where the stop closes it without a notice */
	assert_int_equal(mn_ctl_client_call(idle, "sh", "echo hi", &fx->r), 0);
	cl = client(fx);
	assert_int_equal(mn_ctl_client_call(cl, "down", NULL, &fx->r), 0);
	assert_int_equal(fx->r.status, 0);
	/* the callback runs right after the reply is sent */
	for (int i = 0;
	     i < 500 && !__atomic_load_n(&fx->downs, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	assert_int_equal(__atomic_load_n(&fx->downs, __ATOMIC_SEQ_CST), 1);
	/* the owner of the instance then stops the socket: */
	mn_ctl_stop(fx->ctl, "instance going down");
	assert_int_equal(mn_ctl_stopping(fx->ctl), 1);
	assert_int_equal(mn_ctl_client_reply(idle, &fx->r), -ESHUTDOWN);
	assert_string_equal(fx->r.notice, "instance going down");
	assert_int_equal(mn_ctl_client_reply(cl, &fx->r), -ESHUTDOWN);
	assert_int_equal(access(fx->path, F_OK), -1);
	mn_ctl_stop(fx->ctl, "again"); /* idempotent */
	mn_ctl_client_destroy(idle);
	mn_ctl_client_destroy(cl);
	assert_int_equal(mn_ctl_client_connect(&cl, fx->path), -ENOENT);
}

/* A handler that blocks on its connection until the server stops. */
static int blocking_handler(void *arg, struct mn_ctl_request *req)
{
	char c;

	*(int *)arg = 1;
	return read(req->fd, &c, 1) == 0 ? 1 : 0;
}

static void test_stop_with_busy_handler(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *cl = client(fx);
	volatile int entered = 0;

	assert_int_equal(mn_ctl_set_handler(fx->ctl, "block", blocking_handler,
					    (void *)&entered),
			 0);
	assert_int_equal(mn_ctl_client_send(cl, "block", NULL, NULL, 0), 0);
	for (int i = 0; i < 500 && !entered; i++)
		usleep(10000);
	assert_true(entered);
	mn_ctl_stop(fx->ctl, "bye"); /* must not hang */
	/* the handler owned the connection: no notice, just EOF */
	assert_int_equal(mn_ctl_client_reply(cl, &fx->r), -ESHUTDOWN);
	assert_string_equal(fx->r.notice, "connection closed");
	mn_ctl_client_destroy(cl);
}

/* A shell blocked in `channel N recv MS` does not hold up a stop. */
static void test_stop_wakes_blocked_shell(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *cl = client(fx);
	struct timespec a, b;
	long ms;

	assert_int_equal(
	    mn_ctl_client_call(cl, "sh", "channel create w", &fx->r), 0);
	assert_int_equal(
	    mn_ctl_client_send(cl, "sh", "channel 0 recv 5000", NULL, 0), 0);
	usleep(300 * 1000); /* let the receive start waiting */
	clock_gettime(CLOCK_MONOTONIC, &a);
	mn_ctl_stop(fx->ctl, "bye");
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	/* far below the 5 s the receive would otherwise have waited */
	assert_true(ms < 4000);
	assert_int_equal(mn_ctl_client_reply(cl, &fx->r), -ESHUTDOWN);
	assert_string_equal(fx->r.notice, "bye");
	mn_ctl_client_destroy(cl);
}

static void test_client_cap(void **state)
{
	struct fx *fx = *state;
	struct mn_ctl_client *cls[MN_CTL_MAX_CLIENTS], *extra;

	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		cls[i] = client(fx);
		assert_int_equal(
		    mn_ctl_client_call(cls[i], "sh", "echo x", &fx->r), 0);
	}
	assert_int_equal(mn_ctl_clients(fx->ctl), MN_CTL_MAX_CLIENTS);
	extra = client(fx);
	assert_int_equal(mn_ctl_client_reply(extra, &fx->r), 0);
	assert_int_equal(fx->r.status, 1);
	assert_non_null(strstr(mn_strbuf_str(&fx->r.err), "too many"));
	mn_ctl_client_destroy(extra);
	/* a slot freed is a slot reused */
	mn_ctl_client_destroy(cls[0]);
	for (int i = 0;
	     i < 500 && mn_ctl_clients(fx->ctl) == MN_CTL_MAX_CLIENTS; i++)
		usleep(10000);
	cls[0] = client(fx);
	assert_int_equal(mn_ctl_client_call(cls[0], "sh", "echo back", &fx->r),
			 0);
	assert_string_equal(mn_strbuf_str(&fx->r.out), "back\n");
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++)
		mn_ctl_client_destroy(cls[i]);
}

/* Another uid reaching the socket (mode widened on purpose) is refused by
 * the SO_PEERCRED check.  Needs root to switch users. */
static void test_other_user_refused(void **state)
{
	struct fx *fx = *state;
	pid_t pid;
	int st;

	if (geteuid() != 0)
		MN_SKIP();
	assert_int_equal(chmod(fx->dir, 0711), 0);
	assert_int_equal(chmod(fx->path, 0666), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mn_ctl_client *cl;
		struct mn_ctl_reply r;
		int ok;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		if (mn_ctl_client_connect(&cl, fx->path) < 0)
			_exit(4);
		mn_ctl_reply_init(&r);
		/* The refusal comes unasked, right after accept. */
		ok = mn_ctl_client_reply(cl, &r) == 0 && r.status == 1 &&
		     strstr(mn_strbuf_str(&r.err), "permission denied");
		_exit(ok ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shell_lines, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_handler_fds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_down_and_stop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_busy_handler,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_wakes_blocked_shell,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_cap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_user_refused, setup,
						teardown),
	};

	return MN_SKIP_STATUS(cmocka_run_group_tests(tests, NULL, NULL));
}
