/*
 * For provider implementations only (src/provider.c, src/providers/):
 * the vtables the registry lists, and small helpers every provider needs to
 * turn hostile JSON fields into task record values.
 */
#ifndef PROVIDER_IMPL_H
#define PROVIDER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "provider.h"
#include "sign.h"

#define PROVIDER_PATH_MAX 4096 /* bytes of a request's path */

extern const struct provider provider_dws_actions;
extern const struct provider provider_dws_logical;
extern const struct provider provider_dds_jobs;
extern const struct provider provider_gaussdb_tasks;
extern const struct provider provider_ehpc_tasks;
extern const struct provider provider_ehpc_operations;

/* scope_key of a listing with one scope per cluster of the watch. */
int provider_cluster_scope_key(
    const struct config_watch *w, size_t i, char **key);

/*
 * The member names of a Huawei "job" object (DDS and GaussDB listings, and
 * their shared single-job lookup), for provider_job_fill.
 */
struct provider_job_fields {
	const char *id;
	const char *name;
	const char *status;
	const char *progress;
	const char *fail_reason;
	const char *created;
	const char *ended;
	const char *instance;      /* object holding the two below, or NULL */
	const char *instance_id;   /* in instance, or flat when it is NULL */
	const char *instance_name; /* in instance, or flat when it is NULL */
	const char *const *mapped; /* members kept out of detail */
	/* members of instance kept out of detail; NULL: all of them */
	const char *const *instance_mapped;
};

/* The fields of the lookup answer {"job":{id, ..., instance{id,name}}}. */
extern const struct provider_job_fields provider_job_lookup_fields;

/*
 * A progress value: "60%", "60", "60.5%" or a JSON number, clamped to
 * 0..100; TASK_PROGRESS_NONE for null, "", absent or garbage.
 */
int provider_progress(const struct json *v);
/* A timestamp string via util_parse_time; TASK_TIME_NONE if unusable. */
int64_t provider_time(const struct json *v, int default_offset_s);
/* A copy of a string member, or NULL if absent, not a string (or empty). */
char *provider_str(const struct json *obj, const char *key, int empty_ok);
/*
 * Take the digest of obj's text into t (id and cluster_id already set);
 * 1 if ctx says the table holds that record: t is then marked unchanged
 * and the rest of it need not be filled.  obj must be an object of a
 * document whose text the caller still holds.
 */
int provider_unchanged(
    const struct provider_ctx *ctx, const struct json *obj, struct task *t);
/*
 * The members of obj whose keys are not in mapped (NULL-terminated), as
 * compact JSON object text; NULL when there are none.
 */
char *provider_detail(const struct json *obj, const char *const *mapped);
/* The error code of an error body (Huawei or Alibaba shape), or NULL. */
char *apierr_code(const char *body, size_t len);

/*
 * A timestamp that may be a date string (as provider_time) or epoch time as
 * a number or numeric string: milliseconds from 10^11 on, seconds from
 * 2000-01-01 up to that; TASK_TIME_NONE for anything else.
 */
int64_t provider_time_any(const struct json *v, int default_offset_s);
/* Add the members of obj not in mapped to *w, opening it if NULL. */
void provider_detail_add(
    struct json_writer **w, const struct json *obj, const char *const *mapped);
/* Close and free a detail writer: its object text, or NULL if w is NULL. */
char *provider_detail_finish(struct json_writer *w);
/* Nesting depth of a value: 0 for a scalar, 1 + the deepest member. */
int provider_json_depth(const struct json *v);
/*
 * Decode JSON carried inside a string: a tree (caller json_frees) when text
 * is an object or array nested at most max_depth deep; NULL otherwise.
 */
struct json *provider_json_decode(const char *text, int max_depth);
/*
 * Parse a 2xx answer's body as a JSON object; NULL with *cause: the
 * classifier's message for another status, else "what response: ...".
 */
struct json *provider_parse_object(
    const char *what, long status, const char *body, size_t len, char **cause);
/* A failed answer as a cause: the classifier's one-line message. */
char *provider_http_cause(long status, const char *body, size_t len);
/* 1 if an error body carries an API-gateway code (APIG.*: no such API). */
int provider_apig_error(const char *body, size_t len);
/*
 * Start a path "/{version}/{project_id}" (percent-encoded) in b, capped at
 * PROVIDER_PATH_MAX; -1 with *cause when the account has no project_id.
 */
int provider_project_path(const struct provider_ctx *ctx, const char *api,
    const char *version, struct buf *b, char **cause);
/*
 * The total a page announces in root's key, a number or numeric string:
 * *total is -1 when absent or null.  -1 with *cause when it is anything
 * else or negative.
 */
int provider_total(const struct json *root, const char *key, const char *what,
    int64_t *total, char **cause);
/*
 * Account for a page of n rows of the cursor's scope: seen grows by n,
 * offset by n (rows) or 1 (page_index), total is the announced one (-1:
 * none).  1 when the scope is finished: total reached, an empty page, a
 * short page without a total, or offset past max_offset.
 */
int provider_page(const char *api, struct provider_cursor *c, size_t n,
    int64_t total, size_t limit, int page_index, uint64_t max_offset);
/* Move to the next scope (offset, seen, total reset); done after the last. */
void provider_next_scope(struct provider_cursor *c, size_t nscopes);
/*
 * Fill t from a job object; -1 (t left for the caller to clear) when it is
 * not an object or has no string id and must be skipped.  With listing, a
 * record the table holds unchanged (provider_unchanged) gets its key alone.
 */
int provider_job_fill(const struct provider_ctx *ctx, const struct json *job,
    const struct provider_job_fields *f, int listing, struct task *t);
/* Describe the Huawei single-job lookup "/v3/{project}/jobs?id=". */
int provider_job_lookup_req(const struct provider_ctx *ctx,
    const struct task *t, const char *api, struct sign_req *req, char **cause);
/* A GET of the path built in b (freed), accepting JSON. */
void provider_req_get(struct sign_req *req, struct buf *b);
/* Add a query parameter with a decimal value. */
void provider_req_add_uint(struct sign_req *req, const char *name, uint64_t v);
/*
 * Parse a single-job lookup answer {"job":{...}}: 404 is gone unless it is
 * the API gateway's, 200 without a job object is gone, other statuses and
 * unusable bodies are -1 with *cause.
 */
int provider_job_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, const char *what, int *found,
    struct task *out, char **cause);

/* Take back the task just added to out (it could not be filled): clear it. */
void provider_drop_last(struct task_list *out);

/* A Huawei job listing, paged by row offset, for provider_job_list_parse. */
struct provider_job_list {
	const char *api;  /* "dds.jobs": for the log */
	const char *what; /* "DDS": for causes */
	const char *key;  /* the member holding the array of jobs */
	const struct provider_job_fields *fields;
	size_t limit;        /* rows per page */
	uint64_t max_offset; /* stop a server that never ends */
};

/*
 * Parse one page of a Huawei job listing {key:[job, ...], total_count}:
 * append its jobs (skipping those provider_job_fill refuses) and move the
 * cursor on; a missing total_count lets a short page end the listing.  A
 * missing or null array is an empty page unless total_count announces rows
 * from the cursor's offset on.
 */
int provider_job_list_parse(const struct provider_ctx *ctx,
    const struct provider_job_list *l, long status, const char *body,
    size_t len, struct task_list *out, struct provider_cursor *cursor,
    char **cause);

#endif
