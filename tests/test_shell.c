/*
 * test_shell - the shell: the line parser (quotes, escapes, caps), size
 * parsing, the command table and dispatch (usage errors, unknown commands,
 * sub-commands), hooks, completion, and every command group run against a
 * real kernel booted in memory, failure paths as much as success paths.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/kernel.h>
#include <micronos/net.h>
#include <micronos/shell.h>
#include <micronos/vfs.h>

/* --- parser -------------------------------------------------------------- */

static int parse(const char *line, struct mn_shell_args *a,
		 struct mn_strbuf *err)
{
	mn_strbuf_reset(err);
	return mn_shell_parse(line, a, err);
}

static void test_parse_words(void **state)
{
	struct mn_shell_args a;
	struct mn_strbuf err = MN_STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("", &a, &err), 0);
	assert_null(a.argv[0]);
	assert_int_equal(parse("   \t ", &a, &err), 0);
	assert_int_equal(parse("  echo   a\tb  ", &a, &err), 3);
	assert_string_equal(a.argv[0], "echo");
	assert_string_equal(a.argv[1], "a");
	assert_string_equal(a.argv[2], "b");
	assert_null(a.argv[3]);
	assert_int_equal(parse("# a comment", &a, &err), 0);
	assert_int_equal(parse("echo x #rest is comment", &a, &err), 2);
	/* '#' inside a word is not a comment */
	assert_int_equal(parse("echo a#b", &a, &err), 2);
	assert_string_equal(a.argv[1], "a#b");
	assert_int_equal(parse("ls\n", &a, &err), 1);
	mn_strbuf_release(&err);
}

static void test_parse_quotes(void **state)
{
	struct mn_shell_args a;
	struct mn_strbuf err = MN_STRBUF_INIT;

	(void)state;
	assert_int_equal(parse("echo 'a b' \"c d\"", &a, &err), 3);
	assert_string_equal(a.argv[1], "a b");
	assert_string_equal(a.argv[2], "c d");
	/* single quotes are literal, backslash included */
	assert_int_equal(parse("echo 'a\\nb'", &a, &err), 2);
	assert_string_equal(a.argv[1], "a\\nb");
	/* in double quotes: \" \\ \$ \` are escapes, others kept */
	assert_int_equal(parse("echo \"q\\\"x\\\\y\\$z\\n\"", &a, &err), 2);
	assert_string_equal(a.argv[1], "q\"x\\y$z\\n");
	/* outside quotes a backslash escapes anything */
	assert_int_equal(parse("echo a\\ b \\'c", &a, &err), 3);
	assert_string_equal(a.argv[1], "a b");
	assert_string_equal(a.argv[2], "'c");
	/* adjacent pieces join into one word; an empty word counts */
	assert_int_equal(parse("echo x'y'\"z\" ''", &a, &err), 3);
	assert_string_equal(a.argv[1], "xyz");
	assert_string_equal(a.argv[2], "");
	mn_strbuf_release(&err);
}

static void test_parse_errors(void **state)
{
	struct mn_shell_args a;
	struct mn_strbuf err = MN_STRBUF_INIT;
	char *line;

	(void)state;
	assert_int_equal(parse("echo 'abc", &a, &err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "unterminated single"));
	assert_int_equal(a.argc, 0);
	assert_int_equal(parse("echo \"abc", &a, &err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "unterminated double"));
	assert_int_equal(parse("echo abc\\", &a, &err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "backslash"));
	assert_int_equal(parse("echo a\001b", &a, &err), -EINVAL);
	assert_non_null(strstr(mn_strbuf_str(&err), "control"));
	/* NULL err is allowed */
	assert_int_equal(mn_shell_parse("'", &a, NULL), -EINVAL);

	/* length cap: 4096 bytes pass, 4097 do not */
	line = malloc(MN_SHELL_LINE_MAX + 2);
	assert_non_null(line);
	memset(line, 'x', MN_SHELL_LINE_MAX);
	line[MN_SHELL_LINE_MAX] = '\0';
	assert_int_equal(parse(line, &a, &err), 1);
	assert_int_equal(strlen(a.argv[0]), MN_SHELL_LINE_MAX);
	line[MN_SHELL_LINE_MAX] = 'x';
	line[MN_SHELL_LINE_MAX + 1] = '\0';
	assert_int_equal(parse(line, &a, &err), -E2BIG);
	assert_non_null(strstr(mn_strbuf_str(&err), "longer"));

	/* word cap: 64 words pass, 65 do not */
	line[0] = '\0';
	for (int i = 0; i < MN_SHELL_ARGC_MAX; i++)
		strcat(line, "w ");
	assert_int_equal(parse(line, &a, &err), MN_SHELL_ARGC_MAX);
	assert_null(a.argv[MN_SHELL_ARGC_MAX]);
	strcat(line, "w");
	assert_int_equal(parse(line, &a, &err), -E2BIG);
	assert_non_null(strstr(mn_strbuf_str(&err), "64 words"));
	free(line);
	mn_strbuf_release(&err);
}

