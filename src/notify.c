/*
 * Notification delivery: events are routed through the rules, and a copy
 * is queued for each chosen notifier.  Per notifier, each task has a FIFO
 * whose head alone is in flight, so a task's events arrive in order while
 * other tasks go ahead; failed deliveries are retried with backoff and
 * jitter until the notifier's give-up time, then dead-lettered.
 */
#include <sys/queue.h>

#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "hashmap.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notifier_kind.h"
#include "notify.h"
#include "notify_format.h"
#include "notify_impl.h"
#include "outbox.h"
#include "rules.h"
#include "template.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_MAX_INFLIGHT 16 /* per notifier */
#define NOTIFY_RUN_BUDGET 256  /* starts per loop turn */
#define NOTIFY_RETRY_INITIAL_MS 500
#define NOTIFY_RETRY_MAX_MS 60000
#define NOTIFY_GIVE_UP_MS (24 * 3600 * 1000ULL)
#define NOTIFY_ERROR_MAX 512 /* bytes of a failure kept */

/* Where a task's FIFO stands. */
enum notify_key_state {
	NOTIFY_KEY_READY,    /* on the ready list */
	NOTIFY_KEY_INFLIGHT, /* its head is being delivered */
	NOTIFY_KEY_WAITING,  /* its head waits for a retry */
};

/* The FIFO of one task (or watch) at one notifier. */
struct notify_key {
	struct hashmap_entry hentry; /* first: in nf->keys, by name */
	char *name;
	struct notify_notifier *nf; /* borrowed */
	TAILQ_HEAD(, notify_item) items;
	enum notify_key_state state;
	struct timer *timer; /* retry; made on first use */
	TAILQ_ENTRY(notify_key) ready_entry;
};

/* The notifiers of the daemon, active ones first, then draining ones. */
struct notify {
	struct event_base *base;                 /* borrowed */
	struct http *http;                       /* borrowed */
	const struct config *conf;               /* borrowed */
	TAILQ_HEAD(, notify_notifier) notifiers; /* active, then draining */
	struct outbox *ob; /* borrowed; NULL: not durable (tests) */
	char *state_dir;   /* where notifiers keep state; NULL: nowhere */
	/* Where notifiers' own events (hook_*) go: the daemon's emit. */
	void (*emit)(struct evt *ev, void *arg);
	void *emit_arg;
	struct evt_list emitted; /* made by notifiers, not yet emitted */
	struct timer *emit_timer;
	/* High availability: asked before every attempt; NULL: none. */
	const struct notify_gate_ops *gate;
	void *gate_arg;
	uint64_t gate_wait_ms;
	int active; /* with a gate: this replica is the active one */
};

/* Types by enum config_notifier_type. */
static const struct notify_ops *notify_types[] = {
	[CONFIG_NOTIFIER_WEBHOOK] = &notify_webhook_ops,
	[CONFIG_NOTIFIER_ALERTMANAGER] = &notify_alertmanager_ops,
	[CONFIG_NOTIFIER_SYSLOG] = &notify_syslog_ops,
	[CONFIG_NOTIFIER_EXEC] = &notify_exec_ops,
	[CONFIG_NOTIFIER_PAGERDUTY] = &notify_pagerduty_ops,
	[CONFIG_NOTIFIER_EMAIL] = &notify_email_ops,
};

static void notify_notifier_free(struct notify_notifier *nf);
static void notify_replay(struct notify *n, struct notify_notifier *nf);
static void notify_restore(struct notify *n, struct notify_notifier *nf);

/* The implementation of a type; NULL if the type is unknown. */
static const struct notify_ops *
notify_type_ops(enum config_notifier_type type)
{
	if ((size_t)type >= sizeof(notify_types) / sizeof(notify_types[0]))
		return NULL;
	return notify_types[type];
}

/* The key of the task an event is about (see notify_impl.h). */
char *
notify_key_name(const struct evt *ev)
{
	const char *watch = ev->watch != NULL ? ev->watch : "";

	if (!ev->has_task)
		return xstrdup(watch);
	return xasprintf("%s\037%s\037%s", watch,
	    ev->task.cluster_id != NULL ? ev->task.cluster_id : "",
	    ev->task.id != NULL ? ev->task.id : "");
}

/* Find the key named name at nf, or NULL. */
static struct notify_key *
notify_key_find(struct notify_notifier *nf, const char *name)
{
	struct hashmap_entry *e = hashmap_get(&nf->keys, name);

	return e != NULL ? HASHMAP_ITEM(e, struct notify_key, hentry) : NULL;
}

/* Unlink key k from nf's hash and ready list and free it (it is empty). */
static void
notify_key_free(struct notify_key *k)
{
	struct notify_notifier *nf = k->nf;

	hashmap_remove(&nf->keys, &k->hentry);
	if (k->state == NOTIFY_KEY_READY)
		TAILQ_REMOVE(&nf->ready, k, ready_entry);
	timer_free(k->timer);
	free(k->name);
	free(k);
}

/* Free an item and its copy of the event; its outbox file stays. */
static void
notify_item_free(struct notify_item *it)
{
	struct notify *n = it->nf->notify;

	if (it->gate_req != NULL)
		n->gate->cancel(n->gate_arg, it->gate_req);
	if (it->obentry != NULL)
		outbox_release(it->obentry);
	evt_free(it->ev);
	free(it->body);
	free(it->error);
	free(it->answer);
	free(it);
}

/* Wake nf's queue runner on the next loop turn. */
static void
notify_kick(struct notify_notifier *nf)
{
	timer_activate(nf->kick);
}

