/*
 * Unit tests for the guardrails of a hook, on a fixed clock: the budget's
 * sliding window, its refusals counted per key, the bound on keys; the
 * breaker closed -> open -> half-open trial -> closed or open again, its
 * reset; and the state written and read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hookguard.h"
#include "json.h"

#define T0 1700000000000LL
#define HOUR 3600000LL

/* A guard with max_runs per hour and a breaker after 2 for 5 s. */
static struct hookguard *
guard(unsigned max_runs, unsigned break_after)
{
	struct hookguard_conf c = { max_runs, HOUR, break_after, 5000 };
	struct hookguard *g = hookguard_new();

	hookguard_configure(g, &c);
	return g;
}

/* Three runs an hour per key; the fourth is refused, once "first". */
static void
test_budget(void **state)
{
	struct hookguard *g = guard(3, 0);
	struct hookguard_refusal r;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(hookguard_admit(g, "a", T0 + i * 1000, NULL),
		    HOOKGUARD_RUN);
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + 5000, &r), HOOKGUARD_BUDGET);
	assert_true(r.first);
	assert_int_equal(r.suppressed, 1);
	assert_int_equal(r.runs, 3);
	assert_int_equal(r.free_at, T0 + HOUR);
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + 6000, &r), HOOKGUARD_BUDGET);
	assert_false(r.first);
	assert_int_equal(r.suppressed, 2);
	/* another key has its own budget */
	assert_int_equal(
	    hookguard_admit(g, "b", T0 + 6000, NULL), HOOKGUARD_RUN);
	/* sliding: the first run leaves the window an hour later */
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + HOUR - 1, NULL), HOOKGUARD_BUDGET);
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + HOUR, NULL), HOOKGUARD_RUN);
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + HOUR + 1, &r), HOOKGUARD_BUDGET);
	assert_true(r.first); /* a new exhaustion: a new event */
	hookguard_free(g);
}

/* No budget with max_runs 0; keys are capped, the oldest dropped. */
static void
test_keys_bounded(void **state)
{
	struct hookguard *g = guard(1, 0);
	char key[32];
	int i;

	(void)state;
	for (i = 0; i < 5 * HOOKGUARD_MAX_KEYS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(
		    hookguard_admit(g, key, T0, NULL), HOOKGUARD_RUN);
	}
	assert_int_equal(hookguard_nkeys(g), HOOKGUARD_MAX_KEYS);
	/* the newest is kept, the oldest forgotten */
	snprintf(key, sizeof(key), "k%d", 5 * HOOKGUARD_MAX_KEYS - 1);
	assert_int_equal(hookguard_admit(g, key, T0, NULL), HOOKGUARD_BUDGET);
	assert_int_equal(hookguard_admit(g, "k0", T0, NULL), HOOKGUARD_RUN);
	hookguard_free(g);

	g = guard(0, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(
		    hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_nkeys(g), 0);
	hookguard_free(g);
}

/* Two failures open it; a success in between resets the count. */
static void
test_breaker_opens(void **state)
{
	struct hookguard *g = guard(0, 2);
	unsigned failures;
	int64_t until;

	(void)state;
	assert_int_equal(hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_FAILED, "exit 1", T0), 0);
	assert_int_equal(hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_OK, "exit 0", T0), 0);
	assert_int_equal(hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_FAILED, "exit 1", T0), 0);
	assert_int_equal(hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_FAILED, "exit 2", T0), 1);
	assert_int_equal(
	    hookguard_breaker(g, T0 + 1, &failures, &until), HOOKGUARD_OPENED);
	assert_int_equal(failures, 2);
	assert_int_equal(until, T0 + 5000);
	assert_string_equal(hookguard_last_outcome(g), "exit 2");
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + 4999, NULL), HOOKGUARD_OPEN);
	/* a run admitted before it opened ends: no second opening */
	assert_int_equal(hookguard_done(g, HOOKGUARD_FAILED, "exit 1", T0), 0);
	hookguard_free(g);
}

