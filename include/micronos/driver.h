/*
 * driver - the MicronOS driver registry and the built-in devices.
 *
 * A driver is a named device (null, zero, random, ...) with a type, a
 * lifecycle and an ops table.  The lifecycle is a checked state machine
 * (illegal transitions are refused):
 *
 *   verb       from                          to
 *   init       registered                    initialized
 *   start      initialized, stopped          running
 *   stop       running, suspended            stopped
 *   suspend    running                       suspended
 *   resume     suspended                     running
 *   shutdown   any state but shut down       shut down (terminal)
 *
 * Anything else is refused with -EINVAL and a line such as
 * "random: cannot suspend a driver that is stopped (allowed from: running)".
 * Each transition runs the driver's hook (if any) and, on success, publishes
 * Custom(300) with source driver and text "random: running -> stopped".  A
 * hook that fails leaves the state unchanged and its error is returned,
 * except for shutdown, which always completes (the hook's error is still
 * returned and reported).  A transition racing another on the same driver
 * gets -EBUSY.
 *
 * I/O (mn_driver_read/mn_driver_write) works only while the driver is
 * running:
 *   - suspended: -EAGAIN (the device is there, try again after resume);
 *   - registered, initialized, stopped or shut down: -ENXIO (as Linux says
 *     for a device that is not there);
 *   - a driver without a read (write) op: -EINVAL.
 * The I/O path takes no lock: the state is read atomically, counters are
 * relaxed atomics, and the op runs directly on the caller's buffer (zero is
 * a memset, random fills the buffer in one go), so the VFS can serve
 * /dev/zero at memory speed.  An I/O call already running when the driver
 * stops completes normally.
 *
 * Built-in drivers (registered by mn_drivers_create unless asked not to):
 *   null     pseudo  read: EOF (0); write: swallows everything
 *   zero     pseudo  read: zeros;   write: swallows everything
 *   full     pseudo  read: zeros;   write: -ENOSPC
 *   random   char    read: random bytes; write: swallows (as Linux's,
 *   urandom  char        without crediting entropy)
 * random and urandom read getrandom(2), or, in a deterministic registry, a
 * xoshiro256** generator seeded from the seed given at create (urandom is
 * seeded with a different derivation of the same seed), so that two
 * registries created with the same seed produce the same byte streams.
 * They start in state registered; mn_drivers_start_all() (the kernel's
 * drivers stage) brings them to running.
 *
 * Lifetime: a driver is never freed before its registry.  struct mn_driver
 * pointers returned here are borrowed and valid until mn_drivers_destroy();
 * a shut-down driver stays listed (state "shutdown") and its name stays
 * taken.
 *
 * Locking: one registry mutex guards the list and each driver's transition
 * in progress; state and counters are atomics read without it.  Hooks run
 * without the mutex held; the bus (a leaf) is called after it is released.
 */
#ifndef MICRONOS_DRIVER_H
#define MICRONOS_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <micronos/strbuf.h>

struct mn_evbus;
struct mn_drivers;
struct mn_driver;

enum mn_dev_type {
	MN_DEV_CHAR,		/* "character" */
	MN_DEV_BLOCK,		/* "block" */
	MN_DEV_NETWORK,		/* "network" */
	MN_DEV_VIRTUAL,		/* "virtual" */
	MN_DEV_PSEUDO,		/* "pseudo" */
	MN_DEV__COUNT
};

enum mn_drv_state {
	MN_DRV_REGISTERED,	/* "registered" */
	MN_DRV_INITIALIZED,	/* "initialized" */
	MN_DRV_RUNNING,		/* "running" */
	MN_DRV_SUSPENDED,	/* "suspended" */
	MN_DRV_STOPPED,		/* "stopped" */
	MN_DRV_SHUTDOWN,	/* "shutdown" */
	MN_DRV__STATE_COUNT
};

/* The lifecycle verbs, as written to /sys/.../state. */
enum mn_drv_op {
	MN_DRV_OP_INIT,		/* "init" */
	MN_DRV_OP_START,	/* "start" */
	MN_DRV_OP_STOP,		/* "stop" */
	MN_DRV_OP_SUSPEND,	/* "suspend" */
	MN_DRV_OP_RESUME,	/* "resume" */
	MN_DRV_OP_SHUTDOWN,	/* "shutdown" */
	MN_DRV_OP__COUNT
};

#define MN_DRIVER_NAME_MAX 32	/* including the NUL: [a-z0-9_-], 1..31 */
#define MN_DRIVER_DESC_MAX 64
#define MN_DRIVERS_MAX 64	/* drivers per registry */

/*
 * The ops of a driver, filled by field name; every field may be NULL.
 * `priv` is the desc's priv.  Lifecycle hooks return 0 or -errno.
 * read/write return a byte count or -errno; `off` is the file offset the
 * VFS was asked for (stream devices ignore it).  read and write may be
 * called from many threads at once and must be thread-safe.
 */
