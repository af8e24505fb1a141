/*
 * test_config - the configuration service: the core keys, every type's
 * parser with its good and bad values (nothing changes on a bad one), keys
 * registered by later layers, watchers and events, the formatters, and the
 * file: round trip, malformed lines reported by number, unknown keys kept,
 * autosave, and a failed atomic write that leaves the old file intact.
 *
 * Tests run as root in CI, where a read-only directory does not stop a
 * write; the failed-write tests use RLIMIT_FSIZE instead, which binds root.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/config.h>
#include <micronos/evbus.h>

struct fixture {
	struct mn_evbus *bus;
	struct mn_config *cfg;
	struct mn_strbuf err;
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mn_evbus_create(&f->bus, 1000, NULL), 0);
	assert_int_equal(mn_config_create(&f->cfg, f->bus), 0);
	mn_strbuf_init(&f->err);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mn_test_config_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/config", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	char p[512];
	DIR *d = opendir(f->dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] ||
					     strcmp(de->d_name, "..") == 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	mn_config_destroy(f->cfg);
	mn_evbus_destroy(f->bus);
	mn_strbuf_release(&f->err);
	free(f);
	return 0;
}

static const char *get(struct mn_config *cfg, const char *key)
{
	static char buf[MN_CONFIG_VALUE_MAX];

	assert_true(mn_config_get(cfg, key, buf, sizeof(buf)) >= 0);
	return buf;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int count_files(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_core_defaults(void **state)
{
	struct fixture *f = *state;
	char small[4];
	int64_t v;
	int b;

	assert_string_equal(get(f->cfg, "kernel.hostname"), "micronos");
	assert_string_equal(get(f->cfg, "log.level"), "info");
	assert_string_equal(get(f->cfg, "memory.size"), "64M");
	assert_int_equal(mn_config_get_int(f->cfg, "events.history", &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(mn_config_get_int(f->cfg, "memory.size", &v), 0);
	assert_int_equal(v, 64 << 20);
	assert_int_equal(mn_config_get_int(f->cfg, "log.level", &v), 0);
	assert_int_equal(v, 1);	/* index of "info" */
	assert_int_equal(mn_config_get_bool(f->cfg, "kernel.deterministic",
					    &b),
			 0);
	assert_int_equal(b, 0);
	assert_int_equal(mn_config_int_or(f->cfg, "sched.workers", 9), 2);
	assert_int_equal(mn_config_int_or(f->cfg, "no.such", 9), 9);
	assert_int_equal(mn_config_int_or(f->cfg, "kernel.hostname", 9), 9);
	/* typed reads refuse the wrong type; unknown keys are -ENOENT */
	assert_int_equal(mn_config_get_int(f->cfg, "kernel.hostname", &v),
			 -EINVAL);
	assert_int_equal(mn_config_get_bool(f->cfg, "sched.workers", &b),
			 -EINVAL);
	assert_int_equal(mn_config_get(f->cfg, "nope", small, sizeof(small)),
			 -ENOENT);
	assert_int_equal(mn_config_get(f->cfg, NULL, small, sizeof(small)),
			 -ENOENT);
	/* truncation reported as snprintf does */
	assert_int_equal(mn_config_get_str(f->cfg, "kernel.hostname", small,
					   sizeof(small)),
			 8);
	assert_string_equal(small, "mic");
	assert_int_equal(mn_config_list(f->cfg, NULL, NULL, 0), 13);
}

