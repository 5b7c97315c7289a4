/*
 * The status endpoint (daemon.listen): GET /metrics, /livez, /healthz,
 * /api/v1/status, /api/v1/watches, /api/v1/tasks and /api/v1/dead on
 * libevent's evhttp, on the daemon's own loop.  Every answer is built from memory at once; nothing waits.
 * The daemon is seen through a view it fills in for each request.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stddef.h>

#include "buf.h"

struct config;
struct event_base;
struct http;
struct iam;
struct notify;
struct outbox;
struct ratelimit_set;
struct replica;
struct status;
struct taskstate;
struct watch;

/* What a request sees of the daemon; all borrowed. */
struct status_view {
	const struct config *conf;
	struct watch *const *watches; /* entries may be NULL */
	size_t nwatches;
	const struct taskstate *ts;
	const struct notify *notify;
	const struct http *http; /* its request totals; may be NULL */
	int stopping;            /* a graceful stop is under way */
	const char *problem; /* another reason to be unhealthy; NULL if none */
	struct outbox *ob;   /* dead letters, pending ages; may be NULL */
	const struct ratelimit_set *limits; /* account pauses; may be NULL */
	const struct iam *iam;              /* token expiry; may be NULL */
	int64_t started_at;                 /* unix seconds */
	int reload_ok;            /* the last reload worked, or none was made */
	int64_t reload_at;        /* unix seconds of the last one; 0: none */
	int64_t loaded_at;        /* when the config in use was loaded */
	const char *reload_error; /* first error of a failed reload */
	struct shard shard;       /* this instance's; count 0: unsharded */
	const struct replica *replica; /* daemon.ha; NULL: none */
};

/* Fills in the view for one request. */
typedef void (*status_view_cb)(struct status_view *view, void *arg);

/* A status endpoint on base that listens nowhere yet. */
struct status *status_new(
    struct event_base *base, status_view_cb view_cb, void *arg);
/* Close the listener and free; NULL is a no-op. */
void status_free(struct status *s);
/*
 * Listen on addr ("host:port" or "[v6addr]:port"); "" stops listening.
 * Nothing happens when addr is what is already served.  On failure the
 * previous listener stays and -1 is returned with *cause set (caller
 * frees).
 */
int status_listen(struct status *s, const char *addr, char **cause);
/* The port bound, or 0 when not listening. */
int status_port(const struct status *s);

/*
 * The bodies, built from a view.  Each appends to b and returns the HTTP
 * status code to answer with.
 */
int status_metrics(const struct status_view *v, struct buf *b);
/* "ok" while the loop answers at all. */
int status_livez(const struct status_view *v, struct buf *b);
/*
 * "ok" (200); "degraded" (200) with a line per notifier holding dead
 * letters; or the reasons to worry, one a line (503).
 */
int status_healthz(const struct status_view *v, struct buf *b);
/*
 * The daemon as a JSON object: start, last reload, dead letters, and
 * the replica's election ("ha") when there is one.
 */
int status_status(const struct status_view *v, struct buf *b);
/* The dead letters (notifier NULL or "": all) as a JSON array. */
int status_dead(
    const struct status_view *v, const char *notifier, struct buf *b);
int status_watches(const struct status_view *v, struct buf *b);
/* watch and state filter (NULL or "": all); a bad filter gives 400 or 404. */
int status_tasks(const struct status_view *v, const char *watch,
    const char *state, struct buf *b);
/*
 * /api/v1/durations: the learned task durations, all or those of a watch's
 * account and API, or of an api (NULL or "": all); 400 or 404 if wrong.
 */
int status_durations(const struct status_view *v, const char *watch,
    const char *api, struct buf *b);

#endif
