/**
 * @file findings.h  findings.md: every rule the wire showed broken
 */

struct run_conf;
struct test;

int findings_write(FILE *f, const struct run_conf *conf,
		   const struct test *testv, size_t testc);

/** A rule id ("R-RSEQ-1") at the start of s, into id */
bool findings_rule_prefix(const char *s, struct pl *id);
