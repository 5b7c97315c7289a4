/*
 * Unit tests for the dds.jobs provider: the vendor's example body, field
 * mapping, hostile bodies, paging across pages, the exact request, and the
 * single-job lookup.
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
#define TEST_7D_MS (7ULL * 86400 * 1000)

/* A hand-filled account and watch for dds.jobs. */
static int
test_setup(void **state)
{
	struct testlib_env *env =
	    testlib_env_new(CONFIG_API_DDS_JOBS, "dds", "0123456789abcdef");

	env->watch.lookback_ms = TEST_7D_MS;
	*state = env;
	return 0;
}

/* The vendor's example body gives exactly one fully mapped task. */
static void
test_fixture(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	struct task *t;
	char *body, *cause = NULL;
	size_t len;

	body = testlib_read_file("../shared/fixtures/dds-jobs.json", &len);
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 200, body, len, &l, &cur, &cause), 0);
	assert_null(cause);
	assert_int_equal(l.n, 1);
	t = &l.v[0];
	assert_string_equal(t->id, "2f406db7-bdc4-402f-9dc4-2c1b094a5f93");
	assert_string_equal(t->type, "RestartReplicaSetInstance");
	assert_string_equal(
	    t->cluster_id, "1f311e6a299345d7bbc878874844e233in02");
	assert_string_equal(t->cluster_name, "dds-6be2-fwyrestore");
	assert_int_equal(t->state, TASK_SUCCEEDED);
	assert_string_equal(t->raw_status, "Completed");
	assert_int_equal(t->progress, TASK_PROGRESS_NONE);
	assert_int_equal(t->started_at, 1662359054); /* 06:24:14Z */
	assert_int_equal(t->ended_at, 1662359143);   /* 06:25:43Z */
	assert_null(t->reason);
	assert_null(t->detail);
	/* no total_count in the example: a short page ends the listing */
	assert_int_equal(cur.done, 1);
	assert_int_equal(cur.offset, 1);
	assert_int_equal(cur.seen, 1);
	task_list_clear(&l);
	free(body);
}

/* Running with progress, failed with a reason, unknown word, extras. */
static void
test_jobs(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;
	const char *body =
	    "{\"total_count\":4,\"jobs\":["
	    "{\"id\":\"r1\",\"name\":\"RestartInstance\","
	    "\"status\":\"Running\",\"progress\":\"60%\","
	    "\"instance_id\":\"i1\",\"instance_name\":\"n1\","
	    "\"created_at\":\"2025-05-19T08:00:00+0000\",\"ended_at\":\"\","
	    "\"fail_reason\":\"\"},"
	    "{\"id\":\"f1\",\"name\":\"EnlargeMongoDBVolume\","
	    "\"status\":\"Failed\",\"progress\":\"\",\"instance_id\":\"i2\","
	    "\"fail_reason\":\"Insufficient quota\","
	    "\"created_at\":\"2025-05-19T08:00:00+0800\","
	    "\"ended_at\":\"2025-05-19 08:30:00\"},"
	    "{\"id\":\"u1\",\"name\":\"SwitchPrimary\",\"status\":\"Frobbing\","
	    "\"progress\":null,\"extra\":{\"a\":[1,true]},\"zz\":\"y\"},"
	    "{\"id\":\"p1\",\"status\":\"Pending\",\"progress\":\"0%\"}"
	    "]}";

	env->watch.timezone_offset_s = 3600;
	assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
	assert_int_equal(l.n, 4);

	assert_string_equal(l.v[0].id, "r1");
	assert_int_equal(l.v[0].state, TASK_RUNNING);
	assert_string_equal(l.v[0].raw_status, "Running");
	assert_int_equal(l.v[0].progress, 60);
	assert_string_equal(l.v[0].cluster_id, "i1");
	assert_string_equal(l.v[0].cluster_name, "n1");
	assert_int_equal(l.v[0].started_at, 1747641600);
	assert_true(l.v[0].ended_at == TASK_TIME_NONE);
	assert_null(l.v[0].reason);
	assert_null(l.v[0].detail);

	assert_int_equal(l.v[1].state, TASK_FAILED);
	assert_string_equal(l.v[1].reason, "Insufficient quota");
	assert_null(l.v[1].cluster_name);
	assert_int_equal(l.v[1].progress, TASK_PROGRESS_NONE);
	assert_int_equal(l.v[1].started_at, 1747641600 - 8 * 3600);
	/* a zone-less time is taken at the watch's offset */
	assert_int_equal(l.v[1].ended_at, 1747643400 - 3600);

	assert_int_equal(l.v[2].state, TASK_UNKNOWN);
	assert_string_equal(l.v[2].raw_status, "Frobbing");
	assert_int_equal(l.v[2].progress, TASK_PROGRESS_NONE);
	assert_string_equal(l.v[2].cluster_id, "");
	assert_null(l.v[2].cluster_name);
	assert_string_equal(
	    l.v[2].detail, "{\"extra\":{\"a\":[1,true]},\"zz\":\"y\"}");

	assert_int_equal(l.v[3].state, TASK_PENDING);
	assert_int_equal(l.v[3].progress, 0);
	assert_string_equal(l.v[3].type, "");
	assert_true(l.v[3].started_at == TASK_TIME_NONE);

	assert_int_equal(cur.done, 1);
	assert_int_equal(cur.total, 4);
	task_list_clear(&l);
	env->watch.timezone_offset_s = 0;
}

