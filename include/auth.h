/*
 * Authenticating and sending one API request: signed by the account's
 * method (Huawei AK/SK, Alibaba RPC V2 or ACS3 with a fresh nonce each
 * time, an IAM token retried once when the server refuses it, or nothing)
 * and sent through http.  The callback fires exactly once, with an answer
 * to parse or the reason there is none, also when nothing could be sent.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdint.h>

#include "apierr.h"
#include "config.h"
#include "http.h"
#include "sign.h"

struct auth_call;
struct credentials_cache;
struct event_base;
struct iam;

/* What authenticating and sending need; all borrowed. */
struct auth {
	struct event_base *base;
	struct http *http;
	struct iam *iam;                 /* IAM tokens; NULL: none */
	struct credentials_cache *creds; /* key pairs; NULL: none */
};

/* How one request is sent and which answers are the caller's to parse. */
struct auth_opts {
	const char *who;     /* log prefix, "watch NAME" (copied) */
	const char *service; /* endpoint key ("dds"), a static string */
	uint64_t timeout_ms;
	uint64_t max_body_bytes;
	/*
	 * Error answers that are answers ("nothing here"), not errors: HTTP
	 * statuses ("404") and vendor error codes ("DWS.0001"); an API
	 * gateway's APIG.* answer never is.  NULL: none.  auth_send
	 * copies it.
	 */
	const struct config_strlist *absent;
	int any_status; /* every status is an answer (a lookup) */
};

/* What the callback gets; everything borrowed for the callback. */
struct auth_answer {
	int cancelled; /* auth_cancel, or the http or IAM client went away */
	/*
	 * Never NULL (unless cancelled).  When nothing was sent, error is
	 * HTTP_EPROTO and errmsg says why.
	 */
	const struct http_response *resp;
	/*
	 * NULL: resp is an answer to parse (2xx, an absent answer, any status
	 * with any_status).  Else why the request failed: not sent (local
	 * set when a secret could not be used here), no answer, an HTML
	 * page, or the error answer, its body parsed once.
	 */
	const struct apierr *err;
	unsigned requests; /* requests sent: 2 when a token was refused */
};

/* Called exactly once per auth_send, never from within it. */
typedef void (*auth_cb)(const struct auth_answer *a, void *arg);

/*
 * Authenticate req by the account's method and send it; req is taken (the
 * caller must not touch it again) and must carry scheme and host.  A
 * request marked acs3 is signed ACS3 on a V2 account too; a request's
 * note is added to the message of a client error answer.  *acct
 * is read again at every step (token, retry, classifying), so a reload
 * may point it at the new config's account while the call is under way.
 * Returns a handle for auth_cancel, valid until the callback fires.
 */
struct auth_call *auth_send(struct auth *auth,
    const struct config_account *const *acct, struct sign_req *req,
    const struct auth_opts *opts, auth_cb cb, void *arg);
/* Cancel a call; its callback fires now with cancelled set. */
void auth_cancel(struct auth_call *c);

#endif
