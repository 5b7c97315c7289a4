/*
 * Poll scheduling on libevent timers.  Each job has one timer; when it fires
 * the job runs if a slot is free, otherwise it queues (FIFO) and starts when
 * another job calls sched_done.  Delays use +-10% jitter so that many
 * watches with the same interval do not poll in lock-step.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "monotime.h"
#include "sched.h"
#include "xmalloc.h"

#define SCHED_BACKOFF_CAP_MS (5 * 60 * 1000)
#define SCHED_BACKOFF_MIN_MS 100

enum sched_state {
	SCHED_IDLE,    /* timer armed */
	SCHED_WAITING, /* timer fired, queued for a slot */
	SCHED_RUNNING,
};

struct sched_job {
	struct sched *sched;
	struct event *timer;
	uint64_t interval_ms;
	unsigned failures;
	uint64_t started_ms; /* monotonic start of the current run */
	uint64_t due_ms;     /* monotonic time the timer fires */
	enum sched_state state;
	sched_run_cb cb;
	void *arg;
	TAILQ_ENTRY(sched_job) wait_entry;
};

struct sched {
	struct event_base *base;
	unsigned max_running;
	unsigned running;
	int stopped;
	struct event *kick; /* starts queued jobs */
	TAILQ_HEAD(, sched_job) waiting;
};

static void sched_kick_cb(evutil_socket_t, short, void *);

/* A scheduler on base running at most max_running jobs at once. */
struct sched *
sched_new(struct event_base *base, unsigned max_running)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	s->base = base;
	s->max_running = max_running ? max_running : 1;
	TAILQ_INIT(&s->waiting);
	s->kick = evtimer_new(base, sched_kick_cb, s);
	if (s->kick == NULL)
		fatalx("sched: evtimer_new failed");
	return s;
}

/* Free the scheduler; every job must have been removed. NULL is a no-op. */
void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	event_free(s->kick);
	free(s);
}

/* Change the concurrency cap (reload). */
void
sched_set_max(struct sched *s, unsigned max_running)
{
	static const struct timeval now = { 0, 0 };

	s->max_running = max_running ? max_running : 1;
	evtimer_add(s->kick, &now);
}

/* Apply +-10% jitter to a delay (backoff after failures). */
static uint64_t
sched_jitter(uint64_t ms)
{
	uint64_t span = ms / 5;

	if (span == 0)
		return ms;
	return ms - ms / 10 +
	    (uint64_t)arc4random_uniform(
		span > UINT32_MAX ? UINT32_MAX : (uint32_t)span + 1);
}

/*
 * The period of a healthy job: the interval less up to 10% of jitter.  The
 * jitter only ever shortens the period, so a change is seen at most one
 * interval after it happened, and watches with one interval still drift
 * apart instead of polling in lock-step.
 */
static uint64_t
sched_period(uint64_t interval_ms)
{
	uint64_t span = interval_ms / 10;

	if (span == 0)
		return interval_ms;
	return interval_ms -
	    (uint64_t)arc4random_uniform(
		span > UINT32_MAX ? UINT32_MAX : (uint32_t)span + 1);
}

/* Arm a job's timer for ms from now. */
static void
sched_arm(struct sched_job *job, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	job->state = SCHED_IDLE;
	job->due_ms = monotime_ms() + ms;
	evtimer_add(job->timer, &tv);
}

/* When a job's next run is due (monotonic ms); 0 while it runs or waits. */
uint64_t
sched_due_ms(const struct sched_job *job)
{
	return job->state == SCHED_IDLE ? job->due_ms : 0;
}

/* Start a job now: take a slot and call its callback. */
static void
sched_start(struct sched_job *job)
{
	job->state = SCHED_RUNNING;
	job->started_ms = monotime_ms();
	job->sched->running++;
	job->cb(job, job->arg);
}

/* A job's timer fired: run it, or queue it when every slot is taken. */
static void
sched_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sched_job *job = arg;
	struct sched *s = job->sched;

	if (s->stopped)
		return;
	if (s->running < s->max_running && TAILQ_EMPTY(&s->waiting)) {
		sched_start(job);
		return;
	}
	job->state = SCHED_WAITING;
	TAILQ_INSERT_TAIL(&s->waiting, job, wait_entry);
}

