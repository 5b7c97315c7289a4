/*
 * Unit tests for time zones: the test zones of tests/fixtures/tz compiled
 * fat and slim by the Makefile (tests/bin/tz), the footer's TZ string in
 * its forms, spring-forward gaps and fall-back overlaps, Europe/Berlin and
 * America/New_York when tzdata is installed, and truncated or garbled
 * files refused with a cause.  Fixed clocks only; nothing reads TZ.
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

#include "testlib.h"
#include "tzfile.h"

#define FAT "tests/bin/tz/fat"
#define SLIM "tests/bin/tz/slim"
#define H 3600

/* Unix time of a UTC civil time. */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return tzfile_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* Load a zone from dir; the test fails if it cannot. */
static struct tzfile *
load(const char *dir, const char *name)
{
	struct tzfile *tz;
	char *cause = NULL;

	tz = tzfile_load_dir(dir, name, &cause);
	if (tz == NULL)
		fail_msg("%s/%s: %s (make unit builds the test zones)", dir,
		    name, cause);
	return tz;
}

/* A system zone, or NULL (the test is skipped) without tzdata. */
static struct tzfile *
load_system(const char *name)
{
	char *cause = NULL;
	struct tzfile *tz = tzfile_load_dir(TZFILE_DIR, name, &cause);

	free(cause);
	return tz;
}

/* The date arithmetic against known unix times and weekdays. */
static void
test_days(void **state)
{
	int y, m, d, w;

	(void)state;
	assert_int_equal(utc(2026, 3, 29, 1, 0), 1774746000);
	assert_int_equal(utc(2040, 10, 28, 1, 0), 2234998800);
	assert_int_equal(tzfile_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(tzfile_days_from_civil(1969, 12, 31), -1);
	/* months carry */
	assert_int_equal(tzfile_days_from_civil(2025, 13, 1),
	    tzfile_days_from_civil(2026, 1, 1));
	assert_int_equal(tzfile_days_from_civil(2026, 0, 1),
	    tzfile_days_from_civil(2025, 12, 1));
	tzfile_civil_from_days(
	    tzfile_days_from_civil(2024, 2, 29), &y, &m, &d, &w);
	assert_int_equal(y, 2024);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	assert_int_equal(w, 4); /* Thursday */
	tzfile_civil_from_days(-1, &y, &m, &d, &w);
	assert_int_equal(y, 1969);
	assert_int_equal(w, 3); /* Wednesday */
}

/* UTC is built in: no file needed, offset 0 everywhere. */
static void
test_utc(void **state)
{
	struct tzfile *tz;
	struct tzfile_civil c;
	char *cause = NULL;

	(void)state;
	tz = tzfile_load_dir("/nonexistent", "UTC", &cause);
	assert_non_null(tz);
	assert_string_equal(tzfile_name(tz), "UTC");
	assert_int_equal(tzfile_offset(tz, 2234998800), 0);
	tzfile_civil(tz, 1774746000, &c);
	assert_int_equal(c.year, 2026);
	assert_int_equal(c.month, 3);
	assert_int_equal(c.day, 29);
	assert_int_equal(c.hour, 1);
	assert_int_equal(c.wday, 0);
	assert_int_equal(tzfile_mktime(tz, 2026, 3, 29, 1, 0), 1774746000);
	tzfile_free(tz);
}

/* Spring forward in the test zone (fat and slim): the gap. */
static void
test_spring_forward(void **state)
{
	const char *dirs[] = { FAT, SLIM };
	struct tzfile *tz;
	struct tzfile_civil c;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		tz = load(dirs[i], "Test/Central");
		/* 2026-03-29 02:00 TST -> 03:00 TSST at 01:00 UTC */
		assert_int_equal(tzfile_offset(tz, utc(2026, 3, 29, 0, 59)), H);
		assert_int_equal(
		    tzfile_offset(tz, utc(2026, 3, 29, 1, 0)), 2 * H);
		assert_int_equal(tzfile_mktime(tz, 2026, 3, 29, 1, 59),
		    utc(2026, 3, 29, 0, 59));
		/* 02:00 and 02:30 do not exist: the instant after the gap */
		assert_int_equal(tzfile_mktime(tz, 2026, 3, 29, 2, 0),
		    utc(2026, 3, 29, 1, 0));
		assert_int_equal(tzfile_mktime(tz, 2026, 3, 29, 2, 30),
		    utc(2026, 3, 29, 1, 0));
		assert_int_equal(tzfile_mktime(tz, 2026, 3, 29, 3, 0),
		    utc(2026, 3, 29, 1, 0));
		assert_int_equal(tzfile_mktime(tz, 2026, 3, 29, 4, 0),
		    utc(2026, 3, 29, 2, 0));
		tzfile_civil(tz, utc(2026, 3, 29, 1, 0), &c);
		assert_int_equal(c.hour, 3);
		assert_int_equal(c.isdst, 1);
		assert_int_equal(c.offset_s, 2 * H);
		tzfile_free(tz);
	}
}

