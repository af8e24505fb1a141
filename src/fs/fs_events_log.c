/*
 * fs_events_log.c - the two live views of the event bus: events/log, a file
 * that `tail -f` follows, and events/stream, a blocking reader like
 * trace_pipe.
 *
 * events/log.  tail -f on a FUSE mount (a "remote" file system to it)
 * polls: every second it fstat()s the file and, when st_size grew, reads
 * st_size - (what it has) bytes from where it stopped.  So the file must
 * report a size that grows as events arrive and keep the bytes at every
 * offset it reported.  The history is a ring that forgets, so its text
 * cannot be rendered again from offset 0; instead this file keeps an index
 * of lines (struct mn_logent: the byte offset where each event's line
 * starts), filled as events are published (by the notifier thread, and by
 * every read and stat, which catch up first).  A read at any offset finds
 * the line by binary search and renders just the lines it covers from the
 * bus.  A line whose event has since left the history is replaced by a
 * filler of exactly the same length ("[#42 is no longer in the history]"),
 * and events that left the history before they could be indexed (a burst
 * larger than the ring, or `events clear`) get one line saying how many
 * were lost, so offsets never move.
 *
 * Offsets only need to hold while someone has the file open: when nobody
 * does, the next open (or stat) starts the file again at the oldest event
 * still in the history, so `cat events/log` never wades through the ghosts
 * of long-gone events.  While it stays open the index keeps at most
 * IDX_MAX lines; bytes before the oldest indexed line read as filler lines.
 *
 * events/stream.  Each open gets its own subscriber (from now).  A read
 * returns whole lines as they come (a partial line waits in the stream's
 * buffer for the next read, so 1-byte reads lose nothing), or -EAGAIN when
 * nothing is there: the VFS then parks the caller (FUSE) or the syscall
 * blocks in mn_vfs_read_wait until the notifier wakes the file.  A reader
 * that fell behind gets "[lost N events]" before the next event.  After
 * the trees stop, a drained stream reads end of file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/kernel.h>

#include "fs_events_i.h"

#define IDX_MIN 1024
#define IDX_MAX 65536	/* lines indexed while the log stays open */
#define STREAM_FILL 65536	/* bytes a stream formats ahead at most */

/* 64 bytes, repeated over offsets before the oldest indexed line. */
static const char filler[] =
	"[older lines of this log are no longer kept]                   \n";

/* --- the index ------------------------------------------------------------ */

static struct mn_logent *ent(struct mn_eventsfs *e, size_t i)
{
	return &e->idx[(e->idx_first + i) % e->idx_cap];
}

static uint64_t ent_end(struct mn_eventsfs *e, size_t i)
{
	return i + 1 < e->idx_n ? ent(e, i + 1)->off : e->end;
}

static void idx_grow(struct mn_eventsfs *e)
{
	size_t cap = e->idx_cap ? e->idx_cap * 2 : IDX_MIN, i;
	struct mn_logent *n = malloc(cap * sizeof(*n));

	if (!n)
		return;
	for (i = 0; i < e->idx_n; i++)
		n[i] = *ent(e, i);
	free(e->idx);
	e->idx = n;
	e->idx_cap = cap;
	e->idx_first = 0;
}

/* Appends the line in e->scratch as an entry (seq, lost). */
static void idx_push(struct mn_eventsfs *e, uint64_t seq, uint64_t lost)
{
	if (e->idx_n == e->idx_cap && e->idx_cap < IDX_MAX)
		idx_grow(e);
	if (e->idx_n == e->idx_cap && e->idx_cap) {
		e->idx_first = (e->idx_first + 1) % e->idx_cap;
		e->idx_n--;	/* the oldest becomes filler */
	}
	if (!e->idx_cap)
		return;	/* no memory at all: the line is not kept */
	*ent(e, e->idx_n) = (struct mn_logent){e->end, seq, lost};
	e->idx_n++;
	e->end += e->scratch.len;
	clock_gettime(CLOCK_REALTIME, &e->mtime);
}

