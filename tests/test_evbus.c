/*
 * test_evbus - the event bus: history ring, subscribers and their lost
 * counts, resize, filters, statistics (and their two text formats), CSV and
 * text formats, blocking waits, interrupts, destroy with blocked waiters,
 * and concurrent publishers.
 *
 * Waits use generous timeouts (seconds) so that a loaded machine cannot
 * make a test fail; no test asserts on speed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/clock.h>
#include <micronos/evbus.h>

struct fixture {
	struct mn_clock clock;
	struct mn_evbus *bus;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	mn_clock_init(&f->clock);
	if (mn_evbus_create(&f->bus, 8, &f->clock) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mn_evbus_destroy(f->bus);
	free(f);
	return 0;
}

static void publish_n(struct mn_evbus *bus, int n)
{
	int i;

	for (i = 0; i < n; i++)
		assert_true(mn_evbus_publish(bus, MN_EV_DISK_READ,
					     MN_SRC_DRIVER, 0, "n=%d", i) > 0);
}

static uint64_t now_ms(void)
{
	return mn_clock_host_mono_ns() / MN_NSEC_PER_MSEC;
}

static void test_create_args(void **state)
{
	struct mn_evbus *bus = (struct mn_evbus *)0x1;

	(void)state;
	assert_int_equal(mn_evbus_create(&bus, 0, NULL), -EINVAL);
	assert_int_equal(mn_evbus_create(&bus, MN_EVBUS_MAX_CAPACITY + 1, NULL),
			 -EINVAL);
	assert_int_equal(mn_evbus_create(NULL, 10, NULL), -EINVAL);
	assert_ptr_equal(bus, (struct mn_evbus *)0x1);	/* untouched */
	assert_int_equal(mn_evbus_create(&bus, MN_EVBUS_DEFAULT_CAPACITY, NULL),
			 0);
	assert_int_equal(mn_evbus_capacity(bus), MN_EVBUS_DEFAULT_CAPACITY);
	assert_int_equal(mn_evbus_last_seq(bus), 0);
	mn_evbus_destroy(bus);
	mn_evbus_destroy(NULL);
}

static void test_publish_fields(void **state)
{
	struct fixture *f = *state;
	struct mn_event ev[2];
	char longtext[300];

	assert_int_equal(mn_evbus_publish(f->bus, MN_EV_PROCESS_CREATED,
					  MN_SRC_KERNEL, 3, "spawn %s", "sh"),
			 1);
	assert_int_equal(mn_evbus_publish_custom(f->bus, MN_CUSTOM_IPC_SEND,
						 MN_SRC_PROCESS, 4, "x"),
			 2);
	assert_int_equal(mn_evbus_last_seq(f->bus), 2);
	assert_int_equal(mn_evbus_snapshot(f->bus, NULL, ev, 2), 2);
	assert_int_equal(ev[0].seq, 1);
	assert_int_equal(ev[0].type, MN_EV_PROCESS_CREATED);
	assert_int_equal(ev[0].source, MN_SRC_KERNEL);
	assert_int_equal(ev[0].pid, 3);
	assert_int_equal(ev[0].custom_id, 0);
	assert_string_equal(ev[0].text, "spawn sh");
	assert_int_equal(ev[1].type, MN_EV_CUSTOM);
	assert_int_equal(ev[1].custom_id, MN_CUSTOM_IPC_SEND);
	assert_true(ev[1].time_ns >= ev[0].time_ns);

	/* Text is cut, never overflows. */
	memset(longtext, 'a', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(mn_evbus_publish(f->bus, MN_EV_DISK_WRITE,
					  MN_SRC_DRIVER, 0, "%s", longtext),
			 3);
	assert_int_equal(mn_evbus_snapshot(f->bus, NULL, ev, 1), 1);
	assert_int_equal(strlen(ev[0].text), MN_EVENT_TEXT_MAX - 1);
}

static void test_publish_errors(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mn_evbus_publish(NULL, MN_EV_DISK_READ, MN_SRC_DRIVER,
					  0, "x"),
			 -EINVAL);
	assert_int_equal(mn_evbus_publish(f->bus, MN_EV__COUNT, MN_SRC_DRIVER,
					  0, "x"),
			 -EINVAL);
	assert_int_equal(mn_evbus_publish(f->bus, (enum mn_event_type)-1,
					  MN_SRC_DRIVER, 0, "x"),
			 -EINVAL);
	assert_int_equal(mn_evbus_publish(f->bus, MN_EV_DISK_READ,
					  MN_SRC__COUNT, 0, "x"),
			 -EINVAL);
	assert_int_equal(mn_evbus_publish_custom(f->bus, 1, MN_SRC__COUNT, 0,
						 "x"),
			 -EINVAL);
	/* Refused publishes consume no sequence number. */
	assert_int_equal(mn_evbus_last_seq(f->bus), 0);
}

