/*
 * Alibaba Cloud E-HPC ListTasks (RPC style, version 2018-04-12) as the
 * simulator serves it at GET /?Action=ListTasks: XML unless Format=JSON,
 * only running tasks unless Archived=true, JSON encoded inside strings, the
 * task list as an array or wrapped in {"TaskInfo": [...]}, and Alibaba's
 * error bodies with their unusual HTTP statuses (spec/cloud-apis.md 5).
 * An E-HPC 2.0 cluster (generation 2) is refused with an error.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_EHPC_VERSION "2018-04-12"
#define SIM_EHPC_MAX_PAGE 999
#define SIM_EHPC_MAX_PAGE_SIZE 50
#define SIM_EHPC_DEFAULT_PAGE_SIZE 10
#define SIM_EHPC_XML_TYPE "text/xml;charset=utf-8"
#define SIM_EHPC_XML_HEAD "<?xml version='1.0' encoding='UTF-8'?>"

static void sim_ehpc_list(
    struct sim *, const struct sim_req *, struct sim_reply *);
static int sim_ehpc_claim(struct sim *, const struct sim_req *);
static int sim_ehpc_cmp(const void *, const void *);

static const struct sim_route sim_ehpc_routes[] = {
	{ "ehpc.ListTasks", "GET", "/", sim_ehpc_list, sim_ehpc_claim },
};

static const char *const sim_ehpc_terminal[] = {
	"Success",
	"Fail",
	"Failed",
	"PartialFail",
	NULL,
};

static const char *const sim_ehpc_keys[] = {
	"total_steps",
	"current_step",
	"error_code",
	"result",
	"errors",
	"request",
	NULL,
};

const struct sim_api sim_ehpc_api = {
	.service = "ehpc",
	.cloud = SIM_CLOUD_ALIBABA,
	.cluster_kind = "ehpc",
	.default_status = "Processing",
	.terminal = sim_ehpc_terminal,
	.keys = sim_ehpc_keys,
	.routes = sim_ehpc_routes,
	.nroutes = 1,
	.cmp = sim_ehpc_cmp,
	.error_reply = sim_ehpc_error_reply,
};

/* The Alibaba answer for an HTTP status when no code is given. */
static const struct sim_ehpc_status {
	int status;
	int sent; /* the status Alibaba actually sends */
	const char *code;
	const char *msg;
} sim_ehpc_statuses[] = {
	{ 400, 400, "InvalidParams", "The specified parameter is invalid." },
	{ 403, 403, "Forbidden",
	    "User not authorized to operate on the specified resource." },
	{ 404, 404, "ClusterNotFound",
	    "The specified cluster does not exist." },
	{ 406, 406, "DbError", "Database error." },
	{ 407, 407, "NotAuthorized",
	    "You are not authorized to operate on the specified resource." },
	{ 429, 400, "Throttling.User",
	    "Request was denied due to user flow control." },
	{ 500, 500, "InternalError",
	    "The request processing has failed due to some unknown error." },
	{ 503, 503, "ServiceUnavailable",
	    "The request has failed due to a temporary failure of the "
	    "server." },
};

/* The value of an RPC parameter: the query, else the V3 header. */
char *
sim_ehpc_param(const struct sim_req *r, const char *key, const char *header)
{
	const char *h;
	char *v;

	if ((v = sim_req_query(r, key)) != NULL)
		return v;
	if (header != NULL && (h = sim_req_header(r, header)) != NULL)
		return xstrdup(h);
	return NULL;
}

/* The route takes "/" requests for the ListTasks action. */
static int
sim_ehpc_claim(struct sim *sim, const struct sim_req *r)
{
	return sim_ali_action_is(r, "ListTasks");
}

/* 1 if r calls the RPC action name (in the query, or the V3 header). */
int
sim_ali_action_is(const struct sim_req *r, const char *name)
{
	char *action = sim_ehpc_param(r, "Action", "x-acs-action");
	int ok = action != NULL && strcmp(action, name) == 0;

	free(action);
	return ok;
}

/*
 * 1 if the answer must be XML: RPC's default format, unless Format=JSON;
 * a V3 request (Action in x-acs-action) defaults to JSON.
 */
int
sim_ali_wants_xml(const struct sim_req *r)
{
	char *f = sim_req_query(r, "Format");
	int xml;

	if (f == NULL)
		xml = sim_req_header(r, "x-acs-action") == NULL;
	else
		xml = strcasecmp(f, "JSON") != 0;
	free(f);
	return xml;
}

