/*
 * The email notifier: one RFC 5322 message per event over SMTP through
 * libcurl (smtp:// with STARTTLS required by default, or smtps://), or,
 * with group_window, one message for the events that came within the
 * window.  The body is plain text (quoted-printable UTF-8): the summary,
 * the facts of each event and its event document.  The Message-ID is
 * derived from the event id, so a message sent again after a restart is
 * recognisably the same.  Cloud text never reaches a header unencoded: the
 * subject is stripped of control characters and RFC 2047-encoded when it
 * is not ASCII.
 *
 * A 2xx (250) answer is delivered; a 4xx answer, a network error, a
 * timeout and a server without STARTTLS while it is required are retried
 * by notify.c; a 5xx answer is final (a dead letter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "credentials.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "notify_impl.h"
#include "template.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_EMAIL_MAX_BATCH 100   /* events in one grouped message */
#define NOTIFY_EMAIL_SUBJECT_MAX 200 /* bytes of the summary in Subject */
#define NOTIFY_EMAIL_QP_LINE 76

/* The facts of one event, in the body (plain text, not escaped). */
static const char notify_email_facts[] =
    "{{ .summary }}\n\n"
    "Event:      {{ .event }} ({{ .severity }}){{ if .missed }}, happened "
    "while taskwatchd was down{{ end }}\n"
    "Watch:      {{ .watch }} ({{ .api }}, account {{ .account }}, region "
    "{{ .region }})\n"
    "{{ if .task }}Cluster:    {{ if .task.cluster_name }}{{ "
    ".task.cluster_name }} ({{ .task.cluster_id }}){{ else }}{{ "
    ".task.cluster_id }}{{ end }}\n"
    "Task:       {{ .task.type }} {{ .task.id }}\n"
    "State:      {{ if .previous }}{{ .previous.state }} -> {{ end }}{{ "
    ".task.state }} ({{ .task.raw_status }})\n"
    "{{ if .task.reason }}Reason:     {{ .task.reason }}\n{{ end }}"
    "{{ else }}{{ if .error }}Error:      {{ .error.class }}: {{ "
    ".error.message }}\n{{ end }}{{ end }}"
    "Occurred:   {{ .occurred_at }}\n"
    "Event id:   {{ .id }}\n";

struct notify_email {
	char *name;
	char *url;
	char *from;
	char **to; /* NULL-terminated */
	char *user;
	struct config_secret pw_src;
	char *password; /* NULL until read (or without user) */
	enum http_starttls starttls;
	char *ca_file;
	uint64_t timeout_ms;
	uint64_t group_window_ms;
	struct template *facts;
	/* Grouping: the items waiting for the window, and those sent. */
	struct notify_notifier *nf;
	struct timer *window;
	struct notify_item *batch[NOTIFY_EMAIL_MAX_BATCH];
	size_t nbatch;
};

/* A message in flight and the items it carries (NULL: cancelled). */
struct notify_email_send {
	struct notify_notifier *nf;
	struct http_xfer *xfer;
	struct notify_item *items[NOTIFY_EMAIL_MAX_BATCH];
	size_t n;
};

static void notify_email_window_cb(void *);

/* Free where the password lives. */
static void
notify_email_src_clear(struct config_secret *s)
{
	free(s->file);
	free(s->env);
	free(s->credential);
	memset(s, 0, sizeof(*s));
}

/* Free what configure copied (not the batch), wiping the password. */
static void
notify_email_clear(struct notify_email *e)
{
	size_t i;

	free(e->url);
	free(e->from);
	for (i = 0; e->to != NULL && e->to[i] != NULL; i++)
		free(e->to[i]);
	free(e->to);
	free(e->user);
	notify_email_src_clear(&e->pw_src);
	xfreesecret(e->password);
	free(e->ca_file);
	template_free(e->facts);
	e->url = e->from = e->user = e->password = e->ca_file = NULL;
	e->to = NULL;
	e->facts = NULL;
}

