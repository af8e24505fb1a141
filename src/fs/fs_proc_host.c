/*
 * fs_proc_host.c - what /proc and /sys borrow from the host: its CPUs.
 *
 * MicronOS has no processors of its own; its kernel tasks and sandboxed
 * programs run on the host's.  MicronOS's CPUs are the host CPUs they may
 * use: the daemon's affinity mask, which Linux keeps within its cgroup's
 * cpuset, and which every program inherits.  They are numbered 0..n-1 in
 * the host's order, the same numbering everywhere: the cpuN lines of
 * /proc/stat (those host CPUs' counters since MicronOS booted), the
 * processor entries of /proc/cpuinfo (the host's entries for them),
 * Cpus_allowed of /proc/PID/status and /sys/devices/system/cpu.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <micronos/strbuf.h>

#include "fs_trees_i.h"

#define HOST_STAT "/proc/stat"
#define STAT_MAX (1 << 20)

/* Parses "cpu  1 2 3 ..." or "cpu7 1 2 3 ..." into row. */
static void parse_cpu_line(const char *p, uint64_t row[MN_HOSTCPU_FIELDS])
{
	char *end;
	int i;

	for (i = 0; i < MN_HOSTCPU_FIELDS; i++) {
		row[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
		p = end;
	}
}

static void parse_stat_line(const char *line, struct mn_hostcpu *out)
{
	const char *sp = strchr(line, ' ');
	char *end;

	if (!sp)
		return;
	if (strncmp(line, "cpu ", 4) == 0) {
		parse_cpu_line(sp, out->total);
	} else if (strncmp(line, "cpu", 3) == 0) {
		unsigned long n = strtoul(line + 3, &end, 10);

		if (end != line + 3 && n < MN_HOSTCPU_MAX) {
			parse_cpu_line(sp, out->cpu[n]);
			if (n + 1 > out->ncpu)
				out->ncpu = (unsigned)n + 1;
		}
	} else if (strncmp(line, "intr ", 5) == 0) {
		out->intr = strtoull(sp, NULL, 10);
	} else if (strncmp(line, "ctxt ", 5) == 0) {
		out->ctxt = strtoull(sp, NULL, 10);
	} else if (strncmp(line, "softirq ", 8) == 0) {
		out->softirq = strtoull(sp, NULL, 10);
	}
}

int mn_hostcpu_read(struct mn_hostcpu *out)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	char *line, *save = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = mn_host_file_append(HOST_STAT, STAT_MAX, &sb);
	if (ret == 0 && sb.len) {
		for (line = strtok_r(sb.buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			parse_stat_line(line, out);
	}
	mn_strbuf_release(&sb);
	return ret;
}

int mn_host_file_append(const char *path, size_t max, struct mn_strbuf *out)
{
	char buf[8192];
	size_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (total < max && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if ((size_t)n > max - total)
			n = (ssize_t)(max - total);
		mn_strbuf_add(out, buf, (size_t)n);
		total += (size_t)n;
	}
	close(fd);
	return mn_strbuf_error(out);
}

unsigned mn_host_cpus(unsigned *ids, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0, c;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		long on = sysconf(_SC_NPROCESSORS_ONLN);

		for (c = 0; c < (on > 0 ? (unsigned)on : 1) && c < CPU_SETSIZE;
		     c++)
			CPU_SET(c, &set);
	}
	for (c = 0; c < CPU_SETSIZE && c < MN_HOSTCPU_MAX; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (ids && n < max)
			ids[n] = c;
		n++;
	}
	return n ? n : 1;
}

unsigned mn_host_ncpu_online(void)
{
	return mn_host_cpus(NULL, 0);
}

unsigned mn_host_ncpu_conf(void)
{
	return mn_host_cpus(NULL, 0);
}

/* The "processor\t: N" of a cpuinfo block, or -1. */
static long cpuinfo_processor(const char *block, const char *end)
{
	const char *p = block;

	while (p < end) {
		if (strncmp(p, "processor", 9) == 0) {
			const char *c = memchr(p, ':', (size_t)(end - p));

			return c ? strtol(c + 1, NULL, 10) : -1;
		}
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		p++;
	}
	return -1;
}

int mn_host_cpuinfo(struct mn_strbuf *out, size_t max)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	unsigned ids[MN_HOSTCPU_MAX], n = mn_host_cpus(ids, MN_HOSTCPU_MAX);
	const char *p, *end;
	int ret = mn_host_file_append("/proc/cpuinfo", max, &sb);

	if (ret < 0) {
		mn_strbuf_release(&sb);
		return ret;
	}
	/* blocks separated by a blank line, one per host CPU */
	p = mn_strbuf_str(&sb);
	end = p + sb.len;
	while (p < end) {
		const char *b = strstr(p, "\n\n");
		const char *be = b ? b + 2 : end, *nl;
		long host = cpuinfo_processor(p, be);
		unsigned i;

		for (i = 0; host >= 0 && i < n && i < MN_HOSTCPU_MAX; i++)
			if (ids[i] == (unsigned)host)
				break;
		if (host >= 0 && i < n && i < MN_HOSTCPU_MAX) {
			/* renumbered: MicronOS's CPU i */
			nl = memchr(p, '\n', (size_t)(be - p));
			if (strncmp(p, "processor", 9) == 0 && nl) {
				mn_strbuf_printf(out, "processor\t: %u\n", i);
				mn_strbuf_add(out, nl + 1,
					      (size_t)(be - nl - 1));
			} else {
				mn_strbuf_add(out, p, (size_t)(be - p));
			}
		} else if (host < 0) {
			mn_strbuf_add(out, p, (size_t)(be - p));
		}
		p = be;
	}
	mn_strbuf_release(&sb);
	return mn_strbuf_error(out);
}

uint64_t mn_host_clk_tck(void)
{
	long t = sysconf(_SC_CLK_TCK);

	return t > 0 ? (uint64_t)t : 100;
}

uint64_t mn_host_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

uint64_t mn_ns_to_ticks(uint64_t ns)
{
	return ns / (1000000000ULL / mn_host_clk_tck());
}

int mn_cpu_list(unsigned n, struct mn_strbuf *out)
{
	if (n <= 1)
		return mn_strbuf_puts(out, "0\n");
	return mn_strbuf_printf(out, "0-%u\n", n - 1);
}
