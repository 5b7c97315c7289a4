/*
 * dws.actions: DWS cluster actions (snapshots, restores, resizes).  Each
 * scope is one cluster and one action name; the answer is that action or
 * 404 when the cluster has none, and the list call is the only lookup.
 * Sub-item details carry JSON inside a string inside a string: both levels
 * are decoded into the task's detail, and read for progress and reason.
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

/* Depth of a sub-item in the detail: {items:[{sub_items:[{ */
#define DWS_ACTIONS_SUB_DEPTH 5

static const char *const dws_actions_all[] = { "GROWING", "RESIZE_FAILURE",
	"RESTORING", "RESTORING_FAILED", "SNAPSHOTTING", "SNAPSHOTTING_FAILED",
	"FINE_GRAINED_RESTORING", "FINE_GRAINED_RESTORING_FAILED" };

/* Not "id": it is kept in the detail (see dws_actions_key). */
static const char *const dws_actions_mapped[] = { "action_name", "status",
	"cluster_name", "submit_time", "items", NULL };

/* What the sub-items say, gathered while their details are decoded. */
struct dws_actions_scan {
	int tz;               /* offset for zone-less times */
	int progress_running; /* of the last RUNNING sub-item */
	int progress_last;    /* of the last sub-item with one */
	char *reason_failed;  /* of the last failing sub-item with one */
	char *reason_last;    /* of the last sub-item with one */
	char *names_failed;   /* item and sub-item names of the last failing */
	char *names_last;     /* item and sub-item names of the last one */
	const struct json *item; /* borrowed: the item being walked */
	int64_t end_last;        /* the last actionEndTime */
};

/* One scope: a cluster and an action name. */
struct dws_actions_where {
	const char *cluster;
	const char *action;
	size_t nscopes;
};

/*
 * Resolve the cursor's scope: clusters times actions (all eight when the
 * watch names none), cluster-major.  -1 with *cause past the last scope.
 */
static int
dws_actions_scope(const struct provider_ctx *ctx, size_t scope,
    struct dws_actions_where *where, char **cause)
{
	const struct config_watch *w = ctx->watch;
	size_t nact;

	if (w == NULL || w->clusters.n == 0) {
		*cause = xstrdup("dws.actions: the watch has no clusters");
		return -1;
	}
	nact = w->actions.n > 0
	    ? w->actions.n
	    : sizeof(dws_actions_all) / sizeof(dws_actions_all[0]);
	if (w->clusters.n > SIZE_MAX / nact || scope >= w->clusters.n * nact) {
		*cause = xstrdup("dws.actions: listing past its scopes");
		return -1;
	}
	where->nscopes = w->clusters.n * nact;
	where->cluster = w->clusters.v[scope / nact];
	if (w->actions.n > 0)
		where->action = w->actions.v[scope % nact];
	else
		where->action = dws_actions_all[scope % nact];
	return 0;
}

/* scope_key: "cluster/ACTION", cluster-major like the listing. */
static int
dws_actions_scope_key(const struct config_watch *w, size_t i, char **key)
{
	struct provider_ctx ctx;
	struct dws_actions_where where;
	char *cause = NULL;

	memset(&ctx, 0, sizeof(ctx));
	ctx.watch = w;
	if (dws_actions_scope(&ctx, i, &where, &cause) == -1) {
		free(cause);
		return -1;
	}
	*key = xasprintf("%s/%s", where.cluster, where.action);
	return 0;
}

/* Describe the request for the cursor's cluster and action. */
static int
dws_actions_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct sign_req *req, char **cause)
{
	struct dws_actions_where where;
	struct buf b;

	if (dws_actions_scope(ctx, cursor->scope, &where, cause) == -1)
		return -1;
	if (provider_project_path(ctx, "dws.actions", "v1", &b, cause) == -1)
		return -1;
	if (buf_puts(&b, "/clusters/") == -1 ||
	    util_urlencode(&b, where.cluster) == -1 ||
	    buf_puts(&b, "/actions/") == -1 ||
	    util_urlencode(&b, where.action) == -1) {
		buf_free(&b);
		*cause = xstrdup("dws.actions: request path too long");
		return -1;
	}
	provider_req_get(req, &b);
	sign_req_add_header(req, "X-Language", "en-us");
	return 0;
}

