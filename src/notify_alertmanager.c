/*
 * The alertmanager notifier: keeps the set of alerts that the events open
 * and resolve, and posts the alerts an event changed to POST /api/v2/alerts
 * of every configured URL; the whole set is posted again every `repeat`,
 * because Alertmanager forgets alerts when it restarts.  Labels carry
 * nothing instance-specific, so HA pairs of taskwatchd yield one alert.
 *
 * startsAt is when the problem began (the event's occurred_at); endsAt of
 * an open alert is the time of each post plus resolve_after, as Prometheus
 * does, never startsAt plus anything: an old or missed failure is active
 * when it arrives.  An open alert is kept, and re-posted, until an event
 * resolves it or resolve_after has passed since we observed the event
 * that opened it; it is then posted as resolved (endsAt = that time).
 *
 * With a state directory the set (alerts and the successes that resolve
 * later-arriving ones) is kept in {state_dir}/alerts-{notifier}.json,
 * rewritten crash-safe at most once a second after it changed and at the
 * end; see notify_am_hold for why no change is lost in a crash.
 *
 * An acknowledged task's open alerts (taskwatchctl ack) are posted once
 * more with an "acknowledged" annotation, then no longer re-posted until
 * the task's state changes: Alertmanager keeps each firing until the
 * endsAt of its last post, then resolves it; a new state opens a new alert.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "durable.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notify_impl.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_AM_PATH "/api/v2/alerts"
#define NOTIFY_AM_MAX_BODY (64 * 1024) /* of a response; ignored */
#define NOTIFY_AM_MAX_ALERTS 10000     /* kept; the oldest go first */
#define NOTIFY_AM_MAX_SUCCESSES 10000
#define NOTIFY_AM_BATCH 500          /* alerts per POST of the repeat */
#define NOTIFY_AM_TEXT_MAX 1024      /* bytes of an annotation */
#define NOTIFY_AM_KEEP_MIN_MS 300000 /* resolved alerts re-posted this long */
#define NOTIFY_AM_MAX_LABELS 48
#define NOTIFY_AM_FILE_VERSION 1
#define NOTIFY_AM_SAVE_MS 1000 /* the file is written at most this often */
#define NOTIFY_AM_MAX_FILE (256 * 1024 * 1024)
#define NOTIFY_AM_MAX_INFLIGHT 256  /* posting, or held for the file */
#define NOTIFY_AM_MAX_ANNOTATIONS 4 /* summary, reason, raw_status, ack */

/* One alert: its labels are its identity. */
struct notify_am_alert {
	char *fp; /* the labels as one string */
	struct config_kv labels[NOTIFY_AM_MAX_LABELS];
	size_t nlabels;
	struct config_kv annotations[NOTIFY_AM_MAX_ANNOTATIONS];
	size_t nannotations;
	struct evt_ack *ack; /* acknowledged: not re-posted once posted */
	int ack_posted;      /* posted since acknowledged (not kept) */
	int64_t starts_at;   /* unix seconds: when the problem began */
	int64_t observed_at; /* when we opened it; it expires from here */
	int resolved;        /* resolved or expired: ends_at is posted */
	int64_t ends_at;     /* when resolved */
	int64_t resolved_at; /* when we resolved it; kept a while after */
	char last_event[EVT_ID_LEN + 1];    /* the event that last changed it */
	int watch_alert;                    /* TaskwatchWatchFailed/Flapping */
	char *watch;                        /* resolve keys: */
	char *group;                        /* watch, cluster, task type */
	char *task;                         /* watch, cluster, task id */
	TAILQ_ENTRY(notify_am_alert) entry; /* oldest first */
};

/* The latest success of a task type on a cluster (resolves alerts). */
struct notify_am_success {
	char *group;
	int64_t at;       /* when it succeeded */
	int64_t noted_at; /* when we saw it; kept resolve_after from here */
	TAILQ_ENTRY(notify_am_success) entry;
};

struct notify_am_post;

/* The alertmanager notifier's state: copies, as its config may go away. */
struct notify_am {
	struct notify_notifier *nf; /* borrowed */
	char **urls;                /* base URLs, no trailing slash */
	int *failing;               /* per URL: a streak of failures logged */
	size_t nurls;
	struct config_kv *labels; /* configured */
	size_t nlabels;
	uint64_t resolve_after_ms;
	uint64_t repeat_ms;
	uint64_t timeout_ms;
	TAILQ_HEAD(, notify_am_alert) alerts;
	size_t nalerts;
	TAILQ_HEAD(, notify_am_success) successes;
	size_t nsuccesses;
	struct timer *repeat;
	struct notify_am_post *repeating; /* the repeat in flight; NULL */

	/* The alerts file; dirfd -1: nothing is kept (no state_dir). */
	int dirfd;
	char *dir;
	char *file; /* alerts-{notifier}.json */
	char *tmp;
	uint64_t gen;       /* changes to the set so far */
	uint64_t saved_gen; /* the changes the file holds */
	uint64_t saved_ms;  /* monotonic time of the last write */
	int save_failing;   /* the last write failed (logged) */
	struct timer *save;
	struct notify_item **held; /* delivered, waiting for the file */
	uint64_t *held_gen;        /* the change each one waits for */
	size_t nheld;
	size_t capheld;
};

/* One transfer of a post. */
struct notify_am_xfer {
	struct notify_am_post *post;
	struct http_xfer *x; /* NULL once done */
	char *base;          /* the configured URL */
	char *url;           /* base + NOTIFY_AM_PATH */
};

/* POSTs of bodies to every URL, for an item or for the repeat. */
struct notify_am_post {
	struct notify_am *am;   /* borrowed */
	struct notify_item *it; /* NULL for the repeat */
	uint64_t gen;           /* am->gen after the item was applied */
	struct notify_am_xfer *xfers;
	size_t nxfers;
	size_t left;   /* transfers not done */
	int cancelled; /* no report; free when the last is done */
	int holding;   /* in notify_am_post_cancel */
	size_t nok;    /* 2xx answers */
	size_t nfinal; /* answers that retrying will not change */
	int64_t retry_after_ms;
	char err[256]; /* the last failure */
};

static void notify_am_repeat_cb(void *arg);
static void notify_am_changed(struct notify_am *am);

/* Free the strings of n key-value pairs. */
static void
notify_am_kvs_clear(struct config_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
}

/* Free an alert. */
static void
notify_am_alert_free(struct notify_am_alert *a)
{
	notify_am_kvs_clear(a->labels, a->nlabels);
	notify_am_kvs_clear(a->annotations, a->nannotations);
	free(a->fp);
	free(a->watch);
	free(a->group);
	free(a->task);
	evt_ack_free(a->ack);
	free(a);
}

/* Remove an alert from the set and free it. */
static void
notify_am_alert_remove(struct notify_am *am, struct notify_am_alert *a)
{
	TAILQ_REMOVE(&am->alerts, a, entry);
	am->nalerts--;
	notify_am_alert_free(a);
}

