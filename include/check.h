/*
 * The configuration check behind `taskwatchd -n` and `taskwatchctl check`:
 * load the file, read every secret it names, and print every problem, note
 * and start warning at once.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>

#define CHECK_EX_CONFIG 78

/*
 * Check the config at path, printing to stderr (and with verbose the
 * normalised config to stdout).  Return 0 if it is fine, CHECK_EX_CONFIG
 * on any error.
 */
int check_config(const char *path, int verbose);

struct config;
/*
 * What a loaded config must pass before a start or reload uses it: every
 * secret it names is read (credentials_check, notes as there) and every
 * template compiled (notify_check).  The number of errors; *errors (and
 * *notes when non-NULL) set either way, caller frees.
 */
size_t check_loaded(const struct config *conf, char **errors, char **notes);

#endif
