/*
 * Unit tests for the alertmanager notifier.  The rules are tested on a
 * bare notifier at fixed times (labels, annotations, startsAt/endsAt, which
 * events open which alertname, early resolves, retries); delivery runs
 * through notify.c against an evhttp server on 127.0.0.1 (the path and
 * body, several URLs with one down, all down, 400, the repeat); the
 * alerts file in a temporary state directory (round trip, corrupt files,
 * the file name, written before a delivery is reported).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <dirent.h>
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

#include "config.h"
#include "evt.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "notify.h"
#include "notify_impl.h"
#include "outbox.h"
#include "task.h"
#include "util.h"
#include "testlib.h"
#include "xmalloc.h"

#define TEST_MAX_REQS 256
#define TEST_T0 1747645662 /* 2025-05-19T09:07:42Z */

/* One POST the server received. */
struct test_req {
	char *path;
	char *ctype;
	char *body;
	int status;
};

static struct {
	struct event_base *base;
	struct evhttp *srv;
	int port;
	int dead_port; /* nothing listens there */
	struct http *http;
	struct notify *notify;
	int status; /* what the server answers */
	struct test_req reqs[TEST_MAX_REQS];
	size_t nreqs;
	struct config_notifier cn;
	struct config conf;
	char *urls[2];
	struct config_kv labels[2];
	struct notify_notifier nf; /* for the rule tests */
	int saved_stderr;
	FILE *log;
	char dir[64]; /* a state directory */
} t;

/* The server: record the request and answer t.status. */
static void
test_server_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct test_req *r;
	const char *ct;
	size_t n;

	if (t.nreqs == TEST_MAX_REQS) {
		evhttp_send_reply(req, 500, "full", NULL);
		return;
	}
	r = &t.reqs[t.nreqs++];
	r->path = xstrdup(evhttp_request_get_uri(req));
	ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	r->ctype = xstrdup(ct != NULL ? ct : "");
	n = evbuffer_get_length(in);
	r->body = xmalloc(n + 1);
	evbuffer_remove(in, r->body, n);
	r->body[n] = '\0';
	r->status = t.status;
	evhttp_send_reply(req, t.status, "test", NULL);
}

/* A port on 127.0.0.1 where nothing listens. */
static int
test_dead_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* The server, the client, and an alertmanager notifier config. */
static int
test_setup(void **state)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&t, 0, sizeof(t));
	t.saved_stderr = -1;
	t.status = 200;
	t.base = event_base_new();
	t.srv = evhttp_new(t.base);
	bs = evhttp_bind_socket_with_handle(t.srv, "127.0.0.1", 0);
	if (bs == NULL)
		return -1;
	getsockname(
	    evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len);
	t.port = ntohs(sin.sin_port);
	t.dead_port = test_dead_port();
	evhttp_set_gencb(t.srv, test_server_cb, NULL);
	t.http = http_new(t.base);

	t.urls[0] = xasprintf("http://127.0.0.1:%d/", t.port);
	t.cn.name = "am";
	t.cn.type = CONFIG_NOTIFIER_ALERTMANAGER;
	t.cn.urls.v = t.urls;
	t.cn.urls.n = 1;
	t.cn.resolve_after_ms = 3600 * 1000;
	t.cn.repeat_ms = 3600 * 1000;
	t.cn.timeout_ms = 2000;
	t.cn.retry.initial_ms = 50;
	t.cn.retry.max_ms = 100;
	t.cn.retry.give_up_after_ms = 60000;
	t.labels[0].key = "team";
	t.labels[0].value = "dba";
	t.labels[1].key = "severity"; /* ours: ignored */
	t.labels[1].value = "page";
	t.cn.labels = t.labels;
	t.cn.nlabels = 2;
	t.conf.notifiers = &t.cn;
	t.conf.nnotifiers = 1;

	t.nf.name = "am";
	t.nf.base = t.base;
	t.nf.http = t.http;
	t.nf.ops = &notify_alertmanager_ops;
	return 0;
}

