/*
 * init - pid 1 of the sandbox's pid namespace, and each program's last
 * steps before exec.
 *
 * The supervisor cannot enter the namespaces itself (a multithreaded
 * process may not setns into a user namespace), so one small process lives
 * inside them and forks programs on request: the robust zygote design.  It
 * assembles the root (rootfs.c), reports READY, then loops: a SPAWN message
 * (with the program's stdio as SCM_RIGHTS) becomes a child; every child it
 * reaps (its programs and the orphans that reparent to it) is reported as
 * EXITED with its wait status.  When the supervisor's end of the socket
 * closes (the daemon stopped or died) init exits, and the kernel kills
 * every process of the namespace with it.
 *
 * A child of init becomes the program: own session, stdio, cwd, limits,
 * credentials, then the seccomp filter; it sends its listener descriptor to
 * the supervisor and execs.  Errors before exec are reported as FAILED with
 * a message naming what is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox_i.h"

/* init is single-threaded and forked: static buffers are private to it */
static union {
	struct sbx_msg m;
	char raw[SBX_MSG_MAX];
} req;
static union {
	struct sbx_msg m;
	char raw[sizeof(struct sbx_msg) + 1024];
} reply;

static void send_simple(int sock, uint32_t type, uint64_t id, int32_t pid,
			int32_t status, const char *text)
{
	memset(&reply.m, 0, sizeof(reply.m));
	reply.m.type = type;
	reply.m.id = id;
	reply.m.pid = pid;
	reply.m.status = status;
	if (text) {
		snprintf(reply.m.data, 1024, "%s", text);
		reply.m.len = strlen(reply.m.data) + 1;
	}
	sbx_msg_send(sock, &reply.m, NULL, 0);
}

/* Splits the SPAWN data into cwd, argv and envp (pointers into req). */
static int unpack(struct sbx_msg *m, const char **cwd, char ***argv,
		  char ***envp)
{
	char *p = m->data, *end = m->data + m->len;
	char **v;
	uint32_t i, n = m->argc + m->envc;

	if (m->len == 0 || end[-1] != '\0' || m->argc == 0 ||
	    n > MN_SANDBOX_ARG_MAX / 2)
		return -EINVAL;
	v = calloc(n + 2, sizeof(char *));
	if (!v)
		return -ENOMEM;
	*cwd = p;
	p += strlen(p) + 1;
	for (i = 0; i < n; i++) {
		if (p >= end) {
			free(v);
			return -EINVAL;
		}
		v[i < m->argc ? i : i + 1] = p;
		p += strlen(p) + 1;
	}
	*argv = v;
	*envp = v + m->argc + 1;
	return 0;
}

static void child_fail(int sock, uint64_t id, int err, const char *a,
		       const char *b)
{
	sbx_msg_fail(&reply.m, id, err, a, b, NULL);
	sbx_msg_send(sock, &reply.m, NULL, 0);
	_exit(127);
}

/*
 * With a single-id map (idmap.c) only that id exists and setgroups is
 * denied for good: a program may run as that id only, anything else is
 * refused as the kernel would (EINVAL: no such id here).
 */
