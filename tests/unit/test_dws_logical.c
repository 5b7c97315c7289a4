/*
 * Unit tests for the dws.logical_tasks provider: the vendor's example body,
 * the derived ids, result words, paging by page index across clusters,
 * hostile bodies and the exact requests.
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

#define TEST_NOW_MS TESTLIB_NOW_MS

static char *test_clusters1[] = { "c-1" };
static char *test_clusters2[] = { "c-1", "c-2" };

/* A hand-filled account and watch with one cluster. */
static int
test_setup(void **state)
{
	struct testlib_env *env =
	    testlib_env_new(CONFIG_API_DWS_LOGICAL, "lc", "proj");

	env->watch.clusters.v = test_clusters1;
	env->watch.clusters.n = 1;
	*state = env;
	return 0;
}

/* The vendor's example: two finished tasks with derived ids. */
static void
test_fixture(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct task *t;
	char *body, *cause = NULL;
	size_t len;

	body = testlib_read_file(
	    "../shared/fixtures/dws-logical-tasks.json", &len);
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_null(cause);
	assert_int_equal(l.n, 2);

	t = &l.v[0];
	/* sha256("elastic_group\0Grow\02023-06-05 01:58:43\0") */
	assert_string_equal(t->id, "lc-dab275a080b48ca3");
	assert_string_equal(t->type, "Grow");
	assert_string_equal(t->cluster_id, "c-1");
	assert_string_equal(t->cluster_name, "elastic_group");
	assert_int_equal(t->state, TASK_SUCCEEDED);
	assert_string_equal(t->raw_status, "success");
	assert_int_equal(t->progress, TASK_PROGRESS_NONE);
	assert_int_equal(t->started_at, 1685930323);
	assert_int_equal(t->ended_at, 1685931110);
	assert_string_equal(t->reason, "Expand from outside success");
	assert_null(t->detail);

	t = &l.v[1];
	assert_string_equal(t->id, "lc-705654ebcda8e347");
	assert_string_equal(t->type, "Create");
	assert_string_equal(t->cluster_name, "test_logical");
	assert_int_equal(t->state, TASK_FAILED);
	assert_string_equal(t->raw_status, "failed");
	assert_int_equal(t->started_at, 1687336558);
	assert_int_equal(t->ended_at, 1687336574);
	/* the example's "\\n" is a backslash and an n, kept as sent */
	assert_string_equal(t->reason,
	    "list index out of range\\nChecking whether the reentry "
	    "command is consistent with the previous command.");
	assert_null(t->detail);

	assert_true(cur.done);
	assert_int_equal(cur.scope, 1);
	task_list_clear(&l);
	free(body);
}

/* The id of one task object body. */
static char *
test_id_of(struct testlib_env *env, const char *task)
{
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char body[512], *cause, *id;

	snprintf(body, sizeof(body),
	    "{\"count\":1,\"logical_cluster_tasks\":[%s]}", task);
	assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
	assert_int_equal(l.n, 1);
	id = strdup(l.v[0].id);
	task_list_clear(&l);
	return id;
}

/* Same task, same id; any of the three parts changes it; others do not. */
static void
test_ids(void **state)
{
	static const char *same[] = {
		"{\"type\":\"Grow\",\"logical_cluster_name\":\"elastic_group\","
		"\"start_time\":\"2023-06-05 01:58:43\"}",
		/* result, end time and log do not count */
		"{\"type\":\"Grow\",\"logical_cluster_name\":\"elastic_group\","
		"\"start_time\":\"2023-06-05 01:58:43\",\"result\":\"failed\","
		"\"end_time\":\"2023-06-05 02:00:00\",\"log\":\"x\"}",
		/* nor the order of members */
		"{\"start_time\":\"2023-06-05 01:58:43\",\"type\":\"Grow\","
		"\"logical_cluster_name\":\"elastic_group\"}",
	};
	static const char *other[] = {
		"{\"type\":\"Grow\",\"logical_cluster_name\":\"elastic_group\","
		"\"start_time\":\"2023-06-05 01:58:44\"}",
		"{\"type\":\"Shrink\",\"logical_cluster_name\":\"elastic_"
		"group\","
		"\"start_time\":\"2023-06-05 01:58:43\"}",
		"{\"type\":\"Grow\",\"logical_cluster_name\":\"elastic_grou\","
		"\"start_time\":\"2023-06-05 01:58:43\"}",
		/* the separator keeps the parts apart */
		"{\"type\":\"pGrow\",\"logical_cluster_name\":\"elastic_grou\","
		"\"start_time\":\"2023-06-05 01:58:43\"}",
		"{\"type\":\"Grow\",\"logical_cluster_name\":\"elastic_"
		"group\"}",
		"{}",
	};
	struct testlib_env *env = *state;
	char *id0, *id;
	size_t i;

	id0 = test_id_of(env, same[0]);
	assert_string_equal(id0, "lc-dab275a080b48ca3");
	for (i = 1; i < sizeof(same) / sizeof(same[0]); i++) {
		id = test_id_of(env, same[i]);
		assert_string_equal(id, id0);
		free(id);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		id = test_id_of(env, other[i]);
		if (strcmp(id, id0) == 0)
			fail_msg("case %zu: same id %s", i, id);
		assert_int_equal(strlen(id), 19);
		assert_memory_equal(id, "lc-", 3);
		free(id);
	}
	/*
	 * Missing or null parts count as empty: stable too (other types
	 * make the page unusable, see test_hostile).
	 */
	id = test_id_of(env, "{}");
	free(id0);
	id0 = test_id_of(env, "{\"type\":null,\"start_time\":null}");
	assert_string_equal(id, id0);
	free(id);
	free(id0);
}

