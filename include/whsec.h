/*
 * Webhook signing keys as the Standard Webhooks convention writes them:
 * a secret holds one or more keys separated by blanks or newlines (more
 * than one while a key is rotated), each either "whsec_<base64>", whose
 * key is the decoded bytes, or any other text, used as its bytes.  A
 * delivery carries one "v1,<signature>" per key, separated by spaces.
 * Key bytes are wiped when freed and never reach a message.
 */
#ifndef WHSEC_H
#define WHSEC_H

#include <stddef.h>

#define WHSEC_PREFIX "whsec_"
#define WHSEC_MAX_KEYS 8

/* One key's bytes. */
struct whsec_key {
	unsigned char *bytes;
	size_t len;
};

/* The keys of a secret, in the order written. */
struct whsec_keys {
	struct whsec_key v[WHSEC_MAX_KEYS];
	size_t n;
};

/*
 * Split the text of a secret into keys, decoding "whsec_" ones; -1 with
 * *cause (caller frees; names the key by its position, never its text)
 * if one does not decode, decodes to nothing, or there are more than
 * WHSEC_MAX_KEYS or none.  out is emptied first.
 */
int whsec_parse(const char *text, struct whsec_keys *out, char **cause);
/* Wipe and free the keys; out is left empty. */
void whsec_clear(struct whsec_keys *keys);
/*
 * The webhook-signature value for a message: "v1,<base64 HMAC-SHA256 of
 * id.ts.body>" per key, separated by spaces; caller frees.
 */
char *whsec_sign(const struct whsec_keys *keys, const char *id, const char *ts,
    const char *body, size_t body_len);

#endif