static void test_full_ring_wraps(void **state)
{
	struct fixture *f = *state;
	struct mn_event ev[16];
	struct mn_evstats st;
	size_t i, n;

	publish_n(f->bus, 20);
	n = mn_evbus_snapshot(f->bus, NULL, ev, 16);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++)
		assert_int_equal(ev[i].seq, 13 + i);
	assert_string_equal(ev[7].text, "n=19");
	/* A smaller snapshot gives the newest, oldest first. */
	n = mn_evbus_snapshot(f->bus, NULL, ev, 3);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].seq, 18);
	assert_int_equal(ev[2].seq, 20);
	assert_int_equal(mn_evbus_snapshot(f->bus, NULL, ev, 0), 0);
	mn_evbus_stats(f->bus, &st);
	assert_int_equal(st.published, 20);
	assert_int_equal(st.in_history, 8);
	assert_int_equal(st.capacity, 8);
	assert_int_equal(st.dropped, 0);	/* nobody was reading */
	assert_int_equal(st.by_type[MN_EV_DISK_READ], 20);
	assert_int_equal(st.by_source[MN_SRC_DRIVER], 20);
	assert_int_equal(st.subscribers, 0);
}

static void test_slow_subscriber_loses_oldest(void **state)
{
	struct fixture *f = *state;
	struct mn_evsub *sub;
	struct mn_event ev;
	struct mn_evstats st;
	uint64_t lost = 99;
	int i;

	assert_int_equal(mn_evsub_create(&sub, f->bus, NULL, 1), 0);
	publish_n(f->bus, 3);
	assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), 1);
	assert_int_equal(ev.seq, 1);
	assert_int_equal(lost, 0);
	publish_n(f->bus, 17);	/* seq 4..20; ring holds 13..20 */
	assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), 1);
	assert_int_equal(ev.seq, 13);
	assert_int_equal(lost, 11);	/* 2..12 were overwritten unread */
	for (i = 14; i <= 20; i++) {
		assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), 1);
		assert_int_equal(ev.seq, (uint64_t)i);
		assert_int_equal(lost, 0);
	}
	assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), -EAGAIN);
	assert_int_equal(lost, 0);
	mn_evbus_stats(f->bus, &st);
	assert_int_equal(st.dropped, 11);
	assert_int_equal(st.subscribers, 1);
	mn_evsub_destroy(sub);
	mn_evbus_stats(f->bus, &st);
	assert_int_equal(st.subscribers, 0);
}

/* Events a subscriber's filter excludes are not counted as its losses. */
static void test_lost_counts_only_matching(void **state)
{
	struct fixture *f = *state;
	struct mn_evfilter proc = {.class_mask = 1u << MN_EVC_PROCESS};
	struct mn_evsub *sub;
	struct mn_event ev;
	uint64_t lost;
	int i;

	assert_int_equal(mn_evsub_create(&sub, f->bus, &proc, 0), 0);
	for (i = 0; i < 12; i++)
		mn_evbus_publish(f->bus,
				 i < 3 ? MN_EV_PROCESS_CREATED : MN_EV_DISK_READ,
				 MN_SRC_KERNEL, 0, "%d", i);
	/* Only the 3 process events were overwritten unread by this sub. */
	assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), -EAGAIN);
	assert_int_equal(lost, 3);
	/* Losses are reported once. */
	assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), -EAGAIN);
	assert_int_equal(lost, 0);
	mn_evsub_destroy(sub);
}

