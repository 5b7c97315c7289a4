/*
 * The YAML side of the configuration: libyaml loads the file into a
 * document whose nodes are walked with these helpers, every problem
 * collected as file:line:col with a did-you-mean where one helps.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_impl.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define CONFIG_MAX_FILE_BYTES (16 * 1024 * 1024)

/* Index of s in a NULL-terminated list by cmp (strcmp, strcasecmp), or -1. */
static int
config_index_by(const char *const *list, const char *s,
    int (*cmp)(const char *, const char *))
{
	int i;

	for (i = 0; list[i] != NULL; i++) {
		if (cmp(list[i], s) == 0)
			return i;
	}
	return -1;
}

/* Index of s in a NULL-terminated list, or -1. */
int
config_index(const char *const *list, const char *s)
{
	return config_index_by(list, s, strcmp);
}

/* Append "a, b, c" to b. */
void
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
void
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
const char *
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

/*
 * As config_suggest, or else the one name that starts the word or that the
 * word starts ("dds-production" for a watch "dds-prod").
 */
const char *
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

/* Append "; did you mean "x"?" or "; known NOUN: a, b" to b. */
void
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

/* Index of s in a NULL-terminated list, ignoring case (as rules match). */
int
config_index_nocase(const char *const *list, const char *s)
{
	return config_index_by(list, s, strcasecmp);
}

/* Return 1 if a node is a YAML null (absent value). */
int
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
const char *
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
const char *
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
int
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
void
config_map_close(struct config_map *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* The pair for key, or NULL. */
const struct config_pair *
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
void
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
void
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
void
config_missing(struct config_parse *p, const struct config_map *m,
    const char *key, const char *where)
{
	config_error(p, m->node, "missing required key \"%s\" %s", key, where);
}

/* A pair's scalar value; NULL (reported) if empty or not a scalar. */
const char *
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
const char *
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
int
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
char *
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
char *
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
int
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

/*
 * Store v, read from s, if it is in [min, max] (or 0 when zero_ok); else
 * report the range, its bounds written by format, and return -1.
 */
static int
config_in_range(struct config_parse *p, const struct config_pair *kv,
    const char *s, uint64_t v, uint64_t min, uint64_t max, int zero_ok,
    void (*format)(uint64_t, char *, size_t), uint64_t *out)
{
	char smin[32], smax[32];

	if ((v == 0 && zero_ok) || (v >= min && v <= max)) {
		*out = v;
		return 0;
	}
	format(min, smin, sizeof(smin));
	format(max, smax, sizeof(smax));
	config_error(p, kv->vnode, "%s must be %sbetween %s and %s, not %s",
	    kv->key, zero_ok ? "0 (off) or " : "", smin, smax, s);
	return -1;
}

/* Parse a duration in [min, max] (or 0 when zero_ok); -1 (reported). */
int
config_duration(struct config_parse *p, const struct config_pair *kv,
    uint64_t min, uint64_t max, int zero_ok, uint64_t *out)
{
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
	return config_in_range(
	    p, kv, s, v, min, max, zero_ok, util_format_duration, out);
}

/* Parse a byte size in [min, max]; -1 (reported). */
int
config_size(struct config_parse *p, const struct config_pair *kv, uint64_t min,
    uint64_t max, uint64_t *out)
{
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
	return config_in_range(p, kv, s, v, min, max, 0, util_format_size, out);
}

/* Parse an integer in [min, max]; -1 (reported). */
int
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
int
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
char *
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
char *
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
void
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
void
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

/* Compare two string lists for equality (order matters). */
int
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
 * Parse a list of strings (or a single string with CONFIG_LIST_SCALAR)
 * into out and the item nodes into *nodes (caller frees).  Duplicates are
 * refused but in an argv (CONFIG_LIST_ARGV).  -1 if anything was wrong
 * (reported; out holds the good items).
 */
int
config_strlist(struct config_parse *p, const struct config_pair *kv, int flags,
    struct config_strlist *out, yaml_node_t ***nodes)
{
	int scalar_ok = (flags & CONFIG_LIST_SCALAR) != 0;
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
		    scalar_ok                        ? "a string or a list"
			: (flags & CONFIG_LIST_ARGV) ? "a list (argv)"
						     : "a list",
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
		if (!(flags & CONFIG_LIST_ARGV) && config_strlist_has(out, s)) {
			/* A URL's user:password@ must not reach a message. */
			if (strchr(s, '@') != NULL)
				config_error(
				    p, n, "%s lists an entry twice", kv->key);
			else
				config_error(p, n, "%s lists %s twice", kv->key,
				    config_q(p, s));
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
int
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
void
config_secret_free(struct config_secret *s)
{
	free(s->file);
	free(s->env);
	free(s->credential);
	free(s->key);
	memset(s, 0, sizeof(*s));
}

/* 1 if a secret source is set. */
int
config_secret_set(const struct config_secret *s)
{
	return s->file != NULL || s->env != NULL || s->credential != NULL;
}

/* 1 if s can name a secret's file: an absolute path. */
static int
config_secret_file_ok(const char *s)
{
	return *s == '/';
}

/* 1 if s can name a secret's environment variable. */
static int
config_secret_env_ok(const char *s)
{
	return config_chars_ok(s, "_") && !(*s >= '0' && *s <= '9');
}

/* 1 if s can name a systemd credential: no "/", not "." or "..". */
static int
config_secret_credential_ok(const char *s)
{
	return strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

/* The sources of a secret: the key's suffix, its field, what it must be. */
static const struct config_secret_source {
	const char *suffix;
	size_t off;
	int (*ok)(const char *);
	const char *must;
} config_secret_sources[] = {
	{ "file", offsetof(struct config_secret, file), config_secret_file_ok,
	    "an absolute path" },
	{ "env", offsetof(struct config_secret, env), config_secret_env_ok,
	    "an environment variable name" },
	{ "credential", offsetof(struct config_secret, credential),
	    config_secret_credential_ok, "a credential name without \"/\"" },
	{ NULL, 0, NULL, NULL },
};

/*
 * Parse the secret base (base_file, base_env or base_credential) of m into
 * out; at ("accounts[0].auth") prefixes the key recorded for messages.
 * Inline values are refused and never echoed.  When required and none is
 * given, report that needer needs it.
 */
void
config_secret(struct config_parse *p, const struct config_map *m,
    const char *at, const char *base, int required, const char *needer,
    struct config_secret *out)
{
	const struct config_secret_source *src;
	const struct config_pair *kv, *first = NULL;
	const char *s;
	char key[64];
	int seen = 0;

	if ((kv = config_map_find(m, base)) != NULL) {
		config_error(p, kv->knode,
		    "secrets may not be inline: use "
		    "%s_file, %s_env or %s_credential",
		    base, base, base);
		seen = 1;
	}
	for (src = config_secret_sources; src->suffix != NULL; src++) {
		snprintf(key, sizeof(key), "%s_%s", base, src->suffix);
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
		if (!src->ok(s)) {
			config_error(
			    p, kv->vnode, "%s must be %s", key, src->must);
			continue;
		}
		*(char **)((char *)out + src->off) = xstrdup(s);
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
	config_keys_default(config_daemon_keys, -1, &conf->daemon);
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
