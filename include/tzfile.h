/*
 * IANA time zones, read from TZif files (RFC 8536) and computed here,
 * independently of the process's TZ: nothing calls localtime(), mktime()
 * or setenv("TZ").  A zone is its transitions plus the POSIX TZ rule of
 * the file's footer, which governs every time after the last transition
 * (Debian's slim files have few transitions and rely on it).
 */
#ifndef TZFILE_H
#define TZFILE_H

#include <stddef.h>
#include <stdint.h>

#define TZFILE_DIR "/usr/share/zoneinfo"
#define TZFILE_NAME_MAX 128
#define TZFILE_MAX_BYTES (1024 * 1024) /* a zone file larger is refused */

struct tzfile;

/* A civil (wall-clock) time in a zone. */
struct tzfile_civil {
	int year;
	int month; /* 1..12 */
	int day;   /* 1..31 */
	int hour, min, sec;
	int wday;     /* 0 = Sunday .. 6 = Saturday */
	int offset_s; /* seconds east of UTC in effect */
	int isdst;
};

/*
 * Parse a TZif file of version 1 to 4 held in buf (the 64-bit body and
 * the footer of version 2 and later).  NULL with *cause (caller frees)
 * if buf is not a valid one.
 */
struct tzfile *tzfile_parse(const void *buf, size_t len, char **cause);
/*
 * Load the zone name ("Europe/Berlin"): "UTC" is built in, any other is
 * read from $TZDIR (when absolute) or else TZFILE_DIR.  The name must be
 * relative, without "..", made of [A-Za-z0-9_+-/].  NULL with *cause
 * (caller frees).
 */
struct tzfile *tzfile_load(const char *name, char **cause);
/* As tzfile_load, reading from directory dir. */
struct tzfile *tzfile_load_dir(const char *dir, const char *name, char **cause);
/* Free a zone; NULL is a no-op. */
void tzfile_free(struct tzfile *tz);
/* The zone's name as loaded ("" when parsed from a buffer). */
const char *tzfile_name(const struct tzfile *tz);
/* Seconds east of UTC in effect at unix time t. */
int tzfile_offset(const struct tzfile *tz, int64_t t);
/* The civil time in the zone at unix time t. */
void tzfile_civil(const struct tzfile *tz, int64_t t, struct tzfile_civil *c);
/*
 * The unix time of the civil time year-month-day hour:min in the zone
 * (month 1..12; day, hour and min may run past their range and carry).
 * A time that does not exist (inside a spring-forward gap) gives the
 * first instant after the gap, as cron does; an ambiguous one (a
 * fall-back overlap) gives its first occurrence.
 */
int64_t tzfile_mktime(
    const struct tzfile *tz, int year, int month, int day, int hour, int min);
/* Days since 1970-01-01 of a proleptic Gregorian date (month may carry). */
int64_t tzfile_days_from_civil(int year, int month, int day);
/* The date of days since 1970-01-01; the weekday too (0 = Sunday). */
void tzfile_civil_from_days(
    int64_t days, int *year, int *month, int *day, int *wday);

#endif
