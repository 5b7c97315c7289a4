/*
 * ehpc.operations: Alibaba Cloud E-HPC 2.0 ListCommonLogs (RPC style,
 * version 2024-07-30), the operation log of an E-HPC 2.0 cluster.  One
 * scope per cluster, paged by PageNumber over the window now - lookback ..
 * now; the same call with a LogRequestId is the single-task lookup.  Sent
 * as its SDK sends it: a POST with every parameter in the query, signed
 * ACS3-HMAC-SHA256 whatever method the account names.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "log.h"
#include "provider.h"
#include "provider_impl.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define EHPC_OPERATIONS_PAGE_SIZE 100 /* the API's maximum */
#define EHPC_OPERATIONS_MAX_PAGE 1000 /* stop a server that never ends */
/* A lookup asks from this long before the operation's first row. */
#define EHPC_OPERATIONS_LOOKUP_MARGIN_S (60 * 60)

/* Members of a log row that become task fields (the rest is detail). */
static const char *const ehpc_operations_mapped[] = { "RequestId", "Action",
	"ClusterId", "Status", "Time", NULL };

/* The Status words of ListCommonLogs; any other is UNKNOWN. */
static const struct ehpc_operations_word {
	const char *word;
	enum task_state state;
} ehpc_operations_words[] = {
	{ "InProgress", TASK_RUNNING },
	{ "Finished", TASK_SUCCEEDED },
	{ "Failed", TASK_FAILED },
};

/* The canonical state of a Status word. */
static enum task_state
ehpc_operations_state(const char *word)
{
	size_t i;

	for (i = 0; i <
	     sizeof(ehpc_operations_words) / sizeof(ehpc_operations_words[0]);
	     i++) {
		if (strcasecmp(word, ehpc_operations_words[i].word) == 0)
			return ehpc_operations_words[i].state;
	}
	return TASK_UNKNOWN;
}

/*
 * Start the request for cluster over [from_s, to_s]: a POST signed ACS3,
 * action, version, region, cluster and window in the query.
 */
static int
ehpc_operations_query(const struct provider_ctx *ctx, const char *cluster,
    int64_t from_s, int64_t to_s, struct sign_req *req, char **cause)
{
	const char *region = NULL;

	if (ctx->account != NULL)
		region = ctx->account->region;
	if (util_empty(region)) {
		*cause = xstrdup("ehpc.operations: the account has no region");
		return -1;
	}
	free(req->method);
	req->method = xstrdup("POST");
	req->acs3 = 1;
	sign_req_add_header(req, "Accept", "application/json");
	sign_req_add_query(req, "Action", "ListCommonLogs");
	sign_req_add_query(req, "Version", "2024-07-30");
	sign_req_add_query(req, "RegionId", region);
	sign_req_add_query(req, "ClusterId", cluster);
	provider_req_add_uint(req, "From", from_s > 0 ? (uint64_t)from_s : 0);
	provider_req_add_uint(req, "To", to_s > 0 ? (uint64_t)to_s : 0);
	return 0;
}

/* Describe the listing request for the cursor's cluster and page. */
static int
ehpc_operations_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct sign_req *req, char **cause)
{
	int64_t now_s;

	if (ctx->watch == NULL || cursor->scope >= ctx->watch->clusters.n) {
		*cause = xstrdup("ehpc.operations: listing past its clusters");
		return -1;
	}
	now_s = ctx->now_ms / 1000;
	if (ehpc_operations_query(ctx, ctx->watch->clusters.v[cursor->scope],
		now_s - (int64_t)(ctx->watch->lookback_ms / 1000), now_s, req,
		cause) == -1)
		return -1;
	provider_req_add_uint(req, "PageNumber", cursor->offset + 1);
	provider_req_add_uint(req, "PageSize", EHPC_OPERATIONS_PAGE_SIZE);
	/* Newest first, as by default: a cut-off listing keeps the news. */
	sign_req_add_query(req, "IsReverse", "true");
	return 0;
}

/*
 * The key of a row without a RequestId: Action@Time@Target (what there is
 * of them); NULL when the row has none of the three.
 */
static char *
ehpc_operations_row_key(const struct json *row)
{
	const char *a = json_get_str(row, "Action");
	const char *tm = json_get_str(row, "Time");
	const char *tg = json_get_str(row, "Target");

	if (util_empty(a) && util_empty(tm) && util_empty(tg))
		return NULL;
	return xasprintf("%s@%s@%s", a != NULL ? a : "", tm != NULL ? tm : "",
	    tg != NULL ? tg : "");
}

/*
 * Fill t from one log row; -1 when it is not an object or has neither a
 * string RequestId nor anything to key on.  started_at is the row's Time
 * (read in the watch's timezone), and ended_at too for a terminal status.
 */
