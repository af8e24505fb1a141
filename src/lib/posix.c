/*
 * posix.c - Linux's errno table with names, messages and a classification
 * (see include/micronos/posix.h).
 *
 * The table is indexed by code and filled by name from the host's
 * <errno.h>, so a value can never drift from Linux's; a static assertion
 * pins the end of the table.  Each row carries its class:
 *
 *   R  retryable: a transient condition outside the caller's control.  The
 *      same request, unchanged, may succeed later (after a wait, a backoff,
 *      or another thread releasing something).
 *   F  fatal: the caller has a bug (bad pointer, bad descriptor) or the
 *      system is broken (I/O fault, corrupt state, missing implementation).
 *      Neither waiting nor different user input will fix it; the right
 *      reaction is to fail loudly, not to retry or to prompt.
 *   -  neither: the request was refused for a reason the caller can act on
 *      (wrong path, no permission, bad argument, quota...).
 *
 * Messages are short, lower-case and our own, so MicronOS output does not
 * depend on the host libc's wording or locale.
 */
#include <micronos/posix.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(EHWPOISON == MN_ERRNO_MAX, "errno table ends at EHWPOISON");

enum { NONE = 0, R = 1, F = 2 };

struct errno_row {
	const char *name;	/* NULL: no code with this value */
	const char *msg;
	int cls;		/* NONE, R or F */
};

