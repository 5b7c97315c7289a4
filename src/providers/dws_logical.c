/*
 * dws.logical_tasks: the tasks of a DWS cluster's logical clusters.  One
 * scope per configured cluster, paged by page index; the API gives no task
 * id, so one is derived from what identifies a task and never changes.
 */

#include <openssl/sha.h>

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

#define DWS_LOGICAL_LIMIT 50       /* rows per page */
#define DWS_LOGICAL_MAX_PAGES 2000 /* per cluster: stop a runaway server */
#define DWS_LOGICAL_ID_HEX 16      /* hex digits of the derived id */

static const char *const dws_logical_mapped[] = { "type",
	"logical_cluster_name", "start_time", "end_time", "result", "log",
	NULL };

/* The watch's clusters (the scopes); NULL when it has none. */
static const struct config_strlist *
dws_logical_clusters(const struct provider_ctx *ctx)
{
	if (ctx->watch == NULL || ctx->watch->clusters.n == 0)
		return NULL;
	return &ctx->watch->clusters;
}

/* Describe the listing request for the cursor's cluster and page. */
static int
dws_logical_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct sign_req *req, char **cause)
{
	const struct config_strlist *cl;
	struct buf b;

	if ((cl = dws_logical_clusters(ctx)) == NULL) {
		*cause =
		    xstrdup("dws.logical_tasks: the watch has no clusters");
		return -1;
	}
	if (cursor->scope >= cl->n) {
		*cause =
		    xstrdup("dws.logical_tasks: listing past its clusters");
		return -1;
	}
	if (provider_project_path(ctx, "dws.logical_tasks", "v2", &b, cause) ==
	    -1)
		return -1;
	if (buf_puts(&b, "/clusters/") == -1 ||
	    util_urlencode(&b, cl->v[cursor->scope]) == -1 ||
	    buf_puts(&b, "/logical-clusters/tasks") == -1) {
		buf_free(&b);
		*cause = xstrdup("dws.logical_tasks: request path too long");
		return -1;
	}
	provider_req_get(req, &b);
	sign_req_add_header(req, "X-Language", "en-us");
	provider_req_add_uint(req, "offset", cursor->offset);
	provider_req_add_uint(req, "limit", DWS_LOGICAL_LIMIT);
	/*
	 * A stable order (the SDK's parameters): newest first, so a task
	 * that starts while the pages are read pushes rows down into the
	 * next page (read twice), never one up past the reader (skipped).
	 */
	sign_req_add_query(req, "order_by", "startTime");
	sign_req_add_query(req, "order", "DESC");
	return 0;
}

/*
 * The derived id: "lc-" and the first 16 hex digits of SHA-256 over
 * logical_cluster_name, type and start_time as sent, each followed by a
 * NUL (a missing or non-string member counts as "").  The cluster is not
 * in it: tasks are keyed by cluster and id together.
 */
static char *
dws_logical_id(const struct json *task)
{
	static const char *const keys[] = { "logical_cluster_name", "type",
		"start_time" };
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	char id[3 + DWS_LOGICAL_ID_HEX + 1];
	struct buf b;
	const char *s;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((s = json_get_str(task, keys[i])) == NULL)
			s = "";
		buf_add(&b, s, strlen(s) + 1);
	}
	SHA256((const unsigned char *)buf_str(&b), b.len, md);
	buf_free(&b);
	memcpy(id, "lc-", 3);
	for (i = 0; i < DWS_LOGICAL_ID_HEX / 2; i++) {
		id[3 + i * 2] = hex[md[i] >> 4];
		id[3 + i * 2 + 1] = hex[md[i] & 15];
	}
	id[3 + DWS_LOGICAL_ID_HEX] = '\0';
	return xstrdup(id);
}

/*
 * Whether a task object can be told apart: each member of the derived id
 * is a string, null or missing.  Another type would give the task another
 * id, and without a lookup the real one would vanish.
 */
