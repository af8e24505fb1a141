/*
 * texttable - aligned text tables for the services' formatters.
 *
 * Private to the core (config, timers, ipc, health): cells are added left to
 * right, a row ends after ncols cells; render pads every column but the last
 * to its widest cell, two spaces apart.  Allocation failure is sticky, as in
 * strbuf, and reported by render.
 */
#ifndef MICRONOS_TEXTTABLE_I_H
#define MICRONOS_TEXTTABLE_I_H

#include <stddef.h>

#include <micronos/strbuf.h>

struct mn_texttable {
	size_t ncols;
	size_t ncells;
	size_t cap;
	char **cells;		/* owned */
	int oom;
};

void mn_texttable_init(struct mn_texttable *t, size_t ncols);
void mn_texttable_release(struct mn_texttable *t);
/* Appends one cell (printf format; text cut at 255 bytes). */
void mn_texttable_cell(struct mn_texttable *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends the table to out; 0 or -ENOMEM. */
int mn_texttable_render(const struct mn_texttable *t, struct mn_strbuf *out);

#endif
