/*
 * shell_complete.c - tab completion for the shell, computed by the kernel.
 *
 * The client sends the text before the cursor ("complete LINE" on the
 * control socket) and gets candidates for its last word, so completion knows
 * what the running instance knows: its config keys, drivers, pids, channels
 * and timers, not a list baked into the client.  The word position is
 * matched against the command table: the first word completes command names,
 * a sub-command position completes the sub words of that command's rows,
 * and argument positions complete by the kind letters in the row's
 * `complete` column (see the table in shell.c).
 *
 * Words are split on blanks only; a quote inside the word being completed
 * simply makes nothing match, which is the right answer for a quoted word.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/evbus.h>
#include <micronos/ipc.h>
#include <micronos/kernel.h>
#include <micronos/log.h>
#include <micronos/net.h>
#include <micronos/posix.h>
#include <micronos/proc.h>
#include <micronos/signal.h>
#include <micronos/syscall.h>
#include <micronos/timer.h>
#include <micronos/vfs.h>

#include "shell_i.h"

#define CAND_MAX 2000
#define WORDS_MAX 16

struct cands {
	const char *prefix;	/* the word being completed */
	size_t plen;
	char **v;
	size_t n, cap;
};

static void cand(struct cands *cs, const char *s)
{
	char *dup;

	if (strncmp(s, cs->prefix, cs->plen) || cs->n >= CAND_MAX)
		return;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 32;
		char **v = realloc(cs->v, cap * sizeof(*v));

		if (!v)
			return;
		cs->v = v;
		cs->cap = cap;
	}
	dup = strdup(s);
	if (dup)
		cs->v[cs->n++] = dup;
}

static void candf(struct cands *cs, const char *fmt, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, v);
	cand(cs, buf);
}

/* --- argument kinds ------------------------------------------------------ */

static void kind_config(struct mn_kernel *k, struct cands *cs)
{
	struct mn_config *cfg = mn_kernel_config(k);
	int n = mn_config_list(cfg, cs->prefix, NULL, 0);
	struct mn_config_info *v;

	if (n <= 0)
		return;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return;
	n = mn_config_list(cfg, cs->prefix, v, (size_t)n);
	for (int i = 0; i < n; i++)
		cand(cs, v[i].name);
	free(v);
}

static void kind_drivers(struct mn_kernel *k, struct cands *cs)
{
	struct mn_driver_info v[MN_DRIVERS_MAX];
	struct mn_drivers *d = mn_kernel_drivers(k);
	size_t n = d ? mn_drivers_list(d, v, MN_DRIVERS_MAX) : 0;

	for (size_t i = 0; i < n && i < MN_DRIVERS_MAX; i++)
		cand(cs, v[i].name);
}

static void kind_pids(struct mn_kernel *k, struct cands *cs)
{
	int32_t pids[CAND_MAX];
	size_t n = mn_proc_pids(mn_kernel_procs(k), pids, CAND_MAX);

	for (size_t i = 0; i < n && i < CAND_MAX; i++)
		candf(cs, "%lld", pids[i]);
}

static void kind_channels(struct mn_kernel *k, struct cands *cs)
{
	struct mn_ipc_info *v = calloc(256, sizeof(*v));
	int n = v ? mn_ipc_list(mn_kernel_ipc(k), v, 256) : 0;

	for (int i = 0; i < n && i < 256; i++) {
		candf(cs, "%lld", v[i].id);
		cand(cs, v[i].name);
	}
	free(v);
}

static void kind_timers(struct mn_kernel *k, struct cands *cs)
{
	struct mn_timer_info *v = calloc(256, sizeof(*v));
	int n = v ? mn_timers_list(mn_kernel_timers(k), v, 256) : 0;

	for (int i = 0; i < n && i < 256; i++)
		candf(cs, "%lld", v[i].id);
	free(v);
}

static void kind_syscalls(struct mn_kernel *k, struct cands *cs)
{
	struct mn_syscall_info *v = calloc(MN_SYSCALL_ROWS_MAX, sizeof(*v));
	size_t n = v ? mn_syscall_list(mn_kernel_syscalls(k), v,
				       MN_SYSCALL_ROWS_MAX)
		     : 0;

	for (size_t i = 0; i < n && i < MN_SYSCALL_ROWS_MAX; i++) {
		cand(cs, v[i].name);
		candf(cs, "%lld", v[i].nr);
	}
	free(v);
}

static void kind_antennas(struct mn_kernel *k, struct cands *cs)
{
	struct mn_net_antenna_info v[8];
	struct mn_net *net = mn_net_get(k);
	size_t n;

	if (!net)
		return;
	n = mn_net_antenna_list(net, v, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		cand(cs, v[i].name);
	mn_net_put(net);
}

static int path_fill(void *arg, const char *name, uint64_t st_ino,
		     unsigned dtype, off_t next)
{
	struct cands *cs = arg;
	/* The directory part of the word is in front of every candidate. */
	const char *slash = strrchr(cs->prefix, '/');
	size_t dlen = slash ? (size_t)(slash - cs->prefix) + 1 : 0;
	char buf[MN_VFS_PATH_MAX];

	(void)st_ino;
	(void)next;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)dlen, cs->prefix, name,
		 dtype == DT_DIR ? "/" : "");
	cand(cs, buf);
	return cs->n >= CAND_MAX;
}

