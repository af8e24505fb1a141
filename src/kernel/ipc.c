/*
 * ipc.c - named, bounded message channels (see include/micronos/ipc.h).
 *
 * Channels live in an array indexed by id, so ids are dense, given in
 * creation order and never reused; a removed channel leaves a NULL slot (or
 * a "removed" record while callers it woke are still leaving it).  Each
 * channel's queue is a ring of pointers to individually allocated messages:
 * a message is copied in before the lock is taken and freed after it is
 * released, so the lock covers only pointer moves and the copy-out of at most
 * MN_IPC_MSG_MAX bytes.
 *
 * A blocked caller registers a struct waiter (on its stack) in a list, so
 * mn_ipc_interrupt() can find and wake it, and counts itself in the channel
 * and the service: a removed channel is freed by the last caller to leave it,
 * and destroy waits for the service's count to reach zero.
 *
 * Lock order: ipc->lock, then the event bus (leaf).
 */
#include <micronos/clock.h>
#include <micronos/ipc.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/evbus.h>

#include "texttable_i.h"

struct msg {
	size_t len;
	unsigned char *data;	/* owned; NULL for an empty message */
};

struct chan {
	/* all fields protected by ipc->lock */
	int id;
	char name[MN_IPC_NAME_MAX];
	int32_t owner;
	int closed;
	int removed;
	size_t cap;
	size_t head;		/* oldest message */
	size_t count;
	size_t queued_bytes;
	struct msg *ring;	/* cap entries */
	uint64_t sent, received, bytes_sent;
	unsigned wsend, wrecv;	/* callers blocked in send / recv */
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
};

/* One blocked call; lives on the caller's stack while it waits. */
struct waiter {
	int32_t pid;
	int interrupted;
	pthread_cond_t *cond;	/* what it waits on */
	struct waiter *next;
};

struct mn_ipc {
	pthread_mutex_t lock;
	struct mn_evbus *bus;		/* borrowed; set once */
	/* protected by lock: */
	struct chan **chans;		/* index = id; NULL once freed */
	size_t nchans;			/* ids handed out */
	size_t slots;			/* allocated entries of chans */
	size_t live;			/* channels not removed */
	size_t max_channels;
	size_t default_capacity;
	int shutdown;
	unsigned nwaiters;
	struct waiter *waiters;
	pthread_cond_t idle;		/* nwaiters reached 0 during shutdown */
};

int mn_ipc_create(struct mn_ipc **out, struct mn_evbus *bus,
		  size_t default_capacity, size_t max_channels)
{
	struct mn_ipc *ipc;
	int rc;

	if (default_capacity > MN_IPC_CAPACITY_MAX ||
	    max_channels > MN_IPC_MAX_CHANNELS)
		return -EINVAL;
	ipc = calloc(1, sizeof(*ipc));
	if (!ipc)
		return -ENOMEM;
	ipc->bus = bus;
	ipc->default_capacity =
		default_capacity ? default_capacity : MN_IPC_DEFAULT_CAPACITY;
	ipc->max_channels =
		max_channels ? max_channels : MN_IPC_DEFAULT_MAX_CHANNELS;
	if ((rc = -pthread_mutex_init(&ipc->lock, NULL)) < 0)
		goto err_free;
	if ((rc = mn_cond_init_monotonic(&ipc->idle)) < 0)
		goto err_mutex;
	*out = ipc;
	return 0;
err_mutex:
	pthread_mutex_destroy(&ipc->lock);
err_free:
	free(ipc);
	return rc;
}

static void drop_messages(struct chan *c)
{
	while (c->count > 0) {
		free(c->ring[c->head].data);
		c->head = (c->head + 1) % c->cap;
		c->count--;
	}
	c->queued_bytes = 0;
}

static void free_chan(struct chan *c)
{
	drop_messages(c);
	free(c->ring);
	pthread_cond_destroy(&c->not_empty);
	pthread_cond_destroy(&c->not_full);
	free(c);
}

void mn_ipc_destroy(struct mn_ipc *ipc)
{
	struct waiter *w;
	size_t i;

	if (!ipc)
		return;
	pthread_mutex_lock(&ipc->lock);
	ipc->shutdown = 1;
	for (w = ipc->waiters; w; w = w->next)
		pthread_cond_broadcast(w->cond);
	while (ipc->nwaiters > 0)
		pthread_cond_wait(&ipc->idle, &ipc->lock);
	pthread_mutex_unlock(&ipc->lock);
	for (i = 0; i < ipc->nchans; i++)
		if (ipc->chans[i])
			free_chan(ipc->chans[i]);
	free(ipc->chans);
	pthread_cond_destroy(&ipc->idle);
	pthread_mutex_destroy(&ipc->lock);
	free(ipc);
}

