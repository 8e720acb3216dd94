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
#define _GNU_SOURCE 1  /* memmem() */
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
#include "clock.h"
#include "worker.h"
#include "run.h"
#include "text.h"
#include "findings.h"


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
	bool shared_tty;        /* stdout is that terminal too */
	unsigned bailed;        /* --bail: the failed test's number */
	struct worker *workv;   /* a core each, at most --jobs */
	size_t workc;
	int *owner;             /* test -> its worker, or -1   */
	uint64_t *kill_at;      /* test -> its deadline (ms)   */
	uint8_t *crashes;       /* test -> workers lost under it */
	size_t *retry;          /* tests back in line          */
	size_t retries;
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


/* The first failing point of a subtest (not a TODO): "    not ok" at
 * the subtest's own level, with no unescaped "# TODO" (a description's
 * own '#' is "\#"). Returns its line's start in out, or NULL. */
static const char *first_not_ok(const char *p, const char *end)
{
	static const char head[] = "    not ok ";

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (n > sizeof(head) - 1 && !memcmp(p, head, sizeof(head) - 1)
		    && !memmem(p, n, " # TODO", 7))
			return p;
		p += n + 1;
	}

	return NULL;
}


/* Its description ("    not ok 3 - desc"), then the lines of its YAML
 * block, two levels up: consumers that read no subtests (tap.py,
 * tap-junit, tap-spec) find the reason on the test's own point. */
static void failure_yaml(struct mbuf *mb, const struct mbuf *out)
{
	const char *p = (const char *)out->buf;
	const char *end = p + out->end;
	const char *eol, *dash;

	p = first_not_ok(p, end);
	if (!p)
		return;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	dash = memchr(p, '-', (size_t)(eol - p));
	if (dash && dash + 2 <= eol) {
		(void)mbuf_write_str(mb, "  failed_point: ");
		(void)tap_yaml_quote(mb, dash + 2, (size_t)(eol - dash - 2));
		(void)mbuf_write_u8(mb, '\n');
	}

	/* "      ---" ... "      ...": the keys between, 4 columns left */
	p = eol + 1;
	if (p + 10 > end || memcmp(p, "      ---\n", 10))
		return;
	for (p += 10; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol || eol - p < 6 || memcmp(p, "      ", 6) ||
		    !memcmp(p + 6, "...", 3))
			return;
		/* tap-spec's reader (tap-out) takes a top-level "at:" for a
		 * JavaScript stack frame and dies on "file:line" */
		if (eol - p > 10 && !memcmp(p + 6, "at: ", 4)) {
			(void)mbuf_write_str(mb, "  where: ");
			p += 10;
		}
		else {
			p += 4;
		}
		(void)mbuf_write_mem(mb, (const uint8_t *)p,
				     (size_t)(eol + 1 - p));
	}
}


/* Every top-level point carries its duration; a failing one the reason
 * too (TAP 14 YAML block, 2 spaces under the point). */
