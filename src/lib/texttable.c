/*
 * texttable.c - aligned text tables (see texttable_i.h).
 *
 * Every table the core prints for people goes through here, so `ps`,
 * `config` and `antenna` look alike.  Cells are collected first and
 * printed at once: a column's width is known only when every cell is in.
 * The last cell of a row is printed without padding and the row is then
 * stripped of trailing blanks (empty cells at the end leave none), so no
 * line ends in spaces; stripping stops at the row's start.
 */
#include "texttable_i.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 255 /* mn_texttable_init's cut, bytes */

void mn_texttable_init(struct mn_texttable *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols ? ncols : 1;
	t->cell_max = CELL_MAX;
}

void mn_texttable_release(struct mn_texttable *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = 0;
	t->cap = 0;
	t->oom = 0;
}

/* Takes cell over (NULL: out of memory). */
static void add(struct mn_texttable *t, char *cell)
{
	char **cells;
	size_t cap;

	if (!cell || t->oom) {
		free(cell);
		t->oom = 1;
		return;
	}
	if (t->cell_max && strlen(cell) > t->cell_max)
		cell[t->cell_max] = '\0';
	if (t->ncells == t->cap) {
		cap = t->cap ? t->cap * 2 : 32;
		cells = realloc(t->cells, cap * sizeof(*cells));
		if (!cells) {
			free(cell);
			t->oom = 1;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	t->cells[t->ncells++] = cell;
}

void mn_texttable_init_header(struct mn_texttable *t, const char *spec)
{
	const char *p = spec;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	/* count the columns first: a row is ncols cells */
	t->ncols = 1;
	for (; *p; p++)
		if (*p == '|' && t->ncols < MN_TEXTTABLE_MAX_COLS)
			t->ncols++;
	for (p = spec, i = 0; i < t->ncols; i++) {
		n = strcspn(p, "|");
		if (*p == '>') {
			t->right |= 1u << i;
			p++;
			n--;
		}
		add(t, strndup(p, n));
		p += n;
		if (*p == '|')
			p++;
	}
}

void mn_texttable_cell(struct mn_texttable *t, const char *fmt, ...)
{
	va_list ap;
	char *cell = NULL;

	va_start(ap, fmt);
	if (vasprintf(&cell, fmt, ap) < 0)
		cell = NULL;
	va_end(ap);
	add(t, cell);
}

/* One row's end: no trailing blanks, back to the row's start at most. */
static void end_row(struct mn_strbuf *out, size_t start)
{
	size_t len = out->len;

	while (len > start && out->buf[len - 1] == ' ')
		len--;
	mn_strbuf_truncate(out, len);
	mn_strbuf_putc(out, '\n');
}

int mn_texttable_render(const struct mn_texttable *t, struct mn_strbuf *out)
{
	size_t width[MN_TEXTTABLE_MAX_COLS] = {0};
	size_t i, col, len, start = 0, ncols = t->ncols;
	int last;

	if (t->oom)
		return -ENOMEM;
	if (ncols > MN_TEXTTABLE_MAX_COLS)
		return -EINVAL;
	for (i = 0; i < t->ncells; i++) {
		len = strlen(t->cells[i]);
		if (len > width[i % ncols])
			width[i % ncols] = len;
	}
	for (i = 0; i < t->ncells; i++) {
		col = i % ncols;
		last = col == ncols - 1 || i == t->ncells - 1;
		if (col == 0)
			start = out->len;
		else
			mn_strbuf_puts(out, "  ");
		if (t->right & (1u << col))
			mn_strbuf_printf(out, "%*s", (int)width[col],
					 t->cells[i]);
		else if (last)
			mn_strbuf_puts(out, t->cells[i]);
		else
			mn_strbuf_printf(out, "%-*s", (int)width[col],
					 t->cells[i]);
		if (last)
			end_row(out, start);
	}
	return mn_strbuf_error(out);
}

void mn_texttable_print(struct mn_texttable *t, struct mn_strbuf *out)
{
	if (mn_texttable_render(t, out) == -ENOMEM)
		mn_strbuf_puts(out, "(table truncated: out of memory)\n");
	mn_texttable_release(t);
}