int mn_ipc_set_default_capacity(struct mn_ipc *ipc, size_t capacity)
{
	if (capacity < 1 || capacity > MN_IPC_CAPACITY_MAX)
		return -EINVAL;
	pthread_mutex_lock(&ipc->lock);
	ipc->default_capacity = capacity;
	pthread_mutex_unlock(&ipc->lock);
	return 0;
}

int mn_ipc_set_max_channels(struct mn_ipc *ipc, size_t max)
{
	if (max < 1 || max > MN_IPC_MAX_CHANNELS)
		return -EINVAL;
	pthread_mutex_lock(&ipc->lock);
	ipc->max_channels = max;
	pthread_mutex_unlock(&ipc->lock);
	return 0;
}

static int check_name(const char *name, struct mn_strbuf *err)
{
	size_t i, len = name ? strlen(name) : 0;

	if (len == 0 || len >= MN_IPC_NAME_MAX) {
		if (err)
			mn_strbuf_printf(err, "channel name must be 1..%d "
					 "characters", MN_IPC_NAME_MAX - 1);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-')
			continue;
		if (err)
			mn_strbuf_printf(err, "channel name may only hold "
					 "letters, digits, '_', '.' and '-'");
		return -EINVAL;
	}
	return 0;
}

/* Caller holds ipc->lock.  Returns the channel, or NULL (removed/unknown). */
static struct chan *find_id(struct mn_ipc *ipc, int id)
{
	if (id < 0 || (size_t)id >= ipc->nchans || !ipc->chans[id] ||
	    ipc->chans[id]->removed)
		return NULL;
	return ipc->chans[id];
}

/* Caller holds ipc->lock. */
static int find_name(struct mn_ipc *ipc, const char *name)
{
	size_t i;

	for (i = 0; i < ipc->nchans; i++) {
		struct chan *c = ipc->chans[i];

		if (c && !c->removed && strcmp(c->name, name) == 0)
			return (int)i;
	}
	return -ENOENT;
}

static struct chan *new_chan(const char *name, size_t cap, int32_t owner)
{
	struct chan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ring = calloc(cap, sizeof(*c->ring));
	if (!c->ring)
		goto err_free;
	if (mn_cond_init_monotonic(&c->not_empty) < 0)
		goto err_ring;
	if (mn_cond_init_monotonic(&c->not_full) < 0)
		goto err_cond;
	strcpy(c->name, name);	/* length checked by check_name */
	c->cap = cap;
	c->owner = owner;
	return c;
err_cond:
	pthread_cond_destroy(&c->not_empty);
err_ring:
	free(c->ring);
err_free:
	free(c);
	return NULL;
}

/* Caller holds ipc->lock.  Makes room for one more id. */
static int grow_slots(struct mn_ipc *ipc)
{
	struct chan **p;
	size_t slots;

	if (ipc->nchans < ipc->slots)
		return 0;
	if (ipc->nchans >= (size_t)INT32_MAX)
		return -ENOSPC;
	slots = ipc->slots ? ipc->slots * 2 : 16;
	p = realloc(ipc->chans, slots * sizeof(*p));
	if (!p)
		return -ENOMEM;
	ipc->chans = p;
	ipc->slots = slots;
	return 0;
}

int mn_ipc_channel_create(struct mn_ipc *ipc, const char *name,
			  size_t capacity, int32_t owner, struct mn_strbuf *err)
{
	struct chan *c = NULL;
	int rc;

	if ((rc = check_name(name, err)) < 0)
		return rc;
	if (capacity > MN_IPC_CAPACITY_MAX) {
		if (err)
			mn_strbuf_printf(err, "capacity must be 1..%d messages",
					 MN_IPC_CAPACITY_MAX);
		return -EINVAL;
	}
	pthread_mutex_lock(&ipc->lock);
	if (find_name(ipc, name) >= 0) {
		if (err)
			mn_strbuf_printf(err, "channel '%s' exists", name);
		rc = -EEXIST;
		goto out;
	}
	if (ipc->live >= ipc->max_channels) {
		if (err)
			mn_strbuf_printf(err, "too many channels (at most %zu)",
					 ipc->max_channels);
		rc = -ENOSPC;
		goto out;
	}
	if (!capacity)
		capacity = ipc->default_capacity;
	if ((rc = grow_slots(ipc)) < 0 ||
	    !(c = new_chan(name, capacity, owner))) {
		rc = rc < 0 ? rc : -ENOMEM;
		if (err)
			mn_strbuf_printf(err, "cannot create channel: %s",
					 strerror(-rc));
		goto out;
	}
	c->id = (int)ipc->nchans;
	ipc->chans[ipc->nchans++] = c;
	ipc->live++;
	rc = c->id;
	if (ipc->bus)
		mn_evbus_publish_custom(ipc->bus, MN_CUSTOM_IPC_CREATE,
					MN_SRC_KERNEL, owner,
					"create name=%s id=%d capacity=%zu",
					name, c->id, capacity);
out:
	pthread_mutex_unlock(&ipc->lock);
	return rc;
}

