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

#define SILENCE_ID_LEN 16               /* hex digits */
#define SILENCE_MAX 1000                /* in a set */
#define SILENCE_MAX_ITEMS 10000         /* tasks and watches kept per silence */
#define SILENCE_MAX_TIME 253402300799LL /* 9999-12-31T23:59:59Z */

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
	char *window;    /* the maintenance window it opens; NULL: a silence */
};

/*
 * A task (key "watch\037cluster\037id") or a watch ("watch\037") a
 * silence silenced an event about, with the last such event's document:
 * what is raised again when the silence ends, if still true.
 */
struct silence_item {
	char *key;
	char *doc;
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
 * The tasks and watches silence i silenced an event about, at most
 * SILENCE_MAX_ITEMS (the first ones), and how many there were.
 */
const struct silence_item *silence_items(
    const struct silence_set *s, size_t i, size_t *n, uint64_t *total);
/* Mark silence i as the opening of maintenance window name. */
void silence_set_window(struct silence_set *s, size_t i, const char *name);
/* Move the end of silence i to ends_at. */
void silence_set_end(struct silence_set *s, size_t i, int64_t ends_at);
/* Remove silence i. */
void silence_remove(struct silence_set *s, size_t i);
/* The index of the silence with id, or -1. */
long silence_find(const struct silence_set *s, const char *id);
/*
 * The index of a silence that has ended by now and was not reported yet
 * (marked reported), or -1.  Call until -1.
 */
long silence_take_ended(struct silence_set *s, int64_t now);
/* The seconds from now until the next silence ends; -1 if none will. */
int64_t silence_next_end(const struct silence_set *s, int64_t now);
/*
 * Drop ended, reported silences that ended before cutoff; the openings of
 * maintenance windows only before window_cutoff.
 */
void silence_prune(
    struct silence_set *s, int64_t cutoff, int64_t window_cutoff);
/*
 * Silence i as the other replicas of a shard are told of it (daemon.ha):
 * id, matchers, comment, start, end and creator, without what it
 * silenced.  Caller frees.
 */
char *silence_share_text(const struct silence_set *s, size_t i);
/* What silence_merge did. */
enum silence_merge {
	SILENCE_MERGE_SAME,  /* nothing to do */
	SILENCE_MERGE_ADDED, /* a silence new here, still active */
	SILENCE_MERGE_ENDED, /* it ends earlier there: moved here */
	SILENCE_MERGE_STALE, /* it ends earlier here: tell them */
	SILENCE_MERGE_BAD,   /* not a silence (*cause) */
};
/*
 * Take in text, another replica's silence_share_text: a silence unknown
 * here and still active at now is added with its id; of two ends of one
 * silence the earlier wins (an expiry is never undone); one that ended
 * before it was heard of, and windows' openings, are left alone.  Its
 * index in *index (-1 if none).
 */
enum silence_merge silence_merge(struct silence_set *s, const char *text,
    size_t len, int64_t now, long *index, char **cause);
/* The set as JSON text (caller frees). */
char *silence_set_json(const struct silence_set *s);
/*
 * A set from JSON text written by silence_set_json; NULL with *cause if
 * the text is not one.
 */
struct silence_set *silence_set_from_json(
    const char *text, size_t len, char **cause);

#endif