struct test_progress {
	const char *json;
	int want;
};

/* Every progress spelling, and garbage. */
static void
test_progress(void **state)
{
	static const struct test_progress cases[] = {
		{ "\"60%\"", 60 },
		{ "\"60\"", 60 },
		{ "\"60.5%\"", 60 },
		{ "\"100%\"", 100 },
		{ "\"0%\"", 0 },
		{ "\"150%\"", 100 },
		{ "\"-5%\"", 0 },
		{ "\"99999999999999999999999%\"", 100 },
		{ "\" 42 % \"", 42 },
		{ "42", 42 },
		{ "42.9", 42 },
		{ "-3", 0 },
		{ "1e300", 100 },
		{ "\"\"", TASK_PROGRESS_NONE },
		{ "null", TASK_PROGRESS_NONE },
		{ NULL, TASK_PROGRESS_NONE },
		{ "\"abc\"", TASK_PROGRESS_NONE },
		{ "\"%\"", TASK_PROGRESS_NONE },
		{ "\"60%%\"", TASK_PROGRESS_NONE },
		{ "\"60%x\"", TASK_PROGRESS_NONE },
		{ "\"6 0\"", TASK_PROGRESS_NONE },
		{ "\"60.\"", TASK_PROGRESS_NONE },
		{ "\".5\"", TASK_PROGRESS_NONE },
		{ "true", TASK_PROGRESS_NONE },
		{ "[60]", TASK_PROGRESS_NONE },
		{ "{\"p\":60}", TASK_PROGRESS_NONE },
	};
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char body[256], *cause;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].json != NULL)
			snprintf(body, sizeof(body),
			    "{\"total_count\":1,"
			    "\"jobs\":[{\"id\":\"x\",\"progress\":%s}]}",
			    cases[i].json);
		else
			snprintf(body, sizeof(body),
			    "{\"total_count\":1,"
			    "\"jobs\":[{\"id\":\"x\"}]}");
		assert_int_equal(testlib_parse(env, body, &l, &cur, &cause), 0);
		assert_int_equal(l.n, 1);
		if (l.v[0].progress != cases[i].want)
			fail_msg("progress %s: got %d, want %d",
			    cases[i].json ? cases[i].json : "(absent)",
			    l.v[0].progress, cases[i].want);
		task_list_clear(&l);
	}
}

struct test_hostile {
	const char *body;
	int rc;        /* list_parse result */
	size_t ntasks; /* when rc is 0 */
};

