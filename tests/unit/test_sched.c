/*
 * Unit tests for the poll scheduler: backoff growth and cap, jitter bounds,
 * the global concurrency cap with FIFO waiting, removal of queued jobs,
 * running a job now.
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
	long work_ms;
	uint64_t second_start_ms;
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
	struct jobarg *a = arg;
	struct fixture *f = a->f;
	struct timeval tv = { 0, 20000 };

	if (f->work_ms > 0)
		tv.tv_usec = f->work_ms * 1000;
	f->runs[a->idx]++;
	if (++f->total == 2)
		f->second_start_ms = monotime_ms();
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

/* Run a 1 s job whose work takes work_ms; return the gap between starts. */
static uint64_t
test_period(long work_ms)
{
	struct fixture f = { 0 };
	struct timeval guard = { 5, 0 };
	uint64_t t0;

	f.base = event_base_new();
	f.sched = sched_new(f.base, 1);
	f.target = 2;
	f.work_ms = work_ms;
	args[0].f = &f;
	args[0].idx = 0;
	f.finish[0] = evtimer_new(f.base, test_finish_cb, &args[0]);
	f.jobs[0] = sched_add(f.sched, 1000, 0, test_run_cb, &args[0]);
	t0 = monotime_ms();
	event_base_loopexit(f.base, &guard);
	event_base_dispatch(f.base);
	assert_true(f.total >= 2);
	sched_remove(f.jobs[0]);
	event_free(f.finish[0]);
	sched_free(f.sched);
	event_base_free(f.base);
	return f.second_start_ms - t0;
}

/*
 * Fixed rate: the next poll starts one interval less up to 10% after the
 * previous one started, however long the poll took, so a change is seen
 * at most one interval after it happened.
 */
static void
test_fixed_rate(void **state)
{
	uint64_t gap;

	gap = test_period(20);
	assert_true(gap >= 880 && gap <= 1050);
	gap = test_period(300);
	assert_true(gap >= 880 && gap <= 1050);
}

/*
 * run now: a job an hour away starts on the next loop turn; while it runs
 * a second "run now" is refused.
 */
static void
test_run_now(void **state)
{
	struct fixture f = { 0 };
	struct timeval guard = { 0, 100000 };
	uint64_t t0;

	f.base = event_base_new();
	f.sched = sched_new(f.base, 1);
	f.target = 99;
	f.work_ms = 500;
	args[0].f = &f;
	args[0].idx = 0;
	f.finish[0] = evtimer_new(f.base, test_finish_cb, &args[0]);
	f.jobs[0] = sched_add(f.sched, 3600000, 3600000, test_run_cb, &args[0]);
	t0 = monotime_ms();
	assert_int_equal(sched_run_now(f.jobs[0]), 0);
	event_base_loopexit(f.base, &guard);
	event_base_dispatch(f.base);
	assert_int_equal(f.total, 1);
	assert_true(monotime_ms() - t0 < 1000);
	/* Running: no second start. */
	assert_int_equal(sched_run_now(f.jobs[0]), -1);
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
		cmocka_unit_test(test_fixed_rate),
		cmocka_unit_test(test_run_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
