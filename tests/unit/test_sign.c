/*
 * Unit tests for request signing: every published vector of signing.md
 * (H1, H2, H3, Q1, A1, A2), plus POST bodies, UTF-8, repeated and
 * value-less parameters, ports, the URL that is sent, the verify side the
 * simulator uses, Authorization parsing, dates and nonces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"
#include "xmalloc.h"

#define TEST_EMPTY_SHA \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A request parsed from method and url; fails the test if it does not. */
static struct sign_req *
test_req(const char *method, const char *url)
{
	struct sign_req *req = sign_req_new();
	char *cause = NULL;

	assert_int_equal(sign_req_parse_url(req, method, url, &cause), 0);
	assert_null(cause);
	return req;
}

/* Unix seconds of an X-Sdk-Date or RFC 3339 string. */
static int64_t
test_time(const char *s)
{
	int64_t t = 0;

	assert_int_equal(sign_parse_date(s, &t), 0);
	return t;
}

/* Assert that the hex SHA-256 of s is hex. */
static void
test_sha(const char *s, const char *hex)
{
	char out[SIGN_HEX_LEN + 1];

	sign_sha256_hex(s, strlen(s), out);
	assert_string_equal(out, hex);
}

/* H1: the Huawei signing guide example, canonical request and hash. */
static void
test_h1(void **state)
{
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };
	char *url;

	req = test_req("GET",
	    "https://service.region.example.com/v1/"
	    "77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-"
	    "755d-4757-b956-536f674975c0");
	sign_req_add_header(req, "Content-Type", "application/json");
	sign_req_add_header(req, "Host", "service.region.example.com");
	assert_int_equal(sign_huawei(req, "QTWAOYTTINDUT2QVKYUC",
			     "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
			     test_time("20191115T033655Z"), &dbg),
	    0);
	assert_string_equal(dbg.canonical,
	    "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
	    "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
	    "content-type:application/json\n"
	    "host:service.region.example.com\n"
	    "x-sdk-date:20191115T033655Z\n\n"
	    "content-type;host;x-sdk-date\n" TEST_EMPTY_SHA);
	test_sha(dbg.canonical,
	    "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
	assert_string_equal(dbg.string_to_sign,
	    "SDK-HMAC-SHA256\n20191115T033655Z\n"
	    "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
	assert_string_equal(
	    sign_req_header(req, "X-Sdk-Date"), "20191115T033655Z");
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, "
	    "SignedHeaders=content-type;host;x-sdk-date, "
	    "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6"
	    "870f4f6ebe");
	/* The URL sent is the URL signed. */
	url = sign_req_url(req);
	assert_string_equal(url,
	    "https://service.region.example.com/v1/"
	    "77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-"
	    "755d-4757-b956-536f674975c0");
	free(url);
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/* H2: a header with '_' in its name is sent but never signed. */
static void
test_h2(void **state)
{
	struct sign_req *req;
	char **lines;
	size_t i;
	int seen = 0;

	req = test_req("GET",
	    "https://service.endpoint.myhuaweicloud.com/resources?size=1");
	sign_req_add_header(req, "TEST_UNDERSCORE", "TEST_VALUE");
	assert_int_equal(sign_huawei(req, "AccessKey", "SecretKey",
			     test_time("20200608T023900Z"), NULL),
	    0);
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
	    "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f1"
	    "28e12cd842");
	lines = sign_req_header_lines(req);
	for (i = 0; lines[i] != NULL; i++)
		if (strcmp(lines[i], "TEST_UNDERSCORE: TEST_VALUE") == 0)
			seen = 1;
	assert_true(seen);
	sign_lines_free(lines);
	sign_req_free(req);
}

