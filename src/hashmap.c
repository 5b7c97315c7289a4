/*
 * The one hash map: chained buckets, a power of two of them, doubled when
 * there are as many elements as buckets.  Elements embed their entry and
 * own their keys; the map only links them, so adding cannot fail and
 * removing frees nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "xmalloc.h"

#define HASHMAP_MIN_BUCKETS 16
#define HASHMAP_FNV_PRIME 0x100000001b3ULL

/* FNV-1a over len bytes at p, continuing from h. */
uint64_t
hashmap_fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= HASHMAP_FNV_PRIME;
	}
	return h;
}

/*
 * The hash of a string key: FNV-1a with a final mix, as the buckets are
 * picked by the low bits.
 */
uint64_t
hashmap_hash(const char *key)
{
	uint64_t h = hashmap_fnv1a(HASHMAP_FNV_BASIS, key, strlen(key));

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* Make m empty. */
void
hashmap_init(struct hashmap *m)
{
	memset(m, 0, sizeof(*m));
}

/* Free the buckets and make m empty; the elements are the caller's. */
void
hashmap_clear(struct hashmap *m)
{
	free(m->buckets);
	hashmap_init(m);
}

/* The number of elements. */
size_t
hashmap_count(const struct hashmap *m)
{
	return m->count;
}

/* Link e into its bucket. */
static void
hashmap_link(struct hashmap *m, struct hashmap_entry *e)
{
	struct hashmap_entry **b = &m->buckets[e->hash & (m->nbuckets - 1)];

	e->next = *b;
	*b = e;
}

/* Make room for one more element: double the buckets when full. */
static void
hashmap_grow(struct hashmap *m)
{
	struct hashmap_entry **old = m->buckets, *e, *next;
	size_t i, n = m->nbuckets;

	if (m->count < m->nbuckets)
		return;
	m->nbuckets = n == 0 ? HASHMAP_MIN_BUCKETS : n * 2;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	for (i = 0; i < n; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			hashmap_link(m, e);
		}
	}
	free(old);
}

/* Add e under a hash of the caller's own key. */
void
hashmap_add_hash(struct hashmap *m, struct hashmap_entry *e, uint64_t hash)
{
	hashmap_grow(m);
	e->hash = hash;
	e->key = NULL;
	hashmap_link(m, e);
	m->count++;
}

/* Add e under key (borrowed). */
void
hashmap_add(struct hashmap *m, struct hashmap_entry *e, const char *key)
{
	hashmap_add_hash(m, e, hashmap_hash(key));
	e->key = key;
}

/* The first element with this hash, or NULL. */
struct hashmap_entry *
hashmap_first(const struct hashmap *m, uint64_t hash)
{
	struct hashmap_entry *e;

	if (m->nbuckets == 0)
		return NULL;
	e = m->buckets[hash & (m->nbuckets - 1)];
	while (e != NULL && e->hash != hash)
		e = e->next;
	return e;
}

/* The next element with e's hash after e, or NULL. */
struct hashmap_entry *
hashmap_next(const struct hashmap_entry *e)
{
	struct hashmap_entry *n = e->next;

	while (n != NULL && n->hash != e->hash)
		n = n->next;
	return n;
}

/* The element added under key, or NULL. */
struct hashmap_entry *
hashmap_get(const struct hashmap *m, const char *key)
{
	struct hashmap_entry *e;

	for (e = hashmap_first(m, hashmap_hash(key)); e != NULL;
	     e = hashmap_next(e)) {
		if (e->key != NULL && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

/* Take e out of m. */
void
hashmap_remove(struct hashmap *m, struct hashmap_entry *e)
{
	struct hashmap_entry **pp = &m->buckets[e->hash & (m->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	e->next = NULL;
	m->count--;
}

/* Start a walk over every element. */
void
hashmap_walk_init(struct hashmap_iter *it, const struct hashmap *m)
{
	it->map = m;
	it->bucket = 0;
	it->next = NULL;
}

/* The next element of a walk, or NULL at the end. */
struct hashmap_entry *
hashmap_walk(struct hashmap_iter *it)
{
	struct hashmap_entry *e = it->next;

	while (e == NULL && it->bucket < it->map->nbuckets)
		e = it->map->buckets[it->bucket++];
	if (e != NULL)
		it->next = e->next;
	return e;
}
