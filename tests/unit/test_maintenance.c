/*
 * Unit tests for maintenance windows: openings on the spring-forward and
 * fall-back days (02:00-04:00 and 01:00-03:00) in the test zone and in
 * Europe/Berlin, across midnight, the days filter, the next opening a
 * week ahead, back-to-back days merged, the footer-only zone in 2040,
 * UTC, the matchers silence_add takes and the stable opening id.
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

#include "maintenance.h"
#include "silence.h"
#include "tzfile.h"
#include "xmalloc.h"

#define FAT "tests/bin/tz/fat"
#define SLIM "tests/bin/tz/slim"
#define H 3600
#define DAY 86400
#define MON 0x01U
#define FRI 0x10U
#define SAT 0x20U
#define SUN 0x40U
#define ALL 0x7fU

/* Unix time of a UTC civil time. */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return tzfile_days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60;
}

/* A window over days from "from" to "to" (minutes) in zone name of dir. */
static struct config_maintenance *
window(const char *dir, const char *zone, unsigned days, int from, int to)
{
	struct config_maintenance *m = xcalloc(1, sizeof(*m));
	char *cause = NULL;

	m->name = xstrdup("w");
	m->days = days;
	m->from_min = from;
	m->to_min = to;
	m->tz = dir != NULL ? tzfile_load_dir(dir, zone, &cause)
			    : tzfile_load(zone, &cause);
	if (m->tz == NULL) {
		free(cause);
		free(m->name);
		free(m);
		return NULL;
	}
	return m;
}

/* Free a window made by window(). */
static void
window_free(struct config_maintenance *m)
{
	size_t i;

	for (i = 0; i < m->match.match_watch.n; i++)
		free(m->match.match_watch.v[i]);
	free(m->match.match_watch.v);
	for (i = 0; i < m->match.match_cluster.n; i++)
		free(m->match.match_cluster.v[i]);
	free(m->match.match_cluster.v);
	tzfile_free(m->tz);
	free(m->name);
	free(m);
}

/* Assert m is open at t with the opening [start, end). */
static void
open_at(
    const struct config_maintenance *m, int64_t t, int64_t start, int64_t end)
{
	int64_t s = 0, e = 0;

	if (!maintenance_open_at(m, t, &s, &e))
		fail_msg("closed at %lld", (long long)t);
	assert_int_equal(s, start);
	assert_int_equal(e, end);
}

/* Assert m is closed at t. */
static void
closed_at(const struct config_maintenance *m, int64_t t)
{
	int64_t s, e;

	if (maintenance_open_at(m, t, &s, &e))
		fail_msg("open at %lld: %lld..%lld", (long long)t, (long long)s,
		    (long long)e);
}

/* Assert the next opening after t is [start, end). */
static void
next_is(
    const struct config_maintenance *m, int64_t t, int64_t start, int64_t end)
{
	int64_t s = 0, e = 0;

	assert_int_equal(maintenance_next(m, t, &s, &e), 0);
	assert_int_equal(s, start);
	assert_int_equal(e, end);
}

/*
 * 02:00-04:00 on the spring-forward day (2026-03-29) lasts one hour
 * (03:00-04:00 TSST = 01:00-02:00 UTC); on the fall-back day (2026-10-25)
 * three (02:00 TSST, its first occurrence, to 04:00 TST = 00:00-03:00).
 */
