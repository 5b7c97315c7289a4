/*
 * The request description every signer works on: URL parsing, query and
 * header editing, and the canonical encodings (query, path) that are both
 * signed and sent.  Also the small crypto and date helpers the signers
 * share, and the nonce, the one impure function.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "buf.h"
#include "log.h"
#include "sign.h"
#include "util.h"
#include "xmalloc.h"

/*
 * A query pair for sorting: raw (decoded) text, as the vendors' SDK
 * signers sort it, and the encoded text that is written.
 */
struct sign_pair {
	const char *raw_name;
	const char *raw_value;
	char *name;
	char *value;
};

/* A new, empty request (method GET, path "/"). */
struct sign_req *
sign_req_new(void)
{
	struct sign_req *req = xcalloc(1, sizeof(*req));

	req->method = xstrdup("GET");
	req->path = xstrdup("/");
	return req;
}

/* Free a request, wiping header values and the body; NULL is a no-op. */
void
sign_req_free(struct sign_req *req)
{
	size_t i;

	if (req == NULL)
		return;
	free(req->method);
	free(req->scheme);
	free(req->host);
	free(req->path);
	for (i = 0; i < req->nquery; i++) {
		free(req->query[i].name);
		xfreesecret(req->query[i].value);
	}
	free(req->query);
	for (i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		xfreesecret(req->headers[i].value);
	}
	free(req->headers);
	xfreezero(req->body, req->body_len);
	free(req->note);
	free(req);
}

/* Split the query string q (len bytes) into decoded parameters. */
static void
sign_req_parse_query(struct sign_req *req, const char *q, size_t len)
{
	const char *p = q, *end = q + len, *amp, *eq;
	char *name, *value;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp > p) {
			eq = memchr(p, '=', (size_t)(amp - p));
			if (eq == NULL) {
				name = util_urldecode(p, (size_t)(amp - p), 0);
				value = NULL;
			} else {
				name = util_urldecode(p, (size_t)(eq - p), 0);
				value = util_urldecode(
				    eq + 1, (size_t)(amp - eq - 1), 0);
			}
			sign_req_add_query(req, name, value);
			free(name);
			xfreesecret(value);
		}
		p = amp + 1;
	}
}

/*
 * The length of the host in the authority auth .. auth_end as the Host
 * header has it: the scheme's default port, or an empty one, dropped.
 */
static size_t
sign_req_host_len(const char *scheme, const char *auth, const char *auth_end)
{
	const char *port, *rb;

	/* A port after the host (or after "]" of an IPv6 literal). */
	rb = memchr(auth, ']', (size_t)(auth_end - auth));
	port = memchr(rb != NULL ? rb : auth, ':',
	    (size_t)(auth_end - (rb != NULL ? rb : auth)));
	if (port == NULL)
		return (size_t)(auth_end - auth);
	if ((strcmp(scheme, "https") == 0 && (size_t)(auth_end - port) == 4 &&
		strncmp(port, ":443", 4) == 0) ||
	    (strcmp(scheme, "http") == 0 && (size_t)(auth_end - port) == 3 &&
		strncmp(port, ":80", 3) == 0))
		return (size_t)(port - auth);
	if (port + 1 == auth_end)
		return (size_t)(port - auth); /* "host:" */
	if (port == auth)
		return 0; /* "https://:8080/x" */
	return (size_t)(auth_end - auth);
}

/*
 * The scheme and host of an absolute url into req; where its path starts
 * in *path.  -1 with *cause.
 */
static int
sign_req_parse_origin(
    struct sign_req *req, const char *url, const char **path, char **cause)
{
	const char *p, *auth, *auth_end;
	size_t n;

