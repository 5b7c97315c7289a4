/*
 * Leader election for one shard.  Every ttl/3 one cycle runs: a lease
 * grant when we hold none, else a keepalive, then a txn creating the
 * leader key under our lease unless it exists (for a standby the check
 * and the campaign in one request; for the leader the proof that the key
 * is still ours).  Leadership ends at the lease's deadline by our own
 * monotonic clock unless a keepalive moved it, whatever etcd says later.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd.h"
#include "ha.h"
#include "log.h"
#include "metrics.h"
#include "timer.h"
#include "xmalloc.h"

#define HA_METRIC_LEADER "taskwatch_ha_leader"
#define HA_METRIC_ERRORS "taskwatch_ha_etcd_errors_total"
#define HA_METRIC_CAMPAIGNS "taskwatch_ha_campaigns_total"
#define HA_METRIC_STEP_DOWNS "taskwatch_ha_step_downs_total"
#define HA_METRIC_CLAIMS "taskwatch_ha_claims_total"
#define HA_DEFAULT_CLAIM_KEEP_MS (7ULL * 24 * 3600 * 1000)
#define HA_MIN_MARGIN_MS 200
/*
 * A standby asks for the leader key this often between its renewals, so
 * that it takes over within about ttl + 0.75 s of the leader's death
 * (the lease, etcd's 500 ms expiry check, this tick), not ttl + ttl/3.
 */
#define HA_STANDBY_TICK_MS 250

/* What a request of the claims' list does. */
enum ha_op {
	HA_OP_CLAIM, /* create the key unless it exists, fenced by leadership */
	HA_OP_CHECK, /* read the key */
	HA_OP_MARK,  /* put the key, kept claim_keep_ms */
};

struct ha_claim {
	struct ha *h; /* borrowed */
	enum ha_op op;
	char *value; /* HA_OP_MARK: what to put; NULL: our id */
	TAILQ_ENTRY(ha_claim) entry;
	char *key;
	int64_t lease;        /* the election lease it was fenced by */
	struct etcd_req *req; /* NULL while waiting for the claims' lease */
	ha_claim_cb cb;
	void *arg; /* borrowed */
};

struct ha {
	struct etcd *etcd; /* borrowed */
	struct timer *timer;
	struct ha_fsm fsm;
	char *id;
	char *leader_key;
	char *claim_prefix;
	char *done_prefix;
	char *shard_prefix;
	char *root_prefix; /* "<prefix>/": what all shards share */
	char shard[16];
	uint64_t ttl_ms;
	uint64_t claim_keep_ms;
	int leader;           /* what the callback was last told */
	int failing;          /* etcd errors since the last answer */
	int mark_failing;     /* done marks failed since the last that worked */
	struct etcd_req *req; /* the cycle's request in flight */
	int64_t req_lease;    /* the lease that request renews */
	uint64_t sent_ms;
	int64_t claim_lease;          /* the lease claims are kept under */
	uint64_t claim_lease_ms;      /* when it was granted */
	struct etcd_req *claim_grant; /* its renewal in flight */
	struct etcd_req *resign;      /* ha_resign's revoke in flight */
	uint64_t claim_grant_ms;
	TAILQ_HEAD(, ha_claim) claims;
	ha_change_cb cb;
	void *arg; /* borrowed */
};

static void ha_cycle_grant(struct ha *h);

/*
 * Milliseconds on CLOCK_BOOTTIME: monotonic, and unlike CLOCK_MONOTONIC
 * it keeps counting while the machine is suspended, so a lease deadline
 * passed during a suspend is seen as passed.
 */
static uint64_t
ha_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) == -1)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
static void ha_claim_send(struct ha_claim *c);

/* An empty machine: no lease, not leader. */
void
ha_fsm_init(struct ha_fsm *f, uint64_t margin_ms)
{
	memset(f, 0, sizeof(*f));
	f->state = HA_NOLEASE;
	f->margin_ms = margin_ms;
}

