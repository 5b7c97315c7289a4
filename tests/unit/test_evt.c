/*
 * Unit tests for events: the default severity table, the stable id, the
 * JSON event document (fields and types, escaping round trip, watch
 * events), the summary forms, kind names and ownership.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "evt.h"
#include "json.h"
#include "task.h"
#include "xmalloc.h"

/* A transition of a DDS job RUNNING -> FAILED, finished. */
static struct evt *
test_transition(void)
{
	struct evt *ev = evt_new(EVT_TRANSITION);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->region = xstrdup("cn-north-4");
	ev->occurred_at = 1747645662; /* 2025-05-19T09:07:42Z */
	ev->observed_at = 1747645670;
	ev->has_task = 1;
	ev->task.id = xstrdup("2f406db7-bdc4-402f-9dc4-2c1b094a5f93");
	ev->task.type = xstrdup("RestartReplicaSetInstance");
	ev->task.cluster_id = xstrdup("1f311e6a299345d7bbc878874844e233in02");
	ev->task.cluster_name = xstrdup("dds-6be2-fwyrestore");
	ev->task.state = TASK_FAILED;
	ev->task.raw_status = xstrdup("Failed");
	ev->task.progress = 60;
	ev->task.started_at = 1662359054; /* 2022-09-05T06:24:14Z */
	ev->task.ended_at = 1662359143;   /* 2022-09-05T06:25:43Z */
	ev->task.reason = xstrdup("replica set restart failed");
	ev->task.detail = xstrdup("{\"job\":{\"n\":1}}");
	ev->has_previous = 1;
	ev->prev_state = TASK_RUNNING;
	ev->prev_raw = xstrdup("Running");
	ev->prev_progress = 60;
	evt_finish(ev);
	return ev;
}

/* A watch_failed event of an error class. */
static struct evt *
test_watch_failed(const char *class)
{
	struct evt *ev = evt_new(EVT_WATCH_FAILED);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->region = xstrdup("cn-north-4");
	ev->occurred_at = ev->observed_at = 1747645662;
	ev->error_class = xstrdup(class);
	ev->error_msg = xstrdup("HTTP 401: \"APIGW.0301\" incorrect IAM");
	ev->obs = xstrdup("1747645000");
	evt_finish(ev);
	return ev;
}

/* The default severity of an event of kind with a task state and type. */
static enum config_severity
test_sev(enum evt_kind kind, enum task_state s, const char *type, int has_prev,
    enum task_state prev)
{
	struct evt *ev = evt_new(kind);
	enum config_severity sev;

	ev->has_task = 1;
	ev->task.state = s;
	ev->task.type = xstrdup(type);
	ev->has_previous = has_prev;
	ev->prev_state = prev;
	sev = evt_default_severity(ev);
	evt_free(ev);
	return sev;
}