/* Free everything a test made. */
static int
test_teardown(void **state)
{
	size_t i;

	notify_free(t.notify);
	if (t.nf.priv != NULL)
		notify_alertmanager_ops.free(&t.nf);
	http_free(t.http);
	evhttp_free(t.srv);
	event_base_free(t.base);
	for (i = 0; i < t.nreqs; i++) {
		free(t.reqs[i].path);
		free(t.reqs[i].ctype);
		free(t.reqs[i].body);
	}
	free(t.urls[0]);
	free(t.urls[1]);
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

/* A task event of kind for task on cluster, of type, at TEST_T0 + at. */
static struct evt *
test_event(enum evt_kind kind, const char *task, const char *cluster,
    const char *type, enum task_state from, enum task_state to, int at)
{
	struct evt *ev = evt_new(kind);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->region = xstrdup("cn-north-4");
	ev->occurred_at = TEST_T0 + at;
	ev->observed_at = TEST_T0 + at + 5;
	ev->has_task = 1;
	ev->task.id = xstrdup(task);
	ev->task.type = xstrdup(type);
	ev->task.cluster_id = xstrdup(cluster);
	ev->task.cluster_name = xstrdup("dds-one");
	ev->task.state = to;
	ev->task.raw_status = xstrdup(to == TASK_FAILED ? "Failed" : "Other");
	if (to == TASK_FAILED)
		ev->task.reason = xstrdup("Replica set member unreachable");
	if (kind == EVT_TRANSITION || kind == EVT_STALLED ||
	    kind == EVT_VANISHED) {
		ev->has_previous = 1;
		ev->prev_state = from;
		ev->prev_raw = xstrdup("Running");
	}
	evt_finish(ev);
	return ev;
}

/* A transition from RUNNING of task on cluster c1, type Restart. */
static struct evt *
test_tr(const char *task, enum task_state to, int at)
{
	return test_event(
	    EVT_TRANSITION, task, "c1", "Restart", TASK_RUNNING, to, at);
}

/* A watch event of kind for dds-prod. */
static struct evt *
test_watch_event(enum evt_kind kind, int at)
{
	struct evt *ev = evt_new(kind);

	ev->watch = xstrdup("dds-prod");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->occurred_at = TEST_T0 + at;
	ev->observed_at = TEST_T0 + at;
	if (kind == EVT_WATCH_FAILED || kind == EVT_WATCH_FLAPPING) {
		ev->error_class = xstrdup("http");
		ev->error_msg = xstrdup("HTTP 500");
	}
	evt_finish(ev);
	return ev;
}

/* Configure the bare notifier t.nf from t.cn. */
static void
test_bare(void)
{
	notify_alertmanager_ops.configure(&t.nf, &t.cn);
}

/* Apply ev at TEST_T0 + now to the bare notifier; the parsed body or NULL. */
static struct json *
test_apply(struct evt *ev, int now)
{
	struct json *root = NULL;
	char *body, *cause = NULL;

	body = notify_alertmanager_apply(&t.nf, ev, TEST_T0 + now);
	evt_free(ev);
	if (body == NULL)
		return NULL;
	root = json_parse(body, strlen(body), &cause);
	assert_non_null(root);
	free(body);
	return root;
}

/* A label of alert i of a body. */
static const char *
test_label(const struct json *root, size_t i, const char *name)
{
	return json_get_str(json_get(json_at(root, i), "labels"), name);
}

/* The RFC 3339 form of TEST_T0 + s. */
static const char *
test_time(int s)
{
	static char buf[UTIL_RFC3339_LEN];

	util_format_rfc3339(TEST_T0 + s, buf);
	return buf;
}

/* RUNNING -> FAILED: one alert with every label, annotation and time. */
static void
test_alert(void **state)
{
	struct json *root, *a;
	const struct json *labels;

	test_bare();
	root = test_apply(test_tr("t1", TASK_FAILED, 0), 10);
	assert_non_null(root);
	assert_int_equal(json_type(root), JSON_ARRAY);
	assert_int_equal(json_len(root), 1);
	a = (struct json *)json_at(root, 0);
	labels = json_get(a, "labels");
	assert_int_equal(json_len(labels), 11);
	assert_string_equal(
	    json_get_str(labels, "alertname"), "CloudTaskFailed");
	assert_string_equal(json_get_str(labels, "watch"), "dds-prod");
	assert_string_equal(json_get_str(labels, "api"), "dds.jobs");
	assert_string_equal(json_get_str(labels, "account"), "hw-prod");
	assert_string_equal(json_get_str(labels, "cluster"), "dds-one");
	assert_string_equal(json_get_str(labels, "cluster_id"), "c1");
	assert_string_equal(json_get_str(labels, "task_id"), "t1");
	assert_string_equal(json_get_str(labels, "task_type"), "Restart");
	assert_string_equal(json_get_str(labels, "state"), "FAILED");
	assert_string_equal(json_get_str(labels, "severity"), "critical");
	assert_string_equal(json_get_str(labels, "team"), "dba");
	/* Nothing instance-specific: no host, no event id, no time. */
	assert_null(json_get(labels, "instance"));
	assert_string_equal(json_get_str(json_get(a, "annotations"), "reason"),
	    "Replica set member unreachable");
	assert_string_equal(
	    json_get_str(json_get(a, "annotations"), "raw_status"), "Failed");
	assert_non_null(
	    strstr(json_get_str(json_get(a, "annotations"), "summary"),
		"RUNNING -> FAILED"));
	assert_string_equal(json_get_str(a, "startsAt"), test_time(0));
	/* The post's time plus resolve_after, not startsAt plus it. */
	assert_string_equal(json_get_str(a, "endsAt"), test_time(10 + 3600));
	json_free(root);
}

/*
 * An event that occurred days before it is posted (a missed failure, an
 * old start time) is an active alert: endsAt is resolve_after after the
 * post, startsAt stays when it began.  It expires resolve_after after we
 * saw it, and is then posted resolved at that time.
 */
static void
test_old_event(void **state)
{
	struct evt *ev = test_tr("t1", TASK_FAILED, -3 * 86400);
	struct json *root;
	char *body, *cause = NULL;

	test_bare();
	body = notify_alertmanager_apply(&t.nf, ev, TEST_T0 + 10);
	assert_non_null(body);
	root = json_parse(body, strlen(body), &cause);
	assert_non_null(root);
	assert_string_equal(
	    json_get_str(json_at(root, 0), "startsAt"), test_time(-3 * 86400));
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(10 + 3600));
	json_free(root);
	free(body);
	/* Kept open until resolve_after after it was seen ... */
	body = notify_alertmanager_apply(&t.nf, ev, TEST_T0 + 3609);
	root = json_parse(body, strlen(body), &cause);
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(3609 + 3600));
	json_free(root);
	free(body);
	/* ... then it ends there. */
	body = notify_alertmanager_apply(&t.nf, ev, TEST_T0 + 3611);
	root = json_parse(body, strlen(body), &cause);
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(10 + 3600));
	json_free(root);
	free(body);
	evt_free(ev);
}

