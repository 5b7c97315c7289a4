/*
 * Unit tests for the gaussdb.tasks provider: the vendor's example body,
 * field mapping, lenient times, hostile bodies, paging, the exact request
 * in epoch milliseconds, and the single-job lookup.
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
#include "sign.h"
#include "task.h"
#include "testlib.h"

#define TEST_NOW_MS TESTLIB_NOW_MS
#define TEST_7D_MS (7ULL * 86400 * 1000)

/* A hand-filled account and watch for gaussdb.tasks. */
static int
test_setup(void **state)
{
	struct testlib_env *env =
	    testlib_env_new(CONFIG_API_GAUSSDB_TASKS, "gauss", "proj");

	env->watch.lookback_ms = TEST_7D_MS;
	*state = env;
	return 0;
}

/* The vendor's example: a failed create and a completed delete. */
static void
test_fixture(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct task *t;
	char *body, *cause = NULL;
	size_t len;

	body = testlib_read_file("../shared/fixtures/gaussdb-tasks.json", &len);
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_null(cause);
	assert_int_equal(l.n, 2);

	t = &l.v[0];
	assert_string_equal(t->id, "03bc055a-135c-4245-8bd8-b0bc6d3350b3");
	assert_string_equal(t->type, "CreateGaussDBV5Instance");
	assert_string_equal(
	    t->cluster_id, "ce2dce50f365430abe161bab79495a6ein14");
	assert_string_equal(t->cluster_name, "gauss-6568-zzh");
	assert_int_equal(t->state, TASK_FAILED);
	assert_string_equal(t->raw_status, "Failed");
	assert_int_equal(t->progress, TASK_PROGRESS_NONE);
	assert_true(t->started_at == TASK_TIME_NONE);
	assert_true(t->ended_at == TASK_TIME_NONE);
	assert_string_equal(t->reason, "ECS云服务器处理异常。");
	assert_string_equal(t->detail, "{\"instance_status\":\"creating\"}");

	t = &l.v[1];
	assert_string_equal(t->id, "2cc16e0b-75ab-4a28-9453-16517e990bba");
	assert_string_equal(t->type, "DeleteGaussDBV5Instance");
	assert_string_equal(
	    t->cluster_id, "20ba433bd7ee40da9cf35064f04f9e4cin14");
	assert_string_equal(t->cluster_name, "gauss-7875-lt-m");
	assert_int_equal(t->state, TASK_SUCCEEDED);
	assert_string_equal(t->raw_status, "Completed");
	assert_int_equal(t->progress, TASK_PROGRESS_NONE);
	assert_null(t->reason);
	assert_string_equal(t->detail, "{\"instance_status\":\"deleted\"}");

	assert_true(cur.done);
	assert_int_equal(cur.total, 2);
	assert_int_equal(cur.offset, 2);
	task_list_clear(&l);
	free(body);
}

struct test_word {
	const char *status;
	enum task_state state;
	const char *process; /* JSON */
	int progress;
};

/* Status words and progress spellings. */
static void
test_statuses(void **state)
{
	static const struct test_word cases[] = {
		{ "Running", TASK_RUNNING, "\"45%\"", 45 },
		{ "Running", TASK_RUNNING, "\"45\"", 45 },
		{ "Running", TASK_RUNNING, "45", 45 },
		{ "Running", TASK_RUNNING, "\"45.9%\"", 45 },
		{ "Completed", TASK_SUCCEEDED, "\"100%\"", 100 },
		{ "Failed", TASK_FAILED, "null", TASK_PROGRESS_NONE },
		{ "Pending", TASK_PENDING, "\"\"", TASK_PROGRESS_NONE },
		{ "Canceled", TASK_CANCELLED, "\"x\"", TASK_PROGRESS_NONE },
		{ "Cancelled", TASK_CANCELLED, "[]", TASK_PROGRESS_NONE },
		{ "Frozen", TASK_UNKNOWN, "\"250%\"", 100 },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char body[512], *cause;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		    "{\"total_count\":1,\"tasks\":[{\"job_id\":\"j\","
		    "\"status\":\"%s\",\"process\":%s,\"fail_reason\":\"\","
		    "\"instance_info\":{\"instance_id\":\"i\"},"
		    "\"extra\":1}]}",
		    cases[i].status, cases[i].process);
		assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].state, cases[i].state);
		assert_string_equal(l.v[0].raw_status, cases[i].status);
		if (l.v[0].progress != cases[i].progress)
			fail_msg("case %zu: progress %d, want %d", i,
			    l.v[0].progress, cases[i].progress);
		assert_null(l.v[0].reason);
		assert_string_equal(l.v[0].cluster_id, "i");
		assert_null(l.v[0].cluster_name);
		assert_string_equal(l.v[0].detail, "{\"extra\":1}");
		task_list_clear(&l);
	}
}

