/*
 * Unit tests for cluster discovery: which APIs have a list-clusters call,
 * the exact requests, the DWS body and both E-HPC 1.0 shapes, paging,
 * missing and wrong-type arrays, skipped entries, and name globs.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "config.h"
#include "discover.h"
#include "sign.h"

/* A hand-filled account of cloud, and a provider view of it. */
struct test_env {
	struct config_account acct;
	struct config_watch watch;
	struct provider_ctx ctx;
};

/* Fill env for a Huawei (project_id) or Alibaba (region) account. */
static void
test_env(struct test_env *env, enum config_api api)
{
	memset(env, 0, sizeof(*env));
	env->acct.name = "acct";
	env->acct.region = "cn-north-4";
	env->acct.project_id = "p0";
	env->watch.api = api;
	env->watch.account = &env->acct;
	env->ctx.watch = &env->watch;
	env->ctx.account = &env->acct;
}

/* The URL of da's request for page (0-based) under https://h. */
static char *
test_url(
    const struct discover_api *da, const struct test_env *env, uint64_t page)
{
	struct discover_cursor cur = { page, 0, 0 };
	struct sign_req *req = sign_req_new();
	char *cause = NULL, *url;

	if (discover_req(da, &env->ctx, &cur, req, &cause) == -1)
		fail_msg("discover_req: %s", cause ? cause : "?");
	if (sign_req_set_base(req, "https://h", &cause) == -1)
		fail_msg("set_base: %s", cause ? cause : "?");
	assert_string_equal(sign_req_header(req, "Accept"), "application/json");
	url = sign_req_url(req);
	sign_req_free(req);
	return url;
}

/* Each cluster-scoped API has a call; the project-wide ones have none. */
static void
test_find(void **state)
{
	const struct discover_api *dws = discover_find(CONFIG_API_DWS_ACTIONS);

	assert_non_null(dws);
	assert_ptr_equal(discover_find(CONFIG_API_DWS_LOGICAL), dws);
	assert_string_equal(discover_name(dws), "DWS ListClusters");
	assert_non_null(discover_find(CONFIG_API_EHPC_TASKS));
	assert_ptr_not_equal(discover_find(CONFIG_API_EHPC_TASKS), dws);
	assert_null(discover_find(CONFIG_API_DDS_JOBS));
	assert_null(discover_find(CONFIG_API_GAUSSDB_TASKS));
	assert_null(discover_find((enum config_api) - 1));
	assert_null(discover_find((enum config_api)99));
}

/*
 * The config takes clusters: all for every API that lists by cluster:
 * each of them must have a list-clusters call here (a new API with
 * clusters needs its row, or this fails).
 */
static void
test_every_cluster_api(void **state)
{
	int i;

	for (i = 0; i < CONFIG_API_COUNT; i++) {
		if (api_table[i].scope != API_SCOPE_CLUSTERS)
			continue;
		if (discover_find((enum config_api)i) == NULL)
			fail_msg("%s lists by cluster but has no list-clusters "
				 "call in discover.c",
			    api_table[i].name);
	}
}

/* The requests: DWS's path under the project, E-HPC's RPC query. */
static void
test_req(void **state)
{
	struct discover_cursor cur = { 0, 0, 0 };
	struct test_env env;
	struct sign_req *req;
	char *url, *cause = NULL;

	test_env(&env, CONFIG_API_DWS_LOGICAL);
	url = test_url(discover_find(CONFIG_API_DWS_LOGICAL), &env, 0);
	assert_string_equal(url, "https://h/v1.0/p0/clusters");
	free(url);
	env.acct.project_id = NULL;
	req = sign_req_new();
	assert_int_equal(discover_req(discover_find(CONFIG_API_DWS_ACTIONS),
			     &env.ctx, &cur, req, &cause),
	    -1);
	assert_non_null(strstr(cause, "project_id"));
	free(cause);
	sign_req_free(req);

	test_env(&env, CONFIG_API_EHPC_TASKS);
	url = test_url(discover_find(CONFIG_API_EHPC_TASKS), &env, 2);
	assert_string_equal(url,
	    "https://h/?Action=ListClusters&Format=JSON&PageNumber=3&"
	    "PageSize=50&RegionId=cn-north-4&Version=2018-04-12");
	free(url);
}

/* Parse one answer from a fresh cursor into l; the parse's result. */
static int
test_parse(enum config_api api, long status, const char *body,
    struct discover_list *l, struct discover_cursor *cur, char **cause)
{
	memset(cur, 0, sizeof(*cur));
	*cause = NULL;
	return discover_parse(
	    discover_find(api), status, body, strlen(body), l, cur, cause);
}

