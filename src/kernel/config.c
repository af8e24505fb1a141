/*
 * config.c - the configuration service (see include/micronos/config.h).
 *
 * Keys are kept in an array sorted by name (binary search; listings come
 * out sorted).  A change goes through three steps so that no lock is held
 * across anything slow or foreign: resolve the key under the lock, parse and
 * validate the text without it (the key's definition is immutable), then
 * apply it under the lock, write the file if autosave is on (under save_lock
 * only), and call the watchers with no lock at all.  A failed write puts the
 * old value back: save_lock keeps every other change out meanwhile, so the
 * old value is still the one to restore.
 *
 * The types live in config_types.c, the file format in config_file.c.
 */
#include "config_i.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/evbus.h>

#include "texttable_i.h"

/* RFC 1123 host names: what uname and /etc/hostname can carry. */
static int valid_hostname(const char *v, struct mn_strbuf *why)
{
	size_t i, len = strlen(v);

	for (i = 0; i < len; i++) {
		char c = v[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && i > 0) ||
		    (c == '.' && i > 0))
			continue;
		mn_strbuf_puts(why, "is not a host name (letters, digits, "
			       "'-' and '.', not first)");
		return -EINVAL;
	}
	if (len == 0) {
		mn_strbuf_puts(why, "is empty: a host name is needed");
		return -EINVAL;
	}
	return 0;
}

/* Index = enum mn_log_level, so mn_log_level_parse() reads these names. */
static const char *const log_levels[] = {"debug", "info", "notice",
					 "warning", "error", NULL};

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)

/*
 * The core keys.  Later layers register theirs with mn_config_register.
 * One row per line, past 80 columns, so a key reads (and diffs) as a whole.
 */
static const struct mn_config_key core_keys[] = {
	{.name = "kernel.hostname", .type = MN_CONFIG_STRING, .def = "micronos", .desc = "host name that MicronOS programs see", .max_len = 64, .validate = valid_hostname},
	{.name = "kernel.deterministic", .type = MN_CONFIG_BOOL, .def = "false", .desc = "seeded random device, for reproducible runs", .flags = MN_CONFIG_F_RESTART},
	{.name = "fault.seed", .type = MN_CONFIG_INT, .def = "0", .desc = "seed of prob= fault rules; 0: a random seed at boot (shown in /sys/fault/seed)", .min = 0, .max = INT64_MAX, .flags = MN_CONFIG_F_RESTART},
	{.name = "random.seed", .type = MN_CONFIG_INT, .def = "1", .desc = "seed of the random device when deterministic", .min = 0, .max = INT64_MAX, .flags = MN_CONFIG_F_RESTART},
	{.name = "events.history", .type = MN_CONFIG_INT, .def = "1000", .desc = "events kept in the history ring", .min = 1, .max = 1000000},
	{.name = "log.level", .type = MN_CONFIG_ENUM, .def = "info", .desc = "lowest level of log lines kept", .names = log_levels},
	{.name = "memory.size", .type = MN_CONFIG_SIZE, .def = "64M", .desc = "size of the MicronOS address space", .min = MiB, .max = 64 * GiB, .flags = MN_CONFIG_F_RESTART},
	{.name = "sched.workers", .type = MN_CONFIG_INT, .def = "2", .desc = "threads running kernel tasks", .min = 1, .max = 16, .flags = MN_CONFIG_F_RESTART},
	{.name = "health.period_ms", .type = MN_CONFIG_INT, .def = "1000", .desc = "default period of health checks", .min = 100, .max = 3600000},
	{.name = "health.grace_ms", .type = MN_CONFIG_INT, .def = "5000", .desc = "how long a kernel task may stay suspended or a driver stopped before the health monitor recovers it", .min = 0, .max = 3600000},
	{.name = "ipc.capacity", .type = MN_CONFIG_INT, .def = "64", .desc = "messages a new IPC channel holds", .min = 1, .max = 65536},
	{.name = "ipc.max_channels", .type = MN_CONFIG_INT, .def = "64", .desc = "IPC channels alive at once", .min = 1, .max = 4096},
	{.name = "timers.max", .type = MN_CONFIG_INT, .def = "256", .desc = "armed timers at once", .min = 1, .max = 100000},
};

