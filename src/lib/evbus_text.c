/*
 * evbus_text.c - events as text: type, source and class names, the one-line
 * human format, the statistics and the CSV export (see
 * include/micronos/evbus.h).
 *
 * Kept apart from evbus.c because none of it touches the bus's insides: the
 * export reads the history through mn_evbus_copy_from() in chunks, so the
 * bus lock is held for one chunk at a time and publishers are not stalled
 * while a large history is turned into text.
 *
 * CSV follows RFC 4180's quoting (a field holding a comma, a double quote,
 * CR or LF is quoted and its quotes doubled) with a header row.  Lines end
 * in LF rather than the RFC's CRLF: the export is read with Unix tools
 * (cat, grep, cut) and every CSV reader accepts LF.
 */
#include <micronos/evbus.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "texttable_i.h"

static const struct {
	const char *name;
	enum mn_event_class cls;
} types[MN_EV__COUNT] = {
	[MN_EV_PROCESS_CREATED]	     = {"ProcessCreated", MN_EVC_PROCESS},
	[MN_EV_PROCESS_TERMINATED]   = {"ProcessTerminated", MN_EVC_PROCESS},
	[MN_EV_PROCESS_SUSPENDED]    = {"ProcessSuspended", MN_EVC_PROCESS},
	[MN_EV_PROCESS_RESUMED]	     = {"ProcessResumed", MN_EVC_PROCESS},
	[MN_EV_TIMER_EXPIRED]	     = {"TimerExpired", MN_EVC_TIMER},
	[MN_EV_NETWORK_CONNECTED]    = {"NetworkConnected", MN_EVC_NETWORK},
	[MN_EV_NETWORK_DISCONNECTED] = {"NetworkDisconnected", MN_EVC_NETWORK},
	[MN_EV_MEMORY_ALLOCATED]     = {"MemoryAllocated", MN_EVC_MEMORY},
	[MN_EV_MEMORY_FREED]	     = {"MemoryFreed", MN_EVC_MEMORY},
	[MN_EV_DISK_READ]	     = {"DiskRead", MN_EVC_DISK},
	[MN_EV_DISK_WRITE]	     = {"DiskWrite", MN_EVC_DISK},
	[MN_EV_SIGNAL_RECEIVED]	     = {"SignalReceived", MN_EVC_SIGNAL},
	[MN_EV_CUSTOM]		     = {"Custom", MN_EVC_CUSTOM},
	[MN_EV_FAULT_INJECTED]	     = {"FaultInjected", MN_EVC_FAULT},
};

static const char *const sources[MN_SRC__COUNT] = {
	[MN_SRC_KERNEL] = "kernel",
	[MN_SRC_PROCESS] = "process",
	[MN_SRC_DRIVER] = "driver",
	[MN_SRC_NETWORK] = "network",
	[MN_SRC_TIMER] = "timer",
};

static const char *const classes[MN_EVC__COUNT] = {
	[MN_EVC_PROCESS] = "process",
	[MN_EVC_TIMER] = "timer",
	[MN_EVC_NETWORK] = "network",
	[MN_EVC_MEMORY] = "memory",
	[MN_EVC_DISK] = "disk",
	[MN_EVC_SIGNAL] = "signal",
	[MN_EVC_CUSTOM] = "custom",
	[MN_EVC_FAULT] = "fault",
};

const char *mn_event_type_name(enum mn_event_type type)
{
	return (unsigned)type < MN_EV__COUNT ? types[type].name : "?";
}

const char *mn_event_source_name(enum mn_event_source source)
{
	return (unsigned)source < MN_SRC__COUNT ? sources[source] : "?";
}

const char *mn_event_class_name(enum mn_event_class cls)
{
	return (unsigned)cls < MN_EVC__COUNT ? classes[cls] : "?";
}

/* MN_EVC__COUNT for a type out of range: it matches no class mask bit. */
enum mn_event_class mn_event_class_of(enum mn_event_type type)
{
	return (unsigned)type < MN_EV__COUNT ? types[type].cls : MN_EVC__COUNT;
}

int mn_event_type_label(const struct mn_event *ev, char *buf, size_t n)
{
	if (ev->type == MN_EV_CUSTOM)
		return snprintf(buf, n, "Custom(%u)", (unsigned)ev->custom_id);
	return snprintf(buf, n, "%s", mn_event_type_name(ev->type));
}

int mn_event_type_parse(const char *name)
{
	int i;

	for (i = 0; name && i < MN_EV__COUNT; i++) {
		if (strcasecmp(types[i].name, name) == 0)
			return i;
	}
	return -EINVAL;
}

int mn_event_class_parse(const char *name)
{
	int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < MN_EVC__COUNT; i++) {
		if (strcasecmp(classes[i], name) == 0)
			return i;
	}
	i = mn_event_type_parse(name);
	return i < 0 ? i : (int)types[i].cls;
}

int mn_event_source_parse(const char *name)
{
	int i;

	for (i = 0; name && i < MN_SRC__COUNT; i++) {
		if (strcasecmp(sources[i], name) == 0)
			return i;
	}
	return -EINVAL;
}

/* Text on one line: control characters become C escapes. */
static void put_escaped(struct mn_strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			mn_strbuf_puts(out, "\\n");
		else if (c == '\r')
			mn_strbuf_puts(out, "\\r");
		else if (c == '\t')
			mn_strbuf_puts(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			mn_strbuf_printf(out, "\\x%02x", c);
		else
			mn_strbuf_putc(out, (char)c);
	}
}

