/*
 * config - the MicronOS configuration service.
 *
 * Typed keys ("events.history", "log.level", ...) with defaults, descriptions
 * and validation.  The core keys are built in (one table row each, see
 * config.c); later layers (network, VFS, sandbox) add theirs with
 * mn_config_register().  Every value can be read and written as text (the
 * shell's `config`, the files under /sys/config) and read as a typed value
 * by the modules.  A bad value is refused with -EINVAL and a message, and
 * nothing changes.
 *
 * Types and the text they accept (surrounding blanks are ignored, so the
 * "value\n" that `echo value > /sys/...` writes is fine):
 *   int     decimal, optional sign, within [min, max] of the key
 *   bool    true/false, yes/no, on/off, 1/0 (any case); shown true/false
 *   string  printable characters (no control characters), at most max_len
 *           bytes; may be empty
 *   enum    one of the key's names (any case); shown as listed
 *   size    bytes with an optional binary suffix K, M, G, T (also KB/KiB,
 *           any case): "4096", "4K", "16M"; within [min, max]; shown with the
 *           largest suffix that divides it exactly ("64M", "1536K", "100")
 *
 * Persistence: a text file of "key = value" lines; '#' starts a comment line,
 * blank lines are ignored.  mn_config_load() is all-or-nothing: a malformed
 * line or a bad value fails the whole load with "PATH:LINE: message" and
 * changes nothing.  A key that is not registered (yet) is not an error: it is
 * kept aside, reported as a warning, applied when a layer registers that key
 * later in boot (see mn_config_register), and written back by every save, so
 * a file is never stripped of the keys of a layer that did not start this
 * time.
 *
 * Saving is automatic once a path is set with mn_config_set_path(): every
 * successful set/reset rewrites the file atomically (temp file in the same
 * directory, fsync, rename, fsync of the directory).  If that write fails the
 * change is rolled back and the set returns the write's -errno with a
 * message: memory and file never disagree, and the old file stays intact.
 * mn_config_save() writes a file explicitly (any path).
 *
 * Change notification: each change publishes Custom(400) (source kernel,
 * pid of the caller, text "key=value") and then calls the watchers whose
 * prefix matches, in the thread that made the change, with no config lock
 * held (a watcher may read or set keys).
 *
 * Locking: one mutex guards keys, values and watchers; it is taken for short
 * sections only and only the event bus (a leaf) is called under it.  A
 * second mutex serialises set+save so two sets cannot write the file in the
 * wrong order; it is taken before the first and never held while a watcher
 * runs.
 */
#ifndef MICRONOS_CONFIG_H
#define MICRONOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_evbus;
struct mn_config;

enum mn_config_type {
	MN_CONFIG_INT,
	MN_CONFIG_BOOL,
	MN_CONFIG_STRING,
	MN_CONFIG_ENUM,
	MN_CONFIG_SIZE,
	MN_CONFIG__TYPES
};

/* Key names: 1..MN_CONFIG_NAME_MAX-1 of [a-z0-9_.-], dotted, "a.b" style. */
#define MN_CONFIG_NAME_MAX 64
/* Text form of any value, with its NUL. */
#define MN_CONFIG_VALUE_MAX 256
/* Most keys a config holds (core + every layer). */
#define MN_CONFIG_MAX_KEYS 256
/* Most names an enum key may list. */
#define MN_CONFIG_ENUM_MAX 16

/* Flags of a key. */
#define MN_CONFIG_F_RESTART 0x1	/* takes effect at the next boot */
#define MN_CONFIG_F_READONLY 0x2 /* set/reset refused with -EPERM; load
				  * and register still set it */

/*
 * One key's definition.  mn_config_register() copies the struct and every
 * string it points to, so it may live on the stack.
 */
