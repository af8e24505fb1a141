/*
 * faults.c - the sandbox's side of fault injection (fault.h): rules that a
 * run brings along (micronos-run --fault), and the trapped calls' check.
 *
 * A run's rules are added with tree=PID once the program is registered
 * and before its listener starts: the program's execve is trapped, so it
 * cannot run a single instruction of its own before its rules hold.  They
 * are removed when the program exits.
 *
 * Trapped calls ask the rules by their Linux name before they are
 * translated; calls the filter does not trap get their faults from the
 * layer that serves them (the mount's file operations, vfs_file.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <micronos/fault.h>
#include <micronos/kernel.h>
#include <micronos/proc.h>

#include "sandbox_i.h"

int sbx_faults_attach(struct mn_sandbox *sb, const char *rules, int32_t pid,
		      unsigned *ids, unsigned max, unsigned *n,
		      struct mn_strbuf *err)
{
	struct mn_faults *f = mn_kernel_faults(sb->k);
	char rule[MN_FAULT_RULE_MAX + 32];
	const char *at = rules, *nl;
	int id;

	*n = 0;
	while (at && *at) {
		size_t len;

		nl = strchr(at, '\n');
		len = nl ? (size_t)(nl - at) : strlen(at);
		if (*n == max || len > MN_FAULT_RULE_MAX) {
			mn_strbuf_printf(err, "too many or too long fault "
					 "rules (at most %u)", max);
			goto fail;
		}
		snprintf(rule, sizeof(rule), "%.*s tree=%d", (int)len, at,
			 (int)pid);
		id = mn_faults_add(f, rule, NULL);
		if (id < 0) {
			struct mn_strbuf why = MN_STRBUF_INIT;

			mn_faults_add(f, rule, &why);	/* to say why */
			mn_strbuf_printf(err, "fault rule '%.*s': %s",
					 (int)len, at, mn_strbuf_str(&why));
			mn_strbuf_release(&why);
			goto fail;
		}
		ids[(*n)++] = (unsigned)id;
		at = nl ? nl + 1 : NULL;
	}
	return 0;
fail:
	sbx_faults_detach(sb, ids, n);
	return -EINVAL;
}

void sbx_faults_detach(struct mn_sandbox *sb, unsigned *ids, unsigned *n)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		mn_faults_remove(mn_kernel_faults(sb->k), ids[i]);
	*n = 0;
}

int sbx_faults_name_fork(const char *rules)
{
	static const char *const words[] = {"fork", "clone", "vfork", "*"};
	const char *at = rules;
	size_t i, len;

	while (at && *at) {
		at += strspn(at, " \t");
		len = strcspn(at, " \t\n");
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (len == strlen(words[i]) &&
			    strncmp(at, words[i], len) == 0)
				return 1;
		at = strchr(at, '\n');
		at = at ? at + 1 : NULL;
	}
	return 0;
}

long sbx_fault_call(struct mn_sandbox *sb, const char *call, int32_t pid)
{
	struct mn_faults *f = mn_kernel_faults(sb->k);
	struct mn_fault_query q = {call, NULL, pid, -1, 0};
	struct mn_proc_info info;
	struct mn_fault_hit hit;

	if (!f || !mn_faults_count(f))
		return 0;
	if (mn_proc_get(sb->procs, pid, &info) == 0)
		q.uid = info.uid;
	if (!mn_fault_check(f, &q, &hit))
		return 0;
	mn_fault_delay(&hit);
	return hit.error;
}
