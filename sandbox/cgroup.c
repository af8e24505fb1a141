/*
 * cgroup - limits per world and per run, and killing a run's whole tree.
 *
 * rlimits are per process: a program's children each get their own, and a
 * process that left its group survives a kill of the group.  A cgroup
 * holds every descendant whatever it does, so:
 *
 *   DAEMON'S CGROUP/micronos-NAME-PID/           the world (root-made)
 *                                   run-N/       one per spawn (N = the
 *                                                program's namespace pid)
 *
 * The daemon (host root) makes the world's directory in each hierarchy,
 * writes the world's limits (its files stay root's), hands the directory
 * to the namespace's root (chown to uid_base: only the directory, and on
 * cgroup v2 its cgroup.procs, which moving between children needs) and
 * keeps a descriptor of it, which init inherits.  The intermediate
 * process moves itself (and so init and everything after) into the world
 * through a cgroup.procs opened while it was still host root: since Linux
 * 5.16 a write is checked against the opener's credentials.  Each program,
 * in init's child before exec and before it drops to its user, makes
 * run-N (owned by the namespace's root, like its files), writes the run's
 * limits there and moves itself in.  Programs never see the cgroup file
 * system (it is not mounted inside, and init's descriptors are closed
 * before exec).
 *
 * Killing a run: cgroup v2 has cgroup.kill; v1 has not, so the run is
 * frozen (freezer), every process in it is sent SIGKILL, and it is
 * thawed, until it is empty; pids.max bounds a fork bomb racing the kill.
 *
 * Which hierarchy: cgroup v2 when its root delegates pids, memory and cpu
 * (cgroup.controllers), else the v1 hierarchies pids, memory, cpu and
 * freezer mounted under /sys/fs/cgroup (a "hybrid" host, such as this
 * project's CI machine).  Without root (no uid map, so no sandbox at all
 * today) or without either, the world has no cgroup and says why in
 * `health`; a run then ends by killing its process group only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_i.h"

#define CG_ROOT "/sys/fs/cgroup"
#define KILL_ROUNDS 200		/* x 10 ms: a run takes 2 s at most to go */

/* The v1 hierarchies, in cfg order; v2 uses slot 0 for everything. */
static const char *const v1_names[SBX_CG_MAX] = {
	[SBX_CG_PIDS] = "pids", [SBX_CG_MEMORY] = "memory",
	[SBX_CG_CPU] = "cpu", [SBX_CG_FREEZER] = "freezer",
};

static void sweep_stale(const char *world);

/* Writes text into dirfd/name.  0 or -errno.  Async-signal-safe. */
static int put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC), e = 0;
	size_t n = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		e = -errno;
	close(fd);
	return e;
}

static int put_u64(int dirfd, const char *name, unsigned long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", v);
	return put(dirfd, name, num);
}

/* Our own cgroup in hierarchy `ctrl` ("" for v2) from /proc/self/cgroup. */
static int own_cgroup(const char *ctrl, char *out, size_t n)
{
	char line[512], *p, *c;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int e = -ENOENT;

	if (!f)
		return -errno;
	while (e < 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = strchr(line, ':');
		c = p ? strchr(p + 1, ':') : NULL;
		if (!c)
			continue;
		*c = '\0';
		if (ctrl[0] ? strstr(p + 1, ctrl) && strlen(p + 1) ==
			      strlen(ctrl) : p[1] == '\0') {
			snprintf(out, n, "%s", c + 1);
			e = 0;
		}
	}
	fclose(f);
	return e;
}

/* "pids memory cpu" all delegable at the v2 root? */
static int v2_usable(const char *root)
{
	char path[256], buf[256] = "";
	int fd, ok;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	ok = strstr(buf, "pids") && strstr(buf, "memory") &&
	     strstr(buf, "cpu");
	return ok;
}

/* Makes the world's directory under `base`; its fd, or -errno. */
static int make_world_dir(struct sbx_cgroup_cfg *cg, int slot,
			  const char *base, const char *name)
{
	char own[256];
	int e;

	if ((e = own_cgroup(cg->version == 2 ? "" : v1_names[slot], own,
			    sizeof(own))) < 0)
		return e;
	if (snprintf(cg->path[slot], sizeof(cg->path[slot]), "%s%s/%s", base,
		     strcmp(own, "/") ? own : "", name) >=
	    (int)sizeof(cg->path[slot]))
		return -ENAMETOOLONG;
	sweep_stale(cg->path[slot]);
	if (mkdir(cg->path[slot], 0755) < 0 && errno != EEXIST)
		return -errno;
	cg->dirfd[slot] = open(cg->path[slot], O_RDONLY | O_DIRECTORY |
			       O_CLOEXEC);
	return cg->dirfd[slot] < 0 ? -errno : 0;
}

