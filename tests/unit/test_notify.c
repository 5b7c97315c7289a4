/*
 * Unit tests for notification delivery: the real webhook notifier against
 * an evhttp server on 127.0.0.1 on the same event base.  Headers and the
 * signature, retries with the same id and body, Retry-After, final errors,
 * giving up, per-task order, other tasks going ahead, rules routing,
 * reloads that keep or drain notifiers, and cancelling on free.
 */
#include <sys/socket.h>
#include <netinet/in.h>

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
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "config.h"
#include "evt.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "notify.h"
#include "task.h"
#include "xmalloc.h"

#define TEST_MAX_REQS 64
#define TEST_SECRET "whsec-test-secret"

/* One request the server received. */
struct test_req {
	char *path;
	char *id;  /* webhook-id */
	char *ts;  /* webhook-timestamp */
	char *sig; /* webhook-signature */
	char *ctype;
	char *ua;
	char *team; /* X-Team */
	char *body;
	size_t body_len;
	char *task; /* task.id of the body */
	int status; /* what we answered; 0 = held */
	uint64_t at_ms;
};

/* How the server answers a request: a status (0 holds it), Retry-After. */
typedef int (*test_policy)(const struct test_req *r, int *retry_after_s);

static struct {
	struct event_base *base;
	struct evhttp *srv;
	int port;
	struct http *http;
	struct notify *notify;
	test_policy policy;
	struct test_req reqs[TEST_MAX_REQS];
	size_t nreqs;
	const char *fail_id; /* for policies */
	int fail_left;
	char *urls[8]; /* freed at teardown */
	size_t nurls;
	int saved_stderr;
	FILE *log;
} t;

/* Answer 200 to everything. */
static int
test_policy_ok(const struct test_req *r, int *retry_after_s)
{
	return 200;
}

/* 503 for the event t.fail_id while t.fail_left lasts, then 200. */
static int
test_policy_503_once(const struct test_req *r, int *retry_after_s)
{
	if (t.fail_id != NULL && strcmp(r->id, t.fail_id) == 0 &&
	    t.fail_left > 0) {
		t.fail_left--;
		return 503;
	}
	return 200;
}

/* 429 with Retry-After: 1 the first time, then 200. */
static int
test_policy_429(const struct test_req *r, int *retry_after_s)
{
	if (t.fail_left > 0) {
		t.fail_left--;
		*retry_after_s = 1;
		return 429;
	}
	return 200;
}

/* 400 to everything. */
static int
test_policy_400(const struct test_req *r, int *retry_after_s)
{
	return 400;
}

/* 503 to everything. */
static int
test_policy_503(const struct test_req *r, int *retry_after_s)
{
	return 503;
}

/* 503 for task "stuck", 200 for the others. */
static int
test_policy_stuck(const struct test_req *r, int *retry_after_s)
{
	return r->task != NULL && strcmp(r->task, "stuck") == 0 ? 503 : 200;
}

/* 503 under /old, 200 elsewhere. */
static int
test_policy_old_fails(const struct test_req *r, int *retry_after_s)
{
	return strcmp(r->path, "/old") == 0 ? 503 : 200;
}

/* Never answer. */
static int
test_policy_hold(const struct test_req *r, int *retry_after_s)
{
	return 0;
}

/* A header's value, copied; NULL if absent. */
static char *
test_header(struct evhttp_request *req, const char *name)
{
	const char *v;

	v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	return xstrdup(v);
}

/* The server: record the request, answer as the policy says. */
static void
test_server_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct test_req *r;
	struct json *root;
	const char *task;
	char *cause, ra[16];
	int retry_after = -1;

	if (t.nreqs == TEST_MAX_REQS) {
		evhttp_send_reply(req, 500, "full", NULL);
		return;
	}
	r = &t.reqs[t.nreqs++];
	r->at_ms = monotime_ms();
	r->path = xstrdup(evhttp_request_get_uri(req));
	r->id = test_header(req, "webhook-id");
	r->ts = test_header(req, "webhook-timestamp");
	r->sig = test_header(req, "webhook-signature");
	r->ctype = test_header(req, "Content-Type");
	r->ua = test_header(req, "User-Agent");
	r->team = test_header(req, "X-Team");
	r->body_len = evbuffer_get_length(in);
	r->body = xmalloc(r->body_len + 1);
	evbuffer_remove(in, r->body, r->body_len);
	r->body[r->body_len] = '\0';
	if ((root = json_parse(r->body, r->body_len, &cause)) != NULL) {
		task = json_get_str(json_get(root, "task"), "id");
		r->task = xstrdup(task);
		json_free(root);
	} else
		free(cause);
	if (r->id == NULL)
		r->id = xstrdup("");
	r->status = t.policy(r, &retry_after);
	if (r->status == 0)
		return;
	if (retry_after >= 0) {
		snprintf(ra, sizeof(ra), "%d", retry_after);
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Retry-After", ra);
	}
	evhttp_send_reply(req, r->status, "test", NULL);
}

