/*
 * One watch's poll cycle.  A poll walks the provider's listing page by page,
 * applies the complete listing to the task table, asks the single-task
 * lookup about every task that left the listing, and then reports success
 * or failure to the scheduler.  A failed or partial listing never makes a
 * task vanish.  Failures are counted per watch: watch_failed after
 * fail_after in a row (at once for auth errors), watch_recovered after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "monotime.h"
#include "provider.h"
#include "sched.h"
#include "taskstate.h"
#include "watch.h"
#include "xmalloc.h"

#define WATCH_MAX_PAGES 10000 /* a server that never ends the list */
#define WATCH_MAX_LOOKUPS 100 /* per poll; the rest wait for the next */

enum watch_phase {
	WATCH_IDLE,
	WATCH_LISTING,
	WATCH_LOOKUP,
};

struct watch {
	const struct config_watch *conf; /* borrowed */
	const struct provider *prov;
	const struct watch_env *env; /* borrowed */
	struct sched_job *job;
	struct http_xfer *xfer;
	enum watch_phase phase;
	struct provider_cursor cursor;
	struct task_list tasks; /* this poll's listing */
	struct task_list gone;  /* to confirm */
	size_t gone_next;
	int64_t poll_wall_ms;
	uint64_t poll_start_ms; /* monotonic */
	unsigned pages;
	int64_t streak_start_s; /* first failure */
	struct watch_stats stats;
};

static void watch_run_cb(struct sched_job *, void *);
static void watch_list_cb(const struct http_response *, void *);
static void watch_lookup_cb(const struct http_response *, void *);
static void watch_lookup_next(struct watch *);

/* Create a watch and schedule its first poll after first_delay_ms. */
struct watch *
watch_new(const struct config_watch *conf, const struct watch_env *env,
    uint64_t first_delay_ms)
{
	struct watch *w = xcalloc(1, sizeof(*w));

	w->conf = conf;
	w->env = env;
	w->prov = provider_find(conf->api);
	if (conf->account->auth_method != CONFIG_AUTH_NONE)
		log_warnx("watch %s: request signing is not implemented in "
			  "this version; requests to account %s go unsigned",
		    conf->name, conf->account->name);
	w->job = sched_add(
	    env->sched, conf->interval_ms, first_delay_ms, watch_run_cb, w);
	return w;
}

/* Cancel any poll in flight and free the watch; NULL is a no-op. */
void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->xfer != NULL)
		http_cancel(w->xfer);
	sched_remove(w->job);
	task_list_clear(&w->tasks);
	task_list_clear(&w->gone);
	free(w);
}

/* Point a watch at an equal watch of a new config (reload). */
void
watch_set_config(struct watch *w, const struct config_watch *conf)
{
	w->conf = conf;
	if (w->job != NULL)
		sched_set_interval(w->job, conf->interval_ms);
}

/* The watch's config (borrowed). */
const struct config_watch *
watch_config(const struct watch *w)
{
	return w->conf;
}

/* The watch's figures. */
const struct watch_stats *
watch_get_stats(const struct watch *w)
{
	return &w->stats;
}

/* This poll's listing; valid only inside the once_done callback. */
const struct task_list *
watch_tasks(const struct watch *w)
{
	return &w->tasks;
}

/* 1 while a poll is in flight. */
int
watch_busy(const struct watch *w)
{
	return w->phase != WATCH_IDLE;
}

/* Log a one-line summary of the watch (SIGUSR1). */
void
watch_log_summary(const struct watch *w)
{
	const struct watch_stats *st = &w->stats;
	char states[256];
	size_t off = 0;
	int s, n;

	states[0] = '\0';
	for (s = 0; s < TASK_STATE_COUNT; s++) {
		size_t c = taskstate_count(w->env->ts, w->conf->name, s);

		if (c == 0)
			continue;
		n = snprintf(states + off, sizeof(states) - off, " %s=%zu",
		    task_state_name((enum task_state)s), c);
		if (n < 0 || (size_t)n >= sizeof(states) - off)
			break;
		off += (size_t)n;
	}
	log_info("watch %s: api=%s %s polls_ok=%llu polls_failed=%llu "
		 "failing=%u tasks=%zu%s%s%s",
	    w->conf->name, config_api_name(w->conf->api),
	    st->failed ? "FAILED" : "up", (unsigned long long)st->polls_ok,
	    (unsigned long long)st->polls_failed, st->consecutive_failures,
	    taskstate_count(w->env->ts, w->conf->name, -1), states,
	    st->last_error[0] ? " last_error=" : "", st->last_error);
}