static void test_parse_size(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(mn_shell_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mn_shell_parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mn_shell_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mn_shell_parse_size("1M", &v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(mn_shell_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(mn_shell_parse_size("3kb", &v), 0);
	assert_int_equal(v, 3072);
	assert_int_equal(mn_shell_parse_size("", &v), -EINVAL);
	assert_int_equal(mn_shell_parse_size("K", &v), -EINVAL);
	assert_int_equal(mn_shell_parse_size("-1", &v), -EINVAL);
	assert_int_equal(mn_shell_parse_size("4X", &v), -EINVAL);
	assert_int_equal(mn_shell_parse_size("4Kx", &v), -EINVAL);
	assert_int_equal(mn_shell_parse_size("99999999999999999999", &v),
			 -ERANGE);
	assert_int_equal(mn_shell_parse_size("17179869184G", &v), -ERANGE);
}

/* --- the table ----------------------------------------------------------- */

static void test_table(void **state)
{
	static const char *const spec[] = {
		"help", "info", "status", "version", "kernel", "uptime", "top",
		"benchmark", "ps", "spawn", "suspend", "resume", "kill", "ls",
		"mkdir", "create", "cat", "rm", "network", "scan", "discover",
		"antenna", "ping", "sockets", "log", "events", "ipc",
		"channel", "config", "stats", "timers", "timer", "memory",
		"signals", "drivers", "syscall", "posix", "echo", "exit",
		"quit"};
	size_t n;
	const struct mn_shell_cmd *t = mn_shell_commands(&n);
	char *argv[4] = {"events", "list", NULL, NULL};

	(void)state;
	/* Every command MicronOS promises (the list above) has a row with a
	 * usage. */
	for (size_t i = 0; i < sizeof(spec) / sizeof(*spec); i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (!strcmp(t[j].name, spec[i]))
				break;
		assert_true(j < n);
	}
	for (size_t j = 0; j < n; j++) {
		assert_non_null(t[j].usage);
		assert_non_null(t[j].help);
		assert_non_null(t[j].fn);
		assert_non_null(t[j].complete);
		assert_int_equal(
		    strncmp(t[j].usage, t[j].name, strlen(t[j].name)), 0);
	}
	assert_string_equal(mn_shell_lookup(2, argv)->sub, "list");
	argv[1] = "bogus";
	assert_null(mn_shell_lookup(2, argv)->sub);
	argv[0] = "nosuch";
	assert_null(mn_shell_lookup(1, argv));
	assert_null(mn_shell_lookup(0, argv));
}

/* --- against a kernel ---------------------------------------------------- */

struct fx {
	struct mn_kernel *k;
	struct mn_strbuf out;
	struct mn_strbuf err;
	unsigned flags;
};

static int setup(void **state)
{
	struct mn_kernel_opts o = {.name = "shelltest", .deterministic = 1};
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(mn_kernel_create(&fx->k, &o), 0);
	assert_int_equal(mn_kernel_boot(fx->k, NULL), 0);
	*state = fx;
	return 0;
}

/* The same kernel with the VFS attached (storage in memory). */
static int setup_vfs(void **state)
{
	struct mn_kernel_opts o = {.name = "shellvfs", .deterministic = 1};
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(mn_kernel_create(&fx->k, &o), 0);
	assert_int_equal(mn_vfs_attach(fx->k), 0);
	assert_int_equal(mn_kernel_boot(fx->k, NULL), 0);
	*state = fx;
	return 0;
}

/* With the network layer attached. */
static int setup_net(void **state)
{
	struct mn_kernel_opts o = {.name = "shellnet", .deterministic = 1};
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(mn_kernel_create(&fx->k, &o), 0);
	assert_int_equal(mn_net_attach(fx->k), 0);
	assert_int_equal(mn_kernel_boot(fx->k, NULL), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	mn_kernel_destroy(fx->k);
	mn_strbuf_release(&fx->out);
	mn_strbuf_release(&fx->err);
	free(fx);
	return 0;
}

/* Runs a line with separate output and error buffers. */
static int run(struct fx *fx, const char *line)
{
	struct mn_shell_ctx c = {.k = fx->k, .out = &fx->out, .err = &fx->err};
	int ret;

	mn_strbuf_reset(&fx->out);
	mn_strbuf_reset(&fx->err);
	ret = mn_shell_run(&c, line);
	fx->flags = c.flags;
	return ret;
}

static const char *out(struct fx *fx)
{
	return mn_strbuf_str(&fx->out);
}

static const char *err(struct fx *fx)
{
	return mn_strbuf_str(&fx->err);
}

#define assert_has(s, sub)                                                     \
	do {                                                                   \
		if (!strstr((s), (sub)))                                       \
			fail_msg("'%s' not in:\n%s", (sub), (s));              \
	} while (0)

static void test_dispatch_errors(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "frobnicate"), MN_SHELL_USAGE);
	assert_has(err(fx), "frobnicate: unknown command");
	assert_string_equal(out(fx), "");
	assert_int_equal(run(fx, "echo 'oops"), MN_SHELL_USAGE);
	assert_has(err(fx), "unterminated");
	/* a name with rows but no matching form lists every form */
	assert_int_equal(run(fx, "channel"), MN_SHELL_USAGE);
	assert_has(err(fx), "usage: channel create NAME");
	assert_has(err(fx), "channel N recv");
	assert_int_equal(run(fx, "memory alloc"), MN_SHELL_USAGE);
	assert_has(err(fx), "memory alloc: missing argument");
	assert_has(err(fx), "usage: memory alloc SIZE");
	assert_int_equal(run(fx, "version extra"), MN_SHELL_USAGE);
	assert_has(err(fx), "too many arguments");
	assert_int_equal(run(fx, "events bogus"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, ""), MN_SHELL_OK);
	assert_int_equal(run(fx, "   # nothing"), MN_SHELL_OK);
	/* mn_shell_exec puts errors and output in one buffer */
	mn_strbuf_reset(&fx->out);
	assert_int_equal(mn_shell_exec(fx->k, "nope", &fx->out),
			 MN_SHELL_USAGE);
	assert_has(out(fx), "unknown command");
}

static void test_utilities(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "echo a 'b  c' \"d\""), MN_SHELL_OK);
	assert_string_equal(out(fx), "a b  c d\n");
	assert_int_equal(run(fx, "echo"), MN_SHELL_OK);
	assert_string_equal(out(fx), "\n");
	assert_int_equal(run(fx, "exit"), 0);
	assert_true(fx->flags & MN_SHELL_F_EXIT);
	assert_int_equal(run(fx, "exit 3"), 3);
	assert_true(fx->flags & MN_SHELL_F_EXIT);
	assert_int_equal(run(fx, "exit 300"), MN_SHELL_USAGE);
	assert_false(fx->flags & MN_SHELL_F_EXIT);
	assert_int_equal(run(fx, "quit"), 0);
	assert_true(fx->flags & MN_SHELL_F_EXIT);
	assert_int_equal(run(fx, "help"), MN_SHELL_OK);
	assert_has(out(fx), "system info:");
	assert_has(out(fx), "utilities:");
	assert_has(out(fx), "events filter TYPE");
	assert_int_equal(run(fx, "help memory"), MN_SHELL_OK);
	assert_has(out(fx), "memory alloc SIZE");
	assert_has(out(fx), "memory free ADDR SIZE");
	assert_int_equal(run(fx, "help events filter"), MN_SHELL_OK);
	assert_has(out(fx), "events filter TYPE");
	assert_null(strstr(out(fx), "events list"));
	assert_int_equal(run(fx, "help nosuch"), MN_SHELL_FAIL);
	assert_has(err(fx), "no command 'nosuch'");
	assert_int_equal(run(fx, "version"), MN_SHELL_OK);
	assert_has(out(fx), MN_VERSION);
}

