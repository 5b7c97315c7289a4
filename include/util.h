/*
 * Small pure helpers: number, duration and size parsing, time parsing and
 * RFC 3339 formatting, percent-encoding, string escaping, a keyed digest.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define UTIL_TIME_NONE INT64_MIN /* "no time" for optional timestamps */
#define UTIL_RFC3339_LEN 32

struct tm;

/* Parse a decimal integer in [min, max]; -1 with *cause (static) on error. */
int util_strtonum(const char *s, long long min, long long max, long long *out,
    const char **cause);
/* Parse "500ms", "30s", "5m", "2h", "7d" into milliseconds; -1 if malformed. */
int util_parse_duration_ms(const char *s, uint64_t *out_ms);
/* Format a duration as the shortest exact unit ("90s", "5m", "500ms"). */
void util_format_duration(uint64_t ms, char *dst, size_t len);
/* A span of seconds for people: "12 s", "4 min", "3 h 5 min", "2 d 4 h". */
void util_format_age(int64_t secs, char *dst, size_t len);
/* Parse "8MiB", "512KiB", "1GiB", "4096" (bytes); -1 if malformed. */
int util_parse_size(const char *s, uint64_t *out_bytes);
/* Format a byte count as the shortest exact unit ("8MiB", "100B"). */
void util_format_size(uint64_t bytes, char *dst, size_t len);
/*
 * Parse a vendor timestamp into unix seconds: "2022-09-05T06:24:14+0000",
 * "2025-05-19 09:05:10.0", "2023-06-05 01:58:43", "...Z", "+08:00".  A time
 * without a zone is taken at default_offset_s east of UTC.  -1 if malformed.
 */
int util_parse_time(const char *s, int default_offset_s, int64_t *out);
/* Break unix seconds into UTC fields (for strftime). */
void util_gmtime(int64_t secs, struct tm *tm);
/* Format unix seconds as RFC 3339 UTC "2025-05-19T09:07:42Z". */
void util_format_rfc3339(int64_t secs, char dst[UTIL_RFC3339_LEN]);
/* Format unix seconds as "yyyy-mm-ddThh:mm:ss+0000" (DDS query form). */
void util_format_time_hhmm(int64_t secs, char dst[UTIL_RFC3339_LEN]);
/*
 * Percent-encode s into b: keep A-Z a-z 0-9 - _ . ~, everything else %XX
 * upper case.  -1 past the buffer's cap.
 */
int util_urlencode(struct buf *b, const char *s);
/* Append the standard base64 (with padding) of n bytes at p to b. */
void util_base64(struct buf *b, const void *p, size_t n);
/*
 * Decode standard base64 (padding optional, nothing else allowed) of len
 * bytes at s into out (room for len * 3 / 4 bytes); the decoded length,
 * or -1.  A dangling digit or bits left over are not base64.
 */
long util_base64_decode(const char *s, size_t len, unsigned char *out);
/* Decode %XX escapes (and '+' as space when plus_space) into a new string. */
char *util_urldecode(const char *s, size_t len, int plus_space);
/* Case-insensitive glob match (fnmatch(3) syntax); 1 on match. */
int util_glob(const char *pattern, const char *s);
/* Return 1 if s is NULL or "". */
int util_empty(const char *s);
/* 1 if s has a control character (C0 or DEL): not one line of text. */
int util_has_control(const char *s);
/*
 * Return 1 if the header name (len bytes) carries a credential: its value
 * is never logged nor printed.  Authorization, Proxy-Authorization, Cookie,
 * and any name containing auth, token, key, secret or password.
 */
int util_header_sensitive(const char *name, size_t len);
/* SipHash-2-4 of n bytes under a 16-byte key. */
uint64_t util_siphash(const unsigned char key[16], const void *p, size_t n);
/*
 * A digest of n bytes for telling whether they changed (keyed at random
 * once per process; never 0).
 */
uint64_t util_digest(const void *p, size_t n);

#endif