static void test_set_canonical(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *key, *in, *out;
	} rows[] = {
		{"sched.workers", " +4\n", "4"},
		{"kernel.deterministic", "YES", "true"},
		{"kernel.deterministic", "off", "false"},
		{"log.level", "WARNING", "warning"},
		{"memory.size", "16m", "16M"},
		{"memory.size", "1536K", "1536K"},
		{"memory.size", "1048576", "1M"},
		{"memory.size", "2GiB", "2G"},
		{"memory.size", "3072kb", "3M"},
		{"kernel.hostname", "  host-1.lan \n", "host-1.lan"},
		{"random.seed", "9223372036854775807", "9223372036854775807"},
	};
	size_t i;
	int64_t v;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = mn_config_set(f->cfg, rows[i].key, rows[i].in, 5,
				       &f->err);

		assert_true(rc == 0 || rc == 1);
		assert_string_equal(get(f->cfg, rows[i].key), rows[i].out);
	}
	assert_int_equal(mn_strbuf_str(&f->err)[0], '\0');
	assert_int_equal(mn_config_get_int(f->cfg, "memory.size", &v), 0);
	assert_int_equal(v, 3 << 20);
	/* setting the same value again is not a change */
	assert_int_equal(mn_config_set(f->cfg, "memory.size", "3M", 5, NULL),
			 0);
	assert_int_equal(mn_config_set(f->cfg, "memory.size", "4M", 5, NULL),
			 1);
	assert_int_equal(mn_config_reset(f->cfg, "memory.size", 5, NULL), 1);
	assert_string_equal(get(f->cfg, "memory.size"), "64M");
	assert_int_equal(mn_config_reset(f->cfg, "memory.size", 5, NULL), 0);
	assert_int_equal(mn_config_reset(f->cfg, "x.y", 5, &f->err), -ENOENT);
}

static void test_bad_values_change_nothing(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *key, *in, *msg;
	} rows[] = {
		{"sched.workers", "abc", "not a whole number"},
		{"sched.workers", "12x", "not a whole number"},
		{"sched.workers", "", "not a whole number"},
		{"sched.workers", "40", "40 is out of range int 1..16"},
		{"sched.workers", "0", "out of range"},
		{"random.seed", "99999999999999999999", "out of range"},
		{"random.seed", "-1", "out of range"},
		{"kernel.deterministic", "maybe", "not a boolean"},
		{"log.level", "loud", "not one of debug, info, notice"},
		{"memory.size", "12Q", "not a size"},
		{"memory.size", "-5M", "not a size"},
		{"memory.size", "K", "not a size"},
		{"memory.size", "1T", "out of range size 1M..64G"},
		{"memory.size", "99999999999999999999T", "out of range"},
		{"memory.size", "0", "out of range"},
		{"kernel.hostname", "a\tb", "control characters"},
		{"kernel.hostname", "-bad", "not a host name"},
		{"kernel.hostname", "", "empty"},
		{"kernel.hostname",
		 "a123456789b123456789c123456789d123456789e123456789f12345678"
		 "9g1234",
		 "at most 64"},
	};
	struct mn_config_info before[16], after[16];
	struct mn_evfilter filter = {.class_mask = 1u << MN_EVC_CUSTOM};
	struct mn_event ev;
	char big[400];
	size_t i;

	assert_int_equal(mn_config_list(f->cfg, NULL, before, 16), 13);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mn_strbuf_reset(&f->err);
		assert_int_equal(mn_config_set(f->cfg, rows[i].key, rows[i].in,
					       0, &f->err),
				 -EINVAL);
		if (!strstr(mn_strbuf_str(&f->err), rows[i].msg) ||
		    !strstr(mn_strbuf_str(&f->err), rows[i].key))
			fail_msg("%s=%s: message '%s'", rows[i].key,
				 rows[i].in, mn_strbuf_str(&f->err));
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_set(f->cfg, "kernel.hostname", big, 0,
				       &f->err),
			 -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&f->err), "too long"));
	assert_int_equal(mn_config_set(f->cfg, "kernel.hostname", NULL, 0,
				       NULL),
			 -EINVAL);
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_set(f->cfg, "no.such.key", "1", 0, &f->err),
			 -ENOENT);
	assert_string_equal(mn_strbuf_str(&f->err),
			    "unknown config key 'no.such.key'");
	assert_int_equal(mn_config_list(f->cfg, NULL, after, 16), 13);
	assert_memory_equal(before, after, sizeof(before[0]) * 13);
	assert_int_equal(mn_evbus_snapshot(f->bus, &filter, &ev, 1), 0);
	/* check() says the same without changing anything */
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_check(f->cfg, "sched.workers", "99", NULL,
					 0, &f->err),
			 -EINVAL);
	assert_int_equal(mn_config_check(f->cfg, "none", "1", NULL, 0, NULL),
			 -ENOENT);
	assert_int_equal(mn_config_check(f->cfg, "log.level", "Error", big,
					 sizeof(big), NULL),
			 0);
	assert_string_equal(big, "error");
}