/* The request id in Alibaba's form: an upper-case UUID. */
void
sim_ehpc_request_id(const struct sim_req *r, char dst[SIM_UUID_LEN])
{
	const char *h = r->request_id;
	size_t i;

	snprintf(dst, SIM_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
	    h + 12, h + 16, h + 20);
	for (i = 0; dst[i] != '\0'; i++)
		dst[i] = (char)toupper((unsigned char)dst[i]);
}

/* Append s to b with XML's five special characters escaped. */
static void
sim_ehpc_xml_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&apos;");
			break;
		default:
			buf_putc(b, *s);
			break;
		}
	}
}

/* Append <key>text</key>. */
static void
sim_ehpc_xml_elem(struct buf *b, const char *key, const char *text)
{
	buf_printf(b, "<%s>", key);
	sim_ehpc_xml_text(b, text);
	buf_printf(b, "</%s>", key);
}

/*
 * An Alibaba error reply: {"RequestId","HostId","Code","Message"}, or the
 * same as XML when the request asked for XML (or for no format).
 */
void
sim_reply_alibaba(const struct sim_req *r, struct sim_reply *rp, int status,
    const char *code, const char *msg)
{
	struct json_writer *w;
	char rid[SIM_UUID_LEN], *region, *host;
	struct buf b;

	sim_ehpc_request_id(r, rid);
	region = sim_req_query(r, "RegionId");
	host = region != NULL && *region != '\0'
	    ? xasprintf("ehpc.%s.aliyuncs.com", region)
	    : xstrdup("ehpc.aliyuncs.com");
	free(region);
	if (sim_ali_wants_xml(r)) {
		buf_init(&b, 0);
		buf_puts(&b, SIM_EHPC_XML_HEAD "<Error>");
		sim_ehpc_xml_elem(&b, "RequestId", rid);
		sim_ehpc_xml_elem(&b, "HostId", host);
		sim_ehpc_xml_elem(&b, "Code", code);
		sim_ehpc_xml_elem(&b, "Message", msg);
		buf_puts(&b, "</Error>");
		sim_reply_set(rp, status, buf_str(&b));
		rp->content_type = SIM_EHPC_XML_TYPE;
		buf_free(&b);
	} else {
		w = json_writer_new();
		json_w_obj_open(w);
		json_w_kstr(w, "RequestId", rid);
		json_w_kstr(w, "HostId", host);
		json_w_kstr(w, "Code", code);
		json_w_kstr(w, "Message", msg);
		json_w_obj_close(w);
		sim_reply_json(rp, status, w);
		json_writer_free(w);
	}
	sim_reply_header(rp, "x-acs-request-id", rid);
	free(host);
}

/*
 * E-HPC's error for an injected status: code and msg when given, else by
 * status, with throttling (429) sent the way Alibaba sends it: HTTP 400.
 * E-HPC 2.0's ListCommonLogs answers the same way.
 */
void
sim_ehpc_error_reply(const struct sim_req *r, int status, const char *code,
    const char *msg, struct sim_reply *rp)
{
	size_t i;

	if (code != NULL) {
		sim_reply_alibaba(
		    r, rp, status, code, msg != NULL ? msg : "Injected error.");
		return;
	}
	for (i = 0;
	     i < sizeof(sim_ehpc_statuses) / sizeof(sim_ehpc_statuses[0]);
	     i++) {
		if (sim_ehpc_statuses[i].status == status) {
			sim_reply_alibaba(r, rp, sim_ehpc_statuses[i].sent,
			    sim_ehpc_statuses[i].code,
			    msg != NULL ? msg : sim_ehpc_statuses[i].msg);
			return;
		}
	}
	sim_reply_alibaba(r, rp, status,
	    status >= 500 ? "InternalError" : "UnknownError",
	    msg != NULL ? msg : "Injected error.");
}

/* Index order: cluster, then newest first. */
static int
sim_ehpc_cmp(const void *a, const void *b)
{
	const struct sim_task *x = *(const struct sim_task *const *)a;
	const struct sim_task *y = *(const struct sim_task *const *)b;
	int c;

	if ((c = strcmp(x->instance_id, y->instance_id)) != 0)
		return c;
	return sim_task_cmp_created(x, y);
}

/* The Errors text of a task: given, or generated from its failure. */
static char *
sim_ehpc_errors(const struct sim_task *t)
{
	struct json_writer *w;
	char *s;

	if (t->errors != NULL)
		return xstrdup(t->errors);
	if (util_empty(t->fail_reason) && util_empty(t->error_code))
		return xstrdup("[]");
	w = json_writer_new();
	json_w_arr_open(w);
	json_w_obj_open(w);
	json_w_kstr(w, "Code",
	    util_empty(t->error_code) ? "TaskFailed" : t->error_code);
	json_w_kstr(w, "Message", t->fail_reason);
	json_w_obj_close(w);
	json_w_arr_close(w);
	s = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return s;
}