static void test_resize(void **state)
{
	struct fixture *f = *state;
	struct mn_event ev[32];
	struct mn_evsub *sub;
	uint64_t lost;
	size_t n;

	assert_int_equal(mn_evsub_create(&sub, f->bus, NULL, 1), 0);
	publish_n(f->bus, 8);	/* 1..8, full */
	/* Smaller keeps the newest; the subscriber loses what went. */
	assert_int_equal(mn_evbus_resize(f->bus, 3), 0);
	assert_int_equal(mn_evbus_capacity(f->bus), 3);
	n = mn_evbus_snapshot(f->bus, NULL, ev, 32);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].seq, 6);
	assert_int_equal(ev[2].seq, 8);
	assert_int_equal(mn_evsub_next(sub, &ev[0], 0, &lost), 1);
	assert_int_equal(ev[0].seq, 6);
	assert_int_equal(lost, 5);
	/* Larger keeps everything and grows. */
	assert_int_equal(mn_evbus_resize(f->bus, 20), 0);
	n = mn_evbus_snapshot(f->bus, NULL, ev, 32);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].seq, 6);
	publish_n(f->bus, 25);	/* 9..33; holds 14..33 */
	n = mn_evbus_snapshot(f->bus, NULL, ev, 32);
	assert_int_equal(n, 20);
	for (n = 0; n < 20; n++)
		assert_int_equal(ev[n].seq, 14 + n);
	/* Out of range is refused and changes nothing. */
	assert_int_equal(mn_evbus_resize(f->bus, 0), -EINVAL);
	assert_int_equal(mn_evbus_resize(f->bus, MN_EVBUS_MAX_CAPACITY + 1),
			 -EINVAL);
	assert_int_equal(mn_evbus_capacity(f->bus), 20);
	assert_int_equal(mn_evbus_snapshot(f->bus, NULL, ev, 32), 20);
	/* Same size is a no-op. */
	assert_int_equal(mn_evbus_resize(f->bus, 20), 0);
	assert_int_equal(mn_evbus_snapshot(f->bus, NULL, ev, 32), 20);
	assert_int_equal(ev[19].seq, 33);
	mn_evsub_destroy(sub);
}

static void publish_mix(struct mn_evbus *bus)
{
	mn_evbus_publish(bus, MN_EV_PROCESS_CREATED, MN_SRC_KERNEL, 1, "a");
	mn_evbus_publish(bus, MN_EV_TIMER_EXPIRED, MN_SRC_TIMER, 0, "b");
	mn_evbus_publish(bus, MN_EV_MEMORY_ALLOCATED, MN_SRC_KERNEL, 1, "c");
	mn_evbus_publish(bus, MN_EV_PROCESS_TERMINATED, MN_SRC_PROCESS, 1, "d");
	mn_evbus_publish_custom(bus, MN_CUSTOM_HEALTH, MN_SRC_KERNEL, 0, "e");
	mn_evbus_publish(bus, MN_EV_NETWORK_CONNECTED, MN_SRC_NETWORK, 0, "f");
}

static void test_filters(void **state)
{
	struct fixture *f = *state;
	struct mn_evfilter flt = {0};
	struct mn_event ev[8];
	struct mn_evsub *sub;

	publish_mix(f->bus);
	flt.class_mask = 1u << MN_EVC_PROCESS;
	assert_int_equal(mn_evbus_snapshot(f->bus, &flt, ev, 8), 2);
	assert_string_equal(ev[0].text, "a");
	assert_string_equal(ev[1].text, "d");
	flt.source_mask = 1u << MN_SRC_KERNEL;	/* process AND kernel */
	assert_int_equal(mn_evbus_snapshot(f->bus, &flt, ev, 8), 1);
	assert_string_equal(ev[0].text, "a");
	flt.class_mask = 0;
	assert_int_equal(mn_evbus_snapshot(f->bus, &flt, ev, 8), 3);
	flt.source_mask = 0;
	flt.type_mask = 1u << MN_EV_TIMER_EXPIRED | 1u << MN_EV_CUSTOM;
	assert_int_equal(mn_evbus_snapshot(f->bus, &flt, ev, 8), 2);
	assert_string_equal(ev[1].text, "e");
	flt.type_mask = 0;
	flt.class_mask = 1u << MN_EVC_DISK;
	assert_int_equal(mn_evbus_snapshot(f->bus, &flt, ev, 8), 0);
	memset(&flt, 0, sizeof(flt));
	assert_int_equal(mn_evbus_snapshot(f->bus, &flt, ev, 8), 6);

	/* A filtered subscriber sees only its events. */
	flt.class_mask = 1u << MN_EVC_NETWORK | 1u << MN_EVC_CUSTOM;
	assert_int_equal(mn_evsub_create(&sub, f->bus, &flt, 1), 0);
	flt.class_mask = 0;	/* the subscriber keeps its own copy */
	assert_int_equal(mn_evsub_next(sub, &ev[0], 0, NULL), 1);
	assert_string_equal(ev[0].text, "e");
	assert_int_equal(mn_evsub_next(sub, &ev[0], 0, NULL), 1);
	assert_string_equal(ev[0].text, "f");
	assert_int_equal(mn_evsub_next(sub, &ev[0], 0, NULL), -EAGAIN);
	assert_false(mn_evsub_ready(sub));
	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "g");
	assert_false(mn_evsub_ready(sub));
	mn_evbus_publish(f->bus, MN_EV_NETWORK_DISCONNECTED, MN_SRC_NETWORK, 0,
			 "h");
	assert_true(mn_evsub_ready(sub));
	assert_int_equal(mn_evsub_next(sub, &ev[0], 0, NULL), 1);
	assert_string_equal(ev[0].text, "h");
	mn_evsub_destroy(sub);

	/* mn_evfilter_match copes with garbage in a caller's event. */
	memset(ev, 0xff, sizeof(ev[0]));
	flt.source_mask = 1u << MN_SRC_KERNEL;
	assert_false(mn_evfilter_match(&flt, &ev[0]));
	assert_true(mn_evfilter_match(NULL, &ev[0]));
}