/* Result words: success, failed, none yet (running), other words. */
static void
test_results(void **state)
{
	static const struct {
		const char *member; /* the result member, or "" for none */
		enum task_state state;
		const char *raw;
	} cases[] = {
		{ ",\"result\":\"success\"", TASK_SUCCEEDED, "success" },
		{ ",\"result\":\"failed\"", TASK_FAILED, "failed" },
		{ ",\"result\":\"SUCCESS\"", TASK_SUCCEEDED, "SUCCESS" },
		{ ",\"result\":\"\"", TASK_RUNNING, "" },
		{ ",\"result\":null", TASK_RUNNING, "" },
		{ "", TASK_RUNNING, "" },
		{ ",\"result\":5", TASK_RUNNING, "" },
		{ ",\"result\":\"aborted\"", TASK_UNKNOWN, "aborted" },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char body[256], *cause;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		    "{\"count\":1,\"logical_cluster_tasks\":[{\"type\":"
		    "\"Grow\","
		    "\"start_time\":\"2023-06-05 01:58:43\",\"end_time\":\"\","
		    "\"log\":\"line 1\\nline 2\"%s}]}",
		    cases[i].member);
		assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
		assert_int_equal(l.n, 1);
		if (l.v[0].state != cases[i].state)
			fail_msg("case %zu: state %s", i,
			    task_state_name(l.v[0].state));
		assert_string_equal(l.v[0].raw_status, cases[i].raw);
		/* a real newline in log is kept */
		assert_string_equal(l.v[0].reason, "line 1\nline 2");
		assert_true(l.v[0].ended_at == TASK_TIME_NONE);
		assert_int_equal(l.v[0].started_at, 1685930323);
		assert_null(l.v[0].cluster_name);
		task_list_clear(&l);
	}
}

/* Extra members go to detail; zone-less times follow the watch. */
static void
test_detail_tz(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;

	env->watch.timezone_offset_s = -3600;
	assert_int_equal(
	    testlib_parse(env,
		"{\"count\":1,\"logical_cluster_tasks\":[{\"type\":\"Grow\","
		"\"start_time\":\"2023-06-05 01:58:43\",\"log\":\"\","
		"\"progress\":{\"a\":1},\"z\":null}]}",
		&l, &cur, &cause),
	    0);
	assert_int_equal(l.v[0].started_at, 1685930323 + 3600);
	assert_string_equal(
	    l.v[0].detail, "{\"progress\":{\"a\":1},\"z\":null}");
	assert_null(l.v[0].reason);
	task_list_clear(&l);
	env->watch.timezone_offset_s = 0;
}

/* A page of n tasks starting at first, with count total (-1: none). */
static char *
test_page(size_t first, size_t n, long total)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "{\"logical_cluster_tasks\":[");
	for (i = 0; i < n; i++)
		buf_printf(&b,
		    "%s{\"type\":\"Grow\",\"logical_cluster_name\":\"g%zu\","
		    "\"start_time\":\"2023-06-05 01:58:43\","
		    "\"result\":\"success\"}",
		    i ? "," : "", first + i);
	buf_puts(&b, "]");
	if (total >= 0)
		buf_printf(&b, ",\"count\":%ld", total);
	buf_puts(&b, "}");
	return buf_release(&b);
}

