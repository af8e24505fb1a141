/*
 * evbus.c - the event bus: a history ring, subscribers with cursors, and
 * statistics (see include/micronos/evbus.h).  Names, the one-line format and
 * the CSV export live in evbus_text.c.
 *
 * The history is a ring indexed by sequence number: the event with sequence
 * s sits in slot s % capacity, and the history holds the events
 * [first_seq, next_seq).  Publishing formats the text straight into its
 * slot under the bus mutex, so a publish costs one lock, one clock read and
 * one vsnprintf, and never allocates.
 *
 * A subscriber is a cursor: the sequence number of the next event it has
 * not looked at.  Cursors never point below first_seq: when the ring
 * overwrites an event, every subscriber still before it is moved past it,
 * and if the event matched its filter its lost count goes up.  So a slow
 * subscriber never holds a publisher back, and the loss it reports counts
 * only events it would have seen.
 *
 * Waiting: one condition variable (CLOCK_MONOTONIC) serves every
 * subscriber.  Publish broadcasts only when someone waits, so the common
 * case, nobody waiting, costs no syscall.  Destroy sets `shutdown`, wakes
 * everyone and waits for the waiters to leave before freeing anything.
 *
 * Lock: bus->lock is a leaf.  It is held while formatting (vsnprintf does
 * not call back into MicronOS) and never across the hook.
 */
#include <micronos/clock.h>
#include <micronos/evbus.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mn_evsub {
	struct mn_evbus *bus;		/* borrowed; NULL once bus is gone */
	/* protected by bus->lock: */
	struct mn_evfilter filter;
	uint64_t cursor;		/* next seq to look at, >= first_seq */
	uint64_t lost;			/* matching events overwritten unread */
	int interrupted;
	struct mn_evsub *prev, *next;
};

struct mn_evbus {
	const struct mn_clock *clock;	/* borrowed; set once */
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* events, interrupts, shutdown */
	pthread_cond_t drained;		/* the last waiter left (destroy) */
	/* protected by lock: */
	struct mn_event *ring;
	size_t cap;
	uint64_t first_seq;		/* oldest event held */
	uint64_t next_seq;		/* next publish's seq; starts at 1 */
	uint64_t dropped;
	uint64_t by_type[MN_EV__COUNT];
	uint64_t by_source[MN_SRC__COUNT];
	struct mn_evsub *subs;
	size_t nsubs;
	unsigned waiters;		/* threads inside pthread_cond_*wait */
	int shutdown;
	void (*hook)(void *arg, const struct mn_event *ev);
	void *hook_arg;
};

static int init_sync(struct mn_evbus *bus)
{
	int err;

	if ((err = pthread_mutex_init(&bus->lock, NULL)) != 0)
		return -err;
	if ((err = mn_cond_init_monotonic(&bus->wake)) < 0)
		goto unwind_lock;
	if ((err = mn_cond_init_monotonic(&bus->drained)) < 0)
		goto unwind_wake;
	return 0;
unwind_wake:
	pthread_cond_destroy(&bus->wake);
unwind_lock:
	pthread_mutex_destroy(&bus->lock);
	return err;
}

int mn_evbus_create(struct mn_evbus **out, size_t capacity,
		    const struct mn_clock *clock)
{
	struct mn_evbus *bus;
	int err = -EINVAL;

	if (!out || capacity < 1 || capacity > MN_EVBUS_MAX_CAPACITY)
		return err;
	err = -ENOMEM;
	if (!(bus = calloc(1, sizeof(*bus))))
		return err;
	if (!(bus->ring = calloc(capacity, sizeof(*bus->ring))))
		goto unwind_bus;
	if ((err = init_sync(bus)) < 0)
		goto unwind_ring;
	bus->clock = clock;
	bus->cap = capacity;
	bus->first_seq = 1;
	bus->next_seq = 1;
	*out = bus;
	return 0;
unwind_ring:
	free(bus->ring);
unwind_bus:
	free(bus);
	return err;
}

/*
 * The caller guarantees that no new call on the bus starts; threads already
 * blocked in mn_evsub_next are woken and leave with -ESHUTDOWN before the
 * memory goes away.
 */