/* Every row of product.md's severity table. */
static void
test_default_severity(void **state)
{
	struct evt *ev;

	(void)state;
	/* appeared */
	assert_int_equal(test_sev(EVT_APPEARED, TASK_RUNNING, "Restart", 0, 0),
	    CONFIG_SEVERITY_INFO);
	assert_int_equal(
	    test_sev(EVT_APPEARED, TASK_SUCCEEDED, "Restart", 0, 0),
	    CONFIG_SEVERITY_INFO);
	assert_int_equal(test_sev(EVT_APPEARED, TASK_FAILED, "Restart", 0, 0),
	    CONFIG_SEVERITY_CRITICAL);
	assert_int_equal(
	    test_sev(EVT_APPEARED, TASK_RUNNING, "SNAPSHOTTING_FAILED", 0, 0),
	    CONFIG_SEVERITY_CRITICAL);
	assert_int_equal(
	    test_sev(EVT_APPEARED, TASK_RUNNING, "RESIZE_FAILURE", 0, 0),
	    CONFIG_SEVERITY_CRITICAL);
	assert_int_equal(
	    test_sev(EVT_APPEARED, TASK_RUNNING, "SNAPSHOTTING", 0, 0),
	    CONFIG_SEVERITY_INFO);
	assert_int_equal(test_sev(EVT_APPEARED, TASK_RUNNING, NULL, 0, 0),
	    CONFIG_SEVERITY_INFO);
	/* transition */
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_FAILED, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_CRITICAL);
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_PARTIAL, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_WARNING);
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_ROLLED_BACK, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_WARNING);
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_CANCELLED, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_WARNING);
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_ROLLING_BACK, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_WARNING);
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_SUCCEEDED, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_INFO);
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_RUNNING, "x", 1, TASK_PENDING),
	    CONFIG_SEVERITY_INFO);
	assert_int_equal(
	    test_sev(EVT_TRANSITION, TASK_UNKNOWN, "x", 1, TASK_PENDING),
	    CONFIG_SEVERITY_INFO);
	/* A _FAILED type only matters for appeared. */
	assert_int_equal(test_sev(EVT_TRANSITION, TASK_SUCCEEDED,
			     "RESTORING_FAILED", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_INFO);
	/* vanished: by the last state */
	assert_int_equal(
	    test_sev(EVT_VANISHED, TASK_RUNNING, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_WARNING);
	assert_int_equal(
	    test_sev(EVT_VANISHED, TASK_PENDING, "x", 1, TASK_PENDING),
	    CONFIG_SEVERITY_WARNING);
	assert_int_equal(
	    test_sev(EVT_VANISHED, TASK_SUCCEEDED, "x", 1, TASK_SUCCEEDED),
	    CONFIG_SEVERITY_INFO);
	assert_int_equal(
	    test_sev(EVT_VANISHED, TASK_FAILED, "x", 1, TASK_FAILED),
	    CONFIG_SEVERITY_INFO);
	/* stalled */
	assert_int_equal(
	    test_sev(EVT_STALLED, TASK_RUNNING, "x", 1, TASK_RUNNING),
	    CONFIG_SEVERITY_WARNING);
	/* watch_failed, watch_recovered */
	ev = test_watch_failed("auth");
	assert_int_equal(ev->severity, CONFIG_SEVERITY_CRITICAL);
	evt_free(ev);
	ev = test_watch_failed("network");
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	evt_free(ev);
	ev = test_watch_failed("throttled");
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	evt_free(ev);
	ev = evt_new(EVT_WATCH_RECOVERED);
	assert_int_equal(evt_default_severity(ev), CONFIG_SEVERITY_INFO);
	evt_free(ev);
}

/* evt_finish keeps a severity already set. */
static void
test_finish_keeps_severity(void **state)
{
	struct evt *ev = evt_new(EVT_APPEARED);

	(void)state;
	assert_int_equal(ev->severity, CONFIG_SEVERITY_UNSET);
	ev->severity = CONFIG_SEVERITY_WARNING;
	evt_finish(ev);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	assert_int_equal(strlen(ev->id), EVT_ID_LEN);
	evt_free(ev);
}

/* The id is stable across copies, times, severity, rule and missed. */
static void
test_id_stable(void **state)
{
	struct evt *a = test_transition(), *b;
	char id[EVT_ID_LEN + 1];
	size_t i;

	(void)state;
	assert_int_equal(strlen(a->id), EVT_ID_LEN);
	for (i = 0; i < EVT_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a->id[i]));
	b = evt_dup(a);
	assert_string_equal(a->id, b->id);
	b->occurred_at += 100;
	b->observed_at += 3600;
	b->severity = CONFIG_SEVERITY_INFO;
	b->rule = xstrdup("page-on-failure");
	b->missed = 1;
	b->task.progress = 99;
	b->task.reason = (free(b->task.reason), xstrdup("other"));
	b->task.ended_at = 5;
	evt_compute_id(b, id);
	assert_string_equal(a->id, id);
	evt_free(b);
	evt_free(a);
}

/* The id differs for another task, run, state, raw word, kind or obs. */
static void
test_id_differs(void **state)
{
	struct evt *a = test_transition(), *b;
	char id[EVT_ID_LEN + 1];

	(void)state;
#define TEST_DIFF(change)                           \
	do {                                        \
		b = evt_dup(a);                     \
		change;                             \
		evt_compute_id(b, id);              \
		assert_string_not_equal(a->id, id); \
		evt_free(b);                        \
	} while (0)
	TEST_DIFF(b->task.state = TASK_PARTIAL);
	TEST_DIFF(free(b->task.raw_status); b->task.raw_status = xstrdup("x"));
	TEST_DIFF(free(b->task.id); b->task.id = xstrdup("other"));
	TEST_DIFF(free(b->task.cluster_id); b->task.cluster_id = xstrdup("c"));
	TEST_DIFF(free(b->watch); b->watch = xstrdup("dds-test"));
	TEST_DIFF(b->kind = EVT_STALLED);
	TEST_DIFF(b->obs = xstrdup("17"));
	/* the same task id run again (a new start) is a new event */
	TEST_DIFF(b->task.started_at += 3600);
#undef TEST_DIFF
	evt_free(a);
}

/*
 * A task reaching a state is one event: a transition from any previous
 * state and an appeared already in it share the id (a restart on an older
 * saved table sees the change differently); other kinds do not.
 */