static const struct errno_row table[MN_ERRNO_MAX + 1] = {
	[EPERM]		  = {"EPERM", "operation not permitted", NONE},
	[ENOENT]	  = {"ENOENT", "no such file or directory", NONE},
	[ESRCH]		  = {"ESRCH", "no such process", NONE},
	[EINTR]		  = {"EINTR", "interrupted", R},
	[EIO]		  = {"EIO", "input/output error", F},
	[ENXIO]		  = {"ENXIO", "no such device or address", NONE},
	[E2BIG]		  = {"E2BIG", "argument list too long", NONE},
	/* The program file itself is unusable: no retry or input fixes it. */
	[ENOEXEC]	  = {"ENOEXEC", "not an executable format", F},
	/* Using a descriptor that is not open is a bug in the caller. */
	[EBADF]		  = {"EBADF", "bad file descriptor", F},
	[ECHILD]	  = {"ECHILD", "no child processes", NONE},
	[EAGAIN]	  = {"EAGAIN", "try again", R},
	/* Memory pressure passes: others free memory, the caller may wait. */
	[ENOMEM]	  = {"ENOMEM", "out of memory", R},
	[EACCES]	  = {"EACCES", "permission denied", NONE},
	/* A bad pointer is always a bug in the caller. */
	[EFAULT]	  = {"EFAULT", "bad address", F},
	[ENOTBLK]	  = {"ENOTBLK", "block device required", NONE},
	[EBUSY]		  = {"EBUSY", "device or resource busy", R},
	[EEXIST]	  = {"EEXIST", "already exists", NONE},
	[EXDEV]		  = {"EXDEV", "cross-device link", NONE},
	[ENODEV]	  = {"ENODEV", "no such device", NONE},
	[ENOTDIR]	  = {"ENOTDIR", "not a directory", NONE},
	[EISDIR]	  = {"EISDIR", "is a directory", NONE},
	[EINVAL]	  = {"EINVAL", "invalid argument", NONE},
	/* The system-wide file table drains as others close; EMFILE is ours. */
	[ENFILE]	  = {"ENFILE", "too many open files in system", R},
	[EMFILE]	  = {"EMFILE", "too many open files", NONE},
	[ENOTTY]	  = {"ENOTTY", "not a terminal", NONE},
	/* The writer of the program file will finish. */
	[ETXTBSY]	  = {"ETXTBSY", "text file busy", R},
	[EFBIG]		  = {"EFBIG", "file too large", NONE},
	/* A full disk needs someone to delete files: not transient. */
	[ENOSPC]	  = {"ENOSPC", "no space left on device", NONE},
	[ESPIPE]	  = {"ESPIPE", "illegal seek", NONE},
	[EROFS]		  = {"EROFS", "read-only file system", NONE},
	[EMLINK]	  = {"EMLINK", "too many links", NONE},
	[EPIPE]		  = {"EPIPE", "broken pipe", NONE},
	[EDOM]		  = {"EDOM", "argument out of domain", NONE},
	[ERANGE]	  = {"ERANGE", "result out of range", NONE},
	/* The lock was refused to avoid a deadlock: back off and try again. */
	[EDEADLK]	  = {"EDEADLK", "deadlock avoided", R},
	[ENAMETOOLONG]	  = {"ENAMETOOLONG", "file name too long", NONE},
	[ENOLCK]	  = {"ENOLCK", "no locks available", R},
	/* Not implemented: asking again will not implement it. */
	[ENOSYS]	  = {"ENOSYS", "function not implemented", F},
	[ENOTEMPTY]	  = {"ENOTEMPTY", "directory not empty", NONE},
	[ELOOP]		  = {"ELOOP", "too many symbolic links", NONE},
	[ENOMSG]	  = {"ENOMSG", "no message of desired type", NONE},
	[EIDRM]		  = {"EIDRM", "identifier removed", NONE},
	[ECHRNG]	  = {"ECHRNG", "channel number out of range", NONE},
	[EL2NSYNC]	  = {"EL2NSYNC", "level 2 not synchronized", NONE},
	[EL3HLT]	  = {"EL3HLT", "level 3 halted", NONE},
	[EL3RST]	  = {"EL3RST", "level 3 reset", NONE},
	[ELNRNG]	  = {"ELNRNG", "link number out of range", NONE},
	[EUNATCH]	  = {"EUNATCH", "protocol driver not attached", NONE},
	[ENOCSI]	  = {"ENOCSI", "no CSI structure available", NONE},
	[EL2HLT]	  = {"EL2HLT", "level 2 halted", NONE},
	[EBADE]		  = {"EBADE", "invalid exchange", NONE},
	[EBADR]		  = {"EBADR", "invalid request descriptor", NONE},
	[EXFULL]	  = {"EXFULL", "exchange full", NONE},
	[ENOANO]	  = {"ENOANO", "no anode", NONE},
	[EBADRQC]	  = {"EBADRQC", "invalid request code", NONE},
	[EBADSLT]	  = {"EBADSLT", "invalid slot", NONE},
	[EBFONT]	  = {"EBFONT", "bad font file format", NONE},
	[ENOSTR]	  = {"ENOSTR", "not a stream", NONE},
	[ENODATA]	  = {"ENODATA", "no data available", NONE},
	[ETIME]		  = {"ETIME", "timer expired", R},
	[ENOSR]		  = {"ENOSR", "out of stream resources", R},
	[ENONET]	  = {"ENONET", "machine is not on the network", NONE},
	[ENOPKG]	  = {"ENOPKG", "package not installed", NONE},
	[EREMOTE]	  = {"EREMOTE", "object is remote", NONE},
	[ENOLINK]	  = {"ENOLINK", "link has been severed", NONE},
	[EADV]		  = {"EADV", "advertise error", NONE},
	[ESRMNT]	  = {"ESRMNT", "srmount error", NONE},
	[ECOMM]		  = {"ECOMM", "communication error on send", NONE},
	[EPROTO]	  = {"EPROTO", "protocol error", NONE},
	[EMULTIHOP]	  = {"EMULTIHOP", "multihop attempted", NONE},
	[EDOTDOT]	  = {"EDOTDOT", "RFS specific error", NONE},
	[EBADMSG]	  = {"EBADMSG", "bad message", NONE},
	[EOVERFLOW]	  = {"EOVERFLOW", "value too large for type", NONE},
	[ENOTUNIQ]	  = {"ENOTUNIQ", "name not unique on network", NONE},
	/* A descriptor in a state that allows nothing: as EBADF. */
	[EBADFD]	  = {"EBADFD", "file descriptor in bad state", F},
	[EREMCHG]	  = {"EREMCHG", "remote address changed", NONE},
	/* A library is missing or corrupt: the installation is broken. */
	[ELIBACC]	  = {"ELIBACC", "cannot access shared library", F},
	[ELIBBAD]	  = {"ELIBBAD", "corrupted shared library", F},
	[ELIBSCN]	  = {"ELIBSCN", ".lib section corrupted", F},
	[ELIBMAX]	  = {"ELIBMAX", "too many shared libraries", NONE},
	[ELIBEXEC]	  = {"ELIBEXEC", "cannot exec a shared library", NONE},
	[EILSEQ]	  = {"EILSEQ", "invalid multibyte sequence", NONE},
	/* The kernel's own "restart the call" signal to its caller. */
	[ERESTART]	  = {"ERESTART", "call should be restarted", R},
	[ESTRPIPE]	  = {"ESTRPIPE", "streams pipe error", NONE},
	[EUSERS]	  = {"EUSERS", "too many users", NONE},
	/* Socket calls on a non-socket: a caller bug, as EBADF. */
	[ENOTSOCK]	  = {"ENOTSOCK", "not a socket", F},
	[EDESTADDRREQ]	  = {"EDESTADDRREQ", "destination required", NONE},
	[EMSGSIZE]	  = {"EMSGSIZE", "message too long", NONE},
	[EPROTOTYPE]	  = {"EPROTOTYPE", "wrong protocol for socket", NONE},
	[ENOPROTOOPT]	  = {"ENOPROTOOPT", "protocol not available", NONE},
	[EPROTONOSUPPORT] = {"EPROTONOSUPPORT", "protocol not supported", NONE},
	[ESOCKTNOSUPPORT] = {"ESOCKTNOSUPPORT", "socket type unsupported", NONE},
	[EOPNOTSUPP]	  = {"EOPNOTSUPP", "operation not supported", NONE},
	[EPFNOSUPPORT]	  = {"EPFNOSUPPORT", "protocol family unsupported", NONE},
	[EAFNOSUPPORT]	  = {"EAFNOSUPPORT", "address family unsupported", NONE},
	[EADDRINUSE]	  = {"EADDRINUSE", "address already in use", NONE},
	[EADDRNOTAVAIL]	  = {"EADDRNOTAVAIL", "address not available", NONE},
	[ENETDOWN]	  = {"ENETDOWN", "network is down", NONE},
	[ENETUNREACH]	  = {"ENETUNREACH", "network is unreachable", NONE},
	[ENETRESET]	  = {"ENETRESET", "connection reset by network", NONE},
	/* accept(): the peer gave up before we took it; accept the next. */
	[ECONNABORTED]	  = {"ECONNABORTED", "connection aborted", R},
	[ECONNRESET]	  = {"ECONNRESET", "connection reset by peer", NONE},
	[ENOBUFS]	  = {"ENOBUFS", "no buffer space available", R},
	[EISCONN]	  = {"EISCONN", "already connected", NONE},
	[ENOTCONN]	  = {"ENOTCONN", "not connected", NONE},
	[ESHUTDOWN]	  = {"ESHUTDOWN", "endpoint has been shut down", NONE},
	[ETOOMANYREFS]	  = {"ETOOMANYREFS", "too many references", NONE},
	[ETIMEDOUT]	  = {"ETIMEDOUT", "timed out", R},
	[ECONNREFUSED]	  = {"ECONNREFUSED", "connection refused", NONE},
	[EHOSTDOWN]	  = {"EHOSTDOWN", "host is down", NONE},
	[EHOSTUNREACH]	  = {"EHOSTUNREACH", "no route to host", NONE},
	/* Non-blocking connect: the first attempt is still under way. */
	[EALREADY]	  = {"EALREADY", "operation already in progress", R},
	[EINPROGRESS]	  = {"EINPROGRESS", "operation in progress", R},
	[ESTALE]	  = {"ESTALE", "stale file handle", NONE},
	/* The file system is corrupt and needs fsck. */
	[EUCLEAN]	  = {"EUCLEAN", "structure needs cleaning", F},
	[ENOTNAM]	  = {"ENOTNAM", "not a XENIX named type file", NONE},
	[ENAVAIL]	  = {"ENAVAIL", "no XENIX semaphores available", NONE},
	[EISNAM]	  = {"EISNAM", "is a named type file", NONE},
	[EREMOTEIO]	  = {"EREMOTEIO", "remote I/O error", F},
	[EDQUOT]	  = {"EDQUOT", "disk quota exceeded", NONE},
	[ENOMEDIUM]	  = {"ENOMEDIUM", "no medium found", NONE},
	[EMEDIUMTYPE]	  = {"EMEDIUMTYPE", "wrong medium type", NONE},
	[ECANCELED]	  = {"ECANCELED", "operation canceled", NONE},
	[ENOKEY]	  = {"ENOKEY", "required key not available", NONE},
	[EKEYEXPIRED]	  = {"EKEYEXPIRED", "key has expired", NONE},
	[EKEYREVOKED]	  = {"EKEYREVOKED", "key has been revoked", NONE},
	[EKEYREJECTED]	  = {"EKEYREJECTED", "key was rejected", NONE},
	[EOWNERDEAD]	  = {"EOWNERDEAD", "lock owner died", NONE},
	/* The state a robust lock guarded is lost for good. */
	[ENOTRECOVERABLE] = {"ENOTRECOVERABLE", "state not recoverable", F},
	[ERFKILL]	  = {"ERFKILL", "blocked by RF-kill", NONE},
	/* A memory page failed in hardware. */
	[EHWPOISON]	  = {"EHWPOISON", "memory page has hardware error", F},
};

