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
