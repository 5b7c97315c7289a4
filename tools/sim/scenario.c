/*
 * Scenario files: libyaml reads the tasks each simulated API starts with and
 * their timed changes, reporting mistakes as FILE:LINE:COL: message.  The
 * changes form a timeline, sorted once and run on one monotonic libevent
 * timer that is re-armed for the next due step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <yaml.h>

#include "log.h"
#include "monotime.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SCENARIO_MAX_STEPS 100000

/* One timed change: a task appears, changes or is deleted. */
struct scenario_step {
	uint64_t at_ms;        /* after the simulator started */
	size_t seq;            /* file order, for stable ties */
	struct sim_task *task; /* borrowed */
	int appear;
	struct sim_change change;
};

/* The timeline. */
struct scenario {
	struct scenario_step *steps;
	size_t nsteps;
	size_t next; /* first step not applied */
	struct event *timer;
};

/* State while reading a file. */
struct scenario_parse {
	const char *path;
	yaml_document_t doc;
	struct sim *sim;
	struct scenario *sc;
	char *cause;
};

/* Set the error for node (first one wins) and return -1. */
static int __attribute__((format(printf, 3, 4))) scenario_error(
    struct scenario_parse *sp, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (sp->cause != NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sp->cause = xasprintf("%s:%zu:%zu: %s", sp->path,
	    node->start_mark.line + 1, node->start_mark.column + 1, msg);
	return -1;
}

/* The node at index i of the document. */
static yaml_node_t *
scenario_node(struct scenario_parse *sp, int i)
{
	return yaml_document_get_node(&sp->doc, i);
}

/* The text of a scalar node; NULL (and an error) for other nodes. */
static const char *
scenario_scalar(struct scenario_parse *sp, yaml_node_t *node, const char *what)
{
	if (node->type != YAML_SCALAR_NODE) {
		scenario_error(sp, node, "%s must be a single value", what);
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

/* Check a mapping's keys against the NULL-terminated list keys. */
static int
scenario_keys(struct scenario_parse *sp, yaml_node_t *map,
    const char *const *keys, const char *what)
{
	yaml_node_pair_t *p, *q;
	yaml_node_t *k;
	const char *name;
	size_t i;

	if (map->type != YAML_MAPPING_NODE)
		return scenario_error(sp, map, "%s must be a mapping", what);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = scenario_node(sp, p->key);
		if ((name = scenario_scalar(sp, k, "a key")) == NULL)
			return -1;
		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(name, keys[i]) == 0)
				break;
		}
		if (keys[i] == NULL)
			return scenario_error(
			    sp, k, "unknown key \"%s\" in %s", name, what);
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			if (strcmp((const char *)scenario_node(sp, q->key)
				       ->data.scalar.value,
				name) == 0)
				return scenario_error(sp, k,
				    "duplicate key "
				    "\"%s\"",
				    name);
		}
	}
	return 0;
}

/* The value node of key in a checked mapping, or NULL. */
static yaml_node_t *
scenario_get(struct scenario_parse *sp, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		if (strcmp((const char *)scenario_node(sp, p->key)
			       ->data.scalar.value,
			key) == 0)
			return scenario_node(sp, p->value);
	}
	return NULL;
}

