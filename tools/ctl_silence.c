/*
 * taskwatchctl silence add | list | expire: the daemon's silences through
 * its control socket.  A silence holds the events its matchers match
 * back from the notifiers (those with send_silenced still get them) until
 * it ends; see taskwatchctl(8).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_control.h"
#include "ctl_silence.h"
#include "json.h"
#include "util.h"
#include "xmalloc.h"

#define CTL_EX_USAGE 64
#define CTL_SILENCE_MAX_MATCHERS 32

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_silence_usage(void)
{
	fprintf(stderr, "usage: %s\n", CTL_SILENCE_SYNOPSIS);
	exit(CTL_EX_USAGE);
}

/*
 * The end of a silence from --until: RFC 3339 ("2026-12-05T14:00:00Z",
 * "...+01:00"), or "HH:MM", the next such local time.  -1 if malformed.
 */
static int
ctl_silence_until(const char *s, time_t now, int64_t *out)
{
	struct tm tm;
	long long h, m;
	const char *why;
	char hh[3], mm[3];
	time_t t;

	if (strlen(s) == 5 && s[2] == ':') {
		memcpy(hh, s, 2);
		hh[2] = '\0';
		memcpy(mm, s + 3, 2);
		mm[2] = '\0';
		if (util_strtonum(hh, 0, 23, &h, &why) == -1 ||
		    util_strtonum(mm, 0, 59, &m, &why) == -1 ||
		    localtime_r(&now, &tm) == NULL)
			return -1;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)m;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) <= now) {
			tm.tm_mday++;
			tm.tm_isdst = -1;
			t = mktime(&tm);
		}
		*out = (int64_t)t;
		return 0;
	}
	/* A zone is required: "14:00" on some day is ambiguous. */
	if (strchr(s, 'T') == NULL ||
	    (strchr(s, 'Z') == NULL && strchr(strchr(s, 'T'), '+') == NULL &&
		strchr(strchr(s, 'T'), '-') == NULL))
		return -1;
	return util_parse_time(s, 0, out);
}

/* silence add --match F=GLOB ... --for DUR|--until TIME [--comment C]. */
static int
ctl_silence_add(int argc, char *argv[])
{
	const char *m[CTL_SILENCE_MAX_MATCHERS], *sock = NULL, *file = NULL;
	const char *dur = NULL, *until = NULL, *comment = NULL;
	size_t n = 0, i;
	const struct ctl_control_opt opts[] = {
		{ .name = "match",
		    .list = m,
		    .nlist = &n,
		    .max = CTL_SILENCE_MAX_MATCHERS },
		{ .name = "for", .str = &dur },
		{ .name = "until", .str = &until },
		{ .name = "comment", .str = &comment },
		{ .name = NULL },
	};
	char when[UTIL_RFC3339_LEN];
	struct json_writer *jw;
	struct json *answer;
	uint64_t ms;
	int64_t ends_at;
	int rc;

	if (ctl_control_args(argc, argv, opts, &sock, &file) != 0 || n == 0 ||
	    (dur == NULL) == (until == NULL))
		ctl_silence_usage();
	for (i = 0; i < n; i++)
		if (strchr(m[i], '=') == NULL)
			ctl_silence_usage();
	if (dur != NULL &&
	    (util_parse_duration_ms(dur, &ms) == -1 || ms < 1000 ||
		ms > 366ULL * 86400 * 1000)) {
		fprintf(stderr,
		    "taskwatchctl: --for %s: a duration from 1s "
		    "to 366d, as 90m or 2h\n",
		    dur);
		return CTL_EX_USAGE;
	}
	if (until != NULL &&
	    ctl_silence_until(until, time(NULL), &ends_at) == -1) {
		fprintf(stderr,
		    "taskwatchctl: --until %s: give HH:MM (local) or an RFC "
		    "3339 time with its zone (2026-12-05T14:00:00Z)\n",
		    until);
		return CTL_EX_USAGE;
	}
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", "silence_add");
	json_w_key(jw, "matchers");
	json_w_arr_open(jw);
	for (i = 0; i < n; i++)
		json_w_str(jw, m[i]);
	json_w_arr_close(jw);
	if (dur != NULL)
		json_w_kint(jw, "for_s", (int64_t)(ms / 1000));
	else
		json_w_kint(jw, "ends_at", ends_at);
	if (comment != NULL)
		json_w_kstr(jw, "comment", comment);
	if ((rc = ctl_control_ask(sock, file, jw, &answer)) != 0)
		return rc;
	if (json_get_str(answer, "ends_at") == NULL ||
	    util_parse_time(json_get_str(answer, "ends_at"), 0, &ends_at) == -1)
		ends_at = 0;
	util_format_rfc3339(ends_at, when);
	printf("%s\n", json_get_str(answer, "id"));
	fprintf(stderr, "silence %s added, until %s\n",
	    json_get_str(answer, "id"), when);
	json_free(answer);
	return 0;
}

