/*
 * mn_skip.h - skipping a test that cannot run on this machine, honestly.
 *
 * Outside CI a test that needs root, a namespace or /dev/fuse skips itself
 * where they are missing: MN_SKIP() counts the skip and tells cmocka, and
 * main returns MN_SKIP_STATUS(cmocka_run_group_tests(...)), which is 77
 * when something was skipped and nothing failed.  CMake sets
 * SKIP_RETURN_CODE 77 on every test, so ctest reports such a binary as
 * skipped, never as passed.  CI (CI set in the environment) runs as root on
 * a machine that has them all, so there a skip means something broke: it
 * fails.  Include after <cmocka.h>.
 */
#ifndef MN_TEST_SKIP_H
#define MN_TEST_SKIP_H

#include <stdio.h>
#include <stdlib.h>

#define MN_SKIP_EXIT 77	/* SKIP_RETURN_CODE in CMakeLists.txt */

/* The skips of this process (cmocka runs every test in it). */
static inline int *mn_skip_count(void)
{
	static int n;

	return &n;
}

#define MN_SKIP()                                                            \
	do {                                                                 \
		if (getenv("CI"))                                            \
			fail_msg("cannot run here, and CI allows no skip");  \
		(*mn_skip_count())++;                                        \
		skip();                                                      \
	} while (0)

/*
 * For a binary none of whose tests can run here (a skip() in a cmocka
 * setup counts as an error, not a skip): main returns mn_skip_all(why)
 * before running them.
 */
static inline int mn_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	if (getenv("CI")) {
		fprintf(stderr, "CI allows no skip: this is a failure\n");
		return 1;
	}
	return MN_SKIP_EXIT;
}

/* main's status: cmocka's failure count, else 77 if any test skipped. */
#define MN_SKIP_STATUS(failed)                                               \
	((failed) ? (failed) : *mn_skip_count() ? MN_SKIP_EXIT : 0)

#endif
