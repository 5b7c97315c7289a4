/*
 * Unit tests for the learned durations: the median and p95 against known
 * distributions (uniform, log-normal, two modes) within the buckets'
 * error, the bound on keys (100,000 offered, the least recently used
 * dropped) and on bytes per key, and the JSON round trip a restart goes
 * through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "durations.h"

/* A fixed xorshift64 generator: the same draws on every run. */
static uint64_t rng = 88172645463325252ULL;

/* A uniform draw in [0, 1). */
static double
draw(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* Sort helper for the exact quantiles. */
static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Feed n durations of v to a key and compare p50 and p95 with the exact
 * ones (nearest rank): within the half-bucket error (4.5 %) plus a second.
 */
static void
check_quantiles(int64_t *v, size_t n, const char *what)
{
	struct durations *d = durations_new(0);
	struct durations_stats st;
	int64_t want50, want95;
	double e50, e95;
	size_t i;

	for (i = 0; i < n; i++)
		durations_add(d, "hw\037dds.jobs\037Backup", v[i]);
	qsort(v, n, sizeof(*v), cmp64);
	want50 = v[(n * 50 + 99) / 100 - 1];
	want95 = v[(n * 95 + 99) / 100 - 1];
	assert_int_equal(durations_get(d, "hw\037dds.jobs\037Backup", &st), 0);
	assert_int_equal(st.count, n);
	assert_int_equal(st.max_s, v[n - 1]);
	e50 = (double)(st.p50_s - want50) / (double)want50;
	e95 = (double)(st.p95_s - want95) / (double)want95;
	print_message("%s: p50 %lld (exact %lld, %+.2f%%), p95 %lld (exact "
		      "%lld, %+.2f%%)\n",
	    what, (long long)st.p50_s, (long long)want50, e50 * 100,
	    (long long)st.p95_s, (long long)want95, e95 * 100);
	assert_true(llabs(st.p50_s - want50) <= want50 * 45 / 1000 + 1);
	assert_true(llabs(st.p95_s - want95) <= want95 * 45 / 1000 + 1);
	durations_free(d);
}

/* Uniform between 10 and 30 minutes. */
static void
test_uniform(void **state)
{
	static int64_t v[10000];
	size_t i;

	(void)state;
	for (i = 0; i < 10000; i++)
		v[i] = 600 + (int64_t)(draw() * 1200);
	check_quantiles(v, 10000, "uniform 10-30 min");
}

/* Log-normal around 20 minutes (a long right tail, as backups have). */
static void
test_lognormal(void **state)
{
	static int64_t v[10000];
	double z, x;
	size_t i, j;

	(void)state;
	for (i = 0; i < 10000; i++) {
		/* Irwin-Hall: the sum of 12 uniforms less 6 is about N(0,1). */
		for (z = -6, j = 0; j < 12; j++)
			z += draw();
		/* 1200 exp(0.5 z), without libm: (1 + 0.5 z / 64)^64. */
		x = 1200;
		for (j = 0; j < 64; j++)
			x *= 1 + (z * 0.5) / 64;
		v[i] = x < 1 ? 1 : (int64_t)x;
	}
	check_quantiles(v, 10000, "log-normal around 20 min");
}

/* Two modes: most runs 2 minutes, one in ten 3 hours. */
static void
test_two_modes(void **state)
{
	static int64_t v[1000];
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		v[i] = i % 10 == 0 ? 10800 + (int64_t)(draw() * 600)
				   : 120 + (int64_t)(draw() * 20);
	check_quantiles(v, 1000, "two modes");
}

/* Small and huge durations, and none. */
static void
test_edges(void **state)
{
	struct durations *d = durations_new(0);
	struct durations_stats st;

	(void)state;
	assert_int_equal(durations_get(d, "nope", &st), -1);
	assert_int_equal(st.count, 0);
	durations_add(d, "k", 0);
	durations_add(d, "k", -5); /* ignored */
	assert_int_equal(durations_get(d, "k", &st), 0);
	assert_int_equal(st.count, 1);
	assert_int_equal(st.p50_s, 0); /* never above the max */
	durations_add(d, "big", (int64_t)1 << 40);
	assert_int_equal(durations_get(d, "big", &st), 0);
	assert_int_equal(st.max_s, (int64_t)1 << 40);
	assert_true(st.p95_s >= (int64_t)1 << 24);
	durations_free(d);
}

/*
 * 100,000 keys offered to a table of 10,000: 10,000 kept, the most
 * recently used; a key used again is kept.  Each key takes under 2 KiB.
 */
static void
test_bound(void **state)
{
	struct durations *d = durations_new(0);
	struct durations_stats st;
	char key[64];
	size_t i;

	(void)state;
	assert_true(durations_key_bytes(63) <= DURATIONS_KEY_BYTES);
	print_message(
	    "bytes per key: %zu with a 63-byte key\n", durations_key_bytes(63));
	durations_add(d, "keep", 60);
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "hw\037dds.jobs\037Type%zu", i);
		durations_add(d, key, (int64_t)i);
		if (i % 1000 == 0)
			durations_add(d, "keep", 60);
	}
	assert_int_equal(durations_count(d), DURATIONS_MAX_KEYS);
	assert_int_equal(durations_get(d, "keep", &st), 0);
	assert_int_equal(st.count, 101);
	assert_int_equal(durations_get(d, "hw\037dds.jobs\037Type0", &st), -1);
	assert_int_equal(
	    durations_get(d, "hw\037dds.jobs\037Type99999", &st), 0);
	durations_free(d);
}

/* What a restart reads back is what was saved, order of use included. */
static void
test_json(void **state)
{
	struct durations *d = durations_new(3), *r;
	struct durations_stats a, b;
	char *text, *again, *cause = NULL;
	const char *text2;

	(void)state;
	durations_add(d, "x", 100);
	durations_add(d, "x", 200);
	durations_add(d, "y", 5000);
	durations_add(d, "z", 7);
	durations_add(d, "x", 300);
	text = durations_json(d);
	r = durations_from_json(text, strlen(text), 3, &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	again = durations_json(r);
	assert_string_equal(text, again);
	assert_int_equal(durations_get(d, "x", &a), 0);
	assert_int_equal(durations_get(r, "x", &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* y is the least recently used: a new key drops it. */
	durations_add(r, "w", 1);
	assert_int_equal(durations_get(r, "y", &b), -1);
	assert_null(durations_from_json("{}", 2, 3, &cause));
	free(cause);
	cause = NULL;
	text2 =
	    "{\"keys\":[{\"key\":\"x\",\"max_s\":1,\"buckets\":[[999,1]]}]}";
	assert_null(durations_from_json(text2, strlen(text2), 3, &cause));
	free(cause);
	free(text);
	free(again);
	durations_free(d);
	durations_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_lognormal),
		cmocka_unit_test(test_two_modes),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
