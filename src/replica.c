/*
 * One replica of a shard: the election (ha.c over etcd.c) and the gate
 * notify.c asks before every delivery attempt.  For an exec hook the
 * gate claims "<notifier>/<event id>" under the leader key (a hook runs
 * once across replicas, and not at all when etcd cannot say: fails
 * closed).  For the other notifiers it reads the done mark the active
 * replica writes after each delivery: a standby drops what was delivered
 * and holds the rest, and a replica taking over does not send again what
 * its predecessor sent (only what was in flight, with the same id).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd.h"
#include "ha.h"
#include "json.h"
#include "log.h"
#include "notify.h"
#include "replica.h"
#include "timer.h"
#include "util.h"
#include "watch.h"
#include "xmalloc.h"

/* How often a standby asks again about what it holds. */
#define REPLICA_HOLD_RECHECK_MS (30 * 1000)
/* The latest time a kept state may name: 9999-12-31T23:59:59Z. */
#define REPLICA_MAX_TIME 253402300799LL
/* How often every replica reads the silences shared in etcd. */
#define REPLICA_SILENCE_SYNC_MS (5 * 1000)

struct replica {
	struct event_base *base; /* borrowed */
	struct etcd *etcd;
	struct ha *ha;
	struct notify *notify;       /* borrowed */
	int unsure;                  /* etcd could not answer a done check */
	struct replica_fetch *fetch; /* replica_watches_fetch in flight */
	struct etcd_req *fetch_req;
	replica_change_cb cb;
	void *arg; /* borrowed */
	unsigned shard;
	int64_t since;      /* unix seconds of the last leadership change */
	struct timer *sync; /* the next read of the shared silences */
	struct etcd_req *sync_req;
	replica_silences_cb silences;
	void *silences_arg;
	int sync_failing;  /* reads of the silences failed in a row */
	int share_failing; /* shares of a silence failed in a row */
	int freeing;       /* cancelled shares are not failures */
};

/* One question of the gate. */
struct replica_check {
	struct replica *r;
	struct notify_item *token; /* NULL once cancelled */
	struct ha_claim *claim;    /* in flight; NULL if none */
	struct timer *later;       /* an answer known without etcd */
	int exec;
	char *name;   /* "<notifier>/<event id>" */
	char *holder; /* who claimed an exec hook's run */
};

/* The key of one notification under done/ or hooks/ (caller frees). */
static char *
replica_gate_name(const char *notifier, const char *event_id)
{
	return xasprintf("%s/%s", notifier, event_id);
}

/* Answer the notifier (unless cancelled) and free the check. */
static void
replica_check_end(
    struct replica_check *c, enum notify_gate_verdict v, const char *detail)
{
	/* detail may be c's own (the holder): answer before freeing c. */
	if (c->token != NULL)
		notify_gate_answer(c->token, v, detail);
	timer_free(c->later);
	free(c->name);
	free(c->holder);
	free(c);
}

/* Not the active replica: the answer is "wait", given from the loop. */
static void
replica_later_cb(void *arg)
{
	replica_check_end(arg, NOTIFY_GATE_WAIT, "standby");
}

/*
 * Another replica claimed the hook's run: its end is marked (skip), or it
 * is not, and whether the hook ran cannot be known (a dead letter: never
 * silently dropped, never run twice).
 */
static void
replica_ran_cb(enum ha_claim_result res, const char *detail, void *arg)
{
	struct replica_check *c = arg;
	char *why;

	c->claim = NULL;
	if (c->token == NULL || res == HA_CLAIM_TAKEN) {
		replica_check_end(c, NOTIFY_GATE_SKIP, c->holder);
		return;
	}
	if (res == HA_CLAIM_ERROR) {
		why = xasprintf("etcd cannot say whether %s ran the hook (%s): "
				"not run, as a hook fails closed",
		    c->holder, detail != NULL ? detail : "no answer");
		replica_check_end(c, NOTIFY_GATE_RETRY, why);
	} else {
		why = xasprintf("replica %s claimed this hook run and its end "
				"was never recorded: it may or may not have "
				"run; not run again",
		    c->holder);
		replica_check_end(c, NOTIFY_GATE_DEAD, why);
	}
	free(why);
}