	if ((p = strstr(url, "://")) == NULL) {
		*cause = xasprintf("%s: not a URL", url);
		return -1;
	}
	free(req->scheme);
	req->scheme = xstrndup(url, (size_t)(p - url));
	for (n = 0; req->scheme[n] != '\0'; n++)
		req->scheme[n] = (char)tolower((unsigned char)req->scheme[n]);
	if (strcmp(req->scheme, "http") != 0 &&
	    strcmp(req->scheme, "https") != 0) {
		*cause =
		    xasprintf("%s: scheme must be http or https", req->scheme);
		return -1;
	}
	auth = p + 3;
	auth_end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(auth_end - auth)) != NULL) {
		*cause = xstrdup("user information in a URL is not supported");
		return -1;
	}
	if ((n = sign_req_host_len(req->scheme, auth, auth_end)) == 0) {
		*cause = xstrdup("URL has no host");
		return -1;
	}
	free(req->host);
	req->host = xstrndup(auth, n);
	*path = auth_end;
	return 0;
}

/*
 * Fill an empty request from method and url; the default port is dropped
 * from the host.  -1 with *cause.
 */
int
sign_req_parse_url(
    struct sign_req *req, const char *method, const char *url, char **cause)
{
	const char *path, *q, *frag;
	size_t n;

	*cause = NULL;
	if (method == NULL || *method == '\0') {
		*cause = xstrdup("no method");
		return -1;
	}
	free(req->method);
	req->method = xstrdup(method);
	for (n = 0; req->method[n] != '\0'; n++)
		req->method[n] = (char)toupper((unsigned char)req->method[n]);
	frag = url + strcspn(url, "#");
	if (*url == '/')
		path = url;
	else if (sign_req_parse_origin(req, url, &path, cause) == -1)
		return -1;
	q = path + strcspn(path, "?#");
	free(req->path);
	if (q == path)
		req->path = xstrdup("/");
	else if (*path != '/')
		req->path = xasprintf("/%.*s", (int)(q - path), path);
	else
		req->path = xstrndup(path, (size_t)(q - path));
	if (*q == '?')
		sign_req_parse_query(req, q + 1, (size_t)(frag - q - 1));
	return 0;
}

/* Set the path (wire form, percent-encoded; at least "/"). */
void
sign_req_set_path(struct sign_req *req, const char *path)
{
	free(req->path);
	req->path = xstrdup(path != NULL && *path != '\0' ? path : "/");
}

/*
 * Put a path-only request under a base URL: scheme and host from it, and
 * its path (if not "/") before the request's, without a doubled slash.
 */
int
sign_req_set_base(struct sign_req *req, const char *base, char **cause)
{
	struct sign_req *b = sign_req_new();
	size_t n;
	char *path;

	if (base == NULL) {
		*cause = xstrdup("no endpoint");
		sign_req_free(b);
		return -1;
	}
	if (sign_req_parse_url(b, "GET", base, cause) == -1) {
		sign_req_free(b);
		return -1;
	}
	if (b->scheme == NULL || b->nquery > 0) {
		*cause = xasprintf("%s: not a base URL", base);
		sign_req_free(b);
		return -1;
	}
	free(req->scheme);
	req->scheme = b->scheme;
	b->scheme = NULL;
	free(req->host);
	req->host = b->host;
	b->host = NULL;
	n = strlen(b->path);
	while (n > 0 && b->path[n - 1] == '/')
		n--;
	if (n > 0) {
		path = xasprintf("%.*s%s", (int)n, b->path, req->path);
		free(req->path);
		req->path = path;
	}
	sign_req_free(b);
	return 0;
}

/* Set the host ("h" or "h:port"); NULL for none. */
void
sign_req_set_host(struct sign_req *req, const char *host)
{
	free(req->host);
	req->host = xstrdup(host);
}

/* Append a decoded query parameter; value NULL for a value-less one. */
void
sign_req_add_query(struct sign_req *req, const char *name, const char *value)
{
	req->query =
	    xreallocarray(req->query, req->nquery + 1, sizeof(*req->query));
	req->query[req->nquery].name = xstrdup(name);
	req->query[req->nquery].value = xstrdup(value);
	req->nquery++;
}

/* Remove every query parameter called name (exact case). */
void
sign_req_del_query(struct sign_req *req, const char *name)
{
	size_t i, j = 0;

	for (i = 0; i < req->nquery; i++) {
		if (strcmp(req->query[i].name, name) == 0) {
			free(req->query[i].name);
			xfreesecret(req->query[i].value);
			continue;
		}
		req->query[j++] = req->query[i];
	}
	req->nquery = j;
}

