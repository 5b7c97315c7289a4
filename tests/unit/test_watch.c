/*
 * Unit tests for watch.c: whole poll cycles of a dds.jobs watch with the
 * real provider and task table, answered through the watch_env send hook
 * with canned responses (the vendor's fixture among them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "apierr.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "evt.h"
#include "http.h"
#include "provider.h"
#include "ratelimit.h"
#include "sched.h"
#include "sign.h"
#include "taskstate.h"
#include "testlib.h"
#include "watch.h"
#include "xmalloc.h"

static const char test_yaml[] = "accounts:\n"
				"  - name: sim\n"
				"    cloud: huawei\n"
				"    region: sim-1\n"
				"    project_id: p1\n"
				"    endpoints: { dds: http://127.0.0.1:9/ }\n"
				"watches:\n"
				"  - name: a\n"
				"    account: sim\n"
				"    api: dds.jobs\n"
				"    interval: 1h\n"
				"    fail_after: 2\n";

/* A dws.actions watch: one cluster, two actions, two scopes. */
static const char test_yaml_dws[] =
    "accounts:\n"
    "  - name: sim\n"
    "    cloud: huawei\n"
    "    region: sim-1\n"
    "    project_id: p1\n"
    "    endpoints: { dws: http://127.0.0.1:9/ }\n"
    "watches:\n"
    "  - name: a\n"
    "    account: sim\n"
    "    api: dws.actions\n"
    "    clusters: [c1]\n"
    "    actions: [SNAPSHOTTING, RESTORING]\n"
    "    interval: 1h\n"
    "    fail_after: 1\n";

/* The same with a gate of three requests an hour on the account. */
static const char test_yaml_limited[] =
    "accounts:\n"
    "  - name: sim\n"
    "    cloud: huawei\n"
    "    region: sim-1\n"
    "    project_id: p1\n"
    "    rate_limit: 3/h\n"
    "    endpoints: { dds: http://127.0.0.1:9/ }\n"
    "watches:\n"
    "  - name: a\n"
    "    account: sim\n"
    "    api: dds.jobs\n"
    "    interval: 1h\n"
    "    fail_after: 2\n";

/* Failing at once, flapping at 3 cycles in 10 minutes. */
static const char test_yaml_flap[] =
    "accounts:\n"
    "  - name: sim\n"
    "    cloud: huawei\n"
    "    region: sim-1\n"
    "    project_id: p1\n"
    "    endpoints: { dds: http://127.0.0.1:9/ }\n"
    "watches:\n"
    "  - name: a\n"
    "    account: sim\n"
    "    api: dds.jobs\n"
    "    interval: 1h\n"
    "    fail_after: 1\n"
    "    stall_after: 0\n"
    "    flap_window: 10m\n"
    "    flap_threshold: %u\n";

/* The wall clock the flapping tests' polls start at (ms). */
static int64_t test_now_ms;

/* The fixed clock of watch_env.wall_ms. */
static int64_t
test_wall_ms(void)
{
	return test_now_ms;
}

/* A request the watch sent and the test has not answered yet. */
struct test_call {
	auth_cb cb;
	void *arg;
	char *url;
	int any_status;
	const struct config_strlist *absent;
};

/* The daemon around one watch: loop, scheduler, table, what it sent. */
struct test_world {
	struct event_base *base;
	struct sched *sched;
	struct taskstate *ts;
	struct config *conf;
	struct watch_env env;
	struct watch *w;
	struct ratelimit_set *limits;
	struct test_call *call;  /* the oldest request in flight, or NULL */
	struct test_call *q[16]; /* every request in flight, oldest first */
	size_t nq;
	size_t most_in_flight;
	unsigned sent;
	struct evt *events[32];
	size_t nevents;
};

/* The send hook: keep the request for the test to answer. */
static void *
test_send(void *arg, const struct config_account *const *acct,
    struct sign_req *req, const struct auth_opts *opts, auth_cb cb, void *cbarg)
{
	struct test_world *tw = arg;
	struct test_call *c = xcalloc(1, sizeof(*c));

	assert_true(tw->nq < sizeof(tw->q) / sizeof(tw->q[0]));
	assert_string_equal((*acct)->name, "sim");
	assert_string_equal(
	    opts->service, config_api_service(tw->conf->watches[0].api));
	c->cb = cb;
	c->arg = cbarg;
	c->url = sign_req_url(req);
	c->any_status = opts->any_status;
	c->absent = opts->absent;
	sign_req_free(req);
	tw->q[tw->nq++] = c;
	tw->call = tw->q[0];
	if (tw->nq > tw->most_in_flight)
		tw->most_in_flight = tw->nq;
	tw->sent++;
	return c;
}

/* Take a request out of the queue of those in flight. */
static void
test_dequeue(struct test_world *tw, struct test_call *c)
{
	size_t i;

	for (i = 0; i < tw->nq && tw->q[i] != c; i++)
		;
	assert_true(i < tw->nq);
	memmove(&tw->q[i], &tw->q[i + 1], (tw->nq - i - 1) * sizeof(tw->q[0]));
	tw->nq--;
	tw->call = tw->nq > 0 ? tw->q[0] : NULL;
}

/* Free a call the test has finished with. */
static void
test_call_free(struct test_call *c)
{
	free(c->url);
	free(c);
}

static struct test_world *test_world; /* the one test_cancel dequeues from */

/* The cancel hook: the callback fires now, cancelled. */
static void
test_cancel(void *call)
{
	struct test_call *c = call;
	struct auth_answer a;

	test_dequeue(test_world, c);
	memset(&a, 0, sizeof(a));
	a.cancelled = 1;
	c->cb(&a, c->arg);
	test_call_free(c);
}

/* Keep every event the watch emits. */
static void
test_emit(struct evt *ev, void *arg)
{
	struct test_world *tw = arg;

	assert_true(tw->nevents < sizeof(tw->events) / sizeof(tw->events[0]));
	tw->events[tw->nevents++] = ev;
}

