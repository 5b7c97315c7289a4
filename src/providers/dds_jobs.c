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

static const char *const dds_jobs_list_mapped[] = { "id", "name", "status",
	"progress", "fail_reason", "created_at", "ended_at", "instance_id",
	"instance_name", NULL };

/* The member names of one job of the listing. */
static const struct provider_job_fields dds_jobs_list_fields = {
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

/* Add the query parameter key with a time in the API's format. */
static void
dds_jobs_add_time(struct sign_req *req, const char *key, int64_t secs)
{
	char tbuf[UTIL_RFC3339_LEN];

	util_format_time_hhmm(secs, tbuf);
	sign_req_add_query(req, key, tbuf);
}

/* Describe the listing request for the cursor's page. */
static int
dds_jobs_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct sign_req *req, char **cause)
{
	struct buf b;
	int64_t now_s, start_s, lookback_ms = 0;

	if (provider_project_path(ctx, "dds.jobs", "v3.1", &b, cause) == -1)
		return -1;
	if (buf_puts(&b, "/jobs") == -1) {
		buf_free(&b);
		*cause = xstrdup("dds.jobs: request path too long");
		return -1;
	}
	provider_req_get(req, &b);
	if (ctx->watch != NULL)
		lookback_ms = (int64_t)ctx->watch->lookback_ms;
	now_s = ctx->now_ms / 1000;
	start_s = (ctx->now_ms - lookback_ms) / 1000;
	dds_jobs_add_time(req, "start_time", start_s);
	dds_jobs_add_time(req, "end_time", now_s);
	provider_req_add_uint(req, "offset", cursor->offset);
	provider_req_add_uint(req, "limit", DDS_JOBS_LIMIT);
	return 0;
}

/* The listing {"jobs":[...], "total_count"}, for provider_job_list_parse. */
static const struct provider_job_list dds_jobs_list = {
	.api = "dds.jobs",
	.what = "DDS",
	.key = "jobs",
	.fields = &dds_jobs_list_fields,
	.limit = DDS_JOBS_LIMIT,
	.max_offset = DDS_JOBS_MAX_OFFSET,
};

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
	return provider_job_list_parse(
	    ctx, &dds_jobs_list, status, body, len, out, cursor, cause);
}

/* Describe the single-job lookup for t. */
static int
dds_jobs_lookup_req(const struct provider_ctx *ctx, const struct task *t,
    struct sign_req *req, char **cause)
{
	return provider_job_lookup_req(ctx, t, "dds.jobs", req, cause);
}

/* Parse a lookup answer: the shared Huawei single-job shape. */
static int
dds_jobs_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, int *found, struct task *out, char **cause)
{
	return provider_job_lookup_parse(
	    ctx, status, body, len, "DDS", found, out, cause);
}

const struct provider provider_dds_jobs = {
	.name = "dds.jobs",
	.api = CONFIG_API_DDS_JOBS,
	.page_rows = DDS_JOBS_LIMIT,
	.page_max_offset = DDS_JOBS_MAX_OFFSET,
	.list_req = dds_jobs_list_req,
	.list_parse = dds_jobs_list_parse,
	.lookup_req = dds_jobs_lookup_req,
	.lookup_parse = dds_jobs_lookup_parse,
};
