/*
 * Helpers every provider implementation shares: turning hostile JSON
 * fields into task record values, paging, request paths, and the Huawei
 * job object and single-job lookup that DDS and GaussDB both use.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apierr.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "provider.h"
#include "provider_impl.h"
#include "sign.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

/* scope_key of a listing with one scope per cluster of the watch. */
int
provider_cluster_scope_key(const struct config_watch *w, size_t i, char **key)
{
	if (i >= w->clusters.n)
		return -1;
	*key = xstrdup(w->clusters.v[i]);
	return 0;
}

/* Whether c is blank for trimming. */
static int
provider_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A copy of a string member, or NULL if absent, not a string (or empty). */
char *
provider_str(const struct json *obj, const char *key, int empty_ok)
{
	const char *s;

	s = json_get_str(obj, key);
	if (s == NULL || (!empty_ok && *s == '\0'))
		return NULL;
	return xstrdup(s);
}

/* Digest obj into t; 1 if the table already holds that record. */
int
provider_unchanged(
    const struct provider_ctx *ctx, const struct json *obj, struct task *t)
{
	const char *src;
	size_t len;

	if ((src = json_source(obj, &len)) == NULL)
		return 0;
	t->digest = util_digest(src, len);
	if (ctx == NULL || ctx->known == NULL ||
	    ctx->known(ctx->known_arg, t) != 1)
		return 0;
	t->unchanged = 1;
	return 1;
}

/*
 * A progress value: "60%", "60", "60.5%" or a JSON number, clamped to
 * 0..100; TASK_PROGRESS_NONE for null, "", absent or garbage.
 */
