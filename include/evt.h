/*
 * Events: what the diff found, with a stable id, a default severity, the
 * event document of product.md and a one-line summary.  Pure; no I/O.
 * The module is called evt, not event: libevent owns struct event,
 * event_new() and event_free(), and both are used in the same files.
 */
#ifndef EVT_H
#define EVT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "task.h"

#define EVT_ID_LEN 32 /* hex characters */
#define EVT_VERSION 1
#define EVT_ACK_COMMENT_MAX 200 /* bytes of an acknowledgement's comment */

enum evt_kind {
	EVT_APPEARED,
	EVT_TRANSITION,
	EVT_VANISHED,
	EVT_STALLED,
	EVT_WATCH_FAILED,
	EVT_WATCH_RECOVERED,
	EVT_REPLACED, /* left a listing for a newer task of its base type */
	EVT_WATCH_FLAPPING,    /* failed and recovered flap_threshold times */
	EVT_SILENCE_ENDED,     /* what happened under a silence that ended */
	EVT_OVERDUE,           /* a running task past its expected duration */
	EVT_HOOK_FAILED,       /* an exec notifier's hook failed */
	EVT_HOOK_SUPPRESSED,   /* a hook not run: its budget is spent */
	EVT_HOOK_CIRCUIT_OPEN, /* a hook disabled after repeated failures */
	EVT_KIND_COUNT
};

/*
 * An acknowledgement of a task (taskwatchctl ack): who, when, why, and the
 * state it acknowledged.  The task table keeps it until the task's state
 * changes (taskstate.h).
 */
struct evt_ack {
	long by_uid;           /* the control socket's peer */
	int64_t at;            /* unix seconds */
	char *comment;         /* NULL: none; capped, no control characters */
	enum task_state state; /* the task's state when acknowledged */
};

struct evt {
	char id[EVT_ID_LEN + 1];
	enum evt_kind kind;
	enum config_severity severity;
	char *rule;          /* matching rule name; NULL */
	int64_t occurred_at; /* unix seconds */
	int64_t observed_at; /* unix seconds */
	int missed;          /* happened while we were down */
	int test;            /* made by taskwatchctl test-event --send */
	char *watch;
	char *api;
	char *account;
	char *region;
	int has_task; /* not for watch_* events */
	struct task task;
	int has_previous; /* transition, vanished, stalled */
	enum task_state prev_state;
	char *prev_raw;
	int prev_progress;
	/*
	 * The action a task type is a run or an outcome of, as its provider
	 * says (DWS SNAPSHOTTING_FAILED: SNAPSHOTTING); NULL: the type itself.
	 * Alerts of a base type are resolved by its success.
	 */
	char *base_type;
	char *error_class; /* watch_failed, watch_flapping: the last error */
	char *error_msg;   /* watch_failed, watch_flapping */
	/*
	 * watch_failed, watch_recovered, watch_flapping: the failure
	 * streak's start (watch_flapping and the recovery that ends it: the
	 * flapping's) and length, the last good poll (TASK_TIME_NONE: none).
	 * Not in the id.
	 */
	int64_t fail_since;
	unsigned consecutive_failures;
	int64_t last_success;
	/*
	 * watch_flapping and the watch_recovered that ends a flapping: the
	 * failure cycles counted and the watch's flap_window; 0: none.
	 */
	unsigned flap_cycles;
	int64_t flap_window_s;
	/*
	 * Routing, not the event: delivered to an alertmanager notifier only
	 * so that it may resolve its alerts, never open one (notify.c).
	 */
	int resolve_only;
	/*
	 * The id of the silence the event came under (silence.h), NULL if
	 * none: it is recorded and goes only to notifiers that take silenced
	 * events.  In the document, not in the id.
	 */
	char *silenced;
	/*
	 * The task's acknowledgement when the event was made, NULL if none;
	 * an event that changed the task's state carries the ack it ended.
	 * In the document, not in the id.
	 */
	struct evt_ack *ack;
	/*
	 * The id of the silence whose end raised this event again (the task
	 * is still failed), NULL if none.  In the document.
	 */
	char *after_silence;
	/*
	 * silence_ended: the "silence" object of the document (JSON text:
	 * the silence, its counts and the tasks it silenced).
	 */
	char *silence_doc;
	/*
	 * overdue: the "overdue" object of the document (JSON text: the
	 * task's age, the limit and where it comes from).
	 */
	char *overdue_doc;
	/*
	 * hook_*: the "hook" object of the document (JSON text: the exec
	 * notifier, the event its hook was for, what happened, "reason" a
	 * short phrase for the summary), and that notifier's name: a hook
	 * event is never delivered to the notifier it is about.
	 */
	char *hook_doc;
	char *hook_notifier;
	/*
	 * What makes this occurrence unique beyond kind, task and states
	 * (e.g. when a failure streak or a stall began); part of the id.
	 */
	char *obs;
};

