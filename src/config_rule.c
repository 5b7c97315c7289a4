/*
 * The rules section: which events go to which notifiers, literals checked
 * against what is configured.
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

#define RU(f) offsetof(struct config_rule, f)

static const char *const config_severity_names[] = { "info", "warning",
	"critical", NULL };

static const char *const config_event_names[] = { "appeared", "transition",
	"vanished", "stalled", "watch_failed", "watch_recovered", "replaced",
	"watch_flapping", "silence_ended", "overdue", "hook_failed",
	"hook_suppressed", "hook_circuit_open", NULL };

static const char *const config_state_names[] = { "PENDING", "RUNNING",
	"ROLLING_BACK", "SUCCEEDED", "FAILED", "PARTIAL", "ROLLED_BACK",
	"CANCELLED", "UNKNOWN", NULL };

/* The keys of a rule's match: lists of values or globs. */
const struct config_key config_match_keys[] = {
	{ .name = "event",
	    .type = CONFIG_T_LIST,
	    .names = config_event_names,
	    .noun = "event",
	    .off = RU(match_event) },
	{ .name = "api",
	    .type = CONFIG_T_LIST,
	    .noun = "api",
	    .off = RU(match_api) },
	{ .name = "watch", .type = CONFIG_T_LIST, .off = RU(match_watch) },
	{ .name = "task_type",
	    .type = CONFIG_T_LIST,
	    .off = RU(match_task_type) },
	{ .name = "cluster", .type = CONFIG_T_LIST, .off = RU(match_cluster) },
	{ .name = "from",
	    .type = CONFIG_T_LIST,
	    .names = config_state_names,
	    .noun = "state",
	    .off = RU(match_from) },
	{ .name = "to",
	    .type = CONFIG_T_LIST,
	    .names = config_state_names,
	    .noun = "state",
	    .off = RU(match_to) },
	{ .name = "account", .type = CONFIG_T_LIST, .off = RU(match_account) },
	{ .name = NULL },
};

/* Return 1 if s contains a glob character. */
static int
config_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * The cluster IDs of the configured watches, once each, NULL-terminated;
 * NULL if some watch has no fixed list (its tasks' clusters cannot be known
 * here).
 */
static const char **
config_cluster_ids(struct config_parse *p)
{
	const struct config *conf = p->conf;
	const struct config_watch *w;
	const char **v = NULL;
	size_t i, j, n = 0;

	for (i = 0; i < conf->nwatches; i++) {
		w = &conf->watches[i];
		if (w->clusters.n == 0) {
			free(v);
			return NULL;
		}
		for (j = 0; j < w->clusters.n; j++) {
			if (v != NULL &&
			    config_index(v, w->clusters.v[j]) != -1)
				continue;
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = w->clusters.v[j];
			v[n] = NULL;
		}
	}
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	return v;
}

/*
 * A rule's literal (glob-free) watch, api, account or cluster that names nothing
 * configured can never match: report it with a did-you-mean.  A cluster is
 * matched by ID or by name and names are not configured, so only a cluster
 * near a configured ID (a typo) is reported.
 */
static void
config_check_literals(struct config_parse *p, const char *key,
    const struct config_strlist *l, yaml_node_t **nodes, const char *never)
{
	const char **names;
	const char *near;
	struct buf b;
	size_t i;
	int cluster = strcmp(key, "cluster") == 0;

	if (strcmp(key, "api") == 0)
		names = config_names_of(
		    api_table, CONFIG_API_COUNT, sizeof(api_table[0]));
	else if (strcmp(key, "account") == 0)
		names = config_list_names(p->conf, &config_accounts);
	else if (strcmp(key, "watch") == 0)
		names = config_list_names(p->conf, &config_watches);
	else if (cluster)
		names = config_cluster_ids(p);
	else
		return;
	for (i = 0; names != NULL && i < l->n; i++) {
		if (config_is_glob(l->v[i]) ||
		    config_index_nocase(names, l->v[i]) != -1)
			continue;
		near = config_suggest_prefix(l->v[i], names);
		if (cluster && near == NULL)
			continue;
		buf_init(&b, 0);
		buf_printf(&b, "unknown %s %s in match: %s", key,
		    config_q(p, l->v[i]), never);
		if (near != NULL)
			buf_printf(&b, "; did you mean \"%s\"?", near);
		else
			config_hint(&b, l->v[i], names,
			    strcmp(key, "api") == 0           ? "apis"
				: strcmp(key, "account") == 0 ? "accounts"
							      : "watches");
		config_error(p, nodes[i], "%s", buf_str(&b));
		buf_free(&b);
	}
	free(names);
}

/*
 * Parse one key of a rule's match; values checked against names if given.
 * never: what a literal naming nothing configured means.
 */
