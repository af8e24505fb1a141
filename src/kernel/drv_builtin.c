/*
 * drv_builtin.c - the devices every MicronOS has: null, zero, full, random
 * and urandom, served through /dev by the VFS.
 *
 * Each read fills the caller's whole buffer in one go (memset for zeros, one
 * generator loop for random bytes): the VFS passes 1 MiB reads straight
 * through, so any per-byte work here would cap /dev/zero's throughput.
 *
 * random and urandom read the host's getrandom(2) (non-blocking pool, as
 * Linux's /dev/urandom), or, in a deterministic registry (tests,
 * reproducible instances), a xoshiro256** generator seeded with splitmix64
 * from the registry's seed.  The generator state is shared by all readers of
 * one device and guarded by its own mutex, a leaf lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "driver_i.h"

static ssize_t read_eof(struct mn_driver *drv, void *priv, void *buf,
			size_t len, uint64_t off)
{
	(void)drv, (void)priv, (void)buf, (void)len, (void)off;
	return 0;
}

static ssize_t read_zeros(struct mn_driver *drv, void *priv, void *buf,
			  size_t len, uint64_t off)
{
	(void)drv, (void)priv, (void)off;
	memset(buf, 0, len);
	return (ssize_t)len;
}

static ssize_t write_swallow(struct mn_driver *drv, void *priv,
			     const void *buf, size_t len, uint64_t off)
{
	(void)drv, (void)priv, (void)buf, (void)off;
	return (ssize_t)len;
}

static ssize_t write_full(struct mn_driver *drv, void *priv, const void *buf,
			  size_t len, uint64_t off)
{
	(void)drv, (void)priv, (void)buf, (void)len, (void)off;
	return -ENOSPC;
}

/* --- random --------------------------------------------------------------- */

struct rng {
	int deterministic;
	pthread_mutex_t lock;
	uint64_t s[4];		/* xoshiro256** state; protected by lock */
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t xoshiro_next(uint64_t s[4])
{
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static void xoshiro_fill(uint64_t s[4], unsigned char *p, size_t len)
{
	uint64_t v;

	for (; len >= 8; p += 8, len -= 8) {
		v = xoshiro_next(s);
		memcpy(p, &v, 8);
	}
	if (len) {
		v = xoshiro_next(s);
		memcpy(p, &v, len);
	}
}

static ssize_t host_random(unsigned char *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = getrandom(p + done, len - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return done ? (ssize_t)done : -errno;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static ssize_t read_random(struct mn_driver *drv, void *priv, void *buf,
			   size_t len, uint64_t off)
{
	struct rng *rng = priv;

	(void)drv, (void)off;
	if (!rng->deterministic)
		return host_random(buf, len);
	pthread_mutex_lock(&rng->lock);
	xoshiro_fill(rng->s, buf, len);
	pthread_mutex_unlock(&rng->lock);
	return (ssize_t)len;
}

static void release_rng(void *priv)
{
	struct rng *rng = priv;

	if (!rng)
		return;
	pthread_mutex_destroy(&rng->lock);
	free(rng);
}

static struct rng *rng_new(const struct mn_drivers_opts *opts, uint64_t salt)
{
	struct rng *rng = calloc(1, sizeof(*rng));
	uint64_t x = opts->seed ^ salt;
	int i;

	if (!rng)
		return NULL;
	pthread_mutex_init(&rng->lock, NULL);
	rng->deterministic = opts->deterministic;
	for (i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
	return rng;
}

/* --- the table ------------------------------------------------------------ */

static const struct mn_driver_ops null_ops = {
	.read = read_eof,
	.write = write_swallow,
};
static const struct mn_driver_ops zero_ops = {
	.read = read_zeros,
	.write = write_swallow,
};
static const struct mn_driver_ops full_ops = {
	.read = read_zeros,
	.write = write_full,
};
/* Writes are accepted and dropped, as Linux does without crediting. */
static const struct mn_driver_ops random_ops = {
	.read = read_random,
	.write = write_swallow,
	.release = release_rng,
};

static const struct {
	const char *name;
	enum mn_dev_type type;
	const char *description;
	const struct mn_driver_ops *ops;
	uint64_t rng_salt;	/* 0: no generator */
} builtins[] = {
	{"null", MN_DEV_PSEUDO, "discards writes, reads end of file",
	 &null_ops, 0},
	{"zero", MN_DEV_PSEUDO, "reads zeros, discards writes", &zero_ops, 0},
	{"full", MN_DEV_PSEUDO, "reads zeros, writes fail with ENOSPC",
	 &full_ops, 0},
	{"random", MN_DEV_CHAR, "random bytes", &random_ops,
	 0x72616e646f6d0001ULL},
	{"urandom", MN_DEV_CHAR, "random bytes, never blocks", &random_ops,
	 0x7572616e646f6d02ULL},
};

int mn_drivers_add_builtins(struct mn_drivers *drvs, struct mn_strbuf *err)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]) && !ret; i++) {
		struct mn_driver_desc desc = {
			.name = builtins[i].name,
			.type = builtins[i].type,
			.description = builtins[i].description,
			.ops = builtins[i].ops,
		};

		if (builtins[i].rng_salt) {
			desc.priv = rng_new(&drvs->opts, builtins[i].rng_salt);
			if (!desc.priv)
				return -ENOMEM;
		}
		ret = mn_drivers_register(drvs, &desc, NULL, err);
		if (ret < 0 && builtins[i].ops->release)
			builtins[i].ops->release(desc.priv);
	}
	return ret;
}
