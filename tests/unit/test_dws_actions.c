/*
 * Unit tests for the dws.actions provider: the vendor's example body, the
 * walk over clusters x actions, 404 absent versus the gateway's 404, the
 * sub-item details decoded twice (or kept as text), progress and reason
 * choices, hostile bodies and the exact requests.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "provider.h"
#include "provider_impl.h"
#include "task.h"
#include "testlib.h"

#define TEST_NOW_MS TESTLIB_NOW_MS

static char *test_clusters1[] = { "c-1" };
static char *test_actions1[] = { "SNAPSHOTTING_FAILED" };
static char *test_clusters2[] = { "c-1", "c-2" };
static char *test_actions2[] = { "SNAPSHOTTING", "RESTORING" };

/* A hand-filled account and watch: one cluster, one action. */
static int
test_setup(void **state)
{
	struct testlib_env *env =
	    testlib_env_new(CONFIG_API_DWS_ACTIONS, "dws", "proj");

	env->watch.clusters.v = test_clusters1;
	env->watch.clusters.n = 1;
	env->watch.actions.v = test_actions1;
	env->watch.actions.n = 1;
	*state = env;
	return 0;
}

/* Parse one answer at scope 0; returns list_parse's result. */
static int
test_parse(struct testlib_env *env, long status, const char *body,
    struct task_list *l, struct provider_cursor *cur, char **cause)
{
	memset(cur, 0, sizeof(*cur));
	*cause = NULL;
	return env->p->list_parse(
	    &env->ctx, status, body, strlen(body), l, cur, cause);
}

/* Parse one action body that must give exactly one task. */
static void
test_one(struct testlib_env *env, const char *body, struct task_list *l)
{
	struct provider_cursor cur;
	char *cause;

	if (test_parse(env, 200, body, l, &cur, &cause) != 0)
		fail_msg("parse failed: %s (%s)", cause ? cause : "?", body);
	assert_null(cause);
	assert_int_equal(l->n, 1);
	assert_true(cur.done);
}

/* The vendor's example: a failed snapshot, detail decoded twice. */
static void
test_fixture(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct task *t;
	char *body, *cause = NULL;
	size_t len;
	const char *want_detail =
	    "{\"id\":\"abb30649-4ab5-448f-a199-f764d2a4271d\","
	    "\"items\":[{\"item_name\":\"Create a snapshot\",\"sub_items\":"
	    "[{\"status\":\"FAILED\",\"detail\":{\"progressInfo\":{"
	    "\"actionEndTime\":\"2025-05-19 09:07:42\","
	    "\"failedStep\":\"INIT\",\"partialPassKeys\":\"N/A\","
	    "\"errorCode\":\"\",\"updateTime\":\"2025-05-19 09:07:43\","
	    "\"errorMsg\":\"host-172-16-13-211 SUCCESS host-172-16-47-24 "
	    "SUCCESS host-172-16-19-132 SUCCESS \",\"backupSize\":157661926,"
	    "\"backupRate\":{\"compressRate\":\"0MB/s\","
	    "\"consumerRate\":\"0MB/s\",\"producerRate\":\"0MB/s\"},"
	    "\"currentStep\":\"FINISH\",\"actionType\":\"Backup\","
	    "\"unrestoreKeys\":\"N/A\",\"progress\":\"100.00%\","
	    "\"actionStartTime\":\"2025-05-19 09:07:28\","
	    "\"priorKey\":\"N/A\",\"key\":\"20250519_090729\"}},"
	    "\"sub_item_name\":\"Perform a backup\","
	    "\"begin_time\":\"2025-05-19 09:06:18.0\",\"end_time\":null,"
	    "\"estimated_time\":-1}]}]}";

	body = testlib_read_file(
	    "../shared/fixtures/dws-actions-snapshotting-failed.json", &len);
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_null(cause);
	assert_int_equal(l.n, 1);
	t = &l.v[0];
	/* keyed by its run; the vendor's id is in the detail */
	assert_string_equal(t->id, "SNAPSHOTTING@2025-05-19T09:05:10Z");
	assert_string_equal(t->type, "SNAPSHOTTING_FAILED");
	assert_string_equal(t->cluster_id, "c-1");
	assert_string_equal(t->cluster_name, "cluster_779");
	assert_int_equal(t->state, TASK_FAILED);
	assert_string_equal(t->raw_status, "FAILED");
	assert_int_equal(t->progress, 100);
	assert_int_equal(t->started_at, 1747645510); /* 09:05:10Z */
	assert_int_equal(t->ended_at, 1747645662);   /* 09:07:42Z */
	assert_string_equal(t->reason,
	    "failedStep=INIT: host-172-16-13-211 SUCCESS "
	    "host-172-16-47-24 SUCCESS host-172-16-19-132 SUCCESS");
	assert_string_equal(t->detail, want_detail);
	assert_true(cur.done);
	assert_int_equal(cur.scope, 1);
	task_list_clear(&l);

	/* zone-less times follow the watch's timezone */
	env->watch.timezone_offset_s = 8 * 3600;
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_int_equal(l.v[0].started_at, 1747645510 - 8 * 3600);
	assert_int_equal(l.v[0].ended_at, 1747645662 - 8 * 3600);
	env->watch.timezone_offset_s = 0;
	task_list_clear(&l);
	free(body);
}

