/*
 * Golden-file tests of the webhook formats: the Slack and Teams presets,
 * and a template file, rendered for a failed DWS action (with a link and
 * a reason holding text Slack would take as a mention and a link) and for
 * watch_failed, compared byte for byte with tests/golden/format-*.json;
 * every body parses as JSON.  TW_GOLDEN_UPDATE=1 rewrites the files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "json.h"
#include "notify_format.h"
#include "xmalloc.h"

#define GOLDEN "tests/golden/"

static const char failed_doc[] =
    "{\"version\":1,\"id\":\"0d6f4f3c2b1a09887766554433221100\","
    "\"event\":\"transition\",\"severity\":\"critical\",\"rule\":\"page\","
    "\"occurred_at\":\"2025-05-19T09:07:42Z\",\"observed_at\":"
    "\"2025-05-19T09:08:00Z\",\"missed\":false,\"watch\":\"dws-prod\","
    "\"api\":\"dws.actions\",\"account\":\"hw-prod\",\"region\":"
    "\"eu-west-101\",\"task\":{\"id\":\"SNAPSHOTTING@1747645510\",\"type\":"
    "\"SNAPSHOTTING\",\"base_type\":\"SNAPSHOTTING\",\"cluster_id\":"
    "\"7d85f602-a948-4a30-afd4-e84f47471c15\",\"cluster_name\":"
    "\"orders-eu\",\"state\":\"FAILED\",\"raw_status\":\"FAILED\","
    "\"progress\":40,\"started_at\":\"2025-05-19T09:05:10Z\",\"ended_at\":"
    "null,\"reason\":\"disk full on dn_6001 <!channel> <https://x|y> & "
    "\\\"more\\\"\\nline 2\",\"detail\":{}},\"previous\":{\"state\":"
    "\"RUNNING\",\"raw_status\":\"RUNNING\",\"progress\":40},\"summary\":"
    "\"dws-prod: SNAPSHOTTING on orders-eu RUNNING -> FAILED: disk full\"}";

static const char watch_doc[] =
    "{\"version\":1,\"id\":\"ffeeddccbbaa99887766554433221100\","
    "\"event\":\"watch_failed\",\"severity\":\"critical\",\"rule\":null,"
    "\"occurred_at\":\"2025-05-19T09:07:42Z\",\"observed_at\":"
    "\"2025-05-19T09:07:42Z\",\"missed\":false,\"watch\":\"dds-prod\","
    "\"api\":\"dds.jobs\",\"account\":\"hw-prod\",\"region\":\"eu-de\","
    "\"task\":null,\"previous\":null,\"since\":\"2025-05-19T09:05:42Z\","
    "\"consecutive_failures\":3,\"last_success\":\"2025-05-19T09:04:42Z\","
    "\"error\":{\"class\":\"auth\",\"message\":\"HTTP 401 APIG.0301: "
    "token expires\"},\"summary\":\"dds-prod: watch failed (auth): HTTP "
    "401 APIG.0301: token expires\"}";

/* The contents of a file, or NULL. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	s = xmalloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	s[n] = '\0';
	fclose(fp);
	return s;
}

/* Render doc with conf and compare with the golden file name. */
static void
golden(const struct config_notifier *conf, const char *doc, const char *name)
{
	struct notify_format *f;
	struct json *j;
	char *cause = NULL, *out, *want, path[256];
	size_t len;
	FILE *fp;

	f = notify_format_new(conf, &cause);
	if (f == NULL)
		fail_msg("%s", cause);
	out = notify_format_render(f, doc, strlen(doc), &len, &cause);
	assert_non_null(out);
	if ((j = json_parse(out, len, &cause)) == NULL)
		fail_msg("%s does not parse: %s\n%s", name, cause, out);
	json_free(j);
	snprintf(path, sizeof(path), GOLDEN "%s", name);
	if (getenv("TW_GOLDEN_UPDATE") != NULL &&
	    (fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%s\n", out);
		fclose(fp);
	}
	want = slurp(path);
	assert_non_null(want);
	len = strlen(want);
	if (len > 0 && want[len - 1] == '\n')
		want[len - 1] = '\0'; /* the one the update wrote */
	assert_string_equal(out, want);
	free(want);
	free(out);
	notify_format_free(f);
}

/* A webhook of format f with a console link. */
static struct config_notifier
webhook(enum config_format f)
{
	struct config_notifier nf;

	memset(&nf, 0, sizeof(nf));
	nf.type = CONFIG_NOTIFIER_WEBHOOK;
	nf.format = f;
	nf.link = "https://console.example.com/dws/{{ .task.cluster_id }}";
	return nf;
}

/* Slack: a failed action and a failed watch; cloud text escaped. */
static void
test_slack(void **state)
{
	struct config_notifier nf = webhook(CONFIG_FORMAT_SLACK);

	(void)state;
	golden(&nf, failed_doc, "format-slack-failed.json");
	nf.link = NULL;
	golden(&nf, watch_doc, "format-slack-watch.json");
}

/* Teams: the same two. */
static void
test_teams(void **state)
{
	struct config_notifier nf = webhook(CONFIG_FORMAT_TEAMS);

	(void)state;
	golden(&nf, failed_doc, "format-teams-failed.json");
	nf.link = NULL;
	golden(&nf, watch_doc, "format-teams-watch.json");
}

/* A template file, and its errors with the file's line and column. */
static void
test_template_file(void **state)
{
	struct config_notifier nf = webhook(CONFIG_FORMAT_TEMPLATE);
	char *cause = NULL;

	(void)state;
	nf.template = GOLDEN "format-template.tmpl";
	golden(&nf, failed_doc, "format-template-failed.json");
	nf.template = GOLDEN "format-bad.tmpl";
	assert_null(notify_format_new(&nf, &cause));
	assert_string_equal(
	    cause, GOLDEN "format-bad.tmpl:3:16: unknown field .task.nope");
	free(cause);
	nf.template = GOLDEN "no-such.tmpl";
	assert_null(notify_format_new(&nf, &cause));
	assert_string_equal(
	    cause, GOLDEN "no-such.tmpl: cannot read the template");
	free(cause);
}

/* Standard: the document itself. */
static void
test_standard(void **state)
{
	struct config_notifier nf = webhook(CONFIG_FORMAT_STANDARD);
	struct notify_format *f;
	char *cause = NULL, *out;
	size_t len;

	(void)state;
	f = notify_format_new(&nf, &cause);
	assert_true(notify_format_standard(f));
	out =
	    notify_format_render(f, watch_doc, strlen(watch_doc), &len, &cause);
	assert_string_equal(out, watch_doc);
	free(out);
	notify_format_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_teams),
		cmocka_unit_test(test_template_file),
		cmocka_unit_test(test_standard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
