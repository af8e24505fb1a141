/*
 * fs_sys_fault.c - /sys/fault: the fault rules as files (fault.h).
 *
 *   rules  read: one line per rule, "ID RULE fired=N matched=N".
 *          write, one command per line:
 *            RULE       adds a rule (`echo 'write path=/home/db* errno=EIO'
 *                       > /sys/fault/rules`)
 *            -ID        removes rule ID
 *            clear      removes every rule
 *          A bad line fails the write with the errno and logs the reason
 *          (write(2) can carry only the errno); the lines before it stay.
 *   seed   the seed behind prob= rules (config fault.seed, or the random
 *          seed drawn at boot when that is 0), so a run can be replayed.
 *
 * Root only may write (mode 0644, the VFS checks).  The shell's `fault`
 * command calls the same functions.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/fault.h>
#include <micronos/kernel.h>
#include <micronos/log.h>

#include "fs_trees_i.h"

static int r_rules(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	(void)ctx;
	return mn_faults_format(mn_kernel_faults(k), out);
}

static int w_rules(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   const char *data, size_t len)
{
	char *copy = strndup(data, len), *line, *save = NULL;
	struct mn_strbuf msg = MN_STRBUF_INIT;
	int ret = 0;

	(void)ctx;
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && ret >= 0;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!line[strspn(line, " \t\r")])
			continue;
		ret = mn_faults_command(mn_kernel_faults(k), line, &msg);
		if (ret < 0)
			mn_log_write(mn_kernel_log(k), MN_LOG_WARNING,
				     "fault rule refused: %s",
				     msg.len ? mn_strbuf_str(&msg) :
				     strerror(-ret));
		else if (line[0] != '-' && strcmp(line, "clear") != 0)
			mn_log_write(mn_kernel_log(k), MN_LOG_INFO,
				     "fault rule %d added: %s", ret, line);
	}
	mn_strbuf_release(&msg);
	free(copy);
	return ret < 0 ? ret : 0;
}

static int r_seed(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		  struct mn_strbuf *out)
{
	(void)ctx;
	return mn_strbuf_printf(out, "%" PRIu64 "\n",
				mn_faults_get_seed(mn_kernel_faults(k)));
}

const struct mn_synth_node mn_fs_sys_fault_rows[] = {
	{.name = "rules", .mode = S_IFREG | 0644, .render = r_rules,
	 .write = w_rules},
	{.name = "seed", .mode = S_IFREG | 0444, .render = r_seed},
	{.name = NULL},
};
