/*
 * The pagerduty notifier: PagerDuty Events API v2.  A failure (a task
 * FAILED or PARTIAL, stalled, overdue, watch_failed, watch_flapping, a
 * hook_* event, keyed also by its kind and notifier) is a trigger
 * whose dedup_key is derived from what failed: the watch, cluster, task
 * type and task id of a task, the watch for watch_failed and
 * watch_flapping (one incident).  The incident it opens is
 * resolved when the watch recovers, or when a task of the same base type
 * on the same cluster succeeds (DWS SNAPSHOTTING for SNAPSHOTTING_FAILED):
 * for that the notifier keeps the dedup keys it opened by that group, in
 * {state_dir}/pagerduty-{notifier}.json across restarts.  An event that is
 * neither is delivered without a request.
 *
 * The event document goes in custom_details; the optional link is a URL
 * template (template.h) of it.  2xx is delivered; 408, 429, 5xx and
 * network errors are retried by notify.c; anything else (PagerDuty's 400
 * for an invalid event) is final.  One event may take several requests (a
 * success resolving several incidents): a retry sends them all again,
 * which PagerDuty takes as the same trigger or resolve.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "credentials.h"
#include "durable.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "notify_impl.h"
#include "sign.h"
#include "template.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_PD_MAX_BODY (64 * 1024) /* of a response */
#define NOTIFY_PD_SUMMARY_MAX 1024     /* PagerDuty's limit */
#define NOTIFY_PD_MAX_OPEN 10000       /* incidents kept; the oldest go */
#define NOTIFY_PD_MAX_FILE (16 * 1024 * 1024)
#define NOTIFY_PD_FILE_VERSION 1

/* An incident this notifier opened: its dedup key and what resolves it. */
struct notify_pd_open {
	char *key;
	char *group; /* watch, cluster, base type; "" for a watch's */
};

struct notify_pd {
	char *name;
	char *url;
	int allow_http;
	uint64_t timeout_ms;
	struct config_secret rk_src;
	char *routing_key; /* NULL until read */
	struct template *link;
	struct notify_pd_open *open; /* oldest first */
	size_t nopen;
	int dirfd; /* state_dir; -1: nothing is kept */
	char *file, *tmp;
	int save_failed; /* the last save failed (logged once) */
};

/* One request of an item's delivery. */
struct notify_pd_req {
	char *body;
	char *key;
	int trigger;
};

/* An item's delivery in flight: its requests, sent one after another. */
struct notify_pd_call {
	struct notify_notifier *nf;
	struct notify_item *it;
	struct http_xfer *xfer;
	struct notify_pd_req *reqs;
	size_t n, next;
	char *group;
};

/* Forget every incident. */
static void
notify_pd_open_clear(struct notify_pd *pd)
{
	size_t i;

	for (i = 0; i < pd->nopen; i++) {
		free(pd->open[i].key);
		free(pd->open[i].group);
	}
	free(pd->open);
	pd->open = NULL;
	pd->nopen = 0;
}

/* The index of the incident with key, or -1. */
static long
notify_pd_open_find(const struct notify_pd *pd, const char *key)
{
	size_t i;

	for (i = 0; i < pd->nopen; i++)
		if (strcmp(pd->open[i].key, key) == 0)
			return (long)i;
	return -1;
}

/* Remember an incident (again: moved to the end); the oldest go first. */
static void
notify_pd_open_add(struct notify_pd *pd, const char *key, const char *group)
{
	long i = notify_pd_open_find(pd, key);

	if (i != -1) {
		free(pd->open[i].key);
		free(pd->open[i].group);
		memmove(&pd->open[i], &pd->open[i + 1],
		    (pd->nopen - (size_t)i - 1) * sizeof(*pd->open));
		pd->nopen--;
	}
	if (pd->nopen == NOTIFY_PD_MAX_OPEN) {
		log_warnx("notifier %s: more than %d open incidents; the "
			  "oldest will not be resolved by taskwatchd",
		    pd->name, NOTIFY_PD_MAX_OPEN);
		free(pd->open[0].key);
		free(pd->open[0].group);
		memmove(&pd->open[0], &pd->open[1],
		    (pd->nopen - 1) * sizeof(*pd->open));
		pd->nopen--;
	}
	pd->open = xreallocarray(pd->open, pd->nopen + 1, sizeof(*pd->open));
	pd->open[pd->nopen].key = xstrdup(key);
	pd->open[pd->nopen].group = xstrdup(group);
	pd->nopen++;
}

