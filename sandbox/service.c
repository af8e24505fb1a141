/*
 * service - the sandbox of a running instance (`micronos up`).
 *
 * mn_sandbox_service_attach() plugs the sandbox into a daemon: at the end
 * of boot (the ready stage, after the FUSE mount exists) the instance's
 * sandbox world is created once, and two entry points are wired to it:
 *
 *   - the control socket's "run" verb: micronos-run's conversation
 *     (protocol in sandbox.h).  The handler decodes the request, spawns the
 *     program with the client's own stdin/stdout/stderr, answers its pid,
 *     forwards the signals the client sends, and answers its exit code.
 *     One thread (the control socket's client thread) does it all with
 *     poll(): the connection, the program's exit (mn_sandbox_watch) and
 *     the service's stop.
 *   - the shell's `spawn`: a program in the background, its output in
 *     /var/log/spawn-PID.log of the tree (storage), its pid printed.
 *
 * Creating the world is not allowed to fail the boot: an instance run by
 * an ordinary user (no uid map) still boots, and run/spawn explain why
 * there is no sandbox.
 *
 * Lifetime: the state is allocated at attach and freed by a hook on the
 * core stage (stopped last); the ready stage's stop first tells running
 * handlers to end (their programs are killed), waits for them, then
 * destroys the world.  svc->lock guards sb, active and stopping.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/ctl.h>
#include <micronos/evbus.h>
#include <micronos/health.h>
#include <micronos/kernel.h>
#include <micronos/log.h>
#include <micronos/shell.h>
#include <micronos/vfs.h>

#include "sandbox_i.h"

#define REQUEST_TIMEOUT_MS 10000	/* for the request frame */
#define KILL_WAIT_MS 3000		/* for a killed program to go */

struct svc {
	struct mn_kernel *k;		/* borrowed */
	struct mn_ctl *ctl;		/* borrowed */
	const char *mount_dir;		/* borrowed; the FUSE mount's */
	struct mn_sandbox_ids ids;	/* the world's id map */
	int have_ids;			/* else chosen at create */
	int stop_efd;			/* readable once stopping */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	/* protected by lock */
	struct mn_sandbox *sb;		/* NULL: none (see why) */
	int active;			/* callers using sb */
	int stopping;
	uint64_t spawns;		/* names of temporary log files */
	char why[512];			/* why there is no sandbox */
	uint64_t restarts;		/* worlds restarted after init died */
	struct mn_sandbox_opts opts;	/* how the world was made */
	int restarting;			/* a recovery is replacing sb */
};

static const char *const net_names[] = {"none", "host", NULL};
static const char *const dev_names[] = {"host", "micronos", NULL};
static const char *const proc_names[] = {"micronos", "host", NULL};

/* The instance's keys for its sandbox (all take effect at the next boot). */
static const struct mn_config_key keys[] = {
	{.name = "sandbox.net", .type = MN_CONFIG_ENUM, .def = "none",
	 .desc = "network of sandboxed programs: none (loopback only) or "
		 "host", .names = net_names, .flags = MN_CONFIG_F_RESTART},
	/* host: /dev/zero and /dev/null at native speed; micronos: served
	   by MicronOS's drivers through FUSE (a round trip per call) */
	{.name = "sandbox.dev", .type = MN_CONFIG_ENUM, .def = "host",
	 .desc = "/dev/null, zero, full, random, urandom inside: the host's "
		 "devices or MicronOS's drivers (host, micronos)",
	 .names = dev_names, .flags = MN_CONFIG_F_RESTART},
	{.name = "sandbox.proc", .type = MN_CONFIG_ENUM, .def = "micronos",
	 .desc = "/proc inside, when the tree is mounted: MicronOS's or the "
		 "pid namespace's (micronos, host)", .names = proc_names,
	 .flags = MN_CONFIG_F_RESTART},
	/* limits through cgroups, where the host has them (cgroup.c) */
	{.name = "sandbox.run_pids_max", .type = MN_CONFIG_INT, .def = "1024",
	 .min = 1, .max = 4194304, .desc = "processes one run (a program and "
	 "all its descendants) may have at once", .flags =
	 MN_CONFIG_F_RESTART},
	{.name = "sandbox.pids_max", .type = MN_CONFIG_INT, .def = "8192",
	 .min = 1, .max = 4194304, .desc = "processes the whole sandbox world "
	 "may have at once", .flags = MN_CONFIG_F_RESTART},
	{.name = "sandbox.cpu_weight", .type = MN_CONFIG_INT, .def = "100",
	 .min = 1, .max = 10000, .desc = "CPU share of the sandbox world "
	 "against the host's other cgroups (cgroup v2 cpu.weight; 100 is "
	 "the default share)", .flags = MN_CONFIG_F_RESTART},
};

