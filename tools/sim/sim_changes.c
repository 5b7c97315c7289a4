/*
 * The change log: every change the simulator makes to a task, whoever
 * makes it (scenario timeline, control API, bulk mode, lifecycles), with a
 * sequence number, the wall-clock time, the task's API, cluster, id, type,
 * raw status, canonical state and progress, for GET /_sim/changes.  A test
 * oracle compares what a daemon reported with it; a benchmark measures
 * latency from it.  The canonical states follow the table of
 * spec/cloud-apis.md, written here again so the oracle does not share the
 * daemon's own mapping.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "monotime.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_CHANGES_MAX 262144 /* entries kept; the oldest go first */

/* One change, as it was when it was made. */
struct sim_changes_entry {
	uint64_t seq;
	int64_t at_ms;               /* wall clock */
	const struct sim_task *task; /* borrowed: tasks are never freed */
	const char *what;            /* static: appear, state, ... */
	char *name;
	char *status;
	int progress;
};

/* The ring of the latest changes. */
struct sim_changes {
	struct sim_changes_entry *v;
	size_t next; /* where the next one goes */
	size_t n;    /* how many are kept */
	uint64_t seq;
	uint64_t dropped; /* overwritten since the last clear */
};

/* A raw word and its canonical state, for the APIs that use it. */
static const struct sim_changes_word {
	const char *word;
	const char *state;
	const char *apis; /* services, space-separated */
} sim_changes_words[] = {
	{ "WAITING", "PENDING", "dws.actions" },
	{ "Pending", "PENDING", "dds gaussdb" },
	{ "RUNNING", "RUNNING", "dws.actions dds gaussdb ehpc" },
	{ "running", "RUNNING", "dws.logical" }, /* served as no result */
	{ "", "RUNNING", "dws.logical" },
	{ "Processing", "RUNNING", "ehpc" },
	{ "InProgress", "RUNNING", "ehpc.operations" },
	{ "ROLLBACK_RUNNING", "ROLLING_BACK", "dws.actions" },
	{ "SUCCESS", "SUCCEEDED", "dws.actions dws.logical ehpc" },
	{ "Completed", "SUCCEEDED", "dds gaussdb" },
	{ "Finished", "SUCCEEDED", "ehpc.operations" },
	{ "FAILED", "FAILED",
	    "dws.actions dws.logical dds gaussdb ehpc ehpc.operations" },
	{ "ROLLBACK_FAIL", "FAILED", "dws.actions" },
	{ "Fail", "FAILED", "ehpc" },
	{ "PartialFail", "PARTIAL", "ehpc" },
	{ "ROLLBACK_SUCCESS", "ROLLED_BACK", "dws.actions" },
	{ "Canceled", "CANCELLED", "dds gaussdb" },
};

/* The daemon's name of a simulated API ("dds" -> "dds.jobs"). */
const char *
sim_changes_api_name(const struct sim_api *api)
{
	static const char *const names[][2] = {
		{ "dds", "dds.jobs" },
		{ "gaussdb", "gaussdb.tasks" },
		{ "ehpc", "ehpc.tasks" },
		{ "dws.logical", "dws.logical_tasks" },
		{ "dws.actions", "dws.actions" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(api->service, names[i][0]) == 0)
			return names[i][1];
	}
	return api->service;
}

/* 1 if the space-separated list holds word. */
static int
sim_changes_in(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += len) {
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return 1;
	}
	return 0;
}

/* The canonical state of a raw status of api (case-insensitive). */
const char *
sim_changes_state(const struct sim_api *api, const char *status)
{
	size_t i;

	for (i = 0;
	     i < sizeof(sim_changes_words) / sizeof(sim_changes_words[0]);
	     i++) {
		if (strcasecmp(status, sim_changes_words[i].word) == 0 &&
		    sim_changes_in(sim_changes_words[i].apis, api->service))
			return sim_changes_words[i].state;
	}
	return "UNKNOWN";
}

