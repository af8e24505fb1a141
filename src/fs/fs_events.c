/*
 * fs_events.c - events, the /events tree: the event bus as files.
 *
 *   history      the history ring, one event per line (mn_event_format)
 *   log          the same lines as a file that only grows while it is open,
 *                so `tail -f events/log` follows it (fs_events_log.c)
 *   csv          the CSV export (mn_evbus_export_csv)
 *   stats        "key: value" lines: totals, then per type and per source
 *                (mn_evbus_format_stats, as the shell's `events stats`)
 *   by-type/CLASS, by-source/SOURCE   the history filtered as the shell's
 *                `events filter CLASS` and `events by SOURCE`
 *   stream       a blocking reader like trace_pipe (fs_events_log.c)
 *
 * The rendered files are snapshots taken at open.  log and stream need the
 * state of struct mn_eventsfs and a notifier: a thread that waits on a
 * subscriber of its own (the doorbell) while anyone has log or stream open,
 * and on each event indexes the log and wakes the streams' waiters through
 * the VFS (so the FUSE adapter can park a blocked read and answer it
 * later).  It keeps no doorbell while nobody reads, so an idle /events
 * costs the bus nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/evbus.h>
#include <micronos/kernel.h>

#include "fs_events_i.h"

#define CHUNK 256
#define BELL_POLL_MS 1000	/* how often an idle notifier looks up */

/* --- the notifier --------------------------------------------------------- */

static int has_consumers(const struct mn_eventsfs *e)
{
	return e->streams || e->log_opens;
}

/* Lock held.  Returns with the lock held; the bell exists on success. */
static int ring_bell(struct mn_eventsfs *e)
{
	struct mn_evsub *bell;
	int rc;

	if (e->bell)
		return 0;
	rc = mn_evsub_create(&bell, e->bus, NULL, 0);
	if (rc < 0)
		return rc;
	e->bell = bell;
	/* an event published before the bell existed rang nothing */
	mn_events_log_catch_up(e);
	mn_events_wake_streams(e);
	return 0;
}

