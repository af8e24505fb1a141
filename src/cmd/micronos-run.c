/*
 * micronos-run - run an unmodified host program inside MicronOS.
 *
 *   micronos-run [-n NAME] [OPTIONS] [--] PROGRAM ARGS...
 *
 * Runs PROGRAM inside MicronOS with this process's stdin, stdout and
 * stderr, forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH to it
 * (SIGTSTP stops it with micronos-run, fg continues both), and
 * exits with its status (128+N when a signal N ended it).  On a terminal
 * the program gets a terminal of its own inside (sandbox/pty.c): keys
 * typed, ^C and ^Z included, are that terminal's.
 *
 * If the instance NAME runs, the program runs there (its sandbox world,
 * its process table): cmd_micronos-run_remote.c.  If -n NAME names an
 * instance that does not run, micronos-run refuses (exit 125): a typo must
 * not run the program somewhere else.  Without -n and no default instance
 * it says so in one line and boots a throwaway one.  Also with
 * options that need a world of their own (--bind, --ro-bind, --net host,
 * --hostname) or --throwaway, this process boots a throwaway instance (a
 * kernel plus its sandbox world) and shuts it down after.  Everything the
 * program does is in the instance's event history; --events prints it at
 * the end.  See micronos-run(1).  Options: cmd_micronos-run_opts.c.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/evbus.h>
#include <micronos/kernel.h>
#include <micronos/net.h>
#include <micronos/strbuf.h>
#include <micronos/sys_ident.h>

#include "cmd_micronos-run.h"
#include "sandbox.h"

extern char **environ;

struct fwd {
	pthread_mutex_t lock;
	struct mn_sandbox *sb;	/* NULL until the program runs */
	int32_t pid;
	sigset_t set;
};

/*
 * Boot is bounded (every helper has a deadline) but may take seconds; the
 * signals are blocked for the forwarder from the start, so until there is
 * a program to hand them to, an interrupt ends micronos-run itself, as
 * `timeout` and ^C expect.  Nothing is left behind: the world's init and
 * its socket helper see their sockets close and end.
 */
static void interrupted_while_booting(int sig)
{
	static const char msg[] = "micronos-run: interrupted while booting "
				  "the instance\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		(void)0;
	_exit(128 + sig);
}

/* Forwards terminal and job signals to the program's process group. */
static void *forwarder(void *arg)
{
	struct fwd *f = arg;
	struct mn_sandbox *sb;
	int32_t pid;
	int sig;

	for (;;) {
		if (sigwait(&f->set, &sig) != 0)
			continue;
		if (sig == SIGUSR2)
			break;	/* our own stop request */
		pthread_mutex_lock(&f->lock);
		sb = f->sb;
		pid = f->pid;
		pthread_mutex_unlock(&f->lock);
		if (!sb) {
			if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
			    sig == SIGQUIT)
				interrupted_while_booting(sig);
			continue;
		}
		if (sig == SIGTSTP) {
			/* ^Z: the program's group is orphaned (its parent
			   is init, in another session), where the kernel
			   drops SIGTSTP: stop it, then ourselves */
			mn_sandbox_signal(sb, pid, SIGSTOP);
			kill(getpid(), SIGSTOP);
			continue;
		}
		mn_sandbox_signal(sb, pid, sig);
	}
	return NULL;
}

/* The program's environment: ours, with the inside user's identity. */
static char **make_env(const struct run_opts *o)
{
	static const char *const drop[] = {"HOME=", "USER=", "LOGNAME=",
					   "PWD=", "OLDPWD=", "MAIL=", NULL};
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 8, sizeof(char *));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t k;
		int skip = 0;

		for (k = 0; drop[k]; k++)
			if (!strncmp(environ[i], drop[k], strlen(drop[k])))
				skip = 1;
		if (!skip)
			env[j++] = environ[i];
	}
	env[j++] = o->uid == 0 ? "HOME=/root" : "HOME=/home/user";
	env[j++] = o->uid == 0 ? "USER=root" : "USER=user";
	env[j++] = o->uid == 0 ? "LOGNAME=root" : "LOGNAME=user";
	if (!getenv("PATH"))
		env[j++] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	env[j] = NULL;
	return env;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static void print_events(struct mn_kernel *k)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct mn_event *ev = calloc(1000, sizeof(*ev));
	size_t n, i;

	if (!ev)
		return;
	n = mn_evbus_snapshot(mn_kernel_evbus(k), NULL, ev, 1000);
	for (i = 0; i < n; i++) {
		mn_strbuf_reset(&sb);
		mn_event_format(&ev[i], &sb);
		fprintf(stderr, "%s\n", mn_strbuf_str(&sb));
	}
	mn_strbuf_release(&sb);
	free(ev);
}

