/*
 * test_sandbox_run - micronos-run's conversation with a running instance:
 * the request payload and frames (runwire.c) alone, and the sandbox
 * service (service.c) of a booted kernel with a control socket: runs
 * through the "run" verb (exit codes, signals, a client that goes away,
 * bad requests) and the shell's spawn with its log file.  The service
 * tests need root (the uid map); they are skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mn_skip.h"

#include <micronos/ctl.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/shell.h>
#include <micronos/vfs.h>

#include "sandbox.h"

/* ---- the request ---- */

static void test_request_roundtrip(void **state)
{
	const char *const argv[] = {"sh", "-c", "echo a=b; x", NULL};
	const char *const envp[] = {"PATH=/bin", "EMPTY=", NULL};
	struct mn_run_request in = {.events = 1}, out = {0};
	struct mn_strbuf buf = MN_STRBUF_INIT, err = MN_STRBUF_INIT;

	(void)state;
	in.sp.argv = argv;
	in.sp.envp = envp;
	in.sp.cwd = "/tmp";
	in.sp.cwd_strict = 1;
	in.sp.uid = 0;
	in.sp.gid = 42;
	in.sp.prio = MN_PRIO_LOW;
	in.sp.mem_limit = 1 << 20;
	in.sp.trace_files = 1;
	assert_int_equal(mn_run_request_encode(&in, &buf), 0);
	assert_int_equal(mn_run_request_decode(&out, buf.buf, buf.len, &err),
			 0);
	assert_string_equal(out.sp.argv[0], "sh");
	assert_string_equal(out.sp.argv[2], "echo a=b; x");
	assert_null(out.sp.argv[3]);
	assert_string_equal(out.sp.envp[0], "PATH=/bin");
	assert_string_equal(out.sp.envp[1], "EMPTY=");
	assert_null(out.sp.envp[2]);
	assert_string_equal(out.sp.cwd, "/tmp");
	assert_int_equal(out.sp.cwd_strict, 1);
	assert_int_equal(out.sp.uid, 0);
	assert_int_equal(out.sp.gid, 42);
	assert_int_equal(out.sp.prio, MN_PRIO_LOW);
	assert_int_equal(out.sp.mem_limit, 1 << 20);
	assert_int_equal(out.sp.trace_files, 1);
	assert_int_equal(out.events, 1);
	mn_run_request_release(&out);
	mn_strbuf_release(&buf);
	mn_strbuf_release(&err);
}

/* Decodes a literal payload (with its NULs); returns the result. */
static int decode(const char *data, size_t len, struct mn_strbuf *err)
{
	struct mn_run_request r = {0};
	int e;

	mn_strbuf_reset(err);
	e = mn_run_request_decode(&r, data, len, err);
	mn_run_request_release(&r);
	return e;
}

static void test_request_bad(void **state)
{
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_run_request none = {0};
	struct mn_strbuf buf = MN_STRBUF_INIT;
	static const char ok[] = "v=1\0arg=true\0newer=ignored";

	(void)state;
	assert_int_equal(mn_run_request_encode(&none, &buf), -EINVAL);
	assert_int_equal(decode(ok, sizeof(ok), &err), 0);
	assert_int_equal(decode("", 0, &err), -EINVAL);
	/* not NUL-terminated */
	assert_int_equal(decode("arg=true", 8, &err), -EINVAL);
	assert_int_equal(decode("v=1", 4, &err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "no program"));
	assert_int_equal(decode("v=2\0arg=x", 10, &err), -EINVAL);
	assert_int_equal(decode("arg=x\0uid=65536", 16, &err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "uid=65536"));
	assert_int_equal(decode("arg=x\0uid=-1", 13, &err), -EINVAL);
	assert_int_equal(decode("arg=x\0prio=fast", 16, &err), -EINVAL);
	assert_int_equal(decode("arg=x\0mem=1k", 13, &err), -EINVAL);
	assert_int_equal(decode("arg=x\0events=2", 15, &err), -EINVAL);
	mn_strbuf_release(&buf);
	mn_strbuf_release(&err);
}

/* ---- frames ---- */

