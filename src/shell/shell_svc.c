/*
 * shell_svc.c - the shell's service commands: ipc and channels, config,
 * stats, timers and health.
 *
 * Each command is a thin layer over its service: the tables are the
 * services' own formatters (the ones /sys and /health render), and every
 * change goes through the call a program or a /sys write would make, so
 * validation, events and persistence are the service's, never the shell's.
 * The shell acts as the kernel: pid 0 for ownership and events.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <micronos/config.h>
#include <micronos/health.h>
#include <micronos/ipc.h>
#include <micronos/kernel.h>
#include <micronos/kstats.h>
#include <micronos/net.h>
#include <micronos/stats.h>
#include <micronos/timer.h>

#include "shell_i.h"

#define SHELL_PID 0
/* Longest wait of `channel N recv MS`: the reply holds a ctl thread. */
#define RECV_MAX_MS 5000

/* --- ipc ----------------------------------------------------------------- */

void mn_shell_interrupt(struct mn_kernel *k)
{
	mn_ipc_interrupt(mn_kernel_ipc(k), SHELL_PID);
}

int mn_shell_cmd_ipc(struct mn_shell_ctx *c, int argc, char **argv)
{
	int ret;

	(void)argc;
	(void)argv;
	ret = mn_ipc_format(mn_kernel_ipc(c->k), c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "ipc");
	return MN_SHELL_OK;
}

int mn_shell_cmd_channel_create(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_ipc *ipc = mn_kernel_ipc(c->k);
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_ipc_info info;
	uint64_t cap = 0;
	int id;

	if (argc == 4 &&
	    mn_shell_parse_u64(argv[3], MN_IPC_CAPACITY_MAX, &cap) < 0)
		return mn_shell_usage(c, "CAPACITY must be 1..%d, not '%s'",
				      MN_IPC_CAPACITY_MAX, argv[3]);
	id = mn_ipc_channel_create(ipc, argv[2], (size_t)cap, SHELL_PID,
				   &msg);
	if (id < 0)
		return mn_shell_fail_core(c, id, &msg, argv[2]);
	if (mn_ipc_info(ipc, id, &info) == 0)
		cap = info.capacity;
	mn_shell_printf(c, "channel %d created: %s (capacity %llu)\n", id,
			argv[2], (unsigned long long)cap);
	return MN_SHELL_OK;
}

/* A channel given by id or by name. */
static int channel_id(struct mn_shell_ctx *c, const char *s, int *id)
{
	struct mn_ipc *ipc = mn_kernel_ipc(c->k);
	uint64_t v;
	int ret;

	if (mn_shell_parse_u64(s, INT32_MAX, &v) == 0)
		ret = (int)v;
	else
		ret = mn_ipc_lookup(ipc, s);
	if (ret >= 0 && mn_ipc_info(ipc, ret, &(struct mn_ipc_info){0}) == 0) {
		*id = ret;
		return 0;
	}
	mn_shell_fail(c, "no channel '%s' (see 'ipc'; create one with "
		      "'channel create NAME')",
		      s);
	return -ENOENT;
}

int mn_shell_cmd_channel_send(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_ipc_info info;
	int id, ret;

	if (channel_id(c, argv[1], &id) < 0)
		return MN_SHELL_FAIL;
	for (int i = 3; i < argc; i++)
		mn_strbuf_printf(&msg, "%s%s", i > 3 ? " " : "", argv[i]);
	ret = mn_ipc_send(mn_kernel_ipc(c->k), id, SHELL_PID, msg.buf ? msg.buf
								      : "",
			  msg.len, 0);
	mn_ipc_info(mn_kernel_ipc(c->k), id, &info);
	if (ret == -EAGAIN)
		mn_shell_fail(c, "channel %d (%s) is full: %zu of %zu "
			      "messages queued",
			      id, info.name, info.queued, info.capacity);
	else if (ret == -EPIPE)
		mn_shell_fail(c, "channel %d (%s) is closed", id, info.name);
	else if (ret < 0)
		mn_shell_errno(c, ret, info.name);
	else
		mn_shell_printf(c, "sent %zu bytes to channel %d (%s), %zu "
				"queued\n",
				msg.len, id, info.name, info.queued);
	mn_strbuf_release(&msg);
	return ret < 0 ? MN_SHELL_FAIL : MN_SHELL_OK;
}

int mn_shell_cmd_channel_recv(struct mn_shell_ctx *c, int argc, char **argv)
{
	char buf[MN_IPC_MSG_MAX];
	struct mn_ipc_info info;
	uint64_t ms = 0;
	int id, n;

	if (argc == 4 && mn_shell_parse_u64(argv[3], RECV_MAX_MS, &ms) < 0)
		return mn_shell_usage(c, "TIMEOUT_MS must be 0..%d, not '%s'",
				      RECV_MAX_MS, argv[3]);
	if (channel_id(c, argv[1], &id) < 0)
		return MN_SHELL_FAIL;
	n = mn_ipc_recv(mn_kernel_ipc(c->k), id, SHELL_PID, buf, sizeof(buf),
			(int)ms);
	mn_ipc_info(mn_kernel_ipc(c->k), id, &info);
	if (n == -EAGAIN)
		return mn_shell_fail(c, "channel %d (%s) is empty%s", id,
				     info.name,
				     ms ? " (nothing arrived in time)" : "");
	if (n == -EPIPE)
		return mn_shell_fail(c, "channel %d (%s) is closed and "
				     "drained",
				     id, info.name);
	if (n < 0)
		return mn_shell_errno(c, n, info.name);
	mn_strbuf_add(c->out, buf, (size_t)n);
	if (n == 0 || buf[n - 1] != '\n')
		mn_strbuf_putc(c->out, '\n');
	return MN_SHELL_OK;
}

