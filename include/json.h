/*
 * JSON through yajl behind a small API: a parser that builds a read-only
 * tree with a nesting-depth limit and typed getters, and a writer that
 * produces compact, correctly escaped documents.  No other module includes
 * yajl.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json; /* a parsed value; the root owns the whole tree */
struct json_writer;

/*
 * Parse len bytes.  Nesting deeper than JSON_MAX_DEPTH, invalid UTF-8 or
 * syntax, and trailing garbage are errors: NULL and *cause set (caller
 * frees *cause).
 */
struct json *json_parse(const char *text, size_t len, char **cause);
/* Free a tree returned by json_parse; NULL is a no-op. */
void json_free(struct json *root);
/* Type of a value; JSON_NULL for a NULL pointer. */
enum json_type json_type(const struct json *v);
/* Member of an object by key; NULL if v is not an object or has no such key. */
const struct json *json_get(const struct json *v, const char *key);
/* Number of elements of an array or members of an object; 0 otherwise. */
size_t json_len(const struct json *v);
/* Element i of an array, or value of member i of an object; NULL if none. */
const struct json *json_at(const struct json *v, size_t i);
/* Key of member i of an object; NULL if none. */
const char *json_key_at(const struct json *v, size_t i);
/*
 * An object's or array's own text in the parsed document (brackets
 * included) and its length; NULL for other values.  Points into the text
 * given to json_parse: valid only while the caller keeps that text.
 */
const char *json_source(const struct json *v, size_t *len);
/* The string of a JSON_STRING (NUL-terminated, may contain no NUL); else NULL. */
const char *json_str(const struct json *v);
/* Shortcut: json_str(json_get(v, key)). */
const char *json_get_str(const struct json *v, const char *key);
/*
 * The number of a JSON_NUMBER as an integer (also accepts a string holding
 * an integer when lenient); -1 if absent, fractional or out of range.
 */
int json_int(const struct json *v, int lenient, int64_t *out);
/* The number of a JSON_NUMBER as a double; -1 if not a number. */
int json_double(const struct json *v, double *out);
/* The value of a JSON_BOOL; -1 if not a bool. */
int json_bool(const struct json *v, int *out);
/* Serialise v compactly; caller frees. */
char *json_dump(const struct json *v, size_t *len);

/* A new writer producing compact JSON. */
struct json_writer *json_writer_new(void);
/* Free a writer; NULL is a no-op. */
void json_writer_free(struct json_writer *w);
/* Open and close objects and arrays. */
void json_w_obj_open(struct json_writer *w);
void json_w_obj_close(struct json_writer *w);
void json_w_arr_open(struct json_writer *w);
void json_w_arr_close(struct json_writer *w);
/* Write an object key (the next call writes its value). */
void json_w_key(struct json_writer *w, const char *key);
/* Write a string, or null when s is NULL. */
void json_w_str(struct json_writer *w, const char *s);
/* Write an integer. */
void json_w_int(struct json_writer *w, int64_t v);
/* Write a boolean. */
void json_w_bool(struct json_writer *w, int v);
/* Write null. */
void json_w_null(struct json_writer *w);
/* Write a parsed value (a subtree) as it is. */
void json_w_value(struct json_writer *w, const struct json *v);
/*
 * Write raw JSON text as a value after checking it parses; invalid text is
 * written as a string instead.
 */
void json_w_raw(struct json_writer *w, const char *text);
/* Write a time (seconds since the epoch) as an RFC 3339 string. */
void json_w_time(struct json_writer *w, int64_t secs);
/* Shortcuts: key then value. */
void json_w_kstr(struct json_writer *w, const char *key, const char *s);
void json_w_kint(struct json_writer *w, const char *key, int64_t v);
void json_w_kbool(struct json_writer *w, const char *key, int v);
void json_w_ktime(struct json_writer *w, const char *key, int64_t secs);
/* The document so far (NUL-terminated) and its length. */
const char *json_writer_str(struct json_writer *w, size_t *len);
/* A copy of the document as one line: a newline added (caller frees). */
char *json_writer_line(struct json_writer *w, size_t *len);

#endif
