/*
 * The configuration file: libyaml loads it into a document whose nodes are
 * walked into struct config, collecting every problem as file:line:col.  Also
 * the normalised printer behind -nv, and small lookups over a loaded config.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <yaml.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define CONFIG_MAX_FILE_BYTES (16 * 1024 * 1024)
#define CONFIG_NAME_MAX 64
#define CONFIG_ID_MAX 128
#define CONFIG_NQ 4
#define CONFIG_QLEN 100

#define CONFIG_SEC 1000ULL
#define CONFIG_MIN (60 * CONFIG_SEC)
#define CONFIG_HOUR (60 * CONFIG_MIN)
#define CONFIG_DAY (24 * CONFIG_HOUR)

/* One collected error; sorted by position before they are joined. */
struct config_err {
	size_t line;
	size_t col;
	size_t seq;
	char *msg;
};

/* State of one config_load. */
struct config_parse {
	const char *path;
	yaml_document_t *doc;
	struct config *conf;
	struct config_err *errs;
	size_t nerrs;
	char q[CONFIG_NQ][CONFIG_QLEN]; /* config_q ring */
	unsigned qi;
};

/* A key of a mapping with its nodes. */
struct config_pair {
	const char *key;
	yaml_node_t *knode;
	yaml_node_t *vnode;
};

/* The pairs of one mapping, duplicates removed. */
struct config_map {
	yaml_node_t *node;
	struct config_pair *v;
	size_t n;
};

static const char *const config_api_names[] = { "dws.actions",
	"dws.logical_tasks", "dds.jobs", "gaussdb.tasks", "ehpc.tasks", NULL };
static const char *const config_cloud_names[] = { "huawei", "otc", "alibaba",
	NULL };
static const char *const config_severity_names[] = { "info", "warning",
	"critical", NULL };
static const char *const config_on_start_names[] = { "baseline", "report",
	NULL };
static const char *const config_notifier_names[] = { "webhook", "alertmanager",
	"syslog", "exec", NULL };
/* Indexed by enum config_auth_method; "none" is never accepted. */
static const char *const config_auth_names[] = { "none", "aksk", "token", "v2",
	"v3", NULL };
static const char *const config_auth_hw[] = { "aksk", "token", NULL };
static const char *const config_auth_ali[] = { "v2", "v3", NULL };
static const char *const config_auth_any[] = { "aksk", "token", "v2", "v3",
	NULL };
/* The DWS action names, in the order of cloud-apis.md section 1. */
static const char *const config_dws_actions[] = { "GROWING", "RESIZE_FAILURE",
	"RESTORING", "RESTORING_FAILED", "SNAPSHOTTING", "SNAPSHOTTING_FAILED",
	"FINE_GRAINED_RESTORING", "FINE_GRAINED_RESTORING_FAILED", NULL };
static const char *const config_event_names[] = { "appeared", "transition",
	"vanished", "stalled", "watch_failed", "watch_recovered", "replaced",
	NULL };
static const char *const config_state_names[] = { "PENDING", "RUNNING",
	"ROLLING_BACK", "SUCCEEDED", "FAILED", "PARTIAL", "ROLLED_BACK",
	"CANCELLED", "UNKNOWN", NULL };
static const struct {
	const char *name;
	int facility;
} config_facilities[] = {
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
};
static const char *const config_facility_names[] = { "daemon", "user", "local0",
	"local1", "local2", "local3", "local4", "local5", "local6", "local7",
	NULL };
/* Endpoint services, in the order they are printed. */
static const char *const config_services[] = { "dws", "dds", "gaussdb", "iam",
	"ehpc", NULL };
static const char *const config_services_huawei[] = { "dws", "dds", "gaussdb",
	"iam", NULL };
static const char *const config_services_otc[] = { "dws", "dds", "iam", NULL };
static const char *const config_services_alibaba[] = { "ehpc", NULL };

static const char *const config_top_keys[] = { "daemon", "accounts", "watches",
	"notifiers", "rules", NULL };
static const char *const config_daemon_keys[] = { "state_dir", "listen",
	"shutdown_timeout", "max_concurrent_polls", "max_response_bytes",
	"control_socket", NULL };
static const char *const config_account_keys[] = { "name", "cloud", "region",
	"project_id", "auth", "endpoints", "rate_limit", "tls_ca_file", NULL };
static const char *const config_auth_keys[] = { "method", "access_key_file",
	"access_key_env", "access_key_credential", "secret_key_file",
	"secret_key_env", "secret_key_credential", "user", "domain",
	"password_file", "password_env", "password_credential",
	"access_key_id_file", "access_key_id_env", "access_key_id_credential",
	"access_key_secret_file", "access_key_secret_env",
	"access_key_secret_credential", NULL };
/* Inline secrets: known (a specific error), never suggested. */
static const char *const config_auth_inline[] = { "access_key", "secret_key",
	"password", "access_key_id", "access_key_secret", NULL };
static const char *const config_auth_aksk_keys[] = { "method", "access_key",
	"access_key_file", "access_key_env", "access_key_credential",
	"secret_key", "secret_key_file", "secret_key_env",
	"secret_key_credential", NULL };
static const char *const config_auth_token_keys[] = { "method", "user",
	"domain", "password", "password_file", "password_env",
	"password_credential", NULL };
static const char *const config_auth_ali_keys[] = { "method", "access_key_id",
	"access_key_id_file", "access_key_id_env", "access_key_id_credential",
	"access_key_secret", "access_key_secret_file", "access_key_secret_env",
	"access_key_secret_credential", NULL };
static const char *const config_watch_keys[] = { "name", "account", "api",
	"clusters", "actions", "interval", "timeout", "lookback", "stall_after",
	"fail_after", "on_start", "timezone", NULL };
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
static const char *const config_rule_keys[] = { "name", "match", "severity",
	"notify", "continue", NULL };
static const char *const config_match_keys[] = { "event", "api", "watch",
	"task_type", "cluster", "from", "to", "account", NULL };
/* Headers the webhook notifier sets itself. */
static const char *const config_reserved_headers[] = { "webhook-id",
	"webhook-timestamp", "webhook-signature", "Content-Type",
	"Content-Length", NULL };

static void config_error(struct config_parse *, const yaml_node_t *,
    const char *, ...) __attribute__((format(printf, 3, 4)));

/* Index of s in a NULL-terminated list, or -1. */
static int
config_index(const char *const *list, const char *s)
{
	int i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], s) == 0)
			return i;
	}
	return -1;
}

/* Append "a, b, c" to b. */
static void
config_join(struct buf *b, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		buf_printf(b, "%s%s", i == 0 ? "" : ", ", list[i]);
}

/* Record an error at a position (line and col 0-based as libyaml has them). */
static void
config_verror(struct config_parse *p, size_t line, size_t col, const char *fmt,
    va_list ap)
{
	struct config_err *e;
	char *msg;

	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	p->errs = xreallocarray(p->errs, p->nerrs + 1, sizeof(*p->errs));
	e = &p->errs[p->nerrs];
	e->line = line;
	e->col = col;
	e->seq = p->nerrs++;
	e->msg = msg;
}

/* Record an error at a node's start. */
static void
config_error(struct config_parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror(p, n->start_mark.line, n->start_mark.column, fmt, ap);
	va_end(ap);
}

/* Record an error at a libyaml mark. */
static void __attribute__((format(printf, 3, 4))) config_error_mark(
    struct config_parse *p, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror(p, mark.line, mark.column, fmt, ap);
	va_end(ap);
}

