/*
 * Asynchronous HTTP: one curl multi handle per client, driven by libevent
 * (curl's hiperfifo pattern).  curl tells us which sockets to watch and when
 * to wake it; we own one event per socket and one timer, and hand finished
 * transfers to their callbacks only after curl has returned to us.
 *
 * Every easy handle gets timeouts, NOSIGNAL, a protocol whitelist, a redirect
 * limit and a body cap enforced in the write callback.  Easy handles are
 * freed after each transfer; connections stay in the multi's cache.
 * http_free must not be called from inside a transfer callback.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define HTTP_DEFAULT_TIMEOUT_MS 10000
#define HTTP_MAX_CONNECT_MS 10000
#define HTTP_DEFAULT_MAX_BODY (8 * 1024 * 1024)
#define HTTP_MAX_HEADER_BYTES (64 * 1024)
/*
 * Connections per host: as many as the default max_concurrent_polls.  A
 * transfer over the cap waits in curl's pending queue, and curl runs its
 * whole connect phase (URL parse, connection lookup) again every time a
 * connection frees up: with 64 polls on 16 connections that was a third
 * of the CPU of a poll.
 */
#define HTTP_MAX_HOST_CONNS 64
#define HTTP_MAX_CONNS 128 /* kept alive, all hosts */

enum http_state {
	HTTP_RUNNING,    /* in the multi handle, on h->xfers */
	HTTP_DONE,       /* finished, on h->done awaiting its callback */
	HTTP_DELIVERING, /* on no list; its callback is running */
};

struct http_xfer {
	struct http *h; /* borrowed */
	TAILQ_ENTRY(http_xfer) entry;
	enum http_state state;
	CURL *easy;
	http_cb cb;
	void *arg; /* borrowed */

	char *method;
	char *url;
	char *body;
	size_t body_len;
	size_t body_off; /* SMTP: bytes of the message read by curl */
	struct curl_slist *req_headers;
	struct curl_slist *rcpt; /* SMTP envelope recipients */
	uint64_t max_body;

	struct buf resp_body;
	struct http_header *headers;
	size_t nheaders;
	size_t header_bytes;
	int body_too_big;
	int headers_too_big;

	CURLcode result;
	enum http_error fail; /* failed before curl ran */
	char *fail_msg;
	char errbuf[CURL_ERROR_SIZE];
};
TAILQ_HEAD(http_xfers, http_xfer);

/* What we keep for each socket curl asks us to watch. */
struct http_sock {
	struct http *h; /* borrowed */
	LIST_ENTRY(http_sock) entry;
	curl_socket_t fd;
	short what;
	struct event *ev;
};

struct http {
	struct event_base *base; /* borrowed */
	CURLM *multi;
	struct event *timer; /* curl's one timeout */
	struct event *kick;  /* delivers h->done soon */
	struct http_xfers xfers;
	struct http_xfers done;
	LIST_HEAD(, http_sock) socks;
	size_t active;
	uint64_t requests;
	uint64_t reused;
	int debug;
};

/*
 * Return 1 if the header line "Name: value" carries a secret value: by its
 * name, or because the request lists it in secret_headers.
 */
static int
http_header_secret(
    const char *line, size_t namelen, const char *const *secret_headers)
{
	size_t i;

	if (util_header_sensitive(line, namelen))
		return 1;
	for (i = 0; secret_headers != NULL && secret_headers[i] != NULL; i++) {
		if (strlen(secret_headers[i]) == namelen &&
		    strncasecmp(line, secret_headers[i], namelen) == 0)
			return 1;
	}
	return 0;
}