/* A string member worth reporting: not empty, blank or "N/A"; else NULL. */
static char *
dws_actions_word(const struct json *obj, const char *key)
{
	const char *s, *e;
	int64_t n;

	if (json_type(json_get(obj, key)) == JSON_NUMBER &&
	    json_int(json_get(obj, key), 0, &n) == 0)
		return xasprintf("%lld", (long long)n);
	if ((s = json_get_str(obj, key)) == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if (e == s || ((size_t)(e - s) == 3 && strncasecmp(s, "N/A", 3) == 0))
		return NULL;
	return xstrndup(s, (size_t)(e - s));
}

/*
 * The reason a progress-info object gives: "failedStep=S errorCode=C: msg",
 * each part left out when empty or N/A; NULL when all are.
 */
static char *
dws_actions_reason(const struct json *info)
{
	char *step, *code, *msg;
	struct buf b;

	step = dws_actions_word(info, "failedStep");
	code = dws_actions_word(info, "errorCode");
	msg = dws_actions_word(info, "errorMsg");
	buf_init(&b, 0);
	if (step != NULL)
		buf_printf(&b, "failedStep=%s", step);
	if (code != NULL)
		buf_printf(&b, "%serrorCode=%s", b.len > 0 ? " " : "", code);
	if (msg != NULL)
		buf_printf(&b, "%s%s", b.len > 0 ? ": " : "", msg);
	free(step);
	free(code);
	free(msg);
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_release(&b);
}

/*
 * "item_name: sub_item_name" of a sub-item of the item being walked, each
 * part left out when empty or N/A; NULL when both are.
 */
static char *
dws_actions_names(const struct json *sub, struct dws_actions_scan *sc)
{
	char *item, *name, *s;

	item = dws_actions_word(sc->item, "item_name");
	name = dws_actions_word(sub, "sub_item_name");
	if (item != NULL && name != NULL)
		s = xasprintf("%s: %s", item, name);
	else
		s = xstrdup(item != NULL ? item : name);
	free(item);
	free(name);
	return s;
}

/*
 * Record a sub-item's names, the reason of last resort: they say which
 * step failed when its detail has no error fields.
 */
static void
dws_actions_sub_names(const struct json *sub, struct dws_actions_scan *sc)
{
	const char *status = json_get_str(sub, "status");
	char *names;

	if ((names = dws_actions_names(sub, sc)) == NULL)
		return;
	if (status != NULL && strcasestr(status, "FAIL") != NULL) {
		free(sc->names_failed);
		sc->names_failed = xstrdup(names);
	}
	free(sc->names_last);
	sc->names_last = names;
}

/* Record what one decoded progress-info object says. */
static void
dws_actions_info(
    const struct json *info, const char *status, struct dws_actions_scan *sc)
{
	char *reason;
	int progress;
	int64_t end;

	progress = provider_progress(json_get(info, "progress"));
	if (progress != TASK_PROGRESS_NONE) {
		sc->progress_last = progress;
		if (status != NULL && strcasecmp(status, "RUNNING") == 0)
			sc->progress_running = progress;
	}
	if ((reason = dws_actions_reason(info)) != NULL) {
		if (status != NULL && strcasestr(status, "FAIL") != NULL) {
			free(sc->reason_failed);
			sc->reason_failed = xstrdup(reason);
		}
		free(sc->reason_last);
		sc->reason_last = reason;
	}
	end = provider_time(json_get(info, "actionEndTime"), sc->tz);
	if (end != TASK_TIME_NONE)
		sc->end_last = end;
}

/*
 * Write obj member by member, the value of each member named key through
 * fn (with arg) instead of as it is; anything but an object as it is.
 */
static void
dws_actions_w_object(struct json_writer *w, const struct json *obj,
    const char *key,
    void (*fn)(struct json_writer *, const struct json *, void *), void *arg)
{
	const char *k;
	size_t i, n;

	if (json_type(obj) != JSON_OBJECT) {
		json_w_value(w, obj);
		return;
	}
	json_w_obj_open(w);
	n = json_len(obj);
	for (i = 0; i < n; i++) {
		if ((k = json_key_at(obj, i)) == NULL)
			continue;
		json_w_key(w, k);
		if (strcmp(k, key) == 0)
			fn(w, json_at(obj, i), arg);
		else
			json_w_value(w, json_at(obj, i));
	}
	json_w_obj_close(w);
}

/* Write list's elements through fn (with arg); anything else as it is. */
static void
dws_actions_w_list(struct json_writer *w, const struct json *list,
    void (*fn)(struct json_writer *, const struct json *, void *), void *arg)
{
	size_t i;

	if (json_type(list) != JSON_ARRAY) {
		json_w_value(w, list);
		return;
	}
	json_w_arr_open(w);
	for (i = 0; i < json_len(list); i++)
		fn(w, json_at(list, i), arg);
	json_w_arr_close(w);
}

/* A sub-item's detail, decoded: d1, and its progressInfo d2 (or NULL). */
struct dws_actions_detail {
	const struct json *d1;
	const struct json *d2;
};

/* Write the decoded progressInfo (arg points to it) in place of v. */
static void
dws_actions_info_cb(struct json_writer *w, const struct json *v, void *arg)
{
	const struct json **d2 = arg;

	json_w_value(w, *d2);
}

/*
 * Write a sub-item's detail d1 (decoded, or as sent when it is not JSON)
 * with its progressInfo replaced by d2 when that level was decoded too.
 */
static void
dws_actions_detail_cb(struct json_writer *w, const struct json *v, void *arg)
{
	struct dws_actions_detail *d = arg;

	if (d->d2 == NULL)
		json_w_value(w, d->d1);
	else
		dws_actions_w_object(
		    w, d->d1, "progressInfo", dws_actions_info_cb, &d->d2);
}

/*
 * Write one sub-item with its detail decoded, and scan it (arg: the scan).
 * A level that is not JSON (or would nest too deep) stays as the text it
 * was.
 */
static void
dws_actions_sub_item_cb(
    struct json_writer *w, const struct json *sub, void *arg)
{
	struct dws_actions_scan *sc = arg;
	struct json *own1 = NULL, *own2 = NULL;
	struct dws_actions_detail dd;
	const struct json *d, *pi, *info;

	if (json_type(sub) != JSON_OBJECT) {
		json_w_value(w, sub);
		return;
	}
	d = dd.d1 = json_get(sub, "detail");
	if (json_type(d) == JSON_STRING &&
	    (own1 = provider_json_decode(
		 json_str(d), JSON_MAX_DEPTH - DWS_ACTIONS_SUB_DEPTH)) != NULL)
		dd.d1 = own1;
	info = pi = json_get(dd.d1, "progressInfo");
	if (json_type(pi) == JSON_STRING &&
	    (own2 = provider_json_decode(json_str(pi),
		 JSON_MAX_DEPTH - DWS_ACTIONS_SUB_DEPTH - 1)) != NULL)
		info = own2;
	if (json_type(info) == JSON_OBJECT)
		dws_actions_info(info, json_get_str(sub, "status"), sc);
	dws_actions_sub_names(sub, sc);

	dd.d2 = own2;
	dws_actions_w_object(w, sub, "detail", dws_actions_detail_cb, &dd);
	json_free(own2);
	json_free(own1);
}

/* Write an item's sub_items decoded (arg: the scan), if they are a list. */
static void
dws_actions_subs_cb(struct json_writer *w, const struct json *subs, void *arg)
{
	dws_actions_w_list(w, subs, dws_actions_sub_item_cb, arg);
}

/* Write an item with its sub-items decoded (arg: the scan). */
static void
dws_actions_item_cb(struct json_writer *w, const struct json *item, void *arg)
{
	struct dws_actions_scan *sc = arg;

	sc->item = item;
	dws_actions_w_object(w, item, "sub_items", dws_actions_subs_cb, arg);
	sc->item = NULL;
}

/*
 * The action an action name is the failure of: X_FAILED is X, and
 * RESIZE_FAILURE the failure of a resize, which DWS shows as GROWING
 * (there is no RESIZE action).  NULL: a name that is its own base.
 */
static const char *
dws_actions_base_type(const char *type)
{
	static const struct {
		const char *failed;
		const char *base;
	} map[] = {
		{ "RESIZE_FAILURE", "GROWING" },
		{ "RESTORING_FAILED", "RESTORING" },
		{ "SNAPSHOTTING_FAILED", "SNAPSHOTTING" },
		{ "FINE_GRAINED_RESTORING_FAILED", "FINE_GRAINED_RESTORING" },
	};
	size_t i;

	for (i = 0; type != NULL && i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcasecmp(type, map[i].failed) == 0)
			return map[i].base;
	}
	return NULL;
}

