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
#include "task.h"

#define PROVIDER_MAX_HEADERS 8

enum provider_errclass {
	PROVIDER_ERR_NETWORK,
	PROVIDER_ERR_HTTP,
	PROVIDER_ERR_AUTH,
	PROVIDER_ERR_THROTTLED,
	PROVIDER_ERR_PARSE,
	PROVIDER_ERR_CONFIG, /* the config is wrong: a default endpoint's
				host (built from the region) does not exist */
};

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

/* A request description: the caller adds the endpoint base, auth and sends. */
struct provider_req {
	const char *service; /* endpoint key: "dds", "dws", ... */
	const char *method;  /* static string */
	char *path_query;    /* "/v3.1/{project}/jobs?...", owned */
	const char *headers[PROVIDER_MAX_HEADERS + 1]; /* static "Name: v" */
};

struct provider {
	const char *name; /* "dds.jobs" */
	enum config_api api;
	/* HTTP status meaning "nothing here" (parsed as empty), 0 if none. */
	long absent_status;
	/* Describe the request for the cursor's position; -1 with *cause. */
	int (*list_req)(const struct provider_ctx *,
	    const struct provider_cursor *, struct provider_req *,
	    char **cause);
	/*
	 * Parse one page (status 2xx or absent_status): append tasks to out
	 * and advance the cursor, setting done after the last page of the
	 * last scope.  -1 with *cause (caller frees) if the body is unusable.
	 */
	int (*list_parse)(const struct provider_ctx *, long status,
	    const char *body, size_t len, struct task_list *out,
	    struct provider_cursor *, char **cause);
	/* Describe the single-task lookup; NULL when the API has none. */
	int (*lookup_req)(const struct provider_ctx *, const struct task *,
	    struct provider_req *, char **cause);
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
/* Free a request description's owned parts; it may be reused afterwards. */
void provider_req_clear(struct provider_req *req);
/*
 * Classify a non-2xx answer from its status and body (Huawei error_code /
 * error_msg, {"error":{code,message}}, Alibaba Code/Message or plain text):
 * 401/403/407 and signature codes are auth, 429 / APIG.0308 / Throttling*
 * are throttled, the rest http.  *msg gets "HTTP 500 DBS.200001: text"
 * (caller frees), cut to a sane length and stripped of control characters.
 */
enum provider_errclass provider_classify(
    long status, const char *body, size_t len, char **msg);
/*
 * An answer whose Content-Type is text/html is no API's (a proxy's or a
 * login page): *msg gets "HTTP 502: got text/html — a proxy or login
 * page?" (caller frees; the body is never quoted) and the class is that
 * of the status (parse for 2xx and absent_status).  -1 when content_type
 * is not HTML.
 */
int provider_html_answer(long status, const char *content_type,
    enum provider_errclass *class, char **msg);
/*
 * Classify a transfer that got no usable answer: too_big is parse; a host
 * name that did not resolve (unresolved) is config when the account's
 * endpoint for service is the default built from its region, so *msg names
 * the region; everything else is network.  *msg gets a one-line message
 * from errmsg (may be NULL); caller frees.
 */
enum provider_errclass provider_classify_transfer(int too_big, int unresolved,
    const struct config_account *acct, const char *service, const char *errmsg,
    char **msg);
/* "network", "http", "auth", "throttled", "parse", "config". */
const char *provider_errclass_name(enum provider_errclass c);

#endif