/* Copy url into b, hiding the Signature query parameter and any password. */
static void
http_redact_url(struct buf *b, const char *url)
{
	const char *p, *q, *end, *eq, *at, *slash;
	size_t n;

	/* user:password@ in the authority. */
	if ((p = strstr(url, "://")) != NULL) {
		p += 3;
		slash = p + strcspn(p, "/?#");
		at = memchr(p, '@', (size_t)(slash - p));
		if (at != NULL) {
			buf_add(b, url, (size_t)(p - url));
			buf_puts(b, "REDACTED@");
			url = at + 1;
		}
	}
	if ((q = strchr(url, '?')) == NULL) {
		buf_puts(b, url);
		return;
	}
	buf_add(b, url, (size_t)(q - url) + 1);
	p = q + 1;
	for (;;) {
		n = strcspn(p, "&#");
		end = p + n;
		eq = memchr(p, '=', n);
		if (eq != NULL && (size_t)(eq - p) == strlen("Signature") &&
		    strncasecmp(p, "Signature", (size_t)(eq - p)) == 0) {
			buf_add(b, p, (size_t)(eq - p) + 1);
			buf_puts(b, "REDACTED");
		} else
			buf_add(b, p, n);
		if (*end != '&') {
			buf_puts(b, end);
			break;
		}
		buf_putc(b, '&');
		p = end + 1;
	}
}

/* Log the request line and its headers, secrets redacted. */
static void
http_debug_request(struct http_xfer *x, const char **headers,
    const char *const *secret_headers)
{
	struct buf url;
	const char *colon;
	size_t i, n;

	buf_init(&url, 0);
	http_redact_url(&url, x->url);
	log_debug("http: > %s %s", x->method, buf_str(&url));
	buf_free(&url);
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if ((colon = strchr(headers[i], ':')) == NULL)
			continue;
		n = (size_t)(colon - headers[i]);
		if (http_header_secret(headers[i], n, secret_headers))
			log_debug("http: > %.*s: REDACTED", (int)n, headers[i]);
		else
			log_debug("http: > %s", headers[i]);
	}
}

/* Free the response headers collected so far. */
static void
http_headers_clear(struct http_xfer *x)
{
	size_t i;

	for (i = 0; i < x->nheaders; i++) {
		free(x->headers[i].name);
		xfreesecret(x->headers[i].value); /* X-Subject-Token */
	}
	free(x->headers);
	x->headers = NULL;
	x->nheaders = 0;
	x->header_bytes = 0;
}

/* curl: body bytes arrived; refuse them past the cap. */
static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	if (buf_add(&x->resp_body, ptr, n) == -1) {
		x->body_too_big = 1;
		return 0;
	}
	return n;
}

/* curl: one header line arrived ("HTTP/..." starts a new set). */
static size_t
http_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	struct http_header *hd;
	size_t n = size * nmemb, len = n, namelen;
	const char *colon, *v, *end;
	char *old;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		http_headers_clear(x);
		x->header_bytes = n;
		return n;
	}
	x->header_bytes += n;
	if (x->header_bytes > HTTP_MAX_HEADER_BYTES) {
		x->headers_too_big = 1;
		return 0;
	}
	while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
		len--;
	if (len == 0)
		return n;
	end = ptr + len;
	if ((ptr[0] == ' ' || ptr[0] == '\t') && x->nheaders > 0) {
		/* Obsolete line folding: continue the previous value. */
		for (v = ptr; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		hd = &x->headers[x->nheaders - 1];
		old = hd->value;
		hd->value = xasprintf("%s %.*s", old, (int)(end - v), v);
		free(old);
		return n;
	}
	if ((colon = memchr(ptr, ':', len)) == NULL)
		return n;
	namelen = (size_t)(colon - ptr);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	x->headers =
	    xreallocarray(x->headers, x->nheaders + 1, sizeof(*x->headers));
	hd = &x->headers[x->nheaders++];
	hd->name = xstrndup(ptr, namelen);
	hd->value = xstrndup(v, (size_t)(end - v));
	return n;
}

/* Parse Retry-After (seconds or an HTTP date) into milliseconds; -1 if none. */
static int64_t
http_retry_after(const struct http_response *resp)
{
	const char *v = http_response_header(resp, "Retry-After");
	const char *errstr;
	long long secs;
	time_t t, now;

	if (v == NULL)
		return -1;
	if (isdigit((unsigned char)*v)) {
		if (util_strtonum(v, 0, INT64_MAX / 1000, &secs, &errstr) == -1)
			return -1;
		return (int64_t)secs * 1000;
	}
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	now = time(NULL);
	if (t <= now)
		return 0;
	return (int64_t)(t - now) * 1000;
}