/*
 * The task key of an action: its base action name and submit time,
 * "SNAPSHOTTING@2025-05-19T09:05:10Z" for both SNAPSHOTTING and
 * SNAPSHOTTING_FAILED of that run.  The API calls the id "a randomly
 * generated UUID" of the response: should it change from one answer to the
 * next, a key on it would make the action vanish and appear anew on every
 * poll, and its RUNNING -> FAILED would never be seen.  The id stays in the
 * detail.  An action without a submit time is keyed by its id, as before.
 */
static char *
dws_actions_key(const struct json *root, const char *type, int64_t started_at)
{
	const char *base = dws_actions_base_type(type);
	char *key;

	if ((key = task_run_key(base != NULL ? base : type, started_at)) !=
	    NULL)
		return key;
	return provider_str(root, "id", 0);
}

/*
 * The reason for t, taken from *failed (a failing sub-item's) or else from
 * *last unless t is waiting, running or succeeded; the one taken is
 * cleared, NULL when neither applies.
 */
static char *
dws_actions_pick(const struct task *t, char **failed, char **last)
{
	char *s = NULL;

	if (*failed != NULL) {
		s = *failed;
		*failed = NULL;
	} else if (*last != NULL && t->state != TASK_PENDING &&
	    t->state != TASK_RUNNING && t->state != TASK_SUCCEEDED) {
		s = *last;
		*last = NULL;
	}
	return s;
}

