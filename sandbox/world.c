/*
 * world - creating the sandbox's namespaces and starting its init.
 *
 * A multithreaded daemon cannot unshare a user namespace, so the supervisor
 * forks an intermediate process that does it in steps:
 *
 *   1. unshare(CLONE_NEWUSER); tells the supervisor, which writes uid_map
 *      and gid_map (idmap.c: as host root, MicronOS ids 0..65535 -> host
 *      200000..; as a user, its subordinate range through newuidmap, or
 *      one id onto the user itself);
 *   2. unshares mount, uts, ipc, cgroup, pid, time (and net unless the
 *      host's is wanted); opens MicronOS's tree (if the root is built
 *      from it) while it still has the host's uid 0, which may search
 *      the instance's private runtime directory where the tree is
 *      mounted; then becomes root of the new namespace (with a single-id
 *      map there is no root inside: it stays the mapped id, with the
 *      namespace's capabilities its creator holds until it execs);
 *   3. sets the time namespace's offsets so that CLOCK_MONOTONIC and
 *      CLOCK_BOOTTIME read 0 at MicronOS boot (uptime inside = MicronOS's);
 *   4. forks init with CLONE_PARENT, so that init is the supervisor's
 *      child (the supervisor reaps it: no zombie is left to the host's
 *      init); init is pid 1 of the new pid namespace and the only
 *      process in the new time namespace's "children" side; reports its
 *      host pid, and exits.
 *
 * If the map cannot be written, the supervisor closes its end of the
 * handshake before it reaps the intermediate (which is blocked reading
 * it): the other order waits for ever.
 *
 * init then builds the root and reports READY on the socket it shares with
 * the supervisor.  Everything the intermediate does after fork() is plain
 * system calls; glibc's fork() keeps malloc usable there.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <micronos/clock.h>
#include <micronos/kernel.h>

#include "sandbox_i.h"

#define SBX_P_PIDFD 3	/* waitid() on a pidfd: Linux 5.4, not in glibc 2.36 */

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct handshake {
	int err;		/* -errno of the failed step, 0 */
	pid_t init_pid;
	pid_t netmaker_pid;	/* 0: none */
	char what[64];
};

static void hs_fail(int fd, int err, const char *what)
{
	struct handshake h = {.err = err};

	snprintf(h.what, sizeof(h.what), "%s", what);
	if (write(fd, &h, sizeof(h)) < 0)
		_exit(2);
	_exit(1);
}

/* Offsets that make the namespace's clocks start at MicronOS boot. */
static int time_offsets(uint64_t boot_mono_ns, uint64_t boot_boottime_ns)
{
	char buf[160];
	int fd, len, e = 0;
	long long ms = -(long long)(boot_mono_ns / 1000000000ULL) - 1;
	long long bs = -(long long)(boot_boottime_ns / 1000000000ULL) - 1;
	long mn = 1000000000L - (long)(boot_mono_ns % 1000000000ULL);
	long bn = 1000000000L - (long)(boot_boottime_ns % 1000000000ULL);

	if (mn == 1000000000L) {
		ms++;
		mn = 0;
	}
	if (bn == 1000000000L) {
		bs++;
		bn = 0;
	}
	len = snprintf(buf, sizeof(buf), "monotonic %lld %ld\nboottime %lld "
		       "%ld\n", ms, mn, bs, bn);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != len)
		e = -errno;
	close(fd);
	return e;
}

struct inter_args {
	int hs;			/* handshake socket */
	int init_sock;		/* init's end of the message socket */
	int close_fd;		/* the supervisor's end, closed here */
	int nm_fd;		/* netmaker's end of its pair; -1: none */
	struct sbx_world_cfg *cfg;	/* ours to change after fork */
	uint64_t boot_mono_ns, boot_boottime_ns;
};

/*
 * Names init "micronos-init" in ps: its argv area is a copy of the
 * daemon's, so we overwrite it in place (setproctitle's trick;
 * PR_SET_MM would need CAP_SYS_RESOURCE, which containers often drop).
 * The environment area goes too: /proc/PID/environ reads that memory, not
 * the environ array, and the daemon's environment is the host's (tokens,
 * paths) - nothing a program inside may read in pid 1.
 */
static void name_init(void)
{
	static const char name[] = "micronos-init";
	unsigned long start = 0, end = 0, env_start = 0, env_end = 0;
	char buf[1024], *p;
	int fd, i;
	ssize_t n;

	prctl(PR_SET_NAME, name, 0, 0, 0);
	clearenv();
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (i = 2; p && i < 48; i++)	/* fields 48..51: arg_start, end, */
		p = strchr(p + 1, ' ');	/* env_start, env_end */
	if (!p || sscanf(p, " %lu %lu %lu %lu", &start, &end, &env_start,
			 &env_end) != 4)
		return;
	if (env_end > env_start)
		memset((void *)env_start, 0, env_end - env_start);
	if (end <= start + sizeof(name))
		return;
	memset((void *)start, 0, end - start);
	memcpy((void *)start, name, sizeof(name));
}

