/*
 * The simulator's task table: every simulated task of every API, created by
 * the scenario, the bulk generator or the control API, changed by the
 * timeline or PATCH, and hidden (never freed) when deleted so timeline steps
 * can keep pointers.  Also the sorted per-API listing indexes, rebuilt only
 * when tasks come or go, so that bulk listings stay fast.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_TASK_MAX_STATUS 32
#define SIM_TASK_DEFAULT_STEPS 10

/* Keys every service's tasks take (scenario and control API). */
static const char *const sim_task_common_keys[] = {
	"id",
	"name",
	"instance_id",
	"instance_name",
	"status",
	"progress",
	"fail_reason",
	"created",
	"ended",
	NULL,
};

/* A new visible task of api with id (NULL: a random UUID), added last. */
struct sim_task *
sim_task_new(struct sim *sim, const struct sim_api *api, const char *id)
{
	struct sim_task *t = xcalloc(1, sizeof(*t));
	char uuid[SIM_UUID_LEN];

	if (id == NULL) {
		sim_uuid(uuid, 0);
		id = uuid;
	}
	t->api = api;
	t->id = xstrdup(id);
	t->name = xstrdup("");
	t->instance_id = xstrdup("");
	t->instance_name = xstrdup("");
	t->instance_status = xstrdup("normal");
	t->logical_cluster = xstrdup("");
	t->status = xstrdup(api->default_status);
	t->fail_reason = xstrdup("");
	t->step = xstrdup("");
	t->failed_step = xstrdup("");
	t->error_code = xstrdup("");
	t->total_steps = SIM_TASK_DEFAULT_STEPS;
	t->created = sim_now();
	t->ended = UTIL_TIME_NONE;
	t->visible = 1;
	TAILQ_INSERT_TAIL(&sim->tasks, t, entry);
	sim->gen++;
	return t;
}

/* The task with id that is not deleted (visible or not yet), or NULL. */
struct sim_task *
sim_task_find(struct sim *sim, const char *id)
{
	struct sim_task *t;

	TAILQ_FOREACH (t, &sim->tasks, entry) {
		if (!t->deleted && strcmp(t->id, id) == 0)
			return t;
	}
	return NULL;
}

/* The latest task ever created with id, deleted or not, or NULL. */
struct sim_task *
sim_task_find_any(struct sim *sim, const char *id)
{
	struct sim_task *t;

	TAILQ_FOREACH_REVERSE (t, &sim->tasks, sim_tasks, entry) {
		if (strcmp(t->id, id) == 0)
			return t;
	}
	return NULL;
}

/* 1 if the APIs show the task: it has appeared and is not deleted. */
int
sim_task_listed(const struct sim_task *t)
{
	return t->visible && !t->deleted;
}

/* 1 if the task's status word ends a task of its API. */
int
sim_task_terminal(const struct sim_task *t)
{
	return sim_word_in(t->status, t->api->terminal);
}

/* Replace an owned string. */
static void
sim_task_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Replace an owned string when value is given. */
static void
sim_task_set_opt(char **field, const char *value)
{
	if (value != NULL)
		sim_task_set(field, value);
}

/*
 * Apply a change at wall time now.  A task whose status becomes one that
 * ends it gets ended = now unless the change gives it; one that goes back
 * to another status loses its end time.  Progress and E-HPC steps follow
 * each other: the one given last wins.
 */
