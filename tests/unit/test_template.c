/*
 * Unit tests for templates: fields, json, if/else/end (nested), the three
 * escapings, absent and null fields, numbers and objects, and every
 * compile error with its line and column, unknown fields included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evt.h"
#include "json.h"
#include "template.h"

static const char doc_text[] =
    "{\"id\":\"e1\",\"event\":\"transition\",\"watch\":\"dws-prod\","
    "\"missed\":false,\"rule\":null,\"task\":{\"id\":\"t/1\",\"type\":"
    "\"SNAPSHOTTING\",\"cluster_name\":\"orders \\\"eu\\\"\",\"progress\":"
    "40,\"reason\":\"disk full\\nline 2\",\"detail\":{\"code\":\"DWS.1\"}},"
    "\"previous\":{\"state\":\"RUNNING\"}}";

/* Render text against the test document with escaping e. */
static char *
render(const char *text, enum template_escape e)
{
	struct template *t;
	struct json *doc;
	char *cause = NULL, *out;

	doc = json_parse(doc_text, strlen(doc_text), &cause);
	assert_non_null(doc);
	t = template_compile(text, strlen(text), e, evt_doc_field, &cause);
	if (t == NULL)
		fail_msg("%s", cause);
	out = template_render(t, doc, NULL);
	template_free(t);
	json_free(doc);
	return out;
}

/* Assert text renders to want. */
static void
renders(const char *text, enum template_escape e, const char *want)
{
	char *out = render(text, e);

	assert_string_equal(out, want);
	free(out);
}

/* Assert text fails to compile with cause. */
static void
refused(const char *text, const char *want)
{
	char *cause = NULL;

	assert_null(template_compile(
	    text, strlen(text), TEMPLATE_ESCAPE_JSON, evt_doc_field, &cause));
	assert_string_equal(cause, want);
	free(cause);
}

/* Fields: strings escaped, numbers as JSON, absent and null as nothing. */
static void
test_fields(void **state)
{
	(void)state;
	renders("{\"t\":\"{{ .task.id }}\",\"c\":\"{{.task.cluster_name}}\"}",
	    TEMPLATE_ESCAPE_JSON,
	    "{\"t\":\"t/1\",\"c\":\"orders \\\"eu\\\"\"}");
	renders("r={{ .task.reason }}", TEMPLATE_ESCAPE_JSON,
	    "r=disk full\\nline 2");
	renders("p={{ .task.progress }} m={{ .missed }} x={{ .rule }}"
		" y={{ .task.ended_at }}",
	    TEMPLATE_ESCAPE_JSON, "p=40 m=false x= y=");
	renders("{{ .task.detail.code }} {{ .task.detail }}",
	    TEMPLATE_ESCAPE_NONE, "DWS.1 {\"code\":\"DWS.1\"}");
	renders("https://c.example/{{ .task.id }}?n={{ .task.cluster_name }}",
	    TEMPLATE_ESCAPE_URL, "https://c.example/t%2F1?n=orders%20%22eu%22");
	renders("no actions at all", TEMPLATE_ESCAPE_JSON, "no actions at all");
	renders("", TEMPLATE_ESCAPE_JSON, "");
}

/* json writes a JSON value, null when absent. */
static void
test_json(void **state)
{
	(void)state;
	renders("{\"task\":{{ json .task.detail }},\"r\":{{ json .task.reason"
		" }},\"e\":{{ json .task.ended_at }},\"p\":{{json .previous}}}",
	    TEMPLATE_ESCAPE_JSON,
	    "{\"task\":{\"code\":\"DWS.1\"},\"r\":\"disk full\\nline 2\","
	    "\"e\":null,\"p\":{\"state\":\"RUNNING\"}}");
}

/* if/else/end: present and not null, false or ""; nested. */
static void
test_if(void **state)
{
	(void)state;
	renders("{{ if .task.reason }}why: {{ .task.reason }}{{ end }}!",
	    TEMPLATE_ESCAPE_NONE, "why: disk full\nline 2!");
	renders("{{ if .task.ended_at }}ended{{ else }}running{{ end }}",
	    TEMPLATE_ESCAPE_NONE, "running");
	renders("{{ if .missed }}m{{ else }}live{{ end }}",
	    TEMPLATE_ESCAPE_NONE, "live");
	renders("{{ if .rule }}r{{ else }}{{ if .previous }}p{{ if "
		".previous.state }}s{{ end }}{{ end }}{{ end }}",
	    TEMPLATE_ESCAPE_NONE, "ps");
}

/* Errors carry the line and column of what is wrong. */
static void
test_errors(void **state)
{
	(void)state;
	refused("x\n  {{ .task.nope }}", "2:6: unknown field .task.nope");
	refused("{{ .nope.deeper }}", "1:4: unknown field .nope.deeper");
	refused("ab {{ .task.id ", "1:4: {{ without }}");
	refused("{{ end }}", "1:4: else or end without if");
	refused("{{ if .task.id }}x", "1:4: if without end");
	refused("{{ if .task.id }}a{{ else }}b{{ else }}c{{ end }}",
	    "1:33: a second else");
	refused("{{ task.id }}", "1:4: expected a field such as .task.id");
	refused("{{ .task..id }}", "1:10: bad field name");
	refused("{{ .task.id | raw }}",
	    "1:4: unknown action (a field such as .task.id, json, if, else or "
	    "end)");
	refused("{{ if .task.id }}{{ end x }}{{ end }}",
	    "1:21: else and end take nothing");
	refused("{{ json }}", "1:8: expected a field such as .task.id");
}

/* The document's fields, and any below task.detail, are known. */
static void
test_known(void **state)
{
	(void)state;
	assert_true(evt_doc_field("task.id"));
	assert_true(evt_doc_field("error.message"));
	assert_true(evt_doc_field("task.detail.anything.below"));
	assert_false(evt_doc_field("task.detail."));
	assert_false(evt_doc_field("task.nope"));
	assert_false(evt_doc_field(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_if),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
