/*
 * Unit tests for the ehpc.operations provider: the vendor's documented
 * example body, the state map, rows of one operation collapsed in either
 * order (one row per state or one row updated), a missing Logs list, wrong
 * types refused, paging over clusters, the exact POST request signed ACS3
 * and the LogRequestId lookup; and the E-HPC 2.0 note of ehpc.tasks.
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
#include "provider.h"
#include "provider_impl.h"
#include "task.h"
#include "testlib.h"
#include "util.h"
#include "xmalloc.h"

static char *test_clusters2[] = { "ehpc-hz-1", "ehpc-hz-2" };

/* A hand-filled Alibaba account and a watch of two clusters. */
static int
test_setup(void **state)
{
	struct testlib_env *env =
	    testlib_env_new(CONFIG_API_EHPC_OPERATIONS, "ops", NULL);

	env->acct.name = "ali";
	env->acct.cloud = CONFIG_CLOUD_ALIBABA;
	env->acct.region = "cn-hangzhou";
	env->watch.clusters.v = test_clusters2;
	env->watch.clusters.n = 2;
	env->watch.lookback_ms = 3600 * 1000;
	env->watch.timezone_offset_s = 0;
	*state = env;
	return 0;
}

/* Parse body as a page at cur (which moves on); list_parse's result. */
static int
test_page(struct testlib_env *env, const char *body, struct task_list *l,
    struct provider_cursor *cur, char **cause)
{
	return env->p->list_parse(
	    &env->ctx, 200, body, strlen(body), l, cur, cause);
}

/* The vendor's documented example, built from the SDK model's values. */
static void
test_fixture(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct task *t;
	char *body, *cause = NULL;
	size_t len;
	int64_t want;

	body = testlib_read_file(
	    "tests/fixtures/ehpc-list-common-logs.json", &len);
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_null(cause);
	assert_int_equal(l.n, 1);
	t = &l.v[0];
	assert_string_equal(t->id, "04F0F334-1335-436C-A1D7-6C044FE7****");
	assert_string_equal(t->type, "CreaterCluster");
	/* the cluster asked for */
	assert_string_equal(t->cluster_id, "ehpc-hz-1");
	assert_string_equal(t->raw_status, "Finished");
	assert_int_equal(t->state, TASK_SUCCEEDED);
	assert_int_equal(t->progress, TASK_PROGRESS_NONE);
	assert_int_equal(util_parse_time("2024-08-22T14:21:54Z", 0, &want), 0);
	assert_true(t->started_at == want);
	assert_true(t->ended_at == want);
	assert_null(t->reason);
	assert_string_equal(t->detail,
	    "{\"LogType\":\"Operation\",\"Message\":\"ok\","
	    "\"OperatorUid\":\"137***\",\"Target\":\"i-abc***\"}");
	/* TotalCount 15, one row read: page 2 of the same cluster */
	assert_false(cur.done);
	assert_int_equal(cur.scope, 0);
	assert_int_equal(cur.offset, 1);
	assert_int_equal(cur.total, 15);
	task_list_clear(&l);

	/* Time has no zone: it is read in the watch's timezone. */
	env->watch.timezone_offset_s = 8 * 3600;
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_true(l.v[0].started_at == want - 8 * 3600);
	env->watch.timezone_offset_s = 0;
	task_list_clear(&l);
	free(body);
}

/* One row in a page of its own, read with a fresh cursor. */
static void
test_one(struct testlib_env *env, const char *row, struct task_list *l)
{
	struct provider_cursor cur;
	char *body, *cause = NULL;

	body = xasprintf("{\"TotalCount\":1,\"Logs\":[%s]}", row);
	memset(&cur, 0, sizeof(cur));
	if (test_page(env, body, l, &cur, &cause) != 0)
		fail_msg("parse failed: %s (%s)", cause ? cause : "?", body);
	assert_int_equal(l->n, 1);
	free(body);
}

