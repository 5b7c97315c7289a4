/*
 * Webhook signing keys (see whsec.h): parsing a secret into keys, and the
 * Standard Webhooks signature of a message under each of them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "log.h"
#include "util.h"
#include "whsec.h"
#include "xmalloc.h"

/* 1 for the blanks that separate keys. */
static int
whsec_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Add the key of len bytes at s (the nth): -1 with *cause. */
static int
whsec_add(struct whsec_keys *out, const char *s, size_t len, char **cause)
{
	struct whsec_key *k = &out->v[out->n];
	size_t plen = strlen(WHSEC_PREFIX);
	long n;

	if (len < plen || strncmp(s, WHSEC_PREFIX, plen) != 0) {
		k->bytes = xmalloc(len);
		memcpy(k->bytes, s, len);
		k->len = len;
		out->n++;
		return 0;
	}
	k->bytes = xmalloc(len);
	n = util_base64_decode(s + plen, len - plen, k->bytes);
	if (n <= 0) {
		xfreezero(k->bytes, len);
		k->bytes = NULL;
		*cause = xasprintf("key %zu: a %s key must be followed by "
				   "standard base64 of at least one byte",
		    out->n + 1, WHSEC_PREFIX);
		return -1;
	}
	k->len = (size_t)n;
	out->n++;
	return 0;
}

/* Split text into keys (see whsec.h). */
int
whsec_parse(const char *text, struct whsec_keys *out, char **cause)
{
	const char *s = text, *e;

	whsec_clear(out);
	for (;;) {
		while (*s != '\0' && whsec_blank(*s))
			s++;
		if (*s == '\0')
			break;
		for (e = s; *e != '\0' && !whsec_blank(*e); e++)
			;
		if (out->n == WHSEC_MAX_KEYS) {
			*cause = xasprintf("more than %d keys", WHSEC_MAX_KEYS);
			whsec_clear(out);
			return -1;
		}
		if (whsec_add(out, s, (size_t)(e - s), cause) == -1) {
			whsec_clear(out);
			return -1;
		}
		s = e;
	}
	if (out->n == 0) {
		*cause = xstrdup("no key (only blanks)");
		return -1;
	}
	return 0;
}

/* Wipe and free the keys. */
void
whsec_clear(struct whsec_keys *keys)
{
	size_t i;

	for (i = 0; i < keys->n; i++)
		xfreezero(keys->v[i].bytes, keys->v[i].len);
	memset(keys, 0, sizeof(*keys));
}

/* "v1,<base64 HMAC-SHA256(key, id.ts.body)>" per key (see whsec.h). */
char *
whsec_sign(const struct whsec_keys *keys, const char *id, const char *ts,
    const char *body, size_t body_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mdlen = 0;
	struct buf msg, out;
	size_t i;

	buf_init(&msg, 0);
	buf_printf(&msg, "%s.%s.", id, ts);
	buf_add(&msg, body, body_len);
	buf_init(&out, 0);
	for (i = 0; i < keys->n; i++) {
		if (HMAC(EVP_sha256(), keys->v[i].bytes, (int)keys->v[i].len,
			(const unsigned char *)msg.data, msg.len, md,
			&mdlen) == NULL)
			fatalx("%s: HMAC failed", __func__);
		EVP_EncodeBlock(b64, md, (int)mdlen);
		buf_printf(&out, "%sv1,%s", i > 0 ? " " : "", b64);
	}
	explicit_bzero(md, sizeof(md));
	buf_free(&msg);
	return buf_release(&out);
}
