/*
 * fs_events_i.h - the state of /events, shared by fs_events.c (the tree,
 * the notifier thread) and fs_events_log.c (events/log and events/stream).
 *
 * Lock order: e->lock, then a stream's lock, then the bus lock (a leaf);
 * a file's waiter lock (mn_vfs_file_wake) may be taken under e->lock and a
 * stream's lock.  Nothing takes e->lock while holding a stream's lock.
 */
#ifndef MICRONOS_FS_EVENTS_I_H
#define MICRONOS_FS_EVENTS_I_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <micronos/evbus.h>
#include <micronos/strbuf.h>

#include "fs_trees_i.h"

/* One line of events/log: an event, or a "lost" line for a gap. */
struct mn_logent {
	uint64_t off;		/* absolute byte offset of the line */
	uint64_t seq;		/* the event, or the first event lost */
	uint64_t lost;		/* 0: an event line; n: n events lost */
};

struct mn_evstream;

struct mn_eventsfs {
	struct mn_evbus *bus;		/* borrowed; set once */
	pthread_t thread;
	int started;			/* owner only */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* consumers came, or stop */
	/* protected by lock: */
	int stop;
	/* the notifier's doorbell, created and destroyed by the notifier */
	struct mn_evsub *bell;
	struct mn_evstream *streams;	/* open streams (to wake) */
	unsigned log_opens;		/* open events/log files */
	/* the events/log index, a ring of idx_n lines from idx_first: */
	struct mn_logent *idx;
	size_t idx_cap, idx_first, idx_n;
	uint64_t next_seq;		/* next event to index */
	uint64_t zero;			/* absolute offset shown as 0 */
	uint64_t end;			/* absolute offset past the end */
	struct timespec mtime;		/* when the last line was added */
	struct mn_strbuf scratch;	/* one line being formatted */
};

/* fs_events_log.c */
extern const struct mn_synth_io_ops mn_events_log_io;
extern const struct mn_synth_io_ops mn_events_stream_io;
int mn_events_log_getattr(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			  struct stat *st);
/* Indexes what was published since the last call.  e->lock held. */
void mn_events_log_catch_up(struct mn_eventsfs *e);
/* Wakes the waiters of every open stream.  e->lock held. */
void mn_events_wake_streams(struct mn_eventsfs *e);
void mn_events_log_free(struct mn_eventsfs *e);
/* The trees stop: streams read end of file once drained.  Takes e->lock. */
void mn_events_streams_end(struct mn_eventsfs *e);

#endif
