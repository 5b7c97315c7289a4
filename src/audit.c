/*
 * The audit log of exec hooks (audit.h): a JSON line per run appended to
 * state_dir/audit.jsonl with one write(2) on an O_APPEND descriptor, so a
 * line is never interleaved with another.  Lines are small (a 4 KiB output
 * tail, an argv, and for a dry run the environment and the event
 * document), so a write to a local file does not hold the loop for long.
 * When a line would take the file past its size it is renamed to
 * audit.jsonl.1 (one old file is kept) and a new one begun.  The path is
 * checked before each line: another handle in the process, or logrotate,
 * may have renamed the file under the descriptor.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "evt.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "spawn.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define AUDIT_EX_TEMPFAIL 75 /* the hook asks for a retry (sysexits.h) */

struct audit {
	char *path;
	char *old_path; /* path.1 */
	uint64_t max_bytes;
	int fd;           /* -1 until opened */
	int failing;      /* in a failure streak */
	uint64_t nfailed; /* lines lost in the streak */
};

/* An audit log at path (see audit.h). */
struct audit *
audit_new(const char *path, uint64_t max_bytes)
{
	struct audit *a = xcalloc(1, sizeof(*a));

	a->path = xstrdup(path);
	a->old_path = xasprintf("%s.1", path);
	a->fd = -1;
	audit_set_max(a, max_bytes);
	return a;
}

/* Change the size at which the log rotates (0: the default). */
void
audit_set_max(struct audit *a, uint64_t max_bytes)
{
	a->max_bytes = max_bytes != 0 ? max_bytes : AUDIT_MAX_BYTES_DEFAULT;
}

/* Close and free; NULL is a no-op. */
void
audit_free(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd != -1)
		close(a->fd);
	free(a->path);
	free(a->old_path);
	free(a);
}

/* Write a NULL-terminated string vector as an array (NULL: null). */
static void
audit_w_vec(struct json_writer *w, const char *key, const char *const *v)
{
	json_w_key(w, key);
	if (v == NULL) {
		json_w_null(w);
		return;
	}
	json_w_arr_open(w);
	for (; *v != NULL; v++)
		json_w_str(w, *v);
	json_w_arr_close(w);
}

/*
 * Write len bytes as a string: NUL bytes become U+FFFD (json_w_str reads
 * up to a NUL), as json.c does for invalid UTF-8.
 */
static void
audit_w_bytes(struct json_writer *w, const char *key, const char *p, size_t len)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < len; i++) {
		if (p[i] == '\0')
			buf_puts(&b, "\xef\xbf\xbd");
		else
			buf_putc(&b, p[i]);
	}
	json_w_kstr(w, key, buf_str(&b));
	buf_free(&b);
}

/*
 * Write the last AUDIT_OUTPUT_MAX bytes of the output, starting at a
 * character (a cut UTF-8 sequence is skipped, not replaced).
 */
static void
audit_w_tail(struct json_writer *w, const char *key, const char *p, size_t len)
{
	size_t skip = 0;
	int i;

	if (len > AUDIT_OUTPUT_MAX) {
		skip = len - AUDIT_OUTPUT_MAX;
		for (i = 0; i < 3 && skip < len &&
		     ((unsigned char)p[skip] & 0xc0) == 0x80;
		     i++)
			skip++;
	}
	audit_w_bytes(w, key, p + skip, len - skip);
}

/*
 * Write how the run ended: outcome, duration_ms, exit_status or signal
 * when there is one, timed_out, and error when it could not start.
 */
static void
audit_w_end(struct json_writer *w, const struct audit_record *r)
{
	json_w_kstr(w, "outcome", r->outcome);
	json_w_kint(w, "duration_ms", (int64_t)r->duration_ms);
	if (r->exit_status >= 0)
		json_w_kint(w, "exit_status", r->exit_status);
	if (r->signal > 0)
		json_w_kint(w, "signal", r->signal);
	json_w_kbool(w, "timed_out",
	    r->outcome != NULL && strcmp(r->outcome, "timeout") == 0);
	if (r->error != NULL)
		json_w_kstr(w, "error", r->error);
}

