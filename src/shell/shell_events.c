/*
 * shell_events.c - the shell's log and events commands.
 *
 * log reads the logger's ring; the events commands read the bus's history
 * through the same calls /events uses (mn_evbus_snapshot, mn_event_format,
 * mn_evbus_format_stats, mn_evbus_export_csv), so a line in the shell and a
 * line in /events/history are the same text.  Snapshots are copied out of
 * the bus, so a long listing never holds the bus lock while it is
 * formatted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/evbus.h>
#include <micronos/kernel.h>
#include <micronos/log.h>

#include "shell_i.h"

#define LOG_DEFAULT_LINES 20
#define EVENTS_DEFAULT 50
#define EVENTS_SUMMARY 10
/* Most events one listing prints: the rest is for `events export`. */
#define EVENTS_LIST_MAX 10000

int mn_shell_cmd_log(struct mn_shell_ctx *c, int argc, char **argv)
{
	uint64_t n = LOG_DEFAULT_LINES;
	int level = MN_LOG_DEBUG, seen_n = 0, seen_level = 0, ret;

	/* N and LEVEL may come in either order: a number is N. */
	for (int i = 1; i < argc; i++) {
		if (!seen_n && mn_shell_parse_u64(argv[i], MN_LOG_MAX_LINES,
						  &n) == 0) {
			seen_n = 1;
			continue;
		}
		level = seen_level ? -EINVAL : mn_log_level_parse(argv[i]);
		if (level < 0)
			return mn_shell_usage(c, "'%s' is neither a line count "
					      "nor a level (debug, info, "
					      "notice, warning, error)",
					      argv[i]);
		seen_level = 1;
	}
	if (n == 0)
		return MN_SHELL_OK;
	ret = mn_log_recent(mn_kernel_log(c->k), c->out, n, level);
	if (ret < 0)
		return mn_shell_errno(c, ret, "log");
	if (ret == 0)
		mn_shell_printf(c, "(no log lines at %s or above)\n",
				mn_log_level_name(level));
	return MN_SHELL_OK;
}

/* Prints up to max of the newest events matching f; returns how many. */
static int print_events(struct mn_shell_ctx *c, const struct mn_evfilter *f,
			uint64_t max)
{
	struct mn_evbus *bus = mn_kernel_evbus(c->k);
	struct mn_event *evs;
	size_t n;

	if (max > EVENTS_LIST_MAX)
		max = EVENTS_LIST_MAX;
	if (max == 0)
		return 0;
	evs = malloc(max * sizeof(*evs));
	if (!evs)
		return -ENOMEM;
	n = mn_evbus_snapshot(bus, f, evs, max);
	for (size_t i = 0; i < n; i++) {
		mn_event_format(&evs[i], c->out);
		mn_strbuf_putc(c->out, '\n');
	}
	free(evs);
	return (int)n;
}

static int parse_count(struct mn_shell_ctx *c, int argc, char **argv, int at,
		       uint64_t *n)
{
	*n = EVENTS_DEFAULT;
	if (argc <= at)
		return 0;
	if (mn_shell_parse_u64(argv[at], EVENTS_LIST_MAX, n) < 0)
		return mn_shell_usage(c, "N must be a number 0..%d, not '%s'",
				      EVENTS_LIST_MAX, argv[at]);
	return 0;
}

int mn_shell_cmd_events(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_evstats st;
	int n;

	(void)argc;
	(void)argv;
	mn_evbus_stats(mn_kernel_evbus(c->k), &st);
	mn_shell_printf(c, "%llu events published, %llu of %llu in history, "
			"%llu dropped, %llu subscribers\n",
			(unsigned long long)st.published,
			(unsigned long long)st.in_history,
			(unsigned long long)st.capacity,
			(unsigned long long)st.dropped,
			(unsigned long long)st.subscribers);
	if (!st.in_history)
		return MN_SHELL_OK;
	mn_shell_printf(c, "newest:\n");
	n = print_events(c, NULL, EVENTS_SUMMARY);
	if (n < 0)
		return mn_shell_errno(c, n, "history");
	return MN_SHELL_OK;
}

int mn_shell_cmd_events_list(struct mn_shell_ctx *c, int argc, char **argv)
{
	uint64_t max;
	int n;

	if (parse_count(c, argc, argv, 2, &max))
		return MN_SHELL_USAGE;
	n = print_events(c, NULL, max);
	if (n < 0)
		return mn_shell_errno(c, n, "history");
	if (n == 0 && max)
		mn_shell_printf(c, "(no events in the history)\n");
	return MN_SHELL_OK;
}

int mn_shell_cmd_events_stats(struct mn_shell_ctx *c, int argc, char **argv)
{
	int ret;

	(void)argc;
	(void)argv;
	ret = mn_evbus_format_stats(mn_kernel_evbus(c->k), MN_EVSTATS_TABLE,
				    c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "events stats");
	return MN_SHELL_OK;
}

static int class_usage(struct mn_shell_ctx *c, const char *word)
{
	struct mn_strbuf names = MN_STRBUF_INIT;
	int ret;

	for (int i = 0; i < MN_EVC__COUNT; i++)
		mn_strbuf_printf(&names, "%s%s", i ? ", " : "",
				 mn_event_class_name(i));
	ret = mn_shell_usage(c, "unknown event type '%s' (one of: %s, or a "
			     "type name such as TimerExpired)",
			     word, mn_strbuf_str(&names));
	mn_strbuf_release(&names);
	return ret;
}

static int list_filtered(struct mn_shell_ctx *c, const struct mn_evfilter *f,
			 uint64_t max, const char *what)
{
	int n = print_events(c, f, max);

	if (n < 0)
		return mn_shell_errno(c, n, "history");
	if (n == 0 && max)
		mn_shell_printf(c, "(no %s events in the history)\n", what);
	return MN_SHELL_OK;
}

int mn_shell_cmd_events_filter(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_evfilter f = {0};
	uint64_t max;
	int cls = mn_event_class_parse(argv[2]);

	if (cls < 0)
		return class_usage(c, argv[2]);
	if (parse_count(c, argc, argv, 3, &max))
		return MN_SHELL_USAGE;
	f.class_mask = 1u << cls;
	return list_filtered(c, &f, max, mn_event_class_name(cls));
}

int mn_shell_cmd_events_by(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_evfilter f = {0};
	uint64_t max;
	int src = mn_event_source_parse(argv[2]);

	if (src < 0)
		return mn_shell_usage(c, "unknown source '%s' (one of: kernel, "
				      "process, driver, network, timer)",
				      argv[2]);
	if (parse_count(c, argc, argv, 3, &max))
		return MN_SHELL_USAGE;
	f.source_mask = 1u << src;
	return list_filtered(c, &f, max, mn_event_source_name(src));
}

int mn_shell_cmd_events_export(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_evfilter f = {0};
	int ret;

	if (argc == 3) {
		int cls = mn_event_class_parse(argv[2]);

		if (cls < 0)
			return class_usage(c, argv[2]);
		f.class_mask = 1u << cls;
	}
	ret = mn_evbus_export_csv(mn_kernel_evbus(c->k), &f, c->out);
	if (ret < 0)
		return mn_shell_errno(c, ret, "export");
	return MN_SHELL_OK;
}

int mn_shell_cmd_events_clear(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_evbus *bus = mn_kernel_evbus(c->k);
	struct mn_evstats st;

	(void)argc;
	(void)argv;
	mn_evbus_stats(bus, &st);
	mn_evbus_clear(bus);
	mn_shell_printf(c, "cleared %llu events from the history\n",
			(unsigned long long)st.in_history);
	return MN_SHELL_OK;
}
