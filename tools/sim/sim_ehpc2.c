/*
 * Alibaba Cloud E-HPC 2.0 ListCommonLogs (RPC style, version 2024-07-30)
 * as the simulator serves it at POST /, every parameter in the query: the
 * operation log of a cluster over From..To, paged by PageNumber/PageSize,
 * newest first unless IsReverse=false, filtered by LogRequestId and
 * ActionStatus.  Each task of service ehpc.operations is one operation:
 * one row whose Status changes, or (operation_rows: per_state) one row
 * per state it reached, as the real service may write them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_EHPC2_VERSION "2024-07-30"
#define SIM_EHPC2_MAX_PAGE_SIZE 100
#define SIM_EHPC2_DEFAULT_PAGE_SIZE 20
#define SIM_EHPC2_UID "137***" /* the SDK model's example Uid */

static void sim_ehpc2_list(
    struct sim *, const struct sim_req *, struct sim_reply *);
static int sim_ehpc2_claim(struct sim *, const struct sim_req *);

static const struct sim_route sim_ehpc2_routes[] = {
	{ "ehpc.ListCommonLogs", "POST", "/", sim_ehpc2_list, sim_ehpc2_claim },
};

static const char *const sim_ehpc2_terminal[] = {
	"Finished",
	"Failed",
	NULL,
};

static const char *const sim_ehpc2_keys[] = {
	"target",
	NULL,
};

const struct sim_api sim_ehpc2_api = {
	.service = "ehpc.operations",
	.cloud = SIM_CLOUD_ALIBABA,
	.cluster_kind = "ehpc",
	.default_status = "InProgress",
	.terminal = sim_ehpc2_terminal,
	.keys = sim_ehpc2_keys,
	.routes = sim_ehpc2_routes,
	.nroutes = 1,
	.cmp = NULL,
	.error_reply = sim_ehpc_error_reply,
};

/* One log row: an operation in one of its states. */
struct sim_ehpc2_row {
	const struct sim_task *t;
	const char *status;
	int64_t time;
};

/* The parameters of a ListCommonLogs request. */
struct sim_ehpc2_params {
	char *cluster;
	char *region;
	char *request_id; /* LogRequestId */
	char *status;     /* ActionStatus */
	long long from, to, page, size;
	int reverse;
};

/* The route takes "/" requests for the ListCommonLogs action. */
static int
sim_ehpc2_claim(struct sim *sim, const struct sim_req *r)
{
	return sim_ali_action_is(r, "ListCommonLogs");
}

/* Reply 400 code with "The specified parameter key is invalid: why". */
static int
sim_ehpc2_invalid(const struct sim_req *r, struct sim_reply *rp,
    const char *code, const char *key, const char *why)
{
	char *msg =
	    xasprintf("The specified parameter %s is invalid: %s.", key, why);

	sim_reply_alibaba(r, rp, 400, code, msg);
	free(msg);
	return -1;
}

/* Read the version, window and paging parameters; -1 after a reply. */
static int
sim_ehpc2_parse_args(
    const struct sim_req *r, struct sim_ehpc2_params *p, struct sim_reply *rp)
{
	char *version, *from, *rev;
	int rc = -1;

	version = sim_ehpc_param(r, "Version", "x-acs-version");
	from = sim_req_query(r, "From");
	rev = sim_req_query(r, "IsReverse");
	if (version == NULL || strcmp(version, SIM_EHPC2_VERSION) != 0)
		sim_ehpc2_invalid(r, rp, "InvalidVersion", "Version",
		    "use " SIM_EHPC2_VERSION);
	else if (util_empty(p->cluster = sim_req_query(r, "ClusterId")))
		sim_ehpc2_invalid(
		    r, rp, "InvalidParams", "ClusterId", "it is required");
	else if (from == NULL)
		sim_reply_alibaba(r, rp, 400, "MissingParameter",
		    "The input parameter \"From\" that is mandatory for "
		    "processing this request is not supplied.");
	else if (sim_req_int(r, "From", 0, INT64_MAX, &p->from) == -1 ||
	    sim_req_int(r, "To", 0, INT64_MAX, &p->to) == -1 || p->to < p->from)
		sim_ehpc2_invalid(r, rp, "InvalidParams", "From/To",
		    "use unix seconds, From <= To");
	else if (sim_req_int(r, "PageNumber", 1, INT32_MAX, &p->page) == -1)
		sim_ehpc2_invalid(
		    r, rp, "InvalidParams", "PageNumber", "use 1 or more");
	else if (sim_req_int(
		     r, "PageSize", 1, SIM_EHPC2_MAX_PAGE_SIZE, &p->size) == -1)
		sim_ehpc2_invalid(
		    r, rp, "InvalidParams", "PageSize", "use 1 to 100");
	else if (rev != NULL && strcmp(rev, "true") != 0 &&
	    strcmp(rev, "false") != 0)
		sim_ehpc2_invalid(
		    r, rp, "InvalidParams", "IsReverse", "use true or false");
	else {
		p->reverse = rev == NULL || strcmp(rev, "true") == 0;
		rc = 0;
	}
	free(version);
	free(from);
	free(rev);
	return rc;
}

/* Read and check the parameters and the cluster; -1 after a reply. */
static int
sim_ehpc2_parse(struct sim *sim, const struct sim_req *r,
    struct sim_ehpc2_params *p, struct sim_reply *rp)
{
	const struct sim_cluster *c;
	char *msg;

