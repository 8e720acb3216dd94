/**
 * @file late.c  How late a loop ran, and when
 */
#include <re.h>
#include "late.h"


enum { LATE_FIRST = 4 };


static void late_destructor(void *arg)
{
	struct late *l = arg;

	mem_deref(l->v);
}


/* A record with no span yet: mem_deref() lets it go */
struct late *late_alloc(void)
{
	return mem_zalloc(sizeof(struct late), late_destructor);
}


/* Room for one more span, up to LATE_SPANS: the array doubles */
static bool room(struct late *l)
{
	struct late_span *v;
	unsigned cap;

	if (l->n < l->cap)
		return true;
	if (l->cap >= LATE_SPANS)
		return false;
	cap = l->cap ? min(2 * l->cap, (unsigned)LATE_SPANS) : LATE_FIRST;
	/* libre's mem_realloc() takes no NULL */
	v = l->v ? mem_realloc(l->v, cap * sizeof(*v)) :
		mem_alloc(cap * sizeof(*v), NULL);
	if (!v)
		return false;
	l->v = v;
	l->cap = cap;

	return true;
}


/* Kept: every span until LATE_SPANS (or memory runs out), then a new one takes the place of
 * the smallest if it is larger (a check cares about the large ones). */
void late_add(struct late *l, uint64_t at, uint64_t ms)
{
	unsigned i, min = 0;

	if (!l || !ms)
		return;
	if (ms > l->max)
		l->max = ms;
	if (room(l)) {
		l->v[l->n++] = (struct late_span){at, ms};
		return;
	}
	if (!l->n)      /* no memory for the first: max still says it */
		return;
	for (i = 1; i < l->n; i++) {
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
