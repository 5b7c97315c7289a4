/*
 * libFuzzer target: the signers' canonicalisation.  The input is split at
 * its first newline into a URL and a body; the URL is parsed, signed by
 * each scheme, and the URL to send is rebuilt and parsed again, which must
 * succeed.  An Authorization header parser gets the input too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse, sign with one scheme, rebuild the URL and parse it again. */
static void
fuzz_sign_one(const char *url, const char *body, size_t blen, int scheme)
{
	struct sign_req *req = sign_req_new(), *again;
	struct sign_debug dbg;
	char *cause = NULL, *sent;

	memset(&dbg, 0, sizeof(dbg));
	if (sign_req_parse_url(req, "POST", url, &cause) == -1) {
		free(cause);
		sign_req_free(req);
		return;
	}
	sign_req_set_body(req, body, blen);
	sign_req_add_header(req, "Content-Type", "application/json");
	if (scheme == 0)
		sign_huawei(req, "AK", "SK", 1700000000, &dbg);
	else if (scheme == 1)
		sign_alibaba_v2(req, "AK", "SK", 1700000000,
		    "0123456789abcdef0123456789abcdef", &dbg);
	else
		sign_alibaba_v3(req, "AK", "SK", 1700000000,
		    "0123456789abcdef0123456789abcdef", &dbg);
	sign_debug_clear(&dbg);
	sent = sign_req_url(req);
	again = sign_req_new();
	if (sent != NULL &&
	    sign_req_parse_url(again, "POST", sent, &cause) == -1)
		abort(); /* what we send must be a URL we can read back */
	sign_req_free(again);
	free(sent);
	sign_req_free(req);
}

/* Split one input and run every scheme on it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_auth auth;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ulen = nl ? (size_t)(nl - data) : size;
	char *url = xstrndup((const char *)data, ulen);
	char *all = xstrndup((const char *)data, size);
	int s;

	for (s = 0; s < 3; s++)
		fuzz_sign_one(url, nl ? (const char *)nl + 1 : "",
		    nl ? size - ulen - 1 : 0, s);
	memset(&auth, 0, sizeof(auth));
	if (sign_auth_parse(all, &auth) == 0)
		sign_auth_clear(&auth);
	free(url);
	free(all);
	return 0;
}
