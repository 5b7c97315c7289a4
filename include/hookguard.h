/*
 * The guardrails of an exec notifier's hook: a run budget (at most max_runs
 * runs per budget key in a sliding window) and a circuit breaker (closed,
 * open for break_for after break_after consecutive failures, then one trial
 * run).  Pure: the caller passes the wall clock and does the I/O; the state
 * is written to and read from JSON for the state file and `taskwatchctl
 * hooks`.
 */
#ifndef HOOKGUARD_H
#define HOOKGUARD_H

#include <stddef.h>
#include <stdint.h>

#define HOOKGUARD_MAX_KEYS 1024 /* budget keys kept; the oldest dropped */

struct hookguard;
struct json;
struct json_writer;

/* The limits, from the notifier's config. */
struct hookguard_conf {
	unsigned max_runs;    /* 0: no budget */
	int64_t window_ms;    /* the budget's window */
	unsigned break_after; /* 0: no breaker */
	int64_t break_for_ms;
};

/* What the guard says to a run. */
enum hookguard_verdict {
	HOOKGUARD_RUN,    /* run it (counted in its budget) */
	HOOKGUARD_BUDGET, /* do not: the key's budget is spent */
	HOOKGUARD_OPEN,   /* do not: the breaker is open */
};

/* The breaker's states. */
enum hookguard_state {
	HOOKGUARD_CLOSED,
	HOOKGUARD_OPENED,
	HOOKGUARD_HALF_OPEN, /* break_for is over: the next run is a trial */
};

/* How a run that was let through ended. */
enum hookguard_outcome {
	HOOKGUARD_OK,
	HOOKGUARD_FAILED,
	HOOKGUARD_CANCELLED, /* neither: it did not finish */
};

/* What admit tells about a refusal, for the hook_suppressed event. */
struct hookguard_refusal {
	int first;            /* the key's first refusal since its last run */
	uint64_t suppressed;  /* refused for the key since its last run */
	int64_t window_start; /* unix ms: the oldest run in the window */
	int64_t free_at;      /* unix ms: when a run is allowed again */
	unsigned runs;        /* runs in the window */
};

/* A new guard with no limits. */
struct hookguard *hookguard_new(void);
/* Free a guard; NULL is a no-op. */
void hookguard_free(struct hookguard *g);
/* Set (or change, on a reload) the limits; the counts are kept. */
void hookguard_configure(struct hookguard *g, const struct hookguard_conf *c);
/*
 * May a run for budget key start at now (unix ms)?  HOOKGUARD_RUN counts
 * it; a refusal fills *r (may be NULL).
 */
enum hookguard_verdict hookguard_admit(struct hookguard *g, const char *key,
    int64_t now, struct hookguard_refusal *r);
/*
 * A run admit let through ended at now; outcome a phrase ("exited with
 * status 1").  1 if that opened the breaker.
 */
int hookguard_done(struct hookguard *g, enum hookguard_outcome how,
    const char *outcome, int64_t now);
/* Close the breaker (taskwatchctl hooks reset); 1 if it was not closed. */
int hookguard_reset(struct hookguard *g, int64_t now);
/* The breaker at now: its state, the failures in a row, open until. */
enum hookguard_state hookguard_breaker(
    struct hookguard *g, int64_t now, unsigned *failures, int64_t *open_until);
/* The outcome of the last run that ended ("" if none). */
const char *hookguard_last_outcome(const struct hookguard *g);
/* Budget keys kept. */
size_t hookguard_nkeys(const struct hookguard *g);
/* Changes since the guard was made (a save is due when it moves). */
uint64_t hookguard_gen(const struct hookguard *g);
/*
 * Write the state as one JSON object: the breaker and at most max_keys
 * budget keys with runs in the window at now (most recently used first),
 * each with the start times of its runs (runs_ms) when full, else only
 * their count and the first and last (for a bounded answer).
 */
void hookguard_write(struct hookguard *g, struct json_writer *w, int64_t now,
    size_t max_keys, int full);
/*
 * Load a state hookguard_write wrote (with every key); -1 with *cause
 * (caller frees) if it is not one, the guard then as it was.
 */
int hookguard_load(struct hookguard *g, const struct json *o, char **cause);

#endif