/* The sandbox for one caller, or NULL with the reason in why. */
static struct mn_sandbox *svc_get(struct svc *svc, char *why, size_t n)
{
	struct mn_sandbox *sb;

	pthread_mutex_lock(&svc->lock);
	sb = svc->stopping ? NULL : svc->sb;
	if (sb)
		svc->active++;
	else
		snprintf(why, n, "%s", svc->stopping ? "the instance is "
			 "shutting down" : svc->restarting ? "the sandbox "
			 "world is restarting (its init died); try again" :
			 svc->why);
	pthread_mutex_unlock(&svc->lock);
	return sb;
}

static void svc_put(struct svc *svc)
{
	pthread_mutex_lock(&svc->lock);
	if (--svc->active == 0)
		pthread_cond_broadcast(&svc->idle);
	pthread_mutex_unlock(&svc->lock);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;
}

/* ------------------------------------------------------------------ */
/* run */

/* Signals a client may forward: what a terminal and job control send. */
static int forwardable(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
	       sig == SIGQUIT || sig == SIGWINCH || sig == SIGUSR1 ||
	       sig == SIGUSR2 || sig == SIGCONT || sig == SIGSTOP;
}

/* Kills the program's group and waits a little; -1 if it would not go. */
static int kill_and_wait(struct mn_sandbox *sb, int32_t pid, int *status)
{
	mn_sandbox_signal(sb, pid, SIGKILL);
	if (mn_sandbox_wait(sb, pid, status, KILL_WAIT_MS) == 0)
		return 0;
	mn_sandbox_detach(sb, pid);
	return -1;
}

/* One frame from the client while the program runs.  0, or -1: gone. */
static int client_frame(struct mn_sandbox *sb, struct mn_run_reader *rd,
			int32_t pid)
{
	struct mn_run_frame f = {.data = MN_STRBUF_INIT};
	char *end;
	long sig;
	int e;

	e = mn_run_read_frame(rd, &f, 64, 1000);
	if (e == 0 && f.tag == 's') {
		sig = strtol(mn_strbuf_str(&f.data), &end, 10);
		/* ^Z: the program's group is orphaned (its parent is init,
		   in another session), where the kernel drops SIGTSTP */
		if (sig == SIGTSTP)
			sig = SIGSTOP;
		if (*end == '\0' && forwardable((int)sig))
			mn_sandbox_signal(sb, pid, (int)sig);
	}
	mn_strbuf_release(&f.data);
	/* a malformed frame ends the conversation like a hang-up */
	return e == 0 ? 0 : -1;
}

/*
 * Waits for the program while serving the client: returns the exit code,
 * or -1 if the client went away (nobody to answer).
 */
static int supervise(struct svc *svc, struct mn_sandbox *sb,
		     struct mn_run_reader *rd, int32_t pid,
		     struct mn_strbuf *err)
{
	struct pollfd p[4] = {{.fd = rd->fd, .events = POLLIN},
			      {.fd = -1, .events = POLLIN},
			      {.fd = svc->stop_efd, .events = POLLIN},
			      {.fd = sb->init_pidfd, .events = POLLIN}};
	int status = 0, code = -2;

