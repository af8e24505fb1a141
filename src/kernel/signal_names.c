/*
 * signal_names - Linux signal numbers, names and default actions.
 *
 * The pure half of the signal service: one table row per signal, used by the
 * service (default actions), the shell's `signals` and `kill -SIGNAME`, and
 * the sandbox (which passes host signal numbers straight through: MicronOS
 * numbers are Linux's).  Real-time names follow bash's `kill -l`: SIGRTMIN
 * (34) .. SIGRTMIN+15, SIGRTMAX-14 .. SIGRTMAX (64); 32 and 33, which glibc
 * keeps for itself, are SIG32 and SIG33 as in ps(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <micronos/signal.h>

#define T MN_SIGACT_TERM
#define C MN_SIGACT_CORE
#define S MN_SIGACT_STOP
#define K MN_SIGACT_CONT
#define I MN_SIGACT_IGN

static const struct {
	const char *name;
	enum mn_sig_action act;
} sigtab[MN_SIG_MAX + 1] = {
	[1] = {"SIGHUP", T},
	[2] = {"SIGINT", T},
	[3] = {"SIGQUIT", C},
	[4] = {"SIGILL", C},
	[5] = {"SIGTRAP", C},
	[6] = {"SIGABRT", C},
	[7] = {"SIGBUS", C},
	[8] = {"SIGFPE", C},
	[9] = {"SIGKILL", T},
	[10] = {"SIGUSR1", T},
	[11] = {"SIGSEGV", C},
	[12] = {"SIGUSR2", T},
	[13] = {"SIGPIPE", T},
	[14] = {"SIGALRM", T},
	[15] = {"SIGTERM", T},
	[16] = {"SIGSTKFLT", T},
	[17] = {"SIGCHLD", I},
	[18] = {"SIGCONT", K},
	[19] = {"SIGSTOP", S},
	[20] = {"SIGTSTP", S},
	[21] = {"SIGTTIN", S},
	[22] = {"SIGTTOU", S},
	[23] = {"SIGURG", I},
	[24] = {"SIGXCPU", C},
	[25] = {"SIGXFSZ", C},
	[26] = {"SIGVTALRM", T},
	[27] = {"SIGPROF", T},
	[28] = {"SIGWINCH", I},
	[29] = {"SIGIO", T},
	[30] = {"SIGPWR", T},
	[31] = {"SIGSYS", C},
	[32] = {"SIG32", T},
	[33] = {"SIG33", T},
	[34] = {"SIGRTMIN", T},
	[35] = {"SIGRTMIN+1", T},
	[36] = {"SIGRTMIN+2", T},
	[37] = {"SIGRTMIN+3", T},
	[38] = {"SIGRTMIN+4", T},
	[39] = {"SIGRTMIN+5", T},
	[40] = {"SIGRTMIN+6", T},
	[41] = {"SIGRTMIN+7", T},
	[42] = {"SIGRTMIN+8", T},
	[43] = {"SIGRTMIN+9", T},
	[44] = {"SIGRTMIN+10", T},
	[45] = {"SIGRTMIN+11", T},
	[46] = {"SIGRTMIN+12", T},
	[47] = {"SIGRTMIN+13", T},
	[48] = {"SIGRTMIN+14", T},
	[49] = {"SIGRTMIN+15", T},
	[50] = {"SIGRTMAX-14", T},
	[51] = {"SIGRTMAX-13", T},
	[52] = {"SIGRTMAX-12", T},
	[53] = {"SIGRTMAX-11", T},
	[54] = {"SIGRTMAX-10", T},
	[55] = {"SIGRTMAX-9", T},
	[56] = {"SIGRTMAX-8", T},
	[57] = {"SIGRTMAX-7", T},
	[58] = {"SIGRTMAX-6", T},
	[59] = {"SIGRTMAX-5", T},
	[60] = {"SIGRTMAX-4", T},
	[61] = {"SIGRTMAX-3", T},
	[62] = {"SIGRTMAX-2", T},
	[63] = {"SIGRTMAX-1", T},
	[64] = {"SIGRTMAX", T},
};

#undef T
#undef C
#undef S
#undef K
#undef I

/* Other names people type: kill -IOT, kill -POLL, kill -CLD. */
static const struct {
	const char *name;
	int sig;
} aliases[] = {
	{"IOT", 6},
	{"POLL", 29},
	{"CLD", 17},
};

static const char *const action_names[] = {
	[MN_SIGACT_TERM] = "terminate",
	[MN_SIGACT_CORE] = "core",
	[MN_SIGACT_STOP] = "stop",
	[MN_SIGACT_CONT] = "continue",
	[MN_SIGACT_IGN] = "ignore",
};

static const char *const disp_names[] = {
	[MN_SIG_DFL] = "default",
	[MN_SIG_IGN] = "ignore",
	[MN_SIG_HANDLE] = "handle",
};

const char *mn_signal_name(int sig)
{
	return sig >= 1 && sig <= MN_SIG_MAX ? sigtab[sig].name : NULL;
}

enum mn_sig_action mn_signal_default_action(int sig)
{
	return sig >= 1 && sig <= MN_SIG_MAX ? sigtab[sig].act
					      : MN_SIGACT_IGN;
}

const char *mn_sig_action_name(enum mn_sig_action act)
{
	return (unsigned)act <= MN_SIGACT_IGN ? action_names[act] : "?";
}

const char *mn_sig_disp_name(enum mn_sig_disp disp)
{
	return (unsigned)disp <= MN_SIG_HANDLE ? disp_names[disp] : "?";
}

/* A decimal number with nothing after it, in [0, max]; else -1. */
static int parse_small(const char *s, int max)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v > max ? -1 : (int)v;
}

/* "RTMIN+n" / "RTMAX-n" / "RTMIN" / "RTMAX" without the SIG prefix. */
static int parse_rt(const char *s)
{
	int base, sign, n = 0;

	if (strncasecmp(s, "RTMIN", 5) == 0) {
		base = MN_SIG_RTMIN;
		sign = '+';
	} else if (strncasecmp(s, "RTMAX", 5) == 0) {
		base = MN_SIG_MAX;
		sign = '-';
	} else {
		return -EINVAL;
	}
	s += 5;
	if (*s) {
		if (*s != sign)
			return -EINVAL;
		n = parse_small(s + 1, MN_SIG_MAX - MN_SIG_RTMIN);
		if (n < 0)
			return -EINVAL;
	}
	return sign == '+' ? base + n : base - n;
}

int mn_signal_parse(const char *name)
{
	const char *s = name;
	int sig;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	sig = parse_small(s, MN_SIG_MAX);
	if (sig >= 0)
		return sig;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (sig = 1; sig <= MN_SIG_MAX; sig++)
		if (strcasecmp(s, sigtab[sig].name + 3) == 0)
			return sig;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(s, aliases[i].name) == 0)
			return aliases[i].sig;
	return parse_rt(s);
}

int mn_sigset_format(uint64_t set, struct mn_strbuf *out)
{
	int sig, first = 1;

	if (!set)
		return mn_strbuf_puts(out, "-");
	for (sig = 1; sig <= MN_SIG_MAX; sig++) {
		if (!(set & MN_SIGBIT(sig)))
			continue;
		mn_strbuf_printf(out, "%s%s", first ? "" : ",",
				 sigtab[sig].name + 3);
		first = 0;
	}
	return mn_strbuf_error(out);
}
