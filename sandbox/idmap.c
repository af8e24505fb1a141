/*
 * idmap - which host ids stand for MicronOS's ids, and writing that map
 * into a new user namespace.
 *
 * Three cases, chosen once per world (mn_sandbox_ids_choose):
 *
 *   root    host root writes uid_map/gid_map itself: MicronOS ids 0..65535
 *           -> host 200000.. (MN_SANDBOX_UID_BASE);
 *   subid   an ordinary user with a range of at least 65536 ids in
 *           /etc/subuid and /etc/subgid: MicronOS 0..65535 -> that range,
 *           written by the setuid helpers newuidmap/newgidmap (shadow's
 *           uidmap package), the way rootless podman does;
 *   single  no range (or no helpers): the kernel lets a user map exactly
 *           one id onto itself, so one MicronOS id (1000, the default user,
 *           or 0 for --root) is this user and every other id has no host
 *           id at all: changing to it fails with EINVAL in the namespace,
 *           and init answers such a spawn with EPERM rather than pretend.
 *
 * The helpers are found in PATH like any program the user could run
 * anyway; they check /etc/subuid themselves, so nothing here is trusted.
 * Each is run with a deadline: a helper that hangs must not hang boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_i.h"

#define HELPER_TIMEOUT_MS 10000

extern char **environ;

/* The first range of at least `need` ids for this user in file: start. */
static int find_range(const char *file, uid_t uid, const char *user,
		      uint32_t need, uint32_t *start)
{
	FILE *f = fopen(file, "re");
	char line[512], idbuf[32];
	int found = -ENOENT;

	if (!f)
		return -errno;
	snprintf(idbuf, sizeof(idbuf), "%u", (unsigned)uid);
	while (found < 0 && fgets(line, sizeof(line), f)) {
		char *save = NULL, *who, *s, *c;
		unsigned long st, cnt;

		who = strtok_r(line, ":", &save);
		s = strtok_r(NULL, ":", &save);
		c = strtok_r(NULL, ":\n", &save);
		if (!who || !s || !c || who[0] == '#')
			continue;
		if (strcmp(who, idbuf) && (!user || strcmp(who, user)))
			continue;
		st = strtoul(s, NULL, 10);
		cnt = strtoul(c, NULL, 10);
		if (cnt >= need && st + need <= 0xffffffffUL) {
			*start = (uint32_t)st;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* 1 if prog is an executable file in PATH. */
static int in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && n + strlen(prog) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path,
				 prog);
			if (access(buf, X_OK) == 0)
				return 1;
		}
		path += n + (path[n] == ':');
	}
	return 0;
}

static void single(struct mn_sandbox_ids *ids, uint32_t inside,
		   const char *why)
{
	ids->mode = MN_SANDBOX_IDS_SINGLE;
	ids->uid_base = ids->gid_base = 0;
	ids->inside = inside;
	ids->host_uid = (uint32_t)geteuid();
	ids->host_gid = (uint32_t)getegid();
	snprintf(ids->why, sizeof(ids->why),
		 "%s: only MicronOS uid %u maps onto you (uid %u); other "
		 "ids fail with EINVAL/EPERM",
		 why, (unsigned)inside, (unsigned)ids->host_uid);
}

void mn_sandbox_ids_choose(struct mn_sandbox_ids *ids, uint32_t single_inside)
{
	const char *force = getenv("MICRONOS_IDMAP");
	struct passwd *pw;
	const char *user;

	memset(ids, 0, sizeof(*ids));
	if (geteuid() == 0) {
		ids->mode = MN_SANDBOX_IDS_ROOT;
		ids->uid_base = ids->gid_base = MN_SANDBOX_UID_BASE;
		return;
	}
	/* MICRONOS_IDMAP=single: what a user without a range gets. */
	if (force && !strcmp(force, "single")) {
		single(ids, single_inside, "MICRONOS_IDMAP=single");
		return;
	}
	pw = getpwuid(geteuid());
	user = pw ? pw->pw_name : NULL;
	if (find_range("/etc/subuid", geteuid(), user, MN_SANDBOX_ID_COUNT,
		       &ids->uid_base) < 0 ||
	    find_range("/etc/subgid", geteuid(), user, MN_SANDBOX_ID_COUNT,
		       &ids->gid_base) < 0) {
		single(ids, single_inside, "no subordinate ids (65536 in "
		       "/etc/subuid and /etc/subgid)");
		return;
	}
	if (!in_path("newuidmap") || !in_path("newgidmap")) {
		single(ids, single_inside, "no newuidmap/newgidmap (install "
		       "the uidmap package)");
		return;
	}
	ids->mode = MN_SANDBOX_IDS_SUBID;
}