/* Order errors by position, then by when they were found. */
static int
config_err_cmp(const void *a, const void *b)
{
	const struct config_err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Join the sorted errors into "path:line:col: msg\n" lines; free them. */
static char *
config_errors_join(struct config_parse *p)
{
	struct buf b;
	size_t i;

	qsort(p->errs, p->nerrs, sizeof(*p->errs), config_err_cmp);
	buf_init(&b, 0);
	for (i = 0; i < p->nerrs; i++) {
		buf_printf(&b, "%s:%zu:%zu: %s\n", p->path, p->errs[i].line + 1,
		    p->errs[i].col + 1, p->errs[i].msg);
		free(p->errs[i].msg);
	}
	free(p->errs);
	p->errs = NULL;
	p->nerrs = 0;
	return buf_release(&b);
}

/*
 * Quote a user string for a message: escaped, truncated, in one of a few
 * rotating buffers so a message can quote several strings.
 */
static const char *
config_q(struct config_parse *p, const char *s)
{
	char *d = p->q[p->qi++ % CONFIG_NQ];
	const size_t max = CONFIG_QLEN - 5; /* room for ...", NUL */
	char esc[8];
	unsigned char c;
	size_t n = 0, l;

	d[n++] = '"';
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c < 0x20 || c == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		l = strlen(esc);
		if (n + l > max) {
			while (n > 1 && ((unsigned char)d[n - 1] & 0x80))
				n--;
			memcpy(d + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(d + n, esc, l);
		n += l;
	}
	d[n++] = '"';
	d[n] = '\0';
	return d;
}

/* Levenshtein distance of two short strings. */
static size_t
config_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, best;
	size_t row[CONFIG_NAME_MAX + 1];

	if (la > CONFIG_NAME_MAX || lb > CONFIG_NAME_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* The nearest of list to word if near enough (<= 2, or <= a third). */
static const char *
config_suggest(const char *word, const char *const *list)
{
	const char *best = NULL;
	size_t d, bestd = SIZE_MAX, i;

	for (i = 0; list[i] != NULL; i++) {
		d = config_distance(word, list[i]);
		if (d < bestd) {
			bestd = d;
			best = list[i];
		}
	}
	if (best == NULL || (bestd > 2 && bestd * 3 > strlen(word)))
		return NULL;
	return best;
}

/* Append "; did you mean "x"?" or "; known NOUN: a, b" to b. */
static void
config_hint(
    struct buf *b, const char *word, const char *const *list, const char *noun)
{
	const char *s;

	if (list[0] == NULL) {
		buf_printf(b, "; no %s are defined", noun);
		return;
	}
	if ((s = config_suggest(word, list)) != NULL) {
		buf_printf(b, "; did you mean \"%s\"?", s);
		return;
	}
	buf_printf(b, "; known %s: ", noun);
	config_join(b, list);
}

/* Return 1 if a node is a YAML null (absent value). */
static int
config_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n == NULL)
		return 1;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = (const char *)n->data.scalar.value;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* "a string", "a list", ... for type errors. */
static const char *
config_kind(const yaml_node_t *n)
{
	if (config_is_null(n))
		return "empty";
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "a string";
	}
}

/* A scalar's value, or NULL if it holds a NUL byte. */
static const char *
config_scalar_value(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;

	if (strlen(s) != n->data.scalar.length)
		return NULL;
	return s;
}

/*
 * Collect the pairs of a mapping node, reporting non-string and duplicate
 * keys.  A null node is an empty mapping when null_ok.  -1 (reported) if the
 * node is not a mapping.
 */
static int
config_map_open(struct config_parse *p, yaml_node_t *node, const char *what,
    int null_ok, struct config_map *m)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;
	const char *key;
	size_t i, npairs;

	memset(m, 0, sizeof(*m));
	m->node = node;
	if (null_ok && config_is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE) {
		config_error(p, node, "%s must be a mapping, not %s", what,
		    config_kind(node));
		return -1;
	}
	npairs = (size_t)(node->data.mapping.pairs.top -
	    node->data.mapping.pairs.start);
	m->v = xcalloc(npairs + 1, sizeof(*m->v));
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(p->doc, pair->key);
		v = yaml_document_get_node(p->doc, pair->value);
		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE ||
		    (key = config_scalar_value(k)) == NULL) {
			config_error(p, k, "keys must be plain strings");
			continue;
		}
		for (i = 0; i < m->n; i++) {
			if (strcmp(m->v[i].key, key) == 0)
				break;
		}
		if (i < m->n) {
			config_error(p, k,
			    "duplicate key %s (first at line "
			    "%zu)",
			    config_q(p, key),
			    m->v[i].knode->start_mark.line + 1);
			continue;
		}
		m->v[m->n].key = key;
		m->v[m->n].knode = k;
		m->v[m->n].vnode = v;
		m->n++;
	}
	return 0;
}

/* Free what config_map_open allocated. */
static void
config_map_close(struct config_map *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* The pair for key, or NULL. */
static const struct config_pair *
config_map_find(const struct config_map *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i];
	}
	return NULL;
}

/* Report keys that are neither in known nor in hidden, with a suggestion. */
static void
config_map_check(struct config_parse *p, const struct config_map *m,
    const char *const *known, const char *const *hidden, const char *where)
{
	struct buf b;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (config_index(known, m->v[i].key) != -1 ||
		    (hidden != NULL && config_index(hidden, m->v[i].key) != -1))
			continue;
		buf_init(&b, 0);
		buf_printf(
		    &b, "unknown key %s %s", config_q(p, m->v[i].key), where);
		config_hint(&b, m->v[i].key, known, "keys");
		config_error(p, m->v[i].knode, "%s", buf_str(&b));
		buf_free(&b);
	}
}

/* Report keys of m that are in all but not in allowed: "K is not used by X". */
static void
config_map_only(struct config_parse *p, const struct config_map *m,
    const char *const *allowed, const char *const *all, const char *by)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (config_index(all, m->v[i].key) != -1 &&
		    config_index(allowed, m->v[i].key) == -1)
			config_error(p, m->v[i].knode, "%s is not used by %s",
			    m->v[i].key, by);
	}
}

/* Report a missing required key at the mapping. */
static void
config_missing(struct config_parse *p, const struct config_map *m,
    const char *key, const char *where)
{
	config_error(p, m->node, "missing required key \"%s\" %s", key, where);
}

/* A pair's scalar value; NULL (reported) if empty or not a scalar. */
static const char *
config_scalar(
    struct config_parse *p, const struct config_pair *kv, const char *noun)
{
	const char *s;

	if (config_is_null(kv->vnode)) {
		config_error(p, kv->knode, "%s needs a value", kv->key);
		return NULL;
	}
	if (kv->vnode->type != YAML_SCALAR_NODE) {
		config_error(p, kv->vnode, "%s must be %s, not %s", kv->key,
		    noun, config_kind(kv->vnode));
		return NULL;
	}
	if ((s = config_scalar_value(kv->vnode)) == NULL) {
		config_error(p, kv->vnode,
		    "%s must not contain NUL "
		    "characters",
		    kv->key);
		return NULL;
	}
	return s;
}

/* A pair's non-empty string value; NULL (reported) otherwise. */
static const char *
config_string(struct config_parse *p, const struct config_pair *kv)
{
	const char *s;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return NULL;
	if (*s == '\0') {
		config_error(p, kv->vnode, "%s must not be empty", kv->key);
		return NULL;
	}
	return s;
}

/* Return 1 if every byte of s is a letter, digit or in extra. */
static int
config_chars_ok(const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL)
			continue;
		return 0;
	}
	return 1;
}

/* Parse an account/watch/notifier/rule name into a new string. */
static char *
config_name(
    struct config_parse *p, const struct config_pair *kv, const char *kind)
{
	const char *s;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return NULL;
	if (*s == '\0') {
		config_error(p, kv->vnode, "%s name must not be empty", kind);
		return NULL;
	}
	if (strlen(s) > CONFIG_NAME_MAX || !config_chars_ok(s, "._-")) {
		config_error(p, kv->vnode,
		    "invalid %s name %s: use at most "
		    "%d letters, digits, \".\", \"_\" or \"-\"",
		    kind, config_q(p, s), CONFIG_NAME_MAX);
		return NULL;
	}
	return xstrdup(s);
}

/* Describe an item for messages: KIND "name" or KIND #idx. */
static char *
config_item_desc(struct config_parse *p, const struct config_map *m,
    const char *kind, size_t idx)
{
	const struct config_pair *kv;
	const char *s;

	kv = config_map_find(m, "name");
	if (kv != NULL && kv->vnode->type == YAML_SCALAR_NODE &&
	    !config_is_null(kv->vnode) &&
	    (s = config_scalar_value(kv->vnode)) != NULL && *s != '\0')
		return xasprintf("%s %s", kind, config_q(p, s));
	return xasprintf("%s #%zu", kind, idx);
}

/* Parse a one-of value; its index or -1 (reported). */
static int
config_enum(struct config_parse *p, const struct config_pair *kv,
    const char *const *names, const char *noun)
{
	struct buf b;
	const char *s;
	int i;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return -1;
	if ((i = config_index(names, s)) != -1)
		return i;
	buf_init(&b, 0);
	config_join(&b, names);
	config_error(p, kv->vnode, "unknown %s %s; expected one of: %s", noun,
	    config_q(p, s), buf_str(&b));
	buf_free(&b);
	return -1;
}

/* Parse a duration in [min, max] (or 0 when zero_ok); -1 (reported). */
static int
config_duration(struct config_parse *p, const struct config_pair *kv,
    uint64_t min, uint64_t max, int zero_ok, uint64_t *out)
{
	char smin[32], smax[32];
	const char *s;
	uint64_t v;

	if ((s = config_scalar(p, kv, "a duration")) == NULL)
		return -1;
	if (strcmp(s, "0") == 0)
		v = 0;
	else if (util_parse_duration_ms(s, &v) == -1) {
		config_error(p, kv->vnode,
		    "invalid duration %s for %s (use "
		    "e.g. 500ms, 30s, 5m, 2h, 7d)",
		    config_q(p, s), kv->key);
		return -1;
	}
	if ((v == 0 && zero_ok) || (v >= min && v <= max)) {
		*out = v;
		return 0;
	}
	util_format_duration(min, smin, sizeof(smin));
	util_format_duration(max, smax, sizeof(smax));
	if (zero_ok)
		config_error(p, kv->vnode,
		    "%s must be 0 (off) or between %s "
		    "and %s, not %s",
		    kv->key, smin, smax, s);
	else
		config_error(p, kv->vnode,
		    "%s must be between %s and %s, "
		    "not %s",
		    kv->key, smin, smax, s);
	return -1;
}

