/*
 * Authentication the way the clouds check it: the scenario's accounts,
 * Huawei SDK-HMAC-SHA256 signatures and IAM tokens (issued here at POST
 * /v3/auth/tokens with a configurable lifetime), and Alibaba RPC V2 and
 * ACS3-HMAC-SHA256 signatures with their time window and single-use nonces.
 * Signatures are recomputed over what was received with the daemon's own
 * sign module.  Without accounts that require it, requests are accepted
 * unsigned.  Secrets never reach a log line or a reply.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hashmap.h"
#include "json.h"
#include "log.h"
#include "monotime.h"
#include "sign.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_AUTH_WINDOW_S (15 * 60)
#define SIM_AUTH_TOKEN_LIFETIME_MS (24ULL * 3600 * 1000)
#define SIM_AUTH_TOKEN_LEN 2048
#define SIM_AUTH_MAX_TOKENS 10000
#define SIM_AUTH_MAX_NONCES 200000
#define SIM_AUTH_IAM_BAD "IAM.0101"
#define SIM_AUTH_APIG "APIG.0301"
#define SIM_AUTH_APIG_PREFIX "Incorrect IAM authentication information: "

/* An issued IAM token. */
struct sim_token {
	TAILQ_ENTRY(sim_token) entry;
	char *token;
	const struct sim_account *account; /* borrowed */
	int64_t expires_ms;                /* wall clock */
};
TAILQ_HEAD(sim_tokens, sim_token);

/* An Alibaba nonce seen in the last 15 minutes. */
struct sim_nonce {
	struct hashmap_entry hentry;  /* first: in auth->by_key */
	TAILQ_ENTRY(sim_nonce) entry; /* oldest first */
	char *key;                    /* access key id, '\n', nonce */
	int64_t seen_s;
};
TAILQ_HEAD(sim_nonce_list, sim_nonce);

/* The authentication state. */
struct sim_auth {
	struct sim_accounts accounts;
	struct sim_tokens tokens;
	size_t ntokens;
	struct sim_nonce_list nonces;
	size_t nnonces;
	struct hashmap by_key; /* the nonces */
};

static void sim_iam_tokens(
    struct sim *, const struct sim_req *, struct sim_reply *);
static void sim_iam_error_reply(const struct sim_req *, int, const char *,
    const char *, struct sim_reply *);

static const struct sim_route sim_iam_routes[] = {
	{ "iam.tokens", "POST", "/v3/auth/tokens", sim_iam_tokens, NULL },
};

/* IAM: serves tokens, holds no tasks. */
const struct sim_api sim_iam_api = {
	.service = "iam",
	.cloud = SIM_CLOUD_HUAWEI,
	.routes = sim_iam_routes,
	.nroutes = 1,
	.error_reply = sim_iam_error_reply,
};

/* IAM's codes for injected statuses. */
static const struct sim_huawei_codes sim_iam_codes = {
	.param = "IAM.0011",
	.forbidden = "IAM.0002",
	.internal = "IAM.0001",
};

/* IAM's error for an injected status (or the API gateway's). */
static void
sim_iam_error_reply(const struct sim_req *r, int status, const char *code,
    const char *msg, struct sim_reply *rp)
{
	sim_huawei_error(r, status, code, msg, &sim_iam_codes, rp);
}

/* The state, created on first use. */
static struct sim_auth *
sim_auth_get(struct sim *sim)
{
	struct sim_auth *a = sim->auth;

	if (a != NULL)
		return a;
	a = xcalloc(1, sizeof(*a));
	TAILQ_INIT(&a->accounts);
	TAILQ_INIT(&a->tokens);
	TAILQ_INIT(&a->nonces);
	hashmap_init(&a->by_key);
	sim->auth = a;
	return a;
}

