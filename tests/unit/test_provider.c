/*
 * Unit tests for the provider registry and the error classifier: every error
 * class, every error body shape, and messages that are capped, single-line
 * and valid UTF-8 whatever the body holds.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apierr.h"
#include "buf.h"
#include "api.h"
#include "config.h"
#include "json.h"
#include "provider.h"
#include "provider_impl.h"
#include "sign.h"

struct test_classify {
	long status;
	const char *body;
	enum apierr_class class;
	const char *msg;
};

static const struct test_classify test_classify_cases[] = {
	/* status alone */
	{ 401, "", APIERR_AUTH, "HTTP 401" },
	{ 403, "Forbidden", APIERR_AUTH, "HTTP 403: Forbidden" },
	{ 407, NULL, APIERR_AUTH, "HTTP 407" },
	{ 429, "Too Many Requests\n", APIERR_THROTTLED,
	    "HTTP 429: Too Many Requests" },
	{ 500, "", APIERR_HTTP, "HTTP 500" },
	{ 404, "not found", APIERR_HTTP, "HTTP 404: not found" },
	{ 502, "  <html>Bad Gateway</html>\r\n", APIERR_HTTP,
	    "HTTP 502: <html>Bad Gateway</html>" },
	/* Huawei shapes */
	{ 400, "{\"error_code\":\"DBS.200001\",\"error_msg\":\"bad param\"}",
	    APIERR_HTTP, "HTTP 400 DBS.200001: bad param" },
	{ 500, "{\"error\":{\"code\":\"DWS.0001\",\"message\":\"oops\"}}",
	    APIERR_HTTP, "HTTP 500 DWS.0001: oops" },
	{ 400,
	    "{\"error_code\":\"A.1\",\"error_msg\":\"first\","
	    "\"error\":{\"code\":\"B.2\",\"message\":\"second\"}}",
	    APIERR_HTTP, "HTTP 400 A.1: first" },
	{ 400,
	    "{\"error\":{\"code\":\"B.2\",\"message\":\"second\"},"
	    "\"error_code\":\"A.1\"}",
	    APIERR_HTTP, "HTTP 400 A.1: second" },
	{ 401,
	    "{\"error_code\":\"APIG.0301\",\"error_msg\":\"Incorrect IAM "
	    "authentication information: verify aksk signature fail\","
	    "\"request_id\":\"abc\"}",
	    APIERR_AUTH,
	    "HTTP 401 APIG.0301: Incorrect IAM authentication information: "
	    "verify aksk signature fail" },
	{ 400, "{\"error_code\":\"APIG.0301\"}", APIERR_AUTH,
	    "HTTP 400 APIG.0301" },
	{ 429, "{\"error_code\":\"APIG.0308\",\"error_msg\":\"throttled\"}",
	    APIERR_THROTTLED, "HTTP 429 APIG.0308: throttled" },
	{ 500, "{\"error_code\":\"APIG.0308\"}", APIERR_THROTTLED,
	    "HTTP 500 APIG.0308" },
	{ 404,
	    "{\"error_code\":\"APIG.0101\",\"error_msg\":\"The API does "
	    "not exist\"}",
	    APIERR_HTTP, "HTTP 404 APIG.0101: The API does not exist" },
	/* DWS.0015: wrong cluster or no permission; not an account lock-out */
	{ 403,
	    "{\"error_code\":\"DWS.0015\",\"error_msg\":\"The resource "
	    "does not exist or you have no permission\"}",
	    APIERR_HTTP,
	    "HTTP 403 DWS.0015: The resource does not exist or you have no "
	    "permission" },
	{ 403, "{\"error_code\":\"DWS.0001\"}", APIERR_AUTH,
	    "HTTP 403 DWS.0001" },
	/* Alibaba shapes */
	{ 400,
	    "{\"RequestId\":\"r\",\"HostId\":\"h\",\"Code\":"
	    "\"Throttling.User\",\"Message\":\"Request was denied due to user "
	    "flow control.\"}",
	    APIERR_THROTTLED,
	    "HTTP 400 Throttling.User: Request was denied due to user flow "
	    "control." },
	{ 400, "{\"Code\":\"Throttling\",\"Message\":\"x\"}", APIERR_THROTTLED,
	    "HTTP 400 Throttling: x" },
	{ 407, "{\"Code\":\"NotAuthorized\",\"Message\":\"no\"}", APIERR_AUTH,
	    "HTTP 407 NotAuthorized: no" },
	{ 407, "{\"Code\":\"EntityNotExist.Role\",\"Message\":\"role\"}",
	    APIERR_AUTH, "HTTP 407 EntityNotExist.Role: role" },
	{ 403, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"sig\"}",
	    APIERR_AUTH, "HTTP 403 SignatureDoesNotMatch: sig" },
	{ 400, "{\"Code\":\"IncompleteSignature\"}", APIERR_AUTH,
	    "HTTP 400 IncompleteSignature" },
	{ 404, "{\"Code\":\"InvalidAccessKeyId.NotFound\",\"Message\":\"k\"}",
	    APIERR_AUTH, "HTTP 404 InvalidAccessKeyId.NotFound: k" },
	{ 400, "{\"Code\":\"InvalidTimeStamp.Expired\"}", APIERR_AUTH,
	    "HTTP 400 InvalidTimeStamp.Expired" },
	{ 404, "{\"Code\":\"ClusterNotFound\",\"Message\":\"gone\"}",
	    APIERR_HTTP, "HTTP 404 ClusterNotFound: gone" },
	{ 406, "{\"Code\":\"DbError\"}", APIERR_HTTP, "HTTP 406 DbError" },
	{ 503, "{\"Code\":\"ServiceUnavailable\",\"Message\":\"later\"}",
	    APIERR_HTTP, "HTTP 503 ServiceUnavailable: later" },
	/* odd bodies */
	{ 500, "{not json", APIERR_HTTP, "HTTP 500: {not json" },
	{ 500, "{\"foo\":1}", APIERR_HTTP, "HTTP 500: {\"foo\":1}" },
	{ 500, "[1,2]", APIERR_HTTP, "HTTP 500: [1,2]" },
	{ 500, "{\"error_code\":7,\"error_msg\":[1]}", APIERR_HTTP,
	    "HTTP 500 7" },
	{ 500, "{\"error_code\":null,\"error_msg\":\"m\"}", APIERR_HTTP,
	    "HTTP 500: m" },
	{ 500, "{\"error\":\"flat\",\"Code\":{}}", APIERR_HTTP,
	    "HTTP 500: {\"error\":\"flat\",\"Code\":{}}" },
	{ 500, "{\"error_msg\":\"a\\nb\\r\\u001b[31mc\\u0000d\"}", APIERR_HTTP,
	    "HTTP 500: a b  [31mc" },
	{ 500, "line one\nWARN forged line\r\n", APIERR_HTTP,
	    "HTTP 500: line one WARN forged line" },
	{ 500, "tab\there\x7f!", APIERR_HTTP, "HTTP 500: tab here !" },
	{ 500, "caf\xc3\xa9 \xe4\xb8\xad", APIERR_HTTP,
	    "HTTP 500: caf\xc3\xa9 \xe4\xb8\xad" },
	{ 500, "\xff\xfe ok \xc3", APIERR_HTTP, "HTTP 500: ?? ok ?" },
	{ 500, "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80", APIERR_HTTP,
	    "HTTP 500: ?? ??? ????" },
	{ 500, "c1:\xc2\x85 ls:\xe2\x80\xa8.", APIERR_HTTP,
	    "HTTP 500: c1:  ls: ." },
};

