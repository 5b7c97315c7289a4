/*
 * Unit tests for the syslog notifier's line: the exact logfmt lines of each
 * event kind, quoting and escaping of values (so cloud text cannot forge a
 * second line or field), and the 2 KiB cap that shortens the reason first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "evt.h"
#include "notify_impl.h"
#include "task.h"
#include "xmalloc.h"

#define TEST_ID "0123456789abcdef0123456789abcdef"

/* A task event of kind on the dds-prod watch, with a fixed id. */
static struct evt *
test_task_event(enum evt_kind kind, enum task_state state, const char *raw)
{
	struct evt *ev = evt_new(kind);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->region = xstrdup("cn-north-4");
	ev->has_task = 1;
	ev->task.id = xstrdup("2f406db7-bdc4-402f-9dc4-2c1b094a5f93");
	ev->task.type = xstrdup("RestartReplicaSetInstance");
	ev->task.cluster_id = xstrdup("1f311e6a299345d7bbc878874844e233in02");
	ev->task.cluster_name = xstrdup("dds-6be2-fwyrestore");
	ev->task.state = state;
	ev->task.raw_status = xstrdup(raw);
	memcpy(ev->id, TEST_ID, sizeof(TEST_ID));
	return ev;
}

/* A RUNNING -> FAILED transition with a reason. */
static struct evt *
test_transition(const char *reason)
{
	struct evt *ev;

	ev = test_task_event(EVT_TRANSITION, TASK_FAILED, "Failed");
	ev->has_previous = 1;
	ev->prev_state = TASK_RUNNING;
	ev->prev_raw = xstrdup("Running");
	ev->task.reason = xstrdup(reason);
	ev->severity = CONFIG_SEVERITY_CRITICAL;
	return ev;
}

/* Format ev, compare with want, free both. */
static void
test_expect(struct evt *ev, const char *want)
{
	char *line = notify_syslog_format(ev);

	assert_string_equal(line, want);
	free(line);
	evt_free(ev);
}

/* The reason="..." value of a transition whose reason is reason. */
static char *
test_reason_line(const char *reason)
{
	struct evt *ev = test_transition(reason);
	char *line = notify_syslog_format(ev), *p, *r;

	evt_free(ev);
	p = strstr(line, " reason=");
	assert_non_null(p);
	r = strstr(p, " id=" TEST_ID);
	assert_non_null(r);
	*r = '\0';
	r = xstrdup(p + strlen(" reason="));
	free(line);
	return r;
}

/* The example line of product.md, plus id and severity. */
static void
test_transition_line(void **state)
{
	test_expect(test_transition("replica set restart failed"),
	    "event=transition watch=dds-prod api=dds.jobs "
	    "task=2f406db7-bdc4-402f-9dc4-2c1b094a5f93 "
	    "type=RestartReplicaSetInstance cluster=dds-6be2-fwyrestore "
	    "from=RUNNING to=FAILED raw=Failed missed=false "
	    "reason=\"replica set restart failed\" id=" TEST_ID
	    " severity=critical");
}

/* appeared: no from=; unset severity falls back to the default. */
static void
test_appeared_line(void **state)
{
	struct evt *ev = test_task_event(EVT_APPEARED, TASK_RUNNING, "Running");

	free(ev->task.cluster_name);
	ev->task.cluster_name = NULL;
	ev->missed = 1;
	test_expect(ev,
	    "event=appeared watch=dds-prod api=dds.jobs "
	    "task=2f406db7-bdc4-402f-9dc4-2c1b094a5f93 "
	    "type=RestartReplicaSetInstance "
	    "cluster=1f311e6a299345d7bbc878874844e233in02 "
	    "to=RUNNING raw=Running missed=true id=" TEST_ID " severity=info");
}

/* vanished: the last state as from=, no to=. */
static void
test_vanished_line(void **state)
{
	struct evt *ev = test_task_event(EVT_VANISHED, TASK_RUNNING, "Running");

	ev->has_previous = 1;
	ev->prev_state = TASK_RUNNING;
	ev->severity = CONFIG_SEVERITY_WARNING;
	test_expect(ev,
	    "event=vanished watch=dds-prod api=dds.jobs "
	    "task=2f406db7-bdc4-402f-9dc4-2c1b094a5f93 "
	    "type=RestartReplicaSetInstance cluster=dds-6be2-fwyrestore "
	    "from=RUNNING raw=Running missed=false id=" TEST_ID
	    " severity=warning");
}

