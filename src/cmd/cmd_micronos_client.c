/*
 * cmd_micronos_client.c - the socket clients of `micronos`: shell (one line
 * with -c, a script on standard input, or the terminal shell), down and
 * status.
 *
 * A script is read with poll() on both standard input and the socket, so a
 * shell fed by a pipe that is still open notices at once when the instance
 * goes down, instead of waiting for its next line.  Blank lines are not sent:
 * the exit status of a script is the status of its last command.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <micronos/ctl.h>
#include <micronos/shell.h>

#include "micronos_i.h"
#include "texttable_i.h"

void mn_client_print(const struct mn_ctl_reply *r)
{
	if (r->out.len)
		fwrite(r->out.buf, 1, r->out.len, stdout);
	fflush(stdout);
	if (r->err.len)
		fwrite(r->err.buf, 1, r->err.len, stderr);
	fflush(stderr);
}

const char *mn_client_info_get(const struct mn_ctl_reply *r, const char *key,
			       char *buf, size_t size)
{
	const char *p = mn_strbuf_str(&r->out);
	size_t klen = strlen(key);

	buf[0] = '\0';
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(buf, size, "%.*s", (int)(len - klen - 1),
				 p + klen + 1);
			break;
		}
		p += len + (nl ? 1 : 0);
	}
	return buf;
}

static int connect_inst(const struct mn_opts *o, struct mn_inst *in,
			struct mn_ctl_client **cl)
{
	struct mn_strbuf err = MN_STRBUF_INIT;
	int ret = mn_inst_resolve(in, o, &err);

	if (ret == 0)
		ret = mn_inst_connect(in, cl, &err);
	if (ret < 0)
		fprintf(stderr, "micronos: %s", mn_strbuf_str(&err));
	mn_strbuf_release(&err);
	return ret;
}

/* One request; prints its reply.  Returns the status, or -ESHUTDOWN. */
static int run_line(struct mn_ctl_client *cl, const char *line,
		    unsigned *flags)
{
	struct mn_ctl_reply r;
	int ret;

	mn_ctl_reply_init(&r);
	ret = mn_ctl_client_call(cl, "sh", line, &r);
	if (ret == 0) {
		mn_client_print(&r);
		ret = r.status;
		*flags = r.flags;
	} else if (ret == -ESHUTDOWN) {
		fprintf(stderr, "micronos: %s\n", r.notice);
	} else if (ret == -E2BIG) {
		fprintf(stderr, "micronos: line longer than %d bytes\n",
			MN_CTL_LINE_MAX);
		ret = MN_SHELL_USAGE;
	} else {
		fprintf(stderr, "micronos: lost the instance: %s\n",
			strerror(-ret));
		ret = -ESHUTDOWN;
	}
	mn_ctl_reply_release(&r);
	return ret;
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\r")] == '\0';
}

/* Runs the complete lines in sb; 1 when the script should end. */
static int run_lines(struct mn_ctl_client *cl, struct mn_strbuf *sb,
		     int at_eof, int *status)
{
	char *start = sb->buf, *nl;
	int end = 0;

	if (!start)
		return 0;
	while (!end && ((nl = strchr(start, '\n')) || (at_eof && *start))) {
		unsigned flags = 0;
		int ret;

		if (nl)
			*nl = '\0';
		if (!blank(start)) {
			ret = run_line(cl, start, &flags);
			if (ret == -ESHUTDOWN) {
				*status = 1;
				end = 1;
			} else {
				*status = ret;
				end = (flags & MN_SHELL_F_EXIT) != 0;
			}
		}
		start = nl ? nl + 1 : start + strlen(start);
	}
	memmove(sb->buf, start, strlen(start) + 1);
	sb->len = strlen(sb->buf);
	return end;
}

