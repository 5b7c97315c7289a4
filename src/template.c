/*
 * Templates (see template.h): compiled into a list of nodes (text, field,
 * if with two branches), rendered against a parsed event document.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "template.h"
#include "util.h"
#include "xmalloc.h"

#define TEMPLATE_MAX_PATH 16  /* segments of a field path */
#define TEMPLATE_MAX_NAME 256 /* bytes of a field path */

enum template_node_kind {
	TEMPLATE_TEXT,
	TEMPLATE_FIELD,
	TEMPLATE_JSON,
	TEMPLATE_IF,
};

struct template_nodes {
	struct template_node *v;
	size_t n;
};

/* One piece of a template. */
struct template_node {
	enum template_node_kind kind;
	char *text;  /* TEXT */
	char **path; /* FIELD, JSON, IF: segments */
	size_t npath;
	struct template_nodes then;  /* IF */
	struct template_nodes other; /* IF: the else part */
};

struct template
{
	enum template_escape escape;
	struct template_nodes nodes;
};

/* The compiler's position in the text. */
struct template_parse {
	const char *end, *start;
	int (*known)(const char *);
	char *cause;
	int depth;
	const char *last; /* the keyword of the last else or end */
};

/* Free a list of nodes. */
static void
template_nodes_free(struct template_nodes *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].text);
		for (j = 0; j < l->v[i].npath; j++)
			free(l->v[i].path[j]);
		free(l->v[i].path);
		template_nodes_free(&l->v[i].then);
		template_nodes_free(&l->v[i].other);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Append a zeroed node to l. */
static struct template_node *
template_nodes_add(struct template_nodes *l, enum template_node_kind kind)
{
	struct template_node *n;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	n = &l->v[l->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	return n;
}

/* Record an error at p (the first only): "line:col: msg". */
static void
template_error(struct template_parse *tp, const char *at, const char *msg)
{
	const char *c;
	int line = 1, col = 1;

	if (tp->cause != NULL)
		return;
	for (c = tp->start; c < at && c < tp->end; c++) {
		if (*c == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*c & 0xc0) != 0x80)
			col++;
	}
	tp->cause = xasprintf("%d:%d: %s", line, col, msg);
}

/* 1 for the blanks allowed inside {{ }}. */
static int
template_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 for a character of a field name. */
static int
template_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * Parse the field path ".a.b" at s (ending before e) into n; 0, or -1
 * with the error recorded.
 */
static int
template_path(struct template_parse *tp, const char *s, const char *e,
    struct template_node *n)
{
	const char *seg, *at = s;
	char name[TEMPLATE_MAX_NAME], *msg;

	if (s >= e || *s != '.') {
		template_error(tp, s, "expected a field such as .task.id");
		return -1;
	}
	if ((size_t)(e - s) >= sizeof(name)) {
		template_error(tp, s, "field name too long");
		return -1;
	}
	memcpy(name, s + 1, (size_t)(e - s - 1));
	name[e - s - 1] = '\0';
	while (s < e) {
		seg = ++s;
		while (s < e && template_name_char(*s))
			s++;
		if (s == seg || (s < e && *s != '.') ||
		    n->npath == TEMPLATE_MAX_PATH) {
			template_error(tp, seg, "bad field name");
			return -1;
		}
		n->path = xreallocarray(n->path, n->npath + 1, sizeof(char *));
		n->path[n->npath++] = xstrndup(seg, (size_t)(s - seg));
	}
	if (tp->known != NULL && !tp->known(name)) {
		msg = xasprintf("unknown field .%s", name);
		template_error(tp, at, msg);
		free(msg);
		return -1;
	}
	return 0;
}

static int template_list(
    struct template_parse *, struct template_nodes *, const char **);

/* The words of an action {{ ... }}: a keyword, and an argument. */
struct template_action {
	const char *at;           /* the action's first word */
	const char *word, *wend;  /* the keyword or field */
	const char *arg, *argend; /* the rest; arg == argend if none */
};

