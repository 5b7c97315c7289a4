/*
 * Unit tests for http.c against an evhttp server running on the same event
 * base on 127.0.0.1: statuses, Retry-After, 407 as a plain response, body and
 * header caps, timeouts, POST echo, redirects, connection reuse, protocol
 * whitelist, cancel, refused connections, re-entrant callbacks and redaction.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <signal.h>
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

#include "http.h"
#include "log.h"
#include "xmalloc.h"

#define BIG_BYTES (100 * 1024)
#define CAP_BYTES (10 * 1024)

struct fix {
	struct event_base *base;
	struct evhttp *evh;
	int port;
	struct http *h;
	struct event *guard;
	int pending; /* callbacks still expected */
	int timed_out;
};

struct result {
	struct fix *f;
	int calls;
	enum http_error error;
	long status;
	char *body;
	size_t body_len;
	char *errmsg;
	int64_t retry_after_ms;
	int reused;
	char *hdr[4];        /* values of want[] */
	const char *want[4]; /* header names to keep */
	/* Re-entrancy test: what to do from the callback. */
	struct http_xfer *self;
	struct http_xfer *cancel;
	struct result *submit;
};

/* A reply held back by the slow handler. */
struct slow {
	struct evhttp_request *req;
	struct event *ev;
};

static void result_cb(const struct http_response *, void *);

/* Reply with code and a body string. */
static void
reply(struct evhttp_request *req, int code, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, "X", b);
	evbuffer_free(b);
}

/* GET /ok: 200 "hello". */
static void
srv_ok_cb(struct evhttp_request *req, void *arg)
{
	reply(req, 200, "hello");
}

/* GET /500. */
static void
srv_500_cb(struct evhttp_request *req, void *arg)
{
	reply(req, 500, "boom");
}

/* GET /429: Retry-After in seconds. */
static void
srv_429_cb(struct evhttp_request *req, void *arg)
{
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Retry-After", "3");
	reply(req, 429, "slow down");
}

/* GET /429date: Retry-After as an HTTP date 20 s ahead. */
static void
srv_429date_cb(struct evhttp_request *req, void *arg)
{
	char date[64];
	time_t t = time(NULL) + 20;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Retry-After", date);
	reply(req, 429, "slow down");
}

/* GET /407: looks like a proxy challenge, but comes from the server. */
static void
srv_407_cb(struct evhttp_request *req, void *arg)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Proxy-Authenticate", "Basic realm=\"x\"");
	reply(req, 407, "need auth");
}

/* GET /big: a body over the cap, with a Content-Length. */
static void
srv_big_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	char *data = xmalloc(BIG_BYTES);

	memset(data, 'x', BIG_BYTES);
	evbuffer_add(b, data, BIG_BYTES);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	free(data);
}

/* GET /bigchunk: a body over the cap, chunked (no length known ahead). */
static void
srv_bigchunk_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	char *data = xmalloc(BIG_BYTES);

	memset(data, 'y', BIG_BYTES);
	evhttp_send_reply_start(req, 200, "OK");
	evbuffer_add(b, data, BIG_BYTES);
	evhttp_send_reply_chunk(req, b);
	evhttp_send_reply_end(req);
	evbuffer_free(b);
	free(data);
}

/* GET /hdr?n=SIZE: one response header of SIZE bytes. */
static void
srv_hdr_cb(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *q = evhttp_uri_get_query(u);
	size_t n = q != NULL ? strtoul(q + 2, NULL, 10) : 10;
	char *v = xmalloc(n + 1);

	memset(v, 't', n);
	v[n] = '\0';
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "X-Subject-Token", v);
	free(v);
	reply(req, 201, "token");
}

/* Send the held-back reply of the slow handler. */
static void
srv_slow_reply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slow *s = arg;
	struct evhttp_connection *c = evhttp_request_get_connection(s->req);

	if (c != NULL)
		evhttp_connection_set_closecb(c, NULL, NULL);
	reply(s->req, 200, "late");
	event_free(s->ev);
	free(s);
}

/* The connection of a slow request went away before its reply. */
static void
srv_slow_close_cb(struct evhttp_connection *c, void *arg)
{
	struct slow *s = arg;

	event_free(s->ev);
	/* A request cut off from its connection is ours to free. */
	if (evhttp_request_get_connection(s->req) == NULL)
		evhttp_request_free(s->req);
	free(s);
}