struct mn_config_key {
	const char *name;	/* see MN_CONFIG_NAME_MAX */
	enum mn_config_type type;
	const char *def;	/* default as text; must be valid for the key */
	const char *desc;	/* one line for people; may be NULL */
	/* int and size: inclusive bounds; min == max == 0 means unbounded
	 * (INT64_MIN..INT64_MAX for int, 0..INT64_MAX for size) */
	int64_t min, max;
	/* string: longest value in bytes, 0 = MN_CONFIG_VALUE_MAX - 1 */
	size_t max_len;
	/* enum: the names, NULL-terminated, at most MN_CONFIG_ENUM_MAX; the
	 * typed value of an enum key is the index of its name in this list */
	const char *const *names;
	unsigned flags;		/* MN_CONFIG_F_* */
	/*
	 * Optional extra check, run after the type check on the canonical
	 * text (e.g. hostname characters, an address): 0 to accept, or
	 * -EINVAL with a short reason appended to err (which may be NULL).
	 * Called without any config lock; must not call into the config.
	 */
	int (*validate)(const char *value, struct mn_strbuf *err);
};

/* What mn_config_list() copies out for each key. */
struct mn_config_info {
	char name[MN_CONFIG_NAME_MAX];
	enum mn_config_type type;
	unsigned flags;
	char value[MN_CONFIG_VALUE_MAX];	/* canonical text */
	char def[MN_CONFIG_VALUE_MAX];		/* canonical default */
	int is_default;				/* value == default */
};

/*
 * Creates a config holding the core keys at their defaults (the table in
 * config.c: kernel.hostname, kernel.deterministic, random.seed,
 * events.history, log.level, memory.size, sched.workers, health.period_ms,
 * ipc.capacity, ipc.max_channels, timers.max).  `bus` is borrowed and must
 * outlive the config; NULL publishes nothing.  No path: nothing is saved.
 */
int mn_config_create(struct mn_config **out, struct mn_evbus *bus);
/* Accepts NULL.  Watchers are dropped without being called. */
void mn_config_destroy(struct mn_config *cfg);

/*
 * Adds a key (copied).  -EEXIST if the name is taken, -EINVAL with a message
 * if the definition is bad (name, bounds, default not valid, missing enum
 * names), -ENOSPC past MN_CONFIG_MAX_KEYS.  If a loaded file held a value for
 * this key, that value is applied now (and is the key's value from the
 * start; no event, no watcher); if it is not valid for the key, the default
 * is used, the register still returns 0 and a warning is appended to err.
 * Keys are never removed.
 */
int mn_config_register(struct mn_config *cfg, const struct mn_config_key *def,
		       struct mn_strbuf *err);

/*
 * Reads a value as text (canonical form) into buf.  Returns the length of
 * the text (like snprintf: a result >= size means it was truncated), or
 * -ENOENT for an unknown key.
 */
int mn_config_get(struct mn_config *cfg, const char *key, char *buf,
		  size_t size);
/*
 * Typed reads.  _int works for int, size (bytes), bool (0/1) and enum (the
 * index of the name); -EINVAL for a string key.  _bool: 0/1 for a bool key.
 * _str copies a string key's value (any key's text, in fact) like
 * mn_config_get.  All return -ENOENT for an unknown key; *out is written
 * only on success.
 */
int mn_config_get_int(struct mn_config *cfg, const char *key, int64_t *out);
int mn_config_get_bool(struct mn_config *cfg, const char *key, int *out);
int mn_config_get_str(struct mn_config *cfg, const char *key, char *buf,
		      size_t size);
/*
 * Convenience for modules reading core keys at boot: the typed value, or
 * `fallback` if the key is missing or not numeric.
 */
int64_t mn_config_int_or(struct mn_config *cfg, const char *key,
			 int64_t fallback);

/*
 * Sets a key from text on behalf of `pid` (0: the kernel).  Returns 1 if the
 * value changed, 0 if it already had that value (no event, no watcher, no
 * save), or: -ENOENT unknown key, -EINVAL bad value, -EPERM read-only key,
 * or the -errno of a failed save (the change is then undone).  A message
 * naming the key and the rule broken ("sched.workers: 40 is out of range
 * 1..16") is appended to err (may be NULL) on failure.
 */
int mn_config_set(struct mn_config *cfg, const char *key, const char *value,
		  int32_t pid, struct mn_strbuf *err);
/* Sets a key back to its default; same results as mn_config_set. */
int mn_config_reset(struct mn_config *cfg, const char *key, int32_t pid,
		    struct mn_strbuf *err);

