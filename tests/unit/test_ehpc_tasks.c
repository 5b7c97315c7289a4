/*
 * Unit tests for the ehpc.tasks provider: the vendor's example body with
 * its over-escaped strings, both list shapes, progress from steps, the
 * reason from Errors or Result, paging over clusters, hostile bodies, the
 * exact RPC queries and the TaskId lookup.
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

static char *test_clusters1[] = { "ehpc-hz-1" };
static char *test_clusters2[] = { "ehpc-hz-1", "ehpc-hz-2" };

/* A hand-filled Alibaba account and a watch with one cluster. */
static int
test_setup(void **state)
{
	struct testlib_env *env =
	    testlib_env_new(CONFIG_API_EHPC_TASKS, "hpc", NULL);

	env->acct.name = "ali";
	env->acct.cloud = CONFIG_CLOUD_ALIBABA;
	env->acct.region = "cn-hangzhou";
	env->watch.clusters.v = test_clusters1;
	env->watch.clusters.n = 1;
	*state = env;
	return 0;
}

/* Parse a body that must give exactly one task. */
static void
test_one(struct testlib_env *env, const char *body, struct task_list *l)
{
	struct provider_cursor cur;
	char *cause;

	if (testlib_parse(env, body, l, &cur, &cause) != 0)
		fail_msg("parse failed: %s (%s)", cause ? cause : "?", body);
	assert_int_equal(l->n, 1);
}

/* The vendor's example: over-escaped Result and Request stay text. */
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
	    "{\"TotalSteps\":35,\"CurrentStep\":16,"
	    "\"Result\":\"{\\\\\\\"Instances\\\\\\\":[{\\\\\\\"InstanceId"
	    "\\\\\\\":\\\\\\\"i-bp1inb1j2xz8pnoi****\\\\\\\",\\\\\\\"Ip"
	    "\\\\\\\":\\\\\\\"192.168.*.*\\\\\\\",\\\\\\\"Hostname\\\\\\\":"
	    "\\\\\\\"login0\\\\\\\",\\\\\\\"role\\\\\\\":\\\\\\\"login"
	    "\\\\\\\"}]}\","
	    "\"Errors\":[],"
	    "\"Request\":\"{\\\\\\\"requestId\\\\\\\":\\\\\\\"0A6CA33E-BFBF-"
	    "4F92-BDAE-4E8860DA****\\\\\\\",\\\\\\\"uid\\\\\\\":\\\\\\\""
	    "160998252992****\\\\\\\",\\\\\\\"bid\\\\\\\":\\\\\\\"268**"
	    "\\\\\\\",\\\\\\\"clusterId\\\\\\\":\\\\\\\"ehpc-hz-ysQtcZ****"
	    "\\\\\\\"}\"}";

	body =
	    testlib_read_file("../shared/fixtures/ehpc-list-tasks.json", &len);
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_null(cause);
	assert_int_equal(l.n, 1);
	t = &l.v[0];
	assert_string_equal(t->id, "B745C159-3155-4B94-95D0-4B73D4D2****");
	assert_string_equal(t->type, "StopCluster");
	assert_string_equal(t->cluster_id, "ehpc-hz-FYUr32****");
	assert_null(t->cluster_name);
	assert_int_equal(t->state, TASK_RUNNING);
	assert_string_equal(t->raw_status, "Processing");
	assert_int_equal(t->progress, 45); /* 16 of 35 */
	assert_true(t->started_at == TASK_TIME_NONE);
	assert_true(t->ended_at == TASK_TIME_NONE);
	assert_null(t->reason);
	assert_string_equal(t->detail, want_detail);
	/* TotalCount 10, one read: the next page of the same cluster */
	assert_false(cur.done);
	assert_int_equal(cur.scope, 0);
	assert_int_equal(cur.offset, 1);
	assert_int_equal(cur.seen, 1);
	assert_int_equal(cur.total, 10);
	task_list_clear(&l);
	free(body);
}

