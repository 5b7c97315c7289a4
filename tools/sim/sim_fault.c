/*
 * Injected faults: a list of rules, each naming endpoints (a glob over the
 * API endpoint names, or "sink") and what to do to a matching request:
 * answer with an error status; send malformed, truncated, oversized, deeply
 * nested, invalid UTF-8, HTML or empty bodies; trickle the body or reset
 * the connection half way; or answer late.  The first rule with uses left
 * applies (a rule applied to every nth request passes the others on).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_FAULT_MAX 1000
#define SIM_FAULT_MAX_LATENCY_MS 600000
#define SIM_FAULT_PREFIX 32
#define SIM_FAULT_OVERSIZED_BYTES (16ULL * 1024 * 1024)
#define SIM_FAULT_MAX_BYTES (4ULL * 1024 * 1024 * 1024)
#define SIM_FAULT_DEPTH 1000000
#define SIM_FAULT_MAX_DEPTH 10000000
#define SIM_FAULT_TRICKLE_MS 100
#define SIM_FAULT_MAX_BODY_FILE (16 * 1024 * 1024)
#define SIM_FAULT_BAD_UTF8 "\xff\xfe\xc3\x28"
#define SIM_FAULT_HTML_PAGE                                            \
	"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n" \
	"<body><h1>Network login required</h1>\n"                      \
	"<p>Please sign in to continue.</p></body></html>\n"

static const char *const sim_fault_modes[] = {
	[SIM_FAULT_STATUS] = "status",
	[SIM_FAULT_MALFORMED] = "malformed",
	[SIM_FAULT_TRUNCATED] = "truncated",
	[SIM_FAULT_LATENCY] = "latency",
	[SIM_FAULT_OVERSIZED] = "oversized",
	[SIM_FAULT_DEEP] = "deep",
	[SIM_FAULT_UTF8] = "utf8",
	[SIM_FAULT_TRICKLE] = "trickle",
	[SIM_FAULT_RESET] = "reset",
	[SIM_FAULT_HTML] = "html",
	[SIM_FAULT_EMPTY] = "empty",
	[SIM_FAULT_WRAPPED] = "wrapped",
	[SIM_FAULT_OMIT_EMPTY] = "omit_empty",
	[SIM_FAULT_UNORDERED] = "unordered",
};

#define SIM_FAULT_NMODES (sizeof(sim_fault_modes) / sizeof(sim_fault_modes[0]))

/*
 * 1 if the fault's pattern covers endpoint; only "sink" names the sink and
 * only "pagerduty" the PagerDuty endpoint (no glob of API names does).
 */
static int
sim_fault_covers(const struct sim_fault *f, const char *endpoint)
{
	if (strcmp(endpoint, "sink") == 0 || strcmp(f->endpoint, "sink") == 0 ||
	    strcmp(endpoint, "pagerduty") == 0 ||
	    strcmp(f->endpoint, "pagerduty") == 0)
		return strcmp(endpoint, f->endpoint) == 0;
	return util_glob(f->endpoint, endpoint);
}

/* The first fault with uses left that covers endpoint, now used once more. */
struct sim_fault *
sim_fault_match(struct sim *sim, const char *endpoint)
{
	struct sim_fault *f;

	TAILQ_FOREACH (f, &sim->faults, entry) {
		if (f->count != 0 && f->used >= f->count)
			continue;
		if (!sim_fault_covers(f, endpoint))
			continue;
		if (f->every > 1 && f->seen++ % f->every != 0)
			continue;
		f->used++;
		return f;
	}
	return NULL;
}

