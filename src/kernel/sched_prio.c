/*
 * sched_prio - the priority classes of sched.h.
 *
 * The class table is the one place where MicronOS priorities meet the host's
 * (nice values and cgroup v2 weights); the sandbox applies it to real
 * programs and /sys and the shell show it, all through these functions.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <strings.h>

#include <micronos/sched.h>

#include "texttable_i.h"

/* See the why-column in sched.h; weights follow sched_prio_to_weight/10.24. */
static const struct mn_prio_desc prio_table[MN_PRIO__COUNT] = {
	[MN_PRIO_IDLE] = {"idle", 19, 1},
	[MN_PRIO_LOW] = {"low", 10, 11},
	[MN_PRIO_NORMAL] = {"normal", 0, 100},
	[MN_PRIO_HIGH] = {"high", -10, 932},
	[MN_PRIO_URGENT] = {"urgent", -20, 8668},
};

const struct mn_prio_desc *mn_prio_desc(enum mn_prio_class cls)
{
	if ((unsigned)cls >= MN_PRIO__COUNT)
		return NULL;
	return &prio_table[cls];
}

const char *mn_prio_name(enum mn_prio_class cls)
{
	const struct mn_prio_desc *d = mn_prio_desc(cls);

	return d ? d->name : "?";
}

int mn_prio_parse(const char *name)
{
	int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < MN_PRIO__COUNT; i++)
		if (strcasecmp(name, prio_table[i].name) == 0)
			return i;
	if (name[0] >= '0' && name[0] < '0' + MN_PRIO__COUNT && !name[1])
		return name[0] - '0';
	return -EINVAL;
}

int mn_prio_nice(enum mn_prio_class cls)
{
	const struct mn_prio_desc *d = mn_prio_desc(cls);

	return d ? d->nice : 0;
}

unsigned mn_prio_cpu_weight(enum mn_prio_class cls)
{
	const struct mn_prio_desc *d = mn_prio_desc(cls);

	return d ? d->cpu_weight : 100;
}

enum mn_prio_class mn_prio_from_nice(int nice)
{
	enum mn_prio_class best = MN_PRIO_NORMAL;
	int best_d = INT_MAX, i;

	if (nice < MN_NICE_MIN)
		nice = MN_NICE_MIN;
	if (nice > MN_NICE_MAX)
		nice = MN_NICE_MAX;
	for (i = 0; i < MN_PRIO__COUNT; i++) {
		int d = abs(prio_table[i].nice - nice);
		int closer_to_normal = abs(i - MN_PRIO_NORMAL) <
				       abs((int)best - MN_PRIO_NORMAL);

		if (d < best_d || (d == best_d && closer_to_normal)) {
			best = (enum mn_prio_class)i;
			best_d = d;
		}
	}
	return best;
}

int mn_prio_format_table(struct mn_strbuf *out)
{
	struct mn_texttable t;
	int i, ret;

	mn_texttable_init_header(&t, "class|>nice|>weight");
	for (i = 0; i < MN_PRIO__COUNT; i++) {
		mn_texttable_cell(&t, "%s", prio_table[i].name);
		mn_texttable_cell(&t, "%d", prio_table[i].nice);
		mn_texttable_cell(&t, "%u", prio_table[i].cpu_weight);
	}
	ret = mn_texttable_render(&t, out);
	mn_texttable_release(&t);
	return ret < 0 ? ret : mn_strbuf_error(out);
}