/* H3: a request without a host signs only x-sdk-date. */
static void
test_h3(void **state)
{
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };

	req = test_req("GET", "/path?limit=1");
	assert_null(req->host);
	assert_int_equal(sign_huawei(req, "AccessKey", "SecretKey",
			     test_time("20060102T150405Z"), &dbg),
	    0);
	assert_string_equal(dbg.canonical,
	    "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\n"
	    "x-sdk-date\n" TEST_EMPTY_SHA);
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
	    "Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58"
	    "d02ac79624");
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/* Q1: encoding and order of the canonical query, repeated names. */
static void
test_q1(void **state)
{
	static const char *want =
	    "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&"
	    "test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29";
	struct sign_req *req = sign_req_new(), *again;
	char *q, *url, *q2;

	sign_req_add_query(req, "limit", "1");
	sign_req_add_query(req, "enable", "true");
	sign_req_add_query(req, "test", "\xe4\xb8\x80 (&=?!#%.*)");
	sign_req_add_query(req, "path", "/tmp/123");
	sign_req_add_query(req, "multi", "3");
	sign_req_add_query(req, "multi", "1");
	sign_req_add_query(req, "multi", "2");
	q = sign_req_canonical_query(req, NULL);
	assert_string_equal(q, want);
	/* Parsing what is sent gives back the same parameters. */
	url = sign_req_url(req);
	assert_string_equal(url + strlen("/?"), want);
	again = test_req("GET", url);
	q2 = sign_req_canonical_query(again, NULL);
	assert_string_equal(q2, want);
	assert_string_equal(
	    sign_req_query(again, "test"), "\xe4\xb8\x80 (&=?!#%.*)");
	free(q);
	free(q2);
	free(url);
	sign_req_free(again);
	sign_req_free(req);
}

/*
 * Names sorted by their raw text, then encoded, and a repeated name's
 * values by their raw text, as the vendors' SDK signers do: raw "key0" <
 * "key:1", encoded "key%3A1" < "key0".  The canonical request and the
 * signature are what huaweicloud-sdk-core 3.1.211 for Node.js (AKSKSigner)
 * computes for the same request.
 */
static void
test_sdk_order_huawei(void **state)
{
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };

	req = test_req(
	    "GET", "https://dws.sim-1.myhuaweicloud.com/v1.0/p1/clusters");
	sign_req_add_query(req, "key:1", "a");
	sign_req_add_query(req, "tag", "x:y");
	sign_req_add_query(req, "key0", "b");
	sign_req_add_query(req, "tag", "x0");
	assert_int_equal(sign_huawei(req, "AccessKey", "SecretKey",
			     test_time("20200608T023900Z"), &dbg),
	    0);
	assert_string_equal(dbg.canonical,
	    "GET\n/v1.0/p1/clusters/\nkey0=b&key%3A1=a&tag=x0&tag=x%3Ay\n"
	    "host:dws.sim-1.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n"
	    "\nhost;x-sdk-date\n" TEST_EMPTY_SHA);
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
	    "Signature=db8f2308e57a1ade39f1aa3300ff3f5338f05d6cba2effc6113eac"
	    "1973e4165f");
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/*
 * The same order for Alibaba RPC V2: the signature is what
 * @alicloud/openapi-util 0.3.3 getRPCSignature (the algorithm of pop-core)
 * computes for the same parameters.
 */
static void
test_sdk_order_v2(void **state)
{
	struct sign_req *req;

	req = test_req("GET",
	    "https://ecs.aliyuncs.com/?Action=DescribeRegions"
	    "&Version=2014-05-26");
	sign_req_add_query(req, "key:1", "a");
	sign_req_add_query(req, "key0", "b");
	assert_int_equal(sign_alibaba_v2(req, "testid", "testsecret",
			     test_time("2016-02-23T12:46:24Z"),
			     "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", NULL),
	    0);
	assert_string_equal(
	    sign_req_query(req, "Signature"), "iHEAiUzjHE/vdWKFK6a2sud8v+o=");
	sign_req_free(req);
}

