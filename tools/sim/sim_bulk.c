/*
 * Bulk mode for benchmarks: --bulk CLUSTERSxTASKS generates that many
 * tasks of one API without a scenario file, and --change-rate N/s changes
 * N random tasks a second: a running task makes progress and at 100% ends
 * (one in ten failed); when fewer than a tenth are running, a random
 * finished task starts a new run instead.  Changes never add or remove
 * tasks, so the sorted listing index is built once and every page is
 * served from it.  The changes go to the change log (sim_changes.c), from
 * which GET /_sim/changes serves latency benchmarks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "json.h"
#include "log.h"
#include "monotime.h"
#include "util.h"
#include "xmalloc.h"

#include "sim.h"

#define SIM_BULK_MAX_CLUSTERS 100000
#define SIM_BULK_MAX_TASKS 100000
#define SIM_BULK_MAX_TOTAL 10000000ULL
#define SIM_BULK_MAX_RATE 1000000
#define SIM_BULK_TICK_MS 10
#define SIM_BULK_SPAN_S 3600 /* tasks were created within the last hour */

/* The bulk generator's state. */
struct sim_bulk {
	const struct sim_api *api; /* borrowed */
	struct sim_task **tasks;   /* borrowed from the task table */
	size_t n;
	size_t *run; /* indexes of the running tasks */
	size_t *pos; /* each task's place in run, or SIZE_MAX */
	size_t nrun;
	size_t target; /* tasks to keep running */
	unsigned per_s;
	uint64_t start_ms;
	uint64_t done; /* changes made so far */
	struct event *timer;
};

/* Task names per API, used in turn. */
static const char *const sim_bulk_dds_names[] = { "RestartInstance",
	"EnlargeMongoDBVolume", "MongodbSnapshotBackup",
	"ResizeMongoDBInstance", NULL };
static const char *const sim_bulk_gaussdb_names[] = {
	"BackupSnapshotGaussDBV5InInstance", "EnlargeGaussDBV5Volume",
	"ResizeGaussDBV5Flavor", "GaussDBV5ExpandClusterDN", NULL
};
static const char *const sim_bulk_ehpc_names[] = { "AddComputes",
	"StartComputes", "StopComputes", "ResetCompute", NULL };
static const char *const sim_bulk_dws_names[] = { "Expand", "Shrink", "Restart",
	"Switch", NULL };

/*
 * Parse "CLUSTERSxTASKS" (x, X or the multiplication sign); -1 if
 * malformed or too large.
 */
int
sim_bulk_parse(const char *spec, unsigned *clusters, unsigned *tasks)
{
	const char *sep, *errstr, *rest;
	char num[16];
	long long c, t;
	size_t len;

	if ((sep = strpbrk(spec, "xX")) != NULL)
		rest = sep + 1;
	else if ((sep = strstr(spec, "\xc3\x97")) != NULL)
		rest = sep + 2;
	else
		return -1;
	len = (size_t)(sep - spec);
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, spec, len);
	num[len] = '\0';
	if (util_strtonum(num, 1, SIM_BULK_MAX_CLUSTERS, &c, &errstr) == -1 ||
	    util_strtonum(rest, 1, SIM_BULK_MAX_TASKS, &t, &errstr) == -1 ||
	    (unsigned long long)c * (unsigned long long)t > SIM_BULK_MAX_TOTAL)
		return -1;
	*clusters = (unsigned)c;
	*tasks = (unsigned)t;
	return 0;
}

/* Parse "N/s" or "N"; -1 if malformed. */
int
sim_bulk_parse_rate(const char *spec, unsigned *per_s)
{
	char num[16];
	const char *errstr;
	size_t len = strlen(spec);
	long long v;

	if (len >= 2 && strcmp(spec + len - 2, "/s") == 0)
		len -= 2;
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, spec, len);
	num[len] = '\0';
	if (util_strtonum(num, 0, SIM_BULK_MAX_RATE, &v, &errstr) == -1)
		return -1;
	*per_s = (unsigned)v;
	return 0;
}

