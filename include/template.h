/*
 * Templates of notification bodies and links: text with actions that
 * read fields of the event document, and nothing that can run code.
 *
 *   {{ .task.id }}        the field's value, escaped for where it goes
 *   {{ json .task }}      the field as a JSON value (null when absent)
 *   {{ if .task.reason }} ... {{ else }} ... {{ end }}
 *                         the first part when the field is present and
 *                         not null, false or "", else the second
 *
 * A string is written escaped (JSON string content, URL percent-encoding
 * or as is, per the template's escaping), a number or boolean as its
 * JSON text, an absent or null field as nothing, an object or array as
 * its compact JSON.  Field names are checked when the template is
 * compiled: a name the event document cannot have is an error at its
 * line and column.
 */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stddef.h>

#define TEMPLATE_MAX_BYTES (64 * 1024) /* of a template's text */
#define TEMPLATE_MAX_DEPTH 8           /* nested ifs */

/* How a field's string value is written. */
enum template_escape {
	TEMPLATE_ESCAPE_JSON, /* inside a JSON string: \" \\ \n \u0001 */
	TEMPLATE_ESCAPE_URL,  /* percent-encoded but for A-Z a-z 0-9 -._~ */
	TEMPLATE_ESCAPE_NONE, /* as is (plain text) */
	/*
	 * Slack message text inside a JSON string: & < > as &amp; &lt; &gt;
	 * (so cloud text cannot mention or link), then as JSON.
	 */
	TEMPLATE_ESCAPE_SLACK,
};

struct template;
struct json;

/*
 * Compile len bytes of text.  known(path) says whether a field path
 * (".task.id" without the dot: "task.id") may exist; NULL accepts any.
 * NULL with *cause "line:col: what" (caller frees) on an error.
 */
struct template *template_compile(const char *text, size_t len,
    enum template_escape escape, int (*known)(const char *path), char **cause);
/* Free a template; NULL is a no-op. */
void template_free(struct template *t);
/* Render against a parsed event document; caller frees, *len its length. */
char *template_render(
    const struct template *t, const struct json *doc, size_t *len);

#endif