/* A1: Alibaba V2, string to sign, signature and its URL form. */
static void
test_a1(void **state)
{
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };
	char *url;

	req = test_req("GET",
	    "https://ecs.aliyuncs.com/?Action=DescribeRegions"
	    "&Format=XML&Version=2014-05-26");
	assert_int_equal(sign_alibaba_v2(req, "testid", "testsecret",
			     test_time("2016-02-23T12:46:24Z"),
			     "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", &dbg),
	    0);
	assert_string_equal(dbg.string_to_sign,
	    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%"
	    "3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-"
	    "83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%"
	    "3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26");
	assert_string_equal(
	    sign_req_query(req, "Signature"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
	url = sign_req_url(req);
	assert_string_equal(url,
	    "https://ecs.aliyuncs.com/?AccessKeyId=testid&Action="
	    "DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1&"
	    "SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&"
	    "SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z&Version="
	    "2014-05-26&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D");
	free(url);
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/* A2: Alibaba ACS3, canonical request hash and Authorization. */
static void
test_a2(void **state)
{
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };

	req = test_req("POST",
	    "https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_"
	    "dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai");
	sign_req_add_header(req, "host", "ecs.cn-shanghai.aliyuncs.com");
	sign_req_add_header(req, "x-acs-action", "RunInstances");
	sign_req_add_header(req, "x-acs-version", "2014-05-26");
	assert_int_equal(
	    sign_alibaba_v3(req, "YourAccessKeyId", "YourAccessKeySecret",
		test_time("2023-10-26T10:22:32Z"),
		"3156853299f313e23d1673dc12e1703d", &dbg),
	    0);
	test_sha(dbg.canonical,
	    "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
	assert_string_equal(
	    sign_req_header(req, "x-acs-content-sha256"), TEST_EMPTY_SHA);
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;"
	    "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-"
	    "nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab"
	    "24a1d853912eee15083a6f0f3283c0");
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/* A POST body is hashed into the Huawei canonical request. */
static void
test_huawei_post_body(void **state)
{
	static const char body[] = "{\"a\":1}";
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };

	req = test_req("post", "https://h.example.com/v1/p/x");
	sign_req_add_header(req, "Content-Type", "application/json");
	sign_req_set_body(req, body, strlen(body));
	assert_int_equal(
	    sign_huawei(req, "ak", "sk", test_time("20240102T030405Z"), &dbg),
	    0);
	assert_string_equal(dbg.canonical,
	    "POST\n/v1/p/x/\n\ncontent-type:application/json\n"
	    "host:h.example.com\nx-sdk-date:20240102T030405Z\n\n"
	    "content-type;host;x-sdk-date\n"
	    "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "SDK-HMAC-SHA256 Access=ak, SignedHeaders=content-type;host;x-sdk-"
	    "date, Signature=b499472a137c3e7046ec6c9a4351b0ec56267e5f5d8a3d954"
	    "03c03a95f3de10b");
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/* UTF-8 in a path segment and a value; a non-default port is signed. */
static void
test_huawei_utf8_port(void **state)
{
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };
	char *url;

	req = test_req("GET",
	    "https://h.example.com:8443/v1/\xe4\xb8\xad x"
	    "?q=%E4%B8%AD%E6%96%87+%E5%80%BC");
	/* '+' is not a space in a query: it stays '+' and is sent as %2B. */
	assert_string_equal(
	    sign_req_query(req, "q"), "\xe4\xb8\xad\xe6\x96\x87+\xe5\x80\xbc");
	sign_req_del_query(req, "q");
	sign_req_add_query(req, "q", "\xe4\xb8\xad\xe6\x96\x87 \xe5\x80\xbc");
	sign_req_add_header(req, "X-Project-Id", "p1");
	assert_int_equal(
	    sign_huawei(req, "ak", "sk", test_time("20240102T030405Z"), &dbg),
	    0);
	assert_string_equal(dbg.canonical,
	    "GET\n/v1/%E4%B8%AD%20x/\nq=%E4%B8%AD%E6%96%87%20%E5%80%BC\n"
	    "host:h.example.com:8443\nx-project-id:p1\n"
	    "x-sdk-date:20240102T030405Z\n\nhost;x-project-id;x-sdk-"
	    "date\n" TEST_EMPTY_SHA);
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "SDK-HMAC-SHA256 Access=ak, SignedHeaders=host;x-project-id;x-sdk-"
	    "date, Signature=8704b8ab2150b334652d662568824562dad76563e7eb11cc7"
	    "a371d4d2fa5f500");
	url = sign_req_url(req);
	assert_string_equal(url,
	    "https://h.example.com:8443/v1/%E4%B8%AD%20x"
	    "?q=%E4%B8%AD%E6%96%87%20%E5%80%BC");
	free(url);
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/* Default ports are dropped from the host, others kept. */
static void
test_ports(void **state)
{
	static const struct {
		const char *url;
		const char *host;
	} t[] = {
		{ "https://h.example.com:443/x", "h.example.com" },
		{ "http://h.example.com:80/x", "h.example.com" },
		{ "http://h.example.com:443/x", "h.example.com:443" },
		{ "https://h.example.com:80/x", "h.example.com:80" },
		{ "http://127.0.0.1:8080", "127.0.0.1:8080" },
		{ "http://[::1]:8080/", "[::1]:8080" },
		{ "https://[::1]/", "[::1]" },
		{ "https://[::1]:443/", "[::1]" },
	};
	struct sign_req *req;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		req = test_req("GET", t[i].url);
		assert_string_equal(req->host, t[i].host);
		assert_string_equal(req->path, i == 4 ? "/" : req->path);
		sign_req_free(req);
	}
}

