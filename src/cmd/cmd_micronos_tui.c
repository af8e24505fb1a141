/*
 * cmd_micronos_tui.c - the terminal shell: line editing, history and tab
 * completion with GNU readline, and live views (top).
 *
 * Readline runs in its callback mode so that one poll() loop can watch the
 * keyboard, the control socket (a notice that the instance is going down
 * must interrupt a prompt at once), the signalfd (Ctrl-C, window size) and,
 * for the shell of a foreground `up`, the daemon's "down requested" eventfd.
 * Readline's own signal handling is off: signals are blocked and read from
 * the signalfd like everything else.  Completion asks the instance
 * ("complete LINE"), so it knows the live config keys, drivers and pids.
 *
 * Built without readline (MN_HAVE_READLINE unset) the same loop reads plain
 * lines: no editing, history or completion, everything else identical.
 *
 * Readline's callbacks take no user pointer, so the state of the one
 * running shell is a file-level struct.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#ifdef MN_HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#include <micronos/ctl.h>
#include <micronos/shell.h>

#include "micronos_i.h"

#define HISTORY_MAX 1000
#define LIVE_PERIOD_MS 1000

static struct {
	struct mn_tui *t;
	int done;
	enum mn_tui_end end;
	char prompt[MN_INST_NAME_MAX + 16];
	struct mn_strbuf cands;	/* completion candidates, one per line */
	const char *cand_next;
} S;

static void finish(enum mn_tui_end end)
{
	S.done = 1;
	S.end = end;
#ifdef MN_HAVE_READLINE
	rl_callback_handler_remove();
#endif
}

/* A notice or EOF arrived instead of a reply, or while idle. */
static void lost_instance(const struct mn_ctl_reply *r, int ret)
{
	if (ret == -ESHUTDOWN)
		fprintf(stderr, "\nmicronos: %s\n", r->notice);
	else
		fprintf(stderr, "\nmicronos: lost the instance: %s\n",
			strerror(-ret));
	finish(ret == -ESHUTDOWN ? MN_TUI_DOWN : MN_TUI_ERROR);
}

/* --- live views ---------------------------------------------------------- */

/* What ended a wait in the live view. */
enum live_ev { LIVE_TICK, LIVE_KEY, LIVE_STOP };

static enum live_ev live_wait(void)
{
	struct pollfd pf[3] = {{0, POLLIN, 0},
			       {mn_ctl_client_fd(S.t->cl), POLLIN, 0},
			       {S.t->sigfd, POLLIN, 0}};
	struct signalfd_siginfo si;
	char key[16];

	if (poll(pf, 3, LIVE_PERIOD_MS) <= 0)
		return LIVE_TICK;
	if (pf[0].revents) {
		if (read(0, key, sizeof(key)) < 0)
			(void)0;
		return LIVE_KEY;
	}
	if (pf[1].revents)
		return LIVE_STOP;	/* the notice is read by the caller */
	if (read(S.t->sigfd, &si, sizeof(si)) != sizeof(si) ||
	    si.ssi_signo == SIGWINCH)
		return LIVE_TICK;
	if (si.ssi_signo == SIGINT && !S.t->owner)
		return LIVE_KEY;
	finish(MN_TUI_INTERRUPT);
	return LIVE_STOP;
}

/*
 * Shows r and re-runs `line` every second on the alternate screen until a
 * key is pressed.  r is updated in place.
 */
static void live_view(const char *line, struct mn_ctl_reply *r)
{
	struct termios saved, raw;
	int ret = 0, have_tio = tcgetattr(0, &saved) == 0;

	if (have_tio) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	fputs("\033[?1049h\033[?25l", stdout);
	for (;;) {
		enum live_ev ev;

		fputs("\033[H\033[2J", stdout);
		mn_client_print(r);
		fputs("\n(press any key to leave)", stdout);
		fflush(stdout);
		ev = live_wait();
		if (ev != LIVE_TICK)
			break;
		ret = mn_ctl_client_call(S.t->cl, "sh", line, r);
		if (ret < 0)
			break;
	}
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (have_tio)
		tcsetattr(0, TCSANOW, &saved);
	/* Leave the last frame on the main screen, as `top -c` would. */
	if (ret == 0)
		mn_client_print(r);
	else
		lost_instance(r, ret);
}