/* After break_for one trial: others wait; its failure reopens it. */
static void
test_half_open(void **state)
{
	struct hookguard *g = guard(0, 1);

	(void)state;
	assert_int_equal(hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_FAILED, "x", T0), 1);
	assert_int_equal(
	    hookguard_breaker(g, T0 + 5000, NULL, NULL), HOOKGUARD_HALF_OPEN);
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + 5000, NULL), HOOKGUARD_RUN);
	assert_int_equal(
	    hookguard_admit(g, "b", T0 + 5001, NULL), HOOKGUARD_OPEN);
	assert_int_equal(
	    hookguard_done(g, HOOKGUARD_FAILED, "x", T0 + 6000), 1);
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + 10999, NULL), HOOKGUARD_OPEN);
	/* the trial is cancelled: another may try */
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + 11000, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_CANCELLED, NULL, 0), 0);
	assert_int_equal(
	    hookguard_admit(g, "a", T0 + 11000, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_OK, "ok", T0 + 12000), 0);
	assert_int_equal(
	    hookguard_breaker(g, T0 + 12000, NULL, NULL), HOOKGUARD_CLOSED);
	hookguard_free(g);
}

/* A reset closes an open breaker at once. */
static void
test_reset(void **state)
{
	struct hookguard *g = guard(0, 1);

	(void)state;
	assert_int_equal(hookguard_reset(g, T0), 0);
	assert_int_equal(hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_FAILED, "x", T0), 1);
	assert_int_equal(hookguard_reset(g, T0 + 1), 1);
	assert_int_equal(hookguard_admit(g, "a", T0 + 1, NULL), HOOKGUARD_RUN);
	hookguard_free(g);
}

/* The state written is read back: budgets and an open breaker. */
static void
test_save_load(void **state)
{
	struct hookguard *g = guard(2, 1), *h = guard(2, 1);
	struct json_writer *w = json_writer_new();
	struct json *root;
	const char *text;
	char *cause = NULL;
	size_t len;

	(void)state;
	assert_int_equal(hookguard_admit(g, "a", T0, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_admit(g, "a", T0 + 1, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_admit(g, "b", T0 + 2, NULL), HOOKGUARD_RUN);
	assert_int_equal(hookguard_done(g, HOOKGUARD_FAILED, "x", T0 + 3), 1);
	hookguard_write(g, w, T0 + 10, SIZE_MAX, 1);
	text = json_writer_str(w, &len);
	root = json_parse(text, len, &cause);
	assert_non_null(root);
	assert_int_equal(hookguard_load(h, root, &cause), 0);
	assert_int_equal(hookguard_nkeys(h), 2);
	assert_int_equal(
	    hookguard_breaker(h, T0 + 10, NULL, NULL), HOOKGUARD_OPENED);
	assert_int_equal(
	    hookguard_admit(h, "a", T0 + 6000, NULL), HOOKGUARD_BUDGET);
	assert_int_equal(
	    hookguard_admit(h, "b", T0 + 6000, NULL), HOOKGUARD_RUN);
	json_free(root);
	/* not a state: refused, h as it was */
	root = json_parse("{\"state\":\"ajar\",\"budgets\":[]}", 29, &cause);
	assert_non_null(root);
	assert_int_equal(hookguard_load(h, root, &cause), -1);
	free(cause);
	assert_int_equal(hookguard_nkeys(h), 2);
	json_free(root);
	json_writer_free(w);
	/* the bounded answer: counts, no list of times */
	w = json_writer_new();
	hookguard_write(g, w, T0 + 10, 1, 0);
	text = json_writer_str(w, &len);
	assert_non_null(strstr(text, "\"runs\":1,\"first_run_ms\""));
	assert_null(strstr(text, "runs_ms"));
	assert_null(strstr(text, "\"key\":\"a\"")); /* b used last */
	json_writer_free(w);
	hookguard_free(g);
	hookguard_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_keys_bounded),
		cmocka_unit_test(test_breaker_opens),
		cmocka_unit_test(test_half_open),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
