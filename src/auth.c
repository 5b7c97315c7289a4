/*
 * One API request from the account's credentials to its answer: sign it
 * (or fetch an IAM token first), send it through http, retry once with a
 * new token when the server refused the old one early, and judge the
 * answer, so the caller only parses what is worth parsing.  A failure
 * before sending reaches the callback on the next loop turn.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "credentials.h"
#include "iam.h"
#include "log.h"
#include "monotime.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

struct auth_call {
	struct auth *auth;                        /* borrowed */
	const struct config_account *const *acct; /* borrowed */
	struct sign_req *req;
	struct auth_opts opts;
	char *who;
	/* opts.absent, copied: a reload frees the config it came from. */
	struct config_strlist absent;
	auth_cb cb;
	void *arg;
	struct http_xfer *xfer;
	struct iam_wait *wait;
	struct timer *unsent; /* delivers err on the next loop turn */
	struct apierr err;
	uint64_t token_gen; /* the token req carries */
	int retried;        /* a refused token was replaced once */
	int cancelling;     /* auth_cancel under way */
	unsigned requests;
};

static void auth_dispatch(struct auth_call *);

/* Hand the answer to the caller and free the call. */
static void
auth_deliver(struct auth_call *c, int cancelled,
    const struct http_response *resp, const struct apierr *err)
{
	struct auth_answer a;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.cancelled = cancelled;
	a.resp = resp;
	a.err = err;
	a.requests = c->requests;
	c->cb(&a, c->arg);
	timer_free(c->unsent);
	sign_req_free(c->req);
	apierr_clear(&c->err);
	free(c->who);
	for (i = 0; i < c->absent.n; i++)
		free(c->absent.v[i]);
	free(c->absent.v);
	free(c);
}

/* The failure before sending is due: a transfer error naming it. */
static void
auth_unsent_cb(void *arg)
{
	struct auth_call *c = arg;
	struct http_response resp;

	memset(&resp, 0, sizeof(resp));
	resp.error = HTTP_EPROTO;
	resp.errmsg = c->err.msg;
	resp.body = "";
	resp.retry_after_ms = -1;
	auth_deliver(c, 0, &resp, &c->err);
}

/*
 * The request failed before it was sent (no credentials, no token): the
 * callback gets class and msg on the next loop turn.
 */
static void
auth_unsent(struct auth_call *c, enum apierr_class class, const char *msg)
{
	apierr_set(&c->err, class, msg);
	timer_add_ms(c->unsent, 0);
}

/* A secret of the account could not be used here (apierr_set_local). */
static void
auth_unsent_local(struct auth_call *c, const char *msg)
{
	apierr_set_local(&c->err, APIERR_AUTH, msg);
	timer_add_ms(c->unsent, 0);
}

/*
 * 1 if an error answer of status with the vendor error code (NULL: none)
 * is one the caller reads as "nothing here": its status or its code is
 * listed in absent.  The API gateway's answers (APIG.*) never are: they
 * say the API itself was not reached.
 */
static int
auth_absent(const struct config_strlist *absent, long status, const char *code)
{
	char st[16];
	size_t i;

	if (absent == NULL ||
	    (code != NULL && strncasecmp(code, "APIG.", 5) == 0))
		return 0;
	snprintf(st, sizeof(st), "%ld", status);
	for (i = 0; i < absent->n; i++) {
		if (strcmp(absent->v[i], st) == 0 ||
		    (code != NULL && strcasecmp(absent->v[i], code) == 0))
			return 1;
	}
	return 0;
}

/*
 * Add the request's note (what the error may mean, see struct sign_req)
 * to the message of a client error that is neither auth nor throttling;
 * the class stays.
 */
static void
auth_note(struct auth_call *c, long status, struct apierr *e)
{
	char *s;

	if (c->req->note == NULL || e->class != APIERR_HTTP || status < 400 ||
	    status >= 500)
		return;
	s = xasprintf("%s; %s", e->msg, c->req->note);
	free(e->msg);
	e->msg = s;
}

