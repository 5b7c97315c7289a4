/*
 * Notification delivery: routes events through the rules and hands them to
 * each notifier's queue.  Per notifier, one task's events are delivered in
 * order; other tasks do not wait.  Delivery never blocks the loop.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "evt.h"

struct event_base;
struct http;
struct notify;

/* Create the notifiers of conf on base, sending HTTP through http. */
struct notify *notify_new(
    struct event_base *base, struct http *http, const struct config *conf);
/*
 * Swap in a new config (reload): notifiers kept by name and type keep their
 * queues; removed ones finish what they hold.  conf must outlive notify or
 * the next reconfigure.
 */
void notify_reconfigure(struct notify *n, const struct config *conf);
/*
 * Where the events notifiers make (hook_failed, hook_suppressed,
 * hook_circuit_open) go: emit takes each one, from the loop, to route it
 * like any event.  Until it is set they are held.
 */
void notify_set_emit(
    struct notify *n, void (*emit)(struct evt *ev, void *arg), void *arg);
/* Route an event and queue a copy for each chosen notifier. */
void notify_event(struct notify *n, const struct evt *ev);
/*
 * Compile every template conf's notifiers name (a PagerDuty link, ...):
 * each problem adds a line "file:line:col: key: what" to *errors (caller
 * frees; "" when none).  The number of problems.
 */
size_t notify_check(const struct config *conf, char **errors);
/* Events queued or in flight, over all notifiers. */
size_t notify_pending(const struct notify *n);
/* Log a one-line summary per notifier (SIGUSR1). */
void notify_log_summary(const struct notify *n);
/* Cancel what is in flight and free everything; NULL is a no-op. */
void notify_free(struct notify *n);
/*
 * Make delivery durable through ob (outbox.h; borrowed, must outlive n):
 * the notifiers load what they keep in the config's state_dir (the
 * alertmanager notifier's alerts), the undelivered notifications of the
 * previous run are queued again, and from now on every event is written
 * to ob before its first attempt.
 */
struct outbox;
void notify_set_outbox(struct notify *n, struct outbox *ob);
/*
 * 0 while the outbox cannot write (disk full, I/O error): events are then
 * in memory only, delivered but not safe from a crash.  1 otherwise, and
 * without an outbox.  For /healthz.
 */
int notify_storage_ok(const struct notify *n);
/*
 * Put dead letters back in the outbox and queue them (outbox_dead_retry):
 * the one id names, or all with id NULL; only notifier's (NULL: any).
 * For `taskwatchctl dead retry`.  *count moved; -1 with *cause.
 */
int notify_dead_retry(struct notify *n, const char *notifier, const char *id,
    size_t *count, char **cause);

/*
 * Task t of watch was acknowledged (ack NULL: no longer): each notifier
 * that repeats something about it stops (or resumes).  How many things
 * (alerts) changed, over all notifiers.
 */
size_t notify_ack(struct notify *n, const char *watch, const struct task *t,
    const struct evt_ack *ack);

/*
 * Write, as a JSON array, each active notifier's guardrails (the exec
 * notifiers' run budgets and circuit breakers), for `taskwatchctl hooks`.
 */
struct json_writer;
void notify_hooks_write(struct notify *n, struct json_writer *w);
/*
 * Close the circuit breaker of the notifier called name (`taskwatchctl
 * hooks reset`); *was_open tells whether it was not closed.  -1 with
 * *cause (caller frees) if there is no such notifier or it has no breaker.
 */
int notify_hooks_reset(
    struct notify *n, const char *name, int *was_open, char **cause);

/*
 * High availability: with a gate set, every delivery attempt first asks
 * it, and waits for its answer (notify_gate_answer, never from within
 * check).  What the gate may answer:
 */
enum notify_gate_verdict {
	NOTIFY_GATE_SEND,  /* deliver now */
	NOTIFY_GATE_SKIP,  /* another replica did it: out of the outbox */
	NOTIFY_GATE_WAIT,  /* not the active replica: hold it, ask later */
	NOTIFY_GATE_RETRY, /* cannot tell now: a failed attempt (detail) */
	NOTIFY_GATE_DEAD,  /* cannot be done safely: a dead letter (detail) */
};
struct notify_item;
struct notify_gate_ops {
	/* Ask about one attempt; a handle for cancel. */
	void *(*check)(void *arg, const char *notifier,
	    enum config_notifier_type type, const char *event_id,
	    struct notify_item *token);
	/* Forget a check: it must not answer. */
	void (*cancel)(void *arg, void *handle);
	/*
	 * An attempt ended for good: delivered (the receiver took it) or
	 * not (refused, or an exec hook that ran and failed).
	 */
	void (*settled)(void *arg, const char *notifier,
	    enum config_notifier_type type, const char *event_id,
	    int delivered);
};
/*
 * Set the gate (ops NULL: none); an item held by WAIT is asked again
 * every wait_ms, or at once by notify_gate_opened.
 */
void notify_set_gate(struct notify *n, const struct notify_gate_ops *ops,
    void *arg, uint64_t wait_ms);
/* The gate's answer to check (detail: why, for RETRY and logs). */
void notify_gate_answer(
    struct notify_item *token, enum notify_gate_verdict v, const char *detail);
/* This replica became the active one: ask again for every held item. */
void notify_gate_opened(struct notify *n);
/* This replica is no longer the active one: types repeat nothing. */
void notify_gate_closed(struct notify *n);
/* Items held by the gate, over all notifiers. */
size_t notify_gate_held(const struct notify *n);

/* One notifier's figures, for the status endpoint. */
struct notify_stats {
	const char *name;
	const char *type;
	int draining;   /* removed by a reload, still delivering */
	size_t pending; /* queued + in flight */
	unsigned inflight;
	uint64_t delivered;
	uint64_t failed; /* refused or given up: dead-lettered */
	uint64_t retries;
};
/* Call cb with the figures of each notifier, active ones first. */
void notify_foreach(const struct notify *n,
    void (*cb)(const struct notify_stats *st, void *arg), void *arg);

#endif
