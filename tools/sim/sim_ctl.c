/*
 * The control API under /_sim/: create, change, delete and list simulated
 * tasks, read and reset the request counters, add, list and clear faults.
 * Bodies are JSON; bad input gets a 400 with {"error": "..."}.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_CTL_MAX_ID 128

/* 1 if r is a request with method m. */
static int
sim_ctl_is(const struct sim_req *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

/* Answer 405 naming the allowed methods. */
static void
sim_ctl_method(const struct sim_req *r, struct sim_reply *rp, const char *allow)
{
	sim_reply_ctl_error(rp, 405, "method %s not allowed here", r->method);
	sim_reply_header(rp, "Allow", allow);
}

/* Parse the request body as a JSON object; NULL after a 400 reply. */
static struct json *
sim_ctl_body(const struct sim_req *r, struct sim_reply *rp)
{
	struct json *o;
	char *cause;

	if ((o = json_parse(r->body, r->body_len, &cause)) == NULL) {
		sim_reply_ctl_error(rp, 400, "invalid JSON: %s", cause);
		free(cause);
		return NULL;
	}
	if (json_type(o) != JSON_OBJECT) {
		sim_reply_ctl_error(rp, 400, "the body must be a JSON object");
		json_free(o);
		return NULL;
	}
	return o;
}

/* Read an optional string member into *out (borrowed); -1 if not a string. */
static int
sim_ctl_str(
    const struct json *o, const char *key, const char **out, char **cause)
{
	const struct json *v = json_get(o, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((*out = json_str(v)) == NULL) {
		*cause = xasprintf("%s must be a string", key);
		return -1;
	}
	return 0;
}

/* Read an optional timestamp member; UTIL_TIME_NONE if absent. */
static int
sim_ctl_time(const struct json *o, const char *key, int64_t *out, char **cause)
{
	const char *s;

	*out = UTIL_TIME_NONE;
	if (sim_ctl_str(o, key, &s, cause) == -1)
		return -1;
	if (s != NULL && util_parse_time(s, 0, out) == -1) {
		*cause = xasprintf("%s must be a time like "
				   "2025-05-19T09:07:42Z",
		    key);
		return -1;
	}
	return 0;
}

/* Read an optional string member into an owned copy; -1 if bad. */
static int
sim_ctl_dup(const struct json *o, const char *key, char **out, char **cause)
{
	const char *s;

	if (sim_ctl_str(o, key, &s, cause) == -1)
		return -1;
	*out = xstrdup(s);
	return 0;
}

/* Read an optional integer member in [min, max]; -1 if absent. */
static int
sim_ctl_int(const struct json *o, const char *key, int min, int max, int *out,
    char **cause)
{
	const struct json *v = json_get(o, key);
	int64_t n;

	if (v == NULL)
		return 0;
	if (json_int(v, 1, &n) == -1 || n < min || n > max) {
		*cause = xasprintf(
		    "%s must be an integer from %d to %d", key, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/*
 * Check that every member of o is a task key of api, or one of the extra
 * NULL-terminated keys, and none of the NULL-terminated banned ones.
 */
static int
sim_ctl_task_keys(const struct sim_api *api, const struct json *o,
    const char *const *extra, const char *const *banned, char **cause)
{
	const char *k;
	size_t i;

	for (i = 0; i < json_len(o); i++) {
		k = json_key_at(o, i);
		if (sim_word_in(k, banned) ||
		    (!sim_task_key_ok(api, k) && !sim_word_in(k, extra))) {
			*cause = xasprintf("unknown key \"%s\" for service %s",
			    k, api->service);
			return -1;
		}
	}
	return 0;
}

/* Read the members that change a task of api into c; -1 with *cause. */
static int
sim_ctl_change(const struct sim_api *api, const struct json *o,
    struct sim_change *c, char **cause)
{
	const struct json *v;
	int64_t n;

	if (sim_ctl_dup(o, "name", &c->name, cause) == -1 ||
	    sim_ctl_dup(o, "fail_reason", &c->fail_reason, cause) == -1 ||
	    sim_ctl_dup(o, "instance_status", &c->instance_status, cause) ==
		-1 ||
	    sim_ctl_dup(o, "step", &c->step, cause) == -1 ||
	    sim_ctl_dup(o, "failed_step", &c->failed_step, cause) == -1 ||
	    sim_ctl_dup(o, "error_code", &c->error_code, cause) == -1 ||
	    sim_ctl_dup(o, "result", &c->result, cause) == -1 ||
	    sim_ctl_dup(o, "errors", &c->errors, cause) == -1 ||
	    sim_ctl_dup(o, "request", &c->request, cause) == -1 ||
	    sim_ctl_dup(o, "target", &c->target, cause) == -1 ||
	    sim_ctl_dup(o, "status", &c->status, cause) == -1 ||
	    sim_ctl_int(o, "total_steps", 1, 1000000, &c->total_steps, cause) ==
		-1 ||
	    sim_ctl_int(
		o, "current_step", 0, 1000000, &c->current_step, cause) == -1)
		return -1;
	if (c->status != NULL && !sim_task_valid_status(c->status)) {
		*cause = xasprintf(
		    "status must be a word such as %s", api->default_status);
		return -1;
	}
	if (c->name != NULL && api->check_name != NULL &&
	    api->check_name(c->name, cause) == -1)
		return -1;
	if ((v = json_get(o, "progress")) != NULL) {
		if (json_int(v, 1, &n) == -1 || n < 0 || n > 100) {
			*cause = xstrdup("progress must be an integer from 0 "
					 "to 100");
			return -1;
		}
		c->progress = (int)n;
	}
	return sim_ctl_time(o, "ended", &c->ended, cause);
}

/* POST /_sim/tasks: create a task. */
static void
sim_ctl_task_create(
    struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	static const char *const extra[] = { "service", NULL };
	const char *service, *id, *instance_id, *instance_name, *lc;
	const struct sim_cluster *cl;
	const struct sim_api *api;
	struct json_writer *w;
	struct sim_change c;
	struct sim_task *t;
	struct json *o;
	char *cause = NULL;
	int64_t created;

	if ((o = sim_ctl_body(r, rp)) == NULL)
		return;
	sim_change_init(&c);
	if (sim_ctl_str(o, "service", &service, &cause) == -1)
		goto bad;
	if (service == NULL || (api = sim_api_find(service)) == NULL ||
	    api->default_status == NULL) {
		cause = xstrdup("service must name a simulated API: dds, "
				"dws.actions, dws.logical, gaussdb, ehpc or "
				"ehpc.operations");
		goto bad;
	}
	if (sim_ctl_task_keys(api, o, extra, NULL, &cause) == -1 ||
	    sim_ctl_str(o, "id", &id, &cause) == -1 ||
	    sim_ctl_str(o, "instance_id", &instance_id, &cause) == -1 ||
	    sim_ctl_str(o, "instance_name", &instance_name, &cause) == -1 ||
	    sim_ctl_str(o, "logical_cluster", &lc, &cause) == -1 ||
	    sim_ctl_time(o, "created", &created, &cause) == -1 ||
	    sim_ctl_change(api, o, &c, &cause) == -1)
		goto bad;
	if (c.name == NULL && api->check_name != NULL &&
	    api->check_name("", &cause) == -1)
		goto bad;
	if (id != NULL && (*id == '\0' || strlen(id) > SIM_CTL_MAX_ID)) {
		cause = xasprintf("id must have 1 to %d bytes", SIM_CTL_MAX_ID);
		goto bad;
	}
	if (api->cluster_kind != NULL && util_empty(instance_id)) {
		cause = xasprintf("instance_id (the cluster id) is required "
				  "for service %s",
		    api->service);
		goto bad;
	}
	if (id != NULL && sim_task_find(sim, id) != NULL) {
		sim_reply_ctl_error(rp, 409, "task %s exists", id);
		goto out;
	}

	t = sim_task_new(sim, api, id);
	if (api->cluster_kind != NULL) {
		cl = sim_cluster_add(
		    sim, api->cluster_kind, instance_id, instance_name, NULL);
		instance_name = cl->name;
	}
	if (instance_id != NULL) {
		free(t->instance_id);
		t->instance_id = xstrdup(instance_id);
	}
	if (instance_name != NULL) {
		free(t->instance_name);
		t->instance_name = xstrdup(instance_name);
	}
	if (lc != NULL) {
		free(t->logical_cluster);
		t->logical_cluster = xstrdup(lc);
	}
	if (created != UTIL_TIME_NONE) {
		t->created = created;
		t->created_set = 1;
		sim->gen++;
	}
	sim_task_apply(sim, t, &c, sim_now());
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kstr(w, "id", t->id);
	json_w_obj_close(w);
	sim_reply_json(rp, 201, w);
	json_writer_free(w);
	goto out;

bad:
	sim_reply_ctl_error(rp, 400, "%s", cause);
	free(cause);
out:
	sim_change_clear(&c);
	json_free(o);
}

/* PATCH /_sim/tasks/{id}: change a task. */
static void
sim_ctl_task_patch(struct sim *sim, const struct sim_req *r, struct sim_task *t,
    struct sim_reply *rp)
{
	static const char *const banned[] = {
		"id",
		"instance_id",
		"instance_name",
		"logical_cluster",
		"created",
		NULL,
	};
	struct json_writer *w;
	struct sim_change c;
	struct json *o;
	char *cause = NULL;

	if ((o = sim_ctl_body(r, rp)) == NULL)
		return;
	sim_change_init(&c);
	if (sim_ctl_task_keys(t->api, o, NULL, banned, &cause) == -1 ||
	    sim_ctl_change(t->api, o, &c, &cause) == -1) {
		sim_reply_ctl_error(rp, 400, "%s", cause);
		free(cause);
	} else {
		sim_task_apply(sim, t, &c, sim_now());
		w = json_writer_new();
		sim_task_json(w, t);
		sim_reply_json(rp, 200, w);
		json_writer_free(w);
	}
	sim_change_clear(&c);
	json_free(o);
}

/* /_sim/tasks/{id}: GET, PATCH or DELETE one task. */
static void
sim_ctl_task(struct sim *sim, const struct sim_req *r, const char *rawid,
    struct sim_reply *rp)
{
	char *id = util_urldecode(rawid, strlen(rawid), 0);
	struct json_writer *w;
	struct sim_task *t;

	if ((t = sim_task_find(sim, id)) == NULL) {
		sim_reply_ctl_error(rp, 404, "no task %s", id);
		free(id);
		return;
	}
	free(id);
	if (sim_ctl_is(r, "GET")) {
		w = json_writer_new();
		sim_task_json(w, t);
		sim_reply_json(rp, 200, w);
		json_writer_free(w);
	} else if (sim_ctl_is(r, "PATCH"))
		sim_ctl_task_patch(sim, r, t, rp);
	else if (sim_ctl_is(r, "DELETE")) {
		sim_task_delete(sim, t);
		sim_reply_set(rp, 204, NULL);
	} else
		sim_ctl_method(r, rp, "GET, PATCH, DELETE");
}

/* GET /_sim/tasks: every task, deleted ones included and marked. */
static void
sim_ctl_task_list(struct sim *sim, struct sim_reply *rp)
{
	struct json_writer *w = json_writer_new();
	struct sim_task *t;

	json_w_obj_open(w);
	json_w_key(w, "tasks");
	json_w_arr_open(w);
	TAILQ_FOREACH (t, &sim->tasks, entry)
		sim_task_json(w, t);
	json_w_arr_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
}

/* /_sim/requests: GET the counters of API requests, DELETE resets them. */
static void
sim_ctl_requests(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct json_writer *w;
	uint64_t total;
	size_t i;

	if (sim_ctl_is(r, "DELETE")) {
		memset(sim->counts, 0, sim->nroutes * sizeof(*sim->counts));
		sim->unmatched = 0;
		for (i = 0; i < sim->nauth_fails; i++)
			sim->auth_fails[i].n = 0;
		sim_reply_set(rp, 204, NULL);
		return;
	}
	if (!sim_ctl_is(r, "GET")) {
		sim_ctl_method(r, rp, "GET, DELETE");
		return;
	}
	total = sim->unmatched;
	for (i = 0; i < sim->nroutes; i++)
		total += sim->counts[i];
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kint(w, "total", (int64_t)total);
	json_w_key(w, "by_endpoint");
	json_w_obj_open(w);
	for (i = 0; i < sim->nroutes; i++)
		json_w_kint(
		    w, sim->routes[i]->endpoint, (int64_t)sim->counts[i]);
	json_w_obj_close(w);
	json_w_kint(w, "unmatched", (int64_t)sim->unmatched);
	json_w_key(w, "auth_fail");
	json_w_obj_open(w);
	for (i = 0; i < sim->nauth_fails; i++) {
		if (sim->auth_fails[i].n > 0)
			json_w_kint(w, sim->auth_fails[i].code,
			    (int64_t)sim->auth_fails[i].n);
	}
	json_w_obj_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
}

/* /_sim/faults: POST adds one, GET lists them, DELETE clears them. */
static void
sim_ctl_faults(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct json_writer *w;
	struct sim_fault *f;
	struct json *o;
	char *cause;

	if (sim_ctl_is(r, "DELETE")) {
		sim_faults_clear(sim);
		sim_reply_set(rp, 204, NULL);
		return;
	}
	if (sim_ctl_is(r, "POST")) {
		if ((o = sim_ctl_body(r, rp)) == NULL)
			return;
		if (sim_fault_add(sim, o, &cause, &f) == -1) {
			sim_reply_ctl_error(rp, 400, "%s", cause);
			free(cause);
		} else {
			w = json_writer_new();
			sim_fault_json(w, f);
			sim_reply_json(rp, 201, w);
			json_writer_free(w);
		}
		json_free(o);
		return;
	}
	if (!sim_ctl_is(r, "GET")) {
		sim_ctl_method(r, rp, "GET, POST, DELETE");
		return;
	}
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_key(w, "faults");
	json_w_arr_open(w);
	TAILQ_FOREACH (f, &sim->faults, entry)
		sim_fault_json(w, f);
	json_w_arr_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
}

/* /_sim/clusters: GET lists the clusters, POST declares one. */
static void
sim_ctl_clusters(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	static const char *const keys[] = {
		"kind",
		"id",
		"name",
		"region",
		"generation",
		NULL,
	};
	const char *kind, *id, *name, *region;
	struct json_writer *w;
	struct sim_cluster *c;
	struct json *o;
	char *cause = NULL;
	int gen = 0;

	if (sim_ctl_is(r, "POST")) {
		if ((o = sim_ctl_body(r, rp)) == NULL)
			return;
		if (sim_json_keys(o, keys, &cause) == -1 ||
		    sim_ctl_str(o, "kind", &kind, &cause) == -1 ||
		    sim_ctl_str(o, "id", &id, &cause) == -1 ||
		    sim_ctl_str(o, "name", &name, &cause) == -1 ||
		    sim_ctl_str(o, "region", &region, &cause) == -1 ||
		    sim_ctl_int(o, "generation", 1, 2, &gen, &cause) == -1) {
			sim_reply_ctl_error(rp, 400, "%s", cause);
			free(cause);
		} else if (kind == NULL ||
		    (strcmp(kind, "dws") != 0 && strcmp(kind, "ehpc") != 0))
			sim_reply_ctl_error(
			    rp, 400, "kind must be dws or ehpc");
		else if (util_empty(id) || strlen(id) > SIM_CTL_MAX_ID)
			sim_reply_ctl_error(rp, 400,
			    "id must have 1 to %d bytes", SIM_CTL_MAX_ID);
		else if (gen != 0 && strcmp(kind, "ehpc") != 0)
			sim_reply_ctl_error(
			    rp, 400, "generation is for ehpc clusters");
		else {
			c = sim_cluster_add(sim,
			    strcmp(kind, "dws") == 0 ? "dws" : "ehpc", id, name,
			    region);
			if (gen != 0)
				c->generation = gen;
			w = json_writer_new();
			sim_cluster_json(w, c);
			sim_reply_json(rp, 201, w);
			json_writer_free(w);
		}
		json_free(o);
		return;
	}
	if (!sim_ctl_is(r, "GET")) {
		sim_ctl_method(r, rp, "GET, POST");
		return;
	}
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_key(w, "clusters");
	json_w_arr_open(w);
	TAILQ_FOREACH (c, &sim->clusters, entry)
		sim_cluster_json(w, c);
	json_w_arr_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
}

/*
 * /_sim/changes: GET the change log (?since=MS, ?after=SEQ, ?limit=N),
 * DELETE forgets it.
 */
static void
sim_ctl_changes(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	static const char *const params[] = { "since", "after", "limit" };
	long long v[3] = { 0, 0, 0 };
	struct json_writer *w;
	const char *errstr;
	size_t i;
	char *q;

	if (sim_ctl_is(r, "DELETE")) {
		sim_changes_clear(sim);
		sim_reply_set(rp, 204, NULL);
		return;
	}
	if (!sim_ctl_is(r, "GET")) {
		sim_ctl_method(r, rp, "GET, DELETE");
		return;
	}
	for (i = 0; i < 3; i++) {
		if ((q = sim_req_query(r, params[i])) != NULL &&
		    util_strtonum(q, 0, INT64_MAX, &v[i], &errstr) == -1) {
			sim_reply_ctl_error(
			    rp, 400, "%s: %s", params[i], errstr);
			free(q);
			return;
		}
		free(q);
	}
	w = json_writer_new();
	sim_changes_json(sim, (int64_t)v[0], (uint64_t)v[1], (size_t)v[2], w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
}

/* Serve /_sim/{rest}. */
void
sim_ctl_handle(struct sim *sim, const struct sim_req *r, const char *rest,
    struct sim_reply *rp)
{
	if (strcmp(rest, "tasks") == 0) {
		if (sim_ctl_is(r, "GET"))
			sim_ctl_task_list(sim, rp);
		else if (sim_ctl_is(r, "POST"))
			sim_ctl_task_create(sim, r, rp);
		else
			sim_ctl_method(r, rp, "GET, POST");
	} else if (strncmp(rest, "tasks/", 6) == 0 && rest[6] != '\0')
		sim_ctl_task(sim, r, rest + 6, rp);
	else if (strcmp(rest, "requests") == 0)
		sim_ctl_requests(sim, r, rp);
	else if (strcmp(rest, "faults") == 0)
		sim_ctl_faults(sim, r, rp);
	else if (strcmp(rest, "clusters") == 0)
		sim_ctl_clusters(sim, r, rp);
	else if (strncmp(rest, "clusters/", 9) == 0)
		sim_discover_ctl(sim, r, rest + 9, rp);
	else if (strcmp(rest, "changes") == 0)
		sim_ctl_changes(sim, r, rp);
	else
		sim_reply_ctl_error(
		    rp, 404, "no control endpoint /_sim/%s", rest);
}
