/*
 * test_signal - the signal service.
 *
 * Names and parsing, kill's checks (range, missing pid, credentials, init,
 * kernel tasks), default actions on MicronOS processes, masks (a blocked
 * signal stays pending and is delivered at unblock; SIGKILL and SIGSTOP
 * cannot be blocked), delivery order, stop/continue rules, dispositions and
 * handlers, the host hook for real programs, the scheduler hook for kernel
 * tasks, pid reuse, fork/exec and the text for the shell.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <micronos/evbus.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/signal.h>

#define SIGHUP_ 1
#define SIGINT_ 2
#define SIGKILL_ 9
#define SIGUSR1_ 10
#define SIGSEGV_ 11
#define SIGUSR2_ 12
#define SIGTERM_ 15
#define SIGCHLD_ 17
#define SIGCONT_ 18
#define SIGSTOP_ 19
#define SIGTSTP_ 20

struct fixture {
	struct mn_evbus *bus;
	struct mn_proctab *pt;
	struct mn_sched *sched;
	struct mn_signals *sigs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mn_proctab_opts o = {.ktask_pids = -1, .init_reaps = 0};

	assert_non_null(f);
	assert_int_equal(mn_evbus_create(&f->bus, 1000, NULL), 0);
	assert_int_equal(mn_proctab_create(&f->pt, &o, NULL, f->bus), 0);
	assert_int_equal(mn_sched_create(&f->sched, NULL), 0);
	assert_int_equal(mn_signals_create(&f->sigs, f->pt, f->sched, f->bus),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_signals_destroy(f->sigs);
	mn_sched_destroy(f->sched);
	mn_proctab_destroy(f->pt);
	mn_evbus_destroy(f->bus);
	free(f);
	return 0;
}

static int32_t spawn_kind(struct mn_proctab *pt, uint32_t uid,
			  enum mn_proc_kind kind, int32_t host)
{
	struct mn_proc_spec s = {.ppid = 1, .uid = uid, .gid = uid,
				 .kind = kind, .host_pid = host};

	return mn_proc_create(pt, &s);
}

static int32_t spawn(struct mn_proctab *pt, uint32_t uid)
{
	return spawn_kind(pt, uid, MN_PROC_USER, 0);
}

static enum mn_proc_state state_of(struct mn_proctab *pt, int32_t pid)
{
	struct mn_proc_info pi;

	assert_int_equal(mn_proc_get(pt, pid, &pi), 0);
	return pi.state;
}

static int status_of(struct mn_proctab *pt, int32_t pid)
{
	struct mn_proc_info pi;

	assert_int_equal(mn_proc_get(pt, pid, &pi), 0);
	assert_int_equal(pi.state, MN_PROC_ZOMBIE);
	return pi.exit_status;
}

static uint64_t pending_of(struct mn_signals *sigs, int32_t pid)
{
	uint64_t set = 0;

	assert_int_equal(mn_signals_pending(sigs, pid, &set), 0);
	return set;
}

/* Records handled signals in order. */
struct hlog {
	int sigs[64];
	int n;
	int32_t pid;
};

static void record(void *arg, int32_t pid, int sig)
{
	struct hlog *h = arg;

	h->pid = pid;
	if (h->n < 64)
		h->sigs[h->n++] = sig;
}

/* ------------------------------------------------------------------------ */

