/*
 * Unit tests for the one hash map: add, get and remove by string key, growth
 * past many doublings, keys of several parts by hash, and a walk that frees
 * as it goes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hashmap.h"

/* An element as the users of the map define theirs. */
struct test_item {
	char key[32];
	int value;
	struct hashmap_entry hentry;
};

/* A new element keyed "k<i>". */
static struct test_item *
test_item_new(int i)
{
	struct test_item *t = calloc(1, sizeof(*t));

	snprintf(t->key, sizeof(t->key), "k%d", i);
	t->value = i;
	return t;
}

/* The element under key, or NULL. */
static struct test_item *
test_find(const struct hashmap *m, const char *key)
{
	struct hashmap_entry *e = hashmap_get(m, key);

	return e != NULL ? HASHMAP_ITEM(e, struct test_item, hentry) : NULL;
}

/* FNV-1a as published: the empty string is the basis; "a" a known value. */
static void
test_fnv1a(void **state)
{
	assert_true(
	    hashmap_fnv1a(HASHMAP_FNV_BASIS, "", 0) == 0xcbf29ce484222325ULL);
	assert_true(
	    hashmap_fnv1a(HASHMAP_FNV_BASIS, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(hashmap_fnv1a(hashmap_fnv1a(HASHMAP_FNV_BASIS, "ab", 2),
			"c", 1) == hashmap_fnv1a(HASHMAP_FNV_BASIS, "abc", 3));
}

/* An empty (zeroed) map finds nothing and allocates nothing. */
static void
test_empty(void **state)
{
	struct hashmap m;
	struct hashmap_iter it;

	hashmap_init(&m);
	assert_null(hashmap_get(&m, "x"));
	assert_null(hashmap_first(&m, 42));
	assert_int_equal(hashmap_count(&m), 0);
	hashmap_walk_init(&it, &m);
	assert_null(hashmap_walk(&it));
	hashmap_clear(&m);
}

/* Many elements: every one found after growth; removed ones are gone. */
static void
test_add_get_remove(void **state)
{
	enum {
		N = 5000
	};
	struct test_item *items[N], *t;
	struct hashmap m;
	char key[32];
	int i;

	hashmap_init(&m);
	for (i = 0; i < N; i++) {
		items[i] = test_item_new(i);
		hashmap_add(&m, &items[i]->hentry, items[i]->key);
	}
	assert_int_equal(hashmap_count(&m), N);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		t = test_find(&m, key);
		assert_non_null(t);
		assert_int_equal(t->value, i);
	}
	assert_null(test_find(&m, "k-1"));
	for (i = 0; i < N; i += 2)
		hashmap_remove(&m, &items[i]->hentry);
	assert_int_equal(hashmap_count(&m), N / 2);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (i % 2 == 0)
			assert_null(test_find(&m, key));
		else
			assert_ptr_equal(test_find(&m, key), items[i]);
	}
	for (i = 0; i < N; i++)
		free(items[i]);
	hashmap_clear(&m);
	assert_int_equal(hashmap_count(&m), 0);
}

/* Elements added by hash are found by hash, all of them, and not by key. */
static void
test_by_hash(void **state)
{
	struct test_item *a = test_item_new(1), *b = test_item_new(2);
	struct hashmap_entry *e;
	struct hashmap m;
	int n = 0;

	hashmap_init(&m);
	hashmap_add_hash(&m, &a->hentry, 7);
	hashmap_add_hash(&m, &b->hentry, 7);
	for (e = hashmap_first(&m, 7); e != NULL; e = hashmap_next(e))
		n += HASHMAP_ITEM(e, struct test_item, hentry)->value;
	assert_int_equal(n, 3);
	assert_null(hashmap_first(&m, 7 + 16));
	assert_null(hashmap_get(&m, "k1"));
	hashmap_remove(&m, &a->hentry);
	assert_ptr_equal(hashmap_first(&m, 7), &b->hentry);
	hashmap_clear(&m);
	free(a);
	free(b);
}

/* A walk visits each element once, and may free each as it goes. */
static void
test_walk_free(void **state)
{
	struct hashmap m;
	struct hashmap_iter it;
	struct hashmap_entry *e;
	struct test_item *t;
	int i, sum = 0, n = 0;

	hashmap_init(&m);
	for (i = 0; i < 100; i++) {
		t = test_item_new(i);
		hashmap_add(&m, &t->hentry, t->key);
	}
	hashmap_walk_init(&it, &m);
	while ((e = hashmap_walk(&it)) != NULL) {
		t = HASHMAP_ITEM(e, struct test_item, hentry);
		sum += t->value;
		n++;
		hashmap_remove(&m, e);
		free(t);
	}
	assert_int_equal(n, 100);
	assert_int_equal(sum, 99 * 100 / 2);
	assert_int_equal(hashmap_count(&m), 0);
	hashmap_clear(&m);
}

/* Run the hash map tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv1a),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_get_remove),
		cmocka_unit_test(test_by_hash),
		cmocka_unit_test(test_walk_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
