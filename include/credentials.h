/*
 * Secrets from where the config says they are: a file that only its owner
 * may read, an environment variable, or a systemd credential.  The value
 * never reaches a log line or an error message.
 */
#ifndef CREDENTIALS_H
#define CREDENTIALS_H

#include <stdint.h>

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

/*
 * Read every secret conf names (account keys and passwords, webhook signing
 * secrets, webhook header values) and forget each at once.  Each one that
 * cannot be read adds a line "file:line:col: key: cause" to *errors, where
 * the position and key are those of the config key naming the secret.
 * With notes non-NULL (-n), a systemd credential while $CREDENTIALS_DIRECTORY
 * is unset cannot be checked: it adds a "file:line:col: note: ..." line to
 * *notes instead of an error.  Return the number of errors; *errors and
 * *notes are set (caller frees) either way.
 */
size_t credentials_check(
    const struct config *conf, char **errors, char **notes);

/*
 * The key pairs of accounts that sign requests (aksk, v2, v3), read once
 * and kept until cleared, keyed by account name and where the secrets are.
 */
struct credentials_cache;

/* An empty cache. */
struct credentials_cache *credentials_cache_new(void);
/* Wipe and free every cached secret and the cache; NULL is a no-op. */
void credentials_cache_free(struct credentials_cache *cc);
/* Wipe every cached secret (reload): the next use reads them again. */
void credentials_cache_clear(struct credentials_cache *cc);
/*
 * The access key (id) and secret of an account, read on first use.  The
 * pointers stay valid until the cache is cleared or freed.  On error return
 * -1 with *cause set (caller frees; names the account and the file or
 * variable, never a secret).
 */
int credentials_cache_pair(struct credentials_cache *cc,
    const struct config_account *acct, const char **key, const char **secret,
    char **cause);
/*
 * A digest of what authenticates an account (method, user, domain, where
 * its secrets live and their values, or why they cannot be read), for
 * telling on reload whether it changed; never logged.  Reads the secrets.
 */
uint64_t credentials_account_digest(const struct config_account *a);

#endif