/* Judge an answer: NULL when it is the caller's to parse, else c->err. */
static const struct apierr *
auth_judge(struct auth_call *c, const struct http_response *resp, int parsed)
{
	struct apierr *e = &c->err;
	enum apierr_class class;
	char *msg;

	if (resp->error != HTTP_RESPONSE) {
		apierr_clear(e);
		class = apierr_transfer(resp->error == HTTP_ETOOBIG,
		    resp->unresolved, *c->acct, c->opts.service, resp->errmsg,
		    &msg);
		e->class = class;
		e->msg = msg;
		return e;
	}
	/* Not the API: never parsed, never read as "absent". */
	if (apierr_html(resp->status,
		http_response_header(resp, "Content-Type"), &class,
		&msg) == 0) {
		apierr_clear(e);
		e->class = class;
		e->msg = msg;
		return e;
	}
	if ((resp->status >= 200 && resp->status < 300) || c->opts.any_status)
		return NULL;
	if (!parsed)
		apierr_parse(e, resp->status, resp->body, resp->body_len);
	if (auth_absent(c->opts.absent, resp->status, e->code)) {
		apierr_clear(e);
		return NULL;
	}
	apierr_note_skew(&e->msg);
	auth_note(c, resp->status, e);
	return e;
}

/*
 * A 401 APIG.0301 (or APIG.0307) to a token account means the token died
 * early: drop it, get a new one and send the request once more.  1 if the
 * retry is under way; *parsed when c->err holds the body read for it.
 */
static int
auth_retry(struct auth_call *c, const struct http_response *resp, int *parsed)
{
	const struct config_account *a = *c->acct;

	*parsed = 0;
	if (a->auth_method != CONFIG_AUTH_TOKEN || c->retried ||
	    c->auth->iam == NULL || resp->error != HTTP_RESPONSE ||
	    resp->status != 401)
		return 0;
	apierr_parse(&c->err, resp->status, resp->body, resp->body_len);
	*parsed = 1;
	if (c->err.code == NULL ||
	    (strcmp(c->err.code, "APIG.0301") != 0 &&
		strcmp(c->err.code, "APIG.0307") != 0))
		return 0;
	apierr_clear(&c->err);
	*parsed = 0;
	log_info("%s: account %s: token refused; getting a new one and "
		 "retrying once",
	    c->who, a->name);
	c->retried = 1;
	iam_invalidate(c->auth->iam, a->name, c->token_gen);
	sign_req_del_header(c->req, "X-Auth-Token");
	auth_dispatch(c);
	return 1;
}

/* The transfer ended: retry with a new token, or judge and deliver. */
static void
auth_http_cb(const struct http_response *resp, void *arg)
{
	struct auth_call *c = arg;
	int parsed;

	c->xfer = NULL;
	if (resp->error == HTTP_ECANCEL) {
		if (!c->cancelling)
			auth_deliver(c, 1, NULL, NULL);
		return;
	}
	if (auth_retry(c, resp, &parsed))
		return;
	auth_deliver(c, 0, resp, auth_judge(c, resp, parsed));
}

/* Send the signed request; -1 if the transfer cannot start. */
static int
auth_submit(struct auth_call *c)
{
	struct http_request req;
	char *url, **lines;

	url = sign_req_url(c->req);
	lines = sign_req_header_lines(c->req);
	memset(&req, 0, sizeof(req));
	req.method = c->req->method;
	req.url = url;
	req.headers = (const char **)lines;
	req.body = c->req->body;
	req.body_len = c->req->body_len;
	req.timeout_ms = c->opts.timeout_ms;
	req.max_body_bytes = c->opts.max_body_bytes;
	req.allow_http = strncmp(url, "http://", 7) == 0;
	req.ca_file = (*c->acct)->tls_ca_file;
	c->xfer = http_submit(c->auth->http, &req, auth_http_cb, c);
	free(url);
	sign_lines_free(lines);
	c->requests++;
	return c->xfer != NULL ? 0 : -1;
}

/* An IAM token arrived (or not) for the request. */
static void
auth_token_cb(const struct iam_result *res, void *arg)
{
	struct auth_call *c = arg;

	c->wait = NULL;
	if (res->cancelled) {
		if (!c->cancelling)
			auth_deliver(c, 1, NULL, NULL);
		return;
	}
	if (!res->ok) {
		if (res->local)
			auth_unsent_local(c, res->errmsg);
		else
			auth_unsent(c, res->errclass, res->errmsg);
		return;
	}
	c->token_gen = res->generation;
	sign_req_add_header(c->req, "X-Auth-Token", res->token);
	if (auth_submit(c) == -1)
		auth_unsent(c, APIERR_NETWORK, "cannot start request");
}