int mn_config_create(struct mn_config **out, struct mn_evbus *bus)
{
	struct mn_config *cfg;
	size_t i;
	int rc;

	if (!(cfg = calloc(1, sizeof(*cfg))))
		return -ENOMEM;
	cfg->bus = bus;
	cfg->next_watch = 1;
	if ((rc = -pthread_mutex_init(&cfg->save_lock, NULL)) < 0)
		goto err_free;
	if ((rc = -pthread_mutex_init(&cfg->lock, NULL)) < 0)
		goto err_save;
	for (i = 0; i < sizeof(core_keys) / sizeof(core_keys[0]); i++)
		if ((rc = mn_config_register(cfg, &core_keys[i], NULL)) < 0)
			goto err_keys;
	*out = cfg;
	return 0;
err_keys:
	mn_config_destroy(cfg);
	return rc;
err_save:
	pthread_mutex_destroy(&cfg->save_lock);
err_free:
	free(cfg);
	return rc;
}

void mn_config_destroy(struct mn_config *cfg)
{
	struct cfg_pending *p, *pn;
	struct cfg_watch *w, *wn;
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nkeys; i++)
		mn__config_key_free(cfg->keys[i]);
	free(cfg->keys);
	for (p = cfg->pending; p; p = pn) {
		pn = p->next;
		free(p->key);
		free(p->value);
		free(p);
	}
	for (w = cfg->watches; w; w = wn) {
		wn = w->next;
		free(w->prefix);
		free(w);
	}
	free(cfg->path);
	pthread_mutex_destroy(&cfg->lock);
	pthread_mutex_destroy(&cfg->save_lock);
	free(cfg);
}

/* Caller holds cfg->lock.  Index of name, or -1 - insertion point. */
static long search(struct mn_config *cfg, const char *name)
{
	size_t lo = 0, hi = cfg->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(cfg->keys[mid]->def.name, name);

		if (cmp == 0)
			return (long)mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1 - (long)lo;
}

struct cfg_key *mn__config_find(struct mn_config *cfg, const char *name)
{
	long i = name ? search(cfg, name) : -1;

	return i >= 0 ? cfg->keys[i] : NULL;
}

