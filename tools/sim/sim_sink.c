/*
 * The webhook sink: POST (or PUT, PATCH) /_sink/{name} records the request,
 * GET /_sink/{name} returns the records in arrival order, DELETE clears
 * them.  Bodies are capped by the server; records per sink are capped here,
 * dropping the oldest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/keyvalq_struct.h>

#include "json.h"
#include "monotime.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_SINK_MAX_RECORDS 10000
#define SIM_SINK_MAX_SINKS 1000
#define SIM_SINK_MAX_NAME 256

/* One recorded request. */
struct sim_sink_record {
	TAILQ_ENTRY(sim_sink_record) entry;
	char *method;
	char *uri;
	char *headers; /* a JSON object */
	char *body;    /* NULs replaced by U+FFFD */
	char received_at[40];
};
TAILQ_HEAD(sim_sink_records, sim_sink_record);

/* A named sink. */
struct sim_sink {
	TAILQ_ENTRY(sim_sink) entry;
	char *name;
	struct sim_sink_records records;
	size_t nrecords;
};

/* The sink called name, created when create is set; NULL if none. */
static struct sim_sink *
sim_sink_get(struct sim *sim, const char *name, int create)
{
	struct sim_sink *s;

	TAILQ_FOREACH (s, &sim->sinks, entry) {
		if (strcmp(s->name, name) == 0)
			return s;
	}
	if (!create || sim->nsinks >= SIM_SINK_MAX_SINKS)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	TAILQ_INIT(&s->records);
	TAILQ_INSERT_TAIL(&sim->sinks, s, entry);
	sim->nsinks++;
	return s;
}

/* Free one record. */
static void
sim_sink_record_free(struct sim_sink_record *rec)
{
	free(rec->method);
	free(rec->uri);
	free(rec->headers);
	free(rec->body);
	free(rec);
}

/* Drop every record of a sink. */
static void
sim_sink_clear(struct sim_sink *s)
{
	struct sim_sink_record *rec;

	while ((rec = TAILQ_FIRST(&s->records)) != NULL) {
		TAILQ_REMOVE(&s->records, rec, entry);
		sim_sink_record_free(rec);
	}
	s->nrecords = 0;
}

/* Format wall time now as RFC 3339 UTC with milliseconds. */
static void
sim_sink_timestamp(char *dst, size_t len)
{
	int64_t ms = monotime_wall_ms();
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(dst, len, "%s.%03dZ", base, (int)(ms % 1000));
}

/* The request headers as a JSON object; repeated names are joined. */
static char *
sim_sink_headers(struct evkeyvalq *headers)
{
	struct json_writer *w = json_writer_new();
	struct evkeyval *h, *o;
	struct buf joined;
	char *out;

	json_w_obj_open(w);
	TAILQ_FOREACH (h, headers, next) {
		for (o = TAILQ_FIRST(headers); o != h;
		     o = TAILQ_NEXT(o, next)) {
			if (strcasecmp(o->key, h->key) == 0)
				break;
		}
		if (o != h)
			continue; /* written with its first occurrence */
		buf_init(&joined, 0);
		buf_puts(&joined, h->value);
		for (o = TAILQ_NEXT(h, next); o != NULL;
		     o = TAILQ_NEXT(o, next)) {
			if (strcasecmp(o->key, h->key) == 0)
				buf_printf(&joined, ", %s", o->value);
		}
		json_w_kstr(w, h->key, buf_str(&joined));
		buf_free(&joined);
	}
	json_w_obj_close(w);
	out = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
	return out;
}

/* A copy of len bytes with each NUL replaced by U+FFFD. */
static char *
sim_sink_text(const char *p, size_t len)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_add(&b, "", 0);
	for (i = 0; i < len; i++) {
		if (p[i] == '\0')
			buf_add(&b, "\xef\xbf\xbd", 3);
		else
			buf_putc(&b, p[i]);
	}
	return buf_release(&b);
}

