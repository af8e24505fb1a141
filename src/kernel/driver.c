/*
 * driver.c - the driver registry: lifecycle state machine, the lock-free
 * I/O path and the text views (`drivers`, /sys/.../state).
 *
 * The lifecycle is one table, `transitions`, indexed by verb: the states it
 * may start from (a bit mask) and the state it leads to.  A transition is
 * checked and marked busy under the registry lock, its hook runs with the
 * lock released (a hook may sleep or call other modules), and the result is
 * committed under the lock again.  The state is an atomic so that the read
 * and write paths, which the VFS calls for every /dev access, take no lock
 * at all.
 *
 * The built-in devices live in drv_builtin.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/evbus.h>

#include "driver_i.h"
#include "texttable_i.h"

/* Linux's MAX_RW_COUNT: one call moves at most this much. */
#define RW_MAX 0x7ffff000UL

#define S(x) (1u << MN_DRV_##x)

static const struct {
	unsigned from;		/* mask of states it may start from */
	enum mn_drv_state to;
} transitions[MN_DRV_OP__COUNT] = {
	[MN_DRV_OP_INIT] = {S(REGISTERED), MN_DRV_INITIALIZED},
	[MN_DRV_OP_START] = {S(INITIALIZED) | S(STOPPED), MN_DRV_RUNNING},
	[MN_DRV_OP_STOP] = {S(RUNNING) | S(SUSPENDED), MN_DRV_STOPPED},
	[MN_DRV_OP_SUSPEND] = {S(RUNNING), MN_DRV_SUSPENDED},
	[MN_DRV_OP_RESUME] = {S(SUSPENDED), MN_DRV_RUNNING},
	/* Shutdown is the way out of every state, however broken. */
	[MN_DRV_OP_SHUTDOWN] = {S(REGISTERED) | S(INITIALIZED) | S(RUNNING) |
				S(SUSPENDED) | S(STOPPED), MN_DRV_SHUTDOWN},
};

static const char *const state_names[MN_DRV__STATE_COUNT] = {
	"registered", "initialized", "running", "suspended", "stopped",
	"shutdown",
};
static const char *const type_names[MN_DEV__COUNT] = {
	"character", "block", "network", "virtual", "pseudo",
};
static const char *const op_names[MN_DRV_OP__COUNT] = {
	"init", "start", "stop", "suspend", "resume", "shutdown",
};

/* --- names ---------------------------------------------------------------- */

static int parse_name(const char *const *names, int n, const char *s)
{
	size_t len;
	int i;

	if (!s)
		return -EINVAL;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], s, len))
			return i;
	return -EINVAL;
}

const char *mn_drv_state_name(enum mn_drv_state state)
{
	return (unsigned)state < MN_DRV__STATE_COUNT ? state_names[state] : "?";
}

int mn_drv_state_parse(const char *name)
{
	return parse_name(state_names, MN_DRV__STATE_COUNT, name);
}

const char *mn_dev_type_name(enum mn_dev_type type)
{
	return (unsigned)type < MN_DEV__COUNT ? type_names[type] : "?";
}

int mn_dev_type_parse(const char *name)
{
	return parse_name(type_names, MN_DEV__COUNT, name);
}

const char *mn_drv_op_name(enum mn_drv_op op)
{
	return (unsigned)op < MN_DRV_OP__COUNT ? op_names[op] : "?";
}

int mn_drv_op_parse(const char *verb)
{
	return parse_name(op_names, MN_DRV_OP__COUNT, verb);
}

/* --- registry ------------------------------------------------------------- */

int mn_drivers_create(struct mn_drivers **out, struct mn_evbus *bus,
		      const struct mn_drivers_opts *opts)
{
	struct mn_drivers *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->bus = bus;
	if (opts)
		d->opts = *opts;
	if (!d->opts.no_builtins) {
		ret = mn_drivers_add_builtins(d, NULL);
		if (ret < 0) {
			mn_drivers_destroy(d);
			return ret;
		}
	}
	*out = d;
	return 0;
}

void mn_drivers_destroy(struct mn_drivers *drvs)
{
	size_t i;

	if (!drvs)
		return;
	for (i = 0; i < drvs->count; i++) {
		struct mn_driver *drv = drvs->drv[i];

		if (drv->ops->release)
			drv->ops->release(drv->priv);
		free(drv);
	}
	pthread_mutex_destroy(&drvs->lock);
	free(drvs);
}

