/*
 * One watch's poll cycle.  A poll walks the provider's listing page by page
 * (once a page announced the total of a listing paged by row offset, the
 * pages after it are asked for at once: watch_fan_*), applies the complete
 * listing to the task table, asks the single-task
 * lookup about every task that left the listing, and then reports success
 * or failure to the scheduler.  A failed or partial listing never makes a
 * task vanish.  Failures are counted per watch: watch_failed after
 * fail_after in a row (at once for auth errors), watch_recovered after;
 * flap_threshold such cycles within flap_window make one watch_flapping
 * instead, and one watch_recovered once no poll failed for flap_window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "api.h"
#include "auth.h"
#include "apierr.h"
#include "discover.h"
#include "http.h"
#include "iam.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "provider.h"
#include "ratelimit.h"
#include "sched.h"
#include "shard.h"
#include "sign.h"
#include "taskstate.h"
#include "timer.h"
#include "util.h"
#include "watch.h"
#include "xmalloc.h"

#define WATCH_MAX_PAGES 10000 /* a server that never ends the list */
#define WATCH_MAX_LOOKUPS 100 /* per poll; the rest wait for the next */
/* Huawei locks an AK/SK after 5 bad signatures: stop the account this long. */
#define WATCH_AUTH_PAUSE_MS (5 * 60 * 1000)
#define WATCH_THROTTLE_PAUSE_MAX_MS (10 * 60 * 1000)
/* A poll held for its baseline's save looks again this often. */
#define WATCH_HOLD_RETRY_MS 50
/* The most failure cycles flap damping counts (flap_threshold's maximum). */
#define WATCH_FLAP_MAX 100

/*
 * A page of a listing asked for alongside others: the cursor it is asked
 * at (the provider moves it on while parsing) and the tasks it held.
 */
struct watch_page {
	struct watch *w;
	void *call;                    /* its request in flight */
	struct provider_cursor cursor; /* at its offset; then after it */
	uint64_t offset;               /* where it starts */
	struct task_list tasks;
	int read; /* answered and parsed */
};

enum watch_phase {
	WATCH_IDLE,
	WATCH_DISCOVER, /* listing the clusters (clusters: all) */
	WATCH_LISTING,
	WATCH_LOOKUP,
};

/*
 * What a watch with clusters: all keeps of its clusters.  The watch polls
 * through view, a copy of its configured watch whose clusters are the
 * IDs of known, so that providers, scope keys, the task table and reloads
 * work as with a literal list.  A known cluster leaves only when two
 * successful discoveries in a row lacked it; until then it is polled.
 */
struct watch_disc {
	const struct discover_api *api;
	const struct config_watch *base; /* borrowed: the configured watch */
	struct config_watch view;        /* base, clusters = known's IDs */
	char **ids;                      /* view.clusters.v (borrowed IDs) */
	struct discover_list known;      /* the clusters polled, in order */
	unsigned *missing; /* per known: discoveries in a row without it */
	int seeded;        /* known started from the saved task table */
	struct discover_list reading; /* this discovery so far */
	struct discover_cursor cursor;
	uint64_t due_ms; /* monotonic; 0: at the next poll */
	int ok;          /* a discovery succeeded since the start */
	unsigned fails;  /* re-discoveries failed in a row */
	unsigned skips;  /* discoveries in a row with unusable entries */
	unsigned
	    others; /* discoveries in a row with clusters of another generation */
};

struct watch {
	const struct config_watch *conf; /* borrowed (disc: &disc->view) */
	struct watch_disc *disc;         /* clusters: all; else NULL */
	const struct provider *prov;
	const struct watch_env *env; /* borrowed */
	struct sched_job *job;
	void *call; /* the request in flight (auth_send or env->send) */
	enum watch_phase phase;
	struct provider_cursor cursor;
	struct task_list tasks; /* this poll's listing */
	struct task_list gone;  /* to confirm */
	size_t gone_next;
	int64_t poll_wall_ms;
	uint64_t poll_start_ms; /* monotonic */
	unsigned pages;
	size_t page_start; /* index in tasks of the last page's first task */
	size_t page_scope; /* and the scope it came from */
	/* Pages asked for at once (watch_fan_start), in listing order. */
	struct watch_page *fan;
	size_t nfan;
	size_t fan_next;   /* the next one to ask for */
	size_t fan_busy;   /* in flight */
	size_t fan_read;   /* answered and parsed */
	uint64_t fan_step; /* rows between two pages' offsets */
	/* Scopes this poll could not read (scope_errors), and why. */
	struct config_strlist unread;
	enum apierr_class unread_class;
	char unread_msg[200];
	unsigned unread_polls;  /* polls in a row with an unread scope */
	int64_t streak_start_s; /* first failure */
	/*
	 * Flap damping: when the failure cycles (watch_failed, then its
	 * recovery) within flap_window began, oldest first; the last failed
	 * poll and its error.  In memory only: a restart forgets them and a
	 * flapping.
	 */
	int64_t flap_starts[WATCH_FLAP_MAX];
	unsigned flap_n;
	int64_t last_fail_s;
	enum apierr_class fail_class;
	char fail_msg[200];
	struct watch_stats stats;
	struct timer *gate_timer; /* waiting for the account's gate */
	void (*gate_resume)(struct watch *);
	struct auth auth; /* what auth_send uses (no env->send hook) */
	/* The account; a reload points it at the new config's one. */
	const struct config_account *acct;
	struct iam_wait *iam_wait; /* waiting for the first IAM token */
	unsigned lookup_failures;  /* inconclusive lookups in a row */
	int fail_local; /* the failure being reported is such a one */
	struct config_account acct_view; /* account + learned project */
	int fresh;           /* this poll lists a scope without a baseline */
	size_t nbaseline;    /* tasks it recorded without an event */
	uint64_t hold_until; /* no poll before a save covers this change */
	/*
	 * Sharded (env->shard), a literal clusters list: the watch polls
	 * through shard_view, its configured watch with only the clusters
	 * the shard owns (clusters: all filters what it discovers instead).
	 */
	struct config_watch shard_view;
	char **shard_ids;   /* shard_view.clusters.v (borrowed IDs) */
	size_t units_other; /* units of the watch other shards poll */
};

static void watch_run_cb(struct sched_job *, void *);
static void watch_list_cb(const struct auth_answer *, void *);
static void watch_page_cb(const struct auth_answer *, void *);
static void watch_fan_free(struct watch *);
static void watch_listing_done(struct watch *);
static void watch_fan_pump(struct watch *);
static int watch_fan_start(struct watch *, size_t, uint64_t);
static void watch_lookup_cb(const struct auth_answer *, void *);
static void watch_lookup_next(struct watch *);
static void watch_list_next(struct watch *);
static void watch_fail(
    struct watch *, enum apierr_class, const char *, int64_t);
static void watch_gate_cb(void *);
static void watch_baselined(struct watch *, int);
static void watch_disc_next(struct watch *);
static void watch_disc_set(struct watch *, const struct config_watch *);
static void watch_disc_free(struct watch_disc *);
static void watch_shard_prune(struct watch *);
static void watch_shard_view(struct watch *, const struct config_watch *);
static int watch_shard_owns(const struct watch *, const char *);

/* The time between polls: the interval, times the pace of a standby. */
static uint64_t
watch_interval_ms(const struct watch *w)
{
	return w->conf->interval_ms * (w->env->pace > 1 ? w->env->pace : 1);
}

/* Create a watch and schedule its first poll after first_delay_ms. */
struct watch *
watch_new(const struct config_watch *conf, const struct watch_env *env,
    uint64_t first_delay_ms)
{
	struct watch *w = xcalloc(1, sizeof(*w));

	w->conf = conf;
	w->env = env;
	w->prov = provider_find(conf->api);
	w->acct = conf->account;
	watch_disc_set(w, conf);
	watch_shard_prune(w);
	w->auth.base = env->base;
	w->auth.http = env->http;
	w->auth.iam = env->iam;
	w->auth.creds = env->creds;
	w->gate_timer = timer_new(env->base, watch_gate_cb, w);
	w->job = sched_add(
	    env->sched, watch_interval_ms(w), first_delay_ms, watch_run_cb, w);
	return w;
}

/* Cancel a request in flight: its callback fires now, cancelled. */
static void
watch_cancel_call(struct watch *w, void *call)
{
	if (call == NULL)
		return;
	if (w->env->send != NULL)
		w->env->cancel(call);
	else
		auth_cancel(call);
}

/* Cancel the requests or the token wait in flight (callbacks ignore it). */
static void
watch_cancel(struct watch *w)
{
	void *call = w->call;

	w->call = NULL;
	watch_cancel_call(w, call);
	if (w->iam_wait != NULL)
		iam_cancel(w->iam_wait);
	w->iam_wait = NULL;
	watch_fan_free(w);
}

/* Forget the scopes this poll could not read. */
static void
watch_unread_clear(struct watch *w)
{
	size_t i;

	for (i = 0; i < w->unread.n; i++)
		free(w->unread.v[i]);
	free(w->unread.v);
	memset(&w->unread, 0, sizeof(w->unread));
}

/* How many scopes the watch's listing walks. */
static size_t
watch_nscopes(const struct watch *w)
{
	char *key;
	size_t n = 0;

	while (provider_scope_key(w->prov, w->conf, n, &key) == 0) {
		free(key);
		n++;
	}
	return n;
}

