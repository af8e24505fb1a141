/*
 * test_ipc - IPC channels: naming and ids, bounded queues, the blocking,
 * timed and non-blocking forms, close/remove/interrupt/destroy waking
 * blocked callers, events and the `ipc` table.
 *
 * Threads that must be blocked before the test goes on are detected through
 * the channel's waiter counts (polled with a generous limit), never with a
 * sleep-and-hope.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <micronos/evbus.h>
#include <micronos/ipc.h>

struct fixture {
	struct mn_evbus *bus;
	struct mn_ipc *ipc;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mn_evbus_create(&f->bus, 1000, NULL), 0);
	assert_int_equal(mn_ipc_create(&f->ipc, f->bus, 4, 8), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_ipc_destroy(f->ipc);
	mn_evbus_destroy(f->bus);
	free(f);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Waits (up to 10 s) until the channel has n blocked receivers/senders. */
static void wait_blocked(struct mn_ipc *ipc, int id, unsigned recv,
			 unsigned send)
{
	struct mn_ipc_info info;
	int i;

	for (i = 0; i < 10000; i++) {
		assert_int_equal(mn_ipc_info(ipc, id, &info), 0);
		if (info.waiting_receivers == recv &&
		    info.waiting_senders == send)
			return;
		sleep_ms(1);
	}
	fail_msg("callers never blocked");
}

struct call {
	struct mn_ipc *ipc;
	int id;
	int32_t pid;
	int timeout_ms;
	int sending;
	char buf[MN_IPC_MSG_MAX];
	int rc;
	pthread_t th;
};

static void *call_main(void *arg)
{
	struct call *c = arg;

	if (c->sending)
		c->rc = mn_ipc_send(c->ipc, c->id, c->pid, "late", 4,
				    c->timeout_ms);
	else
		c->rc = mn_ipc_recv(c->ipc, c->id, c->pid, c->buf,
				    sizeof(c->buf), c->timeout_ms);
	return NULL;
}

static void call_start(struct call *c, struct mn_ipc *ipc, int id,
		       int32_t pid, int sending, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->ipc = ipc;
	c->id = id;
	c->pid = pid;
	c->sending = sending;
	c->timeout_ms = timeout_ms;
	c->rc = 12345;
	assert_int_equal(pthread_create(&c->th, NULL, call_main, c), 0);
}

static void call_join(struct call *c)
{
	assert_int_equal(pthread_join(c->th, NULL), 0);
}

static void test_create_ids_names(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf err = MN_STRBUF_INIT;

	assert_int_equal(mn_ipc_channel_create(f->ipc, "a", 0, 1, NULL), 0);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "b.c-d_e", 2, 1, NULL),
			 1);
	assert_int_equal(mn_ipc_lookup(f->ipc, "a"), 0);
	assert_int_equal(mn_ipc_lookup(f->ipc, "b.c-d_e"), 1);
	assert_int_equal(mn_ipc_lookup(f->ipc, "zz"), -ENOENT);
	assert_int_equal(mn_ipc_lookup(f->ipc, NULL), -ENOENT);

	assert_int_equal(mn_ipc_channel_create(f->ipc, "a", 0, 1, &err),
			 -EEXIST);
	assert_non_null(strstr(mn_strbuf_str(&err), "exists"));
	mn_strbuf_reset(&err);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "", 0, 1, &err),
			 -EINVAL);
	assert_int_equal(mn_ipc_channel_create(f->ipc, NULL, 0, 1, NULL),
			 -EINVAL);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "sp ace", 0, 1, &err),
			 -EINVAL);
	assert_int_equal(mn_ipc_channel_create(
				 f->ipc, "0123456789012345678901234567890123",
				 0, 1, &err),
			 -EINVAL);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "big",
					       MN_IPC_CAPACITY_MAX + 1, 1,
					       &err),
			 -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "capacity"));

	/* ids are never reused; a removed name is free again */
	assert_int_equal(mn_ipc_channel_remove(f->ipc, 0), 0);
	assert_int_equal(mn_ipc_channel_remove(f->ipc, 0), -ENOENT);
	assert_int_equal(mn_ipc_lookup(f->ipc, "a"), -ENOENT);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "a", 0, 1, NULL), 2);
	assert_int_equal(mn_ipc_send(f->ipc, 0, 1, "x", 1, 0), -ENOENT);
	assert_int_equal(mn_ipc_send(f->ipc, 99, 1, "x", 1, 0), -ENOENT);
	assert_int_equal(mn_ipc_send(f->ipc, -1, 1, "x", 1, 0), -ENOENT);
	mn_strbuf_release(&err);
}