/* A grant or keepalive of lease sent at sent_ms answered ttl_s. */
void
ha_fsm_renewed(struct ha_fsm *f, int64_t lease, int64_t ttl_s, uint64_t sent_ms,
    uint64_t now_ms)
{
	uint64_t until;

	if (f->lease != 0 && lease != f->lease)
		return; /* an answer about a lease we dropped */
	if (ttl_s <= 0) {
		ha_fsm_init(f, f->margin_ms); /* the lease is gone */
		return;
	}
	until = sent_ms + (uint64_t)ttl_s * 1000;
	until = until > f->margin_ms ? until - f->margin_ms : 0;
	if (f->lease == 0) {
		f->lease = lease;
		f->state = HA_STANDBY;
		f->valid_until_ms = until;
	} else if (until > f->valid_until_ms)
		f->valid_until_ms = until;
	ha_fsm_expire(f, now_ms);
}

/* Drop a lease past its deadline; 1 if dropped. */
int
ha_fsm_expire(struct ha_fsm *f, uint64_t now_ms)
{
	if (f->lease == 0 || now_ms < f->valid_until_ms)
		return 0;
	ha_fsm_init(f, f->margin_ms);
	return 1;
}

/* The leader key is ours (won) or someone else's. */
void
ha_fsm_campaigned(struct ha_fsm *f, int won, uint64_t now_ms)
{
	if (ha_fsm_expire(f, now_ms) || f->lease == 0)
		return;
	f->state = won ? HA_LEADER : HA_STANDBY;
}

/* 1 if leader at now_ms. */
int
ha_fsm_is_leader(const struct ha_fsm *f, uint64_t now_ms)
{
	return f->state == HA_LEADER && now_ms < f->valid_until_ms;
}

/* The name of a state for logs. */
const char *
ha_state_name(enum ha_state s)
{
	switch (s) {
	case HA_NOLEASE:
		return "noLease";
	case HA_STANDBY:
		return "standby";
	case HA_LEADER:
		return "leader";
	}
	return "?";
}

/* Define the taskwatch_ha_* families (a second definition is ignored). */
static void
ha_metrics_define(void)
{
	struct metrics *m = metrics_global();

	metrics_define(m, HA_METRIC_LEADER, METRICS_GAUGE,
	    "1 while this instance leads the shard.", NULL, 0);
	metrics_define(m, HA_METRIC_ERRORS, METRICS_COUNTER,
	    "etcd requests of the election that failed.", NULL, 0);
	metrics_define(m, HA_METRIC_CAMPAIGNS, METRICS_COUNTER,
	    "Attempts to take the leader key.", NULL, 0);
	metrics_define(m, HA_METRIC_STEP_DOWNS, METRICS_COUNTER,
	    "Times this instance stopped leading.", NULL, 0);
	metrics_define(m, HA_METRIC_CLAIMS, METRICS_COUNTER,
	    "Event id claims by result.", NULL, 0);
}

/* Tell the callback when leadership changed since it was last told. */
static void
ha_announce(struct ha *h, const char *why)
{
	int leader = h->fsm.state == HA_LEADER;

	if (leader == h->leader)
		return;
	h->leader = leader;
	log_info("ha: shard %s: %s -> %s (%s)", h->shard,
	    leader ? "standby" : "leader", leader ? "leader" : "standby", why);
	metrics_set(metrics_global(), HA_METRIC_LEADER, leader, "shard",
	    h->shard, NULL);
	if (!leader)
		metrics_add(metrics_global(), HA_METRIC_STEP_DOWNS, 1, "shard",
		    h->shard, NULL);
	h->cb(leader, why, h->arg);
}

/* Ignore the answer of a revoke nobody waits for. */
static void
ha_revoke_cb(const struct etcd_result *r, void *arg)
{
}

/* Step down if the lease deadline passed by now_ms; revoke that lease. */
static void
ha_check(struct ha *h, uint64_t now_ms)
{
	int64_t lease = h->fsm.lease;

	if (!ha_fsm_expire(&h->fsm, now_ms))
		return;
	/* If it is still alive after all, its key must not outlive it. */
	etcd_lease_revoke(h->etcd, lease, ha_revoke_cb, NULL);
	ha_announce(h, "lease deadline passed");
}

