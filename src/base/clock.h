/**
 * @file clock.h  The monotonic clock
 *
 * Deadlines, timings on the wire, the guard's look at a test: all on
 * CLOCK_MONOTONIC, which no change of the wall clock moves (libre's
 * tmr_jiffies() reads gettimeofday()).
 */

uint64_t clock_mono_usec(void);
uint64_t clock_mono_ms(void);
