/*
 * On-call controls of the running daemon: the silences, kept crash-safe in
 * {state_dir}/silences.json and applied to every event before it is
 * routed, and the timer that, when one ends, sends one silence_ended event
 * and raises again every task (or watch) it silenced that is still failed,
 * so nothing is lost because it happened inside a window.
 */
#ifndef ONCALL_H
#define ONCALL_H

#include <stddef.h>
#include <stdint.h>

#include "silence.h"

#define ONCALL_FILE "silences.json"
#define ONCALL_KEEP_ENDED_S 86400 /* ended silences stay listed this long */
#define ONCALL_KEEP_WINDOW_S (8 * 86400) /* ... the openings of windows */
#define ONCALL_LIST_TASKS 100            /* tasks a silence_ended event lists */
#define ONCALL_MAX_COMMENT 512           /* bytes of a silence's comment */

struct control_req;
struct event_base;
struct evt;
struct json_writer;
struct oncall;
struct taskstate;

/* What the daemon lends the on-call controls. */
struct oncall_cbs {
	/* Deliver an event made here (ownership passes). */
	void (*emit)(struct evt *ev, void *arg);
	/* 1 if watch is failing or flapping now (not yet recovered). */
	int (*watch_down)(const char *watch, void *arg);
	void *arg;
};

/*
 * On-call controls on base, reading the task table ts (borrowed) when a
 * silence ends.  Nothing is kept until oncall_open.
 */
struct oncall *oncall_new(struct event_base *base, const struct taskstate *ts,
    const struct oncall_cbs *cbs);
/* Write what changed and free; NULL is a no-op. */
void oncall_free(struct oncall *o);
/*
 * Keep the silences in state_dir, reading what an earlier run kept (a
 * file that cannot be read is set aside as silences.json.bad, with one
 * log line: its silences no longer hold).  Ended silences are reported on
 * the next turn of the loop.  -1 with *cause if state_dir cannot be used.
 */
int oncall_open(struct oncall *o, const char *state_dir, char **cause);
struct config_maintenance;
/*
 * The maintenance windows of the config in use (borrowed; again after
 * each reload): each acts like a silence while open.  An opening is a
 * silence whose id derives from the window's name, match and start, so a
 * restart finds it again; a window removed, or whose match changed, ends
 * its opening at once (silence_ended follows).  Applied on the loop.
 */
void oncall_set_windows(
    struct oncall *o, const struct config_maintenance *v, size_t n);
/*
 * Mark ev silenced (ev->silenced) if an active silence matches it, count
 * it and keep it for when the silence ends.  silence_ended and test
 * events are never silenced.
 */
void oncall_apply(struct oncall *o, struct evt *ev);
/*
 * Add a silence over matchers ("field=glob") until ends_at (unix s) on
 * behalf of uid/gid; saved before this returns.  Its id in id.  -1 with
 * *cause (caller frees): a bad matcher, an end not in the future, too
 * many silences, or the file could not be written (then nothing changed).
 */
int oncall_silence_add(struct oncall *o, const char *const *matchers, size_t n,
    const char *comment, int64_t ends_at, long uid, long gid,
    char id[SILENCE_ID_LEN + 1], char **cause);
/*
 * End silence id now (its silence_ended follows on the loop); saved
 * before this returns.  -1 with *cause.
 */
int oncall_silence_expire(struct oncall *o, const char *id, char **cause);
/*
 * daemon.ha: silences are shared by the replicas of a deployment.  fn is
 * told of each silence added or expired here (id and its shared text,
 * both borrowed), and of those oncall_merge_shared finds the others lack.
 */
typedef void (*oncall_share_fn)(const char *id, const char *text, void *arg);
void oncall_set_share(struct oncall *o, oncall_share_fn fn, void *arg);
/*
 * Take in the n silences the other replicas shared (texts[i] of lens[i]
 * bytes, as fn was told them): one new here is added (and logged), an
 * earlier end is taken (its silence_ended follows on the loop); then fn
 * is told of every active silence here that they lack, and of every one
 * that ends earlier here.  Unreadable ones are logged when their number
 * changes.
 */
void oncall_merge_shared(
    struct oncall *o, const char *const *texts, const size_t *lens, size_t n);
/* Write the silences as a JSON array (active first, then ended). */
void oncall_write_silences(struct oncall *o, struct json_writer *w);
/* Write the maintenance windows, open or not and their next opening. */
void oncall_write_windows(struct oncall *o, struct json_writer *w);
/*
 * Write the silences if they changed since the last write: the task table
 * is saved only after this succeeds, so a restart never finds a failure
 * in the table that the silence it happened under has forgotten.  -1 if
 * the file cannot be written (logged once until it can).
 */
int oncall_flush(void *o);

/*
 * The control socket's silence commands (control.h): silence_add
 * (matchers, ends_at or for_s, comment), silence_expire (id) and
 * silence_list.  Each change is logged with the peer's uid, gid and pid.
 */
int oncall_ctl_add(struct oncall *o, const struct control_req *req,
    struct json_writer *answer, char **error);
int oncall_ctl_expire(struct oncall *o, const struct control_req *req,
    struct json_writer *answer, char **error);
int oncall_ctl_list(struct oncall *o, const struct control_req *req,
    struct json_writer *answer, char **error);

#endif
