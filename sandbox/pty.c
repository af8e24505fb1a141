/*
 * pty - a terminal of the program's own, inside the sandbox.
 *
 * A program started on a terminal (its stdin is one) cannot make the
 * user's terminal its controlling terminal: that terminal belongs to the
 * host session micronos-run runs in, and the program runs in a session of
 * the sandbox.  Without a controlling terminal a shell has no job control
 * ("no job control in this shell") and ^C, ^Z never become signals of the
 * foreground job.  So, as ssh -t and container runtimes do, the program
 * gets a terminal of its own: a pseudo-terminal of the sandbox's devpts.
 *
 * The spawned process (init's child, the pid micronos-run waits for and
 * signals) becomes the relay: it opens the pty, forks the program, which
 * starts a session with the pty's slave as controlling terminal on the
 * descriptors that were the user's terminal, and then copies bytes
 * between the user's terminal and the pty's master.  micronos-run makes
 * the user's terminal raw on the host once the program runs, and restores
 * it (src/cmd/cmd_micronos-run_tty.c); the inner terminal starts with the
 * user's settings as they were.  Keys typed become the inner terminal's: ^C, ^Z
 * and ^\ are signals to the program's foreground job, decided by the
 * kernel's line discipline exactly as on a console.  The relay takes
 * what micronos-run forwards to its process group: SIGWINCH copies the
 * user's window size onto the pty (the kernel then signals the
 * foreground job, with the new size already set), SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT go on to the foreground job.  When the program ends
 * the relay copies what is left of its output and ends the same way (exit code, or the same signal), so micronos-run
 * reports the program's status.
 *
 * The program is a session leader, so a program that is not a shell
 * (sleep) is in an orphaned process group, where the kernel ignores ^Z:
 * as under ssh -t.  It dies with the relay (PR_SET_PDEATHSIG): when
 * micronos-run goes, the instance kills the relay's process group, and
 * the program must not outlive it by ignoring the hangup.  The relay runs under the program's seccomp filter
 * and identity, and execs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox_i.h"

#define BUF 16384

/* 1 if fd is the same terminal as the user's (fd 0). */
static int same_tty(int fd, dev_t tty)
{
	struct stat st;

	return isatty(fd) && fstat(fd, &st) == 0 && st.st_rdev == tty;
}

int sbx_pty_open(struct sbx_pty *p)
{
	struct winsize ws;
	struct stat st;
	char name[64];
	int i;

	memset(p, 0, sizeof(*p));
	p->master = p->slave = -1;
	if (!isatty(0) || fstat(0, &st) < 0 ||
	    tcgetattr(0, &p->saved) < 0)
		return 0;
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) < 0 ||
	    unlockpt(p->master) < 0 ||
	    ptsname_r(p->master, name, sizeof(name)) != 0)
		goto fail;
	p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0 || tcsetattr(p->slave, TCSANOW, &p->saved) < 0)
		goto fail;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(p->slave, TIOCSWINSZ, &ws);
	for (i = 0; i < 3; i++)
		p->was_tty[i] = same_tty(i, st.st_rdev);
	return 1;
fail:
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	p->master = p->slave = -1;
	return -errno;
}

/* The program's side: its own session on the slave. */
static void become_session(struct sbx_pty *p, pid_t relay)
{
	int i;

	/* killing the relay (micronos-run went, and the instance killed
	   the program's group: the relay's) kills the program, whatever
	   it does with the terminal's hangup */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != relay)
		_exit(128 + SIGKILL);
	setsid();
	ioctl(p->slave, TIOCSCTTY, 0);
	for (i = 0; i < 3; i++)
		if (p->was_tty[i])
			dup2(p->slave, i);	/* dup2 clears CLOEXEC */
	close(p->slave);
	close(p->master);
}

/* Writes all of buf to fd (a terminal may take it in pieces). */
static void put_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, (size_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= w;
	}
}

/* The foreground job of the pty, or the program if it has none. */
static void to_foreground(struct sbx_pty *p, pid_t child, int sig)
{
	pid_t fg;

	if (ioctl(p->master, TIOCGPGRP, &fg) == 0 && fg > 0 &&
	    kill(-fg, sig) == 0)
		return;
	kill(child, sig);
}

/* Copies what the program left in the pty; returns when it is empty. */
static void drain(struct sbx_pty *p, int out)
{
	struct pollfd pf = {.fd = p->master, .events = POLLIN};
	char buf[BUF];
	ssize_t n;

	while (poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN) &&
	       (n = read(p->master, buf, sizeof(buf))) > 0)
		put_all(out, buf, n);
}

/* Ends the relay as the program ended. */
static void end_like(int status)
{
	struct rlimit none = {0, 0};
	sigset_t all;
	int sig;

	if (!WIFSIGNALED(status))
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	sig = WTERMSIG(status);
	setrlimit(RLIMIT_CORE, &none);	/* the program dumped, not us */
	signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	kill(getpid(), sig);
	_exit(128 + sig);
}

/* What micronos-run forwarded to the relay's group, and the program's
   end (which ends the relay). */
static void on_signals(struct sbx_pty *p, pid_t child, int sfd, int out)
{
	struct signalfd_siginfo si;
	struct winsize ws;
	int status;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			if (ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(p->master, TIOCSWINSZ, &ws);
		} else if (si.ssi_signo != SIGCHLD) {
			to_foreground(p, child, (int)si.ssi_signo);
		}
	}
	if (waitpid(child, &status, WNOHANG) == child) {
		drain(p, out);
		end_like(status);
	}
}

/*
 * The copy loop.  The master is non-blocking and typed input waits in
 * `in` while the program does not read it: a relay blocked writing input
 * could not read the output the program is blocked writing.
 */
static void relay(struct sbx_pty *p, pid_t child, int sfd)
{
	int out = p->was_tty[1] ? 1 : p->was_tty[2] ? 2 : 0;
	struct pollfd pf[3] = {{.fd = 0}, {.fd = p->master}, {.fd = sfd}};
	char buf[BUF], in[BUF];
	size_t in_len = 0, in_off = 0;
	ssize_t n;

	fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);
	pf[2].events = POLLIN;
	for (;;) {
		pf[0].events = in_len ? 0 : POLLIN;
		pf[1].events = POLLIN | (in_len ? POLLOUT : 0);
		if (poll(pf, 3, -1) < 0)
			continue;
		if (pf[0].revents) {
			n = read(0, in, sizeof(in));
			if (n > 0)
				in_len = (size_t)n, in_off = 0;
			else if (n == 0 || errno != EINTR)
				pf[0].fd = -1;	/* the user's side hung up */
		}
		if (in_len && pf[1].fd >= 0) {
			n = write(p->master, in + in_off, in_len);
			if (n > 0)
				in_off += (size_t)n, in_len -= (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				in_len = 0;	/* nobody to type to */
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(p->master, buf, sizeof(buf));
			if (n > 0)
				put_all(out, buf, n);
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				pf[1].fd = -1;	/* no program side left */
		}
		if (pf[2].revents)
			on_signals(p, child, sfd, out);
	}
}

pid_t sbx_pty_fork(struct sbx_pty *p)
{
	static const int sigs[] = {SIGCHLD, SIGWINCH, SIGINT, SIGTERM,
				   SIGHUP, SIGQUIT};
	sigset_t set, old;
	pid_t child, me;
	size_t i;
	int sfd;

	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	me = getpid();
	child = fork();
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		become_session(p, me);
		return 0;
	}
	if (child < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -errno;
	}
	close(p->slave);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		kill(child, SIGKILL);
		_exit(127);
	}
	relay(p, child, sfd);
	_exit(127);	/* not reached */
}
