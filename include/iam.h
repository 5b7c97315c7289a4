/*
 * Huawei Cloud / OTC IAM password tokens for accounts with auth method
 * token: POST /v3/auth/tokens, cached per account, refreshed by a timer
 * well before they expire, and never fetched twice at once for one
 * account: callers that need a token meanwhile wait in a queue.
 */
#ifndef IAM_H
#define IAM_H

#include <stdint.h>

#include "config.h"
#include "apierr.h"

struct event_base;
struct http;
struct iam;
struct iam_wait;

/* What a caller of iam_token gets; everything borrowed for the callback. */
struct iam_result {
	int ok;                     /* 1: token is set */
	int cancelled;              /* iam_cancel or iam_free */
	const char *token;          /* X-Auth-Token value; never log it */
	const char *project_id;     /* configured, or learned from the token */
	uint64_t generation;        /* names this token for iam_invalidate */
	enum apierr_class errclass; /* when !ok && !cancelled */
	const char *errmsg;         /* when !ok; never holds a secret */
	int local; /* the password could not be read: nothing was sent */
};

/* Called exactly once per iam_token: token, error or cancel. */
typedef void (*iam_cb)(const struct iam_result *res, void *arg);

/* A token cache on base, fetching through http (both borrowed). */
struct iam *iam_new(struct event_base *base, struct http *http);
/* Cancel every fetch and waiter (callbacks fire cancelled), wipe, free. */
void iam_free(struct iam *iam);
/*
 * Ask for a token of acct (auth method token).  The callback fires later,
 * never from within this call: at once (next loop turn) when a valid token
 * is cached, else when the fetch under way or started now completes.
 * After a failed fetch the account is not asked again for a while (5 min
 * after an authentication failure, so a wrong password does not lock the
 * IAM user); callers meanwhile get the same error.  Returns a handle for
 * iam_cancel, valid until the callback fires.
 */
struct iam_wait *iam_token(
    struct iam *iam, const struct config_account *acct, iam_cb cb, void *arg);
/* Cancel a wait; its callback fires now with cancelled set. */
void iam_cancel(struct iam_wait *wt);
/*
 * The server refused token generation gen (401 APIG.0301): drop it, so the
 * next iam_token fetches a new one.  A newer token is kept.
 */
void iam_invalidate(struct iam *iam, const char *account, uint64_t generation);
/*
 * The account's credentials changed (reload) or an operator asked for a
 * poll: drop its token and lift any hold after a failure.
 */
void iam_forget(struct iam *iam, const char *account);
/* The project id of acct: configured, or learned from a token; or NULL. */
const char *iam_project_id(struct iam *iam, const struct config_account *acct);
/*
 * A new config is in use: forget accounts that are gone or changed (their
 * waiters get an error) and lift every hold after a failure.
 */
void iam_reconfigure(struct iam *iam, const struct config *conf);
/* Call cb with the expiry (unix seconds) of each cached token, for metrics. */
void iam_foreach_token(const struct iam *iam,
    void (*cb)(const char *account, int64_t expires_at_s, void *arg),
    void *arg);

#endif