/* A retry timer fired: the key's head may go again. */
static void
notify_key_timer_cb(void *arg)
{
	struct notify_key *k = arg;

	k->state = NOTIFY_KEY_READY;
	TAILQ_INSERT_TAIL(&k->nf->ready, k, ready_entry);
	notify_kick(k->nf);
}

/* Describe an item's event for a log line: "transition event ID (...)". */
static char *
notify_item_describe(const struct notify_item *it)
{
	const struct evt *ev = it->ev;

	if (ev->watch == NULL)
		return xasprintf(
		    "%s event %s", evt_kind_name(ev->kind), ev->id);
	if (!ev->has_task)
		return xasprintf("%s event %s (watch %s)",
		    evt_kind_name(ev->kind), ev->id,
		    ev->watch != NULL ? ev->watch : "");
	return xasprintf("%s event %s (watch %s, task %s)",
	    evt_kind_name(ev->kind), ev->id, ev->watch != NULL ? ev->watch : "",
	    ev->task.id != NULL ? ev->task.id : "");
}

/*
 * An item that will not be delivered: move it to the dead letters and log
 * it at LOG_CRIT (see header).
 */
void
notify_dead_letter(
    struct notify_notifier *nf, struct notify_item *it, const char *reason)
{
	char *what, *path = NULL, *where;
	struct outbox_answer ans;

	if (reason == NULL)
		reason = "unknown error";
	ans.status = it->answer_status;
	ans.body = it->answer;
	ans.len = it->answer_len;
	if (it->obentry != NULL) {
		path = outbox_dead(it->obentry, it->ev, it->attempts, reason,
		    &ans, monotime_wall_ms() / 1000);
		it->obentry = NULL;
	}
	if (path != NULL)
		where = xasprintf("; kept in %s", path);
	else if (nf->notify->ob != NULL)
		where = xstrdup("; the dead letter is not written yet (disk "
				"trouble), retrying");
	else
		where = xstrdup("");
	what = notify_item_describe(it);
	log_at(LOG_CRIT,
	    "notifier %s: giving up on %s after %u attempt%s: %s%s", nf->name,
	    what, it->attempts, it->attempts == 1 ? "" : "s", reason, where);
	free(what);
	free(where);
	free(path);
}

/* Report how a delivery went (see notify_impl.h). */
void
notify_item_done(struct notify_item *it, enum notify_result result,
    int64_t retry_after_ms, const char *error)
{
	struct notify_notifier *nf = it->nf;

	if (!it->inflight)
		return;
	it->inflight = 0;
	it->result = result;
	it->retry_after_ms = retry_after_ms;
	free(it->error);
	it->error = NULL;
	if (error != NULL)
		it->error = xstrndup(error, NOTIFY_ERROR_MAX);
	TAILQ_INSERT_TAIL(&nf->done, it, done_entry);
	notify_kick(nf);
}

/* Keep the receiver's answer to the last attempt (see notify_impl.h). */
void
notify_item_answer(
    struct notify_item *it, long status, const char *body, size_t len)
{
	free(it->answer);
	it->answer = NULL;
	it->answer_len = 0;
	it->answer_status = status;
	if (body == NULL)
		return;
	/* A byte more than kept: outbox_excerpt cuts at a UTF-8 boundary. */
	if (len > OUTBOX_EXCERPT_MAX + 1)
		len = OUTBOX_EXCERPT_MAX + 1;
	/* Bytes, NULs included: outbox_excerpt makes them safe. */
	it->answer = xmalloc(len + 1);
	memcpy(it->answer, body, len);
	it->answer[len] = '\0';
	it->answer_len = len;
}

/* Build (once) and return the item's event document. */
const char *
notify_item_body(struct notify_item *it, size_t *len)
{
	if (it->body == NULL) {
		it->body = evt_to_json(it->ev, &it->body_len);
		if (it->body == NULL) {
			it->body = xstrdup("");
			it->body_len = 0;
		}
	}
	*len = it->body_len;
	return it->body;
}

/* The delay before retrying it: backoff with jitter, Retry-After, deadline. */
static uint64_t
notify_retry_delay(const struct notify_notifier *nf,
    const struct notify_item *it, uint64_t now)
{
	uint64_t base = nf->retry_initial_ms, delay, left;
	unsigned i;

	for (i = 1; i < it->attempts && base < nf->retry_max_ms; i++)
		base += base / 2;
	if (base > nf->retry_max_ms)
		base = nf->retry_max_ms;
	if (base == 0)
		base = 1;
	/* +-50%: uniformly in [base/2, base*3/2]. */
	delay = base / 2;
	if (base <= UINT32_MAX)
		delay += arc4random_uniform((uint32_t)base + 1);
	else
		delay += base;
	if (it->retry_after_ms > 0 && (uint64_t)it->retry_after_ms > delay)
		delay = (uint64_t)it->retry_after_ms;
	/* One last attempt at the give-up time, not after it. */
	left = it->first_ms + nf->give_up_after_ms - now;
	if (delay > left)
		delay = left;
	return delay;
}

/* Remove a finished item from its key and move the key along. */
static void
notify_item_finish(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_key *k = it->key;

	TAILQ_REMOVE(&k->items, it, entry);
	notify_item_free(it);
	nf->npending--;
	if (TAILQ_EMPTY(&k->items)) {
		notify_key_free(k);
		return;
	}
	k->state = NOTIFY_KEY_READY;
	TAILQ_INSERT_TAIL(&nf->ready, k, ready_entry);
}