/* Print one row of silence list. */
static void
ctl_silence_row(const struct json *s)
{
	const char *comment = json_get_str(s, "comment");
	const char *window = json_get_str(s, "window");
	int64_t events = 0, tasks = 0;

	(void)json_int(json_get(s, "events"), 0, &events);
	(void)json_int(json_get(s, "tasks_total"), 0, &tasks);
	printf("%-16s  %-7s  %-20s  %-20s  %6lld  %5lld  %s%s%s%s\n",
	    json_get_str(s, "id"), json_get_str(s, "state"),
	    json_get_str(s, "starts_at"), json_get_str(s, "ends_at"),
	    (long long)events, (long long)tasks, json_get_str(s, "matchers"),
	    window != NULL ? " [window " : "", window != NULL ? window : "",
	    window != NULL ? "]" : "");
	if (comment != NULL)
		printf("%-16s  # %s\n", "", comment);
}

/* Print one row of the maintenance windows of silence list. */
static void
ctl_silence_window(const struct json *w)
{
	const struct json *days = json_get(w, "days"),
			  *m = json_get(w, "matchers");
	const char *closes = json_get_str(w, "closes_at");
	const char *next = json_get_str(w, "next_opens_at");
	size_t i;
	int open = 0;

	(void)json_bool(json_get(w, "open"), &open);
	printf("%-16s  %-26s  %-20s  %s-%s %s ", json_get_str(w, "name"),
	    open && closes != NULL ? "open until" : "next opens",
	    open && closes != NULL ? closes : (next != NULL ? next : "never"),
	    json_get_str(w, "from"), json_get_str(w, "to"),
	    json_get_str(w, "timezone"));
	for (i = 0; i < json_len(days); i++)
		printf("%s%s", i > 0 ? "," : "", json_str(json_at(days, i)));
	printf(" ");
	for (i = 0; i < json_len(m); i++)
		printf(" %s", json_str(json_at(m, i)));
	printf("\n");
}

/* silence list [--json]: the silences, active first. */
static int
ctl_silence_list(int argc, char *argv[])
{
	const struct json *v;
	struct json *answer;
	size_t i;
	int rc;

	if ((rc = ctl_control_list(argc, argv, "silence_list",
		 ctl_silence_usage, &answer)) != 0 ||
	    answer == NULL)
		return rc;
	v = json_get(answer, "silences");
	printf("%-16s  %-7s  %-20s  %-20s  %6s  %5s  %s\n", "ID", "STATE",
	    "STARTS", "ENDS", "EVENTS", "TASKS", "MATCHERS");
	for (i = 0; i < json_len(v); i++)
		ctl_silence_row(json_at(v, i));
	v = json_get(answer, "windows");
	if (json_len(v) > 0)
		printf("\n%-16s  %-26s  %-20s  %s\n", "WINDOW", "STATE", "AT",
		    "WHEN AND MATCHERS");
	for (i = 0; i < json_len(v); i++)
		ctl_silence_window(json_at(v, i));
	json_free(answer);
	return 0;
}

/* silence expire ID. */
static int
ctl_silence_expire(int argc, char *argv[])
{
	const char *sock = NULL, *file = NULL;
	struct json_writer *jw;
	struct json *answer;
	int rc;

	if (ctl_control_args(argc, argv, NULL, &sock, &file) != 1)
		ctl_silence_usage();
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", "silence_expire");
	json_w_kstr(jw, "id", argv[optind]);
	if ((rc = ctl_control_ask(sock, file, jw, &answer)) != 0)
		return rc;
	fprintf(stderr, "silence %s expired; its silence_ended event follows\n",
	    argv[optind]);
	json_free(answer);
	return 0;
}

/* Run "silence add|list|expire ..." (argv[0] is "silence"). */
int
ctl_silence(int argc, char *argv[])
{
	if (argc < 2)
		ctl_silence_usage();
	if (strcmp(argv[1], "add") == 0)
		return ctl_silence_add(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return ctl_silence_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "expire") == 0)
		return ctl_silence_expire(argc - 1, argv + 1);
	ctl_silence_usage();
}
