/*
 * micronos - boot, attach to and shut down MicronOS instances.
 *
 *   micronos [up] [-n NAME] [--data DIR] [--mount DIR] [--runtime DIR] [-d]
 *   micronos shell [-n NAME] [--runtime DIR] [-c LINE]
 *   micronos down [-n NAME] [--runtime DIR]
 *   micronos status [-n NAME] [--runtime DIR]
 *
 * This file holds main(), the table of sub-commands with the options each
 * accepts, and attach_layers(): the one place where the layers that plug
 * into the core (the VFS, the FUSE mount, the sandbox, the network) attach
 * themselves to the kernel's boot stages and to the control socket.  The
 * rest of the program is in cmd_micronos_*.c (see micronos_i.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/ctl.h>
#include <micronos/kernel.h>
#include <micronos/net.h>
#include <micronos/vfs.h>

#include "micronos_i.h"
#include "cmd_idmap.h"
#include "fusefs.h"
#include "sandbox.h"

/* Options, as bits so each sub-command can say which it takes. */
enum {
	O_NAME = 1 << 0,
	O_RUNTIME = 1 << 1,
	O_DATA = 1 << 2,
	O_MOUNT = 1 << 3,
	O_DETACH = 1 << 4,
	O_LINE = 1 << 5,
	O_DETERMINISTIC = 1 << 6,
	O_QUIET = 1 << 7,
};

struct subcmd {
	const char *name;
	int (*run)(const struct mn_opts *o);
	unsigned opts;
	const char *usage;
	const char *help;
};

static int cmd_help(const struct mn_opts *o);

static const struct subcmd subcmds[] = {
	{"up", mn_cmd_up,
	 O_NAME | O_RUNTIME | O_DATA | O_MOUNT | O_DETACH | O_DETERMINISTIC |
		 O_QUIET,
	 "up [-n NAME] [--data DIR] [--mount DIR] [--runtime DIR] [-d] [-q]",
	 "boot an instance (foreground; its shell on a terminal; -d: "
	 "detach)"},
	{"shell", mn_cmd_shell, O_NAME | O_RUNTIME | O_LINE,
	 "shell [-n NAME] [--runtime DIR] [-c LINE]",
	 "attach a shell to a running instance (-c: run one line)"},
	{"down", mn_cmd_down, O_NAME | O_RUNTIME,
	 "down [-n NAME] [--runtime DIR]", "shut an instance down"},
	{"status", mn_cmd_status, O_NAME | O_RUNTIME,
	 "status [-n NAME] [--runtime DIR]",
	 "list running instances with uptime and process count"},
	{"help", cmd_help, 0, "help", "this text"},
};

#define NSUBCMDS (sizeof(subcmds) / sizeof(*subcmds))

static int cmd_help(const struct mn_opts *o)
{
	(void)o;
	printf("usage: micronos [COMMAND] [OPTIONS]\n\n");
	for (size_t i = 0; i < NSUBCMDS; i++)
		printf("  micronos %s\n      %s\n", subcmds[i].usage,
		       subcmds[i].help);
	printf("\nWith no command, micronos boots the default instance and "
	       "opens its shell.\nSee micronos(1).\n");
	return 0;
}

static const struct option long_opts[] = {
	{"name", required_argument, NULL, 'n'},
	{"runtime", required_argument, NULL, 'R'},
	{"data", required_argument, NULL, 'D'},
	{"mount", required_argument, NULL, 'M'},
	{"detach", no_argument, NULL, 'd'},
	{"command", required_argument, NULL, 'c'},
	{"deterministic", no_argument, NULL, 'T'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* clang-format off */
/* Which option bit a getopt result is. */
static unsigned opt_bit(int ch)
{
	switch (ch) {
	case 'n': return O_NAME;
	case 'R': return O_RUNTIME;
	case 'D': return O_DATA;
	case 'M': return O_MOUNT;
	case 'd': return O_DETACH;
	case 'c': return O_LINE;
	case 'T': return O_DETERMINISTIC;
	case 'q': return O_QUIET;
	default: return 0;
	}
}

static void set_opt(struct mn_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'n': o->name = arg; break;
	case 'R': o->runtime = arg; break;
	case 'D': o->data = arg; break;
	case 'M': o->mount = arg; break;
	case 'd': o->detach = 1; break;
	case 'c': o->line = arg; break;
	case 'T': o->deterministic = 1; break;
	case 'q': o->quiet = 1; break;
	}
}
/* clang-format on */

/* 0, or 2 after a usage message. */
static int parse_opts(const struct subcmd *sc, int argc, char **argv,
		      struct mn_opts *o)
{
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":n:dc:qh", long_opts, NULL)) !=
	       -1) {
		unsigned bit = opt_bit(ch);

		if (ch == 'h') {
			printf("usage: micronos %s\n", sc->usage);
			exit(0);
		}
		if (ch == ':' || ch == '?' || !(sc->opts & bit)) {
			if (ch == ':')
				fprintf(stderr, "micronos %s: option '%s' "
					"needs a value\n",
					sc->name, argv[optind - 1]);
			else
				fprintf(stderr, "micronos %s: unknown option "
					"'%s'\n",
					sc->name, argv[optind - 1]);
			fprintf(stderr, "usage: micronos %s\n", sc->usage);
			return 2;
		}
		set_opt(o, ch, optarg);
	}
	if (optind < argc) {
		fprintf(stderr, "micronos %s: unexpected argument '%s'\n"
			"usage: micronos %s\n",
			sc->name, argv[optind], sc->usage);
		return 2;
	}
	return 0;
}

