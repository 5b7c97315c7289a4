/*
 * IAM password tokens (signing.md A).  One entry per account holds the
 * token, when it expires and the project id it is scoped to; a timer
 * fetches a new one well before expiry, and callers that need a token
 * while none is valid wait in the entry's queue for the one fetch in
 * flight.  The password is read for each fetch and wiped after; the token
 * is wiped when dropped.  Neither is ever logged.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "credentials.h"
#include "http.h"
#include "iam.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "timer.h"
#include "util.h"
#include "xmalloc.h"

#define IAM_TIMEOUT_MS 30000
#define IAM_MAX_BODY (1024 * 1024)
#define IAM_HOLD_AUTH_MS (5 * 60 * 1000) /* wrong password: IAM locks users */
#define IAM_HOLD_MIN_MS 5000             /* other failures, doubling */
#define IAM_HOLD_MAX_MS (5 * 60 * 1000)
#define IAM_REFRESH_BEFORE_MS (3600 * 1000) /* at most this before expiry */
#define IAM_REFRESH_MIN_MS 500
#define IAM_GUARD_MAX_MS 60000 /* stop handing out a token this early */
#define IAM_SKEW_LIFETIME_MS 60000

TAILQ_HEAD(iam_waitq, iam_wait);

struct iam_acct;

struct iam_wait {
	TAILQ_ENTRY(iam_wait) entry;
	struct iam *iam;
	struct iam_acct *acct; /* NULL once the account is forgotten */
	struct iam_waitq *queue;
	iam_cb cb;
	void *arg;
};

/* One account: copies of its settings, its token and its waiters. */
struct iam_acct {
	TAILQ_ENTRY(iam_acct) entry;
	struct iam *iam;
	char *name;
	char *url; /* .../v3/auth/tokens?nocatalog=true */
	char *user;
	char *domain;
	char *project_id; /* configured */
	char *region;
	char *ca_file;
	struct config_secret password;

	char *token;
	char *learned_project;
	uint64_t generation;
	uint64_t valid_until_ms; /* monotonic */
	int64_t expires_at_s;    /* the token's expires_at, unix seconds */
	uint64_t hold_until_ms;  /* no fetch before (after a failure) */
	enum apierr_class hold_class;
	int hold_local; /* the failure was reading the password */
	char *hold_msg;
	unsigned failures;
	struct http_xfer *xfer;
	struct timer *refresh;
	struct iam_waitq waiters;
};
TAILQ_HEAD(iam_accts, iam_acct);

struct iam {
	struct event_base *base; /* borrowed */
	struct http *http;       /* borrowed */
	struct timer *kick;
	struct iam_waitq ready; /* to look at on the next loop turn */
	struct iam_accts accts;
	uint64_t generation;
};

static void iam_kick_cb(void *);
static void iam_refresh_cb(void *);
static void iam_fetch(struct iam_acct *);

/* A token cache on base, fetching through http (both borrowed). */
struct iam *
iam_new(struct event_base *base, struct http *http)
{
	struct iam *iam = xcalloc(1, sizeof(*iam));

	iam->base = base;
	iam->http = http;
	iam->kick = timer_new(base, iam_kick_cb, iam);
	TAILQ_INIT(&iam->ready);
	TAILQ_INIT(&iam->accts);
	return iam;
}

/* Call a waiter back with res and free it; it must be on no queue. */
static void
iam_deliver(struct iam_wait *wt, struct iam_result *res)
{
	wt->cb(res, wt->arg);
	free(wt);
}

/* Call a waiter back with an error (or cancel when class < 0). */
static void
iam_deliver_error(struct iam_wait *wt, int cancelled, enum apierr_class class,
    const char *msg)
{
	struct iam_result res;

	memset(&res, 0, sizeof(res));
	res.cancelled = cancelled;
	res.errclass = class;
	res.errmsg = msg;
	iam_deliver(wt, &res);
}

/* Drop an account's token, wiping it. */
static void
iam_drop_token(struct iam_acct *a)
{
	xfreesecret(a->token);
	a->token = NULL;
	a->valid_until_ms = 0;
	a->expires_at_s = 0;
}

