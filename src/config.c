/*
 * The configuration as a whole: the top level and its list sections,
 * freeing, lookups by name and the warnings of a loaded config.
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

static const char *const config_top_keys[] = { "daemon", "accounts", "watches",
	"notifiers", "rules", NULL };

/* Parse the accounts section. */
static void
config_parse_accounts(struct config_parse *p, const struct config_pair *kv)
{
	struct config *conf = p->conf;
	yaml_node_item_t *first;
	yaml_node_t *node;
	size_t n, i;

	if (config_seq(p, kv, &first, &n) == -1 || n == 0)
		return;
	conf->accounts = xcalloc(n, sizeof(*conf->accounts));
	for (i = 0; i < n; i++) {
		if ((node = yaml_document_get_node(p->doc, first[i])) == NULL)
			continue;
		config_parse_account(
		    p, node, &conf->accounts[conf->naccounts++], i + 1);
	}
}

/* Parse the watches section. */
static void
config_parse_watches(struct config_parse *p, const struct config_pair *kv)
{
	struct config *conf = p->conf;
	yaml_node_item_t *first;
	yaml_node_t *node;
	size_t n, i;

	if (config_seq(p, kv, &first, &n) == -1 || n == 0)
		return;
	conf->watches = xcalloc(n, sizeof(*conf->watches));
	for (i = 0; i < n; i++) {
		if ((node = yaml_document_get_node(p->doc, first[i])) == NULL)
			continue;
		config_parse_watch(
		    p, node, &conf->watches[conf->nwatches++], i + 1);
	}
}

/* Parse the notifiers section. */
static void
config_parse_notifiers(struct config_parse *p, const struct config_pair *kv)
{
	struct config *conf = p->conf;
	yaml_node_item_t *first;
	yaml_node_t *node;
	size_t n, i;

	if (config_seq(p, kv, &first, &n) == -1 || n == 0)
		return;
	conf->notifiers = xcalloc(n, sizeof(*conf->notifiers));
	for (i = 0; i < n; i++) {
		if ((node = yaml_document_get_node(p->doc, first[i])) == NULL)
			continue;
		config_parse_notifier(
		    p, node, &conf->notifiers[conf->nnotifiers++], i + 1);
	}
}

/* Parse the rules section. */
static void
config_parse_rules(struct config_parse *p, const struct config_pair *kv)
{
	struct config *conf = p->conf;
	yaml_node_item_t *first;
	yaml_node_t *node;
	size_t n, i;

	if (config_seq(p, kv, &first, &n) == -1 || n == 0)
		return;
	conf->rules = xcalloc(n, sizeof(*conf->rules));
	for (i = 0; i < n; i++) {
		if ((node = yaml_document_get_node(p->doc, first[i])) == NULL)
			continue;
		config_parse_rule(p, node, &conf->rules[conf->nrules++], i + 1);
	}
}

/* Walk the document root into p->conf. */
void
config_parse_root(struct config_parse *p, yaml_node_t *root)
{
	struct config_map m;

	if (config_map_open(p, root, "the top level", 1, &m) == -1)
		return;
	config_map_check(p, &m, config_top_keys, NULL, "at top level");
	if (config_map_find(&m, "daemon") != NULL)
		config_parse_daemon(p, config_map_find(&m, "daemon"));
	/* Referenced sections first, whatever the order in the file. */
	config_parse_accounts(p, config_map_find(&m, "accounts"));
	config_parse_notifiers(p, config_map_find(&m, "notifiers"));
	config_parse_watches(p, config_map_find(&m, "watches"));
	config_parse_rules(p, config_map_find(&m, "rules"));
	config_map_close(&m);
}

/* The names of the defined accounts or notifiers, NULL-terminated. */
static const char **
config_names(struct config_parse *p, int notifiers)
{
	const struct config *conf = p->conf;
	const char **v;
	size_t i, n = 0, max;

	max = notifiers ? conf->nnotifiers : conf->naccounts;
	v = xcalloc(max + 1, sizeof(*v));
	for (i = 0; i < max; i++) {
		const char *s = notifiers ? conf->notifiers[i].name
					  : conf->accounts[i].name;

		if (s != NULL && config_index(v, s) == -1)
			v[n++] = s;
	}
	return v;
}