	p[1].fd = mn_sandbox_watch(sb, pid);
	if (p[1].fd < 0) {
		mn_strbuf_printf(err, "lost the program: %s",
				 strerror(-p[1].fd));
		return 125;
	}
	while (code == -2) {
		if (!mn_run_reader_buffered(rd) && poll(p, 4, -1) < 0)
			continue;
		if (p[1].revents) {
			if (mn_sandbox_wait(sb, pid, &status, 0) == 0)
				code = exit_code(status);
		} else if (p[3].revents) {
			/* the pid namespace died with its init: so did the
			   program, and no EXITED will come for it */
			mn_strbuf_printf(err, "the sandbox's init died: the "
					 "program was killed (the world "
					 "restarts)");
			mn_sandbox_detach(sb, pid);
			code = 128 + SIGKILL;
		} else if (p[2].revents) {
			mn_strbuf_printf(err, "the instance is shutting down: "
					 "program killed");
			code = kill_and_wait(sb, pid, &status) == 0 ?
			       exit_code(status) : 128 + SIGKILL;
		} else if (mn_run_reader_buffered(rd) || p[0].revents) {
			if (client_frame(sb, rd, pid) < 0) {
				kill_and_wait(sb, pid, &status);
				code = -1;
			}
		}
	}
	close(p[1].fd);
	return code;
}

/* --events: what the instance published during the run, as text. */
static void send_events(struct mn_kernel *k, int fd, uint64_t seq)
{
	struct mn_event ev[64];
	struct mn_strbuf out = MN_STRBUF_INIT;
	size_t n, i;

	while ((n = mn_evbus_copy_from(mn_kernel_evbus(k), NULL, &seq, ev,
				       64)) > 0) {
		for (i = 0; i < n; i++) {
			mn_event_format(&ev[i], &out);
			mn_strbuf_putc(&out, '\n');
		}
		if (out.len > 65536)
			break;
	}
	if (out.len)
		mn_ctl_send_frame(fd, 'e', out.buf, out.len);
	mn_strbuf_release(&out);
}

/* Reads and decodes the request frame.  0, or an exit code (125). */
static int read_request(struct mn_ctl_request *req, struct mn_run_reader *rd,
			struct mn_run_request *rq, struct mn_strbuf *err)
{
	struct mn_run_frame f = {.data = MN_STRBUF_INIT};
	int e;

	if (req->nfds != 3) {
		mn_strbuf_printf(err, "run: expected stdin, stdout and stderr "
				 "(3 descriptors), got %d", req->nfds);
		return 125;
	}
	if (!req->arg || strcmp(req->arg, MN_RUN_PROTO)) {
		mn_strbuf_printf(err, "run: protocol \"%s\" not supported "
				 "(this instance speaks %s)",
				 req->arg ? req->arg : "", MN_RUN_PROTO);
		return 125;
	}
	e = mn_run_read_frame(rd, &f, MN_RUN_REQUEST_MAX, REQUEST_TIMEOUT_MS);
	if (e == 0 && f.tag != 'q')
		e = -EPROTO;
	if (e == 0)
		e = mn_run_request_decode(rq, f.data.buf, f.data.len, err);
	else
		mn_strbuf_printf(err, "run: no request: %s", strerror(-e));
	mn_strbuf_release(&f.data);
	return e < 0 ? 125 : 0;
}