static void test_names_and_parsing(void **state)
{
	struct mn_event ev = {.type = MN_EV_CUSTOM, .custom_id = 100};
	char buf[32];

	(void)state;
	assert_string_equal(mn_event_type_name(MN_EV_PROCESS_CREATED),
			    "ProcessCreated");
	assert_string_equal(mn_event_type_name(MN_EV_SIGNAL_RECEIVED),
			    "SignalReceived");
	assert_string_equal(mn_event_type_name(MN_EV_CUSTOM), "Custom");
	assert_string_equal(mn_event_type_name(MN_EV__COUNT), "?");
	assert_int_equal(mn_event_type_label(&ev, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "Custom(100)");
	ev.type = MN_EV_DISK_WRITE;
	mn_event_type_label(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "DiskWrite");
	assert_string_equal(mn_event_source_name(MN_SRC_TIMER), "timer");
	assert_string_equal(mn_event_source_name(MN_SRC__COUNT), "?");
	assert_string_equal(mn_event_class_name(MN_EVC_MEMORY), "memory");
	assert_string_equal(mn_event_class_name(MN_EVC__COUNT), "?");
	assert_int_equal(mn_event_class_of(MN_EV_PROCESS_RESUMED),
			 MN_EVC_PROCESS);
	assert_int_equal(mn_event_class_of(MN_EV_MEMORY_FREED), MN_EVC_MEMORY);
	assert_int_equal(mn_event_class_of(MN_EV_DISK_READ), MN_EVC_DISK);
	assert_int_equal(mn_event_class_of(MN_EV_CUSTOM), MN_EVC_CUSTOM);
	assert_int_equal(mn_event_class_parse("process"), MN_EVC_PROCESS);
	assert_int_equal(mn_event_class_parse("SIGNAL"), MN_EVC_SIGNAL);
	assert_int_equal(mn_event_class_parse("NetworkDisconnected"),
			 MN_EVC_NETWORK);
	assert_int_equal(mn_event_class_parse("bogus"), -EINVAL);
	assert_int_equal(mn_event_class_parse(""), -EINVAL);
	assert_int_equal(mn_event_class_parse(NULL), -EINVAL);
	assert_int_equal(mn_event_source_parse("network"), MN_SRC_NETWORK);
	assert_int_equal(mn_event_source_parse("Kernel"), MN_SRC_KERNEL);
	assert_int_equal(mn_event_source_parse("disk"), -EINVAL);
	assert_int_equal(mn_event_source_parse(NULL), -EINVAL);
	assert_int_equal(mn_event_type_parse("timerexpired"),
			 MN_EV_TIMER_EXPIRED);
	assert_int_equal(mn_event_type_parse("timer"), -EINVAL);
}

static void test_event_format(void **state)
{
	struct mn_event ev = {.seq = 42, .time_ns = 12345678912ULL,
			      .pid = 3, .type = MN_EV_PROCESS_CREATED,
			      .source = MN_SRC_KERNEL};
	struct mn_strbuf sb = MN_STRBUF_INIT;

	(void)state;
	strcpy(ev.text, "spawned init");
	assert_int_equal(mn_event_format(&ev, &sb), 0);
	assert_string_equal(mn_strbuf_str(&sb),
			    "[   12.345678] #42 ProcessCreated kernel pid=3: "
			    "spawned init");
	mn_strbuf_reset(&sb);
	ev.pid = 0;
	ev.text[0] = '\0';
	ev.type = MN_EV_CUSTOM;
	ev.custom_id = 501;
	mn_event_format(&ev, &sb);
	assert_string_equal(mn_strbuf_str(&sb),
			    "[   12.345678] #42 Custom(501) kernel");
	/* Control characters cannot break the line. */
	mn_strbuf_reset(&sb);
	strcpy(ev.text, "a\nb\tc\x01");
	mn_event_format(&ev, &sb);
	assert_string_equal(mn_strbuf_str(&sb),
			    "[   12.345678] #42 Custom(501) kernel: "
			    "a\\nb\\tc\\x01");
	mn_strbuf_release(&sb);
}

static void test_csv_export(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct mn_evfilter flt = {.source_mask = 1u << MN_SRC_TIMER};
	struct mn_event ev[4];
	char expect[1024];

	mn_evbus_publish(f->bus, MN_EV_PROCESS_CREATED, MN_SRC_KERNEL, 7,
			 "plain text");
	mn_evbus_publish(f->bus, MN_EV_SIGNAL_RECEIVED, MN_SRC_PROCESS, 8,
			 "a,b \"quoted\"");
	mn_evbus_publish_custom(f->bus, MN_CUSTOM_CONFIG, MN_SRC_TIMER, 0,
				"line1\nline2\rend");
	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "%s", "");
	assert_int_equal(mn_evbus_snapshot(f->bus, NULL, ev, 4), 4);
	snprintf(expect, sizeof(expect),
		 "seq,time_ns,type,source,pid,text\n"
		 "1,%llu,ProcessCreated,kernel,7,plain text\n"
		 "2,%llu,SignalReceived,process,8,\"a,b \"\"quoted\"\"\"\n"
		 "3,%llu,Custom(400),timer,0,\"line1\nline2\rend\"\n"
		 "4,%llu,DiskRead,driver,0,\n",
		 (unsigned long long)ev[0].time_ns,
		 (unsigned long long)ev[1].time_ns,
		 (unsigned long long)ev[2].time_ns,
		 (unsigned long long)ev[3].time_ns);
	assert_int_equal(mn_evbus_export_csv(f->bus, NULL, &sb), 0);
	assert_string_equal(mn_strbuf_str(&sb), expect);

	mn_strbuf_reset(&sb);
	assert_int_equal(mn_evbus_export_csv(f->bus, &flt, &sb), 0);
	snprintf(expect, sizeof(expect),
		 "seq,time_ns,type,source,pid,text\n"
		 "3,%llu,Custom(400),timer,0,\"line1\nline2\rend\"\n",
		 (unsigned long long)ev[2].time_ns);
	assert_string_equal(mn_strbuf_str(&sb), expect);

	/* An empty history is a header only. */
	mn_evbus_clear(f->bus);
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_evbus_export_csv(f->bus, NULL, &sb), 0);
	assert_string_equal(mn_strbuf_str(&sb),
			    "seq,time_ns,type,source,pid,text\n");
	mn_strbuf_release(&sb);
}

