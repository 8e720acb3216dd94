/**
 * @file late.c  How late a loop ran, and when
 */
#include <stdint.h>
#include "late.h"


/* Kept: every span until LATE_SPANS, then a new one takes the place of
 * the smallest if it is larger (a check cares about the large ones). */
void late_add(struct late *l, uint64_t at, uint64_t ms)
{
	unsigned i, min = 0;

	if (!l || !ms)
		return;
	if (ms > l->max)
		l->max = ms;
	if (l->n < LATE_SPANS) {
		l->v[l->n++] = (struct late_span){at, ms};
		return;
	}
	for (i = 1; i < LATE_SPANS; i++) {
		if (l->v[i].ms < l->v[min].ms)
			min = i;
	}
	if (ms > l->v[min].ms)
		l->v[min] = (struct late_span){at, ms};
}


/* The most the loop ran late in a span that touches [from, to] */
uint64_t late_within(const struct late *l, uint64_t from, uint64_t to)
{
	uint64_t most = 0;
	unsigned i;

	if (!l)
		return 0;
	for (i = 0; i < l->n; i++) {
		const struct late_span *s = &l->v[i];
		const uint64_t start = s->at > s->ms ? s->at - s->ms : 0;

		if (start <= to && s->at >= from && s->ms > most)
			most = s->ms;
	}

	return most;
}
