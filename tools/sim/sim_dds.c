/*
 * Huawei Cloud DDS "Querying Tasks and Details" as the simulator serves it:
 * GET /v3.1/{project_id}/jobs (the list, with its strict time window and
 * DBS.200001 errors) and GET /v3/{project_id}/jobs?id= (one job).  Field
 * names, time formats and error bodies follow spec/cloud-apis.md section 3.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_DDS_MAX_SPAN_S (30 * 86400)
#define SIM_DDS_KEEP_S (30 * 86400)
#define SIM_DDS_MAX_LIMIT 100
#define SIM_DDS_PARAM_ERROR "DBS.200001"

static void sim_dds_jobs(
    struct sim *, const struct sim_req *, struct sim_reply *);
static void sim_dds_job(
    struct sim *, const struct sim_req *, struct sim_reply *);
static void sim_dds_error_reply(const struct sim_req *, int, const char *,
    const char *, struct sim_reply *);
static int sim_dds_index_cmp(const void *, const void *);

static const struct sim_route sim_dds_routes[] = {
	{ "dds.jobs", "GET", "/v3.1/{}/jobs", sim_dds_jobs, NULL },
	{ "dds.job", "GET", "/v3/{}/jobs", sim_dds_job, NULL },
};

static const char *const sim_dds_terminal[] = {
	"Completed",
	"Failed",
	"Canceled",
	NULL,
};

const struct sim_api sim_dds_api = {
	.service = "dds",
	.cloud = SIM_CLOUD_HUAWEI,
	.default_status = "Running",
	.terminal = sim_dds_terminal,
	.routes = sim_dds_routes,
	.nroutes = sizeof(sim_dds_routes) / sizeof(sim_dds_routes[0]),
	.cmp = sim_dds_index_cmp,
	.error_reply = sim_dds_error_reply,
};

/* The DBS codes DDS answers with. */
static const struct sim_huawei_codes sim_dds_codes = {
	.param = SIM_DDS_PARAM_ERROR,
	.forbidden = NULL,
	.internal = "DBS.200000",
};

/* A DDS parameter error: 400 DBS.200001. */
static void
sim_dds_param_error(struct sim_reply *rp, const char *msg)
{
	sim_reply_huawei(rp, 400, SIM_DDS_PARAM_ERROR, msg, NULL);
}

/*
 * The error DDS (or the API gateway in front of it) gives with status: the
 * gateway's APIG codes for 401, 404, 429 and 502-504, DBS codes otherwise.
 */
static void
sim_dds_error_reply(const struct sim_req *r, int status, const char *code,
    const char *msg, struct sim_reply *rp)
{
	sim_huawei_error(r, status, code, msg, &sim_dds_codes, rp);
}

/* 1 if s has the exact shape yyyy-mm-ddThh:mm:ss+hhmm. */
static int
sim_dds_time_shape(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddsdddd";
	size_t i;

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i] != '\0'; i++) {
		switch (shape[i]) {
		case 'd':
			if (!isdigit((unsigned char)s[i]))
				return 0;
			break;
		case 's':
			if (s[i] != '+' && s[i] != '-')
				return 0;
			break;
		default:
			if (s[i] != shape[i])
				return 0;
			break;
		}
	}
	return 1;
}

/*
 * Read the required time parameter key; -1 after an error reply.  A '+'
 * sent unencoded arrives as a space, as it does on the real server.
 */
static int
sim_dds_time_param(const struct sim_req *r, const char *key, int64_t *out,
    struct sim_reply *rp)
{
	char *v = sim_req_query(r, key), *msg;

