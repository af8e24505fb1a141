/*
 * evbus - the MicronOS event bus.
 *
 * Every part of MicronOS publishes what happens to one bus: processes created
 * and terminated, timers, memory, disk, network, signals and custom events of
 * the services.  The bus keeps the newest events in a history ring and lets
 * any number of subscribers read them, each at its own cursor.  A subscriber
 * that falls behind loses the oldest events and is told how many; it never
 * slows a publisher.
 *
 * Locking: the bus has its own mutex, a leaf lock.  Publishing is safe from
 * any thread, including one that holds another module's lock.  No callback is
 * made with the bus lock held.
 */
#ifndef MICRONOS_EVBUS_H
#define MICRONOS_EVBUS_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_clock;

/*
 * Every event type (Custom's ids are enum mn_custom_id below).  The order
 * is the ABI of CSV exports and /events: never reorder.
 */
enum mn_event_type {
	MN_EV_PROCESS_CREATED,
	MN_EV_PROCESS_TERMINATED,
	MN_EV_PROCESS_SUSPENDED,
	MN_EV_PROCESS_RESUMED,
	MN_EV_TIMER_EXPIRED,
	MN_EV_NETWORK_CONNECTED,
	MN_EV_NETWORK_DISCONNECTED,
	MN_EV_MEMORY_ALLOCATED,
	MN_EV_MEMORY_FREED,
	MN_EV_DISK_READ,
	MN_EV_DISK_WRITE,
	MN_EV_SIGNAL_RECEIVED,
	MN_EV_CUSTOM,		/* see custom_id */
	MN_EV_FAULT_INJECTED,	/* a fault rule fired (fault.h) */
	MN_EV__COUNT
};

/* Custom event ids of the services. */
enum mn_custom_id {
	MN_CUSTOM_IPC_CREATE = 100,	/* a channel was created */
	MN_CUSTOM_IPC_SEND = 101,
	MN_CUSTOM_IPC_RECV = 102,
	MN_CUSTOM_TIMER = 200,		/* timer created or cancelled */
	MN_CUSTOM_DRIVER = 300,		/* driver lifecycle transition */
	MN_CUSTOM_CONFIG = 400,		/* configuration key changed */
	MN_CUSTOM_SERVICE = 500,	/* service/kernel task state */
	MN_CUSTOM_HEALTH = 501,		/* health status change/recovery */
};

enum mn_event_source {
	MN_SRC_KERNEL,
	MN_SRC_PROCESS,
	MN_SRC_DRIVER,
	MN_SRC_NETWORK,
	MN_SRC_TIMER,
	MN_SRC__COUNT
};

/* Filter classes: `events filter TYPE` takes one of these names. */
enum mn_event_class {
	MN_EVC_PROCESS,		/* Process* */
	MN_EVC_TIMER,		/* TimerExpired */
	MN_EVC_NETWORK,		/* Network* */
	MN_EVC_MEMORY,		/* Memory* */
	MN_EVC_DISK,		/* Disk* */
	MN_EVC_SIGNAL,		/* SignalReceived */
	MN_EVC_CUSTOM,		/* Custom(id) */
	MN_EVC_FAULT,		/* FaultInjected */
	MN_EVC__COUNT
};

#define MN_EVENT_TEXT_MAX 120

struct mn_event {
	uint64_t seq;		/* 1, 2, ...; never reused, even after clear */
	uint64_t time_ns;	/* MicronOS monotonic time */
	int32_t pid;		/* MicronOS pid it concerns, 0 for none */
	uint16_t type;		/* enum mn_event_type */
	uint16_t source;	/* enum mn_event_source */
	uint16_t custom_id;	/* for MN_EV_CUSTOM, else 0 */
	char text[MN_EVENT_TEXT_MAX];	/* NUL-terminated, truncated */
};

/*
 * A filter: a zero mask means "all".  An event passes when it passes every
 * nonzero mask.
 */
