/*
 * Unit tests for the metrics registry: counters add, gauges set, histograms
 * count into cumulative buckets with _sum and _count, label values are
 * escaped, the rendering is the exact Prometheus text format, and the
 * process registry defines every family product.md names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"

/* Render m into a new string. */
static char *
test_render(const struct metrics *m)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(metrics_render(m, &b), 0);
	return buf_release(&b);
}

/* Counters add up per label set; the output is sorted and exact. */
static void
test_counter(void **state)
{
	struct metrics *m = metrics_new();
	char *out;

	metrics_define(m, "x_total", METRICS_COUNTER, "Things.", NULL, 0);
	assert_int_equal(
	    metrics_add(m, "x_total", 1, "watch", "b", "result", "ok", NULL),
	    0);
	metrics_add(m, "x_total", 2, "watch", "b", "result", "ok", NULL);
	metrics_add(m, "x_total", 1, "watch", "a", "result", "http", NULL);
	assert_true(
	    metrics_get(m, "x_total", "watch", "b", "result", "ok", NULL) == 3);
	assert_true(
	    metrics_get(m, "x_total", "watch", "c", "result", "ok", NULL) == 0);
	out = test_render(m);
	assert_string_equal(out,
	    "# HELP x_total Things.\n"
	    "# TYPE x_total counter\n"
	    "x_total{watch=\"a\",result=\"http\"} 1\n"
	    "x_total{watch=\"b\",result=\"ok\"} 3\n");
	free(out);
	metrics_free(m);
}

/* Gauges take the last value; reset drops every series. */
static void
test_gauge_reset(void **state)
{
	struct metrics *m = metrics_new();
	char *out;

	metrics_define(m, "g", METRICS_GAUGE, "A gauge.", NULL, 0);
	metrics_set(m, "g", 5, NULL);
	metrics_set(m, "g", 2.5, NULL);
	out = test_render(m);
	assert_string_equal(out, "# HELP g A gauge.\n# TYPE g gauge\ng 2.5\n");
	free(out);
	metrics_reset(m, "g");
	out = test_render(m);
	assert_string_equal(out, "# HELP g A gauge.\n# TYPE g gauge\n");
	free(out);
	metrics_free(m);
}

/* Histogram buckets are cumulative, with +Inf, _sum and _count. */
static void
test_histogram(void **state)
{
	static const double bounds[] = { 0.1, 1 };
	struct metrics *m = metrics_new();
	char *out;

	metrics_define(
	    m, "d_seconds", METRICS_HISTOGRAM, "Durations.", bounds, 2);
	metrics_observe(m, "d_seconds", 0.05, "watch", "w", NULL);
	metrics_observe(m, "d_seconds", 0.1, "watch", "w", NULL);
	metrics_observe(m, "d_seconds", 0.5, "watch", "w", NULL);
	metrics_observe(m, "d_seconds", 7, "watch", "w", NULL);
	out = test_render(m);
	assert_string_equal(out,
	    "# HELP d_seconds Durations.\n"
	    "# TYPE d_seconds histogram\n"
	    "d_seconds_bucket{watch=\"w\",le=\"0.1\"} 2\n"
	    "d_seconds_bucket{watch=\"w\",le=\"1\"} 3\n"
	    "d_seconds_bucket{watch=\"w\",le=\"+Inf\"} 4\n"
	    "d_seconds_sum{watch=\"w\"} 7.65\n"
	    "d_seconds_count{watch=\"w\"} 4\n");
	free(out);
	assert_true(metrics_get(m, "d_seconds", "watch", "w", NULL) == 4);
	metrics_free(m);
}

/* Label values escape backslash, quote and newline; help text too. */
static void
test_escaping(void **state)
{
	struct metrics *m = metrics_new();
	char *out;

	metrics_define(
	    m, "e", METRICS_GAUGE, "Back\\slash\nnew \"q\".", NULL, 0);
	metrics_set(m, "e", 1, "v", "a\"b\\c\nd", "n", NULL, NULL);
	out = test_render(m);
	assert_string_equal(out,
	    "# HELP e Back\\\\slash\\nnew \"q\".\n"
	    "# TYPE e gauge\n"
	    "e{v=\"a\\\"b\\\\c\\nd\",n=\"\"} 1\n");
	free(out);
	metrics_free(m);
}

