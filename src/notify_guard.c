/*
 * An exec notifier's guardrails in the daemon (notify_guard.h): the pure
 * budget and breaker of hookguard.c, given the wall clock, the budget key
 * of each event and the notifier's limits; their refusals logged, counted
 * and told as hook_suppressed and hook_circuit_open events; their state
 * kept crash-safe in {state_dir}/hooks-{notifier}.json so that a restart,
 * even a crash loop, renews no budget and closes no breaker.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "durable.h"
#include "hookguard.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "notify_guard.h"
#include "notify_impl.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_GUARD_MAX_FILE (4 * 1024 * 1024)
#define NOTIFY_GUARD_SAVE_MS 1000  /* the least time between two writes */
#define NOTIFY_GUARD_LIST_KEYS 100 /* budget keys `taskwatchctl hooks` shows */

struct notify_guard {
	struct notify_notifier *nf; /* borrowed */
	struct hookguard *g;
	struct hookguard_conf conf;
	enum config_hook_per per;
	enum config_cooldown_per cooldown_per;
	/* The state file; dirfd -1: none (no state_dir). */
	int dirfd;
	char *dir;
	char *file;
	char *tmp;
	uint64_t saved_gen;
	uint64_t saved_ms; /* monotonic */
	int save_failing;
	struct timer *save;
};

static const char *const notify_guard_per_names[] = { "cluster", "task_type",
	"watch", "notifier" };

/* Write the state file now if it changed; -1 if that failed (logged once). */
static int
notify_guard_save(struct notify_guard *ng)
{
	struct json_writer *w;
	const char *text;
	size_t len;
	int rc, error;

	if (ng->dirfd == -1 || hookguard_gen(ng->g) == ng->saved_gen)
		return 0;
	w = json_writer_new();
	hookguard_write(ng->g, w, monotime_wall_ms(), SIZE_MAX, 1);
	text = json_writer_str(w, &len);
	rc = durable_put(ng->dirfd, ng->file, ng->tmp, text, len, 1, NULL);
	error = errno;
	json_writer_free(w);
	ng->saved_ms = monotime_ms();
	if (rc == -1) {
		metrics_add(metrics_global(), METRICS_STATE_WRITE_FAILURES, 1,
		    "file", "hooks", NULL);
		if (!ng->save_failing)
			log_at(LOG_CRIT,
			    "notifier %s: cannot write %s/%s: %s; its budget "
			    "and breaker are in memory only, retrying",
			    ng->nf->name, ng->dir, ng->file, strerror(error));
		ng->save_failing = 1;
		timer_add_ms(ng->save, NOTIFY_GUARD_SAVE_MS);
		return -1;
	}
	if (ng->save_failing)
		log_info("notifier %s: %s/%s written again", ng->nf->name,
		    ng->dir, ng->file);
	ng->save_failing = 0;
	ng->saved_gen = hookguard_gen(ng->g);
	return 0;
}

/* The save timer. */
static void
notify_guard_save_cb(void *arg)
{
	(void)notify_guard_save(arg);
}

/*
 * Save: now when a run is about to start or the breaker moved (a crash
 * right after must not forget it), else within NOTIFY_GUARD_SAVE_MS (a
 * storm of refusals writes the file once a second).
 */
static void
notify_guard_changed(struct notify_guard *ng, int now)
{
	uint64_t due, t = monotime_ms();

	if (ng->dirfd == -1)
		return;
	if (now) {
		timer_del(ng->save);
		(void)notify_guard_save(ng);
		return;
	}
	if (timer_pending(ng->save))
		return;
	due = ng->saved_ms + NOTIFY_GUARD_SAVE_MS;
	timer_add_ms(ng->save, due > t ? due - t : 0);
}

/* A new guard for nf. */
struct notify_guard *
notify_guard_new(struct notify_notifier *nf)
{
	struct notify_guard *ng = xcalloc(1, sizeof(*ng));

	ng->nf = nf;
	ng->g = hookguard_new();
	ng->dirfd = -1;
	ng->save = timer_new(nf->base, notify_guard_save_cb, ng);
	return ng;
}