/* Count an etcd failure; log the first of a run. */
static void
ha_error(struct ha *h, const struct etcd_result *r)
{
	metrics_add(
	    metrics_global(), HA_METRIC_ERRORS, 1, "shard", h->shard, NULL);
	if (h->failing++ == 0)
		log_warnx("ha: shard %s: %s", h->shard, r->errmsg);
	else
		log_debug("ha: shard %s: %s", h->shard, r->errmsg);
}

/* An answer came: log the recovery after a run of failures. */
static void
ha_answered(struct ha *h)
{
	if (h->failing > 0)
		log_info("ha: shard %s: etcd answers again (%s) after %d "
			 "failures",
		    h->shard, etcd_endpoint(h->etcd), h->failing);
	h->failing = 0;
}

/* Arm the timer: the next cycle, or the lease deadline if sooner. */
static void
ha_arm(struct ha *h, uint64_t now_ms)
{
	uint64_t ms = h->ttl_ms / 3;

	if (h->fsm.state == HA_STANDBY && ms > HA_STANDBY_TICK_MS)
		ms = HA_STANDBY_TICK_MS;
	if (h->fsm.lease != 0 && h->fsm.valid_until_ms - now_ms < ms)
		ms = h->fsm.valid_until_ms - now_ms;
	timer_add_ms(h->timer, ms);
}

/* The campaign txn answered: the leader key is ours or not. */
static void
ha_campaign_cb(const struct etcd_result *r, void *arg)
{
	struct ha *h = arg;
	uint64_t now = ha_now_ms();
	int won;

	h->req = NULL;
	if (r->status == ETCD_ECANCEL)
		return;
	if (r->status != ETCD_OK) {
		ha_error(h, r);
		ha_check(h, now);
		return;
	}
	ha_answered(h);
	if (h->req_lease != h->fsm.lease)
		return; /* the lease was dropped meanwhile */
	/* Ours already: a leader's cycle, or an answer lost before. */
	won = r->succeeded || (r->nkvs > 0 && r->kvs[0].lease == h->req_lease);
	ha_fsm_campaigned(&h->fsm, won, now);
	ha_check(h, now);
	ha_announce(h, won ? "won the leader key" : "leader key taken");
}

/* Create the leader key under our lease unless it exists. */
static void
ha_campaign(struct ha *h)
{
	struct etcd_put p = { .key = h->leader_key,
		.value = h->id,
		.value_len = strlen(h->id),
		.lease = h->fsm.lease };

	if (h->fsm.state != HA_LEADER)
		metrics_add(metrics_global(), HA_METRIC_CAMPAIGNS, 1, "shard",
		    h->shard, NULL);
	h->req_lease = h->fsm.lease;
	h->req = etcd_create(h->etcd, &p, ha_campaign_cb, h);
}

/* A grant or keepalive answered: move the deadline, then campaign. */
static void
ha_renew_cb(const struct etcd_result *r, void *arg)
{
	struct ha *h = arg;
	uint64_t now = ha_now_ms();
	int64_t lease = r->lease_id != 0 ? r->lease_id : h->req_lease;

	h->req = NULL;
	if (r->status == ETCD_ECANCEL)
		return;
	if (r->status == ETCD_ENOTFOUND) {
		ha_answered(h);
		ha_fsm_renewed(&h->fsm, h->req_lease, 0, h->sent_ms, now);
	} else if (r->status != ETCD_OK) {
		ha_error(h, r);
		ha_check(h, now);
		return;
	} else {
		ha_answered(h);
		if (r->lease_id == 0 && h->req_lease != h->fsm.lease)
			return; /* a keepalive of a lease dropped meanwhile */
		ha_fsm_renewed(&h->fsm, lease, r->ttl_s, h->sent_ms, now);
	}
	ha_check(h, now);
	if (h->fsm.lease == 0) {
		ha_announce(h, "lease lost");
		ha_cycle_grant(h);
	} else
		ha_campaign(h);
}