/* Free a transfer and everything it owns; it must be on no list. */
static void
http_xfer_free(struct http_xfer *x)
{
	struct curl_slist *l;

	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	/* Headers and body may hold a token or a password. */
	for (l = x->req_headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(x->req_headers);
	curl_slist_free_all(x->rcpt);
	free(x->method);
	free(x->url);
	xfreezero(x->body, x->body_len + 1);
	free(x->fail_msg);
	buf_free(&x->resp_body);
	http_headers_clear(x);
	free(x);
}

/* Fill resp for a transfer curl finished (or that failed before it ran). */
static void
http_fill_response(struct http_xfer *x, struct http_response *resp, char **msg)
{
	struct http *h = x->h;
	curl_off_t us = 0;
	long status = 0, connects = 0;

	*msg = NULL;
	if (x->fail != HTTP_RESPONSE) {
		resp->error = x->fail;
		resp->errmsg = x->fail_msg;
		return;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &us);
	resp->status = status;
	resp->duration_ms = us > 0 ? (uint64_t)us / 1000 : 0;
	resp->headers = x->headers;
	resp->nheaders = x->nheaders;
	resp->retry_after_ms = http_retry_after(resp);
	h->requests++;

	switch (x->result) {
	case CURLE_OK:
		resp->error = HTTP_RESPONSE;
		resp->body = buf_str(&x->resp_body);
		resp->body_len = x->resp_body.len;
		resp->reused = connects == 0;
		if (resp->reused)
			h->reused++;
		return;
	case CURLE_OPERATION_TIMEDOUT:
		resp->error = HTTP_ETIMEOUT;
		break;
	case CURLE_FILESIZE_EXCEEDED:
		resp->error = HTTP_ETOOBIG;
		*msg = xasprintf("response body exceeds %llu bytes",
		    (unsigned long long)x->max_body);
		break;
	case CURLE_WRITE_ERROR:
		if (x->body_too_big) {
			resp->error = HTTP_ETOOBIG;
			*msg = xasprintf("response body exceeds %llu bytes",
			    (unsigned long long)x->max_body);
		} else if (x->headers_too_big) {
			resp->error = HTTP_ETOOBIG;
			*msg = xasprintf("response headers exceed %d bytes",
			    HTTP_MAX_HEADER_BYTES);
		} else
			resp->error = HTTP_ENETWORK;
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		resp->error = HTTP_EPROTO;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		resp->error = HTTP_ENETWORK;
		resp->unresolved = 1;
		break;
	default:
		resp->error = HTTP_ENETWORK;
		break;
	}
	if (*msg != NULL)
		resp->errmsg = *msg;
	else if (x->errbuf[0] != '\0')
		resp->errmsg = x->errbuf;
	else
		resp->errmsg = curl_easy_strerror(x->result);
}

/* Log one line for a finished transfer. */
static void
http_debug_result(struct http_xfer *x, const struct http_response *resp)
{
	struct buf url;

	buf_init(&url, 0);
	http_redact_url(&url, x->url);
	if (resp->error == HTTP_RESPONSE)
		log_debug("http: %s %s -> %ld (%zu bytes, %llu ms, %s)",
		    x->method, buf_str(&url), resp->status, resp->body_len,
		    (unsigned long long)resp->duration_ms,
		    resp->reused ? "reused" : "new");
	else
		log_debug("http: %s %s -> error: %s (%llu ms)", x->method,
		    buf_str(&url), resp->errmsg,
		    (unsigned long long)resp->duration_ms);
	buf_free(&url);
}

/*
 * Call the callback of a transfer that is on no list, then free it.  With
 * cancel set, it reports HTTP_ECANCEL whatever happened.
 */
static void
http_deliver(struct http_xfer *x, int cancel)
{
	struct http_response resp;
	char *msg = NULL;

	memset(&resp, 0, sizeof(resp));
	resp.body = "";
	resp.retry_after_ms = -1;
	x->state = HTTP_DELIVERING;
	x->h->active--;
	if (cancel) {
		resp.error = HTTP_ECANCEL;
		resp.errmsg = "transfer cancelled";
	} else
		http_fill_response(x, &resp, &msg);
	if (x->h->debug)
		http_debug_result(x, &resp);
	x->cb(&resp, x->arg);
	free(msg);
	http_xfer_free(x);
}

/* Move every transfer curl has finished to h->done. */
static void
http_collect(struct http *h)
{
	struct http_xfer *x;
	CURLMsg *m;
	char *priv;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((x = (struct http_xfer *)priv) == NULL ||
		    x->state != HTTP_RUNNING)
			continue;
		x->result = m->data.result;
		curl_multi_remove_handle(h->multi, x->easy);
		TAILQ_REMOVE(&h->xfers, x, entry);
		TAILQ_INSERT_TAIL(&h->done, x, entry);
		x->state = HTTP_DONE;
	}
}