/* Caller holds ipc->lock.  Wakes everyone blocked on the channel. */
static void wake_all(struct chan *c)
{
	pthread_cond_broadcast(&c->not_empty);
	pthread_cond_broadcast(&c->not_full);
}

int mn_ipc_channel_close(struct mn_ipc *ipc, int id)
{
	struct chan *c;
	int rc = 0;

	pthread_mutex_lock(&ipc->lock);
	if (!(c = find_id(ipc, id)))
		rc = -ENOENT;
	else if (!c->closed) {
		c->closed = 1;
		wake_all(c);
	}
	pthread_mutex_unlock(&ipc->lock);
	return rc;
}

int mn_ipc_channel_remove(struct mn_ipc *ipc, int id)
{
	struct chan *c;
	int rc = 0;

	pthread_mutex_lock(&ipc->lock);
	if (!(c = find_id(ipc, id))) {
		rc = -ENOENT;
		goto out;
	}
	c->closed = 1;
	c->removed = 1;
	ipc->live--;
	drop_messages(c);
	if (c->wsend + c->wrecv == 0) {
		free_chan(c);
		ipc->chans[id] = NULL;
	} else {
		wake_all(c);	/* the last one to leave frees it */
	}
out:
	pthread_mutex_unlock(&ipc->lock);
	return rc;
}

int mn_ipc_lookup(struct mn_ipc *ipc, const char *name)
{
	int rc;

	if (!name)
		return -ENOENT;
	pthread_mutex_lock(&ipc->lock);
	rc = find_name(ipc, name);
	pthread_mutex_unlock(&ipc->lock);
	return rc;
}

/* Caller holds ipc->lock: registers a blocked call. */
static void wait_begin(struct mn_ipc *ipc, struct chan *c, struct waiter *w,
		       int32_t pid, int sending)
{
	w->pid = pid;
	w->interrupted = 0;
	w->cond = sending ? &c->not_full : &c->not_empty;
	w->next = ipc->waiters;
	ipc->waiters = w;
	ipc->nwaiters++;
	if (sending)
		c->wsend++;
	else
		c->wrecv++;
}