/* Start the server, the HTTP client and logging for a test. */
static int
test_setup(void **state)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&t, 0, sizeof(t));
	t.saved_stderr = -1;
	t.policy = test_policy_ok;
	t.base = event_base_new();
	t.srv = evhttp_new(t.base);
	bs = evhttp_bind_socket_with_handle(t.srv, "127.0.0.1", 0);
	if (bs == NULL)
		return -1;
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
		&len) == -1)
		return -1;
	t.port = ntohs(sin.sin_port);
	evhttp_set_gencb(t.srv, test_server_cb, NULL);
	t.http = http_new(t.base);
	return 0;
}

/* Free everything a test made. */
static int
test_teardown(void **state)
{
	struct test_req *r;
	size_t i;

	notify_free(t.notify);
	http_free(t.http);
	evhttp_free(t.srv);
	event_base_free(t.base);
	for (i = 0; i < t.nreqs; i++) {
		r = &t.reqs[i];
		free(r->path);
		free(r->id);
		free(r->ts);
		free(r->sig);
		free(r->ctype);
		free(r->ua);
		free(r->team);
		free(r->body);
		free(r->task);
	}
	for (i = 0; i < t.nurls; i++)
		free(t.urls[i]);
	return 0;
}

/* Send stderr (the log) to a temporary file. */
static void
test_log_start(void)
{
	fflush(stderr);
	t.log = tmpfile();
	assert_non_null(t.log);
	t.saved_stderr = dup(2);
	dup2(fileno(t.log), 2);
}

/* Restore stderr; return what was logged (caller frees). */
static char *
test_log_stop(void)
{
	char *text;
	long n;

	fflush(stderr);
	dup2(t.saved_stderr, 2);
	close(t.saved_stderr);
	t.saved_stderr = -1;
	n = ftell(t.log);
	text = xcalloc(1, (size_t)n + 1);
	rewind(t.log);
	if (n > 0 && fread(text, 1, (size_t)n, t.log) != (size_t)n)
		fail_msg("short read of the log");
	fclose(t.log);
	t.log = NULL;
	return text;
}

/* Count the occurrences of what in s. */
static int
test_count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* A webhook notifier named name posting to path on the test server. */
static void
test_webhook(struct config_notifier *cn, const char *name, const char *path)
{
	memset(cn, 0, sizeof(*cn));
	cn->name = (char *)name;
	cn->type = CONFIG_NOTIFIER_WEBHOOK;
	cn->url = xasprintf("http://127.0.0.1:%d%s", t.port, path);
	t.urls[t.nurls++] = cn->url;
	cn->timeout_ms = 2000;
	cn->retry.initial_ms = 50;
	cn->retry.max_ms = 200;
	cn->retry.give_up_after_ms = 60000;
	cn->facility = 0;
}

/* A RUNNING-ish transition of task on cluster c1, finished (id set). */
static struct evt *
test_event(const char *task, enum task_state from, enum task_state to)
{
	struct evt *ev = evt_new(EVT_TRANSITION);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->region = xstrdup("cn-north-4");
	ev->occurred_at = 1747645662;
	ev->observed_at = 1747645670;
	ev->has_task = 1;
	ev->task.id = xstrdup(task);
	ev->task.type = xstrdup("RestartInstance");
	ev->task.cluster_id = xstrdup("c1");
	ev->task.state = to;
	ev->task.raw_status = xstrdup(task_state_name(to));
	ev->has_previous = 1;
	ev->prev_state = from;
	ev->prev_raw = xstrdup(task_state_name(from));
	evt_finish(ev);
	return ev;
}

/* Route ev and free it. */
static void
test_send(struct evt *ev)
{
	notify_event(t.notify, ev);
	evt_free(ev);
}

/* What test_tick_cb checks. */
struct test_wait {
	int (*cond)(void);
	uint64_t deadline;
};

/* Every few ms: stop the loop when the condition holds or time is up. */
static void
test_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct test_wait *w = arg;

	if ((w->cond != NULL && w->cond()) || monotime_ms() >= w->deadline)
		event_base_loopbreak(t.base);
}

/* Run the loop until cond() (NULL: never) or timeout_ms; return cond(). */
static int
test_run(int (*cond)(void), uint64_t timeout_ms)
{
	struct test_wait w = { cond, monotime_ms() + timeout_ms };
	struct timeval tv = { 0, 5000 };
	struct event *tick;

	tick = event_new(t.base, -1, EV_PERSIST, test_tick_cb, &w);
	event_add(tick, &tv);
	event_base_dispatch(t.base);
	event_free(tick);
	return cond != NULL ? cond() : 0;
}

/* Nothing left to deliver. */
static int
test_idle(void)
{
	return notify_pending(t.notify) == 0;
}

/* The number of requests that got status. */
static size_t
test_nstatus(int status)
{
	size_t i, n = 0;

	for (i = 0; i < t.nreqs; i++)
		n += t.reqs[i].status == status;
	return n;
}

/* At least three requests arrived. */
static int
test_three(void)
{
	return t.nreqs >= 3;
}

