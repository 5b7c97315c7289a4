/*
 * ha-driver: the test driver of tests/integration/etcd.sh, speaking to a
 * real etcd through etcd.c and ha.c on a libevent loop.  `elect` runs one
 * election participant and prints what it does, one line each with the
 * wall time in ms; `create` races for one key at a given wall time;
 * `kv` runs every call of etcd.h once and prints the results.  TLS
 * files come from HA_DRIVER_CA, HA_DRIVER_CERT and HA_DRIVER_KEY.  In
 * `elect`, SIGTERM resigns (as the daemon would on a clean stop).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "etcd.h"
#include "ha.h"
#include "http.h"
#include "log.h"
#include "monotime.h"
#include "timer.h"
#include "xmalloc.h"

#define DRV_CLAIM_WINDOW 6

struct drv {
	struct event_base *base;
	struct http *http;
	struct etcd *etcd;
	struct ha *ha;
	struct timer *act;
	const char *key;
	const char *value;
	int64_t at_ms;
	uint64_t claim_every_ms;
	uint64_t last_slot;
	int step;
	int64_t lease;
	struct event *sigterm;
};

/* Print one line: the wall time in ms, then the text. */
static void __attribute__((format(printf, 1, 2))) drv_say(const char *fmt, ...)
{
	va_list ap;

	printf("%lld ", (long long)monotime_wall_ms());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Usage and exit. */
static void __attribute__((noreturn)) drv_usage(void)
{
	fprintf(stderr,
	    "usage: ha-driver elect ENDPOINTS PREFIX ID TTL_MS CLAIM_EVERY_MS\n"
	    "       ha-driver create ENDPOINTS KEY VALUE AT_WALL_MS\n"
	    "       ha-driver kv ENDPOINTS PREFIX [USER PASSWORD]\n"
	    "ENDPOINTS is a comma-separated list of URLs.\n");
	exit(64);
}

/* Leadership changed. */
static void
drv_change_cb(int leader, const char *why, void *arg)
{
	drv_say("%s %s", leader ? "leader" : "standby", why);
}

/* A claim ended. */
static void
drv_claim_cb(enum ha_claim_result res, const char *detail, void *arg)
{
	static const char *const name[] = { "won", "taken", "not_leader",
		"error" };
	char *id = arg;

	drv_say("claim %s %s %s", id, name[res], detail);
	free(id);
}

/*
 * Every 100 ms: act if leader by the lease (what a hook run or a delivery
 * batch would check).  At each new slot of claim_every_ms, claim the event
 * ids of the last DRV_CLAIM_WINDOW slots: every id is tried several times,
 * by whichever participant leads then, as a new leader retries what was
 * in flight when the old one went away.
 */
static void
drv_act_cb(void *arg)
{
	struct drv *d = arg;
	uint64_t slot, k;
	char *id;

	if (ha_is_leader_now(d->ha)) {
		drv_say("act");
		slot = (uint64_t)monotime_wall_ms() / d->claim_every_ms;
		for (k = 0; slot != d->last_slot && k < DRV_CLAIM_WINDOW; k++) {
			id = xasprintf(
			    "evt-%llu", (unsigned long long)(slot - k));
			if (ha_claim(d->ha, id, drv_claim_cb, id) == NULL) {
				drv_say("claim %s not_leader_now -", id);
				free(id);
			}
		}
		d->last_slot = slot;
	}
	timer_add_ms(d->act, 100);
}

/* Leave the loop (after a resignation's revoke went out). */
static void
drv_exit_cb(void *arg)
{
	struct drv *d = arg;

	event_base_loopbreak(d->base);
}

/* SIGTERM: resign, so that a standby takes over at once, then exit. */
static void
drv_sigterm_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drv *d = arg;

	ha_resign(d->ha);
	timer_free(d->act);
	d->act = timer_new(d->base, drv_exit_cb, d);
	timer_add_ms(d->act, 500);
}

/* The create race answered. */
static void
drv_create_cb(const struct etcd_result *r, void *arg)
{
	struct drv *d = arg;

	if (r->status != ETCD_OK)
		drv_say("error %s", r->errmsg);
	else if (r->succeeded)
		drv_say("won");
	else
		drv_say("taken %s", r->nkvs > 0 ? r->kvs[0].value : "?");
	event_base_loopbreak(d->base);
}

/* At the agreed wall time, create the key. */
static void
drv_create_timer_cb(void *arg)
{
	struct drv *d = arg;
	struct etcd_put p = {
		.key = d->key, .value = d->value, .value_len = strlen(d->value)
	};

	if (monotime_wall_ms() < d->at_ms) {
		timer_add_ms(d->act, 1);
		return;
	}
	etcd_create(d->etcd, &p, drv_create_cb, d);
}

static void drv_kv_step(struct drv *d, const struct etcd_result *r);

