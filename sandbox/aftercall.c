/*
 * aftercall - what a continued call changed, recorded once it has run.
 *
 * set*id and execve are continued: the kernel runs them after the
 * supervisor answered, so when the notification is served the call has
 * not happened yet and may still fail.  Each such call leaves a pending
 * entry for its process (host tgid) here, and the entry is resolved later:
 *
 *   set*id   the ids are re-read from /proc/TID/status at the next trapped
 *            call of the same thread (certainly after the call), or by the
 *            control thread's tick once the entry is a tick old;
 *   execve   recorded in the process table (name, command line) once the
 *            process image has changed - the memory layout in
 *            /proc/TGID/stat (code, stack, brk, argument and environment
 *            addresses) is new after every successful exec - and forgotten
 *            when the same thread makes another trapped call with the
 *            layout unchanged (its execve failed and returned), or when
 *            the process is gone.  A failed execve is never recorded
 *            (an exec into the same layout - the same binary and
 *            argument sizes with ASLR off - is taken for a failure).
 *
 * Entries are per process, never per notification thread: two processes of
 * one tree that both change ids before their next trapped calls each keep
 * their own entry.  An entry carries its process's start time, so a reused
 * pid is never taken for it.
 *
 * The list is short (calls in flight) and checked at every trapped call;
 * an atomic count keeps the check lock-free while it is empty.  pend_lock
 * is a leaf: entries are taken off the list before anything is called.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/sys_ident.h>

#include "sandbox_i.h"

#define PEND_MAX 4096		/* a bound against a runaway caller */
#define LAYOUT_FIELDS 10
#define SETID_TICKS 5		/* control-thread ticks: 1 s */

struct sbx_pending {
	struct mn_sandbox *sb;
	pid_t tgid, tid;		/* host ids */
	int32_t pid;			/* MicronOS pid */
	uint64_t start;			/* stat field 22 */
	uint64_t ticks;			/* control-thread ticks seen */
	int setid;
	struct sbx_exec_rec *exec;
	uint64_t layout[LAYOUT_FIELDS];	/* when the execve trapped */
	struct sbx_pending *next;
};

static pthread_mutex_t pend_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sbx_pending *pend_list;	/* every sandbox's, under lock */
static atomic_int pend_count;

/* The stat fields an exec changes: start/end code, start stack, start/end
   data, start brk, arg start/end, env start/end (proc(5) 26-28, 45-51). */
static const int layout_fields[LAYOUT_FIELDS] = {26, 27, 28, 45, 46, 47, 48,
						 49, 50, 51};

/* Reads /proc/PID/stat: start time and the layout.  0 or -errno. */
static int read_stat(pid_t pid, uint64_t *start, uint64_t *layout)
{
	char path[64], buf[2048], *p, *save = NULL;
	int field = 3, i = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* the name may hold spaces and parentheses: fields follow the last
	   ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	for (p = strtok_r(p + 1, " ", &save); p;
	     p = strtok_r(NULL, " ", &save), field++) {
		/* a zombie has no memory left to compare: it is gone */
		if (field == 3 && (*p == 'Z' || *p == 'X'))
			return -ESRCH;
		if (field == 22)
			*start = strtoull(p, NULL, 10);
		if (layout && i < LAYOUT_FIELDS && field == layout_fields[i])
			layout[i++] = strtoull(p, NULL, 10);
	}
	return field > 51 ? 0 : -EIO;
}

/* The thread is alive (and of the same process start). */
static int same_process(const struct sbx_pending *p, uint64_t *layout)
{
	uint64_t start = 0;

	return read_stat(p->tgid, &start, layout) == 0 && start == p->start;
}

static void pend_free(struct sbx_pending *p)
{
	free(p->exec);
	free(p);
}

/* Re-reads the thread's ids from the host into the record. */
static void resync_ids(struct mn_sandbox *sb, int32_t pid, pid_t tid)
{
	char path[64], line[128];
	uint32_t r, e, gr, ge, base = sb->uid_base, gbase = sb->gid_base;
	int got = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u", &r, &e) == 2)
			got |= 1;
		else if (sscanf(line, "Gid: %u %u", &gr, &ge) == 2)
			got |= 2;
	fclose(f);
	if (got == 3)
		mn_proc_set_ids(sb->procs, pid, r - base, e - base,
				gr - gbase, ge - gbase);
}