static void test_names_and_parse(void **state)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;

	(void)state;
	assert_string_equal(mn_signal_name(15), "SIGTERM");
	assert_string_equal(mn_signal_name(9), "SIGKILL");
	assert_string_equal(mn_signal_name(31), "SIGSYS");
	assert_string_equal(mn_signal_name(32), "SIG32");
	assert_string_equal(mn_signal_name(34), "SIGRTMIN");
	assert_string_equal(mn_signal_name(37), "SIGRTMIN+3");
	assert_string_equal(mn_signal_name(50), "SIGRTMAX-14");
	assert_string_equal(mn_signal_name(64), "SIGRTMAX");
	assert_null(mn_signal_name(0));
	assert_null(mn_signal_name(65));
	assert_null(mn_signal_name(-1));
	for (int sig = 1; sig <= MN_SIG_MAX; sig++)
		assert_int_equal(mn_signal_parse(mn_signal_name(sig)), sig);
	assert_int_equal(mn_signal_parse("TERM"), 15);
	assert_int_equal(mn_signal_parse("sigterm"), 15);
	assert_int_equal(mn_signal_parse("kill"), 9);
	assert_int_equal(mn_signal_parse("15"), 15);
	assert_int_equal(mn_signal_parse("0"), 0);
	assert_int_equal(mn_signal_parse("64"), 64);
	assert_int_equal(mn_signal_parse("RTMIN+2"), 36);
	assert_int_equal(mn_signal_parse("SIGRTMAX-1"), 63);
	assert_int_equal(mn_signal_parse("IOT"), 6);
	assert_int_equal(mn_signal_parse("SIGPOLL"), 29);
	assert_int_equal(mn_signal_parse("65"), -EINVAL);
	assert_int_equal(mn_signal_parse("-1"), -EINVAL);
	assert_int_equal(mn_signal_parse("15x"), -EINVAL);
	assert_int_equal(mn_signal_parse("FOO"), -EINVAL);
	assert_int_equal(mn_signal_parse("SIG"), -EINVAL);
	assert_int_equal(mn_signal_parse("RTMIN+31"), -EINVAL);
	assert_int_equal(mn_signal_parse("RTMIN-1"), -EINVAL);
	assert_int_equal(mn_signal_parse(""), -EINVAL);
	assert_int_equal(mn_signal_parse(NULL), -EINVAL);

	assert_int_equal(mn_signal_default_action(SIGTERM_), MN_SIGACT_TERM);
	assert_int_equal(mn_signal_default_action(SIGSEGV_), MN_SIGACT_CORE);
	assert_int_equal(mn_signal_default_action(SIGCHLD_), MN_SIGACT_IGN);
	assert_int_equal(mn_signal_default_action(SIGCONT_), MN_SIGACT_CONT);
	assert_int_equal(mn_signal_default_action(SIGTSTP_), MN_SIGACT_STOP);
	assert_int_equal(mn_signal_default_action(40), MN_SIGACT_TERM);
	assert_int_equal(mn_signal_default_action(0), MN_SIGACT_IGN);
	assert_string_equal(mn_sig_action_name(MN_SIGACT_STOP), "stop");
	assert_string_equal(mn_sig_disp_name(MN_SIG_HANDLE), "handle");

	mn_sigset_format(0, &sb);
	mn_strbuf_puts(&sb, " ");
	mn_sigset_format(MN_SIGBIT(1) | MN_SIGBIT(15) | MN_SIGBIT(34), &sb);
	assert_string_equal(mn_strbuf_str(&sb), "- HUP,TERM,RTMIN");
	mn_strbuf_release(&sb);
}

static void test_kill_checks(void **state)
{
	struct fixture *f = *state;
	struct mn_cred alice = {.pid = 0, .uid = 1000};
	struct mn_cred bob = {.pid = 0, .uid = 1001};
	struct mn_cred root = {.pid = 0, .uid = 0};
	struct mn_signals_stats st;
	int32_t p = spawn(f->pt, 1000);

	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, -1), -EINVAL);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, 65), -EINVAL);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 0, 15), -EINVAL);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, -1, 15), -EINVAL);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 999, 15), -ESRCH);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 999, 0), -ESRCH);
	assert_int_equal(mn_signals_kill(f->sigs, &bob, p, SIGTERM_), -EPERM);
	assert_int_equal(mn_signals_kill(f->sigs, &bob, p, 0), -EPERM);
	assert_int_equal(mn_signals_kill(f->sigs, &alice, p, 0), 0);
	assert_int_equal(mn_signals_kill(f->sigs, &root, p, 0), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_RUNNING);
	/* euid counts too (a setuid program) */
	mn_proc_set_ids(f->pt, p, (uint32_t)-1, 1001, (uint32_t)-1,
			(uint32_t)-1);
	assert_int_equal(mn_signals_kill(f->sigs, &bob, p, 0), 0);
	/* init takes no default-action signal */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 1, SIGTERM_), -EPERM);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 1, SIGKILL_), -EPERM);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 1, SIGSTOP_), -EPERM);
	assert_int_equal(state_of(f->pt, 1), MN_PROC_RUNNING);
	assert_int_equal(mn_signals_kill(f->sigs, &alice, p, SIGTERM_), 0);
	assert_true(WIFSIGNALED(status_of(f->pt, p)));
	assert_int_equal(WTERMSIG(status_of(f->pt, p)), SIGTERM_);
	/* a zombie: accepted, nothing happens */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGKILL_), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, p)), SIGTERM_);
	mn_signals_stats(f->sigs, &st);
	assert_int_equal(st.refused, 11);
	assert_int_equal(st.by_signal[SIGTERM_], 1);
	assert_true(st.delivered >= 1);
}