/*
 * Checks a value without setting it: 0 or -ENOENT/-EINVAL with a message.
 * If canon is not NULL it receives the canonical text (size canon_size).
 */
int mn_config_check(struct mn_config *cfg, const char *key, const char *value,
		    char *canon, size_t canon_size, struct mn_strbuf *err);

/*
 * Copies out every key whose name starts with `prefix` (NULL or "": all),
 * sorted by name, into out[0..max).  Returns the number of matching keys
 * (which may exceed max: call again with a bigger array).
 */
int mn_config_list(struct mn_config *cfg, const char *prefix,
		   struct mn_config_info *out, size_t max);
/* One key's description, type and flags.  -ENOENT. */
int mn_config_info(struct mn_config *cfg, const char *key,
		   struct mn_config_info *out);

/*
 * Formatters for the shell's `config` and for /sys.
 * _table: an aligned table with a header row, sorted by key:
 *   KEY               VALUE     DEFAULT   TYPE
 *   events.history    1000      1000      int 1..1000000
 * (the type column notes "(restart)" and "(read-only)" keys).  prefix as in
 * _list.
 * _key: everything about one key, one "field: value" per line: key, value,
 * default, type (as _type), description, flags ("restart", "read-only" or
 * "-"); -ENOENT.
 * _type: the type of a key as text ("int 1..16", "enum debug|info|...",
 * "string <= 64", "size 1M..64G", "bool") into out; -ENOENT.
 * All return 0 or -ENOMEM (strbuf error).
 */
int mn_config_format_table(struct mn_config *cfg, const char *prefix,
			   struct mn_strbuf *out);
int mn_config_format_key(struct mn_config *cfg, const char *key,
			 struct mn_strbuf *out);
int mn_config_format_type(struct mn_config *cfg, const char *key,
			  struct mn_strbuf *out);
const char *mn_config_type_name(enum mn_config_type type);

/*
 * Watchers: fn(arg, key, value) runs after each change of a key whose name
 * starts with `prefix` (copied; "" or NULL: every key), with the new
 * canonical value; both strings are borrowed for the call only.  It runs in
 * the thread that made the change, with no config lock held, after the
 * change is saved.  Returns a watch id (> 0) or -errno (-ENOMEM, -EINVAL).
 * `arg` is borrowed until mn_config_unwatch returns.
 */
int mn_config_watch(struct mn_config *cfg, const char *prefix,
		    void (*fn)(void *arg, const char *key, const char *value),
		    void *arg);
/*
 * Removes a watcher; -ENOENT if unknown.  A call of it already under way in
 * another thread may still finish after this returns.
 */
int mn_config_unwatch(struct mn_config *cfg, int watch_id);

/*
 * Loads a file (format above).  Returns the number of values that changed,
 * or -errno: -ENOENT if the file does not exist (nothing changes: a first
 * boot), -EINVAL for a malformed line or bad value ("PATH:LINE: message" in
 * err, nothing changes), other -errno for I/O errors.  Unknown keys and
 * repeated keys (the last one wins) add a "PATH:LINE: warning: ..." line to
 * warn (may be NULL) but do not fail the load.  Lines are at most 1023
 * bytes; files at most 1 MiB.  Changed keys publish events and call watchers
 * as a set would (pid 0).  Keys the file does not name keep their values.
 * Read-only keys are set too.  Does not save, even when a path is set.
 */
int mn_config_load(struct mn_config *cfg, const char *path,
		   struct mn_strbuf *err, struct mn_strbuf *warn);
/*
 * Writes the configuration to `path` atomically: each key preceded by its
 * description as a comment; a key at its default is written commented out
 * ("# key = default") so a later version's new default applies; then the
 * kept unknown keys.  0 or -errno with a message in err; on failure the old
 * file is left as it was and no temp file remains.
 */
int mn_config_save(struct mn_config *cfg, const char *path,
		   struct mn_strbuf *err);
/*
 * Sets the file that every successful set/reset saves to (copied; NULL
 * turns autosave off).  Does not load or save by itself.  -ENOMEM.
 */
int mn_config_set_path(struct mn_config *cfg, const char *path);

#endif
