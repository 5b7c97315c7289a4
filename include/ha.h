/*
 * Leader election for one shard through etcd: a lease kept alive every
 * ttl/3 and a leader key <prefix>/shard/<i>/leader created under it.  We
 * are leader only while the lease is certainly valid by our monotonic
 * clock; ha_is_leader_now() checks that deadline, so a process that was
 * paused steps down before it acts.  ha_claim() takes an event id for
 * once-only work (exec hooks), fenced by the leader key.
 */
#ifndef HA_H
#define HA_H

#include <stdint.h>

#include "etcd.h"

struct event_base;
struct etcd;
struct ha;
struct ha_claim;

enum ha_state {
	HA_NOLEASE, /* no lease we know valid: get one */
	HA_STANDBY, /* a lease, the key is someone else's */
	HA_LEADER,  /* the key is ours and the lease certainly valid */
};

/*
 * The pure part: state and lease deadline, moved by what etcd answered
 * and by the monotonic time given (the tests use a fixed clock).
 */
struct ha_fsm {
	enum ha_state state;
	int64_t lease;           /* 0: none */
	uint64_t valid_until_ms; /* monotonic; the lease is valid before */
	uint64_t margin_ms;      /* taken off the TTL for clock drift */
};

/* An empty machine: no lease, not leader. */
void ha_fsm_init(struct ha_fsm *f, uint64_t margin_ms);
/*
 * A grant or keepalive of lease sent at sent_ms answered ttl_s (0: the
 * lease is gone).  The lease is certainly valid until sent_ms + ttl -
 * margin: the server started its TTL after we sent.
 */
void ha_fsm_renewed(struct ha_fsm *f, int64_t lease, int64_t ttl_s,
    uint64_t sent_ms, uint64_t now_ms);
/* Drop a lease past its deadline (a leader steps down); 1 if dropped. */
int ha_fsm_expire(struct ha_fsm *f, uint64_t now_ms);
/* The leader key is ours (won) or someone else's. */
void ha_fsm_campaigned(struct ha_fsm *f, int won, uint64_t now_ms);
/* 1 if leader at now_ms: the state says so and the deadline is ahead. */
int ha_fsm_is_leader(const struct ha_fsm *f, uint64_t now_ms);
/* "noLease", "standby", "leader". */
const char *ha_state_name(enum ha_state s);

struct ha_config {
	const char *prefix; /* keys live under it, e.g. "/taskwatch" */
	unsigned shard;
	const char *id;         /* this instance: the leader key's value */
	uint64_t ttl_ms;        /* lease TTL, whole seconds, >= 2 s */
	uint64_t margin_ms;     /* 0: ttl/10, at least 200 ms */
	uint64_t claim_keep_ms; /* how long claims are kept; 0: 7 days */
};

/* Leadership changed: leader 1 or 0, and why (one short phrase). */
typedef void (*ha_change_cb)(int leader, const char *why, void *arg);

/* The election for one shard; starts campaigning at once. */
struct ha *ha_new(struct event_base *base, struct etcd *etcd,
    const struct ha_config *cfg, ha_change_cb cb, void *arg);
/* Stop without calling back (claims in flight get HA_CLAIM_ERROR); free. */
void ha_free(struct ha *h);
/*
 * Step down now (calling back) and revoke the lease so that a standby
 * takes over at once (a clean shutdown); the election stops.
 */
void ha_resign(struct ha *h);
/* 1 while the revoke ha_resign sent is in flight (wait before exit). */
int ha_resigning(const struct ha *h);
/*
 * 1 if we are leader at this moment by the lease deadline; a deadline
 * passed steps down first (the change callback runs from within).
 */
int ha_is_leader_now(struct ha *h);
/* The machine's state (for status pages and tests). */
enum ha_state ha_state(const struct ha *h);

enum ha_claim_result {
	HA_CLAIM_WON,        /* ours: do the work once */
	HA_CLAIM_TAKEN,      /* someone claimed it before: skip */
	HA_CLAIM_NOT_LEADER, /* the leader key is not ours (we step down) */
	HA_CLAIM_ERROR,      /* etcd failed: fail closed, skip */
};

/* A claim ended; detail is the holder (TAKEN) or the error. */
typedef void (*ha_claim_cb)(
    enum ha_claim_result res, const char *detail, void *arg);

/*
 * Claim event_id: create <prefix>/shard/<i>/hooks/<event_id> if absent
 * and only while the leader key is still under our lease (one txn).  The
 * claim is kept claim_keep_ms, past our lease: work done once stays done
 * after a failover.  NULL and no callback when not leader now.
 */
struct ha_claim *ha_claim(
    struct ha *h, const char *event_id, ha_claim_cb cb, void *arg);
/*
 * Whether <prefix>/shard/<i>/done/<name> exists (any replica, leader or
 * not): HA_CLAIM_TAKEN with the replica that wrote it as detail,
 * HA_CLAIM_WON when absent, HA_CLAIM_ERROR with the error.
 */
struct ha_claim *ha_check_done(
    struct ha *h, const char *name, ha_claim_cb cb, void *arg);
/*
 * Write <prefix>/shard/<i>/done/<name>, kept claim_keep_ms: what a
 * delivery did, so that a replica taking over does not do it again.
 * Failures are counted and logged (once per run of them).
 */
void ha_mark_done(struct ha *h, const char *name);
/*
 * Keep value at <prefix>/shard/<i>/<name> for claim_keep_ms (state the
 * next leader carries on); failures are counted and logged.
 */
void ha_keep(struct ha *h, const char *name, const char *value);
/* Read every key under <prefix>/shard/<i>/<name> (a prefix range). */
struct etcd_req *ha_read(struct ha *h, const char *name, etcd_cb cb, void *arg);
/*
 * The same under "<prefix>/", shared by every shard (silences): keep
 * calls cb (may be NULL) as a claim's, HA_CLAIM_WON once it is stored.
 */
void ha_keep_shared(struct ha *h, const char *name, const char *value,
    ha_claim_cb cb, void *arg);
struct etcd_req *ha_read_shared(
    struct ha *h, const char *name, etcd_cb cb, void *arg);
/* "<prefix>/shard/<i>/": what ha_read's keys start with. */
const char *ha_shard_prefix(const struct ha *h);
/* The instance id this election runs as (the leader key's value). */
const char *ha_id(const struct ha *h);
/* Cancel a claim: its callback fires now with HA_CLAIM_ERROR. */
void ha_claim_cancel(struct ha_claim *c);

#endif
