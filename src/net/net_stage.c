/*
 * net_stage.c - the network's part of boot: the "net" stage hook, its
 * configuration keys, the kernel task netd and its timers.
 *
 * Kept apart from net.c so that the network can be unit-tested without a
 * kernel.  The stage registers the net.* keys, creates the network from
 * them, wires the syscalls, creates (or, after a reboot, finds) the kernel
 * task "netd" and starts its two periodic timers - "net.sync" (the table
 * follows the host) and "net.announce" (peers) - whose callbacks run on the
 * scheduler on behalf of netd, so suspending netd holds them.
 *
 * Config changes apply at once (a watcher): policy and ports, the sync
 * period, and any net.p2p.* key but discover_ms restarts the peer link.
 * The watcher and the stage stop meet under one static mutex (glue): the
 * watcher finds the network through the kernel's slot under it, and stop
 * empties the slot under it, so a late watcher finds nothing instead of a
 * freed network.  mn_net_get() takes a reference under the same mutex.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>
#include <micronos/sched.h>
#include <micronos/syscall.h>
#include <micronos/timer.h>

#include "net_i.h"

static pthread_mutex_t glue = PTHREAD_MUTEX_INITIALIZER;

static const char *const policies[] = {"none", "loopback", "host", NULL};

static int check_ports(const char *value, struct mn_strbuf *err)
{
	return mn_net_ports_check(value, err);
}

/* One row per key; defaults match net.h's constants. */
static const struct mn_config_key keys[] = {
	{"net.policy", MN_CONFIG_ENUM, "loopback",
	 "which addresses sockets may reach: none, loopback or host", 0, 0, 0,
	 policies, 0, NULL},
	{"net.allow_ports", MN_CONFIG_STRING, "",
	 "ports sockets may bind or connect to, e.g. 8000-9000,53 (empty: "
	 "all)", 0, 0, 255, NULL, 0, check_ports},
	{"net.sync_ms", MN_CONFIG_INT, "250",
	 "how often netd reads the real state of sockets, ms", 20, 60000, 0,
	 NULL, 0, NULL},
	{"net.p2p.port", MN_CONFIG_INT, "47800",
	 "UDP port where instances announce themselves", 1, 65535, 0, NULL, 0,
	 NULL},
	{"net.p2p.lan", MN_CONFIG_BOOL, "false",
	 "also announce to and listen on the LAN (broadcast)", 0, 0, 0, NULL,
	 0, NULL},
	{"net.p2p.announce_ms", MN_CONFIG_INT, "1000",
	 "how often an instance announces itself, ms", 50, 60000, 0, NULL, 0,
	 NULL},
	{"net.p2p.expire_ms", MN_CONFIG_INT, "5000",
	 "a peer silent this long has left, ms", 200, 600000, 0, NULL, 0,
	 NULL},
	{"net.p2p.discover_ms", MN_CONFIG_INT, "500",
	 "how long `discover` waits for answers, ms", 10, 10000, 0, NULL, 0,
	 NULL},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct net_conf {
	enum mn_net_policy policy;
	char ports[256];
	int64_t sync_ms, port, lan, announce_ms, expire_ms;
};

static int register_keys(struct mn_config *cfg, struct mn_strbuf *err)
{
	for (size_t i = 0; i < NKEYS; i++) {
		int ret = mn_config_register(cfg, &keys[i], err);

		if (ret < 0 && ret != -EEXIST)	/* a reboot keeps them */
			return ret;
	}
	return 0;
}

static void read_conf(struct mn_config *cfg, struct net_conf *c)
{
	c->policy = (enum mn_net_policy)mn_config_int_or(
		cfg, "net.policy", MN_NET_POLICY_LOOPBACK);
	if (mn_config_get_str(cfg, "net.allow_ports", c->ports,
			      sizeof(c->ports)) < 0)
		c->ports[0] = '\0';
	c->sync_ms = mn_config_int_or(cfg, "net.sync_ms",
				      MN_NET_SYNC_MS_DEFAULT);
	c->port = mn_config_int_or(cfg, "net.p2p.port",
				   MN_NET_P2P_PORT_DEFAULT);
	c->lan = mn_config_int_or(cfg, "net.p2p.lan", 0);
	c->announce_ms = mn_config_int_or(cfg, "net.p2p.announce_ms",
					  MN_NET_ANNOUNCE_MS_DEFAULT);
	c->expire_ms = mn_config_int_or(cfg, "net.p2p.expire_ms",
					MN_NET_EXPIRE_MS_DEFAULT);
}

static int find_netd(void *arg, const struct mn_proc_info *pi)
{
	if (pi->kind != MN_PROC_KTASK || strcmp(pi->comm, "netd"))
		return 0;
	*(int32_t *)arg = pi->pid;
	return 1;
}

/* netd, created once per kernel (a reboot finds the old one). */
static int32_t netd_of(struct mn_kernel *k)
{
	int32_t pid = 0;

	mn_proc_foreach(mn_kernel_procs(k), find_netd, &pid);
	return pid > 0 ? pid : mn_kernel_ktask(k, "netd", MN_PRIO_NORMAL);
}

/* Sockets of one process: its host descriptors that are sockets. */
static size_t host_sockets(const struct mn_proc_info *pi,
			   struct mn_net_owner *out, size_t n, size_t max)
{
	char path[64], link[64];
	struct dirent *e;
	unsigned long long ino;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pi->host_pid);
	d = opendir(path);
	if (!d)
		return n;	/* gone, or not ours to read */
	while ((e = readdir(d))) {
		ssize_t l = readlinkat(dirfd(d), e->d_name, link,
				       sizeof(link) - 1);

		if (l <= 0)
			continue;
		link[l] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		if (n < max)
			out[n] = (struct mn_net_owner){ino, pi->pid, pi->euid};
		n++;
	}
	closedir(d);
	return n;
}