/* Forget the events seen so far. */
static void
test_events_clear(struct test_world *tw)
{
	size_t i;

	for (i = 0; i < tw->nevents; i++)
		evt_free(tw->events[i]);
	tw->nevents = 0;
}

/*
 * Load the config yaml, make the world and the watch (which never polls
 * alone); max_in_flight requests of a listing at once.
 */
static struct test_world *
test_world_new(const char *yaml, unsigned max_in_flight)
{
	struct test_world *tw = xcalloc(1, sizeof(*tw));
	char path[] = "/tmp/tw-watch-XXXXXX", *errors = NULL;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	tw->conf = config_load(path, &errors);
	unlink(path);
	if (tw->conf == NULL)
		fail_msg("config: %s", errors);
	tw->base = event_base_new();
	tw->sched = sched_new(tw->base, 4);
	tw->ts = taskstate_new();
	tw->env.base = tw->base;
	tw->env.sched = tw->sched;
	tw->env.ts = tw->ts;
	tw->env.max_response_bytes = 1024 * 1024;
	tw->env.send = test_send;
	tw->env.cancel = test_cancel;
	tw->env.send_arg = tw;
	tw->env.emit = test_emit;
	tw->env.emit_arg = tw;
	tw->env.max_in_flight = max_in_flight;
	tw->limits = ratelimit_set_new();
	tw->env.limits = tw->limits;
	tw->w = watch_new(&tw->conf->watches[0], &tw->env, 3600000);
	test_world = tw;
	return tw;
}

/* The world of most tests: pages one after another. */
static int
test_setup(void **state)
{
	*state = test_world_new(test_yaml, 0);
	return 0;
}

/* Pages asked for two at a time. */
static int
test_setup_fan(void **state)
{
	*state = test_world_new(test_yaml, 2);
	return 0;
}

/* A dws.actions watch, whose scopes are requests of their own. */
static int
test_setup_dws(void **state)
{
	*state = test_world_new(test_yaml_dws, 0);
	return 0;
}

/* Eight at a time, but the account's gate lets three requests through. */
static int
test_setup_limited(void **state)
{
	*state = test_world_new(test_yaml_limited, 8);
	return 0;
}

/* A watch with flap_threshold threshold, on the fixed clock. */
static struct test_world *
test_world_flap(unsigned threshold)
{
	char *yaml = xasprintf(test_yaml_flap, threshold);
	struct test_world *tw = test_world_new(yaml, 0);

	free(yaml);
	test_now_ms = 1700000000000LL;
	tw->env.wall_ms = test_wall_ms;
	return tw;
}

/* A flapping watch with flap_threshold 3. */
static int
test_setup_flap(void **state)
{
	*state = test_world_flap(3);
	return 0;
}

/* The same with flap_threshold 0: damping off. */
static int
test_setup_noflap(void **state)
{
	*state = test_world_flap(0);
	return 0;
}

/* Free the world; a request still in flight is cancelled by watch_free. */
static int
test_teardown(void **state)
{
	struct test_world *tw = *state;

	watch_free(tw->w);
	assert_null(tw->call);
	assert_int_equal(tw->nq, 0);
	test_events_clear(tw);
	ratelimit_set_free(tw->limits);
	sched_free(tw->sched);
	taskstate_free(tw->ts);
	event_base_free(tw->base);
	config_free(tw->conf);
	free(tw);
	return 0;
}

/* Start a poll and run the loop until its first request is out. */
static void
test_poll(struct test_world *tw)
{
	int i;

	assert_int_equal(watch_poll_now(tw->w), WATCH_POLL_STARTED);
	for (i = 0; i < 100 && tw->call == NULL; i++)
		event_base_loop(tw->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_non_null(tw->call);
}

/* As auth_send judges it: status or code listed in the watch's absent. */
static int
test_absent(const struct config_strlist *absent, long status, const char *code)
{
	char st[16];
	size_t i;

	snprintf(st, sizeof(st), "%ld", status);
	for (i = 0; absent != NULL && i < absent->n; i++) {
		if (strcmp(absent->v[i], st) == 0 ||
		    (code != NULL && strcmp(absent->v[i], code) == 0))
			return 1;
	}
	return 0;
}

/*
 * Answer the request in flight with status and body, judged as auth_send
 * judges it: 2xx, any status for a lookup and the absent status are
 * answers, the rest an error read from the body.  Returns nothing: the watch moves on.
 */
static void
test_answer_call(
    struct test_world *tw, struct test_call *c, long status, const char *body)
{
	struct http_response resp;
	struct auth_answer a;
	struct apierr err;
	int failed;

	assert_non_null(c);
	test_dequeue(tw, c);
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	resp.body = body;
	resp.body_len = strlen(body);
	resp.retry_after_ms = -1;
	memset(&a, 0, sizeof(a));
	a.resp = &resp;
	a.requests = 1;
	failed = !(status >= 200 && status < 300) && !c->any_status;
	if (failed) {
		apierr_parse(&err, status, body, resp.body_len);
		a.err = &err;
		if (test_absent(c->absent, status, err.code)) {
			apierr_clear(&err);
			a.err = NULL;
			failed = 0;
		}
	}
	c->cb(&a, c->arg);
	if (failed)
		apierr_clear(&err);
	test_call_free(c);
}

/* Answer the oldest request in flight (test_answer_call). */
static void
test_answer(struct test_world *tw, long status, const char *body)
{
	test_answer_call(tw, tw->call, status, body);
}

/* Fail the request in flight without an answer (connection refused). */
static void
test_refuse(struct test_world *tw)
{
	struct test_call *c = tw->call;
	struct http_response resp;
	struct auth_answer a;
	struct apierr err;

	test_dequeue(tw, c);
	memset(&resp, 0, sizeof(resp));
	resp.error = HTTP_ENETWORK;
	resp.errmsg = "Connection refused";
	resp.body = "";
	resp.retry_after_ms = -1;
	apierr_set(&err, APIERR_NETWORK, resp.errmsg);
	memset(&a, 0, sizeof(a));
	a.resp = &resp;
	a.err = &err;
	a.requests = 1;
	c->cb(&a, c->arg);
	apierr_clear(&err);
	test_call_free(c);
}

/* A DDS job row. */
static char *
test_job(const char *id, const char *status)
{
	return xasprintf("{\"id\":\"%s\",\"name\":\"RestartInstance\","
			 "\"status\":\"%s\",\"created_at\":"
			 "\"2025-05-19T08:00:00+0000\",\"instance_id\":\"i1\","
			 "\"instance_name\":\"n1\"}",
	    id, status);
}

/* A DDS page of up to two jobs and the announced total. */
static char *
test_page(
    const char *j1, const char *s1, const char *j2, const char *s2, int total)
{
	char *a = test_job(j1, s1), *b = j2 ? test_job(j2, s2) : NULL, *page;

	page = xasprintf("{\"jobs\":[%s%s%s],\"total_count\":%d}", a,
	    b ? "," : "", b ? b : "", total);
	free(a);
	free(b);
	return page;
}

/* Poll once and answer with a one-page listing. */
static void
test_poll_page(struct test_world *tw, const char *j1, const char *s1,
    const char *j2, const char *s2)
{
	char *page = test_page(j1, s1, j2, s2, j2 ? 2 : 1);

	test_poll(tw);
	test_answer(tw, 200, page);
	free(page);
}

/* The first poll records the vendor's fixture silently as the baseline. */
static void
test_first_poll(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	char *body;
	size_t len;

	body = testlib_read_file("../shared/fixtures/dds-jobs.json", &len);
	test_poll(tw);
	assert_non_null(
	    strstr(tw->call->url, "http://127.0.0.1:9/v3.1/p1/jobs?"));
	assert_non_null(strstr(tw->call->url, "&limit=100&offset=0&"));
	assert_int_equal(tw->call->any_status, 0);
	assert_int_equal(watch_busy(tw->w), 1);
	test_answer(tw, 200, body);
	free(body);
	assert_null(tw->call);
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(tw->nevents, 0);
	assert_int_equal(st->polls_ok, 1);
	assert_int_equal(st->requests, 1);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 1);
}

