/*
 * fs_proc_pid.c - /proc/PID: one directory per MicronOS process (init,
 * kernel tasks and user processes alike) in Linux's formats.
 *
 *   stat     the 52 fields of proc(5) in Linux's order
 *   status   "Key:\tvalue" lines in Linux's order, then MicronOS's own
 *            (Kind, Class, Syscalls, MemCharged)
 *   statm    pages: size resident shared text lib data dt
 *   cmdline  NUL-separated argv (empty for kernel tasks and zombies, as
 *            Linux shows kernel threads and zombies; ps prints [name])
 *   environ  the host program's environment when there is one, else empty
 *   comm     the name
 *   cwd, exe symlinks to what MicronOS knows
 *   fd/      one symlink per descriptor of the VFS table (the file syscalls)
 *   task/    one directory per thread (the host's threads of a program,
 *            numbered as the pid namespace numbers them; one otherwise),
 *            whose stat and status show that thread's state and times
 *
 * Files and directories belong to the process's effective ids; environ is
 * 0400 and fd/ 0500 as on Linux.  Every render looks the process up again:
 * a process that went away gives ENOENT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/clock.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/signal.h>

#include "fs_trees_i.h"

#define PF_KTHREAD 0x00200000UL	/* Linux's flag for kernel threads */
#define SIGCHLD_NR 17
#define RLIM_INF "18446744073709551615"

static int32_t ctx_pid(const struct mn_vnode_ctx *ctx)
{
	return ctx->nbind > 0 && ctx->bind[0].num > 0 &&
			       ctx->bind[0].num < INT32_MAX ?
		       (int32_t)ctx->bind[0].num : -1;
}

/* The process's view, or under task/TID that thread's. */
static int view(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		struct mn_pview *v)
{
	if (ctx->nbind >= 2 && ctx->bind[1].num > 0 &&
	    ctx->bind[1].num < INT32_MAX)
		return mn_pview_get_thread(k, ctx_pid(ctx),
					   (int32_t)ctx->bind[1].num, v);
	return mn_pview_get(k, ctx_pid(ctx), v);
}

/* --- stat ----------------------------------------------------------------- */

static void stat_head(struct mn_strbuf *out, const struct mn_pview *v)
{
	const struct mn_proc_info *pi = &v->pi;
	unsigned long flags = pi->kind == MN_PROC_KTASK ? PF_KTHREAD : 0;

	/* 1 pid .. 13 cmajflt */
	mn_strbuf_printf(out, "%d (%s) %c %d %d %d %d %d %lu %llu 0 %llu 0 ",
			 (int)pi->pid, pi->comm, v->state, (int)pi->ppid,
			 (int)v->pgrp, (int)v->session, (int)v->tty_nr,
			 (int)v->tpgid, flags, (unsigned long long)v->minflt,
			 (unsigned long long)v->majflt);
	/* 14 utime .. 22 starttime: priority is 20 + nice as Linux shows */
	mn_strbuf_printf(out, "%llu %llu 0 0 %d %d %u 0 %llu ",
			 (unsigned long long)mn_ns_to_ticks(v->utime_ns),
			 (unsigned long long)mn_ns_to_ticks(v->stime_ns),
			 20 + pi->nice, pi->nice, v->threads,
			 (unsigned long long)mn_ns_to_ticks(pi->start_ns));
}

static int r_stat(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	struct mn_pview v;
	int mm, ret = view(k, ctx, &v);

	if (ret < 0)
		return ret;
	mm = v.has_mm;
	stat_head(out, &v);
	/* 23 vsize 24 rss 25 rsslim; 26-30 code and stack addresses are
	 * hidden (1 1 0 0 0) as Linux shows them to other users */
	mn_strbuf_printf(out, "%llu %llu %s %d %d 0 0 0 ",
			 (unsigned long long)v.vsize,
			 (unsigned long long)(v.rss / mn_host_page_size()),
			 RLIM_INF, mm, mm);
	/* 31-34 the obsolete decimal signal sets, as Linux masks them */
	mn_strbuf_printf(out, "%llu %llu %llu %llu ",
			 (unsigned long long)(v.sigpnd & 0x7fffffffULL),
			 (unsigned long long)(v.sigblk & 0x7fffffffULL),
			 (unsigned long long)(v.sigign & 0x7fffffffULL),
			 (unsigned long long)(v.sigcgt & 0x7fffffffULL));
	/* 35 wchan .. 44 cguest_time, 45-51 addresses, 52 exit_code */
	mn_strbuf_printf(out, "0 0 0 %d 0 0 0 0 0 0 0 0 0 0 0 0 0 %d\n",
			 SIGCHLD_NR,
			 v.pi.state == MN_PROC_ZOMBIE ? v.pi.exit_status : 0);
	return mn_strbuf_error(out);
}