/* DWS: {"clusters":[ClusterInfo...],"count":N}, one page. */
static void
test_dws(void **state)
{
	struct discover_list l = { 0 };
	struct discover_cursor cur;
	char *cause;

	assert_int_equal(
	    test_parse(CONFIG_API_DWS_ACTIONS, 200,
		"{\"clusters\":[{\"id\":\"c1\",\"name\":\"orders-"
		"eu\",\"status\":\"AVAILABLE\",\"version\":\"8."
		"1.3\",\"nodes\":[{\"id\":\"n1\"}]},{\"id\":\"c2\","
		"\"name\":\"bi\",\"status\":\"CREATING\"},{\"id\":"
		"\"bad/id\",\"name\":\"x\"},{\"name\":\"noid\"},"
		"5,{\"id\":\"c1\",\"name\":\"dup\"},{\"id\":\"c3\""
		"}],\"count\":7}",
		&l, &cur, &cause),
	    0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].id, "c1");
	assert_string_equal(l.v[0].name, "orders-eu");
	assert_string_equal(l.v[1].id, "c2");
	assert_string_equal(l.v[1].name, "bi");
	assert_string_equal(l.v[2].id, "c3");
	assert_string_equal(l.v[2].name, "");
	assert_int_equal(l.skipped, 3);
	assert_true(cur.done);
	assert_non_null(discover_list_find(&l, "c2"));
	assert_null(discover_list_find(&l, "c4"));
	discover_list_clear(&l);
	assert_int_equal(l.n, 0);
}

/* E-HPC 1.0: the documented {"ClusterInfoSimple": [...]} and a bare array. */
static void
test_ehpc_shapes(void **state)
{
	static const char *const bodies[] = {
		"{\"RequestId\":\"r\",\"TotalCount\":2,\"PageNumber\":1,"
		"\"PageSize\":50,\"Clusters\":{\"ClusterInfoSimple\":[{\"Id\":"
		"\"ehpc-hz-1\",\"Name\":\"render\",\"Status\":\"running\","
		"\"EhpcVersion\":\"1.0.0\"},{\"Id\":\"ehpc-hz-2\",\"Name\":"
		"\"sim\"}]}}",
		"{\"TotalCount\":\"2\",\"Clusters\":[{\"Id\":\"ehpc-hz-1\","
		"\"Name\":\"render\"},{\"Id\":\"ehpc-hz-2\",\"Name\":\"sim\"}]"
		"}",
	};
	struct discover_list l = { 0 };
	struct discover_cursor cur;
	char *cause;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (test_parse(CONFIG_API_EHPC_TASKS, 200, bodies[i], &l, &cur,
			&cause) != 0)
			fail_msg("body %zu: %s", i, cause ? cause : "?");
		assert_int_equal(l.n, 2);
		assert_string_equal(l.v[0].id, "ehpc-hz-1");
		assert_string_equal(l.v[0].name, "render");
		assert_string_equal(l.v[1].name, "sim");
		assert_true(cur.done);
		discover_list_clear(&l);
	}
}

/*
 * E-HPC 2.0: ListClusters 2024-07-30, POST and ACS3, Clusters[] of
 * ClusterId/ClusterName; each generation's list leaves out the other's
 * clusters (EhpcVersion), counted with the API that watches them.
 */
