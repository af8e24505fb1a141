/*
 * fault - fault injection: rules that make chosen calls fail on purpose.
 *
 * A rule names a call, who it applies to, what happens and how often:
 *
 *   CALL [path=GLOB] [pid=N | tree=N] [uid=N] [errno=NAME|N]
 *        [every=N] [after=N] [times=N] [prob=P] [delay=MS] [limit=BYTES]
 *
 *   CALL   a trapped Linux call (socket, connect, accept, bind, listen,
 *          execve, open, openat, kill, uname...) or an operation that
 *          MicronOS's file systems serve through the mount (open, read,
 *          write, fsync, create, unlink, mkdir, rename); "*" for any.
 *   path   an fnmatch(3) glob on the file's MicronOS path (file operations
 *          and traced opens only).
 *   pid, tree, uid   whom: one process, a process and its descendants, one
 *          MicronOS uid; absent: everyone.
 *   errno  what the call returns (default EIO; ENOSPC for limit=).
 *   every=N  fires on every Nth matching call; after=N lets the first N
 *          matching calls through; times=N fires at most N times; prob=P
 *          fires with probability P (0 < P <= 1) from the instance's seeded
 *          generator, so the same seed fires at the same calls.
 *   delay=MS adds latency to each call it fires on; with no errno given the
 *          call then succeeds.
 *   limit=BYTES (write) lets BYTES through in total; the write that crosses
 *          the limit is cut short to it, later writes fail (a disk that
 *          fills up).
 *
 * Every decision is one mn_fault_check(): with no rule it is one relaxed
 * atomic load.  A rule that fires counts, and publishes FaultInjected with
 * the rule id, pid, call and errno.
 *
 * Locking: one mutex (a leaf lock: evbus is called after it is dropped)
 * guards the rule list and its counters.
 */
#ifndef MICRONOS_FAULT_H
#define MICRONOS_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include <micronos/strbuf.h>

struct mn_faults;
struct mn_evbus;

#define MN_FAULT_MAX_RULES 64
#define MN_FAULT_RULE_MAX 512	/* bytes of one rule's text */

/* Asks whether `pid` is `root` or one of its descendants. */
typedef int mn_fault_in_tree_fn(void *arg, int32_t pid, int32_t root);

/*
 * Creates an empty rule set.  bus (borrowed, may be NULL) receives the
 * FaultInjected events; in_tree (may be NULL: tree= never matches) answers
 * tree= rules.  seed starts the generator behind prob=.
 */
int mn_faults_create(struct mn_faults **out, struct mn_evbus *bus,
		     mn_fault_in_tree_fn *in_tree, void *arg, uint64_t seed);
void mn_faults_destroy(struct mn_faults *f);
/* Restarts every rule's generator from seed (rules keep their counters). */
void mn_faults_seed(struct mn_faults *f, uint64_t seed);
uint64_t mn_faults_get_seed(struct mn_faults *f);

/*
 * Parses and adds one rule.  Returns its id (> 0), or -EINVAL with a
 * one-line reason in err (may be NULL): unknown call, unknown errno, prob
 * out of range, a bad number, an unknown key; -ENOSPC when
 * MN_FAULT_MAX_RULES are set.
 */
int mn_faults_add(struct mn_faults *f, const char *text, struct mn_strbuf *err);
/* Removes rule id (-ENOENT if none); id 0 removes every rule. */
int mn_faults_remove(struct mn_faults *f, unsigned id);
/* How many rules are set. */
size_t mn_faults_count(const struct mn_faults *f);
/*
 * One line per rule: "ID RULE fired=N matched=N", RULE in canonical form
 * (parsing it again gives the same rule).
 */
int mn_faults_format(struct mn_faults *f, struct mn_strbuf *out);

/* What the caller is about to do. */
struct mn_fault_query {
	const char *call;	/* "write", "connect", ... */
	const char *path;	/* MicronOS path, or NULL */
	int32_t pid;		/* MicronOS pid, 0 for the kernel */
	int64_t uid;		/* MicronOS uid, -1 unknown */
	size_t size;		/* bytes a write carries, else 0 */
};

/* What the caller must do. */
struct mn_fault_hit {
	unsigned rule;		/* the rule's id */
	int error;		/* -errno to return, or 0 */
	uint64_t delay_ns;	/* sleep this long first */
	int64_t short_len;	/* write only these bytes (>= 0), or -1 */
};

/*
 * Decides one call.  Returns 1 and fills hit when a rule fires (the first
 * matching rule in id order decides), 0 when the call goes on untouched.
 * Never blocks: the caller applies the delay.
 */
int mn_fault_check(struct mn_faults *f, const struct mn_fault_query *q,
		   struct mn_fault_hit *hit);

/* Whether any rule names `call` (or "*"): lets a hot path skip queries. */
int mn_faults_watch(const struct mn_faults *f, const char *call);

/*
 * One command of /sys/fault/rules and the shell's `fault`: a RULE adds it
 * (returns its id), "-ID" removes one, "clear" removes all.  msg gets the
 * reason of a refusal.
 */
int mn_faults_command(struct mn_faults *f, const char *line,
		      struct mn_strbuf *msg);

/* Sleeps for a hit's delay (nanosleep, restarted on EINTR). */
void mn_fault_delay(const struct mn_fault_hit *hit);

#endif
