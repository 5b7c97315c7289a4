/*
 * Scenario files: libyaml reads the accounts, clusters and tasks each
 * simulated API starts with and the tasks' timed changes, reporting
 * mistakes as FILE:LINE:COL: message.  The changes form a timeline, sorted
 * once and run on one monotonic libevent timer that is re-armed for the
 * next due step.
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
#define SCENARIO_MAX_KEYS 32

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

/* Read an optional string into an owned copy. */
static int
scenario_dup(
    struct scenario_parse *sp, yaml_node_t *map, const char *key, char **out)
{
	const char *s;

	if (scenario_str(sp, map, key, &s) == -1)
		return -1;
	*out = xstrdup(s);
	return 0;
}

/* Read an optional integer in [min, max]; *out stays as it is if absent. */
static int
scenario_int(struct scenario_parse *sp, yaml_node_t *map, const char *key,
    long long min, long long max, int *out)
{
	const char *s, *errstr;
	long long v;

	if (scenario_str(sp, map, key, &s) == -1)
		return -1;
	if (s == NULL)
		return 0;
	if (util_strtonum(s, min, max, &v, &errstr) == -1)
		return scenario_error(sp, scenario_get(sp, map, key),
		    "%s: \"%s\" is not an integer from %lld to %lld", key, s,
		    min, max);
	*out = (int)v;
	return 0;
}

/*
 * Check a mapping's keys: the task keys of api and the NULL-terminated
 * extra ones, without the banned ones.
 */
