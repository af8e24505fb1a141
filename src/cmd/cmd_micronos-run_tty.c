/*
 * cmd_micronos-run_tty.c - the user's terminal while the program runs on
 * a terminal of its own inside (sandbox/pty.c relays between the two).
 *
 * Keys must reach the inner terminal as typed (^C, ^Z included), so the
 * user's terminal goes raw once the program runs, and back to what it
 * was when micronos-run ends, however the program ended.  It is done
 * here, on the host, and not by the relay inside: a micronos-run in the
 * background of its shell then stops on SIGTTOU when it touches the
 * terminal, as ssh -t does, instead of taking the terminal from the shell.
 * The relay copies the terminal's settings to the inner one before this
 * makes it raw (the program starts after the pty is set up).
 */
#include <termios.h>
#include <unistd.h>

#include "cmd_micronos-run.h"

static struct termios saved;
static int have;	/* saved holds the user's settings; main thread only */

void run_tty_save(void)
{
	have = isatty(0) && tcgetattr(0, &saved) == 0;
}

void run_tty_raw(void)
{
	struct termios raw;

	if (!have)
		return;
	raw = saved;
	cfmakeraw(&raw);
	tcsetattr(0, TCSADRAIN, &raw);
}

void run_tty_restore(void)
{
	if (have)
		tcsetattr(0, TCSADRAIN, &saved);
}