struct test_time {
	const char *json;
	int64_t want;
};

/* created_at / ended_at: epoch ms or s, numeric strings, dates, junk. */
static void
test_times(void **state)
{
	static const struct test_time cases[] = {
		{ "1747645200000", 1747645200 },
		{ "1747645200999", 1747645200 },
		{ "\"1747645200000\"", 1747645200 },
		{ "1747645200", 1747645200 },
		{ "\"1747645200\"", 1747645200 },
		{ "1.7476452e12", 1747645200 },
		{ "\"2025-05-19T09:00:00+0000\"", 1747645200 },
		{ "\"2025-05-19T17:00:00+08:00\"", 1747645200 },
		{ "\"2025-05-19 10:00:00\"", 1747645200 }, /* +01:00 watch */
		{ "\"2025-05-19T09:00:00Z\"", 1747645200 },
		{ "0", TASK_TIME_NONE },
		{ "12", TASK_TIME_NONE },
		{ "-1747645200000", TASK_TIME_NONE },
		{ "1747645200000.5", TASK_TIME_NONE },
		{ "99999999999999999999", TASK_TIME_NONE },
		{ "253402300800000", TASK_TIME_NONE },
		{ "\"\"", TASK_TIME_NONE },
		{ "\"soon\"", TASK_TIME_NONE },
		{ "\"17476452OO000\"", TASK_TIME_NONE },
		{ "null", TASK_TIME_NONE },
		{ "true", TASK_TIME_NONE },
		{ "{}", TASK_TIME_NONE },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char body[256], *cause;
	size_t i;

	env->watch.timezone_offset_s = 3600;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		    "{\"total_count\":1,\"tasks\":[{\"job_id\":\"j\","
		    "\"created_at\":%s,\"ended_at\":%s}]}",
		    cases[i].json, cases[i].json);
		assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
		assert_int_equal(l.n, 1);
		if (l.v[0].started_at != cases[i].want ||
		    l.v[0].ended_at != cases[i].want)
			fail_msg("case %zu (%s): %lld / %lld, want %lld", i,
			    cases[i].json, (long long)l.v[0].started_at,
			    (long long)l.v[0].ended_at,
			    (long long)cases[i].want);
		assert_null(l.v[0].detail);
		task_list_clear(&l);
	}
	env->watch.timezone_offset_s = 0;
}

struct test_hostile {
	const char *body;
	int rc;
	size_t ntasks;
};