/* Statistics for programs (/events/stats) and for people (the shell). */
static void test_format_stats(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf sb = MN_STRBUF_INIT;
	const char *keys =
		"published: 3\nin_history: 3\ncapacity: 8\ndropped: 0\n"
		"subscribers: 0\n"
		"type.ProcessCreated: 1\ntype.ProcessTerminated: 0\n"
		"type.ProcessSuspended: 0\ntype.ProcessResumed: 0\n"
		"type.TimerExpired: 0\ntype.NetworkConnected: 0\n"
		"type.NetworkDisconnected: 0\ntype.MemoryAllocated: 0\n"
		"type.MemoryFreed: 0\ntype.DiskRead: 1\ntype.DiskWrite: 0\n"
		"type.SignalReceived: 0\ntype.Custom: 1\ntype.FaultInjected: 0\n"
		"source.kernel: 1\nsource.process: 0\nsource.driver: 1\n"
		"source.network: 0\nsource.timer: 1\n";
	const char *table =
		"published 3, in history 3/8, dropped 0, subscribers 0\n"
		"\n"
		"TYPE                 CLASS    COUNT\n"
		"ProcessCreated       process      1\n"
		"ProcessTerminated    process      0\n"
		"ProcessSuspended     process      0\n"
		"ProcessResumed       process      0\n"
		"TimerExpired         timer        0\n"
		"NetworkConnected     network      0\n"
		"NetworkDisconnected  network      0\n"
		"MemoryAllocated      memory       0\n"
		"MemoryFreed          memory       0\n"
		"DiskRead             disk         1\n"
		"DiskWrite            disk         0\n"
		"SignalReceived       signal       0\n"
		"Custom               custom       1\n"
		"FaultInjected        fault        0\n"
		"\n"
		"SOURCE   COUNT\n"
		"kernel       1\n"
		"process      0\n"
		"driver       1\n"
		"network      0\n"
		"timer        1\n";

	mn_evbus_publish(f->bus, MN_EV_PROCESS_CREATED, MN_SRC_KERNEL, 7, "a");
	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "b");
	mn_evbus_publish_custom(f->bus, MN_CUSTOM_TIMER, MN_SRC_TIMER, 0, "c");
	assert_int_equal(mn_evbus_format_stats(f->bus, MN_EVSTATS_KEYS, &sb),
			 0);
	assert_string_equal(mn_strbuf_str(&sb), keys);
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_evbus_format_stats(f->bus, MN_EVSTATS_TABLE, &sb),
			 0);
	assert_string_equal(mn_strbuf_str(&sb), table);
	/* appends; an unknown format adds nothing */
	assert_int_equal(mn_evbus_format_stats(f->bus,
					       (enum mn_evstats_format)7, &sb),
			 -EINVAL);
	assert_string_equal(mn_strbuf_str(&sb), table);
	mn_strbuf_release(&sb);
}

