/*
 * Unit tests for the poll scheduler: backoff growth and cap, jitter bounds,
 * the global concurrency cap with FIFO waiting, removal of queued jobs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <event2/event.h>

#include "monotime.h"
#include "sched.h"

struct fixture {
	struct event_base *base;
	struct sched *sched;
	struct sched_job *jobs[8];
	int runs[8];
	unsigned running;
	unsigned max_seen;
	int total;
	int target;
	struct event *finish[8];
};

struct jobarg {
	struct fixture *f;
	int idx;
};

static struct jobarg args[8];

/* A job's work ends: report success to the scheduler. */
static void
test_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct jobarg *a = arg;
	struct fixture *f = a->f;

	f->running--;
	sched_done(f->jobs[a->idx], 1, -1);
	if (f->total >= f->target)
		event_base_loopexit(f->base, NULL);
}

/* A job starts: count concurrency, finish 20 ms later. */
static void
test_run_cb(struct sched_job *job, void *arg)
{
	static const struct timeval tv = { 0, 20000 };
	struct jobarg *a = arg;
	struct fixture *f = a->f;

	f->runs[a->idx]++;
	f->total++;
	if (++f->running > f->max_seen)
		f->max_seen = f->running;
	evtimer_add(f->finish[a->idx], &tv);
}

/* Backoff doubles from the interval and stops at 16x or 5 minutes. */
static void
test_backoff(void **state)
{
	assert_int_equal(sched_backoff_ms(1000, 1), 1000);
	assert_int_equal(sched_backoff_ms(1000, 2), 2000);
	assert_int_equal(sched_backoff_ms(1000, 3), 4000);
	assert_int_equal(sched_backoff_ms(1000, 5), 16000);
	assert_int_equal(sched_backoff_ms(1000, 30), 16000);
	assert_int_equal(sched_backoff_ms(60000, 10), 300000);
	assert_int_equal(sched_backoff_ms(600000, 3), 600000);
	/* interval 0 (back to back) still backs off from 100 ms */
	assert_int_equal(sched_backoff_ms(0, 1), 100);
	assert_int_equal(sched_backoff_ms(0, 3), 400);
}

/* Six jobs, cap two: never more than two at once, every job runs. */
static void
test_concurrency_cap(void **state)
{
	struct fixture f = { 0 };
	struct timeval guard = { 5, 0 };
	int i;

	f.base = event_base_new();
	f.sched = sched_new(f.base, 2);
	f.target = 12;
	for (i = 0; i < 6; i++) {
		args[i].f = &f;
		args[i].idx = i;
		f.finish[i] = evtimer_new(f.base, test_finish_cb, &args[i]);
		f.jobs[i] = sched_add(f.sched, 50, 0, test_run_cb, &args[i]);
	}
	event_base_loopexit(f.base, &guard);
	event_base_dispatch(f.base);
	assert_true(f.total >= 12);
	assert_int_equal(f.max_seen, 2);
	for (i = 0; i < 6; i++)
		assert_true(f.runs[i] >= 1);
	for (i = 0; i < 6; i++) {
		sched_remove(f.jobs[i]);
		event_free(f.finish[i]);
	}
	sched_free(f.sched);
	event_base_free(f.base);
}

/* Jitter keeps a 1 s interval within 0.9..1.1 s. */
static void
test_jitter_bounds(void **state)
{
	struct fixture f = { 0 };
	struct timeval guard = { 5, 0 };
	uint64_t t0;

	f.base = event_base_new();
	f.sched = sched_new(f.base, 1);
	f.target = 2;
	args[0].f = &f;
	args[0].idx = 0;
	f.finish[0] = evtimer_new(f.base, test_finish_cb, &args[0]);
	f.jobs[0] = sched_add(f.sched, 1000, 0, test_run_cb, &args[0]);
	t0 = monotime_ms();
	event_base_loopexit(f.base, &guard);
	event_base_dispatch(f.base);
	/* first run at 0, finish at 20 ms, second at 20 + 900..1100 ms */
	assert_int_equal(f.total, 2);
	assert_true(monotime_ms() - t0 >= 900);
	assert_true(monotime_ms() - t0 <= 1400);
	sched_remove(f.jobs[0]);
	event_free(f.finish[0]);
	sched_free(f.sched);
	event_base_free(f.base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_concurrency_cap),
		cmocka_unit_test(test_jitter_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
