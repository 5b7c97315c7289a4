/*
 * One hash map for every table keyed by a string: chained, a power of two
 * buckets that double as it fills, FNV-1a.  It is intrusive: an element
 * embeds a struct hashmap_entry and owns its key, so the map allocates
 * nothing per element and never frees one.
 */
#ifndef HASHMAP_H
#define HASHMAP_H

#include <stddef.h>
#include <stdint.h>

#define HASHMAP_FNV_BASIS 0xcbf29ce484222325ULL

/*
 * Embedded in an element; HASHMAP_ITEM gets the element back.  Make it the
 * first member: then the buckets point at the elements themselves, and a
 * leak checker sees them as reachable, not "possibly lost".
 */
struct hashmap_entry {
	struct hashmap_entry *next; /* in its bucket */
	uint64_t hash;
	const char *key; /* borrowed from the element; NULL: hashmap_add_hash */
};

/* A map; zeroed (or hashmap_init) is empty and allocates nothing. */
struct hashmap {
	struct hashmap_entry **buckets;
	size_t nbuckets; /* a power of two, or 0 */
	size_t count;
};

/* Where hashmap_walk is: the next element, fetched before this one is used. */
struct hashmap_iter {
	const struct hashmap *map; /* borrowed */
	size_t bucket;
	struct hashmap_entry *next;
};

/* The element of type whose member e is. */
#define HASHMAP_ITEM(e, type, member) \
	((type *)(void *)((char *)(e)-offsetof(type, member)))

/* FNV-1a over len bytes at p, continuing from h (start: HASHMAP_FNV_BASIS). */
uint64_t hashmap_fnv1a(uint64_t h, const void *p, size_t len);
/* The hash of a string key, as hashmap_add and hashmap_get use it. */
uint64_t hashmap_hash(const char *key);
/* Make m empty. */
void hashmap_init(struct hashmap *m);
/* Free the buckets and make m empty; the elements are the caller's. */
void hashmap_clear(struct hashmap *m);
/* The number of elements. */
size_t hashmap_count(const struct hashmap *m);
/* Add e under key (borrowed: it must live as long as e is in m). */
void hashmap_add(struct hashmap *m, struct hashmap_entry *e, const char *key);
/*
 * Add e under a hash of the caller's own key (a key of several parts);
 * find it with hashmap_first and hashmap_next.
 */
void hashmap_add_hash(
    struct hashmap *m, struct hashmap_entry *e, uint64_t hash);
/* The element added under key, or NULL. */
struct hashmap_entry *hashmap_get(const struct hashmap *m, const char *key);
/* The first element with this hash, or NULL (the caller compares keys). */
struct hashmap_entry *hashmap_first(const struct hashmap *m, uint64_t hash);
/* The next element with e's hash after e, or NULL. */
struct hashmap_entry *hashmap_next(const struct hashmap_entry *e);
/* Take e out of m (it must be in m). */
void hashmap_remove(struct hashmap *m, struct hashmap_entry *e);
/* Start a walk over every element, in no particular order. */
void hashmap_walk_init(struct hashmap_iter *it, const struct hashmap *m);
/*
 * The next element of a walk, or NULL at the end.  The element returned
 * may be removed and freed before the next call; no other may.
 */
struct hashmap_entry *hashmap_walk(struct hashmap_iter *it);

#endif
