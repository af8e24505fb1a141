/*
 * proc_info - what leaves the process table, and what the rest of MicronOS
 * sets in it.
 *
 * Readers (the shell's ps, /proc, the syscalls) get copies: a struct
 * mn_proc_info, a command line, a cwd, a list of pids.  Writers are the
 * syscalls (exec, chdir, setuid, nice), the sandbox (host pid, usage, trapped
 * syscall counts) and the memory manager (charges).
 *
 * Locking: pt->lock (see proc.c).  The prio hook runs after it is dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <micronos/clock.h>
#include <micronos/proc.h>

#include "proc_i.h"
#include "texttable_i.h"

static struct proc *find(struct mn_proctab *pt, int32_t pid)
{
	return mn_proc__hfind(&pt->by_pid, BY_PID, pid);
}

/* ------------------------------------------------------------------------ */
/* Copies out */

int mn_proc_get(struct mn_proctab *pt, int32_t pid, struct mn_proc_info *out)
{
	struct proc *p;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p)
		mn_proc__fill_info(p, out);
	pthread_mutex_unlock(&pt->lock);
	return p ? 0 : -ESRCH;
}

int mn_proc_exists(struct mn_proctab *pt, int32_t pid)
{
	int r;

	pthread_mutex_lock(&pt->lock);
	r = find(pt, pid) != NULL;
	pthread_mutex_unlock(&pt->lock);
	return r;
}

int mn_proc_cred(struct mn_proctab *pt, int32_t pid, struct mn_cred *out)
{
	struct proc *p;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		out->pid = p->pid;
		out->uid = p->euid;
		out->gid = p->egid;
	}
	pthread_mutex_unlock(&pt->lock);
	return p ? 0 : -ESRCH;
}

int32_t mn_proc_find_by_host(struct mn_proctab *pt, int32_t host_pid)
{
	struct proc *p = NULL;
	int32_t r;

	if (host_pid <= 0)
		return -ESRCH;
	pthread_mutex_lock(&pt->lock);
	p = mn_proc__hfind(&pt->by_host, BY_HOST, host_pid);
	r = p ? p->pid : -ESRCH;
	pthread_mutex_unlock(&pt->lock);
	return r;
}

int32_t mn_proc_resolve_host(struct mn_proctab *pt, int32_t host_tid)
{
	int32_t (*fn)(void *, int32_t);
	void *arg;
	int32_t r = mn_proc_find_by_host(pt, host_tid);

	if (r > 0 || host_tid <= 0)
		return r;
	pthread_mutex_lock(&pt->lock);
	fn = pt->resolver;
	arg = pt->resolver_arg;
	pthread_mutex_unlock(&pt->lock);
	if (fn && (r = fn(arg, host_tid)) > 0)
		return r;
	return -ESRCH;
}

void mn_proc_sync_host(struct mn_proctab *pt, int force)
{
	int32_t (*fn)(void *, int32_t);
	void *arg;

	pthread_mutex_lock(&pt->lock);
	fn = pt->resolver;
	arg = pt->resolver_arg;
	pthread_mutex_unlock(&pt->lock);
	if (fn)
		fn(arg, force ? -1 : 0);
}

void mn_proc_set_host_resolver(struct mn_proctab *pt,
			       int32_t (*fn)(void *arg, int32_t host_tid),
			       void *arg)
{
	pthread_mutex_lock(&pt->lock);
	pt->resolver = fn;
	pt->resolver_arg = arg;
	pthread_mutex_unlock(&pt->lock);
}

int mn_proc_get_cmdline(struct mn_proctab *pt, int32_t pid, char *buf,
			size_t size)
{
	struct proc *p;
	int r = -ESRCH;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		r = (int)p->cmdline_len;
		if (size && p->cmdline_len)
			memcpy(buf, p->cmdline,
			       size < p->cmdline_len ? size : p->cmdline_len);
	}
	pthread_mutex_unlock(&pt->lock);
	return r;
}