/* --- config -------------------------------------------------------------- */

static int config_show(struct mn_shell_ctx *c, const char *key)
{
	struct mn_config *cfg = mn_kernel_config(c->k);
	struct mn_config_info info;
	int n;

	if (mn_config_info(cfg, key, &info) == 0) {
		mn_config_format_key(cfg, key, c->out);
		return MN_SHELL_OK;
	}
	/* Not a key: maybe a prefix ("events" or "events."). */
	n = mn_config_list(cfg, key, NULL, 0);
	if (n <= 0)
		return mn_shell_fail(c, "unknown key '%s' (type 'config' for "
				     "the list)",
				     key);
	mn_config_format_table(cfg, key, c->out);
	return MN_SHELL_OK;
}

int mn_shell_cmd_config(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_config *cfg = mn_kernel_config(c->k);
	struct mn_strbuf msg = MN_STRBUF_INIT;
	char val[MN_CONFIG_VALUE_MAX];
	int ret;

	if (argc == 1) {
		mn_config_format_table(cfg, NULL, c->out);
		return MN_SHELL_OK;
	}
	if (argc == 2)
		return config_show(c, argv[1]);
	ret = mn_config_set(cfg, argv[1], argv[2], SHELL_PID, &msg);
	if (ret == -ENOENT) {
		mn_strbuf_release(&msg);
		return mn_shell_fail(c, "unknown key '%s' (type 'config' for "
				     "the list)",
				     argv[1]);
	}
	if (ret < 0)
		return mn_shell_fail_core(c, ret, &msg, argv[1]);
	mn_strbuf_release(&msg);
	mn_config_get(cfg, argv[1], val, sizeof(val));
	mn_shell_printf(c, "%s = %s%s\n", argv[1], val,
			ret == 0 ? " (unchanged)" : "");
	return MN_SHELL_OK;
}

/* --- stats --------------------------------------------------------------- */

int mn_shell_cmd_stats(struct mn_shell_ctx *c, int argc, char **argv)
{
	const char *prefix = argc == 2 ? argv[1] : NULL;
	int ret;

	/* every subsystem's figures as of now (kstats.h) */
	mn_kernel_stats_refresh(c->k);
	mn_net_stats_refresh(c->k);
	ret = mn_stats_format(mn_kernel_stats(c->k), prefix, c->out);

	if (ret < 0)
		return mn_shell_errno(c, ret, "stats");
	if (ret == 0)
		mn_shell_printf(c, "(no statistics%s%s)\n",
				prefix ? " starting with " : "",
				prefix ? prefix : "");
	return MN_SHELL_OK;
}

/* --- timers -------------------------------------------------------------- */

int mn_shell_cmd_timers(struct mn_shell_ctx *c, int argc, char **argv)
{
	int ret;

	(void)argc;
	(void)argv;
	ret = mn_timers_format(mn_kernel_timers(c->k), c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "timers");
	return MN_SHELL_OK;
}

int mn_shell_cmd_timer_create(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_strbuf msg = MN_STRBUF_INIT;
	int64_t ms;
	int periodic = 0, id;

	if (mn_shell_parse_i64(argv[3], 0, MN_TIMER_MAX_MS, &ms) < 0)
		return mn_shell_usage(c, "MS must be a number of milliseconds "
				      "0..%lld, not '%s'",
				      (long long)MN_TIMER_MAX_MS, argv[3]);
	if (argc == 5) {
		if (strcmp(argv[4], "periodic"))
			return mn_shell_usage(c, "the last word may only be "
					      "'periodic', not '%s'",
					      argv[4]);
		periodic = 1;
	}
	id = mn_timers_create_timer(mn_kernel_timers(c->k), argv[2], ms,
				    periodic, NULL, NULL, SHELL_PID, &msg);
	if (id < 0)
		return mn_shell_fail_core(c, id, &msg, argv[2]);
	mn_shell_printf(c, "timer %d created: %s fires %s %lld ms\n", id,
			argv[2], periodic ? "every" : "in", (long long)ms);
	return MN_SHELL_OK;
}

int mn_shell_cmd_timer_cancel(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_timers *t = mn_kernel_timers(c->k);
	struct mn_timer_info info;
	uint64_t id;
	int ret;

	(void)argc;
	if (mn_shell_parse_u64(argv[2], INT32_MAX, &id) < 0)
		return mn_shell_usage(c, "'%s' is not a timer id", argv[2]);
	if (mn_timers_get(t, (int)id, &info) < 0)
		return mn_shell_fail(c, "no timer %llu (see 'timers')",
				     (unsigned long long)id);
	ret = mn_timers_cancel(t, (int)id);
	if (ret < 0)
		return mn_shell_errno(c, ret, info.name);
	mn_shell_printf(c, "timer %llu (%s) cancelled after firing %llu "
			"times\n",
			(unsigned long long)id, info.name,
			(unsigned long long)info.count);
	return MN_SHELL_OK;
}

/* --- health -------------------------------------------------------------- */

int mn_shell_cmd_health(struct mn_shell_ctx *c, int argc, char **argv)
{
	int ret;

	(void)argc;
	(void)argv;
	ret = mn_health_format_table(mn_kernel_health(c->k), c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "health");
	return MN_SHELL_OK;
}