/* Read by the fuse stage at boot, so they live as long as the program. */
static struct mn_fusefs_opts fuse_opts;
static struct mn_fusefs_idmap fuse_umaps[3], fuse_gmaps[3];
static struct mn_sandbox_ids world_ids;
static char fuse_mountpoint[PATH_MAX];

/*
 * The world's id map.  A user's mount reaches the sandbox's other ids only
 * with allow_other, which /etc/fuse.conf must allow: without it the
 * subordinate range would be ids that cannot even read the tree, so the
 * map falls back to the one id the mount lets in.  Said once, on stderr.
 */
static void choose_ids(struct mn_sandbox_ids *ids)
{
	mn_sandbox_ids_choose(ids, MN_SANDBOX_USER_UID);
	if (ids->mode == MN_SANDBOX_IDS_SUBID &&
	    !mn_fusefs_user_allow_other()) {
		ids->mode = MN_SANDBOX_IDS_SINGLE;
		ids->inside = MN_SANDBOX_USER_UID;
		ids->host_uid = (uint32_t)geteuid();
		ids->host_gid = (uint32_t)getegid();
		snprintf(ids->why, sizeof(ids->why),
			 "/etc/fuse.conf lacks user_allow_other: only "
			 "MicronOS uid %u maps onto you (uid %u); other ids "
			 "fail with EINVAL/EPERM",
			 ids->inside, (unsigned)ids->host_uid);
	}
	if (ids->mode == MN_SANDBOX_IDS_SINGLE)
		fprintf(stderr, "micronos: %s\n", ids->why);
}

int attach_layers(struct mn_kernel *k, struct mn_ctl *ctl,
		  const struct mn_inst *in, struct mn_strbuf *err)
{
	int ret;

	/*
	 * The VFS: its stage hook creates the tree (storage in the data
	 * dir) and wires the file syscalls; the shell's ls/cat/... use it.
	 */
	ret = mn_vfs_attach(k);
	if (ret < 0) {
		mn_strbuf_printf(err, "cannot attach the VFS: %s\n",
				 strerror(-ret));
		return ret;
	}
	/*
	 * The network: sockets, antennas and the peer link, in the net
	 * stage; the shell's network commands use it.
	 */
	ret = mn_net_attach(k);
	if (ret < 0) {
		mn_strbuf_printf(err, "cannot attach the network: %s\n",
				 strerror(-ret));
		return ret;
	}
	/*
	 * The sandbox (sandbox/service.c, added by the sandbox engineer):
	 * creates the sandbox world at the end of boot (after the FUSE
	 * mount), registers the ctl verb "run" for micronos-run and hooks
	 * the shell's spawn.  A world that cannot be created (not root)
	 * does not fail the boot.
	 */
	choose_ids(&world_ids);
	ret = mn_sandbox_service_attach(k, ctl, &world_ids, in->mount_dir,
					err);
	if (ret < 0)
		return ret;
	/*
	 * The FUSE mount of the whole tree at in->mount_dir, in the fuse
	 * stage, with the world's id rule (cmd_idmap.h).
	 */
	fuse_opts.nuid_map = cmd_fuse_idmap(&world_ids, 0, fuse_umaps);
	fuse_opts.ngid_map = cmd_fuse_idmap(&world_ids, 1, fuse_gmaps);
	snprintf(fuse_mountpoint, sizeof(fuse_mountpoint), "%s",
		 in->mount_dir);
	fuse_opts.mountpoint = fuse_mountpoint;
	fuse_opts.uid_map = fuse_umaps;
	fuse_opts.gid_map = fuse_gmaps;
	/* choose_ids said it: the mount admits this user alone */
	if (geteuid() != 0 && !mn_fusefs_user_allow_other())
		fuse_opts.flags |= MN_FUSEFS_NO_ALLOW_OTHER;
	ret = mn_fusefs_attach(k, &fuse_opts);
	if (ret < 0) {
		mn_strbuf_printf(err, "cannot attach the FUSE mount: %s\n",
				 strerror(-ret));
		return ret;
	}
	mn_ctl_set_info(ctl, "mount", in->mount_dir);
	return 0;
}

int main(int argc, char **argv)
{
	struct mn_opts o = {0};
	const struct subcmd *sc = &subcmds[0];	/* up */
	int first = 1, ret;

	if (argc > 1 && argv[1][0] != '-') {
		sc = NULL;
		for (size_t i = 0; i < NSUBCMDS; i++)
			if (!strcmp(argv[1], subcmds[i].name))
				sc = &subcmds[i];
		if (!sc) {
			fprintf(stderr, "micronos: unknown command '%s' (try "
				"'micronos help')\n",
				argv[1]);
			return 2;
		}
		first = 2;
	} else if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("micronos %s\n", MN_VERSION);
		return 0;
	} else if (argc > 1 && (!strcmp(argv[1], "--help") ||
				!strcmp(argv[1], "-h"))) {
		return cmd_help(&o);
	}
	/* getopt sees the sub-command's arguments with argv[0] in front. */
	argv[first - 1] = argv[0];
	ret = parse_opts(sc, argc - first + 1, argv + first - 1, &o);
	if (ret)
		return ret;
	return sc->run(&o);
}
