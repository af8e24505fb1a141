/*
 * net_sysfs.c - /sys/class/net/ANTENNA: one value per file, as Linux's
 * sysfs has them, and operstate as a control file ("echo down >
 * /sys/class/net/p2p0/operstate" is `antenna down p2p0`).
 *
 * The statistics/ directory has all of Linux's counter files; the ones
 * MicronOS has no cause for (collisions, fifo errors ...) are honestly 0.
 * type and flags use Linux's values (ARPHRD_*, IFF_*), so tools that read
 * them classify the antennas correctly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <micronos/net_fs.h>

#include "net_i.h"

#define IFF_UP_ 0x1
#define IFF_BROADCAST_ 0x2
#define IFF_LOOPBACK_ 0x8
#define IFF_MULTICAST_ 0x1000
#define ARPHRD_ETHER_ 1
#define ARPHRD_LOOPBACK_ 772
#define ARPHRD_NONE_ 0xfffe

static const char *const stat_names[] = {
	"collisions", "multicast", "rx_bytes", "rx_compressed",
	"rx_crc_errors", "rx_dropped", "rx_errors", "rx_fifo_errors",
	"rx_frame_errors", "rx_length_errors", "rx_missed_errors",
	"rx_nohandler", "rx_over_errors", "rx_packets", "tx_aborted_errors",
	"tx_bytes", "tx_carrier_errors", "tx_compressed", "tx_dropped",
	"tx_errors", "tx_fifo_errors", "tx_heartbeat_errors", "tx_packets",
	"tx_window_errors", NULL,
};

const char *const *mn_net_sys_stat_names(void)
{
	return stat_names;
}

static int stat_value(const struct mn_net_antenna_info *a, const char *name,
		      uint64_t *v)
{
#define F(x) {#x, offsetof(struct mn_net_antenna_info, x)}
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		F(rx_bytes), F(rx_packets), F(rx_errors), F(rx_dropped),
		F(tx_bytes), F(tx_packets), F(tx_errors), F(tx_dropped),
	};
#undef F

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(name, fields[i].name)) {
			memcpy(v, (const char *)a + fields[i].off, sizeof(*v));
			return 0;
		}
	for (size_t i = 0; stat_names[i]; i++)
		if (!strcmp(name, stat_names[i])) {
			*v = 0;
			return 0;
		}
	return -ENOENT;
}

static unsigned flags_of(const struct mn_net_antenna_info *a)
{
	unsigned f = a->up ? IFF_UP_ : 0;

	if (!strcmp(a->kind, "loopback"))
		return f | IFF_LOOPBACK_;
	return f | IFF_BROADCAST_ | IFF_MULTICAST_;
}

static int type_of(const struct mn_net_antenna_info *a)
{
	if (!strcmp(a->kind, "loopback"))
		return ARPHRD_LOOPBACK_;
	return !strcmp(a->kind, "p2p") ? ARPHRD_NONE_ : ARPHRD_ETHER_;
}

static void peers_value(struct mn_net *net, struct mn_strbuf *out)
{
	struct mn_net_peer_info p[MN_NET_MAX_PEERS];
	size_t n = mn_net_peer_list(net, p, MN_NET_MAX_PEERS);

	for (size_t i = 0; i < n && i < MN_NET_MAX_PEERS; i++) {
		char a[64];

		mn_net_addr_str(&p[i].addr, a, sizeof(a));
		mn_strbuf_printf(out, "%s %016" PRIx64 " %s\n", p[i].name,
				 p[i].id, a);
	}
}

int mn_net_render_sys(struct mn_net *net, const char *antenna,
		      const char *attr, struct mn_strbuf *out)
{
	struct mn_net_antenna_info a;
	uint64_t v;
	int ret = net ? mn_net_antenna_get(net, antenna, &a) : -ENODEV;

	if (ret < 0)
		return ret;
	if (!strcmp(attr, "operstate"))
		mn_strbuf_printf(out, "%s\n", a.up ? "up" : "down");
	else if (!strcmp(attr, "mtu"))
		mn_strbuf_printf(out, "%u\n", a.mtu);
	else if (!strcmp(attr, "address"))
		mn_strbuf_printf(out, "%s\n", a.address);
	else if (!strcmp(attr, "carrier"))
		mn_strbuf_printf(out, "%d\n", a.up);
	else if (!strcmp(attr, "ifindex"))
		mn_strbuf_printf(out, "%d\n", a.index);
	else if (!strcmp(attr, "type"))
		mn_strbuf_printf(out, "%d\n", type_of(&a));
	else if (!strcmp(attr, "flags"))
		mn_strbuf_printf(out, "0x%x\n", flags_of(&a));
	else if (!strcmp(attr, "peers")) {
		if (!strcmp(a.kind, "p2p"))
			peers_value(net, out);
	} else if (!strncmp(attr, "statistics/", 11) &&
		   stat_value(&a, attr + 11, &v) == 0)
		mn_strbuf_printf(out, "%" PRIu64 "\n", v);
	else
		return -ENOENT;
	return mn_strbuf_error(out);
}

int mn_net_write_sys(struct mn_net *net, const char *antenna,
		     const char *attr, const char *value)
{
	char word[8];
	size_t n;

	if (!net)
		return -ENODEV;
	if (strcmp(attr, "operstate"))
		return -EINVAL;
	while (*value == ' ' || *value == '\t' || *value == '\n')
		value++;
	for (n = 0; value[n] && value[n] != ' ' && value[n] != '\n' &&
		    value[n] != '\t' && n < sizeof(word) - 1; n++)
		word[n] = value[n];
	word[n] = '\0';
	value += n;
	while (*value == ' ' || *value == '\t' || *value == '\n')
		value++;
	if (*value || (strcmp(word, "up") && strcmp(word, "down")))
		return -EINVAL;
	return mn_net_antenna_set(net, antenna, !strcmp(word, "up"));
}

/* --- rows ----------------------------------------------------------------- */