/* The first value of query parameter name (exact case); NULL if absent. */
const char *
sign_req_query(const struct sign_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nquery; i++) {
		if (strcmp(req->query[i].name, name) == 0)
			return req->query[i].value;
	}
	return NULL;
}

/* Index of header name (case-insensitive), or -1. */
static ssize_t
sign_req_find_header(const struct sign_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* Set a header, replacing one of the same name (case-insensitive). */
void
sign_req_add_header(struct sign_req *req, const char *name, const char *value)
{
	ssize_t i;

	if ((i = sign_req_find_header(req, name)) != -1) {
		xfreesecret(req->headers[i].value);
		req->headers[i].value = xstrdup(value ? value : "");
		return;
	}
	req->headers = xreallocarray(
	    req->headers, req->nheaders + 1, sizeof(*req->headers));
	req->headers[req->nheaders].name = xstrdup(name);
	req->headers[req->nheaders].value = xstrdup(value ? value : "");
	req->nheaders++;
}

/* Remove a header (case-insensitive). */
void
sign_req_del_header(struct sign_req *req, const char *name)
{
	ssize_t i;

	if ((i = sign_req_find_header(req, name)) == -1)
		return;
	free(req->headers[i].name);
	xfreesecret(req->headers[i].value);
	memmove(&req->headers[i], &req->headers[i + 1],
	    (req->nheaders - (size_t)i - 1) * sizeof(*req->headers));
	req->nheaders--;
}

/* A header's value (case-insensitive name); NULL if absent. */
const char *
sign_req_header(const struct sign_req *req, const char *name)
{
	ssize_t i;

	if ((i = sign_req_find_header(req, name)) == -1)
		return NULL;
	return req->headers[i].value;
}

/* Set the note for a client error answer (NULL: none). */
void
sign_req_set_note(struct sign_req *req, const char *note)
{
	free(req->note);
	req->note = note != NULL ? xstrdup(note) : NULL;
}

/* Copy len bytes of body (NULL or 0: empty). */
void
sign_req_set_body(struct sign_req *req, const void *body, size_t len)
{
	xfreezero(req->body, req->body_len);
	req->body = NULL;
	req->body_len = 0;
	if (body == NULL || len == 0)
		return;
	req->body = xmalloc(len);
	memcpy(req->body, body, len);
	req->body_len = len;
}

/* Percent-encode s by the shared rule into a new string. */
static char *
sign_encode(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	util_urlencode(&b, s ? s : "");
	return buf_release(&b);
}

/*
 * qsort order of pairs: by raw name, then by raw value, byte by byte (the
 * code point order of UTF-8), as huaweicloud-sdk-core, pop-core and
 * openapi-util sort before they encode.  Encoded text sorts otherwise
 * where an encoded byte meets a plain one: raw "0" < ":", encoded
 * "%3A" < "0".
 */
static int
sign_pair_cmp(const void *a, const void *b)
{
	const struct sign_pair *pa = a, *pb = b;
	int c;

	if ((c = strcmp(pa->raw_name, pb->raw_name)) != 0)
		return c;
	return strcmp(pa->raw_value, pb->raw_value);
}

/* The canonical query without the parameter skip; caller frees. */
char *
sign_req_canonical_query(const struct sign_req *req, const char *skip)
{
	struct sign_pair *pairs;
	struct buf b;
	size_t i, n = 0;

	pairs = xcalloc(req->nquery ? req->nquery : 1, sizeof(*pairs));
	for (i = 0; i < req->nquery; i++) {
		if (skip != NULL && strcmp(req->query[i].name, skip) == 0)
			continue;
		pairs[n].raw_name =
		    req->query[i].name != NULL ? req->query[i].name : "";
		pairs[n].raw_value =
		    req->query[i].value != NULL ? req->query[i].value : "";
		pairs[n].name = sign_encode(req->query[i].name);
		pairs[n].value = sign_encode(req->query[i].value);
		n++;
	}
	qsort(pairs, n, sizeof(*pairs), sign_pair_cmp);
	buf_init(&b, 0);
	buf_puts(&b, "");
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s%s=%s", i > 0 ? "&" : "", pairs[i].name,
		    pairs[i].value);
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
	return buf_release(&b);
}

