/*
 * A small metrics registry: counters, gauges and histograms with labels,
 * rendered in the Prometheus text format.  No I/O; status.c serves what
 * metrics_render writes.  The daemon's figures live in one registry per
 * process (metrics_global), as in every Prometheus client library, so the
 * modules that count need no extra pointer passed down to them.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "buf.h"

/* The families of product.md, defined in metrics_global(). */
#define METRICS_POLLS "taskwatch_polls_total"
#define METRICS_POLL_DURATION "taskwatch_poll_duration_seconds"
#define METRICS_TASKS "taskwatch_tasks"
#define METRICS_EVENTS "taskwatch_events_total"
#define METRICS_EVENTS_SILENCED "taskwatch_events_silenced_total"
#define METRICS_NOTIFICATIONS "taskwatch_notifications_total"
#define METRICS_OUTBOX_PENDING "taskwatch_outbox_pending"
#define METRICS_WATCH_UP "taskwatch_watch_up"
#define METRICS_LAST_SUCCESS "taskwatch_last_success_timestamp_seconds"
#define METRICS_BUILD_INFO "taskwatch_build_info"
#define METRICS_SHARD "taskwatch_shard"
/* The HTTP client's totals (http_stats), set at each scrape. */
#define METRICS_HTTP_REQUESTS "taskwatch_http_requests_total"
#define METRICS_HTTP_REUSED "taskwatch_http_connections_reused_total"
/* What an operator pages on (taskwatchd(8) METRICS). */
#define METRICS_DEAD_LETTERS "taskwatch_dead_letters"
#define METRICS_OUTBOX_OLDEST "taskwatch_outbox_oldest_pending_age_seconds"
#define METRICS_STATE_WRITE_FAILURES "taskwatch_state_write_failures_total"
#define METRICS_RELOAD_OK "taskwatch_config_last_reload_successful"
#define METRICS_RELOAD_SUCCESS_TIME \
	"taskwatch_config_last_reload_success_timestamp_seconds"
#define METRICS_ACCOUNT_PAUSED "taskwatch_account_paused"
#define METRICS_IAM_TOKEN_EXPIRY "taskwatch_iam_token_expiry_timestamp_seconds"
#define METRICS_WATCH_FAILED "taskwatch_watch_failed"
#define METRICS_WATCH_FLAPPING "taskwatch_watch_flapping"
#define METRICS_WATCH_UNREAD "taskwatch_watch_unread_scopes"
/* Exec hooks not run, by reason (budget, circuit_open); the breaker. */
#define METRICS_HOOK_SUPPRESSED "taskwatch_hook_runs_suppressed_total"
#define METRICS_HOOK_CIRCUIT_OPEN "taskwatch_hook_circuit_open"
#define METRICS_PROCESS_START "process_start_time_seconds"
/* Exec hooks: runs by outcome, and audit log lines lost. */
#define METRICS_HOOK_RUNS "taskwatch_hook_runs_total"
#define METRICS_AUDIT_WRITE_ERRORS "taskwatch_audit_write_errors_total"

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

struct metrics;

/* An empty registry. */
struct metrics *metrics_new(void);
/* Free a registry; NULL is a no-op. */
void metrics_free(struct metrics *m);
/* The process's registry with the families of product.md defined. */
struct metrics *metrics_global(void);
/* Free the process's registry (at exit). */
void metrics_global_free(void);
/*
 * Define a family, once; a second definition of a name is ignored.  A
 * histogram takes its upper bounds, ascending (+Inf is implied).
 */
void metrics_define(struct metrics *m, const char *name, enum metrics_type type,
    const char *help, const double *bounds, size_t nbounds);
/*
 * Change a series: add v to a counter, set a gauge to v, or observe v in a
 * histogram.  The series is named by label pairs, key then value, ending
 * with NULL; a NULL value is "".  -1 if the family is unknown or of
 * another type.
 */
int metrics_add(struct metrics *m, const char *name, double v, ...)
    __attribute__((sentinel));
int metrics_set(struct metrics *m, const char *name, double v, ...)
    __attribute__((sentinel));
int metrics_observe(struct metrics *m, const char *name, double v, ...)
    __attribute__((sentinel));
/* The value of a counter or gauge series, or the count of a histogram one; 0 if none. */
double metrics_get(const struct metrics *m, const char *name, ...)
    __attribute__((sentinel));
/* Drop every series of a family (gauges rebuilt at each scrape). */
void metrics_reset(struct metrics *m, const char *name);
/* Append the Prometheus text format (version 0.0.4); -1 past b's cap. */
int metrics_render(const struct metrics *m, struct buf *b);

#endif
