/**
 * @file run.c  A whole run: the plan, one subtest per test, the reports
 *
 * Up to --jobs tests run at once on the one libre main loop (each has
 * its own sockets and Lua state); their TAP is printed in test order as
 * soon as every earlier test is done, so the output does not depend on
 * which test finished first. When the run is over the same bytes go to
 * <report-dir>/<run>.tap, with junit.xml, summary.md and a wire log per
 * failed test beside them.
 */
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <signal.h>
#include <sys/stat.h>
#include <re.h>
#include "tap.h"
#include "suite.h"
#include "runner.h"
#include "fault.h"
#include "report.h"
#include "run.h"


struct run {
	const struct run_conf *conf;
	struct test *testv;
	size_t testc;
	size_t next;            /* the next test to start      */
	size_t running;
	size_t flushed;         /* tests printed so far        */
	size_t printed;         /* bytes of mb on stdout       */
	struct mbuf *mb;        /* the whole TAP of the run    */
	struct run_stats *stats;
	bool progress;          /* a progress line on stderr   */
	struct tmr gap_tmr;
};


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


/* The verdict on a test, and its lines in the run's TAP. */
static void test_tap(struct run *run, struct test *t)
{
	const struct suite_test *st = t->st;
	struct mbuf *mb = run->mb;

	if (st->load_error) {
		broken_file(mb, t->num, st);
		t->result = RESULT_ERROR;
		return;
	}
	if (st->skip) {
		(void)tap_point(mb, 0, true, t->num, st->name, TAP_SKIP,
				st->skip);
		t->result = RESULT_SKIP;
		return;
	}

	t->ok = t->failed == 0 && (!st->todo || t->todo_failed == 0);
	(void)tap_subtest(mb, 1, st->name);
	t->out->pos = 0;
	(void)mbuf_write_mem(mb, mbuf_buf(t->out), mbuf_get_left(t->out));
	(void)tap_plan(mb, 1, t->points, NULL);
	(void)tap_point(mb, 0, t->ok, t->num, st->name,
			st->todo ? TAP_TODO : TAP_NONE, st->todo);

	if (st->todo)
		t->result = t->ok ? RESULT_PASS : RESULT_TODO;
	else if (t->ok)
		t->result = RESULT_PASS;
	else
		t->result = t->errored ? RESULT_ERROR : RESULT_FAIL;
}


static void count(struct run_stats *stats, const struct test *t)
{
	switch (t->result) {

	case RESULT_PASS:
		if (t->st->todo)
			++stats->todo;
		else
			++stats->passed;
		break;
	case RESULT_SKIP:  ++stats->skipped; break;
	case RESULT_TODO:  ++stats->todo;    break;
	default:           ++stats->failed;  break;
	}
}


/* Prints, in order, every test whose predecessors are all done. */
static void flush(struct run *run)
{
	while (run->flushed < run->testc && run->testv[run->flushed].finished)
	{
		struct test *t = &run->testv[run->flushed++];

		test_tap(run, t);
		count(run->stats, t);
	}

	if (run->progress)
		report_progress(run->stats, run->flushed, run->testc);

	(void)fwrite(run->mb->buf + run->printed, 1,
		     run->mb->end - run->printed, stdout);
	(void)fflush(stdout);
	run->printed = run->mb->end;
}


static void start_next(struct run *run);

/* Set by the signal handler; the main loop then ends and the run
 * writes what it has. The one global: signals know no context. */
static volatile int interrupted;


static void signal_handler(int sig)
{
	interrupted = sig;
	re_cancel();
}


static void gap_handler(void *arg)
{
	struct run *run = arg;

	if (interrupted)
		return;
	start_next(run);
	if (!run->running && run->next >= run->testc)
		re_cancel();
}


static void test_done(struct test *t, void *arg)
{
	struct run *run = arg;

	t->finished = true;
	--run->running;
	flush(run);

	/* On a fixed --uas-listen address the next test's UAS takes over
	 * the port at once; a proxy may still hold a TCP connection to the
	 * last one, and would send the next INVITE down it. A short pause
	 * lets it see that connection close. */
	if (sa_isset(&run->conf->uas_listen, SA_ADDR) &&
	    run->next < run->testc) {
		tmr_start(&run->gap_tmr, 200, gap_handler, run);
		return;
	}

	gap_handler(run);
}


/* Starts tests until --jobs run at once; those with nothing to run
 * (skipped, broken file) are done at once. */