static int set_creds(const struct sbx_world_cfg *cfg, uint32_t uid,
		     uint32_t gid)
{
	gid_t g = gid;

	if (cfg->single_id) {
		if (uid != cfg->single_inside || gid != cfg->single_inside)
			return -EINVAL;
		if (setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			return -errno;
		return 0;
	}
	if (setgroups(1, &g) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -errno;
	return 0;
}

static void go_to_cwd(int sock, struct sbx_msg *m, const char *cwd)
{
	const char *home = m->uid == 0 ? "/root" : "/home/user";

	if (cwd[0] && chdir(cwd) == 0)
		return;
	if (cwd[0] && m->cwd_strict)
		child_fail(sock, m->id, -errno, "working directory not found "
			   "inside the sandbox: ", cwd);
	if (chdir(home) < 0 && chdir("/") < 0)
		child_fail(sock, m->id, -errno, "chdir: ", home);
}

/*
 * A directory as stdin or stdout would be a handle on a host directory
 * the program could openat(fd, "../..") from, outside its root: refused.
 * Only descriptors 0-2 cross (the SPAWN message carries three).
 */
static void check_stdio(int sock, struct sbx_msg *m)
{
	static const char *const names[] = {"stdin", "stdout", "stderr"};
	struct stat st;
	int i;

	for (i = 0; i < 3; i++)
		if (fstat(i, &st) == 0 && S_ISDIR(st.st_mode))
			child_fail(sock, m->id, -EISDIR, names[i], " is a "
				   "directory: a program may not be handed a "
				   "host directory (it could open files "
				   "outside its root through it)");
}

/* The child side of a spawn: never returns. */
static void become_program(int sock, struct sbx_msg *m, int *fds,
			   const struct sbx_world_cfg *cfg)
{
	char path[SBX_MAX_PATH], msg[512];
	const char *cwd;
	char **argv, **envp;
	struct sbx_pty pty;
	sigset_t all;
	pid_t me;
	int i, lfd, e, tty;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	setsid();
	for (i = 0; i < 3; i++) {
		/* received fds are >= 3: init keeps /dev/null on 0..2 */
		if (dup2(fds[i], i) < 0)
			child_fail(sock, m->id, -errno, "stdio", NULL);
	}
	for (i = 0; i < 3; i++)
		close(fds[i]);
	check_stdio(sock, m);
	if (unpack(m, &cwd, &argv, &envp) < 0)
		child_fail(sock, m->id, -EINVAL, "malformed spawn request",
			   NULL);
	if (m->mem_limit) {
		struct rlimit rl = {m->mem_limit, m->mem_limit};

		if (setrlimit(RLIMIT_AS, &rl) < 0)
			child_fail(sock, m->id, -errno, "memory limit", NULL);
	}
	{
		/* The daemon raised its own descriptor limit for storage;
		   programs get an ordinary one. */
		struct rlimit nf;

		if (getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur > 65536) {
			nf.rlim_cur = 65536;
			setrlimit(RLIMIT_NOFILE, &nf);
		}
	}
	/* as the namespace's root, which owns the world's cgroup */
	if ((e = sbx_cgroup_run_join(&cfg->cg, getpid(), m->mem_limit)) < 0)
		child_fail(sock, m->id, e, "joining the run's cgroup (limits)",
			   NULL);
	if ((e = set_creds(cfg, m->uid, m->gid)) < 0)
		child_fail(sock, m->id, e, cfg->single_id && e == -EINVAL ?
			   "credentials: this MicronOS uid/gid has no host "
			   "id (single-id map: no subordinate ids)" :
			   "credentials", NULL);
	go_to_cwd(sock, m, cwd);
	/* checked as the program's user, after chdir: relative paths work */
	if ((e = sbx_prog_resolve(argv[0], envp, path, sizeof(path), msg,
				  sizeof(msg))) < 0)
		child_fail(sock, m->id, e, msg, NULL);
	/* on a terminal: one of its own, with job control (pty.c) */
	if ((tty = sbx_pty_open(&pty)) < 0)
		child_fail(sock, m->id, tty, "pseudo-terminal", NULL);
	/* from here on trapped calls wait for the supervisor, which has no
	   listener yet: nothing below may make one (getpid is trapped) */
	me = getpid();
	lfd = sbx_filter_install(m->trap_fork ? cfg->filter_fork :
				 m->traced || !cfg->filter_fast ?
				 cfg->filter : cfg->filter_fast);
	if (lfd < 0)
		child_fail(sock, m->id, lfd, "seccomp filter", NULL);
	/* Changing ids cleared "dumpable", and until exec this memory is
	   the daemon's, counted as the host's user namespace: a rootless
	   supervisor (no CAP_SYS_PTRACE there) could not read the exec's
	   arguments.  Dumpable again, its own namespace's rights suffice;
	   only now, under the filter, so that nothing written into this
	   process from outside can run unconfined. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	/* write(), not sendmsg(): a world on the host's network traps every
	   sendmsg, and nothing could answer it yet; the supervisor takes
	   the listener from us by its number (SO_PASSCRED names us) */
	memset(&reply.m, 0, sizeof(reply.m));
	reply.m.type = SBX_MSG_LISTENER;
	reply.m.id = m->id;
	reply.m.pid = me;
	reply.m.status = lfd;
	if (write(sock, &reply.m, sizeof(reply.m)) != sizeof(reply.m))
		_exit(127);
	/* execve is trapped: the supervisor answers it once it holds the
	   listener, so lfd (close-on-exec) is still open when it is taken */
	close(sock);
	if (tty > 0 && (e = (int)sbx_pty_fork(&pty)) < 0) {
		dprintf(2, "micronos-run: fork: %s\n", strerror(-e));
		_exit(126);
	}
	execve(path, argv, envp);
	e = errno;
	dprintf(2, "micronos-run: cannot execute %s: %s\n", path,
		strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static void handle_spawn(int sock, int *fds, int nfds,
			 const struct sbx_world_cfg *cfg)
{
	pid_t pid;
	int i;

	if (nfds != 3 || req.m.type != SBX_MSG_SPAWN) {
		send_simple(sock, SBX_MSG_FAILED, req.m.id, 0, -EINVAL,
			    "malformed spawn request (needs 3 descriptors)");
		goto out;
	}
	pid = fork();
	if (pid == 0)
		become_program(sock, &req.m, fds, cfg);
	if (pid < 0)
		send_simple(sock, SBX_MSG_FAILED, req.m.id, 0, -errno,
			    "fork failed in the sandbox's init");
	else
		send_simple(sock, SBX_MSG_SPAWNED, req.m.id, pid, 0, NULL);
out:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

static void reap(int sock)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0)
		send_simple(sock, SBX_MSG_EXITED, 0, pid, status, NULL);
}

static void std_to_null(void)
{
	int fd = open("/dev/null", O_RDWR);

	while (fd >= 0 && fd < 2)
		fd = dup(fd);
	if (fd > 2)
		close(fd);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every descriptor but the n in keep (sorted here). */
static void close_all_but(int *keep, int n)
{
	unsigned int from = 0;
	int i;

	qsort(keep, n, sizeof(int), cmp_int);
	for (i = 0; i < n; i++) {
		if (keep[i] < 0)
			continue;
		if ((unsigned int)keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

/*
 * Once the world is built init needs no more power than the programs it
 * starts, and must not be a way around their filter: root inside shares
 * its ids.  Undumpable: its /proc files become the host root's, so
 * nothing inside opens /proc/1/mem or reads its environ, and ptrace
 * access needs CAP_SYS_PTRACE over the host's user namespace (init's
 * memory was made there).  init never changes its own ids after this,
 * which would reset the flag; its children do, before exec, and exec
 * makes them dumpable again as programs.  Its own filter refuses what
 * the programs' refuses (mounts, namespaces, ptrace, ...), with no
 * trapped row: nothing answers init's notifications.  Children stack
 * their filter on top.
 */
static int confine_self(const struct sbx_world_cfg *cfg)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (cfg->filter_init &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
		    cfg->filter_init) < 0)
		return -errno;
	return 0;
}

void sbx_init_main(int sock, const struct sbx_world_cfg *cfg)
{
	char err[512] = "";
	struct pollfd pfd[2];
	sigset_t mask;
	int keep[2 + SBX_CG_MAX], sfd, e, i;

	setsid();
	prctl(PR_SET_NAME, "micronos-init");
	e = sbx_rootfs_setup(cfg, err, sizeof(err));
	if (e == 0 && (e = confine_self(cfg)) < 0)
		snprintf(err, sizeof(err), "confining init: %s",
			 strerror(-e));
	send_simple(sock, SBX_MSG_READY, 0, 0, e, err);
	if (e < 0)
		_exit(1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* nothing of the host stays open in here but our socket: a leaked
	   pipe would keep a host reader waiting for EOF forever */
	keep[0] = sock;
	keep[1] = sfd;
	for (i = 0; i < SBX_CG_MAX; i++)
		keep[2 + i] = cfg->cg.dirfd[i];
	close_all_but(keep, 2 + SBX_CG_MAX);
	std_to_null();
	pfd[0] = (struct pollfd){.fd = sock, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) > 0)
				;
			reap(sock);
		}
		if (pfd[0].revents) {
			int fds[3], n;

			n = sbx_msg_recv(sock, &req.m, sizeof(req), fds, 3,
					 NULL);
			if (n == 0 && req.m.type == 0)
				break;	/* the supervisor is gone */
			if (n >= 0)
				handle_spawn(sock, fds, n, cfg);
			else if (n != -EBADMSG && n != -EAGAIN)
				break;
		}
	}
	kill(-1, SIGKILL);
	_exit(0);
}
