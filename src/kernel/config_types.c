/*
 * config_types.c - the value types of the configuration service.
 *
 * One table row per type: its name, how text becomes a canonical text and a
 * typed value, and how its rule is described to people.  Every parser is a
 * pure function of the key's (immutable) definition, so config.c runs it
 * without holding the config lock.  Messages name the key and the rule that
 * was broken, because they end up in front of a person typing `config set`
 * or writing to /sys.
 */
#include "config_i.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef int (*parse_fn)(const struct cfg_key *k, const char *s, char *canon,
			int64_t *ival, struct mn_strbuf *err);

static int64_t lo_of(const struct cfg_key *k)
{
	if (k->def.min == 0 && k->def.max == 0)
		return k->def.type == MN_CONFIG_SIZE ? 0 : INT64_MIN;
	return k->def.min;
}

static int64_t hi_of(const struct cfg_key *k)
{
	if (k->def.min == 0 && k->def.max == 0)
		return INT64_MAX;
	return k->def.max;
}

static int bad(struct mn_strbuf *err, const struct cfg_key *k,
	       const char *fmt, const char *s)
{
	if (err) {
		mn_strbuf_printf(err, "%s: ", k->def.name);
		mn_strbuf_printf(err, fmt, s);
	}
	return -EINVAL;
}

static int out_of_range(struct mn_strbuf *err, const struct cfg_key *k,
			const char *s)
{
	if (err) {
		mn_strbuf_printf(err, "%s: %s is out of range ", k->def.name,
				 s);
		mn__config_describe(k, err);
	}
	return -EINVAL;
}

static int parse_int(const struct cfg_key *k, const char *s, char *canon,
		     int64_t *ival, struct mn_strbuf *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || isspace((unsigned char)*s))
		return bad(err, k, "'%s' is not a whole number", s);
	if (errno == ERANGE || v < lo_of(k) || v > hi_of(k))
		return out_of_range(err, k, s);
	*ival = v;
	snprintf(canon, MN_CONFIG_VALUE_MAX, "%lld", v);
	return 0;
}

