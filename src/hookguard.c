/*
 * The guardrails of an exec notifier's hook (hookguard.h): per budget key
 * the start times of its runs in the window (at most max_runs of them, so
 * memory is bounded by HOOKGUARD_MAX_KEYS keys, least recently used
 * dropped), and one circuit breaker.  No I/O and no clock of its own.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "hookguard.h"
#include "json.h"
#include "xmalloc.h"

#define HOOKGUARD_OUTCOME_MAX 128

/* One budget key: its runs in the window, oldest first. */
struct hookguard_key {
	struct hashmap_entry hentry; /* first: in g->by_key */
	char *key;
	int64_t *runs;
	unsigned nruns;
	unsigned cap;
	uint64_t suppressed;              /* refused since its last run */
	TAILQ_ENTRY(hookguard_key) entry; /* least recently used first */
};

struct hookguard {
	struct hookguard_conf conf;
	struct hashmap by_key;
	TAILQ_HEAD(hookguard_key_q, hookguard_key) keys;
	enum hookguard_state state;
	unsigned failures;  /* in a row */
	int64_t open_until; /* unix ms; OPENED */
	int trial;          /* HALF_OPEN: the trial run is running */
	char outcome[HOOKGUARD_OUTCOME_MAX];
	uint64_t gen;
};

static const char *const hookguard_state_names[] = { "closed", "open",
	"half_open", NULL };

/* A new guard with no limits. */
struct hookguard *
hookguard_new(void)
{
	struct hookguard *g = xcalloc(1, sizeof(*g));

	hashmap_init(&g->by_key);
	TAILQ_INIT(&g->keys);
	return g;
}

/* Unlink a key and free it. */
static void
hookguard_key_free(struct hookguard *g, struct hookguard_key *k)
{
	hashmap_remove(&g->by_key, &k->hentry);
	TAILQ_REMOVE(&g->keys, k, entry);
	free(k->runs);
	free(k->key);
	free(k);
}

/* Forget every key. */
static void
hookguard_clear_keys(struct hookguard *g)
{
	struct hookguard_key *k;

	while ((k = TAILQ_FIRST(&g->keys)) != NULL)
		hookguard_key_free(g, k);
}

/* Free a guard; NULL is a no-op. */
void
hookguard_free(struct hookguard *g)
{
	if (g == NULL)
		return;
	hookguard_clear_keys(g);
	hashmap_clear(&g->by_key);
	free(g);
}

/* Set the limits; a key keeps at most max_runs runs from now on. */
void
hookguard_configure(struct hookguard *g, const struct hookguard_conf *c)
{
	struct hookguard_key *k;
	unsigned drop;

	g->conf = *c;
	TAILQ_FOREACH (k, &g->keys, entry) {
		if (k->nruns <= c->max_runs)
			continue;
		drop = k->nruns - c->max_runs;
		memmove(
		    k->runs, k->runs + drop, c->max_runs * sizeof(*k->runs));
		k->nruns = c->max_runs;
	}
	if (c->break_after == 0 && g->state != HOOKGUARD_CLOSED) {
		g->state = HOOKGUARD_CLOSED;
		g->trial = 0;
		g->gen++;
	}
}

/* The key called name, made (dropping the oldest at the cap) if need be. */
static struct hookguard_key *
hookguard_key_get(struct hookguard *g, const char *name)
{
	struct hashmap_entry *e = hashmap_get(&g->by_key, name);
	struct hookguard_key *k;

	if (e != NULL) {
		k = HASHMAP_ITEM(e, struct hookguard_key, hentry);
		TAILQ_REMOVE(&g->keys, k, entry);
		TAILQ_INSERT_TAIL(&g->keys, k, entry);
		return k;
	}
	if (hashmap_count(&g->by_key) >= HOOKGUARD_MAX_KEYS)
		hookguard_key_free(g, TAILQ_FIRST(&g->keys));
	k = xcalloc(1, sizeof(*k));
	k->key = xstrdup(name);
	hashmap_add(&g->by_key, &k->hentry, k->key);
	TAILQ_INSERT_TAIL(&g->keys, k, entry);
	return k;
}

/* Drop a key's runs that left the window at now. */
static void
hookguard_key_prune(struct hookguard *g, struct hookguard_key *k, int64_t now)
{
	unsigned i = 0;

	while (i < k->nruns && k->runs[i] <= now - g->conf.window_ms)
		i++;
	if (i == 0)
		return;
	memmove(k->runs, k->runs + i, (k->nruns - i) * sizeof(*k->runs));
	k->nruns -= i;
	g->gen++;
}

