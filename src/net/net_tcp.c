/*
 * net_tcp.c - TCP's state machine as a table (RFC 793).
 *
 * The table below is the state diagram of RFC 793 (figure 6) plus the
 * transitions its event processing (section 3.9) adds: resets, aborts, an
 * in-window SYN on a synchronized connection, and the self-loops where a
 * state stays put but acts (data sent or queued, a retransmitted FIN acked,
 * a bad ACK on a listener answered with RST).  A pair with no row is
 * refused; refusal() says with which error.  Nothing here touches a socket:
 * the network layer feeds it what it observes of the host's real TCP.
 *
 * Lookups scan 70 rows; the index built on first use makes them one load.
 */
#include <errno.h>
#include <pthread.h>
#include <strings.h>

#include <micronos/tcp.h>

#define S(x) MN_TCP_##x
#define E(x) MN_TCPE_##x
#define A(x) MN_TCPA_##x
#define DEL (A(DELETE_TCB))
#define RESET (A(DELETE_TCB) | A(REPORT_RESET))
#define SYN_RESET (A(SEND_RST) | A(DELETE_TCB) | A(REPORT_RESET))
#define ABORT_RST (A(SEND_RST) | A(DELETE_TCB))
#define TW (A(SEND_ACK) | A(START_2MSL))

