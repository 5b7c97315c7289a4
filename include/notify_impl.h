/*
 * The inside of notification delivery, shared by notify.c and the notifier
 * types: a const vtable per type (notify_webhook.c, notify_syslog.c, ...),
 * the notifier and queued item they work on, and the one call through which
 * a type reports how a delivery went.  Nothing outside notify*.c includes it.
 */
#ifndef NOTIFY_IMPL_H
#define NOTIFY_IMPL_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "evt.h"
#include "hashmap.h"

struct event_base;
struct http;
struct notify;
struct notify_key;
struct notify_notifier;
struct timer;
struct notify_item;
struct outbox_entry;
struct json_writer;

/* How one delivery attempt ended. */
enum notify_result {
	NOTIFY_DELIVERED,
	NOTIFY_RETRY,  /* temporary: try the same item again later */
	NOTIFY_FAILED, /* final: the receiver refused it */
};

/* A notifier type. */
struct notify_ops {
	const char *type; /* "webhook", as in the config */
	/*
	 * Build or rebuild nf->priv from conf, on creation and when a reload
	 * keeps the notifier.  conf is only borrowed for the call: copy what
	 * is needed later (a draining notifier outlives its config).
	 */
	void (*configure)(
	    struct notify_notifier *nf, const struct config_notifier *conf);
	/*
	 * Start delivering it.  Report the outcome exactly once with
	 * notify_item_done, now or later.
	 */
	void (*deliver)(struct notify_notifier *nf, struct notify_item *it);
	/*
	 * Abort a delivery that has not reported yet; notify_item_done must
	 * not be called for it afterwards.  NULL if deliver never goes async.
	 */
	void (*cancel)(struct notify_notifier *nf, struct notify_item *it);
	/*
	 * Keep the type's state in the directory state_dir from now on and
	 * load what an earlier run left there; called before any delivery
	 * of the outbox's entries.  NULL if the type keeps no state.
	 */
	void (*restore)(struct notify_notifier *nf, const char *state_dir);
	/*
	 * Task t of watch was acknowledged (ack NULL: no longer): stop (or
	 * resume) what the type repeats about it until its state changes.
	 * How many things (alerts) it changed.  NULL if it repeats nothing.
	 */
	size_t (*ack)(struct notify_notifier *nf, const char *watch,
	    const struct task *t, const struct evt_ack *ack);
	/*
	 * Write the type's guardrails (exec: run budget and circuit
	 * breaker) as one JSON object, for `taskwatchctl hooks`; close its
	 * breaker with reset (1 if it was not closed).  NULL if none.
	 */
	void (*guard_write)(struct notify_notifier *nf, struct json_writer *w);
	int (*guard_reset)(struct notify_notifier *nf);
	/*
	 * Another replica delivered it (high availability): change the
	 * type's state as that delivery did, sending nothing, so that this
	 * replica repeats and resolves the same alerts once it takes over.
	 * NULL if the type keeps no such state.
	 */
	void (*absorb)(struct notify_notifier *nf, struct notify_item *it);
	/* Free nf->priv (after cancelling its items); save its state. */
	void (*free)(struct notify_notifier *nf);
};

/* One configured notifier and its queues. */
struct notify_notifier {
	char *name;
	enum config_notifier_type type;
	const struct notify_ops *ops;
	struct event_base *base; /* borrowed */
	struct http *http;       /* borrowed */
	void *priv;              /* the type's state */
	unsigned max_inflight;   /* configure may change it */

	/* Below: notify.c's. */
	struct notify *notify; /* borrowed */
	/* borrowed; NULL once draining (its config may be gone) */
	const struct config_notifier *conf;
	int draining; /* removed by a reload */
	uint64_t retry_initial_ms;
	uint64_t retry_max_ms;
	uint64_t give_up_after_ms;
	struct hashmap keys;            /* the per-task FIFOs, by name */
	TAILQ_HEAD(, notify_key) ready; /* keys whose head may go */
	TAILQ_HEAD(, notify_item) done; /* reported, unhandled */
	struct timer *kick;             /* runs the queues */
	unsigned inflight;
	size_t npending; /* queued + in flight */
	int failing;     /* a delivery is failing */
	uint64_t delivered;
	uint64_t failed;
	uint64_t retries;
	TAILQ_ENTRY(notify_notifier) entry;
};

/*
 * 0 while this replica is not the active one (high availability): a
 * type sends nothing on its own (repeats) then.  1 without HA.
 */
int notify_active(const struct notify_notifier *nf);