/* Split the inside of an action (s..e) into its words. */
static void
template_words(const char *s, const char *e, struct template_action *a)
{
	while (s < e && template_blank(*s))
		s++;
	while (e > s && template_blank(e[-1]))
		e--;
	a->at = a->word = s;
	while (s < e && !template_blank(*s))
		s++;
	a->wend = s;
	while (s < e && template_blank(*s))
		s++;
	a->arg = s;
	a->argend = e;
}

/* 1 if the keyword of a is word. */
static int
template_is(const struct template_action *a, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(a->wend - a->word) == n &&
	    strncmp(a->word, word, n) == 0;
}

/* Compile an {{ if }} whose argument is in a; *sp is after its }}. */
static int
template_if(struct template_parse *tp, struct template_nodes *l,
    const struct template_action *a, const char **sp)
{
	struct template_node *n = template_nodes_add(l, TEMPLATE_IF);
	int rc;

	if (template_path(tp, a->arg, a->argend, n) == -1)
		return -1;
	if (++tp->depth > TEMPLATE_MAX_DEPTH) {
		template_error(tp, a->at, "ifs nested too deep");
		return -1;
	}
	rc = template_list(tp, &n->then, sp);
	if (rc == 1 && (rc = template_list(tp, &n->other, sp)) == 1) {
		template_error(tp, tp->last, "a second else");
		return -1;
	}
	tp->depth--;
	if (rc == 0)
		template_error(tp, a->at, "if without end");
	return rc == 2 ? 0 : -1;
}

/*
 * Compile one action {{ ... }} starting at *sp ("{{"); appended to l.
 * 0 after a field, if or json; 1 at else; 2 at end; -1 on an error.
 */
static int
template_action(
    struct template_parse *tp, struct template_nodes *l, const char **sp)
{
	struct template_action a;
	struct template_node *n;
	const char *s = *sp + 2, *close;

	close = memmem(s, (size_t)(tp->end - s), "}}", 2);
	if (close == NULL) {
		template_error(tp, *sp, "{{ without }}");
		return -1;
	}
	template_words(s, close, &a);
	*sp = close + 2;
	if (template_is(&a, "if"))
		return template_if(tp, l, &a, sp);
	if (template_is(&a, "else") || template_is(&a, "end")) {
		if (a.arg != a.argend || tp->depth == 0) {
			template_error(tp, a.at,
			    tp->depth == 0 ? "else or end without if"
					   : "else and end take nothing");
			return -1;
		}
		tp->last = a.at;
		return template_is(&a, "else") ? 1 : 2;
	}
	if (template_is(&a, "json")) {
		n = template_nodes_add(l, TEMPLATE_JSON);
		return template_path(tp, a.arg, a.argend, n);
	}
	if (a.arg != a.argend) {
		template_error(tp, a.at,
		    "unknown action (a field such as .task.id, json, if, "
		    "else or end)");
		return -1;
	}
	n = template_nodes_add(l, TEMPLATE_FIELD);
	return template_path(tp, a.word, a.wend, n);
}

/*
 * Compile text and actions into l up to an else (1), an end (2) or the
 * end of the text (0); -1 on an error.
 */
static int
template_list(
    struct template_parse *tp, struct template_nodes *l, const char **sp)
{
	const char *s = *sp, *open;
	struct template_node *n;
	int rc;

	for (;;) {
		open = memmem(s, (size_t)(tp->end - s), "{{", 2);
		if (open == NULL)
			open = tp->end;
		if (open > s) {
			n = template_nodes_add(l, TEMPLATE_TEXT);
			n->text = xstrndup(s, (size_t)(open - s));
		}
		if (open == tp->end) {
			*sp = open;
			return 0;
		}
		s = open;
		if ((rc = template_action(tp, l, &s)) != 0) {
			*sp = s;
			return rc;
		}
	}
}

