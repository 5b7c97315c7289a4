/*
 * The configuration: libyaml is parsed into these plain structs, validated
 * and then never changed.  A reload builds a new struct config and swaps it
 * in; the old one is freed once nothing borrows from it.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shard.h"

#define CONFIG_DEFAULT_PATH "/etc/taskwatchd/taskwatchd.yaml"
#define CONFIG_CONTROL_SOCKET "/run/taskwatchd/control.sock"
/* sizeof(sockaddr_un.sun_path) on Linux */
#define CONFIG_SOCKET_PATH_MAX 108

struct tzfile;

enum config_cloud {
	CONFIG_CLOUD_HUAWEI,
	CONFIG_CLOUD_OTC,
	CONFIG_CLOUD_ALIBABA,
	CONFIG_CLOUD_COUNT
};

/*
 * The endpoint services of an account (the keys of its endpoints), in the
 * order they are printed: each has a row in config_services
 * (config_account.c) with the clouds that have it and its default host.
 */
enum config_service {
	CONFIG_SERVICE_DWS,
	CONFIG_SERVICE_DDS,
	CONFIG_SERVICE_GAUSSDB,
	CONFIG_SERVICE_IAM,
	CONFIG_SERVICE_EHPC,
	CONFIG_SERVICE_COUNT
};

enum config_auth_method {
	CONFIG_AUTH_NONE,  /* no auth key given: unsigned (simulator) */
	CONFIG_AUTH_AKSK,  /* huawei/otc */
	CONFIG_AUTH_TOKEN, /* huawei/otc IAM password token */
	CONFIG_AUTH_V2,    /* alibaba HMAC-SHA1 RPC */
	CONFIG_AUTH_V3,    /* alibaba ACS3-HMAC-SHA256 */
};

enum config_api {
	CONFIG_API_DWS_ACTIONS,
	CONFIG_API_DWS_LOGICAL,
	CONFIG_API_DDS_JOBS,
	CONFIG_API_GAUSSDB_TASKS,
	CONFIG_API_EHPC_TASKS,
	CONFIG_API_EHPC_OPERATIONS,
	CONFIG_API_COUNT
};

enum config_on_start {
	CONFIG_ON_START_BASELINE,
	CONFIG_ON_START_REPORT,
};

enum config_notifier_type {
	CONFIG_NOTIFIER_WEBHOOK,
	CONFIG_NOTIFIER_ALERTMANAGER,
	CONFIG_NOTIFIER_SYSLOG,
	CONFIG_NOTIFIER_EXEC,
	CONFIG_NOTIFIER_PAGERDUTY,
	CONFIG_NOTIFIER_EMAIL,
};

/* Whether an email notifier's smtp:// connection upgrades to TLS. */
enum config_starttls {
	CONFIG_STARTTLS_REQUIRED,
	CONFIG_STARTTLS_OPTIONAL,
	CONFIG_STARTTLS_OFF,
};

/* What an exec notifier's run budget is counted per (per:). */
enum config_hook_per {
	CONFIG_HOOK_PER_CLUSTER,
	CONFIG_HOOK_PER_TASK_TYPE,
	CONFIG_HOOK_PER_WATCH,
	CONFIG_HOOK_PER_NOTIFIER,
};

/* What an exec notifier's cooldown holds back (cooldown_per:). */
enum config_cooldown_per {
	CONFIG_COOLDOWN_PER_TASK,
	CONFIG_COOLDOWN_PER_CLUSTER,
};

/* The body of a webhook (notify_format.h). */
enum config_format {
	CONFIG_FORMAT_STANDARD, /* the event document */
	CONFIG_FORMAT_SLACK,    /* a Slack incoming-webhook message */
	CONFIG_FORMAT_TEAMS,    /* an Adaptive Card for a Teams workflow */
	CONFIG_FORMAT_TEMPLATE, /* the notifier's own template file */
};

/* Severity as used by events and rules. */
enum config_severity {
	CONFIG_SEVERITY_UNSET = -1,
	CONFIG_SEVERITY_INFO = 0,
	CONFIG_SEVERITY_WARNING,
	CONFIG_SEVERITY_CRITICAL,
};

