/*
 * taskwatch-sim: a cloud simulator on loopback for the demo, the tests and
 * the benchmarks.  This file holds the core: flags, the evhttp server,
 * routing to the simulated APIs, authentication, the control API and the
 * sink, fault application, replies held back by latency faults, request
 * counters and a clean shutdown.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "json.h"
#include "log.h"
#include "monotime.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_IDLE_TIMEOUT_S 60

/* A reply held back by a latency fault. */
struct sim_pending {
	TAILQ_ENTRY(sim_pending) entry;
	struct sim *sim;
	struct evhttp_request *req;
	struct event *timer;
	struct sim_reply reply;
	char request_id[SIM_REQUEST_ID_LEN];
	char *line; /* "GET /path" for -v */
};

/* Every simulated API, in routing order. */
static const struct sim_api *const sim_apis[] = {
	&sim_dds_api,
	&sim_dws_actions_api,
	&sim_dws_logical_api,
	&sim_gaussdb_api,
	&sim_ehpc_api,
	&sim_ehpc2_api,
	&sim_iam_api,
	&sim_dws_clusters_api,
	&sim_ehpc_clusters_api,
};

#define SIM_NAPIS (sizeof(sim_apis) / sizeof(sim_apis[0]))

/* The API serving service, or NULL. */
const struct sim_api *
sim_api_find(const char *service)
{
	size_t i;

	for (i = 0; i < SIM_NAPIS; i++) {
		if (strcmp(sim_apis[i]->service, service) == 0)
			return sim_apis[i];
	}
	return NULL;
}

/* How many APIs there are. */
size_t
sim_api_count(void)
{
	return SIM_NAPIS;
}

/* The position of api in the API table. */
size_t
sim_api_slot(const struct sim_api *api)
{
	size_t i;

	for (i = 0; i < SIM_NAPIS; i++) {
		if (sim_apis[i] == api)
			return i;
	}
	fatalx("%s: unknown API", __func__);
}