/* The list as an array, as {"TaskInfo":[...]}, a lone object, or none. */
static void
test_shapes(void **state)
{
	static const struct {
		const char *body;
		size_t n;
	} cases[] = {
		{ "{\"TotalCount\":2,\"Tasks\":[{\"TaskId\":\"t1\"},"
		  "{\"TaskId\":\"t2\"}]}",
		    2 },
		{ "{\"TotalCount\":2,\"Tasks\":{\"TaskInfo\":[{\"TaskId\":"
		  "\"t1\"},{\"TaskId\":\"t2\"}]}}",
		    2 },
		{ "{\"TotalCount\":1,\"Tasks\":{\"TaskInfo\":{\"TaskId\":"
		  "\"t1\"}}}",
		    1 },
		{ "{\"TotalCount\":0,\"Tasks\":{\"TaskInfo\":[]}}", 0 },
		{ "{\"TotalCount\":0,\"Tasks\":{}}", 0 },
		{ "{\"TotalCount\":0,\"Tasks\":{\"TaskInfo\":null}}", 0 },
		{ "{\"TotalCount\":0,\"Tasks\":[]}", 0 },
		{ "{\"TotalCount\":0}", 0 },
		{ "{\"TotalCount\":\"0\",\"Tasks\":null}", 0 },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (testlib_parse(env, cases[i].body, &l, &cur, &cause) != 0)
			fail_msg("case %zu: %s", i, cause);
		assert_int_equal(l.n, cases[i].n);
		for (j = 0; j < l.n; j++) {
			assert_string_equal(l.v[j].id, j ? "t2" : "t1");
			/* no ClusterId: the scope's cluster */
			assert_string_equal(l.v[j].cluster_id, "ehpc-hz-1");
			assert_string_equal(l.v[j].type, "");
			assert_string_equal(l.v[j].raw_status, "");
			assert_int_equal(l.v[j].state, TASK_UNKNOWN);
			assert_null(l.v[j].detail);
		}
		assert_true(cur.done);
		task_list_clear(&l);
	}
}

struct test_steps {
	const char *current; /* JSON, or NULL for absent */
	const char *total;
	int want;
};

/* Progress is CurrentStep * 100 / TotalSteps, numbers or strings. */
static void
test_progress(void **state)
{
	static const struct test_steps cases[] = {
		{ "16", "35", 45 },
		{ "\"16\"", "\"35\"", 45 },
		{ "0", "35", 0 },
		{ "35", "35", 100 },
		{ "36", "35", 100 },
		{ "-1", "35", 0 },
		{ "1", "3", 33 },
		{ "2", "3", 66 },
		{ "9223372036854775806", "9223372036854775807", 99 },
		{ "100000000000000000", "200000000000000000", 50 },
		{ "1", "0", TASK_PROGRESS_NONE },
		{ "1", "-5", TASK_PROGRESS_NONE },
		{ "1", NULL, TASK_PROGRESS_NONE },
		{ NULL, "5", TASK_PROGRESS_NONE },
		{ "null", "5", TASK_PROGRESS_NONE },
		{ "1.5", "5", TASK_PROGRESS_NONE },
		{ "\"x\"", "5", TASK_PROGRESS_NONE },
		{ "[1]", "5", TASK_PROGRESS_NONE },
		{ "1", "99999999999999999999", TASK_PROGRESS_NONE },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		buf_puts(&b, "{\"TotalCount\":1,\"Tasks\":[{\"TaskId\":\"t\"");
		if (cases[i].current != NULL)
			buf_printf(&b, ",\"CurrentStep\":%s", cases[i].current);
		if (cases[i].total != NULL)
			buf_printf(&b, ",\"TotalSteps\":%s", cases[i].total);
		buf_puts(&b, "}]}");
		test_one(env, buf_str(&b), &l);
		if (l.v[0].progress != cases[i].want)
			fail_msg("case %zu: progress %d, want %d", i,
			    l.v[0].progress, cases[i].want);
		task_list_clear(&l);
		buf_free(&b);
	}
}

