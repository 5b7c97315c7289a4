/*
 * Webhook bodies by format (see notify_format.h).  The Slack preset is an
 * incoming-webhook message: text for notifications, then blocks with the
 * summary, severity, cluster, watch and state, the reason and a button to
 * the console; cloud text in it is escaped so it cannot mention anyone or
 * make a link.  The Teams preset is the envelope a Teams workflow ("Post
 * to a channel when a webhook request is received") takes, holding an
 * Adaptive Card 1.4 with the same facts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evt.h"
#include "json.h"
#include "notify_format.h"
#include "template.h"
#include "xmalloc.h"

#define NOTIFY_FORMAT_MAX_FILE TEMPLATE_MAX_BYTES

/* The cluster, or the watch for the watch events. */
#define NOTIFY_FORMAT_WHERE                                                   \
	"{{ if .task.cluster_name }}{{ .task.cluster_name }}{{ else }}{{ if " \
	".task.cluster_id }}{{ .task.cluster_id }}{{ else }}{{ .watch }}{{ "  \
	"end }}{{ end }}"
/* The task's state, or the event for the watch events. */
#define NOTIFY_FORMAT_STATE                                             \
	"{{ if .task }}{{ .task.state }}{{ if .task.raw_status }} ({{ " \
	".task.raw_status }}){{ end }}{{ else }}{{ .event }}{{ end }}"
/* The failure's reason: the task's, or the watch's error. */
#define NOTIFY_FORMAT_REASON                                      \
	"{{ if .task.reason }}{{ .task.reason }}{{ else }}{{ if " \
	".error.message }}{{ .error.message }}{{ end }}{{ end }}"

static const char notify_format_slack[] =
    "{\"text\":\"{{ .summary }}\",\"blocks\":["
    "{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":"
    "\"*{{ .summary }}*\"}},"
    "{\"type\":\"section\",\"fields\":["
    "{\"type\":\"mrkdwn\",\"text\":\"*Severity*\\n{{ .severity }}\"},"
    "{\"type\":\"mrkdwn\",\"text\":\"*Cluster*\\n" NOTIFY_FORMAT_WHERE "\"},"
    "{\"type\":\"mrkdwn\",\"text\":\"*Watch*\\n{{ .watch }}\"},"
    "{\"type\":\"mrkdwn\",\"text\":\"*State*\\n" NOTIFY_FORMAT_STATE "\"}]}"
    "{{ if .task.reason }},{\"type\":\"section\",\"text\":{\"type\":"
    "\"mrkdwn\",\"text\":\"*Reason*\\n{{ .task.reason }}\"}}{{ else }}{{ if "
    ".error.message }},{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
    "\"text\":\"*Error*\\n{{ .error.message }}\"}}{{ end }}{{ end }}"
    "{{ if .link }},{\"type\":\"actions\",\"elements\":[{\"type\":\"button\","
    "\"text\":{\"type\":\"plain_text\",\"text\":\"Open in console\"},"
    "\"url\":{{ json .link }}}]}{{ end }}"
    ",{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":"
    "\"taskwatchd event {{ .id }}\"}]}]}";

static const char notify_format_teams[] =
    "{\"type\":\"message\",\"attachments\":[{\"contentType\":"
    "\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,"
    "\"content\":{\"$schema\":\"http://adaptivecards.io/schemas/"
    "adaptive-card.json\",\"type\":\"AdaptiveCard\",\"version\":\"1.4\","
    "\"body\":[{\"type\":\"TextBlock\",\"text\":\"{{ .summary }}\","
    "\"weight\":\"Bolder\",\"size\":\"Medium\",\"wrap\":true},"
    "{\"type\":\"FactSet\",\"facts\":["
    "{\"title\":\"Severity\",\"value\":\"{{ .severity }}\"},"
    "{\"title\":\"Cluster\",\"value\":\"" NOTIFY_FORMAT_WHERE "\"},"
    "{\"title\":\"Watch\",\"value\":\"{{ .watch }}\"},"
    "{\"title\":\"State\",\"value\":\"" NOTIFY_FORMAT_STATE "\"}]}"
    "{{ if .task.reason }},{\"type\":\"TextBlock\",\"text\":\"{{ "
    ".task.reason }}\",\"wrap\":true}{{ else }}{{ if .error.message }},"
    "{\"type\":\"TextBlock\",\"text\":\"{{ .error.message }}\",\"wrap\":"
    "true}{{ end }}{{ end }}]"
    "{{ if .link }},\"actions\":[{\"type\":\"Action.OpenUrl\",\"title\":"
    "\"Open in console\",\"url\":{{ json .link }}}]{{ end }}}}]}";