/* No query: an empty canonical line and no '?' in the URL. */
static void
test_empty_query(void **state)
{
	struct sign_req *req;
	struct sign_debug dbg = { NULL, NULL };
	char *url;

	req = test_req("GET", "http://127.0.0.1:9000/v3/p/jobs/");
	assert_int_equal(sign_huawei(req, "ak", "sk", 0, &dbg), 0);
	assert_non_null(strstr(dbg.canonical, "GET\n/v3/p/jobs/\n\nhost:"));
	url = sign_req_url(req);
	assert_string_equal(url, "http://127.0.0.1:9000/v3/p/jobs/");
	free(url);
	sign_debug_clear(&dbg);
	sign_req_free(req);
}

/* Value-less parameters are "name=", signed and sent alike. */
static void
test_valueless(void **state)
{
	struct sign_req *req;
	char *q, *url;

	req = test_req("GET", "https://h/p?flag&x=1&empty=");
	assert_null(sign_req_query(req, "flag"));
	assert_string_equal(sign_req_query(req, "empty"), "");
	q = sign_req_canonical_query(req, NULL);
	assert_string_equal(q, "empty=&flag=&x=1");
	url = sign_req_url(req);
	assert_string_equal(url, "https://h/p?empty=&flag=&x=1");
	free(q);
	free(url);
	sign_req_free(req);
}

/* What is sent is re-encoded by the signing rule, and parses back. */
static void
test_url_roundtrip(void **state)
{
	struct sign_req *req, *again;
	char *url, *url2;

	req =
	    test_req("GET", "https://h/a%7eb/c%2fd?b=%7e&a=%2a&c=+&d=a:b#frag");
	url = sign_req_url(req);
	assert_string_equal(url, "https://h/a~b/c%2Fd?a=%2A&b=~&c=%2B&d=a%3Ab");
	again = test_req("GET", url);
	url2 = sign_req_url(again);
	assert_string_equal(url, url2);
	assert_string_equal(sign_req_query(again, "c"), "+");
	assert_string_equal(sign_req_query(again, "d"), "a:b");
	free(url);
	free(url2);
	sign_req_free(again);
	sign_req_free(req);
}