/* Bodies meant to hurt: an error or skipped tasks, never a crash. */
static void
test_hostile(void **state)
{
	static const struct test_hostile cases[] = {
		{ "", -1, 0 },
		{ "null", -1, 0 },
		{ "[]", -1, 0 },
		{ "{}", 0, 0 },
		{ "{\"tasks\":null,\"total_count\":0}", 0, 0 },
		{ "{\"tasks\":null,\"total_count\":2}", -1, 0 },
		{ "{\"total_count\":1}", -1, 0 },
		{ "{\"tasks\":\"x\"}", -1, 0 },
		{ "{\"tasks\":{}}", -1, 0 },
		{ "{\"tasks\":{},\"total_count\":0}", -1, 0 },
		{ "{\"tasks\":[],\"total_count\":\"abc\"}", -1, 0 },
		{ "{\"tasks\":[],\"total_count\":-5}", -1, 0 },
		{ "{\"tasks\":[],\"total_count\":{}}", -1, 0 },
		{ "{\"tasks\":[],\"total_count\":1e300}", -1, 0 },
		{ "{\"tasks\":[],\"total_count\":null}", 0, 0 },
		{ "{\"tasks\":[1,\"x\",null,[],{},{\"job_id\":5},"
		  "{\"job_id\":\"\"},{\"id\":\"wrong key\"}],"
		  "\"total_count\":8}",
		    0, 0 },
		{ "{\"tasks\":[{\"job_id\":\"a\",\"name\":5,"
		  "\"instance_info\":\"x\",\"status\":true,\"process\":{},"
		  "\"fail_reason\":7,\"created_at\":[],\"ended_at\":null}],"
		  "\"total_count\":1}",
		    0, 1 },
		{ "{\"tasks\":[{\"job_id\":\"a\",\"instance_info\":{"
		  "\"instance_id\":5,\"instance_name\":[],"
		  "\"instance_status\":{\"x\":[1]}}}],\"total_count\":1}",
		    0, 1 },
		{ "{\"tasks\":[{\"job_id\":\"a\",\"instance_info\":null}],"
		  "\"total_count\":1}",
		    0, 1 },
		{ "{\"tasks\":[{\"job_id\":\"a\"}],"
		  "\"total_count\":9223372036854775808}",
		    -1, 0 },
		{ "{\"tasks\":[{\"job_id\":\"\xff\"}],\"total_count\":1}", -1,
		    0 },
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
}

/* Wrong types leave safe defaults. */
static void
test_wrong_types(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;

	assert_int_equal(
	    testlib_parse(env,
		"{\"tasks\":[{\"job_id\":\"a\",\"name\":5,"
		"\"instance_info\":{\"instance_id\":5,\"instance_name\":[],"
		"\"instance_status\":null},\"status\":true,\"process\":{},"
		"\"fail_reason\":7,\"created_at\":[],\"ended_at\":null}],"
		"\"total_count\":1}",
		&l, &cur, &cause),
	    0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "a");
	assert_string_equal(l.v[0].type, "");
	assert_string_equal(l.v[0].cluster_id, "");
	assert_null(l.v[0].cluster_name);
	assert_string_equal(l.v[0].raw_status, "");
	assert_int_equal(l.v[0].state, TASK_UNKNOWN);
	assert_int_equal(l.v[0].progress, TASK_PROGRESS_NONE);
	assert_null(l.v[0].reason);
	assert_true(l.v[0].started_at == TASK_TIME_NONE);
	assert_true(l.v[0].ended_at == TASK_TIME_NONE);
	assert_string_equal(l.v[0].detail, "{\"instance_status\":null}");
	task_list_clear(&l);
}

/* A page of n tasks with ids starting at first. */
static char *
test_page(size_t first, size_t n, long total)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "{\"tasks\":[");
	for (i = 0; i < n; i++)
		buf_printf(&b,
		    "%s{\"job_id\":\"j%zu\",\"status\":\"Completed\"}",
		    i ? "," : "", first + i);
	buf_puts(&b, "]");
	if (total >= 0)
		buf_printf(&b, ",\"total_count\":%ld", total);
	buf_puts(&b, "}");
	return buf_release(&b);
}

/* The expected listing request for an offset. */
static void
test_assert_list_req(
    struct testlib_env *env, struct provider_cursor *cur, uint64_t offset)
{
	struct testlib_req req;
	char *cause = NULL, want[256];

	memset(&req, 0xa5, sizeof(req));
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, cur, &req, &cause), 0);
	snprintf(want, sizeof(want),
	    "/v3/proj/tasks?start_time=1747040400000&end_time=1747645200000&"
	    "offset=%llu&limit=100",
	    (unsigned long long)offset);
	assert_string_equal(req.path_query, want);
	assert_string_equal(req.service, "gaussdb");
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.headers[0], "Accept: application/json");
	assert_string_equal(req.headers[1], "X-Language: en-us");
	assert_null(req.headers[2]);
	testlib_req_clear(&req);
}

/* Three pages: offsets 0, 100, 200, done after the last. */
static void
test_paging(void **state)
{
	static const size_t sizes[] = { 100, 100, 50 };
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause = NULL;
	size_t i;

	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < 3; i++) {
		assert_false(cur.done);
		assert_int_equal(cur.offset, i * 100);
		test_assert_list_req(env, &cur, i * 100);
		body = test_page(i * 100, sizes[i], 250);
		assert_int_equal(env->p->list_parse(&env->ctx, 200, body,
				     strlen(body), &l, &cur, &cause),
		    0);
		free(body);
		assert_int_equal(cur.done, i == 2);
	}
	assert_int_equal(l.n, 250);
	assert_string_equal(l.v[249].id, "j249");
	task_list_clear(&l);

	/* an empty page ends it, whatever the total says */
	memset(&cur, 0, sizeof(cur));
	body = test_page(0, 0, 500);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);

	/* no total: a short page ends it */
	memset(&cur, 0, sizeof(cur));
	body = test_page(0, 100, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_false(cur.done);
	body = test_page(100, 1, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);
	task_list_clear(&l);

	/* a runaway server stops past offset 100000 */
	memset(&cur, 0, sizeof(cur));
	cur.offset = 99950;
	body = test_page(0, 100, 1000000000);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);
	task_list_clear(&l);
}

