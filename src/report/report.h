/**
 * @file report.h  What a run leaves in --report-dir, and the terminal
 *
 *   <run>.tap     the TAP exactly as printed
 *   junit.xml     one testsuite per scenario file, one testcase a test
 *   summary.md    counts, failures with their rule ids, slowest tests
 *   findings.md   every rule broken on the wire, with wire excerpts
 *   wire/NNN.log  the wire of each failed test (NNN: its TAP number)
 *   pcap/NNN.pcap with --pcap, a capture per test
 *   last-run.tsv  each test's verdict and the rule ids it checked, for
 *                 --rerun-failed and --rule in a later run
 */

struct run_conf;
struct test;

/** A run's counts, as run.c keeps them and the reports write them */
struct run_stats {
	unsigned tests;
	unsigned passed;
	unsigned failed;
	unsigned skipped;
	unsigned todo;
	bool interrupted;      /**< SIGINT or SIGTERM ended the run */
	int signal;            /**< which one                       */
	unsigned unfinished;   /**< tests it left without a verdict  */
	bool child;            /**< returned in a test's own process */
	char tap_path[512];    /**< where the run's TAP was written  */
};

int  report_dirs(const struct run_conf *conf);
int  report_write(const struct run_conf *conf, const struct mbuf *tap,
		  const struct test *testv, size_t testc,
		  struct run_stats *stats);
int  report_junit(FILE *f, const struct test *testv, size_t testc);
void report_progress(const struct run_stats *stats, size_t done,
		     size_t total);
void report_progress_end(void);
void report_end(const struct run_conf *conf, const struct test *testv,
		size_t testc, const struct run_stats *stats);
bool report_unfinished(const struct test *t);
bool report_color(FILE *f);
bool report_escapes(FILE *f);
bool report_shared_tty(void);

/** A test of an earlier run, from REPORT-DIR/last-run.tsv */
struct report_entry {
	struct le le;
	char *verdict;       /**< pass fail error skip todo interrupted */
	char *file;
	char *name;          /**< tabs and line breaks as spaces        */
	char *ids;           /**< rule ids it checked, space-separated  */
};

int  report_last_run_load(const char *report_dir, struct list *l);
const struct report_entry *report_last_run_find(const struct list *l,
						const char *file,
						const char *name);
bool report_ids_has(const char *ids, const char *id);
