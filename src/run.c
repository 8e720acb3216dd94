/**
 * @file run.c  A whole run: the plan, one subtest per test, the reports
 *
 * TAP goes to stdout as each test ends, and the same bytes go to
 * <report-dir>/<run>.tap when the run is over.
 */
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <sys/stat.h>
#include <re.h>
#include "tap.h"
#include "suite.h"
#include "runner.h"
#include "run.h"
#include "fault.h"


/* A file that does not load is one failing point, named by the file. */
static void broken_file(struct mbuf *mb, unsigned num,
			const struct suite_test *st)
{
	struct tap_diag diag[2] = {
		{"message", st->load_error, 0},
		{"file", st->file, 0},
	};

	(void)tap_point(mb, 0, false, num, st->file, TAP_NONE, NULL);
	(void)tap_yaml(mb, 0, diag, 2);
}


static bool one_test(struct mbuf *mb, unsigned num,
		     const struct run_conf *conf, const struct suite_test *st,
		     struct run_stats *stats)
{
	struct test t;
	bool ok;
	int err;

	if (st->skip) {
		(void)tap_point(mb, 0, true, num, st->name, TAP_SKIP,
				st->skip);
		++stats->skipped;
		return true;
	}

	memset(&t, 0, sizeof(t));
	t.conf  = conf;
	t.file  = st->file;
	t.index = st->index;
	t.name  = st->name;
	t.test_todo = st->todo;

	err = runner_run(&t);
	if (err)
		runner_point(&t, false, "the test could be set up", NULL, 0);

	ok = t.failed == 0 && (!st->todo || t.todo_failed == 0);
	(void)tap_subtest(mb, 1, st->name);
	t.out->pos = 0;
	(void)mbuf_write_mem(mb, mbuf_buf(t.out), mbuf_get_left(t.out));
	(void)tap_plan(mb, 1, t.points, NULL);
	(void)tap_point(mb, 0, ok, num, st->name,
			st->todo ? TAP_TODO : TAP_NONE, st->todo);
	mem_deref(t.out);

	if (st->todo)
		++stats->todo;
	else if (ok)
		++stats->passed;

	return ok || st->todo;
}


static void flush(struct mbuf *mb, size_t *done)
{
	(void)fwrite(mb->buf + *done, 1, mb->end - *done, stdout);
	(void)fflush(stdout);
	*done = mb->end;
}


static int mkdirs(const char *dir)
{
	char path[4096];
	char *p;

	(void)re_snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(path, 0755);
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return errno;

	return 0;
}


/* reports/siptap-YYYYmmdd-HHMMSS.tap, and -2, -3 ... if taken */
static int write_report(const struct run_conf *conf, const struct mbuf *mb)
{
	char stamp[32], path[4096];
	time_t now = time(NULL);
	struct stat st;
	FILE *f;
	int err, n;

	err = mkdirs(conf->report_dir);
	if (err) {
		re_fprintf(stderr, "siptap: report dir %s: %m\n",
			   conf->report_dir, err);
		return err;
	}

	(void)strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S",
		       localtime(&now));
	(void)re_snprintf(path, sizeof(path), "%s/siptap-%s.tap",
			  conf->report_dir, stamp);
	for (n = 2; !stat(path, &st) && n < 100; n++)
		(void)re_snprintf(path, sizeof(path), "%s/siptap-%s-%d.tap",
				  conf->report_dir, stamp, n);

	f = fopen(path, "w");
	if (!f) {
		err = errno;
		re_fprintf(stderr, "siptap: %s: %m\n", path, err);
		return err;
	}
	(void)fwrite(mb->buf, 1, mb->end, f);
	if (fclose(f))
		err = errno;

	return err;
}


/* "UAS faults: a, b" for the TAP header of a fault run */
static const char *faults_line(uint64_t faults, char *buf, size_t sz)
{
	size_t n = 0;
	int f;

	n += (size_t)re_snprintf(buf, sz, "reference UAS faults:");
	for (f = 0; f < FAULT_COUNT && n < sz; f++) {
		if (fault_on(faults, (enum fault)f))
			n += (size_t)re_snprintf(buf + n, sz - n, " %s",
						 fault_info((enum fault)f)->name);
	}

	return buf;
}


static int target_print(struct re_printf *pf, const struct sa *sa)
{
	return sa_isset(sa, SA_ADDR) ? re_hprintf(pf, "%J", sa) : 0;
}


int run_suite(const struct run_conf *conf, const struct list *testl,
	      struct run_stats *stats)
{
	struct mbuf *mb = mbuf_alloc(65536);
	struct le *le;
	size_t done = 0;
	unsigned num = 0;
	char seed[128], line[1024];
	int err;

	if (!mb)
		return ENOMEM;

	memset(stats, 0, sizeof(*stats));
	stats->tests = list_count(testl);

	(void)tap_version_line(mb, conf->tap_version);
	(void)tap_plan(mb, 0, stats->tests, NULL);
	(void)re_snprintf(seed, sizeof(seed), "siptap %s, seed %llu, T1 %u ms, "
			  "matrix %s", SIPTAP_VERSION,
			  (unsigned long long)conf->seed, conf->t1,
			  conf->matrix);
	(void)tap_comment(mb, 0, seed);
	if (conf->faults)
		(void)tap_comment(mb, 0, faults_line(conf->faults, line,
						     sizeof(line)));
	(void)re_snprintf(line, sizeof(line), "UAC over %s%s%s%s%H",
			  sip_transp_name(conf->transport),
			  conf->proxy_uri ? ", through the proxy " : "",
			  conf->proxy_uri ? conf->proxy_uri : "",
			  sa_isset(&conf->target, SA_ADDR) ?
			  ", calling the remote UAS " : "",
			  target_print, &conf->target);
	(void)tap_comment(mb, 0, line);
	flush(mb, &done);

	for (le = testl->head; le; le = le->next) {
		const struct suite_test *st = le->data;

		++num;
		if (st->load_error)
			broken_file(mb, num, st);
		else
			(void)one_test(mb, num, conf, st, stats);
		flush(mb, &done);
	}

	stats->failed = stats->tests - stats->passed - stats->skipped -
		stats->todo;

	err = write_report(conf, mb);
	mem_deref(mb);

	return err;
}


int run_list(const struct list *testl)
{
	struct le *le;

	for (le = testl->head; le; le = le->next) {
		const struct suite_test *st = le->data;

		if (st->load_error)
			re_printf("%s: does not load: %s\n", st->file,
				  st->load_error);
		else
			re_printf("%s\n", st->name);
	}

	return 0;
}