/* Forget the incident with key, if kept. */
static void
notify_pd_open_del(struct notify_pd *pd, const char *key)
{
	long i = notify_pd_open_find(pd, key);

	if (i == -1)
		return;
	free(pd->open[i].key);
	free(pd->open[i].group);
	memmove(&pd->open[i], &pd->open[i + 1],
	    (pd->nopen - (size_t)i - 1) * sizeof(*pd->open));
	pd->nopen--;
}

/* Write the open incidents to the state file; a failure is logged once. */
static void
notify_pd_save(struct notify_pd *pd)
{
	struct json_writer *w;
	const char *text;
	size_t i, len;

	if (pd->dirfd == -1)
		return;
	w = json_writer_new();
	json_w_obj_open(w);
	json_w_kint(w, "version", NOTIFY_PD_FILE_VERSION);
	json_w_key(w, "open");
	json_w_arr_open(w);
	for (i = 0; i < pd->nopen; i++) {
		json_w_obj_open(w);
		json_w_kstr(w, "dedup_key", pd->open[i].key);
		json_w_kstr(w, "group", pd->open[i].group);
		json_w_obj_close(w);
	}
	json_w_arr_close(w);
	json_w_obj_close(w);
	text = json_writer_str(w, &len);
	if (durable_put(pd->dirfd, pd->file, pd->tmp, text, len, 1, NULL) ==
	    -1) {
		if (!pd->save_failed)
			log_warn("notifier %s: cannot save its open incidents "
				 "to %s; a restart forgets which a success "
				 "resolves",
			    pd->name, pd->file);
		pd->save_failed = 1;
	} else if (pd->save_failed) {
		log_info("notifier %s: open incidents saved again", pd->name);
		pd->save_failed = 0;
	}
	json_writer_free(w);
}

/* Load the open incidents an earlier run kept; a bad file is logged. */
static void
notify_pd_load(struct notify_pd *pd)
{
	struct json *doc;
	const struct json *a, *o;
	const char *key, *group;
	char *text, *cause = NULL;
	size_t len, i;

	text = durable_read(pd->dirfd, pd->file, NOTIFY_PD_MAX_FILE, &len);
	if (text == NULL)
		return; /* none yet */
	if ((doc = json_parse(text, len, &cause)) == NULL ||
	    json_type(a = json_get(doc, "open")) != JSON_ARRAY) {
		log_warnx("notifier %s: %s is not an incidents file (%s); "
			  "incidents it held are not resolved by taskwatchd",
		    pd->name, pd->file, cause != NULL ? cause : "no open list");
		free(cause);
		json_free(doc);
		free(text);
		return;
	}
	for (i = 0; i < json_len(a); i++) {
		o = json_at(a, i);
		key = json_get_str(o, "dedup_key");
		group = json_get_str(o, "group");
		if (key != NULL && group != NULL)
			notify_pd_open_add(pd, key, group);
	}
	json_free(doc);
	free(text);
}

/* Keep state in state_dir from now on; load what is there. */
static void
notify_pd_restore(struct notify_notifier *nf, const char *state_dir)
{
	struct notify_pd *pd = nf->priv;

	if (pd->dirfd != -1)
		close(pd->dirfd);
	pd->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pd->dirfd == -1) {
		log_warn("notifier %s: %s", nf->name, state_dir);
		return;
	}
	free(pd->file);
	free(pd->tmp);
	pd->file = xasprintf("pagerduty-%s.json", nf->name);
	pd->tmp = xasprintf(".pagerduty-%s.json.tmp", nf->name);
	notify_pd_open_clear(pd);
	notify_pd_load(pd);
}

/* Free where the routing key lives. */
static void
notify_pd_src_clear(struct config_secret *s)
{
	free(s->file);
	free(s->env);
	free(s->credential);
	memset(s, 0, sizeof(*s));
}

/* Read the routing key; -1 (cause set, caller frees) if it cannot be. */
static int
notify_pd_read_key(struct notify_pd *pd, char **cause)
{
	char *key;

	if (credentials_read(&pd->rk_src, &key, cause) == -1)
		return -1;
	xfreesecret(pd->routing_key);
	pd->routing_key = key;
	return 0;
}

/* Copy url, timeout, routing key and link from conf. */
static void
notify_pd_configure(
    struct notify_notifier *nf, const struct config_notifier *conf)
{
	struct notify_pd *pd = nf->priv;
	char *cause = NULL;

