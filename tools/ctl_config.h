/*
 * What taskwatchctl reads from the daemon's config: one daemon key, taken
 * even from a file that no longer loads as a whole (a bad edit the running
 * daemon has not taken), with a warning.
 */
#ifndef CTL_CONFIG_H
#define CTL_CONFIG_H

/*
 * daemon.KEY ("listen" or "control_socket") of file (NULL: the default
 * config, if it exists).  0 with *value set, or NULL when the file does
 * not give it (the caller's default applies); never fails for a bad file.
 */
int ctl_config_daemon_key(const char *file, const char *key, char **value);

#endif
