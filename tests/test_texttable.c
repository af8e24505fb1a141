/*
 * test_texttable - the one table printer of the core (src/lib/texttable.c):
 * widths, right-aligned columns from a header spec, no blanks at the end
 * of a line, a short last row, the 255-byte cut of mn_texttable_init and
 * whole cells with a header spec, reuse after release, too many columns.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "texttable_i.h"

static void header_spec_aligns(void **state)
{
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct mn_texttable t;

	(void)state;
	mn_texttable_init_header(&t, ">PID|NAME|>MEM|NOTE");
	mn_texttable_cell(&t, "%d", 1);
	mn_texttable_cell(&t, "init");
	mn_texttable_cell(&t, "%dK", 12);
	mn_texttable_cell(&t, "%s", "");
	mn_texttable_cell(&t, "%d", 1234);
	mn_texttable_cell(&t, "sh");
	mn_texttable_cell(&t, "%s", "1M");
	mn_texttable_cell(&t, "login shell  ");
	mn_texttable_print(&t, &out);
	assert_string_equal(mn_strbuf_str(&out),
			    " PID  NAME  MEM  NOTE\n"
			    "   1  init  12K\n"
			    "1234  sh     1M  login shell\n");
	assert_int_equal(t.ncells, 0); /* print released it */
	mn_strbuf_release(&out);
}

static void plain_table_and_short_row(void **state)
{
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct mn_texttable t;

	(void)state;
	mn_texttable_init(&t, 3);
	mn_texttable_cell(&t, "KEY");
	mn_texttable_cell(&t, "VALUE");
	mn_texttable_cell(&t, "TYPE");
	mn_texttable_cell(&t, "a.long.key");
	mn_texttable_cell(&t, "1");
	assert_int_equal(mn_texttable_render(&t, &out), 0);
	assert_string_equal(mn_strbuf_str(&out),
			    "KEY         VALUE  TYPE\n"
			    "a.long.key  1\n");
	/* released, the table takes new rows */
	mn_texttable_release(&t);
	mn_strbuf_reset(&out);
	mn_texttable_cell(&t, "x");
	assert_int_equal(mn_texttable_render(&t, &out), 0);
	assert_string_equal(mn_strbuf_str(&out), "x\n");
	mn_texttable_release(&t);
	mn_strbuf_release(&out);
}

static void long_cells(void **state)
{
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct mn_texttable t;
	char big[600];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mn_texttable_init(&t, 1);
	mn_texttable_cell(&t, "%s", big);
	assert_int_equal(mn_texttable_render(&t, &out), 0);
	assert_int_equal(out.len, 255 + 1);
	mn_texttable_release(&t);
	mn_strbuf_reset(&out);
	mn_texttable_init_header(&t, "NAME");
	mn_texttable_cell(&t, "%s", big);
	mn_texttable_print(&t, &out);
	assert_int_equal(out.len, 5 + sizeof(big));
	mn_strbuf_release(&out);
}

static void too_many_columns(void **state)
{
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct mn_texttable t;

	(void)state;
	mn_texttable_init(&t, MN_TEXTTABLE_MAX_COLS + 1);
	mn_texttable_cell(&t, "a");
	assert_int_equal(mn_texttable_render(&t, &out), -EINVAL);
	assert_int_equal(out.len, 0);
	mn_texttable_release(&t);
	/* a spec is capped: titles past the last column are dropped */
	mn_texttable_init_header(&t, "a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q");
	assert_int_equal(t.ncols, MN_TEXTTABLE_MAX_COLS);
	mn_texttable_release(&t);
	mn_strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(header_spec_aligns),
	    cmocka_unit_test(plain_table_and_short_row),
	    cmocka_unit_test(long_cells),
	    cmocka_unit_test(too_many_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