/* The path, each segment re-encoded; '/' appended when asked. */
char *
sign_req_canonical_path(const struct sign_req *req, int trailing_slash)
{
	const char *p = req->path, *slash;
	char *seg;
	struct buf b;

	buf_init(&b, 0);
	if (*p == '/')
		p++;
	buf_putc(&b, '/');
	while (*p != '\0') {
		slash = strchr(p, '/');
		if (slash == NULL)
			slash = p + strlen(p);
		seg = util_urldecode(p, (size_t)(slash - p), 0);
		util_urlencode(&b, seg);
		free(seg);
		if (*slash == '\0')
			break;
		buf_putc(&b, '/');
		p = slash + 1;
	}
	if (trailing_slash && b.data[b.len - 1] != '/')
		buf_putc(&b, '/');
	return buf_release(&b);
}

/* qsort order of strings. */
static int
sign_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lower-case names of a ";"-joined list, sorted, without repeats. */
static char **
sign_split_names(const char *list, size_t *np)
{
	char **v = NULL, *name;
	const char *p = list, *end;
	size_t n = 0, i, j;

	while (*p != '\0') {
		end = p + strcspn(p, ";");
		if (end > p) {
			name = xstrndup(p, (size_t)(end - p));
			for (i = 0; name[i] != '\0'; i++)
				name[i] = (char)tolower((unsigned char)name[i]);
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = name;
		}
		p = *end == ';' ? end + 1 : end;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), sign_str_cmp);
	for (i = j = 0; i < n; i++) {
		if (j > 0 && strcmp(v[j - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[j++] = v[i];
	}
	*np = j;
	return v;
}

/* A ";"-joined list of header names lower-cased, sorted, deduplicated. */
char *
sign_headers_list(const char *names)
{
	char **v;
	struct buf b;
	size_t i, n;

	v = sign_split_names(names ? names : "", &n);
	buf_init(&b, 0);
	buf_puts(&b, "");
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i > 0 ? ";" : "", v[i]);
		free(v[i]);
	}
	free(v);
	return buf_release(&b);
}

/* Append value to b without leading and trailing blanks. */
static void
sign_put_trimmed(struct buf *b, const char *value)
{
	size_t len;

	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	buf_add(b, value, len);
}

/* The canonical request over the listed headers; NULL if one is missing. */
char *
sign_req_canonical_request(
    const struct sign_req *req, const char *signed_headers, int trailing_slash)
{
	char **names, *path, *query, hash[SIGN_HEX_LEN + 1];
	const char *value;
	struct buf b;
	size_t i, n;
	int bad = 0;

	names = sign_split_names(signed_headers ? signed_headers : "", &n);
	buf_init(&b, 0);
	path = sign_req_canonical_path(req, trailing_slash);
	query = sign_req_canonical_query(req, NULL);
	buf_printf(&b, "%s\n%s\n%s\n", req->method, path, query);
	free(path);
	free(query);
	for (i = 0; i < n; i++) {
		value = sign_req_header(req, names[i]);
		if (value == NULL && strcmp(names[i], "host") == 0)
			value = req->host;
		if (value == NULL) {
			bad = 1;
			continue;
		}
		buf_printf(&b, "%s:", names[i]);
		sign_put_trimmed(&b, value);
		buf_putc(&b, '\n');
	}
	buf_putc(&b, '\n');
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i > 0 ? ";" : "", names[i]);
		free(names[i]);
	}
	free(names);
	sign_sha256_hex(req->body, req->body_len, hash);
	buf_printf(&b, "\n%s", hash);
	if (bad || n == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_release(&b);
}