/*
 * The SDK marks the tasks array optional: left out (or null) it is an
 * empty page that ends the listing while total_count is missing or 0; with
 * rows announced, or with the wrong type, it is an error.
 */
static void
test_missing_list(void **state)
{
	static const char *const empty[] = { "{}", "{\"total_count\":0}",
		"{\"total_count\":null}", "{\"total_count\":\"0\"}",
		"{\"tasks\":null}", "{\"tasks\":null,\"total_count\":0}" };
	static const char *const refused[] = { "{\"total_count\":1}",
		"{\"total_count\":\"7\"}", "{\"tasks\":null,\"total_count\":3}",
		"{\"tasks\":{}}", "{\"tasks\":\"x\"}",
		"{\"tasks\":{},\"total_count\":0}",
		"{\"tasks\":5,\"total_count\":0}", "{\"total_count\":-1}" };
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause;
	size_t i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		if (testlib_parse(env, empty[i], &l, &cur, &cause) != 0)
			fail_msg("%s: %s", empty[i], cause ? cause : "?");
		assert_null(cause);
		assert_int_equal(l.n, 0);
		assert_true(cur.done);
		assert_int_equal(cur.offset, 0);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (testlib_parse(env, refused[i], &l, &cur, &cause) != -1)
			fail_msg("%s: accepted", refused[i]);
		assert_non_null(cause);
		assert_int_equal(l.n, 0);
		free(cause);
	}
	assert_int_equal(
	    testlib_parse(env, "{\"total_count\":1}", &l, &cur, &cause), -1);
	assert_string_equal(cause,
	    "GaussDB response has no tasks array but a total_count of 1");
	free(cause);
	assert_int_equal(
	    testlib_parse(env, "{\"tasks\":{}}", &l, &cur, &cause), -1);
	assert_string_equal(cause, "GaussDB response's tasks is not an array");
	free(cause);

	/* a full page without total_count, then nothing: the listing ends */
	body = test_page(0, 100, -1);
	assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
	free(body);
	assert_false(cur.done);
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, "{}", 2, &l, &cur, &cause), 0);
	assert_true(cur.done);
	assert_int_equal(cur.seen, 100);
	assert_int_equal(l.n, 100);
	task_list_clear(&l);

	/*
	 * Past the end of a list that shrank while its pages were read: no
	 * row from offset 100 on, so nothing is missing; rows there are.
	 */
	memset(&cur, 0, sizeof(cur));
	cur.offset = cur.seen = 100;
	assert_int_equal(env->p->list_parse(&env->ctx, 200,
			     "{\"total_count\":90}", 18, &l, &cur, &cause),
	    0);
	assert_true(cur.done);
	assert_int_equal(l.n, 0);
	memset(&cur, 0, sizeof(cur));
	cur.offset = cur.seen = 100;
	assert_int_equal(env->p->list_parse(&env->ctx, 200,
			     "{\"total_count\":101}", 19, &l, &cur, &cause),
	    -1);
	free(cause);
}

/* The listing request: window in ms, encoding, missing project. */
static void
test_list_req(void **state)
{
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	test_assert_list_req(env, &cur, 0);

	env->watch.lookback_ms = 3600 * 1000;
	env->ctx.now_ms = TEST_NOW_MS + 999;
	env->acct.project_id = "a/b?c";
	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), 0);
	assert_string_equal(req.path_query,
	    "/v3/a%2Fb%3Fc/tasks?start_time=1747641600999&"
	    "end_time=1747645200999&offset=0&limit=100");
	testlib_req_clear(&req);
	env->watch.lookback_ms = TEST_7D_MS;
	env->ctx.now_ms = TEST_NOW_MS;

	env->acct.project_id = "";
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_non_null(strstr(cause, "project_id"));
	free(cause);
	env->acct.project_id = "proj";
}

/* The lookup request. */
static void
test_lookup_req(void **state)
{
	struct testlib_env *env = *state;
	struct testlib_req req;
	struct task t;
	char *cause = NULL;

	task_init(&t);
	t.id = "03bc055a-135c-4245-8bd8-b0bc6d3350b3";
	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), 0);
	assert_string_equal(req.path_query,
	    "/v3/proj/jobs?id=03bc055a-135c-4245-8bd8-b0bc6d3350b3");
	assert_string_equal(req.service, "gaussdb");
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.headers[0], "Accept: application/json");
	assert_string_equal(req.headers[1], "X-Language: en-us");
	assert_null(req.headers[2]);
	testlib_req_clear(&req);

	t.id = "a b&c";
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), 0);
	assert_string_equal(req.path_query, "/v3/proj/jobs?id=a%20b%26c");
	testlib_req_clear(&req);

	t.id = "";
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), -1);
	free(cause);
}

