/*
 * The etcd v3 client: each call builds the gateway's JSON body (keys and
 * values in base64, 64-bit numbers as the gateway prints them: strings),
 * posts it through http.c and turns the answer into a struct etcd_result.
 * A request that cannot reach an endpoint (network, timeout, 503) tries
 * the next one once each; with a user, a token from /v3/auth/authenticate
 * rides in the Authorization header and is fetched again when refused.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "etcd.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define ETCD_DEFAULT_TIMEOUT_MS 3000
#define ETCD_MAX_BODY (4 * 1024 * 1024)
#define ETCD_GRPC_UNAUTHENTICATED 16

/* What an answer is parsed as. */
enum etcd_op {
	ETCD_OP_GRANT,
	ETCD_OP_KEEPALIVE,
	ETCD_OP_PLAIN, /* revoke, put: the header only */
	ETCD_OP_RANGE,
	ETCD_OP_DELETE,
	ETCD_OP_TXN,
};

struct etcd {
	struct http *http; /* borrowed */
	char **endpoints;
	size_t nendpoints;
	size_t cur; /* the endpoint that answered last */
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *user;
	char *password;
	char *token; /* NULL until authenticated */
	uint64_t timeout_ms;
	int allow_http;
	TAILQ_HEAD(, etcd_req) reqs;
};

struct etcd_req {
	struct etcd *e; /* borrowed */
	TAILQ_ENTRY(etcd_req) entry;
	enum etcd_op op;
	const char *path; /* static */
	char *body;
	etcd_cb cb;
	void *arg; /* borrowed */
	struct http_xfer *xfer;
	size_t ep;     /* endpoint of the transfer in flight */
	size_t tried;  /* endpoints tried for this step */
	int authing;   /* the transfer is the authentication */
	int reauthed;  /* the token was fetched again once */
	char *lasterr; /* the last endpoint's failure */
	struct etcd_kv *kvs;
	size_t nkvs;
};

static void etcd_send(struct etcd_req *r);