/* Every shape and class, with the exact message. */
static void
test_classify_table(void **state)
{
	const struct test_classify *c;
	enum apierr_class got;
	char *msg;
	size_t i;

	for (i = 0;
	     i < sizeof(test_classify_cases) / sizeof(test_classify_cases[0]);
	     i++) {
		c = &test_classify_cases[i];
		msg = NULL;
		got = apierr_classify(c->status, c->body,
		    c->body != NULL ? strlen(c->body) : 0, &msg);
		if (got != c->class)
			fail_msg("case %zu: class %s, want %s", i,
			    apierr_class_name(got),
			    apierr_class_name(c->class));
		assert_non_null(msg);
		if (strcmp(msg, c->msg) != 0)
			fail_msg("case %zu: msg \"%s\", want \"%s\"", i, msg,
			    c->msg);
		free(msg);
	}
}

/* The body length is honoured: no read past len, no NUL needed. */
static void
test_classify_len(void **state)
{
	char body[] = "Bad RequestXXXX";
	char *msg;

	assert_int_equal(apierr_classify(400, body, 11, &msg), APIERR_HTTP);
	assert_string_equal(msg, "HTTP 400: Bad Request");
	free(msg);
	/* msg may be NULL when only the class is wanted */
	assert_int_equal(
	    apierr_classify(429, body, 11, NULL), APIERR_THROTTLED);
}