/* The expected request for a cursor. */
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

/* Two clusters: 120 tasks over pages 0, 1, 2, then an empty cluster. */
static void
test_paging(void **state)
{
	static const struct {
		size_t scope;
		uint64_t offset;
		size_t n;
		long total;
		const char *path;
	} steps[] = {
		{ 0, 0, 50, 120,
		    "/v2/proj/clusters/c-1/logical-clusters/tasks?offset=0&"
		    "limit=50&order_by=startTime&order=DESC" },
		{ 0, 1, 50, 120,
		    "/v2/proj/clusters/c-1/logical-clusters/tasks?offset=1&"
		    "limit=50&order_by=startTime&order=DESC" },
		{ 0, 2, 20, 120,
		    "/v2/proj/clusters/c-1/logical-clusters/tasks?offset=2&"
		    "limit=50&order_by=startTime&order=DESC" },
		{ 1, 0, 0, 0,
		    "/v2/proj/clusters/c-2/logical-clusters/tasks?offset=0&"
		    "limit=50&order_by=startTime&order=DESC" },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause = NULL;
	size_t i;

	env->watch.clusters.v = test_clusters2;
	env->watch.clusters.n = 2;
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_false(cur.done);
		assert_int_equal(cur.scope, steps[i].scope);
		assert_int_equal(cur.offset, steps[i].offset);
		test_assert_req(env, &cur, steps[i].path);
		body =
		    test_page(steps[i].offset * 50, steps[i].n, steps[i].total);
		assert_int_equal(env->p->list_parse(&env->ctx, 200, body,
				     strlen(body), &l, &cur, &cause),
		    0);
		free(body);
	}
	assert_true(cur.done);
	assert_int_equal(l.n, 120);
	assert_string_equal(l.v[0].cluster_name, "g0");
	assert_string_equal(l.v[119].cluster_name, "g119");
	assert_string_equal(l.v[119].cluster_id, "c-1");
	task_list_clear(&l);
	env->watch.clusters.v = test_clusters1;
	env->watch.clusters.n = 1;
}

/* Ends of a cluster: empty page, short page without count, runaway. */
static void
test_paging_ends(void **state)
{
	static const char err[] =
	    "{\"error_code\":\"DWS.0015\",\"error_msg\":\"no permission\"}";
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause = NULL;

	/* count says more, but the page is empty */
	memset(&cur, 0, sizeof(cur));
	cur.offset = 1;
	cur.seen = 50;
	body = test_page(0, 0, 500);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);

	/* no count: a full page goes on, a short one ends */
	memset(&cur, 0, sizeof(cur));
	body = test_page(0, 50, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_false(cur.done);
	assert_int_equal(cur.offset, 1);
	body = test_page(50, 49, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);
	assert_int_equal(l.n, 99);
	task_list_clear(&l);

	/* full pages forever: stop after page 2000 */
	memset(&cur, 0, sizeof(cur));
	cur.offset = 1999;
	body = test_page(0, 50, 1000000000);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	assert_false(cur.done);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	assert_true(cur.done);
	free(body);
	task_list_clear(&l);

	/* an error status is the classifier's message */
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(env->p->list_parse(&env->ctx, 403, err, strlen(err),
			     &l, &cur, &cause),
	    -1);
	assert_string_equal(cause, "HTTP 403 DWS.0015: no permission");
	free(cause);
}

/* Requests: encoding, missing project or clusters. */
static void
test_list_req(void **state)
{
	static char *odd[] = { "c 1/x?y" };
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	env->acct.project_id = "p&q";
	env->watch.clusters.v = odd;
	test_assert_req(env, &cur,
	    "/v2/p%26q/clusters/c%201%2Fx%3Fy/logical-clusters/tasks?"
	    "offset=0&limit=50&order_by=startTime&order=DESC");
	env->watch.clusters.v = test_clusters1;
	env->acct.project_id = NULL;
	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_non_null(strstr(cause, "project_id"));
	free(cause);
	env->acct.project_id = "proj";
	env->watch.clusters.n = 0;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	free(cause);
	env->watch.clusters.n = 1;
	cur.scope = 1;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	free(cause);
}

struct test_hostile {
	const char *body;
	int rc;
	size_t ntasks;
};

