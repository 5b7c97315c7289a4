/*
 * Unit tests for the pure part of the election (ha_fsm) on a fixed clock:
 * the lease deadline counted from when a renewal was sent, step-down at
 * the deadline (also when the clock jumped past it, as after SIGSTOP),
 * a lost lease, late answers; and the base64 decoder of etcd.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "etcd.h"
#include "ha.h"

#define LEASE 7001
#define MARGIN 1000

/* A machine holding LEASE granted with a 10 s TTL by a request sent at 1 s. */
static void
test_granted(struct ha_fsm *f)
{
	ha_fsm_init(f, MARGIN);
	ha_fsm_renewed(f, LEASE, 10, 1000, 1200);
}

/* A new machine has no lease and does not lead. */
static void
test_init(void **state)
{
	struct ha_fsm f;

	ha_fsm_init(&f, MARGIN);
	assert_int_equal(f.state, HA_NOLEASE);
	assert_int_equal(f.lease, 0);
	assert_false(ha_fsm_is_leader(&f, 0));
	assert_false(ha_fsm_expire(&f, 99999));
	/* A campaign answer without a lease changes nothing. */
	ha_fsm_campaigned(&f, 1, 10);
	assert_int_equal(f.state, HA_NOLEASE);
	assert_string_equal(ha_state_name(HA_LEADER), "leader");
}

/* The deadline is sent + TTL - margin; leader exactly until then. */
static void
test_deadline(void **state)
{
	struct ha_fsm f;

	test_granted(&f);
	assert_int_equal(f.state, HA_STANDBY);
	assert_int_equal(f.lease, LEASE);
	assert_int_equal(f.valid_until_ms, 1000 + 10000 - MARGIN);
	ha_fsm_campaigned(&f, 1, 1300);
	assert_int_equal(f.state, HA_LEADER);
	assert_true(ha_fsm_is_leader(&f, 9999));
	/* Even before anything calls expire, the deadline is checked. */
	assert_false(ha_fsm_is_leader(&f, 10000));
	assert_true(ha_fsm_expire(&f, 10000));
	assert_int_equal(f.state, HA_NOLEASE);
	assert_int_equal(f.lease, 0);
}

/* A keepalive moves the deadline forward, never back. */
static void
test_keepalive(void **state)
{
	struct ha_fsm f;

	test_granted(&f);
	ha_fsm_campaigned(&f, 1, 1300);
	ha_fsm_renewed(&f, LEASE, 10, 4300, 4400);
	assert_int_equal(f.valid_until_ms, 4300 + 10000 - MARGIN);
	/* An answer to an older request, arriving late, moves nothing. */
	ha_fsm_renewed(&f, LEASE, 10, 2000, 4500);
	assert_int_equal(f.valid_until_ms, 4300 + 10000 - MARGIN);
	assert_true(ha_fsm_is_leader(&f, 13000));
	/* The answer about another lease is ignored. */
	ha_fsm_renewed(&f, LEASE + 1, 0, 5000, 5000);
	assert_int_equal(f.lease, LEASE);
	assert_int_equal(f.state, HA_LEADER);
}

/*
 * The process was paused past its deadline: the first thing that runs
 * afterwards sees it, and a keepalive answer sent before the pause does
 * not make us leader again.
 */
static void
test_paused(void **state)
{
	struct ha_fsm f;

	test_granted(&f);
	ha_fsm_campaigned(&f, 1, 1300);
	assert_false(ha_fsm_is_leader(&f, 60000));
	assert_true(ha_fsm_expire(&f, 60000));
	assert_int_equal(f.state, HA_NOLEASE);
	ha_fsm_renewed(&f, LEASE, 10, 4000, 60001);
	assert_int_equal(f.lease, 0);
	assert_false(ha_fsm_is_leader(&f, 60001));
	/* A campaign answer arriving late does not make a leader either. */
	test_granted(&f);
	ha_fsm_campaigned(&f, 1, 10000);
	assert_int_equal(f.state, HA_NOLEASE);
	assert_false(ha_fsm_is_leader(&f, 10000));
}

/* A keepalive answering TTL 0: the lease is gone, the leader steps down. */
static void
test_lease_lost(void **state)
{
	struct ha_fsm f;

	test_granted(&f);
	ha_fsm_campaigned(&f, 1, 1300);
	ha_fsm_renewed(&f, LEASE, 0, 2000, 2100);
	assert_int_equal(f.state, HA_NOLEASE);
	assert_int_equal(f.lease, 0);
	assert_false(ha_fsm_is_leader(&f, 2100));
	assert_int_equal(f.margin_ms, MARGIN);
}

/* The key held by someone else: standby; a leader seeing that steps down. */
static void
test_campaign_lost(void **state)
{
	struct ha_fsm f;

	test_granted(&f);
	ha_fsm_campaigned(&f, 0, 1300);
	assert_int_equal(f.state, HA_STANDBY);
	assert_false(ha_fsm_is_leader(&f, 1300));
	ha_fsm_campaigned(&f, 1, 1400);
	assert_int_equal(f.state, HA_LEADER);
	ha_fsm_campaigned(&f, 0, 1500);
	assert_int_equal(f.state, HA_STANDBY);
	assert_int_equal(f.lease, LEASE);
}

/* A margin larger than the TTL: never valid, never leader. */
static void
test_margin_over_ttl(void **state)
{
	struct ha_fsm f;

	ha_fsm_init(&f, 20000);
	ha_fsm_renewed(&f, LEASE, 10, 1000, 1000);
	assert_int_equal(f.lease, 0);
	ha_fsm_campaigned(&f, 1, 1000);
	assert_false(ha_fsm_is_leader(&f, 1000));
}

/* Decode one base64 text, or fail the test. */
static void
test_b64(const char *in, const char *want, size_t want_len)
{
	size_t len = 99;
	char *out = etcd_base64_decode(in, &len);

	assert_non_null(out);
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(out[len], '\0');
	free(out);
}

/* The gateway's base64: padding, binary bytes, and what is not base64. */
static void
test_base64(void **state)
{
	test_b64("", "", 0);
	test_b64("YmFy", "bar", 3);
	test_b64("Zm9vYg==", "foob", 4);
	test_b64("Zm9vYmE=", "fooba", 5);
	test_b64("/w==", "\xff", 1);
	test_b64("AA==", "\0", 1);
	assert_null(etcd_base64_decode("Zm9", NULL));
	assert_null(etcd_base64_decode("Zm9v!A==", NULL));
	assert_null(etcd_base64_decode("Z===", NULL));
}

/* Run the election machine tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_paused),
		cmocka_unit_test(test_lease_lost),
		cmocka_unit_test(test_campaign_lost),
		cmocka_unit_test(test_margin_over_ttl),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
