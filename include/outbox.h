/*
 * The durable outbox: every event routed to a notifier is written to
 * {state_dir}/outbox/{notifier}/ before the first delivery attempt and
 * removed once delivered, or moved to {state_dir}/dead/{notifier}/ when
 * the notifier gives up.  At start the entries left by the previous run
 * are handed back, in order, to be delivered again with the same event id.
 * When the disk refuses a write the event stays in memory, is delivered
 * anyway, and the write is retried on a timer.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "durable.h"
#include "evt.h"

#define OUTBOX_VERSION 1
#define OUTBOX_EXCERPT_MAX 512 /* bytes of a receiver's answer kept */

struct event_base;
struct outbox;
struct outbox_entry;

/* An entry of the previous run; ev passes to the callee. */
typedef void (*outbox_replay_cb)(
    struct outbox_entry *e, struct evt *ev, int64_t enqueued_at, void *arg);

/*
 * The outbox of state_dir: creates outbox/ and dead/ if needed and scans
 * what the previous run left.  NULL with *cause (caller frees) if the
 * directories cannot be created or opened.
 */
struct outbox *outbox_new(
    struct event_base *base, const char *state_dir, char **cause);
/* Free; entries must have been released.  NULL is a no-op. */
void outbox_free(struct outbox *ob);
/* Route entry writes through fn (tests inject ENOSPC); NULL: write(2). */
void outbox_set_write_fn(struct outbox *ob, durable_write_fn fn);
/*
 * Open a notifier's box: its pending entries are handed to cb in the
 * order they were written.  Once per notifier name and process; returns
 * how many were handed over.
 */
size_t outbox_open(
    struct outbox *ob, const char *notifier, outbox_replay_cb cb, void *arg);
/* Log, once, the boxes with entries that no notifier opened. */
void outbox_warn_orphans(struct outbox *ob);
/*
 * 1 if the notifier's box already holds the event id: pending, or
 * delivered since the task table was last saved.  Sending it again would
 * only make a duplicate.
 */
int outbox_has(const struct outbox *ob, const char *notifier, const char *id);
/*
 * Write ev (as routed: rule, severity) to the notifier's box, its
 * document body given, enqueued at now_s.  Never fails: when the disk
 * refuses, the entry is kept in memory and written later.
 */
struct outbox_entry *outbox_add(struct outbox *ob, const char *notifier,
    const struct evt *ev, const char *body, size_t len, int64_t now_s);
/* Make the entries written so far durable (directory fsync); -1 if not. */
int outbox_sync(struct outbox *ob);
/* Delivered: the entry leaves the box.  e is no longer the caller's. */
void outbox_delivered(struct outbox_entry *e);
/* What a receiver answered, kept in a dead letter; all borrowed. */
struct outbox_answer {
	long status;      /* HTTP status; 0 if none */
	const char *body; /* its body (response only, never a request's) */
	size_t len;
};
/*
 * Given up: the entry moves to dead/ with why, how many attempts were
 * made and (ans, may be NULL) the receiver's status and the start of its
 * answer.  Returns the dead letter's path (caller frees), or NULL if the
 * disk refused it for now (it is retried).  e is no longer the caller's.
 */
char *outbox_dead(struct outbox_entry *e, const struct evt *ev,
    unsigned attempts, const char *reason, const struct outbox_answer *ans,
    int64_t now_s);
/*
 * The first OUTBOX_EXCERPT_MAX bytes of an answer, cut at a UTF-8
 * boundary, control characters replaced by '?'; caller frees.
 */
char *outbox_excerpt(const char *body, size_t len);
/* The caller stops holding e (shutdown); the file stays for next start. */
void outbox_release(struct outbox_entry *e);
/* Try the writes the disk refused again now; 0 if none is left. */
int outbox_retry(struct outbox *ob);
/*
 * Where deliveries stand now: a save of the task table taken at this
 * point covers the entries delivered up to the mark.
 */
uint64_t outbox_mark(const struct outbox *ob);
/*
 * A task table taken at mark was saved: entries delivered up to it can be
 * forgotten.  Entries of the previous run are kept until settled (every
 * restored watch has polled), as their tasks may be detected again until
 * then.
 */
void outbox_saved(struct outbox *ob, int settled, uint64_t mark);
/* 1 while some event or dead letter is in memory only (disk trouble). */
int outbox_degraded(const struct outbox *ob);
/* Entries not delivered yet of a notifier (NULL: all). */
size_t outbox_pending(const struct outbox *ob, const char *notifier);
/* One box's figures, for the status endpoint. */
struct outbox_box_stats {
	const char *name;          /* the notifier's; borrowed */
	size_t pending;            /* not delivered yet */
	size_t dead;               /* dead letters on disk */
	int64_t oldest_pending_at; /* unix seconds; 0 if none pending */
};
/*
 * Call cb with the figures of every box, configured notifier or not.
 * Reads no directory: dead letters are counted at start and kept current.
 */
void outbox_foreach_box(const struct outbox *ob,
    void (*cb)(const struct outbox_box_stats *st, void *arg), void *arg);
/* Dead letters on disk of a notifier (NULL: all). */
size_t outbox_dead_count(const struct outbox *ob, const char *notifier);

/* A dead letter as read from its file. */
struct outbox_dead_letter {
	char *id; /* {seq}-{event id}: its file name without .json */
	char *notifier;
	char event_id[EVT_ID_LEN + 1];
	int64_t dead_at;   /* unix seconds; 0 if unknown */
	unsigned attempts; /* made before giving up */
	char *reason;
	long http_status; /* the receiver's answer; 0 if none */
	char *response;   /* its first OUTBOX_EXCERPT_MAX bytes; may be NULL */
};
/*
 * The dead letters of notifier (NULL: all), oldest first per notifier,
 * read from dead/ (a directory scan: for an operator's request, not a
 * scrape); *n of them.  Free with outbox_dead_list_free.
 */
struct outbox_dead_letter *outbox_dead_list(
    struct outbox *ob, const char *notifier, size_t *n);
void outbox_dead_list_free(struct outbox_dead_letter *v, size_t n);
/* A dead letter put back in the outbox; ev passes to the callee. */
typedef void (*outbox_requeue_cb)(const char *notifier, struct outbox_entry *e,
    struct evt *ev, int64_t enqueued_at, void *arg);
/*
 * Put dead letters back in their notifier's outbox as pending entries
 * with the same event id, enqueued now (so attempts and the give-up clock
 * start again): the one id names (its {seq}-{event id}, or the event id)
 * or, id NULL, all of them; only notifier's (NULL: any).  Each is written
 * and synced in outbox/ before its dead letter is removed.  cb gets each
 * entry to deliver (it owns it then); with cb NULL the entries are left
 * for the next start.  *n says how many were moved; -1 with *cause
 * (caller frees) if id matched none or one could not be moved.
 */
int outbox_dead_retry(struct outbox *ob, const char *notifier, const char *id,
    outbox_requeue_cb cb, void *arg, size_t *n, char **cause);

/* The seq and notifier of an entry, for logs and tests. */
uint64_t outbox_entry_seq(const struct outbox_entry *e);
/* The directory holding a notifier's entries (caller frees). */
char *outbox_box_path(const struct outbox *ob, const char *notifier);

#endif