static int run_handler(void *arg, struct mn_ctl_request *req)
{
	struct svc *svc = arg;
	struct mn_run_request rq = {0};
	struct mn_run_reader rd;
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_sandbox *sb = NULL;
	char why[512], num[16];
	uint64_t seq = 0;
	int32_t pid;
	int code, i;

	mn_run_reader_init(&rd, req->fd);
	code = read_request(req, &rd, &rq, &err);
	if (code == 0 && !(sb = svc_get(svc, why, sizeof(why)))) {
		mn_strbuf_printf(&err, "no sandbox in this instance: %s", why);
		code = 125;
	}
	if (code)
		goto reply;
	memcpy(rq.sp.fds, req->fds, sizeof(rq.sp.fds));
	seq = mn_evbus_last_seq(mn_kernel_evbus(svc->k)) + 1;
	pid = mn_sandbox_spawn(sb, &rq.sp, &err);
	for (i = 0; i < req->nfds; i++)
		close(req->fds[i]);
	req->nfds = 0;
	if (pid < 0) {
		code = pid == -ENOENT ? 127 : 126;
		goto reply;
	}
	snprintf(num, sizeof(num), "%d", pid);
	mn_ctl_send_frame(req->fd, 'p', num, strlen(num));
	code = supervise(svc, sb, &rd, pid, &err);
	/* the run ends with its whole tree: children that left the group,
	   ignored SIGTERM or outlived the program */
	mn_sandbox_kill_tree(sb, pid);
	if (code >= 0 && rq.events)
		send_events(svc->k, req->fd, seq);
reply:
	if (code >= 0) {
		if (err.len) {
			mn_strbuf_putc(&err, '\n');
			mn_ctl_send_frame(req->fd, 'e', err.buf, err.len);
		}
		mn_ctl_send_status(req->fd, code, 0);
	}
	if (sb)
		svc_put(svc);
	for (i = 0; i < req->nfds; i++)
		close(req->fds[i]);
	mn_run_request_release(&rq);
	mn_strbuf_release(&err);
	return 1;	/* one run per connection */
}

/* ------------------------------------------------------------------ */
/* the shell's spawn */

/*
 * The log file: created under a temporary name (the pid is not known
 * yet), its host descriptor (storage keeps files on the host) handed to
 * the program as stdout and stderr.  -errno with a message.
 */
static int open_log(struct mn_shell_ctx *c, struct svc *svc, char *tmp,
		    size_t n, struct mn_vfs_file **f)
{
	struct mn_vfs *vfs = mn_vfs_of(c->k);
	const struct mn_vfs_cred *kc = &mn_vfs_cred_kernel;
	uint64_t id;
	int e, fd;

	if (!vfs)
		return -ENODEV;
	mn_vfs_mkdir_path(vfs, kc, "/", "/var", 0755);
	mn_vfs_mkdir_path(vfs, kc, "/", "/var/log", 0755);
	pthread_mutex_lock(&svc->lock);
	id = ++svc->spawns;
	pthread_mutex_unlock(&svc->lock);
	snprintf(tmp, n, "/var/log/.spawn-%llu.log", (unsigned long long)id);
	e = mn_vfs_open_path(vfs, kc, "/", tmp, O_WRONLY | O_CREAT | O_TRUNC |
			     O_APPEND, 0644, f);
	if (e < 0)
		return e;
	fd = mn_vfs_file_host_fd(*f);
	if (fd < 0) {
		mn_vfs_release(*f);
		mn_vfs_unlink_path(vfs, kc, "/", tmp);
		return -EOPNOTSUPP;
	}
	return fd;
}

