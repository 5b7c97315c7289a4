/*
 * Random lifecycles on all five APIs for fault tests (--lifecycles SEED):
 * slots per scope (the DDS and GaussDB projects, each DWS and E-HPC
 * cluster) each hold one task at a time, which appears, makes progress,
 * fails, ends partly, succeeds, stalls (running, progress frozen), rolls
 * back, appears already failed or vanishes, then leaves its slot to a new
 * one.  Scopes hold more tasks than a page of their API, so listings take
 * several pages.  The schedule comes from the seed alone: steps are due at
 * times relative to the start and applied in (time, slot) order, so the
 * same seed plays the same lifecycles.  Every change goes through the task
 * table, so the API handlers serve it and the change log records it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "monotime.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_LIFE_TICK_MS 20
#define SIM_LIFE_MAX_STEPS 12
#define SIM_LIFE_INSTANCES 6 /* DDS and GaussDB instances */
#define SIM_LIFE_FAMILIES 4  /* DWS action families per cluster */
#define SIM_LIFE_MAX_TASKS 1000
#define SIM_LIFE_MAX_CLUSTERS 50

/* One step of a task's lifecycle. */
struct sim_life_step {
	uint32_t delay_ms;  /* after the previous step */
	const char *status; /* static, or NULL */
	const char *name;   /* static, or NULL */
	int progress;       /* or -1 */
	int vanish;
};

/* A place for one task at a time in a scope. */
struct sim_life_slot {
	const struct sim_api *api; /* borrowed */
	const char *cluster;       /* borrowed; instance or cluster id */
	const char *cluster_name;  /* borrowed */
	unsigned n;                /* slot number within its scope */
	struct sim_task *task;     /* the current task, or NULL */
	struct sim_life_step steps[SIM_LIFE_MAX_STEPS];
	size_t nsteps, next;
	uint64_t due_ms; /* since the start */
};

/* The generator. */
struct sim_life {
	uint64_t rng;
	struct sim_life_slot *slots;
	size_t nslots;
	char **names; /* instance and cluster ids and names, owned */
	size_t nnames;
	uint64_t start_ms;
	struct event *timer;
	uint64_t made; /* tasks made */
};

/* Task types per API; DWS actions by family, the failed name second. */
static const char *const sim_life_dds_types[] = { "RestartInstance",
	"EnlargeMongoDBVolume", "MongodbSnapshotBackup",
	"ResizeMongoDBInstance", "SwitchPrimary", NULL };
static const char *const sim_life_gaussdb_types[] = {
	"BackupSnapshotGaussDBV5InInstance", "EnlargeGaussDBV5Volume",
	"ResizeGaussDBV5Flavor", "GaussDBV5ExpandClusterDN",
	"RestoreGaussDBV5InInstance", NULL
};
static const char *const sim_life_ehpc_types[] = { "AddComputes",
	"StartComputes", "StopComputes", "ResetCompute", "DeleteComputes",
	NULL };
static const char *const sim_life_dws_types[] = { "Expand", "Shrink", "Restart",
	"Switch", "Grow", NULL };
static const char *const sim_life_families[SIM_LIFE_FAMILIES][2] = {
	{ "GROWING", "RESIZE_FAILURE" },
	{ "RESTORING", "RESTORING_FAILED" },
	{ "SNAPSHOTTING", "SNAPSHOTTING_FAILED" },
	{ "FINE_GRAINED_RESTORING", "FINE_GRAINED_RESTORING_FAILED" },
};

/* The kinds of lifecycle. */
enum sim_life_plan {
	SIM_LIFE_SUCCEED,
	SIM_LIFE_FAIL,
	SIM_LIFE_PARTIAL, /* E-HPC; a failure elsewhere */
	SIM_LIFE_STALL,   /* frozen progress, then success or failure */
	SIM_LIFE_BORN_FAILED,
	SIM_LIFE_VANISH, /* vanishes while running */
	SIM_LIFE_EXTRA,  /* rollback, pending, cancel: the API's own words */
	SIM_LIFE_DONE,   /* at the start: finished long ago */
};