/*
 * Where a secret comes from: exactly one of the three is set when the secret
 * is configured, none when it is absent.  The value itself is never stored in
 * the config; credentials.c reads it when needed.
 */
struct config_secret {
	char *file;       /* path, must not be group/world readable */
	char *env;        /* environment variable name */
	char *credential; /* name in $CREDENTIALS_DIRECTORY */
	/* The key that names it, for messages: "accounts[0].auth.x_file". */
	char *key;
	int line, col; /* of that key, 1-based; 0 if unknown */
};

struct config_kv {
	char *key;
	char *value;                 /* NULL when the value is a secret */
	struct config_secret secret; /* headers: value_file/_env/_credential */
};

struct config_strlist {
	char **v;
	size_t n;
};

/*
 * daemon.ha: replicas of one config (and shard) elect one active
 * instance through etcd.  netcd 0: no high availability (absent).
 */
struct config_ha {
	char **etcd;     /* endpoint URLs, http:// or https:// */
	size_t netcd;    /* 0: off */
	char *prefix;    /* keys live under it; default "/taskwatch" */
	uint64_t ttl_ms; /* election lease; whole seconds, default 10s */
	char *ca_file;   /* NULL: the system's CAs */
	char *cert_file; /* TLS client certificate; with key_file */
	char *key_file;  /* its key */
	char *user;      /* NULL: no etcd authentication */
	struct config_secret password; /* with user: password_file/_env/... */
	int line, col;                 /* of the ha key, for messages */
};

struct config_daemon {
	char *state_dir;        /* default /var/lib/taskwatchd */
	char *listen;           /* "" = disabled; default 127.0.0.1:9465 */
	char *control_socket;   /* "" = disabled; CONFIG_CONTROL_SOCKET */
	int control_socket_set; /* given in the file (a bind failure is fatal) */
	uint64_t shutdown_timeout_ms;  /* default 10s */
	unsigned max_concurrent_polls; /* default 64, 1..10000 */
	uint64_t max_response_bytes;   /* default 8MiB, 1KiB..1GiB */
	uint64_t audit_max_size;       /* audit.jsonl rotates; default 10MiB */
	struct shard shard;            /* count 0: unsharded (absent) */
	struct config_ha ha;           /* netcd 0: off */
};

struct config_account {
	char *name;
	enum config_cloud cloud;
	char *region;
	char *project_id; /* NULL if not given */
	enum config_auth_method auth_method;
	/* aksk: access_key / secret_key; v2/v3: access_key_id / access_key_secret */
	struct config_secret access_key;
	struct config_secret secret_key;
	/* token: user, domain, password */
	char *user;
	char *domain;
	struct config_secret password;
	/* By service; NULL = default from cloud + region (config_endpoint) */
	char *endpoints[CONFIG_SERVICE_COUNT];
	unsigned rate_limit_count;  /* "10/s": 10; 0 = none */
	uint64_t rate_limit_per_ms; /* "10/s": 1000 */
	char *tls_ca_file;
	int line; /* where it was defined */
	int col;
};

struct config_watch {
	char *name;
	char *account_name;
	struct config_account *account; /* borrowed, resolved */
	enum config_api api;
	/*
	 * dws.*, ehpc.*: the cluster IDs; empty with clusters_all, where
	 * the watch discovers them (and two watches whose clusters keys
	 * differ in kind always differ here too).
	 */
	struct config_strlist clusters;
	int clusters_all;                    /* clusters: all */
	struct config_strlist cluster_names; /* clusters: all: name globs */
	uint64_t discover_interval_ms;       /* clusters: all; default 10m */
	struct config_strlist actions;       /* dws.actions; default all 8 */
	/* Error answers meaning "none": HTTP statuses ("404"), codes. */
	struct config_strlist absent; /* dws.actions; default 404 */
	uint64_t interval_ms;         /* default 60s, >= 100ms */
	uint64_t timeout_ms;          /* default 10s */
	uint64_t lookback_ms;         /* default 7d, <= 30d */
	uint64_t stall_after_ms;      /* default 30m; 0 = off */
	unsigned fail_after;          /* default 3, 1..1000 */
	uint64_t flap_window_ms;      /* default 30m */
	unsigned flap_threshold;      /* default 3, 0..100; 0 = off */
	/*
	 * overdue: a RUNNING task older than overdue_factor (in hundredths;
	 * default 300, 0 = off) times the p95 of its learned durations, once
	 * overdue_min_samples (default 10) are known; or older than its
	 * type's max_duration: "GLOB\tMS" entries, first match wins
	 * (config_watch_max_duration).
	 */
	int overdue_factor_pct;
	unsigned overdue_min_samples;
	struct config_strlist max_duration;
	enum config_on_start on_start; /* default baseline */
	int timezone_offset_s;         /* zone-less times; default 0 */
	int line;
};