static void test_system_info(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "info"), MN_SHELL_OK);
	assert_has(out(fx), "shelltest");
	assert_has(out(fx), "processes:");
	assert_int_equal(run(fx, "kernel"), MN_SHELL_OK);
	for (int s = 0; s < MN_STAGE__COUNT; s++)
		assert_has(out(fx), mn_stage_name(s));
	assert_has(out(fx), "boot took");
	assert_int_equal(run(fx, "uptime"), MN_SHELL_OK);
	assert_has(out(fx), "up ");
	assert_int_equal(run(fx, "status"), MN_SHELL_OK);
	assert_has(out(fx), "overall:");
	assert_int_equal(run(fx, "top -c"), MN_SHELL_OK);
	assert_has(out(fx), "init");
	assert_false(fx->flags & MN_SHELL_F_LIVE);
	assert_int_equal(run(fx, "top"), MN_SHELL_OK);
	assert_true(fx->flags & MN_SHELL_F_LIVE);
	assert_int_equal(run(fx, "top -x"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "benchmark 10"), MN_SHELL_OK);
	assert_has(out(fx), "syscall");
	assert_has(out(fx), "events");
	assert_has(out(fx), "memory");
	assert_has(out(fx), "ipc");
	assert_has(out(fx), "M/s");
	assert_int_equal(run(fx, "benchmark 5"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "benchmark lots"), MN_SHELL_USAGE);
}

