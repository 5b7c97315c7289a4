/*
 * Maintenance windows: the openings of a configured recurring window in
 * its time zone, and a stable id for each opening.  An opening on a day
 * starts at the local "from" and ends at the local "to" (to <= from: the
 * next day); a local time a spring-forward gap skips maps to the first
 * instant after the gap, an ambiguous one (fall-back) to its first
 * occurrence (tzfile_mktime).  So
 * 02:00-04:00 Europe/Berlin lasts one hour on the last Sunday of March
 * and three on the last Sunday of October; an opening the gap swallows
 * whole (02:00-02:30 that Sunday) does not happen.  Openings of
 * consecutive days that meet (from == to, as 00:00-00:00 on sat and sun)
 * are one opening.  The matchers of a window's silence are
 * config_maintenance_matchers (config.h).  Pure; no I/O.
 */
#ifndef MAINTENANCE_H
#define MAINTENANCE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define MAINTENANCE_ID_LEN 16 /* hex digits, as SILENCE_ID_LEN */

/*
 * 1 if window m is open at unix time t, with *start and *end (end
 * exclusive) of that opening; 0 if it is closed.
 */
int maintenance_open_at(const struct config_maintenance *m, int64_t t,
    int64_t *start, int64_t *end);
/*
 * The first opening of m that starts after t: 0 with *start and *end;
 * -1 if there is none in the next two weeks (a window with no day).
 */
int maintenance_next(const struct config_maintenance *m, int64_t t,
    int64_t *start, int64_t *end);
/*
 * The id of the opening of window name that starts at start: the same
 * MAINTENANCE_ID_LEN hex digits in every process, so a restart in the
 * middle of an opening finds the silence it made.
 */
void maintenance_id(
    const char *name, int64_t start, char id[MAINTENANCE_ID_LEN + 1]);

#endif
