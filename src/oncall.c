/*
 * On-call controls (see oncall.h): the silence set of the running daemon,
 * its file in state_dir, and what happens when a silence ends.  The file
 * is small and written only when an operator changes a silence, when a
 * silence ends, and before each save of the task table; never ahead of
 * the events it records (an ended silence's events are queued first).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "durable.h"
#include "evt.h"
#include "hashmap.h"
#include "json.h"
#include "log.h"
#include "maintenance.h"
#include "metrics.h"
#include "monotime.h"
#include "oncall.h"
#include "taskstate.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define ONCALL_MAX_FILE (64 * 1024 * 1024)
#define ONCALL_TMP ONCALL_FILE ".tmp"
#define ONCALL_BAD ONCALL_FILE ".bad"

struct oncall {
	const struct taskstate *ts; /* borrowed */
	struct oncall_cbs cbs;
	struct silence_set *set;
	struct timer *timer; /* at the next end */
	int dirfd;           /* state_dir; -1: kept in memory only */
	const struct config_maintenance *windows; /* borrowed: the config's */
	size_t nwindows;
	int dirty;             /* the set changed since it was written */
	int save_failed;       /* the last write failed (logged) */
	oncall_share_fn share; /* daemon.ha: tell the other replicas */
	void *share_arg;
	size_t share_bad; /* unreadable shared silences at the last merge */
};

/* What a silence silenced, as found again when it ends. */
struct oncall_item {
	struct hashmap_entry entry;
	struct evt *ev;            /* its last silenced event */
	const struct task *cur;    /* the task table's record now; NULL */
	const struct evt_ack *ack; /* the task's ack now; NULL */
	int again;                 /* raised again */
};

static void oncall_timer_cb(void *arg);
static void oncall_share(struct oncall *o, size_t i);

/* The wall clock in unix seconds. */
static int64_t
oncall_now(void)
{
	return monotime_wall_ms() / 1000;
}

/* On-call controls on base (see oncall.h). */
struct oncall *
oncall_new(struct event_base *base, const struct taskstate *ts,
    const struct oncall_cbs *cbs)
{
	struct oncall *o = xcalloc(1, sizeof(*o));

	o->ts = ts;
	o->cbs = *cbs;
	o->set = silence_set_new();
	o->timer = timer_new(base, oncall_timer_cb, o);
	o->dirfd = -1;
	return o;
}

/* Write what changed and free. */
void
oncall_free(struct oncall *o)
{
	if (o == NULL)
		return;
	(void)oncall_flush(o);
	timer_free(o->timer);
	silence_set_free(o->set);
	if (o->dirfd != -1)
		close(o->dirfd);
	free(o);
}

/* Arm the timer for the next end of a silence or opening of a window. */
static void
oncall_arm(struct oncall *o)
{
	int64_t now = oncall_now(), left, start, end;
	size_t i;

	left = silence_next_end(o->set, now);
	for (i = 0; i < o->nwindows; i++)
		if (maintenance_next(&o->windows[i], now, &start, &end) == 0 &&
		    (left < 0 || start - now < left))
			left = start > now ? start - now : 0;
	if (left < 0)
		timer_del(o->timer);
	else
		timer_add_ms(o->timer, (uint64_t)left * 1000);
}

/*
 * The matchers of window m joined by spaces (as silence_info has them),
 * and the id of its opening at start: of the name and the matchers, so
 * that a reload changing the match makes a new silence.  Caller frees.
 */
static char *
oncall_window_id(const struct config_maintenance *m, int64_t start,
    char id[SILENCE_ID_LEN + 1], char ***v, size_t *n)
{
	struct buf b;
	char *key;
	size_t i;

	config_maintenance_matchers(m, v, n);
	buf_init(&b, 0);
	for (i = 0; i < *n; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", (*v)[i]);
	key = xasprintf("%s\037%s", m->name, buf_str(&b));
	maintenance_id(key, start, id);
	free(key);
	return buf_release(&b);
}

/* The configured window named name, or NULL. */
static const struct config_maintenance *
oncall_window(const struct oncall *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nwindows; i++)
		if (strcmp(o->windows[i].name, name) == 0)
			return &o->windows[i];
	return NULL;
}