static void test_processes(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "ps"), MN_SHELL_OK);
	assert_has(out(fx), "init");
	assert_has(out(fx), "timerd");
	assert_int_equal(run(fx, "spawn /bin/true"), MN_SHELL_FAIL);
	assert_has(err(fx), "needs the sandbox");
	assert_int_equal(run(fx, "spawn"), MN_SHELL_USAGE);
	/* kernel task 2: stop and continue work, killing is refused */
	assert_int_equal(run(fx, "suspend 2"), MN_SHELL_OK);
	assert_has(out(fx), "stopped");
	assert_int_equal(run(fx, "resume 2"), MN_SHELL_OK);
	assert_has(out(fx), "resumed 2 (timerd)");
	assert_int_equal(run(fx, "kill 2"), MN_SHELL_FAIL);
	assert_has(err(fx), "kernel task");
	assert_int_equal(run(fx, "kill 1 KILL"), MN_SHELL_FAIL);
	assert_has(err(fx), "init");
	assert_int_equal(run(fx, "kill 99999"), MN_SHELL_FAIL);
	assert_has(err(fx), "no process 99999");
	assert_int_equal(run(fx, "kill 2 NOSIG"), MN_SHELL_USAGE);
	assert_has(err(fx), "unknown signal");
	assert_int_equal(run(fx, "kill x"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "kill 0"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "kill 2 0"), MN_SHELL_OK);
	assert_int_equal(run(fx, "signals"), MN_SHELL_OK);
	assert_has(out(fx), "SIGTERM");
	assert_int_equal(run(fx, "signals 99999"), MN_SHELL_FAIL);
}

static void test_memory(void **state)
{
	struct fx *fx = *state;
	char line[128];
	unsigned long long addr;

	assert_int_equal(run(fx, "memory alloc 4K"), MN_SHELL_OK);
	assert_int_equal(sscanf(out(fx), "0x%llx", &addr), 1);
	assert_int_equal(run(fx, "memory"), MN_SHELL_OK);
	snprintf(line, sizeof(line), "%llx", addr);
	assert_has(out(fx), line);
	snprintf(line, sizeof(line), "memory free 0x%llx 4096", addr);
	assert_int_equal(run(fx, line), MN_SHELL_OK);
	assert_has(out(fx), "freed");
	assert_int_equal(run(fx, line), MN_SHELL_FAIL); /* double free */
	assert_string_equal(out(fx), "");
	assert_int_equal(run(fx, "memory alloc 1M"), MN_SHELL_OK);
	assert_int_equal(run(fx, "memory alloc 0"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "memory alloc lots"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "memory alloc 1T"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "memory free zz 4K"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "memory free 0x1 4K"), MN_SHELL_FAIL);
}

