/*
 * fs_trees_test.h - helpers shared by the tests of the generated trees
 * (test_fs_proc, test_fs_sys, test_fs_events, test_fs_health): a booted
 * kernel with the VFS and the trees attached, whole-file reads through the
 * path API, and the offsets check every generated file must pass.
 *
 * Include after <cmocka.h>.  Everything is static inline so a test that
 * does not use a helper does not warn.
 */
#ifndef MICRONOS_TESTS_FS_TREES_TEST_H
#define MICRONOS_TESTS_FS_TREES_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <micronos/kernel.h>
#include <micronos/strbuf.h>
#include <micronos/vfs.h>

#include "fs_trees_i.h"

static const struct mn_vfs_cred tt_root = {0, 0, 0, 0, NULL, 0};
static const struct mn_vfs_cred tt_user = {1000, 1000, 0, 0, NULL, 0};

/* A booted, memory-only, deterministic kernel with the trees mounted. */
static inline struct mn_kernel *tt_boot(const char *name)
{
	struct mn_kernel_opts o = {.name = name, .deterministic = 1};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_kernel *k = NULL;

	if (mn_kernel_create(&k, &o) < 0)
		return NULL;
	if (mn_vfs_attach(k) < 0 || mn_fs_trees_attach(k) < 0 ||
	    mn_kernel_boot(k, &err) < 0) {
		fprintf(stderr, "boot: %s\n", mn_strbuf_str(&err));
		mn_strbuf_release(&err);
		mn_kernel_destroy(k);
		return NULL;
	}
	mn_strbuf_release(&err);
	return k;
}

static inline struct mn_vfs_file *tt_open(struct mn_kernel *k,
					  const struct mn_vfs_cred *cred,
					  const char *path, int flags)
{
	struct mn_vfs_file *f = NULL;
	int rc = mn_vfs_open_path(mn_vfs_of(k), cred, "/", path, flags, 0, &f);

	if (rc < 0)
		fail_msg("open %s: %s", path, strerror(-rc));
	return f;
}

/* Reads f from off to the end in chunks of `chunk` bytes. */
static inline int tt_read_chunks(struct mn_vfs_file *f, size_t chunk,
				 struct mn_strbuf *out)
{
	char *buf = malloc(chunk);
	off_t off = 0;
	ssize_t n;

	assert_non_null(buf);
	while ((n = mn_vfs_read(f, buf, chunk, off)) > 0) {
		mn_strbuf_add(out, buf, (size_t)n);
		off += n;
	}
	free(buf);
	return n < 0 ? (int)n : 0;
}

/* The whole file as root (or cred); fails the test on an error. */
static inline char *tt_cat_as(struct mn_kernel *k,
			      const struct mn_vfs_cred *cred,
			      const char *path, size_t *len)
{
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct mn_vfs_file *f = tt_open(k, cred, path, O_RDONLY);
	int rc = tt_read_chunks(f, 65536, &sb);

	mn_vfs_release(f);
	if (rc < 0)
		fail_msg("read %s: %s", path, strerror(-rc));
	mn_strbuf_putc(&sb, '\0');	/* a NUL even for an empty file */
	return mn_strbuf_detach(&sb, len);
}

static inline char *tt_cat(struct mn_kernel *k, const char *path)
{
	size_t len;

	return tt_cat_as(k, &tt_root, path, &len);
}

/* Writes a whole control file once; returns the write's result. */
static inline ssize_t tt_write(struct mn_kernel *k,
			       const struct mn_vfs_cred *cred,
			       const char *path, const char *text)
{
	struct mn_vfs_file *f = NULL;
	ssize_t rc = mn_vfs_open_path(mn_vfs_of(k), cred, "/", path,
				      O_WRONLY | O_TRUNC, 0, &f);

	if (rc < 0)
		return rc;
	rc = mn_vfs_write(f, text, strlen(text), 0);
	mn_vfs_release(f);
	return rc;
}

/* A word that is a figure (digits, a point): it may move between renders. */
static inline int tt_numeric(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((w[i] < '0' || w[i] > '9') && w[i] != '.')
			return 0;
	return n > 0;
}

/*
 * Same lines with the same first word (key) in each: what a render again
 * from offset 0 keeps while figures move.
 */