static void
test_id_reached(void **state)
{
	struct evt *a = test_transition(), *b;
	char id[EVT_ID_LEN + 1];

	(void)state;
	b = evt_dup(a);
	b->prev_state = TASK_PENDING;
	free(b->prev_raw);
	b->prev_raw = xstrdup("Pending");
	evt_compute_id(b, id);
	assert_string_equal(a->id, id);
	b->kind = EVT_APPEARED;
	b->has_previous = 0;
	evt_compute_id(b, id);
	assert_string_equal(a->id, id);
	b->kind = EVT_VANISHED;
	b->has_previous = 1;
	evt_compute_id(b, id);
	assert_string_not_equal(a->id, id);
	evt_free(b);
	evt_free(a);
}

/* evt_dup is deep: freeing the original leaves the copy intact. */
static void
test_dup_deep(void **state)
{
	struct evt *a = test_transition(), *b;

	(void)state;
	a->rule = xstrdup("r1");
	a->obs = xstrdup("o");
	b = evt_dup(a);
	assert_ptr_not_equal(a->task.id, b->task.id);
	assert_ptr_not_equal(a->watch, b->watch);
	evt_free(a);
	assert_string_equal(b->task.reason, "replica set restart failed");
	assert_string_equal(b->rule, "r1");
	assert_string_equal(b->obs, "o");
	assert_string_equal(b->prev_raw, "Running");
	evt_free(b);
	evt_free(NULL);
}

/* Parse a document, asserting success. */
static struct json *
test_parse(const struct evt *ev)
{
	struct json *j;
	char *text, *cause = NULL;
	size_t len;

	text = evt_to_json(ev, &len);
	assert_int_equal(strlen(text), len);
	j = json_parse(text, len, &cause);
	if (j == NULL)
		fail_msg("bad JSON %s: %s", text, cause);
	free(text);
	assert_int_equal(json_type(j), JSON_OBJECT);
	return j;
}

/* Assert an integer member. */
static void
test_int(const struct json *o, const char *key, int64_t want)
{
	int64_t v;

	assert_int_equal(json_type(json_get(o, key)), JSON_NUMBER);
	assert_int_equal(json_int(json_get(o, key), 0, &v), 0);
	assert_int_equal(v, want);
}

/* The transition document has every field with the right type. */
static void
test_json_transition(void **state)
{
	struct evt *ev = test_transition();
	const struct json *t, *p, *d;
	struct json *j;
	int b;

	(void)state;
	ev->rule = xstrdup("page-on-failure");
	j = test_parse(ev);
	assert_int_equal(json_len(j), 15);
	test_int(j, "version", 1);
	assert_string_equal(json_get_str(j, "id"), ev->id);
	assert_string_equal(json_get_str(j, "event"), "transition");
	assert_string_equal(json_get_str(j, "severity"), "critical");
	assert_string_equal(json_get_str(j, "rule"), "page-on-failure");
	assert_string_equal(
	    json_get_str(j, "occurred_at"), "2025-05-19T09:07:42Z");
	assert_string_equal(
	    json_get_str(j, "observed_at"), "2025-05-19T09:07:50Z");
	assert_int_equal(json_bool(json_get(j, "missed"), &b), 0);
	assert_false(b);
	assert_string_equal(json_get_str(j, "watch"), "dds-prod");
	assert_string_equal(json_get_str(j, "api"), "dds.jobs");
	assert_string_equal(json_get_str(j, "account"), "hw-prod");
	assert_string_equal(json_get_str(j, "region"), "cn-north-4");

	t = json_get(j, "task");
	assert_int_equal(json_type(t), JSON_OBJECT);
	assert_int_equal(json_len(t), 12);
	/* The base type: the type itself unless the provider says. */
	assert_string_equal(
	    json_get_str(t, "base_type"), "RestartReplicaSetInstance");
	assert_string_equal(
	    json_get_str(t, "id"), "2f406db7-bdc4-402f-9dc4-2c1b094a5f93");
	assert_string_equal(
	    json_get_str(t, "type"), "RestartReplicaSetInstance");
	assert_string_equal(json_get_str(t, "cluster_id"),
	    "1f311e6a299345d7bbc878874844e233in02");
	assert_string_equal(
	    json_get_str(t, "cluster_name"), "dds-6be2-fwyrestore");
	assert_string_equal(json_get_str(t, "state"), "FAILED");
	assert_string_equal(json_get_str(t, "raw_status"), "Failed");
	test_int(t, "progress", 60);
	assert_string_equal(
	    json_get_str(t, "started_at"), "2022-09-05T06:24:14Z");
	assert_string_equal(
	    json_get_str(t, "ended_at"), "2022-09-05T06:25:43Z");
	assert_string_equal(
	    json_get_str(t, "reason"), "replica set restart failed");
	d = json_get(t, "detail");
	assert_int_equal(json_type(d), JSON_OBJECT);
	assert_int_equal(json_type(json_get(d, "job")), JSON_OBJECT);

	p = json_get(j, "previous");
	assert_int_equal(json_type(p), JSON_OBJECT);
	assert_int_equal(json_len(p), 3);
	assert_string_equal(json_get_str(p, "state"), "RUNNING");
	assert_string_equal(json_get_str(p, "raw_status"), "Running");
	test_int(p, "progress", 60);
	assert_string_equal(json_get_str(j, "summary"),
	    "dds-prod: RestartReplicaSetInstance on dds-6be2-fwyrestore "
	    "RUNNING -> FAILED: replica set restart failed");
	assert_null(json_get(j, "error"));
	json_free(j);
	evt_free(ev);
}