static const char *antenna_of(const struct mn_vnode_ctx *ctx)
{
	return ctx->nbind ? ctx->bind[ctx->nbind - 1].name : "";
}

static int attr_render(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	struct mn_net *net = mn_net_get(k);
	int ret = mn_net_render_sys(net, antenna_of(ctx), ctx->node->name,
				    out);

	mn_net_put(net);
	return ret;
}

static int stat_render(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	char attr[64];
	struct mn_net *net = mn_net_get(k);
	int ret;

	snprintf(attr, sizeof(attr), "statistics/%s", ctx->node->name);
	ret = mn_net_render_sys(net, antenna_of(ctx), attr, out);
	mn_net_put(net);
	return ret;
}

static int operstate_write(struct mn_kernel *k,
			   const struct mn_vnode_ctx *ctx, const char *data,
			   size_t len)
{
	struct mn_net *net = mn_net_get(k);
	int ret;

	(void)len;
	ret = mn_net_write_sys(net, antenna_of(ctx), "operstate", data);
	mn_net_put(net);
	return ret;
}

#define ATTR(n) {n, S_IFREG | 0444, 0, attr_render, NULL, NULL, NULL, NULL, \
		 NULL}
#define STAT(n) {n, S_IFREG | 0444, 0, stat_render, NULL, NULL, NULL, NULL, \
		 NULL}
#define END {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL}

static const struct mn_synth_node stat_nodes[] = {
	STAT("collisions"), STAT("multicast"), STAT("rx_bytes"),
	STAT("rx_compressed"), STAT("rx_crc_errors"), STAT("rx_dropped"),
	STAT("rx_errors"), STAT("rx_fifo_errors"), STAT("rx_frame_errors"),
	STAT("rx_length_errors"), STAT("rx_missed_errors"),
	STAT("rx_nohandler"), STAT("rx_over_errors"), STAT("rx_packets"),
	STAT("tx_aborted_errors"), STAT("tx_bytes"), STAT("tx_carrier_errors"),
	STAT("tx_compressed"), STAT("tx_dropped"), STAT("tx_errors"),
	STAT("tx_fifo_errors"), STAT("tx_heartbeat_errors"),
	STAT("tx_packets"), STAT("tx_window_errors"), END,
};

static const struct mn_synth_node antenna_nodes[] = {
	ATTR("address"),
	ATTR("carrier"),
	ATTR("flags"),
	ATTR("ifindex"),
	ATTR("mtu"),
	{"operstate", S_IFREG | 0644, 0, attr_render, operstate_write, NULL,
	 NULL, NULL, NULL},
	ATTR("peers"),
	{"statistics", S_IFDIR | 0555, 0, NULL, NULL, NULL, stat_nodes, NULL,
	 NULL},
	ATTR("type"),
	END,
};

static const struct mn_synth_node antenna_dir = {
	"antenna", S_IFDIR | 0555, 0, NULL, NULL, NULL, antenna_nodes, NULL,
	NULL,
};

static int antennas_list(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
			 int (*emit)(void *e, const char *name), void *e)
{
	struct mn_net_antenna_info a[MN_NET_MAX_ANTENNAS];
	struct mn_net *net = mn_net_get(k);
	size_t n = net ? mn_net_antenna_list(net, a, MN_NET_MAX_ANTENNAS) : 0;

	(void)ctx;
	mn_net_put(net);
	for (size_t i = 0; i < n && i < MN_NET_MAX_ANTENNAS; i++)
		if (emit(e, a[i].name))
			break;
	return 0;
}

static int antennas_lookup(struct mn_kernel *k,
			   const struct mn_vnode_ctx *ctx, const char *name)
{
	struct mn_net_antenna_info a;
	struct mn_net *net = mn_net_get(k);
	int ret = net ? mn_net_antenna_get(net, name, &a) : -ENOENT;

	(void)ctx;
	mn_net_put(net);
	return ret < 0 ? -ENOENT : 0;
}

const struct mn_synth_dir_ops mn_net_sys_class_dyn = {
	antennas_list,
	antennas_lookup,
	&antenna_dir,
};
