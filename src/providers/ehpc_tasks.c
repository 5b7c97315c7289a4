/*
 * ehpc.tasks: Alibaba Cloud E-HPC ListTasks (RPC style, version 2018-04-12),
 * which E-HPC 1.0 clusters answer (2.0: ehpc.operations).  One scope per
 * cluster, paged by PageNumber, history included; the same call with a
 * TaskId is the single-task lookup.  Result, Errors and Request are JSON
 * inside strings: decoded into detail where they parse, kept as text where
 * they do not (the vendor's own example is over-escaped).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "provider.h"
#include "provider_impl.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define EHPC_TASKS_PAGE_SIZE 50 /* the API's maximum */
#define EHPC_TASKS_MAX_PAGE 999 /* the API's highest PageNumber */

static const char *const ehpc_tasks_mapped[] = { "TaskId", "TaskType",
	"ClusterId", "Status", NULL };

/* The members holding JSON encoded as a string. */
static const char *const ehpc_tasks_encoded[] = { "Result", "Errors", "Request",
	NULL };

/* The tasks of an answer: an array, or a single object. */
struct ehpc_tasks_list {
	const struct json *array;
	const struct json *one;
	size_t n;
};

/*
 * Start the request: action, version, format, region and cluster.  An
 * E-HPC 2.0 cluster answers ListTasks with an error: the note names the
 * API that watches it, for the error's message.
 */
static int
ehpc_tasks_query(const struct provider_ctx *ctx, const char *cluster,
    struct sign_req *req, char **cause)
{
	const char *region = NULL;
	char *note;

	if (ctx->account != NULL)
		region = ctx->account->region;
	if (util_empty(region)) {
		*cause = xstrdup("ehpc.tasks: the account has no region");
		return -1;
	}
	sign_req_add_header(req, "Accept", "application/json");
	sign_req_add_query(req, "Action", "ListTasks");
	sign_req_add_query(req, "Version", "2018-04-12");
	sign_req_add_query(req, "Format", "JSON");
	sign_req_add_query(req, "RegionId", region);
	sign_req_add_query(req, "ClusterId", cluster);
	note = xasprintf("cluster %s may be an E-HPC 2.0 cluster, which "
			 "ListTasks (E-HPC 1.0) cannot watch: use api: "
			 "ehpc.operations",
	    cluster);
	sign_req_set_note(req, note);
	free(note);
	return 0;
}

/* Describe the listing request for the cursor's cluster and page. */
static int
ehpc_tasks_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct sign_req *req, char **cause)
{
	if (ctx->watch == NULL || cursor->scope >= ctx->watch->clusters.n) {
		*cause = xstrdup("ehpc.tasks: listing past its clusters");
		return -1;
	}
	if (ehpc_tasks_query(
		ctx, ctx->watch->clusters.v[cursor->scope], req, cause) == -1)
		return -1;
	sign_req_add_query(req, "Archived", "true");
	provider_req_add_uint(req, "PageNumber", cursor->offset + 1);
	provider_req_add_uint(req, "PageSize", EHPC_TASKS_PAGE_SIZE);
	return 0;
}

/*
 * Progress from CurrentStep of TotalSteps (numbers or numeric strings):
 * 0..100, rounded down; none without a positive TotalSteps.
 */
static int
ehpc_tasks_progress(const struct json *task)
{
	int64_t cur, total;
	double pct;

	if (json_int(json_get(task, "TotalSteps"), 1, &total) == -1 ||
	    total <= 0 ||
	    json_int(json_get(task, "CurrentStep"), 1, &cur) == -1)
		return TASK_PROGRESS_NONE;
	if (cur <= 0)
		return 0;
	if (cur >= total)
		return 100;
	if (cur <= INT64_MAX / 100)
		return (int)(cur * 100 / total);
	/* Huge step counts: doubles may round up to 100; not done yet. */
	pct = (double)cur * 100.0 / (double)total;
	return pct >= 99.0 ? 99 : (int)pct;
}

