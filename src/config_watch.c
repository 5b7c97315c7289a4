/*
 * The watches section: what to poll (an API of an account, its scope) and
 * how often; and what a reload keeps of a watch.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "api.h"
#include "config_impl.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define W(f) offsetof(struct config_watch, f)

const char *const config_on_start_names[] = { "baseline", "report", NULL };

/* The DWS action names, in the order of cloud-apis.md section 1. */
static const char *const config_dws_actions[] = { "GROWING", "RESIZE_FAILURE",
	"RESTORING", "RESTORING_FAILED", "SNAPSHOTTING", "SNAPSHOTTING_FAILED",
	"FINE_GRAINED_RESTORING", "FINE_GRAINED_RESTORING_FAILED", NULL };

/* Parse a watch's timezone: "UTC", "Z", "+hh:mm", "-hhmm"; reported if wrong. */
static void
config_watch_tz(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	int *out = &((struct config_watch *)it->obj)->timezone_offset_s;
	const char *s, *t;
	int h, mi, ok;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return;
	if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
		*out = 0;
		return;
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
		return;
	}
	*out = (*s == '-' ? -1 : 1) * (h * 3600 + mi * 60);
}

/*
 * Parse a watch's clusters: the scalar all (discovered), or a list of
 * literal IDs; an entry that is no ID is refused saying that IDs are
 * literal, since a glob there is the likely mistake.
 */
static void
config_parse_clusters(struct config_parse *p, const struct config_pair *kv,
    struct config_watch *w)
{
	yaml_node_t **nodes;
	const char *s;
	size_t i;

