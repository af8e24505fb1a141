/*
 * progcheck - find the program to run inside the sandbox, or say exactly
 * what is missing.
 *
 * execve()'s ENOENT means "the program, its #! interpreter or its ELF
 * interpreter is missing", which tells a user nothing (a PATH shim in the
 * host's home, a musl binary on a glibc root...).  Before exec, in the
 * program's own child (inside the root, as its user), we look the name up
 * in PATH, then read the file's first bytes: a "#!" line's interpreter and
 * an ELF file's PT_INTERP must exist and be executable too.  Libraries are
 * left to the dynamic loader, whose message already names them.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_i.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:" \
		     "/usr/sbin:/sbin"

static const char *env_path(char *const *envp)
{
	for (; envp && *envp; envp++)
		if (!strncmp(*envp, "PATH=", 5))
			return *envp + 5;
	return DEFAULT_PATH;
}

/* 0 if path is an executable regular file, else -errno. */
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) < 0 ? -errno : 0;
}

static int search_path(const char *name, const char *path, char *out,
		       size_t outsz)
{
	int best = -ENOENT;

	while (*path) {
		const char *end = strchrnul(path, ':');
		size_t len = (size_t)(end - path);
		int e;

		if ((size_t)snprintf(out, outsz, "%.*s%s%s", (int)len, path,
				     len ? "/" : "", name) < outsz) {
			e = check_exec(out);
			if (e == 0)
				return 0;
			/* found but not runnable; a PATH directory we may
			   not search (EACCES from stat) is not "found" */
			if (e != -ENOENT && e != -ENOTDIR &&
			    access(out, F_OK) == 0)
				best = e;
		}
		path = *end ? end + 1 : end;
	}
	return best;
}

/* The interpreter a file asks for, into interp ("" if none). */
static int read_interp(const char *path, char *interp, size_t sz)
{
	union {
		char raw[256];
		Elf64_Ehdr eh;
	} head;
	Elf64_Phdr ph;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i, e = 0;

	interp[0] = '\0';
	if (fd < 0)
		return errno == EACCES ? 0 : -errno;	/* exec-only file */
	n = pread(fd, head.raw, sizeof(head.raw) - 1, 0);
	if (n >= 2 && head.raw[0] == '#' && head.raw[1] == '!') {
		char *p = head.raw + 2, *q;

		head.raw[n] = '\0';
		p += strspn(p, " \t");
		q = p + strcspn(p, " \t\n");
		*q = '\0';
		snprintf(interp, sz, "%s", p);
	} else if (n >= (ssize_t)sizeof(Elf64_Ehdr) &&
		   !memcmp(head.raw, ELFMAG, SELFMAG) &&
		   head.eh.e_ident[EI_CLASS] == ELFCLASS64) {
		for (i = 0; i < head.eh.e_phnum && i < 64; i++) {
			if (pread(fd, &ph, sizeof(ph), head.eh.e_phoff +
				  (off_t)i * head.eh.e_phentsize) !=
			    sizeof(ph))
				break;
			if (ph.p_type != PT_INTERP || ph.p_filesz >= sz)
				continue;
			if (pread(fd, interp, ph.p_filesz, ph.p_offset) !=
			    (ssize_t)ph.p_filesz)
				e = -ENOEXEC;
			else
				interp[ph.p_filesz] = '\0';
			break;
		}
	}
	close(fd);
	return e;
}

int sbx_prog_resolve(const char *argv0, char *const *envp, char *out,
		     size_t outsz, char *msg, size_t msgsz)
{
	char interp[SBX_MAX_PATH];
	int e;

	if (!argv0 || !argv0[0]) {
		snprintf(msg, msgsz, "empty program name");
		return -ENOENT;
	}
	if (strchr(argv0, '/')) {
		snprintf(out, outsz, "%s", argv0);
		e = check_exec(out);
	} else {
		e = search_path(argv0, env_path(envp), out, outsz);
	}
	if (e < 0) {
		if (strchr(argv0, '/'))
			snprintf(msg, msgsz, "%s: %s inside the sandbox",
				 argv0, e == -ENOENT ? "not found" :
				 strerror(-e));
		else
			snprintf(msg, msgsz, "%s: %s in the sandbox's PATH "
				 "(%s)", argv0, e == -ENOENT ? "not found" :
				 strerror(-e), env_path(envp));
		return e;
	}
	e = read_interp(out, interp, sizeof(interp));
	if (e == 0 && interp[0] && (e = check_exec(interp)) < 0) {
		snprintf(msg, msgsz, "%s: its interpreter %s is %s inside "
			 "the sandbox", out, interp, e == -ENOENT ?
			 "missing" : strerror(-e));
		return e;
	}
	if (e < 0)
		snprintf(msg, msgsz, "%s: cannot read it: %s", out,
			 strerror(-e));
	return e;
}