/* Fall back in the test zone: the overlap takes its first occurrence. */
static void
test_fall_back(void **state)
{
	const char *dirs[] = { FAT, SLIM };
	struct tzfile *tz;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		tz = load(dirs[i], "Test/Central");
		/* 2026-10-25 03:00 TSST -> 02:00 TST at 01:00 UTC */
		assert_int_equal(
		    tzfile_offset(tz, utc(2026, 10, 25, 0, 59)), 2 * H);
		assert_int_equal(tzfile_offset(tz, utc(2026, 10, 25, 1, 0)), H);
		assert_int_equal(tzfile_mktime(tz, 2026, 10, 25, 2, 0),
		    utc(2026, 10, 25, 0, 0));
		assert_int_equal(tzfile_mktime(tz, 2026, 10, 25, 2, 30),
		    utc(2026, 10, 25, 0, 30));
		assert_int_equal(tzfile_mktime(tz, 2026, 10, 25, 3, 0),
		    utc(2026, 10, 25, 2, 0));
		assert_int_equal(tzfile_mktime(tz, 2026, 10, 25, 1, 0),
		    utc(2026, 10, 24, 23, 0));
		tzfile_free(tz);
	}
}

/* 2040 in the slim zone: past the last transition, the footer rules. */
static void
test_footer_2040(void **state)
{
	struct tzfile *slim = load(SLIM, "Test/Central");
	struct tzfile *fat = load(FAT, "Test/Central");
	struct tzfile_civil c;
	int64_t t;

	(void)state;
	/* last Sundays: 2040-03-25 and 2040-10-28 */
	assert_int_equal(tzfile_offset(slim, utc(2040, 3, 25, 0, 59)), H);
	assert_int_equal(tzfile_offset(slim, utc(2040, 3, 25, 1, 0)), 2 * H);
	assert_int_equal(tzfile_offset(slim, utc(2040, 10, 28, 0, 59)), 2 * H);
	assert_int_equal(tzfile_offset(slim, utc(2040, 10, 28, 1, 0)), H);
	assert_int_equal(
	    tzfile_mktime(slim, 2040, 3, 25, 2, 30), utc(2040, 3, 25, 1, 0));
	assert_int_equal(
	    tzfile_mktime(slim, 2040, 10, 28, 2, 30), utc(2040, 10, 28, 0, 30));
	tzfile_civil(slim, utc(2040, 7, 1, 12, 0), &c);
	assert_int_equal(c.hour, 14);
	assert_int_equal(c.wday, 0); /* 2040-07-01 is a Sunday */
	/* fat and slim agree every 7 hours from 1995 to 2045 */
	for (t = utc(1995, 1, 1, 0, 0); t < utc(2045, 1, 1, 0, 0);
	     t += 7 * H + 13)
		assert_int_equal(tzfile_offset(slim, t), tzfile_offset(fat, t));
	tzfile_free(slim);
	tzfile_free(fat);
}

/* The southern zone (DST across New Year) and the permanent shift. */
static void
test_south_and_shift(void **state)
{
	const char *dirs[] = { FAT, SLIM };
	struct tzfile *tz;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		tz = load(dirs[i], "Test/South");
		assert_int_equal(
		    tzfile_offset(tz, utc(2041, 1, 15, 12, 0)), -2 * H);
		assert_int_equal(
		    tzfile_offset(tz, utc(2041, 7, 15, 12, 0)), -3 * H);
		/* 2041-10-06 00:00 -03 does not exist: 01:00 -02 */
		assert_int_equal(tzfile_mktime(tz, 2041, 10, 6, 0, 30),
		    utc(2041, 10, 6, 3, 0));
		tzfile_free(tz);
		tz = load(dirs[i], "Test/Shift");
		assert_int_equal(
		    tzfile_offset(tz, utc(2029, 7, 1, 0, 0)), -4 * H);
		assert_int_equal(
		    tzfile_offset(tz, utc(2045, 1, 1, 0, 0)), 5 * H + 1800);
		assert_int_equal(
		    tzfile_offset(tz, utc(2045, 7, 1, 0, 0)), 5 * H + 1800);
		tzfile_free(tz);
	}
}