static int only_even(const char *value, struct mn_strbuf *why)
{
	if (atoi(value) % 2 == 0)
		return 0;
	mn_strbuf_puts(why, "must be even");
	return -EINVAL;
}

static void test_register(void **state)
{
	struct fixture *f = *state;
	static const char *const modes[] = {"fast", "safe", NULL};
	struct mn_config_key k = {.name = "net.port", .type = MN_CONFIG_INT,
				  .def = "8080", .desc = "listening port",
				  .min = 1, .max = 65535,
				  .validate = only_even};
	int64_t v;

	assert_int_equal(mn_config_register(f->cfg, &k, &f->err), 0);
	assert_int_equal(mn_config_register(f->cfg, &k, &f->err), -EEXIST);
	assert_non_null(strstr(mn_strbuf_str(&f->err), "already"));
	assert_string_equal(get(f->cfg, "net.port"), "8080");
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_set(f->cfg, "net.port", "81", 0, &f->err),
			 -EINVAL);
	assert_string_equal(mn_strbuf_str(&f->err),
			    "net.port: '81' must be even");
	assert_int_equal(mn_config_set(f->cfg, "net.port", "82", 0, NULL), 1);

	/* an unbounded int, an enum, a read-only string */
	k = (struct mn_config_key){.name = "net.offset",
				   .type = MN_CONFIG_INT, .def = "-5"};
	assert_int_equal(mn_config_register(f->cfg, &k, NULL), 0);
	assert_int_equal(mn_config_set(f->cfg, "net.offset",
				       "-9223372036854775808", 0, NULL),
			 1);
	assert_int_equal(mn_config_get_int(f->cfg, "net.offset", &v), 0);
	assert_true(v == INT64_MIN);
	k = (struct mn_config_key){.name = "net.mode", .type = MN_CONFIG_ENUM,
				   .def = "safe", .names = modes};
	assert_int_equal(mn_config_register(f->cfg, &k, NULL), 0);
	assert_int_equal(mn_config_get_int(f->cfg, "net.mode", &v), 0);
	assert_int_equal(v, 1);
	k = (struct mn_config_key){.name = "net.id", .type = MN_CONFIG_STRING,
				   .def = "abc",
				   .flags = MN_CONFIG_F_READONLY};
	assert_int_equal(mn_config_register(f->cfg, &k, NULL), 0);
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_set(f->cfg, "net.id", "x", 0, &f->err),
			 -EPERM);
	assert_string_equal(mn_strbuf_str(&f->err), "net.id is read-only");
	assert_int_equal(mn_config_reset(f->cfg, "net.id", 0, NULL), -EPERM);
	assert_int_equal(mn_config_list(f->cfg, "net.", NULL, 0), 4);
}

static void test_register_bad_definitions(void **state)
{
	struct fixture *f = *state;
	static const char *const dup[] = {"a", "A", NULL};
	static const char *const none[] = {NULL};
	struct mn_config_key bad;

	bad = (struct mn_config_key){.name = "Bad", .type = MN_CONFIG_INT,
				     .def = "1"};
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad.name = "x.";
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad.name = NULL;
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad.name = "x.minmax";
	bad.min = 5;
	bad.max = 1;
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_register(f->cfg, &bad, &f->err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&f->err), "min is above max"));
	bad.min = 10;
	bad.max = 20;	/* default 1 outside the range */
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_register(f->cfg, &bad, &f->err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&f->err), "out of range"));
	bad = (struct mn_config_key){.name = "x.e", .type = MN_CONFIG_ENUM,
				     .def = "a"};
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad.names = none;
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad.names = dup;
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad = (struct mn_config_key){.name = "x.s", .type = MN_CONFIG_STRING,
				     .def = "", .max_len = 5000};
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad = (struct mn_config_key){.name = "x.t", .type = MN_CONFIG__TYPES,
				     .def = "1"};
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad = (struct mn_config_key){.name = "x.d", .type = MN_CONFIG_BOOL};
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	bad = (struct mn_config_key){.name = "x.z", .type = MN_CONFIG_SIZE,
				     .def = "1", .min = -1, .max = 5};
	assert_int_equal(mn_config_register(f->cfg, &bad, NULL), -EINVAL);
	assert_int_equal(mn_config_list(f->cfg, "x.", NULL, 0), 0);
}

