/*
 * Unit tests for the status endpoint: /healthz answers 200 "ok" or 503
 * with the reasons, /api/v1/watches and /api/v1/tasks are the documented
 * JSON (filters by watch and state, 400 and 404 on bad ones), /metrics has
 * the per-watch gauges, and a real HTTP exchange works over loopback with
 * listen, re-listen and close.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
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

#include "config.h"
#include "http.h"
#include "json.h"
#include "metrics.h"
#include "sched.h"
#include "status.h"
#include "taskstate.h"
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
				"  - name: b\n"
				"    account: sim\n"
				"    api: dds.jobs\n"
				"    interval: 30s\n";

/* A daemon-like world: a config, two watches that never poll, a table. */
struct test_world {
	struct event_base *base;
	struct http *http;
	struct sched *sched;
	struct taskstate *ts;
	struct config *conf;
	struct watch_env env;
	struct watch *watches[2];
	struct status_view view;
};

/* Add a task to a listing. */
static void
test_task(
    struct task_list *l, const char *id, enum task_state st, int64_t started)
{
	struct task *t = task_list_add(l);

	t->id = xstrdup(id);
	t->type = xstrdup("RestartInstance");
	t->cluster_id = xstrdup("inst-1");
	t->state = st;
	t->raw_status = xstrdup(task_state_name(st));
	t->started_at = started;
}

/* Apply a baseline listing of watch name. */
static void
test_apply(struct taskstate *ts, const char *name, struct task_list *l)
{
	struct taskstate_watch tw = { .watch = name,
		.api = "dds.jobs",
		.account = "sim",
		.region = "sim-1" };
	struct evt_list out = { NULL, 0, 0 };

	taskstate_apply(ts, &tw, l, 1, 1, 0, 1000, &out, NULL);
	evt_list_clear(&out);
	task_list_clear(l);
}

/* Build the world: watch a has three tasks, watch b one. */
static int
test_setup(void **state)
{
	struct test_world *w = xcalloc(1, sizeof(*w));
	char path[] = "/tmp/tw-status-XXXXXX", *errors = NULL;
	struct task_list l = { NULL, 0, 0 };
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, test_yaml, sizeof(test_yaml) - 1),
	    (ssize_t)sizeof(test_yaml) - 1);
	close(fd);
	w->conf = config_load(path, &errors);
	unlink(path);
	assert_non_null(w->conf);
	w->base = event_base_new();
	w->http = http_new(w->base);
	w->sched = sched_new(w->base, 4);
	w->ts = taskstate_new();
	w->env.base = w->base;
	w->env.http = w->http;
	w->env.sched = w->sched;
	w->env.ts = w->ts;
	w->env.max_response_bytes = 1024 * 1024;
	w->watches[0] = watch_new(&w->conf->watches[0], &w->env, 3600000);
	w->watches[1] = watch_new(&w->conf->watches[1], &w->env, 3600000);
	test_task(&l, "t-run", TASK_RUNNING, 300);
	test_task(&l, "t-fail", TASK_FAILED, 200);
	test_task(&l, "t-ok", TASK_SUCCEEDED, 100);
	test_apply(w->ts, "a", &l);
	test_task(&l, "t-b", TASK_PENDING, 50);
	test_apply(w->ts, "b", &l);
	w->view.conf = w->conf;
	w->view.watches = w->watches;
	w->view.nwatches = 2;
	w->view.ts = w->ts;
	*state = w;
	return 0;
}

/* Free the world. */
static int
test_teardown(void **state)
{
	struct test_world *w = *state;

	watch_free(w->watches[0]);
	watch_free(w->watches[1]);
	taskstate_free(w->ts);
	sched_free(w->sched);
	http_free(w->http);
	event_base_free(w->base);
	config_free(w->conf);
	free(w);
	metrics_global_free();
	return 0;
}

/* Run fn into a fresh buffer; return its code, the body in *out. */
static int
test_body(int code, struct buf *b, char **out)
{
	*out = buf_release(b);
	return code;
}

/* Healthy: 200 "ok"; stopping or a problem: 503 with each reason. */
static void
test_healthz(void **state)
{
	struct test_world *w = *state;
	struct buf b;
	char *out;

	buf_init(&b, 0);
	assert_int_equal(
	    test_body(status_healthz(&w->view, &b), &b, &out), 200);
	assert_string_equal(out, "ok\n");
	free(out);

	w->view.stopping = 1;
	w->view.problem = "state directory degraded";
	assert_int_equal(
	    test_body(status_healthz(&w->view, &b), &b, &out), 503);
	assert_string_equal(out, "stopping\nstate directory degraded\n");
	free(out);
	w->view.stopping = 0;
	w->view.problem = NULL;
}

