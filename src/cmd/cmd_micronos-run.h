/*
 * cmd_micronos-run.h - the parts of micronos-run: its options.
 */
#ifndef MICRONOS_CMD_RUN_H
#define MICRONOS_CMD_RUN_H

#include <stdint.h>

#include "sandbox.h"

struct run_opts {
	const char *name;		/* instance name */
	const char *hostname;		/* --hostname, NULL: config's */
	char **argv;			/* the program and its arguments */
	uint32_t uid, gid;
	enum mn_prio_class prio;
	uint64_t mem_limit;
	const char *cwd;		/* ours unless --cwd */
	int cwd_strict;
	int show_events;
	char *cwd_buf;			/* owned */
	struct mn_sandbox_bind binds[MN_SANDBOX_MAX_BINDS];
	char *bind_bufs[MN_SANDBOX_MAX_BINDS];	/* owned copies */
	struct mn_sandbox_opts sb;	/* world options */
};

/*
 * Fills o from the command line.  Returns 0 to run, 1 after --help or
 * --version (exit 0), -EINVAL after printing a usage error.
 */
int run_parse_opts(struct run_opts *o, int argc, char **argv);
void run_free_opts(struct run_opts *o);

#endif
