/*
 * The simulator's task table: every simulated task of every API, created by
 * the scenario or the control API, changed by the timeline or PATCH, and
 * hidden (never freed) when deleted so timeline steps can keep pointers.
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

/* Fill dst with a random version 4 UUID. */
static void
sim_task_uuid(char dst[SIM_UUID_LEN])
{
	char hex[33];

	sim_random_hex(hex, 32);
	hex[12] = '4';
	hex[16] = "89ab"[hex[16] % 4];
	snprintf(dst, SIM_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
}

/* A new visible task of api with id (NULL: a random UUID), added last. */
struct sim_task *
sim_task_new(struct sim *sim, const struct sim_api *api, const char *id)
{
	struct sim_task *t = xcalloc(1, sizeof(*t));
	char uuid[SIM_UUID_LEN];

	if (id == NULL) {
		sim_task_uuid(uuid);
		id = uuid;
	}
	t->api = api;
	t->id = xstrdup(id);
	t->name = xstrdup("");
	t->instance_id = xstrdup("");
	t->instance_name = xstrdup("");
	t->status = xstrdup("Running");
	t->fail_reason = xstrdup("");
	t->created = sim_now();
	t->ended = UTIL_TIME_NONE;
	t->visible = 1;
	TAILQ_INSERT_TAIL(&sim->tasks, t, entry);
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

/* 1 if the APIs show the task: it has appeared and is not deleted. */
int
sim_task_listed(const struct sim_task *t)
{
	return t->visible && !t->deleted;
}

/* 1 for a status word that ends a task. */
static int
sim_task_terminal(const char *status)
{
	return strcmp(status, "Completed") == 0 ||
	    strcmp(status, "Failed") == 0 || strcmp(status, "Canceled") == 0;
}

/* Replace an owned string. */
static void
sim_task_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/*
 * Apply a change at wall time now.  A task that becomes Completed, Failed
 * or Canceled gets ended = now unless the change gives it; one that goes
 * back to another status loses its end time.
 */
void
sim_task_apply(struct sim_task *t, const struct sim_change *c, int64_t now)
{
	if (c->delete) {
		t->deleted = 1;
		return;
	}
	if (c->name != NULL)
		sim_task_set(&t->name, c->name);
	if (c->fail_reason != NULL)
		sim_task_set(&t->fail_reason, c->fail_reason);
	if (c->progress != -1)
		t->progress = c->progress;
	if (c->status != NULL && strcmp(c->status, t->status) != 0) {
		sim_task_set(&t->status, c->status);
		if (!sim_task_terminal(t->status))
			t->ended = UTIL_TIME_NONE;
		else if (t->ended == UTIL_TIME_NONE)
			t->ended = now;
	}
	if (c->ended != UTIL_TIME_NONE)
		t->ended = c->ended;
}

/*
 * Make a task visible at wall time now: it was created now unless the
 * scenario said otherwise, and a finished one ended now.
 */
void
sim_task_appear(struct sim_task *t, int64_t now)
{
	t->visible = 1;
	if (!t->created_set)
		t->created = now;
	if (sim_task_terminal(t->status) && t->ended == UTIL_TIME_NONE)
		t->ended = now < t->created ? t->created : now;
}

/* Write the control API's view of a task. */
void
sim_task_json(struct json_writer *w, const struct sim_task *t)
{
	char ts[UTIL_RFC3339_LEN];

	json_w_obj_open(w);
	json_w_kstr(w, "service", t->api->service);
	json_w_kstr(w, "id", t->id);
	json_w_kstr(w, "name", t->name);
	json_w_kstr(w, "instance_id", t->instance_id);
	json_w_kstr(w, "instance_name", t->instance_name);
	json_w_kstr(w, "status", t->status);
	json_w_kint(w, "progress", t->progress);
	json_w_kstr(w, "fail_reason", t->fail_reason);
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
		free(t->status);
		free(t->fail_reason);
		free(t);
	}
}

/*
 * 1 for an acceptable status word: a letter, then letters, digits or '_',
 * at most 32.  Running, Completed and Failed are what DDS documents; other
 * words are served as they are, to test how clients take unknown states.
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
	c->ended = UTIL_TIME_NONE;
}

/* Free what a change holds and empty it. */
void
sim_change_clear(struct sim_change *c)
{
	free(c->name);
	free(c->status);
	free(c->fail_reason);
	sim_change_init(c);
}