/* The expected request of one scope. */
static void
test_assert_req(
    struct testlib_env *env, struct provider_cursor *cur, const char *want)
{
	struct testlib_req req;
	char *cause = NULL;

	memset(&req, 0xa5, sizeof(req));
	if (testlib_list_req(env->p, &env->ctx, cur, &req, &cause) != 0)
		fail_msg("list_req: %s", cause ? cause : "?");
	assert_string_equal(req.path_query, want);
	assert_string_equal(req.service, "dws");
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.headers[0], "Accept: application/json");
	assert_string_equal(req.headers[1], "X-Language: en-us");
	assert_null(req.headers[2]);
	testlib_req_clear(&req);
}

/* Two clusters x two actions: four requests, absent ones give nothing. */
static void
test_scopes(void **state)
{
	static const char *paths[] = {
		"/v1/proj/clusters/c-1/actions/SNAPSHOTTING",
		"/v1/proj/clusters/c-1/actions/RESTORING",
		"/v1/proj/clusters/c-2/actions/SNAPSHOTTING",
		"/v1/proj/clusters/c-2/actions/RESTORING",
	};
	static const long statuses[] = { 200, 404, 404, 200 };
	static const char *bodies[] = {
		"{\"id\":\"a1\",\"status\":\"RUNNING\","
		"\"action_name\":\"SNAPSHOTTING\"}",
		"{\"error_code\":\"DWS.0001\",\"error_msg\":\"no action\"}",
		"",
		"{\"id\":\"a2\",\"status\":\"WAITING\"}",
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause = NULL;
	size_t i;

	env->watch.clusters.v = test_clusters2;
	env->watch.clusters.n = 2;
	env->watch.actions.v = test_actions2;
	env->watch.actions.n = 2;
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < 4; i++) {
		assert_false(cur.done);
		assert_int_equal(cur.scope, i);
		test_assert_req(env, &cur, paths[i]);
		assert_int_equal(
		    env->p->list_parse(&env->ctx, statuses[i], bodies[i],
			strlen(bodies[i]), &l, &cur, &cause),
		    0);
		assert_null(cause);
		assert_int_equal(cur.offset, 0);
	}
	assert_true(cur.done);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "a1");
	assert_string_equal(l.v[0].cluster_id, "c-1");
	assert_string_equal(l.v[0].type, "SNAPSHOTTING");
	assert_int_equal(l.v[0].state, TASK_RUNNING);
	assert_string_equal(l.v[1].id, "a2");
	assert_string_equal(l.v[1].cluster_id, "c-2");
	/* no action_name: the requested action is the type */
	assert_string_equal(l.v[1].type, "RESTORING");
	assert_int_equal(l.v[1].state, TASK_PENDING);
	assert_string_equal(l.v[1].detail, "{\"id\":\"a2\"}");
	assert_null(l.v[1].cluster_name);
	task_list_clear(&l);

	env->watch.clusters.v = test_clusters1;
	env->watch.clusters.n = 1;
	env->watch.actions.v = test_actions1;
	env->watch.actions.n = 1;
}

/* Requests: encoding, the default actions, missing project or clusters. */
static void
test_list_req(void **state)
{
	static char *odd[] = { "c 1/x?y" };
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	test_assert_req(env, &cur,
	    "/v1/proj/clusters/c-1/actions/"
	    "SNAPSHOTTING_FAILED");

	/* project and cluster cannot break out of the path */
	env->acct.project_id = "p/q";
	env->watch.clusters.v = odd;
	test_assert_req(env, &cur,
	    "/v1/p%2Fq/clusters/c%201%2Fx%3Fy/actions/"
	    "SNAPSHOTTING_FAILED");
	env->acct.project_id = "proj";

	/* no actions configured: all eight, cluster-major */
	env->watch.clusters.v = test_clusters2;
	env->watch.clusters.n = 2;
	env->watch.actions.n = 0;
	cur.scope = 7;
	test_assert_req(env, &cur,
	    "/v1/proj/clusters/c-1/actions/"
	    "FINE_GRAINED_RESTORING_FAILED");
	cur.scope = 8;
	test_assert_req(env, &cur, "/v1/proj/clusters/c-2/actions/GROWING");
	cur.scope = 15;
	test_assert_req(env, &cur,
	    "/v1/proj/clusters/c-2/actions/"
	    "FINE_GRAINED_RESTORING_FAILED");
	cur.scope = 16;
	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cur.scope = 0;
	env->watch.actions.n = 1;
	env->watch.clusters.v = test_clusters1;
	env->watch.clusters.n = 1;

	env->acct.project_id = NULL;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_non_null(strstr(cause, "project_id"));
	free(cause);
	env->acct.project_id = "proj";

	env->watch.clusters.n = 0;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_non_null(strstr(cause, "clusters"));
	free(cause);
	env->watch.clusters.n = 1;
}