/* A new account called name, added last; NULL if the name is taken. */
struct sim_account *
sim_auth_account_new(struct sim *sim, const char *name)
{
	struct sim_auth *auth = sim_auth_get(sim);
	struct sim_account *a;

	TAILQ_FOREACH (a, &auth->accounts, entry) {
		if (strcmp(a->name, name) == 0)
			return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->token_lifetime_ms = SIM_AUTH_TOKEN_LIFETIME_MS;
	TAILQ_INSERT_TAIL(&auth->accounts, a, entry);
	return a;
}

/* 1 if some account of cloud requires signed or token requests. */
static int
sim_auth_required(const struct sim_auth *auth, enum sim_cloud cloud)
{
	const struct sim_account *a;

	TAILQ_FOREACH (a, &auth->accounts, entry) {
		if (a->cloud == cloud && a->methods != 0)
			return 1;
	}
	return 0;
}

/* 1 if account a may use method (an account with no methods takes any). */
static int
sim_auth_allows(const struct sim_account *a, unsigned method)
{
	return a->methods == 0 || (a->methods & method) != 0;
}

/* Answer a Huawei authentication failure: 401 APIG.0301, counted. */
static int
sim_auth_huawei_fail(struct sim *sim, const struct sim_req *r,
    struct sim_reply *rp, const char *why)
{
	char *msg = xasprintf(SIM_AUTH_APIG_PREFIX "%s", why);

	log_debug("auth: %s %s: %s", r->method, r->path, msg);
	sim_reply_huawei(rp, 401, SIM_AUTH_APIG, msg, r->request_id);
	free(msg);
	sim_count_auth_fail(sim, SIM_AUTH_APIG);
	return -1;
}

/* Answer an Alibaba authentication failure, counted under its code. */
static int
sim_auth_ali_fail(struct sim *sim, const struct sim_req *r,
    struct sim_reply *rp, int status, const char *code, const char *msg)
{
	log_debug("auth: %s %s: %s", r->method, r->path, code);
	sim_reply_alibaba(r, rp, status, code, msg);
	sim_count_auth_fail(sim, code);
	return -1;
}

/*
 * The request as the signers see it: method, the received path and query,
 * every received header and the body.  NULL if the URI cannot be parsed.
 */
static struct sign_req *
sim_auth_sign_req(const struct sim_req *r)
{
	struct sign_req *sr = sign_req_new();
	struct evkeyval *kv;
	char *cause = NULL;

	if (sign_req_parse_url(sr, r->method, r->uri, &cause) == -1) {
		log_debug("auth: %s: %s", r->uri, cause);
		free(cause);
		sign_req_free(sr);
		return NULL;
	}
	TAILQ_FOREACH (kv, r->headers, next)
		sign_req_add_header(sr, kv->key, kv->value);
	sign_req_set_body(sr, r->body, r->body_len);
	return sr;
}

/* 1 if t (unix seconds) is within 15 minutes of now. */
static int
sim_auth_in_window(int64_t t)
{
	int64_t d = sim_now() - t;

	return d <= SIM_AUTH_WINDOW_S && d >= -SIM_AUTH_WINDOW_S;
}

/* 1 if the ';'-separated list names contains name. */
static int
sim_auth_listed(const char *names, const char *name)
{
	size_t len = strlen(name);
	const char *p = names;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, len) == 0 &&
		    (p[len] == ';' || p[len] == '\0'))
			return 1;
		if ((p = strchr(p, ';')) != NULL)
			p++;
	}
	return 0;
}

/* Check a Huawei SDK-HMAC-SHA256 request; -1 after a 401 reply. */
static int
sim_auth_aksk(struct sim *sim, const struct sim_req *r, const char *value,
    struct sim_reply *rp)
{
	struct sim_auth *auth = sim->auth;
	struct sim_account *a;
	struct sign_auth sa;
	struct sign_debug dbg = { NULL, NULL };
	struct sign_req *sr;
	const char *date;
	char sig[SIGN_HEX_LEN + 1];
	int64_t t;
	int rc = -1;