void mn_evbus_destroy(struct mn_evbus *bus)
{
	struct mn_evsub *sub;

	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	bus->shutdown = 1;
	pthread_cond_broadcast(&bus->wake);
	while (bus->waiters > 0)
		pthread_cond_wait(&bus->drained, &bus->lock);
	for (sub = bus->subs; sub; sub = sub->next)
		sub->bus = NULL;
	bus->subs = NULL;
	pthread_mutex_unlock(&bus->lock);
	pthread_cond_destroy(&bus->drained);
	pthread_cond_destroy(&bus->wake);
	pthread_mutex_destroy(&bus->lock);
	free(bus->ring);
	free(bus);
}

/* Mask bit of a value read from an event, which may come from a caller. */
static uint32_t bit(unsigned v)
{
	return v < 32 ? 1u << v : 0;
}

int mn_evfilter_match(const struct mn_evfilter *f, const struct mn_event *ev)
{
	if (!f)
		return 1;
	if (f->class_mask &&
	    !(f->class_mask & bit(mn_event_class_of(ev->type))))
		return 0;
	if (f->source_mask && !(f->source_mask & bit(ev->source)))
		return 0;
	if (f->type_mask && !(f->type_mask & bit(ev->type)))
		return 0;
	return 1;
}

static struct mn_event *slot(struct mn_evbus *bus, uint64_t seq)
{
	return &bus->ring[seq % bus->cap];
}

/*
 * Forgets the oldest event: subscribers that had not reached it move past
 * it, and lose it if it was theirs to see.  Lock held.
 */
static void evict_oldest(struct mn_evbus *bus)
{
	const struct mn_event *ev = slot(bus, bus->first_seq);
	struct mn_evsub *sub;
	int unseen = 0;

	for (sub = bus->subs; sub; sub = sub->next) {
		if (sub->cursor > bus->first_seq)
			continue;
		sub->cursor = bus->first_seq + 1;
		if (mn_evfilter_match(&sub->filter, ev)) {
			sub->lost++;
			unseen = 1;
		}
	}
	bus->dropped += unseen;
	bus->first_seq++;
}

static int64_t vpublish(struct mn_evbus *bus, enum mn_event_type type,
			uint16_t custom_id, enum mn_event_source source,
			int32_t pid, const char *fmt, va_list ap)
{
	void (*hook)(void *arg, const struct mn_event *ev);
	struct mn_event *ev, copy;
	void *hook_arg;
	uint64_t seq;

	if (!bus || (unsigned)type >= MN_EV__COUNT ||
	    (unsigned)source >= MN_SRC__COUNT || !fmt)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	if (bus->next_seq - bus->first_seq == bus->cap)
		evict_oldest(bus);
	seq = bus->next_seq++;
	ev = slot(bus, seq);
	ev->seq = seq;
	ev->time_ns = mn_clock_now_ns(bus->clock);
	ev->pid = pid;
	ev->type = (uint16_t)type;
	ev->source = (uint16_t)source;
	ev->custom_id = custom_id;
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	bus->by_type[type]++;
	bus->by_source[source]++;
	if (bus->waiters)
		pthread_cond_broadcast(&bus->wake);
	hook = bus->hook;
	hook_arg = bus->hook_arg;
	if (hook)
		copy = *ev;
	pthread_mutex_unlock(&bus->lock);
	if (hook)
		hook(hook_arg, &copy);
	return (int64_t)seq;
}

int64_t mn_evbus_publish(struct mn_evbus *bus, enum mn_event_type type,
			 enum mn_event_source source, int32_t pid,
			 const char *fmt, ...)
{
	va_list ap;
	int64_t ret;

	va_start(ap, fmt);
	ret = vpublish(bus, type, 0, source, pid, fmt, ap);
	va_end(ap);
	return ret;
}

int64_t mn_evbus_publish_custom(struct mn_evbus *bus, uint16_t custom_id,
				enum mn_event_source source, int32_t pid,
				const char *fmt, ...)
{
	va_list ap;
	int64_t ret;

	va_start(ap, fmt);
	ret = vpublish(bus, MN_EV_CUSTOM, custom_id, source, pid, fmt, ap);
	va_end(ap);
	return ret;
}

