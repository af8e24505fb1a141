/*
 * fault.c - fault injection rules: parser, decisions, counters, events.
 *
 * The rules are a short list (at most MN_FAULT_MAX_RULES) scanned in id
 * order under one mutex; the hot paths ask mn_faults_watch() or look at
 * the rule count first, so a world with no rules pays one atomic load per
 * call.  Each rule has its own generator (splitmix64 seeded from the
 * instance's seed and the rule's id), so whether a prob= rule fires at a
 * call depends only on the seed, the rule and how many calls it matched
 * before: two runs with the same seed and the same calls fire at the same
 * calls, whatever other rules do.
 *
 * Calls have aliases: a rule on "open" also sees openat, openat2 and creat;
 * "accept" sees accept4; "execve" execveat; "fork" vfork and clone; "fsync"
 * fdatasync.  The query's call is folded to the rule's name before matching.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <micronos/evbus.h>
#include <micronos/fault.h>
#include <micronos/posix.h>

#define CALL_MAX 16
#define GLOB_MAX 256

struct rule {
	unsigned id;
	char call[CALL_MAX];
	char path[GLOB_MAX];	/* "" = any */
	int32_t pid, tree;	/* 0 = any */
	int64_t uid;		/* -1 = any */
	int error;		/* -errno, 0 = none (delay or limit only) */
	int error_set;		/* errno= was given */
	uint64_t every, after, times;	/* 0 = unset */
	double prob;		/* 0 = unset */
	uint64_t delay_ms;
	int64_t limit;		/* -1 = unset */
	/* counters and generator: protected by mn_faults.lock */
	uint64_t matched, fired, bytes, rng;
};

struct tree_answer {
	int32_t root;
	int inside;
};

struct mn_faults {
	pthread_mutex_t lock;
	struct rule rules[MN_FAULT_MAX_RULES];	/* protected by lock */
	atomic_size_t nrules;			/* written under lock */
	atomic_size_t ntrees;			/* rules with tree=; ditto */
	unsigned next_id;			/* protected by lock */
	uint64_t seed;				/* protected by lock */
	struct mn_evbus *bus;
	mn_fault_in_tree_fn *in_tree;
	void *arg;
};

/* Every call a rule may name: the trapped calls and the mount's operations. */
static const char *const calls[] = {
	"*", "open", "read", "write", "fsync", "create", "unlink", "mkdir",
	"rmdir", "rename", "socket", "connect", "accept", "bind", "listen",
	"shutdown", "execve", "fork", "kill", "uname", "getpid", "setuid",
};

