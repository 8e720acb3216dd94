/**
 * @file test_hist.c  Unit tests for src/base/hist.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "hist.h"


/* Every value falls in a bucket whose highest value is at or above it
 * and within 1/32 of it: the log-linear promise */
static void test_bucket_bounds(void **state)
{
	uint64_t v;

	(void)state;
	for (v = 0; v < 5000000; v += 1 + v / 97) {
		const unsigned i = hist_index(v);
		const uint64_t hi = hist_high(i);

		assert_true(i < HIST_BUCKETS);
		assert_true(hi >= v);
		assert_true(hi - v <= v / 32 + 1);
		if (i > 0)
			assert_true(hist_high(i - 1) < v);
	}
	assert_int_equal(hist_index(63), 63);
	assert_int_equal(hist_high(hist_index(64)), 65);
	assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
}


static void test_percentiles(void **state)
{
	struct hist *h = mem_zalloc(sizeof(*h), NULL);
	uint64_t v;

	(void)state;
	assert_int_equal(hist_percentile(h, 99), 0);
	for (v = 1; v <= 1000; v++)
		hist_add(h, v * 1000);   /* 1 ms .. 1 s */
	assert_int_equal(h->count, 1000);
	assert_true(hist_percentile(h, 50) >= 500000);
	assert_true(hist_percentile(h, 50) <= 500000 + 500000 / 32);
	assert_true(hist_percentile(h, 99) >= 990000);
	assert_true(hist_percentile(h, 99) <= 990000 + 990000 / 32);
	assert_int_equal(hist_percentile(h, 100), 1000000);
	mem_deref(h);
}


/* Two halves merged are the whole; a difference undoes a merge */
static void test_merge_diff(void **state)
{
	struct hist *a = mem_zalloc(sizeof(*a), NULL);
	struct hist *b = mem_zalloc(sizeof(*b), NULL);
	struct hist *w = mem_zalloc(sizeof(*w), NULL);
	struct hist *d = mem_zalloc(sizeof(*d), NULL);
	uint64_t v;

	(void)state;
	for (v = 0; v < 20000; v += 7) {
		hist_add(v % 2 ? a : b, v);
		hist_add(w, v);
	}
	hist_merge(a, b);
	assert_memory_equal(a->n, w->n, sizeof(w->n));
	assert_int_equal(a->count, w->count);
	hist_diff(d, a, b);
	hist_add_n(d, 0, 0);
	assert_int_equal(d->count + b->count, w->count);
	assert_int_equal(hist_percentile(a, 90), hist_percentile(w, 90));
	mem_deref(a);
	mem_deref(b);
	mem_deref(w);
	mem_deref(d);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_merge_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
