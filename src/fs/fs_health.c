/*
 * fs_health.c - health, the /health tree: the health monitor as files.
 *
 *   status   the overall status: "key: value" lines (status, components,
 *            ok, unknown, degraded, failed), mn_health_format_overall
 *   NAME     one file per component, "key: value" lines (name, status,
 *            hung, message, last_check, last_ok, checks,
 *            consecutive_failures, recoveries, recovery_attempts,
 *            period_ms, timeout_ms), mn_health_format_component
 *
 * Every file answers at once, even while a component's check hangs: the
 * renders only copy the monitor's records (mn_health_list/_get never wait
 * for a check), they never run one.  A component named "status" would be
 * hidden by the overall file, so it is not listed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/health.h>
#include <micronos/kernel.h>

#include "fs_trees_i.h"

#define OVERALL "status"

static int r_status(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_strbuf *out)
{
	(void)ctx;
	return mn_health_format_overall(mn_kernel_health(k), out);
}

static int r_component(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	if (!ctx->nbind)
		return -ENOENT;
	return mn_health_format_component(mn_kernel_health(k),
					  ctx->bind[0].name, out);
}

static int comp_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     int (*emit)(void *e, const char *name), void *e)
{
	struct mn_health_info *hi = malloc(MN_HEALTH_MAX_CHECKS * sizeof(*hi));
	int i, n;

	(void)ctx;
	if (!hi)
		return -ENOMEM;
	n = mn_health_list(mn_kernel_health(k), hi, MN_HEALTH_MAX_CHECKS);
	for (i = 0; i < n && i < MN_HEALTH_MAX_CHECKS; i++) {
		if (strcmp(hi[i].name, OVERALL) == 0)
			continue;
		if (emit(e, hi[i].name))
			break;
	}
	free(hi);
	return 0;
}

static int comp_lookup(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       const char *name)
{
	struct mn_health_info hi;

	(void)ctx;
	return mn_health_get(mn_kernel_health(k), name, &hi) < 0 ? -ENOENT : 0;
}

static const struct mn_synth_node comp_entry = {
	.name = "", .mode = S_IFREG | 0444, .render = r_component,
};

static const struct mn_synth_dir_ops comp_dyn = {
	.list = comp_list,
	.lookup = comp_lookup,
	.entry = &comp_entry,
};

static const struct mn_synth_node health_rows[] = {
	{.name = OVERALL, .mode = S_IFREG | 0444, .render = r_status},
	{.name = NULL},
};

const struct mn_synth_node mn_fs_health_root = {
	.name = "",
	.mode = S_IFDIR | 0555,
	.children = health_rows,
	.dyn = &comp_dyn,
};