/* Bodies meant to hurt: an error or skipped jobs, never a crash. */
static void
test_hostile(void **state)
{
	static const struct test_hostile cases[] = {
		{ "", -1, 0 },
		{ "   ", -1, 0 },
		{ "null", -1, 0 },
		{ "[]", -1, 0 },
		{ "\"jobs\"", -1, 0 },
		{ "42", -1, 0 },
		{ "{}", 0, 0 },
		{ "{\"jobs\":null,\"total_count\":0}", 0, 0 },
		{ "{\"jobs\":null,\"total_count\":2}", -1, 0 },
		{ "{\"total_count\":1}", -1, 0 },
		{ "{\"jobs\":\"x\"}", -1, 0 },
		{ "{\"jobs\":{}}", -1, 0 },
		{ "{\"jobs\":{},\"total_count\":0}", -1, 0 },
		{ "{\"jobs\":\"[]\",\"total_count\":0}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":\"abc\"}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":-5}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":1.5}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":1e300}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":"
		  "99999999999999999999999999}",
		    -1, 0 },
		{ "{\"jobs\":[],\"total_count\":[1]}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":{}}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":true}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":0} trailing", -1, 0 },
		{ "{\"jobs\":[{\"id\":\"a\"}", -1, 0 },
		{ "{\"jobs\":[{\"id\":\"a\"}],}", -1, 0 },
		{ "{\"jobs\":[],\"total_count\":\"3\"}", 0, 0 },
		{ "{\"jobs\":[],\"total_count\":null}", 0, 0 },
		{ "{\"jobs\":[1,\"x\",null,true,[],{},{\"id\":5},{\"id\":\"\"},"
		  "{\"id\":null},{\"id\":[\"a\"]},{\"id\":{\"x\":1}}],"
		  "\"total_count\":11}",
		    0, 0 },
		{ "{\"jobs\":[7,{\"id\":\"ok\"},\"z\"],\"total_count\":3}", 0,
		    1 },
		{ "{\"jobs\":[{\"id\":\"a\",\"name\":5,\"instance_id\":[],"
		  "\"instance_name\":{},\"status\":true,\"progress\":{},"
		  "\"fail_reason\":7,\"created_at\":12,\"ended_at\":null}],"
		  "\"total_count\":1}",
		    0, 1 },
		{ "{\"jobs\":[{\"id\":\"a\","
		  "\"created_at\":\"9999-99-99T99:99:99+9999\","
		  "\"ended_at\":\"2022-09-05T06:24:14+0000junk\","
		  "\"status\":\"\"}],\"total_count\":1}",
		    0, 1 },
		{ "{\"jobs\":[{\"id\":\"a\\u0000b\","
		  "\"status\":\"Run\\u0000\"}],"
		  "\"total_count\":1}",
		    0, 1 },
		{ "{\"jobs\":[{\"id\":\"a\"}],"
		  "\"total_count\":9223372036854775807}",
		    0, 1 },
		{ "{\"jobs\":[{\"id\":\"a\"}],"
		  "\"total_count\":9223372036854775808}",
		    -1, 0 },
		{ "{\"jobs\":[{\"id\":\"a\"}],\"total_count\":-1}", -1, 0 },
		{ "{\"jobs\":[{\"id\":\"\xff\xfe\"}],\"total_count\":1}", -1,
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
			assert_int_equal(l.n, 0);
			free(cause);
			continue;
		}
		assert_null(cause);
		if (l.n != cases[i].ntasks)
			fail_msg("case %zu: %zu tasks, want %zu", i, l.n,
			    cases[i].ntasks);
		for (j = 0; j < l.n; j++) {
			/* every record is safe to print */
			assert_non_null(l.v[j].id);
			assert_non_null(l.v[j].type);
			assert_non_null(l.v[j].cluster_id);
			assert_non_null(l.v[j].raw_status);
		}
		task_list_clear(&l);
	}
}