static void fmt_lost(struct mn_strbuf *sb, uint64_t seq, uint64_t lost)
{
	mn_strbuf_printf(sb, "[lost %llu events: #%llu..#%llu left the history "
			 "before they were logged]\n",
			 (unsigned long long)lost, (unsigned long long)seq,
			 (unsigned long long)(seq + lost - 1));
}

static void add_lost(struct mn_eventsfs *e, uint64_t seq, uint64_t lost)
{
	mn_strbuf_reset(&e->scratch);
	fmt_lost(&e->scratch, seq, lost);
	idx_push(e, seq, lost);
}

static void add_event(struct mn_eventsfs *e, const struct mn_event *ev)
{
	mn_strbuf_reset(&e->scratch);
	mn_event_format(ev, &e->scratch);
	mn_strbuf_putc(&e->scratch, '\n');
	idx_push(e, ev->seq, 0);
}

#define BATCH 32

/* Indexes every event from e->next_seq on.  Lock held. */
static void index_new(struct mn_eventsfs *e)
{
	struct mn_event evs[BATCH];
	uint64_t seq, expect;
	size_t n, i;

	do {
		expect = seq = e->next_seq;
		n = mn_evbus_copy_from(e->bus, NULL, &seq, evs, BATCH);
		for (i = 0; i < n; i++) {
			if (evs[i].seq > expect)
				add_lost(e, expect, evs[i].seq - expect);
			add_event(e, &evs[i]);
			expect = evs[i].seq + 1;
		}
		if (n == 0 && seq > expect)
			add_lost(e, expect, seq - expect);
		e->next_seq = n ? expect : (seq > expect ? seq : expect);
	} while (n == BATCH);
}

void mn_events_log_catch_up(struct mn_eventsfs *e)
{
	if (e->log_opens)
		index_new(e);
}

/* Nobody has the log open: start it again at the history's oldest. */
static void rebase(struct mn_eventsfs *e)
{
	struct mn_evstats st;
	uint64_t last = mn_evbus_last_seq(e->bus), keep;

	mn_evbus_stats(e->bus, &st);
	keep = st.in_history < IDX_MAX ? st.in_history : IDX_MAX;
	e->idx_n = 0;
	e->idx_first = 0;
	e->zero = e->end;
	e->next_seq = last + 1 - (keep < last ? keep : last);
	index_new(e);
}

/* Up to date, whether open (catch up) or not (rebase).  Lock held. */
static void log_refresh(struct mn_eventsfs *e)
{
	if (e->log_opens)
		index_new(e);
	else
		rebase(e);
}

void mn_events_log_free(struct mn_eventsfs *e)
{
	free(e->idx);
	e->idx = NULL;
	e->idx_cap = e->idx_n = 0;
}

/* --- reading the log ------------------------------------------------------ */

/* Line i rendered into e->scratch, exactly as long as it was indexed. */
static void render_line(struct mn_eventsfs *e, size_t i)
{
	const struct mn_logent *le = ent(e, i);
	size_t len = (size_t)(ent_end(e, i) - le->off);
	struct mn_event ev;
	uint64_t seq = le->seq;

	mn_strbuf_reset(&e->scratch);
	if (le->lost) {
		fmt_lost(&e->scratch, le->seq, le->lost);
	} else if (mn_evbus_copy_from(e->bus, NULL, &seq, &ev, 1) == 1 &&
		   ev.seq == le->seq) {
		mn_event_format(&ev, &e->scratch);
		mn_strbuf_putc(&e->scratch, '\n');
	} else {
		mn_strbuf_printf(&e->scratch, "[#%llu is no longer in the "
				 "history]", (unsigned long long)le->seq);
	}
	/* a line keeps its length whatever became of its event */
	if (e->scratch.len >= len)
		mn_strbuf_truncate(&e->scratch, len ? len - 1 : 0);
	while (e->scratch.len + 1 < len)
		mn_strbuf_putc(&e->scratch, ' ');
	if (len)
		mn_strbuf_putc(&e->scratch, '\n');
}