/* The claim of an exec hook's run answered. */
static void
replica_claim_cb(enum ha_claim_result res, const char *detail, void *arg)
{
	struct replica_check *c = arg;
	struct replica *r = c->r;
	char *why;

	c->claim = NULL;
	if (c->token == NULL) {
		replica_check_end(c, NOTIFY_GATE_WAIT, NULL);
		return;
	}
	switch (res) {
	case HA_CLAIM_WON:
		replica_check_end(c, NOTIFY_GATE_SEND, NULL);
		return;
	case HA_CLAIM_TAKEN:
		/* Ours from an earlier attempt (exit 75, a restart): run. */
		if (detail != NULL && strcmp(detail, ha_id(r->ha)) == 0) {
			replica_check_end(c, NOTIFY_GATE_SEND, NULL);
			return;
		}
		/* Another replica's: did its run end? */
		free(c->holder);
		c->holder = xstrdup(detail != NULL ? detail : "?");
		c->claim = ha_check_done(r->ha, c->name, replica_ran_cb, c);
		return;
	case HA_CLAIM_NOT_LEADER:
		replica_check_end(c, NOTIFY_GATE_WAIT, "not leader");
		return;
	case HA_CLAIM_ERROR:
		break;
	}
	why = xasprintf("etcd cannot claim the run (%s): not run, as a hook "
			"fails closed",
	    detail != NULL ? detail : "no answer");
	replica_check_end(c, NOTIFY_GATE_RETRY, why);
	free(why);
}

/* The done mark of a notification was read. */
static void
replica_done_cb(enum ha_claim_result res, const char *detail, void *arg)
{
	struct replica_check *c = arg;
	struct replica *r = c->r;

	c->claim = NULL;
	if (c->token == NULL) {
		replica_check_end(c, NOTIFY_GATE_WAIT, NULL);
		return;
	}
	if (res == HA_CLAIM_TAKEN) {
		replica_check_end(c, NOTIFY_GATE_SKIP, detail);
		return;
	}
	if (res == HA_CLAIM_ERROR) {
		/* At least once: the active replica delivers while it is. */
		if (r->unsure++ == 0)
			log_warnx(
			    "ha: etcd cannot say what was delivered "
			    "(%s): delivering anyway while the lease "
			    "holds; after a failover some may come twice, "
			    "with the same ids",
			    detail != NULL ? detail : "no answer");
	} else if (r->unsure > 0) {
		log_info("ha: etcd answers delivery checks again");
		r->unsure = 0;
	}
	if (ha_is_leader_now(r->ha))
		replica_check_end(c, NOTIFY_GATE_SEND, NULL);
	else
		replica_check_end(c, NOTIFY_GATE_WAIT, "standby");
}

/* The gate: may the attempt go (see notify.h)? */
static void *
replica_gate_check(void *arg, const char *notifier,
    enum config_notifier_type type, const char *event_id,
    struct notify_item *token)
{
	struct replica *r = arg;
	struct replica_check *c = xcalloc(1, sizeof(*c));

	c->r = r;
	c->token = token;
	c->name = replica_gate_name(notifier, event_id);
	c->exec = type == CONFIG_NOTIFIER_EXEC;
	if (c->exec)
		c->claim = ha_claim(r->ha, c->name, replica_claim_cb, c);
	else
		c->claim = ha_check_done(r->ha, c->name, replica_done_cb, c);
	if (c->claim == NULL) {
		/* ha_claim: not the leader now.  Answer from the loop. */
		c->later = timer_new(r->base, replica_later_cb, c);
		timer_activate(c->later);
	}
	return c;
}

/* Forget a check: it answers nobody. */
static void
replica_gate_cancel(void *arg, void *handle)
{
	struct replica_check *c = handle;

	c->token = NULL;
	if (c->claim != NULL)
		ha_claim_cancel(c->claim); /* its callback frees c */
	else
		replica_check_end(c, NOTIFY_GATE_WAIT, NULL);
}

/*
 * An attempt ended for good: mark a delivery done for the other
 * replicas, and an exec hook's run ended (whatever its outcome: it ran).
 */
static void
replica_gate_settled(void *arg, const char *notifier,
    enum config_notifier_type type, const char *event_id, int delivered)
{
	struct replica *r = arg;
	char *name;

	if (!delivered && type != CONFIG_NOTIFIER_EXEC)
		return; /* a refusal is this replica's dead letter */
	name = replica_gate_name(notifier, event_id);
	ha_mark_done(r->ha, name);
	free(name);
}

static const struct notify_gate_ops replica_gate_ops = {
	.check = replica_gate_check,
	.cancel = replica_gate_cancel,
	.settled = replica_gate_settled,
};

/* The election moved: open or close the gate, then tell the daemon. */
static void
replica_changed_cb(int leader, const char *why, void *arg)
{
	struct replica *r = arg;

	if (leader)
		notify_gate_opened(r->notify);
	else
		notify_gate_closed(r->notify);
	r->since = (int64_t)time(NULL);
	r->cb(leader, why, r->arg);
}

