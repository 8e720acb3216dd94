/**
 * @file timers.c  libre's timers, without a walk past every long one
 *
 * libre 1.1.0 keeps every timer of the thread in one list sorted by
 * expiry (tmr_poll() takes the due ones from its head), and tmr_start()
 * finds a timer's place by a walk from the tail. Under siptap load that
 * list holds the long timers of every call in progress (the call's time
 * limit, libre's transaction timers B, F, H, J, a scenario's sleep),
 * and most timers started are short (a wake-up, a retransmission): each
 * walked past the long ones of all calls. With 600 calls in progress
 * the walks were a third of a worker's CPU, and they grew with the
 * calls, so a rate a little too high collapsed instead of levelling.
 *
 * So siptap defines tmr_start() itself, as rand.c defines libre's
 * random numbers: libre calls it (and tmr_cancel() calls it) through
 * its PLT, and the dynamic linker binds those calls to the executable's
 * definition. A timer due within PARK_MS + SLOT_MS goes into libre's list as
 * libre would put it (after those due at or before it, before those due
 * after it), its place found from whichever end is nearer. A later one
 * waits in a slot of SLOT_MS of a wheel (no order inside a slot): every
 * SLOT_MS, a timer of siptap moves the slots that come within PARK_MS
 * into libre's list, at the place libre would have given them then (a
 * timer started before another that is due at the same millisecond
 * still fires first). libre's list is what it was, only shorter:
 * tmr_poll(), tmr_next_timeout(), tmr_get_expire() and tmr_isrunning()
 * read it as ever, and tmr_cancel() unlinks a waiting timer from its
 * slot the way it does from libre's list (list_unlink knows its list).
 */
#include <re.h>

enum {
	SLOT_SHIFT = 6,                 /* a slot: 64 ms                    */
	SLOT_MS    = 1 << SLOT_SHIFT,
	SLOTS      = 1024,              /* a turn of the wheel: 65 s        */
	PARK_MS    = 4 * SLOT_MS,       /* sooner than this: libre's list   */
};

/* libre's (src/tmr/tmr.c, exported, not in its headers): the list of
 * the calling thread's timers */
struct list *tmrl_get(void);

static struct list slots[SLOTS];
static struct tmr mover;
static uint64_t slot_next;      /* the first slot not moved yet       */


/* The element a timer due at jfs goes after in the sorted list (NULL:
 * at its head): after the last due before it, and after those due at
 * the same time too unless first. Walked from both ends at once: as
 * long as the shorter way in. */
static struct le *place(const struct list *tmrl, uint64_t jfs, bool first)
{
	struct le *fwd = tmrl->head, *bwd = tmrl->tail;

	while (fwd && bwd) {
		const struct tmr *f = fwd->data, *b = bwd->data;

		if (first ? f->jfs >= jfs : f->jfs > jfs)
			return fwd->prev;
		if (first ? b->jfs < jfs : b->jfs <= jfs)
			return bwd;
		fwd = fwd->next;
		bwd = bwd->prev;
	}

	return NULL;
}


static void insert(struct tmr *tmr, bool first)
{
	struct list *tmrl = tmrl_get();
	struct le *after = place(tmrl, tmr->jfs, first);

	if (after)
		list_insert_after(tmrl, after, &tmr->le, tmr);
	else
		list_prepend(tmrl, &tmr->le, tmr);
}


static bool wheel_empty(void)
{
	size_t i;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].head)
			return false;

	return true;
}


/* Every timer waiting in a slot that is now within PARK_MS, into
 * libre's list. Timers of a slot came in the order they were started;
 * taken from the last, each goes before those due at the same time, so
 * they keep that order, and those started since (not parked: due
 * sooner than PARK_MS + SLOT_MS then, so started later) stay after them. After a
 * loop that ran late by a turn or more, one look at every slot. */
static void move_due(void *arg)
{
	const uint64_t last = (tmr_jiffies() + PARK_MS) >> SLOT_SHIFT;
	uint64_t s;
	size_t n;
	(void)arg;

	for (s = slot_next, n = 0; s <= last && n < SLOTS; s++, n++) {
		struct le *le = slots[s % SLOTS].tail;

		while (le) {
			struct tmr *tmr = le->data;

			le = le->prev;
			if (tmr->jfs >> SLOT_SHIFT > last)  /* a later turn */
				continue;
			list_unlink(&tmr->le);
			insert(tmr, true);
		}
	}
	if (last + 1 > slot_next)
		slot_next = last + 1;

	if (!wheel_empty())
		tmr_start(&mover, SLOT_MS, move_due, NULL);
}


/* A timer due after PARK_MS + SLOT_MS: in its slot (never one already
 * moved: those end within that of now) until move_due() takes it. */
static void park(struct tmr *tmr)
{
	if (!tmr_isrunning(&mover)) {
		/* the wheel is empty: no slot is behind */
		slot_next = tmr_jiffies() >> SLOT_SHIFT;
		tmr_start(&mover, SLOT_MS, move_due, NULL);
	}

	list_append(&slots[(tmr->jfs >> SLOT_SHIFT) % SLOTS], &tmr->le, tmr);
}


void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	if (!tmr)
		return;

	if (tmr->th)
		list_unlink(&tmr->le);

	tmr->th  = th;
	tmr->arg = arg;

	if (!th)
		return;

	tmr->jfs = delay + tmr_jiffies();

	/* past the slot move_due() took last (it looks PARK_MS ahead,
	 * every SLOT_MS) */
	if (delay > PARK_MS + SLOT_MS)
		park(tmr);
	else
		insert(tmr, false);
}