struct test_reason {
	const char *status;
	const char *members; /* JSON members after TaskId */
	const char *reason;  /* NULL: none */
	const char *detail;
};

/* The reason: Errors first, then (failed only) Errors text or Result. */
static void
test_reasons(void **state)
{
	static const struct test_reason cases[] = {
		{ "Fail",
		    "\"Errors\":\"[{\\\"Code\\\":\\\"E1\\\",\\\"Message\\\":"
		    "\\\"boom\\\"},{\\\"Code\\\":\\\"E2\\\"}]\","
		    "\"Result\":\"ignored\"",
		    "E1: boom (+1 more)",
		    "{\"Errors\":[{\"Code\":\"E1\",\"Message\":\"boom\"},"
		    "{\"Code\":\"E2\"}],\"Result\":\"ignored\"}" },
		/* decoded Errors count even while processing */
		{ "Processing", "\"Errors\":\"{\\\"Message\\\":\\\"slow\\\"}\"",
		    "slow", "{\"Errors\":{\"Message\":\"slow\"}}" },
		/* Failed is the other word of the status set */
		{ "Failed", "\"Errors\":\"[]\",\"Result\":\"no quota\"",
		    "no quota", "{\"Errors\":[],\"Result\":\"no quota\"}" },
		{ "Fail", "\"Errors\":\"[\\\"plain words\\\"]\"", "plain words",
		    "{\"Errors\":[\"plain words\"]}" },
		{ "Fail", "\"Errors\":\"[{\\\"foo\\\":1}]\"", "{\"foo\":1}",
		    "{\"Errors\":[{\"foo\":1}]}" },
		{ "Fail", "\"Errors\":\"[{\\\"code\\\":\\\"c\\\"}]\"", "c",
		    NULL },
		/* Errors given as JSON, not as a string */
		{ "PartialFail", "\"Errors\":[{\"ErrorMessage\":\"node3\"}]",
		    "node3", NULL },
		/* empty Errors: Result for failures only */
		{ "Fail", "\"Errors\":\"[]\",\"Result\":\"disk full\"",
		    "disk full", "{\"Errors\":[],\"Result\":\"disk full\"}" },
		{ "PartialFail",
		    "\"Errors\":\"{}\",\"Result\":\"{\\\"a\\\":1}\"",
		    "{\"a\":1}", "{\"Errors\":{},\"Result\":{\"a\":1}}" },
		{ "Success", "\"Errors\":\"[]\",\"Result\":\"all good\"", NULL,
		    "{\"Errors\":[],\"Result\":\"all good\"}" },
		{ "Processing", "\"Result\":\"{\\\"x\\\":[]}\"", NULL,
		    "{\"Result\":{\"x\":[]}}" },
		/* Errors that are not JSON: text, for failures */
		{ "Fail", "\"Errors\":\"[{\\\\\\\"Code\\\\\\\":1}]\"",
		    "[{\\\"Code\\\":1}]",
		    "{\"Errors\":\"[{\\\\\\\"Code\\\\\\\":1}]\"}" },
		{ "Processing", "\"Errors\":\"oops\"", NULL,
		    "{\"Errors\":\"oops\"}" },
		{ "Fail", "\"Errors\":\" \",\"Result\":\"\"", NULL,
		    "{\"Errors\":\" \",\"Result\":\"\"}" },
		{ "Fail", "\"Errors\":null,\"Result\":null", NULL,
		    "{\"Errors\":null,\"Result\":null}" },
		{ "Fail", "\"Result\":[]", NULL, "{\"Result\":[]}" },
		{ "Fail", "\"Result\":5", "5", "{\"Result\":5}" },
		/* a number in a string is not decoded */
		{ "Success", "\"Request\":\"42\"", NULL,
		    "{\"Request\":\"42\"}" },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		buf_printf(&b,
		    "{\"TotalCount\":1,\"Tasks\":[{\"TaskId\":\"t\","
		    "\"Status\":\"%s\",%s}]}",
		    cases[i].status, cases[i].members);
		test_one(env, buf_str(&b), &l);
		if (cases[i].reason == NULL) {
			if (l.v[0].reason != NULL)
				fail_msg("case %zu: reason %s, want none", i,
				    l.v[0].reason);
		} else if (l.v[0].reason == NULL ||
		    strcmp(l.v[0].reason, cases[i].reason) != 0)
			fail_msg("case %zu: reason %s, want %s", i,
			    l.v[0].reason ? l.v[0].reason : "(none)",
			    cases[i].reason);
		if (cases[i].detail != NULL &&
		    strcmp(l.v[0].detail, cases[i].detail) != 0)
			fail_msg("case %zu: detail %s, want %s", i,
			    l.v[0].detail, cases[i].detail);
		task_list_clear(&l);
		buf_free(&b);
	}
}