/* Typed nonsense in every field leaves safe defaults. */
static void
test_wrong_types(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *cause;

	assert_int_equal(
	    testlib_parse(env,
		"{\"jobs\":[{\"id\":\"a\",\"name\":5,"
		"\"instance_id\":[],\"instance_name\":{},\"status\":true,"
		"\"progress\":{},\"fail_reason\":7,\"created_at\":12,"
		"\"ended_at\":null}],\"total_count\":1}",
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
	assert_null(l.v[0].detail);
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

	/* deep everywhere */
	buf_init(&b, 0);
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	assert_int_equal(testlib_parse(env, buf_str(&b), &l, &cur, &cause), -1);
	free(cause);
	buf_free(&b);

	/* deep inside an unknown field of a job */
	buf_init(&b, 0);
	buf_puts(&b, "{\"total_count\":1,\"jobs\":[{\"id\":\"a\",\"x\":");
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "{\"k\":");
	buf_puts(&b, "1");
	for (i = 0; i < 1000; i++)
		buf_putc(&b, '}');
	buf_puts(&b, "}]}");
	assert_int_equal(testlib_parse(env, buf_str(&b), &l, &cur, &cause), -1);
	free(cause);
	buf_free(&b);

	/* deep but within the limit is kept in detail */
	buf_init(&b, 0);
	buf_puts(&b, "{\"total_count\":1,\"jobs\":[{\"id\":\"a\",\"x\":");
	for (i = 0; i < 50; i++)
		buf_puts(&b, "[");
	for (i = 0; i < 50; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "}]}");
	assert_int_equal(testlib_parse(env, buf_str(&b), &l, &cur, &cause), 0);
	assert_int_equal(l.n, 1);
	assert_non_null(l.v[0].detail);
	assert_int_equal(strlen(l.v[0].detail), 5 + 100 + 1);
	task_list_clear(&l);
	buf_free(&b);
}

/* A page of n jobs with ids starting at first. */
static char *
test_page(size_t first, size_t n, long total)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "{\"jobs\":[");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s{\"id\":\"j%zu\",\"status\":\"Completed\"}",
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
	    "/v3.1/0123456789abcdef/jobs?"
	    "start_time=2025-05-12T09%%3A00%%3A00%%2B0000&"
	    "end_time=2025-05-19T09%%3A00%%3A00%%2B0000&offset=%llu&limit=100",
	    (unsigned long long)offset);
	assert_string_equal(req.path_query, want);
	assert_string_equal(req.service, "dds");
	assert_string_equal(req.method, "GET");
	testlib_req_clear(&req);
}

/* Three pages: offsets 0, 100, 200, done after the last. */
static void
test_paging(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause = NULL;
	size_t i;
	static const size_t sizes[] = { 100, 100, 50 };

	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < 3; i++) {
		assert_false(cur.done);
		assert_int_equal(cur.scope, 0);
		assert_int_equal(cur.offset, i * 100);
		test_assert_list_req(env, &cur, i * 100);
		body = test_page(i * 100, sizes[i], 250);
		assert_int_equal(env->p->list_parse(&env->ctx, 200, body,
				     strlen(body), &l, &cur, &cause),
		    0);
		free(body);
		assert_int_equal(cur.total, 250);
		assert_int_equal(cur.done, i == 2);
	}
	assert_int_equal(cur.seen, 250);
	assert_int_equal(cur.offset, 250);
	assert_int_equal(l.n, 250);
	assert_string_equal(l.v[0].id, "j0");
	assert_string_equal(l.v[249].id, "j249");
	task_list_clear(&l);
}

/* Ends: an empty page, a short page without total, a runaway server. */
static void
test_paging_ends(void **state)
{
	struct testlib_env *env = *state;
	struct task_list l = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause = NULL;

	/* total says more, but the server has nothing: done */
	memset(&cur, 0, sizeof(cur));
	cur.offset = cur.seen = 100;
	body = test_page(0, 0, 500);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);

	/* no total_count: a full page goes on, a short one ends */
	memset(&cur, 0, sizeof(cur));
	body = test_page(0, 100, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_false(cur.done);
	assert_int_equal(cur.offset, 100);
	body = test_page(100, 3, -1);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);
	assert_int_equal(cur.seen, 103);
	task_list_clear(&l);

	/* a huge total and full pages forever: stop past offset 100000 */
	memset(&cur, 0, sizeof(cur));
	cur.offset = cur.seen = 99950;
	body = test_page(0, 100, 1000000000);
	assert_int_equal(env->p->list_parse(&env->ctx, 200, body, strlen(body),
			     &l, &cur, &cause),
	    0);
	free(body);
	assert_true(cur.done);
	task_list_clear(&l);

	/* a non-2xx answer is an error with the classifier's message */
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(
	    env->p->list_parse(&env->ctx, 400,
		"{\"error_code\":\"DBS.200001\",\"error_msg\":\"bad\"}", 45, &l,
		&cur, &cause),
	    -1);
	assert_string_equal(cause, "HTTP 400 DBS.200001: bad");
	free(cause);
}

