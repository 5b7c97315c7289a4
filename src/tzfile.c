/*
 * IANA time zones from TZif files (RFC 8536), computed without the C
 * library's TZ state: the transitions of the file, then the POSIX TZ rule
 * of its footer for every time after the last one.  The parser is pure
 * and bounded by its input; only tzfile_load_dir reads a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tzfile.h"
#include "xmalloc.h"

#define TZFILE_DAY 86400
/* Times are clamped to +-2^40 s (some 34,000 years) before any arithmetic. */
#define TZFILE_T_MAX ((int64_t)1 << 40)
/* RFC 8536 3.2: the range of a local time type's UT offset. */
#define TZFILE_UTOFF_MIN (-89999)
#define TZFILE_UTOFF_MAX 93599

/* A local time type: its offset and whether it is daylight saving time. */
struct tzfile_type {
	int32_t utoff; /* seconds east of UTC */
	int isdst;
};

/* One date rule of a POSIX TZ string: Jn, n or Mm.w.d, and a time. */
struct tzfile_rule {
	char kind;            /* 'J', 'D' (zero-based n), 'M' */
	int day, week, month; /* J/D: day; M: d, w, m */
	int32_t time_s;       /* local time of day of the change; may be <0 */
};

/* A POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
struct tzfile_posix {
	int32_t std_off, dst_off; /* seconds east of UTC */
	int has_dst;
	struct tzfile_rule start, end; /* to DST, back to standard time */
};

struct tzfile {
	char *name;
	int64_t *at;  /* transition times, strictly ascending */
	uint8_t *idx; /* the type from each transition on */
	size_t n;
	struct tzfile_type *types;
	size_t ntypes;
	int has_posix; /* a non-empty footer */
	struct tzfile_posix posix;
};

/* A reader over the bytes of a file. */
struct tzfile_rd {
	const uint8_t *p;
	size_t len, off;
};

