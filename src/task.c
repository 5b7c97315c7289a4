/*
 * The task record and the one table that maps every API's status words to
 * the canonical states.  Pure data handling: no I/O, no parsing of bodies.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "task.h"
#include "util.h"
#include "xmalloc.h"

struct task_word {
	const char *word;
	enum task_state state;
};

/* Vendor words of the APIs (ehpc.operations maps its own); any case. */
static const struct task_word task_words[] = {
	{ "WAITING", TASK_PENDING },    /* DWS action */
	{ "Pending", TASK_PENDING },    /* DDS / GaussDB */
	{ "RUNNING", TASK_RUNNING },    /* DWS action, DDS, GaussDB */
	{ "Processing", TASK_RUNNING }, /* E-HPC */
	{ "ROLLBACK_RUNNING", TASK_ROLLING_BACK },
	{ "SUCCESS", TASK_SUCCEEDED },   /* DWS, E-HPC */
	{ "Completed", TASK_SUCCEEDED }, /* DDS, GaussDB */
	{ "FAILED", TASK_FAILED },       /* DWS, DDS, E-HPC "Failed" */
	{ "ROLLBACK_FAIL", TASK_FAILED },
	{ "Fail", TASK_FAILED },         /* E-HPC */
	{ "PartialFail", TASK_PARTIAL }, /* E-HPC */
	{ "ROLLBACK_SUCCESS", TASK_ROLLED_BACK },
	{ "Canceled", TASK_CANCELLED }, /* GaussDB siblings */
	{ "Cancelled", TASK_CANCELLED },
};

static const char *task_state_names[TASK_STATE_COUNT] = {
	[TASK_PENDING] = "PENDING",
	[TASK_RUNNING] = "RUNNING",
	[TASK_ROLLING_BACK] = "ROLLING_BACK",
	[TASK_SUCCEEDED] = "SUCCEEDED",
	[TASK_FAILED] = "FAILED",
	[TASK_PARTIAL] = "PARTIAL",
	[TASK_ROLLED_BACK] = "ROLLED_BACK",
	[TASK_CANCELLED] = "CANCELLED",
	[TASK_UNKNOWN] = "UNKNOWN",
};

/* Map a vendor status word (case-insensitive) to a canonical state. */
enum task_state
task_state_from_raw(const char *raw)
{
	size_t i;

	if (raw == NULL || *raw == '\0')
		return TASK_UNKNOWN;
	for (i = 0; i < sizeof(task_words) / sizeof(task_words[0]); i++) {
		if (strcasecmp(raw, task_words[i].word) == 0)
			return task_words[i].state;
	}
	return TASK_UNKNOWN;
}

/* "RUNNING" etc.; "UNKNOWN" for out-of-range values. */
const char *
task_state_name(enum task_state s)
{
	if ((unsigned)s >= TASK_STATE_COUNT)
		return task_state_names[TASK_UNKNOWN];
	return task_state_names[s];
}

/* Parse a canonical state name (case-insensitive); -1 if unknown. */
int
task_state_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < TASK_STATE_COUNT; i++) {
		if (strcasecmp(name, task_state_names[i]) == 0)
			return i;
	}
	return -1;
}

/* 1 for SUCCEEDED, FAILED, PARTIAL, ROLLED_BACK, CANCELLED. */
int
task_state_terminal(enum task_state s)
{
	switch (s) {
	case TASK_SUCCEEDED:
	case TASK_FAILED:
	case TASK_PARTIAL:
	case TASK_ROLLED_BACK:
	case TASK_CANCELLED:
		return 1;
	default:
		return 0;
	}
}

/* Initialise a record: all strings NULL, progress and times none. */
void
task_init(struct task *t)
{
	memset(t, 0, sizeof(*t));
	t->state = TASK_UNKNOWN;
	t->progress = TASK_PROGRESS_NONE;
	t->started_at = TASK_TIME_NONE;
	t->ended_at = TASK_TIME_NONE;
}

/* Free a record's strings and reinitialise it. */
void
task_clear(struct task *t)
{
	free(t->id);
	free(t->type);
	free(t->cluster_id);
	free(t->cluster_name);
	free(t->raw_status);
	free(t->reason);
	free(t->detail);
	free(t->scope);
	task_init(t);
}

/* Deep copy src into dst (dst is overwritten, not cleared first). */
void
task_copy(struct task *dst, const struct task *src)
{
	if (dst == src)
		return;
	dst->id = xstrdup(src->id);
	dst->type = xstrdup(src->type);
	dst->cluster_id = xstrdup(src->cluster_id);
	dst->cluster_name = xstrdup(src->cluster_name);
	dst->state = src->state;
	dst->raw_status = xstrdup(src->raw_status);
	dst->progress = src->progress;
	dst->started_at = src->started_at;
	dst->ended_at = src->ended_at;
	dst->reason = xstrdup(src->reason);
	dst->detail = xstrdup(src->detail);
	dst->digest = src->digest;
	dst->unchanged = src->unchanged;
	dst->scope = xstrdup(src->scope);
	dst->baseline = src->baseline;
}

/* Append a fresh, initialised record to a list and return it. */
struct task *
task_list_add(struct task_list *l)
{
	size_t ncap;
	struct task *t;

	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xreallocarray(l->v, ncap, sizeof(*l->v));
		l->cap = ncap;
	}
	t = &l->v[l->n++];
	task_init(t);
	return t;
}

/* Move every record of src to the end of dst; src is left empty. */
void
task_list_take(struct task_list *dst, struct task_list *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		*task_list_add(dst) = src->v[i];
	free(src->v);
	memset(src, 0, sizeof(*src));
}

/* Free every record and the list's storage; the list is left empty. */
void
task_list_clear(struct task_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		task_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

/* The key of one run of an action (see task.h). */
char *
task_run_key(const char *base, int64_t started_at)
{
	char ts[UTIL_RFC3339_LEN];

	if (base == NULL || *base == '\0' || started_at == TASK_TIME_NONE)
		return NULL;
	util_format_rfc3339(started_at, ts);
	return xasprintf("%s@%s", base, ts);
}