int mn_event_format(const struct mn_event *ev, struct mn_strbuf *out)
{
	char label[32];
	unsigned long long sec = ev->time_ns / 1000000000ULL;
	unsigned long long usec = ev->time_ns % 1000000000ULL / 1000;

	mn_event_type_label(ev, label, sizeof(label));
	mn_strbuf_printf(out, "[%5llu.%06llu] #%llu %s %s", sec, usec,
			 (unsigned long long)ev->seq, label,
			 mn_event_source_name(ev->source));
	if (ev->pid)
		mn_strbuf_printf(out, " pid=%d", (int)ev->pid);
	if (ev->text[0]) {
		mn_strbuf_puts(out, ": ");
		put_escaped(out, ev->text);
	}
	return mn_strbuf_error(out);
}

static int stats_keys(const struct mn_evstats *st, struct mn_strbuf *out)
{
	int i;

	mn_strbuf_printf(out, "published: %llu\nin_history: %llu\n"
			 "capacity: %llu\ndropped: %llu\nsubscribers: %llu\n",
			 (unsigned long long)st->published,
			 (unsigned long long)st->in_history,
			 (unsigned long long)st->capacity,
			 (unsigned long long)st->dropped,
			 (unsigned long long)st->subscribers);
	for (i = 0; i < MN_EV__COUNT; i++)
		mn_strbuf_printf(out, "type.%s: %llu\n",
				 mn_event_type_name((enum mn_event_type)i),
				 (unsigned long long)st->by_type[i]);
	for (i = 0; i < MN_SRC__COUNT; i++)
		mn_strbuf_printf(out, "source.%s: %llu\n",
				 mn_event_source_name((enum mn_event_source)i),
				 (unsigned long long)st->by_source[i]);
	return mn_strbuf_error(out);
}

static int stats_table(const struct mn_evstats *st, struct mn_strbuf *out)
{
	struct mn_texttable t;
	int i, ret;

	mn_strbuf_printf(out, "published %llu, in history %llu/%llu, dropped "
			 "%llu, subscribers %llu\n\n",
			 (unsigned long long)st->published,
			 (unsigned long long)st->in_history,
			 (unsigned long long)st->capacity,
			 (unsigned long long)st->dropped,
			 (unsigned long long)st->subscribers);
	mn_texttable_init_header(&t, "TYPE|CLASS|>COUNT");
	for (i = 0; i < MN_EV__COUNT; i++) {
		mn_texttable_cell(&t, "%s", types[i].name);
		mn_texttable_cell(&t, "%s", classes[types[i].cls]);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)st->by_type[i]);
	}
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	if (ret < 0)
		return ret;
	mn_strbuf_putc(out, '\n');
	mn_texttable_init_header(&t, "SOURCE|>COUNT");
	for (i = 0; i < MN_SRC__COUNT; i++) {
		mn_texttable_cell(&t, "%s", sources[i]);
		mn_texttable_cell(&t, "%llu",
				  (unsigned long long)st->by_source[i]);
	}
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	return ret;
}

int mn_evbus_format_stats(struct mn_evbus *bus, enum mn_evstats_format format,
			  struct mn_strbuf *out)
{
	struct mn_evstats st;

	if (format != MN_EVSTATS_KEYS && format != MN_EVSTATS_TABLE)
		return -EINVAL;
	mn_evbus_stats(bus, &st);
	return format == MN_EVSTATS_KEYS ? stats_keys(&st, out)
					 : stats_table(&st, out);
}

static void put_csv_field(struct mn_strbuf *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		mn_strbuf_puts(out, s);
		return;
	}
	mn_strbuf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			mn_strbuf_putc(out, '"');
		mn_strbuf_putc(out, *s);
	}
	mn_strbuf_putc(out, '"');
}

static void put_csv_row(struct mn_strbuf *out, const struct mn_event *ev)
{
	char label[32];

	mn_event_type_label(ev, label, sizeof(label));
	mn_strbuf_printf(out, "%llu,%llu,%s,%s,%d,",
			 (unsigned long long)ev->seq,
			 (unsigned long long)ev->time_ns, label,
			 mn_event_source_name(ev->source), (int)ev->pid);
	put_csv_field(out, ev->text);
	mn_strbuf_putc(out, '\n');
}

#define CSV_CHUNK 256

/*
 * The events published before the export began, as of the moment each
 * chunk is copied: events overwritten meanwhile are skipped, but every row
 * is one whole event, in order, and a busy bus cannot make it run forever.
 */
int mn_evbus_export_csv(struct mn_evbus *bus, const struct mn_evfilter *filter,
			struct mn_strbuf *out)
{
	struct mn_event *chunk;
	uint64_t seq = 0, end;
	size_t i, n;

	if (!(chunk = malloc(CSV_CHUNK * sizeof(*chunk))))
		return -ENOMEM;
	end = mn_evbus_last_seq(bus);
	mn_strbuf_puts(out, "seq,time_ns,type,source,pid,text\n");
	do {
		n = mn_evbus_copy_from(bus, filter, &seq, chunk, CSV_CHUNK);
		for (i = 0; i < n && chunk[i].seq <= end; i++)
			put_csv_row(out, &chunk[i]);
	} while (n > 0 && seq <= end && !mn_strbuf_error(out));
	free(chunk);
	return mn_strbuf_error(out);
}