/* InProgress, Finished and Failed map; another word is UNKNOWN, kept. */
static void
test_states(void **state)
{
	static const struct {
		const char *status;
		enum task_state want;
		const char *reason;
	} cases[] = {
		{ "InProgress", TASK_RUNNING, NULL },
		{ "Finished", TASK_SUCCEEDED, NULL },
		{ "Failed", TASK_FAILED, "node i-1 did not start" },
		{ "failed", TASK_FAILED, "node i-1 did not start" },
		{ "Cancelled", TASK_UNKNOWN, NULL },
		{ "", TASK_UNKNOWN, NULL },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	char *row;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		row = xasprintf("{\"RequestId\":\"r\",\"Action\":\"AddNodes\","
				"\"Status\":\"%s\",\"Message\":\"node i-1 did "
				"not start\",\"Time\":\"2024-08-22 14:21:54\"}",
		    cases[i].status);
		test_one(env, row, &l);
		assert_int_equal(l.v[0].state, cases[i].want);
		assert_string_equal(l.v[0].raw_status, cases[i].status);
		if (cases[i].reason == NULL)
			assert_null(l.v[0].reason);
		else
			assert_string_equal(l.v[0].reason, cases[i].reason);
		task_list_clear(&l);
		free(row);
	}
	/* No Status at all: UNKNOWN with an empty word */
	test_one(env, "{\"RequestId\":\"r\"}", &l);
	assert_int_equal(l.v[0].state, TASK_UNKNOWN);
	assert_string_equal(l.v[0].raw_status, "");
	assert_string_equal(l.v[0].type, "");
	task_list_clear(&l);
}

#define TEST_ROW(id, st, tm)                                                 \
	"{\"RequestId\":\"" id "\",\"Action\":\"AddNodes\",\"Status\":\"" st \
	"\",\"Message\":\"m-" st "\",\"Time\":\"2024-08-22 " tm "\"}"

/* Two rows of one operation in one page, both orders: the later wins. */
static void
test_collapse(void **state)
{
	static const struct {
		const char *body;
		const char *want_status;
		const char *want_start; /* HH:MM:SS */
	} cases[] = {
		/* one row per state, newest first and oldest first */
		{ "{\"TotalCount\":2,\"Logs\":[" TEST_ROW(
		      "r1", "Failed", "10:05:00") "," TEST_ROW("r1",
		      "InProgress", "10:00:00") "]}",
		    "Failed", "10:00:00" },
		{ "{\"TotalCount\":2,\"Logs\":[" TEST_ROW("r1", "InProgress",
		      "10:00:00") "," TEST_ROW("r1", "Failed", "10:05:00") "]}",
		    "Failed", "10:00:00" },
		/* the same Time: a terminal status wins, either order */
		{ "{\"TotalCount\":2,\"Logs\":[" TEST_ROW(
		      "r1", "Finished", "10:00:00") "," TEST_ROW("r1",
		      "InProgress", "10:00:00") "]}",
		    "Finished", "10:00:00" },
		{ "{\"TotalCount\":2,\"Logs\":[" TEST_ROW(
		      "r1", "InProgress", "10:00:00") "," TEST_ROW("r1",
		      "Finished", "10:00:00") "]}",
		    "Finished", "10:00:00" },
		/* a later InProgress row after a stale one */
		{ "{\"TotalCount\":2,\"Logs\":[" TEST_ROW(
		      "r1", "InProgress", "10:00:00") "," TEST_ROW("r1",
		      "InProgress", "10:01:00") "]}",
		    "InProgress", "10:00:00" },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause = NULL, *iso;
	int64_t want;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&cur, 0, sizeof(cur));
		if (test_page(env, cases[i].body, &l, &cur, &cause) != 0)
			fail_msg("case %zu: %s", i, cause ? cause : "?");
		assert_int_equal(l.n, 1);
		assert_string_equal(l.v[0].id, "r1");
		assert_string_equal(l.v[0].raw_status, cases[i].want_status);
		iso = xasprintf("2024-08-22T%sZ", cases[i].want_start);
		assert_int_equal(util_parse_time(iso, 0, &want), 0);
		assert_true(l.v[0].started_at == want);
		free(iso);
		if (strcmp(cases[i].want_status, "Failed") == 0) {
			assert_string_equal(l.v[0].reason, "m-Failed");
			assert_int_equal(
			    util_parse_time("2024-08-22T10:05:00Z", 0, &want),
			    0);
			assert_true(l.v[0].ended_at == want);
		}
		/* the cluster's rows are read: on to the next cluster */
		assert_int_equal(cur.scope, 1);
		task_list_clear(&l);
	}
}