/* World limits and ownership, in every hierarchy made. */
static int world_limits(struct sbx_cgroup_cfg *cg, uint32_t owner)
{
	int v2 = cg->version == 2, e = 0, i;
	int pids = cg->dirfd[v2 ? 0 : SBX_CG_PIDS];
	int cpu = cg->dirfd[v2 ? 0 : SBX_CG_CPU];

	if (v2) {
		e = put(cg->dirfd[0], "cgroup.subtree_control",
			"+pids +memory +cpu");
		if (e == 0)
			e = fchownat(cg->dirfd[0], "cgroup.procs", owner,
				     owner, 0) < 0 ? -errno : 0;
	}
	if (e == 0 && cg->world_pids)
		e = put_u64(pids, "pids.max", cg->world_pids);
	if (e == 0 && cg->cpu_weight)
		e = v2 ? put_u64(cpu, "cpu.weight", cg->cpu_weight) :
		    put_u64(cpu, "cpu.shares", cg->cpu_weight * 1024ULL / 100);
	for (i = 0; e == 0 && i < SBX_CG_MAX; i++)
		if (cg->dirfd[i] >= 0 && fchown(cg->dirfd[i], owner, owner) < 0)
			e = -errno;
	return e;
}

int sbx_cgroup_world_create(struct sbx_cgroup_cfg *cg, const char *name,
			    uint32_t owner, struct mn_strbuf *err)
{
	char dir[128], base[64];
	int i, e = 0;

	for (i = 0; i < SBX_CG_MAX; i++)
		cg->dirfd[i] = cg->procs_fd[i] = -1;
	snprintf(dir, sizeof(dir), "micronos-%s", name);
	if (v2_usable(CG_ROOT)) {
		cg->version = 2;
		e = make_world_dir(cg, 0, CG_ROOT, dir);
	} else {
		cg->version = 1;
		for (i = 0; e == 0 && i < SBX_CG_MAX; i++) {
			snprintf(base, sizeof(base), CG_ROOT "/%s",
				 v1_names[i]);
			e = make_world_dir(cg, i, base, dir);
		}
	}
	if (e == 0)
		e = world_limits(cg, owner);
	if (e < 0) {
		mn_strbuf_printf(err, "cgroup %s: %s", cg->version == 2 ?
				 "v2" : "v1 (pids, memory, cpu, freezer)",
				 strerror(-e));
		sbx_cgroup_world_destroy(cg);
	}
	return e;
}

/* Host side, before the user namespace: what the intermediate writes. */
int sbx_cgroup_world_open_procs(struct sbx_cgroup_cfg *cg)
{
	int i;

	for (i = 0; i < SBX_CG_MAX; i++) {
		if (cg->dirfd[i] < 0)
			continue;
		/* v2: no process may live in a cgroup that delegates
		   controllers; init lives in the leaf "init" */
		if (cg->version == 2 && mkdirat(cg->dirfd[i], "init", 0755) <
		    0 && errno != EEXIST)
			return -errno;
		cg->procs_fd[i] = openat(cg->dirfd[i], cg->version == 2 ?
					 "init/cgroup.procs" : "cgroup.procs",
					 O_WRONLY | O_CLOEXEC);
		if (cg->procs_fd[i] < 0)
			return -errno;
	}
	return 0;
}

int sbx_cgroup_world_enter(struct sbx_cgroup_cfg *cg)
{
	int i, e = 0;

	for (i = 0; i < SBX_CG_MAX; i++) {
		if (cg->procs_fd[i] < 0)
			continue;
		if (e == 0 && write(cg->procs_fd[i], "0", 1) != 1)
			e = -errno;
		close(cg->procs_fd[i]);
		cg->procs_fd[i] = -1;
	}
	return e;
}

void sbx_cgroup_world_enter_done(struct sbx_cgroup_cfg *cg)
{
	int i;

	for (i = 0; i < SBX_CG_MAX; i++) {
		if (cg->procs_fd[i] >= 0)
			close(cg->procs_fd[i]);
		cg->procs_fd[i] = -1;
	}
}