/* Join the election of shard and gate n's deliveries. */
struct replica *
replica_new(struct event_base *base, struct http *http,
    const struct config_ha *conf, unsigned shard, const char *id,
    const char *password, struct notify *n, replica_change_cb cb, void *arg,
    char **cause)
{
	struct replica *r = xcalloc(1, sizeof(*r));
	const char **urls = xcalloc(conf->netcd + 1, sizeof(*urls));
	struct etcd_config ec;
	struct ha_config hc;
	size_t i;

	for (i = 0; i < conf->netcd; i++)
		urls[i] = conf->etcd[i];
	memset(&ec, 0, sizeof(ec));
	ec.endpoints = urls;
	ec.ca_file = conf->ca_file;
	ec.cert_file = conf->cert_file;
	ec.key_file = conf->key_file;
	ec.user = conf->user;
	ec.password = password;
	r->etcd = etcd_new(http, &ec, cause);
	free(urls);
	if (r->etcd == NULL) {
		free(r);
		return NULL;
	}
	r->base = base;
	r->notify = n;
	r->cb = cb;
	r->arg = arg;
	r->shard = shard;
	r->since = (int64_t)time(NULL);
	memset(&hc, 0, sizeof(hc));
	hc.prefix = conf->prefix != NULL ? conf->prefix : "/taskwatch";
	hc.shard = shard;
	hc.id = id;
	hc.ttl_ms = conf->ttl_ms != 0 ? conf->ttl_ms : 10000;
	notify_set_gate(n, &replica_gate_ops, r, REPLICA_HOLD_RECHECK_MS);
	r->ha = ha_new(base, r->etcd, &hc, replica_changed_cb, r);
	return r;
}

/* Step down and give the leader key up. */
void
replica_resign(struct replica *r)
{
	if (r != NULL)
		ha_resign(r->ha);
}

/* 1 while the resignation is in flight. */
int
replica_resigning(const struct replica *r)
{
	return r != NULL && ha_resigning(r->ha);
}

/* Free (after notify_free). */
void
replica_free(struct replica *r)
{
	if (r == NULL)
		return;
	r->freeing = 1;
	if (r->fetch_req != NULL)
		etcd_cancel(r->fetch_req);
	if (r->sync_req != NULL)
		etcd_cancel(r->sync_req);
	timer_free(r->sync);
	ha_free(r->ha);
	etcd_free(r->etcd);
	free(r);
}

/* 1 if active at this moment by the lease. */
int
replica_active(struct replica *r)
{
	return ha_is_leader_now(r->ha);
}

/* The election's state name. */
const char *
replica_state(const struct replica *r)
{
	return ha_state_name(ha_state(r->ha));
}

/* What a watch's failure state is kept as: one small JSON object. */
static char *
replica_watch_text(const struct watch_failure *f)
{
	return xasprintf(
	    "{\"failed\":%s,\"streak_start\":%lld,\"flapping_since\":%lld}",
	    f->failed ? "true" : "false", (long long)f->streak_start_s,
	    (long long)f->flapping_since_s);
}

/* 1 if t (unix seconds, 0: none) is one the daemon can compute with. */
static int
replica_time_ok(int64_t t)
{
	return t >= 0 && t <= REPLICA_MAX_TIME;
}

/* Read what replica_watch_text wrote; -1 if it is not that. */
static int
replica_watch_parse(const char *text, size_t len, struct watch_failure *f)
{
	struct json *j = json_parse(text, len, NULL);
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (j != NULL && json_bool(json_get(j, "failed"), &f->failed) == 0 &&
	    json_int(json_get(j, "streak_start"), 0, &f->streak_start_s) == 0 &&
	    json_int(json_get(j, "flapping_since"), 0, &f->flapping_since_s) ==
		0 &&
	    replica_time_ok(f->streak_start_s) &&
	    replica_time_ok(f->flapping_since_s))
		rc = 0;
	json_free(j);
	return rc;
}

/* The active replica's watch changed state: keep it for a successor. */
void
replica_watch_note(
    struct replica *r, const char *watch, const struct watch_failure *f)
{
	char *name = xasprintf("watches/%s", watch);
	char *text = replica_watch_text(f);

	ha_keep(r->ha, name, text);
	free(text);
	free(name);
}

/* A fetch of the watches' states in flight. */
struct replica_fetch {
	struct replica *r;
	replica_watch_cb seed;
	void (*done)(int ok, void *arg);
	void *arg;
};