/* Which events open which alert; info events open none. */
static void
test_alertnames(void **state)
{
	static const struct {
		enum evt_kind kind;
		enum task_state to;
		const char *want;
	} cases[] = {
		{ EVT_TRANSITION, TASK_FAILED, "CloudTaskFailed" },
		{ EVT_TRANSITION, TASK_PARTIAL, "CloudTaskPartial" },
		{ EVT_TRANSITION, TASK_ROLLED_BACK, "CloudTaskRolledBack" },
		{ EVT_TRANSITION, TASK_CANCELLED, "CloudTaskCancelled" },
		{ EVT_TRANSITION, TASK_ROLLING_BACK, "CloudTaskRollingBack" },
		{ EVT_TRANSITION, TASK_SUCCEEDED, NULL },
		{ EVT_TRANSITION, TASK_RUNNING, NULL },
		{ EVT_APPEARED, TASK_FAILED, "CloudTaskFailed" },
		{ EVT_APPEARED, TASK_RUNNING, NULL },
		{ EVT_STALLED, TASK_RUNNING, "CloudTaskStalled" },
		{ EVT_OVERDUE, TASK_RUNNING, "CloudTaskOverdue" },
		{ EVT_HOOK_FAILED, TASK_FAILED, "TaskwatchHookFailed" },
		{ EVT_HOOK_SUPPRESSED, TASK_FAILED, "TaskwatchHookSuppressed" },
		{ EVT_HOOK_CIRCUIT_OPEN, TASK_FAILED,
		    "TaskwatchHookCircuitOpen" },
		{ EVT_VANISHED, TASK_RUNNING, "CloudTaskVanished" },
		{ EVT_VANISHED, TASK_SUCCEEDED, NULL }, /* info */
	};
	struct evt *ev;
	char *name;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* A vanished task's last state is its previous one. */
		ev = test_event(cases[i].kind, "t1", "c1", "Restart",
		    cases[i].kind == EVT_VANISHED ? cases[i].to : TASK_RUNNING,
		    cases[i].to, 0);
		name = notify_alertmanager_alertname(ev);
		if (cases[i].want == NULL)
			assert_null(name);
		else
			assert_string_equal(name, cases[i].want);
		free(name);
		evt_free(ev);
	}
	ev = test_watch_event(EVT_WATCH_FAILED, 0);
	name = notify_alertmanager_alertname(ev);
	assert_string_equal(name, "TaskwatchWatchFailed");
	free(name);
	evt_free(ev);
	ev = test_watch_event(EVT_WATCH_RECOVERED, 0);
	assert_null(notify_alertmanager_alertname(ev));
	evt_free(ev);
	/* A rule that makes a transition to RUNNING critical opens one. */
	ev = test_tr("t1", TASK_RUNNING, 0);
	ev->severity = CONFIG_SEVERITY_CRITICAL;
	name = notify_alertmanager_alertname(ev);
	assert_string_equal(name, "CloudTaskRunning");
	free(name);
	evt_free(ev);
}

/*
 * A later task of the same type on the same cluster that succeeds resolves
 * the alert (endsAt = now); other clusters, types or earlier successes do
 * not.
 */
static void
test_resolve_success(void **state)
{
	struct json *root;

	test_bare();
	json_free(test_apply(test_tr("t1", TASK_FAILED, 0), 1));
	/* Another cluster, another type: nothing changes. */
	root = test_apply(test_event(EVT_TRANSITION, "t2", "c2", "Restart",
			      TASK_RUNNING, TASK_SUCCEEDED, 20),
	    21);
	assert_null(root);
	root = test_apply(test_event(EVT_TRANSITION, "t3", "c1", "Backup",
			      TASK_RUNNING, TASK_SUCCEEDED, 20),
	    21);
	assert_null(root);
	/* A success that ended before the failure began: no. */
	root = test_apply(test_tr("t0", TASK_SUCCEEDED, -30), 22);
	assert_null(root);
	/* The same type on the same cluster, later: resolved, now. */
	root = test_apply(test_tr("t4", TASK_SUCCEEDED, 60), 65);
	assert_non_null(root);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(test_label(root, 0, "task_id"), "t1");
	assert_string_equal(
	    test_label(root, 0, "alertname"), "CloudTaskFailed");
	assert_string_equal(
	    json_get_str(json_at(root, 0), "startsAt"), test_time(0));
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(65));
	json_free(root);
	/* Resolved once: a second success changes nothing. */
	assert_null(test_apply(test_tr("t5", TASK_SUCCEEDED, 90), 95));
}

/*
 * DWS: SNAPSHOTTING_FAILED has SNAPSHOTTING as its base type, and the next
 * SNAPSHOTTING that succeeds resolves its alert (and the failed run's).
 */
static void
test_resolve_base_type(void **state)
{
	struct json *root;
	struct evt *ev;

	test_bare();
	json_free(test_apply(test_event(EVT_TRANSITION, "a1", "c1",
				 "SNAPSHOTTING", TASK_RUNNING, TASK_FAILED, 0),
	    1));
	ev = test_event(EVT_APPEARED, "f1", "c1", "SNAPSHOTTING_FAILED",
	    TASK_RUNNING, TASK_FAILED, 2);
	ev->base_type = xstrdup("SNAPSHOTTING");
	root = test_apply(ev, 3);
	assert_non_null(root);
	assert_string_equal(
	    test_label(root, 0, "task_type"), "SNAPSHOTTING_FAILED");
	json_free(root);
	/* Another action's success resolves neither. */
	assert_null(test_apply(test_event(EVT_TRANSITION, "g1", "c1", "GROWING",
				   TASK_RUNNING, TASK_SUCCEEDED, 30),
	    31));
	root = test_apply(test_event(EVT_TRANSITION, "a2", "c1", "SNAPSHOTTING",
			      TASK_RUNNING, TASK_SUCCEEDED, 60),
	    61);
	assert_non_null(root);
	assert_int_equal(json_len(root), 2);
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(61));
	assert_string_equal(
	    json_get_str(json_at(root, 1), "endsAt"), test_time(61));
	json_free(root);
}

/*
 * A resolve-only delivery (no rule routed the event here) never opens an
 * alert, whatever its severity, but resolves as any other.
 */
static void
test_resolve_only(void **state)
{
	struct json *root;
	struct evt *ev;

	test_bare();
	ev = test_tr("t1", TASK_FAILED, 0);
	ev->resolve_only = 1;
	assert_null(notify_alertmanager_alertname(ev));
	assert_null(test_apply(ev, 1));
	json_free(test_apply(test_tr("t2", TASK_FAILED, 10), 11));
	ev = test_tr("t3", TASK_SUCCEEDED, 60);
	ev->resolve_only = 1;
	root = test_apply(ev, 61);
	assert_non_null(root);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(test_label(root, 0, "task_id"), "t2");
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(61));
	json_free(root);
}

/*
 * A task that vanished after it finished, or was replaced by a newer run,
 * opens no alert even when a rule made it critical, and resolves nothing.
 */
