/*
 * Cluster discovery (see discover.h): one row per list-clusters call, with
 * its request builder and the member names its answers use, so that another
 * API's discovery is one more row.  The parser is shared: the clusters are
 * an array (or, as E-HPC 1.0 writes it, an object wrapping the array),
 * paged by page number with a total, or a single page.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "discover.h"
#include "json.h"
#include "provider_impl.h"
#include "util.h"
#include "xmalloc.h"

#define DISCOVER_ID_MAX 128 /* as a literal cluster id in the config */

/* A bit per enum config_api, for a row's apis. */
#define DISCOVER_API(a) (1U << (a))

struct discover_api {
	const char *name; /* "DWS ListClusters": for messages */
	const char *what; /* "DWS": names the answer in causes */
	unsigned apis;    /* DISCOVER_API() of the watch APIs it serves */
	int (*req)(const struct provider_ctx *, const struct discover_cursor *,
	    struct sign_req *, char **);
	const char *list;    /* the member holding the clusters */
	const char *wrapper; /* list may be {wrapper: [...]}; NULL: no */
	const char *id;      /* a cluster's id member */
	const char *cname;   /* and its name member */
	const char *total;   /* the member counting them all; NULL: none */
	size_t page_size;    /* per page; 0: one page holds them all */
	uint64_t max_pages;  /* stop a server that never ends */
	/*
	 * Clusters whose version member starts with other_prefix belong to
	 * another generation: counted, not polled, named with other_hint.
	 */
	const char *version;
	const char *other_prefix;
	const char *other_hint;
};

/* DWS ListClusters: GET /v1.0/{project_id}/clusters, one page. */
static int
discover_dws_req(const struct provider_ctx *ctx,
    const struct discover_cursor *cursor, struct sign_req *req, char **cause)
{
	struct buf b;

	if (provider_project_path(ctx, "DWS ListClusters", "v1.0", &b, cause) ==
	    -1)
		return -1;
	if (buf_puts(&b, "/clusters") == -1) {
		buf_free(&b);
		*cause = xstrdup("DWS ListClusters: request path too long");
		return -1;
	}
	provider_req_get(req, &b);
	return 0;
}

/* E-HPC 1.0 ListClusters (2018-04-12, RPC), the cursor's page of 50. */
static int
discover_ehpc_req(const struct provider_ctx *ctx,
    const struct discover_cursor *cursor, struct sign_req *req, char **cause)
{
	const char *region = ctx->account != NULL ? ctx->account->region : NULL;

	if (util_empty(region)) {
		*cause =
		    xstrdup("E-HPC ListClusters: the account has no region");
		return -1;
	}
	sign_req_add_header(req, "Accept", "application/json");
	sign_req_add_query(req, "Action", "ListClusters");
	sign_req_add_query(req, "Version", "2018-04-12");
	sign_req_add_query(req, "Format", "JSON");
	sign_req_add_query(req, "RegionId", region);
	provider_req_add_uint(req, "PageNumber", cursor->page + 1);
	provider_req_add_uint(req, "PageSize", 50);
	return 0;
}

/* E-HPC 2.0 ListClusters (2024-07-30, RPC): a POST signed ACS3. */
static int
discover_ehpc2_req(const struct provider_ctx *ctx,
    const struct discover_cursor *cursor, struct sign_req *req, char **cause)
{
	const char *region = ctx->account != NULL ? ctx->account->region : NULL;

	if (util_empty(region)) {
		*cause = xstrdup(
		    "E-HPC 2.0 ListClusters: the account has no region");
		return -1;
	}
	free(req->method);
	req->method = xstrdup("POST");
	req->acs3 = 1;
	sign_req_add_header(req, "Accept", "application/json");
	sign_req_add_query(req, "Action", "ListClusters");
	sign_req_add_query(req, "Version", "2024-07-30");
	sign_req_add_query(req, "RegionId", region);
	provider_req_add_uint(req, "PageNumber", cursor->page + 1);
	provider_req_add_uint(req, "PageSize", 100);
	return 0;
}

/* The list-clusters calls. */
static const struct discover_api discover_apis[] = {
	{ .name = "DWS ListClusters",
	    .what = "DWS",
	    .apis = DISCOVER_API(CONFIG_API_DWS_ACTIONS) |
		DISCOVER_API(CONFIG_API_DWS_LOGICAL),
	    .req = discover_dws_req,
	    .list = "clusters",
	    .id = "id",
	    .cname = "name",
	    .total = "count",
	    .page_size = 0,
	    .max_pages = 1 },
	{ .name = "E-HPC ListClusters",
	    .what = "E-HPC",
	    .apis = DISCOVER_API(CONFIG_API_EHPC_TASKS),
	    .req = discover_ehpc_req,
	    .list = "Clusters",
	    .wrapper = "ClusterInfoSimple",
	    .id = "Id",
	    .cname = "Name",
	    .total = "TotalCount",
	    .page_size = 50,
	    .max_pages = 200,
	    .version = "EhpcVersion",
	    .other_prefix = "2.",
	    .other_hint =
		"E-HPC 2.0 clusters, which ListTasks (E-HPC 1.0) "
		"cannot watch: watch them with api: ehpc.operations" },
	{ .name = "E-HPC 2.0 ListClusters",
	    .what = "E-HPC",
	    .apis = DISCOVER_API(CONFIG_API_EHPC_OPERATIONS),
	    .req = discover_ehpc2_req,
	    .list = "Clusters",
	    .id = "ClusterId",
	    .cname = "ClusterName",
	    .total = "TotalCount",
	    .page_size = 100,
	    .max_pages = 200,
	    .version = "EhpcVersion",
	    .other_prefix = "1.",
	    .other_hint =
		"E-HPC 1.0 clusters, which ListCommonLogs (E-HPC "
		"2.0) cannot watch: watch them with api: ehpc.tasks" },
};