static int
ehpc_operations_fill(
    const struct provider_ctx *ctx, const struct json *row, struct task *t)
{
	int tz = 0;

	if (json_type(row) != JSON_OBJECT)
		return -1;
	if ((t->id = provider_str(row, "RequestId", 0)) == NULL &&
	    (t->id = ehpc_operations_row_key(row)) == NULL)
		return -1;
	if (ctx != NULL && ctx->watch != NULL)
		tz = ctx->watch->timezone_offset_s;
	if ((t->type = provider_str(row, "Action", 1)) == NULL)
		t->type = xstrdup("");
	if ((t->raw_status = provider_str(row, "Status", 1)) == NULL)
		t->raw_status = xstrdup("");
	t->state = ehpc_operations_state(t->raw_status);
	t->started_at = provider_time(json_get(row, "Time"), tz);
	if (task_state_terminal(t->state))
		t->ended_at = t->started_at;
	if (t->state == TASK_FAILED)
		t->reason = provider_str(row, "Message", 0);
	t->detail = provider_detail(row, ehpc_operations_mapped);
	return 0;
}

/* The time a record's row was written: its end, else its start. */
static int64_t
ehpc_operations_row_time(const struct task *t)
{
	return t->ended_at != TASK_TIME_NONE ? t->ended_at : t->started_at;
}

/*
 * 1 if record a is the later state of the operation than b: written
 * later, or at the same time with a terminal status where b has none.
 */
static int
ehpc_operations_later(const struct task *a, const struct task *b)
{
	int64_t ta = ehpc_operations_row_time(a);
	int64_t tb = ehpc_operations_row_time(b);

	if (ta != tb)
		return ta > tb;
	return task_state_terminal(a->state) && !task_state_terminal(b->state);
}

/*
 * Rows of one operation (the same RequestId) collapse into one record,
 * whether the service updates one row or writes one per state: the
 * latest row wins, started at the earliest row's Time.  The last record
 * of l (just filled) is merged into an earlier one of the same key among
 * the records from index first on and taken back, or kept.  The earlier
 * record keeps what the watch gave it (a page before: scope, baseline).
 */
static void
ehpc_operations_collapse(struct task_list *l, size_t first)
{
	struct task *t = &l->v[l->n - 1], *o;
	int64_t start;
	size_t i;
	char *scope;
	int baseline;

	for (i = l->n - 1; i > first; i--) {
		o = &l->v[i - 1];
		if (strcmp(o->id, t->id) != 0 ||
		    strcmp(o->cluster_id, t->cluster_id) != 0)
			continue;
		start = o->started_at;
		if (t->started_at != TASK_TIME_NONE &&
		    (start == TASK_TIME_NONE || t->started_at < start))
			start = t->started_at;
		if (ehpc_operations_later(t, o)) {
			scope = o->scope;
			baseline = o->baseline;
			o->scope = NULL;
			task_clear(o);
			*o = *t;
			task_init(t);
			o->scope = scope;
			o->baseline = baseline;
		}
		o->started_at = start;
		provider_drop_last(l);
		return;
	}
}

/*
 * Find the rows of an answer: Logs as an array; a missing or null Logs is
 * an empty page unless TotalCount announces rows from seen on.  -1 with
 * *cause otherwise.
 */
static int
ehpc_operations_find(const struct json *root, uint64_t seen,
    const struct json **logs, int64_t *total, char **cause)
{
	*logs = NULL;
	if (provider_total(root, "TotalCount", "E-HPC", total, cause) == -1)
		return -1;
	*logs = json_get(root, "Logs");
	if (json_type(*logs) == JSON_ARRAY)
		return 0;
	if ((*logs == NULL || json_type(*logs) == JSON_NULL) &&
	    (*total < 0 || (uint64_t)*total <= seen)) {
		*logs = NULL;
		return 0;
	}
	*cause = xstrdup(*logs == NULL || json_type(*logs) == JSON_NULL
		? "E-HPC response has no Logs list"
		: "E-HPC response has an invalid Logs");
	return -1;
}

/*
 * Append the rows of logs to out with cluster (NULL: none) as their
 * cluster, collapsing rows of one operation among the records from first
 * on; the rows that could not be used.
 */
static size_t
ehpc_operations_rows(const struct provider_ctx *ctx, const struct json *logs,
    const char *cluster, struct task_list *out, size_t first)
{
	size_t i, n = json_len(logs), skipped = 0;
	struct task *t;

	for (i = 0; i < n; i++) {
		t = task_list_add(out);
		if (ehpc_operations_fill(ctx, json_at(logs, i), t) == -1) {
			provider_drop_last(out);
			skipped++;
			continue;
		}
		t->cluster_id = xstrdup(cluster != NULL ? cluster : "");
		ehpc_operations_collapse(out, first);
	}
	return skipped;
}

/*
 * The index in out where the records of cluster begin: the scopes are
 * listed one after the other, so they are the last ones.
 */
static size_t
ehpc_operations_scope_start(const struct task_list *out, const char *cluster)
{
	size_t i = out->n;

	while (i > 0 && out->v[i - 1].cluster_id != NULL &&
	    strcmp(out->v[i - 1].cluster_id, cluster) == 0)
		i--;
	return i;
}

