/*
 * Per-account request gates: a token bucket for the account's rate_limit,
 * shared by all its watches, and a pause that stops every request of the
 * account until a time (throttling answers, signature lock-out).  Pure: the
 * caller passes the monotonic time.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdint.h>

struct ratelimit;
struct ratelimit_set;

/* A gate allowing count requests per per_ms (count 0: no limit). */
struct ratelimit *ratelimit_new(unsigned count, uint64_t per_ms);
/* Free a gate; NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);
/* Change the rate, keeping the pause and the tokens (capped). */
void ratelimit_set_rate(struct ratelimit *rl, unsigned count, uint64_t per_ms);
/*
 * May a request go at now_ms?  0: yes, and a token is taken.  Otherwise the
 * milliseconds to wait before asking again (nothing is taken).
 */
uint64_t ratelimit_take(struct ratelimit *rl, uint64_t now_ms);
/* Why an account is paused. */
enum ratelimit_pause_kind {
	RATELIMIT_PAUSE_NONE,
	RATELIMIT_PAUSE_AUTH,     /* the cloud refused its credentials */
	RATELIMIT_PAUSE_THROTTLE, /* the cloud asked it to slow down */
};

#define RATELIMIT_REASON_MAX 256

/*
 * Stop every request until until_ms, for kind, with a reason for people
 * (truncated; never a secret).  A later pause extends, never shortens; the
 * pause that sets the end sets the kind and the reason.
 */
void ratelimit_pause(struct ratelimit *rl, uint64_t until_ms,
    enum ratelimit_pause_kind kind, const char *reason);
/* Lift the pause at once (new credentials, an operator's poll). */
void ratelimit_unpause(struct ratelimit *rl);
/* Milliseconds of pause left at now_ms; 0 when not paused. */
uint64_t ratelimit_paused_for(const struct ratelimit *rl, uint64_t now_ms);
/* The kind of the pause in force at now_ms (NONE when not paused). */
enum ratelimit_pause_kind ratelimit_pause_kind(
    const struct ratelimit *rl, uint64_t now_ms);
/* The reason of the pause in force at now_ms; NULL when not paused. */
const char *ratelimit_pause_reason(const struct ratelimit *rl, uint64_t now_ms);

/* An empty set of gates, one per account name. */
struct ratelimit_set *ratelimit_set_new(void);
/* Free the set and its gates; NULL is a no-op. */
void ratelimit_set_free(struct ratelimit_set *set);
/* The gate of an account, created on first use; the rate is updated. */
struct ratelimit *ratelimit_set_get(struct ratelimit_set *set,
    const char *account, unsigned count, uint64_t per_ms);
/* The gate of an account if it has one yet; NULL otherwise. */
struct ratelimit *ratelimit_set_find(
    struct ratelimit_set *set, const char *account);
/*
 * Call cb with each account's pause at now_ms: its kind
 * (RATELIMIT_PAUSE_NONE when not paused) and the time left.
 */
void ratelimit_set_foreach_paused(const struct ratelimit_set *set,
    uint64_t now_ms,
    void (*cb)(const char *account, enum ratelimit_pause_kind kind,
	uint64_t paused_ms, void *arg),
    void *arg);

#endif