static void test_max_channels(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf err = MN_STRBUF_INIT;
	char name[16];
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(mn_ipc_channel_create(f->ipc, name, 0, 0,
						       NULL),
				 i);
	}
	assert_int_equal(mn_ipc_channel_create(f->ipc, "one-more", 0, 0, &err),
			 -ENOSPC);
	assert_non_null(strstr(mn_strbuf_str(&err), "too many"));
	/* removing one frees a place */
	assert_int_equal(mn_ipc_channel_remove(f->ipc, 3), 0);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "one-more", 0, 0, NULL),
			 8);
	assert_int_equal(mn_ipc_list(f->ipc, NULL, 0), 8);
	assert_int_equal(mn_ipc_set_max_channels(f->ipc, 0), -EINVAL);
	assert_int_equal(mn_ipc_set_default_capacity(f->ipc, 0), -EINVAL);
	assert_int_equal(mn_ipc_set_default_capacity(f->ipc,
						     MN_IPC_CAPACITY_MAX + 1),
			 -EINVAL);
	mn_strbuf_release(&err);
}

static void test_fifo_and_full(void **state)
{
	struct fixture *f = *state;
	struct mn_ipc_info info;
	char buf[16];
	int id, i;

	id = mn_ipc_channel_create(f->ipc, "q", 0, 5, NULL); /* default 4 */
	assert_true(id >= 0);
	for (i = 0; i < 4; i++) {
		buf[0] = (char)('0' + i);
		assert_int_equal(mn_ipc_send(f->ipc, id, 5, buf, 1, 0), 0);
	}
	assert_int_equal(mn_ipc_send(f->ipc, id, 5, "x", 1, 0), -EAGAIN);
	/* a timed send on a full queue gives up with -EAGAIN too */
	assert_int_equal(mn_ipc_send(f->ipc, id, 5, "x", 1, 20), -EAGAIN);
	assert_int_equal(mn_ipc_info(f->ipc, id, &info), 0);
	assert_int_equal(info.queued, 4);
	assert_int_equal(info.capacity, 4);
	assert_int_equal(info.sent, 4);
	assert_int_equal(info.queued_bytes, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(mn_ipc_recv(f->ipc, id, 6, buf, sizeof(buf),
					     0),
				 1);
		assert_int_equal(buf[0], '0' + i);
	}
	assert_int_equal(mn_ipc_recv(f->ipc, id, 6, buf, sizeof(buf), 0),
			 -EAGAIN);
	assert_int_equal(mn_ipc_recv(f->ipc, id, 6, buf, sizeof(buf), 20),
			 -EAGAIN);
	assert_int_equal(mn_ipc_info(f->ipc, id, &info), 0);
	assert_int_equal(info.received, 4);
	assert_int_equal(info.queued, 0);
	assert_int_equal(mn_ipc_info(f->ipc, 42, &info), -ENOENT);
}

static void test_sizes(void **state)
{
	struct fixture *f = *state;
	static char big[MN_IPC_MSG_MAX + 1];
	char small[4];
	int id = mn_ipc_channel_create(f->ipc, "s", 3, 1, NULL);

	memset(big, 'b', sizeof(big));
	assert_int_equal(mn_ipc_send(f->ipc, id, 1, big, sizeof(big), 0),
			 -EMSGSIZE);
	assert_int_equal(mn_ipc_send(f->ipc, id, 1, NULL, 3, 0), -EINVAL);
	assert_int_equal(mn_ipc_send(f->ipc, id, 1, big, MN_IPC_MSG_MAX, 0),
			 0);
	assert_int_equal(mn_ipc_send(f->ipc, id, 1, NULL, 0, 0), 0);
	/* too small a buffer: -EMSGSIZE and the message stays queued */
	assert_int_equal(mn_ipc_recv(f->ipc, id, 1, small, sizeof(small), 0),
			 -EMSGSIZE);
	assert_int_equal(mn_ipc_recv(f->ipc, id, 1, big, sizeof(big), 0),
			 MN_IPC_MSG_MAX);
	/* an empty message is a message */
	assert_int_equal(mn_ipc_recv(f->ipc, id, 1, NULL, 0, 0), 0);
	assert_int_equal(mn_ipc_recv(f->ipc, id, 1, NULL, 0, 0), -EAGAIN);
}

static void test_blocking_recv_woken_by_send(void **state)
{
	struct fixture *f = *state;
	struct call c;
	int id = mn_ipc_channel_create(f->ipc, "w", 0, 1, NULL);

	call_start(&c, f->ipc, id, 7, 0, -1);
	wait_blocked(f->ipc, id, 1, 0);
	assert_int_equal(mn_ipc_send(f->ipc, id, 8, "hello", 5, 0), 0);
	call_join(&c);
	assert_int_equal(c.rc, 5);
	assert_memory_equal(c.buf, "hello", 5);

	/* and a timed one, with a generous timeout */
	call_start(&c, f->ipc, id, 7, 0, 10000);
	wait_blocked(f->ipc, id, 1, 0);
	assert_int_equal(mn_ipc_send(f->ipc, id, 8, "hi", 2, 0), 0);
	call_join(&c);
	assert_int_equal(c.rc, 2);
}

