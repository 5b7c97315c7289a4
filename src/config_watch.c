/*
 * The watches section: what to poll (an API of an account, its scope) and
 * how often; and what a reload keeps of a watch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config_impl.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

const char *const config_api_names[] = { "dws.actions", "dws.logical_tasks",
	"dds.jobs", "gaussdb.tasks", "ehpc.tasks", NULL };

const char *const config_on_start_names[] = { "baseline", "report", NULL };

/* The DWS action names, in the order of cloud-apis.md section 1. */
static const char *const config_dws_actions[] = { "GROWING", "RESIZE_FAILURE",
	"RESTORING", "RESTORING_FAILED", "SNAPSHOTTING", "SNAPSHOTTING_FAILED",
	"FINE_GRAINED_RESTORING", "FINE_GRAINED_RESTORING_FAILED", NULL };

static const char *const config_watch_keys[] = { "name", "account", "api",
	"clusters", "actions", "interval", "timeout", "lookback", "stall_after",
	"fail_after", "on_start", "timezone", NULL };

/* Parse a watch's timezone: "UTC", "Z", "+hh:mm", "-hhmm"; -1 (reported). */
static int
config_parse_tz(struct config_parse *p, const struct config_pair *kv, int *out)
{
	const char *s, *t;
	int h, mi, ok;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return -1;
	if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
		*out = 0;
		return 0;
	}
	t = s + 1;
	h = mi = 0;
	ok = (*s == '+' || *s == '-') && strlen(s) >= 5 && t[0] >= '0' &&
	    t[0] <= '9' && t[1] >= '0' && t[1] <= '9';
	if (ok) {
		h = (t[0] - '0') * 10 + (t[1] - '0');
		t += 2;
		if (*t == ':')
			t++;
		ok = t[0] >= '0' && t[0] <= '5' && t[1] >= '0' && t[1] <= '9' &&
		    t[2] == '\0' && h <= 23;
		if (ok)
			mi = (t[0] - '0') * 10 + (t[1] - '0');
	}
	if (!ok) {
		config_error(p, kv->vnode,
		    "invalid timezone %s (use UTC, Z, "
		    "+hh:mm or -hh:mm)",
		    config_q(p, s));
		return -1;
	}
	*out = (*s == '-' ? -1 : 1) * (h * 3600 + mi * 60);
	return 0;
}

/* Parse a watch's clusters list. */
static void
config_parse_clusters(struct config_parse *p, const struct config_pair *kv,
    struct config_watch *w)
{
	yaml_node_t **nodes;
	size_t i;

	config_strlist(p, kv, 0, &w->clusters, &nodes);
	for (i = 0; i < w->clusters.n; i++) {
		if (strlen(w->clusters.v[i]) > CONFIG_ID_MAX ||
		    *w->clusters.v[i] == '\0' ||
		    !config_chars_ok(w->clusters.v[i], "._-"))
			config_error(p, nodes[i], "invalid cluster id %s",
			    config_q(p, w->clusters.v[i]));
	}
	if (w->clusters.n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE)
		config_error(p, kv->vnode, "clusters must not be empty");
	free(nodes);
}

/* Parse a watch's DWS actions list. */
static void
config_parse_actions(struct config_parse *p, const struct config_pair *kv,
    struct config_watch *w)
{
	yaml_node_t **nodes;
	struct buf b;
	size_t i;

	config_strlist(p, kv, 0, &w->actions, &nodes);
	for (i = 0; i < w->actions.n; i++) {
		if (config_index(config_dws_actions, w->actions.v[i]) != -1)
			continue;
		buf_init(&b, 0);
		config_join(&b, config_dws_actions);
		config_error(p, nodes[i],
		    "unknown DWS action %s; expected "
		    "one of: %s",
		    config_q(p, w->actions.v[i]), buf_str(&b));
		buf_free(&b);
	}
	if (w->actions.n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE)
		config_error(p, kv->vnode, "actions must not be empty");
	free(nodes);
}