/*
 * The run's network is the throwaway instance's: --net sets net.policy
 * (none and loopback: loopback addresses only; host: all).  A throwaway
 * instance takes no part in peer discovery (p2p0 down): it would only
 * come and go in every other instance's `scan`.
 */
static int run_net_setup(struct mn_kernel *k, const struct run_opts *o,
			 struct mn_strbuf *err)
{
	static const char *const policy[] = {
		[MN_SANDBOX_NET_NONE] = "none",
		[MN_SANDBOX_NET_HOST] = "host",
		[MN_SANDBOX_NET_LOOPBACK] = "loopback",
	};
	struct mn_net *net = mn_net_get(k);
	int e;

	e = mn_config_set(mn_kernel_config(k), "net.policy",
			  policy[o->sb.net], 0, err);
	if (net)
		mn_net_antenna_set(net, "p2p0", 0);
	mn_net_put(net);
	return e < 0 ? e : 0;
}

/*
 * --seed: the random devices and the fault rules' generator start from
 * the seed, and the world is new (pids from the first free one, clocks
 * from the instance's boot, an empty in-memory storage).
 */
static int seed_config(struct mn_kernel *k, uint64_t seed,
		       struct mn_strbuf *err)
{
	char num[24];
	int e;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)seed);
	e = mn_config_set(mn_kernel_config(k), "random.seed", num, 0, err);
	if (e >= 0)
		e = mn_config_set(mn_kernel_config(k), "fault.seed", num, 0,
				  err);
	return e < 0 ? e : 0;
}

/* Boots the throwaway instance and its sandbox. */
static int boot(struct run_opts *o, struct mn_kernel **kout,
		struct mn_sandbox **sbout)
{
	static struct mn_sandbox_ids ids;
	struct mn_kernel_opts ko = {.name = o->name,
				    .deterministic = o->seeded};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_sandbox_opts so = o->sb;
	struct mn_kernel *k = NULL;
	int e;

	/* a single-id map makes the program's own uid the one that exists */
	mn_sandbox_ids_choose(&ids, o->uid);
	if (ids.mode == MN_SANDBOX_IDS_SINGLE)
		fprintf(stderr, "micronos-run: %s\n", ids.why);
	so.ids = &ids;

	if ((e = mn_kernel_create(&k, &ko)) < 0) {
		fprintf(stderr, "micronos-run: cannot create an instance: %s\n",
			strerror(-e));
		return e;
	}
	/* the hostname is MicronOS's: uname inside reads it from config */
	if (o->hostname &&
	    (e = mn_sys_ident_set_hostname(k, o->hostname,
					   strlen(o->hostname), 0, &err)) < 0) {
		fprintf(stderr, "micronos-run: --hostname %s: %s\n",
			o->hostname, mn_strbuf_str(&err));
		goto fail;
	}
	if (o->seeded && ((e = seed_config(k, o->seed, &err)) < 0 ||
			  (e = run_seed_attach(k, o, &ids, &err)) < 0)) {
		fprintf(stderr, "micronos-run: --seed: %s\n",
			mn_strbuf_str(&err));
		goto fail;
	}
	so.root_dir = o->sb.root_dir;
	so.root_flags = o->sb.root_flags;
	/* the network: the program's sockets are MicronOS's (net.h) */
	if ((e = mn_net_attach(k)) < 0) {
		fprintf(stderr, "micronos-run: cannot attach the network: "
			"%s\n", strerror(-e));
		goto fail;
	}
	if ((e = mn_kernel_boot(k, &err)) < 0) {
		fprintf(stderr, "micronos-run: boot failed: %s\n",
			mn_strbuf_str(&err));
		goto fail;
	}
	if ((e = run_net_setup(k, o, &err)) < 0) {
		fprintf(stderr, "micronos-run: --net: %s\n",
			mn_strbuf_str(&err));
		goto fail;
	}
	if ((e = mn_sandbox_create(sbout, k, &so, &err)) < 0) {
		fprintf(stderr, "micronos-run: cannot create the sandbox: "
			"%s\n", mn_strbuf_str(&err));
		goto fail;
	}
	*kout = k;
	mn_strbuf_release(&err);
	return 0;
fail:
	mn_kernel_destroy(k);
	mn_strbuf_release(&err);
	return e;
}

