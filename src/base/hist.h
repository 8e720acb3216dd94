/**
 * @file hist.h  Latency histograms, HDR-style log-linear buckets
 *
 * Values (microseconds) below 64 have a bucket each; above, every power
 * of two is cut into 32 equal buckets, so a bucket is at most 1/32 (about
 * 3 %) of its values wide, whatever the scale. Two histograms merge by
 * adding their buckets, which is what shards and workers do; a file
 * holds only the buckets that are not empty (hist_write). Debian has no
 * C HDR histogram library; this is the part of one siptap needs.
 */

enum {
	HIST_LINEAR  = 64,                       /**< exact below this   */
	HIST_SUB     = 32,                       /**< buckets per octave */
	HIST_OCTAVES = 34,                       /**< up to 2^40 us      */
	HIST_BUCKETS = HIST_LINEAR + HIST_SUB * HIST_OCTAVES,
};

struct hist {
	uint64_t count;
	uint64_t max;                 /**< the largest value added, us */
	uint64_t n[HIST_BUCKETS];
};

unsigned hist_index(uint64_t v);
uint64_t hist_high(unsigned i);
void     hist_add(struct hist *h, uint64_t v);
void     hist_add_n(struct hist *h, unsigned i, uint64_t n);
void     hist_merge(struct hist *dst, const struct hist *src);
void     hist_diff(struct hist *d, const struct hist *now,
		   const struct hist *before);
uint64_t hist_percentile(const struct hist *h, double p);