/* Every state word of the API. */
static void
test_states(void **state)
{
	static const struct {
		const char *word;
		enum task_state state;
	} cases[] = {
		{ "Processing", TASK_RUNNING },
		{ "Success", TASK_SUCCEEDED },
		{ "Fail", TASK_FAILED },
		{ "Failed", TASK_FAILED },
		{ "PartialFail", TASK_PARTIAL },
		{ "Queued", TASK_UNKNOWN },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	char body[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		    "{\"TotalCount\":1,\"Tasks\":[{\"TaskId\":\"t\","
		    "\"TaskType\":\"AddComputes\",\"ClusterId\":\"\","
		    "\"Status\":\"%s\"}]}",
		    cases[i].word);
		test_one(env, body, &l);
		assert_int_equal(l.v[0].state, cases[i].state);
		assert_string_equal(l.v[0].raw_status, cases[i].word);
		assert_string_equal(l.v[0].type, "AddComputes");
		/* an empty ClusterId: the scope's cluster */
		assert_string_equal(l.v[0].cluster_id, "ehpc-hz-1");
		task_list_clear(&l);
	}
}

/* A page of n tasks with ids starting at first. */
static char *
test_page(size_t first, size_t n, long total)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "{\"Tasks\":[");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s{\"TaskId\":\"t%zu\",\"Status\":\"Success\"}",
		    i ? "," : "", first + i);
	buf_puts(&b, "]");
	if (total >= 0)
		buf_printf(&b, ",\"TotalCount\":%ld", total);
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
	assert_string_equal(req.service, "ehpc");
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.headers[0], "Accept: application/json");
	assert_null(req.headers[1]);
	testlib_req_clear(&req);
}

