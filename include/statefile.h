/*
 * The saved task table, {state_dir}/tasks.jsonl: versioned JSON lines, a
 * header then one line per task, written crash-safe (temporary file,
 * fsync, rename, fsync of the directory) and restored at start so that the
 * first poll after a restart diffs against what was known before it.
 */
#ifndef STATEFILE_H
#define STATEFILE_H

#include <stdint.h>

#include "config.h"
#include "durable.h"
#include "taskstate.h"

#define STATEFILE_VERSION 1
#define STATEFILE_NAME "tasks.jsonl"

struct statefile;

/* The saved table of state_dir; nothing is read or written yet. */
struct statefile *statefile_new(const char *state_dir);
/* Free; NULL is a no-op. */
void statefile_free(struct statefile *sf);
/* Route the file's writes through fn (tests inject ENOSPC); NULL: write(2). */
void statefile_set_write_fn(struct statefile *sf, durable_write_fn fn);
/* The file's path. */
const char *statefile_path(const struct statefile *sf);
/*
 * Restore the saved table into ts: the watches of conf that were saved
 * with the same API, account, cloud, region and project, and their tasks.  A missing file restores
 * nothing; an unknown version is ignored and bad lines are skipped, each
 * logged with the file and line.  Returns the number of tasks restored,
 * -1 if the file exists but cannot be read (logged).
 */
long statefile_load(
    struct statefile *sf, struct taskstate *ts, const struct config *conf);
/*
 * Save the tasks of the watches of conf that ts holds, stamped now_s.
 * -1 if it could not be written (logged once, then at growing intervals;
 * the previous file is left as it was).
 */
int statefile_save(struct statefile *sf, const struct taskstate *ts,
    const struct config *conf, int64_t now_s);
/*
 * The writing part of statefile_save, which logs nothing (a child process
 * runs it, see persist.c): 0, or -1 with errno set and *what naming the step
 * that failed ("open", "create", "write", "commit").
 */
int statefile_write(struct statefile *sf, const struct taskstate *ts,
    const struct config *conf, int64_t now_s, const char **what);
/*
 * Account for a save made with statefile_write: ok, or failed because of
 * why (logged once, then at growing intervals).
 */
void statefile_result(struct statefile *sf, int ok, const char *why);
/* 0 while saves fail (for the status endpoint), 1 otherwise. */
int statefile_ok(const struct statefile *sf);

#endif