/* 1 if a label named key is already there. */
static int
notify_am_has_label(const struct notify_am_alert *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->nlabels; i++) {
		if (strcmp(a->labels[i].key, key) == 0)
			return 1;
	}
	return 0;
}

/* Add a label unless its value is empty or its name is taken. */
static void
notify_am_label(struct notify_am_alert *a, const char *key, const char *value)
{
	if (util_empty(value) || a->nlabels == NOTIFY_AM_MAX_LABELS ||
	    notify_am_has_label(a, key))
		return;
	a->labels[a->nlabels].key = xstrdup(key);
	a->labels[a->nlabels].value = xstrndup(value, NOTIFY_AM_TEXT_MAX);
	a->nlabels++;
}

/* Add an annotation unless its value is empty. */
static void
notify_am_annotation(
    struct notify_am_alert *a, const char *key, const char *value)
{
	if (util_empty(value) || a->nannotations == NOTIFY_AM_MAX_ANNOTATIONS)
		return;
	a->annotations[a->nannotations].key = xstrdup(key);
	a->annotations[a->nannotations].value =
	    xstrndup(value, NOTIFY_AM_TEXT_MAX);
	a->nannotations++;
}

/* "watch\037cluster\037what" for the resolve keys. */
static char *
notify_am_key_of(const char *watch, const char *cluster, const char *what)
{
	return xasprintf("%s\037%s\037%s", watch != NULL ? watch : "",
	    cluster != NULL ? cluster : "", what != NULL ? what : "");
}

/* The resolve key of ev's watch and cluster with what. */
static char *
notify_am_key(const struct evt *ev, const char *what)
{
	return notify_am_key_of(ev->watch, ev->task.cluster_id, what);
}

/*
 * Set (ack NULL: remove) an alert's acknowledgement and its
 * "acknowledged" annotation; the next repeat posts it once.
 */
static void
notify_am_set_ack(struct notify_am_alert *a, const struct evt_ack *ack)
{
	char at[UTIL_RFC3339_LEN], *text;
	size_t i;

	for (i = 0; i < a->nannotations; i++) {
		if (strcmp(a->annotations[i].key, "acknowledged") != 0)
			continue;
		free(a->annotations[i].key);
		free(a->annotations[i].value);
		a->annotations[i] = a->annotations[--a->nannotations];
		break;
	}
	evt_ack_free(a->ack);
	a->ack = evt_ack_dup(ack);
	a->ack_posted = 0;
	if (ack == NULL)
		return;
	util_format_rfc3339(ack->at, at);
	text = xasprintf("by uid %ld at %s%s%s", ack->by_uid, at,
	    ack->comment != NULL ? ": " : "",
	    ack->comment != NULL ? ack->comment : "");
	notify_am_annotation(a, "acknowledged", text);
	free(text);
}

/* "CloudTask" and the state in camel case: ROLLED_BACK -> RolledBack. */
static char *
notify_am_state_alertname(enum task_state s)
{
	const char *name = task_state_name(s);
	struct buf b;
	int up = 1;

	buf_init(&b, 0);
	buf_puts(&b, "CloudTask");
	for (; *name != '\0'; name++) {
		if (*name == '_') {
			up = 1;
			continue;
		}
		buf_putc(&b, up ? *name : (char)(*name - 'A' + 'a'));
		up = 0;
	}
	return buf_release(&b);
}

/* The routed severity of ev. */
static enum config_severity
notify_am_severity(const struct evt *ev)
{
	return ev->severity != CONFIG_SEVERITY_UNSET ? ev->severity
						     : evt_default_severity(ev);
}

/*
 * The alertname of the alert ev opens; NULL if it opens none: info
 * events, recoveries and successes only resolve; so do events delivered
 * for resolution only (no rule routed them here), tasks replaced by a
 * newer run, and tasks that vanished once finished, whatever severity a
 * rule gave them.  Caller frees.
 */
char *
notify_alertmanager_alertname(const struct evt *ev)
{
	enum task_state last;

	if (ev->resolve_only || notify_am_severity(ev) == CONFIG_SEVERITY_INFO)
		return NULL;
	switch (ev->kind) {
	case EVT_WATCH_FAILED:
		return xstrdup("TaskwatchWatchFailed");
	case EVT_WATCH_FLAPPING:
		return xstrdup("TaskwatchWatchFlapping");
	case EVT_STALLED:
		return ev->has_task ? xstrdup("CloudTaskStalled") : NULL;
	case EVT_OVERDUE:
		/* Resolved, as a stall is, when the task moves on. */
		return ev->has_task ? xstrdup("CloudTaskOverdue") : NULL;
	/*
	 * An exec notifier's hook: labelled with the notifier; ended when
	 * the task it ran for moves on, else by resolve_after.
	 */
	case EVT_HOOK_FAILED:
		return xstrdup("TaskwatchHookFailed");
	case EVT_HOOK_SUPPRESSED:
		return xstrdup("TaskwatchHookSuppressed");
	case EVT_HOOK_CIRCUIT_OPEN:
		return xstrdup("TaskwatchHookCircuitOpen");
	case EVT_VANISHED:
		last = ev->has_previous ? ev->prev_state : ev->task.state;
		if (!ev->has_task || task_state_terminal(last))
			return NULL;
		return xstrdup("CloudTaskVanished");
	case EVT_APPEARED:
	case EVT_TRANSITION:
		if (!ev->has_task || ev->task.state == TASK_SUCCEEDED)
			return NULL;
		return notify_am_state_alertname(ev->task.state);
	default:
		return NULL;
	}
}

/* Set a->fp from its labels. */
static void
notify_am_fingerprint(struct notify_am_alert *a)
{
	struct buf fp;
	size_t i;

	buf_init(&fp, 0);
	for (i = 0; i < a->nlabels; i++)
		buf_printf(
		    &fp, "%s=%s\036", a->labels[i].key, a->labels[i].value);
	free(a->fp);
	a->fp = buf_release(&fp);
}

/* Build the alert ev opens, named alertname (not in the set yet). */
static struct notify_am_alert *
notify_am_alert_new(
    struct notify_am *am, const struct evt *ev, const char *alertname)
{
	struct notify_am_alert *a;
	const struct task *t = &ev->task;
	const char *cluster;
	char *summary;
	size_t i;

