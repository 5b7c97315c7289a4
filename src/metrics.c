/*
 * The metrics registry.  A family has a name, a type, a help text and, for
 * a histogram, its bucket bounds; its series are kept in a hash keyed by
 * the rendered label text, so an increment costs one format and one
 * lookup.  Rendering sorts the series so the output is stable.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hashmap.h"
#include "metrics.h"
#include "xmalloc.h"

#define METRICS_LABELS_MAX 4096 /* bytes of one series' label text */

/* One labelled series of a family. */
struct metrics_series {
	struct hashmap_entry hentry; /* first: keyed by labels */
	char *labels;                /* a="x",b="y"; "" for none */
	double value;                /* counter, gauge */
	uint64_t *buckets; /* histogram: count per bucket, not cumulative */
	double sum;
	uint64_t count;
};

/* A metric family and its series. */
struct metrics_family {
	char *name;
	char *help;
	enum metrics_type type;
	double *bounds;
	size_t nbounds;
	struct hashmap series; /* by labels */
	struct metrics_family *next;
};

struct metrics {
	struct metrics_family *head;
	struct metrics_family **tail;
};

static struct metrics *metrics_process;

/* Bucket bounds of taskwatch_poll_duration_seconds. */
static const double metrics_poll_bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30, 60, 120 };

/* An empty registry. */
struct metrics *
metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	m->tail = &m->head;
	return m;
}

/* Free one series. */
static void
metrics_series_free(struct metrics_series *s)
{
	free(s->labels);
	free(s->buckets);
	free(s);
}

/* Drop every series of a family. */
static void
metrics_family_clear(struct metrics_family *f)
{
	struct hashmap_iter it;
	struct hashmap_entry *e;

	hashmap_walk_init(&it, &f->series);
	while ((e = hashmap_walk(&it)) != NULL)
		metrics_series_free(
		    HASHMAP_ITEM(e, struct metrics_series, hentry));
	hashmap_clear(&f->series);
}

/* Free a registry; NULL is a no-op. */
void
metrics_free(struct metrics *m)
{
	struct metrics_family *f, *next;

	if (m == NULL)
		return;
	for (f = m->head; f != NULL; f = next) {
		next = f->next;
		metrics_family_clear(f);
		free(f->bounds);
		free(f->help);
		free(f->name);
		free(f);
	}
	free(m);
}

/* A family of the process's registry. */
struct metrics_def {
	const char *name;
	enum metrics_type type;
	const char *help;
	const double *bounds; /* histogram */
	size_t nbounds;
};