static void
test_gone_quiet(void **state)
{
	struct evt *ev;
	char *name;

	test_bare();
	json_free(test_apply(test_tr("t1", TASK_FAILED, 0), 1));
	ev = test_event(
	    EVT_VANISHED, "t1", "c1", "Restart", TASK_FAILED, TASK_FAILED, 10);
	ev->severity = CONFIG_SEVERITY_CRITICAL;
	assert_null(notify_alertmanager_alertname(ev));
	assert_null(test_apply(ev, 11));
	ev = test_event(
	    EVT_REPLACED, "t1", "c1", "Restart", TASK_FAILED, TASK_FAILED, 10);
	ev->severity = CONFIG_SEVERITY_CRITICAL;
	assert_null(notify_alertmanager_alertname(ev));
	assert_null(test_apply(ev, 12));
	/* One that vanished while it ran still does. */
	ev = test_event(EVT_VANISHED, "t2", "c1", "Restart", TASK_RUNNING,
	    TASK_RUNNING, 10);
	name = notify_alertmanager_alertname(ev);
	assert_string_equal(name, "CloudTaskVanished");
	free(name);
	evt_free(ev);
}

/* watch_recovered resolves TaskwatchWatchFailed of its watch. */
static void
test_resolve_watch(void **state)
{
	struct json *root;

	test_bare();
	root = test_apply(test_watch_event(EVT_WATCH_FAILED, 0), 0);
	assert_non_null(root);
	assert_string_equal(
	    test_label(root, 0, "alertname"), "TaskwatchWatchFailed");
	assert_null(test_label(root, 0, "task_id"));
	assert_string_equal(
	    json_get_str(json_get(json_at(root, 0), "annotations"), "reason"),
	    "HTTP 500");
	json_free(root);
	root = test_apply(test_watch_event(EVT_WATCH_RECOVERED, 30), 31);
	assert_non_null(root);
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(31));
	json_free(root);
}

/*
 * watch_flapping opens TaskwatchWatchFlapping beside the watch_failed
 * that preceded it; the one watch_recovered resolves both.
 */
static void
test_resolve_flapping(void **state)
{
	struct json *root;
	size_t i;

	test_bare();
	json_free(test_apply(test_watch_event(EVT_WATCH_FAILED, 0), 0));
	root = test_apply(test_watch_event(EVT_WATCH_FLAPPING, 10), 10);
	assert_non_null(root);
	assert_int_equal(json_len(root), 1); /* what changed */
	assert_string_equal(
	    test_label(root, 0, "alertname"), "TaskwatchWatchFlapping");
	assert_string_equal(test_label(root, 0, "severity"), "warning");
	json_free(root);
	root = test_apply(test_watch_event(EVT_WATCH_RECOVERED, 30), 31);
	assert_non_null(root);
	assert_int_equal(json_len(root), 2);
	for (i = 0; i < 2; i++)
		assert_string_equal(
		    json_get_str(json_at(root, i), "endsAt"), test_time(31));
	json_free(root);
}

/* A task that moves on ends its other alerts (stalled, then failed). */
static void
test_resolve_same_task(void **state)
{
	struct json *root;
	size_t i;
	int seen = 0;

	test_bare();
	json_free(test_apply(test_event(EVT_STALLED, "t1", "c1", "Restart",
				 TASK_RUNNING, TASK_RUNNING, 0),
	    0));
	root = test_apply(test_tr("t1", TASK_FAILED, 40), 41);
	assert_non_null(root);
	assert_int_equal(json_len(root), 2);
	for (i = 0; i < 2; i++) {
		if (strcmp(test_label(root, i, "alertname"),
			"CloudTaskStalled") == 0) {
			assert_string_equal(
			    json_get_str(json_at(root, i), "endsAt"),
			    test_time(41));
			seen |= 1;
		} else {
			assert_string_equal(test_label(root, i, "alertname"),
			    "CloudTaskFailed");
			assert_string_equal(
			    json_get_str(json_at(root, i), "endsAt"),
			    test_time(41 + 3600));
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	json_free(root);
}

/* An overdue task's alert ends when the task ends. */
static void
test_resolve_overdue(void **state)
{
	struct json *root;

	test_bare();
	json_free(test_apply(test_event(EVT_OVERDUE, "t1", "c1", "Restart",
				 TASK_RUNNING, TASK_RUNNING, 0),
	    0));
	root = test_apply(test_tr("t1", TASK_SUCCEEDED, 40), 41);
	assert_non_null(root);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(
	    test_label(root, 0, "alertname"), "CloudTaskOverdue");
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(41));
	json_free(root);
}

/*
 * A hook's failure is an alert of its own, labelled with the notifier,
 * beside the task's; it ends when the task moves on.
 */
static void
test_hook_alert(void **state)
{
	struct json *root;
	struct evt *ev;

	test_bare();
	json_free(test_apply(test_tr("t1", TASK_FAILED, 0), 1));
	ev = test_event(EVT_HOOK_FAILED, "t1", "c1", "Restart", TASK_RUNNING,
	    TASK_FAILED, 2);
	ev->hook_notifier = xstrdup("fix-it");
	root = test_apply(ev, 3);
	assert_non_null(root);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(
	    test_label(root, 0, "alertname"), "TaskwatchHookFailed");
	assert_string_equal(test_label(root, 0, "notifier"), "fix-it");
	json_free(root);
	root = test_apply(test_tr("t1", TASK_SUCCEEDED, 40), 41);
	assert_non_null(root);
	assert_int_equal(json_len(root), 2); /* both end */
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(41));
	assert_string_equal(
	    json_get_str(json_at(root, 1), "endsAt"), test_time(41));
	json_free(root);
}

/* A success seen before the failure it follows resolves it on arrival. */
static void
test_success_first(void **state)
{
	struct json *root;

	test_bare();
	assert_null(test_apply(test_tr("t2", TASK_SUCCEEDED, 60), 61));
	root = test_apply(test_tr("t1", TASK_FAILED, 0), 62);
	assert_non_null(root);
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(60));
	json_free(root);
}

/*
 * Applying the same event again (a retry) posts the same alerts, with an
 * endsAt moved forward to the new post's time plus resolve_after.
 */
