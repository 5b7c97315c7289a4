/*
 * dds.jobs: the DDS task center.  The listing is one scope paged by row
 * offset over a sliding time window (now - lookback .. now); the single-job
 * lookup confirms a job that dropped out of the listing.
 */

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "provider.h"
#include "provider_impl.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define DDS_JOBS_LIMIT 100         /* rows per page, the API's maximum */
#define DDS_JOBS_MAX_OFFSET 100000 /* stop a server that never ends */
#define DDS_JOBS_PATH_MAX 4096

/* The member names of one job: the list and the lookup differ. */
struct dds_jobs_fields {
	const char *id;
	const char *name;
	const char *status;
	const char *progress;
	const char *fail_reason;
	const char *created;
	const char *ended;
	const char *instance;      /* object {id, name}, or NULL */
	const char *instance_id;   /* flat, or NULL */
	const char *instance_name; /* flat, or NULL */
	const char *const *mapped; /* all of the above, for detail */
};

static const char *const dds_jobs_list_mapped[] = { "id", "name", "status",
	"progress", "fail_reason", "created_at", "ended_at", "instance_id",
	"instance_name", NULL };

static const struct dds_jobs_fields dds_jobs_list_fields = {
	.id = "id",
	.name = "name",
	.status = "status",
	.progress = "progress",
	.fail_reason = "fail_reason",
	.created = "created_at",
	.ended = "ended_at",
	.instance_id = "instance_id",
	.instance_name = "instance_name",
	.mapped = dds_jobs_list_mapped,
};

static const char *const dds_jobs_lookup_mapped[] = { "id", "name", "status",
	"progress", "fail_reason", "created", "ended", "instance", NULL };

static const struct dds_jobs_fields dds_jobs_lookup_fields = {
	.id = "id",
	.name = "name",
	.status = "status",
	.progress = "progress",
	.fail_reason = "fail_reason",
	.created = "created",
	.ended = "ended",
	.instance = "instance",
	.mapped = dds_jobs_lookup_mapped,
};

/* Start a path with "/{version}/{project_id}/jobs?"; -1 with *cause. */
static int
dds_jobs_path(const struct provider_ctx *ctx, const char *version,
    struct buf *b, char **cause)
{
	const char *project = NULL;

	if (ctx->account != NULL)
		project = ctx->account->project_id;
	if (util_empty(project)) {
		*cause = xasprintf("account %s has no project_id, which "
				   "dds.jobs needs",
		    ctx->account != NULL && ctx->account->name != NULL
			? ctx->account->name
			: "?");
		return -1;
	}
	buf_init(b, DDS_JOBS_PATH_MAX);
	if (buf_printf(b, "/%s/", version) == -1 ||
	    util_urlencode(b, project) == -1 || buf_puts(b, "/jobs?") == -1) {
		buf_free(b);
		*cause = xstrdup("dds.jobs: project_id too long");
		return -1;
	}
	return 0;
}

/* Append "key=" and the percent-encoded time; -1 past the cap. */
static int
dds_jobs_add_time(struct buf *b, const char *key, int64_t secs)
{
	char tbuf[UTIL_RFC3339_LEN];

	util_format_time_hhmm(secs, tbuf);
	if (buf_puts(b, key) == -1 || buf_putc(b, '=') == -1)
		return -1;
	return util_urlencode(b, tbuf);
}

/* Describe the listing request for the cursor's page. */
static int
dds_jobs_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct provider_req *req,
    char **cause)
{
	struct buf b;
	int64_t now_s, start_s, lookback_ms = 0;

	if (dds_jobs_path(ctx, "v3.1", &b, cause) == -1)
		return -1;
	if (ctx->watch != NULL)
		lookback_ms = (int64_t)ctx->watch->lookback_ms;
	now_s = ctx->now_ms / 1000;
	start_s = (ctx->now_ms - lookback_ms) / 1000;
	if (dds_jobs_add_time(&b, "start_time", start_s) == -1 ||
	    dds_jobs_add_time(&b, "&end_time", now_s) == -1 ||
	    buf_printf(&b, "&offset=%llu&limit=%d",
		(unsigned long long)cursor->offset, DDS_JOBS_LIMIT) == -1) {
		buf_free(&b);
		*cause = xstrdup("dds.jobs: request path too long");
		return -1;
	}
	memset(req, 0, sizeof(*req));
	req->service = "dds";
	req->method = "GET";
	req->path_query = buf_release(&b);
	req->headers[0] = "Accept: application/json";
	return 0;
}

