/*
 * Timers over libevent: a thin wrapper so that domain modules can schedule
 * work on the one event loop without including <event2/event.h>.  Nothing
 * here blocks.
 */
#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "timer.h"
#include "xmalloc.h"

struct timer {
	struct event *ev;
	timer_cb cb;
	void *arg;
};

/* libevent callback: call the timer's callback. */
static void
timer_fire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timer *t = arg;

	t->cb(t->arg);
}

/* A disarmed timer on base calling cb(arg). */
struct timer *
timer_new(struct event_base *base, timer_cb cb, void *arg)
{
	struct timer *t;

	t = xcalloc(1, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
	if ((t->ev = event_new(base, -1, 0, timer_fire_cb, t)) == NULL)
		fatalx("%s: event_new failed", __func__);
	return t;
}

/* Disarm and free; NULL is a no-op. */
void
timer_free(struct timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}

/* Arm (or re-arm) to fire once after ms milliseconds. */
void
timer_add_ms(struct timer *t, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	event_add(t->ev, &tv);
}

/* Fire on the next turn of the loop. */
void
timer_activate(struct timer *t)
{
	event_active(t->ev, EV_TIMEOUT, 1);
}

/* Disarm. */
void
timer_del(struct timer *t)
{
	event_del(t->ev);
}

/* 1 if armed or about to fire. */
int
timer_pending(const struct timer *t)
{
	return event_pending(t->ev, EV_TIMEOUT, NULL) != 0;
}