/*
 * The owners function of a kernel's network: the sockets of every process
 * with a host program behind it, read from the host's /proc/HOSTPID/fd
 * (what ss -p does).  Runs without the network's lock.
 */
static int kernel_owners(void *arg, struct mn_net_owner *out, size_t max)
{
	struct mn_proctab *pt = mn_kernel_procs(arg);
	size_t np = mn_proc_list(pt, NULL, 0), n = 0;
	struct mn_proc_info *pi = calloc(np + 16, sizeof(*pi));

	if (!pi)
		return -ENOMEM;
	n = mn_proc_list(pt, pi, np + 16);
	np = n < np + 16 ? n : np + 16;
	n = 0;
	for (size_t i = 0; i < np; i++)
		if (pi[i].host_pid > 0 && pi[i].kind == MN_PROC_USER &&
		    pi[i].state != MN_PROC_ZOMBIE)
			n = host_sockets(&pi[i], out, n, max);
	free(pi);
	return (int)n;
}

static void sync_cb(void *arg, int id, uint64_t count)
{
	(void)id;
	(void)count;
	mn_net_sync(arg);
}

static void tick_cb(void *arg, int id, uint64_t count)
{
	(void)id;
	(void)count;
	mn_net_tick(arg);
}

static int start_timer(struct mn_kernel *k, struct mn_net *net,
		       const char *name, int64_t ms,
		       void (*cb)(void *, int, uint64_t), struct mn_strbuf *err)
{
	int id = mn_timers_create_timer(mn_kernel_timers(k), name, ms, 1, cb,
					net, net->netd_pid, err);

	/* Housekeeping: fires without filling the event history. */
	if (id >= 0)
		mn_timers_set_quiet(mn_kernel_timers(k), id, 1);
	return id;
}

static void stop_timer(struct mn_kernel *k, int *id)
{
	if (*id > 0)
		mn_timers_cancel(mn_kernel_timers(k), *id);
	*id = -1;
}

/* A net.p2p.* key changed: a new link with the new settings (glue held). */
static void restart_p2p(struct mn_kernel *k, struct mn_net *net)
{
	struct mn_strbuf why = MN_STRBUF_INIT;
	struct net_conf c;

	read_conf(mn_kernel_config(k), &c);
	stop_timer(k, &net->announce_timer);
	mn__net_p2p_stop(net);
	if (mn__net_p2p_start(net, (uint16_t)c.port, (int)c.lan,
			      (uint32_t)c.announce_ms, (uint32_t)c.expire_ms,
			      &why) < 0) {
		pthread_mutex_lock(&net->lock);
		snprintf(net->p2p_error, sizeof(net->p2p_error), "%s",
			 mn_strbuf_str(&why));
		pthread_mutex_unlock(&net->lock);
	}
	mn_strbuf_release(&why);
	net->announce_timer = start_timer(k, net, "net.announce",
					  c.announce_ms, tick_cb, NULL);
}

static void on_config(void *arg, const char *key, const char *value)
{
	struct mn_kernel *k = arg;
	struct mn_net *net;

	pthread_mutex_lock(&glue);
	net = mn_kernel_slot(k, MN_SLOT_NET);
	if (!net) {
		/* stopped meanwhile */
	} else if (!strcmp(key, "net.policy")) {
		mn_net_set_policy(net, mn_net_policy_parse(value));
	} else if (!strcmp(key, "net.allow_ports")) {
		mn_net_set_ports(net, value, NULL);
	} else if (!strcmp(key, "net.sync_ms")) {
		stop_timer(k, &net->sync_timer);
		net->sync_timer = start_timer(k, net, "net.sync",
					      mn_config_int_or(
						      mn_kernel_config(k),
						      key, 250),
					      sync_cb, NULL);
	} else if (!strncmp(key, "net.p2p.", 8) &&
		   strcmp(key, "net.p2p.discover_ms")) {
		restart_p2p(k, net);
	}
	pthread_mutex_unlock(&glue);
}