/* X-Language is signed like every other header, list and lookup alike. */
static void
test_language_signed(void **state)
{
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	struct sign_debug dbg;
	struct task t;
	char *cause = NULL;
	int i;

	task_init(&t);
	t.id = "j1";
	for (i = 0; i < 2; i++) {
		memset(&cur, 0, sizeof(cur));
		memset(&dbg, 0, sizeof(dbg));
		if (i == 0)
			assert_int_equal(testlib_list_req(env->p, &env->ctx,
					     &cur, &req, &cause),
			    0);
		else
			assert_int_equal(testlib_lookup_req(env->p, &env->ctx,
					     &t, &req, &cause),
			    0);
		sign_req_set_host(req.sreq, "gaussdb.example.com");
		assert_int_equal(
		    sign_huawei(req.sreq, "ak", "sk", 1747645200, &dbg), 0);
		assert_non_null(strstr(dbg.canonical,
		    "\nx-language:en-us\nx-sdk-date:20250519T090000Z\n\n"
		    "accept;host;x-language;x-sdk-date\n"));
		assert_non_null(
		    strstr(sign_req_header(req.sreq, "Authorization"),
			" SignedHeaders=accept;host;x-language;x-sdk-date, "));
		sign_debug_clear(&dbg);
		testlib_req_clear(&req);
	}
}

struct test_lookup {
	long status;
	const char *body;
	int rc;
	int found;
};

/* Lookup answers: found, gone, and inconclusive. */
static void
test_lookup_parse(void **state)
{
	static const struct test_lookup cases[] = {
		{ 404, "{\"error_code\":\"DBS.280011\"}", 0, 0 },
		{ 404, "", 0, 0 },
		{ 404, "{\"error_code\":\"APIG.0101\"}", -1, 0 },
		{ 200, "{\"job\":null}", 0, 0 },
		{ 200, "{}", 0, 0 },
		{ 200, "{\"job\":{\"name\":\"x\"}}", -1, 0 },
		{ 200, "junk", -1, 0 },
		{ 500, "", -1, 0 },
		{ 429, "{\"error_code\":\"APIG.0308\"}", -1, 0 },
		{ 200, "{\"job\":{\"id\":\"x\"}}", 0, 1 },
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
			fail_msg(
			    "case %zu: rc %d, want %d", i, rc, cases[i].rc);
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

/* A found job is mapped from the lookup's field names; times lenient. */
static void
test_lookup_found(void **state)
{
	struct testlib_env *env = *state;
	struct task t;
	char *cause = NULL;
	int found = 0;
	const char *body =
	    "{\"job\":{\"id\":\"j1\",\"name\":\"RestoreGaussDBV5InInstance\","
	    "\"status\":\"Running\",\"created\":1747645200000,"
	    "\"ended\":null,\"progress\":\"30%\","
	    "\"instance\":{\"id\":\"inst1\",\"name\":\"gauss-a\"},"
	    "\"fail_reason\":null}}";

	task_init(&t);
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	assert_int_equal(found, 1);
	assert_string_equal(t.id, "j1");
	assert_string_equal(t.type, "RestoreGaussDBV5InInstance");
	assert_string_equal(t.cluster_id, "inst1");
	assert_string_equal(t.cluster_name, "gauss-a");
	assert_int_equal(t.state, TASK_RUNNING);
	assert_int_equal(t.progress, 30);
	assert_int_equal(t.started_at, 1747645200);
	assert_true(t.ended_at == TASK_TIME_NONE);
	assert_null(t.reason);
	assert_null(t.detail);
	task_clear(&t);
}

/* A listing the table already holds comes back as keys and digests. */
static void
test_unchanged(void **state)
{
	struct testlib_env *env = *state;

	testlib_check_unchanged(env, "gaussdb-tasks.json");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_missing_list),
		cmocka_unit_test(test_list_req),
		cmocka_unit_test(test_lookup_req),
		cmocka_unit_test(test_language_signed),
		cmocka_unit_test(test_lookup_parse),
		cmocka_unit_test(test_lookup_found),
		cmocka_unit_test(test_unchanged),
	};

	return cmocka_run_group_tests(tests, test_setup, testlib_teardown);
}