/* Check that a watch's api fits its account's cloud. */
static void
config_check_watch_account(struct config_parse *p, struct config_watch *w,
    const struct config_pair *akv, const struct config_pair *apikv)
{
	const struct config_account *a = w->account;
	const char *need = NULL;

	if (w->api == CONFIG_API_EHPC_TASKS && a->cloud != CONFIG_CLOUD_ALIBABA)
		need = "an alibaba";
	else if (w->api != CONFIG_API_EHPC_TASKS &&
	    a->cloud == CONFIG_CLOUD_ALIBABA)
		need = "a huawei or otc";
	else if (w->api == CONFIG_API_GAUSSDB_TASKS &&
	    a->cloud == CONFIG_CLOUD_OTC)
		need = "a huawei";
	if (need != NULL) {
		config_error(p, apikv->vnode,
		    "%s needs %s account, but "
		    "account %s is %s",
		    config_api_name(w->api), need, config_q(p, a->name),
		    config_cloud_name(a->cloud));
		return;
	}
	if (a->cloud != CONFIG_CLOUD_ALIBABA && a->project_id == NULL &&
	    a->auth_method != CONFIG_AUTH_TOKEN)
		config_error(p, akv->vnode,
		    "account %s needs a project_id "
		    "for %s (or auth method token)",
		    config_q(p, a->name), config_api_name(w->api));
}

/* Parse one watch mapping. */
void
config_parse_watch(struct config_parse *p, yaml_node_t *node,
    struct config_watch *w, size_t idx)
{
	struct config *conf = p->conf;
	const struct config_pair *kv, *akv, *apikv;
	struct config_map m;
	const char *s;
	char *desc, *where;
	size_t i;
	int api = -1, v;

	w->line = (int)node->start_mark.line + 1;
	w->interval_ms = 60 * CONFIG_SEC;
	w->timeout_ms = 10 * CONFIG_SEC;
	w->lookback_ms = 7 * CONFIG_DAY;
	w->stall_after_ms = 30 * CONFIG_MIN;
	w->fail_after = 3;
	w->on_start = CONFIG_ON_START_BASELINE;
	if (config_map_open(p, node, "each watch", 0, &m) == -1)
		return;
	desc = config_item_desc(p, &m, "watch", idx);
	where = xasprintf("in %s", desc);
	config_map_check(p, &m, config_watch_keys, NULL, where);

	if ((kv = config_map_find(&m, "name")) == NULL)
		config_missing(p, &m, "name", where);
	else if ((w->name = config_name(p, kv, "watch")) != NULL) {
		for (i = 0; &conf->watches[i] != w; i++) {
			if (conf->watches[i].name != NULL &&
			    strcmp(conf->watches[i].name, w->name) == 0) {
				config_error(p, kv->vnode,
				    "duplicate watch "
				    "name %s (first defined at line %d)",
				    config_q(p, w->name),
				    conf->watches[i].line);
				break;
			}
		}
	}
	if ((akv = config_map_find(&m, "account")) == NULL)
		config_missing(p, &m, "account", where);
	else if ((s = config_string(p, akv)) != NULL) {
		w->account_name = xstrdup(s);
		if ((w->account = config_find_account(conf, s)) == NULL)
			config_dangling(p, akv->vnode, s, 0);
	}
	if ((apikv = config_map_find(&m, "api")) == NULL)
		config_missing(p, &m, "api", where);
	else if ((api = config_enum(p, apikv, config_api_names, "api")) != -1)
		w->api = api;

