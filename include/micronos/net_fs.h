/*
 * net_fs - the network's generated files, as rows for the VFS's synthetic
 * file systems (vfs.h): /proc/net and /sys/class/net.
 *
 * The owners of /proc and /sys put them in their trees:
 *
 *   in /proc's root table:
 *     {"net", S_IFDIR | 0555, .children = mn_net_proc_nodes},
 *   in /sys/class's table:
 *     {"net", S_IFDIR | 0555, .dyn = &mn_net_sys_class_dyn},
 *
 * /proc/net holds tcp, tcp6, udp, udp6, unix and dev in Linux's formats
 * (what netstat and ifconfig parse); each antenna of /sys/class/net has
 * operstate (writable: "up" or "down"), mtu, address, carrier, ifindex,
 * type, flags, peers and statistics/.  The callbacks find the network
 * with mn_net_get(k); without one, the /proc/net files hold their header
 * only and /sys/class/net is empty.  Text comes from mn_net_render_proc()
 * and mn_net_render_sys() (net.h), which the shell may call too.
 */
#ifndef MICRONOS_NET_FS_H
#define MICRONOS_NET_FS_H

#include <micronos/vfs.h>

/* The files of /proc/net, NULL-name-terminated. */
extern const struct mn_synth_node mn_net_proc_nodes[];
/* The antennas of /sys/class/net, one directory each. */
extern const struct mn_synth_dir_ops mn_net_sys_class_dyn;

#endif