/* The families of product.md, in the order they are rendered. */
static const struct metrics_def metrics_defs[] = {
	{ METRICS_BUILD_INFO, METRICS_GAUGE, "Version of taskwatchd; always 1.",
	    NULL, 0 },
	{ METRICS_SHARD, METRICS_GAUGE,
	    "This instance's shard of the poll units (index of count); "
	    "count 0: unsharded.",
	    NULL, 0 },
	{ METRICS_POLLS, METRICS_COUNTER,
	    "Polls of each watch by result (ok or the error class).", NULL, 0 },
	{ METRICS_POLL_DURATION, METRICS_HISTOGRAM,
	    "Duration of each watch's polls, all pages and lookups.",
	    metrics_poll_bounds,
	    sizeof(metrics_poll_bounds) / sizeof(metrics_poll_bounds[0]) },
	{ METRICS_TASKS, METRICS_GAUGE,
	    "Tasks in the task table by watch and canonical state.", NULL, 0 },
	{ METRICS_EVENTS, METRICS_COUNTER,
	    "Events detected by watch and event kind.", NULL, 0 },
	{ METRICS_EVENTS_SILENCED, METRICS_COUNTER,
	    "Events a silence or an open maintenance window held back from "
	    "the notifiers without send_silenced, by watch and event kind.",
	    NULL, 0 },
	{ METRICS_NOTIFICATIONS, METRICS_COUNTER,
	    "Notification attempts by notifier and result (delivered, "
	    "retried, failed, dead).",
	    NULL, 0 },
	{ METRICS_OUTBOX_PENDING, METRICS_GAUGE,
	    "Notifications queued or in flight per notifier.", NULL, 0 },
	{ METRICS_WATCH_UP, METRICS_GAUGE,
	    "1 unless the watch's last poll failed.", NULL, 0 },
	{ METRICS_LAST_SUCCESS, METRICS_GAUGE,
	    "Unix time of the watch's last successful poll; 0 if none.", NULL,
	    0 },
	{ METRICS_HTTP_REQUESTS, METRICS_COUNTER,
	    "HTTP requests the client completed (APIs, tokens, webhooks).",
	    NULL, 0 },
	{ METRICS_HTTP_REUSED, METRICS_COUNTER,
	    "Completed HTTP requests that reused an open connection.", NULL,
	    0 },
	{ METRICS_DEAD_LETTERS, METRICS_GAUGE,
	    "Dead letters on disk per notifier (state_dir/dead).", NULL, 0 },
	{ METRICS_OUTBOX_OLDEST, METRICS_GAUGE,
	    "Age of the oldest undelivered notification per notifier; 0 if "
	    "none.",
	    NULL, 0 },
	{ METRICS_STATE_WRITE_FAILURES, METRICS_COUNTER,
	    "Writes to state_dir that failed, by file (outbox, task_table, "
	    "alerts, hooks).",
	    NULL, 0 },
	{ METRICS_RELOAD_OK, METRICS_GAUGE,
	    "1 if the last configuration reload succeeded (or none was "
	    "made).",
	    NULL, 0 },
	{ METRICS_RELOAD_SUCCESS_TIME, METRICS_GAUGE,
	    "Unix time of the last successful configuration load.", NULL, 0 },
	{ METRICS_ACCOUNT_PAUSED, METRICS_GAUGE,
	    "1 while an account's requests are held, by reason (auth: after "
	    "an authentication failure; throttled).",
	    NULL, 0 },
	{ METRICS_IAM_TOKEN_EXPIRY, METRICS_GAUGE,
	    "Unix time the cached IAM token of an account expires.", NULL, 0 },
	{ METRICS_WATCH_FAILED, METRICS_GAUGE,
	    "1 while the watch is failed (watch_failed raised).", NULL, 0 },
	{ METRICS_WATCH_FLAPPING, METRICS_GAUGE,
	    "1 while the watch flaps (watch_flapping raised, not recovered).",
	    NULL, 0 },
	{ METRICS_WATCH_UNREAD, METRICS_GAUGE,
	    "Scopes (a DWS cluster and action) the watch's last listing "
	    "could not read; their tasks stay as they were.",
	    NULL, 0 },
	{ METRICS_HOOK_SUPPRESSED, METRICS_COUNTER,
	    "Exec hook runs not made, by notifier and reason (budget: its "
	    "run budget is spent; circuit_open).",
	    NULL, 0 },
	{ METRICS_HOOK_CIRCUIT_OPEN, METRICS_GAUGE,
	    "1 while an exec notifier's circuit breaker is not closed (open, "
	    "or waiting for a trial run).",
	    NULL, 0 },
	{ METRICS_PROCESS_START, METRICS_GAUGE,
	    "Start time of the process since unix epoch in seconds.", NULL, 0 },
	{ METRICS_HOOK_RUNS, METRICS_COUNTER,
	    "Exec hook runs by notifier and outcome (ok, failed, tempfail, "
	    "signal, timeout, error, cancelled, dry_run).",
	    NULL, 0 },
	{ METRICS_AUDIT_WRITE_ERRORS, METRICS_COUNTER,
	    "Lines of state_dir/audit.jsonl that could not be written.", NULL,
	    0 },
};

/* The process's registry with the families of product.md defined. */
struct metrics *
metrics_global(void)
{
	struct metrics *m;
	size_t i;

	if (metrics_process != NULL)
		return metrics_process;
	m = metrics_process = metrics_new();
	for (i = 0; i < sizeof(metrics_defs) / sizeof(metrics_defs[0]); i++)
		metrics_define(m, metrics_defs[i].name, metrics_defs[i].type,
		    metrics_defs[i].help, metrics_defs[i].bounds,
		    metrics_defs[i].nbounds);
	metrics_set(
	    m, METRICS_BUILD_INFO, 1, "version", TASKWATCH_VERSION, NULL);
	metrics_add(m, METRICS_STATE_WRITE_FAILURES, 0, "file", "outbox", NULL);
	metrics_add(
	    m, METRICS_STATE_WRITE_FAILURES, 0, "file", "task_table", NULL);
	metrics_add(m, METRICS_STATE_WRITE_FAILURES, 0, "file", "alerts", NULL);
	metrics_add(m, METRICS_AUDIT_WRITE_ERRORS, 0, NULL);
	return m;
}

/* Free the process's registry (at exit). */
void
metrics_global_free(void)
{
	metrics_free(metrics_process);
	metrics_process = NULL;
}

