/*
 * The provider registry (one const vtable per API), the classifier that turns
 * a failed answer into an error class and a safe one-line message, and the
 * field helpers shared by the provider implementations.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "json.h"
#include "provider.h"
#include "provider_impl.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define PROVIDER_TEXT_MAX 200 /* bytes of vendor message kept */
#define PROVIDER_CODE_MAX 64  /* bytes of vendor error code kept */
#define PROVIDER_MSG_MAX 300  /* bytes of the whole message */

static int provider_stub_list_req(const struct provider_ctx *,
    const struct provider_cursor *, struct provider_req *, char **);
static int provider_stub_list_parse(const struct provider_ctx *, long,
    const char *, size_t, struct task_list *, struct provider_cursor *,
    char **);

/* Placeholders for the APIs whose providers do not exist yet. */
#define PROVIDER_STUB(var, nm, a)                       \
	static const struct provider var = {            \
		.name = nm,                             \
		.api = a,                               \
		.list_req = provider_stub_list_req,     \
		.list_parse = provider_stub_list_parse, \
	}
PROVIDER_STUB(provider_stub_dws_actions, "dws.actions", CONFIG_API_DWS_ACTIONS);
PROVIDER_STUB(
    provider_stub_dws_logical, "dws.logical_tasks", CONFIG_API_DWS_LOGICAL);
PROVIDER_STUB(
    provider_stub_gaussdb_tasks, "gaussdb.tasks", CONFIG_API_GAUSSDB_TASKS);
PROVIDER_STUB(provider_stub_ehpc_tasks, "ehpc.tasks", CONFIG_API_EHPC_TASKS);

static const struct provider *const provider_table[CONFIG_API_COUNT] = {
	[CONFIG_API_DWS_ACTIONS] = &provider_stub_dws_actions,
	[CONFIG_API_DWS_LOGICAL] = &provider_stub_dws_logical,
	[CONFIG_API_DDS_JOBS] = &provider_dds_jobs,
	[CONFIG_API_GAUSSDB_TASKS] = &provider_stub_gaussdb_tasks,
	[CONFIG_API_EHPC_TASKS] = &provider_stub_ehpc_tasks,
};

static const char *provider_errclass_names[] = {
	[PROVIDER_ERR_NETWORK] = "network",
	[PROVIDER_ERR_HTTP] = "http",
	[PROVIDER_ERR_AUTH] = "auth",
	[PROVIDER_ERR_THROTTLED] = "throttled",
	[PROVIDER_ERR_PARSE] = "parse",
};

/* Name of the API a context polls, for stub messages. */
static const char *
provider_ctx_api_name(const struct provider_ctx *ctx)
{
	if (ctx == NULL || ctx->watch == NULL ||
	    (unsigned)ctx->watch->api >= CONFIG_API_COUNT)
		return "?";
	return provider_table[ctx->watch->api]->name;
}

/* Stub listing request: the API is not implemented yet. */
static int
provider_stub_list_req(const struct provider_ctx *ctx,
    const struct provider_cursor *cursor, struct provider_req *req,
    char **cause)
{
	*cause = xasprintf(
	    "api %s is not implemented yet", provider_ctx_api_name(ctx));
	return -1;
}

/* Stub listing parser: the API is not implemented yet. */
static int
provider_stub_list_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, struct task_list *out,
    struct provider_cursor *cursor, char **cause)
{
	*cause = xasprintf(
	    "api %s is not implemented yet", provider_ctx_api_name(ctx));
	return -1;
}

/* The provider for an API; never NULL for a valid enum value. */
const struct provider *
provider_find(enum config_api api)
{
	if ((unsigned)api >= CONFIG_API_COUNT)
		return NULL;
	return provider_table[api];
}

/* Free a request description's owned parts; it may be reused afterwards. */
void
provider_req_clear(struct provider_req *req)
{
	free(req->path_query);
	memset(req, 0, sizeof(*req));
}

/* "network", "http", "auth", "throttled", "parse". */
const char *
provider_errclass_name(enum provider_errclass c)
{
	if ((unsigned)c >= sizeof(provider_errclass_names) /
		sizeof(provider_errclass_names[0]))
		return "unknown";
	return provider_errclass_names[c];
}

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes available), 0 if
 * the bytes there are not one; *cp gets the code point.
 */
static size_t
provider_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
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
provider_sanitize(struct buf *b, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, added = 0;
	uint32_t cp;

	while (i < len) {
		n = provider_utf8_seq(p + i, len - i, &cp);
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
provider_code_value(const struct json *v)
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
provider_error_parse(const char *body, size_t len, char **code, char **text)
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
		if ((*code = provider_code_value(
			 json_get(root, "error_code"))) == NULL &&
		    (*code = provider_code_value(json_get(err, "code"))) ==
			NULL)
			*code = provider_code_value(json_get(root, "Code"));
		if ((*text = provider_str(root, "error_msg", 0)) == NULL &&
		    (*text = provider_str(err, "message", 0)) == NULL)
			*text = provider_str(root, "Message", 0);
	}
	json_free(root);
	if (*code == NULL && *text == NULL)
		*text = xstrndup(
		    body, len > PROVIDER_TEXT_MAX ? PROVIDER_TEXT_MAX : len);
}

