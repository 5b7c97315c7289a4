/*
 * taskwatchctl status | watches | tasks | dead list: a plain blocking HTTP client
 * (libcurl easy; this is a command-line tool, not the daemon) for the
 * status endpoint.  The address comes from -s, else from the daemon's
 * config (daemon.listen), else 127.0.0.1:9465.  Tables for people, the
 * JSON as it came with --json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "config.h"
#include "ctl_config.h"
#include "ctl_status.h"
#include "json.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define CTL_EX_USAGE 64
#define CTL_EX_CONFIG 78
#define CTL_EX_UNAVAILABLE 69 /* no daemon answers */
#define CTL_DEFAULT_LISTEN "127.0.0.1:9465"
#define CTL_TIMEOUT_MS 10000
#define CTL_MAX_BODY (256 * 1024 * 1024)
#define CTL_CELL_MAX 60 /* characters of a table cell */

/* The command line. */
struct ctl_opts {
	const char *cmd;
	const char *server;
	const char *file;
	const char *state;
	const char *watch;
	const char *notifier;
	const char *api;
	int json;
};

/* A table of text cells printed with aligned columns. */
struct ctl_table {
	size_t ncols;
	char **cells; /* nrows * ncols */
	size_t nrows;
	size_t cap;
};

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_status_usage(void)
{
	fprintf(stderr,
	    "usage: taskwatchctl status [--json] [-s host:port] [-f file]\n"
	    "       taskwatchctl watches [--json] [-s host:port] [-f file]\n"
	    "       taskwatchctl tasks [--watch name] [--state state] "
	    "[--json]\n"
	    "                          [-s host:port] [-f file]\n"
	    "       taskwatchctl dead list [--notifier name] [--json] "
	    "[-s host:port] [-f file]\n"
	    "       taskwatchctl durations [--api api] [--watch name] "
	    "[--json]\n"
	    "                          [-s host:port] [-f file]\n");
	exit(CTL_EX_USAGE);
}

/* curl write callback: append to the capped buffer. */
static size_t
ctl_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) == -1)
		return 0;
	return size * n;
}

/*
 * GET base + path into body; -1 with a message on stderr.  Exits 69 when
 * nothing listens there.
 */
static int
ctl_get(const char *base, const char *path, struct buf *body, long *code)
{
	char errbuf[CURL_ERROR_SIZE], *url;
	CURLcode rc;
	CURL *c;

	if ((c = curl_easy_init()) == NULL) {
		fprintf(stderr, "taskwatchctl: curl_easy_init failed\n");
		return -1;
	}
	url = xasprintf("%s%s", base, path);
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)CTL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(
	    c, CURLOPT_USERAGENT, "taskwatchctl/" TASKWATCH_VERSION);
	rc = curl_easy_perform(c);
	if (rc == CURLE_COULDNT_CONNECT) {
		fprintf(stderr,
		    "taskwatchctl: is taskwatchd running? (tried %s; use -s "
		    "or -f)\n",
		    strncmp(base, "http://", 7) == 0 ? base + 7 : base);
		curl_easy_cleanup(c);
		free(url);
		exit(CTL_EX_UNAVAILABLE);
	}
	if (rc != CURLE_OK) {
		fprintf(stderr, "taskwatchctl: %s: %s\n", url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		curl_easy_cleanup(c);
		free(url);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(c);
	free(url);
	return 0;
}

/* The base URL for a listen address; a wildcard becomes loopback. */
static char *
ctl_base_url(const char *addr)
{
	const char *port, *end;
	char *host, *url;

	if (*addr == '[') {
		if ((end = strchr(addr, ']')) == NULL || end[1] != ':')
			return NULL;
		host = xstrndup(addr + 1, (size_t)(end - addr - 1));
		port = end + 2;
	} else {
		if ((port = strrchr(addr, ':')) == NULL)
			return NULL;
		host = xstrndup(addr, (size_t)(port - addr));
		port++;
	}
	if (*host == '\0' || strcmp(host, "0.0.0.0") == 0) {
		free(host);
		host = xstrdup("127.0.0.1");
	} else if (strcmp(host, "::") == 0) {
		free(host);
		host = xstrdup("::1");
	}
	if (strchr(host, ':') != NULL)
		url = xasprintf("http://[%s]:%s", host, port);
	else
		url = xasprintf("http://%s:%s", host, port);
	free(host);
	return url;
}

/* Where the endpoint is: -s, the config's listen, or the default. */
static int
ctl_address(const struct ctl_opts *o, char **addr)
{
	char *v = NULL;
	int rc;

	if (o->server != NULL) {
		*addr = xstrdup(o->server);
		return 0;
	}
	if ((rc = ctl_config_daemon_key(o->file, "listen", &v)) != 0)
		return rc;
	if (v != NULL && *v == '\0') {
		fprintf(stderr,
		    "taskwatchctl: the status endpoint is disabled "
		    "(daemon.listen is \"\" in %s)\n",
		    o->file ? o->file : CONFIG_DEFAULT_PATH);
		free(v);
		return 1;
	}
	*addr = v != NULL ? v : xstrdup(CTL_DEFAULT_LISTEN);
	return 0;
}

/* Start a table with its header row. */
static void
ctl_table_init(struct ctl_table *t, const char *const *header, size_t ncols)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->cap = 16;
	t->cells = xreallocarray(NULL, t->cap * ncols, sizeof(*t->cells));
	for (i = 0; i < ncols; i++)
		t->cells[i] = xstrdup(header[i]);
	t->nrows = 1;
}