/* The URL to send, from the same encoding that is signed; caller frees. */
char *
sign_req_url(const struct sign_req *req)
{
	char *path, *query, *sig, *url;
	const char *sigv;

	path = sign_req_canonical_path(req, 0);
	query = sign_req_canonical_query(req, "Signature");
	sigv = sign_req_query(req, "Signature");
	sig = sigv != NULL ? sign_encode(sigv) : NULL;
	url = xasprintf("%s%s%s%s%s%s%s%s", req->scheme ? req->scheme : "",
	    req->scheme ? "://" : "", req->host && req->scheme ? req->host : "",
	    path, *query != '\0' || sig != NULL ? "?" : "", query,
	    sig != NULL ? (*query != '\0' ? "&Signature=" : "Signature=") : "",
	    sig != NULL ? sig : "");
	free(path);
	free(query);
	free(sig);
	return url;
}

/* The headers as "Name: value" lines, NULL-terminated. */
char **
sign_req_header_lines(const struct sign_req *req)
{
	char **lines;
	size_t i;

	lines = xcalloc(req->nheaders + 1, sizeof(*lines));
	for (i = 0; i < req->nheaders; i++)
		lines[i] = xasprintf(
		    "%s: %s", req->headers[i].name, req->headers[i].value);
	return lines;
}

/* Wipe and free what sign_req_header_lines returned; NULL is a no-op. */
void
sign_lines_free(char **lines)
{
	size_t i;

	if (lines == NULL)
		return;
	for (i = 0; lines[i] != NULL; i++)
		xfreesecret(lines[i]);
	free(lines);
}

/* Copy the value of "Key=value" up to a ',' (spaces trimmed). */
static char *
sign_auth_value(const char *s, const char *key)
{
	const char *p = s, *v, *end;
	size_t klen = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		/* Whole word: at the start or after ' ' or ','. */
		if ((p == s || p[-1] == ' ' || p[-1] == ',') &&
		    p[klen] == '=') {
			v = p + klen + 1;
			end = v + strcspn(v, ", ");
			if (end == v)
				return NULL;
			return xstrndup(v, (size_t)(end - v));
		}
		p += klen;
	}
	return NULL;
}

/* Split an Authorization value into its parts; -1 if malformed. */
int
sign_auth_parse(const char *value, struct sign_auth *out)
{
	const char *sp;

	memset(out, 0, sizeof(*out));
	if (value == NULL)
		return -1;
	while (*value == ' ')
		value++;
	if ((sp = strchr(value, ' ')) == NULL || sp == value)
		return -1;
	out->scheme = xstrndup(value, (size_t)(sp - value));
	if ((out->access = sign_auth_value(sp, "Access")) == NULL)
		out->access = sign_auth_value(sp, "Credential");
	out->signed_headers = sign_auth_value(sp, "SignedHeaders");
	out->signature = sign_auth_value(sp, "Signature");
	if (out->access == NULL || out->signed_headers == NULL ||
	    out->signature == NULL) {
		sign_auth_clear(out);
		return -1;
	}
	return 0;
}

/* Free the parts of a parsed Authorization. */
void
sign_auth_clear(struct sign_auth *a)
{
	free(a->scheme);
	free(a->access);
	free(a->signed_headers);
	free(a->signature);
	memset(a, 0, sizeof(*a));
}

/* Free what a signer put into dbg; the struct may be reused. */
void
sign_debug_clear(struct sign_debug *dbg)
{
	if (dbg == NULL)
		return;
	free(dbg->canonical);
	free(dbg->string_to_sign);
	dbg->canonical = NULL;
	dbg->string_to_sign = NULL;
}

/* Hand canonical and sts to dbg, or free them when dbg is NULL. */
void
sign_debug_keep(struct sign_debug *dbg, char *canonical, char *sts)
{
	if (dbg == NULL) {
		free(canonical);
		free(sts);
		return;
	}
	sign_debug_clear(dbg);
	dbg->canonical = canonical;
	dbg->string_to_sign = sts;
}