void
sim_task_apply(struct sim *sim, struct sim_task *t, const struct sim_change *c,
    int64_t now)
{
	int renamed = 0, restated = 0, progress = t->progress;

	if (c->delete) {
		sim_task_delete(sim, t);
		return;
	}
	if (c->name != NULL && strcmp(c->name, t->name) != 0) {
		sim_task_set(&t->name, c->name);
		sim->gen++; /* DWS actions are found by name */
		renamed = 1;
	}
	sim_task_set_opt(&t->fail_reason, c->fail_reason);
	sim_task_set_opt(&t->instance_status, c->instance_status);
	sim_task_set_opt(&t->step, c->step);
	sim_task_set_opt(&t->failed_step, c->failed_step);
	sim_task_set_opt(&t->error_code, c->error_code);
	sim_task_set_opt(&t->result, c->result);
	sim_task_set_opt(&t->errors, c->errors);
	sim_task_set_opt(&t->request, c->request);
	sim_task_set_opt(&t->target, c->target);
	if (c->total_steps > 0) {
		t->total_steps = c->total_steps;
		t->current_step = t->progress * t->total_steps / 100;
	}
	if (c->progress != -1) {
		t->progress = c->progress;
		t->current_step = t->progress * t->total_steps / 100;
	}
	if (c->current_step != -1) {
		t->current_step = c->current_step;
		if (t->current_step > t->total_steps)
			t->current_step = t->total_steps;
		t->progress = t->current_step * 100 / t->total_steps;
	}
	if (c->status != NULL && strcmp(c->status, t->status) != 0) {
		sim_task_set(&t->status, c->status);
		if (!sim_task_terminal(t))
			t->ended = UTIL_TIME_NONE;
		else if (t->ended == UTIL_TIME_NONE)
			t->ended = now;
		restated = 1;
	}
	if (c->ended != UTIL_TIME_NONE)
		t->ended = c->ended;
	if (!sim_task_listed(t))
		return;
	if (!t->logged) {
		t->logged = 1;
		sim_changes_note(sim, t, "appear");
	} else if (restated)
		sim_changes_note(sim, t, "state");
	else if (renamed)
		sim_changes_note(sim, t, "type");
	else if (t->progress != progress)
		sim_changes_note(sim, t, "progress");
}

/*
 * Make a task visible at wall time now: it was created now unless the
 * scenario said otherwise, and a finished one ended now.
 */
void
sim_task_appear(struct sim *sim, struct sim_task *t, int64_t now)
{
	t->visible = 1;
	if (!t->created_set)
		t->created = now;
	if (sim_task_terminal(t) && t->ended == UTIL_TIME_NONE)
		t->ended = now < t->created ? t->created : now;
	sim->gen++;
	if (!t->logged && !t->deleted) {
		t->logged = 1;
		sim_changes_note(sim, t, "appear");
	}
}

/* Delete a task: it vanishes from every listing and lookup. */
void
sim_task_delete(struct sim *sim, struct sim_task *t)
{
	if (!t->deleted && t->logged && t->visible)
		sim_changes_note(sim, t, "vanish");
	t->deleted = 1;
	sim->gen++;
}

/* 1 if the task's service takes key (common or its own). */
int
sim_task_key_ok(const struct sim_api *api, const char *key)
{
	return sim_word_in(key, sim_task_common_keys) ||
	    (api->keys != NULL && sim_word_in(key, api->keys));
}

/* Write the control API's view of a task. */
void
sim_task_json(struct json_writer *w, const struct sim_task *t)
{
	const struct sim_api *api = t->api;
	char ts[UTIL_RFC3339_LEN];

	json_w_obj_open(w);
	json_w_kstr(w, "service", api->service);
	json_w_kstr(w, "id", t->id);
	json_w_kstr(w, "name", t->name);
	json_w_kstr(w, "instance_id", t->instance_id);
	json_w_kstr(w, "instance_name", t->instance_name);
	if (sim_task_key_ok(api, "instance_status"))
		json_w_kstr(w, "instance_status", t->instance_status);
	if (sim_task_key_ok(api, "logical_cluster"))
		json_w_kstr(w, "logical_cluster", t->logical_cluster);
	json_w_kstr(w, "status", t->status);
	json_w_kint(w, "progress", t->progress);
	if (sim_task_key_ok(api, "total_steps")) {
		json_w_kint(w, "total_steps", t->total_steps);
		json_w_kint(w, "current_step", t->current_step);
	}
	if (sim_task_key_ok(api, "step"))
		json_w_kstr(w, "step", t->step);
	if (sim_task_key_ok(api, "failed_step"))
		json_w_kstr(w, "failed_step", t->failed_step);
	if (sim_task_key_ok(api, "error_code"))
		json_w_kstr(w, "error_code", t->error_code);
	json_w_kstr(w, "fail_reason", t->fail_reason);
	if (sim_task_key_ok(api, "result")) {
		json_w_kstr(w, "result", t->result);
		json_w_kstr(w, "errors", t->errors);
		json_w_kstr(w, "request", t->request);
	}
	if (sim_task_key_ok(api, "target"))
		json_w_kstr(w, "target", t->target);
	util_format_rfc3339(t->created, ts);
	json_w_kstr(w, "created", ts);
	if (t->ended != UTIL_TIME_NONE) {
		util_format_rfc3339(t->ended, ts);
		json_w_kstr(w, "ended", ts);
	} else
		json_w_kstr(w, "ended", NULL);
	json_w_kbool(w, "visible", t->visible);
	json_w_kbool(w, "deleted", t->deleted);
	json_w_obj_close(w);
}