/* Append a row; long cells are cut, NULL is "-". */
static void
ctl_table_row(struct ctl_table *t, const char *const *row)
{
	const char *s;
	char *c, *p;
	size_t i;

	if (t->nrows == t->cap) {
		t->cap *= 2;
		t->cells = xreallocarray(
		    t->cells, t->cap * t->ncols, sizeof(*t->cells));
	}
	for (i = 0; i < t->ncols; i++) {
		s = row[i] != NULL && *row[i] != '\0' ? row[i] : "-";
		if (strlen(s) > CTL_CELL_MAX)
			c = xasprintf("%.*s...", CTL_CELL_MAX - 3, s);
		else
			c = xstrdup(s);
		/* One line per row, no terminal escapes, whatever came. */
		for (p = c; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
			else if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		t->cells[t->nrows * t->ncols + i] = c;
	}
	t->nrows++;
}

/* Print with aligned columns and free. */
static void
ctl_table_print(struct ctl_table *t)
{
	size_t *w, r, i, len;

	w = xcalloc(t->ncols, sizeof(*w));
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++)
			if ((len = strlen(t->cells[r * t->ncols + i])) > w[i])
				w[i] = len;
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			if (i + 1 < t->ncols)
				printf("%-*s  ", (int)w[i],
				    t->cells[r * t->ncols + i]);
			else
				printf("%s\n", t->cells[r * t->ncols + i]);
		}
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	free(w);
}

/* Parse a JSON body; NULL with a message on stderr. */
static struct json *
ctl_parse(const char *what, const struct buf *b)
{
	struct json *j;
	char *cause = NULL;

	if ((j = json_parse(buf_str(b), b->len, &cause)) == NULL) {
		fprintf(stderr, "taskwatchctl: %s: %s\n", what,
		    cause ? cause : "invalid JSON");
		free(cause);
	}
	return j;
}

/* An integer member as text ("-" if absent). */
static void
ctl_int(const struct json *v, const char *key, char *dst, size_t len)
{
	int64_t n;

	if (json_int(json_get(v, key), 0, &n) == 0)
		snprintf(dst, len, "%lld", (long long)n);
	else
		snprintf(dst, len, "-");
}

/*
 * A time member relative to now: "12 s ago", "in 30 s"; "now" within a
 * second; "-" if absent or not a time.
 */
static void
ctl_rel(const struct json *v, const char *key, char *dst, size_t len)
{
	const char *s = json_get_str(v, key);
	char span[32];
	int64_t t, d;

	if (s == NULL || util_parse_time(s, 0, &t) == -1) {
		snprintf(dst, len, "-");
		return;
	}
	d = t - (int64_t)time(NULL);
	util_format_age(d < 0 ? -d : d, span, sizeof(span));
	if (d == 0)
		snprintf(dst, len, "now");
	else if (d < 0)
		snprintf(dst, len, "%s ago", span);
	else
		snprintf(dst, len, "in %s", span);
}

/* 1 if a bool member is true. */
static int
ctl_true(const struct json *v, const char *key)
{
	int b = 0;

	return json_bool(json_get(v, key), &b) == 0 && b;
}

/*
 * An RFC 3339 time as local HH:MM:SS, with the date before it if date is
 * set (as it came if unreadable).
 */
