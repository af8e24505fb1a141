/*
 * test_net_tcp - TCP's state machine (tcp.h), exhaustively: every state x
 * every event against a matrix written out here from RFC 793 (not from
 * the module's table), the actions of the transitions that act, the
 * refusal errors, the passive/active memory of SYN-RECEIVED, whole
 * connection lives (client, server, simultaneous open and close), the
 * path finder, names and Linux's numbering.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/tcp.h>

#define CL MN_TCP_CLOSED
#define LI MN_TCP_LISTEN
#define SS MN_TCP_SYN_SENT
#define SR MN_TCP_SYN_RECEIVED
#define ES MN_TCP_ESTABLISHED
#define F1 MN_TCP_FIN_WAIT_1
#define F2 MN_TCP_FIN_WAIT_2
#define CW MN_TCP_CLOSE_WAIT
#define CG MN_TCP_CLOSING
#define LA MN_TCP_LAST_ACK
#define TW MN_TCP_TIME_WAIT

/* Refusals are negative errnos; legal cells are the next state. */
#define XC (-EISCONN)
#define NC (-ENOTCONN)
#define PI (-EPIPE)
#define AL (-EALREADY)
#define IN (-EINVAL)
#define PR (-EPROTO)

/*
 * Columns: passive open, active open, send, close, rcv SYN, rcv SYN+ACK,
 * rcv ACK, rcv FIN, rcv FIN+ACK, timeout, rcv RST, abort.
 * SYN-RECEIVED's rcv RST is CLOSED for an actively opened connection (the
 * passive case is tested apart).
 */
static const int expect[MN_TCP__STATES][MN_TCPE__EVENTS] = {
	[CL] = {LI, SS, NC, NC, PR, PR, PR, PR, PR, IN, PR, NC},
	[LI] = {XC, XC, SS, CL, SR, LI, LI, PR, PR, IN, LI, CL},
	[SS] = {XC, XC, SS, CL, SR, ES, PR, PR, PR, IN, CL, CL},
	[SR] = {XC, XC, SR, F1, CL, PR, ES, CW, PR, IN, CL, CL},
	[ES] = {XC, XC, ES, F1, CL, PR, ES, CW, PR, IN, CL, CL},
	[F1] = {XC, XC, PI, AL, CL, PR, F2, CG, TW, IN, CL, CL},
	[F2] = {XC, XC, PI, AL, CL, PR, F2, TW, TW, IN, CL, CL},
	[CW] = {XC, XC, CW, LA, CL, PR, CW, CW, PR, IN, CL, CL},
	[CG] = {XC, XC, PI, AL, CL, PR, TW, CG, TW, IN, CL, CL},
	[LA] = {XC, XC, PI, AL, CL, PR, CL, LA, PR, IN, CL, CL},
	[TW] = {XC, XC, PI, AL, CL, PR, PR, TW, TW, CL, CL, CL},
};

static void test_every_state_and_event(void **state)
{
	(void)state;
	for (int s = 0; s < MN_TCP__STATES; s++) {
		for (int e = 0; e < MN_TCPE__EVENTS; e++) {
			struct mn_tcp_transition tr;
			struct mn_tcp t = {(enum mn_tcp_state)s, 0};
			unsigned act = 0xdead;
			int want = expect[s][e];
			int got = mn_tcp_lookup((enum mn_tcp_state)s,
						(enum mn_tcp_event)e, &tr);
			int stepped = mn_tcp_step(&t, (enum mn_tcp_event)e,
						  &act);

			if (want < 0) {
				assert_int_equal(got, want);
				assert_int_equal(stepped, want);
				/* refused: nothing moved */
				assert_int_equal(t.state, s);
				assert_int_equal(act, 0xdead);
			} else {
				assert_int_equal(got, 0);
				assert_int_equal(stepped, 0);
				assert_int_equal(tr.from, s);
				assert_int_equal(tr.event, e);
				assert_int_equal(tr.to, want);
				assert_int_equal(t.state, want);
				assert_int_equal(act, tr.actions);
				assert_non_null(tr.why);
			}
		}
	}
}

