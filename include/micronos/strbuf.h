/*
 * strbuf - a growable, always NUL-terminated text buffer.
 *
 * Everything in MicronOS that produces text for a person or a file (shell
 * output, generated /proc and /sys files, CSV exports, error messages)
 * appends to a struct mn_strbuf.  The struct is public so it can live on the
 * stack; its fields are read-only outside strbuf.c.
 *
 * Allocation failure is sticky: the buffer keeps what it had, further appends
 * are dropped and mn_strbuf_error() returns -ENOMEM.
 */
#ifndef MICRONOS_STRBUF_H
#define MICRONOS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct mn_strbuf {
	char *buf;	/* owned; NUL-terminated; NULL until first append */
	size_t len;	/* bytes before the NUL */
	size_t cap;	/* bytes allocated */
	int oom;	/* an append failed */
};

#define MN_STRBUF_INIT {NULL, 0, 0, 0}

void mn_strbuf_init(struct mn_strbuf *sb);
/* Frees the text; the buffer may be reused after mn_strbuf_init(). */
void mn_strbuf_release(struct mn_strbuf *sb);
/* Empties the buffer, keeping its allocation; clears the oom mark. */
void mn_strbuf_reset(struct mn_strbuf *sb);
/* Returns the text, never NULL (an empty buffer gives ""). Borrowed. */
const char *mn_strbuf_str(const struct mn_strbuf *sb);
/* Hands the allocation to the caller (free() it); the buffer is emptied. */
char *mn_strbuf_detach(struct mn_strbuf *sb, size_t *len_out);

int mn_strbuf_add(struct mn_strbuf *sb, const void *data, size_t len);
int mn_strbuf_puts(struct mn_strbuf *sb, const char *s);
int mn_strbuf_putc(struct mn_strbuf *sb, char c);
int mn_strbuf_printf(struct mn_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int mn_strbuf_vprintf(struct mn_strbuf *sb, const char *fmt, va_list ap);
/*
 * As mn_strbuf_printf, but sb may be NULL (then nothing happens and 0 is
 * returned): for the optional `err` message of so many core calls.
 */
int mn_strbuf_errf(struct mn_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Keeps the first len bytes; does nothing if len >= the current length. */
void mn_strbuf_truncate(struct mn_strbuf *sb, size_t len);
/* 0, or -ENOMEM if any append was dropped. */
int mn_strbuf_error(const struct mn_strbuf *sb);

/* "1.5 KiB", "12 MiB": human-readable size into buf (at least 16 bytes). */
const char *mn_fmt_size(char *buf, size_t bufsz, unsigned long long bytes);
/* "850 ns", "12.3 ms", "2h 03m 10s": human-readable duration. */
const char *mn_fmt_duration(char *buf, size_t bufsz, unsigned long long ns);
/*
 * Whether s is a name as the core's tables take them (config keys, health
 * checks, drivers): 1 to max - 1 bytes of a-z, 0-9 and the characters of
 * `punct`.  s may be NULL (not a name).
 */
int mn_name_valid(const char *s, size_t max, const char *punct);

#endif