struct mn_evfilter {
	uint32_t class_mask;	/* bit (1 << enum mn_event_class) */
	uint32_t source_mask;	/* bit (1 << enum mn_event_source) */
	uint32_t type_mask;	/* bit (1 << enum mn_event_type) */
};

struct mn_evstats {
	uint64_t published;	/* since create (clear does not reset) */
	uint64_t in_history;	/* events currently held */
	uint64_t capacity;
	uint64_t dropped;	/* overwritten while a subscriber whose
				 * filter wanted them had not read them */
	uint64_t by_type[MN_EV__COUNT];
	uint64_t by_source[MN_SRC__COUNT];
	uint64_t subscribers;
};

#define MN_EVBUS_DEFAULT_CAPACITY 1000
#define MN_EVBUS_MAX_CAPACITY 1000000

struct mn_evbus;
struct mn_evsub;

/*
 * Creates a bus with a history of `capacity` events (1..MAX).  `clock` is
 * borrowed and must outlive the bus; NULL stamps host monotonic time.
 */
int mn_evbus_create(struct mn_evbus **out, size_t capacity,
		    const struct mn_clock *clock);
/*
 * Wakes every thread blocked in mn_evsub_next (they return -ESHUTDOWN) and
 * waits for them to leave, detaches every subscriber, then frees; accepts
 * NULL.  Subscribers stay owned by whoever created them: their owners must
 * still mn_evsub_destroy() them (before or after the bus; a detached one
 * only answers -ESHUTDOWN).  No other call on the bus, and no call on a
 * subscriber other than an already blocked mn_evsub_next, may run while
 * destroy runs.
 */
void mn_evbus_destroy(struct mn_evbus *bus);

/*
 * Publishes one event (text formatted printf-style, cut at
 * MN_EVENT_TEXT_MAX - 1 bytes); returns its sequence number (> 0), or
 * -EINVAL for a NULL bus or a type/source out of range.  Never blocks on a
 * subscriber and never allocates.
 */