/* Copy the server, addresses, login and window from conf. */
static void
notify_email_configure(
    struct notify_notifier *nf, const struct config_notifier *conf)
{
	static const enum http_starttls tls[] = {
		[CONFIG_STARTTLS_REQUIRED] = HTTP_STARTTLS_REQUIRED,
		[CONFIG_STARTTLS_OPTIONAL] = HTTP_STARTTLS_OPTIONAL,
		[CONFIG_STARTTLS_OFF] = HTTP_STARTTLS_OFF,
	};
	struct notify_email *e = nf->priv;
	char *cause = NULL;
	size_t i;

	if (e == NULL) {
		nf->priv = e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(nf->name);
		e->nf = nf;
		e->window = timer_new(nf->base, notify_email_window_cb, e);
	}
	notify_email_clear(e);
	e->url = xstrdup(conf->url != NULL ? conf->url : "");
	e->from = xstrdup(conf->from != NULL ? conf->from : "");
	e->to = xcalloc(conf->to.n + 1, sizeof(*e->to));
	for (i = 0; i < conf->to.n; i++)
		e->to[i] = xstrdup(conf->to.v[i]);
	e->user = xstrdup(conf->user);
	e->pw_src.file = xstrdup(conf->password.file);
	e->pw_src.env = xstrdup(conf->password.env);
	e->pw_src.credential = xstrdup(conf->password.credential);
	e->starttls = tls[conf->starttls];
	e->ca_file = xstrdup(conf->tls_ca_file);
	e->timeout_ms = conf->timeout_ms;
	e->group_window_ms = conf->group_window_ms;
	e->facts = template_compile(notify_email_facts,
	    strlen(notify_email_facts), TEMPLATE_ESCAPE_NONE, NULL, &cause);
	if (e->facts == NULL)
		fatalx("%s: %s", __func__, cause);
	/* A grouped message carries up to NOTIFY_EMAIL_MAX_BATCH items. */
	nf->max_inflight = e->group_window_ms > 0 ? NOTIFY_EMAIL_MAX_BATCH : 4;
}

/*
 * Append at most max bytes of s to b, control characters as spaces, not
 * cutting a UTF-8 character in two.
 */