	if (sign_auth_parse(value, &sa) == -1 ||
	    strcmp(sa.scheme, "SDK-HMAC-SHA256") != 0) {
		if (sa.scheme != NULL)
			sign_auth_clear(&sa);
		return sim_auth_huawei_fail(sim, r, rp,
		    "verify aksk signature fail: malformed Authorization "
		    "header");
	}
	TAILQ_FOREACH (a, &auth->accounts, entry) {
		if (a->cloud == SIM_CLOUD_HUAWEI && a->ak != NULL &&
		    strcmp(a->ak, sa.access) == 0)
			break;
	}
	if (a == NULL) {
		sim_auth_huawei_fail(sim, r, rp,
		    "verify aksk signature fail: unknown access key");
		goto out;
	}
	if (!sim_auth_allows(a, SIM_AUTH_AKSK)) {
		sim_auth_huawei_fail(sim, r, rp,
		    "AK/SK authentication is not allowed for this account");
		goto out;
	}
	date = sim_req_header(r, "X-Sdk-Date");
	if (date == NULL || strlen(date) != 16 ||
	    sign_parse_date(date, &t) == -1) {
		sim_auth_huawei_fail(sim, r, rp,
		    "verify aksk signature fail: X-Sdk-Date is missing or not "
		    "YYYYMMDDTHHMMSSZ");
		goto out;
	}
	if (!sim_auth_in_window(t)) {
		sim_auth_huawei_fail(sim, r, rp,
		    "the request time is expired: X-Sdk-Date is more than "
		    "15 minutes from the server time");
		goto out;
	}
	if (!sim_auth_listed(sa.signed_headers, "x-sdk-date") ||
	    (sr = sim_auth_sign_req(r)) == NULL) {
		sim_auth_huawei_fail(sim, r, rp, "verify aksk signature fail");
		goto out;
	}
	if (sign_huawei_expected(sr, sa.signed_headers, a->sk, sig, &dbg) ==
		-1 ||
	    !sign_equal(sig, sa.signature)) {
		if (dbg.canonical != NULL)
			log_debug("auth: expected canonical request:\n%s\n"
				  "string to sign:\n%s",
			    dbg.canonical, dbg.string_to_sign);
		sim_auth_huawei_fail(sim, r, rp, "verify aksk signature fail");
	} else
		rc = 0;
	sign_debug_clear(&dbg);
	sign_req_free(sr);
out:
	sign_auth_clear(&sa);
	return rc;
}

/* Check an IAM token request; -1 after a 401 reply. */
static int
sim_auth_token(struct sim *sim, const struct sim_req *r, const char *token,
    struct sim_reply *rp)
{
	struct sim_auth *auth = sim->auth;
	struct sim_token *tk;

	TAILQ_FOREACH (tk, &auth->tokens, entry) {
		if (sign_equal(tk->token, token))
			break;
	}
	if (tk == NULL)
		return sim_auth_huawei_fail(sim, r, rp, "decrypt token fail");
	if (monotime_wall_ms() >= tk->expires_ms)
		return sim_auth_huawei_fail(sim, r, rp, "token expires");
	if (!sim_auth_allows(tk->account, SIM_AUTH_TOKEN))
		return sim_auth_huawei_fail(sim, r, rp,
		    "token authentication is not allowed for this account");
	return 0;
}

/* Forget the oldest nonce. */
static void
sim_auth_nonce_drop(struct sim_auth *auth)
{
	struct sim_nonce *n = TAILQ_FIRST(&auth->nonces);

	TAILQ_REMOVE(&auth->nonces, n, entry);
	hashmap_remove(&auth->by_key, &n->hentry);
	free(n->key);
	free(n);
	auth->nnonces--;
}

/*
 * Record a nonce of access key akid; 0 if it is fresh, -1 if it was seen
 * within the last 15 minutes.  Older nonces are forgotten.
 */