/* The first non-empty string member among keys, or NULL. */
static const char *
ehpc_tasks_first(const struct json *obj, const char *const *keys)
{
	const char *s;
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		if ((s = json_get_str(obj, keys[i])) != NULL && *s != '\0')
			return s;
	}
	return NULL;
}

/* One error as text: "Code: Message", either alone, or its JSON. */
static char *
ehpc_tasks_error_text(const struct json *e)
{
	static const char *const code_keys[] = { "Code", "code", "ErrorCode",
		NULL };
	static const char *const msg_keys[] = { "Message", "message", "Msg",
		"msg", "ErrorMessage", "ErrorMsg", NULL };
	const char *code, *msg;

	if (json_type(e) == JSON_STRING && *json_str(e) != '\0')
		return xstrdup(json_str(e));
	code = ehpc_tasks_first(e, code_keys);
	msg = ehpc_tasks_first(e, msg_keys);
	if (code != NULL && msg != NULL)
		return xasprintf("%s: %s", code, msg);
	if (code != NULL || msg != NULL)
		return xstrdup(code != NULL ? code : msg);
	return json_dump(e, NULL);
}

/*
 * The reason from decoded Errors: the first error, and how many more;
 * NULL when Errors is not a non-empty array or object.
 */
static char *
ehpc_tasks_errors_reason(const struct json *errs)
{
	char *text, *out;
	size_t n;

	n = json_len(errs);
	if (n == 0)
		return NULL;
	if (json_type(errs) == JSON_ARRAY)
		text = ehpc_tasks_error_text(json_at(errs, 0));
	else if (json_type(errs) == JSON_OBJECT) {
		text = ehpc_tasks_error_text(errs);
		n = 1;
	} else
		return NULL;
	if (n == 1)
		return text;
	out = xasprintf("%s (+%zu more)", text, n - 1);
	free(text);
	return out;
}

/* A member as reason text: a non-blank string, or compact JSON. */
static char *
ehpc_tasks_text(const struct json *v)
{
	const char *s;

	if ((s = json_str(v)) != NULL) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		return *s != '\0' ? xstrdup(json_str(v)) : NULL;
	}
	if (json_type(v) == JSON_NULL ||
	    ((json_type(v) == JSON_ARRAY || json_type(v) == JSON_OBJECT) &&
		json_len(v) == 0))
		return NULL;
	return json_dump(v, NULL);
}

/*
 * Write the detail (every member but the mapped ones, the encoded ones
 * decoded) and work out the reason: Errors that decode to a non-empty
 * array or object; else, for Fail and PartialFail, Errors text that is not
 * JSON, then Result.
 */
static void
ehpc_tasks_detail(const struct json *task, struct task *t)
{
	struct json *dec[3] = { NULL, NULL, NULL };
	const struct json *val[3], *v;
	struct json_writer *w = NULL;
	const char *key;
	size_t i, j, n;
	int failed;

	for (j = 0; ehpc_tasks_encoded[j] != NULL; j++) {
		val[j] = json_get(task, ehpc_tasks_encoded[j]);
		if (json_type(val[j]) == JSON_STRING &&
		    (dec[j] = provider_json_decode(
			 json_str(val[j]), JSON_MAX_DEPTH - 1)) != NULL)
			val[j] = dec[j];
	}
	n = json_len(task);
	for (i = 0; i < n; i++) {
		if ((key = json_key_at(task, i)) == NULL)
			continue;
		for (j = 0; ehpc_tasks_mapped[j] != NULL; j++) {
			if (strcmp(key, ehpc_tasks_mapped[j]) == 0)
				break;
		}
		if (ehpc_tasks_mapped[j] != NULL)
			continue;
		v = json_at(task, i);
		for (j = 0; ehpc_tasks_encoded[j] != NULL; j++) {
			if (strcmp(key, ehpc_tasks_encoded[j]) == 0)
				v = val[j];
		}
		if (w == NULL) {
			w = json_writer_new();
			json_w_obj_open(w);
		}
		json_w_key(w, key);
		json_w_value(w, v);
	}
	t->detail = provider_detail_finish(w);

	/* val[1] is Errors, val[0] Result. */
	failed = t->state == TASK_FAILED || t->state == TASK_PARTIAL;
	if (json_type(val[1]) == JSON_ARRAY || json_type(val[1]) == JSON_OBJECT)
		t->reason = ehpc_tasks_errors_reason(val[1]);
	else if (failed && json_type(val[1]) == JSON_STRING)
		t->reason = ehpc_tasks_text(val[1]);
	if (t->reason == NULL && failed)
		t->reason = ehpc_tasks_text(val[0]);
	for (j = 0; j < 3; j++)
		json_free(dec[j]);
}

