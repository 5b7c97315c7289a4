/*
 * Unit tests for json.c: parsing of every type, typed getters, the depth
 * limit, error causes, nested-string decoding on a vendor fixture, writer
 * escaping and UTF-8 repair, json_w_raw and a parse/dump round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "xmalloc.h"

#define FIXTURES "/work/shared/fixtures/"

/* Parse a C string, asserting success. */
static struct json *
parse_ok(const char *s)
{
	char *cause = NULL;
	struct json *j;

	j = json_parse(s, strlen(s), &cause);
	if (j == NULL)
		fail_msg("parse of %s failed: %s", s, cause);
	assert_null(cause);
	return j;
}

/* Parse len bytes, asserting failure with a cause containing want. */
static void
parse_fail(const char *s, size_t len, const char *want)
{
	char *cause = NULL;
	struct json *j;

	j = json_parse(s, len, &cause);
	assert_null(j);
	assert_non_null(cause);
	assert_true(strlen(cause) > 0);
	assert_null(strchr(cause, '\n'));
	if (want != NULL && strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

/* Read a whole file into memory. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* Every type parses and the getters see it. */
static void
test_types(void **state)
{
	struct json *j;
	const struct json *a;
	int64_t i;
	double d;
	int b;

	j = parse_ok("{\"s\":\"h\\u00e9llo\\n\",\"i\":-42,\"d\":1.5,"
		     "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,\"two\",[3]],"
		     "\"o\":{\"k\":\"v\"},\"big\":9223372036854775807,"
		     "\"e\":1e3,\"huge\":1e400}");
	assert_int_equal(json_type(j), JSON_OBJECT);
	assert_int_equal(json_len(j), 11);
	assert_string_equal(json_key_at(j, 0), "s");
	assert_string_equal(json_key_at(j, 10), "huge");
	assert_null(json_key_at(j, 11));
	assert_null(json_at(j, 11));
	assert_string_equal(json_get_str(j, "s"), "h\xc3\xa9llo\n");
	assert_int_equal(json_int(json_get(j, "i"), 0, &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(json_double(json_get(j, "d"), &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(json_int(json_get(j, "d"), 0, &i), -1);
	assert_int_equal(json_int(json_get(j, "big"), 0, &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(json_int(json_get(j, "e"), 0, &i), 0);
	assert_int_equal(i, 1000);
	assert_int_equal(json_int(json_get(j, "huge"), 0, &i), -1);
	assert_int_equal(json_double(json_get(j, "huge"), &d), -1);
	assert_int_equal(json_bool(json_get(j, "t"), &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(json_bool(json_get(j, "f"), &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(json_type(json_get(j, "n")), JSON_NULL);
	assert_non_null(json_get(j, "n"));
	a = json_get(j, "a");
	assert_int_equal(json_type(a), JSON_ARRAY);
	assert_int_equal(json_len(a), 3);
	assert_string_equal(json_str(json_at(a, 1)), "two");
	assert_int_equal(json_type(json_at(a, 2)), JSON_ARRAY);
	assert_null(json_at(a, 3));
	assert_null(json_key_at(a, 0));
	assert_string_equal(json_get_str(json_get(j, "o"), "k"), "v");
	assert_null(json_get(j, "missing"));
	json_free(j);

	/* Scalars at top level. */
	j = parse_ok(" 7 ");
	assert_int_equal(json_type(j), JSON_NUMBER);
	json_free(j);
	j = parse_ok("\"x\"");
	assert_string_equal(json_str(j), "x");
	json_free(j);
	j = parse_ok("null");
	assert_int_equal(json_type(j), JSON_NULL);
	json_free(j);
	json_free(NULL);
}

/* Getters on the wrong type or NULL return NULL, 0 or -1. */
static void
test_wrong_types(void **state)
{
	struct json *j;
	int64_t i = 99;
	double d;
	int b;

	j = parse_ok("{\"s\":\"16\",\"x\":\"16a\",\"n\":3,\"neg\":\"-5\","
		     "\"sp\":\" 5\",\"b\":true,\"a\":[1]}");
	assert_null(json_str(json_get(j, "n")));
	assert_null(json_get_str(j, "b"));
	assert_null(json_get(json_get(j, "a"), "x"));
	assert_null(json_get(json_get(j, "s"), "x"));
	assert_int_equal(json_len(json_get(j, "s")), 0);
	assert_null(json_at(json_get(j, "n"), 0));
	assert_int_equal(json_int(json_get(j, "s"), 0, &i), -1);
	assert_int_equal(i, 99);
	assert_int_equal(json_int(json_get(j, "s"), 1, &i), 0);
	assert_int_equal(i, 16);
	assert_int_equal(json_int(json_get(j, "neg"), 1, &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(json_int(json_get(j, "x"), 1, &i), -1);
	assert_int_equal(json_int(json_get(j, "sp"), 1, &i), -1);
	assert_int_equal(json_int(json_get(j, "b"), 1, &i), -1);
	assert_int_equal(json_double(json_get(j, "s"), &d), -1);
	assert_int_equal(json_bool(json_get(j, "n"), &b), -1);
	assert_int_equal(json_type(NULL), JSON_NULL);
	assert_null(json_get(NULL, "x"));
	assert_null(json_str(NULL));
	assert_int_equal(json_len(NULL), 0);
	assert_int_equal(json_int(NULL, 1, &i), -1);
	assert_int_equal(json_bool(NULL, &b), -1);
	assert_int_equal(json_double(NULL, &d), -1);
	json_free(j);
}

/* Duplicate keys are kept, json_get returns the last; \u0000 truncates. */
static void
test_dup_and_nul(void **state)
{
	struct json *j;

	j = parse_ok("{\"k\":1,\"k\":\"last\",\"z\":\"ab\\u0000cd\"}");
	assert_int_equal(json_len(j), 3);
	assert_string_equal(json_get_str(j, "k"), "last");
	assert_string_equal(json_get_str(j, "z"), "ab");
	json_free(j);
}

/* Build n nested arrays. */
static char *
nested(size_t n)
{
	char *s = xmalloc(2 * n + 1);

	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	return s;
}

/* Depth 64 parses; 65 and 100000 are refused with a clear cause. */
static void
test_depth(void **state)
{
	struct json *j;
	const struct json *v;
	char *s;
	size_t i;

	s = nested(JSON_MAX_DEPTH);
	j = parse_ok(s);
	for (v = j, i = 1; i < JSON_MAX_DEPTH; i++)
		v = json_at(v, 0);
	assert_int_equal(json_type(v), JSON_ARRAY);
	assert_int_equal(json_len(v), 0);
	json_free(j);
	free(s);

	s = nested(JSON_MAX_DEPTH + 1);
	parse_fail(s, strlen(s), "JSON nested deeper than 64 levels");
	free(s);

	/* Objects count too. */
	s = xmalloc(5 * 65 + 1 + 65 + 1);
	for (i = 0; i < 65; i++)
		memcpy(s + 5 * i, "{\"a\":", 5);
	memcpy(s + 5 * 65, "1", 1);
	memset(s + 5 * 65 + 1, '}', 65);
	s[5 * 65 + 66] = '\0';
	parse_fail(s, strlen(s), "deeper than 64");
	free(s);

	/* Only the opening brackets: no crash, no unbounded recursion. */
	s = xmalloc(100000);
	memset(s, '[', 100000);
	parse_fail(s, 100000, "deeper than 64");
	free(s);
}

/* Malformed input always gives a one-line cause. */
static void
test_malformed(void **state)
{
	const char bad_utf8[] = "{\"a\":\"\xff\xfe\"}";
	const char bad_utf8b[] = "[\"ok\xc3\"]";
	char *cause = NULL;

	parse_fail("{\"a\":1", 6, NULL);
	parse_fail("[1,2", 4, NULL);
	parse_fail("{\"a\":1} x", 9, "invalid JSON");
	parse_fail("{} {}", 5, NULL);
	parse_fail("[1]]", 4, NULL);
	parse_fail(bad_utf8, sizeof(bad_utf8) - 1, "invalid JSON");
	parse_fail(bad_utf8b, sizeof(bad_utf8b) - 1, NULL);
	parse_fail("", 0, "empty");
	parse_fail("   ", 3, NULL);
	parse_fail(NULL, 0, "empty");
	parse_fail("{a:1}", 5, NULL);
	parse_fail("[01]", 4, NULL);
	parse_fail("[1,]", 4, NULL);
	parse_fail("[\"a\nb\"]", 7, NULL);
	parse_fail("tru", 3, NULL);
	/* A NULL cause pointer is allowed. */
	assert_null(json_parse("[", 1, NULL));
	/* The length is honoured: the bytes after it are not read. */
	assert_null(json_parse("[1]", 2, &cause));
	free(cause);
}

/* The DWS "detail" field is JSON in a string holding JSON in a string. */
static void
test_nested_string(void **state)
{
	struct json *root, *detail, *info;
	const struct json *sub;
	const char *s;
	char *cause = NULL, *text;
	size_t len;
	int64_t size;

	text = read_file(FIXTURES "dws-actions-snapshotting-failed.json", &len);
	root = json_parse(text, len, &cause);
	assert_non_null(root);
	sub = json_at(
	    json_get(json_at(json_get(root, "items"), 0), "sub_items"), 0);
	assert_string_equal(json_get_str(sub, "status"), "FAILED");
	assert_int_equal(json_type(json_get(sub, "end_time")), JSON_NULL);
	s = json_get_str(sub, "detail");
	assert_non_null(s);

	detail = json_parse(s, strlen(s), &cause);
	assert_non_null(detail);
	s = json_get_str(detail, "progressInfo");
	assert_non_null(s);
	info = json_parse(s, strlen(s), &cause);
	assert_non_null(info);
	assert_int_equal(json_type(info), JSON_OBJECT);
	assert_string_equal(json_get_str(info, "progress"), "100.00%");
	assert_string_equal(json_get_str(info, "failedStep"), "INIT");
	assert_int_equal(json_int(json_get(info, "backupSize"), 0, &size), 0);
	assert_int_equal(size, 157661926);
	assert_string_equal(
	    json_get_str(json_get(info, "backupRate"), "compressRate"),
	    "0MB/s");
	json_free(info);
	json_free(detail);
	json_free(root);
	free(text);
}

/* The writer escapes quotes, backslashes, control characters, not '/'. */
static void
test_writer_escape(void **state)
{
	struct json_writer *w;
	struct json *j;
	const char *out;
	size_t len;

	w = json_writer_new();
	assert_string_equal(json_writer_str(w, &len), "");
	assert_int_equal(len, 0);
	json_w_obj_open(w);
	json_w_kstr(w, "q", "a\"b\\c/d\n\r\t\x01\x1f");
	json_w_kstr(w, "k\"ey", NULL);
	json_w_kint(w, "i", INT64_MIN);
	json_w_kbool(w, "b", 5);
	json_w_key(w, "arr");
	json_w_arr_open(w);
	json_w_null(w);
	json_w_int(w, 0);
	json_w_bool(w, 0);
	json_w_str(w, "\xc3\xa9");
	json_w_arr_close(w);
	json_w_obj_close(w);
	out = json_writer_str(w, &len);
	assert_string_equal(out,
	    "{\"q\":\"a\\\"b\\\\c/d\\n\\r\\t\\u0001"
	    "\\u001F\",\"k\\\"ey\":null,\"i\":-9223372036854775808,"
	    "\"b\":true,\"arr\":[null,0,false,\"\xc3\xa9\"]}");
	assert_int_equal(len, strlen(out));

	/* And it parses back to the same strings. */
	j = parse_ok(out);
	assert_string_equal(json_get_str(j, "q"), "a\"b\\c/d\n\r\t\x01\x1f");
	assert_int_equal(json_type(json_get(j, "k\"ey")), JSON_NULL);
	json_free(j);
	json_writer_free(w);
	json_writer_free(NULL);
}

/* Invalid UTF-8 is replaced with U+FFFD instead of stopping the writer. */
static void
test_writer_bad_utf8(void **state)
{
	struct json_writer *w;
	struct json *j;

	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kstr(w, "a", "x\xffy\xc3");
	json_w_kstr(w, "b\xfe", "\xed\xa0\x80");
	json_w_kstr(w, "c", "after");
	json_w_obj_close(w);
	assert_string_equal(json_writer_str(w, NULL),
	    "{\"a\":\"x\xef\xbf\xbdy\xef\xbf\xbd\","
	    "\"b\xef\xbf\xbd\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
	    "\"c\":\"after\"}");
	j = parse_ok(json_writer_str(w, NULL));
	assert_string_equal(json_get_str(j, "c"), "after");
	json_free(j);
	json_writer_free(w);
}

/* json_w_raw embeds valid JSON as a value and anything else as a string. */
static void
test_writer_raw(void **state)
{
	struct json_writer *w;

	w = json_writer_new();
	json_w_arr_open(w);
	json_w_raw(w, " {\"a\" : [1, 2.50, \"x\"]} ");
	json_w_raw(w, "not json {");
	json_w_raw(w, "{\"a\":1} trailing");
	json_w_raw(w, "");
	json_w_raw(w, NULL);
	json_w_raw(w, "42");
	json_w_arr_close(w);
	assert_string_equal(json_writer_str(w, NULL),
	    "[{\"a\":[1,2.50,\"x\"]},\"not json {\","
	    "\"{\\\"a\\\":1} trailing\",\"\",null,42]");
	json_writer_free(w);

	/* Too deep for the parser: kept as a string, not a crash. */
	w = json_writer_new();
	{
		char *s = nested(200);
		struct json *j;

		json_w_raw(w, s);
		j = parse_ok(json_writer_str(w, NULL));
		assert_string_equal(json_str(j), s);
		json_free(j);
		free(s);
	}
	json_writer_free(w);
}

/* parse -> dump -> parse gives the same tree, and dump is stable. */
static void
test_roundtrip(void **state)
{
	const char *files[] = { "dws-actions-snapshotting-failed.json",
		"dds-jobs.json", "dws-logical-tasks.json",
		"ehpc-list-tasks.json", "gaussdb-tasks.json" };
	struct json *a, *b;
	char *text, *d1, *d2, *path;
	size_t len, l1, l2, i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path = xasprintf("%s%s", FIXTURES, files[i]);
		text = read_file(path, &len);
		a = json_parse(text, len, NULL);
		assert_non_null(a);
		d1 = json_dump(a, &l1);
		assert_int_equal(l1, strlen(d1));
		assert_null(strchr(d1, '\n'));
		b = json_parse(d1, l1, NULL);
		assert_non_null(b);
		d2 = json_dump(b, &l2);
		assert_string_equal(d1, d2);
		json_free(a);
		json_free(b);
		free(d1);
		free(d2);
		free(text);
		free(path);
	}

	/* A subtree, and NULL. */
	a = parse_ok("{\"x\":{\"y\":[true,null,-0.5e-3,\"\\u00e9/\"]}}");
	d1 = json_dump(json_get(a, "x"), NULL);
	assert_string_equal(d1, "{\"y\":[true,null,-0.5e-3,\"\xc3\xa9/\"]}");
	free(d1);
	d1 = json_dump(NULL, &l1);
	assert_string_equal(d1, "null");
	assert_int_equal(l1, 4);
	free(d1);
	json_free(a);
}

/* Assert that v's source text is exactly want. */
static void
source_is(const struct json *v, const char *want)
{
	const char *src;
	size_t len;

	src = json_source(v, &len);
	assert_non_null(src);
	if (len != strlen(want) || memcmp(src, want, len) != 0)
		fail_msg("source \"%.*s\", want \"%s\"", (int)len, src, want);
}

/* Objects and arrays know their own bytes in the document; scalars not. */
static void
test_source(void **state)
{
	const char *doc =
	    " {\"a\" : [ {\"x\":1}, {} ,[\"]\"]],\"b\":{\"s\":\"}\\\"\"} ,"
	    "\"c\":3} ";
	struct json *j = parse_ok(doc);
	const struct json *a = json_get(j, "a");
	size_t len;

	source_is(j,
	    "{\"a\" : [ {\"x\":1}, {} ,[\"]\"]],\"b\":{\"s\":\"}\\\"\"} ,"
	    "\"c\":3}");
	source_is(a, "[ {\"x\":1}, {} ,[\"]\"]]");
	source_is(json_at(a, 0), "{\"x\":1}");
	source_is(json_at(a, 1), "{}");
	source_is(json_at(a, 2), "[\"]\"]");
	source_is(json_get(j, "b"), "{\"s\":\"}\\\"\"}");
	/* It points into the parsed text itself. */
	assert_ptr_equal(json_source(j, &len), doc + 1);
	assert_null(json_source(json_get(j, "c"), &len));
	assert_int_equal(len, 0);
	assert_null(json_source(NULL, &len));
	json_free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_dup_and_nul),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nested_string),
		cmocka_unit_test(test_writer_escape),
		cmocka_unit_test(test_writer_bad_utf8),
		cmocka_unit_test(test_writer_raw),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