static void intermediate(const struct inter_args *a)
{
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
		    CLONE_NEWCGROUP | CLONE_NEWPID | CLONE_NEWTIME;
	struct handshake h = {0};
	char go;
	pid_t pid;
	int e;

	close(a->close_fd);
	name_init();
	if (unshare(CLONE_NEWUSER) < 0)
		hs_fail(a->hs, -errno, "unshare(user)");
	if (write(a->hs, "u", 1) != 1 || read(a->hs, &go, 1) != 1 ||
	    go != 'g')
		_exit(1);
	if (a->cfg->net == MN_SANDBOX_NET_NONE)
		flags |= CLONE_NEWNET;
	/* a rootless daemon's sockets come from netmaker.c, which lives in
	   the new network namespace but not in the pid namespace (the
	   first child there would be its pid 1) */
	if (a->nm_fd >= 0 && (flags & CLONE_NEWNET)) {
		if (unshare(CLONE_NEWNET) < 0)
			hs_fail(a->hs, -errno, "unshare(net)");
		flags &= ~CLONE_NEWNET;
		pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0,
				     NULL, NULL, 0);
		if (pid == 0)
			sbx_netmaker_main(a->nm_fd);
		if (pid < 0)
			hs_fail(a->hs, -errno, "fork the socket helper");
		h.netmaker_pid = pid;
		close(a->nm_fd);
	}
	if (unshare(flags) < 0)
		hs_fail(a->hs, -errno, "unshare(namespaces)");
	/* after the cgroup namespace: its root (our cgroup until now)
	   holds the world's, so the runs' cgroups are inside it */
	if ((e = sbx_cgroup_world_enter(&a->cfg->cg)) < 0)
		hs_fail(a->hs, e, "enter the world's cgroup");
	/* a descriptor: the path is not searchable by the namespace's
	   root; opened in the new mount namespace, so init may clone it */
	if (a->cfg->root_dir) {
		a->cfg->tree_fd = open(a->cfg->root_dir, O_PATH | O_DIRECTORY);
		if (a->cfg->tree_fd < 0)
			hs_fail(a->hs, -errno, "open the MicronOS tree");
	}
	if (!a->cfg->single_id &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		hs_fail(a->hs, -errno, "become namespace root");
	/* changing ids cleared "dumpable", which hides our own /proc files */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if ((e = time_offsets(a->boot_mono_ns, a->boot_boottime_ns)) < 0)
		hs_fail(a->hs, e, "time namespace offsets");
	/* a raw clone is safe here: this process has a single thread */
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL,
			     0);
	if (pid == 0) {
		close(a->hs);
		sbx_init_main(a->init_sock, a->cfg);
	}
	if (pid < 0)
		hs_fail(a->hs, -errno, "fork init");
	h.init_pid = pid;
	if (write(a->hs, &h, sizeof(h)) != sizeof(h))
		_exit(1);
	_exit(0);
}

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The supervisor's half of the handshake with the intermediate. */
static int handshake(int hs, pid_t pid, const struct mn_sandbox_ids *ids,
		     pid_t *init_pid, pid_t *nm_pid, struct mn_strbuf *err)
{
	struct handshake h = {0};
	char c;
	int e;

	if (read(hs, &c, 1) != 1 || c != 'u') {
		((char *)&h)[0] = c;
		if (read(hs, (char *)&h + 1, sizeof(h) - 1) >= 0 &&
		    !strcmp(h.what, "unshare(user)"))
			mn_strbuf_printf(err, "cannot create a user namespace "
					 "(%s): user namespaces are off or "
					 "used up here (sysctl "
					 "user.max_user_namespaces)",
					 strerror(-h.err));
		else if (h.what[0])
			mn_strbuf_printf(err, "%s: %s", h.what,
					 strerror(-h.err));
		else
			mn_strbuf_printf(err, "user namespace: %s",
					 strerror(-h.err ? -h.err : EIO));
		return h.err ? h.err : -EIO;
	}
	if ((e = sbx_ids_apply(ids, pid, err)) < 0)
		return e;
	if (write(hs, "g", 1) != 1 || read(hs, &h, sizeof(h)) != sizeof(h)) {
		mn_strbuf_printf(err, "sandbox world: setup process died");
		return -EIO;
	}
	if (h.err) {
		mn_strbuf_printf(err, "%s: %s", h.what, strerror(-h.err));
		return h.err;
	}
	*init_pid = h.init_pid;
	*nm_pid = h.netmaker_pid;
	return 0;
}