/* Count a delivery outcome in taskwatch_notifications_total. */
static void
notify_count(const struct notify_notifier *nf, const char *result)
{
	metrics_add(metrics_global(), METRICS_NOTIFICATIONS, 1, "notifier",
	    nf->name, "result", result, NULL);
}

/* Handle a reported delivery. */
static void
notify_item_handle(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_key *k = it->key;
	uint64_t now, delay;
	char *what, *reason, dur[32];

	nf->inflight--;
	switch (it->result) {
	case NOTIFY_DELIVERED:
		/* Out of the outbox first: a logged delivery is never resent. */
		if (it->obentry != NULL) {
			outbox_delivered(it->obentry);
			it->obentry = NULL;
		}
		nf->delivered++;
		notify_count(nf, "delivered");
		if (nf->notify->gate != NULL)
			nf->notify->gate->settled(nf->notify->gate_arg,
			    nf->name, nf->type, it->ev->id, 1);
		if (nf->failing) {
			nf->failing = 0;
			log_info("notifier %s: delivering again", nf->name);
		}
		log_debug(
		    "notifier %s: delivered event %s", nf->name, it->ev->id);
		notify_item_finish(nf, it);
		return;
	case NOTIFY_FAILED:
		if (nf->notify->gate != NULL)
			nf->notify->gate->settled(nf->notify->gate_arg,
			    nf->name, nf->type, it->ev->id, 0);
		nf->failed++;
		notify_count(nf, "failed");
		reason = xasprintf("%s (not retried)",
		    it->error != NULL ? it->error : "refused");
		notify_dead_letter(nf, it, reason);
		free(reason);
		notify_item_finish(nf, it);
		return;
	case NOTIFY_RETRY:
		break;
	}
	now = monotime_ms();
	if (now - it->first_ms >= nf->give_up_after_ms) {
		nf->failed++;
		notify_count(nf, "dead");
		notify_dead_letter(nf, it, it->error);
		notify_item_finish(nf, it);
		return;
	}
	nf->retries++;
	notify_count(nf, "retried");
	delay = notify_retry_delay(nf, it, now);
	util_format_duration(delay, dur, sizeof(dur));
	what = notify_item_describe(it);
	if (!nf->failing) {
		nf->failing = 1;
		log_warnx("notifier %s: delivery of %s failed: %s; retrying "
			  "in %s",
		    nf->name, what,
		    it->error != NULL ? it->error : "unknown error", dur);
	} else
		log_debug("notifier %s: delivery of %s failed (attempt %u): "
			  "%s; retrying in %s",
		    nf->name, what, it->attempts,
		    it->error != NULL ? it->error : "unknown error", dur);
	free(what);
	if (k->timer == NULL)
		k->timer = timer_new(nf->base, notify_key_timer_cb, k);
	k->state = NOTIFY_KEY_WAITING;
	timer_add_ms(k->timer, delay);
}

/* Deliver it, the head of its key (in flight), now. */
static void
notify_deliver(struct notify_notifier *nf, struct notify_item *it)
{
	/* A replayed item keeps the give-up clock of its first run. */
	if (it->attempts++ == 0 && it->first_ms == 0)
		it->first_ms = monotime_ms();
	/* The entry is durable before the first attempt (see outbox.h). */
	if (it->obentry != NULL)
		outbox_sync(nf->notify->ob);
	it->inflight = 1;
	nf->inflight++;
	nf->ops->deliver(nf, it);
}

/*
 * Start the head of the first ready key: deliver it, or with a gate ask
 * first (the key stays in flight until the answer).
 */
static void
notify_start(struct notify_notifier *nf)
{
	struct notify *n = nf->notify;
	struct notify_key *k;
	struct notify_item *it;

	k = TAILQ_FIRST(&nf->ready);
	TAILQ_REMOVE(&nf->ready, k, ready_entry);
	k->state = NOTIFY_KEY_INFLIGHT;
	it = TAILQ_FIRST(&k->items);
	if (n->gate == NULL) {
		notify_deliver(nf, it);
		return;
	}
	nf->inflight++;
	it->gate_req =
	    n->gate->check(n->gate_arg, nf->name, nf->type, it->ev->id, it);
}

/* Hold the head of k until the gate opens or wait_ms passed. */
static void
notify_gate_hold(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_key *k = it->key;

	it->gate_held = 1;
	if (k->timer == NULL)
		k->timer = timer_new(nf->base, notify_key_timer_cb, k);
	k->state = NOTIFY_KEY_WAITING;
	timer_add_ms(k->timer, nf->notify->gate_wait_ms);
}

/* The gate answered about token, the head of its key. */
void
notify_gate_answer(
    struct notify_item *it, enum notify_gate_verdict v, const char *detail)
{
	struct notify_notifier *nf = it->nf;

	it->gate_req = NULL;
	nf->inflight--;
	switch (v) {
	case NOTIFY_GATE_SEND:
		it->gate_held = 0;
		notify_deliver(nf, it);
		return;
	case NOTIFY_GATE_SKIP:
		log_debug("notifier %s: event %s was delivered by %s", nf->name,
		    it->ev->id, detail != NULL ? detail : "another replica");
		if (it->obentry != NULL) {
			outbox_delivered(it->obentry);
			it->obentry = NULL;
		}
		notify_count(nf, "skipped");
		if (nf->ops->absorb != NULL)
			nf->ops->absorb(nf, it);
		notify_item_finish(nf, it);
		notify_kick(nf);
		return;
	case NOTIFY_GATE_WAIT:
		notify_gate_hold(nf, it);
		return;
	case NOTIFY_GATE_DEAD:
		nf->failed++;
		notify_count(nf, "dead");
		notify_dead_letter(nf, it, detail);
		notify_item_finish(nf, it);
		notify_kick(nf);
		return;
	case NOTIFY_GATE_RETRY:
		/* An attempt that failed: retried, and given up in time. */
		if (it->attempts++ == 0 && it->first_ms == 0)
			it->first_ms = monotime_ms();
		nf->inflight++;
		it->inflight = 1;
		notify_item_done(it, NOTIFY_RETRY, -1, detail);
		return;
	}
}

