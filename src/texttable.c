/*
 * texttable.c - aligned text tables (see texttable_i.h).
 *
 * The services print their state for people (`ipc`, `timers`, `config`,
 * `health`); one helper keeps those tables alike.  Widths count bytes, which
 * is right for the ASCII the services print.
 */
#include "texttable_i.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 256

void mn_texttable_init(struct mn_texttable *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols ? ncols : 1;
}

void mn_texttable_release(struct mn_texttable *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	mn_texttable_init(t, t->ncols);
}

void mn_texttable_cell(struct mn_texttable *t, const char *fmt, ...)
{
	char buf[CELL_MAX];
	va_list ap;
	char **cells;
	size_t cap;

	if (t->oom)
		return;
	if (t->ncells == t->cap) {
		cap = t->cap ? t->cap * 2 : 32;
		cells = realloc(t->cells, cap * sizeof(*cells));
		if (!cells) {
			t->oom = 1;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t->cells[t->ncells] = strdup(buf);
	if (!t->cells[t->ncells])
		t->oom = 1;
	else
		t->ncells++;
}

int mn_texttable_render(const struct mn_texttable *t, struct mn_strbuf *out)
{
	size_t width[16] = {0};
	size_t i, col, len, ncols = t->ncols;

	if (t->oom)
		return -ENOMEM;
	if (ncols > 16)
		return -EINVAL;
	for (i = 0; i < t->ncells; i++) {
		len = strlen(t->cells[i]);
		if (len > width[i % ncols])
			width[i % ncols] = len;
	}
	for (i = 0; i < t->ncells; i++) {
		col = i % ncols;
		mn_strbuf_printf(out, "%-*s  ", (int)width[col], t->cells[i]);
		if (col != ncols - 1 && i != t->ncells - 1)
			continue;
		/* the last column is not padded: no trailing blanks */
		len = out->len;
		while (len > 0 && out->buf[len - 1] == ' ')
			len--;
		mn_strbuf_truncate(out, len);
		mn_strbuf_putc(out, '\n');
	}
	return mn_strbuf_error(out);
}