	if (v == NULL || *v == '\0') {
		msg = xasprintf("Parameter %s is missing.", key);
		sim_dds_param_error(rp, msg);
		free(msg);
		free(v);
		return -1;
	}
	if (!sim_dds_time_shape(v) || util_parse_time(v, 0, out) == -1) {
		msg = xasprintf("Parameter %s is invalid: \"%s\" is not "
				"yyyy-mm-ddThh:mm:ss+hhmm.%s",
		    key, v,
		    strchr(v, ' ') ? " A '+' in a query string decodes to a "
				     "space; send it as "
				     "%2B."
				   : "");
		sim_dds_param_error(rp, msg);
		free(msg);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

/* Read an optional integer parameter in [min, max]; -1 if malformed. */
static int
sim_dds_int_param(const struct sim_req *r, const char *key, long long min,
    long long max, long long *out)
{
	char *v = sim_req_query(r, key);
	const char *errstr;
	int rc = 0;

	if (v != NULL)
		rc = util_strtonum(v, min, max, out, &errstr);
	free(v);
	return rc;
}

/* Format a time in the DDS form, "" for none. */
static void
sim_dds_time(int64_t t, char dst[UTIL_RFC3339_LEN])
{
	if (t == UTIL_TIME_NONE)
		dst[0] = '\0';
	else
		util_format_time_hhmm(t, dst);
}

/* The progress string: "60%" while running, "" otherwise. */
static void
sim_dds_progress(const struct sim_task *t, char *dst, size_t len)
{
	if (strcmp(t->status, "Running") == 0)
		snprintf(dst, len, "%d%%", t->progress);
	else
		dst[0] = '\0';
}

/* Index order: newest first, ties by id, descending, for stable pages. */
static int
sim_dds_index_cmp(const void *a, const void *b)
{
	return sim_task_cmp_created(*(const struct sim_task *const *)a,
	    *(const struct sim_task *const *)b);
}

/* Write one job of the list. */
static void
sim_dds_job_json(struct json_writer *w, const struct sim_task *t)
{
	char created[UTIL_RFC3339_LEN], ended[UTIL_RFC3339_LEN], progress[8];

	sim_dds_time(t->created, created);
	sim_dds_time(t->ended, ended);
	sim_dds_progress(t, progress, sizeof(progress));
	json_w_obj_open(w);
	json_w_kstr(w, "id", t->id);
	json_w_kstr(w, "name", t->name);
	json_w_kstr(w, "status", t->status);
	json_w_kstr(w, "created_at", created);
	json_w_kstr(w, "ended_at", ended);
	json_w_kstr(w, "progress", progress);
	json_w_kstr(w, "instance_id", t->instance_id);
	json_w_kstr(w, "instance_name", t->instance_name);
	json_w_kstr(w, "fail_reason", t->fail_reason);
	json_w_obj_close(w);
}

/* The filters of a list request. */
struct sim_dds_filter {
	int64_t start;
	int64_t end;
	int64_t oldest; /* older jobs have expired */
	char *status;
	char *id;
	char *name;
};

/* 1 if job t passes filter q. */
static int
sim_dds_match(const struct sim_task *t, const struct sim_dds_filter *q)
{
	if (t->created < q->start || t->created > q->end ||
	    t->created < q->oldest)
		return 0;
	if (q->status != NULL && strcmp(t->status, q->status) != 0)
		return 0;
	if (q->id != NULL && strcmp(t->id, q->id) != 0)
		return 0;
	return q->name == NULL || strcmp(t->name, q->name) == 0;
}

/* Read and check the list parameters; -1 after an error reply. */
static int
sim_dds_filter_parse(const struct sim_req *r, struct sim_dds_filter *q,
    long long *offset, long long *limit, struct sim_reply *rp)
{
	if (sim_dds_time_param(r, "start_time", &q->start, rp) == -1 ||
	    sim_dds_time_param(r, "end_time", &q->end, rp) == -1)
		return -1;
	if (q->end <= q->start) {
		sim_dds_param_error(rp,
		    "Parameter end_time must be later "
		    "than start_time.");
		return -1;
	}
	if (q->end - q->start > SIM_DDS_MAX_SPAN_S) {
		sim_dds_param_error(rp,
		    "The span between start_time and "
		    "end_time must not exceed 30 days.");
		return -1;
	}
	if (sim_dds_int_param(r, "offset", 0, INT32_MAX, offset) == -1) {
		sim_dds_param_error(rp,
		    "Parameter offset must be an integer "
		    "greater than or equal to 0.");
		return -1;
	}
	if (sim_dds_int_param(r, "limit", 1, SIM_DDS_MAX_LIMIT, limit) == -1) {
		sim_dds_param_error(rp,
		    "Parameter limit must be an integer "
		    "from 1 to 100.");
		return -1;
	}
	q->status = sim_req_query(r, "status");
	if (q->status != NULL && strcmp(q->status, "Running") != 0 &&
	    strcmp(q->status, "Completed") != 0 &&
	    strcmp(q->status, "Failed") != 0) {
		sim_dds_param_error(rp,
		    "Parameter status must be Running, "
		    "Completed or Failed.");
		return -1;
	}
	q->id = sim_req_query(r, "id");
	q->name = sim_req_query(r, "name");
	q->oldest = sim_now() - SIM_DDS_KEEP_S;
	return 0;
}

/* GET /v3.1/{project_id}/jobs: the task list. */
static void
sim_dds_jobs(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_dds_filter q;
	struct sim_task **v;
	struct json_writer *w;
	long long offset = 0, limit = SIM_DDS_MAX_LIMIT;
	size_t n, i, total = 0;
	int opened = 0; /* the list's array */

	memset(&q, 0, sizeof(q));
	if (sim_dds_filter_parse(r, &q, &offset, &limit, rp) == -1)
		goto out;
	v = sim_index(sim, &sim_dds_api, &n);
	w = json_writer_new();
	json_w_obj_open(w);
	for (i = 0; i < n; i++) {
		if (!sim_dds_match(v[i], &q))
			continue;
		if (total >= (size_t)offset &&
		    total < (size_t)(offset + limit)) {
			if (!opened) {
				json_w_key(w, "jobs");
				json_w_arr_open(w);
				opened = 1;
			}
			sim_dds_job_json(w, v[i]);
		}
		total++;
	}
	/* the SDK marks the list optional: omit_empty leaves an empty out */
	if (!opened && !sim_fault_omit_empty(r)) {
		json_w_key(w, "jobs");
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
	free(q.id);
	free(q.name);
}

/*
 * The single-job answer {"job": {...}} of DDS, which GaussDB shares;
 * 404 DBS.280238 when t is NULL.
 */
void
sim_dds_job_reply(const struct sim_task *t, struct sim_reply *rp)
{
	char created[UTIL_RFC3339_LEN], ended[UTIL_RFC3339_LEN], progress[8];
	struct json_writer *w;

	if (t == NULL) {
		sim_reply_huawei(
		    rp, 404, "DBS.280238", "The job does not exist.", NULL);
		return;
	}
	sim_dds_time(t->created, created);
	sim_dds_time(t->ended, ended);
	sim_dds_progress(t, progress, sizeof(progress));
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_key(w, "job");
	json_w_obj_open(w);
	json_w_kstr(w, "id", t->id);
	json_w_kstr(w, "name", t->name);
	json_w_kstr(w, "status", t->status);
	json_w_kstr(w, "created", created);
	json_w_kstr(w, "ended", ended);
	json_w_kstr(w, "progress", progress);
	json_w_key(w, "instance");
	json_w_obj_open(w);
	json_w_kstr(w, "id", t->instance_id);
	json_w_kstr(w, "name", t->instance_name);
	json_w_obj_close(w);
	json_w_kstr(w, "fail_reason", t->fail_reason);
	json_w_obj_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
}

/* GET /v3/{project_id}/jobs?id=: one job. */
static void
sim_dds_job(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	char *id = sim_req_query(r, "id");
	struct sim_task *t;

	if (id == NULL || *id == '\0') {
		sim_dds_param_error(rp, "Parameter id is missing.");
		free(id);
		return;
	}
	t = sim_task_find(sim, id);
	free(id);
	if (t != NULL && (t->api != &sim_dds_api || !sim_task_listed(t)))
		t = NULL;
	sim_dds_job_reply(t, rp);
}
