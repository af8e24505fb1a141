/*
 * log.c - the logger service: a ring of recent lines plus an optional sink
 * (see include/micronos/log.h).
 *
 * The level lives in an atomic so that mn_log_enabled(), which MN_LOG()
 * calls before evaluating its arguments, is one relaxed load and takes no
 * lock.  A kept line is formatted into a local buffer first, then copied
 * into the ring under the mutex, so the lock is held for a copy, not for a
 * vsnprintf of arbitrary arguments.  The sink is written after the unlock:
 * stderr may be a pipe that nobody drains, and a full pipe must never stall
 * a module that logs while holding its own lock.
 *
 * The ring is indexed by line sequence number (seq % capacity) and holds
 * the lines [first_seq, next_seq), like the event bus history.
 */
#include <micronos/clock.h>
#include <micronos/log.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mn_log {
	const struct mn_clock *clock;	/* borrowed; set once */
	_Atomic int level;		/* lock-free: read on every MN_LOG */
	pthread_mutex_t lock;
	/* protected by lock: */
	FILE *sink;			/* borrowed */
	struct mn_log_entry *ring;
	size_t cap;
	uint64_t first_seq;		/* oldest line held */
	uint64_t next_seq;		/* next line's seq; starts at 1 */
	uint64_t counts[MN_LOG__COUNT];
};

static const char *const level_names[MN_LOG__COUNT] = {
	[MN_LOG_DEBUG] = "debug",
	[MN_LOG_INFO] = "info",
	[MN_LOG_NOTICE] = "notice",
	[MN_LOG_WARNING] = "warning",
	[MN_LOG_ERROR] = "error",
};

/* Short forms people type; matched after the full names. */
static const struct {
	const char *name;
	int level;
} level_aliases[] = {
	{"warn", MN_LOG_WARNING},
	{"err", MN_LOG_ERROR},
};

const char *mn_log_level_name(int level)
{
	return level >= 0 && level < MN_LOG__COUNT ? level_names[level] : "?";
}

int mn_log_level_parse(const char *name)
{
	size_t i;

	if (!name)
		return -EINVAL;
	if (name[0] >= '0' && name[0] < '0' + MN_LOG__COUNT && !name[1])
		return name[0] - '0';
	for (i = 0; i < MN_LOG__COUNT; i++) {
		if (strcasecmp(level_names[i], name) == 0)
			return (int)i;
	}
	for (i = 0; i < sizeof(level_aliases) / sizeof(level_aliases[0]); i++) {
		if (strcasecmp(level_aliases[i].name, name) == 0)
			return level_aliases[i].level;
	}
	return -EINVAL;
}

int mn_log_create(struct mn_log **out, size_t lines,
		  const struct mn_clock *clock)
{
	struct mn_log *log;
	int err = -EINVAL;

	if (!lines)
		lines = MN_LOG_DEFAULT_LINES;
	if (!out || lines > MN_LOG_MAX_LINES)
		return err;
	err = -ENOMEM;
	if (!(log = calloc(1, sizeof(*log))))
		return err;
	if (!(log->ring = calloc(lines, sizeof(*log->ring))))
		goto unwind_log;
	if ((err = -pthread_mutex_init(&log->lock, NULL)) < 0)
		goto unwind_ring;
	log->clock = clock;
	atomic_init(&log->level, MN_LOG_INFO);
	log->cap = lines;
	log->first_seq = 1;
	log->next_seq = 1;
	*out = log;
	return 0;
unwind_ring:
	free(log->ring);
unwind_log:
	free(log);
	return err;
}

void mn_log_destroy(struct mn_log *log)
{
	if (!log)
		return;
	pthread_mutex_destroy(&log->lock);
	free(log->ring);
	free(log);
}

void mn_log_set_sink(struct mn_log *log, FILE *sink)
{
	pthread_mutex_lock(&log->lock);
	log->sink = sink;
	pthread_mutex_unlock(&log->lock);
}

int mn_log_set_level(struct mn_log *log, int level)
{
	if (!log || level < 0 || level >= MN_LOG__COUNT)
		return -EINVAL;
	atomic_store_explicit(&log->level, level, memory_order_relaxed);
	return 0;
}

enum mn_log_level mn_log_get_level(const struct mn_log *log)
{
	return (enum mn_log_level)atomic_load_explicit(&log->level,
						       memory_order_relaxed);
}

int mn_log_enabled(const struct mn_log *log, int level)
{
	return log && level >= (int)mn_log_get_level(log);
}

/* Out-of-range levels are kept as the nearest real one, never lost. */
static int clamp_level(int level)
{
	if (level < 0)
		return MN_LOG_DEBUG;
	return level >= MN_LOG__COUNT ? MN_LOG_ERROR : level;
}

static void format_line(struct mn_strbuf *out, const struct mn_log_entry *e)
{
	mn_strbuf_printf(out, "[%5llu.%06llu] %s: %s\n",
			 (unsigned long long)(e->time_ns / MN_NSEC_PER_SEC),
			 (unsigned long long)(e->time_ns % MN_NSEC_PER_SEC /
					      1000),
			 mn_log_level_name(e->level), e->text);
}