/*
 * End now the open silence of a window that is gone, closed or changed;
 * follow a new end of the same opening.
 */
static void
oncall_windows_close(struct oncall *o, int64_t now)
{
	const struct config_maintenance *m;
	const struct silence_info *si;
	char id[SILENCE_ID_LEN + 1], *joined, **v;
	int64_t start, end;
	size_t i, n;
	int same;

	for (i = 0; i < silence_count(o->set); i++) {
		si = silence_at(o->set, i);
		if (si->window == NULL || si->ended || si->ends_at <= now)
			continue;
		same = 0;
		end = now;
		if ((m = oncall_window(o, si->window)) != NULL &&
		    maintenance_open_at(m, now, &start, &end)) {
			joined = oncall_window_id(m, start, id, &v, &n);
			same = strcmp(id, si->id) == 0;
			free(joined);
			config_maintenance_matchers_free(v, n);
		}
		if (same && end == si->ends_at)
			continue;
		if (!same)
			log_info("maintenance window %s: %s; its opening ends "
				 "now",
			    si->window,
			    m == NULL ? "no longer configured"
				      : "closed or changed by a reload");
		silence_set_end(o->set, i, same ? end : now);
		o->dirty = 1;
	}
}

/* Open a silence for each window open at now that has none yet. */
static void
oncall_windows_open(struct oncall *o, int64_t now)
{
	const struct config_maintenance *m;
	char id[SILENCE_ID_LEN + 1], until[UTIL_RFC3339_LEN];
	char *joined, *cause = NULL, **v;
	int64_t start, end;
	size_t i, n;

	for (i = 0; i < o->nwindows; i++) {
		m = &o->windows[i];
		if (!maintenance_open_at(m, now, &start, &end))
			continue;
		joined = oncall_window_id(m, start, id, &v, &n);
		/* Known, or expired early by an operator: nothing to do. */
		if (silence_find(o->set, id) == -1 &&
		    silence_add(o->set, id, (const char *const *)v, n, NULL,
			start, end, -1, -1, &cause) == 0) {
			silence_set_window(
			    o->set, silence_count(o->set) - 1, m->name);
			o->dirty = 1;
			util_format_rfc3339(end, until);
			log_info("maintenance window %s open until %s: %s",
			    m->name, until, joined);
		} else if (cause != NULL) {
			log_warnx("maintenance window %s: %s", m->name, cause);
			free(cause);
			cause = NULL;
		}
		free(joined);
		config_maintenance_matchers_free(v, n);
	}
}

/* Point at the config's maintenance windows (see oncall.h). */
void
oncall_set_windows(
    struct oncall *o, const struct config_maintenance *v, size_t n)
{
	o->windows = v;
	o->nwindows = n;
	/* The timer does the rest, at once and from the loop. */
	timer_activate(o->timer);
}

/* Write the set if it changed (see oncall.h). */
int
oncall_flush(void *arg)
{
	struct oncall *o = arg;
	char *text;
	int rc;

	if (!o->dirty || o->dirfd == -1)
		return 0;
	text = silence_set_json(o->set);
	rc = durable_put(
	    o->dirfd, ONCALL_FILE, ONCALL_TMP, text, strlen(text), 1, NULL);
	free(text);
	if (rc == -1) {
		if (!o->save_failed)
			log_warn("cannot write %s; the task table is not saved "
				 "until it can be",
			    ONCALL_FILE);
		o->save_failed = 1;
		metrics_add(metrics_global(), METRICS_STATE_WRITE_FAILURES, 1,
		    "file", "silences", NULL);
		return -1;
	}
	if (o->save_failed)
		log_info("%s written again", ONCALL_FILE);
	o->save_failed = 0;
	o->dirty = 0;
	return 0;
}