struct test_status {
	long status;
	const char *body;
	int rc;
	size_t ntasks;
	const char *cause; /* exact, when rc is -1 and not NULL */
};

/*
 * An error answer that reaches the parser is one the watch's absent_status
 * names (auth.c decides, test_auth); it is absent unless the gateway says
 * the API does not exist.
 */
static void
test_absent(void **state)
{
	static const struct test_status cases[] = {
		{ 404, "{\"error_code\":\"DWS.0001\",\"error_msg\":\"x\"}", 0,
		    0, NULL },
		{ 404, "", 0, 0, NULL },
		{ 404, "Not Found", 0, 0, NULL },
		{ 404, "{\"error\":{\"code\":\"DWS.0015\"}}", 0, 0, NULL },
		{ 404,
		    "{\"error_code\":\"APIG.0101\",\"error_msg\":\"The API "
		    "does not exist or has not been published in the "
		    "environment\",\"request_id\":\"r1\"}",
		    -1, 0,
		    "HTTP 404 APIG.0101: The API does not exist or has not "
		    "been published in the environment" },
		{ 404, "{\"error\":{\"code\":\"apig.0101\"}}", -1, 0, NULL },
		{ 400, "{\"error_code\":\"DWS.0047\",\"error_msg\":\"none\"}",
		    0, 0, NULL },
		{ 400, "{\"error_code\":\"APIG.0201\",\"error_msg\":\"bad\"}",
		    -1, 0, "HTTP 400 APIG.0201: bad" },
		/* an empty 200 (a proxy's) is not "absent": no vanishing */
		{ 200, "", -1, 0,
		    "DWS action SNAPSHOTTING_FAILED of cluster c-1: empty "
		    "response" },
		{ 200, " \n", -1, 0, NULL },
		{ 200, "null", 0, 0, NULL },
		{ 200, "{}", 0, 0, NULL },
		{ 200, "{\"id\":null,\"status\":null,\"items\":[]}", 0, 0,
		    NULL },
		{ 200, "{\"id\":\"\",\"status\":\"\"}", 0, 0, NULL },
		{ 200, "{\"id\":\"x\"}", 0, 1, NULL },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = test_parse(
		    env, cases[i].status, cases[i].body, &l, &cur, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].rc, cause ? cause : "");
		if (rc == -1) {
			assert_non_null(cause);
			if (cases[i].cause != NULL)
				assert_string_equal(cause, cases[i].cause);
			/* an error does not move the cursor */
			assert_false(cur.done);
			assert_int_equal(cur.scope, 0);
			free(cause);
		} else {
			assert_null(cause);
			assert_true(cur.done);
		}
		assert_int_equal(l.n, cases[i].ntasks);
		task_list_clear(&l);
	}
}

struct test_detail {
	const char *sub_detail; /* JSON value of the sub-item's detail */
	const char *want;       /* the detail's JSON in the task */
	int progress;
};

