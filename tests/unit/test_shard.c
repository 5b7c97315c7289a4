/*
 * Unit tests for static sharding: the hashmod against values computed
 * independently (python3: int.from_bytes(hashlib.md5(name).digest()[8:],
 * "big")), the unit names, ownership across a set of shards, and the
 * -S INDEX/COUNT parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard.h"

/* A name and the last 8 bytes of its MD5 as a big-endian integer. */
struct test_hash {
	const char *name;
	uint64_t value;
};

static const struct test_hash test_hashes[] = {
	{ "dds", 412606579302923158ULL },
	{ "dws/c1", 10327505803119511114ULL },
	{ "dws/c2", 6542959953501274641ULL },
	{ "dws/c3", 3318596311810481277ULL },
	{ "ehpc/cl-7", 16820758081476692378ULL },
	{ "", 16825458760271544958ULL },
};

/* The hashmod is Prometheus': the value modulo count, for any count. */
static void
test_hashmod(void **state)
{
	size_t i;
	uint64_t mod;

	(void)state;
	for (i = 0; i < sizeof(test_hashes) / sizeof(test_hashes[0]); i++)
		for (mod = 1; mod <= 1024; mod += 7)
			assert_int_equal(
			    shard_hashmod(test_hashes[i].name, mod),
			    test_hashes[i].value % mod);
	/* Spot values, as an operator computes them by hand. */
	assert_int_equal(shard_hashmod("dds", 3), 1);
	assert_int_equal(shard_hashmod("dws/c2", 3), 0);
	assert_int_equal(shard_hashmod("ehpc/cl-7", 3), 2);
	assert_int_equal(shard_hashmod("dds", 1024), 918);
}

/* Unit names: WATCH, or WATCH/CLUSTER_ID. */
static void
test_unit(void **state)
{
	char *u;

	(void)state;
	u = shard_unit("dds", NULL);
	assert_string_equal(u, "dds");
	free(u);
	u = shard_unit("dws", "c1");
	assert_string_equal(u, "dws/c1");
	free(u);
}

/* Every unit has exactly one owner among the shards of a count. */
static void
test_owns(void **state)
{
	static const char *const units[] = { "dds", "dws/c1", "dws/c2",
		"dws/c3", "ehpc/cl-7", "" };
	struct shard s;
	size_t i;
	unsigned owners, count;

	(void)state;
	for (count = 1; count <= 5; count++)
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			owners = 0;
			s.count = count;
			for (s.index = 0; s.index < count; s.index++)
				owners += shard_owns(&s, units[i]);
			assert_int_equal(owners, 1);
		}
	s.index = 1;
	s.count = 3;
	assert_true(shard_owns(&s, "dds"));
	assert_true(shard_owns_unit(&s, "dws", "c1"));
	assert_false(shard_owns_unit(&s, "dws", "c2"));
	assert_false(shard_owns_unit(&s, "ehpc", "cl-7"));
	/* Unsharded (count 0), or no shard at all: every unit. */
	s.index = 0;
	s.count = 0;
	assert_true(shard_owns_unit(&s, "dws", "c2"));
	assert_true(shard_owns(NULL, "dws/c2"));
}

/* -S INDEX/COUNT: index < count <= 1024, nothing else. */
static void
test_parse(void **state)
{
	static const char *const bad[] = { "", "3", "/3", "3/", "3/3", "-1/3",
		"1/0", "0/1025", "a/3", "1/3x", "1 /3", "1/3/4" };
	struct shard s = { 0, 0 }, z = { 0, 0 };
	const char *cause = NULL;
	size_t i;

	(void)state;
	assert_int_equal(shard_parse("2/3", &s, &cause), 0);
	assert_int_equal(s.index, 2);
	assert_int_equal(s.count, 3);
	assert_int_equal(shard_parse("0/1", &s, &cause), 0);
	assert_int_equal(shard_parse("1023/1024", &s, &cause), 0);
	assert_int_equal(s.index, 1023);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = z;
		cause = NULL;
		assert_int_equal(shard_parse(bad[i], &s, &cause), -1);
		assert_non_null(cause);
		assert_true(shard_eq(&s, &z));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashmod),
		cmocka_unit_test(test_unit),
		cmocka_unit_test(test_owns),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