static void test_default_actions(void **state)
{
	struct fixture *f = *state;
	int32_t a = spawn(f->pt, 0), b = spawn(f->pt, 0), c = spawn(f->pt, 0);
	int32_t d = spawn(f->pt, 0);

	assert_int_equal(mn_signals_kill(f->sigs, NULL, a, SIGSEGV_), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, a)), SIGSEGV_);
	assert_true(WCOREDUMP(status_of(f->pt, a)));
	assert_int_equal(mn_signals_kill(f->sigs, NULL, b, SIGCHLD_), 0);
	assert_int_equal(state_of(f->pt, b), MN_PROC_RUNNING);
	assert_int_equal(pending_of(f->sigs, b), 0);	/* discarded */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, c, 40), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, c)), 40);
	assert_false(WCOREDUMP(status_of(f->pt, c)));
	assert_int_equal(mn_signals_kill(f->sigs, NULL, d, SIGKILL_), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, d)), SIGKILL_);
	/* the parent can reap what a signal killed */
	int status;
	assert_int_equal(mn_proc_wait(f->pt, 1, d, 0, &status, NULL), d);
	assert_int_equal(WTERMSIG(status), SIGKILL_);
}

static void test_blocked_stays_pending(void **state)
{
	struct fixture *f = *state;
	int32_t p = spawn(f->pt, 0);
	uint64_t set = MN_SIGBIT(SIGTERM_), old = 1;

	assert_int_equal(mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &set, &old),
			 0);
	assert_int_equal(old, 0);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGTERM_), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_RUNNING);
	assert_int_equal(pending_of(f->sigs, p), MN_SIGBIT(SIGTERM_));
	/* sending it again keeps one pending instance */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGTERM_), 0);
	assert_int_equal(pending_of(f->sigs, p), MN_SIGBIT(SIGTERM_));
	/* read-only query */
	assert_int_equal(mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, NULL, &old),
			 0);
	assert_int_equal(old, MN_SIGBIT(SIGTERM_));
	/* unblocking delivers */
	assert_int_equal(mn_signals_mask(f->sigs, p, MN_SIG_UNBLOCK, &set,
					 NULL), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, p)), SIGTERM_);
	assert_int_equal(mn_signals_mask(f->sigs, p, 9, &set, NULL), -EINVAL);
	assert_int_equal(mn_signals_mask(f->sigs, 999, MN_SIG_BLOCK, &set,
					 NULL), -ESRCH);
	assert_int_equal(mn_signals_pending(f->sigs, 999, &set), -ESRCH);
}

static void test_kill_and_stop_unblockable(void **state)
{
	struct fixture *f = *state;
	int32_t p = spawn(f->pt, 0);
	uint64_t all = ~0ULL, mask = 0;

	assert_int_equal(mn_signals_mask(f->sigs, p, MN_SIG_SETMASK, &all,
					 NULL), 0);
	assert_int_equal(mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, NULL, &mask),
			 0);
	assert_int_equal(mask, ~(MN_SIGBIT(SIGKILL_) | MN_SIGBIT(SIGSTOP_)));
	assert_int_equal(mn_signals_set_disp(f->sigs, p, SIGKILL_, MN_SIG_IGN),
			 -EINVAL);
	assert_int_equal(mn_signals_set_disp(f->sigs, p, SIGSTOP_,
					     MN_SIG_HANDLE), -EINVAL);
	assert_int_equal(mn_signals_set_disp(f->sigs, p, SIGKILL_, MN_SIG_DFL),
			 0);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGSTOP_), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_STOPPED);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGKILL_), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, p)), SIGKILL_);
}