static void test_services(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "channel create t"), MN_SHELL_OK);
	assert_has(out(fx), "channel 0 created");
	assert_int_equal(run(fx, "channel create t"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "channel create 'bad name'"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "channel 0 recv"), MN_SHELL_FAIL);
	assert_has(err(fx), "empty");
	assert_int_equal(run(fx, "channel 0 send hi there"), MN_SHELL_OK);
	assert_int_equal(run(fx, "channel t send by name"), MN_SHELL_OK);
	assert_int_equal(run(fx, "ipc"), MN_SHELL_OK);
	assert_has(out(fx), "t");
	assert_int_equal(run(fx, "channel 0 recv"), MN_SHELL_OK);
	assert_string_equal(out(fx), "hi there\n");
	assert_int_equal(run(fx, "channel t recv 10"), MN_SHELL_OK);
	assert_string_equal(out(fx), "by name\n");
	assert_int_equal(run(fx, "channel 0 recv 20"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "channel 7 send x"), MN_SHELL_FAIL);
	assert_has(err(fx), "no channel");
	assert_int_equal(run(fx, "channel 0 recv 99999"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "channel 0 frob"), MN_SHELL_USAGE);

	assert_int_equal(run(fx, "config"), MN_SHELL_OK);
	assert_has(out(fx), "events.history");
	assert_int_equal(run(fx, "config events.history 500"), MN_SHELL_OK);
	assert_has(out(fx), "events.history = 500");
	assert_int_equal(run(fx, "config events.history"), MN_SHELL_OK);
	assert_has(out(fx), "500");
	assert_int_equal(run(fx, "config events"), MN_SHELL_OK);
	assert_int_equal(run(fx, "config events.history abc"), MN_SHELL_FAIL);
	assert_has(err(fx), "events.history");
	assert_int_equal(run(fx, "config no.such.key 1"), MN_SHELL_FAIL);
	assert_has(err(fx), "unknown key");
	assert_int_equal(run(fx, "config zzz"), MN_SHELL_FAIL);

	assert_int_equal(run(fx, "stats"), MN_SHELL_OK);
	assert_int_equal(run(fx, "stats zzz.nothing"), MN_SHELL_OK);
	assert_has(out(fx), "no statistics");

	assert_int_equal(run(fx, "timer create tt 60000"), MN_SHELL_OK);
	assert_has(out(fx), "created: tt");
	assert_int_equal(run(fx, "timers"), MN_SHELL_OK);
	assert_has(out(fx), "tt");
	assert_int_equal(run(fx, "timer create tt 10 often"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "timer create tt -5"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "timer cancel 9999"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "timer cancel x"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "health"), MN_SHELL_OK);
}

static void test_events(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "log"), MN_SHELL_OK);
	assert_int_equal(run(fx, "log 3 info"), MN_SHELL_OK);
	assert_int_equal(run(fx, "log error 3"), MN_SHELL_OK);
	assert_int_equal(run(fx, "log 3 loud"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "events"), MN_SHELL_OK);
	assert_has(out(fx), "published");
	assert_int_equal(run(fx, "events list 5"), MN_SHELL_OK);
	assert_int_equal(run(fx, "events list x"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "events stats"), MN_SHELL_OK);
	assert_has(out(fx), "ProcessCreated");
	assert_int_equal(run(fx, "events filter process"), MN_SHELL_OK);
	assert_has(out(fx), "ProcessCreated");
	assert_int_equal(run(fx, "events filter bogus"), MN_SHELL_USAGE);
	assert_has(err(fx), "unknown event type");
	assert_int_equal(run(fx, "events by kernel 3"), MN_SHELL_OK);
	assert_int_equal(run(fx, "events by nowhere"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "events export"), MN_SHELL_OK);
	assert_int_equal(strncmp(out(fx), "seq,time_ns,", 12), 0);
	assert_int_equal(run(fx, "events export memory"), MN_SHELL_OK);
	assert_int_equal(run(fx, "events clear"), MN_SHELL_OK);
	assert_has(out(fx), "cleared");
	assert_int_equal(run(fx, "events filter network"), MN_SHELL_OK);
	assert_has(out(fx), "no network events");
}

