/*
 * cmd_micronos-run_opts.c - micronos-run's command line.
 *
 * Options stop at the first non-option word (the program), so the
 * program's own options never need "--".  Every bad value is reported with
 * the option's name and the usage line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/fault.h>

#include "cmd_micronos-run.h"

static const char usage[] =
	"usage: micronos-run [-n NAME] [OPTIONS] [--] PROGRAM [ARGS...]\n"
	"  -n, --name NAME        instance name (default: default)\n"
	"      --runtime DIR      the instance's runtime directory\n"
	"      --throwaway        boot a private instance even if NAME runs\n"
	"      --root             run as MicronOS root (uid 0)\n"
	"  -u, --uid UID          run as this MicronOS uid (default 1000)\n"
	"  -g, --gid GID          group (default: same as uid)\n"
	"      --net MODE         none (own loopback only, default),\n"
	"                         loopback (the host's loopback) or host\n"
	"      --bind SRC[:DST]   bind a host path read-write\n"
	"      --ro-bind SRC[:DST] bind a host path read-only\n"
	"  -m, --mem SIZE         address-space limit (e.g. 512M, 2G)\n"
	"  -p, --prio CLASS       idle, low, normal, high or urgent\n"
	"      --hostname NAME    hostname inside (default: kernel.hostname)\n"
	"  -C, --cwd DIR          working directory inside (must exist)\n"
	"      --trace            publish every open as a Disk event\n"
	"      --events           print the instance's events at exit\n"
	"      --fault RULE       make the program's calls fail on purpose\n"
	"                         (repeatable; micronos(7), FAULTS)\n"
	"      --seed N           a reproducible world: seeded random devices\n"
	"                         and fault rules (a private instance)\n"
	"  -h, --help             this text\n";

enum {
	OPT_ROOT = 256, OPT_NET, OPT_BIND, OPT_ROBIND, OPT_HOSTNAME,
	OPT_TRACE, OPT_EVENTS, OPT_VERSION, OPT_RUNTIME, OPT_THROWAWAY,
	OPT_FAULT, OPT_SEED,
};

static const struct option longopts[] = {
	{"name", required_argument, NULL, 'n'},
	{"runtime", required_argument, NULL, OPT_RUNTIME},
	{"throwaway", no_argument, NULL, OPT_THROWAWAY},
	{"root", no_argument, NULL, OPT_ROOT},
	{"uid", required_argument, NULL, 'u'},
	{"gid", required_argument, NULL, 'g'},
	{"net", required_argument, NULL, OPT_NET},
	{"bind", required_argument, NULL, OPT_BIND},
	{"ro-bind", required_argument, NULL, OPT_ROBIND},
	{"mem", required_argument, NULL, 'm'},
	{"prio", required_argument, NULL, 'p'},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"cwd", required_argument, NULL, 'C'},
	{"trace", no_argument, NULL, OPT_TRACE},
	{"events", no_argument, NULL, OPT_EVENTS},
	{"fault", required_argument, NULL, OPT_FAULT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "micronos-run: %s %s: %s\n%s", opt, val, why, usage);
	return -EINVAL;
}

static int parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v >= MN_SANDBOX_ID_COUNT)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int add_bind(struct run_opts *o, const char *arg, int writable)
{
	size_t i = o->sb.nbinds;
	char *copy, *colon;

	if (i >= MN_SANDBOX_MAX_BINDS)
		return bad("--bind", arg, "too many binds");
	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	o->bind_bufs[i] = copy;
	colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	if (copy[0] != '/' && copy[0] != '.' && !colon)
		return bad("--bind", arg, "the source must be a path");
	o->binds[i].src = copy;
	o->binds[i].dst = colon && *colon ? colon : NULL;
	o->binds[i].writable = writable;
	if (!o->binds[i].dst && copy[0] != '/')
		return bad("--bind", arg, "a relative source needs :DST");
	o->sb.nbinds++;
	return 0;
}

/*
 * Checks a --fault rule here, so a typo is reported before anything runs
 * (the instance checks it again when it adds it with tree=PID).
 */
static int add_fault(struct run_opts *o, const char *rule)
{
	struct mn_strbuf why = MN_STRBUF_INIT;
	struct mn_faults *f = NULL;
	char *probe = NULL;
	int e;

	e = mn_faults_create(&f, NULL, NULL, NULL, 1);
	if (e == 0 && strchr(rule, '\n'))
		e = -EINVAL;
	if (e == 0 && asprintf(&probe, "%s tree=1", rule) < 0)
		e = -ENOMEM;
	if (e == 0)
		e = mn_faults_add(f, probe, &why);
	if (e >= 0) {
		mn_strbuf_printf(&o->faults, "%s%s", o->faults.len ? "\n" : "",
				 rule);
		e = 0;
	} else {
		e = bad("--fault", rule, why.len ? mn_strbuf_str(&why) :
			"not a rule");
	}
	mn_strbuf_release(&why);
	mn_faults_destroy(f);
	free(probe);
	return e;
}

