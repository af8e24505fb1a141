/*
 * sandbox - creating and destroying the sandbox of an instance.
 *
 * Order of creation: the options are checked and copied, the seccomp
 * program is built (once, shared by every program), the MicronOS syscall
 * rows the translation needs are registered, the world is started (user
 * namespace, init, root), the control thread starts, and the sandbox hooks
 * itself into the core: init's host pid is attached to MicronOS pid 1, the
 * signal service delivers to real programs through sbx_host_signal, and
 * priority changes reach the host through prio_hook.  Destruction undoes
 * it in reverse; killing init kills the whole pid namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/signal.h>
#include <micronos/fs_etc.h>
#include <micronos/strbuf.h>

#include "sandbox_i.h"
#include "xlate_net.h"

/* setpriority() is per thread on Linux: renice every thread. */
static void prio_hook(void *arg, int32_t pid, int32_t host_pid,
		      enum mn_prio_class cls, int nice)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	(void)arg;
	(void)pid;
	(void)cls;
	snprintf(path, sizeof(path), "/proc/%d/task", host_pid);
	d = opendir(path);
	if (!d) {
		setpriority(PRIO_PROCESS, host_pid, nice);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			setpriority(PRIO_PROCESS, atoi(de->d_name), nice);
	closedir(d);
}

static int valid_hostname(const char *h)
{
	size_t n = strlen(h), i;

	if (n == 0 || n >= SBX_HOSTNAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!(h[i] == '-' || h[i] == '.' || (h[i] >= '0' && h[i] <= '9')
		      || ((h[i] | 32) >= 'a' && (h[i] | 32) <= 'z')))
			return 0;
	return 1;
}

/* cfg->etc: every file of fs_etc.c's /etc, rendered now. */
static int render_etc(struct mn_sandbox *sb, struct mn_strbuf *err)
{
	struct sbx_world_cfg *c = &sb->cfg;
	struct mn_strbuf text = MN_STRBUF_INIT;
	const char *name;
	size_t i;
	int e = 0;

	c->etc_len = 0;
	for (i = 0; e == 0; i++) {
		size_t nlen;

		mn_strbuf_reset(&text);
		if ((e = mn_fs_etc_render(sb->k, i, &name, &text)) == -ENOENT) {
			e = 0;
			break;
		}
		nlen = strlen(name);
		if (e == 0 && c->etc_len + nlen + text.len + 2 > sizeof(c->etc))
			e = -E2BIG;
		if (e < 0) {
			mn_strbuf_printf(err, "/etc/%s: %s", name, strerror(-e));
			break;
		}
		memcpy(c->etc + c->etc_len, name, nlen + 1);
		c->etc_len += nlen + 1;
		memcpy(c->etc + c->etc_len, mn_strbuf_str(&text), text.len);
		c->etc_len += text.len;
		c->etc[c->etc_len++] = '\0';
	}
	mn_strbuf_release(&text);
	return e;
}

static int copy_opts(struct mn_sandbox *sb, const struct mn_sandbox_opts *o,
		     struct mn_strbuf *err)
{
	struct sbx_world_cfg *c = &sb->cfg;
	char host[SBX_HOSTNAME_MAX] = "";
	size_t i;