/* Note task i as running or not in the run list. */
static void
sim_bulk_mark(struct sim_bulk *b, size_t i, int running)
{
	size_t p = b->pos[i], last;

	if (running && p == SIZE_MAX) {
		b->pos[i] = b->nrun;
		b->run[b->nrun++] = i;
	} else if (!running && p != SIZE_MAX) {
		last = b->run[--b->nrun];
		b->run[p] = last;
		b->pos[last] = p;
		b->pos[i] = SIZE_MAX;
	}
}

/*
 * One change: below the target of running tasks a finished task starts a
 * new run; otherwise a running task makes progress, ending at 100%.
 */
static void
sim_bulk_change(struct sim *sim, struct sim_bulk *b)
{
	struct sim_task *t;
	struct sim_change c;
	const char *status = NULL;
	size_t i, tries;
	int p;

	sim_change_init(&c);
	if (b->nrun < b->target || b->nrun == 0) {
		i = arc4random_uniform((uint32_t)b->n);
		for (tries = 0; tries < 16 && b->pos[i] != SIZE_MAX; tries++)
			i = arc4random_uniform((uint32_t)b->n);
		status = b->api->default_status;
		c.status = xstrdup(status);
		c.progress = 0;
		c.fail_reason = xstrdup("");
	} else {
		i = b->run[arc4random_uniform((uint32_t)b->nrun)];
		p = b->tasks[i]->progress + 1 + (int)arc4random_uniform(20);
		if (p >= 100) {
			p = 100;
			if (arc4random_uniform(10) == 0) {
				status = b->api->terminal[1];
				c.fail_reason =
				    xstrdup("bulk: injected failure");
			} else
				status = b->api->terminal[0];
			c.status = xstrdup(status);
		}
		c.progress = p;
	}
	t = b->tasks[i];
	sim_task_apply(sim, t, &c, sim_now());
	sim_bulk_mark(b, i, !sim_task_terminal(t));
	sim_change_clear(&c);
}

/* Timer: make the changes due since the start, then wait a tick. */
static void
sim_bulk_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sim *sim = arg;
	struct sim_bulk *b = sim->bulk;
	struct timeval tv = { 0, SIM_BULK_TICK_MS * 1000 };
	uint64_t due;

	due = (monotime_ms() - b->start_ms) * b->per_s / 1000;
	for (; b->done < due; b->done++)
		sim_bulk_change(sim, b);
	evtimer_add(b->timer, &tv);
}

/* The API for a --bulk-api name (also the daemon's API names), or NULL. */
static const struct sim_api *
sim_bulk_api(const char *name, const char *const **names)
{
	if (strcmp(name, "dds") == 0 || strcmp(name, "dds.jobs") == 0) {
		*names = sim_bulk_dds_names;
		return &sim_dds_api;
	}
	if (strcmp(name, "gaussdb") == 0 ||
	    strcmp(name, "gaussdb.tasks") == 0) {
		*names = sim_bulk_gaussdb_names;
		return &sim_gaussdb_api;
	}
	if (strcmp(name, "ehpc") == 0 || strcmp(name, "ehpc.tasks") == 0) {
		*names = sim_bulk_ehpc_names;
		return &sim_ehpc_api;
	}
	if (strcmp(name, "dws.logical") == 0 ||
	    strcmp(name, "dws.logical_tasks") == 0) {
		*names = sim_bulk_dws_names;
		return &sim_dws_logical_api;
	}
	return NULL;
}

/*
 * Generate clusters x tasks tasks of api: instances or clusters named
 * bulk-00000, bulk-00001, ..., tasks created over the last hour, the newest
 * tenth of each cluster running, the rest succeeded or (one in ten)
 * failed.  With per_s > 0, start changing them.  -1 with *cause.
 */
