/*
 * Unit tests for per-account gates: burst then steady rate, waits computed
 * exactly, pauses that only extend, no limit when count is 0, one gate per
 * account in a set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

/* 10/s: ten at once, then one every 100 ms. */
static void
test_bucket(void **state)
{
	struct ratelimit *rl = ratelimit_new(10, 1000);
	int i;

	for (i = 0; i < 10; i++)
		assert_int_equal(ratelimit_take(rl, 5000), 0);
	assert_int_equal(ratelimit_take(rl, 5000), 100);
	assert_int_equal(ratelimit_take(rl, 5050), 50);
	assert_int_equal(ratelimit_take(rl, 5100), 0);
	assert_int_equal(ratelimit_take(rl, 5100), 100);
	/* a long idle time refills only up to the burst */
	for (i = 0; i < 10; i++)
		assert_int_equal(ratelimit_take(rl, 60000), 0);
	assert_true(ratelimit_take(rl, 60000) > 0);
	ratelimit_free(rl);
}

/* A pause holds every request; a shorter pause never shortens it. */
static void
test_pause(void **state)
{
	struct ratelimit *rl = ratelimit_new(0, 1000);

	assert_int_equal(ratelimit_take(rl, 1000), 0);
	ratelimit_pause(rl, 301000, RATELIMIT_PAUSE_AUTH, "auth");
	assert_int_equal(ratelimit_take(rl, 1000), 300000);
	ratelimit_pause(rl, 2000, RATELIMIT_PAUSE_THROTTLE, "throttled");
	assert_int_equal(ratelimit_paused_for(rl, 1000), 300000);
	assert_int_equal(ratelimit_take(rl, 301000), 0);
	assert_int_equal(ratelimit_paused_for(rl, 301000), 0);
	ratelimit_free(rl);
}

/*
 * A pause keeps its kind and reason while in force; a shorter pause
 * changes neither; a longer one takes over; unpause lifts it at once.
 */
static void
test_pause_reason(void **state)
{
	struct ratelimit *rl = ratelimit_new(0, 1000);

	assert_int_equal(ratelimit_pause_kind(rl, 0), RATELIMIT_PAUSE_NONE);
	assert_null(ratelimit_pause_reason(rl, 0));
	ratelimit_pause(rl, 301000, RATELIMIT_PAUSE_AUTH,
	    "authentication failed: HTTP 401");
	assert_int_equal(ratelimit_pause_kind(rl, 1000), RATELIMIT_PAUSE_AUTH);
	assert_string_equal(ratelimit_pause_reason(rl, 1000),
	    "authentication failed: HTTP 401");
	ratelimit_pause(rl, 5000, RATELIMIT_PAUSE_THROTTLE, "throttled");
	assert_int_equal(ratelimit_pause_kind(rl, 1000), RATELIMIT_PAUSE_AUTH);
	assert_string_equal(ratelimit_pause_reason(rl, 1000),
	    "authentication failed: HTTP 401");
	/* Over: no kind, no reason. */
	assert_int_equal(
	    ratelimit_pause_kind(rl, 301000), RATELIMIT_PAUSE_NONE);
	assert_null(ratelimit_pause_reason(rl, 301000));
	ratelimit_pause(rl, 400000, RATELIMIT_PAUSE_THROTTLE, "throttled");
	assert_int_equal(
	    ratelimit_pause_kind(rl, 301000), RATELIMIT_PAUSE_THROTTLE);
	assert_string_equal(ratelimit_pause_reason(rl, 301000), "throttled");
	ratelimit_unpause(rl);
	assert_int_equal(ratelimit_paused_for(rl, 301000), 0);
	assert_int_equal(ratelimit_take(rl, 301000), 0);
	assert_null(ratelimit_pause_reason(rl, 301000));
	ratelimit_free(rl);
}

/* count 0 means unlimited. */
static void
test_unlimited(void **state)
{
	struct ratelimit *rl = ratelimit_new(0, 0);
	int i;

	for (i = 0; i < 100000; i++)
		assert_int_equal(ratelimit_take(rl, 1), 0);
	ratelimit_free(rl);
}

/* One gate per account: watches of one account share it. */
static void
test_set(void **state)
{
	struct ratelimit_set *set = ratelimit_set_new();
	struct ratelimit *a = ratelimit_set_get(set, "a", 1, 1000);
	struct ratelimit *b = ratelimit_set_get(set, "b", 1, 1000);

	assert_ptr_equal(ratelimit_set_get(set, "a", 1, 1000), a);
	assert_ptr_not_equal(a, b);
	assert_int_equal(ratelimit_take(a, 10), 0);
	assert_int_equal(
	    ratelimit_take(ratelimit_set_get(set, "a", 1, 1000), 10), 1000);
	assert_int_equal(ratelimit_take(b, 10), 0);
	/* a reload that changes the rate keeps the gate */
	assert_ptr_equal(ratelimit_set_get(set, "a", 2, 1000), a);
	assert_ptr_equal(ratelimit_set_find(set, "b"), b);
	assert_null(ratelimit_set_find(set, "c"));
	ratelimit_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_pause_reason),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
