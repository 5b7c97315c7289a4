/*
 * Providers: one const vtable per task API, found by name.  A provider does
 * no I/O: it describes the next request of a listing, parses a response body
 * into task records, and (where the API has one) describes and parses the
 * single-task lookup used to confirm a task that left the listing.
 */
#ifndef PROVIDER_H
#define PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sign.h"
#include "task.h"

/*
 * What the provider sees of the world: the watch, the time, and whether a
 * record is one it already saw.  known (NULL: never) answers 1 when the
 * task table holds the task with id and cluster_id of t and t->digest:
 * the provider may then list it as unchanged instead of decoding it all
 * again, which is most of the work of a poll where little changed.
 */
struct provider_ctx {
	const struct config_watch *watch;     /* borrowed */
	const struct config_account *account; /* borrowed */
	int64_t now_ms;                       /* wall clock of this poll */
	int (*known)(void *arg, const struct task *t);
	void *known_arg;
};

/*
 * Where a listing is.  A listing walks scopes (clusters, cluster x action;
 * one scope for DDS) and pages within each scope.  Zeroed at the start.
 */
struct provider_cursor {
	size_t scope;    /* index of the current scope */
	uint64_t offset; /* rows (or page index) within the scope */
	uint64_t seen;   /* rows read so far in this scope */
	uint64_t total;  /* total the API announced for the scope */
	int done;        /* listing complete */
	/*
	 * A scope's announced total changed between its pages: rows moved
	 * while the listing was read, so a row may have been skipped and
	 * the listing cannot tell that a task is gone.
	 */
	int shifted;
};

struct provider {
	const char *name; /* "dds.jobs" */
	enum config_api api;
	/*
	 * A listing paged by row offset that announces its total: the rows
	 * a page asks for, and the last offset asked.  Once a page gave the
	 * total, the pages after it are asked for at once (the cursor of
	 * each is the one before it with offset and seen moved on).  0: the
	 * pages are read one after another.
	 */
	size_t page_rows;
	uint64_t page_max_offset;
	/*
	 * 1 when each scope is a request of its own (dws.actions: a cluster
	 * x action): an error answer or an unusable body for one scope
	 * leaves only that scope unread, and the poll fails only when no
	 * scope could be read.  0: any failure fails the poll.
	 */
	int scope_errors;
	/*
	 * Describe the request for the cursor's position in req (new: GET
	 * "/"): path, query parameters, headers.  The caller puts it under
	 * the account's endpoint for config_api_service(api), authenticates
	 * and sends it.  -1 with *cause.
	 */
	int (*list_req)(const struct provider_ctx *,
	    const struct provider_cursor *, struct sign_req *req, char **cause);
	/*
	 * Parse one page (status 2xx, or an error answer the watch's
	 * absent_status names: "nothing here"): append tasks to out
	 * and advance the cursor, setting done after the last page of the
	 * last scope.  -1 with *cause (caller frees) if the body is unusable.
	 */
	int (*list_parse)(const struct provider_ctx *, long status,
	    const char *body, size_t len, struct task_list *out,
	    struct provider_cursor *, char **cause);
	/* Describe the single-task lookup; NULL when the API has none. */
	int (*lookup_req)(const struct provider_ctx *, const struct task *,
	    struct sign_req *req, char **cause);
	/*
	 * Parse a lookup answer: *found = 1 and the record filled in out when
	 * the task still exists, *found = 0 when the API says it is gone;
	 * -1 with *cause when the answer is neither (then nothing vanishes).
	 */
	int (*lookup_parse)(const struct provider_ctx *, long status,
	    const char *body, size_t len, int *found, struct task *out,
	    char **cause);
	/*
	 * The name of the watch's scope at index i (caller frees), or -1
	 * past the last one.  NULL: the listing is one project-wide scope.
	 */
	int (*scope_key)(const struct config_watch *, size_t i, char **key);
	/*
	 * The action a task type is a run or an outcome of (DWS
	 * SNAPSHOTTING_FAILED: SNAPSHOTTING), a static string; NULL: the type
	 * is its own base.  Its success resolves the type's alerts.  Pure.
	 */
	const char *(*base_type)(const char *type);
	/*
	 * 1 when the API shows one task per cluster and action: a task that
	 * leaves the listing while a newer run of its base type is listed
	 * was replaced by it, not lost.
	 */
	int replaces;
};

/* The provider for an API; never NULL for a valid enum value. */
const struct provider *provider_find(enum config_api api);
/*
 * The name of scope i of a watch's listing (*key NULL for a project-wide
 * one; caller frees); -1 past the last scope.  A watch's tasks carry the
 * name of the scope they were listed in: its scopes are what a reload may
 * add or remove without touching the others.
 */
int provider_scope_key(const struct provider *p, const struct config_watch *w,
    size_t i, char **key);
/* Every scope name of a watch ("" project-wide), *n; free with the below. */
char **provider_scope_keys(
    const struct provider *p, const struct config_watch *w, size_t *n);
/* Free what provider_scope_keys returned. */
void provider_scope_keys_free(char **keys, size_t n);
/* The base type of a task type for p (see base_type): never NULL. */
const char *provider_base_type(const struct provider *p, const char *type);

#endif