/* Bodies meant to hurt: an error or usable tasks, never a crash. */
static void
test_hostile(void **state)
{
	static const struct test_hostile cases[] = {
		{ "", -1, 0 },
		{ "null", -1, 0 },
		{ "[]", -1, 0 },
		{ "{}", -1, 0 },
		{ "{\"count\":3}", -1, 0 },
		{ "{\"count\":0}", 0, 0 },
		{ "{\"logical_cluster_tasks\":null,\"count\":0}", 0, 0 },
		{ "{\"logical_cluster_tasks\":null}", -1, 0 },
		{ "{\"logical_cluster_tasks\":{},\"count\":0}", -1, 0 },
		{ "{\"logical_cluster_tasks\":\"[]\",\"count\":0}", -1, 0 },
		{ "{\"logical_cluster_tasks\":[],\"count\":\"x\"}", -1, 0 },
		{ "{\"logical_cluster_tasks\":[],\"count\":-1}", -1, 0 },
		{ "{\"logical_cluster_tasks\":[],\"count\":1.5}", -1, 0 },
		{ "{\"logical_cluster_tasks\":[],\"count\":[]}", -1, 0 },
		{ "{\"logical_cluster_tasks\":[],\"count\":"
		  "99999999999999999999999}",
		    -1, 0 },
		{ "{\"logical_cluster_tasks\":[],\"count\":\"7\"}", 0, 0 },
		/* A task that cannot be told apart spoils the page. */
		{ "{\"logical_cluster_tasks\":[1,\"x\",null,true,[]],"
		  "\"count\":5}",
		    -1, 0 },
		{ "{\"logical_cluster_tasks\":[{},{\"type\":5,"
		  "\"logical_cluster_name\":[],\"start_time\":{},"
		  "\"end_time\":7,\"result\":{},\"log\":[\"x\"]}],"
		  "\"count\":2}",
		    -1, 0 },
		{ "{\"logical_cluster_tasks\":[{\"type\":\"Expand\","
		  "\"start_time\":5}],\"count\":1}",
		    -1, 0 },
		{ "{\"logical_cluster_tasks\":[{\"type\":\"Expand\"},"
		  "\"x\"],\"count\":2}",
		    -1, 0 },
		/* Missing or null members count as empty: still one id. */
		{ "{\"logical_cluster_tasks\":[{},{\"type\":null,"
		  "\"logical_cluster_name\":null,\"start_time\":null,"
		  "\"end_time\":7,\"result\":{},\"log\":[\"x\"]}],"
		  "\"count\":2}",
		    0, 2 },
		{ "{\"logical_cluster_tasks\":[{\"start_time\":"
		  "\"9999-99-99 99:99:99\"}],\"count\":1}",
		    0, 1 },
		{ "{\"logical_cluster_tasks\":[{\"type\":\"a\\u0000b\"}],"
		  "\"count\":1}",
		    0, 1 },
		{ "{\"logical_cluster_tasks\":[{\"type\":\"\xc3\"}]}", -1, 0 },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;
	size_t i, j;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = testlib_parse(env, cases[i].body, &l, &cur, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].rc, cause ? cause : "");
		if (rc == -1) {
			assert_non_null(cause);
			assert_false(cur.done);
			free(cause);
		} else {
			assert_null(cause);
			assert_true(cur.done);
		}
		if (l.n != cases[i].ntasks)
			fail_msg("case %zu: %zu tasks, want %zu", i, l.n,
			    cases[i].ntasks);
		for (j = 0; j < l.n; j++) {
			assert_non_null(l.v[j].id);
			assert_non_null(l.v[j].type);
			assert_non_null(l.v[j].cluster_id);
			assert_non_null(l.v[j].raw_status);
			assert_true(l.v[j].started_at == TASK_TIME_NONE);
		}
		task_list_clear(&l);
	}
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
	buf_puts(&b, "{\"logical_cluster_tasks\":[{\"x\":");
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	assert_int_equal(testlib_parse(env, buf_str(&b), &l, &cur, &cause), -1);
	assert_int_equal(l.n, 0);
	free(cause);
	buf_free(&b);
}

/* A listing the table already holds comes back as keys and digests. */
static void
test_unchanged(void **state)
{
	struct testlib_env *env = *state;

	testlib_check_unchanged(env, "dws-logical-tasks.json");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_detail_tz),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_paging_ends),
		cmocka_unit_test(test_list_req),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_unchanged),
	};

	return cmocka_run_group_tests(tests, test_setup, testlib_teardown);
}