static int
dws_logical_usable(const struct json *task)
{
	static const char *const keys[] = { "logical_cluster_name", "type",
		"start_time" };
	const struct json *v;
	size_t i;

	if (json_type(task) != JSON_OBJECT)
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_get(task, keys[i]);
		if (v != NULL && json_type(v) != JSON_NULL &&
		    json_type(v) != JSON_STRING)
			return 0;
	}
	return 1;
}

/*
 * Fill t from one task object of cluster; -1 when it is not usable.
 * result is the raw word: success, failed, or none yet (running).
 */
static int
dws_logical_fill(const struct provider_ctx *ctx, const struct json *task,
    const char *cluster, struct task *t)
{
	int tz = 0;

	if (!dws_logical_usable(task))
		return -1;
	if (ctx->watch != NULL)
		tz = ctx->watch->timezone_offset_s;
	t->id = dws_logical_id(task);
	t->cluster_id = xstrdup(cluster);
	if (provider_unchanged(ctx, task, t))
		return 0;
	if ((t->type = provider_str(task, "type", 1)) == NULL)
		t->type = xstrdup("");
	t->cluster_name = provider_str(task, "logical_cluster_name", 1);
	if ((t->raw_status = provider_str(task, "result", 1)) == NULL)
		t->raw_status = xstrdup("");
	if (*t->raw_status == '\0')
		t->state = TASK_RUNNING;
	else
		t->state = task_state_from_raw(t->raw_status);
	t->reason = provider_str(task, "log", 0);
	t->started_at = provider_time(json_get(task, "start_time"), tz);
	t->ended_at = provider_time(json_get(task, "end_time"), tz);
	t->detail = provider_detail(task, dws_logical_mapped);
	return 0;
}

/*
 * Parse one page of the cursor's cluster: append its tasks, then move to
 * the next page, or to the next cluster once count tasks were read (or a
 * page came back empty, or short without a count).  A task that cannot be
 * told apart makes the page unusable: there is no lookup, so skipping it
 * would make a task vanish.
 */
static int
dws_logical_list_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, struct task_list *out,
    struct provider_cursor *cursor, char **cause)
{
	const struct config_strlist *cl;
	struct json *root;
	const struct json *tasks;
	struct task *t;
	int64_t total;
	size_t i, n;

	if ((cl = dws_logical_clusters(ctx)) == NULL ||
	    cursor->scope >= cl->n) {
		*cause =
		    xstrdup("dws.logical_tasks: listing past its clusters");
		return -1;
	}
	if ((root = provider_parse_object("DWS", status, body, len, cause)) ==
	    NULL)
		return -1;
	if (provider_total(root, "count", "DWS", &total, cause) == -1) {
		json_free(root);
		return -1;
	}
	tasks = json_get(root, "logical_cluster_tasks");
	/* No list at all is only believed when the count says 0. */
	if (json_type(tasks) != JSON_ARRAY &&
	    !(json_type(tasks) == JSON_NULL && total == 0)) {
		json_free(root);
		*cause =
		    xstrdup("DWS response has no logical_cluster_tasks array");
		return -1;
	}

	n = json_len(tasks);
	for (i = 0; i < n; i++) {
		if (!dws_logical_usable(json_at(tasks, i))) {
			json_free(root);
			*cause =
			    xasprintf("DWS logical task %zu of cluster %s: "
				      "not an object, or type, "
				      "logical_cluster_name or start_time "
				      "not a string",
				i + 1, cl->v[cursor->scope]);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		t = task_list_add(out);
		if (dws_logical_fill(
			ctx, json_at(tasks, i), cl->v[cursor->scope], t) == -1)
			provider_drop_last(out);
	}
	json_free(root);

	if (provider_page("dws.logical_tasks", cursor, n, total,
		DWS_LOGICAL_LIMIT, 1, DWS_LOGICAL_MAX_PAGES))
		provider_next_scope(cursor, cl->n);
	return 0;
}

const struct provider provider_dws_logical = {
	.name = "dws.logical_tasks",
	.api = CONFIG_API_DWS_LOGICAL,
	.list_req = dws_logical_list_req,
	.list_parse = dws_logical_list_parse,
	.lookup_req = NULL,
	.lookup_parse = NULL,
	.scope_key = provider_cluster_scope_key,
};