int mn_sandbox_ids_host(const struct mn_sandbox_ids *ids, uint32_t id,
			int gid)
{
	if (ids->mode == MN_SANDBOX_IDS_SINGLE)
		return id == ids->inside
			   ? (int)(gid ? ids->host_gid : ids->host_uid)
			   : -1;
	if (id >= MN_SANDBOX_ID_COUNT)
		return -1;
	return (int)((gid ? ids->gid_base : ids->uid_base) + id);
}

/* Writes one line to /proc/PID/file. */
static int write_file(pid_t pid, const char *file, const char *text)
{
	char path[64];
	size_t len = strlen(text);
	int fd, e = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		e = -errno;
	close(fd);
	return e;
}

/* Runs newuidmap/newgidmap PID 0 BASE COUNT with a deadline. */
static int run_helper(const char *prog, pid_t pid, uint32_t base,
		      struct mn_strbuf *err)
{
	char spid[16], sbase[16], scount[16];
	char *argv[] = {(char *)prog, spid, "0", sbase, scount, NULL};
	struct timespec tick = {0, 5 * 1000 * 1000};
	posix_spawn_file_actions_t fa;
	char why[200] = "";
	int ep[2], st = 0, waited, rc;
	pid_t h, r = 0;
	ssize_t n;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(sbase, sizeof(sbase), "%u", (unsigned)base);
	snprintf(scount, sizeof(scount), "%u", MN_SANDBOX_ID_COUNT);
	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&h, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(ep[1]);
	if (rc) {
		close(ep[0]);
		mn_strbuf_printf(err, "cannot run %s: %s", prog, strerror(rc));
		return -rc;
	}
	for (waited = 0; waited < HELPER_TIMEOUT_MS; waited += 5) {
		r = waitpid(h, &st, WNOHANG);
		if (r != 0)
			break;
		nanosleep(&tick, NULL);
	}
	if (r == 0) {
		kill(h, SIGKILL);
		waitpid(h, &st, 0);
		close(ep[0]);
		mn_strbuf_printf(err, "%s did not answer in %d s", prog,
				 HELPER_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	n = read(ep[0], why, sizeof(why) - 1);
	close(ep[0]);
	if (r == h && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	why[n > 0 ? n : 0] = '\0';
	why[strcspn(why, "\n")] = '\0';
	mn_strbuf_printf(err, "%s %s 0 %s %s failed%s%s", prog, spid, sbase,
			 scount, why[0] ? ": " : "", why);
	return -EPERM;
}

int sbx_ids_apply(const struct mn_sandbox_ids *ids, pid_t pid,
		  struct mn_strbuf *err)
{
	char line[64];
	int e;

	switch (ids->mode) {
	case MN_SANDBOX_IDS_SUBID:
		if ((e = run_helper("newuidmap", pid, ids->uid_base, err)) < 0)
			return e;
		return run_helper("newgidmap", pid, ids->gid_base, err);
	case MN_SANDBOX_IDS_SINGLE:
		/* an unprivileged gid_map needs setgroups off for good */
		if ((e = write_file(pid, "setgroups", "deny")) < 0)
			break;
		snprintf(line, sizeof(line), "%u %u 1\n",
			 (unsigned)ids->inside, (unsigned)ids->host_uid);
		if ((e = write_file(pid, "uid_map", line)) < 0)
			break;
		snprintf(line, sizeof(line), "%u %u 1\n",
			 (unsigned)ids->inside, (unsigned)ids->host_gid);
		e = write_file(pid, "gid_map", line);
		break;
	default:
		snprintf(line, sizeof(line), "0 %u %u\n",
			 (unsigned)ids->uid_base, MN_SANDBOX_ID_COUNT);
		if ((e = write_file(pid, "uid_map", line)) < 0)
			break;
		snprintf(line, sizeof(line), "0 %u %u\n",
			 (unsigned)ids->gid_base, MN_SANDBOX_ID_COUNT);
		e = write_file(pid, "gid_map", line);
		break;
	}
	if (e < 0)
		mn_strbuf_printf(err, "uid/gid map: %s", strerror(-e));
	return e;
}
