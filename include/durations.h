/*
 * Learned task durations (issue 21, first step): per key (account, API,
 * task type, and optionally cluster) a histogram of the durations of the
 * tasks that ended, in logarithmic buckets, from which the median and p95
 * are read.  Bounded: each key takes less than DURATIONS_KEY_BYTES and at
 * most max_keys are kept, the least recently used dropped first.  Kept as
 * JSON text by its owner (state_dir).  Pure; no I/O.
 */
#ifndef DURATIONS_H
#define DURATIONS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bucket i holds durations d with floor(DURATIONS_STEPS * log2(d)) == i,
 * d in whole seconds from 1 (bucket 0 also takes 0) to 2^24 s (194 days;
 * longer ones count in the last bucket): each bucket spans 2^(1/8), about
 * 9 %, so a quantile read at a bucket's middle is off by at most 4.5 %.
 */
#define DURATIONS_STEPS 8
#define DURATIONS_BUCKETS (24 * DURATIONS_STEPS + 1)
#define DURATIONS_KEY_BYTES 2048 /* the bound per key, checked by tests */
#define DURATIONS_MAX_KEYS 10000 /* the default bound on keys */

struct durations;

/* What one key has learned. */
struct durations_stats {
	uint64_t count;
	int64_t max_s;
	int64_t p50_s; /* -1 when count is 0 */
	int64_t p95_s;
};

/* An empty table keeping at most max_keys keys (0: DURATIONS_MAX_KEYS). */
struct durations *durations_new(size_t max_keys);
/* Free; NULL is a no-op. */
void durations_free(struct durations *d);
/*
 * Learn that a task of key ran secs seconds (negative: ignored).  The key
 * becomes the most recently used; a new key past the bound drops the
 * least recently used one.
 */
void durations_add(struct durations *d, const char *key, int64_t secs);
/* What key has learned; 0 if the key is known, -1 if not (*st zeroed). */
int durations_get(
    const struct durations *d, const char *key, struct durations_stats *st);
/* The number of keys kept. */
size_t durations_count(const struct durations *d);
/* The bytes one key takes (entry, histogram and key text of len bytes). */
size_t durations_key_bytes(size_t key_len);
/* Call cb for each key, most recently used first. */
void durations_foreach(const struct durations *d,
    void (*cb)(const char *key, const struct durations_stats *st, void *arg),
    void *arg);
/* The table as JSON text (caller frees), least recently used first. */
char *durations_json(const struct durations *d);
/*
 * A table (bound max_keys) from JSON text written by durations_json;
 * NULL with *cause (caller frees) if the text is not one.
 */
struct durations *durations_from_json(
    const char *text, size_t len, size_t max_keys, char **cause);

#endif
