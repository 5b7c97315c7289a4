/*
 * Huawei Cloud DWS as the simulator serves it: "Querying Cluster Task
 * Details" (GET /v1/{project_id}/clusters/{cluster_id}/actions/{action},
 * with its JSON-in-a-string-in-JSON detail) and the logical-cluster task
 * list (GET /v2/{project_id}/clusters/{cluster_id}/logical-clusters/tasks,
 * paged by page index).  Field names and formats follow the vendor's
 * examples in spec/cloud-apis.md sections 1 and 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_DWS_PARAM_ERROR "DWS.0001"
#define SIM_DWS_NOT_FOUND "DWS.0015"
#define SIM_DWS_DEFAULT_LIMIT 10

static void sim_dws_actions(
    struct sim *, const struct sim_req *, struct sim_reply *);
static void sim_dws_logical(
    struct sim *, const struct sim_req *, struct sim_reply *);
static void sim_dws_error_reply(const struct sim_req *, int, const char *,
    const char *, struct sim_reply *);
static int sim_dws_action_check(const char *, char **);
static int sim_dws_logical_cmp(const void *, const void *);

/* The eight action names, with what DWS shows for each. */
static const struct sim_dws_action {
	const char *name;
	const char *type;    /* progressInfo actionType */
	const char *item;    /* item_name with X-Language: en-us */
	const char *sub;     /* sub_item_name with X-Language: en-us */
	const char *item_zh; /* ... and without */
	const char *sub_zh;
} sim_dws_actions_table[] = {
	{ "GROWING", "Resize", "Scale out", "Add nodes", "扩容", "添加节点" },
	{ "RESIZE_FAILURE", "Resize", "Scale out", "Add nodes", "扩容",
	    "添加节点" },
	{ "RESTORING", "Restore", "Restore a snapshot", "Restore data",
	    "恢复快照", "恢复数据" },
	{ "RESTORING_FAILED", "Restore", "Restore a snapshot", "Restore data",
	    "恢复快照", "恢复数据" },
	{ "SNAPSHOTTING", "Backup", "Create a snapshot", "Perform a backup",
	    "创建快照", "执行备份" },
	{ "SNAPSHOTTING_FAILED", "Backup", "Create a snapshot",
	    "Perform a backup", "创建快照", "执行备份" },
	{ "FINE_GRAINED_RESTORING", "FineGrainedRestore",
	    "Fine-grained restoration", "Restore tables", "细粒度恢复",
	    "恢复表" },
	{ "FINE_GRAINED_RESTORING_FAILED", "FineGrainedRestore",
	    "Fine-grained restoration", "Restore tables", "细粒度恢复",
	    "恢复表" },
};

#define SIM_DWS_NACTIONS \
	(sizeof(sim_dws_actions_table) / sizeof(sim_dws_actions_table[0]))

static const struct sim_route sim_dws_actions_routes[] = {
	{ "dws.actions", "GET", "/v1/{}/clusters/{}/actions/{}",
	    sim_dws_actions, NULL },
};

static const struct sim_route sim_dws_logical_routes[] = {
	{ "dws.logical", "GET", "/v2/{}/clusters/{}/logical-clusters/tasks",
	    sim_dws_logical, NULL },
};

static const char *const sim_dws_actions_terminal[] = {
	"SUCCESS",
	"FAILED",
	"ROLLBACK_SUCCESS",
	"ROLLBACK_FAIL",
	NULL,
};

static const char *const sim_dws_logical_terminal[] = {
	"success",
	"failed",
	NULL,
};

static const char *const sim_dws_actions_keys[] = {
	"step",
	"failed_step",
	"error_code",
	NULL,
};

static const char *const sim_dws_logical_keys[] = {
	"logical_cluster",
	NULL,
};

const struct sim_api sim_dws_actions_api = {
	.service = "dws.actions",
	.cloud = SIM_CLOUD_HUAWEI,
	.cluster_kind = "dws",
	.default_status = "RUNNING",
	.terminal = sim_dws_actions_terminal,
	.keys = sim_dws_actions_keys,
	.routes = sim_dws_actions_routes,
	.nroutes = 1,
	.check_name = sim_dws_action_check,
	.error_reply = sim_dws_error_reply,
};

const struct sim_api sim_dws_logical_api = {
	.service = "dws.logical",
	.cloud = SIM_CLOUD_HUAWEI,
	.cluster_kind = "dws",
	.default_status = "running",
	.terminal = sim_dws_logical_terminal,
	.keys = sim_dws_logical_keys,
	.routes = sim_dws_logical_routes,
	.nroutes = 1,
	.cmp = sim_dws_logical_cmp,
	.error_reply = sim_dws_error_reply,
};