/* The next number of splitmix64. */
static uint64_t
sim_life_next(struct sim_life *l)
{
	uint64_t z = (l->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [lo, hi]. */
static uint32_t
sim_life_range(struct sim_life *l, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(sim_life_next(l) % (uint64_t)(hi - lo + 1));
}

/* 1 with probability pct percent. */
static int
sim_life_chance(struct sim_life *l, unsigned pct)
{
	return sim_life_range(l, 0, 99) < pct;
}

/* Fill dst with a UUID drawn from the seed. */
static void
sim_life_uuid(struct sim_life *l, char dst[SIM_UUID_LEN])
{
	uint64_t a = sim_life_next(l), b = sim_life_next(l);

	snprintf(dst, SIM_UUID_LEN, "%08x-%04x-4%03x-%04x-%012llx",
	    (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
	    (unsigned)a & 0xfff, 0x8000 | ((unsigned)(b >> 48) & 0x3fff),
	    (unsigned long long)(b & 0xffffffffffffULL));
}

/* Keep a name for the generator's lifetime; return it. */
static const char *
sim_life_keep(struct sim_life *l, char *s)
{
	l->names = xreallocarray(l->names, l->nnames + 1, sizeof(*l->names));
	l->names[l->nnames++] = s;
	return s;
}

/* Append a step to the slot's plan. */
static void
sim_life_add(struct sim_life_slot *s, uint32_t delay_ms, const char *status,
    const char *name, int progress, int vanish)
{
	struct sim_life_step *st;

	if (s->nsteps == SIM_LIFE_MAX_STEPS)
		fatalx("%s: too many steps", __func__);
	st = &s->steps[s->nsteps++];
	st->delay_ms = delay_ms;
	st->status = status;
	st->name = name;
	st->progress = progress;
	st->vanish = vanish;
}

/* The API's words: running, success, failure (terminal[0] and [1]). */
static const char *
sim_life_word(const struct sim_api *api, int which)
{
	if (which == 0)
		return api->default_status;
	return api->terminal[which - 1];
}

/* Add 1 to 4 progress steps from p0, then the end after one more delay. */
static void
sim_life_progress(struct sim_life *l, struct sim_life_slot *s, int p0)
{
	unsigned k, i;
	int p = p0;

	k = sim_life_range(l, 1, 4);
	for (i = 0; i < k && p < 90; i++) {
		p += (int)sim_life_range(l, 1, (uint32_t)(90 - p) / 2 + 1);
		if (s->api == &sim_ehpc_api)
			p = p / 10 * 10;
		sim_life_add(s, sim_life_range(l, 700, 4000), NULL, NULL, p, 0);
	}
}

/*
 * Plan the slot's next task: its first step (the appearance) after gap_ms,
 * then its lifecycle, then its vanishing.  initial: at the start, when
 * some tasks finished long ago.
 */
static void
sim_life_plan(
    struct sim_life *l, struct sim_life_slot *s, uint32_t gap_ms, int initial)
{
	const struct sim_api *api = s->api;
	const char *run = sim_life_word(api, 0), *ok = sim_life_word(api, 1);
	const char *fail = sim_life_word(api, 2), *failname = NULL;
	enum sim_life_plan plan;
	unsigned r = sim_life_range(l, 0, 99);
	int p0 = (int)sim_life_range(l, 0, 30) / 10 * 10;

	if (api == &sim_dws_actions_api)
		failname = sim_life_families[s->n % SIM_LIFE_FAMILIES][1];
	/* E-HPC says both Fail and Failed: every other task ends Failed */
	if (api == &sim_ehpc_api && s->n % 2 == 1)
		fail = "Failed";
	if (initial && sim_life_chance(l, 40))
		plan = SIM_LIFE_DONE;
	else if (r < 40)
		plan = SIM_LIFE_SUCCEED;
	else if (r < 58)
		plan = SIM_LIFE_FAIL;
	else if (r < 66)
		plan = SIM_LIFE_PARTIAL;
	else if (r < 76)
		plan = SIM_LIFE_STALL;
	else if (r < 82)
		plan = SIM_LIFE_BORN_FAILED;
	else if (r < 88)
		plan = SIM_LIFE_VANISH;
	else
		plan = SIM_LIFE_EXTRA;
	if (plan == SIM_LIFE_PARTIAL && api != &sim_ehpc_api)
		plan = SIM_LIFE_FAIL;
	if (plan == SIM_LIFE_EXTRA && api == &sim_ehpc_api)
		plan = SIM_LIFE_PARTIAL;
	if (plan == SIM_LIFE_EXTRA &&
	    (api == &sim_dds_api || api == &sim_dws_logical_api))
		plan = SIM_LIFE_SUCCEED;

	s->nsteps = s->next = 0;
	switch (plan) {
	case SIM_LIFE_DONE:
		if (sim_life_chance(l, 20))
			sim_life_add(s, gap_ms, fail, failname, 100, 0);
		else
			sim_life_add(s, gap_ms, ok, NULL, 100, 0);
		break;
	case SIM_LIFE_BORN_FAILED:
		sim_life_add(s, gap_ms, fail, failname, p0, 0);
		break;
	case SIM_LIFE_EXTRA:
		if (api == &sim_dws_actions_api) {
			sim_life_add(s, gap_ms, "WAITING", NULL, 0, 0);
			sim_life_add(
			    s, sim_life_range(l, 700, 3000), run, NULL, p0, 0);
			sim_life_progress(l, s, p0);
			sim_life_add(s, sim_life_range(l, 700, 3000),
			    "ROLLBACK_RUNNING", NULL, -1, 0);
			sim_life_add(s, sim_life_range(l, 700, 4000),
			    sim_life_chance(l, 50) ? "ROLLBACK_FAIL"
						   : "ROLLBACK_SUCCESS",
			    NULL, -1, 0);
		} else { /* GaussDB */
			sim_life_add(s, gap_ms, "Pending", NULL, 0, 0);
			sim_life_add(
			    s, sim_life_range(l, 700, 3000), run, NULL, p0, 0);
			sim_life_progress(l, s, p0);
			sim_life_add(s, sim_life_range(l, 700, 4000),
			    sim_life_chance(l, 50) ? "Canceled" : ok, NULL, -1,
			    0);
		}
		break;
	default:
		sim_life_add(s, gap_ms, run, NULL, p0, 0);
		sim_life_progress(l, s, p0);
		if (plan == SIM_LIFE_VANISH) {
			sim_life_add(
			    s, sim_life_range(l, 700, 4000), NULL, NULL, -1, 1);
			return;
		}
		if (plan == SIM_LIFE_STALL) {
			/* the freeze: no change at all for a while */
			sim_life_add(s, sim_life_range(l, 6000, 20000), NULL,
			    NULL, -1, 0);
			plan = sim_life_chance(l, 50) ? SIM_LIFE_FAIL
						      : SIM_LIFE_SUCCEED;
		} else
			s->steps[s->nsteps - 1].delay_ms +=
			    sim_life_range(l, 0, 3000);
		if (plan == SIM_LIFE_SUCCEED)
			sim_life_add(
			    s, sim_life_range(l, 700, 4000), ok, NULL, 100, 0);
		else if (plan == SIM_LIFE_PARTIAL)
			sim_life_add(s, sim_life_range(l, 700, 4000),
			    "PartialFail", NULL, -1, 0);
		else
			sim_life_add(s, sim_life_range(l, 700, 4000), fail,
			    failname, -1, 0);
		break;
	}
	/* the end lingers in the listing, then the task vanishes */
	sim_life_add(s, sim_life_range(l, 5000, 60000), NULL, NULL, -1, 1);
}

/* Replace an owned string of a new task. */
static void
sim_life_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Fill c from step st of a task of api. */
static void
sim_life_change(const struct sim_api *api, const struct sim_life_step *st,
    struct sim_change *c)
{
	sim_change_init(c);
	c->delete = st->vanish;
	if (st->status != NULL) {
		c->status = xstrdup(st->status);
		if (sim_word_in(st->status, api->terminal) &&
		    strcmp(st->status, api->terminal[0]) != 0)
			c->fail_reason = xstrdup("chaos: injected failure");
	}
	if (st->name != NULL)
		c->name = xstrdup(st->name);
	if (st->progress == -1)
		return;
	if (api == &sim_ehpc_api)
		c->current_step = st->progress / 10;
	else
		c->progress = st->progress;
}

/* Create the slot's task at wall time now from its first step. */
static void
sim_life_create(struct sim *sim, struct sim_life *l, struct sim_life_slot *s,
    int initial, int64_t now)
{
	const char *const *types;
	struct sim_change c;
	struct sim_task *t;
	char id[SIM_UUID_LEN], lc[16];
	const char *name;
	uint32_t ntypes;

	if (s->api == &sim_dds_api)
		types = sim_life_dds_types;
	else if (s->api == &sim_gaussdb_api)
		types = sim_life_gaussdb_types;
	else if (s->api == &sim_ehpc_api)
		types = sim_life_ehpc_types;
	else
		types = sim_life_dws_types;
	for (ntypes = 0; types[ntypes] != NULL; ntypes++)
		;
	if (s->api == &sim_dws_actions_api)
		name = sim_life_families[s->n % SIM_LIFE_FAMILIES][0];
	else
		name = types[sim_life_range(l, 0, ntypes - 1)];
	sim_life_uuid(l, id);
	/* not logged until the change below fills it in */
	t = sim_task_new(sim, s->api, id);
	sim_life_set(&t->name, name);
	sim_life_set(&t->instance_id, s->cluster);
	sim_life_set(&t->instance_name, s->cluster_name);
	snprintf(lc, sizeof(lc), "lc_%02u", s->n);
	sim_life_set(&t->logical_cluster, lc);
	if (initial) {
		t->created = now - (int64_t)sim_life_range(l, 60, 3600);
		t->created_set = 1;
	}
	sim_life_change(s->api, &s->steps[0], &c);
	sim_task_apply(sim, t, &c, now);
	sim_change_clear(&c);
	s->task = t;
	l->made++;
}

/* Apply the slot's due step; plan the next task after a vanishing. */
static void
sim_life_step(
    struct sim *sim, struct sim_life *l, struct sim_life_slot *s, int64_t now)
{
	const struct sim_life_step *st = &s->steps[s->next];
	struct sim_change c;
	uint32_t gap;

	if (s->next == 0)
		sim_life_create(sim, l, s, 0, now);
	else {
		sim_life_change(s->api, st, &c);
		sim_task_apply(sim, s->task, &c, now);
		sim_change_clear(&c);
	}
	if (st->vanish) {
		s->task = NULL;
		/* DWS logical ids derive from the start second: never reuse */
		gap = sim_life_range(l, 1100, 4000);
		sim_life_plan(l, s, gap, 0);
		s->due_ms += s->steps[0].delay_ms;
		return;
	}
	if (++s->next < s->nsteps)
		s->due_ms += s->steps[s->next].delay_ms;
	else
		s->due_ms = UINT64_MAX; /* never: cannot happen, plans end */
}

/*
 * Timer: apply every step due since the start, in (time, slot) order so
 * that the schedule depends on the seed alone, then wait a tick.
 */
static void
sim_life_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sim *sim = arg;
	struct sim_life *l = sim->life;
	struct timeval tv = { 0, SIM_LIFE_TICK_MS * 1000 };
	uint64_t elapsed = monotime_ms() - l->start_ms;
	struct sim_life_slot *s;
	size_t i;

	for (;;) {
		s = NULL;
		for (i = 0; i < l->nslots; i++) {
			if (l->slots[i].due_ms <= elapsed &&
			    (s == NULL || l->slots[i].due_ms < s->due_ms))
				s = &l->slots[i];
		}
		if (s == NULL)
			break;
		sim_life_step(sim, l, s, sim_now());
	}
	evtimer_add(l->timer, &tv);
}

/* Add n slots of api in the scope of cluster (id and name). */
static void
sim_life_slots(struct sim_life *l, const struct sim_api *api,
    const char *cluster, const char *name, unsigned n)
{
	struct sim_life_slot *s;
	unsigned i;

	l->slots = xreallocarray(l->slots, l->nslots + n, sizeof(*l->slots));
	for (i = 0; i < n; i++) {
		s = &l->slots[l->nslots++];
		memset(s, 0, sizeof(*s));
		s->api = api;
		s->cluster = cluster;
		s->cluster_name = name;
		s->n = i;
	}
}

/*
 * Set up the lifecycles of seed: tasks slots per DWS logical and E-HPC
 * cluster, twice that for the DDS and GaussDB projects (their pages are
 * twice as long), one per action family on each DWS cluster, clusters
 * DWS and E-HPC clusters.  The first tasks are there at the start; some
 * finished long ago.  -1 with *cause.
 */
int
sim_life_setup(struct sim *sim, uint64_t seed, unsigned tasks,
    unsigned clusters, char **cause)
{
	struct sim_life *l;
	char uuid[SIM_UUID_LEN], *id, *name;
	const char *pid, *pname;
	int64_t now = sim_now();
	size_t i;
	unsigned k;

	if (tasks == 0 || tasks > SIM_LIFE_MAX_TASKS || clusters == 0 ||
	    clusters > SIM_LIFE_MAX_CLUSTERS) {
		*cause = xasprintf("lifecycles: 1 to %d tasks per scope and 1 "
				   "to %d clusters",
		    SIM_LIFE_MAX_TASKS, SIM_LIFE_MAX_CLUSTERS);
		return -1;
	}
	l = xcalloc(1, sizeof(*l));
	l->rng = seed;
	sim->life = l;
	for (k = 0; k < SIM_LIFE_INSTANCES; k++) {
		sim_life_uuid(l, uuid);
		id = xasprintf("%.8s%.4s%.4s%.4s%.12sin02", uuid, uuid + 9,
		    uuid + 14, uuid + 19, uuid + 24);
		pid = sim_life_keep(l, id);
		pname = sim_life_keep(l, xasprintf("dds-chaos-%u", k));
		sim_life_slots(l, &sim_dds_api, pid, pname,
		    (2 * tasks + SIM_LIFE_INSTANCES - 1) / SIM_LIFE_INSTANCES);
		sim_life_uuid(l, uuid);
		id = xasprintf("%.8s%.4s%.4s%.4s%.12sin14", uuid, uuid + 9,
		    uuid + 14, uuid + 19, uuid + 24);
		pid = sim_life_keep(l, id);
		pname = sim_life_keep(l, xasprintf("gauss-chaos-%u", k));
		sim_life_slots(l, &sim_gaussdb_api, pid, pname,
		    (2 * tasks + SIM_LIFE_INSTANCES - 1) / SIM_LIFE_INSTANCES);
	}
	for (k = 0; k < clusters; k++) {
		sim_life_uuid(l, uuid);
		pid = sim_life_keep(l, xstrdup(uuid));
		pname = sim_life_keep(l, xasprintf("dws-chaos-%u", k));
		sim_cluster_add(sim, "dws", pid, pname, NULL);
		sim_life_slots(l, &sim_dws_logical_api, pid, pname, tasks);
		sim_life_slots(
		    l, &sim_dws_actions_api, pid, pname, SIM_LIFE_FAMILIES);
		sim_life_uuid(l, uuid);
		id = xasprintf("ehpc-hz-%.10s", uuid + 24);
		pid = sim_life_keep(l, id);
		name = xasprintf("hpc-chaos-%u", k);
		pname = sim_life_keep(l, name);
		sim_cluster_add(sim, "ehpc", pid, pname, NULL);
		sim_life_slots(l, &sim_ehpc_api, pid, pname, tasks);
	}
	for (i = 0; i < l->nslots; i++) {
		sim_life_plan(l, &l->slots[i], 0, 1);
		sim_life_create(sim, l, &l->slots[i], 1, now);
		l->slots[i].next = 1;
		l->slots[i].due_ms = l->slots[i].steps[1].delay_ms;
	}
	log_debug("lifecycles: seed %llu, %zu slots", (unsigned long long)seed,
	    l->nslots);
	return 0;
}

/* Start the schedule (once the server listens). */
void
sim_life_start(struct sim *sim)
{
	struct sim_life *l = sim->life;
	struct timeval tv = { 0, SIM_LIFE_TICK_MS * 1000 };

	if (l == NULL)
		return;
	if ((l->timer = evtimer_new(sim->base, sim_life_timer_cb, sim)) == NULL)
		fatalx("evtimer_new failed");
	l->start_ms = monotime_ms();
	evtimer_add(l->timer, &tv);
}

/* Stop the schedule and free the generator (the tasks stay). */
void
sim_life_free(struct sim *sim)
{
	struct sim_life *l = sim->life;
	size_t i;

	if (l == NULL)
		return;
	if (l->timer != NULL)
		event_free(l->timer);
	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->slots);
	free(l);
	sim->life = NULL;
}