/* The Standard Webhooks signature of a request with the test secret. */
static char *
test_signature(const struct test_req *r)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[128];
	unsigned int mdlen = 0;
	char *msg;

	msg = xasprintf("%s.%s.%s", r->id, r->ts, r->body);
	HMAC(EVP_sha256(), TEST_SECRET, (int)strlen(TEST_SECRET),
	    (unsigned char *)msg, strlen(msg), md, &mdlen);
	free(msg);
	EVP_EncodeBlock(b64, md, (int)mdlen);
	return xasprintf("v1,%s", b64);
}

/* One delivery with every header, the body and a verifiable signature. */
static void
test_headers(void **state)
{
	struct config_notifier cn;
	struct config_kv hdr = { .key = "X-Team", .value = "dba" };
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	struct test_req *r;
	struct evt *ev;
	struct json *root;
	char id[EVT_ID_LEN + 1], *sig, *cause;
	long long ts;

	setenv("TEST_WEBHOOK_SECRET", TEST_SECRET "\n", 1);
	test_webhook(&cn, "hook", "/hook");
	cn.headers = &hdr;
	cn.nheaders = 1;
	cn.secret.env = "TEST_WEBHOOK_SECRET";
	t.notify = notify_new(t.base, t.http, &conf);
	/* The secret is read once, at creation. */
	unsetenv("TEST_WEBHOOK_SECRET");

	ev = test_event("t1", TASK_RUNNING, TASK_FAILED);
	memcpy(id, ev->id, sizeof(id));
	test_send(ev);
	assert_int_equal(notify_pending(t.notify), 1);
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 1);
	r = &t.reqs[0];
	assert_string_equal(r->path, "/hook");
	assert_string_equal(r->id, id);
	assert_string_equal(r->ctype, "application/json");
	assert_string_equal(r->ua, "taskwatchd/" TASKWATCH_VERSION);
	assert_string_equal(r->team, "dba");
	assert_non_null(r->ts);
	ts = strtoll(r->ts, NULL, 10);
	assert_true(llabs(ts - (long long)time(NULL)) <= 5);
	assert_non_null(r->sig);
	sig = test_signature(r);
	assert_string_equal(r->sig, sig);
	free(sig);

	/* The body is the event document, as routed (no rules: no rule). */
	root = json_parse(r->body, r->body_len, &cause);
	assert_non_null(root);
	assert_string_equal(json_get_str(root, "id"), id);
	assert_string_equal(json_get_str(root, "event"), "transition");
	assert_string_equal(json_get_str(root, "severity"), "critical");
	assert_int_equal(json_type(json_get(root, "rule")), JSON_NULL);
	assert_string_equal(r->task, "t1");
	json_free(root);
}

/*
 * A header whose value comes from a secret source is sent with that value,
 * which never reaches the log, debug logging included.
 */
static void
test_secret_header(void **state)
{
	struct config_notifier cn;
	struct config_kv hdr = { .key = "X-Team",
		.secret = { .env = "TEST_TEAM_HEADER" } };
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	char *log;

	setenv("TEST_TEAM_HEADER", "team-" TEST_SECRET "\n", 1);
	test_webhook(&cn, "hook", "/hook");
	cn.headers = &hdr;
	cn.nheaders = 1;
	test_log_start();
	log_setverbose(1);
	http_set_debug(t.http, 1);
	t.notify = notify_new(t.base, t.http, &conf);
	unsetenv("TEST_TEAM_HEADER");
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_idle, 3000));
	http_set_debug(t.http, 0);
	log_setverbose(0);
	log = test_log_stop();
	assert_int_equal(t.nreqs, 1);
	assert_string_equal(t.reqs[0].team, "team-" TEST_SECRET);
	assert_non_null(strstr(log, "http: > X-Team: REDACTED"));
	assert_null(strstr(log, TEST_SECRET));
	free(log);
}

/* Without a secret there is no signature header. */
static void
test_unsigned(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };

	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 1);
	assert_null(t.reqs[0].sig);
	assert_non_null(t.reqs[0].id);
}

/* A secret that cannot be read holds events back; they are not unsigned. */
static void
test_secret_missing(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	char *log;

	unsetenv("TEST_WEBHOOK_SECRET");
	test_webhook(&cn, "hook", "/hook");
	cn.secret.env = "TEST_WEBHOOK_SECRET";
	test_log_start();
	t.notify = notify_new(t.base, t.http, &conf);
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	test_run(NULL, 200);
	assert_int_equal(t.nreqs, 0);
	assert_int_equal(notify_pending(t.notify), 1);
	/* Once it can be read, the held event goes out, signed. */
	setenv("TEST_WEBHOOK_SECRET", TEST_SECRET, 1);
	assert_true(test_run(test_idle, 3000));
	log = test_log_stop();
	unsetenv("TEST_WEBHOOK_SECRET");
	assert_int_equal(t.nreqs, 1);
	assert_non_null(t.reqs[0].sig);
	assert_non_null(strstr(log,
	    "notifier hook: cannot read the secret: "
	    "environment variable TEST_WEBHOOK_SECRET is not set"));
	/* Logged at creation and once as a failing delivery, not per try. */
	assert_int_equal(test_count(log, "is not set"), 2);
	assert_non_null(strstr(log, "notifier hook: delivering again"));
	assert_null(strstr(log, TEST_SECRET));
	free(log);
}

