/**
 * @file load.h  siptap load and siptap merge: what a load run counts
 *
 * A load run's counts live in one struct lrep, whoever made them: a
 * worker process (its share of the calls), the run itself (a row a
 * second), a shard of a bigger run, or siptap merge over shards. Each
 * writes the same files into a folder (lrep_save) and any number of
 * folders add up (lrep_load), so merging is the same code everywhere:
 *
 *   load.counts     tests, rules, reasons for failures, seconds (TSV)
 *   latency.hist    HDR buckets per test and per second (hist.h)
 *   failures/N.tap  the subtest of a failing call (the first ones)
 *   wire/N.log      its wire
 */

struct hist;
struct run_conf;

enum {
	LOAD_METRICS  = 3,   /**< INVITE->18x, PRACK->200, INVITE->200  */
	LOAD_FAILS_KEPT = 3, /**< failing calls kept per test            */
};

extern const char *const lrep_metric[LOAD_METRICS];

struct lrep_fail {
	char *tap;             /**< its subtest lines                     */
	char *wire;            /**< its wire log                          */
};

struct lrep_test {
	char *file;
	unsigned index;
	char *name;
	char *skip;            /**< skipped (every call): why             */
	uint64_t calls;        /**< ended, counted                        */
	uint64_t passed;
	uint64_t skipped;
	struct hist *h[LOAD_METRICS];
	struct lrep_fail failv[LOAD_FAILS_KEPT];
	unsigned failc;
};

struct lrep_rule {
	char *id;
	uint64_t checked;      /**< calls with a point of the rule        */
	uint64_t held;         /**< of those, calls where none failed     */
	char *test;            /**< the first call that broke it: its test */
	char *found;           /**< and what it saw                       */
};

struct lrep_reason {
	char *text;
	uint64_t n;
};

struct lrep_sec {
	uint64_t started, completed, passed, failed, broken, inprog;
	struct hist *h[LOAD_METRICS];
};

struct lrep {
	struct lrep_test *testv;
	size_t testc;
	struct lrep_rule *rulev;
	size_t rulec;
	struct lrep_reason *reasonv;
	size_t reasonc;
	struct lrep_sec *secv;
	size_t secc;
	double rate;           /**< asked, calls/s (summed over shards)   */
	double seconds;        /**< the longest part                      */
	double play_s;         /**< the longest time calls were started   */
	double cpu_s;          /**< user+system of the workers            */
	uint64_t mem_per_call; /**< bytes per call in progress (the most) */
	uint64_t peak;         /**< calls in progress at once (summed)    */
	uint64_t unfinished;   /**< in progress when the run ended        */
	uint64_t lag_ms;       /**< the latest a worker's loop ran (most) */
	uint64_t missed;       /**< due but not started (max-concurrent,  */
	unsigned workers;      /**<   or a machine that could not keep up) */
	unsigned parts;
	unsigned lost;         /**< workers that left no counts (died)    */
	bool interrupted;
	char *mode;            /**< "UAC over UDP, ..." (the TAP header)  */
};

struct lrep *lrep_alloc(void);
struct lrep_test *lrep_test(struct lrep *r, const char *file,
			    unsigned index, const char *name);
struct lrep_rule *lrep_rule(struct lrep *r, const char *id);
void lrep_reason(struct lrep *r, const char *text, uint64_t n);
struct lrep_sec *lrep_sec(struct lrep *r, size_t i);
struct hist *lrep_hist(struct hist **hp);
int  lrep_save(const struct lrep *r, const char *dir);
int  lrep_load(struct lrep *r, const char *dir, char *err, size_t errsz);
int  lrep_report(struct lrep *r, const char *dir, int tap_version,
		 bool print, bool *failedp);
int  lrep_mkdirs(const char *dir);

int  load_main(struct run_conf *conf, int argc, char *argv[]);
int  merge_main(struct run_conf *conf, int argc, char *argv[]);