	if (pd == NULL) {
		nf->priv = pd = xcalloc(1, sizeof(*pd));
		pd->dirfd = -1;
		pd->name = xstrdup(nf->name);
	}
	free(pd->url);
	pd->url = xstrdup(conf->url != NULL ? conf->url : "");
	pd->allow_http = strncasecmp(pd->url, "http://", 7) == 0;
	pd->timeout_ms = conf->timeout_ms;
	notify_pd_src_clear(&pd->rk_src);
	pd->rk_src.file = xstrdup(conf->routing_key.file);
	pd->rk_src.env = xstrdup(conf->routing_key.env);
	pd->rk_src.credential = xstrdup(conf->routing_key.credential);
	xfreesecret(pd->routing_key);
	pd->routing_key = NULL;
	if (notify_pd_read_key(pd, &cause) == -1) {
		log_warnx("notifier %s: cannot read the routing key: %s; "
			  "events are kept and retried until it can be read",
		    nf->name, cause);
		free(cause);
		cause = NULL;
	}
	template_free(pd->link);
	pd->link = NULL;
	if (conf->link != NULL &&
	    (pd->link = template_compile(conf->link, strlen(conf->link),
		 TEMPLATE_ESCAPE_URL, evt_doc_field, &cause)) == NULL) {
		/* notify_check refused it before; keep going without it. */
		log_warnx("notifier %s: link: %s", nf->name, cause);
		free(cause);
	}
}

/* The dedup key of what ev is about (see the top); caller frees. */
static char *
notify_pd_key(const struct evt *ev)
{
	char hex[SIGN_HEX_LEN + 1];
	struct buf b;

	const char *parts[6];
	size_t i, n = 0;

	parts[n++] = ev->watch;
	if (ev->has_task && !evt_is_watch_event(ev)) {
		parts[n++] = ev->task.cluster_id;
		parts[n++] = ev->task.type;
		parts[n++] = ev->task.id;
	}
	/* A hook's trouble is an incident of its own, not the task's. */
	if (evt_kind_hook(ev->kind)) {
		parts[n++] = evt_kind_name(ev->kind);
		parts[n++] = ev->hook_notifier;
	}
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_add(&b, "", 1); /* a NUL between the parts */
		buf_puts(&b, parts[i] != NULL ? parts[i] : "");
	}
	sign_sha256_hex(buf_str(&b), b.len, hex);
	buf_free(&b);
	hex[32] = '\0';
	return xasprintf("taskwatch-%s", hex);
}

/* The group whose success resolves a task's incident; caller frees. */
static char *
notify_pd_group(const struct evt *ev)
{
	if (!ev->has_task || evt_is_watch_event(ev))
		return xstrdup("");
	return xasprintf("%s\037%s\037%s", ev->watch != NULL ? ev->watch : "",
	    ev->task.cluster_id != NULL ? ev->task.cluster_id : "",
	    evt_base_type(ev) != NULL ? evt_base_type(ev) : "");
}

/* 1 if ev opens an incident. */
static int
notify_pd_triggers(const struct evt *ev)
{
	if (ev->resolve_only)
		return 0;
	switch (ev->kind) {
	case EVT_STALLED:
	case EVT_OVERDUE:
	case EVT_HOOK_FAILED:
	case EVT_HOOK_SUPPRESSED:
	case EVT_HOOK_CIRCUIT_OPEN:
	case EVT_WATCH_FAILED:
	case EVT_WATCH_FLAPPING: /* the watch's incident, as watch_failed */
		return 1;
	case EVT_APPEARED:
	case EVT_TRANSITION:
		return ev->task.state == TASK_FAILED ||
		    ev->task.state == TASK_PARTIAL ||
		    (ev->kind == EVT_APPEARED &&
			ev->severity == CONFIG_SEVERITY_CRITICAL);
	default:
		return 0;
	}
}

/* 1 if ev says the problem of its group (or its watch) is over. */
static int
notify_pd_resolves(const struct evt *ev)
{
	if (ev->kind == EVT_WATCH_RECOVERED)
		return 1;
	return (ev->kind == EVT_APPEARED || ev->kind == EVT_TRANSITION) &&
	    ev->task.state == TASK_SUCCEEDED;
}

/* summary: the event's one line, cut at PagerDuty's limit (UTF-8 safe). */
static void
notify_pd_summary(struct json_writer *w, const struct evt *ev)
{
	char *s = evt_summary(ev);
	size_t n = strlen(s);

	if (n > NOTIFY_PD_SUMMARY_MAX) {
		n = NOTIFY_PD_SUMMARY_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		s[n] = '\0';
	}
	json_w_kstr(w, "summary", s);
	free(s);
}