/* GET /slow: answer only after 3 s. */
static void
srv_slow_cb(struct evhttp_request *req, void *arg)
{
	struct fix *f = arg;
	struct slow *s = xcalloc(1, sizeof(*s));
	struct timeval tv = { 3, 0 };

	s->req = req;
	s->ev = evtimer_new(f->base, srv_slow_reply_cb, s);
	evtimer_add(s->ev, &tv);
	evhttp_connection_set_closecb(
	    evhttp_request_get_connection(req), srv_slow_close_cb, s);
}

/* POST/PUT /echo: body back, plus the method and X-Test header. */
static void
srv_echo_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *t;

	t = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Test");
	evhttp_add_header(out, "X-Echo", t != NULL ? t : "(none)");
	t = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	evhttp_add_header(out, "X-Ctype", t != NULL ? t : "(none)");
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST:
		evhttp_add_header(out, "X-Method", "POST");
		break;
	case EVHTTP_REQ_PUT:
		evhttp_add_header(out, "X-Method", "PUT");
		break;
	default:
		evhttp_add_header(out, "X-Method", "other");
		break;
	}
	evhttp_send_reply(req, 200, "OK", in);
}

/* GET /redir: 302 to /ok. */
static void
srv_redir_cb(struct evhttp_request *req, void *arg)
{
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Location", "/ok");
	reply(req, 302, "moved");
}

/* The safety net: a bug must not hang the test. */
static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fix *f = arg;

	f->timed_out = 1;
	event_base_loopbreak(f->base);
}

/* Start the server and the client. */
static int
setup(void **state)
{
	struct fix *f = xcalloc(1, sizeof(*f));
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);

	f->base = event_base_new();
	f->evh = evhttp_new(f->base);
	bs = evhttp_bind_socket_with_handle(f->evh, "127.0.0.1", 0);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
			     (struct sockaddr *)&sin, &slen),
	    0);
	f->port = ntohs(sin.sin_port);
	evhttp_set_allowed_methods(f->evh,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
		EVHTTP_REQ_HEAD);
	evhttp_set_cb(f->evh, "/ok", srv_ok_cb, f);
	evhttp_set_cb(f->evh, "/500", srv_500_cb, f);
	evhttp_set_cb(f->evh, "/429", srv_429_cb, f);
	evhttp_set_cb(f->evh, "/429date", srv_429date_cb, f);
	evhttp_set_cb(f->evh, "/407", srv_407_cb, f);
	evhttp_set_cb(f->evh, "/big", srv_big_cb, f);
	evhttp_set_cb(f->evh, "/bigchunk", srv_bigchunk_cb, f);
	evhttp_set_cb(f->evh, "/hdr", srv_hdr_cb, f);
	evhttp_set_cb(f->evh, "/slow", srv_slow_cb, f);
	evhttp_set_cb(f->evh, "/echo", srv_echo_cb, f);
	evhttp_set_cb(f->evh, "/redir", srv_redir_cb, f);
	f->h = http_new(f->base);
	f->guard = evtimer_new(f->base, guard_cb, f);
	*state = f;
	return 0;
}