static void test_table_is_the_matrix(void **state)
{
	size_t n, legal = 0;
	const struct mn_tcp_transition *t = mn_tcp_table(&n);

	(void)state;
	for (int s = 0; s < MN_TCP__STATES; s++)
		for (int e = 0; e < MN_TCPE__EVENTS; e++)
			legal += expect[s][e] >= 0;
	/* one row per legal cell, none twice */
	assert_int_equal(n, legal);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_false(t[i].from == t[j].from &&
				     t[i].event == t[j].event);
}

static void test_out_of_range(void **state)
{
	struct mn_tcp t = {MN_TCP__STATES, 0};

	(void)state;
	assert_int_equal(mn_tcp_lookup(MN_TCP__STATES, MN_TCPE_SEND, NULL),
			 -EINVAL);
	assert_int_equal(mn_tcp_lookup(MN_TCP_CLOSED, MN_TCPE__EVENTS, NULL),
			 -EINVAL);
	assert_int_equal(mn_tcp_lookup((enum mn_tcp_state)-1, MN_TCPE_SEND,
				       NULL),
			 -EINVAL);
	assert_int_equal(mn_tcp_step(&t, MN_TCPE_SEND, NULL), -EINVAL);
	assert_int_equal(mn_tcp_lookup(MN_TCP_LISTEN, MN_TCPE_RCV_SYN, NULL),
			 0);
}

static unsigned step(struct mn_tcp *t, enum mn_tcp_event e, int to)
{
	unsigned act = 0;

	assert_int_equal(mn_tcp_step(t, e, &act), 0);
	assert_int_equal(t->state, to);
	return act;
}

static void test_client_life(void **state)
{
	struct mn_tcp t;

	(void)state;
	mn_tcp_init(&t);
	assert_int_equal(t.state, CL);
	assert_int_equal(step(&t, MN_TCPE_ACTIVE_OPEN, SS),
			 MN_TCPA_CREATE_TCB | MN_TCPA_SEND_SYN);
	assert_int_equal(step(&t, MN_TCPE_SEND, SS), MN_TCPA_QUEUE_DATA);
	assert_int_equal(step(&t, MN_TCPE_RCV_SYN_ACK, ES), MN_TCPA_SEND_ACK);
	assert_int_equal(step(&t, MN_TCPE_SEND, ES), MN_TCPA_SEND_DATA);
	assert_int_equal(step(&t, MN_TCPE_RCV_ACK, ES), 0);
	assert_int_equal(step(&t, MN_TCPE_CLOSE, F1), MN_TCPA_SEND_FIN);
	assert_int_equal(mn_tcp_step(&t, MN_TCPE_SEND, NULL), -EPIPE);
	assert_int_equal(step(&t, MN_TCPE_RCV_ACK, F2), 0);
	assert_int_equal(step(&t, MN_TCPE_RCV_FIN, TW),
			 MN_TCPA_SEND_ACK | MN_TCPA_START_2MSL);
	/* a retransmitted FIN restarts the timer */
	assert_int_equal(step(&t, MN_TCPE_RCV_FIN, TW),
			 MN_TCPA_SEND_ACK | MN_TCPA_START_2MSL);
	assert_int_equal(step(&t, MN_TCPE_TIMEOUT, CL), MN_TCPA_DELETE_TCB);
	assert_int_equal(mn_tcp_step(&t, MN_TCPE_CLOSE, NULL), -ENOTCONN);
}

static void test_server_life(void **state)
{
	struct mn_tcp t;

	(void)state;
	mn_tcp_init(&t);
	assert_int_equal(step(&t, MN_TCPE_PASSIVE_OPEN, LI),
			 MN_TCPA_CREATE_TCB);
	assert_int_equal(mn_tcp_step(&t, MN_TCPE_ACTIVE_OPEN, NULL), -EISCONN);
	assert_int_equal(step(&t, MN_TCPE_RCV_ACK, LI), MN_TCPA_SEND_RST);
	assert_int_equal(step(&t, MN_TCPE_RCV_SYN, SR), MN_TCPA_SEND_SYN_ACK);
	assert_true(t.passive);
	assert_int_equal(step(&t, MN_TCPE_RCV_ACK, ES), 0);
	assert_int_equal(step(&t, MN_TCPE_RCV_FIN, CW), MN_TCPA_SEND_ACK);
	assert_int_equal(step(&t, MN_TCPE_SEND, CW), MN_TCPA_SEND_DATA);
	assert_int_equal(step(&t, MN_TCPE_CLOSE, LA), MN_TCPA_SEND_FIN);
	assert_int_equal(mn_tcp_step(&t, MN_TCPE_CLOSE, NULL), -EALREADY);
	assert_int_equal(step(&t, MN_TCPE_RCV_ACK, CL), MN_TCPA_DELETE_TCB);
	assert_false(t.passive);
}