/* The DWS codes. */
static const struct sim_huawei_codes sim_dws_codes = {
	.param = SIM_DWS_PARAM_ERROR,
	.forbidden = SIM_DWS_NOT_FOUND,
	.internal = "DWS.0000",
};

/* DWS's error for status (or the API gateway's). */
static void
sim_dws_error_reply(const struct sim_req *r, int status, const char *code,
    const char *msg, struct sim_reply *rp)
{
	sim_huawei_error(r, status, code, msg, &sim_dws_codes, rp);
}

/* The table entry of an action name, or NULL. */
static const struct sim_dws_action *
sim_dws_action_find(const char *name)
{
	size_t i;

	for (i = 0; i < SIM_DWS_NACTIONS; i++) {
		if (strcmp(sim_dws_actions_table[i].name, name) == 0)
			return &sim_dws_actions_table[i];
	}
	return NULL;
}

/* 1 if name is one of the eight action names. */
int
sim_dws_action_valid(const char *name)
{
	return sim_dws_action_find(name) != NULL;
}

/* A DWS action task must carry one of the eight names. */
static int
sim_dws_action_check(const char *name, char **cause)
{
	if (sim_dws_action_valid(name))
		return 0;
	*cause = xasprintf("name \"%s\" is not a DWS action (GROWING, "
			   "RESIZE_FAILURE, RESTORING, RESTORING_FAILED, "
			   "SNAPSHOTTING, SNAPSHOTTING_FAILED, "
			   "FINE_GRAINED_RESTORING, "
			   "FINE_GRAINED_RESTORING_FAILED)",
	    name);
	return -1;
}

/*
 * The cluster named by path segment 3; NULL after DWS's answer for a
 * cluster that does not exist (403 DWS.0015: "not found or no
 * permission").
 */
static struct sim_cluster *
sim_dws_cluster(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_cluster *c;
	char *id = sim_path_segment(r, 3);

	c = id != NULL ? sim_cluster_find(sim, "dws", id) : NULL;
	free(id);
	if (c == NULL)
		sim_reply_huawei(rp, 403, SIM_DWS_NOT_FOUND,
		    "Resource not found or no permission.", NULL);
	return c;
}

/* The progressInfo object of an action, as the string DWS nests. */
static char *
sim_dws_progress_info(const struct sim_task *t, const struct sim_dws_action *a)
{
	struct json_writer *w = json_writer_new();
	char ts[SIM_TIME_LEN], pct[16];
	char *s;

	json_w_obj_open(w);
	if (t->ended != UTIL_TIME_NONE)
		sim_format_time(t->ended, SIM_TIME_PLAIN, ts);
	else
		ts[0] = '\0';
	json_w_kstr(w, "actionEndTime", ts);
	json_w_kstr(w, "failedStep", t->failed_step);
	json_w_kstr(w, "partialPassKeys", "N/A");
	json_w_kstr(w, "errorCode", t->error_code);
	sim_format_time(sim_now(), SIM_TIME_PLAIN, ts);
	json_w_kstr(w, "updateTime", ts);
	json_w_kstr(w, "errorMsg", t->fail_reason);
	json_w_kint(w, "backupSize", (int64_t)t->progress * 1576619);
	json_w_key(w, "backupRate");
	json_w_obj_open(w);
	json_w_kstr(w, "compressRate", "0MB/s");
	json_w_kstr(w, "consumerRate", "0MB/s");
	json_w_kstr(w, "producerRate", "0MB/s");
	json_w_obj_close(w);
	json_w_kstr(w, "currentStep",
	    *t->step != '\0'           ? t->step
		: sim_task_terminal(t) ? "FINISH"
				       : "INIT");
	json_w_kstr(w, "actionType", a->type);
	json_w_kstr(w, "unrestoreKeys", "N/A");
	snprintf(pct, sizeof(pct), "%d.00%%", t->progress);
	json_w_kstr(w, "progress", pct);
	sim_format_time(t->created, SIM_TIME_PLAIN, ts);
	json_w_kstr(w, "actionStartTime", ts);
	json_w_kstr(w, "priorKey", "N/A");
	sim_format_time(t->created, SIM_TIME_KEY, ts);
	json_w_kstr(w, "key", ts);
	json_w_obj_close(w);
	s = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return s;
}