int mn_proc_get_cmdline_str(struct mn_proctab *pt, int32_t pid, char *buf,
			    size_t size)
{
	struct proc *p;
	size_t n, i;
	int r = -ESRCH;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		/* the last NUL ends the string; the others become spaces */
		r = p->cmdline_len ? (int)p->cmdline_len - 1 : 0;
		n = size ? ((size_t)r < size - 1 ? (size_t)r : size - 1) : 0;
		for (i = 0; i < n; i++)
			buf[i] = p->cmdline[i] ? p->cmdline[i] : ' ';
		if (size)
			buf[n] = '\0';
	}
	pthread_mutex_unlock(&pt->lock);
	return r;
}

int mn_proc_get_cwd(struct mn_proctab *pt, int32_t pid, char *buf,
		    size_t size)
{
	struct proc *p;
	size_t n;
	int r = -ESRCH;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		n = strlen(p->cwd);
		r = n < size ? (int)n : -ERANGE;
		if (r >= 0)
			memcpy(buf, p->cwd, n + 1);
	}
	pthread_mutex_unlock(&pt->lock);
	return r;
}

static int cmp_pid(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* All pids, sorted, malloc'd into *out; returns the count or -ENOMEM. */
static ssize_t all_pids(struct mn_proctab *pt, int32_t **out)
{
	int32_t *v;
	size_t n = 0, i;

	pthread_mutex_lock(&pt->lock);
	v = malloc((pt->by_pid.n ? pt->by_pid.n : 1) * sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&pt->lock);
		return -ENOMEM;
	}
	for (i = 0; i < pt->by_pid.nb; i++) {
		const struct proc *p;

		for (p = pt->by_pid.b[i]; p; p = p->hnext[BY_PID])
			v[n++] = p->pid;
	}
	pthread_mutex_unlock(&pt->lock);
	qsort(v, n, sizeof(*v), cmp_pid);
	*out = v;
	return (ssize_t)n;
}

size_t mn_proc_pids(struct mn_proctab *pt, int32_t *out, size_t max)
{
	int32_t *v;
	ssize_t n = all_pids(pt, &v);

	if (n < 0)
		return 0;
	if (max)
		memcpy(out, v, ((size_t)n < max ? (size_t)n : max) * sizeof(*v));
	free(v);
	return (size_t)n;
}

size_t mn_proc_list(struct mn_proctab *pt, struct mn_proc_info *out,
		    size_t max)
{
	int32_t *v;
	ssize_t n = all_pids(pt, &v);
	size_t i, got = 0;

	if (n < 0)
		return 0;
	for (i = 0; i < (size_t)n && got < max; i++)
		if (mn_proc_get(pt, v[i], &out[got]) == 0)
			got++;
	free(v);
	return max < (size_t)n ? (size_t)n : got;
}

int mn_proc_foreach(struct mn_proctab *pt,
		    int (*fn)(void *arg, const struct mn_proc_info *info),
		    void *arg)
{
	struct mn_proc_info info;
	int32_t *v;
	ssize_t n = all_pids(pt, &v);
	ssize_t i;
	int r = 0;

	if (n < 0)
		return (int)n;
	for (i = 0; i < n && !r; i++)
		if (mn_proc_get(pt, v[i], &info) == 0)
			r = fn(arg, &info);
	free(v);
	return r;
}

size_t mn_proc_count(struct mn_proctab *pt)
{
	size_t n;

	pthread_mutex_lock(&pt->lock);
	n = pt->by_pid.n;
	pthread_mutex_unlock(&pt->lock);
	return n;
}

int mn_proc_children(struct mn_proctab *pt, int32_t pid, int32_t *out,
		     size_t max)
{
	struct proc *p, *c;
	size_t n = 0;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	for (c = p ? p->children : NULL; c; c = c->sib_next, n++)
		if (n < max)
			out[n] = c->pid;
	pthread_mutex_unlock(&pt->lock);
	if (!p)
		return -ESRCH;
	if (max)
		qsort(out, n < max ? n : max, sizeof(*out), cmp_pid);
	return (int)n;
}

/* ------------------------------------------------------------------------ */
/* Setters */

int mn_proc_exec(struct mn_proctab *pt, int32_t pid,
		 const char *const *argv, const char *comm)
{
	struct proc *p;
	int err;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (!p)
		err = -ESRCH;
	else if (p->state >= MN_PROC_ZOMBIE)
		err = -EINVAL;
	else
		err = mn_proc__set_cmdline_locked(p, argv, comm);
	pthread_mutex_unlock(&pt->lock);
	return err;
}

