/*
 * Internal interface of taskwatch-sim, the cloud simulator: the shared state,
 * the request and reply a handler sees, the table each simulated API fills
 * in, and the entry points of the core modules (tasks, clusters, faults,
 * streams, sink, control API, scenario, bulk mode, authentication).
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
#define SIM_REPLY_MAX_HEADERS 6
#define SIM_CONTENT_TYPE "application/json;charset=utf8"
#define SIM_TIME_LEN 80

struct sim;
struct sim_task;
struct evhttp_request;
struct json;
struct json_writer;
struct evkeyvalq;
struct sim_fault;

/* Time formats of the vendors' answers (all UTC). */
enum sim_time_form {
	SIM_TIME_PLAIN, /* 2023-06-05 01:58:43 */
	SIM_TIME_DOT0,  /* 2025-05-19 09:05:10.0 */
	SIM_TIME_KEY,   /* 20250519_090729 */
	SIM_TIME_ISO,   /* 2025-05-19T09:05:10 */
};

/* One incoming request, as the handlers see it. */
struct sim_req {
	const char *method; /* "GET", "POST", ... */
	const char *uri;    /* path and query as received */
	const char *path;   /* raw path, no query */
	const char *query;  /* raw query or NULL */
	const char *body;   /* NUL-terminated */
	size_t body_len;
	struct evkeyvalq *headers;     /* borrowed */
	const struct sim_fault *fault; /* borrowed; the fault applied or NULL */
	char request_id[SIM_REQUEST_ID_LEN];
};

/* How the core sends a reply's body. */
enum sim_stream_mode {
	SIM_STREAM_NONE,      /* at once, with Content-Length */
	SIM_STREAM_OVERSIZED, /* generated, chunked, stream_bytes long */
	SIM_STREAM_TRICKLE,   /* the body, one byte per interval_ms */
	SIM_STREAM_RESET,     /* part of the body, then a TCP reset */
};

/* A reply being built; sent by the core. */
struct sim_reply {
	int status;
	struct buf body;
	const char *content_type; /* static; NULL: SIM_CONTENT_TYPE */
	char *hdr_name[SIM_REPLY_MAX_HEADERS];
	char *hdr_value[SIM_REPLY_MAX_HEADERS];
	size_t nhdrs;
	enum sim_stream_mode stream;
	uint64_t stream_bytes; /* oversized: size; reset: bytes sent first */
	unsigned interval_ms;  /* trickle */
};

/* One API endpoint: a name for counters and faults, a method and a path. */
struct sim_route {
	const char *endpoint; /* "dds.jobs" */
	const char *method;
	const char *pattern; /* {} is one segment */
	void (*handle)(
	    struct sim *, const struct sim_req *, struct sim_reply *);
	/* NULL, or 1 if this route takes a request its path matched. */
	int (*claim)(struct sim *, const struct sim_req *);
};

/* The clouds, for authentication and error bodies. */
enum sim_cloud {
	SIM_CLOUD_HUAWEI,
	SIM_CLOUD_ALIBABA,
};

/* A simulated cloud API: its routes, its task words and its errors. */
struct sim_api {
	const char *service;      /* "dds", "dws.actions": control API name */
	enum sim_cloud cloud;     /* how requests authenticate */
	const char *cluster_kind; /* "dws", "ehpc": tasks live in clusters */
	const char *default_status;
	const char *const *terminal; /* statuses that end a task */
	const char *const *keys;     /* task keys beyond the common ones */
	const struct sim_route *routes;
	size_t nroutes;
	/* Order of the listing index (cluster first if cluster_kind). */
	int (*cmp)(const void *, const void *);
	/* NULL, or -1 with *cause if a task name is not acceptable. */
	int (*check_name)(const char *name, char **cause);
	/* The vendor's error reply; code and msg NULL: chosen by status. */
	void (*error_reply)(const struct sim_req *, int status,
	    const char *code, const char *msg, struct sim_reply *);
};

/* A simulated task; never freed before exit, only marked deleted. */
struct sim_task {
	TAILQ_ENTRY(sim_task) entry;
	const struct sim_api *api; /* borrowed */
	char *id;
	char *name;            /* job name, action name, type, TaskType */
	char *instance_id;     /* instance, or cluster id */
	char *instance_name;   /* instance or cluster name */
	char *instance_status; /* GaussDB instance_info.instance_status */
	char *logical_cluster; /* DWS logical_cluster_name */
	char *status;          /* the vendor's word */
	char *fail_reason;     /* fail_reason, errorMsg, log, Errors message */
	char *step;            /* DWS currentStep */
	char *failed_step;     /* DWS failedStep */
	char *error_code;      /* DWS errorCode, E-HPC Errors code */
	char *result;          /* E-HPC Result text; NULL: generated */
	char *errors;          /* E-HPC Errors text; NULL: generated */
	char *request;         /* E-HPC Request text; NULL: generated */
	char *target;          /* E-HPC 2.0 Target of an operation */
	int progress;          /* percent */
	int total_steps;       /* E-HPC */
	int current_step;      /* E-HPC */
	int64_t created;       /* unix seconds */
	int64_t ended;         /* or UTIL_TIME_NONE */
	int created_set;       /* created given explicitly */
	int visible;           /* 0 until it appears */
	int deleted;
	int logged; /* its appearance is in the change log */
};
TAILQ_HEAD(sim_tasks, sim_task);