/* Unknown families and the wrong operation are refused. */
static void
test_wrong_type(void **state)
{
	struct metrics *m = metrics_new();

	metrics_define(m, "c_total", METRICS_COUNTER, "C.", NULL, 0);
	/* A second definition is ignored. */
	metrics_define(m, "c_total", METRICS_GAUGE, "Other.", NULL, 0);
	assert_int_equal(metrics_set(m, "c_total", 1, NULL), -1);
	assert_int_equal(metrics_observe(m, "c_total", 1, NULL), -1);
	assert_int_equal(metrics_add(m, "nope", 1, NULL), -1);
	assert_int_equal(metrics_add(NULL, "c_total", 1, NULL), -1);
	assert_int_equal(metrics_add(m, "c_total", 1, NULL), 0);
	metrics_free(m);
	metrics_free(NULL);
}

/* Thousands of series: the hash grows and every one is kept. */
static void
test_many_series(void **state)
{
	struct metrics *m = metrics_new();
	char name[32], *out, *p;
	int i, n = 0;

	metrics_define(m, "n_total", METRICS_COUNTER, "N.", NULL, 0);
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "w%04d", i);
		metrics_add(m, "n_total", 1, "watch", name, NULL);
		metrics_add(m, "n_total", 1, "watch", name, NULL);
	}
	out = test_render(m);
	for (p = out; (p = strstr(p, "} 2\n")) != NULL; p++)
		n++;
	assert_int_equal(n, 3000);
	assert_non_null(strstr(out,
	    "n_total{watch=\"w0000\"} 2\n"
	    "n_total{watch=\"w0001\"} 2\n"));
	free(out);
	metrics_free(m);
}

/* Rendering into a capped buffer that is too small reports -1. */
static void
test_render_cap(void **state)
{
	struct metrics *m = metrics_new();
	struct buf b;

	metrics_define(
	    m, "g", METRICS_GAUGE, "A gauge with some help.", NULL, 0);
	metrics_set(m, "g", 1, "k", "v", NULL);
	buf_init(&b, 16);
	assert_int_equal(metrics_render(m, &b), -1);
	buf_free(&b);
	metrics_free(m);
}

/* The process registry has every family of product.md. */
static void
test_global_families(void **state)
{
	static const char *const want[] = {
		"# TYPE taskwatch_polls_total counter\n",
		"# TYPE taskwatch_poll_duration_seconds histogram\n",
		"# TYPE taskwatch_tasks gauge\n",
		"# TYPE taskwatch_events_total counter\n",
		"# TYPE taskwatch_notifications_total counter\n",
		"# TYPE taskwatch_outbox_pending gauge\n",
		"# TYPE taskwatch_watch_up gauge\n",
		"# TYPE taskwatch_last_success_timestamp_seconds gauge\n",
		"# TYPE taskwatch_http_requests_total counter\n",
		"# TYPE taskwatch_http_connections_reused_total counter\n",
		"taskwatch_build_info{version=\"" TASKWATCH_VERSION "\"} 1\n",
	};
	struct metrics *m = metrics_global();
	char *out;
	size_t i;

	assert_ptr_equal(m, metrics_global());
	metrics_observe(m, METRICS_POLL_DURATION, 0.3, "watch", "w", NULL);
	out = test_render(m);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_non_null(strstr(out, want[i]));
	assert_non_null(strstr(out,
	    "taskwatch_poll_duration_seconds_bucket{"
	    "watch=\"w\",le=\"0.5\"} 1\n"));
	free(out);
	metrics_global_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter),
		cmocka_unit_test(test_gauge_reset),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_many_series),
		cmocka_unit_test(test_render_cap),
		cmocka_unit_test(test_global_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