static void *notifier(void *arg)
{
	struct mn_eventsfs *e = arg;
	struct mn_evsub *bell;
	struct mn_event ev;
	int rc;

	pthread_mutex_lock(&e->lock);
	while (!e->stop) {
		if (!has_consumers(e)) {
			if (e->bell) {
				mn_evsub_destroy(e->bell);
				e->bell = NULL;
			}
			pthread_cond_wait(&e->cond, &e->lock);
			continue;
		}
		if (ring_bell(e) < 0)
			break;	/* the bus is going away */
		bell = e->bell;
		pthread_mutex_unlock(&e->lock);
		rc = mn_evsub_next(bell, &ev, BELL_POLL_MS, NULL);
		while (rc == 1 && mn_evsub_next(bell, &ev, 0, NULL) == 1)
			;
		pthread_mutex_lock(&e->lock);
		if (rc == -ESHUTDOWN)
			break;
		if (rc == 1) {
			mn_events_log_catch_up(e);
			mn_events_wake_streams(e);
		}
	}
	if (e->bell)
		mn_evsub_destroy(e->bell);
	e->bell = NULL;
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

int mn_eventsfs_create(struct mn_eventsfs **out, struct mn_evbus *bus)
{
	struct mn_eventsfs *e;
	int ret;

	if (!bus)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->bus = bus;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	clock_gettime(CLOCK_REALTIME, &e->mtime);
	ret = -pthread_create(&e->thread, NULL, notifier, e);
	if (ret < 0) {
		mn_eventsfs_destroy(e);
		return ret;
	}
	e->started = 1;
	*out = e;
	return 0;
}

void mn_eventsfs_stop(struct mn_eventsfs *e)
{
	if (!e || !e->started)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = 1;
	if (e->bell)
		mn_evsub_interrupt(e->bell);
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	e->started = 0;
	mn_events_streams_end(e);
}

void mn_eventsfs_destroy(struct mn_eventsfs *e)
{
	if (!e)
		return;
	mn_eventsfs_stop(e);
	mn_events_log_free(e);
	mn_strbuf_release(&e->scratch);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* --- rendered files ------------------------------------------------------- */

/* The history through a filter (NULL: all), one line per event. */
static int render_lines(struct mn_evbus *bus, const struct mn_evfilter *flt,
			struct mn_strbuf *out)
{
	struct mn_event *chunk = malloc(CHUNK * sizeof(*chunk));
	uint64_t seq = 0, last = mn_evbus_last_seq(bus);
	size_t n, i;

	if (!chunk)
		return -ENOMEM;
	/* stop at the newest event of the start: a busy bus cannot make a
	 * read of this file run forever */
	do {
		n = mn_evbus_copy_from(bus, flt, &seq, chunk, CHUNK);
		for (i = 0; i < n && chunk[i].seq <= last; i++) {
			mn_event_format(&chunk[i], out);
			mn_strbuf_putc(out, '\n');
		}
	} while (n == CHUNK && i == n && !mn_strbuf_error(out));
	free(chunk);
	return mn_strbuf_error(out);
}

static int r_history(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	(void)ctx;
	return render_lines(mn_kernel_evbus(k), NULL, out);
}

static int r_csv(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		 struct mn_strbuf *out)
{
	(void)ctx;
	return mn_evbus_export_csv(mn_kernel_evbus(k), NULL, out);
}

static int r_stats(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		   struct mn_strbuf *out)
{
	(void)ctx;
	return mn_evbus_format_stats(mn_kernel_evbus(k), MN_EVSTATS_KEYS, out);
}

static int r_by_type(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		     struct mn_strbuf *out)
{
	struct mn_evfilter f = {0};
	int cls = mn_event_class_parse(ctx->node->name);

	if (cls < 0)
		return -ENOENT;
	f.class_mask = 1U << cls;
	return render_lines(mn_kernel_evbus(k), &f, out);
}

static int r_by_source(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	struct mn_evfilter f = {0};
	int src = mn_event_source_parse(ctx->node->name);

	if (src < 0)
		return -ENOENT;
	f.source_mask = 1U << src;
	return render_lines(mn_kernel_evbus(k), &f, out);
}

#define RO(n, fn) {.name = n, .mode = S_IFREG | 0444, .render = fn}

/* enum mn_event_class, by name */
static const struct mn_synth_node by_type_rows[] = {
	RO("process", r_by_type),
	RO("timer", r_by_type),
	RO("network", r_by_type),
	RO("memory", r_by_type),
	RO("disk", r_by_type),
	RO("signal", r_by_type),
	RO("custom", r_by_type),
	RO("fault", r_by_type),
	{.name = NULL},
};

/* enum mn_event_source, by name */
static const struct mn_synth_node by_source_rows[] = {
	RO("kernel", r_by_source),
	RO("process", r_by_source),
	RO("driver", r_by_source),
	RO("network", r_by_source),
	RO("timer", r_by_source),
	{.name = NULL},
};

static const struct mn_synth_node events_rows[] = {
	RO("history", r_history),
	/* its size is the log's end: tail -f compares it */
	{.name = "log", .mode = S_IFREG | 0444,
	 .getattr = mn_events_log_getattr, .io = &mn_events_log_io},
	RO("csv", r_csv),
	RO("stats", r_stats),
	{.name = "by-type", .mode = S_IFDIR | 0555, .children = by_type_rows},
	{.name = "by-source", .mode = S_IFDIR | 0555,
	 .children = by_source_rows},
	{.name = "stream", .mode = S_IFREG | 0444,
	 .io = &mn_events_stream_io},
	{.name = NULL},
};

const struct mn_synth_node mn_fs_events_root = {
	.name = "",
	.mode = S_IFDIR | 0555,
	.children = events_rows,
};