static void test_blocking_send_woken_by_recv(void **state)
{
	struct fixture *f = *state;
	struct call c;
	char buf[8];
	int id = mn_ipc_channel_create(f->ipc, "ws", 1, 1, NULL);

	assert_int_equal(mn_ipc_send(f->ipc, id, 1, "first", 5, 0), 0);
	call_start(&c, f->ipc, id, 7, 1, -1);
	wait_blocked(f->ipc, id, 0, 1);
	assert_int_equal(mn_ipc_recv(f->ipc, id, 1, buf, sizeof(buf), 0), 5);
	call_join(&c);
	assert_int_equal(c.rc, 0);
	assert_int_equal(mn_ipc_recv(f->ipc, id, 1, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "late", 4);
}

static void test_close_wakes_and_drains(void **state)
{
	struct fixture *f = *state;
	struct mn_ipc_info info;
	struct call r, s;
	char buf[8];
	int a = mn_ipc_channel_create(f->ipc, "a", 0, 1, NULL);
	int b = mn_ipc_channel_create(f->ipc, "b", 1, 1, NULL);

	/* a blocked receiver on an empty channel gets -EPIPE */
	call_start(&r, f->ipc, a, 3, 0, -1);
	wait_blocked(f->ipc, a, 1, 0);
	assert_int_equal(mn_ipc_channel_close(f->ipc, a), 0);
	call_join(&r);
	assert_int_equal(r.rc, -EPIPE);
	assert_int_equal(mn_ipc_channel_close(f->ipc, a), 0);
	assert_int_equal(mn_ipc_send(f->ipc, a, 1, "x", 1, 0), -EPIPE);
	assert_int_equal(mn_ipc_info(f->ipc, a, &info), 0);
	assert_int_equal(info.state, MN_IPC_CLOSED);

	/* a blocked sender gets -EPIPE; what was queued is still received */
	assert_int_equal(mn_ipc_send(f->ipc, b, 1, "q", 1, 0), 0);
	call_start(&s, f->ipc, b, 3, 1, -1);
	wait_blocked(f->ipc, b, 0, 1);
	assert_int_equal(mn_ipc_channel_close(f->ipc, b), 0);
	call_join(&s);
	assert_int_equal(s.rc, -EPIPE);
	assert_int_equal(mn_ipc_recv(f->ipc, b, 1, buf, sizeof(buf), -1), 1);
	assert_int_equal(buf[0], 'q');
	assert_int_equal(mn_ipc_recv(f->ipc, b, 1, buf, sizeof(buf), -1),
			 -EPIPE);
	assert_int_equal(mn_ipc_channel_close(f->ipc, 77), -ENOENT);
}

static void test_remove_wakes(void **state)
{
	struct fixture *f = *state;
	struct call r1, r2;
	int id = mn_ipc_channel_create(f->ipc, "gone", 0, 1, NULL);

	call_start(&r1, f->ipc, id, 3, 0, -1);
	call_start(&r2, f->ipc, id, 4, 0, 10000);
	wait_blocked(f->ipc, id, 2, 0);
	assert_int_equal(mn_ipc_channel_remove(f->ipc, id), 0);
	call_join(&r1);
	call_join(&r2);
	assert_int_equal(r1.rc, -EPIPE);
	assert_int_equal(r2.rc, -EPIPE);
	assert_int_equal(mn_ipc_recv(f->ipc, id, 1, r1.buf, 8, 0), -ENOENT);
	assert_int_equal(mn_ipc_list(f->ipc, NULL, 0), 0);
}

static void test_interrupt(void **state)
{
	struct fixture *f = *state;
	struct call mine, other;
	int id = mn_ipc_channel_create(f->ipc, "i", 0, 1, NULL);

	assert_int_equal(mn_ipc_interrupt(f->ipc, 9), 0);
	call_start(&mine, f->ipc, id, 9, 0, -1);
	call_start(&other, f->ipc, id, 10, 0, -1);
	wait_blocked(f->ipc, id, 2, 0);
	assert_int_equal(mn_ipc_interrupt(f->ipc, 9), 1);
	call_join(&mine);
	assert_int_equal(mine.rc, -EINTR);
	/* the other caller is still waiting, and gets the next message */
	wait_blocked(f->ipc, id, 1, 0);
	assert_int_equal(mn_ipc_send(f->ipc, id, 1, "ok", 2, 0), 0);
	call_join(&other);
	assert_int_equal(other.rc, 2);
}

static void test_destroy_wakes(void **state)
{
	struct fixture *f = *state;
	struct call r, s;
	int a = mn_ipc_channel_create(f->ipc, "a", 0, 1, NULL);
	int b = mn_ipc_channel_create(f->ipc, "b", 1, 1, NULL);

	assert_int_equal(mn_ipc_send(f->ipc, b, 1, "x", 1, 0), 0);
	call_start(&r, f->ipc, a, 3, 0, -1);
	call_start(&s, f->ipc, b, 3, 1, -1);
	wait_blocked(f->ipc, a, 1, 0);
	wait_blocked(f->ipc, b, 0, 1);
	mn_ipc_destroy(f->ipc);	/* returns once both have left */
	f->ipc = NULL;
	call_join(&r);
	call_join(&s);
	assert_int_equal(r.rc, -ESHUTDOWN);
	assert_int_equal(s.rc, -ESHUTDOWN);
}

static void test_events(void **state)
{
	struct fixture *f = *state;
	struct mn_evfilter filter = {.class_mask = 1u << MN_EVC_CUSTOM};
	struct mn_event ev[8];
	char buf[8];
	int id = mn_ipc_channel_create(f->ipc, "ev", 0, 11, NULL);

	assert_int_equal(mn_ipc_send(f->ipc, id, 12, "abc", 3, 0), 0);
	assert_int_equal(mn_ipc_recv(f->ipc, id, 13, buf, sizeof(buf), 0), 3);
	/* failures publish nothing */
	assert_int_equal(mn_ipc_recv(f->ipc, id, 13, buf, sizeof(buf), 0),
			 -EAGAIN);
	assert_int_equal(mn_evbus_snapshot(f->bus, &filter, ev, 8), 3);
	assert_int_equal(ev[0].custom_id, MN_CUSTOM_IPC_CREATE);
	assert_int_equal(ev[0].pid, 11);
	assert_int_equal(ev[0].source, MN_SRC_KERNEL);
	assert_non_null(strstr(ev[0].text, "name=ev"));
	assert_int_equal(ev[1].custom_id, MN_CUSTOM_IPC_SEND);
	assert_int_equal(ev[1].pid, 12);
	assert_non_null(strstr(ev[1].text, "bytes=3"));
	assert_int_equal(ev[2].custom_id, MN_CUSTOM_IPC_RECV);
	assert_int_equal(ev[2].pid, 13);
}

static void test_format(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	const char *s;

	assert_int_equal(mn_ipc_format(f->ipc, &out), 0);
	assert_string_equal(mn_strbuf_str(&out), "no channels\n");
	mn_strbuf_reset(&out);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "t", 0, 1, NULL), 0);
	assert_int_equal(mn_ipc_channel_create(f->ipc, "longer-name", 0, 1,
					       NULL),
			 1);
	assert_int_equal(mn_ipc_send(f->ipc, 1, 1, "x", 1, 0), 0);
	assert_int_equal(mn_ipc_format(f->ipc, &out), 0);
	s = mn_strbuf_str(&out);
	assert_non_null(strstr(s, "ID  NAME         OWNER  STATE  QUEUED"));
	assert_non_null(strstr(s, "\n1   longer-name  1      open   1"));
	assert_non_null(strstr(s, "2 channels\n"));
	assert_string_equal(mn_ipc_state_name(MN_IPC_CLOSED), "closed");
	assert_string_equal(mn_ipc_state_name((enum mn_ipc_state)9), "?");
	mn_strbuf_release(&out);
}

static void test_create_args(void **state)
{
	struct mn_ipc *ipc = NULL;

	(void)state;
	assert_int_equal(mn_ipc_create(&ipc, NULL, MN_IPC_CAPACITY_MAX + 1, 0),
			 -EINVAL);
	assert_int_equal(mn_ipc_create(&ipc, NULL, 0, MN_IPC_MAX_CHANNELS + 1),
			 -EINVAL);
	assert_null(ipc);
	/* no bus: works, publishes nothing */
	assert_int_equal(mn_ipc_create(&ipc, NULL, 0, 0), 0);
	assert_int_equal(mn_ipc_channel_create(ipc, "n", 0, 0, NULL), 0);
	assert_int_equal(mn_ipc_send(ipc, 0, 0, "x", 1, 0), 0);
	mn_ipc_destroy(ipc);	/* frees the queued message */
	mn_ipc_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_ids_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_max_channels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fifo_and_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_blocking_recv_woken_by_send, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_blocking_send_woken_by_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_wakes_and_drains,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_wakes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_destroy_wakes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test(test_create_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
