/*
 * Asynchronous HTTP through one curl multi handle driven by the libevent
 * loop (curl's hiperfifo pattern).  Every transfer has timeouts, a protocol
 * whitelist, a redirect limit and a body-size cap.  No other module includes
 * <curl/curl.h>.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct http;
struct http_xfer;

enum http_error {
	HTTP_RESPONSE =
	    0, /* a response arrived (any status); not HTTP_OK, which libevent defines */
	HTTP_ENETWORK, /* resolve, connect, TLS, reset ... */
	HTTP_ETIMEOUT,
	HTTP_ETOOBIG, /* body exceeded max_body_bytes */
	HTTP_ECANCEL, /* http_cancel or http_free */
	HTTP_EPROTO,  /* URL scheme not allowed, bad URL */
};

struct http_request {
	const char *method; /* "GET", "POST", ... */
	const char *url;
	const char **headers; /* "Name: value", NULL-terminated; may be NULL */
	/* Header names whose values are never logged; may be NULL. */
	const char *const *secret_headers;
	const char *body; /* may be NULL */
	size_t body_len;
	uint64_t timeout_ms;     /* whole transfer; connect is min(this, 10s) */
	uint64_t max_body_bytes; /* 0 = 8MiB */
	int allow_http;          /* permit http:// (else https only) */
	const char *ca_file;     /* may be NULL */
	long max_redirects;      /* 0 = no redirects followed */
	/* A TLS client certificate and its key (PEM files); may be NULL. */
	const char *cert_file;
	const char *key_file;
};

struct http_header {
	char *name;
	char *value;
};

struct http_response {
	enum http_error error;
	const char *errmsg; /* human text when error != HTTP_RESPONSE */
	long status;        /* HTTP status, 0 without a response */
	const char *body;   /* NUL-terminated, never NULL */
	size_t body_len;
	struct http_header *headers; /* response headers of the last hop */
	size_t nheaders;
	int64_t retry_after_ms; /* Retry-After, -1 if absent */
	int reused;             /* connection was reused */
	int unresolved; /* HTTP_ENETWORK: the host name did not resolve */
	uint64_t duration_ms;
};

/* Whether an smtp:// transfer upgrades to TLS with STARTTLS. */
enum http_starttls {
	HTTP_STARTTLS_OFF,
	HTTP_STARTTLS_OPTIONAL, /* when the server offers it */
	HTTP_STARTTLS_REQUIRED, /* or fail before any mail command */
};

/*
 * A message to send over SMTP: smtp://host:port (STARTTLS as asked) or
 * smtps://host:port (TLS from the start).  The message is RFC 5322 text
 * with CRLF line ends; libcurl does the dot-stuffing.
 */
struct http_mail {
	const char *url;
	const char *from;        /* the envelope sender */
	const char *const *rcpt; /* envelope recipients, NULL-terminated */
	const char *message;
	size_t message_len;
	const char *user; /* NULL: no AUTH */
	const char *password;
	enum http_starttls starttls;
	const char *ca_file; /* may be NULL */
	uint64_t timeout_ms; /* whole transfer */
};

/* Called exactly once per transfer: on completion, error or cancel. */
typedef void (*http_cb)(const struct http_response *resp, void *arg);

/* Create the client on base. */
struct http *http_new(struct event_base *base);
/* Cancel every transfer (callbacks fire with HTTP_ECANCEL), then free. */
void http_free(struct http *h);
/*
 * Start a transfer; the request is copied, so it may be freed on return.
 * The callback is never called from within http_submit.
 */
struct http_xfer *http_submit(
    struct http *h, const struct http_request *req, http_cb cb, void *arg);
/*
 * Send a mail (see struct http_mail), copied like a request.  The
 * response's status is the server's last reply code (250 when the message
 * was taken; a 4xx or 5xx comes with an error); body and headers are
 * empty.
 */
struct http_xfer *http_submit_mail(
    struct http *h, const struct http_mail *m, http_cb cb, void *arg);
/* Cancel a transfer; its callback fires now with HTTP_ECANCEL. */
void http_cancel(struct http_xfer *x);
/* A response header by case-insensitive name; NULL if absent. */
const char *http_response_header(
    const struct http_response *resp, const char *name);
/* Transfers in flight. */
size_t http_active(const struct http *h);
/* Totals for metrics: requests completed and how many reused a connection. */
void http_stats(const struct http *h, uint64_t *requests, uint64_t *reused);
/* Turn on redacted debug tracing of requests (headers only). */
void http_set_debug(struct http *h, int on);

#endif
