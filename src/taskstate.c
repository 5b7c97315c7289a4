/*
 * The task table and the diff: a chained hash table keyed by (watch, cluster,
 * task id) holding the last record of every task, plus a small list of
 * watches that threads each watch's entries together.  Applying a listing
 * produces appeared, transition and stalled events; vanished only comes
 * through taskstate_vanish once the caller has confirmed a task is gone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evt.h"
#include "durations.h"
#include "hashmap.h"
#include "json.h"
#include "task.h"
#include "taskstate.h"
#include "util.h"
#include "xmalloc.h"

struct taskstate_wstat;

/* One task: its last record and what the diff needs to remember. */
struct taskstate_entry {
	struct hashmap_entry hentry;   /* first: in ts->tasks */
	struct taskstate_entry *wprev; /* the watch's list */
	struct taskstate_entry *wnext;
	struct taskstate_wstat *ws; /* borrowed: its watch */
	struct task task;
	int64_t progress_changed_at; /* progress or state */
	int stalled;                 /* fired for this stall */
	int overdue;                 /* fired for this run */
	uint64_t seen_gen;           /* last listing that had it */
	uint64_t seen_listings;      /* ws->listings when it was last listed */
	struct evt_ack *ack;         /* until its state changes; NULL: none */
};

/* Per-watch bookkeeping: generation, counts and the list of its tasks. */
struct taskstate_wstat {
	struct hashmap_entry hentry; /* first: in ts->by_name */
	char *name;
	size_t index;      /* in the watches array */
	uint64_t gen;      /* listings applied */
	uint64_t listings; /* complete listings applied */
	size_t count;
	size_t nstate[TASK_STATE_COUNT];
	struct taskstate_entry *head;
	int restored;        /* from the saved table, no listing yet */
	int was_restored;    /* from the saved table at start */
	uint64_t missed_gen; /* the listing whose events are missed */
	char **scopes;       /* the scopes with a baseline ("" project-wide) */
	size_t nscopes;
};

struct taskstate {
	struct hashmap tasks; /* by hash of (watch, cluster, id) */
	struct taskstate_wstat **watches;
	size_t nwatches;
	size_t capwatches;
	struct hashmap by_name; /* the watches */
	struct durations *dur;  /* learned task durations */
	uint64_t changes;       /* moves on every change */
	uint64_t minor;         /* of which progress only */
};

/* A string that may be NULL, as the key uses it. */
static const char *
taskstate_str(const char *s)
{
	return s != NULL ? s : "";
}

/* FNV-1a over s and its terminating NUL, continuing from h. */
static uint64_t
taskstate_fnv(uint64_t h, const char *s)
{
	s = taskstate_str(s);
	return hashmap_fnv1a(h, s, strlen(s) + 1);
}

