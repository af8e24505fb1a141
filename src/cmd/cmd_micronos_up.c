/*
 * cmd_micronos_up.c - `micronos up`: boot an instance, serve it, shut it
 * down cleanly.
 *
 * Order of things: take the instance lock (so a second `up` fails at once),
 * block the signals we handle (before any thread exists, so every thread
 * inherits the mask and they arrive on the signalfd only), create the
 * kernel and the control socket, let the layers attach, boot, start the
 * socket, then serve until one of: SIGINT/SIGTERM/SIGHUP, a `down` request
 * (the ctl thread writes the eventfd), or the foreground shell ending.
 * Shutdown is the reverse: the socket first (attached shells are told and
 * cut off, so no command runs against a kernel going down), then the
 * kernel, then the runtime dir.
 *
 * With -d the process forks before any of that; the child reports through
 * a pipe what a foreground boot would print, then "READY" once the socket
 * listens, and the parent prints the report and exits 0 only after READY.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <micronos/ctl.h>
#include <micronos/kernel.h>
#include <micronos/log.h>

#include "micronos_i.h"

#define READY_MARK "READY\n"

struct daemon {
	const struct mn_opts *o;
	struct mn_inst in;
	struct mn_kernel *k;
	struct mn_ctl *ctl;
	int sigfd;
	int downfd;		/* eventfd: a `down` request arrived */
	int report_fd;		/* -d: pipe to the parent; else -1 */
};

/* Boot report: to stdout, or to the waiting parent with -d. */
static void say(struct daemon *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct daemon *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (d->report_fd >= 0) {
		char *s = NULL;
		int n = vasprintf(&s, fmt, ap);

		if (n > 0 && write(d->report_fd, s, (size_t)n) < 0)
			(void)0;
		free(s);
	} else {
		vprintf(fmt, ap);
		fflush(stdout);
	}
	va_end(ap);
}

static void say_buf(struct daemon *d, const struct mn_strbuf *sb)
{
	if (sb->len)
		say(d, "%s", mn_strbuf_str(sb));
}

static void on_down(void *arg)
{
	struct daemon *d = arg;
	uint64_t one = 1;

	if (write(d->downfd, &one, sizeof(one)) < 0)
		(void)0;
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->downfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->sigfd < 0 || d->downfd < 0)
		return -errno;
	return 0;
}

static void report_stages(struct daemon *d)
{
	struct mn_stage_info si;
	char a[32];
	uint64_t total = 0;

	for (int s = 0; s < MN_STAGE__COUNT; s++) {
		mn_kernel_stage_info(d->k, s, &si);
		total += si.duration_ns;
		say(d, "  [%d/%d] %-10s %10s%s\n", s + 1, MN_STAGE__COUNT,
		    si.name, mn_fmt_duration(a, sizeof(a), si.duration_ns),
		    si.error ? "  FAILED" : "");
	}
	say(d, "  boot took %s\n", mn_fmt_duration(a, sizeof(a), total));
}

static void report_where(struct daemon *d)
{
	struct mn_inst *in = &d->in;

	say(d, "MicronOS %s is up (pid %d)\n", in->name, (int)getpid());
	say(d, "  runtime dir  %s\n", in->runtime_dir);
	say(d, "  data dir     %s\n", in->data_dir);
	say(d, "  socket       %s\n", in->ctl_path);
	if (mn_kernel_slot(d->k, MN_SLOT_FUSE))
		say(d, "  mountpoint   %s\n", in->mount_dir);
	say(d, "  attach with  micronos shell%s%s\n",
	    strcmp(in->name, "default") ? " -n " : "",
	    strcmp(in->name, "default") ? in->name : "");
}

/* Creates kernel and socket, attaches layers, boots, starts the socket. */
static int start(struct daemon *d)
{
	struct mn_kernel_opts ko = {
		.name = d->in.name, .data_dir = d->in.data_dir,
		.runtime_dir = d->in.runtime_dir,
		.deterministic = d->o->deterministic};
	struct mn_strbuf err = MN_STRBUF_INIT;
	int ret;

	ret = mn_kernel_create(&d->k, &ko);
	if (ret < 0) {
		say(d, "micronos: cannot create the kernel: %s\n",
		    strerror(-ret));
		return ret;
	}
	ret = mn_ctl_create(&d->ctl, d->k, d->in.ctl_path);
	if (ret == 0)
		ret = attach_layers(d->k, d->ctl, &d->in, &err);
	if (ret == 0) {
		if (!d->o->quiet)
			say(d, "booting MicronOS %s (%s)\n", d->in.name,
			    MN_VERSION);
		ret = mn_kernel_boot(d->k, &err);
		if (!d->o->quiet)
			report_stages(d);
	}
	if (ret == 0) {
		mn_ctl_set_down(d->ctl, on_down, d);
		ret = mn_ctl_start(d->ctl);
		if (ret < 0)
			mn_strbuf_printf(&err, "control socket %s: %s",
					 d->in.ctl_path, strerror(-ret));
	}
	if (ret < 0) {
		say(d, "micronos: boot failed: %s%s", mn_strbuf_str(&err),
		    err.len && err.buf[err.len - 1] == '\n' ? "" : "\n");
		if (!err.len)
			say(d, "micronos: %s\n", strerror(-ret));
	}
	mn_strbuf_release(&err);
	return ret;
}