static int valid_name(const char *name)
{
	return mn_name_valid(name, MN_DRIVER_NAME_MAX, "_-");
}

static struct mn_driver *find_locked(struct mn_drivers *drvs,
				     const char *name)
{
	size_t i;

	for (i = 0; i < drvs->count; i++)
		if (!strcmp(drvs->drv[i]->name, name))
			return drvs->drv[i];
	return NULL;
}

int mn_drivers_register(struct mn_drivers *drvs,
			const struct mn_driver_desc *desc,
			struct mn_driver **out, struct mn_strbuf *err)
{
	struct mn_driver *drv;
	int ret = -EINVAL;

	if (!desc || !valid_name(desc->name) || !desc->ops ||
	    (unsigned)desc->type >= MN_DEV__COUNT) {
		mn_strbuf_errf(
		    err,
		    "driver '%s': bad name, type or ops (names are 1-31 "
		    "of a-z 0-9 _ -)\n",
		    desc && desc->name ? desc->name : "");
		return ret;
	}
	drv = calloc(1, sizeof(*drv));
	if (!drv)
		return -ENOMEM;
	drv->reg = drvs;
	strcpy(drv->name, desc->name);
	if (desc->description)
		snprintf(drv->description, sizeof(drv->description), "%s",
			 desc->description);
	drv->type = desc->type;
	drv->ops = desc->ops;
	drv->priv = desc->priv;
	atomic_init(&drv->state, MN_DRV_REGISTERED);

	pthread_mutex_lock(&drvs->lock);
	if (find_locked(drvs, desc->name))
		ret = -EEXIST;
	else if (drvs->count >= MN_DRIVERS_MAX)
		ret = -ENOSPC;
	else
		ret = 0;
	if (ret == 0)
		drvs->drv[drvs->count++] = drv;
	pthread_mutex_unlock(&drvs->lock);
	if (ret < 0) {
		mn_strbuf_errf(err, "driver '%s': %s\n", desc->name,
			       ret == -EEXIST ? "name already registered"
					      : "too many drivers");
		free(drv);
		return ret;
	}
	if (out)
		*out = drv;
	return 0;
}

struct mn_driver *mn_drivers_find(struct mn_drivers *drvs, const char *name)
{
	struct mn_driver *drv;

	if (!name)
		return NULL;
	pthread_mutex_lock(&drvs->lock);
	drv = find_locked(drvs, name);
	pthread_mutex_unlock(&drvs->lock);
	return drv;
}

/* Copies the driver pointers; they stay valid (never freed before drvs). */
static size_t snapshot(struct mn_drivers *drvs,
		       struct mn_driver *out[MN_DRIVERS_MAX])
{
	size_t n;

	pthread_mutex_lock(&drvs->lock);
	n = drvs->count;
	memcpy(out, drvs->drv, n * sizeof(*out));
	pthread_mutex_unlock(&drvs->lock);
	return n;
}

size_t mn_drivers_list(struct mn_drivers *drvs, struct mn_driver_info *out,
		       size_t max)
{
	struct mn_driver *all[MN_DRIVERS_MAX];
	size_t i, n = snapshot(drvs, all);

	for (i = 0; i < n && i < max; i++)
		mn_driver_info(all[i], &out[i]);
	return n;
}

int mn_drivers_start_all(struct mn_drivers *drvs, struct mn_strbuf *err)
{
	struct mn_driver *all[MN_DRIVERS_MAX];
	size_t i, n = snapshot(drvs, all);
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		switch (mn_driver_state(all[i])) {
		case MN_DRV_REGISTERED:
			ret = mn_driver_transition(all[i], MN_DRV_OP_INIT, err);
			if (ret == 0)
				ret = mn_driver_transition(all[i],
							   MN_DRV_OP_START,
							   err);
			break;
		case MN_DRV_INITIALIZED:
		case MN_DRV_STOPPED:
			ret = mn_driver_transition(all[i], MN_DRV_OP_START,
						   err);
			break;
		case MN_DRV_SUSPENDED:
			ret = mn_driver_transition(all[i], MN_DRV_OP_RESUME,
						   err);
			break;
		default:
			break;
		}
	}
	return ret;
}

void mn_drivers_shutdown_all(struct mn_drivers *drvs)
{
	struct mn_driver *all[MN_DRIVERS_MAX];
	size_t i, n = snapshot(drvs, all);

	/* Reverse order: later drivers may sit on earlier ones. */
	for (i = n; i-- > 0;)
		if (mn_driver_state(all[i]) != MN_DRV_SHUTDOWN)
			mn_driver_transition(all[i], MN_DRV_OP_SHUTDOWN, NULL);
}