/* Second names of a code; Linux gives them the value of their primary. */
static const struct {
	const char *name;
	int code;
} aliases[] = {
	{"EWOULDBLOCK", EWOULDBLOCK},
	{"EDEADLOCK", EDEADLOCK},
	{"ENOTSUP", ENOTSUP},
};

static const struct errno_row *row_of(int code)
{
	if (code < -MN_ERRNO_MAX || code > MN_ERRNO_MAX)
		return NULL;	/* before negating: -INT_MIN overflows */
	if (code < 0)
		code = -code;
	if (code == 0 || !table[code].name)
		return NULL;
	return &table[code];
}

const char *mn_errno_name(int code)
{
	const struct errno_row *r = row_of(code);

	if (code == 0)
		return "OK";
	return r ? r->name : "EUNKNOWN";
}

const char *mn_errno_message(int code)
{
	static _Thread_local char unknown[40];
	const struct errno_row *r = row_of(code);

	if (code == 0)
		return "success";
	if (r)
		return r->msg;
	snprintf(unknown, sizeof(unknown), "unknown error %ld", labs(code));
	return unknown;
}

static int parse_number(const char *s)
{
	char *end;
	long v;

	if (*s == '-' || *s == '+')
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || !row_of((int)(v > MN_ERRNO_MAX ? 0 : v)))
		return -EINVAL;
	return (int)v;
}

