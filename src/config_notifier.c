/*
 * The notifiers section: one mapping per notifier, its kind choosing the
 * keys it takes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config_impl.h"
#include "notifier_kind.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define N(f) offsetof(struct config_notifier, f)
#define R(f) offsetof(struct config_retry, f)
#define WEBHOOK NOTIFIER_KIND(CONFIG_NOTIFIER_WEBHOOK)
#define ALERTMANAGER NOTIFIER_KIND(CONFIG_NOTIFIER_ALERTMANAGER)
#define SYSLOG NOTIFIER_KIND(CONFIG_NOTIFIER_SYSLOG)
#define EXEC NOTIFIER_KIND(CONFIG_NOTIFIER_EXEC)
#define PAGERDUTY NOTIFIER_KIND(CONFIG_NOTIFIER_PAGERDUTY)
#define EMAIL NOTIFIER_KIND(CONFIG_NOTIFIER_EMAIL)
/* The Events API v2 endpoint of PagerDuty (its EU accounts set theirs). */
#define PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

/* The retry mapping of the kinds that retry. */
const struct config_key config_retry_keys[] = {
	{ .name = "initial",
	    .type = CONFIG_T_DURATION,
	    .min = 10,
	    .max = CONFIG_HOUR,
	    .def = 500,
	    .off = R(initial_ms) },
	{ .name = "max",
	    .type = CONFIG_T_DURATION,
	    .min = 100,
	    .max = 24 * CONFIG_HOUR,
	    .def = 60 * CONFIG_SEC,
	    .off = R(max_ms) },
	{ .name = "give_up_after",
	    .type = CONFIG_T_DURATION,
	    .min = CONFIG_SEC,
	    .max = 30 * CONFIG_DAY,
	    .def = 24 * CONFIG_HOUR,
	    .off = R(give_up_after_ms) },
	{ .name = NULL },
};

const struct config_facility config_facilities[] = {
	{ "daemon", LOG_DAEMON },
	{ "user", LOG_USER },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
	{ NULL, 0 },
};

/* Headers the webhook notifier sets itself. */
static const char *const config_reserved_headers[] = { "webhook-id",
	"webhook-timestamp", "webhook-signature", "Content-Type",
	"Content-Length", NULL };

/* Parse a notifier's retry mapping. */
static void
config_parse_retry(struct config_parse *p, const struct config_pair *rkv,
    struct config_retry *r, const char *desc)
{
	const struct config_pair *kv, *ikv;
	const struct config_key *k;
	struct config_map m;
	char *where, si[32], sm[32];
	int ok;

	if (config_map_open(p, rkv->vnode, "retry", 1, &m) == -1)
		return;
	where = xasprintf("in retry of %s", desc);
	config_map_check_keys(p, &m, config_retry_keys, where);
	free(where);
	ok = 1;
	for (k = config_retry_keys; k->name != NULL; k++) {
		if ((kv = config_map_find(&m, k->name)) != NULL &&
		    config_key_read(p, k, kv, r) == -1 &&
		    k->off != R(give_up_after_ms))
			ok = 0;
	}
	ikv = config_map_find(&m, "initial");
	if (ok && r->initial_ms > r->max_ms) {
		util_format_duration(r->initial_ms, si, sizeof(si));
		util_format_duration(r->max_ms, sm, sizeof(sm));
		config_error(p, ikv != NULL ? ikv->vnode : rkv->vnode,
		    "retry initial (%s) must not exceed max (%s)", si, sm);
	}
	config_map_close(&m);
}

/* Return 1 if s is an HTTP header token (RFC 9110 tchar). */
static int
config_header_name_ok(const char *s)
{
	return *s != '\0' && config_chars_ok(s, "!#$%&'*+-.^_`|~");
}

/* Return 1 if s is a Prometheus label name. */
static int
config_label_name_ok(const char *s)
{
	return *s != '\0' && !(*s >= '0' && *s <= '9') &&
	    config_chars_ok(s, "_");
}

/*
 * A header value from a secret source: {value_file: /path}, {value_env:
 * NAME} or {value_credential: name}, spelt as the secrets of accounts are.
 */