/* Ask for a new lease. */
static void
ha_cycle_grant(struct ha *h)
{
	h->sent_ms = ha_now_ms();
	h->req_lease = 0;
	h->req = etcd_lease_grant(
	    h->etcd, (int64_t)(h->ttl_ms / 1000), ha_renew_cb, h);
}

/* The timer: check the deadline first (we may have been paused), cycle. */
static void
ha_timer_cb(void *arg)
{
	struct ha *h = arg;
	uint64_t now = ha_now_ms();

	ha_check(h, now);
	if (h->req == NULL) {
		if (h->fsm.lease == 0)
			ha_cycle_grant(h);
		else if (h->fsm.state == HA_STANDBY &&
		    now - h->sent_ms < h->ttl_ms / 3)
			ha_campaign(h); /* between renewals: is the key free? */
		else {
			h->sent_ms = now;
			h->req_lease = h->fsm.lease;
			h->req = etcd_lease_keepalive(
			    h->etcd, h->fsm.lease, ha_renew_cb, h);
		}
	}
	ha_arm(h, now);
}

/* The election for one shard; starts campaigning at once. */
struct ha *
ha_new(struct event_base *base, struct etcd *etcd, const struct ha_config *cfg,
    ha_change_cb cb, void *arg)
{
	struct ha *h = xcalloc(1, sizeof(*h));
	uint64_t margin;

	h->etcd = etcd;
	h->cb = cb;
	h->arg = arg;
	h->id = xstrdup(cfg->id);
	snprintf(h->shard, sizeof(h->shard), "%u", cfg->shard);
	h->leader_key =
	    xasprintf("%s/shard/%u/leader", cfg->prefix, cfg->shard);
	h->claim_prefix =
	    xasprintf("%s/shard/%u/hooks/", cfg->prefix, cfg->shard);
	h->done_prefix =
	    xasprintf("%s/shard/%u/done/", cfg->prefix, cfg->shard);
	h->shard_prefix = xasprintf("%s/shard/%u/", cfg->prefix, cfg->shard);
	h->root_prefix = xasprintf("%s/", cfg->prefix);
	h->ttl_ms = cfg->ttl_ms < 2000 ? 2000 : cfg->ttl_ms / 1000 * 1000;
	margin = cfg->margin_ms ? cfg->margin_ms : h->ttl_ms / 10;
	ha_fsm_init(
	    &h->fsm, margin < HA_MIN_MARGIN_MS ? HA_MIN_MARGIN_MS : margin);
	h->claim_keep_ms =
	    cfg->claim_keep_ms ? cfg->claim_keep_ms : HA_DEFAULT_CLAIM_KEEP_MS;
	TAILQ_INIT(&h->claims);
	ha_metrics_define();
	metrics_set(
	    metrics_global(), HA_METRIC_LEADER, 0, "shard", h->shard, NULL);
	h->timer = timer_new(base, ha_timer_cb, h);
	timer_activate(h->timer);
	return h;
}

/* Stop the cycle: the timer, the request in flight, and the claims. */
static void
ha_stop(struct ha *h)
{
	timer_del(h->timer);
	if (h->req != NULL)
		etcd_cancel(h->req); /* the callback clears h->req */
	if (h->claim_grant != NULL)
		etcd_cancel(h->claim_grant); /* fails the claims waiting */
	while (!TAILQ_EMPTY(&h->claims))
		ha_claim_cancel(TAILQ_FIRST(&h->claims));
}

/* Stop without calling back; free. */
void
ha_free(struct ha *h)
{
	if (h == NULL)
		return;
	ha_stop(h);
	if (h->resign != NULL)
		etcd_cancel(h->resign);
	timer_free(h->timer);
	free(h->id);
	free(h->leader_key);
	free(h->claim_prefix);
	free(h->done_prefix);
	free(h->shard_prefix);
	free(h->root_prefix);
	free(h);
}