static void
test_retry_same(void **state)
{
	struct evt *ev = test_tr("t1", TASK_FAILED, 0);
	char *a, *b, *p;

	test_bare();
	a = notify_alertmanager_apply(&t.nf, ev, TEST_T0 + 5);
	b = notify_alertmanager_apply(&t.nf, ev, TEST_T0 + 50);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(strstr(a, test_time(5 + 3600)));
	assert_non_null(p = strstr(b, test_time(50 + 3600)));
	/* Nothing else differs. */
	memcpy(p, test_time(5 + 3600), strlen(test_time(0)));
	assert_string_equal(a, b);
	free(a);
	free(b);
	evt_free(ev);
}

/* Run the loop until pred() or ms passed; return pred(). */
static int
test_run(int (*pred)(void), uint64_t ms)
{
	uint64_t end = monotime_ms() + ms;

	while (!pred() && monotime_ms() < end)
		event_base_loop(t.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(1000);
	return pred();
}

/* Nothing left to deliver. */
static int
test_idle(void)
{
	return notify_pending(t.notify) == 0;
}

/* At least three requests arrived. */
static int
test_three(void)
{
	return t.nreqs >= 3;
}

static size_t test_want; /* for test_enough */

/* At least test_want requests arrived. */
static int
test_enough(void)
{
	return t.nreqs >= test_want;
}

/* Route ev and free it. */
static void
test_send(struct evt *ev)
{
	notify_event(t.notify, ev);
	evt_free(ev);
}

/* The event is posted to /api/v2/alerts as JSON; info events post nothing. */
static void
test_post(void **state)
{
	struct json *root;
	char *cause;

	t.notify = notify_new(t.base, t.http, &t.conf);
	test_send(test_tr("t1", TASK_RUNNING, 0)); /* info: nothing */
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 0);
	test_send(test_tr("t1", TASK_FAILED, 0));
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 1);
	assert_string_equal(t.reqs[0].path, "/api/v2/alerts");
	assert_string_equal(t.reqs[0].ctype, "application/json");
	root = json_parse(t.reqs[0].body, strlen(t.reqs[0].body), &cause);
	assert_non_null(root);
	assert_string_equal(test_label(root, 0, "task_id"), "t1");
	json_free(root);
}

/* One URL down: delivered through the other, and the failure logged. */
static void
test_one_down(void **state)
{
	char *log;

	t.urls[1] = xasprintf("http://127.0.0.1:%d", t.dead_port);
	t.cn.urls.n = 2;
	test_log_start();
	t.notify = notify_new(t.base, t.http, &t.conf);
	test_send(test_tr("t1", TASK_FAILED, 0));
	assert_true(test_run(test_idle, 3000));
	log = test_log_stop();
	assert_int_equal(t.nreqs, 1);
	assert_non_null(strstr(log, "failed"));
	assert_non_null(strstr(log, "posted again every 1h"));
	free(log);
}

/* Two bodies post the same alerts: labels, annotations, startsAt. */
static void
test_same_alerts(const char *a, const char *b)
{
	static const char *keys[] = { "labels", "annotations", "startsAt" };
	struct json *ra, *rb;
	char *cause = NULL, *da, *db;
	size_t i, k;

	ra = json_parse(a, strlen(a), &cause);
	rb = json_parse(b, strlen(b), &cause);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(json_len(ra), json_len(rb));
	for (i = 0; i < json_len(ra); i++) {
		for (k = 0; k < 3; k++) {
			da = json_dump(json_get(json_at(ra, i), keys[k]), NULL);
			db = json_dump(json_get(json_at(rb, i), keys[k]), NULL);
			assert_string_equal(da, db);
			free(da);
			free(db);
		}
	}
	json_free(ra);
	json_free(rb);
}

/* Every URL failing: retried until one accepts; 400 everywhere is final. */
static void
test_retry_and_final(void **state)
{
	char *log;

	t.status = 503;
	test_log_start();
	t.notify = notify_new(t.base, t.http, &t.conf);
	test_send(test_tr("t1", TASK_FAILED, 0));
	assert_true(test_run(test_three, 3000));
	assert_int_equal(notify_pending(t.notify), 1);
	t.status = 200;
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.reqs[t.nreqs - 1].status, 200);
	/* The same alerts each time (endsAt moves with the clock). */
	test_same_alerts(t.reqs[0].body, t.reqs[t.nreqs - 1].body);

	t.status = 400;
	test_send(test_tr("t2", TASK_FAILED, 0));
	assert_true(test_run(test_idle, 3000));
	log = test_log_stop();
	assert_non_null(strstr(log, "giving up"));
	assert_non_null(strstr(log, "HTTP 400"));
	free(log);
}

/* The endsAt of the first alert of the last request; 0 if none. */
static int64_t
test_last_ends(void)
{
	struct json *root;
	char *cause = NULL;
	int64_t at = 0;

	if (t.nreqs == 0)
		return 0;
	root = json_parse(
	    t.reqs[t.nreqs - 1].body, strlen(t.reqs[t.nreqs - 1].body), &cause);
	if (root != NULL &&
	    util_parse_time(json_get_str(json_at(root, 0), "endsAt"), 0, &at) ==
		-1)
		at = 0;
	json_free(root);
	free(cause);
	return at;
}

static int64_t test_first_ends; /* for test_later_ends */

/* The last request carries a later endsAt than test_first_ends. */
static int
test_later_ends(void)
{
	return test_last_ends() > test_first_ends;
}

/*
 * Active alerts are posted again every repeat, resolved ones too; each
 * repeat moves endsAt forward.
 */
static void
test_repeat(void **state)
{
	struct json *root;
	char *cause;
	size_t before;

	/* Alerts of long ago have ended and are no longer posted: now. */
	int now = (int)(time(NULL) - TEST_T0);

	t.cn.repeat_ms = 100;
	t.notify = notify_new(t.base, t.http, &t.conf);
	test_send(test_tr("t1", TASK_FAILED, now));
	test_send(test_tr("t2", TASK_FAILED, now));
	assert_true(test_run(test_idle, 3000));
	before = t.nreqs;
	assert_int_equal(before, 2);
	/* Two repeats, each one POST of both alerts. */
	test_want = before + 2;
	assert_true(test_run(test_enough, 3000));
	root = json_parse(
	    t.reqs[t.nreqs - 1].body, strlen(t.reqs[t.nreqs - 1].body), &cause);
	assert_non_null(root);
	assert_int_equal(json_len(root), 2);
	json_free(root);
	/* Within a few repeats the clock passes a second: a later end. */
	test_first_ends = test_last_ends();
	assert_true(test_first_ends > time(NULL));
	assert_true(test_run(test_later_ends, 3000));
}

