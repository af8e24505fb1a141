/*
 * posix - the POSIX error layer: Linux's errno table with names, messages
 * and a classification.
 *
 * MicronOS core functions return 0, a count or -errno.  This module turns a
 * code into text for people ("ENOENT", "no such file or directory") and
 * answers the two questions callers ask of an error: is it worth retrying,
 * and does it mean something is broken rather than merely refused?  The
 * values are Linux's (the sandbox hands them straight back to host
 * programs), so EPERM is 1, ENOENT 2, EBADF 9, ENOMEM 12, EINVAL 22,
 * ENOSYS 38, and the table runs from 1 to 133 (EHWPOISON).
 *
 * Every function accepts a code or its negation (-ENOENT), so a core return
 * value can be passed straight in.  Nothing here takes a lock; all data is
 * constant (the "Unknown error N" text lives in a thread-local buffer).
 */
#ifndef MICRONOS_POSIX_H
#define MICRONOS_POSIX_H

#include <stddef.h>

/* Highest code in the table (EHWPOISON on Linux). */
#define MN_ERRNO_MAX 133

/*
 * "ENOENT" for 2 or -2; "OK" for 0; "EUNKNOWN" for a code not in the table.
 * Never NULL; static storage.  For the three aliases (EWOULDBLOCK,
 * EDEADLOCK, ENOTSUP) the primary name is returned (EAGAIN, EDEADLK,
 * EOPNOTSUPP).
 */
const char *mn_errno_name(int code);

/*
 * A short message: "no such file or directory".  0 gives "success"; a code
 * not in the table gives "unknown error N" in a thread-local buffer that the
 * next call from the same thread overwrites.  Never NULL.
 */
const char *mn_errno_message(int code);

/*
 * Parses a name ("ENOENT", case-insensitive, aliases accepted) or a decimal
 * number ("2").  Returns the positive code, or -EINVAL if unknown.
 */
int mn_errno_from_name(const char *name);

/* 1 if the code is in the table (aliases share their primary's code). */
int mn_errno_is_known(int code);

/*
 * 1 if the same request may succeed when simply tried again later, with no
 * change by the caller: a transient condition outside the caller's control
 * (EAGAIN/EWOULDBLOCK, EINTR, EBUSY, ETIMEDOUT, ENOBUFS, ENOMEM, EINPROGRESS,
 * EALREADY, EDEADLK, ...).  The list and the reason for each row are in
 * posix.c.
 */
int mn_errno_is_retryable(int code);

/*
 * 1 if the error means the caller or the system is broken, not that the
 * request was refused: a bad pointer or descriptor, an I/O or hardware
 * fault, a missing implementation, a corrupt state (EFAULT, EIO, EBADF,
 * ENOSYS, ENOEXEC, ENOTRECOVERABLE, EHWPOISON, ...).  Retrying or reporting
 * to the user will not fix it; the rule and each row are in posix.c.
 * Retryable and fatal are disjoint; most codes are neither.
 */
int mn_errno_is_fatal(int code);

/* "retryable", "fatal" or "error": the classification as a word. */
const char *mn_errno_class(int code);

/*
 * "ENOENT (2): no such file or directory" into buf (size n, truncated,
 * always NUL-terminated when n > 0).  Returns buf.
 */
const char *mn_errno_describe(int code, char *buf, size_t n);

/*
 * Iteration over the table for the shell's `posix` command, in code order,
 * primary names only (aliases are not rows).  mn_errno_at() fills any
 * non-NULL out-parameter (static strings) and returns 0, or -ERANGE when
 * i >= mn_errno_count().
 */
size_t mn_errno_count(void);
int mn_errno_at(size_t i, int *code, const char **name, const char **msg);

#endif
