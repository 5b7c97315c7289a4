/*
 * Pure helpers shared by config, providers and notifiers: parsing of numbers,
 * durations, sizes and vendor timestamps, RFC 3339 output, percent-encoding.
 * Nothing here allocates except util_urldecode, and nothing does I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "xmalloc.h"

/* Parse a decimal integer in [min, max]; -1 with *cause (static) on error. */
int
util_strtonum(const char *s, long long min, long long max, long long *out,
    const char **cause)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		*cause = "invalid";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*cause = "invalid";
		return -1;
	}
	if (errno == ERANGE || v < min) {
		*cause = v < min ? "too small" : "too large";
		return -1;
	}
	if (v > max) {
		*cause = "too large";
		return -1;
	}
	*out = v;
	*cause = NULL;
	return 0;
}

/* Split "123unit" into number and unit; -1 if no digits or overflow. */
static int
util_split_unit(const char *s, uint64_t *num, const char **unit)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*num = v;
	*unit = p;
	return 0;
}

/* A unit suffix and what one of it is worth. */
struct util_unit {
	const char *unit;
	uint64_t mult;
};

/*
 * Parse "123unit" with a unit of the n in units into the number times the
 * unit's worth; -1 if malformed, the unit unknown or the product too big.
 */
static int
util_parse_units(
    const char *s, const struct util_unit *units, size_t n, uint64_t *out)
{
	const char *unit;
	uint64_t v;
	size_t i;

	if (s == NULL || util_split_unit(s, &v, &unit) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		if (v > UINT64_MAX / units[i].mult)
			return -1;
		*out = v * units[i].mult;
		return 0;
	}
	return -1;
}

/* Parse "500ms", "30s", "5m", "2h", "7d" into milliseconds; -1 if malformed. */
int
util_parse_duration_ms(const char *s, uint64_t *out_ms)
{
	static const struct util_unit units[] = {
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60000 },
		{ "h", 3600000 },
		{ "d", 86400000 },
	};

	return util_parse_units(
	    s, units, sizeof(units) / sizeof(units[0]), out_ms);
}

