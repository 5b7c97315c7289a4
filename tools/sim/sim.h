/*
 * Internal interface of taskwatch-sim, the cloud simulator: the shared state,
 * the request and reply a handler sees, the table each simulated API fills
 * in, and the entry points of the core modules (tasks, faults, sink, control
 * API, scenario).
 */
#ifndef SIM_H
#define SIM_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SIM_MAX_BODY_BYTES (1024 * 1024)
#define SIM_MAX_HEADERS_BYTES (64 * 1024)
#define SIM_REQUEST_ID_LEN 33 /* 32 hex digits and a NUL */
#define SIM_UUID_LEN 37
#define SIM_REPLY_MAX_HEADERS 4
#define SIM_CONTENT_TYPE "application/json;charset=utf8"

struct sim;
struct json;
struct json_writer;
struct evkeyvalq;

/* One incoming request, as the handlers see it. */
struct sim_req {
	const char *method; /* "GET", "POST", ... */
	const char *uri;    /* path and query as received */
	const char *path;   /* raw path, no query */
	const char *query;  /* raw query or NULL */
	const char *body;   /* NUL-terminated */
	size_t body_len;
	struct evkeyvalq *headers; /* borrowed */
	char request_id[SIM_REQUEST_ID_LEN];
};

/* A reply being built; sent by the core. */
struct sim_reply {
	int status;
	struct buf body;
	char *hdr_name[SIM_REPLY_MAX_HEADERS];
	char *hdr_value[SIM_REPLY_MAX_HEADERS];
	size_t nhdrs;
};

/* One API endpoint: a name for counters and faults, a method and a path. */
struct sim_route {
	const char *endpoint; /* "dds.jobs" */
	const char *method;
	const char *pattern; /* {} is one segment */
	void (*handle)(
	    struct sim *, const struct sim_req *, struct sim_reply *);
};

/* A simulated cloud API: its routes and how it reports errors. */
struct sim_api {
	const char *service;  /* "dds": scenario key */
	const char *list_key; /* "jobs": its task list */
	const struct sim_route *routes;
	size_t nroutes;
	/* The vendor's error reply for an injected status. */
	void (*error_reply)(int, const char *, struct sim_reply *);
};

/* A simulated task; never freed before exit, only marked deleted. */
struct sim_task {
	TAILQ_ENTRY(sim_task) entry;
	const struct sim_api *api; /* borrowed */
	char *id;
	char *name;
	char *instance_id;
	char *instance_name;
	char *status; /* Running, Completed, ... */
	char *fail_reason;
	int progress;    /* percent */
	int64_t created; /* unix seconds */
	int64_t ended;   /* or UTIL_TIME_NONE */
	int created_set; /* created given explicitly */
	int visible;     /* 0 until it appears */
	int deleted;
};
TAILQ_HEAD(sim_tasks, sim_task);

/* A set of changes to a task; NULL / -1 / UTIL_TIME_NONE = unchanged. */
struct sim_change {
	char *name;
	char *status;
	char *fail_reason;
	int progress;
	int64_t ended;
	int delete;
};

/* Modes of an injected fault. */
enum sim_fault_mode {
	SIM_FAULT_STATUS,
	SIM_FAULT_MALFORMED,
	SIM_FAULT_TRUNCATED,
	SIM_FAULT_LATENCY,
};

/* An injected fault. */
struct sim_fault {
	TAILQ_ENTRY(sim_fault) entry;
	unsigned id;
	char *endpoint; /* a glob, or "sink" */
	enum sim_fault_mode mode;
	int status;
	char *body; /* NULL: the default */
	unsigned latency_ms;
	unsigned count; /* 0: until cleared */
	unsigned used;
};
TAILQ_HEAD(sim_faults, sim_fault);

struct sim_sink;
TAILQ_HEAD(sim_sinks, sim_sink);
struct sim_pending;
TAILQ_HEAD(sim_pendings, sim_pending);
struct scenario;

/* The simulator. */
struct sim {
	struct event_base *base;
	struct evhttp *http;
	struct sim_tasks tasks;
	struct sim_faults faults;
	unsigned next_fault_id;
	struct sim_sinks sinks;
	size_t nsinks;
	struct sim_pendings pending; /* replies held back */
	struct scenario *scenario;
	char *project_id; /* from the scenario */
	uint64_t start_mono_ms;
	int64_t start_wall_ms;
	const struct sim_route **routes;  /* every API's routes */
	const struct sim_api **route_api; /* API of each route */
	uint64_t *counts;                 /* requests per route */
	size_t nroutes;
	uint64_t unmatched; /* paths with no route */
};

/* sim.c */
const struct sim_api *sim_api_find(const char *service);
int sim_endpoint_known(const struct sim *, const char *pattern);
int sim_json_keys(const struct json *, const char *const *keys, char **cause);
int64_t sim_now(void);
void sim_random_hex(char *dst, size_t ndigits);
char *sim_req_query(const struct sim_req *, const char *key);
void sim_reply_header(struct sim_reply *, const char *name, const char *value);
void sim_reply_set(struct sim_reply *, int status, const char *body);
void sim_reply_json(struct sim_reply *, int status, struct json_writer *);
void sim_reply_huawei(struct sim_reply *, int status, const char *code,
    const char *msg, const char *request_id);
void sim_reply_ctl_error(struct sim_reply *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sim_task.c */
struct sim_task *sim_task_new(
    struct sim *, const struct sim_api *, const char *id);
struct sim_task *sim_task_find(struct sim *, const char *id);
int sim_task_listed(const struct sim_task *);
void sim_task_apply(struct sim_task *, const struct sim_change *, int64_t now);
void sim_task_appear(struct sim_task *, int64_t now);
void sim_task_json(struct json_writer *, const struct sim_task *);
void sim_tasks_free(struct sim *);
int sim_task_valid_status(const char *status);
int sim_task_parse_progress(const char *s, int *out);
void sim_change_init(struct sim_change *);
void sim_change_clear(struct sim_change *);

/* sim_fault.c */
struct sim_fault *sim_fault_match(struct sim *, const char *endpoint);
int sim_fault_add(
    struct sim *, const struct json *, char **cause, struct sim_fault **out);
void sim_fault_json(struct json_writer *, const struct sim_fault *);
void sim_fault_status_reply(const struct sim_fault *, const struct sim_api *,
    const char *request_id, struct sim_reply *);
void sim_fault_mangle(const struct sim_fault *, struct sim_reply *);
void sim_faults_clear(struct sim *);

/* sim_sink.c */
void sim_sink_handle(
    struct sim *, const struct sim_req *, const char *name, struct sim_reply *);
void sim_sinks_free(struct sim *);

/* sim_ctl.c */
void sim_ctl_handle(
    struct sim *, const struct sim_req *, const char *rest, struct sim_reply *);

/* scenario.c */
int scenario_load(struct sim *, const char *path, char **cause);
void scenario_start(struct sim *);
void scenario_free(struct sim *);

/* The APIs. */
extern const struct sim_api sim_dds_api;

#endif