/* The watches' states were read: seed each, then say it is done. */
static void
replica_fetch_cb(const struct etcd_result *res, void *arg)
{
	struct replica_fetch *fe = arg;
	struct replica *r = fe->r;
	struct watch_failure f;
	size_t i, plen;
	const char *name;

	if (fe->r->fetch == fe)
		fe->r->fetch_req = NULL, fe->r->fetch = NULL;
	if (res->status == ETCD_ECANCEL) {
		free(fe);
		return;
	}
	if (res->status != ETCD_OK)
		log_warnx("ha: cannot read the watches' states the last "
			  "leader kept (%s): their watch_* events start "
			  "afresh",
		    res->errmsg);
	plen = strlen(ha_shard_prefix(r->ha)) + strlen("watches/");
	for (i = 0; res->status == ETCD_OK && i < res->nkvs; i++) {
		name = res->kvs[i].key;
		if (strlen(name) <= plen)
			continue;
		if (replica_watch_parse(
			res->kvs[i].value, res->kvs[i].value_len, &f) == -1) {
			log_warnx("ha: the state kept for watch %s is not "
				  "readable: ignored",
			    name + plen);
			continue;
		}
		fe->seed(name + plen, &f, fe->arg);
	}
	fe->done(res->status == ETCD_OK, fe->arg);
	free(fe);
}

/* Read the states the last leader kept; seed, then done (see header). */
void
replica_watches_fetch(struct replica *r, replica_watch_cb seed,
    void (*done)(int ok, void *arg), void *arg)
{
	struct replica_fetch *fe = xcalloc(1, sizeof(*fe));

	if (r->fetch_req != NULL)
		etcd_cancel(r->fetch_req); /* frees the older one */
	fe->r = r;
	fe->seed = seed;
	fe->done = done;
	fe->arg = arg;
	r->fetch = fe;
	r->fetch_req = ha_read(r->ha, "watches/", replica_fetch_cb, fe);
}

/* The shared silences were read: hand them over, read again later. */
static void
replica_sync_cb(const struct etcd_result *res, void *arg)
{
	struct replica *r = arg;
	const char **texts;
	size_t *lens, i;

	if (res->status == ETCD_ECANCEL)
		return;
	r->sync_req = NULL;
	timer_add_ms(r->sync, REPLICA_SILENCE_SYNC_MS);
	if (res->status != ETCD_OK) {
		if (r->sync_failing++ == 0)
			log_warnx("ha: cannot read the silences shared in etcd "
				  "(%s): those added or expired on other "
				  "replicas are not applied here until it "
				  "answers",
			    res->errmsg);
		return;
	}
	if (r->sync_failing > 0)
		log_info("ha: the shared silences are read again after %d "
			 "failures",
		    r->sync_failing);
	r->sync_failing = 0;
	texts = xcalloc(res->nkvs + 1, sizeof(*texts));
	lens = xcalloc(res->nkvs + 1, sizeof(*lens));
	for (i = 0; i < res->nkvs; i++) {
		texts[i] = res->kvs[i].value;
		lens[i] = res->kvs[i].value_len;
	}
	r->silences(texts, lens, res->nkvs, r->silences_arg);
	free(lens);
	free(texts);
}

/* Time to read the shared silences. */
static void
replica_sync_timer_cb(void *arg)
{
	struct replica *r = arg;

	if (r->sync_req == NULL)
		r->sync_req =
		    ha_read_shared(r->ha, "silences/", replica_sync_cb, r);
}

/* Read the shared silences now and every few seconds (see replica.h). */
void
replica_silences_sync(struct replica *r, replica_silences_cb cb, void *arg)
{
	r->silences = cb;
	r->silences_arg = arg;
	if (r->sync == NULL)
		r->sync = timer_new(r->base, replica_sync_timer_cb, r);
	timer_activate(r->sync);
}

/* A share answered: log the first failure of a run, and the recovery. */
static void
replica_share_cb(enum ha_claim_result res, const char *detail, void *arg)
{
	struct replica *r = arg;

	if (r->freeing)
		return;
	if (res == HA_CLAIM_WON) {
		if (r->share_failing > 0)
			log_info("ha: silences are shared again after %d "
				 "failures",
			    r->share_failing);
		r->share_failing = 0;
		return;
	}
	if (r->share_failing++ == 0)
		log_warnx("ha: cannot share a silence in etcd (%s): the other "
			  "replicas do not apply it until it is; tried again "
			  "every %d s",
		    detail != NULL ? detail : "cancelled",
		    REPLICA_SILENCE_SYNC_MS / 1000);
}

/* Tell the other replicas of a silence (see replica.h). */
void
replica_silence_share(struct replica *r, const char *id, const char *text)
{
	char *name = xasprintf("silences/%s", id);

	ha_keep_shared(r->ha, name, text, replica_share_cb, r);
	free(name);
}

/* What a status page shows: state, shard, id, etcd endpoint, held, since. */
void
replica_info(const struct replica *r, struct replica_info *ri)
{
	ri->state = replica_state(r);
	ri->shard = r->shard;
	ri->id = ha_id(r->ha);
	ri->etcd = etcd_endpoint(r->etcd);
	ri->held = notify_gate_held(r->notify);
	ri->since = r->since;
}