/*
 * Run nf's queues: handle reported deliveries, start ready keys up to the
 * in-flight cap.  A bounded number of starts per turn keeps a synchronous
 * notifier with a long queue from holding the loop.
 */
static void
notify_kick_cb(void *arg)
{
	struct notify_notifier *nf = arg;
	struct notify_item *it;
	unsigned budget = NOTIFY_RUN_BUDGET;

	for (;;) {
		while ((it = TAILQ_FIRST(&nf->done)) != NULL) {
			TAILQ_REMOVE(&nf->done, it, done_entry);
			notify_item_handle(nf, it);
		}
		if (TAILQ_EMPTY(&nf->ready) || nf->inflight >= nf->max_inflight)
			break;
		if (budget-- == 0) {
			notify_kick(nf);
			return;
		}
		notify_start(nf);
	}
	if (nf->draining && nf->npending == 0) {
		log_info("notifier %s: removed", nf->name);
		TAILQ_REMOVE(&nf->notify->notifiers, nf, entry);
		notify_notifier_free(nf);
	}
}

/* Take the settings notify.c uses from conf, then let the type configure. */
static void
notify_notifier_configure(
    struct notify_notifier *nf, const struct config_notifier *conf)
{
	nf->conf = conf;
	nf->retry_initial_ms = conf->retry.initial_ms != 0
	    ? conf->retry.initial_ms
	    : NOTIFY_RETRY_INITIAL_MS;
	nf->retry_max_ms =
	    conf->retry.max_ms != 0 ? conf->retry.max_ms : NOTIFY_RETRY_MAX_MS;
	if (nf->retry_max_ms < nf->retry_initial_ms)
		nf->retry_max_ms = nf->retry_initial_ms;
	nf->give_up_after_ms = conf->retry.give_up_after_ms != 0
	    ? conf->retry.give_up_after_ms
	    : NOTIFY_GIVE_UP_MS;
	nf->max_inflight = NOTIFY_MAX_INFLIGHT;
	nf->ops->configure(nf, conf);
	if (nf->max_inflight == 0)
		nf->max_inflight = 1;
}

/* A notifier for conf (config.c only accepts known types). */
static struct notify_notifier *
notify_notifier_new(struct notify *n, const struct config_notifier *conf)
{
	struct notify_notifier *nf;
	const struct notify_ops *ops;

	if ((ops = notify_type_ops(conf->type)) == NULL)
		fatalx("notifier %s: unknown type %d", conf->name, conf->type);
	nf = xcalloc(1, sizeof(*nf));
	nf->name = xstrdup(conf->name);
	nf->type = conf->type;
	nf->ops = ops;
	nf->base = n->base;
	nf->http = n->http;
	nf->notify = n;
	hashmap_init(&nf->keys);
	TAILQ_INIT(&nf->ready);
	TAILQ_INIT(&nf->done);
	nf->kick = timer_new(n->base, notify_kick_cb, nf);
	notify_notifier_configure(nf, conf);
	return nf;
}

/*
 * Free a notifier: abort deliveries in flight (their callbacks do not come
 * back), cancel timers, free every queued item.
 */
static void
notify_notifier_free(struct notify_notifier *nf)
{
	struct notify_key *k;
	struct notify_item *it;
	struct hashmap_iter hi;
	struct hashmap_entry *e;

	hashmap_walk_init(&hi, &nf->keys);
	while ((e = hashmap_walk(&hi)) != NULL) {
		k = HASHMAP_ITEM(e, struct notify_key, hentry);
		TAILQ_FOREACH (it, &k->items, entry) {
			if (it->gate_req != NULL) {
				nf->notify->gate->cancel(
				    nf->notify->gate_arg, it->gate_req);
				it->gate_req = NULL;
			} else if (it->inflight && nf->ops->cancel != NULL) {
				it->inflight = 0;
				nf->ops->cancel(nf, it);
			}
		}
	}
	hashmap_walk_init(&hi, &nf->keys);
	while ((e = hashmap_walk(&hi)) != NULL) {
		k = HASHMAP_ITEM(e, struct notify_key, hentry);
		while ((it = TAILQ_FIRST(&k->items)) != NULL) {
			TAILQ_REMOVE(&k->items, it, entry);
			notify_item_free(it);
		}
		notify_key_free(k);
	}
	nf->ops->free(nf);
	timer_free(nf->kick);
	hashmap_clear(&nf->keys);
	free(nf->name);
	free(nf);
}

/* Create the notifiers of conf on base, sending HTTP through http. */
struct notify *
notify_new(
    struct event_base *base, struct http *http, const struct config *conf)
{
	struct notify *n;
	struct notify_notifier *nf;
	size_t i;

	n = xcalloc(1, sizeof(*n));
	n->base = base;
	n->http = http;
	n->conf = conf;
	TAILQ_INIT(&n->notifiers);
	for (i = 0; i < conf->nnotifiers; i++) {
		nf = notify_notifier_new(n, &conf->notifiers[i]);
		if (nf != NULL)
			TAILQ_INSERT_TAIL(&n->notifiers, nf, entry);
	}
	return n;
}

