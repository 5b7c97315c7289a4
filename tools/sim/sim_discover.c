/*
 * The list-clusters calls a watch with clusters: all discovers through:
 * DWS ListClusters (GET /v1.0/{project_id}/clusters, one page), E-HPC
 * 1.0 ListClusters (GET /?Action=ListClusters, 2018-04-12, paged, per
 * RegionId, every E-HPC cluster with its EhpcVersion) and E-HPC 2.0
 * ListClusters (POST, 2024-07-30, the generation-2 clusters), served from
 * the simulator's clusters; their endpoints, dws.clusters,
 * ehpc.ListClusters and ehpc.ListClusters2, take faults like any other.  The control API can
 * hide a cluster from the next answers and delete one
 * (/_sim/clusters/{kind}/{id}).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_DISCOVER_EHPC_VERSION "2018-04-12"
#define SIM_DISCOVER_EHPC_MAX_PAGE_SIZE 50
#define SIM_DISCOVER_EHPC_DEFAULT_PAGE_SIZE 10
#define SIM_DISCOVER_MAX_HIDE 1000

static void sim_discover_dws(
    struct sim *, const struct sim_req *, struct sim_reply *);
static void sim_discover_ehpc(
    struct sim *, const struct sim_req *, struct sim_reply *);
static int sim_discover_ehpc_claim(struct sim *, const struct sim_req *);
static void sim_discover_dws_error(const struct sim_req *, int, const char *,
    const char *, struct sim_reply *);
static void sim_discover_ehpc_error(const struct sim_req *, int, const char *,
    const char *, struct sim_reply *);

static const struct sim_route sim_discover_dws_routes[] = {
	{ "dws.clusters", "GET", "/v1.0/{}/clusters", sim_discover_dws, NULL },
};

static void sim_discover_ehpc2(
    struct sim *, const struct sim_req *, struct sim_reply *);

static const struct sim_route sim_discover_ehpc_routes[] = {
	{ "ehpc.ListClusters", "GET", "/", sim_discover_ehpc,
	    sim_discover_ehpc_claim },
	{ "ehpc.ListClusters2", "POST", "/", sim_discover_ehpc2,
	    sim_discover_ehpc_claim },
};

const struct sim_api sim_dws_clusters_api = {
	.service = "dws.clusters",
	.cloud = SIM_CLOUD_HUAWEI,
	.routes = sim_discover_dws_routes,
	.nroutes = 1,
	.error_reply = sim_discover_dws_error,
};

const struct sim_api sim_ehpc_clusters_api = {
	.service = "ehpc.clusters",
	.cloud = SIM_CLOUD_ALIBABA,
	.routes = sim_discover_ehpc_routes,
	.nroutes = 2,
	.error_reply = sim_discover_ehpc_error,
};

/* DWS's codes for injected statuses. */
static const struct sim_huawei_codes sim_discover_dws_codes = {
	.param = "DWS.0001",
	.forbidden = "DWS.0015",
	.internal = "DWS.0000",
};

/* DWS's error for an injected status (or the API gateway's). */
static void
sim_discover_dws_error(const struct sim_req *r, int status, const char *code,
    const char *msg, struct sim_reply *rp)
{
	sim_huawei_error(r, status, code, msg, &sim_discover_dws_codes, rp);
}

/* Alibaba's error for an injected status: its code, and 429 sent as 400. */
static void
sim_discover_ehpc_error(const struct sim_req *r, int status, const char *code,
    const char *msg, struct sim_reply *rp)
{
	if (code == NULL && status == 429)
		code = "Throttling.User";
	else if (code == NULL && status >= 500)
		code = status == 503 ? "ServiceUnavailable" : "InternalError";
	else if (code == NULL)
		code = status == 403 ? "Forbidden" : "InvalidParams";
	sim_reply_alibaba(r, rp, status == 429 ? 400 : status, code,
	    msg != NULL ? msg : "Injected error.");
}

/* 1 if c is in an answer for kind and region (NULL or "": any region). */
static int
sim_discover_listed(
    const struct sim_cluster *c, const char *kind, const char *region)
{
	return strcmp(c->kind, kind) == 0 && c->hide_answers == 0 &&
	    (c->region == NULL || util_empty(region) ||
		strcmp(c->region, region) == 0);
}

/* An answer for kind was sent: the clusters hidden from it show again. */
static void
sim_discover_answered(struct sim *sim, const char *kind)
{
	struct sim_cluster *c;

	TAILQ_FOREACH (c, &sim->clusters, entry) {
		if (strcmp(c->kind, kind) == 0 && c->hide_answers > 0)
			c->hide_answers--;
	}
}