/* Start queued jobs while slots are free (from the loop, not re-entrantly). */
static void
sched_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	struct sched_job *job;

	while (!s->stopped && s->running < s->max_running &&
	    (job = TAILQ_FIRST(&s->waiting)) != NULL) {
		TAILQ_REMOVE(&s->waiting, job, wait_entry);
		sched_start(job);
	}
}

/* Add a job that first runs after first_delay_ms, then every interval_ms. */
struct sched_job *
sched_add(struct sched *s, uint64_t interval_ms, uint64_t first_delay_ms,
    sched_run_cb cb, void *arg)
{
	struct sched_job *job = xcalloc(1, sizeof(*job));

	job->sched = s;
	job->interval_ms = interval_ms;
	job->cb = cb;
	job->arg = arg;
	job->timer = evtimer_new(s->base, sched_timer_cb, job);
	if (job->timer == NULL)
		fatalx("sched: evtimer_new failed");
	sched_arm(job, first_delay_ms);
	return job;
}

/*
 * Change a job's interval.  A longer one applies from the next run on; a
 * shorter one moves a healthy job's next run to one new interval after
 * its last start (an hour-long wait is not kept after a reload to 30s).
 */
void
sched_set_interval(struct sched_job *job, uint64_t interval_ms)
{
	uint64_t now, due;
	int shorter = interval_ms < job->interval_ms;

	job->interval_ms = interval_ms;
	if (!shorter || job->state != SCHED_IDLE || job->failures > 0 ||
	    job->started_ms == 0)
		return;
	now = monotime_ms();
	due = job->started_ms + interval_ms;
	sched_arm(job, due > now ? due - now : 0);
}

/* The delay before the next run after `failures` consecutive failures. */
uint64_t
sched_backoff_ms(uint64_t interval_ms, unsigned failures)
{
	uint64_t cap, ms;
	unsigned i;

	/* A zero interval (benchmarks) still backs off after failures. */
	if (interval_ms < SCHED_BACKOFF_MIN_MS)
		interval_ms = SCHED_BACKOFF_MIN_MS;
	ms = interval_ms;

	cap = interval_ms * 16;
	if (cap > SCHED_BACKOFF_CAP_MS)
		cap = SCHED_BACKOFF_CAP_MS;
	if (cap < interval_ms)
		cap = interval_ms;
	for (i = 1; i < failures && ms < cap; i++)
		ms *= 2;
	return ms > cap ? cap : ms;
}

/* Release a running job's slot and let a queued job start. */
static void
sched_release(struct sched_job *job)
{
	static const struct timeval now = { 0, 0 };
	struct sched *s = job->sched;

	if (job->state != SCHED_RUNNING)
		return;
	s->running--;
	if (!TAILQ_EMPTY(&s->waiting))
		evtimer_add(s->kick, &now);
}

/*
 * A run finished.  ok: next run after the interval (+-10%).  Failure: after
 * an exponential backoff (capped), or retry_after_ms when that is longer.
 */
void
sched_done(struct sched_job *job, int ok, int64_t retry_after_ms)
{
	uint64_t delay, period, took;

	sched_release(job);
	if (ok) {
		/* Fixed rate: the period counts from the start of this run. */
		job->failures = 0;
		period = sched_period(job->interval_ms);
		took = monotime_ms() - job->started_ms;
		delay = took < period ? period - took : 0;
	} else {
		if (job->failures < 64)
			job->failures++;
		delay = sched_jitter(
		    sched_backoff_ms(job->interval_ms, job->failures));
	}
	if (retry_after_ms > 0 && (uint64_t)retry_after_ms > delay)
		delay = (uint64_t)retry_after_ms;
	sched_arm(job, delay);
}

/*
 * A run did not happen (its account is paused): run again after delay_ms,
 * counting neither a success nor a failure.
 */
void
sched_defer(struct sched_job *job, uint64_t delay_ms)
{
	sched_release(job);
	sched_arm(job, delay_ms);
}

/* Remove a job (running or not); its callback will not be called again. */
void
sched_remove(struct sched_job *job)
{
	if (job == NULL)
		return;
	if (job->state == SCHED_WAITING)
		TAILQ_REMOVE(&job->sched->waiting, job, wait_entry);
	sched_release(job);
	event_free(job->timer);
	free(job);
}

/* Stop starting jobs (shutdown); running ones may still call sched_done. */
void
sched_stop(struct sched *s)
{
	s->stopped = 1;
}

/* Jobs running now. */
unsigned
sched_running(const struct sched *s)
{
	return s->running;
}