/* Nulls: rule, progress, times, reason, cluster_name, previous; detail {}. */
static void
test_json_nulls(void **state)
{
	struct evt *ev = test_transition();
	const struct json *t;
	struct json *j;
	int b;

	(void)state;
	ev->kind = EVT_APPEARED;
	ev->has_previous = 0;
	ev->missed = 1;
	ev->task.progress = TASK_PROGRESS_NONE;
	ev->task.started_at = ev->task.ended_at = TASK_TIME_NONE;
	free(ev->task.reason);
	free(ev->task.detail);
	free(ev->task.cluster_name);
	ev->task.reason = ev->task.detail = ev->task.cluster_name = NULL;
	evt_finish(ev);
	j = test_parse(ev);
	assert_int_equal(json_type(json_get(j, "rule")), JSON_NULL);
	assert_non_null(json_get(j, "rule"));
	assert_int_equal(json_bool(json_get(j, "missed"), &b), 0);
	assert_true(b);
	t = json_get(j, "task");
	assert_int_equal(json_len(t), 12);
	assert_int_equal(json_type(json_get(t, "progress")), JSON_NULL);
	assert_int_equal(json_type(json_get(t, "started_at")), JSON_NULL);
	assert_int_equal(json_type(json_get(t, "ended_at")), JSON_NULL);
	assert_int_equal(json_type(json_get(t, "reason")), JSON_NULL);
	assert_int_equal(json_type(json_get(t, "cluster_name")), JSON_NULL);
	assert_int_equal(json_type(json_get(t, "detail")), JSON_OBJECT);
	assert_int_equal(json_len(json_get(t, "detail")), 0);
	assert_non_null(json_get(j, "previous"));
	assert_int_equal(json_type(json_get(j, "previous")), JSON_NULL);
	assert_string_equal(json_get_str(j, "event"), "appeared");
	assert_string_equal(json_get_str(j, "summary"),
	    "dds-prod: RestartReplicaSetInstance on "
	    "1f311e6a299345d7bbc878874844e233in02 appeared (already FAILED) "
	    "while taskwatchd was down");
	json_free(j);
	evt_free(ev);
}

/* A reason with quotes, backslashes and newlines survives the document. */
static void
test_json_escaping(void **state)
{
	struct evt *ev = test_transition();
	const char *reason = "line \"one\"\n\tline \\two\\\r\n{\"x\":1}";
	struct json *j;
	const char *s;

	(void)state;
	free(ev->task.reason);
	ev->task.reason = xstrdup(reason);
	j = test_parse(ev);
	assert_string_equal(
	    json_get_str(json_get(j, "task"), "reason"), reason);
	s = json_get_str(j, "summary");
	assert_null(strchr(s, '\n'));
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\t'));
	assert_non_null(strstr(s, "line \"one\"  line \\two\\"));
	json_free(j);
	evt_free(ev);
}