/* The provider's view of this poll. */
static void
watch_ctx(const struct watch *w, struct provider_ctx *ctx)
{
	ctx->watch = w->conf;
	ctx->account = w->conf->account;
	ctx->now_ms = w->poll_wall_ms;
}

/* The task table's view of this watch. */
static void
watch_ts_info(const struct watch *w, struct taskstate_watch *tw)
{
	tw->watch = w->conf->name;
	tw->api = config_api_name(w->conf->api);
	tw->account = w->conf->account->name;
	tw->region = w->conf->account->region;
	tw->stall_after_ms = w->conf->stall_after_ms;
}

/* Hand events to the environment (or drop them in --once mode). */
static void
watch_emit_list(struct watch *w, struct evt_list *events)
{
	size_t i;

	for (i = 0; i < events->n; i++) {
		if (w->env->once_done == NULL && w->env->emit != NULL)
			w->env->emit(events->v[i], w->env->emit_arg);
		else
			evt_free(events->v[i]);
		events->v[i] = NULL;
	}
	events->n = 0;
	evt_list_clear(events);
}

/* A new watch-level event with the watch's identity filled in. */
static struct evt *
watch_event(const struct watch *w, enum evt_kind kind, int64_t now_s)
{
	struct evt *ev = evt_new(kind);

	ev->watch = xstrdup(w->conf->name);
	ev->api = xstrdup(config_api_name(w->conf->api));
	ev->account = xstrdup(w->conf->account->name);
	ev->region = xstrdup(w->conf->account->region);
	ev->occurred_at = ev->observed_at = now_s;
	ev->obs = xasprintf("%lld", (long long)w->streak_start_s);
	return ev;
}

/* Send one provider request; -1 (logged by the caller) if it cannot start. */
static int
watch_send(struct watch *w, struct provider_req *preq, http_cb cb)
{
	struct http_request req;
	char *base, *url;

	base = config_endpoint(w->conf->account, preq->service);
	url = xasprintf("%s%s", base, preq->path_query);
	free(base);
	/*
	 * Request signing (AK/SK, IAM token, Alibaba V2/V3) goes here: it
	 * adds headers or query parameters to req, built from the same
	 * encoded URL that is sent.
	 */
	memset(&req, 0, sizeof(req));
	req.method = preq->method;
	req.url = url;
	req.headers = preq->headers;
	req.timeout_ms = w->conf->timeout_ms;
	req.max_body_bytes = w->env->max_response_bytes;
	req.allow_http = strncmp(url, "http://", 7) == 0;
	req.ca_file = w->conf->account->tls_ca_file;
	w->xfer = http_submit(w->env->http, &req, cb, w);
	free(url);
	w->stats.requests++;
	return w->xfer != NULL ? 0 : -1;
}

/* Finish a poll: tell the scheduler and, in --once mode, the caller. */
static void
watch_finish(struct watch *w, int ok, int64_t retry_after_ms)
{
	w->phase = WATCH_IDLE;
	w->stats.last_duration_ms = monotime_ms() - w->poll_start_ms;
	if (w->env->once_done != NULL) {
		/* --once: one poll per watch, never another. */
		sched_remove(w->job);
		w->job = NULL;
		w->env->once_done(w, ok, w->env->once_arg);
	} else
		sched_done(w->job, ok, retry_after_ms);
	task_list_clear(&w->tasks);
	task_list_clear(&w->gone);
}

/* The poll succeeded: reset the failure count, recover if failed. */
static void
watch_succeed(struct watch *w)
{
	struct watch_stats *st = &w->stats;
	int64_t now_s = w->poll_wall_ms / 1000;
	struct evt_list events = { NULL, 0, 0 };

	st->polls_ok++;
	st->last_success_ms = w->poll_wall_ms;
	if (st->failed) {
		log_info("watch %s: polling recovered after %u failed polls",
		    w->conf->name, st->consecutive_failures);
		evt_list_add(
		    &events, watch_event(w, EVT_WATCH_RECOVERED, now_s));
		evt_finish(events.v[0]);
		watch_emit_list(w, &events);
	} else if (st->consecutive_failures > 0)
		log_info("watch %s: poll succeeded after %u failures",
		    w->conf->name, st->consecutive_failures);
	st->failed = 0;
	st->consecutive_failures = 0;
	st->last_error[0] = '\0';
	watch_finish(w, 1, -1);
}

/*
 * The poll failed.  Tasks read before the failure are applied as an
 * incomplete listing (changes reported, nothing vanishes).  The failure is
 * logged on the first occurrence and then only at powers of two.
 */