/* Two clusters: 60 tasks over pages 1 and 2, then an empty cluster. */
static void
test_paging(void **state)
{
	static const struct {
		size_t scope;
		size_t n;
		long total;
		const char *path;
	} steps[] = {
		{ 0, 50, 60,
		    "/?Action=ListTasks&Version=2018-04-12&Format=JSON&"
		    "RegionId=cn-hangzhou&ClusterId=ehpc-hz-1&Archived=true&"
		    "PageNumber=1&PageSize=50" },
		{ 0, 10, 60,
		    "/?Action=ListTasks&Version=2018-04-12&Format=JSON&"
		    "RegionId=cn-hangzhou&ClusterId=ehpc-hz-1&Archived=true&"
		    "PageNumber=2&PageSize=50" },
		{ 1, 0, 0,
		    "/?Action=ListTasks&Version=2018-04-12&Format=JSON&"
		    "RegionId=cn-hangzhou&ClusterId=ehpc-hz-2&Archived=true&"
		    "PageNumber=1&PageSize=50" },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause = NULL;
	size_t i, first = 0;

	env->watch.clusters.v = test_clusters2;
	env->watch.clusters.n = 2;
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_false(cur.done);
		assert_int_equal(cur.scope, steps[i].scope);
		test_assert_req(env, &cur, steps[i].path);
		body = test_page(first, steps[i].n, steps[i].total);
		first += steps[i].n;
		assert_int_equal(env->p->list_parse(&env->ctx, 200, body,
				     strlen(body), &l, &cur, &cause),
		    0);
		free(body);
	}
	assert_true(cur.done);
	assert_int_equal(l.n, 60);
	assert_string_equal(l.v[59].id, "t59");
	assert_string_equal(l.v[59].cluster_id, "ehpc-hz-1");
	task_list_clear(&l);

	/* page 999 is the last the API allows */
	memset(&cur, 0, sizeof(cur));
	cur.offset = 997;
	body = test_page(0, 50, 1000000);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	assert_false(cur.done);
	assert_int_equal(cur.scope, 0);
	assert_int_equal(cur.offset, 998); /* PageNumber 999 next */
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	assert_int_equal(cur.scope, 1);
	assert_int_equal(cur.offset, 0);
	free(body);
	task_list_clear(&l);

	/* no TotalCount: a short page ends the cluster */
	memset(&cur, 0, sizeof(cur));
	body = test_page(0, 50, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_int_equal(cur.scope, 0);
	body = test_page(50, 3, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_int_equal(cur.scope, 1);
	task_list_clear(&l);

	env->watch.clusters.v = test_clusters1;
	env->watch.clusters.n = 1;
}

/* Requests: encoding, missing region or clusters. */
static void
test_list_req(void **state)
{
	static char *odd[] = { "a&b=c d" };
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	env->watch.clusters.v = odd;
	env->acct.region = "cn/x";
	test_assert_req(env, &cur,
	    "/?Action=ListTasks&Version=2018-04-12&Format=JSON&"
	    "RegionId=cn%2Fx&ClusterId=a%26b%3Dc%20d&Archived=true&"
	    "PageNumber=1&PageSize=50");
	env->watch.clusters.v = test_clusters1;
	env->acct.region = NULL;
	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_non_null(strstr(cause, "region"));
	free(cause);
	env->acct.region = "cn-hangzhou";
	env->watch.clusters.n = 0;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	free(cause);
	env->watch.clusters.n = 1;
}

struct test_hostile {
	long status;
	const char *body;
	int rc;
	size_t ntasks;
};

/* Bodies meant to hurt: an error or skipped tasks, never a crash. */
static void
test_hostile(void **state)
{
	static const struct test_hostile cases[] = {
		{ 200, "", -1, 0 },
		{ 200, "null", -1, 0 },
		{ 200, "[]", -1, 0 },
		{ 200, "{}", -1, 0 },
		{ 200, "{\"TotalCount\":3}", -1, 0 },
		{ 200, "{\"Tasks\":null}", -1, 0 },
		{ 200, "{\"Tasks\":\"[]\",\"TotalCount\":0}", -1, 0 },
		{ 200, "{\"Tasks\":5,\"TotalCount\":0}", -1, 0 },
		{ 200, "{\"Tasks\":{\"TaskInfo\":\"x\"},\"TotalCount\":0}", -1,
		    0 },
		{ 200, "{\"Tasks\":[],\"TotalCount\":-1}", -1, 0 },
		{ 200, "{\"Tasks\":[],\"TotalCount\":\"ten\"}", -1, 0 },
		{ 200, "{\"Tasks\":[],\"TotalCount\":[]}", -1, 0 },
		{ 200, "{\"Tasks\":[],\"TotalCount\":1e999}", -1, 0 },
		{ 200,
		    "{\"Tasks\":[1,null,\"x\",[],{},{\"TaskId\":5},"
		    "{\"TaskId\":\"\"},{\"TaskId\":{}}],\"TotalCount\":8}",
		    0, 0 },
		{ 200,
		    "{\"Tasks\":[{\"TaskId\":\"a\",\"TaskType\":[],"
		    "\"ClusterId\":7,\"Status\":{},\"TotalSteps\":{},"
		    "\"CurrentStep\":[],\"Result\":7,\"Errors\":true,"
		    "\"Request\":[\"x\"]}],\"TotalCount\":1}",
		    0, 1 },
		{ 200,
		    "{\"Tasks\":[{\"TaskId\":\"a\",\"Errors\":\"[[[[[[\"}],"
		    "\"TotalCount\":1}",
		    0, 1 },
		{ 200, "{\"Tasks\":[{\"TaskId\":\"\xfe\"}]}", -1, 0 },
		{ 400,
		    "{\"RequestId\":\"r\",\"Code\":\"Throttling.User\","
		    "\"Message\":\"slow down\"}",
		    -1, 0 },
		{ 404, "{\"Code\":\"ClusterNotFound\"}", -1, 0 },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;
	size_t i, j;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&cur, 0, sizeof(cur));
		cause = NULL;
		rc = env->p->list_parse(&env->ctx, cases[i].status,
		    cases[i].body, strlen(cases[i].body), &l, &cur, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].rc, cause ? cause : "");
		if (rc == -1) {
			assert_non_null(cause);
			assert_false(cur.done);
			free(cause);
		} else
			assert_null(cause);
		if (l.n != cases[i].ntasks)
			fail_msg("case %zu: %zu tasks, want %zu", i, l.n,
			    cases[i].ntasks);
		for (j = 0; j < l.n; j++) {
			assert_non_null(l.v[j].id);
			assert_non_null(l.v[j].type);
			assert_non_null(l.v[j].cluster_id);
			assert_non_null(l.v[j].raw_status);
		}
		task_list_clear(&l);
	}

	/* the classifier's message for Alibaba's throttling */
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(env->p->list_parse(&env->ctx, 400, cases[17].body,
			     strlen(cases[17].body), &l, &cur, &cause),
	    -1);
	assert_string_equal(cause, "HTTP 400 Throttling.User: slow down");
	free(cause);
}