	if (sim_ehpc2_parse_args(r, p, rp) == -1)
		return -1;
	p->request_id = sim_req_query(r, "LogRequestId");
	p->status = sim_req_query(r, "ActionStatus");
	p->region = sim_req_query(r, "RegionId");
	c = sim_cluster_find(sim, "ehpc", p->cluster);
	/* An E-HPC 1.0 cluster is not one the 2.0 API knows. */
	if (c == NULL || c->generation == 1 ||
	    (c->region != NULL && !util_empty(p->region) &&
		strcmp(c->region, p->region) != 0)) {
		msg = xasprintf(
		    "The specified cluster %s does not exist.", p->cluster);
		sim_reply_alibaba(r, rp, 404, "ClusterNotFound", msg);
		free(msg);
		return -1;
	}
	return 0;
}

/* Add row (t, status, time) to *v if the request's filters keep it. */
static void
sim_ehpc2_add(const struct sim_ehpc2_params *p, const struct sim_task *t,
    const char *status, int64_t time, struct sim_ehpc2_row **v, size_t *n)
{
	if (time < p->from || time > p->to ||
	    (p->status != NULL && strcmp(p->status, status) != 0))
		return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].t = t;
	(*v)[*n].status = status;
	(*v)[*n].time = time;
	(*n)++;
}

/* Oldest first; at one time the row that is not terminal first; by id. */
static int
sim_ehpc2_cmp(const void *a, const void *b)
{
	const struct sim_ehpc2_row *x = a, *y = b;
	int tx, ty;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	tx = sim_word_in(x->status, sim_ehpc2_terminal);
	ty = sim_word_in(y->status, sim_ehpc2_terminal);
	if (tx != ty)
		return tx - ty;
	return strcmp(x->t->id, y->t->id);
}

/*
 * The rows of the cluster the request keeps, oldest first: a task is one
 * row, or, per state, an InProgress row at its start and one of its end
 * status at its end.
 */
static struct sim_ehpc2_row *
sim_ehpc2_rows(struct sim *sim, const struct sim_ehpc2_params *p, size_t *n)
{
	struct sim_ehpc2_row *v = NULL;
	struct sim_task **tasks;
	const struct sim_task *t;
	size_t nt, i;

	*n = 0;
	tasks = sim_index(sim, &sim_ehpc2_api, &nt);
	for (i = 0; i < nt; i++) {
		t = tasks[i];
		if (strcmp(t->instance_id, p->cluster) != 0 ||
		    (p->request_id != NULL &&
			strcmp(t->id, p->request_id) != 0))
			continue;
		if (!sim->ehpc_rows_per_state || !sim_task_terminal(t)) {
			sim_ehpc2_add(p, t, t->status, t->created, &v, n);
			continue;
		}
		sim_ehpc2_add(p, t, "InProgress", t->created, &v, n);
		sim_ehpc2_add(p, t, t->status,
		    t->ended != UTIL_TIME_NONE ? t->ended : t->created, &v, n);
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), sim_ehpc2_cmp);
	return v;
}

/* Write one row as the SDK model names its members. */
static void
sim_ehpc2_row(struct json_writer *w, const struct sim_ehpc2_row *row)
{
	const struct sim_task *t = row->t;
	char ts[SIM_TIME_LEN];

	sim_format_time(row->time, SIM_TIME_PLAIN, ts);
	json_w_obj_open(w);
	json_w_kstr(w, "Action", t->name);
	json_w_kstr(w, "ClusterId", t->instance_id);
	json_w_kstr(w, "LogType", "Operation");
	json_w_kstr(w, "Message",
	    strcmp(row->status, "Failed") == 0 && !util_empty(t->fail_reason)
		? t->fail_reason
		: "ok");
	json_w_kstr(w, "OperatorUid", SIM_EHPC2_UID);
	json_w_kstr(w, "RequestId", t->id);
	json_w_kstr(w, "Status", row->status);
	json_w_kstr(w, "Target", t->target != NULL ? t->target : "");
	json_w_kstr(w, "Time", ts);
	json_w_obj_close(w);
}

/* POST /?Action=ListCommonLogs&Version=2024-07-30&ClusterId=...: a page. */
static void
sim_ehpc2_list(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_ehpc2_params p;
	struct sim_ehpc2_row *rows = NULL;
	struct json_writer *w;
	char rid[SIM_UUID_LEN];
	size_t n, i, k, skip;

	memset(&p, 0, sizeof(p));
	p.page = 1;
	p.size = SIM_EHPC2_DEFAULT_PAGE_SIZE;
	p.to = sim_now();
	if (sim_ehpc2_parse(sim, r, &p, rp) == -1)
		goto out;
	rows = sim_ehpc2_rows(sim, &p, &n);
	sim_ehpc_request_id(r, rid);
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kstr(w, "RequestId", rid);
	json_w_kstr(w, "Uid", SIM_EHPC2_UID);
	json_w_kint(w, "PageNumber", p.page);
	json_w_kint(w, "PageSize", p.size);
	json_w_kint(w, "TotalCount", (int64_t)n);
	skip = (size_t)(p.page - 1) * (size_t)p.size;
	if (skip < n || !sim_fault_omit_empty(r)) {
		json_w_key(w, "Logs");
		json_w_arr_open(w);
		for (k = skip; k < n && k - skip < (size_t)p.size; k++) {
			i = p.reverse ? n - 1 - k : k;
			sim_ehpc2_row(w, &rows[i]);
		}
		json_w_arr_close(w);
	}
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
	sim_reply_header(rp, "x-acs-request-id", rid);
out:
	free(rows);
	free(p.cluster);
	free(p.region);
	free(p.request_id);
	free(p.status);
}