struct config_retry {
	uint64_t initial_ms;       /* default 500ms */
	uint64_t max_ms;           /* default 60s */
	uint64_t give_up_after_ms; /* default 24h */
};

struct config_notifier {
	char *name;
	enum config_notifier_type type;
	/* webhook */
	char *url;
	struct config_kv *headers;
	size_t nheaders;
	struct config_secret secret; /* HMAC key, optional */
	uint64_t timeout_ms;         /* webhook, exec; default 10s / 5m */
	struct config_retry retry;   /* webhook, alertmanager */
	/* alertmanager */
	struct config_strlist urls;
	uint64_t resolve_after_ms; /* default 24h */
	uint64_t repeat_ms;        /* default 1m */
	struct config_kv *labels;
	size_t nlabels;
	/* syslog */
	int facility; /* LOG_LOCAL3 etc; default LOG_DAEMON */
	/* exec */
	struct config_strlist command; /* argv, never a shell */
	unsigned max_concurrent;       /* default 4 */
	uint64_t cooldown_ms;          /* default 0 */
	char *user;                    /* optional run-as */
	int allow_root;                /* may run hooks as root */
	int dry_run;                   /* record hooks, run none */
	int send_silenced;             /* gets silenced events; default no */
	enum config_format format;     /* webhook: the body */
	char *template;                /* webhook: format template's file */
	/*
	 * exec guardrails: what the cooldown holds apart (default task), the
	 * run budget (max_runs, 0: none, per per_window_ms, default 1h,
	 * counted per, default cluster) and the circuit breaker (after
	 * break_after failures in a row, 0: none, for break_for_ms, 15m).
	 */
	enum config_cooldown_per cooldown_per;
	unsigned max_runs;
	uint64_t per_window_ms;
	enum config_hook_per per;
	unsigned break_after;
	uint64_t break_for_ms;
	/* email (url, timeout, retry above; user the SMTP login) */
	enum config_starttls starttls;
	char *tls_ca_file;
	char *from;
	struct config_strlist to;
	struct config_secret password; /* with user */
	uint64_t group_window_ms;      /* 0: a message per event */
	/* pagerduty (url, timeout and retry above) */
	struct config_secret routing_key;
	char *link; /* pagerduty, webhook: a URL template; NULL: none */
	int link_line, link_col; /* where its text starts in the file */
	int line;
	int col;
};

struct config_rule {
	char *name; /* default "rule-N" (1-based) */
	struct config_strlist match_event;
	struct config_strlist match_api;
	struct config_strlist match_watch;
	struct config_strlist match_task_type;
	struct config_strlist match_cluster;
	struct config_strlist match_from;
	struct config_strlist match_to;
	struct config_strlist match_account;
	enum config_severity severity;      /* UNSET = keep the default */
	struct config_strlist notify;       /* notifier names */
	struct config_notifier **notifiers; /* borrowed, resolved, nnotify */
	int cont;                           /* "continue"; default false */
	int line;
};

/*
 * A maintenance window: a recurring opening on some weekdays from "from"
 * to "to" (to <= from: into the next day) in a time zone, acting like a
 * silence over its match while open (maintenance.h computes the openings).
 */
struct config_maintenance {
	char *name;
	unsigned days;     /* bit 0 Monday .. bit 6 Sunday; default all */
	int from_min;      /* minutes after local midnight it opens */
	int to_min;        /* ... and closes (<= from_min: the next day) */
	char *timezone;    /* IANA name; default "UTC" */
	struct tzfile *tz; /* loaded with the config */
	/* Its match: only the match_* lists (config_match_keys) are used. */
	struct config_rule match;
	int line, col;
};