/* --- status --------------------------------------------------------------- */

static const char *const state_words[] = {
	['R'] = "R (running)", ['S'] = "S (sleeping)", ['T'] = "T (stopped)",
	['Z'] = "Z (zombie)", ['X'] = "X (dead)",
};

static void put_kb(struct mn_strbuf *out, const char *name, uint64_t bytes)
{
	mn_strbuf_printf(out, "%s:\t%8llu kB\n", name,
			 (unsigned long long)(bytes / 1024));
}

/* Cpus_allowed: the host's online CPUs as a hex mask, 32 bits a group. */
static void put_cpu_mask(struct mn_strbuf *out, unsigned n)
{
	int g, groups = (int)((n + 31) / 32);

	mn_strbuf_puts(out, "Cpus_allowed:\t");
	for (g = groups - 1; g >= 0; g--) {
		unsigned bits = n - (unsigned)g * 32 >= 32 ?
				32 : n - (unsigned)g * 32;
		uint32_t m = bits == 32 ? 0xffffffffU : (1U << bits) - 1;

		mn_strbuf_printf(out, g == groups - 1 ? "%x" : ",%08x", m);
	}
	mn_strbuf_puts(out, "\nCpus_allowed_list:\t");
	mn_cpu_list(n, out);
}

static int count_fd(void *arg, int fd, const char *path)
{
	(void)arg;
	(void)fd;
	(void)path;
	return 0;
}

static void status_ids(struct mn_kernel *k, struct mn_strbuf *out,
		       const struct mn_pview *v, int32_t tid)
{
	const struct mn_proc_info *pi = &v->pi;
	int fds = mn_vfs_proc_fds(k, pi->pid, count_fd, NULL);
	/* FDSize: the descriptor table's size, grown by 64 as Linux's */
	unsigned fdsize = fds > 64 ? ((unsigned)fds + 63) / 64 * 64 : 64;
	const char *st = (unsigned char)v->state < sizeof(state_words) /
			 sizeof(state_words[0]) ? state_words[(int)v->state] :
			 NULL;

	mn_strbuf_printf(out, "Name:\t%s\nUmask:\t%04o\nState:\t%s\n"
			 "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
			 "TracerPid:\t0\n",
			 pi->comm, v->umask, st ? st : "?", (int)pi->pid,
			 (int)tid, (int)pi->ppid);
	mn_strbuf_printf(out, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n",
			 pi->uid, pi->euid, pi->euid, pi->euid, pi->gid,
			 pi->egid, pi->egid, pi->egid);
	mn_strbuf_printf(out, "FDSize:\t%u\nGroups:\t\nNStgid:\t%d\n"
			 "NSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
			 fdsize,
			 (int)pi->pid, (int)tid, (int)v->pgrp,
			 (int)v->session);
}

static void status_mem(struct mn_strbuf *out, const struct mn_pview *v)
{
	if (!v->has_mm)
		return;	/* kernel tasks and zombies: no memory map */
	put_kb(out, "VmPeak", v->vmpeak);
	put_kb(out, "VmSize", v->vsize);
	put_kb(out, "VmLck", v->vmlck);
	put_kb(out, "VmPin", v->vmpin);
	put_kb(out, "VmHWM", v->vmhwm);
	put_kb(out, "VmRSS", v->rss);
	put_kb(out, "RssAnon", v->rss_anon);
	put_kb(out, "RssFile", v->rss_file);
	put_kb(out, "RssShmem", v->rss_shmem);
	put_kb(out, "VmData", v->vmdata);
	put_kb(out, "VmStk", v->vmstk);
	put_kb(out, "VmExe", v->vmexe);
	put_kb(out, "VmLib", v->vmlib);
	put_kb(out, "VmPTE", v->vmpte);
	put_kb(out, "VmSwap", v->vmswap);
}