#define DISCOVER_NAPIS (sizeof(discover_apis) / sizeof(discover_apis[0]))

/* The call that lists the clusters of api's watches; NULL if none. */
const struct discover_api *
discover_find(enum config_api api)
{
	size_t i;

	for (i = 0; i < DISCOVER_NAPIS; i++) {
		if ((int)api >= 0 && api < 32 &&
		    (discover_apis[i].apis & DISCOVER_API(api)))
			return &discover_apis[i];
	}
	return NULL;
}

/* The call's name for messages. */
const char *
discover_name(const struct discover_api *da)
{
	return da->name;
}

/* Describe the request for the cursor's page. */
int
discover_req(const struct discover_api *da, const struct provider_ctx *ctx,
    const struct discover_cursor *cursor, struct sign_req *req, char **cause)
{
	return da->req(ctx, cursor, req, cause);
}

/* 1 if id can be a cluster id: 1-128 letters, digits, '.', '_', '-'. */
int
discover_id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;
	const char *s;

	if (n == 0 || n > DISCOVER_ID_MAX)
		return 0;
	for (s = id; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("._-", *s) != NULL))
			return 0;
	}
	return 1;
}

/* 1 if a cluster name matches one of globs, or globs is empty. */
int
discover_name_matches(const struct config_strlist *globs, const char *name)
{
	size_t i;

	if (globs == NULL || globs->n == 0)
		return 1;
	for (i = 0; i < globs->n; i++) {
		if (fnmatch(globs->v[i], name != NULL ? name : "", 0) == 0)
			return 1;
	}
	return 0;
}

/* The cluster with id in l, or NULL. */
struct discover_cluster *
discover_list_find(const struct discover_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	}
	return NULL;
}

/* Append a copy of (id, name) to l. */
void
discover_list_add(struct discover_list *l, const char *id, const char *name)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].id = xstrdup(id);
	l->v[l->n].name = xstrdup(name != NULL ? name : "");
	l->n++;
}

/* Free the clusters of l and zero it. */
void
discover_list_clear(struct discover_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].name);
	}
	free(l->v);
	free(l->other_first);
	memset(l, 0, sizeof(*l));
}

/*
 * The array of clusters in root: list as an array, or as an object
 * wrapping it.  *arr is NULL for an empty page: a missing or null list
 * is one only when the total is missing or says there are no more.
 * -1 with *cause for anything else.
 */
static int
discover_array(const struct discover_api *da, const struct json *root,
    int64_t total, uint64_t seen, const struct json **arr, char **cause)
{
	const struct json *l = json_get(root, da->list), *inner;

	*arr = NULL;
	if (json_type(l) == JSON_ARRAY) {
		*arr = l;
		return 0;
	}
	if (json_type(l) == JSON_OBJECT && da->wrapper != NULL) {
		inner = json_get(l, da->wrapper);
		if (json_type(inner) == JSON_ARRAY) {
			*arr = inner;
			return 0;
		}
		if (inner == NULL || json_type(inner) == JSON_NULL)
			return 0;
		*cause = xasprintf("%s response has an invalid %s.%s", da->what,
		    da->list, da->wrapper);
		return -1;
	}
	if ((l == NULL || json_type(l) == JSON_NULL) &&
	    (total < 0 || (uint64_t)total <= seen))
		return 0;
	if (l == NULL || json_type(l) == JSON_NULL)
		*cause = xasprintf("%s response has no %s list but a %s of "
				   "%lld",
		    da->what, da->list, da->total, (long long)total);
	else
		*cause = xasprintf(
		    "%s response has an invalid %s", da->what, da->list);
	return -1;
}

/* Add the clusters of arr to out; those without a usable id are skipped. */
static void
discover_add_all(const struct discover_api *da, const struct json *arr,
    struct discover_list *out)
{
	const struct json *c;
	const char *id, *name, *v;
	size_t i, n = json_len(arr);

	for (i = 0; i < n; i++) {
		c = json_at(arr, i);
		id = json_get_str(c, da->id);
		name = json_get_str(c, da->cname);
		if (json_type(c) != JSON_OBJECT || !discover_id_ok(id)) {
			out->skipped++;
			continue;
		}
		if (da->version != NULL &&
		    (v = json_get_str(c, da->version)) != NULL &&
		    strncmp(v, da->other_prefix, strlen(da->other_prefix)) ==
			0) {
			if (out->other++ == 0)
				out->other_first = xstrdup(id);
			out->other_hint = da->other_hint;
			continue;
		}
		if (discover_list_find(out, id) == NULL)
			discover_list_add(out, id, name);
	}
}

/* Parse one answer: append its clusters and move the cursor on. */
int
discover_parse(const struct discover_api *da, long status, const char *body,
    size_t len, struct discover_list *out, struct discover_cursor *cursor,
    char **cause)
{
	const struct json *arr;
	struct json *root;
	int64_t total = -1;
	size_t n;

	if ((root = provider_parse_object(
		 da->what, status, body, len, cause)) == NULL)
		return -1;
	if ((da->total != NULL &&
		provider_total(root, da->total, da->what, &total, cause) ==
		    -1) ||
	    discover_array(da, root, total, cursor->seen, &arr, cause) == -1) {
		json_free(root);
		return -1;
	}
	n = arr != NULL ? json_len(arr) : 0;
	discover_add_all(da, arr, out);
	json_free(root);
	cursor->seen += n;
	cursor->page++;
	if (da->page_size == 0 || n == 0 ||
	    (total >= 0 && cursor->seen >= (uint64_t)total) ||
	    (total < 0 && n < da->page_size) || cursor->page >= da->max_pages)
		cursor->done = 1;
	return 0;
}
