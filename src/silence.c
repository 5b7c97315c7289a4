/*
 * Silences (see silence.h).  A silence's matchers are kept as the match
 * block of a rule, so it matches exactly as a rule would (rules_match).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "rules.h"
#include "silence.h"
#include "util.h"
#include "xmalloc.h"

/* The fields a matcher may name, and the rule list each fills. */
static const struct {
	const char *field;
	size_t off;
} silence_fields[] = {
	{ "event", offsetof(struct config_rule, match_event) },
	{ "api", offsetof(struct config_rule, match_api) },
	{ "account", offsetof(struct config_rule, match_account) },
	{ "watch", offsetof(struct config_rule, match_watch) },
	{ "task_type", offsetof(struct config_rule, match_task_type) },
	{ "cluster", offsetof(struct config_rule, match_cluster) },
	{ "from", offsetof(struct config_rule, match_from) },
	{ "to", offsetof(struct config_rule, match_to) },
	{ NULL, 0 },
};

struct silence {
	struct silence_info info;
	struct config_strlist raw; /* the matchers as given */
	struct config_rule match;
	char **tasks; /* distinct, at most SILENCE_MAX_TASKS */
	size_t ntasks;
	uint64_t ntasks_total;
};

struct silence_set {
	struct silence **v;
	size_t n;
};

/* Append s to a list. */
static void
silence_list_add(struct config_strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

/* Free a list. */
static void
silence_list_free(struct config_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Free one silence. */
static void
silence_free(struct silence *si)
{
	size_t i;

	for (i = 0; silence_fields[i].field != NULL; i++)
		silence_list_free((struct config_strlist *)((char *)&si->match +
		    silence_fields[i].off));
	for (i = 0; i < si->ntasks; i++)
		free(si->tasks[i]);
	free(si->tasks);
	silence_list_free(&si->raw);
	free(si->info.matchers);
	free(si->info.comment);
	free(si);
}

/* A new, empty set. */
struct silence_set *
silence_set_new(void)
{
	return xcalloc(1, sizeof(struct silence_set));
}

/* Free a set. */
void
silence_set_free(struct silence_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		silence_free(s->v[i]);
	free(s->v);
	free(s);
}

/* Parse "field=glob" into si's match; -1 with *cause. */
static int
silence_matcher(struct silence *si, const char *m, char **cause)
{
	const char *eq = strchr(m, '=');
	size_t i, flen;

	if (eq == NULL || eq == m || eq[1] == '\0') {
		*cause = xasprintf("matcher %s is not field=value", m);
		return -1;
	}
	flen = (size_t)(eq - m);
	for (i = 0; silence_fields[i].field != NULL; i++) {
		if (strlen(silence_fields[i].field) == flen &&
		    strncmp(silence_fields[i].field, m, flen) == 0) {
			silence_list_add(
			    (struct config_strlist *)((char *)&si->match +
				silence_fields[i].off),
			    eq + 1);
			return 0;
		}
	}
	*cause = xasprintf("matcher %s: unknown field (one of event, api, "
			   "account, watch, task_type, cluster, from, to)",
	    m);
	return -1;
}

/* Add a silence (see silence.h). */
int
silence_add(struct silence_set *s, const char *id, const char *const *matchers,
    size_t n, const char *comment, int64_t now, int64_t ends_at, long uid,
    long gid, char **cause)
{
	struct silence *si;
	struct buf b;
	size_t i;

	if (n == 0 || ends_at <= now || s->n >= SILENCE_MAX) {
		*cause = xstrdup(n == 0  ? "a silence needs a matcher"
			: ends_at <= now ? "a silence must end in the future"
					 : "too many silences");
		return -1;
	}
	si = xcalloc(1, sizeof(*si));
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (silence_matcher(si, matchers[i], cause) == -1) {
			buf_free(&b);
			silence_free(si);
			return -1;
		}
		buf_printf(&b, "%s%s", i > 0 ? " " : "", matchers[i]);
		silence_list_add(&si->raw, matchers[i]);
	}
	snprintf(si->info.id, sizeof(si->info.id), "%s", id);
	si->info.matchers = buf_release(&b);
	si->info.comment = comment != NULL ? xstrdup(comment) : NULL;
	si->info.starts_at = now;
	si->info.ends_at = ends_at;
	si->info.uid = uid;
	si->info.gid = gid;
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = si;
	return 0;
}

/* 1 if si is active at now. */
static int
silence_active(const struct silence *si, int64_t now)
{
	return si->info.starts_at <= now && now < si->info.ends_at;
}

/* End silence id now. */
int
silence_expire(struct silence_set *s, const char *id, int64_t now)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i]->info.id, id) == 0 &&
		    silence_active(s->v[i], now)) {
			s->v[i]->info.ends_at = now;
			return 0;
		}
	}
	return -1;
}