/* A set of changes to a task; NULL / -1 / UTIL_TIME_NONE = unchanged. */
struct sim_change {
	char *name;
	char *status;
	char *fail_reason;
	char *instance_status;
	char *step;
	char *failed_step;
	char *error_code;
	char *result;
	char *errors;
	char *request;
	char *target;
	int progress;
	int total_steps;
	int current_step;
	int64_t ended;
	int delete;
};

/* A cluster of a cluster-scoped service (DWS, E-HPC). */
struct sim_cluster {
	TAILQ_ENTRY(sim_cluster) entry;
	const char *kind; /* "dws" or "ehpc" (static) */
	char *id;
	char *name;
	char *region;   /* E-HPC; NULL: any RegionId */
	int generation; /* E-HPC 1 or 2 */
	/* List-clusters answers of its kind it is left out of (sim_discover) */
	unsigned hide_answers;
};
TAILQ_HEAD(sim_clusters, sim_cluster);

/* Modes of an injected fault. */
enum sim_fault_mode {
	SIM_FAULT_STATUS,
	SIM_FAULT_MALFORMED,
	SIM_FAULT_TRUNCATED,
	SIM_FAULT_LATENCY,
	SIM_FAULT_OVERSIZED,
	SIM_FAULT_DEEP,
	SIM_FAULT_UTF8,
	SIM_FAULT_TRICKLE,
	SIM_FAULT_RESET,
	SIM_FAULT_HTML,
	SIM_FAULT_EMPTY,
	SIM_FAULT_WRAPPED,
	SIM_FAULT_OMIT_EMPTY,
	SIM_FAULT_UNORDERED,
};

/* An injected fault. */
struct sim_fault {
	TAILQ_ENTRY(sim_fault) entry;
	unsigned id;
	char *endpoint; /* a glob, or "sink" */
	enum sim_fault_mode mode;
	int status;
	int status_given; /* status set explicitly */
	char *code;       /* vendor error code, or NULL */
	char *message;    /* vendor error message, or NULL */
	char *body;       /* NULL: the default */
	unsigned latency_ms;
	uint64_t bytes;         /* oversized size, reset prefix; 0: default */
	unsigned depth;         /* deep */
	unsigned interval_ms;   /* trickle */
	unsigned retry_after_s; /* status: Retry-After seconds; 0: default */
	unsigned count;         /* 0: until cleared */
	unsigned used;
	unsigned every; /* every nth request it covers; 0, 1: all */
	unsigned seen;  /* requests it covered with uses left */
};
TAILQ_HEAD(sim_faults, sim_fault);

/* A sorted view of one API's listed tasks, rebuilt when tasks come or go. */
struct sim_index {
	uint64_t gen;
	struct sim_task **v;
	size_t n;
};

/* Authentication methods an account may use (bits). */
#define SIM_AUTH_AKSK 0x01
#define SIM_AUTH_TOKEN 0x02
#define SIM_AUTH_V2 0x04
#define SIM_AUTH_V3 0x08

/* An account of the scenario: its credentials and how it may call. */
struct sim_account {
	TAILQ_ENTRY(sim_account) entry;
	char *name;
	enum sim_cloud cloud;
	unsigned methods; /* SIM_AUTH_* bits; 0: unsigned calls accepted */
	char *ak;         /* Huawei AK/SK */
	char *sk;
	char *user; /* Huawei IAM password login */
	char *password;
	char *domain;
	char *project_id; /* token.project.id */
	uint64_t token_lifetime_ms;
	char *access_key_id; /* Alibaba */
	char *access_key_secret;
};
TAILQ_HEAD(sim_accounts, sim_account);

/* Failed authentications by error code, for the counters. */
struct sim_auth_count {
	char *code;
	uint64_t n;
};

struct sim_sink;
TAILQ_HEAD(sim_sinks, sim_sink);
struct sim_pending;
TAILQ_HEAD(sim_pendings, sim_pending);
struct sim_stream;
TAILQ_HEAD(sim_streams, sim_stream);
struct scenario;
struct sim_bulk;
struct sim_auth;
struct sim_changes;
struct sim_life;