static void test_delivery_order(void **state)
{
	struct fixture *f = *state;
	static const int sent[] = {SIGUSR2_, SIGHUP_, 34, SIGINT_, 40, 32};
	static const int expect[] = {SIGHUP_, SIGINT_, SIGUSR2_, 32, 34, 40};
	struct hlog h = {0};
	int32_t p = spawn(f->pt, 0);
	uint64_t all = ~0ULL;
	size_t i;

	assert_int_equal(mn_signals_set_handler(f->sigs, p, record, &h), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(mn_signals_set_disp(f->sigs, p, sent[i],
						     MN_SIG_HANDLE), 0);
	assert_int_equal(mn_signals_get_disp(f->sigs, p, SIGHUP_),
			 MN_SIG_HANDLE);
	mn_signals_mask(f->sigs, p, MN_SIG_SETMASK, &all, NULL);
	for (i = 0; i < 6; i++)
		assert_int_equal(mn_signals_kill(f->sigs, NULL, p, sent[i]), 0);
	assert_int_equal(h.n, 0);
	mn_signals_mask(f->sigs, p, MN_SIG_UNBLOCK, &all, NULL);
	assert_int_equal(h.n, 6);
	assert_int_equal(h.pid, p);
	for (i = 0; i < 6; i++)
		assert_int_equal(h.sigs[i], expect[i]);
	assert_int_equal(pending_of(f->sigs, p), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_RUNNING);
}

static void test_sigkill_delivered_first(void **state)
{
	struct fixture *f = *state;
	struct hlog h = {0};
	int32_t p = spawn(f->pt, 0);
	uint64_t set = MN_SIGBIT(SIGHUP_);

	mn_signals_set_handler(f->sigs, p, record, &h);
	mn_signals_set_disp(f->sigs, p, SIGHUP_, MN_SIG_HANDLE);
	/* HUP pending (blocked), then stop the process so KILL is queued
	 * behind it in time */
	mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &set, NULL);
	mn_signals_kill(f->sigs, NULL, p, SIGHUP_);
	mn_signals_kill(f->sigs, NULL, p, SIGSTOP_);
	assert_int_equal(state_of(f->pt, p), MN_PROC_STOPPED);
	mn_signals_mask(f->sigs, p, MN_SIG_UNBLOCK, &set, NULL);
	/* stopped: HUP waits for SIGCONT */
	assert_int_equal(h.n, 0);
	assert_int_equal(pending_of(f->sigs, p), MN_SIGBIT(SIGHUP_));
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGKILL_), 0);
	/* KILL went first and ended it: the handler never ran */
	assert_int_equal(h.n, 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, p)), SIGKILL_);
}

static void test_stop_and_continue(void **state)
{
	struct fixture *f = *state;
	int32_t p = spawn(f->pt, 0);
	uint64_t tstp = MN_SIGBIT(SIGTSTP_);

	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGTSTP_), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_STOPPED);
	/* a stopped process keeps TERM pending until continued */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGTERM_), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_STOPPED);
	assert_int_equal(pending_of(f->sigs, p), MN_SIGBIT(SIGTERM_));
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGCONT_), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, p)), SIGTERM_);

	/* SIGCONT resumes even when blocked, and drops pending stops */
	p = spawn(f->pt, 0);
	uint64_t cont_and_tstp = MN_SIGBIT(SIGCONT_) | tstp;
	mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &cont_and_tstp, NULL);
	mn_signals_kill(f->sigs, NULL, p, SIGTSTP_);
	assert_int_equal(pending_of(f->sigs, p), tstp);
	mn_signals_kill(f->sigs, NULL, p, SIGSTOP_);
	assert_int_equal(state_of(f->pt, p), MN_PROC_STOPPED);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGCONT_), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_RUNNING);
	assert_int_equal(pending_of(f->sigs, p), MN_SIGBIT(SIGCONT_));
	/* and a stop signal drops a pending SIGCONT */
	mn_signals_kill(f->sigs, NULL, p, SIGSTOP_);
	assert_int_equal(pending_of(f->sigs, p), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_STOPPED);
}