/*
 * Fill t from one task object; -1 when it is not an object or has no
 * string TaskId.  cluster stands in for a missing ClusterId (NULL: leave
 * cluster_id NULL for the caller).  With a listing's ctx (NULL for a
 * lookup), a record the table holds unchanged gets its key alone.
 */
static int
ehpc_tasks_fill(const struct provider_ctx *ctx, const struct json *task,
    const char *cluster, struct task *t)
{
	if (json_type(task) != JSON_OBJECT)
		return -1;
	if ((t->id = provider_str(task, "TaskId", 0)) == NULL)
		return -1;
	if ((t->cluster_id = provider_str(task, "ClusterId", 0)) == NULL &&
	    cluster != NULL)
		t->cluster_id = xstrdup(cluster);
	if (ctx != NULL && provider_unchanged(ctx, task, t))
		return 0;
	if ((t->type = provider_str(task, "TaskType", 1)) == NULL)
		t->type = xstrdup("");
	if ((t->raw_status = provider_str(task, "Status", 1)) == NULL)
		t->raw_status = xstrdup("");
	t->state = task_state_from_raw(t->raw_status);
	t->progress = ehpc_tasks_progress(task);
	ehpc_tasks_detail(task, t);
	return 0;
}

/*
 * Find the tasks of an answer: "Tasks" as an array, or {"TaskInfo": [...]}
 * (or a lone TaskInfo object, or none).  No Tasks at all is only believed
 * when TotalCount says 0.  -1 with *cause otherwise.
 */
static int
ehpc_tasks_find(const struct json *root, struct ehpc_tasks_list *l,
    int64_t *total, char **cause)
{
	const struct json *tasks, *info;

	memset(l, 0, sizeof(*l));
	if (provider_total(root, "TotalCount", "E-HPC", total, cause) == -1)
		return -1;
	tasks = json_get(root, "Tasks");
	switch (json_type(tasks)) {
	case JSON_ARRAY:
		l->array = tasks;
		break;
	case JSON_OBJECT:
		info = json_get(tasks, "TaskInfo");
		if (json_type(info) == JSON_ARRAY)
			l->array = info;
		else if (json_type(info) == JSON_OBJECT)
			l->one = info;
		else if (info != NULL && json_type(info) != JSON_NULL) {
			*cause = xstrdup("E-HPC response has an invalid "
					 "Tasks.TaskInfo");
			return -1;
		}
		break;
	case JSON_NULL:
		if (*total == 0)
			break;
		/* FALLTHROUGH */
	default:
		*cause = xstrdup("E-HPC response has no Tasks list");
		return -1;
	}
	l->n = l->array != NULL ? json_len(l->array) : l->one != NULL;
	return 0;
}

/*
 * Parse a 2xx answer and find its tasks in l: the tree they point into
 * (caller json_frees), or NULL with *cause.
 */
static struct json *
ehpc_tasks_answer(long status, const char *body, size_t len,
    struct ehpc_tasks_list *l, int64_t *total, char **cause)
{
	struct json *root;

	if ((root = provider_parse_object("E-HPC", status, body, len, cause)) ==
	    NULL)
		return NULL;
	if (ehpc_tasks_find(root, l, total, cause) == -1) {
		json_free(root);
		return NULL;
	}
	return root;
}