/*
 * Fill t from an action object.  Progress: the last RUNNING sub-item's,
 * else the last one's that has any.  Reason: the last failing sub-item's
 * (status containing FAIL), else the last one's unless the action itself
 * is waiting, running or succeeded; when no detail has error fields, the
 * item and sub-item names, chosen the same way.  ended_at: the last
 * actionEndTime, only once the action is in a terminal state.
 */
static void
dws_actions_fill(const struct provider_ctx *ctx, const struct json *root,
    const struct dws_actions_where *where, struct task *t)
{
	struct dws_actions_scan sc;
	struct json_writer *w = NULL;
	const struct json *items;

	memset(&sc, 0, sizeof(sc));
	sc.progress_running = sc.progress_last = TASK_PROGRESS_NONE;
	sc.end_last = TASK_TIME_NONE;
	if (ctx->watch != NULL)
		sc.tz = ctx->watch->timezone_offset_s;

	if ((t->type = provider_str(root, "action_name", 0)) == NULL)
		t->type = xstrdup(where->action);
	t->cluster_id = xstrdup(where->cluster);
	t->cluster_name = provider_str(root, "cluster_name", 1);
	if ((t->raw_status = provider_str(root, "status", 1)) == NULL)
		t->raw_status = xstrdup("");
	t->state = task_state_from_raw(t->raw_status);
	t->started_at = provider_time(json_get(root, "submit_time"), sc.tz);
	t->id = dws_actions_key(root, t->type, t->started_at);

	provider_detail_add(&w, root, dws_actions_mapped);
	if ((items = json_get(root, "items")) != NULL) {
		if (w == NULL) {
			w = json_writer_new();
			json_w_obj_open(w);
		}
		json_w_key(w, "items");
		dws_actions_w_list(w, items, dws_actions_item_cb, &sc);
	}
	t->detail = provider_detail_finish(w);

	t->progress = sc.progress_running != TASK_PROGRESS_NONE
	    ? sc.progress_running
	    : sc.progress_last;
	t->reason = dws_actions_pick(t, &sc.reason_failed, &sc.reason_last);
	if (t->reason == NULL)
		t->reason =
		    dws_actions_pick(t, &sc.names_failed, &sc.names_last);
	if (task_state_terminal(t->state))
		t->ended_at = sc.end_last;
	free(sc.reason_failed);
	free(sc.reason_last);
	free(sc.names_failed);
	free(sc.names_last);
}