/* The trigger of ev: payload, custom_details (doc), links. */
static char *
notify_pd_trigger_body(const struct notify_pd *pd, const struct evt *ev,
    const char *key, const char *doc, size_t doc_len)
{
	struct json_writer *w = json_writer_new();
	struct json *parsed;
	char ts[UTIL_RFC3339_LEN], *href, *cause = NULL, *out;
	const char *source;

	json_w_obj_open(w);
	json_w_kstr(w, "routing_key", pd->routing_key);
	json_w_kstr(w, "event_action", "trigger");
	json_w_kstr(w, "dedup_key", key);
	json_w_kstr(w, "client", "taskwatchd");
	json_w_key(w, "payload");
	json_w_obj_open(w);
	notify_pd_summary(w, ev);
	source = ev->has_task && ev->task.cluster_name != NULL
	    ? ev->task.cluster_name
	    : ev->has_task && ev->task.cluster_id != NULL ? ev->task.cluster_id
							  : ev->watch;
	json_w_kstr(w, "source", source != NULL ? source : "taskwatchd");
	json_w_kstr(w, "severity", config_severity_name(ev->severity));
	util_format_rfc3339(ev->occurred_at, ts);
	json_w_kstr(w, "timestamp", ts);
	json_w_kstr(w, "component", ev->api);
	json_w_kstr(w, "group", ev->watch);
	/* A hook's incident is of its kind, not of the task it ran for. */
	json_w_kstr(w, "class",
	    ev->has_task && ev->task.type != NULL && !evt_kind_hook(ev->kind)
		? ev->task.type
		: evt_kind_name(ev->kind));
	json_w_key(w, "custom_details");
	json_w_raw(w, doc);
	json_w_obj_close(w);
	if (pd->link != NULL &&
	    (parsed = json_parse(doc, doc_len, &cause)) != NULL) {
		href = template_render(pd->link, parsed, NULL);
		json_w_key(w, "links");
		json_w_arr_open(w);
		json_w_obj_open(w);
		json_w_kstr(w, "href", href);
		json_w_kstr(w, "text", "console");
		json_w_obj_close(w);
		json_w_arr_close(w);
		free(href);
		json_free(parsed);
	}
	free(cause);
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/* A resolve of key. */
static char *
notify_pd_resolve_body(const struct notify_pd *pd, const char *key)
{
	struct json_writer *w = json_writer_new();
	char *out;

	json_w_obj_open(w);
	json_w_kstr(w, "routing_key", pd->routing_key);
	json_w_kstr(w, "event_action", "resolve");
	json_w_kstr(w, "dedup_key", key);
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/* Add a request to a call. */
static void
notify_pd_call_add(
    struct notify_pd_call *c, char *body, const char *key, int trigger)
{
	c->reqs = xreallocarray(c->reqs, c->n + 1, sizeof(*c->reqs));
	c->reqs[c->n].body = body;
	c->reqs[c->n].key = xstrdup(key);
	c->reqs[c->n].trigger = trigger;
	c->n++;
}

/* Free a call; the routing key in its bodies is wiped. */
static void
notify_pd_call_free(struct notify_pd_call *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		xfreesecret(c->reqs[i].body);
		free(c->reqs[i].key);
	}
	free(c->reqs);
	free(c->group);
	free(c);
}

/* The requests an event takes: a trigger, resolves, or none. */
static void
notify_pd_plan(struct notify_pd *pd, struct notify_pd_call *c)
{
	const struct evt *ev = c->it->ev;
	const char *doc;
	char *key = notify_pd_key(ev);
	size_t i, len;

	c->group = notify_pd_group(ev);
	if (notify_pd_triggers(ev)) {
		doc = notify_item_body(c->it, &len);
		notify_pd_call_add(
		    c, notify_pd_trigger_body(pd, ev, key, doc, len), key, 1);
	} else if (ev->kind == EVT_WATCH_RECOVERED) {
		notify_pd_call_add(c, notify_pd_resolve_body(pd, key), key, 0);
	} else if (notify_pd_resolves(ev)) {
		for (i = 0; i < pd->nopen; i++)
			if (strcmp(pd->open[i].group, c->group) == 0)
				notify_pd_call_add(c,
				    notify_pd_resolve_body(pd, pd->open[i].key),
				    pd->open[i].key, 0);
	}
	free(key);
}

static void notify_pd_send(struct notify_pd_call *c);

/* Note what is open once every request of c was taken. */
static void
notify_pd_call_apply(struct notify_pd_call *c)
{
	struct notify_pd *pd = c->nf->priv;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->reqs[i].trigger)
			notify_pd_open_add(pd, c->reqs[i].key, c->group);
		else
			notify_pd_open_del(pd, c->reqs[i].key);
	}
	if (c->n > 0)
		notify_pd_save(pd);
}

