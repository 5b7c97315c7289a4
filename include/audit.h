/*
 * The audit log of exec hooks: one JSON line per hook run (and per dry
 * run) appended to a file in state_dir, rotated by size.  A line is
 * written with one write(2) on an O_APPEND descriptor; a failed write is
 * counted and logged once per streak, never fatal.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_FILE "audit.jsonl"
#define AUDIT_OUTPUT_MAX 4096 /* bytes of a hook's output kept: the last */
#define AUDIT_MAX_BYTES_DEFAULT (10 * 1024 * 1024)

struct audit;
struct evt;
struct spawn_result;

/* One hook run as the audit log records it (every pointer borrowed). */
struct audit_record {
	const char *event_id;
	const char *event_kind;
	const char *notifier;
	const char *const *argv; /* NULL-terminated */
	int64_t start_ms;        /* wall clock */
	uint64_t duration_ms;
	/*
	 * ok (exit 0), failed (another exit status), tempfail (exit 75, a
	 * retry), signal, timeout, error (could not start), cancelled,
	 * dry_run: also the label of taskwatch_hook_runs_total.
	 */
	const char *outcome;
	int exit_status; /* ok, failed, tempfail: the exit status; else -1 */
	int signal; /* signal, or the signal that ended a timeout; else 0 */
	const char *error;  /* error: why it could not start; else NULL */
	const char *output; /* what the hook wrote (stdout+stderr), or NULL */
	size_t output_len;
	uint64_t output_total; /* bytes written in all */
	unsigned attempt;      /* 1 for the first */
	int dry_run;
	/* A dry run: the environment and stdin the hook would get. */
	const char *const *envp;
	const char *input;
	size_t input_len;
};

/*
 * An audit log at path, rotated to path.1 when a line would take it past
 * max_bytes (0: AUDIT_MAX_BYTES_DEFAULT).  Opened at the first write.
 */
struct audit *audit_new(const char *path, uint64_t max_bytes);
/* Change the size at which the log rotates (0: the default). */
void audit_set_max(struct audit *a, uint64_t max_bytes);
/* Close and free; NULL is a no-op. */
void audit_free(struct audit *a);
/*
 * Append r as one line.  -1 if it could not be written (counted in
 * taskwatch_audit_write_errors_total, logged once per failure streak).
 */
int audit_write(struct audit *a, const struct audit_record *r);
/* The line audit_write writes for r, newline included; caller frees. */
char *audit_format(const struct audit_record *r, size_t *len);

/*
 * A record of notifier's attempt-th run of argv for the event event_id of
 * kind event_kind (all borrowed); its end is left to audit_record_end or
 * audit_record_dry_run.
 */
void audit_record_init(struct audit_record *r, const char *notifier,
    const char *event_id, const char *event_kind, const char *const *argv,
    unsigned attempt);
/*
 * Fill in how a child ended (and when it started, from its duration);
 * counted in taskwatch_hook_runs_total.
 */
void audit_record_end(struct audit_record *r, const struct spawn_result *sr);
/*
 * A dry run now: the environment and stdin the hook would get (borrowed);
 * counted in taskwatch_hook_runs_total.
 */
void audit_record_dry_run(struct audit_record *r, const char *const *envp,
    const char *input, size_t input_len);
/*
 * The hook_failed event about the run r for src (finished, with the id
 * "notifier + source event id"), or NULL when the run did not fail
 * (ok, tempfail: a retry, cancelled, dry_run) or src is itself a hook_*
 * event (logged instead: a failing hook must not feed on itself).
 */
struct evt *audit_hook_failed(
    const struct audit_record *r, const struct evt *src);

#endif
