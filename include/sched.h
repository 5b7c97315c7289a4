/*
 * The poll scheduler: one timer per job, a fixed rate with jitter,
 * exponential backoff after failures, Retry-After, and a global cap on how
 * many jobs run at once.  Jobs over the cap wait in FIFO order.
 */
#ifndef SCHED_H
#define SCHED_H

#include <stdint.h>

struct event_base;
struct sched;
struct sched_job;

/* Called when a job's turn comes; the job must later call sched_done. */
typedef void (*sched_run_cb)(struct sched_job *job, void *arg);

/* A scheduler on base running at most max_running jobs at once. */
struct sched *sched_new(struct event_base *base, unsigned max_running);
/* Free the scheduler; every job must have been removed. NULL is a no-op. */
void sched_free(struct sched *s);
/* Change the concurrency cap (reload). */
void sched_set_max(struct sched *s, unsigned max_running);
/* Add a job that first runs after first_delay_ms, then every interval_ms. */
struct sched_job *sched_add(struct sched *s, uint64_t interval_ms,
    uint64_t first_delay_ms, sched_run_cb cb, void *arg);
/*
 * Change a job's interval: a longer one from the next run on; a shorter
 * one also brings a healthy job's next run forward to one new interval
 * after its last start.
 */
void sched_set_interval(struct sched_job *job, uint64_t interval_ms);
/*
 * A run finished.  ok: the next run starts one interval (less up to 10%
 * jitter) after this one started, or at once if this one took longer.
 * Failure: after an exponential backoff (capped, +-10%), or retry_after_ms
 * when that is longer.
 */
void sched_done(struct sched_job *job, int ok, int64_t retry_after_ms);
/*
 * A run did not happen (its account is paused): run again after delay_ms,
 * counting neither a success nor a failure.
 */
void sched_defer(struct sched_job *job, uint64_t delay_ms);
/* When a job's next run is due (monotonic ms); 0 while it runs or waits. */
uint64_t sched_due_ms(const struct sched_job *job);
/* Remove a job (running or not); its callback will not be called again. */
void sched_remove(struct sched_job *job);
/* Stop starting jobs (shutdown); running ones may still call sched_done. */
void sched_stop(struct sched *s);
/* Jobs running now. */
unsigned sched_running(const struct sched *s);
/* The delay before the next run after `failures` consecutive failures. */
uint64_t sched_backoff_ms(uint64_t interval_ms, unsigned failures);

#endif