/* A fresh state directory in t.dir. */
static void
test_mkdir(void)
{
	snprintf(t.dir, sizeof(t.dir), "/tmp/test_am.XXXXXX");
	assert_non_null(mkdtemp(t.dir));
}

/* The text of a file in t.dir (caller frees), NULL if there is none. */
static char *
test_file(const char *name)
{
	char *path = xasprintf("%s/%s", t.dir, name), *text = NULL;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "r")) != NULL) {
		text = xcalloc(1, 1 << 20);
		len = fread(text, 1, (1 << 20) - 1, f);
		text[len] = '\0';
		fclose(f);
	}
	free(path);
	return text;
}

/* The alerts file of notifier am, parsed. */
static struct json *
test_alerts_file(void)
{
	struct json *root;
	char *text, *cause = NULL;

	text = test_file("alerts-am.json");
	assert_non_null(text);
	root = json_parse(text, strlen(text), &cause);
	assert_non_null(root);
	free(text);
	return root;
}

/* The alert of a parsed file with label name=value, or NULL. */
static const struct json *
test_file_alert(const struct json *root, const char *name, const char *value)
{
	const struct json *arr = json_get(root, "alerts"), *a;
	const char *v;
	size_t i;

	for (i = 0; i < json_len(arr); i++) {
		a = json_at(arr, i);
		v = json_get_str(json_get(a, "labels"), name);
		if (v != NULL && strcmp(v, value) == 0)
			return a;
	}
	return NULL;
}

/* The bare notifier again, as after a restart, loading t.dir. */
static void
test_restart_bare(void)
{
	notify_alertmanager_ops.free(&t.nf);
	assert_null(t.nf.priv);
	test_bare();
	notify_alertmanager_ops.restore(&t.nf, t.dir);
}

/*
 * The alerts file round-trips: open alerts, resolved ones and successes
 * come back after a restart, byte for byte, and still work: a success
 * resolves a restored alert, a restored success resolves a failure that
 * arrives later but began before it.
 */
static void
test_file_roundtrip(void **state)
{
	struct json *root;
	const struct json *a;
	char *first, *second;

	test_mkdir();
	test_bare();
	notify_alertmanager_ops.restore(&t.nf, t.dir);
	assert_null(test_file("alerts-am.json")); /* nothing changed yet */
	json_free(test_apply(test_tr("t1", TASK_FAILED, -86400), 10));
	json_free(test_apply(test_event(EVT_STALLED, "t3", "c2", "Backup",
				 TASK_RUNNING, TASK_RUNNING, 0),
	    11));
	json_free(test_apply(test_event(EVT_TRANSITION, "t3", "c2", "Backup",
				 TASK_RUNNING, TASK_FAILED, 20),
	    21));
	json_free(test_apply(test_watch_event(EVT_WATCH_FAILED, 22), 22));
	assert_null(test_apply(test_event(EVT_TRANSITION, "t9", "c3", "Resize",
				   TASK_RUNNING, TASK_SUCCEEDED, 30),
	    31));
	assert_int_equal(notify_alertmanager_save(&t.nf), 0);

	root = test_alerts_file();
	assert_int_equal(json_len(json_get(root, "alerts")), 4);
	assert_int_equal(json_len(json_get(root, "successes")), 1);
	a = test_file_alert(root, "alertname", "CloudTaskStalled");
	assert_non_null(a);
	assert_int_equal(json_type(json_get(a, "resolved")), JSON_BOOL);
	assert_string_equal(json_get_str(a, "endsAt"), test_time(21));
	a = test_file_alert(root, "task_id", "t1");
	assert_string_equal(json_get_str(a, "startsAt"), test_time(-86400));
	assert_string_equal(json_get_str(a, "observed_at"), test_time(10));
	assert_null(json_get(a, "endsAt"));
	json_free(root);

	first = test_file("alerts-am.json");
	test_restart_bare();
	assert_int_equal(notify_alertmanager_save(&t.nf), 0);
	second = test_file("alerts-am.json");
	assert_string_equal(first, second);
	free(first);
	free(second);

	/* A later success of t1's kind resolves the restored alert. */
	root = test_apply(test_tr("t4", TASK_SUCCEEDED, 60), 61);
	assert_non_null(root);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(test_label(root, 0, "task_id"), "t1");
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(61));
	json_free(root);
	/* The restored success resolves an older failure arriving now. */
	root = test_apply(test_event(EVT_TRANSITION, "t8", "c3", "Resize",
			      TASK_RUNNING, TASK_FAILED, 25),
	    62);
	assert_non_null(root);
	assert_string_equal(
	    json_get_str(json_at(root, 0), "endsAt"), test_time(30));
	json_free(root);
	/* The restored watch alert is resolved by the recovery. */
	root = test_apply(test_watch_event(EVT_WATCH_RECOVERED, 63), 63);
	assert_non_null(root);
	assert_string_equal(
	    test_label(root, 0, "alertname"), "TaskwatchWatchFailed");
	json_free(root);
	testlib_rmtree(t.dir);
}

/*
 * A corrupt file, or one of an unknown version, is ignored with one log
 * line, and replaced at the next write.
 */
static void
test_file_corrupt(void **state)
{
	static const char *bad[] = { "{\"version\":1,\"alerts\":[{\"lab",
		"{\"version\":2,\"alerts\":[],\"successes\":[]}",
		"{\"version\":1,\"alerts\":[{\"labels\":{}}],\"successes\":[]}",
		"[]" };
	static const char *why[] = { "", "unknown version 2",
		"alert 0 is malformed", "not an object" };
	struct json *root;
	char *path, *log;
	size_t i;
	FILE *f;

	test_mkdir();
	path = xasprintf("%s/alerts-am.json", t.dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		test_bare();
		test_log_start();
		notify_alertmanager_ops.restore(&t.nf, t.dir);
		log = test_log_stop();
		/* One line, naming the file and why. */
		assert_non_null(strstr(log, "alerts-am.json"));
		assert_non_null(strstr(log, why[i]));
		assert_non_null(strstr(log, "ignored"));
		assert_non_null(strchr(log, '\n'));
		assert_string_equal(strchr(log, '\n'), "\n");
		free(log);
		json_free(test_apply(test_tr("t1", TASK_FAILED, 0), 1));
		notify_alertmanager_ops.free(&t.nf); /* writes it */
		root = test_alerts_file();
		assert_int_equal(json_len(json_get(root, "alerts")), 1);
		json_free(root);
	}
	free(path);
	testlib_rmtree(t.dir);
}