/* Each level of the detail is decoded where it is JSON, else kept. */
static void
test_detail_levels(void **state)
{
	static const struct test_detail cases[] = {
		/* both levels decoded */
		{ "\"{\\\"progressInfo\\\":\\\"{\\\\\\\"progress\\\\\\\":"
		  "\\\\\\\"40%\\\\\\\"}\\\"}\"",
		    "{\"progressInfo\":{\"progress\":\"40%\"}}", 40 },
		/* the inner level is not JSON: kept as text */
		{ "\"{\\\"progressInfo\\\":\\\"50% done\\\"}\"",
		    "{\"progressInfo\":\"50% done\"}", TASK_PROGRESS_NONE },
		/* the inner level is broken JSON: kept as text */
		{ "\"{\\\"progressInfo\\\":\\\"{\\\\\\\"progress\\\"}\"",
		    "{\"progressInfo\":\"{\\\"progress\"}",
		    TASK_PROGRESS_NONE },
		/* the outer level is not JSON */
		{ "\"rebuilding {index\"", "\"rebuilding {index\"",
		    TASK_PROGRESS_NONE },
		{ "\"\"", "\"\"", TASK_PROGRESS_NONE },
		{ "null", "null", TASK_PROGRESS_NONE },
		{ "42", "42", TASK_PROGRESS_NONE },
		/* a number as text stays text */
		{ "\"42\"", "\"42\"", TASK_PROGRESS_NONE },
		/* already objects: used as they are */
		{ "{\"progressInfo\":{\"progress\":\"70%\"}}",
		    "{\"progressInfo\":{\"progress\":\"70%\"}}", 70 },
		{ "{\"progressInfo\":\"{\\\"progress\\\":\\\"80%\\\"}\"}",
		    "{\"progressInfo\":{\"progress\":\"80%\"}}", 80 },
		/* decoded to an array or without progressInfo */
		{ "\"[1,2]\"", "[1,2]", TASK_PROGRESS_NONE },
		{ "\"{\\\"other\\\":1}\"", "{\"other\":1}",
		    TASK_PROGRESS_NONE },
		{ "\"{\\\"progressInfo\\\":null}\"", "{\"progressInfo\":null}",
		    TASK_PROGRESS_NONE },
		{ "\"{\\\"progressInfo\\\":\\\"[]\\\"}\"",
		    "{\"progressInfo\":[]}", TASK_PROGRESS_NONE },
		/* progress of the wrong type */
		{ "\"{\\\"progressInfo\\\":\\\"{\\\\\\\"progress\\\\\\\":"
		  "[1]}\\\"}\"",
		    "{\"progressInfo\":{\"progress\":[1]}}",
		    TASK_PROGRESS_NONE },
		{ "\"{\\\"progressInfo\\\":\\\"{\\\\\\\"progress\\\\\\\":"
		  "33.3}\\\"}\"",
		    "{\"progressInfo\":{\"progress\":33.3}}", 33 },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct buf b;
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		buf_printf(&b,
		    "{\"id\":\"x\",\"status\":\"RUNNING\",\"items\":[{"
		    "\"sub_items\":[{\"status\":\"RUNNING\",\"detail\":%s}]}]}",
		    cases[i].sub_detail);
		test_one(env, buf_str(&b), &l);
		snprintf(want, sizeof(want),
		    "{\"id\":\"x\",\"items\":[{\"sub_items\":[{"
		    "\"status\":\"RUNNING\",\"detail\":%s}]}]}",
		    cases[i].want);
		if (strcmp(l.v[0].detail, want) != 0)
			fail_msg("case %zu: detail %s, want %s", i,
			    l.v[0].detail, want);
		if (l.v[0].progress != cases[i].progress)
			fail_msg("case %zu: progress %d, want %d", i,
			    l.v[0].progress, cases[i].progress);
		assert_int_equal(l.v[0].state, TASK_RUNNING);
		task_list_clear(&l);
		buf_free(&b);
	}
}

/* A level nested too deep to decode within the depth limit stays text. */
static void
test_detail_deep(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct json *d;
	const struct json *v;
	struct buf b;
	int i, depth;

	/* progressInfo nesting of depth 58 is decoded, 59 is not */
	for (depth = 58; depth <= 59; depth++) {
		buf_init(&b, 0);
		buf_puts(&b,
		    "{\"id\":\"x\",\"status\":\"RUNNING\",\"items\":[{"
		    "\"sub_items\":[{\"detail\":{\"progressInfo\":\"");
		for (i = 0; i < depth; i++)
			buf_putc(&b, '[');
		for (i = 0; i < depth; i++)
			buf_putc(&b, ']');
		buf_puts(&b, "\"}}]}]}");
		test_one(env, buf_str(&b), &l);
		d = json_parse(l.v[0].detail, strlen(l.v[0].detail), NULL);
		assert_non_null(d);
		v = json_get(json_at(json_get(json_at(json_get(d, "items"), 0),
					 "sub_items"),
				 0),
		    "detail");
		v = json_get(v, "progressInfo");
		assert_int_equal(
		    json_type(v), depth == 58 ? JSON_ARRAY : JSON_STRING);
		json_free(d);
		task_list_clear(&l);
		buf_free(&b);
	}
}

/* A progress-info detail string for a sub-item (JSON text of a string). */
static void
test_sub(struct buf *b, const char *status, const char *info)
{
	const char *s;

	buf_printf(b,
	    "{\"status\":\"%s\",\"detail\":\"{\\\"progressInfo\\\":"
	    "\\\"",
	    status);
	/* info is JSON: escape it twice */
	for (s = info; *s != '\0'; s++) {
		if (*s == '"')
			buf_puts(b, "\\\\\\\"");
		else if (*s == '\\')
			buf_puts(b, "\\\\\\\\");
		else
			buf_putc(b, *s);
	}
	buf_puts(b, "\\\"}\"}");
}

struct test_choice {
	const char *status; /* the action's */
	const char *sub_status[3];
	const char *info[3];
	int progress;
	const char *reason;
	int64_t ended_at;
};