/* One event queued for one notifier. */
struct notify_item {
	struct evt *ev; /* rule, severity as routed */
	char *body;     /* event document, built once */
	size_t body_len;
	unsigned attempts;          /* this one included */
	void *priv;                 /* the type's, in flight */
	struct notify_notifier *nf; /* borrowed */

	/* Below: notify.c's. */
	struct notify_key *key; /* borrowed */
	int inflight;           /* started, not reported */
	uint64_t first_ms;      /* monotonic, first attempt */
	enum notify_result result;
	int64_t retry_after_ms;
	char *error;        /* last failure */
	long answer_status; /* the receiver's last refusal */
	char *answer;       /* its body's start; NULL if none */
	size_t answer_len;
	struct outbox_entry *obentry; /* its durable copy; NULL if none */
	void *gate_req; /* the gate's check in flight; NULL if none */
	int gate_held;  /* the gate said wait: not the active replica */
	TAILQ_ENTRY(notify_item) entry; /* in its key's FIFO */
	TAILQ_ENTRY(notify_item) done_entry;
};

/*
 * Report how a delivery went: retry_after_ms is the receiver's wish (-1 if
 * none), error says what went wrong (NULL when delivered).  May be called
 * from within deliver; the item is handled later from the loop.
 */
void notify_item_done(struct notify_item *it, enum notify_result result,
    int64_t retry_after_ms, const char *error);
/*
 * Keep what the receiver answered to the last attempt (status, and at
 * most OUTBOX_EXCERPT_MAX bytes of its body) for a dead letter; call
 * before notify_item_done.  Only a response: never request headers.
 */
void notify_item_answer(
    struct notify_item *it, long status, const char *body, size_t len);
/*
 * Report how an HTTP delivery of it went, by the rules webhooks and
 * PagerDuty share: 2xx delivered; 408, 429, 5xx, network errors and
 * timeouts retried; anything else final.
 */
struct http_response;
void notify_item_http_done(
    struct notify_item *it, const struct http_response *resp);
/* Build (once) and return the item's event document. */
const char *notify_item_body(struct notify_item *it, size_t *len);
/*
 * An item that will not be delivered: moved to the dead-letter directory
 * (when the daemon has a state directory) and logged at LOG_CRIT.
 */
void notify_dead_letter(
    struct notify_notifier *nf, struct notify_item *it, const char *reason);
/*
 * The task an event is about, as a key: "watch\037cluster\037id", or the
 * watch alone for watch_* events.  A notifier's FIFOs and the exec
 * notifier's cooldowns are per key.  Caller frees.
 */
char *notify_key_name(const struct evt *ev);
/*
 * The name of a notifier's file in state_dir: prefix, then the name with
 * every byte but [A-Za-z0-9._-] as %XX, then ".json".  Caller frees.
 */
char *notify_state_file_name(const char *prefix, const char *notifier);
/*
 * nf made ev (finished; taken): it is routed like any event, from the
 * loop, soon.  Never routed back to nf (ev->hook_notifier).
 */
void notify_emit(struct notify_notifier *nf, struct evt *ev);

/*
 * The daemon section of the config in use (borrowed: it changes at a
 * reload; read it when needed, do not keep it).
 */
const struct config_daemon *notify_daemon_conf(
    const struct notify_notifier *nf);

/* The notifier types. */
extern const struct notify_ops notify_webhook_ops;
extern const struct notify_ops notify_syslog_ops;
extern const struct notify_ops notify_alertmanager_ops;
extern const struct notify_ops notify_exec_ops;
extern const struct notify_ops notify_pagerduty_ops;
extern const struct notify_ops notify_email_ops;

/* The logfmt line the syslog notifier sends for ev; caller frees. */
char *notify_syslog_format(const struct evt *ev);
/*
 * The environment of an exec hook for ev ("NAME=value", NULL-terminated);
 * free with notify_exec_env_free.
 */
char **notify_exec_env(const struct evt *ev);
void notify_exec_env_free(char **env);
/*
 * The alertname of the alert ev opens at an alertmanager notifier, NULL if
 * it opens none; caller frees.
 */
char *notify_alertmanager_alertname(const struct evt *ev);
/*
 * Apply ev to an alertmanager notifier's alerts at now (unix seconds) as
 * a delivery does, without posting; the alerts it changed, as the JSON
 * that would be posted, or NULL.  Caller frees.
 */
char *notify_alertmanager_apply(
    struct notify_notifier *nf, const struct evt *ev, int64_t now);
/*
 * Write an alertmanager notifier's alerts file now (it is written on a
 * timer and at the end); -1 with errno set, or if it keeps none.
 */
int notify_alertmanager_save(struct notify_notifier *nf);

#endif
