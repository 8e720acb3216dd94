/**
 * @file clock.c  The monotonic clock
 */
#include <stdint.h>
#include <time.h>
#include "clock.h"


uint64_t clock_mono_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


uint64_t clock_mono_ms(void)
{
	return clock_mono_usec() / 1000;
}
