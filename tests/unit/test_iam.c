/*
 * Unit tests for IAM tokens against an evhttp server on 127.0.0.1 on the
 * same event base: the request body and headers, one fetch for many
 * callers, caching, refresh before expiry, invalidation, the hold after a
 * refused password, cancel, reconfigure, and that the password never
 * reaches the log.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "http.h"
#include "iam.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

#define TEST_PASSWORD "pa\"ss-W0rd-SECRET"
#define TEST_LOG "/tmp/test_iam.log"

struct fix {
	struct event_base *base;
	struct evhttp *evh;
	struct http *http;
	struct iam *iam;
	struct event *guard;
	char endpoint[64];
	struct config_account acct;
	/* server behaviour */
	int status;     /* 201 normally */
	int lifetime_s; /* expires_at = now + this */
	int no_subject; /* leave out X-Subject-Token */
	unsigned fetches;
	char *last_body;
	char *last_ctype;
	/* callbacks */
	int calls;
	int want_calls;
};

struct got {
	struct fix *f;
	int calls;
	int ok;
	int cancelled;
	char *token;
	char *project;
	char *errmsg;
	enum apierr_class errclass;
	uint64_t generation;
};

/* The token endpoint: check nothing, record, answer as configured. */
static void
srv_tokens_cb(struct evhttp_request *req, void *arg)
{
	struct fix *f = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	const char *ct;
	char tok[32], exp[64];
	time_t t = time(NULL) + f->lifetime_s;
	struct tm tm;
	size_t n;

	f->fetches++;
	free(f->last_body);
	n = evbuffer_get_length(in);
	f->last_body = xmalloc(n + 1);
	evbuffer_remove(in, f->last_body, n);
	f->last_body[n] = '\0';
	free(f->last_ctype);
	ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	f->last_ctype = xstrdup(ct ? ct : "");
	if (f->status != 201) {
		evbuffer_add_printf(out,
		    "{\"error_msg\":\"The username or password is wrong.\","
		    "\"error_code\":\"IAM.0004\"}");
		evhttp_send_reply(req, f->status, "X", out);
		evbuffer_free(out);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%S.701000Z", &tm);
	snprintf(tok, sizeof(tok), "tok-%u", f->fetches);
	if (!f->no_subject)
		evhttp_add_header(oh, "X-Subject-Token", tok);
	evbuffer_add_printf(out,
	    "{\"token\":{\"expires_at\":\"%s\",\"methods\":[\"password\"],"
	    "\"project\":{\"id\":\"proj-learned\",\"name\":\"eu-de\"}}}",
	    exp);
	evhttp_send_reply(req, 201, "Created", out);
	evbuffer_free(out);
}

/* The guard fired: stop the loop. */
static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fix *f = arg;

	event_base_loopbreak(f->base);
}

/* Start the server, the http client and the token cache. */
static int
setup(void **state)
{
	struct fix *f = xcalloc(1, sizeof(*f));
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	f->base = event_base_new();
	f->evh = evhttp_new(f->base);
	evhttp_set_cb(f->evh, "/v3/auth/tokens", srv_tokens_cb, f);
	bs = evhttp_bind_socket_with_handle(f->evh, "127.0.0.1", 0);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
			     (struct sockaddr *)&sin, &len),
	    0);
	snprintf(f->endpoint, sizeof(f->endpoint), "http://127.0.0.1:%d",
	    ntohs(sin.sin_port));
	f->http = http_new(f->base);
	f->iam = iam_new(f->base, f->http);
	f->guard = evtimer_new(f->base, guard_cb, f);
	f->status = 201;
	f->lifetime_s = 86400;
	f->acct.name = "hw";
	f->acct.cloud = CONFIG_CLOUD_HUAWEI;
	f->acct.region = "eu-de";
	f->acct.auth_method = CONFIG_AUTH_TOKEN;
	f->acct.user = "alice";
	f->acct.domain = "acme";
	f->acct.password.env = "TEST_IAM_PASSWORD";
	f->acct.endpoints[CONFIG_SERVICE_IAM] = f->endpoint;
	setenv("TEST_IAM_PASSWORD", TEST_PASSWORD, 1);
	*state = f;
	return 0;
}

/* Stop everything. */
static int
teardown(void **state)
{
	struct fix *f = *state;

	iam_free(f->iam);
	http_free(f->http);
	event_free(f->guard);
	evhttp_free(f->evh);
	event_base_free(f->base);
	free(f->last_body);
	free(f->last_ctype);
	free(f);
	return 0;
}

