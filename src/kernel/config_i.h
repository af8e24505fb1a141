/*
 * config_i.h - what config.c, config_types.c and config_file.c share.
 *
 * A key's definition is immutable once registered and keys are never
 * removed, so a struct cfg_key pointer found under the lock stays valid and
 * its definition may be read (and its validate hook called) without the
 * lock; only value/ival change, under cfg->lock.
 *
 * Lock order: save_lock, then lock, then the event bus (leaf).  save_lock
 * is held by everything that changes values or the key set (set, reset,
 * load, register) across the whole change, file write included, so the file
 * is always written in the order the changes were made.  Watchers run with
 * neither held.
 */
#ifndef MICRONOS_CONFIG_I_H
#define MICRONOS_CONFIG_I_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <micronos/config.h>
#include <micronos/strbuf.h>

struct cfg_key {
	/* set at register, then read-only; strings owned */
	struct mn_config_key def;	/* def.names -> names below */
	const char *names[MN_CONFIG_ENUM_MAX + 1];
	size_t nnames;
	char def_value[MN_CONFIG_VALUE_MAX];	/* canonical default */
	int64_t def_ival;
	/* protected by cfg->lock */
	char value[MN_CONFIG_VALUE_MAX];
	int64_t ival;
};

/* A value from a file for a key nobody has registered (yet). */
struct cfg_pending {
	char *key;
	char *value;
	struct cfg_pending *next;
};

struct cfg_watch {
	int id;
	char *prefix;
	void (*fn)(void *arg, const char *key, const char *value);
	void *arg;
	struct cfg_watch *next;
};

struct mn_config {
	pthread_mutex_t save_lock;	/* see above */
	pthread_mutex_t lock;
	struct mn_evbus *bus;		/* borrowed; set once */
	/* protected by lock */
	struct cfg_key **keys;		/* sorted by name */
	size_t nkeys;
	struct cfg_pending *pending;	/* sorted by key */
	struct cfg_watch *watches;
	int next_watch;
	char *path;			/* autosave target, or NULL */
};

/* A change to report to watchers once the locks are dropped. */
struct cfg_change {
	char key[MN_CONFIG_NAME_MAX];
	char value[MN_CONFIG_VALUE_MAX];
};

/* config_types.c */
int mn__config_valid_name(const char *name);
/*
 * Parses text for a key: 0 with the canonical text in canon (size
 * MN_CONFIG_VALUE_MAX) and the typed value in *ival, or -EINVAL with
 * "KEY: reason" in err.  Runs the key's validate hook (no lock held).
 */
int mn__config_parse(const struct cfg_key *k, const char *text, char *canon,
		     int64_t *ival, struct mn_strbuf *err);
/* "int 1..16", "enum a|b", ... */
void mn__config_describe(const struct cfg_key *k, struct mn_strbuf *out);
/* Checks and deep-copies a definition; NULL with a message on error. */
struct cfg_key *mn__config_key_new(const struct mn_config_key *def,
				   struct mn_strbuf *err, int *rc);
void mn__config_key_free(struct cfg_key *k);

/* config.c, caller holds cfg->lock */
struct cfg_key *mn__config_find(struct mn_config *cfg, const char *name);
/* Publishes Custom(400) "key=value" for k's (new) value. */
void mn__config_changed(struct mn_config *cfg, const struct cfg_key *k,
			int32_t pid);
/* config.c, no lock held: calls the watchers for each change. */
void mn__config_notify(struct mn_config *cfg, const struct cfg_change *ch,
		       size_t n);

/* config_file.c, caller holds cfg->lock: the file's text. */
int mn__config_render(struct mn_config *cfg, struct mn_strbuf *out);
/* config_file.c, no lock held: writes text to path atomically. */
int mn__config_write_atomic(const char *path, const char *text, size_t len,
			    struct mn_strbuf *err);

#endif
