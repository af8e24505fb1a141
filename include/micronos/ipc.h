/*
 * ipc - MicronOS IPC channels.
 *
 * A channel is a named, bounded FIFO of messages (byte strings of 0 to
 * MN_IPC_MSG_MAX bytes).  Channels get small integer ids in creation order
 * (0, 1, 2, ...), never reused, so the shell can say `channel 0 send hi`.
 * Send and receive come in three forms chosen by timeout_ms: 0 never blocks
 * (-EAGAIN when the queue is full / empty), > 0 waits at most that long
 * (-EAGAIN when it runs out, as mn_evsub_next does), < 0 waits forever.
 *
 * Ending a channel:
 *  - close: no more sends (-EPIPE), blocked senders wake with -EPIPE;
 *    receivers still get what is queued, then -EPIPE (like the read end of
 *    a pipe reading end-of-file).  The channel stays listed as "closed".
 *  - remove: close, drop what is queued, forget the name and id; blocked
 *    callers wake with -EPIPE and later calls with that id get -ENOENT.
 *  - destroying the whole service wakes every blocked caller with
 *    -ESHUTDOWN before it frees anything.
 * mn_ipc_interrupt(pid) wakes the calls blocked on behalf of that pid right
 * now with -EINTR (a shell session that went away); it does not affect calls
 * that block later, so a caller that must never miss it waits in slices.
 *
 * Events (source kernel, pid of the caller): Custom(100) on create
 * ("create name=NAME id=ID capacity=N"), 101 on each send
 * ("send id=ID bytes=N"), 102 on each receive ("recv id=ID bytes=N").
 *
 * Locking: one mutex guards every channel; each channel has two condition
 * variables (not empty, not full) waited on with CLOCK_MONOTONIC deadlines.
 * Only the event bus (a leaf) is called under the mutex.
 */
#ifndef MICRONOS_IPC_H
#define MICRONOS_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_evbus;
struct mn_ipc;

#define MN_IPC_MSG_MAX 4096
/* Names: 1..MN_IPC_NAME_MAX-1 of [A-Za-z0-9_.-]. */
#define MN_IPC_NAME_MAX 32
#define MN_IPC_CAPACITY_MAX 65536
#define MN_IPC_DEFAULT_CAPACITY 64
#define MN_IPC_DEFAULT_MAX_CHANNELS 64
#define MN_IPC_MAX_CHANNELS 4096

enum mn_ipc_state {
	MN_IPC_OPEN,
	MN_IPC_CLOSED,
};

struct mn_ipc_info {
	int id;
	char name[MN_IPC_NAME_MAX];
	int32_t owner;		/* pid that created it */
	enum mn_ipc_state state;
	size_t capacity;	/* messages */
	size_t queued;		/* messages waiting */
	size_t queued_bytes;
	uint64_t sent;		/* messages accepted */
	uint64_t received;	/* messages taken */
	uint64_t bytes_sent;
	unsigned waiting_senders;
	unsigned waiting_receivers;
};

/*
 * Creates the service.  `bus` is borrowed (may be NULL: no events).
 * default_capacity: used when a channel is created with capacity 0
 * (0: MN_IPC_DEFAULT_CAPACITY); max_channels: most channels alive at once,
 * removed ones not counted (0: MN_IPC_DEFAULT_MAX_CHANNELS).  -EINVAL past
 * the MAX constants.
 */
int mn_ipc_create(struct mn_ipc **out, struct mn_evbus *bus,
		  size_t default_capacity, size_t max_channels);
/*
 * Wakes every blocked caller with -ESHUTDOWN, waits until they have left,
 * and frees everything.  Accepts NULL.  No call may start after it begins.
 */
void mn_ipc_destroy(struct mn_ipc *ipc);

/* For the config keys ipc.capacity / ipc.max_channels; -EINVAL. */
int mn_ipc_set_default_capacity(struct mn_ipc *ipc, size_t capacity);
int mn_ipc_set_max_channels(struct mn_ipc *ipc, size_t max);

/*
 * Creates a channel.  capacity 0: the default.  Returns its id (>= 0) or
 * -EINVAL (name, capacity), -EEXIST (name taken by a channel not removed),
 * -ENOSPC (too many channels), -ENOMEM; a message in err (may be NULL).
 */
int mn_ipc_channel_create(struct mn_ipc *ipc, const char *name,
			  size_t capacity, int32_t owner,
			  struct mn_strbuf *err);
/* Closes (see above).  0, -ENOENT; closing a closed channel is 0. */
int mn_ipc_channel_close(struct mn_ipc *ipc, int id);
/* Removes (see above).  0, -ENOENT. */
int mn_ipc_channel_remove(struct mn_ipc *ipc, int id);
/* Id of the channel with that name, or -ENOENT. */
int mn_ipc_lookup(struct mn_ipc *ipc, const char *name);

/*
 * Sends len bytes (copied) on behalf of pid.  0 on success, or -ENOENT (no
 * such channel), -EMSGSIZE (len > MN_IPC_MSG_MAX), -EAGAIN (full: at once
 * if timeout_ms == 0, else when the timeout ran out), -EPIPE (closed or
 * removed), -EINTR (mn_ipc_interrupt), -ESHUTDOWN, -ENOMEM.
 */
int mn_ipc_send(struct mn_ipc *ipc, int id, int32_t pid, const void *data,
		size_t len, int timeout_ms);
/*
 * Takes the oldest message into buf.  Returns its length (>= 0; an empty
 * message gives 0), or -ENOENT, -EMSGSIZE (bufsz is smaller than the
 * message, which stays queued: MN_IPC_MSG_MAX always suffices), -EAGAIN
 * (empty, as for send), -EPIPE (closed and drained, or removed), -EINTR,
 * -ESHUTDOWN.
 */
int mn_ipc_recv(struct mn_ipc *ipc, int id, int32_t pid, void *buf,
		size_t bufsz, int timeout_ms);

/* Wakes calls blocked on behalf of pid with -EINTR; returns how many. */
int mn_ipc_interrupt(struct mn_ipc *ipc, int32_t pid);

/* One channel's figures; -ENOENT. */
int mn_ipc_info(struct mn_ipc *ipc, int id, struct mn_ipc_info *out);
/*
 * Copies up to max channels (not removed) in id order; returns how many
 * exist (may exceed max).
 */
int mn_ipc_list(struct mn_ipc *ipc, struct mn_ipc_info *out, size_t max);
/*
 * The shell's `ipc`: an aligned table with a header row
 *   ID  NAME  OWNER  STATE  QUEUED  CAPACITY  SENT  RECEIVED
 * then "N channels" (or "no channels").  0 or -ENOMEM.
 */
int mn_ipc_format(struct mn_ipc *ipc, struct mn_strbuf *out);
const char *mn_ipc_state_name(enum mn_ipc_state state);

#endif