static void
ctl_clock(const char *rfc3339, int date, char *dst, size_t len)
{
	int64_t secs;
	time_t t;
	struct tm tm;

	if (util_parse_time(rfc3339, 0, &secs) == 0) {
		t = (time_t)secs;
		if (localtime_r(&t, &tm) != NULL &&
		    (date ? strftime(dst, len, "%Y-%m-%d %H:%M:%S", &tm)
			  : strftime(dst, len, "%H:%M:%S", &tm)) > 0)
			return;
	}
	snprintf(dst, len, "%s", rfc3339);
}

/*
 * Sharded (the watches carry a shard): the units each watch polls here,
 * a line per watch after the table, and how many other shards poll.
 */
static void
ctl_watches_units(const struct json *root)
{
	const struct json *w, *units, *shard;
	int64_t index = 0, count = 0, others;
	size_t i, j;

	shard = json_get(json_at(root, 0), "shard");
	if (json_int(json_get(shard, "index"), 0, &index) == -1 ||
	    json_int(json_get(shard, "count"), 0, &count) == -1)
		return;
	printf(
	    "shard %lld of %lld polls:\n", (long long)index, (long long)count);
	for (i = 0; i < json_len(root); i++) {
		w = json_at(root, i);
		units = json_get(w, "units");
		if (json_int(json_get(w, "units_other"), 0, &others) == -1)
			others = 0;
		printf("  %s:", json_get_str(w, "name"));
		for (j = 0; j < json_len(units); j++)
			printf(" %s", json_str(json_at(units, j)));
		if (json_len(units) == 0)
			printf(" nothing");
		if (others > 0)
			printf(" (%lld unit%s on other shards)",
			    (long long)others, others == 1 ? "" : "s");
		printf("\n");
	}
}

/* 1 if an integer member is 0 or absent. */
static int
ctl_zero(const struct json *w, const char *key)
{
	int64_t n = 0;

	return json_int(json_get(w, key), 0, &n) == -1 || n == 0;
}

/* UNITS of a sharded watch: "owned/all" (the units it polls here). */
static void
ctl_units(const struct json *w, char *dst, size_t len)
{
	int64_t others = 0;

	if (json_int(json_get(w, "units_other"), 0, &others) == -1)
		others = 0;
	snprintf(dst, len, "%zu/%lld", json_len(json_get(w, "units")),
	    (long long)(others + (int64_t)json_len(json_get(w, "units"))));
}

/* watches: one row per watch (sharded: with the units it polls here). */
static int
ctl_watches(const struct buf *body)
{
	static const char *const head[] = { "WATCH", "API", "ACCOUNT",
		"INTERVAL", "STATE", "TASKS", "FAILS", "LAST SUCCESS",
		"NEXT POLL", "LAST ERROR", "UNITS" };
	const struct json *w;
	struct ctl_table t;
	struct json *root;
	char tasks[32], fails[32], last[48], next[48], until[32], units[48];
	const char *row[11];
	size_t i;
	int sharded;

	if ((root = ctl_parse("/api/v1/watches", body)) == NULL)
		return 1;
	sharded = json_type(json_get(json_at(root, 0), "shard")) == JSON_OBJECT;
	ctl_table_init(&t, head, sharded ? 11 : 10);
	for (i = 0; i < json_len(root); i++) {
		w = json_at(root, i);
		ctl_int(w, "tasks", tasks, sizeof(tasks));
		ctl_int(w, "consecutive_failures", fails, sizeof(fails));
		ctl_rel(w, "last_success", last, sizeof(last));
		if (ctl_true(w, "polling"))
			snprintf(next, sizeof(next), "polling");
		else
			ctl_rel(w, "next_poll", next, sizeof(next));
		row[0] = json_get_str(w, "name");
		row[1] = json_get_str(w, "api");
		row[2] = json_get_str(w, "account");
		row[3] = json_get_str(w, "interval");
		row[4] = sharded && json_len(json_get(w, "units")) == 0 &&
			!ctl_zero(w, "units_other")
		    ? "elsewhere"
		    : json_get_str(w, "paused_until") != NULL ? "paused"
		    : ctl_true(w, "flapping")                 ? "flapping"
		    : ctl_true(w, "failed")                   ? "FAILED"
		    : ctl_true(w, "up")                       ? "up"
							      : "failing";
		row[5] = tasks;
		row[6] = fails;
		row[7] = last;
		row[8] = next;
		row[9] = json_get_str(w, "last_error");
		ctl_units(w, units, sizeof(units));
		row[10] = units;
		ctl_table_row(&t, row);
	}
	ctl_table_print(&t);
	if (sharded)
		ctl_watches_units(root);
	/* Paused watches: until when and why, in full. */
	for (i = 0; i < json_len(root); i++) {
		w = json_at(root, i);
		if (json_get_str(w, "paused_until") == NULL)
			continue;
		ctl_clock(
		    json_get_str(w, "paused_until"), 0, until, sizeof(until));
		printf("%s: paused until %s (%s)\n", json_get_str(w, "name"),
		    until,
		    json_get_str(w, "paused_reason") != NULL
			? json_get_str(w, "paused_reason")
			: "no reason given");
	}
	/* Watches whose cluster discovery fails: what they poll meanwhile. */
	for (i = 0; i < json_len(root); i++) {
		w = json_at(root, i);
		if (json_get_str(w, "discover_error") == NULL)
			continue;
		printf("%s: %s; polling the %zu clusters found before\n",
		    json_get_str(w, "name"), json_get_str(w, "discover_error"),
		    json_len(json_get(w, "clusters")));
	}
	json_free(root);
	return 0;
}

