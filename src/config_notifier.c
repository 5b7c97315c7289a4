/*
 * The notifiers section: one mapping per notifier, its kind choosing the
 * keys it takes.
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

const char *const config_notifier_names[] = { "webhook", "alertmanager",
	"syslog", "exec", NULL };

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

static const char *const config_facility_names[] = { "daemon", "user", "local0",
	"local1", "local2", "local3", "local4", "local5", "local6", "local7",
	NULL };

static const char *const config_notifier_keys[] = { "name", "type", "url",
	"headers", "secret_file", "secret_env", "secret_credential", "timeout",
	"retry", "urls", "resolve_after", "repeat", "labels", "facility",
	"command", "max_concurrent", "cooldown", "user", "allow_root", NULL };

static const char *const config_notifier_inline[] = { "secret", NULL };

static const char *const config_webhook_keys[] = { "name", "type", "url",
	"headers", "secret", "secret_file", "secret_env", "secret_credential",
	"timeout", "retry", NULL };

static const char *const config_alertmanager_keys[] = { "name", "type", "urls",
	"resolve_after", "repeat", "labels", "timeout", "retry", NULL };

static const char *const config_syslog_keys[] = { "name", "type", "facility",
	NULL };

static const char *const config_exec_keys[] = { "name", "type", "command",
	"timeout", "max_concurrent", "cooldown", "user", "allow_root", NULL };

static const char *const config_retry_keys[] = { "initial", "max",
	"give_up_after", NULL };

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
	struct config_map m;
	char *where, si[32], sm[32];
	int ok;

	if (config_map_open(p, rkv->vnode, "retry", 1, &m) == -1)
		return;
	where = xasprintf("in retry of %s", desc);
	config_map_check(p, &m, config_retry_keys, NULL, where);
	free(where);
	ok = 1;
	if ((ikv = config_map_find(&m, "initial")) != NULL)
		ok &= config_duration(
			  p, ikv, 10, CONFIG_HOUR, 0, &r->initial_ms) == 0;
	if ((kv = config_map_find(&m, "max")) != NULL)
		ok &= config_duration(
			  p, kv, 100, 24 * CONFIG_HOUR, 0, &r->max_ms) == 0;
	if ((kv = config_map_find(&m, "give_up_after")) != NULL)
		config_duration(p, kv, CONFIG_SEC, 30 * CONFIG_DAY, 0,
		    &r->give_up_after_ms);
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
	size_t i, j;
	int labels = at == NULL;

	if (config_map_open(p, mkv->vnode, mkv->key, 1, &m) == -1)
		return;
	*kvs = xcalloc(m.n + 1, sizeof(**kvs));
	for (i = 0; i < m.n; i++) {
		kv = &m.v[i];
		if (labels && !config_label_name_ok(kv->key)) {
			config_error(p, kv->knode,
			    "invalid label name %s: use "
			    "[a-zA-Z_][a-zA-Z0-9_]*",
			    config_q(p, kv->key));
			continue;
		}
		if (!labels && !config_header_name_ok(kv->key)) {
			config_error(p, kv->knode, "invalid header name %s",
			    config_q(p, kv->key));
			continue;
		}
		if (!labels) {
			for (j = 0; config_reserved_headers[j] != NULL; j++) {
				if (strcasecmp(kv->key,
					config_reserved_headers[j]) == 0)
					break;
			}
			if (config_reserved_headers[j] != NULL) {
				config_error(p, kv->knode,
				    "header %s is set "
				    "by taskwatchd and may not be configured",
				    config_q(p, kv->key));
				continue;
			}
			for (j = 0; j < *n; j++) {
				if (strcasecmp((*kvs)[j].key, kv->key) == 0)
					break;
			}
			if (j < *n) {
				config_error(p, kv->knode,
				    "duplicate header "
				    "%s",
				    config_q(p, kv->key));
				continue;
			}
		}
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
config_parse_urls(struct config_parse *p, const struct config_pair *kv,
    struct config_notifier *nf)
{
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

/* Parse an exec notifier's command list. */
static void
config_parse_command(struct config_parse *p, const struct config_pair *kv,
    struct config_notifier *nf)
{
	yaml_node_item_t *it;
	yaml_node_t *n;
	const char *s;