/* --- running lines ------------------------------------------------------- */

static void run(const char *line)
{
	struct mn_ctl_reply r;
	int ret;

	mn_ctl_reply_init(&r);
	ret = mn_ctl_client_call(S.t->cl, "sh", line, &r);
	if (ret == -E2BIG) {
		fprintf(stderr, "micronos: line longer than %d bytes\n",
			MN_CTL_LINE_MAX);
	} else if (ret < 0) {
		lost_instance(&r, ret);
	} else if ((r.flags & MN_SHELL_F_LIVE) && isatty(1)) {
		live_view(line, &r);
	} else {
		mn_client_print(&r);
	}
	if (ret == 0 && (r.flags & MN_SHELL_F_EXIT)) {
		S.t->status = r.status;
		finish(MN_TUI_EXIT);
	}
	mn_ctl_reply_release(&r);
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

#ifdef MN_HAVE_READLINE

/* --- readline ------------------------------------------------------------ */

static void on_line(char *line)
{
	if (!line) {
		/* Ctrl-D on an empty line */
		putchar('\n');
		finish(MN_TUI_EXIT);
		return;
	}
	if (!blank(line)) {
		add_history(line);
		if (S.t->history)
			append_history(1, S.t->history);
		run(line);
	}
	free(line);
}

static char *next_candidate(const char *text, int state)
{
	const char *p, *nl;

	(void)text;
	if (state == 0)
		S.cand_next = mn_strbuf_str(&S.cands);
	p = S.cand_next;
	if (!*p)
		return NULL;
	nl = strchr(p, '\n');
	S.cand_next = nl ? nl + 1 : p + strlen(p);
	return strndup(p, nl ? (size_t)(nl - p) : strlen(p));
}

static char **complete(const char *text, int start, int end)
{
	struct mn_ctl_reply r;
	char *upto = strndup(rl_line_buffer, (size_t)end);

	(void)start;
	rl_attempted_completion_over = 1;
	mn_strbuf_reset(&S.cands);
	mn_ctl_reply_init(&r);
	if (upto && mn_ctl_client_call(S.t->cl, "complete", upto, &r) == 0)
		mn_strbuf_add(&S.cands, r.out.buf, r.out.len);
	mn_ctl_reply_release(&r);
	free(upto);
	/* A directory is completed with its '/', and no blank after it. */
	if (S.cands.len > 1 && S.cands.buf[S.cands.len - 2] == '/')
		rl_completion_suppress_append = 1;
	return rl_completion_matches(text, next_candidate);
}

static void history_open(void)
{
	int fd;

	using_history();
	stifle_history(HISTORY_MAX);
	if (!S.t->history)
		return;
	fd = open(S.t->history, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		S.t->history = NULL;	/* no data dir: memory only */
		return;
	}
	close(fd);
	read_history(S.t->history);
}

static void input_start(void)
{
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_readline_name = "micronos";
	rl_completer_word_break_characters = " \t";
	rl_attempted_completion_function = complete;
	history_open();
	rl_callback_handler_install(S.prompt, on_line);
}

static void input_ready(void)
{
	rl_callback_read_char();
}

static void input_cancel(void)
{
	rl_callback_sigcleanup();
	rl_replace_line("", 0);
	fputs("^C\n", stdout);
	rl_on_new_line();
	rl_redisplay();
}

static void input_resize(void)
{
	rl_resize_terminal();
}

static void input_end(void)
{
	if (!S.done)
		rl_callback_handler_remove();
	if (S.t->history)
		history_truncate_file(S.t->history, HISTORY_MAX);
}

#else

/* --- plain lines --------------------------------------------------------- */

static struct mn_strbuf pending;

static void prompt(void)
{
	fputs(S.prompt, stdout);
	fflush(stdout);
}

static void input_start(void)
{
	mn_strbuf_init(&pending);
	prompt();
}

static void input_ready(void)
{
	char buf[1024], *nl;
	ssize_t n = read(0, buf, sizeof(buf));

	if (n <= 0) {
		putchar('\n');
		finish(MN_TUI_EXIT);
		return;
	}
	mn_strbuf_add(&pending, buf, (size_t)n);
	while (!S.done && pending.buf && (nl = strchr(pending.buf, '\n'))) {
		*nl = '\0';
		if (!blank(pending.buf))
			run(pending.buf);
		memmove(pending.buf, nl + 1, strlen(nl + 1) + 1);
		pending.len = strlen(pending.buf);
		if (!S.done)
			prompt();
	}
}

static void input_cancel(void)
{
	mn_strbuf_reset(&pending);
	fputs("^C\n", stdout);
	prompt();
}

static void input_resize(void)
{
}

static void input_end(void)
{
	mn_strbuf_release(&pending);
}

#endif

/* --- the loop ------------------------------------------------------------ */

static void on_signal(void)
{
	struct signalfd_siginfo si;

	if (read(S.t->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH) {
		input_resize();
	} else if (si.ssi_signo == SIGINT && !S.t->owner) {
		input_cancel();
	} else {
		fputs(si.ssi_signo == SIGINT ? "^C\n" : "\n", stdout);
		finish(MN_TUI_INTERRUPT);
	}
}

static void on_socket(void)
{
	struct mn_ctl_reply r;
	int ret;

	mn_ctl_reply_init(&r);
	ret = mn_ctl_client_reply(S.t->cl, &r);
	lost_instance(&r, ret < 0 ? ret : -EPROTO);
	mn_ctl_reply_release(&r);
}

static void banner(void)
{
	printf("MicronOS %s (%s): type 'help' for the commands, ", S.t->name,
	       MN_VERSION);
	if (S.t->owner)
		printf("'exit' or Ctrl-C shuts the instance down.\n");
	else
		printf("'exit' or Ctrl-D leaves it running.\n");
}

/*
 * Ctrl-C must not flush typed-ahead input: readline peeks at the input
 * queue (FIONREAD) and then reads it, and a flush in between would leave it
 * blocked in read() with the interrupt unseen.  NOFLSH keeps the queue; the
 * interrupt still arrives on the signalfd and clears the line.
 */
static int keep_typeahead(struct termios *saved)
{
	struct termios tio;

	if (tcgetattr(0, saved) < 0)
		return 0;
	tio = *saved;
	tio.c_lflag |= NOFLSH;
	return tcsetattr(0, TCSANOW, &tio) == 0;
}

enum mn_tui_end mn_tui_run(struct mn_tui *t)
{
	struct termios saved;
	int restore;

	memset(&S, 0, sizeof(S));
	S.t = t;
	mn_strbuf_init(&S.cands);
	snprintf(S.prompt, sizeof(S.prompt), "micronos:%s> ", t->name);
	banner();
	restore = keep_typeahead(&saved);
	input_start();
	while (!S.done) {
		struct pollfd pf[4] = {{0, POLLIN, 0},
				       {mn_ctl_client_fd(t->cl), POLLIN, 0},
				       {t->sigfd, POLLIN, 0},
				       {t->downfd, POLLIN, 0}};

		if (poll(pf, t->downfd >= 0 ? 4 : 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			finish(MN_TUI_ERROR);
			break;
		}
		if (pf[2].revents)
			on_signal();
		else if (pf[1].revents)
			on_socket();
		else if (t->downfd >= 0 && pf[3].revents) {
			fputs("\n", stdout);
			finish(MN_TUI_DOWN);
		}
		else if (pf[0].revents)
			input_ready();
	}
	input_end();
	if (restore)
		tcsetattr(0, TCSANOW, &saved);
	mn_strbuf_release(&S.cands);
	return S.end;
}
