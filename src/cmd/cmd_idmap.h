/*
 * cmd_idmap.h - the mount's id map of a world, for both programs that
 * mount MicronOS's tree (micronos up, micronos-run --seed): one rule,
 * written once (ARCHITECTURE.md, "Ids").
 *
 * A root world: MicronOS ids 0-65535 are the world's host ids (base to
 * base + 65535, the sandbox's user namespace, so inside they show as
 * themselves); host ids below the base are MicronOS ids 65536 up (host
 * uid H is MicronOS 65536 + H), so a host user's files show as its own on
 * the host; ids past the world's range are the same on both sides.  A
 * rootless world (subordinate ids) admits its owner alone, as MicronOS
 * root; with a single-id map the mount cannot tell the user's programs
 * from the user: both are the owner, root to the tree (inside the
 * namespace the program is still its one uid).
 */
#ifndef MICRONOS_CMD_IDMAP_H
#define MICRONOS_CMD_IDMAP_H

#include <stdint.h>
#include <unistd.h>

#include "fusefs.h"
#include "sandbox.h"

/* Fills l (3 lines) for uids (gid 0) or gids; returns how many. */
static inline unsigned cmd_fuse_idmap(const struct mn_sandbox_ids *ids,
				      int gid, struct mn_fusefs_idmap *l)
{
	uint32_t self = gid ? (uint32_t)getegid() : (uint32_t)geteuid();
	uint32_t base = gid ? ids->gid_base : ids->uid_base;

	switch (ids->mode) {
	case MN_SANDBOX_IDS_SINGLE:
		l[0] = (struct mn_fusefs_idmap){0, self, 1};
		l[1] = (struct mn_fusefs_idmap){ids->inside, self, 1};
		return 2;
	case MN_SANDBOX_IDS_SUBID:
		l[0] = (struct mn_fusefs_idmap){0, base, MN_SANDBOX_ID_COUNT};
		l[1] = (struct mn_fusefs_idmap){0, self, 1};
		return 2;
	default:
		l[0] = (struct mn_fusefs_idmap){0, base, MN_SANDBOX_ID_COUNT};
		l[1] = (struct mn_fusefs_idmap){MN_SANDBOX_ID_COUNT, 0, base};
		l[2] = (struct mn_fusefs_idmap){
			base + MN_SANDBOX_ID_COUNT, base + MN_SANDBOX_ID_COUNT,
			UINT32_MAX - (base + MN_SANDBOX_ID_COUNT)};
		return 3;
	}
}

#endif
