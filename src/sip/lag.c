/**
 * @file lag.c  How late siptap's own event loop runs
 *
 * A timer asks to run every LAG_TICK ms while a test is in progress and
 * notes how much later than that it ran; the late ticks of the last
 * while are kept in a ring, so that a test can ask for the worst since
 * it began.
 */
#include <re.h>
#include "clock.h"
#include "lag.h"


enum {
	LAG_TICK  = 10,    /* ms between two looks                     */
	LAG_NOTE  = 5,     /* ms late at least to be noted             */
	LAG_RING  = 512,   /* late ticks kept                          */
};

static struct {
	uint64_t at;       /* clock_mono_ms() of the late tick         */
	uint32_t late;     /* ms                                       */
} ring[LAG_RING];
static unsigned ring_next, ring_used;
static struct tmr tick_tmr;
static uint64_t due;
static unsigned holders;


static void tick(void *arg)
{
	const uint64_t now = clock_mono_ms();
	(void)arg;

	if (now > due + LAG_NOTE) {
		ring[ring_next].at = now;
		ring[ring_next].late = (uint32_t)(now - due);
		ring_next = (ring_next + 1) % LAG_RING;
		if (ring_used < LAG_RING)
			++ring_used;
	}
	due = now + LAG_TICK;
	tmr_start(&tick_tmr, LAG_TICK, tick, NULL);
}


/** A test begins: the loop is watched while any test is in progress */
void lag_hold(void)
{
	if (holders++)
		return;
	due = clock_mono_ms() + LAG_TICK;
	tmr_start(&tick_tmr, LAG_TICK, tick, NULL);
}


/** A test is over; the last one stops the watch */
void lag_release(void)
{
	if (!holders || --holders)
		return;
	tmr_cancel(&tick_tmr);
}


/**
 * The most the loop ran late since since_ms (clock_mono_ms()), in ms;
 * the tick in progress counts too (a loop that is late right now).
 */
uint32_t lag_max_since(uint64_t since_ms)
{
	const uint64_t now = clock_mono_ms();
	uint32_t worst = 0;
	unsigned i;

	if (holders && now > due + LAG_NOTE)
		worst = (uint32_t)(now - due);
	for (i = 0; i < ring_used; i++) {
		if (ring[i].at >= since_ms)
			worst = ring[i].late > worst ? ring[i].late : worst;
	}

	return worst;
}