/* Set the breaker gauge: 1 unless it is closed. */
static void
notify_guard_gauge(struct notify_guard *ng)
{
	enum hookguard_state st;

	st = hookguard_breaker(ng->g, monotime_wall_ms(), NULL, NULL);
	metrics_set(metrics_global(), METRICS_HOOK_CIRCUIT_OPEN,
	    st != HOOKGUARD_CLOSED, "notifier", ng->nf->name, NULL);
}

/* Take the limits of conf. */
void
notify_guard_configure(
    struct notify_guard *ng, const struct config_notifier *conf)
{
	ng->conf.max_runs = conf->max_runs;
	ng->conf.window_ms = (int64_t)conf->per_window_ms;
	ng->conf.break_after = conf->break_after;
	ng->conf.break_for_ms = (int64_t)conf->break_for_ms;
	ng->per = conf->per;
	ng->cooldown_per = conf->cooldown_per;
	hookguard_configure(ng->g, &ng->conf);
	notify_guard_gauge(ng);
}

/* Load what the previous run kept; a bad file is logged and ignored. */
static void
notify_guard_load(struct notify_guard *ng)
{
	struct json *root;
	char *text, *cause = NULL;
	size_t len;

	if ((text = durable_read(
		 ng->dirfd, ng->file, NOTIFY_GUARD_MAX_FILE, &len)) == NULL) {
		if (errno != ENOENT)
			log_warn("notifier %s: cannot read %s/%s; starting "
				 "with fresh budgets and a closed breaker",
			    ng->nf->name, ng->dir, ng->file);
		return;
	}
	if ((root = json_parse(text, len, &cause)) == NULL ||
	    hookguard_load(ng->g, root, &cause) == -1) {
		log_warnx("notifier %s: %s/%s: %s; ignored, starting with "
			  "fresh budgets and a closed breaker",
		    ng->nf->name, ng->dir, ng->file, cause);
		free(cause);
	}
	json_free(root);
	free(text);
}

/* Keep the state in state_dir from now on, and load the earlier run's. */
void
notify_guard_restore(struct notify_guard *ng, const char *state_dir)
{
	if (ng->dirfd != -1)
		return;
	ng->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ng->dirfd == -1) {
		log_warn("notifier %s: cannot open %s; its budget and breaker "
			 "are kept in memory only",
		    ng->nf->name, state_dir);
		return;
	}
	ng->dir = xstrdup(state_dir);
	ng->file = notify_state_file_name("hooks-", ng->nf->name);
	ng->tmp = xasprintf("%s.tmp", ng->file);
	notify_guard_load(ng);
	ng->saved_gen = hookguard_gen(ng->g);
	hookguard_configure(ng->g, &ng->conf); /* trims to max_runs */
	notify_guard_gauge(ng);
}

/* A string field of ev's task, "" when it has none. */
static const char *
notify_guard_task_field(const struct evt *ev, const char *s)
{
	return ev->has_task && s != NULL ? s : "";
}

/* "watch/part", or the watch alone when part is empty. */
static char *
notify_guard_key2(const struct evt *ev, const char *part)
{
	const char *watch = ev->watch != NULL ? ev->watch : "";

	return *part != '\0' ? xasprintf("%s/%s", watch, part) : xstrdup(watch);
}

/* The budget key of ev (per). */
static char *
notify_guard_budget_key(const struct notify_guard *ng, const struct evt *ev)
{
	switch (ng->per) {
	case CONFIG_HOOK_PER_CLUSTER:
		return notify_guard_key2(
		    ev, notify_guard_task_field(ev, ev->task.cluster_id));
	case CONFIG_HOOK_PER_TASK_TYPE:
		return notify_guard_key2(
		    ev, notify_guard_task_field(ev, ev->task.type));
	case CONFIG_HOOK_PER_WATCH:
		return notify_guard_key2(ev, "");
	default:
		return xstrdup("");
	}
}

/* The key the cooldown of ev is kept under. */
char *
notify_guard_cooldown_key(const struct notify_guard *ng, const struct evt *ev)
{
	if (ng->cooldown_per == CONFIG_COOLDOWN_PER_CLUSTER)
		return notify_guard_key2(
		    ev, notify_guard_task_field(ev, ev->task.cluster_id));
	return notify_key_name(ev);
}

/*
 * A hook_* event about a run for src: its place (watch, task) copied so
 * that rules match on it, doc the "hook" object, obs what makes it unique.
 */