/* Keep the silences in state_dir (see oncall.h). */
int
oncall_open(struct oncall *o, const char *state_dir, char **cause)
{
	struct silence_set *set;
	char *text, *why = NULL;
	size_t len;

	if ((o->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		*cause = xasprintf("%s: %s", state_dir, strerror(errno));
		return -1;
	}
	text = durable_read(o->dirfd, ONCALL_FILE, ONCALL_MAX_FILE, &len);
	if (text == NULL && errno != ENOENT)
		why = xstrdup(strerror(errno));
	else if (text != NULL &&
	    (set = silence_set_from_json(text, len, &why)) != NULL) {
		silence_set_free(o->set);
		o->set = set;
	}
	free(text);
	if (why != NULL) {
		/* Set aside, not overwritten: an operator may want it. */
		if (renameat(o->dirfd, ONCALL_FILE, o->dirfd, ONCALL_BAD) == 0)
			log_warnx("%s/%s cannot be read (%s): set aside as "
				  "%s; its silences no longer hold",
			    state_dir, ONCALL_FILE, why, ONCALL_BAD);
		else
			log_warnx("%s/%s cannot be read (%s); its silences "
				  "no longer hold",
			    state_dir, ONCALL_FILE, why);
		free(why);
	}
	if (silence_count(o->set) > 0)
		log_info("%zu silence%s kept from the last run",
		    silence_count(o->set),
		    silence_count(o->set) == 1 ? "" : "s");
	/* Ended while we were down: reported once the loop runs. */
	oncall_arm(o);
	return 0;
}

/* Mark ev if a silence matches it (see oncall.h). */
void
oncall_apply(struct oncall *o, struct evt *ev)
{
	const char *id;

	if (o == NULL || ev->kind == EVT_SILENCE_ENDED || ev->test)
		return;
	if ((id = silence_apply(o->set, ev, oncall_now())) == NULL)
		return;
	free(ev->silenced);
	ev->silenced = xstrdup(id);
	o->dirty = 1;
	metrics_add(metrics_global(), METRICS_EVENTS_SILENCED, 1, "watch",
	    ev->watch != NULL ? ev->watch : "", "event",
	    evt_kind_name(ev->kind), NULL);
}

/* Tell the other replicas of silence i, if there are any. */
static void
oncall_share(struct oncall *o, size_t i)
{
	char *text;

	if (o->share == NULL)
		return;
	text = silence_share_text(o->set, i);
	o->share(silence_at(o->set, i)->id, text, o->share_arg);
	free(text);
}

/* A fresh silence id: 16 random hex digits, not in use. */
static void
oncall_new_id(struct oncall *o, char id[SILENCE_ID_LEN + 1])
{
	unsigned char r[SILENCE_ID_LEN / 2];
	size_t i;

	do {
		arc4random_buf(r, sizeof(r));
		for (i = 0; i < sizeof(r); i++)
			snprintf(id + i * 2, 3, "%02x", r[i]);
	} while (silence_find(o->set, id) != -1);
}

/* Add a silence (see oncall.h). */
int
oncall_silence_add(struct oncall *o, const char *const *matchers, size_t n,
    const char *comment, int64_t ends_at, long uid, long gid,
    char id[SILENCE_ID_LEN + 1], char **cause)
{
	oncall_new_id(o, id);
	if (silence_add(o->set, id, matchers, n, comment, oncall_now(), ends_at,
		uid, gid, cause) == -1)
		return -1;
	o->dirty = 1;
	if (oncall_flush(o) == -1) {
		silence_remove(o->set, silence_count(o->set) - 1);
		*cause = xasprintf("cannot save the silence in %s: %s; it was "
				   "not added",
		    ONCALL_FILE, strerror(errno));
		return -1;
	}
	oncall_share(o, silence_count(o->set) - 1);
	oncall_arm(o);
	return 0;
}

/* End silence id now (see oncall.h). */
int
oncall_silence_expire(struct oncall *o, const char *id, char **cause)
{
	long i = silence_find(o->set, id);
	int64_t was, now = oncall_now();

	if (i == -1 || silence_at(o->set, (size_t)i)->ended ||
	    silence_at(o->set, (size_t)i)->ends_at <= now) {
		*cause = xasprintf(
		    i == -1 ? "no silence %.32s" : "silence %.32s has ended",
		    id);
		return -1;
	}
	was = silence_at(o->set, (size_t)i)->ends_at;
	silence_set_end(o->set, (size_t)i, now);
	o->dirty = 1;
	if (oncall_flush(o) == -1) {
		silence_set_end(o->set, (size_t)i, was);
		*cause = xasprintf("cannot save the silences in %s: %s; it "
				   "was not expired",
		    ONCALL_FILE, strerror(errno));
		return -1;
	}
	oncall_share(o, (size_t)i);
	timer_activate(o->timer);
	return 0;
}

/* Tell the other replicas where to find silences (see oncall.h). */
void
oncall_set_share(struct oncall *o, oncall_share_fn fn, void *arg)
{
	o->share = fn;
	o->share_arg = arg;
}

/* Log what another replica changed here; 1 if the set changed. */
static int
oncall_merged(struct oncall *o, enum silence_merge m, long at)
{
	const struct silence_info *si;
	char until[UTIL_RFC3339_LEN];

	if (at < 0)
		return 0;
	si = silence_at(o->set, (size_t)at);
	switch (m) {
	case SILENCE_MERGE_ADDED:
		util_format_rfc3339(si->ends_at, until);
		log_info("silence %s added on another replica: %s until %s%s%s",
		    si->id, si->matchers, until,
		    si->comment != NULL ? ": " : "",
		    si->comment != NULL ? si->comment : "");
		return 1;
	case SILENCE_MERGE_ENDED:
		log_info("silence %s expired on another replica", si->id);
		return 1;
	default:
		return 0;
	}
}

/* Take in the silences the other replicas shared (see oncall.h). */
void
oncall_merge_shared(
    struct oncall *o, const char *const *texts, const size_t *lens, size_t n)
{
	int64_t now = oncall_now();
	char *heard = xcalloc(silence_count(o->set) + n + 1, 1);
	char *cause, *first = NULL;
	enum silence_merge m;
	size_t i, nbad = 0;
	int changed = 0;
	long at;

	for (i = 0; i < n; i++) {
		cause = NULL;
		m = silence_merge(o->set, texts[i], lens[i], now, &at, &cause);
		if (m == SILENCE_MERGE_BAD) {
			if (nbad++ == 0)
				first = cause;
			else
				free(cause);
			continue;
		}
		changed |= oncall_merged(o, m, at);
		if (at >= 0) /* 2: theirs ends later, tell them ours */
			heard[at] = m == SILENCE_MERGE_STALE ? 2 : 1;
	}
	if (nbad != o->share_bad && nbad > 0)
		log_warnx("ha: %zu silence%s shared in etcd cannot be read "
			  "(%s): not applied here",
		    nbad, nbad == 1 ? "" : "s", first);
	o->share_bad = nbad;
	free(first);
	/* Theirs lack it (made while etcd was away, or its key expired). */
	for (i = 0; i < silence_count(o->set); i++)
		if (silence_at(o->set, i)->window == NULL &&
		    (heard[i] == 2 ||
			(heard[i] == 0 &&
			    silence_at(o->set, i)->ends_at > now)))
			oncall_share(o, i);
	free(heard);
	if (changed) {
		o->dirty = 1;
		(void)oncall_flush(o);
		timer_activate(o->timer); /* ends, then re-armed */
	}
}

/* "created_by": {uid, gid}, or null for a window's opening. */
static void
oncall_write_creator(struct json_writer *w, const struct silence_info *si)
{
	json_w_key(w, "created_by");
	if (si->uid < 0) {
		json_w_null(w);
		return;
	}
	json_w_obj_open(w);
	json_w_kint(w, "uid", si->uid);
	json_w_kint(w, "gid", si->gid);
	json_w_obj_close(w);
}

/* Write one silence's info as an object. */
static void
oncall_write_info(struct json_writer *w, const struct silence_info *si,
    int64_t now, size_t ntasks)
{
	json_w_obj_open(w);
	json_w_kstr(w, "id", si->id);
	json_w_kstr(w, "state",
	    si->ended || si->ends_at <= now ? "ended"
		: si->starts_at > now       ? "pending"
					    : "active");
	json_w_kstr(w, "matchers", si->matchers);
	if (si->comment != NULL)
		json_w_kstr(w, "comment", si->comment);
	if (si->window != NULL)
		json_w_kstr(w, "window", si->window);
	json_w_ktime(w, "starts_at", si->starts_at);
	json_w_ktime(w, "ends_at", si->ends_at);
	oncall_write_creator(w, si);
	json_w_kint(w, "events", (int64_t)si->events);
	json_w_kint(w, "tasks_total", (int64_t)ntasks);
	json_w_obj_close(w);
}

/* The number of tasks (not watches) silence i silenced. */
static size_t
oncall_task_count(const struct silence_set *set, size_t i)
{
	const struct silence_item *v;
	uint64_t total;
	size_t n, j, watches = 0;

	v = silence_items(set, i, &n, &total);
	for (j = 0; j < n; j++)
		if (strchr(v[j].key, '\037')[1] == '\0')
			watches++;
	return (size_t)(total - watches);
}

/* Write the silences as a JSON array (see oncall.h). */
void
oncall_write_silences(struct oncall *o, struct json_writer *w)
{
	int64_t now = oncall_now();
	const struct silence_info *si;
	size_t i;
	int pass;

	json_w_arr_open(w);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < silence_count(o->set); i++) {
			si = silence_at(o->set, i);
			if ((si->ended || si->ends_at <= now) != pass)
				continue;
			oncall_write_info(
			    w, si, now, oncall_task_count(o->set, i));
		}
	}
	json_w_arr_close(w);
}

