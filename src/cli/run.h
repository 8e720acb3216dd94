/**
 * @file run.h  A whole run: the plan, one subtest per test, the reports
 */

struct run_conf;
struct run_stats;  /* report.h: the counts the reports write */

int run_suite(const struct run_conf *conf, const struct list *testl,
	      struct run_stats *stats);
int run_list(const struct list *testl, const struct run_conf *conf);
void run_signals_catch(void);
int  run_interrupted(void);
/* --lua-dir, or the installed or source-tree library (main.c); exit 2 and
 * one line on stderr when there is none */
int  run_lua_dir_find(struct run_conf *conf);
