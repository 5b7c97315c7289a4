/*
 * Maintenance windows (see maintenance.h): a window's opening on a local
 * date is computed by tzfile_mktime in the window's zone, so daylight
 * saving changes shorten or lengthen it in real time as they do on the
 * wall clock.  An opening that meets the next day's is merged with it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "maintenance.h"
#include "tzfile.h"
#include "xmalloc.h"

/* Days merged into one opening at most (a window closes at least weekly). */
#define MAINTENANCE_CHAIN_MAX 7
/* Days ahead a next opening is looked for. */
#define MAINTENANCE_AHEAD 15

/*
 * The opening of m on local date day (days since 1970-01-01): 1 with
 * *start and *end if the window opens that weekday and the opening is
 * not empty (swallowed by a gap), else 0.
 */
static int
maintenance_day(const struct config_maintenance *m, int64_t day, int64_t *start,
    int64_t *end)
{
	int y, mo, d, wday;

	tzfile_civil_from_days(day, &y, &mo, &d, &wday);
	if (!(m->days & (1U << ((wday + 6) % 7))))
		return 0;
	*start =
	    tzfile_mktime(m->tz, y, mo, d, m->from_min / 60, m->from_min % 60);
	*end = tzfile_mktime(m->tz, y, mo, d + (m->to_min <= m->from_min),
	    m->to_min / 60, m->to_min % 60);
	return *start < *end;
}

/* The local date of t in m's zone, as days since 1970-01-01. */
static int64_t
maintenance_date(const struct config_maintenance *m, int64_t t)
{
	struct tzfile_civil c;

	tzfile_civil(m->tz, t, &c);
	return tzfile_days_from_civil(c.year, c.month, c.day);
}

/* Extend the opening of day to the openings of the next days it meets. */
static void
maintenance_chain_end(
    const struct config_maintenance *m, int64_t day, int64_t *end)
{
	int64_t s, e;
	int k;

	for (k = 0; k < MAINTENANCE_CHAIN_MAX; k++) {
		if (!maintenance_day(m, day + 1 + k, &s, &e) || s != *end)
			break;
		*end = e;
	}
}

/* Whether the opening of day continues one of the day before. */
static int
maintenance_continues(
    const struct config_maintenance *m, int64_t day, int64_t start)
{
	int64_t s, e;

	return maintenance_day(m, day - 1, &s, &e) && e == start;
}

/* Is m open at t (see maintenance.h). */
int
maintenance_open_at(
    const struct config_maintenance *m, int64_t t, int64_t *start, int64_t *end)
{
	int64_t today = maintenance_date(m, t), day, s, e, ps, pe;
	int k;

	/* An opening lasts at most a day and some: it began by yesterday. */
	for (day = today; day >= today - 2; day--) {
		if (!maintenance_day(m, day, &s, &e) || t < s || t >= e)
			continue;
		maintenance_chain_end(m, day, &e);
		for (k = 0; k < MAINTENANCE_CHAIN_MAX &&
		     maintenance_day(m, day - 1 - k, &ps, &pe) && pe == s;
		     k++)
			s = ps;
		*start = s;
		*end = e;
		return 1;
	}
	return 0;
}

/* The next opening of m after t (see maintenance.h). */
int
maintenance_next(
    const struct config_maintenance *m, int64_t t, int64_t *start, int64_t *end)
{
	int64_t today = maintenance_date(m, t), day, s, e;

	for (day = today - 1; day <= today + MAINTENANCE_AHEAD; day++) {
		if (!maintenance_day(m, day, &s, &e) || s <= t ||
		    maintenance_continues(m, day, s))
			continue;
		maintenance_chain_end(m, day, &e);
		*start = s;
		*end = e;
		return 0;
	}
	return -1;
}

/* The stable id of an opening (see maintenance.h). */
void
maintenance_id(const char *name, int64_t start, char id[MAINTENANCE_ID_LEN + 1])
{
	char *key = xasprintf("maintenance\037%s\037%" PRId64, name, start);

	snprintf(id, MAINTENANCE_ID_LEN + 1, "%016" PRIx64, hashmap_hash(key));
	free(key);
}