/* The detail string: {"progressInfo": "<progressInfo as a string>"}. */
static char *
sim_dws_detail(const struct sim_task *t, const struct sim_dws_action *a)
{
	struct json_writer *w = json_writer_new();
	char *info = sim_dws_progress_info(t, a), *s;

	json_w_obj_open(w);
	json_w_kstr(w, "progressInfo", info);
	json_w_obj_close(w);
	s = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	free(info);
	return s;
}

/*
 * GET /v1/{project_id}/clusters/{cluster_id}/actions/{action_name}: the
 * newest action of that name on the cluster, or 404 if none is shown.
 */
static void
sim_dws_actions(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	const struct sim_dws_action *a;
	const struct sim_cluster *c;
	struct sim_task *t, *best = NULL;
	struct json_writer *w;
	const char *lang;
	char *name, *msg, *detail, ts[SIM_TIME_LEN], fresh[SIM_UUID_LEN];
	int en;

	name = sim_path_segment(r, 5);
	if ((a = sim_dws_action_find(name != NULL ? name : "")) == NULL) {
		msg = xasprintf(
		    "Invalid action_name \"%s\".", name != NULL ? name : "");
		sim_reply_huawei(rp, 400, SIM_DWS_PARAM_ERROR, msg, NULL);
		free(msg);
		free(name);
		return;
	}
	free(name);
	if ((c = sim_dws_cluster(sim, r, rp)) == NULL)
		return;
	TAILQ_FOREACH (t, &sim->tasks, entry) {
		if (t->api != &sim_dws_actions_api || !sim_task_listed(t) ||
		    strcmp(t->instance_id, c->id) != 0 ||
		    strcmp(t->name, a->name) != 0)
			continue;
		if (best == NULL || t->created >= best->created)
			best = t;
	}
	if (best == NULL) {
		msg = xasprintf(
		    "The cluster %s has no %s action.", c->id, a->name);
		sim_reply_huawei(rp, 404, SIM_DWS_NOT_FOUND, msg, NULL);
		free(msg);
		return;
	}
	t = best;
	lang = sim_req_header(r, "X-Language");
	en = lang != NULL && strcasecmp(lang, "en-us") == 0;
	detail = sim_dws_detail(t, a);
	w = json_writer_new();
	json_w_obj_open(w);
	if (sim->dws_fresh_ids) {
		/* "a randomly generated UUID": played as new every time */
		sim_uuid(fresh, 0);
		json_w_kstr(w, "id", fresh);
	} else
		json_w_kstr(w, "id", t->id);
	json_w_kstr(w, "status", t->status);
	json_w_key(w, "items");
	json_w_arr_open(w);
	json_w_obj_open(w);
	json_w_kstr(w, "item_name", en ? a->item : a->item_zh);
	json_w_key(w, "sub_items");
	json_w_arr_open(w);
	json_w_obj_open(w);
	json_w_kstr(w, "status", t->status);
	json_w_kstr(w, "detail", detail);
	json_w_kstr(w, "sub_item_name", en ? a->sub : a->sub_zh);
	sim_format_time(t->created, SIM_TIME_DOT0, ts);
	json_w_kstr(w, "begin_time", ts);
	if (t->ended != UTIL_TIME_NONE) {
		sim_format_time(t->ended, SIM_TIME_DOT0, ts);
		json_w_kstr(w, "end_time", ts);
	} else
		json_w_kstr(w, "end_time", NULL);
	json_w_kint(w, "estimated_time", -1);
	json_w_obj_close(w);
	json_w_arr_close(w);
	json_w_obj_close(w);
	json_w_arr_close(w);
	json_w_kstr(w, "action_name", t->name);
	json_w_kstr(w, "cluster_name", c->name);
	sim_format_time(t->created, SIM_TIME_DOT0, ts);
	json_w_kstr(w, "submit_time", ts);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
	free(detail);
}

/* Logical task index order: cluster, then newest first. */
static int
sim_dws_logical_cmp(const void *a, const void *b)
{
	const struct sim_task *x = *(const struct sim_task *const *)a;
	const struct sim_task *y = *(const struct sim_task *const *)b;
	int c;

	if ((c = strcmp(x->instance_id, y->instance_id)) != 0)
		return c;
	return sim_task_cmp_created(x, y);
}

/*
 * A copy of n index entries in an order of their own, another with every
 * call (a fixed sequence, so runs repeat): a listing without a stable
 * order.  Caller frees.
 */
