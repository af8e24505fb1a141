/*
 * tcp - TCP's connection state machine (RFC 793, section 3.2 and the event
 * processing of 3.9), as a pure module: no sockets, no clock, no locks.
 *
 * One table row per transition: (state, event) -> (new state, actions).
 * Every pair that has no row is refused with the error RFC 793 asks the
 * implementation to report ("connection already exists", "connection does
 * not exist", "connection closing") or, for a segment that the state cannot
 * accept, -EPROTO; a refused event leaves the connection unchanged.
 *
 * The network layer uses it two ways: to name and number the states it
 * reads from the host's real TCP (Linux's TCP_INFO / sock_diag states map
 * 1:1), and to check that an observed change is a path of legal transitions
 * (mn_tcp_path) so that a jump the RFC does not allow is noticed.
 *
 * Events (what each one means exactly):
 *   passive open   the user's OPEN with no foreign socket: listen()
 *   active open    the user's OPEN to a foreign socket: connect()
 *   send           the user's SEND
 *   close          the user's CLOSE (the local side is done sending)
 *   rcv SYN        a segment with SYN and without ACK (in window)
 *   rcv SYN+ACK    a segment with SYN and an acceptable ACK of our SYN
 *   rcv ACK        a segment with an acceptable ACK and neither SYN nor FIN
 *                  (in FIN-WAIT-1, CLOSING and LAST-ACK: the ACK of our FIN)
 *   rcv FIN        a segment with FIN that does not acknowledge our FIN
 *   rcv FIN+ACK    a segment with FIN that also acknowledges our FIN
 *   timeout        the 2 MSL timer of TIME-WAIT ran out
 *   rcv RST        an acceptable reset
 *   abort          the user's ABORT
 */
#ifndef MICRONOS_TCP_H
#define MICRONOS_TCP_H

#include <stddef.h>
#include <stdint.h>

enum mn_tcp_state {
	MN_TCP_CLOSED,
	MN_TCP_LISTEN,
	MN_TCP_SYN_SENT,
	MN_TCP_SYN_RECEIVED,
	MN_TCP_ESTABLISHED,
	MN_TCP_FIN_WAIT_1,
	MN_TCP_FIN_WAIT_2,
	MN_TCP_CLOSE_WAIT,
	MN_TCP_CLOSING,
	MN_TCP_LAST_ACK,
	MN_TCP_TIME_WAIT,
	MN_TCP__STATES
};

enum mn_tcp_event {
	MN_TCPE_PASSIVE_OPEN,
	MN_TCPE_ACTIVE_OPEN,
	MN_TCPE_SEND,
	MN_TCPE_CLOSE,
	MN_TCPE_RCV_SYN,
	MN_TCPE_RCV_SYN_ACK,
	MN_TCPE_RCV_ACK,
	MN_TCPE_RCV_FIN,
	MN_TCPE_RCV_FIN_ACK,
	MN_TCPE_TIMEOUT,
	MN_TCPE_RCV_RST,
	MN_TCPE_ABORT,
	MN_TCPE__EVENTS
};

/* What a transition does besides changing state (bits). */
#define MN_TCPA_CREATE_TCB 0x001
#define MN_TCPA_SEND_SYN 0x002
#define MN_TCPA_SEND_SYN_ACK 0x004
#define MN_TCPA_SEND_ACK 0x008
#define MN_TCPA_SEND_FIN 0x010
#define MN_TCPA_SEND_RST 0x020
#define MN_TCPA_SEND_DATA 0x040
#define MN_TCPA_QUEUE_DATA 0x080	/* kept until ESTABLISHED */
#define MN_TCPA_START_2MSL 0x100	/* start or restart the timer */
#define MN_TCPA_DELETE_TCB 0x200
#define MN_TCPA_REPORT_RESET 0x400	/* tell the user "connection reset" */
#define MN_TCPA_BACK_TO_LISTEN 0x800	/* a passively opened connection
					 * returns to LISTEN instead of the
					 * row's CLOSED (RFC 793 p. 70) */

struct mn_tcp_transition {
	uint8_t from;		/* enum mn_tcp_state */
	uint8_t event;		/* enum mn_tcp_event */
	uint8_t to;		/* enum mn_tcp_state */
	uint16_t actions;	/* MN_TCPA_* */
	const char *why;	/* the RFC's words for it; static */
};

/* One connection: its state and how it was opened. */
struct mn_tcp {
	enum mn_tcp_state state;
	int passive;		/* reached SYN-RECEIVED from LISTEN */
};

/* A connection in CLOSED. */
void mn_tcp_init(struct mn_tcp *t);

/*
 * The transition for (from, event): 0 with *out filled (out may be NULL),
 * or the refusal: -EISCONN (an open on an existing connection), -ENOTCONN
 * (a call or abort with no connection), -EPIPE (send after close),
 * -EALREADY (close while closing), -EINVAL (timeout outside TIME-WAIT, or
 * a state/event out of range), -EPROTO (a segment this state refuses).
 */
int mn_tcp_lookup(enum mn_tcp_state from, enum mn_tcp_event event,
		  struct mn_tcp_transition *out);

/*
 * Applies an event: 0 and t moves (actions, if not NULL, receives the
 * row's MN_TCPA_* bits), or mn_tcp_lookup's -errno and t is unchanged.
 */
int mn_tcp_step(struct mn_tcp *t, enum mn_tcp_event event, unsigned *actions);

/* The whole table (static storage) and its number of rows. */
const struct mn_tcp_transition *mn_tcp_table(size_t *count);

/*
 * A shortest sequence of events leading from one state to another through
 * legal transitions, skipping events whose bit (1 << event) is in `avoid`.
 * `passive` is as in struct mn_tcp.  Writes up to max events and returns
 * the path's length (0 if from == to), or -ENOENT if there is none.
 */
int mn_tcp_path(enum mn_tcp_state from, enum mn_tcp_state to, int passive,
		unsigned avoid, uint8_t *events, size_t max);

/* "ESTABLISHED", "FIN_WAIT_1", ...; "?" out of range.  Static. */
const char *mn_tcp_state_name(enum mn_tcp_state state);
/* "passive open", "rcv SYN+ACK", ...; "?" out of range.  Static. */
const char *mn_tcp_event_name(enum mn_tcp_event event);
/* Parses a state name (any case, '-' or '_'): the state, or -EINVAL. */
int mn_tcp_state_parse(const char *name);

/*
 * Linux's numbering (include/net/tcp_states.h: ESTABLISHED 1 ... CLOSING
 * 11, NEW_SYN_RECV 12), as /proc/net/tcp and sock_diag report it.
 * _from_linux returns the state or -EINVAL; _to_linux the number.
 */
int mn_tcp_from_linux(int linux_state);
int mn_tcp_to_linux(enum mn_tcp_state state);

#endif