/* Compile a template (see template.h). */
struct template *
template_compile(const char *text, size_t len, enum template_escape escape,
    int (*known)(const char *path), char **cause)
{
	struct template_parse tp;
	struct template *t;
	const char *s = text;

	if (len > TEMPLATE_MAX_BYTES || memchr(text, '\0', len) != NULL) {
		*cause =
		    xstrdup(len > TEMPLATE_MAX_BYTES ? "1:1: longer than 64 KiB"
						     : "1:1: holds a NUL byte");
		return NULL;
	}
	memset(&tp, 0, sizeof(tp));
	tp.start = text;
	tp.end = text + len;
	tp.known = known;
	t = xcalloc(1, sizeof(*t));
	t->escape = escape;
	if (template_list(&tp, &t->nodes, &s) != 0 && tp.cause == NULL)
		template_error(&tp, s, "else or end without if");
	if (tp.cause != NULL) {
		*cause = tp.cause;
		template_free(t);
		return NULL;
	}
	return t;
}

/* Free a template. */
void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	template_nodes_free(&t->nodes);
	free(t);
}

/* The value at a node's path, or NULL. */
static const struct json *
template_lookup(const struct json *doc, const struct template_node *n)
{
	const struct json *v = doc;
	size_t i;

	for (i = 0; v != NULL && i < n->npath; i++)
		v = json_get(v, n->path[i]);
	return v;
}

/* Write s escaped for the template. */
static void
template_put_str(struct buf *b, const char *s, enum template_escape escape)
{
	struct json_writer *w;
	const char *q;
	size_t n;

	struct buf ent;

	switch (escape) {
	case TEMPLATE_ESCAPE_URL:
		util_urlencode(b, s);
		return;
	case TEMPLATE_ESCAPE_NONE:
		buf_puts(b, s);
		return;
	case TEMPLATE_ESCAPE_SLACK:
		buf_init(&ent, 0);
		for (; *s != '\0'; s++) {
			if (*s == '&')
				buf_puts(&ent, "&amp;");
			else if (*s == '<')
				buf_puts(&ent, "&lt;");
			else if (*s == '>')
				buf_puts(&ent, "&gt;");
			else
				buf_putc(&ent, *s);
		}
		template_put_str(b, buf_str(&ent), TEMPLATE_ESCAPE_JSON);
		buf_free(&ent);
		return;
	case TEMPLATE_ESCAPE_JSON:
		break;
	}
	w = json_writer_new();
	json_w_str(w, s);
	q = json_writer_str(w, &n);
	if (n >= 2)
		buf_add(b, q + 1, n - 2);
	json_writer_free(w);
}

/* Write v as compact JSON text. */
static void
template_put_json(struct buf *b, const struct json *v)
{
	char *s;
	size_t n;

	if (v == NULL) {
		buf_puts(b, "null");
		return;
	}
	s = json_dump(v, &n);
	buf_add(b, s, n);
	free(s);
}

/* 1 if a field is present and not null, false or "". */
static int
template_true(const struct json *v)
{
	int b = 0;

	switch (json_type(v)) {
	case JSON_NULL:
		return 0;
	case JSON_BOOL:
		return json_bool(v, &b) == 0 && b;
	case JSON_STRING:
		return *json_str(v) != '\0';
	default:
		return 1;
	}
}

/* Render a list of nodes into b. */
static void
template_render_list(const struct template *t, const struct template_nodes *l,
    const struct json *doc, struct buf *b)
{
	const struct template_node *n;
	const struct json *v;
	size_t i;

	for (i = 0; i < l->n; i++) {
		n = &l->v[i];
		switch (n->kind) {
		case TEMPLATE_TEXT:
			buf_puts(b, n->text);
			break;
		case TEMPLATE_JSON:
			template_put_json(b, template_lookup(doc, n));
			break;
		case TEMPLATE_IF:
			template_render_list(t,
			    template_true(template_lookup(doc, n)) ? &n->then
								   : &n->other,
			    doc, b);
			break;
		case TEMPLATE_FIELD:
			v = template_lookup(doc, n);
			if (json_type(v) == JSON_STRING)
				template_put_str(b, json_str(v), t->escape);
			else if (json_type(v) != JSON_NULL)
				template_put_json(b, v);
			break;
		}
	}
}

/* Render against a parsed event document (see template.h). */
char *
template_render(const struct template *t, const struct json *doc, size_t *len)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "");
	template_render_list(t, &t->nodes, doc, &b);
	if (len != NULL)
		*len = b.len;
	return buf_release(&b);
}