/*
 * The SDK marks the jobs array optional: left out (or null) it is an
 * empty page that ends the listing while total_count is missing or 0; with
 * rows announced, or with the wrong type, it is an error.
 */
static void
test_missing_list(void **state)
{
	static const char *const empty[] = { "{}", "{\"total_count\":0}",
		"{\"total_count\":null}", "{\"total_count\":\"0\"}",
		"{\"jobs\":null}", "{\"jobs\":null,\"total_count\":0}" };
	static const char *const refused[] = { "{\"total_count\":1}",
		"{\"total_count\":\"7\"}", "{\"jobs\":null,\"total_count\":3}",
		"{\"jobs\":{}}", "{\"jobs\":\"x\"}",
		"{\"jobs\":{},\"total_count\":0}",
		"{\"jobs\":5,\"total_count\":0}", "{\"total_count\":-1}" };
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
	assert_string_equal(
	    cause, "DDS response has no jobs array but a total_count of 1");
	free(cause);
	assert_int_equal(
	    testlib_parse(env, "{\"jobs\":{}}", &l, &cur, &cause), -1);
	assert_string_equal(cause, "DDS response's jobs is not an array");
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

/* The listing request: window, encoding, headers, missing project. */
static void
test_list_req(void **state)
{
	struct testlib_env *env = *state;
	struct provider_cursor cur;
	struct testlib_req req;
	char *cause = NULL;

	memset(&cur, 0, sizeof(cur));
	test_assert_list_req(env, &cur, 0);

	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), 0);
	assert_string_equal(req.headers[0], "Accept: application/json");
	assert_null(req.headers[1]);
	testlib_req_clear(&req);

	/* a 1h lookback with a now that is not on a second */
	env->watch.lookback_ms = 3600 * 1000;
	env->ctx.now_ms = TEST_NOW_MS + 999;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), 0);
	assert_string_equal(req.path_query,
	    "/v3.1/0123456789abcdef/jobs?"
	    "start_time=2025-05-19T08%3A00%3A00%2B0000&"
	    "end_time=2025-05-19T09%3A00%3A00%2B0000&offset=0&limit=100");
	testlib_req_clear(&req);
	env->watch.lookback_ms = TEST_7D_MS;
	env->ctx.now_ms = TEST_NOW_MS;

	/* the project id cannot break out of the path */
	env->acct.project_id = "a/b?c";
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), 0);
	assert_memory_equal(req.path_query, "/v3.1/a%2Fb%3Fc/jobs?", 21);
	testlib_req_clear(&req);

	env->acct.project_id = NULL;
	assert_int_equal(
	    testlib_list_req(env->p, &env->ctx, &cur, &req, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "project_id"));
	free(cause);
	env->acct.project_id = "0123456789abcdef";
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
	t.id = "2f406db7-bdc4-402f-9dc4-2c1b094a5f93";
	memset(&req, 0, sizeof(req));
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), 0);
	assert_string_equal(req.path_query,
	    "/v3/0123456789abcdef/jobs?"
	    "id=2f406db7-bdc4-402f-9dc4-2c1b094a5f93");
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.service, "dds");
	testlib_req_clear(&req);

	t.id = "a b&c=d";
	assert_int_equal(
	    testlib_lookup_req(env->p, &env->ctx, &t, &req, &cause), 0);
	assert_string_equal(
	    req.path_query, "/v3/0123456789abcdef/jobs?id=a%20b%26c%3Dd");
	testlib_req_clear(&req);

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