static void
watch_fail(struct watch *w, enum provider_errclass class, const char *msg,
    int64_t retry_after_ms)
{
	struct watch_stats *st = &w->stats;
	int64_t now_s = w->poll_wall_ms / 1000;
	struct evt_list events = { NULL, 0, 0 };
	struct taskstate_watch tw;
	struct evt *ev;
	unsigned n;

	watch_ts_info(w, &tw);
	if (w->tasks.n > 0 && taskstate_has_watch(w->env->ts, w->conf->name))
		taskstate_apply(
		    w->env->ts, &tw, &w->tasks, 0, 0, 0, now_s, &events, NULL);
	st->polls_failed++;
	n = ++st->consecutive_failures;
	if (n == 1)
		w->streak_start_s = now_s;
	snprintf(st->last_error, sizeof(st->last_error), "%s: %s",
	    provider_errclass_name(class), msg);
	if (n == 1)
		log_warnx("watch %s: poll failed (%s): %s", w->conf->name,
		    provider_errclass_name(class), msg);
	else if ((n & (n - 1)) == 0)
		log_warnx("watch %s: still failing, %u polls in a row (%s): "
			  "%s",
		    w->conf->name, n, provider_errclass_name(class), msg);
	else
		log_debug("watch %s: poll failed again (%s): %s", w->conf->name,
		    provider_errclass_name(class), msg);
	if (!st->failed &&
	    (n >= w->conf->fail_after || class == PROVIDER_ERR_AUTH)) {
		st->failed = 1;
		ev = watch_event(w, EVT_WATCH_FAILED, now_s);
		ev->error_class = xstrdup(provider_errclass_name(class));
		ev->error_msg = xstrdup(msg);
		evt_finish(ev);
		evt_list_add(&events, ev);
	}
	watch_emit_list(w, &events);
	watch_finish(w, 0, retry_after_ms);
}

/* Request the listing page at the cursor. */
static void
watch_list_next(struct watch *w)
{
	struct provider_ctx ctx;
	struct provider_req preq;
	char *cause = NULL;

	watch_ctx(w, &ctx);
	memset(&preq, 0, sizeof(preq));
	if (w->prov->list_req(&ctx, &w->cursor, &preq, &cause) == -1) {
		watch_fail(
		    w, PROVIDER_ERR_PARSE, cause ? cause : "no request", -1);
		free(cause);
		return;
	}
	if (watch_send(w, &preq, watch_list_cb) == -1)
		watch_fail(w, PROVIDER_ERR_NETWORK, "cannot start request", -1);
	provider_req_clear(&preq);
}

/* The scheduler says it is this watch's turn: start a poll. */
static void
watch_run_cb(struct sched_job *job, void *arg)
{
	struct watch *w = arg;

	memset(&w->cursor, 0, sizeof(w->cursor));
	task_list_clear(&w->tasks);
	task_list_clear(&w->gone);
	w->gone_next = 0;
	w->pages = 0;
	w->phase = WATCH_LISTING;
	w->poll_wall_ms = monotime_wall_ms();
	w->poll_start_ms = monotime_ms();
	watch_list_next(w);
}

/*
 * Map a transfer error to a class and message; 0 if the response is one
 * the provider should parse.
 */
static int
watch_check_response(struct watch *w, const struct http_response *resp,
    enum provider_errclass *class, char **msg)
{
	if (resp->error != HTTP_RESPONSE) {
		*class = resp->error == HTTP_ETOOBIG ? PROVIDER_ERR_PARSE
						     : PROVIDER_ERR_NETWORK;
		*msg = xstrdup(resp->errmsg ? resp->errmsg : "transfer failed");
		return -1;
	}
	if ((resp->status >= 200 && resp->status < 300) ||
	    (w->prov->absent_status != 0 &&
		resp->status == w->prov->absent_status))
		return 0;
	*class =
	    provider_classify(resp->status, resp->body, resp->body_len, msg);
	return -1;
}

/* The complete listing is in: diff it and confirm what left it. */
static void
watch_listing_done(struct watch *w)
{
	struct evt_list events = { NULL, 0, 0 };
	struct taskstate_watch tw;
	int silent;

	if (w->env->once_done != NULL) {
		/* --once reports the listing itself; the caller prints it. */
		watch_succeed(w);
		return;
	}
	watch_ts_info(w, &tw);
	silent = !taskstate_has_watch(w->env->ts, w->conf->name) &&
	    w->conf->on_start == CONFIG_ON_START_BASELINE;
	if (silent)
		log_info("watch %s: baseline of %zu tasks", w->conf->name,
		    w->tasks.n);
	taskstate_apply(w->env->ts, &tw, &w->tasks, 1, silent, 0,
	    w->poll_wall_ms / 1000, &events, &w->gone);
	watch_emit_list(w, &events);
	if (w->gone.n == 0) {
		watch_succeed(w);
		return;
	}
	w->phase = WATCH_LOOKUP;
	w->gone_next = 0;
	watch_lookup_next(w);
}