/* The line audit_write writes for r, newline included; caller frees. */
char *
audit_format(const struct audit_record *r, size_t *len)
{
	struct json_writer *w = json_writer_new();
	const char *s;
	char *line;
	size_t n;

	json_w_obj_open(w);
	json_w_ktime(w, "time", r->start_ms / 1000);
	json_w_kint(w, "start_ms", r->start_ms);
	json_w_kstr(w, "notifier", r->notifier);
	json_w_kstr(w, "event_id", r->event_id);
	json_w_kstr(w, "event_kind", r->event_kind);
	json_w_kint(w, "attempt", r->attempt);
	json_w_kbool(w, "dry_run", r->dry_run);
	audit_w_vec(w, "argv", r->argv);
	audit_w_end(w, r);
	if (!r->dry_run) {
		audit_w_tail(w, "stderr_tail",
		    r->output != NULL ? r->output : "",
		    r->output != NULL ? r->output_len : 0);
		json_w_kint(w, "output_bytes", (int64_t)r->output_total);
	} else {
		audit_w_vec(w, "env", r->envp);
		audit_w_bytes(w, "stdin", r->input != NULL ? r->input : "",
		    r->input != NULL ? r->input_len : 0);
	}
	json_w_obj_close(w);
	s = json_writer_str(w, &n);
	line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	json_writer_free(w);
	*len = n + 1;
	return line;
}

/*
 * Have a descriptor on the file now at path (reopened if it was renamed
 * or removed) and its size in *size; -1 with errno set.
 */
static int
audit_open(struct audit *a, off_t *size)
{
	struct stat ps, fs;

	if (a->fd != -1 && stat(a->path, &ps) == 0 && fstat(a->fd, &fs) == 0 &&
	    ps.st_dev == fs.st_dev && ps.st_ino == fs.st_ino) {
		*size = fs.st_size;
		return 0;
	}
	if (a->fd != -1)
		close(a->fd);
	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd == -1 || fstat(a->fd, &fs) == -1)
		return -1;
	*size = fs.st_size;
	return 0;
}

/* Start a new file: path becomes path.1 (replacing it); -1 with errno. */
static int
audit_rotate(struct audit *a, off_t *size)
{
	if (rename(a->path, a->old_path) == -1)
		return -1;
	log_info("audit: %s rotated to %s", a->path, a->old_path);
	return audit_open(a, size);
}

/* Count a line not written; log the first of a streak. */
static void
audit_failed(struct audit *a, const char *what)
{
	int saved = errno;

	metrics_add(metrics_global(), METRICS_AUDIT_WRITE_ERRORS, 1, NULL);
	a->nfailed++;
	if (a->failing)
		return;
	a->failing = 1;
	errno = saved;
	log_warn("audit: %s: %s (hooks still run; logged once until a line "
		 "is written again)",
	    a->path, what);
}

/* Append r as one line (see audit.h). */
int
audit_write(struct audit *a, const struct audit_record *r)
{
	char *line;
	size_t len;
	off_t size;
	ssize_t n;
	int rc = -1;

	line = audit_format(r, &len);
	if (audit_open(a, &size) == -1) {
		audit_failed(a, "cannot open");
		goto out;
	}
	if (size > 0 && (uint64_t)size + len > a->max_bytes &&
	    audit_rotate(a, &size) == -1) {
		audit_failed(a, "cannot rotate");
		goto out;
	}
	n = write(a->fd, line, len);
	if (n != (ssize_t)len) {
		/* A part of a line would join the next one: take it back. */
		if (n > 0 && ftruncate(a->fd, size) == -1)
			log_warn("audit: %s: truncate", a->path);
		if (n >= 0)
			errno = ENOSPC;
		audit_failed(a, "cannot write");
		goto out;
	}
	if (a->failing)
		log_info("audit: %s: written again (%llu line%s lost)", a->path,
		    (unsigned long long)a->nfailed, a->nfailed == 1 ? "" : "s");
	a->failing = 0;
	a->nfailed = 0;
	rc = 0;
out:
	free(line);
	return rc;
}

/* A record of a run, its end to come (see audit.h). */
void
audit_record_init(struct audit_record *r, const char *notifier,
    const char *event_id, const char *event_kind, const char *const *argv,
    unsigned attempt)
{
	memset(r, 0, sizeof(*r));
	r->notifier = notifier;
	r->event_id = event_id;
	r->event_kind = event_kind;
	r->argv = argv;
	r->attempt = attempt;
	r->exit_status = -1;
	r->start_ms = monotime_wall_ms();
}

/* Count the run in taskwatch_hook_runs_total. */
static void
audit_count(const struct audit_record *r)
{
	metrics_add(metrics_global(), METRICS_HOOK_RUNS, 1, "notifier",
	    r->notifier, "outcome", r->outcome, NULL);
}