/* stalled: the progress it is stuck at. */
static void
test_stalled_line(void **state)
{
	struct evt *ev = test_task_event(EVT_STALLED, TASK_RUNNING, "Running");

	ev->task.progress = 60;
	ev->severity = CONFIG_SEVERITY_WARNING;
	test_expect(ev,
	    "event=stalled watch=dds-prod api=dds.jobs "
	    "task=2f406db7-bdc4-402f-9dc4-2c1b094a5f93 "
	    "type=RestartReplicaSetInstance cluster=dds-6be2-fwyrestore "
	    "to=RUNNING raw=Running progress=60 missed=false id=" TEST_ID
	    " severity=warning");
}

/* watch_failed: no task fields; class= and error=. */
static void
test_watch_failed_line(void **state)
{
	struct evt *ev = evt_new(EVT_WATCH_FAILED);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->error_class = xstrdup("auth");
	ev->error_msg = xstrdup("HTTP 401: APIGW.0301 Incorrect IAM "
				"authentication information");
	ev->severity = CONFIG_SEVERITY_CRITICAL;
	memcpy(ev->id, TEST_ID, sizeof(TEST_ID));
	test_expect(ev,
	    "event=watch_failed watch=dds-prod api=dds.jobs "
	    "missed=false class=auth error=\"HTTP 401: APIGW.0301 Incorrect "
	    "IAM authentication information\" id=" TEST_ID
	    " severity=critical");
}

/* watch_recovered: the bare minimum. */
static void
test_watch_recovered_line(void **state)
{
	struct evt *ev = evt_new(EVT_WATCH_RECOVERED);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->severity = CONFIG_SEVERITY_INFO;
	memcpy(ev->id, TEST_ID, sizeof(TEST_ID));
	test_expect(ev,
	    "event=watch_recovered watch=dds-prod api=dds.jobs "
	    "missed=false id=" TEST_ID " severity=info");
}

/* watch_flapping: the last error, as watch_failed has it. */
static void
test_watch_flapping_line(void **state)
{
	struct evt *ev = evt_new(EVT_WATCH_FLAPPING);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->error_class = xstrdup("http");
	ev->error_msg = xstrdup("HTTP 503");
	ev->severity = CONFIG_SEVERITY_WARNING;
	memcpy(ev->id, TEST_ID, sizeof(TEST_ID));
	test_expect(ev,
	    "event=watch_flapping watch=dds-prod api=dds.jobs "
	    "missed=false class=http error=\"HTTP 503\" id=" TEST_ID
	    " severity=warning");
}

/* Quoting and escaping of every kind of special byte. */
static void
test_escaping(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} t[] = {
		{ "plain", "plain" },
		{ "", "\"\"" },
		{ "two words", "\"two words\"" },
		{ "a=b", "\"a=b\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "C:\\dir", "\"C:\\\\dir\"" },
		{ "line1\nline2", "\"line1\\nline2\"" },
		{ "cr\rlf", "\"cr\\rlf\"" },
		{ "tab\there", "\"tab\\there\"" },
		{ "bell\x07", "\"bell\\x07\"" },
		{ "esc\x1b[31m", "\"esc\\x1b[31m\"" },
		{ "del\x7f", "\"del\\x7f\"" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};
	struct evt *ev;
	size_t i;
	char *v, *line, *want;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* As the type (which is never left out). */
		ev = test_transition("r");
		free(ev->task.type);
		ev->task.type = xstrdup(t[i].in);
		line = notify_syslog_format(ev);
		want = xasprintf(" type=%s cluster=", t[i].out);
		if (strstr(line, want) == NULL)
			fail_msg("%zu: %s lacks %s", i, line, want);
		free(want);
		free(line);
		evt_free(ev);
		/* As the reason (left out when empty). */
		if (t[i].in[0] == '\0') {
			ev = test_transition("");
			line = notify_syslog_format(ev);
			assert_null(strstr(line, "reason"));
			free(line);
			evt_free(ev);
			continue;
		}
		v = test_reason_line(t[i].in);
		assert_string_equal(v, t[i].out);
		free(v);
	}
}