/* Nesting beyond the JSON depth limit is an error, not a crash. */
static void
test_deep(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct json *d;
	struct buf b;
	char *cause;
	int i;

	buf_init(&b, 0);
	buf_puts(&b, "{\"Tasks\":[{\"TaskId\":\"a\",\"Result\":");
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '{');
	assert_int_equal(testlib_parse(env, buf_str(&b), &l, &cur, &cause), -1);
	free(cause);
	buf_free(&b);

	/* 63 levels inside the string decode, 64 stay text */
	for (i = 63; i <= 64; i++) {
		int j;

		buf_init(&b, 0);
		buf_puts(&b, "{\"Tasks\":[{\"TaskId\":\"a\",\"Result\":\"");
		for (j = 0; j < i; j++)
			buf_putc(&b, '[');
		for (j = 0; j < i; j++)
			buf_putc(&b, ']');
		buf_puts(&b, "\"}]}");
		test_one(env, buf_str(&b), &l);
		d = json_parse(l.v[0].detail, strlen(l.v[0].detail), NULL);
		assert_non_null(d);
		assert_int_equal(json_type(json_get(d, "Result")),
		    i == 63 ? JSON_ARRAY : JSON_STRING);
		json_free(d);
		task_list_clear(&l);
		buf_free(&b);
	}
}

