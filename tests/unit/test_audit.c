/*
 * Unit tests for the hook audit log: the line format (hostile output kept
 * as valid JSON, the last 4 KiB), rotation by size (also through a second
 * handle), write errors counted and never fatal (/dev/full, a missing
 * directory), and the hook_failed event a failed run makes.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "evt.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "spawn.h"
#include "task.h"
#include "testlib.h"
#include "xmalloc.h"

static const char *const test_argv[] = { "/usr/local/bin/fix", "--now", NULL };

/* A record of a run of test_argv that exited with status. */
static void
test_record(struct audit_record *r, int status, const char *out, size_t len)
{
	struct spawn_result sr;

	memset(&sr, 0, sizeof(sr));
	sr.how = SPAWN_EXITED;
	sr.status = status;
	sr.output = out;
	sr.output_len = len;
	sr.output_total = len;
	sr.duration_ms = 1234;
	audit_record_init(r, "fixer", "0123456789abcdef0123456789abcdef",
	    "transition", test_argv, 2);
	audit_record_end(r, &sr);
}

/* Parse one line; it must end with its only newline. */
static struct json *
test_parse_line(const char *line, size_t len)
{
	struct json *j;
	char *cause = NULL;

	assert_true(len > 1);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	j = json_parse(line, len - 1, &cause);
	if (j == NULL)
		fail_msg("not JSON: %s", cause);
	return j;
}

