/*
 * Request signing for the clouds (signing.md): one request description
 * shared by Huawei SDK-HMAC-SHA256 and Alibaba RPC V2 / ACS3-HMAC-SHA256,
 * the signers that add the headers or parameters, and, for the simulator,
 * functions that compute the signature a received request should carry.
 * Everything here is pure (time and nonce are parameters) except
 * sign_nonce, which reads the random generator.
 */
#ifndef SIGN_H
#define SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_HEX_LEN 64   /* hex SHA-256 / HMAC-SHA256, without NUL */
#define SIGN_NONCE_LEN 32 /* sign_nonce, without NUL */
#define SIGN_DATE_LEN 32  /* buffer for a formatted date */

/* A name and a value; value NULL for a value-less query parameter. */
struct sign_kv {
	char *name;
	char *value;
};

/*
 * What is signed and sent.  The query holds decoded parameters in the
 * order added (repeated names allowed); the headers are the ones we set
 * ourselves (libcurl adds others, which are never signed).  Everything is
 * owned; use the functions below rather than touching the arrays.
 */
struct sign_req {
	char *method; /* upper case */
	char *scheme; /* "https", "http"; NULL for a path-only URL */
	char *host;   /* as in Host: "h" or "h:port" (non-default); or NULL */
	char *path;   /* wire form, at least "/" */
	struct sign_kv *query;
	size_t nquery;
	struct sign_kv *headers;
	size_t nheaders;
	char *body; /* NULL when empty */
	size_t body_len;
	/*
	 * Set by the provider describing the request, read by auth.c: 1 for
	 * an Alibaba API that takes only ACS3-HMAC-SHA256 (its SDK signs no
	 * other way), signed so whatever method the account names.
	 */
	int acs3;
	/*
	 * What a client error answer to it (4xx, neither auth nor
	 * throttling) may mean, added to the error's message; NULL: none.
	 */
	char *note;
};

/*
 * What a signer computed, for taskwatchctl sign and for a simulator that
 * explains a mismatch: the canonical request (V2: the canonical query) and
 * the string to sign.  Free with sign_debug_clear.
 */
struct sign_debug {
	char *canonical;
	char *string_to_sign;
};

/* The parts of an Authorization header (SDK-HMAC-SHA256 or ACS3). */
struct sign_auth {
	char *scheme;         /* "SDK-HMAC-SHA256", "ACS3-HMAC-SHA256" */
	char *access;         /* Access= (Huawei) or Credential= (Alibaba) */
	char *signed_headers; /* "host;x-sdk-date" */
	char *signature;      /* hex */
};

/* A new, empty request (method GET, path "/"). */
struct sign_req *sign_req_new(void);
/* Free a request, wiping header values and the body; NULL is a no-op. */
void sign_req_free(struct sign_req *req);
/*
 * Fill an empty request from method and url: "scheme://host[:port]/path?q"
 * or a path-only "/path?q".  A default port (80 for http, 443 for https) is
 * dropped from host; the query is split on '&' and percent-decoded ('+'
 * stays '+'); a fragment is ignored.  -1 with *cause (caller frees).
 */
int sign_req_parse_url(
    struct sign_req *req, const char *method, const char *url, char **cause);
/* Set the path (wire form, percent-encoded; at least "/"). */
void sign_req_set_path(struct sign_req *req, const char *path);
/*
 * Put a path-only request under a base URL "scheme://host[:port][/p]":
 * scheme and host from it, and its path (if not "/") before the
 * request's.  -1 with *cause (caller frees) if base is not such a URL.
 */
int sign_req_set_base(struct sign_req *req, const char *base, char **cause);
/* Set the host ("h" or "h:port"); NULL for none. */
void sign_req_set_host(struct sign_req *req, const char *host);
/* Append a decoded query parameter; value NULL for a value-less one. */
void sign_req_add_query(
    struct sign_req *req, const char *name, const char *value);
