/*
 * The task table and the diff.  Each poll's listing is applied to the table
 * and produces events; tasks missing from a complete listing are returned to
 * the caller for confirmation, never reported as vanished directly.  Pure:
 * no I/O, no clocks (the caller passes the time).
 */
#ifndef TASKSTATE_H
#define TASKSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "evt.h"
#include "task.h"

struct taskstate;

/* The watch a listing belongs to, as copied into its events. */
struct taskstate_watch {
	const char *watch;
	const char *api;
	const char *account;
	const char *region;
	uint64_t stall_after_ms; /* 0 = never stalled */
	/* The provider's base type of a task type (NULL: itself). */
	const char *(*base_type)(const char *type);
	/*
	 * A task that vanishes while a newer run of its base type is listed
	 * on its cluster was replaced (EVT_REPLACED), not lost.
	 */
	int replaces;
	/*
	 * Overdue (EVT_OVERDUE, once per run of a task): a RUNNING task
	 * older than overdue_factor_pct/100 times the p95 of the durations
	 * learned for it (once overdue_min_samples are known; factor 0:
	 * never), or than its type's max_duration (ms, 0: none; NULL: none).
	 */
	int overdue_factor_pct;
	unsigned overdue_min_samples;
	uint64_t (*max_duration)(const void *arg, const char *type);
	const void *max_duration_arg;
};

/*
 * What the table learned of how long a task like t runs: from its
 * cluster's own durations where at least min_samples are known, else from
 * those of its account, API and type (struct durations_stats).
 */
struct taskstate_expect {
	uint64_t count; /* 0: nothing learned */
	int64_t p50_s;
	int64_t p95_s;
	int64_t max_s;
	int per_cluster; /* the figures are the cluster's */
};

/* An empty table. */
struct taskstate *taskstate_new(void);
/*
 * Learned durations: a task that reaches SUCCEEDED with a known start
 * (and, if first seen already finished, a known end) teaches its key
 * (account, API, type) and its cluster's key (durations.h), baseline
 * listings included.  The table owns them.
 */
struct durations;
const struct durations *taskstate_durations(const struct taskstate *ts);
/* Replace the learned durations (restored from state_dir); takes d. */
void taskstate_set_durations(struct taskstate *ts, struct durations *d);
/*
 * The key of durations for an account, API, task type and cluster (NULL
 * or "": the type's key), and back; caller frees.  Fields are joined by
 * the unit separator.  taskstate_key_split fills up to 4 borrowed views
 * (pointers into a copy in *buf, which the caller frees).
 */
char *taskstate_key(const char *account, const char *api, const char *type,
    const char *cluster);
size_t taskstate_key_split(const char *key, char **buf, const char *f[4]);
/* What was learned of t, a task of account and api (see above). */
void taskstate_expect(const struct taskstate *ts, const char *account,
    const char *api, const struct task *t, unsigned min_samples,
    struct taskstate_expect *x);
/* Free the table; NULL is a no-op. */
void taskstate_free(struct taskstate *ts);
/* 1 once a watch has been applied at least once (it has a baseline). */
int taskstate_has_watch(const struct taskstate *ts, const char *watch);
/*
 * 1 if the watch's record of the task with t's id and cluster_id came
 * from a vendor record of digest t->digest (never for digest 0).  A
 * listing may then carry that task as unchanged: key and digest only.
 */
int taskstate_known(
    const struct taskstate *ts, const char *watch, const struct task *t);
/*
 * Apply one poll's listing of a watch at now_s.  New tasks give appeared,
 * state changes transition, RUNNING tasks whose progress has not moved for
 * stall_after give stalled (once per stall).  A task listed unchanged
 * (see taskstate_known) only counts as listed.  With silent (the baseline
 * poll) the table is filled and no event is produced.  With missed, events
 * are marked missed (first poll after a restart).  Only when complete are
 * tasks of the watch that the listing lacked copied into gone, for the
 * caller to confirm (taskstate_vanish / taskstate_confirm); otherwise the
 * table keeps them untouched.
 */
void taskstate_apply(struct taskstate *ts, const struct taskstate_watch *w,
    const struct task_list *tasks, int complete, int silent, int missed,
    int64_t now_s, struct evt_list *out, struct task_list *gone);
/*
 * How many complete listings in a row lacked the watch's task t (0 if it
 * was in the last one, or the table does not hold it).
 */
uint64_t taskstate_absences(
    const struct taskstate *ts, const char *watch, const struct task *t);
/*
 * A task confirmed gone: remove it and append a vanished event, or a
 * replaced one when w replaces and a run of its base type on its cluster,
 * not older than it, is in the current listing.
 */
void taskstate_vanish(struct taskstate *ts, const struct taskstate_watch *w,
    const struct task *t, int64_t now_s, struct evt_list *out);
/*
 * A task missing from the listing that the single-task lookup still finds:
 * apply its record (may give transition); a terminal task is then dropped
 * quietly, as it has only aged out of the listing window.
 */
