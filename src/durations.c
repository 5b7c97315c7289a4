/*
 * Learned task durations (see durations.h): a hash map of keys, each with
 * a histogram of logarithmic buckets, on a least-recently-used list that
 * bounds their number.  Integer arithmetic only: the bucket of a duration
 * is found from its highest bit and a table of the eighth roots of two.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "durations.h"
#include "hashmap.h"
#include "json.h"
#include "xmalloc.h"

#define DURATIONS_VERSION 1
#define DURATIONS_MAX_S ((int64_t)1 << 24)

/* 2^(k/8) and 2^((k + 0.5)/8), k = 0..7, as 16.16 fixed point. */
static const uint64_t durations_lower[DURATIONS_STEPS] = { 65536, 71468, 77936,
	84990, 92682, 101070, 110218, 120194 };
static const uint64_t durations_middle[DURATIONS_STEPS] = { 68438, 74632, 81386,
	88752, 96785, 105545, 115098, 125515 };

/* One key: keep entry first (hashmap.h). */
struct durations_key {
	struct hashmap_entry entry;
	TAILQ_ENTRY(durations_key) lru;
	char *key;
	uint64_t count;
	int64_t max_s;
	uint32_t buckets[DURATIONS_BUCKETS];
};

TAILQ_HEAD(durations_lru, durations_key);

struct durations {
	struct hashmap map;
	struct durations_lru lru; /* most recently used first */
	size_t max_keys;
};

/* An empty table (see durations.h). */
struct durations *
durations_new(size_t max_keys)
{
	struct durations *d = xcalloc(1, sizeof(*d));

	hashmap_init(&d->map);
	TAILQ_INIT(&d->lru);
	d->max_keys = max_keys > 0 ? max_keys : DURATIONS_MAX_KEYS;
	return d;
}

/* Drop one key. */
static void
durations_drop(struct durations *d, struct durations_key *k)
{
	hashmap_remove(&d->map, &k->entry);
	TAILQ_REMOVE(&d->lru, k, lru);
	free(k->key);
	free(k);
}

/* Free a table. */
void
durations_free(struct durations *d)
{
	if (d == NULL)
		return;
	while (!TAILQ_EMPTY(&d->lru))
		durations_drop(d, TAILQ_FIRST(&d->lru));
	hashmap_clear(&d->map);
	free(d);
}

/* The bucket of a duration of secs seconds. */
static size_t
durations_bucket(int64_t secs)
{
	uint64_t v;
	unsigned b = 0, k = 0;

	if (secs <= 1)
		return 0;
	if (secs >= DURATIONS_MAX_S)
		return DURATIONS_BUCKETS - 1;
	v = (uint64_t)secs;
	while ((v >> (b + 1)) != 0)
		b++;
	while (k + 1 < DURATIONS_STEPS &&
	    (v << 16) >= (durations_lower[k + 1] << b))
		k++;
	return (size_t)b * DURATIONS_STEPS + k;
}

/* The duration a bucket stands for: its geometric middle. */
static int64_t
durations_value(size_t i)
{
	unsigned b = (unsigned)(i / DURATIONS_STEPS);

	if (i == 0)
		return 1;
	return (int64_t)((durations_middle[i % DURATIONS_STEPS] << b) >> 16);
}

/* The key's entry, made (dropping the least recently used) if new. */
static struct durations_key *
durations_key(struct durations *d, const char *key)
{
	struct hashmap_entry *e = hashmap_get(&d->map, key);
	struct durations_key *k;

	if (e != NULL) {
		k = HASHMAP_ITEM(e, struct durations_key, entry);
		TAILQ_REMOVE(&d->lru, k, lru);
		TAILQ_INSERT_HEAD(&d->lru, k, lru);
		return k;
	}
	if (hashmap_count(&d->map) >= d->max_keys)
		durations_drop(d, TAILQ_LAST(&d->lru, durations_lru));
	k = xcalloc(1, sizeof(*k));
	k->key = xstrdup(key);
	hashmap_add(&d->map, &k->entry, k->key);
	TAILQ_INSERT_HEAD(&d->lru, k, lru);
	return k;
}

/* Learn one duration (see durations.h). */
void
durations_add(struct durations *d, const char *key, int64_t secs)
{
	struct durations_key *k;

	if (secs < 0)
		return;
	k = durations_key(d, key);
	if (k->buckets[durations_bucket(secs)] < UINT32_MAX) {
		k->buckets[durations_bucket(secs)]++;
		k->count++;
	}
	if (secs > k->max_s)
		k->max_s = secs;
}