/* Stop the client, then the server. */
static int
teardown(void **state)
{
	struct fix *f = *state;

	http_free(f->h);
	evhttp_free(f->evh);
	event_free(f->guard);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* Run the loop until f->pending callbacks have fired (at most 5 s). */
static void
run(struct fix *f)
{
	struct timeval tv = { 5, 0 };

	evtimer_add(f->guard, &tv);
	if (f->pending > 0)
		event_base_loop(f->base, 0);
	evtimer_del(f->guard);
	assert_false(f->timed_out);
	assert_int_equal(f->pending, 0);
}

/* Run the loop for ms milliseconds. */
static void
run_for(struct fix *f, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(f->base, &tv);
	event_base_loop(f->base, 0);
}

/* Free what a result holds. */
static void
result_clear(struct result *r)
{
	size_t i;

	free(r->body);
	free(r->errmsg);
	for (i = 0; i < 4; i++)
		free(r->hdr[i]);
}

/* Transfer callback: record the response, act for the re-entrancy test. */
static void
result_cb(const struct http_response *resp, void *arg)
{
	struct result *r = arg;
	struct http_request req;
	size_t i;

	r->calls++;
	r->error = resp->error;
	r->status = resp->status;
	assert_non_null(resp->body);
	free(r->body);
	r->body = xstrdup(resp->body);
	r->body_len = resp->body_len;
	free(r->errmsg);
	r->errmsg = xstrdup(resp->errmsg);
	r->retry_after_ms = resp->retry_after_ms;
	r->reused = resp->reused;
	for (i = 0; i < 4; i++) {
		if (r->want[i] != NULL)
			r->hdr[i] =
			    xstrdup(http_response_header(resp, r->want[i]));
	}
	if (r->self != NULL)
		http_cancel(r->self); /* own transfer: must be a no-op */
	if (r->cancel != NULL)
		http_cancel(r->cancel);
	if (r->submit != NULL) {
		char url[128];

		snprintf(
		    url, sizeof(url), "http://127.0.0.1:%d/ok", r->f->port);
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.url = url;
		req.allow_http = 1;
		r->f->pending++;
		http_submit(r->f->h, &req, result_cb, r->submit);
	}
	if (--r->f->pending == 0)
		event_base_loopbreak(r->f->base);
}

/* Submit GET path with defaults; the caller runs the loop. */
static struct http_xfer *
get(struct fix *f, const char *path, struct result *r, uint64_t timeout_ms,
    uint64_t max_body)
{
	struct http_request req;
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.allow_http = 1;
	req.timeout_ms = timeout_ms;
	req.max_body_bytes = max_body;
	r->f = f;
	f->pending++;
	return http_submit(f->h, &req, result_cb, r);
}

/* 200, 500 and 429 arrive as responses with their status and body. */
static void
test_statuses(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 }, c = { 0 };

	a.want[0] = "Content-Length";
	get(f, "/ok", &a, 0, 0);
	get(f, "/500", &b, 0, 0);
	get(f, "/429", &c, 0, 0);
	assert_int_equal(http_active(f->h), 3);
	run(f);
	assert_int_equal(http_active(f->h), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.error, HTTP_RESPONSE);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body, "hello");
	assert_int_equal(a.body_len, 5);
	assert_string_equal(a.hdr[0], "5");
	assert_int_equal(a.retry_after_ms, -1);
	assert_int_equal(b.error, HTTP_RESPONSE);
	assert_int_equal(b.status, 500);
	assert_string_equal(b.body, "boom");
	assert_int_equal(c.error, HTTP_RESPONSE);
	assert_int_equal(c.status, 429);
	assert_int_equal(c.retry_after_ms, 3000);
	result_clear(&a);
	result_clear(&b);
	result_clear(&c);
}

/* Retry-After as an HTTP date becomes the time until then. */
static void
test_retry_after_date(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 };

	get(f, "/429date", &a, 0, 0);
	run(f);
	assert_int_equal(a.status, 429);
	assert_true(a.retry_after_ms >= 18000 && a.retry_after_ms <= 21000);
	result_clear(&a);
}

/* A 407 from the server is a plain response, not proxy authentication. */
static void
test_407(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 };

	get(f, "/407", &a, 0, 0);
	run(f);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.error, HTTP_RESPONSE);
	assert_int_equal(a.status, 407);
	assert_string_equal(a.body, "need auth");
	result_clear(&a);
}

/* Bodies over the cap fail with HTTP_ETOOBIG, with or without a length. */
static void
test_too_big(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 }, c = { 0 };

	get(f, "/big", &a, 0, CAP_BYTES);
	get(f, "/bigchunk", &b, 0, CAP_BYTES);
	get(f, "/big", &c, 0, BIG_BYTES); /* exactly at the cap: fine */
	run(f);
	assert_int_equal(a.error, HTTP_ETOOBIG);
	assert_string_equal(a.errmsg, "response body exceeds 10240 bytes");
	assert_int_equal(a.body_len, 0);
	assert_int_equal(b.error, HTTP_ETOOBIG);
	assert_string_equal(b.errmsg, "response body exceeds 10240 bytes");
	assert_int_equal(c.error, HTTP_RESPONSE);
	assert_int_equal(c.body_len, BIG_BYTES);
	result_clear(&a);
	result_clear(&b);
	result_clear(&c);
}

/* A 32 KiB token header is fine; a 70 KiB header is refused. */
static void
test_header_cap(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 };

	a.want[0] = "x-subject-token";
	get(f, "/hdr?n=32768", &a, 0, 0);
	get(f, "/hdr?n=71680", &b, 0, 0);
	run(f);
	assert_int_equal(a.error, HTTP_RESPONSE);
	assert_int_equal(a.status, 201);
	assert_non_null(a.hdr[0]);
	assert_int_equal(strlen(a.hdr[0]), 32768);
	assert_int_equal(b.error, HTTP_ETOOBIG);
	assert_non_null(strstr(b.errmsg, "headers"));
	result_clear(&a);
	result_clear(&b);
}