/* 503 then 200: retried with the same id and the very same body. */
static void
test_retry_503(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	struct evt *ev;
	char id[EVT_ID_LEN + 1], *log;

	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	ev = test_event("t1", TASK_RUNNING, TASK_FAILED);
	memcpy(id, ev->id, sizeof(id));
	t.policy = test_policy_503_once;
	t.fail_id = id;
	t.fail_left = 2;
	test_log_start();
	test_send(ev);
	assert_true(test_run(test_idle, 3000));
	notify_log_summary(t.notify);
	log = test_log_stop();
	assert_int_equal(t.nreqs, 3);
	assert_int_equal(t.reqs[0].status, 503);
	assert_int_equal(t.reqs[1].status, 503);
	assert_int_equal(t.reqs[2].status, 200);
	assert_string_equal(t.reqs[0].id, id);
	assert_string_equal(t.reqs[2].id, id);
	assert_int_equal(t.reqs[0].body_len, t.reqs[2].body_len);
	assert_memory_equal(t.reqs[0].body, t.reqs[2].body, t.reqs[0].body_len);
	/* Backoff: initial 50ms +-50%, then 75ms +-50%. */
	assert_true(t.reqs[1].at_ms - t.reqs[0].at_ms >= 20);
	/* Logged once at warning, once on recovery. */
	assert_int_equal(test_count(log, "failed: HTTP 503"), 1);
	assert_int_equal(test_count(log, "notifier hook: delivering again"), 1);
	assert_non_null(strstr(log,
	    "notifier hook (webhook): pending 0, "
	    "in flight 0, delivered 1, failed 0, retries 2"));
	free(log);
}

/* 429 with Retry-After: 1 waits about a second, not the 50ms backoff. */
static void
test_retry_after(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	uint64_t gap;

	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	t.policy = test_policy_429;
	t.fail_left = 1;
	test_log_start();
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_idle, 4000));
	free(test_log_stop());
	assert_int_equal(t.nreqs, 2);
	assert_int_equal(t.reqs[0].status, 429);
	gap = t.reqs[1].at_ms - t.reqs[0].at_ms;
	assert_true(gap >= 900);
	assert_true(gap < 2500);
}

/* 400 is final: one attempt, a LOG_CRIT line, nothing left. */
static void
test_final_400(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	struct evt *ev;
	char *log, *want;

	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	t.policy = test_policy_400;
	ev = test_event("t1", TASK_RUNNING, TASK_FAILED);
	want = xasprintf(
	    "notifier hook: giving up on transition event %s "
	    "(watch dds-prod, task t1) after 1 attempt: HTTP 400 (not "
	    "retried)",
	    ev->id);
	test_log_start();
	test_send(ev);
	assert_true(test_run(test_idle, 3000));
	test_run(NULL, 300);
	log = test_log_stop();
	assert_int_equal(t.nreqs, 1);
	assert_non_null(strstr(log, want));
	free(want);
	free(log);
}

/* Past give_up_after the event is dead-lettered at LOG_CRIT. */
static void
test_give_up(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	char *log;
	size_t n;

	test_webhook(&cn, "hook", "/hook");
	cn.retry.give_up_after_ms = 300;
	t.notify = notify_new(t.base, t.http, &conf);
	t.policy = test_policy_503;
	test_log_start();
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_idle, 3000));
	n = t.nreqs;
	test_run(NULL, 200);
	log = test_log_stop();
	assert_int_equal(t.nreqs, n);
	assert_true(n >= 3);
	/* The last attempt is at the deadline, not before or long after. */
	assert_true(t.reqs[n - 1].at_ms - t.reqs[0].at_ms >= 290);
	assert_true(t.reqs[n - 1].at_ms - t.reqs[0].at_ms < 1000);
	assert_non_null(strstr(log, "(watch dds-prod, task t1) after "));
	assert_non_null(strstr(log, " attempts: HTTP 503"));
	assert_int_equal(test_count(log, "failed: HTTP 503"), 1);
	free(log);
}