	if (o->hostname)
		snprintf(host, sizeof(host), "%s", o->hostname);
	else if (mn_config_get_str(mn_kernel_config(sb->k), "kernel.hostname",
				   host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "micronos");
	if (!valid_hostname(host)) {
		mn_strbuf_printf(err, "bad hostname \"%s\"", host);
		return -EINVAL;
	}
	snprintf(c->hostname, sizeof(c->hostname), "%s", host);
	if (o->nbinds > MN_SANDBOX_MAX_BINDS) {
		mn_strbuf_printf(err, "at most %d binds", MN_SANDBOX_MAX_BINDS);
		return -E2BIG;
	}
	for (i = 0; i < o->nbinds; i++) {
		const char *dst = o->binds[i].dst ? o->binds[i].dst :
				  o->binds[i].src;

		if (!o->binds[i].src || dst[0] != '/' || strstr(dst, "/..")) {
			mn_strbuf_printf(err, "bind %s: the target must be an "
					 "absolute path without \"..\"",
					 dst ? dst : "(null)");
			return -EINVAL;
		}
		c->binds[i] = o->binds[i];	/* used during create only */
	}
	c->nbinds = o->nbinds;
	c->net = o->net;
	if (o->root_dir) {
		if (snprintf(c->root_buf, sizeof(c->root_buf), "%s",
			     o->root_dir) >= (int)sizeof(c->root_buf)) {
			mn_strbuf_printf(err, "root %s: path too long",
					 o->root_dir);
			return -ENAMETOOLONG;
		}
		c->root_dir = c->root_buf;
	}
	c->root_flags = o->root_flags;
	if (render_etc(sb, err) < 0)
		return -EINVAL;
	sb->trace_files = o->trace_files;
	c->cg.run_pids = o->run_pids_max ? o->run_pids_max :
			 MN_SANDBOX_RUN_PIDS;
	c->cg.world_pids = o->world_pids_max ? o->world_pids_max :
			   MN_SANDBOX_WORLD_PIDS;
	c->cg.cpu_weight = o->cpu_weight ? o->cpu_weight : 100;
	if (c->cg.cpu_weight > 10000) {
		mn_strbuf_printf(err, "cpu weight %u: 1 to 10000",
				 c->cg.cpu_weight);
		return -EINVAL;
	}
	if (o->ids)
		sb->ids = *o->ids;
	else
		mn_sandbox_ids_choose(&sb->ids, MN_SANDBOX_USER_UID);
	if (sb->ids.mode == MN_SANDBOX_IDS_ROOT && o->uid_base)
		sb->ids.uid_base = sb->ids.gid_base = o->uid_base;
	if (sb->ids.mode == MN_SANDBOX_IDS_SINGLE) {
		/* base + id is the host id for the one id that has one
		   (unsigned arithmetic: wraps for host ids below it) */
		sb->ids.uid_base = sb->ids.host_uid - sb->ids.inside;
		sb->ids.gid_base = sb->ids.host_gid - sb->ids.inside;
		c->single_id = 1;
		c->single_inside = sb->ids.inside;
	}
	sb->uid_base = sb->ids.uid_base;
	sb->gid_base = sb->ids.gid_base;
	c->uid_base = sb->uid_base;
	c->last_reserved_pid = mn_proctab_first_user_pid(sb->procs) - 1;
	if (o->stage_dir) {
		snprintf(c->stage, sizeof(c->stage), "%s", o->stage_dir);
	} else {
		snprintf(c->stage, sizeof(c->stage),
			 "/tmp/micronos-root.XXXXXX");
		if (!mkdtemp(c->stage)) {
			mn_strbuf_printf(err, "staging directory: %s",
					 strerror(errno));
			return -errno;
		}
		sb->stage_made = 1;
	}
	return 0;
}

/*
 * The pid namespace hands out pids below the host's pid_max: from now on
 * the process table numbers processes without a program (a fork through
 * the syscall table) above it, so a program's pid is never taken.
 */
static void reserve_namespace_pids(struct mn_kernel *k)
{
	long host_max = 4194304;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fscanf(f, "%ld", &host_max) != 1)
			host_max = 4194304;
		fclose(f);
	}
	mn_proctab_reserve_host_pids(mn_kernel_procs(k), (int32_t)host_max);
}

/*
 * The world's cgroups (cgroup.c).  A host without them still gets a
 * world: runs are then ended by their process group only, and
 * mn_sandbox_cgroup_info says why.
 */