/*
 * Write the configured maintenance windows as a JSON array: each with its
 * definition, whether it is open (and until when), and its next opening.
 */
void
oncall_write_windows(struct oncall *o, struct json_writer *w)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
		"sat", "sun" };
	const struct config_maintenance *m;
	int64_t now = oncall_now(), start, end;
	char hm[24], **v;
	size_t i, j, n;

	json_w_arr_open(w);
	for (i = 0; i < o->nwindows; i++) {
		m = &o->windows[i];
		json_w_obj_open(w);
		json_w_kstr(w, "name", m->name);
		config_maintenance_matchers(m, &v, &n);
		json_w_key(w, "matchers");
		json_w_arr_open(w);
		for (j = 0; j < n; j++)
			json_w_str(w, v[j]);
		json_w_arr_close(w);
		config_maintenance_matchers_free(v, n);
		json_w_key(w, "days");
		json_w_arr_open(w);
		for (j = 0; j < 7; j++)
			if (m->days & (1u << j))
				json_w_str(w, days[j]);
		json_w_arr_close(w);
		snprintf(hm, sizeof(hm), "%02d:%02d", m->from_min / 60,
		    m->from_min % 60);
		json_w_kstr(w, "from", hm);
		snprintf(hm, sizeof(hm), "%02d:%02d", m->to_min / 60,
		    m->to_min % 60);
		json_w_kstr(w, "to", hm);
		json_w_kstr(w, "timezone", m->timezone);
		json_w_kbool(
		    w, "open", maintenance_open_at(m, now, &start, &end));
		if (maintenance_open_at(m, now, &start, &end))
			json_w_ktime(w, "closes_at", end);
		if (maintenance_next(m, now, &start, &end) == 0) {
			json_w_ktime(w, "next_opens_at", start);
			json_w_ktime(w, "next_closes_at", end);
		}
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
}

