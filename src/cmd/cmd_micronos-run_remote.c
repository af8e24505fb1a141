/*
 * cmd_micronos-run_remote.c - running a program through a running
 * instance: the client side of the "run" conversation (sandbox.h).
 *
 * Finding the instance: its control socket is RUNTIME/ctl, RUNTIME being
 * --runtime DIR or ROOT/NAME with ROOT as `micronos` computes it
 * ($MICRONOS_RUNTIME_ROOT, /run/micronos for root, $XDG_RUNTIME_DIR/micronos,
 * /tmp/micronos-UID).  This duplicates mn_inst_runtime_root() of
 * cmd_micronos_inst.c, which is part of the `micronos` program and not in a
 * library; the two must agree.  The connect itself answers "is it
 * running?": no socket or nobody listening means no instance.
 *
 * Then: the request line "run 1" with our stdin/stdout/stderr attached, the
 * request frame, and a poll() loop over the socket (pid, errors, the exit
 * code) and a signalfd (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, each
 * sent on as an "s" frame; SIGTSTP, ^Z, is sent on and then stops us, and
 * the SIGCONT of `fg` is sent on when we continue).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <micronos/ctl.h>

#include "cmd_micronos-run.h"
#include "sandbox.h"

#define NAME_MAX_LEN 64

static int name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < NAME_MAX_LEN && name[0] != '.' && name[0] != '-' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			    "WXYZ0123456789_.-") == n;
}

/* The control socket's path.  0, -EINVAL (bad name), -ENAMETOOLONG. */
static int ctl_path(const struct run_opts *o, char *buf, size_t size)
{
	const char *env = getenv("MICRONOS_RUNTIME_ROOT");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (o->runtime)
		n = snprintf(buf, size, "%s/ctl", o->runtime);
	else if (!name_ok(o->name))
		return -EINVAL;
	else if (env && *env)
		n = snprintf(buf, size, "%s/%s/ctl", env, o->name);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/micronos/%s/ctl", o->name);
	else if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/micronos/%s/ctl", xdg, o->name);
	else
		n = snprintf(buf, size, "/tmp/micronos-%u/%s/ctl",
			     (unsigned)geteuid(), o->name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int send_request(struct mn_ctl_client *cl, const struct run_opts *o,
			char *const *env)
{
	struct mn_run_request rq = {.events = o->show_events};
	struct mn_strbuf buf = MN_STRBUF_INIT;
	static const int fds[3] = {0, 1, 2};
	int e;

	rq.sp.argv = (const char *const *)o->argv;
	rq.sp.envp = (const char *const *)env;
	rq.sp.cwd = o->cwd;
	rq.sp.cwd_strict = o->cwd_strict;
	rq.sp.uid = o->uid;
	rq.sp.gid = o->gid;
	rq.sp.prio = o->prio;
	rq.sp.mem_limit = o->mem_limit;
	rq.sp.trace_files = o->sb.trace_files;
	rq.sp.faults = o->faults.len ? mn_strbuf_str(&o->faults) : NULL;
	e = mn_run_request_encode(&rq, &buf);
	if (e == 0 && buf.len > MN_RUN_REQUEST_MAX)
		e = -E2BIG;
	if (e == 0)
		e = mn_ctl_client_send(cl, MN_RUN_VERB, MN_RUN_PROTO, fds, 3);
	if (e == 0)
		e = mn_ctl_send_frame(mn_ctl_client_fd(cl), 'q', buf.buf,
				      buf.len);
	mn_strbuf_release(&buf);
	return e;
}

/* One frame from the instance: 1 when the conversation is over. */
static int on_frame(const struct mn_run_frame *f, int *code)
{
	switch (f->tag) {
	case 'x':
		*code = f->code;
		return 1;
	case 'e':
	case 'o':
		if (fwrite(f->data.buf ? f->data.buf : "", 1, f->data.len,
			   f->tag == 'e' ? stderr : stdout) != f->data.len)
			(void)0;	/* our stderr is gone: nothing to say */
		return 0;
	case '!':
		fprintf(stderr, "micronos-run: %s\n", mn_strbuf_str(&f->data));
		*code = 125;
		return 1;
	case 'p':
		run_tty_raw();	/* it runs, on its own pty: keys as typed */
		return 0;
	default:
		return 0;	/* anything newer */
	}
}

/* Serves the conversation; *code stays 125 if it breaks off. */
static void converse(struct mn_ctl_client *cl, const char *name, int sigfd,
		     int *code)
{
	struct mn_run_frame f = {.data = MN_STRBUF_INIT};
	struct mn_run_reader rd;
	struct pollfd p[2] = {{.fd = mn_ctl_client_fd(cl), .events = POLLIN},
			      {.fd = sigfd, .events = POLLIN}};
	int e = 0, done = 0;

	*code = 125;
	mn_run_reader_init(&rd, p[0].fd);
	while (!done && e == 0) {
		if (!mn_run_reader_buffered(&rd) && poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents) {
			struct signalfd_siginfo si;
			char num[16];

			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				snprintf(num, sizeof(num), "%u", si.ssi_signo);
				mn_ctl_send_frame(p[0].fd, 's', num,
						  strlen(num));
				if (si.ssi_signo == SIGTSTP)
					kill(getpid(), SIGSTOP);
			}
			p[1].revents = 0;
			continue;
		}
		e = mn_run_read_frame(&rd, &f, MN_CTL_FRAME_MAX, -1);
		if (e == 0)
			done = on_frame(&f, code);
	}
	if (e == -ESHUTDOWN) {
		fprintf(stderr, "micronos-run: instance %s went away (shut "
			"down or crashed); the program was killed\n", name);
		*code = 128 + SIGKILL;	/* init kills the namespace */
	}
	else if (e < 0)
		fprintf(stderr, "micronos-run: lost instance %s: %s\n", name,
			strerror(-e));
	mn_strbuf_release(&f.data);
}

int run_remote(const struct run_opts *o, char *const *env, int *code)
{
	struct mn_ctl_client *cl = NULL;
	char path[4096];
	sigset_t set;
	int e, sigfd;

	if ((e = ctl_path(o, path, sizeof(path))) < 0) {
		fprintf(stderr, "micronos-run: %s: %s\n", e == -EINVAL ?
			"bad instance name" : "runtime path too long", o->name);
		return e;
	}
	e = mn_ctl_client_connect(&cl, path);
	if (e == -ENOENT || e == -ECONNREFUSED || e == -ENOTDIR)
		return -ENOENT;	/* nobody runs there */
	if (e < 0) {
		fprintf(stderr, "micronos-run: cannot reach instance %s at "
			"%s: %s\n", o->name, path, strerror(-e));
		return e;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGCONT);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	e = sigfd < 0 ? -errno : send_request(cl, o, env);
	if (e < 0)
		fprintf(stderr, "micronos-run: cannot send the request to %s: "
			"%s\n", o->name, strerror(-e));
	else
		converse(cl, o->name, sigfd, code);
	if (sigfd >= 0)
		close(sigfd);
	mn_ctl_client_destroy(cl);
	return e;
}
