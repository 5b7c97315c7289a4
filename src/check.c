/*
 * The configuration check of `taskwatchd -n` and `taskwatchctl check`, one
 * function for both: the file's errors, else every secret read (all
 * problems at once, with notes for what only systemd can provide), then
 * the warnings a start would log, from the same config_warnings.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "credentials.h"
#include "notify.h"
#include "xmalloc.h"

/* A config warning (config_warnings) to stderr. */
static void
check_warning_cb(void *arg, int line, int col, const char *msg)
{
	const struct config *conf = arg;

	fprintf(stderr, "%s:%d:%d: warning: %s\n", conf->path, line, col, msg);
}

/*
 * What a loaded config must pass before it is used (see check.h): every
 * secret read, every template compiled.
 */
size_t
check_loaded(const struct config *conf, char **errors, char **notes)
{
	char *more = NULL, *both;
	size_t n;

	n = credentials_check(conf, errors, notes);
	n += notify_check(conf, &more);
	if (*more != '\0') {
		both = xasprintf("%s%s", *errors, more);
		free(*errors);
		*errors = both;
	}
	free(more);
	return n;
}

/* Check the config at path (see check.h). */
int
check_config(const char *path, int verbose)
{
	struct config *conf;
	char *errors = NULL, *notes = NULL;
	size_t n;

	if ((conf = config_load(path, &errors)) == NULL) {
		fputs(errors != NULL ? errors : "invalid config\n", stderr);
		free(errors);
		return CHECK_EX_CONFIG;
	}
	free(errors);
	n = check_loaded(conf, &errors, &notes);
	fputs(errors, stderr);
	fputs(notes, stderr);
	config_warnings(conf, check_warning_cb, conf);
	free(errors);
	free(notes);
	if (n == 0) {
		if (verbose) {
			fflush(stderr);
			config_print(conf, stdout);
		} else
			fprintf(stderr, "configuration OK\n");
	}
	config_free(conf);
	return n > 0 ? CHECK_EX_CONFIG : 0;
}