/* Watch events: task and previous null, an error object (null if recovered). */
static void
test_json_watch(void **state)
{
	struct evt *ev = test_watch_failed("auth");
	const struct json *e;
	struct json *j;

	(void)state;
	j = test_parse(ev);
	assert_string_equal(json_get_str(j, "event"), "watch_failed");
	assert_string_equal(json_get_str(j, "severity"), "critical");
	assert_int_equal(json_type(json_get(j, "task")), JSON_NULL);
	assert_non_null(json_get(j, "task"));
	assert_int_equal(json_type(json_get(j, "previous")), JSON_NULL);
	e = json_get(j, "error");
	assert_int_equal(json_type(e), JSON_OBJECT);
	assert_string_equal(json_get_str(e, "class"), "auth");
	assert_string_equal(json_get_str(e, "message"),
	    "HTTP 401: \"APIGW.0301\" incorrect IAM");
	assert_string_equal(json_get_str(j, "summary"),
	    "dds-prod: polling failed (auth): "
	    "HTTP 401: \"APIGW.0301\" incorrect IAM");
	json_free(j);
	evt_free(ev);

	ev = evt_new(EVT_WATCH_RECOVERED);
	ev->watch = xstrdup("dds-prod");
	evt_finish(ev);
	j = test_parse(ev);
	assert_string_equal(json_get_str(j, "severity"), "info");
	assert_non_null(json_get(j, "error"));
	assert_int_equal(json_type(json_get(j, "error")), JSON_NULL);
	assert_int_equal(json_type(json_get(j, "api")), JSON_NULL);
	assert_string_equal(
	    json_get_str(j, "summary"), "dds-prod: polling recovered");
	json_free(j);
	evt_free(ev);
}

/* Invalid detail text is kept as a string, never breaks the document. */
static void
test_json_bad_detail(void **state)
{
	struct evt *ev = test_transition();
	struct json *j;

	(void)state;
	free(ev->task.detail);
	ev->task.detail = xstrdup("{\"broken\":");
	j = test_parse(ev);
	assert_string_equal(
	    json_get_str(json_get(j, "task"), "detail"), "{\"broken\":");
	json_free(j);
	evt_free(ev);
}

/* Check a summary. */
static void
test_summary_is(const struct evt *ev, const char *want)
{
	char *s = evt_summary(ev);

	assert_string_equal(s, want);
	free(s);
}

/* The summary forms of each kind. */
static void
test_summary_forms(void **state)
{
	struct evt *ev = test_transition();

	(void)state;
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore RUNNING -> FAILED: "
	    "replica set restart failed");
	free(ev->task.reason);
	ev->task.reason = NULL;
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore RUNNING -> FAILED");
	ev->kind = EVT_APPEARED;
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore appeared (already FAILED)");
	ev->kind = EVT_VANISHED;
	ev->task.state = TASK_RUNNING;
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore vanished (last RUNNING)");
	ev->kind = EVT_STALLED;
	ev->obs = xstrdup("1747645662");
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore stalled at 60% (since 2025-05-19T09:07:42Z)");
	ev->task.progress = TASK_PROGRESS_NONE;
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore stalled (since 2025-05-19T09:07:42Z)");
	/* No cluster at all, no type. */
	free(ev->task.cluster_name);
	free(ev->task.cluster_id);
	free(ev->task.type);
	ev->task.cluster_name = ev->task.type = NULL;
	ev->task.cluster_id = xstrdup("");
	ev->kind = EVT_APPEARED;
	test_summary_is(ev, "dds-prod: task appeared (RUNNING)");
	evt_free(ev);
}

/* Long and multi-line cloud text gives one line of at most 300 bytes. */
static void
test_summary_long(void **state)
{
	struct evt *ev = test_transition();
	char *s;
	size_t i, n;

	(void)state;
	free(ev->task.reason);
	ev->task.reason = xmalloc(3 * 1000 + 1);
	for (i = 0, n = 0; i < 1000; i++) {
		if (i % 25 == 0)
			ev->task.reason[n++] = '\n';
		ev->task.reason[n++] = '\xc3'; /* U+00E9 */
		ev->task.reason[n++] = '\xa9';
	}
	ev->task.reason[n] = '\0';
	s = evt_summary(ev);
	assert_true(strlen(s) <= 300);
	assert_true(strlen(s) >= 290);
	assert_null(strchr(s, '\n'));
	assert_string_equal(s + strlen(s) - 3, "...");
	/* Not cut inside a two-byte character. */
	assert_int_not_equal((unsigned char)s[strlen(s) - 4], 0xc3);
	free(s);
	evt_free(ev);
}

/* Kind names both ways. */
static void
test_kind_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < EVT_KIND_COUNT; i++)
		assert_int_equal(evt_kind_from_name(evt_kind_name(i)), i);
	assert_string_equal(
	    evt_kind_name(EVT_WATCH_RECOVERED), "watch_recovered");
	assert_string_equal(evt_kind_name(EVT_STALLED), "stalled");
	assert_int_equal(evt_kind_from_name("nope"), -1);
	assert_int_equal(evt_kind_from_name(NULL), -1);
}

