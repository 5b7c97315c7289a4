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
	"notifiers", "rules", "maintenance", NULL };

/* The field of a row in obj. */
static void *
config_key_field(const struct config_key *k, void *obj)
{
	return (char *)obj + k->off;
}

/* 1 if a row applies to the item kind (-1: not known yet). */
static int
config_key_for(const struct config_key *k, int kind)
{
	return k->kinds == 0 || (kind >= 0 && (k->kinds & (1U << kind)));
}

/* Set the defaults of the rows for kind in obj. */
void
config_keys_default(const struct config_key *keys, int kind, void *obj)
{
	const struct config_key *k;
	void *f;

	for (k = keys; k->name != NULL; k++) {
		if (k->off == CONFIG_NOFIELD || !config_key_for(k, kind))
			continue;
		f = config_key_field(k, obj);
		switch (k->type) {
		case CONFIG_T_STRING:
		case CONFIG_T_PATH:
			if (k->def_str != NULL) {
				free(*(char **)f);
				*(char **)f = xstrdup(k->def_str);
			}
			break;
		case CONFIG_T_DURATION:
		case CONFIG_T_DURATION_OFF:
		case CONFIG_T_SIZE:
			*(uint64_t *)f = k->def;
			break;
		case CONFIG_T_UINT:
			*(unsigned *)f = (unsigned)k->def;
			break;
		case CONFIG_T_BOOL:
		case CONFIG_T_ENUM:
		case CONFIG_T_INT:
			*(int *)f = (int)k->def;
			break;
		default:
			break;
		}
	}
}

/* Free the fields of the rows in obj that own memory (strings, lists). */
void
config_keys_free(const struct config_key *keys, void *obj)
{
	const struct config_key *k;

	for (k = keys; k->name != NULL; k++) {
		if (k->off == CONFIG_NOFIELD)
			continue;
		if (k->type == CONFIG_T_STRING || k->type == CONFIG_T_PATH)
			free(*(char **)config_key_field(k, obj));
		else if (k->type == CONFIG_T_LIST)
			config_strlist_free(config_key_field(k, obj));
	}
}

/* Read a key by its row's type into obj; -1 (reported) if it is wrong. */
int
config_key_read(struct config_parse *p, const struct config_key *k,
    const struct config_pair *kv, void *obj)
{
	void *f = config_key_field(k, obj);
	const char *s;
	char *v;
	int i;

	switch (k->type) {
	case CONFIG_T_STRING:
	case CONFIG_T_PATH:
		if (k->type == CONFIG_T_STRING)
			v = (s = config_string(p, kv)) != NULL ? xstrdup(s)
							       : NULL;
		else
			v = config_abspath(p, kv);
		if (v == NULL)
			return -1;
		free(*(char **)f);
		*(char **)f = v;
		return 0;
	case CONFIG_T_DURATION:
	case CONFIG_T_DURATION_OFF:
		return config_duration(
		    p, kv, k->min, k->max, k->type == CONFIG_T_DURATION_OFF, f);
	case CONFIG_T_SIZE:
		return config_size(p, kv, k->min, k->max, f);
	case CONFIG_T_UINT:
		return config_uint(p, kv, k->min, k->max, f);
	case CONFIG_T_BOOL:
		return config_bool(p, kv, f);
	case CONFIG_T_ENUM:
		if ((i = config_enum(p, kv, k->names, k->noun)) == -1)
			return -1;
		*(int *)f = i;
		return 0;
	default:
		return -1;
	}
}

/*
 * Read the keys of an item in the order of the rows: a row's parse or its
 * type; a missing required key is reported, a missing other key is left
 * to its parse only with CONFIG_K_ABSENT.  Rows of another kind, rows
 * read with the kind and rows read with another row are skipped.
 */
void
config_keys_walk(struct config_item *it, const struct config_key *keys)
{
	const struct config_key *k;
	const struct config_pair *kv;

	for (k = keys; k->name != NULL; k++) {
		if (!config_key_for(k, it->kind) ||
		    (k->flags & CONFIG_K_KIND) || k->type == CONFIG_T_INLINE ||
		    (k->type == CONFIG_T_OTHER && k->parse == NULL))
			continue;
		kv = config_map_find(&it->m, k->name);
		if (kv == NULL && (k->flags & CONFIG_K_REQUIRED))
			config_missing(it->p, &it->m, k->name, it->where);
		else if (kv == NULL && !(k->flags & CONFIG_K_ABSENT))
			continue;
		else if (k->parse != NULL)
			k->parse(it, k, kv);
		else
			config_key_read(it->p, k, kv, it->obj);
	}
}