int mn_proc_set_comm(struct mn_proctab *pt, int32_t pid, const char *comm)
{
	struct proc *p;

	if (!comm)
		return -EINVAL;
	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p)
		mn_proc__set_comm(p, comm);
	pthread_mutex_unlock(&pt->lock);
	return p ? 0 : -ESRCH;
}

int mn_proc_set_cwd(struct mn_proctab *pt, int32_t pid, const char *cwd)
{
	struct proc *p;
	char *copy;
	int err = 0;

	if (!mn_proc__cwd_ok(cwd))
		return -EINVAL;
	copy = strdup(cwd);
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		free(p->cwd);
		p->cwd = copy;
		copy = NULL;
	} else {
		err = -ESRCH;
	}
	pthread_mutex_unlock(&pt->lock);
	free(copy);
	return err;
}

int mn_proc_set_ids(struct mn_proctab *pt, int32_t pid, uint32_t uid,
		    uint32_t euid, uint32_t gid, uint32_t egid)
{
	const uint32_t keep = (uint32_t)-1;
	struct proc *p;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		p->uid = uid != keep ? uid : p->uid;
		p->euid = euid != keep ? euid : p->euid;
		p->gid = gid != keep ? gid : p->gid;
		p->egid = egid != keep ? egid : p->egid;
	}
	pthread_mutex_unlock(&pt->lock);
	return p ? 0 : -ESRCH;
}

/* Applies class and nice, then tells the sandbox (outside the lock). */
static int set_prio_nice(struct mn_proctab *pt, int32_t pid,
			 enum mn_prio_class cls, int nice)
{
	void (*hook)(void *, int32_t, int32_t, enum mn_prio_class, int) = NULL;
	void *hook_arg = NULL;
	int32_t host = 0;
	struct proc *p;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		p->prio = cls;
		p->nice = nice;
		host = p->state < MN_PROC_ZOMBIE ? p->host_pid : 0;
		hook = pt->prio_hook;
		hook_arg = pt->prio_hook_arg;
	}
	pthread_mutex_unlock(&pt->lock);
	if (!p)
		return -ESRCH;
	if (host && hook)
		hook(hook_arg, pid, host, cls, nice);
	return 0;
}

int mn_proc_set_prio(struct mn_proctab *pt, int32_t pid,
		     enum mn_prio_class cls)
{
	if ((unsigned)cls >= MN_PRIO__COUNT)
		return -EINVAL;
	return set_prio_nice(pt, pid, cls, mn_prio_nice(cls));
}

int mn_proc_set_nice(struct mn_proctab *pt, int32_t pid, int nice)
{
	if (nice < MN_NICE_MIN || nice > MN_NICE_MAX)
		return -EINVAL;
	return set_prio_nice(pt, pid, mn_prio_from_nice(nice), nice);
}

void mn_proc_set_prio_hook(struct mn_proctab *pt,
			   void (*fn)(void *arg, int32_t pid, int32_t host_pid,
				      enum mn_prio_class cls, int nice),
			   void *arg)
{
	pthread_mutex_lock(&pt->lock);
	pt->prio_hook = fn;
	pt->prio_hook_arg = arg;
	pthread_mutex_unlock(&pt->lock);
}

int mn_proc_set_host(struct mn_proctab *pt, int32_t pid, int32_t host_pid)
{
	struct proc *p;
	int err;

	if (host_pid < 0)
		return -EINVAL;
	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	err = p ? mn_proc__set_host_locked(pt, p, host_pid) : -ESRCH;
	pthread_mutex_unlock(&pt->lock);
	return err;
}

int mn_proc_update_usage(struct mn_proctab *pt, int32_t pid,
			 const struct mn_proc_usage *usage)
{
	struct proc *p;

	if (!usage)
		return -EINVAL;
	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p) {
		p->usage = *usage;
		p->usage_update_ns = mn_clock_now_ns(pt->clock);
	}
	pthread_mutex_unlock(&pt->lock);
	return p ? 0 : -ESRCH;
}

int mn_proc_add_syscalls(struct mn_proctab *pt, int32_t pid, uint64_t n)
{
	struct proc *p;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (p)
		p->syscalls += n;
	pthread_mutex_unlock(&pt->lock);
	return p ? 0 : -ESRCH;
}