struct seen {
	struct mn_config *cfg;
	int calls;
	char key[MN_CONFIG_NAME_MAX];
	char value[MN_CONFIG_VALUE_MAX];
	char read_back[MN_CONFIG_VALUE_MAX];
	int nested_rc;
};

static void watcher(void *arg, const char *key, const char *value)
{
	struct seen *s = arg;

	s->calls++;
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->value, sizeof(s->value), "%s", value);
	/* no config lock is held: reading and setting are allowed */
	mn_config_get(s->cfg, key, s->read_back, sizeof(s->read_back));
	if (strcmp(key, "log.level") == 0)
		s->nested_rc = mn_config_set(s->cfg, "events.history", "77",
					     0, NULL);
}

static void test_watchers_and_events(void **state)
{
	struct fixture *f = *state;
	struct seen all = {.cfg = f->cfg}, ev_only = {.cfg = f->cfg};
	struct mn_evfilter filter = {.class_mask = 1u << MN_EVC_CUSTOM};
	struct mn_event ev[4];
	int w1, w2;

	w1 = mn_config_watch(f->cfg, NULL, watcher, &all);
	w2 = mn_config_watch(f->cfg, "events.", watcher, &ev_only);
	assert_true(w1 > 0 && w2 > 0 && w1 != w2);
	assert_int_equal(mn_config_watch(f->cfg, "", NULL, NULL), -EINVAL);

	assert_int_equal(mn_config_set(f->cfg, "log.level", "debug", 42, NULL),
			 1);
	/* the watcher's nested set ran, and was seen by both watchers */
	assert_int_equal(all.nested_rc, 1);
	assert_int_equal(all.calls, 2);
	assert_int_equal(ev_only.calls, 1);
	assert_string_equal(ev_only.key, "events.history");
	assert_string_equal(ev_only.value, "77");
	assert_string_equal(ev_only.read_back, "77");

	assert_int_equal(mn_evbus_snapshot(f->bus, &filter, ev, 4), 2);
	assert_int_equal(ev[0].custom_id, MN_CUSTOM_CONFIG);
	assert_int_equal(ev[0].source, MN_SRC_KERNEL);
	assert_int_equal(ev[0].pid, 42);
	assert_string_equal(ev[0].text, "log.level=debug");
	assert_string_equal(ev[1].text, "events.history=77");

	/* no change, no call; a failed set, no call */
	assert_int_equal(mn_config_set(f->cfg, "log.level", "debug", 0, NULL),
			 0);
	assert_int_equal(mn_config_set(f->cfg, "log.level", "x", 0, NULL),
			 -EINVAL);
	assert_int_equal(all.calls, 2);
	assert_int_equal(mn_config_unwatch(f->cfg, w1), 0);
	assert_int_equal(mn_config_unwatch(f->cfg, w1), -ENOENT);
	assert_int_equal(mn_config_set(f->cfg, "events.history", "5", 0, NULL),
			 1);
	assert_int_equal(all.calls, 2);
	assert_int_equal(ev_only.calls, 2);
}