/* Read an optional string; *out stays NULL when absent. */
static int
scenario_str(struct scenario_parse *sp, yaml_node_t *map, const char *key,
    const char **out)
{
	yaml_node_t *v = scenario_get(sp, map, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((*out = scenario_scalar(sp, v, key)) == NULL)
		return -1;
	return 0;
}

/* Read an optional duration such as "8s"; -1 if malformed. */
static int
scenario_duration(struct scenario_parse *sp, yaml_node_t *map, const char *key,
    int *present, uint64_t *out_ms)
{
	yaml_node_t *v = scenario_get(sp, map, key);
	const char *s;

	*present = v != NULL;
	if (v == NULL)
		return 0;
	if ((s = scenario_scalar(sp, v, key)) == NULL)
		return -1;
	if (util_parse_duration_ms(s, out_ms) == -1)
		return scenario_error(sp, v,
		    "%s: bad duration \"%s\" (use "
		    "e.g. 500ms, 4s, 2m)",
		    key, s);
	return 0;
}

/*
 * Read an optional time: a signed offset from the simulator's start ("-2m",
 * "30s") or an absolute time ("2025-05-19T09:07:42Z").
 */
static int
scenario_time(
    struct scenario_parse *sp, yaml_node_t *map, const char *key, int64_t *out)
{
	yaml_node_t *v = scenario_get(sp, map, key);
	const char *s, *p;
	uint64_t ms;
	int64_t off;

	*out = UTIL_TIME_NONE;
	if (v == NULL)
		return 0;
	if ((s = scenario_scalar(sp, v, key)) == NULL)
		return -1;
	p = s + (*s == '-' || *s == '+');
	if (util_parse_duration_ms(p, &ms) == 0 && ms <= INT64_MAX / 2) {
		off = *s == '-' ? -(int64_t)ms : (int64_t)ms;
		*out = (sp->sim->start_wall_ms + off) / 1000;
		return 0;
	}
	if (util_parse_time(s, 0, out) == 0)
		return 0;
	return scenario_error(sp, v,
	    "%s: bad time \"%s\" (use an offset "
	    "from the start such as -2m, or 2025-05-19T09:07:42Z)",
	    key, s);
}

/* Read the fields of a change (job or timed step) into c. */
static int
scenario_change(
    struct scenario_parse *sp, yaml_node_t *map, struct sim_change *c)
{
	const char *s;

	if (scenario_str(sp, map, "name", &s) == -1)
		return -1;
	c->name = xstrdup(s);
	if (scenario_str(sp, map, "fail_reason", &s) == -1)
		return -1;
	c->fail_reason = xstrdup(s);
	if (scenario_str(sp, map, "status", &s) == -1)
		return -1;
	if (s != NULL && !sim_task_valid_status(s))
		return scenario_error(sp, scenario_get(sp, map, "status"),
		    "status: bad word \"%s\" (DDS uses Running, Completed, "
		    "Failed)",
		    s);
	c->status = xstrdup(s);
	if (scenario_str(sp, map, "progress", &s) == -1)
		return -1;
	if (s != NULL && sim_task_parse_progress(s, &c->progress) == -1)
		return scenario_error(sp, scenario_get(sp, map, "progress"),
		    "progress: \"%s\" is not a percentage from 0 to 100", s);
	return scenario_time(sp, map, "ended", &c->ended);
}

/* Append a step to the timeline; it takes over *c. */
static int
scenario_add_step(struct scenario_parse *sp, yaml_node_t *node, uint64_t at_ms,
    struct sim_task *t, int appear, struct sim_change *c)
{
	struct scenario *sc = sp->sc;
	struct scenario_step *st;

	if (sc->nsteps >= SCENARIO_MAX_STEPS)
		return scenario_error(sp, node, "too many timed changes");
	sc->steps =
	    xreallocarray(sc->steps, sc->nsteps + 1, sizeof(*sc->steps));
	st = &sc->steps[sc->nsteps];
	st->at_ms = at_ms;
	st->seq = sc->nsteps;
	st->task = t;
	st->appear = appear;
	if (c != NULL) {
		st->change = *c;
		sim_change_init(c);
	} else
		sim_change_init(&st->change);
	sc->nsteps++;
	return 0;
}

/* Read one entry of a job's "at" list. */
static int
scenario_timed(struct scenario_parse *sp, yaml_node_t *node, struct sim_task *t)
{
	static const char *const keys[] = {
		"after",
		"status",
		"progress",
		"fail_reason",
		"name",
		"ended",
		"delete",
		NULL,
	};
	struct sim_change c;
	yaml_node_t *v;
	uint64_t after;
	int present, rc = -1;
	const char *s;

	sim_change_init(&c);
	if (scenario_keys(sp, node, keys, "a timed change") == -1 ||
	    scenario_duration(sp, node, "after", &present, &after) == -1)
		goto out;
	if (!present) {
		scenario_error(sp, node, "a timed change needs \"after\"");
		goto out;
	}
	if (scenario_change(sp, node, &c) == -1 ||
	    scenario_str(sp, node, "delete", &s) == -1)
		goto out;
	if (s != NULL) {
		v = scenario_get(sp, node, "delete");
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
			scenario_error(sp, v, "delete must be true or false");
			goto out;
		}
		c.delete = strcmp(s, "true") == 0;
		if (c.delete &&node->data.mapping.pairs.top -
			node->data.mapping.pairs.start !=
		    2) {
			scenario_error(sp, v,
			    "delete: true takes no other "
			    "changes");
			goto out;
		}
	}
	rc = scenario_add_step(sp, node, after, t, 0, &c);
out:
	sim_change_clear(&c);
	return rc;
}