/* Hand the events notifiers made to the daemon, from the loop. */
static void
notify_emit_cb(void *arg)
{
	struct notify *n = arg;
	struct evt_list l = n->emitted;
	size_t i;

	memset(&n->emitted, 0, sizeof(n->emitted));
	for (i = 0; i < l.n; i++) {
		if (n->emit != NULL)
			n->emit(l.v[i], n->emit_arg); /* takes it */
		else {
			log_warnx("event %s %s not sent: nowhere to emit it",
			    evt_kind_name(l.v[i]->kind), l.v[i]->id);
			evt_free(l.v[i]);
		}
		l.v[i] = NULL;
	}
	evt_list_clear(&l);
}

/* Where notifiers' own events go from now on (see notify.h). */
void
notify_set_emit(
    struct notify *n, void (*emit)(struct evt *ev, void *arg), void *arg)
{
	n->emit = emit;
	n->emit_arg = arg;
	if (n->emit_timer == NULL)
		n->emit_timer = timer_new(n->base, notify_emit_cb, n);
}

/*
 * A notifier made an event (a hook_* event; see notify_impl.h): emitted
 * from the loop, not from within the delivery that made it, so that
 * routing never runs inside notify.c's own walk of the queues.
 */
void
notify_emit(struct notify_notifier *nf, struct evt *ev)
{
	struct notify *n = nf->notify;

	evt_list_add(&n->emitted, ev);
	if (n->emit_timer != NULL)
		timer_activate(n->emit_timer);
	else
		log_warnx("notifier %s: event %s %s held: no emit set",
		    nf->name, evt_kind_name(ev->kind), ev->id);
}

/* The daemon section of the config in use (see notify_impl.h). */
const struct config_daemon *
notify_daemon_conf(const struct notify_notifier *nf)
{
	return &nf->notify->conf->daemon;
}

/* The active notifier called name of type type, or NULL. */
static struct notify_notifier *
notify_find(struct notify *n, const char *name, enum config_notifier_type type)
{
	struct notify_notifier *nf;

	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		if (!nf->draining && nf->type == type &&
		    strcmp(nf->name, name) == 0)
			return nf;
	}
	return NULL;
}

/* Swap in a new config: keep, add, and drain removed notifiers. */
void
notify_reconfigure(struct notify *n, const struct config *conf)
{
	TAILQ_HEAD(, notify_notifier) kept;
	struct notify_notifier *nf, *next;
	size_t i;

	TAILQ_INIT(&kept);
	for (i = 0; i < conf->nnotifiers; i++) {
		nf = notify_find(
		    n, conf->notifiers[i].name, conf->notifiers[i].type);
		if (nf != NULL) {
			TAILQ_REMOVE(&n->notifiers, nf, entry);
			notify_notifier_configure(nf, &conf->notifiers[i]);
			/* A changed retry policy or cap applies now. */
			notify_kick(nf);
		} else if ((nf = notify_notifier_new(n, &conf->notifiers[i])) ==
		    NULL)
			continue;
		else {
			/* Its saved state and its outbox, if it had them. */
			notify_restore(n, nf);
			notify_replay(n, nf);
		}
		TAILQ_INSERT_TAIL(&kept, nf, entry);
	}
	/* What is left was removed: drain it, behind the kept ones. */
	for (nf = TAILQ_FIRST(&n->notifiers); nf != NULL; nf = next) {
		next = TAILQ_NEXT(nf, entry);
		if (nf->draining)
			continue;
		TAILQ_REMOVE(&n->notifiers, nf, entry);
		nf->conf = NULL;
		if (nf->npending == 0) {
			notify_notifier_free(nf);
			continue;
		}
		log_info("notifier %s: removed from the config; delivering "
			 "the %zu event%s it holds",
		    nf->name, nf->npending, nf->npending == 1 ? "" : "s");
		nf->draining = 1;
		TAILQ_INSERT_TAIL(&kept, nf, entry);
	}
	/* Draining ones from an earlier reload stay at the end. */
	while ((nf = TAILQ_FIRST(&n->notifiers)) != NULL) {
		TAILQ_REMOVE(&n->notifiers, nf, entry);
		TAILQ_INSERT_TAIL(&kept, nf, entry);
	}
	TAILQ_CONCAT(&n->notifiers, &kept, entry);
	n->conf = conf;
}

/* Put an item at the end of its task's FIFO at nf. */
static void
notify_item_queue(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_key *k;
	char *name;

	name = notify_key_name(it->ev);
	if ((k = notify_key_find(nf, name)) == NULL) {
		k = xcalloc(1, sizeof(*k));
		k->name = name;
		k->nf = nf;
		TAILQ_INIT(&k->items);
		hashmap_add(&nf->keys, &k->hentry, k->name);
		k->state = NOTIFY_KEY_READY;
		TAILQ_INSERT_TAIL(&nf->ready, k, ready_entry);
		notify_kick(nf);
	} else
		free(name);
	it->key = k;
	TAILQ_INSERT_TAIL(&k->items, it, entry);
	nf->npending++;
}

/*
 * Queue a copy of ev, as routed, at nf, written to the outbox first.  An
 * event the outbox already holds for nf (queued again after a restart, or
 * delivered since the task table was saved) is the same event detected
 * again: sending it twice would only make a duplicate.
 */