static void
notify_guard_emit(struct notify_guard *ng, enum evt_kind kind,
    const struct evt *src, struct json_writer *doc, const char *obs)
{
	struct evt *ev = evt_new(kind);
	int64_t now = monotime_wall_ms() / 1000;
	size_t len;

	ev->occurred_at = ev->observed_at = now;
	ev->watch = xstrdup(src->watch);
	ev->api = xstrdup(src->api);
	ev->account = xstrdup(src->account);
	ev->region = xstrdup(src->region);
	if (src->has_task) {
		ev->has_task = 1;
		task_copy(&ev->task, &src->task);
		ev->base_type = xstrdup(src->base_type);
	}
	ev->hook_doc = xstrdup(json_writer_str(doc, &len));
	ev->hook_notifier = xstrdup(ng->nf->name);
	ev->obs = xstrdup(obs);
	evt_finish(ev);
	notify_emit(ng->nf, ev);
}

/* Open the "hook" object: the notifier, the event, the reason. */
static struct json_writer *
notify_guard_doc(
    struct notify_guard *ng, const struct evt *src, const char *reason)
{
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	json_w_kstr(w, "notifier", ng->nf->name);
	json_w_kstr(w, "event_id", src->id);
	json_w_kstr(w, "event_kind", evt_kind_name(src->kind));
	json_w_kstr(w, "reason", reason);
	return w;
}

/* The budget refused a run for ev: one hook_suppressed per exhaustion. */
static void
notify_guard_suppressed(struct notify_guard *ng, const struct evt *ev,
    const char *key, const struct hookguard_refusal *r)
{
	struct json_writer *w;
	char win[32], *reason, *obs;

	util_format_duration(ng->conf.window_ms, win, sizeof(win));
	reason = xasprintf("run budget spent (%u per %s for %s %s); not run",
	    ng->conf.max_runs, win, notify_guard_per_names[ng->per],
	    *key != '\0' ? key : ng->nf->name);
	w = notify_guard_doc(ng, ev, reason);
	json_w_kstr(w, "budget_key", key);
	json_w_kint(w, "max_runs", ng->conf.max_runs);
	json_w_kint(w, "per_window_s", ng->conf.window_ms / 1000);
	json_w_kstr(w, "per", notify_guard_per_names[ng->per]);
	json_w_kint(w, "runs", r->runs);
	json_w_kint(w, "suppressed", (int64_t)r->suppressed);
	json_w_ktime(w, "until", r->free_at / 1000);
	json_w_obj_close(w);
	obs = xasprintf(
	    "%s\037%s\037%lld", ng->nf->name, key, (long long)r->window_start);
	notify_guard_emit(ng, EVT_HOOK_SUPPRESSED, ev, w, obs);
	free(obs);
	free(reason);
	json_writer_free(w);
}

/* May the hook run for ev? */
int
notify_guard_admit(struct notify_guard *ng, const struct evt *ev,
    const char *what, const char **whyp)
{
	struct hookguard_refusal r;
	enum hookguard_verdict v;
	int64_t now = monotime_wall_ms(), until;
	char *key = notify_guard_budget_key(ng, ev), dur[32];
	const char *why;

	memset(&r, 0, sizeof(r));
	v = hookguard_admit(ng->g, key, now, &r);
	if (v == HOOKGUARD_RUN) {
		notify_guard_changed(ng, 1);
		free(key);
		return 1;
	}
	if (v == HOOKGUARD_BUDGET) {
		why = "budget";
		util_format_duration(r.free_at - now, dur, sizeof(dur));
		log_info("notifier %s: %s: not run: %u runs in %s already for "
			 "%s %s (next allowed in %s)",
		    ng->nf->name, what, r.runs, "the window",
		    notify_guard_per_names[ng->per], key, dur);
	} else {
		why = "circuit_open";
		(void)hookguard_breaker(ng->g, now, NULL, &until);
		util_format_duration(
		    until > now ? until - now : 0, dur, sizeof(dur));
		log_info("notifier %s: %s: not run: circuit open (%s more)",
		    ng->nf->name, what, until > now ? dur : "trial running");
	}
	metrics_add(metrics_global(), METRICS_HOOK_SUPPRESSED, 1, "notifier",
	    ng->nf->name, "reason", why, NULL);
	*whyp = why;
	if (v == HOOKGUARD_BUDGET && r.first) {
		if (evt_kind_hook(ev->kind))
			log_warnx("notifier %s: %s: no hook_suppressed event "
				  "about a hook run for a %s event",
			    ng->nf->name, what, evt_kind_name(ev->kind));
		else
			notify_guard_suppressed(ng, ev, key, &r);
	}
	notify_guard_changed(ng, 0);
	free(key);
	return 0;
}