/* Copy an optional string into an owned task field. */
static void
scenario_set(char **field, const char *value)
{
	if (value == NULL)
		return;
	free(*field);
	*field = xstrdup(value);
}

/* Read one job of a service's list and create its task. */
static int
scenario_job(
    struct scenario_parse *sp, const struct sim_api *api, yaml_node_t *node)
{
	static const char *const keys[] = {
		"id",
		"name",
		"instance_id",
		"instance_name",
		"status",
		"progress",
		"fail_reason",
		"created",
		"ended",
		"appear_after",
		"at",
		NULL,
	};
	const char *id, *instance_id, *instance_name;
	struct sim_change c;
	struct sim_task *t;
	yaml_node_t *at, *v;
	yaml_node_item_t *it;
	int64_t created, ended, start = sp->sim->start_wall_ms / 1000;
	uint64_t appear_ms;
	int appear, rc = -1;

	sim_change_init(&c);
	if (scenario_keys(sp, node, keys, "a job") == -1 ||
	    scenario_str(sp, node, "id", &id) == -1 ||
	    scenario_str(sp, node, "instance_id", &instance_id) == -1 ||
	    scenario_str(sp, node, "instance_name", &instance_name) == -1 ||
	    scenario_time(sp, node, "created", &created) == -1 ||
	    scenario_duration(sp, node, "appear_after", &appear, &appear_ms) ==
		-1 ||
	    scenario_change(sp, node, &c) == -1)
		goto out;
	if (id != NULL && *id == '\0') {
		scenario_error(sp, scenario_get(sp, node, "id"), "empty id");
		goto out;
	}
	if (id != NULL && sim_task_find(sp->sim, id) != NULL) {
		scenario_error(sp, scenario_get(sp, node, "id"),
		    "duplicate "
		    "job id \"%s\"",
		    id);
		goto out;
	}
	at = scenario_get(sp, node, "at");
	if (at != NULL && at->type != YAML_SEQUENCE_NODE) {
		scenario_error(sp, at, "at must be a list of timed changes");
		goto out;
	}

	t = sim_task_new(sp->sim, api, id);
	scenario_set(&t->instance_id, instance_id);
	scenario_set(&t->instance_name, instance_name);
	t->created = created != UTIL_TIME_NONE ? created : start;
	t->created_set = created != UTIL_TIME_NONE;
	ended = c.ended;
	sim_task_apply(t, &c, start);
	if (appear) {
		/* a finished job that appears later ends when it appears */
		t->visible = 0;
		t->ended = ended;
		if (scenario_add_step(sp, node, appear_ms, t, 1, NULL) == -1)
			goto out;
	}
	for (it = at != NULL ? at->data.sequence.items.start : NULL;
	     it != NULL && it < at->data.sequence.items.top; it++) {
		v = scenario_node(sp, *it);
		if (scenario_timed(sp, v, t) == -1)
			goto out;
	}
	rc = 0;
out:
	sim_change_clear(&c);
	return rc;
}

/* Read a service's section: its list of jobs. */
static int
scenario_service(
    struct scenario_parse *sp, const struct sim_api *api, yaml_node_t *node)
{
	const char *keys[] = { api->list_key, NULL };
	yaml_node_item_t *it;
	yaml_node_t *list;

	if (scenario_keys(sp, node, keys, api->service) == -1)
		return -1;
	if ((list = scenario_get(sp, node, api->list_key)) == NULL)
		return 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return scenario_error(
		    sp, list, "%s must be a list", api->list_key);
	for (it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		if (scenario_job(sp, api, scenario_node(sp, *it)) == -1)
			return -1;
	}
	return 0;
}

/* Read the top-level mapping. */
static int
scenario_root(struct scenario_parse *sp, yaml_node_t *root)
{
	yaml_node_pair_t *p;
	const struct sim_api *api;
	yaml_node_t *k, *v;
	const char *name, *s;

	if (root->type != YAML_MAPPING_NODE)
		return scenario_error(sp, root, "a scenario must be a mapping");
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = scenario_node(sp, p->key);
		v = scenario_node(sp, p->value);
		if ((name = scenario_scalar(sp, k, "a key")) == NULL)
			return -1;
		if (strcmp(name, "project_id") == 0) {
			if ((s = scenario_scalar(sp, v, name)) == NULL)
				return -1;
			free(sp->sim->project_id);
			sp->sim->project_id = xstrdup(s);
		} else if ((api = sim_api_find(name)) != NULL) {
			if (scenario_service(sp, api, v) == -1)
				return -1;
		} else
			return scenario_error(sp, k,
			    "unknown key \"%s\" (a "
			    "service such as dds, or project_id)",
			    name);
	}
	return 0;
}