/* A version 2 TZif with no transitions, one type and footer (new). */
static uint8_t *
tzif_footer(const char *footer, size_t *len)
{
	static const uint8_t hdr[44] = { 'T', 'Z', 'i', 'f',
		'2', [39] = 1, [43] = 4 };
	static const uint8_t body[10] = { 0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0 };
	size_t flen = strlen(footer);
	uint8_t *b = malloc(2 * (44 + 10) + flen + 2);

	memcpy(b, hdr, 44);
	memcpy(b + 44, body, 10);
	memcpy(b + 54, hdr, 44);
	memcpy(b + 98, body, 10);
	b[108] = '\n';
	memcpy(b + 109, footer, flen);
	b[109 + flen] = '\n';
	*len = 110 + flen;
	return b;
}

/* The zone of a footer alone; NULL with the cause freed if refused. */
static struct tzfile *
footer_zone(const char *footer)
{
	struct tzfile *tz;
	char *cause = NULL;
	uint8_t *b;
	size_t len;

	b = tzif_footer(footer, &len);
	tz = tzfile_parse(b, len, &cause);
	free(b);
	if (tz == NULL) {
		assert_non_null(cause);
		free(cause);
	}
	return tz;
}

/* The footer's TZ string in its forms. */
static void
test_footer_forms(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
		int off;
	} ok[] = {
		{ "CET-1CEST,M3.5.0,M10.5.0/3", 2216250000 - 1, H },
		{ "CET-1CEST,M3.5.0,M10.5.0/3", 2216250000, 2 * H },
		{ "<+0330>-3:30", 2216250000, 3 * H + 1800 },
		{ "<-03>3", 0, -3 * H },
		{ "XYZ-3:30:15", 0, 3 * H + 30 * 60 + 15 },
		{ "UTC0", 2234998800, 0 },
		/* DST without rules: the US rules (2040-03-11 07:00 UTC) */
		{ "EST5EDT", 2215062000 - 1, -5 * H },
		{ "EST5EDT", 2215062000, -4 * H },
		/* an explicit DST offset, and a negative rule time */
		{ "<-02>2<-01>1,M3.5.0/-1,M10.5.0/0", 2216250000, -1 * H },
		/* hours past 24 in a rule time (Israel) */
		{ "IST-2IDT,M3.4.4/26,M10.5.0", 2234998800 - 86400 * 30,
		    3 * H },
		/* Jn: day 60 is March 1 even in a leap year (2040) */
		{ "AAA-1BBB,J60/0,J300/0", 2214169200 - 1, H },
		{ "AAA-1BBB,J60/0,J300/0", 2214169200, 2 * H },
		/* n: zero-based, day 59 is February 29 in 2040 */
		{ "AAA-1BBB,59/0,299/0", 2214082800, 2 * H },
		{ "AAA-1BBB,59/0,299/0", 2214082800 - 1, H },
		/* southern: DST across the new year */
		{ "AAA3BBB,M10.1.0/0,M3.3.0/0", 2208988800, -2 * H },
	};
	static const char *bad[] = { "CE-1", "CET", "CET-25",
		"CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0",
		"CET-1CEST,M3.5.0,M10.5.0/3x", "<+03", "<+0>-3",
		"CET-1CEST,J0,J5", "CET-1CEST,M3.6.0,M10.5.0",
		"CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5.0/168,M10.5.0",
		"CET-1:60", "CET-1CEST,366,1" };
	struct tzfile *tz;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		tz = footer_zone(ok[i].s);
		if (tz == NULL)
			fail_msg("footer %s refused", ok[i].s);
		if (tzfile_offset(tz, ok[i].t) != ok[i].off)
			fail_msg("footer %s at %lld: %d, not %d", ok[i].s,
			    (long long)ok[i].t, tzfile_offset(tz, ok[i].t),
			    ok[i].off);
		tzfile_free(tz);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((tz = footer_zone(bad[i])) != NULL)
			fail_msg("footer %s accepted", bad[i]);
	}
	/* An empty footer: the last type governs. */
	tz = footer_zone("");
	assert_non_null(tz);
	assert_int_equal(tzfile_offset(tz, 2234998800), 0);
	tzfile_free(tz);
}