/* Build what a server receives: the URL sent, every header sent. */
static struct sign_req *
test_received(const struct sign_req *sent)
{
	struct sign_req *got;
	char *url;
	size_t i;

	url = sign_req_url(sent);
	got = test_req(sent->method, url);
	free(url);
	for (i = 0; i < sent->nheaders; i++)
		sign_req_add_header(
		    got, sent->headers[i].name, sent->headers[i].value);
	sign_req_add_header(got, "User-Agent", "curl/7.88");
	sign_req_add_header(got, "Accept", "*/*");
	sign_req_set_body(got, sent->body, sent->body_len);
	return got;
}

/* The verify side recomputes a Huawei signature; tampering shows. */
static void
test_verify_huawei(void **state)
{
	struct sign_req *req, *got;
	struct sign_auth a;
	char sig[SIGN_HEX_LEN + 1];

	req = test_req("POST", "https://dws.example.com/v1.0/p/clusters?x=1");
	sign_req_add_header(req, "Content-Type", "application/json");
	sign_req_set_body(req, "{}", 2);
	assert_int_equal(sign_huawei(req, "AK1", "SK1", 1700000000, NULL), 0);
	got = test_received(req);
	assert_int_equal(
	    sign_auth_parse(sign_req_header(got, "Authorization"), &a), 0);
	assert_string_equal(a.scheme, "SDK-HMAC-SHA256");
	assert_string_equal(a.access, "AK1");
	assert_string_equal(a.signed_headers, "content-type;host;x-sdk-date");
	assert_int_equal(
	    sign_huawei_expected(got, a.signed_headers, "SK1", sig, NULL), 0);
	assert_true(sign_equal(sig, a.signature));
	/* Wrong secret, changed body, changed query. */
	assert_int_equal(
	    sign_huawei_expected(got, a.signed_headers, "SK2", sig, NULL), 0);
	assert_false(sign_equal(sig, a.signature));
	sign_req_set_body(got, "{ }", 3);
	assert_int_equal(
	    sign_huawei_expected(got, a.signed_headers, "SK1", sig, NULL), 0);
	assert_false(sign_equal(sig, a.signature));
	sign_req_set_body(got, "{}", 2);
	sign_req_add_query(got, "y", "2");
	assert_int_equal(
	    sign_huawei_expected(got, a.signed_headers, "SK1", sig, NULL), 0);
	assert_false(sign_equal(sig, a.signature));
	/* A listed header that was not received. */
	sign_req_del_header(got, "Content-Type");
	assert_int_equal(
	    sign_huawei_expected(got, a.signed_headers, "SK1", sig, NULL), -1);
	assert_int_equal(sign_huawei_expected(got, "", "SK1", sig, NULL), -1);
	sign_auth_clear(&a);
	sign_req_free(got);
	sign_req_free(req);
}

/* A server sees "/path?query" and a Host header: enough to verify. */
static void
test_verify_path_only(void **state)
{
	struct sign_req *req, *got;
	struct sign_auth a;
	char sig[SIGN_HEX_LEN + 1], *url;
	size_t i;

	req = test_req("GET", "http://127.0.0.1:8443/v3/p1/jobs?limit=100");
	sign_req_add_header(req, "Accept", "application/json");
	assert_int_equal(sign_huawei(req, "AK1", "SK1", 1700000000, NULL), 0);
	url = sign_req_url(req);
	got = test_req("GET", url + strlen("http://127.0.0.1:8443"));
	free(url);
	assert_null(got->host);
	sign_req_add_header(got, "Host", "127.0.0.1:8443");
	for (i = 0; i < req->nheaders; i++)
		sign_req_add_header(
		    got, req->headers[i].name, req->headers[i].value);
	assert_int_equal(
	    sign_auth_parse(sign_req_header(got, "Authorization"), &a), 0);
	assert_string_equal(a.signed_headers, "accept;host;x-sdk-date");
	assert_int_equal(
	    sign_huawei_expected(got, a.signed_headers, "SK1", sig, NULL), 0);
	assert_true(sign_equal(sig, a.signature));
	/* Another port in Host: another signature. */
	sign_req_add_header(got, "Host", "127.0.0.1:8444");
	assert_int_equal(
	    sign_huawei_expected(got, a.signed_headers, "SK1", sig, NULL), 0);
	assert_false(sign_equal(sig, a.signature));
	sign_auth_clear(&a);
	sign_req_free(got);
	sign_req_free(req);
}

