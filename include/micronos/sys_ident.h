/*
 * sys_ident - MicronOS syscalls beyond the base table (syscall.h) that the
 * sandbox's translation needs: effective ids, uname, exec (recording a
 * command line) and kill.  They are ordinary rows of the dispatcher (added with
 * mn_syscall_add by mn_sys_ident_install), so `syscall info` lists them and
 * their statistics count like the others.
 *
 * Numbers live in the process group, above the base table's: 60 geteuid,
 * 61 getegid, 62 uname, 63 exec, 64 kill.  Pointer arguments are daemon memory (the
 * supervisor copies the program's memory in and out).
 */
#ifndef MICRONOS_SYS_IDENT_H
#define MICRONOS_SYS_IDENT_H

#include <stddef.h>
#include <stdint.h>

struct mn_kernel;
struct mn_strbuf;
struct mn_syscalls;
struct mn_signals;

enum mn_sysno_ident {
	MN_SYS_GETEUID = 60,	/* () -> effective uid of the caller */
	MN_SYS_GETEGID = 61,	/* () -> effective gid */
	MN_SYS_UNAME = 62,	/* (struct mn_utsname *out) -> 0 */
	MN_SYS_EXEC = 63,	/* (const char *const *argv, const char *comm)
				   records the new command line -> 0 */
	MN_SYS_KILL = 64,	/* (pid, sig) through the signal service */
};

#define MN_UTS_LEN 65	/* Linux's __NEW_UTS_LEN + 1: same layout */

/* What uname returns: byte-for-byte Linux's struct new_utsname. */
struct mn_utsname {
	char sysname[MN_UTS_LEN];	/* "MicronOS" */
	char nodename[MN_UTS_LEN];	/* config kernel.hostname */
	char release[MN_UTS_LEN];	/* MicronOS version */
	char version[MN_UTS_LEN];	/* "#1 MicronOS <boot time UTC>" */
	char machine[MN_UTS_LEN];	/* the host's, e.g. "x86_64" */
	char domainname[MN_UTS_LEN];	/* "(none)" */
};

/*
 * Adds the rows (idempotent: rows already present are kept).  `sigs` is
 * borrowed and serves kill; NULL leaves kill "missing".  0 or -errno.
 */
int mn_sys_ident_install(struct mn_syscalls *s, struct mn_signals *sigs);

/*
 * Sets the instance's host name (config key kernel.hostname, what uname's
 * nodename, /etc/hostname and /etc/hosts show): the one setter behind
 * every writer (/proc/sys/kernel/hostname, /sys/kernel/hostname,
 * micronos-run --hostname; the shell's `config set` sets the key itself).
 * `name` is len bytes, not NUL-terminated necessarily; trailing newlines
 * and blanks are dropped (what `echo NAME >file` writes).  On behalf of
 * pid (0: the kernel).  0, or -EINVAL (empty, longer than MN_UTS_LEN - 1,
 * not an RFC 1123 name; or the config's -errno) with the reason in err (may be NULL) and in the
 * kernel log, so a writer that only sees EINVAL can find why.
 */
int mn_sys_ident_set_hostname(struct mn_kernel *k, const char *name,
			      size_t len, int32_t pid, struct mn_strbuf *err);

#endif