static int parse_one(struct run_opts *o, int c, int *gid_set)
{
	int e;

	switch (c) {
	case 'n': o->name = optarg; o->named = 1; return 0;
	case OPT_RUNTIME: o->runtime = optarg; o->named = 1; return 0;
	case OPT_THROWAWAY: o->throwaway = 1; return 0;
	case OPT_ROOT: o->uid = 0; if (!*gid_set) o->gid = 0; return 0;
	case 'u':
		if (parse_id(optarg, &o->uid) < 0)
			return bad("--uid", optarg, "not a uid (0..65535)");
		if (!*gid_set)
			o->gid = o->uid;
		return 0;
	case 'g':
		*gid_set = 1;
		return parse_id(optarg, &o->gid) < 0 ?
		       bad("--gid", optarg, "not a gid (0..65535)") : 0;
	case OPT_NET:
		if (!strcmp(optarg, "none")) {
			o->sb.net = MN_SANDBOX_NET_NONE;
		} else if (!strcmp(optarg, "loopback")) {
			/* the host's loopback: a world of its own */
			o->sb.net = MN_SANDBOX_NET_LOOPBACK;
			o->world = 1;
		} else if (!strcmp(optarg, "host")) {
			o->sb.net = MN_SANDBOX_NET_HOST;
			o->world = 1;
		} else {
			return bad("--net", optarg, "none, loopback or host");
		}
		return 0;
	/* binds, host network and hostname shape the world: see
	   micronos-run(1), "Running instances" */
	case OPT_BIND: o->world = 1; return add_bind(o, optarg, 1);
	case OPT_ROBIND: o->world = 1; return add_bind(o, optarg, 0);
	case 'm':
		return mn_sandbox_parse_size(optarg, &o->mem_limit) < 0 ?
		       bad("--mem", optarg, "a size like 512M or 2G") : 0;
	case 'p':
		e = mn_prio_parse(optarg);
		if (e < 0)
			return bad("--prio", optarg,
				   "idle, low, normal, high or urgent");
		o->prio = (enum mn_prio_class)e;
		return 0;
	case OPT_HOSTNAME: o->hostname = optarg; o->world = 1; return 0;
	case 'C': o->cwd = optarg; o->cwd_strict = 1; return 0;
	case OPT_TRACE: o->sb.trace_files = 1; return 0;
	case OPT_EVENTS: o->show_events = 1; return 0;
	case OPT_FAULT: return add_fault(o, optarg);
	case OPT_SEED: {
		char *end;

		errno = 0;
		o->seed = strtoull(optarg, &end, 10);
		if (errno || end == optarg || *end || *optarg == '-' ||
		    o->seed == 0 || o->seed > INT64_MAX)
			return bad("--seed", optarg, "a number from 1");
		/* the seed shapes the instance: a world of its own */
		o->seeded = o->world = 1;
		return 0;
	}
	case 'h': fputs(usage, stdout); return 1;
	case OPT_VERSION: printf("micronos-run %s\n", MN_VERSION); return 1;
	default: fputs(usage, stderr); return -EINVAL;
	}
}

int run_parse_opts(struct run_opts *o, int argc, char **argv)
{
	int c, e, gid_set = 0;

	memset(o, 0, sizeof(*o));
	o->name = "default";
	o->uid = o->gid = MN_SANDBOX_USER_UID;
	o->prio = MN_PRIO_DEFAULT;
	o->sb.binds = o->binds;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:u:g:m:p:C:h", longopts,
				NULL)) != -1)
		if ((e = parse_one(o, c, &gid_set)) != 0)
			return e;
	if (optind >= argc) {
		fprintf(stderr, "micronos-run: no program given\n%s", usage);
		return -EINVAL;
	}
	o->argv = argv + optind;
	if (!o->cwd) {
		o->cwd_buf = getcwd(NULL, 0);
		o->cwd = o->cwd_buf;
	}
	return 0;
}

void run_free_opts(struct run_opts *o)
{
	size_t i;

	for (i = 0; i < MN_SANDBOX_MAX_BINDS; i++)
		free(o->bind_bufs[i]);
	mn_strbuf_release(&o->faults);
	free(o->cwd_buf);
}