/* A task that changes state between two polls is one transition. */
static void
test_transition(void **state)
{
	struct test_world *tw = *state;

	test_poll_page(tw, "j1", "Running", NULL, NULL);
	assert_int_equal(tw->nevents, 0);
	test_poll_page(tw, "j1", "Completed", NULL, NULL);
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_TRANSITION);
	assert_string_equal(tw->events[0]->task.id, "j1");
	assert_int_equal(tw->events[0]->prev_state, TASK_RUNNING);
	assert_int_equal(tw->events[0]->task.state, TASK_SUCCEEDED);
}

/* fail_after failed polls make watch_failed; the next success recovers. */
static void
test_fail_recover(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	const char *err = "{\"error_code\":\"DBS.200001\","
			  "\"error_msg\":\"internal error\"}";

	test_poll_page(tw, "j1", "Running", NULL, NULL);
	test_poll(tw);
	test_answer(tw, 500, err);
	assert_int_equal(tw->nevents, 0);
	assert_int_equal(st->consecutive_failures, 1);
	assert_string_equal(
	    st->last_error, "http: HTTP 500 DBS.200001: internal error");
	test_poll(tw);
	test_refuse(tw);
	assert_int_equal(st->consecutive_failures, 2);
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_WATCH_FAILED);
	assert_string_equal(tw->events[0]->error_class, "network");
	assert_int_equal(st->failed, 1);
	test_events_clear(tw);
	/* the task finished meanwhile: the change and the recovery */
	test_poll_page(tw, "j1", "Completed", NULL, NULL);
	assert_int_equal(tw->nevents, 2);
	assert_int_equal(tw->events[0]->kind, EVT_TRANSITION);
	assert_int_equal(tw->events[1]->kind, EVT_WATCH_RECOVERED);
	assert_int_equal(st->failed, 0);
	assert_int_equal(st->consecutive_failures, 0);
	assert_int_equal(st->polls_failed, 2);
}

/* One poll at the test clock plus secs: answered 200 (ok) or 503. */
static void
test_flap_poll(struct test_world *tw, int64_t secs, int ok)
{
	test_now_ms += secs * 1000;
	if (ok)
		test_poll_page(tw, "j1", "Running", NULL, NULL);
	else {
		test_poll(tw);
		test_answer(tw, 503,
		    "{\"error_code\":\"DBS.200001\","
		    "\"error_msg\":\"busy\"}");
	}
}

/* The kinds of the events seen so far, "watch_failed watch_recovered". */
static char *
test_kinds(struct test_world *tw)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < tw->nevents; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "",
		    evt_kind_name(tw->events[i]->kind));
	return buf_release(&b);
}

/* Assert the kinds of the events seen since the last check, and forget them. */
static void
test_expect(struct test_world *tw, const char *kinds)
{
	char *got = test_kinds(tw);

	assert_string_equal(got, kinds);
	free(got);
	test_events_clear(tw);
}

/*
 * The third failure cycle within flap_window is one watch_flapping in
 * place of its recovery; no pairs follow while the watch flaps.
 */
