/*
 * Unit tests for the control socket's requests: a line is parsed against
 * the command table (JSON object, known "cmd", required string members),
 * the command's answer gets "ok": true first, an error answer carries the
 * reason, and the peer reaches the command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control.h"
#include "json.h"
#include "xmalloc.h"

/* A command that echoes its argument and the peer's uid. */
static int
echo_fn(const struct control_req *req, struct json_writer *answer, char **error,
    void *arg)
{
	const char *watch = json_get_str(req->root, "watch");

	if (strcmp(watch, "bad") == 0) {
		*error = xstrdup("no watch named \"bad\"");
		return -1;
	}
	json_w_kstr(answer, "watch", watch);
	json_w_kint(answer, "uid", (int64_t)req->peer.uid);
	(*(int *)arg)++;
	return 0;
}

static const char *const watch_args[] = { "watch", NULL };
static const struct control_cmd table[] = {
	{ "poll", 1, watch_args, echo_fn },
	{ "ping", 0, NULL, echo_fn },
	{ NULL, 0, NULL, NULL },
};

/* parse: a line gives its row; bad lines say why. */
static void
test_parse(void **state)
{
	static const struct {
		const char *line;
		const char *cause; /* NULL: parses */
	} cases[] = {
		{ "{\"cmd\":\"poll\",\"watch\":\"w1\"}\n", NULL },
		{ "{\"cmd\":\"poll\",\"watch\":\"w1\"}\r\n", NULL },
		{ "{\"watch\":\"w1\",\"cmd\":\"ping\"}", NULL },
		{ "{\"cmd\":\"poll\"}", "poll: missing \"watch\" string" },
		{ "{\"cmd\":\"poll\",\"watch\":7}",
		    "poll: missing \"watch\" string" },
		{ "{\"cmd\":\"reboot\"}", "unknown command \"reboot\"" },
		{ "{\"cmd\":1}", "request has no \"cmd\" string" },
		{ "[\"poll\"]", "request is not a JSON object" },
		{ "", NULL },
		{ "poll w1", NULL },
	};
	struct control_req req;
	struct json *root;
	char *cause;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&req, 0, sizeof(req));
		cause = NULL;
		rc = control_parse(table, cases[i].line, strlen(cases[i].line),
		    &req, &root, &cause);
		if (i < 3) {
			assert_int_equal(rc, 0);
			assert_non_null(req.cmd);
			assert_ptr_equal(req.root, root);
			json_free(root);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_null(root);
		assert_non_null(cause);
		if (cases[i].cause != NULL)
			assert_string_equal(cause, cases[i].cause);
		else
			assert_non_null(strstr(cause, "request is not JSON"));
		free(cause);
	}
}

/* answer: ok first, then the command's members; errors as one line. */
static void
test_answer(void **state)
{
	struct control_peer peer = { 1000, 1000, 42 };
	const char *line = "{\"cmd\":\"poll\",\"watch\":\"w1\"}\n";
	char *out;
	int calls = 0;

	out = control_answer(table, line, strlen(line), &peer, &calls);
	assert_string_equal(
	    out, "{\"ok\":true,\"watch\":\"w1\",\"uid\":1000}\n");
	assert_int_equal(calls, 1);
	free(out);

	line = "{\"cmd\":\"poll\",\"watch\":\"bad\"}";
	out = control_answer(table, line, strlen(line), &peer, &calls);
	assert_string_equal(
	    out, "{\"ok\":false,\"error\":\"no watch named \\\"bad\\\"\"}\n");
	free(out);

	line = "{\"cmd\":\"nope\"}";
	out = control_answer(table, line, strlen(line), &peer, &calls);
	assert_string_equal(
	    out, "{\"ok\":false,\"error\":\"unknown command \\\"nope\\\"\"}\n");
	assert_int_equal(calls, 1);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