static const struct {
	const char *word;
	int value;
} bool_words[] = {
	{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
	{"on", 1},   {"off", 0},   {"1", 1},   {"0", 0},
};

static int parse_bool(const struct cfg_key *k, const char *s, char *canon,
		      int64_t *ival, struct mn_strbuf *err)
{
	size_t i;

	for (i = 0; i < sizeof(bool_words) / sizeof(bool_words[0]); i++) {
		if (strcasecmp(s, bool_words[i].word) == 0) {
			*ival = bool_words[i].value;
			strcpy(canon, *ival ? "true" : "false");
			return 0;
		}
	}
	return bad(err, k, "'%s' is not a boolean (true/false, yes/no, "
		   "on/off, 1/0)", s);
}

static int parse_string(const struct cfg_key *k, const char *s, char *canon,
			int64_t *ival, struct mn_strbuf *err)
{
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return bad(err, k, "%scontrol characters are not "
				   "allowed", "");
	if (len > k->def.max_len) {
		if (err)
			mn_strbuf_printf(err, "%s: value is %zu bytes, at most "
					 "%zu allowed", k->def.name, len,
					 k->def.max_len);
		return -EINVAL;
	}
	memcpy(canon, s, len + 1);
	*ival = 0;
	return 0;
}

static int parse_enum(const struct cfg_key *k, const char *s, char *canon,
		      int64_t *ival, struct mn_strbuf *err)
{
	size_t i;

	for (i = 0; i < k->nnames; i++) {
		if (strcasecmp(s, k->names[i]) == 0) {
			*ival = (int64_t)i;
			snprintf(canon, MN_CONFIG_VALUE_MAX, "%s",
				 k->names[i]);
			return 0;
		}
	}
	if (err) {
		mn_strbuf_printf(err, "%s: '%s' is not one of ", k->def.name,
				 s);
		for (i = 0; i < k->nnames; i++)
			mn_strbuf_printf(err, "%s%s", i ? ", " : "",
					 k->names[i]);
	}
	return -EINVAL;
}

static const struct {
	char suffix;
	int shift;
} size_units[] = {{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}};

/* Largest unit that divides v exactly: 65536 -> "64K", 100 -> "100". */
static void fmt_size(char *buf, size_t n, int64_t v)
{
	int i;

	for (i = 3; i >= 0; i--) {
		int64_t unit = (int64_t)1 << size_units[i].shift;

		if (v != 0 && v % unit == 0) {
			snprintf(buf, n, "%" PRId64 "%c", v / unit,
				 size_units[i].suffix);
			return;
		}
	}
	snprintf(buf, n, "%" PRId64, v);
}

/* "4096", "4K", "4k", "4KB", "4KiB", "16M" -> bytes; -1 if malformed. */
static int parse_size_text(const char *s, int64_t *out, int *overflow)
{
	char *end;
	unsigned long long v;
	size_t i;
	int shift = 0;

	*overflow = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		*overflow = 1;
	for (i = 0; *end && i < sizeof(size_units) / sizeof(size_units[0]);
	     i++) {
		if (toupper((unsigned char)*end) == size_units[i].suffix) {
			shift = size_units[i].shift;
			end++;
			if (strcasecmp(end, "B") == 0 ||
			    strcasecmp(end, "iB") == 0)
				end += strlen(end);
			break;
		}
	}
	if (*end && strcasecmp(end, "B") != 0)
		return -1;
	if (v > (unsigned long long)INT64_MAX >> shift)
		*overflow = 1;
	*out = *overflow ? INT64_MAX : (int64_t)(v << shift);
	return 0;
}

static int parse_size(const struct cfg_key *k, const char *s, char *canon,
		      int64_t *ival, struct mn_strbuf *err)
{
	int64_t v;
	int overflow;

	if (parse_size_text(s, &v, &overflow) < 0)
		return bad(err, k, "'%s' is not a size (bytes, or a number "
			   "with K, M, G or T)", s);
	if (overflow || v < lo_of(k) || v > hi_of(k))
		return out_of_range(err, k, s);
	*ival = v;
	fmt_size(canon, MN_CONFIG_VALUE_MAX, v);
	return 0;
}

static const struct {
	const char *name;
	parse_fn parse;
} types[MN_CONFIG__TYPES] = {
	[MN_CONFIG_INT] = {"int", parse_int},
	[MN_CONFIG_BOOL] = {"bool", parse_bool},
	[MN_CONFIG_STRING] = {"string", parse_string},
	[MN_CONFIG_ENUM] = {"enum", parse_enum},
	[MN_CONFIG_SIZE] = {"size", parse_size},
};

const char *mn_config_type_name(enum mn_config_type type)
{
	if ((unsigned)type >= MN_CONFIG__TYPES)
		return "?";
	return types[type].name;
}

int mn__config_parse(const struct cfg_key *k, const char *text, char *canon,
		     int64_t *ival, struct mn_strbuf *err)
{
	char buf[MN_CONFIG_VALUE_MAX + 1];
	size_t len;
	int rc;

	if (!text)
		return bad(err, k, "%sno value", "");
	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len >= sizeof(buf) - 1) {
		if (err)
			mn_strbuf_printf(err, "%s: value is too long (at most "
					 "%d bytes)", k->def.name,
					 MN_CONFIG_VALUE_MAX - 1);
		return -EINVAL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((rc = types[k->def.type].parse(k, buf, canon, ival, err)) < 0)
		return rc;
	if (k->def.validate) {
		struct mn_strbuf why = MN_STRBUF_INIT;

		rc = k->def.validate(canon, &why);
		if (rc < 0 && err)
			mn_strbuf_printf(err, "%s: '%s' %s", k->def.name, canon,
					 why.len ? mn_strbuf_str(&why) :
						   "is not allowed");
		mn_strbuf_release(&why);
		if (rc < 0)
			return -EINVAL;
	}
	return 0;
}

void mn__config_describe(const struct cfg_key *k, struct mn_strbuf *out)
{
	char lo[32], hi[32];
	size_t i;

	mn_strbuf_puts(out, types[k->def.type].name);
	switch (k->def.type) {
	case MN_CONFIG_INT:
		if (k->def.min == 0 && k->def.max == 0)
			break;
		mn_strbuf_printf(out, " %" PRId64 "..%" PRId64, k->def.min,
				 k->def.max);
		break;
	case MN_CONFIG_SIZE:
		fmt_size(lo, sizeof(lo), lo_of(k));
		fmt_size(hi, sizeof(hi), hi_of(k));
		if (k->def.min || k->def.max)
			mn_strbuf_printf(out, " %s..%s", lo, hi);
		break;
	case MN_CONFIG_STRING:
		mn_strbuf_printf(out, " <= %zu", k->def.max_len);
		break;
	case MN_CONFIG_ENUM:
		for (i = 0; i < k->nnames; i++)
			mn_strbuf_printf(out, "%c%s", i ? '|' : ' ',
					 k->names[i]);
		break;
	default:
		break;
	}
}

int mn__config_valid_name(const char *name)
{
	/* dots separate the sections: never first or last */
	return mn_name_valid(name, MN_CONFIG_NAME_MAX, "_.-") &&
	       name[0] != '.' && name[strlen(name) - 1] != '.';
}

void mn__config_key_free(struct cfg_key *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nnames; i++)
		free((char *)k->names[i]);
	free((char *)k->def.name);
	free((char *)k->def.desc);
	free(k);
}

