/*
 * Unit tests for auth.c: the callback fires exactly once and never from
 * within auth_send, for requests that cannot be sent (a local secret
 * error, no IAM client), for a transfer that gets no answer, and for a
 * cancelled call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "apierr.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "sign.h"
#include "xmalloc.h"

/* What the callback saw. */
struct test_seen {
	int calls;
	int inside; /* set while auth_send runs */
	int from_inside;
	int cancelled;
	int has_err;
	enum apierr_class class;
	int local;
	char msg[256];
	enum http_error error;
	unsigned requests;
};

/* Record one answer. */
static void
test_cb(const struct auth_answer *a, void *arg)
{
	struct test_seen *s = arg;

	s->calls++;
	s->from_inside |= s->inside;
	s->cancelled = a->cancelled;
	s->requests = a->requests;
	if (a->resp != NULL)
		s->error = a->resp->error;
	if ((s->has_err = a->err != NULL)) {
		s->class = a->err->class;
		s->local = a->err->local;
		snprintf(s->msg, sizeof(s->msg), "%s", a->err->msg);
	}
}

/* A request to a closed port on loopback. */
static struct sign_req *
test_req(void)
{
	struct sign_req *req = sign_req_new();
	char *cause = NULL;

	sign_req_set_path(req, "/v3/p/jobs");
	assert_int_equal(
	    sign_req_set_base(req, "http://127.0.0.1:9", &cause), 0);
	return req;
}

/* Send one request for acct and run the loop until the callback fired. */
static void
test_run(struct auth *auth, const struct config_account *acct,
    struct test_seen *s, int cancel)
{
	struct auth_opts opts;
	struct auth_call *c;
	int i;

	memset(&opts, 0, sizeof(opts));
	opts.who = "watch t";
	opts.service = "dds";
	opts.timeout_ms = 5000;
	s->inside = 1;
	c = auth_send(auth, &acct, test_req(), &opts, test_cb, s);
	s->inside = 0;
	assert_non_null(c);
	assert_int_equal(s->calls, 0);
	if (cancel)
		auth_cancel(c);
	for (i = 0; i < 500 && s->calls == 0; i++)
		event_base_loop(auth->base, EVLOOP_ONCE);
	/* nothing more comes */
	event_base_loop(auth->base, EVLOOP_NONBLOCK);
	assert_int_equal(s->calls, 1);
	assert_int_equal(s->from_inside, 0);
}

/* Send one request for an account of method called name; *s says what came. */
static void
test_account(void **state, const char *name, enum config_auth_method method,
    int cancel, struct test_seen *s)
{
	struct config_account a;

	memset(&a, 0, sizeof(a));
	memset(s, 0, sizeof(*s));
	a.name = (char *)name;
	a.auth_method = method;
	test_run(*state, &a, s, cancel);
}

/* A world of a loop and an http client, no IAM, no credential store. */
static int
test_setup(void **state)
{
	struct auth *auth = xcalloc(1, sizeof(*auth));

	auth->base = event_base_new();
	auth->http = http_new(auth->base);
	*state = auth;
	return 0;
}

/* Free the world. */
static int
test_teardown(void **state)
{
	struct auth *auth = *state;

	http_free(auth->http);
	event_base_free(auth->base);
	free(auth);
	return 0;
}

/* A key pair that cannot be read is a local error: nothing sent. */
static void
test_local_secret(void **state)
{
	struct test_seen s;

	test_account(state, "k", CONFIG_AUTH_AKSK, 0, &s);
	assert_int_equal(s.has_err, 1);
	assert_int_equal(s.class, APIERR_AUTH);
	assert_int_equal(s.local, 1);
	assert_int_equal(s.error, HTTP_EPROTO);
	assert_int_equal(s.requests, 0);
	assert_string_equal(
	    s.msg, "local secret error, nothing sent: no credential store");
}

/* A token account without an IAM client: auth error, not local. */
static void
test_no_iam(void **state)
{
	struct test_seen s;

	test_account(state, "t", CONFIG_AUTH_TOKEN, 0, &s);
	assert_int_equal(s.class, APIERR_AUTH);
	assert_int_equal(s.local, 0);
	assert_string_equal(s.msg, "no IAM client");
}

/* No answer at all is a network error after one request. */
static void
test_refused(void **state)
{
	struct test_seen s;

	test_account(state, "n", CONFIG_AUTH_NONE, 0, &s);
	assert_int_equal(s.cancelled, 0);
	assert_int_equal(s.has_err, 1);
	assert_int_equal(s.class, APIERR_NETWORK);
	assert_int_equal(s.requests, 1);
	assert_int_not_equal(s.error, HTTP_RESPONSE);
}

/* A cancelled call fires once, cancelled. */
static void
test_cancel(void **state)
{
	struct test_seen s;

	test_account(state, "n", CONFIG_AUTH_NONE, 1, &s);
	assert_int_equal(s.cancelled, 1);
	assert_int_equal(s.has_err, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_local_secret, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_iam, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cancel, test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