/* Read an optional integer member in [min, max]; -1 with *cause if bad. */
static int
sim_fault_int(const struct json *o, const char *key, long long min,
    long long max, long long *out, char **cause)
{
	const struct json *v = json_get(o, key);
	int64_t n;

	if (v == NULL)
		return 0;
	if (json_int(v, 0, &n) == -1 || n < min || n > max) {
		*cause = xasprintf(
		    "%s must be an integer from %lld to %lld", key, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

/* Read an optional string member; -1 with *cause if not a string. */
static int
sim_fault_str(
    const struct json *o, const char *key, const char **out, char **cause)
{
	*out = json_get_str(o, key);
	if (json_get(o, key) != NULL && *out == NULL) {
		*cause = xasprintf("%s must be a string", key);
		return -1;
	}
	return 0;
}

/* Read a body file (at most 16 MiB); NULL with *cause on error. */
static char *
sim_fault_read_file(const char *path, char **cause)
{
	struct buf b;
	FILE *f;
	char chunk[8192];
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("body_file %s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b, SIM_FAULT_MAX_BODY_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) == -1) {
			*cause =
			    xasprintf("body_file %s: larger than 16 MiB", path);
			buf_free(&b);
			fclose(f);
			return NULL;
		}
	}
	if (ferror(f)) {
		*cause = xasprintf("body_file %s: read error", path);
		buf_free(&b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	return buf_release(&b);
}

/* Add a fault described by a JSON object; -1 with *cause if invalid. */
int
sim_fault_add(
    struct sim *sim, const struct json *o, char **cause, struct sim_fault **out)
{
	static const char *const keys[] = {
		"endpoint",
		"mode",
		"status",
		"code",
		"message",
		"body",
		"body_file",
		"latency_ms",
		"bytes",
		"depth",
		"interval_ms",
		"retry_after",
		"count",
		"every",
		NULL,
	};
	const char *endpoint, *mode, *body, *body_file, *code, *message;
	long long status = 500, latency = 0, count = 0, bytes = 0;
	long long depth = SIM_FAULT_DEPTH, interval = SIM_FAULT_TRICKLE_MS;
	long long retry_after = 0, every = 0;
	struct sim_fault *f;
	size_t n = 0, m;
	char *file_body = NULL;

	if (sim_json_keys(o, keys, cause) == -1)
		return -1;
	endpoint = json_get_str(o, "endpoint");
	if (util_empty(endpoint) || !sim_endpoint_known(sim, endpoint)) {
		*cause = xstrdup("endpoint must name an API endpoint (a glob "
				 "such as \"dds.jobs\" or \"*\") or \"sink\"");
		return -1;
	}
	mode = json_get_str(o, "mode");
	if (mode == NULL && json_get(o, "mode") == NULL)
		mode = "status";
	for (m = 0; mode != NULL && m < SIM_FAULT_NMODES; m++) {
		if (strcmp(mode, sim_fault_modes[m]) == 0)
			break;
	}
	if (mode == NULL || m == SIM_FAULT_NMODES) {
		*cause = xstrdup("mode must be status, malformed, truncated, "
				 "latency, oversized, deep, utf8, trickle, "
				 "reset, html, empty, wrapped, omit_empty or "
				 "unordered");
		return -1;
	}
	if (sim_fault_str(o, "body", &body, cause) == -1 ||
	    sim_fault_str(o, "body_file", &body_file, cause) == -1 ||
	    sim_fault_str(o, "code", &code, cause) == -1 ||
	    sim_fault_str(o, "message", &message, cause) == -1)
		return -1;
	if (body != NULL && body_file != NULL) {
		*cause = xstrdup("body and body_file exclude each other");
		return -1;
	}
	if (sim_fault_int(o, "status", 100, 599, &status, cause) == -1 ||
	    sim_fault_int(o, "latency_ms", 0, SIM_FAULT_MAX_LATENCY_MS,
		&latency, cause) == -1 ||
	    sim_fault_int(o, "bytes", 1, (long long)SIM_FAULT_MAX_BYTES, &bytes,
		cause) == -1 ||
	    sim_fault_int(o, "depth", 1, SIM_FAULT_MAX_DEPTH, &depth, cause) ==
		-1 ||
	    sim_fault_int(o, "interval_ms", 1, 60000, &interval, cause) == -1 ||
	    sim_fault_int(o, "retry_after", 0, 3600, &retry_after, cause) ==
		-1 ||
	    sim_fault_int(o, "count", 0, UINT32_MAX, &count, cause) == -1 ||
	    sim_fault_int(o, "every", 0, 1000, &every, cause) == -1)
		return -1;
	if (m == SIM_FAULT_LATENCY && latency == 0) {
		*cause = xstrdup("mode latency needs latency_ms");
		return -1;
	}
	TAILQ_FOREACH (f, &sim->faults, entry)
		n++;
	if (n >= SIM_FAULT_MAX) {
		*cause = xstrdup("too many faults");
		return -1;
	}
	if (body_file != NULL &&
	    (file_body = sim_fault_read_file(body_file, cause)) == NULL)
		return -1;

	f = xcalloc(1, sizeof(*f));
	f->id = sim->next_fault_id++;
	f->endpoint = xstrdup(endpoint);
	f->mode = (enum sim_fault_mode)m;
	f->status = (int)status;
	f->status_given = json_get(o, "status") != NULL;
	f->code = xstrdup(code);
	f->message = xstrdup(message);
	f->body = file_body != NULL ? file_body : xstrdup(body);
	f->latency_ms = (unsigned)latency;
	f->bytes = (uint64_t)bytes;
	f->depth = (unsigned)depth;
	f->interval_ms = (unsigned)interval;
	f->retry_after_s = (unsigned)retry_after;
	f->count = (unsigned)count;
	f->every = (unsigned)every;
	TAILQ_INSERT_TAIL(&sim->faults, f, entry);
	*out = f;
	return 0;
}

/* Write a fault as the control API shows it. */
void
sim_fault_json(struct json_writer *w, const struct sim_fault *f)
{
	json_w_obj_open(w);
	json_w_kint(w, "id", f->id);
	json_w_kstr(w, "endpoint", f->endpoint);
	json_w_kstr(w, "mode", sim_fault_modes[f->mode]);
	json_w_kint(w, "status", f->status);
	if (f->code != NULL)
		json_w_kstr(w, "code", f->code);
	if (f->message != NULL)
		json_w_kstr(w, "message", f->message);
	json_w_kstr(w, "body", f->body);
	json_w_kint(w, "latency_ms", f->latency_ms);
	if (f->mode == SIM_FAULT_OVERSIZED || f->mode == SIM_FAULT_RESET)
		json_w_kint(w, "bytes", (int64_t)f->bytes);
	if (f->mode == SIM_FAULT_DEEP)
		json_w_kint(w, "depth", f->depth);
	if (f->mode == SIM_FAULT_TRICKLE)
		json_w_kint(w, "interval_ms", f->interval_ms);
	json_w_kint(w, "retry_after", f->retry_after_s);
	json_w_kint(w, "count", f->count);
	if (f->every > 1)
		json_w_kint(w, "every", f->every);
	json_w_kint(w, "used", f->used);
	json_w_obj_close(w);
}

/*
 * The reply of a status fault: its body if it has one, else the vendor's
 * error for that status (api NULL: the sink's own).
 */
void
sim_fault_status_reply(const struct sim_fault *f, const struct sim_api *api,
    const struct sim_req *r, struct sim_reply *rp)
{
	char ra[16];
	size_t i;

	if (f->body != NULL)
		sim_reply_set(rp, f->status, f->body);
	else if (api != NULL)
		api->error_reply(r, f->status, f->code, f->message, rp);
	else
		sim_reply_ctl_error(rp, f->status, "%s",
		    f->message != NULL ? f->message : "injected fault");
	if (f->retry_after_s == 0)
		return;
	/* Replace the vendor's own Retry-After, if it sent one. */
	snprintf(ra, sizeof(ra), "%u", f->retry_after_s);
	for (i = 0; i < rp->nhdrs; i++) {
		if (strcasecmp(rp->hdr_name[i], "Retry-After") == 0) {
			free(rp->hdr_value[i]);
			rp->hdr_value[i] = xstrdup(ra);
			return;
		}
	}
	sim_reply_header(rp, "Retry-After", ra);
}

/*
 * Put invalid UTF-8 at the start of the first string value of a JSON body
 * (the first string after a ':', else the first string at all), so that
 * the document is otherwise well formed.
 */
static void
sim_fault_bad_utf8(struct sim_reply *rp)
{
	const char *s = buf_str(&rp->body), *at;
	struct buf b;
	size_t off;

	if ((at = strstr(s, ":\"")) != NULL)
		at++;
	else
		at = strchr(s, '"');
	if (at == NULL) {
		sim_reply_set(
		    rp, rp->status, "{\"text\":\"" SIM_FAULT_BAD_UTF8 "\"}");
		return;
	}
	off = (size_t)(at - s) + 1;
	buf_init(&b, 0);
	buf_add(&b, s, off);
	buf_puts(&b, SIM_FAULT_BAD_UTF8);
	buf_add(&b, s + off, rp->body.len - off);
	buf_free(&rp->body);
	rp->body = b;
}

/* Replace the body with depth opening then depth closing brackets. */
static void
sim_fault_deep(struct sim_reply *rp, unsigned depth)
{
	char *p = xmalloc((size_t)depth * 2);

	memset(p, '[', depth);
	memset(p + depth, ']', depth);
	buf_reset(&rp->body);
	buf_add(&rp->body, p, (size_t)depth * 2);
	free(p);
}

/*
 * Spoil a reply for malformed and truncated faults, both sent as 200.  A
 * proper prefix of a JSON document followed by text without quotes or
 * closing brackets can never parse.
 */
void
sim_fault_mangle(const struct sim_fault *f, struct sim_reply *rp)
{
	size_t keep;

	if (f->body != NULL && f->mode != SIM_FAULT_STATUS)
		sim_reply_set(rp, rp->status, f->body);
	switch (f->mode) {
	case SIM_FAULT_MALFORMED:
		keep = rp->body.len / 2;
		if (keep > SIM_FAULT_PREFIX)
			keep = SIM_FAULT_PREFIX;
		rp->body.len = keep;
		buf_puts(&rp->body, " <html>502 Bad Gateway @#!");
		rp->status = 200;
		break;
	case SIM_FAULT_TRUNCATED:
		if (rp->body.data != NULL) {
			rp->body.len /= 2;
			rp->body.data[rp->body.len] = '\0';
		}
		rp->status = 200;
		break;
	case SIM_FAULT_OVERSIZED:
		rp->status = 200;
		rp->stream = SIM_STREAM_OVERSIZED;
		rp->stream_bytes =
		    f->bytes > 0 ? f->bytes : SIM_FAULT_OVERSIZED_BYTES;
		break;
	case SIM_FAULT_DEEP:
		rp->status = 200;
		sim_fault_deep(rp, f->depth);
		break;
	case SIM_FAULT_UTF8:
		sim_fault_bad_utf8(rp);
		break;
	case SIM_FAULT_TRICKLE:
		rp->stream = SIM_STREAM_TRICKLE;
		rp->interval_ms = f->interval_ms;
		break;
	case SIM_FAULT_RESET:
		rp->stream = SIM_STREAM_RESET;
		rp->stream_bytes = f->bytes > 0 ? f->bytes : rp->body.len / 2;
		if (rp->stream_bytes > rp->body.len)
			rp->stream_bytes = rp->body.len;
		break;
	case SIM_FAULT_HTML:
		rp->status = f->status_given ? f->status : 200;
		rp->content_type = "text/html; charset=utf-8";
		if (f->body == NULL)
			sim_reply_set(rp, rp->status, SIM_FAULT_HTML_PAGE);
		break;
	case SIM_FAULT_EMPTY:
		sim_reply_set(rp, 200, NULL);
		break;
	case SIM_FAULT_STATUS:
	case SIM_FAULT_LATENCY:
	case SIM_FAULT_WRAPPED:
	case SIM_FAULT_OMIT_EMPTY:
	case SIM_FAULT_UNORDERED:
		break;
	}
}

/*
 * 1 if r's answer leaves out an empty list (omit_empty), as a service
 * whose SDK models mark the list optional may: the DDS and GaussDB lists.
 */
int
sim_fault_omit_empty(const struct sim_req *r)
{
	return r->fault != NULL && r->fault->mode == SIM_FAULT_OMIT_EMPTY;
}

/*
 * 1 if r's answer, when it names no order, comes in an order of its own
 * that changes with every response (unordered), as a service without a
 * stable default order may.
 */
int
sim_fault_unordered(const struct sim_req *r)
{
	return r->fault != NULL && r->fault->mode == SIM_FAULT_UNORDERED;
}

/* Remove every fault. */
void
sim_faults_clear(struct sim *sim)
{
	struct sim_fault *f;

	while ((f = TAILQ_FIRST(&sim->faults)) != NULL) {
		TAILQ_REMOVE(&sim->faults, f, entry);
		free(f->endpoint);
		free(f->code);
		free(f->message);
		free(f->body);
		free(f);
	}
}