static int run_script(struct mn_ctl_client *cl)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	int status = 0, done = 0;

	while (!done) {
		struct pollfd pf[2] = {{0, POLLIN, 0},
				       {mn_ctl_client_fd(cl), POLLIN, 0}};
		char buf[4096];
		ssize_t n;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents) {
			/* Idle socket readable: a notice or EOF. */
			struct mn_ctl_reply r;

			mn_ctl_reply_init(&r);
			mn_ctl_client_reply(cl, &r);
			fprintf(stderr, "micronos: %s\n",
				r.notice[0] ? r.notice : "unexpected data");
			mn_ctl_reply_release(&r);
			status = 1;
			break;
		}
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			mn_strbuf_add(&sb, buf, (size_t)n);
		done = run_lines(cl, &sb, n <= 0, &status) || n <= 0;
	}
	mn_strbuf_release(&sb);
	return status;
}

static int run_terminal(struct mn_ctl_client *cl, const struct mn_inst *in)
{
	struct mn_ctl_reply r;
	char data[PATH_MAX], hist[PATH_MAX + 16] = "";
	struct mn_tui t = {0};
	sigset_t set;
	int ret;

	mn_ctl_reply_init(&r);
	if (mn_ctl_client_call(cl, "info", NULL, &r) == 0 &&
	    *mn_client_info_get(&r, "data_dir", data, sizeof(data)))
		snprintf(hist, sizeof(hist), "%s/history", data);
	mn_ctl_reply_release(&r);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	t.cl = cl;
	t.name = in->name;
	t.history = hist[0] ? hist : NULL;
	t.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	t.downfd = -1;
	if (t.sigfd < 0) {
		perror("micronos: signalfd");
		return 1;
	}
	switch (mn_tui_run(&t)) {
	case MN_TUI_EXIT:
		ret = t.status;
		break;
	case MN_TUI_DOWN:
		ret = 0;
		break;
	default:
		ret = 1;
	}
	close(t.sigfd);
	return ret;
}

int mn_cmd_shell(const struct mn_opts *o)
{
	struct mn_ctl_client *cl;
	struct mn_inst in;
	unsigned flags = 0;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (connect_inst(o, &in, &cl) < 0)
		return 1;
	if (o->line) {
		ret = run_line(cl, o->line, &flags);
		if (ret < 0)
			ret = 1;
	} else if (isatty(0) && isatty(1)) {
		ret = run_terminal(cl, &in);
	} else {
		ret = run_script(cl);
	}
	mn_ctl_client_destroy(cl);
	return ret;
}

int mn_cmd_down(const struct mn_opts *o)
{
	struct mn_ctl_client *cl;
	struct mn_ctl_reply r;
	struct mn_inst in;
	int ret, pid;

	signal(SIGPIPE, SIG_IGN);
	if (connect_inst(o, &in, &cl) < 0)
		return 1;
	pid = mn_inst_read_pid(&in);
	mn_ctl_reply_init(&r);
	ret = mn_ctl_client_call(cl, "down", NULL, &r);
	if (ret == 0 && r.status) {
		mn_client_print(&r);
		ret = -EPERM;
	} else {
		/* Wait for the notice or EOF: the socket is being closed. */
		while (ret == 0)
			ret = mn_ctl_client_reply(cl, &r);
		ret = 0;
	}
	mn_ctl_reply_release(&r);
	mn_ctl_client_destroy(cl);
	if (ret < 0)
		return 1;
	if (mn_inst_wait_gone(&in, pid, 30000) < 0) {
		fprintf(stderr, "micronos: instance '%s' did not stop within "
			"30 s\n",
			in.name);
		return 1;
	}
	printf("MicronOS %s is down\n", in.name);
	return 0;
}

/* --- status -------------------------------------------------------------- */

/* Adds one instance to the table; 1 if it runs, 0 if not. */
static int status_one(struct mn_texttable *t, const struct mn_inst *in,
		      struct mn_strbuf *notes)
{
	struct mn_ctl_client *cl;
	struct mn_ctl_reply r;
	char v[PATH_MAX], a[32];
	int up = 0;