int mn_proc_charge_mem(struct mn_proctab *pt, int32_t pid, int64_t delta)
{
	struct proc *p;
	int err = 0;

	pthread_mutex_lock(&pt->lock);
	p = find(pt, pid);
	if (!p)
		err = -ESRCH;
	else if (delta < 0 && (uint64_t)(-(delta + 1)) + 1 > p->mem_bytes)
		err = -EINVAL;
	else
		p->mem_bytes += (uint64_t)delta;
	pthread_mutex_unlock(&pt->lock);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Names and text */

static const struct {
	const char *name;
	char ch;	/* as /proc/PID/stat */
} state_names[MN_PROC__STATE_COUNT] = {
	[MN_PROC_RUNNING] = {"running", 'R'},
	[MN_PROC_SLEEPING] = {"sleeping", 'S'},
	[MN_PROC_STOPPED] = {"stopped", 'T'},
	[MN_PROC_ZOMBIE] = {"zombie", 'Z'},
	[MN_PROC_DEAD] = {"dead", 'X'},
};

static const char *const kind_names[MN_PROC__KIND_COUNT] = {
	[MN_PROC_INIT] = "init",
	[MN_PROC_KTASK] = "ktask",
	[MN_PROC_USER] = "user",
};

const char *mn_proc_state_name(enum mn_proc_state state)
{
	return (unsigned)state < MN_PROC__STATE_COUNT ? state_names[state].name
						      : "?";
}

char mn_proc_state_char(enum mn_proc_state state)
{
	return (unsigned)state < MN_PROC__STATE_COUNT ? state_names[state].ch
						      : '?';
}

const char *mn_proc_kind_name(enum mn_proc_kind kind)
{
	return (unsigned)kind < MN_PROC__KIND_COUNT ? kind_names[kind] : "?";
}

const char *mn_proc_status_str(int status, char *buf, size_t size)
{
	int sig = status & 0x7f;
	const char *abbr;

	if (!size)
		return buf;
	if (sig == 0) {
		snprintf(buf, size, "exited %d", (status >> 8) & 0xff);
		return buf;
	}
	if (sig == 0x7f) {
		snprintf(buf, size, "stopped by signal %d", (status >> 8) & 0xff);
		return buf;
	}
	abbr = sigabbrev_np(sig);
	snprintf(buf, size, "killed by signal %d (%s)%s", sig,
		 abbr ? abbr : "?",
		 status & MN_W_COREDUMP ? ", core dumped" : "");
	return buf;
}

struct fmt_ctx {
	struct mn_proctab *pt;
	struct mn_texttable *t;
};

static int format_one(void *arg, const struct mn_proc_info *p)
{
	struct fmt_ctx *ctx = arg;
	uint64_t cpu = (p->usage.utime_ns + p->usage.stime_ns) / 1000000000ULL;
	char cmd[256];

	if (mn_proc_get_cmdline_str(ctx->pt, p->pid, cmd, sizeof(cmd)) <= 0)
		snprintf(cmd, sizeof(cmd), "[%s]", p->comm);
	mn_texttable_cell(ctx->t, "%d", p->pid);
	mn_texttable_cell(ctx->t, "%d", p->ppid);
	mn_texttable_cell(ctx->t, "%u", p->uid);
	mn_texttable_cell(ctx->t, "%c", mn_proc_state_char(p->state));
	mn_texttable_cell(ctx->t, "%s", mn_prio_name(p->prio));
	mn_texttable_cell(ctx->t, "%d", p->nice);
	mn_texttable_cell(ctx->t, "%s", mn_proc_kind_name(p->kind));
	mn_texttable_cell(ctx->t, "%llu:%02llu",
			  (unsigned long long)(cpu / 60),
			  (unsigned long long)(cpu % 60));
	mn_texttable_cell(ctx->t, "%s", cmd);
	return 0;
}

int mn_proc_format(struct mn_proctab *pt, struct mn_strbuf *out)
{
	struct mn_texttable t;
	struct fmt_ctx ctx = {pt, &t};
	int err;

	mn_texttable_init_header(&t, ">PID|>PPID|>UID|S|PRIO|>NI|KIND|>TIME|"
				 "CMD");
	err = mn_proc_foreach(pt, format_one, &ctx);
	if (err >= 0)
		err = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	return err < 0 ? err : mn_strbuf_error(out);
}
