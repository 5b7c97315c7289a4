/*
 * One watch's poll cycle: request the listing page by page through its
 * provider, diff it into the task table, confirm vanished tasks with the
 * single-task lookup, count failures and emit the resulting events.
 */
#ifndef WATCH_H
#define WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "evt.h"
#include "task.h"

struct credentials_cache;
struct event_base;
struct http;
struct iam;
struct ratelimit_set;
struct sched;
struct taskstate;
struct watch;

/*
 * Complete listings in a row a task must miss to vanish where the API has
 * no single-task lookup (a listing paged by offset can skip a row).
 */
#define WATCH_ABSENCES_NO_LOOKUP 2

/* What every watch shares; all borrowed. */
struct watch_env {
	struct event_base *base;
	struct ratelimit_set *limits; /* per-account gates */
	struct http *http;
	struct iam *iam;                 /* IAM tokens (auth method token) */
	struct credentials_cache *creds; /* AK/SK and Alibaba key pairs */
	/*
	 * Send a request for the account *acct (req is taken), as
	 * auth_send does: cb fires exactly once, never from within, and
	 * cancel makes it fire now, cancelled.  NULL: auth_send over http
	 * with iam and creds.  Tests answer from here.
	 */
	void *(*send)(void *arg, const struct config_account *const *acct,
	    struct sign_req *req, const struct auth_opts *opts, auth_cb cb,
	    void *cbarg);
	void (*cancel)(void *call);
	void *send_arg;
	/* Wall-clock ms a poll starts at; NULL: monotime_wall_ms.  Tests. */
	int64_t (*wall_ms)(void);
	struct sched *sched;
	struct taskstate *ts;
	uint64_t max_response_bytes;
	/*
	 * Requests of one listing in flight at once (max_concurrent_polls)
	 * where its provider allows; 0 or 1: one page after another.
	 */
	unsigned max_in_flight;
	/* Receives each event (ownership passes to the callee). */
	void (*emit)(struct evt *ev, void *arg);
	void *emit_arg;
	/*
	 * A watch recorded a baseline: save the table soon, then tell every
	 * watch (watch_saved).  NULL: nothing is saved (--once).
	 */
	void (*baselined)(struct watch *w, void *arg);
	void *baselined_arg;
	/*
	 * The poll units this instance polls (count 0: all of them): a
	 * watch polls only the clusters, or the project-wide listing, the
	 * shard owns.  A value, fixed for the watches' lives.
	 */
	struct shard shard;
	/*
	 * Poll every interval x pace (0 and 1: every interval): a standby
	 * replica polls slowly.  Changed through watch_set_pace.
	 */
	unsigned pace;
	/* --once: called once per watch after its first poll, no events. */
	void (*once_done)(struct watch *w, int ok, void *arg);
	void *once_arg;
};

/* Per-watch figures for logs and the status endpoint. */
struct watch_stats {
	uint64_t polls_ok;
	uint64_t polls_failed;
	uint64_t requests;
	unsigned consecutive_failures;
	int failed; /* watch_failed emitted, not recovered */
	/*
	 * watch_flapping emitted, its watch_recovered not yet: the start of
	 * the first cycle counted (unix seconds); 0: not flapping.
	 */
	int64_t flapping_since_s;
	int64_t last_success_ms; /* wall clock; 0 = never */
	int local_secret_error;  /* the last poll failed on a secret here */
	uint64_t last_duration_ms;
	char last_error[256];
	/* Scopes the last finished listing could not read, and the last why. */
	size_t unread_scopes;
	char unread_error[256];
	/*
	 * clusters: all: the clusters polled, and the re-discoveries that
	 * failed in a row since the last success (the clusters known before
	 * are polled meanwhile), with the last why.
	 */
	size_t clusters;
	unsigned discover_failures;
	char discover_error[256];
};

/* Create a watch and schedule its first poll after first_delay_ms. */
struct watch *watch_new(const struct config_watch *conf,
    const struct watch_env *env, uint64_t first_delay_ms);
/* Cancel any poll in flight and free the watch; NULL is a no-op. */
void watch_free(struct watch *w);
/*
 * Point a watch at a watch of the same identity in a new config (reload):
 * tuning applies in place, tasks stay, removed scopes' tasks are dropped.
 */
void watch_set_config(struct watch *w, const struct config_watch *conf);
/*
 * A save that covers the task table up to change number covered
 * (taskstate_changes) ended; durable 0 if it failed.  A watch waiting for
 * its baseline to be saved polls again.
 */
void watch_saved(struct watch *w, uint64_t covered, int durable);
/*
 * The environment's pace changed: poll every interval x pace from now
 * on, and at once if now (a standby became the active replica).
 */
void watch_repace(struct watch *w, int now);
/*
 * What a watch's watch_* events were about, so that a replica taking
 * over (daemon.ha) carries on its predecessor's outage: its events then
 * have the ids the predecessor's would have had.
 */
struct watch_failure {
	int failed;               /* watch_failed sent, not recovered */
	int64_t streak_start_s;   /* the failing streak's first failure */
	int64_t flapping_since_s; /* watch_flapping sent; 0: not */
};
void watch_failure_get(const struct watch *w, struct watch_failure *f);
/* Take f as this watch's state (before its next poll). */
void watch_failure_seed(struct watch *w, const struct watch_failure *f);
/* 1 while the watch waits for its baseline to be saved. */
int watch_held(const struct watch *w);
/* The watch's config (borrowed). */
const struct config_watch *watch_config(const struct watch *w);
/* The watch's figures. */
const struct watch_stats *watch_get_stats(const struct watch *w);
/* 1 if the watch has a poll unit on this shard (env->shard): it polls. */
int watch_shard_polls(const struct watch *w);
/*
 * The poll units the watch polls on this shard ("WATCH" or
 * "WATCH/CLUSTER_ID"), *n of them; *others: those other shards poll.
 * Free with provider_scope_keys_free.
 */
char **watch_units(const struct watch *w, size_t *n, size_t *others);
/* This poll's listing; valid only inside the once_done callback. */
const struct task_list *watch_tasks(const struct watch *w);
/* 1 while a poll is in flight. */
int watch_busy(const struct watch *w);
/* Wall-clock ms of the next poll; 0 while one is in flight or queued. */
int64_t watch_next_poll_ms(const struct watch *w);
/*
 * The pause of the watch's account: its kind (enum ratelimit_pause_kind;
 * 0 when not paused), the wall-clock end and the reason (borrowed).
 */
int watch_paused(
    const struct watch *w, int64_t *until_wall_ms, const char **reason);

/* What watch_poll_now did. */
enum watch_poll {
	WATCH_POLL_STARTED, /* the poll starts now */
	WATCH_POLL_QUEUED,  /* it already waits for a free slot */
	WATCH_POLL_BUSY,    /* a poll is in flight; no second one */
};

/* Poll now, unless a poll is in flight or already waits for a slot. */
enum watch_poll watch_poll_now(struct watch *w);
/* Log a one-line summary of the watch (SIGUSR1). */
void watch_log_summary(const struct watch *w);

#endif