/* A reason trying to start a new line or field stays inside its value. */
static void
test_no_forgery(void **state)
{
	struct evt *ev;
	char *line;

	ev = test_transition("boom\nevent=forged severity=info\" id=x");
	line = notify_syslog_format(ev);
	assert_null(strchr(line, '\n'));
	assert_null(strchr(line, '\r'));
	assert_non_null(strstr(line,
	    " reason=\"boom\\nevent=forged "
	    "severity=info\\\" id=x\" id=" TEST_ID " severity=critical"));
	/* Exactly one id= and one severity= field outside quotes. */
	assert_ptr_equal(strstr(line, " id=" TEST_ID),
	    strrchr(line, ' ') - strlen(" id=" TEST_ID));
	free(line);
	evt_free(ev);
}

/* The line is capped at 2 KiB; the reason is cut, the tail kept. */
static void
test_cap(void **state)
{
	char *reason, *line;
	struct evt *ev;
	size_t len;

	reason = xmalloc(10001);
	memset(reason, 'x', 10000);
	reason[10000] = '\0';
	reason[5] = ' ';
	ev = test_transition(reason);
	line = notify_syslog_format(ev);
	len = strlen(line);
	assert_true(len <= 2048);
	assert_true(len >= 2000);
	assert_non_null(
	    strstr(line, "xxx...\" id=" TEST_ID " severity=critical"));
	assert_non_null(strstr(line, " reason=\"xxxxx x"));
	free(line);
	evt_free(ev);

	/* Escapes and UTF-8 are never cut in half. */
	memset(reason, 0, 10001);
	for (len = 0; len + 3 <= 9000; len += 3)
		memcpy(reason + len, len % 2 ? "\xc3\xa9\n" : "\n\xc3\xa9", 3);
	ev = test_transition(reason);
	line = notify_syslog_format(ev);
	assert_true(strlen(line) <= 2048);
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, "...\" id=" TEST_ID));
	{
		char *dots = strstr(line, "...\" id=");

		/* Before the dots: a whole escape or a whole character. */
		assert_true((dots[-1] == 'n' && dots[-2] == '\\') ||
		    (dots[-2] == '\xc3' && dots[-1] == '\xa9'));
	}
	free(line);
	evt_free(ev);

	/* A long watch_failed error is cut too. */
	ev = evt_new(EVT_WATCH_FAILED);
	ev->watch = xstrdup("w");
	ev->error_class = xstrdup("http");
	memset(reason, 'e', 10000);
	reason[10000] = '\0';
	ev->error_msg = xstrdup(reason);
	line = notify_syslog_format(ev);
	assert_true(strlen(line) <= 2048);
	assert_non_null(strstr(line, "eee... id="));
	free(line);
	evt_free(ev);

	/* Even overlong fixed fields cannot exceed the cap. */
	ev = test_transition("r");
	free(ev->task.type);
	free(ev->task.id);
	free(ev->task.cluster_name);
	free(ev->watch);
	ev->task.type = xstrdup(reason);
	ev->task.id = xstrdup(reason);
	ev->task.cluster_name = xstrdup(reason);
	ev->watch = xstrdup(reason);
	free(ev->api);
	ev->api = xstrdup(reason);
	free(ev->task.raw_status);
	ev->task.raw_status = xstrdup(reason);
	free(ev->task.reason);
	ev->task.reason = xstrdup(reason);
	line = notify_syslog_format(ev);
	assert_true(strlen(line) <= 2048);
	assert_non_null(strstr(line, "type=eee"));
	free(line);
	evt_free(ev);
	free(reason);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_line),
		cmocka_unit_test(test_appeared_line),
		cmocka_unit_test(test_vanished_line),
		cmocka_unit_test(test_stalled_line),
		cmocka_unit_test(test_watch_failed_line),
		cmocka_unit_test(test_watch_recovered_line),
		cmocka_unit_test(test_watch_flapping_line),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_no_forgery),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