/* Remove every query parameter called name (exact case). */
void sign_req_del_query(struct sign_req *req, const char *name);
/* The first value of query parameter name (exact case); NULL if absent. */
const char *sign_req_query(const struct sign_req *req, const char *name);
/*
 * Set a header, replacing one of the same name (case-insensitive); the
 * name keeps the case given.
 */
void sign_req_add_header(
    struct sign_req *req, const char *name, const char *value);
/* Remove a header (case-insensitive). */
void sign_req_del_header(struct sign_req *req, const char *name);
/* A header's value (case-insensitive name); NULL if absent. */
const char *sign_req_header(const struct sign_req *req, const char *name);
/* Set the note for a client error answer (see struct sign_req). */
void sign_req_set_note(struct sign_req *req, const char *note);
/* Copy len bytes of body (NULL or 0: empty). */
void sign_req_set_body(struct sign_req *req, const void *body, size_t len);

/*
 * The canonical query: names and values encoded (keep A-Za-z0-9-_.~, else
 * %XX upper case), pairs sorted by encoded name then encoded value, joined
 * "name=value" with '&' ("name=" when value-less); "" when empty.  The
 * parameter named skip (NULL: none) is left out.  Caller frees.
 */
char *sign_req_canonical_query(const struct sign_req *req, const char *skip);
/*
 * The path with every '/'-separated segment decoded and encoded again by
 * the same rule; with trailing_slash, a '/' is appended if missing (the
 * Huawei canonical URI).  Caller frees.
 */
char *sign_req_canonical_path(const struct sign_req *req, int trailing_slash);
/* A ";"-joined list of header names lower-cased, sorted, deduplicated. */
char *sign_headers_list(const char *names);
/*
 * The canonical request shared by Huawei and ACS3: method, canonical path
 * (trailing_slash as above), canonical query, "name:trim(value)\n" for
 * each name of signed_headers (";"-joined, taken lower-case and sorted;
 * "host" from a Host header or else req->host), the sorted list, and the
 * hex SHA-256 of the body, joined by '\n'.  NULL if a listed header is
 * missing or the list is empty.  Caller frees.
 */
char *sign_req_canonical_request(
    const struct sign_req *req, const char *signed_headers, int trailing_slash);
/*
 * The URL to send: scheme://host + canonical path (no slash added) + "?" +
 * canonical query, so what is sent is what was signed.  A Signature
 * parameter (Alibaba V2) comes last.  Caller frees.
 */
char *sign_req_url(const struct sign_req *req);
/*
 * The headers as "Name: value" lines, NULL-terminated, for http_request
 * (Host is not among them unless set explicitly: libcurl sends the same
 * value).  Free with sign_lines_free, which wipes them.
 */
char **sign_req_header_lines(const struct sign_req *req);
/* Wipe and free what sign_req_header_lines returned; NULL is a no-op. */
void sign_lines_free(char **lines);

/*
 * Verifying a received request (the simulator): build a sign_req with
 * sign_req_parse_url(req, method, "/path?query" as received, &cause), add
 * every received header with sign_req_add_header (Host among them) and the
 * body with sign_req_set_body; split Authorization with sign_auth_parse;
 * then compare the *_expected signature with sign_equal.  Check the date
 * (sign_parse_date) and nonce yourself.
 */

/*
 * Huawei SDK-HMAC-SHA256 (signing.md B): set X-Sdk-Date from now_s, sign
 * every header set so far whose name has no '_', plus host (when the
 * request has one) and x-sdk-date, and set Authorization.  dbg may be NULL.
 */
int sign_huawei(struct sign_req *req, const char *ak, const char *sk,
    int64_t now_s, struct sign_debug *dbg);
/*
 * The signature (lower-case hex) a Huawei request should carry for the
 * listed signed headers (";"-joined lower-case names, as in the received
 * Authorization), the headers present in req (all that were received) and
 * the secret key sk.  "host" comes from a Host header or else req->host.
 * -1 if a listed header is missing or the list is empty.
 */
int sign_huawei_expected(const struct sign_req *req, const char *signed_headers,
    const char *sk, char sig[SIGN_HEX_LEN + 1], struct sign_debug *dbg);