/* Free an account's copied settings. */
static void
iam_acct_clear_settings(struct iam_acct *a)
{
	free(a->url);
	free(a->user);
	free(a->domain);
	free(a->project_id);
	free(a->region);
	free(a->ca_file);
	free(a->password.file);
	free(a->password.env);
	free(a->password.credential);
	a->url = a->user = a->domain = a->project_id = a->region = NULL;
	a->ca_file = NULL;
	memset(&a->password, 0, sizeof(a->password));
}

/* Copy what a fetch needs from the account's config. */
static void
iam_acct_set_settings(struct iam_acct *a, const struct config_account *acct)
{
	char *base;

	base = config_endpoint(acct, "iam");
	a->url = xasprintf("%s/v3/auth/tokens?nocatalog=true", base);
	free(base);
	a->user = xstrdup(acct->user);
	a->domain = xstrdup(acct->domain);
	a->project_id = xstrdup(acct->project_id);
	a->region = xstrdup(acct->region);
	a->ca_file = xstrdup(acct->tls_ca_file);
	a->password.file = xstrdup(acct->password.file);
	a->password.env = xstrdup(acct->password.env);
	a->password.credential = xstrdup(acct->password.credential);
}

/* Compare two optional strings. */
static int
iam_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 if the entry was made from the same settings as acct. */
static int
iam_acct_matches(const struct iam_acct *a, const struct config_account *acct)
{
	char *base, *url;
	int same;

	base = config_endpoint(acct, "iam");
	url = xasprintf("%s/v3/auth/tokens?nocatalog=true", base);
	free(base);
	same = iam_streq(a->url, url) && iam_streq(a->user, acct->user) &&
	    iam_streq(a->domain, acct->domain) &&
	    iam_streq(a->project_id, acct->project_id) &&
	    iam_streq(a->region, acct->region) &&
	    iam_streq(a->ca_file, acct->tls_ca_file) &&
	    iam_streq(a->password.file, acct->password.file) &&
	    iam_streq(a->password.env, acct->password.env) &&
	    iam_streq(a->password.credential, acct->password.credential);
	free(url);
	return same;
}

/* Stop a fetch in flight (its callback sees the cancel and returns). */
static void
iam_stop_fetch(struct iam_acct *a)
{
	struct http_xfer *x = a->xfer;

	a->xfer = NULL;
	if (x != NULL)
		http_cancel(x);
}

/* Forget a token and any hold: the settings changed. */
static void
iam_acct_reset(struct iam_acct *a, const struct config_account *acct)
{
	iam_stop_fetch(a);
	iam_drop_token(a);
	free(a->learned_project);
	a->learned_project = NULL;
	free(a->hold_msg);
	a->hold_msg = NULL;
	a->hold_until_ms = 0;
	a->failures = 0;
	iam_acct_clear_settings(a);
	iam_acct_set_settings(a, acct);
	/* Whoever waited gets a token fetched with the new settings. */
	if (!TAILQ_EMPTY(&a->waiters))
		iam_fetch(a);
}