/* The verify side recomputes a V2 signature from the received URL. */
static void
test_verify_v2(void **state)
{
	struct sign_req *req, *got;
	char *sig;

	req = test_req("GET",
	    "https://ehpc.cn-hangzhou.aliyuncs.com/"
	    "?Action=ListTasks&Version=2018-04-12");
	sign_req_add_query(req, "ClusterId", "c 1/\xe4\xb8\xad");
	assert_int_equal(sign_alibaba_v2(req, "id", "sec",
			     test_time("2024-01-02T03:04:05Z"), "n1", NULL),
	    0);
	assert_string_equal(sign_req_query(req, "Format"), "JSON");
	assert_string_equal(
	    sign_req_query(req, "Signature"), "D9jk7pKGRJc8dN7QNzZBkryjfZc=");
	got = test_received(req);
	assert_int_equal(sign_alibaba_v2_expected(got, "sec", &sig, NULL), 0);
	assert_true(sign_equal(sig, sign_req_query(got, "Signature")));
	free(sig);
	assert_int_equal(sign_alibaba_v2_expected(got, "bad", &sig, NULL), 0);
	assert_false(sign_equal(sig, sign_req_query(got, "Signature")));
	free(sig);
	sign_req_free(got);
	sign_req_free(req);
}

/* Signing again (a retry) replaces the nonce, time and signature. */
static void
test_v2_resign(void **state)
{
	struct sign_req *req;
	size_t i, nonces = 0, sigs = 0;

	req = test_req("GET", "https://h/?Action=ListTasks");
	assert_int_equal(sign_alibaba_v2(req, "id", "sec", 1, "n1", NULL), 0);
	assert_int_equal(sign_alibaba_v2(req, "id", "sec", 2, "n2", NULL), 0);
	for (i = 0; i < req->nquery; i++) {
		nonces += strcmp(req->query[i].name, "SignatureNonce") == 0;
		sigs += strcmp(req->query[i].name, "Signature") == 0;
	}
	assert_int_equal(nonces, 1);
	assert_int_equal(sigs, 1);
	assert_string_equal(sign_req_query(req, "SignatureNonce"), "n2");
	assert_string_equal(
	    sign_req_query(req, "Timestamp"), "1970-01-01T00:00:02Z");
	sign_req_free(req);
}