/* taskstate_foreach_extra: note the record and ack of each silenced task. */
static void
oncall_find_cb(const char *watch, const struct task *t,
    const struct taskstate_extra *x, void *arg)
{
	struct hashmap *m = arg;
	struct hashmap_entry *e;
	char *key;

	key = xasprintf("%s\037%s\037%s", watch,
	    t->cluster_id != NULL ? t->cluster_id : "",
	    t->id != NULL ? t->id : "");
	if ((e = hashmap_get(m, key)) != NULL) {
		((struct oncall_item *)e)->cur = t;
		((struct oncall_item *)e)->ack = x->ack;
	}
	free(key);
}

/*
 * 1 if what item silenced still holds: its task is still in the failed
 * state it was silenced in (and nobody acknowledged it since), or still
 * in the run that was overdue, or its watch is still failing.
 */
static int
oncall_still_failed(struct oncall *o, const struct oncall_item *it)
{
	const struct evt *ev = it->ev;

	if (ev->kind == EVT_OVERDUE)
		return it->cur != NULL && it->cur->state == TASK_RUNNING &&
		    it->cur->started_at == ev->task.started_at &&
		    (it->ack == NULL || it->ack->state != TASK_RUNNING);

	if (evt_is_watch_event(ev))
		return (ev->kind == EVT_WATCH_FAILED ||
			   ev->kind == EVT_WATCH_FLAPPING) &&
		    ev->watch != NULL &&
		    o->cbs.watch_down(ev->watch, o->cbs.arg);
	return it->cur != NULL &&
	    (it->cur->state == TASK_FAILED || it->cur->state == TASK_PARTIAL) &&
	    ev->has_task && ev->task.state == it->cur->state &&
	    (it->ack == NULL || it->ack->state != it->cur->state);
}