static void
notify_enqueue(struct notify_notifier *nf, const struct evt *ev,
    const struct config_rule *rule, enum config_severity severity,
    int resolve_only)
{
	struct outbox *ob = nf->notify->ob;
	struct notify_item *it;
	const char *body;
	size_t len;

	if (ob != NULL && outbox_has(ob, nf->name, ev->id)) {
		log_debug("notifier %s: event %s is already in its outbox",
		    nf->name, ev->id);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	it->ev = evt_dup(ev);
	free(it->ev->rule);
	it->ev->rule = rule != NULL ? xstrdup(rule->name) : NULL;
	it->ev->severity = severity;
	it->ev->resolve_only = resolve_only;
	it->nf = nf;
	it->retry_after_ms = -1;
	if (ob != NULL) {
		body = notify_item_body(it, &len);
		it->obentry = outbox_add(
		    ob, nf->name, it->ev, body, len, monotime_wall_ms() / 1000);
	}
	notify_item_queue(nf, it);
}

/* outbox_open callback: queue an entry of the previous run again. */
static void
notify_replay_cb(
    struct outbox_entry *e, struct evt *ev, int64_t enqueued_at, void *arg)
{
	struct notify_notifier *nf = arg;
	struct notify_item *it;
	int64_t age_ms;
	uint64_t now = monotime_ms();

	it = xcalloc(1, sizeof(*it));
	it->ev = ev;
	it->nf = nf;
	it->retry_after_ms = -1;
	it->obentry = e;
	/* give_up_after counts from when it was first queued. */
	age_ms = monotime_wall_ms() - enqueued_at * 1000;
	if (age_ms < 0)
		age_ms = 0;
	it->first_ms = (uint64_t)age_ms < now ? now - (uint64_t)age_ms : 1;
	notify_item_queue(nf, it);
}

/* Let nf load the state it kept in the state directory, if it keeps any. */
static void
notify_restore(struct notify *n, struct notify_notifier *nf)
{
	if (n->state_dir != NULL && nf->ops->restore != NULL)
		nf->ops->restore(nf, n->state_dir);
}

/* Queue again what the outbox holds for nf from the previous run. */
static void
notify_replay(struct notify *n, struct notify_notifier *nf)
{
	size_t count;
	char *dir;

	if (n->ob == NULL)
		return;
	if ((count = outbox_open(n->ob, nf->name, notify_replay_cb, nf)) == 0)
		return;
	dir = outbox_box_path(n->ob, nf->name);
	log_info("notifier %s: %zu undelivered notification%s from %s queued "
		 "again",
	    nf->name, count, count == 1 ? "" : "s", dir);
	free(dir);
}

/*
 * Make delivery durable through ob (borrowed; it must outlive n): every
 * notifier loads the state it keeps in the config's state_dir (a later
 * change of state_dir takes effect at the next start, as for ob), its
 * undelivered entries of the previous run are queued again, in order,
 * and from now on each event is written to ob before it is sent.
 */
void
notify_set_outbox(struct notify *n, struct outbox *ob)
{
	struct notify_notifier *nf;

	n->ob = ob;
	if (n->conf->daemon.state_dir != NULL)
		n->state_dir = xstrdup(n->conf->daemon.state_dir);
	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		notify_restore(n, nf);
		notify_replay(n, nf);
	}
	outbox_warn_orphans(ob);
}

/* 0 while the outbox cannot write; 1 otherwise (see notify.h). */
int
notify_storage_ok(const struct notify *n)
{
	return n->ob == NULL || !outbox_degraded(n->ob);
}

/* What notify_route_cb needs. */
struct notify_route {
	struct notify *n;
	const struct evt *ev;
	struct notify_notifier **routed; /* the notifiers it went to */
	size_t nrouted;
};

/* rules_route callback: queue the event at the chosen notifier. */
static void
notify_route_cb(const struct config_notifier *cn,
    const struct config_rule *rule, enum config_severity severity, void *arg)
{
	struct notify_route *r = arg;
	struct notify_notifier *nf;

	/*
	 * A silenced event goes only where send_silenced asks for it; a
	 * notifier that resolves still gets it resolve-only (notify_event).
	 */
	if (r->ev->silenced != NULL && !cn->send_silenced)
		return;
	/* A hook event about this notifier: it could loop on itself. */
	if (r->ev->hook_notifier != NULL &&
	    strcmp(r->ev->hook_notifier, cn->name) == 0) {
		log_debug("notifier %s: event %s is about it: not sent there",
		    cn->name, r->ev->id);
		return;
	}
	if ((nf = notify_find(r->n, cn->name, cn->type)) == NULL) {
		log_warnx("notifier %s (%s): event %s not sent: no such "
			  "notifier",
		    cn->name, notifier_kind_name(cn->type), r->ev->id);
		return;
	}
	notify_enqueue(nf, r->ev, rule, severity, 0);
	r->routed =
	    xreallocarray(r->routed, r->nrouted + 1, sizeof(*r->routed));
	r->routed[r->nrouted++] = nf;
}

/*
 * Route an event and queue a copy for each chosen notifier.  Rules decide
 * what opens an alert, never what closes one: an alertmanager notifier
 * that rules send the events of ev's watch to, and that no rule chose for
 * ev, gets ev too, marked resolve-only (it may resolve, never open), and
 * durable through the outbox like any delivery.
 */
void
notify_event(struct notify *n, const struct evt *ev)
{
	struct notify_route r = { n, ev, NULL, 0 };
	struct notify_notifier *nf;
	size_t i;

	rules_route(n->conf, ev, notify_route_cb, &r);
	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		if (nf->draining || !notifier_kind_get(nf->type)->resolves)
			continue;
		for (i = 0; i < r.nrouted && r.routed[i] != nf; i++)
			;
		if (i < r.nrouted || !rules_alerts_for(n->conf, nf->name, ev))
			continue;
		notify_enqueue(nf, ev, NULL,
		    ev->severity != CONFIG_SEVERITY_UNSET
			? ev->severity
			: evt_default_severity(ev),
		    1);
	}
	free(r.routed);
}