int
sim_bulk_setup(struct sim *sim, const char *name, unsigned clusters,
    unsigned tasks, unsigned per_s, char **cause)
{
	const char *const *names;
	const struct sim_api *api;
	struct sim_bulk *b;
	struct sim_task *t;
	struct timeval tv = { 0, SIM_BULK_TICK_MS * 1000 };
	char cid[32], tid[SIM_UUID_LEN], lc[16];
	int64_t now = sim_now(), spacing;
	unsigned i, j;

	if ((api = sim_bulk_api(name, &names)) == NULL) {
		*cause = xasprintf("--bulk-api %s: use dds, gaussdb, ehpc or "
				   "dws.logical",
		    name);
		return -1;
	}
	b = xcalloc(1, sizeof(*b));
	b->api = api;
	b->per_s = per_s;
	b->n = (size_t)clusters * tasks;
	b->tasks = xcalloc(b->n, sizeof(*b->tasks));
	b->run = xcalloc(b->n, sizeof(*b->run));
	b->pos = xcalloc(b->n, sizeof(*b->pos));
	sim->bulk = b;
	spacing = SIM_BULK_SPAN_S / tasks > 0 ? SIM_BULK_SPAN_S / tasks : 1;
	for (i = 0; i < clusters; i++) {
		snprintf(cid, sizeof(cid), "bulk-%05u", i);
		if (api->cluster_kind != NULL)
			sim_cluster_add(sim, api->cluster_kind, cid, cid, NULL);
		for (j = 0; j < tasks; j++) {
			snprintf(tid, sizeof(tid), "%08x-0000-4000-8000-%012x",
			    i, j);
			t = sim_task_new(sim, api, tid);
			free(t->name);
			t->name = xstrdup(names[j % 4]);
			free(t->instance_id);
			t->instance_id = xstrdup(cid);
			free(t->instance_name);
			t->instance_name = xstrdup(cid);
			snprintf(lc, sizeof(lc), "lc-%u", j % 4);
			free(t->logical_cluster);
			t->logical_cluster = xstrdup(lc);
			t->created =
			    now - (int64_t)(tasks - j) * spacing - (i % 60);
			t->created_set = 1;
			free(t->status);
			if (j >= tasks - (tasks + 9) / 10) {
				t->status = xstrdup(api->default_status);
				t->progress = (int)arc4random_uniform(90);
			} else {
				t->progress = 100;
				t->ended = t->created + spacing / 2;
				if (j % 10 == 3) {
					t->status = xstrdup(api->terminal[1]);
					free(t->fail_reason);
					t->fail_reason =
					    xstrdup("bulk: injected failure");
				} else
					t->status = xstrdup(api->terminal[0]);
			}
			t->current_step = t->progress * t->total_steps / 100;
			t->logged = 1; /* there from the start */
			b->tasks[(size_t)i * tasks + j] = t;
			b->pos[(size_t)i * tasks + j] = SIZE_MAX;
			sim_bulk_mark(
			    b, (size_t)i * tasks + j, !sim_task_terminal(t));
		}
	}
	b->target = b->nrun;
	sim->gen++;
	log_debug("bulk: %u x %u %s tasks, %u changes/s", clusters, tasks,
	    api->service, per_s);
	if (per_s > 0) {
		if ((b->timer = evtimer_new(
			 sim->base, sim_bulk_timer_cb, sim)) == NULL)
			fatalx("evtimer_new failed");
		b->start_ms = monotime_ms();
		evtimer_add(b->timer, &tv);
	}
	return 0;
}

/* Stop the changes and free the generator (the tasks stay in the table). */
void
sim_bulk_free(struct sim *sim)
{
	struct sim_bulk *b = sim->bulk;

	if (b == NULL)
		return;
	if (b->timer != NULL)
		event_free(b->timer);
	free(b->tasks);
	free(b->run);
	free(b->pos);
	free(b);
	sim->bulk = NULL;
}