/* Element i of a task list. */
static const struct json *
ehpc_tasks_at(const struct ehpc_tasks_list *l, size_t i)
{
	return l->array != NULL ? json_at(l->array, i) : l->one;
}

/*
 * Parse one page of the cursor's cluster: append its tasks, then move to
 * the next page, or to the next cluster once TotalCount tasks were read
 * (or a page came back empty, or short without a count, or page 999).
 */
static int
ehpc_tasks_list_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, struct task_list *out,
    struct provider_cursor *cursor, char **cause)
{
	struct ehpc_tasks_list l;
	struct json *root;
	struct task *t;
	const char *cluster;
	int64_t total;
	size_t i, skipped = 0;

	if (ctx->watch == NULL || cursor->scope >= ctx->watch->clusters.n) {
		*cause = xstrdup("ehpc.tasks: listing past its clusters");
		return -1;
	}
	cluster = ctx->watch->clusters.v[cursor->scope];
	if ((root = ehpc_tasks_answer(status, body, len, &l, &total, cause)) ==
	    NULL)
		return -1;
	for (i = 0; i < l.n; i++) {
		t = task_list_add(out);
		if (ehpc_tasks_fill(ctx, ehpc_tasks_at(&l, i), cluster, t) ==
		    -1) {
			provider_drop_last(out);
			skipped++;
		}
	}
	json_free(root);
	if (skipped > 0)
		log_debug("ehpc.tasks: cluster %s: skipped %zu of %zu tasks "
			  "(not an object or no string TaskId)",
		    cluster, skipped, l.n);

	if (provider_page("ehpc.tasks", cursor, l.n, total,
		EHPC_TASKS_PAGE_SIZE, 1, EHPC_TASKS_MAX_PAGE - 1))
		provider_next_scope(cursor, ctx->watch->clusters.n);
	return 0;
}

/* Describe the lookup: ListTasks for the task's cluster and TaskId. */
static int
ehpc_tasks_lookup_req(const struct provider_ctx *ctx, const struct task *t,
    struct sign_req *req, char **cause)
{
	if (util_empty(t->id) || util_empty(t->cluster_id)) {
		*cause = xstrdup(
		    "ehpc.tasks: lookup of a task without an id or cluster");
		return -1;
	}
	if (ehpc_tasks_query(ctx, t->cluster_id, req, cause) == -1)
		return -1;
	sign_req_add_query(req, "TaskId", t->id);
	return 0;
}

/*
 * Parse a lookup answer: an empty list means gone, one task is the task
 * (the answer is trusted to be for the TaskId asked, which this call does
 * not see), more than one means the filter was ignored: inconclusive.
 */
static int
ehpc_tasks_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, int *found, struct task *out, char **cause)
{
	struct ehpc_tasks_list l;
	struct json *root;
	int64_t total;

	*found = 0;
	if ((root = ehpc_tasks_answer(status, body, len, &l, &total, cause)) ==
	    NULL)
		return -1;
	if (l.n > 1) {
		json_free(root);
		*cause = xasprintf("E-HPC lookup answer lists %zu tasks", l.n);
		return -1;
	}
	if (l.n == 1) {
		task_init(out);
		if (ehpc_tasks_fill(NULL, ehpc_tasks_at(&l, 0), NULL, out) ==
		    -1) {
			task_clear(out);
			json_free(root);
			*cause = xstrdup(
			    "E-HPC lookup answer has a task without a TaskId");
			return -1;
		}
		*found = 1;
	}
	json_free(root);
	return 0;
}

const struct provider provider_ehpc_tasks = {
	.name = "ehpc.tasks",
	.api = CONFIG_API_EHPC_TASKS,
	.list_req = ehpc_tasks_list_req,
	.list_parse = ehpc_tasks_list_parse,
	.lookup_req = ehpc_tasks_lookup_req,
	.lookup_parse = ehpc_tasks_lookup_parse,
	.scope_key = provider_cluster_scope_key,
};
