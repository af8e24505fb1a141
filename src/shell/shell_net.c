/*
 * shell_net.c - the shell's network group: network, scan, discover,
 * antenna, ping, sockets.
 *
 * The network layer (include/micronos/net.h) owns the tables these
 * commands print: each command takes a counted reference to the kernel's
 * network (mn_net_get), so a command racing the net stage's stop never
 * touches a freed network, and calls the layer's own formatter - the same
 * text /proc/net and /sys/class/net are built from.  An instance booted
 * without the network layer says so plainly.
 *
 * discover and ping wait for answers from other instances: their waits
 * are bounded (at most a few seconds) because they hold a control-socket
 * thread while they run.
 */
#include <errno.h>
#include <string.h>

#include <micronos/kernel.h>
#include <micronos/net.h>

#include "shell_i.h"

#define DISCOVER_DEFAULT_MS 500
#define DISCOVER_MAX_MS 5000
#define PING_DEFAULT_COUNT 3
#define PING_MAX_COUNT 10
#define PING_INTERVAL_MS 200
#define PING_TIMEOUT_MS 1000

/* The kernel's network with a reference, or NULL after a clear error. */
static struct mn_net *need_net(struct mn_shell_ctx *c)
{
	struct mn_net *net = mn_net_get(c->k);

	if (!net)
		mn_shell_fail(c, "needs the network layer (sockets, antennas, "
			      "peer discovery), which is not loaded in this "
			      "instance");
	return net;
}

/* Runs a formatter; turns the peer link's errors into words. */
static int done(struct mn_shell_ctx *c, int ret, const char *what)
{
	if (ret == -ENETDOWN)
		return mn_shell_fail(c, "the peer link p2p0 is down (bring it "
				     "up with 'antenna p2p0 up')");
	if (ret == -ENOTCONN)
		return mn_shell_fail(c, "this instance has no peer link (see "
				     "'config net.p2p')");
	if (ret < 0)
		return mn_shell_errno(c, ret, what);
	return MN_SHELL_OK;
}

int mn_shell_cmd_network(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_net *net = need_net(c);
	int ret;

	(void)argc;
	(void)argv;
	if (!net)
		return MN_SHELL_FAIL;
	ret = mn_net_format_overview(net, c->out);
	mn_net_put(net);
	return done(c, ret, "network");
}

int mn_shell_cmd_scan(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_net *net = need_net(c);
	int ret;

	(void)argc;
	(void)argv;
	if (!net)
		return MN_SHELL_FAIL;
	ret = mn_net_format_peers(net, c->out);
	mn_net_put(net);
	return done(c, ret, "peers");
}

int mn_shell_cmd_discover(struct mn_shell_ctx *c, int argc, char **argv)
{
	int64_t ms = DISCOVER_DEFAULT_MS;
	struct mn_net *net;
	int ret;

	if (argc == 2 &&
	    mn_shell_parse_i64(argv[1], 1, DISCOVER_MAX_MS, &ms) < 0)
		return mn_shell_usage(c, "MS must be 1..%d, not '%s'",
				      DISCOVER_MAX_MS, argv[1]);
	net = need_net(c);
	if (!net)
		return MN_SHELL_FAIL;
	ret = mn_net_format_discover(net, (int)ms, c->out);
	mn_net_put(net);
	return done(c, ret, "discover");
}

static int antenna_set(struct mn_shell_ctx *c, struct mn_net *net,
		       const char *name, const char *state)
{
	int up = !strcmp(state, "up");
	int ret;

	if (!up && strcmp(state, "down"))
		return mn_shell_usage(c, "the state is 'up' or 'down', not "
				      "'%s'",
				      state);
	ret = mn_net_antenna_set(net, name, up);
	if (ret == 0)
		ret = mn_net_format_antenna(net, name, c->out);
	return ret;
}

int mn_shell_cmd_antenna(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_net *net = need_net(c);
	int ret;

	if (!net)
		return MN_SHELL_FAIL;
	if (argc == 1)
		ret = mn_net_format_antennas(net, c->out);
	else if (argc == 2)
		ret = mn_net_format_antenna(net, argv[1], c->out);
	else if (!strcmp(argv[1], "up") || !strcmp(argv[1], "down"))
		ret = antenna_set(c, net, argv[2], argv[1]);	/* up NAME */
	else
		ret = antenna_set(c, net, argv[1], argv[2]);
	mn_net_put(net);
	if (ret == MN_SHELL_USAGE)
		return ret;
	if (ret == -ENODEV)
		return mn_shell_fail(c, "no antenna '%s' (see 'antenna')",
				     argc > 2 && (!strcmp(argv[1], "up") ||
						  !strcmp(argv[1], "down"))
					     ? argv[2]
					     : argv[1]);
	return done(c, ret, "antenna");
}

int mn_shell_cmd_ping(struct mn_shell_ctx *c, int argc, char **argv)
{
	int64_t count = PING_DEFAULT_COUNT;
	struct mn_net *net;
	int ret;

	if (argc == 3 &&
	    mn_shell_parse_i64(argv[2], 1, PING_MAX_COUNT, &count) < 0)
		return mn_shell_usage(c, "COUNT must be 1..%d, not '%s'",
				      PING_MAX_COUNT, argv[2]);
	net = need_net(c);
	if (!net)
		return MN_SHELL_FAIL;
	ret = mn_net_ping(net, argv[1], (int)count, PING_INTERVAL_MS,
			  PING_TIMEOUT_MS, NULL, c->out);
	mn_net_put(net);
	if (ret == -ENOENT)
		return mn_shell_fail(c, "no peer '%s' (see 'scan' or "
				     "'discover')",
				     argv[1]);
	if (ret == -ENOTUNIQ)
		return mn_shell_fail(c, "'%s' names several peers: ping one "
				     "by its id (see 'scan')", argv[1]);
	if (ret == 0)
		return mn_shell_fail(c, "no reply from %s", argv[1]);
	return done(c, ret, "ping");
}

int mn_shell_cmd_sockets(struct mn_shell_ctx *c, int argc, char **argv)
{
	struct mn_net *net = need_net(c);
	int ret;

	(void)argc;
	(void)argv;
	if (!net)
		return MN_SHELL_FAIL;
	ret = mn_net_format_sockets(net, c->out);
	mn_net_put(net);
	return done(c, ret, "sockets");
}