/* The fields of a line, hostile output escaped into valid UTF-8. */
static void
test_format(void **state)
{
	static const char out[] = "line one\nerr\x01\xff\0after nul\n";
	struct audit_record r;
	struct json *j;
	int64_t v;
	char *line;
	size_t len;

	test_record(&r, 3, out, sizeof(out) - 1);
	line = audit_format(&r, &len);
	j = test_parse_line(line, len);
	assert_string_equal(json_get_str(j, "notifier"), "fixer");
	assert_string_equal(
	    json_get_str(j, "event_id"), "0123456789abcdef0123456789abcdef");
	assert_string_equal(json_get_str(j, "event_kind"), "transition");
	assert_string_equal(json_get_str(j, "outcome"), "failed");
	assert_int_equal(json_len(json_get(j, "argv")), 2);
	assert_string_equal(json_str(json_at(json_get(j, "argv"), 1)), "--now");
	assert_int_equal(json_int(json_get(j, "exit_status"), 0, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(json_int(json_get(j, "duration_ms"), 0, &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(json_int(json_get(j, "attempt"), 0, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(json_int(json_get(j, "start_ms"), 0, &v), 0);
	assert_true(v > TESTLIB_NOW_MS);
	assert_non_null(json_get_str(j, "time"));
	assert_string_equal(json_get_str(j, "stderr_tail"),
	    "line one\nerr\x01\xef\xbf\xbd\xef\xbf\xbd"
	    "after nul\n");
	assert_null(json_get(j, "signal"));
	assert_null(json_get(j, "env"));
	json_free(j);
	free(line);
}

/* Only the last AUDIT_OUTPUT_MAX bytes, cut at a character. */
static void
test_tail(void **state)
{
	struct audit_record r;
	struct json *j;
	char *out, *line;
	const char *tail;
	size_t len, n = 3 * AUDIT_OUTPUT_MAX;

	out = xmalloc(n);
	memset(out, 'a', n);
	/* A 2-byte character across the cut, the end marked. */
	out[n - AUDIT_OUTPUT_MAX - 1] = '\xc3';
	out[n - AUDIT_OUTPUT_MAX] = '\xa9';
	memcpy(out + n - 4, "END\n", 4);
	test_record(&r, 1, out, n);
	line = audit_format(&r, &len);
	j = test_parse_line(line, len);
	tail = json_get_str(j, "stderr_tail");
	assert_int_equal(strlen(tail), AUDIT_OUTPUT_MAX - 1);
	assert_string_equal(tail + strlen(tail) - 4, "END\n");
	assert_null(strstr(tail, "\xef\xbf\xbd"));
	json_free(j);
	free(line);
	free(out);
}

/* The tail spawn kept, when it kept one, rather than the start. */
static void
test_prefers_tail(void **state)
{
	struct spawn_result sr;
	struct audit_record r;

	memset(&sr, 0, sizeof(sr));
	sr.how = SPAWN_EXITED;
	sr.status = 1;
	sr.output = "start";
	sr.output_len = 5;
	sr.tail = "the end";
	sr.tail_len = 7;
	audit_record_init(&r, "fixer", "id1", "transition", test_argv, 1);
	audit_record_end(&r, &sr);
	assert_int_equal(r.output_len, 7);
	assert_memory_equal(r.output, "the end", 7);
}

/* A dry run records argv, environment and stdin, and no output. */
static void
test_dry_run(void **state)
{
	static const char *const env[] = { "PATH=/usr/bin:/bin",
		"TASKWATCH_EVENT=transition", NULL };
	struct audit_record r;
	struct json *j;
	char *line;
	size_t len;
	int b;

	audit_record_init(&r, "fixer", "id1", "transition", test_argv, 1);
	audit_record_dry_run(&r, env, "{\"id\":\"id1\"}", 12);
	line = audit_format(&r, &len);
	j = test_parse_line(line, len);
	assert_int_equal(json_bool(json_get(j, "dry_run"), &b), 0);
	assert_true(b);
	assert_string_equal(json_get_str(j, "outcome"), "dry_run");
	assert_string_equal(json_str(json_at(json_get(j, "env"), 1)),
	    "TASKWATCH_EVENT=transition");
	assert_string_equal(json_get_str(j, "stdin"), "{\"id\":\"id1\"}");
	assert_null(json_get(j, "stderr_tail"));
	assert_null(audit_hook_failed(&r, NULL));
	json_free(j);
	free(line);
}

/* The lines of a file (0 if it does not exist). */
static size_t
test_count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	int c;

	if (fp == NULL)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

/* The size of a file. */
static off_t
test_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Past max bytes the file becomes path.1; a second handle follows. */
static void
test_rotation(void **state)
{
	char dir[] = "/tmp/test_audit.XXXXXX", path[64], old[80];
	struct audit *a, *b;
	struct audit_record r;
	size_t i, n = 0, linelen;
	char *line;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_FILE);
	snprintf(old, sizeof(old), "%s.1", path);
	test_record(&r, 0, "ok\n", 3);
	line = audit_format(&r, &linelen);
	free(line);
	a = audit_new(path, 4096);
	b = audit_new(path, 4096);
	for (i = 0; i < 4096 / linelen + 1; i++)
		assert_int_equal(audit_write(i % 2 ? a : b, &r), 0);
	/* Both wrote into one file until it was full, then a new one. */
	assert_int_equal(access(old, F_OK), 0);
	n = test_count_lines(path) + test_count_lines(old);
	assert_int_equal(n, i);
	assert_true(test_size(old) <= 4096);
	assert_true(test_size(path) < 4096);
	/* The other handle writes to the new file, not the old one. */
	n = test_count_lines(old);
	assert_int_equal(audit_write(i % 2 ? a : b, &r), 0);
	assert_int_equal(test_count_lines(old), n);
	audit_free(a);
	audit_free(b);
	testlib_rmtree(dir);
}

/* A failed write returns -1, is counted, and the next one is tried. */
static void
test_write_errors(void **state)
{
	struct audit *a;
	struct audit_record r;
	double before;

	log_init("test_audit", 1, 0);
	before =
	    metrics_get(metrics_global(), METRICS_AUDIT_WRITE_ERRORS, NULL);
	test_record(&r, 0, "", 0);
	a = audit_new("/dev/full", 0);
	assert_int_equal(audit_write(a, &r), -1);
	assert_int_equal(audit_write(a, &r), -1);
	audit_free(a);
	a = audit_new("/nonexistent-dir/" AUDIT_FILE, 0);
	assert_int_equal(audit_write(a, &r), -1);
	audit_free(a);
	assert_true(metrics_get(metrics_global(), METRICS_AUDIT_WRITE_ERRORS,
			NULL) == before + 3);
	assert_true(metrics_get(metrics_global(), METRICS_HOOK_RUNS, "notifier",
			"fixer", "outcome", "ok", NULL) >= 1);
}

/* A source event: a transition of a task. */
static struct evt *
test_source(enum evt_kind kind)
{
	struct evt *ev = evt_new(kind);

	ev->watch = xstrdup("w1");
	ev->api = xstrdup("dws.actions");
	ev->account = xstrdup("acct");
	ev->region = xstrdup("cn-north-4");
	ev->has_task = 1;
	ev->task.id = xstrdup("t1");
	ev->task.type = xstrdup("SNAPSHOTTING");
	ev->task.cluster_id = xstrdup("c1");
	ev->task.state = TASK_FAILED;
	evt_finish(ev);
	return ev;
}

/* hook_failed: its fields, a stable id, and none where it must not be. */
static void
test_hook_failed(void **state)
{
	struct evt *src = test_source(EVT_TRANSITION), *a, *b, *hook;
	struct audit_record r;
	struct json *doc;
	char *cause = NULL, *summary;
	int64_t v;

	test_record(&r, 3, "boom\n", 5);
	r.event_id = src->id;
	a = audit_hook_failed(&r, src);
	b = audit_hook_failed(&r, src);
	assert_non_null(a);
	assert_int_equal(a->kind, EVT_HOOK_FAILED);
	assert_string_equal(a->id, b->id);
	assert_string_not_equal(a->id, src->id);
	assert_string_equal(a->hook_notifier, "fixer");
	assert_string_equal(a->watch, "w1");
	assert_string_equal(a->task.id, "t1");
	assert_int_equal(a->severity, CONFIG_SEVERITY_WARNING);
	doc = json_parse(a->hook_doc, strlen(a->hook_doc), &cause);
	assert_non_null(doc);
	assert_string_equal(json_get_str(doc, "event_id"), src->id);
	assert_string_equal(json_get_str(doc, "stderr_tail"), "boom\n");
	assert_int_equal(json_int(json_get(doc, "exit_status"), 0, &v), 0);
	assert_int_equal(v, 3);
	json_free(doc);
	summary = evt_summary(a);
	assert_non_null(strstr(summary,
	    "w1: hook fixer: exited with status 3 for transition event"));
	free(summary);
	/* Another notifier's failure is another event. */
	r.notifier = "other";
	evt_free(b);
	b = audit_hook_failed(&r, src);
	assert_string_not_equal(a->id, b->id);
	/* Not for a run that asked for a retry, nor for a hook_* event. */
	test_record(&r, 75, "", 0);
	assert_null(audit_hook_failed(&r, src));
	test_record(&r, 3, "", 0);
	hook = test_source(EVT_HOOK_FAILED);
	assert_null(audit_hook_failed(&r, hook));
	evt_free(hook);
	evt_free(a);
	evt_free(b);
	evt_free(src);
}

/* A signal, a timeout and a failed start all make one. */
static void
test_hook_failed_ends(void **state)
{
	static const enum spawn_end ends[] = { SPAWN_SIGNALED, SPAWN_TIMEOUT,
		SPAWN_ERROR };
	static const char *const reasons[] = { "killed by signal 9",
		"timed out after", "could not start (no such file)" };
	struct evt *src = test_source(EVT_TRANSITION), *ev;
	struct spawn_result sr;
	struct audit_record r;
	size_t i;

	for (i = 0; i < 3; i++) {
		memset(&sr, 0, sizeof(sr));
		sr.how = ends[i];
		sr.status = 9;
		sr.signal = 9;
		sr.error = "no such file";
		audit_record_init(
		    &r, "fixer", src->id, "transition", test_argv, 1);
		audit_record_end(&r, &sr);
		ev = audit_hook_failed(&r, src);
		assert_non_null(ev);
		if (strstr(ev->hook_doc, reasons[i]) == NULL)
			fail_msg("%s lacks %s", ev->hook_doc, reasons[i]);
		evt_free(ev);
	}
	evt_free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_tail),
		cmocka_unit_test(test_prefers_tail),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_hook_failed),
		cmocka_unit_test(test_hook_failed_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