static int shell_spawn(struct mn_shell_ctx *c, int argc, char **argv)
{
	static const char *const env[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=/home/user", "USER=user", "LOGNAME=user", "LANG=C.UTF-8",
		NULL};
	struct svc *svc = c->hook_arg;
	struct mn_sandbox_spawn sp = {
		.argv = (const char *const *)argv + 1, .envp = env,
		.uid = MN_SANDBOX_USER_UID, .gid = MN_SANDBOX_USER_UID,
		.prio = MN_PRIO_DEFAULT};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_vfs_file *f = NULL;
	struct mn_sandbox *sb;
	char why[512], tmp[64], log[64];
	int32_t pid;
	int fd, null, ret = MN_SHELL_FAIL;

	(void)argc;
	if (!(sb = svc_get(svc, why, sizeof(why)))) {
		mn_strbuf_printf(c->err, "spawn: no sandbox in this instance: "
				 "%s\n", why);
		return MN_SHELL_FAIL;
	}
	fd = open_log(c, svc, tmp, sizeof(tmp), &f);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0) {
		mn_strbuf_printf(c->err, "spawn: cannot create its log file in "
				 "/var/log: %s\n", fd == -EOPNOTSUPP ?
				 "the storage is not on the host (no data "
				 "directory)" : strerror(fd < 0 ? -fd : errno));
		goto out;
	}
	sp.fds[0] = null;
	sp.fds[1] = sp.fds[2] = fd;
	pid = mn_sandbox_spawn(sb, &sp, &err);
	if (pid < 0) {
		mn_vfs_unlink_path(mn_vfs_of(c->k), &mn_vfs_cred_kernel, "/",
				   tmp);
		mn_strbuf_printf(c->err, "spawn: %s\n", mn_strbuf_str(&err));
		goto out;
	}
	mn_sandbox_detach(sb, pid);
	snprintf(log, sizeof(log), "/var/log/spawn-%d.log", pid);
	if (mn_vfs_rename_path(mn_vfs_of(c->k), &mn_vfs_cred_kernel, "/", tmp,
			       log) < 0)
		snprintf(log, sizeof(log), "%s", tmp);
	mn_strbuf_printf(c->out, "spawned %d (%s), output in %s\n", pid,
			 argv[1], log);
	ret = MN_SHELL_OK;
out:
	if (null >= 0)
		close(null);
	if (f)
		mn_vfs_release(f);
	svc_put(svc);
	mn_strbuf_release(&err);
	return ret;
}

/* ------------------------------------------------------------------ */
/* stages */

/* Creates the world from svc->opts.  0 or -errno with text in msg. */
static int make_world(struct svc *svc, struct mn_sandbox **out,
		      struct mn_strbuf *msg)
{
	int e = mn_sandbox_create(out, svc->k, &svc->opts, msg);

	if (e < 0)
		MN_LOG(mn_kernel_log(svc->k), MN_LOG_WARNING, "no sandbox: %s "
		       "(micronos-run and spawn will not work)",
		       mn_strbuf_str(msg));
	return e;
}

/* ------------------------------------------------------------------ */
/* health: init's life, and a new world when it dies */

