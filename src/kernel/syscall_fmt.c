/*
 * syscall_fmt.c - the text views of the syscall table: `syscall info` and
 * the statistics.  Built from copies (mn_syscall_list), so formatting never
 * holds anything the dispatcher needs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <micronos/syscall.h>

#include "texttable_i.h"

static struct mn_syscall_info *copy_rows(struct mn_syscalls *s, size_t *n)
{
	struct mn_syscall_info *rows = malloc(MN_SYSCALL_ROWS_MAX *
					      sizeof(*rows));

	*n = rows ? mn_syscall_list(s, rows, MN_SYSCALL_ROWS_MAX) : 0;
	if (*n > MN_SYSCALL_ROWS_MAX)
		*n = MN_SYSCALL_ROWS_MAX;
	return rows;
}

static void args_text(const struct mn_syscall_info *in, char *buf, size_t sz)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < in->nargs && at < sz; i++)
		at += (size_t)snprintf(buf + at, sz - at, "%s%s",
				       i ? ", " : "",
				       mn_sysarg_name((enum mn_sysarg)
						      in->args[i]));
}

int mn_syscall_format_table(struct mn_syscalls *s, struct mn_strbuf *out)
{
	struct mn_texttable t;
	size_t i, n;
	struct mn_syscall_info *rows = copy_rows(s, &n);
	int ret;

	if (!rows)
		return -ENOMEM;
	mn_texttable_init(&t, 5);
	mn_texttable_cell(&t, "NR");
	mn_texttable_cell(&t, "NAME");
	mn_texttable_cell(&t, "GROUP");
	mn_texttable_cell(&t, "ARGUMENTS");
	mn_texttable_cell(&t, "STATE");
	for (i = 0; i < n; i++) {
		char args[96];

		args_text(&rows[i], args, sizeof(args));
		mn_texttable_cell(&t, "%" PRIu32, rows[i].nr);
		mn_texttable_cell(&t, "%s", rows[i].name);
		mn_texttable_cell(&t, "%s", mn_sys_group_name(rows[i].group));
		mn_texttable_cell(&t, "(%s)", args);
		if (rows[i].wired)
			mn_texttable_cell(&t, "ready");
		else
			mn_texttable_cell(&t, "missing: %s is not loaded",
					  rows[i].provider[0] ?
						  rows[i].provider : "it");
	}
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	free(rows);
	return ret;
}

int mn_syscall_format_stats(struct mn_syscalls *s, struct mn_strbuf *out)
{
	struct mn_syscall_totals tot;
	struct mn_texttable t;
	size_t i, n;
	struct mn_syscall_info *rows = copy_rows(s, &n);
	char a[32], b[32];
	int ret;

	if (!rows)
		return -ENOMEM;
	mn_texttable_init(&t, 6);
	mn_texttable_cell(&t, "NR");
	mn_texttable_cell(&t, "NAME");
	mn_texttable_cell(&t, "CALLS");
	mn_texttable_cell(&t, "ERRORS");
	mn_texttable_cell(&t, "MEAN");
	mn_texttable_cell(&t, "TOTAL");
	for (i = 0; i < n; i++) {
		if (!rows[i].calls)
			continue;
		mn_texttable_cell(&t, "%" PRIu32, rows[i].nr);
		mn_texttable_cell(&t, "%s", rows[i].name);
		mn_texttable_cell(&t, "%" PRIu64, rows[i].calls);
		mn_texttable_cell(&t, "%" PRIu64, rows[i].errors);
		mn_texttable_cell(&t, "%s", mn_fmt_duration(a, sizeof(a),
			rows[i].time_ns / rows[i].calls));
		mn_texttable_cell(&t, "%s", mn_fmt_duration(b, sizeof(b),
			rows[i].time_ns));
	}
	ret = mn_texttable_render(&t, out);
	mn_syscall_totals(s, &tot);
	mn_strbuf_printf(out, "total %" PRIu64 " calls, %" PRIu64 " errors, %"
			 PRIu64 " unknown numbers, %s in handlers\n",
			 tot.calls, tot.errors, tot.unknown,
			 mn_fmt_duration(a, sizeof(a), tot.time_ns));
	mn_texttable_release(&t);
	free(rows);
	return ret < 0 ? ret : mn_strbuf_error(out);
}