/* A notifier name is made safe for a file name. */
static void
test_file_name(void **state)
{
	static char name[] = "../a b";
	char *text;

	test_mkdir();
	t.nf.name = name;
	test_bare();
	notify_alertmanager_ops.restore(&t.nf, t.dir);
	json_free(test_apply(test_tr("t1", TASK_FAILED, 0), 1));
	assert_int_equal(notify_alertmanager_save(&t.nf), 0);
	text = test_file("alerts-..%2Fa%20b.json");
	assert_non_null(text);
	assert_non_null(strstr(text, "\"notifier\":\"../a b\""));
	free(text);
	testlib_rmtree(t.dir);
}

/*
 * A delivery that changed the alerts is reported (and its outbox entry
 * leaves for .done, which a restart does not replay) only once the file
 * holds the change: here the second change waits for the once-a-second
 * write, and the event is not delivered before.
 */
static void
test_file_before_delivered(void **state)
{
	struct outbox *ob;
	struct json *root;
	char *cause = NULL;

	test_mkdir();
	t.conf.daemon.state_dir = t.dir;
	ob = outbox_new(t.base, t.dir, &cause);
	assert_non_null(ob);
	t.notify = notify_new(t.base, t.http, &t.conf);
	notify_set_outbox(t.notify, ob);
	test_send(test_tr("t1", TASK_FAILED, 0));
	assert_true(test_run(test_idle, 3000));
	test_send(test_tr("t2", TASK_FAILED, 0));
	assert_true(test_run(test_idle, 3000));
	/* Delivered: so the file has it. */
	root = test_alerts_file();
	assert_non_null(test_file_alert(root, "task_id", "t1"));
	assert_non_null(test_file_alert(root, "task_id", "t2"));
	json_free(root);
	notify_free(t.notify);
	t.notify = NULL;
	outbox_free(ob);
	testlib_rmtree(t.dir);
}

/* How many alerts of task id request i posted; *acked: one annotated. */
static size_t
test_posts_of(size_t i, const char *id, int *acked)
{
	struct json *root;
	const struct json *a;
	char *cause = NULL;
	size_t k, n = 0;

	root = json_parse(t.reqs[i].body, strlen(t.reqs[i].body), &cause);
	assert_non_null(root);
	for (k = 0; k < json_len(root); k++) {
		a = json_at(root, k);
		if (strcmp(test_label(root, k, "task_id"), id) != 0)
			continue;
		n++;
		if (acked != NULL)
			*acked = json_get_str(json_get(a, "annotations"),
				     "acknowledged") != NULL;
	}
	json_free(root);
	return n;
}

/* Alerts of task id posted by requests from on; *acked as test_posts_of. */
static size_t
test_posts_since(size_t from, const char *id, int *acked)
{
	size_t i, n = 0;

	for (i = from; i < t.nreqs; i++)
		n += test_posts_of(i, id, acked);
	return n;
}

/* The task t1 on c1, as the table holds it, for notify_ack. */
static void
test_t1(struct task *tk)
{
	task_init(tk);
	tk->id = (char *)"t1";
	tk->cluster_id = (char *)"c1";
}

/*
 * An acknowledged task's alert is posted once more, annotated, then left
 * out of the repeat while another task's alert is still re-posted; a new
 * state of the task opens a new alert, re-posted again.
 */
static void
test_ack_repeat(void **state)
{
	struct evt_ack *ack;
	struct task tk;
	size_t before;
	int acked = 0;
	int now = (int)(time(NULL) - TEST_T0);

	t.cn.repeat_ms = 100;
	t.notify = notify_new(t.base, t.http, &t.conf);
	test_send(test_tr("t1", TASK_FAILED, now));
	test_send(test_tr("t2", TASK_FAILED, now));
	assert_true(test_run(test_idle, 3000));
	test_want = t.nreqs + 2;
	assert_true(test_run(test_enough, 3000));
	assert_int_equal(test_posts_of(t.nreqs - 1, "t1", NULL), 1);

	test_t1(&tk);
	ack = evt_ack_new(1000, TEST_T0, "looking", TASK_FAILED);
	assert_int_equal(notify_ack(t.notify, "dds-prod", &tk, ack), 1);
	evt_ack_free(ack);
	before = t.nreqs;
	/* The repeat runs at once: t1 once more, annotated. */
	test_want = before + 1;
	assert_true(test_run(test_enough, 1000));
	assert_int_equal(test_posts_of(before, "t1", &acked), 1);
	assert_true(acked);
	assert_non_null(strstr(t.reqs[before].body,
	    "\"acknowledged\":\"by uid 1000 at 2025-05-19T09:07:42Z: "
	    "looking\""));
	/* Then a few repeats: t2 each time, t1 never. */
	before = t.nreqs;
	test_want = before + 4;
	assert_true(test_run(test_enough, 3000));
	assert_int_equal(test_posts_since(before, "t1", NULL), 0);
	assert_true(test_posts_since(before, "t2", NULL) >= 4);

	/* A new state: a new alert, not acknowledged, re-posted. */
	test_send(test_tr("t1", TASK_PARTIAL, now + 1));
	assert_true(test_run(test_idle, 3000));
	before = t.nreqs;
	test_want = before + 3;
	assert_true(test_run(test_enough, 3000));
	assert_true(test_posts_since(before, "t1", &acked) >= 3);
	assert_false(acked);
}

/*
 * An event opens an acknowledged alert only when the task is still in the
 * state acknowledged (a stall, a task raised again after a silence), not
 * when it changed state and carries the ack it ended.
 */
