/*
 * The state directory of a running daemon: its lock, the saved task table
 * and the outbox, and the policy of when the table is saved (often enough
 * that a restart detects little again, never so often that saving eats the
 * loop, and never ahead of the notifications it detected).
 */
#ifndef PERSIST_H
#define PERSIST_H

#include <stdint.h>

#include "config.h"
#include "outbox.h"
#include "taskstate.h"

struct event_base;
struct persist;

/*
 * A save covering the table up to change covered ended (durable: it was
 * written; 0 with covered 0: it failed or was skipped): release what waited
 * for it.  Returns 1 if something still waits (a baseline to save).
 */
typedef int (*persist_release_fn)(uint64_t covered, int durable, void *arg);

/*
 * Make state_dir (with its parents, mode 0750) if missing, lock it for this
 * process (*lock_fd, kept until exit) and check that it takes a new file.
 * -1 with *cause otherwise (another daemon holds it: its pid).
 */
int persist_check_dir(const char *state_dir, int *lock_fd, char **cause);
/*
 * Restore the saved table of conf's state_dir into ts, open its outbox and
 * start the save timer.  conf is borrowed (persist_set_config on reload).
 * NULL with *cause if the state directory cannot be used.
 */
struct persist *persist_new(struct event_base *base, const struct config *conf,
    struct taskstate *ts, persist_release_fn release, void *release_arg,
    char **cause);
/* Free; NULL is a no-op.  persist_close first to save the table. */
void persist_free(struct persist *p);
/* The config in use changed (a reload): saves follow it. */
void persist_set_config(struct persist *p, const struct config *conf);
/*
 * Call fn(arg) before each save of the task table: a file that must never
 * be older than the table (the silences) is written there; -1 holds the
 * save, as an outbox that cannot be written does.
 */
void persist_set_presave(struct persist *p, int (*fn)(void *), void *arg);
/* A watch took a baseline that must be saved before it polls again. */
void persist_baselined(struct persist *p);
/*
 * After the loop: write what the outbox could not so far, then save the
 * table one last time (in this process).
 */
void persist_close(struct persist *p);
/* The outbox of the state directory (borrowed). */
struct outbox *persist_outbox(const struct persist *p);
/* What is wrong with the state directory, for the status endpoint, or NULL. */
const char *persist_problem(const struct persist *p);

#endif
