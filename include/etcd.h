/*
 * An etcd v3 client over the JSON gateway (/v3/...), asynchronous through
 * http.c on the libevent loop: leases, put, range, delete and
 * compare-and-put transactions.  Keys and values are plain bytes here; the
 * base64 the gateway wants is done inside.  Several endpoints: a request
 * that cannot reach one tries the next and the one that answered is kept.
 */
#ifndef ETCD_H
#define ETCD_H

#include <stddef.h>
#include <stdint.h>

struct http;
struct etcd;
struct etcd_req;

struct etcd_config {
	const char *const *endpoints; /* "http(s)://host:port", NULL-ended */
	const char *ca_file;          /* may be NULL */
	const char *cert_file;        /* TLS client certificate; may be NULL */
	const char *key_file;         /* its key; may be NULL */
	const char *user;             /* NULL: no authentication */
	const char *password;         /* secret: never logged */
	uint64_t timeout_ms;          /* per endpoint tried; 0 = 3 s */
};

enum etcd_status {
	ETCD_OK,
	ETCD_EUNAVAILABLE, /* no endpoint answered (network, timeout, 503) */
	ETCD_ENOTFOUND,    /* the lease (or key) does not exist */
	ETCD_EAUTH,        /* authentication failed or was refused */
	ETCD_ESERVER,      /* any other error answer of the server */
	ETCD_EPROTO,       /* an answer that is not what the API returns */
	ETCD_ECANCEL,      /* etcd_cancel or etcd_free */
};

/* A key-value pair of a range result; the strings are NUL-terminated. */
struct etcd_kv {
	const char *key;
	const char *value;
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t lease; /* 0: none */
};

/* What a request returned; valid only during the callback. */
struct etcd_result {
	enum etcd_status status;
	const char *errmsg;   /* status != ETCD_OK: one line, no secrets */
	const char *endpoint; /* the endpoint that answered, or NULL */
	int64_t revision;     /* the store's revision in the answer */
	int64_t lease_id;     /* lease grant */
	int64_t ttl_s;        /* lease grant and keepalive (0: lease gone) */
	int succeeded;        /* txn: the comparisons held */
	const struct etcd_kv *kvs; /* range, and ranges a txn ran */
	size_t nkvs;
	int64_t deleted; /* delete */
};

/* Called exactly once per request, never from within the call that made it. */
typedef void (*etcd_cb)(const struct etcd_result *r, void *arg);

/* What a txn compares (always for equality). */
enum etcd_cmp_target {
	ETCD_CMP_CREATE, /* the key's create revision (0: it does not exist) */
	ETCD_CMP_LEASE,  /* the lease the key is attached to */
	ETCD_CMP_VALUE,  /* the key's value */
};

struct etcd_cmp {
	const char *key;
	enum etcd_cmp_target target;
	int64_t n;         /* CREATE and LEASE */
	const char *value; /* VALUE */
};

/* A put: lease 0 for none. */
struct etcd_put {
	const char *key;
	const char *value;
	size_t value_len;
	int64_t lease;
};

/*
 * A transaction: if every comparison holds, the puts are done; otherwise
 * the keys of range are read (their pairs come back in the result's kvs).
 */
struct etcd_txn {
	const struct etcd_cmp *cmp;
	size_t ncmp;
	const struct etcd_put *put;
	size_t nput;
	const char *const *range;
	size_t nrange;
};

/*
 * A client sending through http (borrowed); NULL and *cause set (caller
 * frees) if the configuration is unusable.  The strings are copied.
 */
struct etcd *etcd_new(
    struct http *http, const struct etcd_config *cfg, char **cause);
/* Cancel every request (callbacks fire with ETCD_ECANCEL), then free. */
void etcd_free(struct etcd *e);
/* Cancel a request: its callback fires now with ETCD_ECANCEL. */
void etcd_cancel(struct etcd_req *r);
/* The endpoint requests go to first (the last that answered). */
const char *etcd_endpoint(const struct etcd *e);

/* Grant a lease of ttl_s seconds (result: lease_id, ttl_s). */
struct etcd_req *etcd_lease_grant(
    struct etcd *e, int64_t ttl_s, etcd_cb cb, void *arg);
/* Renew a lease once (result: ttl_s, 0 when the lease is gone). */
struct etcd_req *etcd_lease_keepalive(
    struct etcd *e, int64_t lease, etcd_cb cb, void *arg);
/* Revoke a lease, deleting its keys. */
struct etcd_req *etcd_lease_revoke(
    struct etcd *e, int64_t lease, etcd_cb cb, void *arg);
/* Put one key. */
struct etcd_req *etcd_put(
    struct etcd *e, const struct etcd_put *p, etcd_cb cb, void *arg);
/* Read a key, or every key starting with it when prefix. */
struct etcd_req *etcd_range(
    struct etcd *e, const char *key, int prefix, etcd_cb cb, void *arg);
/* Delete a key, or every key starting with it when prefix. */
struct etcd_req *etcd_delete(
    struct etcd *e, const char *key, int prefix, etcd_cb cb, void *arg);
/* Run a transaction (result: succeeded, kvs). */
struct etcd_req *etcd_txn(
    struct etcd *e, const struct etcd_txn *t, etcd_cb cb, void *arg);
/*
 * Create key with value under lease unless it exists (a txn); when it
 * exists, succeeded is 0 and kvs holds its current pair.
 */
struct etcd_req *etcd_create(
    struct etcd *e, const struct etcd_put *p, etcd_cb cb, void *arg);

/* Decode standard base64 into a new NUL-terminated string; NULL if invalid. */
char *etcd_base64_decode(const char *s, size_t *len);

#endif