/* Count ev's task under si (distinct tasks, the first ones kept). */
static void
silence_note_task(struct silence *si, const struct evt *ev)
{
	char *key;
	size_t i;

	if (!ev->has_task || ev->kind == EVT_WATCH_FAILED ||
	    ev->kind == EVT_WATCH_RECOVERED)
		return;
	key = xasprintf("%s\037%s\037%s", ev->watch != NULL ? ev->watch : "",
	    ev->task.cluster_id != NULL ? ev->task.cluster_id : "",
	    ev->task.id != NULL ? ev->task.id : "");
	for (i = 0; i < si->ntasks; i++) {
		if (strcmp(si->tasks[i], key) == 0) {
			free(key);
			return;
		}
	}
	si->ntasks_total++;
	if (si->ntasks == SILENCE_MAX_TASKS) {
		free(key);
		return;
	}
	si->tasks = xreallocarray(si->tasks, si->ntasks + 1, sizeof(char *));
	si->tasks[si->ntasks++] = key;
}

/* The first active silence matching ev (see silence.h). */
const char *
silence_apply(struct silence_set *s, const struct evt *ev, int64_t now)
{
	struct silence *si;
	size_t i;

	for (i = 0; i < s->n; i++) {
		si = s->v[i];
		if (!silence_active(si, now) || !rules_match(&si->match, ev))
			continue;
		si->info.events++;
		silence_note_task(si, ev);
		return si->info.id;
	}
	return NULL;
}

/* The number of silences. */
size_t
silence_count(const struct silence_set *s)
{
	return s->n;
}

/* The info of silence i. */
const struct silence_info *
silence_at(const struct silence_set *s, size_t i)
{
	return i < s->n ? &s->v[i]->info : NULL;
}

/* The tasks silence i silenced. */
const char *const *
silence_tasks(const struct silence_set *s, size_t i, size_t *n, uint64_t *total)
{
	*n = s->v[i]->ntasks;
	*total = s->v[i]->ntasks_total;
	return (const char *const *)s->v[i]->tasks;
}

/* A silence that ended and was not reported, now marked; or -1. */
long
silence_take_ended(struct silence_set *s, int64_t now)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!s->v[i]->info.ended && s->v[i]->info.ends_at <= now) {
			s->v[i]->info.ended = 1;
			return (long)i;
		}
	}
	return -1;
}

/* Seconds until the next end; -1 if none. */
int64_t
silence_next_end(const struct silence_set *s, int64_t now)
{
	int64_t best = -1, d;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i]->info.ended)
			continue;
		d = s->v[i]->info.ends_at > now ? s->v[i]->info.ends_at - now
						: 0;
		if (best == -1 || d < best)
			best = d;
	}
	return best;
}

/* Drop reported silences that ended before cutoff. */
void
silence_prune(struct silence_set *s, int64_t cutoff)
{
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		if (s->v[i]->info.ended && s->v[i]->info.ends_at < cutoff)
			silence_free(s->v[i]);
		else
			s->v[j++] = s->v[i];
	}
	s->n = j;
}

/* Write one silence. */
static void
silence_write(struct json_writer *w, const struct silence *si)
{
	size_t i;

	json_w_obj_open(w);
	json_w_kstr(w, "id", si->info.id);
	json_w_key(w, "matchers");
	json_w_arr_open(w);
	for (i = 0; i < si->raw.n; i++)
		json_w_str(w, si->raw.v[i]);
	json_w_arr_close(w);
	json_w_kstr(w, "comment", si->info.comment);
	json_w_kint(w, "starts_at", si->info.starts_at);
	json_w_kint(w, "ends_at", si->info.ends_at);
	json_w_kint(w, "uid", si->info.uid);
	json_w_kint(w, "gid", si->info.gid);
	json_w_kint(w, "events", (int64_t)si->info.events);
	json_w_kbool(w, "ended", si->info.ended);
	json_w_kint(w, "tasks_total", (int64_t)si->ntasks_total);
	json_w_key(w, "tasks");
	json_w_arr_open(w);
	for (i = 0; i < si->ntasks; i++)
		json_w_str(w, si->tasks[i]);
	json_w_arr_close(w);
	json_w_obj_close(w);
}