static void test_ignore_and_dequeue(void **state)
{
	struct fixture *f = *state;
	int32_t p = spawn(f->pt, 0);
	uint64_t set = MN_SIGBIT(SIGUSR1_);

	assert_int_equal(mn_signals_set_disp(f->sigs, p, SIGTERM_, MN_SIG_IGN),
			 0);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, p, SIGTERM_), 0);
	assert_int_equal(state_of(f->pt, p), MN_PROC_RUNNING);
	assert_int_equal(pending_of(f->sigs, p), 0);
	/* ignoring a pending signal discards it */
	mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &set, NULL);
	mn_signals_kill(f->sigs, NULL, p, SIGUSR1_);
	assert_int_equal(pending_of(f->sigs, p), set);
	assert_int_equal(mn_signals_set_disp(f->sigs, p, SIGUSR1_, MN_SIG_IGN),
			 0);
	assert_int_equal(pending_of(f->sigs, p), 0);
	/* handled with no handler: pending until the owner dequeues */
	mn_signals_set_disp(f->sigs, p, SIGUSR2_, MN_SIG_HANDLE);
	mn_signals_set_disp(f->sigs, p, SIGHUP_, MN_SIG_HANDLE);
	mn_signals_kill(f->sigs, NULL, p, SIGUSR2_);
	mn_signals_kill(f->sigs, NULL, p, SIGHUP_);
	assert_int_equal(pending_of(f->sigs, p),
			 MN_SIGBIT(SIGUSR2_) | MN_SIGBIT(SIGHUP_));
	assert_int_equal(mn_signals_dequeue(f->sigs, p), SIGHUP_);
	assert_int_equal(mn_signals_dequeue(f->sigs, p), SIGUSR2_);
	assert_int_equal(mn_signals_dequeue(f->sigs, p), 0);
	assert_int_equal(mn_signals_dequeue(f->sigs, 999), -ESRCH);
	/* setting a handler later delivers what waited */
	struct hlog h = {0};
	mn_signals_kill(f->sigs, NULL, p, SIGHUP_);
	assert_int_equal(mn_signals_set_handler(f->sigs, p, record, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.sigs[0], SIGHUP_);
	/* invalid arguments */
	assert_int_equal(mn_signals_set_disp(f->sigs, p, 0, MN_SIG_IGN),
			 -EINVAL);
	assert_int_equal(mn_signals_set_disp(f->sigs, p, 65, MN_SIG_IGN),
			 -EINVAL);
	assert_int_equal(mn_signals_set_disp(f->sigs, p, 1, 7), -EINVAL);
	assert_int_equal(mn_signals_set_disp(f->sigs, 999, 1, MN_SIG_IGN),
			 -ESRCH);
	assert_int_equal(mn_signals_get_disp(f->sigs, p, 99), -EINVAL);
	assert_int_equal(mn_signals_get_disp(f->sigs, 999, 1), -ESRCH);
	assert_int_equal(mn_signals_set_handler(f->sigs, 999, record, &h),
			 -ESRCH);
	/* back to default: delivered with its default action */
	mn_signals_mask(f->sigs, p, MN_SIG_UNBLOCK, &set, NULL);
	mn_signals_set_disp(f->sigs, p, SIGTERM_, MN_SIG_DFL);
	assert_int_equal(mn_signals_get_disp(f->sigs, p, SIGTERM_), MN_SIG_DFL);
	mn_signals_kill(f->sigs, NULL, p, SIGTERM_);
	assert_int_equal(WTERMSIG(status_of(f->pt, p)), SIGTERM_);
}

struct hostcall {
	int calls;
	int32_t pid, host;
	int sig;
	int rc;
};

static int host_hook(void *arg, int32_t pid, int32_t host, int sig)
{
	struct hostcall *c = arg;

	c->calls++;
	c->pid = pid;
	c->host = host;
	c->sig = sig;
	return c->rc;
}

static void test_host_hook(void **state)
{
	struct fixture *f = *state;
	struct hostcall c = {0};
	struct mn_signals_stats st;
	int32_t h = spawn_kind(f->pt, 0, MN_PROC_USER, 4242);
	int32_t m = spawn(f->pt, 0);

	/* without a hook, a host-backed process is handled in MicronOS */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, h, SIGSTOP_), 0);
	assert_int_equal(state_of(f->pt, h), MN_PROC_STOPPED);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, h, SIGCONT_), 0);
	assert_int_equal(state_of(f->pt, h), MN_PROC_RUNNING);

	mn_signals_set_host_hook(f->sigs, host_hook, &c);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, h, SIGTERM_), 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.pid, h);
	assert_int_equal(c.host, 4242);
	assert_int_equal(c.sig, SIGTERM_);
	/* the real program decides; the table waits for the sandbox */
	assert_int_equal(state_of(f->pt, h), MN_PROC_RUNNING);
	assert_int_equal(pending_of(f->sigs, h), 0);
	/* STOP and CONT cannot be caught: mirrored at once */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, h, SIGSTOP_), 0);
	assert_int_equal(state_of(f->pt, h), MN_PROC_STOPPED);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, h, SIGCONT_), 0);
	assert_int_equal(state_of(f->pt, h), MN_PROC_RUNNING);
	assert_int_equal(c.calls, 3);
	/* the hook's failure is kill's */
	c.rc = -ESRCH;
	assert_int_equal(mn_signals_kill(f->sigs, NULL, h, SIGSTOP_), -ESRCH);
	assert_int_equal(state_of(f->pt, h), MN_PROC_RUNNING);
	c.rc = 0;
	/* signal 0 only checks; MicronOS processes never reach the hook */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, h, 0), 0);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, m, SIGTERM_), 0);
	assert_int_equal(c.calls, 4);
	mn_signals_stats(f->sigs, &st);
	assert_int_equal(st.to_host, 4);
	/* init with a real program behind it is still protected */
	assert_int_equal(mn_proc_set_host(f->pt, 1, 7), 0);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 1, SIGTERM_), -EPERM);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 1, SIGKILL_), -EPERM);
	assert_int_equal(c.calls, 4);
	/* the sandbox reports the program's fate */
	assert_int_equal(mn_proc_exit(f->pt, h, MN_W_SIGNALED(SIGTERM_)), 0);
	mn_signals_set_host_hook(f->sigs, NULL, NULL);
}

