/*
 * One-shot timers and deferred calls on the libevent base, for modules that
 * must not include <event2/event.h> (its struct event and event_new clash
 * with event.h).  A timer calls back once per arming.
 */
#ifndef TIMER_H
#define TIMER_H

#include <stdint.h>

struct event_base;
struct timer;

/* Called when a timer fires. */
typedef void (*timer_cb)(void *arg);

/* A disarmed timer on base calling cb(arg). */
struct timer *timer_new(struct event_base *base, timer_cb cb, void *arg);
/* Disarm and free; NULL is a no-op.  Safe from within the callback. */
void timer_free(struct timer *t);
/* Arm (or re-arm) to fire once after ms milliseconds. */
void timer_add_ms(struct timer *t, uint64_t ms);
/* Fire on the next turn of the loop, never from within this call. */
void timer_activate(struct timer *t);
/* Disarm. */
void timer_del(struct timer *t);
/* 1 if armed or about to fire. */
int timer_pending(const struct timer *t);

#endif
