/**
 * @file suite.h  Finding scenario files and the tests they declare
 *
 * A folder means every *.lua below it, in sorted order. Each file is
 * loaded once in a throwaway sandbox to read its test() declarations;
 * a file that does not load becomes one entry carrying the error, so
 * it fails as one test point and the rest of the suite still runs.
 */

struct suite_test;  /* runner.h: a test as its file declares it */

struct run_conf;

void suite_select(struct list *testl, const struct run_conf *conf);
int suite_todo_file(struct list *testl, const char *path, char *err,
		    size_t errsz);
int suite_collect(struct list *testl, const char *const *pathv,
		  size_t pathc, const struct run_conf *conf, char *err,
		  size_t errsz);