/* Three events of one task arrive in order though the first is retried. */
static void
test_order(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	struct evt *e1, *e2, *e3;
	char id1[EVT_ID_LEN + 1], id2[EVT_ID_LEN + 1], id3[EVT_ID_LEN + 1];
	size_t i, n = 0;
	const char *want[3] = { id1, id2, id3 };

	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	e1 = test_event("t1", TASK_PENDING, TASK_RUNNING);
	e2 = test_event("t1", TASK_RUNNING, TASK_ROLLING_BACK);
	e3 = test_event("t1", TASK_ROLLING_BACK, TASK_FAILED);
	memcpy(id1, e1->id, sizeof(id1));
	memcpy(id2, e2->id, sizeof(id2));
	memcpy(id3, e3->id, sizeof(id3));
	t.policy = test_policy_503_once;
	t.fail_id = id1;
	t.fail_left = 2;
	test_log_start();
	test_send(e1);
	test_send(e2);
	test_send(e3);
	assert_int_equal(notify_pending(t.notify), 3);
	assert_true(test_run(test_idle, 3000));
	free(test_log_stop());
	assert_int_equal(t.nreqs, 5);
	/* Nothing of the task went out while its first event was failing. */
	assert_string_equal(t.reqs[0].id, id1);
	assert_string_equal(t.reqs[1].id, id1);
	for (i = 0; i < t.nreqs; i++) {
		if (t.reqs[i].status != 200)
			continue;
		assert_true(n < 3);
		assert_string_equal(t.reqs[i].id, want[n]);
		n++;
	}
	assert_int_equal(n, 3);
}

/* A task whose deliveries keep failing does not hold up another task. */
static void
test_other_task_not_blocked(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	size_t i, stuck = 0, ok = 0;

	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	t.policy = test_policy_stuck;
	test_log_start();
	test_send(test_event("stuck", TASK_RUNNING, TASK_FAILED));
	test_send(test_event("stuck", TASK_FAILED, TASK_ROLLED_BACK));
	test_send(test_event("other", TASK_RUNNING, TASK_SUCCEEDED));
	test_send(test_event("other", TASK_SUCCEEDED, TASK_FAILED));
	assert_true(test_run(test_three, 3000));
	test_run(NULL, 250);
	free(test_log_stop());
	for (i = 0; i < t.nreqs; i++) {
		if (strcmp(t.reqs[i].task, "stuck") == 0) {
			/* Only the first of the stuck task, again and again. */
			assert_string_equal(t.reqs[i].id, t.reqs[0].id);
			stuck++;
		} else
			ok += t.reqs[i].status == 200;
	}
	assert_int_equal(ok, 2);
	assert_true(stuck >= 2);
	assert_int_equal(notify_pending(t.notify), 2);
}

/* Rules: matching rule's notifiers only, with its severity and name. */
static void
test_rules(void **state)
{
	struct config_notifier cn[2];
	char *ev_to[] = { "FAILED" };
	char *a_only[] = { "a" };
	struct config_rule rule;
	struct config conf = {
		.notifiers = cn, .nnotifiers = 2, .rules = &rule, .nrules = 1
	};
	struct json *root;
	char *cause;

	test_webhook(&cn[0], "a", "/a");
	test_webhook(&cn[1], "b", "/b");
	memset(&rule, 0, sizeof(rule));
	rule.name = "page";
	rule.match_to.v = ev_to;
	rule.match_to.n = 1;
	rule.severity = CONFIG_SEVERITY_WARNING;
	rule.notify.v = a_only;
	rule.notify.n = 1;
	t.notify = notify_new(t.base, t.http, &conf);

	/* Matching no rule: goes nowhere. */
	test_send(test_event("t1", TASK_PENDING, TASK_RUNNING));
	assert_int_equal(notify_pending(t.notify), 0);

	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	assert_int_equal(notify_pending(t.notify), 1);
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 1);
	assert_string_equal(t.reqs[0].path, "/a");
	root = json_parse(t.reqs[0].body, t.reqs[0].body_len, &cause);
	assert_non_null(root);
	assert_string_equal(json_get_str(root, "rule"), "page");
	assert_string_equal(json_get_str(root, "severity"), "warning");
	json_free(root);
}

/* The alertmanager posts the test server received. */
static size_t
test_am_posts(void)
{
	size_t i, n = 0;

	for (i = 0; i < t.nreqs; i++)
		n += strcmp(t.reqs[i].path, "/am/api/v2/alerts") == 0;
	return n;
}

/*
 * Rules decide what opens an alert, never what closes one: with a rule
 * sending only failures of dds-prod to the webhook and the alertmanager,
 * the success of the next task reaches the alertmanager anyway (resolve
 * only) and resolves the alert, the webhook does not get it, and a
 * resolve-only event opens nothing.  Another watch's events stay away.
 */