/* The export walks the history in chunks: a large one comes out whole. */
static void test_csv_export_large(void **state)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct mn_evbus *bus;
	const char *p;
	size_t lines = 0;

	(void)state;
	assert_int_equal(mn_evbus_create(&bus, 1000, NULL), 0);
	publish_n(bus, 1500);
	assert_int_equal(mn_evbus_export_csv(bus, NULL, &sb), 0);
	for (p = mn_strbuf_str(&sb); *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1001);
	assert_non_null(strstr(mn_strbuf_str(&sb), "\n501,"));
	assert_null(strstr(mn_strbuf_str(&sb), "\n500,"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "\n1500,"));
	mn_strbuf_release(&sb);
	mn_evbus_destroy(bus);
}

static void test_copy_from(void **state)
{
	struct fixture *f = *state;
	struct mn_event ev[3];
	uint64_t seq = 0;

	publish_n(f->bus, 12);	/* holds 5..12 */
	assert_int_equal(mn_evbus_copy_from(f->bus, NULL, &seq, ev, 3), 3);
	assert_int_equal(ev[0].seq, 5);
	assert_int_equal(seq, 8);
	assert_int_equal(mn_evbus_copy_from(f->bus, NULL, &seq, ev, 3), 3);
	assert_int_equal(ev[0].seq, 8);
	assert_int_equal(mn_evbus_copy_from(f->bus, NULL, &seq, ev, 3), 2);
	assert_int_equal(ev[1].seq, 12);
	assert_int_equal(seq, 13);
	assert_int_equal(mn_evbus_copy_from(f->bus, NULL, &seq, ev, 3), 0);
	assert_int_equal(seq, 13);
}

static void test_clear(void **state)
{
	struct fixture *f = *state;
	struct mn_evsub *sub;
	struct mn_event ev;
	struct mn_evstats st;
	uint64_t lost = 99;

	assert_int_equal(mn_evsub_create(&sub, f->bus, NULL, 1), 0);
	publish_n(f->bus, 5);
	mn_evbus_clear(f->bus);
	assert_int_equal(mn_evbus_snapshot(f->bus, NULL, &ev, 1), 0);
	mn_evbus_stats(f->bus, &st);
	assert_int_equal(st.in_history, 0);
	assert_int_equal(st.published, 5);	/* clear does not reset */
	assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), -EAGAIN);
	assert_int_equal(lost, 0);	/* cleared is not lost */
	/* Sequence numbers are never reused. */
	assert_int_equal(mn_evbus_publish(f->bus, MN_EV_DISK_READ,
					  MN_SRC_DRIVER, 0, "after"),
			 6);
	assert_int_equal(mn_evsub_next(sub, &ev, 0, &lost), 1);
	assert_int_equal(ev.seq, 6);
	mn_evsub_destroy(sub);
}

static void test_subscriber_start_positions(void **state)
{
	struct fixture *f = *state;
	struct mn_evsub *old, *cur;
	struct mn_event ev;

	publish_n(f->bus, 3);
	assert_int_equal(mn_evsub_create(&old, f->bus, NULL, 1), 0);
	assert_int_equal(mn_evsub_create(&cur, f->bus, NULL, 0), 0);
	assert_int_equal(mn_evsub_next(old, &ev, 0, NULL), 1);
	assert_int_equal(ev.seq, 1);
	assert_int_equal(mn_evsub_next(cur, &ev, 0, NULL), -EAGAIN);
	assert_int_equal(mn_evsub_create(NULL, f->bus, NULL, 0), -EINVAL);
	assert_int_equal(mn_evsub_create(&cur, NULL, NULL, 0), -EINVAL);
	mn_evsub_destroy(old);
	mn_evsub_destroy(cur);
	mn_evsub_destroy(NULL);
}

static void test_wait_timeout(void **state)
{
	struct fixture *f = *state;
	struct mn_evsub *sub;
	struct mn_event ev;
	uint64_t t0;

	assert_int_equal(mn_evsub_create(&sub, f->bus, NULL, 0), 0);
	t0 = now_ms();
	assert_int_equal(mn_evsub_next(sub, &ev, 100, NULL), -EAGAIN);
	assert_true(now_ms() - t0 >= 95);
	/* Poll: returns at once. */
	assert_int_equal(mn_evsub_next(sub, &ev, 0, NULL), -EAGAIN);
	mn_evsub_destroy(sub);
}

