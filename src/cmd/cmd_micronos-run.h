/*
 * cmd_micronos-run.h - the parts of micronos-run:
 *
 *   micronos-run.c                 main, the throwaway instance
 *   cmd_micronos-run_opts.c        the command line
 *   cmd_micronos-run_remote.c      running through a running instance
 *   cmd_micronos-run_tty.c         the user's terminal: raw while it runs
 */
#ifndef MICRONOS_CMD_RUN_H
#define MICRONOS_CMD_RUN_H

#include <stdint.h>

#include "sandbox.h"

struct run_opts {
	const char *name;		/* instance name */
	int named;			/* -n or --runtime was given */
	const char *runtime;		/* --runtime DIR (the instance's) */
	int throwaway;			/* --throwaway: never a running one */
	int world;			/* options that need a world of their
					   own (--bind, --net host, ...) */
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
	struct mn_strbuf faults;	/* --fault rules, one per line */
	int seeded;			/* --seed given: a reproducible world */
	uint64_t seed;
	const char *seed_mount;		/* the seeded world's mount point */
};

/*
 * --seed: attaches the VFS and a FUSE mount on a temporary directory to
 * the throwaway instance k (before boot) and makes it the sandbox's root
 * (cmd_micronos-run_seed.c).  run_seed_cleanup() removes the directory
 * once the instance is gone.
 */
struct mn_kernel;
int run_seed_attach(struct mn_kernel *k, struct run_opts *o,
		    const struct mn_sandbox_ids *ids, struct mn_strbuf *err);
void run_seed_cleanup(struct run_opts *o);

/*
 * Fills o from the command line.  Returns 0 to run, 1 after --help or
 * --version (exit 0), -EINVAL after printing a usage error.
 */
int run_parse_opts(struct run_opts *o, int argc, char **argv);
void run_free_opts(struct run_opts *o);

/*
 * Runs the program through the running instance o->name: 0 with *code set
 * (what micronos-run exits with), -ENOENT / -ECONNREFUSED when no instance
 * runs there (the caller boots a throwaway one), or another -errno after
 * printing why.  The terminal signals must be blocked.
 */
int run_remote(const struct run_opts *o, char *const *env, int *code);

/* The user's terminal (fd 0, if it is one): saved at the start, raw once
   the program runs on its own terminal inside, restored at the end. */
void run_tty_save(void);
void run_tty_raw(void);
void run_tty_restore(void);

#endif
