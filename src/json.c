/*
 * JSON behind yajl: yajl's callback parser builds our own small tree so the
 * nesting depth can be bounded (JSON_MAX_DEPTH), and yajl_gen writes compact
 * output.  Strings going into the writer are made valid UTF-8 first so that
 * remote text can never stop generation half-way.
 *
 * A tree lives in a few large blocks (an arena) that json_free releases at
 * once: a listing page has thousands of values, and one allocation each
 * cost more than the parse.  Children are gathered on a stack while their
 * container is open and copied into an exact array when it closes.
 *
 * Duplicate object keys are kept; json_get returns the last one.  A string
 * holding "\u0000" is truncated at the NUL (json_str is a C string); the rest
 * of the document is kept, so one odd field cannot fail a whole listing.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define JSON_BLOCK_MIN 256           /* the first block, at least */
#define JSON_BLOCK_FIRST_MAX 65536   /* the first block, at most */
#define JSON_BLOCK_MAX (1024 * 1024) /* later blocks double up to this */
#define JSON_TEXT_RATIO 6            /* tree bytes per byte of text, about */

/* One arena block; the tree's values, arrays and strings are carved out. */
struct json_block {
	struct json_block *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

struct json {
	enum json_type type;
	int b;   /* JSON_BOOL */
	char *s; /* string, or a number's raw text */
	size_t slen;
	struct json **items; /* JSON_ARRAY, JSON_OBJECT values */
	char **keys;         /* JSON_OBJECT keys, as items */
	size_t n;
	const char *src; /* a container's text in the parsed document */
	size_t srclen;
	struct json_block *blocks; /* the root: every block of the tree */
};

struct json_writer {
	yajl_gen g;
	struct buf out;
};

/* Parser state shared by the yajl callbacks. */
struct json_parser {
	struct json *root;
	struct json *stack[JSON_MAX_DEPTH];
	size_t start[JSON_MAX_DEPTH];  /* where stack[i]'s children begin */
	size_t offset[JSON_MAX_DEPTH]; /* where stack[i]'s text begins */
	yajl_handle yh;
	const char *text; /* the document being parsed */
	size_t depth;
	struct json **kids; /* children of the open containers, in order */
	char **kidkeys;     /* their keys (NULL in arrays) */
	size_t nkids;
	size_t capkids;
	char *key;                 /* pending object key (in the arena) */
	char *cause;               /* our own reason for cancelling */
	struct json_block *blocks; /* the arena, newest block first */
	size_t next_cap;           /* the size of the next block */
};

/* Free the blocks of an arena. */
static void
json_blocks_free(struct json_block *b)
{
	struct json_block *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

/* n bytes from the arena, aligned for any type; never NULL. */
static void *
json_alloc(struct json_parser *p, size_t n)
{
	const size_t align = sizeof(max_align_t);
	struct json_block *b = p->blocks;
	size_t cap;
	void *v;

	n = n > 0 ? (n + align - 1) / align * align : align;
	if (b == NULL || b->cap - b->used < n) {
		cap = p->next_cap > n ? p->next_cap : n;
		if (p->next_cap < JSON_BLOCK_MAX)
			p->next_cap *= 2;
		b = xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
		b->next = p->blocks;
		p->blocks = b;
	}
	v = (char *)b->data + b->used;
	b->used += n;
	return v;
}

/* A value of type t from the arena. */
static struct json *
json_new_value(struct json_parser *p, enum json_type t)
{
	struct json *v = json_alloc(p, sizeof(*v));

	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

/* Attach v to the open container, or make it the root; 0, or -1 on error. */
static int
json_attach(struct json_parser *p, struct json *v)
{
	if (p->depth == 0) {
		if (p->root != NULL) {
			p->cause = xstrdup("JSON has more than one value");
			return -1;
		}
		p->root = v;
		return 0;
	}
	if (p->nkids == p->capkids) {
		p->capkids = p->capkids ? p->capkids * 2 : 64;
		p->kids = xreallocarray(p->kids, p->capkids, sizeof(*p->kids));
		p->kidkeys =
		    xreallocarray(p->kidkeys, p->capkids, sizeof(*p->kidkeys));
	}
	p->kidkeys[p->nkids] = NULL;
	if (p->stack[p->depth - 1]->type == JSON_OBJECT) {
		p->kidkeys[p->nkids] = p->key != NULL ? p->key : "";
		p->key = NULL;
	}
	p->kids[p->nkids++] = v;
	return 0;
}

/* Copy len bytes into the arena as a C string, cut at the first NUL. */
static char *
json_copy_text(
    struct json_parser *p, const unsigned char *s, size_t len, size_t *outlen)
{
	const unsigned char *nul = memchr(s, '\0', len);
	char *c;

	if (nul != NULL)
		len = (size_t)(nul - s);
	if (outlen != NULL)
		*outlen = len;
	c = json_alloc(p, len + 1);
	memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

/* yajl: null. */
static int
json_null_cb(void *ctx)
{
	return json_attach(ctx, json_new_value(ctx, JSON_NULL)) == 0;
}

/* yajl: true or false. */
static int
json_boolean_cb(void *ctx, int b)
{
	struct json *v = json_new_value(ctx, JSON_BOOL);

	v->b = b != 0;
	return json_attach(ctx, v) == 0;
}

/* yajl: a number, kept as its raw text. */
static int
json_number_cb(void *ctx, const char *s, size_t len)
{
	struct json *v = json_new_value(ctx, JSON_NUMBER);

	v->s = json_copy_text(ctx, (const unsigned char *)s, len, &v->slen);
	return json_attach(ctx, v) == 0;
}

/* yajl: a string value. */
static int
json_string_cb(void *ctx, const unsigned char *s, size_t len)
{
	struct json *v = json_new_value(ctx, JSON_STRING);

	v->s = json_copy_text(ctx, s, len, &v->slen);
	return json_attach(ctx, v) == 0;
}

/* yajl: an object key; held until its value arrives. */
static int
json_map_key_cb(void *ctx, const unsigned char *s, size_t len)
{
	struct json_parser *p = ctx;

	p->key = json_copy_text(p, s, len, NULL);
	return 1;
}

/* Open an object or array, refusing to nest deeper than JSON_MAX_DEPTH. */
static int
json_open(struct json_parser *p, enum json_type t)
{
	struct json *v;

	if (p->depth >= JSON_MAX_DEPTH) {
		p->cause = xasprintf(
		    "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
		return 0;
	}
	v = json_new_value(p, t);
	if (json_attach(p, v) == -1)
		return 0;
	p->start[p->depth] = p->nkids;
	/* yajl has just consumed the opening bracket. */
	p->offset[p->depth] = yajl_get_bytes_consumed(p->yh) - 1;
	p->stack[p->depth++] = v;
	return 1;
}

/* Close the innermost object or array: give it its gathered children. */
static int
json_close(struct json_parser *p)
{
	struct json *c;
	size_t first, n;

	if (p->depth == 0)
		return 1;
	c = p->stack[--p->depth];
	first = p->start[p->depth];
	n = p->nkids - first;
	if (n > 0) {
		c->items = json_alloc(p, n * sizeof(*c->items));
		memcpy(c->items, p->kids + first, n * sizeof(*c->items));
		if (c->type == JSON_OBJECT) {
			c->keys = json_alloc(p, n * sizeof(*c->keys));
			memcpy(
			    c->keys, p->kidkeys + first, n * sizeof(*c->keys));
		}
	}
	c->n = n;
	c->src = p->text + p->offset[p->depth];
	c->srclen = yajl_get_bytes_consumed(p->yh) - p->offset[p->depth];
	p->nkids = first;
	return 1;
}

/* yajl: '{'. */
static int
json_start_map_cb(void *ctx)
{
	return json_open(ctx, JSON_OBJECT);
}

/* yajl: '['. */
static int
json_start_array_cb(void *ctx)
{
	return json_open(ctx, JSON_ARRAY);
}

/* yajl: '}' or ']'. */
static int
json_end_cb(void *ctx)
{
	return json_close(ctx);
}

static const yajl_callbacks json_callbacks = {
	.yajl_null = json_null_cb,
	.yajl_boolean = json_boolean_cb,
	.yajl_number = json_number_cb,
	.yajl_string = json_string_cb,
	.yajl_start_map = json_start_map_cb,
	.yajl_map_key = json_map_key_cb,
	.yajl_end_map = json_end_cb,
	.yajl_start_array = json_start_array_cb,
	.yajl_end_array = json_end_cb,
};

/* Turn yajl's error into *cause: one line, no trailing newline. */
static char *
json_yajl_cause(yajl_handle yh, const char *text, size_t len)
{
	unsigned char *e;
	char *cause;
	size_t n;

	e = yajl_get_error(yh, 0, (const unsigned char *)text, len);
	if (e == NULL)
		return xstrdup("invalid JSON");
	n = strcspn((char *)e, "\r\n");
	cause = xasprintf("invalid JSON: %.*s", (int)n, (char *)e);
	yajl_free_error(yh, e);
	return cause;
}

/* Parse len bytes into a tree; NULL and *cause on any error. */
struct json *
json_parse(const char *text, size_t len, char **cause)
{
	struct json_parser p;
	yajl_handle yh;
	yajl_status st;
	char *why = NULL;

	memset(&p, 0, sizeof(p));
	if (text == NULL || len == 0) {
		why = xstrdup("empty JSON document");
		goto fail;
	}
	p.next_cap = len < JSON_BLOCK_FIRST_MAX / JSON_TEXT_RATIO
	    ? len * JSON_TEXT_RATIO
	    : JSON_BLOCK_FIRST_MAX;
	if (p.next_cap < JSON_BLOCK_MIN)
		p.next_cap = JSON_BLOCK_MIN;
	yh = yajl_alloc(&json_callbacks, NULL, &p);
	if (yh == NULL)
		fatalx("%s: yajl_alloc failed", __func__);
	p.yh = yh;
	p.text = text;
	st = yajl_parse(yh, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(yh);
	if (st != yajl_status_ok) {
		if (p.cause != NULL) {
			why = p.cause;
			p.cause = NULL;
		} else
			why = json_yajl_cause(yh, text, len);
	} else if (p.root == NULL)
		why = xstrdup("empty JSON document");
	yajl_free(yh);
	free(p.kids);
	free(p.kidkeys);
	if (why == NULL) {
		p.root->blocks = p.blocks;
		return p.root;
	}
fail:
	free(p.cause);
	json_blocks_free(p.blocks);
	if (cause != NULL)
		*cause = why;
	else
		free(why);
	return NULL;
}

/* Free a tree returned by json_parse; NULL is a no-op. */
void
json_free(struct json *root)
{
	if (root != NULL)
		json_blocks_free(root->blocks);
}

/* Type of a value; JSON_NULL for a NULL pointer. */
enum json_type
json_type(const struct json *v)
{
	return v != NULL ? v->type : JSON_NULL;
}

/* Member of an object by key (the last one if repeated); NULL if none. */
const struct json *
json_get(const struct json *v, const char *key)
{
	size_t i;

	if (v == NULL || v->type != JSON_OBJECT || key == NULL)
		return NULL;
	for (i = v->n; i > 0; i--) {
		if (strcmp(v->keys[i - 1], key) == 0)
			return v->items[i - 1];
	}
	return NULL;
}

/* Number of elements of an array or members of an object; 0 otherwise. */
size_t
json_len(const struct json *v)
{
	if (v == NULL || (v->type != JSON_ARRAY && v->type != JSON_OBJECT))
		return 0;
	return v->n;
}

/* Element i of an array, or value of member i of an object; NULL if none. */
const struct json *
json_at(const struct json *v, size_t i)
{
	if (i >= json_len(v))
		return NULL;
	return v->items[i];
}

/* Key of member i of an object; NULL if none. */
const char *
json_key_at(const struct json *v, size_t i)
{
	if (v == NULL || v->type != JSON_OBJECT || i >= v->n)
		return NULL;
	return v->keys[i];
}

/*
 * The text of an object or array as it was in the parsed document, brackets
 * included; NULL for other values.  It points into that document, so it is
 * only valid while the caller still holds the text it parsed.
 */
const char *
json_source(const struct json *v, size_t *len)
{
	if (v == NULL || (v->type != JSON_OBJECT && v->type != JSON_ARRAY) ||
	    v->src == NULL) {
		*len = 0;
		return NULL;
	}
	*len = v->srclen;
	return v->src;
}

/* The string of a JSON_STRING; else NULL. */
const char *
json_str(const struct json *v)
{
	if (v == NULL || v->type != JSON_STRING)
		return NULL;
	return v->s;
}

/* Shortcut: json_str(json_get(v, key)). */
const char *
json_get_str(const struct json *v, const char *key)
{
	return json_str(json_get(v, key));
}

/* Parse s as a whole decimal integer without sign '+' or blanks; -1 if not. */
static int
json_text_int(const char *s, int64_t *out)
{
	char *end;
	long long ll;

	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	ll = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE)
		return -1;
	*out = ll;
	return 0;
}

/*
 * The number of a JSON_NUMBER as an integer; "1e3" and "16.0" count as
 * integral.  With lenient, a string holding a decimal integer too.
 */
int
json_int(const struct json *v, int lenient, int64_t *out)
{
	int64_t i;
	double d;

	if (v == NULL)
		return -1;
	if (v->type == JSON_STRING) {
		if (!lenient || json_text_int(v->s, &i) == -1)
			return -1;
		*out = i;
		return 0;
	}
	if (v->type != JSON_NUMBER)
		return -1;
	if (json_text_int(v->s, &i) == 0) {
		*out = i;
		return 0;
	}
	/* 2^63 is exact as a double; anything below it converts safely. */
	if (json_double(v, &d) == -1 || d < -9223372036854775808.0 ||
	    d >= 9223372036854775808.0)
		return -1;
	i = (int64_t)d;
	if ((double)i != d)
		return -1; /* fractional */
	*out = i;
	return 0;
}

/* The number of a JSON_NUMBER as a double; -1 if not a finite number. */
int
json_double(const struct json *v, double *out)
{
	char *end;
	double d;

	if (v == NULL || v->type != JSON_NUMBER)
		return -1;
	errno = 0;
	d = strtod(v->s, &end);
	if (end == v->s || *end != '\0' || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

/* The value of a JSON_BOOL; -1 if not a bool. */
int
json_bool(const struct json *v, int *out)
{
	if (v == NULL || v->type != JSON_BOOL)
		return -1;
	*out = v->b;
	return 0;
}

/* Serialise v compactly; caller frees.  A NULL v gives "null". */
char *
json_dump(const struct json *v, size_t *len)
{
	struct json_writer *w;
	char *s;

	w = json_writer_new();
	json_w_value(w, v);
	if (len != NULL)
		*len = w->out.len;
	s = buf_release(&w->out);
	json_writer_free(w);
	return s;
}

/* yajl_gen print callback: append to the writer's buffer. */
static void
json_print_cb(void *ctx, const char *s, size_t len)
{
	struct json_writer *w = ctx;

	buf_add(&w->out, s, len);
}

/* A new writer producing compact JSON. */
struct json_writer *
json_writer_new(void)
{
	struct json_writer *w = xcalloc(1, sizeof(*w));

	buf_init(&w->out, 0);
	w->g = yajl_gen_alloc(NULL);
	if (w->g == NULL)
		fatalx("%s: yajl_gen_alloc failed", __func__);
	yajl_gen_config(w->g, yajl_gen_beautify, 0);
	yajl_gen_config(w->g, yajl_gen_escape_solidus, 0);
	yajl_gen_config(w->g, yajl_gen_validate_utf8, 1);
	yajl_gen_config(w->g, yajl_gen_print_callback, json_print_cb, w);
	return w;
}

/* Free a writer; NULL is a no-op. */
void
json_writer_free(struct json_writer *w)
{
	if (w == NULL)
		return;
	yajl_gen_free(w->g);
	buf_free(&w->out);
	free(w);
}

/* Open an object. */
void
json_w_obj_open(struct json_writer *w)
{
	yajl_gen_map_open(w->g);
}

/* Close an object. */
void
json_w_obj_close(struct json_writer *w)
{
	yajl_gen_map_close(w->g);
}

/* Open an array. */
void
json_w_arr_open(struct json_writer *w)
{
	yajl_gen_array_open(w->g);
}

/* Close an array. */
void
json_w_arr_close(struct json_writer *w)
{
	yajl_gen_array_close(w->g);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes); 0 if invalid. */
static size_t
json_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

/* Write len bytes as a string (or key), replacing bad UTF-8 with U+FFFD. */
static void
json_w_text(struct json_writer *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf clean;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		if ((n = json_utf8_seq(p + i, len - i)) == 0)
			break;
	}
	if (i >= len) {
		yajl_gen_string(w->g, p, len);
		return;
	}
	buf_init(&clean, 0);
	buf_add(&clean, s, i);
	while (i < len) {
		if ((n = json_utf8_seq(p + i, len - i)) == 0) {
			buf_add(&clean, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_add(&clean, p + i, n);
			i += n;
		}
	}
	yajl_gen_string(
	    w->g, (const unsigned char *)buf_str(&clean), clean.len);
	buf_free(&clean);
}

/* Write an object key (the next call writes its value). */
void
json_w_key(struct json_writer *w, const char *key)
{
	if (key == NULL)
		key = "";
	json_w_text(w, key, strlen(key));
}

/* Write a string, or null when s is NULL. */
void
json_w_str(struct json_writer *w, const char *s)
{
	if (s == NULL)
		yajl_gen_null(w->g);
	else
		json_w_text(w, s, strlen(s));
}

/* Write an integer. */
void
json_w_int(struct json_writer *w, int64_t v)
{
	yajl_gen_integer(w->g, (long long)v);
}

/* Write a boolean. */
void
json_w_bool(struct json_writer *w, int v)
{
	yajl_gen_bool(w->g, v != 0);
}

/* Write null. */
void
json_w_null(struct json_writer *w)
{
	yajl_gen_null(w->g);
}

/* Write a parsed value (a subtree) as it is; NULL writes null. */
void
json_w_value(struct json_writer *w, const struct json *v)
{
	size_t i;

	if (v == NULL) {
		yajl_gen_null(w->g);
		return;
	}
	switch (v->type) {
	case JSON_NULL:
		yajl_gen_null(w->g);
		break;
	case JSON_BOOL:
		yajl_gen_bool(w->g, v->b);
		break;
	case JSON_NUMBER:
		yajl_gen_number(w->g, v->s, v->slen);
		break;
	case JSON_STRING:
		json_w_text(w, v->s, v->slen);
		break;
	case JSON_ARRAY:
		yajl_gen_array_open(w->g);
		for (i = 0; i < v->n; i++)
			json_w_value(w, v->items[i]);
		yajl_gen_array_close(w->g);
		break;
	case JSON_OBJECT:
		yajl_gen_map_open(w->g);
		for (i = 0; i < v->n; i++) {
			json_w_key(w, v->keys[i]);
			json_w_value(w, v->items[i]);
		}
		yajl_gen_map_close(w->g);
		break;
	}
}

/* Write raw JSON text as a value if it parses, else as a string. */
void
json_w_raw(struct json_writer *w, const char *text)
{
	struct json *v;

	if (text == NULL) {
		yajl_gen_null(w->g);
		return;
	}
	if ((v = json_parse(text, strlen(text), NULL)) == NULL) {
		json_w_str(w, text);
		return;
	}
	json_w_value(w, v);
	json_free(v);
}

/* Write a key and a string. */
void
json_w_kstr(struct json_writer *w, const char *key, const char *s)
{
	json_w_key(w, key);
	json_w_str(w, s);
}

/* Write a key and an integer. */
void
json_w_kint(struct json_writer *w, const char *key, int64_t v)
{
	json_w_key(w, key);
	json_w_int(w, v);
}

/* Write a key and a boolean. */
void
json_w_kbool(struct json_writer *w, const char *key, int v)
{
	json_w_key(w, key);
	json_w_bool(w, v);
}

/* Write a time (seconds since the epoch) as an RFC 3339 string. */
void
json_w_time(struct json_writer *w, int64_t secs)
{
	char s[UTIL_RFC3339_LEN];

	util_format_rfc3339(secs, s);
	json_w_str(w, s);
}

/* Write a key and a time as an RFC 3339 string. */
void
json_w_ktime(struct json_writer *w, const char *key, int64_t secs)
{
	json_w_key(w, key);
	json_w_time(w, secs);
}

/* The document so far (NUL-terminated) and its length. */
const char *
json_writer_str(struct json_writer *w, size_t *len)
{
	if (len != NULL)
		*len = w->out.len;
	return buf_str(&w->out);
}

/* A copy of the document as one line: a newline added (caller frees). */
char *
json_writer_line(struct json_writer *w, size_t *len)
{
	size_t n;
	const char *text = json_writer_str(w, &n);
	char *out = xmalloc(n + 2);

	memcpy(out, text, n);
	out[n++] = '\n';
	out[n] = '\0';
	*len = n;
	return out;
}
