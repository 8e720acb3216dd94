/**
 * @file test_timers.c  Unit tests for src/sip/timers.c
 *
 * Real timers in libre's real loop: each fires once, not before it is
 * due, in the order libre's own list gives (by expiry, then by when it
 * was started), whether it waited in the wheel (due after PARK_MS +
 * SLOT_MS) or went into libre's list at once; cancelled and restarted
 * ones too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>

enum { N = 240 };

struct rec {
	struct tmr tmr;
	unsigned idx;
	uint64_t jfs;        /* when it is due                    */
	uint64_t started;    /* the order it was (last) started in */
	unsigned fired;
	bool late_start;     /* started from another's handler    */
};

static struct rec recs[N];
static unsigned order[N], nfired, too_early;
static uint64_t seq;
static struct tmr restart_tmr, end_tmr;


static void fire_h(void *arg)
{
	struct rec *r = arg;

	if (tmr_jiffies() < r->jfs)
		++too_early;
	++r->fired;
	if (nfired < N)
		order[nfired++] = r->idx;
}


static void rec_start(struct rec *r, uint64_t delay)
{
	r->started = ++seq;
	tmr_start(&r->tmr, delay, fire_h, r);
	r->jfs = r->tmr.jfs;
}


/* 400 ms in: some parked timers restarted sooner, others later, some
 * cancelled, and new ones due at the same time as parked ones */
static void restart_h(void *arg)
{
	unsigned i;
	(void)arg;

	for (i = 0; i < N; i += 7) {
		if (recs[i].fired)
			continue;
		if (i % 2)
			tmr_cancel(&recs[i].tmr);
		else
			rec_start(&recs[i], i % 3 ? 5 : 900);
	}
	for (i = 3; i < N; i += 11) {
		const unsigned j = (i + 1) % N;
		uint64_t left = tmr_get_expire(&recs[i].tmr);

		/* a short timer due with a parked one: started later,
		 * so it fires after it */
		if (recs[i].fired || recs[j].fired || !left ||
		    i % 7 == 0 || j % 7 == 0 || left > 330)
			continue;
		recs[j].late_start = true;
		rec_start(&recs[j], left);
	}
}


static void end_h(void *arg)
{
	(void)arg;
	re_cancel();
}


static void test_order(void **state)
{
	unsigned i, k;
	(void)state;

	memset(recs, 0, sizeof(recs));
	nfired = too_early = 0;
	for (i = 0; i < N; i++) {
		static const uint64_t delays[] = {0, 1, 30, 200, 320, 321,
						  350, 480, 640, 700, 1000,
						  1300};

		recs[i].idx = i;
		tmr_init(&recs[i].tmr);
		/* several at the same delay: the same expiry */
		rec_start(&recs[i], delays[i % 12] + (i / 12) % 3);
	}
	tmr_start(&restart_tmr, 400, restart_h, NULL);
	tmr_start(&end_tmr, 1800, end_h, NULL);
	(void)re_main(NULL);

	assert_int_equal(too_early, 0);
	for (i = 0; i < N; i++) {
		if (i % 7 == 0 && i % 2 && recs[i].jfs && !recs[i].fired)
			continue;   /* cancelled */
		assert_int_equal(recs[i].fired, 1);
	}
	for (k = 1; k < nfired; k++) {
		const struct rec *a = &recs[order[k - 1]];
		const struct rec *b = &recs[order[k]];

		assert_true(a->jfs <= b->jfs);
		if (a->jfs == b->jfs)
			assert_true(a->started < b->started);
	}
}


/* A cancelled timer fires not, wherever it waited; libre's list holds
 * only what is due soon */
static void test_cancel(void **state)
{
	struct rec a, b;
	(void)state;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rec_start(&a, 5000);   /* in the wheel */
	rec_start(&b, 10);     /* in libre's list */
	assert_true(tmr_isrunning(&a.tmr));
	assert_true(tmr_get_expire(&a.tmr) > 4000);
	tmr_cancel(&a.tmr);
	tmr_cancel(&b.tmr);
	assert_false(tmr_isrunning(&a.tmr));
	tmr_start(&end_tmr, 200, end_h, NULL);
	(void)re_main(NULL);
	assert_int_equal(a.fired, 0);
	assert_int_equal(b.fired, 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_cancel),
	};
	int r;

	if (libre_init())
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();

	return r;
}
