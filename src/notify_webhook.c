/*
 * The webhook notifier: POST of the event document with the Standard
 * Webhooks headers (webhook-id, webhook-timestamp and, with a secret, an
 * HMAC-SHA256 webhook-signature).  2xx is delivered; 408, 429, 5xx and
 * network errors are retried by notify.c; anything else is final.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credentials.h"
#include "http.h"
#include "log.h"
#include "monotime.h"
#include "notify_format.h"
#include "notify_impl.h"
#include "whsec.h"
#include "xmalloc.h"

#define NOTIFY_WEBHOOK_MAX_BODY (64 * 1024) /* of the response; ignored */
#define NOTIFY_WEBHOOK_TIMEOUT_MS 10000

/* Headers we set, which the configured ones may not repeat. */
static const char *notify_webhook_own[] = {
	"Content-Type",
	"webhook-id",
	"webhook-timestamp",
	"webhook-signature",
};

/* The webhook notifier's state: copies, as its config may go away. */
struct notify_webhook {
	char *url;
	char **headers; /* "Name: value" */
	size_t nheaders;
	char **secret_names; /* headers from a secret source, NULL-terminated */
	size_t nsecret;
	struct config_secret secret; /* where the key lives */
	struct whsec_keys keys;      /* the signing keys; n 0 if unread */
	uint64_t timeout_ms;
	int allow_http;
	struct notify_format *format; /* the body */
};

/* Free what configure copied, wiping the key. */
static void
notify_webhook_clear(struct notify_webhook *w)
{
	size_t i;

	free(w->url);
	for (i = 0; i < w->nheaders; i++)
		xfreesecret(w->headers[i]);
	free(w->headers);
	for (i = 0; i < w->nsecret; i++)
		free(w->secret_names[i]);
	free(w->secret_names);
	free(w->secret.file);
	free(w->secret.env);
	free(w->secret.credential);
	whsec_clear(&w->keys);
	notify_format_free(w->format);
	memset(w, 0, sizeof(*w));
}

