/*
 * Unit tests for reading secrets: file mode refusal with its exact cause,
 * trailing newline handling, size and content limits, environment
 * variables, $CREDENTIALS_DIRECTORY, and causes that never hold the secret.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "credentials.h"
#include "xmalloc.h"

#define TEST_SECRET "TOPSECRET-value-42"

static char test_dir[] = "/tmp/test_credentials.XXXXXX";

/* Write len bytes to dir/name with mode; return the path (caller frees). */
static char *
test_write(const char *name, const void *data, size_t len, mode_t mode)
{
	char *path = xasprintf("%s/%s", test_dir, name);
	FILE *fp;

	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Read the secret of a file config; return 0/-1 with *out or *cause. */
static int
test_read_file(const char *path, char **out, char **cause)
{
	struct config_secret s = { .file = (char *)path };

	return credentials_read(&s, out, cause);
}

/* Make the scratch directory. */
static int
test_setup(void **state)
{
	if (mkdtemp(test_dir) == NULL)
		return -1;
	return 0;
}

/* Remove the scratch directory and what is in it. */
static int
test_teardown(void **state)
{
	static const char *names[] = { "ok", "group", "world", "nl2", "crlf",
		"empty", "long", "max", "nul", "cred", "nl", "ak", "sk",
		"sk2" };
	size_t i;
	char *p;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = xasprintf("%s/%s", test_dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(test_dir);
	return 0;
}

/* A 0600 file is read; one trailing newline is stripped. */
static void
test_file_ok(void **state)
{
	char *path, *out, *cause;

	path =
	    test_write("ok", TEST_SECRET "\n", strlen(TEST_SECRET) + 1, 0600);
	assert_int_equal(test_read_file(path, &out, &cause), 0);
	assert_string_equal(out, TEST_SECRET);
	xfreesecret(out);
	free(path);

	/* Without a newline, and with only one of two stripped. */
	path = test_write("nl", TEST_SECRET, strlen(TEST_SECRET), 0400);
	assert_int_equal(test_read_file(path, &out, &cause), 0);
	assert_string_equal(out, TEST_SECRET);
	xfreesecret(out);
	free(path);
	path = test_write("nl2", "ab\n\n", 4, 0600);
	assert_int_equal(test_read_file(path, &out, &cause), 0);
	assert_string_equal(out, "ab\n");
	xfreesecret(out);
	free(path);
	path = test_write("crlf", "ab\r\n", 4, 0600);
	assert_int_equal(test_read_file(path, &out, &cause), 0);
	assert_string_equal(out, "ab");
	xfreesecret(out);
	free(path);
}

/* Group- or world-readable files are refused with the exact cause. */
static void
test_file_mode(void **state)
{
	char *path, *out, *cause, *want;

	path = test_write("group", TEST_SECRET, strlen(TEST_SECRET), 0640);
	out = (char *)1;
	assert_int_equal(test_read_file(path, &out, &cause), -1);
	assert_null(out);
	want = xasprintf("%s: mode 0640, must not be readable by group or "
			 "others (chmod 600 %s)",
	    path, path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	path = test_write("world", TEST_SECRET, strlen(TEST_SECRET), 0604);
	assert_int_equal(test_read_file(path, &out, &cause), -1);
	want = xasprintf("%s: mode 0604, must not be readable by group or "
			 "others (chmod 600 %s)",
	    path, path);
	assert_string_equal(cause, want);
	assert_null(strstr(cause, TEST_SECRET));
	free(want);
	free(cause);
	free(path);
}

/* Missing, empty, over-long and NUL-containing files are refused. */
static void
test_file_errors(void **state)
{
	char *path, *out, *cause, *want, big[CREDENTIALS_MAX_BYTES + 2];

	path = xasprintf("%s/missing", test_dir);
	assert_int_equal(test_read_file(path, &out, &cause), -1);
	want = xasprintf("%s: No such file or directory", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	path = test_write("empty", "\n", 1, 0600);
	assert_int_equal(test_read_file(path, &out, &cause), -1);
	want = xasprintf("%s is empty", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	/* Exactly the cap plus a newline is fine; one more byte is not. */
	memset(big, 'k', sizeof(big));
	big[CREDENTIALS_MAX_BYTES] = '\n';
	path = test_write("max", big, CREDENTIALS_MAX_BYTES + 1, 0600);
	assert_int_equal(test_read_file(path, &out, &cause), 0);
	assert_int_equal(strlen(out), CREDENTIALS_MAX_BYTES);
	xfreesecret(out);
	free(path);
	memset(big, 'k', sizeof(big));
	path = test_write("long", big, sizeof(big), 0600);
	assert_int_equal(test_read_file(path, &out, &cause), -1);
	want = xasprintf(
	    "%s is longer than %d bytes", path, CREDENTIALS_MAX_BYTES);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	path = test_write("nul", "TOPSECRET\0x", 11, 0600);
	assert_int_equal(test_read_file(path, &out, &cause), -1);
	want = xasprintf("%s contains a NUL byte", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	/* A directory is not a secret. */
	assert_int_equal(test_read_file(test_dir, &out, &cause), -1);
	want = xasprintf("%s is not a regular file", test_dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
}

/* Secrets from the environment. */
static void
test_env(void **state)
{
	struct config_secret s = { .env = "TEST_CRED_VAR" };
	char *out, *cause;

	assert_true(credentials_configured(&s));
	unsetenv("TEST_CRED_VAR");
	assert_int_equal(credentials_read(&s, &out, &cause), -1);
	assert_string_equal(cause,
	    "environment variable TEST_CRED_VAR is "
	    "not set");
	free(cause);

	setenv("TEST_CRED_VAR", "", 1);
	assert_int_equal(credentials_read(&s, &out, &cause), -1);
	assert_string_equal(cause,
	    "environment variable TEST_CRED_VAR is "
	    "empty");
	free(cause);

	setenv("TEST_CRED_VAR", TEST_SECRET "\n", 1);
	assert_int_equal(credentials_read(&s, &out, &cause), 0);
	assert_string_equal(out, TEST_SECRET);
	xfreesecret(out);
	unsetenv("TEST_CRED_VAR");
}

/* Secrets from $CREDENTIALS_DIRECTORY, where the mode is systemd's business. */
static void
test_credential_dir(void **state)
{
	struct config_secret s = { .credential = "cred" };
	char *path, *out, *cause;

	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(credentials_read(&s, &out, &cause), -1);
	assert_string_equal(cause,
	    "credential cred: $CREDENTIALS_DIRECTORY "
	    "is not set");
	free(cause);

	setenv("CREDENTIALS_DIRECTORY", test_dir, 1);
	path =
	    test_write("cred", TEST_SECRET "\n", strlen(TEST_SECRET) + 1, 0644);
	assert_int_equal(credentials_read(&s, &out, &cause), 0);
	assert_string_equal(out, TEST_SECRET);
	xfreesecret(out);
	free(path);

	s.credential = "../cred";
	assert_int_equal(credentials_read(&s, &out, &cause), -1);
	assert_string_equal(cause, "credential ../cred: invalid name");
	free(cause);
	unsetenv("CREDENTIALS_DIRECTORY");
}

/* The key pair of an account is read once and kept until cleared. */
static void
test_cache(void **state)
{
	struct credentials_cache *cc = credentials_cache_new();
	struct config_account a;
	const char *k, *s;
	char *ak, *sk, *sk2, *cause = NULL;

	ak = test_write("ak", "AKID\n", 5, 0600);
	sk = test_write("sk", "first\n", 6, 0600);
	memset(&a, 0, sizeof(a));
	a.name = "acct";
	a.access_key.file = ak;
	a.secret_key.file = sk;
	assert_int_equal(credentials_cache_pair(cc, &a, &k, &s, &cause), 0);
	assert_string_equal(k, "AKID");
	assert_string_equal(s, "first");
	/* Changed on disk: the cache still has the old one. */
	free(test_write("sk", "second\n", 7, 0600));
	assert_int_equal(credentials_cache_pair(cc, &a, &k, &s, &cause), 0);
	assert_string_equal(s, "first");
	/* Cleared (reload): read again. */
	credentials_cache_clear(cc);
	assert_int_equal(credentials_cache_pair(cc, &a, &k, &s, &cause), 0);
	assert_string_equal(s, "second");
	/* The account now reads its secret elsewhere: read that. */
	sk2 = test_write("sk2", "third", 5, 0600);
	a.secret_key.file = sk2;
	assert_int_equal(credentials_cache_pair(cc, &a, &k, &s, &cause), 0);
	assert_string_equal(s, "third");
	credentials_cache_free(cc);
	credentials_cache_free(NULL);
	free(ak);
	free(sk);
	free(sk2);
}

/*
 * The account digest (reload: did its credentials change?) moves with the
 * secret's content, with it becoming readable, with where it lives and
 * with the user; the same content gives the same digest.
 */
static void
test_account_digest(void **state)
{
	struct config_account a;
	char *ak, *sk, *sk2;
	uint64_t d1, d2, d3;

	ak = test_write("dak", "AKID\n", 5, 0600);
	sk = test_write("dsk", "first\n", 6, 0600);
	memset(&a, 0, sizeof(a));
	a.name = "acct";
	a.auth_method = CONFIG_AUTH_AKSK;
	a.access_key.file = ak;
	a.secret_key.file = sk;
	d1 = credentials_account_digest(&a);
	assert_int_not_equal(d1, 0);
	assert_int_equal(credentials_account_digest(&a), d1);
	/* Rewritten with the same content: unchanged. */
	free(test_write("dsk", "first\n", 6, 0600));
	assert_int_equal(credentials_account_digest(&a), d1);
	free(test_write("dsk", "second\n", 7, 0600));
	d2 = credentials_account_digest(&a);
	assert_int_not_equal(d2, d1);
	/* Unreadable (mode 0644), then readable again: both are changes. */
	assert_int_equal(chmod(sk, 0644), 0);
	d3 = credentials_account_digest(&a);
	assert_int_not_equal(d3, d2);
	assert_int_equal(chmod(sk, 0600), 0);
	assert_int_equal(credentials_account_digest(&a), d2);
	/* The same value from another file is still a change of config. */
	sk2 = test_write("dsk2", "second\n", 7, 0600);
	a.secret_key.file = sk2;
	assert_int_not_equal(credentials_account_digest(&a), d2);
	a.secret_key.file = sk;
	a.user = "ops";
	assert_int_not_equal(credentials_account_digest(&a), d2);
	free(ak);
	free(sk);
	free(sk2);
}

/* A pair that cannot be read names the account and where, not the secret. */
static void
test_cache_errors(void **state)
{
	struct credentials_cache *cc = credentials_cache_new();
	struct config_account a;
	const char *k = "x", *s = "x";
	char *ak, *sk, *cause = NULL;

	ak = test_write("ak", "AKID", 4, 0600);
	sk = test_write("sk", TEST_SECRET, strlen(TEST_SECRET), 0640);
	memset(&a, 0, sizeof(a));
	a.name = "acct";
	a.access_key.file = ak;
	a.secret_key.file = sk;
	assert_int_equal(credentials_cache_pair(cc, &a, &k, &s, &cause), -1);
	assert_null(k);
	assert_null(s);
	assert_non_null(strstr(cause, "account acct: secret:"));
	assert_non_null(strstr(cause, "chmod 600"));
	assert_null(strstr(cause, TEST_SECRET));
	free(cause);
	a.access_key.file = NULL;
	a.access_key.env = "TEST_CREDENTIALS_UNSET_VAR";
	unsetenv("TEST_CREDENTIALS_UNSET_VAR");
	assert_int_equal(credentials_cache_pair(cc, &a, &k, &s, &cause), -1);
	assert_non_null(strstr(cause, "account acct: access key:"));
	assert_non_null(strstr(cause, "TEST_CREDENTIALS_UNSET_VAR"));
	free(cause);
	credentials_cache_free(cc);
	free(ak);
	free(sk);
}

/* Nothing configured. */
static void
test_none(void **state)
{
	struct config_secret s = { .file = NULL };
	char *out, *cause;

	assert_false(credentials_configured(&s));
	assert_false(credentials_configured(NULL));
	assert_int_equal(credentials_read(&s, &out, &cause), -1);
	assert_string_equal(cause, "no secret configured");
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_ok),
		cmocka_unit_test(test_account_digest),
		cmocka_unit_test(test_file_mode),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_credential_dir),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_errors),
	};

	return cmocka_run_group_tests(tests, test_setup, test_teardown);
}