/* Format a duration as the shortest exact unit ("90s", "5m", "500ms"). */
void
util_format_duration(uint64_t ms, char *dst, size_t len)
{
	if (ms != 0 && ms % 86400000 == 0)
		snprintf(
		    dst, len, "%llud", (unsigned long long)(ms / 86400000));
	else if (ms != 0 && ms % 3600000 == 0)
		snprintf(dst, len, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(dst, len, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(dst, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(dst, len, "%llums", (unsigned long long)ms);
}

/* A span of seconds for people: "12 s", "4 min", "3 h 5 min", "2 d 4 h". */
void
util_format_age(int64_t secs, char *dst, size_t len)
{
	long long s = secs < 0 ? 0 : (long long)secs;

	if (s < 60)
		snprintf(dst, len, "%lld s", s);
	else if (s < 3600)
		snprintf(dst, len, "%lld min", s / 60);
	else if (s < 86400)
		snprintf(dst, len, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(
		    dst, len, "%lld d %lld h", s / 86400, s % 86400 / 3600);
}

/* Parse "8MiB", "512KiB", "1GiB", "4096" (bytes); -1 if malformed. */
int
util_parse_size(const char *s, uint64_t *out_bytes)
{
	static const struct util_unit units[] = {
		{ "", 1 },
		{ "B", 1 },
		{ "KiB", 1024 },
		{ "MiB", 1048576 },
		{ "GiB", 1073741824 },
		{ "k", 1000 },
		{ "KB", 1000 },
		{ "MB", 1000000 },
		{ "GB", 1000000000 },
	};

	return util_parse_units(
	    s, units, sizeof(units) / sizeof(units[0]), out_bytes);
}

/* Format a byte count as the shortest exact unit ("8MiB", "100B"). */
void
util_format_size(uint64_t bytes, char *dst, size_t len)
{
	if (bytes != 0 && bytes % 1073741824 == 0)
		snprintf(
		    dst, len, "%lluGiB", (unsigned long long)(bytes >> 30));
	else if (bytes != 0 && bytes % 1048576 == 0)
		snprintf(
		    dst, len, "%lluMiB", (unsigned long long)(bytes >> 20));
	else if (bytes != 0 && bytes % 1024 == 0)
		snprintf(
		    dst, len, "%lluKiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(dst, len, "%lluB", (unsigned long long)bytes);
}

/* Read exactly n digits at *p into *out, advancing *p; -1 if not digits. */
static int
util_digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t
util_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Parse a vendor timestamp into unix seconds: "2022-09-05T06:24:14+0000",
 * "2025-05-19 09:05:10.0", "2023-06-05 01:58:43", "...Z", "+08:00".  A time
 * without a zone is taken at default_offset_s east of UTC.  -1 if malformed.
 */
int
util_parse_time(const char *s, int default_offset_s, int64_t *out)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, oh, om, off, sign;

	if (s == NULL)
		return -1;
	if (util_digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    util_digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    util_digits(&p, 2, &d) == -1 ||
	    (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (util_digits(&p, 2, &h) == -1 || *p++ != ':' ||
	    util_digits(&p, 2, &mi) == -1 || *p++ != ':' ||
	    util_digits(&p, 2, &sec) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	off = default_offset_s;
	if (*p == 'Z' || *p == 'z') {
		off = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (util_digits(&p, 2, &oh) == -1)
			return -1;
		if (*p == ':')
			p++;
		if (util_digits(&p, 2, &om) == -1 || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	}
	if (*p != '\0')
		return -1;
	*out = util_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - off;
	return 0;
}

/* Break unix seconds into UTC fields (for strftime). */
void
util_gmtime(int64_t secs, struct tm *tm)
{
	time_t t = (time_t)secs;

	memset(tm, 0, sizeof(*tm));
	gmtime_r(&t, tm);
}

/* Format unix seconds as RFC 3339 UTC "2025-05-19T09:07:42Z". */
void
util_format_rfc3339(int64_t secs, char dst[UTIL_RFC3339_LEN])
{
	struct tm tm;

	util_gmtime(secs, &tm);
	strftime(dst, UTIL_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Format unix seconds as "yyyy-mm-ddThh:mm:ss+0000" (DDS query form). */
void
util_format_time_hhmm(int64_t secs, char dst[UTIL_RFC3339_LEN])
{
	struct tm tm;

	util_gmtime(secs, &tm);
	strftime(dst, UTIL_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S+0000", &tm);
}

/* The value of a standard base64 digit, or -1. */
static int
util_base64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode standard base64 (padding optional, nothing else allowed) of len
 * bytes at s into out (room for len * 3 / 4 bytes); the decoded length,
 * or -1.  A dangling digit or bits left over are not base64.
 */
long
util_base64_decode(const char *s, size_t len, unsigned char *out)
{
	unsigned long acc = 0;
	size_t i, pad = 0, n = 0;
	int bits = 0, d;

	while (len > 0 && s[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (pad > 0 && (len + pad) % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = util_base64_digit((unsigned char)s[i])) == -1)
			return -1;
		acc = (acc << 6) | (unsigned long)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	if (bits >= 6 || acc != 0)
		return -1;
	return (long)n;
}

/* Append the standard base64 (with padding) of n bytes at p to b. */
void
util_base64(struct buf *b, const void *p, size_t n)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	unsigned long v;
	size_t i;
	char out[4];

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 |
		    s[i + 2];
		out[0] = digits[(v >> 18) & 63];
		out[1] = digits[(v >> 12) & 63];
		out[2] = digits[(v >> 6) & 63];
		out[3] = digits[v & 63];
		buf_add(b, out, 4);
	}
	if (i < n) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)s[i + 1] << 8;
		out[0] = digits[(v >> 18) & 63];
		out[1] = digits[(v >> 12) & 63];
		out[2] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
		out[3] = '=';
		buf_add(b, out, 4);
	}
}

/*
 * Percent-encode s into b: keep A-Z a-z 0-9 - _ . ~, everything else %XX
 * upper case.  -1 past the buffer's cap.
 */
int
util_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[3];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ||
		    *p == '~') {
			if (buf_putc(b, (char)*p) == -1)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		if (buf_add(b, esc, 3) == -1)
			return -1;
	}
	return 0;
}

/* Value of one hex digit, or -1. */
static int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX escapes (and '+' as space when plus_space) into a new string. */
char *
util_urldecode(const char *s, size_t len, int plus_space)
{
	char *out = xmalloc(len + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (hi = util_hexval(s[i + 1])) != -1 &&
		    (lo = util_hexval(s[i + 2])) != -1) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space)
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* Case-insensitive glob match (fnmatch(3) syntax); 1 on match. */
int
util_glob(const char *pattern, const char *s)
{
	return fnmatch(pattern, s ? s : "", FNM_CASEFOLD) == 0;
}

/* Return 1 if s is NULL or "". */
int
util_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* 1 if s has a control character (C0 or DEL). */
int
util_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Return 1 if the header name carries a credential (see util.h). */
int
util_header_sensitive(const char *name, size_t len)
{
	static const char *const words[] = { "auth", "token", "key", "secret",
		"password", "cookie", NULL };
	size_t i, j, n;

	for (i = 0; words[i] != NULL; i++) {
		n = strlen(words[i]);
		for (j = 0; j + n <= len; j++) {
			if (strncasecmp(name + j, words[i], n) == 0)
				return 1;
		}
	}
	return 0;
}

/* Rotate left by b bits. */
static uint64_t
util_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* One SipHash round over the four state words. */
static void
util_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = util_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = util_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = util_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = util_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = util_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = util_rotl(v[2], 32);
}

/* Eight bytes as a little-endian word. */
static uint64_t
util_le64(const unsigned char *p)
{
	uint64_t w = 0;
	int i;

	for (i = 7; i >= 0; i--)
		w = w << 8 | p[i];
	return w;
}

/* SipHash-2-4 of n bytes under a 16-byte key. */
uint64_t
util_siphash(const unsigned char key[16], const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t k0 = util_le64(key), k1 = util_le64(key + 8), m, v[4];
	unsigned char last[8] = { 0 };
	size_t i;

	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= n; i += 8) {
		m = util_le64(s + i);
		v[3] ^= m;
		util_sipround(v);
		util_sipround(v);
		v[0] ^= m;
	}
	memcpy(last, s + i, n - i);
	m = util_le64(last) | (uint64_t)(n & 0xff) << 56;
	v[3] ^= m;
	util_sipround(v);
	util_sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		util_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * A digest of n bytes for telling whether data changed: SipHash under a
 * key drawn at random once per process, so that no one can choose two
 * texts that collide.  Never 0 (that means "no digest").
 */
uint64_t
util_digest(const void *p, size_t n)
{
	static unsigned char key[16];
	static int keyed;
	uint64_t h;

	if (!keyed) {
		arc4random_buf(key, sizeof(key));
		keyed = 1;
	}
	h = util_siphash(key, p, n);
	return h != 0 ? h : 1;
}