/* 1 if a body is empty or only blanks. */
static int
dws_actions_blank(const char *body, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			return 0;
	}
	return 1;
}

/* 1 if a member is missing, null or "". */
static int
dws_actions_unset(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return json_type(v) == JSON_NULL ||
	    (json_type(v) == JSON_STRING && *json_str(v) == '\0');
}

/*
 * Parse the answer for one cluster and action, then move to the next
 * scope.  Absent (no task): an error answer the watch's absent_status
 * names (by default a 404) that is not the API gateway's, or a 200 that
 * is null or an object with neither id nor status.  An empty 200 is
 * unusable (-1), as is an object with a status but no string id: there is
 * no lookup, so reading either as absent would make a task vanish.
 */
static int
dws_actions_list_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, struct task_list *out,
    struct provider_cursor *cursor, char **cause)
{
	struct dws_actions_where where;
	struct json *root;
	char *why = NULL;

	if (dws_actions_scope(ctx, cursor->scope, &where, cause) == -1)
		return -1;
	if (status < 200 || status > 299) {
		/* An error answer the watch's absent_status names. */
		if (provider_apig_error(body, len)) {
			*cause = provider_http_cause(status, body, len);
			return -1;
		}
		provider_next_scope(cursor, where.nscopes);
		return 0;
	}
	if (dws_actions_blank(body, len)) {
		*cause =
		    xasprintf("DWS action %s of cluster %s: empty response",
			where.action, where.cluster);
		return -1;
	}
	if ((root = json_parse(body, len, &why)) == NULL) {
		*cause = xasprintf("DWS response: %s", why);
		free(why);
		return -1;
	}
	if (json_type(root) != JSON_OBJECT && json_type(root) != JSON_NULL) {
		json_free(root);
		*cause = xstrdup("DWS response is not a JSON object");
		return -1;
	}
	if (json_type(root) == JSON_NULL ||
	    (dws_actions_unset(root, "id") &&
		dws_actions_unset(root, "status"))) {
		json_free(root);
		provider_next_scope(cursor, where.nscopes);
		return 0;
	}
	if (json_get_str(root, "id") == NULL ||
	    *json_get_str(root, "id") == 0) {
		json_free(root);
		*cause = xasprintf("DWS action %s of cluster %s has no id",
		    where.action, where.cluster);
		return -1;
	}
	dws_actions_fill(ctx, root, &where, task_list_add(out));
	json_free(root);
	provider_next_scope(cursor, where.nscopes);
	return 0;
}

const struct provider provider_dws_actions = {
	.name = "dws.actions",
	.api = CONFIG_API_DWS_ACTIONS,
	.scope_errors = 1,
	.list_req = dws_actions_list_req,
	.list_parse = dws_actions_list_parse,
	.lookup_req = NULL,
	.lookup_parse = NULL,
	.scope_key = dws_actions_scope_key,
	.base_type = dws_actions_base_type,
	.replaces = 1,
};