	if (api != -1) {
		const char *name = config_api_name(w->api);
		int dws = api == CONFIG_API_DWS_ACTIONS ||
		    api == CONFIG_API_DWS_LOGICAL;
		int dated = api == CONFIG_API_DDS_JOBS ||
		    api == CONFIG_API_GAUSSDB_TASKS;

		if (dated && (kv = config_map_find(&m, "clusters")) != NULL)
			config_error(
			    p, kv->knode, "clusters is not used by %s", name);
		if (!dated && config_map_find(&m, "clusters") == NULL)
			config_missing(p, &m, "clusters", where);
		if (api != CONFIG_API_DWS_ACTIONS &&
		    (kv = config_map_find(&m, "actions")) != NULL)
			config_error(
			    p, kv->knode, "actions is not used by %s", name);
		if (!dated && (kv = config_map_find(&m, "lookback")) != NULL)
			config_error(
			    p, kv->knode, "lookback is not used by %s", name);
		if ((dws || api == CONFIG_API_EHPC_TASKS) &&
		    (kv = config_map_find(&m, "clusters")) != NULL)
			config_parse_clusters(p, kv, w);
		if (api == CONFIG_API_DWS_ACTIONS) {
			if ((kv = config_map_find(&m, "actions")) != NULL)
				config_parse_actions(p, kv, w);
			else {
				for (i = 0; config_dws_actions[i] != NULL; i++)
					config_strlist_add(
					    &w->actions, config_dws_actions[i]);
			}
		}
		if (dated && (kv = config_map_find(&m, "lookback")) != NULL)
			config_duration(p, kv, CONFIG_SEC, 30 * CONFIG_DAY, 0,
			    &w->lookback_ms);
		if (w->account != NULL)
			config_check_watch_account(p, w, akv, apikv);
	}
	if ((kv = config_map_find(&m, "interval")) != NULL)
		/* 0: back to back, for benchmarks; rate_limit still applies */
		config_duration(p, kv, 0, 24 * CONFIG_HOUR, 0, &w->interval_ms);
	if ((kv = config_map_find(&m, "timeout")) != NULL)
		config_duration(p, kv, 100, 10 * CONFIG_MIN, 0, &w->timeout_ms);
	if ((kv = config_map_find(&m, "stall_after")) != NULL)
		config_duration(
		    p, kv, CONFIG_SEC, 30 * CONFIG_DAY, 1, &w->stall_after_ms);
	if ((kv = config_map_find(&m, "fail_after")) != NULL)
		config_uint(p, kv, 1, 1000, &w->fail_after);
	if ((kv = config_map_find(&m, "on_start")) != NULL &&
	    (v = config_enum(p, kv, config_on_start_names, "on_start")) != -1)
		w->on_start = v;
	if ((kv = config_map_find(&m, "timezone")) != NULL)
		config_parse_tz(p, kv, &w->timezone_offset_s);
	free(where);
	free(desc);
	config_map_close(&m);
}

/* The endpoint service an API's requests go to. */
const char *
config_api_service(enum config_api api)
{
	switch (api) {
	case CONFIG_API_DWS_ACTIONS:
	case CONFIG_API_DWS_LOGICAL:
		return "dws";
	case CONFIG_API_DDS_JOBS:
		return "dds";
	case CONFIG_API_GAUSSDB_TASKS:
		return "gaussdb";
	default:
		return "ehpc";
	}
}

/* "dds.jobs" etc. for an api. */
const char *
config_api_name(enum config_api api)
{
	if ((int)api < 0 || api >= CONFIG_API_COUNT)
		return "unknown";
	return config_api_names[api];
}

/* The api for a name, or -1 if unknown. */
int
config_api_from_name(const char *name)
{
	return name == NULL ? -1 : config_index(config_api_names, name);
}

/* Compare two string lists for equality (order matters). */
static int
config_strlist_eq(
    const struct config_strlist *a, const struct config_strlist *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	}
	return 1;
}

/*
 * 1 if two watches have the same identity: name, account (its cloud,
 * region and project: where the tasks live) and API.  A reload keeps such
 * a watch and its tasks; scope and tuning keys may differ.
 */
int
config_watch_same_identity(
    const struct config_watch *a, const struct config_watch *b)
{
	if (!config_streq(a->name, b->name) ||
	    !config_streq(a->account_name, b->account_name) || a->api != b->api)
		return 0;
	if (a->account == NULL || b->account == NULL)
		return a->account == b->account;
	return a->account->cloud == b->account->cloud &&
	    config_streq(a->account->region, b->account->region) &&
	    config_streq(a->account->project_id, b->account->project_id);
}

/* Return 1 if two watches poll the same thing the same way. */
int
config_watch_equal(const struct config_watch *a, const struct config_watch *b)
{
	if (!config_streq(a->name, b->name) ||
	    !config_streq(a->account_name, b->account_name) ||
	    a->api != b->api ||
	    !config_strlist_eq(&a->clusters, &b->clusters) ||
	    !config_strlist_eq(&a->actions, &b->actions) ||
	    a->interval_ms != b->interval_ms ||
	    a->timeout_ms != b->timeout_ms ||
	    a->lookback_ms != b->lookback_ms ||
	    a->stall_after_ms != b->stall_after_ms ||
	    a->fail_after != b->fail_after || a->on_start != b->on_start ||
	    a->timezone_offset_s != b->timezone_offset_s)
		return 0;
	if (a->account == NULL || b->account == NULL)
		return a->account == b->account;
	return config_account_eq(a->account, b->account);
}
