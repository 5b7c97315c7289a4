/*
 * The clouds' error answers: a failed answer is read once into an error
 * class (what the daemon does about it), the vendor's code and a safe
 * one-line message; transfers without an answer and HTML pages from a
 * proxy get a class and a message too.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apierr.h"
#include "buf.h"
#include "config.h"
#include "json.h"
#include "util.h"
#include "xmalloc.h"

#define APIERR_TEXT_MAX 200 /* bytes of vendor message kept */
#define APIERR_CODE_MAX 64  /* bytes of vendor error code kept */
#define APIERR_MSG_MAX 300  /* bytes of the whole message */

static const char *apierr_class_names[] = {
	[APIERR_NETWORK] = "network",
	[APIERR_HTTP] = "http",
	[APIERR_AUTH] = "auth",
	[APIERR_THROTTLED] = "throttled",
	[APIERR_PARSE] = "parse",
	[APIERR_CONFIG] = "config",
};

/* Whether c is blank for trimming. */
static int
apierr_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A copy of a non-empty string member, or NULL. */
static char *
apierr_text(const struct json *obj, const char *key)
{
	const char *s = json_get_str(obj, key);

	return util_empty(s) ? NULL : xstrdup(s);
}

/* An HTML answer as an error (see apierr.h); -1 if it is not HTML. */
int
apierr_html(
    long status, const char *content_type, enum apierr_class *class, char **msg)
{
	char *ignored = NULL;

	if (content_type == NULL)
		return -1;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	if (strncasecmp(content_type, "text/html", 9) != 0 ||
	    (content_type[9] != '\0' && content_type[9] != ';' &&
		content_type[9] != ' '))
		return -1;
	if (status >= 200 && status < 300)
		*class = APIERR_PARSE;
	else {
		/* The class of the status alone: the body is a page. */
		*class = apierr_classify(status, "", 0, &ignored);
		free(ignored);
	}
	*msg = xasprintf("HTTP %ld: got text/html \u2014 a proxy or login "
			 "page?",
	    status);
	return 0;
}

/* "network", "http", "auth", "throttled", "parse". */
const char *
apierr_class_name(enum apierr_class c)
{
	if ((unsigned)c >=
	    sizeof(apierr_class_names) / sizeof(apierr_class_names[0]))
		return "unknown";
	return apierr_class_names[c];
}

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes available), 0 if
 * the bytes there are not one; *cp gets the code point.
 */
static size_t
apierr_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Append s (len bytes) to b made safe for one log line: control characters
 * (C0, DEL, C1, line and paragraph separators) become spaces, invalid UTF-8
 * bytes become '?', and at most max bytes are added, never half a character.
 */
static void
apierr_sanitize(struct buf *b, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, added = 0;
	uint32_t cp;

	while (i < len) {
		n = apierr_utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			if (added + 1 > max)
				break;
			buf_putc(b, '?');
			added++;
			i++;
			continue;
		}
		if (added + n > max)
			break;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029) {
			buf_putc(b, ' ');
			added++;
		} else {
			buf_add(b, p + i, n);
			added += n;
		}
		i += n;
	}
}

/* A string or integer member as a new string; NULL otherwise. */
static char *
apierr_code_value(const struct json *v)
{
	int64_t n;

	if (json_type(v) == JSON_STRING)
		return util_empty(json_str(v)) ? NULL : xstrdup(json_str(v));
	if (json_type(v) == JSON_NUMBER && json_int(v, 0, &n) == 0)
		return xasprintf("%" PRId64, n);
	return NULL;
}

/*
 * Pull the code and text out of an error body: Huawei error_code/error_msg
 * first, then {"error":{"code","message"}}, then Alibaba Code/Message.  A
 * body that is not JSON, or JSON without any of these, is returned as text.
 */
static void
apierr_split(const char *body, size_t len, char **code, char **text)
{
	struct json *root = NULL;
	const struct json *err;
	size_t i;

	*code = NULL;
	*text = NULL;
	if (body == NULL || len == 0)
		return;
	for (i = 0; i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			break;
	}
	if (i < len && (body[i] == '{' || body[i] == '['))
		root = json_parse(body, len, NULL);
	if (json_type(root) == JSON_OBJECT) {
		err = json_get(root, "error");
		if ((*code = apierr_code_value(json_get(root, "error_code"))) ==
			NULL &&
		    (*code = apierr_code_value(json_get(err, "code"))) == NULL)
			*code = apierr_code_value(json_get(root, "Code"));
		if ((*text = apierr_text(root, "error_msg")) == NULL &&
		    (*text = apierr_text(err, "message")) == NULL)
			*text = apierr_text(root, "Message");
	}
	json_free(root);
	if (*code == NULL && *text == NULL)
		*text = xstrndup(
		    body, len > APIERR_TEXT_MAX ? APIERR_TEXT_MAX : len);
}

/* The error code of an error body (Huawei or Alibaba shape), or NULL. */
char *
apierr_code(const char *body, size_t len)
{
	char *code, *text;

	apierr_split(body, len, &code, &text);
	free(text);
	return code;
}

/* Whether code is one of the vendor codes meaning bad credentials. */
static int
apierr_code_auth(const char *code)
{
	static const char *const exact[] = {
		"APIG.0301",
		"SignatureDoesNotMatch",
		"IncompleteSignature",
		"NotAuthorized",
		"EntityNotExist.Role",
		"InvalidTimeStamp.Expired",
	};
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		if (strcasecmp(code, exact[i]) == 0)
			return 1;
	}
	return strncasecmp(code, "InvalidAccessKeyId", 18) == 0;
}

