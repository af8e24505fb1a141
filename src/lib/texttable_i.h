/*
 * texttable - aligned text tables, for every table the core prints for
 * people: the services' (config, timers, ipc, health, drivers), the
 * network's and the shell's (ps, top, ls, events stats, ...).
 *
 * Private to the core: cells are added left to right, a row ends after
 * ncols cells; render pads every column but the last to its widest cell,
 * two spaces apart, right-aligns the columns asked for (numbers), and never
 * leaves blanks at the end of a line.  Widths count bytes, which is right
 * for the ASCII printed.  Allocation failure is sticky, as in strbuf, and
 * reported by render.
 *
 * Two ways to make one: mn_texttable_init (the caller adds the header row
 * as cells; cells are cut at 255 bytes) and mn_texttable_init_header (the
 * header comes from a spec that also says which columns are right-aligned;
 * cells are kept whole: ls shows a symlink's whole target).
 */
#ifndef MICRONOS_TEXTTABLE_I_H
#define MICRONOS_TEXTTABLE_I_H

#include <stddef.h>

#include <micronos/strbuf.h>

#define MN_TEXTTABLE_MAX_COLS 16

struct mn_texttable {
	size_t ncols;
	unsigned right;		/* bit i: column i is right-aligned */
	size_t cell_max;	/* longest cell kept, bytes; 0: no limit */
	size_t ncells;
	size_t cap;
	char **cells;		/* owned, row-major */
	int oom;
};

void mn_texttable_init(struct mn_texttable *t, size_t ncols);
/*
 * spec: the '|'-separated column titles, the first row (at most
 * MN_TEXTTABLE_MAX_COLS columns); a title starting with '>' is
 * right-aligned: ">PID|NAME|STATE".
 */
void mn_texttable_init_header(struct mn_texttable *t, const char *spec);
void mn_texttable_release(struct mn_texttable *t);
/* Appends one cell (printf format). */
void mn_texttable_cell(struct mn_texttable *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends the table to out; 0, -ENOMEM (nothing appended) or -EINVAL
 * (more than MN_TEXTTABLE_MAX_COLS columns). */
int mn_texttable_render(const struct mn_texttable *t, struct mn_strbuf *out);
/* Render, then release: for the shell, which prints what it has and a
 * note when memory ran out. */
void mn_texttable_print(struct mn_texttable *t, struct mn_strbuf *out);

#endif