static void
test_resolve_only(void **state)
{
	struct config_notifier cn[2];
	char *to[] = { "FAILED", "PARTIAL" };
	char *watch[] = { "dds-prod" };
	char *type[] = { "RestartInstance" };
	char *both[] = { "hook", "am" };
	char *am_url;
	struct config_rule rule;
	struct config conf = {
		.notifiers = cn, .nnotifiers = 2, .rules = &rule, .nrules = 1
	};
	struct evt *ev;
	size_t hook_reqs;

	test_webhook(&cn[0], "hook", "/hook");
	memset(&cn[1], 0, sizeof(cn[1]));
	cn[1].name = "am";
	cn[1].type = CONFIG_NOTIFIER_ALERTMANAGER;
	am_url = xasprintf("http://127.0.0.1:%d/am", t.port);
	t.urls[t.nurls++] = am_url;
	cn[1].urls.v = &am_url;
	cn[1].urls.n = 1;
	cn[1].resolve_after_ms = 3600 * 1000;
	cn[1].repeat_ms = 3600 * 1000;
	cn[1].timeout_ms = 2000;
	cn[1].retry.initial_ms = 50;
	cn[1].retry.max_ms = 200;
	cn[1].retry.give_up_after_ms = 60000;
	memset(&rule, 0, sizeof(rule));
	rule.name = "page-on-failure";
	rule.match_to.v = to;
	rule.match_to.n = 2;
	rule.match_watch.v = watch;
	rule.match_watch.n = 1;
	rule.match_task_type.v = type;
	rule.match_task_type.n = 1;
	rule.severity = CONFIG_SEVERITY_CRITICAL;
	rule.notify.v = both;
	rule.notify.n = 2;
	t.notify = notify_new(t.base, t.http, &conf);

	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(test_am_posts(), 1);
	hook_reqs = t.nreqs - test_am_posts();
	assert_int_equal(hook_reqs, 1);

	/* Not routed (another type), failed: reaches am, opens nothing. */
	ev = test_event("t2", TASK_RUNNING, TASK_FAILED);
	free(ev->task.type);
	ev->task.type = xstrdup("Backup");
	evt_finish(ev);
	test_send(ev);
	assert_int_equal(notify_pending(t.notify), 1);
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(test_am_posts(), 1);

	/* Another watch: not one the rule could alert for. */
	ev = test_event("t3", TASK_RUNNING, TASK_SUCCEEDED);
	free(ev->watch);
	ev->watch = xstrdup("dds-test");
	evt_finish(ev);
	test_send(ev);
	assert_int_equal(notify_pending(t.notify), 0);

	/* The next success on the cluster: resolved, at the am only. */
	ev = test_event("t4", TASK_RUNNING, TASK_SUCCEEDED);
	ev->occurred_at += 60;
	evt_finish(ev);
	test_send(ev);
	assert_int_equal(notify_pending(t.notify), 1);
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(test_am_posts(), 2);
	assert_int_equal(t.nreqs - test_am_posts(), hook_reqs);
	assert_non_null(strstr(t.reqs[t.nreqs - 1].body, "\"task_id\":\"t1\""));
	assert_non_null(strstr(t.reqs[t.nreqs - 1].body, "CloudTaskFailed"));
}

/* No rules: every notifier gets every event; syslog delivers at once. */
static void
test_no_rules(void **state)
{
	struct config_notifier cn[4];
	struct config conf = { .notifiers = cn, .nnotifiers = 4 };
	char *log;

	test_webhook(&cn[0], "a", "/a");
	test_webhook(&cn[1], "b", "/b");
	memset(&cn[2], 0, sizeof(cn[2]));
	cn[2].name = "log";
	cn[2].type = CONFIG_NOTIFIER_SYSLOG;
	cn[2].facility = 19 << 3; /* LOG_LOCAL3 */
	memset(&cn[3], 0, sizeof(cn[3]));
	cn[3].name = "am";
	cn[3].type = CONFIG_NOTIFIER_ALERTMANAGER;
	test_log_start();
	t.notify = notify_new(t.base, t.http, &conf);
	test_send(test_event("t1", TASK_PENDING, TASK_RUNNING));
	assert_int_equal(notify_pending(t.notify), 4);
	assert_true(test_run(test_idle, 3000));
	log = test_log_stop();
	/* An info event opens no alert: the alertmanager posts nothing. */
	assert_int_equal(t.nreqs, 2);
	assert_string_not_equal(t.reqs[0].path, t.reqs[1].path);
	assert_null(strstr(log, "not implemented"));
	free(log);
}

/*
 * A silenced event goes only to notifiers with send_silenced, carries
 * "silenced" in its document, and the alertmanager gets it resolve-only.
 */
static void
test_silenced(void **state)
{
	struct config_notifier cn[3];
	struct config conf = { .notifiers = cn, .nnotifiers = 3 };
	struct evt *ev;

	test_webhook(&cn[0], "quiet", "/quiet");
	test_webhook(&cn[1], "all", "/all");
	cn[1].send_silenced = 1;
	memset(&cn[2], 0, sizeof(cn[2]));
	cn[2].name = "am";
	cn[2].type = CONFIG_NOTIFIER_ALERTMANAGER;
	t.notify = notify_new(t.base, t.http, &conf);
	ev = test_event("t1", TASK_RUNNING, TASK_FAILED);
	ev->silenced = xstrdup("0123456789abcdef");
	test_send(ev);
	/* all, and am's resolve-only copy; nothing for quiet */
	assert_int_equal(notify_pending(t.notify), 2);
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 1);
	assert_string_equal(t.reqs[0].path, "/all");
	assert_non_null(
	    strstr(t.reqs[0].body, "\"silenced\":\"0123456789abcdef\""));
}