/* Find an account's entry by name; NULL if none. */
static struct iam_acct *
iam_find(struct iam *iam, const char *name)
{
	struct iam_acct *a;

	TAILQ_FOREACH (a, &iam->accts, entry) {
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

/* The entry for acct, created or brought up to date. */
static struct iam_acct *
iam_get(struct iam *iam, const struct config_account *acct)
{
	struct iam_acct *a;

	if ((a = iam_find(iam, acct->name)) != NULL) {
		if (!iam_acct_matches(a, acct))
			iam_acct_reset(a, acct);
		return a;
	}
	a = xcalloc(1, sizeof(*a));
	a->iam = iam;
	a->name = xstrdup(acct->name);
	a->refresh = timer_new(iam->base, iam_refresh_cb, a);
	TAILQ_INIT(&a->waiters);
	iam_acct_set_settings(a, acct);
	TAILQ_INSERT_TAIL(&iam->accts, a, entry);
	return a;
}

/* Move every waiter of an account to the ready queue and wake it. */
static void
iam_wake(struct iam_acct *a)
{
	struct iam_wait *wt;

	while ((wt = TAILQ_FIRST(&a->waiters)) != NULL) {
		TAILQ_REMOVE(&a->waiters, wt, entry);
		TAILQ_INSERT_TAIL(&a->iam->ready, wt, entry);
		wt->queue = &a->iam->ready;
	}
	timer_activate(a->iam->kick);
}

/* Forget an account: its waiters get an error on the next turn. */
static void
iam_acct_free(struct iam_acct *a)
{
	struct iam *iam = a->iam;
	struct iam_wait *wt;

	iam_stop_fetch(a);
	iam_wake(a);
	TAILQ_FOREACH (wt, &iam->ready, entry) {
		if (wt->acct == a)
			wt->acct = NULL;
	}
	TAILQ_REMOVE(&iam->accts, a, entry);
	timer_free(a->refresh);
	iam_drop_token(a);
	iam_acct_clear_settings(a);
	free(a->learned_project);
	free(a->hold_msg);
	free(a->name);
	free(a);
}

/* Cancel every fetch and waiter (callbacks fire cancelled), wipe, free. */
void
iam_free(struct iam *iam)
{
	struct iam_acct *a;
	struct iam_wait *wt;

	if (iam == NULL)
		return;
	while ((a = TAILQ_FIRST(&iam->accts)) != NULL)
		iam_acct_free(a);
	while ((wt = TAILQ_FIRST(&iam->ready)) != NULL) {
		TAILQ_REMOVE(&iam->ready, wt, entry);
		iam_deliver_error(wt, 1, APIERR_AUTH, "cancelled");
	}
	timer_free(iam->kick);
	free(iam);
}

/* Ask for a token of acct; the callback fires later (see iam.h). */
struct iam_wait *
iam_token(
    struct iam *iam, const struct config_account *acct, iam_cb cb, void *arg)
{
	struct iam_wait *wt = xcalloc(1, sizeof(*wt));

	wt->iam = iam;
	wt->acct = iam_get(iam, acct);
	wt->cb = cb;
	wt->arg = arg;
	TAILQ_INSERT_TAIL(&iam->ready, wt, entry);
	wt->queue = &iam->ready;
	timer_activate(iam->kick);
	return wt;
}

/* Cancel a wait; its callback fires now with cancelled set. */
void
iam_cancel(struct iam_wait *wt)
{
	if (wt == NULL)
		return;
	TAILQ_REMOVE(wt->queue, wt, entry);
	iam_deliver_error(wt, 1, APIERR_AUTH, "cancelled");
}

/* Drop an account's token and lift its hold (new credentials, a poll). */
void
iam_forget(struct iam *iam, const char *account)
{
	struct iam_acct *a;

	if ((a = iam_find(iam, account)) == NULL)
		return;
	iam_drop_token(a);
	a->hold_until_ms = 0;
	a->failures = 0;
}

/* Drop token generation gen of account: the server refused it. */
void
iam_invalidate(struct iam *iam, const char *account, uint64_t generation)
{
	struct iam_acct *a;

	if ((a = iam_find(iam, account)) == NULL || a->token == NULL ||
	    a->generation != generation)
		return;
	log_info("iam: account %s: token refused by the server; getting a "
		 "new one",
	    a->name);
	iam_drop_token(a);
}

/* The project id of acct: configured, or learned from a token; or NULL. */
const char *
iam_project_id(struct iam *iam, const struct config_account *acct)
{
	struct iam_acct *a;

	if (!util_empty(acct->project_id))
		return acct->project_id;
	if ((a = iam_find(iam, acct->name)) == NULL ||
	    !iam_acct_matches(a, acct))
		return NULL;
	return a->learned_project;
}

/* A new config: forget accounts gone or changed, lift holds. */
void
iam_reconfigure(struct iam *iam, const struct config *conf)
{
	struct iam_acct *a, *next;
	const struct config_account *acct;

	for (a = TAILQ_FIRST(&iam->accts); a != NULL; a = next) {
		next = TAILQ_NEXT(a, entry);
		acct = config_find_account(conf, a->name);
		if (acct == NULL || acct->auth_method != CONFIG_AUTH_TOKEN) {
			iam_acct_free(a);
			continue;
		}
		if (!iam_acct_matches(a, acct))
			iam_acct_reset(a, acct);
		a->hold_until_ms = 0;
		a->failures = 0;
	}
}

/* Look at every ready waiter: token, error, or wait for a fetch. */
static void
iam_kick_cb(void *arg)
{
	struct iam *iam = arg;
	struct iam_result res;
	struct iam_wait *wt;
	struct iam_acct *a;
	uint64_t now;

	while ((wt = TAILQ_FIRST(&iam->ready)) != NULL) {
		TAILQ_REMOVE(&iam->ready, wt, entry);
		wt->queue = NULL;
		now = monotime_ms();
		if ((a = wt->acct) == NULL) {
			iam_deliver_error(wt, 0, APIERR_AUTH,
			    "account removed from the configuration");
			continue;
		}
		if (a->token != NULL && now < a->valid_until_ms) {
			memset(&res, 0, sizeof(res));
			res.ok = 1;
			res.token = a->token;
			res.project_id = !util_empty(a->project_id)
			    ? a->project_id
			    : a->learned_project;
			res.generation = a->generation;
			iam_deliver(wt, &res);
			continue;
		}
		if (a->xfer == NULL && now < a->hold_until_ms) {
			memset(&res, 0, sizeof(res));
			res.errclass = a->hold_class;
			res.errmsg = a->hold_msg ? a->hold_msg : "no token";
			res.local = a->hold_local;
			iam_deliver(wt, &res);
			continue;
		}
		TAILQ_INSERT_TAIL(&a->waiters, wt, entry);
		wt->queue = &a->waiters;
		if (a->xfer == NULL)
			iam_fetch(a);
	}
}

/* The refresh timer fired: fetch a new token before the old one ends. */
static void
iam_refresh_cb(void *arg)
{
	struct iam_acct *a = arg;

	if (a->xfer == NULL)
		iam_fetch(a);
}

/*
 * A fetch failed: remember why, hold further fetches for a while, and let
 * the waiters see the error.  A token still valid keeps being handed out.
 */
static void
iam_fetch_failed_how(
    struct iam_acct *a, enum apierr_class class, const char *msg, int local)
{
	uint64_t hold, now = monotime_ms();
	unsigned i;

	a->failures++;
	/* A password that cannot be read never reached IAM: no lock-out. */
	if (class == APIERR_AUTH && !local)
		hold = IAM_HOLD_AUTH_MS;
	else {
		hold = IAM_HOLD_MIN_MS;
		for (i = 1; i < a->failures && hold < IAM_HOLD_MAX_MS; i++)
			hold *= 2;
		if (hold > IAM_HOLD_MAX_MS)
			hold = IAM_HOLD_MAX_MS;
	}
	a->hold_until_ms = now + hold;
	a->hold_class = class;
	a->hold_local = local;
	free(a->hold_msg);
	a->hold_msg = xasprintf("IAM token for account %s: %s", a->name, msg);
	log_warnx("iam: account %s: token request failed (%s): %s; next "
		  "attempt in %llu s",
	    a->name, apierr_class_name(class), msg,
	    (unsigned long long)(hold / 1000));
	if (a->token != NULL && a->valid_until_ms > now)
		timer_add_ms(a->refresh, hold);
	iam_wake(a);
}

/* A fetch failed at IAM (or on the way there): see iam_fetch_failed_how. */
static void
iam_fetch_failed(struct iam_acct *a, enum apierr_class class, const char *msg)
{
	iam_fetch_failed_how(a, class, msg, 0);
}

/* Append the NUL-terminated s to dst (cap bytes, *len used); truncates. */
static void
iam_put(char *dst, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
}

/* Append s to dst as the body of a JSON string. */
static void
iam_put_json(char *dst, size_t cap, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	char esc[7];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc[2] = '\0';
		} else if (*p < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			esc[6] = '\0';
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		iam_put(dst, cap, len, esc);
	}
}

/*
 * The request body (signing.md A).  It holds the password, so it is built
 * in one buffer sized up front (no realloc leaves copies behind) that the
 * caller wipes: *cap bytes.
 */
static char *
iam_body(
    const struct iam_acct *a, const char *password, size_t *len, size_t *cap)
{
	const char *scope_key, *scope, *domain;
	char *body;

	/* Without a domain, the user is the account's own administrator. */
	domain = !util_empty(a->domain) ? a->domain : a->user;
	if (!util_empty(a->project_id)) {
		scope_key = "{\"id\":\"";
		scope = a->project_id;
	} else {
		scope_key = "{\"name\":\"";
		scope = a->region;
	}
	*cap = 256 +
	    6 *
		(strlen(a->user) + strlen(password) + strlen(domain) +
		    strlen(scope));
	body = xmalloc(*cap);
	*len = 0;
	body[0] = '\0';
	iam_put(body, *cap, len,
	    "{\"auth\":{\"identity\":{\"methods\":[\"password\"],"
	    "\"password\":{\"user\":{\"name\":\"");
	iam_put_json(body, *cap, len, a->user);
	iam_put(body, *cap, len, "\",\"password\":\"");
	iam_put_json(body, *cap, len, password);
	iam_put(body, *cap, len, "\",\"domain\":{\"name\":\"");
	iam_put_json(body, *cap, len, domain);
	iam_put(body, *cap, len, "\"}}}},\"scope\":{\"project\":");
	iam_put(body, *cap, len, scope_key);
	iam_put_json(body, *cap, len, scope);
	iam_put(body, *cap, len, "\"}}}}");
	return body;
}

/*
 * Report a transfer that failed or a refusal to a's waiters; 0 if resp is
 * an answer (2xx) to read.
 */
static int
iam_fetch_refused(struct iam_acct *a, const struct http_response *resp)
{
	enum apierr_class class;
	char *msg = NULL;

	if (resp->error != HTTP_RESPONSE) {
		iam_fetch_failed(a,
		    resp->error == HTTP_ETOOBIG ? APIERR_PARSE : APIERR_NETWORK,
		    resp->errmsg ? resp->errmsg : "transfer failed");
		return -1;
	}
	if (resp->status >= 200 && resp->status <= 299)
		return 0;
	class = apierr_classify(resp->status, resp->body, resp->body_len, &msg);
	/* Any refusal of the login itself is about credentials. */
	if (resp->status == 400 || resp->status == 401 || resp->status == 403)
		class = APIERR_AUTH;
	iam_fetch_failed(a, class, msg);
	free(msg);
	return -1;
}

/*
 * Time a's new token, which expires at expires_s (unix seconds): when it
 * stops being handed out and when it is refreshed.  The refresh delay.
 */
static uint64_t
iam_token_schedule(struct iam_acct *a, int64_t expires_s)
{
	int64_t lifetime_ms;
	uint64_t refresh_ms, guard_ms, now;

	now = monotime_ms();
	lifetime_ms = expires_s * 1000 - monotime_wall_ms();
	if (lifetime_ms <= 0) {
		log_warnx("iam: account %s: the new token expired before it "
			  "arrived by this host's clock: clock skew?  Using it "
			  "for %d s",
		    a->name, IAM_SKEW_LIFETIME_MS / 1000);
		lifetime_ms = IAM_SKEW_LIFETIME_MS;
	}
	/* Refresh at 80% of the lifetime, or an hour before, if earlier. */
	refresh_ms = (uint64_t)lifetime_ms / 5 * 4;
	if ((uint64_t)lifetime_ms > IAM_REFRESH_BEFORE_MS &&
	    (uint64_t)lifetime_ms - IAM_REFRESH_BEFORE_MS < refresh_ms)
		refresh_ms = (uint64_t)lifetime_ms - IAM_REFRESH_BEFORE_MS;
	if (refresh_ms < IAM_REFRESH_MIN_MS)
		refresh_ms = IAM_REFRESH_MIN_MS;
	guard_ms = (uint64_t)lifetime_ms / 20;
	if (guard_ms > IAM_GUARD_MAX_MS)
		guard_ms = IAM_GUARD_MAX_MS;
	a->valid_until_ms = now + (uint64_t)lifetime_ms - guard_ms;
	timer_add_ms(a->refresh, refresh_ms);
	return refresh_ms;
}

/* The token answer arrived (or the transfer failed). */
static void
iam_fetch_cb(const struct http_response *resp, void *arg)
{
	struct iam_acct *a = arg;
	struct json *root;
	const struct json *tok;
	const char *subject, *expires, *project;
	int64_t expires_s;
	uint64_t refresh_ms;
	char expires_txt[UTIL_RFC3339_LEN];

	a->xfer = NULL;
	if (resp->error == HTTP_ECANCEL || iam_fetch_refused(a, resp) == -1)
		return;
	subject = http_response_header(resp, "X-Subject-Token");
	if (util_empty(subject)) {
		iam_fetch_failed(
		    a, APIERR_PARSE, "answer has no X-Subject-Token");
		return;
	}
	root = json_parse(resp->body, resp->body_len, NULL);
	tok = json_get(root, "token");
	expires = json_get_str(tok, "expires_at");
	project = json_get_str(json_get(tok, "project"), "id");
	if (expires == NULL || util_parse_time(expires, 0, &expires_s) == -1) {
		json_free(root);
		iam_fetch_failed(
		    a, APIERR_PARSE, "answer has no usable token.expires_at");
		return;
	}
	util_format_rfc3339(expires_s, expires_txt);
	iam_drop_token(a);
	a->token = xstrdup(subject);
	a->expires_at_s = expires_s;
	a->generation = ++a->iam->generation;
	if (!util_empty(project) && !iam_streq(project, a->learned_project)) {
		free(a->learned_project);
		a->learned_project = xstrdup(project);
	}
	json_free(root);
	a->failures = 0;
	a->hold_until_ms = 0;
	refresh_ms = iam_token_schedule(a, expires_s);
	log_info("iam: account %s: new token, expires %s, refresh in %llu s",
	    a->name, expires_txt, (unsigned long long)(refresh_ms / 1000));
	iam_wake(a);
}

/* Start fetching a token for an account; failures go to the waiters. */
static void
iam_fetch(struct iam_acct *a)
{
	struct http_request req;
	static const char *headers[] = {
		"Content-Type: application/json;charset=utf8",
		"Accept: application/json",
		NULL,
	};
	char *password = NULL, *cause = NULL, *body;
	size_t len, cap;

	timer_del(a->refresh);
	if (util_empty(a->user)) {
		iam_fetch_failed(
		    a, APIERR_AUTH, "token authentication needs a user");
		return;
	}
	if (credentials_read(&a->password, &password, &cause) == -1) {
		iam_fetch_failed_how(a, APIERR_AUTH, cause, 1);
		free(cause);
		return;
	}
	body = iam_body(a, password, &len, &cap);
	xfreesecret(password);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = a->url;
	req.headers = headers;
	req.body = body;
	req.body_len = len;
	req.timeout_ms = IAM_TIMEOUT_MS;
	req.max_body_bytes = IAM_MAX_BODY;
	req.allow_http = strncmp(a->url, "http://", 7) == 0;
	req.ca_file = a->ca_file;
	log_debug("iam: account %s: requesting a token", a->name);
	a->xfer = http_submit(a->iam->http, &req, iam_fetch_cb, a);
	xfreezero(body, cap);
	if (a->xfer == NULL)
		iam_fetch_failed(
		    a, APIERR_NETWORK, "cannot start the token request");
}

/* Call cb with the expiry time of each account's cached token. */
void
iam_foreach_token(const struct iam *iam,
    void (*cb)(const char *account, int64_t expires_at_s, void *arg), void *arg)
{
	const struct iam_acct *a;

	TAILQ_FOREACH (a, &iam->accts, entry) {
		if (a->token != NULL)
			cb(a->name, a->expires_at_s, arg);
	}
}
