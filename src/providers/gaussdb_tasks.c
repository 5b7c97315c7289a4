/*
 * gaussdb.tasks: the GaussDB (for openGauss) task list.  One scope paged by
 * row offset over a sliding window given in epoch milliseconds; the
 * single-job lookup is the DDS shape, shared through provider.c.  Both ask
 * for English (X-Language: en-us, as the SDK sends), so that fail_reason
 * is not in Chinese.
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

#define GAUSSDB_TASKS_LIMIT 100         /* rows per page, the maximum */
#define GAUSSDB_TASKS_MAX_OFFSET 100000 /* stop a server that never ends */
#define GAUSSDB_TASKS_LANGUAGE "en-us"  /* the SDK's X-Language */

static const char *const gaussdb_tasks_mapped[] = { "job_id", "name", "status",
	"process", "fail_reason", "created_at", "ended_at", "instance_info",
	NULL };

/* instance_status is the one member of instance_info kept in detail. */
static const char *const gaussdb_tasks_instance_mapped[] = { "instance_id",
	"instance_name", NULL };

/* The member names of one task of the listing. */
static const struct provider_job_fields gaussdb_tasks_fields = {
	.id = "job_id",
	.name = "name",
	.status = "status",
	.progress = "process",
	.fail_reason = "fail_reason",
	.created = "created_at",
	.ended = "ended_at",
	.instance = "instance_info",
	.instance_id = "instance_id",
	.instance_name = "instance_name",
	.mapped = gaussdb_tasks_mapped,
	.instance_mapped = gaussdb_tasks_instance_mapped,
};

/* Describe the listing request for the cursor's page. */
static int
gaussdb_tasks_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct sign_req *req, char **cause)
{
	struct buf b;
	int64_t start_ms, lookback_ms = 0;

	if (provider_project_path(ctx, "gaussdb.tasks", "v3", &b, cause) == -1)
		return -1;
	if (buf_puts(&b, "/tasks") == -1) {
		buf_free(&b);
		*cause = xstrdup("gaussdb.tasks: request path too long");
		return -1;
	}
	provider_req_get(req, &b);
	sign_req_add_header(req, "X-Language", GAUSSDB_TASKS_LANGUAGE);
	if (ctx->watch != NULL)
		lookback_ms = (int64_t)ctx->watch->lookback_ms;
	start_ms = ctx->now_ms - lookback_ms;
	if (start_ms < 0)
		start_ms = 0;
	provider_req_add_uint(req, "start_time", (uint64_t)start_ms);
	provider_req_add_uint(req, "end_time", (uint64_t)ctx->now_ms);
	provider_req_add_uint(req, "offset", cursor->offset);
	provider_req_add_uint(req, "limit", GAUSSDB_TASKS_LIMIT);
	return 0;
}

/* The listing {"tasks":[...], "total_count"}, for provider_job_list_parse. */
static const struct provider_job_list gaussdb_tasks_list = {
	.api = "gaussdb.tasks",
	.what = "GaussDB",
	.key = "tasks",
	.fields = &gaussdb_tasks_fields,
	.limit = GAUSSDB_TASKS_LIMIT,
	.max_offset = GAUSSDB_TASKS_MAX_OFFSET,
};

/*
 * Parse one page: append its tasks and move the cursor on.  A missing
 * total_count is tolerated: then a short page ends the listing.
 */
static int
gaussdb_tasks_list_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, struct task_list *out,
    struct provider_cursor *cursor, char **cause)
{
	return provider_job_list_parse(
	    ctx, &gaussdb_tasks_list, status, body, len, out, cursor, cause);
}

/* Describe the single-job lookup for t. */
static int
gaussdb_tasks_lookup_req(const struct provider_ctx *ctx, const struct task *t,
    struct sign_req *req, char **cause)
{
	if (provider_job_lookup_req(ctx, t, "gaussdb.tasks", req, cause) == -1)
		return -1;
	sign_req_add_header(req, "X-Language", GAUSSDB_TASKS_LANGUAGE);
	return 0;
}

/* Parse a lookup answer: the shared Huawei single-job shape. */
static int
gaussdb_tasks_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, int *found, struct task *out, char **cause)
{
	return provider_job_lookup_parse(
	    ctx, status, body, len, "GaussDB", found, out, cause);
}

const struct provider provider_gaussdb_tasks = {
	.name = "gaussdb.tasks",
	.api = CONFIG_API_GAUSSDB_TASKS,
	.page_rows = GAUSSDB_TASKS_LIMIT,
	.page_max_offset = GAUSSDB_TASKS_MAX_OFFSET,
	.list_req = gaussdb_tasks_list_req,
	.list_parse = gaussdb_tasks_list_parse,
	.lookup_req = gaussdb_tasks_lookup_req,
	.lookup_parse = gaussdb_tasks_lookup_parse,
};
