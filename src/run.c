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
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>
#include <re.h>
#include "tap.h"
#include "suite.h"
#include "runner.h"
#include "fault.h"
#include "report.h"
#include "worker.h"
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
	bool child;             /* this process is a worker    */
	struct worker *workv;   /* --jobs of them              */
	unsigned fork_failed;   /* in a row                    */
	uint64_t gap_until;     /* no test starts before (ms)  */
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


/* Set by the signal handler; the loop then ends and the run writes
 * what it has. The one global: signals know no context. */
static volatile sig_atomic_t interrupted;


static void signal_handler(int sig)
{
	interrupted = sig;
}


/* SIGINT and SIGTERM from the start of the program on, listing
 * included. No SA_RESTART: a signal ends the loop's poll() at once. */
void run_signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signal_handler;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);

	/* a worker that died is found by its pipe, not by a signal */
	(void)signal(SIGPIPE, SIG_IGN);
}


int run_interrupted(void)
{
	return interrupted;
}


/* --- the workers' side -------------------------------------------------- */

static void test_results_free(struct test *t)
{
	t->out = mem_deref(t->out);
	t->first_failure = mem_deref(t->first_failure);
	t->wire_log = mem_deref(t->wire_log);
	t->remote_name = mem_deref(t->remote_name);
	list_flush(&t->findings);
}


/* A test is over in the worker: its result to the run, and the libre
 * loop of this test ends. */
static void worker_test_done(struct test *t, void *arg)
{
	worker_child_send(t, arg);
	re_cancel();
}


/* A worker's life: the tests the run hands it, one at a time, each on
 * a libre loop of its own, until the run closes the pipe. */
static void worker_serve(struct run *run, struct worker *w)
{
	size_t i;

	run->child = true;
	while (!worker_child_next(w, &i) && i < run->testc) {
		struct test *t = &run->testv[i];

		worker_child_watch(t, w);
		if (runner_start(t, worker_test_done, w) == 0)
			(void)re_main(NULL);
		worker_child_unwatch();
		test_results_free(t);
	}
}


/* --- the run's side ----------------------------------------------------- */

static void test_finished(struct run *run, struct test *t)
{
	t->finished = true;
	--run->running;

	/* On a fixed --uas-listen address the next test's UAS takes over
	 * the port at once; a proxy may still hold a TCP connection to the
	 * last one, and would send the next INVITE down it. A short pause
	 * lets it see that connection close. */
	if (sa_isset(&run->conf->uas_listen, SA_ADDR))
		run->gap_until = worker_now_ms() + 200;
}


/* The worker is gone without the test's whole result: it crashed, or
 * the run killed it at --timeout. The test fails as one point. */
static void test_lost(struct run *run, struct test *t, struct worker *w,
		      int status, bool killed)
{
	const char *at = w->page ? w->page->at : "";
	struct tap_diag diag[2] = {{"message", NULL, 0}, {"at", at, 0}};
	char msg[512];

	test_results_free(t);
	t->points = t->failed = t->todo_failed = 0;
	t->out = mbuf_alloc(1024);
	if (!t->out)
		return;
	diag[0].val = msg;
	if (killed) {
		worker_last_words(w, t);
		(void)re_snprintf(msg, sizeof(msg), "the test did not finish "
				  "within %u s (--timeout) and could not be "
				  "stopped there: siptap killed its process "
				  "(stuck in a C function, such as a pattern "
				  "match that backtracks)",
				  run->conf->timeout_s);
	}
	else if (status >= 0 && WIFSIGNALED(status))
		(void)re_snprintf(msg, sizeof(msg), "siptap's process for the "
				  "test died of signal %d before it reported",
				  WTERMSIG(status));
	else
		(void)re_snprintf(msg, sizeof(msg), "siptap's process for the "
				  "test ended (status %d) before it reported",
				  status >= 0 ? WEXITSTATUS(status) : -1);

	t->errored = !killed;
	runner_point(t, false, killed ? "test finished in time" :
		     "the test ran to its end", diag, *at ? 2 : 1);
}


/* A worker that did not answer as it should is done with: killed if
 * it overran, reaped, its test failed as one point. */
static void worker_lost(struct run *run, struct worker *w, bool killed)
{
	struct test *t = &run->testv[w->test];
	int status;

	if (killed)
		worker_kill(w);
	status = worker_reap(w);
	test_lost(run, t, w, status, killed);
	worker_close(w);
	test_finished(run, t);
}


/* A fresh worker; in the worker itself, the pipes of the others are
 * closed (the run's closing them must end those workers) and it serves
 * tests until the run is done. Returns true in the worker. */