struct waiter {
	struct mn_evsub *sub;
	int timeout_ms;
	int ret;
	struct mn_event ev;
	atomic_int started;
};

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;

	w->started = 1;
	w->ret = mn_evsub_next(w->sub, &w->ev, w->timeout_ms, NULL);
	return NULL;
}

static void start_waiter(pthread_t *t, struct waiter *w)
{
	assert_int_equal(pthread_create(t, NULL, waiter_thread, w), 0);
	while (!w->started)
		usleep(1000);
	usleep(50000);	/* most likely blocked by now; correct either way */
}

static void test_wait_woken_by_publish(void **state)
{
	struct fixture *f = *state;
	struct waiter w = {.timeout_ms = 30000};
	pthread_t t;

	assert_int_equal(mn_evsub_create(&w.sub, f->bus, NULL, 0), 0);
	start_waiter(&t, &w);
	mn_evbus_publish(f->bus, MN_EV_TIMER_EXPIRED, MN_SRC_TIMER, 0,
			 "wake up");
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.ret, 1);
	assert_string_equal(w.ev.text, "wake up");
	mn_evsub_destroy(w.sub);
}

static void test_wait_forever_woken(void **state)
{
	struct fixture *f = *state;
	struct waiter w = {.timeout_ms = -1};
	pthread_t t;

	assert_int_equal(mn_evsub_create(&w.sub, f->bus, NULL, 0), 0);
	start_waiter(&t, &w);
	mn_evbus_publish(f->bus, MN_EV_TIMER_EXPIRED, MN_SRC_TIMER, 0, "x");
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.ret, 1);
	mn_evsub_destroy(w.sub);
}

static void test_interrupt(void **state)
{
	struct fixture *f = *state;
	struct waiter w = {.timeout_ms = -1};
	struct mn_event ev;
	pthread_t t;

	assert_int_equal(mn_evsub_create(&w.sub, f->bus, NULL, 0), 0);
	start_waiter(&t, &w);
	mn_evsub_interrupt(w.sub);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.ret, -EINTR);
	/* An interrupt before the call makes the next call return -EINTR,
	 * once, even with an event ready. */
	mn_evbus_publish(f->bus, MN_EV_TIMER_EXPIRED, MN_SRC_TIMER, 0, "x");
	mn_evsub_interrupt(w.sub);
	assert_true(mn_evsub_ready(w.sub));
	assert_int_equal(mn_evsub_next(w.sub, &ev, 1000, NULL), -EINTR);
	assert_int_equal(mn_evsub_next(w.sub, &ev, 1000, NULL), 1);
	mn_evsub_destroy(w.sub);
}

/* Destroy wakes a blocked waiter with -ESHUTDOWN; the owner frees the sub. */
static void test_destroy_wakes_waiters(void **state)
{
	struct waiter w[2] = {{.timeout_ms = -1}, {.timeout_ms = 30000}};
	struct mn_evbus *bus;
	struct mn_evsub *idle;
	struct mn_event ev;
	pthread_t t[2];
	int i;

	(void)state;
	assert_int_equal(mn_evbus_create(&bus, 4, NULL), 0);
	assert_int_equal(mn_evsub_create(&idle, bus, NULL, 0), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(mn_evsub_create(&w[i].sub, bus, NULL, 0), 0);
		start_waiter(&t[i], &w[i]);
	}
	mn_evbus_destroy(bus);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].ret, -ESHUTDOWN);
		mn_evsub_destroy(w[i].sub);
	}
	/* A detached subscriber answers -ESHUTDOWN and can be destroyed. */
	assert_int_equal(mn_evsub_next(idle, &ev, -1, NULL), -ESHUTDOWN);
	assert_true(mn_evsub_ready(idle));
	mn_evsub_interrupt(idle);
	mn_evsub_destroy(idle);
}

struct hook_rec {
	int calls;
	uint64_t last_seq;
	char last_text[MN_EVENT_TEXT_MAX];
};

static void hook_fn(void *arg, const struct mn_event *ev)
{
	struct hook_rec *r = arg;

	r->calls++;
	r->last_seq = ev->seq;
	strcpy(r->last_text, ev->text);
}

static void test_hook(void **state)
{
	struct fixture *f = *state;
	struct hook_rec r = {0};

	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "before");
	mn_evbus_set_hook(f->bus, hook_fn, &r);
	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "one");
	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "two");
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.last_seq, 3);
	assert_string_equal(r.last_text, "two");
	mn_evbus_set_hook(f->bus, NULL, NULL);
	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "after");
	assert_int_equal(r.calls, 2);
}