/* Lists own their events. */
static void
test_list(void **state)
{
	struct evt_list l = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		evt_list_add(&l, test_transition());
	assert_int_equal(l.n, 40);
	evt_list_clear(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	evt_list_clear(&l);
}

/* Parse a document, read the event back, and write it again: same text. */
static void
test_from_json_same(struct evt *ev)
{
	struct json *j;
	struct evt *back;
	char *a, *b, *cause = NULL;
	size_t la, lb;

	a = evt_to_json(ev, &la);
	j = json_parse(a, la, &cause);
	assert_non_null(j);
	back = evt_from_json(j, &cause);
	if (back == NULL)
		fail_msg("evt_from_json: %s", cause);
	b = evt_to_json(back, &lb);
	assert_string_equal(a, b);
	assert_string_equal(back->id, ev->id);
	assert_int_equal(back->kind, ev->kind);
	assert_int_equal(back->severity, ev->severity);
	assert_int_equal(back->has_task, ev->has_task);
	assert_null(back->obs); /* not in the document */
	free(a);
	free(b);
	json_free(j);
	evt_free(back);
}

/* evt_from_json gives back every kind of event as it was written. */
static void
test_from_json(void **state)
{
	struct evt *ev = test_transition();

	test_from_json_same(ev);
	ev->missed = 1;
	ev->rule = xstrdup("page");
	ev->severity = CONFIG_SEVERITY_WARNING;
	free(ev->task.detail);
	ev->task.detail = NULL;
	ev->task.progress = TASK_PROGRESS_NONE;
	ev->task.ended_at = TASK_TIME_NONE;
	test_from_json_same(ev);
	ev->kind = EVT_APPEARED;
	ev->has_previous = 0;
	test_from_json_same(ev);
	evt_free(ev);
	ev = test_watch_failed("auth");
	test_from_json_same(ev);
	evt_free(ev);
}

/*
 * An acknowledged task's event carries "ack" (by_uid, at, comment, state)
 * in its document, not in its id; it comes back from the document, and a
 * template may read it.  A comment loses its control characters and is
 * cut at a character boundary.
 */
static void
test_json_ack(void **state)
{
	struct evt *ev = test_transition(), *back;
	char id[EVT_ID_LEN + 1], *doc, *cause = NULL, *longc;
	struct json *j;
	const struct json *a;
	struct evt_ack *ack;

	memcpy(id, ev->id, sizeof(id));
	doc = evt_to_json(ev, NULL);
	assert_null(strstr(doc, "\"ack\""));
	free(doc);
	ev->ack = evt_ack_new(1000, 1747645662, "on\tit\x7f", TASK_RUNNING);
	evt_finish(ev);
	assert_string_equal(ev->id, id);
	doc = evt_to_json(ev, NULL);
	j = json_parse(doc, strlen(doc), &cause);
	assert_non_null(j);
	a = json_get(j, "ack");
	assert_non_null(a);
	assert_string_equal(json_get_str(a, "at"), "2025-05-19T09:07:42Z");
	assert_string_equal(json_get_str(a, "comment"), "onit");
	assert_string_equal(json_get_str(a, "state"), "RUNNING");
	back = evt_from_json(j, &cause);
	assert_non_null(back);
	assert_non_null(back->ack);
	assert_int_equal(back->ack->by_uid, 1000);
	assert_int_equal(back->ack->at, 1747645662);
	assert_int_equal(back->ack->state, TASK_RUNNING);
	assert_string_equal(back->ack->comment, "onit");
	evt_free(back);
	back = evt_dup(ev);
	assert_string_equal(back->ack->comment, "onit");
	evt_free(back);
	json_free(j);
	free(doc);
	assert_true(evt_doc_field("ack.comment"));
	assert_true(evt_doc_field("ack.by_uid"));
	evt_free(ev);

	/* 199 ASCII bytes, then a 2-byte character: cut before it. */
	longc = xcalloc(1, 300);
	memset(longc, 'x', 199);
	strcat(longc, "\xc3\xa9yyyy");
	ack = evt_ack_new(0, 0, longc, TASK_FAILED);
	assert_int_equal(strlen(ack->comment), 199);
	evt_ack_free(ack);
	free(longc);
}

/*
 * A task raised again after a silence, and a silence_ended event: both
 * fields survive the outbox (the document read back); the summary of
 * silence_ended comes from its silence object.
 */
static void
test_from_json_silence(void **state)
{
	struct evt *ev = test_transition();
	char *s;

	(void)state;
	ev->after_silence = xstrdup("0123456789abcdef");
	test_from_json_same(ev);
	s = evt_to_json(ev, NULL);
	assert_non_null(strstr(s, "\"after_silence\":\"0123456789abcdef\""));
	free(s);
	evt_free(ev);
	ev = evt_new(EVT_SILENCE_ENDED);
	ev->silence_doc = xstrdup("{\"id\":\"0123456789abcdef\",\"events\":"
				  "3,\"tasks_total\":2,\"raised_again\":1,"
				  "\"tasks\":[]}");
	ev->obs = xstrdup("0123456789abcdef");
	evt_finish(ev);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_INFO);
	test_from_json_same(ev);
	test_summary_is(ev,
	    "silence 0123456789abcdef ended: 3 events "
	    "silenced on 2 tasks, 1 raised again");
	evt_free(ev);
}