static int r_status(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	struct mn_pview v;
	int ret = view(k, ctx, &v);

	if (ret < 0)
		return ret;
	status_ids(k, out, &v, ctx->nbind >= 2 ?
		   (int32_t)ctx->bind[1].num : v.pi.pid);
	status_mem(out, &v);
	mn_strbuf_printf(out, "Threads:\t%u\nSigQ:\t%d/%d\n", v.threads,
			 __builtin_popcountll(v.sigpnd), MN_SIG_MAX);
	mn_strbuf_printf(out, "SigPnd:\t%016llx\nShdPnd:\t%016llx\n"
			 "SigBlk:\t%016llx\nSigIgn:\t%016llx\n"
			 "SigCgt:\t%016llx\n",
			 (unsigned long long)v.sigpnd,
			 (unsigned long long)v.shdpnd,
			 (unsigned long long)v.sigblk,
			 (unsigned long long)v.sigign,
			 (unsigned long long)v.sigcgt);
	put_cpu_mask(out, mn_host_ncpu_online());
	mn_strbuf_printf(out, "voluntary_ctxt_switches:\t%llu\n"
			 "nonvoluntary_ctxt_switches:\t%llu\n",
			 (unsigned long long)v.vol_ctxt,
			 (unsigned long long)v.nonvol_ctxt);
	/* MicronOS's own lines: procps ignores keys it does not know */
	mn_strbuf_printf(out, "Kind:\t%s\nClass:\t%s\nSyscalls:\t%llu\n"
			 "MemCharged:\t%llu kB\n",
			 mn_proc_kind_name(v.pi.kind), mn_prio_name(v.pi.prio),
			 (unsigned long long)v.pi.syscalls,
			 (unsigned long long)(v.pi.mem_bytes / 1024));
	return mn_strbuf_error(out);
}

/* --- statm, cmdline, environ, comm ---------------------------------------- */

static int r_statm(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	uint64_t page = mn_host_page_size();
	struct mn_pview v;
	int ret = view(k, ctx, &v);

	if (ret < 0)
		return ret;
	/* size resident shared text lib data dt, as Linux: lib and dt 0 */
	return mn_strbuf_printf(out, "%llu %llu %llu %llu 0 %llu 0\n",
				(unsigned long long)(v.vsize / page),
				(unsigned long long)(v.rss / page),
				(unsigned long long)(v.shared / page),
				(unsigned long long)(v.text / page),
				(unsigned long long)((v.vmdata + v.vmstk) /
						     page));
}

static int r_cmdline(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	struct mn_proctab *pt = mn_kernel_procs(k);
	struct mn_proc_info pi;
	char *buf;
	int len;

	if (mn_proc_get(pt, ctx_pid(ctx), &pi) < 0)
		return -ENOENT;
	if (pi.kind == MN_PROC_KTASK || pi.state == MN_PROC_ZOMBIE)
		return 0;
	buf = malloc(MN_PROC_CMDLINE_MAX);
	if (!buf)
		return -ENOMEM;
	len = mn_proc_get_cmdline(pt, pi.pid, buf, MN_PROC_CMDLINE_MAX);
	if (len > MN_PROC_CMDLINE_MAX)
		len = MN_PROC_CMDLINE_MAX;
	if (len > 0)
		mn_strbuf_add(out, buf, (size_t)len);
	free(buf);
	return len < 0 ? -ENOENT : mn_strbuf_error(out);
}

static int r_environ(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	struct mn_proc_info pi;
	char path[64];

	if (mn_proc_get(mn_kernel_procs(k), ctx_pid(ctx), &pi) < 0)
		return -ENOENT;
	if (pi.kind != MN_PROC_USER || pi.host_pid <= 0)
		return 0;	/* not known: empty, as for a kernel thread */
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pi.host_pid);
	if (mn_host_file_append(path, 1 << 20, out) < 0)
		mn_strbuf_reset(out);	/* it just exited: nothing known */
	return mn_strbuf_error(out);
}