/* 1 if init has exited; *sig is the signal that killed it, or 0. */
static int init_gone(struct mn_sandbox *sb, int *sig)
{
	struct pollfd p = {.fd = sb->init_pidfd, .events = POLLIN};
	siginfo_t si = {0};

	*sig = 0;
	if (sb->init_pidfd < 0 || poll(&p, 1, 0) <= 0)
		return sb->init_pidfd < 0;
	/* WNOWAIT: the zombie stays for mn_sandbox_destroy to reap */
	if (waitid((idtype_t)3 /* P_PIDFD */, (id_t)sb->init_pidfd, &si,
		   WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_code != CLD_EXITED)
		*sig = si.si_status;
	return 1;
}

static enum mn_health_status health_check(void *arg, char *msg, size_t n)
{
	struct svc *svc = arg;
	struct mn_strbuf info = MN_STRBUF_INIT;
	enum mn_health_status st = MN_HEALTH_OK;
	struct mn_sandbox *sb;
	char why[512];
	int sig;

	if (!(sb = svc_get(svc, why, sizeof(why)))) {
		snprintf(msg, n, "no sandbox: %s", why);
		return MN_HEALTH_DEGRADED;
	}
	if (init_gone(sb, &sig)) {
		snprintf(msg, n, "the world's init died (%s%s); restarts so "
			 "far %llu", sig ? "killed by " : "exited",
			 sig ? strsignal(sig) : "",
			 (unsigned long long)svc->restarts);
		st = MN_HEALTH_FAILED;
	} else {
		mn_sandbox_cgroup_info(sb, &info);
		snprintf(msg, n, "init %d; %llu restarts; %s",
			 mn_sandbox_init_host_pid(sb),
			 (unsigned long long)svc->restarts,
			 mn_strbuf_str(&info));
	}
	svc_put(svc);
	mn_strbuf_release(&info);
	return st;
}

/* Waits (5 s at most) for the runs still using the dead world to end. */
static int wait_idle(struct svc *svc)
{
	struct timespec dl;
	int e = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	while (svc->active > 0 && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&svc->idle, &svc->lock, &dl);
	return svc->active > 0 ? -EBUSY : 0;
}

/*
 * init died (killed, or crashed): every program died with the pid
 * namespace, the runs attached to them have ended (supervise() watches
 * init), and nothing can be spawned.  A new world replaces it.
 */
static int health_recover(void *arg, char *msg, size_t n)
{
	struct svc *svc = arg;
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_sandbox *old, *sb = NULL;
	int sig, e;

	pthread_mutex_lock(&svc->lock);
	old = svc->sb;
	if (svc->stopping || !old || !init_gone(old, &sig)) {
		pthread_mutex_unlock(&svc->lock);
		snprintf(msg, n, "nothing to restart");
		return -EAGAIN;
	}
	svc->sb = NULL;
	svc->restarting = 1;
	if ((e = wait_idle(svc)) < 0) {
		svc->sb = old;
		svc->restarting = 0;
		pthread_mutex_unlock(&svc->lock);
		snprintf(msg, n, "runs of the dead world did not end");
		return e;
	}
	pthread_mutex_unlock(&svc->lock);
	mn_sandbox_destroy(old);	/* reaps init, ends its threads */
	e = make_world(svc, &sb, &err);
	pthread_mutex_lock(&svc->lock);
	svc->sb = e == 0 ? sb : NULL;
	svc->restarting = 0;
	if (e == 0)
		svc->restarts++;
	snprintf(svc->why, sizeof(svc->why), "%s", e == 0 ? "" :
		 mn_strbuf_str(&err));
	pthread_mutex_unlock(&svc->lock);
	if (e == 0)
		snprintf(msg, n, "world restarted (init is host pid %d)",
			 mn_sandbox_init_host_pid(sb));
	else
		snprintf(msg, n, "world not restarted: %s",
			 mn_strbuf_str(&err));
	MN_LOG(mn_kernel_log(svc->k), e == 0 ? MN_LOG_NOTICE : MN_LOG_ERROR,
	       "sandbox: init died%s%s; %s", sig ? " by " : "",
	       sig ? strsignal(sig) : "", msg);
	mn_strbuf_release(&err);
	return e;
}

static int svc_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	struct svc *svc = arg;
	struct mn_sandbox_opts *o = &svc->opts;
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_config *cfg = mn_kernel_config(k);
	struct mn_sandbox *sb = NULL;
	int64_t net = 0, dev = 0, proc = 0, v;
	int e;

	(void)err;
	memset(o, 0, sizeof(*o));
	mn_config_get_int(cfg, "sandbox.net", &net);
	mn_config_get_int(cfg, "sandbox.dev", &dev);
	mn_config_get_int(cfg, "sandbox.proc", &proc);
	o->net = net == 1 ? MN_SANDBOX_NET_HOST : MN_SANDBOX_NET_NONE;
	if (mn_config_get_int(cfg, "sandbox.run_pids_max", &v) == 0)
		o->run_pids_max = (uint64_t)v;
	if (mn_config_get_int(cfg, "sandbox.pids_max", &v) == 0)
		o->world_pids_max = (uint64_t)v;
	if (mn_config_get_int(cfg, "sandbox.cpu_weight", &v) == 0)
		o->cpu_weight = (uint32_t)v;
	o->ids = svc->have_ids ? &svc->ids : NULL;
	/* MicronOS's tree is the root when its FUSE mount is up */
	if (svc->mount_dir && mn_kernel_slot(k, MN_SLOT_FUSE)) {
		o->root_dir = svc->mount_dir;
		o->root_flags = (dev == 1 ? MN_SANDBOX_ROOT_DEV : 0) |
				(proc == 1 ? MN_SANDBOX_ROOT_HOSTPROC : 0);
	}
	e = make_world(svc, &sb, &msg);
	pthread_mutex_lock(&svc->lock);
	svc->sb = e == 0 ? sb : NULL;
	snprintf(svc->why, sizeof(svc->why), "%s", e == 0 ? "" :
		 mn_strbuf_str(&msg));
	pthread_mutex_unlock(&svc->lock);
	mn_health_register(mn_kernel_health(k), &(struct mn_health_check){
		.name = "sandbox", .check = health_check,
		.recover = health_recover, .arg = svc});
	mn_ctl_set_handler(svc->ctl, MN_RUN_VERB, run_handler, svc);
	mn_shell_set_hook(k, "spawn", NULL, shell_spawn, svc);
	mn_strbuf_release(&msg);
	return 0;
}