/* The watches array: config order, identity, state and task count. */
static void
test_watches(void **state)
{
	struct test_world *w = *state;
	const struct json *a;
	struct json *root;
	struct buf b;
	char *out;
	int64_t n;
	int up;

	buf_init(&b, 0);
	assert_int_equal(
	    test_body(status_watches(&w->view, &b), &b, &out), 200);
	root = json_parse(out, strlen(out), NULL);
	assert_non_null(root);
	assert_int_equal(json_len(root), 2);
	a = json_at(root, 0);
	assert_string_equal(json_get_str(a, "name"), "a");
	assert_string_equal(json_get_str(a, "api"), "dds.jobs");
	assert_string_equal(json_get_str(a, "account"), "sim");
	assert_string_equal(json_get_str(a, "interval"), "1h");
	assert_int_equal(json_int(json_get(a, "tasks"), 0, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(json_bool(json_get(a, "up"), &up), 0);
	assert_true(up);
	assert_int_equal(json_bool(json_get(a, "failed"), &up), 0);
	assert_false(up);
	assert_int_equal(json_type(json_get(a, "last_success")), JSON_NULL);
	assert_int_equal(json_type(json_get(a, "last_error")), JSON_NULL);
	assert_string_equal(json_get_str(json_at(root, 1), "interval"), "30s");
	json_free(root);
	free(out);
}

/* Tasks for a query; the parsed array, code in *code. */
static struct json *
test_tasks(struct test_world *w, const char *watch, const char *st, int *code)
{
	struct json *root;
	struct buf b;
	char *out;

	buf_init(&b, 0);
	*code = test_body(status_tasks(&w->view, watch, st, &b), &b, &out);
	root = json_parse(out, strlen(out), NULL);
	assert_non_null(root);
	free(out);
	return root;
}

/* Every task, by watch then newest first; filters; bad filters. */
static void
test_tasks_filters(void **state)
{
	struct test_world *w = *state;
	const struct json *t;
	struct json *root;
	int code;

	root = test_tasks(w, NULL, NULL, &code);
	assert_int_equal(code, 200);
	assert_int_equal(json_len(root), 4);
	t = json_at(root, 0);
	assert_string_equal(json_get_str(t, "watch"), "a");
	assert_string_equal(json_get_str(t, "api"), "dds.jobs");
	assert_string_equal(json_get_str(t, "region"), "sim-1");
	assert_string_equal(json_get_str(json_get(t, "task"), "id"), "t-run");
	assert_string_equal(
	    json_get_str(json_get(json_at(root, 1), "task"), "id"), "t-fail");
	assert_string_equal(json_get_str(json_at(root, 3), "watch"), "b");
	json_free(root);

	root = test_tasks(w, "", "failed", &code);
	assert_int_equal(code, 200);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(
	    json_get_str(json_get(json_at(root, 0), "task"), "state"),
	    "FAILED");
	json_free(root);

	root = test_tasks(w, "b", NULL, &code);
	assert_int_equal(json_len(root), 1);
	assert_string_equal(
	    json_get_str(json_get(json_at(root, 0), "task"), "id"), "t-b");
	json_free(root);

	root = test_tasks(w, "a", "PENDING", &code);
	assert_int_equal(code, 200);
	assert_int_equal(json_len(root), 0);
	json_free(root);

	root = test_tasks(w, "nope", NULL, &code);
	assert_int_equal(code, 404);
	assert_non_null(strstr(json_get_str(root, "error"), "nope"));
	json_free(root);

	root = test_tasks(w, NULL, "DONE", &code);
	assert_int_equal(code, 400);
	assert_non_null(strstr(json_get_str(root, "error"), "DONE"));
	json_free(root);
}

/* /metrics: per-watch task gauges, up, last success and build info. */
static void
test_metrics_body(void **state)
{
	struct test_world *w = *state;
	struct buf b;
	char *out;

	buf_init(&b, 0);
	assert_int_equal(
	    test_body(status_metrics(&w->view, &b), &b, &out), 200);
	assert_non_null(
	    strstr(out, "taskwatch_tasks{watch=\"a\",state=\"FAILED\"} 1\n"));
	assert_non_null(
	    strstr(out, "taskwatch_tasks{watch=\"a\",state=\"PARTIAL\"} 0\n"));
	assert_non_null(
	    strstr(out, "taskwatch_tasks{watch=\"b\",state=\"PENDING\"} 1\n"));
	assert_non_null(strstr(out, "taskwatch_watch_up{watch=\"b\"} 1\n"));
	assert_non_null(strstr(out,
	    "taskwatch_last_success_timestamp_seconds{"
	    "watch=\"a\"} 0\n"));
	assert_non_null(strstr(out, "# TYPE taskwatch_build_info gauge\n"));
	free(out);

	/* A removed watch's gauges go with it. */
	w->view.nwatches = 1;
	buf_init(&b, 0);
	test_body(status_metrics(&w->view, &b), &b, &out);
	assert_null(strstr(out, "watch=\"b\""));
	free(out);
	w->view.nwatches = 2;
}

/* status_view_cb for the HTTP test: a view without watches. */
static void
test_view_cb(struct status_view *v, void *arg)
{
	v->stopping = *(int *)arg;
}

/* GET path over loopback, pumping the loop; the whole response. */
static char *
test_get(struct event_base *base, int port, const char *path)
{
	struct sockaddr_in sin;
	char req[256], buf[8192];
	size_t len = 0;
	ssize_t n;
	int fd, i;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 2000; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else if (errno != EAGAIN)
			break;
		usleep(1000);
	}
	close(fd);
	buf[len] = '\0';
	return xstrdup(buf);
}

/* A real exchange: listen on a free port, answer, re-listen, close. */
static void
test_http(void **state)
{
	struct event_base *base = event_base_new();
	struct status *s;
	char *cause = NULL, *resp;
	int stopping = 0, port;

	s = status_new(base, test_view_cb, &stopping);
	assert_int_equal(status_port(s), 0);
	assert_int_equal(status_listen(s, "127.0.0.1:0", &cause), 0);
	port = status_port(s);
	assert_true(port > 0);

	resp = test_get(base, port, "/healthz");
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(resp, "\r\n\r\nok\n"));
	free(resp);
	stopping = 1;
	resp = test_get(base, port, "/healthz");
	assert_non_null(strstr(resp, "HTTP/1.1 503 "));
	assert_non_null(strstr(resp, "\r\n\r\nstopping\n"));
	free(resp);
	resp = test_get(base, port, "/api/v1/tasks?state=bogus");
	assert_non_null(strstr(resp, "HTTP/1.1 400 "));
	assert_non_null(strstr(resp, "Content-Type: application/json"));
	free(resp);
	resp = test_get(base, port, "/metrics");
	assert_non_null(strstr(resp, "version=0.0.4"));
	assert_non_null(strstr(resp, "taskwatch_build_info{version="));
	free(resp);
	resp = test_get(base, port, "/nope");
	assert_non_null(strstr(resp, "HTTP/1.1 404 "));
	free(resp);

	/* The same address again changes nothing. */
	assert_int_equal(status_listen(s, "127.0.0.1:0", &cause), 0);
	assert_int_equal(status_port(s), port);
	/* A bad address is refused; the listener stays. */
	assert_int_equal(status_listen(s, "nonsense", &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(status_port(s), port);
	/* "" closes it. */
	assert_int_equal(status_listen(s, "", &cause), 0);
	assert_int_equal(status_port(s), 0);
	status_free(s);
	status_free(NULL);
	event_base_free(base);
	metrics_global_free();
}

/* http_submit callback: count the finished transfers. */
static void
test_xfer_cb(const struct http_response *resp, void *arg)
{
	assert_int_equal(resp->error, HTTP_RESPONSE);
	assert_int_equal(resp->status, 200);
	(*(int *)arg)++;
}

/* GET path with the daemon's HTTP client, pumping the loop until done. */
static void
test_client_get(struct event_base *base, struct http *h, int port)
{
	struct http_request req;
	char url[64];
	int done = 0, i;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.allow_http = 1;
	http_submit(h, &req, test_xfer_cb, &done);
	for (i = 0; i < 5000 && done == 0; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (done == 0)
			usleep(1000);
	}
	assert_int_equal(done, 1);
}

/* /metrics: the client's request and reused-connection totals. */
static void
test_http_counters(void **state)
{
	struct event_base *base = event_base_new();
	struct http *h = http_new(base);
	struct status_view v;
	struct status *s;
	struct buf b;
	char *cause = NULL, *out;
	int stopping = 0;

	s = status_new(base, test_view_cb, &stopping);
	assert_int_equal(status_listen(s, "127.0.0.1:0", &cause), 0);
	test_client_get(base, h, status_port(s));
	test_client_get(base, h, status_port(s));
	test_client_get(base, h, status_port(s));
	memset(&v, 0, sizeof(v));
	v.http = h;
	buf_init(&b, 0);
	assert_int_equal(status_metrics(&v, &b), 200);
	out = buf_release(&b);
	assert_non_null(strstr(out, "\ntaskwatch_http_requests_total 3\n"));
	assert_non_null(
	    strstr(out, "\ntaskwatch_http_connections_reused_total 2\n"));
	free(out);
	/* Totals, not increments: a second scrape shows the same. */
	buf_init(&b, 0);
	status_metrics(&v, &b);
	out = buf_release(&b);
	assert_non_null(strstr(out, "\ntaskwatch_http_requests_total 3\n"));
	free(out);
	http_free(h);
	status_free(s);
	event_base_free(base);
	metrics_global_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_healthz, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_watches, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tasks_filters, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_metrics_body, test_setup, test_teardown),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