static void
test_flap_threshold(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	int64_t first = test_now_ms / 1000 + 60;
	struct evt *ev;
	char *summary;
	int i;

	test_flap_poll(tw, 0, 1);
	for (i = 0; i < 2; i++) {
		test_flap_poll(tw, 60, 0);
		test_expect(tw, "watch_failed");
		test_flap_poll(tw, 60, 1);
		test_expect(tw, "watch_recovered");
	}
	test_flap_poll(tw, 60, 0);
	test_expect(tw, "watch_failed");
	test_flap_poll(tw, 60, 1);
	assert_int_equal(tw->nevents, 1);
	ev = tw->events[0];
	assert_int_equal(ev->kind, EVT_WATCH_FLAPPING);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	assert_int_equal(ev->flap_cycles, 3);
	assert_int_equal(ev->flap_window_s, 600);
	assert_int_equal(ev->fail_since, first);
	assert_string_equal(ev->obs, "1700000060");
	assert_string_equal(ev->error_class, "http");
	assert_non_null(strstr(ev->error_msg, "busy"));
	summary = evt_summary(ev);
	assert_string_equal(summary,
	    "a: polling is flapping: failed and recovered 3 times within "
	    "10 min; last error (http): HTTP 503 DBS.200001: busy");
	free(summary);
	test_events_clear(tw);
	assert_int_equal(st->flapping_since_s, first);
	/* Flapping: failures and recoveries make no events. */
	for (i = 0; i < 5; i++) {
		test_flap_poll(tw, 30, 0);
		test_flap_poll(tw, 30, 1);
	}
	assert_int_equal(tw->nevents, 0);
	assert_int_equal(st->flapping_since_s, first);
}

/*
 * A flapping watch recovers once, when no poll failed for flap_window;
 * failing when that would be judged, it keeps flapping.
 */
static void
test_flap_stable(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	char first_recovered[EVT_ID_LEN + 1];
	struct evt *ev;
	int i;

	test_flap_poll(tw, 0, 1);
	for (i = 0; i < 3; i++) {
		test_flap_poll(tw, 60, 0);
		test_flap_poll(tw, 60, 1);
		if (i == 0)
			memcpy(first_recovered, tw->events[1]->id,
			    sizeof(first_recovered));
	}
	test_expect(tw,
	    "watch_failed watch_recovered watch_failed "
	    "watch_recovered watch_failed watch_flapping");
	/* The last failure was 60 s ago: 9 minutes on, still flapping. */
	test_flap_poll(tw, 8 * 60, 1);
	test_expect(tw, "");
	/* Failing at the 10 minutes: still flapping, then 10 more. */
	test_flap_poll(tw, 60, 0);
	test_flap_poll(tw, 9 * 60, 1);
	test_expect(tw, "");
	assert_int_not_equal(st->flapping_since_s, 0);
	test_flap_poll(tw, 60, 1);
	assert_int_equal(tw->nevents, 1);
	ev = tw->events[0];
	assert_int_equal(ev->kind, EVT_WATCH_RECOVERED);
	assert_int_equal(ev->flap_cycles, 3);
	assert_int_equal(ev->fail_since, 1700000060);
	assert_string_not_equal(ev->id, first_recovered);
	test_events_clear(tw);
	assert_int_equal(st->flapping_since_s, 0);
	/* Stable again: a failure is a watch_failed as before. */
	test_flap_poll(tw, 60, 0);
	test_expect(tw, "watch_failed");
	test_flap_poll(tw, 60, 1);
	test_expect(tw, "watch_recovered");
}

/* flap_threshold 0: every cycle is its pair, as before flap damping. */
static void
test_flap_off(void **state)
{
	struct test_world *tw = *state;
	int i;

	test_flap_poll(tw, 0, 1);
	for (i = 0; i < 6; i++) {
		test_flap_poll(tw, 10, 0);
		test_expect(tw, "watch_failed");
		test_flap_poll(tw, 10, 1);
		test_expect(tw, "watch_recovered");
	}
	assert_int_equal(watch_get_stats(tw->w)->flapping_since_s, 0);
}

/* Cycles further apart than flap_window allows for three do not flap. */
static void
test_flap_spread(void **state)
{
	struct test_world *tw = *state;
	int i;

	test_flap_poll(tw, 0, 1);
	for (i = 0; i < 6; i++) {
		/* a cycle every 6 minutes: two in any 10 */
		test_flap_poll(tw, 5 * 60, 0);
		test_expect(tw, "watch_failed");
		test_flap_poll(tw, 60, 1);
		test_expect(tw, "watch_recovered");
	}
	assert_int_equal(watch_get_stats(tw->w)->flapping_since_s, 0);
}

/* A listing of two pages asks for the second at the right offset. */
static void
test_two_pages(void **state)
{
	struct test_world *tw = *state;
	char *p1 = test_page("j1", "Running", NULL, NULL, 2);
	char *p2 = test_page("j2", "Running", NULL, NULL, 2);

	test_poll(tw);
	assert_non_null(strstr(tw->call->url, "&offset=0&"));
	test_answer(tw, 200, p1);
	assert_non_null(tw->call);
	assert_non_null(strstr(tw->call->url, "&offset=1&"));
	test_answer(tw, 200, p2);
	assert_null(tw->call);
	assert_int_equal(watch_get_stats(tw->w)->polls_ok, 1);
	assert_int_equal(watch_get_stats(tw->w)->requests, 2);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 2);
	free(p1);
	free(p2);
}

/*
 * A task that leaves the listing is looked up: still there, nothing; the
 * API says it is gone (404), vanished.
 */
static void
test_vanished(void **state)
{
	struct test_world *tw = *state;
	char *found;

	test_poll_page(tw, "j1", "Running", "j2", "Running");
	/* j2 left the listing but the lookup still finds it */
	test_poll_page(tw, "j1", "Running", NULL, NULL);
	assert_non_null(tw->call);
	assert_string_equal(
	    tw->call->url, "http://127.0.0.1:9/v3/p1/jobs?id=j2");
	assert_int_equal(tw->call->any_status, 1);
	found = xasprintf("{\"job\":{\"id\":\"j2\",\"name\":"
			  "\"RestartInstance\",\"status\":\"Running\","
			  "\"instance\":{\"id\":\"i1\",\"name\":\"n1\"}}}");
	test_answer(tw, 200, found);
	assert_null(tw->call);
	assert_int_equal(tw->nevents, 0);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 2);
	/* gone now */
	test_poll_page(tw, "j1", "Running", NULL, NULL);
	test_answer(tw, 404,
	    "{\"error_code\":\"DBS.280001\",\"error_msg\":\"no such job\"}");
	assert_null(tw->call);
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_VANISHED);
	assert_string_equal(tw->events[0]->task.id, "j2");
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 1);
	assert_int_equal(watch_get_stats(tw->w)->polls_ok, 3);
	free(found);
}

