/*
 * strbuf.c - growable text buffers (see include/micronos/strbuf.h).
 *
 * Growth doubles the capacity, starting at 64 bytes, so appending n bytes one
 * at a time costs O(n).  A failed allocation marks the buffer and is reported
 * once by mn_strbuf_error(); callers that build large outputs check at the
 * end rather than after every append.
 */
#include <micronos/strbuf.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mn_strbuf_init(struct mn_strbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->oom = 0;
}

void mn_strbuf_release(struct mn_strbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	mn_strbuf_init(sb);
}

void mn_strbuf_reset(struct mn_strbuf *sb)
{
	sb->len = 0;
	sb->oom = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

const char *mn_strbuf_str(const struct mn_strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *mn_strbuf_detach(struct mn_strbuf *sb, size_t *len_out)
{
	char *s = sb->buf;

	if (len_out)
		*len_out = sb->len;
	if (!s)
		s = calloc(1, 1);
	mn_strbuf_init(sb);
	return s;
}

static int grow(struct mn_strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->oom)
		return -ENOMEM;
	if (extra > ((size_t)-1) / 2 - sb->len)
		goto oom;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p)
		goto oom;
	sb->buf = p;
	sb->cap = cap;
	return 0;
oom:
	sb->oom = 1;
	return -ENOMEM;
}

int mn_strbuf_add(struct mn_strbuf *sb, const void *data, size_t len)
{
	int err = grow(sb, len);

	if (err < 0)
		return err;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int mn_strbuf_puts(struct mn_strbuf *sb, const char *s)
{
	return mn_strbuf_add(sb, s, strlen(s));
}

int mn_strbuf_putc(struct mn_strbuf *sb, char c)
{
	return mn_strbuf_add(sb, &c, 1);
}

int mn_strbuf_vprintf(struct mn_strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, err;

	if ((err = grow(sb, 64)) < 0)
		return err;
	va_copy(ap2, ap);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		return -EINVAL;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		if ((err = grow(sb, (size_t)n)) < 0) {
			sb->buf[sb->len] = '\0';
			return err;
		}
		vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
	return 0;
}

int mn_strbuf_printf(struct mn_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = mn_strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return err;
}

int mn_strbuf_errf(struct mn_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int err;

	if (!sb)
		return 0;
	va_start(ap, fmt);
	err = mn_strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return err;
}

void mn_strbuf_truncate(struct mn_strbuf *sb, size_t len)
{
	if (len >= sb->len)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

int mn_strbuf_error(const struct mn_strbuf *sb)
{
	return sb->oom ? -ENOMEM : 0;
}

const char *mn_fmt_size(char *buf, size_t bufsz, unsigned long long bytes)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	unsigned i = 0;

	while (v >= 1024.0 && i < 4) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, bufsz, "%llu B", bytes);
	else if (v < 10.0)
		snprintf(buf, bufsz, "%.1f %s", v, unit[i]);
	else
		snprintf(buf, bufsz, "%.0f %s", v, unit[i]);
	return buf;
}

const char *mn_fmt_duration(char *buf, size_t bufsz, unsigned long long ns)
{
	unsigned long long s = ns / 1000000000ULL;

	if (ns < 1000ULL)
		snprintf(buf, bufsz, "%llu ns", ns);
	else if (ns < 1000000ULL)
		snprintf(buf, bufsz, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000ULL)
		snprintf(buf, bufsz, "%.1f ms", (double)ns / 1e6);
	else if (s < 60)
		snprintf(buf, bufsz, "%.2f s", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(buf, bufsz, "%llum %02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, bufsz, "%lluh %02llum %02llus", s / 3600,
			 s / 60 % 60, s % 60);
	else
		snprintf(buf, bufsz, "%llud %02lluh %02llum", s / 86400,
			 s / 3600 % 24, s / 60 % 60);
	return buf;
}

int mn_name_valid(const char *s, size_t max, const char *punct)
{
	size_t i, len = s ? strlen(s) : 0;

	if (len == 0 || len >= max)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(punct, s[i])))
			return 0;
	return 1;
}
