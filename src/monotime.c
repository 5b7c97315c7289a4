/*
 * Clock helpers.  Schedules use CLOCK_MONOTONIC so that a wall-clock step
 * never makes a watch poll early or late; timestamps use CLOCK_REALTIME.
 */
#include <time.h>

#include "monotime.h"

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t
monotime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME). */
int64_t
monotime_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