static void test_frames(void **state)
{
	struct mn_run_frame f = {.data = MN_STRBUF_INIT};
	struct mn_run_reader rd;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	mn_run_reader_init(&rd, sv[1]);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 50), -ETIMEDOUT);
	assert_int_equal(mn_ctl_send_frame(sv[0], 'p', "42", 2), 0);
	assert_int_equal(mn_ctl_send_frame(sv[0], 'e', "", 0), 0);
	assert_int_equal(mn_ctl_send_status(sv[0], 130, 0), 0);
	assert_int_equal(write(sv[0], "! going down\n", 13), 13);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), 0);
	assert_int_equal(f.tag, 'p');
	assert_string_equal(mn_strbuf_str(&f.data), "42");
	/* the rest came in the same read: buffered */
	assert_true(mn_run_reader_buffered(&rd));
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), 0);
	assert_int_equal(f.tag, 'e');
	assert_int_equal(f.data.len, 0);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), 0);
	assert_int_equal(f.tag, 'x');
	assert_int_equal(f.code, 130);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), 0);
	assert_int_equal(f.tag, '!');
	assert_string_equal(mn_strbuf_str(&f.data), "going down");
	/* too big, malformed */
	assert_int_equal(mn_ctl_send_frame(sv[0], 'o', "0123456789", 10), 0);
	assert_int_equal(mn_run_read_frame(&rd, &f, 5, 1000), -E2BIG);
	/* (its payload was buffered with the header: dropped here) */
	mn_run_reader_init(&rd, sv[1]);
	assert_int_equal(write(sv[0], "o -3\n", 5), 5);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), -EPROTO);
	assert_int_equal(write(sv[0], "xyz\n", 4), 4);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), -EPROTO);
	/* a payload cut by EOF */
	assert_int_equal(write(sv[0], "o 10\nabc", 8), 8);
	close(sv[0]);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), -EPROTO);
	assert_int_equal(mn_run_read_frame(&rd, &f, 100, 1000), -ESHUTDOWN);
	close(sv[1]);
	mn_strbuf_release(&f.data);
}

/* ---- the service of a running instance ---- */

struct fixture {
	struct mn_kernel *k;
	struct mn_ctl *ctl;
	char dir[64];
	char ctl_path[96];
};

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_kernel_opts ko = {.name = "test-sbx-run"};
	struct mn_strbuf err = MN_STRBUF_INIT;

	*state = NULL;
	if (!f || geteuid() != 0) {
		free(f);
		return 0;	/* skipped: no uid map without root */
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/mn-sbx-run.XXXXXX");
	if (!mkdtemp(f->dir))
		goto fail;
	snprintf(f->ctl_path, sizeof(f->ctl_path), "%s/ctl", f->dir);
	ko.data_dir = f->dir;
	if (mn_kernel_create(&f->k, &ko) < 0 ||
	    mn_ctl_create(&f->ctl, f->k, f->ctl_path) < 0 ||
	    mn_vfs_attach(f->k) < 0 ||
	    mn_sandbox_service_attach(f->k, f->ctl, NULL, NULL, &err) < 0 ||
	    mn_kernel_boot(f->k, &err) < 0 || mn_ctl_start(f->ctl) < 0)
		goto fail;
	if (!mn_kernel_slot(f->k, MN_SLOT_SANDBOX))
		goto fail;
	mn_strbuf_release(&err);
	*state = f;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", mn_strbuf_str(&err));
	mn_strbuf_release(&err);
	return -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	mn_ctl_stop(f->ctl, "test over");
	mn_kernel_shutdown(f->k);
	mn_ctl_destroy(f->ctl);
	mn_kernel_destroy(f->k);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Starts a run of argv with stdio {devnull, out, devnull}. */
static struct mn_ctl_client *start_run(struct fixture *f,
				       const char *const *argv, int out,
				       int nfds, const char *proto)
{
	struct mn_run_request rq = {0};
	struct mn_strbuf buf = MN_STRBUF_INIT;
	struct mn_ctl_client *cl;
	int null = open("/dev/null", O_RDWR), fds[3] = {null, out, null};
	int rc;

	rq.sp.argv = argv;
	rq.sp.uid = rq.sp.gid = 1000;
	assert_int_equal(mn_ctl_client_connect(&cl, f->ctl_path), 0);
	assert_int_equal(mn_run_request_encode(&rq, &buf), 0);
	assert_int_equal(mn_ctl_client_send(cl, MN_RUN_VERB, proto, fds,
					    nfds), 0);
	/*
	 * A request refused on its first line (bad descriptors or protocol)
	 * may be answered and closed before this frame goes out: the reply
	 * is what finish_run() checks.
	 */
	rc = mn_ctl_send_frame(mn_ctl_client_fd(cl), 'q', buf.buf, buf.len);
	assert_true(rc == 0 || rc == -EPIPE || rc == -ECONNRESET);
	close(null);
	mn_strbuf_release(&buf);
	return cl;
}

/* Reads frames up to 'x': returns its code; *pid and err filled. */
static int finish_run(struct mn_ctl_client *cl, int32_t *pid,
		      struct mn_strbuf *err, int stop_at_pid)
{
	struct mn_run_frame fr = {.data = MN_STRBUF_INIT};
	struct mn_run_reader rd;
	int code = -1;

	mn_run_reader_init(&rd, mn_ctl_client_fd(cl));
	while (mn_run_read_frame(&rd, &fr, 1 << 20, 20000) == 0) {
		if (fr.tag == 'p') {
			*pid = atoi(mn_strbuf_str(&fr.data));
			if (stop_at_pid)
				break;
		} else if (fr.tag == 'e') {
			mn_strbuf_add(err, fr.data.buf, fr.data.len);
		} else if (fr.tag == 'x') {
			code = fr.code;
			break;
		}
	}
	mn_strbuf_release(&fr.data);
	return code;
}

static void test_run(void **state)
{
	struct fixture *f = *state;
	const char *const argv[] = {"sh", "-c", "echo hi; exit 3", NULL};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_ctl_client *cl;
	char buf[16] = "";
	int32_t pid = 0;
	int p[2];

	if (!f)
		MN_SKIP();
	assert_int_equal(pipe(p), 0);
	cl = start_run(f, argv, p[1], 3, MN_RUN_PROTO);
	close(p[1]);
	assert_int_equal(finish_run(cl, &pid, &err, 0), 3);
	assert_true(pid > MN_PROC_KTASK_PIDS + 1);
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 3);
	assert_string_equal(buf, "hi\n");
	close(p[0]);
	mn_ctl_client_destroy(cl);
	mn_strbuf_release(&err);
}