/* 1 if this poll could not read the scope named key. */
static int
watch_unread(const struct watch *w, const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < w->unread.n; i++)
		if (strcmp(w->unread.v[i], key) == 0)
			return 1;
	return 0;
}

/* Cancel any poll in flight and free the watch; NULL is a no-op. */
void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	watch_cancel(w);
	timer_free(w->gate_timer);
	sched_remove(w->job);
	task_list_clear(&w->tasks);
	task_list_clear(&w->gone);
	watch_unread_clear(w);
	watch_disc_free(w->disc);
	free(w->shard_ids);
	free(w);
}

/* Cancel what a poll waits for and give its turn back (rerun at once). */
static void
watch_abort_poll(struct watch *w)
{
	watch_cancel(w);
	timer_del(w->gate_timer);
	w->gate_resume = NULL;
	task_list_clear(&w->tasks);
	task_list_clear(&w->gone);
	w->phase = WATCH_IDLE;
	if (w->job != NULL)
		sched_defer(w->job, 0);
}

/* 1 if two lists of scope names are the same, in the same order. */
static int
watch_scopes_eq(char **a, size_t na, char **b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/*
 * Point a watch at a watch of a new config with the same identity
 * (reload).  Tuning applies in place; the tasks, the failure count and
 * the stall clocks stay.  Scopes the new config dropped lose their tasks
 * (they would vanish otherwise); scopes it added are baselined by the
 * next complete listing.  A poll in flight across a scope change starts
 * over, as its cursor counts the old scopes.
 */
void
watch_set_config(struct watch *w, const struct config_watch *conf)
{
	char **ok, **nk;
	size_t nok, nnk, dropped;
	int old_tz = w->conf->timezone_offset_s;

	ok = provider_scope_keys(w->prov, w->conf, &nok);
	watch_disc_set(w, conf); /* w->conf: conf, or its discovered view */
	nk = provider_scope_keys(w->prov, w->conf, &nnk);
	if (!watch_scopes_eq(ok, nok, nk, nnk)) {
		dropped =
		    taskstate_keep_scopes(w->env->ts, conf->name, nk, nnk);
		log_info("watch %s: scope changed to %zu scope%s; %zu tasks of "
			 "removed scopes forgotten, new scopes get a baseline",
		    conf->name, nnk, nnk == 1 ? "" : "s", dropped);
		if (w->phase != WATCH_IDLE)
			watch_abort_poll(w);
	}
	/* Zone-less times are read with the offset: read them again. */
	if (api_get(conf->api)->tz == API_TZ_WATCH &&
	    conf->timezone_offset_s != old_tz)
		taskstate_forget_digests(w->env->ts, conf->name);
	provider_scope_keys_free(ok, nok);
	provider_scope_keys_free(nk, nnk);
	w->acct = conf->account;
	if (w->job != NULL)
		sched_set_interval(w->job, watch_interval_ms(w));
}

/* What the watch's watch_* events were about. */
void
watch_failure_get(const struct watch *w, struct watch_failure *f)
{
	f->failed = w->stats.failed;
	f->streak_start_s = w->stats.failed ? w->streak_start_s : 0;
	f->flapping_since_s = w->stats.flapping_since_s;
}

/*
 * Carry on another replica's state: failed with its streak (a failing
 * poll continues it, a success recovers it), flapping since its start.
 */
void
watch_failure_seed(struct watch *w, const struct watch_failure *f)
{
	struct watch_stats *st = &w->stats;

	st->failed = f->failed;
	st->flapping_since_s = f->flapping_since_s;
	w->flap_n = 0;
	if (f->failed) {
		w->streak_start_s = f->streak_start_s;
		if (st->consecutive_failures < w->conf->fail_after)
			st->consecutive_failures = w->conf->fail_after;
	} else if (f->flapping_since_s == 0)
		st->consecutive_failures = 0;
}

/* The environment's pace changed: poll at it, at once if now. */
void
watch_repace(struct watch *w, int now)
{
	if (w->job == NULL)
		return;
	sched_set_interval(w->job, watch_interval_ms(w));
	if (now)
		sched_run_now(w->job);
}

/*
 * A save covering the table up to change covered ended (durable: it was
 * written).  A watch held for its baseline's save may poll again.
 */
void
watch_saved(struct watch *w, uint64_t covered, int durable)
{
	if (w->hold_until == 0 || (durable && covered < w->hold_until))
		return;
	if (durable)
		log_info("watch %s: baseline saved", w->conf->name);
	else
		log_at(LOG_CRIT,
		    "watch %s: its baseline cannot be saved; polling on, but "
		    "a restart before the next save takes a new one",
		    w->conf->name);
	w->hold_until = 0;
}

/* 1 while the watch waits for its baseline to be saved. */
int
watch_held(const struct watch *w)
{
	return w->hold_until != 0;
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

/* Wall-clock ms of the next poll; 0 while one is in flight or queued. */
int64_t
watch_next_poll_ms(const struct watch *w)
{
	uint64_t due = w->job != NULL ? sched_due_ms(w->job) : 0;
	uint64_t now = monotime_ms();

	if (due == 0 || watch_busy(w))
		return 0;
	return monotime_wall_ms() + (int64_t)(due > now ? due - now : 0);
}

/*
 * The pause of the watch's account: its kind (RATELIMIT_PAUSE_NONE when
 * not paused), the wall-clock end in *until_wall_ms and the reason.
 */
int
watch_paused(const struct watch *w, int64_t *until_wall_ms, const char **reason)
{
	struct ratelimit *rl;
	uint64_t now = monotime_ms(), left;

	*until_wall_ms = 0;
	*reason = NULL;
	if (w->env->limits == NULL ||
	    (rl = ratelimit_set_find(w->env->limits, w->conf->account->name)) ==
		NULL ||
	    (left = ratelimit_paused_for(rl, now)) == 0)
		return RATELIMIT_PAUSE_NONE;
	*until_wall_ms = monotime_wall_ms() + (int64_t)left;
	*reason = ratelimit_pause_reason(rl, now);
	return ratelimit_pause_kind(rl, now);
}

/*
 * Poll now.  WATCH_POLL_STARTED: the poll starts on the next loop turn
 * (or as soon as a slot is free); WATCH_POLL_BUSY: one is in flight and no
 * second starts; a poll waiting for its account's gate looks again at
 * once (its pause may just have been lifted).
 */
enum watch_poll
watch_poll_now(struct watch *w)
{
	if (w->job == NULL)
		return WATCH_POLL_BUSY;
	if (w->phase != WATCH_IDLE) {
		if (w->gate_resume != NULL)
			timer_add_ms(w->gate_timer, 0);
		return WATCH_POLL_BUSY;
	}
	if (sched_run_now(w->job) == -1)
		return WATCH_POLL_QUEUED;
	return WATCH_POLL_STARTED;
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
	    st->failed                 ? "FAILED"
		: st->flapping_since_s ? "flapping"
				       : "up",
	    (unsigned long long)st->polls_ok,
	    (unsigned long long)st->polls_failed, st->consecutive_failures,
	    taskstate_count(w->env->ts, w->conf->name, -1), states,
	    st->last_error[0] ? " last_error=" : "", st->last_error);
}

/* The provider asks whether the table already holds a record. */
static int
watch_known_cb(void *arg, const struct task *t)
{
	struct watch *w = arg;

	return taskstate_known(w->env->ts, w->conf->name, t);
}

/*
 * The provider's view of this poll.  A token account without a configured
 * project id is shown with the one learned from its token.
 */
static void
watch_ctx(struct watch *w, struct provider_ctx *ctx)
{
	const struct config_account *a = w->conf->account;
	const char *project;

	ctx->watch = w->conf;
	ctx->account = a;
	ctx->now_ms = w->poll_wall_ms;
	ctx->known = watch_known_cb;
	ctx->known_arg = w;
	if (a->auth_method == CONFIG_AUTH_TOKEN && util_empty(a->project_id) &&
	    w->env->iam != NULL &&
	    (project = iam_project_id(w->env->iam, a)) != NULL) {
		w->acct_view = *a;
		w->acct_view.project_id = (char *)project; /* borrowed */
		ctx->account = &w->acct_view;
	}
}

/* taskstate's max_duration: the watch config's, by task type. */
static uint64_t
watch_max_duration(const void *arg, const char *type)
{
	return config_watch_max_duration(arg, type);
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
	tw->base_type = w->prov->base_type;
	tw->replaces = w->prov->replaces;
	tw->overdue_factor_pct = w->conf->overdue_factor_pct;
	tw->overdue_min_samples = w->conf->overdue_min_samples;
	tw->max_duration =
	    w->conf->max_duration.n > 0 ? watch_max_duration : NULL;
	tw->max_duration_arg = w->conf;
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
	/* The failure streak, for watch_failed and watch_recovered. */
	ev->fail_since = w->streak_start_s;
	ev->consecutive_failures = w->stats.consecutive_failures;
	ev->last_success = w->stats.last_success_ms != 0
	    ? w->stats.last_success_ms / 1000
	    : TASK_TIME_NONE;
	return ev;
}

/* The gate of the watch's account (shared by all its watches). */
static struct ratelimit *
watch_ratelimit(const struct watch *w)
{
	const struct config_account *a = w->conf->account;

	if (w->env->limits == NULL)
		return NULL;
	return ratelimit_set_get(
	    w->env->limits, a->name, a->rate_limit_count, a->rate_limit_per_ms);
}

/* The account's gate opened: carry on where the poll waited. */
static void
watch_gate_cb(void *arg)
{
	struct watch *w = arg;
	void (*resume)(struct watch *) = w->gate_resume;

	w->gate_resume = NULL;
	if (resume != NULL)
		resume(w);
}

/*
 * Pass the account's gate before a request.  0: send now.  1: the caller
 * stops; the poll resumes later through resume, or, when the account is
 * paused (throttled, locked out) before the poll sent anything, the poll is
 * put off until the pause ends, giving its slot back and counting as
 * neither success nor failure.
 */
static int
watch_gate(struct watch *w, void (*resume)(struct watch *))
{
	struct ratelimit *rl = watch_ratelimit(w);
	uint64_t now = monotime_ms(), paused, wait;

	if (rl == NULL)
		return 0;
	paused = ratelimit_paused_for(rl, now);
	if (paused > 0 && w->env->once_done == NULL &&
	    ((w->phase == WATCH_LISTING && w->pages == 0) ||
		(w->phase == WATCH_DISCOVER && w->disc->cursor.page == 0))) {
		log_debug("watch %s: account %s paused for %llu ms; poll put "
			  "off",
		    w->conf->name, w->conf->account->name,
		    (unsigned long long)paused);
		w->phase = WATCH_IDLE;
		sched_defer(w->job, paused);
		return 1;
	}
	if ((wait = ratelimit_take(rl, now)) == 0)
		return 0;
	w->gate_resume = resume;
	timer_add_ms(w->gate_timer, wait);
	return 1;
}

/*
 * Stop the whole account after an answer that says so: throttling (for
 * Retry-After, or the watch's backoff) and authentication failures (five
 * minutes: Huawei locks an AK/SK after five bad signatures).
 */
static void
watch_pause_account(struct watch *w, enum apierr_class class, const char *msg,
    int64_t retry_after_ms)
{
	struct ratelimit *rl = watch_ratelimit(w);
	uint64_t ms;
	char *why;

	if (rl == NULL || w->env->once_done != NULL)
		return;
	if (class == APIERR_AUTH) {
		if (ratelimit_paused_for(rl, monotime_ms()) == 0)
			log_warnx("account %s: authentication failed (%s); no "
				  "request for 5 minutes",
			    w->conf->account->name, msg);
		why = xasprintf("authentication failed: %s", msg);
		ratelimit_pause(rl, monotime_ms() + WATCH_AUTH_PAUSE_MS,
		    RATELIMIT_PAUSE_AUTH, why);
		free(why);
	} else if (class == APIERR_THROTTLED) {
		ms = retry_after_ms > 0 ? (uint64_t)retry_after_ms
					: sched_backoff_ms(w->conf->interval_ms,
					      w->stats.consecutive_failures);
		if (ms > WATCH_THROTTLE_PAUSE_MAX_MS)
			ms = WATCH_THROTTLE_PAUSE_MAX_MS;
		/* Once per streak: the watch's failure line repeats. */
		log_at(
		    w->stats.consecutive_failures <= 1 ? LOG_INFO : LOG_DEBUG,
		    "account %s: throttled; its watches wait %llu ms",
		    w->conf->account->name, (unsigned long long)ms);
		why = xasprintf("throttled: %s", msg);
		ratelimit_pause(
		    rl, monotime_ms() + ms, RATELIMIT_PAUSE_THROTTLE, why);
		free(why);
	}
}

/*
 * Send one request through the environment's hook, or auth_send over
 * http; cb fires exactly once with arg, never from within this call.
 * The request in flight, for watch_cancel_call.
 */
static void *
watch_send(struct watch *w, struct sign_req *req, int any_status, auth_cb cb,
    void *arg)
{
	void *call;
	struct auth_opts opts;
	char *who = xasprintf("watch %s", w->conf->name);

	memset(&opts, 0, sizeof(opts));
	opts.who = who;
	opts.service = config_api_service(w->conf->api);
	opts.timeout_ms = w->conf->timeout_ms;
	opts.max_body_bytes = w->env->max_response_bytes;
	opts.absent = &w->conf->absent;
	opts.any_status = any_status;
	if (w->env->send != NULL)
		call = w->env->send(
		    w->env->send_arg, &w->acct, req, &opts, cb, arg);
	else
		call = auth_send(&w->auth, &w->acct, req, &opts, cb, arg);
	free(who);
	return call;
}

/*
 * Put a provider's request under the account's endpoint; -1 (logged, req
 * freed) if the endpoint is unusable.
 */
static int
watch_endpoint(struct watch *w, struct sign_req *req)
{
	char *base, *cause = NULL;
	int rc;

	base = config_endpoint(w->acct, config_api_service(w->conf->api));
	if ((rc = sign_req_set_base(req, base, &cause)) == -1) {
		log_warnx("watch %s: %s", w->conf->name, cause);
		free(cause);
		sign_req_free(req);
	}
	free(base);
	return rc;
}

/*
 * A token account without a project id learns it from its first token:
 * until then the listing cannot be described.  1 if the poll waits.
 */
static void watch_project_cb(const struct iam_result *, void *);

static int
watch_need_project(struct watch *w)
{
	const struct config_account *a = w->conf->account;

	if (a->auth_method != CONFIG_AUTH_TOKEN || !util_empty(a->project_id) ||
	    w->env->iam == NULL || iam_project_id(w->env->iam, a) != NULL)
		return 0;
	w->iam_wait = iam_token(w->env->iam, a, watch_project_cb, w);
	return 1;
}

/* The first token arrived: carry on with the listing, or fail the poll. */
static void
watch_project_cb(const struct iam_result *res, void *arg)
{
	struct watch *w = arg;
	struct apierr e;

	w->iam_wait = NULL;
	if (res->cancelled)
		return;
	if (!res->ok) {
		if (res->local)
			apierr_set_local(&e, res->errclass, res->errmsg);
		else
			apierr_set(&e, res->errclass, res->errmsg);
		w->fail_local = e.local;
		watch_fail(w, e.class, e.msg, -1);
		apierr_clear(&e);
		return;
	}
	if (util_empty(res->project_id)) {
		watch_fail(w, APIERR_AUTH,
		    "the IAM token names no project; set project_id", -1);
		return;
	}
	if (w->phase == WATCH_DISCOVER)
		watch_disc_next(w);
	else
		watch_list_next(w);
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
	watch_fan_free(w);
	task_list_clear(&w->tasks);
	task_list_clear(&w->gone);
}

/* Count a finished poll and its duration in the metrics. */
static void
watch_count_poll(const struct watch *w, const char *result)
{
	struct metrics *m = metrics_global();

	metrics_add(m, METRICS_POLLS, 1, "watch", w->conf->name, "result",
	    result, NULL);
	metrics_observe(m, METRICS_POLL_DURATION,
	    (double)(monotime_ms() - w->poll_start_ms) / 1000.0, "watch",
	    w->conf->name, NULL);
}

/* flap_window in seconds. */
static int64_t
watch_flap_window_s(const struct watch *w)
{
	return (int64_t)(w->conf->flap_window_ms / 1000);
}

/* 1 while the watch flaps: watch_failed and the pairs are held back. */
static int
watch_flapping(const struct watch *w)
{
	return w->stats.flapping_since_s != 0 && w->conf->flap_threshold > 0;
}

/*
 * Count a failure cycle that began at start_s and recovered at now_s;
 * 1 if it makes flap_threshold cycles that all began within flap_window.
 */
static int
watch_flap_count(struct watch *w, int64_t start_s, int64_t now_s)
{
	unsigned max = w->conf->flap_threshold, i = 0;
	int64_t from_s = now_s - watch_flap_window_s(w);

	if (max == 0) {
		w->flap_n = 0;
		return 0;
	}
	if (max > WATCH_FLAP_MAX)
		max = WATCH_FLAP_MAX;
	/* Forget cycles older than the window, and make room. */
	while (i < w->flap_n &&
	    (w->flap_n - i >= max || w->flap_starts[i] < from_s))
		i++;
	memmove(w->flap_starts, w->flap_starts + i,
	    (w->flap_n - i) * sizeof(w->flap_starts[0]));
	w->flap_n -= i;
	w->flap_starts[w->flap_n++] = start_s;
	return w->flap_n >= max && w->flap_starts[0] >= from_s;
}

/*
 * A watch event about the flapping that began at since: its obs (prefix
 * keeps the closing recovery's id apart from the first cycle's), the
 * cycles and the window.
 */
static struct evt *
watch_flap_event(struct watch *w, enum evt_kind kind, const char *prefix,
    int64_t since, int64_t now_s)
{
	struct evt *ev = watch_event(w, kind, now_s);

	free(ev->obs);
	ev->obs = xasprintf("%s%lld", prefix, (long long)since);
	ev->fail_since = since;
	ev->flap_cycles = w->flap_n;
	ev->flap_window_s = watch_flap_window_s(w);
	return ev;
}

/*
 * The event a successful poll makes, NULL if none: watch_recovered after
 * watch_failed, unless this recovery completes flap_threshold cycles
 * within flap_window: then watch_flapping, and nothing more until no
 * poll failed for flap_window: then the one watch_recovered.
 */
static struct evt *
watch_success_event(struct watch *w, int64_t now_s)
{
	struct watch_stats *st = &w->stats;
	int64_t since = st->flapping_since_s;
	struct evt *ev;

	if (since != 0) {
		if (watch_flapping(w) &&
		    now_s - w->last_fail_s < watch_flap_window_s(w))
			return NULL;
		ev = watch_flap_event(
		    w, EVT_WATCH_RECOVERED, "flapped-", since, now_s);
		st->flapping_since_s = 0;
		w->flap_n = 0;
		return ev;
	}
	if (!st->failed)
		return NULL;
	if (!watch_flap_count(w, w->streak_start_s, now_s))
		return watch_event(w, EVT_WATCH_RECOVERED, now_s);
	/* Its watch_failed stays open until the closing recovery. */
	st->flapping_since_s = w->flap_starts[0];
	ev = watch_flap_event(
	    w, EVT_WATCH_FLAPPING, "", st->flapping_since_s, now_s);
	ev->error_class = xstrdup(apierr_class_name(w->fail_class));
	ev->error_msg = xstrdup(w->fail_msg);
	return ev;
}

/* The poll succeeded: reset the failure count, recover if failed. */
static void
watch_succeed(struct watch *w)
{
	struct watch_stats *st = &w->stats;
	int64_t now_s = w->poll_wall_ms / 1000;
	struct evt_list events = { NULL, 0, 0 };
	struct evt *ev;
	char *summary;

	st->polls_ok++;
	watch_count_poll(w, "ok");
	/* last_success is still the one before the outage. */
	if ((ev = watch_success_event(w, now_s)) != NULL) {
		evt_finish(ev);
		evt_list_add(&events, ev);
		summary = evt_summary(ev);
		log_info("watch %s", summary);
		free(summary);
		watch_emit_list(w, &events);
	} else if (st->consecutive_failures > 0 && watch_flapping(w))
		log_debug("watch %s: poll succeeded after %u failures; still "
			  "flapping",
		    w->conf->name, st->consecutive_failures);
	else if (st->consecutive_failures > 0)
		log_info("watch %s: poll succeeded after %u failures",
		    w->conf->name, st->consecutive_failures);
	st->last_success_ms = w->poll_wall_ms;
	st->failed = 0;
	st->consecutive_failures = 0;
	st->local_secret_error = 0;
	st->last_error[0] = '\0';
	watch_finish(w, 1, -1);
}

/*
 * Log the nth failed poll in a row: the watch_failed transition always,
 * with its error; otherwise the first (at debug level while the watch
 * flaps: watch_flapping said it), then at powers of two.
 */
static void
watch_fail_log(struct watch *w, enum apierr_class class, const char *msg,
    unsigned n, int failing)
{
	if (failing)
		log_warnx("watch %s: poll failed (%s): %s; watch_failed after "
			  "%u failed poll%s",
		    w->conf->name, apierr_class_name(class), msg, n,
		    n == 1 ? "" : "s");
	else if (n == 1 && watch_flapping(w))
		log_debug("watch %s: poll failed while flapping (%s): %s",
		    w->conf->name, apierr_class_name(class), msg);
	else if (n == 1)
		log_warnx("watch %s: poll failed (%s): %s", w->conf->name,
		    apierr_class_name(class), msg);
	else if (log_repeat_due(n))
		log_warnx("watch %s: still failing, %u polls in a row (%s): "
			  "%s",
		    w->conf->name, n, apierr_class_name(class), msg);
	else
		log_debug("watch %s: poll failed again (%s): %s", w->conf->name,
		    apierr_class_name(class), msg);
}

/*
 * The poll failed.  Tasks read before the failure are applied as an
 * incomplete listing (changes reported, nothing vanishes).  The failure is
 * logged on the first occurrence and then only at powers of two.
 */
static void
watch_fail(struct watch *w, enum apierr_class class, const char *msg,
    int64_t retry_after_ms)
{
	struct watch_stats *st = &w->stats;
	int64_t now_s = w->poll_wall_ms / 1000;
	struct evt_list events = { NULL, 0, 0 };
	struct taskstate_watch tw;
	struct evt *ev;
	unsigned n;
	int local = w->fail_local;
	int failing;

	w->fail_local = 0;
	/* A cluster deleted makes its listing fail: look at the next poll. */
	if (w->disc != NULL)
		w->disc->due_ms = 0;
	watch_ts_info(w, &tw);
	/*
	 * After a restart, what changed meanwhile is reported as missed.
	 * Tasks of a scope without a baseline are recorded silently, so that
	 * the next listing reports their changes (a first poll that read
	 * page 1 of 3 still sees page 1's tasks fail).
	 */
	if (w->tasks.n > 0 && w->env->once_done == NULL) {
		taskstate_apply(w->env->ts, &tw, &w->tasks, 0, 0,
		    taskstate_restored(w->env->ts, w->conf->name), now_s,
		    &events, NULL);
		if (w->nbaseline > 0)
			watch_baselined(w, 0);
	}
	st->polls_failed++;
	watch_count_poll(w, apierr_class_name(class));
	n = ++st->consecutive_failures;
	if (n == 1)
		w->streak_start_s = now_s;
	w->last_fail_s = now_s;
	w->fail_class = class;
	snprintf(w->fail_msg, sizeof(w->fail_msg), "%s", msg);
	snprintf(st->last_error, sizeof(st->last_error), "%s: %s",
	    apierr_class_name(class), msg);
	failing =
	    !st->failed && (n >= w->conf->fail_after || class == APIERR_AUTH);
	if (failing && watch_flapping(w)) {
		/* watch_flapping stands for it. */
		st->failed = 1;
		failing = 0;
	}
	watch_fail_log(w, class, msg, n, failing);
	if (failing) {
		st->failed = 1;
		ev = watch_event(w, EVT_WATCH_FAILED, now_s);
		ev->error_class = xstrdup(apierr_class_name(class));
		ev->error_msg = xstrdup(msg);
		evt_finish(ev);
		evt_list_add(&events, ev);
	}
	/* A local secret error is a config error: fix, HUP, polled at once. */
	st->local_secret_error = local;
	if (!local)
		watch_pause_account(w, class, msg, retry_after_ms);
	watch_emit_list(w, &events);
	watch_finish(w, 0, retry_after_ms);
}

/* Request the listing page at the cursor. */
static void
watch_list_next(struct watch *w)
{
	struct provider_ctx ctx;
	struct sign_req *req;
	char *cause = NULL;

	if (watch_need_project(w))
		return;
	if (watch_gate(w, watch_list_next))
		return;
	watch_ctx(w, &ctx);
	req = sign_req_new();
	if (w->prov->list_req(&ctx, &w->cursor, req, &cause) == -1) {
		sign_req_free(req);
		watch_fail(w, APIERR_PARSE, cause ? cause : "no request", -1);
		free(cause);
		return;
	}
	if (watch_endpoint(w, req) == -1)
		watch_fail(w, APIERR_NETWORK, "cannot start request", -1);
	else
		w->call = watch_send(w, req, 0, watch_list_cb, w);
}

/*
 * Start the listing; a watch that knows no cluster to poll (clusters: all
 * found none) has nothing to list and succeeds at once.
 */
static void
watch_list_start(struct watch *w)
{
	w->phase = WATCH_LISTING;
	if (w->disc != NULL && w->disc->known.n == 0)
		watch_succeed(w);
	else
		watch_list_next(w);
}

/* The scheduler says it is this watch's turn: start a poll. */
static void
watch_run_cb(struct sched_job *job, void *arg)
{
	struct watch *w = arg;

	if (w->hold_until != 0) {
		/* The baseline it took is not saved yet (watch_saved). */
		sched_defer(job, WATCH_HOLD_RETRY_MS);
		return;
	}
	if (!watch_shard_polls(w)) {
		/* Other shards own every unit: nothing to ask. */
		w->poll_start_ms = monotime_ms();
		watch_finish(w, 1, -1);
		return;
	}
	memset(&w->cursor, 0, sizeof(w->cursor));
	w->fresh = 0;
	w->nbaseline = 0;
	task_list_clear(&w->tasks);
	task_list_clear(&w->gone);
	w->gone_next = 0;
	w->pages = 0;
	w->page_start = 0;
	watch_unread_clear(w);
	w->phase = WATCH_LISTING;
	w->poll_wall_ms =
	    w->env->wall_ms != NULL ? w->env->wall_ms() : monotime_wall_ms();
	w->poll_start_ms = monotime_ms();
	if (w->disc != NULL &&
	    (w->disc->due_ms == 0 || w->poll_start_ms >= w->disc->due_ms)) {
		/* clusters: all: list the clusters first. */
		w->phase = WATCH_DISCOVER;
		memset(&w->disc->cursor, 0, sizeof(w->disc->cursor));
		discover_list_clear(&w->disc->reading);
		watch_disc_next(w);
	} else
		watch_list_start(w);
}

/*
 * The tasks from index before on came from scope i: give them its name,
 * and mark them for a silent record when it has no baseline yet and the
 * watch baselines (on_start: baseline).
 */
static void
watch_scope_page(struct watch *w, size_t i, size_t before)
{
	char *key;
	int fresh, baseline;
	size_t j;

	if (provider_scope_key(w->prov, w->conf, i, &key) == -1)
		return;
	fresh = !taskstate_has_scope(w->env->ts, w->conf->name, key);
	baseline = fresh && w->conf->on_start == CONFIG_ON_START_BASELINE;
	w->fresh |= fresh;
	for (j = before; j < w->tasks.n; j++) {
		w->tasks.v[j].scope = xstrdup(key);
		w->tasks.v[j].baseline = baseline;
		w->nbaseline += baseline;
	}
	free(key);
}

/*
 * The poll recorded tasks of scopes without a baseline (complete: and
 * the listing covered every scope, which now have one).  Nothing of that
 * counts until it is saved: the watch polls again only after a save
 * covering it, and asks for one now (watch_saved).
 */
static void
watch_baselined(struct watch *w, int complete)
{
	char **keys;
	size_t i, n;

	if (complete) {
		keys = provider_scope_keys(w->prov, w->conf, &n);
		for (i = 0; i < n; i++)
			if (!watch_unread(w, keys[i]))
				taskstate_add_scope(
				    w->env->ts, w->conf->name, keys[i]);
		provider_scope_keys_free(keys, n);
	}
	if (w->env->baselined == NULL)
		return; /* nothing is saved */
	w->hold_until = taskstate_changes(w->env->ts);
	w->env->baselined(w, w->env->baselined_arg);
}

/*
 * 1 (the poll failed) when no scope of the listing could be read; else
 * the scopes read count, with one line for those that were not (the
 * first poll, then at powers of two of the polls in a row that have
 * one), and a watch whose scopes all read again says so.
 */
static int
watch_unread_all(struct watch *w)
{
	size_t n = watch_nscopes(w);
	char *msg;

	w->stats.unread_scopes = w->unread.n;
	snprintf(w->stats.unread_error, sizeof(w->stats.unread_error), "%s",
	    w->unread.n > 0 ? w->unread_msg : "");
	if (w->unread.n == 0) {
		if (w->unread_polls > 0)
			log_info(
			    "watch %s: every scope read again", w->conf->name);
		w->unread_polls = 0;
		return 0;
	}
	if (w->unread.n < n) {
		log_at(
		    log_repeat_due(++w->unread_polls) ? LOG_WARNING : LOG_DEBUG,
		    "watch %s: %zu of %zu scopes not read (the last: %s); "
		    "their tasks stay as they were, the others were read",
		    w->conf->name, w->unread.n, n, w->unread_msg);
		return 0;
	}
	msg = xasprintf("no scope could be read; the last: %s", w->unread_msg);
	watch_fail(w, w->unread_class, msg, -1);
	free(msg);
	return 1;
}

/* Tasks of scopes this poll could not read stay: they are not gone. */
static void
watch_keep_unread(struct watch *w)
{
	size_t i, j = 0;

	for (i = 0; i < w->gone.n; i++) {
		if (watch_unread(w, w->gone.v[i].scope))
			task_clear(&w->gone.v[i]);
		else
			w->gone.v[j++] = w->gone.v[i];
	}
	w->gone.n = j;
}

/* The complete listing is in: diff it and confirm what left it. */
static void
watch_listing_done(struct watch *w)
{
	struct evt_list events = { NULL, 0, 0 };
	struct taskstate_watch tw;
	size_t nscopes;
	int missed;

	if (watch_unread_all(w))
		return;
	if (w->env->once_done != NULL) {
		/* --once reports the listing itself; the caller prints it. */
		watch_succeed(w);
		return;
	}
	watch_ts_info(w, &tw);
	if (w->fresh && w->conf->on_start == CONFIG_ON_START_BASELINE) {
		taskstate_scopes(w->env->ts, w->conf->name, &nscopes);
		log_info("watch %s: baseline of %zu tasks%s", w->conf->name,
		    w->nbaseline, nscopes > 0 ? " in new scopes" : "");
	}
	/*
	 * A watch restored from the saved table diffs its first complete
	 * listing against it: those events happened while we were down.
	 */
	missed = taskstate_take_restored(w->env->ts, w->conf->name);
	if (missed)
		log_info("watch %s: first poll since the restart, against %zu "
			 "saved tasks",
		    w->conf->name,
		    taskstate_count(w->env->ts, w->conf->name, -1));
	/*
	 * A listing whose rows moved while its pages were read may have
	 * skipped one: its changes count, but it cannot make a task vanish.
	 * It still gives its scopes their baseline: a skipped task is then
	 * reported as appeared later, where waiting for a listing that does
	 * not shift would record new failures silently meanwhile.
	 */
	taskstate_apply(w->env->ts, &tw, &w->tasks, !w->cursor.shifted, 0,
	    missed, w->poll_wall_ms / 1000, &events, &w->gone);
	watch_keep_unread(w);
	if (w->fresh)
		watch_baselined(w, 1);
	watch_emit_list(w, &events);
	if (w->gone.n == 0) {
		watch_succeed(w);
		return;
	}
	w->phase = WATCH_LOOKUP;
	w->gone_next = 0;
	watch_lookup_next(w);
}

/*
 * 1 if the na rows at a look like the nb rows at b again (as many, the
 * same first task): a page repeated by a server that ignores the offset.
 */
static int
watch_same_page(
    const struct task *a, size_t na, const struct task *b, size_t nb)
{
	return na > 0 && na == nb && strcmp(a->id, b->id) == 0 &&
	    strcmp(a->cluster_id ? a->cluster_id : "",
		b->cluster_id ? b->cluster_id : "") == 0;
}

/*
 * 1 if the page just read (tasks from index before on, from scope) is the
 * previous page of the same scope again: a server repeating a page
 * would otherwise be asked WATCH_MAX_PAGES times in every poll.
 */
static int
watch_page_repeats(const struct watch *w, size_t scope, size_t before)
{
	size_t prev = w->page_start;

	if (w->pages == 0 || scope != w->page_scope || prev >= before)
		return 0;
	return watch_same_page(&w->tasks.v[prev], before - prev,
	    &w->tasks.v[before], w->tasks.n - before);
}

/* Cancel the pages in flight and forget the fanned pages (none: no-op). */
static void
watch_fan_free(struct watch *w)
{
	struct watch_page *fan = w->fan;
	size_t i, n = w->nfan;
	void *call;

	if (fan == NULL)
		return;
	w->fan = NULL;
	w->nfan = w->fan_next = w->fan_busy = w->fan_read = 0;
	if (w->gate_resume == watch_fan_pump) {
		timer_del(w->gate_timer);
		w->gate_resume = NULL;
	}
	for (i = 0; i < n; i++) {
		call = fan[i].call;
		fan[i].call = NULL;
		watch_cancel_call(w, call);
		task_list_clear(&fan[i].tasks);
	}
	free(fan);
}

/*
 * Append the tasks of the pages read so far to the listing, in listing
 * order, each named after scope; the index of the last one's first task.
 */
static size_t
watch_fan_merge(struct watch *w, size_t scope)
{
	size_t i, before = w->tasks.n;

	for (i = 0; i < w->nfan; i++) {
		if (!w->fan[i].read)
			continue;
		before = w->tasks.n;
		task_list_take(&w->tasks, &w->fan[i].tasks);
		watch_scope_page(w, scope, before);
	}
	return before;
}

/*
 * A fanned page failed: the others are cancelled, the tasks read so far
 * count as an incomplete listing (watch_fail), and the poll fails.
 */
static void
watch_fan_fail(struct watch *w, size_t scope, enum apierr_class class,
    const char *msg, int64_t retry_after_ms)
{
	watch_fan_merge(w, scope);
	watch_fan_free(w);
	watch_fail(w, class, msg, retry_after_ms);
}

/*
 * Every fanned page is in.  The listing carries on from the last page's
 * cursor (finished, or more rows than announced: on page by page); a
 * page that was short or announced another total means rows moved while
 * the pages were read, and the listing cannot make a task vanish.
 */
static void
watch_fan_done(struct watch *w)
{
	const struct watch_page *p;
	size_t i, scope = w->cursor.scope, last;
	int shifted = w->cursor.shifted;
	uint64_t rows;

	for (i = 0; i < w->nfan; i++) {
		p = &w->fan[i];
		rows = p->cursor.seen - p->offset;
		if (p->cursor.shifted ||
		    (i + 1 < w->nfan && rows != w->fan_step))
			shifted = 1;
	}
	p = &w->fan[w->nfan - 1];
	rows = p->cursor.seen - p->offset;
	w->cursor = p->cursor;
	w->cursor.shifted = shifted;
	w->pages += (unsigned)w->nfan;
	last = watch_fan_merge(w, scope);
	watch_fan_free(w);
	w->page_start = last;
	w->page_scope = scope;
	if (w->cursor.done)
		watch_listing_done(w);
	else if (w->pages >= WATCH_MAX_PAGES)
		watch_fail(w, APIERR_PARSE, "listing never ends", -1);
	else if (!watch_fan_start(w, scope, rows))
		watch_list_next(w);
}

/*
 * 1 if fanned page p repeats the page before it (the last one read one by
 * one, for the first): a server that ignores the offset.
 */
static int
watch_fan_repeats(const struct watch *w, const struct watch_page *p)
{
	const struct watch_page *q = p - 1;

	if (p == w->fan)
		return w->tasks.n > w->page_start &&
		    watch_same_page(&w->tasks.v[w->page_start],
			w->tasks.n - w->page_start, p->tasks.v, p->tasks.n);
	return q->read &&
	    watch_same_page(q->tasks.v, q->tasks.n, p->tasks.v, p->tasks.n);
}

/*
 * Ask for the fanned pages while the slots and the account's gate allow.
 * The first goes alone: a server that repeats one page whatever the
 * offset is found after it, not after max_in_flight requests.
 */
static void
watch_fan_pump(struct watch *w)
{
	struct provider_ctx ctx;
	struct watch_page *p;
	struct sign_req *req;
	char *cause = NULL;

	watch_ctx(w, &ctx);
	while (w->fan_next < w->nfan &&
	    w->fan_busy < (w->fan_read == 0 ? 1 : w->env->max_in_flight)) {
		if (watch_gate(w, watch_fan_pump))
			return;
		p = &w->fan[w->fan_next++];
		req = sign_req_new();
		if (w->prov->list_req(&ctx, &p->cursor, req, &cause) == -1) {
			sign_req_free(req);
			watch_fan_fail(w, w->cursor.scope, APIERR_PARSE,
			    cause ? cause : "no request", -1);
			free(cause);
			return;
		}
		if (watch_endpoint(w, req) == -1) {
			watch_fan_fail(w, w->cursor.scope, APIERR_NETWORK,
			    "cannot start request", -1);
			return;
		}
		w->fan_busy++;
		p->call = watch_send(w, req, 0, watch_page_cb, p);
	}
}

/*
 * After a page of scope that read rows rows, the cursor's scope announced
 * more: where the provider pages by row offset, ask for the rest at once,
 * each page rows (at most page_rows) on from the one before, at most
 * max_in_flight at a time.  0 (nothing asked) when the listing goes on
 * page by page: the provider does not allow it, one page is left, or the
 * total is not known.
 */
static int
watch_fan_start(struct watch *w, size_t scope, uint64_t rows)
{
	const struct provider_cursor *c = &w->cursor;
	uint64_t step = rows, off;
	size_t i, n = 0;

	if (w->prov->page_rows == 0 || w->env->max_in_flight < 2 || c->done ||
	    c->scope != scope || c->offset != c->seen || rows == 0)
		return 0;
	if (step > w->prov->page_rows)
		step = w->prov->page_rows;
	for (off = c->offset; off < c->total &&
	     off <= w->prov->page_max_offset && w->pages + n < WATCH_MAX_PAGES;
	     off += step)
		n++;
	if (n < 2)
		return 0;
	w->fan = xcalloc(n, sizeof(*w->fan));
	w->nfan = n;
	w->fan_step = step;
	for (i = 0; i < n; i++) {
		w->fan[i].w = w;
		w->fan[i].offset = c->offset + i * step;
		w->fan[i].cursor = *c;
		w->fan[i].cursor.offset = w->fan[i].offset;
		w->fan[i].cursor.seen = w->fan[i].offset;
	}
	watch_fan_pump(w);
	return 1;
}

/* A fanned page arrived, or the reason it did not. */
static void
watch_page_cb(const struct auth_answer *a, void *arg)
{
	struct watch_page *p = arg;
	struct watch *w = p->w;
	const struct http_response *resp = a->resp;
	struct provider_ctx ctx;
	char *msg, *cause = NULL;

	p->call = NULL;
	w->stats.requests += a->requests;
	if (a->cancelled)
		return;
	w->fan_busy--;
	if (a->err != NULL) {
		w->fail_local = a->err->local;
		watch_fan_fail(w, w->cursor.scope, a->err->class, a->err->msg,
		    resp->retry_after_ms);
		return;
	}
	watch_ctx(w, &ctx);
	if (w->prov->list_parse(&ctx, resp->status, resp->body, resp->body_len,
		&p->tasks, &p->cursor, &cause) == -1) {
		msg = xasprintf("page %u: %s",
		    w->pages + 1 + (unsigned)(p - w->fan),
		    cause ? cause : "unusable response");
		watch_fan_fail(w, w->cursor.scope, APIERR_PARSE, msg, -1);
		free(msg);
		free(cause);
		return;
	}
	if (watch_fan_repeats(w, p)) {
		watch_fan_fail(w, w->cursor.scope, APIERR_PARSE,
		    "the same page came twice: listing never ends", -1);
		return;
	}
	p->read = 1;
	if (++w->fan_read < w->nfan)
		watch_fan_pump(w);
	else
		watch_fan_done(w);
}

/*
 * The answer for the cursor's scope was an error or unusable.  Where each
 * scope is a request of its own (scope_errors: dws.actions), only that
 * scope goes unread: its tasks stay as they were (nothing of it vanishes)
 * and the listing carries on with the next scope; watch_unread_all logs
 * it, or fails the poll if no scope was read.  0 when the failure fails the poll: other providers, and network,
 * authentication and throttling failures, which say nothing of one scope.
 */
static int
watch_scope_error(struct watch *w, enum apierr_class class, const char *msg)
{
	char *key = NULL;
	size_t n;

	if (!w->prov->scope_errors ||
	    (class != APIERR_HTTP && class != APIERR_PARSE) ||
	    provider_scope_key(w->prov, w->conf, w->cursor.scope, &key) == -1)
		return 0;
	log_debug("watch %s: %s not read (%s: %s)", w->conf->name, key,
	    apierr_class_name(class), msg);
	n = w->unread.n;
	w->unread.v = xreallocarray(w->unread.v, n + 1, sizeof(char *));
	w->unread.v[n] = key;
	w->unread.n = n + 1;
	w->unread_class = class;
	snprintf(w->unread_msg, sizeof(w->unread_msg), "%s: %s", key, msg);
	n = watch_nscopes(w);
	w->cursor.scope++;
	w->cursor.offset = w->cursor.seen = w->cursor.total = 0;
	if (w->cursor.scope >= n) {
		w->cursor.done = 1;
		watch_listing_done(w);
	} else
		watch_list_next(w);
	return 1;
}

/* One listing page arrived, or the reason it did not. */
static void
watch_list_cb(const struct auth_answer *a, void *arg)
{
	struct watch *w = arg;
	const struct http_response *resp = a->resp;
	struct provider_ctx ctx;
	char *msg = NULL, *cause = NULL;
	size_t before, scope;
	uint64_t seen;

	w->call = NULL;
	w->stats.requests += a->requests;
	if (a->cancelled)
		return;
	if (a->err != NULL) {
		if (watch_scope_error(w, a->err->class, a->err->msg))
			return;
		w->fail_local = a->err->local;
		watch_fail(w, a->err->class, a->err->msg, resp->retry_after_ms);
		return;
	}
	watch_ctx(w, &ctx);
	before = w->tasks.n;
	scope = w->cursor.scope;
	seen = w->cursor.seen;
	if (w->prov->list_parse(&ctx, resp->status, resp->body, resp->body_len,
		&w->tasks, &w->cursor, &cause) == -1) {
		msg = xasprintf("page %u: %s", w->pages + 1,
		    cause ? cause : "unusable response");
		while (w->tasks.n > before)
			task_clear(&w->tasks.v[--w->tasks.n]);
		if (!watch_scope_error(w, APIERR_PARSE, msg))
			watch_fail(w, APIERR_PARSE, msg, -1);
		free(msg);
		free(cause);
		return;
	}
	watch_scope_page(w, scope, before);
	if (watch_page_repeats(w, scope, before)) {
		/* A server whose total never comes would be asked forever. */
		watch_fail(w, APIERR_PARSE,
		    "the same page came twice: listing never ends", -1);
		return;
	}
	if (++w->pages >= WATCH_MAX_PAGES && !w->cursor.done) {
		watch_fail(w, APIERR_PARSE, "listing never ends", -1);
		return;
	}
	w->page_start = before;
	w->page_scope = scope;
	if (w->cursor.done)
		watch_listing_done(w);
	else if (!watch_fan_start(w, scope, w->cursor.seen - seen))
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
	struct sign_req *req;
	const struct task *t;
	char *cause = NULL;

	watch_ctx(w, &ctx);
	while (w->gone_next < w->gone.n) {
		t = &w->gone.v[w->gone_next];
		if (w->prov->lookup_req == NULL) {
			/*
			 * Without a lookup to ask, a task must be missing
			 * twice in a row: a listing paged by offset skips
			 * one when another leaves between two pages.
			 */
			if (taskstate_absences(w->env->ts, w->conf->name, t) >=
			    WATCH_ABSENCES_NO_LOOKUP)
				watch_vanish(w, t);
			w->gone_next++;
			continue;
		}
		if (w->gone_next >= WATCH_MAX_LOOKUPS)
			break;
		if (watch_gate(w, watch_lookup_next))
			return;
		req = sign_req_new();
		if (w->prov->lookup_req(&ctx, t, req, &cause) == -1) {
			sign_req_free(req);
			log_warnx("watch %s: task %s: no lookup: %s",
			    w->conf->name, t->id, cause ? cause : "?");
			free(cause);
			cause = NULL;
			w->gone_next++;
			continue;
		}
		if (watch_endpoint(w, req) == -1)
			break;
		w->call = watch_send(w, req, 1, watch_lookup_cb, w);
		return;
	}
	watch_succeed(w);
}

/* A lookup said nothing about the task: log it, rate-limited. */
static void
watch_lookup_unsure(
    struct watch *w, const struct task *t, const char *what, const char *why)
{
	/* Inconclusive lookups repeat every poll: rate-limit their lines. */
	log_at(log_repeat_due(++w->lookup_failures) ? LOG_INFO : LOG_DEBUG,
	    "watch %s: task %s left the listing; lookup %s: %s", w->conf->name,
	    t->id, what, why != NULL ? why : "?");
}

/* The single-task lookup answered: vanished, still there, or unknown. */
static void
watch_lookup_cb(const struct auth_answer *a, void *arg)
{
	struct watch *w = arg;
	const struct http_response *resp = a->resp;
	struct evt_list events = { NULL, 0, 0 };
	struct taskstate_watch tw;
	struct provider_ctx ctx;
	const struct task *t;
	struct task found_task;
	char *cause = NULL;
	int found = 0;

	w->call = NULL;
	w->stats.requests += a->requests;
	if (a->cancelled)
		return;
	t = &w->gone.v[w->gone_next++];
	watch_ctx(w, &ctx);
	watch_ts_info(w, &tw);
	task_init(&found_task);
	if (resp->error != HTTP_RESPONSE)
		watch_lookup_unsure(w, t, "failed", resp->errmsg);
	else if (a->err != NULL)
		/* A proxy's page says nothing about the task. */
		watch_lookup_unsure(w, t, "inconclusive", a->err->msg);
	else if (w->prov->lookup_parse(&ctx, resp->status, resp->body,
		     resp->body_len, &found, &found_task, &cause) == -1) {
		watch_lookup_unsure(w, t, "inconclusive", cause);
		free(cause);
	} else if (found) {
		w->lookup_failures = 0;
		log_debug("watch %s: task %s left the listing but still exists",
		    w->conf->name, t->id);
		if (found_task.cluster_id == NULL)
			found_task.cluster_id = xstrdup(t->cluster_id);
		taskstate_confirm(w->env->ts, &tw, &found_task,
		    w->poll_wall_ms / 1000, &events);
	} else {
		w->lookup_failures = 0;
		taskstate_vanish(
		    w->env->ts, &tw, t, w->poll_wall_ms / 1000, &events);
	}
	task_clear(&found_task);
	watch_emit_list(w, &events);
	watch_lookup_next(w);
}

/*
 * Cluster discovery (clusters: all).  At the start of a poll that is due
 * (the first, discover_interval after the last success, or right after a
 * discovery that missed a known cluster or failed) the watch lists the
 * account's clusters through discover.c, then polls the result.
 */

/* Append (id, name) to the known clusters, not missing. */
static void
watch_disc_add(struct watch_disc *d, const char *id, const char *name)
{
	discover_list_add(&d->known, id, name);
	d->missing = xreallocarray(d->missing, d->known.n, sizeof(*d->missing));
	d->missing[d->known.n - 1] = 0;
}

/* Point the view's clusters at the known IDs and the watch at the view. */
static void
watch_disc_view(struct watch *w)
{
	struct watch_disc *d = w->disc;
	size_t i;

	d->ids = xreallocarray(
	    d->ids, d->known.n > 0 ? d->known.n : 1, sizeof(*d->ids));
	for (i = 0; i < d->known.n; i++)
		d->ids[i] = d->known.v[i].id;
	d->view.clusters.v = d->ids;
	d->view.clusters.n = d->known.n;
	w->conf = &d->view;
	w->stats.clusters = d->known.n;
}

/* Free what a watch keeps for clusters: all; NULL is a no-op. */
static void
watch_disc_free(struct watch_disc *d)
{
	if (d == NULL)
		return;
	discover_list_clear(&d->known);
	discover_list_clear(&d->reading);
	free(d->missing);
	free(d->ids);
	free(d);
}

/*
 * Point the watch at conf: with clusters: all, through its view of conf
 * (made on the first call, when a reload from a literal list starts it
 * with that list's clusters; the clusters known stay, listed again at the
 * next poll); otherwise at conf itself.
 */
static void
watch_disc_set(struct watch *w, const struct config_watch *conf)
{
	struct watch_disc *d = w->disc;
	size_t i;

	if (!conf->clusters_all) {
		if (d != NULL && w->phase == WATCH_DISCOVER)
			watch_abort_poll(w);
		watch_disc_free(d);
		w->disc = NULL;
		watch_shard_view(w, conf);
		return;
	}
	if (d == NULL) {
		d = w->disc = xcalloc(1, sizeof(*d));
		d->api = discover_find(conf->api);
		for (i = 0; w->conf != conf && i < w->conf->clusters.n; i++)
			watch_disc_add(d, w->conf->clusters.v[i], NULL);
		d->seeded = w->conf != conf;
	}
	d->base = conf;
	d->view = *conf;
	d->due_ms = 0;
	watch_disc_view(w);
}

/* "ID (NAME)", or "ID" for a cluster whose name is not known. */
static char *
watch_disc_label(const struct discover_cluster *c)
{
	if (c->name == NULL || *c->name == '\0')
		return xstrdup(c->id);
	return xasprintf("%s (%s)", c->id, c->name);
}

/*
 * The first discovery since the start knows the clusters of the saved
 * table (their names unknown): one gone while the daemon was down is
 * then dropped like any other, after two discoveries.
 */
static void
watch_disc_seed(struct watch *w)
{
	struct watch_disc *d = w->disc;
	char *const *scopes;
	char *id;
	size_t i, n;

	if (d->seeded)
		return;
	d->seeded = 1;
	scopes = taskstate_scopes(w->env->ts, w->conf->name, &n);
	for (i = 0; i < n; i++) {
		id = xstrndup(scopes[i], strcspn(scopes[i], "/"));
		if (discover_id_ok(id) && watch_shard_owns(w, id) &&
		    discover_list_find(&d->known, id) == NULL)
			watch_disc_add(d, id, NULL);
		free(id);
	}
}

/* Drop the known clusters two discoveries in a row lacked, and their tasks. */
static void
watch_disc_drop(struct watch *w)
{
	struct watch_disc *d = w->disc;
	struct discover_cluster c;
	char **keys, *label;
	size_t i, nk, dropped;

	for (i = 0; i < d->known.n;) {
		if (d->missing[i] < WATCH_ABSENCES_NO_LOOKUP) {
			i++;
			continue;
		}
		c = d->known.v[i];
		d->known.n--;
		memmove(&d->known.v[i], &d->known.v[i + 1],
		    (d->known.n - i) * sizeof(*d->known.v));
		memmove(&d->missing[i], &d->missing[i + 1],
		    (d->known.n - i) * sizeof(*d->missing));
		watch_disc_view(w);
		keys = provider_scope_keys(w->prov, w->conf, &nk);
		dropped =
		    taskstate_keep_scopes(w->env->ts, w->conf->name, keys, nk);
		provider_scope_keys_free(keys, nk);
		label = watch_disc_label(&c);
		log_info("watch %s: cluster %s is gone; %zu tasks forgotten",
		    w->conf->name, label, dropped);
		free(label);
		free(c.id);
		free(c.name);
	}
}

/*
 * Compare the known clusters with the answer: a known one it lacks (or
 * whose name no longer matches cluster_names) is missing once more, one
 * it has is not missing; 1 if some cluster is missing.
 */
static int
watch_disc_mark(struct watch *w)
{
	struct watch_disc *d = w->disc;
	const struct discover_cluster *c;
	size_t i;
	int any = 0;
	char *label;

	for (i = 0; i < d->known.n; i++) {
		c = discover_list_find(&d->reading, d->known.v[i].id);
		label = watch_disc_label(&d->known.v[i]);
		if (c != NULL &&
		    discover_name_matches(&d->base->cluster_names, c->name)) {
			if (d->missing[i] > 0)
				log_info("watch %s: cluster %s is listed "
					 "again",
				    w->conf->name, label);
			d->missing[i] = 0;
			free(d->known.v[i].name);
			d->known.v[i].name = xstrdup(c->name);
		} else if (++d->missing[i] < WATCH_ABSENCES_NO_LOOKUP)
			log_info("watch %s: cluster %s is not in the cluster "
				 "list; still polled until the next "
				 "discovery confirms it is gone",
			    w->conf->name, label);
		any |= d->missing[i] > 0;
		free(label);
	}
	return any;
}

/* Add the listed clusters that match and are new: they appeared. */
static void
watch_disc_appear(struct watch *w)
{
	struct watch_disc *d = w->disc;
	const struct discover_cluster *c;
	char *label;
	size_t i;

	w->units_other = 0;
	for (i = 0; i < d->reading.n; i++) {
		c = &d->reading.v[i];
		if (!discover_name_matches(&d->base->cluster_names, c->name) ||
		    discover_list_find(&d->known, c->id) != NULL)
			continue;
		if (!watch_shard_owns(w, c->id)) {
			w->units_other++; /* another shard polls it */
			continue;
		}
		watch_disc_add(d, c->id, c->name);
		label = watch_disc_label(c);
		log_info("watch %s: cluster %s appeared; %s", w->conf->name,
		    label,
		    w->conf->on_start == CONFIG_ON_START_BASELINE
			? "its tasks get a baseline"
			: "its tasks are reported as appeared");
		free(label);
	}
}

/* A discovery succeeded: reconcile the known clusters with its answer. */
static void
watch_disc_apply(struct watch *w)
{
	struct watch_disc *d = w->disc;
	int missing;

	watch_disc_seed(w);
	missing = watch_disc_mark(w);
	watch_disc_drop(w);
	watch_disc_appear(w);
	watch_disc_view(w);
	if (d->reading.skipped > 0)
		log_at(log_repeat_due(++d->skips) ? LOG_WARNING : LOG_DEBUG,
		    "watch %s: %s listed %zu entries without a usable cluster "
		    "id; they are not polled",
		    w->conf->name, discover_name(d->api), d->reading.skipped);
	else
		d->skips = 0;
	if (d->reading.other > 0)
		log_at(log_repeat_due(++d->others) ? LOG_WARNING : LOG_DEBUG,
		    "watch %s: %s lists %zu %s (the first: %s); they are not "
		    "polled",
		    w->conf->name, discover_name(d->api), d->reading.other,
		    d->reading.other_hint, d->reading.other_first);
	else
		d->others = 0;
	if (d->known.n == 0)
		log_at(d->ok ? LOG_DEBUG : LOG_INFO,
		    "watch %s: no cluster to poll (%s lists %zu%s)",
		    w->conf->name, discover_name(d->api), d->reading.n,
		    d->base->cluster_names.n > 0
			? ", none matches cluster_names"
			: "");
	if (d->fails > 0)
		log_info(
		    "watch %s: cluster discovery works again", w->conf->name);
	d->ok = 1;
	d->fails = 0;
	w->stats.discover_failures = 0;
	w->stats.discover_error[0] = '\0';
	/* A missing cluster is confirmed (or not) at the next poll. */
	d->due_ms = missing ? 0 : monotime_ms() + d->base->discover_interval_ms;
	discover_list_clear(&d->reading);
}

/*
 * A discovery failed.  Before any success the poll fails like any other.
 * After one, an answer of the list-clusters call itself (an HTTP error,
 * an unusable body) keeps the clusters known, polls them, and is tried
 * again at the next poll; network, authentication and throttling
 * failures say nothing of the list and fail the poll.
 */
static void
watch_disc_failed(struct watch *w, enum apierr_class class, const char *msg,
    int64_t retry_after_ms)
{
	struct watch_disc *d = w->disc;
	char *m = xasprintf("cluster discovery (%s): %s",
	    d->api != NULL ? discover_name(d->api) : "none", msg);

	discover_list_clear(&d->reading);
	d->due_ms = 0;
	if (!d->ok || (class != APIERR_HTTP && class != APIERR_PARSE)) {
		watch_fail(w, class, m, retry_after_ms);
		free(m);
		return;
	}
	w->fail_local = 0; /* no poll failure carries it */
	w->stats.discover_failures = ++d->fails;
	snprintf(
	    w->stats.discover_error, sizeof(w->stats.discover_error), "%s", m);
	log_at(log_repeat_due(d->fails) ? LOG_WARNING : LOG_DEBUG,
	    "watch %s: %s (%u in a row); polling the %zu clusters found "
	    "before, trying again at the next poll",
	    w->conf->name, m, d->fails, d->known.n);
	free(m);
	watch_list_start(w);
}

/* A page of the cluster list arrived, or the reason it did not. */
static void
watch_disc_cb(const struct auth_answer *a, void *arg)
{
	struct watch *w = arg;
	struct watch_disc *d = w->disc;
	const struct http_response *resp = a->resp;
	char *cause = NULL;

	w->call = NULL;
	w->stats.requests += a->requests;
	if (a->cancelled)
		return;
	if (a->err != NULL) {
		w->fail_local = a->err->local;
		watch_disc_failed(
		    w, a->err->class, a->err->msg, resp->retry_after_ms);
		return;
	}
	if (discover_parse(d->api, resp->status, resp->body, resp->body_len,
		&d->reading, &d->cursor, &cause) == -1) {
		watch_disc_failed(
		    w, APIERR_PARSE, cause ? cause : "unusable response", -1);
		free(cause);
		return;
	}
	if (!d->cursor.done) {
		watch_disc_next(w);
		return;
	}
	watch_disc_apply(w);
	watch_list_start(w);
}

/* Request the cluster list's page at the discovery's cursor. */
static void
watch_disc_next(struct watch *w)
{
	struct watch_disc *d = w->disc;
	struct provider_ctx ctx;
	struct sign_req *req;
	char *cause = NULL;

	if (d->api == NULL) {
		watch_fail(w, APIERR_CONFIG,
		    "clusters: all: the API has no list-clusters call", -1);
		return;
	}
	if (watch_need_project(w) || watch_gate(w, watch_disc_next))
		return;
	watch_ctx(w, &ctx);
	req = sign_req_new();
	if (discover_req(d->api, &ctx, &d->cursor, req, &cause) == -1) {
		sign_req_free(req);
		watch_disc_failed(
		    w, APIERR_PARSE, cause ? cause : "no request", -1);
		free(cause);
		return;
	}
	if (watch_endpoint(w, req) == -1)
		watch_disc_failed(
		    w, APIERR_NETWORK, "cannot start request", -1);
	else
		w->call = watch_send(w, req, 0, watch_disc_cb, w);
}

/*
 * Static sharding (env->shard): a watch polls only the poll units the
 * shard owns (shard.h): of a per-cluster API the clusters whose
 * "WATCH/CLUSTER_ID" hashes to it, of a project-wide one (DDS, GaussDB)
 * the whole listing when "WATCH" does.  Discovery (clusters: all) runs
 * on every shard, as which clusters are owned is known only once they
 * are listed.
 */

/* 1 if the watch's listing is per cluster (a unit per cluster). */
static int
watch_per_cluster(const struct watch *w)
{
	return w->prov->scope_key != NULL;
}

/* 1 if the shard owns the unit of cluster (NULL: the project-wide one). */
static int
watch_shard_owns(const struct watch *w, const char *cluster)
{
	return shard_owns_unit(&w->env->shard, w->conf->name, cluster);
}

/* 1 if the watch has something to poll on this shard. */
int
watch_shard_polls(const struct watch *w)
{
	if (w->env->shard.count <= 1 || w->disc != NULL)
		return 1;
	if (!watch_per_cluster(w))
		return watch_shard_owns(w, NULL);
	return w->conf->clusters.n > 0;
}

/*
 * Point the watch at conf (a literal clusters list or project-wide):
 * sharded, a per-cluster one through its view of the owned clusters.
 */
static void
watch_shard_view(struct watch *w, const struct config_watch *conf)
{
	size_t i, n = 0;

	w->conf = conf;
	w->units_other = 0;
	if (w->env->shard.count <= 1)
		return;
	if (!watch_per_cluster(w)) {
		w->units_other = !watch_shard_owns(w, NULL);
		return;
	}
	w->shard_ids = xreallocarray(w->shard_ids,
	    conf->clusters.n > 0 ? conf->clusters.n : 1, sizeof(*w->shard_ids));
	for (i = 0; i < conf->clusters.n; i++) {
		if (watch_shard_owns(w, conf->clusters.v[i]))
			w->shard_ids[n++] = conf->clusters.v[i];
		else
			w->units_other++;
	}
	w->shard_view = *conf;
	w->shard_view.clusters.v = w->shard_ids;
	w->shard_view.clusters.n = n;
	w->conf = &w->shard_view;
}

/*
 * At the start, drop the saved tasks of units another shard owns (the
 * shard changed since they were saved): their scopes lose their baseline,
 * so a unit that comes back to this shard later gets a new one, as an
 * added cluster does.
 */
static void
watch_shard_prune(struct watch *w)
{
	char *const *scopes;
	char **keep, *id;
	size_t i, n, nk = 0, dropped;

	if (w->env->shard.count <= 1)
		return;
	if (!watch_per_cluster(w) && !watch_shard_owns(w, NULL)) {
		if ((dropped = taskstate_count(w->env->ts, w->conf->name, -1)) >
		    0)
			log_info("watch %s: another shard than %u of %u owns "
				 "it; %zu saved tasks dropped",
			    w->conf->name, w->env->shard.index,
			    w->env->shard.count, dropped);
		taskstate_forget_watch(w->env->ts, w->conf->name);
		return;
	}
	scopes = taskstate_scopes(w->env->ts, w->conf->name, &n);
	if (scopes == NULL || n == 0 || !watch_per_cluster(w))
		return;
	keep = xcalloc(n, sizeof(*keep));
	for (i = 0; i < n; i++) {
		id = xstrndup(scopes[i], strcspn(scopes[i], "/"));
		if (watch_shard_owns(w, id))
			keep[nk++] = xstrdup(scopes[i]);
		free(id);
	}
	if (nk < n) {
		dropped =
		    taskstate_keep_scopes(w->env->ts, w->conf->name, keep, nk);
		log_info("watch %s: %zu saved scopes belong to other shards "
			 "than %u of %u; their %zu tasks dropped",
		    w->conf->name, n - nk, w->env->shard.index,
		    w->env->shard.count, dropped);
	}
	provider_scope_keys_free(keep, nk);
}

/*
 * The poll units the watch polls on this shard ("WATCH" or
 * "WATCH/CLUSTER_ID"), *n of them, and in *others how many other shards
 * poll (clusters: all: of the last discovery).  Free with
 * provider_scope_keys_free.
 */
char **
watch_units(const struct watch *w, size_t *n, size_t *others)
{
	char **v;
	size_t i;

	*others = w->units_other;
	if (!watch_per_cluster(w)) {
		*n = watch_shard_polls(w) ? 1 : 0;
		v = xcalloc(1, sizeof(*v));
		if (*n == 1)
			v[0] = shard_unit(w->conf->name, NULL);
		return v;
	}
	*n = w->conf->clusters.n;
	v = xcalloc(*n > 0 ? *n : 1, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = shard_unit(w->conf->name, w->conf->clusters.v[i]);
	return v;
}