/* Free a string array of n entries. */
static void
etcd_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Create a client; NULL and *cause when the configuration is unusable. */
struct etcd *
etcd_new(struct http *http, const struct etcd_config *cfg, char **cause)
{
	struct etcd *e;
	char *host;
	size_t n;

	for (n = 0; cfg->endpoints != NULL && cfg->endpoints[n] != NULL; n++) {
		if (strncmp(cfg->endpoints[n], "http://", 7) != 0 &&
		    strncmp(cfg->endpoints[n], "https://", 8) != 0) {
			*cause = xasprintf("etcd endpoint %s: not an http:// "
					   "or https:// URL",
			    cfg->endpoints[n]);
			return NULL;
		}
	}
	if (n == 0) {
		*cause = xstrdup("etcd: no endpoints");
		return NULL;
	}
	if ((cfg->user == NULL) != (cfg->password == NULL)) {
		*cause = xstrdup("etcd: a user needs a password and a "
				 "password a user");
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->http = http;
	e->endpoints = xcalloc(n, sizeof(*e->endpoints));
	for (e->nendpoints = 0; e->nendpoints < n; e->nendpoints++) {
		e->endpoints[e->nendpoints] =
		    xstrdup(cfg->endpoints[e->nendpoints]);
		/* "http://h:p/" and "http://h:p" are the same endpoint. */
		host = strstr(e->endpoints[e->nendpoints], "://") + 3;
		host[strcspn(host, "/")] = '\0';
		if (strncmp(e->endpoints[e->nendpoints], "http://", 7) == 0)
			e->allow_http = 1;
	}
	e->ca_file = xstrdup(cfg->ca_file);
	e->cert_file = xstrdup(cfg->cert_file);
	e->key_file = xstrdup(cfg->key_file);
	e->user = xstrdup(cfg->user);
	e->password = xstrdup(cfg->password);
	e->timeout_ms =
	    cfg->timeout_ms ? cfg->timeout_ms : ETCD_DEFAULT_TIMEOUT_MS;
	TAILQ_INIT(&e->reqs);
	return e;
}

/* Overwrite and free a secret. */
static void
etcd_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Cancel every request (callbacks fire with ETCD_ECANCEL), then free. */
void
etcd_free(struct etcd *e)
{
	if (e == NULL)
		return;
	while (!TAILQ_EMPTY(&e->reqs))
		etcd_cancel(TAILQ_FIRST(&e->reqs));
	etcd_strv_free(e->endpoints, e->nendpoints);
	free(e->ca_file);
	free(e->cert_file);
	free(e->key_file);
	free(e->user);
	etcd_secret_free(e->password);
	etcd_secret_free(e->token);
	free(e);
}

/* The endpoint requests go to first. */
const char *
etcd_endpoint(const struct etcd *e)
{
	return e->endpoints[e->cur];
}

/* Free a request's decoded pairs. */
static void
etcd_kvs_free(struct etcd_req *r)
{
	size_t i;

	for (i = 0; i < r->nkvs; i++) {
		free((char *)r->kvs[i].key);
		free((char *)r->kvs[i].value);
	}
	free(r->kvs);
	r->kvs = NULL;
	r->nkvs = 0;
}

/* Call the callback once with res, then free the request. */
static void
etcd_finish(struct etcd_req *r, struct etcd_result *res)
{
	struct etcd *e = r->e;

	TAILQ_REMOVE(&e->reqs, r, entry);
	res->kvs = r->kvs;
	res->nkvs = r->nkvs;
	r->cb(res, r->arg);
	etcd_kvs_free(r);
	free(r->body);
	free(r->lasterr);
	free(r);
}

/* Finish with an error status and a message. */
static void
etcd_fail(struct etcd_req *r, enum etcd_status st, const char *msg)
{
	struct etcd_result res;

	memset(&res, 0, sizeof(res));
	res.status = st;
	res.errmsg = msg;
	etcd_finish(r, &res);
}

/* Cancel a request: its callback fires now with ETCD_ECANCEL. */
void
etcd_cancel(struct etcd_req *r)
{
	struct http_xfer *x;

	if (r == NULL)
		return;
	if ((x = r->xfer) != NULL) {
		r->xfer = NULL;
		http_cancel(x); /* our callback ignores it: xfer is gone */
	}
	etcd_fail(r, ETCD_ECANCEL, "etcd: request cancelled");
}

/* Decode standard base64 into a new NUL-terminated string; NULL if invalid. */
char *
etcd_base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 / 4 + 1);
	long o = util_base64_decode(s, n, (unsigned char *)out);

	if (o < 0) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	if (len != NULL)
		*len = (size_t)o;
	return out;
}

/* Write key: base64 of n bytes at p. */
static void
etcd_w_b64(struct json_writer *w, const char *key, const void *p, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	util_base64(&b, p, n);
	json_w_kstr(w, key, buf_str(&b));
	buf_free(&b);
}

/*
 * Write "range_end" for every key starting with prefix: the prefix with
 * its last byte below 0xff incremented and what follows dropped ("\0", all
 * keys, when every byte is 0xff).
 */
static void
etcd_w_prefix_end(struct json_writer *w, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end = xstrdup(prefix);

	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n == 0)
		etcd_w_b64(w, "range_end", "", 1);
	else {
		end[n - 1]++;
		etcd_w_b64(w, "range_end", end, n);
	}
	free(end);
}

/* Take the writer's document as a request body and free the writer. */
static char *
etcd_body(struct json_writer *w)
{
	char *s = xstrdup(json_writer_str(w, NULL));

	json_writer_free(w);
	return s;
}