/* Sign the request with the account's key pair; -1 after auth_unsent. */
static int
auth_sign(struct auth_call *c, const struct config_account *a)
{
	const char *key, *secret;
	char nonce[SIGN_NONCE_LEN + 1], *cause = NULL;
	int64_t now_s = monotime_wall_ms() / 1000;
	int rc;

	if (c->auth->creds == NULL) {
		auth_unsent_local(c, "no credential store");
		return -1;
	}
	if (credentials_cache_pair(c->auth->creds, a, &key, &secret, &cause) ==
	    -1) {
		auth_unsent_local(c, cause);
		free(cause);
		return -1;
	}
	if (a->auth_method == CONFIG_AUTH_AKSK) {
		if (!util_empty(a->project_id))
			sign_req_add_header(
			    c->req, "X-Project-Id", a->project_id);
		rc = sign_huawei(c->req, key, secret, now_s, NULL);
	} else {
		/* The same key pair signs V2 and ACS3 (req->acs3). */
		sign_nonce(nonce);
		rc = a->auth_method == CONFIG_AUTH_V2 && !c->req->acs3
		    ? sign_alibaba_v2(c->req, key, secret, now_s, nonce, NULL)
		    : sign_alibaba_v3(c->req, key, secret, now_s, nonce, NULL);
	}
	if (rc == -1) {
		auth_unsent_local(c, "cannot sign request");
		return -1;
	}
	return 0;
}

/*
 * Authenticate the request by the account's method and send it: signed at
 * once (AK/SK, Alibaba V2/V3, with a fresh nonce every time), or after the
 * IAM token arrives.  Failures reach the callback.
 */
static void
auth_dispatch(struct auth_call *c)
{
	const struct config_account *a = *c->acct;

	switch (a->auth_method) {
	case CONFIG_AUTH_NONE:
		break;
	case CONFIG_AUTH_TOKEN:
		if (c->auth->iam == NULL) {
			auth_unsent(c, APIERR_AUTH, "no IAM client");
			return;
		}
		c->wait = iam_token(c->auth->iam, a, auth_token_cb, c);
		return;
	case CONFIG_AUTH_AKSK:
	case CONFIG_AUTH_V2:
	case CONFIG_AUTH_V3:
		if (auth_sign(c, a) == -1)
			return;
		break;
	}
	if (auth_submit(c) == -1)
		auth_unsent(c, APIERR_NETWORK, "cannot start request");
}

/* Authenticate req by the account's method and send it (see auth.h). */
struct auth_call *
auth_send(struct auth *auth, const struct config_account *const *acct,
    struct sign_req *req, const struct auth_opts *opts, auth_cb cb, void *arg)
{
	struct auth_call *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->auth = auth;
	c->acct = acct;
	c->req = req;
	c->opts = *opts;
	c->who = xstrdup(opts->who != NULL ? opts->who : "auth");
	c->opts.who = c->who;
	if (opts->absent != NULL && opts->absent->n > 0) {
		c->absent.v =
		    xreallocarray(NULL, opts->absent->n, sizeof(char *));
		for (i = 0; i < opts->absent->n; i++)
			c->absent.v[i] = xstrdup(opts->absent->v[i]);
		c->absent.n = opts->absent->n;
	}
	c->opts.absent = &c->absent;
	c->cb = cb;
	c->arg = arg;
	c->unsent = timer_new(auth->base, auth_unsent_cb, c);
	auth_dispatch(c);
	return c;
}

/* Cancel a call; its callback fires now with cancelled set. */
void
auth_cancel(struct auth_call *c)
{
	if (c == NULL)
		return;
	c->cancelling = 1;
	if (c->xfer != NULL)
		http_cancel(c->xfer);
	c->xfer = NULL;
	if (c->wait != NULL)
		iam_cancel(c->wait);
	c->wait = NULL;
	auth_deliver(c, 1, NULL, NULL);
}