int mn_drivers_format(struct mn_drivers *drvs, struct mn_strbuf *out)
{
	struct mn_driver *all[MN_DRIVERS_MAX];
	struct mn_texttable t;
	size_t i, n = snapshot(drvs, all);
	int ret;

	mn_texttable_init(&t, 9);
	mn_texttable_cell(&t, "NAME");
	mn_texttable_cell(&t, "TYPE");
	mn_texttable_cell(&t, "STATE");
	mn_texttable_cell(&t, "READS");
	mn_texttable_cell(&t, "WRITES");
	mn_texttable_cell(&t, "READ");
	mn_texttable_cell(&t, "WRITTEN");
	mn_texttable_cell(&t, "ERRORS");
	mn_texttable_cell(&t, "DESCRIPTION");
	for (i = 0; i < n; i++) {
		struct mn_driver_info in;
		char a[32], b[32];

		mn_driver_info(all[i], &in);
		mn_texttable_cell(&t, "%s", in.name);
		mn_texttable_cell(&t, "%s", mn_dev_type_name(in.type));
		mn_texttable_cell(&t, "%s", mn_drv_state_name(in.state));
		mn_texttable_cell(&t, "%" PRIu64, in.reads);
		mn_texttable_cell(&t, "%" PRIu64, in.writes);
		mn_texttable_cell(&t, "%s",
				  mn_fmt_size(a, sizeof(a), in.bytes_read));
		mn_texttable_cell(&t, "%s",
				  mn_fmt_size(b, sizeof(b), in.bytes_written));
		mn_texttable_cell(&t, "%" PRIu64, in.errors);
		mn_texttable_cell(&t, "%s", in.description);
	}
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	return ret;
}

/* --- one driver ----------------------------------------------------------- */

const char *mn_driver_name(const struct mn_driver *drv)
{
	return drv->name;
}

enum mn_dev_type mn_driver_type(const struct mn_driver *drv)
{
	return drv->type;
}

enum mn_drv_state mn_driver_state(const struct mn_driver *drv)
{
	return (enum mn_drv_state)atomic_load_explicit(&drv->state,
						       memory_order_acquire);
}

void mn_driver_info(const struct mn_driver *drv, struct mn_driver_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->name, drv->name, sizeof(out->name));
	memcpy(out->description, drv->description, sizeof(out->description));
	out->type = drv->type;
	out->state = mn_driver_state(drv);
	out->reads = atomic_load_explicit(&drv->reads, memory_order_relaxed);
	out->writes = atomic_load_explicit(&drv->writes, memory_order_relaxed);
	out->bytes_read = atomic_load_explicit(&drv->bytes_read,
					       memory_order_relaxed);
	out->bytes_written = atomic_load_explicit(&drv->bytes_written,
						  memory_order_relaxed);
	out->errors = atomic_load_explicit(&drv->errors, memory_order_relaxed);
	out->transitions = atomic_load_explicit(&drv->transitions,
						memory_order_relaxed);
}

static int (*hook_of(const struct mn_driver_ops *ops, enum mn_drv_op op))(
	struct mn_driver *, void *)
{
	int (*const hooks[MN_DRV_OP__COUNT])(struct mn_driver *, void *) = {
		ops->init, ops->start, ops->stop,
		ops->suspend, ops->resume, ops->shutdown,
	};

	return hooks[op];
}

static void explain_refusal(const struct mn_driver *drv, enum mn_drv_op op,
			    enum mn_drv_state from, struct mn_strbuf *err)
{
	unsigned s, first = 1;

	if (!err)
		return;
	mn_strbuf_errf(err, "%s: cannot %s a driver that is %s (allowed from: ",
		       drv->name, op_names[op], state_names[from]);
	for (s = 0; s < MN_DRV__STATE_COUNT; s++) {
		if (!(transitions[op].from & (1u << s)))
			continue;
		mn_strbuf_errf(err, "%s%s", first ? "" : ", ", state_names[s]);
		first = 0;
	}
	mn_strbuf_errf(err, ")\n");
}