/* A reload keeps a notifier's queue and uses its new settings. */
static void
test_reconfigure_keep(void **state)
{
	struct config_notifier cn1, cn2;
	struct config conf1 = { .notifiers = &cn1, .nnotifiers = 1 };
	struct config conf2 = { .notifiers = &cn2, .nnotifiers = 1 };
	char id[EVT_ID_LEN + 1];
	struct evt *ev;

	test_webhook(&cn1, "hook", "/old");
	test_webhook(&cn2, "hook", "/new");
	t.policy = test_policy_old_fails;
	t.notify = notify_new(t.base, t.http, &conf1);
	ev = test_event("t1", TASK_RUNNING, TASK_FAILED);
	memcpy(id, ev->id, sizeof(id));
	test_log_start();
	test_send(ev);
	test_run(NULL, 100);
	assert_true(t.nreqs >= 1);
	assert_int_equal(notify_pending(t.notify), 1);
	notify_reconfigure(t.notify, &conf2);
	assert_int_equal(notify_pending(t.notify), 1);
	assert_true(test_run(test_idle, 3000));
	free(test_log_stop());
	assert_string_equal(t.reqs[t.nreqs - 1].path, "/new");
	assert_string_equal(t.reqs[t.nreqs - 1].id, id);
	assert_int_equal(t.reqs[t.nreqs - 1].status, 200);
}

/* A notifier removed by a reload delivers what it holds, then goes. */
static void
test_reconfigure_drain(void **state)
{
	struct config_notifier cn1;
	struct config conf1 = { .notifiers = &cn1, .nnotifiers = 1 };
	struct config conf2 = { .notifiers = NULL, .nnotifiers = 0 };
	char *log;

	test_webhook(&cn1, "hook", "/old");
	/* Heap copies, freed after the reload: nothing may borrow them. */
	cn1.name = xstrdup("hook");
	cn1.url = xstrdup(cn1.url);
	t.policy = test_policy_old_fails;
	t.notify = notify_new(t.base, t.http, &conf1);
	test_log_start();
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	test_send(test_event("t1", TASK_FAILED, TASK_ROLLED_BACK));
	test_run(NULL, 100);
	notify_reconfigure(t.notify, &conf2);
	memset(cn1.name, 'X', 4);
	memset(cn1.url, 'X', strlen(cn1.url));
	free(cn1.name);
	free(cn1.url);
	assert_int_equal(notify_pending(t.notify), 2);
	/* New events do not go to it any more. */
	test_send(test_event("t2", TASK_RUNNING, TASK_FAILED));
	assert_int_equal(notify_pending(t.notify), 2);
	t.policy = test_policy_ok;
	assert_true(test_run(test_idle, 3000));
	notify_log_summary(t.notify);
	log = test_log_stop();
	assert_int_equal(test_nstatus(200), 2);
	assert_non_null(strstr(log,
	    "notifier hook: removed from the config; "
	    "delivering the 2 events it holds"));
	assert_non_null(strstr(log, "notifier hook: removed\n"));
	/* Gone: the summary no longer lists it. */
	assert_null(strstr(log, "notifier hook (webhook)"));
	free(log);
}

/* Freeing with a delivery in flight cancels it quietly. */
static void
test_free_in_flight(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };

	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	t.policy = test_policy_hold;
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	test_send(test_event("t2", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_three, 300) == 0);
	assert_int_equal(t.nreqs, 2);
	assert_int_equal(http_active(t.http), 2);
	notify_free(t.notify);
	t.notify = NULL;
	assert_int_equal(http_active(t.http), 0);
	test_run(NULL, 50);
}

/* The fake gate of test_gate: one verdict per task, answered from the loop. */
static struct {
	enum notify_gate_verdict verdict[8]; /* by the task's digit t0..t7 */
	int asked[8];
	int settled[8];
	int delay_ms[8]; /* before the answer */
	int cancelled;
} g;

/* One question of the fake gate. */
struct test_gate_q {
	struct notify_item *token;
	enum notify_gate_verdict v;
	struct event *ev;
};

/* The fake gate answers. */
static void
test_gate_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct test_gate_q *q = arg;
	struct notify_item *token = q->token;
	enum notify_gate_verdict v = q->v;

	event_free(q->ev);
	free(q);
	notify_gate_answer(
	    token, v, v == NOTIFY_GATE_DEAD ? "unknowable" : "test");
}

/* The task digit of an event id: the test's events are t0..t7. */
static int
test_gate_task(const char *event_id)
{
	size_t i, to;

	/* Failed, or succeeded after (a second event of the task). */
	for (to = 0; to < 2; to++)
		for (i = 0; i < 8; i++) {
			struct evt *ev = test_event(
			    (char[]){ 't', (char)('0' + i), 0 }, TASK_RUNNING,
			    to ? TASK_SUCCEEDED : TASK_FAILED);
			int same = strcmp(ev->id, event_id) == 0;

			evt_free(ev);
			if (same)
				return (int)i;
		}
	fail_msg("unknown event id %s", event_id);
	return 0;
}

