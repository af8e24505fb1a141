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
	int stop_efd;			/* readable once stopping */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	/* protected by lock */
	struct mn_sandbox *sb;		/* NULL: none (see why) */
	int active;			/* callers using sb */
	int stopping;
	uint64_t spawns;		/* names of temporary log files */
	char why[512];			/* why there is no sandbox */
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
			 "shutting down" : svc->why);
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
	struct pollfd p[3] = {{.fd = rd->fd, .events = POLLIN},
			      {.fd = -1, .events = POLLIN},
			      {.fd = svc->stop_efd, .events = POLLIN}};
	int status = 0, code = -2;

	p[1].fd = mn_sandbox_watch(sb, pid);
	if (p[1].fd < 0) {
		mn_strbuf_printf(err, "lost the program: %s",
				 strerror(-p[1].fd));
		return 125;
	}
	while (code == -2) {
		if (!mn_run_reader_buffered(rd) && poll(p, 3, -1) < 0)
			continue;
		if (p[1].revents) {
			if (mn_sandbox_wait(sb, pid, &status, 0) == 0)
				code = exit_code(status);
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

static int svc_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	struct svc *svc = arg;
	struct mn_sandbox_opts o = {0};
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_config *cfg = mn_kernel_config(k);
	struct mn_sandbox *sb = NULL;
	int64_t net = 0, dev = 0, proc = 0;
	int e;

	(void)err;
	mn_config_get_int(cfg, "sandbox.net", &net);
	mn_config_get_int(cfg, "sandbox.dev", &dev);
	mn_config_get_int(cfg, "sandbox.proc", &proc);
	o.net = net == 1 ? MN_SANDBOX_NET_HOST : MN_SANDBOX_NET_NONE;
	/* MicronOS's tree is the root when its FUSE mount is up */
	if (svc->mount_dir && mn_kernel_slot(k, MN_SLOT_FUSE)) {
		o.root_dir = svc->mount_dir;
		o.root_flags = (dev == 1 ? MN_SANDBOX_ROOT_DEV : 0) |
			       (proc == 1 ? MN_SANDBOX_ROOT_HOSTPROC : 0);
	}
	e = mn_sandbox_create(&sb, k, &o, &msg);
	pthread_mutex_lock(&svc->lock);
	svc->sb = e == 0 ? sb : NULL;
	snprintf(svc->why, sizeof(svc->why), "%s", e == 0 ? "" :
		 mn_strbuf_str(&msg));
	pthread_mutex_unlock(&svc->lock);
	if (e < 0)
		MN_LOG(mn_kernel_log(k), MN_LOG_WARNING, "no sandbox: %s "
		       "(micronos-run and spawn will not work)",
		       mn_strbuf_str(&msg));
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