/* The lookup: ListTasks with the task's cluster and TaskId. */
static void
test_lookup_req(void **state)
{
	struct testlib_env *env = *state;
	struct testlib_req req;
	struct task t;
	char *cause = NULL;

	task_init(&t);
	t.id = "B745C159-3155-4B94-95D0-4B73D4D2****";
	t.cluster_id = "ehpc-hz-FYUr32****";
	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), 0);
	assert_string_equal(req.path_query,
	    "/?Action=ListTasks&Version=2018-04-12&Format=JSON&"
	    "RegionId=cn-hangzhou&ClusterId=ehpc-hz-FYUr32%2A%2A%2A%2A&"
	    "TaskId=B745C159-3155-4B94-95D0-4B73D4D2%2A%2A%2A%2A");
	assert_string_equal(req.service, "ehpc");
	assert_string_equal(req.method, "GET");
	testlib_req_clear(&req);

	t.cluster_id = "";
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), -1);
	free(cause);
	t.cluster_id = "c";
	t.id = NULL;
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), -1);
	free(cause);
}

struct test_lookup {
	long status;
	const char *body;
	int rc;
	int found;
};

/* Lookup answers: one task found, an empty list gone, the rest unknown. */
static void
test_lookup_parse(void **state)
{
	static const struct test_lookup cases[] = {
		{ 200, "{\"TotalCount\":0,\"Tasks\":[]}", 0, 0 },
		{ 200, "{\"TotalCount\":0,\"Tasks\":{\"TaskInfo\":[]}}", 0, 0 },
		{ 200, "{\"TotalCount\":0}", 0, 0 },
		{ 200, "{\"Tasks\":[{\"TaskId\":\"a\"},{\"TaskId\":\"b\"}]}",
		    -1, 0 },
		{ 200, "{\"Tasks\":[{\"TaskId\":5}]}", -1, 0 },
		{ 200, "{}", -1, 0 },
		{ 200, "junk", -1, 0 },
		{ 404, "{\"Code\":\"ClusterNotFound\"}", -1, 0 },
		{ 407, "{\"Code\":\"NotAuthorized\"}", -1, 0 },
		{ 503, "", -1, 0 },
		{ 200, "{\"Tasks\":{\"TaskInfo\":{\"TaskId\":\"a\"}}}", 0, 1 },
	};
	struct testlib_env *env = *state;
	struct task t;
	char *cause;
	size_t i;
	int found, rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		task_init(&t);
		cause = NULL;
		found = -1;
		rc = env->p->lookup_parse(&env->ctx, cases[i].status,
		    cases[i].body, strlen(cases[i].body), &found, &t, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].rc, cause ? cause : "");
		if (rc == -1) {
			assert_non_null(cause);
			free(cause);
		} else {
			assert_null(cause);
			assert_int_equal(found, cases[i].found);
		}
		task_clear(&t);
	}
}

/* A found task is fully mapped; a missing ClusterId is left for the caller. */
static void
test_lookup_found(void **state)
{
	struct testlib_env *env = *state;
	struct task t;
	char *cause = NULL;
	int found = 0;
	const char *body =
	    "{\"TotalCount\":1,\"Tasks\":[{\"TaskId\":\"t1\","
	    "\"TaskType\":\"DeleteComputes\",\"Status\":\"Fail\","
	    "\"TotalSteps\":4,\"CurrentStep\":1,"
	    "\"Errors\":\"[{\\\"Code\\\":\\\"AgentError\\\","
	    "\\\"Message\\\":\\\"node unreachable\\\"}]\"}]}";

	task_init(&t);
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	assert_int_equal(found, 1);
	assert_string_equal(t.id, "t1");
	assert_string_equal(t.type, "DeleteComputes");
	assert_null(t.cluster_id);
	assert_int_equal(t.state, TASK_FAILED);
	assert_int_equal(t.progress, 25);
	assert_string_equal(t.reason, "AgentError: node unreachable");
	assert_string_equal(t.detail,
	    "{\"TotalSteps\":4,\"CurrentStep\":1,\"Errors\":[{\"Code\":"
	    "\"AgentError\",\"Message\":\"node unreachable\"}]}");
	task_clear(&t);
}