/*
 * Fill t from one job object; -1 (t left initialised) when the job has no
 * usable id and must be skipped.
 */
static int
dds_jobs_fill(const struct provider_ctx *ctx, const struct json *job,
    const struct dds_jobs_fields *f, struct task *t)
{
	const struct json *inst;
	const char *cid = NULL;
	int tz = 0;

	if (json_type(job) != JSON_OBJECT)
		return -1;
	if ((t->id = provider_str(job, f->id, 0)) == NULL)
		return -1;
	if (ctx != NULL && ctx->watch != NULL)
		tz = ctx->watch->timezone_offset_s;

	if ((t->type = provider_str(job, f->name, 1)) == NULL)
		t->type = xstrdup("");
	if (f->instance != NULL) {
		inst = json_get(job, f->instance);
		cid = json_get_str(inst, "id");
		t->cluster_name = provider_str(inst, "name", 1);
	} else {
		cid = json_get_str(job, f->instance_id);
		t->cluster_name = provider_str(job, f->instance_name, 1);
	}
	t->cluster_id = xstrdup(cid != NULL ? cid : "");
	if ((t->raw_status = provider_str(job, f->status, 1)) == NULL)
		t->raw_status = xstrdup("");
	t->state = task_state_from_raw(t->raw_status);
	t->progress = provider_progress(json_get(job, f->progress));
	t->reason = provider_str(job, f->fail_reason, 0);
	t->started_at = provider_time(json_get(job, f->created), tz);
	t->ended_at = provider_time(json_get(job, f->ended), tz);
	t->detail = provider_detail(job, f->mapped);
	return 0;
}

/* Parse a body as a JSON object; NULL with *cause otherwise. */
static struct json *
dds_jobs_parse_object(const char *body, size_t len, char **cause)
{
	struct json *root;
	char *why = NULL;

	if ((root = json_parse(body, len, &why)) == NULL) {
		*cause = xasprintf("DDS response: %s", why);
		free(why);
		return NULL;
	}
	if (json_type(root) != JSON_OBJECT) {
		json_free(root);
		*cause = xstrdup("DDS response is not a JSON object");
		return NULL;
	}
	return root;
}

/* A failed answer as a cause: the classifier's one-line message. */
static char *
dds_jobs_http_cause(long status, const char *body, size_t len)
{
	char *msg;

	provider_classify(status, body, len, &msg);
	return msg;
}

/*
 * Parse one page: append its jobs and move the cursor on.  A missing
 * total_count is tolerated (the vendor's own example has none): then a short
 * page ends the listing.
 */
static int
dds_jobs_list_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, struct task_list *out,
    struct provider_cursor *cursor, char **cause)
{
	struct json *root;
	const struct json *jobs, *tc;
	struct task *t;
	int64_t total = -1;
	size_t i, njobs, skipped = 0;

	if (status < 200 || status > 299) {
		*cause = dds_jobs_http_cause(status, body, len);
		return -1;
	}
	if ((root = dds_jobs_parse_object(body, len, cause)) == NULL)
		return -1;
	jobs = json_get(root, "jobs");
	if (json_type(jobs) != JSON_ARRAY) {
		json_free(root);
		*cause = xstrdup("DDS response has no jobs array");
		return -1;
	}
	tc = json_get(root, "total_count");
	if (tc != NULL && json_type(tc) != JSON_NULL &&
	    (json_int(tc, 1, &total) == -1 || total < 0)) {
		json_free(root);
		*cause = xstrdup("DDS response has an invalid total_count");
		return -1;
	}