/*
 * Report an HTTP delivery's outcome (see notify_impl.h): 2xx delivered;
 * 408, 429, 5xx, network errors and timeouts retried (with the
 * receiver's Retry-After); a bad URL and any other answer final.  A
 * dead letter keeps the answer to the last attempt.
 */
void
notify_item_http_done(struct notify_item *it, const struct http_response *resp)
{
	char err[256];

	notify_item_answer(it, 0, NULL, 0);
	if ((resp->error == HTTP_RESPONSE || resp->error == HTTP_ETOOBIG) &&
	    resp->status != 0) {
		if (resp->status >= 200 && resp->status <= 299) {
			notify_item_done(it, NOTIFY_DELIVERED, -1, NULL);
			return;
		}
		notify_item_answer(
		    it, resp->status, resp->body, resp->body_len);
		snprintf(err, sizeof(err), "HTTP %ld", resp->status);
		if (resp->status == 408 || resp->status == 429 ||
		    (resp->status >= 500 && resp->status <= 599))
			notify_item_done(
			    it, NOTIFY_RETRY, resp->retry_after_ms, err);
		else
			notify_item_done(it, NOTIFY_FAILED, -1, err);
		return;
	}
	if (resp->error == HTTP_EPROTO) {
		notify_item_done(it, NOTIFY_FAILED, -1,
		    resp->errmsg != NULL ? resp->errmsg : "bad URL");
		return;
	}
	notify_item_done(it, NOTIFY_RETRY, -1,
	    resp->errmsg != NULL ? resp->errmsg : "transfer failed");
}

/*
 * Compile a webhook's template file; a problem adds "file:line:col: what
 * (notifiers[i].template)" to b.  1 if it has one.
 */
static size_t
notify_check_template(const struct config_notifier *nf, size_t i, struct buf *b)
{
	struct config_notifier body = *nf;
	struct notify_format *f;
	char *cause = NULL;

	if (nf->type != CONFIG_NOTIFIER_WEBHOOK ||
	    nf->format != CONFIG_FORMAT_TEMPLATE)
		return 0;
	body.link = NULL; /* checked on its own, at its place in the file */
	if ((f = notify_format_new(&body, &cause)) != NULL) {
		notify_format_free(f);
		return 0;
	}
	buf_printf(b, "%s (notifiers[%zu].template)\n", cause, i);
	free(cause);
	return 1;
}

/*
 * Compile every template of conf's notifiers (see notify.h); one line
 * per problem, "file:line:col: key: what", at the template's own text.
 */
size_t
notify_check(const struct config *conf, char **errors)
{
	const struct config_notifier *nf;
	struct template *t;
	struct buf b;
	char *cause = NULL;
	size_t i, n = 0;
	int line, col;

	buf_init(&b, 0);
	buf_puts(&b, "");
	for (i = 0; i < conf->nnotifiers; i++) {
		nf = &conf->notifiers[i];
		n += notify_check_template(nf, i, &b);
		if (nf->link == NULL)
			continue;
		t = template_compile(nf->link, strlen(nf->link),
		    TEMPLATE_ESCAPE_URL, evt_doc_field, &cause);
		if (t != NULL) {
			template_free(t);
			continue;
		}
		/* "line:col: what" of the template; it is on one line. */
		if (sscanf(cause, "%d:%d:", &line, &col) != 2)
			line = col = 1;
		buf_printf(&b, "%s:%d:%d: notifiers[%zu].link: %s\n",
		    conf->path != NULL ? conf->path : "config", nf->link_line,
		    nf->link_col + col - 1, i,
		    strchr(strchr(cause, ':') + 1, ':') + 2);
		free(cause);
		cause = NULL;
		n++;
	}
	*errors = buf_release(&b);
	return n;
}

/* Events queued or in flight, over all notifiers. */
size_t
notify_pending(const struct notify *n)
{
	const struct notify_notifier *nf;
	size_t total = 0;

	TAILQ_FOREACH (nf, &n->notifiers, entry)
		total += nf->npending;
	return total;
}

/* Log a one-line summary per notifier (SIGUSR1). */
void
notify_log_summary(const struct notify *n)
{
	const struct notify_notifier *nf;

	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		log_info("notifier %s (%s%s): pending %zu, in flight %u, "
			 "delivered %llu, failed %llu, retries %llu",
		    nf->name, nf->ops->type, nf->draining ? ", draining" : "",
		    nf->npending, nf->inflight,
		    (unsigned long long)nf->delivered,
		    (unsigned long long)nf->failed,
		    (unsigned long long)nf->retries);
	}
}

/* Cancel what is in flight and free everything; NULL is a no-op. */
void
notify_free(struct notify *n)
{
	struct notify_notifier *nf;

	if (n == NULL)
		return;
	while ((nf = TAILQ_FIRST(&n->notifiers)) != NULL) {
		TAILQ_REMOVE(&n->notifiers, nf, entry);
		notify_notifier_free(nf);
	}
	timer_free(n->emit_timer);
	if (n->emitted.n > 0)
		log_warnx("%zu event%s made by notifiers not sent: shutting "
			  "down",
		    n->emitted.n, n->emitted.n == 1 ? "" : "s");
	evt_list_clear(&n->emitted);
	free(n->state_dir);
	free(n);
}