struct mn_driver_ops {
	int (*init)(struct mn_driver *drv, void *priv);
	int (*start)(struct mn_driver *drv, void *priv);
	int (*stop)(struct mn_driver *drv, void *priv);
	int (*suspend)(struct mn_driver *drv, void *priv);
	int (*resume)(struct mn_driver *drv, void *priv);
	int (*shutdown)(struct mn_driver *drv, void *priv);
	ssize_t (*read)(struct mn_driver *drv, void *priv, void *buf,
			size_t len, uint64_t off);
	ssize_t (*write)(struct mn_driver *drv, void *priv, const void *buf,
			 size_t len, uint64_t off);
	/* Frees priv when the registry is destroyed. */
	void (*release)(void *priv);
};

/* What mn_drivers_register() needs. */
struct mn_driver_desc {
	const char *name;		/* copied; see MN_DRIVER_NAME_MAX */
	enum mn_dev_type type;
	const char *description;	/* copied, truncated; may be NULL */
	const struct mn_driver_ops *ops;/* borrowed: must outlive the registry
					   (normally a static const table) */
	void *priv;			/* taken over: ops->release frees it */
};

/* A copy of one driver's public state. */
struct mn_driver_info {
	char name[MN_DRIVER_NAME_MAX];
	char description[MN_DRIVER_DESC_MAX];
	enum mn_dev_type type;
	enum mn_drv_state state;
	uint64_t reads;		/* read calls that returned >= 0 */
	uint64_t writes;	/* write calls that returned >= 0 */
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t errors;	/* I/O calls that returned -errno */
	uint64_t transitions;	/* successful lifecycle transitions */
};

struct mn_drivers_opts {
	int no_builtins;	/* register no built-in drivers */
	int deterministic;	/* random/urandom from a seeded generator */
	uint64_t seed;		/* for deterministic */
};

/*
 * Creates a registry.  `bus` is borrowed, must outlive the registry, NULL
 * publishes nothing.  `opts` is copied; NULL means built-ins with
 * getrandom(2).
 */
int mn_drivers_create(struct mn_drivers **out, struct mn_evbus *bus,
		      const struct mn_drivers_opts *opts);
/* Calls each driver's release; does not run shutdown hooks.  NULL ok. */
void mn_drivers_destroy(struct mn_drivers *drvs);

/*
 * Adds a driver in state registered.  -EINVAL for a bad name, type or ops
 * (NULL), -EEXIST if the name is taken, -ENOSPC past MN_DRIVERS_MAX.  On
 * failure the caller keeps priv.  *out (may be NULL) gets the driver.
 */
int mn_drivers_register(struct mn_drivers *drvs,
			const struct mn_driver_desc *desc,
			struct mn_driver **out, struct mn_strbuf *err);
/* Borrowed; NULL if no driver has that name. */
struct mn_driver *mn_drivers_find(struct mn_drivers *drvs, const char *name);
/*
 * Copies up to `max` drivers, in registration order, into `out`.  Returns
 * the number of drivers.
 */
size_t mn_drivers_list(struct mn_drivers *drvs, struct mn_driver_info *out,
		       size_t max);
/*
 * Brings every driver to running (init if registered, then start if
 * initialized or stopped, resume if suspended; running and shut-down ones
 * are left alone).  Stops at the first failure, returning its error with a
 * line in err.  The kernel's drivers stage.
 */
int mn_drivers_start_all(struct mn_drivers *drvs, struct mn_strbuf *err);
/* Shuts every driver down that is not already; never fails. */
void mn_drivers_shutdown_all(struct mn_drivers *drvs);
/* The shell's `drivers`: an aligned table with state and counters. */
int mn_drivers_format(struct mn_drivers *drvs, struct mn_strbuf *out);

/* One lifecycle transition (see the table above). err may be NULL. */
int mn_driver_transition(struct mn_driver *drv, enum mn_drv_op op,
			 struct mn_strbuf *err);
/*
 * The same, from text: "stop", "stop\n", " start " (surrounding white space
 * is ignored, as `echo stop > state` adds a newline).  An unknown verb is
 * -EINVAL with "unknown driver command 'x' (expected init, start, stop,
 * suspend, resume or shutdown)".
 */
int mn_driver_control(struct mn_driver *drv, const char *verb,
		      struct mn_strbuf *err);

/* I/O, see the rules above.  Return a byte count or -errno. */
ssize_t mn_driver_read(struct mn_driver *drv, void *buf, size_t len,
		       uint64_t off);
ssize_t mn_driver_write(struct mn_driver *drv, const void *buf, size_t len,
			uint64_t off);

const char *mn_driver_name(const struct mn_driver *drv);	/* borrowed */
enum mn_dev_type mn_driver_type(const struct mn_driver *drv);
enum mn_drv_state mn_driver_state(const struct mn_driver *drv);
void mn_driver_info(const struct mn_driver *drv, struct mn_driver_info *out);

/* Names of the enums above ("?" out of range) and their parsers (-EINVAL). */
const char *mn_drv_state_name(enum mn_drv_state state);
int mn_drv_state_parse(const char *name);
const char *mn_dev_type_name(enum mn_dev_type type);
int mn_dev_type_parse(const char *name);
const char *mn_drv_op_name(enum mn_drv_op op);
int mn_drv_op_parse(const char *verb);	/* ignores surrounding space */

#endif