/* A server that does not answer in time gives HTTP_ETIMEOUT. */
static void
test_timeout(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 };

	get(f, "/slow", &a, 200, 0);
	run(f);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.error, HTTP_ETIMEOUT);
	assert_non_null(a.errmsg);
	assert_true(strlen(a.errmsg) > 0);
	result_clear(&a);
}

/* POST and PUT send the body and custom headers. */
static void
test_post_echo(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 };
	struct http_request req;
	const char *hdrs[] = { "X-Test: yes please",
		"Content-Type: "
		"application/json",
		NULL };
	char url[128], *body;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", f->port);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.allow_http = 1;
	req.headers = hdrs;
	body = xstrdup("{\"a\":1}\0tail");
	req.body = body;
	req.body_len = 7;
	a.f = b.f = f;
	a.want[0] = b.want[0] = "X-Echo";
	a.want[1] = b.want[1] = "X-Method";
	f->pending = 2;
	http_submit(f->h, &req, result_cb, &a);
	free(body); /* the request was copied */
	req.method = "PUT";
	req.body = "put-body";
	req.body_len = 8;
	http_submit(f->h, &req, result_cb, &b);
	run(f);
	assert_int_equal(a.error, HTTP_RESPONSE);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body, "{\"a\":1}");
	assert_string_equal(a.hdr[0], "yes please");
	assert_string_equal(a.hdr[1], "POST");
	assert_int_equal(b.error, HTTP_RESPONSE);
	assert_string_equal(b.body, "put-body");
	assert_string_equal(b.hdr[1], "PUT");
	result_clear(&a);
	result_clear(&b);
}

/*
 * A POST without a body carries no Content-Type unless one is given
 * (libcurl would add an unsigned x-www-form-urlencoded; E-HPC 2.0's SDK
 * sends none); a given one is kept.
 */
static void
test_post_empty(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 };
	struct http_request req;
	const char *hdrs[] = { "Content-Type: application/json", NULL };
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", f->port);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.allow_http = 1;
	a.f = b.f = f;
	a.want[0] = b.want[0] = "X-Ctype";
	f->pending = 2;
	http_submit(f->h, &req, result_cb, &a);
	req.headers = hdrs;
	http_submit(f->h, &req, result_cb, &b);
	run(f);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.hdr[0], "(none)");
	assert_string_equal(b.hdr[0], "application/json");
	result_clear(&a);
	result_clear(&b);
}

/* Redirects are followed only when allowed; headers are the last hop's. */
static void
test_redirect(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 };
	struct http_request req;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/redir", f->port);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.allow_http = 1;
	a.f = b.f = f;
	a.want[0] = b.want[0] = "Location";
	f->pending = 2;
	http_submit(f->h, &req, result_cb, &a);
	req.max_redirects = 2;
	http_submit(f->h, &req, result_cb, &b);
	run(f);
	assert_int_equal(a.status, 302);
	assert_string_equal(a.hdr[0], "/ok");
	assert_int_equal(b.status, 200);
	assert_string_equal(b.body, "hello");
	assert_null(b.hdr[0]);
	result_clear(&a);
	result_clear(&b);
}

/* Sequential requests to one server reuse the connection. */
static void
test_reuse(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 };
	uint64_t requests, reused;

	get(f, "/ok", &a, 0, 0);
	run(f);
	get(f, "/ok", &b, 0, 0);
	run(f);
	assert_int_equal(a.error, HTTP_RESPONSE);
	assert_int_equal(a.reused, 0);
	assert_int_equal(b.error, HTTP_RESPONSE);
	assert_int_equal(b.reused, 1);
	http_stats(f->h, &requests, &reused);
	assert_int_equal(requests, 2);
	assert_int_equal(reused, 1);
	result_clear(&a);
	result_clear(&b);
}