/* GET /v1.0/{project_id}/clusters: every DWS cluster, one page. */
static void
sim_discover_dws(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct json_writer *w = json_writer_new();
	const struct sim_cluster *c;
	int64_t n = 0;

	json_w_obj_open(w);
	TAILQ_FOREACH (c, &sim->clusters, entry)
		n += sim_discover_listed(c, "dws", NULL);
	if (n > 0 || !sim_fault_omit_empty(r)) {
		json_w_key(w, "clusters");
		json_w_arr_open(w);
		TAILQ_FOREACH (c, &sim->clusters, entry) {
			if (!sim_discover_listed(c, "dws", NULL))
				continue;
			json_w_obj_open(w);
			json_w_kstr(w, "id", c->id);
			json_w_kstr(w, "name", c->name);
			json_w_kstr(w, "status", "AVAILABLE");
			json_w_kstr(w, "version", "8.1.3.110");
			json_w_kstr(w, "task_status", "");
			json_w_kint(w, "number_of_node", 3);
			json_w_obj_close(w);
		}
		json_w_arr_close(w);
	}
	json_w_kint(w, "count", n);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
	sim_discover_answered(sim, "dws");
}

/* The route takes "/" requests for the ListClusters action. */
static int
sim_discover_ehpc_claim(struct sim *sim, const struct sim_req *r)
{
	char *action = sim_req_query(r, "Action");
	const char *h = sim_req_header(r, "x-acs-action");
	int ok = (action != NULL && strcmp(action, "ListClusters") == 0) ||
	    (action == NULL && h != NULL && strcmp(h, "ListClusters") == 0);

	free(action);
	return ok;
}

/*
 * Check Version (want), PageNumber and PageSize (1 to max); -1 after an
 * error reply.
 */
static int
sim_discover_ehpc_params(const struct sim_req *r, const char *want,
    long long max, long long *page, long long *size, struct sim_reply *rp)
{
	char *version = sim_req_query(r, "Version");
	const char *h = sim_req_header(r, "x-acs-version");
	int rc = -1;

	if (version == NULL && h != NULL)
		version = xstrdup(h);
	*page = 1;
	*size = SIM_DISCOVER_EHPC_DEFAULT_PAGE_SIZE;
	if (version == NULL)
		sim_reply_alibaba(r, rp, 400, "MissingParameter",
		    "The input parameter \"Version\" that is mandatory for "
		    "processing this request is not supplied.");
	else if (strcmp(version, want) != 0)
		sim_reply_alibaba(r, rp, 400, "InvalidVersion",
		    "Specified parameter Version is not valid.");
	else if (sim_req_int(r, "PageNumber", 1, 100000, page) == -1)
		sim_reply_alibaba(r, rp, 400, "InvalidParams",
		    "The specified parameter PageNumber is invalid.");
	else if (sim_req_int(r, "PageSize", 1, max, size) == -1)
		sim_reply_alibaba(r, rp, 400, "InvalidParams",
		    "The specified parameter PageSize is invalid.");
	else
		rc = 0;
	free(version);
	return rc;
}

/* Write one E-HPC cluster as ClusterInfoSimple. */
static void
sim_discover_ehpc_one(
    struct json_writer *w, const struct sim_cluster *c, const char *region)
{
	json_w_obj_open(w);
	json_w_kstr(w, "Id", c->id);
	json_w_kstr(w, "Name", c->name);
	json_w_kstr(w, "Status", "running");
	json_w_kstr(w, "EhpcVersion", c->generation == 2 ? "2.0.0" : "1.0.0");
	json_w_kstr(w, "RegionId",
	    c->region != NULL ? c->region : (region ? region : ""));
	json_w_kstr(w, "OsTag", "CentOS_7.6_64");
	json_w_kstr(w, "SchedulerType", "pbs");
	json_w_obj_close(w);
}

/*
 * GET /?Action=ListClusters&Version=2018-04-12: the E-HPC clusters of
 * RegionId, a page of them (JSON; the daemon asks for it).
 */
static void
sim_discover_ehpc(
    struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	const struct sim_cluster *c;
	struct json_writer *w;
	char *region, rid[SIM_UUID_LEN];
	long long page, size;
	int64_t total = 0, i = 0;

	if (sim_discover_ehpc_params(r, SIM_DISCOVER_EHPC_VERSION,
		SIM_DISCOVER_EHPC_MAX_PAGE_SIZE, &page, &size, rp) == -1)
		return;
	region = sim_req_query(r, "RegionId");
	TAILQ_FOREACH (c, &sim->clusters, entry)
		total += sim_discover_listed(c, "ehpc", region);
	sim_uuid(rid, 1);
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kstr(w, "RequestId", rid);
	json_w_kint(w, "TotalCount", total);
	json_w_kint(w, "PageNumber", page);
	json_w_kint(w, "PageSize", size);
	json_w_key(w, "Clusters");
	json_w_obj_open(w);
	json_w_key(w, "ClusterInfoSimple");
	json_w_arr_open(w);
	TAILQ_FOREACH (c, &sim->clusters, entry) {
		if (!sim_discover_listed(c, "ehpc", region))
			continue;
		if (i >= (page - 1) * size && i < page * size)
			sim_discover_ehpc_one(w, c, region);
		i++;
	}
	json_w_arr_close(w);
	json_w_obj_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	sim_reply_header(rp, "x-acs-request-id", rid);
	json_writer_free(w);
	free(region);
	/* A listing starts at page 1: that is one answer. */
	if (page == 1)
		sim_discover_answered(sim, "ehpc");
}