void taskstate_confirm(struct taskstate *ts, const struct taskstate_watch *w,
    const struct task *t, int64_t now_s, struct evt_list *out);
/*
 * Scopes (see provider_scope_key; NULL or "" is the project-wide one).
 * A watch's scope has a baseline once a complete listing covered it; a
 * task listed in a scope without one is new to the table, and is recorded
 * without an appeared event (task.baseline, set by the watch).
 */
/* 1 if scope key of the watch has a baseline. */
int taskstate_has_scope(
    const struct taskstate *ts, const char *watch, const char *key);
/* Give scope key of the watch a baseline (the watch is created if new). */
void taskstate_add_scope(
    struct taskstate *ts, const char *watch, const char *key);
/*
 * Keep only the scopes keys[0..n) of a watch (reload, restart): tasks
 * listed in another scope are dropped (a task of unknown scope stays) and
 * so are those scopes' baselines.  Returns the number of tasks dropped.
 */
size_t taskstate_keep_scopes(
    struct taskstate *ts, const char *watch, char *const *keys, size_t n);
/* The scopes of a watch with a baseline, *n of them (the table's). */
char *const *taskstate_scopes(
    const struct taskstate *ts, const char *watch, size_t *n);
/* Forget the digests of a watch's records: the next listing decodes all. */
void taskstate_forget_digests(struct taskstate *ts, const char *watch);
/* Drop every task of a watch (watch removed or changed on reload). */
void taskstate_forget_watch(struct taskstate *ts, const char *watch);
/* Tasks of a watch (NULL: all) in a state (-1: any). */
size_t taskstate_count(
    const struct taskstate *ts, const char *watch, int state);
/* Call cb for each task of a watch (NULL: all), in no particular order. */
void taskstate_foreach(const struct taskstate *ts, const char *watch,
    void (*cb)(const char *watch, const struct task *t, void *arg), void *arg);

/*
 * Saving and restoring the table (statefile.c).  A restored watch has a
 * baseline, so its first poll is not silent; its events are marked missed
 * until it has taken one complete listing.
 */
/* What the diff keeps about a task beyond its record. */
struct taskstate_extra {
	int64_t progress_changed_at; /* unix seconds */
	int stalled;                 /* stalled fired for this stall */
	int overdue;                 /* overdue fired for this run */
	const struct evt_ack *ack;   /* NULL: none; borrowed, copied */
};
/* Mark a watch as restored (it has a baseline), even with no task. */
void taskstate_restore_watch(struct taskstate *ts, const char *watch);
/* Put a saved task back into a watch (restored too); replaces a duplicate. */
void taskstate_restore(struct taskstate *ts, const char *watch,
    const struct task *t, const struct taskstate_extra *x);
/* 1 if the watch is restored and has not taken a complete listing yet. */
int taskstate_restored(const struct taskstate *ts, const char *watch);
/* As taskstate_restored, and clear the mark: 1 once per restored watch. */
int taskstate_take_restored(struct taskstate *ts, const char *watch);
/* Restored watches that have not taken a complete listing yet. */
size_t taskstate_restored_count(const struct taskstate *ts);
/*
 * 1 once every watch restored from the saved table has taken at least
 * listings complete listings (all it would detect again is detected).
 */
int taskstate_settled(const struct taskstate *ts, uint64_t listings);
/* Call cb for each watch that has a baseline. */
void taskstate_foreach_watch(const struct taskstate *ts,
    void (*cb)(const char *watch, size_t ntasks, void *arg), void *arg);
/* As taskstate_foreach, with what the diff keeps about each task. */
void taskstate_foreach_extra(const struct taskstate *ts, const char *watch,
    void (*cb)(const char *watch, const struct task *t,
	const struct taskstate_extra *x, void *arg),
    void *arg);
/*
 * Acknowledgements.  A task's ack holds until its state changes: the
 * transition, vanished or replaced event carries it and the table drops
 * it; a stalled event carries it too.  It is saved with the table.
 */
/* The task taskstate_ack found; borrowed from the table until it changes. */
struct taskstate_acked {
	const char *watch;
	const struct task *task;
	const struct evt_ack *ack; /* as kept (state set); NULL: removed */
	int had;                   /* it had an ack before */
};
/*
 * Acknowledge the one task with id of a watch (NULL: of any watch) with a
 * copy of ack, its state set to the task's; ack NULL removes it.  0 with
 * *out set, or -1 with *cause (caller frees) when no task or more than
 * one (in several watches or clusters, named) has that id.
 */
int taskstate_ack(struct taskstate *ts, const char *watch, const char *id,
    const struct evt_ack *ack, struct taskstate_acked *out, char **cause);
/* A counter that moves on every change of the table: "save needed?". */
uint64_t taskstate_changes(const struct taskstate *ts);
/*
 * The part of taskstate_changes that only moved a task's progress (and
 * with it the stall clock).  Such a change may wait for a later save: lost
 * in a crash, it delays a stall event, it never changes an event's id.
 */
uint64_t taskstate_minor_changes(const struct taskstate *ts);

#endif
