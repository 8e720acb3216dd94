/**
 * @file hist.c  Latency histograms, HDR-style log-linear buckets
 */
#include <re.h>
#include "hist.h"


/* The bucket of v: v itself below HIST_LINEAR; above, the octave of its
 * highest bit and the next five bits. Past the last octave: the last
 * bucket (2^40 us is twelve days). */
unsigned hist_index(uint64_t v)
{
	unsigned msb, i;

	if (v < HIST_LINEAR)
		return (unsigned)v;

	msb = 63 - (unsigned)__builtin_clzll(v);
	i = HIST_LINEAR + (msb - 6) * HIST_SUB +
		(unsigned)((v >> (msb - 5)) - HIST_SUB);

	return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}


/* The highest value that falls into bucket i (HDR's "highest
 * equivalent value"): a percentile never reads lower than it was. */
uint64_t hist_high(unsigned i)
{
	unsigned oct, m;

	if (i < HIST_LINEAR)
		return i;

	oct = (i - HIST_LINEAR) / HIST_SUB;
	m = HIST_SUB + (i - HIST_LINEAR) % HIST_SUB;

	return (((uint64_t)m + 1) << (oct + 1)) - 1;
}


void hist_add(struct hist *h, uint64_t v)
{
	++h->n[hist_index(v)];
	++h->count;
	if (v > h->max)
		h->max = v;
}


/* n values in bucket i, as a file gives them back */
void hist_add_n(struct hist *h, unsigned i, uint64_t n)
{
	if (i >= HIST_BUCKETS || !n)
		return;

	h->n[i] += n;
	h->count += n;
	if (hist_high(i) > h->max)
		h->max = hist_high(i);
}


void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned i;

	if (!src->count)
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->n[i] += src->n[i];
	dst->count += src->count;
	if (src->max > dst->max)
		dst->max = src->max;
}


/* d = now - before: what a running histogram got in an interval */
void hist_diff(struct hist *d, const struct hist *now,
	       const struct hist *before)
{
	unsigned i;

	d->count = 0;
	d->max = 0;
	for (i = 0; i < HIST_BUCKETS; i++) {
		d->n[i] = now->n[i] >= before->n[i] ?
			now->n[i] - before->n[i] : 0;
		d->count += d->n[i];
		if (d->n[i])
			d->max = hist_high(i);
	}
}


/* The value at percentile p (0..100); 0 for an empty histogram. The
 * largest value is exact: no bucket rounds it up past what was seen. */
uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (!h->count)
		return 0;

	want = (uint64_t)(p / 100.0 * (double)h->count + 0.999999);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= want)
			return min(hist_high(i), h->max ? h->max :
				   hist_high(i));
	}

	return h->max;
}