/* Write the "silence" object of silence i's silence_ended event. */
static char *
oncall_summary(struct oncall *o, size_t i, struct oncall_item *items, size_t n,
    size_t again)
{
	const struct silence_info *si = silence_at(o->set, i);
	struct json_writer *w = json_writer_new();
	const struct evt *ev;
	size_t j, listed = 0;
	int pass;
	char *s;

	json_w_obj_open(w);
	json_w_kstr(w, "id", si->id);
	json_w_kstr(w, "matchers", si->matchers);
	json_w_kstr(w, "comment", si->comment);
	json_w_kstr(w, "window", si->window);
	json_w_ktime(w, "starts_at", si->starts_at);
	json_w_ktime(w, "ends_at", si->ends_at);
	oncall_write_creator(w, si);
	json_w_kint(w, "events", (int64_t)si->events);
	json_w_kint(w, "tasks_total", (int64_t)oncall_task_count(o->set, i));
	json_w_kint(w, "raised_again", (int64_t)again);
	/* The tasks, then the watches, each with the last event silenced. */
	for (pass = 0; pass < 2; pass++) {
		json_w_key(w, pass == 0 ? "tasks" : "watches");
		json_w_arr_open(w);
		for (j = 0; j < n; j++) {
			ev = items[j].ev;
			if (evt_is_watch_event(ev) != pass ||
			    (pass == 0 && listed++ >= ONCALL_LIST_TASKS))
				continue;
			json_w_obj_open(w);
			json_w_kstr(w, "watch", ev->watch);
			if (pass == 0) {
				json_w_kstr(
				    w, "cluster_id", ev->task.cluster_id);
				json_w_kstr(w, "task_id", ev->task.id);
				json_w_kstr(w, "type", ev->task.type);
				json_w_kstr(w, "state",
				    task_state_name(ev->task.state));
			}
			json_w_kstr(w, "event", evt_kind_name(ev->kind));
			json_w_kstr(w, "event_id", ev->id);
			json_w_kbool(w, "raised_again", items[j].again);
			if (pass == 0)
				json_w_kbool(w, "acked", items[j].ack != NULL);
			json_w_obj_close(w);
		}
		json_w_arr_close(w);
	}
	json_w_obj_close(w);
	s = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return s;
}

/*
 * The event that raises item again after silence id: the same event,
 * observed now, with the task as the table has it, and an id of its own.
 */
