/*
 * Huawei Cloud GaussDB (for openGauss) tasks as the simulator serves them:
 * GET /v3/{project_id}/tasks (epoch-millisecond window, row offset, limit
 * up to 100, nullable process and fail_reason) and the single-job lookup
 * GET /v3/{project_id}/jobs?id=, which shares its path and shape with DDS:
 * it is routed here when the id belongs to a GaussDB task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_GAUSSDB_PARAM_ERROR "DBS.200001"
#define SIM_GAUSSDB_MAX_LIMIT 100
#define SIM_GAUSSDB_KEEP_S (30 * 86400)

static void sim_gaussdb_tasks(
    struct sim *, const struct sim_req *, struct sim_reply *);
static void sim_gaussdb_job(
    struct sim *, const struct sim_req *, struct sim_reply *);
static int sim_gaussdb_job_claim(struct sim *, const struct sim_req *);
static void sim_gaussdb_error_reply(const struct sim_req *, int, const char *,
    const char *, struct sim_reply *);
static int sim_gaussdb_cmp(const void *, const void *);

static const struct sim_route sim_gaussdb_routes[] = {
	{ "gaussdb.tasks", "GET", "/v3/{}/tasks", sim_gaussdb_tasks, NULL },
	{ "gaussdb.job", "GET", "/v3/{}/jobs", sim_gaussdb_job,
	    sim_gaussdb_job_claim },
};

static const char *const sim_gaussdb_terminal[] = {
	"Completed",
	"Failed",
	"Canceled",
	NULL,
};

static const char *const sim_gaussdb_statuses[] = {
	"Running",
	"Completed",
	"Failed",
	"Pending",
	"Canceled",
	NULL,
};

static const char *const sim_gaussdb_keys[] = {
	"instance_status",
	NULL,
};

const struct sim_api sim_gaussdb_api = {
	.service = "gaussdb",
	.cloud = SIM_CLOUD_HUAWEI,
	.default_status = "Running",
	.terminal = sim_gaussdb_terminal,
	.keys = sim_gaussdb_keys,
	.routes = sim_gaussdb_routes,
	.nroutes = sizeof(sim_gaussdb_routes) / sizeof(sim_gaussdb_routes[0]),
	.cmp = sim_gaussdb_cmp,
	.error_reply = sim_gaussdb_error_reply,
};

/* The DBS codes GaussDB answers with. */
static const struct sim_huawei_codes sim_gaussdb_codes = {
	.param = SIM_GAUSSDB_PARAM_ERROR,
	.forbidden = NULL,
	.internal = "DBS.200000",
};

/* GaussDB's error for status (or the API gateway's). */
static void
sim_gaussdb_error_reply(const struct sim_req *r, int status, const char *code,
    const char *msg, struct sim_reply *rp)
{
	sim_huawei_error(r, status, code, msg, &sim_gaussdb_codes, rp);
}

/* A parameter error: 400 DBS.200001. */
static void
sim_gaussdb_param_error(struct sim_reply *rp, const char *msg)
{
	sim_reply_huawei(rp, 400, SIM_GAUSSDB_PARAM_ERROR, msg, NULL);
}

/* Index order: newest first, ties by id, descending. */
static int
sim_gaussdb_cmp(const void *a, const void *b)
{
	return sim_task_cmp_created(*(const struct sim_task *const *)a,
	    *(const struct sim_task *const *)b);
}

/* /v3/{project}/jobs?id= is GaussDB's when the id was ever a GaussDB task. */
static int
sim_gaussdb_job_claim(struct sim *sim, const struct sim_req *r)
{
	char *id = sim_req_query(r, "id");
	struct sim_task *t;

	t = id != NULL ? sim_task_find_any(sim, id) : NULL;
	free(id);
	return t != NULL && t->api == &sim_gaussdb_api;
}

/* GET /v3/{project_id}/jobs?id= for a GaussDB task: the DDS shape. */
static void
sim_gaussdb_job(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	char *id = sim_req_query(r, "id");
	struct sim_task *t;

	t = id != NULL ? sim_task_find(sim, id) : NULL;
	free(id);
	if (t != NULL && (t->api != &sim_gaussdb_api || !sim_task_listed(t)))
		t = NULL;
	sim_dds_job_reply(t, rp);
}

