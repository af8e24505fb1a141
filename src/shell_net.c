/*
 * shell_net.c - the shell's network group: network, scan, discover,
 * antenna, ping, sockets.
 *
 * The network layer (sockets with TCP's state machine, UDP, antennas, peer
 * discovery) is its own part of MicronOS and stores its handle in the
 * kernel's MN_SLOT_NET when its boot stage starts.  Until that part exists
 * in this build, every network command says so plainly instead of pretending;
 * the network layer completes these commands by hooking them
 * (mn_shell_set_hook) with handlers of its own.
 */
#include <micronos/kernel.h>

#include "shell_i.h"

int mn_shell_cmd_network(struct mn_shell_ctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!mn_kernel_slot(c->k, MN_SLOT_NET))
		return mn_shell_fail(c, "needs the network layer (sockets, "
				     "antennas, peer discovery), which is not "
				     "loaded in this instance");
	return mn_shell_fail(c, "the network layer is loaded but has not "
			     "provided this command");
}