int64_t mn_evbus_publish(struct mn_evbus *bus, enum mn_event_type type,
			 enum mn_event_source source, int32_t pid,
			 const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int64_t mn_evbus_publish_custom(struct mn_evbus *bus, uint16_t custom_id,
				enum mn_event_source source, int32_t pid,
				const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Resizes the history, keeping the newest events. -EINVAL out of range. */
int mn_evbus_resize(struct mn_evbus *bus, size_t capacity);
size_t mn_evbus_capacity(struct mn_evbus *bus);
/* Empties the history; subscribers' cursors move to the end. */
void mn_evbus_clear(struct mn_evbus *bus);
/* Sequence number of the newest event published (0 if none). */
uint64_t mn_evbus_last_seq(struct mn_evbus *bus);

/*
 * Copies up to `max` of the newest events that match `filter` (NULL: all),
 * oldest first.  Returns how many were copied.
 */
size_t mn_evbus_snapshot(struct mn_evbus *bus, const struct mn_evfilter *filter,
			 struct mn_event *out, size_t max);
/*
 * For readers that walk the history in chunks (CSV export, /events files):
 * copies up to `max` events matching `filter` (NULL: all) whose sequence
 * number is >= *seq, oldest first, and sets *seq just past the last event
 * examined.  Events already overwritten are skipped.  Returns how many were
 * copied; 0 with *seq == last_seq + 1 means the end.
 */
size_t mn_evbus_copy_from(struct mn_evbus *bus,
			  const struct mn_evfilter *filter, uint64_t *seq,
			  struct mn_event *out, size_t max);
void mn_evbus_stats(struct mn_evbus *bus, struct mn_evstats *out);

/*
 * The statistics as text, from one mn_evbus_stats() snapshot:
 *  MN_EVSTATS_KEYS, for programs (/events/stats): "key: value" lines -
 *    published, in_history, capacity, dropped, subscribers, then
 *    type.NAME for each type and source.NAME for each source;
 *  MN_EVSTATS_TABLE, for people (the shell's `events stats`): a summary
 *    line, a TYPE/CLASS/COUNT table and a SOURCE/COUNT table.
 * Appends to out; 0, -ENOMEM, -EINVAL for another format.
 */
enum mn_evstats_format { MN_EVSTATS_KEYS, MN_EVSTATS_TABLE };
int mn_evbus_format_stats(struct mn_evbus *bus, enum mn_evstats_format format,
			  struct mn_strbuf *out);

/* CSV of the history (RFC 4180, header row "seq,time_ns,type,source,pid,text"). */
int mn_evbus_export_csv(struct mn_evbus *bus, const struct mn_evfilter *filter,
			struct mn_strbuf *out);
/* One event as a line of text without newline: "[   12.345678] #42 ..." */
int mn_event_format(const struct mn_event *ev, struct mn_strbuf *out);

/*
 * Names: "ProcessCreated", ..., "Custom" for MN_EV_CUSTOM, "?" out of range;
 * "kernel", ... for sources.  Static strings.
 */
const char *mn_event_type_name(enum mn_event_type type);
/*
 * The type of one event as shown to people: "ProcessCreated" or
 * "Custom(100)".  Writes into buf (truncated, NUL-terminated) and returns the
 * length it needed, like snprintf.
 */
int mn_event_type_label(const struct mn_event *ev, char *buf, size_t n);
/* Parses a type name ("ProcessCreated", case-insensitive); -EINVAL. */
int mn_event_type_parse(const char *name);
/* 1 if the event passes the filter (NULL passes everything). */
int mn_evfilter_match(const struct mn_evfilter *filter,
		      const struct mn_event *ev);
const char *mn_event_source_name(enum mn_event_source source);
const char *mn_event_class_name(enum mn_event_class cls);
enum mn_event_class mn_event_class_of(enum mn_event_type type);
/*
 * Parses a class name ("process", "timer", ... case-insensitive) or a type
 * name, which gives that type's class; -EINVAL if unknown.
 */
int mn_event_class_parse(const char *name);
int mn_event_source_parse(const char *name);

/*
 * A hook run after each publish, outside the bus lock, from the publishing
 * thread.  One hook per bus; NULL removes it.  The kernel sets it
 * (kernel.c) to queue the clean-up of a terminated process.  The publisher
 * may hold its own lock (the process table publishes its state changes
 * under its lock, so events keep the table's order): the hook must not
 * publish nor call a module that could call back into the publisher; it
 * should only queue work.  (Readers of /events are woken by their own
 * notifier thread, not by this hook.)
 */
void mn_evbus_set_hook(struct mn_evbus *bus,
		       void (*hook)(void *arg, const struct mn_event *ev),
		       void *arg);

/*
 * Subscribers.  `filter` is copied (NULL: all).  `from_oldest` starts the
 * cursor at the oldest event in the history, otherwise after the newest.
 */
int mn_evsub_create(struct mn_evsub **out, struct mn_evbus *bus,
		    const struct mn_evfilter *filter, int from_oldest);
void mn_evsub_destroy(struct mn_evsub *sub);
/*
 * Takes the next event.  timeout_ms: 0 polls, < 0 waits forever.  Returns 1
 * with *ev filled, -EAGAIN on timeout or when nothing is ready, -EINTR after
 * mn_evsub_interrupt(), -ESHUTDOWN if the bus is being destroyed.  *lost (if
 * not NULL) receives the number of events lost since the previous call.
 */
int mn_evsub_next(struct mn_evsub *sub, struct mn_event *ev, int timeout_ms,
		  uint64_t *lost);
/* Nonzero if mn_evsub_next would not block. */
int mn_evsub_ready(struct mn_evsub *sub);
/* Makes a blocked (or the next) mn_evsub_next return -EINTR. */
void mn_evsub_interrupt(struct mn_evsub *sub);

#endif