/* evt_from_json refuses what is not an event document. */
static void
test_from_json_bad(void **state)
{
	static const char *bad[] = {
		"[]",
		"{\"event\":\"nope\",\"id\":"
		"\"0123456789abcdef0123456789abcdef\"}",
		"{\"event\":\"appeared\",\"id\":\"0123\"}",
		"{\"event\":\"appeared\",\"id\":"
		"\"0123456789ABCDEF0123456789abcdef\"}",
		"{\"event\":\"appeared\",\"id\":"
		"\"0123456789abcdef0123456789abcdef\","
		"\"task\":{\"type\":\"x\"}}",
		"{\"event\":\"appeared\",\"id\":"
		"\"0123456789abcdef0123456789abcdef\","
		"\"occurred_at\":\"yesterday\"}",
		"{\"event\":\"appeared\",\"id\":"
		"\"0123456789abcdef0123456789abcdef\","
		"\"watch\":7}",
		"{\"event\":\"transition\",\"id\":"
		"\"0123456789abcdef0123456789abcdef\","
		"\"previous\":{\"progress\":101}}",
	};
	struct json *j;
	struct evt *ev;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		j = json_parse(bad[i], strlen(bad[i]), &cause);
		assert_non_null(j);
		ev = evt_from_json(j, &cause);
		if (ev != NULL)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(cause);
		free(cause);
		json_free(j);
	}
}

/*
 * watch_failed and watch_recovered carry the streak's start, its length
 * and the last good poll; the recovery's summary says how long it was.
 * None of it is in the id.
 */
static void
test_json_watch_streak(void **state)
{
	struct evt *ev = test_watch_failed("network");
	char id[EVT_ID_LEN + 1];
	struct json *j;
	int64_t n;

	(void)state;
	memcpy(id, ev->id, sizeof(id));
	j = test_parse(ev);
	assert_int_equal(json_type(json_get(j, "since")), JSON_NULL);
	assert_int_equal(json_type(json_get(j, "last_success")), JSON_NULL);
	json_free(j);
	ev->fail_since = 1747645662;
	ev->consecutive_failures = 14;
	ev->last_success = 1747645602;
	evt_finish(ev);
	assert_string_equal(ev->id, id);
	j = test_parse(ev);
	assert_string_equal(json_get_str(j, "since"), "2025-05-19T09:07:42Z");
	assert_string_equal(
	    json_get_str(j, "last_success"), "2025-05-19T09:06:42Z");
	assert_int_equal(
	    json_int(json_get(j, "consecutive_failures"), 0, &n), 0);
	assert_int_equal(n, 14);
	json_free(j);
	test_from_json_same(ev);

	ev->kind = EVT_WATCH_RECOVERED;
	ev->observed_at = ev->fail_since + 12 * 60 + 5;
	test_summary_is(
	    ev, "dds-prod: polling recovered after 12 min, 14 failed polls");
	ev->observed_at = ev->fail_since + 2 * 3600 + 60;
	ev->consecutive_failures = 1;
	test_summary_is(
	    ev, "dds-prod: polling recovered after 2 h 1 min, 1 failed poll");
	test_from_json_same(ev);
	evt_free(ev);
}

/* A missed event says it happened while taskwatchd was down. */
static void
test_summary_missed(void **state)
{
	struct evt *ev = test_transition();

	(void)state;
	ev->missed = 1;
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore RUNNING -> FAILED while taskwatchd was "
	    "down: replica set restart failed");
	ev->kind = EVT_VANISHED;
	test_summary_is(ev,
	    "dds-prod: RestartReplicaSetInstance on "
	    "dds-6be2-fwyrestore vanished (last RUNNING) while taskwatchd "
	    "was down");
	evt_free(ev);
}

/*
 * replaced: a kind of its own, info whatever its last state, with a
 * summary naming the base type; the base type travels in the document.
 */
