/**
 * @file test_late.c  Unit tests for src/base/late.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "late.h"


/* A span counts for an interval it touches, not for one it misses */
static void test_within(void **state)
{
	struct late *lp = late_alloc(), l;

	(void)state;
	assert_non_null(lp);
	late_add(lp, 1000, 300);          /* [700, 1000]  */
	late_add(lp, 5000, 40);           /* [4960, 5000] */
	l = *lp;
	assert_int_equal(late_within(&l, 0, 699), 0);
	assert_int_equal(late_within(&l, 0, 700), 300);
	assert_int_equal(late_within(&l, 1000, 2000), 300);
	assert_int_equal(late_within(&l, 1001, 4959), 0);
	assert_int_equal(late_within(&l, 1001, 6000), 40);
	assert_int_equal(late_within(&l, 0, 9000), 300);
	assert_int_equal(l.max, 300);
	late_add(lp, 6000, 0);            /* not late: nothing */
	assert_int_equal(lp->n, 2);
	assert_int_equal(late_within(NULL, 0, 1), 0);
	mem_deref(lp);
}


/* Full: a larger span takes the smallest one's place; max keeps all */
static void test_full(void **state)
{
	struct late *l = late_alloc();
	unsigned i;

	(void)state;
	assert_non_null(l);
	late_add(l, 100, 10);             /* one span, a small array   */
	assert_int_equal(l->n, 1);
	assert_true(l->cap < LATE_SPANS);
	for (i = 1; i < LATE_SPANS; i++)
		late_add(l, 100 * (i + 1), 10 + i);
	assert_int_equal(l->n, LATE_SPANS);
	assert_int_equal(late_within(l, 100 * LATE_SPANS - 5,
				     100 * LATE_SPANS),
			 10 + LATE_SPANS - 1);
	late_add(l, 100000, 5);           /* smaller than all: let go */
	assert_int_equal(l->n, LATE_SPANS);
	assert_int_equal(late_within(l, 99990, 100000), 0);
	late_add(l, 200000, 500);         /* takes the 10's place      */
	assert_int_equal(late_within(l, 199600, 200000), 500);
	assert_int_equal(late_within(l, 90, 100), 0);
	assert_int_equal(late_within(l, 190, 200), 11);
	assert_int_equal(l->max, 500);
	mem_deref(l);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