/* The family called name, or NULL. */
static struct metrics_family *
metrics_find(const struct metrics *m, const char *name)
{
	struct metrics_family *f;

	for (f = m->head; f != NULL; f = f->next) {
		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

/* Define a family, once (see metrics.h). */
void
metrics_define(struct metrics *m, const char *name, enum metrics_type type,
    const char *help, const double *bounds, size_t nbounds)
{
	struct metrics_family *f;

	if (metrics_find(m, name) != NULL)
		return;
	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(name);
	f->help = xstrdup(help != NULL ? help : "");
	f->type = type;
	if (type == METRICS_HISTOGRAM && nbounds > 0) {
		f->bounds = xreallocarray(NULL, nbounds, sizeof(*f->bounds));
		memcpy(f->bounds, bounds, nbounds * sizeof(*f->bounds));
		f->nbounds = nbounds;
	}
	hashmap_init(&f->series);
	*m->tail = f;
	m->tail = &f->next;
}

/* Append s escaped: backslash, newline and (quote) '"'; -1 past the cap. */
static int
metrics_escape(struct buf *b, const char *s, int quote)
{
	int ret = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\')
			ret |= buf_puts(b, "\\\\");
		else if (*s == '\n')
			ret |= buf_puts(b, "\\n");
		else if (*s == '"' && quote)
			ret |= buf_puts(b, "\\\"");
		else
			ret |= buf_putc(b, *s);
	}
	return ret;
}

/* Render the label pairs of ap as a="x",b="y" into a new string. */
static char *
metrics_labels(va_list ap)
{
	struct buf b;
	const char *k, *v;
	int first = 1;

	buf_init(&b, METRICS_LABELS_MAX);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		buf_printf(&b, "%s%s=\"", first ? "" : ",", k);
		metrics_escape(&b, v != NULL ? v : "", 1);
		buf_putc(&b, '"');
		first = 0;
	}
	return buf_release(&b);
}