static void test_run_signal_and_hangup(void **state)
{
	struct fixture *f = *state;
	const char *const argv[] = {"sleep", "30", NULL};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_proc_info info;
	struct mn_ctl_client *cl;
	int32_t pid = 0;
	int i;

	if (!f)
		MN_SKIP();
	cl = start_run(f, argv, STDERR_FILENO, 3, MN_RUN_PROTO);
	assert_int_equal(finish_run(cl, &pid, &err, 1), -1);
	assert_true(pid > 0);
	/* a signal the client may not forward is ignored, SIGTERM is not */
	assert_int_equal(mn_ctl_send_frame(mn_ctl_client_fd(cl), 's', "9", 1),
			 0);
	assert_int_equal(mn_ctl_send_frame(mn_ctl_client_fd(cl), 's', "15", 2),
			 0);
	assert_int_equal(finish_run(cl, &pid, &err, 0), 128 + SIGTERM);
	mn_ctl_client_destroy(cl);
	/* a client that goes away takes its program along */
	cl = start_run(f, argv, STDERR_FILENO, 3, MN_RUN_PROTO);
	assert_int_equal(finish_run(cl, &pid, &err, 1), -1);
	assert_int_equal(mn_proc_get(mn_kernel_procs(f->k), pid, &info), 0);
	mn_ctl_client_destroy(cl);
	for (i = 0; i < 100 && kill(info.host_pid, 0) == 0; i++)
		usleep(50000);
	assert_int_not_equal(kill(info.host_pid, 0), 0);
	mn_strbuf_release(&err);
}

static void test_run_bad(void **state)
{
	struct fixture *f = *state;
	const char *const argv[] = {"no-such-program-xyz", NULL};
	const char *const ok[] = {"true", NULL};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_ctl_client *cl;
	int32_t pid = 0;

	if (!f)
		MN_SKIP();
	cl = start_run(f, argv, STDERR_FILENO, 3, MN_RUN_PROTO);
	assert_int_equal(finish_run(cl, &pid, &err, 0), 127);
	assert_non_null(strstr(mn_strbuf_str(&err), "no-such-program-xyz"));
	mn_ctl_client_destroy(cl);
	mn_strbuf_reset(&err);
	cl = start_run(f, ok, STDERR_FILENO, 0, MN_RUN_PROTO);
	assert_int_equal(finish_run(cl, &pid, &err, 0), 125);
	assert_non_null(strstr(mn_strbuf_str(&err), "3 descriptors"));
	mn_ctl_client_destroy(cl);
	mn_strbuf_reset(&err);
	cl = start_run(f, ok, STDERR_FILENO, 3, "99");
	assert_int_equal(finish_run(cl, &pid, &err, 0), 125);
	assert_non_null(strstr(mn_strbuf_str(&err), "not supported"));
	mn_ctl_client_destroy(cl);
	mn_strbuf_release(&err);
}

static void test_shell_spawn(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	char path[64];
	int pid = 0, i;

	if (!f)
		MN_SKIP();
	assert_int_equal(mn_shell_exec(f->k, "spawn sh -c 'echo logged'",
				       &out), MN_SHELL_OK);
	assert_int_equal(sscanf(mn_strbuf_str(&out), "spawned %d", &pid), 1);
	snprintf(path, sizeof(path), "/var/log/spawn-%d.log", pid);
	for (i = 0; i < 100; i++) {
		mn_strbuf_reset(&out);
		if (mn_vfs_read_file(mn_vfs_of(f->k), &mn_vfs_cred_kernel, "/",
				     path, 4096, &out) == 0 && out.len == 7)
			break;
		usleep(20000);
	}
	assert_string_equal(mn_strbuf_str(&out), "logged\n");
	mn_strbuf_reset(&out);
	assert_int_equal(mn_shell_exec(f->k, "spawn no-such-program-xyz",
				       &out), MN_SHELL_FAIL);
	assert_non_null(strstr(mn_strbuf_str(&out), "not found"));
	mn_strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_bad),
		cmocka_unit_test(test_frames),
		cmocka_unit_test_setup_teardown(test_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_signal_and_hangup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shell_spawn, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return MN_SKIP_STATUS(cmocka_run_group_tests(tests, NULL, NULL));
}