/* Record a callback. */
static void
got_cb(const struct iam_result *res, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->f->calls++;
	g->ok = res->ok;
	g->cancelled = res->cancelled;
	free(g->token);
	free(g->project);
	free(g->errmsg);
	g->token = xstrdup(res->token);
	g->project = xstrdup(res->project_id);
	g->errmsg = xstrdup(res->errmsg);
	g->errclass = res->errclass;
	g->generation = res->generation;
	if (g->f->want_calls > 0 && g->f->calls >= g->f->want_calls)
		event_base_loopbreak(g->f->base);
}

/* Free what a callback recorded. */
static void
got_clear(struct got *g)
{
	free(g->token);
	free(g->project);
	free(g->errmsg);
	memset(g, 0, sizeof(*g));
}

/* Run the loop until n more callbacks have fired (at most 5 s). */
static void
run_calls(struct fix *f, int n)
{
	struct timeval tv = { 5, 0 };

	f->want_calls = f->calls + n;
	evtimer_add(f->guard, &tv);
	while (f->calls < f->want_calls && evtimer_pending(f->guard, NULL))
		event_base_loop(f->base, EVLOOP_ONCE);
	evtimer_del(f->guard);
	f->want_calls = 0;
	assert_true(f->calls >= n);
}

/* Run the loop for ms milliseconds. */
static void
run_ms(struct fix *f, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

/* One token: the body, the headers, the learned project. */
static void
test_token(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };
	struct json *body;
	const struct json *user;

	iam_token(f->iam, &f->acct, got_cb, &g);
	assert_int_equal(g.calls, 0); /* never from within iam_token */
	run_calls(f, 1);
	assert_int_equal(g.calls, 1);
	assert_true(g.ok);
	assert_string_equal(g.token, "tok-1");
	assert_string_equal(g.project, "proj-learned");
	assert_string_equal(iam_project_id(f->iam, &f->acct), "proj-learned");
	assert_int_equal(f->fetches, 1);
	assert_string_equal(f->last_ctype, "application/json;charset=utf8");
	body = json_parse(f->last_body, strlen(f->last_body), NULL);
	assert_non_null(body);
	user = json_get(
	    json_get(json_get(json_get(body, "auth"), "identity"), "password"),
	    "user");
	assert_string_equal(json_get_str(user, "name"), "alice");
	assert_string_equal(json_get_str(user, "password"), TEST_PASSWORD);
	assert_string_equal(
	    json_get_str(json_get(user, "domain"), "name"), "acme");
	assert_string_equal(
	    json_get_str(
		json_get(json_get(json_get(body, "auth"), "scope"), "project"),
		"name"),
	    "eu-de");
	json_free(body);
	got_clear(&g);
}

/* Callers that arrive together share one fetch; later ones the cache. */
static void
test_one_fetch(void **state)
{
	struct fix *f = *state;
	struct got g[5];
	int i;

	memset(g, 0, sizeof(g));
	for (i = 0; i < 5; i++) {
		g[i].f = f;
		iam_token(f->iam, &f->acct, got_cb, &g[i]);
	}
	run_calls(f, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_string_equal(g[i].token, "tok-1");
		assert_int_equal(g[i].generation, g[0].generation);
	}
	assert_int_equal(f->fetches, 1);
	iam_token(f->iam, &f->acct, got_cb, &g[0]);
	run_calls(f, 1);
	assert_string_equal(g[0].token, "tok-1");
	assert_int_equal(f->fetches, 1);
	for (i = 0; i < 5; i++)
		got_clear(&g[i]);
}

/* A short-lived token is replaced by the timer before it expires. */
static void
test_refresh(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };

	f->lifetime_s = 4;
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_string_equal(g.token, "tok-1");
	/* Refresh at 80%: 2.4 to 3.2 s (the server rounds to seconds). */
	run_ms(f, 3500);
	assert_int_equal(f->fetches, 2);
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_string_equal(g.token, "tok-2");
	assert_int_equal(f->fetches, 2);
	got_clear(&g);
}

/* An invalidated token is fetched again; a stale generation is ignored. */
static void
test_invalidate(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };
	uint64_t gen1;

	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	gen1 = g.generation;
	iam_invalidate(f->iam, "hw", gen1);
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_string_equal(g.token, "tok-2");
	assert_int_equal(f->fetches, 2);
	/* Another poll's 401 for the old token: keep the new one. */
	iam_invalidate(f->iam, "hw", gen1);
	iam_invalidate(f->iam, "nobody", gen1);
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_string_equal(g.token, "tok-2");
	assert_int_equal(f->fetches, 2);
	got_clear(&g);
}