/* The fake gate's check: the verdict set for the task, a loop turn later. */
static void *
test_gate_check(void *arg, const char *notifier, enum config_notifier_type type,
    const char *event_id, struct notify_item *token)
{
	struct test_gate_q *q = xcalloc(1, sizeof(*q));
	int i = test_gate_task(event_id);
	struct timeval tv = { 0, g.delay_ms[i] * 1000 };

	g.asked[i]++;
	q->token = token;
	q->v = g.verdict[i];
	q->ev = event_new(t.base, -1, 0, test_gate_answer_cb, q);
	event_add(q->ev, &tv);
	return q;
}

/* The fake gate forgets a question. */
static void
test_gate_cancel(void *arg, void *handle)
{
	struct test_gate_q *q = handle;

	event_free(q->ev);
	free(q);
	g.cancelled++;
}

/* The fake gate hears an attempt ended for good. */
static void
test_gate_settled(void *arg, const char *notifier,
    enum config_notifier_type type, const char *event_id, int delivered)
{
	g.settled[test_gate_task(event_id)] += delivered ? 1 : 100;
}

static const struct notify_gate_ops test_gate_ops = {
	.check = test_gate_check,
	.cancel = test_gate_cancel,
	.settled = test_gate_settled,
};

/* The gate was asked about t5. */
static int
test_gate_asked5(void)
{
	return g.asked[5] == 1;
}

/* Two items held by the gate. */
static int
test_gate_two_held(void)
{
	return notify_gate_held(t.notify) == 2;
}

/*
 * A gate (high availability): every attempt asks it first.  WAIT holds
 * (nothing sent, counted as held) until the gate opens; SKIP drops
 * without sending; SEND delivers and reports it settled; RETRY is a
 * failed attempt, asked again; DEAD is a dead letter; a question still
 * open when the notifier goes is cancelled.
 */
static void
test_gate(void **state)
{
	struct config_notifier cn;
	struct config conf = { .notifiers = &cn, .nnotifiers = 1 };
	char *log;
	int i;

	memset(&g, 0, sizeof(g));
	test_webhook(&cn, "hook", "/hook");
	t.notify = notify_new(t.base, t.http, &conf);
	notify_set_gate(t.notify, &test_gate_ops, NULL, 60000);
	for (i = 0; i < 8; i++)
		g.verdict[i] = NOTIFY_GATE_WAIT;
	test_send(test_event("t1", TASK_RUNNING, TASK_FAILED));
	test_send(test_event("t2", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_gate_two_held, 2000));
	/* A second event of t1 queues behind its held head: held too. */
	test_send(test_event("t1", TASK_FAILED, TASK_SUCCEEDED));
	test_run(NULL, 100);
	assert_int_equal(t.nreqs, 0);
	assert_int_equal(notify_pending(t.notify), 3);
	assert_int_equal(notify_gate_held(t.notify), 3);
	assert_int_equal(g.asked[1], 1); /* held: not asked again at once */

	/* The gate opens: t1 was delivered elsewhere, t2 goes. */
	g.verdict[1] = NOTIFY_GATE_SKIP;
	g.verdict[2] = NOTIFY_GATE_SEND;
	notify_gate_opened(t.notify);
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 1);
	assert_string_equal(t.reqs[0].task, "t2");
	assert_int_equal(g.settled[2], 1);
	assert_int_equal(g.settled[1], 0);
	assert_int_equal(notify_gate_held(t.notify), 0);

	/* RETRY: a failed attempt, asked again after the backoff. */
	g.verdict[3] = NOTIFY_GATE_RETRY;
	test_send(test_event("t3", TASK_RUNNING, TASK_FAILED));
	test_run(NULL, 30);
	g.verdict[3] = NOTIFY_GATE_SEND;
	assert_true(test_run(test_idle, 3000));
	assert_true(g.asked[3] >= 2);
	assert_int_equal(t.nreqs, 2);

	/* DEAD: a dead letter, nothing sent. */
	g.verdict[4] = NOTIFY_GATE_DEAD;
	test_log_start();
	test_send(test_event("t4", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_idle, 3000));
	log = test_log_stop();
	assert_int_equal(t.nreqs, 2);
	assert_non_null(strstr(log, "giving up on"));
	assert_non_null(strstr(log, "unknowable"));
	free(log);

	/* A question open when the notifier goes is cancelled. */
	g.verdict[5] = NOTIFY_GATE_WAIT;
	g.delay_ms[5] = 500;
	test_send(test_event("t5", TASK_RUNNING, TASK_FAILED));
	assert_true(test_run(test_gate_asked5, 2000));
	notify_free(t.notify);
	t.notify = NULL;
	assert_int_equal(g.cancelled, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_headers, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_secret_header, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_unsigned, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_secret_missing, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_retry_503, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_retry_after, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_final_400, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_give_up, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_order, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_other_task_not_blocked, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_rules, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_only, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_rules, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_silenced, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_reconfigure_keep, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_reconfigure_drain, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_in_flight, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_gate, test_setup, test_teardown),
	};

	log_init("test_notify", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