/* Writes to the sink outside the lock; the FILE lock keeps lines whole. */
static void to_sink(FILE *sink, const struct mn_log_entry *e)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;

	format_line(&sb, e);
	fputs(mn_strbuf_str(&sb), sink);
	fflush(sink);
	mn_strbuf_release(&sb);
}

/*
 * One record is one line, always: a control character inside the text (a
 * newline in a value someone wrote to a control file) is written as an
 * escape (\n, \r, \t, \xHH), and the text is cut at MN_LOG_LINE_MAX.
 */
static void copy_one_line(char *dst, const char *src)
{
	size_t o = 0;

	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;
		char esc[5];
		size_t n;

		if (c >= ' ' && c != 0x7f) {
			esc[0] = (char)c;
			n = 1;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			n = 2;
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			n = 4;
		}
		if (o + n > MN_LOG_LINE_MAX)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = '\0';
}

void mn_log_vwrite(struct mn_log *log, int level, const char *fmt,
		   va_list ap)
{
	char raw[MN_LOG_LINE_MAX + 1];
	struct mn_log_entry e;
	size_t len;
	FILE *sink;

	level = clamp_level(level);
	if (!mn_log_enabled(log, level) || !fmt)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	len = strlen(raw);
	while (len > 0 && raw[len - 1] == '\n')
		raw[--len] = '\0';
	copy_one_line(e.text, raw);
	e.level = level;
	pthread_mutex_lock(&log->lock);
	if (log->next_seq - log->first_seq == log->cap)
		log->first_seq++;
	e.seq = log->next_seq++;
	e.time_ns = mn_clock_now_ns(log->clock);
	log->ring[e.seq % log->cap] = e;
	log->counts[level]++;
	sink = log->sink;
	pthread_mutex_unlock(&log->lock);
	if (sink)
		to_sink(sink, &e);
}

void mn_log_write(struct mn_log *log, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mn_log_vwrite(log, level, fmt, ap);
	va_end(ap);
}

size_t mn_log_snapshot(struct mn_log *log, struct mn_log_entry *out,
		       size_t max, int min_level)
{
	size_t n = 0;
	uint64_t s;

	if (!max)
		return 0;
	pthread_mutex_lock(&log->lock);
	/* Newest first into the tail of out, then slide to the front. */
	for (s = log->next_seq; s > log->first_seq && n < max; s--) {
		const struct mn_log_entry *e = &log->ring[(s - 1) % log->cap];

		if (e->level >= min_level)
			out[max - 1 - n++] = *e;
	}
	pthread_mutex_unlock(&log->lock);
	if (n < max)
		memmove(out, out + (max - n), n * sizeof(*out));
	return n;
}

int mn_log_recent(struct mn_log *log, struct mn_strbuf *out, size_t max_lines,
		  int min_level)
{
	struct mn_log_entry *lines;
	size_t cap = mn_log_capacity(log), i, n;
	int ret;

	if (!max_lines || max_lines > cap)
		max_lines = cap;
	if (!(lines = malloc(max_lines * sizeof(*lines))))
		return -ENOMEM;
	n = mn_log_snapshot(log, lines, max_lines, min_level);
	for (i = 0; i < n; i++)
		format_line(out, &lines[i]);
	free(lines);
	ret = mn_strbuf_error(out);
	return ret < 0 ? ret : (int)n;
}

int mn_log_resize(struct mn_log *log, size_t lines)
{
	struct mn_log_entry *ring;
	uint64_t s;

	if (!log || lines < 1 || lines > MN_LOG_MAX_LINES)
		return -EINVAL;
	if (!(ring = calloc(lines, sizeof(*ring))))
		return -ENOMEM;
	pthread_mutex_lock(&log->lock);
	if (log->next_seq - log->first_seq > lines)
		log->first_seq = log->next_seq - lines;
	for (s = log->first_seq; s < log->next_seq; s++)
		ring[s % lines] = log->ring[s % log->cap];
	free(log->ring);
	log->ring = ring;
	log->cap = lines;
	pthread_mutex_unlock(&log->lock);
	return 0;
}

size_t mn_log_capacity(struct mn_log *log)
{
	size_t cap;

	pthread_mutex_lock(&log->lock);
	cap = log->cap;
	pthread_mutex_unlock(&log->lock);
	return cap;
}

void mn_log_clear(struct mn_log *log)
{
	pthread_mutex_lock(&log->lock);
	log->first_seq = log->next_seq;
	pthread_mutex_unlock(&log->lock);
}

uint64_t mn_log_count(struct mn_log *log, int level)
{
	uint64_t n = 0;

	if (level < 0 || level >= MN_LOG__COUNT)
		return 0;
	pthread_mutex_lock(&log->lock);
	n = log->counts[level];
	pthread_mutex_unlock(&log->lock);
	return n;
}