/*
 * Rows of one operation on two pages of a cluster collapse; the same
 * RequestId in another cluster is another task; other ids stay apart.
 */
static void
test_collapse_pages(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    test_page(env,
		"{\"TotalCount\":3,\"Logs\":[" TEST_ROW("r1", "InProgress",
		    "10:00:00") "," TEST_ROW("r2", "Finished", "09:00:00") "]}",
		&l, &cur, &cause),
	    0);
	assert_int_equal(l.n, 2);
	assert_int_equal(cur.scope, 0);
	/* what the watch gives the records of a page it read */
	l.v[0].scope = xstrdup("ehpc-hz-1");
	l.v[0].baseline = 1;
	assert_int_equal(test_page(env,
			     "{\"TotalCount\":3,\"Logs\":[" TEST_ROW(
				 "r1", "Failed", "10:05:00") "]}",
			     &l, &cur, &cause),
	    0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "r1");
	assert_int_equal(l.v[0].state, TASK_FAILED);
	assert_string_equal(l.v[0].scope, "ehpc-hz-1");
	assert_int_equal(l.v[0].baseline, 1);
	assert_string_equal(l.v[1].id, "r2");
	assert_int_equal(cur.scope, 1);
	/* cluster 2 has a row of the same RequestId: a task of its own */
	assert_int_equal(test_page(env,
			     "{\"TotalCount\":1,\"Logs\":[" TEST_ROW(
				 "r1", "InProgress", "11:00:00") "]}",
			     &l, &cur, &cause),
	    0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[2].cluster_id, "ehpc-hz-2");
	assert_int_equal(l.v[2].state, TASK_RUNNING);
	assert_int_equal(l.v[0].state, TASK_FAILED);
	assert_true(cur.done);
	task_list_clear(&l);
}

/* A row without RequestId keys on Action@Time@Target; none: skipped. */
static void
test_no_request_id(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    test_page(env,
		"{\"TotalCount\":4,\"Logs\":[{\"Action\":\"StopNodes\","
		"\"Time\":\"2024-08-22 10:00:00\",\"Target\":\"i-1\","
		"\"Status\":\"InProgress\"},{\"Action\":\"StopNodes\","
		"\"Time\":\"2024-08-22 10:00:00\",\"Target\":\"i-1\","
		"\"Status\":\"Finished\"},{\"Status\":\"Failed\"},"
		"{\"RequestId\":7,\"Status\":\"Failed\"}]}",
		&l, &cur, &cause),
	    0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "StopNodes@2024-08-22 10:00:00@i-1");
	assert_int_equal(l.v[0].state, TASK_SUCCEEDED);
	task_list_clear(&l);
}