static void test_advanced(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "drivers"), MN_SHELL_OK);
	assert_has(out(fx), "random");
	assert_int_equal(run(fx, "driver random stop"), MN_SHELL_OK);
	assert_has(out(fx), "running -> stopped");
	assert_int_equal(run(fx, "driver random suspend"), MN_SHELL_FAIL);
	assert_has(err(fx), "random");
	assert_int_equal(run(fx, "driver random start"), MN_SHELL_OK);
	assert_int_equal(run(fx, "driver random fly"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "driver nosuch start"), MN_SHELL_FAIL);

	assert_int_equal(run(fx, "syscall info"), MN_SHELL_OK);
	assert_has(out(fx), "getpid");
	assert_int_equal(run(fx, "syscall invoke 4"), MN_SHELL_OK);
	assert_string_equal(out(fx), "getpid() = 1\n");
	assert_int_equal(run(fx, "syscall invoke getuid"), MN_SHELL_OK);
	assert_string_equal(out(fx), "getuid() = 0\n");
	assert_int_equal(run(fx, "syscall invoke 9999"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "syscall invoke 7999"), MN_SHELL_FAIL);
	assert_has(out(fx), "ENOSYS");
	assert_int_equal(run(fx, "syscall invoke 4 1 2 3 4 5 6 7"),
			 MN_SHELL_USAGE);
	assert_int_equal(run(fx, "syscall invoke 4 5"), MN_SHELL_USAGE);

	assert_int_equal(run(fx, "posix"), MN_SHELL_OK);
	assert_has(out(fx), "ENOENT");
	assert_has(out(fx), "EHWPOISON");
	assert_int_equal(run(fx, "posix EAGAIN"), MN_SHELL_OK);
	assert_has(out(fx), "retryable");
	assert_int_equal(run(fx, "posix 2"), MN_SHELL_OK);
	assert_has(out(fx), "ENOENT (2)");
	assert_int_equal(run(fx, "posix EBOGUS"), MN_SHELL_FAIL);
}

static void test_missing_layers(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "network"), MN_SHELL_FAIL);
	assert_has(err(fx), "needs the network layer");
	assert_int_equal(run(fx, "ping peer"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "ping"), MN_SHELL_USAGE);
	if (!mn_vfs_of(fx->k)) {
		assert_int_equal(run(fx, "ls /"), MN_SHELL_FAIL);
		assert_has(err(fx), "needs the VFS");
		assert_int_equal(run(fx, "cat /x"), MN_SHELL_FAIL);
	}
}

static const char *complete(struct fx *fx, const char *line);