static void
test_dst_2_to_4(void **state)
{
	const char *dirs[] = { FAT, SLIM };
	struct config_maintenance *m;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		m = window(dirs[i], "Test/Central", ALL, 2 * 60, 4 * 60);
		assert_non_null(m);
		closed_at(m, utc(2026, 3, 29, 0, 59));
		open_at(m, utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 0),
		    utc(2026, 3, 29, 2, 0));
		open_at(m, utc(2026, 3, 29, 1, 59), utc(2026, 3, 29, 1, 0),
		    utc(2026, 3, 29, 2, 0));
		closed_at(m, utc(2026, 3, 29, 2, 0));
		next_is(m, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0),
		    utc(2026, 3, 29, 2, 0));
		/* the day before: two hours of +1 */
		next_is(m, utc(2026, 3, 27, 12, 0), utc(2026, 3, 28, 1, 0),
		    utc(2026, 3, 28, 3, 0));
		closed_at(m, utc(2026, 10, 24, 23, 59));
		open_at(m, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 0),
		    utc(2026, 10, 25, 3, 0));
		open_at(m, utc(2026, 10, 25, 2, 59), utc(2026, 10, 25, 0, 0),
		    utc(2026, 10, 25, 3, 0));
		closed_at(m, utc(2026, 10, 25, 3, 0));
		next_is(m, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 0),
		    utc(2026, 10, 25, 3, 0));
		window_free(m);
	}
}

/*
 * 01:00-03:00: on the spring-forward day 01:00 TST to 03:00 TSST is one
 * hour (00:00-01:00 UTC); on the fall-back day 01:00 TSST to 03:00 TST is
 * three (23:00 the day before to 02:00 UTC).
 */
static void
test_dst_1_to_3(void **state)
{
	struct config_maintenance *m;

	(void)state;
	m = window(SLIM, "Test/Central", ALL, 60, 3 * 60);
	assert_non_null(m);
	open_at(m, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 0, 0),
	    utc(2026, 3, 29, 1, 0));
	closed_at(m, utc(2026, 3, 29, 1, 0));
	open_at(m, utc(2026, 10, 25, 1, 30), utc(2026, 10, 24, 23, 0),
	    utc(2026, 10, 25, 2, 0));
	closed_at(m, utc(2026, 10, 25, 2, 0));
	window_free(m);
}

/* The same in Europe/Berlin from tzdata, if installed. */
static void
test_berlin(void **state)
{
	struct config_maintenance *m;

	(void)state;
	if ((m = window(NULL, "Europe/Berlin", SUN, 2 * 60, 4 * 60)) == NULL)
		skip();
	next_is(m, utc(2026, 3, 27, 0, 0), utc(2026, 3, 29, 1, 0),
	    utc(2026, 3, 29, 2, 0));
	next_is(m, utc(2026, 10, 20, 0, 0), utc(2026, 10, 25, 0, 0),
	    utc(2026, 10, 25, 3, 0));
	/* a summer Sunday: 02:00-04:00 CEST */
	next_is(m, utc(2026, 7, 1, 0, 0), utc(2026, 7, 5, 0, 0),
	    utc(2026, 7, 5, 2, 0));
	window_free(m);
}

/* The footer-only zone in 2040: the same lengths from the TZ string. */
static void
test_footer_2040(void **state)
{
	struct config_maintenance *m;

	(void)state;
	m = window(SLIM, "Test/Central", SUN, 2 * 60, 4 * 60);
	assert_non_null(m);
	next_is(m, utc(2040, 3, 20, 0, 0), utc(2040, 3, 25, 1, 0),
	    utc(2040, 3, 25, 2, 0));
	next_is(m, utc(2040, 10, 22, 0, 0), utc(2040, 10, 28, 0, 0),
	    utc(2040, 10, 28, 3, 0));
	window_free(m);
}

/* Across midnight: Friday 22:30 to Saturday 01:15 (UTC). */
static void
test_midnight(void **state)
{
	struct config_maintenance *m;

	(void)state;
	m = window(NULL, "UTC", FRI, 22 * 60 + 30, 75);
	assert_non_null(m);
	/* 2026-12-04 is a Friday */
	closed_at(m, utc(2026, 12, 4, 22, 29));
	open_at(m, utc(2026, 12, 4, 22, 30), utc(2026, 12, 4, 22, 30),
	    utc(2026, 12, 5, 1, 15));
	open_at(m, utc(2026, 12, 5, 0, 30), utc(2026, 12, 4, 22, 30),
	    utc(2026, 12, 5, 1, 15));
	closed_at(m, utc(2026, 12, 5, 1, 15));
	/* Thursday 22:30 is not in the window */
	closed_at(m, utc(2026, 12, 3, 23, 0));
	next_is(m, utc(2026, 12, 1, 0, 0), utc(2026, 12, 4, 22, 30),
	    utc(2026, 12, 5, 1, 15));
	window_free(m);
}

