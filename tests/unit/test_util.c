/*
 * Unit tests for the keyed digest in util: SipHash-2-4 against the
 * reference vectors of its authors, and util_digest's promises (the same
 * bytes give the same digest, a changed byte another, never 0).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

/* SipHash-2-4, key 00..0f, message 00..(n-1): from the reference code. */
static void
test_siphash_vectors(void **state)
{
	static const struct {
		size_t n;
		uint64_t want;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 1, 0x74f839c593dc67fdULL },
		{ 7, 0xab0200f58b01d137ULL },
		{ 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL },
		{ 16, 0x3f2acc7f57c29bdbULL },
		{ 63, 0x958a324ceb064572ULL },
	};
	unsigned char key[16], msg[64];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (util_siphash(key, msg, v[i].n) != v[i].want)
			fail_msg("siphash of %zu bytes", v[i].n);
	}
}

/* Equal bytes, equal digests; one byte changed, another; never 0. */
static void
test_digest(void **state)
{
	char a[] = "{\"TaskId\":\"t1\",\"Status\":\"Processing\"}";
	char b[sizeof(a)];
	uint64_t d;

	memcpy(b, a, sizeof(a));
	d = util_digest(a, strlen(a));
	assert_true(d != 0);
	assert_true(util_digest(b, strlen(b)) == d);
	b[strlen(b) - 3] = 'X';
	assert_true(util_digest(b, strlen(b)) != d);
	/* The length counts: a prefix is not the same record. */
	assert_true(util_digest(a, strlen(a) - 1) != d);
	assert_true(util_digest("", 0) != 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