/* The simulator. */
struct sim {
	struct event_base *base;
	struct evhttp *http;
	struct sim_tasks tasks;
	struct sim_clusters clusters;
	struct sim_faults faults;
	unsigned next_fault_id;
	struct sim_sinks sinks;
	size_t nsinks;
	struct sim_pendings pending; /* replies held back */
	struct sim_streams streams;  /* replies being streamed */
	struct scenario *scenario;
	struct sim_bulk *bulk;
	struct sim_life *life;
	struct sim_changes *changes;
	struct sim_auth *auth;
	char *project_id;  /* from the scenario */
	int ehpc_wrapped;  /* serve E-HPC Tasks as {"TaskInfo": [...]} */
	int dws_fresh_ids; /* a new DWS action id in every answer */
	/* ListCommonLogs writes a row per state, not one row updated */
	int ehpc_rows_per_state;
	uint64_t start_mono_ms;
	int64_t start_wall_ms;
	uint64_t gen;                     /* bumped when tasks come or go */
	struct sim_index *indexes;        /* one per API */
	const struct sim_route **routes;  /* every API's routes */
	const struct sim_api **route_api; /* API of each route */
	uint64_t *counts;                 /* requests per route */
	size_t nroutes;
	uint64_t unmatched; /* paths with no route */
	struct sim_auth_count *auth_fails;
	size_t nauth_fails;
};

/* The service-specific codes of a Huawei error reply. */
struct sim_huawei_codes {
	const char *param;     /* 400 */
	const char *forbidden; /* 403; NULL: param */
	const char *internal;  /* other 5xx */
};

#define SIM_EX_USAGE 64
#define SIM_EX_CONFIG 78

/* sim.c */
void sim_init(struct sim *);
void sim_free(struct sim *);
int sim_listen(struct sim *, int port);
const struct sim_api *sim_api_find(const char *service);
size_t sim_api_count(void);
size_t sim_api_slot(const struct sim_api *);
int sim_endpoint_known(const struct sim *, const char *pattern);
int sim_json_keys(const struct json *, const char *const *keys, char **cause);
int sim_word_in(const char *word, const char *const *list);
int64_t sim_now(void);
void sim_random_hex(char *dst, size_t ndigits);
void sim_uuid(char dst[SIM_UUID_LEN], int upper);
void sim_format_time(
    int64_t t, enum sim_time_form form, char dst[SIM_TIME_LEN]);
char *sim_req_query(const struct sim_req *, const char *key);
const char *sim_req_header(const struct sim_req *, const char *name);
char *sim_path_segment(const struct sim_req *, size_t n);
int sim_req_int(const struct sim_req *, const char *key, long long min,
    long long max, long long *out);
void sim_reply_header(struct sim_reply *, const char *name, const char *value);
void sim_reply_set(struct sim_reply *, int status, const char *body);
void sim_reply_json(struct sim_reply *, int status, struct json_writer *);
void sim_reply_huawei(struct sim_reply *, int status, const char *code,
    const char *msg, const char *request_id);
void sim_huawei_error(const struct sim_req *, int status, const char *code,
    const char *msg, const struct sim_huawei_codes *, struct sim_reply *);