/* Days filter, and the next opening a week ahead. */
static void
test_days_and_week(void **state)
{
	struct config_maintenance *m;

	(void)state;
	m = window(NULL, "UTC", SAT | SUN, 9 * 60, 10 * 60);
	assert_non_null(m);
	/* from Monday 2026-11-30: Saturday 2026-12-05 */
	next_is(m, utc(2026, 11, 30, 12, 0), utc(2026, 12, 5, 9, 0),
	    utc(2026, 12, 5, 10, 0));
	closed_at(m, utc(2026, 12, 4, 9, 30));
	open_at(m, utc(2026, 12, 6, 9, 30), utc(2026, 12, 6, 9, 0),
	    utc(2026, 12, 6, 10, 0));
	window_free(m);

	m = window(NULL, "UTC", MON, 2 * 60, 4 * 60);
	/* inside Monday 2026-11-30's opening: the next is a week ahead */
	open_at(m, utc(2026, 11, 30, 3, 0), utc(2026, 11, 30, 2, 0),
	    utc(2026, 11, 30, 4, 0));
	next_is(m, utc(2026, 11, 30, 3, 0), utc(2026, 12, 7, 2, 0),
	    utc(2026, 12, 7, 4, 0));
	next_is(m, utc(2026, 11, 30, 2, 0), utc(2026, 12, 7, 2, 0),
	    utc(2026, 12, 7, 4, 0));
	next_is(m, utc(2026, 11, 30, 1, 59), utc(2026, 11, 30, 2, 0),
	    utc(2026, 11, 30, 4, 0));
	window_free(m);
}

/* Openings that meet are one: Saturday 00:00 to Monday 00:00. */
static void
test_back_to_back(void **state)
{
	struct config_maintenance *m;

	(void)state;
	m = window(SLIM, "Test/Central", SAT | SUN, 0, 0);
	assert_non_null(m);
	/* 2026-12-05 Saturday 00:00 TST = 12-04 23:00 UTC */
	open_at(m, utc(2026, 12, 6, 12, 0), utc(2026, 12, 4, 23, 0),
	    utc(2026, 12, 6, 23, 0));
	open_at(m, utc(2026, 12, 5, 12, 0), utc(2026, 12, 4, 23, 0),
	    utc(2026, 12, 6, 23, 0));
	next_is(m, utc(2026, 12, 1, 0, 0), utc(2026, 12, 4, 23, 0),
	    utc(2026, 12, 6, 23, 0));
	next_is(m, utc(2026, 12, 5, 12, 0), utc(2026, 12, 11, 23, 0),
	    utc(2026, 12, 13, 23, 0));
	window_free(m);
}

/* An opening the spring-forward gap swallows does not happen. */
static void
test_swallowed(void **state)
{
	struct config_maintenance *m;

	(void)state;
	m = window(SLIM, "Test/Central", SUN, 2 * 60, 2 * 60 + 30);
	assert_non_null(m);
	closed_at(m, utc(2026, 3, 29, 1, 0));
	next_is(m, utc(2026, 3, 28, 0, 0), utc(2026, 4, 5, 0, 0),
	    utc(2026, 4, 5, 0, 30));
	window_free(m);
}