	if (config_is_null(kv->vnode)) {
		config_error(p, kv->knode, "command needs a value");
		return;
	}
	if (kv->vnode->type != YAML_SEQUENCE_NODE) {
		config_error(p, kv->vnode,
		    "command must be a list (argv), not "
		    "%s",
		    config_kind(kv->vnode));
		return;
	}
	for (it = kv->vnode->data.sequence.items.start;
	     it < kv->vnode->data.sequence.items.top; it++) {
		if ((n = yaml_document_get_node(p->doc, *it)) == NULL)
			continue;
		if (n->type != YAML_SCALAR_NODE || config_is_null(n) ||
		    (s = config_scalar_value(n)) == NULL) {
			config_error(p, n,
			    "items of command must be strings, "
			    "not %s",
			    config_kind(n));
			continue;
		}
		if (it == kv->vnode->data.sequence.items.start && *s != '/') {
			config_error(p, n,
			    "command must start with an "
			    "absolute path");
			continue;
		}
		config_strlist_add(&nf->command, s);
	}
	if (kv->vnode->data.sequence.items.start ==
	    kv->vnode->data.sequence.items.top)
		config_error(p, kv->vnode, "command must not be empty");
}

/* Parse one notifier mapping. */
void
config_parse_notifier(struct config_parse *p, yaml_node_t *node,
    struct config_notifier *nf, size_t idx)
{
	static const char *const *const allowed[] = { config_webhook_keys,
		config_alertmanager_keys, config_syslog_keys,
		config_exec_keys };
	struct config *conf = p->conf;
	const struct config_pair *kv;
	struct config_map m;
	const char *s;
	char *desc, *where, *by, at[64];
	size_t i;
	int t;

	nf->line = (int)node->start_mark.line + 1;
	nf->col = (int)node->start_mark.column + 1;
	if (config_map_open(p, node, "each notifier", 0, &m) == -1)
		return;
	desc = config_item_desc(p, &m, "notifier", idx);
	where = xasprintf("in %s", desc);
	config_map_check(
	    p, &m, config_notifier_keys, config_notifier_inline, where);
	if ((kv = config_map_find(&m, "name")) == NULL)
		config_missing(p, &m, "name", where);
	else if ((nf->name = config_name(p, kv, "notifier")) != NULL) {
		for (i = 0; &conf->notifiers[i] != nf; i++) {
			if (conf->notifiers[i].name != NULL &&
			    strcmp(conf->notifiers[i].name, nf->name) == 0) {
				config_error(p, kv->vnode,
				    "duplicate notifier "
				    "name %s (first defined at line %d)",
				    config_q(p, nf->name),
				    conf->notifiers[i].line);
				break;
			}
		}
	}
	nf->facility = LOG_DAEMON;
	if ((kv = config_map_find(&m, "type")) == NULL) {
		config_missing(p, &m, "type", where);
		goto out;
	}
	if ((t = config_enum(p, kv, config_notifier_names, "notifier type")) ==
	    -1)
		goto out;
	nf->type = t;
	by = xasprintf("%s notifiers", config_notifier_names[t]);
	config_map_only(p, &m, allowed[t], config_notifier_keys, by);
	config_map_only(p, &m, allowed[t], config_notifier_inline, by);
	free(by);

	switch (nf->type) {
	case CONFIG_NOTIFIER_WEBHOOK:
	case CONFIG_NOTIFIER_ALERTMANAGER:
		nf->timeout_ms = 10 * CONFIG_SEC;
		nf->retry.initial_ms = 500;
		nf->retry.max_ms = 60 * CONFIG_SEC;
		nf->retry.give_up_after_ms = 24 * CONFIG_HOUR;
		if ((kv = config_map_find(&m, "timeout")) != NULL)
			config_duration(
			    p, kv, 100, 10 * CONFIG_MIN, 0, &nf->timeout_ms);
		if ((kv = config_map_find(&m, "retry")) != NULL)
			config_parse_retry(p, kv, &nf->retry, desc);
		break;
	case CONFIG_NOTIFIER_EXEC:
		nf->timeout_ms = 5 * CONFIG_MIN;
		nf->max_concurrent = 4;
		if ((kv = config_map_find(&m, "timeout")) != NULL)
			config_duration(p, kv, CONFIG_SEC, 24 * CONFIG_HOUR, 0,
			    &nf->timeout_ms);
		break;
	default:
		break;
	}