/* Which sub-item gives progress, reason and end time. */
static void
test_choices(void **state)
{
	static const struct test_choice cases[] = {
		/* the last RUNNING sub-item's progress wins */
		{ "RUNNING", { "SUCCESS", "RUNNING", "WAITING" },
		    { "{\"progress\":\"100%\"}", "{\"progress\":\"40.5%\"}",
			"{\"progress\":\"0%\"}" },
		    40, NULL, TASK_TIME_NONE },
		/* no RUNNING one: the last one that has a progress */
		{ "RUNNING", { "SUCCESS", "WAITING", "WAITING" },
		    { "{\"progress\":\"100%\"}", "{\"progress\":\"5%\"}",
			"{}" },
		    5, NULL, TASK_TIME_NONE },
		{ "RUNNING", { "running", "RUNNING", NULL },
		    { "{\"progress\":\"10%\"}", "{\"progress\":\"x\"}", NULL },
		    10, NULL, TASK_TIME_NONE },
		/* the failing sub-item's reason beats a later one's */
		{ "FAILED", { "SUCCESS", "FAILED", "WAITING" },
		    { "{\"errorMsg\":\"fine\"}",
			"{\"failedStep\":\"COPY\",\"errorCode\":\"DWS.5\","
			"\"errorMsg\":\" disk full\\n\"}",
			"{\"errorMsg\":\"later\"}" },
		    TASK_PROGRESS_NONE,
		    "failedStep=COPY errorCode=DWS.5: "
		    "disk full",
		    TASK_TIME_NONE },
		/* parts are left out when empty, blank or N/A */
		{ "FAILED", { "ROLLBACK_FAIL", NULL, NULL },
		    { "{\"failedStep\":\"N/A\",\"errorCode\":12,"
		      "\"errorMsg\":\"  \"}",
			NULL, NULL },
		    TASK_PROGRESS_NONE, "errorCode=12", TASK_TIME_NONE },
		{ "FAILED", { "FAILED", NULL, NULL },
		    { "{\"failedStep\":\"\",\"errorCode\":\"\","
		      "\"errorMsg\":\"only the message\"}",
			NULL, NULL },
		    TASK_PROGRESS_NONE, "only the message", TASK_TIME_NONE },
		{ "FAILED", { "FAILED", NULL, NULL },
		    { "{\"failedStep\":\"INIT\",\"errorCode\":[1],"
		      "\"errorMsg\":null,"
		      "\"actionEndTime\":\"2025-05-19 09:07:42\"}",
			NULL, NULL },
		    TASK_PROGRESS_NONE, "failedStep=INIT", 1747645662 },
		/* no failing sub-item: any reason, but not for a success */
		{ "ROLLBACK_SUCCESS", { "SUCCESS", NULL, NULL },
		    { "{\"errorMsg\":\"rolled back\"}", NULL, NULL },
		    TASK_PROGRESS_NONE, "rolled back", TASK_TIME_NONE },
		{ "SUCCESS", { "SUCCESS", NULL, NULL },
		    { "{\"errorMsg\":\"h1 SUCCESS\",\"progress\":\"100%\","
		      "\"actionEndTime\":\"2025-05-19 09:07:42\"}",
			NULL, NULL },
		    100, NULL, 1747645662 },
		{ "RUNNING", { "RUNNING", NULL, NULL },
		    { "{\"errorMsg\":\"h1 SUCCESS\","
		      "\"actionEndTime\":\"2025-05-19 09:07:42\"}",
			NULL, NULL },
		    TASK_PROGRESS_NONE, NULL, TASK_TIME_NONE },
		/* the last actionEndTime, only once the action has ended */
		{ "FAILED", { "SUCCESS", "FAILED", "WAITING" },
		    { "{\"actionEndTime\":\"2025-05-19 09:00:00\"}",
			"{\"actionEndTime\":\"2025-05-19 09:07:42\"}",
			"{\"actionEndTime\":\"garbage\"}" },
		    TASK_PROGRESS_NONE, NULL, 1747645662 },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct buf b;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		buf_printf(&b,
		    "{\"id\":\"x\",\"status\":\"%s\",\"items\":[{\"sub_items\":"
		    "[",
		    cases[i].status);
		/* the first sub-item in one item, the rest in another */
		for (j = 0; j < 3 && cases[i].sub_status[j] != NULL; j++) {
			if (j == 1)
				buf_puts(&b, "]},{\"sub_items\":[");
			else if (j > 1)
				buf_putc(&b, ',');
			test_sub(&b, cases[i].sub_status[j], cases[i].info[j]);
		}
		buf_puts(&b, "]}]}");
		test_one(env, buf_str(&b), &l);
		if (l.v[0].progress != cases[i].progress)
			fail_msg("case %zu: progress %d, want %d", i,
			    l.v[0].progress, cases[i].progress);
		if (cases[i].reason == NULL) {
			if (l.v[0].reason != NULL)
				fail_msg("case %zu: reason %s, want none", i,
				    l.v[0].reason);
		} else if (l.v[0].reason == NULL ||
		    strcmp(l.v[0].reason, cases[i].reason) != 0)
			fail_msg("case %zu: reason %s, want %s", i,
			    l.v[0].reason ? l.v[0].reason : "(none)",
			    cases[i].reason);
		if (l.v[0].ended_at != cases[i].ended_at)
			fail_msg("case %zu: ended_at %lld, want %lld", i,
			    (long long)l.v[0].ended_at,
			    (long long)cases[i].ended_at);
		task_list_clear(&l);
		buf_free(&b);
	}
}

/*
 * With no error fields in any detail, the names of the item and sub-item
 * are the reason, chosen as error fields are: a failing sub-item's first.
 */