/* Moves the newest events into `ring` (capacity `cap`).  Lock held. */
static void rehome(struct mn_evbus *bus, struct mn_event *ring, size_t cap)
{
	uint64_t s;

	while (bus->next_seq - bus->first_seq > cap)
		evict_oldest(bus);
	for (s = bus->first_seq; s < bus->next_seq; s++)
		ring[s % cap] = *slot(bus, s);
	free(bus->ring);
	bus->ring = ring;
	bus->cap = cap;
}

int mn_evbus_resize(struct mn_evbus *bus, size_t capacity)
{
	struct mn_event *ring;

	if (!bus || capacity < 1 || capacity > MN_EVBUS_MAX_CAPACITY)
		return -EINVAL;
	/* Allocate outside the lock: a large ring takes a while to zero. */
	if (!(ring = calloc(capacity, sizeof(*ring))))
		return -ENOMEM;
	pthread_mutex_lock(&bus->lock);
	rehome(bus, ring, capacity);
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

size_t mn_evbus_capacity(struct mn_evbus *bus)
{
	size_t cap;

	pthread_mutex_lock(&bus->lock);
	cap = bus->cap;
	pthread_mutex_unlock(&bus->lock);
	return cap;
}

void mn_evbus_clear(struct mn_evbus *bus)
{
	struct mn_evsub *sub;

	pthread_mutex_lock(&bus->lock);
	bus->first_seq = bus->next_seq;
	for (sub = bus->subs; sub; sub = sub->next)
		sub->cursor = bus->next_seq;
	pthread_mutex_unlock(&bus->lock);
}

uint64_t mn_evbus_last_seq(struct mn_evbus *bus)
{
	uint64_t seq;

	pthread_mutex_lock(&bus->lock);
	seq = bus->next_seq - 1;
	pthread_mutex_unlock(&bus->lock);
	return seq;
}

size_t mn_evbus_snapshot(struct mn_evbus *bus, const struct mn_evfilter *filter,
			 struct mn_event *out, size_t max)
{
	size_t n = 0;
	uint64_t s;

	if (!max)
		return 0;
	pthread_mutex_lock(&bus->lock);
	/* Newest first into the tail of out, then slide to the front. */
	for (s = bus->next_seq; s > bus->first_seq && n < max; s--) {
		const struct mn_event *ev = slot(bus, s - 1);

		if (mn_evfilter_match(filter, ev))
			out[max - 1 - n++] = *ev;
	}
	pthread_mutex_unlock(&bus->lock);
	if (n < max)
		memmove(out, out + (max - n), n * sizeof(*out));
	return n;
}

size_t mn_evbus_copy_from(struct mn_evbus *bus,
			  const struct mn_evfilter *filter, uint64_t *seq,
			  struct mn_event *out, size_t max)
{
	size_t n = 0;
	uint64_t s;

	pthread_mutex_lock(&bus->lock);
	s = *seq < bus->first_seq ? bus->first_seq : *seq;
	for (; s < bus->next_seq && n < max; s++) {
		const struct mn_event *ev = slot(bus, s);

		if (mn_evfilter_match(filter, ev))
			out[n++] = *ev;
	}
	pthread_mutex_unlock(&bus->lock);
	*seq = s;
	return n;
}

void mn_evbus_stats(struct mn_evbus *bus, struct mn_evstats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&bus->lock);
	out->published = bus->next_seq - 1;
	out->in_history = bus->next_seq - bus->first_seq;
	out->capacity = bus->cap;
	out->dropped = bus->dropped;
	memcpy(out->by_type, bus->by_type, sizeof(out->by_type));
	memcpy(out->by_source, bus->by_source, sizeof(out->by_source));
	out->subscribers = bus->nsubs;
	pthread_mutex_unlock(&bus->lock);
}

void mn_evbus_set_hook(struct mn_evbus *bus,
		       void (*hook)(void *arg, const struct mn_event *ev),
		       void *arg)
{
	pthread_mutex_lock(&bus->lock);
	bus->hook = hook;
	bus->hook_arg = arg;
	pthread_mutex_unlock(&bus->lock);
}

/* ---- subscribers --------------------------------------------------------- */

