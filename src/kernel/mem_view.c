/*
 * mem_view.c - the one memory model of MicronOS (see <micronos/memview.h>):
 * the RAM its processes may use and do use, beside the region manager's
 * address space.
 *
 * Used RAM is summed from the host's /proc of each process with a real
 * program (init is the daemon, getpid()), read at the call: resident
 * pages and the shared part from statm, faults from stat.  That is the
 * same source the process view (pview.h) reads for each row of ps, so the
 * total and the rows agree.  Total RAM is the host's, capped by the
 * memory.max of the daemon's cgroup (cgroup v2) when it has one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <micronos/kernel.h>
#include <micronos/mem.h>
#include <micronos/memview.h>
#include <micronos/proc.h>

/* The whole of a small host file, NUL-terminated, in buf; its length. */
static ssize_t host_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* memory.max of the daemon's cgroup v2, or 0 for none ("max"). */
static uint64_t cgroup_limit(void)
{
	char line[512], path[640];
	char *p;

	if (host_small("/proc/self/cgroup", line, sizeof(line)) <= 0 ||
	    strncmp(line, "0::", 3) != 0)
		return 0;
	p = strchr(line, '\n');
	if (p)
		*p = '\0';
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max",
		 strcmp(line + 3, "/") ? line + 3 : "");
	if (host_small(path, line, sizeof(line)) <= 0 ||
	    line[0] < '0' || line[0] > '9')
		return 0;
	return strtoull(line, NULL, 10);
}

struct ram_walk {
	struct mn_memview *v;
	uint64_t page;
};

static void add_program(struct ram_walk *w, int32_t hp)
{
	unsigned long long size, res, shared;
	char path[64], buf[1024];
	const char *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)hp);
	if (host_small(path, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%llu %llu %llu", &size, &res, &shared) != 3)
		return;	/* it just exited */
	w->v->used += res * w->page;
	w->v->file += shared * w->page;
	w->v->anon += (res > shared ? res - shared : 0) * w->page;
	w->v->holders++;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)hp);
	if (host_small(path, buf, sizeof(buf)) <= 0 ||
	    !(p = strrchr(buf, ')')))
		return;
	/* after ") ": field 3; minflt is 10, majflt 12 */
	for (i = 3; i < 10 && p; i++)
		p = strchr(p + 1, ' ');
	if (p)
		w->v->faults += strtoull(p + 1, NULL, 10);
	for (; i < 12 && p; i++)
		p = strchr(p + 1, ' ');
	if (p)
		w->v->major_faults += strtoull(p + 1, NULL, 10);
}

static int ram_one(void *arg, const struct mn_proc_info *pi)
{
	struct ram_walk *w = arg;

	if (pi->state == MN_PROC_ZOMBIE || pi->state == MN_PROC_DEAD)
		return 0;
	if (pi->kind == MN_PROC_INIT)
		add_program(w, (int32_t)getpid());	/* init is the kernel */
	else if (pi->kind == MN_PROC_USER && pi->host_pid > 0)
		add_program(w, pi->host_pid);
	return 0;
}

int mn_memview_get(struct mn_kernel *k, struct mn_memview *out)
{
	struct ram_walk w = {out, (uint64_t)sysconf(_SC_PAGESIZE)};
	struct mn_meminfo mi;
	struct sysinfo si;
	uint64_t lim;

	memset(out, 0, sizeof(*out));
	if (!mn_kernel_mem(k))
		return -ENODEV;
	mn_mem_info(mn_kernel_mem(k), &mi);
	out->space_total = mi.total;
	out->space_used = mi.used;
	out->space_largest_free = mi.largest_free;
	if (sysinfo(&si) == 0)
		out->total = (uint64_t)si.totalram * si.mem_unit;
	lim = cgroup_limit();
	if (lim && (!out->total || lim < out->total)) {
		out->total = lim;
		out->limited = 1;
	}
	mn_proc_foreach(mn_kernel_procs(k), ram_one, &w);
	out->free = out->total > out->used ? out->total - out->used : 0;
	return 0;
}