/* Whether code is one of the vendor codes meaning "slow down". */
static int
apierr_code_throttled(const char *code)
{
	return strcasecmp(code, "APIG.0308") == 0 ||
	    strncasecmp(code, "Throttling", 10) == 0;
}

/* Classify a transfer without a usable answer (see apierr.h). */
enum apierr_class
apierr_transfer(int too_big, int unresolved, const struct config_account *acct,
    const char *service, const char *errmsg, char **msg)
{
	char *url;

	if (errmsg == NULL)
		errmsg = "transfer failed";
	if (too_big) {
		*msg = xstrdup(errmsg);
		return APIERR_PARSE;
	}
	if (!unresolved || acct == NULL || service == NULL ||
	    !config_endpoint_is_default(acct, service) ||
	    (url = config_endpoint(acct, service)) == NULL) {
		*msg = xstrdup(errmsg);
		return APIERR_NETWORK;
	}
	*msg = xasprintf("%s: the default %s endpoint %s does not resolve; is "
			 "region %s right for %s? (or set endpoints: %s:)",
	    errmsg, service, url, acct->region != NULL ? acct->region : "",
	    config_cloud_name(acct->cloud), service);
	free(url);
	return APIERR_CONFIG;
}

/*
 * Read a non-2xx answer into e (cleared first): the vendor code decides
 * before the status, so Alibaba's HTTP 400 Throttling.User is throttled;
 * e->msg is a capped, single-line "HTTP 500 DBS.200001: text".  The body
 * is parsed once.
 */
void
apierr_parse(struct apierr *e, long status, const char *body, size_t len)
{
	struct buf b;
	char *text, *s;
	size_t tlen;

	memset(e, 0, sizeof(*e));
	apierr_split(body, len, &e->code, &text);
	if (e->code != NULL && apierr_code_auth(e->code))
		e->class = APIERR_AUTH;
	else if (e->code != NULL && apierr_code_throttled(e->code))
		e->class = APIERR_THROTTLED;
	else if (e->code != NULL && strcasecmp(e->code, "DWS.0015") == 0)
		/*
		 * DWS's 403 "resource not found or no permission": most
		 * often a wrong cluster id, not a credential problem, so it
		 * must not stop the whole account.
		 */
		e->class = APIERR_HTTP;
	else if (status == 401 || status == 403 || status == 407)
		e->class = APIERR_AUTH;
	else if (status == 429)
		e->class = APIERR_THROTTLED;
	else
		e->class = APIERR_HTTP;

	buf_init(&b, APIERR_MSG_MAX);
	buf_printf(&b, "HTTP %ld", status);
	if (e->code != NULL) {
		buf_putc(&b, ' ');
		apierr_sanitize(&b, e->code, strlen(e->code), APIERR_CODE_MAX);
	}
	if (text != NULL) {
		s = text;
		while (apierr_blank(*s))
			s++;
		tlen = strlen(s);
		while (tlen > 0 && apierr_blank(s[tlen - 1]))
			tlen--;
		if (tlen > 0) {
			buf_puts(&b, ": ");
			apierr_sanitize(&b, s, tlen, APIERR_TEXT_MAX);
		}
	}
	/* The parts are capped, so the whole fits APIERR_MSG_MAX. */
	e->msg = buf_release(&b);
	free(text);
}

/* Classify a non-2xx answer; *msg (if msg) as apierr_parse's. */
enum apierr_class
apierr_classify(long status, const char *body, size_t len, char **msg)
{
	struct apierr e;
	enum apierr_class c;

	apierr_parse(&e, status, body, len);
	c = e.class;
	if (msg != NULL) {
		*msg = e.msg;
		e.msg = NULL;
	}
	apierr_clear(&e);
	return c;
}

/* Set e (cleared first) to class c and a copy of msg. */
void
apierr_set(struct apierr *e, enum apierr_class c, const char *msg)
{
	memset(e, 0, sizeof(*e));
	e->class = c;
	e->msg = xstrdup(msg);
}

/*
 * A secret could not be used here (unreadable, mode too open, no store,
 * signing failed): nothing reached the cloud, so this is a local
 * configuration error, which never pauses the account.
 */
void
apierr_set_local(struct apierr *e, enum apierr_class c, const char *msg)
{
	memset(e, 0, sizeof(*e));
	e->class = c;
	e->msg = xasprintf("local secret error, nothing sent: %s", msg);
	e->local = 1;
}

/* Free what e holds; it may be reused. */
void
apierr_clear(struct apierr *e)
{
	free(e->code);
	free(e->msg);
	memset(e, 0, sizeof(*e));
}

/*
 * Say "clock skew" when the server refused the request time: Alibaba
 * InvalidTimeStamp.Expired, Huawei "signature expired" (X-Sdk-Date more
 * than 15 minutes off).
 */
void
apierr_note_skew(char **msg)
{
	static const char *const marks[] = {
		"InvalidTimeStamp",
		"RequestTimeTooSkewed",
		"signature expired",
		"time stamp or date value is expired",
		"RequestExpired",
	};
	char *s;
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (strcasestr(*msg, marks[i]) != NULL)
			break;
	}
	if (i == sizeof(marks) / sizeof(marks[0]))
		return;
	s = xasprintf("clock skew: this host's clock is more than 15 minutes "
		      "off the server's (check NTP): %s",
	    *msg);
	free(*msg);
	*msg = s;
}