/*
 * Alibaba RPC V2 (signing.md C): set the AccessKeyId, SignatureMethod,
 * SignatureVersion, SignatureNonce and Timestamp parameters (Format=JSON
 * unless a Format is present), then add Signature.  nonce must be fresh
 * for every request and retry (sign_nonce).  dbg may be NULL.
 */
int sign_alibaba_v2(struct sign_req *req, const char *akid, const char *secret,
    int64_t now_s, const char *nonce, struct sign_debug *dbg);
/*
 * The base64 signature a V2 request should carry over all its parameters
 * except Signature; *sig is allocated (caller frees).
 */
int sign_alibaba_v2_expected(const struct sign_req *req, const char *secret,
    char **sig, struct sign_debug *dbg);

/*
 * Alibaba ACS3-HMAC-SHA256 (signing.md D): move Action and Version from
 * the query into x-acs-action / x-acs-version, set x-acs-date,
 * x-acs-signature-nonce and x-acs-content-sha256, sign host, content-type
 * (if set) and every x-acs-* header, and set Authorization.  dbg may be NULL.
 */
int sign_alibaba_v3(struct sign_req *req, const char *akid, const char *secret,
    int64_t now_s, const char *nonce, struct sign_debug *dbg);
/* As sign_huawei_expected for ACS3-HMAC-SHA256. */
int sign_alibaba_v3_expected(const struct sign_req *req,
    const char *signed_headers, const char *secret, char sig[SIGN_HEX_LEN + 1],
    struct sign_debug *dbg);

/*
 * The signature both SDK-HMAC-SHA256 and ACS3-HMAC-SHA256 compute: the
 * hex HMAC-SHA256 under key of prefix followed by the hex SHA-256 of the
 * canonical request (sign_req_canonical_request).  -1 if a listed header
 * is missing.  dbg may be NULL.
 */
int sign_canonical_hmac(const struct sign_req *req, const char *signed_headers,
    int trailing_slash, const char *prefix, const char *key,
    char sig[SIGN_HEX_LEN + 1], struct sign_debug *dbg);
/* Hand canonical and sts to dbg, or free them when dbg is NULL. */
void sign_debug_keep(struct sign_debug *dbg, char *canonical, char *sts);

/*
 * Split an Authorization value "SCHEME Access=..., SignedHeaders=...,
 * Signature=..." (Huawei) or "SCHEME Credential=...,SignedHeaders=...,
 * Signature=..." (ACS3) into out.  -1 if malformed or a part is missing.
 */
int sign_auth_parse(const char *value, struct sign_auth *out);
/* Free the parts of a parsed Authorization. */
void sign_auth_clear(struct sign_auth *a);
/* Free what a signer put into dbg; the struct may be reused. */
void sign_debug_clear(struct sign_debug *dbg);

/* Lower-case hex SHA-256 of len bytes at p. */
void sign_sha256_hex(const void *p, size_t len, char out[SIGN_HEX_LEN + 1]);
/* Lower-case hex HMAC-SHA256 of len bytes at p under key. */
void sign_hmac_sha256_hex(
    const char *key, const void *p, size_t len, char out[SIGN_HEX_LEN + 1]);
/* 1 if two signature strings are equal, compared in constant time. */
int sign_equal(const char *a, const char *b);
/* 32 lower-case hex characters from RAND_bytes: a fresh nonce. */
void sign_nonce(char out[SIGN_NONCE_LEN + 1]);
/* Format unix seconds as X-Sdk-Date "YYYYMMDDTHHMMSSZ". */
void sign_format_sdk_date(int64_t secs, char out[SIGN_DATE_LEN]);
/* Format unix seconds as the Alibaba "yyyy-MM-ddTHH:mm:ssZ". */
void sign_format_acs_date(int64_t secs, char out[SIGN_DATE_LEN]);
/*
 * Parse "YYYYMMDDTHHMMSSZ" or an RFC 3339 time (with zone) into unix
 * seconds; -1 if malformed.
 */
int sign_parse_date(const char *s, int64_t *out);

#endif