/* Record a request in sink s. */
static void
sim_sink_record(struct sim_sink *s, const struct sim_req *r)
{
	struct sim_sink_record *rec = xcalloc(1, sizeof(*rec));
	struct sim_sink_record *old;

	rec->method = xstrdup(r->method);
	rec->uri = xstrdup(r->uri != NULL ? r->uri : r->path);
	rec->headers = sim_sink_headers(r->headers);
	rec->body = sim_sink_text(r->body, r->body_len);
	sim_sink_timestamp(rec->received_at, sizeof(rec->received_at));
	TAILQ_INSERT_TAIL(&s->records, rec, entry);
	if (++s->nrecords > SIM_SINK_MAX_RECORDS) {
		old = TAILQ_FIRST(&s->records);
		TAILQ_REMOVE(&s->records, old, entry);
		sim_sink_record_free(old);
		s->nrecords--;
	}
}

/* Reply with the records of sink s (NULL: none) as a JSON array. */
static void
sim_sink_list(struct sim_sink *s, struct sim_reply *rp)
{
	struct json_writer *w = json_writer_new();
	struct sim_sink_record *rec;

	json_w_arr_open(w);
	if (s != NULL) {
		TAILQ_FOREACH (rec, &s->records, entry) {
			json_w_obj_open(w);
			json_w_kstr(w, "method", rec->method);
			json_w_kstr(w, "path", rec->uri);
			json_w_key(w, "headers");
			json_w_raw(w, rec->headers);
			json_w_kstr(w, "body", rec->body);
			json_w_kstr(w, "received_at", rec->received_at);
			json_w_obj_close(w);
		}
	}
	json_w_arr_close(w);
	sim_reply_json(rp, 200, w);
	json_writer_free(w);
}

/* Serve /_sink/{name}. */
void
sim_sink_handle(struct sim *sim, const struct sim_req *r, const char *name,
    struct sim_reply *rp)
{
	struct sim_sink *s;

	if (*name == '\0' || strlen(name) > SIM_SINK_MAX_NAME) {
		sim_reply_ctl_error(rp, 404,
		    "a sink needs a name of 1 to %d "
		    "bytes",
		    SIM_SINK_MAX_NAME);
		return;
	}
	if (strcmp(r->method, "GET") == 0) {
		sim_sink_list(sim_sink_get(sim, name, 0), rp);
		return;
	}
	if (strcmp(r->method, "DELETE") == 0) {
		if ((s = sim_sink_get(sim, name, 0)) != NULL)
			sim_sink_clear(s);
		sim_reply_set(rp, 204, NULL);
		return;
	}
	if (strcmp(r->method, "POST") != 0 && strcmp(r->method, "PUT") != 0 &&
	    strcmp(r->method, "PATCH") != 0) {
		sim_reply_ctl_error(
		    rp, 405, "method %s not allowed on a sink", r->method);
		sim_reply_header(rp, "Allow", "GET, POST, PUT, PATCH, DELETE");
		return;
	}
	if ((s = sim_sink_get(sim, name, 1)) == NULL) {
		sim_reply_ctl_error(
		    rp, 507, "too many sinks (at most %d)", SIM_SINK_MAX_SINKS);
		return;
	}
	sim_sink_record(s, r);
	sim_reply_set(rp, 200, "{\"ok\":true}");
}

/* Record a request in the sink name (created if new); -1 if too many. */
int
sim_sink_add(struct sim *sim, const char *name, const struct sim_req *r)
{
	struct sim_sink *s;

	if ((s = sim_sink_get(sim, name, 1)) == NULL)
		return -1;
	sim_sink_record(s, r);
	return 0;
}

/* Free every sink. */
void
sim_sinks_free(struct sim *sim)
{
	struct sim_sink *s;

	while ((s = TAILQ_FIRST(&sim->sinks)) != NULL) {
		TAILQ_REMOVE(&sim->sinks, s, entry);
		sim_sink_clear(s);
		free(s->name);
		free(s);
	}
	sim->nsinks = 0;
}
