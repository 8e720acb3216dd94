/**
 * @file lag.h  How late siptap's own event loop runs
 *
 * Every time on the wire is read by siptap's loop, and the reference
 * UAS's retransmissions are sent by its timers: a loop that is busy (a
 * sibling test's rule check, a full collection, a machine with more work
 * than cores) makes both late. A timing rule that fails while the loop
 * ran late may be measuring siptap, not the peer: the rules ask
 * lag_max_since() before they blame anyone.
 */

void     lag_hold(void);
void     lag_release(void);
uint32_t lag_max_since(uint64_t since_ms);