static struct sim_task **
sim_dws_shuffle(struct sim_task *const *from, size_t n)
{
	static uint64_t state = 0x9e3779b97f4a7c15ULL;
	struct sim_task **v = xcalloc(n + 1, sizeof(*v)), *t;
	size_t i, j;

	memcpy(v, from, n * sizeof(*v));
	for (i = n; i > 1; i--) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (size_t)((state >> 33) % i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
	return v;
}

/* Write one logical-cluster task. */
static void
sim_dws_logical_json(struct json_writer *w, const struct sim_task *t)
{
	char ts[SIM_TIME_LEN];

	json_w_obj_open(w);
	json_w_kstr(w, "type", t->name);
	json_w_kstr(w, "logical_cluster_name", t->logical_cluster);
	sim_format_time(t->created, SIM_TIME_PLAIN, ts);
	json_w_kstr(w, "start_time", ts);
	if (t->ended != UTIL_TIME_NONE)
		sim_format_time(t->ended, SIM_TIME_PLAIN, ts);
	else
		ts[0] = '\0';
	json_w_kstr(w, "end_time", ts);
	/* no result yet while running: served as "" */
	json_w_kstr(w, "result",
	    strcasecmp(t->status, "running") == 0 ? "" : t->status);
	json_w_kstr(w, "log", t->fail_reason);
	json_w_obj_close(w);
}

/* The filters of a logical task list request. */
struct sim_dws_filter {
	char *lc_name;
	char *type;
	char *order_by;
	char *order;
};

/* 1 if t passes the filters. */
static int
sim_dws_logical_match(const struct sim_task *t, const struct sim_dws_filter *q)
{
	if (q->lc_name != NULL && strcmp(t->logical_cluster, q->lc_name) != 0)
		return 0;
	return q->type == NULL || strcmp(t->name, q->type) == 0;
}

/*
 * GET /v2/{project_id}/clusters/{cluster_id}/logical-clusters/tasks:
 * offset is a page index, limit the page size; count is the total.
 */
static void
sim_dws_logical(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_dws_filter q;
	const struct sim_cluster *c;
	struct sim_task **v, **shuffled = NULL;
	const struct sim_task *t;
	struct json_writer *w;
	long long offset = 0, limit = SIM_DWS_DEFAULT_LIMIT;
	size_t n, first, count, i, k, total = 0, skip;
	int asc = 0;

	memset(&q, 0, sizeof(q));
	if (sim_req_int(r, "offset", 0, INT32_MAX, &offset) == -1) {
		sim_reply_huawei(rp, 400, SIM_DWS_PARAM_ERROR,
		    "Parameter offset must be an integer greater than or "
		    "equal to 0.",
		    NULL);
		return;
	}
	if (sim_req_int(r, "limit", 1, INT32_MAX, &limit) == -1) {
		sim_reply_huawei(rp, 400, SIM_DWS_PARAM_ERROR,
		    "Parameter limit must be an integer greater than 0.", NULL);
		return;
	}
	q.order_by = sim_req_query(r, "order_by");
	q.order = sim_req_query(r, "order");
	if (q.order_by != NULL && strcmp(q.order_by, "startTime") != 0) {
		sim_reply_huawei(rp, 400, SIM_DWS_PARAM_ERROR,
		    "Parameter order_by must be startTime.", NULL);
		goto out;
	}
	if (q.order != NULL && strcasecmp(q.order, "ASC") != 0 &&
	    strcasecmp(q.order, "DESC") != 0) {
		sim_reply_huawei(rp, 400, SIM_DWS_PARAM_ERROR,
		    "Parameter order must be ASC or DESC.", NULL);
		goto out;
	}
	asc = q.order != NULL && strcasecmp(q.order, "ASC") == 0;
	if ((c = sim_dws_cluster(sim, r, rp)) == NULL)
		goto out;
	q.lc_name = sim_req_query(r, "logical_cluster_name");
	q.type = sim_req_query(r, "type");

	v = sim_index(sim, &sim_dws_logical_api, &n);
	first = sim_index_cluster(v, n, c->id, &count);
	if (q.order == NULL && sim_fault_unordered(r))
		shuffled = sim_dws_shuffle(v + first, count);
	skip = (size_t)offset * (size_t)limit;
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_key(w, "logical_cluster_tasks");
	json_w_arr_open(w);
	for (i = 0; i < count; i++) {
		k = asc ? first + count - 1 - i : first + i;
		t = shuffled != NULL ? shuffled[i] : v[k];
		if (!sim_dws_logical_match(t, &q))
			continue;
		if (total >= skip && total - skip < (size_t)limit)
			sim_dws_logical_json(w, t);
		total++;
	}
	free(shuffled);
	json_w_arr_close(w);
	json_w_kint(w, "count", (int64_t)total);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
out:
	free(q.lc_name);
	free(q.type);
	free(q.order_by);
	free(q.order);
}