static void
config_parse_header_secret(struct config_parse *p, const struct config_pair *kv,
    const char *at, struct config_kv *out)
{
	static const char *const keys[] = { "value_file", "value_env",
		"value_credential", NULL };
	static const char *const inline_keys[] = { "value", NULL };
	struct config_map m;
	char *where, *path;

	if (config_map_open(p, kv->vnode, kv->key, 0, &m) == -1)
		return;
	where = xasprintf("in header %s", config_q(p, kv->key));
	config_map_check(p, &m, keys, inline_keys, where);
	path = xasprintf("%s.headers.%s", at, kv->key);
	config_secret(p, &m, path, "value", 1, where, &out->secret);
	free(path);
	free(where);
	config_map_close(&m);
}

/*
 * 1 if the key of kv can name a label (labels) or a header (not one
 * taskwatchd sets, not one of the n read so far in any case); else 0,
 * reported.
 */
static int
config_kv_name_ok(struct config_parse *p, const struct config_pair *kv,
    int labels, const struct config_kv *kvs, size_t n)
{
	size_t j;

	if (labels && !config_label_name_ok(kv->key)) {
		config_error(p, kv->knode,
		    "invalid label name %s: use "
		    "[a-zA-Z_][a-zA-Z0-9_]*",
		    config_q(p, kv->key));
		return 0;
	}
	if (labels)
		return 1;
	if (!config_header_name_ok(kv->key)) {
		config_error(p, kv->knode, "invalid header name %s",
		    config_q(p, kv->key));
		return 0;
	}
	if (config_index_nocase(config_reserved_headers, kv->key) != -1) {
		config_error(p, kv->knode,
		    "header %s is set "
		    "by taskwatchd and may not be configured",
		    config_q(p, kv->key));
		return 0;
	}
	for (j = 0; j < n; j++) {
		if (strcasecmp(kvs[j].key, kv->key) == 0) {
			config_error(p, kv->knode, "duplicate header %s",
			    config_q(p, kv->key));
			return 0;
		}
	}
	return 1;
}

/*
 * Parse a string-to-string mapping (headers or labels) into *kvs.  at is
 * the notifier's key path for headers, NULL for labels (which follow the
 * label name rule and take no secret values).
 */
static void
config_parse_kvs(struct config_parse *p, const struct config_pair *mkv,
    const char *at, struct config_kv **kvs, size_t *n)
{
	const struct config_pair *kv;
	struct config_map m;
	const char *s;
	size_t i;
	int labels = at == NULL;

	if (config_map_open(p, mkv->vnode, mkv->key, 1, &m) == -1)
		return;
	*kvs = xcalloc(m.n + 1, sizeof(**kvs));
	for (i = 0; i < m.n; i++) {
		kv = &m.v[i];
		if (!config_kv_name_ok(p, kv, labels, *kvs, *n))
			continue;
		if (!labels && kv->vnode->type == YAML_MAPPING_NODE) {
			config_parse_header_secret(p, kv, at, &(*kvs)[*n]);
			if (!config_secret_set(&(*kvs)[*n].secret)) {
				config_secret_free(&(*kvs)[*n].secret);
				continue;
			}
			(*kvs)[*n].key = xstrdup(kv->key);
			(*n)++;
			continue;
		}
		if ((s = config_scalar(p, kv, "a string")) == NULL)
			continue;
		if (strchr(s, '\n') != NULL || strchr(s, '\r') != NULL) {
			config_error(p, kv->vnode,
			    "%s %s must not contain "
			    "line breaks",
			    labels ? "label" : "header", config_q(p, kv->key));
			continue;
		}
		(*kvs)[*n].key = xstrdup(kv->key);
		(*kvs)[*n].value = xstrdup(s);
		(*n)++;
	}
	config_map_close(&m);
}

