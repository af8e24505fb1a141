/*
 * shell_fault.c - `fault`: list, add and remove fault rules (fault.h).
 * The same calls as /sys/fault/rules; the list is the file's text.
 */
#include <stdlib.h>
#include <string.h>

#include <micronos/fault.h>
#include <micronos/kernel.h>

#include "shell_i.h"

int mn_shell_cmd_fault(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_faults *f = mn_kernel_faults(c->k);

	(void)argc;
	(void)argv;
	if (!mn_faults_count(f))
		return mn_shell_printf(c, "(no fault rules)\n") < 0 ?
			MN_SHELL_FAIL : MN_SHELL_OK;
	mn_faults_format(f, c->out);
	return MN_SHELL_OK;
}

int mn_shell_cmd_fault_add(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_strbuf rule = MN_STRBUF_INIT, msg = MN_STRBUF_INIT;
	int i, ret;

	for (i = 2; i < argc; i++)
		mn_strbuf_printf(&rule, "%s%s", i > 2 ? " " : "", argv[i]);
	if (mn_strbuf_error(&rule) < 0) {
		mn_strbuf_release(&rule);
		return mn_shell_fail(c, "out of memory");
	}
	ret = mn_faults_add(mn_kernel_faults(c->k), mn_strbuf_str(&rule), &msg);
	mn_strbuf_release(&rule);
	if (ret < 0)
		return mn_shell_fail_core(c, ret, &msg, "rule");
	mn_strbuf_release(&msg);
	mn_shell_printf(c, "rule %d added\n", ret);
	return MN_SHELL_OK;
}

int mn_shell_cmd_fault_rm(struct mn_shell_ctx *c, int argc, char **argv)
{
	uint64_t id;
	int ret;

	(void)argc;
	if (mn_shell_parse_u64(argv[2], UINT32_MAX, &id) < 0 || id == 0)
		return mn_shell_usage(c, "bad rule id '%s'", argv[2]);
	ret = mn_faults_remove(mn_kernel_faults(c->k), (unsigned)id);
	if (ret < 0)
		return mn_shell_fail(c, "no rule %llu",
				     (unsigned long long)id);
	mn_shell_printf(c, "rule %llu removed\n", (unsigned long long)id);
	return MN_SHELL_OK;
}

int mn_shell_cmd_fault_clear(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_faults *f = mn_kernel_faults(c->k);
	size_t n = mn_faults_count(f);

	(void)argc;
	(void)argv;
	mn_faults_remove(f, 0);
	mn_shell_printf(c, "removed %zu rules\n", n);
	return MN_SHELL_OK;
}