static int
sim_auth_nonce(struct sim_auth *auth, const char *akid, const char *nonce)
{
	struct sim_nonce *n;
	int64_t now = sim_now();
	char *key = xasprintf("%s\n%s", akid, nonce);

	while ((n = TAILQ_FIRST(&auth->nonces)) != NULL &&
	    (n->seen_s < now - SIM_AUTH_WINDOW_S ||
		auth->nnonces >= SIM_AUTH_MAX_NONCES))
		sim_auth_nonce_drop(auth);
	if (hashmap_get(&auth->by_key, key) != NULL) {
		free(key);
		return -1;
	}
	n = xcalloc(1, sizeof(*n));
	n->key = key;
	n->seen_s = now;
	TAILQ_INSERT_TAIL(&auth->nonces, n, entry);
	hashmap_add(&auth->by_key, &n->hentry, n->key);
	auth->nnonces++;
	return 0;
}

/* The Alibaba account with access key id akid, or NULL. */
static struct sim_account *
sim_auth_ali_account(struct sim_auth *auth, const char *akid)
{
	struct sim_account *a;

	TAILQ_FOREACH (a, &auth->accounts, entry) {
		if (a->cloud == SIM_CLOUD_ALIBABA && a->access_key_id != NULL &&
		    strcmp(a->access_key_id, akid) == 0)
			return a;
	}
	return NULL;
}

/*
 * The checks V2 and V3 share, in Alibaba's order: the access key, the
 * method, the timestamp and the nonce.  NULL after an error reply.
 */
static struct sim_account *
sim_auth_ali_common(struct sim *sim, const struct sim_req *r,
    struct sim_reply *rp, const char *akid, unsigned method, const char *stamp,
    const char *nonce)
{
	struct sim_account *a;
	int64_t t;
	char *msg;

	if ((a = sim_auth_ali_account(sim->auth, akid)) == NULL) {
		sim_auth_ali_fail(sim, r, rp, 404,
		    "InvalidAccessKeyId.NotFound",
		    "Specified access key is not found.");
		return NULL;
	}
	if (!sim_auth_allows(a, method)) {
		msg = xasprintf("The request signature does not conform to "
				"Aliyun standards: this account does not "
				"accept %s signatures.",
		    method == SIM_AUTH_V2 ? "V2 (HMAC-SHA1)"
					  : "V3 (ACS3-HMAC-SHA256)");
		sim_auth_ali_fail(sim, r, rp, 400, "IncompleteSignature", msg);
		free(msg);
		return NULL;
	}
	if (strlen(stamp) != 20 || sign_parse_date(stamp, &t) == -1) {
		sim_auth_ali_fail(sim, r, rp, 400, "InvalidTimeStamp.Format",
		    "Specified time stamp or date value is not well "
		    "formatted.");
		return NULL;
	}
	if (!sim_auth_in_window(t)) {
		sim_auth_ali_fail(sim, r, rp, 400, "InvalidTimeStamp.Expired",
		    "Specified time stamp or date value is expired.");
		return NULL;
	}
	if (sim_auth_nonce(sim->auth, akid, nonce) == -1) {
		sim_auth_ali_fail(sim, r, rp, 400, "SignatureNonceUsed",
		    "Specified signature nonce was used already.");
		return NULL;
	}
	return a;
}

