/*
 * Clocks: monotonic milliseconds for schedules, wall time for timestamps.
 */
#ifndef MONOTIME_H
#define MONOTIME_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t monotime_ms(void);
/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME). */
int64_t monotime_wall_ms(void);

#endif