static void stop(struct daemon *d, const char *why)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "instance %s is shutting down (%s)",
		 d->in.name, why);
	if (d->ctl)
		mn_ctl_stop(d->ctl, reason);
	if (d->k)
		mn_kernel_shutdown(d->k);
	mn_ctl_destroy(d->ctl);
	mn_kernel_destroy(d->k);
	d->ctl = NULL;
	d->k = NULL;
	mn_inst_release(&d->in);
}

/* Waits for a signal or `down`; returns what it was. */
static const char *wait_for_end(struct daemon *d)
{
	for (;;) {
		struct pollfd pf[2] = {{d->sigfd, POLLIN, 0},
				       {d->downfd, POLLIN, 0}};
		struct signalfd_siginfo si;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return "poll failed";
		}
		if (pf[1].revents)
			return "down requested";
		if (read(d->sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGWINCH)
			continue;
		return strsignal((int)si.ssi_signo);
	}
}

/* The foreground shell on this terminal, attached through our own socket
 * like any other shell. */
static const char *serve_terminal(struct daemon *d)
{
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_ctl_client *cl;
	char hist[PATH_MAX + 16];
	struct mn_tui t = {0};

	if (mn_inst_connect(&d->in, &cl, &err) < 0) {
		fprintf(stderr, "micronos: %s", mn_strbuf_str(&err));
		mn_strbuf_release(&err);
		return wait_for_end(d);
	}
	snprintf(hist, sizeof(hist), "%s/history", d->in.data_dir);
	t.cl = cl;
	t.name = d->in.name;
	t.history = hist;
	t.owner = 1;
	t.sigfd = d->sigfd;
	t.downfd = d->downfd;
	switch (mn_tui_run(&t)) {
	case MN_TUI_EXIT:
		mn_ctl_client_destroy(cl);
		return "exit";
	case MN_TUI_INTERRUPT:
		mn_ctl_client_destroy(cl);
		return "interrupted";
	case MN_TUI_DOWN:
		mn_ctl_client_destroy(cl);
		return "down requested";
	default:
		mn_ctl_client_destroy(cl);
		return "shell connection lost";
	}
}

/* -d: the parent side.  Prints the child's report; 0 after READY. */
static int wait_child_report(int fd)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int ok;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		mn_strbuf_add(&sb, buf, (size_t)n);
	}
	close(fd);
	ok = sb.len >= strlen(READY_MARK) &&
	     !strcmp(sb.buf + sb.len - strlen(READY_MARK), READY_MARK);
	if (ok)
		mn_strbuf_truncate(&sb, sb.len - strlen(READY_MARK));
	fputs(mn_strbuf_str(&sb), ok ? stdout : stderr);
	mn_strbuf_release(&sb);
	return ok ? 0 : 1;
}

/* -d: forks; returns in the child (0) or exits in the parent. */
static int detach(struct daemon *d)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		exit(wait_child_report(p[0]));
	}
	close(p[0]);
	setsid();
	d->report_fd = p[1];
	return 0;
}

/* After READY: the daemon lets go of the terminal. */
static void finish_detach(struct daemon *d)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	say(d, READY_MARK);
	close(d->report_fd);
	d->report_fd = -1;
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	if (chdir("/") < 0)
		(void)0;
}

int mn_cmd_up(const struct mn_opts *o)
{
	struct daemon d = {.o = o, .sigfd = -1, .downfd = -1, .report_fd = -1};
	struct mn_strbuf err = MN_STRBUF_INIT, note = MN_STRBUF_INIT;
	const char *why;
	int tty = isatty(0) && isatty(1) && !o->detach;

	if (mn_inst_resolve(&d.in, o, &err) < 0) {
		fprintf(stderr, "micronos: %s", mn_strbuf_str(&err));
		mn_strbuf_release(&err);
		return 2;
	}
	if (o->detach && detach(&d) < 0) {
		perror("micronos: cannot detach");
		return 1;
	}
	if (mn_inst_lock(&d.in, &err, &note) < 0) {
		say(&d, "micronos: %s", mn_strbuf_str(&err));
		mn_strbuf_release(&err);
		return 1;
	}
	say_buf(&d, &note);
	mn_strbuf_release(&note);
	if (mn_inst_write_pid(&d.in) < 0 || setup_signals(&d) < 0 ||
	    start(&d) < 0) {
		stop(&d, "boot failed");
		return 1;
	}
	if (!tty && !o->detach)
		mn_log_set_sink(mn_kernel_log(d.k), stderr);
	if (!o->quiet)
		report_where(&d);
	if (o->detach)
		finish_detach(&d);
	why = tty ? serve_terminal(&d) : wait_for_end(&d);
	if (!o->detach)
		printf("shutting down MicronOS %s (%s)\n", d.in.name, why);
	stop(&d, why);
	if (!o->detach)
		printf("MicronOS %s stopped\n", d.in.name);
	close(d.sigfd);
	close(d.downfd);
	return 0;
}