static void test_filesystem(void **state)
{
	struct fx *fx = *state;

	assert_non_null(mn_vfs_of(fx->k));
	assert_int_equal(run(fx, "ls"), MN_SHELL_OK);
	assert_has(out(fx), "tmp/");
	assert_int_equal(run(fx, "mkdir /d"), MN_SHELL_OK);
	assert_int_equal(run(fx, "mkdir /d"), MN_SHELL_FAIL);
	assert_has(err(fx), "EEXIST");
	assert_int_equal(run(fx, "create /d/f hello  'big world'"),
			 MN_SHELL_OK);
	assert_int_equal(run(fx, "create /d/f again"), MN_SHELL_FAIL);
	assert_has(err(fx), "already exists");
	assert_int_equal(run(fx, "create /d/empty"), MN_SHELL_OK);
	assert_int_equal(run(fx, "cat /d/f"), MN_SHELL_OK);
	assert_string_equal(out(fx), "hello big world\n");
	assert_int_equal(run(fx, "cat /d/empty"), MN_SHELL_OK);
	assert_string_equal(out(fx), "");
	assert_int_equal(run(fx, "ls /d"), MN_SHELL_OK);
	assert_has(out(fx), " f\n");
	assert_has(out(fx), " 16 ");
	assert_has(out(fx), "2 entries");
	assert_int_equal(run(fx, "ls /d/f"), MN_SHELL_OK);
	assert_has(out(fx), "-rw-r--r--");
	assert_string_equal(complete(fx, "cat /d/"), "/d/empty\n/d/f\n");
	assert_string_equal(complete(fx, "ls /"), complete(fx, "ls /"));
	assert_has(complete(fx, "ls /"), "/d/\n");
	assert_int_equal(run(fx, "rm /d"), MN_SHELL_FAIL);
	assert_has(err(fx), "ENOTEMPTY");
	assert_int_equal(run(fx, "rm /d/f"), MN_SHELL_OK);
	assert_int_equal(run(fx, "rm /d/empty"), MN_SHELL_OK);
	assert_int_equal(run(fx, "rm /d"), MN_SHELL_OK);
	assert_int_equal(run(fx, "cat /d/f"), MN_SHELL_FAIL);
	assert_has(err(fx), "ENOENT");
	assert_int_equal(run(fx, "ls /nowhere"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "cat /dev/zero"), MN_SHELL_FAIL);
	assert_has(err(fx), "larger than 1 MiB");
	assert_int_equal(run(fx, "mkdir"), MN_SHELL_USAGE);
}

static void test_network(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "network"), MN_SHELL_OK);
	assert_has(out(fx), "shellnet");
	assert_int_equal(run(fx, "antenna"), MN_SHELL_OK);
	assert_has(out(fx), "lo ");
	assert_has(out(fx), "p2p0");
	assert_int_equal(run(fx, "antenna lo"), MN_SHELL_OK);
	assert_int_equal(run(fx, "antenna p2p0 down"), MN_SHELL_OK);
	assert_has(out(fx), "DOWN");
	assert_int_equal(run(fx, "discover 50"), MN_SHELL_FAIL);
	assert_has(err(fx), "p2p0 is down");
	assert_int_equal(run(fx, "antenna p2p0 up"), MN_SHELL_OK);
	assert_has(out(fx), "UP");
	assert_int_equal(run(fx, "antenna p2p0 sideways"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "antenna nope"), MN_SHELL_FAIL);
	assert_has(err(fx), "no antenna 'nope'");
	assert_int_equal(run(fx, "antenna nope up"), MN_SHELL_FAIL);
	assert_int_equal(run(fx, "discover 0"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "discover 50"), MN_SHELL_OK);
	assert_int_equal(run(fx, "scan"), MN_SHELL_OK);
	assert_int_equal(run(fx, "ping nobody-here"), MN_SHELL_FAIL);
	assert_has(err(fx), "no peer");
	assert_int_equal(run(fx, "ping x 99"), MN_SHELL_USAGE);
	assert_int_equal(run(fx, "sockets"), MN_SHELL_OK);
	assert_has(out(fx), "udp");
	assert_string_equal(complete(fx, "antenna p2"), "p2p0\n");
	assert_string_equal(complete(fx, "antenna p2p0 d"), "down\n");
}

static int hooked_calls;

static int hooked(struct mn_shell_ctx *c, int argc, char **argv)
{
	hooked_calls++;
	assert_ptr_equal(c->hook_arg, &hooked_calls);
	mn_strbuf_printf(c->out, "spawned %s (%d words)\n", argv[1], argc);
	return MN_SHELL_OK;
}

static void test_hooks(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(mn_shell_set_hook(fx->k, "nosuch", NULL, hooked,
					   NULL), -ENOENT);
	assert_int_equal(mn_shell_set_hook(fx->k, "events", "nosub", hooked,
					   NULL), -ENOENT);
	assert_int_equal(mn_shell_set_hook(NULL, "spawn", NULL, hooked, NULL),
			 -EINVAL);
	assert_int_equal(mn_shell_set_hook(fx->k, "spawn", NULL, hooked,
					   &hooked_calls), 0);
	assert_int_equal(run(fx, "spawn /bin/echo hi"), MN_SHELL_OK);
	assert_string_equal(out(fx), "spawned /bin/echo (3 words)\n");
	assert_int_equal(hooked_calls, 1);
	/* the table still checks arguments before a hook runs */
	assert_int_equal(run(fx, "spawn"), MN_SHELL_USAGE);
	assert_int_equal(hooked_calls, 1);
	assert_int_equal(mn_shell_set_hook(fx->k, "spawn", NULL, NULL, NULL),
			 0);
	assert_int_equal(run(fx, "spawn /bin/echo"), MN_SHELL_FAIL);
	/* the last hook gone, the instance's slot is empty again */
	assert_null(mn_kernel_slot(fx->k, MN_SLOT_SHELL));
}

