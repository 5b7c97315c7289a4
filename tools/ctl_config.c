/*
 * taskwatchctl's reading of the daemon's config: the loaded value when the
 * file is valid (defaults filled in), else the raw value config_peek finds,
 * with a warning naming the first problem.  The operator reaches the
 * running daemon even after a bad edit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl_config.h"
#include "xmalloc.h"

/* The loaded value of daemon.key; NULL for a key this file does not know. */
static const char *
ctl_config_loaded(const struct config *conf, const char *key)
{
	if (strcmp(key, "listen") == 0)
		return conf->daemon.listen;
	if (strcmp(key, "control_socket") == 0)
		return conf->daemon.control_socket;
	return NULL;
}

/* daemon.KEY of file (see ctl_config.h). */
int
ctl_config_daemon_key(const char *file, const char *key, char **value)
{
	const char *path = file ? file : CONFIG_DEFAULT_PATH, *v, *nl;
	struct config *conf;
	char *errors = NULL, *cause = NULL;

	*value = NULL;
	if (file == NULL && access(path, F_OK) == -1)
		return 0;
	if ((conf = config_load(path, &errors)) != NULL) {
		v = ctl_config_loaded(conf, key);
		*value = v != NULL ? xstrdup(v) : NULL;
		config_free(conf);
		return 0;
	}
	nl = errors ? strchr(errors, '\n') : NULL;
	fprintf(stderr, "taskwatchctl: warning: %.*s\n",
	    errors ? (int)(nl ? nl - errors : (long)strlen(errors)) : 0,
	    errors ? errors : "");
	free(errors);
	if (config_peek(path, "daemon", key, value, &cause) == 0 &&
	    *value != NULL) {
		fprintf(stderr,
		    "taskwatchctl: warning: %s does not load (run "
		    "taskwatchctl check); using its daemon.%s %s\n",
		    path, key, *value);
		return 0;
	}
	free(cause);
	fprintf(stderr,
	    "taskwatchctl: warning: no daemon.%s read from %s; using the "
	    "default\n",
	    key, path);
	return 0;
}