static void test_formatters(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf out = MN_STRBUF_INIT;
	struct mn_config_info info, two[2];
	const char *s;

	assert_int_equal(mn_config_set(f->cfg, "events.history", "5000", 0,
				       NULL),
			 1);
	assert_int_equal(mn_config_format_table(f->cfg, NULL, &out), 0);
	s = mn_strbuf_str(&out);
	assert_non_null(strstr(s, "KEY                   VALUE     DEFAULT   "
				  "TYPE\n"));
	assert_non_null(strstr(s, "\nevents.history        5000      1000      "
				  "int 1..1000000\n"));
	assert_non_null(strstr(s, "log.level             info      info      "
				  "enum debug|info|notice|warning|error\n"));
	assert_non_null(strstr(s, "size 1M..64G (restart)\n"));
	assert_non_null(strstr(s, "string <= 64\n"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_config_format_table(f->cfg, "ipc.", &out), 0);
	assert_null(strstr(mn_strbuf_str(&out), "log.level"));
	assert_non_null(strstr(mn_strbuf_str(&out), "ipc.max_channels"));
	mn_strbuf_reset(&out);
	assert_int_equal(mn_config_format_key(f->cfg, "sched.workers", &out),
			 0);
	assert_string_equal(mn_strbuf_str(&out),
			    "key: sched.workers\nvalue: 2\ndefault: 2\n"
			    "type: int 1..16\n"
			    "description: threads running kernel tasks\n"
			    "flags: restart\n");
	mn_strbuf_reset(&out);
	assert_int_equal(mn_config_format_key(f->cfg, "log.level", &out), 0);
	assert_non_null(strstr(mn_strbuf_str(&out), "flags: -\n"));
	assert_int_equal(mn_config_format_key(f->cfg, "zz", &out), -ENOENT);
	mn_strbuf_reset(&out);
	assert_int_equal(mn_config_format_type(f->cfg, "kernel.deterministic",
					       &out),
			 0);
	assert_string_equal(mn_strbuf_str(&out), "bool");
	assert_int_equal(mn_config_format_type(f->cfg, "zz", &out), -ENOENT);
	assert_int_equal(mn_config_info(f->cfg, "events.history", &info), 0);
	assert_int_equal(info.type, MN_CONFIG_INT);
	assert_string_equal(info.value, "5000");
	assert_string_equal(info.def, "1000");
	assert_false(info.is_default);
	assert_int_equal(mn_config_info(f->cfg, "zz", &info), -ENOENT);
	/* list: sorted, truncated copy, full count */
	assert_int_equal(mn_config_list(f->cfg, NULL, two, 2), 13);
	assert_string_equal(two[0].name, "events.history");
	assert_string_equal(two[1].name, "fault.seed");
	assert_string_equal(mn_config_type_name(MN_CONFIG_SIZE), "size");
	assert_string_equal(mn_config_type_name(MN_CONFIG__TYPES), "?");
	mn_strbuf_release(&out);
}

static void test_save_load_round_trip(void **state)
{
	struct fixture *f = *state;
	struct mn_config *other;
	const char *text;

	assert_int_equal(mn_config_set(f->cfg, "kernel.hostname", "box", 0,
				       NULL),
			 1);
	assert_int_equal(mn_config_set(f->cfg, "memory.size", "128M", 0, NULL),
			 1);
	assert_int_equal(mn_config_save(f->cfg, f->path, &f->err), 0);
	text = slurp(f->path);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nkernel.hostname = box\n"));
	assert_non_null(strstr(text, "\n# events.history = 1000\n"));
	assert_non_null(strstr(text, "# events kept in the history ring "
				     "(int 1..1000000)\n"));
	assert_int_equal(count_files(f->dir), 1);	/* no temp left */

	assert_int_equal(mn_config_create(&other, NULL), 0);
	assert_int_equal(mn_config_load(other, f->path, &f->err, NULL), 2);
	assert_string_equal(get(other, "kernel.hostname"), "box");
	assert_string_equal(get(other, "memory.size"), "128M");
	assert_string_equal(get(other, "events.history"), "1000");
	/* loading the same again changes nothing */
	assert_int_equal(mn_config_load(other, f->path, NULL, NULL), 0);
	mn_config_destroy(other);

	/* no file: -ENOENT, and no message (a first boot is normal) */
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_load(f->cfg, "/nonexistent/mn/config",
					&f->err, NULL),
			 -ENOENT);
	assert_int_equal(f->err.len, 0);
	assert_int_equal(mn_config_load(f->cfg, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(mn_config_save(f->cfg, NULL, NULL), -EINVAL);
}

/* Loads text; returns the result, with err/warn filled. */
static int load_text(struct fixture *f, const char *text,
		     struct mn_strbuf *warn)
{
	write_file(f->path, text, strlen(text));
	mn_strbuf_reset(&f->err);
	return mn_config_load(f->cfg, f->path, &f->err, warn);
}

static void expect_err(struct fixture *f, int line, const char *msg)
{
	char want[256];

	snprintf(want, sizeof(want), "%s:%d: %s", f->path, line, msg);
	if (!strstr(mn_strbuf_str(&f->err), want))
		fail_msg("wanted '%s', got '%s'", want,
			 mn_strbuf_str(&f->err));
}

static void test_malformed_files(void **state)
{
	struct fixture *f = *state;
	char big[2048];

	assert_int_equal(load_text(f, "events.history = 10\n"
				      "# fine\n\nbogus line\n",
				   NULL),
			 -EINVAL);
	expect_err(f, 4, "expected \"key = value\"");
	assert_int_equal(load_text(f, "events.history = 10\n"
				      "sched.workers=3\n"
				      "sched.workers = 99\n",
				   NULL),
			 -EINVAL);
	expect_err(f, 3, "sched.workers: 99 is out of range");
	assert_int_equal(load_text(f, "Bad Key = 1\n", NULL), -EINVAL);
	expect_err(f, 1, "not a key name");
	assert_int_equal(load_text(f, " = 1\n", NULL), -EINVAL);
	expect_err(f, 1, "not a key name");
	write_file(f->path, "a.b = 1\nc.d = x\0y\n", 18);
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_load(f->cfg, f->path, &f->err, NULL),
			 -EINVAL);
	expect_err(f, 2, "file holds a NUL byte");
	memset(big, 'v', sizeof(big));
	memcpy(big, "a.b = ", 6);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(load_text(f, big, NULL), -EINVAL);
	expect_err(f, 1, "line is longer than 1023 bytes");
	assert_int_equal(load_text(f, "log.level = info\nnew.key = a\tb\n",
				   NULL),
			 -EINVAL);
	expect_err(f, 2, "new.key: value is too long or holds control "
		   "characters");
	/* nothing changed by any of them */
	assert_string_equal(get(f->cfg, "events.history"), "1000");
	assert_string_equal(get(f->cfg, "sched.workers"), "2");
	assert_int_equal(mn_config_list(f->cfg, NULL, NULL, 0), 13);
	/* a file over 1 MiB */
	assert_int_equal(truncate(f->path, 2 * 1024 * 1024), 0);
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_load(f->cfg, f->path, &f->err, NULL),
			 -EFBIG);
	assert_non_null(strstr(mn_strbuf_str(&f->err), "larger than 1 MiB"));
}