/* Free every task. */
void
sim_tasks_free(struct sim *sim)
{
	struct sim_task *t;

	while ((t = TAILQ_FIRST(&sim->tasks)) != NULL) {
		TAILQ_REMOVE(&sim->tasks, t, entry);
		free(t->id);
		free(t->name);
		free(t->instance_id);
		free(t->instance_name);
		free(t->instance_status);
		free(t->logical_cluster);
		free(t->status);
		free(t->fail_reason);
		free(t->step);
		free(t->failed_step);
		free(t->error_code);
		free(t->result);
		free(t->errors);
		free(t->request);
		free(t->target);
		free(t);
	}
}

/*
 * 1 for an acceptable status word: a letter, then letters, digits or '_',
 * at most 32.  Words a service does not document are served as they are,
 * to test how clients take unknown states.
 */
int
sim_task_valid_status(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= SIM_TASK_MAX_STATUS ||
		    (!isalnum((unsigned char)s[i]) && s[i] != '_'))
			return 0;
	}
	return 1;
}

/* Parse a progress "60" or "60%" in 0..100; -1 if malformed. */
int
sim_task_parse_progress(const char *s, int *out)
{
	char num[8];
	size_t len = strlen(s);
	long long v;
	const char *errstr;

	if (len > 0 && s[len - 1] == '%')
		len--;
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	if (util_strtonum(num, 0, 100, &v, &errstr) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

/* An empty change. */
void
sim_change_init(struct sim_change *c)
{
	memset(c, 0, sizeof(*c));
	c->progress = -1;
	c->current_step = -1;
	c->ended = UTIL_TIME_NONE;
}

/* Free what a change holds and empty it. */
void
sim_change_clear(struct sim_change *c)
{
	free(c->name);
	free(c->status);
	free(c->fail_reason);
	free(c->instance_status);
	free(c->step);
	free(c->failed_step);
	free(c->error_code);
	free(c->result);
	free(c->errors);
	free(c->request);
	free(c->target);
	sim_change_init(c);
}

/* Order newest first; ties by id, descending, for stable pages. */
int
sim_task_cmp_created(const struct sim_task *x, const struct sim_task *y)
{
	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return -strcmp(x->id, y->id);
}

/*
 * The listed tasks of api in the API's order; rebuilt only after tasks
 * were added, deleted, appeared or renamed.  The array belongs to sim.
 */
struct sim_task **
sim_index(struct sim *sim, const struct sim_api *api, size_t *n)
{
	struct sim_index *idx = &sim->indexes[sim_api_slot(api)];
	struct sim_task *t;
	size_t count = 0;

	if (idx->v != NULL && idx->gen == sim->gen) {
		*n = idx->n;
		return idx->v;
	}
	TAILQ_FOREACH (t, &sim->tasks, entry) {
		if (t->api == api && sim_task_listed(t))
			count++;
	}
	free(idx->v);
	idx->v = xcalloc(count + 1, sizeof(*idx->v));
	idx->n = 0;
	TAILQ_FOREACH (t, &sim->tasks, entry) {
		if (t->api == api && sim_task_listed(t))
			idx->v[idx->n++] = t;
	}
	if (idx->n > 1 && api->cmp != NULL)
		qsort(idx->v, idx->n, sizeof(*idx->v), api->cmp);
	idx->gen = sim->gen;
	*n = idx->n;
	return idx->v;
}

/*
 * The first position of cluster's tasks in an index sorted by instance_id
 * first, and in *count how many there are.
 */
size_t
sim_index_cluster(
    struct sim_task **v, size_t n, const char *cluster, size_t *count)
{
	size_t lo = 0, hi = n, mid, first;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid]->instance_id, cluster) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	hi = n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid]->instance_id, cluster) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*count = lo - first;
	return first;
}

/* Free the listing indexes. */
void
sim_indexes_free(struct sim *sim)
{
	size_t i, n = sim_api_count();

	for (i = 0; sim->indexes != NULL && i < n; i++)
		free(sim->indexes[i].v);
	free(sim->indexes);
	sim->indexes = NULL;
}
