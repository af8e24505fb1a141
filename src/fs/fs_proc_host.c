/*
 * fs_proc_host.c - what /proc and /sys borrow from the host: its CPUs.
 *
 * MicronOS has no processors of its own; its kernel tasks and sandboxed
 * programs run on the host's.  So the CPU lines of /proc/stat are the
 * host's counters (since MicronOS booted: fs_proc.c subtracts a baseline),
 * /proc/cpuinfo is the host's file, and /sys/devices/system/cpu counts the
 * host's CPUs.  These are the only host reads of the generated trees; they
 * are kept here so a test could wrap them.
 */
#include <errno.h>
#include <fcntl.h>
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

unsigned mn_host_ncpu_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

unsigned mn_host_ncpu_conf(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (unsigned)n : mn_host_ncpu_online();
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
