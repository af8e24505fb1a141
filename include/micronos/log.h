/*
 * log - the MicronOS logger service.
 *
 * Every module logs through one struct mn_log owned by the kernel.  The
 * logger keeps the most recent lines in a ring (what the shell's `log`
 * command shows), each stamped with MicronOS time, and optionally copies
 * every line to a sink such as stderr.  The level can be changed at run
 * time; the check is one atomic load, and MN_LOG() makes it before the
 * arguments are evaluated, so a filtered debug line costs nearly nothing.
 *
 * Locking: the logger has its own mutex, a leaf lock; logging is safe from
 * any thread, including one that holds another module's lock.  The sink is
 * written after that mutex is released (a blocked stderr never stalls a
 * logger), so lines from different threads may reach the sink in a slightly
 * different order than they have in the ring.
 */
#ifndef MICRONOS_LOG_H
#define MICRONOS_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <micronos/strbuf.h>

struct mn_clock;
struct mn_log;

enum mn_log_level {
	MN_LOG_DEBUG,
	MN_LOG_INFO,
	MN_LOG_NOTICE,
	MN_LOG_WARNING,
	MN_LOG_ERROR,
	MN_LOG__COUNT
};

#define MN_LOG_DEFAULT_LINES 256
#define MN_LOG_MAX_LINES 100000
/* Longest stored line text (bytes, without NUL); longer lines are cut. */
#define MN_LOG_LINE_MAX 200

/* One stored line. */
struct mn_log_entry {
	uint64_t seq;		/* 1, 2, ... in logging order */
	uint64_t time_ns;	/* MicronOS monotonic time */
	int level;		/* enum mn_log_level */
	char text[MN_LOG_LINE_MAX + 1];
};

/*
 * Creates a logger keeping `lines` recent lines (0: default, at most
 * MN_LOG_MAX_LINES, else -EINVAL), at level MN_LOG_INFO, without sink.
 * `clock` is borrowed and must outlive the logger; NULL stamps host
 * monotonic time.
 */
int mn_log_create(struct mn_log **out, size_t lines,
		  const struct mn_clock *clock);
/* Accepts NULL.  The sink is not closed (it is borrowed). */
void mn_log_destroy(struct mn_log *log);

/*
 * Copies every logged line (that passes the level) to `sink`, formatted like
 * mn_log_recent() lines.  Borrowed: the caller keeps it open until it sets
 * another sink or destroys the logger.  NULL: no sink.
 */
void mn_log_set_sink(struct mn_log *log, FILE *sink);

/* -EINVAL for a level out of range. */
int mn_log_set_level(struct mn_log *log, int level);
enum mn_log_level mn_log_get_level(const struct mn_log *log);
/* Nonzero if a line at `level` would be kept.  0 for a NULL logger. */
int mn_log_enabled(const struct mn_log *log, int level);

/*
 * Logs one line (a trailing newline is dropped; text past MN_LOG_LINE_MAX is
 * cut).  Lines below the current level are dropped.  A NULL logger is
 * accepted and does nothing, so modules can run without one in tests.
 */
void mn_log_write(struct mn_log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mn_log_vwrite(struct mn_log *log, int level, const char *fmt,
		   va_list ap);

/*
 * The level test happens before the arguments are evaluated: in
 * MN_LOG(log, MN_LOG_DEBUG, "%s", expensive()) expensive() is not called
 * unless debug lines are kept.  `log` and `level` are evaluated once.
 */
#define MN_LOG(log, level, ...)                                               \
	do {                                                                  \
		struct mn_log *mn_log_l_ = (log);                             \
		int mn_log_v_ = (level);                                      \
		if (mn_log_enabled(mn_log_l_, mn_log_v_))                     \
			mn_log_write(mn_log_l_, mn_log_v_, __VA_ARGS__);      \
	} while (0)

/*
 * Appends up to `max_lines` (0: all) of the newest kept lines at or above
 * `min_level` to `out`, oldest first, one per line:
 *   "[    12.345678] warning: text\n"
 * Returns the number of lines appended, or -ENOMEM.
 */
int mn_log_recent(struct mn_log *log, struct mn_strbuf *out, size_t max_lines,
		  int min_level);
/*
 * Copies up to `max` of the newest kept lines at or above `min_level` into
 * `out`, oldest first.  Returns how many were copied.
 */
size_t mn_log_snapshot(struct mn_log *log, struct mn_log_entry *out,
		       size_t max, int min_level);

/* Changes the ring size keeping the newest lines.  -EINVAL out of range. */
int mn_log_resize(struct mn_log *log, size_t lines);
size_t mn_log_capacity(struct mn_log *log);
/* Empties the ring (sequence numbers and counters continue). */
void mn_log_clear(struct mn_log *log);
/* Lines logged at `level` since create (filtered lines are not counted). */
uint64_t mn_log_count(struct mn_log *log, int level);

/* "debug", "info", "notice", "warning", "error"; "?" out of range. */
const char *mn_log_level_name(int level);
/*
 * Parses a level name, case-insensitive; "warn", "err" and the digits 0..4
 * are accepted too.  Returns the level or -EINVAL.
 */
int mn_log_level_parse(const char *name);

#endif