static bool worker_start(struct run *run, struct worker *w, int *errp)
{
	size_t i;

	*errp = worker_fork(w);
	if (*errp || w->pid)
		return false;

	for (i = 0; i < run->conf->jobs; i++) {
		struct worker *o = &run->workv[i];

		if (o == w)
			continue;
		if (o->cmd >= 0)
			(void)close(o->cmd);
		if (o->res >= 0)
			(void)close(o->res);
		o->cmd = o->res = -1;
	}
	worker_serve(run, w);

	return true;
}


/* Hands the next test to an idle worker, forking one where none is;
 * tests with nothing to run (skipped, broken file) are done at once.
 * Returns true in a worker. */
static bool start_one(struct run *run, struct worker *w)
{
	while (run->next < run->testc) {
		struct test *t = &run->testv[run->next];
		const struct suite_test *st = t->st;
		int err = 0;

		if (st->load_error || st->skip) {
			t->finished = true;
			++run->next;
			continue;
		}

		if (!w->pid && worker_start(run, w, &err))
			return true;
		if (!err)
			err = worker_give(w, run->next, run->conf->timeout_s);
		if (err) {
			/* e.g. the worker died while idle: no test lost */
			worker_close(w);
			if (!run->fork_failed++)
				continue;
			test_results_free(t);
			t->out = mbuf_alloc(256);
			runner_point(t, false, "siptap started a process for "
				     "the test", NULL, 0);
			t->finished = true;
			++run->next;
			return false;
		}

		run->fork_failed = 0;
		++run->next;
		++run->running;
		return false;
	}

	return false;
}


/* Gives every idle worker a test, up to --jobs at once; with a fixed
 * --uas-listen, one test at a time with a pause between. Returns true
 * in a worker. */
static bool start_next(struct run *run)
{
	size_t i;

	for (i = 0; i < run->conf->jobs && run->next < run->testc; i++) {
		struct worker *w = &run->workv[i];

		if (w->test >= 0)
			continue;
		if (worker_now_ms() < run->gap_until)
			break;
		if (start_one(run, w))
			return true;
	}

	flush(run);

	return false;
}


/* poll() over the busy workers until one reports or overruns its
 * deadline, or a signal comes. */
static void wait_workers(struct run *run)
{
	struct pollfd pfd[RUN_MAX_JOBS];
	struct worker *wv[RUN_MAX_JOBS];
	uint64_t now = worker_now_ms(), next = now + 1000;
	size_t i, n = 0;

	for (i = 0; i < run->conf->jobs; i++) {
		struct worker *w = &run->workv[i];

		if (w->test < 0)
			continue;
		pfd[n] = (struct pollfd){w->res, POLLIN, 0};
		wv[n++] = w;
		if (w->kill_at < next)
			next = w->kill_at;
	}
	if (run->gap_until > now && run->gap_until < next)
		next = run->gap_until;

	if (poll(pfd, n, next > now ? (int)(next - now) : 0) < 0)
		return;   /* EINTR: a signal */

	now = worker_now_ms();
	for (i = 0; i < n; i++) {
		struct worker *w = wv[i];
		struct test *t = &run->testv[w->test];
		int err = pfd[i].revents ? worker_read(w) : EAGAIN;

		if (!err && !worker_result(w, t))
			test_finished(run, t);
		else if (err && err != EAGAIN)
			worker_lost(run, w, false);
		else if (!err)
			worker_lost(run, w, false);   /* a frame out of shape */
		else if (now >= w->kill_at)
			worker_lost(run, w, true);
	}
}


/* The run's loop. Returns true in a worker. */
static bool loop(struct run *run)
{
	for (;;) {
		if (interrupted)
			return false;
		if (start_next(run))
			return true;
		if (!run->running && run->next >= run->testc)
			return false;
		wait_workers(run);
		flush(run);
	}
}


/* The end of the run, or Ctrl-C: idle workers end when their pipe
 * closes; busy ones (only after a signal) are killed by their pid. */
static void workers_stop(struct run *run)
{
	size_t i;

	for (i = 0; i < run->conf->jobs; i++) {
		struct worker *w = &run->workv[i];

		if (w->test >= 0)
			worker_kill(w);
		worker_close(w);
	}
}


static void tests_free(struct run *run)
{
	size_t i;

	for (i = 0; i < run->testc; i++)
		test_results_free(&run->testv[i]);
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
	run.workv = mem_zalloc(conf->jobs * sizeof(*run.workv), NULL);
	if (!run.mb || !run.testv || !run.workv) {
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
	for (i = 0; i < conf->jobs; i++)
		worker_init(&run.workv[i]);

	err = report_dirs(conf);
	if (err)
		goto out;

	header(&run);
	if (loop(&run)) {
		stats->child = true;   /* a worker: the run reports */
		goto out;
	}
	workers_stop(&run);

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

	err = report_write(conf, run.mb, run.testv, run.testc, stats);

 out:
	tests_free(&run);
	mem_deref(run.workv);
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
