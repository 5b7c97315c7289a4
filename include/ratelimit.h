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
/* Stop every request until until_ms (a later pause extends, never shortens). */
void ratelimit_pause(struct ratelimit *rl, uint64_t until_ms);
/* Milliseconds of pause left at now_ms; 0 when not paused. */
uint64_t ratelimit_paused_for(const struct ratelimit *rl, uint64_t now_ms);

/* An empty set of gates, one per account name. */
struct ratelimit_set *ratelimit_set_new(void);
/* Free the set and its gates; NULL is a no-op. */
void ratelimit_set_free(struct ratelimit_set *set);
/* The gate of an account, created on first use; the rate is updated. */
struct ratelimit *ratelimit_set_get(struct ratelimit_set *set,
    const char *account, unsigned count, uint64_t per_ms);
/* Call cb with each account's pause left at now_ms (0: not paused). */
void ratelimit_set_foreach_paused(const struct ratelimit_set *set,
    uint64_t now_ms,
    void (*cb)(const char *account, uint64_t paused_ms, void *arg), void *arg);

#endif