static void svc_stop(struct mn_kernel *k, void *arg)
{
	struct svc *svc = arg;
	struct mn_sandbox *sb;
	uint64_t one = 1;

	mn_shell_set_hook(k, "spawn", NULL, NULL, NULL);
	mn_ctl_set_handler(svc->ctl, MN_RUN_VERB, NULL, NULL);
	/* waits for a check or a restart in progress */
	mn_health_unregister(mn_kernel_health(k), "sandbox");
	if (write(svc->stop_efd, &one, sizeof(one)) < 0)
		abort();
	pthread_mutex_lock(&svc->lock);
	svc->stopping = 1;
	while (svc->active > 0)
		pthread_cond_wait(&svc->idle, &svc->lock);
	sb = svc->sb;
	svc->sb = NULL;
	pthread_mutex_unlock(&svc->lock);
	mn_sandbox_destroy(sb);
}

static int noop_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	(void)k;
	(void)arg;
	(void)err;
	return 0;
}

static void svc_free(struct mn_kernel *k, void *arg)
{
	struct svc *svc = arg;

	(void)k;
	close(svc->stop_efd);
	pthread_cond_destroy(&svc->idle);
	pthread_mutex_destroy(&svc->lock);
	free(svc);
}

int mn_sandbox_service_attach(struct mn_kernel *k, struct mn_ctl *ctl,
			      const struct mn_sandbox_ids *ids,
			      const char *mount_dir, struct mn_strbuf *err)
{
	struct svc *svc;
	size_t i;
	int e;

	if (!k || !ctl)
		return -EINVAL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		e = mn_config_register(mn_kernel_config(k), &keys[i], err);
		if (e < 0 && e != -EEXIST)
			return e;
	}
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	svc->k = k;
	svc->ctl = ctl;
	svc->mount_dir = mount_dir;
	if (ids) {
		svc->ids = *ids;
		svc->have_ids = 1;
	}
	svc->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&svc->lock, NULL);
	pthread_cond_init(&svc->idle, NULL);
	snprintf(svc->why, sizeof(svc->why), "the instance is not up");
	e = svc->stop_efd < 0 ? -errno : 0;
	if (e == 0)
		e = mn_kernel_stage_hook(k, MN_STAGE_CORE, &(struct mn_stage_hook){
			.name = "sandbox service", .start = noop_start,
			.stop = svc_free, .arg = svc});
	if (e < 0) {
		svc_free(k, svc);
		goto out;
	}
	/* from here on the core stage's stop frees svc */
	e = mn_kernel_stage_hook(k, MN_STAGE_READY, &(struct mn_stage_hook){
		.name = "sandbox", .start = svc_start, .stop = svc_stop,
		.arg = svc});
out:
	if (e < 0)
		mn_strbuf_printf(err, "sandbox service: %s", strerror(-e));
	return e;
}