static int r_comm(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	struct mn_proc_info pi;

	if (mn_proc_get(mn_kernel_procs(k), ctx_pid(ctx), &pi) < 0)
		return -ENOENT;
	return mn_strbuf_printf(out, "%s\n", pi.comm);
}

/* --- cwd, exe ------------------------------------------------------------- */

/*
 * Where the sandbox mounts its pid namespace's real procfs.  Magic links
 * (a program's cwd and descriptors) cannot be faked by a FUSE symlink, so
 * for a real program they point into it: followed inside the sandbox they
 * open the real object (DESIGN.md, "The sandbox").
 */
#define HIDDEN_PROC "/.micronos/proc"

/* The host pid behind a sandboxed program, 0 for anything else. */
static int32_t program_host_pid(struct mn_kernel *k, int32_t pid)
{
	struct mn_proc_info pi;

	if (mn_proc_get(mn_kernel_procs(k), pid, &pi) < 0 ||
	    pi.kind != MN_PROC_USER || pi.host_pid <= 0 ||
	    pi.state == MN_PROC_ZOMBIE || pi.state == MN_PROC_DEAD)
		return 0;
	return pi.host_pid;
}

static int r_cwd(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct mn_strbuf *out)
{
	char cwd[MN_PROC_CWD_MAX];

	if (program_host_pid(k, ctx_pid(ctx)) > 0)
		return mn_strbuf_printf(out, HIDDEN_PROC "/%d/cwd",
					(int)ctx_pid(ctx));
	if (mn_proc_get_cwd(mn_kernel_procs(k), ctx_pid(ctx), cwd,
			    sizeof(cwd)) < 0)
		return -ENOENT;
	return mn_strbuf_puts(out, cwd);
}

/*
 * The program: the host's link for a real program (and the daemon for
 * init), else argv[0] when it is an absolute path.  Kernel tasks have none
 * (ENOENT, as readlink of a Linux kernel thread's exe).
 */
static int r_exe(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct mn_strbuf *out)
{
	struct mn_proc_info pi;
	char path[64], target[MN_VFS_PATH_MAX];
	ssize_t n = -1;
	int32_t hp;

	if (mn_proc_get(mn_kernel_procs(k), ctx_pid(ctx), &pi) < 0 ||
	    pi.kind == MN_PROC_KTASK || pi.state == MN_PROC_ZOMBIE)
		return -ENOENT;
	hp = mn_pview_host_pid(&pi);
	if (hp > 0) {
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)hp);
		n = readlink(path, target, sizeof(target) - 1);
	}
	if (n < 0) {
		n = mn_proc_get_cmdline(mn_kernel_procs(k), pi.pid, target,
					sizeof(target) - 1);
		if (n > (ssize_t)sizeof(target) - 1)
			n = (ssize_t)sizeof(target) - 1;
		target[n > 0 ? n : 0] = '\0';
		n = target[0] == '/' ? (ssize_t)strlen(target) : -1;
	}
	if (n <= 0)
		return -ENOENT;
	return mn_strbuf_add(out, target, (size_t)n);
}

/* --- fd/ and task/ -------------------------------------------------------- */

struct fd_emit {
	int (*emit)(void *e, const char *name);
	void *e;
};

static int fd_name(void *arg, int fd, const char *path)
{
	struct fd_emit *fe = arg;
	char name[16];

	(void)path;
	snprintf(name, sizeof(name), "%d", fd);
	return fe->emit(fe->e, name);
}

/* A real program's descriptors are the host's: list them from /proc. */
static int host_fd_list(int32_t hp, int (*emit)(void *e, const char *name),
			void *e)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)hp);
	d = opendir(path);
	if (!d)
		return 0;	/* it just exited */
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && emit(e, de->d_name))
			break;
	closedir(d);
	return 0;
}

static int fd_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   int (*emit)(void *e, const char *name), void *e)
{
	struct fd_emit fe = {emit, e};
	int32_t hp = program_host_pid(k, ctx_pid(ctx));

	if (hp > 0)
		return host_fd_list(hp, emit, e);
	if (!mn_proc_exists(mn_kernel_procs(k), ctx_pid(ctx)))
		return -ENOENT;
	mn_vfs_proc_fds(k, ctx_pid(ctx), fd_name, &fe);
	return 0;
}