/* A hook may call back into the bus: it runs outside the lock. */
static struct mn_evbus *reentrant_bus;
static uint64_t reentrant_seen;

static void reentrant_hook(void *arg, const struct mn_event *ev)
{
	struct mn_event copy;

	(void)arg;
	(void)ev;
	reentrant_seen = mn_evbus_snapshot(reentrant_bus, NULL, &copy, 1);
}

static void test_hook_runs_unlocked(void **state)
{
	struct fixture *f = *state;

	reentrant_bus = f->bus;
	mn_evbus_set_hook(f->bus, reentrant_hook, NULL);
	mn_evbus_publish(f->bus, MN_EV_DISK_READ, MN_SRC_DRIVER, 0, "x");
	assert_int_equal(reentrant_seen, 1);
}

#define NPUB 4
#define PER_THREAD 20000

struct pub_arg {
	struct mn_evbus *bus;
	int id;
	int64_t *seqs;
};

static void *publisher(void *arg)
{
	struct pub_arg *a = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		a->seqs[i] = mn_evbus_publish(a->bus, MN_EV_DISK_WRITE,
					      MN_SRC_DRIVER, a->id, "t%d i%d",
					      a->id, i);
	return NULL;
}

struct drain_arg {
	struct mn_evsub *sub;
	uint64_t got, lost, last;
	int in_order;
};

static void *drainer(void *arg)
{
	struct drain_arg *d = arg;
	struct mn_event ev;
	uint64_t lost;
	int ret;

	d->in_order = 1;
	while ((ret = mn_evsub_next(d->sub, &ev, 10000, &lost)) != -EAGAIN) {
		d->lost += lost;
		if (ret == 1) {
			d->in_order &= ev.seq > d->last;
			d->last = ev.seq;
			d->got++;
			if (d->last == NPUB * PER_THREAD)
				break;
		}
	}
	d->lost += ret == -EAGAIN ? lost : 0;
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void test_concurrent_publishers(void **state)
{
	struct pub_arg args[NPUB];
	struct drain_arg d = {0};
	pthread_t t[NPUB], dt;
	struct mn_evstats st;
	struct mn_evbus *bus;
	int64_t *all;
	int i;

	(void)state;
	all = calloc(NPUB * PER_THREAD, sizeof(*all));
	assert_non_null(all);
	assert_int_equal(mn_evbus_create(&bus, 1000, NULL), 0);
	assert_int_equal(mn_evsub_create(&d.sub, bus, NULL, 1), 0);
	assert_int_equal(pthread_create(&dt, NULL, drainer, &d), 0);
	for (i = 0; i < NPUB; i++) {
		args[i] = (struct pub_arg){bus, i + 1, all + i * PER_THREAD};
		assert_int_equal(pthread_create(&t[i], NULL, publisher,
						&args[i]), 0);
	}
	for (i = 0; i < NPUB; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(pthread_join(dt, NULL), 0);
	qsort(all, NPUB * PER_THREAD, sizeof(*all), cmp_i64);
	for (i = 0; i < NPUB * PER_THREAD; i++)
		assert_int_equal(all[i], i + 1);	/* unique, contiguous */
	mn_evbus_stats(bus, &st);
	assert_int_equal(st.published, NPUB * PER_THREAD);
	assert_int_equal(st.by_type[MN_EV_DISK_WRITE], NPUB * PER_THREAD);
	/* The reader saw or was told about every event. */
	assert_true(d.in_order);
	assert_int_equal(d.got + d.lost, NPUB * PER_THREAD);
	assert_int_equal(st.dropped, d.lost);
	mn_evsub_destroy(d.sub);
	mn_evbus_destroy(bus);
	free(all);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		T(test_publish_fields),
		T(test_publish_errors),
		T(test_full_ring_wraps),
		T(test_slow_subscriber_loses_oldest),
		T(test_lost_counts_only_matching),
		T(test_resize),
		T(test_filters),
		cmocka_unit_test(test_names_and_parsing),
		cmocka_unit_test(test_event_format),
		T(test_csv_export),
		cmocka_unit_test(test_csv_export_large),
		T(test_format_stats),
		T(test_copy_from),
		T(test_clear),
		T(test_subscriber_start_positions),
		T(test_wait_timeout),
		T(test_wait_woken_by_publish),
		T(test_wait_forever_woken),
		T(test_interrupt),
		cmocka_unit_test(test_destroy_wakes_waiters),
		T(test_hook),
		T(test_hook_runs_unlocked),
		cmocka_unit_test(test_concurrent_publishers),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