/* Check an Alibaba RPC V2 (HMAC-SHA1) request; -1 after an error reply. */
static int
sim_auth_v2(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	static const char *const need[] = {
		"AccessKeyId",
		"Signature",
		"SignatureMethod",
		"SignatureVersion",
		"SignatureNonce",
		"Timestamp",
		NULL,
	};
	struct sign_debug dbg = { NULL, NULL };
	struct sign_req *sr;
	struct sim_account *a;
	const char *v[6];
	char *sig = NULL, *msg;
	size_t i;
	int rc = -1;

	if ((sr = sim_auth_sign_req(r)) == NULL)
		return sim_auth_ali_fail(sim, r, rp, 400, "IncompleteSignature",
		    "The request signature does not conform to Aliyun "
		    "standards.");
	for (i = 0; need[i] != NULL; i++) {
		if ((v[i] = sign_req_query(sr, need[i])) == NULL ||
		    *v[i] == '\0') {
			msg = xasprintf("The request signature does not "
					"conform to Aliyun standards: %s is "
					"missing.",
			    need[i]);
			sim_auth_ali_fail(sim, r, rp, 400,
			    i == 0 ? "MissingAccessKeyId"
				   : "IncompleteSignature",
			    msg);
			free(msg);
			goto out;
		}
	}
	if (strcmp(v[2], "HMAC-SHA1") != 0 || strcmp(v[3], "1.0") != 0) {
		sim_auth_ali_fail(sim, r, rp, 400, "IncompleteSignature",
		    "The request signature does not conform to Aliyun "
		    "standards: use SignatureMethod=HMAC-SHA1 and "
		    "SignatureVersion=1.0.");
		goto out;
	}
	if ((a = sim_auth_ali_common(
		 sim, r, rp, v[0], SIM_AUTH_V2, v[5], v[4])) == NULL)
		goto out;
	if (sign_alibaba_v2_expected(sr, a->access_key_secret, &sig, &dbg) ==
		-1 ||
	    !sign_equal(sig, v[1])) {
		msg = xasprintf("Specified signature is not matched with our "
				"calculation. server string to sign is:%s",
		    dbg.string_to_sign != NULL ? dbg.string_to_sign : "");
		sim_auth_ali_fail(
		    sim, r, rp, 400, "SignatureDoesNotMatch", msg);
		free(msg);
	} else
		rc = 0;
out:
	free(sig);
	sign_debug_clear(&dbg);
	sign_req_free(sr);
	return rc;
}

/*
 * Check an ACS3-HMAC-SHA256 request: the x-acs-* headers present, signed
 * and in the window, the body hash, the nonce and the signature; -1 after
 * an error reply.
 */
static int
sim_auth_v3(struct sim *sim, const struct sim_req *r, const char *value,
    struct sim_reply *rp)
{
	static const char *const need[] = {
		"x-acs-date",
		"x-acs-signature-nonce",
		"x-acs-content-sha256",
		NULL,
	};
	struct sign_debug dbg = { NULL, NULL };
	struct sign_req *sr = NULL;
	struct sim_account *a;
	struct sign_auth sa;
	struct evkeyval *kv;
	const char *v[3];
	char sig[SIGN_HEX_LEN + 1], body[SIGN_HEX_LEN + 1], *msg, *name;
	size_t i;
	int rc = -1, unsigned_hdr;