/* The names of the rows (inline_keys: of the inline rows only), once each. */
const char **
config_key_names(const struct config_key *keys, int inline_keys)
{
	const struct config_key *k;
	const char **v;
	size_t n = 0;

	for (k = keys; k->name != NULL; k++)
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	n = 0;
	for (k = keys; k->name != NULL; k++) {
		if ((k->type == CONFIG_T_INLINE) == !!inline_keys &&
		    config_index(v, k->name) == -1)
			v[n++] = k->name;
	}
	return v;
}

/*
 * Report the keys of m that are no row of keys; the names of inline rows
 * are known (their rows refuse them with a specific error).
 */
void
config_map_check_keys(struct config_parse *p, const struct config_map *m,
    const struct config_key *keys, const char *where)
{
	const char **known, **hidden;

	known = config_key_names(keys, 0);
	hidden = config_key_names(keys, 1);
	config_map_check(p, m, known, hidden, where);
	free(hidden);
	free(known);
}

/* The row named name, or NULL. */
const struct config_key *
config_key_find(const struct config_key *keys, const char *name)
{
	for (; keys->name != NULL; keys++) {
		if (strcmp(keys->name, name) == 0)
			return keys;
	}
	return NULL;
}

/* 1 if the field of a row is the same in a and b. */
int
config_key_field_eq(const struct config_key *k, const void *a, const void *b)
{
	const void *fa = (const char *)a + k->off,
		   *fb = (const char *)b + k->off;

	switch (k->type) {
	case CONFIG_T_STRING:
	case CONFIG_T_PATH:
		return config_streq(*(char *const *)fa, *(char *const *)fb);
	case CONFIG_T_DURATION:
	case CONFIG_T_DURATION_OFF:
	case CONFIG_T_SIZE:
		return *(const uint64_t *)fa == *(const uint64_t *)fb;
	case CONFIG_T_UINT:
		return *(const unsigned *)fa == *(const unsigned *)fb;
	case CONFIG_T_BOOL:
	case CONFIG_T_ENUM:
	case CONFIG_T_INT:
		return *(const int *)fa == *(const int *)fb;
	case CONFIG_T_LIST:
		return config_strlist_eq(fa, fb);
	default:
		return 1;
	}
}

/* The names of a table of rows that start with a name, NULL-terminated. */
const char **
config_names_of(const void *rows, size_t n, size_t stride)
{
	const char **v;
	size_t i;

	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = *(const char *const *)((const char *)rows + i * stride);
	return v;
}

/* The number of items of a list section in conf. */
size_t
config_list_count(const struct config *conf, const struct config_list *l)
{
	return *(const size_t *)((const char *)conf + l->count);
}

/* Item i of a list section in conf. */
void *
config_list_item(
    const struct config *conf, const struct config_list *l, size_t i)
{
	return *(char *const *)((const char *)conf + l->items) + i * l->size;
}

/* The name of an item of a list section (NULL: it has none, reported). */
static const char *
config_list_name(const struct config_list *l, const void *item)
{
	const struct config_key *k = config_key_find(l->keys, "name");

	return *(char *const *)((const char *)item + k->off);
}

/* The names of the items of a list section, once each, NULL-terminated. */
const char **
config_list_names(const struct config *conf, const struct config_list *l)
{
	const char **v;
	const char *s;
	size_t i, n = 0, max = config_list_count(conf, l);

	v = xcalloc(max + 1, sizeof(*v));
	for (i = 0; i < max; i++) {
		s = config_list_name(l, config_list_item(conf, l, i));
		if (s != NULL && config_index(v, s) == -1)
			v[n++] = s;
	}
	return v;
}

/* The item of a list section named name; NULL if none. */
static void *
config_list_find(
    const struct config *conf, const struct config_list *l, const char *name)
{
	const char *s;
	size_t i;

	for (i = 0; i < config_list_count(conf, l); i++) {
		s = config_list_name(l, config_list_item(conf, l, i));
		if (s != NULL && strcmp(s, name) == 0)
			return config_list_item(conf, l, i);
	}
	return NULL;
}

/*
 * The name row of a list section: a valid name not used by an earlier item
 * of the list, or NOUN-N where the list has default names.
 */
void
config_item_name(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	const struct config_list *l = it->list;
	char **name = config_key_field(k, it->obj);
	const char *other, *item;
	size_t i;

	if (kv == NULL)
		*name = xasprintf("%s-%zu", l->noun, it->idx);
	else if ((*name = config_name(it->p, kv, l->noun)) == NULL)
		return;
	for (i = 0; i < it->pos; i++) {
		item = config_list_item(it->p->conf, l, i);
		other = config_list_name(l, item);
		if (other == NULL || strcmp(other, *name) != 0)
			continue;
		config_error(it->p, kv != NULL ? kv->vnode : it->m.node,
		    "duplicate %s name %s (first defined at line %d)", l->noun,
		    config_q(it->p, *name), *(const int *)(item + l->line));
		break;
	}
}