static void
test_ehpc_generations(void **state)
{
	static const char v2[] =
	    "{\"PageNumber\":\"1\",\"PageSize\":100,\"TotalCount\":3,"
	    "\"Clusters\":[{\"ClusterId\":\"ehpc-hz-2a\",\"ClusterName\":"
	    "\"slurm\",\"EhpcVersion\":\"2.0.0\"},{\"ClusterId\":"
	    "\"ehpc-hz-1a\",\"ClusterName\":\"old\",\"EhpcVersion\":"
	    "\"1.0.0\"},{\"ClusterId\":\"ehpc-hz-2b\"}]}";
	static const char v1[] =
	    "{\"TotalCount\":2,\"Clusters\":{\"ClusterInfoSimple\":[{\"Id\":"
	    "\"ehpc-hz-1a\",\"EhpcVersion\":\"1.0.0\"},{\"Id\":\"ehpc-hz-2a\","
	    "\"EhpcVersion\":\"2.0.0\"}]}}";
	struct discover_cursor cur = { 0, 0, 0 };
	struct discover_list l = { 0 };
	struct test_env env;
	struct sign_req *req;
	char *url, *cause = NULL;

	test_env(&env, CONFIG_API_EHPC_OPERATIONS);
	url = test_url(discover_find(CONFIG_API_EHPC_OPERATIONS), &env, 1);
	assert_string_equal(url,
	    "https://h/?Action=ListClusters&PageNumber=2&PageSize=100&"
	    "RegionId=cn-north-4&Version=2024-07-30");
	free(url);
	req = sign_req_new();
	assert_int_equal(discover_req(discover_find(CONFIG_API_EHPC_OPERATIONS),
			     &env.ctx, &cur, req, &cause),
	    0);
	assert_string_equal(req->method, "POST");
	assert_true(req->acs3);
	sign_req_free(req);
	assert_int_equal(
	    test_parse(CONFIG_API_EHPC_OPERATIONS, 200, v2, &l, &cur, &cause),
	    0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "ehpc-hz-2a");
	assert_string_equal(l.v[0].name, "slurm");
	assert_int_equal(l.other, 1);
	assert_string_equal(l.other_first, "ehpc-hz-1a");
	assert_non_null(strstr(l.other_hint, "api: ehpc.tasks"));
	assert_true(cur.done);
	discover_list_clear(&l);
	assert_int_equal(
	    test_parse(CONFIG_API_EHPC_TASKS, 200, v1, &l, &cur, &cause), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.other, 1);
	assert_string_equal(l.other_first, "ehpc-hz-2a");
	assert_non_null(strstr(l.other_hint, "api: ehpc.operations"));
	discover_list_clear(&l);
}

/* E-HPC pages: on while fewer than TotalCount were read; a short page ends. */
static void
test_ehpc_paging(void **state)
{
	const struct discover_api *da = discover_find(CONFIG_API_EHPC_TASKS);
	struct discover_list l = { 0 };
	struct discover_cursor cur = { 0, 0, 0 };
	struct buf_like {
		char s[8192];
	} *b = calloc(1, sizeof(*b));
	char *cause = NULL;
	size_t i, off;

	off = (size_t)snprintf(b->s, sizeof(b->s),
	    "{\"TotalCount\":52,\"Clusters\":{\"ClusterInfoSimple\":[");
	for (i = 0; i < 50; i++)
		off += (size_t)snprintf(b->s + off, sizeof(b->s) - off,
		    "%s{\"Id\":\"e%zu\",\"Name\":\"n%zu\"}", i ? "," : "", i,
		    i);
	snprintf(b->s + off, sizeof(b->s) - off, "]}}");
	assert_int_equal(
	    discover_parse(da, 200, b->s, strlen(b->s), &l, &cur, &cause), 0);
	assert_false(cur.done);
	assert_int_equal(cur.page, 1);
	assert_int_equal(l.n, 50);
	snprintf(b->s, sizeof(b->s),
	    "{\"TotalCount\":52,\"Clusters\":{\"ClusterInfoSimple\":["
	    "{\"Id\":\"e50\",\"Name\":\"a\"},{\"Id\":\"e51\",\"Name\":\"b\"}]}"
	    "}");
	assert_int_equal(
	    discover_parse(da, 200, b->s, strlen(b->s), &l, &cur, &cause), 0);
	assert_true(cur.done);
	assert_int_equal(l.n, 52);
	discover_list_clear(&l);

	/* No total: a short page ends the list. */
	memset(&cur, 0, sizeof(cur));
	snprintf(b->s, sizeof(b->s), "{\"Clusters\":[{\"Id\":\"e1\"}]}");
	assert_int_equal(
	    discover_parse(da, 200, b->s, strlen(b->s), &l, &cur, &cause), 0);
	assert_true(cur.done);
	discover_list_clear(&l);
	free(b);
}