/* The first line whose end is past absolute offset a (idx_n if none). */
static size_t find_line(struct mn_eventsfs *e, uint64_t a)
{
	size_t lo = 0, hi = e->idx_n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ent_end(e, mid) <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t log_copy(struct mn_eventsfs *e, char *buf, uint64_t a,
		       uint64_t lim)
{
	uint64_t base = e->idx_n ? ent(e, 0)->off : e->end;
	size_t done = 0, i;

	for (; a < base && a < lim; a++, done++)
		buf[done] = a + 1 == base ? '\n' :
			    filler[(a - e->zero) % (sizeof(filler) - 1)];
	for (i = find_line(e, a); i < e->idx_n && a < lim; i++) {
		uint64_t off = ent(e, i)->off, stop = ent_end(e, i);
		size_t n;

		if (stop > lim)
			stop = lim;
		render_line(e, i);
		n = (size_t)(stop - a);
		if (a - off + n > e->scratch.len)
			break;	/* out of memory while rendering */
		memcpy(buf + done, e->scratch.buf + (a - off), n);
		done += n;
		a += n;
	}
	return done;
}

static ssize_t log_read(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			void *state, void *buf, size_t size, off_t off)
{
	struct mn_eventsfs *e = mn_trees_eventsfs(state);
	uint64_t a, lim;
	ssize_t ret = 0;

	(void)k;
	(void)ctx;
	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	index_new(e);
	a = e->zero + (uint64_t)off;
	if (a >= e->zero && a < e->end) {
		lim = e->end - a < size ? e->end : a + size;
		ret = (ssize_t)log_copy(e, buf, a, lim);
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static int log_open(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		    struct mn_vfs_file *file, int flags, void **state)
{
	struct mn_trees *t = mn_trees_get(k);
	struct mn_eventsfs *e;

	(void)ctx;
	(void)file;
	(void)flags;
	if (!t)
		return -ENODEV;
	e = mn_trees_eventsfs(t);
	pthread_mutex_lock(&e->lock);
	log_refresh(e);
	e->log_opens++;
	pthread_cond_broadcast(&e->cond);	/* the notifier has work */
	pthread_mutex_unlock(&e->lock);
	*state = t;
	return 0;
}

static void log_release(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			void *state)
{
	struct mn_eventsfs *e = mn_trees_eventsfs(state);

	(void)k;
	(void)ctx;
	pthread_mutex_lock(&e->lock);
	e->log_opens--;
	pthread_mutex_unlock(&e->lock);
	mn_trees_put(state);
}

int mn_events_log_getattr(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			  struct stat *st)
{
	struct mn_trees *t = mn_trees_get(k);
	struct mn_eventsfs *e;

	(void)ctx;
	if (!t)
		return 0;
	e = mn_trees_eventsfs(t);
	pthread_mutex_lock(&e->lock);
	log_refresh(e);
	st->st_size = (off_t)(e->end - e->zero);
	st->st_mtim = st->st_ctim = e->mtime;
	pthread_mutex_unlock(&e->lock);
	mn_trees_put(t);
	return 0;
}

const struct mn_synth_io_ops mn_events_log_io = {
	.open = log_open,
	.read = log_read,
	.release = log_release,
	.fopen_flags = MN_VFS_FOPEN_DIRECT_IO,
};

/* --- the stream ----------------------------------------------------------- */

struct mn_evstream {
	struct mn_trees *t;		/* reference held */
	struct mn_eventsfs *e;
	struct mn_vfs_file *file;	/* borrowed until release */
	struct mn_evsub *sub;
	pthread_mutex_t lock;
	/* protected by lock: */
	struct mn_strbuf pend;		/* formatted, not yet read */
	size_t pos;
	int eof;			/* the trees or the bus stopped */
	/* protected by e->lock: */
	struct mn_evstream *next, *prev;
};

void mn_events_wake_streams(struct mn_eventsfs *e)
{
	struct mn_evstream *s;

	for (s = e->streams; s; s = s->next)
		mn_vfs_file_wake(s->file);
}

/* Formats what the subscriber has, up to want bytes.  s->lock held. */
static void stream_fill(struct mn_evstream *s, size_t want)
{
	struct mn_event ev;
	uint64_t lost = 0;
	int rc;

	mn_strbuf_reset(&s->pend);
	s->pos = 0;
	if (want > STREAM_FILL)
		want = STREAM_FILL;
	while (s->pend.len < want && !mn_strbuf_error(&s->pend)) {
		rc = mn_evsub_next(s->sub, &ev, 0, &lost);
		if (lost)
			mn_strbuf_printf(&s->pend, "[lost %llu events]\n",
					 (unsigned long long)lost);
		if (rc != 1) {
			if (rc == -ESHUTDOWN)
				s->eof = 1;
			break;
		}
		mn_event_format(&ev, &s->pend);
		mn_strbuf_putc(&s->pend, '\n');
	}
}

static ssize_t stream_read(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			   void *state, void *buf, size_t size, off_t off)
{
	struct mn_evstream *s = state;
	ssize_t ret;
	size_t n;

	(void)k;
	(void)ctx;
	(void)off;
	if (!size)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->pos == s->pend.len)
		stream_fill(s, size);
	n = s->pend.len - s->pos;
	if (n > size)
		n = size;
	if (n) {
		memcpy(buf, s->pend.buf + s->pos, n);
		s->pos += n;
		ret = (ssize_t)n;
	} else {
		ret = s->eof ? 0 : -EAGAIN;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static unsigned stream_poll(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			    void *state)
{
	struct mn_evstream *s = state;
	int ready;

	(void)k;
	(void)ctx;
	pthread_mutex_lock(&s->lock);
	ready = s->pos < s->pend.len || s->eof || mn_evsub_ready(s->sub);
	pthread_mutex_unlock(&s->lock);
	return ready ? POLLIN | POLLRDNORM : 0;
}

static int stream_open(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_vfs_file *file, int flags, void **state)
{
	struct mn_trees *t = mn_trees_get(k);
	struct mn_evstream *s;
	struct mn_eventsfs *e;
	int ret = -ENODEV;

	(void)ctx;
	(void)flags;
	if (!t)
		return ret;
	e = mn_trees_eventsfs(t);
	s = calloc(1, sizeof(*s));
	ret = s ? mn_evsub_create(&s->sub, e->bus, NULL, 0) : -ENOMEM;
	if (ret < 0) {
		free(s);
		mn_trees_put(t);
		return ret;
	}
	s->t = t;
	s->e = e;
	s->file = file;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_lock(&e->lock);
	s->eof = e->stop;
	s->next = e->streams;
	if (e->streams)
		e->streams->prev = s;
	e->streams = s;
	pthread_cond_broadcast(&e->cond);	/* the notifier has work */
	pthread_mutex_unlock(&e->lock);
	*state = s;
	return 0;
}

static void stream_release(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			   void *state)
{
	struct mn_evstream *s = state;
	struct mn_eventsfs *e = s->e;

	(void)k;
	(void)ctx;
	pthread_mutex_lock(&e->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		e->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&e->lock);
	mn_evsub_destroy(s->sub);
	mn_strbuf_release(&s->pend);
	pthread_mutex_destroy(&s->lock);
	mn_trees_put(s->t);
	free(s);
}

/* The trees stop: every stream reads end of file once drained. */
void mn_events_streams_end(struct mn_eventsfs *e)
{
	struct mn_evstream *s;

	pthread_mutex_lock(&e->lock);
	for (s = e->streams; s; s = s->next) {
		pthread_mutex_lock(&s->lock);
		s->eof = 1;
		pthread_mutex_unlock(&s->lock);
		mn_vfs_file_wake(s->file);
	}
	pthread_mutex_unlock(&e->lock);
}

const struct mn_synth_io_ops mn_events_stream_io = {
	.open = stream_open,
	.read = stream_read,
	.poll = stream_poll,
	.release = stream_release,
	.fopen_flags = MN_VFS_FOPEN_DIRECT_IO | MN_VFS_FOPEN_NONSEEKABLE |
		       MN_VFS_FOPEN_STREAM,
};