int main(int argc, char **argv)
{
	struct run_opts o;
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_sandbox *sb = NULL;
	struct mn_kernel *k = NULL;
	struct mn_sandbox_spawn sp = {.fds = {0, 1, 2}};
	struct fwd f;
	pthread_t fwd_thread;
	int fwd_started = 0;
	char **env = NULL;
	int32_t pid;
	int status = 0, code = 125, e;

	if ((e = run_parse_opts(&o, argc, argv)) != 0)
		return e < 0 ? 125 : 0;
	run_tty_save();
	/* before any thread: every thread inherits this mask */
	sigemptyset(&f.set);
	sigaddset(&f.set, SIGINT);
	sigaddset(&f.set, SIGTERM);
	sigaddset(&f.set, SIGHUP);
	sigaddset(&f.set, SIGQUIT);
	sigaddset(&f.set, SIGWINCH);
	sigaddset(&f.set, SIGTSTP);
	sigaddset(&f.set, SIGCONT);
	sigaddset(&f.set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &f.set, NULL);
	env = make_env(&o);
	if (!env)
		goto out;
	if (!o.throwaway && !o.world) {
		e = run_remote(&o, env, &code);
		if (e != -ENOENT)
			goto out;	/* it ran there, or we said why not */
		/* a typo in -n must not run the program in another world */
		if (o.named) {
			fprintf(stderr, "micronos-run: instance %s is not "
				"running (start it with `micronos up -n %s`, "
				"or pass --throwaway)\n", o.name, o.name);
			goto out;
		}
		fprintf(stderr, "micronos-run: instance %s is not running: "
			"booting a throwaway instance for this program\n",
			o.name);
	}
	f.sb = NULL;
	f.pid = 0;
	pthread_mutex_init(&f.lock, NULL);
	fwd_started = pthread_create(&fwd_thread, NULL, forwarder, &f) == 0;
	if (boot(&o, &k, &sb) < 0)
		goto out;
	sp.argv = (const char *const *)o.argv;
	sp.envp = (const char *const *)env;
	sp.cwd = o.cwd;
	sp.cwd_strict = o.cwd_strict;
	sp.uid = o.uid;
	sp.gid = o.gid;
	sp.prio = o.prio;
	sp.mem_limit = o.mem_limit;
	sp.faults = o.faults.len ? mn_strbuf_str(&o.faults) : NULL;
	pid = mn_sandbox_spawn(sb, &sp, &err);
	if (pid < 0) {
		fprintf(stderr, "micronos-run: %s\n", mn_strbuf_str(&err));
		code = pid == -ENOENT ? 127 : 126;
		goto out;
	}
	run_tty_raw();	/* its pty is set up: keys go to it as typed */
	pthread_mutex_lock(&f.lock);
	f.sb = sb;
	f.pid = pid;
	pthread_mutex_unlock(&f.lock);
	e = mn_sandbox_wait(sb, pid, &status, -1);
	code = e < 0 ? 125 : exit_code(status);
	if (e == -ESHUTDOWN) {
		/* init died: the pid namespace, the program with it */
		fprintf(stderr, "micronos-run: the sandbox's init died: the "
			"program was killed\n");
		code = 128 + SIGKILL;
	} else if (e < 0) {
		fprintf(stderr, "micronos-run: lost the program: %s\n",
			strerror(-e));
	}
out:
	if (fwd_started) {
		pthread_kill(fwd_thread, SIGUSR2);
		pthread_join(fwd_thread, NULL);
	}
	run_tty_restore();
	mn_sandbox_destroy(sb);
	if (k && o.show_events)
		print_events(k);
	mn_kernel_destroy(k);
	run_seed_cleanup(&o);
	mn_strbuf_release(&err);
	free(env);
	run_free_opts(&o);
	return code;
}
