/*
 * Unit tests for the task record: the canonical state table for every vendor
 * word, state names, terminal states, and the record and list helpers.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "task.h"

struct test_word {
	const char *raw;
	enum task_state state;
};

/* Every word of the table in cloud-apis.md, plus case variants. */
static const struct test_word test_words[] = {
	{ "WAITING", TASK_PENDING },
	{ "Pending", TASK_PENDING },
	{ "pending", TASK_PENDING },
	{ "waiting", TASK_PENDING },
	{ "RUNNING", TASK_RUNNING },
	{ "Running", TASK_RUNNING },
	{ "running", TASK_RUNNING },
	{ "Processing", TASK_RUNNING },
	{ "PROCESSING", TASK_RUNNING },
	{ "ROLLBACK_RUNNING", TASK_ROLLING_BACK },
	{ "rollback_running", TASK_ROLLING_BACK },
	{ "SUCCESS", TASK_SUCCEEDED },
	{ "success", TASK_SUCCEEDED },
	{ "Success", TASK_SUCCEEDED },
	{ "Completed", TASK_SUCCEEDED },
	{ "COMPLETED", TASK_SUCCEEDED },
	{ "FAILED", TASK_FAILED },
	{ "failed", TASK_FAILED },
	{ "Failed", TASK_FAILED },
	{ "ROLLBACK_FAIL", TASK_FAILED },
	{ "Fail", TASK_FAILED },
	{ "FAIL", TASK_FAILED },
	{ "PartialFail", TASK_PARTIAL },
	{ "PARTIALFAIL", TASK_PARTIAL },
	{ "ROLLBACK_SUCCESS", TASK_ROLLED_BACK },
	{ "Rollback_Success", TASK_ROLLED_BACK },
	{ "Canceled", TASK_CANCELLED },
	{ "CANCELED", TASK_CANCELLED },
	{ "Cancelled", TASK_CANCELLED },
	{ "cancelled", TASK_CANCELLED },
	{ "", TASK_UNKNOWN },
	{ "Queued", TASK_UNKNOWN },
	{ "RUNNING ", TASK_UNKNOWN },
	{ "Complete", TASK_UNKNOWN },
	{ "SUCCEEDED", TASK_UNKNOWN },
	{ "ROLLBACK", TASK_UNKNOWN },
	{ "Partial", TASK_UNKNOWN },
};

/* Every vendor word maps to its canonical state, whatever its case. */
static void
test_state_from_raw(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(test_words) / sizeof(test_words[0]); i++) {
		if (task_state_from_raw(test_words[i].raw) !=
		    test_words[i].state)
			fail_msg("%s: got %s, want %s", test_words[i].raw,
			    task_state_name(
				task_state_from_raw(test_words[i].raw)),
			    task_state_name(test_words[i].state));
	}
	assert_int_equal(task_state_from_raw(NULL), TASK_UNKNOWN);
}

/* Names round-trip, case-insensitively; junk is -1 or UNKNOWN. */
static void
test_state_names(void **state)
{
	static const char *names[TASK_STATE_COUNT] = {
		"PENDING",
		"RUNNING",
		"ROLLING_BACK",
		"SUCCEEDED",
		"FAILED",
		"PARTIAL",
		"ROLLED_BACK",
		"CANCELLED",
		"UNKNOWN",
	};
	int i;

	for (i = 0; i < TASK_STATE_COUNT; i++) {
		assert_string_equal(task_state_name(i), names[i]);
		assert_int_equal(task_state_from_name(names[i]), i);
	}
	assert_int_equal(
	    task_state_from_name("rolling_back"), TASK_ROLLING_BACK);
	assert_int_equal(task_state_from_name("Succeeded"), TASK_SUCCEEDED);
	assert_int_equal(task_state_from_name("Completed"), -1);
	assert_int_equal(task_state_from_name(""), -1);
	assert_int_equal(task_state_from_name(NULL), -1);
	assert_string_equal(task_state_name(TASK_STATE_COUNT), "UNKNOWN");
	assert_string_equal(task_state_name((enum task_state) - 1), "UNKNOWN");
}

