/*
 * Secrets from where the config says they are: a file that only its owner
 * may read, an environment variable, or a systemd credential.  The value
 * never reaches a log line or an error message.
 */
#ifndef CREDENTIALS_H
#define CREDENTIALS_H

#include "config.h"

#define CREDENTIALS_MAX_BYTES 4096

/* 1 if a secret is configured (one of file, env, credential is set). */
int credentials_configured(const struct config_secret *s);
/*
 * Read the secret s points to into *out (caller frees with xfreesecret).
 * One trailing newline is stripped; empty, over-long and NUL-containing
 * secrets are refused.  On error return -1 with *cause set (caller frees);
 * the cause never contains the secret.
 */
int credentials_read(const struct config_secret *s, char **out, char **cause);

#endif