static void
notify_email_clean(struct buf *b, const char *s, size_t max)
{
	size_t n, start = b->len, len = strlen(s);

	for (n = 0; n < len && n < max; n++)
		buf_putc(
		    b, (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? ' ' : s[n]);
	if (len > max) {
		while (b->len > start &&
		    ((unsigned char)b->data[b->len - 1] & 0xc0) == 0x80)
			b->len--;
		if (b->len > start &&
		    ((unsigned char)b->data[b->len - 1] & 0xc0) == 0xc0)
			b->len--;
		b->data[b->len] = '\0';
	}
}

/* Append Subject: text, RFC 2047-encoded (UTF-8, B) when not ASCII. */
static void
notify_email_subject(struct buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, len = strlen(text), chunk;
	int ascii = 1;

	for (i = 0; i < len; i++)
		if (s[i] >= 0x80)
			ascii = 0;
	buf_puts(b, "Subject: ");
	if (ascii) {
		buf_printf(b, "%s\r\n", text);
		return;
	}
	/* Words of at most 45 bytes (60 in base64), whole characters. */
	for (i = 0; i < len; i += chunk) {
		chunk = len - i < 45 ? len - i : 45;
		while (chunk > 1 && i + chunk < len &&
		    (s[i + chunk] & 0xc0) == 0x80)
			chunk--;
		buf_puts(b, i > 0 ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?");
		util_base64(b, s + i, chunk);
		buf_puts(b, "?=");
	}
	buf_puts(b, "\r\n");
}

/* Append text quoted-printable, with CRLF line ends. */
static void
notify_email_qp(struct buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t col = 0;
	char hex[4];

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		if (col >= NOTIFY_EMAIL_QP_LINE - 3) {
			buf_puts(b, "=\r\n");
			col = 0;
		}
		if ((*s >= 33 && *s <= 126 && *s != '=') ||
		    (*s == ' ' && s[1] != '\n' && s[1] != '\0')) {
			buf_putc(b, (char)*s);
			col++;
		} else {
			snprintf(hex, sizeof(hex), "=%02X", *s);
			buf_puts(b, hex);
			col += 3;
		}
	}
	buf_puts(b, "\r\n");
}

/* The RFC 5322 date of now. */
static void
notify_email_date(struct buf *b)
{
	char date[64];
	time_t now = (time_t)(monotime_wall_ms() / 1000);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(b, "Date: %s\r\n", date);
}

/* The text of one item: its facts and its event document. */
static void
notify_email_item_text(
    const struct notify_email *e, struct notify_item *it, struct buf *text)
{
	struct json *doc;
	const char *body;
	char *cause = NULL, *facts;
	size_t len;

	body = notify_item_body(it, &len);
	if ((doc = json_parse(body, len, &cause)) != NULL) {
		facts = template_render(e->facts, doc, NULL);
		buf_puts(text, facts);
		free(facts);
		json_free(doc);
	}
	free(cause);
	buf_puts(text, "\nThe event document:\n");
	buf_add(text, body, len);
	buf_puts(text, "\n");
}

/* The message for items (one, or a group); caller frees. */
static char *
notify_email_message(const struct notify_email *e, struct notify_item **items,
    size_t n, size_t *len)
{
	struct buf b, subject, text;
	char *summary;
	size_t i;

	buf_init(&b, 0);
	buf_printf(&b, "From: taskwatchd <%s>\r\nTo: ", e->from);
	for (i = 0; e->to[i] != NULL; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", e->to[i]);
	buf_puts(&b, "\r\n");
	buf_init(&subject, 0);
	summary = evt_summary(items[0]->ev);
	if (n > 1)
		buf_printf(&subject, "[taskwatch] %zu events: ", n);
	else
		buf_puts(&subject, "[taskwatch] ");
	notify_email_clean(&subject, summary, NOTIFY_EMAIL_SUBJECT_MAX);
	free(summary);
	notify_email_subject(&b, buf_str(&subject));
	buf_free(&subject);
	notify_email_date(&b);
	if (n == 1)
		buf_printf(&b,
		    "Message-ID: <%s@taskwatchd>\r\nX-Taskwatch-Event: %s\r\n",
		    items[0]->ev->id, items[0]->ev->id);
	else
		buf_printf(&b, "Message-ID: <%s.%zu@taskwatchd>\r\n",
		    items[0]->ev->id, n);
	buf_puts(&b,
	    "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	buf_init(&text, 0);
	for (i = 0; i < n; i++) {
		if (n > 1)
			buf_printf(&text, "%s--- Event %zu of %zu ---\n",
			    i > 0 ? "\n" : "", i + 1, n);
		notify_email_item_text(e, items[i], &text);
	}
	notify_email_qp(&b, buf_str(&text));
	buf_free(&text);
	*len = b.len;
	return buf_release(&b);
}

/* Report one outcome for every item a message carried; free it. */
static void
notify_email_finish(struct notify_email_send *s, enum notify_result result,
    long status, const char *err)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->items[i] == NULL)
			continue; /* cancelled meanwhile */
		s->items[i]->priv = NULL;
		if (status >= 400)
			notify_item_answer(s->items[i], status, err,
			    err != NULL ? strlen(err) : 0);
		notify_item_done(s->items[i], result, -1, err);
	}
	free(s);
}

/* The server's answer to a message. */
static void
notify_email_done_cb(const struct http_response *resp, void *arg)
{
	struct notify_email_send *s = arg;
	char err[512];

	s->xfer = NULL;
	if (resp->error == HTTP_ECANCEL && s->n == 0) {
		free(s);
		return;
	}
	if (resp->error == HTTP_RESPONSE) {
		notify_email_finish(s, NOTIFY_DELIVERED, 0, NULL);
		return;
	}
	if (resp->status >= 400)
		snprintf(err, sizeof(err), "SMTP %ld: %s", resp->status,
		    resp->errmsg != NULL ? resp->errmsg : "refused");
	else
		snprintf(err, sizeof(err), "%s",
		    resp->errmsg != NULL ? resp->errmsg : "transfer failed");
	notify_email_finish(s,
	    resp->status >= 500 && resp->status <= 599 ? NOTIFY_FAILED
						       : NOTIFY_RETRY,
	    resp->status, err);
}