static void count_job(void *arg)
{
	(*(int *)arg)++;
}

static void test_kernel_task(void **state)
{
	struct fixture *f = *state;
	struct mn_sched_task_stats ts;
	struct hlog h = {0};
	int32_t k = spawn_kind(f->pt, 0, MN_PROC_KTASK, 0);
	int ran = 0;

	assert_true(k > 1 && k < mn_proctab_first_user_pid(f->pt));
	mn_sched_submit(f->sched, k, MN_PRIO_NORMAL, count_job, &ran, "tick");
	assert_int_equal(mn_signals_kill(f->sigs, NULL, k, SIGSTOP_), 0);
	assert_int_equal(state_of(f->pt, k), MN_PROC_STOPPED);
	assert_int_equal(mn_sched_task_stats(f->sched, k, &ts), 0);
	assert_int_equal(ts.suspended, 1);
	assert_int_equal(mn_sched_run_pending(f->sched, 10), 0);
	assert_int_equal(ran, 0);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, k, SIGCONT_), 0);
	assert_int_equal(state_of(f->pt, k), MN_PROC_RUNNING);
	assert_int_equal(mn_sched_run_pending(f->sched, 10), 1);
	assert_int_equal(ran, 1);
	/* a service is not killed by a default action */
	assert_int_equal(mn_signals_kill(f->sigs, NULL, k, SIGTERM_), -EPERM);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, k, SIGKILL_), -EPERM);
	assert_int_equal(state_of(f->pt, k), MN_PROC_RUNNING);
	/* but it may handle signals (reload on HUP) */
	mn_signals_set_handler(f->sigs, k, record, &h);
	mn_signals_set_disp(f->sigs, k, SIGHUP_, MN_SIG_HANDLE);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, k, SIGHUP_), 0);
	assert_int_equal(h.n, 1);
	/* a handled TERM blocked, then made default: still not killed */
	uint64_t term = MN_SIGBIT(SIGTERM_);
	mn_signals_set_disp(f->sigs, k, SIGTERM_, MN_SIG_HANDLE);
	mn_signals_mask(f->sigs, k, MN_SIG_BLOCK, &term, NULL);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, k, SIGTERM_), 0);
	mn_signals_set_disp(f->sigs, k, SIGTERM_, MN_SIG_DFL);
	mn_signals_mask(f->sigs, k, MN_SIG_UNBLOCK, &term, NULL);
	assert_int_equal(state_of(f->pt, k), MN_PROC_RUNNING);
}

static void test_init_handles(void **state)
{
	struct fixture *f = *state;
	struct hlog h = {0};

	mn_signals_set_handler(f->sigs, 1, record, &h);
	mn_signals_set_disp(f->sigs, 1, SIGTERM_, MN_SIG_HANDLE);
	mn_signals_set_disp(f->sigs, 1, SIGUSR1_, MN_SIG_IGN);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 1, SIGTERM_), 0);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 1, SIGUSR1_), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.sigs[0], SIGTERM_);
	assert_int_equal(state_of(f->pt, 1), MN_PROC_RUNNING);
}

