/*
 * The daemon section of the configuration: where state lives, what the
 * daemon listens on, its global limits.
 */
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

static const char *const config_daemon_keys[] = { "state_dir", "listen",
	"shutdown_timeout", "max_concurrent_polls", "max_response_bytes",
	"control_socket", NULL };

/* Parse the daemon section. */
void
config_parse_daemon(struct config_parse *p, const struct config_pair *dkv)
{
	struct config_daemon *d = &p->conf->daemon;
	const struct config_pair *kv;
	struct config_map m;
	const char *s;
	char *v;

	if (config_map_open(p, dkv->vnode, "daemon", 1, &m) == -1)
		return;
	config_map_check(p, &m, config_daemon_keys, NULL, "in daemon");
	if ((kv = config_map_find(&m, "state_dir")) != NULL &&
	    (v = config_abspath(p, kv)) != NULL) {
		free(d->state_dir);
		d->state_dir = v;
	}
	if ((kv = config_map_find(&m, "listen")) != NULL &&
	    (s = config_scalar(p, kv, "a string")) != NULL) {
		const char *port, *cause, *h;
		long long pn;
		int ok = 1;

		if (*s == '\0')
			port = NULL;
		else if (*s == '[') {
			h = strchr(s, ']');
			if (h == NULL || h == s + 1 || h[1] != ':')
				ok = 0;
			else {
				char *host = xstrndup(s + 1, h - s - 1);

				ok = config_chars_ok(host, ":.%") &&
				    strchr(host, ':') != NULL;
				free(host);
			}
			port = h != NULL ? h + 2 : NULL;
		} else {
			port = strrchr(s, ':');
			if (port == NULL || port == s) {
				ok = 0;
			} else {
				char *host = xstrndup(s, port - s);

				ok = config_chars_ok(host, ".-");
				free(host);
				port++;
			}
		}
		if (!ok)
			config_error(p, kv->vnode,
			    "invalid listen address %s: "
			    "use host:port, [v6addr]:port or \"\" to disable",
			    config_q(p, s));
		else if (port != NULL &&
		    util_strtonum(port, 1, 65535, &pn, &cause) == -1)
			config_error(p, kv->vnode,
			    "invalid listen port in %s: "
			    "must be 1..65535",
			    config_q(p, s));
		else {
			free(d->listen);
			d->listen = xstrdup(s);
		}
	}
	if ((kv = config_map_find(&m, "control_socket")) != NULL &&
	    (s = config_scalar(p, kv, "a string")) != NULL) {
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
	if ((kv = config_map_find(&m, "shutdown_timeout")) != NULL)
		config_duration(
		    p, kv, 0, 10 * CONFIG_MIN, 0, &d->shutdown_timeout_ms);
	if ((kv = config_map_find(&m, "max_concurrent_polls")) != NULL)
		config_uint(p, kv, 1, 10000, &d->max_concurrent_polls);
	if ((kv = config_map_find(&m, "max_response_bytes")) != NULL)
		config_size(
		    p, kv, 1024, 1024 * 1024 * 1024, &d->max_response_bytes);
	config_map_close(&m);
}