/*
 * Collect finished transfers, then run their callbacks one at a time.  A
 * callback may submit or cancel other transfers, including ones still on
 * h->done, so the list is re-read after every callback.
 */
static void
http_process(struct http *h)
{
	struct http_xfer *x;

	http_collect(h);
	while ((x = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, x, entry);
		http_deliver(x, 0);
	}
}

/* libevent: a watched socket is ready. */
static void
http_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, action, &running);
	http_process(h);
}

/* libevent: curl's timeout expired. */
static void
http_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_process(h);
}

/* libevent: deliver transfers that failed before reaching curl. */
static void
http_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	http_process(arg);
}

/* curl: (re)arm or delete our one timer; never calls back into curl. */
static int
http_curl_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct http *h = arg;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

/* curl: start, change or stop watching a socket. */
static int
http_curl_socket_cb(
    CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct http *h = arg;
	struct http_sock *hs = sockp;
	short kind = 0;

	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			event_free(hs->ev);
			LIST_REMOVE(hs, entry);
			free(hs);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (hs == NULL) {
		hs = xcalloc(1, sizeof(*hs));
		hs->h = h;
		hs->fd = s;
		LIST_INSERT_HEAD(&h->socks, hs, entry);
		curl_multi_assign(h->multi, s, hs);
	} else if (hs->what == kind && hs->ev != NULL)
		return 0;
	if (hs->ev != NULL)
		event_free(hs->ev);
	hs->what = kind;
	hs->ev = event_new(h->base, s, kind | EV_PERSIST, http_event_cb, h);
	if (hs->ev == NULL)
		fatalx("%s: event_new failed", __func__);
	event_add(hs->ev, NULL);
	return 0;
}

/* Create the client on base. */
struct http *
http_new(struct event_base *base)
{
	static int curl_ready;
	struct http *h;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatalx("%s: curl_global_init failed", __func__);
		curl_ready = 1;
	}
	h = xcalloc(1, sizeof(*h));
	h->base = base;
	TAILQ_INIT(&h->xfers);
	TAILQ_INIT(&h->done);
	LIST_INIT(&h->socks);
	if ((h->multi = curl_multi_init()) == NULL)
		fatalx("%s: curl_multi_init failed", __func__);
	h->timer = evtimer_new(base, http_timer_cb, h);
	h->kick = evtimer_new(base, http_kick_cb, h);
	if (h->timer == NULL || h->kick == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	curl_multi_setopt(
	    h->multi, CURLMOPT_SOCKETFUNCTION, http_curl_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_curl_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(
	    h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)HTTP_MAX_HOST_CONNS);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_MAX_CONNS);
	return h;
}