/* Lookup answers: found, the many ways of gone, and errors. */
static void
test_lookup_parse(void **state)
{
	static const struct test_lookup cases[] = {
		{ 404,
		    "{\"error_code\":\"DBS.280011\",\"error_msg\":\"job not "
		    "found\"}",
		    0, 0 },
		{ 404, "", 0, 0 },
		{ 404,
		    "{\"error_code\":\"APIG.0101\",\"error_msg\":\"The API "
		    "does not exist or has not been published\"}",
		    -1, 0 },
		{ 200, "{\"job\":null}", 0, 0 },
		{ 200, "{}", 0, 0 },
		{ 200, "{\"job\":\"x\"}", 0, 0 },
		{ 200, "{\"job\":[]}", 0, 0 },
		{ 200, "{\"job\":{\"name\":\"x\"}}", -1, 0 },
		{ 200, "not json", -1, 0 },
		{ 200, "[]", -1, 0 },
		{ 200, "", -1, 0 },
		{ 500, "{\"error_code\":\"DBS.200001\"}", -1, 0 },
		{ 401, "{\"error_code\":\"APIG.0301\"}", -1, 0 },
		{ 429, "", -1, 0 },
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

/* A found job is mapped from the lookup's own field names. */
static void
test_lookup_found(void **state)
{
	struct testlib_env *env = *state;
	struct task t;
	char *cause = NULL;
	int found = 0;
	const char *body =
	    "{\"job\":{\"id\":\"2f40\","
	    "\"name\":\"RestartInstance\","
	    "\"status\":\"Failed\",\"created\":\"2022-09-05T06:24:14+0000\","
	    "\"ended\":\"2022-09-05T06:25:43+0000\",\"progress\":\"\","
	    "\"instance\":{\"id\":\"inst1\",\"name\":\"dds-a\"},"
	    "\"fail_reason\":\"boom\",\"owner\":\"me\"}}";
	const char *body500 = "{\"error_code\":\"DBS.200001\","
			      "\"error_msg\":\"internal\"}";

	task_init(&t);
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	assert_int_equal(found, 1);
	assert_string_equal(t.id, "2f40");
	assert_string_equal(t.type, "RestartInstance");
	assert_string_equal(t.cluster_id, "inst1");
	assert_string_equal(t.cluster_name, "dds-a");
	assert_int_equal(t.state, TASK_FAILED);
	assert_string_equal(t.raw_status, "Failed");
	assert_int_equal(t.progress, TASK_PROGRESS_NONE);
	assert_int_equal(t.started_at, 1662359054);
	assert_int_equal(t.ended_at, 1662359143);
	assert_string_equal(t.reason, "boom");
	assert_string_equal(t.detail, "{\"owner\":\"me\"}");
	task_clear(&t);

	/* 500: an error with the vendor's message, nothing found */
	found = -1;
	assert_int_equal(env->p->lookup_parse(&env->ctx, 500, body500,
			     strlen(body500), &found, &t, &cause),
	    -1);
	assert_string_equal(cause, "HTTP 500 DBS.200001: internal");
	free(cause);
}

/* A table that holds everything. */
static int
test_yes_cb(void *arg, const struct task *t)
{
	return 1;
}

/* The single-job lookup is always taken whole, whatever the table holds. */
static void
test_lookup_whole(struct testlib_env *env)
{
	const char *body = "{\"job\":{\"id\":\"j1\",\"name\":\"Restart\","
			   "\"status\":\"Running\",\"instance\":{\"id\":"
			   "\"i1\",\"name\":\"db\"}}}";
	char *cause = NULL;
	struct task t;
	int found = 0;

	env->ctx.known = test_yes_cb;
	task_init(&t);
	assert_int_equal(env->p->lookup_parse(&env->ctx, 200, body,
			     strlen(body), &found, &t, &cause),
	    0);
	env->ctx.known = NULL;
	assert_int_equal(found, 1);
	assert_int_equal(t.unchanged, 0);
	assert_string_equal(t.type, "Restart");
	assert_string_equal(t.raw_status, "Running");
	task_clear(&t);
}

/* A listing the table already holds comes back as keys and digests. */
static void
test_unchanged(void **state)
{
	struct testlib_env *env = *state;

	testlib_check_unchanged(env, "dds-jobs.json");
	test_lookup_whole(env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_paging_ends),
		cmocka_unit_test(test_missing_list),
		cmocka_unit_test(test_list_req),
		cmocka_unit_test(test_lookup_req),
		cmocka_unit_test(test_lookup_parse),
		cmocka_unit_test(test_lookup_found),
		cmocka_unit_test(test_unchanged),
	};

	return cmocka_run_group_tests(tests, test_setup, testlib_teardown);
}