static void
config_parse_match_key(struct config_parse *p, const struct config_pair *kv,
    const char *const *names, const char *noun, struct config_strlist *out,
    const char *never)
{
	yaml_node_t **nodes;
	struct buf b;
	size_t i;

	config_strlist(p, kv, CONFIG_LIST_SCALAR, out, &nodes);
	config_check_literals(p, kv->key, out, nodes, never);
	if (out->n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE &&
	    kv->vnode->data.sequence.items.start ==
		kv->vnode->data.sequence.items.top)
		config_error(p, kv->vnode,
		    "match key %s must not be an empty "
		    "list",
		    kv->key);
	for (i = 0; names != NULL && i < out->n; i++) {
		if (config_is_glob(out->v[i]) ||
		    config_index(names, out->v[i]) != -1)
			continue;
		buf_init(&b, 0);
		config_join(&b, names);
		config_error(p, nodes[i], "unknown %s %s; expected one of: %s",
		    noun, config_q(p, out->v[i]), buf_str(&b));
		buf_free(&b);
	}
	free(nodes);
}

/* Parse a rule's match mapping. */
void
config_rule_match(struct config_item *it, const struct config_key *rk,
    const struct config_pair *mkv)
{
	struct config_parse *p = it->p;
	struct config_rule *r = it->obj;
	const char *desc = it->desc;
	const struct config_key *k;
	const struct config_pair *kv;
	struct config_map m;
	char *where;

	if (config_map_open(p, mkv->vnode, "match", 1, &m) == -1)
		return;
	where = xasprintf("in match of %s", desc);
	config_map_check_keys(p, &m, config_match_keys, where);
	free(where);
	for (k = config_match_keys; k->name != NULL; k++) {
		if ((kv = config_map_find(&m, k->name)) != NULL)
			config_parse_match_key(p, kv, k->names, k->noun,
			    (struct config_strlist *)((char *)r + k->off),
			    it->list == &config_rules
				? "the rule can never fire"
				: "the window would silence nothing");
	}
	config_map_close(&m);
}

/* The notifiers a rule sends to: defined ones. */
static void
config_rule_notify(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_rule *r = it->obj;
	yaml_node_t **nodes;
	size_t i;

	config_strlist(p, kv, 0, &r->notify, &nodes);
	if (r->notify.n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE &&
	    kv->vnode->data.sequence.items.start ==
		kv->vnode->data.sequence.items.top)
		config_error(p, kv->vnode, "notify must not be empty");
	r->notifiers = xcalloc(r->notify.n + 1, sizeof(*r->notifiers));
	for (i = 0; i < r->notify.n; i++) {
		r->notifiers[i] = config_find_notifier(p->conf, r->notify.v[i]);
		if (r->notifiers[i] == NULL)
			config_dangling(
			    p, nodes[i], r->notify.v[i], &config_notifiers);
	}
	free(nodes);
}

/* Print a rule's match: the lists it gives. */
void
config_rule_print_match(
    FILE *fp, const char *in, const struct config_key *rk, const void *obj)
{
	const struct config_key *k;
	const struct config_strlist *l;
	int any = 0;

	for (k = config_match_keys; k->name != NULL; k++) {
		l = (const struct config_strlist *)((const char *)obj + k->off);
		if (l->n == 0)
			continue;
		if (!any)
			fprintf(fp, "%smatch:\n", in);
		any = 1;
		config_print_list(fp, "      ", k->name, l);
	}
}

/* Print a rule's severity if it sets one. */
static void
config_rule_print_severity(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	if (((const struct config_rule *)obj)->severity !=
	    CONFIG_SEVERITY_UNSET)
		config_print_value(fp, in, k, obj);
}

/* The keys of a rule. */
const struct config_key config_rule_keys[] = {
	{ .name = "name",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_ABSENT,
	    .off = RU(name),
	    .parse = config_item_name },
	{ .name = "match",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_rule_match,
	    .print = config_rule_print_match },
	{ .name = "severity",
	    .type = CONFIG_T_ENUM,
	    .names = config_severity_names,
	    .noun = "severity",
	    .def = (uint64_t)CONFIG_SEVERITY_UNSET,
	    .off = RU(severity),
	    .print = config_rule_print_severity },
	{ .name = "notify",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_REQUIRED,
	    .off = RU(notify),
	    .parse = config_rule_notify },
	{ .name = "continue", .type = CONFIG_T_BOOL, .off = RU(cont) },
	{ .name = NULL },
};

/* The rules section; a rule without a name is rule-N. */
const struct config_list config_rules = {
	.key = "rules",
	.noun = "rule",
	.size = sizeof(struct config_rule),
	.items = offsetof(struct config, rules),
	.count = offsetof(struct config, nrules),
	.line = RU(line),
	.col = CONFIG_NOFIELD,
	.default_name = 1,
	.keys = config_rule_keys,
};

/* Free one rule's fields: its rows', its match's, its notifiers. */
void
config_rule_free(struct config_rule *r)
{
	config_keys_free(config_rule_keys, r);
	config_keys_free(config_match_keys, r);
	free(r->notifiers);
}

/* "info" / "warning" / "critical" ("unset" for UNSET). */
const char *
config_severity_name(enum config_severity sev)
{
	if (sev == CONFIG_SEVERITY_UNSET)
		return "unset";
	if ((int)sev < 0 || sev > CONFIG_SEVERITY_CRITICAL)
		return "unknown";
	return config_severity_names[sev];
}

/* The severity for a name, or -1 if unknown. */
int
config_severity_from_name(const char *name)
{
	return name == NULL ? -1 : config_index(config_severity_names, name);
}