/* ACS3 with a body: Action/Version move to headers; content-type signed. */
static void
test_v3_body(void **state)
{
	static const char body[] = "{\"k\":\"v\"}";
	struct sign_req *req, *got;
	struct sign_auth a;
	char sig[SIGN_HEX_LEN + 1], *url;

	req = test_req("POST",
	    "https://ehpc.cn-hangzhou.aliyuncs.com/?Action=ListTasks&"
	    "Version=2018-04-12&PageSize=50&ClusterId=c-1");
	sign_req_add_header(req, "Content-Type", "application/json");
	sign_req_set_body(req, body, strlen(body));
	assert_int_equal(
	    sign_alibaba_v3(req, "id", "sec", test_time("2024-01-02T03:04:05Z"),
		"00112233445566778899aabbccddeeff", NULL),
	    0);
	assert_null(sign_req_query(req, "Action"));
	assert_string_equal(sign_req_header(req, "x-acs-action"), "ListTasks");
	assert_string_equal(
	    sign_req_header(req, "x-acs-version"), "2018-04-12");
	assert_string_equal(sign_req_header(req, "Authorization"),
	    "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=content-type;host;"
	    "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-"
	    "nonce;x-acs-version,Signature=0347828b94a7f8eeb13e40670eab8a09ea"
	    "5035a9c43e36e92e4ea2578aa67205");
	url = sign_req_url(req);
	assert_string_equal(url,
	    "https://ehpc.cn-hangzhou.aliyuncs.com/"
	    "?ClusterId=c-1&PageSize=50");
	free(url);
	got = test_received(req);
	assert_int_equal(
	    sign_auth_parse(sign_req_header(got, "Authorization"), &a), 0);
	assert_string_equal(a.access, "id");
	assert_int_equal(
	    sign_alibaba_v3_expected(got, a.signed_headers, "sec", sig, NULL),
	    0);
	assert_true(sign_equal(sig, a.signature));
	sign_req_add_header(got, "x-acs-date", "2024-01-02T03:04:06Z");
	assert_int_equal(
	    sign_alibaba_v3_expected(got, a.signed_headers, "sec", sig, NULL),
	    0);
	assert_false(sign_equal(sig, a.signature));
	sign_auth_clear(&a);
	sign_req_free(got);
	sign_req_free(req);
}

/* Authorization values of both shapes parse; broken ones do not. */
static void
test_auth_parse(void **state)
{
	struct sign_auth a;

	assert_int_equal(sign_auth_parse("SDK-HMAC-SHA256 Access=A, "
					 "SignedHeaders=host;x-sdk-date, "
					 "Signature=abc",
			     &a),
	    0);
	assert_string_equal(a.scheme, "SDK-HMAC-SHA256");
	assert_string_equal(a.access, "A");
	assert_string_equal(a.signed_headers, "host;x-sdk-date");
	assert_string_equal(a.signature, "abc");
	sign_auth_clear(&a);
	assert_int_equal(sign_auth_parse("ACS3-HMAC-SHA256 Credential=C,"
					 "SignedHeaders=host,Signature=def",
			     &a),
	    0);
	assert_string_equal(a.access, "C");
	assert_string_equal(a.signed_headers, "host");
	assert_string_equal(a.signature, "def");
	sign_auth_clear(&a);
	assert_int_equal(sign_auth_parse(NULL, &a), -1);
	assert_int_equal(sign_auth_parse("Bearer xyz", &a), -1);
	assert_int_equal(
	    sign_auth_parse("SDK-HMAC-SHA256 Access=A, Signature=x", &a), -1);
	assert_int_equal(sign_auth_parse("SDK-HMAC-SHA256 Access=, "
					 "SignedHeaders=h, Signature=x",
			     &a),
	    -1);
	/* "XSignature=" is not "Signature=". */
	assert_int_equal(sign_auth_parse("SDK-HMAC-SHA256 Access=A, "
					 "SignedHeaders=h, XSignature=x",
			     &a),
	    -1);
}

/* Header lists are normalised; header editing replaces by name. */
static void
test_headers(void **state)
{
	struct sign_req *req = sign_req_new();
	char *l, **lines;

	l = sign_headers_list("X-Sdk-Date;host;;Content-Type;HOST");
	assert_string_equal(l, "content-type;host;x-sdk-date");
	free(l);
	sign_req_add_header(req, "X-A", "1");
	sign_req_add_header(req, "x-a", "2");
	sign_req_add_header(req, "X-B", "3");
	assert_int_equal(req->nheaders, 2);
	assert_string_equal(sign_req_header(req, "X-A"), "2");
	sign_req_del_header(req, "X-A");
	sign_req_del_header(req, "X-None");
	lines = sign_req_header_lines(req);
	assert_string_equal(lines[0], "X-B: 3");
	assert_null(lines[1]);
	sign_lines_free(lines);
	sign_lines_free(NULL);
	sign_req_free(req);
	sign_req_free(NULL);
}