/* Freeing a watch cancels its request: the callback fires once. */
static void
test_cancel_in_flight(void **state)
{
	struct test_world *tw = *state;

	test_poll(tw);
	assert_non_null(tw->call);
	watch_free(tw->w); /* the cancel hook frees the call */
	tw->w = NULL;
}

/* The request in flight for the listing page at offset, or fail. */
static struct test_call *
test_at(struct test_world *tw, unsigned offset)
{
	char want[32];
	size_t i;

	snprintf(want, sizeof(want), "&offset=%u&", offset);
	for (i = 0; i < tw->nq; i++)
		if (strstr(tw->q[i]->url, want) != NULL)
			return tw->q[i];
	for (i = 0; i < tw->nq; i++)
		fprintf(stderr, "in flight: %s\n", tw->q[i]->url);
	fail_msg("no request for offset %u in flight", offset);
	return NULL;
}

/*
 * Answer the page at offset as a server listing rows (space-separated
 * ids, "j2:Failed" for another status than Running) two rows a page,
 * announcing total (-1: the number of rows).
 */
static void
test_serve(struct test_world *tw, unsigned offset, const char *rows, int total)
{
	char *list = xstrdup(rows), *save = NULL, *id, *st, *job, *page, *next;
	unsigned i = 0, n = 0;

	page = xstrdup("");
	for (id = strtok_r(list, " ", &save); id != NULL;
	     id = strtok_r(NULL, " ", &save), i++) {
		if (i < offset || i >= offset + 2)
			continue;
		if ((st = strchr(id, ':')) != NULL)
			*st++ = '\0';
		job = test_job(id, st != NULL ? st : "Running");
		next = xasprintf("%s%s%s", page, n++ ? "," : "", job);
		free(job);
		free(page);
		page = next;
	}
	next = xasprintf("{\"jobs\":[%s],\"total_count\":%d}", page,
	    total >= 0 ? total : (int)i);
	test_answer_call(tw, test_at(tw, offset), 200, next);
	free(next);
	free(page);
	free(list);
}

#define TEST_EIGHT "j0 j1 j2 j3 j4 j5 j6 j7"
#define TEST_SIX "j0 j1 j2 j3 j4 j5"

/*
 * Once the first page announced the total, the other pages are asked for
 * at once, at most max_in_flight (2) at a time, and may arrive in any
 * order; the listing is complete and in listing order.
 */
static void
test_fan_pages(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	const char *seven = "j0 j1 j2 j3 j4 j6 j7";

	test_poll(tw);
	test_serve(tw, 0, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 1); /* the first goes alone */
	test_serve(tw, 2, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 2);
	(void)test_at(tw, 4);
	(void)test_at(tw, 6);
	test_serve(tw, 6, TEST_EIGHT, -1);
	assert_int_equal(watch_busy(tw->w), 1);
	test_serve(tw, 4, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 0);
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(tw->most_in_flight, 2);
	assert_int_equal(st->polls_ok, 1);
	assert_int_equal(st->requests, 4);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 8);
	/* j5 left: the complete listing has it looked up, and it is gone */
	test_poll(tw);
	test_serve(tw, 0, seven, -1);
	test_serve(tw, 2, seven, -1);
	test_serve(tw, 6, seven, -1);
	test_serve(tw, 4, seven, -1);
	assert_int_equal(tw->nq, 1);
	assert_string_equal(
	    tw->call->url, "http://127.0.0.1:9/v3/p1/jobs?id=j5");
	test_answer(tw, 404,
	    "{\"error_code\":\"DBS.280001\",\"error_msg\":\"no such job\"}");
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_VANISHED);
	assert_string_equal(tw->events[0]->task.id, "j5");
	assert_int_equal(st->polls_ok, 2);
}

/*
 * Rows that move while the pages are read (the total changes): the
 * listing cannot make a task vanish (no lookup of the row it skipped),
 * and a total that grew is read on to its end.
 */
static void
test_fan_shifted(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	const char *later = "j0 j2 j3 j4:Failed j5 j6 j7";

	test_poll(tw);
	test_serve(tw, 0, TEST_SIX, -1);
	test_serve(tw, 2, TEST_SIX, -1);
	test_serve(tw, 4, TEST_SIX, -1);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 6);
	/* after page 1, j1 left and j6, j7 came: j2 is never listed */
	test_poll(tw);
	test_serve(tw, 0, TEST_SIX, -1);
	test_serve(tw, 2, later, -1);
	test_serve(tw, 4, later, -1);
	/* 6 of 7 rows read: on to the rest, one page */
	assert_int_equal(tw->nq, 1);
	test_serve(tw, 6, later, -1);
	assert_int_equal(tw->nq, 0); /* no lookup of j2 */
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->polls_ok, 2);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 8);
	assert_int_equal(tw->nevents, 3);
	assert_int_equal(tw->events[0]->kind, EVT_TRANSITION);
	assert_string_equal(tw->events[0]->task.id, "j4");
	assert_int_equal(tw->events[1]->kind, EVT_APPEARED);
	assert_string_equal(tw->events[1]->task.id, "j6");
	assert_int_equal(tw->events[2]->kind, EVT_APPEARED);
	assert_string_equal(tw->events[2]->task.id, "j7");
}

/*
 * A page that fails fails the poll: the pages in flight are cancelled,
 * the pages read count as an incomplete listing (their changes are
 * reported, nothing vanishes), and the next poll starts from the top.
 */