static void world_cgroup(struct mn_sandbox *sb)
{
	static unsigned seq;
	struct mn_strbuf why = MN_STRBUF_INIT;
	char name[48];
	int i;

	snprintf(name, sizeof(name), "%d.%u", (int)getpid(),
		 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	if (sbx_cgroup_world_create(&sb->cfg.cg, name, sb->uid_base,
				    &why) < 0) {
		snprintf(sb->cg_why, sizeof(sb->cg_why), "%s",
			 mn_strbuf_str(&why));
		for (i = 0; i < SBX_CG_MAX; i++)
			sb->cfg.cg.dirfd[i] = sb->cfg.cg.procs_fd[i] = -1;
	}
	mn_strbuf_release(&why);
}

int mn_sandbox_kill_tree(struct mn_sandbox *sb, int32_t pid)
{
	return sbx_cgroup_run_kill(&sb->cfg.cg, pid);
}

void mn_sandbox_cgroup_info(struct mn_sandbox *sb, struct mn_strbuf *out)
{
	const struct sbx_cgroup_cfg *cg = &sb->cfg.cg;

	if (cg->version == 0)
		mn_strbuf_printf(out, "no cgroup (%s): a run ends by its "
				 "process group only", sb->cg_why[0] ?
				 sb->cg_why : "not created");
	else
		mn_strbuf_printf(out, "cgroup v%d %s: %llu processes per "
				 "run, %llu per world, cpu weight %u",
				 cg->version, cg->path[0],
				 (unsigned long long)cg->run_pids,
				 (unsigned long long)cg->world_pids,
				 cg->cpu_weight);
}

int mn_sandbox_create(struct mn_sandbox **out, struct mn_kernel *k,
		      const struct mn_sandbox_opts *opts,
		      struct mn_strbuf *err)
{
	static const struct mn_sandbox_opts defaults;
	struct mn_strbuf dummy = MN_STRBUF_INIT;
	struct mn_sandbox *sb;
	int e, flags;

	if (!err)
		err = &dummy;
	if (!out || !k)
		return -EINVAL;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->k = k;
	sb->procs = mn_kernel_procs(k);
	sb->signals = mn_kernel_signals(k);
	sb->syscalls = mn_kernel_syscalls(k);
	sb->bus = mn_kernel_evbus(k);
	sb->sock = sb->init_pidfd = sb->epfd = sb->stop_efd = -1;
	sb->netmaker_fd = -1;
	sb->timer_fd = -1;
	for (e = 0; e < SBX_CG_MAX; e++)
		sb->cfg.cg.dirfd[e] = sb->cfg.cg.procs_fd[e] = -1;
	pthread_mutex_init(&sb->lock, NULL);
	pthread_cond_init(&sb->cond, NULL);
	if ((e = copy_opts(sb, opts ? opts : &defaults, err)) < 0)
		goto fail;
	mn_config_get_bool(mn_kernel_config(k), "kernel.deterministic",
			   &sb->seeded);
	sb->seed = (uint64_t)mn_config_int_or(mn_kernel_config(k),
					      "random.seed", 1);
	/* a world on the host's network traps every sendmsg (filter.c) */
	flags = (sb->cfg.net != MN_SANDBOX_NET_NONE ? SBX_FILTER_SENDS : 0) |
		(sb->seeded ? SBX_FILTER_SEEDED : 0);
	if ((e = sbx_filter_build(&sb->filter, SBX_FILTER_OPENS | flags)) <
	    0 || (e = sbx_filter_build(&sb->filter_fast, flags)) < 0 ||
	    (e = sbx_filter_build(&sb->filter_fork, SBX_FILTER_OPENS |
				  SBX_FILTER_FORK | flags)) < 0 ||
	    (e = sbx_filter_build_init(&sb->filter_init)) < 0) {
		mn_strbuf_printf(err, "seccomp filter: %s", strerror(-e));
		goto fail;
	}
	if ((e = sbx_xlate_install(sb)) < 0) {
		mn_strbuf_printf(err, "MicronOS syscall rows: %s",
				 strerror(-e));
		goto fail;
	}
	sb->cfg.filter = &sb->filter;
	sb->cfg.filter_fast = &sb->filter_fast;
	sb->cfg.filter_fork = &sb->filter_fork;
	sb->cfg.filter_init = &sb->filter_init;
	world_cgroup(sb);
	reserve_namespace_pids(k);
	if ((e = sbx_world_start(sb, err)) < 0)
		goto fail;
	sb->cfg.nbinds = 0;	/* the borrowed strings are not kept */
	/* init has pivoted away from the staging directory, whose mounts
	   live in its namespace only: the host's empty directory goes now,
	   so that not even a killed daemon leaves it behind */
	if (sb->stage_made && rmdir(sb->cfg.stage) == 0)
		sb->stage_made = 0;
	/* the supervisor's work shows in ps as a kernel task; set before
	   the control thread starts, which queues jobs on its behalf */
	sb->ktask = mn_kernel_ktask(k, "sandboxd", MN_PRIO_HIGH);
	if (sb->ktask < 0)
		sb->ktask = 0;
	if ((e = sbx_control_start(sb)) < 0) {
		mn_strbuf_printf(err, "supervisor thread: %s", strerror(-e));
		goto fail;
	}
	/* sockets: the network's table, policy and namespace */
	if ((e = sbx_net_start(sb, err)) < 0)
		goto fail;
	mn_proc_set_host(sb->procs, MN_PID_INIT, sb->init_pid);
	mn_signals_set_host_hook(sb->signals, sbx_host_signal, sb);
	mn_proc_set_prio_hook(sb->procs, prio_hook, sb);
	mn_proc_set_host_resolver(sb->procs, sbx_proc_resolve, sb);
	mn_kernel_set_slot(k, MN_SLOT_SANDBOX, sb);
	*out = sb;
	mn_strbuf_release(&dummy);
	return 0;
fail:
	mn_sandbox_destroy(sb);
	mn_strbuf_release(&dummy);
	return e;
}

void mn_sandbox_destroy(struct mn_sandbox *sb)
{
	if (!sb)
		return;
	pthread_mutex_lock(&sb->lock);
	sb->down = 1;
	pthread_cond_broadcast(&sb->cond);
	pthread_mutex_unlock(&sb->lock);
	if (mn_kernel_slot(sb->k, MN_SLOT_SANDBOX) == sb) {
		mn_kernel_set_slot(sb->k, MN_SLOT_SANDBOX, NULL);
		mn_proc_set_prio_hook(sb->procs, NULL, NULL);
		mn_proc_set_host_resolver(sb->procs, NULL, NULL);
		mn_signals_set_host_hook(sb->signals, NULL, NULL);
		mn_proc_set_host(sb->procs, MN_PID_INIT, 0);
	}
	sbx_world_stop(sb);		/* every sandboxed process dies */
	sbx_net_wake(sb);		/* calls waiting for the network end */
	sbx_listeners_stop(sb);
	sbx_net_stop(sb);
	sbx_control_stop(sb);
	if (sb->ktask > 0)
		mn_proc_exit(sb->procs, sb->ktask, MN_W_EXITED(0));
	sbx_cgroup_world_destroy(&sb->cfg.cg);
	sbx_filter_free(&sb->filter);
	sbx_filter_free(&sb->filter_fast);
	sbx_filter_free(&sb->filter_fork);
	sbx_filter_free(&sb->filter_init);
	if (sb->stage_made)
		rmdir(sb->cfg.stage);
	pthread_cond_destroy(&sb->cond);
	pthread_mutex_destroy(&sb->lock);
	free(sb);
}

int mn_sandbox_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end) {
		u = strchr(units, *end & ~32);
		if (!u || (end[1] && strcasecmp(end + 1, "iB") &&
			   strcasecmp(end + 1, "B")))
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
	}
	if (v == 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}