/* The q-th quantile (percent) of k: a bucket's middle, at most max. */
static int64_t
durations_quantile(const struct durations_key *k, unsigned pct)
{
	uint64_t rank, seen = 0;
	int64_t v;
	size_t i;

	if (k->count == 0)
		return -1;
	rank = (k->count * pct + 99) / 100;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < DURATIONS_BUCKETS; i++) {
		seen += k->buckets[i];
		if (seen >= rank)
			break;
	}
	v = durations_value(i < DURATIONS_BUCKETS ? i : DURATIONS_BUCKETS - 1);
	return v < k->max_s ? v : k->max_s;
}

/* Fill st from k. */
static void
durations_stats_of(const struct durations_key *k, struct durations_stats *st)
{
	st->count = k->count;
	st->max_s = k->max_s;
	st->p50_s = durations_quantile(k, 50);
	st->p95_s = durations_quantile(k, 95);
}

/* What key has learned (see durations.h). */
int
durations_get(
    const struct durations *d, const char *key, struct durations_stats *st)
{
	struct hashmap_entry *e = hashmap_get(&d->map, key);

	memset(st, 0, sizeof(*st));
	if (e == NULL)
		return -1;
	durations_stats_of(HASHMAP_ITEM(e, struct durations_key, entry), st);
	return 0;
}

/* The number of keys kept. */
size_t
durations_count(const struct durations *d)
{
	return hashmap_count(&d->map);
}

/* The bytes one key takes. */
size_t
durations_key_bytes(size_t key_len)
{
	return sizeof(struct durations_key) + key_len + 1;
}

/* Call cb for each key, most recently used first. */
void
durations_foreach(const struct durations *d,
    void (*cb)(const char *key, const struct durations_stats *st, void *arg),
    void *arg)
{
	const struct durations_key *k;
	struct durations_stats st;

	TAILQ_FOREACH (k, &d->lru, lru) {
		durations_stats_of(k, &st);
		cb(k->key, &st, arg);
	}
}

/*
 * The table as JSON, least recently used first (so that reading it back
 * in order restores the order): {"version":1,"keys":[{"key","max_s",
 * "buckets":[[index,count],...]}]}, empty buckets left out.
 */
char *
durations_json(const struct durations *d)
{
	struct json_writer *w = json_writer_new();
	const struct durations_key *k;
	char *out;
	size_t i;

	json_w_obj_open(w);
	json_w_kint(w, "version", DURATIONS_VERSION);
	json_w_key(w, "keys");
	json_w_arr_open(w);
	TAILQ_FOREACH_REVERSE (k, &d->lru, durations_lru, lru) {
		json_w_obj_open(w);
		json_w_kstr(w, "key", k->key);
		json_w_kint(w, "max_s", k->max_s);
		json_w_key(w, "buckets");
		json_w_arr_open(w);
		for (i = 0; i < DURATIONS_BUCKETS; i++) {
			if (k->buckets[i] == 0)
				continue;
			json_w_arr_open(w);
			json_w_int(w, (int64_t)i);
			json_w_int(w, (int64_t)k->buckets[i]);
			json_w_arr_close(w);
		}
		json_w_arr_close(w);
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/* Read one key's object into d; -1 with *cause. */
static int
durations_read(struct durations *d, const struct json *o, char **cause)
{
	const char *key = json_get_str(o, "key");
	const struct json *b = json_get(o, "buckets"), *pair;
	struct durations_key *k;
	int64_t max_s, i, n;
	size_t j;

	if (key == NULL || json_type(b) != JSON_ARRAY ||
	    json_int(json_get(o, "max_s"), 0, &max_s) == -1) {
		*cause = xstrdup("a key without key, max_s or buckets");
		return -1;
	}
	k = durations_key(d, key);
	k->max_s = max_s;
	for (j = 0; j < json_len(b); j++) {
		pair = json_at(b, j);
		if (json_len(pair) != 2 ||
		    json_int(json_at(pair, 0), 0, &i) == -1 ||
		    json_int(json_at(pair, 1), 0, &n) == -1 || i < 0 ||
		    i >= DURATIONS_BUCKETS || n < 0 || n > UINT32_MAX) {
			*cause = xasprintf("key %.64s: a bad bucket", key);
			return -1;
		}
		k->count += (uint64_t)n - k->buckets[i];
		k->buckets[i] = (uint32_t)n;
	}
	return 0;
}

/* A table from its JSON text (see durations.h). */
struct durations *
durations_from_json(const char *text, size_t len, size_t max_keys, char **cause)
{
	const struct json *keys;
	struct durations *d;
	struct json *doc;
	size_t i;

	if ((doc = json_parse(text, len, cause)) == NULL)
		return NULL;
	if (json_type(keys = json_get(doc, "keys")) != JSON_ARRAY) {
		json_free(doc);
		*cause = xstrdup("no keys list");
		return NULL;
	}
	d = durations_new(max_keys);
	for (i = 0; i < json_len(keys); i++) {
		if (durations_read(d, json_at(keys, i), cause) == -1) {
			durations_free(d);
			json_free(doc);
			return NULL;
		}
	}
	json_free(doc);
	return d;
}