static void test_pid_reuse_starts_clean(void **state)
{
	struct fixture *f = *state;
	struct mn_proc_spec s = {.ppid = 1, .kind = MN_PROC_USER};
	uint64_t set = MN_SIGBIT(SIGUSR1_), mask = 1;
	int32_t p = mn_proc_create_at(f->pt, 500, &s);

	mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &set, NULL);
	mn_signals_kill(f->sigs, NULL, p, SIGUSR1_);
	mn_signals_set_disp(f->sigs, p, SIGTERM_, MN_SIG_IGN);
	mn_proc_exit(f->pt, p, 0);
	assert_int_equal(mn_proc_wait(f->pt, 1, p, 0, NULL, NULL), p);
	assert_int_equal(mn_proc_create_at(f->pt, 500, &s), 500);
	assert_int_equal(pending_of(f->sigs, 500), 0);
	mn_signals_mask(f->sigs, 500, MN_SIG_BLOCK, NULL, &mask);
	assert_int_equal(mask, 0);
	assert_int_equal(mn_signals_get_disp(f->sigs, 500, SIGTERM_),
			 MN_SIG_DFL);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, 500, SIGTERM_), 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, 500)), SIGTERM_);
}

static void test_fork_and_exec(void **state)
{
	struct fixture *f = *state;
	struct hlog h = {0};
	int32_t p = spawn(f->pt, 0), c;
	uint64_t set = MN_SIGBIT(SIGUSR2_), mask = 0;

	mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &set, NULL);
	mn_signals_set_disp(f->sigs, p, SIGINT_, MN_SIG_IGN);
	mn_signals_set_disp(f->sigs, p, SIGHUP_, MN_SIG_HANDLE);
	mn_signals_set_handler(f->sigs, p, record, &h);
	mn_signals_kill(f->sigs, NULL, p, SIGUSR2_);	/* pending in p */
	c = mn_proc_fork(f->pt, p, 0, 0);
	assert_int_equal(mn_signals_fork(f->sigs, p, c), 0);
	assert_int_equal(pending_of(f->sigs, c), 0);
	mn_signals_mask(f->sigs, c, MN_SIG_BLOCK, NULL, &mask);
	assert_int_equal(mask, set);
	assert_int_equal(mn_signals_get_disp(f->sigs, c, SIGINT_), MN_SIG_IGN);
	assert_int_equal(mn_signals_get_disp(f->sigs, c, SIGHUP_),
			 MN_SIG_HANDLE);
	assert_int_equal(mn_signals_fork(f->sigs, p, 999), -ESRCH);
	/* exec: handled -> default, ignored and mask kept */
	assert_int_equal(mn_signals_exec(f->sigs, c), 0);
	assert_int_equal(mn_signals_get_disp(f->sigs, c, SIGHUP_), MN_SIG_DFL);
	assert_int_equal(mn_signals_get_disp(f->sigs, c, SIGINT_), MN_SIG_IGN);
	assert_int_equal(mn_signals_exec(f->sigs, 999), -ESRCH);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, c, SIGHUP_), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(WTERMSIG(status_of(f->pt, c)), SIGHUP_);
	/* forking a process without signal state gives a clean child */
	int32_t q = spawn(f->pt, 0), qc = mn_proc_fork(f->pt, q, 0, 0);
	assert_int_equal(mn_signals_fork(f->sigs, q, qc), 0);
	assert_int_equal(pending_of(f->sigs, qc), 0);
}

static int count_events(struct mn_evbus *bus, enum mn_event_type type,
			int32_t pid)
{
	static struct mn_event ev[1000];
	size_t n = mn_evbus_snapshot(bus, NULL, ev, 1000), i;
	int c = 0;

	for (i = 0; i < n; i++)
		if (ev[i].type == type && ev[i].pid == pid)
			c++;
	return c;
}