/* Cancel every transfer (callbacks fire with HTTP_ECANCEL), then free. */
void
http_free(struct http *h)
{
	struct http_sock *hs;

	if (h == NULL)
		return;
	while (!TAILQ_EMPTY(&h->xfers))
		http_cancel(TAILQ_FIRST(&h->xfers));
	while (!TAILQ_EMPTY(&h->done))
		http_cancel(TAILQ_FIRST(&h->done));
	/* Closing cached connections may still call the socket callback. */
	curl_multi_cleanup(h->multi);
	while ((hs = LIST_FIRST(&h->socks)) != NULL) {
		LIST_REMOVE(hs, entry);
		event_free(hs->ev);
		free(hs);
	}
	event_free(h->timer);
	event_free(h->kick);
	free(h);
}

/* Set the method and body of an easy handle. */
static CURLcode
http_set_method(struct http_xfer *x, const struct http_request *req)
{
	CURLcode rc = CURLE_OK;

	if (req->body != NULL || strcmp(x->method, "POST") == 0) {
		x->body = xmalloc(req->body_len + 1);
		x->body_len = req->body_len;
		if (req->body_len > 0)
			memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		rc = curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(
			    x->easy, CURLOPT_POSTFIELDS, x->body);
		if (rc == CURLE_OK && strcmp(x->method, "POST") != 0)
			rc = curl_easy_setopt(
			    x->easy, CURLOPT_CUSTOMREQUEST, x->method);
	} else if (strcmp(x->method, "GET") == 0)
		rc = curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
	else if (strcmp(x->method, "HEAD") == 0)
		rc = curl_easy_setopt(x->easy, CURLOPT_NOBODY, 1L);
	else
		rc =
		    curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, x->method);
	return rc;
}

/* 1 if the "Name: value" lines of headers (may be NULL) have name. */
static int
http_has_header(const char **headers, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		if (strncasecmp(headers[i], name, n) == 0 &&
		    headers[i][n] == ':')
			return 1;
	return 0;
}

/* The TLS files of a request: CA bundle, client certificate and key. */
static CURLcode
http_set_tls(CURL *e, const struct http_request *req)
{
	CURLcode rc = CURLE_OK;

	if (req->ca_file != NULL)
		rc = curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
	if (rc == CURLE_OK && req->cert_file != NULL)
		rc = curl_easy_setopt(e, CURLOPT_SSLCERT, req->cert_file);
	if (rc == CURLE_OK && req->key_file != NULL)
		rc = curl_easy_setopt(e, CURLOPT_SSLKEY, req->key_file);
	return rc;
}

/* Configure the easy handle of x from req; a curl error code on failure. */
static CURLcode
http_setup(struct http_xfer *x, const struct http_request *req)
{
	CURL *e = x->easy;
	CURLcode rc = CURLE_OK;
	uint64_t timeout_ms, connect_ms;
	struct curl_slist *l;
	const char *protos;
	size_t i;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(e, opt, val); \
	} while (0)
	timeout_ms =
	    req->timeout_ms ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	if (timeout_ms > LONG_MAX)
		timeout_ms = LONG_MAX;
	connect_ms =
	    timeout_ms < HTTP_MAX_CONNECT_MS ? timeout_ms : HTTP_MAX_CONNECT_MS;
	protos = req->allow_http ? "http,https" : "https";

	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_URL, x->url);
	SET(CURLOPT_PROTOCOLS_STR, protos);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, protos);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
	if (req->max_redirects > 0) {
		SET(CURLOPT_FOLLOWLOCATION, 1L);
		SET(CURLOPT_MAXREDIRS, req->max_redirects);
	} else
		SET(CURLOPT_FOLLOWLOCATION, 0L);
	if (rc == CURLE_OK)
		rc = http_set_tls(e, req);
	SET(CURLOPT_USERAGENT, "taskwatchd/" TASKWATCH_VERSION);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
	SET(CURLOPT_WRITEFUNCTION, http_write_cb);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, http_header_cb);
	SET(CURLOPT_HEADERDATA, x);
	if (rc == CURLE_OK)
		rc = http_set_method(x, req);

	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if (strpbrk(req->headers[i], "\r\n") != NULL) {
			log_warnx("http: header with a line break ignored");
			continue;
		}
		if ((l = curl_slist_append(x->req_headers, req->headers[i])) ==
		    NULL)
			fatalx("%s: curl_slist_append failed", __func__);
		x->req_headers = l;
	}
	if ((l = curl_slist_append(x->req_headers, "Expect:")) == NULL)
		fatalx("%s: curl_slist_append failed", __func__);
	x->req_headers = l;
	/*
	 * libcurl gives a POST a Content-Type of its own, which no request
	 * signature covers; a body-less POST (E-HPC 2.0's RPC calls, sent
	 * as their SDK sends them) goes without one unless one is given.
	 */
	if (x->body_len == 0 && strcmp(x->method, "POST") == 0 &&
	    !http_has_header(req->headers, "Content-Type")) {
		if ((l = curl_slist_append(x->req_headers, "Content-Type:")) ==
		    NULL)
			fatalx("%s: curl_slist_append failed", __func__);
		x->req_headers = l;
	}
	SET(CURLOPT_HTTPHEADER, x->req_headers);
