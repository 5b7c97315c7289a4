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
/*
 * Given up: the entry moves to dead/ with why and how many attempts were
 * made.  Returns the dead letter's path (caller frees), or NULL if the
 * disk refused it for now (it is retried).  e is no longer the caller's.
 */
char *outbox_dead(struct outbox_entry *e, const struct evt *ev,
    unsigned attempts, const char *reason, int64_t now_s);
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
/* The seq and notifier of an entry, for logs and tests. */
uint64_t outbox_entry_seq(const struct outbox_entry *e);
/* The directory holding a notifier's entries (caller frees). */
char *outbox_box_path(const struct outbox *ob, const char *notifier);

#endif