	if (sign_auth_parse(value, &sa) == -1)
		return sim_auth_ali_fail(sim, r, rp, 400, "IncompleteSignature",
		    "The request signature does not conform to Aliyun "
		    "standards: malformed Authorization header.");
	for (i = 0; need[i] != NULL; i++) {
		if ((v[i] = sim_req_header(r, need[i])) == NULL) {
			msg = xasprintf("The request signature does not "
					"conform to Aliyun standards: header "
					"%s is missing.",
			    need[i]);
			sim_auth_ali_fail(
			    sim, r, rp, 400, "IncompleteSignature", msg);
			free(msg);
			goto out;
		}
	}
	/* every x-acs-* header and host must be signed */
	unsigned_hdr = !sim_auth_listed(sa.signed_headers, "host");
	TAILQ_FOREACH (kv, r->headers, next) {
		if (unsigned_hdr || strncasecmp(kv->key, "x-acs-", 6) != 0)
			continue;
		name = xstrdup(kv->key);
		for (i = 0; name[i] != '\0'; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		unsigned_hdr = !sim_auth_listed(sa.signed_headers, name);
		free(name);
	}
	if (unsigned_hdr) {
		sim_auth_ali_fail(sim, r, rp, 400, "IncompleteSignature",
		    "The request signature does not conform to Aliyun "
		    "standards: host and every x-acs-* header must be "
		    "signed.");
		goto out;
	}
	if ((a = sim_auth_ali_common(
		 sim, r, rp, sa.access, SIM_AUTH_V3, v[0], v[1])) == NULL)
		goto out;
	sign_sha256_hex(r->body, r->body_len, body);
	if (strcmp(body, v[2]) != 0) {
		sim_auth_ali_fail(sim, r, rp, 403, "SignatureDoesNotMatch",
		    "Specified signature is not matched with our calculation: "
		    "x-acs-content-sha256 is not the SHA-256 of the body.");
		goto out;
	}
	if (strcmp(sa.scheme, "ACS3-HMAC-SHA256") != 0 ||
	    (sr = sim_auth_sign_req(r)) == NULL ||
	    sign_alibaba_v3_expected(
		sr, sa.signed_headers, a->access_key_secret, sig, &dbg) == -1 ||
	    !sign_equal(sig, sa.signature)) {
		msg = xasprintf("Specified signature is not matched with our "
				"calculation. server string to sign is:%s "
				"canonical request is:%s",
		    dbg.string_to_sign != NULL ? dbg.string_to_sign : "",
		    dbg.canonical != NULL ? dbg.canonical : "");
		sim_auth_ali_fail(
		    sim, r, rp, 403, "SignatureDoesNotMatch", msg);
		free(msg);
	} else
		rc = 0;
out:
	sign_debug_clear(&dbg);
	sign_req_free(sr);
	sign_auth_clear(&sa);
	return rc;
}

/*
 * Check a cloud API request's credentials the way its cloud does; 0 to
 * serve it, -1 after an error reply.  Unsigned requests pass while no
 * account of that cloud requires authentication.
 */
int
sim_auth_check(struct sim *sim, const struct sim_api *api,
    const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_auth *auth = sim->auth;
	const char *authz, *token;
	char *akid, *sig;
	int signed_req;

	if (auth == NULL || api == &sim_iam_api)
		return 0;
	authz = sim_req_header(r, "Authorization");
	if (api->cloud == SIM_CLOUD_HUAWEI) {
		if (authz != NULL)
			return sim_auth_aksk(sim, r, authz, rp);
		if ((token = sim_req_header(r, "X-Auth-Token")) != NULL)
			return sim_auth_token(sim, r, token, rp);
		if (!sim_auth_required(auth, SIM_CLOUD_HUAWEI))
			return 0;
		return sim_auth_huawei_fail(
		    sim, r, rp, "no Authorization or X-Auth-Token header");
	}
	if (authz != NULL)
		return sim_auth_v3(sim, r, authz, rp);
	akid = sim_req_query(r, "AccessKeyId");
	sig = sim_req_query(r, "Signature");
	signed_req = akid != NULL || sig != NULL;
	free(akid);
	free(sig);
	if (!signed_req && !sim_auth_required(auth, SIM_CLOUD_ALIBABA))
		return 0;
	return sim_auth_v2(sim, r, rp);
}

/* An IAM error in both shapes IAM uses: {"error": {...}} and error_code. */
static void
sim_iam_error(struct sim_reply *rp, int status, const char *title,
    const char *code, const char *msg)
{
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	json_w_key(w, "error");
	json_w_obj_open(w);
	json_w_kint(w, "code", status);
	json_w_kstr(w, "message", msg);
	json_w_kstr(w, "title", title);
	json_w_obj_close(w);
	json_w_kstr(w, "error_code", code);
	json_w_kstr(w, "error_msg", msg);
	json_w_obj_close(w);
	sim_reply_json(rp, status, w);
	json_writer_free(w);
}

/* Format wall-clock milliseconds as IAM does: 2020-01-04T09:05:22.701000Z. */
static void
sim_iam_time(int64_t ms, char dst[SIM_TIME_LEN])
{
	char s[SIM_TIME_LEN];

	sim_format_time(ms / 1000, SIM_TIME_ISO, s);
	snprintf(dst, SIM_TIME_LEN, "%.40s.%03d000Z", s, (int)(ms % 1000));
}

/* A new random token of SIM_AUTH_TOKEN_LEN characters (base64 letters). */
static char *
sim_iam_new_token(void)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
	    "tuvwxyz0123456789-_";
	unsigned char rnd[SIM_AUTH_TOKEN_LEN];
	char *t = xmalloc(SIM_AUTH_TOKEN_LEN + 1);
	size_t i;