/* dead list: one row per dead letter. */
static int
ctl_dead(const struct buf *body)
{
	static const char *const head[] = { "ID", "NOTIFIER", "DEAD AT",
		"ATTEMPTS", "STATUS", "REASON", "RESPONSE" };
	const struct json *d;
	struct ctl_table t;
	struct json *root;
	char attempts[32], status[32];
	const char *row[7];
	size_t i;

	if ((root = ctl_parse("/api/v1/dead", body)) == NULL)
		return 1;
	ctl_table_init(&t, head, 7);
	for (i = 0; i < json_len(root); i++) {
		d = json_at(root, i);
		ctl_int(d, "attempts", attempts, sizeof(attempts));
		ctl_int(d, "http_status", status, sizeof(status));
		row[0] = json_get_str(d, "id");
		row[1] = json_get_str(d, "notifier");
		row[2] = json_get_str(d, "dead_at");
		row[3] = attempts;
		row[4] = status;
		row[5] = json_get_str(d, "reason");
		row[6] = json_get_str(d, "response");
		ctl_table_row(&t, row);
	}
	ctl_table_print(&t);
	json_free(root);
	return 0;
}

/*
 * A running task's expected end: "in 12 min", "overdue 1 h (p95 + 40
 * min)", "+40 min past p95"; "-" when nothing is learned.
 */
static void
ctl_eta(const struct json *x, char *dst, size_t len)
{
	char when[48], past[32];
	int64_t past_s = 0;

	if (json_type(x) != JSON_OBJECT) {
		snprintf(dst, len, "-");
		return;
	}
	ctl_rel(x, "end", when, sizeof(when));
	(void)json_int(json_get(x, "past_p95_seconds"), 0, &past_s);
	util_format_age(past_s, past, sizeof(past));
	if (past_s > 0)
		snprintf(dst, len, "%s (%s past p95%s)", when, past,
		    ctl_true(x, "overdue") ? ", overdue" : "");
	else
		snprintf(dst, len, "%s", when);
}

/* tasks: one row per task; an acknowledged one's state says "(acked)". */
static int
ctl_tasks(const struct buf *body)
{
	static const char *const head[] = { "WATCH", "STATE", "PROGRESS",
		"TYPE", "CLUSTER", "TASK", "STARTED", "EXPECTED END",
		"REASON" };
	const struct json *e, *t;
	struct ctl_table tab;
	struct json *root;
	char progress[32], started[48], state[48], eta[128];
	const char *row[9], *cluster;
	int64_t p;
	size_t i;

	if ((root = ctl_parse("/api/v1/tasks", body)) == NULL)
		return 1;
	ctl_table_init(&tab, head, 9);
	for (i = 0; i < json_len(root); i++) {
		e = json_at(root, i);
		t = json_get(e, "task");
		if (json_int(json_get(t, "progress"), 0, &p) == 0)
			snprintf(
			    progress, sizeof(progress), "%lld%%", (long long)p);
		else
			snprintf(progress, sizeof(progress), "-");
		cluster = json_get_str(t, "cluster_name");
		if (cluster == NULL || *cluster == '\0')
			cluster = json_get_str(t, "cluster_id");
		row[0] = json_get_str(e, "watch");
		snprintf(state, sizeof(state), "%s%s",
		    json_get_str(t, "state") ? json_get_str(t, "state") : "",
		    json_get(e, "ack") != NULL ? " (acked)" : "");
		row[1] = state;
		row[2] = progress;
		row[3] = json_get_str(t, "type");
		row[4] = cluster;
		row[5] = json_get_str(t, "id");
		ctl_rel(t, "started_at", started, sizeof(started));
		row[6] = started;
		ctl_eta(json_get(e, "expected"), eta, sizeof(eta));
		row[7] = eta;
		row[8] = json_get_str(t, "reason");
		ctl_table_row(&tab, row);
	}
	ctl_table_print(&tab);
	json_free(root);
	return 0;
}