int mn_evsub_create(struct mn_evsub **out, struct mn_evbus *bus,
		    const struct mn_evfilter *filter, int from_oldest)
{
	struct mn_evsub *sub;

	if (!out || !bus)
		return -EINVAL;
	if (!(sub = calloc(1, sizeof(*sub))))
		return -ENOMEM;
	sub->bus = bus;
	if (filter)
		sub->filter = *filter;
	pthread_mutex_lock(&bus->lock);
	if (bus->shutdown) {
		pthread_mutex_unlock(&bus->lock);
		free(sub);
		return -ESHUTDOWN;
	}
	sub->cursor = from_oldest ? bus->first_seq : bus->next_seq;
	sub->next = bus->subs;
	if (bus->subs)
		bus->subs->prev = sub;
	bus->subs = sub;
	bus->nsubs++;
	pthread_mutex_unlock(&bus->lock);
	*out = sub;
	return 0;
}

void mn_evsub_destroy(struct mn_evsub *sub)
{
	struct mn_evbus *bus;

	if (!sub)
		return;
	bus = sub->bus;
	if (bus) {
		pthread_mutex_lock(&bus->lock);
		if (sub->prev)
			sub->prev->next = sub->next;
		else
			bus->subs = sub->next;
		if (sub->next)
			sub->next->prev = sub->prev;
		bus->nsubs--;
		pthread_mutex_unlock(&bus->lock);
	}
	free(sub);
}

/*
 * Finds the next matching event at or after the cursor; moves the cursor
 * past what it skipped.  Lock held.
 */
static const struct mn_event *find_next(struct mn_evsub *sub)
{
	struct mn_evbus *bus = sub->bus;

	for (; sub->cursor < bus->next_seq; sub->cursor++) {
		const struct mn_event *ev = slot(bus, sub->cursor);

		if (mn_evfilter_match(&sub->filter, ev))
			return ev;
	}
	return NULL;
}

/* Blocks once on the wake condition.  Returns ETIMEDOUT or 0.  Lock held. */
static int wait_once(struct mn_evbus *bus, const struct timespec *deadline)
{
	int rc;

	bus->waiters++;
	if (deadline)
		rc = pthread_cond_timedwait(&bus->wake, &bus->lock, deadline);
	else
		rc = pthread_cond_wait(&bus->wake, &bus->lock);
	if (--bus->waiters == 0 && bus->shutdown)
		pthread_cond_signal(&bus->drained);
	return rc;
}

int mn_evsub_next(struct mn_evsub *sub, struct mn_event *ev, int timeout_ms,
		  uint64_t *lost)
{
	struct mn_evbus *bus = sub->bus;
	const struct mn_event *found;
	struct timespec deadline;
	int ret, timed_out = 0;

	if (!bus)
		return -ESHUTDOWN;
	if (timeout_ms > 0)
		mn_clock_deadline_ms(&deadline, timeout_ms);
	pthread_mutex_lock(&bus->lock);
	for (;;) {
		ret = -ESHUTDOWN;
		if (bus->shutdown)
			break;
		ret = -EINTR;
		if (sub->interrupted) {
			sub->interrupted = 0;
			break;
		}
		ret = 1;
		if ((found = find_next(sub))) {
			*ev = *found;
			sub->cursor++;
			break;
		}
		ret = -EAGAIN;
		if (timeout_ms == 0 || timed_out)
			break;
		timed_out = wait_once(bus, timeout_ms > 0 ? &deadline : NULL) ==
			    ETIMEDOUT;
	}
	if (lost)
		*lost = sub->lost;
	sub->lost = 0;
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

int mn_evsub_ready(struct mn_evsub *sub)
{
	struct mn_evbus *bus = sub->bus;
	int ready;

	if (!bus)
		return 1;	/* next() returns -ESHUTDOWN at once */
	pthread_mutex_lock(&bus->lock);
	ready = bus->shutdown || sub->interrupted || find_next(sub) != NULL;
	pthread_mutex_unlock(&bus->lock);
	return ready;
}

void mn_evsub_interrupt(struct mn_evsub *sub)
{
	struct mn_evbus *bus = sub->bus;

	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	sub->interrupted = 1;
	if (bus->waiters)
		pthread_cond_broadcast(&bus->wake);
	pthread_mutex_unlock(&bus->lock);
}