#undef SET
	return rc;
}

/* A new transfer of method to url, counted as active. */
static struct http_xfer *
http_xfer_new(struct http *h, const char *method, const char *url,
    uint64_t max_body, http_cb cb, void *arg)
{
	struct http_xfer *x = xcalloc(1, sizeof(*x));

	x->h = h;
	x->cb = cb;
	x->arg = arg;
	x->method = xstrdup(method);
	x->url = xstrdup(url != NULL ? url : "");
	x->max_body = max_body ? max_body : HTTP_DEFAULT_MAX_BODY;
	buf_init(&x->resp_body, x->max_body);
	h->active++;
	if ((x->easy = curl_easy_init()) == NULL)
		fatalx("%s: curl_easy_init failed", __func__);
	return x;
}

/*
 * Hand a set-up transfer to the multi handle (rc: how the set-up went); a
 * failure is delivered from the loop, never from here.
 */
static struct http_xfer *
http_xfer_start(struct http_xfer *x, CURLcode rc)
{
	struct http *h = x->h;
	struct timeval tv = { 0, 0 };
	CURLMcode mc;

	if (rc != CURLE_OK) {
		x->fail = rc == CURLE_UNSUPPORTED_PROTOCOL ||
			rc == CURLE_URL_MALFORMAT
		    ? HTTP_EPROTO
		    : HTTP_ENETWORK;
		x->fail_msg = xstrdup(curl_easy_strerror(rc));
	} else if ((mc = curl_multi_add_handle(h->multi, x->easy)) !=
	    CURLM_OK) {
		x->fail = HTTP_ENETWORK;
		x->fail_msg = xstrdup(curl_multi_strerror(mc));
	}
	if (x->fail != HTTP_RESPONSE) {
		x->state = HTTP_DONE;
		TAILQ_INSERT_TAIL(&h->done, x, entry);
		evtimer_add(h->kick, &tv);
		return x;
	}
	x->state = HTTP_RUNNING;
	TAILQ_INSERT_TAIL(&h->xfers, x, entry);
	return x;
}

/* curl reads the message of an SMTP transfer. */
static size_t
http_read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb, left = x->body_len - x->body_off;

	if (n > left)
		n = left;
	memcpy(ptr, x->body + x->body_off, n);
	x->body_off += n;
	return n;
}