/*
 * Parse one page of the cursor's cluster: append its operations (rows of
 * one operation collapsed over the cluster's pages), then move to the
 * next page, or to the next cluster once TotalCount rows were read (or a
 * page came back empty, or short without a count).
 */
static int
ehpc_operations_list_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, struct task_list *out,
    struct provider_cursor *cursor, char **cause)
{
	const struct json *logs;
	struct json *root;
	const char *cluster;
	int64_t total;
	size_t n, skipped;

	if (ctx->watch == NULL || cursor->scope >= ctx->watch->clusters.n) {
		*cause = xstrdup("ehpc.operations: listing past its clusters");
		return -1;
	}
	cluster = ctx->watch->clusters.v[cursor->scope];
	if ((root = provider_parse_object("E-HPC", status, body, len, cause)) ==
	    NULL)
		return -1;
	if (ehpc_operations_find(root, cursor->seen, &logs, &total, cause) ==
	    -1) {
		json_free(root);
		return -1;
	}
	n = json_len(logs);
	skipped = ehpc_operations_rows(
	    ctx, logs, cluster, out, ehpc_operations_scope_start(out, cluster));
	json_free(root);
	if (skipped > 0)
		log_debug("ehpc.operations: cluster %s: skipped %zu of %zu log "
			  "rows (not an object or nothing to key on)",
		    cluster, skipped, n);
	if (provider_page("ehpc.operations", cursor, n, total,
		EHPC_OPERATIONS_PAGE_SIZE, 1, EHPC_OPERATIONS_MAX_PAGE - 1))
		provider_next_scope(cursor, ctx->watch->clusters.n);
	return 0;
}

/*
 * Describe the lookup: ListCommonLogs for the task's cluster and
 * RequestId, from a margin before its start (the lookback without one)
 * until now.  A task keyed on Action@Time@Target has no RequestId to ask.
 */
static int
ehpc_operations_lookup_req(const struct provider_ctx *ctx, const struct task *t,
    struct sign_req *req, char **cause)
{
	int64_t now_s = ctx->now_ms / 1000, from_s;

	if (util_empty(t->id) || util_empty(t->cluster_id)) {
		*cause = xstrdup("ehpc.operations: lookup of a task without an "
				 "id or cluster");
		return -1;
	}
	if (strchr(t->id, '@') != NULL) {
		*cause = xstrdup("ehpc.operations: an operation without a "
				 "RequestId has no lookup");
		return -1;
	}
	if (t->started_at != TASK_TIME_NONE)
		from_s = t->started_at - EHPC_OPERATIONS_LOOKUP_MARGIN_S;
	else
		from_s = now_s -
		    (int64_t)(ctx->watch != NULL
			    ? ctx->watch->lookback_ms / 1000
			    : 0);
	if (ehpc_operations_query(
		ctx, t->cluster_id, from_s, now_s, req, cause) == -1)
		return -1;
	sign_req_add_query(req, "LogRequestId", t->id);
	provider_req_add_uint(req, "PageSize", EHPC_OPERATIONS_PAGE_SIZE);
	return 0;
}

/*
 * Parse a lookup answer: no rows means gone; rows of one operation are
 * the task (the answer is trusted to be for the RequestId asked, which
 * this call does not see); rows of several mean the filter was ignored:
 * inconclusive.
 */
static int
ehpc_operations_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, int *found, struct task *out, char **cause)
{
	struct task_list l = { NULL, 0, 0 };
	const struct json *logs;
	struct json *root;
	int64_t total;
	size_t skipped;

	*found = 0;
	if ((root = provider_parse_object("E-HPC", status, body, len, cause)) ==
	    NULL)
		return -1;
	if (ehpc_operations_find(root, 0, &logs, &total, cause) == -1) {
		json_free(root);
		return -1;
	}
	skipped = ehpc_operations_rows(ctx, logs, NULL, &l, 0);
	json_free(root);
	if (l.n > 1 || (l.n == 0 && skipped > 0)) {
		*cause = l.n > 1 ? xasprintf("E-HPC lookup answer lists %zu "
					     "operations",
				       l.n)
				 : xstrdup("E-HPC lookup answer has a log row "
					   "without a RequestId");
		task_list_clear(&l);
		return -1;
	}
	if (l.n == 1) {
		*out = l.v[0];
		free(out->cluster_id);
		out->cluster_id = NULL; /* the task's own */
		task_init(&l.v[0]);
		*found = 1;
	}
	task_list_clear(&l);
	return 0;
}

const struct provider provider_ehpc_operations = {
	.name = "ehpc.operations",
	.api = CONFIG_API_EHPC_OPERATIONS,
	.list_req = ehpc_operations_list_req,
	.list_parse = ehpc_operations_list_parse,
	.lookup_req = ehpc_operations_lookup_req,
	.lookup_parse = ehpc_operations_lookup_parse,
	.scope_key = provider_cluster_scope_key,
};
