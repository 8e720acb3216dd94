/**
 * @file run.h  A whole run: the plan, one subtest per test, the reports
 */

struct run_conf;

struct run_stats {
	unsigned tests;
	unsigned passed;
	unsigned failed;
	unsigned skipped;
	unsigned todo;
	bool interrupted;      /**< SIGINT or SIGTERM ended the run */
	bool child;            /**< returned in a test's own process */
};

int run_suite(const struct run_conf *conf, const struct list *testl,
	      struct run_stats *stats);
int run_list(const struct list *testl);
void run_signals_catch(void);
int  run_interrupted(void);