/* The hash of a key, with a final mix so the low bits are well spread. */
static uint64_t
taskstate_hash(const char *watch, const char *cluster, const char *id)
{
	uint64_t h = HASHMAP_FNV_BASIS;

	h = taskstate_fnv(h, watch);
	h = taskstate_fnv(h, cluster);
	h = taskstate_fnv(h, id);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* Index into the per-state counts; out-of-range states count as UNKNOWN. */
static size_t
taskstate_sidx(enum task_state s)
{
	if ((int)s < 0 || s >= TASK_STATE_COUNT)
		return TASK_UNKNOWN;
	return (size_t)s;
}

/* Compare two strings that may be NULL; 1 when equal. */
static int
taskstate_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 if two records of the same task differ in any field. */
static int
taskstate_differs(const struct task *a, const struct task *b)
{
	return a->state != b->state || a->progress != b->progress ||
	    a->started_at != b->started_at || a->ended_at != b->ended_at ||
	    !taskstate_streq(a->type, b->type) ||
	    !taskstate_streq(a->cluster_name, b->cluster_name) ||
	    !taskstate_streq(a->raw_status, b->raw_status) ||
	    !taskstate_streq(a->reason, b->reason) ||
	    !taskstate_streq(a->detail, b->detail);
}

/* An empty table. */
struct taskstate *
taskstate_new(void)
{
	struct taskstate *ts = xcalloc(1, sizeof(*ts));

	hashmap_init(&ts->tasks);
	hashmap_init(&ts->by_name);
	ts->dur = durations_new(0);
	return ts;
}

/* The learned durations (see taskstate.h). */
const struct durations *
taskstate_durations(const struct taskstate *ts)
{
	return ts->dur;
}

/* Replace the learned durations; takes d. */
void
taskstate_set_durations(struct taskstate *ts, struct durations *d)
{
	durations_free(ts->dur);
	ts->dur = d;
}

/* The key of durations (see taskstate.h); caller frees. */
char *
taskstate_key(
    const char *account, const char *api, const char *type, const char *cluster)
{
	if (cluster == NULL || *cluster == '\0')
		return xasprintf("%s\037%s\037%s", account ? account : "",
		    api ? api : "", type ? type : "");
	return xasprintf("%s\037%s\037%s\037%s", account ? account : "",
	    api ? api : "", type ? type : "", cluster);
}

/* Split a key of durations into its fields (see taskstate.h). */
size_t
taskstate_key_split(const char *key, char **buf, const char *f[4])
{
	char *p;
	size_t n = 0;

	*buf = xstrdup(key);
	for (p = *buf; n < 4; n++) {
		f[n] = p;
		if ((p = strchr(p, '\037')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	return n;
}

/* What was learned of t (see taskstate.h). */
void
taskstate_expect(const struct taskstate *ts, const char *account,
    const char *api, const struct task *t, unsigned min_samples,
    struct taskstate_expect *x)
{
	struct durations_stats st;
	char *key;

	memset(x, 0, sizeof(*x));
	if (util_empty(t->type))
		return;
	if (!util_empty(t->cluster_id)) {
		key = taskstate_key(account, api, t->type, t->cluster_id);
		if (durations_get(ts->dur, key, &st) == 0 &&
		    st.count >= min_samples && st.count > 0) {
			x->per_cluster = 1;
			goto found;
		}
		free(key);
	}
	key = taskstate_key(account, api, t->type, NULL);
	if (durations_get(ts->dur, key, &st) == -1 || st.count == 0) {
		free(key);
		return;
	}
found:
	free(key);
	x->count = st.count;
	x->p50_s = st.p50_s;
	x->p95_s = st.p95_s;
	x->max_s = st.max_s;
}

/*
 * Learn from t, which just reached SUCCEEDED (seen_end: its end was seen
 * now; otherwise it was first listed finished, and only its own end time
 * tells how long it ran).
 */
static void
taskstate_learn(struct taskstate *ts, const struct taskstate_watch *w,
    const struct task *t, int seen_end, int64_t now_s)
{
	int64_t end = t->ended_at;
	char *key;

	if (t->state != TASK_SUCCEEDED || t->started_at == TASK_TIME_NONE ||
	    util_empty(t->type))
		return;
	if (end == TASK_TIME_NONE) {
		if (!seen_end)
			return;
		end = now_s;
	}
	if (end < t->started_at)
		return;
	key = taskstate_key(w->account, w->api, t->type, NULL);
	durations_add(ts->dur, key, end - t->started_at);
	free(key);
	if (util_empty(t->cluster_id))
		return;
	key = taskstate_key(w->account, w->api, t->type, t->cluster_id);
	durations_add(ts->dur, key, end - t->started_at);
	free(key);
}

/* Free one entry (already unlinked). */
static void
taskstate_entry_free(struct taskstate_entry *e)
{
	task_clear(&e->task);
	evt_ack_free(e->ack);
	free(e);
}

/* Free the scopes of a watch's bookkeeping. */
static void
taskstate_scopes_clear(struct taskstate_wstat *ws)
{
	size_t i;

	for (i = 0; i < ws->nscopes; i++)
		free(ws->scopes[i]);
	free(ws->scopes);
	ws->scopes = NULL;
	ws->nscopes = 0;
}

/* Free a watch's bookkeeping (its entries are gone). */
static void
taskstate_wstat_free(struct taskstate_wstat *ws)
{
	taskstate_scopes_clear(ws);
	free(ws->name);
	free(ws);
}

/* Free the table; NULL is a no-op. */
void
taskstate_free(struct taskstate *ts)
{
	struct taskstate_entry *e, *next;
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->nwatches; i++) {
		for (e = ts->watches[i]->head; e != NULL; e = next) {
			next = e->wnext;
			taskstate_entry_free(e);
		}
		taskstate_wstat_free(ts->watches[i]);
	}
	hashmap_clear(&ts->tasks);
	hashmap_clear(&ts->by_name);
	free(ts->watches);
	durations_free(ts->dur);
	free(ts);
}

/*
 * The bookkeeping of a watch, or NULL: by hash, as every poll asks for it
 * (a scan of the watches would make a poll cost grow with their number).
 */
static struct taskstate_wstat *
taskstate_wstat_find(const struct taskstate *ts, const char *watch)
{
	struct hashmap_entry *e;

	e = hashmap_get(&ts->by_name, taskstate_str(watch));
	return e != NULL ? HASHMAP_ITEM(e, struct taskstate_wstat, hentry)
			 : NULL;
}

/*
 * The watches a walk over watch (NULL: all) visits: indexes *first to the
 * return value, exclusive.
 */
static size_t
taskstate_wrange(const struct taskstate *ts, const char *watch, size_t *first)
{
	const struct taskstate_wstat *ws;

	*first = 0;
	if (watch == NULL)
		return ts->nwatches;
	if ((ws = taskstate_wstat_find(ts, watch)) == NULL)
		return 0;
	*first = ws->index;
	return ws->index + 1;
}

/* The bookkeeping of a watch, created if needed. */
static struct taskstate_wstat *
taskstate_wstat_get(struct taskstate *ts, const char *watch)
{
	struct taskstate_wstat *ws;

	if ((ws = taskstate_wstat_find(ts, watch)) != NULL)
		return ws;
	if (ts->nwatches == ts->capwatches) {
		ts->capwatches = ts->capwatches == 0 ? 8 : ts->capwatches * 2;
		ts->watches = xreallocarray(
		    ts->watches, ts->capwatches, sizeof(*ts->watches));
	}
	ws = xcalloc(1, sizeof(*ws));
	ws->name = xstrdup(taskstate_str(watch));
	hashmap_add(&ts->by_name, &ws->hentry, ws->name);
	ws->index = ts->nwatches;
	ts->watches[ts->nwatches++] = ws;
	ts->changes++;
	return ws;
}

/* 1 once a watch has been applied at least once (it has a baseline). */
int
taskstate_has_watch(const struct taskstate *ts, const char *watch)
{
	return taskstate_wstat_find(ts, watch) != NULL;
}

/* Find the entry of a task of a watch; NULL if none. */
static struct taskstate_entry *
taskstate_lookup(const struct taskstate *ts, struct taskstate_wstat *ws,
    const struct task *t)
{
	struct hashmap_entry *he;
	struct taskstate_entry *e;
	uint64_t h;

	h = taskstate_hash(ws->name, t->cluster_id, t->id);
	for (he = hashmap_first(&ts->tasks, h); he != NULL;
	     he = hashmap_next(he)) {
		e = HASHMAP_ITEM(he, struct taskstate_entry, hentry);
		if (e->ws == ws &&
		    strcmp(taskstate_str(e->task.cluster_id),
			taskstate_str(t->cluster_id)) == 0 &&
		    strcmp(taskstate_str(e->task.id), taskstate_str(t->id)) ==
			0)
			return e;
	}
	return NULL;
}

/* Find the entry of a task of the watch named watch; NULL if none. */
static struct taskstate_entry *
taskstate_find(
    const struct taskstate *ts, const char *watch, const struct task *t)
{
	struct taskstate_wstat *ws;

	if ((ws = taskstate_wstat_find(ts, watch)) == NULL)
		return NULL;
	return taskstate_lookup(ts, ws, t);
}

/* Insert a deep copy of t as a new entry of a watch. */
static struct taskstate_entry *
taskstate_insert(struct taskstate *ts, struct taskstate_wstat *ws,
    const struct task *t, int64_t now_s)
{
	struct taskstate_entry *e;

	e = xcalloc(1, sizeof(*e));
	task_copy(&e->task, t);
	e->ws = ws;
	e->progress_changed_at = now_s;
	hashmap_add_hash(&ts->tasks, &e->hentry,
	    taskstate_hash(ws->name, t->cluster_id, t->id));
	e->wnext = ws->head;
	if (ws->head != NULL)
		ws->head->wprev = e;
	ws->head = e;
	ws->count++;
	ws->nstate[taskstate_sidx(e->task.state)]++;
	ts->changes++;
	return e;
}

/* Unlink an entry from its chain and its watch, and free it. */
static void
taskstate_remove(struct taskstate *ts, struct taskstate_entry *e)
{
	struct taskstate_wstat *ws = e->ws;

	hashmap_remove(&ts->tasks, &e->hentry);
	if (e->wprev != NULL)
		e->wprev->wnext = e->wnext;
	else
		ws->head = e->wnext;
	if (e->wnext != NULL)
		e->wnext->wprev = e->wprev;
	ws->count--;
	ws->nstate[taskstate_sidx(e->task.state)]--;
	ts->changes++;
	taskstate_entry_free(e);
}

/*
 * An entry's record was replaced: a record without a scope (a lookup's)
 * keeps the scope the entry had.  Takes scope (may be NULL).
 */
static void
taskstate_keep_scope(struct taskstate_entry *e, char *scope)
{
	if (e->task.scope == NULL)
		e->task.scope = scope;
	else
		free(scope);
}

/* Replace an entry's record with a deep copy of t, keeping the counts. */
static void
taskstate_replace(
    struct taskstate *ts, struct taskstate_entry *e, const struct task *t)
{
	struct taskstate_wstat *ws = e->ws;

	char *scope = e->task.scope;

	ts->changes++;
	ws->nstate[taskstate_sidx(e->task.state)]--;
	e->task.scope = NULL;
	task_clear(&e->task);
	task_copy(&e->task, t);
	taskstate_keep_scope(e, scope);
	ws->nstate[taskstate_sidx(e->task.state)]++;
}

/*
 * A new event about a task from the watch w: the record, the previous
 * state (prev NULL: none) and obs.  Finished, appended to out and
 * returned.
 */
static struct evt *
taskstate_emit(const struct taskstate_watch *w, enum evt_kind kind,
    const struct task *t, const struct task *prev, const char *obs,
    int64_t occurred_at, int64_t now_s, int missed, struct evt_list *out)
{
	struct evt *ev = evt_new(kind);
	const char *base;

	ev->watch = xstrdup(w->watch);
	ev->api = xstrdup(w->api);
	ev->account = xstrdup(w->account);
	ev->region = xstrdup(w->region);
	ev->occurred_at = occurred_at;
	ev->observed_at = now_s;
	ev->missed = missed != 0;
	ev->has_task = 1;
	task_copy(&ev->task, t);
	if (prev != NULL) {
		ev->has_previous = 1;
		ev->prev_state = prev->state;
		ev->prev_raw = xstrdup(prev->raw_status);
		ev->prev_progress = prev->progress;
	}
	ev->obs = xstrdup(obs);
	if (w->base_type != NULL && t->type != NULL &&
	    (base = w->base_type(t->type)) != NULL)
		ev->base_type = xstrdup(base);
	evt_finish(ev);
	evt_list_add(out, ev);
	return ev;
}

/* The base type of a task type at w: the provider's, or the type. */
static const char *
taskstate_base(const struct taskstate_watch *w, const char *type)
{
	const char *base;

	if (type == NULL || w->base_type == NULL ||
	    (base = w->base_type(type)) == NULL)
		return type;
	return base;
}

/*
 * 1 if another task of e's watch and cluster in the current listing is a
 * run of e's base type (its type is that base) that started no earlier
 * than e: the API shows it in e's place.
 */
static int
taskstate_replaced(const struct taskstate_watch *w,
    const struct taskstate_wstat *ws, const struct taskstate_entry *e)
{
	const struct taskstate_entry *o;
	const char *base = taskstate_base(w, e->task.type);

	if (!w->replaces || base == NULL)
		return 0;
	for (o = ws->head; o != NULL; o = o->wnext) {
		if (o == e || o->seen_gen != ws->gen ||
		    !taskstate_streq(o->task.cluster_id, e->task.cluster_id) ||
		    taskstate_streq(o->task.id, e->task.id) ||
		    o->task.type == NULL || strcmp(o->task.type, base) != 0)
			continue;
		if (o->task.started_at != TASK_TIME_NONE &&
		    e->task.started_at != TASK_TIME_NONE &&
		    o->task.started_at < e->task.started_at)
			continue;
		return 1;
	}
	return 0;
}

/* Fire stalled for a RUNNING entry whose progress has not moved long enough. */
static void
taskstate_check_stall(struct taskstate *ts, const struct taskstate_watch *w,
    struct taskstate_entry *e, int silent, int missed, int64_t now_s,
    struct evt_list *out)
{
	char obs[32];
	uint64_t need_s;

	if (silent || e->stalled || w->stall_after_ms == 0 ||
	    e->task.state != TASK_RUNNING || now_s < e->progress_changed_at)
		return;
	need_s = w->stall_after_ms / 1000 + (w->stall_after_ms % 1000 != 0);
	if ((uint64_t)(now_s - e->progress_changed_at) < need_s)
		return;
	e->stalled = 1;
	ts->changes++;
	/*
	 * The stall's identity is what every replica polling the API sees:
	 * the task's run and state (in the id already) and the progress it
	 * is stuck at; not when this instance last saw it move.
	 */
	if (e->task.progress != TASK_PROGRESS_NONE)
		snprintf(obs, sizeof(obs), "stuck at %d", e->task.progress);
	else
		snprintf(obs, sizeof(obs), "stuck");
	taskstate_emit(
	    w, EVT_STALLED, &e->task, &e->task, obs, now_s, now_s, missed, out)
	    ->ack = evt_ack_dup(e->ack);
}

/*
 * The overdue object of e's event: age, limit, source, what was learned,
 * and the reason its summary gives.  Caller frees.
 */
static char *
taskstate_overdue_doc(const struct taskstate_expect *x, int64_t age,
    int64_t limit, int learned, int factor_pct)
{
	struct json_writer *jw = json_writer_new();
	char a[32], l[32], p95[32], reason[160], *out;

	util_format_age(age, a, sizeof(a));
	util_format_age(limit, l, sizeof(l));
	if (learned) {
		util_format_age(x->p95_s, p95, sizeof(p95));
		if (factor_pct % 100 == 0)
			snprintf(reason, sizeof(reason),
			    "running %s, %d x p95 (%s) is %s", a,
			    factor_pct / 100, p95, l);
		else
			snprintf(reason, sizeof(reason),
			    "running %s, %d.%02d x p95 (%s) is %s", a,
			    factor_pct / 100, factor_pct % 100, p95, l);
	} else
		snprintf(reason, sizeof(reason),
		    "running %s, past its max_duration of %s", a, l);
	json_w_obj_open(jw);
	json_w_kint(jw, "age_seconds", age);
	json_w_kint(jw, "limit_seconds", limit);
	json_w_kstr(jw, "source", learned ? "learned" : "max_duration");
	json_w_key(jw, "samples");
	if (x->count > 0)
		json_w_int(jw, (int64_t)x->count);
	else
		json_w_null(jw);
	json_w_key(jw, "p50_seconds");
	if (x->count > 0)
		json_w_int(jw, x->p50_s);
	else
		json_w_null(jw);
	json_w_key(jw, "p95_seconds");
	if (x->count > 0)
		json_w_int(jw, x->p95_s);
	else
		json_w_null(jw);
	json_w_kbool(jw, "per_cluster", x->per_cluster);
	json_w_kstr(jw, "reason", reason);
	json_w_obj_close(jw);
	out = xstrdup(json_writer_str(jw, NULL));
	json_writer_free(jw);
	return out;
}

/*
 * Fire overdue for a RUNNING entry past its max_duration, or past
 * overdue_factor times the p95 of what was learned; once per run.
 */
static void
taskstate_check_overdue(struct taskstate *ts, const struct taskstate_watch *w,
    struct taskstate_entry *e, int silent, int missed, int64_t now_s,
    struct evt_list *out)
{
	struct taskstate_expect x;
	struct evt *ev;
	int64_t age, limit = 0, learned = 0;
	uint64_t max_ms = 0;

	if (silent || e->overdue || e->task.state != TASK_RUNNING ||
	    e->task.started_at == TASK_TIME_NONE ||
	    (age = now_s - e->task.started_at) <= 0)
		return;
	if (w->max_duration != NULL)
		max_ms = w->max_duration(w->max_duration_arg, e->task.type);
	if (max_ms > 0)
		limit = (int64_t)((max_ms + 999) / 1000);
	memset(&x, 0, sizeof(x));
	if (w->overdue_factor_pct > 0) {
		taskstate_expect(ts, w->account, w->api, &e->task,
		    w->overdue_min_samples, &x);
		if (x.count >= w->overdue_min_samples && x.count > 0)
			learned = ((x.p95_s > 0 ? x.p95_s : 1) *
					  w->overdue_factor_pct +
				      99) /
			    100;
	}
	if (limit > 0 && age > limit)
		learned = 0;
	else if (learned > 0 && age > learned)
		limit = learned;
	else
		return;
	e->overdue = 1;
	ts->changes++;
	ev = taskstate_emit(w, EVT_OVERDUE, &e->task, NULL, NULL,
	    e->task.started_at + limit, now_s, missed, out);
	ev->ack = evt_ack_dup(e->ack);
	ev->overdue_doc = taskstate_overdue_doc(
	    &x, age, limit, learned > 0, w->overdue_factor_pct);
}

/*
 * A task new to the table: record it, learn its duration if it is
 * already over, and report it as appeared unless silent or a baseline.
 */
static void
taskstate_add_new(struct taskstate *ts, struct taskstate_wstat *ws,
    const struct taskstate_watch *w, const struct task *t, int silent,
    int missed, int64_t now_s, struct evt_list *out)
{
	struct taskstate_entry *e = taskstate_insert(ts, ws, t, now_s);
	int64_t at;

	e->seen_gen = ws->gen;
	e->seen_listings = ws->listings;
	taskstate_learn(ts, w, t, 0, now_s);
	if (silent || t->baseline)
		return;
	at = t->started_at != TASK_TIME_NONE ? t->started_at : now_s;
	taskstate_emit(
	    w, EVT_APPEARED, &e->task, NULL, NULL, at, now_s, missed, out);
}

/*
 * Bring one task up to date from a listed record t whose entry is e (NULL if
 * new): insert (appeared) or compare (transition, silent update), then look
 * for a stall.
 */
static void
taskstate_update(struct taskstate *ts, struct taskstate_wstat *ws,
    const struct taskstate_watch *w, struct taskstate_entry *e,
    const struct task *t, int silent, int missed, int64_t now_s,
    struct evt_list *out)
{
	struct task old;
	int64_t at;

	if (t->unchanged) {
		/*
		 * Only the key came, as the table said it holds this record.
		 * Should that no longer be so, the task was still listed (an
		 * API without a lookup would make it vanish otherwise), and
		 * the next poll brings its record whole.
		 */
		if (e == NULL)
			return;
		e->seen_gen = ws->gen;
		e->seen_listings = ws->listings;
		if (e->task.digest == t->digest) {
			taskstate_check_stall(
			    ts, w, e, silent, missed, now_s, out);
			taskstate_check_overdue(
			    ts, w, e, silent, missed, now_s, out);
		}
		return;
	}
	if (e == NULL) {
		taskstate_add_new(ts, ws, w, t, silent, missed, now_s, out);
		return;
	}
	e->seen_gen = ws->gen;
	e->seen_listings = ws->listings;
	if (e->task.state != t->state) {
		old = e->task; /* the event needs the old strings */
		task_init(&e->task);
		ws->nstate[taskstate_sidx(old.state)]--;
		task_copy(&e->task, t);
		taskstate_keep_scope(e, old.scope);
		old.scope = NULL;
		ws->nstate[taskstate_sidx(e->task.state)]++;
		e->progress_changed_at = now_s;
		e->stalled = 0;
		e->overdue = 0;
		ts->changes++;
		taskstate_learn(ts, w, t, !silent && !missed, now_s);
		if (!silent) {
			at = now_s;
			if (task_state_terminal(t->state) &&
			    t->ended_at != TASK_TIME_NONE)
				at = t->ended_at;
			/* It carries the ack the change ended. */
			taskstate_emit(w, EVT_TRANSITION, &e->task, &old, NULL,
			    at, now_s, missed, out)
			    ->ack = e->ack;
		} else
			evt_ack_free(e->ack);
		e->ack = NULL;
		task_clear(&old);
		return;
	}
	if (e->task.progress != t->progress) {
		e->progress_changed_at = now_s;
		e->stalled = 0;
		e->task.progress = t->progress;
		ts->changes++;
		ts->minor++;
	}
	if (taskstate_differs(&e->task, t))
		taskstate_replace(ts, e, t);
	e->task.digest = t->digest;
	taskstate_check_stall(ts, w, e, silent, missed, now_s, out);
	taskstate_check_overdue(ts, w, e, silent, missed, now_s, out);
}

/* Reverse out->v[from..n), so events come in listing order. */
static void
taskstate_reverse(struct evt_list *out, size_t from)
{
	struct evt *tmp;
	size_t i, j;

	if (out->n < 2)
		return;
	for (i = from, j = out->n - 1; i < j; i++, j--) {
		tmp = out->v[i];
		out->v[i] = out->v[j];
		out->v[j] = tmp;
	}
}

/*
 * Apply one poll's listing of a watch at now_s.  The listing is walked from
 * its end so that a task listed twice is taken from its last occurrence
 * (earlier ones are skipped as already seen in this generation); the events
 * are then put back in listing order.
 */
void
taskstate_apply(struct taskstate *ts, const struct taskstate_watch *w,
    const struct task_list *tasks, int complete, int silent, int missed,
    int64_t now_s, struct evt_list *out, struct task_list *gone)
{
	struct taskstate_wstat *ws;
	struct taskstate_entry *e;
	const struct task *t;
	size_t i, first = out != NULL ? out->n : 0;

	if (out == NULL)
		silent = 1;
	ws = taskstate_wstat_get(ts, w->watch);
	ws->gen++;
	if (complete)
		ws->listings++;
	if (missed)
		ws->missed_gen = ws->gen;
	for (i = tasks != NULL ? tasks->n : 0; i > 0; i--) {
		t = &tasks->v[i - 1];
		if ((e = taskstate_lookup(ts, ws, t)) != NULL &&
		    e->seen_gen == ws->gen)
			continue;
		taskstate_update(ts, ws, w, e, t, silent, missed, now_s, out);
	}
	if (out != NULL)
		taskstate_reverse(out, first);
	if (!complete || gone == NULL)
		return;
	for (e = ws->head; e != NULL; e = e->wnext) {
		if (e->seen_gen != ws->gen)
			task_copy(task_list_add(gone), &e->task);
	}
}

/* 1 if the watch's record of t's key is the one of digest t->digest. */
int
taskstate_known(
    const struct taskstate *ts, const char *watch, const struct task *t)
{
	struct taskstate_entry *e;

	if (t->digest == 0 || (e = taskstate_find(ts, watch, t)) == NULL)
		return 0;
	return e->task.digest == t->digest;
}

/*
 * 1 while the watch's current listing is the first after a restart: its
 * vanished and confirmed tasks also changed while the daemon was down.
 */
static int
taskstate_missed(const struct taskstate_wstat *ws)
{
	return ws->gen != 0 && ws->missed_gen == ws->gen;
}

/* A task confirmed gone: remove it; vanished, or replaced (see header). */
void
taskstate_vanish(struct taskstate *ts, const struct taskstate_watch *w,
    const struct task *t, int64_t now_s, struct evt_list *out)
{
	struct taskstate_entry *e;

	if ((e = taskstate_find(ts, w->watch, t)) == NULL)
		return;
	taskstate_emit(w,
	    taskstate_replaced(w, e->ws, e) ? EVT_REPLACED : EVT_VANISHED,
	    &e->task, &e->task, NULL, now_s, now_s, taskstate_missed(e->ws),
	    out)
	    ->ack = e->ack;
	e->ack = NULL;
	taskstate_remove(ts, e);
}

/*
 * A task missing from the listing that the single-task lookup still finds:
 * apply its record (may give transition); a terminal task is then dropped
 * quietly.  A task the table does not hold is ignored.
 */
void
taskstate_confirm(struct taskstate *ts, const struct taskstate_watch *w,
    const struct task *t, int64_t now_s, struct evt_list *out)
{
	struct taskstate_entry *e;

	if ((e = taskstate_find(ts, w->watch, t)) == NULL)
		return;
	taskstate_update(
	    ts, e->ws, w, e, t, 0, taskstate_missed(e->ws), now_s, out);
	if (task_state_terminal(e->task.state))
		taskstate_remove(ts, e);
}

/* Drop every task of a watch (watch removed or changed on reload). */
void
taskstate_forget_watch(struct taskstate *ts, const char *watch)
{
	struct taskstate_wstat *ws;

	if ((ws = taskstate_wstat_find(ts, watch)) == NULL)
		return;
	while (ws->head != NULL)
		taskstate_remove(ts, ws->head);
	hashmap_remove(&ts->by_name, &ws->hentry);
	ts->watches[ws->index] = ts->watches[--ts->nwatches];
	ts->watches[ws->index]->index = ws->index;
	taskstate_wstat_free(ws);
	ts->changes++;
}

/* Tasks of a watch (NULL: all) in a state (-1: any). */
size_t
taskstate_count(const struct taskstate *ts, const char *watch, int state)
{
	const struct taskstate_wstat *ws;
	size_t i, n = 0;

	if (state >= TASK_STATE_COUNT)
		return 0;
	if (watch != NULL) {
		if ((ws = taskstate_wstat_find(ts, watch)) == NULL)
			return 0;
		return state < 0 ? ws->count : ws->nstate[state];
	}
	for (i = 0; i < ts->nwatches; i++) {
		ws = ts->watches[i];
		n += state < 0 ? ws->count : ws->nstate[state];
	}
	return n;
}

/*
 * Call cb for each task of a watch (NULL: all), in no particular order.  The
 * callback must not change the table.
 */
void
taskstate_foreach(const struct taskstate *ts, const char *watch,
    void (*cb)(const char *watch, const struct task *t, void *arg), void *arg)
{
	const struct taskstate_wstat *ws;
	const struct taskstate_entry *e;
	size_t i, n;

	n = taskstate_wrange(ts, watch, &i);
	for (; i < n; i++) {
		ws = ts->watches[i];
		for (e = ws->head; e != NULL; e = e->wnext)
			cb(ws->name, &e->task, arg);
	}
}

/* Mark a watch as restored (it has a baseline), even with no task. */
void
taskstate_restore_watch(struct taskstate *ts, const char *watch)
{
	struct taskstate_wstat *ws = taskstate_wstat_get(ts, watch);

	ws->restored = ws->was_restored = 1;
}

/* Put a saved task back into a watch (restored too); replaces a duplicate. */
void
taskstate_restore(struct taskstate *ts, const char *watch, const struct task *t,
    const struct taskstate_extra *x)
{
	struct taskstate_wstat *ws;
	struct taskstate_entry *e;

	ws = taskstate_wstat_get(ts, watch);
	ws->restored = ws->was_restored = 1;
	if ((e = taskstate_lookup(ts, ws, t)) != NULL)
		taskstate_replace(ts, e, t);
	else
		e = taskstate_insert(ts, ws, t, x->progress_changed_at);
	e->progress_changed_at = x->progress_changed_at;
	e->stalled = x->stalled != 0;
	e->overdue = x->overdue != 0;
	evt_ack_free(e->ack);
	e->ack = evt_ack_dup(x->ack);
}

/* 1 if the watch is restored and has not taken a complete listing yet. */
int
taskstate_restored(const struct taskstate *ts, const char *watch)
{
	const struct taskstate_wstat *ws = taskstate_wstat_find(ts, watch);

	return ws != NULL && ws->restored;
}

/* As taskstate_restored, and clear the mark: 1 once per restored watch. */
int
taskstate_take_restored(struct taskstate *ts, const char *watch)
{
	struct taskstate_wstat *ws = taskstate_wstat_find(ts, watch);

	if (ws == NULL || !ws->restored)
		return 0;
	ws->restored = 0;
	return 1;
}

/* Restored watches that have not taken a complete listing yet. */
size_t
taskstate_restored_count(const struct taskstate *ts)
{
	size_t i, n = 0;

	for (i = 0; i < ts->nwatches; i++)
		n += ts->watches[i]->restored != 0;
	return n;
}

/* Call cb for each watch that has a baseline. */
void
taskstate_foreach_watch(const struct taskstate *ts,
    void (*cb)(const char *watch, size_t ntasks, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < ts->nwatches; i++)
		cb(ts->watches[i]->name, ts->watches[i]->count, arg);
}

/* As taskstate_foreach, with what the diff keeps about each task. */
void
taskstate_foreach_extra(const struct taskstate *ts, const char *watch,
    void (*cb)(const char *watch, const struct task *t,
	const struct taskstate_extra *x, void *arg),
    void *arg)
{
	const struct taskstate_wstat *ws;
	const struct taskstate_entry *e;
	struct taskstate_extra x;
	size_t i, n;

	n = taskstate_wrange(ts, watch, &i);
	for (; i < n; i++) {
		ws = ts->watches[i];
		for (e = ws->head; e != NULL; e = e->wnext) {
			x.progress_changed_at = e->progress_changed_at;
			x.stalled = e->stalled;
			x.overdue = e->overdue;
			x.ack = e->ack;
			cb(ws->name, &e->task, &x, arg);
		}
	}
}

/* A counter that moves on every change of the table. */
uint64_t
taskstate_changes(const struct taskstate *ts)
{
	return ts->changes;
}

/* The part of taskstate_changes that only moved a task's progress. */
uint64_t
taskstate_minor_changes(const struct taskstate *ts)
{
	return ts->minor;
}

/* The index of scope key in a watch's baselined scopes, or -1. */
static long
taskstate_scope_index(const struct taskstate_wstat *ws, const char *key)
{
	size_t i;

	for (i = 0; i < ws->nscopes; i++)
		if (strcmp(ws->scopes[i], taskstate_str(key)) == 0)
			return (long)i;
	return -1;
}

/* 1 if scope key (NULL: project-wide) of the watch has a baseline. */
int
taskstate_has_scope(
    const struct taskstate *ts, const char *watch, const char *key)
{
	const struct taskstate_wstat *ws = taskstate_wstat_find(ts, watch);

	return ws != NULL && taskstate_scope_index(ws, key) != -1;
}

/* Add scope key (NULL: project-wide) to the watch's baselined scopes. */
void
taskstate_add_scope(struct taskstate *ts, const char *watch, const char *key)
{
	struct taskstate_wstat *ws = taskstate_wstat_get(ts, watch);

	if (taskstate_scope_index(ws, key) != -1)
		return;
	ws->scopes =
	    xreallocarray(ws->scopes, ws->nscopes + 1, sizeof(*ws->scopes));
	ws->scopes[ws->nscopes++] = xstrdup(taskstate_str(key));
	ts->changes++;
}

/* 1 if key is one of keys[0..n) (NULL and "" are the same key). */
static int
taskstate_key_in(const char *key, char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(taskstate_str(keys[i]), taskstate_str(key)) == 0)
			return 1;
	return 0;
}

/*
 * Keep only the scopes keys[0..n) of a watch: its tasks listed in any
 * other scope are dropped (a task of unknown scope stays) and so is the
 * baseline of those scopes.  The number of tasks dropped.
 */
size_t
taskstate_keep_scopes(
    struct taskstate *ts, const char *watch, char *const *keys, size_t n)
{
	struct taskstate_wstat *ws = taskstate_wstat_find(ts, watch);
	struct taskstate_entry *e, *next;
	size_t i, j, dropped = 0;

	if (ws == NULL)
		return 0;
	for (e = ws->head; e != NULL; e = next) {
		next = e->wnext;
		if (e->task.scope != NULL &&
		    !taskstate_key_in(e->task.scope, keys, n)) {
			taskstate_remove(ts, e);
			dropped++;
		}
	}
	for (i = j = 0; i < ws->nscopes; i++) {
		if (taskstate_key_in(ws->scopes[i], keys, n))
			ws->scopes[j++] = ws->scopes[i];
		else {
			free(ws->scopes[i]);
			ts->changes++;
		}
	}
	ws->nscopes = j;
	return dropped;
}

/* The baselined scopes of a watch ("" project-wide); *n of them. */
char *const *
taskstate_scopes(const struct taskstate *ts, const char *watch, size_t *n)
{
	const struct taskstate_wstat *ws = taskstate_wstat_find(ts, watch);

	*n = ws != NULL ? ws->nscopes : 0;
	return ws != NULL ? ws->scopes : NULL;
}

/* Forget the digests of a watch's records: the next listing decodes all. */
void
taskstate_forget_digests(struct taskstate *ts, const char *watch)
{
	struct taskstate_wstat *ws = taskstate_wstat_find(ts, watch);
	struct taskstate_entry *e;

	for (e = ws != NULL ? ws->head : NULL; e != NULL; e = e->wnext)
		e->task.digest = 0;
}

/*
 * How many complete listings in a row lacked the watch's task t (0 if it
 * was in the last one, or the table does not hold it).
 */
uint64_t
taskstate_absences(
    const struct taskstate *ts, const char *watch, const struct task *t)
{
	struct taskstate_wstat *ws = taskstate_wstat_find(ts, watch);
	struct taskstate_entry *e;

	if (ws == NULL || (e = taskstate_lookup(ts, ws, t)) == NULL)
		return 0;
	return ws->listings - e->seen_listings;
}

/*
 * 1 once every watch restored from the saved table has taken at least
 * listings complete listings: what it would detect again of the previous
 * run's work (a vanish may take two listings) has been detected.
 */
int
taskstate_settled(const struct taskstate *ts, uint64_t listings)
{
	size_t i;

	for (i = 0; i < ts->nwatches; i++)
		if (ts->watches[i]->was_restored &&
		    ts->watches[i]->listings < listings)
			return 0;
	return 1;
}

/*
 * The one task called id of a watch (NULL: of any watch); NULL with
 * *cause when there is none, or more than one.
 */
static struct taskstate_entry *
taskstate_find_id(
    const struct taskstate *ts, const char *watch, const char *id, char **cause)
{
	struct taskstate_entry *e, *found = NULL;
	struct buf where;
	size_t i, n, nfound = 0;

	buf_init(&where, 0);
	n = taskstate_wrange(ts, watch, &i);
	for (; i < n; i++) {
		for (e = ts->watches[i]->head; e != NULL; e = e->wnext) {
			if (!taskstate_streq(e->task.id, id))
				continue;
			buf_printf(&where, "%s%s%s%s", nfound > 0 ? ", " : "",
			    e->ws->name,
			    util_empty(e->task.cluster_id) ? "" : "/",
			    taskstate_str(e->task.cluster_id));
			found = e;
			nfound++;
		}
	}
	if (nfound == 0)
		*cause = xasprintf("no task \"%.100s\"%s%.100s", id,
		    watch != NULL ? " in watch " : "", taskstate_str(watch));
	else if (nfound > 1)
		*cause = xasprintf("task \"%.100s\" is in more than one "
				   "watch or cluster (%.300s): name its watch",
		    id, buf_str(&where));
	buf_free(&where);
	return nfound == 1 ? found : NULL;
}

/*
 * Acknowledge the task id (see taskstate.h); ack NULL removes the
 * acknowledgement.
 */
int
taskstate_ack(struct taskstate *ts, const char *watch, const char *id,
    const struct evt_ack *ack, struct taskstate_acked *out, char **cause)
{
	struct taskstate_entry *e;

	if ((e = taskstate_find_id(ts, watch, id, cause)) == NULL)
		return -1;
	out->watch = e->ws->name;
	out->task = &e->task;
	out->had = e->ack != NULL;
	evt_ack_free(e->ack);
	e->ack = evt_ack_dup(ack);
	if (e->ack != NULL)
		e->ack->state = e->task.state;
	out->ack = e->ack;
	ts->changes++;
	return 0;
}