/* The counts of a TZif header. */
struct tzfile_hdr {
	int version; /* 0, '2', '3', '4' ... */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* Floor division of a by a positive b. */
static int64_t
tzfile_floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* t clamped to the range times are computed in. */
static int64_t
tzfile_clamp(int64_t t)
{
	return t < -TZFILE_T_MAX ? -TZFILE_T_MAX
	    : t > TZFILE_T_MAX   ? TZFILE_T_MAX
				 : t;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t
tzfile_days_from_civil(int year, int month, int day)
{
	int64_t y = year, m = month, era, yoe, doy, doe;

	y += tzfile_floordiv(m - 1, 12);
	m -= 12 * tzfile_floordiv(m - 1, 12);
	y -= m <= 2;
	era = tzfile_floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date and weekday of days since 1970-01-01 (H. Hinnant). */
void
tzfile_civil_from_days(int64_t days, int *year, int *month, int *day, int *wday)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp, m;

	era = tzfile_floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(yoe + era * 400 + (m <= 2));
	*month = (int)m;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*wday = (int)(days - 7 * tzfile_floordiv(days + 4, 7) + 4);
}

/* 1 if year is a leap year. */
static int
tzfile_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* --- The POSIX TZ string of the footer --------------------------------- */

/* Skip a zone abbreviation ("CET", "<+0330>"); -1 if there is none. */
static int
tzfile_posix_name(const char **sp)
{
	const char *s = *sp, *start;

	if (*s == '<') {
		for (start = ++s; *s != '>'; s++) {
			if (*s == '\0' ||
			    !((*s >= 'A' && *s <= 'Z') ||
				(*s >= 'a' && *s <= 'z') ||
				(*s >= '0' && *s <= '9') || *s == '+' ||
				*s == '-'))
				return -1;
		}
		if (s - start < 3)
			return -1;
		*sp = s + 1;
		return 0;
	}
	for (start = s; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z');
	     s++)
		;
	if (s - start < 3)
		return -1;
	*sp = s;
	return 0;
}

/* Read up to max decimal digits as a number in [0, lim]; -1 if none. */
static int
tzfile_posix_num(const char **sp, int max, int lim, int *out)
{
	const char *s = *sp;
	int v = 0, n = 0;

	while (*s >= '0' && *s <= '9' && n < max) {
		v = v * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || v > lim)
		return -1;
	*sp = s;
	*out = v;
	return 0;
}

/* Read [+-]hh[:mm[:ss]] with hours up to max_h into seconds; -1 if bad. */
static int
tzfile_posix_hms(const char **sp, int max_h, int32_t *out)
{
	const char *s = *sp;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (tzfile_posix_num(&s, 3, max_h, &h) == -1)
		return -1;
	if (*s == ':' && (s++, tzfile_posix_num(&s, 2, 59, &m) == -1))
		return -1;
	if (*s == ':' && (s++, tzfile_posix_num(&s, 2, 59, &sec) == -1))
		return -1;
	*sp = s;
	*out = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

/* Read a date rule "Jn", "n" or "Mm.w.d" with its optional "/time". */
static int
tzfile_posix_rule(const char **sp, struct tzfile_rule *r)
{
	const char *s = *sp;

	memset(r, 0, sizeof(*r));
	r->time_s = 2 * 3600;
	if (*s == 'J') {
		s++;
		r->kind = 'J';
		if (tzfile_posix_num(&s, 3, 365, &r->day) == -1 || r->day < 1)
			return -1;
	} else if (*s == 'M') {
		s++;
		r->kind = 'M';
		if (tzfile_posix_num(&s, 2, 12, &r->month) == -1 ||
		    r->month < 1 || *s++ != '.' ||
		    tzfile_posix_num(&s, 1, 5, &r->week) == -1 || r->week < 1 ||
		    *s++ != '.' || tzfile_posix_num(&s, 1, 6, &r->day) == -1)
			return -1;
	} else {
		r->kind = 'D';
		if (tzfile_posix_num(&s, 3, 365, &r->day) == -1)
			return -1;
	}
	/* RFC 8536 3.3.1: hours -167..167 in a rule's time. */
	if (*s == '/' && (s++, tzfile_posix_hms(&s, 167, &r->time_s) == -1))
		return -1;
	*sp = s;
	return 0;
}

/*
 * Parse a POSIX TZ string.  DST without rules takes the US rules, as the
 * reference implementation (tzcode) does.
 */
static int
tzfile_posix_parse(const char *s, struct tzfile_posix *z)
{
	int32_t v;

	memset(z, 0, sizeof(*z));
	if (tzfile_posix_name(&s) == -1 || tzfile_posix_hms(&s, 24, &v) == -1)
		return -1;
	z->std_off = -v;
	if (*s == '\0')
		return 0;
	if (tzfile_posix_name(&s) == -1)
		return -1;
	z->has_dst = 1;
	z->dst_off = z->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (tzfile_posix_hms(&s, 24, &v) == -1)
			return -1;
		z->dst_off = -v;
	}
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if (*s++ != ',' || tzfile_posix_rule(&s, &z->start) == -1 ||
	    *s++ != ',' || tzfile_posix_rule(&s, &z->end) == -1 || *s != '\0')
		return -1;
	return 0;
}

/* The day (since 1970-01-01) a rule falls on in year. */
static int64_t
tzfile_rule_day(const struct tzfile_rule *r, int year)
{
	int64_t first = tzfile_days_from_civil(year, 1, 1), d, next;
	int y, m, dd, wday;

	switch (r->kind) {
	case 'J': /* 1..365, February 29 never counted */
		return first + r->day - 1 +
		    (tzfile_leap(year) && r->day >= 60 ? 1 : 0);
	case 'D':
		return first + r->day;
	default:
		d = tzfile_days_from_civil(year, r->month, 1);
		next = tzfile_days_from_civil(year, r->month + 1, 1);
		tzfile_civil_from_days(d, &y, &m, &dd, &wday);
		d += (r->day - wday + 7) % 7 + 7 * (r->week - 1);
		while (d >= next)
			d -= 7;
		return d;
	}
}

/* The offset and DST flag the POSIX rule gives at t. */
static void
tzfile_posix_at(
    const struct tzfile_posix *z, int64_t t, int32_t *off, int *isdst)
{
	int64_t best = INT64_MIN, s, e;
	int y, yy, m, d, w;

	*off = z->std_off;
	*isdst = 0;
	if (!z->has_dst)
		return;
	tzfile_civil_from_days(
	    tzfile_floordiv(t + z->std_off, TZFILE_DAY), &y, &m, &d, &w);
	/* The last change at or before t, over the years around t. */
	for (yy = y - 1; yy <= y + 1; yy++) {
		s = tzfile_rule_day(&z->start, yy) * TZFILE_DAY +
		    z->start.time_s - z->std_off;
		e = tzfile_rule_day(&z->end, yy) * TZFILE_DAY + z->end.time_s -
		    z->dst_off;
		if (e <= t && e > best) {
			best = e;
			*off = z->std_off;
			*isdst = 0;
		}
		if (s <= t && s >= best) {
			best = s;
			*off = z->dst_off;
			*isdst = 1;
		}
	}
}

/* --- TZif --------------------------------------------------------------- */

/* A big-endian 32-bit number at p. */
static uint32_t
tzfile_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A big-endian signed 64-bit number at p. */
static int64_t
tzfile_be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)tzfile_be32(p) << 32 | tzfile_be32(p + 4));
}

