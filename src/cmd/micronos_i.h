/*
 * micronos_i.h - what the parts of the `micronos` program share.
 *
 *   micronos.c               main, the sub-command table, options,
 *                            attach_layers() (where adapters plug in)
 *   cmd_micronos_inst.c      instance directories, lock, pid file, listing
 *   cmd_micronos_up.c        booting, detaching, serving, shutting down
 *   cmd_micronos_client.c    shell -c, scripts on stdin, down, status
 *   cmd_micronos_tui.c       the terminal shell (readline, completion,
 *                            history, live views)
 */
#ifndef MICRONOS_CMD_MICRONOS_I_H
#define MICRONOS_CMD_MICRONOS_I_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <micronos/ctl.h>
#include <micronos/strbuf.h>

struct mn_kernel;

#define MN_INST_NAME_MAX 64

/* Options of up, shell, down, status (what each accepts: micronos.c). */
struct mn_opts {
	const char *name;	/* -n NAME; "default" */
	const char *runtime;	/* --runtime DIR */
	const char *data;	/* --data DIR */
	const char *mount;	/* --mount DIR */
	const char *line;	/* shell -c LINE */
	int detach;		/* up -d */
	int deterministic;	/* up --deterministic */
	int quiet;		/* up -q: no boot report */
};

/* Where one instance lives. */
struct mn_inst {
	char name[MN_INST_NAME_MAX];
	char runtime_dir[PATH_MAX];
	char data_dir[PATH_MAX];
	char mount_dir[PATH_MAX];
	int mount_default;	/* mount_dir is RUNTIME/mnt, ours to remove */
	char ctl_path[PATH_MAX];
	char lock_path[PATH_MAX];
	char pid_path[PATH_MAX];
	int lock_fd;		/* held while the instance runs; -1 */
	int data_lock_fd;	/* DATA/lock: one instance per data dir */
};

/* --- cmd_micronos_inst.c ------------------------------------------------- */

/* The directory holding every instance's runtime dir. */
int mn_inst_runtime_root(char *buf, size_t size);
/* Fills *in from the options; -EINVAL with a message for a bad name. */
int mn_inst_resolve(struct mn_inst *in, const struct mn_opts *o,
		    struct mn_strbuf *err);
/*
 * Creates the runtime dir and takes the instance lock.  -EBUSY if the
 * instance runs (message names its pid).  Leftovers of a crashed instance
 * (socket, pid file) are removed and reported in `note`.
 */
int mn_inst_lock(struct mn_inst *in, struct mn_strbuf *err,
		 struct mn_strbuf *note);
int mn_inst_write_pid(struct mn_inst *in);
/* Removes pid file, socket and runtime dir; releases the lock. */
void mn_inst_release(struct mn_inst *in);
/* The pid in the pid file, or -errno. */
int mn_inst_read_pid(const struct mn_inst *in);
/* 1 if some process holds the instance lock. */
int mn_inst_is_locked(const struct mn_inst *in);
/* Waits until the lock is free and process pid (<= 0: none) has exited:
 * 0, or -ETIMEDOUT. */
int mn_inst_wait_gone(const struct mn_inst *in, int pid, int timeout_ms);
/* Connects to the instance's socket with a clear message on failure. */
int mn_inst_connect(const struct mn_inst *in, struct mn_ctl_client **out,
		    struct mn_strbuf *err);

/* --- micronos.c ---------------------------------------------------------- */

/*
 * Attaches the layers that plug into the core (VFS, FUSE mount, sandbox)
 * to the kernel's boot stages and the control socket.  Called once before
 * mn_kernel_boot(); `ctl` exists but is not started yet.
 */
int attach_layers(struct mn_kernel *k, struct mn_ctl *ctl,
		  const struct mn_inst *in, struct mn_strbuf *err);

/* --- cmd_micronos_up.c --------------------------------------------------- */

int mn_cmd_up(const struct mn_opts *o);

/* --- cmd_micronos_client.c ----------------------------------------------- */

int mn_cmd_shell(const struct mn_opts *o);
int mn_cmd_down(const struct mn_opts *o);
int mn_cmd_status(const struct mn_opts *o);
/* Writes a reply's output to stdout and errors to stderr. */
void mn_client_print(const struct mn_ctl_reply *r);
/* Reads "key=value" from an info reply into buf; "" if missing. */
const char *mn_client_info_get(const struct mn_ctl_reply *r, const char *key,
			       char *buf, size_t size);

/* --- cmd_micronos_tui.c -------------------------------------------------- */

/* How the terminal shell ends. */
enum mn_tui_end {
	MN_TUI_EXIT,		/* exit/quit/Ctrl-D */
	MN_TUI_INTERRUPT,	/* Ctrl-C (owner), SIGTERM, SIGHUP */
	MN_TUI_DOWN,		/* the instance is going down */
	MN_TUI_ERROR,		/* the connection broke */
};

struct mn_tui {
	struct mn_ctl_client *cl;	/* borrowed */
	const char *name;		/* instance name, for the prompt */
	const char *history;		/* history file or NULL */
	int owner;	/* the shell of a foreground `up`: Ctrl-C and exit
			 * shut the instance down */
	int sigfd;	/* signalfd for INT, TERM, HUP, WINCH; required */
	int downfd;	/* readable when the instance is to go down; -1 */
	int status;	/* exit status asked for by `exit N` */
};

enum mn_tui_end mn_tui_run(struct mn_tui *t);

#endif