/* Parse an alertmanager notifier's urls list. */
static void
config_notifier_urls(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_notifier *nf = it->obj;
	yaml_node_t **nodes;
	struct config_strlist raw = { NULL, 0 };
	char *u;
	size_t i;

	config_strlist(p, kv, 0, &raw, &nodes);
	for (i = 0; i < raw.n; i++) {
		if ((u = config_url(
			 p, nodes[i], "each of urls", raw.v[i], 1)) == NULL)
			continue;
		config_strlist_add(&nf->urls, u);
		free(u);
	}
	if (raw.n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE)
		config_error(p, kv->vnode, "urls must not be empty");
	config_strlist_free(&raw);
	free(nodes);
}

/* Parse an exec notifier's command list: an argv, never a shell. */
static void
config_notifier_command(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_notifier *nf = it->obj;
	yaml_node_t **nodes, *first;
	yaml_node_item_t *items;

	/* Nothing to check further if not even one item was read. */
	config_strlist(p, kv, CONFIG_LIST_ARGV, &nf->command, &nodes);
	if (nodes == NULL && kv->vnode->type != YAML_SEQUENCE_NODE)
		return;
	items = kv->vnode->data.sequence.items.start;
	if (items == kv->vnode->data.sequence.items.top)
		config_error(p, kv->vnode, "command must not be empty");
	else if ((first = yaml_document_get_node(p->doc, *items)) != NULL &&
	    nf->command.n > 0 && nodes[0] == first && *nf->command.v[0] != '/')
		config_error(p, first,
		    "command must start with an "
		    "absolute path");
	free(nodes);
}

/* Free an array of key/value pairs. */
static void
config_kvs_free(struct config_kv *kvs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
		config_secret_free(&kvs[i].secret);
	}
	free(kvs);
}

/* Free one notifier's fields: its rows', its mappings', its secret. */
void
config_notifier_free(struct config_notifier *nf)
{
	config_keys_free(config_notifier_keys, nf);
	config_kvs_free(nf->headers, nf->nheaders);
	config_secret_free(&nf->secret);
	config_secret_free(&nf->routing_key);
	config_secret_free(&nf->password);
	config_kvs_free(nf->labels, nf->nlabels);
}

/*
 * The type of a notifier: its kind's defaults, the keys of other kinds
 * refused, and the keys read with the kind (timeout, retry) read first.
 */
static void
config_notifier_type(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_notifier *nf = it->obj;
	const struct notifier_kind *kind;
	const struct config_key *row;
	const char **names;
	size_t i;
	char *by;
	int t;

	nf->facility = LOG_DAEMON;
	names = config_names_of(
	    notifier_kinds, NOTIFIER_KIND_COUNT, sizeof(notifier_kinds[0]));
	t = config_enum(p, kv, names, "notifier type");
	free(names);
	if (t == -1)
		return;
	kind = notifier_kind_get(t);
	config_keys_default(config_notifier_keys, t, nf);
	nf->type = t;
	it->kind = t;
	by = xasprintf("%s notifiers", kind->name);
	for (i = 0; i < it->m.n; i++) {
		row = config_key_find(config_notifier_keys, it->m.v[i].key);
		if (row != NULL && row->kinds != 0 &&
		    !(row->kinds & NOTIFIER_KIND(t)))
			config_error(p, it->m.v[i].knode,
			    "%s is not used by %s", it->m.v[i].key, by);
	}
	free(by);
	nf->timeout_ms = kind->timeout_ms;
	if (kind->retry)
		config_keys_default(config_retry_keys, -1, &nf->retry);
	if (kind->timeout_ms != 0 &&
	    (kv = config_map_find(&it->m, "timeout")) != NULL)
		config_duration(p, kv, kind->timeout_min_ms,
		    kind->timeout_max_ms, 0, &nf->timeout_ms);
	if (kind->retry && (kv = config_map_find(&it->m, "retry")) != NULL)
		config_parse_retry(p, kv, &nf->retry, it->desc);
}

/* The "notifiers[N]" a webhook's secrets are named under. */
static void
config_notifier_at(struct config_item *it, char *at, size_t size)
{
	snprintf(at, size, "notifiers[%zu]", it->idx - 1);
}