/* The Request text of a task: given, or generated. */
static char *
sim_ehpc_request(const struct sim_task *t)
{
	struct json_writer *w;
	char *s;

	if (t->request != NULL)
		return xstrdup(t->request);
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kstr(w, "requestId", t->id);
	json_w_kstr(w, "clusterId", t->instance_id);
	json_w_obj_close(w);
	s = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return s;
}

/* An answer being written as JSON or XML. */
struct sim_ehpc_out {
	struct json_writer *w; /* JSON, or NULL */
	struct buf b;          /* XML */
};

/* Write a string member. */
static void
sim_ehpc_put_str(struct sim_ehpc_out *o, const char *key, const char *s)
{
	if (o->w != NULL)
		json_w_kstr(o->w, key, s);
	else
		sim_ehpc_xml_elem(&o->b, key, s);
}

/* Write an integer member. */
static void
sim_ehpc_put_int(struct sim_ehpc_out *o, const char *key, int64_t v)
{
	char num[32];

	if (o->w != NULL) {
		json_w_kint(o->w, key, v);
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)v);
	sim_ehpc_xml_elem(&o->b, key, num);
}

/* Write one task. */
static void
sim_ehpc_task(struct sim_ehpc_out *o, const struct sim_task *t)
{
	char *errors = sim_ehpc_errors(t), *request = sim_ehpc_request(t);

	if (o->w != NULL)
		json_w_obj_open(o->w);
	else
		buf_puts(&o->b, "<TaskInfo>");
	sim_ehpc_put_str(o, "Status", t->status);
	sim_ehpc_put_str(o, "TaskType", t->name);
	sim_ehpc_put_int(o, "TotalSteps", t->total_steps);
	sim_ehpc_put_int(o, "CurrentStep", t->current_step);
	sim_ehpc_put_str(o, "Result", t->result != NULL ? t->result : "{}");
	sim_ehpc_put_str(o, "Errors", errors);
	sim_ehpc_put_str(o, "TaskId", t->id);
	sim_ehpc_put_str(o, "Request", request);
	sim_ehpc_put_str(o, "ClusterId", t->instance_id);
	if (o->w != NULL)
		json_w_obj_close(o->w);
	else
		buf_puts(&o->b, "</TaskInfo>");
	free(errors);
	free(request);
}

/* The parameters of a ListTasks request. */
struct sim_ehpc_params {
	char *cluster;
	char *region;
	char *task_id;
	long long page;
	long long size;
	int archived;
};

/* Read and check the parameters; -1 after an error reply. */
static int
sim_ehpc_parse(struct sim *sim, const struct sim_req *r,
    struct sim_ehpc_params *p, struct sim_reply *rp)
{
	const struct sim_cluster *c;
	char *version, *archived, *msg;
	int rc = -1;

	version = sim_ehpc_param(r, "Version", "x-acs-version");
	archived = sim_req_query(r, "Archived");
	if (version == NULL) {
		sim_reply_alibaba(r, rp, 400, "MissingParameter",
		    "The input parameter \"Version\" that is mandatory for "
		    "processing this request is not supplied.");
		goto out;
	}
	if (strcmp(version, SIM_EHPC_VERSION) != 0) {
		sim_reply_alibaba(r, rp, 400, "InvalidVersion",
		    "Specified parameter Version is not valid.");
		goto out;
	}
	p->cluster = sim_req_query(r, "ClusterId");
	if (util_empty(p->cluster)) {
		sim_reply_alibaba(r, rp, 400, "InvalidParams",
		    "The specified parameter ClusterId is invalid: it is "
		    "required.");
		goto out;
	}
	if (sim_req_int(r, "PageNumber", 1, SIM_EHPC_MAX_PAGE, &p->page) ==
	    -1) {
		sim_reply_alibaba(r, rp, 400, "InvalidParams",
		    "The specified parameter PageNumber is invalid: use 1 to "
		    "999.");
		goto out;
	}
	if (sim_req_int(r, "PageSize", 1, SIM_EHPC_MAX_PAGE_SIZE, &p->size) ==
	    -1) {
		sim_reply_alibaba(r, rp, 400, "InvalidParams",
		    "The specified parameter PageSize is invalid: use 1 to "
		    "50.");
		goto out;
	}
	if (archived != NULL && strcasecmp(archived, "true") != 0 &&
	    strcasecmp(archived, "false") != 0) {
		sim_reply_alibaba(r, rp, 400, "InvalidParams",
		    "The specified parameter Archived is invalid: use true or "
		    "false.");
		goto out;
	}
	p->archived = archived != NULL && strcasecmp(archived, "true") == 0;
	p->task_id = sim_req_query(r, "TaskId");
	p->region = sim_req_query(r, "RegionId");
	c = sim_cluster_find(sim, "ehpc", p->cluster);
	if (c == NULL ||
	    (c->region != NULL && !util_empty(p->region) &&
		strcmp(c->region, p->region) != 0)) {
		msg = xasprintf(
		    "The specified cluster %s does not exist.", p->cluster);
		sim_reply_alibaba(r, rp, 404, "ClusterNotFound", msg);
		free(msg);
		goto out;
	}
	if (c->generation == 2) {
		/* The real code is unconfirmed; a plausible one. */
		msg = xasprintf("The cluster %s is an E-HPC 2.0 cluster, "
				"which API version 2018-04-12 does not "
				"support.",
		    p->cluster);
		sim_reply_alibaba(r, rp, 400, "UnsupportedOperation", msg);
		free(msg);
		goto out;
	}
	rc = 0;
out:
	free(version);
	free(archived);
	return rc;
}