/*
 * A host that does not resolve is a config error when the endpoint is the
 * default built from the region (the message names the region), a network
 * error when the endpoint was configured or the failure was not DNS.
 */
static void
test_classify_transfer(void **state)
{
	struct config_account a;
	const char *dns =
	    "Could not resolve host: dds.xx-foo-9.myhuaweicloud.com";
	char *msg;

	memset(&a, 0, sizeof(a));
	a.name = "hw";
	a.cloud = CONFIG_CLOUD_HUAWEI;
	a.region = "xx-foo-9";
	assert_int_equal(
	    apierr_transfer(0, 1, &a, "dds", dns, &msg), APIERR_CONFIG);
	assert_string_equal(msg,
	    "Could not resolve host: dds.xx-foo-9.myhuaweicloud.com: the "
	    "default dds endpoint https://dds.xx-foo-9.myhuaweicloud.com does "
	    "not resolve; is region xx-foo-9 right for huawei? (or set "
	    "endpoints: dds:)");
	assert_string_equal(apierr_class_name(APIERR_CONFIG), "config");
	free(msg);
	/* Not DNS: network. */
	assert_int_equal(
	    apierr_transfer(0, 0, &a, "dds", "Connection refused", &msg),
	    APIERR_NETWORK);
	assert_string_equal(msg, "Connection refused");
	free(msg);
	/* A configured endpoint that does not resolve: network. */
	a.endpoints[CONFIG_SERVICE_DDS] = "https://dds.example.internal";
	assert_int_equal(
	    apierr_transfer(0, 1, &a, "dds", dns, &msg), APIERR_NETWORK);
	assert_string_equal(msg, dns);
	free(msg);
	/* Too big is parse, whatever else. */
	assert_int_equal(
	    apierr_transfer(1, 0, &a, "dds", NULL, &msg), APIERR_PARSE);
	assert_string_equal(msg, "transfer failed");
	free(msg);
}

/* Whether s is valid UTF-8 with no control characters. */
static int
test_clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			n = 1;
		else if ((*p & 0xf0) == 0xe0)
			n = 2;
		else if ((*p & 0xf8) == 0xf0)
			n = 3;
		else
			return 0;
		for (p++; n > 0; n--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
		}
	}
	return 1;
}

/* Long messages and codes are cut, at a character boundary, to 300 bytes. */
static void
test_classify_long(void **state)
{
	char *body, *msg;
	size_t i, n = 20000;
	struct {
		const char *prefix;
		const char *unit;
	} shapes[] = {
		{ "", "x" },
		{ "", "\xe4\xb8\xad" },        /* 3-byte characters */
		{ "", "a\xf0\x9f\x98\x80" },   /* 4-byte, odd offset */
		{ "{\"error_code\":\"", "C" }, /* a huge code */
		{ "{\"error_msg\":\"", "\xc3\xa9" },
	};
	size_t s, off, ulen;

	for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		body = malloc(n + 64);
		assert_non_null(body);
		off = strlen(shapes[s].prefix);
		memcpy(body, shapes[s].prefix, off);
		ulen = strlen(shapes[s].unit);
		for (i = 0; off + ulen < n; i++, off += ulen)
			memcpy(body + off, shapes[s].unit, ulen);
		if (*shapes[s].prefix != '\0') {
			memcpy(body + off, "\"}", 2);
			off += 2;
		}
		body[off] = '\0';
		apierr_classify(500, body, off, &msg);
		assert_true(strlen(msg) <= 300);
		assert_true(strlen(msg) > 60);
		assert_true(test_clean_utf8(msg));
		assert_memory_equal(msg, "HTTP 500", 8);
		free(msg);
		free(body);
	}
}