	a = xcalloc(1, sizeof(*a));
	notify_am_label(a, "alertname", alertname);
	notify_am_label(a, "watch", ev->watch);
	notify_am_label(a, "api", ev->api);
	notify_am_label(a, "account", ev->account);
	if (evt_kind_hook(ev->kind))
		notify_am_label(a, "notifier", ev->hook_notifier);
	a->watch = xstrdup(ev->watch != NULL ? ev->watch : "");
	if (ev->kind == EVT_WATCH_FAILED || ev->kind == EVT_WATCH_FLAPPING) {
		/* watch_recovered resolves both. */
		a->watch_alert = 1;
	} else {
		cluster = !util_empty(t->cluster_name) ? t->cluster_name
						       : t->cluster_id;
		notify_am_label(a, "cluster", cluster);
		notify_am_label(a, "cluster_id", t->cluster_id);
		notify_am_label(a, "task_id", t->id);
		notify_am_label(a, "task_type", t->type);
		notify_am_label(a, "state", task_state_name(t->state));
		a->group = notify_am_key(ev, evt_base_type(ev));
		a->task = notify_am_key(ev, t->id);
	}
	notify_am_label(
	    a, "severity", config_severity_name(notify_am_severity(ev)));
	for (i = 0; i < am->nlabels; i++)
		notify_am_label(a, am->labels[i].key, am->labels[i].value);

	summary = evt_summary(ev);
	notify_am_annotation(a, "summary", summary);
	free(summary);
	if (a->watch_alert)
		notify_am_annotation(a, "reason", ev->error_msg);
	else {
		notify_am_annotation(a, "reason", t->reason);
		notify_am_annotation(a, "raw_status", t->raw_status);
	}
	/*
	 * The ack still holds if the task is in the state acknowledged (a
	 * stall, a task raised again after a silence); a change of state
	 * carries the ack it ended.
	 */
	if (ev->ack != NULL && ev->ack->state == t->state &&
	    ev->kind != EVT_VANISHED && ev->kind != EVT_REPLACED)
		notify_am_set_ack(a, ev->ack);

	notify_am_fingerprint(a);
	return a;
}

/* The alert with the labels fp, or NULL. */
static struct notify_am_alert *
notify_am_find(struct notify_am *am, const char *fp)
{
	struct notify_am_alert *a;

	TAILQ_FOREACH (a, &am->alerts, entry) {
		if (strcmp(a->fp, fp) == 0)
			return a;
	}
	return NULL;
}

/* Resolve a, now, on behalf of event id (never before it began). */
static void
notify_am_resolve(struct notify_am *am, struct notify_am_alert *a,
    const char *id, int64_t now)
{
	notify_am_changed(am);
	a->resolved = 1;
	a->ends_at = now > a->starts_at ? now : a->starts_at;
	a->resolved_at = now;
	memcpy(a->last_event, id, sizeof(a->last_event));
}

/* The latest success noted for group, or INT64_MIN. */
static int64_t
notify_am_success_at(struct notify_am *am, const char *group)
{
	struct notify_am_success *s;

	TAILQ_FOREACH (s, &am->successes, entry) {
		if (strcmp(s->group, group) == 0)
			return s->at;
	}
	return INT64_MIN;
}

/* Note a success of group at at, seen now. */
static void
notify_am_success_note(
    struct notify_am *am, const char *group, int64_t at, int64_t now)
{
	struct notify_am_success *s;

	notify_am_changed(am);
	TAILQ_FOREACH (s, &am->successes, entry) {
		if (strcmp(s->group, group) == 0)
			break;
	}
	if (s != NULL) {
		if (at > s->at)
			s->at = at;
		s->noted_at = now;
		return;
	}
	if (am->nsuccesses == NOTIFY_AM_MAX_SUCCESSES) {
		s = TAILQ_FIRST(&am->successes);
		TAILQ_REMOVE(&am->successes, s, entry);
		free(s->group);
		free(s);
		am->nsuccesses--;
	}
	s = xcalloc(1, sizeof(*s));
	s->group = xstrdup(group);
	s->at = at;
	s->noted_at = now;
	TAILQ_INSERT_TAIL(&am->successes, s, entry);
	am->nsuccesses++;
}

/*
 * Expire open alerts observed resolve_after ago (resolved at that time),
 * forget resolved alerts once they have been re-posted for a while, and
 * successes seen longer than resolve_after ago.
 */
static void
notify_am_prune(struct notify_am *am, int64_t now)
{
	struct notify_am_alert *a, *an;
	struct notify_am_success *s, *sn;
	int64_t keep_s, life_s = (int64_t)(am->resolve_after_ms / 1000);

	keep_s = (int64_t)(am->repeat_ms * 5 / 1000);
	if (keep_s < NOTIFY_AM_KEEP_MIN_MS / 1000)
		keep_s = NOTIFY_AM_KEEP_MIN_MS / 1000;
	for (a = TAILQ_FIRST(&am->alerts); a != NULL; a = an) {
		an = TAILQ_NEXT(a, entry);
		if (!a->resolved && a->observed_at + life_s <= now) {
			notify_am_changed(am);
			a->resolved = 1;
			a->ends_at = a->observed_at + life_s;
			if (a->ends_at < a->starts_at)
				a->ends_at = a->starts_at;
			a->resolved_at = now;
		}
		if (a->resolved && a->resolved_at + keep_s < now) {
			notify_am_changed(am);
			notify_am_alert_remove(am, a);
		}
	}
	for (s = TAILQ_FIRST(&am->successes); s != NULL; s = sn) {
		sn = TAILQ_NEXT(s, entry);
		if (s->noted_at + life_s < now) {
			notify_am_changed(am);
			TAILQ_REMOVE(&am->successes, s, entry);
			free(s->group);
			free(s);
			am->nsuccesses--;
		}
	}
}

/*
 * Apply ev to the set at time now (unix seconds): resolve what it ends,
 * open what it starts.  Every alert changed is marked with ev's id; doing
 * it again for the same event (a retry) changes nothing more.
 */