/* Parse a byte size in [min, max]; -1 (reported). */
static int
config_size(struct config_parse *p, const struct config_pair *kv, uint64_t min,
    uint64_t max, uint64_t *out)
{
	char smin[32], smax[32];
	const char *s;
	uint64_t v;

	if ((s = config_scalar(p, kv, "a size")) == NULL)
		return -1;
	if (util_parse_size(s, &v) == -1) {
		config_error(p, kv->vnode,
		    "invalid size %s for %s (use e.g. "
		    "4096, 512KiB, 8MiB, 1GiB)",
		    config_q(p, s), kv->key);
		return -1;
	}
	if (v < min || v > max) {
		util_format_size(min, smin, sizeof(smin));
		util_format_size(max, smax, sizeof(smax));
		config_error(p, kv->vnode,
		    "%s must be between %s and %s, "
		    "not %s",
		    kv->key, smin, smax, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parse an integer in [min, max]; -1 (reported). */
static int
config_uint(struct config_parse *p, const struct config_pair *kv, unsigned min,
    unsigned max, unsigned *out)
{
	const char *s, *cause;
	long long v;

	if ((s = config_scalar(p, kv, "an integer")) == NULL)
		return -1;
	if (util_strtonum(s, min, max, &v, &cause) == -1) {
		if (strcmp(cause, "invalid") == 0)
			config_error(p, kv->vnode,
			    "%s must be an integer, "
			    "not %s",
			    kv->key, config_q(p, s));
		else
			config_error(p, kv->vnode,
			    "%s must be between %u and "
			    "%u, not %s",
			    kv->key, min, max, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* Parse true/false; -1 (reported). */
static int
config_bool(struct config_parse *p, const struct config_pair *kv, int *out)
{
	const char *s;

	if ((s = config_scalar(p, kv, "true or false")) == NULL)
		return -1;
	if (strcasecmp(s, "true") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0)
		*out = 0;
	else {
		config_error(p, kv->vnode, "%s must be true or false, not %s",
		    kv->key, config_q(p, s));
		return -1;
	}
	return 0;
}

/* Parse an absolute path into a new string; NULL (reported). */
static char *
config_abspath(struct config_parse *p, const struct config_pair *kv)
{
	const char *s;

	if ((s = config_string(p, kv)) == NULL)
		return NULL;
	if (*s != '/') {
		config_error(
		    p, kv->vnode, "%s must be an absolute path", kv->key);
		return NULL;
	}
	return xstrdup(s);
}

/* Return 1 if s is an http:// or https:// URL with a host. */
static int
config_url_ok(const char *s)
{
	const char *h, *c;

	if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else
		return 0;
	if (*h == '\0' || *h == '/' || *h == '?' || *h == '#')
		return 0;
	for (c = s; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return 0;
	}
	return 1;
}

/*
 * Parse an http(s) URL into a new string, trailing slashes stripped when
 * strip.  The URL is not echoed: it may carry credentials.
 */
static char *
config_url(struct config_parse *p, const yaml_node_t *n, const char *key,
    const char *s, int strip)
{
	char *u;
	size_t l;

	if (!config_url_ok(s)) {
		config_error(p, n,
		    "%s must be an http:// or https:// URL "
		    "with a host",
		    key);
		return NULL;
	}
	u = xstrdup(s);
	l = strlen(u);
	while (strip && l > 0 && u[l - 1] == '/' &&
	    strstr(u, "://") + 3 < u + l - 1)
		u[--l] = '\0';
	return u;
}

/* Free the strings of a list. */
static void
config_strlist_free(struct config_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Append a copy of s to a list. */
static void
config_strlist_add(struct config_strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

/* Return 1 if the list holds s. */
static int
config_strlist_has(const struct config_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], s) == 0)
			return 1;
	}
	return 0;
}

/*
 * Parse a list of strings (or a single string when scalar_ok) into out and
 * the item nodes into *nodes (caller frees).  Duplicates are refused.
 * -1 if anything was wrong (reported; out holds the good items).
 */
static int
config_strlist(struct config_parse *p, const struct config_pair *kv,
    int scalar_ok, struct config_strlist *out, yaml_node_t ***nodes)
{
	yaml_node_item_t *it;
	yaml_node_t *n;
	const char *s;
	int rc = 0;

	*nodes = NULL;
	if (config_is_null(kv->vnode)) {
		config_error(p, kv->knode, "%s needs a value", kv->key);
		return -1;
	}
	if (scalar_ok && kv->vnode->type == YAML_SCALAR_NODE) {
		if ((s = config_scalar(p, kv, "a string")) == NULL)
			return -1;
		config_strlist_add(out, s);
		*nodes = xcalloc(1, sizeof(**nodes));
		(*nodes)[0] = kv->vnode;
		return 0;
	}
	if (kv->vnode->type != YAML_SEQUENCE_NODE) {
		config_error(p, kv->vnode, "%s must be %s, not %s", kv->key,
		    scalar_ok ? "a string or a list" : "a list",
		    config_kind(kv->vnode));
		return -1;
	}
	for (it = kv->vnode->data.sequence.items.start;
	     it < kv->vnode->data.sequence.items.top; it++) {
		if ((n = yaml_document_get_node(p->doc, *it)) == NULL)
			continue;
		if (n->type != YAML_SCALAR_NODE || config_is_null(n) ||
		    (s = config_scalar_value(n)) == NULL) {
			config_error(p, n,
			    "items of %s must be strings, not "
			    "%s",
			    kv->key, config_kind(n));
			rc = -1;
			continue;
		}
		if (config_strlist_has(out, s)) {
			config_error(
			    p, n, "%s lists %s twice", kv->key, config_q(p, s));
			rc = -1;
			continue;
		}
		*nodes = xreallocarray(*nodes, out->n + 1, sizeof(**nodes));
		(*nodes)[out->n] = n;
		config_strlist_add(out, s);
	}
	return rc;
}

/* The items of a top-level section list; 0 items if null. -1 (reported). */
static int
config_seq(struct config_parse *p, const struct config_pair *kv,
    yaml_node_item_t **first, size_t *n)
{
	*first = NULL;
	*n = 0;
	if (kv == NULL || config_is_null(kv->vnode))
		return 0;
	if (kv->vnode->type != YAML_SEQUENCE_NODE) {
		config_error(p, kv->vnode, "%s must be a list, not %s", kv->key,
		    config_kind(kv->vnode));
		return -1;
	}
	*first = kv->vnode->data.sequence.items.start;
	*n = (size_t)(kv->vnode->data.sequence.items.top - *first);
	return 0;
}

/* Free a secret source. */
static void
config_secret_free(struct config_secret *s)
{
	free(s->file);
	free(s->env);
	free(s->credential);
	free(s->key);
	memset(s, 0, sizeof(*s));
}

/* 1 if a secret source is set. */
static int
config_secret_set(const struct config_secret *s)
{
	return s->file != NULL || s->env != NULL || s->credential != NULL;
}

/*
 * Parse the secret base (base_file, base_env or base_credential) of m into
 * out; at ("accounts[0].auth") prefixes the key recorded for messages.
 * Inline values are refused and never echoed.  When required and none is
 * given, report that needer needs it.
 */
static void
config_secret(struct config_parse *p, const struct config_map *m,
    const char *at, const char *base, int required, const char *needer,
    struct config_secret *out)
{
	static const char *const sfx[] = { "file", "env", "credential" };
	const struct config_pair *kv, *first = NULL;
	const char *s;
	char key[64];
	char **dst;
	size_t i;
	int seen = 0;

	if ((kv = config_map_find(m, base)) != NULL) {
		config_error(p, kv->knode,
		    "secrets may not be inline: use "
		    "%s_file, %s_env or %s_credential",
		    base, base, base);
		seen = 1;
	}
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%s_%s", base, sfx[i]);
		if ((kv = config_map_find(m, key)) == NULL)
			continue;
		seen = 1;
		if (first != NULL) {
			config_error(p, kv->knode,
			    "only one of %s_file, "
			    "%s_env and %s_credential may be set",
			    base, base, base);
			continue;
		}
		first = kv;
		if ((s = config_string(p, kv)) == NULL)
			continue;
		dst = i == 0 ? &out->file
		    : i == 1 ? &out->env
			     : &out->credential;
		if (i == 0 && *s != '/') {
			config_error(p, kv->vnode,
			    "%s must be an absolute "
			    "path",
			    key);
			continue;
		}
		if (i == 1 &&
		    (!config_chars_ok(s, "_") || (*s >= '0' && *s <= '9'))) {
			config_error(p, kv->vnode,
			    "%s must be an environment "
			    "variable name",
			    key);
			continue;
		}
		if (i == 2 &&
		    (strchr(s, '/') != NULL || strcmp(s, ".") == 0 ||
			strcmp(s, "..") == 0)) {
			config_error(p, kv->vnode,
			    "%s must be a credential "
			    "name without \"/\"",
			    key);
			continue;
		}
		*dst = xstrdup(s);
		free(out->key);
		out->key = xasprintf("%s.%s", at, key);
		out->line = (int)kv->knode->start_mark.line + 1;
		out->col = (int)kv->knode->start_mark.column + 1;
	}
	if (!seen && required)
		config_error(p, m->node,
		    "%s needs %s_file, %s_env or "
		    "%s_credential",
		    needer, base, base, base);
}

/* Parse the daemon section. */
static void
config_parse_daemon(struct config_parse *p, const struct config_pair *dkv)
{
	struct config_daemon *d = &p->conf->daemon;
	const struct config_pair *kv;
	struct config_map m;
	const char *s;
	char *v;

	if (config_map_open(p, dkv->vnode, "daemon", 1, &m) == -1)
		return;
	config_map_check(p, &m, config_daemon_keys, NULL, "in daemon");
	if ((kv = config_map_find(&m, "state_dir")) != NULL &&
	    (v = config_abspath(p, kv)) != NULL) {
		free(d->state_dir);
		d->state_dir = v;
	}
	if ((kv = config_map_find(&m, "listen")) != NULL &&
	    (s = config_scalar(p, kv, "a string")) != NULL) {
		const char *port, *cause, *h;
		long long pn;
		int ok = 1;

		if (*s == '\0')
			port = NULL;
		else if (*s == '[') {
			h = strchr(s, ']');
			if (h == NULL || h == s + 1 || h[1] != ':')
				ok = 0;
			else {
				char *host = xstrndup(s + 1, h - s - 1);

				ok = config_chars_ok(host, ":.%") &&
				    strchr(host, ':') != NULL;
				free(host);
			}
			port = h != NULL ? h + 2 : NULL;
		} else {
			port = strrchr(s, ':');
			if (port == NULL || port == s) {
				ok = 0;
			} else {
				char *host = xstrndup(s, port - s);

				ok = config_chars_ok(host, ".-");
				free(host);
				port++;
			}
		}
		if (!ok)
			config_error(p, kv->vnode,
			    "invalid listen address %s: "
			    "use host:port, [v6addr]:port or \"\" to disable",
			    config_q(p, s));
		else if (port != NULL &&
		    util_strtonum(port, 1, 65535, &pn, &cause) == -1)
			config_error(p, kv->vnode,
			    "invalid listen port in %s: "
			    "must be 1..65535",
			    config_q(p, s));
		else {
			free(d->listen);
			d->listen = xstrdup(s);
		}
	}
	if ((kv = config_map_find(&m, "control_socket")) != NULL &&
	    (s = config_scalar(p, kv, "a string")) != NULL) {
		if (*s != '\0' && *s != '/')
			config_error(p, kv->vnode,
			    "control_socket must be an absolute path or \"\" "
			    "to disable");
		else if (strlen(s) >= CONFIG_SOCKET_PATH_MAX)
			config_error(p, kv->vnode,
			    "control_socket is longer than %d bytes",
			    CONFIG_SOCKET_PATH_MAX - 1);
		else {
			free(d->control_socket);
			d->control_socket = xstrdup(s);
			d->control_socket_set = 1;
		}
	}
	if ((kv = config_map_find(&m, "shutdown_timeout")) != NULL)
		config_duration(
		    p, kv, 0, 10 * CONFIG_MIN, 0, &d->shutdown_timeout_ms);
	if ((kv = config_map_find(&m, "max_concurrent_polls")) != NULL)
		config_uint(p, kv, 1, 10000, &d->max_concurrent_polls);
	if ((kv = config_map_find(&m, "max_response_bytes")) != NULL)
		config_size(
		    p, kv, 1024, 1024 * 1024 * 1024, &d->max_response_bytes);
	config_map_close(&m);
}

/* Parse an account's auth mapping. */
static void
config_parse_auth(struct config_parse *p, const struct config_pair *akv,
    struct config_account *a, int cloud_ok, const char *desc, size_t idx)
{
	const struct config_pair *kv;
	const char *const *methods, *const *allowed;
	struct config_map m;
	const char *s;
	char *where, *by, at[64];
	int i;

	snprintf(at, sizeof(at), "accounts[%zu].auth", idx - 1);

	if (config_map_open(p, akv->vnode, "auth", 0, &m) == -1)
		return;
	where = xasprintf("in auth of %s", desc);
	config_map_check(p, &m, config_auth_keys, config_auth_inline, where);
	if (!cloud_ok)
		methods = config_auth_any;
	else if (a->cloud == CONFIG_CLOUD_ALIBABA)
		methods = config_auth_ali;
	else
		methods = config_auth_hw;
	if ((kv = config_map_find(&m, "method")) == NULL) {
		config_missing(p, &m, "method", where);
		goto out;
	}
	if (cloud_ok && kv->vnode->type == YAML_SCALAR_NODE &&
	    (s = config_scalar_value(kv->vnode)) != NULL &&
	    config_index(methods, s) == -1 &&
	    config_index(config_auth_any, s) != -1) {
		config_error(p, kv->vnode,
		    "auth method %s is not used by %s "
		    "accounts; expected one of: %s, %s",
		    config_q(p, s), config_cloud_name(a->cloud), methods[0],
		    methods[1]);
		goto out;
	}
	if ((i = config_enum(p, kv, methods, "auth method")) == -1)
		goto out;
	a->auth_method = config_index(config_auth_names, methods[i]);
	by = xasprintf("%s auth", methods[i]);
	switch (a->auth_method) {
	case CONFIG_AUTH_AKSK:
		allowed = config_auth_aksk_keys;
		break;
	case CONFIG_AUTH_TOKEN:
		allowed = config_auth_token_keys;
		break;
	default:
		allowed = config_auth_ali_keys;
		break;
	}
	config_map_only(p, &m, allowed, config_auth_keys, by);
	config_map_only(p, &m, allowed, config_auth_inline, by);
	switch (a->auth_method) {
	case CONFIG_AUTH_AKSK:
		config_secret(p, &m, at, "access_key", 1, by, &a->access_key);
		config_secret(p, &m, at, "secret_key", 1, by, &a->secret_key);
		break;
	case CONFIG_AUTH_TOKEN:
		if ((kv = config_map_find(&m, "user")) == NULL)
			config_missing(p, &m, "user", where);
		else if (config_string(p, kv) != NULL)
			a->user = xstrdup(config_scalar_value(kv->vnode));
		if ((kv = config_map_find(&m, "domain")) != NULL &&
		    config_string(p, kv) != NULL)
			a->domain = xstrdup(config_scalar_value(kv->vnode));
		config_secret(p, &m, at, "password", 1, by, &a->password);
		break;
	default:
		config_secret(
		    p, &m, at, "access_key_id", 1, by, &a->access_key);
		config_secret(
		    p, &m, at, "access_key_secret", 1, by, &a->secret_key);
		break;
	}
	free(by);
out:
	free(where);
	config_map_close(&m);
}

/* The endpoint field of an account for a service name, or NULL. */
static char **
config_endpoint_field(struct config_account *a, const char *svc)
{
	if (strcmp(svc, "dws") == 0)
		return &a->endpoint_dws;
	if (strcmp(svc, "dds") == 0)
		return &a->endpoint_dds;
	if (strcmp(svc, "gaussdb") == 0)
		return &a->endpoint_gaussdb;
	if (strcmp(svc, "iam") == 0)
		return &a->endpoint_iam;
	if (strcmp(svc, "ehpc") == 0)
		return &a->endpoint_ehpc;
	return NULL;
}

/* The services a cloud has endpoints for. */
static const char *const *
config_cloud_services(enum config_cloud cloud)
{
	switch (cloud) {
	case CONFIG_CLOUD_HUAWEI:
		return config_services_huawei;
	case CONFIG_CLOUD_OTC:
		return config_services_otc;
	default:
		return config_services_alibaba;
	}
}

/* Parse an account's endpoints mapping. */
static void
config_parse_endpoints(struct config_parse *p, const struct config_pair *ekv,
    struct config_account *a, int cloud_ok, const char *desc)
{
	const struct config_pair *kv;
	struct config_map m;
	const char *s;
	char *where, *by, **dst;
	size_t i;

	if (config_map_open(p, ekv->vnode, "endpoints", 1, &m) == -1)
		return;
	where = xasprintf("in endpoints of %s", desc);
	config_map_check(p, &m, config_services, NULL, where);
	free(where);
	if (cloud_ok) {
		by = xasprintf("%s accounts", config_cloud_name(a->cloud));
		config_map_only(p, &m, config_cloud_services(a->cloud),
		    config_services, by);
		free(by);
	}
	for (i = 0; config_services[i] != NULL; i++) {
		if ((kv = config_map_find(&m, config_services[i])) == NULL ||
		    (s = config_string(p, kv)) == NULL)
			continue;
		dst = config_endpoint_field(a, config_services[i]);
		*dst = config_url(p, kv->vnode, kv->key, s, 1);
	}
	config_map_close(&m);
}

/* Parse a rate limit "N/s", "N/m" or "N/h". */
static void
config_parse_rate(struct config_parse *p, const struct config_pair *kv,
    struct config_account *a)
{
	const char *s, *slash, *cause;
	char *num;
	long long n;
	uint64_t per;
	int rc;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return;
	slash = strchr(s, '/');
	per = 0;
	if (slash != NULL && strcmp(slash, "/s") == 0)
		per = CONFIG_SEC;
	else if (slash != NULL && strcmp(slash, "/m") == 0)
		per = CONFIG_MIN;
	else if (slash != NULL && strcmp(slash, "/h") == 0)
		per = CONFIG_HOUR;
	if (per == 0) {
		config_error(p, kv->vnode,
		    "invalid rate_limit %s (use e.g. "
		    "10/s, 100/m, 1000/h)",
		    config_q(p, s));
		return;
	}
	num = xstrndup(s, slash - s);
	rc = util_strtonum(num, 1, 1000000, &n, &cause);
	free(num);
	if (rc == -1) {
		config_error(p, kv->vnode,
		    "invalid rate_limit %s: the count "
		    "must be 1..1000000",
		    config_q(p, s));
		return;
	}
	a->rate_limit_count = (unsigned)n;
	a->rate_limit_per_ms = per;
}

/* Parse one account mapping. */
static void
config_parse_account(struct config_parse *p, yaml_node_t *node,
    struct config_account *a, size_t idx)
{
	struct config *conf = p->conf;
	const struct config_pair *kv;
	struct config_map m;
	const char *s;
	char *desc, *where, *by;
	size_t i;
	int c, cloud_ok = 0;

	a->line = (int)node->start_mark.line + 1;
	a->col = (int)node->start_mark.column + 1;
	if (config_map_open(p, node, "each account", 0, &m) == -1)
		return;
	desc = config_item_desc(p, &m, "account", idx);
	where = xasprintf("in %s", desc);
	config_map_check(p, &m, config_account_keys, NULL, where);

	if ((kv = config_map_find(&m, "name")) == NULL)
		config_missing(p, &m, "name", where);
	else if ((a->name = config_name(p, kv, "account")) != NULL) {
		for (i = 0; &conf->accounts[i] != a; i++) {
			if (conf->accounts[i].name != NULL &&
			    strcmp(conf->accounts[i].name, a->name) == 0) {
				config_error(p, kv->vnode,
				    "duplicate account "
				    "name %s (first defined at line %d)",
				    config_q(p, a->name),
				    conf->accounts[i].line);
				break;
			}
		}
	}
	if ((kv = config_map_find(&m, "cloud")) == NULL)
		config_missing(p, &m, "cloud", where);
	else if ((c = config_enum(p, kv, config_cloud_names, "cloud")) != -1) {
		a->cloud = c;
		cloud_ok = 1;
	}
	if ((kv = config_map_find(&m, "region")) == NULL)
		config_missing(p, &m, "region", where);
	else if ((s = config_string(p, kv)) != NULL) {
		if (strlen(s) > CONFIG_NAME_MAX || !config_chars_ok(s, "-_"))
			config_error(p, kv->vnode,
			    "invalid region %s: use "
			    "letters, digits, \"-\" and \"_\"",
			    config_q(p, s));
		else
			a->region = xstrdup(s);
	}
	if ((kv = config_map_find(&m, "project_id")) != NULL) {
		if (cloud_ok && a->cloud == CONFIG_CLOUD_ALIBABA)
			config_error(p, kv->knode,
			    "project_id is not used by "
			    "alibaba accounts");
		else if ((s = config_string(p, kv)) == NULL)
			;
		else if (strlen(s) > CONFIG_ID_MAX || !config_chars_ok(s, "-_"))
			config_error(p, kv->vnode,
			    "invalid project_id %s: use "
			    "letters, digits, \"-\" and \"_\"",
			    config_q(p, s));
		else
			a->project_id = xstrdup(s);
	}
	if ((kv = config_map_find(&m, "auth")) != NULL) {
		if (config_is_null(kv->vnode)) {
			by = xasprintf("in auth of %s", desc);
			config_error(p, kv->knode,
			    "missing required key "
			    "\"method\" %s",
			    by);
			free(by);
		} else
			config_parse_auth(p, kv, a, cloud_ok, desc, idx);
	}
	if ((kv = config_map_find(&m, "endpoints")) != NULL)
		config_parse_endpoints(p, kv, a, cloud_ok, desc);
	if ((kv = config_map_find(&m, "rate_limit")) != NULL)
		config_parse_rate(p, kv, a);
	if ((kv = config_map_find(&m, "tls_ca_file")) != NULL)
		a->tls_ca_file = config_abspath(p, kv);
	free(where);
	free(desc);
	config_map_close(&m);
}

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
static void
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

/* Parse one watch mapping. */
static void
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
static void
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

/* Return 1 if s contains a glob character. */
static int
config_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Index of s in a NULL-terminated list, ignoring case (as rules match). */
static int
config_index_nocase(const char *const *list, const char *s)
{
	int i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcasecmp(list[i], s) == 0)
			return i;
	}
	return -1;
}

/* A copy of a NULL-terminated list of borrowed strings. */
static const char **
config_copy_list(const char *const *list)
{
	const char **v;
	size_t n = 0;

	while (list[n] != NULL)
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	memcpy(v, list, n * sizeof(*v));
	return v;
}

/*
 * As config_suggest, or else the one name that starts the word or that the
 * word starts ("dds-production" for a watch "dds-prod").
 */
static const char *
config_suggest_prefix(const char *word, const char *const *list)
{
	const char *best, *found = NULL;
	size_t i, lw = strlen(word), ln;

	if ((best = config_suggest(word, list)) != NULL)
		return best;
	for (i = 0; list[i] != NULL; i++) {
		ln = strlen(list[i]);
		if (ln < 3 || lw < 3 ||
		    strncmp(word, list[i], ln < lw ? ln : lw) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = list[i];
	}
	return found;
}

/*
 * The configured watch names (watches 1) or cluster IDs (watches 0),
 * NULL-terminated; for clusters, NULL if some watch has no fixed list (its
 * tasks' clusters cannot be known here).
 */
static const char **
config_literal_names(struct config_parse *p, int watches)
{
	const struct config *conf = p->conf;
	const struct config_watch *w;
	const char **v = NULL;
	size_t i, j, n = 0;

	for (i = 0; i < conf->nwatches; i++) {
		w = &conf->watches[i];
		if (!watches && w->clusters.n == 0) {
			free(v);
			return NULL;
		}
		for (j = 0; j < (watches ? 1 : w->clusters.n); j++) {
			const char *s = watches ? w->name : w->clusters.v[j];

			if (s == NULL ||
			    (v != NULL && config_index(v, s) != -1))
				continue;
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = s;
			v[n] = NULL;
		}
	}
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	return v;
}

/* The configured account names, NULL-terminated. */
static const char **
config_account_names(struct config_parse *p)
{
	const char **v;
	size_t i;

	v = xcalloc(p->conf->naccounts + 1, sizeof(*v));
	for (i = 0; i < p->conf->naccounts; i++)
		v[i] = p->conf->accounts[i].name;
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
    const struct config_strlist *l, yaml_node_t **nodes)
{
	const char **names;
	const char *near;
	struct buf b;
	size_t i;
	int cluster = strcmp(key, "cluster") == 0;

	if (strcmp(key, "api") == 0)
		names = config_copy_list(config_api_names);
	else if (strcmp(key, "account") == 0)
		names = config_account_names(p);
	else if (strcmp(key, "watch") == 0)
		names = config_literal_names(p, 1);
	else if (cluster)
		names = config_literal_names(p, 0);
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
		buf_printf(&b,
		    "unknown %s %s in match: the rule can never fire", key,
		    config_q(p, l->v[i]));
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

/* Parse one key of a rule's match; values checked against names if given. */
static void
config_parse_match_key(struct config_parse *p, const struct config_pair *kv,
    const char *const *names, const char *noun, struct config_strlist *out)
{
	yaml_node_t **nodes;
	struct buf b;
	size_t i;

	config_strlist(p, kv, 1, out, &nodes);
	config_check_literals(p, kv->key, out, nodes);
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
static void
config_parse_match(struct config_parse *p, const struct config_pair *mkv,
    struct config_rule *r, const char *desc)
{
	struct config_strlist *const dst[] = { &r->match_event, &r->match_api,
		&r->match_watch, &r->match_task_type, &r->match_cluster,
		&r->match_from, &r->match_to, &r->match_account };
	const char *const *const names[] = { config_event_names, NULL, NULL,
		NULL, NULL, config_state_names, config_state_names, NULL };
	const char *const nouns[] = { "event", "api", NULL, NULL, NULL, "state",
		"state", NULL };
	const struct config_pair *kv;
	struct config_map m;
	char *where;
	size_t i;

	if (config_map_open(p, mkv->vnode, "match", 1, &m) == -1)
		return;
	where = xasprintf("in match of %s", desc);
	config_map_check(p, &m, config_match_keys, NULL, where);
	free(where);
	for (i = 0; config_match_keys[i] != NULL; i++) {
		if ((kv = config_map_find(&m, config_match_keys[i])) != NULL)
			config_parse_match_key(
			    p, kv, names[i], nouns[i], dst[i]);
	}
	config_map_close(&m);
}

/* Parse one rule mapping. */
static void
config_parse_rule(struct config_parse *p, yaml_node_t *node,
    struct config_rule *r, size_t idx)
{
	struct config *conf = p->conf;
	const struct config_pair *kv;
	struct config_map m;
	yaml_node_t **nodes;
	char *desc, *where;
	size_t i;
	int v;

	r->line = (int)node->start_mark.line + 1;
	r->severity = CONFIG_SEVERITY_UNSET;
	if (config_map_open(p, node, "each rule", 0, &m) == -1)
		return;
	if ((kv = config_map_find(&m, "name")) != NULL)
		r->name = config_name(p, kv, "rule");
	else
		r->name = xasprintf("rule-%zu", idx);
	desc = config_item_desc(p, &m, "rule", idx);
	if (kv == NULL) {
		free(desc);
		desc = xasprintf("rule \"%s\"", r->name);
	}
	where = xasprintf("in %s", desc);
	config_map_check(p, &m, config_rule_keys, NULL, where);
	for (i = 0; r->name != NULL && &conf->rules[i] != r; i++) {
		if (conf->rules[i].name != NULL &&
		    strcmp(conf->rules[i].name, r->name) == 0) {
			config_error(p, kv != NULL ? kv->vnode : node,
			    "duplicate rule name %s (first defined at line %d)",
			    config_q(p, r->name), conf->rules[i].line);
			break;
		}
	}
	if ((kv = config_map_find(&m, "match")) != NULL)
		config_parse_match(p, kv, r, desc);
	if ((kv = config_map_find(&m, "severity")) != NULL &&
	    (v = config_enum(p, kv, config_severity_names, "severity")) != -1)
		r->severity = v;
	if ((kv = config_map_find(&m, "notify")) == NULL)
		config_missing(p, &m, "notify", where);
	else {
		config_strlist(p, kv, 0, &r->notify, &nodes);
		if (r->notify.n == 0 && kv->vnode->type == YAML_SEQUENCE_NODE &&
		    kv->vnode->data.sequence.items.start ==
			kv->vnode->data.sequence.items.top)
			config_error(p, kv->vnode, "notify must not be empty");
		r->notifiers = xcalloc(r->notify.n + 1, sizeof(*r->notifiers));
		for (i = 0; i < r->notify.n; i++) {
			r->notifiers[i] =
			    config_find_notifier(conf, r->notify.v[i]);
			if (r->notifiers[i] == NULL)
				config_dangling(p, nodes[i], r->notify.v[i], 1);
		}
		free(nodes);
	}
	if ((kv = config_map_find(&m, "continue")) != NULL)
		config_bool(p, kv, &r->cont);
	free(where);
	free(desc);
	config_map_close(&m);
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
static void
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

/* Find the line and column of a byte offset by reading the file again. */
static void
config_offset_mark(FILE *fp, size_t offset, yaml_mark_t *mark)
{
	size_t i;
	int c;

	memset(mark, 0, sizeof(*mark));
	rewind(fp);
	for (i = 0; i < offset && (c = getc(fp)) != EOF; i++) {
		if (c == '\n') {
			mark->line++;
			mark->column = 0;
		} else if ((c & 0xc0) != 0x80)
			mark->column++;
	}
}

/* Record a libyaml parser error. */
static void
config_yaml_error(struct config_parse *p, const yaml_parser_t *parser, FILE *fp)
{
	yaml_mark_t mark = parser->problem_mark;
	const char *problem =
	    parser->problem != NULL ? parser->problem : "unknown error";

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		fatalx("%s: out of memory parsing YAML", p->path);
	case YAML_READER_ERROR:
		config_offset_mark(fp, parser->problem_offset, &mark);
		config_error_mark(p, mark, "invalid input: %s", problem);
		break;
	default:
		if (parser->context != NULL)
			config_error_mark(p, mark,
			    "syntax error: %s (%s at "
			    "line %zu)",
			    problem, parser->context,
			    parser->context_mark.line + 1);
		else
			config_error_mark(p, mark, "syntax error: %s", problem);
		break;
	}
}

/* Read the file at path; NULL and *errors set on failure. */
static FILE *
config_open(const char *path, char **errors)
{
	struct stat st;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*errors =
		    xasprintf("%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		*errors =
		    xasprintf("%s: cannot open: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_FILE_BYTES) {
		*errors = xasprintf("%s: cannot open: %s\n", path,
		    S_ISDIR(st.st_mode)        ? strerror(EISDIR)
			: !S_ISREG(st.st_mode) ? "not a regular file"
					       : "file too large");
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		*errors =
		    xasprintf("%s: cannot open: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	return fp;
}

/* Load and validate path. */
struct config *
config_load(const char *path, char **errors)
{
	struct config *conf;
	char *dummy = NULL;
	FILE *fp;

	if (errors == NULL)
		errors = &dummy;
	*errors = NULL;
	if ((fp = config_open(path, errors)) == NULL) {
		free(dummy);
		return NULL;
	}
	conf = config_load_stream(path, fp, errors);
	fclose(fp);
	free(dummy);
	return conf;
}

/* Load and validate a config read from fp, reported as path. */
struct config *
config_load_stream(const char *path, FILE *fp, char **errors)
{
	struct config_parse p;
	struct config *conf;
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	char *dummy = NULL;

	if (errors == NULL)
		errors = &dummy;
	*errors = NULL;
	memset(&p, 0, sizeof(p));
	p.path = path;
	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	conf->daemon.state_dir = xstrdup("/var/lib/taskwatchd");
	conf->daemon.listen = xstrdup("127.0.0.1:9465");
	conf->daemon.control_socket = xstrdup(CONFIG_CONTROL_SOCKET);
	conf->daemon.shutdown_timeout_ms = 10 * CONFIG_SEC;
	conf->daemon.max_concurrent_polls = 64;
	conf->daemon.max_response_bytes = 8 * 1024 * 1024;
	p.conf = conf;

	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc))
		config_yaml_error(&p, &parser, fp);
	else {
		p.doc = &doc;
		if ((root = yaml_document_get_root_node(&doc)) != NULL)
			config_parse_root(&p, root);
		if (!yaml_parser_load(&parser, &extra))
			config_yaml_error(&p, &parser, fp);
		else {
			if ((root = yaml_document_get_root_node(&extra)) !=
			    NULL)
				config_error(&p, root,
				    "only one YAML document "
				    "is allowed");
			yaml_document_delete(&extra);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);

	if (p.nerrs > 0) {
		*errors = config_errors_join(&p);
		free(dummy);
		config_free(conf);
		return NULL;
	}
	free(p.errs);
	return conf;
}

/* The value of scalar key in mapping node n of doc; NULL if none. */
static yaml_node_t *
config_peek_key(yaml_document_t *doc, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;

	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(doc, pair->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/*
 * Read section.key from a config file that may not be valid as a whole
 * (taskwatchctl after a bad edit).  0 with *value set (NULL when the file
 * does not give it); -1 with *cause when the file is not readable YAML.
 */
int
config_peek(const char *path, const char *section, const char *key,
    char **value, char **cause)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *n;
	FILE *fp;

	*value = NULL;
	*cause = NULL;
	if ((fp = config_open(path, cause)) == NULL)
		return -1;
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		*cause = xasprintf("%s:%zu:%zu: %s\n", path,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	n = config_peek_key(&doc, yaml_document_get_root_node(&doc), section);
	n = config_peek_key(&doc, n, key);
	if (n != NULL && n->type == YAML_SCALAR_NODE)
		*value = xstrdup((const char *)n->data.scalar.value);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return 0;
}

/* Free one account's fields. */
static void
config_account_free(struct config_account *a)
{
	free(a->name);
	free(a->region);
	free(a->project_id);
	config_secret_free(&a->access_key);
	config_secret_free(&a->secret_key);
	free(a->user);
	free(a->domain);
	config_secret_free(&a->password);
	free(a->endpoint_dws);
	free(a->endpoint_dds);
	free(a->endpoint_gaussdb);
	free(a->endpoint_iam);
	free(a->endpoint_ehpc);
	free(a->tls_ca_file);
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
static void
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

/* Free one rule's fields. */
static void
config_rule_free(struct config_rule *r)
{
	free(r->name);
	config_strlist_free(&r->match_event);
	config_strlist_free(&r->match_api);
	config_strlist_free(&r->match_watch);
	config_strlist_free(&r->match_task_type);
	config_strlist_free(&r->match_cluster);
	config_strlist_free(&r->match_from);
	config_strlist_free(&r->match_to);
	config_strlist_free(&r->match_account);
	config_strlist_free(&r->notify);
	free(r->notifiers);
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

/* Return 1 if s can be printed as a plain YAML scalar and read back. */
static int
config_plain_ok(const char *s)
{
	static const char *const reserved[] = { "~", "null", "Null", "NULL",
		"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
		"YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", NULL };
	size_t len = strlen(s);
	const char *c;

	if (len == 0 || config_index(reserved, s) != -1)
		return 0;
	if (strchr("?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL)
		return 0;
	if (s[0] == '-' && (s[1] == '\0' || s[1] == ' '))
		return 0;
	/* "+08:00", "-1": numbers (sexagesimal too) to other YAML readers */
	if (s[0] == '+' || (s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
		return 0;
	if (s[len - 1] == ' ' || s[len - 1] == ':')
		return 0;
	for (c = s; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f ||
		    strchr(",[]{}", *c) != NULL)
			return 0;
		if ((c[0] == ':' && c[1] == ' ') ||
		    (c[0] == ' ' && c[1] == '#'))
			return 0;
	}
	return 1;
}

/* Print a string as a YAML scalar, double-quoted when needed. */
static void
config_print_scalar(FILE *fp, const char *s)
{
	unsigned char c;

	if (config_plain_ok(s)) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* Print "indent key: value" with the value quoted as needed. */
static void
config_print_kv(FILE *fp, const char *indent, const char *key, const char *v)
{
	fprintf(fp, "%s%s: ", indent, key);
	config_print_scalar(fp, v);
	fputc('\n', fp);
}

/* Print "indent key: duration". */
static void
config_print_dur(FILE *fp, const char *indent, const char *key, uint64_t ms)
{
	char s[32];

	util_format_duration(ms, s, sizeof(s));
	fprintf(fp, "%s%s: %s\n", indent, key, s);
}

/* Print "indent key: [a, b]". */
static void
config_print_list(FILE *fp, const char *indent, const char *key,
    const struct config_strlist *l)
{
	size_t i;

	fprintf(fp, "%s%s: [", indent, key);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			fputs(", ", fp);
		config_print_scalar(fp, l->v[i]);
	}
	fputs("]\n", fp);
}

/* Print the source keys of a secret, if set. */
static void
config_print_secret(FILE *fp, const char *indent, const char *base,
    const struct config_secret *s)
{
	char key[64];

	if (s->file != NULL) {
		snprintf(key, sizeof(key), "%s_file", base);
		config_print_kv(fp, indent, key, s->file);
	} else if (s->env != NULL) {
		snprintf(key, sizeof(key), "%s_env", base);
		config_print_kv(fp, indent, key, s->env);
	} else if (s->credential != NULL) {
		snprintf(key, sizeof(key), "%s_credential", base);
		config_print_kv(fp, indent, key, s->credential);
	}
}

/*
 * Print a key/value mapping block, if not empty.  With redact (headers), a
 * value from a secret source or under a credential-like name is printed as
 * <redacted>.
 */
static void
config_print_kvs(FILE *fp, const char *indent, const char *key,
    const struct config_kv *kvs, size_t n, int redact)
{
	size_t i;

	if (n == 0)
		return;
	fprintf(fp, "%s%s:\n", indent, key);
	for (i = 0; i < n; i++) {
		fprintf(fp, "%s  ", indent);
		config_print_scalar(fp, kvs[i].key);
		fputs(": ", fp);
		if (kvs[i].value == NULL ||
		    (redact &&
			util_header_sensitive(kvs[i].key, strlen(kvs[i].key))))
			fputs("<redacted>", fp);
		else
			config_print_scalar(fp, kvs[i].value);
		fputc('\n', fp);
	}
}

/* Print one account. */
static void
config_print_account(FILE *fp, const struct config_account *a)
{
	const char *const *svc;
	const char *in = "    ";
	char *ep;

	config_print_kv(fp, "  - ", "name", a->name);
	fprintf(fp, "%scloud: %s\n", in, config_cloud_name(a->cloud));
	config_print_kv(fp, in, "region", a->region);
	if (a->project_id != NULL)
		config_print_kv(fp, in, "project_id", a->project_id);
	if (a->auth_method != CONFIG_AUTH_NONE) {
		fprintf(fp, "%sauth:\n", in);
		fprintf(fp, "%s  method: %s\n", in,
		    config_auth_names[a->auth_method]);
		switch (a->auth_method) {
		case CONFIG_AUTH_AKSK:
			config_print_secret(
			    fp, "      ", "access_key", &a->access_key);
			config_print_secret(
			    fp, "      ", "secret_key", &a->secret_key);
			break;
		case CONFIG_AUTH_TOKEN:
			config_print_kv(fp, "      ", "user", a->user);
			if (a->domain != NULL)
				config_print_kv(
				    fp, "      ", "domain", a->domain);
			config_print_secret(
			    fp, "      ", "password", &a->password);
			break;
		default:
			config_print_secret(
			    fp, "      ", "access_key_id", &a->access_key);
			config_print_secret(
			    fp, "      ", "access_key_secret", &a->secret_key);
			break;
		}
	}
	fprintf(fp, "%sendpoints:\n", in);
	for (svc = config_cloud_services(a->cloud); *svc != NULL; svc++) {
		ep = config_endpoint(a, *svc);
		config_print_kv(fp, "      ", *svc, ep);
		free(ep);
	}
	if (a->rate_limit_count != 0)
		fprintf(fp, "%srate_limit: %u/%s\n", in, a->rate_limit_count,
		    a->rate_limit_per_ms == CONFIG_SEC       ? "s"
			: a->rate_limit_per_ms == CONFIG_MIN ? "m"
							     : "h");
	if (a->tls_ca_file != NULL)
		config_print_kv(fp, in, "tls_ca_file", a->tls_ca_file);
}

/* Print one watch. */
static void
config_print_watch(FILE *fp, const struct config_watch *w)
{
	const char *in = "    ";
	int tz = w->timezone_offset_s, atz = tz < 0 ? -tz : tz;
	char zone[16];

	config_print_kv(fp, "  - ", "name", w->name);
	config_print_kv(fp, in, "account", w->account_name);
	fprintf(fp, "%sapi: %s\n", in, config_api_name(w->api));
	if (w->api == CONFIG_API_DWS_ACTIONS ||
	    w->api == CONFIG_API_DWS_LOGICAL || w->api == CONFIG_API_EHPC_TASKS)
		config_print_list(fp, in, "clusters", &w->clusters);
	if (w->api == CONFIG_API_DWS_ACTIONS)
		config_print_list(fp, in, "actions", &w->actions);
	config_print_dur(fp, in, "interval", w->interval_ms);
	config_print_dur(fp, in, "timeout", w->timeout_ms);
	if (w->api == CONFIG_API_DDS_JOBS || w->api == CONFIG_API_GAUSSDB_TASKS)
		config_print_dur(fp, in, "lookback", w->lookback_ms);
	config_print_dur(fp, in, "stall_after", w->stall_after_ms);
	fprintf(fp, "%sfail_after: %u\n", in, w->fail_after);
	fprintf(fp, "%son_start: %s\n", in, config_on_start_names[w->on_start]);
	if (tz == 0)
		snprintf(zone, sizeof(zone), "UTC");
	else
		snprintf(zone, sizeof(zone), "%c%02d:%02d", tz < 0 ? '-' : '+',
		    atz / 3600, atz % 3600 / 60);
	config_print_kv(fp, in, "timezone", zone);
}

/* Print a notifier's retry block. */
static void
config_print_retry(FILE *fp, const struct config_retry *r)
{
	fputs("    retry:\n", fp);
	config_print_dur(fp, "      ", "initial", r->initial_ms);
	config_print_dur(fp, "      ", "max", r->max_ms);
	config_print_dur(fp, "      ", "give_up_after", r->give_up_after_ms);
}

/* Print one notifier. */
static void
config_print_notifier(FILE *fp, const struct config_notifier *nf)
{
	const char *in = "    ";
	size_t i;

	config_print_kv(fp, "  - ", "name", nf->name);
	fprintf(fp, "%stype: %s\n", in, config_notifier_names[nf->type]);
	switch (nf->type) {
	case CONFIG_NOTIFIER_WEBHOOK:
		config_print_kv(fp, in, "url", nf->url);
		config_print_kvs(
		    fp, in, "headers", nf->headers, nf->nheaders, 1);
		config_print_secret(fp, in, "secret", &nf->secret);
		config_print_dur(fp, in, "timeout", nf->timeout_ms);
		config_print_retry(fp, &nf->retry);
		break;
	case CONFIG_NOTIFIER_ALERTMANAGER:
		config_print_list(fp, in, "urls", &nf->urls);
		config_print_dur(fp, in, "resolve_after", nf->resolve_after_ms);
		config_print_dur(fp, in, "repeat", nf->repeat_ms);
		config_print_kvs(fp, in, "labels", nf->labels, nf->nlabels, 0);
		config_print_dur(fp, in, "timeout", nf->timeout_ms);
		config_print_retry(fp, &nf->retry);
		break;
	case CONFIG_NOTIFIER_SYSLOG:
		for (i = 0; i <
		     sizeof(config_facilities) / sizeof(config_facilities[0]);
		     i++) {
			if (config_facilities[i].facility == nf->facility)
				fprintf(fp, "%sfacility: %s\n", in,
				    config_facilities[i].name);
		}
		break;
	case CONFIG_NOTIFIER_EXEC:
		config_print_list(fp, in, "command", &nf->command);
		config_print_dur(fp, in, "timeout", nf->timeout_ms);
		fprintf(fp, "%smax_concurrent: %u\n", in, nf->max_concurrent);
		config_print_dur(fp, in, "cooldown", nf->cooldown_ms);
		if (nf->user != NULL)
			config_print_kv(fp, in, "user", nf->user);
		fprintf(fp, "%sallow_root: %s\n", in,
		    nf->allow_root ? "true" : "false");
		break;
	}
}

/* Print one rule. */
static void
config_print_rule(FILE *fp, const struct config_rule *r)
{
	const struct config_strlist *const lists[] = { &r->match_event,
		&r->match_api, &r->match_watch, &r->match_task_type,
		&r->match_cluster, &r->match_from, &r->match_to,
		&r->match_account };
	const char *in = "    ";
	size_t i;
	int any = 0;

	config_print_kv(fp, "  - ", "name", r->name);
	for (i = 0; config_match_keys[i] != NULL; i++) {
		if (lists[i]->n == 0)
			continue;
		if (!any)
			fprintf(fp, "%smatch:\n", in);
		any = 1;
		config_print_list(fp, "      ", config_match_keys[i], lists[i]);
	}
	if (r->severity != CONFIG_SEVERITY_UNSET)
		fprintf(fp, "%sseverity: %s\n", in,
		    config_severity_name(r->severity));
	config_print_list(fp, in, "notify", &r->notify);
	fprintf(fp, "%scontinue: %s\n", in, r->cont ? "true" : "false");
}

/* Print the normalised config (every default filled in) as YAML. */
void
config_print(const struct config *conf, FILE *fp)
{
	const struct config_daemon *d = &conf->daemon;
	char s[32];
	size_t i;

	fputs("daemon:\n", fp);
	config_print_kv(fp, "  ", "state_dir", d->state_dir);
	config_print_kv(fp, "  ", "listen", d->listen);
	config_print_kv(fp, "  ", "control_socket", d->control_socket);
	config_print_dur(fp, "  ", "shutdown_timeout", d->shutdown_timeout_ms);
	fprintf(fp, "  max_concurrent_polls: %u\n", d->max_concurrent_polls);
	util_format_size(d->max_response_bytes, s, sizeof(s));
	fprintf(fp, "  max_response_bytes: %s\n", s);

	fprintf(fp, "accounts:%s\n", conf->naccounts == 0 ? " []" : "");
	for (i = 0; i < conf->naccounts; i++)
		config_print_account(fp, &conf->accounts[i]);
	fprintf(fp, "watches:%s\n", conf->nwatches == 0 ? " []" : "");
	for (i = 0; i < conf->nwatches; i++)
		config_print_watch(fp, &conf->watches[i]);
	fprintf(fp, "notifiers:%s\n", conf->nnotifiers == 0 ? " []" : "");
	for (i = 0; i < conf->nnotifiers; i++)
		config_print_notifier(fp, &conf->notifiers[i]);
	fprintf(fp, "rules:%s\n", conf->nrules == 0 ? " []" : "");
	for (i = 0; i < conf->nrules; i++)
		config_print_rule(fp, &conf->rules[i]);
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

/*
 * The base URL for a service of an account: the configured endpoint or the
 * cloud's default for the region.  NULL for a service the cloud does not
 * have (or an unknown service name).
 */
char *
config_endpoint(const struct config_account *acct, const char *service)
{
	const char *const *svc;
	char **field;
	const char *host;

	field = config_endpoint_field((struct config_account *)acct, service);
	if (field == NULL)
		return NULL;
	if (*field != NULL)
		return xstrdup(*field);
	for (svc = config_cloud_services(acct->cloud); *svc != NULL; svc++) {
		if (strcmp(*svc, service) == 0)
			break;
	}
	if (*svc == NULL || acct->region == NULL)
		return NULL;
	switch (acct->cloud) {
	case CONFIG_CLOUD_HUAWEI:
		host = strcmp(service, "gaussdb") == 0 ? "gaussdb-opengauss"
						       : service;
		return xasprintf(
		    "https://%s.%s.myhuaweicloud.com", host, acct->region);
	case CONFIG_CLOUD_OTC:
		return xasprintf(
		    "https://%s.%s.otc.t-systems.com", service, acct->region);
	default:
		return xasprintf("https://ehpc.%s.aliyuncs.com", acct->region);
	}
}

/*
 * The regions taskwatchd knows per cloud: an account in another region still
 * works with explicit endpoints, but its default ones are guessed.
 */
static const char *const config_regions_huawei[] = { "af-north-1", "af-south-1",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "cn-east-2", "cn-east-3", "cn-east-4", "cn-east-5",
	"cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-11",
	"cn-north-12", "cn-south-1", "cn-south-2", "cn-south-4",
	"cn-southwest-2", "eu-west-0", "eu-west-101", "la-north-2",
	"la-south-2", "me-east-1", "my-kualalumpur-1", "na-mexico-1",
	"ru-moscow-1", "ru-northwest-2", "sa-brazil-1", "tr-west-1", NULL };
static const char *const config_regions_otc[] = { "eu-de", "eu-nl", "eu-ch2",
	NULL };
static const char *const config_regions_alibaba[] = { "cn-qingdao",
	"cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu",
	"cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen",
	"cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
	"ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ap-south-1", "us-east-1", "us-west-1", "eu-west-1", "eu-central-1",
	"me-east-1", "me-central-1", "na-south-1", NULL };

/* 1 if region is one taskwatchd knows for cloud. */
int
config_region_known(enum config_cloud cloud, const char *region)
{
	const char *const *list = cloud == CONFIG_CLOUD_HUAWEI
	    ? config_regions_huawei
	    : cloud == CONFIG_CLOUD_OTC ? config_regions_otc
					: config_regions_alibaba;

	return region != NULL && config_index(list, region) != -1;
}

/* 1 if the account's endpoint for service is the cloud's default. */
int
config_endpoint_is_default(
    const struct config_account *acct, const char *service)
{
	char **field;

	field = config_endpoint_field((struct config_account *)acct, service);
	return field != NULL && *field == NULL;
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

/* "huawei" / "otc" / "alibaba". */
const char *
config_cloud_name(enum config_cloud cloud)
{
	if ((int)cloud < 0 || cloud > CONFIG_CLOUD_ALIBABA)
		return "unknown";
	return config_cloud_names[cloud];
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

/* "webhook", "alertmanager", "syslog", "exec". */
const char *
config_notifier_type_name(enum config_notifier_type type)
{
	if ((int)type < 0 || type > CONFIG_NOTIFIER_EXEC)
		return "unknown";
	return config_notifier_names[type];
}

/* The severity for a name, or -1 if unknown. */
int
config_severity_from_name(const char *name)
{
	return name == NULL ? -1 : config_index(config_severity_names, name);
}

/* Compare two possibly NULL strings for equality. */
static int
config_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
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

/* Compare two secret sources. */
static int
config_secret_eq(const struct config_secret *a, const struct config_secret *b)
{
	return config_streq(a->file, b->file) && config_streq(a->env, b->env) &&
	    config_streq(a->credential, b->credential);
}

/* Return 1 if two accounts reach the same API the same way. */
static int
config_account_eq(
    const struct config_account *a, const struct config_account *b)
{
	char *ea, *eb;
	size_t i;
	int eq;

	if (a->cloud != b->cloud || !config_streq(a->region, b->region) ||
	    !config_streq(a->project_id, b->project_id) ||
	    a->auth_method != b->auth_method ||
	    !config_secret_eq(&a->access_key, &b->access_key) ||
	    !config_secret_eq(&a->secret_key, &b->secret_key) ||
	    !config_streq(a->user, b->user) ||
	    !config_streq(a->domain, b->domain) ||
	    !config_secret_eq(&a->password, &b->password) ||
	    a->rate_limit_count != b->rate_limit_count ||
	    a->rate_limit_per_ms != b->rate_limit_per_ms ||
	    !config_streq(a->tls_ca_file, b->tls_ca_file))
		return 0;
	for (i = 0; config_services[i] != NULL; i++) {
		ea = config_endpoint(a, config_services[i]);
		eb = config_endpoint(b, config_services[i]);
		eq = config_streq(ea, eb);
		free(ea);
		free(eb);
		if (!eq)
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

/* A notifier as -nv prints it, to tell whether a reload changed it. */
char *
config_notifier_text(const struct config_notifier *nf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	config_print_notifier(fp, nf);
	fclose(fp);
	return text;
}

/* A rule as -nv prints it, to tell whether a reload changed it. */
char *
config_rule_text(const struct config_rule *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	config_print_rule(fp, r);
	fclose(fp);
	return text;
}