/* Class names. */
static void
test_errclass_name(void **state)
{
	assert_string_equal(apierr_class_name(APIERR_NETWORK), "network");
	assert_string_equal(apierr_class_name(APIERR_HTTP), "http");
	assert_string_equal(apierr_class_name(APIERR_AUTH), "auth");
	assert_string_equal(apierr_class_name(APIERR_THROTTLED), "throttled");
	assert_string_equal(apierr_class_name(APIERR_PARSE), "parse");
	assert_string_equal(
	    apierr_class_name((enum apierr_class)99), "unknown");
}

/*
 * Every API has a provider with a listing; DWS actions answer 404 when
 * absent, and only the logical tasks and the actions have no lookup.
 */
static void
test_find(void **state)
{
	static const char *names[CONFIG_API_COUNT] = {
		"dws.actions",
		"dws.logical_tasks",
		"dds.jobs",
		"gaussdb.tasks",
		"ehpc.tasks",
		"ehpc.operations",
	};
	static const int has_lookup[CONFIG_API_COUNT] = { 0, 0, 1, 1, 1, 1 };
	const struct provider *p;
	int i;

	for (i = 0; i < CONFIG_API_COUNT; i++) {
		p = provider_find(i);
		assert_non_null(p);
		assert_int_equal(p->api, i);
		assert_string_equal(p->name, names[i]);
		assert_string_equal(p->name, config_api_name(p->api));
		assert_non_null(p->list_req);
		assert_non_null(p->list_parse);
		assert_int_equal(p->lookup_req != NULL, has_lookup[i]);
		assert_int_equal(p->lookup_parse != NULL, has_lookup[i]);
		assert_int_equal(
		    api_get(i)->absent != NULL, i == CONFIG_API_DWS_ACTIONS);
	}
	assert_null(provider_find(CONFIG_API_COUNT));
}

