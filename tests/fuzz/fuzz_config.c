/*
 * fuzz_config - configuration files (mn_config_load): what `micronos up`
 * reads from the data directory, which a user may edit by hand.  The
 * input is the file; the keys are the kernel's own (every type: int,
 * bool, string, enum, size; read-only and restart flags).  A load is all
 * or nothing: a failed one must leave every value as it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <micronos/config.h>
#include <micronos/kernel.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mn_kernel *k;
static struct mn_config_info before[MN_CONFIG_MAX_KEYS];
static struct mn_config_info after[MN_CONFIG_MAX_KEYS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mn_kernel_opts o = {.name = "fuzzcfg", .deterministic = 1};
	struct mn_strbuf err = MN_STRBUF_INIT, warn = MN_STRBUF_INIT;
	char path[64];
	int fd, e, nb, na;

	if (!k && mn_kernel_create(&k, &o) < 0)
		abort();
	fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nb = mn_config_list(mn_kernel_config(k), NULL, before,
			    MN_CONFIG_MAX_KEYS);
	e = mn_config_load(mn_kernel_config(k), path, &err, &warn);
	na = mn_config_list(mn_kernel_config(k), NULL, after,
			    MN_CONFIG_MAX_KEYS);
	if (e < 0 && (na != nb || memcmp(before, after, (size_t)na *
					 sizeof(before[0]))))
		abort();	/* a failed load changed something */
	if (e < 0 && !err.len)
		abort();	/* a failure says why */
	close(fd);
	mn_strbuf_release(&err);
	mn_strbuf_release(&warn);
	return 0;
}
