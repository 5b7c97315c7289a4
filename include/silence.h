/*
 * Silences: while one is active, the events it matches are recorded but go
 * only to notifiers that take silenced events; when it ends, what happened
 * under it is summed up.  A silence matches on the fields rules match
 * (event, api, account, watch, task_type, cluster, from, to; globs), each
 * field AND, its values OR.  The set is kept as JSON text by its owner
 * (state_dir), so silences survive a restart and end on time across one.
 * Pure; no I/O.
 */
#ifndef SILENCE_H
#define SILENCE_H

#include <stddef.h>
#include <stdint.h>

#include "evt.h"

#define SILENCE_ID_LEN 16     /* hex digits */
#define SILENCE_MAX 1000      /* in a set */
#define SILENCE_MAX_TASKS 100 /* tasks an ended silence lists */

struct silence_set;

/* One silence as added, listed and saved. */
struct silence_info {
	char id[SILENCE_ID_LEN + 1];
	char *matchers;    /* "watch=dds-prod cluster=orders-*": as given */
	char *comment;     /* may be NULL */
	int64_t starts_at; /* unix seconds */
	int64_t ends_at;
	long uid, gid;   /* who added it */
	uint64_t events; /* events it silenced */
	int ended;       /* its end was reported (silence_take_ended) */
};

/* A new, empty set. */
struct silence_set *silence_set_new(void);
/* Free a set; NULL is a no-op. */
void silence_set_free(struct silence_set *s);
/*
 * Add a silence with id (SILENCE_ID_LEN hex digits, chosen by the caller)
 * over the matchers "field=glob" (n of them, at least one), from now to
 * ends_at (after now).  -1 with *cause (caller frees) if a matcher names
 * an unknown field or has no value, or the set is full.
 */
int silence_add(struct silence_set *s, const char *id,
    const char *const *matchers, size_t n, const char *comment, int64_t now,
    int64_t ends_at, long uid, long gid, char **cause);
/* End silence id now; -1 if no active silence has that id. */
int silence_expire(struct silence_set *s, const char *id, int64_t now);
/*
 * The id of the first silence active at now that matches ev, counting
 * the event and its task under it; NULL if none.
 */
const char *silence_apply(
    struct silence_set *s, const struct evt *ev, int64_t now);
/* The silences, in order of addition: their count and info (borrowed). */
size_t silence_count(const struct silence_set *s);
const struct silence_info *silence_at(const struct silence_set *s, size_t i);
/*
 * The tasks silence i silenced (as "watch\037cluster\037task id"),
 * at most SILENCE_MAX_TASKS, and how many there were.
 */
const char *const *silence_tasks(
    const struct silence_set *s, size_t i, size_t *n, uint64_t *total);
/*
 * The index of a silence that has ended by now and was not reported yet
 * (marked reported), or -1.  Call until -1.
 */
long silence_take_ended(struct silence_set *s, int64_t now);
/* The seconds from now until the next silence ends; -1 if none will. */
int64_t silence_next_end(const struct silence_set *s, int64_t now);
/* Drop ended, reported silences that ended before cutoff. */
void silence_prune(struct silence_set *s, int64_t cutoff);
/* The set as JSON text (caller frees). */
char *silence_set_json(const struct silence_set *s);
/*
 * A set from JSON text written by silence_set_json; NULL with *cause if
 * the text is not one.
 */
struct silence_set *silence_set_from_json(
    const char *text, size_t len, char **cause);

#endif