/* Waits for init's READY (the root is built).  0 or -errno with text. */
static int wait_ready(struct mn_sandbox *sb, struct mn_strbuf *err)
{
	union {
		struct sbx_msg m;
		char raw[sizeof(struct sbx_msg) + 1024];
	} u;
	struct pollfd p = {.fd = sb->sock, .events = POLLIN};
	int fds[3], n;

	if (poll(&p, 1, 10000) <= 0) {
		mn_strbuf_printf(err, "sandbox init did not start in 10 s");
		return -ETIMEDOUT;
	}
	n = sbx_msg_recv(sb->sock, &u.m, sizeof(u), fds, 3, NULL);
	if (n < 0 || u.m.type != SBX_MSG_READY) {
		mn_strbuf_printf(err, "sandbox init died while building the "
				 "root");
		return -EIO;
	}
	if (u.m.status < 0) {
		u.m.data[u.m.len ? u.m.len - 1 : 0] = '\0';
		mn_strbuf_printf(err, "building the sandbox root: %s",
				 u.m.len ? u.m.data : strerror(-u.m.status));
		return u.m.status;
	}
	return 0;
}

/* Starts the world; fills sb->sock, init_pid, init_pidfd. */
int sbx_world_start(struct mn_sandbox *sb, struct mn_strbuf *err)
{
	const struct mn_clock *clk = mn_kernel_clock(sb->k);
	struct inter_args a = {.cfg = &sb->cfg};
	int sv[2], hs[2], nm[2] = {-1, -1}, one = 1, big = 1 << 20, e;
	int status;
	pid_t pid;

	a.boot_mono_ns = clk->boot_mono_ns;
	a.boot_boottime_ns = clk->boot_mono_ns + (now_ns(CLOCK_BOOTTIME) -
						  now_ns(CLOCK_MONOTONIC));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, hs) < 0) {
		e = -errno;
		goto close_sv;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	a.hs = hs[1];
	a.init_sock = sv[1];
	a.close_fd = sv[0];
	/* opened as host root: a write is checked against the opener */
	if (sb->cfg.cg.version && (e = sbx_cgroup_world_open_procs(
					   &sb->cfg.cg)) < 0) {
		mn_strbuf_printf(err, "the world's cgroup: %s", strerror(-e));
		goto close_hs;
	}
	a.nm_fd = -1;
	if (geteuid() != 0 && sb->cfg.net == MN_SANDBOX_NET_NONE &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, nm) == 0)
		a.nm_fd = nm[1];
	pid = fork();
	if (pid == 0) {
		close(hs[0]);
		if (nm[0] >= 0)
			close(nm[0]);
		intermediate(&a);
	}
	e = pid < 0 ? -errno : 0;
	sbx_cgroup_world_enter_done(&sb->cfg.cg);
	close(hs[1]);
	close(sv[1]);
	if (nm[1] >= 0)
		close(nm[1]);
	sb->netmaker_fd = nm[0];
	sb->netmaker_pid = 0;
	if (e == 0) {
		e = handshake(hs[0], pid, &sb->ids, &sb->init_pid,
			      &sb->netmaker_pid, err);
		/* first close: a failed handshake leaves it reading hs */
		close(hs[0]);
		if (e < 0)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	} else {
		close(hs[0]);
	}
	if (e < 0) {
		sbx_world_stop(sb);	/* the socket helper, if forked */
		goto close_sup;
	}
	sb->sock = sv[0];
	sb->init_pidfd = (int)syscall(SYS_pidfd_open, sb->init_pid, 0);
	if (sb->init_pidfd < 0) {
		e = -errno;
		mn_strbuf_printf(err, "pidfd_open(init): %s", strerror(-e));
	} else {
		e = wait_ready(sb, err);
	}
	if (e < 0) {
		sbx_world_stop(sb);
		return e;
	}
	return 0;
close_hs:
	close(hs[0]);
	close(hs[1]);
close_sv:
	close(sv[1]);
close_sup:
	close(sv[0]);
	return e;
}

/* Kills the namespace (init first: the kernel kills the rest) and waits. */
void sbx_world_stop(struct mn_sandbox *sb)
{
	if (sb->init_pidfd >= 0) {
		struct pollfd p = {.fd = sb->init_pidfd, .events = POLLIN};

		siginfo_t si;

		syscall(SYS_pidfd_send_signal, sb->init_pidfd, SIGKILL, NULL,
			0);
		poll(&p, 1, 5000);
		/* init is our child (CLONE_PARENT): reap it */
		waitid((idtype_t)SBX_P_PIDFD, (id_t)sb->init_pidfd, &si,
		       WEXITED | WNOHANG);
		close(sb->init_pidfd);
		sb->init_pidfd = -1;
	}
	if (sb->sock >= 0) {
		close(sb->sock);
		sb->sock = -1;
	}
	/* closing its end ends the socket helper; it is our child too */
	if (sb->netmaker_fd >= 0) {
		close(sb->netmaker_fd);
		sb->netmaker_fd = -1;
	}
	if (sb->netmaker_pid > 0) {
		kill(sb->netmaker_pid, SIGKILL);
		waitpid(sb->netmaker_pid, NULL, 0);
		sb->netmaker_pid = 0;
	}
}