/* A refused password: class auth, no secret in the message, a hold. */
static void
test_refused(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };
	struct config conf;

	f->status = 401;
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_false(g.ok);
	assert_false(g.cancelled);
	assert_int_equal(g.errclass, APIERR_AUTH);
	assert_non_null(strstr(g.errmsg, "IAM.0004"));
	assert_non_null(strstr(g.errmsg, "account hw"));
	assert_null(strstr(g.errmsg, "W0rd"));
	/* The hold: no second login attempt for a while. */
	f->status = 201;
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_false(g.ok);
	assert_int_equal(f->fetches, 1);
	/* A reload lifts the hold. */
	memset(&conf, 0, sizeof(conf));
	conf.accounts = &f->acct;
	conf.naccounts = 1;
	iam_reconfigure(f->iam, &conf);
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_true(g.ok);
	assert_int_equal(f->fetches, 2);
	got_clear(&g);
}

/* An answer without X-Subject-Token is a parse error. */
static void
test_no_subject(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };

	f->no_subject = 1;
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_false(g.ok);
	assert_int_equal(g.errclass, APIERR_PARSE);
	assert_non_null(strstr(g.errmsg, "X-Subject-Token"));
	got_clear(&g);
}

/* A configured project id scopes the token by id and is reported. */
static void
test_project_scope(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };

	f->acct.project_id = "p-conf";
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_true(g.ok);
	assert_string_equal(g.project, "p-conf");
	assert_non_null(
	    strstr(f->last_body, "\"scope\":{\"project\":{\"id\":\"p-conf\""));
	assert_string_equal(iam_project_id(f->iam, &f->acct), "p-conf");
	got_clear(&g);
}

/* No password: an auth error naming the variable, and no request. */
static void
test_no_password(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };

	unsetenv("TEST_IAM_PASSWORD");
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_false(g.ok);
	assert_int_equal(g.errclass, APIERR_AUTH);
	assert_non_null(strstr(g.errmsg, "TEST_IAM_PASSWORD"));
	assert_int_equal(f->fetches, 0);
	got_clear(&g);
}

/* Cancel fires the callback at once; free cancels the rest. */
static void
test_cancel(void **state)
{
	struct fix *f = *state;
	struct got a = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };
	struct got b = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct iam_wait *wt;
	char silent[64];
	int s;

	/* A server that accepts connections and never answers. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	snprintf(
	    silent, sizeof(silent), "http://127.0.0.1:%d", ntohs(sin.sin_port));
	f->acct.endpoints[CONFIG_SERVICE_IAM] = silent;

	wt = iam_token(f->iam, &f->acct, got_cb, &a);
	iam_token(f->iam, &f->acct, got_cb, &b);
	iam_cancel(wt);
	assert_int_equal(a.calls, 1);
	assert_true(a.cancelled);
	/* b waits for the fetch; freeing the cache cancels it. */
	run_ms(f, 200);
	assert_int_equal(b.calls, 0);
	iam_free(f->iam);
	f->iam = NULL;
	assert_int_equal(b.calls, 1);
	assert_true(b.cancelled);
	assert_int_equal(a.calls, 1);
	close(s);
	got_clear(&a);
	got_clear(&b);
}

/* A changed account (new user) gets a new token; a removed one errors. */
static void
test_reconfigure(void **state)
{
	struct fix *f = *state;
	struct got g = { f, 0, 0, 0, NULL, NULL, NULL, 0, 0 };
	struct config conf;

	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_string_equal(g.token, "tok-1");
	f->acct.user = "bob";
	iam_token(f->iam, &f->acct, got_cb, &g);
	run_calls(f, 1);
	assert_string_equal(g.token, "tok-2");
	assert_non_null(strstr(f->last_body, "\"name\":\"bob\""));
	/* Removed while a caller waits. */
	iam_invalidate(f->iam, "hw", g.generation);
	iam_token(f->iam, &f->acct, got_cb, &g);
	memset(&conf, 0, sizeof(conf));
	iam_reconfigure(f->iam, &conf);
	run_calls(f, 1);
	assert_false(g.ok);
	assert_non_null(strstr(g.errmsg, "removed"));
	got_clear(&g);
}

/* Run the tests with the log captured; the password never shows in it. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_one_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_invalidate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_subject, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_project_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reconfigure, setup, teardown),
	};
	int fd, saved, rc;
	char buf[65536];
	ssize_t n;

	fflush(stderr);
	saved = dup(2);
	fd = open(TEST_LOG, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || saved == -1 || dup2(fd, 2) == -1)
		return 1;
	log_init("test_iam", 1, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(TEST_LOG);
	buf[n > 0 ? n : 0] = '\0';
	if (rc != 0)
		fputs(buf, stderr);
	if (strstr(buf, "W0rd") != NULL || strstr(buf, "tok-") != NULL) {
		fprintf(stderr, "test_iam: a secret reached the log\n");
		return 1;
	}
	if (strstr(buf, "iam: account hw: new token") == NULL) {
		fprintf(stderr, "test_iam: log not captured\n");
		return 1;
	}
	return rc;
}