struct notify_format {
	enum config_format format;
	struct template *body; /* NULL: the document itself */
	struct template *link; /* NULL: none */
};

/* 1 for the fields a preset may read: the document's, and link. */
static int
notify_format_field(const char *path)
{
	return strcmp(path, "link") == 0 || evt_doc_field(path);
}

/* Read and compile a template file; NULL with *cause "path:line:col: .". */
static struct template *
notify_format_file(const char *path, char **cause)
{
	struct template *t;
	struct buf b;
	char chunk[4096], *why = NULL;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		*cause = xasprintf("%s: cannot read the template", path);
		return NULL;
	}
	buf_init(&b, NOTIFY_FORMAT_MAX_FILE);
	buf_puts(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (buf_add(&b, chunk, n) == -1) {
			fclose(fp);
			buf_free(&b);
			*cause = xasprintf("%s: longer than 64 KiB", path);
			return NULL;
		}
	}
	fclose(fp);
	t = template_compile(buf_str(&b), b.len, TEMPLATE_ESCAPE_JSON,
	    notify_format_field, &why);
	buf_free(&b);
	if (t == NULL) {
		*cause = xasprintf("%s:%s", path, why);
		free(why);
	}
	return t;
}

/* The format of a webhook's config (see notify_format.h). */
struct notify_format *
notify_format_new(const struct config_notifier *conf, char **cause)
{
	struct notify_format *f = xcalloc(1, sizeof(*f));
	const char *preset = NULL;
	enum template_escape esc = TEMPLATE_ESCAPE_JSON;

	f->format = conf->format;
	if (conf->link != NULL &&
	    (f->link = template_compile(conf->link, strlen(conf->link),
		 TEMPLATE_ESCAPE_URL, evt_doc_field, cause)) == NULL)
		goto fail;
	switch (conf->format) {
	case CONFIG_FORMAT_STANDARD:
		return f;
	case CONFIG_FORMAT_SLACK:
		preset = notify_format_slack;
		esc = TEMPLATE_ESCAPE_SLACK;
		break;
	case CONFIG_FORMAT_TEAMS:
		preset = notify_format_teams;
		break;
	case CONFIG_FORMAT_TEMPLATE:
		if ((f->body = notify_format_file(
			 conf->template != NULL ? conf->template : "",
			 cause)) == NULL)
			goto fail;
		return f;
	}
	f->body = template_compile(
	    preset, strlen(preset), esc, notify_format_field, cause);
	if (f->body != NULL)
		return f;
fail:
	notify_format_free(f);
	return NULL;
}

/* Free a format. */
void
notify_format_free(struct notify_format *f)
{
	if (f == NULL)
		return;
	template_free(f->body);
	template_free(f->link);
	free(f);
}

/* 1 if the body is the event document itself. */
int
notify_format_standard(const struct notify_format *f)
{
	return f == NULL || f->body == NULL;
}

/* The document with "link" added, when the format has a link. */
static char *
notify_format_with_link(const struct notify_format *f, const struct json *doc,
    const char *text, size_t len)
{
	struct json_writer *w;
	char *href, *out;
	size_t i;

	if (f->link == NULL)
		return xstrndup(text, len);
	href = template_render(f->link, doc, NULL);
	w = json_writer_new();
	json_w_obj_open(w);
	for (i = 0; i < json_len(doc); i++) {
		json_w_key(w, json_key_at(doc, i));
		json_w_value(w, json_at(doc, i));
	}
	json_w_kstr(w, "link", href);
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	free(href);
	return out;
}

/* The body for an event document (see notify_format.h). */
char *
notify_format_render(const struct notify_format *f, const char *doc, size_t len,
    size_t *out_len, char **cause)
{
	struct json *parsed, *full;
	char *text, *out;

	if (notify_format_standard(f)) {
		*out_len = len;
		return xstrndup(doc, len);
	}
	if ((parsed = json_parse(doc, len, cause)) == NULL)
		return NULL;
	if (json_type(parsed) != JSON_OBJECT) {
		json_free(parsed);
		*cause = xstrdup("the event document is not an object");
		return NULL;
	}
	text = notify_format_with_link(f, parsed, doc, len);
	json_free(parsed);
	if ((full = json_parse(text, strlen(text), cause)) == NULL) {
		free(text);
		return NULL;
	}
	out = template_render(f->body, full, out_len);
	json_free(full);
	free(text);
	return out;
}