/* The matchers of a window, as silence_add takes them. */
static void
test_matchers(void **state)
{
	struct config_maintenance *m;
	struct silence_set *set;
	char **v, *cause = NULL;
	size_t n;

	(void)state;
	m = window(NULL, "UTC", ALL, 0, 60);
	m->match.match_watch.v = xcalloc(1, sizeof(char *));
	m->match.match_watch.v[0] = xstrdup("dds-prod");
	m->match.match_watch.n = 1;
	m->match.match_cluster.v = xcalloc(2, sizeof(char *));
	m->match.match_cluster.v[0] = xstrdup("orders-*");
	m->match.match_cluster.v[1] = xstrdup("billing");
	m->match.match_cluster.n = 2;
	config_maintenance_matchers(m, &v, &n);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "watch=dds-prod");
	assert_string_equal(v[1], "cluster=orders-*");
	assert_string_equal(v[2], "cluster=billing");
	set = silence_set_new();
	assert_int_equal(
	    silence_add(set, "0123456789abcdef", (const char *const *)v, n,
		NULL, 100, 200, 0, 0, &cause),
	    0);
	assert_string_equal(silence_at(set, 0)->matchers,
	    "watch=dds-prod cluster=orders-* cluster=billing");
	silence_set_free(set);
	config_maintenance_matchers_free(v, n);
	window_free(m);
}

/*
 * A window as the config loads it: the zone read under TZDIR (the slim
 * test zones), days, times and match as given; then its openings.
 */
static void
test_from_config(void **state)
{
	static const char yaml[] =
	    "maintenance:\n"
	    "  - name: sunday\n"
	    "    days: sun\n"
	    "    from: \"02:00\"\n"
	    "    to: \"04:00\"\n"
	    "    timezone: Test/Central\n"
	    "    match: { watch: [\"a*\", \"b*\"], event: transition }\n";
	char path[] = "/tmp/test_maintenance.XXXXXX", *dir, *errors = NULL;
	const struct config_maintenance *m;
	struct config *c;
	char **v;
	size_t n;
	int fd;

	(void)state;
	assert_non_null(dir = realpath(SLIM, NULL));
	assert_int_equal(setenv("TZDIR", dir, 1), 0);
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	c = config_load(path, &errors);
	unlink(path);
	unsetenv("TZDIR");
	free(dir);
	if (c == NULL)
		fail_msg("%s", errors);
	assert_int_equal(c->nmaintenance, 1);
	m = &c->maintenance[0];
	assert_int_equal(m->days, SUN);
	open_at(m, utc(2040, 3, 25, 1, 30), utc(2040, 3, 25, 1, 0),
	    utc(2040, 3, 25, 2, 0));
	config_maintenance_matchers(m, &v, &n);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "event=transition");
	assert_string_equal(v[1], "watch=a*");
	assert_string_equal(v[2], "watch=b*");
	config_maintenance_matchers_free(v, n);
	config_free(c);
}

/* The id of an opening: 16 hex digits, the same in every process. */
static void
test_id(void **state)
{
	char a[MAINTENANCE_ID_LEN + 1], b[MAINTENANCE_ID_LEN + 1];
	size_t i;

	(void)state;
	maintenance_id("nightly", 1774746000, a);
	assert_int_equal(strlen(a), MAINTENANCE_ID_LEN);
	for (i = 0; i < MAINTENANCE_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	/* pinned: a restart must find the same id */
	assert_string_equal(a, "37b25d166bdd3bd0");
	maintenance_id("nightly", 1774746000, b);
	assert_string_equal(a, b);
	maintenance_id("nightly", 1774746000 + 7 * DAY, b);
	assert_string_not_equal(a, b);
	maintenance_id("nightly2", 1774746000, b);
	assert_string_not_equal(a, b);
	assert_int_equal(MAINTENANCE_ID_LEN, SILENCE_ID_LEN);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dst_2_to_4),
		cmocka_unit_test(test_dst_1_to_3),
		cmocka_unit_test(test_berlin),
		cmocka_unit_test(test_footer_2040),
		cmocka_unit_test(test_midnight),
		cmocka_unit_test(test_days_and_week),
		cmocka_unit_test(test_back_to_back),
		cmocka_unit_test(test_swallowed),
		cmocka_unit_test(test_matchers),
		cmocka_unit_test(test_from_config),
		cmocka_unit_test(test_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