/* Europe/Berlin and America/New_York from tzdata, if installed. */
static void
test_system_zones(void **state)
{
	struct tzfile *tz;

	(void)state;
	if ((tz = load_system("Europe/Berlin")) == NULL)
		skip();
	assert_int_equal(
	    tzfile_mktime(tz, 2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 0));
	assert_int_equal(
	    tzfile_mktime(tz, 2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30));
	assert_int_equal(tzfile_offset(tz, utc(2040, 7, 1, 0, 0)), 2 * H);
	assert_string_equal(tzfile_name(tz), "Europe/Berlin");
	tzfile_free(tz);
	if ((tz = load_system("America/New_York")) == NULL)
		skip();
	/* 2026-03-08 02:30 EST does not exist: 03:00 EDT = 07:00 UTC */
	assert_int_equal(
	    tzfile_mktime(tz, 2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 0));
	/* 2026-11-01 01:30 is EDT first (05:30 UTC), then EST */
	assert_int_equal(
	    tzfile_mktime(tz, 2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30));
	tzfile_free(tz);
}

/* civil -> unix -> civil for every hour of two years, gaps aside. */
static void
test_roundtrip(void **state)
{
	struct tzfile *tz = load(SLIM, "Test/Central");
	struct tzfile_civil c;
	int64_t t, back;

	(void)state;
	for (t = utc(2026, 1, 1, 0, 0); t < utc(2026, 12, 31, 0, 0); t += H) {
		tzfile_civil(tz, t, &c);
		back = tzfile_mktime(tz, c.year, c.month, c.day, c.hour, c.min);
		/* the second occurrence of an overlap maps to the first */
		if (back != t)
			assert_int_equal(back, t - H);
	}
	tzfile_free(tz);
}

/* A version 1 file: the fat file's 32-bit body with version byte 0. */
static void
test_version1(void **state)
{
	struct tzfile *tz;
	char *cause = NULL, *buf;
	size_t len;

	(void)state;
	buf = testlib_read_file(FAT "/Test/Central", &len);
	buf[4] = 0;
	tz = tzfile_parse(buf, len, &cause);
	assert_non_null(tz);
	assert_int_equal(tzfile_offset(tz, utc(2026, 7, 1, 0, 0)), 2 * H);
	assert_int_equal(tzfile_offset(tz, utc(2026, 12, 1, 0, 0)), H);
	tzfile_free(tz);
	free(buf);
}

/* Truncated and garbled files give an error, never a crash. */
static void
test_garbled(void **state)
{
	const char *files[] = { SLIM "/Test/Central", FAT "/Test/Central",
		SLIM "/Test/Shift" };
	struct tzfile *tz;
	char *cause, *buf;
	size_t len, i, f;

	(void)state;
	for (f = 0; f < 3; f++) {
		buf = testlib_read_file(files[f], &len);
		/* every truncation is refused */
		for (i = 0; i < len; i++) {
			cause = NULL;
			tz = tzfile_parse(buf, i, &cause);
			if (tz != NULL)
				fail_msg("%s cut at %zu accepted", files[f], i);
			assert_non_null(cause);
			free(cause);
		}
		/* every byte flipped: accepted or refused, never a crash */
		for (i = 0; i < len; i++) {
			buf[i] ^= 0xa5;
			cause = NULL;
			tz = tzfile_parse(buf, len, &cause);
			if (tz != NULL)
				(void)tzfile_mktime(tz, 2040, 3, 25, 2, 30);
			tzfile_free(tz);
			free(cause);
			buf[i] ^= 0xa5;
		}
		free(buf);
	}
	cause = NULL;
	assert_null(tzfile_parse("TZif3", 5, &cause));
	assert_string_equal(cause, "not a TZif file");
	free(cause);
}

/* Names are checked before any file is opened; a missing one fails. */
static void
test_load_errors(void **state)
{
	static const char *bad[] = { "", "/etc/passwd", "../tz", "Europe/..",
		"a//b", "Europe/", "Europe/Ber lin", "Europe/Berlin;x",
		"Europe/Berlin.bak" };
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		assert_null(tzfile_load_dir(SLIM, bad[i], &cause));
		assert_non_null(strstr(cause, "not a time zone name"));
		free(cause);
	}
	cause = NULL;
	assert_null(tzfile_load_dir(SLIM, "Mars/Olympus", &cause));
	assert_string_equal(cause,
	    SLIM "/Mars/Olympus: No such file or "
		 "directory");
	free(cause);
	cause = NULL;
	assert_null(tzfile_load_dir(SLIM, "Test", &cause)); /* a directory */
	assert_non_null(cause);
	free(cause);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_spring_forward),
		cmocka_unit_test(test_fall_back),
		cmocka_unit_test(test_footer_2040),
		cmocka_unit_test(test_south_and_shift),
		cmocka_unit_test(test_footer_forms),
		cmocka_unit_test(test_system_zones),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_version1),
		cmocka_unit_test(test_garbled),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