/* Report a reference to an unknown account or notifier. */
void
config_dangling(
    struct config_parse *p, const yaml_node_t *n, const char *s, int notifiers)
{
	const char **names = config_names(p, notifiers);
	const char *noun = notifiers ? "notifier" : "account";
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "unknown %s %s", noun, config_q(p, s));
	config_hint(&b, s, names, notifiers ? "notifiers" : "accounts");
	config_error(p, n, "%s", buf_str(&b));
	buf_free(&b);
	free(names);
}

/* Free a config; NULL is a no-op. */
void
config_free(struct config *conf)
{
	size_t i;

	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->daemon.state_dir);
	free(conf->daemon.listen);
	free(conf->daemon.control_socket);
	for (i = 0; i < conf->naccounts; i++)
		config_account_free(&conf->accounts[i]);
	free(conf->accounts);
	for (i = 0; i < conf->nwatches; i++) {
		free(conf->watches[i].name);
		free(conf->watches[i].account_name);
		config_strlist_free(&conf->watches[i].clusters);
		config_strlist_free(&conf->watches[i].actions);
	}
	free(conf->watches);
	for (i = 0; i < conf->nnotifiers; i++)
		config_notifier_free(&conf->notifiers[i]);
	free(conf->notifiers);
	for (i = 0; i < conf->nrules; i++)
		config_rule_free(&conf->rules[i]);
	free(conf->rules);
	free(conf);
}

/* Find an account by name; NULL if none. */
struct config_account *
config_find_account(const struct config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->naccounts; i++) {
		if (conf->accounts[i].name != NULL &&
		    strcmp(conf->accounts[i].name, name) == 0)
			return &conf->accounts[i];
	}
	return NULL;
}

/* Find a watch by name; NULL if none. */
struct config_watch *
config_find_watch(const struct config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nwatches; i++) {
		if (conf->watches[i].name != NULL &&
		    strcmp(conf->watches[i].name, name) == 0)
			return &conf->watches[i];
	}
	return NULL;
}

/* Find a notifier by name; NULL if none. */
struct config_notifier *
config_find_notifier(const struct config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nnotifiers; i++) {
		if (conf->notifiers[i].name != NULL &&
		    strcmp(conf->notifiers[i].name, name) == 0)
			return &conf->notifiers[i];
	}
	return NULL;
}

/* Warn of an account in an unknown region that polls a default endpoint. */
static void
config_warn_region(const struct config *conf, const struct config_account *a,
    void (*cb)(void *, int, int, const char *), void *arg)
{
	const char *svc = NULL;
	char *url, *msg;
	size_t i;

	if (config_region_known(a->cloud, a->region))
		return;
	for (i = 0; i < conf->nwatches && svc == NULL; i++) {
		if (conf->watches[i].account == a &&
		    config_endpoint_is_default(
			a, config_api_service(conf->watches[i].api)))
			svc = config_api_service(conf->watches[i].api);
	}
	if (svc == NULL && a->auth_method == CONFIG_AUTH_TOKEN &&
	    config_endpoint_is_default(a, "iam"))
		svc = "iam";
	if (svc == NULL || (url = config_endpoint(a, svc)) == NULL)
		return;
	msg = xasprintf("account %s: region %s is not known for %s; the "
			"endpoint %s is guessed (set endpoints: %s: if it is "
			"wrong)",
	    a->name, a->region, config_cloud_name(a->cloud), url, svc);
	cb(arg, a->line, a->col, msg);
	free(msg);
	free(url);
}

/* The warnings a start and -n give about a loaded config (see config.h). */
void
config_warnings(const struct config *conf,
    void (*cb)(void *arg, int line, int col, const char *msg), void *arg)
{
	const struct config_notifier *nf;
	char *msg;
	size_t i;

	for (i = 0; i < conf->naccounts; i++)
		config_warn_region(conf, &conf->accounts[i], cb, arg);
	for (i = 0; i < conf->nnotifiers; i++) {
		nf = &conf->notifiers[i];
		if (nf->type != CONFIG_NOTIFIER_EXEC || nf->user != NULL ||
		    nf->allow_root || geteuid() != 0)
			continue;
		msg = xasprintf("notifier %s: taskwatchd runs as root and the "
				"notifier has neither user: nor allow_root: "
				"true; its hooks will not run",
		    nf->name);
		cb(arg, nf->line, nf->col, msg);
		free(msg);
	}
}

/* Compare two possibly NULL strings for equality. */
int
config_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}