/* A duration cell from a number of seconds in o. */
static void
ctl_secs(const struct json *o, const char *key, char *dst, size_t len)
{
	int64_t v;

	if (json_int(json_get(o, key), 0, &v) == -1 || v < 0)
		snprintf(dst, len, "-");
	else
		util_format_age(v, dst, len);
}

/* durations: one row per learned key, most recently used first. */
static int
ctl_durations(const struct buf *body)
{
	static const char *const head[] = { "ACCOUNT", "API", "TYPE", "CLUSTER",
		"COUNT", "P50", "P95", "MAX" };
	const struct json *e;
	struct ctl_table tab;
	struct json *root;
	char count[32], p50[32], p95[32], max[32];
	const char *row[8], *cluster;
	size_t i;

	if ((root = ctl_parse("/api/v1/durations", body)) == NULL)
		return 1;
	ctl_table_init(&tab, head, 8);
	for (i = 0; i < json_len(root); i++) {
		e = json_at(root, i);
		cluster = json_get_str(e, "cluster_id");
		row[0] = json_get_str(e, "account");
		row[1] = json_get_str(e, "api");
		row[2] = json_get_str(e, "type");
		row[3] = cluster != NULL ? cluster : "(all)";
		ctl_int(e, "count", count, sizeof(count));
		row[4] = count;
		ctl_secs(e, "p50_seconds", p50, sizeof(p50));
		row[5] = p50;
		ctl_secs(e, "p95_seconds", p95, sizeof(p95));
		row[6] = p95;
		ctl_secs(e, "max_seconds", max, sizeof(max));
		row[7] = max;
		ctl_table_row(&tab, row);
	}
	ctl_table_print(&tab);
	json_free(root);
	return 0;
}

/* Figures taken from the /metrics text for "status". */
struct ctl_figures {
	char version[64];
	double pending;
	double by_state[TASK_STATE_COUNT];
};

/* The value of label key in a sample line's label text; 0 if found. */
static int
ctl_label(const char *line, const char *key, char *dst, size_t len)
{
	char *want = xasprintf("%s=\"", key);
	const char *p = strstr(line, want), *q;

	free(want);
	if (p == NULL)
		return -1;
	p += strlen(key) + 2;
	if ((q = strchr(p, '"')) == NULL)
		return -1;
	snprintf(dst, len, "%.*s", (int)(q - p), p);
	return 0;
}

/* Read the few samples "status" shows from the Prometheus text. */
static void
ctl_figures(const char *text, struct ctl_figures *f)
{
	const char *line = text, *nl, *sp;
	char *one, state[32];
	int s;

	memset(f, 0, sizeof(*f));
	snprintf(f->version, sizeof(f->version), "?");
	for (; line != NULL && *line != '\0'; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		one = xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
		sp = strrchr(one, ' ');
		if (one[0] == '#' || sp == NULL) {
			free(one);
			continue;
		}
		if (strncmp(one, "taskwatch_build_info{", 21) == 0)
			ctl_label(
			    one, "version", f->version, sizeof(f->version));
		else if (strncmp(one, "taskwatch_outbox_pending{", 25) == 0)
			f->pending += strtod(sp + 1, NULL);
		else if (strncmp(one, "taskwatch_tasks{", 16) == 0 &&
		    ctl_label(one, "state", state, sizeof(state)) == 0 &&
		    (s = task_state_from_name(state)) >= 0)
			f->by_state[s] += strtod(sp + 1, NULL);
		free(one);
	}
}

/* The reason lines of a /healthz body: after "degraded", or all of a 503. */
static const char *
ctl_reasons(const struct buf *health, long hcode)
{
	const char *p = buf_str(health);

	if (hcode != 200)
		return p;
	if (strncmp(p, "degraded\n", 9) == 0)
		return p + 9;
	return p + strlen(p);
}