static void
notify_am_apply(struct notify_am *am, const struct evt *ev, int64_t now)
{
	struct notify_am_alert *a, *open = NULL, *old;
	char *name, *task = NULL, *group = NULL;
	int64_t success;

	notify_am_prune(am, now);
	if ((name = notify_alertmanager_alertname(ev)) != NULL) {
		open = notify_am_alert_new(am, ev, name);
		free(name);
	}
	if (ev->kind == EVT_WATCH_RECOVERED) {
		TAILQ_FOREACH (a, &am->alerts, entry) {
			if (a->watch_alert && !a->resolved &&
			    strcmp(a->watch,
				ev->watch != NULL ? ev->watch : "") == 0)
				notify_am_resolve(am, a, ev->id, now);
		}
	}
	if (ev->has_task &&
	    (ev->kind == EVT_APPEARED || ev->kind == EVT_TRANSITION)) {
		/* The task moved on: its other alerts end. */
		task = notify_am_key(ev, ev->task.id);
		/* X_FAILED and X share X's group: X's success ends both. */
		group = notify_am_key(ev, evt_base_type(ev));
		if (ev->task.state == TASK_SUCCEEDED)
			notify_am_success_note(am, group, ev->occurred_at, now);
		TAILQ_FOREACH (a, &am->alerts, entry) {
			if (a->resolved || a->watch_alert)
				continue;
			if (strcmp(a->task, task) == 0 &&
			    (open == NULL || strcmp(a->fp, open->fp) != 0))
				notify_am_resolve(am, a, ev->id, now);
			else if (ev->task.state == TASK_SUCCEEDED &&
			    strcmp(a->group, group) == 0 &&
			    a->starts_at <= ev->occurred_at)
				notify_am_resolve(am, a, ev->id, now);
		}
	}
	if (open != NULL) {
		old = notify_am_find(am, open->fp);
		if (old != NULL && strcmp(old->last_event, ev->id) == 0) {
			/* A retry: already applied. */
			notify_am_alert_free(open);
			open = NULL;
		} else if (old != NULL)
			notify_am_alert_remove(am, old);
	}
	if (open != NULL) {
		/*
		 * Not starts_at + resolve_after: an event that occurred
		 * long ago (missed, an old start time, a clock behind ours)
		 * would be born expired.
		 */
		open->starts_at = ev->occurred_at;
		open->observed_at = now;
		memcpy(open->last_event, ev->id, sizeof(open->last_event));
		/* A later success of its kind was seen before it. */
		if (open->group != NULL &&
		    (success = notify_am_success_at(am, open->group)) >=
			open->starts_at) {
			open->resolved = 1;
			open->ends_at = success;
			open->resolved_at = now;
		}
		if (am->nalerts == NOTIFY_AM_MAX_ALERTS) {
			log_warnx("notifier %s: more than %d alerts; dropping "
				  "the oldest",
			    am->nf->name, NOTIFY_AM_MAX_ALERTS);
			notify_am_alert_remove(am, TAILQ_FIRST(&am->alerts));
		}
		TAILQ_INSERT_TAIL(&am->alerts, open, entry);
		am->nalerts++;
		notify_am_changed(am);
	}
	free(task);
	free(group);
}

/*
 * Write one alert as an Alertmanager postableAlert posted at now: an open
 * alert ends resolve_after from now, so each post pushes its end forward.
 */
static void
notify_am_write_alert(struct json_writer *w, const struct notify_am *am,
    const struct notify_am_alert *a, int64_t now)
{
	size_t i;

	json_w_obj_open(w);
	json_w_key(w, "labels");
	json_w_obj_open(w);
	for (i = 0; i < a->nlabels; i++)
		json_w_kstr(w, a->labels[i].key, a->labels[i].value);
	json_w_obj_close(w);
	json_w_key(w, "annotations");
	json_w_obj_open(w);
	for (i = 0; i < a->nannotations; i++)
		json_w_kstr(w, a->annotations[i].key, a->annotations[i].value);
	json_w_obj_close(w);
	json_w_ktime(w, "startsAt", a->starts_at);
	json_w_ktime(w, "endsAt",
	    a->resolved ? a->ends_at
			: now + (int64_t)(am->resolve_after_ms / 1000));
	json_w_obj_close(w);
}

/*
 * The body, posted at now, for the alerts ev changed (id NULL: every
 * alert the repeat posts, from the first on, at most max); NULL if there
 * are none.  Caller frees.
 */
static char *
notify_am_body(struct notify_am *am, const char *id,
    struct notify_am_alert **from, size_t max, int64_t now, size_t *len)
{
	struct json_writer *w;
	struct notify_am_alert *a;
	const char *text;
	char *out;
	size_t n = 0;

	w = json_writer_new();
	json_w_arr_open(w);
	a = from != NULL ? *from : TAILQ_FIRST(&am->alerts);
	for (; a != NULL && n < max; a = TAILQ_NEXT(a, entry)) {
		if (id != NULL && strcmp(a->last_event, id) != 0)
			continue;
		/* The repeat leaves an acknowledged alert alone once posted. */
		if (id == NULL && a->ack != NULL && a->ack_posted &&
		    !a->resolved)
			continue;
		notify_am_write_alert(w, am, a, now);
		a->ack_posted = a->ack != NULL;
		n++;
	}
	if (from != NULL)
		*from = a;
	json_w_arr_close(w);
	text = json_writer_str(w, len);
	out = n > 0 ? xstrdup(text) : NULL;
	json_writer_free(w);
	return out;
}

/*
 * The alerts the event ev changed, as applied now, in the JSON that is
 * posted (for tests); NULL if there are none.  Caller frees.
 */
char *
notify_alertmanager_apply(
    struct notify_notifier *nf, const struct evt *ev, int64_t now)
{
	struct notify_am *am = nf->priv;
	size_t len;

	notify_am_apply(am, ev, now);
	return notify_am_body(am, ev->id, NULL, SIZE_MAX, now, &len);
}

/* Free a post and its transfer records. */
static void
notify_am_post_free(struct notify_am_post *p)
{
	size_t i;

	for (i = 0; i < p->nxfers; i++) {
		free(p->xfers[i].base);
		free(p->xfers[i].url);
	}
	free(p->xfers);
	free(p);
}

/* Note how a URL answered; log the start and the end of a failing streak. */
static void
notify_am_url_health(struct notify_am *am, const char *url, const char *err)
{
	char dur[32];
	size_t i;

	for (i = 0; i < am->nurls; i++) {
		if (strcmp(am->urls[i], url) == 0)
			break;
	}
	if (i == am->nurls)
		return;
	if (err == NULL && am->failing[i]) {
		am->failing[i] = 0;
		log_info(
		    "notifier %s: %s accepts alerts again", am->nf->name, url);
	} else if (err != NULL && !am->failing[i]) {
		am->failing[i] = 1;
		util_format_duration(am->repeat_ms, dur, sizeof(dur));
		log_warnx("notifier %s: posting to %s failed: %s; active "
			  "alerts are posted again every %s",
		    am->nf->name, url, err, dur);
	}
}

/*
 * The alerts file, {state_dir}/alerts-{notifier}.json.  Why no change of
 * the set is lost in a crash: an event's outbox entry (outbox.c) stays a
 * .json file, queued again at the next start, until its delivery is
 * reported; it then becomes .done, which a start does not queue again
 * (it only recognises the event as a duplicate when it is detected again)
 * and which goes after the next save of the task table.  So a delivery
 * that changed the set is reported only once a file holding that change
 * is durable (notify_am_hold).  A crash before that leaves the .json
 * entry: the next start loads the file, then applies the event again,
 * and applying an event twice changes nothing more.  Posting does not
 * wait for the file; only the report does, by at most NOTIFY_AM_SAVE_MS
 * and one write.  Changes no event made (alerts expiring, forgotten) are
 * derived again from the file's times.
 */

/* The file name of a notifier's alerts; bytes not in [A-Za-z0-9._-] as %XX. */
static char *
notify_am_file_name(const char *notifier)
{
	return notify_state_file_name("alerts-", notifier);
}