struct fd_find {
	int fd;
	int found;
	struct mn_strbuf *out;
};

static int fd_path(void *arg, int fd, const char *path)
{
	struct fd_find *ff = arg;

	if (fd != ff->fd)
		return 0;
	ff->found = 1;
	if (ff->out)
		mn_strbuf_puts(ff->out, path && *path ? path : "/");
	return 1;
}

/*
 * A terminal of the sandbox's own devpts (a program's pty, sandbox/pty.c)
 * has the same name inside as its host link says: "/dev/pts/N" if that
 * name, seen from the process's root, is the very device; else NULL.
 * ttyname() trusts this link, so `tty` prints /dev/pts/N.
 */
static const char *own_tty(const char *fdpath, int32_t hp, char *buf,
			   size_t size)
{
	struct stat fst, nst;
	char root[64 + 64];
	ssize_t n;

	if (stat(fdpath, &fst) < 0 || !S_ISCHR(fst.st_mode))
		return NULL;
	n = readlink(fdpath, buf, size - 1);
	if (n <= 9 || strncmp(buf, "/dev/pts/", 9) != 0)
		return NULL;
	buf[n] = '\0';
	if (strspn(buf + 9, "0123456789") != (size_t)n - 9)
		return NULL;
	snprintf(root, sizeof(root), "/proc/%d/root%s", (int)hp, buf);
	if (stat(root, &nst) < 0 || nst.st_rdev != fst.st_rdev ||
	    nst.st_dev != fst.st_dev)
		return NULL;
	return buf;
}

static int r_fd(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		struct mn_strbuf *out)
{
	struct fd_find ff = {-1, 0, out};

	if (ctx->nbind < 2 || ctx->bind[ctx->nbind - 1].num < 0 ||
	    ctx->bind[ctx->nbind - 1].num >= MN_VFS_FDS_MAX)
		return -ENOENT;
	ff.fd = (int)ctx->bind[ctx->nbind - 1].num;
	{
		int32_t hp = program_host_pid(k, ctx_pid(ctx));
		char path[64];

		if (hp > 0) {
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)hp,
				 ff.fd);
			char tty[64];

			if (faccessat(AT_FDCWD, path, F_OK,
				      AT_SYMLINK_NOFOLLOW) < 0)
				return -ENOENT;
			if (own_tty(path, hp, tty, sizeof(tty)))
				return mn_strbuf_puts(out, tty);
			return mn_strbuf_printf(out, HIDDEN_PROC "/%d/fd/%d",
						(int)ctx_pid(ctx), ff.fd);
		}
	}
	mn_vfs_proc_fds(k, ctx_pid(ctx), fd_path, &ff);
	return ff.found ? mn_strbuf_error(out) : -ENOENT;
}

#define TASKS_MAX 4096

static int task_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     int (*emit)(void *e, const char *name), void *e)
{
	int32_t *tids = malloc(TASKS_MAX * sizeof(*tids));
	char name[16];
	int i, n;

	if (!tids)
		return -ENOMEM;
	n = mn_pview_threads(k, ctx_pid(ctx), tids, TASKS_MAX);
	for (i = 0; i < n && i < TASKS_MAX; i++) {
		snprintf(name, sizeof(name), "%d", (int)tids[i]);
		if (emit(e, name))
			break;
	}
	free(tids);
	return n < 0 ? n : 0;
}

static int task_lookup(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       const char *name)
{
	struct mn_pview v;
	char *end;
	long tid;

	if (name[0] < '1' || name[0] > '9')
		return -ENOENT;
	tid = strtol(name, &end, 10);
	if (*end || tid <= 0 || tid > INT32_MAX)
		return -ENOENT;
	return mn_pview_get_thread(k, ctx_pid(ctx), (int32_t)tid, &v);
}

