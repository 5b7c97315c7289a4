/*
 * Injected faults: a list of rules, each naming endpoints (a glob over the
 * API endpoint names, or "sink") and what to do to a matching request:
 * answer with an error status, send malformed or truncated JSON, or answer
 * late.  The first rule with uses left applies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_FAULT_MAX 1000
#define SIM_FAULT_MAX_LATENCY_MS 600000
#define SIM_FAULT_PREFIX 32

static const char *const sim_fault_modes[] = {
	[SIM_FAULT_STATUS] = "status",
	[SIM_FAULT_MALFORMED] = "malformed",
	[SIM_FAULT_TRUNCATED] = "truncated",
	[SIM_FAULT_LATENCY] = "latency",
};

/* 1 if the fault's pattern covers endpoint; only "sink" names the sink. */
static int
sim_fault_covers(const struct sim_fault *f, const char *endpoint)
{
	if (strcmp(endpoint, "sink") == 0 || strcmp(f->endpoint, "sink") == 0)
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

/* Add a fault described by a JSON object; -1 with *cause if invalid. */
int
sim_fault_add(
    struct sim *sim, const struct json *o, char **cause, struct sim_fault **out)
{
	static const char *const keys[] = {
		"endpoint",
		"mode",
		"status",
		"body",
		"latency_ms",
		"count",
		NULL,
	};
	const char *endpoint, *mode, *body;
	long long status = 500, latency = 0, count = 0;
	struct sim_fault *f;
	size_t n = 0, m;

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
	for (m = 0; mode != NULL &&
	     m < sizeof(sim_fault_modes) / sizeof(sim_fault_modes[0]);
	     m++) {
		if (strcmp(mode, sim_fault_modes[m]) == 0)
			break;
	}
	if (mode == NULL ||
	    m == sizeof(sim_fault_modes) / sizeof(sim_fault_modes[0])) {
		*cause = xstrdup("mode must be status, malformed, truncated "
				 "or latency");
		return -1;
	}
	body = json_get_str(o, "body");
	if (json_get(o, "body") != NULL && body == NULL) {
		*cause = xstrdup("body must be a string");
		return -1;
	}
	if (sim_fault_int(o, "status", 100, 599, &status, cause) == -1 ||
	    sim_fault_int(o, "latency_ms", 0, SIM_FAULT_MAX_LATENCY_MS,
		&latency, cause) == -1 ||
	    sim_fault_int(o, "count", 0, UINT32_MAX, &count, cause) == -1)
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

	f = xcalloc(1, sizeof(*f));
	f->id = sim->next_fault_id++;
	f->endpoint = xstrdup(endpoint);
	f->mode = (enum sim_fault_mode)m;
	f->status = (int)status;
	f->body = xstrdup(body);
	f->latency_ms = (unsigned)latency;
	f->count = (unsigned)count;
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
	json_w_kstr(w, "body", f->body);
	json_w_kint(w, "latency_ms", f->latency_ms);
	json_w_kint(w, "count", f->count);
	json_w_kint(w, "used", f->used);
	json_w_obj_close(w);
}

/*
 * The reply of a status fault: its body if it has one, else the vendor's
 * error for that status (api NULL: the sink's own).
 */
void
sim_fault_status_reply(const struct sim_fault *f, const struct sim_api *api,
    const char *request_id, struct sim_reply *rp)
{
	if (f->body != NULL)
		sim_reply_set(rp, f->status, f->body);
	else if (api != NULL)
		api->error_reply(f->status, request_id, rp);
	else
		sim_reply_ctl_error(rp, f->status, "injected fault");
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
	case SIM_FAULT_STATUS:
	case SIM_FAULT_LATENCY:
		break;
	}
}

/* Remove every fault. */
void
sim_faults_clear(struct sim *sim)
{
	struct sim_fault *f;

	while ((f = TAILQ_FIRST(&sim->faults)) != NULL) {
		TAILQ_REMOVE(&sim->faults, f, entry);
		free(f->endpoint);
		free(f->body);
		free(f);
	}
}