static struct evt *
oncall_again(const struct oncall_item *it, const char *id, int64_t now)
{
	struct evt *ev = evt_dup(it->ev);

	if (it->cur != NULL) {
		task_clear(&ev->task);
		task_copy(&ev->task, it->cur);
	}
	/* The ack the task has now, not the one it had when silenced. */
	evt_ack_free(ev->ack);
	ev->ack = evt_ack_dup(it->ack);
	free(ev->rule);
	ev->rule = NULL;
	free(ev->silenced);
	ev->silenced = NULL;
	free(ev->obs);
	ev->obs = xasprintf("after silence %s", id);
	ev->after_silence = xstrdup(id);
	ev->severity = CONFIG_SEVERITY_UNSET;
	ev->missed = 0;
	ev->observed_at = now;
	evt_finish(ev);
	return ev;
}

/*
 * Report silence i, which has ended: one silence_ended event, then the
 * events that raise again what it silenced and still holds.
 */
static void
oncall_end(struct oncall *o, size_t i)
{
	const struct silence_info *si = silence_at(o->set, i);
	const struct silence_item *v;
	struct oncall_item *items;
	struct hashmap map;
	struct evt *ev;
	char *cause = NULL;
	struct json *doc;
	int64_t now = oncall_now();
	size_t n, j, again = 0;
	uint64_t total;

	v = silence_items(o->set, i, &n, &total);
	items = xcalloc(n ? n : 1, sizeof(*items));
	hashmap_init(&map);
	for (j = 0; j < n; j++) {
		doc = json_parse(v[j].doc, strlen(v[j].doc), &cause);
		items[j].ev = doc != NULL ? evt_from_json(doc, &cause) : NULL;
		json_free(doc);
		if (items[j].ev == NULL) {
			/* Written by this program: cannot happen, but say so. */
			log_warnx("silence %s: a kept event cannot be read "
				  "(%s); it is not raised again",
			    si->id, cause);
			free(cause);
			cause = NULL;
			items[j].ev = evt_new(EVT_WATCH_RECOVERED);
			continue;
		}
		if (!evt_is_watch_event(items[j].ev))
			hashmap_add(&map, &items[j].entry, v[j].key);
	}
	taskstate_foreach_extra(o->ts, NULL, oncall_find_cb, &map);
	for (j = 0; j < n; j++)
		if ((items[j].again = oncall_still_failed(o, &items[j])))
			again++;
	if (total > n)
		log_warnx("silence %s silenced %llu tasks; only the first %zu "
			  "are kept and can be raised again",
		    si->id, (unsigned long long)total, n);
	log_info("%s %s ended: %llu events silenced, %zu still failed, "
		 "raised again",
	    si->window != NULL ? "maintenance window" : "silence",
	    si->window != NULL ? si->window : si->id,
	    (unsigned long long)si->events, again);

	ev = evt_new(EVT_SILENCE_ENDED);
	ev->occurred_at = si->ends_at;
	ev->observed_at = now;
	ev->obs = xstrdup(si->id);
	ev->silence_doc = oncall_summary(o, i, items, n, again);
	evt_finish(ev);
	o->cbs.emit(ev, o->cbs.arg);
	for (j = 0; j < n; j++)
		if (items[j].again)
			o->cbs.emit(
			    oncall_again(&items[j], si->id, now), o->cbs.arg);
	for (j = 0; j < n; j++)
		evt_free(items[j].ev);
	free(items);
	hashmap_clear(&map);
}

/* A silence ended: report it (and any other), write the set, re-arm. */
static void
oncall_timer_cb(void *arg)
{
	struct oncall *o = arg;
	int64_t now = oncall_now();
	long i;

	oncall_windows_close(o, now);
	oncall_windows_open(o, now);
	while ((i = silence_take_ended(o->set, now)) != -1) {
		oncall_end(o, (size_t)i);
		o->dirty = 1;
	}
	/*
	 * An opening expired early is kept while its window may still be in
	 * that opening (up to six days), or it would open again.
	 */
	silence_prune(
	    o->set, now - ONCALL_KEEP_ENDED_S, now - ONCALL_KEEP_WINDOW_S);
	/* The events are queued first: a crash now reports them again. */
	(void)oncall_flush(o);
	oncall_arm(o);
}