static const struct mn_tcp_transition table[] = {
	/* CLOSED: only the user's opens (RFC p. 54). */
	{S(CLOSED), E(PASSIVE_OPEN), S(LISTEN), A(CREATE_TCB),
	 "passive OPEN: create TCB"},
	{S(CLOSED), E(ACTIVE_OPEN), S(SYN_SENT), A(CREATE_TCB) | A(SEND_SYN),
	 "active OPEN: create TCB, snd SYN"},

	/* LISTEN */
	{S(LISTEN), E(RCV_SYN), S(SYN_RECEIVED), A(SEND_SYN_ACK),
	 "rcv SYN: snd SYN,ACK"},
	{S(LISTEN), E(SEND), S(SYN_SENT), A(SEND_SYN), "SEND: snd SYN"},
	{S(LISTEN), E(CLOSE), S(CLOSED), DEL, "CLOSE: delete TCB"},
	{S(LISTEN), E(ABORT), S(CLOSED), DEL, "ABORT: delete TCB"},
	/* "An incoming RST should be ignored" (p. 65). */
	{S(LISTEN), E(RCV_RST), S(LISTEN), 0, "rcv RST: ignored"},
	/* "Any acknowledgment is bad ... form a reset" (p. 65). */
	{S(LISTEN), E(RCV_ACK), S(LISTEN), A(SEND_RST), "rcv ACK: snd RST"},
	{S(LISTEN), E(RCV_SYN_ACK), S(LISTEN), A(SEND_RST),
	 "rcv SYN,ACK: snd RST"},

	/* SYN-SENT */
	{S(SYN_SENT), E(RCV_SYN_ACK), S(ESTABLISHED), A(SEND_ACK),
	 "rcv SYN,ACK: snd ACK"},
	/* Simultaneous open; the text (p. 68) sends SYN,ACK. */
	{S(SYN_SENT), E(RCV_SYN), S(SYN_RECEIVED), A(SEND_SYN_ACK),
	 "rcv SYN: snd SYN,ACK"},
	{S(SYN_SENT), E(SEND), S(SYN_SENT), A(QUEUE_DATA),
	 "SEND: queue until ESTABLISHED"},
	{S(SYN_SENT), E(CLOSE), S(CLOSED), DEL, "CLOSE: delete TCB"},
	{S(SYN_SENT), E(ABORT), S(CLOSED), DEL, "ABORT: delete TCB"},
	{S(SYN_SENT), E(RCV_RST), S(CLOSED), RESET,
	 "rcv RST: connection reset"},

	/* SYN-RECEIVED */
	{S(SYN_RECEIVED), E(RCV_ACK), S(ESTABLISHED), 0, "rcv ACK of SYN"},
	{S(SYN_RECEIVED), E(CLOSE), S(FIN_WAIT_1), A(SEND_FIN),
	 "CLOSE: snd FIN"},
	{S(SYN_RECEIVED), E(SEND), S(SYN_RECEIVED), A(QUEUE_DATA),
	 "SEND: queue until ESTABLISHED"},
	{S(SYN_RECEIVED), E(RCV_FIN), S(CLOSE_WAIT), A(SEND_ACK),
	 "rcv FIN: snd ACK"},
	{S(SYN_RECEIVED), E(RCV_RST), S(CLOSED),
	 RESET | A(BACK_TO_LISTEN),
	 "rcv RST: back to LISTEN if opened passively, else reset"},
	{S(SYN_RECEIVED), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	{S(SYN_RECEIVED), E(ABORT), S(CLOSED), ABORT_RST,
	 "ABORT: snd RST, delete TCB"},

	/* ESTABLISHED */
	{S(ESTABLISHED), E(CLOSE), S(FIN_WAIT_1), A(SEND_FIN),
	 "CLOSE: snd FIN"},
	{S(ESTABLISHED), E(RCV_FIN), S(CLOSE_WAIT), A(SEND_ACK),
	 "rcv FIN: snd ACK"},
	{S(ESTABLISHED), E(SEND), S(ESTABLISHED), A(SEND_DATA), "SEND"},
	{S(ESTABLISHED), E(RCV_ACK), S(ESTABLISHED), 0, "rcv ACK of data"},
	{S(ESTABLISHED), E(RCV_RST), S(CLOSED), RESET,
	 "rcv RST: connection reset"},
	{S(ESTABLISHED), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	{S(ESTABLISHED), E(ABORT), S(CLOSED), ABORT_RST,
	 "ABORT: snd RST, delete TCB"},

	/* FIN-WAIT-1 */
	{S(FIN_WAIT_1), E(RCV_ACK), S(FIN_WAIT_2), 0, "rcv ACK of FIN"},
	{S(FIN_WAIT_1), E(RCV_FIN), S(CLOSING), A(SEND_ACK),
	 "rcv FIN: snd ACK"},
	{S(FIN_WAIT_1), E(RCV_FIN_ACK), S(TIME_WAIT), TW,
	 "rcv FIN,ACK of FIN: snd ACK, start 2MSL"},
	{S(FIN_WAIT_1), E(RCV_RST), S(CLOSED), RESET,
	 "rcv RST: connection reset"},
	{S(FIN_WAIT_1), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	{S(FIN_WAIT_1), E(ABORT), S(CLOSED), ABORT_RST,
	 "ABORT: snd RST, delete TCB"},

	/* FIN-WAIT-2: our FIN is acked; the peer may still send data. */
	{S(FIN_WAIT_2), E(RCV_FIN), S(TIME_WAIT), TW,
	 "rcv FIN: snd ACK, start 2MSL"},
	{S(FIN_WAIT_2), E(RCV_FIN_ACK), S(TIME_WAIT), TW,
	 "rcv FIN: snd ACK, start 2MSL"},
	{S(FIN_WAIT_2), E(RCV_ACK), S(FIN_WAIT_2), 0, "rcv data/ACK"},
	{S(FIN_WAIT_2), E(RCV_RST), S(CLOSED), RESET,
	 "rcv RST: connection reset"},
	{S(FIN_WAIT_2), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	{S(FIN_WAIT_2), E(ABORT), S(CLOSED), ABORT_RST,
	 "ABORT: snd RST, delete TCB"},

	/* CLOSE-WAIT: the peer is done; we may still send. */
	{S(CLOSE_WAIT), E(CLOSE), S(LAST_ACK), A(SEND_FIN), "CLOSE: snd FIN"},
	{S(CLOSE_WAIT), E(SEND), S(CLOSE_WAIT), A(SEND_DATA), "SEND"},
	{S(CLOSE_WAIT), E(RCV_ACK), S(CLOSE_WAIT), 0, "rcv ACK of data"},
	{S(CLOSE_WAIT), E(RCV_FIN), S(CLOSE_WAIT), A(SEND_ACK),
	 "rcv FIN again: remain, snd ACK"},
	{S(CLOSE_WAIT), E(RCV_RST), S(CLOSED), RESET,
	 "rcv RST: connection reset"},
	{S(CLOSE_WAIT), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	{S(CLOSE_WAIT), E(ABORT), S(CLOSED), ABORT_RST,
	 "ABORT: snd RST, delete TCB"},

	/* CLOSING: both FINs sent, ours not yet acked. */
	{S(CLOSING), E(RCV_ACK), S(TIME_WAIT), A(START_2MSL),
	 "rcv ACK of FIN: start 2MSL"},
	{S(CLOSING), E(RCV_FIN_ACK), S(TIME_WAIT), TW,
	 "rcv FIN,ACK of FIN: snd ACK, start 2MSL"},
	{S(CLOSING), E(RCV_FIN), S(CLOSING), A(SEND_ACK),
	 "rcv FIN again: remain, snd ACK"},
	{S(CLOSING), E(RCV_RST), S(CLOSED), DEL, "rcv RST: delete TCB"},
	{S(CLOSING), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	/* "Respond with ok and delete the TCB" (p. 62). */
	{S(CLOSING), E(ABORT), S(CLOSED), DEL, "ABORT: delete TCB"},

	/* LAST-ACK */
	{S(LAST_ACK), E(RCV_ACK), S(CLOSED), DEL,
	 "rcv ACK of FIN: delete TCB"},
	{S(LAST_ACK), E(RCV_FIN), S(LAST_ACK), A(SEND_ACK),
	 "rcv FIN again: remain, snd ACK"},
	{S(LAST_ACK), E(RCV_RST), S(CLOSED), DEL, "rcv RST: delete TCB"},
	{S(LAST_ACK), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	{S(LAST_ACK), E(ABORT), S(CLOSED), DEL, "ABORT: delete TCB"},

	/* TIME-WAIT: only a retransmitted FIN is expected (p. 73, 75). */
	{S(TIME_WAIT), E(TIMEOUT), S(CLOSED), DEL,
	 "timeout 2MSL: delete TCB"},
	{S(TIME_WAIT), E(RCV_FIN), S(TIME_WAIT), TW,
	 "rcv FIN again: snd ACK, restart 2MSL"},
	{S(TIME_WAIT), E(RCV_FIN_ACK), S(TIME_WAIT), TW,
	 "rcv FIN again: snd ACK, restart 2MSL"},
	{S(TIME_WAIT), E(RCV_RST), S(CLOSED), DEL, "rcv RST: delete TCB"},
	/* RFC 793; RFC 1122 4.2.2.13 allows reopening instead. */
	{S(TIME_WAIT), E(RCV_SYN), S(CLOSED), SYN_RESET,
	 "rcv SYN in window: snd RST, reset"},
	{S(TIME_WAIT), E(ABORT), S(CLOSED), DEL, "ABORT: delete TCB"},
};

#define NROWS (sizeof(table) / sizeof(table[0]))

static const char *const state_names[MN_TCP__STATES] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT",
};

static const char *const event_names[MN_TCPE__EVENTS] = {
	"passive open", "active open", "send", "close", "rcv SYN",
	"rcv SYN+ACK", "rcv ACK", "rcv FIN", "rcv FIN+ACK", "timeout",
	"rcv RST", "abort",
};

/* Linux's number of each state (include/net/tcp_states.h). */
static const uint8_t to_linux[MN_TCP__STATES] = {
	[MN_TCP_ESTABLISHED] = 1, [MN_TCP_SYN_SENT] = 2,
	[MN_TCP_SYN_RECEIVED] = 3, [MN_TCP_FIN_WAIT_1] = 4,
	[MN_TCP_FIN_WAIT_2] = 5, [MN_TCP_TIME_WAIT] = 6,
	[MN_TCP_CLOSED] = 7, [MN_TCP_CLOSE_WAIT] = 8,
	[MN_TCP_LAST_ACK] = 9, [MN_TCP_LISTEN] = 10, [MN_TCP_CLOSING] = 11,
};

/* index[state][event] = row + 1, 0: refused.  Built once. */
static uint8_t index_of[MN_TCP__STATES][MN_TCPE__EVENTS];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
	for (size_t i = 0; i < NROWS; i++)
		index_of[table[i].from][table[i].event] = (uint8_t)(i + 1);
}

/* The error of a refused pair: RFC 793's messages as errnos. */
static int refusal(enum mn_tcp_state s, enum mn_tcp_event e)
{
	switch (e) {
	case MN_TCPE_PASSIVE_OPEN:
	case MN_TCPE_ACTIVE_OPEN:
		return -EISCONN;	/* "connection already exists" */
	case MN_TCPE_SEND:
		return s == MN_TCP_CLOSED ? -ENOTCONN : -EPIPE;
	case MN_TCPE_CLOSE:
		return s == MN_TCP_CLOSED ? -ENOTCONN : -EALREADY;
	case MN_TCPE_ABORT:
		return -ENOTCONN;
	case MN_TCPE_TIMEOUT:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

void mn_tcp_init(struct mn_tcp *t)
{
	t->state = MN_TCP_CLOSED;
	t->passive = 0;
}

int mn_tcp_lookup(enum mn_tcp_state from, enum mn_tcp_event event,
		  struct mn_tcp_transition *out)
{
	uint8_t row;

	if ((unsigned)from >= MN_TCP__STATES ||
	    (unsigned)event >= MN_TCPE__EVENTS)
		return -EINVAL;
	pthread_once(&index_once, build_index);
	row = index_of[from][event];
	if (!row)
		return refusal(from, event);
	if (out)
		*out = table[row - 1];
	return 0;
}

int mn_tcp_step(struct mn_tcp *t, enum mn_tcp_event event, unsigned *actions)
{
	struct mn_tcp_transition tr;
	int ret = mn_tcp_lookup(t->state, event, &tr);

	if (ret < 0)
		return ret;
	if ((tr.actions & MN_TCPA_BACK_TO_LISTEN) && t->passive)
		t->state = MN_TCP_LISTEN;
	else
		t->state = (enum mn_tcp_state)tr.to;
	if (event == MN_TCPE_RCV_SYN && tr.from == MN_TCP_LISTEN)
		t->passive = 1;
	/* Only SYN-RECEIVED and later remember where they came from; a
	 * SEND on a listener (-> SYN-SENT) makes the connection active. */
	if (t->state == MN_TCP_CLOSED || t->state == MN_TCP_LISTEN ||
	    t->state == MN_TCP_SYN_SENT)
		t->passive = 0;
	if (actions)
		*actions = tr.actions;
	return 0;
}

const struct mn_tcp_transition *mn_tcp_table(size_t *count)
{
	if (count)
		*count = NROWS;
	return table;
}

/* Breadth-first over (state, passive): 22 nodes. */
int mn_tcp_path(enum mn_tcp_state from, enum mn_tcp_state to, int passive,
		unsigned avoid, uint8_t *events, size_t max)
{
	enum { N = MN_TCP__STATES * 2 };
	int8_t prev[N], via[N];
	int queue[N], head = 0, tail = 0, found = -1;
	int len = 0;

	if ((unsigned)from >= MN_TCP__STATES || (unsigned)to >= MN_TCP__STATES)
		return -EINVAL;
	for (int i = 0; i < N; i++)
		prev[i] = via[i] = -1;
	queue[tail++] = (int)from * 2 + !!passive;
	prev[queue[0]] = (int8_t)queue[0];
	while (head < tail && found < 0) {
		int node = queue[head++];

		if (node / 2 == (int)to) {
			found = node;
			break;
		}
		for (int e = 0; e < MN_TCPE__EVENTS; e++) {
			struct mn_tcp t = {(enum mn_tcp_state)(node / 2),
					   node % 2};
			int next;

			if ((avoid & (1u << e)) ||
			    mn_tcp_step(&t, (enum mn_tcp_event)e, NULL) < 0)
				continue;
			next = (int)t.state * 2 + t.passive;
			if (prev[next] >= 0)
				continue;
			prev[next] = (int8_t)node;
			via[next] = (int8_t)e;
			queue[tail++] = next;
		}
	}
	if (found < 0)
		return -ENOENT;
	for (int n = found; via[n] >= 0; n = prev[n])
		len++;
	for (int n = found, i = len - 1; via[n] >= 0; n = prev[n], i--)
		if ((size_t)i < max)
			events[i] = (uint8_t)via[n];
	return len;
}

const char *mn_tcp_state_name(enum mn_tcp_state state)
{
	return (unsigned)state < MN_TCP__STATES ? state_names[state] : "?";
}

const char *mn_tcp_event_name(enum mn_tcp_event event)
{
	return (unsigned)event < MN_TCPE__EVENTS ? event_names[event] : "?";
}

int mn_tcp_state_parse(const char *name)
{
	char buf[16];
	size_t i;

	if (!name)
		return -EINVAL;
	for (i = 0; name[i] && i < sizeof(buf) - 1; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	if (name[i])
		return -EINVAL;
	buf[i] = '\0';
	for (int s = 0; s < MN_TCP__STATES; s++)
		if (!strcasecmp(buf, state_names[s]))
			return s;
	return -EINVAL;
}

int mn_tcp_from_linux(int linux_state)
{
	if (linux_state == 12)	/* TCP_NEW_SYN_RECV: a request socket */
		return MN_TCP_SYN_RECEIVED;
	for (int s = 0; s < MN_TCP__STATES; s++)
		if (to_linux[s] == linux_state)
			return s;
	return -EINVAL;
}

int mn_tcp_to_linux(enum mn_tcp_state state)
{
	return (unsigned)state < MN_TCP__STATES ? to_linux[state] : -EINVAL;
}