/* Canonical values are trimmed of blanks. */
static void
test_trim(void **state)
{
	struct sign_req *req = test_req("GET", "https://h/");
	char *c;

	sign_req_add_header(req, "X-Sdk-Date", "  20240102T030405Z\t");
	c = sign_req_canonical_request(req, "x-sdk-date;host", 1);
	assert_string_equal(c,
	    "GET\n/\n\nhost:h\nx-sdk-date:20240102T030405Z"
	    "\n\nhost;x-sdk-date\n" TEST_EMPTY_SHA);
	free(c);
	sign_req_free(req);
}

/* Both date forms format and parse; junk does not parse. */
static void
test_dates(void **state)
{
	char d[SIGN_DATE_LEN];
	int64_t t;

	sign_format_sdk_date(1573789015, d);
	assert_string_equal(d, "20191115T033655Z");
	sign_format_acs_date(1456231584, d);
	assert_string_equal(d, "2016-02-23T12:46:24Z");
	assert_int_equal(sign_parse_date("20191115T033655Z", &t), 0);
	assert_int_equal(t, 1573789015);
	assert_int_equal(sign_parse_date("2016-02-23T12:46:24Z", &t), 0);
	assert_int_equal(t, 1456231584);
	assert_int_equal(sign_parse_date("2016-02-23T20:46:24+08:00", &t), 0);
	assert_int_equal(t, 1456231584);
	assert_int_equal(sign_parse_date("20191315T033655Z", &t), -1);
	assert_int_equal(sign_parse_date("2019111xT033655Z", &t), -1);
	assert_int_equal(sign_parse_date("yesterday", &t), -1);
	assert_int_equal(sign_parse_date(NULL, &t), -1);
}

/* Nonces are 32 hex digits and differ. */
static void
test_nonce(void **state)
{
	char a[SIGN_NONCE_LEN + 1], b[SIGN_NONCE_LEN + 1];

	sign_nonce(a);
	sign_nonce(b);
	assert_int_equal(strlen(a), SIGN_NONCE_LEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), SIGN_NONCE_LEN);
	assert_string_not_equal(a, b);
	assert_true(sign_equal(a, a));
	assert_false(sign_equal(a, b));
	assert_false(sign_equal(a, NULL));
	assert_false(sign_equal("abc", "abcd"));
}

/* Bad URLs are refused with a cause. */
static void
test_bad_urls(void **state)
{
	static const char *bad[] = {
		"ftp://h/x",
		"http://user:pw@h/x",
		"no-scheme",
		"https:///path",
		/* found by fuzz_sign: a port and no host */
		"https://://service.region.example.com/v1",
		"http://:8080/x",
	};
	struct sign_req *req;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = sign_req_new();
		cause = NULL;
		assert_int_equal(
		    sign_req_parse_url(req, "GET", bad[i], &cause), -1);
		assert_non_null(cause);
		assert_null(strstr(cause, "pw"));
		free(cause);
		sign_req_free(req);
	}
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h1),
		cmocka_unit_test(test_h2),
		cmocka_unit_test(test_h3),
		cmocka_unit_test(test_q1),
		cmocka_unit_test(test_sdk_order_huawei),
		cmocka_unit_test(test_sdk_order_v2),
		cmocka_unit_test(test_a1),
		cmocka_unit_test(test_a2),
		cmocka_unit_test(test_huawei_post_body),
		cmocka_unit_test(test_huawei_utf8_port),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_empty_query),
		cmocka_unit_test(test_valueless),
		cmocka_unit_test(test_url_roundtrip),
		cmocka_unit_test(test_verify_huawei),
		cmocka_unit_test(test_verify_path_only),
		cmocka_unit_test(test_verify_v2),
		cmocka_unit_test(test_v2_resign),
		cmocka_unit_test(test_v3_body),
		cmocka_unit_test(test_auth_parse),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_bad_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