/* Start a request of op to path with body (taken). */
static struct etcd_req *
etcd_start(struct etcd *e, enum etcd_op op, const char *path, char *body,
    etcd_cb cb, void *arg)
{
	struct etcd_req *r = xcalloc(1, sizeof(*r));

	r->e = e;
	r->op = op;
	r->path = path;
	r->body = body;
	r->cb = cb;
	r->arg = arg;
	r->ep = e->cur;
	TAILQ_INSERT_TAIL(&e->reqs, r, entry);
	etcd_send(r);
	return r;
}

/* The authentication body (it holds the password: never logged). */
static char *
etcd_auth_body(const struct etcd *e)
{
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	json_w_kstr(w, "name", e->user);
	json_w_kstr(w, "password", e->password);
	json_w_obj_close(w);
	return etcd_body(w);
}

static void etcd_http_cb(const struct http_response *resp, void *arg);

/* Send the request's next step (authentication or the call) to r->ep. */
static void
etcd_send(struct etcd_req *r)
{
	static const char *const secret[] = { "Authorization", NULL };
	struct etcd *e = r->e;
	struct http_request req;
	const char *hdrs[3];
	char *url, *auth = NULL, *authbody = NULL;
	size_t nh = 0;

	r->authing = e->user != NULL && e->token == NULL;
	url = xasprintf("%s%s", e->endpoints[r->ep],
	    r->authing ? "/v3/auth/authenticate" : r->path);
	hdrs[nh++] = "Content-Type: application/json";
	if (!r->authing && e->token != NULL)
		hdrs[nh++] = auth = xasprintf("Authorization: %s", e->token);
	hdrs[nh] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = hdrs;
	req.secret_headers = secret;
	if (r->authing)
		req.body = authbody = etcd_auth_body(e);
	else
		req.body = r->body;
	req.body_len = strlen(req.body);
	req.timeout_ms = e->timeout_ms;
	req.max_body_bytes = ETCD_MAX_BODY;
	req.allow_http = e->allow_http;
	req.ca_file = e->ca_file;
	req.cert_file = e->cert_file;
	req.key_file = e->key_file;
	r->xfer = http_submit(e->http, &req, etcd_http_cb, r);
	free(url);
	etcd_secret_free(auth);
	etcd_secret_free(authbody);
}

/* Try the next endpoint after a failure to reach r->ep; 0 if one is left. */
static int
etcd_next_endpoint(struct etcd_req *r, const char *why)
{
	struct etcd *e = r->e;

	free(r->lasterr);
	r->lasterr = xasprintf("%s: %s", e->endpoints[r->ep], why);
	if (++r->tried >= e->nendpoints)
		return -1;
	log_debug("etcd: %s; trying the next endpoint", r->lasterr);
	r->ep = (r->ep + 1) % e->nendpoints;
	etcd_send(r);
	return 0;
}

/* Parse one "kvs" array into the request's pairs; -1 if malformed. */
static int
etcd_parse_kvs(struct etcd_req *r, const struct json *kvs)
{
	const struct json *kv;
	struct etcd_kv *p;
	const char *k, *v;
	size_t i;

	for (i = 0; i < json_len(kvs); i++) {
		kv = json_at(kvs, i);
		if ((k = json_get_str(kv, "key")) == NULL)
			return -1;
		v = json_get_str(kv, "value");
		r->kvs = xreallocarray(r->kvs, r->nkvs + 1, sizeof(*r->kvs));
		p = &r->kvs[r->nkvs];
		memset(p, 0, sizeof(*p));
		p->key = etcd_base64_decode(k, NULL);
		p->value =
		    etcd_base64_decode(v != NULL ? v : "", &p->value_len);
		r->nkvs++;
		if (p->key == NULL || p->value == NULL)
			return -1;
		json_int(
		    json_get(kv, "create_revision"), 1, &p->create_revision);
		json_int(json_get(kv, "mod_revision"), 1, &p->mod_revision);
		json_int(json_get(kv, "lease"), 1, &p->lease);
	}
	return 0;
}