	if (mn_ctl_client_connect(&cl, in->ctl_path) < 0) {
		if (mn_inst_is_locked(in))
			mn_strbuf_printf(notes, "%s: starting or not "
					 "answering\n",
					 in->name);
		else if (access(in->runtime_dir, F_OK) == 0)
			mn_strbuf_printf(notes, "%s: not running (stale "
					 "runtime dir of a crashed instance, "
					 "cleaned at its next up)\n",
					 in->name);
		return 0;
	}
	mn_ctl_reply_init(&r);
	if (mn_ctl_client_call(cl, "info", NULL, &r) == 0) {
		mn_texttable_cell(t, "%s", in->name);
		mn_texttable_cell(t, "%s",
				  mn_client_info_get(&r, "pid", v, sizeof(v)));
		mn_client_info_get(&r, "uptime_ns", v, sizeof(v));
		mn_texttable_cell(t, "%s",
				  mn_fmt_duration(a, sizeof(a),
						  strtoull(v, NULL, 10)));
		mn_texttable_cell(t, "%s",
				  mn_client_info_get(&r, "processes", v,
						     sizeof(v)));
		/* This connection is one of the clients: not a shell. */
		mn_client_info_get(&r, "clients", v, sizeof(v));
		mn_texttable_cell(t, "%ld", strtol(v, NULL, 10) - 1);
		mn_texttable_cell(t, "%s",
				  mn_client_info_get(&r, "data_dir", v,
						     sizeof(v)));
		mn_client_info_get(&r, "mount", v, sizeof(v));
		mn_texttable_cell(t, "%s", v[0] ? v : "-");
		up = 1;
	}
	mn_ctl_reply_release(&r);
	mn_ctl_client_destroy(cl);
	return up;
}

/*
 * A user lists its own instances (its runtime root); root's live in
 * /run/micronos, whose instance dirs are root's alone: say where, and how
 * many, so "no instance" is not taken for "nothing runs on this host".
 */
static void note_root_instances(struct mn_strbuf *notes)
{
	struct dirent **names = NULL;
	int n, count = 0;

	if (geteuid() == 0 || getenv("MICRONOS_RUNTIME_ROOT"))
		return;
	n = scandir("/run/micronos", &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			count++;
		free(names[i]);
	}
	free(names);
	if (count > 0)
		mn_strbuf_printf(notes, "(this lists your instances; root's "
				 "(%d) live in /run/micronos: sudo micronos "
				 "status)\n",
				 count);
}

int mn_cmd_status(const struct mn_opts *o)
{
	struct mn_strbuf notes = MN_STRBUF_INIT, err = MN_STRBUF_INIT;
	struct mn_opts one = *o;
	char root[PATH_MAX];
	struct dirent **names = NULL;
	struct mn_inst in;
	struct mn_texttable t;
	int running = 0, n = 0;

	signal(SIGPIPE, SIG_IGN);
	mn_texttable_init_header(&t,
				 "NAME|>PID|>UPTIME|>PROCS|>SHELLS|DATA|MOUNT");
	if (o->name || o->runtime) {
		if (mn_inst_resolve(&in, o, &err) == 0)
			running += status_one(&t, &in, &notes);
	} else if (mn_inst_runtime_root(root, sizeof(root)) == 0 &&
		   (n = scandir(root, &names, NULL, alphasort)) > 0) {
		for (int i = 0; i < n; i++) {
			one.name = names[i]->d_name;
			if (one.name[0] != '.' &&
			    mn_inst_resolve(&in, &one, &err) == 0)
				running += status_one(&t, &in, &notes);
			free(names[i]);
		}
		free(names);
	}
	if (!o->name && !o->runtime)
		note_root_instances(&notes);
	if (running) {
		struct mn_strbuf out = MN_STRBUF_INIT;

		mn_texttable_print(&t, &out);
		fputs(mn_strbuf_str(&out), stdout);
		mn_strbuf_release(&out);
	} else {
		mn_texttable_release(&t);
		printf("no MicronOS instance is running%s%s\n",
		       o->name ? " as " : "", o->name ? o->name : "");
	}
	fputs(mn_strbuf_str(&notes), stdout);
	fputs(mn_strbuf_str(&err), stderr);
	mn_strbuf_release(&notes);
	mn_strbuf_release(&err);
	return (o->name || o->runtime) && !running ? 1 : 0;
}