/* 1 if a configured header would repeat one we set. */
static int
notify_webhook_is_own(const char *name)
{
	size_t i;

	for (i = 0;
	     i < sizeof(notify_webhook_own) / sizeof(notify_webhook_own[0]);
	     i++) {
		if (strcasecmp(name, notify_webhook_own[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Read the signing keys; -1 (cause set, caller frees) if the secret
 * cannot be read or holds a key that is not one (whsec.h).
 */
static int
notify_webhook_read_key(struct notify_webhook *w, char **cause)
{
	char *text, *why = NULL;
	int rc;

	if (credentials_read(&w->secret, &text, cause) == -1)
		return -1;
	rc = whsec_parse(text, &w->keys, &why);
	xfreesecret(text);
	if (rc == -1) {
		*cause = xasprintf("secret: %s", why);
		free(why);
	}
	return rc;
}

/*
 * Add a header whose value comes from a secret source.  The value is read
 * now (start, reload; the secrets check already refused an unreadable one)
 * and never logged; an unreadable one leaves the header out.
 */
static void
notify_webhook_secret_header(
    struct notify_webhook *w, const char *name, const struct config_kv *kv)
{
	char *value = NULL, *cause = NULL;

	if (credentials_read(&kv->secret, &value, &cause) == -1) {
		log_warnx("notifier %s: header %s: cannot read its value: %s; "
			  "sent without it",
		    name, kv->key, cause);
		free(cause);
		return;
	}
	w->headers[w->nheaders++] = xasprintf("%s: %s", kv->key, value);
	xfreesecret(value);
	w->secret_names[w->nsecret++] = xstrdup(kv->key);
}

/* Copy url, headers, timeout and secret from conf; read the secret. */
static void
notify_webhook_configure(
    struct notify_notifier *nf, const struct config_notifier *conf)
{
	struct notify_webhook *w = nf->priv;
	char *cause = NULL;
	size_t i;

	if (w == NULL)
		nf->priv = w = xcalloc(1, sizeof(*w));
	notify_webhook_clear(w);
	w->url = xstrdup(conf->url != NULL ? conf->url : "");
	w->allow_http = strncasecmp(w->url, "http://", 7) == 0;
	w->timeout_ms = conf->timeout_ms != 0 ? conf->timeout_ms
					      : NOTIFY_WEBHOOK_TIMEOUT_MS;
	w->headers = xcalloc(conf->nheaders + 1, sizeof(*w->headers));
	w->secret_names = xcalloc(conf->nheaders + 1, sizeof(*w->secret_names));
	for (i = 0; i < conf->nheaders; i++) {
		if (notify_webhook_is_own(conf->headers[i].key)) {
			log_warnx("notifier %s: header %s is set by "
				  "taskwatchd; the configured one is ignored",
			    nf->name, conf->headers[i].key);
			continue;
		}
		if (conf->headers[i].value == NULL) {
			notify_webhook_secret_header(
			    w, nf->name, &conf->headers[i]);
			continue;
		}
		w->headers[w->nheaders++] = xasprintf(
		    "%s: %s", conf->headers[i].key, conf->headers[i].value);
	}
	if ((w->format = notify_format_new(conf, &cause)) == NULL) {
		/* notify_check refused it before: send the document. */
		log_warnx("notifier %s: %s; the event document is sent as is",
		    nf->name, cause);
		free(cause);
	}
	w->secret.file = xstrdup(conf->secret.file);
	w->secret.env = xstrdup(conf->secret.env);
	w->secret.credential = xstrdup(conf->secret.credential);
	if (credentials_configured(&w->secret) &&
	    notify_webhook_read_key(w, &cause) == -1) {
		log_warnx("notifier %s: cannot read the secret: %s; events "
			  "are kept and retried until it can be read",
		    nf->name, cause);
		free(cause);
	}
}

/* The http callback: classify the outcome for notify.c. */
static void
notify_webhook_done_cb(const struct http_response *resp, void *arg)
{
	struct notify_item *it = arg;

	/* Our own cancel (notify_webhook_cancel): the item is going away. */
	if (resp->error == HTTP_ECANCEL && it->priv == NULL)
		return;
	it->priv = NULL;
	notify_item_http_done(it, resp);
}

/* POST the event document of it. */
static void
notify_webhook_deliver(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_webhook *w = nf->priv;
	struct http_request req;
	const char **headers;
	const char *doc;
	char *body, *hid, *hts, *hsig = NULL, *sig, *cause, *err, ts[32];
	size_t len, doclen, i, n = 0;

	if (credentials_configured(&w->secret) && w->keys.n == 0 &&
	    notify_webhook_read_key(w, &cause) == -1) {
		err = xasprintf("cannot read the secret: %s", cause);
		notify_item_done(it, NOTIFY_RETRY, -1, err);
		free(err);
		free(cause);
		return;
	}
	doc = notify_item_body(it, &doclen);
	if ((body = notify_format_render(
		 w->format, doc, doclen, &len, &cause)) == NULL) {
		err = xasprintf("cannot format the event: %s", cause);
		notify_item_done(it, NOTIFY_FAILED, -1, err);
		free(err);
		free(cause);
		return;
	}
	snprintf(
	    ts, sizeof(ts), "%lld", (long long)(monotime_wall_ms() / 1000));
	hid = xasprintf("webhook-id: %s", it->ev->id);
	hts = xasprintf("webhook-timestamp: %s", ts);
	if (w->keys.n > 0) {
		sig = whsec_sign(&w->keys, it->ev->id, ts, body, len);
		hsig = xasprintf("webhook-signature: %s", sig);
		free(sig);
	}
	headers = xcalloc(w->nheaders + 5, sizeof(*headers));
	headers[n++] = "Content-Type: application/json";
	headers[n++] = hid;
	headers[n++] = hts;
	if (hsig != NULL)
		headers[n++] = hsig;
	for (i = 0; i < w->nheaders; i++)
		headers[n++] = w->headers[i];
	headers[n] = NULL;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = w->url;
	req.headers = headers;
	req.secret_headers = (const char *const *)w->secret_names;
	req.body = body;
	req.body_len = len;
	req.timeout_ms = w->timeout_ms;
	req.max_body_bytes = NOTIFY_WEBHOOK_MAX_BODY;
	req.allow_http = w->allow_http;
	req.max_redirects = 0;
	it->priv = http_submit(nf->http, &req, notify_webhook_done_cb, it);
	if (it->priv == NULL)
		notify_item_done(
		    it, NOTIFY_RETRY, -1, "cannot start the transfer");
	free(headers);
	free(hid);
	free(hts);
	free(hsig);
	free(body);
}

/* Abort the transfer of it; its callback sees priv NULL and stays quiet. */
static void
notify_webhook_cancel(struct notify_notifier *nf, struct notify_item *it)
{
	struct http_xfer *x = it->priv;

	it->priv = NULL;
	http_cancel(x);
}

/* Free the webhook notifier's state, wiping the key. */
static void
notify_webhook_free(struct notify_notifier *nf)
{
	struct notify_webhook *w = nf->priv;

	if (w == NULL)
		return;
	notify_webhook_clear(w);
	free(w);
	nf->priv = NULL;
}

const struct notify_ops notify_webhook_ops = {
	.type = "webhook",
	.configure = notify_webhook_configure,
	.deliver = notify_webhook_deliver,
	.cancel = notify_webhook_cancel,
	.free = notify_webhook_free,
};