	njobs = json_len(jobs);
	for (i = 0; i < njobs; i++) {
		t = task_list_add(out);
		if (dds_jobs_fill(ctx, json_at(jobs, i), &dds_jobs_list_fields,
			t) == -1) {
			task_clear(t);
			out->n--;
			skipped++;
		}
	}
	json_free(root);
	if (skipped > 0)
		log_debug("dds.jobs: skipped %zu of %zu jobs at offset %llu "
			  "(not an object or no string id)",
		    skipped, njobs, (unsigned long long)cursor->offset);

	cursor->seen += njobs;
	cursor->offset += njobs;
	if (total >= 0) {
		cursor->total = (uint64_t)total;
		if (cursor->seen >= cursor->total)
			cursor->done = 1;
	} else {
		cursor->total = cursor->seen;
		if (njobs < DDS_JOBS_LIMIT)
			cursor->done = 1;
	}
	if (njobs == 0)
		cursor->done = 1;
	if (cursor->offset > DDS_JOBS_MAX_OFFSET) {
		log_debug("dds.jobs: stopping at offset %llu of %llu",
		    (unsigned long long)cursor->offset,
		    (unsigned long long)cursor->total);
		cursor->done = 1;
	}
	return 0;
}

/* Describe the single-job lookup for t. */
static int
dds_jobs_lookup_req(const struct provider_ctx *ctx, const struct task *t,
    struct provider_req *req, char **cause)
{
	struct buf b;

	if (util_empty(t->id)) {
		*cause = xstrdup("dds.jobs: lookup of a job without an id");
		return -1;
	}
	if (dds_jobs_path(ctx, "v3", &b, cause) == -1)
		return -1;
	if (buf_puts(&b, "id=") == -1 || util_urlencode(&b, t->id) == -1) {
		buf_free(&b);
		*cause = xstrdup("dds.jobs: request path too long");
		return -1;
	}
	memset(req, 0, sizeof(*req));
	req->service = "dds";
	req->method = "GET";
	req->path_query = buf_release(&b);
	req->headers[0] = "Accept: application/json";
	return 0;
}

/*
 * Parse a lookup answer.  404 means gone, unless it is the API gateway's
 * (APIG.*, e.g. no such API), which says nothing about the job; a 200
 * without a job object means gone too.  out is overwritten when found.
 */
static int
dds_jobs_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, int *found, struct task *out, char **cause)
{
	struct json *root;
	const struct json *job;
	char *code;

	*found = 0;
	if (status == 404) {
		code = provider_error_code(body, len);
		if (code != NULL && strncmp(code, "APIG.", 5) == 0) {
			free(code);
			*cause = dds_jobs_http_cause(status, body, len);
			return -1;
		}
		free(code);
		return 0;
	}
	if (status < 200 || status > 299) {
		*cause = dds_jobs_http_cause(status, body, len);
		return -1;
	}
	if ((root = dds_jobs_parse_object(body, len, cause)) == NULL)
		return -1;
	job = json_get(root, "job");
	if (json_type(job) != JSON_OBJECT) {
		json_free(root);
		return 0;
	}
	task_init(out);
	if (dds_jobs_fill(ctx, job, &dds_jobs_lookup_fields, out) == -1) {
		task_clear(out);
		json_free(root);
		*cause = xstrdup("DDS job lookup answer has no job id");
		return -1;
	}
	json_free(root);
	*found = 1;
	return 0;
}

const struct provider provider_dds_jobs = {
	.name = "dds.jobs",
	.api = CONFIG_API_DDS_JOBS,
	.absent_status = 0,
	.list_req = dds_jobs_list_req,
	.list_parse = dds_jobs_list_parse,
	.lookup_req = dds_jobs_lookup_req,
	.lookup_parse = dds_jobs_lookup_parse,
};