/* Print the dead letters and the last reload of /api/v1/status. */
static void
ctl_print_status(
    const struct json *reload, const struct json *dead, double ndead)
{
	const char *sep = " (", *at, *err;
	int64_t v;
	size_t i;

	printf("dead letters: %.0f", ndead);
	for (i = 0; i < json_len(dead); i++) {
		if (json_int(json_at(dead, i), 0, &v) == -1 || v <= 0)
			continue;
		printf("%s%s %lld", sep, json_key_at(dead, i), (long long)v);
		sep = ", ";
	}
	printf("%s\n", *sep == ',' ? ")" : "");
	if (reload == NULL)
		return;
	at = json_get_str(reload, "at");
	if (at == NULL)
		printf("last reload: none (config loaded at %s)\n",
		    json_get_str(reload, "config_loaded_at"));
	else if (ctl_true(reload, "ok"))
		printf("last reload: ok at %s\n", at);
	else {
		err = json_get_str(reload, "error");
		printf("last reload: FAILED at %s: %s (running the config "
		       "loaded at %s)\n",
		    at, err != NULL ? err : "invalid config",
		    json_get_str(reload, "config_loaded_at"));
	}
}

/*
 * The replica's line: "ha: leader of shard 0 since <local time> (etcd
 * <url>; 0 held)"; a standby or a replica without a lease in capitals.
 */
static void
ctl_print_ha(const struct json *ha)
{
	const char *state = json_get_str(ha, "state"), *since, *etcd;
	char when[64], shard[32], held[32];

	if (ha == NULL)
		return;
	ctl_int(ha, "shard", shard, sizeof(shard));
	ctl_int(ha, "held", held, sizeof(held));
	since = json_get_str(ha, "since");
	etcd = json_get_str(ha, "etcd");
	ctl_clock(since != NULL ? since : "-", 1, when, sizeof(when));
	if (state != NULL && strcmp(state, "leader") == 0)
		printf("ha: leader of shard %s", shard);
	else if (state != NULL && strcmp(state, "standby") == 0)
		printf("ha: STANDBY for shard %s", shard);
	else
		printf("ha: NO LEASE for shard %s", shard);
	printf(" since %s (etcd %s; %s held)\n", when,
	    etcd != NULL ? etcd : "-", held);
}