	switch (nf->type) {
	case CONFIG_NOTIFIER_WEBHOOK:
		if ((kv = config_map_find(&m, "url")) == NULL)
			config_missing(p, &m, "url", where);
		else if ((s = config_string(p, kv)) != NULL)
			nf->url = config_url(p, kv->vnode, "url", s, 0);
		snprintf(at, sizeof(at), "notifiers[%zu]", idx - 1);
		if ((kv = config_map_find(&m, "headers")) != NULL)
			config_parse_kvs(
			    p, kv, at, &nf->headers, &nf->nheaders);
		config_secret(p, &m, at, "secret", 0, NULL, &nf->secret);
		break;
	case CONFIG_NOTIFIER_ALERTMANAGER:
		nf->resolve_after_ms = 24 * CONFIG_HOUR;
		nf->repeat_ms = CONFIG_MIN;
		if ((kv = config_map_find(&m, "urls")) == NULL)
			config_missing(p, &m, "urls", where);
		else
			config_parse_urls(p, kv, nf);
		if ((kv = config_map_find(&m, "resolve_after")) != NULL)
			config_duration(p, kv, CONFIG_MIN, 30 * CONFIG_DAY, 0,
			    &nf->resolve_after_ms);
		if ((kv = config_map_find(&m, "repeat")) != NULL)
			config_duration(p, kv, CONFIG_SEC, 24 * CONFIG_HOUR, 0,
			    &nf->repeat_ms);
		if ((kv = config_map_find(&m, "labels")) != NULL)
			config_parse_kvs(
			    p, kv, NULL, &nf->labels, &nf->nlabels);
		break;
	case CONFIG_NOTIFIER_SYSLOG:
		if ((kv = config_map_find(&m, "facility")) != NULL &&
		    (t = config_enum(p, kv, config_facility_names,
			 "syslog facility")) != -1)
			nf->facility = config_facilities[t].facility;
		break;
	case CONFIG_NOTIFIER_EXEC:
		if ((kv = config_map_find(&m, "command")) == NULL)
			config_missing(p, &m, "command", where);
		else
			config_parse_command(p, kv, nf);
		if ((kv = config_map_find(&m, "max_concurrent")) != NULL)
			config_uint(p, kv, 1, 64, &nf->max_concurrent);
		if ((kv = config_map_find(&m, "cooldown")) != NULL)
			config_duration(
			    p, kv, 0, 30 * CONFIG_DAY, 0, &nf->cooldown_ms);
		if ((kv = config_map_find(&m, "user")) != NULL &&
		    (s = config_string(p, kv)) != NULL) {
			if (strlen(s) > 32 || *s == '-' ||
			    !config_chars_ok(s, "._-"))
				config_error(p, kv->vnode,
				    "invalid user name "
				    "%s",
				    config_q(p, s));
			else
				nf->user = xstrdup(s);
		}
		if ((kv = config_map_find(&m, "allow_root")) != NULL)
			config_bool(p, kv, &nf->allow_root);
		break;
	}
out:
	free(where);
	free(desc);
	config_map_close(&m);
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

/* Free one notifier's fields. */
void
config_notifier_free(struct config_notifier *nf)
{
	free(nf->name);
	free(nf->url);
	config_kvs_free(nf->headers, nf->nheaders);
	config_secret_free(&nf->secret);
	config_strlist_free(&nf->urls);
	config_kvs_free(nf->labels, nf->nlabels);
	config_strlist_free(&nf->command);
	free(nf->user);
}

/* "webhook", "alertmanager", "syslog", "exec". */
const char *
config_notifier_type_name(enum config_notifier_type type)
{
	if ((int)type < 0 || type > CONFIG_NOTIFIER_EXEC)
		return "unknown";
	return config_notifier_names[type];
}