/* What the table is said to hold, for test_known_cb. */
static const char *test_known_id;
static uint64_t test_known_digest;
static unsigned test_known_calls;

/* A table holding one record: test_known_id with test_known_digest. */
static int
test_known_cb(void *arg, const struct task *t)
{
	test_known_calls++;
	assert_non_null(t->id);
	return test_known_id != NULL && strcmp(t->id, test_known_id) == 0 &&
	    t->digest == test_known_digest;
}

/* A page of two tasks, t2 in status st2. */
static char *
test_two(const char *st2)
{
	char *s = NULL;

	if (asprintf(&s,
		"{\"TotalCount\":2,\"Tasks\":{\"TaskInfo\":["
		"{\"TaskId\":\"t1\",\"TaskType\":\"AddNodes\","
		"\"Status\":\"Processing\",\"Result\":\"{}\"},"
		"{\"TaskId\":\"t2\",\"TaskType\":\"StopCluster\","
		"\"Status\":\"%s\",\"Errors\":\"[]\"}]}}",
		st2) == -1)
		fail_msg("asprintf");
	return s;
}

/*
 * A task the table holds with the same digest is listed by its key alone;
 * a changed one, or one the table lacks, is decoded in full.  Lookups
 * never ask.
 */
static void
test_unchanged(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body = test_two("Processing"), *cause = NULL;
	uint64_t d1, d2;
	struct task t;
	int found;

	/* No table to ask: both in full, each with its digest. */
	assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
	assert_int_equal(l.n, 2);
	d1 = l.v[0].digest;
	d2 = l.v[1].digest;
	assert_true(d1 != 0 && d2 != 0 && d1 != d2);
	assert_int_equal(l.v[1].unchanged, 0);
	task_list_clear(&l);

	/* The same page again, t2 known: t2 is its key and digest only. */
	env->ctx.known = test_known_cb;
	test_known_id = "t2";
	test_known_digest = d2;
	test_known_calls = 0;
	assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(test_known_calls, 2);
	assert_int_equal(l.v[0].unchanged, 0);
	assert_string_equal(l.v[0].type, "AddNodes");
	assert_true(l.v[0].digest == d1);
	assert_int_equal(l.v[1].unchanged, 1);
	assert_string_equal(l.v[1].id, "t2");
	assert_string_equal(l.v[1].cluster_id, "ehpc-hz-1");
	assert_true(l.v[1].digest == d2);
	assert_null(l.v[1].type);
	assert_null(l.v[1].raw_status);
	assert_null(l.v[1].detail);
	task_list_clear(&l);
	free(body);

	/* t2 moved on: its bytes differ, so it is decoded again. */
	body = test_two("Failed");
	assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
	assert_int_equal(l.v[1].unchanged, 0);
	assert_true(l.v[1].digest != d2);
	assert_string_equal(l.v[1].raw_status, "Failed");
	assert_int_equal(l.v[1].state, TASK_FAILED);
	task_list_clear(&l);
	free(body);

	/* A lookup answer is always taken whole and carries no digest. */
	test_known_calls = 0;
	body = "{\"TotalCount\":1,\"Tasks\":{\"TaskInfo\":[{\"TaskId\":"
	       "\"t2\",\"TaskType\":\"StopCluster\",\"Status\":"
	       "\"Processing\",\"Errors\":\"[]\"}]}}";
	task_init(&t);
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	assert_int_equal(found, 1);
	assert_int_equal(test_known_calls, 0);
	assert_int_equal(t.unchanged, 0);
	assert_true(t.digest == 0);
	assert_string_equal(t.raw_status, "Processing");
	task_clear(&t);
	env->ctx.known = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_list_req),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_lookup_req),
		cmocka_unit_test(test_lookup_parse),
		cmocka_unit_test(test_lookup_found),
		cmocka_unit_test(test_unchanged),
	};

	return cmocka_run_group_tests(tests, test_setup, testlib_teardown);
}