/* http:// is refused unless allowed; a bad URL is a protocol error. */
static void
test_proto(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 };
	struct http_request req;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", f->port);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	a.f = b.f = f;
	f->pending = 2;
	http_submit(f->h, &req, result_cb, &a);
	req.url = "ftp://127.0.0.1/x";
	req.allow_http = 1;
	http_submit(f->h, &req, result_cb, &b);
	/* Never called back from within http_submit. */
	assert_int_equal(a.calls + b.calls, 0);
	run(f);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.error, HTTP_EPROTO);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.error, HTTP_EPROTO);
	result_clear(&a);
	result_clear(&b);
}

/* Cancel fires the callback once, synchronously; http_free cancels too. */
static void
test_cancel(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 };
	struct http_xfer *x;

	x = get(f, "/slow", &a, 0, 0);
	get(f, "/slow", &b, 0, 0);
	run_for(f, 50);
	assert_int_equal(a.calls, 0);
	http_cancel(x);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.error, HTTP_ECANCEL);
	assert_int_equal(http_active(f->h), 1);
	run_for(f, 50);
	assert_int_equal(a.calls, 1);
	http_free(f->h);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.error, HTTP_ECANCEL);
	assert_int_equal(a.calls, 1);
	f->h = http_new(f->base);
	result_clear(&a);
	result_clear(&b);
}

/* A closed port gives HTTP_ENETWORK. */
static void
test_refused(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 };
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char path[64];
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	port = ntohs(sin.sin_port);
	close(fd);

	snprintf(path, sizeof(path), "http://127.0.0.1:%d/", port);
	{
		struct http_request req;

		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.url = path;
		req.allow_http = 1;
		a.f = f;
		f->pending = 1;
		http_submit(f->h, &req, result_cb, &a);
	}
	run(f);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.error, HTTP_ENETWORK);
	assert_int_equal(a.status, 0);
	assert_true(strlen(a.errmsg) > 0);
	result_clear(&a);
}

/* A callback may cancel another transfer and submit a new one. */
static void
test_reentrant(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 }, b = { 0 }, c = { 0 };
	struct http_xfer *xa, *xb;

	xb = get(f, "/slow", &b, 0, 0);
	xa = get(f, "/ok", &a, 0, 0);
	a.self = xa;
	a.cancel = xb;
	a.submit = &c;
	c.f = f;
	run(f);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.error, HTTP_RESPONSE);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.error, HTTP_ECANCEL);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.error, HTTP_RESPONSE);
	assert_string_equal(c.body, "hello");
	assert_int_equal(http_active(f->h), 0);
	result_clear(&a);
	result_clear(&b);
	result_clear(&c);
}

/* Debug tracing shows header names but no secrets. */
static void
test_debug_redacted(void **state)
{
	struct fix *f = *state;
	struct result a = { 0 };
	struct http_request req;
	const char *hdrs[] = { "Authorization: Bearer SECRET1",
		"x-auth-token: SECRET2", "X-Security-Token: SECRET3",
		"X-Subject-Token: SECRET4", "X-Visible: shown", NULL };
	char url[256], logbuf[8192];
	FILE *tmp;
	int saved;
	size_t n;

	snprintf(url, sizeof(url),
	    "http://127.0.0.1:%d/ok?Action=List&"
	    "Signature=SECRET5&Version=1",
	    f->port);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.allow_http = 1;
	req.headers = hdrs;
	a.f = f;
	f->pending = 1;

	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	log_init("test_http", 1, 1);
	http_set_debug(f->h, 1);
	http_submit(f->h, &req, result_cb, &a);
	run(f);
	http_set_debug(f->h, 0);
	log_init("test_http", 1, 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	rewind(tmp);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, tmp);
	logbuf[n] = '\0';
	fclose(tmp);
	assert_int_equal(a.error, HTTP_RESPONSE);
	assert_null(strstr(logbuf, "SECRET"));
	assert_non_null(strstr(logbuf, "Authorization: REDACTED"));
	assert_non_null(strstr(logbuf, "x-auth-token: REDACTED"));
	assert_non_null(strstr(logbuf, "X-Visible: shown"));
	assert_non_null(strstr(logbuf, "Signature=REDACTED&Version=1"));
	assert_non_null(strstr(logbuf, "/ok?Action=List&"));
	assert_non_null(strstr(logbuf, "-> 200 (5 bytes"));
	result_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_retry_after_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_407, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_header_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_post_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_post_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reentrant, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_debug_redacted, setup, teardown),
	};

	/* Tests talk to 127.0.0.1 only; keep any proxy out of the way. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	signal(SIGPIPE, SIG_IGN);
	log_init("test_http", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
