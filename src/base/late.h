/**
 * @file late.h  How late a loop ran, and when
 *
 * A busy machine runs an event loop late: every time it stamps or
 * sends is late by as much. A timing check asks how late a loop ran in
 * the interval it measured, to tell that from the peer's own timing.
 * Times are ms on one clock (a test's wire clock); a lateness spans
 * [at - ms, at].
 */

enum { LATE_SPANS = 64 };

struct late_span {
	uint64_t at;    /**< when the late loop ran again, ms */
	uint64_t ms;    /**< how late it was                  */
};

/* The spans grow with the lateness seen (a test that ran late once
 * holds one span, not LATE_SPANS: siptap load keeps one a call) */
struct late {
	struct late_span *v;  /**< the latest, or the largest (n of them) */
	unsigned n;
	unsigned cap;
	uint64_t max;   /**< the most of all, also of those let go         */
};

struct late *late_alloc(void);
void late_add(struct late *l, uint64_t at, uint64_t ms);
uint64_t late_within(const struct late *l, uint64_t from, uint64_t to);