/* One listing page arrived. */
static void
watch_list_cb(const struct http_response *resp, void *arg)
{
	struct watch *w = arg;
	struct provider_ctx ctx;
	enum provider_errclass class;
	char *msg = NULL, *cause = NULL;

	w->xfer = NULL;
	if (resp->error == HTTP_ECANCEL)
		return;
	if (watch_check_response(w, resp, &class, &msg) == -1) {
		watch_fail(w, class, msg, resp->retry_after_ms);
		free(msg);
		return;
	}
	watch_ctx(w, &ctx);
	if (w->prov->list_parse(&ctx, resp->status, resp->body, resp->body_len,
		&w->tasks, &w->cursor, &cause) == -1) {
		msg = xasprintf("page %u: %s", w->pages + 1,
		    cause ? cause : "unusable response");
		watch_fail(w, PROVIDER_ERR_PARSE, msg, -1);
		free(msg);
		free(cause);
		return;
	}
	if (++w->pages >= WATCH_MAX_PAGES && !w->cursor.done) {
		watch_fail(w, PROVIDER_ERR_PARSE, "listing never ends", -1);
		return;
	}
	if (w->cursor.done)
		watch_listing_done(w);
	else
		watch_list_next(w);
}

/* Vanish a task without a lookup (APIs that have none). */
static void
watch_vanish(struct watch *w, const struct task *t)
{
	struct evt_list events = { NULL, 0, 0 };
	struct taskstate_watch tw;

	watch_ts_info(w, &tw);
	taskstate_vanish(w->env->ts, &tw, t, w->poll_wall_ms / 1000, &events);
	watch_emit_list(w, &events);
}

/* Ask about the next task that left the listing, or finish the poll. */
static void
watch_lookup_next(struct watch *w)
{
	struct provider_ctx ctx;
	struct provider_req preq;
	const struct task *t;
	char *cause = NULL;

	watch_ctx(w, &ctx);
	while (w->gone_next < w->gone.n) {
		t = &w->gone.v[w->gone_next];
		if (w->prov->lookup_req == NULL) {
			watch_vanish(w, t);
			w->gone_next++;
			continue;
		}
		if (w->gone_next >= WATCH_MAX_LOOKUPS)
			break;
		memset(&preq, 0, sizeof(preq));
		if (w->prov->lookup_req(&ctx, t, &preq, &cause) == -1) {
			log_warnx("watch %s: task %s: no lookup: %s",
			    w->conf->name, t->id, cause ? cause : "?");
			free(cause);
			cause = NULL;
			w->gone_next++;
			continue;
		}
		if (watch_send(w, &preq, watch_lookup_cb) == -1) {
			provider_req_clear(&preq);
			break;
		}
		provider_req_clear(&preq);
		return;
	}
	watch_succeed(w);
}

/* The single-task lookup answered: vanished, still there, or unknown. */
static void
watch_lookup_cb(const struct http_response *resp, void *arg)
{
	struct watch *w = arg;
	struct evt_list events = { NULL, 0, 0 };
	struct taskstate_watch tw;
	struct provider_ctx ctx;
	const struct task *t;
	struct task found_task;
	char *cause = NULL;
	int found = 0;

	w->xfer = NULL;
	if (resp->error == HTTP_ECANCEL)
		return;
	t = &w->gone.v[w->gone_next++];
	watch_ctx(w, &ctx);
	watch_ts_info(w, &tw);
	task_init(&found_task);
	if (resp->error != HTTP_RESPONSE)
		log_info("watch %s: task %s left the listing; lookup failed: "
			 "%s",
		    w->conf->name, t->id, resp->errmsg ? resp->errmsg : "?");
	else if (w->prov->lookup_parse(&ctx, resp->status, resp->body,
		     resp->body_len, &found, &found_task, &cause) == -1) {
		log_info("watch %s: task %s left the listing; lookup "
			 "inconclusive: %s",
		    w->conf->name, t->id, cause ? cause : "?");
		free(cause);
	} else if (found) {
		log_debug("watch %s: task %s left the listing but still exists",
		    w->conf->name, t->id);
		if (found_task.cluster_id == NULL)
			found_task.cluster_id = xstrdup(t->cluster_id);
		taskstate_confirm(w->env->ts, &tw, &found_task,
		    w->poll_wall_ms / 1000, &events);
	} else
		taskstate_vanish(
		    w->env->ts, &tw, t, w->poll_wall_ms / 1000, &events);
	task_clear(&found_task);
	watch_emit_list(w, &events);
	watch_lookup_next(w);
}