static void point_yaml(struct mbuf *mb, const struct test *t)
{
	/* --tap-yaml failed, for tap-spec (docs/reports.md): only on a
	 * point that fails the run, not on a failing TODO */
	if ((t->ok || t->st->todo) && !strcmp(t->conf->tap_yaml, "failed"))
		return;
	(void)mbuf_printf(mb, "  ---\n  duration_ms: %llu\n",
			  (unsigned long long)(t->elapsed_usec / 1000));
	if (!t->ok && t->out)
		failure_yaml(mb, t->out);
	(void)mbuf_write_str(mb, "  ...\n");
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

	if (t->skipped && !t->failed) {
		(void)tap_point(mb, 0, true, t->num, st->name, TAP_SKIP,
				t->skipped);
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
	point_yaml(mb, t);

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


/* The run's TAP not printed yet, to stdout. The progress line is
 * erased before TAP goes to the same terminal (flush() draws it again
 * below). */
static void print_new(struct run *run)
{
	if (run->progress && run->shared_tty && run->mb->end > run->printed)
		report_progress_end();
	(void)fwrite(run->mb->buf + run->printed, 1,
		     run->mb->end - run->printed, stdout);
	(void)fflush(stdout);
	run->printed = run->mb->end;
}


/* Prints, in order, every test whose predecessors are all done. */
static void flush(struct run *run)
{
	while (run->flushed < run->testc && run->testv[run->flushed].finished)
	{
		struct test *t = &run->testv[run->flushed++];

		test_tap(run, t);
		count(run->stats, t);
		if (run->conf->bail && (t->result == RESULT_FAIL ||
					t->result == RESULT_ERROR)) {
			run->bailed = t->num;
			break;
		}
	}

	print_new(run);
	if (run->progress)
		report_progress(run->stats, run->flushed, run->testc);
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
	t->skipped = mem_deref(t->skipped);
	t->wire_log = mem_deref(t->wire_log);
	t->remote_name = mem_deref(t->remote_name);
	list_flush(&t->findings);
}


/* One worker a core, never more than --jobs: a worker runs its share
 * of the tests at once, as one process ran them all before. */
static size_t workers_count(const struct run_conf *conf)
{
	long n = conf->workers ? (long)conf->workers :
		sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;

	return (size_t)min((long)conf->jobs, n);
}


/* A worker's side of the pipes: the tests it is given run at once. */
struct serve {
	struct run *run;
	struct worker *w;
	unsigned running;
	bool closed;          /* the run closed the pipe: no more tests */
};


static void serve_end(struct serve *sv)
{
	if (sv->closed && !sv->running)
		re_cancel();
}


/* A test is over in the worker: its result to the run. */
static void worker_test_done(struct test *t, void *arg)
{
	struct serve *sv = arg;

	worker_child_send(t, t->num - 1, sv->w);
	test_results_free(t);
	--sv->running;
	serve_end(sv);
}


static void cmd_handler(int flags, void *arg)
{
	struct serve *sv = arg;
	size_t i;

	(void)flags;
	if (worker_child_next(sv->w, &i) || i >= sv->run->testc) {
		fd_close(sv->w->cmd);
		sv->closed = true;
		serve_end(sv);
		return;
	}

	++sv->running;
	if (runner_start(&sv->run->testv[i], worker_test_done, sv))
		--sv->running;   /* no memory: the run's deadline tells */
}


/* A worker's life: the tests the run hands it, each a coroutine on
 * this process's libre loop, until the run closes the pipe and the
 * last of them is done. */
static void worker_serve(struct run *run, struct worker *w)
{
	struct serve sv = {run, w, 0, false};

	worker_child_watch(w);
	if (!fd_listen(w->cmd, FD_READ, cmd_handler, &sv))
		(void)re_main(NULL);
	worker_child_unwatch();
}


/* --- the run's side ----------------------------------------------------- */

static void test_finished(struct run *run, size_t i)
{
	struct test *t = &run->testv[i];

	t->finished = true;
	run->owner[i] = -1;
	--run->running;

	/* On a fixed --uas-listen address the next test's UAS takes over
	 * the port at once; a proxy may still hold a TCP connection to the
	 * last one, and would send the next INVITE down it. A short pause
	 * lets it see that connection close. */
	if (sa_isset(&run->conf->uas_listen, SA_ADDR))
		run->gap_until = clock_mono_ms() + 200;
}


/* The test's worker is gone without its result: it crashed, or the
 * run killed it because this test overran --timeout. One point. */
static void test_lost(struct run *run, size_t i, struct worker *w,
		      int status, bool killed)
{
	struct test *t = &run->testv[i];
	struct tap_diag diag[2] = {{"message", NULL, 0}, {"at", "", 0}};
	char msg[512];

	test_results_free(t);
	t->points = t->failed = t->todo_failed = 0;
	t->out = mbuf_alloc(1024);
	if (!t->out)
		return;
	diag[0].val = msg;
	if (killed && clock_mono_ms() >= run->kill_at[i]) {
		worker_last_words(w, i, t, &diag[1].val);
		(void)re_snprintf(msg, sizeof(msg), "the test did not finish "
				  "within %u s (--timeout) and could not be "
				  "stopped there: siptap killed its process "
				  "(stuck in a C function, such as a pattern "
				  "match that backtracks)",
				  run->conf->timeout_s);
	}
	else if (killed) {
		worker_last_words(w, i, t, &diag[1].val);
		(void)re_snprintf(msg, sizeof(msg), "the test ran without a "
				  "wait until another test of its process was "
				  "past its --timeout: siptap killed the process "
				  "(stuck in a C function, such as a pattern "
				  "match that backtracks)");
	}
	else if (status >= 0 && WIFSIGNALED(status))
		(void)re_snprintf(msg, sizeof(msg), "siptap's process for the "
				  "test died of signal %d before it reported, "
				  "twice", WTERMSIG(status));
	else
		(void)re_snprintf(msg, sizeof(msg), "siptap's process for the "
				  "test ended (status %d) before it reported, "
				  "twice", status >= 0 ? WEXITSTATUS(status) : -1);

	t->errored = !killed;
	runner_point(t, false, killed ? "test finished in time" :
		     "the test ran to its end", diag, *diag[1].val ? 2 : 1);
}


/* A test goes back in line: its worker went down for another's sake. */
static void requeue(struct run *run, size_t i)
{
	run->owner[i] = -1;
	--run->running;
	run->retry[run->retries++] = i;
}


/* Worker slot k is done with: killed (overrun: the test that overran,
 * or -1 after a crash), reaped. Its other tests run again elsewhere;
 * after a crash, a test whose worker crashed twice fails. */
static void worker_lost(struct run *run, size_t k, long overran)
{
	struct worker *w = &run->workv[k];
	int status;
	size_t i;

	worker_kill(w);
	status = worker_reap(w);

	for (i = run->flushed; i < run->next; i++) {
		if (run->owner[i] != (int)k)
			continue;
		if ((long)i == overran) {
			test_lost(run, i, w, status, true);
			test_finished(run, i);
		}
		else if (overran < 0 && ++run->crashes[i] >= 2) {
			test_lost(run, i, w, status, false);
			test_finished(run, i);
		}
		else {
			requeue(run, i);
		}
	}
	worker_close(w);
}


/* A fresh worker in slot w; in the worker itself, the pipes of the
 * others are closed (the run's closing them must end those workers)
 * and it serves tests until the run is done. Returns true in it. */
static bool worker_start(struct run *run, struct worker *w, int *errp)
{
	size_t i;

	*errp = worker_fork(w);
	if (*errp || w->pid)
		return false;

	for (i = 0; i < run->workc; i++) {
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


/* The next test to start: one back in line first, then the list;
 * those with nothing to run (skipped, broken file) are done at once.
 * Returns false when none is left. */
static bool next_test(struct run *run, size_t *ip)
{
	if (run->retries) {
		*ip = run->retry[--run->retries];
		return true;
	}

	while (run->next < run->testc) {
		size_t i = run->next++;
		const struct suite_test *st = run->testv[i].st;

		if (!st->load_error && !st->skip) {
			*ip = i;
			return true;
		}
		run->testv[i].finished = true;
	}

	return false;
}


/* The slot with the fewest tests in flight, below its share. */
static long worker_pick(const struct run *run)
{
	const unsigned share = (run->conf->jobs + run->workc - 1) /
		run->workc;
	long best = -1;
	size_t k;

	for (k = 0; k < run->workc; k++) {
		const struct worker *w = &run->workv[k];

		if (w->busy < share &&
		    (best < 0 || w->busy < run->workv[best].busy))
			best = (long)k;
	}

	return best;
}


/* Gives tests to workers, up to --jobs at once, forking a worker where
 * a slot has none. Returns true in a worker. */
static bool start_next(struct run *run)
{
	size_t i;
	long k;

	while (run->running < run->conf->jobs &&
	       clock_mono_ms() >= run->gap_until &&
	       (k = worker_pick(run)) >= 0 && next_test(run, &i)) {
		struct worker *w = &run->workv[k];
		int err = 0;

		if (!w->pid && worker_start(run, w, &err))
			return true;
		if (!err)
			err = worker_give(w, i);
		if (err) {
			run->retry[run->retries++] = i;
			if (w->pid)
				worker_lost(run, (size_t)k, -1);
			else
				worker_close(w);
			if (++run->fork_failed > 3) {
				/* no process to be had: say so, test by test */
				run->retries--;
				test_results_free(&run->testv[i]);
				run->testv[i].out = mbuf_alloc(256);
				runner_point(&run->testv[i], false, "siptap "
					     "started a process for the test",
					     NULL, 0);
				run->testv[i].finished = true;
			}
			continue;
		}

		run->fork_failed = 0;
		run->owner[i] = (int)k;
		run->kill_at[i] = clock_mono_ms() +
			(uint64_t)run->conf->timeout_s * 1000 +
			WORKER_GRACE_MS;
		++run->running;
		if (run->gap_until)
			break;   /* one at a time on a fixed address */
	}

	flush(run);

	return false;
}


/* poll() over the busy workers until one reports, a test overruns its
 * deadline, or a signal comes. */
static void wait_workers(struct run *run)
{
	struct pollfd pfd[RUN_MAX_JOBS];
	size_t slot[RUN_MAX_JOBS];
	uint64_t now = clock_mono_ms(), next = now + 1000;
	size_t i, k, n = 0;

	for (i = run->flushed; i < run->next; i++) {
		if (run->owner[i] >= 0 && run->kill_at[i] < next)
			next = run->kill_at[i];
	}
	if (run->gap_until > now && run->gap_until < next)
		next = run->gap_until;
	for (k = 0; k < run->workc; k++) {
		if (!run->workv[k].busy)
			continue;
		pfd[n] = (struct pollfd){run->workv[k].res, POLLIN, 0};
		slot[n++] = k;
	}

	if (poll(pfd, n, next > now ? (int)(next - now) : 0) < 0)
		return;   /* EINTR: a signal */

	for (i = 0; i < n; i++) {
		struct worker *w = &run->workv[slot[i]];
		int err = pfd[i].revents ? worker_read(w) : EAGAIN;
		size_t idx;

		while (!worker_result(w, run->testv, run->testc, &idx))
			test_finished(run, idx);
		if (err != EAGAIN)
			worker_lost(run, slot[i], -1);   /* it died */
	}

	/* a test past its deadline whose worker did not end it: the
	 * worker is held up, by the test SIGALRM saw running since long
	 * (that one is blamed), else by the late test itself */
	now = clock_mono_ms();
	for (i = run->flushed; i < run->next; i++) {
		struct worker *w;
		long hog;

		if (run->owner[i] < 0 || now < run->kill_at[i])
			continue;
		w = &run->workv[run->owner[i]];
		hog = worker_hog(w, now);
		if (hog < 0 || (size_t)hog >= run->testc ||
		    run->owner[hog] != run->owner[i])
			hog = (long)i;
		worker_lost(run, (size_t)run->owner[i], hog);
	}
}


/* The run's loop. Returns true in a worker. */
static bool loop(struct run *run)
{
	for (;;) {
		if (interrupted || run->bailed)
			return false;
		if (start_next(run))
			return true;
		if (!run->running && !run->retries &&
		    run->next >= run->testc)
			return false;
		wait_workers(run);
		flush(run);
	}
}


/* The end of the run, or Ctrl-C: idle workers end when their pipe
 * closes; busy ones (only after a signal) are killed by their pid. */
static void workers_stop(struct run *run)
{
	size_t k;

	for (k = 0; k < run->workc; k++) {
		struct worker *w = &run->workv[k];

		if (w->busy)
			worker_kill(w);
		worker_close(w);
	}
}


/* Interrupted before its verdict was printed: whatever its worker sent
 * is dropped (the TAP does not have it either), and the reports call it
 * an error "interrupted" (report_unfinished()), never a pass. */
static void test_unfinished(struct test *t)
{
	test_results_free(t);
	t->finished = false;
	t->ok = false;
	t->result = RESULT_ERROR;
}


/* --bail: the first failing test ends the run; the tests after it are
 * not run, which the reports say as a skip with the reason */
static void bail(struct run *run)
{
	char why[128];
	size_t i;

	(void)re_snprintf(why, sizeof(why), "test %u failed (--bail)",
			  run->bailed);
	(void)tap_bail_out(run->mb, why);
	(void)re_snprintf(why, sizeof(why), "not run: --bail stopped the run "
			  "at test %u", run->bailed);
	for (i = run->flushed; i < run->testc; i++) {
		struct test *t = &run->testv[i];

		test_results_free(t);
		(void)str_dup(&t->skipped, why);
		t->result = RESULT_SKIP;
		t->finished = true;
		++run->stats->skipped;
	}
	run->flushed = run->testc;
	print_new(run);
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
	(void)tap_comment(mb, 0, "rule ids (P-TAG-1, R-RSEQ-1, ...): siptap "
			  "rules ID, or docs/rules.md");
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
	run.shared_tty = report_shared_tty();
	stats->tests = (unsigned)run.testc;

	run.mb = mbuf_alloc(65536);
	run.testv = mem_zalloc(run.testc * sizeof(*run.testv) + 1, NULL);
	run.workc = workers_count(conf);
	run.workv = mem_zalloc(run.workc * sizeof(*run.workv), NULL);
	run.owner = mem_alloc(run.testc * sizeof(*run.owner) + 1, NULL);
	run.kill_at = mem_zalloc(run.testc * sizeof(*run.kill_at) + 1, NULL);
	run.crashes = mem_zalloc(run.testc + 1, NULL);
	run.retry = mem_zalloc(run.testc * sizeof(*run.retry) + 1, NULL);
	if (!run.mb || !run.testv || !run.workv || !run.owner ||
	    !run.kill_at || !run.crashes || !run.retry) {
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
		run.owner[i] = -1;
	}
	for (i = 0; i < run.workc; i++)
		worker_init(&run.workv[i]);

	err = report_dirs(conf);
	if (err)
		goto out;

	header(&run);
	if (loop(&run)) {
		stats->child = true;   /* a worker: the run reports */
		for (i = 0; i < run.workc; i++)
			worker_forget(&run.workv[i]);
		goto out;
	}
	workers_stop(&run);

	if (interrupted) {
		/* what finished is printed; the rest is named in Bail out! */
		(void)tap_bail_out(run.mb, interrupted == SIGINT ?
				   "interrupted (SIGINT)" :
				   "terminated (SIGTERM)");
		stats->failed += (unsigned)(run.testc - run.flushed);
		stats->unfinished = (unsigned)(run.testc - run.flushed);
		stats->signal = interrupted;
		for (i = run.flushed; i < run.testc; i++)
			test_unfinished(&run.testv[i]);
		print_new(&run);
		stats->interrupted = true;
	}

	if (run.bailed)
		bail(&run);

	if (run.progress)
		report_progress_end();

	err = report_write(conf, run.mb, run.testv, run.testc, stats);
	report_end(conf, run.testv, run.testc, stats);

 out:
	tests_free(&run);
	mem_deref(run.workv);
	mem_deref(run.owner);
	mem_deref(run.kill_at);
	mem_deref(run.crashes);
	mem_deref(run.retry);
	mem_deref(run.mb);

	return err;
}


/* JSON strings: '"' and '\\' escaped, controls as \u00XX, a byte that
 * is not UTF-8 as the text \xNN */
static const char *const json_map[128] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r",
	['\t'] = "\\t",
};
static const struct text_esc esc_json = {json_map, "\\u%04x", "\\\\x%02x"};


static void json_str(const char *s)
{
	if (!s) {
		(void)fputs("null", stdout);
		return;
	}
	(void)fputc('"', stdout);
	(void)text_file(stdout, &esc_json, s, strlen(s));
	(void)fputc('"', stdout);
}


/* The rule ids of a test, space-separated, once each: its name's
 * "[...]", then those the last run saw it check (last-run.tsv) */
static char *rule_ids(char *out, size_t sz, const struct suite_test *st,
			    const struct run_conf *conf)
{
	const struct report_entry *e = st->name ? report_last_run_find(
		conf->last_run, st->file, st->name) : NULL;
	const char *open = st->name ? strrchr(st->name, '[') : NULL;
	char ids[2048] = "", *tok, *save = NULL;
	size_t n = 0;

	if (open)
		(void)re_snprintf(ids, sizeof(ids), "%s", open + 1);
	ids[strcspn(ids, "]")] = '\0';
	if (e)
		(void)re_snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids),
				  " %s", e->ids);

	*out = '\0';
	for (tok = strtok_r(ids, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		struct pl id;

		/* rule ids only ("[expect ...]" has other words) */
		if (!findings_rule_prefix(tok, &id) || id.l != strlen(tok) ||
		    report_ids_has(out, tok))
			continue;
		n += (size_t)re_snprintf(out + n, sz - n, "%s%s", n ? " " : "",
					 tok);
	}

	return out;
}


static void list_long(const struct suite_test *st,
		      const struct run_conf *conf)
{
	char ids[2048], name[1024];

	re_printf("%s:%u\t%s\t%s\n", st->file, st->line,
		  text_snprint(name, sizeof(name), &text_esc_line, st->name,
			       strlen(st->name)),
		  rule_ids(ids, sizeof(ids), st, conf));
}


static void list_json(const struct suite_test *st,
		      const struct run_conf *conf, bool first)
{
	char ids[2048], *tok, *save = NULL;
	bool one = true;

	(void)fputs(first ? "  {\"file\": " : ",\n  {\"file\": ", stdout);
	json_str(st->file);
	(void)printf(", \"line\": %u, \"name\": ", st->line);
	json_str(st->name);
	(void)fputs(", \"rules\": [", stdout);
	for (tok = strtok_r(rule_ids(ids, sizeof(ids), st, conf), " ", &save);
	     tok; tok = strtok_r(NULL, " ", &save)) {
		(void)printf("%s\"%s\"", one ? "" : ", ", tok);
		one = false;
	}
	(void)fputs("], \"skip\": ", stdout);
	json_str(st->skip);
	(void)fputs(", \"todo\": ", stdout);
	json_str(st->todo);
	(void)fputs(", \"load_error\": ", stdout);
	json_str(st->load_error);
	(void)fputc('}', stdout);
}


int run_list(const struct list *testl, const struct run_conf *conf)
{
	struct le *le;
	int ret = 0;

	if (conf->list_json)
		(void)fputs("[\n", stdout);
	for (le = testl->head; le; le = le->next) {
		const struct suite_test *st = le->data;

		if (conf->list_json) {
			list_json(st, conf, le == testl->head);
			if (st->load_error)
				ret = 1;
			continue;
		}
		if (st->load_error) {
			re_fprintf(stderr, "%s: does not load: %s\n", st->file,
				   st->load_error);
			ret = 1;
		}
		else if (conf->list_long) {
			list_long(st, conf);
		}
		else {
			re_printf("%s\n", st->name);
		}
	}
	if (conf->list_json)
		(void)fputs("\n]\n", stdout);
	(void)fflush(stdout);

	return ret;
}
