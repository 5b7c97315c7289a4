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
#include "log.h"
#include "provider.h"
#include "provider_impl.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

#define PROVIDER_TEXT_MAX 200 /* bytes of vendor message kept */
#define PROVIDER_CODE_MAX 64  /* bytes of vendor error code kept */
#define PROVIDER_MSG_MAX 300  /* bytes of the whole message */

static const struct provider *const provider_table[CONFIG_API_COUNT] = {
	[CONFIG_API_DWS_ACTIONS] = &provider_dws_actions,
	[CONFIG_API_DWS_LOGICAL] = &provider_dws_logical,
	[CONFIG_API_DDS_JOBS] = &provider_dds_jobs,
	[CONFIG_API_GAUSSDB_TASKS] = &provider_gaussdb_tasks,
	[CONFIG_API_EHPC_TASKS] = &provider_ehpc_tasks,
};

static const char *provider_errclass_names[] = {
	[PROVIDER_ERR_NETWORK] = "network",
	[PROVIDER_ERR_HTTP] = "http",
	[PROVIDER_ERR_AUTH] = "auth",
	[PROVIDER_ERR_THROTTLED] = "throttled",
	[PROVIDER_ERR_PARSE] = "parse",
	[PROVIDER_ERR_CONFIG] = "config",
};

/* The provider for an API; never NULL for a valid enum value. */
const struct provider *
provider_find(enum config_api api)
{
	if ((unsigned)api >= CONFIG_API_COUNT)
		return NULL;
	return provider_table[api];
}

/* The name of scope i of a watch's listing (see provider.h). */
int
provider_scope_key(const struct provider *p, const struct config_watch *w,
    size_t i, char **key)
{
	*key = NULL;
	if (p->scope_key == NULL)
		return i == 0 ? 0 : -1;
	return p->scope_key(w, i, key);
}

/*
 * Every scope name of a watch, in listing order ("" for a project-wide
 * one); *n of them.  Free with provider_scope_keys_free.
 */
char **
provider_scope_keys(
    const struct provider *p, const struct config_watch *w, size_t *n)
{
	char **keys = NULL, *key;
	size_t i;

	for (i = 0; provider_scope_key(p, w, i, &key) == 0; i++) {
		keys = xreallocarray(keys, i + 1, sizeof(*keys));
		keys[i] = key != NULL ? key : xstrdup("");
	}
	*n = i;
	return keys;
}

/* Free what provider_scope_keys returned. */
void
provider_scope_keys_free(char **keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* scope_key of a listing with one scope per cluster of the watch. */
int
provider_cluster_scope_key(const struct config_watch *w, size_t i, char **key)
{
	if (i >= w->clusters.n)
		return -1;
	*key = xstrdup(w->clusters.v[i]);
	return 0;
}

/* An HTML answer as an error (see provider.h); -1 if it is not HTML. */
int
provider_html_answer(long status, const char *content_type,
    enum provider_errclass *class, char **msg)
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
		*class = PROVIDER_ERR_PARSE;
	else {
		/* The class of the status alone: the body is a page. */
		*class = provider_classify(status, "", 0, &ignored);
		free(ignored);
	}
	*msg = xasprintf("HTTP %ld: got text/html \u2014 a proxy or login "
			 "page?",
	    status);
	return 0;
}

