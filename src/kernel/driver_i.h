/*
 * driver_i.h - private definitions shared by driver.c (registry, lifecycle,
 * I/O path) and drv_builtin.c (the built-in devices).
 */
#ifndef MICRONOS_DRIVER_I_H
#define MICRONOS_DRIVER_I_H

#include <pthread.h>
#include <stdatomic.h>

#include <micronos/driver.h>

struct mn_driver {
	struct mn_drivers *reg;			/* the registry; read-only */
	char name[MN_DRIVER_NAME_MAX];		/* read-only after register */
	char description[MN_DRIVER_DESC_MAX];	/* read-only after register */
	enum mn_dev_type type;			/* read-only after register */
	const struct mn_driver_ops *ops;	/* borrowed; read-only */
	void *priv;				/* owned; read-only */
	/* Written under reg->lock, read without it (the I/O path). */
	atomic_int state;
	int busy;			/* a hook is running; reg->lock */
	/* Lock-free counters, relaxed. */
	atomic_uint_fast64_t reads;
	atomic_uint_fast64_t writes;
	atomic_uint_fast64_t bytes_read;
	atomic_uint_fast64_t bytes_written;
	atomic_uint_fast64_t errors;
	atomic_uint_fast64_t transitions;
};

struct mn_drivers {
	pthread_mutex_t lock;
	struct mn_evbus *bus;			/* borrowed; read-only */
	struct mn_drivers_opts opts;		/* read-only */
	/* Protected by lock; entries are appended, never removed. */
	struct mn_driver *drv[MN_DRIVERS_MAX];
	size_t count;
};

/* drv_builtin.c: registers null, zero, full, random and urandom. */
int mn_drivers_add_builtins(struct mn_drivers *drvs, struct mn_strbuf *err);

#endif