static void
test_fan_fail(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);

	test_poll(tw);
	test_serve(tw, 0, TEST_EIGHT, -1);
	test_serve(tw, 2, TEST_EIGHT, -1);
	test_serve(tw, 4, TEST_EIGHT, -1);
	test_serve(tw, 6, TEST_EIGHT, -1);
	test_poll(tw);
	test_serve(tw, 0, "j0 j1:Failed j2 j3 j4 j5 j6 j7", -1);
	test_serve(tw, 2, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 2);
	test_answer_call(tw, test_at(tw, 4), 500,
	    "{\"error_code\":\"DBS.200001\",\"error_msg\":\"internal\"}");
	assert_int_equal(tw->nq, 0); /* offset 6 cancelled */
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->consecutive_failures, 1);
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_TRANSITION);
	assert_string_equal(tw->events[0]->task.id, "j1");
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 8);
	test_poll(tw);
	assert_int_equal(tw->nq, 1);
	(void)test_at(tw, 0);
}

/*
 * A page short of rows or announcing another total than the others, with
 * the last page as expected: a row may have been skipped, so the listing
 * cannot make a task vanish.
 */
static void
test_fan_gap(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);

	test_poll(tw);
	test_serve(tw, 0, TEST_EIGHT, -1);
	test_serve(tw, 2, TEST_EIGHT, -1);
	test_serve(tw, 4, TEST_EIGHT, -1);
	test_serve(tw, 6, TEST_EIGHT, -1);
	/* page 2 is short (j3 not listed), the others agree */
	test_poll(tw);
	test_serve(tw, 0, TEST_EIGHT, -1);
	test_serve(tw, 2, "j0 j1 j2", 8);
	test_serve(tw, 4, TEST_EIGHT, -1);
	test_serve(tw, 6, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 0); /* no lookup of j3 */
	/* page 4 announces 9 (j5 not listed), the others 8 */
	test_poll(tw);
	test_serve(tw, 0, TEST_EIGHT, -1);
	test_serve(tw, 2, TEST_EIGHT, -1);
	test_serve(tw, 4, "j0 j1 j2 j3 j4 j4b j5 j6 j7", -1);
	test_serve(tw, 6, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 0); /* no lookup of j5 */
	assert_int_equal(st->polls_ok, 3);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 9);
}

/* Every fanned page passes the account's gate: three requests an hour. */
static void
test_fan_gated(void **state)
{
	struct test_world *tw = *state;

	test_poll(tw);
	test_serve(tw, 0, TEST_EIGHT, -1);
	test_serve(tw, 2, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 1); /* 8 allowed, the gate had 1 left */
	test_serve(tw, 4, TEST_EIGHT, -1);
	assert_int_equal(tw->nq, 0);
	assert_int_equal(watch_busy(tw->w), 1); /* waits for the gate */
	assert_int_equal(tw->most_in_flight, 1);
}

/*
 * A server that ignores the offset and announces a total that never
 * ends: the first page read at once repeats the one before it, and the
 * poll fails there (two requests), not after max_in_flight more.
 */
static void
test_fan_repeats(void **state)
{
	struct test_world *tw = *state;
	char *page;

	test_poll(tw);
	test_serve(tw, 0, TEST_EIGHT, 1000000);
	assert_int_equal(tw->nq, 1);
	page = test_page("j0", "Running", "j1", "Running", 1000000);
	test_answer_call(tw, test_at(tw, 2), 200, page);
	free(page);
	assert_int_equal(tw->nq, 0);
	assert_int_equal(tw->sent, 2);
	assert_int_equal(watch_busy(tw->w), 0);
	assert_string_equal(watch_get_stats(tw->w)->last_error,
	    "parse: the same page came twice: listing never ends");
}

/*
 * dws.actions: an error answer for one action (a 400 with a DWS code, an
 * unusable body) leaves only that action unread; its task stays as it
 * was, the other action is read and the poll succeeds.  Only when no
 * action could be read does the poll fail.
 */
static void
test_scope_errors(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	const char *running = "{\"id\":\"a1\",\"status\":\"RUNNING\","
			      "\"action_name\":\"SNAPSHOTTING\"}";
	const char *none =
	    "{\"error_code\":\"DWS.0001\",\"error_msg\":\"none\"}";
	const char *odd = "{\"error_code\":\"DWS.0047\",\"error_msg\":\"odd\"}";
	int i;

	test_poll(tw);
	assert_non_null(strstr(tw->call->url, "/actions/SNAPSHOTTING"));
	test_answer(tw, 200, running);
	assert_non_null(strstr(tw->call->url, "/actions/RESTORING"));
	test_answer(tw, 404, none);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 1);
	assert_int_equal(st->unread_scopes, 0);
	for (i = 0; i < 3; i++) {
		test_poll(tw);
		test_answer(tw, i == 1 ? 200 : 400, i == 1 ? "{\"id\":" : odd);
		assert_non_null(tw->call); /* RESTORING is still asked */
		assert_non_null(strstr(tw->call->url, "/actions/RESTORING"));
		test_answer(tw, 404, none);
		assert_int_equal(watch_busy(tw->w), 0);
		assert_int_equal(st->consecutive_failures, 0);
		assert_int_equal(st->polls_ok, 2 + (unsigned)i);
		/* for /healthz (degraded) and taskwatch_watch_unread_scopes */
		assert_int_equal(st->unread_scopes, 1);
		assert_non_null(strstr(st->unread_error, "c1/SNAPSHOTTING: "));
	}
	assert_int_equal(tw->nevents, 0);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 1);
	/* neither action can be read: the poll fails (fail_after 1) */
	test_poll(tw);
	test_answer(tw, 400, odd);
	test_answer(tw, 400, odd);
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->consecutive_failures, 1);
	assert_non_null(strstr(st->last_error, "no scope could be read"));
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_WATCH_FAILED);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 1);
}

/* A dws.logical_tasks watch with clusters: all. */
static const char test_yaml_all[] =
    "accounts:\n"
    "  - name: sim\n"
    "    cloud: huawei\n"
    "    region: sim-1\n"
    "    project_id: p1\n"
    "    endpoints: { dws: http://127.0.0.1:9/ }\n"
    "watches:\n"
    "  - name: a\n"
    "    account: sim\n"
    "    api: dws.logical_tasks\n"
    "    clusters: all\n"
    "    cluster_names: [\"o-*\"]\n"
    "    interval: 1h\n"
    "    fail_after: 1\n";