/* Append a run at now to a key (room for max_runs). */
static void
hookguard_key_add(struct hookguard_key *k, int64_t at, unsigned max)
{
	if (k->cap < max) {
		k->runs = xreallocarray(k->runs, max, sizeof(*k->runs));
		k->cap = max;
	}
	if (k->nruns == max && max > 0) {
		memmove(k->runs, k->runs + 1, (max - 1) * sizeof(*k->runs));
		k->nruns--;
	}
	if (max > 0)
		k->runs[k->nruns++] = at;
}

/* Move an open breaker whose time is over to half-open. */
static void
hookguard_tick(struct hookguard *g, int64_t now)
{
	if (g->state == HOOKGUARD_OPENED && now >= g->open_until) {
		g->state = HOOKGUARD_HALF_OPEN;
		g->trial = 0;
	}
}

/* May a run for key start at now? (hookguard.h) */
enum hookguard_verdict
hookguard_admit(struct hookguard *g, const char *key, int64_t now,
    struct hookguard_refusal *r)
{
	struct hookguard_key *k = NULL;

	hookguard_tick(g, now);
	if (g->state == HOOKGUARD_OPENED ||
	    (g->state == HOOKGUARD_HALF_OPEN && g->trial))
		return HOOKGUARD_OPEN;
	if (g->conf.max_runs > 0) {
		k = hookguard_key_get(g, key);
		hookguard_key_prune(g, k, now);
		if (k->nruns >= g->conf.max_runs) {
			k->suppressed++;
			g->gen++;
			if (r != NULL) {
				r->first = k->suppressed == 1;
				r->suppressed = k->suppressed;
				r->window_start = k->runs[0];
				r->free_at = k->runs[0] + g->conf.window_ms;
				r->runs = k->nruns;
			}
			return HOOKGUARD_BUDGET;
		}
		hookguard_key_add(k, now, g->conf.max_runs);
		k->suppressed = 0;
		g->gen++;
	}
	if (g->state == HOOKGUARD_HALF_OPEN)
		g->trial = 1;
	return HOOKGUARD_RUN;
}

/* A run ended (hookguard.h); 1 if it opened the breaker. */
int
hookguard_done(struct hookguard *g, enum hookguard_outcome how,
    const char *outcome, int64_t now)
{
	int trial = g->state == HOOKGUARD_HALF_OPEN && g->trial;

	if (how == HOOKGUARD_CANCELLED) {
		if (trial)
			g->trial = 0;
		return 0;
	}
	snprintf(g->outcome, sizeof(g->outcome), "%s",
	    outcome != NULL ? outcome : "");
	g->gen++;
	if (how == HOOKGUARD_OK) {
		g->failures = 0;
		g->state = HOOKGUARD_CLOSED;
		g->trial = 0;
		return 0;
	}
	g->failures++;
	if (g->conf.break_after == 0 || g->state == HOOKGUARD_OPENED)
		return 0;
	if (!trial && g->failures < g->conf.break_after)
		return 0;
	g->state = HOOKGUARD_OPENED;
	g->trial = 0;
	g->open_until = now + g->conf.break_for_ms;
	return 1;
}

/* Close the breaker; 1 if it was not closed. */
int
hookguard_reset(struct hookguard *g, int64_t now)
{
	int was;

	hookguard_tick(g, now);
	was = g->state != HOOKGUARD_CLOSED || g->failures > 0;
	g->state = HOOKGUARD_CLOSED;
	g->trial = 0;
	g->failures = 0;
	g->open_until = 0;
	g->gen++;
	return was;
}

/* The breaker at now. */
enum hookguard_state
hookguard_breaker(
    struct hookguard *g, int64_t now, unsigned *failures, int64_t *open_until)
{
	hookguard_tick(g, now);
	if (failures != NULL)
		*failures = g->failures;
	if (open_until != NULL)
		*open_until = g->state == HOOKGUARD_OPENED ? g->open_until : 0;
	return g->state;
}

/* The outcome of the last run that ended. */
const char *
hookguard_last_outcome(const struct hookguard *g)
{
	return g->outcome;
}

/* Budget keys kept. */
size_t
hookguard_nkeys(const struct hookguard *g)
{
	return hashmap_count(&g->by_key);
}

/* Changes so far. */
uint64_t
hookguard_gen(const struct hookguard *g)
{
	return g->gen;
}