/* Read a header; -1 with *cause. */
static int
tzfile_header(struct tzfile_rd *r, struct tzfile_hdr *h, char **cause)
{
	const uint8_t *p = r->p + r->off;

	if (r->len - r->off < 44 || memcmp(p, "TZif", 4) != 0) {
		*cause = xstrdup("not a TZif file");
		return -1;
	}
	h->version = p[4];
	h->isutcnt = tzfile_be32(p + 20);
	h->isstdcnt = tzfile_be32(p + 24);
	h->leapcnt = tzfile_be32(p + 28);
	h->timecnt = tzfile_be32(p + 32);
	h->typecnt = tzfile_be32(p + 36);
	h->charcnt = tzfile_be32(p + 40);
	r->off += 44;
	if (h->version != 0 && h->version < '2') {
		*cause = xasprintf("unknown TZif version %d", h->version);
		return -1;
	}
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
		*cause = xstrdup("bad counts in the TZif header");
		return -1;
	}
	return 0;
}

/* The size of the data block a header announces, for times of tsize. */
static uint64_t
tzfile_block_size(const struct tzfile_hdr *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 +
	    h->charcnt + (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	    h->isutcnt;
}

/* Read the transitions and types of a data block of times of tsize. */
static int
tzfile_block(struct tzfile_rd *r, const struct tzfile_hdr *h, unsigned tsize,
    struct tzfile *tz, char **cause)
{
	const uint8_t *p = r->p + r->off;
	size_t i;

	if (tzfile_block_size(h, tsize) > r->len - r->off) {
		*cause = xstrdup("TZif file is truncated");
		return -1;
	}
	tz->n = h->timecnt;
	tz->at = xcalloc(tz->n + 1, sizeof(*tz->at));
	tz->idx = xcalloc(tz->n + 1, sizeof(*tz->idx));
	for (i = 0; i < tz->n; i++, p += tsize) {
		tz->at[i] =
		    tsize == 8 ? tzfile_be64(p) : (int32_t)tzfile_be32(p);
		if (i > 0 && tz->at[i] <= tz->at[i - 1]) {
			*cause = xstrdup("TZif transitions are not in order");
			return -1;
		}
	}
	for (i = 0; i < tz->n; i++, p++) {
		if ((tz->idx[i] = *p) >= h->typecnt) {
			*cause = xstrdup("TZif transition of an unknown type");
			return -1;
		}
	}
	tz->ntypes = h->typecnt;
	tz->types = xcalloc(tz->ntypes, sizeof(*tz->types));
	for (i = 0; i < tz->ntypes; i++, p += 6) {
		tz->types[i].utoff = (int32_t)tzfile_be32(p);
		tz->types[i].isdst = p[4];
		if (tz->types[i].utoff < TZFILE_UTOFF_MIN ||
		    tz->types[i].utoff > TZFILE_UTOFF_MAX || p[4] > 1 ||
		    p[5] >= h->charcnt) {
			*cause = xstrdup("bad TZif local time type");
			return -1;
		}
	}
	r->off += tzfile_block_size(h, tsize);
	return 0;
}

/* Read the footer "\nTZ string\n" of a version 2+ file. */
static int
tzfile_footer(struct tzfile_rd *r, struct tzfile *tz, char **cause)
{
	const uint8_t *p = r->p + r->off, *nl;
	size_t left = r->len - r->off;
	char *s;
	int rc;

	if (left < 2 || p[0] != '\n' ||
	    (nl = memchr(p + 1, '\n', left - 1)) == NULL) {
		*cause = xstrdup("TZif footer is missing");
		return -1;
	}
	if (nl == p + 1)
		return 0;
	s = xstrndup((const char *)p + 1, (size_t)(nl - p - 1));
	rc = strlen(s) == (size_t)(nl - p - 1) &&
		tzfile_posix_parse(s, &tz->posix) == 0
	    ? 0
	    : -1;
	if (rc == -1)
		*cause = xasprintf("bad TZ string in the TZif footer");
	free(s);
	tz->has_posix = rc == 0;
	return rc;
}

/* Parse a TZif file (see tzfile.h). */
struct tzfile *
tzfile_parse(const void *buf, size_t len, char **cause)
{
	struct tzfile_rd r = { buf, len, 0 };
	struct tzfile_hdr h;
	struct tzfile *tz;

	*cause = NULL;
	if (tzfile_header(&r, &h, cause) == -1)
		return NULL;
	tz = xcalloc(1, sizeof(*tz));
	tz->name = xstrdup("");
	if (h.version != 0) {
		/* Skip the 32-bit body: the 64-bit one follows. */
		if (tzfile_block_size(&h, 4) > r.len - r.off) {
			*cause = xstrdup("TZif file is truncated");
			goto fail;
		}
		r.off += tzfile_block_size(&h, 4);
		if (tzfile_header(&r, &h, cause) == -1 ||
		    tzfile_block(&r, &h, 8, tz, cause) == -1 ||
		    tzfile_footer(&r, tz, cause) == -1)
			goto fail;
	} else if (tzfile_block(&r, &h, 4, tz, cause) == -1)
		goto fail;
	return tz;
fail:
	tzfile_free(tz);
	return NULL;
}

/* 1 if name is a zone name we may look up under a directory. */
static int
tzfile_name_ok(const char *name)
{
	const char *s;

	if (*name == '\0' || *name == '/' || strlen(name) > TZFILE_NAME_MAX ||
	    strstr(name, "..") != NULL || strstr(name, "//") != NULL ||
	    name[strlen(name) - 1] == '/')
		return 0;
	for (s = name; *s != '\0'; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			(*s >= '0' && *s <= '9') || strchr("_+-/", *s) != NULL))
			return 0;
	}
	return 1;
}

