/*
 * proc - the MicronOS process table.
 *
 * Records live in a hash by pid, and in a second hash by host pid so the
 * sandbox can map a trapped call to its process in constant time.  Each
 * record links to its parent and its children (a doubly linked sibling list),
 * so exit reparents in O(children).  Pids come from a cursor that only moves
 * up to pid_max and then wraps, which is what makes reuse happen only after
 * wrap-around; kernel tasks take the lowest free pid of their reserved range.
 *
 * wait() sleeps on one condition variable for the whole table, broadcast on
 * every exit and reap: waits are rare and short, and one variable keeps
 * parents that change (reparenting) trivially correct.
 *
 * Locking: pt->lock guards everything in struct mn_proctab and every record.
 * The bus (a leaf) is called with it held; the prio hook without.  Functions
 * named *_locked expect it held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>
#include <micronos/proc.h>

#include "proc_i.h"

/* How each transition is made (0: refused). */
enum { T_NO, T_SET, T_EXIT, T_REAP };

static const unsigned char transitions[MN_PROC__STATE_COUNT]
				      [MN_PROC__STATE_COUNT] = {
	[MN_PROC_RUNNING] = {[MN_PROC_SLEEPING] = T_SET,
			     [MN_PROC_STOPPED] = T_SET,
			     [MN_PROC_ZOMBIE] = T_EXIT},
	[MN_PROC_SLEEPING] = {[MN_PROC_RUNNING] = T_SET,
			      [MN_PROC_STOPPED] = T_SET,
			      [MN_PROC_ZOMBIE] = T_EXIT},
	/* A continued program may go straight back to sleep. */
	[MN_PROC_STOPPED] = {[MN_PROC_RUNNING] = T_SET,
			     [MN_PROC_SLEEPING] = T_SET,
			     [MN_PROC_ZOMBIE] = T_EXIT},
	[MN_PROC_ZOMBIE] = {[MN_PROC_DEAD] = T_REAP},
};

int mn_proc_transition_ok(enum mn_proc_state from, enum mn_proc_state to)
{
	if ((unsigned)from >= MN_PROC__STATE_COUNT ||
	    (unsigned)to >= MN_PROC__STATE_COUNT)
		return 0;
	return transitions[from][to] != T_NO;
}

/* ------------------------------------------------------------------------ */
/* Hashes */

static int32_t hkey(const struct proc *p, int which)
{
	return which == BY_PID ? p->pid : p->host_pid;
}

static size_t hslot(const struct phash *h, int32_t key)
{
	return ((uint32_t)key * 2654435761u) & (h->nb - 1);
}

struct proc *mn_proc__hfind(const struct phash *h, int which, int32_t key)
{
	struct proc *p;

	if (!h->nb)
		return NULL;
	for (p = h->b[hslot(h, key)]; p; p = p->hnext[which])
		if (hkey(p, which) == key)
			return p;
	return NULL;
}

/* Doubles the buckets; on allocation failure the chains just grow longer. */
static void ph_grow(struct phash *h, int which)
{
	size_t nb = h->nb ? h->nb * 2 : 64, i;
	struct proc **b = calloc(nb, sizeof(*b));
	struct phash nh = {b, nb, h->n};

	if (!b)
		return;
	for (i = 0; i < h->nb; i++) {
		struct proc *p = h->b[i], *next;

		for (; p; p = next) {
			size_t s = hslot(&nh, hkey(p, which));

			next = p->hnext[which];
			p->hnext[which] = b[s];
			b[s] = p;
		}
	}
	free(h->b);
	*h = nh;
}

static int ph_insert(struct phash *h, int which, struct proc *p)
{
	size_t s;

	if (h->n >= h->nb * 2)
		ph_grow(h, which);
	if (!h->nb)
		return -ENOMEM;
	s = hslot(h, hkey(p, which));
	p->hnext[which] = h->b[s];
	h->b[s] = p;
	h->n++;
	return 0;
}

