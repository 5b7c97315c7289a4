/*
 * This instance as one replica of a shard (daemon.ha): the etcd client,
 * the election, and the gate every delivery passes.  The active replica
 * delivers; a standby holds what it detects and drops what the active one
 * marked delivered.  Exec hooks are claimed before they run, so one runs
 * once across replicas, and fail closed when etcd cannot say.
 */
#ifndef REPLICA_H
#define REPLICA_H

#include "config.h"

struct event_base;
struct http;
struct notify;
struct replica;

/* Leadership changed: active 1 or 0, and why (one short phrase). */
typedef void (*replica_change_cb)(int active, const char *why, void *arg);

/*
 * Join the election of shard for conf (netcd > 0) and gate n's
 * deliveries; password is the etcd user's (NULL: none; copied).  id names
 * this instance (stable across its restarts).  NULL with *cause (caller
 * frees) if the configuration cannot be used.
 */
struct replica *replica_new(struct event_base *base, struct http *http,
    const struct config_ha *conf, unsigned shard, const char *id,
    const char *password, struct notify *n, replica_change_cb cb, void *arg,
    char **cause);
/*
 * Step down and give the leader key up (SIGTERM) so that a standby takes
 * over at once; deliveries stop.
 */
void replica_resign(struct replica *r);
/* 1 while the resignation is not yet sent and answered. */
int replica_resigning(const struct replica *r);
/* Free, after notify_free (its checks are cancelled then); NULL: no-op. */
void replica_free(struct replica *r);
/* 1 if active at this moment by the lease (a paused one steps down). */
int replica_active(struct replica *r);
/* "leader", "standby" or "noLease", for status pages. */
const char *replica_state(const struct replica *r);
/*
 * Watch failure states (watch_failed, watch_flapping) the active replica
 * keeps in etcd, so that its successor carries the outage on with the
 * same event ids.
 */
struct watch_failure;
void replica_watch_note(
    struct replica *r, const char *watch, const struct watch_failure *f);
typedef void (*replica_watch_cb)(
    const char *watch, const struct watch_failure *f, void *arg);
/*
 * Read the kept states: seed for each, then done (ok 0: etcd failed,
 * logged) once, from the loop.  A second fetch cancels the first.
 */
void replica_watches_fetch(struct replica *r, replica_watch_cb seed,
    void (*done)(int ok, void *arg), void *arg);
/*
 * Silences, shared by every replica (of every shard) under
 * "<prefix>/silences/<id>".  replica_silences_sync reads them now and
 * every few seconds and hands their texts over (not when etcd cannot
 * answer: logged once per run of failures); replica_silence_share puts
 * one (a failure is logged, and the next read finds it missing again).
 */
typedef void (*replica_silences_cb)(
    const char *const *texts, const size_t *lens, size_t n, void *arg);
void replica_silences_sync(
    struct replica *r, replica_silences_cb cb, void *arg);
void replica_silence_share(struct replica *r, const char *id, const char *text);
/* How much slower a standby polls than the active replica. */
#define REPLICA_STANDBY_PACE 20

/* What a status page shows of a replica; the strings are the replica's. */
struct replica_info {
	const char *state; /* replica_state() */
	unsigned shard;
	const char *id;   /* this instance, the leader key's value */
	const char *etcd; /* the endpoint that last answered */
	size_t held;      /* notifications the gate holds */
	int64_t since;    /* unix seconds of the last leadership change */
};
/* Fill in ri; since is the start until leadership first changes. */
void replica_info(const struct replica *r, struct replica_info *ri);

#endif