/* 1 if word is in the NULL-terminated list (NULL: empty). */
int
sim_word_in(const char *word, const char *const *list)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++) {
		if (strcmp(word, list[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * 1 if a fault endpoint pattern names the sink, the PagerDuty endpoint or
 * some API endpoint.
 */
int
sim_endpoint_known(const struct sim *sim, const char *pattern)
{
	size_t i;

	if (strcmp(pattern, "sink") == 0 || strcmp(pattern, "pagerduty") == 0)
		return 1;
	for (i = 0; i < sim->nroutes; i++) {
		if (util_glob(pattern, sim->routes[i]->endpoint))
			return 1;
	}
	return 0;
}

/* -1 with *cause if object o has a key not in the NULL-terminated keys. */
int
sim_json_keys(const struct json *o, const char *const *keys, char **cause)
{
	const char *k;
	size_t i, j;

	for (i = 0; i < json_len(o); i++) {
		k = json_key_at(o, i);
		for (j = 0; keys[j] != NULL; j++) {
			if (strcmp(k, keys[j]) == 0)
				break;
		}
		if (keys[j] == NULL) {
			*cause = xasprintf("unknown key \"%s\"", k);
			return -1;
		}
	}
	return 0;
}

/* Wall clock now, unix seconds. */
int64_t
sim_now(void)
{
	return monotime_wall_ms() / 1000;
}

/* Write ndigits random lower-case hex digits and a NUL into dst. */
void
sim_random_hex(char *dst, size_t ndigits)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t i;

	if (ndigits > sizeof(b))
		ndigits = sizeof(b);
	arc4random_buf(b, ndigits);
	for (i = 0; i < ndigits; i++)
		dst[i] = hex[b[i] & 15];
	dst[ndigits] = '\0';
}

/* Fill dst with a random version 4 UUID, upper case if upper. */
void
sim_uuid(char dst[SIM_UUID_LEN], int upper)
{
	char hex[33];
	size_t i;

	sim_random_hex(hex, 32);
	hex[12] = '4';
	hex[16] = "89ab"[hex[16] % 4];
	snprintf(dst, SIM_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
	for (i = 0; upper && dst[i] != '\0'; i++)
		dst[i] = (char)toupper((unsigned char)dst[i]);
}

/* Format unix seconds t in UTC in one of the vendors' forms. */
void
sim_format_time(int64_t t, enum sim_time_form form, char dst[SIM_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		dst[0] = '\0';
		return;
	}
	switch (form) {
	case SIM_TIME_PLAIN:
		snprintf(dst, SIM_TIME_LEN, "%04d-%02d-%02d %02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		break;
	case SIM_TIME_DOT0:
		snprintf(dst, SIM_TIME_LEN, "%04d-%02d-%02d %02d:%02d:%02d.0",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		break;
	case SIM_TIME_KEY:
		snprintf(dst, SIM_TIME_LEN, "%04d%02d%02d_%02d%02d%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		break;
	case SIM_TIME_ISO:
		snprintf(dst, SIM_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		break;
	}
}

/*
 * Path segment n (from 0, after the leading '/') of a request, decoded;
 * NULL if there are fewer segments.  Caller frees.
 */
char *
sim_path_segment(const struct sim_req *r, size_t n)
{
	const char *p = r->path, *end;

	if (*p == '/')
		p++;
	for (; n > 0; n--) {
		if ((p = strchr(p, '/')) == NULL)
			return NULL;
		p++;
	}
	end = strchr(p, '/');
	return util_urldecode(
	    p, end != NULL ? (size_t)(end - p) : strlen(p), 0);
}

/*
 * Read an optional integer query parameter in [min, max] into *out (left
 * alone when absent); -1 if present but malformed or out of range.
 */
int
sim_req_int(const struct sim_req *r, const char *key, long long min,
    long long max, long long *out)
{
	char *v = sim_req_query(r, key);
	const char *errstr;
	int rc = 0;

	if (v != NULL)
		rc = util_strtonum(v, min, max, out, &errstr);
	free(v);
	return rc;
}

/* A request header's value (case-insensitive name), or NULL. */
const char *
sim_req_header(const struct sim_req *r, const char *name)
{
	return r->headers != NULL ? evhttp_find_header(r->headers, name) : NULL;
}

/*
 * The first value of query parameter key, decoded the way a servlet
 * container does ('+' is a space); NULL if absent.  Caller frees.
 */
char *
sim_req_query(const struct sim_req *r, const char *key)
{
	const char *p = r->query, *amp, *eq;
	size_t klen = strlen(key), len;
	char *name;
	int match;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', len);
		name =
		    util_urldecode(p, eq != NULL ? (size_t)(eq - p) : len, 1);
		match = strlen(name) == klen && strcmp(name, key) == 0;
		free(name);
		if (match) {
			if (eq == NULL)
				return xstrdup("");
			return util_urldecode(eq + 1, len - (eq + 1 - p), 1);
		}
		p = amp != NULL ? amp + 1 : NULL;
	}
	return NULL;
}

/* Add a header to a reply (at most SIM_REPLY_MAX_HEADERS). */
void
sim_reply_header(struct sim_reply *rp, const char *name, const char *value)
{
	if (rp->nhdrs >= SIM_REPLY_MAX_HEADERS)
		return;
	rp->hdr_name[rp->nhdrs] = xstrdup(name);
	rp->hdr_value[rp->nhdrs] = xstrdup(value);
	rp->nhdrs++;
}

/* Set a reply's status and body (NULL: empty). */
void
sim_reply_set(struct sim_reply *rp, int status, const char *body)
{
	rp->status = status;
	buf_reset(&rp->body);
	if (body != NULL)
		buf_puts(&rp->body, body);
}

/* Set a reply to the document in w. */
void
sim_reply_json(struct sim_reply *rp, int status, struct json_writer *w)
{
	size_t len;
	const char *s = json_writer_str(w, &len);

	rp->status = status;
	buf_reset(&rp->body);
	buf_add(&rp->body, s, len);
}

/* A Huawei error reply; request_id adds the API gateway's field. */
void
sim_reply_huawei(struct sim_reply *rp, int status, const char *code,
    const char *msg, const char *request_id)
{
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	json_w_kstr(w, "error_code", code);
	json_w_kstr(w, "error_msg", msg);
	if (request_id != NULL)
		json_w_kstr(w, "request_id", request_id);
	json_w_obj_close(w);
	sim_reply_json(rp, status, w);
	json_writer_free(w);
}

/*
 * A Huawei service's error reply for status: code and msg when given (the
 * API gateway's request_id added for APIG codes), else the gateway's APIG
 * codes for 401, 404, 429 and 502-504 and the service's own otherwise.
 */
void
sim_huawei_error(const struct sim_req *r, int status, const char *code,
    const char *msg, const struct sim_huawei_codes *codes, struct sim_reply *rp)
{
	const char *rid = r != NULL ? r->request_id : NULL;

	if (code != NULL) {
		sim_reply_huawei(rp, status, code,
		    msg != NULL ? msg : "Injected error.",
		    strncmp(code, "APIG.", 5) == 0 ? rid : NULL);
		if (status == 429)
			sim_reply_header(rp, "Retry-After", "1");
		return;
	}
	switch (status) {
	case 400:
		sim_reply_huawei(rp, status, codes->param,
		    msg != NULL ? msg : "Invalid request parameter.", NULL);
		break;
	case 401:
		sim_reply_huawei(rp, status, "APIG.0301",
		    msg != NULL ? msg
				: "Incorrect IAM authentication information: "
				  "token expires.",
		    rid);
		break;
	case 403:
		sim_reply_huawei(rp, status,
		    codes->forbidden != NULL ? codes->forbidden : codes->param,
		    msg != NULL ? msg
			: codes->forbidden != NULL
			? "Resource not found or no permission."
			: "Request error.",
		    NULL);
		break;
	case 404:
		sim_reply_huawei(rp, status, "APIG.0101",
		    msg != NULL ? msg
				: "The API does not exist or has not been "
				  "published in the environment.",
		    rid);
		break;
	case 429:
		sim_reply_huawei(rp, status, "APIG.0308",
		    msg != NULL ? msg : "The request is throttled.", rid);
		sim_reply_header(rp, "Retry-After", "1");
		break;
	case 502:
	case 503:
	case 504:
		sim_reply_huawei(rp, status, "APIG.0201",
		    msg != NULL ? msg : "Backend unavailable.", rid);
		break;
	default:
		if (status >= 500)
			sim_reply_huawei(rp, status, codes->internal,
			    msg != NULL ? msg : "Internal error", NULL);
		else
			sim_reply_huawei(rp, status, codes->param,
			    msg != NULL ? msg : "Request error.", NULL);
		break;
	}
}

/* Count a failed authentication under its error code. */
void
sim_count_auth_fail(struct sim *sim, const char *code)
{
	size_t i;

	for (i = 0; i < sim->nauth_fails; i++) {
		if (strcmp(sim->auth_fails[i].code, code) == 0) {
			sim->auth_fails[i].n++;
			return;
		}
	}
	sim->auth_fails = xreallocarray(
	    sim->auth_fails, sim->nauth_fails + 1, sizeof(*sim->auth_fails));
	sim->auth_fails[sim->nauth_fails].code = xstrdup(code);
	sim->auth_fails[sim->nauth_fails].n = 1;
	sim->nauth_fails++;
}

/* A control API or sink error: {"error": "..."}. */
void
sim_reply_ctl_error(struct sim_reply *rp, int status, const char *fmt, ...)
{
	struct json_writer *w = json_writer_new();
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_w_obj_open(w);
	json_w_kstr(w, "error", msg);
	json_w_obj_close(w);
	sim_reply_json(rp, status, w);
	json_writer_free(w);
}

/* Initialise an empty reply. */
static void
sim_reply_init(struct sim_reply *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->status = 500;
	buf_init(&rp->body, 0);
}

/* Free what a reply holds. */
static void
sim_reply_clear(struct sim_reply *rp)
{
	size_t i;

	for (i = 0; i < rp->nhdrs; i++) {
		free(rp->hdr_name[i]);
		free(rp->hdr_value[i]);
	}
	rp->nhdrs = 0;
	buf_free(&rp->body);
}

/*
 * Send a reply on req (which evhttp then owns and frees); a streamed one
 * is handed to the stream module, which takes over the reply's body.
 */
static void
sim_reply_send(struct sim *sim, struct evhttp_request *req,
    struct sim_reply *rp, const char *request_id, const char *line)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *eb;
	size_t i;

	evhttp_add_header(out, "Content-Type",
	    rp->content_type != NULL ? rp->content_type : SIM_CONTENT_TYPE);
	evhttp_add_header(out, "X-Request-Id", request_id);
	for (i = 0; i < rp->nhdrs; i++)
		evhttp_add_header(out, rp->hdr_name[i], rp->hdr_value[i]);
	if (rp->stream != SIM_STREAM_NONE && rp->status != 204) {
		sim_stream_start(sim, req, rp, line);
		return;
	}
	eb = evbuffer_new();
	if (eb == NULL)
		fatalx("%s: evbuffer_new failed", __func__);
	if (rp->status != 204)
		evbuffer_add(eb, rp->body.data != NULL ? rp->body.data : "",
		    rp->body.len);
	log_debug("%s %d", line, rp->status);
	evhttp_send_reply(req, rp->status, NULL, eb);
	evbuffer_free(eb);
}

/* Free a held reply after it was sent. */
static void
sim_pending_free(struct sim *sim, struct sim_pending *p)
{
	TAILQ_REMOVE(&sim->pending, p, entry);
	event_free(p->timer);
	sim_reply_clear(&p->reply);
	free(p->line);
	free(p);
}

/* Timer: a held reply's latency is over; send it. */
static void
sim_pending_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sim_pending *p = arg;

	sim_reply_send(p->sim, p->req, &p->reply, p->request_id, p->line);
	sim_pending_free(p->sim, p);
}

/*
 * Hold a reply back for delay_ms.  evhttp keeps an unanswered request alive
 * even when its client goes away, and frees it when it is answered.
 */
static void
sim_pending_add(struct sim *sim, struct evhttp_request *req,
    struct sim_reply *rp, const char *request_id, char *line, unsigned delay_ms)
{
	struct sim_pending *p = xcalloc(1, sizeof(*p));
	struct timeval tv;

	p->sim = sim;
	p->req = req;
	p->reply = *rp; /* takes over the reply's memory */
	memcpy(p->request_id, request_id, sizeof(p->request_id));
	p->line = line;
	p->timer = evtimer_new(sim->base, sim_pending_cb, p);
	if (p->timer == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
	TAILQ_INSERT_TAIL(&sim->pending, p, entry);
}

/* The name of an evhttp method. */
static const char *
sim_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "UNKNOWN";
}

/* 1 if path matches pattern, where "{}" stands for one non-empty segment. */
static int
sim_path_match(const char *pattern, const char *path)
{
	while (*pattern != '\0') {
		if (strncmp(pattern, "{}", 2) == 0) {
			if (*path == '/' || *path == '\0')
				return 0;
			while (*path != '/' && *path != '\0')
				path++;
			pattern += 2;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *path == '\0';
}

/*
 * The route of a request, or -1: routes that claim requests (sharing a
 * path with another route) are tried first.  *allow is set to a method
 * when the path matched a route of another method.
 */
static long
sim_route_find(struct sim *sim, const struct sim_req *r, const char **allow)
{
	const struct sim_route *rt;
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sim->nroutes; i++) {
			rt = sim->routes[i];
			if ((rt->claim != NULL) != (pass == 0) ||
			    !sim_path_match(rt->pattern, r->path))
				continue;
			if (strcmp(rt->method, r->method) != 0) {
				*allow = rt->method;
				continue;
			}
			if (rt->claim != NULL && !rt->claim(sim, r))
				continue;
			return (long)i;
		}
	}
	return -1;
}

/*
 * Serve a cloud API request: find its route, count it, check its
 * credentials, and answer it through the route's handler or an injected
 * fault (returned in *fp and noted in the request).
 */
static void
sim_dispatch(struct sim *sim, struct sim_req *r, struct sim_reply *rp,
    struct sim_fault **fp)
{
	const struct sim_api *api;
	const char *allow = NULL;
	char msg[128], *action;
	long i;

	if ((i = sim_route_find(sim, r, &allow)) != -1) {
		api = sim->route_api[i];
		sim->counts[i]++;
		if (sim_auth_check(sim, api, r, rp) == -1)
			return;
		*fp = sim_fault_match(sim, sim->routes[i]->endpoint);
		r->fault = *fp;
		if (*fp != NULL && (*fp)->mode == SIM_FAULT_STATUS) {
			sim_fault_status_reply(*fp, api, r, rp);
			return;
		}
		sim->routes[i]->handle(sim, r, rp);
		return;
	}
	sim->unmatched++;
	if (strcmp(r->path, "/") == 0) {
		/* Alibaba's RPC root: an action nobody serves */
		action = sim_req_query(r, "Action");
		if (action == NULL && sim_req_header(r, "x-acs-action") == NULL)
			sim_reply_alibaba(r, rp, 400, "MissingParameter",
			    "The input parameter \"Action\" that is mandatory "
			    "for processing this request is not supplied.");
		else
			sim_reply_alibaba(r, rp, 404, "InvalidAction.NotFound",
			    "Specified api is not found, please check your url "
			    "and method.");
		free(action);
		return;
	}
	if (allow != NULL) {
		snprintf(msg, sizeof(msg),
		    "The API does not support method "
		    "%s.",
		    r->method);
		sim_reply_huawei(rp, 405, "APIG.0101", msg, r->request_id);
		sim_reply_header(rp, "Allow", allow);
		return;
	}
	sim_reply_huawei(rp, 404, "APIG.0101",
	    "The API does not exist or has "
	    "not been published in the environment.",
	    r->request_id);
}

/*
 * Serve a sink request.  Faults apply to deliveries only, not to reading
 * or clearing the sink; a status fault answers instead of the sink.
 */
static void
sim_dispatch_sink(struct sim *sim, struct sim_req *r, const char *name,
    struct sim_reply *rp, struct sim_fault **fp)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "DELETE") != 0)
		*fp = sim_fault_match(sim, "sink");
	r->fault = *fp;
	if (*fp != NULL && (*fp)->mode == SIM_FAULT_STATUS) {
		sim_fault_status_reply(*fp, NULL, r, rp);
		return;
	}
	sim_sink_handle(sim, r, name, rp);
}

/* Serve PagerDuty's Events API v2; faults name the endpoint "pagerduty". */
static void
sim_dispatch_pagerduty(struct sim *sim, struct sim_req *r, struct sim_reply *rp,
    struct sim_fault **fp)
{
	*fp = sim_fault_match(sim, "pagerduty");
	r->fault = *fp;
	if (*fp != NULL && (*fp)->mode == SIM_FAULT_STATUS) {
		sim_fault_status_reply(*fp, NULL, r, rp);
		return;
	}
	sim_pagerduty_handle(sim, r, rp);
}

/*
 * Send small writes at once, as the vendors' front ends do: evhttp writes
 * a reply in 16 KiB pieces, and with Nagle the last one waits for the
 * client's delayed ACK (40 ms) on a kept-alive connection.
 */
static void
sim_nodelay(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	int on = 1;

	if (conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
	    bufferevent_getfd(bev) < 0)
		return;
	setsockopt(
	    bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* evhttp: every request lands here. */
static void
sim_request_cb(struct evhttp_request *req, void *arg)
{
	struct sim *sim = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct sim_fault *f = NULL;
	struct sim_reply rp;
	struct sim_req r;
	char *body, *line;
	size_t len;

	sim_nodelay(req);
	memset(&r, 0, sizeof(r));
	r.method = sim_method_name(evhttp_request_get_command(req));
	r.uri = evhttp_request_get_uri(req);
	r.path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (r.path == NULL || *r.path == '\0')
		r.path = "/";
	r.query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	r.headers = evhttp_request_get_input_headers(req);
	len = evbuffer_get_length(in);
	body = xmalloc(len + 1);
	if (len > 0)
		evbuffer_copyout(in, body, len);
	body[len] = '\0';
	r.body = body;
	r.body_len = len;
	sim_random_hex(r.request_id, SIM_REQUEST_ID_LEN - 1);
	line = xasprintf("%s %s", r.method, r.uri != NULL ? r.uri : "?");

	sim_reply_init(&rp);
	if (strncmp(r.path, "/_sim/", 6) == 0)
		sim_ctl_handle(sim, &r, r.path + 6, &rp);
	else if (strncmp(r.path, "/_sink/", 7) == 0)
		sim_dispatch_sink(sim, &r, r.path + 7, &rp, &f);
	else if (strcmp(r.path, "/v2/enqueue") == 0)
		sim_dispatch_pagerduty(sim, &r, &rp, &f);
	else
		sim_dispatch(sim, &r, &rp, &f);
	free(body);

	if (f != NULL)
		sim_fault_mangle(f, &rp);
	if (f != NULL && f->latency_ms > 0) {
		sim_pending_add(
		    sim, req, &rp, r.request_id, line, f->latency_ms);
		return;
	}
	sim_reply_send(sim, req, &rp, r.request_id, line);
	sim_reply_clear(&rp);
	free(line);
}

/* Flatten every API's routes into the routing and counter tables. */
static void
sim_routes_init(struct sim *sim)
{
	size_t i, j, n = 0;

	for (i = 0; i < SIM_NAPIS; i++)
		n += sim_apis[i]->nroutes;
	sim->routes = xcalloc(n, sizeof(*sim->routes));
	sim->route_api = xcalloc(n, sizeof(*sim->route_api));
	sim->counts = xcalloc(n, sizeof(*sim->counts));
	for (i = 0; i < SIM_NAPIS; i++) {
		for (j = 0; j < sim_apis[i]->nroutes; j++) {
			sim->routes[sim->nroutes] = &sim_apis[i]->routes[j];
			sim->route_api[sim->nroutes] = sim_apis[i];
			sim->nroutes++;
		}
	}
}

/* Set up an empty simulator. */
void
sim_init(struct sim *sim)
{
	struct event_config *cfg;

	memset(sim, 0, sizeof(*sim));
	TAILQ_INIT(&sim->tasks);
	TAILQ_INIT(&sim->clusters);
	TAILQ_INIT(&sim->faults);
	TAILQ_INIT(&sim->sinks);
	TAILQ_INIT(&sim->pending);
	TAILQ_INIT(&sim->streams);
	sim->next_fault_id = 1;
	sim->start_mono_ms = monotime_ms();
	sim->start_wall_ms = monotime_wall_ms();
	/* latency faults and the timeline want timers to the millisecond */
	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) == -1 ||
	    (sim->base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new failed");
	event_config_free(cfg);
	sim_routes_init(sim);
	sim->indexes = xcalloc(SIM_NAPIS, sizeof(*sim->indexes));
}

/*
 * Free everything; held and streamed replies are finished first so evhttp
 * frees them.
 */
void
sim_free(struct sim *sim)
{
	struct sim_pending *p;
	size_t i;

	while ((p = TAILQ_FIRST(&sim->pending)) != NULL) {
		sim_reply_send(sim, p->req, &p->reply, p->request_id, p->line);
		sim_pending_free(sim, p);
	}
	sim_streams_free(sim);
	if (sim->http != NULL)
		evhttp_free(sim->http);
	scenario_free(sim);
	sim_bulk_free(sim);
	sim_life_free(sim);
	sim_auth_free(sim);
	sim_indexes_free(sim);
	sim_changes_free(sim);
	sim_tasks_free(sim);
	sim_clusters_free(sim);
	sim_faults_clear(sim);
	sim_sinks_free(sim);
	for (i = 0; i < sim->nauth_fails; i++)
		free(sim->auth_fails[i].code);
	free(sim->auth_fails);
	free(sim->project_id);
	free(sim->routes);
	free(sim->route_api);
	free(sim->counts);
	event_base_free(sim->base);
}

/* Start the HTTP server on 127.0.0.1:port; return the bound port or -1. */
int
sim_listen(struct sim *sim, int port)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);

	if ((sim->http = evhttp_new(sim->base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_allowed_methods(sim->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
		EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
		EVHTTP_REQ_OPTIONS);
	evhttp_set_max_body_size(sim->http, SIM_MAX_BODY_BYTES);
	evhttp_set_max_headers_size(sim->http, SIM_MAX_HEADERS_BYTES);
	evhttp_set_timeout(sim->http, SIM_IDLE_TIMEOUT_S);
	evhttp_set_gencb(sim->http, sim_request_cb, sim);
	bs = evhttp_bind_socket_with_handle(
	    sim->http, "127.0.0.1", (unsigned short)port);
	if (bs == NULL) {
		log_warn("cannot listen on 127.0.0.1:%d", port);
		return -1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
		&slen) == -1) {
		log_warn("getsockname");
		return -1;
	}
	return ntohs(sin.sin_port);
}