	arc4random_buf(rnd, sizeof(rnd));
	memcpy(t, "MIIS", 4);
	for (i = 4; i < SIM_AUTH_TOKEN_LEN; i++)
		t[i] = b64[rnd[i] & 63];
	t[SIM_AUTH_TOKEN_LEN] = '\0';
	return t;
}

/* Write {"id": id, "name": name} under key. */
static void
sim_iam_ref(
    struct json_writer *w, const char *key, const char *id, const char *name)
{
	json_w_key(w, key);
	json_w_obj_open(w);
	json_w_kstr(w, "id", id);
	json_w_kstr(w, "name", name);
	json_w_obj_close(w);
}

/*
 * POST /v3/auth/tokens: the password method.  The user, password and
 * domain must match an account; the answer is 201 with the token in
 * X-Subject-Token and token.expires_at and token.project.id in the body.
 */
static void
sim_iam_tokens(struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct sim_auth *auth = sim_auth_get(sim);
	const struct json *id, *user, *scope, *m;
	struct sim_account *a;
	struct sim_token *tk;
	struct json_writer *w;
	struct json *root;
	const char *name, *pw, *domain, *pname, *pid;
	char expires[SIM_TIME_LEN], issued[SIM_TIME_LEN], hex[33];
	int64_t now = monotime_wall_ms();
	size_t i;

	if ((root = json_parse(r->body, r->body_len, NULL)) == NULL ||
	    (id = json_get(json_get(root, "auth"), "identity")) == NULL) {
		sim_iam_error(rp, 400, "Bad Request", "IAM.0011",
		    "The request body is invalid.");
		json_free(root);
		return;
	}
	m = json_get(id, "methods");
	for (i = 0; i < json_len(m); i++) {
		if (json_str(json_at(m, i)) != NULL &&
		    strcmp(json_str(json_at(m, i)), "password") == 0)
			break;
	}
	user = json_get(json_get(id, "password"), "user");
	name = json_get_str(user, "name");
	pw = json_get_str(user, "password");
	domain = json_get_str(json_get(user, "domain"), "name");
	if (i == json_len(m) || name == NULL || pw == NULL) {
		sim_iam_error(rp, 400, "Bad Request", "IAM.0011",
		    "The request body is invalid: use the password method "
		    "with auth.identity.password.user.name and password.");
		json_free(root);
		return;
	}
	TAILQ_FOREACH (a, &auth->accounts, entry) {
		if (a->cloud == SIM_CLOUD_HUAWEI && a->user != NULL &&
		    a->password != NULL && strcmp(a->user, name) == 0 &&
		    sign_equal(a->password, pw) &&
		    (a->domain == NULL ||
			(domain != NULL && strcmp(a->domain, domain) == 0)))
			break;
	}
	if (a == NULL) {
		log_debug("auth: token refused for user %s", name);
		sim_iam_error(rp, 401, "Unauthorized", SIM_AUTH_IAM_BAD,
		    "The username or password is wrong.");
		sim_count_auth_fail(sim, SIM_AUTH_IAM_BAD);
		json_free(root);
		return;
	}

	if (auth->ntokens >= SIM_AUTH_MAX_TOKENS) {
		tk = TAILQ_FIRST(&auth->tokens);
		TAILQ_REMOVE(&auth->tokens, tk, entry);
		xfreezero(tk->token, strlen(tk->token));
		free(tk);
		auth->ntokens--;
	}
	tk = xcalloc(1, sizeof(*tk));
	tk->token = sim_iam_new_token();
	tk->account = a;
	tk->expires_ms = now + (int64_t)a->token_lifetime_ms;
	TAILQ_INSERT_TAIL(&auth->tokens, tk, entry);
	auth->ntokens++;

	scope = json_get(json_get(json_get(root, "auth"), "scope"), "project");
	pname = json_get_str(scope, "name");
	pid = a->project_id != NULL             ? a->project_id
	    : json_get_str(scope, "id") != NULL ? json_get_str(scope, "id")
						: sim->project_id;
	if (pid == NULL) {
		sim_random_hex(hex, 32);
		pid = hex;
	}
	sim_iam_time(tk->expires_ms, expires);
	sim_iam_time(now, issued);
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_key(w, "token");
	json_w_obj_open(w);
	json_w_kstr(w, "expires_at", expires);
	json_w_kstr(w, "issued_at", issued);
	json_w_key(w, "methods");
	json_w_arr_open(w);
	json_w_str(w, "password");
	json_w_arr_close(w);
	json_w_key(w, "project");
	json_w_obj_open(w);
	json_w_kstr(w, "id", pid);
	json_w_kstr(w, "name", pname != NULL ? pname : "sim-1");
	sim_iam_ref(w, "domain", "0000000000000000000000000000d0d0",
	    domain != NULL ? domain : name);
	json_w_obj_close(w);
	json_w_key(w, "user");
	json_w_obj_open(w);
	json_w_kstr(w, "id", "00000000000000000000000000000e5e");
	json_w_kstr(w, "name", name);
	sim_iam_ref(w, "domain", "0000000000000000000000000000d0d0",
	    domain != NULL ? domain : name);
	json_w_obj_close(w);
	json_w_obj_close(w);
	json_w_obj_close(w);
	sim_reply_json(rp, 201, w);
	json_writer_free(w);
	sim_reply_header(rp, "X-Subject-Token", tk->token);
	log_debug("auth: token issued to %s, expires %s", a->name, expires);
	json_free(root);
}