/* The error code of an error body (Huawei or Alibaba shape), or NULL. */
char *
provider_error_code(const char *body, size_t len)
{
	char *code, *text;

	provider_error_parse(body, len, &code, &text);
	free(text);
	return code;
}

/* Whether code is one of the vendor codes meaning bad credentials. */
static int
provider_code_auth(const char *code)
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
provider_code_throttled(const char *code)
{
	return strcasecmp(code, "APIG.0308") == 0 ||
	    strncasecmp(code, "Throttling", 10) == 0;
}

/* Whether c is blank for trimming. */
static int
provider_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Classify a non-2xx answer from its status and body; *msg gets a capped,
 * single-line "HTTP 500 DBS.200001: text".  The vendor code decides before
 * the status, so Alibaba's HTTP 400 Throttling.User is throttled.
 */
enum provider_errclass
provider_classify(long status, const char *body, size_t len, char **msg)
{
	enum provider_errclass c;
	struct buf b;
	char *code, *text, *s;
	size_t tlen;

	provider_error_parse(body, len, &code, &text);
	if (code != NULL && provider_code_auth(code))
		c = PROVIDER_ERR_AUTH;
	else if (code != NULL && provider_code_throttled(code))
		c = PROVIDER_ERR_THROTTLED;
	else if (status == 401 || status == 403 || status == 407)
		c = PROVIDER_ERR_AUTH;
	else if (status == 429)
		c = PROVIDER_ERR_THROTTLED;
	else
		c = PROVIDER_ERR_HTTP;

	if (msg != NULL) {
		buf_init(&b, PROVIDER_MSG_MAX);
		buf_printf(&b, "HTTP %ld", status);
		if (code != NULL) {
			buf_putc(&b, ' ');
			provider_sanitize(
			    &b, code, strlen(code), PROVIDER_CODE_MAX);
		}
		if (text != NULL) {
			s = text;
			while (provider_blank(*s))
				s++;
			tlen = strlen(s);
			while (tlen > 0 && provider_blank(s[tlen - 1]))
				tlen--;
			if (tlen > 0) {
				buf_puts(&b, ": ");
				provider_sanitize(
				    &b, s, tlen, PROVIDER_TEXT_MAX);
			}
		}
		/* The parts are capped, so the whole fits PROVIDER_MSG_MAX. */
		*msg = buf_release(&b);
	}
	free(code);
	free(text);
	return c;
}

/* A copy of a string member, or NULL if absent, not a string (or empty). */
char *
provider_str(const struct json *obj, const char *key, int empty_ok)
{
	const char *s;

	s = json_get_str(obj, key);
	if (s == NULL || (!empty_ok && *s == '\0'))
		return NULL;
	return xstrdup(s);
}

/*
 * A progress value: "60%", "60", "60.5%" or a JSON number, clamped to
 * 0..100; TASK_PROGRESS_NONE for null, "", absent or garbage.
 */
int
provider_progress(const struct json *v)
{
	const char *s;
	double d;
	int neg = 0, n = 0, digits = 0;

	if (json_type(v) == JSON_NUMBER) {
		if (json_double(v, &d) == -1 || d != d)
			return TASK_PROGRESS_NONE;
		if (d <= 0)
			return 0;
		if (d >= 100)
			return 100;
		return (int)d;
	}
	if ((s = json_str(v)) == NULL)
		return TASK_PROGRESS_NONE;
	while (provider_blank(*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (n <= 100)
			n = n * 10 + (*s - '0');
	}
	if (digits == 0)
		return TASK_PROGRESS_NONE;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return TASK_PROGRESS_NONE;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	while (provider_blank(*s))
		s++;
	if (*s == '%')
		s++;
	while (provider_blank(*s))
		s++;
	if (*s != '\0')
		return TASK_PROGRESS_NONE;
	if (neg)
		return 0;
	return n > 100 ? 100 : n;
}

/* A timestamp string via util_parse_time; TASK_TIME_NONE if unusable. */
int64_t
provider_time(const struct json *v, int default_offset_s)
{
	const char *s;
	int64_t t;

	if ((s = json_str(v)) == NULL || *s == '\0')
		return TASK_TIME_NONE;
	if (util_parse_time(s, default_offset_s, &t) == -1)
		return TASK_TIME_NONE;
	return t;
}

/*
 * The members of obj whose keys are not in mapped (NULL-terminated), as
 * compact JSON object text; NULL when there are none.
 */
char *
provider_detail(const struct json *obj, const char *const *mapped)
{
	struct json_writer *w = NULL;
	const char *key;
	char *out;
	size_t i, j, n;

	n = json_len(obj);
	if (json_type(obj) != JSON_OBJECT)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((key = json_key_at(obj, i)) == NULL)
			continue;
		for (j = 0; mapped[j] != NULL; j++) {
			if (strcmp(key, mapped[j]) == 0)
				break;
		}
		if (mapped[j] != NULL)
			continue;
		if (w == NULL) {
			w = json_writer_new();
			json_w_obj_open(w);
		}
		json_w_key(w, key);
		json_w_value(w, json_at(obj, i));
	}
	if (w == NULL)
		return NULL;
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}