/* Configure the easy handle of an SMTP transfer; a curl code. */
static CURLcode
http_setup_mail(struct http_xfer *x, const struct http_mail *m)
{
	static const long tls[] = { [HTTP_STARTTLS_OFF] = CURLUSESSL_NONE,
		[HTTP_STARTTLS_OPTIONAL] = CURLUSESSL_TRY,
		[HTTP_STARTTLS_REQUIRED] = CURLUSESSL_ALL };
	CURL *e = x->easy;
	CURLcode rc = CURLE_OK;
	uint64_t timeout_ms;
	char *from;
	size_t i;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(e, opt, val); \
	} while (0)
	timeout_ms = m->timeout_ms ? m->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	if (timeout_ms > LONG_MAX)
		timeout_ms = LONG_MAX;
	for (i = 0; m->rcpt != NULL && m->rcpt[i] != NULL; i++)
		if ((x->rcpt = curl_slist_append(x->rcpt, m->rcpt[i])) == NULL)
			fatalx("%s: curl_slist_append failed", __func__);
	x->body = xmalloc(m->message_len + 1);
	memcpy(x->body, m->message, m->message_len);
	x->body[m->message_len] = '\0';
	x->body_len = m->message_len;
	from = xasprintf("<%s>", m->from != NULL ? m->from : "");
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_URL, x->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(timeout_ms < HTTP_MAX_CONNECT_MS ? timeout_ms
						    : HTTP_MAX_CONNECT_MS));
	SET(CURLOPT_USE_SSL, tls[m->starttls]);
	/*
	 * A connection of the cache may have been opened without TLS (a
	 * starttls: optional notifier to the same server), and libcurl
	 * 7.88 reuses it for a transfer that requires TLS: every message
	 * gets its own connection, closed after it.
	 */
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	if (m->ca_file != NULL)
		SET(CURLOPT_CAINFO, m->ca_file);
	SET(CURLOPT_MAIL_FROM, from);
	SET(CURLOPT_MAIL_RCPT, x->rcpt);
	if (m->user != NULL) {
		SET(CURLOPT_USERNAME, m->user);
		SET(CURLOPT_PASSWORD, m->password != NULL ? m->password : "");
	}
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, http_read_cb);
	SET(CURLOPT_READDATA, x);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->message_len);
	SET(CURLOPT_WRITEFUNCTION, http_write_cb);
	SET(CURLOPT_WRITEDATA, x);
#undef SET
	free(from);
	return rc;
}

/* Send a mail (see http.h). */
struct http_xfer *
http_submit_mail(
    struct http *h, const struct http_mail *m, http_cb cb, void *arg)
{
	struct http_xfer *x;

	x = http_xfer_new(h, "MAIL", m->url, 0, cb, arg);
	if (h->debug)
		log_debug("http: MAIL to %s", m->url);
	return http_xfer_start(x, http_setup_mail(x, m));
}

/* Start a transfer; the request is copied, so it may be freed on return. */
struct http_xfer *
http_submit(
    struct http *h, const struct http_request *req, http_cb cb, void *arg)
{
	struct http_xfer *x;
	CURLcode rc;

	x = http_xfer_new(h, req->method != NULL ? req->method : "GET",
	    req->url, req->max_body_bytes, cb, arg);
	if (h->debug)
		http_debug_request(x, req->headers, req->secret_headers);
	rc = http_setup(x, req);
	return http_xfer_start(x, rc);
}

/* Cancel a transfer; its callback fires now with HTTP_ECANCEL. */
void
http_cancel(struct http_xfer *x)
{
	struct http *h;

	if (x == NULL || x->state == HTTP_DELIVERING)
		return;
	h = x->h;
	if (x->state == HTTP_RUNNING) {
		curl_multi_remove_handle(h->multi, x->easy);
		TAILQ_REMOVE(&h->xfers, x, entry);
	} else
		TAILQ_REMOVE(&h->done, x, entry);
	http_deliver(x, 1);
}

/* A response header by case-insensitive name; NULL if absent. */
const char *
http_response_header(const struct http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	}
	return NULL;
}

/* Transfers in flight. */
size_t
http_active(const struct http *h)
{
	return h->active;
}

/* Totals for metrics: requests completed and how many reused a connection. */
void
http_stats(const struct http *h, uint64_t *requests, uint64_t *reused)
{
	if (requests != NULL)
		*requests = h->requests;
	if (reused != NULL)
		*reused = h->reused;
}

/* Turn on redacted debug tracing of requests (headers only). */
void
http_set_debug(struct http *h, int on)
{
	h->debug = on != 0;
}