/* The built-in UTC zone. */
static struct tzfile *
tzfile_utc(void)
{
	struct tzfile *tz = xcalloc(1, sizeof(*tz));

	tz->name = xstrdup("UTC");
	tz->ntypes = 1;
	tz->types = xcalloc(1, sizeof(*tz->types));
	return tz;
}

/* Read a whole regular file of at most TZFILE_MAX_BYTES; -1 with errno. */
static int
tzfile_read(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, saved;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		saved = errno;
	else if (!S_ISREG(st.st_mode))
		saved = EINVAL;
	else if (st.st_size > TZFILE_MAX_BYTES)
		saved = EFBIG;
	else
		saved = 0;
	if (saved != 0) {
		close(fd);
		errno = saved;
		return -1;
	}
	*buf = xmalloc((size_t)st.st_size + 1);
	while (*len < (size_t)st.st_size) {
		n = read(fd, *buf + *len, (size_t)st.st_size - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	saved = errno;
	close(fd);
	if (*len < (size_t)st.st_size) {
		free(*buf);
		*buf = NULL;
		errno = saved != 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

/* Load a zone from dir (see tzfile.h). */
struct tzfile *
tzfile_load_dir(const char *dir, const char *name, char **cause)
{
	struct tzfile *tz;
	uint8_t *buf;
	size_t len;
	char *path, *why;

	*cause = NULL;
	if (!tzfile_name_ok(name)) {
		*cause = xstrdup("not a time zone name (use Area/City, "
				 "letters, digits, \"_\", \"+\", \"-\")");
		return NULL;
	}
	if (strcmp(name, "UTC") == 0)
		return tzfile_utc();
	path = xasprintf("%s/%s", dir, name);
	if (tzfile_read(path, &buf, &len) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	if ((tz = tzfile_parse(buf, len, &why)) == NULL) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
	} else {
		free(tz->name);
		tz->name = xstrdup(name);
	}
	free(buf);
	free(path);
	return tz;
}

/* Load a zone from $TZDIR or TZFILE_DIR (see tzfile.h). */
struct tzfile *
tzfile_load(const char *name, char **cause)
{
	const char *dir = getenv("TZDIR");

	return tzfile_load_dir(
	    dir != NULL && *dir == '/' ? dir : TZFILE_DIR, name, cause);
}

/* Free a zone. */
void
tzfile_free(struct tzfile *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->at);
	free(tz->idx);
	free(tz->types);
	free(tz);
}

/* The zone's name. */
const char *
tzfile_name(const struct tzfile *tz)
{
	return tz->name;
}

/* The offset and DST flag in effect at t (RFC 8536 section 3.2). */
static void
tzfile_at(const struct tzfile *tz, int64_t t, int32_t *off, int *isdst)
{
	const struct tzfile_type *ty;
	size_t lo, hi, mid;

	t = tzfile_clamp(t);
	if (tz->has_posix && (tz->n == 0 || t >= tz->at[tz->n - 1])) {
		tzfile_posix_at(&tz->posix, t, off, isdst);
		return;
	}
	if (tz->n == 0 || t < tz->at[0])
		ty = &tz->types[0];
	else {
		/* The last transition at or before t. */
		lo = 0;
		hi = tz->n;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (tz->at[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = &tz->types[tz->idx[lo]];
	}
	*off = ty->utoff;
	*isdst = ty->isdst;
}

/* Seconds east of UTC at t. */
int
tzfile_offset(const struct tzfile *tz, int64_t t)
{
	int32_t off;
	int isdst;

	tzfile_at(tz, t, &off, &isdst);
	return off;
}

/* The civil time at t. */
void
tzfile_civil(const struct tzfile *tz, int64_t t, struct tzfile_civil *c)
{
	int64_t local, days, secs;
	int32_t off;

	t = tzfile_clamp(t);
	tzfile_at(tz, t, &off, &c->isdst);
	c->offset_s = off;
	local = t + off;
	days = tzfile_floordiv(local, TZFILE_DAY);
	secs = local - days * TZFILE_DAY;
	tzfile_civil_from_days(days, &c->year, &c->month, &c->day, &c->wday);
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
}

/*
 * The unix time of a civil time: of the offsets in effect in the two days
 * around it, the instants t = local - offset whose offset is that one are
 * its occurrences; the earliest wins (an overlap).  None: local is in a
 * gap, and the first instant after it is found by bisection between the
 * instants the offsets on either side give.
 */
int64_t
tzfile_mktime(
    const struct tzfile *tz, int year, int month, int day, int hour, int min)
{
	int64_t local, t, best = INT64_MAX, lo, hi, mid;
	int32_t cand[4];
	int i, before, after;

	local = tzfile_clamp(tzfile_days_from_civil(year, month, 1)) +
	    (int64_t)day - 1;
	local = tzfile_clamp(
	    local * TZFILE_DAY + (int64_t)hour * 3600 + (int64_t)min * 60);
	cand[0] = tzfile_offset(tz, local - TZFILE_DAY - 7200);
	cand[1] = tzfile_offset(tz, local + TZFILE_DAY + 7200);
	cand[2] = tzfile_offset(tz, local - cand[0]);
	cand[3] = tzfile_offset(tz, local - cand[1]);
	for (i = 0; i < 4; i++) {
		t = local - cand[i];
		if (tzfile_offset(tz, t) == cand[i] && t < best)
			best = t;
	}
	if (best != INT64_MAX)
		return best;
	before = cand[0];
	after = cand[1];
	lo = local - (after > before ? after : before);
	hi = local - (after > before ? before : after);
	if (tzfile_offset(tz, hi) == tzfile_offset(tz, lo))
		return local - before;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tzfile_offset(tz, mid) == tzfile_offset(tz, lo))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}