/* Write one task of the list. */
static void
sim_gaussdb_task_json(struct json_writer *w, const struct sim_task *t)
{
	char ts[SIM_TIME_LEN], pct[8];

	json_w_obj_open(w);
	json_w_key(w, "instance_info");
	json_w_obj_open(w);
	json_w_kstr(w, "instance_id", t->instance_id);
	json_w_kstr(w, "instance_name", t->instance_name);
	json_w_kstr(w, "instance_status", t->instance_status);
	json_w_obj_close(w);
	json_w_kstr(w, "job_id", t->id);
	json_w_kstr(w, "name", t->name);
	json_w_kstr(w, "status", t->status);
	/* the percentage while running, null otherwise */
	snprintf(pct, sizeof(pct), "%d", t->progress);
	json_w_kstr(
	    w, "process", strcmp(t->status, "Running") == 0 ? pct : NULL);
	json_w_kstr(w, "fail_reason",
	    util_empty(t->fail_reason) ? NULL : t->fail_reason);
	util_format_time_hhmm(t->created, ts);
	json_w_kstr(w, "created_at", ts);
	if (t->ended != UTIL_TIME_NONE) {
		util_format_time_hhmm(t->ended, ts);
		json_w_kstr(w, "ended_at", ts);
	} else
		json_w_kstr(w, "ended_at", NULL);
	json_w_obj_close(w);
}

/* The filters of a list request. */
struct sim_gaussdb_filter {
	long long start_ms; /* -1: none */
	long long end_ms;   /* -1: none */
	int64_t oldest;     /* older tasks have expired */
	char *status;
	char *name;
};

/* 1 if t passes filter q. */
static int
sim_gaussdb_match(const struct sim_task *t, const struct sim_gaussdb_filter *q)
{
	long long ms = (long long)t->created * 1000;

	if (t->created < q->oldest)
		return 0;
	if ((q->start_ms != -1 && ms < q->start_ms) ||
	    (q->end_ms != -1 && ms > q->end_ms))
		return 0;
	if (q->status != NULL && strcmp(t->status, q->status) != 0)
		return 0;
	return q->name == NULL || strcmp(t->name, q->name) == 0;
}

/* Read the list parameters; -1 after an error reply. */
static int
sim_gaussdb_parse(const struct sim_req *r, struct sim_gaussdb_filter *q,
    long long *offset, long long *limit, struct sim_reply *rp)
{
	q->start_ms = q->end_ms = -1;
	if (sim_req_int(r, "start_time", 0, INT64_MAX / 2, &q->start_ms) ==
	    -1) {
		sim_gaussdb_param_error(rp,
		    "Parameter start_time must be a UNIX timestamp in "
		    "milliseconds.");
		return -1;
	}
	if (sim_req_int(r, "end_time", 0, INT64_MAX / 2, &q->end_ms) == -1) {
		sim_gaussdb_param_error(rp,
		    "Parameter end_time must be a UNIX timestamp in "
		    "milliseconds.");
		return -1;
	}
	if (q->start_ms != -1 && q->end_ms != -1 && q->end_ms < q->start_ms) {
		sim_gaussdb_param_error(rp,
		    "Parameter end_time must not be earlier than start_time.");
		return -1;
	}
	if (sim_req_int(r, "offset", 0, INT32_MAX, offset) == -1) {
		sim_gaussdb_param_error(rp,
		    "Parameter offset must be an integer from 0 to "
		    "2147483647.");
		return -1;
	}
	if (sim_req_int(r, "limit", 1, SIM_GAUSSDB_MAX_LIMIT, limit) == -1) {
		sim_gaussdb_param_error(
		    rp, "Parameter limit must be an integer from 1 to 100.");
		return -1;
	}
	q->status = sim_req_query(r, "status");
	if (q->status != NULL &&
	    !sim_word_in(q->status, sim_gaussdb_statuses)) {
		sim_gaussdb_param_error(rp,
		    "Parameter status must be Running, Completed or Failed.");
		return -1;
	}
	q->name = sim_req_query(r, "name");
	q->oldest = sim_now() - SIM_GAUSSDB_KEEP_S;
	return 0;
}

/* GET /v3/{project_id}/tasks: the task list. */
static void
sim_gaussdb_tasks(
    struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_gaussdb_filter q;
	struct sim_task **v;
	struct json_writer *w;
	long long offset = 0, limit = SIM_GAUSSDB_MAX_LIMIT;
	size_t n, i, total = 0;
	int opened = 0; /* the list's array */

	memset(&q, 0, sizeof(q));
	if (sim_gaussdb_parse(r, &q, &offset, &limit, rp) == -1)
		goto out;
	v = sim_index(sim, &sim_gaussdb_api, &n);
	w = json_writer_new();
	json_w_obj_open(w);
	for (i = 0; i < n; i++) {
		if (!sim_gaussdb_match(v[i], &q))
			continue;
		if (total >= (size_t)offset &&
		    total < (size_t)(offset + limit)) {
			if (!opened) {
				json_w_key(w, "tasks");
				json_w_arr_open(w);
				opened = 1;
			}
			sim_gaussdb_task_json(w, v[i]);
		}
		total++;
	}
	/* the SDK marks the list optional: omit_empty leaves an empty out */
	if (!opened && !sim_fault_omit_empty(r)) {
		json_w_key(w, "tasks");
		json_w_arr_open(w);
		opened = 1;
	}
	if (opened)
		json_w_arr_close(w);
	json_w_kint(w, "total_count", (int64_t)total);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
out:
	free(q.status);
	free(q.name);
}