/* A step of `kv` answered: print it, run the next. */
static void
drv_kv_cb(const struct etcd_result *r, void *arg)
{
	struct drv *d = arg;
	size_t i;

	printf("step %d: status %d", d->step, (int)r->status);
	if (r->status != ETCD_OK)
		printf(" (%s)", r->errmsg);
	else
		printf(" ttl %lld succeeded %d deleted %lld",
		    (long long)r->ttl_s, r->succeeded, (long long)r->deleted);
	for (i = 0; i < r->nkvs; i++)
		printf(" [%s=%s lease %s]", r->kvs[i].key, r->kvs[i].value,
		    r->kvs[i].lease == d->lease && d->lease ? "ours" : "other");
	printf("\n");
	fflush(stdout);
	if (r->status == ETCD_OK && r->lease_id != 0)
		d->lease = r->lease_id;
	d->step++;
	drv_kv_step(d, r);
}

/* Run step d->step of `kv`: every call once, against the real server. */
static void
drv_kv_step(struct drv *d, const struct etcd_result *r)
{
	const char *k = d->key;
	char *a = xasprintf("%s/a", k), *b = xasprintf("%s/b", k);
	struct etcd_put pa = { .key = a, .value = "1", .value_len = 1 };
	struct etcd_put pb = { .key = b, .value = "2", .value_len = 1 };

	switch (d->step) {
	case 0:
		etcd_lease_grant(d->etcd, 30, drv_kv_cb, d);
		break;
	case 1:
		etcd_lease_keepalive(d->etcd, d->lease, drv_kv_cb, d);
		break;
	case 2:
		pa.lease = d->lease;
		etcd_put(d->etcd, &pa, drv_kv_cb, d);
		break;
	case 3:
		etcd_create(d->etcd, &pb, drv_kv_cb, d);
		break;
	case 4:
		pb.value = "3";
		etcd_create(d->etcd, &pb, drv_kv_cb, d);
		break;
	case 5:
		etcd_range(d->etcd, k, 1, drv_kv_cb, d);
		break;
	case 6:
		etcd_lease_revoke(d->etcd, d->lease, drv_kv_cb, d);
		break;
	case 7:
		etcd_range(d->etcd, k, 1, drv_kv_cb, d);
		break;
	case 8:
		etcd_lease_keepalive(d->etcd, d->lease, drv_kv_cb, d);
		break;
	case 9:
		etcd_delete(d->etcd, k, 1, drv_kv_cb, d);
		break;
	case 10:
		etcd_put(d->etcd,
		    &(struct etcd_put){ .key = a,
			.value = "x",
			.value_len = 1,
			.lease = 12345 },
		    drv_kv_cb, d);
		break;
	default:
		printf("endpoint %s\n", etcd_endpoint(d->etcd));
		event_base_loopbreak(d->base);
	}
	free(a);
	free(b);
}

/* Split a comma-separated list into a NULL-terminated array. */
static const char **
drv_split(char *s)
{
	const char **v = NULL;
	size_t n = 0;
	char *p;

	while ((p = strsep(&s, ",")) != NULL) {
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = p;
	}
	v[n] = NULL;
	return v;
}

/* Run one of the modes. */
int
main(int argc, char **argv)
{
	struct etcd_config ec = { .timeout_ms = 1000 };
	struct ha_config hc = { 0 };
	struct drv d = { 0 };
	const char **eps;
	char *cause;

	if (argc < 3)
		drv_usage();
	log_init("ha-driver", 1, getenv("HA_DRIVER_DEBUG") != NULL ? 2 : 0);
	signal(SIGPIPE, SIG_IGN);
	eps = drv_split(argv[2]);
	ec.endpoints = eps;
	ec.ca_file = getenv("HA_DRIVER_CA");
	ec.cert_file = getenv("HA_DRIVER_CERT");
	ec.key_file = getenv("HA_DRIVER_KEY");
	if (strcmp(argv[1], "kv") == 0 && argc == 6) {
		ec.user = argv[4];
		ec.password = argv[5];
	}
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	d.http = http_new(d.base);
	http_set_debug(d.http, getenv("HA_DRIVER_DEBUG") != NULL);
	if ((d.etcd = etcd_new(d.http, &ec, &cause)) == NULL)
		fatalx("%s", cause);
	if (strcmp(argv[1], "elect") == 0 && argc == 7) {
		hc.prefix = argv[3];
		hc.id = argv[4];
		hc.ttl_ms = strtoull(argv[5], NULL, 10);
		d.claim_every_ms = strtoull(argv[6], NULL, 10);
		d.ha = ha_new(d.base, d.etcd, &hc, drv_change_cb, &d);
		d.act = timer_new(d.base, drv_act_cb, &d);
		timer_add_ms(d.act, 100);
		d.sigterm = evsignal_new(d.base, SIGTERM, drv_sigterm_cb, &d);
		evsignal_add(d.sigterm, NULL);
	} else if (strcmp(argv[1], "create") == 0 && argc == 6) {
		d.key = argv[3];
		d.value = argv[4];
		d.at_ms = strtoll(argv[5], NULL, 10);
		d.act = timer_new(d.base, drv_create_timer_cb, &d);
		timer_activate(d.act);
	} else if (strcmp(argv[1], "kv") == 0 && (argc == 4 || argc == 6)) {
		d.key = argv[3];
		drv_kv_step(&d, NULL);
	} else
		drv_usage();
	event_base_dispatch(d.base);
	if (d.sigterm != NULL)
		event_free(d.sigterm);
	ha_free(d.ha);
	timer_free(d.act);
	etcd_free(d.etcd);
	http_free(d.http);
	event_base_free(d.base);
	free(eps);
	return 0;
}