/* The base type of a task type for p: the provider's, else type itself. */
const char *
provider_base_type(const struct provider *p, const char *type)
{
	const char *base;

	if (type == NULL || p->base_type == NULL ||
	    (base = p->base_type(type)) == NULL)
		return type;
	return base;
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

/* Classify a transfer without a usable answer (see provider.h). */
enum provider_errclass
provider_classify_transfer(int too_big, int unresolved,
    const struct config_account *acct, const char *service, const char *errmsg,
    char **msg)
{
	char *url;

	if (errmsg == NULL)
		errmsg = "transfer failed";
	if (too_big) {
		*msg = xstrdup(errmsg);
		return PROVIDER_ERR_PARSE;
	}
	if (!unresolved || acct == NULL || service == NULL ||
	    !config_endpoint_is_default(acct, service) ||
	    (url = config_endpoint(acct, service)) == NULL) {
		*msg = xstrdup(errmsg);
		return PROVIDER_ERR_NETWORK;
	}
	*msg = xasprintf("%s: the default %s endpoint %s does not resolve; is "
			 "region %s right for %s? (or set endpoints: %s:)",
	    errmsg, service, url, acct->region != NULL ? acct->region : "",
	    config_cloud_name(acct->cloud), service);
	free(url);
	return PROVIDER_ERR_CONFIG;
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
	else if (code != NULL && strcasecmp(code, "DWS.0015") == 0)
		/*
		 * DWS's 403 "resource not found or no permission": most
		 * often a wrong cluster id, not a credential problem, so it
		 * must not stop the whole account.
		 */
		c = PROVIDER_ERR_HTTP;
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

/* Digest obj into t; 1 if the table already holds that record. */
int
provider_unchanged(
    const struct provider_ctx *ctx, const struct json *obj, struct task *t)
{
	const char *src;
	size_t len;

	if ((src = json_source(obj, &len)) == NULL)
		return 0;
	t->digest = util_digest(src, len);
	if (ctx == NULL || ctx->known == NULL ||
	    ctx->known(ctx->known_arg, t) != 1)
		return 0;
	t->unchanged = 1;
	return 1;
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

/* Whether key is one of the NULL-terminated list (NULL: none are). */
static int
provider_mapped(const char *key, const char *const *mapped)
{
	size_t i;

	for (i = 0; mapped != NULL && mapped[i] != NULL; i++) {
		if (strcmp(key, mapped[i]) == 0)
			return 1;
	}
	return 0;
}

/* Add the members of obj not in mapped to *w, opening it if NULL. */
void
provider_detail_add(
    struct json_writer **w, const struct json *obj, const char *const *mapped)
{
	const char *key;
	size_t i, n;

	if (json_type(obj) != JSON_OBJECT)
		return;
	n = json_len(obj);
	for (i = 0; i < n; i++) {
		if ((key = json_key_at(obj, i)) == NULL ||
		    provider_mapped(key, mapped))
			continue;
		if (*w == NULL) {
			*w = json_writer_new();
			json_w_obj_open(*w);
		}
		json_w_key(*w, key);
		json_w_value(*w, json_at(obj, i));
	}
}

/* Close and free a detail writer: its object text, or NULL if w is NULL. */
char *
provider_detail_finish(struct json_writer *w)
{
	char *out;

	if (w == NULL)
		return NULL;
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/*
 * The members of obj whose keys are not in mapped (NULL-terminated), as
 * compact JSON object text; NULL when there are none.
 */
char *
provider_detail(const struct json *obj, const char *const *mapped)
{
	struct json_writer *w = NULL;

	provider_detail_add(&w, obj, mapped);
	return provider_detail_finish(w);
}

#define PROVIDER_EPOCH_MIN_S 946684800LL        /* 2000-01-01T00:00:00Z */
#define PROVIDER_EPOCH_MS_FROM 100000000000LL   /* 10^11: milliseconds */
#define PROVIDER_EPOCH_MAX_MS 253402300799999LL /* 9999-12-31T23:59:59Z */

/*
 * A timestamp that may be a date string (as provider_time) or epoch time as
 * a number or numeric string: milliseconds from 10^11 on, seconds from
 * 2000-01-01 up to that; TASK_TIME_NONE for anything else.
 */
int64_t
provider_time_any(const struct json *v, int default_offset_s)
{
	int64_t n;

	if (json_int(v, 1, &n) == -1)
		return provider_time(v, default_offset_s);
	if (n >= PROVIDER_EPOCH_MS_FROM && n <= PROVIDER_EPOCH_MAX_MS)
		return n / 1000;
	if (n >= PROVIDER_EPOCH_MIN_S && n < PROVIDER_EPOCH_MS_FROM)
		return n;
	return TASK_TIME_NONE;
}

/* Nesting depth of a value: 0 for a scalar, 1 + the deepest member. */
int
provider_json_depth(const struct json *v)
{
	size_t i, n;
	int d, max = 0;

	if (json_type(v) != JSON_OBJECT && json_type(v) != JSON_ARRAY)
		return 0;
	n = json_len(v);
	for (i = 0; i < n; i++) {
		if ((d = provider_json_depth(json_at(v, i))) > max)
			max = d;
	}
	return max + 1;
}

/*
 * Decode JSON carried inside a string: a tree (caller json_frees) when text
 * is an object or array nested at most max_depth deep; NULL otherwise.
 */
struct json *
provider_json_decode(const char *text, int max_depth)
{
	struct json *v;
	const char *s = text;

	if (s == NULL)
		return NULL;
	while (provider_blank(*s))
		s++;
	if (*s != '{' && *s != '[')
		return NULL;
	if ((v = json_parse(s, strlen(s), NULL)) == NULL)
		return NULL;
	if ((json_type(v) != JSON_OBJECT && json_type(v) != JSON_ARRAY) ||
	    provider_json_depth(v) > max_depth) {
		json_free(v);
		return NULL;
	}
	return v;
}

/* Parse a body as a JSON object; NULL with *cause ("what response: ..."). */
struct json *
provider_parse_object(
    const char *what, const char *body, size_t len, char **cause)
{
	struct json *root;
	char *why = NULL;

	if ((root = json_parse(body, len, &why)) == NULL) {
		*cause = xasprintf("%s response: %s", what, why);
		free(why);
		return NULL;
	}
	if (json_type(root) != JSON_OBJECT) {
		json_free(root);
		*cause = xasprintf("%s response is not a JSON object", what);
		return NULL;
	}
	return root;
}

/* A failed answer as a cause: the classifier's one-line message. */
char *
provider_http_cause(long status, const char *body, size_t len)
{
	char *msg;

	provider_classify(status, body, len, &msg);
	return msg;
}

/* 1 if an error body carries an API-gateway code (APIG.*: no such API). */
int
provider_apig_error(const char *body, size_t len)
{
	char *code;
	int apig;

	code = provider_error_code(body, len);
	apig = code != NULL && strncasecmp(code, "APIG.", 5) == 0;
	free(code);
	return apig;
}

/*
 * Start a path "/{version}/{project_id}" (percent-encoded) in b, capped at
 * PROVIDER_PATH_MAX; -1 with *cause when the account has no project_id.
 */
int
provider_project_path(const struct provider_ctx *ctx, const char *api,
    const char *version, struct buf *b, char **cause)
{
	const char *project = NULL;

	if (ctx->account != NULL)
		project = ctx->account->project_id;
	if (util_empty(project)) {
		*cause = xasprintf("account %s has no project_id, which %s "
				   "needs",
		    ctx->account != NULL && ctx->account->name != NULL
			? ctx->account->name
			: "?",
		    api);
		return -1;
	}
	buf_init(b, PROVIDER_PATH_MAX);
	if (buf_printf(b, "/%s/", version) == -1 ||
	    util_urlencode(b, project) == -1) {
		buf_free(b);
		*cause = xasprintf("%s: project_id too long", api);
		return -1;
	}
	return 0;
}

/*
 * The total a page announces in root's key, a number or numeric string:
 * *total is -1 when absent or null.  -1 with *cause when it is anything
 * else or negative.
 */
int
provider_total(const struct json *root, const char *key, const char *what,
    int64_t *total, char **cause)
{
	const struct json *v;

	*total = -1;
	v = json_get(root, key);
	if (v == NULL || json_type(v) == JSON_NULL)
		return 0;
	if (json_int(v, 1, total) == -1 || *total < 0) {
		*total = -1;
		*cause = xasprintf("%s response has an invalid %s", what, key);
		return -1;
	}
	return 0;
}

/*
 * Account for a page of n rows of the cursor's scope: seen grows by n,
 * offset by n (rows) or 1 (page_index), total is the announced one (-1:
 * none; a total that differs from the previous page's marks the listing
 * shifted).  1 when the scope is finished: total reached, an empty page, a
 * short page without a total, or offset past max_offset.
 */
int
provider_page(const char *api, struct provider_cursor *c, size_t n,
    int64_t total, size_t limit, int page_index, uint64_t max_offset)
{
	int end = 0;

	c->seen += n;
	c->offset += page_index ? 1 : n;
	if (total >= 0) {
		if (c->seen > n && c->total != (uint64_t)total) {
			log_debug("%s: total went from %llu to %lld while the "
				  "pages were read",
			    api, (unsigned long long)c->total,
			    (long long)total);
			c->shifted = 1;
		}
		c->total = (uint64_t)total;
		if (c->seen >= c->total)
			end = 1;
	} else {
		c->total = c->seen;
		if (n < limit)
			end = 1;
	}
	if (n == 0)
		end = 1;
	if (!end && c->offset > max_offset) {
		log_debug("%s: stopping at offset %llu of %llu", api,
		    (unsigned long long)c->offset,
		    (unsigned long long)c->total);
		end = 1;
	}
	return end;
}

/* Move to the next scope (offset, seen, total reset); done after the last. */
void
provider_next_scope(struct provider_cursor *c, size_t nscopes)
{
	c->scope++;
	c->offset = 0;
	c->seen = 0;
	c->total = 0;
	if (c->scope >= nscopes)
		c->done = 1;
}

static const char *const provider_job_lookup_mapped[] = { "id", "name",
	"status", "progress", "fail_reason", "created", "ended", "instance",
	NULL };

/* The fields of the lookup answer {"job":{id, ..., instance{id,name}}}. */
const struct provider_job_fields provider_job_lookup_fields = {
	.id = "id",
	.name = "name",
	.status = "status",
	.progress = "progress",
	.fail_reason = "fail_reason",
	.created = "created",
	.ended = "ended",
	.instance = "instance",
	.instance_id = "id",
	.instance_name = "name",
	.mapped = provider_job_lookup_mapped,
};

/*
 * Fill t from a job object; -1 (t left for the caller to clear) when it is
 * not an object or has no string id and must be skipped.  In a listing, a
 * record the table holds unchanged gets its key alone.
 */
int
provider_job_fill(const struct provider_ctx *ctx, const struct json *job,
    const struct provider_job_fields *f, int listing, struct task *t)
{
	struct json_writer *w = NULL;
	const struct json *inst;
	const char *cid;
	int tz = 0;

	if (json_type(job) != JSON_OBJECT)
		return -1;
	if ((t->id = provider_str(job, f->id, 0)) == NULL)
		return -1;
	if (ctx != NULL && ctx->watch != NULL)
		tz = ctx->watch->timezone_offset_s;

	inst = f->instance != NULL ? json_get(job, f->instance) : job;
	cid = json_get_str(inst, f->instance_id);
	t->cluster_id = xstrdup(cid != NULL ? cid : "");
	if (listing && provider_unchanged(ctx, job, t))
		return 0;
	if ((t->type = provider_str(job, f->name, 1)) == NULL)
		t->type = xstrdup("");
	t->cluster_name = provider_str(inst, f->instance_name, 1);
	if ((t->raw_status = provider_str(job, f->status, 1)) == NULL)
		t->raw_status = xstrdup("");
	t->state = task_state_from_raw(t->raw_status);
	t->progress = provider_progress(json_get(job, f->progress));
	t->reason = provider_str(job, f->fail_reason, 0);
	t->started_at = provider_time_any(json_get(job, f->created), tz);
	t->ended_at = provider_time_any(json_get(job, f->ended), tz);
	provider_detail_add(&w, job, f->mapped);
	if (f->instance != NULL && f->instance_mapped != NULL)
		provider_detail_add(&w, inst, f->instance_mapped);
	t->detail = provider_detail_finish(w);
	return 0;
}

/* Describe the Huawei single-job lookup "/v3/{project}/jobs?id=". */
int
provider_job_lookup_req(const struct provider_ctx *ctx, const struct task *t,
    const char *service, const char *api, struct provider_req *req,
    char **cause)
{
	struct buf b;

	if (util_empty(t->id)) {
		*cause = xasprintf("%s: lookup of a job without an id", api);
		return -1;
	}
	if (provider_project_path(ctx, api, "v3", &b, cause) == -1)
		return -1;
	if (buf_puts(&b, "/jobs?id=") == -1 ||
	    util_urlencode(&b, t->id) == -1) {
		buf_free(&b);
		*cause = xasprintf("%s: request path too long", api);
		return -1;
	}
	memset(req, 0, sizeof(*req));
	req->service = service;
	req->method = "GET";
	req->path_query = buf_release(&b);
	req->headers[0] = "Accept: application/json";
	return 0;
}

/*
 * Parse a single-job lookup answer {"job":{...}}: 404 is gone unless it is
 * the API gateway's (APIG.*, e.g. no such API, which says nothing about the
 * job), 200 without a job object is gone, other statuses and unusable
 * bodies are -1 with *cause.  out is overwritten when found.
 */
int
provider_job_lookup_parse(const struct provider_ctx *ctx, long status,
    const char *body, size_t len, const char *what, int *found,
    struct task *out, char **cause)
{
	struct json *root;
	const struct json *job;

	*found = 0;
	if (status == 404) {
		if (provider_apig_error(body, len)) {
			*cause = provider_http_cause(status, body, len);
			return -1;
		}
		return 0;
	}
	if (status < 200 || status > 299) {
		*cause = provider_http_cause(status, body, len);
		return -1;
	}
	if ((root = provider_parse_object(what, body, len, cause)) == NULL)
		return -1;
	job = json_get(root, "job");
	if (json_type(job) != JSON_OBJECT) {
		json_free(root);
		return 0;
	}
	task_init(out);
	if (provider_job_fill(ctx, job, &provider_job_lookup_fields, 0, out) ==
	    -1) {
		task_clear(out);
		json_free(root);
		*cause = xasprintf("%s job lookup answer has no job id", what);
		return -1;
	}
	json_free(root);
	*found = 1;
	return 0;
}