/* The revoke of a resignation answered. */
static void
ha_resign_cb(const struct etcd_result *r, void *arg)
{
	struct ha *h = arg;

	h->resign = NULL;
	if (r->status != ETCD_OK && r->status != ETCD_ECANCEL &&
	    r->status != ETCD_ENOTFOUND)
		log_warnx("ha: shard %s: cannot give the lease up (%s): a "
			  "standby takes over when it ends",
		    h->shard, r->errmsg);
}

/* Step down now and revoke the lease: a standby takes over at once. */
void
ha_resign(struct ha *h)
{
	int64_t lease = h->fsm.lease;

	ha_stop(h);
	ha_fsm_init(&h->fsm, h->fsm.margin_ms);
	ha_announce(h, "resigned");
	if (lease != 0 && h->resign == NULL)
		h->resign = etcd_lease_revoke(h->etcd, lease, ha_resign_cb, h);
}

/* 1 while ha_resign's revoke is in flight. */
int
ha_resigning(const struct ha *h)
{
	return h->resign != NULL;
}

/* 1 if leader at this moment by the lease deadline. */
int
ha_is_leader_now(struct ha *h)
{
	uint64_t now = ha_now_ms();

	ha_check(h, now);
	return ha_fsm_is_leader(&h->fsm, now);
}

/* The instance id this election runs as. */
const char *
ha_id(const struct ha *h)
{
	return h->id;
}

/* The machine's state. */
enum ha_state
ha_state(const struct ha *h)
{
	return h->fsm.state;
}

/* End a claim: count it, call back, free. */
static void
ha_claim_done(struct ha_claim *c, enum ha_claim_result res, const char *detail)
{
	static const char *const name[] = {
		[HA_CLAIM_WON] = "won",
		[HA_CLAIM_TAKEN] = "taken",
		[HA_CLAIM_NOT_LEADER] = "not_leader",
		[HA_CLAIM_ERROR] = "error",
	};

	TAILQ_REMOVE(&c->h->claims, c, entry);
	if (c->op == HA_OP_CLAIM)
		metrics_add(metrics_global(), HA_METRIC_CLAIMS, 1, "shard",
		    c->h->shard, "result", name[res], NULL);
	if (c->cb != NULL)
		c->cb(res, detail, c->arg);
	free(c->value);
	free(c->key);
	free(c);
}

/* The claim txn answered. */
static void
ha_claim_txn_cb(const struct etcd_result *r, void *arg)
{
	struct ha_claim *c = arg;
	struct ha *h = c->h;
	size_t i;

	c->req = NULL;
	if (r->status != ETCD_OK) {
		if (r->status == ETCD_ENOTFOUND)
			h->claim_lease = 0; /* the claims' lease ended */
		ha_claim_done(c, HA_CLAIM_ERROR, r->errmsg);
		return;
	}
	if (c->op == HA_OP_MARK) {
		ha_claim_done(c, HA_CLAIM_WON, h->id);
		return;
	}
	if (r->succeeded) {
		ha_claim_done(c, HA_CLAIM_WON, h->id);
		return;
	}
	for (i = 0; i < r->nkvs; i++) {
		if (strcmp(r->kvs[i].key, c->key) == 0) {
			ha_claim_done(c, HA_CLAIM_TAKEN, r->kvs[i].value);
			return;
		}
	}
	/* The leader key is not under our lease: we are not leader. */
	if (c->lease == h->fsm.lease) {
		ha_fsm_campaigned(&h->fsm, 0, ha_now_ms());
		ha_announce(h, "leader key not ours");
	}
	ha_claim_done(c, HA_CLAIM_NOT_LEADER, "leader key not ours");
}