/* A hook belongs to one instance: another kernel keeps its own handler. */
static void test_hooks_per_instance(void **state)
{
	struct fx *fx = *state;
	struct mn_kernel_opts o = {.name = "shelltest2", .deterministic = 1};
	struct mn_kernel *k2;
	struct mn_strbuf out2 = MN_STRBUF_INIT;

	assert_int_equal(mn_kernel_create(&k2, &o), 0);
	assert_int_equal(mn_kernel_boot(k2, NULL), 0);
	assert_int_equal(mn_shell_set_hook(fx->k, "spawn", NULL, hooked,
					   &hooked_calls), 0);
	hooked_calls = 0;
	assert_int_equal(mn_shell_exec(k2, "spawn /bin/echo", &out2),
			 MN_SHELL_FAIL);
	assert_int_equal(hooked_calls, 0);
	assert_null(mn_kernel_slot(k2, MN_SLOT_SHELL));
	assert_int_equal(run(fx, "spawn /bin/echo"), MN_SHELL_OK);
	assert_int_equal(hooked_calls, 1);
	assert_int_equal(mn_shell_set_hook(fx->k, "spawn", NULL, NULL, NULL),
			 0);
	mn_strbuf_release(&out2);
	mn_kernel_destroy(k2);
}

static const char *complete(struct fx *fx, const char *line)
{
	mn_strbuf_reset(&fx->out);
	mn_shell_complete(fx->k, line, &fx->out);
	return out(fx);
}

static void test_complete(void **state)
{
	struct fx *fx = *state;

	assert_has(complete(fx, ""), "help\n");
	assert_has(complete(fx, ""), "events\n");
	assert_string_equal(complete(fx, "ev"), "events\n");
	assert_string_equal(complete(fx, "zz"), "");
	assert_has(complete(fx, "events "), "list\n");
	assert_has(complete(fx, "events "), "filter\n");
	assert_string_equal(complete(fx, "events f"), "filter\n");
	assert_string_equal(complete(fx, "events filter t"), "timer\n");
	assert_string_equal(complete(fx, "events by d"), "driver\n");
	assert_has(complete(fx, "config events."), "events.history\n");
	assert_string_equal(complete(fx, "driver ra"), "random\n");
	assert_string_equal(complete(fx, "driver random sta"), "start\n");
	assert_has(complete(fx, "kill 2 TE"), "TERM\n");
	assert_has(complete(fx, "kill "), "1\n");
	assert_string_equal(complete(fx, "help memo"), "memory\n");
	assert_has(complete(fx, "memory "), "alloc\n");
	assert_string_equal(complete(fx, "syscall invoke getp"),
			    "getpid\ngetppid\n");
	assert_has(complete(fx, "posix EAG"), "EAGAIN\n");
	assert_string_equal(complete(fx, "log 5 war"), "warning\n");
	assert_int_equal(run(fx, "channel create chan"), MN_SHELL_OK);
	assert_has(complete(fx, "channel "), "create\n");
	assert_has(complete(fx, "channel "), "chan\n");
	assert_string_equal(complete(fx, "channel chan r"), "recv\n");
	assert_string_equal(complete(fx, "version x"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_words),
		cmocka_unit_test(test_parse_quotes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_dispatch_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_utilities, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_system_info, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_processes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_advanced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_layers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filesystem, setup_vfs,
						teardown),
		cmocka_unit_test_setup_teardown(test_network, setup_net,
						teardown),
		cmocka_unit_test_setup_teardown(test_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks_per_instance, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_complete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
