/*
 * mn_skip.h - skipping a test that cannot run on this machine.
 *
 * Outside CI a test that needs root, a namespace or /dev/fuse skips itself
 * where they are missing.  CI (CI set in the environment) runs as root on a
 * machine that has them all, so there a skip means something broke: it
 * fails.  Include after <cmocka.h>.
 */
#ifndef MN_TEST_SKIP_H
#define MN_TEST_SKIP_H

#include <stdlib.h>

#define MN_SKIP()                                                            \
	do {                                                                 \
		if (getenv("CI"))                                            \
			fail_msg("cannot run here, and CI allows no skip");  \
		skip();                                                      \
	} while (0)

#endif