/* Every request of a call was taken: note what is open now. */
static void
notify_pd_call_done(struct notify_pd_call *c)
{
	notify_pd_call_apply(c);
	c->it->priv = NULL;
	notify_item_done(c->it, NOTIFY_DELIVERED, -1, NULL);
	notify_pd_call_free(c);
}

/* The http callback: the next request, or the item's outcome. */
static void
notify_pd_done_cb(const struct http_response *resp, void *arg)
{
	struct notify_pd_call *c = arg;
	struct notify_item *it = c->it;

	c->xfer = NULL;
	if (resp->error == HTTP_ECANCEL && it->priv == NULL) {
		notify_pd_call_free(c);
		return;
	}
	if (resp->error == HTTP_RESPONSE && resp->status >= 200 &&
	    resp->status <= 299) {
		c->next++;
		notify_pd_send(c);
		return;
	}
	it->priv = NULL;
	notify_item_http_done(it, resp);
	notify_pd_call_free(c);
}

/* Send the call's next request, or finish it. */
static void
notify_pd_send(struct notify_pd_call *c)
{
	struct notify_pd *pd = c->nf->priv;
	struct http_request req;
	const char *headers[] = { "Content-Type: application/json", NULL };

	if (c->next == c->n) {
		notify_pd_call_done(c);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = pd->url;
	req.headers = headers;
	req.body = c->reqs[c->next].body;
	req.body_len = strlen(req.body);
	req.timeout_ms = pd->timeout_ms;
	req.max_body_bytes = NOTIFY_PD_MAX_BODY;
	req.allow_http = pd->allow_http;
	req.max_redirects = 0;
	if ((c->xfer = http_submit(c->nf->http, &req, notify_pd_done_cb, c)) ==
	    NULL) {
		c->it->priv = NULL;
		notify_item_done(
		    c->it, NOTIFY_RETRY, -1, "cannot start the transfer");
		notify_pd_call_free(c);
	}
}

/* A call planned for it; NULL with *cause if the key cannot be read. */
static struct notify_pd_call *
notify_pd_call_new(
    struct notify_notifier *nf, struct notify_item *it, char **cause)
{
	struct notify_pd *pd = nf->priv;
	struct notify_pd_call *c;
	char *why = NULL;

	/* The plan builds the bodies, and a trigger's holds the key. */
	if (pd->routing_key == NULL && notify_pd_read_key(pd, &why) == -1) {
		*cause = xasprintf("cannot read the routing key: %s", why);
		free(why);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->nf = nf;
	c->it = it;
	notify_pd_plan(pd, c);
	return c;
}

/* Start the requests of it. */
static void
notify_pd_deliver(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_pd_call *c;
	char *cause = NULL;

	if ((c = notify_pd_call_new(nf, it, &cause)) == NULL) {
		notify_item_done(it, NOTIFY_RETRY, -1, cause);
		free(cause);
		return;
	}
	it->priv = c;
	notify_pd_send(c);
}

/* Another replica sent it: note what it opened and resolved, send nothing. */
static void
notify_pd_absorb(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_pd_call *c;
	char *cause = NULL;

	if ((c = notify_pd_call_new(nf, it, &cause)) == NULL) {
		log_warnx("notifier %s: cannot note what event %s opened: %s",
		    nf->name, it->ev->id, cause);
		free(cause);
		return;
	}
	notify_pd_call_apply(c);
	notify_pd_call_free(c);
}

/* Abort the transfer of it; its callback sees priv NULL and frees. */
static void
notify_pd_cancel(struct notify_notifier *nf, struct notify_item *it)
{
	struct notify_pd_call *c = it->priv;

	if (c == NULL)
		return;
	it->priv = NULL;
	if (c->xfer != NULL)
		http_cancel(c->xfer);
	else
		notify_pd_call_free(c);
}

/* Free the notifier's state. */
static void
notify_pd_free(struct notify_notifier *nf)
{
	struct notify_pd *pd = nf->priv;

	if (pd == NULL)
		return;
	notify_pd_open_clear(pd);
	if (pd->dirfd != -1)
		close(pd->dirfd);
	free(pd->file);
	free(pd->tmp);
	free(pd->name);
	free(pd->url);
	notify_pd_src_clear(&pd->rk_src);
	xfreesecret(pd->routing_key);
	template_free(pd->link);
	free(pd);
	nf->priv = NULL;
}

const struct notify_ops notify_pagerduty_ops = {
	.type = "pagerduty",
	.configure = notify_pd_configure,
	.deliver = notify_pd_deliver,
	.cancel = notify_pd_cancel,
	.restore = notify_pd_restore,
	.absorb = notify_pd_absorb,
	.free = notify_pd_free,
};