/* 1 if s is smtp://host[:port] or smtps://host[:port], nothing more. */
static int
config_smtp_url_ok(const char *s)
{
	const char *h, *c;

	if (strncmp(s, "smtp://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "smtps://", 8) == 0)
		h = s + 8;
	else
		return 0;
	if (*h == '\0' || *h == ':' || *h == '/')
		return 0;
	for (c = h; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '@' ||
		    *c == '?' || *c == '#' || (*c == '/' && c[1] != '\0'))
			return 0;
	}
	return 1;
}

/* 1 if s is an address an email notifier may use (no name, no <>). */
static int
config_mail_address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	const char *c;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (c = s; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '<' ||
		    *c == '>' || *c == ',' || *c == '"' || *c == '(' ||
		    *c == ')' || *c == ';' || *c == '\\')
			return 0;
	}
	return strlen(s) <= 254;
}

/* The envelope and header From of an email notifier. */
static void
config_notifier_from(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	const char *s;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	if (!config_mail_address_ok(s))
		config_error(it->p, kv->vnode,
		    "from must be an address such as taskwatch@example.com, "
		    "without a name or <>");
	else
		nf->from = xstrdup(s);
}

/* The recipients of an email notifier: a non-empty list of addresses. */
static void
config_notifier_to(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	yaml_node_t **nodes;
	size_t i;

	config_strlist(it->p, kv, 0, &nf->to, &nodes);
	for (i = 0; nodes != NULL && i < nf->to.n; i++)
		if (!config_mail_address_ok(nf->to.v[i]))
			config_error(it->p, nodes[i],
			    "each of to must be an address such as "
			    "oncall@example.com, without a name or <>");
	if (nf->to.n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE)
		config_error(it->p, kv->vnode, "to must not be empty");
	free(nodes);
}

/* The SMTP password of an email notifier: needed with user, else refused. */
static void
config_notifier_password(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	char at[64];

	config_notifier_at(it, at, sizeof(at));
	config_secret(it->p, &it->m, at, "password", nf->user != NULL, "user",
	    &nf->password);
	if (nf->user == NULL && config_secret_set(&nf->password))
		config_error(
		    it->p, it->m.node, "password is used only with user");
}

/* The url of a webhook (required) or of PagerDuty (it has a default). */
static void
config_notifier_url(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	const char *s;

	if (kv == NULL) {
		if (nf->type == CONFIG_NOTIFIER_PAGERDUTY)
			nf->url = xstrdup(PAGERDUTY_URL);
		else
			config_missing(it->p, &it->m, "url", it->where);
		return;
	}
	if ((s = config_string(it->p, kv)) == NULL)
		return;
	if (nf->type != CONFIG_NOTIFIER_EMAIL)
		nf->url = config_url(it->p, kv->vnode, "url", s, 0);
	else if (!config_smtp_url_ok(s))
		config_error(it->p, kv->vnode,
		    "url must be an smtp:// or smtps:// URL with a host");
	else
		nf->url = xstrdup(s);
}

/* The headers of a webhook. */
static void
config_notifier_headers(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	char at[64];

	config_notifier_at(it, at, sizeof(at));
	config_parse_kvs(it->p, kv, at, &nf->headers, &nf->nheaders);
}

/* The signing secret of a webhook: secret_file, _env or _credential. */
static void
config_notifier_secret(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	char at[64];

	config_notifier_at(it, at, sizeof(at));
	config_secret(it->p, &it->m, at, "secret", 0, NULL, &nf->secret);
}

/* The routing key of a PagerDuty notifier: routing_key_file, _env or _credential. */
static void
config_notifier_routing_key(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	char at[64];

	config_notifier_at(it, at, sizeof(at));
	config_secret(
	    it->p, &it->m, at, "routing_key", 1, it->desc, &nf->routing_key);
}

/*
 * The link of a PagerDuty notifier: a URL template, checked with the
 * notifiers (notify_check); where it starts, for its errors.
 */