/* The breaker opened after a run for ev: say so. */
static void
notify_guard_opened(struct notify_guard *ng, const struct evt *ev)
{
	struct json_writer *w;
	unsigned failures;
	int64_t until;
	char dur[32], *reason, *obs;
	const char *last = hookguard_last_outcome(ng->g);

	(void)hookguard_breaker(ng->g, monotime_wall_ms(), &failures, &until);
	util_format_duration(ng->conf.break_for_ms, dur, sizeof(dur));
	log_warnx("notifier %s: circuit open after %u failed runs in a row "
		  "(last: %s); not run for %s",
	    ng->nf->name, failures, last, dur);
	notify_guard_gauge(ng);
	if (ev == NULL)
		return;
	if (evt_kind_hook(ev->kind)) {
		log_warnx("notifier %s: no hook_circuit_open event about a "
			  "hook run for a %s event",
		    ng->nf->name, evt_kind_name(ev->kind));
		return;
	}
	reason = xasprintf("circuit open after %u failed runs in a row (%s); "
			   "not run for %s",
	    failures, last, dur);
	w = notify_guard_doc(ng, ev, reason);
	json_w_kint(w, "consecutive_failures", failures);
	json_w_kstr(w, "last_outcome", last);
	json_w_ktime(w, "until", until / 1000);
	json_w_obj_close(w);
	obs = xasprintf("%s\037%lld", ng->nf->name, (long long)until);
	notify_guard_emit(ng, EVT_HOOK_CIRCUIT_OPEN, ev, w, obs);
	free(obs);
	free(reason);
	json_writer_free(w);
}

/* A run admitted for ev ended. */
void
notify_guard_done(struct notify_guard *ng, const struct evt *ev,
    enum hookguard_outcome how, const char *outcome)
{
	enum hookguard_state before, after;
	int64_t now = monotime_wall_ms();

	before = hookguard_breaker(ng->g, now, NULL, NULL);
	if (hookguard_done(ng->g, how, outcome, now))
		notify_guard_opened(ng, ev);
	after = hookguard_breaker(ng->g, now, NULL, NULL);
	if (after == HOOKGUARD_CLOSED && before != HOOKGUARD_CLOSED) {
		log_info("notifier %s: circuit closed: a trial run succeeded",
		    ng->nf->name);
		notify_guard_gauge(ng);
	}
	notify_guard_changed(ng, before != after);
}

/* Write the config and state for `taskwatchctl hooks`. */
void
notify_guard_write(struct notify_guard *ng, struct json_writer *w)
{
	json_w_obj_open(w);
	json_w_kstr(w, "notifier", ng->nf->name);
	json_w_kint(w, "max_runs", ng->conf.max_runs);
	json_w_kint(w, "per_window_s", ng->conf.window_ms / 1000);
	json_w_kstr(w, "per", notify_guard_per_names[ng->per]);
	json_w_kint(w, "break_after", ng->conf.break_after);
	json_w_kint(w, "break_for_s", ng->conf.break_for_ms / 1000);
	json_w_key(w, "guard");
	hookguard_write(
	    ng->g, w, monotime_wall_ms(), NOTIFY_GUARD_LIST_KEYS, 0);
	json_w_obj_close(w);
}

/* Close the breaker. */
int
notify_guard_reset(struct notify_guard *ng)
{
	int was = hookguard_reset(ng->g, monotime_wall_ms());

	notify_guard_gauge(ng);
	notify_guard_changed(ng, 1);
	return was;
}

/* Save the state and free the guard. */
void
notify_guard_free(struct notify_guard *ng)
{
	if (ng == NULL)
		return;
	(void)notify_guard_save(ng);
	timer_free(ng->save);
	hookguard_free(ng->g);
	if (ng->dirfd != -1)
		close(ng->dirfd);
	free(ng->dir);
	free(ng->file);
	free(ng->tmp);
	free(ng);
}