/* 1 if t is listed: TaskId matches, or running unless Archived=true. */
static int
sim_ehpc_match(const struct sim_task *t, const struct sim_ehpc_params *p)
{
	if (!util_empty(p->task_id))
		return strcmp(t->id, p->task_id) == 0;
	return p->archived || !sim_task_terminal(t);
}

/* GET /?Action=ListTasks&Version=2018-04-12&ClusterId=...: the tasks. */
static void
sim_ehpc_list(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_ehpc_params p;
	struct sim_ehpc_out o;
	struct sim_task **v;
	char rid[SIM_UUID_LEN];
	size_t n, first, count, i, total = 0, skip;
	int wrapped;

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	p.page = 1;
	p.size = SIM_EHPC_DEFAULT_PAGE_SIZE;
	if (sim_ehpc_parse(sim, r, &p, rp) == -1)
		goto out;
	wrapped = sim->ehpc_wrapped ||
	    (r->fault != NULL && r->fault->mode == SIM_FAULT_WRAPPED);
	sim_ehpc_request_id(r, rid);
	if (sim_ali_wants_xml(r)) {
		buf_init(&o.b, 0);
		buf_puts(&o.b, SIM_EHPC_XML_HEAD "<ListTasksResponse>");
	} else {
		o.w = json_writer_new();
		json_w_obj_open(o.w);
	}
	sim_ehpc_put_int(&o, "PageSize", p.size);
	sim_ehpc_put_str(&o, "RequestId", rid);
	sim_ehpc_put_int(&o, "PageNumber", p.page);

	v = sim_index(sim, &sim_ehpc_api, &n);
	first = sim_index_cluster(v, n, p.cluster, &count);
	for (i = first; i < first + count; i++) {
		if (sim_ehpc_match(v[i], &p))
			total++;
	}
	sim_ehpc_put_int(&o, "TotalCount", (int64_t)total);
	if (o.w != NULL) {
		json_w_key(o.w, "Tasks");
		if (wrapped) {
			json_w_obj_open(o.w);
			json_w_key(o.w, "TaskInfo");
		}
		json_w_arr_open(o.w);
	} else
		buf_puts(&o.b, "<Tasks>");
	skip = (size_t)(p.page - 1) * (size_t)p.size;
	total = 0;
	for (i = first; i < first + count; i++) {
		if (!sim_ehpc_match(v[i], &p))
			continue;
		if (total >= skip && total - skip < (size_t)p.size)
			sim_ehpc_task(&o, v[i]);
		total++;
	}
	if (o.w != NULL) {
		json_w_arr_close(o.w);
		if (wrapped)
			json_w_obj_close(o.w);
		json_w_obj_close(o.w);
		sim_reply_json(rp, 200, o.w);
		json_writer_free(o.w);
	} else {
		buf_puts(&o.b, "</Tasks></ListTasksResponse>");
		sim_reply_set(rp, 200, buf_str(&o.b));
		rp->content_type = SIM_EHPC_XML_TYPE;
		buf_free(&o.b);
	}
	sim_reply_header(rp, "x-acs-request-id", rid);
out:
	free(p.cluster);
	free(p.region);
	free(p.task_id);
}