/* The series of f with these labels; created when create, else NULL. */
static struct metrics_series *
metrics_series(struct metrics_family *f, char *labels, int create)
{
	struct metrics_series *s;
	struct hashmap_entry *e;

	if ((e = hashmap_get(&f->series, labels)) != NULL) {
		free(labels);
		return HASHMAP_ITEM(e, struct metrics_series, hentry);
	}
	if (!create) {
		free(labels);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->labels = labels;
	if (f->type == METRICS_HISTOGRAM)
		s->buckets = xcalloc(f->nbounds + 1, sizeof(*s->buckets));
	hashmap_add(&f->series, &s->hentry, s->labels);
	return s;
}

/* Apply v to the series named by ap, as the family's type wants. */
static int
metrics_update(struct metrics *m, const char *name, enum metrics_type type,
    double v, va_list ap)
{
	struct metrics_family *f;
	struct metrics_series *s;
	size_t i;

	if (m == NULL || (f = metrics_find(m, name)) == NULL || f->type != type)
		return -1;
	s = metrics_series(f, metrics_labels(ap), 1);
	switch (type) {
	case METRICS_COUNTER:
		s->value += v;
		break;
	case METRICS_GAUGE:
		s->value = v;
		break;
	case METRICS_HISTOGRAM:
		for (i = 0; i < f->nbounds && v > f->bounds[i]; i++)
			;
		s->buckets[i]++;
		s->sum += v;
		s->count++;
		break;
	}
	return 0;
}

/* Add v to a counter. */
int
metrics_add(struct metrics *m, const char *name, double v, ...)
{
	va_list ap;
	int ret;

	va_start(ap, v);
	ret = metrics_update(m, name, METRICS_COUNTER, v, ap);
	va_end(ap);
	return ret;
}

/* Set a gauge. */
int
metrics_set(struct metrics *m, const char *name, double v, ...)
{
	va_list ap;
	int ret;

	va_start(ap, v);
	ret = metrics_update(m, name, METRICS_GAUGE, v, ap);
	va_end(ap);
	return ret;
}

/* Observe a value in a histogram. */
int
metrics_observe(struct metrics *m, const char *name, double v, ...)
{
	va_list ap;
	int ret;

	va_start(ap, v);
	ret = metrics_update(m, name, METRICS_HISTOGRAM, v, ap);
	va_end(ap);
	return ret;
}

/* The value (or histogram count) of a series; 0 if none. */
double
metrics_get(const struct metrics *m, const char *name, ...)
{
	struct metrics_family *f;
	struct metrics_series *s;
	va_list ap;

	if (m == NULL || (f = metrics_find(m, name)) == NULL)
		return 0;
	va_start(ap, name);
	s = metrics_series(f, metrics_labels(ap), 0);
	va_end(ap);
	if (s == NULL)
		return 0;
	return f->type == METRICS_HISTOGRAM ? (double)s->count : s->value;
}

/* Drop every series of a family. */
void
metrics_reset(struct metrics *m, const char *name)
{
	struct metrics_family *f;

	if (m != NULL && (f = metrics_find(m, name)) != NULL)
		metrics_family_clear(f);
}

/* Format a sample value as Prometheus reads it. */
static void
metrics_number(double v, char *dst, size_t len)
{
	int prec;

	if (v != v)
		snprintf(dst, len, "NaN");
	else if (v > 1e308)
		snprintf(dst, len, "+Inf");
	else if (v < -1e308)
		snprintf(dst, len, "-Inf");
	else if (v >= -9e15 && v <= 9e15 && v == (double)(int64_t)v)
		snprintf(dst, len, "%lld", (long long)v);
	else {
		/* The shortest text that reads back as the same double. */
		for (prec = 1; prec < 17; prec++) {
			snprintf(dst, len, "%.*g", prec, v);
			if (strtod(dst, NULL) == v)
				return;
		}
		snprintf(dst, len, "%.17g", v);
	}
}

/* qsort: series by label text. */
static int
metrics_series_cmp(const void *a, const void *b)
{
	const struct metrics_series *sa =
	    *(const struct metrics_series *const *)a;
	const struct metrics_series *sb =
	    *(const struct metrics_series *const *)b;

	return strcmp(sa->labels, sb->labels);
}

/* One sample line: name{labels[,extra]} value; -1 past the cap. */
static int
metrics_sample(struct buf *b, const char *name, const char *suffix,
    const char *labels, const char *extra, double v)
{
	char num[64];
	int has = labels[0] != '\0', hasx = extra != NULL, ret;

	metrics_number(v, num, sizeof(num));
	ret = buf_printf(b, "%s%s", name, suffix);
	if (has || hasx)
		ret |= buf_printf(b, "{%s%s%s}", labels, has && hasx ? "," : "",
		    hasx ? extra : "");
	ret |= buf_printf(b, " %s\n", num);
	return ret;
}

/* Render one histogram series; -1 past the cap. */
static int
metrics_render_histogram(struct buf *b, const struct metrics_family *f,
    const struct metrics_series *s)
{
	char le[80], num[64];
	uint64_t cum = 0;
	size_t i;
	int ret = 0;

	for (i = 0; i <= f->nbounds; i++) {
		cum += s->buckets[i];
		if (i < f->nbounds) {
			metrics_number(f->bounds[i], num, sizeof(num));
			snprintf(le, sizeof(le), "le=\"%s\"", num);
		} else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		ret |= metrics_sample(
		    b, f->name, "_bucket", s->labels, le, (double)cum);
	}
	ret |= metrics_sample(b, f->name, "_sum", s->labels, NULL, s->sum);
	ret |= metrics_sample(
	    b, f->name, "_count", s->labels, NULL, (double)s->count);
	return ret;
}

/* Append the Prometheus text format; -1 past b's cap. */
int
metrics_render(const struct metrics *m, struct buf *b)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct metrics_family *f;
	struct metrics_series **v;
	struct hashmap_iter it;
	struct hashmap_entry *e;
	size_t i, n;
	int ret = 0;

	for (f = m->head; f != NULL && ret == 0; f = f->next) {
		ret |= buf_printf(b, "# HELP %s ", f->name);
		ret |= metrics_escape(b, f->help, 0);
		ret |=
		    buf_printf(b, "\n# TYPE %s %s\n", f->name, types[f->type]);
		n = hashmap_count(&f->series);
		v = xreallocarray(NULL, n ? n : 1, sizeof(*v));
		hashmap_walk_init(&it, &f->series);
		for (i = 0; (e = hashmap_walk(&it)) != NULL; i++)
			v[i] = HASHMAP_ITEM(e, struct metrics_series, hentry);
		qsort(v, n, sizeof(*v), metrics_series_cmp);
		for (i = 0; i < n && ret == 0; i++) {
			if (f->type == METRICS_HISTOGRAM)
				ret |= metrics_render_histogram(b, f, v[i]);
			else
				ret |= metrics_sample(b, f->name, "",
				    v[i]->labels, NULL, v[i]->value);
		}
		free(v);
	}
	return ret == 0 ? 0 : -1;
}
