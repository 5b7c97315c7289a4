/*
 * Events: construction and ownership, the default severity table of
 * product.md, the stable id (a SHA-256 over what identifies the occurrence,
 * never over times or routing), the JSON event document and the one-line
 * summary.  Pure; no I/O.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "buf.h"
#include "config.h"
#include "evt.h"
#include "json.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define EVT_SUMMARY_MAX 300

static const char *evt_kind_names[EVT_KIND_COUNT] = {
	"appeared",
	"transition",
	"vanished",
	"stalled",
	"watch_failed",
	"watch_recovered",
	"replaced",
	"watch_flapping",
	"silence_ended",
	"overdue",
	"hook_failed",
	"hook_suppressed",
	"hook_circuit_open",
};

/* "appeared", "transition", ...; "unknown" out of range. */
const char *
evt_kind_name(enum evt_kind kind)
{
	if ((int)kind < 0 || kind >= EVT_KIND_COUNT)
		return "unknown";
	return evt_kind_names[kind];
}

/* 1 if events of kind are about a watch, not a task (watch_*). */
static int
evt_kind_watch(enum evt_kind kind)
{
	return kind == EVT_WATCH_FAILED || kind == EVT_WATCH_RECOVERED ||
	    kind == EVT_WATCH_FLAPPING;
}

/* 1 if events of kind are about an exec notifier's hook (hook_*). */
int
evt_kind_hook(enum evt_kind kind)
{
	return kind == EVT_HOOK_FAILED || kind == EVT_HOOK_SUPPRESSED ||
	    kind == EVT_HOOK_CIRCUIT_OPEN;
}

/* The kind of a name; -1 if unknown. */
int
evt_kind_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < EVT_KIND_COUNT; i++) {
		if (strcmp(evt_kind_names[i], name) == 0)
			return i;
	}
	return -1;
}

/* A new, empty event of a kind: task initialised, severity unset. */
struct evt *
evt_new(enum evt_kind kind)
{
	struct evt *ev = xcalloc(1, sizeof(*ev));

	ev->kind = kind;
	ev->severity = CONFIG_SEVERITY_UNSET;
	task_init(&ev->task);
	ev->prev_state = TASK_UNKNOWN;
	ev->prev_progress = TASK_PROGRESS_NONE;
	ev->fail_since = TASK_TIME_NONE;
	ev->last_success = TASK_TIME_NONE;
	return ev;
}

/* Free an event; NULL is a no-op. */
void
evt_free(struct evt *ev)
{
	if (ev == NULL)
		return;
	free(ev->rule);
	free(ev->watch);
	free(ev->api);
	free(ev->account);
	free(ev->region);
	task_clear(&ev->task);
	free(ev->prev_raw);
	free(ev->base_type);
	free(ev->error_class);
	free(ev->error_msg);
	free(ev->obs);
	free(ev->silenced);
	evt_ack_free(ev->ack);
	free(ev->after_silence);
	free(ev->silence_doc);
	free(ev->overdue_doc);
	free(ev->hook_doc);
	free(ev->hook_notifier);
	free(ev);
}

