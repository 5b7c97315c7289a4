/*
 * Unit tests for silences: matching as rules match (globs, fields AND,
 * values OR), the time window, expiry, the ended report, the tasks it
 * kept with their last event (bounded), the JSON round trip a restart
 * goes through, the matchers refused, and the merge of what other
 * replicas shared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evt.h"
#include "silence.h"
#include "xmalloc.h"

#define T0 1700000000

/* A transition to FAILED of task id on cluster in watch. */
static struct evt *
event(const char *watch, const char *cluster, const char *id)
{
	struct evt *ev = evt_new(EVT_TRANSITION);

	ev->watch = xstrdup(watch);
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw");
	ev->has_task = 1;
	ev->task.id = xstrdup(id);
	ev->task.type = xstrdup("RestartInstance");
	ev->task.cluster_id = xstrdup(cluster);
	ev->task.cluster_name = xstrdup(cluster);
	ev->task.state = TASK_FAILED;
	ev->has_previous = 1;
	ev->prev_state = TASK_RUNNING;
	evt_finish(ev);
	return ev;
}

/* The set with one silence over watch=dds-prod cluster=orders-*. */
static struct silence_set *
one(void)
{
	static const char *m[] = { "watch=dds-prod", "cluster=orders-*" };
	struct silence_set *s = silence_set_new();
	char *cause = NULL;

	assert_int_equal(silence_add(s, "0123456789abcdef", m, 2,
			     "resize drill", T0, T0 + 7200, 1000, 1000, &cause),
	    0);
	return s;
}

/* Fields AND, globs; only while active. */
static void
test_match(void **state)
{
	struct silence_set *s = one();
	struct evt *a = event("dds-prod", "orders-eu", "t1");
	struct evt *b = event("dds-prod", "billing", "t2");
	struct evt *c = event("dds-test", "orders-eu", "t3");

	(void)state;
	assert_null(silence_apply(s, a, T0 - 1));
	assert_string_equal(silence_apply(s, a, T0), "0123456789abcdef");
	assert_null(silence_apply(s, b, T0 + 1));
	assert_null(silence_apply(s, c, T0 + 1));
	assert_string_equal(silence_apply(s, a, T0 + 7199), "0123456789abcdef");
	assert_null(silence_apply(s, a, T0 + 7200));
	assert_int_equal(silence_at(s, 0)->events, 2);
	evt_free(a);
	evt_free(b);
	evt_free(c);
	silence_set_free(s);
}

/* Expiry ends it at once; its end is reported once. */
static void
test_expire_and_end(void **state)
{
	struct silence_set *s = one();
	struct evt *a = event("dds-prod", "orders-eu", "t1");

	(void)state;
	assert_int_equal(silence_next_end(s, T0), 7200);
	assert_int_equal(silence_take_ended(s, T0 + 10), -1);
	assert_int_equal(silence_expire(s, "nope", T0 + 10), -1);
	assert_int_equal(silence_expire(s, "0123456789abcdef", T0 + 10), 0);
	assert_int_equal(silence_expire(s, "0123456789abcdef", T0 + 11), -1);
	assert_null(silence_apply(s, a, T0 + 11));
	assert_int_equal(silence_next_end(s, T0 + 11), 0);
	assert_int_equal(silence_take_ended(s, T0 + 11), 0);
	assert_int_equal(silence_take_ended(s, T0 + 11), -1);
	assert_int_equal(silence_next_end(s, T0 + 11), -1);
	/* A window's opening is kept longer: it must not open again. */
	silence_set_window(s, 0, "weekend");
	silence_prune(s, T0 + 11, T0 + 10);
	assert_int_equal(silence_count(s), 1);
	silence_prune(s, T0 + 11, T0 + 11);
	assert_int_equal(silence_count(s), 0);
	evt_free(a);
	silence_set_free(s);
}

/*
 * Distinct tasks and watches kept, each with its last event, the first
 * SILENCE_MAX_ITEMS of them.
 */
static void
test_items(void **state)
{
	struct silence_set *s = one();
	const struct silence_item *v;
	struct evt *ev;
	uint64_t total;
	size_t i, n;
	char id[32];

	(void)state;
	for (i = 0; i < SILENCE_MAX_ITEMS + 20; i++) {
		snprintf(id, sizeof(id), "t%zu", i % (SILENCE_MAX_ITEMS + 10));
		ev = event("dds-prod", "orders-eu", id);
		silence_apply(s, ev, T0 + 1);
		evt_free(ev);
	}
	ev = event("dds-prod", "orders-eu", "t0");
	ev->task.state = TASK_SUCCEEDED;
	evt_finish(ev);
	silence_apply(s, ev, T0 + 2);
	evt_free(ev);
	ev = evt_new(EVT_WATCH_FAILED);
	ev->watch = xstrdup("dds-prod");
	evt_finish(ev);
	/* A cluster matcher never matches a watch event. */
	assert_null(silence_apply(s, ev, T0 + 2));
	evt_free(ev);
	v = silence_items(s, 0, &n, &total);
	assert_int_equal(n, SILENCE_MAX_ITEMS);
	assert_int_equal(total, SILENCE_MAX_ITEMS + 10);
	assert_string_equal(v[0].key, "dds-prod\037orders-eu\037t0");
	assert_non_null(strstr(v[0].doc, "\"state\":\"SUCCEEDED\""));
	assert_non_null(strstr(v[1].doc, "\"state\":\"FAILED\""));
	silence_set_free(s);
}