/* Write n key-value pairs as an object under key. */
static void
notify_am_w_kvs(struct json_writer *w, const char *key,
    const struct config_kv *kv, size_t n)
{
	size_t i;

	json_w_key(w, key);
	json_w_obj_open(w);
	for (i = 0; i < n; i++)
		json_w_kstr(w, kv[i].key, kv[i].value);
	json_w_obj_close(w);
}

/* The file's text: version, notifier, alerts oldest first, successes. */
static char *
notify_am_file_text(struct notify_am *am, size_t *len)
{
	struct json_writer *w;
	struct notify_am_alert *a;
	struct notify_am_success *s;
	char *out;

	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kint(w, "version", NOTIFY_AM_FILE_VERSION);
	json_w_kstr(w, "notifier", am->nf->name);
	json_w_key(w, "alerts");
	json_w_arr_open(w);
	TAILQ_FOREACH (a, &am->alerts, entry) {
		json_w_obj_open(w);
		notify_am_w_kvs(w, "labels", a->labels, a->nlabels);
		notify_am_w_kvs(
		    w, "annotations", a->annotations, a->nannotations);
		json_w_ktime(w, "startsAt", a->starts_at);
		json_w_ktime(w, "observed_at", a->observed_at);
		json_w_kbool(w, "resolved", a->resolved);
		if (a->resolved) {
			json_w_ktime(w, "endsAt", a->ends_at);
			json_w_ktime(w, "resolved_at", a->resolved_at);
		}
		json_w_kstr(w, "last_event", a->last_event);
		evt_write_ack(w, "ack", a->ack);
		json_w_kstr(w, "watch", a->watch);
		json_w_kbool(w, "watch_alert", a->watch_alert);
		if (!a->watch_alert) {
			json_w_kstr(w, "group", a->group);
			json_w_kstr(w, "task", a->task);
		}
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
	json_w_key(w, "successes");
	json_w_arr_open(w);
	TAILQ_FOREACH (s, &am->successes, entry) {
		json_w_obj_open(w);
		json_w_kstr(w, "group", s->group);
		json_w_ktime(w, "at", s->at);
		json_w_ktime(w, "noted_at", s->noted_at);
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
	json_w_obj_close(w);
	out = json_writer_line(w, len);
	json_writer_free(w);
	return out;
}

/* Write the file now, crash-safe; -1 with errno set (logged once). */
static int
notify_am_save(struct notify_am *am)
{
	char *text;
	size_t len;
	int rc, error;

	text = notify_am_file_text(am, &len);
	rc = durable_put(am->dirfd, am->file, am->tmp, text, len, 1, NULL);
	error = errno;
	free(text);
	am->saved_ms = monotime_ms();
	if (rc == -1) {
		metrics_add(metrics_global(), METRICS_STATE_WRITE_FAILURES, 1,
		    "file", "alerts", NULL);
		if (!am->save_failing)
			log_at(LOG_CRIT,
			    "notifier %s: cannot write %s/%s: %s; changes "
			    "of its alerts are in memory only, retrying",
			    am->nf->name, am->dir, am->file, strerror(error));
		am->save_failing = 1;
		errno = error;
		return -1;
	}
	if (am->save_failing)
		log_info("notifier %s: %s/%s written again", am->nf->name,
		    am->dir, am->file);
	am->save_failing = 0;
	am->saved_gen = am->gen;
	return 0;
}

/* Write an alertmanager notifier's alerts file now (see notify_impl.h). */
int
notify_alertmanager_save(struct notify_notifier *nf)
{
	struct notify_am *am = nf->priv;

	if (am == NULL || am->dirfd == -1) {
		errno = EBADF;
		return -1;
	}
	return notify_am_save(am);
}

/* Report the held deliveries the file now covers; all of them with all. */
static void
notify_am_release(struct notify_am *am, int all)
{
	size_t i, n = 0;

	for (i = 0; i < am->nheld; i++) {
		if (all || am->held_gen[i] <= am->saved_gen)
			notify_item_done(
			    am->held[i], NOTIFY_DELIVERED, -1, NULL);
		else {
			am->held[n] = am->held[i];
			am->held_gen[n++] = am->held_gen[i];
		}
	}
	am->nheld = n;
}

/* Arm the save timer: at once, or a second after the last write. */
static void
notify_am_save_soon(struct notify_am *am)
{
	uint64_t now, due;

	if (am->dirfd == -1 || timer_pending(am->save))
		return;
	now = monotime_ms();
	due = am->saved_ms + NOTIFY_AM_SAVE_MS;
	timer_add_ms(am->save, due > now ? due - now : 0);
}

/* The set changed: count it and have the file written soon. */
static void
notify_am_changed(struct notify_am *am)
{
	am->gen++;
	notify_am_save_soon(am);
}

/*
 * The save timer: write the file if the set changed, then report what
 * it now covers.  If the disk refuses, the held deliveries are reported
 * anyway: their alerts are posted, and holding them would stop the
 * notifier; like the outbox, the change is then in memory only until a
 * write succeeds (retried every NOTIFY_AM_SAVE_MS, logged at LOG_CRIT).
 */
static void
notify_am_save_cb(void *arg)
{
	struct notify_am *am = arg;

	if (am->gen == am->saved_gen || notify_am_save(am) == 0) {
		notify_am_release(am, 0);
		return;
	}
	notify_am_release(am, 1);
	timer_add_ms(am->save, NOTIFY_AM_SAVE_MS);
}

/*
 * Report it delivered once the file holds the change gen of the set (see
 * the top of this part); at once if it does or nothing is kept.
 */
static void
notify_am_hold(struct notify_am *am, struct notify_item *it, uint64_t gen)
{
	if (am->dirfd == -1 || gen <= am->saved_gen) {
		notify_item_done(it, NOTIFY_DELIVERED, -1, NULL);
		return;
	}
	if (am->nheld == am->capheld) {
		am->capheld = am->capheld != 0 ? am->capheld * 2 : 16;
		am->held =
		    xreallocarray(am->held, am->capheld, sizeof(*am->held));
		am->held_gen = xreallocarray(
		    am->held_gen, am->capheld, sizeof(*am->held_gen));
	}
	am->held[am->nheld] = it;
	am->held_gen[am->nheld++] = gen;
	notify_am_save_soon(am);
}

/* Forget a held delivery (cancelled); 1 if it was held. */
static int
notify_am_unhold(struct notify_am *am, struct notify_item *it)
{
	size_t i;

	for (i = 0; i < am->nheld; i++) {
		if (am->held[i] != it)
			continue;
		am->nheld--;
		am->held[i] = am->held[am->nheld];
		am->held_gen[i] = am->held_gen[am->nheld];
		return 1;
	}
	return 0;
}

/* A time member of o, RFC 3339, as unix seconds; -1 if not one. */
static int
notify_am_get_time(const struct json *o, const char *key, int64_t *out)
{
	const char *s = json_get_str(o, key);

	return s != NULL ? util_parse_time(s, 0, out) : -1;
}

/* Copy an object of strings (at most max) to kv and *n; -1 if it is not. */
static int
notify_am_get_kvs(
    const struct json *o, struct config_kv *kv, size_t max, size_t *n)
{
	const char *v;
	size_t i;

	if (json_type(o) != JSON_OBJECT || json_len(o) > max)
		return -1;
	for (i = 0; i < json_len(o); i++) {
		if ((v = json_str(json_at(o, i))) == NULL)
			return -1;
		kv[i].key = xstrdup(json_key_at(o, i));
		kv[i].value = xstrdup(v);
		(*n)++;
	}
	return 0;
}

/* A string member of o, copied; NULL if there is none. */
static char *
notify_am_get_dup(const struct json *o, const char *key)
{
	const char *s = json_get_str(o, key);

	return s != NULL ? xstrdup(s) : NULL;
}

/* One alert of the file; NULL if it is malformed. */
static struct notify_am_alert *
notify_am_load_alert(const struct json *o)
{
	struct notify_am_alert *a = xcalloc(1, sizeof(*a));
	char *cause = NULL;
	const char *id;

	if (notify_am_get_kvs(json_get(o, "labels"), a->labels,
		NOTIFY_AM_MAX_LABELS, &a->nlabels) == -1 ||
	    a->nlabels == 0 ||
	    notify_am_get_kvs(json_get(o, "annotations"), a->annotations,
		NOTIFY_AM_MAX_ANNOTATIONS, &a->nannotations) == -1 ||
	    evt_read_ack(o, "ack", &a->ack, &cause) == -1 ||
	    notify_am_get_time(o, "startsAt", &a->starts_at) == -1 ||
	    notify_am_get_time(o, "observed_at", &a->observed_at) == -1 ||
	    json_bool(json_get(o, "resolved"), &a->resolved) == -1 ||
	    (a->resolved &&
		(notify_am_get_time(o, "endsAt", &a->ends_at) == -1 ||
		    notify_am_get_time(o, "resolved_at", &a->resolved_at) ==
			-1)) ||
	    (id = json_get_str(o, "last_event")) == NULL ||
	    strlen(id) != EVT_ID_LEN ||
	    (a->watch = notify_am_get_dup(o, "watch")) == NULL ||
	    json_bool(json_get(o, "watch_alert"), &a->watch_alert) == -1 ||
	    (!a->watch_alert &&
		((a->group = notify_am_get_dup(o, "group")) == NULL ||
		    (a->task = notify_am_get_dup(o, "task")) == NULL))) {
		free(cause);
		notify_am_alert_free(a);
		return NULL;
	}
	memcpy(a->last_event, id, sizeof(a->last_event));
	notify_am_fingerprint(a);
	return a;
}

/* One success of the file; NULL if it is malformed. */
static struct notify_am_success *
notify_am_load_success(const struct json *o)
{
	struct notify_am_success *s = xcalloc(1, sizeof(*s));

	if ((s->group = notify_am_get_dup(o, "group")) == NULL ||
	    notify_am_get_time(o, "at", &s->at) == -1 ||
	    notify_am_get_time(o, "noted_at", &s->noted_at) == -1) {
		free(s->group);
		free(s);
		return NULL;
	}
	return s;
}

/*
 * The set of a parsed file appended to am's (empty); NULL, or why the
 * file is not usable (caller frees), leaving am as it was.
 */
static char *
notify_am_load_json(struct notify_am *am, const struct json *root)
{
	TAILQ_HEAD(, notify_am_alert) alerts;
	TAILQ_HEAD(, notify_am_success) successes;
	const struct json *arr, *sarr;
	struct notify_am_alert *a;
	struct notify_am_success *s;
	char *why = NULL;
	int64_t version;
	size_t i;

	TAILQ_INIT(&alerts);
	TAILQ_INIT(&successes);
	if (json_int(json_get(root, "version"), 0, &version) == -1)
		return xstrdup("no version");
	if (version != NOTIFY_AM_FILE_VERSION)
		return xasprintf("unknown version %lld", (long long)version);
	arr = json_get(root, "alerts");
	sarr = json_get(root, "successes");
	if (json_type(arr) != JSON_ARRAY || json_type(sarr) != JSON_ARRAY)
		return xstrdup("no alerts or successes array");
	if (json_len(arr) > NOTIFY_AM_MAX_ALERTS ||
	    json_len(sarr) > NOTIFY_AM_MAX_SUCCESSES)
		return xstrdup("too many alerts or successes");
	for (i = 0; why == NULL && i < json_len(arr); i++) {
		if ((a = notify_am_load_alert(json_at(arr, i))) == NULL)
			why = xasprintf("alert %zu is malformed", i);
		else
			TAILQ_INSERT_TAIL(&alerts, a, entry);
	}
	for (i = 0; why == NULL && i < json_len(sarr); i++) {
		if ((s = notify_am_load_success(json_at(sarr, i))) == NULL)
			why = xasprintf("success %zu is malformed", i);
		else
			TAILQ_INSERT_TAIL(&successes, s, entry);
	}
	while ((a = TAILQ_FIRST(&alerts)) != NULL) {
		TAILQ_REMOVE(&alerts, a, entry);
		if (why != NULL) {
			notify_am_alert_free(a);
			continue;
		}
		TAILQ_INSERT_TAIL(&am->alerts, a, entry);
		am->nalerts++;
	}
	while ((s = TAILQ_FIRST(&successes)) != NULL) {
		TAILQ_REMOVE(&successes, s, entry);
		if (why != NULL) {
			free(s->group);
			free(s);
			continue;
		}
		TAILQ_INSERT_TAIL(&am->successes, s, entry);
		am->nsuccesses++;
	}
	return why;
}

/*
 * Load what the previous run kept.  A file that cannot be read or used
 * is logged in one line and ignored (the next write replaces it).
 */
static void
notify_am_load(struct notify_am *am)
{
	struct json *root;
	char *text, *cause = NULL, *why;
	size_t len;

	if ((text = durable_read(
		 am->dirfd, am->file, NOTIFY_AM_MAX_FILE, &len)) == NULL) {
		if (errno != ENOENT)
			log_warn("notifier %s: cannot read %s/%s; starting "
				 "with no alerts",
			    am->nf->name, am->dir, am->file);
		return;
	}
	if ((root = json_parse(text, len, &cause)) == NULL)
		why = cause;
	else if (json_type(root) != JSON_OBJECT)
		why = xstrdup("not an object");
	else
		why = notify_am_load_json(am, root);
	if (why != NULL) {
		log_warnx("notifier %s: %s/%s: %s; ignored, starting with no "
			  "alerts",
		    am->nf->name, am->dir, am->file, why);
		free(why);
	}
	json_free(root);
	free(text);
}

/*
 * Keep the alerts in state_dir from now on and load the earlier run's;
 * restored alerts are posted again at once.
 */
static void
notify_am_restore(struct notify_notifier *nf, const char *state_dir)
{
	struct notify_am *am = nf->priv;

	if (am->dirfd != -1)
		return;
	am->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (am->dirfd == -1) {
		log_warn("notifier %s: cannot open %s; its alerts are kept "
			 "in memory only",
		    nf->name, state_dir);
		return;
	}
	am->dir = xstrdup(state_dir);
	am->file = notify_am_file_name(nf->name);
	am->tmp = xasprintf("%s.tmp", am->file);
	notify_am_load(am);
	am->saved_gen = am->gen;
	if (am->nalerts > 0) {
		log_info("notifier %s: %zu alert%s restored from %s/%s",
		    nf->name, am->nalerts, am->nalerts == 1 ? "" : "s", am->dir,
		    am->file);
		timer_add_ms(am->repeat, 0);
	}
}

/* All transfers of a post are done: report the item, or end the repeat. */
static void
notify_am_post_done(struct notify_am_post *p)
{
	struct notify_am *am = p->am;
	struct notify_item *it = p->it;

	if (it == NULL) {
		if (am->repeating == p)
			am->repeating = NULL;
		notify_am_post_free(p);
		return;
	}
	it->priv = NULL;
	/* Delivered once one peer has it: peers gossip, and repeats follow. */
	if (p->nok > 0)
		notify_am_hold(am, it, p->gen);
	else if (p->nfinal == p->nxfers)
		notify_item_done(it, NOTIFY_FAILED, -1, p->err);
	else
		notify_item_done(it, NOTIFY_RETRY, p->retry_after_ms, p->err);
	notify_am_post_free(p);
}

/* The http callback of one transfer. */
static void
notify_am_xfer_cb(const struct http_response *resp, void *arg)
{
	struct notify_am_xfer *x = arg;
	struct notify_am_post *p = x->post;
	char err[200];
	int final = 0;

	x->x = NULL;
	p->left--;
	if (p->cancelled) {
		if (p->left == 0 && !p->holding)
			notify_am_post_free(p);
		return;
	}
	err[0] = '\0';
	if (resp->error == HTTP_RESPONSE || resp->error == HTTP_ETOOBIG) {
		if (resp->status >= 200 && resp->status <= 299)
			p->nok++;
		else {
			snprintf(err, sizeof(err), "HTTP %ld", resp->status);
			final = !(resp->status == 408 || resp->status == 429 ||
			    resp->status >= 500 || resp->status == 0);
			if (resp->retry_after_ms > p->retry_after_ms)
				p->retry_after_ms = resp->retry_after_ms;
		}
	} else {
		snprintf(err, sizeof(err), "%s",
		    resp->errmsg != NULL ? resp->errmsg : "transfer failed");
		final = resp->error == HTTP_EPROTO;
	}
	if (err[0] != '\0') {
		snprintf(p->err, sizeof(p->err), "%s: %s", x->url, err);
		p->nfinal += final;
	}
	notify_am_url_health(p->am, x->base, err[0] != '\0' ? err : NULL);
	if (p->left == 0)
		notify_am_post_done(p);
}

/* Start POSTs of the nbodies bodies to every URL. */
static struct notify_am_post *
notify_am_post_start(struct notify_am *am, struct notify_item *it,
    char **bodies, size_t *lens, size_t nbodies)
{
	static const char *headers[] = { "Content-Type: application/json",
		NULL };
	struct notify_am_post *p;
	struct notify_am_xfer *x;
	struct http_request req;
	size_t i, b, n;

	p = xcalloc(1, sizeof(*p));
	p->am = am;
	p->it = it;
	p->gen = am->gen;
	p->retry_after_ms = -1;
	p->nxfers = am->nurls * nbodies;
	p->xfers = xcalloc(p->nxfers > 0 ? p->nxfers : 1, sizeof(*p->xfers));
	p->left = p->nxfers;
	p->holding = 1; /* callbacks do not free it while we start */
	n = 0;
	for (b = 0; b < nbodies; b++) {
		for (i = 0; i < am->nurls; i++) {
			x = &p->xfers[n++];
			x->post = p;
			x->base = xstrdup(am->urls[i]);
			x->url = xasprintf("%s%s", am->urls[i], NOTIFY_AM_PATH);
			memset(&req, 0, sizeof(req));
			req.method = "POST";
			req.url = x->url;
			req.headers = headers;
			req.body = bodies[b];
			req.body_len = lens[b];
			req.timeout_ms = am->timeout_ms;
			req.max_body_bytes = NOTIFY_AM_MAX_BODY;
			req.allow_http = strncasecmp(x->url, "http://", 7) == 0;
			req.max_redirects = 0;
			x->x = http_submit(
			    am->nf->http, &req, notify_am_xfer_cb, x);
			if (x->x == NULL) {
				p->left--;
				snprintf(p->err, sizeof(p->err),
				    "%s: cannot start the transfer", x->url);
			}
		}
	}
	p->holding = 0;
	if (p->left == 0) {
		/* Nothing started: report from here (notify.c allows it). */
		notify_am_post_done(p);
		return NULL;
	}
	return p;
}

/* Cancel a post's transfers; it frees itself when the last is done. */
static void
notify_am_post_cancel(struct notify_am_post *p)
{
	size_t i;

	p->cancelled = 1;
	p->holding = 1;
	for (i = 0; i < p->nxfers; i++) {
		if (p->xfers[i].x != NULL)
			http_cancel(p->xfers[i].x);
	}
	p->holding = 0;
	if (p->left == 0)
		notify_am_post_free(p);
}

/* Apply the event of it and post the alerts it changed. */
static void
notify_am_deliver(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_am *am = nf->priv;
	int64_t now = monotime_wall_ms() / 1000;
	uint64_t gen = am->gen;
	char *body;
	size_t len;

	notify_am_apply(am, it->ev, now);
	body = notify_am_body(am, it->ev->id, NULL, SIZE_MAX, now, &len);
	if (body == NULL) {
		log_debug("notifier %s: event %s changes no alert", nf->name,
		    it->ev->id);
		/* A success it noted is kept before the event is forgotten. */
		notify_am_hold(am, it, am->gen != gen ? am->gen : 0);
		return;
	}
	log_debug(
	    "notifier %s: event %s: posting %s", nf->name, it->ev->id, body);
	it->priv = notify_am_post_start(am, it, &body, &len, 1);
	free(body);
}

/* Another replica posted it: apply its event to the set, post nothing. */
static void
notify_am_absorb(struct notify_notifier *nf, struct notify_item *it)
{
	notify_am_apply(nf->priv, it->ev, monotime_wall_ms() / 1000);
}

/* Abort the posts of it. */
static void
notify_am_cancel(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_am_post *p = it->priv;

	it->priv = NULL;
	if (p != NULL)
		notify_am_post_cancel(p);
	else
		notify_am_unhold(nf->priv, it);
}

/*
 * Task t of watch acknowledged (ack NULL: no longer): set it on the task's
 * open alerts, and have the repeat run now to post them once more.
 */
static size_t
notify_am_ack(struct notify_notifier *nf, const char *watch,
    const struct task *t, const struct evt_ack *ack)
{
	struct notify_am *am = nf->priv;
	struct notify_am_alert *a;
	char *key;
	size_t n = 0;

	if (am == NULL)
		return 0;
	key = notify_am_key_of(watch, t->cluster_id, t->id);
	TAILQ_FOREACH (a, &am->alerts, entry) {
		if (a->resolved || a->watch_alert || strcmp(a->task, key) != 0)
			continue;
		notify_am_set_ack(a, ack);
		n++;
	}
	free(key);
	if (n > 0) {
		notify_am_changed(am);
		timer_add_ms(am->repeat, 0);
	}
	return n;
}

/* Every repeat: post every alert still kept to every URL. */
static void
notify_am_repeat_cb(void *arg)
{
	struct notify_am *am = arg;
	struct notify_am_alert *from;
	char **bodies = NULL, *body;
	size_t *lens = NULL, n = 0, len, i;
	int64_t now = monotime_wall_ms() / 1000;

	timer_add_ms(am->repeat, am->repeat_ms);
	notify_am_prune(am, now);
	if (am->repeating != NULL || am->nalerts == 0 || am->nurls == 0 ||
	    !notify_active(am->nf))
		return;
	from = TAILQ_FIRST(&am->alerts);
	/* Each repeat posts a fresh endsAt: now + resolve_after. */
	while (from != NULL &&
	    (body = notify_am_body(
		 am, NULL, &from, NOTIFY_AM_BATCH, now, &len)) != NULL) {
		bodies = xreallocarray(bodies, n + 1, sizeof(*bodies));
		lens = xreallocarray(lens, n + 1, sizeof(*lens));
		bodies[n] = body;
		lens[n++] = len;
	}
	log_debug(
	    "notifier %s: posting %zu alerts again", am->nf->name, am->nalerts);
	if (n > 0)
		am->repeating = notify_am_post_start(am, NULL, bodies, lens, n);
	for (i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
	free(lens);
}

/* Free the copied settings. */
static void
notify_am_clear(struct notify_am *am)
{
	size_t i;

	for (i = 0; i < am->nurls; i++)
		free(am->urls[i]);
	free(am->urls);
	free(am->failing);
	am->urls = NULL;
	am->failing = NULL;
	am->nurls = 0;
	notify_am_kvs_clear(am->labels, am->nlabels);
	free(am->labels);
	am->labels = NULL;
	am->nlabels = 0;
}

/* 1 if a configured label would repeat one taskwatchd sets. */
static int
notify_am_own_label(const char *name)
{
	static const char *own[] = { "alertname", "watch", "api", "account",
		"cluster", "cluster_id", "task_id", "task_type", "state",
		"severity" };
	size_t i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		if (strcmp(name, own[i]) == 0)
			return 1;
	}
	return 0;
}

/* Copy URLs, labels and times from conf; start the repeat timer. */
static void
notify_am_configure(
    struct notify_notifier *nf, const struct config_notifier *conf)
{
	struct notify_am *am = nf->priv;
	size_t i, n;

	if (am == NULL) {
		nf->priv = am = xcalloc(1, sizeof(*am));
		am->nf = nf;
		TAILQ_INIT(&am->alerts);
		TAILQ_INIT(&am->successes);
		am->repeat = timer_new(nf->base, notify_am_repeat_cb, am);
		am->save = timer_new(nf->base, notify_am_save_cb, am);
		am->dirfd = -1;
	}
	/* Deliveries wait for the alerts file without holding a transfer. */
	nf->max_inflight = NOTIFY_AM_MAX_INFLIGHT;
	notify_am_clear(am);
	am->urls = xcalloc(conf->urls.n + 1, sizeof(*am->urls));
	am->failing = xcalloc(conf->urls.n + 1, sizeof(*am->failing));
	for (i = 0; i < conf->urls.n; i++) {
		n = strlen(conf->urls.v[i]);
		while (n > 0 && conf->urls.v[i][n - 1] == '/')
			n--;
		am->urls[i] = xstrndup(conf->urls.v[i], n);
	}
	am->nurls = conf->urls.n;
	am->labels = xcalloc(conf->nlabels + 1, sizeof(*am->labels));
	for (i = 0; i < conf->nlabels; i++) {
		if (notify_am_own_label(conf->labels[i].key)) {
			log_warnx("notifier %s: label %s is set by taskwatchd; "
				  "the configured one is ignored",
			    nf->name, conf->labels[i].key);
			continue;
		}
		am->labels[am->nlabels].key = xstrdup(conf->labels[i].key);
		am->labels[am->nlabels].value = xstrdup(conf->labels[i].value);
		am->nlabels++;
	}
	am->resolve_after_ms = conf->resolve_after_ms != 0
	    ? conf->resolve_after_ms
	    : 24 * 3600 * 1000ULL;
	am->repeat_ms = conf->repeat_ms != 0 ? conf->repeat_ms : 60000;
	am->timeout_ms = conf->timeout_ms != 0 ? conf->timeout_ms : 10000;
	timer_add_ms(am->repeat, am->repeat_ms);
}

/* Free the alertmanager notifier's state (notify.c cancelled its items). */
static void
notify_am_free(struct notify_notifier *nf)
{
	struct notify_am *am = nf->priv;
	struct notify_am_alert *a;
	struct notify_am_success *s;

	if (am == NULL)
		return;
	if (am->repeating != NULL)
		notify_am_post_cancel(am->repeating);
	timer_free(am->repeat);
	/* At the end (shutdown, or removed by a reload): the last state. */
	if (am->dirfd != -1) {
		if (am->gen != am->saved_gen)
			notify_am_save(am);
		close(am->dirfd);
	}
	timer_free(am->save);
	free(am->dir);
	free(am->file);
	free(am->tmp);
	free(am->held);
	free(am->held_gen);
	while ((a = TAILQ_FIRST(&am->alerts)) != NULL)
		notify_am_alert_remove(am, a);
	while ((s = TAILQ_FIRST(&am->successes)) != NULL) {
		TAILQ_REMOVE(&am->successes, s, entry);
		free(s->group);
		free(s);
	}
	notify_am_clear(am);
	free(am);
	nf->priv = NULL;
}

const struct notify_ops notify_alertmanager_ops = {
	.type = "alertmanager",
	.configure = notify_am_configure,
	.deliver = notify_am_deliver,
	.cancel = notify_am_cancel,
	.restore = notify_am_restore,
	.ack = notify_am_ack,
	.absorb = notify_am_absorb,
	.free = notify_am_free,
};
