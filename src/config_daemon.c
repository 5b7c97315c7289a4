/*
 * The daemon section of the configuration: where state lives, what the
 * daemon listens on, its global limits.
 */
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config_impl.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define D(f) offsetof(struct config_daemon, f)

/*
 * Check "host:port" or "[v6addr]:port": 0 if good, -1 if it has another
 * form, -2 if the port is not 1 to 65535.
 */
static int
config_daemon_hostport(const char *s)
{
	const char *h, *port, *cause;
	char *host;
	long long pn;
	int ok;

	if (*s == '[') {
		h = strchr(s, ']');
		if (h == NULL || h == s + 1 || h[1] != ':')
			return -1;
		host = xstrndup(s + 1, h - s - 1);
		ok = config_chars_ok(host, ":.%") && strchr(host, ':') != NULL;
		port = h + 2;
	} else {
		if ((port = strrchr(s, ':')) == NULL || port == s)
			return -1;
		host = xstrndup(s, port - s);
		ok = config_chars_ok(host, ".-");
		port++;
	}
	free(host);
	if (!ok)
		return -1;
	return util_strtonum(port, 1, 65535, &pn, &cause) == -1 ? -2 : 0;
}

/* Read listen: host:port, [v6addr]:port or "" (off). */
static void
config_daemon_listen(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_daemon *d = it->obj;
	const char *s;
	int rc;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return;
	rc = *s == '\0' ? 0 : config_daemon_hostport(s);
	if (rc == -1)
		config_error(p, kv->vnode,
		    "invalid listen address %s: "
		    "use host:port, [v6addr]:port or \"\" to disable",
		    config_q(p, s));
	else if (rc == -2)
		config_error(p, kv->vnode,
		    "invalid listen port in %s: "
		    "must be 1..65535",
		    config_q(p, s));
	else {
		free(d->listen);
		d->listen = xstrdup(s);
	}
}

/* Read control_socket: an absolute path or "" (off). */
static void
config_daemon_control(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_daemon *d = it->obj;
	const char *s;

	if ((s = config_scalar(p, kv, "a string")) == NULL)
		return;
	if (*s != '\0' && *s != '/')
		config_error(p, kv->vnode,
		    "control_socket must be an absolute path or \"\" "
		    "to disable");
	else if (strlen(s) >= CONFIG_SOCKET_PATH_MAX)
		config_error(p, kv->vnode,
		    "control_socket is longer than %d bytes",
		    CONFIG_SOCKET_PATH_MAX - 1);
	else {
		free(d->control_socket);
		d->control_socket = xstrdup(s);
		d->control_socket_set = 1;
	}
}

/* The keys of daemon.shard, both required. */
const struct config_key config_shard_keys[] = {
	{ .name = "index",
	    .type = CONFIG_T_UINT,
	    .flags = CONFIG_K_REQUIRED,
	    .max = SHARD_COUNT_MAX - 1,
	    .off = D(shard.index) },
	{ .name = "count",
	    .type = CONFIG_T_UINT,
	    .flags = CONFIG_K_REQUIRED,
	    .min = 1,
	    .max = SHARD_COUNT_MAX,
	    .off = D(shard.count) },
	{ .name = NULL },
};

/*
 * Read the mapping of kv (what: its name in messages) by keys into obj;
 * the map stays open in it->m for the caller to close.  -1 if kv is no
 * mapping (said).
 */
static int
config_daemon_walk(struct config_item *it, struct config_parse *p,
    const struct config_pair *kv, const char *what, int null_ok,
    const struct config_key *keys, void *obj, char *where)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	it->obj = obj;
	it->kind = -1;
	it->where = where;
	if (config_map_open(p, kv->vnode, what, null_ok, &it->m) == -1)
		return -1;
	config_map_check_keys(p, &it->m, keys, it->where);
	config_keys_walk(it, keys);
	return 0;
}

/* Read shard: {index, count}, index < count; absent: unsharded. */
static void
config_daemon_shard(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_parse *p = it->p;
	struct config_daemon *d = it->obj;
	struct config_item sit;
	char where[] = "in daemon.shard";
	const struct config_pair *ikv;

	if (config_daemon_walk(
		&sit, p, kv, "shard", 0, config_shard_keys, d, where) == -1)
		return;
	ikv = config_map_find(&sit.m, "index");
	if (d->shard.count > 0 && d->shard.index >= d->shard.count)
		config_error(p, ikv != NULL ? ikv->vnode : kv->vnode,
		    "shard index %u is not below count %u: the shards of "
		    "count %u are 0..%u",
		    d->shard.index, d->shard.count, d->shard.count,
		    d->shard.count - 1);
	else if (d->shard.count == 0)
		d->shard.index = 0; /* incomplete: stays unsharded */
	config_map_close(&sit.m);
}

#define H(f) offsetof(struct config_ha, f)
#define CONFIG_HA_ENDPOINTS_MAX 16
#define CONFIG_HA_PREFIX_MAX 128