static const struct {
	const char *alias, *call;
} aliases[] = {
	{"openat", "open"}, {"openat2", "open"}, {"creat", "open"},
	{"accept4", "accept"}, {"execveat", "execve"}, {"vfork", "fork"},
	{"clone", "fork"}, {"fdatasync", "fsync"}, {"tkill", "kill"},
	{"tgkill", "kill"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *fold_call(const char *call)
{
	size_t i;

	for (i = 0; i < COUNT(aliases); i++)
		if (strcmp(call, aliases[i].alias) == 0)
			return aliases[i].call;
	return call;
}

static int known_call(const char *call)
{
	size_t i;

	for (i = 0; i < COUNT(calls); i++)
		if (strcmp(call, calls[i]) == 0)
			return 1;
	return 0;
}

/* splitmix64: small, seedable, and good enough to decide coin flips. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rule_seed(uint64_t seed, unsigned id)
{
	return seed ^ ((uint64_t)id * 0xd1b54a32d192ed03ULL);
}

int mn_faults_create(struct mn_faults **out, struct mn_evbus *bus,
		     mn_fault_in_tree_fn *in_tree, void *arg, uint64_t seed)
{
	struct mn_faults *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return -ENOMEM;
	}
	atomic_init(&f->nrules, 0);
	atomic_init(&f->ntrees, 0);
	f->next_id = 1;
	f->seed = seed;
	f->bus = bus;
	f->in_tree = in_tree;
	f->arg = arg;
	*out = f;
	return 0;
}

void mn_faults_destroy(struct mn_faults *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void mn_faults_seed(struct mn_faults *f, uint64_t seed)
{
	size_t i, n;

	pthread_mutex_lock(&f->lock);
	f->seed = seed;
	n = atomic_load_explicit(&f->nrules, memory_order_relaxed);
	for (i = 0; i < n; i++)
		f->rules[i].rng = rule_seed(seed, f->rules[i].id);
	pthread_mutex_unlock(&f->lock);
}

uint64_t mn_faults_get_seed(struct mn_faults *f)
{
	uint64_t seed;

	pthread_mutex_lock(&f->lock);
	seed = f->seed;
	pthread_mutex_unlock(&f->lock);
	return seed;
}

/* --- parsing -------------------------------------------------------------- */

static int bad(struct mn_strbuf *err, const char *fmt, const char *what)
{
	if (err)
		mn_strbuf_printf(err, fmt, what);
	return -EINVAL;
}

/* A count or byte size: digits with an optional k, m or g (1024-based). */
static int parse_u64(const char *s, int sizes, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (sizes && *end) {
		int shift = *end == 'k' || *end == 'K' ? 10 :
			    *end == 'm' || *end == 'M' ? 20 :
			    *end == 'g' || *end == 'G' ? 30 : -1;

		if (shift < 0 || end[1] || v > (UINT64_MAX >> shift))
			return -EINVAL;
		v <<= shift;
		end++;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_errno(const char *s, int *out)
{
	uint64_t v;
	int code;

	if (parse_u64(s, 0, &v) == 0) {
		/* a number Linux has no name for could not be listed back
		   (mn_faults_format writes names): refused like a bad name */
		if (v == 0 || v > 4095 || !mn_errno_is_known((int)v))
			return -EINVAL;
		*out = -(int)v;
		return 0;
	}
	code = mn_errno_from_name(s);
	if (code <= 0)
		return -EINVAL;
	*out = -code;
	return 0;
}

static int parse_prob(const char *s, double *out)
{
	char *end;
	double p;

	errno = 0;
	p = strtod(s, &end);
	if (errno || *end || end == s || !(p > 0.0 && p <= 1.0))
		return -EINVAL;
	*out = p;
	return 0;
}

static int parse_id(const char *s, int32_t *out)
{
	uint64_t v;

	if (parse_u64(s, 0, &v) < 0 || v == 0 || v > INT32_MAX)
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
}

/* Applies one key=value to r; `seen` catches a key given twice. */
static int parse_kv(struct rule *r, const char *key, const char *val,
		    unsigned *seen, struct mn_strbuf *err)
{
	static const char *const keys[] = {"path", "pid", "tree", "uid",
		"errno", "every", "after", "times", "prob", "delay", "limit"};
	uint64_t v = 0;
	size_t k;

	for (k = 0; k < COUNT(keys); k++)
		if (strcmp(key, keys[k]) == 0)
			break;
	if (k == COUNT(keys))
		return bad(err, "unknown key '%s'", key);
	if (*seen & (1u << k))
		return bad(err, "key '%s' given twice", key);
	*seen |= 1u << k;
	switch (k) {
	case 0:
		if (!*val || strlen(val) >= GLOB_MAX)
			return bad(err, "bad path glob '%s'", val);
		strcpy(r->path, val);
		return 0;
	case 1:
		return parse_id(val, &r->pid) < 0 ?
			bad(err, "bad pid '%s'", val) : 0;
	case 2:
		return parse_id(val, &r->tree) < 0 ?
			bad(err, "bad tree pid '%s'", val) : 0;
	case 3:
		if (parse_u64(val, 0, &v) < 0 || v > UINT32_MAX)
			return bad(err, "bad uid '%s'", val);
		r->uid = (int64_t)v;
		return 0;
	case 4:
		r->error_set = 1;
		return parse_errno(val, &r->error) < 0 ?
			bad(err, "unknown errno '%s'", val) : 0;
	case 8:
		return parse_prob(val, &r->prob) < 0 ?
			bad(err, "prob '%s' is not in (0, 1]", val) : 0;
	case 10:
		if (parse_u64(val, 1, &v) < 0 || v > INT64_MAX)
			return bad(err, "bad byte limit '%s'", val);
		r->limit = (int64_t)v;
		return 0;
	default:
		break;
	}
	if (parse_u64(val, 0, &v) < 0)
		return bad(err, "bad number '%s'", val);
	if (k == 5 && v == 0)
		return bad(err, "every=%s: must be at least 1", val);
	if (k == 7 && v == 0)
		return bad(err, "times=%s: must be at least 1", val);
	if (k == 9 && v > 60000)
		return bad(err, "delay=%s: at most 60000 ms", val);
	*(k == 5 ? &r->every : k == 6 ? &r->after : k == 7 ? &r->times :
	  &r->delay_ms) = v;
	return 0;
}

static int parse_rule(struct rule *r, const char *text, struct mn_strbuf *err)
{
	char buf[MN_FAULT_RULE_MAX], *save = NULL, *tok;
	unsigned seen = 0;
	int ret;

	if (!text || strlen(text) >= sizeof(buf))
		return bad(err, "%s", "rule too long");
	strcpy(buf, text);
	memset(r, 0, sizeof(*r));
	r->uid = -1;
	r->limit = -1;
	tok = strtok_r(buf, " \t\r\n", &save);
	if (!tok)
		return bad(err, "%s", "empty rule");
	if (strlen(tok) >= CALL_MAX || !known_call(fold_call(tok)))
		return bad(err, "unknown call '%s'", tok);
	strcpy(r->call, fold_call(tok));
	while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok)
			return bad(err, "expected key=value, got '%s'", tok);
		*eq = '\0';
		ret = parse_kv(r, tok, eq + 1, &seen, err);
		if (ret < 0)
			return ret;
	}
	if (r->pid && r->tree)
		return bad(err, "%s", "pid= and tree= exclude each other");
	if (r->limit >= 0 && strcmp(r->call, "write") != 0)
		return bad(err, "limit= applies to write, not %s", r->call);
	if (!r->error_set)
		r->error = r->limit >= 0 ? -ENOSPC : r->delay_ms ? 0 : -EIO;
	return 0;
}

int mn_faults_add(struct mn_faults *f, const char *text, struct mn_strbuf *err)
{
	struct rule r;
	size_t n;
	int ret;

	ret = parse_rule(&r, text, err);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&f->lock);
	n = atomic_load_explicit(&f->nrules, memory_order_relaxed);
	if (n == MN_FAULT_MAX_RULES) {
		ret = -ENOSPC;
		if (err)
			mn_strbuf_printf(err, "at most %d rules",
					 MN_FAULT_MAX_RULES);
	} else {
		r.id = f->next_id++;
		r.rng = rule_seed(f->seed, r.id);
		f->rules[n] = r;
		if (r.tree)
			atomic_fetch_add(&f->ntrees, 1);
		atomic_store_explicit(&f->nrules, n + 1, memory_order_release);
		ret = (int)r.id;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

int mn_faults_remove(struct mn_faults *f, unsigned id)
{
	size_t i, n;
	int ret = -ENOENT;

	pthread_mutex_lock(&f->lock);
	n = atomic_load_explicit(&f->nrules, memory_order_relaxed);
	if (id == 0) {
		ret = 0;
		n = 0;
		atomic_store(&f->ntrees, 0);
	}
	for (i = 0; i < n; i++) {
		if (f->rules[i].id != id)
			continue;
		if (f->rules[i].tree)
			atomic_fetch_sub(&f->ntrees, 1);
		memmove(&f->rules[i], &f->rules[i + 1],
			(n - i - 1) * sizeof(f->rules[0]));
		n--;
		ret = 0;
		break;
	}
	atomic_store_explicit(&f->nrules, n, memory_order_release);
	pthread_mutex_unlock(&f->lock);
	return ret;
}

size_t mn_faults_count(const struct mn_faults *f)
{
	return atomic_load_explicit(&((struct mn_faults *)f)->nrules,
				    memory_order_acquire);
}

static void format_rule(const struct rule *r, struct mn_strbuf *out)
{
	mn_strbuf_printf(out, "%u %s", r->id, r->call);
	if (r->path[0])
		mn_strbuf_printf(out, " path=%s", r->path);
	if (r->pid)
		mn_strbuf_printf(out, " pid=%d", (int)r->pid);
	if (r->tree)
		mn_strbuf_printf(out, " tree=%d", (int)r->tree);
	if (r->uid >= 0)
		mn_strbuf_printf(out, " uid=%" PRId64, r->uid);
	if (r->error)
		mn_strbuf_printf(out, " errno=%s", mn_errno_name(-r->error));
	if (r->every)
		mn_strbuf_printf(out, " every=%" PRIu64, r->every);
	if (r->after)
		mn_strbuf_printf(out, " after=%" PRIu64, r->after);
	if (r->times)
		mn_strbuf_printf(out, " times=%" PRIu64, r->times);
	if (r->prob > 0)
		mn_strbuf_printf(out, " prob=%g", r->prob);
	if (r->delay_ms)
		mn_strbuf_printf(out, " delay=%" PRIu64, r->delay_ms);
	if (r->limit >= 0)
		mn_strbuf_printf(out, " limit=%" PRId64, r->limit);
	mn_strbuf_printf(out, " fired=%" PRIu64 " matched=%" PRIu64 "\n",
			 r->fired, r->matched);
}

int mn_faults_format(struct mn_faults *f, struct mn_strbuf *out)
{
	size_t i, n;

	pthread_mutex_lock(&f->lock);
	n = atomic_load_explicit(&f->nrules, memory_order_relaxed);
	for (i = 0; i < n; i++)
		format_rule(&f->rules[i], out);
	pthread_mutex_unlock(&f->lock);
	return mn_strbuf_error(out);
}

int mn_faults_command(struct mn_faults *f, const char *line,
		      struct mn_strbuf *msg)
{
	char *end;
	unsigned long id;
	int ret;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strcmp(line, "clear") == 0)
		return mn_faults_remove(f, 0);
	if (line[0] != '-')
		return mn_faults_add(f, line, msg);
	errno = 0;
	id = strtoul(line + 1, &end, 10);
	if (errno || end == line + 1 || *end || id == 0 || id > UINT32_MAX)
		return bad(msg, "bad rule id '%s'", line + 1);
	ret = mn_faults_remove(f, (unsigned)id);
	if (ret < 0 && msg)
		mn_strbuf_printf(msg, "no rule %lu", id);
	return ret;
}

/* --- decisions ------------------------------------------------------------ */

int mn_faults_watch(const struct mn_faults *f, const char *call)
{
	struct mn_faults *m = (struct mn_faults *)f;
	size_t i, n;
	int hit = 0;

	if (!m || !atomic_load_explicit(&m->nrules, memory_order_acquire))
		return 0;
	call = fold_call(call);
	pthread_mutex_lock(&m->lock);
	n = atomic_load_explicit(&m->nrules, memory_order_relaxed);
	for (i = 0; i < n && !hit; i++)
		hit = m->rules[i].call[0] == '*' ||
		      strcmp(m->rules[i].call, call) == 0;
	pthread_mutex_unlock(&m->lock);
	return hit;
}

/*
 * Who and what: everything but the counting.  tree= rules read `trees`,
 * the answers mn_fault_check() got from in_tree before taking the lock
 * (in_tree asks the process table, which is not a leaf).
 */
static int rule_matches(const struct rule *r, const struct mn_fault_query *q,
			const char *call, const struct tree_answer *trees,
			size_t ntrees)
{
	size_t i;

	if (r->call[0] != '*' && strcmp(r->call, call) != 0)
		return 0;
	if (r->path[0] && (!q->path || fnmatch(r->path, q->path, 0) != 0))
		return 0;
	if (r->pid && q->pid != r->pid)
		return 0;
	if (r->uid >= 0 && q->uid != r->uid)
		return 0;
	if (!r->tree)
		return 1;
	for (i = 0; i < ntrees; i++)
		if (trees[i].root == r->tree)
			return trees[i].inside;
	return 0;	/* a rule added since: it sees the next call */
}

/* Asks in_tree about every tree= root, with no lock held. */
static size_t answer_trees(struct mn_faults *f, int32_t pid,
			   struct tree_answer *trees)
{
	size_t i, n, k = 0;

	pthread_mutex_lock(&f->lock);
	n = atomic_load_explicit(&f->nrules, memory_order_relaxed);
	for (i = 0; i < n; i++)
		if (f->rules[i].tree)
			trees[k++].root = f->rules[i].tree;
	pthread_mutex_unlock(&f->lock);
	for (i = 0; i < k; i++)
		trees[i].inside = f->in_tree && f->in_tree(f->arg, pid,
							   trees[i].root);
	return k;
}

/* Counts a match and decides; fills hit when it fires.  Lock held. */
static int rule_fires(struct rule *r, const struct mn_fault_query *q,
		      struct mn_fault_hit *hit)
{
	uint64_t n = ++r->matched;

	if (n <= r->after)
		return 0;
	if (r->every && (n - r->after) % r->every != 0)
		return 0;
	if (r->times && r->fired >= r->times)
		return 0;
	if (r->prob > 0 &&
	    (double)(next_rand(&r->rng) >> 11) * 0x1p-53 >= r->prob)
		return 0;
	hit->rule = r->id;
	hit->error = r->error;
	hit->delay_ns = r->delay_ms * 1000000ULL;
	hit->short_len = -1;
	if (r->limit >= 0) {
		uint64_t room = (uint64_t)r->limit > r->bytes ?
				(uint64_t)r->limit - r->bytes : 0;

		if (q->size <= room) {
			r->bytes += q->size;
			return 0;
		}
		if (room) {	/* the write that fills the disk is short */
			hit->error = 0;
			hit->short_len = (int64_t)room;
			r->bytes += room;
		}
	}
	r->fired++;
	return 1;
}

static void publish(struct mn_faults *f, const struct mn_fault_query *q,
		    const struct mn_fault_hit *hit)
{
	char what[64];

	if (!f->bus)
		return;
	if (hit->short_len >= 0)
		snprintf(what, sizeof(what), "short write %" PRId64 " of %zu",
			 hit->short_len, q->size);
	else if (hit->error)
		snprintf(what, sizeof(what), "%s", mn_errno_name(-hit->error));
	else
		snprintf(what, sizeof(what), "delay %" PRIu64 " ms",
			 hit->delay_ns / 1000000);
	mn_evbus_publish(f->bus, MN_EV_FAULT_INJECTED, MN_SRC_KERNEL, q->pid,
			 "rule %u: %s by pid %d -> %s%s%s", hit->rule, q->call,
			 (int)q->pid, what, q->path ? " " : "",
			 q->path ? q->path : "");
}

int mn_fault_check(struct mn_faults *f, const struct mn_fault_query *q,
		   struct mn_fault_hit *hit)
{
	struct tree_answer trees[MN_FAULT_MAX_RULES];
	const char *call;
	size_t i, n, ntrees;
	int fired = 0;

	if (!f || !atomic_load_explicit(&f->nrules, memory_order_acquire))
		return 0;
	call = fold_call(q->call);
	ntrees = atomic_load_explicit(&f->ntrees, memory_order_acquire) ?
		 answer_trees(f, q->pid, trees) : 0;
	pthread_mutex_lock(&f->lock);
	n = atomic_load_explicit(&f->nrules, memory_order_relaxed);
	for (i = 0; i < n && !fired; i++)
		if (rule_matches(&f->rules[i], q, call, trees, ntrees))
			fired = rule_fires(&f->rules[i], q, hit);
	pthread_mutex_unlock(&f->lock);
	if (fired)
		publish(f, q, hit);
	return fired;
}

void mn_fault_delay(const struct mn_fault_hit *hit)
{
	struct timespec ts = {
		.tv_sec = (time_t)(hit->delay_ns / 1000000000ULL),
		.tv_nsec = (long)(hit->delay_ns % 1000000000ULL),
	};

	if (!hit->delay_ns)
		return;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