/*
 * The matchers of a silence_add request: its "matchers" array of
 * "field=glob" strings (borrowed, NULL-terminated; caller frees the
 * array), or NULL with *error.
 */
static const char **
oncall_req_matchers(const struct json *root, size_t *n, char **error)
{
	const struct json *m = json_get(root, "matchers");
	const char **v;
	size_t i;

	if (json_type(m) != JSON_ARRAY || json_len(m) == 0) {
		*error = xstrdup("silence_add: \"matchers\" must be a list of "
				 "field=glob strings");
		return NULL;
	}
	v = xcalloc(json_len(m) + 1, sizeof(*v));
	for (i = 0; i < json_len(m); i++) {
		if ((v[i] = json_str(json_at(m, i))) == NULL ||
		    util_has_control(v[i])) {
			free(v);
			*error = xstrdup("silence_add: a matcher is not text");
			return NULL;
		}
	}
	*n = i;
	return v;
}

/*
 * control "silence_add": matchers, ends_at (unix s) or for_s, comment.
 * Answers the id and the end.
 */
int
oncall_ctl_add(struct oncall *o, const struct control_req *req,
    struct json_writer *answer, char **error)
{
	const char *comment = json_get_str(req->root, "comment");
	char id[SILENCE_ID_LEN + 1], until[UTIL_RFC3339_LEN];
	const char **m;
	int64_t ends_at, for_s;
	size_t n = 0;

	if (json_int(json_get(req->root, "ends_at"), 0, &ends_at) == -1) {
		if (json_int(json_get(req->root, "for_s"), 1, &for_s) == -1) {
			*error = xstrdup("silence_add: give ends_at or for_s");
			return -1;
		}
		if (for_s > SILENCE_MAX_TIME)
			for_s = SILENCE_MAX_TIME; /* refused as too late */
		ends_at = oncall_now() + for_s;
	}
	if (comment != NULL &&
	    (strlen(comment) > ONCALL_MAX_COMMENT ||
		util_has_control(comment))) {
		*error = xasprintf("silence_add: a comment is one line of at "
				   "most %d bytes",
		    ONCALL_MAX_COMMENT);
		return -1;
	}
	if ((m = oncall_req_matchers(req->root, &n, error)) == NULL)
		return -1;
	if (oncall_silence_add(o, m, n, comment, ends_at, (long)req->peer.uid,
		(long)req->peer.gid, id, error) == -1) {
		free(m);
		return -1;
	}
	free(m);
	util_format_rfc3339(ends_at, until);
	log_info("silence %s added by uid %ld gid %ld pid %ld: %s until %s%s%s",
	    id, (long)req->peer.uid, (long)req->peer.gid, (long)req->peer.pid,
	    silence_at(o->set, silence_count(o->set) - 1)->matchers, until,
	    comment != NULL ? ": " : "", comment != NULL ? comment : "");
	json_w_kstr(answer, "id", id);
	json_w_ktime(answer, "ends_at", ends_at);
	return 0;
}

/* control "silence_expire": end the silence "id" now. */
int
oncall_ctl_expire(struct oncall *o, const struct control_req *req,
    struct json_writer *answer, char **error)
{
	const char *id = json_get_str(req->root, "id");

	if (oncall_silence_expire(o, id, error) == -1)
		return -1;
	log_info("silence %s expired by uid %ld gid %ld pid %ld", id,
	    (long)req->peer.uid, (long)req->peer.gid, (long)req->peer.pid);
	json_w_kstr(answer, "id", id);
	return 0;
}

/* control "silence_list": the silences. */
int
oncall_ctl_list(struct oncall *o, const struct control_req *req,
    struct json_writer *answer, char **error)
{
	(void)req;
	(void)error;
	json_w_key(answer, "silences");
	oncall_write_silences(o, answer);
	json_w_key(answer, "windows");
	oncall_write_windows(o, answer);
	return 0;
}