/* Exactly the five end states are terminal. */
static void
test_state_terminal(void **state)
{
	assert_false(task_state_terminal(TASK_PENDING));
	assert_false(task_state_terminal(TASK_RUNNING));
	assert_false(task_state_terminal(TASK_ROLLING_BACK));
	assert_true(task_state_terminal(TASK_SUCCEEDED));
	assert_true(task_state_terminal(TASK_FAILED));
	assert_true(task_state_terminal(TASK_PARTIAL));
	assert_true(task_state_terminal(TASK_ROLLED_BACK));
	assert_true(task_state_terminal(TASK_CANCELLED));
	assert_false(task_state_terminal(TASK_UNKNOWN));
}

/* A fresh record has no strings, no progress and no times. */
static void
test_init_clear(void **state)
{
	struct task t;

	memset(&t, 0x5a, sizeof(t));
	task_init(&t);
	assert_null(t.id);
	assert_null(t.type);
	assert_null(t.cluster_id);
	assert_null(t.cluster_name);
	assert_null(t.raw_status);
	assert_null(t.reason);
	assert_null(t.detail);
	assert_int_equal(t.progress, TASK_PROGRESS_NONE);
	assert_true(t.started_at == TASK_TIME_NONE);
	assert_true(t.ended_at == TASK_TIME_NONE);

	t.id = strdup("x");
	t.detail = strdup("{}");
	t.progress = 5;
	task_clear(&t);
	assert_null(t.id);
	assert_null(t.detail);
	assert_int_equal(t.progress, TASK_PROGRESS_NONE);
}

/* A copy owns its own strings and keeps every field. */
static void
test_copy(void **state)
{
	struct task a, b;

	task_init(&a);
	a.id = strdup("id1");
	a.type = strdup("RestartInstance");
	a.cluster_id = strdup("c1");
	a.cluster_name = NULL;
	a.state = TASK_FAILED;
	a.raw_status = strdup("Failed");
	a.progress = 42;
	a.started_at = 100;
	a.ended_at = 200;
	a.reason = strdup("disk full");
	a.detail = strdup("{\"k\":1}");

	memset(&b, 0x5a, sizeof(b));
	task_copy(&b, &a);
	assert_string_equal(b.id, "id1");
	assert_ptr_not_equal(b.id, a.id);
	assert_string_equal(b.type, "RestartInstance");
	assert_ptr_not_equal(b.type, a.type);
	assert_string_equal(b.cluster_id, "c1");
	assert_ptr_not_equal(b.cluster_id, a.cluster_id);
	assert_null(b.cluster_name);
	assert_int_equal(b.state, TASK_FAILED);
	assert_string_equal(b.raw_status, "Failed");
	assert_ptr_not_equal(b.raw_status, a.raw_status);
	assert_int_equal(b.progress, 42);
	assert_int_equal(b.started_at, 100);
	assert_int_equal(b.ended_at, 200);
	assert_string_equal(b.reason, "disk full");
	assert_ptr_not_equal(b.reason, a.reason);
	assert_string_equal(b.detail, "{\"k\":1}");
	assert_ptr_not_equal(b.detail, a.detail);

	task_clear(&a);
	assert_string_equal(b.id, "id1");
	task_clear(&b);
}

/* The list grows past its initial capacity and keeps every record. */
static void
test_list(void **state)
{
	struct task_list l = { NULL, 0, 0 };
	struct task *t;
	char id[32];
	size_t i, lastcap = 0, grows = 0;

	for (i = 0; i < 1000; i++) {
		t = task_list_add(&l);
		assert_non_null(t);
		assert_null(t->id);
		assert_int_equal(t->progress, TASK_PROGRESS_NONE);
		snprintf(id, sizeof(id), "t%zu", i);
		t->id = strdup(id);
		if (l.cap != lastcap) {
			grows++;
			lastcap = l.cap;
		}
	}
	assert_int_equal(l.n, 1000);
	assert_true(l.cap >= 1000);
	assert_true(grows <= 12); /* geometric, not one by one */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "t%zu", i);
		assert_string_equal(l.v[i].id, id);
	}
	task_list_clear(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.cap, 0);
	task_list_clear(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_from_raw),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_state_terminal),
		cmocka_unit_test(test_init_clear),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
