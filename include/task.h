/*
 * The task record every provider produces and the canonical state map shared
 * by the APIs.  Pure data; no I/O.
 */
#ifndef TASK_H
#define TASK_H

#include <stddef.h>
#include <stdint.h>

#define TASK_PROGRESS_NONE (-1)
#define TASK_TIME_NONE INT64_MIN

enum task_state {
	TASK_PENDING,
	TASK_RUNNING,
	TASK_ROLLING_BACK,
	TASK_SUCCEEDED,
	TASK_FAILED,
	TASK_PARTIAL,
	TASK_ROLLED_BACK,
	TASK_CANCELLED,
	TASK_UNKNOWN,
	TASK_STATE_COUNT
};

struct task {
	char *id;           /* provider's task id (or derived) */
	char *type;         /* "RestartInstance", "SNAPSHOTTING", ... */
	char *cluster_id;   /* cluster or instance id; "" if none */
	char *cluster_name; /* may be NULL */
	enum task_state state;
	char *raw_status;   /* the vendor's word, as sent */
	int progress;       /* 0..100 or TASK_PROGRESS_NONE */
	int64_t started_at; /* unix seconds or TASK_TIME_NONE */
	int64_t ended_at;   /* unix seconds or TASK_TIME_NONE */
	char *reason;       /* failure text; NULL if none */
	char *detail;       /* JSON object text of extra fields; NULL = {} */
	uint64_t digest;    /* of the vendor's record it came from; 0: none */
	/*
	 * The vendor's record is the one the task table already holds with
	 * this digest: only id, cluster_id and digest are filled in.
	 */
	int unchanged;
	/*
	 * Set by the watch, never by a provider: the listing scope the record
	 * came from ("cluster", "cluster/ACTION"; NULL for a project-wide
	 * listing), and whether that scope has no baseline yet, so that the
	 * task, if new to the table, is recorded without an appeared event.
	 */
	char *scope;
	int baseline;
};

struct task_list {
	struct task *v;
	size_t n;
	size_t cap;
};

/* Map a vendor status word (case-insensitive) to a canonical state. */
enum task_state task_state_from_raw(const char *raw);
/* "RUNNING" etc.; "UNKNOWN" for out-of-range values. */
const char *task_state_name(enum task_state s);
/* Parse a canonical state name (case-insensitive); -1 if unknown. */
int task_state_from_name(const char *name);
/* 1 for SUCCEEDED, FAILED, PARTIAL, ROLLED_BACK, CANCELLED. */
int task_state_terminal(enum task_state s);
/* Initialise a record: all strings NULL, progress and times none. */
void task_init(struct task *t);
/* Free a record's strings and reinitialise it. */
void task_clear(struct task *t);
/* Deep copy src into dst (dst is overwritten, not cleared first). */
void task_copy(struct task *dst, const struct task *src);
/* Append a fresh, initialised record to a list and return it. */
struct task *task_list_add(struct task_list *l);
/* Free every record and the list's storage; the list is left empty. */
void task_list_clear(struct task_list *l);
/* Move every record of src to the end of dst; src is left empty. */
void task_list_take(struct task_list *dst, struct task_list *src);
/*
 * The key of one run of an action whose vendor id is not stable:
 * "BASE@2025-05-19T09:05:10Z" from its base action name and start time
 * (caller frees); NULL when either is missing.
 */
char *task_run_key(const char *base, int64_t started_at);

#endif