/* Order steps by time, then file order. */
static int
scenario_step_cmp(const void *a, const void *b)
{
	const struct scenario_step *x = a, *y = b;

	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Read scenario file path into the simulator; -1 with *cause on error. */
int
scenario_load(struct sim *sim, const char *path, char **cause)
{
	struct scenario_parse sp;
	yaml_parser_t parser;
	yaml_node_t *root;
	FILE *f;
	int rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	memset(&sp, 0, sizeof(sp));
	sp.path = path;
	sp.sim = sim;
	if (sim->scenario == NULL)
		sim->scenario = xcalloc(1, sizeof(*sim->scenario));
	sp.sc = sim->scenario;
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize failed");
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &sp.doc)) {
		*cause = xasprintf("%s:%zu:%zu: %s", path,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem != NULL ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	if ((root = yaml_document_get_root_node(&sp.doc)) == NULL ||
	    (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
		rc = 0; /* an empty file: no tasks */
	else
		rc = scenario_root(&sp, root);
	yaml_document_delete(&sp.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc == -1) {
		*cause = sp.cause;
		return -1;
	}
	if (sp.sc->nsteps > 0)
		qsort(sp.sc->steps, sp.sc->nsteps, sizeof(*sp.sc->steps),
		    scenario_step_cmp);
	return 0;
}

/* Log a step being applied, with -v. */
static void
scenario_log(const struct scenario_step *st)
{
	const struct sim_change *c = &st->change;
	const struct sim_task *t = st->task;

	if (!log_getverbose())
		return;
	if (st->appear)
		log_debug("scenario: %s %s appears (%s)", t->api->service,
		    t->id, t->status);
	else if (c->delete)
		log_debug("scenario: %s %s deleted", t->api->service, t->id);
	else
		log_debug("scenario: %s %s: status %s progress %d%%%s%s",
		    t->api->service, t->id, t->status, t->progress,
		    util_empty(t->fail_reason) ? "" : " fail_reason ",
		    t->fail_reason);
}

/* Arm the timer for the next step, if any. */
static void
scenario_arm(struct sim *sim)
{
	struct scenario *sc = sim->scenario;
	uint64_t elapsed = monotime_ms() - sim->start_mono_ms, due;
	struct timeval tv;

	if (sc->next >= sc->nsteps)
		return;
	due = sc->steps[sc->next].at_ms;
	due = due > elapsed ? due - elapsed : 0;
	tv.tv_sec = (time_t)(due / 1000);
	tv.tv_usec = (suseconds_t)(due % 1000) * 1000;
	evtimer_add(sc->timer, &tv);
}

/* Timer: apply every step that is due, then wait for the next. */
static void
scenario_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sim *sim = arg;
	struct scenario *sc = sim->scenario;
	uint64_t elapsed = monotime_ms() - sim->start_mono_ms;
	struct scenario_step *st;

	while (sc->next < sc->nsteps && sc->steps[sc->next].at_ms <= elapsed) {
		st = &sc->steps[sc->next++];
		if (st->task->deleted)
			continue;
		if (st->appear)
			sim_task_appear(st->task, sim_now());
		else
			sim_task_apply(st->task, &st->change, sim_now());
		scenario_log(st);
	}
	scenario_arm(sim);
}

/* Start the timeline (after the server is up). */
void
scenario_start(struct sim *sim)
{
	struct scenario *sc = sim->scenario;

	if (sc == NULL || sc->nsteps == 0)
		return;
	if ((sc->timer = evtimer_new(sim->base, scenario_timer_cb, sim)) ==
	    NULL)
		fatalx("evtimer_new failed");
	scenario_arm(sim);
}

/* Free the timeline. */
void
scenario_free(struct sim *sim)
{
	struct scenario *sc = sim->scenario;
	size_t i;

	if (sc == NULL)
		return;
	if (sc->timer != NULL)
		event_free(sc->timer);
	for (i = 0; i < sc->nsteps; i++)
		sim_change_clear(&sc->steps[i].change);
	free(sc->steps);
	free(sc);
	sim->scenario = NULL;
}