/* Fill in how a child ended (see audit.h). */
void
audit_record_end(struct audit_record *r, const struct spawn_result *sr)
{
	r->duration_ms = sr->duration_ms;
	r->start_ms = monotime_wall_ms() - (int64_t)sr->duration_ms;
	/* The end of the output says why it failed: the tail if kept. */
	r->output = sr->tail != NULL ? sr->tail : sr->output;
	r->output_len = sr->tail != NULL ? sr->tail_len
	    : sr->output != NULL         ? sr->output_len
					 : 0;
	r->output_total = sr->output_total;
	switch (sr->how) {
	case SPAWN_EXITED:
		r->exit_status = sr->status;
		if (sr->status == 0)
			r->outcome = "ok";
		else if (sr->status == AUDIT_EX_TEMPFAIL)
			r->outcome = "tempfail";
		else
			r->outcome = "failed";
		break;
	case SPAWN_SIGNALED:
		r->outcome = "signal";
		r->signal = sr->status;
		break;
	case SPAWN_TIMEOUT:
		r->outcome = "timeout";
		r->signal = sr->signal;
		break;
	case SPAWN_ERROR:
		r->outcome = "error";
		r->error = sr->error != NULL ? sr->error : "error";
		break;
	default:
		r->outcome = "cancelled";
		break;
	}
	audit_count(r);
}

/* A dry run now (see audit.h). */
void
audit_record_dry_run(struct audit_record *r, const char *const *envp,
    const char *input, size_t input_len)
{
	r->outcome = "dry_run";
	r->dry_run = 1;
	r->envp = envp;
	r->input = input;
	r->input_len = input_len;
	audit_count(r);
}

/* The "reason" of a hook_failed event: what happened, for which event. */
static char *
audit_reason(const struct audit_record *r)
{
	char dur[32];

	if (strcmp(r->outcome, "failed") == 0)
		return xasprintf("exited with status %d for %s event %s",
		    r->exit_status, r->event_kind, r->event_id);
	if (strcmp(r->outcome, "signal") == 0)
		return xasprintf("killed by signal %d for %s event %s",
		    r->signal, r->event_kind, r->event_id);
	if (strcmp(r->outcome, "timeout") == 0) {
		util_format_duration(r->duration_ms, dur, sizeof(dur));
		return xasprintf("timed out after %s for %s event %s", dur,
		    r->event_kind, r->event_id);
	}
	return xasprintf("could not start (%s) for %s event %s",
	    r->error != NULL ? r->error : "error", r->event_kind, r->event_id);
}

/* The "hook" object of a hook_failed event about r, as JSON text. */
static char *
audit_hook_doc(const struct audit_record *r)
{
	struct json_writer *w = json_writer_new();
	char *reason = audit_reason(r), *doc;

	json_w_obj_open(w);
	json_w_kstr(w, "notifier", r->notifier);
	json_w_kstr(w, "event_id", r->event_id);
	json_w_kstr(w, "event_kind", r->event_kind);
	json_w_kstr(w, "reason", reason);
	audit_w_end(w, r);
	audit_w_tail(w, "stderr_tail", r->output != NULL ? r->output : "",
	    r->output != NULL ? r->output_len : 0);
	json_w_kint(w, "attempt", r->attempt);
	json_w_obj_close(w);
	doc = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	free(reason);
	return doc;
}

/* The hook_failed event about the run r for src, or NULL (see audit.h). */
struct evt *
audit_hook_failed(const struct audit_record *r, const struct evt *src)
{
	struct evt *ev;

	if (r->outcome == NULL || strcmp(r->outcome, "ok") == 0 ||
	    strcmp(r->outcome, "tempfail") == 0 ||
	    strcmp(r->outcome, "cancelled") == 0 || r->dry_run)
		return NULL;
	if (evt_kind_hook(src->kind)) {
		log_warnx("notifier %s: hook for %s event %s: %s; no "
			  "hook_failed about a hook event",
		    r->notifier, r->event_kind, r->event_id, r->outcome);
		return NULL;
	}
	ev = evt_new(EVT_HOOK_FAILED);
	ev->occurred_at = ev->observed_at =
	    (r->start_ms + (int64_t)r->duration_ms) / 1000;
	ev->test = src->test;
	ev->watch = xstrdup(src->watch);
	ev->api = xstrdup(src->api);
	ev->account = xstrdup(src->account);
	ev->region = xstrdup(src->region);
	if ((ev->has_task = src->has_task))
		task_copy(&ev->task, &src->task);
	ev->base_type = xstrdup(src->base_type);
	ev->hook_notifier = xstrdup(r->notifier);
	ev->hook_doc = audit_hook_doc(r);
	/* One per notifier and source event: its retries share the id. */
	ev->obs = xasprintf("%s\037%s", r->notifier, r->event_id);
	evt_finish(ev);
	return ev;
}