static void test_syn_received_reset(void **state)
{
	struct mn_tcp t;
	unsigned act;

	(void)state;
	/* passively opened: a reset returns it to LISTEN (RFC 793 p. 70) */
	mn_tcp_init(&t);
	step(&t, MN_TCPE_PASSIVE_OPEN, LI);
	step(&t, MN_TCPE_RCV_SYN, SR);
	act = step(&t, MN_TCPE_RCV_RST, LI);
	assert_true(act & MN_TCPA_BACK_TO_LISTEN);
	assert_false(t.passive);
	/* and it can take the next SYN */
	step(&t, MN_TCPE_RCV_SYN, SR);
	/* actively opened (simultaneous open): the reset closes it */
	mn_tcp_init(&t);
	step(&t, MN_TCPE_ACTIVE_OPEN, SS);
	assert_int_equal(step(&t, MN_TCPE_RCV_SYN, SR), MN_TCPA_SEND_SYN_ACK);
	assert_false(t.passive);
	act = step(&t, MN_TCPE_RCV_RST, CL);
	assert_true(act & MN_TCPA_REPORT_RESET);
	/* a SEND on a listener makes the connection active */
	mn_tcp_init(&t);
	step(&t, MN_TCPE_PASSIVE_OPEN, LI);
	assert_int_equal(step(&t, MN_TCPE_SEND, SS), MN_TCPA_SEND_SYN);
	step(&t, MN_TCPE_RCV_SYN, SR);
	step(&t, MN_TCPE_RCV_RST, CL);
}

static void test_simultaneous_close(void **state)
{
	struct mn_tcp t = {ES, 0};

	(void)state;
	step(&t, MN_TCPE_CLOSE, F1);
	assert_int_equal(step(&t, MN_TCPE_RCV_FIN, CG), MN_TCPA_SEND_ACK);
	assert_int_equal(step(&t, MN_TCPE_RCV_ACK, TW), MN_TCPA_START_2MSL);
	step(&t, MN_TCPE_TIMEOUT, CL);
	/* FIN and the ACK of ours in one segment */
	t.state = F1;
	assert_int_equal(step(&t, MN_TCPE_RCV_FIN_ACK, TW),
			 MN_TCPA_SEND_ACK | MN_TCPA_START_2MSL);
}

static void test_resets_and_aborts(void **state)
{
	static const enum mn_tcp_state sync_states[] = {SR, ES, F1, F2, CW};
	static const enum mn_tcp_state quiet[] = {CG, LA, TW};

	(void)state;
	for (size_t i = 0; i < sizeof(sync_states) / sizeof(sync_states[0]);
	     i++) {
		struct mn_tcp_transition tr;

		assert_int_equal(mn_tcp_lookup(sync_states[i], MN_TCPE_ABORT,
					       &tr),
				 0);
		assert_true(tr.actions & MN_TCPA_SEND_RST);
		assert_int_equal(mn_tcp_lookup(sync_states[i], MN_TCPE_RCV_SYN,
					       &tr),
				 0);
		assert_true(tr.actions & MN_TCPA_SEND_RST);
		assert_true(tr.actions & MN_TCPA_REPORT_RESET);
	}
	/* "respond with ok and delete the TCB": no RST */
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		struct mn_tcp_transition tr;

		assert_int_equal(mn_tcp_lookup(quiet[i], MN_TCPE_ABORT, &tr),
				 0);
		assert_int_equal(tr.actions, MN_TCPA_DELETE_TCB);
	}
}