static void
config_notifier_link(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	const char *s;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	free(nf->link);
	nf->link = xstrdup(s);
	nf->link_line = (int)kv->vnode->start_mark.line + 1;
	nf->link_col = (int)kv->vnode->start_mark.column + 1;
	/* A quoted scalar's text starts after its quote. */
	if (kv->vnode->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    kv->vnode->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		nf->link_col++;
}

/* The labels of an alertmanager notifier. */
static void
config_notifier_labels(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;

	config_parse_kvs(it->p, kv, NULL, &nf->labels, &nf->nlabels);
}

/* The facility of a syslog notifier, by a name of config_facilities. */
static void
config_notifier_facility(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	const char **names;
	int t;

	if (kv == NULL)
		return;
	/* Every row but the NULL one that ends the table. */
	names = config_names_of(config_facilities,
	    sizeof(config_facilities) / sizeof(config_facilities[0]) - 1,
	    sizeof(config_facilities[0]));
	if ((t = config_enum(it->p, kv, names, "syslog facility")) != -1)
		nf->facility = config_facilities[t].facility;
	free(names);
}

/* The user an exec notifier runs its hooks as. */
static void
config_notifier_user(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;
	const char *s;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	if (nf->type == CONFIG_NOTIFIER_EMAIL) {
		/* The SMTP login: any text but line breaks. */
		if (*s == '\0' || strpbrk(s, "\r\n") != NULL)
			config_error(it->p, kv->vnode,
			    "user must be a login without line breaks");
		else
			nf->user = xstrdup(s);
		return;
	}
	if (strlen(s) > 32 || *s == '-' || !config_chars_ok(s, "._-"))
		config_error(it->p, kv->vnode, "invalid user name %s",
		    config_q(it->p, s));
	else
		nf->user = xstrdup(s);
}

/* The values of an email notifier's starttls, by enum config_starttls. */
const char *const config_starttls_names[] = { "required", "optional", "off",
	NULL };

/* The values of an exec notifier's per, by enum config_hook_per. */
const char *const config_hook_per_names[] = { "cluster", "task_type", "watch",
	"notifier", NULL };

/* The values of its cooldown_per, by enum config_cooldown_per. */
const char *const config_cooldown_per_names[] = { "task", "cluster", NULL };

/* The values of a webhook's format, by enum config_format. */
const char *const config_format_names[] = { "standard", "slack", "teams",
	"template", NULL };

/* A webhook's template file: required with format template, else refused. */
static void
config_notifier_template(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_notifier *nf = it->obj;

	if (nf->format != CONFIG_FORMAT_TEMPLATE) {
		if (kv != NULL)
			config_error(it->p, kv->knode,
			    "template is used only with format: template");
		return;
	}
	if (kv == NULL) {
		config_missing(it->p, &it->m, "template", it->where);
		return;
	}
	free(nf->template);
	nf->template = config_abspath(it->p, kv);
}

/*
 * The keys of a notifier; kinds: the notifier kinds that take the key (the
 * others refuse it).  KIND: its default and range are the kind's.
 */
const struct config_key config_notifier_keys[] = {
	{ .name = "name",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_REQUIRED,
	    .off = N(name),
	    .parse = config_item_name },
	{ .name = "type",
	    .type = CONFIG_T_ENUM,
	    .flags = CONFIG_K_REQUIRED,
	    .off = N(type),
	    .parse = config_notifier_type },
	{ .name = "url",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_ABSENT,
	    .kinds = WEBHOOK | PAGERDUTY | EMAIL,
	    .off = N(url),
	    .parse = config_notifier_url },
	{ .name = "headers",
	    .type = CONFIG_T_OTHER,
	    .kinds = WEBHOOK,
	    .off = CONFIG_NOFIELD,
	    .parse = config_notifier_headers },
	{ .name = "secret_file",
	    .type = CONFIG_T_OTHER,
	    .kinds = WEBHOOK,
	    .flags = CONFIG_K_ABSENT,
	    .off = CONFIG_NOFIELD,
	    .parse = config_notifier_secret },
	{ .name = "secret_env",
	    .type = CONFIG_T_OTHER,
	    .kinds = WEBHOOK,
	    .off = CONFIG_NOFIELD },
	{ .name = "secret_credential",
	    .type = CONFIG_T_OTHER,
	    .kinds = WEBHOOK,
	    .off = CONFIG_NOFIELD },
	{ .name = "routing_key_file",
	    .type = CONFIG_T_OTHER,
	    .kinds = PAGERDUTY,
	    .flags = CONFIG_K_ABSENT,
	    .off = CONFIG_NOFIELD,
	    .parse = config_notifier_routing_key },
	{ .name = "routing_key_env",
	    .type = CONFIG_T_OTHER,
	    .kinds = PAGERDUTY,
	    .off = CONFIG_NOFIELD },
	{ .name = "routing_key_credential",
	    .type = CONFIG_T_OTHER,
	    .kinds = PAGERDUTY,
	    .off = CONFIG_NOFIELD },
	{ .name = "format",
	    .type = CONFIG_T_ENUM,
	    .kinds = WEBHOOK,
	    .names = config_format_names,
	    .noun = "format",
	    .def = CONFIG_FORMAT_STANDARD,
	    .off = N(format) },
	{ .name = "template",
	    .type = CONFIG_T_PATH,
	    .flags = CONFIG_K_ABSENT,
	    .kinds = WEBHOOK,
	    .off = N(template),
	    .parse = config_notifier_template },
	{ .name = "link",
	    .type = CONFIG_T_STRING,
	    .kinds = WEBHOOK | PAGERDUTY,
	    .off = N(link),
	    .parse = config_notifier_link },
	{ .name = "starttls",
	    .type = CONFIG_T_ENUM,
	    .kinds = EMAIL,
	    .names = config_starttls_names,
	    .noun = "starttls",
	    .def = CONFIG_STARTTLS_REQUIRED,
	    .off = N(starttls) },
	{ .name = "tls_ca_file",
	    .type = CONFIG_T_PATH,
	    .kinds = EMAIL,
	    .off = N(tls_ca_file) },
	{ .name = "from",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_REQUIRED,
	    .kinds = EMAIL,
	    .off = N(from),
	    .parse = config_notifier_from },
	{ .name = "to",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_REQUIRED,
	    .kinds = EMAIL,
	    .off = N(to),
	    .parse = config_notifier_to },
	{ .name = "group_window",
	    .type = CONFIG_T_DURATION,
	    .kinds = EMAIL,
	    .max = CONFIG_HOUR,
	    .off = N(group_window_ms) },
	{ .name = "timeout",
	    .type = CONFIG_T_DURATION,
	    .flags = CONFIG_K_KIND,
	    .kinds = WEBHOOK | ALERTMANAGER | EXEC | PAGERDUTY | EMAIL,
	    .off = N(timeout_ms) },
	{ .name = "retry",
	    .type = CONFIG_T_OTHER,
	    .flags = CONFIG_K_KIND,
	    .kinds = WEBHOOK | ALERTMANAGER | PAGERDUTY | EMAIL,
	    .off = CONFIG_NOFIELD },
	{ .name = "urls",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_REQUIRED,
	    .kinds = ALERTMANAGER,
	    .off = N(urls),
	    .parse = config_notifier_urls },
	{ .name = "resolve_after",
	    .type = CONFIG_T_DURATION,
	    .kinds = ALERTMANAGER,
	    .min = CONFIG_MIN,
	    .max = 30 * CONFIG_DAY,
	    .def = 24 * CONFIG_HOUR,
	    .off = N(resolve_after_ms) },
	{ .name = "repeat",
	    .type = CONFIG_T_DURATION,
	    .kinds = ALERTMANAGER,
	    .min = CONFIG_SEC,
	    .max = 24 * CONFIG_HOUR,
	    .def = CONFIG_MIN,
	    .off = N(repeat_ms) },
	{ .name = "labels",
	    .type = CONFIG_T_OTHER,
	    .kinds = ALERTMANAGER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_notifier_labels },
	{ .name = "facility",
	    .type = CONFIG_T_INT,
	    .kinds = SYSLOG,
	    .def = LOG_DAEMON,
	    .off = N(facility),
	    .parse = config_notifier_facility },
	{ .name = "command",
	    .type = CONFIG_T_LIST,
	    .flags = CONFIG_K_REQUIRED,
	    .kinds = EXEC,
	    .off = N(command),
	    .parse = config_notifier_command },
	{ .name = "max_concurrent",
	    .type = CONFIG_T_UINT,
	    .kinds = EXEC,
	    .min = 1,
	    .max = 64,
	    .def = 4,
	    .off = N(max_concurrent) },
	{ .name = "cooldown",
	    .type = CONFIG_T_DURATION,
	    .kinds = EXEC,
	    .max = 30 * CONFIG_DAY,
	    .off = N(cooldown_ms) },
	{ .name = "cooldown_per",
	    .type = CONFIG_T_ENUM,
	    .kinds = EXEC,
	    .names = config_cooldown_per_names,
	    .noun = "cooldown_per",
	    .def = CONFIG_COOLDOWN_PER_TASK,
	    .off = N(cooldown_per) },
	{ .name = "max_runs",
	    .type = CONFIG_T_UINT,
	    .kinds = EXEC,
	    .max = 1000,
	    .off = N(max_runs) },
	{ .name = "per_window",
	    .type = CONFIG_T_DURATION,
	    .kinds = EXEC,
	    .min = CONFIG_SEC,
	    .max = 30 * CONFIG_DAY,
	    .def = CONFIG_HOUR,
	    .off = N(per_window_ms) },
	{ .name = "per",
	    .type = CONFIG_T_ENUM,
	    .kinds = EXEC,
	    .names = config_hook_per_names,
	    .noun = "per",
	    .def = CONFIG_HOOK_PER_CLUSTER,
	    .off = N(per) },
	{ .name = "break_after",
	    .type = CONFIG_T_UINT,
	    .kinds = EXEC,
	    .max = 1000,
	    .off = N(break_after) },
	{ .name = "break_for",
	    .type = CONFIG_T_DURATION,
	    .kinds = EXEC,
	    .min = CONFIG_SEC,
	    .max = 30 * CONFIG_DAY,
	    .def = 15 * CONFIG_MIN,
	    .off = N(break_for_ms) },
	{ .name = "user",
	    .type = CONFIG_T_STRING,
	    .kinds = EXEC | EMAIL,
	    .off = N(user),
	    .parse = config_notifier_user },
	{ .name = "password_file",
	    .type = CONFIG_T_OTHER,
	    .kinds = EMAIL,
	    .flags = CONFIG_K_ABSENT,
	    .off = CONFIG_NOFIELD,
	    .parse = config_notifier_password },
	{ .name = "password_env",
	    .type = CONFIG_T_OTHER,
	    .kinds = EMAIL,
	    .off = CONFIG_NOFIELD },
	{ .name = "password_credential",
	    .type = CONFIG_T_OTHER,
	    .kinds = EMAIL,
	    .off = CONFIG_NOFIELD },
	{ .name = "allow_root",
	    .type = CONFIG_T_BOOL,
	    .kinds = EXEC,
	    .off = N(allow_root) },
	{ .name = "dry_run",
	    .type = CONFIG_T_BOOL,
	    .kinds = EXEC,
	    .off = N(dry_run) },
	/* The kinds whose notifier_kinds row is silenceable. */
	{ .name = "send_silenced",
	    .type = CONFIG_T_BOOL,
	    .kinds = WEBHOOK | SYSLOG | PAGERDUTY | EMAIL,
	    .off = N(send_silenced) },
	{ .name = "secret", .type = CONFIG_T_INLINE, .kinds = WEBHOOK },
	{ .name = "routing_key", .type = CONFIG_T_INLINE, .kinds = PAGERDUTY },
	{ .name = "password", .type = CONFIG_T_INLINE, .kinds = EMAIL },
	{ .name = NULL },
};

/* The notifiers section. */
const struct config_list config_notifiers = {
	.key = "notifiers",
	.noun = "notifier",
	.size = sizeof(struct config_notifier),
	.items = offsetof(struct config, notifiers),
	.count = offsetof(struct config, nnotifiers),
	.line = N(line),
	.col = N(col),
	.keys = config_notifier_keys,
};

/* "webhook", "alertmanager", "syslog", "exec". */
const char *
config_notifier_type_name(enum config_notifier_type type)
{
	return notifier_kind_name(type);
}