/* Missing lists are empty only when the total allows; wrong types fail. */
static void
test_missing_wrong(void **state)
{
	static const struct {
		enum config_api api;
		const char *body;
		const char *cause; /* NULL: an empty list */
	} cases[] = {
		{ CONFIG_API_DWS_ACTIONS, "{}", NULL },
		{ CONFIG_API_DWS_ACTIONS, "{\"count\":0}", NULL },
		{ CONFIG_API_DWS_ACTIONS, "{\"clusters\":null}", NULL },
		{ CONFIG_API_DWS_ACTIONS, "{\"clusters\":[],\"count\":0}",
		    NULL },
		{ CONFIG_API_DWS_ACTIONS, "{\"count\":2}",
		    "DWS response has no clusters list but a count of 2" },
		{ CONFIG_API_DWS_ACTIONS, "{\"clusters\":{}}",
		    "DWS response has an invalid clusters" },
		{ CONFIG_API_DWS_ACTIONS, "{\"clusters\":\"c1\"}",
		    "DWS response has an invalid clusters" },
		{ CONFIG_API_DWS_ACTIONS, "{\"clusters\":[],\"count\":\"x\"}",
		    "DWS response has an invalid count" },
		{ CONFIG_API_DWS_ACTIONS, "[]",
		    "DWS response is not a JSON object" },
		{ CONFIG_API_DWS_ACTIONS, "{\"clusters\":[", "DWS response: " },
		{ CONFIG_API_EHPC_TASKS, "{\"TotalCount\":0}", NULL },
		{ CONFIG_API_EHPC_TASKS, "{\"Clusters\":{}}", NULL },
		{ CONFIG_API_EHPC_TASKS,
		    "{\"Clusters\":{\"ClusterInfoSimple\":null}}", NULL },
		{ CONFIG_API_EHPC_TASKS, "{\"TotalCount\":3}",
		    "E-HPC response has no Clusters list but a TotalCount of "
		    "3" },
		{ CONFIG_API_EHPC_TASKS,
		    "{\"Clusters\":{\"ClusterInfoSimple\":5}}",
		    "E-HPC response has an invalid "
		    "Clusters.ClusterInfoSimple" },
		{ CONFIG_API_EHPC_TASKS, "{\"Clusters\":true}",
		    "E-HPC response has an invalid Clusters" },
		{ CONFIG_API_EHPC_TASKS, "{\"TotalCount\":-1,\"Clusters\":[]}",
		    "E-HPC response has an invalid TotalCount" },
	};
	struct discover_list l = { 0 };
	struct discover_cursor cur;
	char *cause;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = test_parse(
		    cases[i].api, 200, cases[i].body, &l, &cur, &cause);
		if (cases[i].cause == NULL) {
			if (rc != 0)
				fail_msg("%s: %s", cases[i].body, cause);
			assert_int_equal(l.n, 0);
			assert_true(cur.done);
		} else {
			if (rc != -1)
				fail_msg("%s: accepted", cases[i].body);
			if (strncmp(cause, cases[i].cause,
				strlen(cases[i].cause)) != 0)
				fail_msg("%s: %s", cases[i].body, cause);
			free(cause);
		}
		discover_list_clear(&l);
	}
}

/* An error answer is a failure with the classifier's message. */
static void
test_error_answer(void **state)
{
	struct discover_list l = { 0 };
	struct discover_cursor cur;
	char *cause;

	assert_int_equal(test_parse(CONFIG_API_DWS_LOGICAL, 403,
			     "{\"error_code\":\"DWS.0015\",\"error_msg\":\"no "
			     "permission\"}",
			     &l, &cur, &cause),
	    -1);
	assert_non_null(strstr(cause, "DWS.0015"));
	assert_int_equal(l.n, 0);
	free(cause);
}

/* Globs on names: none given matches all, fnmatch otherwise. */
static void
test_names(void **state)
{
	char *globs[] = { "orders-*", "bi?", "[xy]z" };
	struct config_strlist none = { NULL, 0 }, some = { globs, 3 };

	assert_true(discover_name_matches(&none, "anything"));
	assert_true(discover_name_matches(NULL, ""));
	assert_true(discover_name_matches(&some, "orders-eu"));
	assert_true(discover_name_matches(&some, "orders-"));
	assert_true(discover_name_matches(&some, "bi1"));
	assert_true(discover_name_matches(&some, "yz"));
	assert_false(discover_name_matches(&some, "bi"));
	assert_false(discover_name_matches(&some, "my-orders-eu"));
	assert_false(discover_name_matches(&some, ""));
	assert_false(discover_name_matches(&some, NULL));
	assert_true(discover_id_ok("dws-1.a_b"));
	assert_false(discover_id_ok(""));
	assert_false(discover_id_ok(NULL));
	assert_false(discover_id_ok("a/b"));
	assert_false(discover_id_ok("a b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_every_cluster_api),
		cmocka_unit_test(test_req),
		cmocka_unit_test(test_dws),
		cmocka_unit_test(test_ehpc_shapes),
		cmocka_unit_test(test_ehpc_paging),
		cmocka_unit_test(test_ehpc_generations),
		cmocka_unit_test(test_missing_wrong),
		cmocka_unit_test(test_error_answer),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