void sim_reply_ctl_error(struct sim_reply *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sim_count_auth_fail(struct sim *, const char *code);

/* sim_task.c */
struct sim_task *sim_task_new(
    struct sim *, const struct sim_api *, const char *id);
struct sim_task *sim_task_find(struct sim *, const char *id);
struct sim_task *sim_task_find_any(struct sim *, const char *id);
int sim_task_listed(const struct sim_task *);
int sim_task_terminal(const struct sim_task *);
void sim_task_apply(
    struct sim *, struct sim_task *, const struct sim_change *, int64_t now);
void sim_task_appear(struct sim *, struct sim_task *, int64_t now);
void sim_task_delete(struct sim *, struct sim_task *);
void sim_task_json(struct json_writer *, const struct sim_task *);
void sim_tasks_free(struct sim *);
int sim_task_valid_status(const char *status);
int sim_task_parse_progress(const char *s, int *out);
int sim_task_key_ok(const struct sim_api *, const char *key);
void sim_change_init(struct sim_change *);
void sim_change_clear(struct sim_change *);
struct sim_task **sim_index(struct sim *, const struct sim_api *, size_t *n);
size_t sim_index_cluster(
    struct sim_task **v, size_t n, const char *cluster, size_t *count);
int sim_task_cmp_created(const struct sim_task *, const struct sim_task *);
void sim_indexes_free(struct sim *);

/* sim_cluster.c */
struct sim_cluster *sim_cluster_find(
    struct sim *, const char *kind, const char *id);
struct sim_cluster *sim_cluster_add(struct sim *, const char *kind,
    const char *id, const char *name, const char *region);
void sim_cluster_json(struct json_writer *, const struct sim_cluster *);
void sim_clusters_free(struct sim *);

/* sim_fault.c */
struct sim_fault *sim_fault_match(struct sim *, const char *endpoint);
int sim_fault_add(
    struct sim *, const struct json *, char **cause, struct sim_fault **out);
void sim_fault_json(struct json_writer *, const struct sim_fault *);
void sim_fault_status_reply(const struct sim_fault *, const struct sim_api *,
    const struct sim_req *, struct sim_reply *);
void sim_fault_mangle(const struct sim_fault *, struct sim_reply *);
int sim_fault_omit_empty(const struct sim_req *);
int sim_fault_unordered(const struct sim_req *);
void sim_faults_clear(struct sim *);

/* sim_stream.c */
void sim_stream_start(struct sim *, struct evhttp_request *, struct sim_reply *,
    const char *line);
void sim_streams_free(struct sim *);

/* sim_sink.c */
void sim_sink_handle(
    struct sim *, const struct sim_req *, const char *name, struct sim_reply *);
int sim_sink_add(struct sim *, const char *name, const struct sim_req *);
void sim_sinks_free(struct sim *);

/* sim_pagerduty.c */
void sim_pagerduty_handle(
    struct sim *, const struct sim_req *, struct sim_reply *);

/* sim_ctl.c */
void sim_ctl_handle(
    struct sim *, const struct sim_req *, const char *rest, struct sim_reply *);

/* scenario.c */
int scenario_load(struct sim *, const char *path, char **cause);
void scenario_start(struct sim *);
void scenario_free(struct sim *);

/* sim_bulk.c */
int sim_bulk_parse(const char *spec, unsigned *clusters, unsigned *tasks);
int sim_bulk_parse_rate(const char *spec, unsigned *per_s);
int sim_bulk_setup(struct sim *, const char *api, unsigned clusters,
    unsigned tasks, unsigned per_s, char **cause);
void sim_bulk_free(struct sim *);

/* sim_changes.c */
const char *sim_changes_api_name(const struct sim_api *);
const char *sim_changes_state(const struct sim_api *, const char *status);
void sim_changes_note(struct sim *, const struct sim_task *, const char *what);
void sim_changes_json(struct sim *, int64_t since_ms, uint64_t after,
    size_t limit, struct json_writer *);
void sim_changes_clear(struct sim *);
void sim_changes_free(struct sim *);

/* sim_life.c */
int sim_life_setup(struct sim *, uint64_t seed, unsigned tasks,
    unsigned clusters, char **cause);
void sim_life_start(struct sim *);
void sim_life_free(struct sim *);

/* sim_auth.c */
struct sim_account *sim_auth_account_new(struct sim *, const char *name);
int sim_auth_check(struct sim *, const struct sim_api *, const struct sim_req *,
    struct sim_reply *);
void sim_auth_free(struct sim *);

/* sim_ehpc.c: Alibaba errors, shared with authentication and E-HPC 2.0. */
int sim_ali_wants_xml(const struct sim_req *);
void sim_reply_alibaba(const struct sim_req *, struct sim_reply *, int status,
    const char *code, const char *msg);
void sim_ehpc_error_reply(const struct sim_req *, int status, const char *code,
    const char *msg, struct sim_reply *);
char *sim_ehpc_param(
    const struct sim_req *, const char *key, const char *header);
int sim_ali_action_is(const struct sim_req *, const char *name);
void sim_ehpc_request_id(const struct sim_req *, char dst[SIM_UUID_LEN]);

/* The APIs. */
extern const struct sim_api sim_dds_api;
extern const struct sim_api sim_dws_actions_api;
extern const struct sim_api sim_dws_logical_api;
extern const struct sim_api sim_gaussdb_api;
extern const struct sim_api sim_ehpc_api;
extern const struct sim_api sim_ehpc2_api;
extern const struct sim_api sim_iam_api;

/* sim_discover.c: the list-clusters calls, and their control API. */
extern const struct sim_api sim_dws_clusters_api;
extern const struct sim_api sim_ehpc_clusters_api;
void sim_discover_ctl(
    struct sim *, const struct sim_req *, const char *rest, struct sim_reply *);

/* sim_dds.c */
void sim_dds_job_reply(const struct sim_task *, struct sim_reply *);

/* sim_dws.c */
int sim_dws_action_valid(const char *name);

#endif