/* A new acknowledgement (see evt.h). */
struct evt_ack *
evt_ack_new(long uid, int64_t at, const char *comment, enum task_state state)
{
	struct evt_ack *a = xcalloc(1, sizeof(*a));
	struct buf b;
	size_t n;

	a->by_uid = uid;
	a->at = at;
	a->state = state;
	if (comment == NULL)
		return a;
	buf_init(&b, 0);
	for (; *comment != '\0' && b.len < EVT_ACK_COMMENT_MAX; comment++) {
		if ((unsigned char)*comment >= 0x20 && *comment != 0x7f)
			buf_putc(&b, *comment);
	}
	/* Cut at a character, not inside one: drop its first bytes. */
	n = b.len;
	if (((unsigned char)*comment & 0xc0) == 0x80) {
		while (n > 0 && ((unsigned char)b.data[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
	}
	if (n > 0)
		a->comment = xstrndup(b.data, n);
	buf_free(&b);
	return a;
}

/* A copy of an acknowledgement; NULL for NULL. */
struct evt_ack *
evt_ack_dup(const struct evt_ack *a)
{
	struct evt_ack *d;

	if (a == NULL)
		return NULL;
	d = xmalloc(sizeof(*d));
	*d = *a;
	d->comment = xstrdup(a->comment);
	return d;
}

/* Free an acknowledgement; NULL is a no-op. */
void
evt_ack_free(struct evt_ack *a)
{
	if (a == NULL)
		return;
	free(a->comment);
	free(a);
}

/* Deep copy. */
struct evt *
evt_dup(const struct evt *ev)
{
	struct evt *d = xmalloc(sizeof(*d));

	*d = *ev;
	d->rule = xstrdup(ev->rule);
	d->watch = xstrdup(ev->watch);
	d->api = xstrdup(ev->api);
	d->account = xstrdup(ev->account);
	d->region = xstrdup(ev->region);
	task_init(&d->task);
	task_copy(&d->task, &ev->task);
	d->prev_raw = xstrdup(ev->prev_raw);
	d->base_type = xstrdup(ev->base_type);
	d->error_class = xstrdup(ev->error_class);
	d->error_msg = xstrdup(ev->error_msg);
	d->obs = xstrdup(ev->obs);
	d->silenced = xstrdup(ev->silenced);
	d->ack = evt_ack_dup(ev->ack);
	d->after_silence = xstrdup(ev->after_silence);
	d->silence_doc = xstrdup(ev->silence_doc);
	d->overdue_doc = xstrdup(ev->overdue_doc);
	d->hook_doc = xstrdup(ev->hook_doc);
	d->hook_notifier = xstrdup(ev->hook_notifier);
	return d;
}

/* 1 if s ends in suffix, ignoring case. */
static int
evt_has_suffix(const char *s, const char *suffix)
{
	size_t n, m = strlen(suffix);

	if (s == NULL || (n = strlen(s)) < m)
		return 0;
	return strcasecmp(s + n - m, suffix) == 0;
}

/* The default severity of product.md for this event. */
enum config_severity
evt_default_severity(const struct evt *ev)
{
	enum task_state last;

	switch (ev->kind) {
	case EVT_APPEARED:
		if (ev->task.state == TASK_FAILED ||
		    evt_has_suffix(ev->task.type, "_FAILED") ||
		    (ev->task.type != NULL &&
			strcasecmp(ev->task.type, "RESIZE_FAILURE") == 0))
			return CONFIG_SEVERITY_CRITICAL;
		return CONFIG_SEVERITY_INFO;
	case EVT_TRANSITION:
		switch (ev->task.state) {
		case TASK_FAILED:
			return CONFIG_SEVERITY_CRITICAL;
		case TASK_PARTIAL:
		case TASK_ROLLED_BACK:
		case TASK_CANCELLED:
		case TASK_ROLLING_BACK:
			return CONFIG_SEVERITY_WARNING;
		default:
			return CONFIG_SEVERITY_INFO;
		}
	case EVT_VANISHED:
		last = ev->has_previous ? ev->prev_state : ev->task.state;
		return task_state_terminal(last) ? CONFIG_SEVERITY_INFO
						 : CONFIG_SEVERITY_WARNING;
	case EVT_STALLED:
		return CONFIG_SEVERITY_WARNING;
	case EVT_REPLACED:
		/*
		 * A newer run of its action took its place: not a failure
		 * again.  One replaced before it was seen to end may have
		 * failed unseen: a warning, so it is not taken as benign.
		 */
		last = ev->has_previous ? ev->prev_state : ev->task.state;
		return task_state_terminal(last) ? CONFIG_SEVERITY_INFO
						 : CONFIG_SEVERITY_WARNING;
	case EVT_WATCH_FAILED:
		if (ev->error_class != NULL &&
		    strcmp(ev->error_class, "auth") == 0)
			return CONFIG_SEVERITY_CRITICAL;
		return CONFIG_SEVERITY_WARNING;
	case EVT_WATCH_FLAPPING:
	case EVT_OVERDUE:
	case EVT_HOOK_FAILED:
	case EVT_HOOK_SUPPRESSED:
		return CONFIG_SEVERITY_WARNING;
	case EVT_HOOK_CIRCUIT_OPEN:
		/* Remediation is off until it closes: someone must look. */
		return CONFIG_SEVERITY_CRITICAL;
	case EVT_WATCH_RECOVERED:
	default:
		return CONFIG_SEVERITY_INFO;
	}
}

/* Fill in the default severity (if unset) and compute the stable id. */
void
evt_finish(struct evt *ev)
{
	if (ev->severity == CONFIG_SEVERITY_UNSET)
		ev->severity = evt_default_severity(ev);
	evt_compute_id(ev, ev->id);
}

/*
 * Add one field to the id's serialisation: a 4-byte big-endian length then
 * the bytes; an absent field (NULL) is the length 0xffffffff alone, so that
 * absent and empty differ.
 */
static void
evt_id_field(struct buf *b, const char *s)
{
	unsigned char len[4];
	size_t n = s != NULL ? strlen(s) : 0;
	uint32_t v = s != NULL ? (uint32_t)n : UINT32_MAX;

	len[0] = (unsigned char)(v >> 24);
	len[1] = (unsigned char)(v >> 16);
	len[2] = (unsigned char)(v >> 8);
	len[3] = (unsigned char)v;
	buf_add(b, len, sizeof(len));
	if (s != NULL)
		buf_add(b, s, n);
}

/*
 * The stable id: hex of the first 16 bytes of SHA-256 over "v2", watch,
 * cluster, task id, kind, previous and current state and raw word, and obs.
 * Times, severity, rule and missed are deliberately left out.  A task
 * reaching a state is one event however it was seen: appeared already in
 * it or a transition, from whichever previous state (a daemon restarted
 * on a table saved before the task's last change sees it differently), so
 * that the outbox and receivers drop the copy.
 */
void
evt_compute_id(const struct evt *ev, char out[EVT_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	char started[24];
	struct buf b;
	size_t i;
	int reached;

	buf_init(&b, 0);
	reached = ev->kind == EVT_APPEARED || ev->kind == EVT_TRANSITION;
	evt_id_field(&b, "v2");
	evt_id_field(&b, ev->watch);
	evt_id_field(&b, ev->has_task ? ev->task.cluster_id : NULL);
	evt_id_field(&b, ev->has_task ? ev->task.id : NULL);
	evt_id_field(&b, reached ? "reached" : evt_kind_name(ev->kind));
	evt_id_field(&b,
	    ev->has_previous && !reached ? task_state_name(ev->prev_state)
					 : NULL);
	evt_id_field(&b, ev->has_previous && !reached ? ev->prev_raw : NULL);
	evt_id_field(&b, ev->has_task ? task_state_name(ev->task.state) : NULL);
	evt_id_field(&b, ev->has_task ? ev->task.raw_status : NULL);
	evt_id_field(&b, ev->obs);
	/*
	 * A task that runs again under the same id (a new run has a new
	 * start) must not repeat the ids of its earlier run's events.
	 */
	if (ev->has_task && ev->task.started_at != TASK_TIME_NONE) {
		snprintf(started, sizeof(started), "%lld",
		    (long long)ev->task.started_at);
		evt_id_field(&b, started);
	}
	SHA256((const unsigned char *)buf_str(&b), b.len, md);
	buf_free(&b);
	for (i = 0; i < EVT_ID_LEN / 2; i++) {
		out[i * 2] = hex[md[i] >> 4];
		out[i * 2 + 1] = hex[md[i] & 15];
	}
	out[EVT_ID_LEN] = '\0';
}

/*
 * The fields of the event document (evt_to_json), as template paths;
 * task.detail holds the vendor's own fields, whatever they are.
 */
static const char *const evt_doc_fields[] = { "version", "id", "event",
	"severity", "rule", "occurred_at", "observed_at", "missed", "test",
	"silenced", "after_silence", "silence", "silence.id",
	"silence.matchers", "silence.comment", "silence.window",
	"silence.starts_at", "silence.ends_at", "silence.events",
	"silence.tasks_total", "silence.tasks", "silence.raised_again",
	"overdue", "overdue.age_seconds", "overdue.limit_seconds",
	"overdue.source", "overdue.p50_seconds", "overdue.p95_seconds",
	"overdue.samples", "overdue.reason", "hook", "hook.notifier",
	"hook.event_id", "hook.event_kind", "hook.reason", "hook.outcome",
	"hook.exit_status", "hook.signal", "hook.timed_out", "hook.error",
	"hook.duration_ms", "hook.stderr_tail", "hook.attempt", "ack",
	"ack.by_uid", "ack.at", "ack.comment", "ack.state", "watch", "api",
	"account", "region", "task", "task.id", "task.type", "task.base_type",
	"task.cluster_id", "task.cluster_name", "task.state", "task.raw_status",
	"task.progress", "task.started_at", "task.ended_at", "task.reason",
	"task.detail", "previous", "previous.state", "previous.raw_status",
	"previous.progress", "since", "consecutive_failures", "last_success",
	"flap_cycles", "flap_window_seconds", "error", "error.class",
	"error.message", "summary", "hook.budget_key", "hook.max_runs",
	"hook.per_window_s", "hook.per", "hook.runs", "hook.suppressed",
	"hook.until", "hook.consecutive_failures", "hook.last_outcome", NULL };

/* 1 if path ("task.id") names a field the event document may have. */
int
evt_doc_field(const char *path)
{
	size_t i;

	if (strncmp(path, "task.detail.", 12) == 0 && path[12] != '\0')
		return 1;
	for (i = 0; evt_doc_fields[i] != NULL; i++)
		if (strcmp(evt_doc_fields[i], path) == 0)
			return 1;
	return 0;
}

/* Write key: RFC 3339 time, or null when none. */
static void
evt_json_time(struct json_writer *w, const char *key, int64_t t)
{
	char s[UTIL_RFC3339_LEN];

	json_w_key(w, key);
	if (t == TASK_TIME_NONE) {
		json_w_null(w);
		return;
	}
	util_format_rfc3339(t, s);
	json_w_str(w, s);
}

/* Write key: a progress, or null when none. */
static void
evt_json_progress(struct json_writer *w, const char *key, int progress)
{
	json_w_key(w, key);
	if (progress == TASK_PROGRESS_NONE)
		json_w_null(w);
	else
		json_w_int(w, progress);
}

/* The task object; base_type after type unless NULL. */
static void
evt_write_task_base(
    struct json_writer *w, const struct task *t, const char *base_type)
{
	json_w_obj_open(w);
	json_w_kstr(w, "id", t->id);
	json_w_kstr(w, "type", t->type);
	if (base_type != NULL)
		json_w_kstr(w, "base_type", base_type);
	json_w_kstr(w, "cluster_id", t->cluster_id);
	json_w_kstr(w, "cluster_name", t->cluster_name);
	json_w_kstr(w, "state", task_state_name(t->state));
	json_w_kstr(w, "raw_status", t->raw_status);
	evt_json_progress(w, "progress", t->progress);
	evt_json_time(w, "started_at", t->started_at);
	evt_json_time(w, "ended_at", t->ended_at);
	json_w_kstr(w, "reason", t->reason);
	json_w_key(w, "detail");
	json_w_raw(w, t->detail != NULL ? t->detail : "{}");
	json_w_obj_close(w);
}

/* Write a task as the "task" object of the event document. */
void
evt_write_task(struct json_writer *w, const struct task *t)
{
	evt_write_task_base(w, t, NULL);
}

/* Write an acknowledgement as member key; nothing when a is NULL. */
void
evt_write_ack(struct json_writer *w, const char *key, const struct evt_ack *a)
{
	if (a == NULL)
		return;
	json_w_key(w, key);
	json_w_obj_open(w);
	json_w_kint(w, "by_uid", a->by_uid);
	json_w_ktime(w, "at", a->at);
	json_w_kstr(w, "comment", a->comment);
	json_w_kstr(w, "state", task_state_name(a->state));
	json_w_obj_close(w);
}

/* The base type of the event's task: base_type, else the task's type. */
const char *
evt_base_type(const struct evt *ev)
{
	return ev->base_type != NULL ? ev->base_type : ev->task.type;
}

/* Read key of o, a string or null, into *out (NULL for null or absent). */
static int
evt_read_str(const struct json *o, const char *key, char **out, char **cause)
{
	const struct json *v = json_get(o, key);

	*out = NULL;
	if (v == NULL || json_type(v) == JSON_NULL)
		return 0;
	if (json_type(v) != JSON_STRING) {
		*cause = xasprintf("%s is not a string", key);
		return -1;
	}
	*out = xstrdup(json_str(v));
	return 0;
}

/* Read key of o, an RFC 3339 time or null (TASK_TIME_NONE). */
static int
evt_read_time(const struct json *o, const char *key, int64_t *out, char **cause)
{
	const struct json *v = json_get(o, key);

	*out = TASK_TIME_NONE;
	if (v == NULL || json_type(v) == JSON_NULL)
		return 0;
	if (json_type(v) != JSON_STRING ||
	    util_parse_time(json_str(v), 0, out) == -1) {
		*cause = xasprintf("%s is not a time", key);
		return -1;
	}
	return 0;
}

/* Read key of o, a progress 0..100 or null (TASK_PROGRESS_NONE). */
static int
evt_read_progress(const struct json *o, const char *key, int *out, char **cause)
{
	const struct json *v = json_get(o, key);
	int64_t n;

	*out = TASK_PROGRESS_NONE;
	if (v == NULL || json_type(v) == JSON_NULL)
		return 0;
	if (json_int(v, 0, &n) == -1 || n < 0 || n > 100) {
		*cause = xasprintf("%s is not a progress", key);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* Read key of o, a canonical state name; UNKNOWN if it is none. */
static enum task_state
evt_read_state(const struct json *o, const char *key)
{
	int s = task_state_from_name(json_get_str(o, key));

	return s < 0 ? TASK_UNKNOWN : (enum task_state)s;
}

/* Read a "task" object as evt_write_task writes it into t. */
int
evt_read_task(const struct json *o, struct task *t, char **cause)
{
	const struct json *detail;

	if (json_type(o) != JSON_OBJECT) {
		*cause = xstrdup("task is not an object");
		return -1;
	}
	if (evt_read_str(o, "id", &t->id, cause) == -1 ||
	    evt_read_str(o, "type", &t->type, cause) == -1 ||
	    evt_read_str(o, "cluster_id", &t->cluster_id, cause) == -1 ||
	    evt_read_str(o, "cluster_name", &t->cluster_name, cause) == -1 ||
	    evt_read_str(o, "raw_status", &t->raw_status, cause) == -1 ||
	    evt_read_str(o, "reason", &t->reason, cause) == -1 ||
	    evt_read_progress(o, "progress", &t->progress, cause) == -1 ||
	    evt_read_time(o, "started_at", &t->started_at, cause) == -1 ||
	    evt_read_time(o, "ended_at", &t->ended_at, cause) == -1)
		goto fail;
	if (t->id == NULL) {
		*cause = xstrdup("task has no id");
		goto fail;
	}
	t->state = evt_read_state(o, "state");
	detail = json_get(o, "detail");
	/* An empty detail is written as {} and kept as NULL. */
	if (json_type(detail) == JSON_OBJECT && json_len(detail) > 0)
		t->detail = json_dump(detail, NULL);
	return 0;
fail:
	task_clear(t);
	return -1;
}

/* Read key of o, an "ack" object, into *out (NULL if absent or null). */
int
evt_read_ack(
    const struct json *o, const char *key, struct evt_ack **out, char **cause)
{
	const struct json *v = json_get(o, key);
	char *comment = NULL;
	int64_t uid, at;

	*out = NULL;
	if (v == NULL || json_type(v) == JSON_NULL)
		return 0;
	if (json_type(v) != JSON_OBJECT ||
	    json_int(json_get(v, "by_uid"), 0, &uid) == -1 || uid < 0) {
		*cause = xasprintf("%s is not an acknowledgement", key);
		return -1;
	}
	if (evt_read_time(v, "at", &at, cause) == -1 ||
	    evt_read_str(v, "comment", &comment, cause) == -1)
		return -1;
	*out = evt_ack_new((long)uid, at, comment, evt_read_state(v, "state"));
	free(comment);
	return 0;
}

/* The "previous" object of a document into ev. */
static int
evt_read_previous(const struct json *o, struct evt *ev, char **cause)
{
	if (json_type(o) == JSON_NULL)
		return 0;
	if (json_type(o) != JSON_OBJECT) {
		*cause = xstrdup("previous is not an object");
		return -1;
	}
	ev->has_previous = 1;
	ev->prev_state = evt_read_state(o, "state");
	if (evt_read_str(o, "raw_status", &ev->prev_raw, cause) == -1 ||
	    evt_read_progress(o, "progress", &ev->prev_progress, cause) == -1)
		return -1;
	return 0;
}

/* A parsed JSON value as compact text (caller frees). */
static char *
evt_json_text(const struct json *v)
{
	struct json_writer *w = json_writer_new();
	char *s;

	json_w_value(w, v);
	s = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return s;
}

/* A count of o (0 to UINT32_MAX), or 0 when absent or none. */
static unsigned
evt_read_count(const struct json *o, const char *key)
{
	int64_t n;

	if (json_int(json_get(o, key), 0, &n) == -1 || n < 0 || n > UINT32_MAX)
		return 0;
	return (unsigned)n;
}

/* The fields evt_write_watch writes, back into ev. */
static int
evt_read_watch(const struct json *doc, struct evt *ev, char **cause)
{
	if (evt_read_time(doc, "since", &ev->fail_since, cause) == -1 ||
	    evt_read_time(doc, "last_success", &ev->last_success, cause) == -1)
		return -1;
	ev->consecutive_failures = evt_read_count(doc, "consecutive_failures");
	ev->flap_cycles = evt_read_count(doc, "flap_cycles");
	ev->flap_window_s = evt_read_count(doc, "flap_window_seconds");
	return 0;
}

/* The event back from its document (see evt.h). */
struct evt *
evt_from_json(const struct json *doc, char **cause)
{
	const struct json *v;
	const char *id;
	struct evt *ev;
	int kind, sev, b;
	size_t i;

	if (json_type(doc) != JSON_OBJECT) {
		*cause = xstrdup("event is not an object");
		return NULL;
	}
	if ((kind = evt_kind_from_name(json_get_str(doc, "event"))) < 0) {
		*cause = xstrdup("unknown event kind");
		return NULL;
	}
	id = json_get_str(doc, "id");
	for (i = 0; id != NULL && id[i] != '\0'; i++) {
		if (strchr("0123456789abcdef", id[i]) == NULL)
			break;
	}
	if (id == NULL || i != EVT_ID_LEN || id[i] != '\0') {
		*cause = xstrdup("event id is not 32 hexadecimal digits");
		return NULL;
	}
	ev = evt_new((enum evt_kind)kind);
	memcpy(ev->id, id, EVT_ID_LEN + 1);
	if (json_bool(json_get(doc, "missed"), &b) == 0)
		ev->missed = b;
	if (json_bool(json_get(doc, "test"), &b) == 0)
		ev->test = b;
	if (evt_read_str(doc, "rule", &ev->rule, cause) == -1 ||
	    evt_read_str(doc, "silenced", &ev->silenced, cause) == -1 ||
	    evt_read_ack(doc, "ack", &ev->ack, cause) == -1 ||
	    evt_read_str(doc, "after_silence", &ev->after_silence, cause) ==
		-1 ||
	    evt_read_str(doc, "watch", &ev->watch, cause) == -1 ||
	    evt_read_str(doc, "api", &ev->api, cause) == -1 ||
	    evt_read_str(doc, "account", &ev->account, cause) == -1 ||
	    evt_read_str(doc, "region", &ev->region, cause) == -1 ||
	    evt_read_time(doc, "occurred_at", &ev->occurred_at, cause) == -1 ||
	    evt_read_time(doc, "observed_at", &ev->observed_at, cause) == -1)
		goto fail;
	if (json_type(v = json_get(doc, "silence")) == JSON_OBJECT)
		ev->silence_doc = evt_json_text(v);
	if (json_type(v = json_get(doc, "overdue")) == JSON_OBJECT)
		ev->overdue_doc = evt_json_text(v);
	if (json_type(v = json_get(doc, "hook")) == JSON_OBJECT) {
		ev->hook_doc = evt_json_text(v);
		ev->hook_notifier = xstrdup(json_get_str(v, "notifier"));
	}
	v = json_get(doc, "task");
	if (json_type(v) == JSON_OBJECT) {
		if (evt_read_task(v, &ev->task, cause) == -1 ||
		    evt_read_str(v, "base_type", &ev->base_type, cause) == -1)
			goto fail;
		ev->has_task = 1;
	}
	if (evt_read_watch(doc, ev, cause) == -1)
		goto fail;
	if (evt_read_previous(json_get(doc, "previous"), ev, cause) == -1)
		goto fail;
	v = json_get(doc, "error");
	if (json_type(v) == JSON_OBJECT &&
	    (evt_read_str(v, "class", &ev->error_class, cause) == -1 ||
		evt_read_str(v, "message", &ev->error_msg, cause) == -1))
		goto fail;
	sev = config_severity_from_name(json_get_str(doc, "severity"));
	ev->severity =
	    sev < 0 ? evt_default_severity(ev) : (enum config_severity)sev;
	return ev;
fail:
	evt_free(ev);
	return NULL;
}

/*
 * The fields of a watch event's document: the failure streak, the
 * flapping (watch_flapping and the recovery that ends it) and the error.
 */
static void
evt_write_watch(struct json_writer *w, const struct evt *ev)
{
	evt_json_time(w, "since", ev->fail_since);
	json_w_kint(
	    w, "consecutive_failures", (int64_t)ev->consecutive_failures);
	evt_json_time(w, "last_success", ev->last_success);
	if (ev->flap_cycles > 0) {
		json_w_kint(w, "flap_cycles", (int64_t)ev->flap_cycles);
		json_w_kint(w, "flap_window_seconds", ev->flap_window_s);
	}
	json_w_key(w, "error");
	if (ev->kind != EVT_WATCH_RECOVERED) {
		json_w_obj_open(w);
		json_w_kstr(w, "class", ev->error_class);
		json_w_kstr(w, "message", ev->error_msg);
		json_w_obj_close(w);
	} else
		json_w_null(w);
}

/* 1 for events about a watch rather than a task (watch_*). */
int
evt_is_watch_event(const struct evt *ev)
{
	return evt_kind_watch(ev->kind);
}

/* The event document of product.md, compact JSON; caller frees. */
char *
evt_to_json(const struct evt *ev, size_t *len)
{
	struct json_writer *w;
	enum config_severity sev;
	const char *s;
	char *summary, *out;
	size_t n;
	int watch_event;

	watch_event = evt_is_watch_event(ev);
	sev = ev->severity;
	if (sev == CONFIG_SEVERITY_UNSET)
		sev = evt_default_severity(ev);

	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kint(w, "version", EVT_VERSION);
	json_w_kstr(w, "id", ev->id);
	json_w_kstr(w, "event", evt_kind_name(ev->kind));
	json_w_kstr(w, "severity", config_severity_name(sev));
	json_w_kstr(w, "rule", ev->rule);
	evt_json_time(w, "occurred_at", ev->occurred_at);
	evt_json_time(w, "observed_at", ev->observed_at);
	json_w_kbool(w, "missed", ev->missed);
	if (ev->test)
		json_w_kbool(w, "test", 1);
	if (ev->silenced != NULL)
		json_w_kstr(w, "silenced", ev->silenced);
	evt_write_ack(w, "ack", ev->ack);
	if (ev->after_silence != NULL)
		json_w_kstr(w, "after_silence", ev->after_silence);
	json_w_kstr(w, "watch", ev->watch);
	json_w_kstr(w, "api", ev->api);
	json_w_kstr(w, "account", ev->account);
	json_w_kstr(w, "region", ev->region);
	json_w_key(w, "task");
	if (ev->has_task && !watch_event)
		evt_write_task_base(w, &ev->task, evt_base_type(ev));
	else
		json_w_null(w);
	json_w_key(w, "previous");
	if (ev->has_previous && ev->has_task && !watch_event) {
		json_w_obj_open(w);
		json_w_kstr(w, "state", task_state_name(ev->prev_state));
		json_w_kstr(w, "raw_status", ev->prev_raw);
		evt_json_progress(w, "progress", ev->prev_progress);
		json_w_obj_close(w);
	} else
		json_w_null(w);
	if (watch_event)
		evt_write_watch(w, ev);
	if (ev->silence_doc != NULL) {
		json_w_key(w, "silence");
		json_w_raw(w, ev->silence_doc);
	}
	if (ev->overdue_doc != NULL) {
		json_w_key(w, "overdue");
		json_w_raw(w, ev->overdue_doc);
	}
	if (ev->hook_doc != NULL) {
		json_w_key(w, "hook");
		json_w_raw(w, ev->hook_doc);
	}
	summary = evt_summary(ev);
	json_w_kstr(w, "summary", summary);
	free(summary);
	json_w_obj_close(w);

	s = json_writer_str(w, &n);
	out = xmalloc(n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	json_writer_free(w);
	if (len != NULL)
		*len = n;
	return out;
}

/* Append "Type on cluster" (or "Type" when there is no cluster). */
static void
evt_summary_what(struct buf *b, const struct task *t)
{
	const char *cluster;

	cluster =
	    !util_empty(t->cluster_name) ? t->cluster_name : t->cluster_id;
	buf_puts(b, !util_empty(t->type) ? t->type : "task");
	if (!util_empty(cluster))
		buf_printf(b, " on %s", cluster);
}

/*
 * Make the summary one line of at most EVT_SUMMARY_MAX bytes: control
 * characters become spaces, and a long text is cut on a UTF-8 character
 * boundary and ends in "...".
 */
static char *
evt_summary_clean(struct buf *b)
{
	char *s = buf_release(b);
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	}
	if (n <= EVT_SUMMARY_MAX)
		return s;
	n = EVT_SUMMARY_MAX - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(s + n, "...", 4);
	return s;
}

/* Append " while taskwatchd was down" to a missed event's summary. */
static void
evt_summary_missed(struct buf *b, const struct evt *ev)
{
	if (ev->missed)
		buf_puts(b, " while taskwatchd was down");
}

/* Append " stalled", the progress and since when, for a stalled task. */
static void
evt_summary_stalled(struct buf *b, const struct evt *ev)
{
	char since[UTIL_RFC3339_LEN];
	const char *cause;
	long long t;

	buf_puts(b, " stalled");
	if (ev->task.progress != TASK_PROGRESS_NONE)
		buf_printf(b, " at %d%%", ev->task.progress);
	if (ev->obs != NULL &&
	    util_strtonum(ev->obs, INT64_MIN + 1, INT64_MAX, &t, &cause) == 0) {
		util_format_rfc3339(t, since);
		buf_printf(b, " (since %s)", since);
	}
}

/* Append what happened to the task of a task event. */
static void
evt_summary_task(struct buf *b, const struct evt *ev)
{
	enum task_state last =
	    ev->has_previous ? ev->prev_state : ev->task.state;

	evt_summary_what(b, &ev->task);
	switch (ev->kind) {
	case EVT_APPEARED:
		/* Seen for the first time already finished: say so. */
		buf_printf(b, " appeared (%s%s)",
		    task_state_terminal(ev->task.state) ? "already " : "",
		    task_state_name(ev->task.state));
		break;
	case EVT_TRANSITION:
		buf_printf(b, " %s -> %s",
		    ev->has_previous ? task_state_name(ev->prev_state) : "?",
		    task_state_name(ev->task.state));
		break;
	case EVT_VANISHED:
		buf_printf(b, " vanished (last %s)", task_state_name(last));
		break;
	case EVT_REPLACED:
		buf_printf(b, " replaced by a newer %s (last %s%s)",
		    !util_empty(evt_base_type(ev)) ? evt_base_type(ev) : "task",
		    task_state_name(last),
		    task_state_terminal(last) ? "" : "; its end was not seen");
		break;
	default:
		evt_summary_stalled(b, ev);
		break;
	}
	evt_summary_missed(b, ev);
	if (ev->kind == EVT_TRANSITION && !util_empty(ev->task.reason))
		buf_printf(b, ": %s", ev->task.reason);
}

/* Append what a watch event says: the failure, or the recovery. */
static void
evt_summary_watch(struct buf *b, const struct evt *ev)
{
	char age[32];

	if (ev->kind == EVT_WATCH_FAILED) {
		buf_printf(b, "polling failed (%s)",
		    ev->error_class != NULL ? ev->error_class : "unknown");
		if (!util_empty(ev->error_msg))
			buf_printf(b, ": %s", ev->error_msg);
		return;
	}
	if (ev->kind == EVT_WATCH_FLAPPING) {
		util_format_age(ev->flap_window_s, age, sizeof(age));
		buf_printf(b,
		    "polling is flapping: failed and recovered %u "
		    "times within %s; last error (%s)",
		    ev->flap_cycles, age,
		    ev->error_class != NULL ? ev->error_class : "unknown");
		if (!util_empty(ev->error_msg))
			buf_printf(b, ": %s", ev->error_msg);
		return;
	}
	if (ev->flap_cycles > 0 && ev->fail_since != TASK_TIME_NONE) {
		util_format_age(ev->flap_window_s, age, sizeof(age));
		buf_printf(b, "polling recovered: stable for %s", age);
		util_format_age(
		    ev->observed_at - ev->fail_since, age, sizeof(age));
		buf_printf(b, " after flapping for %s", age);
		return;
	}
	buf_puts(b, "polling recovered");
	if (ev->fail_since != TASK_TIME_NONE) {
		util_format_age(
		    ev->observed_at - ev->fail_since, age, sizeof(age));
		buf_printf(b, " after %s, %u failed poll%s", age,
		    ev->consecutive_failures,
		    ev->consecutive_failures == 1 ? "" : "s");
	}
}

/*
 * Append "silence ID (matchers) ended: N events silenced on M tasks, K
 * raised again" from the silence object.
 */
static void
evt_summary_silence(struct buf *b, const struct evt *ev)
{
	struct json *o;
	char *cause = NULL;
	int64_t events = 0, tasks = 0, again = 0;
	const char *window;

	o = ev->silence_doc != NULL
	    ? json_parse(ev->silence_doc, strlen(ev->silence_doc), &cause)
	    : NULL;
	free(cause);
	(void)json_int(json_get(o, "events"), 0, &events);
	(void)json_int(json_get(o, "tasks_total"), 0, &tasks);
	(void)json_int(json_get(o, "raised_again"), 0, &again);
	window = json_get_str(o, "window");
	if (window != NULL)
		buf_printf(b, "maintenance window %s closed", window);
	else
		buf_printf(b, "silence %s ended",
		    json_get_str(o, "id") != NULL ? json_get_str(o, "id")
						  : "?");
	buf_printf(b,
	    ": %lld event%s silenced on %lld task%s, %lld raised "
	    "again",
	    (long long)events, events == 1 ? "" : "s", (long long)tasks,
	    tasks == 1 ? "" : "s", (long long)again);
	json_free(o);
}

/*
 * Append the "reason" of a JSON object text (an overdue or hook object):
 * a short phrase its maker wrote for the summary; fallback if none.
 */
static void
evt_summary_reason(struct buf *b, const char *doc, const char *fallback)
{
	struct json *o;
	char *cause = NULL;
	const char *reason;

	o = doc != NULL ? json_parse(doc, strlen(doc), &cause) : NULL;
	free(cause);
	reason = json_get_str(o, "reason");
	buf_puts(b, !util_empty(reason) ? reason : fallback);
	json_free(o);
}

/* The one-line "watch: Type on cluster FROM -> TO: reason"; caller frees. */
char *
evt_summary(const struct evt *ev)
{
	struct buf b;
	const char *watch = ev->watch != NULL ? ev->watch : "?";

	buf_init(&b, 0);
	if (ev->kind == EVT_SILENCE_ENDED) {
		evt_summary_silence(&b, ev);
		return evt_summary_clean(&b);
	}
	buf_printf(&b, "%s%s: %s", ev->test ? "TEST " : "", watch,
	    ev->after_silence != NULL ? "still, after a silence: " : "");
	switch (ev->kind) {
	case EVT_APPEARED:
	case EVT_TRANSITION:
	case EVT_VANISHED:
	case EVT_REPLACED:
	case EVT_STALLED:
		evt_summary_task(&b, ev);
		break;
	case EVT_WATCH_FAILED:
	case EVT_WATCH_RECOVERED:
	case EVT_WATCH_FLAPPING:
		evt_summary_watch(&b, ev);
		break;
	case EVT_OVERDUE:
		evt_summary_what(&b, &ev->task);
		buf_puts(&b, " is overdue: ");
		evt_summary_reason(&b, ev->overdue_doc, "running too long");
		break;
	case EVT_HOOK_FAILED:
	case EVT_HOOK_SUPPRESSED:
	case EVT_HOOK_CIRCUIT_OPEN:
		buf_printf(&b, "hook %s: ",
		    ev->hook_notifier != NULL ? ev->hook_notifier : "?");
		evt_summary_reason(&b, ev->hook_doc, evt_kind_name(ev->kind));
		break;
	default:
		buf_puts(&b, evt_kind_name(ev->kind));
		break;
	}
	return evt_summary_clean(&b);
}

/* Append an event (ownership passes to the list). */
void
evt_list_add(struct evt_list *l, struct evt *ev)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = ev;
}

/* Free every event and the storage; the list is left empty. */
void
evt_list_clear(struct evt_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		evt_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* A state name for evt_test_new, or -1 with *cause. */
static int
evt_test_state(const char *opt, const char *name, char **cause)
{
	int st = task_state_from_name(name);

	if (st < 0)
		*cause = xasprintf("%s %.64s: not a task state", opt, name);
	return st;
}

/*
 * The event taskwatchctl test-event describes for watch w: kind, task
 * type (required for task events), cluster, previous and new state names
 * (NULL: RUNNING before; FAILED after for a transition, RUNNING
 * otherwise), at now_ms (wall clock, which also makes its id unique).
 * Finished; NULL with *cause on bad input.
 */
struct evt *
evt_test_new(const struct config_watch *w, enum evt_kind kind, const char *type,
    const char *cluster, const char *from, const char *to, int64_t now_ms,
    char **cause)
{
	struct evt *ev;
	int st = TASK_RUNNING, prev = TASK_RUNNING;

	*cause = NULL;
	if ((int)kind < 0 || kind >= EVT_KIND_COUNT) {
		*cause = xstrdup("not an event kind");
		return NULL;
	}
	if (kind == EVT_SILENCE_ENDED) {
		/* It has no watch or task to test with. */
		*cause = xstrdup("silence_ended events come only from a "
				 "silence that ends");
		return NULL;
	}
	if (evt_kind_hook(kind)) {
		*cause = xasprintf("%s events come only from an exec "
				   "notifier's hook",
		    evt_kind_name(kind));
		return NULL;
	}
	if (!evt_kind_watch(kind)) {
		if (type == NULL || *type == '\0') {
			*cause = xasprintf("a %s event needs a task type",
			    evt_kind_name(kind));
			return NULL;
		}
		if (kind == EVT_TRANSITION)
			st = TASK_FAILED;
		if ((to != NULL &&
			(st = evt_test_state("to", to, cause)) < 0) ||
		    (from != NULL &&
			(prev = evt_test_state("from", from, cause)) < 0))
			return NULL;
	}
	ev = evt_new(kind);
	ev->test = 1;
	ev->watch = xstrdup(w->name);
	ev->api = xstrdup(config_api_name(w->api));
	ev->account = xstrdup(w->account->name);
	ev->region = xstrdup(w->account->region);
	ev->occurred_at = ev->observed_at = now_ms / 1000;
	ev->obs = xasprintf("test-%lld", (long long)now_ms);
	if (kind == EVT_WATCH_FAILED || kind == EVT_WATCH_FLAPPING) {
		ev->error_class = xstrdup("test");
		ev->error_msg = xstrdup("taskwatchctl test-event");
	}
	if (kind == EVT_OVERDUE)
		ev->overdue_doc = xstrdup(
		    "{\"reason\":\"a test from taskwatchctl test-event\"}");
	if (kind == EVT_WATCH_FLAPPING) {
		ev->fail_since = ev->occurred_at;
		ev->flap_cycles = 3;
		ev->flap_window_s = 30 * 60;
	}
	if (!evt_kind_watch(kind)) {
		ev->has_task = 1;
		ev->task.id = xstrdup("test-event");
		ev->task.type = xstrdup(type);
		ev->task.cluster_id = xstrdup(cluster ? cluster : "");
		ev->task.state = (enum task_state)st;
		ev->task.raw_status = xstrdup(task_state_name(ev->task.state));
		if (kind != EVT_APPEARED) {
			ev->has_previous = 1;
			ev->prev_state = (enum task_state)prev;
			ev->prev_raw = xstrdup(task_state_name(ev->prev_state));
		}
	}
	evt_finish(ev);
	return ev;
}