/* Call cb with the figures of each notifier, active ones first. */
void
notify_foreach(const struct notify *n,
    void (*cb)(const struct notify_stats *st, void *arg), void *arg)
{
	const struct notify_notifier *nf;
	struct notify_stats st;

	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		memset(&st, 0, sizeof(st));
		st.name = nf->name;
		st.type = nf->ops->type;
		st.draining = nf->draining;
		st.pending = nf->npending;
		st.inflight = nf->inflight;
		st.delivered = nf->delivered;
		st.failed = nf->failed;
		st.retries = nf->retries;
		cb(&st, arg);
	}
}

/* Tell each notifier that repeats things of a task's acknowledgement. */
size_t
notify_ack(struct notify *n, const char *watch, const struct task *t,
    const struct evt_ack *ack)
{
	struct notify_notifier *nf;
	size_t changed = 0;

	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		if (nf->ops->ack != NULL)
			changed += nf->ops->ack(nf, watch, t, ack);
	}
	return changed;
}

/* outbox_dead_retry callback: queue a dead letter at its notifier. */
static void
notify_requeue_cb(const char *notifier, struct outbox_entry *e, struct evt *ev,
    int64_t enqueued_at, void *arg)
{
	struct notify *n = arg;
	struct notify_notifier *nf;

	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		if (!nf->draining && strcmp(nf->name, notifier) == 0) {
			notify_replay_cb(e, ev, enqueued_at, nf);
			return;
		}
	}
	/* Not configured: its outbox file waits for the next start. */
	log_warnx("notifier %s is not configured; event %s waits in its "
		  "outbox",
	    notifier, ev->id);
	outbox_release(e);
	evt_free(ev);
}

/* Queue dead letters again (see notify.h). */
int
notify_dead_retry(struct notify *n, const char *notifier, const char *id,
    size_t *count, char **cause)
{
	*count = 0;
	if (n->ob == NULL) {
		*cause = xstrdup("no state_dir: there are no dead letters");
		return -1;
	}
	return outbox_dead_retry(
	    n->ob, notifier, id, notify_requeue_cb, n, count, cause);
}

/* The name of a notifier's file in state_dir (see notify_impl.h). */
char *
notify_state_file_name(const char *prefix, const char *notifier)
{
	const unsigned char *p = (const unsigned char *)notifier;
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, prefix);
	for (; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.')
			buf_putc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	buf_puts(&b, ".json");
	return buf_release(&b);
}

/* Write the guardrails of each active notifier that has some (notify.h). */
void
notify_hooks_write(struct notify *n, struct json_writer *w)
{
	struct notify_notifier *nf;

	json_w_arr_open(w);
	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		if (!nf->draining && nf->ops->guard_write != NULL)
			nf->ops->guard_write(nf, w);
	}
	json_w_arr_close(w);
}

/* Close the circuit breaker of notifier name (notify.h). */
int
notify_hooks_reset(
    struct notify *n, const char *name, int *was_open, char **cause)
{
	struct notify_notifier *nf;

	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		if (nf->draining || strcmp(nf->name, name) != 0)
			continue;
		if (nf->ops->guard_reset == NULL) {
			*cause =
			    xasprintf("notifier %s is a %s notifier, which "
				      "has no circuit breaker",
				name, nf->ops->type);
			return -1;
		}
		*was_open = nf->ops->guard_reset(nf);
		return 0;
	}
	*cause = xasprintf("no notifier %s", name);
	return -1;
}

/* Set the gate every delivery attempt asks first. */
void
notify_set_gate(struct notify *n, const struct notify_gate_ops *ops, void *arg,
    uint64_t wait_ms)
{
	n->gate = ops;
	n->gate_arg = arg;
	n->gate_wait_ms = wait_ms;
}

/*
 * Call cb for every key of every notifier whose head the gate holds; the
 * items of those keys.
 */
static size_t
notify_gate_walk(const struct notify *n, void (*cb)(struct notify_key *k))
{
	struct notify_notifier *nf;
	struct notify_key *k;
	struct notify_item *it;
	struct hashmap_iter hi;
	struct hashmap_entry *e;
	size_t count = 0;

	TAILQ_FOREACH (nf, &n->notifiers, entry) {
		hashmap_walk_init(&hi, &nf->keys);
		while ((e = hashmap_walk(&hi)) != NULL) {
			k = HASHMAP_ITEM(e, struct notify_key, hentry);
			it = TAILQ_FIRST(&k->items);
			if (k->state != NOTIFY_KEY_WAITING || it == NULL ||
			    !it->gate_held)
				continue;
			/* What queues behind a held head waits too. */
			TAILQ_FOREACH (it, &k->items, entry)
				count++;
			if (cb != NULL)
				cb(k);
		}
	}
	return count;
}

/* Ask again now about the head of k. */
static void
notify_gate_release(struct notify_key *k)
{
	timer_del(k->timer);
	notify_key_timer_cb(k);
}

/* Whether this replica is the active one (see notify_impl.h). */
int
notify_active(const struct notify_notifier *nf)
{
	return nf->notify->gate == NULL || nf->notify->active;
}

/* This replica stopped being the active one. */
void
notify_gate_closed(struct notify *n)
{
	n->active = 0;
}

/* This replica became the active one: ask again for every held item. */
void
notify_gate_opened(struct notify *n)
{
	size_t count;

	n->active = 1;
	count = notify_gate_walk(n, notify_gate_release);

	if (count > 0)
		log_info("ha: %zu notification%s held while standby asked "
			 "again",
		    count, count == 1 ? "" : "s");
}

/* Items held by the gate, over all notifiers. */
size_t
notify_gate_held(const struct notify *n)
{
	return notify_gate_walk(n, NULL);
}
