/*
 * Huawei Cloud / OTC API Gateway signing, SDK-HMAC-SHA256 (signing.md B):
 * the canonical request with a trailing-slash URI, the string to sign over
 * X-Sdk-Date, and an HMAC-SHA256 under the secret key without derivation.
 * Pure: the date is a parameter.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sign.h"
#include "xmalloc.h"

#define SIGN_HUAWEI_ALGO "SDK-HMAC-SHA256"

/* The signature for the listed headers; -1 if one is missing. */
int
sign_huawei_expected(const struct sign_req *req, const char *signed_headers,
    const char *sk, char sig[SIGN_HEX_LEN + 1], struct sign_debug *dbg)
{
	const char *date;
	char *prefix;
	int rc;

	sig[0] = '\0';
	if ((date = sign_req_header(req, "X-Sdk-Date")) == NULL)
		return -1;
	prefix = xasprintf("%s\n%s\n", SIGN_HUAWEI_ALGO, date);
	rc = sign_canonical_hmac(req, signed_headers, 1, prefix, sk, sig, dbg);
	free(prefix);
	return rc;
}

/*
 * The headers to sign: every header set so far without '_' in its name,
 * host and x-sdk-date, ";"-joined (sign_huawei_expected sorts them).
 */
static char *
sign_huawei_list(const struct sign_req *req)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "x-sdk-date");
	if (req->host != NULL)
		buf_puts(&b, ";host");
	for (i = 0; i < req->nheaders; i++) {
		if (strchr(req->headers[i].name, '_') != NULL)
			continue;
		buf_printf(&b, ";%s", req->headers[i].name);
	}
	return buf_release(&b);
}

/* Sign req with AK/SK at now_s: set X-Sdk-Date and Authorization. */
int
sign_huawei(struct sign_req *req, const char *ak, const char *sk, int64_t now_s,
    struct sign_debug *dbg)
{
	char date[SIGN_DATE_LEN], sig[SIGN_HEX_LEN + 1], *raw, *list, *auth;

	sign_req_del_header(req, "Authorization");
	sign_format_sdk_date(now_s, date);
	sign_req_add_header(req, "X-Sdk-Date", date);
	raw = sign_huawei_list(req);
	list = sign_headers_list(raw);
	free(raw);
	if (sign_huawei_expected(req, list, sk, sig, dbg) == -1) {
		free(list);
		return -1;
	}
	auth = xasprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
	    SIGN_HUAWEI_ALGO, ak, list, sig);
	sign_req_add_header(req, "Authorization", auth);
	free(auth);
	free(list);
	return 0;
}