static void
test_names_reason(void **state)
{
	static const struct {
		const char *body;
		const char *reason; /* NULL: none */
	} cases[] = {
		/* a failing sub-item whose detail has only a progress */
		{ "{\"id\":\"x\",\"status\":\"FAILED\",\"items\":[{"
		  "\"item_name\":\"Create a snapshot\",\"sub_items\":[{"
		  "\"status\":\"FAILED\",\"sub_item_name\":\"Perform a "
		  "backup\","
		  "\"detail\":\"{\\\"progressInfo\\\":"
		  "\\\"{\\\\\\\"progress\\\\\\\":\\\\\\\"30%\\\\\\\"}\\\"}\"}]}"
		  "]}",
		    "Create a snapshot: Perform a backup" },
		/* no detail at all, or one that is not JSON */
		{ "{\"id\":\"x\",\"status\":\"FAILED\",\"items\":[{"
		  "\"item_name\":\"Resize\",\"sub_items\":[{"
		  "\"status\":\"SUCCESS\",\"sub_item_name\":\"Prepare\"},{"
		  "\"status\":\"FAILED\",\"sub_item_name\":\"Copy data\","
		  "\"detail\":\"not json\"},{"
		  "\"status\":\"WAITING\",\"sub_item_name\":\"Finish\"}]}]}",
		    "Resize: Copy data" },
		/* error fields anywhere beat the names */
		{ "{\"id\":\"x\",\"status\":\"FAILED\",\"items\":[{"
		  "\"item_name\":\"Resize\",\"sub_items\":[{"
		  "\"status\":\"FAILED\",\"sub_item_name\":\"Copy data\"},{"
		  "\"status\":\"WAITING\",\"sub_item_name\":\"Finish\","
		  "\"detail\":\"{\\\"progressInfo\\\":"
		  "\\\"{\\\\\\\"errorMsg\\\\\\\":\\\\\\\"disk full\\\\\\\"}"
		  "\\\"}\"}]}]}",
		    "disk full" },
		/* no failing sub-item: the last one's, for a failed action */
		{ "{\"id\":\"x\",\"status\":\"ROLLBACK_FAIL\",\"items\":[{"
		  "\"item_name\":\"Restore\",\"sub_items\":[{"
		  "\"status\":\"SUCCESS\",\"sub_item_name\":\"Stop\"}]},{"
		  "\"item_name\":\"Rollback\",\"sub_items\":[{"
		  "\"status\":\"SUCCESS\",\"sub_item_name\":\"Undo\"}]}]}",
		    "Rollback: Undo" },
		/* parts left out when empty, blank or N/A */
		{ "{\"id\":\"x\",\"status\":\"FAILED\",\"items\":[{"
		  "\"item_name\":\"N/A\",\"sub_items\":[{"
		  "\"status\":\"FAILED\",\"sub_item_name\":\" Backup \"}]}]}",
		    "Backup" },
		{ "{\"id\":\"x\",\"status\":\"FAILED\",\"items\":[{"
		  "\"item_name\":\"Snapshot\",\"sub_items\":[{"
		  "\"status\":\"FAILED\",\"sub_item_name\":\"\"}]}]}",
		    "Snapshot" },
		{ "{\"id\":\"x\",\"status\":\"FAILED\",\"items\":[{"
		  "\"item_name\":[],\"sub_items\":[{"
		  "\"status\":\"FAILED\",\"sub_item_name\":null}]}]}",
		    NULL },
		/* running or succeeded: names are no reason */
		{ "{\"id\":\"x\",\"status\":\"RUNNING\",\"items\":[{"
		  "\"item_name\":\"Snapshot\",\"sub_items\":[{"
		  "\"status\":\"RUNNING\",\"sub_item_name\":\"Backup\"}]}]}",
		    NULL },
		{ "{\"id\":\"x\",\"status\":\"SUCCESS\",\"items\":[{"
		  "\"item_name\":\"Snapshot\",\"sub_items\":[{"
		  "\"status\":\"SUCCESS\",\"sub_item_name\":\"Backup\"}]}]}",
		    NULL },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_one(env, cases[i].body, &l);
		if (cases[i].reason == NULL) {
			if (l.v[0].reason != NULL)
				fail_msg("case %zu: reason %s, want none", i,
				    l.v[0].reason);
		} else if (l.v[0].reason == NULL ||
		    strcmp(l.v[0].reason, cases[i].reason) != 0)
			fail_msg("case %zu: reason %s, want %s", i,
			    l.v[0].reason ? l.v[0].reason : "(none)",
			    cases[i].reason);
		task_list_clear(&l);
	}
}