int
provider_progress(const struct json *v)
{
	const char *s;
	double d;
	int neg = 0, n = 0, digits = 0;

	if (json_type(v) == JSON_NUMBER) {
		if (json_double(v, &d) == -1 || d != d)
			return TASK_PROGRESS_NONE;
		if (d <= 0)
			return 0;
		if (d >= 100)
			return 100;
		return (int)d;
	}
	if ((s = json_str(v)) == NULL)
		return TASK_PROGRESS_NONE;
	while (provider_blank(*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (n <= 100)
			n = n * 10 + (*s - '0');
	}
	if (digits == 0)
		return TASK_PROGRESS_NONE;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return TASK_PROGRESS_NONE;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	while (provider_blank(*s))
		s++;
	if (*s == '%')
		s++;
	while (provider_blank(*s))
		s++;
	if (*s != '\0')
		return TASK_PROGRESS_NONE;
	if (neg)
		return 0;
	return n > 100 ? 100 : n;
}

/* A timestamp string via util_parse_time; TASK_TIME_NONE if unusable. */
int64_t
provider_time(const struct json *v, int default_offset_s)
{
	const char *s;
	int64_t t;

	if ((s = json_str(v)) == NULL || *s == '\0')
		return TASK_TIME_NONE;
	if (util_parse_time(s, default_offset_s, &t) == -1)
		return TASK_TIME_NONE;
	return t;
}

/* Whether key is one of the NULL-terminated list (NULL: none are). */
static int
provider_mapped(const char *key, const char *const *mapped)
{
	size_t i;

	for (i = 0; mapped != NULL && mapped[i] != NULL; i++) {
		if (strcmp(key, mapped[i]) == 0)
			return 1;
	}
	return 0;
}

/* Add the members of obj not in mapped to *w, opening it if NULL. */
void
provider_detail_add(
    struct json_writer **w, const struct json *obj, const char *const *mapped)
{
	const char *key;
	size_t i, n;

	if (json_type(obj) != JSON_OBJECT)
		return;
	n = json_len(obj);
	for (i = 0; i < n; i++) {
		if ((key = json_key_at(obj, i)) == NULL ||
		    provider_mapped(key, mapped))
			continue;
		if (*w == NULL) {
			*w = json_writer_new();
			json_w_obj_open(*w);
		}
		json_w_key(*w, key);
		json_w_value(*w, json_at(obj, i));
	}
}

/* Close and free a detail writer: its object text, or NULL if w is NULL. */
char *
provider_detail_finish(struct json_writer *w)
{
	char *out;

	if (w == NULL)
		return NULL;
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/*
 * The members of obj whose keys are not in mapped (NULL-terminated), as
 * compact JSON object text; NULL when there are none.
 */
char *
provider_detail(const struct json *obj, const char *const *mapped)
{
	struct json_writer *w = NULL;

	provider_detail_add(&w, obj, mapped);
	return provider_detail_finish(w);
}

#define PROVIDER_EPOCH_MIN_S 946684800LL        /* 2000-01-01T00:00:00Z */
#define PROVIDER_EPOCH_MS_FROM 100000000000LL   /* 10^11: milliseconds */
#define PROVIDER_EPOCH_MAX_MS 253402300799999LL /* 9999-12-31T23:59:59Z */

/*
 * A timestamp that may be a date string (as provider_time) or epoch time as
 * a number or numeric string: milliseconds from 10^11 on, seconds from
 * 2000-01-01 up to that; TASK_TIME_NONE for anything else.
 */
int64_t
provider_time_any(const struct json *v, int default_offset_s)
{
	int64_t n;

	if (json_int(v, 1, &n) == -1)
		return provider_time(v, default_offset_s);
	if (n >= PROVIDER_EPOCH_MS_FROM && n <= PROVIDER_EPOCH_MAX_MS)
		return n / 1000;
	if (n >= PROVIDER_EPOCH_MIN_S && n < PROVIDER_EPOCH_MS_FROM)
		return n;
	return TASK_TIME_NONE;
}

/* Nesting depth of a value: 0 for a scalar, 1 + the deepest member. */
int
provider_json_depth(const struct json *v)
{
	size_t i, n;
	int d, max = 0;

	if (json_type(v) != JSON_OBJECT && json_type(v) != JSON_ARRAY)
		return 0;
	n = json_len(v);
	for (i = 0; i < n; i++) {
		if ((d = provider_json_depth(json_at(v, i))) > max)
			max = d;
	}
	return max + 1;
}

/*
 * Decode JSON carried inside a string: a tree (caller json_frees) when text
 * is an object or array nested at most max_depth deep; NULL otherwise.
 */
struct json *
provider_json_decode(const char *text, int max_depth)
{
	struct json *v;
	const char *s = text;

	if (s == NULL)
		return NULL;
	while (provider_blank(*s))
		s++;
	if (*s != '{' && *s != '[')
		return NULL;
	if ((v = json_parse(s, strlen(s), NULL)) == NULL)
		return NULL;
	if ((json_type(v) != JSON_OBJECT && json_type(v) != JSON_ARRAY) ||
	    provider_json_depth(v) > max_depth) {
		json_free(v);
		return NULL;
	}
	return v;
}

/*
 * Parse a 2xx answer's body as a JSON object; NULL with *cause: the
 * classifier's message for another status, else "what response: ...".
 */
struct json *
provider_parse_object(
    const char *what, long status, const char *body, size_t len, char **cause)
{
	struct json *root;
	char *why = NULL;

	if (status < 200 || status > 299) {
		*cause = provider_http_cause(status, body, len);
		return NULL;
	}
	if ((root = json_parse(body, len, &why)) == NULL) {
		*cause = xasprintf("%s response: %s", what, why);
		free(why);
		return NULL;
	}
	if (json_type(root) != JSON_OBJECT) {
		json_free(root);
		*cause = xasprintf("%s response is not a JSON object", what);
		return NULL;
	}
	return root;
}

/* A failed answer as a cause: the classifier's one-line message. */
char *
provider_http_cause(long status, const char *body, size_t len)
{
	char *msg;

	apierr_classify(status, body, len, &msg);
	return msg;
}

/* 1 if an error body carries an API-gateway code (APIG.*: no such API). */
int
provider_apig_error(const char *body, size_t len)
{
	char *code;
	int apig;

	code = apierr_code(body, len);
	apig = code != NULL && strncasecmp(code, "APIG.", 5) == 0;
	free(code);
	return apig;
}

/*
 * Start a path "/{version}/{project_id}" (percent-encoded) in b, capped at
 * PROVIDER_PATH_MAX; -1 with *cause when the account has no project_id.
 */
int
provider_project_path(const struct provider_ctx *ctx, const char *api,
    const char *version, struct buf *b, char **cause)
{
	const char *project = NULL;

	if (ctx->account != NULL)
		project = ctx->account->project_id;
	if (util_empty(project)) {
		*cause = xasprintf("account %s has no project_id, which %s "
				   "needs",
		    ctx->account != NULL && ctx->account->name != NULL
			? ctx->account->name
			: "?",
		    api);
		return -1;
	}
	buf_init(b, PROVIDER_PATH_MAX);
	if (buf_printf(b, "/%s/", version) == -1 ||
	    util_urlencode(b, project) == -1) {
		buf_free(b);
		*cause = xasprintf("%s: project_id too long", api);
		return -1;
	}
	return 0;
}

/*
 * The total a page announces in root's key, a number or numeric string:
 * *total is -1 when absent or null.  -1 with *cause when it is anything
 * else or negative.
 */
int
provider_total(const struct json *root, const char *key, const char *what,
    int64_t *total, char **cause)
{
	const struct json *v;

	*total = -1;
	v = json_get(root, key);
	if (v == NULL || json_type(v) == JSON_NULL)
		return 0;
	if (json_int(v, 1, total) == -1 || *total < 0) {
		*total = -1;
		*cause = xasprintf("%s response has an invalid %s", what, key);
		return -1;
	}
	return 0;
}

/*
 * Account for a page of n rows of the cursor's scope: seen grows by n,
 * offset by n (rows) or 1 (page_index), total is the announced one (-1:
 * none; a total that differs from the previous page's marks the listing
 * shifted).  1 when the scope is finished: total reached, an empty page, a
 * short page without a total, or offset past max_offset.
 */
int
provider_page(const char *api, struct provider_cursor *c, size_t n,
    int64_t total, size_t limit, int page_index, uint64_t max_offset)
{
	int end = 0;

	c->seen += n;
	c->offset += page_index ? 1 : n;
	if (total >= 0) {
		if (c->seen > n && c->total != (uint64_t)total) {
			log_debug("%s: total went from %llu to %lld while the "
				  "pages were read",
			    api, (unsigned long long)c->total,
			    (long long)total);
			c->shifted = 1;
		}
		c->total = (uint64_t)total;
		if (c->seen >= c->total)
			end = 1;
	} else {
		c->total = c->seen;
		if (n < limit)
			end = 1;
	}
	if (n == 0)
		end = 1;
	if (!end && c->offset > max_offset) {
		log_debug("%s: stopping at offset %llu of %llu", api,
		    (unsigned long long)c->offset,
		    (unsigned long long)c->total);
		end = 1;
	}
	return end;
}

/* Move to the next scope (offset, seen, total reset); done after the last. */
void
provider_next_scope(struct provider_cursor *c, size_t nscopes)
{
	c->scope++;
	c->offset = 0;
	c->seen = 0;
	c->total = 0;
	if (c->scope >= nscopes)
		c->done = 1;
}

static const char *const provider_job_lookup_mapped[] = { "id", "name",
	"status", "progress", "fail_reason", "created", "ended", "instance",
	NULL };

/* The fields of the lookup answer {"job":{id, ..., instance{id,name}}}. */
const struct provider_job_fields provider_job_lookup_fields = {
	.id = "id",
	.name = "name",
	.status = "status",
	.progress = "progress",
	.fail_reason = "fail_reason",
	.created = "created",
	.ended = "ended",
	.instance = "instance",
	.instance_id = "id",
	.instance_name = "name",
	.mapped = provider_job_lookup_mapped,
};

/*
 * Fill t from a job object; -1 (t left for the caller to clear) when it is
 * not an object or has no string id and must be skipped.  In a listing, a
 * record the table holds unchanged gets its key alone.
 */
int
provider_job_fill(const struct provider_ctx *ctx, const struct json *job,
    const struct provider_job_fields *f, int listing, struct task *t)
{
	struct json_writer *w = NULL;
	const struct json *inst;
	const char *cid;
	int tz = 0;

	if (json_type(job) != JSON_OBJECT)
		return -1;
	if ((t->id = provider_str(job, f->id, 0)) == NULL)
		return -1;
	if (ctx != NULL && ctx->watch != NULL)
		tz = ctx->watch->timezone_offset_s;

	inst = f->instance != NULL ? json_get(job, f->instance) : job;
	cid = json_get_str(inst, f->instance_id);
	t->cluster_id = xstrdup(cid != NULL ? cid : "");
	if (listing && provider_unchanged(ctx, job, t))
		return 0;
	if ((t->type = provider_str(job, f->name, 1)) == NULL)
		t->type = xstrdup("");
	t->cluster_name = provider_str(inst, f->instance_name, 1);
	if ((t->raw_status = provider_str(job, f->status, 1)) == NULL)
		t->raw_status = xstrdup("");
	t->state = task_state_from_raw(t->raw_status);
	t->progress = provider_progress(json_get(job, f->progress));
	t->reason = provider_str(job, f->fail_reason, 0);
	t->started_at = provider_time_any(json_get(job, f->created), tz);
	t->ended_at = provider_time_any(json_get(job, f->ended), tz);
	provider_detail_add(&w, job, f->mapped);
	if (f->instance != NULL && f->instance_mapped != NULL)
		provider_detail_add(&w, inst, f->instance_mapped);
	t->detail = provider_detail_finish(w);
	return 0;
}

/* Describe the Huawei single-job lookup "/v3/{project}/jobs?id=". */
int
provider_job_lookup_req(const struct provider_ctx *ctx, const struct task *t,
    const char *api, struct sign_req *req, char **cause)
{
	struct buf b;

	if (util_empty(t->id)) {
		*cause = xasprintf("%s: lookup of a job without an id", api);
		return -1;
	}
	if (provider_project_path(ctx, api, "v3", &b, cause) == -1)
		return -1;
	if (buf_puts(&b, "/jobs") == -1) {
		buf_free(&b);
		*cause = xasprintf("%s: request path too long", api);
		return -1;
	}
	provider_req_get(req, &b);
	sign_req_add_query(req, "id", t->id);
	return 0;
}

/* A GET of the path built in b (freed), accepting JSON. */
void
provider_req_get(struct sign_req *req, struct buf *b)
{
	sign_req_set_path(req, buf_str(b));
	buf_free(b);
	sign_req_add_header(req, "Accept", "application/json");
}

/* Add a query parameter with a decimal value. */
void
provider_req_add_uint(struct sign_req *req, const char *name, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	sign_req_add_query(req, name, s);
}

/*
 * Parse a single-job lookup answer {"job":{...}}: 404 is gone unless it is
 * the API gateway's (APIG.*, e.g. no such API, which says nothing about the
 * job), 200 without a job object is gone, other statuses and unusable
 * bodies are -1 with *cause.  out is overwritten when found.
 */
int
provider_job_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, const char *what, int *found,
    struct task *out, char **cause)
{
	struct json *root;
	const struct json *job;

	*found = 0;
	if (status == 404) {
		if (provider_apig_error(body, len)) {
			*cause = provider_http_cause(status, body, len);
			return -1;
		}
		return 0;
	}
	if ((root = provider_parse_object(what, status, body, len, cause)) ==
	    NULL)
		return -1;
	job = json_get(root, "job");
	if (json_type(job) != JSON_OBJECT) {
		json_free(root);
		return 0;
	}
	task_init(out);
	if (provider_job_fill(ctx, job, &provider_job_lookup_fields, 0, out) ==
	    -1) {
		task_clear(out);
		json_free(root);
		*cause = xasprintf("%s job lookup answer has no job id", what);
		return -1;
	}
	json_free(root);
	*found = 1;
	return 0;
}

/* Take back the task just added to out (it could not be filled): clear it. */
void
provider_drop_last(struct task_list *out)
{
	task_clear(&out->v[out->n - 1]);
	out->n--;
}

/*
 * Parse one page of a Huawei job listing {key:[job, ...], total_count}:
 * append its jobs (skipping those provider_job_fill refuses) and move the
 * cursor on.  A missing total_count is tolerated: then a short page ends
 * the listing.  The SDK models mark the array optional, so a service may
 * leave out an empty one: a missing (or null) array is an empty page when
 * total_count is missing or announces no row from this page's offset on
 * (0 on the first page; a list that shrank while its pages were read on a
 * later one), and an error when it announces rows there.
 */
int
provider_job_list_parse(const struct provider_ctx *ctx,
    const struct provider_job_list *l, long status, const char *body,
    size_t len, struct task_list *out, struct provider_cursor *cursor,
    char **cause)
{
	struct json *root;
	const struct json *jobs;
	struct task *t;
	int64_t total = -1;
	size_t i, n, skipped = 0;

	if ((root = provider_parse_object(l->what, status, body, len, cause)) ==
	    NULL)
		return -1;
	if (provider_total(root, "total_count", l->what, &total, cause) == -1) {
		json_free(root);
		return -1;
	}
	jobs = json_get(root, l->key);
	if (json_type(jobs) == JSON_NULL && total > 0 &&
	    (uint64_t)total > cursor->offset) {
		json_free(root);
		*cause = xasprintf("%s response has no %s array but a "
				   "total_count of %lld",
		    l->what, l->key, (long long)total);
		return -1;
	}
	if (json_type(jobs) != JSON_NULL && json_type(jobs) != JSON_ARRAY) {
		json_free(root);
		*cause = xasprintf(
		    "%s response's %s is not an array", l->what, l->key);
		return -1;
	}

	n = json_len(jobs);
	for (i = 0; i < n; i++) {
		t = task_list_add(out);
		if (provider_job_fill(ctx, json_at(jobs, i), l->fields, 1, t) ==
		    -1) {
			provider_drop_last(out);
			skipped++;
		}
	}
	json_free(root);
	if (skipped > 0)
		log_debug("%s: skipped %zu of %zu %s at offset %llu (not an "
			  "object or no string %s)",
		    l->api, skipped, n, l->key,
		    (unsigned long long)cursor->offset, l->fields->id);

	if (provider_page(l->api, cursor, n, total, l->limit, 0, l->max_offset))
		cursor->done = 1;
	return 0;
}