/* status: health, watches, tasks by state, pending notifications. */
static int
ctl_summary(const char *base, const struct ctl_opts *o)
{
	static const char *const passed[] = { "dead_letters", "last_reload",
		"ha" };
	struct buf health, watches, metrics, status;
	struct ctl_figures f;
	struct json *root = NULL, *st = NULL;
	const struct json *reload, *dead, *x;
	const char *health_word;
	double ndead = 0;
	long scode = 0;
	struct json_writer *jw;
	long hcode = 0, wcode = 0, mcode = 0;
	size_t i, nw = 0, nfailed = 0, nfailing = 0;
	double tasks = 0;
	int s, ret = 1;
	const char *p, *nl, *sep;

	buf_init(&health, CTL_MAX_BODY);
	buf_init(&watches, CTL_MAX_BODY);
	buf_init(&metrics, CTL_MAX_BODY);
	buf_init(&status, CTL_MAX_BODY);
	if (ctl_get(base, "/healthz", &health, &hcode) == -1 ||
	    ctl_get(base, "/api/v1/watches", &watches, &wcode) == -1 ||
	    ctl_get(base, "/metrics", &metrics, &mcode) == -1 ||
	    ctl_get(base, "/api/v1/status", &status, &scode) == -1)
		goto out;
	/* A daemon older than /api/v1/status: left out. */
	if (scode == 200)
		st = json_parse(buf_str(&status), status.len, NULL);
	reload = json_get(st, "last_reload");
	dead = json_get(st, "dead_letters");
	for (i = 0; i < json_len(dead); i++) {
		int64_t v;

		if (json_int(json_at(dead, i), 0, &v) == 0)
			ndead += (double)v;
	}
	health_word = hcode != 200                          ? "UNHEALTHY"
	    : strncmp(buf_str(&health), "degraded", 8) == 0 ? "DEGRADED"
							    : "healthy";
	if (wcode != 200 || mcode != 200 ||
	    (root = ctl_parse("/api/v1/watches", &watches)) == NULL) {
		fprintf(stderr,
		    "taskwatchctl: %s: unexpected answers (%ld, "
		    "%ld)\n",
		    base, wcode, mcode);
		goto out;
	}
	nw = json_len(root);
	for (i = 0; i < nw; i++) {
		if (ctl_true(json_at(root, i), "failed"))
			nfailed++;
		else if (!ctl_true(json_at(root, i), "up"))
			nfailing++;
	}
	ctl_figures(buf_str(&metrics), &f);
	for (s = 0; s < TASK_STATE_COUNT; s++)
		tasks += f.by_state[s];
	ret = hcode == 200 ? 0 : 1;
	if (o->json) {
		jw = json_writer_new();
		json_w_obj_open(jw);
		json_w_kbool(jw, "healthy", hcode == 200);
		json_w_kstr(jw, "health",
		    hcode != 200              ? "failing"
			: *health_word == 'D' ? "degraded"
					      : "ok");
		json_w_key(jw, "reasons");
		json_w_arr_open(jw);
		for (p = ctl_reasons(&health, hcode); *p != '\0';
		     p = nl ? nl + 1 : p + strlen(p)) {
			char *line;

			nl = strchr(p, '\n');
			line = xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
			json_w_str(jw, line);
			free(line);
		}
		json_w_arr_close(jw);
		json_w_kstr(jw, "version", f.version);
		json_w_kint(jw, "watches", (int64_t)nw);
		json_w_kint(jw, "watches_failed", (int64_t)nfailed);
		json_w_kint(jw, "watches_failing", (int64_t)nfailing);
		json_w_kint(jw, "tasks", (int64_t)tasks);
		json_w_key(jw, "tasks_by_state");
		json_w_obj_open(jw);
		for (s = 0; s < TASK_STATE_COUNT; s++)
			json_w_kint(jw, task_state_name((enum task_state)s),
			    (int64_t)f.by_state[s]);
		json_w_obj_close(jw);
		json_w_kint(jw, "pending_notifications", (int64_t)f.pending);
		json_w_kint(jw, "dead_letters_total", (int64_t)ndead);
		/* What /api/v1/status said, as it said it. */
		for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
			if ((x = json_get(st, passed[i])) == NULL)
				continue;
			json_w_key(jw, passed[i]);
			json_w_value(jw, x);
		}
		json_w_obj_close(jw);
		printf("%s\n", json_writer_str(jw, NULL));
		json_writer_free(jw);
		goto out;
	}
	printf("taskwatchd %s at %s: %s\n", f.version, base, health_word);
	for (p = ctl_reasons(&health, hcode); *p != '\0';
	     p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		printf("  %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
	}
	ctl_print_ha(json_get(st, "ha"));
	printf("watches: %zu (%zu up, %zu failing, %zu failed)\n", nw,
	    nw - nfailed - nfailing, nfailing, nfailed);
	printf("tasks: %.0f", tasks);
	for (s = 0, sep = " ("; s < TASK_STATE_COUNT; s++) {
		if (f.by_state[s] <= 0)
			continue;
		printf("%s%s %.0f", sep, task_state_name((enum task_state)s),
		    f.by_state[s]);
		sep = ", ";
	}
	printf("%s\npending notifications: %.0f\n", *sep == ',' ? ")" : "",
	    f.pending);
	if (st != NULL)
		ctl_print_status(reload, dead, ndead);
out:
	json_free(root);
	json_free(st);
	buf_free(&status);
	buf_free(&health);
	buf_free(&watches);
	buf_free(&metrics);
	return ret;
}

/*
 * The path of /api/v1/tasks or /api/v1/durations with the filters
 * (watch=, and state= or api=), percent-encoded.
 */
static char *
ctl_query_path(const char *path, const struct ctl_opts *o)
{
	const char *names[2] = { "watch", "state" }, *values[2];
	struct buf b;
	CURL *c = curl_easy_init();
	char *e;
	size_t i, n = 0;

	values[0] = o->watch;
	values[1] = o->state;
	if (o->api != NULL) {
		names[1] = "api";
		values[1] = o->api;
	}
	buf_init(&b, 0);
	buf_puts(&b, path);
	for (i = 0; i < 2 && c != NULL; i++) {
		if (values[i] == NULL ||
		    (e = curl_easy_escape(c, values[i], 0)) == NULL)
			continue;
		buf_printf(&b, "%c%s=%s", n++ == 0 ? '?' : '&', names[i], e);
		curl_free(e);
	}
	if (c != NULL)
		curl_easy_cleanup(c);
	return buf_release(&b);
}