/* A done mark answered: log the first failure of a run and the recovery. */
static void
ha_mark_cb(enum ha_claim_result res, const char *detail, void *arg)
{
	struct ha *h = arg;

	if (res == HA_CLAIM_WON) {
		if (h->mark_failing > 0)
			log_info("ha: shard %s: done marks are written again "
				 "after %d failures",
			    h->shard, h->mark_failing);
		h->mark_failing = 0;
		return;
	}
	metrics_add(
	    metrics_global(), HA_METRIC_ERRORS, 1, "shard", h->shard, NULL);
	if (h->mark_failing++ == 0)
		log_warnx("ha: shard %s: cannot record a delivery in etcd "
			  "(%s): after a failover it may be sent again, with "
			  "the same id",
		    h->shard, detail != NULL ? detail : "cancelled");
}

/* A check's range answered: the key is there (TAKEN) or not (WON). */
static void
ha_check_cb(const struct etcd_result *r, void *arg)
{
	struct ha_claim *c = arg;
	size_t i;

	c->req = NULL;
	if (r->status != ETCD_OK) {
		ha_claim_done(c, HA_CLAIM_ERROR, r->errmsg);
		return;
	}
	for (i = 0; i < r->nkvs; i++)
		if (strcmp(r->kvs[i].key, c->key) == 0) {
			ha_claim_done(c, HA_CLAIM_TAKEN, r->kvs[i].value);
			return;
		}
	ha_claim_done(c, HA_CLAIM_WON, NULL);
}

/*
 * The claims' lease was granted: remember it and send the claims that
 * waited for it (or fail them).
 */
static void
ha_claim_grant_cb(const struct etcd_result *r, void *arg)
{
	struct ha *h = arg;
	struct ha_claim *c;

	h->claim_grant = NULL;
	if (r->status == ETCD_OK) {
		h->claim_lease = r->lease_id;
		h->claim_lease_ms = h->claim_grant_ms;
	}
	/* Sending never calls back from within: the list stays as it is. */
	TAILQ_FOREACH (c, &h->claims, entry) {
		if (c->req == NULL && r->status == ETCD_OK)
			ha_claim_send(c);
	}
	while (r->status != ETCD_OK) {
		TAILQ_FOREACH (c, &h->claims, entry) {
			if (c->req == NULL)
				break;
		}
		if (c == NULL)
			break;
		ha_claim_done(c, HA_CLAIM_ERROR, r->errmsg);
	}
}

/*
 * Send the claim txn.  The lease claims are kept under is granted first
 * when it is missing or past half its life (so a claim lives at least
 * half of claim_keep_ms); one grant for all the claims that wait for it.
 */
static void
ha_claim_send(struct ha_claim *c)
{
	struct ha *h = c->h;
	uint64_t now = ha_now_ms();
	struct etcd_cmp cmp[2] = {
		{ .key = c->key, .target = ETCD_CMP_CREATE, .n = 0 },
		{ .key = h->leader_key,
		    .target = ETCD_CMP_LEASE,
		    .n = c->lease },
	};
	struct etcd_put put = { .key = c->key,
		.value = h->id,
		.value_len = strlen(h->id),
		.lease = h->claim_lease };
	const char *range[] = { c->key, h->leader_key };

	if (c->op == HA_OP_CHECK) {
		c->req = etcd_range(h->etcd, c->key, 0, ha_check_cb, c);
		return;
	}
	if (c->value != NULL) {
		put.value = c->value;
		put.value_len = strlen(c->value);
	}
	struct etcd_txn t = { .cmp = cmp,
		.ncmp = 2,
		.put = &put,
		.nput = 1,
		.range = range,
		.nrange = 2 };

	if (h->claim_lease == 0 ||
	    now - h->claim_lease_ms >= h->claim_keep_ms / 2) {
		c->req = NULL;
		if (h->claim_grant == NULL) {
			h->claim_grant_ms = now;
			h->claim_grant = etcd_lease_grant(h->etcd,
			    (int64_t)(h->claim_keep_ms / 1000),
			    ha_claim_grant_cb, h);
		}
		return;
	}
	if (c->op == HA_OP_MARK)
		c->req = etcd_put(h->etcd, &put, ha_claim_txn_cb, c);
	else
		c->req = etcd_txn(h->etcd, &t, ha_claim_txn_cb, c);
}