/* Record that task t changed (what: appear, state, type, progress, vanish). */
void
sim_changes_note(struct sim *sim, const struct sim_task *t, const char *what)
{
	struct sim_changes *ch = sim->changes;
	struct sim_changes_entry *e;

	if (ch == NULL) {
		ch = sim->changes = xcalloc(1, sizeof(*ch));
		ch->v = xcalloc(SIM_CHANGES_MAX, sizeof(*ch->v));
	}
	e = &ch->v[ch->next];
	if (ch->n == SIM_CHANGES_MAX) {
		free(e->name);
		free(e->status);
		ch->dropped++;
	} else
		ch->n++;
	e->seq = ++ch->seq;
	e->at_ms = monotime_wall_ms();
	e->task = t;
	e->what = what;
	e->name = xstrdup(t->name);
	e->status = xstrdup(t->status);
	e->progress = t->progress;
	ch->next = (ch->next + 1) % SIM_CHANGES_MAX;
}

/* Write one entry. */
static void
sim_changes_entry_json(struct json_writer *w, const struct sim_changes_entry *e)
{
	const struct sim_task *t = e->task;

	json_w_obj_open(w);
	json_w_kint(w, "seq", (int64_t)e->seq);
	json_w_kint(w, "at_ms", e->at_ms);
	json_w_kstr(w, "api", sim_changes_api_name(t->api));
	json_w_kstr(w, "cluster", t->instance_id);
	json_w_kstr(w, "id", t->id);
	json_w_kstr(w, "type", e->name);
	json_w_kstr(w, "what", e->what);
	json_w_kstr(w, "status", e->status);
	json_w_kstr(w, "state", sim_changes_state(t->api, e->status));
	json_w_kint(w, "progress", e->progress);
	json_w_kint(w, "created", t->created);
	if (sim_task_key_ok(t->api, "logical_cluster"))
		json_w_kstr(w, "logical_cluster", t->logical_cluster);
	json_w_obj_close(w);
}

/*
 * The changes made after since_ms (wall clock) with a sequence number
 * above after, oldest first, at most limit (0: all), as
 * {"changes":[...],"dropped":N,"last":SEQ}.
 */
void
sim_changes_json(struct sim *sim, int64_t since_ms, uint64_t after,
    size_t limit, struct json_writer *w)
{
	struct sim_changes *ch = sim->changes;
	const struct sim_changes_entry *e;
	size_t k, first, out = 0;

	json_w_obj_open(w);
	json_w_key(w, "changes");
	json_w_arr_open(w);
	first = ch != NULL
	    ? (ch->next + SIM_CHANGES_MAX - ch->n) % SIM_CHANGES_MAX
	    : 0;
	for (k = 0; ch != NULL && k < ch->n; k++) {
		e = &ch->v[(first + k) % SIM_CHANGES_MAX];
		if (e->at_ms <= since_ms || e->seq <= after)
			continue;
		if (limit > 0 && out == limit)
			break;
		sim_changes_entry_json(w, e);
		out++;
	}
	json_w_arr_close(w);
	json_w_kint(w, "dropped", ch != NULL ? (int64_t)ch->dropped : 0);
	json_w_kint(w, "last", ch != NULL ? (int64_t)ch->seq : 0);
	json_w_obj_close(w);
}

/* Forget the recorded changes (the sequence goes on). */
void
sim_changes_clear(struct sim *sim)
{
	struct sim_changes *ch = sim->changes;
	size_t i;

	if (ch == NULL)
		return;
	for (i = 0; i < SIM_CHANGES_MAX; i++) {
		free(ch->v[i].name);
		free(ch->v[i].status);
		ch->v[i].name = ch->v[i].status = NULL;
	}
	ch->next = ch->n = 0;
	ch->dropped = 0;
}

/* Free the change log. */
void
sim_changes_free(struct sim *sim)
{
	if (sim->changes == NULL)
		return;
	sim_changes_clear(sim);
	free(sim->changes->v);
	free(sim->changes);
	sim->changes = NULL;
}