static void test_unknown_keys_kept(void **state)
{
	struct fixture *f = *state;
	struct mn_strbuf warn = MN_STRBUF_INIT;
	struct mn_config_key k = {.name = "net.mtu", .type = MN_CONFIG_INT,
				  .def = "1500", .min = 68, .max = 9000};
	struct mn_config_key k2 = {.name = "net.ttl", .type = MN_CONFIG_INT,
				   .def = "64", .min = 1, .max = 255};
	const char *text;

	assert_int_equal(load_text(f, "net.mtu = 9000\n"
				      "log.level = error\n"
				      "log.level = debug\n"
				      "net.ttl = 999\n",
				   &warn),
			 1);
	assert_string_equal(get(f->cfg, "log.level"), "debug");
	assert_non_null(strstr(mn_strbuf_str(&warn), ":1: warning: unknown "
						     "key net.mtu"));
	assert_non_null(strstr(mn_strbuf_str(&warn), ":2: warning: log.level "
						     "is set again"));
	/* saved files keep what nobody registered */
	assert_int_equal(mn_config_save(f->cfg, f->path, NULL), 0);
	text = slurp(f->path);
	assert_non_null(strstr(text, "\nnet.mtu = 9000\n"));
	assert_non_null(strstr(text, "\nnet.ttl = 999\n"));
	/* registering applies the kept value; a bad one falls back */
	assert_int_equal(mn_config_register(f->cfg, &k, &f->err), 0);
	assert_string_equal(get(f->cfg, "net.mtu"), "9000");
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_register(f->cfg, &k2, &f->err), 0);
	assert_string_equal(get(f->cfg, "net.ttl"), "64");
	assert_non_null(strstr(mn_strbuf_str(&f->err), "warning"));
	assert_non_null(strstr(mn_strbuf_str(&f->err), "999 is out of range"));
	/* and the kept copies are gone from the next save */
	assert_int_equal(mn_config_save(f->cfg, f->path, NULL), 0);
	text = slurp(f->path);
	assert_null(strstr(text, "Kept for keys"));
	assert_non_null(strstr(text, "\nnet.mtu = 9000\n"));
	assert_non_null(strstr(text, "\n# net.ttl = 64\n"));
	mn_strbuf_release(&warn);
}

