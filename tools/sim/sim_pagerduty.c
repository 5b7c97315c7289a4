/*
 * A PagerDuty-like Events API v2 endpoint: POST /v2/enqueue checks the
 * event as the service documents it (routing_key of 32 characters,
 * event_action trigger, acknowledge or resolve, dedup_key of at most 255
 * characters and required but for a trigger, a trigger's payload with
 * summary of 1 to 1024 characters, source, and severity critical, error,
 * warning or info; links of href and text) and answers as the service
 * does: 202 {"status":"success","message":"Event processed","dedup_key"},
 * or 400 {"status":"invalid event","message":"Event object is invalid",
 * "errors":[...]}.  Accepted events are recorded in the sink "pagerduty",
 * refused ones in "pagerduty-invalid" (GET /_sink/NAME); faults name the
 * endpoint "pagerduty".
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_PD_KEY_LEN 32
#define SIM_PD_DEDUP_MAX 255
#define SIM_PD_SUMMARY_MAX 1024

/* 1 if s is one of the NULL-terminated words. */
static int
sim_pd_one_of(const char *s, const char *const *words)
{
	for (; s != NULL && *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

/* The first problem of a trigger's payload, or NULL. */
static const char *
sim_pd_payload(const struct json *p)
{
	static const char *const severities[] = { "critical", "error",
		"warning", "info", NULL };
	const char *s;

	if (json_type(p) != JSON_OBJECT)
		return "'payload' is missing or not an object.";
	s = json_get_str(p, "summary");
	if (s == NULL || *s == '\0')
		return "'payload.summary' is missing or blank.";
	if (strlen(s) > SIM_PD_SUMMARY_MAX)
		return "'payload.summary' is longer than 1024 characters.";
	s = json_get_str(p, "source");
	if (s == NULL || *s == '\0')
		return "'payload.source' is missing or blank.";
	if (!sim_pd_one_of(json_get_str(p, "severity"), severities))
		return "'payload.severity' must be one of critical, error, "
		       "warning, info.";
	if (json_get(p, "custom_details") != NULL &&
	    json_type(json_get(p, "custom_details")) != JSON_OBJECT &&
	    json_type(json_get(p, "custom_details")) != JSON_STRING)
		return "'payload.custom_details' must be an object.";
	return NULL;
}

/* The first problem of links, or NULL. */
static const char *
sim_pd_links(const struct json *l)
{
	size_t i;

	if (l == NULL)
		return NULL;
	if (json_type(l) != JSON_ARRAY)
		return "'links' must be an array.";
	for (i = 0; i < json_len(l); i++) {
		if (json_get_str(json_at(l, i), "href") == NULL)
			return "'links[].href' is missing.";
	}
	return NULL;
}

/* The first problem of an event, or NULL; *key: its dedup_key or NULL. */
static const char *
sim_pd_check(const struct json *ev, const char **key)
{
	static const char *const actions[] = { "trigger", "acknowledge",
		"resolve", NULL };
	const char *rk, *action;

	*key = NULL;
	if (json_type(ev) != JSON_OBJECT)
		return "Event must be a JSON object.";
	rk = json_get_str(ev, "routing_key");
	if (rk == NULL || strlen(rk) != SIM_PD_KEY_LEN)
		return "'routing_key' must be 32 characters.";
	action = json_get_str(ev, "event_action");
	if (!sim_pd_one_of(action, actions))
		return "'event_action' must be one of trigger, acknowledge, "
		       "resolve.";
	*key = json_get_str(ev, "dedup_key");
	if (json_get(ev, "dedup_key") != NULL &&
	    (*key == NULL || strlen(*key) > SIM_PD_DEDUP_MAX))
		return "'dedup_key' must be a string of at most 255 "
		       "characters.";
	if (strcmp(action, "trigger") != 0)
		return *key == NULL ? "'dedup_key' is required to acknowledge "
				      "or resolve."
				    : NULL;
	return sim_pd_payload(json_get(ev, "payload")) != NULL
	    ? sim_pd_payload(json_get(ev, "payload"))
	    : sim_pd_links(json_get(ev, "links"));
}

/* Serve POST /v2/enqueue. */
void
sim_pagerduty_handle(
    struct sim *sim, const struct sim_req *r, struct sim_reply *rp)
{
	struct json_writer *w;
	struct json *ev;
	const char *why, *key;
	char *cause = NULL, gen[SIM_REQUEST_ID_LEN];

	if (strcmp(r->method, "POST") != 0) {
		sim_reply_ctl_error(rp, 405, "only POST /v2/enqueue");
		return;
	}
	ev = json_parse(r->body, r->body_len, &cause);
	why = ev == NULL ? "Could not parse the body as JSON."
			 : sim_pd_check(ev, &key);
	sim_sink_add(sim, why == NULL ? "pagerduty" : "pagerduty-invalid", r);
	w = json_writer_new();
	json_w_obj_open(w);
	if (why != NULL) {
		json_w_kstr(w, "status", "invalid event");
		json_w_kstr(w, "message", "Event object is invalid");
		json_w_key(w, "errors");
		json_w_arr_open(w);
		json_w_str(w, why);
		json_w_arr_close(w);
	} else {
		if (key == NULL) {
			sim_random_hex(gen, SIM_REQUEST_ID_LEN - 1);
			key = gen;
		}
		json_w_kstr(w, "status", "success");
		json_w_kstr(w, "message", "Event processed");
		json_w_kstr(w, "dedup_key", key);
	}
	json_w_obj_close(w);
	sim_reply_json(rp, why != NULL ? 400 : 202, w);
	json_writer_free(w);
	json_free(ev);
	free(cause);
}