/* Free an account, wiping its secrets. */
static void
sim_auth_account_free(struct sim_account *a)
{
	free(a->name);
	free(a->ak);
	if (a->sk != NULL)
		xfreezero(a->sk, strlen(a->sk));
	free(a->user);
	if (a->password != NULL)
		xfreezero(a->password, strlen(a->password));
	free(a->domain);
	free(a->project_id);
	free(a->access_key_id);
	if (a->access_key_secret != NULL)
		xfreezero(a->access_key_secret, strlen(a->access_key_secret));
	free(a);
}

/* Free the accounts, tokens and nonces. */
void
sim_auth_free(struct sim *sim)
{
	struct sim_auth *auth = sim->auth;
	struct sim_account *a;
	struct sim_token *tk;

	if (auth == NULL)
		return;
	while ((a = TAILQ_FIRST(&auth->accounts)) != NULL) {
		TAILQ_REMOVE(&auth->accounts, a, entry);
		sim_auth_account_free(a);
	}
	while ((tk = TAILQ_FIRST(&auth->tokens)) != NULL) {
		TAILQ_REMOVE(&auth->tokens, tk, entry);
		xfreezero(tk->token, strlen(tk->token));
		free(tk);
	}
	while (!TAILQ_EMPTY(&auth->nonces))
		sim_auth_nonce_drop(auth);
	hashmap_clear(&auth->by_key);
	free(auth);
	sim->auth = NULL;
}