/* Fill res from a successful answer's document; -1 if malformed. */
static int
etcd_parse_ok(
    struct etcd_req *r, const struct json *doc, struct etcd_result *res)
{
	const struct json *resps, *rr;
	size_t i;
	int b;

	/* The keepalive answer is one message of a stream: {"result":...}. */
	if (r->op == ETCD_OP_KEEPALIVE &&
	    (doc = json_get(doc, "result")) == NULL)
		return -1;
	if (json_type(doc) != JSON_OBJECT)
		return -1;
	json_int(
	    json_get(json_get(doc, "header"), "revision"), 1, &res->revision);
	/* Zero values are left out of the answers. */
	switch (r->op) {
	case ETCD_OP_GRANT:
		if (json_int(json_get(doc, "ID"), 1, &res->lease_id) == -1)
			return -1;
		/* FALLTHROUGH */
	case ETCD_OP_KEEPALIVE:
		json_int(json_get(doc, "TTL"), 1, &res->ttl_s);
		return 0;
	case ETCD_OP_PLAIN:
		return 0;
	case ETCD_OP_RANGE:
		return etcd_parse_kvs(r, json_get(doc, "kvs"));
	case ETCD_OP_DELETE:
		json_int(json_get(doc, "deleted"), 1, &res->deleted);
		return 0;
	case ETCD_OP_TXN:
		if (json_bool(json_get(doc, "succeeded"), &b) == 0)
			res->succeeded = b;
		resps = json_get(doc, "responses");
		for (i = 0; i < json_len(resps); i++) {
			rr = json_get(json_at(resps, i), "response_range");
			if (rr != NULL &&
			    etcd_parse_kvs(r, json_get(rr, "kvs")) == -1)
				return -1;
		}
		return 0;
	}
	return -1;
}