static void kind_paths(struct mn_kernel *k, struct cands *cs)
{
	struct mn_vfs *vfs = mn_vfs_of(k);
	const char *slash = strrchr(cs->prefix, '/');
	char dir[MN_VFS_PATH_MAX];
	struct mn_vfs_file *f;

	if (!vfs)
		return;
	if (!slash)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s",
			 (int)(slash - cs->prefix) + 1, cs->prefix);
	if (mn_vfs_open_path(vfs, &mn_vfs_cred_kernel, "/", dir,
			     O_RDONLY | O_DIRECTORY, 0, &f) < 0)
		return;
	mn_vfs_readdir(f, 0, path_fill, cs);
	mn_vfs_releasedir(f);
}

static void kind_static(char kind, struct cands *cs)
{
	switch (kind) {
	case 'e':
		for (int i = 0; i < MN_EVC__COUNT; i++)
			cand(cs, mn_event_class_name(i));
		break;
	case 's':
		for (int i = 0; i < MN_SRC__COUNT; i++)
			cand(cs, mn_event_source_name(i));
		break;
	case 'a':
		for (int i = 0; i < MN_DRV_OP__COUNT; i++)
			cand(cs, mn_drv_op_name(i));
		break;
	case 'l':
		for (int i = 0; i < MN_LOG__COUNT; i++)
			cand(cs, mn_log_level_name(i));
		break;
	case 'g':
		for (int i = 1; i < 32; i++) {
			const char *n = mn_signal_name(i);

			if (n && !strncmp(n, "SIG", 3))
				cand(cs, n + 3);
		}
		break;
	case 'u':
		cand(cs, "up");
		cand(cs, "down");
		break;
	case 'o':
		for (size_t i = 0; i < mn_errno_count(); i++) {
			const char *name;

			if (mn_errno_at(i, NULL, &name, NULL) == 0)
				cand(cs, name);
		}
		break;
	}
}

static void kind(struct mn_kernel *k, char kind, struct cands *cs)
{
	switch (kind) {
	case 'c': {
		size_t n;
		const struct mn_shell_cmd *t = mn_shell_commands(&n);

		for (size_t i = 0; i < n; i++)
			cand(cs, t[i].name);
		break;
	}
	case 'k':
		kind_config(k, cs);
		break;
	case 'd':
		kind_drivers(k, cs);
		break;
	case 'p':
		kind_pids(k, cs);
		break;
	case 'h':
		kind_channels(k, cs);
		break;
	case 't':
		kind_timers(k, cs);
		break;
	case 'n':
		kind_syscalls(k, cs);
		break;
	case 'f':
		kind_paths(k, cs);
		break;
	case 'w':
		kind_antennas(k, cs);
		break;
	default:
		kind_static(kind, cs);
	}
}

/* --- word positions ------------------------------------------------------ */

/* Candidates for word `idx` given the words before it. */
static void complete_at(struct mn_kernel *k, char **w, int idx,
			struct cands *cs)
{
	size_t n;
	const struct mn_shell_cmd *t = mn_shell_commands(&n);

	if (idx == 0) {
		kind(k, 'c', cs);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mn_shell_cmd *r = &t[i];
		int pos, sub_before = r->sub && r->sub_at < idx;

		if (strcmp(r->name, w[0]))
			continue;
		if (r->sub && r->sub_at == idx) {
			cand(cs, r->sub);
			continue;
		}
		if (sub_before && strcmp(w[r->sub_at], r->sub))
			continue;
		pos = idx - 1 - sub_before;
		if (pos < (int)strlen(r->complete))
			kind(k, r->complete[pos], cs);
	}
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int mn_shell_complete(struct mn_kernel *k, const char *line,
		      struct mn_strbuf *out)
{
	char *copy = strndup(line, MN_SHELL_LINE_MAX);
	char *w[WORDS_MAX], *save = NULL, *tok;
	struct cands cs = {0};
	int nw = 0, count = 0;
	size_t len;

	if (!copy)
		return -ENOMEM;
	len = strlen(copy);
	for (tok = strtok_r(copy, " \t", &save); tok && nw < WORDS_MAX;
	     tok = strtok_r(NULL, " \t", &save))
		w[nw++] = tok;
	/* After a blank, the word being completed is a new, empty one. */
	if (nw == 0 || (len && (line[len - 1] == ' ' ||
				line[len - 1] == '\t')))
		cs.prefix = "";
	else
		cs.prefix = w[--nw];
	cs.plen = strlen(cs.prefix);
	if (nw < WORDS_MAX)
		complete_at(k, w, nw, &cs);
	if (cs.n)
		qsort(cs.v, cs.n, sizeof(*cs.v), by_str);
	for (size_t i = 0; i < cs.n; i++) {
		if (i == 0 || strcmp(cs.v[i], cs.v[i - 1])) {
			mn_strbuf_printf(out, "%s\n", cs.v[i]);
			count++;
		}
	}
	for (size_t i = 0; i < cs.n; i++)
		free(cs.v[i]);
	free(cs.v);
	free(copy);
	return count;
}
