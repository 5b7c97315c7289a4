/*
 * Token buckets and pauses per account.  The bucket holds at most `count`
 * tokens and refills continuously at count per per_ms, so a burst of one
 * interval's worth is allowed and the long-run rate is the configured one.
 * Tokens are kept in thousandths to refill smoothly without floats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "xmalloc.h"

#define RATELIMIT_MILLI 1000

struct ratelimit {
	unsigned count; /* 0: unlimited */
	uint64_t per_ms;
	uint64_t milli_tokens; /* tokens * 1000 */
	uint64_t last_ms;      /* last refill */
	uint64_t paused_until_ms;
	enum ratelimit_pause_kind pause_kind;
	char pause_reason[RATELIMIT_REASON_MAX];
};

struct ratelimit_entry {
	char *account;
	struct ratelimit *rl;
};

struct ratelimit_set {
	struct ratelimit_entry *v;
	size_t n;
};

/* A gate allowing count requests per per_ms (count 0: no limit). */
struct ratelimit *
ratelimit_new(unsigned count, uint64_t per_ms)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	ratelimit_set_rate(rl, count, per_ms);
	rl->milli_tokens = (uint64_t)rl->count * RATELIMIT_MILLI;
	return rl;
}

/* Free a gate; NULL is a no-op. */
void
ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}

/* Change the rate, keeping the pause and the tokens (capped). */
void
ratelimit_set_rate(struct ratelimit *rl, unsigned count, uint64_t per_ms)
{
	rl->count = count;
	rl->per_ms = per_ms ? per_ms : 1000;
	if (rl->milli_tokens > (uint64_t)count * RATELIMIT_MILLI)
		rl->milli_tokens = (uint64_t)count * RATELIMIT_MILLI;
}

/* Add the tokens earned since the last refill. */
static void
ratelimit_refill(struct ratelimit *rl, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)rl->count * RATELIMIT_MILLI, earned;

	if (now_ms <= rl->last_ms) {
		rl->last_ms = rl->last_ms ? rl->last_ms : now_ms;
		return;
	}
	earned =
	    (now_ms - rl->last_ms) * rl->count * RATELIMIT_MILLI / rl->per_ms;
	rl->milli_tokens =
	    rl->milli_tokens + earned > cap ? cap : rl->milli_tokens + earned;
	rl->last_ms = now_ms;
}

/*
 * May a request go at now_ms?  0: yes, and a token is taken.  Otherwise the
 * milliseconds to wait before asking again (nothing is taken).
 */
uint64_t
ratelimit_take(struct ratelimit *rl, uint64_t now_ms)
{
	uint64_t missing, wait;

	if (rl->paused_until_ms > now_ms)
		return rl->paused_until_ms - now_ms;
	if (rl->count == 0)
		return 0;
	ratelimit_refill(rl, now_ms);
	if (rl->milli_tokens >= RATELIMIT_MILLI) {
		rl->milli_tokens -= RATELIMIT_MILLI;
		return 0;
	}
	missing = RATELIMIT_MILLI - rl->milli_tokens;
	wait =
	    (missing * rl->per_ms + (uint64_t)rl->count * RATELIMIT_MILLI - 1) /
	    ((uint64_t)rl->count * RATELIMIT_MILLI);
	return wait ? wait : 1;
}

/*
 * Stop every request until until_ms for kind and reason; a later pause
 * extends, never shortens, and the one that sets the end names the cause.
 */
void
ratelimit_pause(struct ratelimit *rl, uint64_t until_ms,
    enum ratelimit_pause_kind kind, const char *reason)
{
	if (until_ms <= rl->paused_until_ms)
		return;
	rl->paused_until_ms = until_ms;
	rl->pause_kind = kind;
	snprintf(rl->pause_reason, sizeof(rl->pause_reason), "%s",
	    reason != NULL ? reason : "");
}

/* Lift the pause at once (new credentials, an operator's poll). */
void
ratelimit_unpause(struct ratelimit *rl)
{
	rl->paused_until_ms = 0;
	rl->pause_kind = RATELIMIT_PAUSE_NONE;
	rl->pause_reason[0] = '\0';
}

/* Milliseconds of pause left at now_ms; 0 when not paused. */
uint64_t
ratelimit_paused_for(const struct ratelimit *rl, uint64_t now_ms)
{
	return rl->paused_until_ms > now_ms ? rl->paused_until_ms - now_ms : 0;
}

/* The kind of the pause in force at now_ms (NONE when not paused). */
enum ratelimit_pause_kind
ratelimit_pause_kind(const struct ratelimit *rl, uint64_t now_ms)
{
	return ratelimit_paused_for(rl, now_ms) > 0 ? rl->pause_kind
						    : RATELIMIT_PAUSE_NONE;
}

/* The reason of the pause in force at now_ms; NULL when not paused. */
const char *
ratelimit_pause_reason(const struct ratelimit *rl, uint64_t now_ms)
{
	return ratelimit_paused_for(rl, now_ms) > 0 ? rl->pause_reason : NULL;
}

/* An empty set of gates, one per account name. */
struct ratelimit_set *
ratelimit_set_new(void)
{
	return xcalloc(1, sizeof(struct ratelimit_set));
}

/* Free the set and its gates; NULL is a no-op. */
void
ratelimit_set_free(struct ratelimit_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].account);
		ratelimit_free(set->v[i].rl);
	}
	free(set->v);
	free(set);
}

/* The gate of an account if it has one yet; NULL otherwise. */
struct ratelimit *
ratelimit_set_find(struct ratelimit_set *set, const char *account)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].account, account) == 0)
			return set->v[i].rl;
	return NULL;
}

/* The gate of an account, created on first use; the rate is updated. */
struct ratelimit *
ratelimit_set_get(struct ratelimit_set *set, const char *account,
    unsigned count, uint64_t per_ms)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (strcmp(set->v[i].account, account) != 0)
			continue;
		if (set->v[i].rl->count != count ||
		    set->v[i].rl->per_ms != (per_ms ? per_ms : 1000))
			ratelimit_set_rate(set->v[i].rl, count, per_ms);
		return set->v[i].rl;
	}
	set->v = xreallocarray(set->v, set->n + 1, sizeof(*set->v));
	set->v[set->n].account = xstrdup(account);
	set->v[set->n].rl = ratelimit_new(count, per_ms);
	return set->v[set->n++].rl;
}

/* Call cb with each account's milliseconds of pause left at now_ms. */
void
ratelimit_set_foreach_paused(const struct ratelimit_set *set, uint64_t now_ms,
    void (*cb)(const char *account, enum ratelimit_pause_kind kind,
	uint64_t paused_ms, void *arg),
    void *arg)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		cb(set->v[i].account,
		    ratelimit_pause_kind(set->v[i].rl, now_ms),
		    ratelimit_paused_for(set->v[i].rl, now_ms), arg);
}