static void test_path(void **state)
{
	uint8_t ev[16];
	int n;

	(void)state;
	assert_int_equal(mn_tcp_path(ES, ES, 0, 0, ev, 16), 0);
	n = mn_tcp_path(CL, ES, 0, 0, ev, 16);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0], MN_TCPE_ACTIVE_OPEN);
	assert_int_equal(ev[1], MN_TCPE_RCV_SYN_ACK);
	/* from LISTEN, passively: rcv SYN, rcv ACK (or SEND, rcv SYN+ACK) */
	n = mn_tcp_path(LI, ES, 0, 1u << MN_TCPE_SEND, ev, 16);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0], MN_TCPE_RCV_SYN);
	assert_int_equal(ev[1], MN_TCPE_RCV_ACK);
	assert_int_equal(mn_tcp_path(LI, ES, 0, 0, ev, 16), 2);
	/* the direct reset is the shortest way down ... */
	assert_int_equal(mn_tcp_path(ES, CL, 0, 0, ev, 16), 1);
	/* ... an orderly close when resets are avoided */
	n = mn_tcp_path(ES, CL, 0,
			(1u << MN_TCPE_RCV_RST) | (1u << MN_TCPE_ABORT) |
				(1u << MN_TCPE_RCV_SYN),
			ev, 16);
	assert_int_equal(n, 3);
	{
		struct mn_tcp t = {ES, 0};

		for (int i = 0; i < n; i++)
			assert_int_equal(mn_tcp_step(&t, ev[i], NULL), 0);
		assert_int_equal(t.state, CL);
	}
	assert_int_equal(mn_tcp_path(TW, LI, 0, 0, ev, 16), 2);
	/* nothing reachable without events */
	assert_int_equal(mn_tcp_path(CL, ES, 0, ~0u, ev, 16), -ENOENT);
	assert_int_equal(mn_tcp_path(CL, MN_TCP__STATES, 0, 0, ev, 16),
			 -EINVAL);
	/* a short buffer still gets the length */
	assert_int_equal(mn_tcp_path(CL, TW, 0, 0, ev, 1), 4);
	/* every state reaches every other */
	for (int a = 0; a < MN_TCP__STATES; a++)
		for (int b = 0; b < MN_TCP__STATES; b++)
			assert_true(mn_tcp_path(a, b, 0, 0, ev, 16) >= 0);
}

static void test_names_and_linux(void **state)
{
	(void)state;
	for (int s = 0; s < MN_TCP__STATES; s++) {
		int l = mn_tcp_to_linux(s);

		assert_int_equal(mn_tcp_state_parse(mn_tcp_state_name(s)), s);
		assert_true(l >= 1 && l <= 11);
		assert_int_equal(mn_tcp_from_linux(l), s);
	}
	assert_string_equal(mn_tcp_state_name(ES), "ESTABLISHED");
	assert_string_equal(mn_tcp_state_name(MN_TCP__STATES), "?");
	assert_string_equal(mn_tcp_event_name(MN_TCPE_RCV_SYN_ACK),
			    "rcv SYN+ACK");
	assert_string_equal(mn_tcp_event_name(MN_TCPE__EVENTS), "?");
	assert_int_equal(mn_tcp_state_parse("fin-wait-1"), F1);
	assert_int_equal(mn_tcp_state_parse("time_wait"), TW);
	assert_int_equal(mn_tcp_state_parse("bogus"), -EINVAL);
	assert_int_equal(mn_tcp_state_parse("ESTABLISHED_AND_MORE"), -EINVAL);
	assert_int_equal(mn_tcp_state_parse(NULL), -EINVAL);
	assert_int_equal(mn_tcp_to_linux(ES), 1);
	assert_int_equal(mn_tcp_to_linux(LI), 10);
	assert_int_equal(mn_tcp_from_linux(12), SR);	/* NEW_SYN_RECV */
	assert_int_equal(mn_tcp_from_linux(0), -EINVAL);
	assert_int_equal(mn_tcp_from_linux(13), -EINVAL);
	assert_int_equal(mn_tcp_to_linux(MN_TCP__STATES), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_state_and_event),
		cmocka_unit_test(test_table_is_the_matrix),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_client_life),
		cmocka_unit_test(test_server_life),
		cmocka_unit_test(test_syn_received_reset),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_resets_and_aborts),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_names_and_linux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