/* In init's child, as the namespace's root: async-signal-safe. */
int sbx_cgroup_run_join(const struct sbx_cgroup_cfg *cg, int32_t pid,
			uint64_t mem_limit)
{
	char name[32];
	int i, fd, e = 0;

	if (cg->version == 0)
		return 0;
	snprintf(name, sizeof(name), "run-%d", (int)pid);
	for (i = 0; e == 0 && i < SBX_CG_MAX; i++) {
		if (cg->dirfd[i] < 0)
			continue;
		if (mkdirat(cg->dirfd[i], name, 0755) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(cg->dirfd[i], name, O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (cg->run_pids && (cg->version == 2 || i == SBX_CG_PIDS))
			e = put_u64(fd, "pids.max", cg->run_pids);
		if (e == 0 && mem_limit && cg->version == 2) {
			e = put_u64(fd, "memory.max", mem_limit);
			put(fd, "memory.swap.max", "0");
		} else if (e == 0 && mem_limit && i == SBX_CG_MEMORY) {
			e = put_u64(fd, "memory.limit_in_bytes", mem_limit);
			/* no escape into swap, where the host has one */
			put_u64(fd, "memory.memsw.limit_in_bytes", mem_limit);
		}
		if (e == 0)
			e = put(fd, "cgroup.procs", "0");
		close(fd);
	}
	return e;
}

/* Reads the pids listed in dirfd/name/cgroup.procs into v.  Count. */
static int list_procs(int dirfd, const char *name, pid_t *v, int max)
{
	char path[64], buf[4096], *p, *end;
	int fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/cgroup.procs", name);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((len = read(fd, buf, sizeof(buf) - 1)) > 0 && n < max) {
		buf[len] = '\0';
		for (p = buf; n < max; p = end) {
			long v1 = strtol(p, &end, 10);

			if (end == p)
				break;
			v[n++] = (pid_t)v1;
		}
	}
	close(fd);
	return n;
}

static void nap(void)
{
	struct timespec ts = {0, 10000000};

	nanosleep(&ts, NULL);
}

/* Kills everything in the directory `name` of every hierarchy. */
static int kill_dir(const struct sbx_cgroup_cfg *cg, const char *name)
{
	char file[64];
	pid_t pids[1024];
	int fz = cg->dirfd[SBX_CG_FREEZER], pf = cg->dirfd[0];
	int round, n = 1, i;

	if (cg->version == 2) {
		snprintf(file, sizeof(file), "%s/cgroup.kill", name);
		put(pf, file, "1");
	}
	snprintf(file, sizeof(file), "%s/freezer.state", name);
	for (round = 0; round < KILL_ROUNDS; round++) {
		if (cg->version == 1 && fz >= 0)
			put(fz, file, "FROZEN");
		n = list_procs(pf, name, pids, 1024);
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (cg->version == 1 && fz >= 0)
			put(fz, file, "THAWED");
		if (n == 0)
			break;
		nap();
	}
	return n == 0 ? 0 : -EBUSY;
}

/* rmdir of name in every hierarchy; an exiting task may hold it a bit. */
static void remove_dir(const struct sbx_cgroup_cfg *cg, const char *name)
{
	int i, round;

	for (i = 0; i < SBX_CG_MAX; i++) {
		if (cg->dirfd[i] < 0)
			continue;
		for (round = 0; round < KILL_ROUNDS; round++) {
			if (unlinkat(cg->dirfd[i], name, AT_REMOVEDIR) == 0 ||
			    errno == ENOENT)
				break;
			nap();
		}
	}
}

static void rmdir_children(const char *path)
{
	DIR *sub = opendir(path);
	struct dirent *se;
	char child[800];

	while (sub && (se = readdir(sub)))
		if (se->d_type == DT_DIR && se->d_name[0] != '.') {
			snprintf(child, sizeof(child), "%s/%s", path,
				 se->d_name);
			rmdir(child);
		}
	if (sub)
		closedir(sub);
}

/* rmdir, again while the last tasks finish leaving (EBUSY). */
static void remove_path(const char *path)
{
	int round;

	for (round = 0; path[0] && round < KILL_ROUNDS; round++) {
		if (rmdir(path) == 0 || errno != EBUSY)
			break;
		nap();
	}
}

/*
 * Worlds of daemons that died (kill -9 leaves their directories, empty
 * once their init died): micronos-PID.N beside ours whose PID is gone.
 */
static void sweep_stale(const char *world)
{
	char parent[256], path[512], *slash;
	struct dirent *de;
	DIR *d;
	int pid;

	snprintf(parent, sizeof(parent), "%s", world);
	slash = strrchr(parent, '/');
	if (!slash)
		return;
	*slash = '\0';
	d = opendir(parent);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "micronos-%d.", &pid) != 1 || pid <= 0 ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
		rmdir_children(path);	/* run-N (v2: and init), then it */
		rmdir(path);
	}
	closedir(d);
}

int sbx_cgroup_run_kill(const struct sbx_cgroup_cfg *cg, int32_t pid)
{
	char name[32];
	int e;

	if (cg->version == 0)
		return -EOPNOTSUPP;
	snprintf(name, sizeof(name), "run-%d", (int)pid);
	e = kill_dir(cg, name);
	remove_dir(cg, name);
	return e;
}

void sbx_cgroup_world_destroy(struct sbx_cgroup_cfg *cg)
{
	struct dirent *de;
	DIR *d;
	int i, fd;

	if (cg->version && cg->dirfd[0] >= 0 &&
	    (fd = openat(cg->dirfd[0], ".", O_RDONLY | O_DIRECTORY |
			 O_CLOEXEC)) >= 0 && (d = fdopendir(fd))) {
		while ((de = readdir(d)))
			if (de->d_type == DT_DIR && de->d_name[0] != '.') {
				kill_dir(cg, de->d_name);
				remove_dir(cg, de->d_name);
			}
		closedir(d);
	}
	if (cg->version)
		kill_dir(cg, ".");
	for (i = 0; i < SBX_CG_MAX; i++) {
		if (cg->procs_fd[i] >= 0)
			close(cg->procs_fd[i]);
		if (cg->dirfd[i] >= 0)
			close(cg->dirfd[i]);
		remove_path(cg->path[i]);
		cg->dirfd[i] = cg->procs_fd[i] = -1;
		cg->path[i][0] = '\0';
	}
	cg->version = 0;
}