/* Caller holds ipc->lock: the blocked call leaves; may free the channel. */
static void wait_end(struct mn_ipc *ipc, struct chan *c, struct waiter *w,
		     int sending)
{
	struct waiter **pp;

	for (pp = &ipc->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	if (sending)
		c->wsend--;
	else
		c->wrecv--;
	if (c->removed && c->wsend + c->wrecv == 0) {
		ipc->chans[c->id] = NULL;
		free_chan(c);
	}
	if (--ipc->nwaiters == 0 && ipc->shutdown)
		pthread_cond_broadcast(&ipc->idle);
}

/*
 * Caller holds ipc->lock and has registered w.  Waits once; returns 0 when
 * woken (the caller re-checks), -EAGAIN at the deadline, -EINTR,
 * -ESHUTDOWN.
 */
static int wait_once(struct mn_ipc *ipc, struct waiter *w,
		     const struct timespec *deadline)
{
	int rc;

	if (deadline)
		rc = pthread_cond_timedwait(w->cond, &ipc->lock, deadline);
	else
		rc = pthread_cond_wait(w->cond, &ipc->lock);
	if (ipc->shutdown)
		return -ESHUTDOWN;
	if (w->interrupted)
		return -EINTR;
	return rc == ETIMEDOUT ? -EAGAIN : 0;
}

/* Caller holds ipc->lock. */
static void enqueue(struct mn_ipc *ipc, struct chan *c, int32_t pid,
		    unsigned char *data, size_t len)
{
	struct msg *m = &c->ring[(c->head + c->count) % c->cap];

	m->data = data;
	m->len = len;
	c->count++;
	c->queued_bytes += len;
	c->sent++;
	c->bytes_sent += len;
	pthread_cond_signal(&c->not_empty);
	if (ipc->bus)
		mn_evbus_publish_custom(ipc->bus, MN_CUSTOM_IPC_SEND,
					MN_SRC_KERNEL, pid,
					"send name=%s id=%d bytes=%zu",
					c->name, c->id, len);
}

/*
 * The blocking skeleton shared by send and recv: `ready` says whether the
 * call can go ahead now (1), must fail (< 0) or must wait (0).
 */
static int wait_until_ready(struct mn_ipc *ipc, struct chan *c, int32_t pid,
			    int sending, int timeout_ms,
			    int (*ready)(struct chan *c, size_t arg),
			    size_t arg)
{
	struct timespec ts;
	struct waiter w;
	int rc, waiting = 0;

	if (timeout_ms > 0)
		mn_clock_deadline_ms(&ts, timeout_ms);
	for (;;) {
		if (ipc->shutdown) {
			rc = -ESHUTDOWN;
			break;
		}
		if ((rc = ready(c, arg)) != 0)
			break;
		if (timeout_ms == 0) {
			rc = -EAGAIN;
			break;
		}
		if (!waiting) {
			wait_begin(ipc, c, &w, pid, sending);
			waiting = 1;
		}
		rc = wait_once(ipc, &w, timeout_ms > 0 ? &ts : NULL);
		if (rc < 0 && rc != -EAGAIN)
			break;
		if (rc == -EAGAIN && (rc = ready(c, arg)) == 0) {
			rc = -EAGAIN;
			break;
		}
	}
	/* frees c only if it was removed, and then rc is -EPIPE */
	if (waiting)
		wait_end(ipc, c, &w, sending);
	return rc;
}

static int send_ready(struct chan *c, size_t len)
{
	(void)len;
	if (c->closed)
		return -EPIPE;
	return c->count < c->cap;
}

static int recv_ready(struct chan *c, size_t bufsz)
{
	if (c->removed)
		return -EPIPE;
	if (c->count > 0)
		return c->ring[c->head].len > bufsz ? -EMSGSIZE : 1;
	return c->closed ? -EPIPE : 0;
}

int mn_ipc_send(struct mn_ipc *ipc, int id, int32_t pid, const void *data,
		size_t len, int timeout_ms)
{
	unsigned char *copy = NULL;
	struct chan *c;
	int rc;

	if (len > MN_IPC_MSG_MAX)
		return -EMSGSIZE;
	if (len > 0) {
		if (!data)
			return -EINVAL;
		if (!(copy = malloc(len)))
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	pthread_mutex_lock(&ipc->lock);
	if (!(c = find_id(ipc, id))) {
		rc = ipc->shutdown ? -ESHUTDOWN : -ENOENT;
		goto out;
	}
	rc = wait_until_ready(ipc, c, pid, 1, timeout_ms, send_ready, len);
	if (rc > 0) {
		/* c is still valid: a removed channel gave -EPIPE */
		enqueue(ipc, c, pid, copy, len);
		copy = NULL;
		rc = 0;
	}
out:
	pthread_mutex_unlock(&ipc->lock);
	free(copy);
	return rc;
}

int mn_ipc_recv(struct mn_ipc *ipc, int id, int32_t pid, void *buf,
		size_t bufsz, int timeout_ms)
{
	unsigned char *data = NULL;
	struct chan *c;
	struct msg *m;
	int rc;

	if (bufsz > 0 && !buf)
		return -EINVAL;
	pthread_mutex_lock(&ipc->lock);
	if (!(c = find_id(ipc, id))) {
		rc = ipc->shutdown ? -ESHUTDOWN : -ENOENT;
		goto out;
	}
	rc = wait_until_ready(ipc, c, pid, 0, timeout_ms, recv_ready, bufsz);
	if (rc > 0) {
		m = &c->ring[c->head];
		if (m->len)
			memcpy(buf, m->data, m->len);
		data = m->data;
		rc = (int)m->len;
		c->head = (c->head + 1) % c->cap;
		c->count--;
		c->queued_bytes -= m->len;
		c->received++;
		pthread_cond_signal(&c->not_full);
		if (ipc->bus)
			mn_evbus_publish_custom(ipc->bus, MN_CUSTOM_IPC_RECV,
						MN_SRC_KERNEL, pid,
						"recv name=%s id=%d bytes=%d",
						c->name, c->id, rc);
	}
out:
	pthread_mutex_unlock(&ipc->lock);
	free(data);
	return rc;
}

int mn_ipc_interrupt(struct mn_ipc *ipc, int32_t pid)
{
	struct waiter *w;
	int n = 0;

	pthread_mutex_lock(&ipc->lock);
	for (w = ipc->waiters; w; w = w->next) {
		if (w->pid != pid || w->interrupted)
			continue;
		w->interrupted = 1;
		pthread_cond_broadcast(w->cond);
		n++;
	}
	pthread_mutex_unlock(&ipc->lock);
	return n;
}

/* Caller holds ipc->lock. */
static void fill_info(const struct chan *c, struct mn_ipc_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = c->id;
	memcpy(out->name, c->name, sizeof(out->name));
	out->owner = c->owner;
	out->state = c->closed ? MN_IPC_CLOSED : MN_IPC_OPEN;
	out->capacity = c->cap;
	out->queued = c->count;
	out->queued_bytes = c->queued_bytes;
	out->sent = c->sent;
	out->received = c->received;
	out->bytes_sent = c->bytes_sent;
	out->waiting_senders = c->wsend;
	out->waiting_receivers = c->wrecv;
}

int mn_ipc_info(struct mn_ipc *ipc, int id, struct mn_ipc_info *out)
{
	struct chan *c;
	int rc = 0;

	pthread_mutex_lock(&ipc->lock);
	if ((c = find_id(ipc, id)))
		fill_info(c, out);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&ipc->lock);
	return rc;
}

int mn_ipc_list(struct mn_ipc *ipc, struct mn_ipc_info *out, size_t max)
{
	size_t i, n = 0;

	pthread_mutex_lock(&ipc->lock);
	for (i = 0; i < ipc->nchans; i++) {
		struct chan *c = ipc->chans[i];

		if (!c || c->removed)
			continue;
		if (n < max)
			fill_info(c, &out[n]);
		n++;
	}
	pthread_mutex_unlock(&ipc->lock);
	return (int)n;
}

const char *mn_ipc_state_name(enum mn_ipc_state state)
{
	static const char *const names[] = {
		[MN_IPC_OPEN] = "open",
		[MN_IPC_CLOSED] = "closed",
	};

	if ((unsigned)state >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[state];
}

int mn_ipc_format(struct mn_ipc *ipc, struct mn_strbuf *out)
{
	struct mn_ipc_info *v = NULL;
	struct mn_texttable t;
	int i, n, rc;

	/* the count may grow between the two calls: copy what fits */
	n = mn_ipc_list(ipc, NULL, 0);
	if (n > 0 && !(v = calloc((size_t)n, sizeof(*v))))
		return -ENOMEM;
	if (n > 0) {
		int m = mn_ipc_list(ipc, v, (size_t)n);

		n = m < n ? m : n;
	}
	mn_texttable_init(&t, 8);
	mn_texttable_cell(&t, "ID");
	mn_texttable_cell(&t, "NAME");
	mn_texttable_cell(&t, "OWNER");
	mn_texttable_cell(&t, "STATE");
	mn_texttable_cell(&t, "QUEUED");
	mn_texttable_cell(&t, "CAPACITY");
	mn_texttable_cell(&t, "SENT");
	mn_texttable_cell(&t, "RECEIVED");
	for (i = 0; i < n; i++) {
		mn_texttable_cell(&t, "%d", v[i].id);
		mn_texttable_cell(&t, "%s", v[i].name);
		mn_texttable_cell(&t, "%d", (int)v[i].owner);
		mn_texttable_cell(&t, "%s", mn_ipc_state_name(v[i].state));
		mn_texttable_cell(&t, "%zu", v[i].queued);
		mn_texttable_cell(&t, "%zu", v[i].capacity);
		mn_texttable_cell(&t, "%llu", (unsigned long long)v[i].sent);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)v[i].received);
	}
	if (n > 0)
		rc = mn_texttable_render(&t, out);
	else
		rc = 0;
	mn_texttable_release(&t);
	if (n == 0)
		mn_strbuf_puts(out, "no channels\n");
	else
		mn_strbuf_printf(out, "%d channel%s\n", n, n == 1 ? "" : "s");
	free(v);
	return rc < 0 ? rc : mn_strbuf_error(out);
}
