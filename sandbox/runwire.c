/*
 * runwire - micronos-run's conversation with a running instance: the
 * request payload and the frame reader (protocol in sandbox.h).
 *
 * Both ends use this file: micronos-run encodes and reads the answer,
 * the instance's "run" handler (service.c) decodes and reads the signal
 * frames.  The payload is a list of NUL-terminated "key=value" items,
 * which keeps argv and environment strings byte-exact (no quoting) and
 * lets either side skip keys it does not know.  Everything coming from the
 * other end is checked: sizes before allocations, numbers for range,
 * frames for syntax.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/sched.h>

#include "sandbox.h"

#define HDR_MAX 300

/* ------------------------------------------------------------------ */
/* the request */

static void item(struct mn_strbuf *out, const char *key, const char *val)
{
	mn_strbuf_printf(out, "%s=%s", key, val);
	mn_strbuf_putc(out, '\0');
}

static void item_u64(struct mn_strbuf *out, const char *key, uint64_t v)
{
	mn_strbuf_printf(out, "%s=%" PRIu64, key, v);
	mn_strbuf_putc(out, '\0');
}

int mn_run_request_encode(const struct mn_run_request *r,
			  struct mn_strbuf *out)
{
	const struct mn_sandbox_spawn *sp = &r->sp;
	const char *const *v;

	if (!sp->argv || !sp->argv[0])
		return -EINVAL;
	item(out, "v", MN_RUN_PROTO);
	for (v = sp->argv; *v; v++)
		item(out, "arg", *v);
	for (v = sp->envp; v && *v; v++)
		item(out, "env", *v);
	if (sp->cwd)
		item(out, "cwd", sp->cwd);
	item_u64(out, "cwd_strict", (uint64_t)!!sp->cwd_strict);
	item_u64(out, "uid", sp->uid);
	item_u64(out, "gid", sp->gid);
	item(out, "prio", mn_prio_name(sp->prio));
	item_u64(out, "mem", sp->mem_limit);
	item_u64(out, "trace", (uint64_t)!!sp->trace_files);
	item_u64(out, "events", (uint64_t)!!r->events);
	if (sp->faults && *sp->faults)
		item(out, "faults", sp->faults);
	return mn_strbuf_error(out) ? -ENOMEM : 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* One "key=value" item into r (argv/env are counted, not stored, here). */
static int decode_item(struct mn_run_request *r, const char *it,
		       struct mn_strbuf *err)
{
	const char *eq = strchr(it, '=');
	const char *val = eq ? eq + 1 : "";
	size_t klen = eq ? (size_t)(eq - it) : strlen(it);
	uint64_t v = 0;
	int e = 0;

#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(it, k, klen))
	if (KEY("v")) {
		if (strcmp(val, MN_RUN_PROTO))
			e = -EINVAL;
	} else if (KEY("cwd")) {
		r->sp.cwd = val;
	} else if (KEY("faults")) {
		r->sp.faults = val;	/* checked when they are added */
	} else if (KEY("cwd_strict") || KEY("trace") || KEY("events")) {
		e = parse_u64(val, 1, &v);
		if (KEY("cwd_strict"))
			r->sp.cwd_strict = (int)v;
		else if (KEY("trace"))
			r->sp.trace_files = (int)v;
		else
			r->events = (int)v;
	} else if (KEY("uid") || KEY("gid")) {
		e = parse_u64(val, MN_SANDBOX_ID_COUNT - 1, &v);
		*(KEY("uid") ? &r->sp.uid : &r->sp.gid) = (uint32_t)v;
	} else if (KEY("prio")) {
		e = mn_prio_parse(val);
		if (e >= 0)
			r->sp.prio = (enum mn_prio_class)e;
	} else if (KEY("mem")) {
		e = parse_u64(val, UINT64_MAX, &r->sp.mem_limit);
	}
	/* unknown keys are skipped: a newer client's extras */
#undef KEY
	if (e < 0)
		mn_strbuf_printf(err, "run request: bad item \"%.*s\"",
				 (int)(klen + 1 + strlen(val) > 80 ? 80 :
				       klen + 1 + strlen(val)), it);
	return e < 0 ? -EINVAL : 0;
}

int mn_run_request_decode(struct mn_run_request *r, const char *data,
			  size_t len, struct mn_strbuf *err)
{
	size_t at, nargs = 0, nenv = 0, ia = 0, ie;
	int e;

	if (len == 0 || len > MN_RUN_REQUEST_MAX || data[len - 1] != '\0') {
		mn_strbuf_printf(err, "run request: malformed (%zu bytes)",
				 len);
		return len > MN_RUN_REQUEST_MAX ? -E2BIG : -EINVAL;
	}
	r->buf = malloc(len);
	if (!r->buf)
		return -ENOMEM;
	memcpy(r->buf, data, len);
	r->sp.uid = r->sp.gid = MN_SANDBOX_USER_UID;
	r->sp.prio = MN_PRIO_DEFAULT;
	for (at = 0; at < len; at += strlen(r->buf + at) + 1) {
		const char *it = r->buf + at;

		if (!strncmp(it, "arg=", 4))
			nargs++;
		else if (!strncmp(it, "env=", 4))
			nenv++;
		else if ((e = decode_item(r, it, err)) < 0)
			return e;
	}
	if (nargs == 0 || nargs + nenv > MN_RUN_ITEMS_MAX) {
		mn_strbuf_printf(err, "run request: %s", nargs ? "too many "
				 "arguments" : "no program given");
		return nargs ? -E2BIG : -EINVAL;
	}
	r->vec = calloc(nargs + nenv + 2, sizeof(char *));
	if (!r->vec)
		return -ENOMEM;
	ie = nargs + 1;
	for (at = 0; at < len; at += strlen(r->buf + at) + 1) {
		if (!strncmp(r->buf + at, "arg=", 4))
			r->vec[ia++] = r->buf + at + 4;
		else if (!strncmp(r->buf + at, "env=", 4))
			r->vec[ie++] = r->buf + at + 4;
	}
	r->sp.argv = r->vec;
	r->sp.envp = r->vec + nargs + 1;
	return 0;
}

void mn_run_request_release(struct mn_run_request *r)
{
	free(r->buf);
	free(r->vec);
	r->buf = NULL;
	r->vec = NULL;
}

/* ------------------------------------------------------------------ */
/* frames */

void mn_run_reader_init(struct mn_run_reader *r, int fd)
{
	r->fd = fd;
	r->start = r->end = 0;
}

int mn_run_reader_buffered(const struct mn_run_reader *r)
{
	return r->start < r->end;
}

/* Refills the buffer: > 0 bytes, -ESHUTDOWN at EOF, -errno. */
static int fill(struct mn_run_reader *r, int timeout_ms)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	ssize_t n;
	int pr;

