/*
 * config_file.c - the configuration file: load, save, atomic replace.
 *
 * The file is text, "key = value" per line, so a person can read and edit
 * it.  Loading is all-or-nothing: the whole file is parsed and every value
 * validated before anything changes, so a typo on line 40 cannot leave the
 * instance half configured; the error names the line.  Keys nobody has
 * registered are kept (a layer that did not start this time must not lose
 * its settings at the next save).
 *
 * Saving writes a temp file next to the target, fsyncs it, renames it over
 * the target and fsyncs the directory: after a crash the file is either the
 * old one or the new one, never a mix, and a failed write leaves the old
 * file as it was.
 */
#include "config_i.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <micronos/evbus.h>

#define FILE_MAX (1024 * 1024)
#define LINE_MAX_LEN 1023

/* --- writing -------------------------------------------------------------- */

int mn__config_render(struct mn_config *cfg, struct mn_strbuf *out)
{
	struct cfg_pending *p;
	size_t i;

	mn_strbuf_puts(out,
		       "# MicronOS configuration, rewritten on every change "
		       "(`config set KEY VALUE`).\n"
		       "# One \"key = value\" per line; '#' starts a comment "
		       "line.  A key that is\n"
		       "# commented out is at its default.\n");
	for (i = 0; i < cfg->nkeys; i++) {
		const struct cfg_key *k = cfg->keys[i];
		int def = strcmp(k->value, k->def_value) == 0;

		mn_strbuf_printf(out, "\n# %s (", k->def.desc);
		mn__config_describe(k, out);
		mn_strbuf_printf(out, ")\n%s%s = %s\n", def ? "# " : "",
				 k->def.name, k->value);
	}
	if (cfg->pending)
		mn_strbuf_puts(out, "\n# Kept for keys this instance did not "
			       "register:\n");
	for (p = cfg->pending; p; p = p->next)
		mn_strbuf_printf(out, "%s = %s\n", p->key, p->value);
	return mn_strbuf_error(out);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory holding path, so the rename itself is durable. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int mn__config_write_atomic(const char *path, const char *text, size_t len,
			    struct mn_strbuf *err)
{
	char tmp[PATH_MAX];
	const char *step = "create a temp file";
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	step = "write";
	if ((rc = write_all(fd, text, len)) == 0) {
		step = "fsync";
		if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
			rc = -errno;
	}
	if (close(fd) < 0 && rc == 0) {
		step = "close";
		rc = -errno;
	}
	if (rc == 0) {
		step = "rename the temp file";
		if (rename(tmp, path) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		unlink(tmp);
		goto out;
	}
	step = "fsync the directory";
	rc = sync_dir(path);
out:
	if (rc < 0 && err)
		mn_strbuf_printf(err, "cannot save config to %s (%s): %s",
				 path, step, strerror(-rc));
	return rc;
}

int mn_config_save(struct mn_config *cfg, const char *path,
		   struct mn_strbuf *err)
{
	struct mn_strbuf file = MN_STRBUF_INIT;
	int rc;

	if (!path)
		return -EINVAL;
	pthread_mutex_lock(&cfg->save_lock);
	pthread_mutex_lock(&cfg->lock);
	rc = mn__config_render(cfg, &file);
	pthread_mutex_unlock(&cfg->lock);
	if (rc == 0)
		rc = mn__config_write_atomic(path, file.buf, file.len, err);
	else if (err)
		mn_strbuf_puts(err, "cannot save config: out of memory");
	pthread_mutex_unlock(&cfg->save_lock);
	mn_strbuf_release(&file);
	return rc;
}

/* --- reading -------------------------------------------------------------- */

struct entry {
	char *key;		/* into the file buffer */
	char *value;
	int line;
	struct cfg_key *k;	/* NULL: not registered */
	int superseded;		/* a later line sets the same key */
	char canon[MN_CONFIG_VALUE_MAX];
	int64_t ival;
};

static int read_file(const char *path, char **out, size_t *len,
		     struct mn_strbuf *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (st.st_size > FILE_MAX) {
		rc = -EFBIG;
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = -ENOMEM;
	}
	while (rc == 0 && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;	/* shrank meanwhile: take what is there */
		}
		got += (size_t)n;
	}
	close(fd);
out:
	if (rc < 0) {
		if (err && rc != -ENOENT)
			mn_strbuf_printf(err, "%s: %s", path,
					 rc == -EFBIG ? "file is larger than "
							"1 MiB" :
						       strerror(-rc));
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

static char *trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* Splits one line; 1 for an entry, 0 for blank/comment, -EINVAL. */
static int split_line(char *line, size_t len, struct entry *e,
		      const char **why)
{
	char *eq, *s = trim(line, line + len);

	if (!*s || *s == '#')
		return 0;
	if (len > LINE_MAX_LEN) {
		*why = "line is longer than 1023 bytes";
		return -EINVAL;
	}
	if (!(eq = strchr(s, '='))) {
		*why = "expected \"key = value\"";
		return -EINVAL;
	}
	e->key = trim(s, eq);
	e->value = trim(eq + 1, eq + 1 + strlen(eq + 1));
	if (!mn__config_valid_name(e->key)) {
		*why = "not a key name (a-z 0-9 _ . -)";
		return -EINVAL;
	}
	return 1;
}

/* Cuts the buffer into entries; -EINVAL with "PATH:LINE: why". */
static int parse_lines(const char *path, char *buf, size_t len,
		       struct entry **out, size_t *n, struct mn_strbuf *err)
{
	struct entry *v = NULL, *nv;
	size_t cap = 0;
	char *line = buf, *nl;
	const char *why = NULL;
	int lineno = 0, rc = 0;

	*n = 0;
	if ((nl = memchr(buf, '\0', len))) {
		for (lineno = 1; line < nl; line++)
			lineno += *line == '\n';
		why = "file holds a NUL byte";
		rc = -EINVAL;
	}
	while (rc == 0 && line < buf + len) {
		struct entry e = {0};

		lineno++;
		if (!(nl = strchr(line, '\n')))
			nl = buf + len;
		*nl = '\0';
		e.line = lineno;
		rc = split_line(line, (size_t)(nl - line), &e, &why);
		if (rc > 0) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 32;
				if (!(nv = realloc(v, cap * sizeof(*v)))) {
					rc = -ENOMEM;
					break;
				}
				v = nv;
			}
			v[(*n)++] = e;
			rc = 0;
		}
		line = nl + 1;
	}
	if (rc < 0) {
		if (err)
			mn_strbuf_printf(err, "%s:%d: %s", path, lineno,
					 why ? why : strerror(-rc));
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

/* Unknown keys' values cannot be type-checked, but must stay one line. */
static int plain_text(const char *s)
{
	size_t len = strlen(s);

	if (len >= MN_CONFIG_VALUE_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * No lock held (keys' definitions are immutable): validates every value,
 * marks repeated keys and collects warnings.  -EINVAL with "PATH:LINE: ...".
 */
static int check_entries(const char *path, struct entry *v, size_t n,
			 struct mn_strbuf *err, struct mn_strbuf *warn)
{
	struct mn_strbuf why = MN_STRBUF_INIT;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		for (j = i + 1; j < n && !v[i].superseded; j++)
			v[i].superseded = strcmp(v[i].key, v[j].key) == 0;
		if (v[i].superseded && warn)
			mn_strbuf_printf(warn, "%s:%d: warning: %s is set "
					 "again later; the last one wins\n",
					 path, v[i].line, v[i].key);
		if (!v[i].k) {
			if (!plain_text(v[i].value)) {
				mn_strbuf_printf(&why, "%s: value is too long "
						 "or holds control characters",
						 v[i].key);
				rc = -EINVAL;
			} else if (warn && !v[i].superseded) {
				mn_strbuf_printf(warn, "%s:%d: warning: "
						 "unknown key %s, kept for a "
						 "layer that may register it\n",
						 path, v[i].line, v[i].key);
			}
			continue;
		}
		rc = mn__config_parse(v[i].k, v[i].value, v[i].canon,
				      &v[i].ival, &why);
	}
	if (rc < 0 && err)
		mn_strbuf_printf(err, "%s:%d: %s", path, v[i - 1].line,
				 mn_strbuf_str(&why));
	mn_strbuf_release(&why);
	return rc;
}

/* Caller holds both locks.  Sets (or adds) a kept value of an unknown key. */
static int keep_pending(struct mn_config *cfg, const char *key,
			const char *value)
{
	struct cfg_pending **pp, *p;
	char *copy = strdup(value);
	int cmp = 1;

	if (!copy)
		return -ENOMEM;
	for (pp = &cfg->pending; *pp; pp = &(*pp)->next)
		if ((cmp = strcmp((*pp)->key, key)) >= 0)
			break;
	if (cmp == 0) {
		free((*pp)->value);
		(*pp)->value = copy;
		return 0;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->key = strdup(key))) {
		free(p);
		free(copy);
		return -ENOMEM;
	}
	p->value = copy;
	p->next = *pp;
	*pp = p;
	return 0;
}

/* Caller holds save_lock.  Applies checked entries; fills the changes. */
static size_t apply_entries(struct mn_config *cfg, struct entry *v, size_t n,
			    struct cfg_change *ch, struct mn_strbuf *warn)
{
	size_t i, nch = 0;

	pthread_mutex_lock(&cfg->lock);
	for (i = 0; i < n; i++) {
		struct cfg_key *k = v[i].k;

		if (v[i].superseded)
			continue;
		if (!k) {
			if (keep_pending(cfg, v[i].key, v[i].value) < 0 &&
			    warn)
				mn_strbuf_printf(warn, "warning: out of memory "
						 "keeping %s\n", v[i].key);
			continue;
		}
		if (strcmp(k->value, v[i].canon) == 0)
			continue;
		memcpy(k->value, v[i].canon, sizeof(k->value));
		k->ival = v[i].ival;
		mn__config_changed(cfg, k, 0);
		snprintf(ch[nch].key, sizeof(ch[nch].key), "%s", k->def.name);
		memcpy(ch[nch++].value, k->value, sizeof(k->value));
	}
	pthread_mutex_unlock(&cfg->lock);
	return nch;
}

int mn_config_load(struct mn_config *cfg, const char *path,
		   struct mn_strbuf *err, struct mn_strbuf *warn)
{
	struct cfg_change *ch = NULL;
	struct entry *v = NULL;
	size_t i, n = 0, len, nch = 0;
	char *buf = NULL;
	int rc;

	if (!path)
		return -EINVAL;
	if ((rc = read_file(path, &buf, &len, err)) < 0)
		return rc;
	if ((rc = parse_lines(path, buf, len, &v, &n, err)) < 0)
		goto out;
	if (n && !(ch = calloc(n, sizeof(*ch)))) {
		rc = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&cfg->save_lock);
	pthread_mutex_lock(&cfg->lock);
	for (i = 0; i < n; i++)
		v[i].k = mn__config_find(cfg, v[i].key);
	pthread_mutex_unlock(&cfg->lock);
	if ((rc = check_entries(path, v, n, err, warn)) == 0)
		nch = apply_entries(cfg, v, n, ch, warn);
	pthread_mutex_unlock(&cfg->save_lock);
	if (rc == 0)
		mn__config_notify(cfg, ch, nch);
out:
	free(ch);
	free(v);
	free(buf);
	return rc < 0 ? rc : (int)nch;
}