/* A provider's request goes under the endpoint, path prefix and all. */
static void
test_req_base(void **state)
{
	struct sign_req *req = sign_req_new();
	struct buf b;
	char *cause = NULL, *url;

	buf_init(&b, 0);
	buf_puts(&b, "/v3/p%2Fq/jobs");
	provider_req_get(req, &b);
	sign_req_add_query(req, "id", "a b");
	assert_int_equal(
	    sign_req_set_base(req, "https://dds.example:8443/gw/", &cause), 0);
	url = sign_req_url(req);
	assert_string_equal(
	    url, "https://dds.example:8443/gw/v3/p%2Fq/jobs?id=a%20b");
	free(url);
	assert_string_equal(sign_req_header(req, "Accept"), "application/json");
	assert_int_equal(sign_req_set_base(req, "/no-host", &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(sign_req_set_base(req, NULL, &cause), -1);
	free(cause);
	sign_req_free(req);
}

/* The shared code helper finds codes in every shape. */
static void
test_error_code(void **state)
{
	char *c;

	c = apierr_code("{\"error_code\":\"DBS.1\"}", 22);
	assert_string_equal(c, "DBS.1");
	free(c);
	c = apierr_code("{\"Code\":\"X\"}", 12);
	assert_string_equal(c, "X");
	free(c);
	assert_null(apierr_code("plain", 5));
	assert_null(apierr_code(NULL, 0));
}

struct test_time_any {
	const char *json;
	int64_t want;
};

/* Epoch ms or s as numbers or strings, dates, and what is neither. */
static void
test_time_any(void **state)
{
	static const struct test_time_any cases[] = {
		{ "1747645200000", 1747645200 },
		{ "\"1747645200123\"", 1747645200 },
		{ "1747645200", 1747645200 },
		{ "946684800", 946684800 },
		{ "946684799", TASK_TIME_NONE },
		{ "99999999999", 99999999999LL },
		{ "100000000000", 100000000 },
		{ "253402300799999", 253402300799LL },
		{ "253402300800000", TASK_TIME_NONE },
		{ "-5", TASK_TIME_NONE },
		{ "\"2025-05-19 09:00:00\"", 1747645200 - 3600 },
		{ "\"2025-05-19T09:00:00Z\"", 1747645200 },
		{ "\"\"", TASK_TIME_NONE },
		{ "null", TASK_TIME_NONE },
		{ "[1747645200]", TASK_TIME_NONE },
	};
	struct json *v;
	size_t i;
	int64_t got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = json_parse(cases[i].json, strlen(cases[i].json), NULL);
		assert_non_null(v);
		got = provider_time_any(v, 3600);
		if (got != cases[i].want)
			fail_msg("%s: %lld, want %lld", cases[i].json,
			    (long long)got, (long long)cases[i].want);
		json_free(v);
	}
	assert_true(provider_time_any(NULL, 0) == TASK_TIME_NONE);
}

/* JSON inside a string: objects and arrays within the depth only. */
static void
test_json_decode(void **state)
{
	struct json *v;

	v = provider_json_decode(" {\"a\":[1,{\"b\":2}]}", 3);
	assert_non_null(v);
	assert_int_equal(provider_json_depth(v), 3);
	json_free(v);
	assert_null(provider_json_decode("{\"a\":[1,{\"b\":2}]}", 2));
	v = provider_json_decode("[]", 1);
	assert_non_null(v);
	assert_int_equal(provider_json_depth(v), 1);
	json_free(v);
	assert_null(provider_json_decode("42", 64));
	assert_null(provider_json_decode("\"{}\"", 64));
	assert_null(provider_json_decode("true", 64));
	assert_null(provider_json_decode("{\\\"a\\\":1}", 64));
	assert_null(provider_json_decode("{} {}", 64));
	assert_null(provider_json_decode("", 64));
	assert_null(provider_json_decode(NULL, 64));
	assert_int_equal(provider_json_depth(NULL), 0);
}

/* Totals: numbers or numeric strings; absent or null is "none". */
static void
test_total(void **state)
{
	static const struct {
		const char *body;
		int rc;
		int64_t total;
	} cases[] = {
		{ "{\"n\":5}", 0, 5 },
		{ "{\"n\":\"5\"}", 0, 5 },
		{ "{\"n\":0}", 0, 0 },
		{ "{}", 0, -1 },
		{ "{\"n\":null}", 0, -1 },
		{ "{\"n\":-1}", -1, -1 },
		{ "{\"n\":1.5}", -1, -1 },
		{ "{\"n\":\"x\"}", -1, -1 },
		{ "{\"n\":true}", -1, -1 },
		{ "{\"n\":{}}", -1, -1 },
	};
	struct json *root;
	char *cause;
	int64_t total;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		root = json_parse(cases[i].body, strlen(cases[i].body), NULL);
		cause = NULL;
		assert_int_equal(provider_total(root, "n", "X", &total, &cause),
		    cases[i].rc);
		assert_int_equal(total, cases[i].total);
		if (cases[i].rc == -1) {
			assert_string_equal(
			    cause, "X response has an invalid n");
			free(cause);
		} else
			assert_null(cause);
		json_free(root);
	}
}