static void test_events_and_format(void **state)
{
	struct fixture *f = *state;
	struct mn_cred sender = {.pid = 1, .uid = 0};
	struct mn_strbuf out = MN_STRBUF_INIT;
	int32_t p = spawn(f->pt, 0), q = spawn(f->pt, 0);
	uint64_t set = MN_SIGBIT(SIGUSR1_) | MN_SIGBIT(SIGTERM_);

	mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &set, NULL);
	mn_signals_set_disp(f->sigs, p, SIGINT_, MN_SIG_IGN);
	mn_signals_set_disp(f->sigs, p, SIGHUP_, MN_SIG_HANDLE);
	assert_int_equal(mn_signals_kill(f->sigs, &sender, p, SIGUSR1_), 0);
	assert_int_equal(count_events(f->bus, MN_EV_SIGNAL_RECEIVED, p), 1);
	assert_int_equal(mn_signals_kill(f->sigs, NULL, q, SIGSTOP_), 0);
	assert_int_equal(count_events(f->bus, MN_EV_SIGNAL_RECEIVED, q), 1);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_SUSPENDED, q), 1);
	mn_signals_kill(f->sigs, NULL, q, SIGKILL_);
	assert_int_equal(count_events(f->bus, MN_EV_PROCESS_TERMINATED, q), 1);

	assert_int_equal(mn_signals_format(f->sigs, p, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "USR1,TERM"));	/* blk */
	assert_non_null(strstr(mn_strbuf_str(&out), "  USR1  "));	/* pnd */
	/* ignored, then handled: the last column, no blank after it */
	assert_non_null(strstr(mn_strbuf_str(&out), "  INT      HUP\n"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_signals_format(f->sigs, 0, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "SIGRTMAX"));
	assert_non_null(strstr(mn_strbuf_str(&out), "sent"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_signals_format(f->sigs, 999, &out), -ESRCH);
	/* a process with no signal state gets an empty line */
	int32_t r = spawn(f->pt, 0);
	assert_int_equal(mn_signals_format(f->sigs, r, &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out),
			       "-        -        -        -\n"));
	mn_strbuf_release(&out);
}

static void test_create_invalid(void **state)
{
	struct mn_signals *s = NULL;

	(void)state;
	assert_int_equal(mn_signals_create(&s, NULL, NULL, NULL), -EINVAL);
	assert_null(s);
	mn_signals_destroy(NULL);
}

/* Many threads sending handled signals while another masks/unmasks. */
struct storm {
	struct mn_signals *sigs;
	int32_t pid;
	int errors;
};

static void *storm_main(void *arg)
{
	struct storm *s = arg;
	int i;

	for (i = 0; i < 2000; i++)
		if (mn_signals_kill(s->sigs, NULL, s->pid,
				    i % 2 ? SIGUSR1_ : SIGUSR2_) != 0)
			s->errors++;
	return NULL;
}

static void count_handler(void *arg, int32_t pid, int sig)
{
	(void)pid;
	(void)sig;
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static void test_concurrent_storm(void **state)
{
	struct fixture *f = *state;
	struct storm s[3];
	pthread_t th[3];
	int handled = 0, i;
	int32_t p = spawn(f->pt, 0);
	uint64_t set = MN_SIGBIT(SIGUSR1_);

	mn_signals_set_handler(f->sigs, p, count_handler, &handled);
	mn_signals_set_disp(f->sigs, p, SIGUSR1_, MN_SIG_HANDLE);
	mn_signals_set_disp(f->sigs, p, SIGUSR2_, MN_SIG_HANDLE);
	for (i = 0; i < 3; i++) {
		s[i] = (struct storm){f->sigs, p, 0};
		assert_int_equal(pthread_create(&th[i], NULL, storm_main,
						&s[i]), 0);
	}
	for (i = 0; i < 200; i++) {
		mn_signals_mask(f->sigs, p, MN_SIG_BLOCK, &set, NULL);
		mn_signals_mask(f->sigs, p, MN_SIG_UNBLOCK, &set, NULL);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(s[i].errors, 0);
	}
	mn_signals_mask(f->sigs, p, MN_SIG_UNBLOCK, &set, NULL);
	assert_int_equal(pending_of(f->sigs, p), 0);
	/* coalescing may merge some, but at least one of each arrived */
	assert_true(handled >= 2);
	assert_true(handled <= 6000);
	assert_int_equal(state_of(f->pt, p), MN_PROC_RUNNING);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_parse),
		cmocka_unit_test(test_create_invalid),
		T(test_kill_checks),
		T(test_default_actions),
		T(test_blocked_stays_pending),
		T(test_kill_and_stop_unblockable),
		T(test_delivery_order),
		T(test_sigkill_delivered_first),
		T(test_stop_and_continue),
		T(test_ignore_and_dequeue),
		T(test_host_hook),
		T(test_kernel_task),
		T(test_init_handles),
		T(test_pid_reuse_starts_clean),
		T(test_fork_and_exec),
		T(test_events_and_format),
		T(test_concurrent_storm),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