/* Handle a 200 answer: the token of an authentication, or the result. */
static void
etcd_answer(struct etcd_req *r, const struct http_response *resp)
{
	struct etcd *e = r->e;
	struct etcd_result res;
	struct json *doc;
	const char *tok;
	char *cause = NULL, *msg;

	memset(&res, 0, sizeof(res));
	res.endpoint = e->endpoints[r->ep];
	e->cur = r->ep; /* it answered: start there next time */
	if ((doc = json_parse(resp->body, resp->body_len, &cause)) != NULL &&
	    r->authing) {
		if ((tok = json_get_str(doc, "token")) != NULL) {
			etcd_secret_free(e->token);
			e->token = xstrdup(tok);
			json_free(doc);
			r->tried = 0;
			etcd_send(r);
			return;
		}
	} else if (doc != NULL && etcd_parse_ok(r, doc, &res) == 0) {
		etcd_finish(r, &res);
		json_free(doc);
		return;
	}
	msg = xasprintf("etcd: %s%s: unexpected answer%s%s", res.endpoint,
	    r->authing ? "/v3/auth/authenticate" : r->path,
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	json_free(doc);
	free(cause);
	etcd_fail(r, ETCD_EPROTO, msg);
	free(msg);
}

/* Handle an error answer (HTTP status other than 200). */
static void
etcd_error_answer(struct etcd_req *r, const struct http_response *resp)
{
	struct etcd *e = r->e;
	enum etcd_status st = ETCD_ESERVER;
	struct json *doc;
	const char *err = NULL;
	int64_t code = -1;
	char *msg;

	if ((doc = json_parse(resp->body, resp->body_len, NULL)) != NULL) {
		err = json_get_str(doc, "error");
		json_int(json_get(doc, "code"), 1, &code);
	}
	if (code == ETCD_GRPC_UNAUTHENTICATED && !r->authing &&
	    e->user != NULL && !r->reauthed) {
		/* The token expired (or the server restarted): fetch one. */
		json_free(doc);
		r->reauthed = 1;
		etcd_secret_free(e->token);
		e->token = NULL;
		etcd_send(r);
		return;
	}
	if (r->authing || resp->status == 401 || resp->status == 403)
		st = ETCD_EAUTH;
	else if (resp->status == 404)
		st = ETCD_ENOTFOUND;
	msg = xasprintf("etcd: %s%s: %s (HTTP %ld)", e->endpoints[r->ep],
	    r->authing ? "/v3/auth/authenticate" : r->path,
	    util_empty(err) ? "error" : err, resp->status);
	json_free(doc);
	etcd_fail(r, st, msg);
	free(msg);
}

/* A transfer of a request ended. */
static void
etcd_http_cb(const struct http_response *resp, void *arg)
{
	struct etcd_req *r = arg;
	char *msg, why[256];

	if (r->xfer == NULL)
		return; /* cancelled by etcd_cancel, which reports it */
	r->xfer = NULL;
	if (resp->error == HTTP_ECANCEL) {
		etcd_fail(r, ETCD_ECANCEL, "etcd: request cancelled");
		return;
	}
	if (resp->error == HTTP_RESPONSE && resp->status == 200) {
		etcd_answer(r, resp);
		return;
	}
	/* Not reached, or no quorum there: another member may answer. */
	if (resp->error == HTTP_ENETWORK || resp->error == HTTP_ETIMEOUT ||
	    (resp->error == HTTP_RESPONSE &&
		(resp->status == 502 || resp->status == 503))) {
		if (resp->error != HTTP_RESPONSE)
			snprintf(why, sizeof(why), "%s", resp->errmsg);
		else
			snprintf(why, sizeof(why), "HTTP %ld", resp->status);
		if (etcd_next_endpoint(r, why) == 0)
			return;
		msg = xasprintf("etcd: no endpoint answered (%zu tried; last: "
				"%s)",
		    r->e->nendpoints, r->lasterr);
		etcd_fail(r, ETCD_EUNAVAILABLE, msg);
		free(msg);
		return;
	}
	if (resp->error != HTTP_RESPONSE) {
		msg = xasprintf("etcd: %s%s: %s", r->e->endpoints[r->ep],
		    r->path, resp->errmsg);
		etcd_fail(r, ETCD_EPROTO, msg);
		free(msg);
		return;
	}
	etcd_error_answer(r, resp);
}

/* A body {"ID": lease} (grant adds the TTL). */
static char *
etcd_lease_body(int64_t lease, int64_t ttl_s)
{
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	if (ttl_s > 0)
		json_w_kint(w, "TTL", ttl_s);
	json_w_kint(w, "ID", lease);
	json_w_obj_close(w);
	return etcd_body(w);
}

/* Grant a lease of ttl_s seconds. */
struct etcd_req *
etcd_lease_grant(struct etcd *e, int64_t ttl_s, etcd_cb cb, void *arg)
{
	return etcd_start(e, ETCD_OP_GRANT, "/v3/lease/grant",
	    etcd_lease_body(0, ttl_s), cb, arg);
}

/* Renew a lease once. */
struct etcd_req *
etcd_lease_keepalive(struct etcd *e, int64_t lease, etcd_cb cb, void *arg)
{
	return etcd_start(e, ETCD_OP_KEEPALIVE, "/v3/lease/keepalive",
	    etcd_lease_body(lease, 0), cb, arg);
}

/* Revoke a lease, deleting its keys. */
struct etcd_req *
etcd_lease_revoke(struct etcd *e, int64_t lease, etcd_cb cb, void *arg)
{
	return etcd_start(e, ETCD_OP_PLAIN, "/v3/lease/revoke",
	    etcd_lease_body(lease, 0), cb, arg);
}

/* Write the members of a put request. */
static void
etcd_w_put(struct json_writer *w, const struct etcd_put *p)
{
	etcd_w_b64(w, "key", p->key, strlen(p->key));
	etcd_w_b64(w, "value", p->value, p->value_len);
	if (p->lease != 0)
		json_w_kint(w, "lease", p->lease);
}

/* Put one key. */
struct etcd_req *
etcd_put(struct etcd *e, const struct etcd_put *p, etcd_cb cb, void *arg)
{
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	etcd_w_put(w, p);
	json_w_obj_close(w);
	return etcd_start(
	    e, ETCD_OP_PLAIN, "/v3/kv/put", etcd_body(w), cb, arg);
}

/* A body {"key", "range_end"} for a key or a prefix. */
static char *
etcd_key_body(const char *key, int prefix)
{
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	etcd_w_b64(w, "key", key, strlen(key));
	if (prefix)
		etcd_w_prefix_end(w, key);
	json_w_obj_close(w);
	return etcd_body(w);
}

/* Read a key or a prefix. */
struct etcd_req *
etcd_range(struct etcd *e, const char *key, int prefix, etcd_cb cb, void *arg)
{
	return etcd_start(e, ETCD_OP_RANGE, "/v3/kv/range",
	    etcd_key_body(key, prefix), cb, arg);
}

/* Delete a key or a prefix. */
struct etcd_req *
etcd_delete(struct etcd *e, const char *key, int prefix, etcd_cb cb, void *arg)
{
	return etcd_start(e, ETCD_OP_DELETE, "/v3/kv/deleterange",
	    etcd_key_body(key, prefix), cb, arg);
}

/* Write one comparison of a txn. */
static void
etcd_w_cmp(struct json_writer *w, const struct etcd_cmp *c)
{
	static const char *const target[] = {
		[ETCD_CMP_CREATE] = "CREATE",
		[ETCD_CMP_LEASE] = "LEASE",
		[ETCD_CMP_VALUE] = "VALUE",
	};

	json_w_obj_open(w);
	json_w_kstr(w, "target", target[c->target]);
	json_w_kstr(w, "result", "EQUAL");
	etcd_w_b64(w, "key", c->key, strlen(c->key));
	if (c->target == ETCD_CMP_CREATE)
		json_w_kint(w, "create_revision", c->n);
	else if (c->target == ETCD_CMP_LEASE)
		json_w_kint(w, "lease", c->n);
	else
		etcd_w_b64(w, "value", c->value, strlen(c->value));
	json_w_obj_close(w);
}

/* Run a transaction. */
struct etcd_req *
etcd_txn(struct etcd *e, const struct etcd_txn *t, etcd_cb cb, void *arg)
{
	struct json_writer *w = json_writer_new();
	size_t i;

	json_w_obj_open(w);
	json_w_key(w, "compare");
	json_w_arr_open(w);
	for (i = 0; i < t->ncmp; i++)
		etcd_w_cmp(w, &t->cmp[i]);
	json_w_arr_close(w);
	json_w_key(w, "success");
	json_w_arr_open(w);
	for (i = 0; i < t->nput; i++) {
		json_w_obj_open(w);
		json_w_key(w, "request_put");
		json_w_obj_open(w);
		etcd_w_put(w, &t->put[i]);
		json_w_obj_close(w);
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
	json_w_key(w, "failure");
	json_w_arr_open(w);
	for (i = 0; i < t->nrange; i++) {
		json_w_obj_open(w);
		json_w_key(w, "request_range");
		json_w_obj_open(w);
		etcd_w_b64(w, "key", t->range[i], strlen(t->range[i]));
		json_w_obj_close(w);
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
	json_w_obj_close(w);
	return etcd_start(e, ETCD_OP_TXN, "/v3/kv/txn", etcd_body(w), cb, arg);
}

/* Create key under lease unless it exists. */
struct etcd_req *
etcd_create(struct etcd *e, const struct etcd_put *p, etcd_cb cb, void *arg)
{
	struct etcd_cmp cmp = { .key = p->key, .target = ETCD_CMP_CREATE };
	const char *range[] = { p->key };
	struct etcd_txn t = { .cmp = &cmp,
		.ncmp = 1,
		.put = p,
		.nput = 1,
		.range = range,
		.nrange = 1 };

	return etcd_txn(e, &t, cb, arg);
}