/* Checks the parts of a definition that do not need a parse. */
static int check_def(const struct mn_config_key *d, struct mn_strbuf *err)
{
	const char *why = NULL;
	size_t i, n = 0;

	if (!mn__config_valid_name(d->name))
		why = "name must be 1..63 of a-z 0-9 _ . - (dotted)";
	else if ((unsigned)d->type >= MN_CONFIG__TYPES)
		why = "unknown type";
	else if (!d->def)
		why = "no default";
	else if ((d->type == MN_CONFIG_INT || d->type == MN_CONFIG_SIZE) &&
		 d->min > d->max)
		why = "min is above max";
	else if (d->type == MN_CONFIG_SIZE && d->min < 0)
		why = "a size cannot be negative";
	else if (d->type == MN_CONFIG_STRING &&
		 d->max_len >= MN_CONFIG_VALUE_MAX)
		why = "max_len is too long";
	if (!why && d->type == MN_CONFIG_ENUM) {
		for (n = 0; d->names && d->names[n]; n++) {
			if (!*d->names[n] ||
			    strlen(d->names[n]) >= MN_CONFIG_VALUE_MAX)
				why = "bad enum name";
			for (i = 0; i < n; i++)
				if (strcasecmp(d->names[i], d->names[n]) == 0)
					why = "repeated enum name";
		}
		if (n == 0 || n > MN_CONFIG_ENUM_MAX)
			why = "an enum needs 1..16 names";
	}
	if (why && err)
		mn_strbuf_printf(err, "config key %s: %s",
				 d->name ? d->name : "(null)", why);
	return why ? -EINVAL : 0;
}

struct cfg_key *mn__config_key_new(const struct mn_config_key *def,
				   struct mn_strbuf *err, int *rc)
{
	struct cfg_key *k;
	size_t i;

	if ((*rc = check_def(def, err)) < 0)
		return NULL;
	*rc = -ENOMEM;
	if (!(k = calloc(1, sizeof(*k))))
		return NULL;
	k->def = *def;
	k->def.name = strdup(def->name);
	k->def.desc = strdup(def->desc ? def->desc : "");
	if (k->def.type == MN_CONFIG_STRING && !k->def.max_len)
		k->def.max_len = MN_CONFIG_VALUE_MAX - 1;
	for (i = 0; k->def.type == MN_CONFIG_ENUM && def->names[i]; i++) {
		k->names[i] = strdup(def->names[i]);
		k->nnames = i + 1;
		if (!k->names[i])
			goto err_free;
	}
	k->def.names = k->def.type == MN_CONFIG_ENUM ? k->names : NULL;
	if (!k->def.name || !k->def.desc)
		goto err_free;
	*rc = mn__config_parse(k, def->def, k->def_value, &k->def_ival, err);
	if (*rc < 0)
		goto err_free;
	k->def.def = k->def_value;
	memcpy(k->value, k->def_value, sizeof(k->value));
	k->ival = k->def_ival;
	return k;
err_free:
	mn__config_key_free(k);
	return NULL;
}