/* No Logs with TotalCount 0 or none is an empty page; else refused. */
static void
test_missing_logs(void **state)
{
	static const char *const empty[] = {
		"{\"TotalCount\":0}",
		"{}",
		"{\"TotalCount\":0,\"Logs\":null}",
		"{\"Logs\":null}",
		"{\"TotalCount\":0,\"Logs\":[]}",
		"{\"RequestId\":\"x\",\"PageNumber\":1,\"PageSize\":100,"
		"\"TotalCount\":\"0\"}",
	};
	static const char *const bad[] = {
		"{\"TotalCount\":3}",
		"{\"TotalCount\":3,\"Logs\":null}",
		"{\"TotalCount\":1,\"Logs\":{}}",
		"{\"TotalCount\":0,\"Logs\":{\"Log\":[]}}",
		"{\"TotalCount\":1,\"Logs\":\"[]\"}",
		"{\"TotalCount\":1,\"Logs\":7}",
		"{\"TotalCount\":\"many\",\"Logs\":[]}",
		"{\"TotalCount\":-1,\"Logs\":[]}",
		"[]",
		"\"Logs\"",
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		memset(&cur, 0, sizeof(cur));
		cause = NULL;
		if (test_page(env, empty[i], &l, &cur, &cause) != 0)
			fail_msg("%s: %s", empty[i], cause ? cause : "?");
		assert_int_equal(l.n, 0);
		assert_int_equal(cur.scope, 1);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&cur, 0, sizeof(cur));
		cause = NULL;
		if (test_page(env, bad[i], &l, &cur, &cause) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
		free(cause);
		assert_int_equal(l.n, 0);
	}
	/* an error answer is not a page */
	cause = NULL;
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 404, "{\"Code\":\"ClusterNotFound\"}",
		28, &l, &cur, &cause),
	    -1);
	free(cause);
}

/* Paging: 100 rows a page by PageNumber, then the next cluster. */
static void
test_paging(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct testlib_req req;
	struct buf b;
	char *cause = NULL;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "{\"TotalCount\":150,\"Logs\":[");
	for (i = 0; i < 100; i++)
		buf_printf(&b,
		    "%s{\"RequestId\":\"r%zu\",\"Status\":\"Finished\"}",
		    i == 0 ? "" : ",", i);
	buf_puts(&b, "]}");
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(test_page(env, buf_str(&b), &l, &cur, &cause), 0);
	buf_free(&b);
	assert_int_equal(l.n, 100);
	assert_int_equal(cur.offset, 1);
	assert_int_equal(cur.scope, 0);
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), 0);
	assert_non_null(strstr(req.path_query, "&PageNumber=2&PageSize=100&"));
	testlib_req_clear(&req);
	/* a short page without a count ends the cluster */
	assert_int_equal(test_page(env, "{\"Logs\":[{\"RequestId\":\"z\"}]}",
			     &l, &cur, &cause),
	    0);
	assert_int_equal(cur.scope, 1);
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), 0);
	assert_non_null(strstr(req.path_query, "ClusterId=ehpc-hz-2&"));
	assert_non_null(strstr(req.path_query, "&PageNumber=1&"));
	testlib_req_clear(&req);
	task_list_clear(&l);
	/* past the last cluster */
	cur.scope = 2;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	free(cause);
}

/* The listing: POST, ACS3 whatever the account, every parameter in the
 * query, the window now - lookback .. now. */
static void
test_list_req(void **state)
{
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	env->acct.auth_method = CONFIG_AUTH_V2;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), 0);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.service, "ehpc");
	assert_string_equal(req.path_query,
	    "/?Action=ListCommonLogs&Version=2024-07-30&RegionId=cn-hangzhou&"
	    "ClusterId=ehpc-hz-1&From=1747641600&To=1747645200&"
	    "PageNumber=1&PageSize=100&IsReverse=true");
	assert_string_equal(req.headers[0], "Accept: application/json");
	assert_null(req.headers[1]);
	assert_int_equal(req.sreq->acs3, 1);
	assert_null(req.sreq->body);
	assert_null(req.sreq->note);
	testlib_req_clear(&req);
	env->acct.auth_method = CONFIG_AUTH_NONE;

	env->acct.region = NULL;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_string_equal(
	    cause, "ehpc.operations: the account has no region");
	free(cause);
	env->acct.region = "cn-hangzhou";
}

