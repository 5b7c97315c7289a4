/*
 * Alibaba Cloud signing: the RPC signature V2 (HMAC-SHA1 over the twice
 * encoded canonical query, signing.md C) and ACS3-HMAC-SHA256 (a canonical
 * request over host and the x-acs-* headers, signing.md D).  Pure: the
 * time and the nonce are parameters.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "sign.h"
#include "util.h"
#include "xmalloc.h"

#define SIGN_ALIBABA_V3_ALGO "ACS3-HMAC-SHA256"

/* The V2 signature over every parameter but Signature; *sig allocated. */
int
sign_alibaba_v2_expected(const struct sign_req *req, const char *secret,
    char **sig, struct sign_debug *dbg)
{
	unsigned char md[EVP_MAX_MD_SIZE],
	    b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mdlen = 0;
	char *canonical, *key;
	struct buf sts;

	*sig = NULL;
	canonical = sign_req_canonical_query(req, "Signature");
	buf_init(&sts, 0);
	buf_printf(&sts, "%s&", req->method);
	util_urlencode(&sts, "/");
	buf_putc(&sts, '&');
	util_urlencode(&sts, canonical);
	key = xasprintf("%s&", secret);
	HMAC(EVP_sha1(), key, (int)strlen(key), (unsigned char *)buf_str(&sts),
	    sts.len, md, &mdlen);
	xfreesecret(key);
	EVP_EncodeBlock(b64, md, (int)mdlen);
	OPENSSL_cleanse(md, sizeof(md));
	*sig = xstrdup((char *)b64);
	sign_debug_keep(dbg, canonical, buf_release(&sts));
	return 0;
}

/* Replace every parameter called name with one value. */
static void
sign_alibaba_set_query(struct sign_req *req, const char *name, const char *v)
{
	sign_req_del_query(req, name);
	sign_req_add_query(req, name, v);
}

/* Sign req with RPC V2 at now_s with nonce: add the parameters. */
int
sign_alibaba_v2(struct sign_req *req, const char *akid, const char *secret,
    int64_t now_s, const char *nonce, struct sign_debug *dbg)
{
	char date[SIGN_DATE_LEN], *sig;

	sign_req_del_query(req, "Signature");
	sign_format_acs_date(now_s, date);
	sign_alibaba_set_query(req, "AccessKeyId", akid);
	if (sign_req_query(req, "Format") == NULL)
		sign_alibaba_set_query(req, "Format", "JSON");
	sign_alibaba_set_query(req, "SignatureMethod", "HMAC-SHA1");
	sign_alibaba_set_query(req, "SignatureVersion", "1.0");
	sign_alibaba_set_query(req, "SignatureNonce", nonce);
	sign_alibaba_set_query(req, "Timestamp", date);
	if (sign_alibaba_v2_expected(req, secret, &sig, dbg) == -1)
		return -1;
	sign_req_add_query(req, "Signature", sig);
	free(sig);
	return 0;
}

/* The ACS3 signature for the listed headers; -1 if one is missing. */
int
sign_alibaba_v3_expected(const struct sign_req *req, const char *signed_headers,
    const char *secret, char sig[SIGN_HEX_LEN + 1], struct sign_debug *dbg)
{
	return sign_canonical_hmac(req, signed_headers, 0,
	    SIGN_ALIBABA_V3_ALGO "\n", secret, sig, dbg);
}

/* Move query parameter param into header name, if it is in the query. */
static void
sign_alibaba_move(struct sign_req *req, const char *param, const char *name)
{
	const char *v;

	if ((v = sign_req_query(req, param)) == NULL)
		return;
	sign_req_add_header(req, name, v);
	sign_req_del_query(req, param);
}

/* Sign req with ACS3-HMAC-SHA256 at now_s with nonce: set the headers. */
int
sign_alibaba_v3(struct sign_req *req, const char *akid, const char *secret,
    int64_t now_s, const char *nonce, struct sign_debug *dbg)
{
	char date[SIGN_DATE_LEN], hash[SIGN_HEX_LEN + 1], sig[SIGN_HEX_LEN + 1];
	char *list, *auth;
	struct buf b;
	size_t i;

	sign_alibaba_move(req, "Action", "x-acs-action");
	sign_alibaba_move(req, "Version", "x-acs-version");
	sign_req_del_header(req, "Authorization");
	sign_format_acs_date(now_s, date);
	sign_req_add_header(req, "x-acs-date", date);
	sign_req_add_header(req, "x-acs-signature-nonce", nonce);
	sign_sha256_hex(req->body, req->body_len, hash);
	sign_req_add_header(req, "x-acs-content-sha256", hash);
	buf_init(&b, 0);
	buf_puts(&b, req->host != NULL ? "host" : "");
	for (i = 0; i < req->nheaders; i++) {
		if (strncasecmp(req->headers[i].name, "x-acs-", 6) == 0 ||
		    strcasecmp(req->headers[i].name, "content-type") == 0 ||
		    strcasecmp(req->headers[i].name, "host") == 0)
			buf_printf(&b, ";%s", req->headers[i].name);
	}
	list = sign_headers_list(buf_str(&b));
	buf_free(&b);
	if (sign_alibaba_v3_expected(req, list, secret, sig, dbg) == -1) {
		free(list);
		return -1;
	}
	auth = xasprintf("%s Credential=%s,SignedHeaders=%s,Signature=%s",
	    SIGN_ALIBABA_V3_ALGO, akid, list, sig);
	sign_req_add_header(req, "Authorization", auth);
	free(auth);
	free(list);
	return 0;
}