/* Every state word of the API, and one it does not have. */
static void
test_states(void **state)
{
	static const struct {
		const char *word;
		enum task_state state;
	} cases[] = {
		{ "WAITING", TASK_PENDING },
		{ "RUNNING", TASK_RUNNING },
		{ "SUCCESS", TASK_SUCCEEDED },
		{ "FAILED", TASK_FAILED },
		{ "ROLLBACK_RUNNING", TASK_ROLLING_BACK },
		{ "ROLLBACK_SUCCESS", TASK_ROLLED_BACK },
		{ "ROLLBACK_FAIL", TASK_FAILED },
		{ "failed", TASK_FAILED },
		{ "PAUSED", TASK_UNKNOWN },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	char body[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		    "{\"id\":\"x\",\"status\":\"%s\","
		    "\"extra\":[true],\"cluster_name\":\"\"}",
		    cases[i].word);
		test_one(env, body, &l);
		assert_int_equal(l.v[0].state, cases[i].state);
		assert_string_equal(l.v[0].raw_status, cases[i].word);
		assert_string_equal(
		    l.v[0].detail, "{\"id\":\"x\",\"extra\":[true]}");
		assert_string_equal(l.v[0].cluster_name, "");
		task_list_clear(&l);
	}
}

struct test_hostile {
	const char *body;
	int rc;
	size_t ntasks;
};

/* Bodies meant to hurt: an error, absent or a safe record; no crash. */
static void
test_hostile(void **state)
{
	static const struct test_hostile cases[] = {
		{ "[]", -1, 0 },
		{ "42", -1, 0 },
		{ "\"id\"", -1, 0 },
		{ "not json", -1, 0 },
		{ "{\"id\":\"a\"", -1, 0 },
		{ "{\"id\":\"a\"} x", -1, 0 },
		{ "{\"id\":\"\xff\"}", -1, 0 },
		{ "{\"status\":\"RUNNING\"}", -1, 0 },
		{ "{\"id\":5,\"status\":\"RUNNING\"}", -1, 0 },
		{ "{\"id\":[\"a\"],\"status\":\"RUNNING\"}", -1, 0 },
		{ "{\"id\":\"\",\"status\":\"FAILED\"}", -1, 0 },
		{ "{\"id\":5}", -1, 0 },
		{ "{\"id\":\"a\",\"status\":5,\"action_name\":[],"
		  "\"cluster_name\":{},\"submit_time\":12,\"items\":\"x\"}",
		    0, 1 },
		{ "{\"id\":\"a\",\"items\":[1,null,\"s\",[],{},"
		  "{\"sub_items\":5},{\"sub_items\":null},"
		  "{\"sub_items\":[1,null,[],{},{\"detail\":5},"
		  "{\"detail\":{}},{\"detail\":[]},{\"status\":7,"
		  "\"detail\":\"{\\\"progressInfo\\\":7}\"},"
		  "{\"status\":null,\"detail\":\"{\\\"progressInfo\\\":"
		  "\\\"{\\\\\\\"progress\\\\\\\":null,"
		  "\\\\\\\"errorMsg\\\\\\\":5,"
		  "\\\\\\\"failedStep\\\\\\\":{},"
		  "\\\\\\\"actionEndTime\\\\\\\":[]}\\\"}\"}]}]}",
		    0, 1 },
		{ "{\"id\":\"a\",\"submit_time\":\"9999-99-99 99:99:99.0\"}", 0,
		    1 },
		{ "{\"id\":\"a\\u0000b\",\"status\":\"RUN\\u0000\"}", 0, 1 },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = test_parse(env, 200, cases[i].body, &l, &cur, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].rc, cause ? cause : "");
		if (rc == -1) {
			assert_non_null(cause);
			free(cause);
		} else
			assert_null(cause);
		if (l.n != cases[i].ntasks)
			fail_msg("case %zu: %zu tasks, want %zu", i, l.n,
			    cases[i].ntasks);
		if (l.n == 1) {
			assert_non_null(l.v[0].id);
			assert_non_null(l.v[0].type);
			assert_non_null(l.v[0].cluster_id);
			assert_non_null(l.v[0].raw_status);
			assert_true(l.v[0].started_at == TASK_TIME_NONE);
		}
		task_list_clear(&l);
	}
}

/* Wrong types leave safe defaults; the detail keeps what was sent. */
static void
test_wrong_types(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };

	test_one(env,
	    "{\"id\":\"a\",\"status\":5,\"action_name\":[],"
	    "\"cluster_name\":{},\"submit_time\":12,\"items\":\"x\"}",
	    &l);
	assert_string_equal(l.v[0].id, "a");
	assert_string_equal(l.v[0].type, "SNAPSHOTTING_FAILED");
	assert_string_equal(l.v[0].cluster_id, "c-1");
	assert_null(l.v[0].cluster_name);
	assert_string_equal(l.v[0].raw_status, "");
	assert_int_equal(l.v[0].state, TASK_UNKNOWN);
	assert_int_equal(l.v[0].progress, TASK_PROGRESS_NONE);
	assert_null(l.v[0].reason);
	assert_true(l.v[0].started_at == TASK_TIME_NONE);
	assert_true(l.v[0].ended_at == TASK_TIME_NONE);
	/* no submit time: keyed by the id, as before */
	assert_string_equal(l.v[0].detail, "{\"id\":\"a\",\"items\":\"x\"}");
	task_list_clear(&l);
}