static inline int tt_same_keys(const char *a, size_t alen, const char *b,
			       size_t blen)
{
	const char *ae = a + alen, *be = b + blen;

	while (a < ae && b < be) {
		size_t ka = strcspn(a, " \t:\n"), kb = strcspn(b, " \t:\n");
		const char *na = memchr(a, '\n', (size_t)(ae - a));
		const char *nb = memchr(b, '\n', (size_t)(be - b));

		if (!na != !nb ||
		    (!(tt_numeric(a, ka) && tt_numeric(b, kb)) &&
		     (ka != kb || memcmp(a, b, ka))))
			return 0;
		a = na ? na + 1 : ae;
		b = nb ? nb + 1 : be;
	}
	return a >= ae && b >= be;
}

/*
 * The offsets contract of a generated file: within one open, one big read,
 * 1-byte reads and reads of odd sizes, each sequence started from offset 0
 * (lseek back, which renders again as seq_file does), give the same lines
 * with the same keys; a sequence that mixed two renders would tear a line.
 */
static inline void tt_check_offsets(struct mn_kernel *k, const char *path)
{
	static const size_t sizes[] = {1, 3, 7, 13, 64, 4093, 65536};
	struct mn_vfs_file *f = tt_open(k, &tt_root, path, O_RDONLY);
	struct mn_strbuf first = MN_STRBUF_INIT;
	size_t i;

	assert_int_equal(tt_read_chunks(f, 1 << 20, &first), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct mn_strbuf again = MN_STRBUF_INIT;

		assert_int_equal(tt_read_chunks(f, sizes[i], &again), 0);
		/* a log (events/log) may grow meanwhile: same start is fine */
		if ((again.len != first.len ||
		     (first.len && memcmp(again.buf, first.buf, first.len))) &&
		    !(again.len > first.len &&
		      memcmp(again.buf, first.buf, first.len) == 0) &&
		    !tt_same_keys(first.buf, first.len, again.buf, again.len))
			fail_msg("%s: reads of %zu bytes gave %zu bytes, one "
				 "read gave %zu (or different bytes)", path,
				 sizes[i], again.len, first.len);
		mn_strbuf_release(&again);
	}
	mn_strbuf_release(&first);
	mn_vfs_release(f);
}

struct tt_names {
	char **v;
	size_t n;
};

static inline int tt_collect(void *arg, const char *name, uint64_t st_ino,
			     unsigned dtype, off_t next)
{
	struct tt_names *nm = arg;

	(void)st_ino;
	(void)dtype;
	(void)next;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	nm->v = realloc(nm->v, (nm->n + 1) * sizeof(*nm->v));
	assert_non_null(nm->v);
	nm->v[nm->n++] = strdup(name);
	return 0;
}

/* The names in a directory (without . and ..). */
static inline struct tt_names tt_list(struct mn_kernel *k, const char *path)
{
	struct tt_names nm = {NULL, 0};
	struct mn_vfs_file *d = tt_open(k, &tt_root, path,
					O_RDONLY | O_DIRECTORY);

	assert_int_equal(mn_vfs_readdir(d, 0, tt_collect, &nm), 0);
	mn_vfs_releasedir(d);
	return nm;
}

static inline int tt_has(const struct tt_names *nm, const char *name)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], name) == 0)
			return 1;
	return 0;
}

static inline void tt_names_free(struct tt_names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	nm->v = NULL;
	nm->n = 0;
}

/*
 * Walks a tree (symlinks not followed), checks the offsets contract of
 * every regular file except `skip` (a name, may be NULL) and returns how
 * many files it read.
 */
static inline size_t tt_walk_check(struct mn_kernel *k, const char *dir,
				   const char *skip)
{
	struct tt_names nm = tt_list(k, dir);
	char path[MN_VFS_PATH_MAX];
	struct stat st;
	size_t i, files = 0;
	int rc;

	for (i = 0; i < nm.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, nm.v[i]);
		rc = mn_vfs_stat_path(mn_vfs_of(k), &tt_root, "/", path,
				      MN_VFS_NOFOLLOW, &st);
		if (rc == -ENOENT)
			continue;	/* went away meanwhile */
		assert_int_equal(rc, 0);
		if (S_ISDIR(st.st_mode))
			files += tt_walk_check(k, path, skip);
		else if (S_ISREG(st.st_mode) &&
			 !(skip && strcmp(nm.v[i], skip) == 0)) {
			tt_check_offsets(k, path);
			files++;
		}
	}
	tt_names_free(&nm);
	return files;
}

/* Splits s at blanks into at most max fields (s is modified). */
static inline int tt_split(char *s, char **field, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(s, " \n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \n", &save))
		field[n++] = tok;
	return n;
}

#endif