/* Every file of a process belongs to its effective ids. */
static int a_owner(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct stat *st)
{
	struct mn_proc_info pi;
	uint64_t t;

	if (mn_proc_get(mn_kernel_procs(k), ctx_pid(ctx), &pi) < 0)
		return -ENOENT;
	st->st_uid = pi.euid;
	st->st_gid = pi.egid;
	t = mn_kernel_clock(k)->boot_real_ns + pi.start_ns;
	st->st_mtim.tv_sec = st->st_ctim.tv_sec = st->st_atim.tv_sec =
		(time_t)(t / MN_NSEC_PER_SEC);
	st->st_mtim.tv_nsec = st->st_ctim.tv_nsec = st->st_atim.tv_nsec =
		(long)(t % MN_NSEC_PER_SEC);
	return 0;
}

#define F(n, m, fn) \
	{.name = n, .mode = S_IFREG | (m), .render = fn, .getattr = a_owner}
#define L(n, fn) \
	{.name = n, .mode = S_IFLNK | 0777, .render = fn, .getattr = a_owner}

static const struct mn_synth_node fd_entry = {
	.name = "", .mode = S_IFLNK | 0700, .render = r_fd,
	.getattr = a_owner,
};

static const struct mn_synth_dir_ops fd_dyn = {
	.list = fd_list,
	.entry = &fd_entry,
};

/* The files of a process, shared by PID/ and PID/task/TID/. */
#define PID_FILES                                                          \
	F("stat", 0444, r_stat), F("status", 0444, r_status),              \
	F("statm", 0444, r_statm), F("cmdline", 0444, r_cmdline),          \
	F("environ", 0400, r_environ), F("comm", 0444, r_comm),            \
	L("cwd", r_cwd), L("exe", r_exe),                                  \
	{.name = "fd", .mode = S_IFDIR | 0500, .getattr = a_owner,         \
	 .dyn = &fd_dyn}

static const struct mn_synth_node tid_rows[] = {
	PID_FILES,
	{.name = NULL},
};

static const struct mn_synth_node tid_entry = {
	.name = "", .mode = S_IFDIR | 0555, .getattr = a_owner,
	.children = tid_rows,
};

static const struct mn_synth_dir_ops task_dyn = {
	.list = task_list,
	.lookup = task_lookup,
	.entry = &tid_entry,
};

static const struct mn_synth_node pid_rows[] = {
	PID_FILES,
	{.name = "task", .mode = S_IFDIR | 0555, .getattr = a_owner,
	 .dyn = &task_dyn},
	{.name = NULL},
};

static const struct mn_synth_node pid_entry = {
	.name = "", .mode = S_IFDIR | 0555, .getattr = a_owner,
	.children = pid_rows,
};

/* --- the PID entries of /proc --------------------------------------------- */

static int pid_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    int (*emit)(void *e, const char *name), void *e)
{
	struct mn_proctab *pt = mn_kernel_procs(k);
	size_t n, i, max;
	int32_t *pids;
	char name[16];

	(void)ctx;
	mn_proc_sync_host(pt, 0);	/* forks not registered yet */
	max = mn_proc_count(pt) + 16;
	pids = malloc(max * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	n = mn_proc_pids(pt, pids, max);
	for (i = 0; i < n && i < max; i++) {
		struct mn_proc_info pi;

		if (mn_proc_get(pt, pids[i], &pi) < 0 || mn_pview_reaped(&pi))
			continue;	/* gone, or reaped by the host */
		snprintf(name, sizeof(name), "%d", (int)pids[i]);
		if (emit(e, name))
			break;
	}
	free(pids);
	return 0;
}

static int pid_lookup(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		      const char *name)
{
	struct mn_proc_info pi;
	char *end;
	long pid;

	(void)ctx;
	if (name[0] < '1' || name[0] > '9')
		return -ENOENT;
	pid = strtol(name, &end, 10);
	if (*end || pid <= 0 || pid > INT32_MAX)
		return -ENOENT;
	/* a fork that made no trapped call yet: register the world's */
	if (mn_proc_get(mn_kernel_procs(k), (int32_t)pid, &pi) < 0) {
		mn_proc_sync_host(mn_kernel_procs(k), 1);
		if (mn_proc_get(mn_kernel_procs(k), (int32_t)pid, &pi) < 0)
			return -ENOENT;
	}
	return mn_pview_reaped(&pi) ? -ENOENT : 0;
}

const struct mn_synth_dir_ops mn_fs_proc_pid_dyn = {
	.list = pid_list,
	.lookup = pid_lookup,
	.entry = &pid_entry,
};