static int wire(struct mn_kernel *k, struct mn_net *net,
		const struct net_conf *c, struct mn_strbuf *err)
{
	int ret = mn__net_sys_wire(mn_kernel_syscalls(k), net);

	if (ret < 0) {
		mn_strbuf_printf(err, "net: cannot wire the syscalls: %s",
				 strerror(-ret));
		return ret;
	}
	net->sync_timer = start_timer(k, net, "net.sync", c->sync_ms, sync_cb,
				      err);
	if (net->sync_timer < 0)
		return net->sync_timer;
	net->announce_timer = start_timer(k, net, "net.announce",
					  c->announce_ms, tick_cb, err);
	if (net->announce_timer < 0)
		return net->announce_timer;
	net->watch_id = mn_config_watch(mn_kernel_config(k), "net.", on_config,
					k);
	return net->watch_id < 0 ? net->watch_id : 0;
}

static void unwire(struct mn_kernel *k, struct mn_net *net)
{
	if (net->watch_id > 0)
		mn_config_unwatch(mn_kernel_config(k), net->watch_id);
	net->watch_id = -1;
	stop_timer(k, &net->sync_timer);
	stop_timer(k, &net->announce_timer);
	mn__net_sys_unwire(mn_kernel_syscalls(k));
}

static int net_start(struct mn_kernel *k, void *arg, struct mn_strbuf *err)
{
	struct mn_net_opts o = {0};
	struct net_conf c;
	struct mn_net *net;
	int ret;

	(void)arg;
	ret = register_keys(mn_kernel_config(k), err);
	if (ret < 0)
		return ret;
	read_conf(mn_kernel_config(k), &c);
	o.name = mn_kernel_name(k);
	o.bus = mn_kernel_evbus(k);
	o.clock = mn_kernel_clock(k);
	o.policy = c.policy;
	o.allow_ports = c.ports;
	o.netd_pid = netd_of(k);
	o.p2p_port = (uint16_t)c.port;
	o.p2p_lan = (int)c.lan;
	o.announce_ms = (uint32_t)c.announce_ms;
	o.expire_ms = (uint32_t)c.expire_ms;
	if (o.netd_pid < 0) {
		mn_strbuf_printf(err, "net: cannot create the kernel task "
				 "netd");
		return o.netd_pid;
	}
	ret = mn_net_create(&net, &o, err);
	if (ret < 0)
		return ret;
	net->k = k;
	mn_net_set_owners(net, kernel_owners, k);
	ret = wire(k, net, &c, err);
	if (ret < 0) {
		unwire(k, net);
		mn_net_destroy(net);
		return ret;
	}
	pthread_mutex_lock(&glue);
	mn_kernel_set_slot(k, MN_SLOT_NET, net);
	pthread_mutex_unlock(&glue);
	return 0;
}

static void net_stop(struct mn_kernel *k, void *arg)
{
	struct mn_net *net;

	(void)arg;
	pthread_mutex_lock(&glue);
	net = mn_kernel_slot(k, MN_SLOT_NET);
	mn_kernel_set_slot(k, MN_SLOT_NET, NULL);
	pthread_mutex_unlock(&glue);
	if (!net)
		return;
	unwire(k, net);
	mn_net_destroy(net);
}

/* A terminated process's sockets are closed and leave the table. */
static void net_on_exit(void *arg, int32_t pid)
{
	struct mn_net *net = mn_net_get(arg);

	if (net) {
		mn_net_release_pid(net, pid);
		mn_net_put(net);
	}
}

int mn_net_attach(struct mn_kernel *k)
{
	static const struct mn_stage_hook hook = {
		.name = "net",
		.start = net_start,
		.stop = net_stop,
		.arg = NULL,
	};
	int rc = mn_kernel_stage_hook(k, MN_STAGE_NET, &hook);

	if (rc == 0)
		rc = mn_kernel_on_exit(k, net_on_exit, k);
	return rc;
}

struct mn_net *mn_net_of(struct mn_kernel *k)
{
	return k ? mn_kernel_slot(k, MN_SLOT_NET) : NULL;
}

struct mn_net *mn_net_get(struct mn_kernel *k)
{
	struct mn_net *net;

	if (!k)
		return NULL;
	pthread_mutex_lock(&glue);
	net = mn_kernel_slot(k, MN_SLOT_NET);
	if (net && mn__net_enter(net) < 0)
		net = NULL;
	pthread_mutex_unlock(&glue);
	return net;
}

void mn_net_put(struct mn_net *net)
{
	if (net)
		mn__net_leave(net);
}