int mn_errno_from_name(const char *name)
{
	size_t i;

	if (!name || !*name)
		return -EINVAL;
	if (isdigit((unsigned char)name[0]) || name[0] == '-' ||
	    name[0] == '+')
		return parse_number(name);
	for (i = 1; i <= MN_ERRNO_MAX; i++) {
		if (table[i].name && strcasecmp(table[i].name, name) == 0)
			return (int)i;
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcasecmp(aliases[i].name, name) == 0)
			return aliases[i].code;
	}
	return -EINVAL;
}

int mn_errno_is_known(int code)
{
	return row_of(code) != NULL;
}

int mn_errno_is_retryable(int code)
{
	const struct errno_row *r = row_of(code);

	return r && r->cls == R;
}

int mn_errno_is_fatal(int code)
{
	const struct errno_row *r = row_of(code);

	return r && r->cls == F;
}

const char *mn_errno_class(int code)
{
	if (mn_errno_is_retryable(code))
		return "retryable";
	if (mn_errno_is_fatal(code))
		return "fatal";
	return "error";
}

const char *mn_errno_describe(int code, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	snprintf(buf, n, "%s (%ld): %s", mn_errno_name(code), labs(code),
		 mn_errno_message(code));
	return buf;
}

/* 133 comparisons: cheaper than making a cache thread-safe. */
static size_t nrows(void)
{
	size_t i, n = 0;

	for (i = 1; i <= MN_ERRNO_MAX; i++)
		n += table[i].name != NULL;
	return n;
}

size_t mn_errno_count(void)
{
	return nrows();
}

int mn_errno_at(size_t i, int *code, const char **name, const char **msg)
{
	size_t c;

	for (c = 1; c <= MN_ERRNO_MAX; c++) {
		if (!table[c].name)
			continue;
		if (i-- > 0)
			continue;
		if (code)
			*code = (int)c;
		if (name)
			*name = table[c].name;
		if (msg)
			*msg = table[c].msg;
		return 0;
	}
	return -ERANGE;
}