/* Read the password when a login needs it; -1 with *cause. */
static int
notify_email_read_password(struct notify_email *e, char **cause)
{
	if (e->user == NULL || e->password != NULL)
		return 0;
	return credentials_read(&e->pw_src, &e->password, cause);
}

/* Send the items as one message. */
static void
notify_email_send(struct notify_email *e, struct notify_item **items, size_t n)
{
	struct notify_email_send *s;
	struct http_mail m;
	char *msg, *cause = NULL, *err;
	size_t i, len;

	if (notify_email_read_password(e, &cause) == -1) {
		err = xasprintf("cannot read the password: %s", cause);
		for (i = 0; i < n; i++) {
			items[i]->priv = NULL;
			notify_item_done(items[i], NOTIFY_RETRY, -1, err);
		}
		free(err);
		free(cause);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->nf = e->nf;
	for (i = 0; i < n; i++) {
		s->items[i] = items[i];
		items[i]->priv = s;
	}
	s->n = n;
	msg = notify_email_message(e, items, n, &len);
	memset(&m, 0, sizeof(m));
	m.url = e->url;
	m.from = e->from;
	m.rcpt = (const char *const *)e->to;
	m.message = msg;
	m.message_len = len;
	m.user = e->user;
	m.password = e->password;
	m.starttls = e->starttls;
	m.ca_file = e->ca_file;
	m.timeout_ms = e->timeout_ms;
	s->xfer = http_submit_mail(e->nf->http, &m, notify_email_done_cb, s);
	free(msg);
}

/* The window is over: send what it gathered. */
static void
notify_email_window_cb(void *arg)
{
	struct notify_email *e = arg;
	struct notify_item *items[NOTIFY_EMAIL_MAX_BATCH];
	size_t n = e->nbatch;

	if (n == 0)
		return;
	memcpy(items, e->batch, n * sizeof(*items));
	e->nbatch = 0;
	notify_email_send(e, items, n);
}

/* Deliver an event: now, or at the end of its group's window. */
static void
notify_email_deliver(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_email *e = nf->priv;

	if (e->group_window_ms == 0) {
		notify_email_send(e, &it, 1);
		return;
	}
	e->batch[e->nbatch++] = it;
	it->priv = e; /* waiting in the batch */
	if (e->nbatch == NOTIFY_EMAIL_MAX_BATCH)
		notify_email_window_cb(e);
	else if (e->nbatch == 1)
		timer_add_ms(e->window, e->group_window_ms);
}

/* Forget it: out of the batch, or out of the message in flight. */
static void
notify_email_cancel(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_email *e = nf->priv;
	struct notify_email_send *s;
	size_t i;

	if (it->priv == NULL)
		return;
	if (it->priv == e) {
		for (i = 0; i < e->nbatch && e->batch[i] != it; i++)
			;
		if (i < e->nbatch)
			memmove(&e->batch[i], &e->batch[i + 1],
			    (e->nbatch - i - 1) * sizeof(*e->batch));
		e->nbatch -= i < e->nbatch;
		it->priv = NULL;
		return;
	}
	s = it->priv;
	it->priv = NULL;
	for (i = 0; i < s->n; i++)
		if (s->items[i] == it)
			s->items[i] = NULL;
	for (i = 0; i < s->n && s->items[i] == NULL; i++)
		;
	if (i == s->n && s->xfer != NULL) {
		s->n = 0; /* nothing left: the callback frees it */
		http_cancel(s->xfer);
	}
}

/* Free the notifier's state (its items were cancelled). */
static void
notify_email_free(struct notify_notifier *nf)
{
	struct notify_email *e = nf->priv;

	if (e == NULL)
		return;
	notify_email_clear(e);
	timer_free(e->window);
	free(e->name);
	free(e);
	nf->priv = NULL;
}

const struct notify_ops notify_email_ops = {
	.type = "email",
	.configure = notify_email_configure,
	.deliver = notify_email_deliver,
	.cancel = notify_email_cancel,
	.free = notify_email_free,
};