/* Write the state as one JSON object (hookguard.h). */
void
hookguard_write(struct hookguard *g, struct json_writer *w, int64_t now,
    size_t max_keys, int full)
{
	struct hookguard_key *k;
	size_t n = 0;
	unsigned i;

	hookguard_tick(g, now);
	json_w_obj_open(w);
	json_w_kstr(w, "state", hookguard_state_names[g->state]);
	json_w_kint(w, "consecutive_failures", g->failures);
	json_w_kint(w, "open_until_ms",
	    g->state == HOOKGUARD_OPENED ? g->open_until : 0);
	json_w_kstr(w, "last_outcome", g->outcome);
	json_w_kint(w, "budget_keys", (int64_t)hashmap_count(&g->by_key));
	json_w_key(w, "budgets");
	json_w_arr_open(w);
	TAILQ_FOREACH_REVERSE (k, &g->keys, hookguard_key_q, entry) {
		if (n == max_keys)
			break;
		hookguard_key_prune(g, k, now);
		if (k->nruns == 0 && k->suppressed == 0)
			continue;
		json_w_obj_open(w);
		json_w_kstr(w, "key", k->key);
		if (full) {
			json_w_key(w, "runs_ms");
			json_w_arr_open(w);
			for (i = 0; i < k->nruns; i++)
				json_w_int(w, k->runs[i]);
			json_w_arr_close(w);
		} else {
			json_w_kint(w, "runs", k->nruns);
			json_w_kint(
			    w, "first_run_ms", k->nruns > 0 ? k->runs[0] : 0);
			json_w_kint(w, "last_run_ms",
			    k->nruns > 0 ? k->runs[k->nruns - 1] : 0);
		}
		json_w_kint(w, "suppressed", (int64_t)k->suppressed);
		json_w_obj_close(w);
		n++;
	}
	json_w_arr_close(w);
	json_w_obj_close(w);
}

/* An integer member of o, or def when absent; -1 if not an integer. */
static int
hookguard_get_int(const struct json *o, const char *key, int64_t *out)
{
	const struct json *v = json_get(o, key);

	*out = 0;
	return v == NULL ? 0 : json_int(v, 0, out);
}

/* Read one budget entry of a saved state into g. */
static int
hookguard_load_key(struct hookguard *g, const struct json *o)
{
	const struct json *runs = json_get(o, "runs_ms");
	const char *key = json_get_str(o, "key");
	struct hookguard_key *k;
	int64_t at, sup;
	size_t i, n;

	if (json_type(o) != JSON_OBJECT || key == NULL ||
	    json_type(runs) != JSON_ARRAY ||
	    hookguard_get_int(o, "suppressed", &sup) == -1 || sup < 0)
		return -1;
	k = hookguard_key_get(g, key);
	n = json_len(runs);
	for (i = 0; i < n; i++) {
		if (json_int(json_at(runs, i), 0, &at) == -1)
			return -1;
		hookguard_key_add(k, at, n > UINT32_MAX ? UINT32_MAX : n);
	}
	k->suppressed = (uint64_t)sup;
	return 0;
}

/* Read a saved breaker and budgets into the empty guard g. */
static int
hookguard_load_into(struct hookguard *g, const struct json *o)
{
	const struct json *budgets = json_get(o, "budgets");
	const char *state = json_get_str(o, "state"), *outcome;
	int64_t failures, until;
	size_t i;

	if (json_type(o) != JSON_OBJECT || state == NULL ||
	    json_type(budgets) != JSON_ARRAY ||
	    hookguard_get_int(o, "consecutive_failures", &failures) == -1 ||
	    hookguard_get_int(o, "open_until_ms", &until) == -1 ||
	    failures < 0 || failures > UINT32_MAX)
		return -1;
	for (i = 0; hookguard_state_names[i] != NULL; i++)
		if (strcmp(state, hookguard_state_names[i]) == 0)
			break;
	if (hookguard_state_names[i] == NULL)
		return -1;
	g->state = (enum hookguard_state)i;
	g->failures = (unsigned)failures;
	g->open_until = until;
	if ((outcome = json_get_str(o, "last_outcome")) != NULL)
		snprintf(g->outcome, sizeof(g->outcome), "%s", outcome);
	/* Written newest first: load oldest first to keep that order. */
	for (i = json_len(budgets); i > 0; i--)
		if (hookguard_load_key(g, json_at(budgets, i - 1)) == -1)
			return -1;
	return 0;
}

/* Load a saved state (hookguard.h). */
int
hookguard_load(struct hookguard *g, const struct json *o, char **cause)
{
	struct hookguard *tmp = hookguard_new();
	struct hookguard_key *k;

	if (hookguard_load_into(tmp, o) == -1) {
		hookguard_free(tmp);
		*cause = xstrdup("not a saved hook state");
		return -1;
	}
	hookguard_clear_keys(g);
	while ((k = TAILQ_FIRST(&tmp->keys)) != NULL) {
		hashmap_remove(&tmp->by_key, &k->hentry);
		TAILQ_REMOVE(&tmp->keys, k, entry);
		hashmap_add(&g->by_key, &k->hentry, k->key);
		TAILQ_INSERT_TAIL(&g->keys, k, entry);
	}
	g->state = tmp->state;
	g->failures = tmp->failures;
	g->open_until = tmp->open_until;
	g->trial = 0;
	memcpy(g->outcome, tmp->outcome, sizeof(g->outcome));
	hookguard_configure(g, &g->conf); /* trims to max_runs */
	hookguard_free(tmp);
	return 0;
}