static void start_next(struct run *run)
{
	while (run->running < run->conf->jobs && run->next < run->testc) {
		struct test *t = &run->testv[run->next++];
		const struct suite_test *st = t->st;

		if (st->load_error || st->skip) {
			t->finished = true;
			continue;
		}

		++run->running;
		if (runner_start(t, test_done, run)) {
			t->finished = true;
			--run->running;
		}
	}

	flush(run);
}


static void tests_free(struct run *run)
{
	size_t i;

	for (i = 0; i < run->testc; i++) {
		mem_deref(run->testv[i].out);
		mem_deref(run->testv[i].first_failure);
		mem_deref(run->testv[i].wire_log);
		list_flush(&run->testv[i].findings);
		mem_deref(run->testv[i].remote_name);
	}
	mem_deref(run->testv);
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


static void header(const struct run *run)
{
	const struct run_conf *conf = run->conf;
	struct mbuf *mb = run->mb;
	char line[1024];

	(void)tap_version_line(mb, conf->tap_version);
	(void)tap_plan(mb, 0, (unsigned)run->testc, NULL);
	(void)re_snprintf(line, sizeof(line), "siptap %s, seed %llu, T1 %u ms,"
			  " matrix %s", SIPTAP_VERSION,
			  (unsigned long long)conf->seed, conf->t1,
			  conf->matrix);
	(void)tap_comment(mb, 0, line);
	if (conf->faults)
		(void)tap_comment(mb, 0, faults_line(conf->faults, line,
						     sizeof(line)));
	(void)re_snprintf(line, sizeof(line), "UAC over %s%s%s%s%H%s%H",
			  sip_transp_name(conf->transport),
			  conf->proxy_uri ? ", through the proxy " : "",
			  conf->proxy_uri ? conf->proxy_uri : "",
			  sa_isset(&conf->target, SA_ADDR) ?
			  ", calling the remote UAS " : "",
			  target_print, &conf->target,
			  sa_isset(&conf->agent, SA_ADDR) ?
			  ", the UAS played by the agent at " : "",
			  target_print, &conf->agent);
	(void)tap_comment(mb, 0, line);
}


int run_suite(const struct run_conf *conf, const struct list *testl,
	      struct run_stats *stats)
{
	struct run run;
	struct le *le;
	size_t i = 0;
	int err;

	memset(&run, 0, sizeof(run));
	memset(stats, 0, sizeof(*stats));
	run.conf  = conf;
	run.stats = stats;
	run.testc = list_count(testl);
	run.progress = conf->progress;
	stats->tests = (unsigned)run.testc;

	run.mb = mbuf_alloc(65536);
	run.testv = mem_zalloc(run.testc * sizeof(*run.testv) + 1, NULL);
	if (!run.mb || !run.testv) {
		err = ENOMEM;
		goto out;
	}

	for (le = testl->head; le; le = le->next, i++) {
		struct test *t = &run.testv[i];
		const struct suite_test *st = le->data;

		t->conf  = conf;
		t->st    = st;
		t->file  = st->file;
		t->index = st->index;
		t->name  = st->name;
		t->num   = (unsigned)i + 1;
		t->test_todo = st->todo;
	}

	err = report_dirs(conf);
	if (err)
		goto out;

	header(&run);
	start_next(&run);
	if (run.running)
		(void)re_main(signal_handler);

	if (interrupted) {
		/* what finished is printed; the rest is named in Bail out! */
		(void)tap_bail_out(run.mb, interrupted == SIGINT ?
				   "interrupted (SIGINT)" :
				   "terminated (SIGTERM)");
		stats->failed += (unsigned)(run.testc - run.flushed);
		(void)fwrite(run.mb->buf + run.printed, 1,
			     run.mb->end - run.printed, stdout);
		(void)fflush(stdout);
		run.printed = run.mb->end;
		stats->interrupted = true;
	}

	if (run.progress)
		report_progress_end();

	tmr_cancel(&run.gap_tmr);
	err = report_write(conf, run.mb, run.testv, run.testc, stats);

 out:
	tests_free(&run);
	mem_deref(run.mb);

	return err;
}


int run_list(const struct list *testl)
{
	struct le *le;
	int ret = 0;

	for (le = testl->head; le; le = le->next) {
		const struct suite_test *st = le->data;

		if (st->load_error) {
			re_fprintf(stderr, "%s: does not load: %s\n", st->file,
				   st->load_error);
			ret = 1;
		}
		else {
			re_printf("%s\n", st->name);
		}
	}

	return ret;
}
