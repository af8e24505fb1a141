/*
 * net_proc.c - /proc/net/{tcp,tcp6,udp,udp6,unix,dev} and
 * /sys/class/net/ANTENNA/... from the socket table and the antennas.
 *
 * The /proc/net formats are Linux's, character for character, because
 * netstat, ss's fallback and ifconfig parse them by position: the headers
 * and printf formats below are those of net/ipv4/tcp_ipv4.c
 * (get_tcp4_sock), net/ipv6/tcp_ipv6.c, net/ipv4/udp.c, net/ipv6/datagram.c,
 * net/unix/af_unix.c and net/core/net-procfs.c, including the padding of
 * tcp (149 columns) and udp (127) lines.  Addresses are printed as the
 * kernel does, the network-order words as host integers.  Fields MicronOS
 * does not track (timers, retransmits, congestion window) are 0; the
 * kernel pointer is the all-zero value an unprivileged reader gets.
 * Listed as Linux lists them: TCP and UDP sockets that are bound (or
 * connected), every unix socket, and none that has gone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <micronos/net_fs.h>

#include "net_i.h"

#define TCP_WIDTH 149	/* seq_setwidth(seq, TMPSZ - 1) */
#define UDP_WIDTH 127

static const char tcp_head[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
	"retrnsmt   uid  timeout inode";
static const char udp_head[] =
	"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
	"retrnsmt   uid  timeout inode ref pointer drops";
static const char tcp6_head[] =
	"  sl  local_address                         remote_address         "
	"               st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode\n";
static const char udp6_head[] =
	"  sl  local_address                         remote_address         "
	"               st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode ref pointer drops\n";
static const char unix_head[] =
	"Num       RefCount Protocol Flags    Type St Inode Path\n";
static const char dev_head[] =
	"Inter-|   Receive                                                |  "
	"Transmit\n"
	" face |bytes    packets errs drop fifo frame compressed multicast|"
	"bytes    packets errs drop fifo colls carrier compressed\n";

/* Ends a line at `width` columns as seq_pad() does. */
static void pad(struct mn_strbuf *out, size_t start, size_t width)
{
	while (out->len - start < width && !out->oom)
		mn_strbuf_putc(out, ' ');
	mn_strbuf_putc(out, '\n');
}

static void v4(const struct sockaddr_storage *ss, uint32_t *a, unsigned *port)
{
	const struct sockaddr_in *in = (const void *)ss;

	*a = 0;
	*port = 0;
	if (ss->ss_family == AF_INET) {
		/* as the kernel prints a __be32 */
		*a = in->sin_addr.s_addr;
		*port = ntohs(in->sin_port);
	}
}

static void v6(const struct sockaddr_storage *ss, uint32_t a[4],
	       unsigned *port)
{
	const struct sockaddr_in6 *in6 = (const void *)ss;

	memset(a, 0, 16);
	*port = 0;
	if (ss->ss_family == AF_INET6) {
		memcpy(a, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
	}
}

static int listed(const struct mn_net_sock_info *s, int domain, int type)
{
	if (s->domain != domain || s->type != type)
		return 0;
	if (s->state == MN_SOCK_UNBOUND)
		return 0;
	/* Linux lists the hashed TCP sockets only (listening, connecting,
	 * connected, closing): not one that is merely bound, nor one whose
	 * connection is over - ss(8) agrees */
	if (s->state == MN_TCP_CLOSED && type == SOCK_STREAM)
		return 0;
	return 1;
}

static int linux_state(const struct mn_net_sock_info *s)
{
	if (s->state < MN_TCP__STATES)
		return mn_tcp_to_linux((enum mn_tcp_state)s->state);
	return s->state == MN_SOCK_CONNECTED ? 1 : 7;	/* ESTABLISHED, CLOSE */
}

static void tcp4_line(struct mn_strbuf *out, int i,
		      const struct mn_net_sock_info *s)
{
	size_t start = out->len;
	uint32_t la, ra;
	unsigned lp, rp;

	v4(&s->local, &la, &lp);
	v4(&s->remote, &ra, &rp);
	mn_strbuf_printf(out, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X "
			 "%02X:%08lX %08X %5u %8d %" PRIu64 " %d %s %lu %lu "
			 "%u %u %d",
			 i, la, lp, ra, rp, linux_state(s), s->tx_queue,
			 s->rx_queue, 0, 0UL, 0, s->uid, 0, s->ino, 1,
			 "0000000000000000", 0UL, 0UL, 0, 0, 0);
	pad(out, start, TCP_WIDTH);
}

static void tcp6_line(struct mn_strbuf *out, int i,
		      const struct mn_net_sock_info *s)
{
	uint32_t l[4], r[4];
	unsigned lp, rp;

	v6(&s->local, l, &lp);
	v6(&s->remote, r, &rp);
	mn_strbuf_printf(out, "%4d: %08X%08X%08X%08X:%04X "
			 "%08X%08X%08X%08X:%04X %02X %08X:%08X %02X:%08lX "
			 "%08X %5u %8d %" PRIu64 " %d %s %lu %lu %u %u %d\n",
			 i, l[0], l[1], l[2], l[3], lp, r[0], r[1], r[2], r[3],
			 rp, linux_state(s), s->tx_queue, s->rx_queue, 0, 0UL,
			 0, s->uid, 0, s->ino, 1, "0000000000000000", 0UL,
			 0UL, 0, 0, 0);
}

static void udp4_line(struct mn_strbuf *out, int i,
		      const struct mn_net_sock_info *s)
{
	size_t start = out->len;
	uint32_t la, ra;
	unsigned lp, rp;

	v4(&s->local, &la, &lp);
	v4(&s->remote, &ra, &rp);
	mn_strbuf_printf(out, "%5d: %08X:%04X %08X:%04X %02X %08X:%08X "
			 "%02X:%08lX %08X %5u %8d %" PRIu64 " %d %s %u",
			 i, la, lp, ra, rp, linux_state(s), s->tx_queue,
			 s->rx_queue, 0, 0UL, 0, s->uid, 0, s->ino, 2,
			 "0000000000000000", 0);
	pad(out, start, UDP_WIDTH);
}

static void udp6_line(struct mn_strbuf *out, int i,
		      const struct mn_net_sock_info *s)
{
	uint32_t l[4], r[4];
	unsigned lp, rp;

	v6(&s->local, l, &lp);
	v6(&s->remote, r, &rp);
	mn_strbuf_printf(out, "%5d: %08X%08X%08X%08X:%04X "
			 "%08X%08X%08X%08X:%04X %02X %08X:%08X %02X:%08lX "
			 "%08X %5u %8d %" PRIu64 " %d %s %u\n",
			 i, l[0], l[1], l[2], l[3], lp, r[0], r[1], r[2], r[3],
			 rp, linux_state(s), s->tx_queue, s->rx_queue, 0, 0UL,
			 0, s->uid, 0, s->ino, 2, "0000000000000000", 0);
}

static void unix_line(struct mn_strbuf *out, int i,
		      const struct mn_net_sock_info *s)
{
	const struct sockaddr_un *un = (const void *)&s->local;
	int listening = s->type == SOCK_STREAM && s->state == MN_TCP_LISTEN;
	int connected = s->state == MN_TCP_ESTABLISHED ||
			s->state == MN_SOCK_CONNECTED;

	(void)i;
	mn_strbuf_printf(out, "%s: %08X %08X %08X %04X %02X %5" PRIu64,
			 "0000000000000000", 2, 0, listening ? 0x10000 : 0,
			 s->type, connected ? 3 : 1, s->ino);
	if (s->local.ss_family == AF_UNIX && un->sun_path[0])
		mn_strbuf_printf(out, " %.*s", (int)sizeof(un->sun_path),
				 un->sun_path);
	else if (s->local.ss_family == AF_UNIX)
		mn_strbuf_printf(out, " @%.*s", (int)sizeof(un->sun_path) - 1,
				 un->sun_path + 1);
	mn_strbuf_putc(out, '\n');
}

struct proc_file {
	const char *name;
	const char *head;	/* without newline: padded to `width` */
	size_t width;
	int domain, type;
	void (*line)(struct mn_strbuf *out, int i,
		     const struct mn_net_sock_info *s);
};

static const struct proc_file files[] = {
	{"tcp", tcp_head, TCP_WIDTH, AF_INET, SOCK_STREAM, tcp4_line},
	{"tcp6", tcp6_head, 0, AF_INET6, SOCK_STREAM, tcp6_line},
	{"udp", udp_head, UDP_WIDTH, AF_INET, SOCK_DGRAM, udp4_line},
	{"udp6", udp6_head, 0, AF_INET6, SOCK_DGRAM, udp6_line},
	{"unix", unix_head, 0, AF_UNIX, -1, unix_line},
};

#define NFILES (sizeof(files) / sizeof(files[0]))

static void dev_lines(struct mn_net *net, struct mn_strbuf *out)
{
	struct mn_net_antenna_info a[MN_NET_MAX_ANTENNAS];
	size_t n = net ? mn_net_antenna_list(net, a, MN_NET_MAX_ANTENNAS) : 0;

	mn_strbuf_puts(out, dev_head);
	for (size_t i = 0; i < n && i < MN_NET_MAX_ANTENNAS; i++)
		mn_strbuf_printf(out, "%6s: %7" PRIu64 " %7" PRIu64
				 " %4" PRIu64 " %4" PRIu64 " %4u %5u %10u %9u "
				 "%8" PRIu64 " %7" PRIu64 " %4" PRIu64
				 " %4" PRIu64 " %4u %5u %7u %10u\n",
				 a[i].name, a[i].rx_bytes, a[i].rx_packets,
				 a[i].rx_errors, a[i].rx_dropped, 0, 0, 0, 0,
				 a[i].tx_bytes, a[i].tx_packets, a[i].tx_errors,
				 a[i].tx_dropped, 0, 0, 0, 0);
}

static int sock_lines(struct mn_net *net, const struct proc_file *f,
		      struct mn_strbuf *out)
{
	struct mn_net_sock_info *s = NULL;
	size_t n = 0;
	int row = 0;

	if (f->width) {
		size_t start = out->len;

		mn_strbuf_puts(out, f->head);
		pad(out, start, f->width);
	} else {
		mn_strbuf_puts(out, f->head);
	}
	if (net) {
		mn_net_sync(net);
		n = mn_net_sock_list(net, NULL, 0);
		s = calloc(n ? n : 1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		size_t got = mn_net_sock_list(net, s, n);

		n = got < n ? got : n;
	}
	for (size_t i = 0; i < n; i++)
		if (f->type < 0 ? s[i].domain == AF_UNIX :
				  listed(&s[i], f->domain, f->type))
			f->line(out, row++, &s[i]);
	free(s);
	return mn_strbuf_error(out);
}

int mn_net_render_proc(struct mn_net *net, const char *file,
		       struct mn_strbuf *out)
{
	if (file && !strcmp(file, "dev")) {
		dev_lines(net, out);
		return mn_strbuf_error(out);
	}
	for (size_t i = 0; file && i < NFILES; i++)
		if (!strcmp(file, files[i].name))
			return sock_lines(net, &files[i], out);
	return -ENOENT;
}

/* --- /proc/net rows ------------------------------------------------------- */

static int proc_render(struct mn_kernel *k, const struct mn_vnode_ctx *ctx,
		       struct mn_strbuf *out)
{
	struct mn_net *net = mn_net_get(k);
	int ret = mn_net_render_proc(net, ctx->node->name, out);

	mn_net_put(net);
	return ret;
}

#define PROC_FILE(n) {n, S_IFREG | 0444, 0, proc_render, NULL, NULL, NULL, \
		      NULL, NULL}

const struct mn_synth_node mn_net_proc_nodes[] = {
	PROC_FILE("dev"),
	PROC_FILE("tcp"),
	PROC_FILE("tcp6"),
	PROC_FILE("udp"),
	PROC_FILE("udp6"),
	PROC_FILE("unix"),
	{NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
};
