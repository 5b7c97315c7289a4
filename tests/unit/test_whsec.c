/*
 * Unit tests for webhook signing keys: the Standard Webhooks example
 * vector (secret, id, timestamp, body and signature as the convention's
 * own libraries compute them), raw keys, several keys for rotation, and
 * the secrets refused.  The expected signatures were computed with the
 * npm package standardwebhooks 1.3.0.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "whsec.h"

#define EX_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define EX_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define RAW_SIG "v1,VePgywqX58o/ObAVtkw3wU8KOdxvx6yyjl3bf/f1tBk="
#define NOT_B64                                                             \
	"a whsec_ key must be followed by standard base64 of at least one " \
	"byte"
#define SHORT_SIG "v1,0Ik94PCZxtka0USMSy+OHpa6SY2Nh/TsB9XmChZtQxM="

/* The signature of id.ts.body under the keys of secret. */
static char *
sign_with(const char *secret, const char *id, const char *ts, const char *body)
{
	struct whsec_keys keys;
	char *cause = NULL, *sig;

	memset(&keys, 0, sizeof(keys));
	assert_int_equal(whsec_parse(secret, &keys, &cause), 0);
	assert_null(cause);
	sig = whsec_sign(&keys, id, ts, body, strlen(body));
	whsec_clear(&keys);
	return sig;
}

/* The convention's example: a whsec_ key is the decoded bytes. */
static void
test_whsec_example(void **state)
{
	char *sig;

	(void)state;
	sig = sign_with(EX_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
	    "{\"test\": 2432232314}");
	assert_string_equal(sig, EX_SIG);
	free(sig);
	/* Padding is optional; the decoded bytes are the same. */
	sig = sign_with("whsec_AAECAwQFBgc=", "evt-1", "1700000000", "{}");
	assert_string_equal(sig, SHORT_SIG);
	free(sig);
	sig = sign_with("whsec_AAECAwQFBgc", "evt-1", "1700000000", "{}");
	assert_string_equal(sig, SHORT_SIG);
	free(sig);
}

/* A key without the prefix is its text's bytes (the libraries' "raw"). */
static void
test_whsec_raw(void **state)
{
	char *sig;

	(void)state;
	sig = sign_with("s3cr3t-text", "evt-1", "1700000000", "{}");
	assert_string_equal(sig, RAW_SIG);
	free(sig);
}

/* Several keys: one v1 signature each, in order, space-separated. */
static void
test_whsec_rotation(void **state)
{
	char *sig;

	(void)state;
	sig = sign_with(
	    "  s3cr3t-text\nwhsec_AAECAwQFBgc=\n", "evt-1", "1700000000", "{}");
	assert_string_equal(sig, RAW_SIG " " SHORT_SIG);
	free(sig);
}

/* Secrets that are not keys are refused, naming the key by position. */
static void
test_whsec_refused(void **state)
{
	static const struct {
		const char *secret, *cause;
	} bad[] = {
		{ "whsec_", "key 1: " NOT_B64 },
		{ "ok whsec_not*base64", "key 2: " NOT_B64 },
		{ "whsec_AAECAwQFBg=", "key 1: " NOT_B64 },
		{ "whsec_A", "key 1: " NOT_B64 },
		{ " \n ", "no key (only blanks)" },
		{ "a b c d e f g h i", "more than 8 keys" },
	};
	struct whsec_keys keys;
	char *cause;
	size_t i;

	(void)state;
	memset(&keys, 0, sizeof(keys));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		assert_int_equal(whsec_parse(bad[i].secret, &keys, &cause), -1);
		assert_string_equal(cause, bad[i].cause);
		assert_int_equal(keys.n, 0);
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whsec_example),
		cmocka_unit_test(test_whsec_raw),
		cmocka_unit_test(test_whsec_rotation),
		cmocka_unit_test(test_whsec_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