/* The /api/v1/dead path with the notifier filter, percent-encoded. */
static char *
ctl_dead_path(const struct ctl_opts *o)
{
	CURL *c;
	char *e, *path;

	if (o->notifier == NULL || (c = curl_easy_init()) == NULL)
		return xstrdup("/api/v1/dead");
	if ((e = curl_easy_escape(c, o->notifier, 0)) == NULL)
		path = xstrdup("/api/v1/dead");
	else
		path = xasprintf("/api/v1/dead?notifier=%s", e);
	curl_free(e);
	curl_easy_cleanup(c);
	return path;
}

/* Fetch one JSON endpoint and print it raw or as a table. */
static int
ctl_list(const char *base, const struct ctl_opts *o)
{
	struct buf body;
	struct json *err;
	char *path;
	long code = 0;
	int ret = 1;

	if (strcmp(o->cmd, "tasks") == 0)
		path = ctl_query_path("/api/v1/tasks", o);
	else if (strcmp(o->cmd, "durations") == 0)
		path = ctl_query_path("/api/v1/durations", o);
	else if (strcmp(o->cmd, "dead") == 0)
		path = ctl_dead_path(o);
	else
		path = xstrdup("/api/v1/watches");
	buf_init(&body, CTL_MAX_BODY);
	if (ctl_get(base, path, &body, &code) == -1)
		goto out;
	if (code != 200) {
		err = json_parse(buf_str(&body), body.len, NULL);
		fprintf(stderr, "taskwatchctl: %s: %s\n", path,
		    err && json_get_str(err, "error")
			? json_get_str(err, "error")
			: "unexpected answer");
		json_free(err);
		goto out;
	}
	if (o->json) {
		fwrite(buf_str(&body), 1, body.len, stdout);
		if (body.len == 0 || buf_str(&body)[body.len - 1] != '\n')
			putchar('\n');
		ret = 0;
	} else if (strcmp(o->cmd, "tasks") == 0)
		ret = ctl_tasks(&body);
	else if (strcmp(o->cmd, "durations") == 0)
		ret = ctl_durations(&body);
	else if (strcmp(o->cmd, "dead") == 0)
		ret = ctl_dead(&body);
	else
		ret = ctl_watches(&body);
out:
	buf_free(&body);
	free(path);
	return ret;
}

/* Run "status", "watches" or "tasks" (argv[0]); the exit status. */
int
ctl_status(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ "watch", required_argument, NULL, 'W' },
		{ "notifier", required_argument, NULL, 'N' },
		{ "api", required_argument, NULL, 'A' },
		{ "server", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o;
	char *addr = NULL, *base;
	int ch, ret;

	memset(&o, 0, sizeof(o));
	o.cmd = argv[0];
	if (strcmp(o.cmd, "dead") == 0) {
		/* "dead list"; "dead retry" goes through the control socket. */
		if (argc < 2 || strcmp(argv[1], "list") != 0)
			ctl_status_usage();
		argc--;
		argv++;
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o.file = optarg;
			break;
		case 's':
			o.server = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'S':
			o.state = optarg;
			break;
		case 'W':
			o.watch = optarg;
			break;
		case 'N':
			o.notifier = optarg;
			break;
		case 'A':
			o.api = optarg;
			break;
		default:
			ctl_status_usage();
		}
	}
	if (optind != argc || (o.state && strcmp(o.cmd, "tasks") != 0) ||
	    (o.watch && strcmp(o.cmd, "tasks") != 0 &&
		strcmp(o.cmd, "durations") != 0) ||
	    (o.api && strcmp(o.cmd, "durations") != 0) ||
	    (o.notifier && strcmp(o.cmd, "dead") != 0))
		ctl_status_usage();
	if ((ret = ctl_address(&o, &addr)) != 0)
		return ret;
	if ((base = ctl_base_url(addr)) == NULL) {
		fprintf(stderr,
		    "taskwatchctl: invalid address %s: use "
		    "host:port or [v6addr]:port\n",
		    addr);
		free(addr);
		return CTL_EX_USAGE;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(o.cmd, "status") == 0)
		ret = ctl_summary(base, &o);
	else
		ret = ctl_list(base, &o);
	curl_global_cleanup();
	free(base);
	free(addr);
	return ret;
}