struct config {
	char *path;
	struct config_daemon daemon;
	struct config_account *accounts;
	size_t naccounts;
	struct config_watch *watches;
	size_t nwatches;
	struct config_notifier *notifiers;
	size_t nnotifiers;
	struct config_rule *rules;
	size_t nrules;
	struct config_maintenance *maintenance;
	size_t nmaintenance;
};

/*
 * Load and validate path.  On success return the config.  On failure return
 * NULL and set *errors to every problem found, one "file:line:col: message"
 * per line (caller frees).
 */
struct config *config_load(const char *path, char **errors);
/*
 * Read section.key from a config file that may not be valid as a whole
 * (taskwatchctl after a bad edit).  0 with *value set (NULL when the file
 * does not give it); -1 with *cause when the file is not readable YAML.
 */
int config_peek(const char *path, const char *section, const char *key,
    char **value, char **cause);
/* As config_load, reading from an open stream reported as path. */
struct config *config_load_stream(const char *path, FILE *fp, char **errors);
/* Free a config; NULL is a no-op. */
void config_free(struct config *conf);
/* Print the normalised config (every default filled in) as YAML, for -nv. */
void config_print(const struct config *conf, FILE *fp);
/* One notifier or rule as config_print writes it (caller frees). */
char *config_notifier_text(const struct config_notifier *nf);
char *config_rule_text(const struct config_rule *r);
/* Find an account, watch or notifier by name; NULL if none. */
struct config_account *config_find_account(
    const struct config *conf, const char *name);
struct config_watch *config_find_watch(
    const struct config *conf, const char *name);
struct config_notifier *config_find_notifier(
    const struct config *conf, const char *name);
/*
 * The warnings a start (and -n) gives about a loaded config: each is passed
 * to cb as "line:col: message" (line 0: no position).  The same function
 * serves the daemon's log and the -n output, so the text is written once.
 */
void config_warnings(const struct config *conf,
    void (*cb)(void *arg, int line, int col, const char *msg), void *arg);
/* 1 if region is one taskwatchd knows for cloud. */
int config_region_known(enum config_cloud cloud, const char *region);
/* The endpoint service ("dws", "dds", ...) an API's requests go to. */
const char *config_api_service(enum config_api api);
/* 1 if the account's endpoint for service is the cloud's default. */
int config_endpoint_is_default(
    const struct config_account *acct, const char *service);
/*
 * The base URL for a service ("dws", "dds", "gaussdb", "iam", "ehpc") of an
 * account: the configured endpoint or the cloud's default for the region.
 * Returns a newly allocated string without trailing slash.
 */
char *config_endpoint(const struct config_account *acct, const char *service);
/*
 * A maintenance window's match as the "field=glob" matchers silence_add
 * takes, one per value (a field's values OR, the fields AND); *v and its
 * *n strings are the caller's (config_maintenance_matchers_free).
 */
void config_maintenance_matchers(
    const struct config_maintenance *mw, char ***v, size_t *n);
/* Free what config_maintenance_matchers gave. */
void config_maintenance_matchers_free(char **v, size_t n);
/*
 * The max_duration of a task type on watch w, in ms: the first of its
 * globs that matches type; 0 if none does (or type is NULL).
 */
uint64_t config_watch_max_duration(
    const struct config_watch *w, const char *type);
/* "dds.jobs" etc. for an api, and back (-1 if unknown). */
const char *config_api_name(enum config_api api);
int config_api_from_name(const char *name);
/* "huawei" / "otc" / "alibaba". */
const char *config_cloud_name(enum config_cloud cloud);
/* "info" / "warning" / "critical", and back (-1 if unknown). */
const char *config_severity_name(enum config_severity sev);
int config_severity_from_name(const char *name);
/* "webhook", "alertmanager", "syslog", "exec". */
const char *config_notifier_type_name(enum config_notifier_type type);
/*
 * 1 if two watches have the same identity (name, account with its cloud,
 * region and project, API): a reload keeps the watch's tasks.
 */
int config_watch_same_identity(
    const struct config_watch *a, const struct config_watch *b);
/* Return 1 if two watches poll the same thing the same way. */
int config_watch_equal(
    const struct config_watch *a, const struct config_watch *b);

#endif