/* 1 if c is listed by E-HPC 2.0 ListClusters for region. */
static int
sim_discover_ehpc2_listed(const struct sim_cluster *c, const char *region)
{
	return c->generation == 2 && sim_discover_listed(c, "ehpc", region);
}

/*
 * POST /?Action=ListClusters&Version=2024-07-30: the E-HPC 2.0 clusters
 * of RegionId, a page of them, as Clusters[] of ClusterId, ClusterName,
 * ClusterStatus and EhpcVersion (PageNumber is a string in the model).
 */
static void
sim_discover_ehpc2(
    struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	const struct sim_cluster *c;
	struct json_writer *w;
	char *region, rid[SIM_UUID_LEN], pn[32];
	long long page, size;
	int64_t total = 0, i = 0;

	if (sim_discover_ehpc_params(r, "2024-07-30", 100, &page, &size, rp) ==
	    -1)
		return;
	region = sim_req_query(r, "RegionId");
	TAILQ_FOREACH (c, &sim->clusters, entry)
		total += sim_discover_ehpc2_listed(c, region);
	sim_uuid(rid, 1);
	snprintf(pn, sizeof(pn), "%lld", page);
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kstr(w, "RequestId", rid);
	json_w_kint(w, "TotalCount", total);
	json_w_kstr(w, "PageNumber", pn);
	json_w_kint(w, "PageSize", size);
	json_w_key(w, "Clusters");
	json_w_arr_open(w);
	TAILQ_FOREACH (c, &sim->clusters, entry) {
		if (!sim_discover_ehpc2_listed(c, region))
			continue;
		if (i >= (page - 1) * size && i < page * size) {
			json_w_obj_open(w);
			json_w_kstr(w, "ClusterId", c->id);
			json_w_kstr(w, "ClusterName", c->name);
			json_w_kstr(w, "ClusterStatus", "running");
			json_w_kstr(w, "EhpcVersion", "2.0.0");
			json_w_obj_close(w);
		}
		i++;
	}
	json_w_arr_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 200, w);
	sim_reply_header(rp, "x-acs-request-id", rid);
	json_writer_free(w);
	free(region);
	if (page == 1)
		sim_discover_answered(sim, "ehpc");
}

/* Remove a cluster (its tasks stay, answered as a missing cluster's). */
static void
sim_discover_delete(struct sim *sim, struct sim_cluster *c)
{
	TAILQ_REMOVE(&sim->clusters, c, entry);
	free(c->id);
	free(c->name);
	free(c->region);
	free(c);
}

/*
 * /_sim/clusters/{kind}/{id}: DELETE removes the cluster;
 * /_sim/clusters/{kind}/{id}/hide: POST leaves it out of the next list
 * answers of its kind ({"answers": N}, default 1).
 */
void
sim_discover_ctl(struct sim *sim, const struct sim_req *r, const char *rest,
    struct sim_reply *rp)
{
	const char *slash = strchr(rest, '/'), *id, *tail;
	struct sim_cluster *c;
	struct json *o = NULL;
	int64_t n = 1;
	char *kind, *cid;

	if (slash == NULL || slash[1] == '\0') {
		sim_reply_ctl_error(rp, 404, "use /_sim/clusters/KIND/ID");
		return;
	}
	kind = xstrndup(rest, (size_t)(slash - rest));
	id = slash + 1;
	tail = strchr(id, '/');
	cid = tail != NULL ? xstrndup(id, (size_t)(tail - id)) : xstrdup(id);
	c = sim_cluster_find(sim, kind, cid);
	if (c == NULL)
		sim_reply_ctl_error(rp, 404, "no %s cluster %s", kind, cid);
	else if (tail == NULL && strcmp(r->method, "DELETE") == 0) {
		sim_discover_delete(sim, c);
		sim_reply_set(rp, 204, NULL);
	} else if (tail != NULL && strcmp(tail, "/hide") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		if (r->body_len > 0 &&
		    ((o = json_parse(r->body, r->body_len, NULL)) == NULL ||
			(json_get(o, "answers") != NULL &&
			    (json_int(json_get(o, "answers"), 0, &n) == -1 ||
				n < 1 || n > SIM_DISCOVER_MAX_HIDE))))
			sim_reply_ctl_error(rp, 400,
			    "the body must be {\"answers\": 1..%d}",
			    SIM_DISCOVER_MAX_HIDE);
		else {
			c->hide_answers = (unsigned)n;
			sim_reply_set(rp, 204, NULL);
		}
	} else
		sim_reply_ctl_error(rp, 405,
		    "DELETE /_sim/clusters/KIND/ID or POST "
		    "/_sim/clusters/KIND/ID/hide");
	json_free(o);
	free(kind);
	free(cid);
}