/* A clusters: all watch. */
static int
test_setup_all(void **state)
{
	*state = test_world_new(test_yaml_all, 0);
	return 0;
}

/* Answer a DWS ListClusters request with the clusters "id:name ...". */
static void
test_clusters(struct test_world *tw, const char *list)
{
	struct buf b;
	char *dup = xstrdup(list), *tok, *save = NULL, *colon;
	int n = 0;

	assert_non_null(tw->call);
	assert_non_null(strstr(tw->call->url, "/v1.0/p1/clusters"));
	buf_init(&b, 0);
	buf_puts(&b, "{\"clusters\":[");
	for (tok = strtok_r(dup, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		colon = strchr(tok, ':');
		*colon = '\0';
		buf_printf(&b, "%s{\"id\":\"%s\",\"name\":\"%s\"}",
		    n++ ? "," : "", tok, colon + 1);
	}
	buf_printf(&b, "],\"count\":%d}", n);
	test_answer(tw, 200, buf_str(&b));
	buf_free(&b);
	free(dup);
}

/* Answer the listing of cluster id: one task of result ("": running). */
static void
test_logical(struct test_world *tw, const char *id, const char *result)
{
	char *url = xasprintf("/clusters/%s/logical-clusters/tasks", id);
	char *body = xasprintf(
	    "{\"logical_cluster_tasks\":[{\"type\":\"Grow\","
	    "\"logical_cluster_name\":\"lc\",\"start_time\":"
	    "\"2025-05-19 08:00:00\",\"end_time\":\"\",\"result\":\"%s\","
	    "\"log\":\"\"}],\"count\":1}",
	    result);

	assert_non_null(tw->call);
	if (strstr(tw->call->url, url) == NULL)
		fail_msg("asked %s, not %s", tw->call->url, url);
	test_answer(tw, 200, body);
	free(url);
	free(body);
}

/*
 * clusters: all: a discovery failing before any success fails the poll;
 * the discovered clusters whose name matches are polled; a cluster one
 * answer leaves out is still polled (its failure is reported) and is
 * dropped, with its tasks, only when the next discovery (at the next
 * poll) lacks it too; a failed re-discovery keeps the list and counts.
 */
static void
test_discover(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);
	const struct config_watch *conf = &tw->conf->watches[0];

	test_poll(tw);
	test_answer(tw, 500, "{\"error_code\":\"DWS.0000\"}");
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->consecutive_failures, 1);
	assert_non_null(strstr(st->last_error, "cluster discovery"));
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_WATCH_FAILED);
	test_events_clear(tw);

	/* c1 and c2 match o-*, x does not: two scopes, baselined. */
	test_poll(tw);
	test_clusters(tw, "c1:o-1 x:bi c2:o-2");
	test_logical(tw, "c1", "");
	test_logical(tw, "c2", "");
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->clusters, 2);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 2);
	assert_int_equal(tw->nevents, 1); /* watch_recovered */
	test_events_clear(tw);
	watch_saved(tw->w, UINT64_MAX, 1);

	/* Not due (10m): the poll lists at once. */
	test_poll(tw);
	test_logical(tw, "c1", "");
	test_logical(tw, "c2", "");
	assert_int_equal(watch_busy(tw->w), 0);

	/* A reload lists the clusters again; one answer lacks c2. */
	watch_set_config(tw->w, conf);
	test_poll(tw);
	test_clusters(tw, "c1:o-1");
	test_logical(tw, "c1", "");
	test_logical(tw, "c2", "failed"); /* still polled: reported */
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_TRANSITION);
	test_events_clear(tw);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 2);

	/* The next poll confirms: c2 and its task are forgotten. */
	test_poll(tw);
	test_clusters(tw, "c1:o-1");
	test_logical(tw, "c1", "");
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->clusters, 1);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 1);
	assert_int_equal(tw->nevents, 0);

	/* A failed re-discovery keeps c1, counts, and is retried. */
	watch_set_config(tw->w, conf);
	test_poll(tw);
	test_answer(tw, 500, "{\"error_code\":\"DWS.0000\"}");
	test_logical(tw, "c1", "");
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->consecutive_failures, 0);
	assert_int_equal(st->discover_failures, 1);
	assert_non_null(strstr(st->discover_error, "DWS ListClusters"));
	test_poll(tw);
	test_clusters(tw, "c1:o-1 c3:o-3");
	test_logical(tw, "c1", "");
	test_logical(tw, "c3", "");
	assert_int_equal(st->discover_failures, 0);
	assert_int_equal(st->clusters, 2);
	assert_int_equal(tw->nevents, 0); /* c3 is baselined */
}

/* A dws.logical_tasks watch over four literal clusters. */
static const char test_yaml_four[] =
    "accounts:\n"
    "  - name: sim\n"
    "    cloud: huawei\n"
    "    region: sim-1\n"
    "    project_id: p1\n"
    "    endpoints: { dws: http://127.0.0.1:9/ }\n"
    "watches:\n"
    "  - name: a\n"
    "    account: sim\n"
    "    api: dws.logical_tasks\n"
    "    clusters: [c1, c2, c3, c4]\n"
    "    interval: 1h\n"
    "    fail_after: 1\n";

/* Four literal clusters. */
static int
test_setup_four(void **state)
{
	*state = test_world_new(test_yaml_four, 0);
	return 0;
}

/* Put the world on shard index of count (the watch's view is rebuilt). */
static void
test_shard(struct test_world *tw, unsigned index, unsigned count)
{
	tw->env.shard.index = index;
	tw->env.shard.count = count;
	watch_set_config(tw->w, &tw->conf->watches[0]);
}

/* The watch's units on its shard, joined by spaces, and the others. */
static void
test_units(struct test_world *tw, const char *want, size_t want_others)
{
	char **units;
	size_t i, n, others;
	struct buf b;

	buf_init(&b, 0);
	units = watch_units(tw->w, &n, &others);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", units[i]);
	assert_string_equal(buf_str(&b), want);
	assert_int_equal(others, want_others);
	provider_scope_keys_free(units, n);
	buf_free(&b);
}