/* Read one item of a list section from its mapping node. */
static void
config_parse_item(struct config_item *it, yaml_node_t *node)
{
	const struct config_list *l = it->list;
	char *what;

	*(int *)((char *)it->obj + l->line) = (int)node->start_mark.line + 1;
	if (l->col != CONFIG_NOFIELD)
		*(int *)((char *)it->obj + l->col) =
		    (int)node->start_mark.column + 1;
	config_keys_default(l->keys, -1, it->obj);
	what = xasprintf("each %s", l->noun);
	if (config_map_open(it->p, node, what, 0, &it->m) == -1) {
		free(what);
		return;
	}
	free(what);
	if (l->default_name && config_map_find(&it->m, "name") == NULL)
		it->desc =
		    xasprintf("%s \"%s-%zu\"", l->noun, l->noun, it->idx);
	else
		it->desc = config_item_desc(it->p, &it->m, l->noun, it->idx);
	it->where = xasprintf("in %s", it->desc);
	config_map_check_keys(it->p, &it->m, l->keys, it->where);
	config_keys_walk(it, l->keys);
	free(it->where);
	free(it->desc);
	config_map_close(&it->m);
}

/* Read a list section (accounts, watches, notifiers, rules). */
static void
config_parse_list(struct config_parse *p, const struct config_pair *kv,
    const struct config_list *l)
{
	struct config_item it;
	yaml_node_item_t *first;
	yaml_node_t *node;
	size_t n, i, *count;
	char **items;

	if (config_seq(p, kv, &first, &n) == -1 || n == 0)
		return;
	items = (char **)((char *)p->conf + l->items);
	count = (size_t *)((char *)p->conf + l->count);
	*items = xcalloc(n, l->size);
	for (i = 0; i < n; i++) {
		if ((node = yaml_document_get_node(p->doc, first[i])) == NULL)
			continue;
		memset(&it, 0, sizeof(it));
		it.p = p;
		it.list = l;
		it.obj = *items + *count * l->size;
		it.idx = i + 1;
		it.pos = (*count)++;
		it.kind = -1;
		config_parse_item(&it, node);
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
	config_parse_list(p, config_map_find(&m, "accounts"), &config_accounts);
	config_parse_list(
	    p, config_map_find(&m, "notifiers"), &config_notifiers);
	config_parse_list(p, config_map_find(&m, "watches"), &config_watches);
	config_parse_list(p, config_map_find(&m, "rules"), &config_rules);
	config_parse_list(
	    p, config_map_find(&m, "maintenance"), &config_maintenance_windows);
	config_map_close(&m);
}

/* Report a reference to an unknown item of a list (account, notifier). */
void
config_dangling(struct config_parse *p, const yaml_node_t *n, const char *s,
    const struct config_list *l)
{
	const char **names = config_list_names(p->conf, l);
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "unknown %s %s", l->noun, config_q(p, s));
	config_hint(&b, s, names, l->key);
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
	config_keys_free(config_daemon_keys, &conf->daemon);
	config_ha_free(&conf->daemon.ha);
	for (i = 0; i < conf->naccounts; i++)
		config_account_free(&conf->accounts[i]);
	free(conf->accounts);
	for (i = 0; i < conf->nwatches; i++)
		config_keys_free(config_watch_keys, &conf->watches[i]);
	free(conf->watches);
	for (i = 0; i < conf->nnotifiers; i++)
		config_notifier_free(&conf->notifiers[i]);
	free(conf->notifiers);
	for (i = 0; i < conf->nrules; i++)
		config_rule_free(&conf->rules[i]);
	free(conf->rules);
	for (i = 0; i < conf->nmaintenance; i++)
		config_maintenance_free(&conf->maintenance[i]);
	free(conf->maintenance);
	free(conf);
}

/* Find an account by name; NULL if none. */
struct config_account *
config_find_account(const struct config *conf, const char *name)
{
	return config_list_find(conf, &config_accounts, name);
}

/* Find a watch by name; NULL if none. */
struct config_watch *
config_find_watch(const struct config *conf, const char *name)
{
	return config_list_find(conf, &config_watches, name);
}

/* Find a notifier by name; NULL if none. */
struct config_notifier *
config_find_notifier(const struct config *conf, const char *name)
{
	return config_list_find(conf, &config_notifiers, name);
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
