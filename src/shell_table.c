/*
 * shell_table.c - aligned tables for shell output.
 *
 * Commands that print lists (ps, top, timers, channels, drivers, ...) add
 * cells one at a time and print once: the widths are known only when every
 * cell is in.  The header row comes first; columns are separated by two
 * spaces, numbers are right-aligned, and the last column is never padded so
 * no line carries trailing blanks.  Allocation failure is sticky, as in
 * strbuf: the table prints what it has and notes the loss.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell_i.h"

static void add(struct mn_tbl *t, char *cell)
{
	size_t col;
	size_t len;

	if (!cell) {
		t->oom = 1;
		return;
	}
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (!cells) {
			free(cell);
			t->oom = 1;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	col = t->ncells % (size_t)t->ncols;
	len = strlen(cell);
	if (len > t->width[col])
		t->width[col] = len;
	t->cells[t->ncells++] = cell;
}

void mn_tbl_init(struct mn_tbl *t, const char *header)
{
	const char *p = header;

	memset(t, 0, sizeof(*t));
	/* Count the columns first: add() needs ncols. */
	t->ncols = 1;
	for (const char *q = header; *q; q++)
		if (*q == '|' && t->ncols < MN_TBL_MAX_COLS)
			t->ncols++;
	for (int i = 0; i < t->ncols; i++) {
		size_t n = strcspn(p, "|");

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

void mn_tbl_cell(struct mn_tbl *t, const char *fmt, ...)
{
	va_list ap;
	char *cell = NULL;

	va_start(ap, fmt);
	if (vasprintf(&cell, fmt, ap) < 0)
		cell = NULL;
	va_end(ap);
	add(t, cell);
}

size_t mn_tbl_rows(const struct mn_tbl *t)
{
	return t->ncells / (size_t)t->ncols - (t->ncells ? 1 : 0);
}

void mn_tbl_free(struct mn_tbl *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = 0;
	t->cap = 0;
}

void mn_tbl_print(struct mn_tbl *t, struct mn_strbuf *out)
{
	size_t ncols = (size_t)t->ncols;
	size_t full = t->ncells - t->ncells % ncols;

	size_t line_start = out->len;

	for (size_t i = 0; i < full; i++) {
		size_t col = i % ncols;
		int w = (int)t->width[col];
		int last = col == ncols - 1;

		if (!col)
			line_start = out->len;
		if (col)
			mn_strbuf_puts(out, "  ");
		if (t->right & (1u << col))
			mn_strbuf_printf(out, "%*s", w, t->cells[i]);
		else if (last)
			mn_strbuf_puts(out, t->cells[i]);
		else
			mn_strbuf_printf(out, "%-*s", w, t->cells[i]);
		if (last) {
			/* Empty trailing cells leave padding: no line ends
			 * in blanks. */
			while (out->len > line_start &&
			       out->buf[out->len - 1] == ' ')
				mn_strbuf_truncate(out, out->len - 1);
			mn_strbuf_putc(out, '\n');
		}
	}
	if (t->oom)
		mn_strbuf_puts(out, "(table truncated: out of memory)\n");
	mn_tbl_free(t);
}