/* Nesting beyond the JSON depth limit is an error, not a crash. */
static void
test_deep(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct buf b;
	char *cause;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	assert_int_equal(
	    test_parse(env, 200, buf_str(&b), &l, &cur, &cause), -1);
	free(cause);
	buf_free(&b);

	/* deep JSON inside the detail string: kept as text */
	buf_init(&b, 0);
	buf_puts(&b, "{\"id\":\"x\",\"items\":[{\"sub_items\":[{\"detail\":\"");
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	buf_puts(&b, "\"}]}]}");
	assert_int_equal(
	    test_parse(env, 200, buf_str(&b), &l, &cur, &cause), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(strlen(l.v[0].detail),
	    strlen("{\"id\":\"x\",\"items\":[{\"sub_items\":[{\"detail\":\"") +
		100000 + strlen("\"}]}]}"));
	task_list_clear(&l);
	buf_free(&b);
}

/* Parse body at scope 0 and return its task's key (caller frees). */
static char *
test_key(struct testlib_env *env, const char *body)
{
	struct task_list l = { NULL, 0, 0 };
	char *key;

	test_one(env, body, &l);
	key = strdup(l.v[0].id);
	task_list_clear(&l);
	return key;
}

/*
 * The id may be generated anew for every answer: an action is keyed by
 * its base action and submit time, the same whatever its id and whether
 * DWS shows it as SNAPSHOTTING or SNAPSHOTTING_FAILED; a later run of the
 * same action has another key; without a submit time, the id is the key.
 */
static void
test_identity(void **state)
{
	struct testlib_env *env = *state;
	char *k1, *k2, *k3, *k4, *k5;

	k1 = test_key(env,
	    "{\"id\":\"11111111-aaaa-4aaa-8aaa-111111111111\","
	    "\"action_name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\","
	    "\"submit_time\":\"2025-05-19 09:05:10.0\"}");
	k2 = test_key(env,
	    "{\"id\":\"22222222-bbbb-4bbb-8bbb-222222222222\","
	    "\"action_name\":\"SNAPSHOTTING\",\"status\":\"FAILED\","
	    "\"submit_time\":\"2025-05-19 09:05:10.0\"}");
	k3 = test_key(env,
	    "{\"id\":\"33333333-cccc-4ccc-8ccc-333333333333\","
	    "\"action_name\":\"SNAPSHOTTING_FAILED\",\"status\":\"FAILED\","
	    "\"submit_time\":\"2025-05-19 09:05:10.0\"}");
	k4 = test_key(env,
	    "{\"id\":\"44444444-dddd-4ddd-8ddd-444444444444\","
	    "\"action_name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\","
	    "\"submit_time\":\"2025-05-19 10:00:00.0\"}");
	k5 = test_key(env,
	    "{\"id\":\"55555555-eeee-4eee-8eee-555555555555\","
	    "\"action_name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\"}");
	assert_string_equal(k1, "SNAPSHOTTING@2025-05-19T09:05:10Z");
	assert_string_equal(k2, k1);
	assert_string_equal(k3, k1);
	assert_string_equal(k4, "SNAPSHOTTING@2025-05-19T10:00:00Z");
	assert_string_equal(k5, "55555555-eeee-4eee-8eee-555555555555");
	free(k1);
	free(k2);
	free(k3);
	free(k4);
	free(k5);
}

/*
 * Each failure action's base is the action it is the failure of (a resize
 * is GROWING: there is no RESIZE action); the others are their own; DWS
 * shows one action per name, so a newer run replaces the older.  Other
 * providers have no base types.
 */
static void
test_base_type(void **state)
{
	const struct provider *p = provider_find(CONFIG_API_DWS_ACTIONS);
	const struct provider *dds = provider_find(CONFIG_API_DDS_JOBS);

	(void)state;
	assert_string_equal(
	    provider_base_type(p, "SNAPSHOTTING_FAILED"), "SNAPSHOTTING");
	assert_string_equal(
	    provider_base_type(p, "RESTORING_FAILED"), "RESTORING");
	assert_string_equal(
	    provider_base_type(p, "FINE_GRAINED_RESTORING_FAILED"),
	    "FINE_GRAINED_RESTORING");
	assert_string_equal(provider_base_type(p, "RESIZE_FAILURE"), "GROWING");
	assert_string_equal(
	    provider_base_type(p, "SNAPSHOTTING"), "SNAPSHOTTING");
	assert_string_equal(provider_base_type(p, "GROWING"), "GROWING");
	assert_null(provider_base_type(p, NULL));
	assert_true(p->replaces);
	assert_string_equal(
	    provider_base_type(dds, "Backup_FAILED"), "Backup_FAILED");
	assert_false(dds->replaces);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_list_req),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_detail_levels),
		cmocka_unit_test(test_detail_deep),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_names_reason),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_base_type),
	};

	return cmocka_run_group_tests(tests, test_setup, testlib_teardown);
}