/*
 * Why s is no etcd endpoint, http(s)://host:port with nothing after the
 * port; NULL if it is one.  The reasons never quote s: it may hold a
 * password.
 */
static const char *
config_ha_endpoint_bad(const char *s)
{
	const char *h, *end;
	char *hostport;
	int rc;

	if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else
		return "must be an http:// or https:// URL";
	if (strchr(s, '@') != NULL)
		return "must not hold a user or password: use user and "
		       "password_file";
	end = h + strcspn(h, "/?#");
	if (*end != '\0')
		return "must have no path, query or fragment: "
		       "http(s)://host:port";
	hostport = xstrndup(h, end - h);
	rc = config_daemon_hostport(hostport);
	free(hostport);
	if (rc == -1)
		return "must be http(s)://host:port or "
		       "http(s)://[v6addr]:port";
	if (rc == -2)
		return "has a port that is not 1..65535";
	return NULL;
}

/*
 * Read etcd: 1 to 16 endpoints, each reported where it is written.  The
 * list is kept as written: a bad entry fails the load anyway.
 */
static void
config_ha_etcd(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_ha *ha = it->obj;
	struct config_strlist l = { NULL, 0 };
	yaml_node_t **nodes;
	const char *why;
	size_t i;

	config_strlist(it->p, kv, 0, &l, &nodes);
	if (kv->vnode->type == YAML_SEQUENCE_NODE &&
	    kv->vnode->data.sequence.items.start ==
		kv->vnode->data.sequence.items.top)
		config_error(it->p, kv->vnode, "etcd must not be empty");
	else if (l.n > CONFIG_HA_ENDPOINTS_MAX)
		config_error(it->p, nodes[CONFIG_HA_ENDPOINTS_MAX],
		    "etcd lists more than %d endpoints",
		    CONFIG_HA_ENDPOINTS_MAX);
	for (i = 0; i < l.n; i++) {
		if ((why = config_ha_endpoint_bad(l.v[i])) != NULL)
			config_error(it->p, nodes[i], "each of etcd %s", why);
	}
	ha->etcd = l.v;
	ha->netcd = l.n;
	free(nodes);
}

/*
 * Read prefix: the etcd keys live under it, so it starts with "/", does
 * not end with one and is printable ASCII without spaces.
 */
static void
config_ha_prefix(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_ha *ha = it->obj;
	const char *s, *c, *why = NULL;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	for (c = s; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			break;
	}
	if (*c != '\0')
		why = "must be printable ASCII without spaces";
	else if (*s != '/')
		why = "must start with \"/\", such as /taskwatch";
	else if (s[strlen(s) - 1] == '/')
		why = "must not end with \"/\"";
	else if (strlen(s) > CONFIG_HA_PREFIX_MAX)
		why = "is longer than 128 bytes";
	if (why != NULL) {
		config_error(it->p, kv->vnode, "prefix %s", why);
		return;
	}
	free(ha->prefix);
	ha->prefix = xstrdup(s);
}

/* Read ttl: whole seconds (the etcd lease's unit) in the row's range. */
static void
config_ha_ttl(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	uint64_t ms;

	if (config_duration(it->p, kv, 0, UINT64_MAX, 0, &ms) == -1)
		return;
	if (ms % CONFIG_SEC != 0)
		config_error(it->p, kv->vnode, "ttl must be whole seconds");
	else
		config_key_read(it->p, k, kv, it->obj);
}

/* Read the etcd password: a secret, given with user and only with it. */
static void
config_ha_password(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_ha *ha = it->obj;
	int user = config_map_find(&it->m, "user") != NULL;

	config_secret(it->p, &it->m, "daemon.ha", "password", user, "user",
	    &ha->password);
	if (!user && config_secret_set(&ha->password))
		config_error(
		    it->p, it->m.node, "password is used only with user");
}

/*
 * Check the TLS keys of daemon.ha: cert_file and key_file go together,
 * and none of them is given with http:// endpoints only.
 */
static void
config_ha_tls(struct config_item *it)
{
	static const char *const tls[] = { "ca_file", "cert_file", "key_file",
		NULL };
	struct config_ha *ha = it->obj;
	const struct config_pair *cert, *key, *kv;
	size_t i;
	int https = 0;

	cert = config_map_find(&it->m, "cert_file");
	key = config_map_find(&it->m, "key_file");
	if ((cert == NULL) != (key == NULL))
		config_error(it->p, (cert != NULL ? cert : key)->knode,
		    "cert_file and key_file go together: %s is missing",
		    cert != NULL ? "key_file" : "cert_file");
	for (i = 0; i < ha->netcd; i++)
		https |= strncmp(ha->etcd[i], "https://", 8) == 0;
	for (i = 0; ha->netcd > 0 && !https && tls[i] != NULL; i++) {
		if ((kv = config_map_find(&it->m, tls[i])) != NULL)
			config_error(it->p, kv->knode,
			    "%s has no effect without https:// endpoints",
			    tls[i]);
	}
}