	if (kv->vnode->type == YAML_SCALAR_NODE && !config_is_null(kv->vnode)) {
		if ((s = config_scalar_value(kv->vnode)) != NULL &&
		    strcmp(s, "all") == 0)
			w->clusters_all = 1;
		else
			config_error(p, kv->vnode,
			    "clusters must be all or a list of cluster ids, "
			    "not %s",
			    config_q(p, s != NULL ? s : ""));
		return;
	}
	config_strlist(p, kv, 0, &w->clusters, &nodes);
	for (i = 0; i < w->clusters.n; i++) {
		if (strlen(w->clusters.v[i]) > CONFIG_ID_MAX ||
		    *w->clusters.v[i] == '\0' ||
		    !config_chars_ok(w->clusters.v[i], "._-"))
			config_error(p, nodes[i],
			    "invalid cluster id %s: ids are literal; globs "
			    "need clusters: all",
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

/* The clouds that sign alike (huawei and otc; alibaba), as API_CLOUD bits. */
static unsigned
config_cloud_family(int cloud)
{
	if (cloud == CONFIG_CLOUD_ALIBABA)
		return API_CLOUD(CONFIG_CLOUD_ALIBABA);
	return API_CLOUD(CONFIG_CLOUD_HUAWEI) | API_CLOUD(CONFIG_CLOUD_OTC);
}

/* Check that a watch's api fits its account's cloud. */
static void
config_check_watch_account(struct config_parse *p, struct config_watch *w,
    const struct config_pair *akv, const struct config_pair *apikv)
{
	const struct config_account *a = w->account;
	const struct api *api = api_get(w->api);
	struct buf b;
	unsigned need = 0;
	int c, n = 0;

	if (!(api->clouds & API_CLOUD(a->cloud))) {
		/* An account of the other family: name the family. */
		if (api->clouds & config_cloud_family(a->cloud))
			need = api->clouds;
		for (c = 0; need == 0 && c <= CONFIG_CLOUD_ALIBABA; c++) {
			if (api->clouds & API_CLOUD(c))
				need |= config_cloud_family(c);
		}
		buf_init(&b, 0);
		for (c = CONFIG_CLOUD_HUAWEI; c <= CONFIG_CLOUD_ALIBABA; c++) {
			if (need & API_CLOUD(c))
				buf_printf(&b, "%s%s", n++ == 0 ? "" : " or ",
				    config_cloud_name(c));
		}
		config_error(p, apikv->vnode,
		    "%s needs %s %s account, but "
		    "account %s is %s",
		    api->name, strchr("aeiou", *buf_str(&b)) ? "an" : "a",
		    buf_str(&b), config_q(p, a->name),
		    config_cloud_name(a->cloud));
		buf_free(&b);
		return;
	}
	if (a->cloud != CONFIG_CLOUD_ALIBABA && a->project_id == NULL &&
	    a->auth_method != CONFIG_AUTH_TOKEN)
		config_error(p, akv->vnode,
		    "account %s needs a project_id "
		    "for %s (or auth method token)",
		    config_q(p, a->name), api->name);
}

/* The account of a watch: a defined one. */
static void
config_watch_account(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_watch *w = it->obj;
	const char *s;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	w->account_name = xstrdup(s);
	if ((w->account = config_find_account(it->p->conf, s)) == NULL)
		config_dangling(it->p, kv->vnode, s, &config_accounts);
}

/* The api of a watch; it must fit the account's cloud. */
static void
config_watch_api(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_watch *w = it->obj;
	const char **names;
	int api;

	names =
	    config_names_of(api_table, CONFIG_API_COUNT, sizeof(api_table[0]));
	api = config_enum(it->p, kv, names, "api");
	free(names);
	if (api == -1)
		return;
	w->api = api;
	it->kind = api;
	if (w->account != NULL)
		config_check_watch_account(
		    it->p, w, config_map_find(&it->m, "account"), kv);
}

/* clusters: required by the APIs that list by cluster, else refused. */
static void
config_watch_clusters(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	const struct api *api = api_get(it->kind);

	if (api == NULL)
		return;
	if (api->scope != API_SCOPE_CLUSTERS && kv != NULL)
		config_error(
		    it->p, kv->knode, "clusters is not used by %s", api->name);
	else if (api->scope == API_SCOPE_CLUSTERS && kv == NULL)
		config_missing(it->p, &it->m, "clusters", it->where);
	else if (kv != NULL)
		config_parse_clusters(it->p, kv, it->obj);
}

/*
 * 1 if a key that only clusters: all uses may be read: else it is
 * reported (not used by the API, or given with a literal list).
 */
static int
config_watch_all_only(struct config_item *it, const struct config_pair *kv)
{
	const struct api *api = api_get(it->kind);
	struct config_watch *w = it->obj;

	if (api == NULL)
		return 0;
	if (api->scope != API_SCOPE_CLUSTERS)
		config_error(it->p, kv->knode, "%s is not used by %s", kv->key,
		    api->name);
	else if (!w->clusters_all)
		config_error(it->p, kv->knode,
		    "%s needs clusters: all (a literal list of ids is "
		    "polled as it is)",
		    kv->key);
	return api->scope == API_SCOPE_CLUSTERS && w->clusters_all;
}

/* cluster_names: globs on the names of the clusters: all discovers. */
static void
config_watch_names(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_watch *w = it->obj;
	yaml_node_t **nodes;
	size_t i;

	if (!config_watch_all_only(it, kv))
		return;
	config_strlist(it->p, kv, 0, &w->cluster_names, &nodes);
	for (i = 0; i < w->cluster_names.n; i++) {
		if (*w->cluster_names.v[i] == '\0' ||
		    strlen(w->cluster_names.v[i]) > CONFIG_ID_MAX)
			config_error(it->p, nodes[i],
			    "invalid cluster_names glob %s (1 to %d bytes)",
			    config_q(it->p, w->cluster_names.v[i]),
			    CONFIG_ID_MAX);
	}
	if (w->cluster_names.n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE)
		config_error(
		    it->p, kv->vnode, "cluster_names must not be empty");
	free(nodes);
}

/*
 * overdue_factor: a number 0 (off) or from 1 to 100 with at most two
 * decimals, kept in hundredths.
 */
static void
config_watch_factor(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_watch *w = it->obj;
	const char *s;
	unsigned long whole = 0, frac = 0, scale = 100;
	const char *c;

	if ((s = config_scalar(it->p, kv, "a number")) == NULL)
		return;
	for (c = s; *c >= '0' && *c <= '9' && whole <= 1000; c++)
		whole = whole * 10 + (unsigned long)(*c - '0');
	if (*c == '.' && c > s)
		for (c++; *c >= '0' && *c <= '9' && scale > 1; c++) {
			scale /= 10;
			frac += (unsigned long)(*c - '0') * scale;
		}
	if (c == s || *c != '\0' || whole > 100 || (whole == 100 && frac > 0) ||
	    (whole == 0 && frac > 0 && frac < 100)) {
		config_error(it->p, kv->vnode,
		    "overdue_factor must be 0 (off) or a number from 1 to "
		    "100 with at most two decimals, not %s",
		    config_q(it->p, s));
		return;
	}
	w->overdue_factor_pct = (int)(whole * 100 + frac);
}

/* Print overdue_factor as the number it was given as. */
static void
config_watch_print_factor(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	int f = ((const struct config_watch *)obj)->overdue_factor_pct;
	char v[32];

	if (f % 100 == 0)
		snprintf(v, sizeof(v), "%d", f / 100);
	else if (f % 10 == 0)
		snprintf(v, sizeof(v), "%d.%d", f / 100, f % 100 / 10);
	else
		snprintf(v, sizeof(v), "%d.%02d", f / 100, f % 100);
	config_print_kv(fp, in, k->name, v);
}

/* Add "glob\tms" to a watch's max_duration from one key and value. */
static void
config_watch_max_one(struct config_item *it, const struct config_pair *kv,
    const char *glob, yaml_node_t *gnode)
{
	struct config_watch *w = it->obj;
	struct config_pair named = *kv;
	uint64_t ms;
	char *e, *name = NULL;
	int rc;

	if (*glob == '\0' || strlen(glob) > CONFIG_ID_MAX ||
	    strpbrk(glob, "\t\n\r") != NULL) {
		config_error(it->p, gnode,
		    "invalid task type glob %s in max_duration (1 to %d "
		    "bytes, one line)",
		    config_q(it->p, glob), CONFIG_ID_MAX);
		return;
	}
	/* Messages name the entry: max_duration "Restore*". */
	if (kv->vnode != gnode)
		named.key = name = xasprintf("max_duration \"%s\"", glob);
	rc = config_duration(
	    it->p, &named, CONFIG_SEC, 365 * CONFIG_DAY, 0, &ms);
	free(name);
	if (rc == -1)
		return;
	e = xasprintf("%s\t%llu", glob, (unsigned long long)ms);
	config_strlist_add(&w->max_duration, e);
	free(e);
}

/*
 * max_duration: a duration for every task type, or a mapping of task
 * type globs to durations ({"Restore*": 6h}), first match winning.
 */
static void
config_watch_max(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_map m;
	size_t i;

	if (kv->vnode->type != YAML_MAPPING_NODE) {
		config_watch_max_one(it, kv, "*", kv->vnode);
		return;
	}
	if (config_map_open(it->p, kv->vnode, kv->key, 0, &m) == -1)
		return;
	for (i = 0; i < m.n; i++)
		config_watch_max_one(it, &m.v[i], m.v[i].key, m.v[i].knode);
	if (m.n == 0)
		config_error(
		    it->p, kv->vnode, "max_duration must not be empty");
	config_map_close(&m);
}

/* Print max_duration as the mapping of globs to durations. */
static void
config_watch_print_max(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	const struct config_strlist *l =
	    &((const struct config_watch *)obj)->max_duration;
	const char *tab;
	char dur[32];
	size_t i;

	if (l->n == 0)
		return;
	fprintf(fp, "%s%s:\n", in, k->name);
	for (i = 0; i < l->n; i++) {
		tab = strchr(l->v[i], '\t');
		util_format_duration(
		    strtoull(tab + 1, NULL, 10), dur, sizeof(dur));
		fprintf(fp, "%s  \"%.*s\": %s\n", in, (int)(tab - l->v[i]),
		    l->v[i], dur);
	}
}

/* The max_duration of a task type on a watch (see config.h). */
uint64_t
config_watch_max_duration(const struct config_watch *w, const char *type)
{
	const char *tab;
	char glob[CONFIG_ID_MAX + 1];
	size_t i, n;

	for (i = 0; type != NULL && i < w->max_duration.n; i++) {
		tab = strchr(w->max_duration.v[i], '\t');
		n = (size_t)(tab - w->max_duration.v[i]);
		if (tab == NULL || n > CONFIG_ID_MAX)
			continue;
		memcpy(glob, w->max_duration.v[i], n);
		glob[n] = '\0';
		if (util_glob(glob, type))
			return strtoull(tab + 1, NULL, 10);
	}
	return 0;
}

/* discover_interval: how often clusters: all lists the clusters again. */
static void
config_watch_discover(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	if (config_watch_all_only(it, kv))
		config_key_read(it->p, k, kv, it->obj);
}

/* actions: of the APIs that take them, all of them by default. */
static void
config_watch_actions(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	const struct api *api = api_get(it->kind);
	struct config_watch *w = it->obj;
	size_t i;

	if (api == NULL)
		return;
	if (!api->actions && kv != NULL)
		config_error(
		    it->p, kv->knode, "actions is not used by %s", api->name);
	else if (api->actions && kv != NULL)
		config_parse_actions(it->p, kv, w);
	else if (api->actions) {
		for (i = 0; config_dws_actions[i] != NULL; i++)
			config_strlist_add(&w->actions, config_dws_actions[i]);
	}
}

/*
 * 1 if s is an HTTP error status (400-599, digits only), 0 if it is a
 * vendor error code (letters, digits, "._-", at least one letter; not the
 * API gateway's APIG.*, which says the API itself was not reached), -1 if
 * neither.
 */
static int
config_absent_kind(const char *s)
{
	size_t i, n = strlen(s), letters = 0;

	if (n == 3 && s[0] >= '4' && s[0] <= '5' && s[1] >= '0' &&
	    s[1] <= '9' && s[2] >= '0' && s[2] <= '9')
		return 1;
	for (i = 0; i < n; i++) {
		if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
			letters++;
		else if (!(s[i] >= '0' && s[i] <= '9') && !strchr("._-", s[i]))
			return -1;
	}
	if (letters == 0 || n > CONFIG_ID_MAX ||
	    strncasecmp(s, "APIG.", 5) == 0)
		return -1;
	return 0;
}

/* absent_status: of the APIs with a "nothing here" answer; theirs by default. */
static void
config_watch_absent(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	const struct api *api = api_get(it->kind);
	struct config_watch *w = it->obj;
	yaml_node_t **nodes;
	size_t i;

	if (api == NULL)
		return;
	if (api->absent == NULL && kv != NULL) {
		config_error(it->p, kv->knode,
		    "absent_status is not used by %s", api->name);
		return;
	}
	if (api->absent == NULL)
		return;
	if (kv == NULL) {
		config_strlist_add(&w->absent, api->absent);
		return;
	}
	config_strlist(it->p, kv, 0, &w->absent, &nodes);
	for (i = 0; i < w->absent.n; i++) {
		if (config_absent_kind(w->absent.v[i]) == -1)
			config_error(it->p, nodes[i],
			    "invalid absent_status %s (an HTTP status 400-599 "
			    "or a service error code such as DWS.0001)",
			    config_q(it->p, w->absent.v[i]));
	}
	free(nodes);
}

/* lookback: of the APIs that list a time window. */
static void
config_watch_lookback(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	const struct api *api = api_get(it->kind);

	if (api == NULL)
		return;
	if (api->window != API_WINDOW_LOOKBACK)
		config_error(
		    it->p, kv->knode, "lookback is not used by %s", api->name);
	else
		config_key_read(it->p, k, kv, it->obj);
}

/*
 * Print a key the watch uses: clusters (all, or the list), cluster_names
 * and discover_interval with clusters: all, actions, lookback.
 */
static void
config_watch_print_used(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	const struct config_watch *w = obj;
	const struct api *api = api_get(w->api);

	if (strcmp(k->name, "clusters") == 0 && w->clusters_all) {
		config_print_kv(fp, in, k->name, "all");
		return;
	}
	if ((strcmp(k->name, "cluster_names") == 0 ||
		strcmp(k->name, "discover_interval") == 0) &&
	    !w->clusters_all)
		return;
	if ((strcmp(k->name, "clusters") == 0 &&
		api->scope == API_SCOPE_CLUSTERS) ||
	    (strcmp(k->name, "cluster_names") == 0 && w->cluster_names.n > 0) ||
	    strcmp(k->name, "discover_interval") == 0 ||
	    (strcmp(k->name, "actions") == 0 && api->actions) ||
	    (strcmp(k->name, "absent_status") == 0 && api->absent != NULL) ||
	    (strcmp(k->name, "lookback") == 0 &&
		api->window == API_WINDOW_LOOKBACK))
		config_print_value(fp, in, k, obj);
}

/* Print a watch's api. */
static void
config_watch_print_api(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	fprintf(fp, "%sapi: %s\n", in,
	    config_api_name(((const struct config_watch *)obj)->api));
}

/* Print a watch's timezone: UTC or +hh:mm. */
static void
config_watch_print_tz(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	int tz = ((const struct config_watch *)obj)->timezone_offset_s;
	int atz = tz < 0 ? -tz : tz;
	char zone[16];

	if (tz == 0)
		snprintf(zone, sizeof(zone), "UTC");
	else
		snprintf(zone, sizeof(zone), "%c%02d:%02d", tz < 0 ? '-' : '+',
		    atz / 3600, atz % 3600 / 60);
	config_print_kv(fp, in, "timezone", zone);
}

/*
 * The keys of a watch.  IDENTITY: what is watched (with the account's
 * IDENTITY keys); a reload that keeps them keeps the watch's tasks.
 */
const struct config_key config_watch_keys[] = {
	{ .name = "name",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_REQUIRED | CONFIG_K_IDENTITY,
	    .off = W(name),
	    .parse = config_item_name },
	{ .name = "account",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_REQUIRED | CONFIG_K_IDENTITY,
	    .off = W(account_name),
	    .parse = config_watch_account },
	{ .name = "api",
	    .type = CONFIG_T_ENUM,
	    .flags = CONFIG_K_REQUIRED | CONFIG_K_IDENTITY,
	    .off = W(api),
	    .parse = config_watch_api,
	    .print = config_watch_print_api },
	{ .name = "clusters",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_TUNING | CONFIG_K_ABSENT,
	    .off = W(clusters),
	    .parse = config_watch_clusters,
	    .print = config_watch_print_used },
	{ .name = "cluster_names",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_TUNING,
	    .off = W(cluster_names),
	    .parse = config_watch_names,
	    .print = config_watch_print_used },
	/* 1s: for tests; each discovery is requests of the account */
	{ .name = "discover_interval",
	    .type = CONFIG_T_DURATION,
	    .flags = CONFIG_K_TUNING,
	    .min = CONFIG_SEC,
	    .max = 7 * CONFIG_DAY,
	    .def = 10 * CONFIG_MIN,
	    .off = W(discover_interval_ms),
	    .parse = config_watch_discover,
	    .print = config_watch_print_used },
	{ .name = "actions",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_TUNING | CONFIG_K_ABSENT,
	    .off = W(actions),
	    .parse = config_watch_actions,
	    .print = config_watch_print_used },
	{ .name = "absent_status",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_TUNING | CONFIG_K_ABSENT,
	    .off = W(absent),
	    .parse = config_watch_absent,
	    .print = config_watch_print_used },
	/* 0: back to back, for benchmarks; rate_limit still applies */
	{ .name = "interval",
	    .type = CONFIG_T_DURATION,
	    .flags = CONFIG_K_TUNING,
	    .max = 24 * CONFIG_HOUR,
	    .def = 60 * CONFIG_SEC,
	    .off = W(interval_ms) },
	{ .name = "timeout",
	    .type = CONFIG_T_DURATION,
	    .flags = CONFIG_K_TUNING,
	    .min = 100,
	    .max = 10 * CONFIG_MIN,
	    .def = 10 * CONFIG_SEC,
	    .off = W(timeout_ms) },
	{ .name = "lookback",
	    .type = CONFIG_T_DURATION,
	    .flags = CONFIG_K_TUNING,
	    .min = CONFIG_SEC,
	    .max = 30 * CONFIG_DAY,
	    .def = 7 * CONFIG_DAY,
	    .off = W(lookback_ms),
	    .parse = config_watch_lookback,
	    .print = config_watch_print_used },
	{ .name = "stall_after",
	    .type = CONFIG_T_DURATION_OFF,
	    .flags = CONFIG_K_TUNING,
	    .min = CONFIG_SEC,
	    .max = 30 * CONFIG_DAY,
	    .def = 30 * CONFIG_MIN,
	    .off = W(stall_after_ms) },
	{ .name = "fail_after",
	    .type = CONFIG_T_UINT,
	    .flags = CONFIG_K_TUNING,
	    .min = 1,
	    .max = 1000,
	    .def = 3,
	    .off = W(fail_after) },
	/* flapping: flap_threshold failure cycles within flap_window */
	{ .name = "flap_window",
	    .type = CONFIG_T_DURATION,
	    .flags = CONFIG_K_TUNING,
	    .min = CONFIG_SEC,
	    .max = 7 * CONFIG_DAY,
	    .def = 30 * CONFIG_MIN,
	    .off = W(flap_window_ms) },
	{ .name = "flap_threshold",
	    .type = CONFIG_T_UINT,
	    .flags = CONFIG_K_TUNING,
	    .max = 100,
	    .def = 3,
	    .off = W(flap_threshold) },
	/* overdue: from learned durations, or a fixed limit per task type */
	{ .name = "overdue_factor",
	    .type = CONFIG_T_INT,
	    .flags = CONFIG_K_TUNING,
	    .def = 300,
	    .off = W(overdue_factor_pct),
	    .parse = config_watch_factor,
	    .print = config_watch_print_factor },
	{ .name = "overdue_min_samples",
	    .type = CONFIG_T_UINT,
	    .flags = CONFIG_K_TUNING,
	    .min = 1,
	    .max = 100000,
	    .def = 10,
	    .off = W(overdue_min_samples) },
	{ .name = "max_duration",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_TUNING,
	    .off = W(max_duration),
	    .parse = config_watch_max,
	    .print = config_watch_print_max },
	{ .name = "on_start",
	    .type = CONFIG_T_ENUM,
	    .flags = CONFIG_K_TUNING,
	    .names = config_on_start_names,
	    .noun = "on_start",
	    .def = CONFIG_ON_START_BASELINE,
	    .off = W(on_start) },
	{ .name = "timezone",
	    .type = CONFIG_T_INT,
	    .flags = CONFIG_K_TUNING,
	    .off = W(timezone_offset_s),
	    .parse = config_watch_tz,
	    .print = config_watch_print_tz },
	{ .name = NULL },
};

/* The watches section. */
const struct config_list config_watches = {
	.key = "watches",
	.noun = "watch",
	.size = sizeof(struct config_watch),
	.items = offsetof(struct config, watches),
	.count = offsetof(struct config, nwatches),
	.line = W(line),
	.col = CONFIG_NOFIELD,
	.keys = config_watch_keys,
};

/* The endpoint service an API's requests go to. */
const char *
config_api_service(enum config_api api)
{
	const struct api *a = api_get(api);

	return a != NULL ? a->service : "ehpc";
}

/* "dds.jobs" etc. for an api. */
const char *
config_api_name(enum config_api api)
{
	const struct api *a = api_get(api);

	return a != NULL ? a->name : "unknown";
}

/* The api for a name, or -1 if unknown. */
int
config_api_from_name(const char *name)
{
	return api_from_name(name);
}

/*
 * 1 if two watches have the same identity: their IDENTITY keys and those
 * of their accounts (cloud, region and project: where the tasks live).  A
 * reload keeps such a watch and its tasks; its TUNING keys may differ.
 */
int
config_watch_same_identity(
    const struct config_watch *a, const struct config_watch *b)
{
	const struct config_key *k;

	for (k = config_watch_keys; k->name != NULL; k++) {
		if ((k->flags & CONFIG_K_IDENTITY) &&
		    !config_key_field_eq(k, a, b))
			return 0;
	}
	if (a->account == NULL || b->account == NULL)
		return a->account == b->account;
	for (k = config_account_keys; k->name != NULL; k++) {
		if ((k->flags & CONFIG_K_IDENTITY) &&
		    !config_key_field_eq(k, a->account, b->account))
			return 0;
	}
	return 1;
}

/* Return 1 if two watches poll the same thing the same way. */
int
config_watch_equal(const struct config_watch *a, const struct config_watch *b)
{
	const struct config_key *k;

	for (k = config_watch_keys; k->name != NULL; k++) {
		if (!config_key_field_eq(k, a, b))
			return 0;
	}
	if (a->account == NULL || b->account == NULL)
		return a->account == b->account;
	return config_account_eq(a->account, b->account);
}