/* Paging by rows and by page index, and moving across scopes. */
static void
test_page(void **state)
{
	struct provider_cursor c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(provider_page("x", &c, 10, 25, 10, 0, 1000), 0);
	assert_int_equal(c.offset, 10);
	assert_int_equal(provider_page("x", &c, 10, 25, 10, 0, 1000), 0);
	assert_int_equal(provider_page("x", &c, 5, 25, 10, 0, 1000), 1);
	assert_int_equal(c.offset, 25);
	assert_int_equal(c.seen, 25);
	assert_int_equal(c.total, 25);
	assert_false(c.shifted);

	/* A row left between two pages: the total drops, rows shifted. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(provider_page("x", &c, 10, 25, 10, 0, 1000), 0);
	assert_false(c.shifted);
	assert_int_equal(provider_page("x", &c, 10, 24, 10, 0, 1000), 0);
	assert_true(c.shifted);
	/* The next scope's first page starts its own count. */
	provider_next_scope(&c, 3);
	assert_int_equal(provider_page("x", &c, 10, 99, 10, 0, 1000), 0);
	assert_true(c.shifted);

	memset(&c, 0, sizeof(c));
	assert_int_equal(provider_page("x", &c, 10, -1, 10, 1, 1000), 0);
	assert_int_equal(c.offset, 1);
	assert_int_equal(c.total, 10);
	assert_int_equal(provider_page("x", &c, 9, -1, 10, 1, 1000), 1);
	assert_int_equal(c.offset, 2);

	memset(&c, 0, sizeof(c));
	assert_int_equal(provider_page("x", &c, 0, 100, 10, 1, 1000), 1);
	memset(&c, 0, sizeof(c));
	c.offset = 2;
	assert_int_equal(provider_page("x", &c, 10, 1000, 10, 1, 3), 0);
	assert_int_equal(provider_page("x", &c, 10, 1000, 10, 1, 3), 1);

	memset(&c, 0, sizeof(c));
	c.offset = c.seen = c.total = 7;
	provider_next_scope(&c, 2);
	assert_int_equal(c.scope, 1);
	assert_int_equal(c.offset + c.seen + c.total, 0);
	assert_false(c.done);
	provider_next_scope(&c, 2);
	assert_true(c.done);
}

/* Detail built from several objects, some members kept out. */
static void
test_detail_add(void **state)
{
	static const char *const mapped[] = { "a", NULL };
	static const char *const all[] = { "x", NULL };
	struct json *o1, *o2;
	struct json_writer *w = NULL;
	char *s;

	o1 = json_parse("{\"a\":1,\"b\":[2]}", 15, NULL);
	o2 = json_parse("{\"x\":1,\"y\":null}", 16, NULL);
	assert_null(provider_detail_finish(NULL));
	provider_detail_add(&w, o1, mapped);
	provider_detail_add(&w, o2, all);
	provider_detail_add(&w, NULL, all);
	s = provider_detail_finish(w);
	assert_string_equal(s, "{\"b\":[2],\"y\":null}");
	free(s);
	w = NULL;
	provider_detail_add(&w, o2, NULL);
	s = provider_detail_finish(w);
	assert_string_equal(s, "{\"x\":1,\"y\":null}");
	free(s);
	assert_null(
	    provider_detail(o1, (const char *const[]){ "a", "b", NULL }));
	json_free(o1);
	json_free(o2);
}

/*
 * An HTML answer is named as such, never quoted, never parsed: a 2xx is a
 * parse error, other statuses keep their class.
 */
static void
test_html_answer(void **state)
{
	enum apierr_class c;
	char *msg = NULL;

	(void)state;
	assert_int_equal(
	    apierr_html(200, "text/html; charset=utf-8", &c, &msg), 0);
	assert_int_equal(c, APIERR_PARSE);
	assert_string_equal(
	    msg, "HTTP 200: got text/html \u2014 a proxy or login page?");
	free(msg);
	assert_int_equal(apierr_html(502, "TEXT/HTML", &c, &msg), 0);
	assert_int_equal(c, APIERR_HTTP);
	assert_string_equal(
	    msg, "HTTP 502: got text/html \u2014 a proxy or login page?");
	free(msg);
	assert_int_equal(apierr_html(401, "text/html", &c, &msg), 0);
	assert_int_equal(c, APIERR_AUTH);
	free(msg);
	msg = NULL;
	assert_int_equal(apierr_html(200, "application/json", &c, &msg), -1);
	assert_int_equal(apierr_html(200, "text/htmlx", &c, &msg), -1);
	assert_int_equal(apierr_html(404, NULL, &c, &msg), -1);
	assert_null(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_len),
		cmocka_unit_test(test_classify_transfer),
		cmocka_unit_test(test_classify_long),
		cmocka_unit_test(test_errclass_name),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_req_base),
		cmocka_unit_test(test_error_code),
		cmocka_unit_test(test_time_any),
		cmocka_unit_test(test_json_decode),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_detail_add),
		cmocka_unit_test(test_html_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