/* The lookup asks for the RequestId from an hour before its start. */
static void
test_lookup_req(void **state)
{
	struct testlib_env *env = *state;
	struct testlib_req req;
	struct task t;
	char *cause = NULL;

	task_init(&t);
	t.id = "04F0F334-1335-436C-A1D7-6C044FE7****";
	t.cluster_id = "ehpc-hz-9T3xPNezoS";
	t.started_at = 1747640000;
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), 0);
	assert_string_equal(req.method, "POST");
	assert_int_equal(req.sreq->acs3, 1);
	assert_string_equal(req.path_query,
	    "/?Action=ListCommonLogs&Version=2024-07-30&RegionId=cn-hangzhou&"
	    "ClusterId=ehpc-hz-9T3xPNezoS&From=1747636400&To=1747645200&"
	    "LogRequestId=04F0F334-1335-436C-A1D7-6C044FE7%2A%2A%2A%2A&"
	    "PageSize=100");
	testlib_req_clear(&req);
	/* no start: the lookback */
	t.started_at = TASK_TIME_NONE;
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), 0);
	assert_non_null(strstr(req.path_query, "&From=1747641600&"));
	testlib_req_clear(&req);
	/* nothing to ask for */
	t.id = "StopNodes@2024-08-22 10:00:00@i-1";
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), -1);
	free(cause);
	t.id = "r";
	t.cluster_id = "";
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), -1);
	free(cause);
}

/* Lookup answers: gone, found (rows collapsed), or inconclusive. */
static void
test_lookup_parse(void **state)
{
	struct testlib_env *env = *state;
	struct task t;
	char *cause = NULL;
	const char *body;
	int found;

	body = "{\"TotalCount\":0,\"Logs\":[]}";
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	assert_int_equal(found, 0);
	body = "{\"TotalCount\":0}";
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	assert_int_equal(found, 0);

	body = "{\"TotalCount\":2,\"Logs\":[" TEST_ROW("r1", "Failed",
	    "10:05:00") "," TEST_ROW("r1", "InProgress", "10:00:00") "]}";
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	assert_int_equal(found, 1);
	assert_string_equal(t.id, "r1");
	assert_null(t.cluster_id); /* the task's own */
	assert_int_equal(t.state, TASK_FAILED);
	assert_string_equal(t.reason, "m-Failed");
	task_clear(&t);

	body = "{\"TotalCount\":2,\"Logs\":[" TEST_ROW("r1", "Failed",
	    "10:05:00") "," TEST_ROW("r2", "InProgress", "10:00:00") "]}";
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    -1);
	assert_int_equal(found, 0);
	free(cause);
	body = "{\"Code\":\"ClusterNotFound\",\"Message\":\"no\"}";
	assert_int_equal(env->p->lookup_parse(&env->ctx, 404, body,
			     strlen(body), &found, &t, &cause),
	    -1);
	free(cause);
	body = "{\"TotalCount\":1,\"Logs\":{}}";
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    -1);
	free(cause);
}

/*
 * ehpc.tasks notes, for the error message of a client error, that the
 * cluster may be an E-HPC 2.0 one (ListTasks is E-HPC 1.0's); signed by
 * the account's method.
 */
static void
test_tasks_note(void **state)
{
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	assert_int_equal(testlib_list_req(&provider_ehpc_tasks, &env->ctx, &cur,
			     &req, &cause),
	    0);
	assert_string_equal(req.sreq->note,
	    "cluster ehpc-hz-1 may be an E-HPC 2.0 cluster, which ListTasks "
	    "(E-HPC 1.0) cannot watch: use api: ehpc.operations");
	assert_int_equal(req.sreq->acs3, 0);
	assert_string_equal(req.method, "GET");
	testlib_req_clear(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_collapse),
		cmocka_unit_test(test_collapse_pages),
		cmocka_unit_test(test_no_request_id),
		cmocka_unit_test(test_missing_logs),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_list_req),
		cmocka_unit_test(test_lookup_req),
		cmocka_unit_test(test_lookup_parse),
		cmocka_unit_test(test_tasks_note),
	};

	return cmocka_run_group_tests(tests, test_setup, testlib_teardown);
}