/* 1 if events of kind are about an exec notifier's hook (hook_*). */
int evt_kind_hook(enum evt_kind kind);

struct evt_list {
	struct evt **v;
	size_t n;
	size_t cap;
};

/*
 * A new acknowledgement by uid at at (unix seconds) of a task in state:
 * comment (NULL: none) is copied without control characters, cut at
 * EVT_ACK_COMMENT_MAX bytes.
 */
struct evt_ack *evt_ack_new(
    long uid, int64_t at, const char *comment, enum task_state state);
/* A copy of an acknowledgement; NULL for NULL. */
struct evt_ack *evt_ack_dup(const struct evt_ack *a);
/* Free an acknowledgement; NULL is a no-op. */
void evt_ack_free(struct evt_ack *a);
/*
 * Write an acknowledgement as member key, an object (by_uid, at, comment,
 * state); nothing when a is NULL.
 */
struct json_writer;
void evt_write_ack(
    struct json_writer *w, const char *key, const struct evt_ack *a);
/*
 * Read key of o, an "ack" object as evt_write_ack writes it, into *out
 * (NULL when absent or null).  -1 with *cause (caller frees) if it is not
 * one.
 */
struct json;
int evt_read_ack(
    const struct json *o, const char *key, struct evt_ack **out, char **cause);
/* A new, empty event of a kind: task initialised, severity unset. */
struct evt *evt_new(enum evt_kind kind);
/* Free an event; NULL is a no-op. */
void evt_free(struct evt *ev);
/* Deep copy. */
struct evt *evt_dup(const struct evt *ev);
/* Fill in the default severity (if unset) and compute the stable id. */
void evt_finish(struct evt *ev);
/* The default severity of product.md for this event. */
enum config_severity evt_default_severity(const struct evt *ev);
/*
 * The stable id: hex of a hash over watch, cluster, task id, kind, previous
 * and current state and raw word, and obs.  Same event, same id.
 */
void evt_compute_id(const struct evt *ev, char out[EVT_ID_LEN + 1]);
/* The event document of product.md, compact JSON; caller frees. */
char *evt_to_json(const struct evt *ev, size_t *len);
/* Write a task as the "task" object of the event document. */
void evt_write_task(struct json_writer *w, const struct task *t);
/*
 * Read a "task" object as evt_write_task writes it into t (initialised by
 * the caller; cleared on failure).  -1 with *cause (caller frees) if it is
 * not one.
 */
int evt_read_task(const struct json *o, struct task *t, char **cause);
/*
 * The event back from its document (evt_to_json): id, rule, severity and
 * every field the document carries; obs is not in the document and is
 * left NULL.  NULL with *cause (caller frees) if it is not one.
 */
struct evt *evt_from_json(const struct json *doc, char **cause);
/*
 * The event taskwatchctl test-event describes for watch w: kind, task
 * type (required for task events), cluster, previous and new state names
 * (NULL: RUNNING before; FAILED after for a transition, RUNNING
 * otherwise), at now_ms (wall clock, which also makes its id unique).
 * Finished; NULL with *cause on bad input.
 */
struct evt *evt_test_new(const struct config_watch *w, enum evt_kind kind,
    const char *type, const char *cluster, const char *from, const char *to,
    int64_t now_ms, char **cause);
/*
 * 1 if path (dot-separated, "task.id") names a field the event document
 * may have: what a template may read (template.h).
 */
int evt_doc_field(const char *path);
/* The one-line "watch: Type on cluster FROM -> TO: reason" text; caller frees. */
char *evt_summary(const struct evt *ev);
/* 1 for events about a watch rather than a task (watch_failed, ...). */
int evt_is_watch_event(const struct evt *ev);
/* The base type of the event's task: base_type, else the task's type. */
const char *evt_base_type(const struct evt *ev);
/* "appeared", "transition", ...; and back (-1 if unknown). */
const char *evt_kind_name(enum evt_kind kind);
int evt_kind_from_name(const char *name);
/* Append an event (ownership passes to the list). */
void evt_list_add(struct evt_list *l, struct evt *ev);
/* Free every event and the storage; the list is left empty. */
void evt_list_clear(struct evt_list *l);

#endif