/*
 * Sharded, a literal list is polled for the owned clusters only (hashmod
 * of "a/c1" .. "a/c4" mod 2: 0 1 1 0, by python3 hashlib); the other
 * shard polls the rest, and the saved tasks of units it does not own are
 * dropped when the shard changes.
 */
static void
test_shard_literal(void **state)
{
	struct test_world *tw = *state;

	test_shard(tw, 0, 2);
	test_units(tw, "a/c1 a/c4", 2);
	test_poll(tw);
	test_logical(tw, "c1", "");
	test_logical(tw, "c4", "");
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 2);
	watch_saved(tw->w, UINT64_MAX, 1);

	test_shard(tw, 1, 2);
	test_units(tw, "a/c2 a/c3", 2);
	assert_int_equal(taskstate_count(tw->ts, "a", -1), 0);
	test_poll(tw);
	test_logical(tw, "c2", "");
	test_logical(tw, "c3", "");
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(tw->nevents, 0); /* a baseline */

	test_shard(tw, 0, 0);
	test_units(tw, "a/c1 a/c2 a/c3 a/c4", 0);
}

/*
 * A project-wide watch ("a": hashmod 1 of 2) is not polled at all on
 * shard 0, and polled as ever on shard 1.
 */
static void
test_shard_project(void **state)
{
	struct test_world *tw = *state;
	int i;

	test_shard(tw, 0, 2);
	test_units(tw, "", 1);
	assert_int_equal(watch_shard_polls(tw->w), 0);
	assert_int_equal(watch_poll_now(tw->w), WATCH_POLL_STARTED);
	for (i = 0; i < 20; i++)
		event_base_loop(tw->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_null(tw->call);
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(tw->nevents, 0);

	test_shard(tw, 1, 2);
	test_units(tw, "a", 0);
	test_poll(tw);
	test_answer(tw, 200, "{\"jobs\":[],\"total_count\":0}");
	assert_int_equal(watch_busy(tw->w), 0);
}

/*
 * clusters: all on a shard: every cluster is discovered, only the owned
 * ones that match are polled, the others are counted.
 */
static void
test_shard_discover(void **state)
{
	struct test_world *tw = *state;
	const struct watch_stats *st = watch_get_stats(tw->w);

	test_shard(tw, 1, 2);
	test_poll(tw);
	test_clusters(tw, "c1:o-1 c2:o-2 x:bi c3:o-3 c4:o-4");
	test_logical(tw, "c2", "");
	test_logical(tw, "c3", "");
	assert_int_equal(watch_busy(tw->w), 0);
	assert_int_equal(st->clusters, 2);
	test_units(tw, "a/c2 a/c3", 2);
}

/* Turn the loop a few times without blocking. */
static void
test_spin(struct test_world *tw)
{
	int i;

	for (i = 0; i < 20 && tw->call == NULL; i++)
		event_base_loop(tw->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/*
 * A standby (pace 20) does not poll sooner for being repaced; taking
 * over polls at once, not an interval after the standby's last poll.
 */
static void
test_repace_now(void **state)
{
	struct test_world *tw = *state;

	test_poll_page(tw, "j1", "Running", NULL, NULL);
	tw->env.pace = 20;
	watch_repace(tw->w, 0);
	test_spin(tw);
	assert_null(tw->call);
	tw->env.pace = 1;
	watch_repace(tw->w, 1);
	test_spin(tw);
	assert_non_null(tw->call);
	test_answer(tw, 200, "{\"jobs\":[],\"total_count\":0}");
}

/*
 * A successor seeded with its predecessor's outage carries it on: a
 * failing poll sends no second watch_failed; the recovery has the
 * predecessor's since; a clean state seeded clears a failure of its own.
 */
static void
test_failure_seed(void **state)
{
	struct test_world *tw = *state;
	struct watch_failure f = { 1, 1700000000, 0 }, got;

	test_poll_page(tw, "j1", "Running", NULL, NULL);
	watch_failure_seed(tw->w, &f);
	watch_failure_get(tw->w, &got);
	assert_int_equal(got.failed, 1);
	assert_int_equal(got.streak_start_s, 1700000000);
	test_poll(tw);
	test_answer(
	    tw, 503, "{\"error_code\":\"DBS.200001\",\"error_msg\":\"busy\"}");
	assert_int_equal(tw->nevents, 0);
	test_poll_page(tw, "j1", "Running", NULL, NULL);
	assert_int_equal(tw->nevents, 1);
	assert_int_equal(tw->events[0]->kind, EVT_WATCH_RECOVERED);
	assert_int_equal(tw->events[0]->fail_since, 1700000000);
	test_events_clear(tw);
	watch_failure_get(tw->w, &got);
	assert_int_equal(got.failed, 0);
	/* Seeded clean: a recovery of its own is not sent. */
	f.failed = 1;
	watch_failure_seed(tw->w, &f);
	memset(&f, 0, sizeof(f));
	watch_failure_seed(tw->w, &f);
	test_poll_page(tw, "j1", "Running", NULL, NULL);
	assert_int_equal(tw->nevents, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_repace_now, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_failure_seed, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_first_poll, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_transition, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fail_recover, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_two_pages, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_vanished, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cancel_in_flight, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fan_pages, test_setup_fan, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fan_shifted, test_setup_fan, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fan_gap, test_setup_fan, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fan_fail, test_setup_fan, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fan_gated, test_setup_limited, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fan_repeats, test_setup_fan, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_scope_errors, test_setup_dws, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_discover, test_setup_all, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_shard_literal, test_setup_four, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_shard_project, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_shard_discover, test_setup_all, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_flap_threshold, test_setup_flap, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_flap_stable, test_setup_flap, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_flap_off, test_setup_noflap, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_flap_spread, test_setup_flap, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
