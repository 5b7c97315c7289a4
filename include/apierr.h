/*
 * The clouds' error answers: a failed answer is read once into an error
 * class (what the daemon does about it), the vendor's code and a safe
 * one-line message.  Transfers that got no answer and HTML pages from a
 * proxy are classified here too.
 */
#ifndef APIERR_H
#define APIERR_H

#include <stddef.h>

#include "config.h"

enum apierr_class {
	APIERR_NETWORK,
	APIERR_HTTP,
	APIERR_AUTH,
	APIERR_THROTTLED,
	APIERR_PARSE,
	APIERR_CONFIG, /* the config is wrong: a default endpoint's
			  host (built from the region) does not exist */
};

/* A failed request: what kind of failure, the vendor's code, a message. */
struct apierr {
	enum apierr_class class;
	char *code; /* the vendor's error code, or NULL */
	char *msg;  /* one line, capped, without control characters */
	/* Nothing was sent: a secret could not be used here (config). */
	int local;
};

/*
 * Read a non-2xx answer into e (overwritten; apierr_clear frees it) with
 * one parse of the body (Huawei error_code / error_msg,
 * {"error":{code,message}}, Alibaba Code/Message or plain text): 401/403/
 * 407 and signature codes are auth, 429 / APIG.0308 / Throttling* are
 * throttled, the rest http.  e->msg is "HTTP 500 DBS.200001: text".
 */
void apierr_parse(struct apierr *e, long status, const char *body, size_t len);
/* As apierr_parse, for the class alone and *msg (caller frees; msg may be
 * NULL). */
enum apierr_class apierr_classify(
    long status, const char *body, size_t len, char **msg);
/* The error code of an error body (Huawei or Alibaba shape), or NULL. */
char *apierr_code(const char *body, size_t len);
/* Set e (overwritten) to class c and a copy of msg. */
void apierr_set(struct apierr *e, enum apierr_class c, const char *msg);
/*
 * Set e (overwritten) to a failure before sending because a secret could
 * not be used here: class c, local, "local secret error, nothing sent: msg".
 */
void apierr_set_local(struct apierr *e, enum apierr_class c, const char *msg);
/* Free what e holds; it may be reused. */
void apierr_clear(struct apierr *e);
/*
 * An answer whose Content-Type is text/html is no API's (a proxy's or a
 * login page): *msg gets "HTTP 502: got text/html — a proxy or login
 * page?" (caller frees; the body is never quoted) and the class is that
 * of the status (parse for 2xx).  -1 when content_type is not HTML.
 */
int apierr_html(long status, const char *content_type, enum apierr_class *class,
    char **msg);
/*
 * Classify a transfer that got no usable answer: too_big is parse; a host
 * name that did not resolve (unresolved) is config when the account's
 * endpoint for service is the default built from its region, so *msg names
 * the region; everything else is network.  *msg gets a one-line message
 * from errmsg (may be NULL); caller frees.
 */
enum apierr_class apierr_transfer(int too_big, int unresolved,
    const struct config_account *acct, const char *service, const char *errmsg,
    char **msg);
/* Prefix *msg with a "clock skew" hint when it says the time was refused. */
void apierr_note_skew(char **msg);
/* "network", "http", "auth", "throttled", "parse", "config". */
const char *apierr_class_name(enum apierr_class c);

#endif