/* A watch event is kept by its watch. */
static void
test_watch_item(void **state)
{
	static const char *m[] = { "watch=dds-*" };
	struct silence_set *s = silence_set_new();
	const struct silence_item *v;
	struct evt *ev = evt_new(EVT_WATCH_FAILED);
	char *cause = NULL;
	uint64_t total;
	size_t n;

	(void)state;
	assert_int_equal(silence_add(s, "00000000000000aa", m, 1, NULL, T0,
			     T0 + 60, 0, 0, &cause),
	    0);
	ev->watch = xstrdup("dds-prod");
	ev->error_class = xstrdup("http");
	evt_finish(ev);
	assert_string_equal(silence_apply(s, ev, T0 + 1), "00000000000000aa");
	v = silence_items(s, 0, &n, &total);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].key, "dds-prod\037");
	assert_non_null(strstr(v[0].doc, "\"event\":\"watch_failed\""));
	assert_int_equal(silence_find(s, "00000000000000aa"), 0);
	assert_int_equal(silence_find(s, "00000000000000ab"), -1);
	evt_free(ev);
	silence_set_free(s);
}

/* What a restart reads back is what was saved. */
static void
test_json(void **state)
{
	struct silence_set *s = one(), *r;
	struct evt *a = event("dds-prod", "orders-eu", "t1");
	char *text, *again, *cause = NULL;

	(void)state;
	silence_apply(s, a, T0 + 5);
	silence_set_window(s, 0, "sunday");
	text = silence_set_json(s);
	r = silence_set_from_json(text, strlen(text), &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	again = silence_set_json(r);
	assert_string_equal(text, again);
	assert_string_equal(
	    silence_at(r, 0)->matchers, "watch=dds-prod cluster=orders-*");
	assert_string_equal(silence_at(r, 0)->window, "sunday");
	assert_string_equal(silence_apply(r, a, T0 + 6), "0123456789abcdef");
	assert_null(silence_apply(r, a, T0 + 7200));
	assert_null(silence_set_from_json("{}", 2, &cause));
	free(cause);
	free(text);
	free(again);
	evt_free(a);
	silence_set_free(s);
	silence_set_free(r);
}

/* Matchers and windows that are refused. */
static void
test_refused(void **state)
{
	static const char *bad[] = { "colour=red", "watch", "=x", "watch=" };
	struct silence_set *s = silence_set_new();
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(silence_add(s, "0123456789abcdef", &bad[i], 1,
				     NULL, T0, T0 + 60, 0, 0, &cause),
		    -1);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
	assert_int_equal(silence_add(s, "0123456789abcdef", bad, 0, NULL, T0,
			     T0 + 60, 0, 0, &cause),
	    -1);
	assert_string_equal(cause, "a silence needs a matcher");
	free(cause);
	assert_int_equal(silence_add(s, "0123456789abcdef", bad, 1, NULL, T0,
			     SILENCE_MAX_TIME + 1, 0, 0, &cause),
	    -1);
	assert_string_equal(cause, "a silence must end before the year 10000");
	free(cause);
	assert_int_equal(silence_count(s), 0);
	silence_set_free(s);
}

/* merge TEXT into s at T0 + at: what it did, the index in *i. */
static enum silence_merge
merge(struct silence_set *s, const char *text, int at, long *i)
{
	char *cause = NULL;
	enum silence_merge m;

	m = silence_merge(s, text, strlen(text), T0 + at, i, &cause);
	if (m == SILENCE_MERGE_BAD)
		assert_non_null(cause);
	free(cause);
	return m;
}

/*
 * Shared between replicas: the text carries what holds; a new active one
 * is added with its id, an earlier end wins either way, an ended one
 * unknown here and a window's opening are left alone, and text that is
 * not a silence is refused.
 */
static void
test_merge(void **state)
{
	struct silence_set *s = one(), *r = silence_set_new();
	struct evt *a = event("dds-prod", "orders-eu", "t1");
	char *text, *late;
	long i;

	(void)state;
	text = silence_share_text(s, 0);
	assert_null(strstr(text, "items"));
	/* New here: added, same id, matchers, end, creator; it holds. */
	assert_int_equal(merge(r, text, 10, &i), SILENCE_MERGE_ADDED);
	assert_int_equal(i, 0);
	assert_string_equal(silence_at(r, 0)->id, "0123456789abcdef");
	assert_string_equal(
	    silence_at(r, 0)->matchers, "watch=dds-prod cluster=orders-*");
	assert_string_equal(silence_at(r, 0)->comment, "resize drill");
	assert_int_equal(silence_at(r, 0)->starts_at, T0);
	assert_int_equal(silence_at(r, 0)->ends_at, T0 + 7200);
	assert_int_equal(silence_at(r, 0)->uid, 1000);
	assert_string_equal(silence_apply(r, a, T0 + 11), "0123456789abcdef");
	/* Heard again: nothing. */
	assert_int_equal(merge(r, text, 20, &i), SILENCE_MERGE_SAME);
	/* Expired here: theirs is stale; expired there: ours ends too. */
	assert_int_equal(silence_expire(s, "0123456789abcdef", T0 + 30), 0);
	late = silence_share_text(s, 0);
	assert_int_equal(merge(s, text, 40, &i), SILENCE_MERGE_STALE);
	assert_int_equal(silence_at(s, 0)->ends_at, T0 + 30);
	assert_int_equal(merge(r, late, 40, &i), SILENCE_MERGE_ENDED);
	assert_int_equal(silence_at(r, 0)->ends_at, T0 + 30);
	assert_null(silence_apply(r, a, T0 + 41));
	/* Never undone by the later end. */
	assert_int_equal(merge(r, text, 50, &i), SILENCE_MERGE_STALE);
	assert_int_equal(silence_at(r, 0)->ends_at, T0 + 30);
	/* Once reported ended here, an earlier end changes nothing. */
	assert_int_equal(silence_take_ended(r, T0 + 60), 0);
	assert_int_equal(silence_at(r, 0)->ends_at, T0 + 30);
	silence_set_free(r);
	/* Ended before it was heard of: nothing to hold. */
	r = silence_set_new();
	assert_int_equal(merge(r, text, 7200, &i), SILENCE_MERGE_SAME);
	assert_int_equal(i, -1);
	assert_int_equal(silence_count(r), 0);
	/* A window's opening is this replica's own. */
	silence_set_window(s, 0, "sunday");
	assert_int_equal(merge(s, text, 10, &i), SILENCE_MERGE_SAME);
	/* Not a silence. */
	assert_int_equal(merge(r, "{", 10, &i), SILENCE_MERGE_BAD);
	assert_int_equal(merge(r, "{\"id\":\"x\"}", 10, &i), SILENCE_MERGE_BAD);
	assert_int_equal(merge(r,
			     "{\"id\":\"0123456789ABCDEF\",\"matchers\":[\"w"
			     "atch=x\"],\"starts_at\":1,\"ends_at\":9999999999,"
			     "\"uid\":0,\"gid\":0}",
			     10, &i),
	    SILENCE_MERGE_BAD);
	assert_int_equal(
	    merge(r,
		"{\"id\":\"0123456789abcdef\",\"matchers\":[\"c"
		"olour=red\"],\"starts_at\":1,\"ends_at\":9999999999,"
		"\"uid\":0,\"gid\":0}",
		10, &i),
	    SILENCE_MERGE_BAD);
	assert_int_equal(
	    merge(r,
		"{\"id\":\"0123456789abcdef\",\"matchers\":[\"w"
		"atch=x\"],\"comment\":\"a\\u001b[2Jb\",\"starts_at\""
		":1,\"ends_at\":9999999999,\"uid\":0,\"gid\":0}",
		10, &i),
	    SILENCE_MERGE_BAD);
	assert_int_equal(merge(r,
			     "{\"id\":\"0123456789abcdef\",\"matchers\":[\"w"
			     "atch=\\u001b[2J\"],\"starts_at\":1,\"ends_at\":"
			     "9999999999,\"uid\":0,\"gid\":0}",
			     10, &i),
	    SILENCE_MERGE_BAD);
	/* An end past year 9999 (an older version took it) is cut there. */
	assert_int_equal(merge(r,
			     "{\"id\":\"0123456789abcdef\",\"matchers\":[\"w"
			     "atch=x\"],\"starts_at\":1,\"ends_at\":"
			     "9223372036854775807,\"uid\":0,\"gid\":0}",
			     10, &i),
	    SILENCE_MERGE_ADDED);
	assert_int_equal(silence_at(r, 0)->ends_at, SILENCE_MAX_TIME);
	silence_remove(r, 0);
	/* Times a restart or a merge could not compute with. */
	assert_int_equal(merge(r,
			     "{\"id\":\"0123456789abcdef\",\"matchers\":[\"w"
			     "atch=x\"],\"starts_at\":9223372036854775807,"
			     "\"ends_at\":9223372036854775807,\"uid\":0,"
			     "\"gid\":0}",
			     10, &i),
	    SILENCE_MERGE_BAD);
	assert_int_equal(silence_count(r), 0);
	free(text);
	free(late);
	evt_free(a);
	silence_set_free(s);
	silence_set_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_expire_and_end),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_watch_item),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