/* Checks op against the state and marks the driver busy.  reg->lock held. */
static int begin_locked(struct mn_driver *drv, enum mn_drv_op op,
			enum mn_drv_state *from)
{
	*from = mn_driver_state(drv);
	if (drv->busy)
		return -EBUSY;
	if (!(transitions[op].from & (1u << *from)))
		return -EINVAL;
	drv->busy = 1;
	return 0;
}

int mn_driver_transition(struct mn_driver *drv, enum mn_drv_op op,
			 struct mn_strbuf *err)
{
	struct mn_drivers *reg = drv->reg;
	enum mn_drv_state from, to;
	int (*hook)(struct mn_driver *, void *);
	int ret, hret = 0;

	if ((unsigned)op >= MN_DRV_OP__COUNT) {
		mn_strbuf_errf(err, "%s: bad driver command %d\n", drv->name,
			       (int)op);
		return -EINVAL;
	}
	to = transitions[op].to;
	pthread_mutex_lock(&reg->lock);
	ret = begin_locked(drv, op, &from);
	pthread_mutex_unlock(&reg->lock);
	if (ret == -EBUSY)
		mn_strbuf_errf(err, "%s: another transition is in progress\n",
			       drv->name);
	if (ret == -EINVAL)
		explain_refusal(drv, op, from, err);
	if (ret < 0)
		return ret;

	hook = hook_of(drv->ops, op);
	if (hook)
		hret = hook(drv, drv->priv);
	pthread_mutex_lock(&reg->lock);
	if (hret == 0 || op == MN_DRV_OP_SHUTDOWN) {
		atomic_store_explicit(&drv->state, (int)to,
				      memory_order_release);
		atomic_fetch_add_explicit(&drv->transitions, 1,
					  memory_order_relaxed);
	}
	drv->busy = 0;
	pthread_mutex_unlock(&reg->lock);

	if (hret < 0)
		mn_strbuf_errf(err, "%s: %s failed: %s\n", drv->name,
			       op_names[op], strerror(-hret));
	if ((hret == 0 || op == MN_DRV_OP_SHUTDOWN) && reg->bus)
		mn_evbus_publish_custom(reg->bus, MN_CUSTOM_DRIVER,
					MN_SRC_DRIVER, 0, "%s: %s -> %s",
					drv->name, state_names[from],
					state_names[to]);
	return hret;
}

int mn_driver_control(struct mn_driver *drv, const char *verb,
		      struct mn_strbuf *err)
{
	int op = mn_drv_op_parse(verb);

	if (op < 0) {
		mn_strbuf_errf(
		    err,
		    "%s: unknown driver command '%.32s' (expected init, "
		    "start, stop, suspend, resume or shutdown)\n",
		    drv->name, verb ? verb : "");
		return -EINVAL;
	}
	return mn_driver_transition(drv, (enum mn_drv_op)op, err);
}

/* --- I/O ------------------------------------------------------------------ */

/* Why I/O is refused in a state other than running (see driver.h). */
static ssize_t io_refusal(enum mn_drv_state state)
{
	return state == MN_DRV_SUSPENDED ? -EAGAIN : -ENXIO;
}

static void io_account(struct mn_driver *drv, ssize_t r,
		       atomic_uint_fast64_t *calls,
		       atomic_uint_fast64_t *bytes)
{
	if (r < 0) {
		atomic_fetch_add_explicit(&drv->errors, 1,
					  memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(bytes, (uint64_t)r, memory_order_relaxed);
}

ssize_t mn_driver_read(struct mn_driver *drv, void *buf, size_t len,
		       uint64_t off)
{
	enum mn_drv_state st = mn_driver_state(drv);
	ssize_t r;

	if (st != MN_DRV_RUNNING)
		r = io_refusal(st);
	else if (!drv->ops->read)
		r = -EINVAL;
	else
		r = drv->ops->read(drv, drv->priv, buf,
				   len > RW_MAX ? RW_MAX : len, off);
	io_account(drv, r, &drv->reads, &drv->bytes_read);
	return r;
}

ssize_t mn_driver_write(struct mn_driver *drv, const void *buf, size_t len,
			uint64_t off)
{
	enum mn_drv_state st = mn_driver_state(drv);
	ssize_t r;

	if (st != MN_DRV_RUNNING)
		r = io_refusal(st);
	else if (!drv->ops->write)
		r = -EINVAL;
	else
		r = drv->ops->write(drv, drv->priv, buf,
				    len > RW_MAX ? RW_MAX : len, off);
	io_account(drv, r, &drv->writes, &drv->bytes_written);
	return r;
}