static void
test_replaced(void **state)
{
	struct evt *ev = test_transition();
	char vanished_id[EVT_ID_LEN + 1];
	struct json *j;

	(void)state;
	assert_string_equal(evt_kind_name(EVT_REPLACED), "replaced");
	assert_int_equal(evt_kind_from_name("replaced"), EVT_REPLACED);
	free(ev->task.type);
	ev->task.type = xstrdup("SNAPSHOTTING_FAILED");
	ev->base_type = xstrdup("SNAPSHOTTING");
	ev->prev_state = ev->task.state = TASK_FAILED;
	ev->kind = EVT_VANISHED;
	ev->severity = CONFIG_SEVERITY_UNSET;
	evt_finish(ev);
	memcpy(vanished_id, ev->id, sizeof(vanished_id));
	assert_int_equal(ev->severity, CONFIG_SEVERITY_INFO);
	ev->kind = EVT_REPLACED;
	ev->severity = CONFIG_SEVERITY_UNSET;
	evt_finish(ev);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_INFO);
	assert_string_not_equal(ev->id, vanished_id);
	test_summary_is(ev,
	    "dds-prod: SNAPSHOTTING_FAILED on dds-6be2-fwyrestore replaced "
	    "by a newer SNAPSHOTTING (last FAILED)");
	j = test_parse(ev);
	assert_string_equal(json_get_str(j, "event"), "replaced");
	assert_string_equal(
	    json_get_str(json_get(j, "task"), "base_type"), "SNAPSHOTTING");
	json_free(j);
	test_from_json_same(ev);
	/*
	 * One replaced before it was seen to end may have failed unseen: a
	 * warning, and its summary says so.
	 */
	ev->prev_state = ev->task.state = TASK_RUNNING;
	ev->severity = CONFIG_SEVERITY_UNSET;
	evt_finish(ev);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	test_summary_is(ev,
	    "dds-prod: SNAPSHOTTING_FAILED on dds-6be2-fwyrestore replaced "
	    "by a newer SNAPSHOTTING (last RUNNING; its end was not seen)");
	evt_free(ev);
}

/*
 * watch_flapping: a warning with the last error, the cycles and the
 * window; the recovery that ends it says how long it flapped.  Both
 * read back as written.
 */
static void
test_flapping(void **state)
{
	struct evt *ev = test_watch_failed("http");
	struct json *j;
	int64_t n;

	(void)state;
	ev->kind = EVT_WATCH_FLAPPING;
	ev->severity = CONFIG_SEVERITY_UNSET;
	ev->fail_since = 1747645662 - 20 * 60;
	ev->flap_cycles = 3;
	ev->flap_window_s = 30 * 60;
	evt_finish(ev);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	assert_true(evt_is_watch_event(ev));
	assert_string_equal(evt_kind_name(ev->kind), "watch_flapping");
	j = test_parse(ev);
	assert_int_equal(json_int(json_get(j, "flap_cycles"), 0, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(
	    json_int(json_get(j, "flap_window_seconds"), 0, &n), 0);
	assert_int_equal(n, 1800);
	assert_string_equal(
	    json_get_str(json_get(j, "error"), "class"), "http");
	assert_int_equal(json_type(json_get(j, "task")), JSON_NULL);
	json_free(j);
	test_summary_is(ev,
	    "dds-prod: polling is flapping: failed and recovered 3 times "
	    "within 30 min; last error (http): HTTP 401: \"APIGW.0301\" "
	    "incorrect IAM");
	test_from_json_same(ev);
	ev->kind = EVT_WATCH_RECOVERED;
	free(ev->error_class);
	free(ev->error_msg);
	ev->error_class = ev->error_msg = NULL;
	ev->observed_at = 1747645662 + 30 * 60;
	evt_finish(ev);
	test_summary_is(ev,
	    "dds-prod: polling recovered: stable for 30 min after flapping "
	    "for 50 min");
	test_from_json_same(ev);
	assert_true(evt_doc_field("flap_cycles"));
	assert_true(evt_doc_field("flap_window_seconds"));
	assert_true(evt_doc_field("hook.budget_key"));
	assert_true(evt_doc_field("hook.last_outcome"));
	evt_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_severity),
		cmocka_unit_test(test_finish_keeps_severity),
		cmocka_unit_test(test_id_stable),
		cmocka_unit_test(test_id_differs),
		cmocka_unit_test(test_id_reached),
		cmocka_unit_test(test_dup_deep),
		cmocka_unit_test(test_json_transition),
		cmocka_unit_test(test_json_nulls),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_watch),
		cmocka_unit_test(test_json_watch_streak),
		cmocka_unit_test(test_summary_missed),
		cmocka_unit_test(test_replaced),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_json_bad_detail),
		cmocka_unit_test(test_summary_forms),
		cmocka_unit_test(test_summary_long),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_from_json),
		cmocka_unit_test(test_from_json_silence),
		cmocka_unit_test(test_from_json_bad),
		cmocka_unit_test(test_json_ack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