/* Hex HMAC-SHA256 of prefix and the canonical request's hash (sign.h). */
int
sign_canonical_hmac(const struct sign_req *req, const char *signed_headers,
    int trailing_slash, const char *prefix, const char *key,
    char sig[SIGN_HEX_LEN + 1], struct sign_debug *dbg)
{
	char *canonical, *sts, hash[SIGN_HEX_LEN + 1];

	sig[0] = '\0';
	canonical =
	    sign_req_canonical_request(req, signed_headers, trailing_slash);
	if (canonical == NULL)
		return -1;
	sign_sha256_hex(canonical, strlen(canonical), hash);
	sts = xasprintf("%s%s", prefix, hash);
	sign_hmac_sha256_hex(key, sts, strlen(sts), sig);
	sign_debug_keep(dbg, canonical, sts);
	return 0;
}

/* Lower-case hex of len bytes at p into out (2 * len + 1 bytes). */
static void
sign_hex(const unsigned char *p, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Lower-case hex SHA-256 of len bytes at p. */
void
sign_sha256_hex(const void *p, size_t len, char out[SIGN_HEX_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p != NULL ? p : (const void *)"", len, md);
	sign_hex(md, sizeof(md), out);
}

/* Lower-case hex HMAC-SHA256 of len bytes at p under key. */
void
sign_hmac_sha256_hex(
    const char *key, const void *p, size_t len, char out[SIGN_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key),
	    p != NULL ? p : (const void *)"", len, md, &mdlen);
	sign_hex(md, mdlen, out);
	OPENSSL_cleanse(md, sizeof(md));
}

/* 1 if two signature strings are equal, compared in constant time. */
int
sign_equal(const char *a, const char *b)
{
	size_t n;

	if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b))
		return 0;
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* 32 lower-case hex characters from RAND_bytes: a fresh nonce. */
void
sign_nonce(char out[SIGN_NONCE_LEN + 1])
{
	unsigned char r[SIGN_NONCE_LEN / 2];

	if (RAND_bytes(r, sizeof(r)) != 1)
		fatalx("RAND_bytes failed");
	sign_hex(r, sizeof(r), out);
}

/* Format unix seconds as X-Sdk-Date "YYYYMMDDTHHMMSSZ". */
void
sign_format_sdk_date(int64_t secs, char out[SIGN_DATE_LEN])
{
	struct tm tm;

	util_gmtime(secs, &tm);
	strftime(out, SIGN_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm);
}

/* Format unix seconds as the Alibaba "yyyy-MM-ddTHH:mm:ssZ" (RFC 3339). */
void
sign_format_acs_date(int64_t secs, char out[SIGN_DATE_LEN])
{
	_Static_assert(SIGN_DATE_LEN >= UTIL_RFC3339_LEN, "date buffer");
	util_format_rfc3339(secs, out);
}

/* Parse "YYYYMMDDTHHMMSSZ" or an RFC 3339 time; -1 if malformed. */
int
sign_parse_date(const char *s, int64_t *out)
{
	struct tm tm;
	int v[6], w[6] = { 4, 2, 2, 2, 2, 2 };
	const char *p = s;
	size_t i, j;
	time_t t;

	if (s == NULL)
		return -1;
	if (strlen(s) == 16 && s[8] == 'T' && s[15] == 'Z') {
		for (i = 0; i < 6; i++) {
			if (i == 3)
				p++; /* the 'T' */
			v[i] = 0;
			for (j = 0; j < (size_t)w[i]; j++, p++) {
				if (!isdigit((unsigned char)*p))
					return -1;
				v[i] = v[i] * 10 + (*p - '0');
			}
		}
		if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
		    v[3] > 23 || v[4] > 59 || v[5] > 60)
			return -1;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = v[0] - 1900;
		tm.tm_mon = v[1] - 1;
		tm.tm_mday = v[2];
		tm.tm_hour = v[3];
		tm.tm_min = v[4];
		tm.tm_sec = v[5];
		if ((t = timegm(&tm)) == (time_t)-1)
			return -1;
		*out = (int64_t)t;
		return 0;
	}
	return util_parse_time(s, 0, out);
}