/* The keys of daemon.ha, in the order of the manual; user before password. */
const struct config_key config_ha_keys[] = {
	{ .name = "etcd",
	    .type = CONFIG_T_OTHER,
	    .flags = CONFIG_K_REQUIRED,
	    .off = CONFIG_NOFIELD,
	    .parse = config_ha_etcd },
	{ .name = "prefix",
	    .type = CONFIG_T_STRING,
	    .def_str = "/taskwatch",
	    .off = H(prefix),
	    .parse = config_ha_prefix },
	{ .name = "ttl",
	    .type = CONFIG_T_DURATION,
	    .min = 2 * CONFIG_SEC,
	    .max = 300 * CONFIG_SEC,
	    .def = 10 * CONFIG_SEC,
	    .off = H(ttl_ms),
	    .parse = config_ha_ttl },
	{ .name = "ca_file", .type = CONFIG_T_PATH, .off = H(ca_file) },
	{ .name = "cert_file", .type = CONFIG_T_PATH, .off = H(cert_file) },
	{ .name = "key_file", .type = CONFIG_T_PATH, .off = H(key_file) },
	{ .name = "user", .type = CONFIG_T_STRING, .off = H(user) },
	{ .name = "password_file",
	    .type = CONFIG_T_OTHER,
	    .flags = CONFIG_K_ABSENT,
	    .off = CONFIG_NOFIELD,
	    .parse = config_ha_password },
	{ .name = "password_env",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD },
	{ .name = "password_credential",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD },
	{ .name = "password", .type = CONFIG_T_INLINE },
	{ .name = NULL },
};

/* Read ha: {etcd, ...}; absent: no high availability (netcd 0). */
static void
config_daemon_ha(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_daemon *d = it->obj;
	struct config_item hit;
	char where[] = "in daemon.ha";

	d->ha.line = (int)kv->knode->start_mark.line + 1;
	d->ha.col = (int)kv->knode->start_mark.column + 1;
	config_keys_default(config_ha_keys, -1, &d->ha);
	if (config_daemon_walk(
		&hit, it->p, kv, "ha", 0, config_ha_keys, &d->ha, where) == -1)
		return;
	config_ha_tls(&hit);
	config_map_close(&hit.m);
}

/* Free what daemon.ha holds. */
void
config_ha_free(struct config_ha *ha)
{
	struct config_strlist etcd = { ha->etcd, ha->netcd };

	config_strlist_free(&etcd);
	config_keys_free(config_ha_keys, ha);
	config_secret_free(&ha->password);
	memset(ha, 0, sizeof(*ha));
}

/* The daemon section, in the order of the manual. */
const struct config_key config_daemon_keys[] = {
	{ .name = "state_dir",
	    .type = CONFIG_T_PATH,
	    .def_str = "/var/lib/taskwatchd",
	    .off = D(state_dir) },
	{ .name = "listen",
	    .type = CONFIG_T_STRING,
	    .def_str = "127.0.0.1:9465",
	    .off = D(listen),
	    .parse = config_daemon_listen },
	{ .name = "shutdown_timeout",
	    .type = CONFIG_T_DURATION,
	    .max = 10 * CONFIG_MIN,
	    .def = 10 * CONFIG_SEC,
	    .off = D(shutdown_timeout_ms) },
	{ .name = "max_concurrent_polls",
	    .type = CONFIG_T_UINT,
	    .min = 1,
	    .max = 10000,
	    .def = 64,
	    .off = D(max_concurrent_polls) },
	{ .name = "max_response_bytes",
	    .type = CONFIG_T_SIZE,
	    .min = 1024,
	    .max = 1024 * 1024 * 1024,
	    .def = 8 * 1024 * 1024,
	    .off = D(max_response_bytes) },
	{ .name = "control_socket",
	    .type = CONFIG_T_STRING,
	    .def_str = CONFIG_CONTROL_SOCKET,
	    .off = D(control_socket),
	    .parse = config_daemon_control },
	{ .name = "audit_max_size",
	    .type = CONFIG_T_SIZE,
	    .min = 4096,
	    .max = 1024 * 1024 * 1024,
	    .def = 10 * 1024 * 1024,
	    .off = D(audit_max_size) },
	{ .name = "shard",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_daemon_shard },
	{ .name = "ha",
	    .type = CONFIG_T_OTHER,
	    .off = CONFIG_NOFIELD,
	    .parse = config_daemon_ha },
	{ .name = NULL },
};

/* Parse the daemon section. */
void
config_parse_daemon(struct config_parse *p, const struct config_pair *dkv)
{
	struct config_item it;
	char where[] = "in daemon";

	if (config_daemon_walk(&it, p, dkv, "daemon", 1, config_daemon_keys,
		&p->conf->daemon, where) == -1)
		return;
	config_map_close(&it.m);
}
