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
	struct silence_item *items; /* distinct, at most SILENCE_MAX_ITEMS */
	size_t nitems;
	uint64_t nitems_total;
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
	for (i = 0; i < si->nitems; i++) {
		free(si->items[i].key);
		free(si->items[i].doc);
	}
	free(si->items);
	silence_list_free(&si->raw);
	free(si->info.matchers);
	free(si->info.comment);
	free(si->info.window);
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

	if (n == 0 || ends_at <= now || ends_at > SILENCE_MAX_TIME ||
	    s->n >= SILENCE_MAX) {
		*cause = xstrdup(n == 0  ? "a silence needs a matcher"
			: ends_at <= now ? "a silence must end in the future"
			: s->n >= SILENCE_MAX ? "too many silences"
					      : "a silence must end before the "
						"year 10000");
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

/*
 * The key of what ev is about: its task ("watch\037cluster\037id"), or
 * its watch ("watch\037") for watch events.
 */
static char *
silence_key(const struct evt *ev)
{
	const char *w = ev->watch != NULL ? ev->watch : "";

	if (!ev->has_task || evt_is_watch_event(ev))
		return xasprintf("%s\037", w);
	return xasprintf("%s\037%s\037%s", w,
	    ev->task.cluster_id != NULL ? ev->task.cluster_id : "",
	    ev->task.id != NULL ? ev->task.id : "");
}

/* Keep ev as the last event si silenced about its task or watch. */
static void
silence_note(struct silence *si, const struct evt *ev)
{
	char *key = silence_key(ev);
	size_t i;

	for (i = 0; i < si->nitems; i++) {
		if (strcmp(si->items[i].key, key) == 0) {
			free(key);
			free(si->items[i].doc);
			si->items[i].doc = evt_to_json(ev, NULL);
			return;
		}
	}
	si->nitems_total++;
	if (si->nitems == SILENCE_MAX_ITEMS) {
		free(key);
		return;
	}
	si->items =
	    xreallocarray(si->items, si->nitems + 1, sizeof(*si->items));
	si->items[si->nitems].key = key;
	si->items[si->nitems++].doc = evt_to_json(ev, NULL);
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
		silence_note(si, ev);
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

/* What silence i silenced: its items and their count. */
const struct silence_item *
silence_items(const struct silence_set *s, size_t i, size_t *n, uint64_t *total)
{
	*n = s->v[i]->nitems;
	*total = s->v[i]->nitems_total;
	return s->v[i]->items;
}

/* Mark silence i as the opening of a maintenance window. */
void
silence_set_window(struct silence_set *s, size_t i, const char *name)
{
	free(s->v[i]->info.window);
	s->v[i]->info.window = xstrdup(name);
}

/* Move the end of silence i to ends_at (not reported yet if later). */
void
silence_set_end(struct silence_set *s, size_t i, int64_t ends_at)
{
	s->v[i]->info.ends_at = ends_at;
}

/* Remove silence i (an add that could not be saved). */
void
silence_remove(struct silence_set *s, size_t i)
{
	silence_free(s->v[i]);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

/* The index of silence id, or -1. */
long
silence_find(const struct silence_set *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->info.id, id) == 0)
			return (long)i;
	return -1;
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

/*
 * Drop reported silences that ended before cutoff; a window's opening
 * only before window_cutoff.
 */
void
silence_prune(struct silence_set *s, int64_t cutoff, int64_t window_cutoff)
{
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		if (s->v[i]->info.ended &&
		    s->v[i]->info.ends_at <
			(s->v[i]->info.window != NULL ? window_cutoff : cutoff))
			silence_free(s->v[i]);
		else
			s->v[j++] = s->v[i];
	}
	s->n = j;
}

/*
 * The members of a silence that say what holds: id, matchers, comment,
 * window (if any), start, end and creator.
 */
static void
silence_write_core(struct json_writer *w, const struct silence *si)
{
	size_t i;

	json_w_kstr(w, "id", si->info.id);
	json_w_key(w, "matchers");
	json_w_arr_open(w);
	for (i = 0; i < si->raw.n; i++)
		json_w_str(w, si->raw.v[i]);
	json_w_arr_close(w);
	json_w_kstr(w, "comment", si->info.comment);
	if (si->info.window != NULL)
		json_w_kstr(w, "window", si->info.window);
	json_w_kint(w, "starts_at", si->info.starts_at);
	json_w_kint(w, "ends_at", si->info.ends_at);
	json_w_kint(w, "uid", si->info.uid);
	json_w_kint(w, "gid", si->info.gid);
}

/* Write one silence. */
static void
silence_write(struct json_writer *w, const struct silence *si)
{
	size_t i;

	json_w_obj_open(w);
	silence_write_core(w, si);
	json_w_kint(w, "events", (int64_t)si->info.events);
	json_w_kbool(w, "ended", si->info.ended);
	json_w_kint(w, "items_total", (int64_t)si->nitems_total);
	json_w_key(w, "items");
	json_w_arr_open(w);
	for (i = 0; i < si->nitems; i++) {
		json_w_obj_open(w);
		json_w_kstr(w, "key", si->items[i].key);
		json_w_key(w, "event");
		json_w_raw(w, si->items[i].doc);
		json_w_obj_close(w);
	}
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

/*
 * Add to s the silence o describes: id, matchers, comment, starts_at,
 * ends_at, uid and gid.  -1 with *cause.
 */
static int
silence_read_core(struct silence_set *s, const struct json *o, char **cause)
{
	const char *id = json_get_str(o, "id");
	const struct json *m = json_get(o, "matchers");
	int64_t starts, ends, uid, gid;
	const char **parts;
	size_t n = 0, i;
	int rc;

	if (id == NULL || strlen(id) != SILENCE_ID_LEN ||
	    strspn(id, "0123456789abcdef") != SILENCE_ID_LEN ||
	    json_type(m) != JSON_ARRAY) {
		*cause = xstrdup("a silence without id or matchers");
		return -1;
	}
	if (silence_int(o, "starts_at", &starts, cause) == -1 ||
	    silence_int(o, "ends_at", &ends, cause) == -1 ||
	    silence_int(o, "uid", &uid, cause) == -1 ||
	    silence_int(o, "gid", &gid, cause) == -1)
		return -1;
	if (starts < 0 || starts >= SILENCE_MAX_TIME || ends < 0) {
		*cause = xstrdup("a silence whose start or end is not a time");
		return -1;
	}
	/* Kept by a version that took any end: the latest one now. */
	if (ends > SILENCE_MAX_TIME)
		ends = SILENCE_MAX_TIME;
	parts = xcalloc(json_len(m) + 1, sizeof(*parts));
	for (i = 0; i < json_len(m); i++)
		if ((parts[n] = json_str(json_at(m, i))) != NULL)
			n++;
	/* Added as if now were its start, then given its saved end. */
	rc = silence_add(s, id, parts, n, json_get_str(o, "comment"), starts,
	    starts + 1, (long)uid, (long)gid, cause);
	free(parts);
	if (rc == 0)
		s->v[s->n - 1]->info.ends_at = ends;
	return rc;
}

/* Read one silence into s, as silence_write wrote it; -1 with *cause. */
static int
silence_read(struct silence_set *s, const struct json *o, char **cause)
{
	const struct json *items = json_get(o, "items"), *it, *ev;
	struct json_writer *w;
	int64_t events, total;
	struct silence *si;
	size_t i;
	int ended = 0;

	if (silence_int(o, "events", &events, cause) == -1 ||
	    silence_int(o, "items_total", &total, cause) == -1 ||
	    silence_read_core(s, o, cause) == -1)
		return -1;
	json_bool(json_get(o, "ended"), &ended);
	si = s->v[s->n - 1];
	si->info.events = (uint64_t)events;
	si->info.ended = ended;
	si->nitems_total = (uint64_t)total;
	if (json_get_str(o, "window") != NULL)
		si->info.window = xstrdup(json_get_str(o, "window"));
	for (i = 0; i < json_len(items) && i < SILENCE_MAX_ITEMS; i++) {
		it = json_at(items, i);
		ev = json_get(it, "event");
		if (json_get_str(it, "key") == NULL ||
		    json_type(ev) != JSON_OBJECT)
			continue;
		w = json_writer_new();
		json_w_value(w, ev);
		si->items = xreallocarray(
		    si->items, si->nitems + 1, sizeof(*si->items));
		si->items[si->nitems].key = xstrdup(json_get_str(it, "key"));
		si->items[si->nitems++].doc = xstrdup(json_writer_str(w, NULL));
		json_writer_free(w);
	}
	return 0;
}

/* Silence i as other replicas are told of it (see silence.h). */
char *
silence_share_text(const struct silence_set *s, size_t i)
{
	struct json_writer *w = json_writer_new();
	char *out;

	/* Only silences are shared, never a window's opening. */
	json_w_obj_open(w);
	silence_write_core(w, s->v[i]);
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/*
 * 1 if the matchers and comment of a shared silence are text, as the
 * control socket asks them (they are logged and listed); else 0 with
 * *cause, which does not echo them.
 */
static int
silence_shared_text_ok(const struct json *o, char **cause)
{
	const struct json *m = json_get(o, "matchers");
	const char *c = json_get_str(o, "comment");
	size_t i;

	for (i = 0; i < json_len(m); i++) {
		if (json_str(json_at(m, i)) != NULL &&
		    util_has_control(json_str(json_at(m, i)))) {
			*cause = xstrdup("a matcher is not one line of text");
			return 0;
		}
	}
	if (c != NULL && util_has_control(c)) {
		*cause = xstrdup("a silence whose comment is not one line");
		return 0;
	}
	return 1;
}

/* Take in what another replica said of a silence (see silence.h). */
enum silence_merge
silence_merge(struct silence_set *s, const char *text, size_t len, int64_t now,
    long *index, char **cause)
{
	struct json *o;
	int64_t ends;
	const char *id;
	long i;
	enum silence_merge rc;

	*index = -1;
	if ((o = json_parse(text, len, cause)) == NULL)
		return SILENCE_MERGE_BAD;
	id = json_get_str(o, "id");
	if (json_int(json_get(o, "ends_at"), 0, &ends) == -1 || id == NULL) {
		*cause = xstrdup("a silence without id or ends_at");
		json_free(o);
		return SILENCE_MERGE_BAD;
	}
	if ((i = silence_find(s, id)) == -1) {
		/* One that ended before we heard of it holds nothing. */
		rc = SILENCE_MERGE_SAME;
		if (ends > now) {
			rc = silence_shared_text_ok(o, cause) &&
				silence_read_core(s, o, cause) == 0
			    ? SILENCE_MERGE_ADDED
			    : SILENCE_MERGE_BAD;
			if (rc == SILENCE_MERGE_ADDED)
				i = (long)s->n - 1;
		}
	} else if (s->v[i]->info.window != NULL) {
		rc = SILENCE_MERGE_SAME; /* a window's opening: ours alone */
	} else if (ends < s->v[i]->info.ends_at) {
		/* Expired there: the earlier end wins. */
		rc = s->v[i]->info.ended ? SILENCE_MERGE_SAME
					 : SILENCE_MERGE_ENDED;
		if (rc == SILENCE_MERGE_ENDED)
			s->v[i]->info.ends_at = ends;
	} else {
		rc = ends > s->v[i]->info.ends_at ? SILENCE_MERGE_STALE
						  : SILENCE_MERGE_SAME;
	}
	json_free(o);
	*index = i;
	return rc;
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