static int
scenario_task_keys(struct scenario_parse *sp, yaml_node_t *map,
    const struct sim_api *api, const char *const *extra,
    const char *const *banned, const char *what)
{
	static const char *const common[] = {
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
	const char *keys[SCENARIO_MAX_KEYS];
	size_t n = 0, i;

	for (i = 0; common[i] != NULL; i++) {
		if (!sim_word_in(common[i], banned))
			keys[n++] = common[i];
	}
	for (i = 0; api->keys != NULL && api->keys[i] != NULL; i++) {
		if (!sim_word_in(api->keys[i], banned))
			keys[n++] = api->keys[i];
	}
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		keys[n++] = extra[i];
	keys[n] = NULL;
	return scenario_keys(sp, map, keys, what);
}

/* Read the fields of a change (task or timed step) of api into c. */
static int
scenario_change(struct scenario_parse *sp, const struct sim_api *api,
    yaml_node_t *map, struct sim_change *c)
{
	char *cause;
	const char *s;

	if (scenario_dup(sp, map, "name", &c->name) == -1 ||
	    scenario_dup(sp, map, "fail_reason", &c->fail_reason) == -1 ||
	    scenario_dup(sp, map, "instance_status", &c->instance_status) ==
		-1 ||
	    scenario_dup(sp, map, "step", &c->step) == -1 ||
	    scenario_dup(sp, map, "failed_step", &c->failed_step) == -1 ||
	    scenario_dup(sp, map, "error_code", &c->error_code) == -1 ||
	    scenario_dup(sp, map, "result", &c->result) == -1 ||
	    scenario_dup(sp, map, "errors", &c->errors) == -1 ||
	    scenario_dup(sp, map, "request", &c->request) == -1 ||
	    scenario_dup(sp, map, "target", &c->target) == -1 ||
	    scenario_int(sp, map, "total_steps", 1, 1000000, &c->total_steps) ==
		-1 ||
	    scenario_int(
		sp, map, "current_step", 0, 1000000, &c->current_step) == -1)
		return -1;
	if (c->name != NULL && api->check_name != NULL &&
	    api->check_name(c->name, &cause) == -1) {
		scenario_error(sp, scenario_get(sp, map, "name"), "%s", cause);
		free(cause);
		return -1;
	}
	if (scenario_str(sp, map, "status", &s) == -1)
		return -1;
	if (s != NULL && !sim_task_valid_status(s))
		return scenario_error(sp, scenario_get(sp, map, "status"),
		    "status: bad word \"%s\" (a word such as %s)", s,
		    api->default_status);
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

/* Read one entry of a task's "at" list. */
static int
scenario_timed(struct scenario_parse *sp, yaml_node_t *node, struct sim_task *t)
{
	static const char *const extra[] = { "after", "delete", NULL };
	static const char *const banned[] = {
		"id",
		"instance_id",
		"instance_name",
		"logical_cluster",
		"created",
		NULL,
	};
	struct sim_change c;
	yaml_node_t *v;
	uint64_t after;
	int present, rc = -1;
	const char *s;

	sim_change_init(&c);
	if (scenario_task_keys(
		sp, node, t->api, extra, banned, "a timed change") == -1 ||
	    scenario_duration(sp, node, "after", &present, &after) == -1)
		goto out;
	if (!present) {
		scenario_error(sp, node, "a timed change needs \"after\"");
		goto out;
	}
	if (scenario_change(sp, t->api, node, &c) == -1 ||
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

/*
 * Read one task of a service's list and create it; cl is the cluster it
 * belongs to (cluster-scoped services) or NULL.
 */
static int
scenario_job(struct scenario_parse *sp, const struct sim_api *api,
    const struct sim_cluster *cl, yaml_node_t *node)
{
	static const char *const extra[] = { "appear_after", "at", NULL };
	static const char *const banned[] = {
		"instance_id",
		"instance_name",
		NULL,
	};
	const char *id, *instance_id, *instance_name, *lc;
	struct sim_change c;
	struct sim_task *t;
	yaml_node_t *at, *v;
	yaml_node_item_t *it;
	int64_t created, ended, start = sp->sim->start_wall_ms / 1000;
	uint64_t appear_ms;
	int appear, rc = -1;
	char *cause;

	sim_change_init(&c);
	if (scenario_task_keys(sp, node, api, extra, cl != NULL ? banned : NULL,
		api == &sim_dds_api ? "a job" : "a task") == -1 ||
	    scenario_str(sp, node, "id", &id) == -1 ||
	    scenario_str(sp, node, "instance_id", &instance_id) == -1 ||
	    scenario_str(sp, node, "instance_name", &instance_name) == -1 ||
	    scenario_str(sp, node, "logical_cluster", &lc) == -1 ||
	    scenario_time(sp, node, "created", &created) == -1 ||
	    scenario_duration(sp, node, "appear_after", &appear, &appear_ms) ==
		-1 ||
	    scenario_change(sp, api, node, &c) == -1)
		goto out;
	if (c.name == NULL && api->check_name != NULL &&
	    api->check_name("", &cause) == -1) {
		scenario_error(sp, node, "%s", cause);
		free(cause);
		goto out;
	}
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
	if (cl != NULL) {
		instance_id = cl->id;
		instance_name = cl->name;
	}
	scenario_set(&t->instance_id, instance_id);
	scenario_set(&t->instance_name, instance_name);
	scenario_set(&t->logical_cluster, lc);
	t->created = created != UTIL_TIME_NONE ? created : start;
	t->created_set = created != UTIL_TIME_NONE;
	ended = c.ended;
	if (appear)
		t->visible = 0; /* logged as appearing when it does */
	sim_task_apply(sp->sim, t, &c, start);
	if (appear) {
		/* a finished job that appears later ends when it appears */
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

/* Read a list of tasks of api (in cluster cl, or NULL). */
static int
scenario_list(struct scenario_parse *sp, const struct sim_api *api,
    const struct sim_cluster *cl, yaml_node_t *list, const char *key)
{
	yaml_node_item_t *it;

	if (list == NULL)
		return 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return scenario_error(sp, list, "%s must be a list", key);
	for (it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		if (scenario_job(sp, api, cl, scenario_node(sp, *it)) == -1)
			return -1;
	}
	return 0;
}

/* Read a flat service's section: its list of tasks under key. */
static int
scenario_service(struct scenario_parse *sp, const struct sim_api *api,
    const char *key, yaml_node_t *node)
{
	const char *keys[] = { key, NULL };

	if (scenario_keys(sp, node, keys, api->service) == -1)
		return -1;
	return scenario_list(sp, api, NULL, scenario_get(sp, node, key), key);
}

/*
 * Read one cluster of the dws or ehpc section: its id, name (and E-HPC
 * region and generation) and its task lists (E-HPC: tasks of ListTasks,
 * operations of ListCommonLogs).
 */
static int
scenario_cluster(struct scenario_parse *sp, const char *kind, yaml_node_t *node)
{
	static const char *const dws_keys[] = {
		"id",
		"name",
		"actions",
		"logical_tasks",
		NULL,
	};
	static const char *const ehpc_keys[] = {
		"id",
		"name",
		"region",
		"generation",
		"tasks",
		"operations",
		NULL,
	};
	const char *id, *name, *region = NULL;
	struct sim_cluster *cl;
	int dws = strcmp(kind, "dws") == 0, gen = 0;

	if (scenario_keys(sp, node, dws ? dws_keys : ehpc_keys, "a cluster") ==
		-1 ||
	    scenario_str(sp, node, "id", &id) == -1 ||
	    scenario_str(sp, node, "name", &name) == -1 ||
	    (!dws &&
		(scenario_str(sp, node, "region", &region) == -1 ||
		    scenario_int(sp, node, "generation", 1, 2, &gen) == -1)))
		return -1;
	if (util_empty(id))
		return scenario_error(sp, node, "a cluster needs an id");
	if (sim_cluster_find(sp->sim, kind, id) != NULL)
		return scenario_error(sp, scenario_get(sp, node, "id"),
		    "duplicate cluster id \"%s\"", id);
	cl = sim_cluster_add(sp->sim, kind, id, name, region);
	cl->generation = gen;
	if (!dws)
		return scenario_list(sp, &sim_ehpc_api, cl,
			   scenario_get(sp, node, "tasks"), "tasks") == -1
		    ? -1
		    : scenario_list(sp, &sim_ehpc2_api, cl,
			  scenario_get(sp, node, "operations"), "operations");
	if (scenario_list(sp, &sim_dws_actions_api, cl,
		scenario_get(sp, node, "actions"), "actions") == -1)
		return -1;
	return scenario_list(sp, &sim_dws_logical_api, cl,
	    scenario_get(sp, node, "logical_tasks"), "logical_tasks");
}

/* Read a cluster-scoped section (dws, ehpc): its clusters. */
static int
scenario_clusters(
    struct scenario_parse *sp, const char *kind, yaml_node_t *node)
{
	static const char *const dws_keys[] = { "clusters", NULL };
	static const char *const ehpc_keys[] = {
		"clusters",
		"tasks_shape",
		"operation_rows",
		NULL,
	};
	yaml_node_item_t *it;
	yaml_node_t *list;
	const char *shape;
	int dws = strcmp(kind, "dws") == 0;

	if (scenario_keys(sp, node, dws ? dws_keys : ehpc_keys, kind) == -1)
		return -1;
	if (!dws) {
		if (scenario_str(sp, node, "tasks_shape", &shape) == -1)
			return -1;
		if (shape != NULL && strcmp(shape, "array") != 0 &&
		    strcmp(shape, "wrapped") != 0)
			return scenario_error(sp,
			    scenario_get(sp, node, "tasks_shape"),
			    "tasks_shape must be array or wrapped");
		sp->sim->ehpc_wrapped =
		    shape != NULL && strcmp(shape, "wrapped") == 0;
		if (scenario_str(sp, node, "operation_rows", &shape) == -1)
			return -1;
		if (shape != NULL && strcmp(shape, "one") != 0 &&
		    strcmp(shape, "per_state") != 0)
			return scenario_error(sp,
			    scenario_get(sp, node, "operation_rows"),
			    "operation_rows must be one or per_state");
		sp->sim->ehpc_rows_per_state =
		    shape != NULL && strcmp(shape, "per_state") == 0;
	}
	if ((list = scenario_get(sp, node, "clusters")) == NULL)
		return 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return scenario_error(sp, list, "clusters must be a list");
	for (it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		if (scenario_cluster(sp, kind, scenario_node(sp, *it)) == -1)
			return -1;
	}
	return 0;
}

/* Read an account's auth: a word or a list of words; -1 if bad. */
static int
scenario_auth_methods(struct scenario_parse *sp, yaml_node_t *node,
    enum sim_cloud cloud, unsigned *out)
{
	static const struct {
		const char *word;
		enum sim_cloud cloud;
		unsigned bits;
	} words[] = {
		{ "aksk", SIM_CLOUD_HUAWEI, SIM_AUTH_AKSK },
		{ "token", SIM_CLOUD_HUAWEI, SIM_AUTH_TOKEN },
		{ "any", SIM_CLOUD_HUAWEI, SIM_AUTH_AKSK | SIM_AUTH_TOKEN },
		{ "v2", SIM_CLOUD_ALIBABA, SIM_AUTH_V2 },
		{ "v3", SIM_CLOUD_ALIBABA, SIM_AUTH_V3 },
		{ "any", SIM_CLOUD_ALIBABA, SIM_AUTH_V2 | SIM_AUTH_V3 },
	};
	yaml_node_item_t *it = NULL;
	yaml_node_t *v = node;
	const char *w;
	size_t i;

	*out = 0;
	if (node->type == YAML_SEQUENCE_NODE) {
		it = node->data.sequence.items.start;
		if (it >= node->data.sequence.items.top)
			return 0;
		v = scenario_node(sp, *it);
	}
	for (;;) {
		if ((w = scenario_scalar(sp, v, "auth")) == NULL)
			return -1;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			if (strcmp(w, words[i].word) == 0 &&
			    words[i].cloud == cloud)
				break;
		}
		if (i == sizeof(words) / sizeof(words[0]) &&
		    strcmp(w, "none") != 0)
			return scenario_error(sp, v,
			    "auth: \"%s\" is not one of none, %s, any", w,
			    cloud == SIM_CLOUD_HUAWEI ? "aksk, token"
						      : "v2, v3");
		if (i < sizeof(words) / sizeof(words[0]))
			*out |= words[i].bits;
		if (it == NULL || ++it >= node->data.sequence.items.top)
			return 0;
		v = scenario_node(sp, *it);
	}
}

/* Read one account of the accounts list. */
static int
scenario_account(struct scenario_parse *sp, yaml_node_t *node)
{
	static const char *const keys[] = {
		"name",
		"cloud",
		"auth",
		"ak",
		"sk",
		"user",
		"password",
		"domain",
		"project_id",
		"token_lifetime",
		"access_key_id",
		"access_key_secret",
		NULL,
	};
	static const char *const huawei_only[] = {
		"ak",
		"sk",
		"user",
		"password",
		"domain",
		"project_id",
		"token_lifetime",
		NULL,
	};
	struct sim_account *a;
	yaml_node_t *v;
	const char *name, *cloud;
	enum sim_cloud cl;
	uint64_t ms;
	int present;
	size_t i;

	if (scenario_keys(sp, node, keys, "an account") == -1 ||
	    scenario_str(sp, node, "name", &name) == -1 ||
	    scenario_str(sp, node, "cloud", &cloud) == -1)
		return -1;
	if (util_empty(name))
		return scenario_error(sp, node, "an account needs a name");
	if (cloud == NULL || strcmp(cloud, "huawei") == 0 ||
	    strcmp(cloud, "otc") == 0)
		cl = SIM_CLOUD_HUAWEI;
	else if (strcmp(cloud, "alibaba") == 0)
		cl = SIM_CLOUD_ALIBABA;
	else
		return scenario_error(sp, scenario_get(sp, node, "cloud"),
		    "cloud must be huawei, otc or alibaba");
	for (i = 0; huawei_only[i] != NULL; i++) {
		v = scenario_get(sp, node, huawei_only[i]);
		if (v != NULL && cl != SIM_CLOUD_HUAWEI)
			return scenario_error(
			    sp, v, "%s is for Huawei accounts", huawei_only[i]);
	}
	if (cl == SIM_CLOUD_HUAWEI &&
	    ((v = scenario_get(sp, node, "access_key_id")) != NULL ||
		(v = scenario_get(sp, node, "access_key_secret")) != NULL))
		return scenario_error(
		    sp, v, "access keys are for Alibaba accounts");
	if ((a = sim_auth_account_new(sp->sim, name)) == NULL)
		return scenario_error(sp, scenario_get(sp, node, "name"),
		    "duplicate account \"%s\"", name);
	a->cloud = cl;
	if ((v = scenario_get(sp, node, "auth")) != NULL &&
	    scenario_auth_methods(sp, v, cl, &a->methods) == -1)
		return -1;
	if (scenario_dup(sp, node, "ak", &a->ak) == -1 ||
	    scenario_dup(sp, node, "sk", &a->sk) == -1 ||
	    scenario_dup(sp, node, "user", &a->user) == -1 ||
	    scenario_dup(sp, node, "password", &a->password) == -1 ||
	    scenario_dup(sp, node, "domain", &a->domain) == -1 ||
	    scenario_dup(sp, node, "project_id", &a->project_id) == -1 ||
	    scenario_dup(sp, node, "access_key_id", &a->access_key_id) == -1 ||
	    scenario_dup(
		sp, node, "access_key_secret", &a->access_key_secret) == -1 ||
	    scenario_duration(sp, node, "token_lifetime", &present, &ms) == -1)
		return -1;
	if (present)
		a->token_lifetime_ms = ms;
	if ((a->ak == NULL) != (a->sk == NULL))
		return scenario_error(sp, node, "ak and sk go together");
	if ((a->methods & SIM_AUTH_AKSK) && a->ak == NULL)
		return scenario_error(sp, node, "auth aksk needs ak and sk");
	if ((a->methods & SIM_AUTH_TOKEN) &&
	    (a->user == NULL || a->password == NULL))
		return scenario_error(sp, node,
		    "auth token needs user and password (and domain)");
	if ((a->access_key_id == NULL) != (a->access_key_secret == NULL) ||
	    ((a->methods & (SIM_AUTH_V2 | SIM_AUTH_V3)) &&
		a->access_key_id == NULL))
		return scenario_error(sp, node,
		    "access_key_id and access_key_secret go together");
	return 0;
}

/* Read the accounts list. */
static int
scenario_accounts(struct scenario_parse *sp, yaml_node_t *list)
{
	yaml_node_item_t *it;

	if (list->type != YAML_SEQUENCE_NODE)
		return scenario_error(sp, list, "accounts must be a list");
	for (it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		if (scenario_account(sp, scenario_node(sp, *it)) == -1)
			return -1;
	}
	return 0;
}

/* Read the top-level mapping. */
static int
scenario_root(struct scenario_parse *sp, yaml_node_t *root)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	const char *name, *s;
	int rc;

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
			continue;
		}
		if (strcmp(name, "dds") == 0)
			rc = scenario_service(sp, &sim_dds_api, "jobs", v);
		else if (strcmp(name, "gaussdb") == 0)
			rc = scenario_service(sp, &sim_gaussdb_api, "tasks", v);
		else if (strcmp(name, "dws") == 0 || strcmp(name, "ehpc") == 0)
			rc = scenario_clusters(
			    sp, strcmp(name, "dws") == 0 ? "dws" : "ehpc", v);
		else if (strcmp(name, "accounts") == 0)
			rc = scenario_accounts(sp, v);
		else
			return scenario_error(sp, k,
			    "unknown key \"%s\" (project_id, accounts, dds, "
			    "dws, gaussdb or ehpc)",
			    name);
		if (rc == -1)
			return -1;
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
			sim_task_appear(sim, st->task, sim_now());
		else
			sim_task_apply(sim, st->task, &st->change, sim_now());
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