static void record_exec(struct mn_sandbox *sb, int32_t pid,
			const struct sbx_exec_rec *x)
{
	uint64_t args[6] = {(uint64_t)(uintptr_t)x->argv,
			    (uint64_t)(uintptr_t)x->name, 0, 0, 0, 0};
	struct mn_sysctx ctx;

	mn_sysctx_init(&ctx, sb->k, pid, 0, 0);
	mn_syscall_dispatch(sb->syscalls, &ctx, MN_SYS_EXEC, args);
}

/*
 * Resolves p; `from` is the host tid of a trapped call of the process now
 * being served (0 from the tick).  Returns 1 when p is done.
 */
static int resolve(struct sbx_pending *p, pid_t from)
{
	uint64_t layout[LAYOUT_FIELDS] = {0};
	int alive = same_process(p, layout);

	if (p->setid) {
		/* the caller's own next call is certainly after its set*id;
		   a second later, so is everything else */
		if (alive && (from == p->tid || p->ticks >= SETID_TICKS))
			resync_ids(p->sb, p->pid, p->tid);
		if (!alive || from == p->tid || p->ticks >= SETID_TICKS)
			p->setid = 0;
	}
	if (p->exec) {
		if (alive && memcmp(layout, p->layout, sizeof(layout))) {
			record_exec(p->sb, p->pid, p->exec);
			free(p->exec);
			p->exec = NULL;
		} else if (!alive || from == p->tid) {
			/* its execve returned: it failed */
			free(p->exec);
			p->exec = NULL;
		}
	}
	return !p->setid && !p->exec;
}

/* Takes out the entries of sb (and tgid, if not 0) into *out. */
static struct sbx_pending *take(struct mn_sandbox *sb, pid_t tgid)
{
	struct sbx_pending **pp, *p, *out = NULL;

	pthread_mutex_lock(&pend_lock);
	for (pp = &pend_list; (p = *pp);) {
		if (p->sb == sb && (!tgid || p->tgid == tgid)) {
			*pp = p->next;
			p->next = out;
			out = p;
			atomic_fetch_sub(&pend_count, 1);
		} else {
			pp = &p->next;
		}
	}
	pthread_mutex_unlock(&pend_lock);
	return out;
}

static void put_back(struct sbx_pending *list)
{
	struct sbx_pending *p;

	pthread_mutex_lock(&pend_lock);
	while ((p = list)) {
		list = p->next;
		p->next = pend_list;
		pend_list = p;
		atomic_fetch_add(&pend_count, 1);
	}
	pthread_mutex_unlock(&pend_lock);
}

/* Resolves every entry of `list`; the unresolved go back. */
static void resolve_list(struct sbx_pending *list, pid_t from, int tick)
{
	struct sbx_pending *p, *keep = NULL;

	while ((p = list)) {
		list = p->next;
		if (resolve(p, from)) {
			pend_free(p);
			continue;
		}
		p->ticks += (uint64_t)tick;
		p->next = keep;
		keep = p;
	}
	put_back(keep);
}

void sbx_after_call(struct sbx_call *c)
{
	if (atomic_load_explicit(&pend_count, memory_order_relaxed) == 0)
		return;
	resolve_list(take(c->sb, c->host_tgid), (pid_t)c->req->pid, 0);
}

void sbx_after_tick(struct mn_sandbox *sb)
{
	if (atomic_load(&pend_count) == 0)
		return;
	resolve_list(take(sb, 0), 0, 1);
}

void sbx_after_clear(struct mn_sandbox *sb)
{
	struct sbx_pending *p, *list = take(sb, 0);

	while ((p = list)) {
		list = p->next;
		pend_free(p);
	}
}

/* A new entry for the caller (layout read with want_layout), or NULL:
   then nothing is recorded. */
static struct sbx_pending *pend_new(struct sbx_call *c, int want_layout)
{
	struct sbx_pending *p;

	if (atomic_load(&pend_count) >= PEND_MAX)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->sb = c->sb;
	p->tgid = c->host_tgid;
	p->tid = (pid_t)c->req->pid;
	p->pid = c->pid;
	p->next = NULL;
	if (read_stat(p->tgid, &p->start, want_layout ? p->layout : NULL) <
	    0) {
		free(p);
		return NULL;
	}
	return p;
}

void sbx_after_setid(struct sbx_call *c)
{
	struct sbx_pending *p = pend_new(c, 0);

	if (!p)
		return;
	p->setid = 1;
	put_back(p);
}

void sbx_after_exec(struct sbx_call *c, struct sbx_exec_rec *x)
{
	struct sbx_pending *p = pend_new(c, 1);

	if (!p) {
		free(x);
		return;
	}
	p->exec = x;
	put_back(p);
}