/* The set as JSON text. */
char *
silence_set_json(const struct silence_set *s)
{
	struct json_writer *w = json_writer_new();
	char *out;
	size_t i;

	json_w_obj_open(w);
	json_w_kint(w, "version", 1);
	json_w_key(w, "silences");
	json_w_arr_open(w);
	for (i = 0; i < s->n; i++)
		silence_write(w, s->v[i]);
	json_w_arr_close(w);
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/* An int member, or -1 with *cause. */
static int
silence_int(const struct json *o, const char *key, int64_t *v, char **cause)
{
	if (json_int(json_get(o, key), 0, v) == -1) {
		*cause = xasprintf("a silence without a number %s", key);
		return -1;
	}
	return 0;
}

/* Read one silence into s; -1 with *cause. */
static int
silence_read(struct silence_set *s, const struct json *o, char **cause)
{
	const char *id = json_get_str(o, "id");
	const struct json *m = json_get(o, "matchers");
	const struct json *tasks = json_get(o, "tasks");
	int64_t starts, ends, uid, gid, events, total;
	const char **parts;
	struct silence *si;
	size_t n = 0, i;
	int ended = 0, rc;

	if (id == NULL || strlen(id) != SILENCE_ID_LEN ||
	    json_type(m) != JSON_ARRAY) {
		*cause = xstrdup("a silence without id or matchers");
		return -1;
	}
	if (silence_int(o, "starts_at", &starts, cause) == -1 ||
	    silence_int(o, "ends_at", &ends, cause) == -1 ||
	    silence_int(o, "uid", &uid, cause) == -1 ||
	    silence_int(o, "gid", &gid, cause) == -1 ||
	    silence_int(o, "events", &events, cause) == -1 ||
	    silence_int(o, "tasks_total", &total, cause) == -1)
		return -1;
	json_bool(json_get(o, "ended"), &ended);
	parts = xcalloc(json_len(m) + 1, sizeof(*parts));
	for (i = 0; i < json_len(m); i++)
		if ((parts[n] = json_str(json_at(m, i))) != NULL)
			n++;
	/* Added as if now were its start, then given its saved end. */
	rc = silence_add(s, id, parts, n, json_get_str(o, "comment"), starts,
	    starts + 1, (long)uid, (long)gid, cause);
	free(parts);
	if (rc == -1)
		return -1;
	si = s->v[s->n - 1];
	si->info.ends_at = ends;
	si->info.events = (uint64_t)events;
	si->info.ended = ended;
	si->ntasks_total = (uint64_t)total;
	for (i = 0; i < json_len(tasks) && i < SILENCE_MAX_TASKS; i++) {
		if (json_str(json_at(tasks, i)) == NULL)
			continue;
		si->tasks =
		    xreallocarray(si->tasks, si->ntasks + 1, sizeof(char *));
		si->tasks[si->ntasks++] = xstrdup(json_str(json_at(tasks, i)));
	}
	return 0;
}

/* A set from its JSON text. */
struct silence_set *
silence_set_from_json(const char *text, size_t len, char **cause)
{
	struct silence_set *s;
	const struct json *a;
	struct json *doc;
	size_t i;

	if ((doc = json_parse(text, len, cause)) == NULL)
		return NULL;
	if (json_type(a = json_get(doc, "silences")) != JSON_ARRAY) {
		json_free(doc);
		*cause = xstrdup("no silences list");
		return NULL;
	}
	s = silence_set_new();
	for (i = 0; i < json_len(a); i++) {
		if (silence_read(s, json_at(a, i), cause) == -1) {
			silence_set_free(s);
			json_free(doc);
			return NULL;
		}
	}
	json_free(doc);
	return s;
}