	if (r->start == r->end)
		r->start = r->end = 0;
	if (r->end == sizeof(r->buf)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do
		pr = poll(&p, 1, timeout_ms);
	while (pr < 0 && errno == EINTR);
	if (pr == 0)
		return -ETIMEDOUT;
	do
		n = read(r->fd, r->buf + r->end, sizeof(r->buf) - r->end);
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return -ESHUTDOWN;
	if (n < 0)
		return -errno;
	r->end += (size_t)n;
	return (int)n;
}

static int read_line(struct mn_run_reader *r, char *line, size_t cap,
		     int timeout_ms)
{
	size_t len = 0;
	int n;

	for (;;) {
		while (r->start < r->end) {
			char ch = r->buf[r->start++];

			if (ch == '\n') {
				line[len] = '\0';
				return 0;
			}
			if (len + 1 >= cap)
				return -EPROTO;
			line[len++] = ch;
		}
		if ((n = fill(r, timeout_ms)) < 0)
			return n == -ESHUTDOWN && len ? -EPROTO : n;
	}
}

static int read_payload(struct mn_run_reader *r, struct mn_strbuf *out,
			size_t len, int timeout_ms)
{
	while (len) {
		size_t have = r->end - r->start, take = have < len ? have :
							  len;
		int n;

		if (take) {
			mn_strbuf_add(out, r->buf + r->start, take);
			r->start += take;
			len -= take;
			continue;
		}
		if ((n = fill(r, timeout_ms)) < 0)
			return n == -ESHUTDOWN ? -EPROTO : n;
	}
	return mn_strbuf_error(out) ? -ENOMEM : 0;
}

int mn_run_read_frame(struct mn_run_reader *r, struct mn_run_frame *f,
		      size_t max, int timeout_ms)
{
	char line[HDR_MAX], *end;
	unsigned long long len;
	unsigned flags;
	int e;

	mn_strbuf_reset(&f->data);
	f->code = 0;
	if ((e = read_line(r, line, sizeof(line), timeout_ms)) < 0)
		return e;
	f->tag = line[0];
	if (!f->tag || line[1] != ' ')
		return -EPROTO;
	if (f->tag == '!')
		return mn_strbuf_puts(&f->data, line + 2) < 0 ? -ENOMEM : 0;
	if (f->tag == 'x')
		return sscanf(line + 2, "%d %u", &f->code, &flags) == 2 ? 0 :
		       -EPROTO;
	errno = 0;
	len = strtoull(line + 2, &end, 10);
	if (errno || end == line + 2 || *end || line[2] == '-')
		return -EPROTO;
	if (len > max)
		return -E2BIG;
	return read_payload(r, &f->data, (size_t)len, timeout_ms);
}