/* Caller holds both locks.  Takes out a file's value kept for `name`. */
static struct cfg_pending *take_pending(struct mn_config *cfg,
					const char *name)
{
	struct cfg_pending **pp, *p;

	for (pp = &cfg->pending; (p = *pp); pp = &p->next) {
		if (strcmp(p->key, name) == 0) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

/* Caller holds both locks.  Inserts k at its place. */
static int insert_key(struct mn_config *cfg, struct cfg_key *k)
{
	struct cfg_key **keys;
	long at = search(cfg, k->def.name);

	if (at >= 0)
		return -EEXIST;
	if (cfg->nkeys >= MN_CONFIG_MAX_KEYS)
		return -ENOSPC;
	keys = realloc(cfg->keys, (cfg->nkeys + 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	cfg->keys = keys;
	at = -1 - at;
	memmove(&keys[at + 1], &keys[at],
		(cfg->nkeys - (size_t)at) * sizeof(*keys));
	keys[at] = k;
	cfg->nkeys++;
	return 0;
}

int mn_config_register(struct mn_config *cfg, const struct mn_config_key *def,
		       struct mn_strbuf *err)
{
	struct cfg_pending *p;
	struct cfg_key *k;
	int rc;

	if (!(k = mn__config_key_new(def, err, &rc)))
		return rc;
	pthread_mutex_lock(&cfg->save_lock);
	pthread_mutex_lock(&cfg->lock);
	rc = insert_key(cfg, k);
	p = rc == 0 ? take_pending(cfg, k->def.name) : NULL;
	pthread_mutex_unlock(&cfg->lock);
	if (rc < 0 && err)
		mn_strbuf_printf(err, "config key %s: %s", k->def.name,
				 rc == -EEXIST ? "already registered" :
						 "too many keys");
	if (p) {
		/* no one else changes values while we hold save_lock */
		char canon[MN_CONFIG_VALUE_MAX];
		int64_t v;
		struct mn_strbuf why = MN_STRBUF_INIT;

		if (mn__config_parse(k, p->value, canon, &v, &why) == 0) {
			pthread_mutex_lock(&cfg->lock);
			memcpy(k->value, canon, sizeof(canon));
			k->ival = v;
			pthread_mutex_unlock(&cfg->lock);
		} else if (err) {
			mn_strbuf_printf(err, "warning: value from the config "
					 "file ignored, default used: %s",
					 mn_strbuf_str(&why));
		}
		mn_strbuf_release(&why);
		free(p->key);
		free(p->value);
		free(p);
	}
	pthread_mutex_unlock(&cfg->save_lock);
	if (rc < 0)
		mn__config_key_free(k);
	return rc;
}

/* --- reading -------------------------------------------------------------- */

int mn_config_get(struct mn_config *cfg, const char *key, char *buf,
		  size_t size)
{
	struct cfg_key *k;
	int rc;

	pthread_mutex_lock(&cfg->lock);
	if ((k = mn__config_find(cfg, key)))
		rc = snprintf(buf, size, "%s", k->value);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&cfg->lock);
	return rc;
}

int mn_config_get_str(struct mn_config *cfg, const char *key, char *buf,
		      size_t size)
{
	return mn_config_get(cfg, key, buf, size);
}

/* Typed read: types allowed as a bit mask of enum mn_config_type. */
static int get_typed(struct mn_config *cfg, const char *key, unsigned mask,
		     int64_t *out)
{
	struct cfg_key *k;
	int rc = 0;

	pthread_mutex_lock(&cfg->lock);
	if (!(k = mn__config_find(cfg, key)))
		rc = -ENOENT;
	else if (!(mask & (1u << k->def.type)))
		rc = -EINVAL;
	else
		*out = k->ival;
	pthread_mutex_unlock(&cfg->lock);
	return rc;
}

int mn_config_get_int(struct mn_config *cfg, const char *key, int64_t *out)
{
	return get_typed(cfg, key,
			 (1u << MN_CONFIG_INT) | (1u << MN_CONFIG_SIZE) |
				 (1u << MN_CONFIG_BOOL) |
				 (1u << MN_CONFIG_ENUM),
			 out);
}

int mn_config_get_bool(struct mn_config *cfg, const char *key, int *out)
{
	int64_t v;
	int rc = get_typed(cfg, key, 1u << MN_CONFIG_BOOL, &v);

	if (rc == 0)
		*out = (int)v;
	return rc;
}

int64_t mn_config_int_or(struct mn_config *cfg, const char *key,
			 int64_t fallback)
{
	int64_t v;

	return mn_config_get_int(cfg, key, &v) == 0 ? v : fallback;
}

/* --- changing ------------------------------------------------------------- */

void mn__config_notify(struct mn_config *cfg, const struct cfg_change *ch,
		       size_t n)
{
	struct call {
		void (*fn)(void *, const char *, const char *);
		void *arg;
		size_t change;
	} *calls = NULL;
	struct cfg_watch *w;
	size_t i, ncalls = 0, nw = 0;

	/* copy the matching watchers, so none is called under the lock */
	pthread_mutex_lock(&cfg->lock);
	for (w = cfg->watches; w; w = w->next)
		nw++;
	if (nw && n)
		calls = calloc(nw * n, sizeof(*calls));
	for (i = 0; calls && i < n; i++) {
		for (w = cfg->watches; w; w = w->next) {
			if (strncmp(ch[i].key, w->prefix,
				    strlen(w->prefix)) != 0)
				continue;
			calls[ncalls].fn = w->fn;
			calls[ncalls].arg = w->arg;
			calls[ncalls++].change = i;
		}
	}
	pthread_mutex_unlock(&cfg->lock);
	for (i = 0; i < ncalls; i++)
		calls[i].fn(calls[i].arg, ch[calls[i].change].key,
			    ch[calls[i].change].value);
	free(calls);
}

void mn__config_changed(struct mn_config *cfg, const struct cfg_key *k,
			int32_t pid)
{
	if (cfg->bus)
		mn_evbus_publish_custom(cfg->bus, MN_CUSTOM_CONFIG,
					MN_SRC_KERNEL, pid, "%s=%s",
					k->def.name, k->value);
}

/* The key's entry, or NULL with "unknown config key" in err (may be NULL). */
static struct cfg_key *known_key(struct mn_config *cfg, const char *key,
				 struct mn_strbuf *err)
{
	struct cfg_key *k;

	pthread_mutex_lock(&cfg->lock);
	k = mn__config_find(cfg, key);
	pthread_mutex_unlock(&cfg->lock);
	if (!k)
		mn_strbuf_errf(err, "unknown config key '%s'", key ? key : "");
	return k;
}

/*
 * Caller holds save_lock.  Resolves a key that may be changed by a person:
 * NULL with -ENOENT/-EPERM in *rc and a message otherwise.
 */
static struct cfg_key *writable_key(struct mn_config *cfg, const char *key,
				    struct mn_strbuf *err, int *rc)
{
	struct cfg_key *k = known_key(cfg, key, err);

	*rc = 0;
	if (!k) {
		*rc = -ENOENT;
	} else if (k->def.flags & MN_CONFIG_F_READONLY) {
		*rc = -EPERM;
		if (err)
			mn_strbuf_printf(err, "%s is read-only", k->def.name);
		k = NULL;
	}
	return k;
}

/*
 * Caller holds save_lock, not lock.  Stores canon in k and, with autosave,
 * writes the file; a failed write restores the old value.  1 or -errno.
 */
static int store(struct mn_config *cfg, struct cfg_key *k, const char *canon,
		 int64_t v, int32_t pid, struct mn_strbuf *err)
{
	char old[MN_CONFIG_VALUE_MAX];
	struct mn_strbuf file = MN_STRBUF_INIT;
	char *path = NULL;
	int64_t oldv;
	int rc = 1, wrc;

	pthread_mutex_lock(&cfg->lock);
	memcpy(old, k->value, sizeof(old));
	oldv = k->ival;
	snprintf(k->value, sizeof(k->value), "%s", canon);
	k->ival = v;
	if (cfg->path) {
		path = strdup(cfg->path);
		mn__config_render(cfg, &file);
		if (!path || mn_strbuf_error(&file) < 0)
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&cfg->lock);
	if (rc > 0 && path && (wrc = mn__config_write_atomic(
				       path, file.buf, file.len, err)) < 0)
		rc = wrc;
	pthread_mutex_lock(&cfg->lock);
	if (rc < 0) {
		memcpy(k->value, old, sizeof(old));
		k->ival = oldv;
		if (err)
			mn_strbuf_printf(err, "%s%s keeps its value %s",
					 rc == -ENOMEM ? "out of memory; " :
							 "; ",
					 k->def.name, old);
	} else {
		mn__config_changed(cfg, k, pid);
	}
	pthread_mutex_unlock(&cfg->lock);
	free(path);
	mn_strbuf_release(&file);
	return rc;
}

/* set (text) or reset (text NULL). */
static int change(struct mn_config *cfg, const char *key, const char *text,
		  int32_t pid, struct mn_strbuf *err)
{
	struct cfg_change ch;
	struct cfg_key *k;
	int64_t v;
	int rc, same;

	pthread_mutex_lock(&cfg->save_lock);
	if (!(k = writable_key(cfg, key, err, &rc)))
		goto out;
	if (!text) {
		memcpy(ch.value, k->def_value, sizeof(ch.value));
		v = k->def_ival;
	} else if ((rc = mn__config_parse(k, text, ch.value, &v, err)) < 0) {
		goto out;
	}
	pthread_mutex_lock(&cfg->lock);
	same = strcmp(k->value, ch.value) == 0;
	pthread_mutex_unlock(&cfg->lock);
	rc = same ? 0 : store(cfg, k, ch.value, v, pid, err);
out:
	pthread_mutex_unlock(&cfg->save_lock);
	if (rc > 0) {
		snprintf(ch.key, sizeof(ch.key), "%s", k->def.name);
		mn__config_notify(cfg, &ch, 1);
	}
	return rc;
}

int mn_config_set(struct mn_config *cfg, const char *key, const char *value,
		  int32_t pid, struct mn_strbuf *err)
{
	if (!value) {
		if (err)
			mn_strbuf_printf(err, "%s: no value", key ? key : "");
		return -EINVAL;
	}
	return change(cfg, key, value, pid, err);
}

int mn_config_reset(struct mn_config *cfg, const char *key, int32_t pid,
		    struct mn_strbuf *err)
{
	return change(cfg, key, NULL, pid, err);
}

int mn_config_check(struct mn_config *cfg, const char *key, const char *value,
		    char *canon, size_t canon_size, struct mn_strbuf *err)
{
	char buf[MN_CONFIG_VALUE_MAX];
	struct cfg_key *k;
	int64_t v;
	int rc;

	k = known_key(cfg, key, err);
	if (!k)
		return -ENOENT;
	rc = mn__config_parse(k, value, buf, &v, err);
	if (rc == 0 && canon && canon_size)
		snprintf(canon, canon_size, "%s", buf);
	return rc;
}

int mn_config_set_path(struct mn_config *cfg, const char *path)
{
	char *copy = NULL;

	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	pthread_mutex_lock(&cfg->lock);
	free(cfg->path);
	cfg->path = copy;
	pthread_mutex_unlock(&cfg->lock);
	return 0;
}

/* --- watchers ------------------------------------------------------------- */

int mn_config_watch(struct mn_config *cfg, const char *prefix,
		    void (*fn)(void *arg, const char *key, const char *value),
		    void *arg)
{
	struct cfg_watch *w, **pp;
	int id;

	if (!fn)
		return -EINVAL;
	if (!(w = calloc(1, sizeof(*w))))
		return -ENOMEM;
	if (!(w->prefix = strdup(prefix ? prefix : ""))) {
		free(w);
		return -ENOMEM;
	}
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&cfg->lock);
	id = w->id = cfg->next_watch++;
	for (pp = &cfg->watches; *pp; pp = &(*pp)->next)
		;	/* append: watchers run in the order they came */
	*pp = w;
	pthread_mutex_unlock(&cfg->lock);
	return id;
}

int mn_config_unwatch(struct mn_config *cfg, int watch_id)
{
	struct cfg_watch **pp, *w = NULL;

	pthread_mutex_lock(&cfg->lock);
	for (pp = &cfg->watches; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == watch_id) {
			w = *pp;
			*pp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&cfg->lock);
	if (!w)
		return -ENOENT;
	free(w->prefix);
	free(w);
	return 0;
}

/* --- listing and formatting ----------------------------------------------- */

/* Caller holds cfg->lock. */
static void fill_info(const struct cfg_key *k, struct mn_config_info *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", k->def.name);
	out->type = k->def.type;
	out->flags = k->def.flags;
	memcpy(out->value, k->value, sizeof(out->value));
	memcpy(out->def, k->def_value, sizeof(out->def));
	out->is_default = strcmp(k->value, k->def_value) == 0;
}

static int has_prefix(const char *name, const char *prefix)
{
	return !prefix || strncmp(name, prefix, strlen(prefix)) == 0;
}

int mn_config_list(struct mn_config *cfg, const char *prefix,
		   struct mn_config_info *out, size_t max)
{
	size_t i, n = 0;

	pthread_mutex_lock(&cfg->lock);
	for (i = 0; i < cfg->nkeys; i++) {
		if (!has_prefix(cfg->keys[i]->def.name, prefix))
			continue;
		if (n < max)
			fill_info(cfg->keys[i], &out[n]);
		n++;
	}
	pthread_mutex_unlock(&cfg->lock);
	return (int)n;
}

int mn_config_info(struct mn_config *cfg, const char *key,
		   struct mn_config_info *out)
{
	struct cfg_key *k;
	int rc = 0;

	pthread_mutex_lock(&cfg->lock);
	if ((k = mn__config_find(cfg, key)))
		fill_info(k, out);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&cfg->lock);
	return rc;
}

int mn_config_format_type(struct mn_config *cfg, const char *key,
			  struct mn_strbuf *out)
{
	struct cfg_key *k;

	pthread_mutex_lock(&cfg->lock);
	k = mn__config_find(cfg, key);
	pthread_mutex_unlock(&cfg->lock);
	if (!k)
		return -ENOENT;
	mn__config_describe(k, out);	/* the definition needs no lock */
	return mn_strbuf_error(out);
}

int mn_config_format_table(struct mn_config *cfg, const char *prefix,
			   struct mn_strbuf *out)
{
	struct mn_strbuf type = MN_STRBUF_INIT;
	struct mn_texttable t;
	size_t i;
	int rc;

	mn_texttable_init(&t, 4);
	mn_texttable_cell(&t, "KEY");
	mn_texttable_cell(&t, "VALUE");
	mn_texttable_cell(&t, "DEFAULT");
	mn_texttable_cell(&t, "TYPE");
	pthread_mutex_lock(&cfg->lock);
	for (i = 0; i < cfg->nkeys; i++) {
		const struct cfg_key *k = cfg->keys[i];

		if (!has_prefix(k->def.name, prefix))
			continue;
		mn_strbuf_reset(&type);
		mn__config_describe(k, &type);
		if (k->def.flags & MN_CONFIG_F_RESTART)
			mn_strbuf_puts(&type, " (restart)");
		if (k->def.flags & MN_CONFIG_F_READONLY)
			mn_strbuf_puts(&type, " (read-only)");
		mn_texttable_cell(&t, "%s", k->def.name);
		mn_texttable_cell(&t, "%s", k->value);
		mn_texttable_cell(&t, "%s", k->def_value);
		mn_texttable_cell(&t, "%s", mn_strbuf_str(&type));
	}
	pthread_mutex_unlock(&cfg->lock);
	rc = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	mn_strbuf_release(&type);
	return rc;
}

int mn_config_format_key(struct mn_config *cfg, const char *key,
			 struct mn_strbuf *out)
{
	static const struct {
		unsigned flag;
		const char *name;
	} flag_names[] = {
		{MN_CONFIG_F_RESTART, "restart"},
		{MN_CONFIG_F_READONLY, "read-only"},
	};
	struct mn_config_info info;
	struct cfg_key *k;
	size_t i;

	pthread_mutex_lock(&cfg->lock);
	if ((k = mn__config_find(cfg, key)))
		fill_info(k, &info);
	pthread_mutex_unlock(&cfg->lock);
	if (!k)
		return -ENOENT;
	mn_strbuf_printf(out, "key: %s\nvalue: %s\ndefault: %s\ntype: ",
			 info.name, info.value, info.def);
	mn__config_describe(k, out);
	mn_strbuf_printf(out, "\ndescription: %s\nflags:", k->def.desc);
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (info.flags & flag_names[i].flag)
			mn_strbuf_printf(out, " %s", flag_names[i].name);
	mn_strbuf_puts(out, info.flags ? "\n" : " -\n");
	return mn_strbuf_error(out);
}