static void
test_ack_event(void **state)
{
	struct json *root;
	struct evt *ev;

	test_bare();
	ev = test_tr("t5", TASK_FAILED, 0);
	ev->ack = evt_ack_new(1000, TEST_T0, NULL, TASK_RUNNING);
	root = test_apply(ev, 1);
	assert_null(json_get(
	    json_get(json_at(root, 0), "annotations"), "acknowledged"));
	json_free(root);
	ev = test_tr("t6", TASK_FAILED, 0);
	ev->ack = evt_ack_new(1000, TEST_T0, NULL, TASK_FAILED);
	root = test_apply(ev, 1);
	assert_non_null(json_get(
	    json_get(json_at(root, 0), "annotations"), "acknowledged"));
	json_free(root);
	ev = test_event(
	    EVT_STALLED, "t7", "c1", "Restart", TASK_RUNNING, TASK_RUNNING, 0);
	ev->ack = evt_ack_new(1000, TEST_T0, NULL, TASK_RUNNING);
	root = test_apply(ev, 1);
	assert_non_null(json_get(
	    json_get(json_at(root, 0), "annotations"), "acknowledged"));
	json_free(root);
}

/*
 * The alerts file keeps an alert's acknowledgement across a restart
 * (annotation and mark); removing it takes both away.
 */
static void
test_ack_file(void **state)
{
	struct evt_ack *ack;
	struct task tk;
	struct json *root;
	const struct json *a;

	test_mkdir();
	test_bare();
	notify_alertmanager_ops.restore(&t.nf, t.dir);
	json_free(test_apply(test_tr("t1", TASK_FAILED, 0), 1));
	test_t1(&tk);
	ack = evt_ack_new(1000, TEST_T0 + 2, NULL, TASK_FAILED);
	/* Only open alerts of that task: none of another. */
	tk.id = (char *)"t9";
	assert_int_equal(
	    notify_alertmanager_ops.ack(&t.nf, "dds-prod", &tk, ack), 0);
	tk.id = (char *)"t1";
	assert_int_equal(
	    notify_alertmanager_ops.ack(&t.nf, "dds-prod", &tk, ack), 1);
	evt_ack_free(ack);
	test_restart_bare();
	assert_int_equal(notify_alertmanager_save(&t.nf), 0);
	root = test_alerts_file();
	a = test_file_alert(root, "task_id", "t1");
	assert_non_null(a);
	assert_int_equal(json_int(json_get(json_get(a, "ack"), "by_uid"), 0,
			     &(int64_t){ 0 }),
	    0);
	assert_string_equal(
	    json_get_str(json_get(a, "annotations"), "acknowledged"),
	    "by uid 1000 at 2025-05-19T09:07:44Z");
	json_free(root);
	assert_int_equal(
	    notify_alertmanager_ops.ack(&t.nf, "dds-prod", &tk, NULL), 1);
	assert_int_equal(notify_alertmanager_save(&t.nf), 0);
	root = test_alerts_file();
	a = test_file_alert(root, "task_id", "t1");
	assert_null(json_get(a, "ack"));
	assert_null(json_get_str(json_get(a, "annotations"), "acknowledged"));
	json_free(root);
	testlib_rmtree(t.dir);
}

/* Run the alertmanager notifier tests. */
static enum notify_gate_verdict test_verdict; /* what test_gate says */

/* The fake gate answers, from the loop. */
static void
test_gate_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event **evp = arg;
	struct notify_item *token = (struct notify_item *)evp[1];

	event_free(evp[0]);
	free(evp);
	notify_gate_answer(token, test_verdict, "replica-b");
}

/* The fake gate: test_verdict for every attempt, a loop turn later. */
static void *
test_gate_check(void *arg, const char *notifier, enum config_notifier_type type,
    const char *event_id, struct notify_item *token)
{
	struct event **evp = xcalloc(2, sizeof(*evp));
	struct timeval zero = { 0, 0 };

	evp[0] = event_new(t.base, -1, 0, test_gate_answer_cb, evp);
	evp[1] = (struct event *)token;
	event_add(evp[0], &zero);
	return evp;
}

/* The fake gate forgets a question. */
static void
test_gate_cancel(void *arg, void *handle)
{
	struct event **evp = handle;

	event_free(evp[0]);
	free(evp);
}

/* The fake gate ignores what was settled. */
static void
test_gate_settled(void *arg, const char *notifier,
    enum config_notifier_type type, const char *event_id, int delivered)
{
}

/*
 * High availability: a failure another replica posted (the gate says
 * skip) is taken into the set without a post, so that this replica
 * resolves it when the task moves on.
 */
static void
test_absorb(void **state)
{
	static const struct notify_gate_ops ops = {
		.check = test_gate_check,
		.cancel = test_gate_cancel,
		.settled = test_gate_settled,
	};
	struct json *root;
	char *cause = NULL;

	t.notify = notify_new(t.base, t.http, &t.conf);
	notify_set_gate(t.notify, &ops, NULL, 60000);
	notify_gate_opened(t.notify);
	test_verdict = NOTIFY_GATE_SKIP;
	test_send(test_tr("t1", TASK_FAILED, 0));
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 0);
	test_verdict = NOTIFY_GATE_SEND;
	test_send(test_tr("t1", TASK_SUCCEEDED, 40));
	assert_true(test_run(test_idle, 3000));
	assert_int_equal(t.nreqs, 1);
	root = json_parse(t.reqs[0].body, strlen(t.reqs[0].body), &cause);
	assert_non_null(root);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(test_label(root, 0, "task_id"), "t1");
	assert_non_null(json_get_str(json_at(root, 0), "endsAt"));
	json_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_absorb, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_alert, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_old_event, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_alertnames, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_success, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_base_type, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_only, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_gone_quiet, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_watch, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_flapping, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_same_task, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_resolve_overdue, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_hook_alert, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_success_first, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_retry_same, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_post, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_one_down, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_retry_and_final, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_repeat, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_roundtrip, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_corrupt, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_name, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_before_delivered, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ack_repeat, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ack_file, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ack_event, test_setup, test_teardown),
	};

	log_init("test_notify_alertmanager", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