static void ph_remove(struct phash *h, int which, struct proc *p)
{
	struct proc **pp;

	if (!h->nb)
		return;
	for (pp = &h->b[hslot(h, hkey(p, which))]; *pp;
	     pp = &(*pp)->hnext[which]) {
		if (*pp == p) {
			*pp = p->hnext[which];
			h->n--;
			return;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Records */

static void child_link(struct proc *parent, struct proc *c)
{
	c->parent = parent;
	c->ppid = parent ? parent->pid : 0;
	c->sib_prev = NULL;
	c->sib_next = parent ? parent->children : NULL;
	if (!parent)
		return;
	if (parent->children)
		parent->children->sib_prev = c;
	parent->children = c;
	parent->nchildren++;
}

static void child_unlink(struct proc *c)
{
	struct proc *parent = c->parent;

	if (!parent)
		return;
	if (c->sib_prev)
		c->sib_prev->sib_next = c->sib_next;
	else
		parent->children = c->sib_next;
	if (c->sib_next)
		c->sib_next->sib_prev = c->sib_prev;
	parent->nchildren--;
	c->parent = NULL;
	c->sib_next = c->sib_prev = NULL;
}

static void proc_free(struct proc *p)
{
	if (!p)
		return;
	free(p->cmdline);
	free(p->cwd);
	free(p);
}

void mn_proc__fill_info(const struct proc *p, struct mn_proc_info *o)
{
	memset(o, 0, sizeof(*o));
	o->pid = p->pid;
	o->ppid = p->ppid;
	o->uid = p->uid;
	o->gid = p->gid;
	o->euid = p->euid;
	o->egid = p->egid;
	o->state = p->state;
	o->kind = p->kind;
	o->prio = p->prio;
	o->nice = p->nice;
	o->serial = p->serial;
	o->start_ns = p->start_ns;
	o->exit_ns = p->exit_ns;
	o->exit_status = p->exit_status;
	memcpy(o->comm, p->comm, sizeof(o->comm));
	o->nchildren = p->nchildren;
	o->argc = p->argc;
	o->cmdline_len = p->cmdline_len;
	o->host_pid = p->host_pid;
	o->usage = p->usage;
	o->usage_update_ns = p->usage_update_ns;
	o->syscalls = p->syscalls;
	o->mem_bytes = p->mem_bytes;
}

/*
 * argv -> NUL-separated bytes, capped.  *argc gets the arguments kept.
 * Returns a malloc'd buffer (NULL with *len 0 for an empty argv) or sets
 * *err to -ENOMEM.
 */
static char *pack_argv(const char *const *argv, size_t *len, uint32_t *argc,
		       int *err)
{
	size_t total = 0, n;
	char *buf;
	uint32_t i;

	*len = 0;
	*argc = 0;
	if (!argv || !argv[0])
		return NULL;
	buf = malloc(MN_PROC_CMDLINE_MAX);
	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; argv[i] && i < MN_PROC_MAX_ARGS &&
		    total < MN_PROC_CMDLINE_MAX; i++) {
		n = strnlen(argv[i], MN_PROC_CMDLINE_MAX - total - 1);
		memcpy(buf + total, argv[i], n);
		total += n;
		buf[total++] = '\0';
		*argc = i + 1;
	}
	*len = total;
	return buf;
}

/* comm: given, else the basename of the first argument, truncated. */
static void set_comm(struct proc *p, const char *comm)
{
	const char *src = comm;
	size_t n;

	if (!src && p->cmdline) {
		const char *slash = strrchr(p->cmdline, '/');

		src = slash && slash[1] ? slash + 1 : p->cmdline;
	}
	if (!src || !*src)
		src = "?";
	n = strnlen(src, MN_PROC_COMM_MAX - 1);
	memcpy(p->comm, src, n);
	p->comm[n] = '\0';
}

static int cwd_ok(const char *cwd)
{
	return cwd && cwd[0] == '/' && strnlen(cwd, MN_PROC_CWD_MAX) <
						   MN_PROC_CWD_MAX;
}

static enum mn_event_source ev_source(const struct proc *p)
{
	return p->kind == MN_PROC_USER ? MN_SRC_PROCESS : MN_SRC_KERNEL;
}

/* ------------------------------------------------------------------------ */
/* The table */

static struct proc *make_init(struct mn_proctab *pt)
{
	static const char *const argv[] = {"init", NULL};
	struct proc *p = calloc(1, sizeof(*p));
	int err = 0;

	if (!p)
		return NULL;
	p->pid = MN_PID_INIT;
	p->kind = MN_PROC_INIT;
	p->prio = MN_PRIO_DEFAULT;
	p->serial = ++pt->serial;
	p->start_ns = mn_clock_now_ns(pt->clock);
	p->cmdline = pack_argv(argv, &p->cmdline_len, &p->argc, &err);
	p->cwd = strdup("/");
	if (!p->cmdline || !p->cwd) {
		proc_free(p);
		return NULL;
	}
	set_comm(p, NULL);
	return p;
}

static int resolve_opts(const struct mn_proctab_opts *o, int32_t *pid_max,
			int32_t *ktask, int *reaps)
{
	*pid_max = o && o->pid_max ? o->pid_max : MN_PROC_PID_MAX_DEFAULT;
	*ktask = o && o->ktask_pids >= 0 ? o->ktask_pids : MN_PROC_KTASK_PIDS;
	*reaps = !o || o->init_reaps != 0;
	if (*ktask < 0 || *ktask > MN_PROC_PID_MAX_LIMIT)
		return -EINVAL;
	if (*pid_max < *ktask + 3 || *pid_max > MN_PROC_PID_MAX_LIMIT)
		return -EINVAL;
	return 0;
}

int mn_proctab_create(struct mn_proctab **out,
		      const struct mn_proctab_opts *opts,
		      const struct mn_clock *clock, struct mn_evbus *bus)
{
	struct mn_proctab *pt;
	int32_t pid_max, ktask;
	int reaps, err;

	err = resolve_opts(opts, &pid_max, &ktask, &reaps);
	if (err)
		return err;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->clock = clock;
	pt->bus = bus;
	pt->pid_max = pid_max;
	pt->first_user = ktask + 2;
	pt->last_alloc = pt->first_user - 1;
	pt->alloc_floor = pt->first_user;
	pt->init_reaps = reaps;
	pt->init = make_init(pt);
	if (!pt->init || ph_insert(&pt->by_pid, BY_PID, pt->init) < 0) {
		proc_free(pt->init);
		free(pt->by_pid.b);
		free(pt);
		return -ENOMEM;
	}
	pt->last_pid = MN_PID_INIT;
	pt->created = 1;
	pthread_mutex_init(&pt->lock, NULL);
	mn_cond_init_monotonic(&pt->exit_cv);
	*out = pt;
	return 0;
}

void mn_proctab_shutdown(struct mn_proctab *pt)
{
	pthread_mutex_lock(&pt->lock);
	pt->shutdown = 1;
	pthread_cond_broadcast(&pt->exit_cv);
	pthread_mutex_unlock(&pt->lock);
}

void mn_proctab_destroy(struct mn_proctab *pt)
{
	size_t i;

	if (!pt)
		return;
	mn_proctab_shutdown(pt);
	pthread_mutex_lock(&pt->lock);
	while (pt->nwaiters)	/* let blocked waiters leave first */
		pthread_cond_wait(&pt->exit_cv, &pt->lock);
	pthread_mutex_unlock(&pt->lock);
	for (i = 0; i < pt->by_pid.nb; i++) {
		struct proc *p = pt->by_pid.b[i], *next;

		for (; p; p = next) {
			next = p->hnext[BY_PID];
			proc_free(p);
		}
	}
	free(pt->by_pid.b);
	free(pt->by_host.b);
	pthread_cond_destroy(&pt->exit_cv);
	pthread_mutex_destroy(&pt->lock);
	free(pt);
}

int mn_proctab_set_pid_max(struct mn_proctab *pt, int32_t pid_max)
{
	int err = 0;

	pthread_mutex_lock(&pt->lock);
	if (pid_max <= pt->first_user || pid_max > MN_PROC_PID_MAX_LIMIT)
		err = -EINVAL;
	else
		pt->pid_max = pid_max;
	pthread_mutex_unlock(&pt->lock);
	return err;
}

int mn_proctab_reserve_host_pids(struct mn_proctab *pt, int32_t host_max)
{
	int err = 0;

	pthread_mutex_lock(&pt->lock);
	if (host_max <= pt->first_user ||
	    host_max > MN_PROC_PID_MAX_LIMIT - MN_PROC_VIRTUAL_PIDS) {
		err = -EINVAL;
	} else {
		pt->alloc_floor = host_max;
		pt->pid_max = host_max + MN_PROC_VIRTUAL_PIDS;
		if (pt->last_alloc < host_max)
			pt->last_alloc = host_max - 1;
	}
	pthread_mutex_unlock(&pt->lock);
	return err;
}

int32_t mn_proctab_pid_max(struct mn_proctab *pt)
{
	int32_t v;

	pthread_mutex_lock(&pt->lock);
	v = pt->pid_max;
	pthread_mutex_unlock(&pt->lock);
	return v;
}

int32_t mn_proctab_first_user_pid(struct mn_proctab *pt)
{
	return pt->first_user;	/* set once at create */
}

void mn_proctab_stats(struct mn_proctab *pt, struct mn_proctab_stats *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < pt->by_pid.nb; i++) {
		const struct proc *p;

		for (p = pt->by_pid.b[i]; p; p = p->hnext[BY_PID]) {
			out->total++;
			out->by_state[p->state]++;
			out->by_kind[p->kind]++;
		}
	}
	out->last_pid = pt->last_pid;
	out->created = pt->created;
	out->reaped = pt->reaped;
	out->pid_max = pt->pid_max;
	out->first_user_pid = pt->first_user;
	pthread_mutex_unlock(&pt->lock);
}

/* ------------------------------------------------------------------------ */
/* Creation */

static int32_t alloc_pid_locked(struct mn_proctab *pt, enum mn_proc_kind kind)
{
	int32_t lo = pt->alloc_floor, hi = pt->pid_max - 1, pid, n;

	if (kind == MN_PROC_KTASK) {
		for (pid = MN_PID_INIT + 1; pid < pt->first_user; pid++)
			if (!mn_proc__hfind(&pt->by_pid, BY_PID, pid))
				return pid;
		return -EAGAIN;
	}
	pid = pt->last_alloc;
	for (n = 0; n <= hi - lo; n++) {
		pid = pid >= hi || pid < lo ? lo : pid + 1;
		if (!mn_proc__hfind(&pt->by_pid, BY_PID, pid)) {
			pt->last_alloc = pid;
			return pid;
		}
	}
	return -EAGAIN;
}

/* Builds a record from a spec (no lock needed: touches nothing shared). */
static int build_proc(const struct mn_proc_spec *spec, const char *pcwd,
		      struct proc **out)
{
	struct proc *p;
	int err = 0;

	if ((spec->kind != MN_PROC_KTASK && spec->kind != MN_PROC_USER) ||
	    (unsigned)spec->prio >= MN_PRIO__COUNT || spec->host_pid < 0 ||
	    (spec->cwd && !cwd_ok(spec->cwd)))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->uid = p->euid = spec->uid;
	p->gid = p->egid = spec->gid;
	p->kind = spec->kind;
	p->prio = spec->prio;
	p->nice = mn_prio_nice(spec->prio);
	p->host_pid = spec->host_pid;
	p->cmdline = pack_argv(spec->argv, &p->cmdline_len, &p->argc, &err);
	p->cwd = strdup(spec->cwd ? spec->cwd : pcwd);
	if (err || !p->cwd) {
		proc_free(p);
		return -ENOMEM;
	}
	set_comm(p, spec->comm);
	*out = p;
	return 0;
}

/*
 * Puts a built record into the table at `pid` (0: allocate).  Consumes p:
 * on failure it is freed.  Returns the pid or -errno.
 */
static int32_t insert_locked(struct mn_proctab *pt, struct proc *p,
			     struct proc *parent, int32_t pid)
{
	int err;

	if (pid == 0)
		pid = alloc_pid_locked(pt, p->kind);
	else if (pid <= MN_PID_INIT || pid >= pt->pid_max)
		pid = -EINVAL;
	else if (mn_proc__hfind(&pt->by_pid, BY_PID, pid))
		pid = -EEXIST;
	if (pid > 0 && p->host_pid &&
	    mn_proc__hfind(&pt->by_host, BY_HOST, p->host_pid))
		pid = -EEXIST;	/* one record per host process */
	if (pid < 0) {
		proc_free(p);
		return pid;
	}
	p->pid = pid;
	err = ph_insert(&pt->by_pid, BY_PID, p);
	if (!err && p->host_pid && ph_insert(&pt->by_host, BY_HOST, p) < 0) {
		ph_remove(&pt->by_pid, BY_PID, p);
		err = -ENOMEM;
	}
	if (err) {
		proc_free(p);
		return err;
	}
	p->serial = ++pt->serial;
	p->start_ns = mn_clock_now_ns(pt->clock);
	child_link(parent, p);
	pt->last_pid = pid;
	pt->created++;
	if (pt->bus)
		mn_evbus_publish(pt->bus, MN_EV_PROCESS_CREATED, ev_source(p),
				 pid, "pid %d (%s) ppid %d uid %u %s", pid,
				 p->comm, p->ppid, p->uid,
				 mn_proc_kind_name(p->kind));
	return pid;
}

static struct proc *live_locked(struct mn_proctab *pt, int32_t pid)
{
	struct proc *p = mn_proc__hfind(&pt->by_pid, BY_PID, pid);

	return p && p->state < MN_PROC_ZOMBIE ? p : NULL;
}

int32_t mn_proc_create_at(struct mn_proctab *pt, int32_t pid,
			  const struct mn_proc_spec *spec)
{
	struct proc *p, *parent;
	int32_t r;

	if (!spec || pid < 0)
		return -EINVAL;
	pthread_mutex_lock(&pt->lock);
	parent = live_locked(pt, spec->ppid);
	if (!parent)
		r = -ESRCH;
	else
		r = build_proc(spec, parent->cwd, &p);
	if (r == 0)
		r = insert_locked(pt, p, parent, pid);
	pthread_mutex_unlock(&pt->lock);
	return r;
}

int32_t mn_proc_create(struct mn_proctab *pt, const struct mn_proc_spec *spec)
{
	return mn_proc_create_at(pt, 0, spec);
}

int32_t mn_proc_fork(struct mn_proctab *pt, int32_t parent, int32_t at_pid,
		     int32_t host_pid)
{
	struct proc *pp, *p = NULL;
	int32_t r = 0;

	if (at_pid < 0 || host_pid < 0)
		return -EINVAL;
	pthread_mutex_lock(&pt->lock);
	pp = live_locked(pt, parent);
	if (!pp)
		r = -ESRCH;
	else if (!(p = calloc(1, sizeof(*p))))
		r = -ENOMEM;
	if (r == 0) {
		p->uid = pp->uid;
		p->gid = pp->gid;
		p->euid = pp->euid;
		p->egid = pp->egid;
		p->kind = MN_PROC_USER;
		p->prio = pp->prio;
		p->nice = pp->nice;
		p->host_pid = host_pid;
		memcpy(p->comm, pp->comm, sizeof(p->comm));
		p->argc = pp->argc;
		p->cmdline_len = pp->cmdline_len;
		p->cmdline = pp->cmdline_len ? malloc(pp->cmdline_len) : NULL;
		if (p->cmdline)
			memcpy(p->cmdline, pp->cmdline, pp->cmdline_len);
		p->cwd = strdup(pp->cwd);
		if (!p->cwd || (pp->cmdline_len && !p->cmdline)) {
			proc_free(p);
			r = -ENOMEM;
		}
	}
	if (r == 0)
		r = insert_locked(pt, p, pp, at_pid);
	pthread_mutex_unlock(&pt->lock);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Helpers for proc_state.c and proc_info.c (pt->lock held) */

void mn_proc__reparent(struct proc *c, struct proc *parent)
{
	child_unlink(c);
	child_link(parent, c);
}

void mn_proc__destroy_locked(struct mn_proctab *pt, struct proc *p)
{
	child_unlink(p);
	ph_remove(&pt->by_pid, BY_PID, p);
	if (p->host_pid)
		ph_remove(&pt->by_host, BY_HOST, p);
	proc_free(p);
}

int mn_proc__set_host_locked(struct mn_proctab *pt, struct proc *p,
			     int32_t host_pid)
{
	struct proc *other;
	int err = 0;

	if (host_pid == p->host_pid)
		return 0;
	other = host_pid ? mn_proc__hfind(&pt->by_host, BY_HOST, host_pid)
			 : NULL;
	if (other)
		return -EEXIST;
	if (p->host_pid)
		ph_remove(&pt->by_host, BY_HOST, p);
	p->host_pid = host_pid;
	if (host_pid)
		err = ph_insert(&pt->by_host, BY_HOST, p);
	if (err)
		p->host_pid = 0;
	return err;
}

int mn_proc__set_cmdline_locked(struct proc *p, const char *const *argv,
				const char *comm)
{
	size_t len;
	uint32_t argc;
	int err = 0;
	char *buf = pack_argv(argv, &len, &argc, &err);

	if (err)
		return err;
	free(p->cmdline);
	p->cmdline = buf;
	p->cmdline_len = len;
	p->argc = argc;
	set_comm(p, comm);
	return 0;
}

int mn_proc__cwd_ok(const char *cwd)
{
	return cwd_ok(cwd);
}

void mn_proc__set_comm(struct proc *p, const char *comm)
{
	set_comm(p, comm);
}