static void test_autosave(void **state)
{
	struct fixture *f = *state;
	struct mn_config *other;

	assert_int_equal(mn_config_set_path(f->cfg, f->path), 0);
	assert_int_equal(mn_config_set(f->cfg, "ipc.capacity", "8", 0, NULL),
			 1);
	assert_int_equal(mn_config_create(&other, NULL), 0);
	assert_int_equal(mn_config_load(other, f->path, NULL, NULL), 1);
	assert_string_equal(get(other, "ipc.capacity"), "8");
	mn_config_destroy(other);
	assert_int_equal(mn_config_reset(f->cfg, "ipc.capacity", 0, NULL), 1);
	assert_non_null(strstr(slurp(f->path), "# ipc.capacity = 64\n"));
	assert_int_equal(mn_config_set_path(f->cfg, NULL), 0);
	assert_int_equal(mn_config_set(f->cfg, "ipc.capacity", "9", 0, NULL),
			 1);
	assert_non_null(strstr(slurp(f->path), "# ipc.capacity = 64\n"));
}

static void test_failed_save_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct mn_evfilter filter = {.class_mask = 1u << MN_EVC_CUSTOM};
	struct seen seen = {.cfg = f->cfg};
	struct mn_event ev[4];
	struct rlimit old, small = {200, 0};
	char before[65536];
	int rc;

	/* a directory that does not exist */
	assert_int_equal(mn_config_set_path(f->cfg, "/nonexistent/dir/config"),
			 0);
	assert_true(mn_config_watch(f->cfg, "", watcher, &seen) > 0);
	mn_strbuf_reset(&f->err);
	assert_int_equal(mn_config_set(f->cfg, "sched.workers", "3", 0,
				       &f->err),
			 -ENOENT);
	assert_non_null(strstr(mn_strbuf_str(&f->err), "cannot save config "
			       "to /nonexistent/dir/config"));
	assert_non_null(strstr(mn_strbuf_str(&f->err),
			       "sched.workers keeps its value 2"));
	assert_string_equal(get(f->cfg, "sched.workers"), "2");

	/* a write that fails half-way: the old file stays as it was */
	assert_int_equal(mn_config_set_path(f->cfg, f->path), 0);
	assert_int_equal(mn_config_set(f->cfg, "sched.workers", "3", 0, NULL),
			 1);
	snprintf(before, sizeof(before), "%s", slurp(f->path));
	assert_true(strlen(before) > 200);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	mn_strbuf_reset(&f->err);
	rc = mn_config_set(f->cfg, "sched.workers", "4", 0, &f->err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -EFBIG);
	assert_non_null(strstr(mn_strbuf_str(&f->err), "(write)"));
	assert_string_equal(get(f->cfg, "sched.workers"), "3");
	assert_string_equal(slurp(f->path), before);
	assert_int_equal(count_files(f->dir), 1);	/* temp file removed */
	/* explicit save fails the same way, old file intact */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	signal(SIGXFSZ, SIG_IGN);
	rc = mn_config_save(f->cfg, f->path, NULL);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -EFBIG);
	assert_string_equal(slurp(f->path), before);

	/* only the one successful change was announced */
	assert_int_equal(seen.calls, 1);
	assert_int_equal(mn_evbus_snapshot(f->bus, &filter, ev, 4), 1);
	assert_string_equal(ev[0].text, "sched.workers=3");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_core_defaults),
		T(test_set_canonical),
		T(test_bad_values_change_nothing),
		T(test_register),
		T(test_register_bad_definitions),
		T(test_watchers_and_events),
		T(test_formatters),
		T(test_save_load_round_trip),
		T(test_malformed_files),
		T(test_unknown_keys_kept),
		T(test_autosave),
		T(test_failed_save_rolls_back),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