/* Queue a request of the claims' list and send it. */
static struct ha_claim *
ha_op_start(struct ha *h, enum ha_op op, const char *key, const char *value,
    ha_claim_cb cb, void *arg)
{
	struct ha_claim *c = xcalloc(1, sizeof(*c));

	c->h = h;
	c->op = op;
	c->key = xstrdup(key);
	c->value = value != NULL ? xstrdup(value) : NULL;
	c->lease = h->fsm.lease;
	c->cb = cb;
	c->arg = arg;
	TAILQ_INSERT_TAIL(&h->claims, c, entry);
	ha_claim_send(c);
	return c;
}

/* Is name marked done: TAKEN (detail: by whom), WON (not yet) or ERROR. */
struct ha_claim *
ha_check_done(struct ha *h, const char *name, ha_claim_cb cb, void *arg)
{
	struct ha_claim *c;
	char *key = xasprintf("%s%s", h->done_prefix, name);

	c = ha_op_start(h, HA_OP_CHECK, key, NULL, cb, arg);
	free(key);
	return c;
}

/* Keep value at <prefix>/shard/<i>/<name> for claim_keep_ms. */
void
ha_keep(struct ha *h, const char *name, const char *value)
{
	char *key = xasprintf("%s%s", h->shard_prefix, name);

	ha_op_start(h, HA_OP_MARK, key, value, ha_mark_cb, h);
	free(key);
}

/* Keep value at <prefix>/<name>, shared by all shards; cb as a claim's. */
void
ha_keep_shared(struct ha *h, const char *name, const char *value,
    ha_claim_cb cb, void *arg)
{
	char *key = xasprintf("%s%s", h->root_prefix, name);

	ha_op_start(h, HA_OP_MARK, key, value, cb, arg);
	free(key);
}

/* Read every key under prefix then name. */
static struct etcd_req *
ha_read_under(
    struct ha *h, const char *prefix, const char *name, etcd_cb cb, void *arg)
{
	char *key = xasprintf("%s%s", prefix, name);
	struct etcd_req *r = etcd_range(h->etcd, key, 1, cb, arg);

	free(key);
	return r;
}

/* Read every key under <prefix>/shard/<i>/<name>. */
struct etcd_req *
ha_read(struct ha *h, const char *name, etcd_cb cb, void *arg)
{
	return ha_read_under(h, h->shard_prefix, name, cb, arg);
}

/* Read every key under <prefix>/<name>. */
struct etcd_req *
ha_read_shared(struct ha *h, const char *name, etcd_cb cb, void *arg)
{
	return ha_read_under(h, h->root_prefix, name, cb, arg);
}

/* The prefix of this shard's keys, "<prefix>/shard/<i>/". */
const char *
ha_shard_prefix(const struct ha *h)
{
	return h->shard_prefix;
}

/* Mark name done for claim_keep_ms; failures are counted and logged. */
void
ha_mark_done(struct ha *h, const char *name)
{
	char *key = xasprintf("%s%s", h->done_prefix, name);

	ha_op_start(h, HA_OP_MARK, key, NULL, ha_mark_cb, h);
	free(key);
}

/* Claim event_id; NULL and no callback when not leader now. */
struct ha_claim *
ha_claim(struct ha *h, const char *event_id, ha_claim_cb cb, void *arg)
{
	struct ha_claim *c;
	char *key;

	if (!ha_is_leader_now(h))
		return NULL;
	key = xasprintf("%s%s", h->claim_prefix, event_id);
	c = ha_op_start(h, HA_OP_CLAIM, key, NULL, cb, arg);
	free(key);
	return c;
}

/* Cancel a claim: its callback fires now with HA_CLAIM_ERROR. */
void
ha_claim_cancel(struct ha_claim *c)
{
	struct etcd_req *r = c->req;

	c->req = NULL;
	if (r != NULL)
		etcd_cancel(r); /* its callback ends the claim */
	else
		ha_claim_done(c, HA_CLAIM_ERROR, "claim cancelled");
}
