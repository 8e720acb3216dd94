/**
 * @file load.c  siptap load: the tests of scenario files as calls, over
 * and over, at a rate
 *
 * The run forks --workers processes; each plays its share of the rate
 * on its own libre loop. A worker makes one Lua state per test, loads
 * the file there once (runner_shared_load), and plays each call as a
 * thread of that state with a coroutine of its own: no state and no
 * compile per call. Each call has its own UAC and UAS sockets and wire
 * like a test of `siptap run`, and the same rules run after it. A point
 * hook counts, per call, the rule ids its points name.
 *
 * Live counters go from the workers to the run through shared memory;
 * the run samples them once a second (the live line, stats.csv). At
 * the end each worker writes its counts as a part (load.h) and the run
 * adds the parts up into the reports, as siptap merge adds shards.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <lua.h>
#include <re.h>
#include "hist.h"
#include "tap.h"
#include "clock.h"
#include "wire.h"
#include "fault.h"
#include "sandbox.h"
#include "runner.h"
#include "report.h"
#include "suite.h"
#include "run.h"
#include "load.h"

#define DEBUG_MODULE "load"
#define DEBUG_LEVEL 3
#include <re_dbg.h>


enum { EXIT_USAGE = 2, MAX_WORKERS = 64, WORKER_FDS = 65536 };

/* A call holds up to six descriptors (UDP and TCP for its UAC and UAS,
 * a connection each way over TCP); a worker keeps FDS_SPARE for the
 * rest (its reports, libre, Lua's files) */
enum { FDS_A_CALL = 6, FDS_SPARE = 64 };

/* The time a tick may spend starting calls before the loop serves the
 * calls in progress, ms */
enum { TICK_BUDGET_MS = 50 };

/* The pace's default, ms: SIPp's default -timer_resol. A tick a ms
 * woke a worker at 1000/s for one call each time, and a worker woken
 * that often costs a fifth more CPU a call (docs/load.md, round 16) */
enum { PACE_MS = 10 };

/* What siptap load was asked for, beyond struct run_conf */
struct lconf {
	double rate;              /* calls/s, the whole run (all shards) */
	uint64_t calls;           /* --calls: 0 = by --duration          */
	double duration;          /* --duration S                        */
	unsigned max_conc;        /* --max-concurrent, per run           */
	unsigned pace_ms;         /* --pace-ms: calls due start together  */
	unsigned fd_calls;        /* calls at once a worker has files for */
	unsigned workers;
	unsigned shard_k, shard_n;
	bool live;                /* the live line on stderr             */
};

/* What a worker shows the run while it plays (shared memory) */
struct live {
	volatile uint64_t started, completed, passed, failed, broken;
	volatile uint64_t inprog, missed;
	volatile uint64_t lag_ms;     /* the latest its loop ran a tick   */
	volatile int done;
	struct hist h[LOAD_METRICS];
};

/* A test as a worker plays it: its shared state and its counts */
struct ltest {
	const struct suite_test *st;
	struct test tmpl;         /* its L: the state the calls share    */
	size_t rti;               /* its counts in the worker's lrep
				   * (an index: the array grows)       */
};

/* Every call of a test makes its points in the same order: the rule of
 * its Nth point is looked for where the last call's Nth was (guess)
 * before all the run's rules are compared by name, about 45 a point
 * (docs/load.md, Round 11). A call marks each rule once; which are
 * marked is kept as bits (marked) for the first LOAD_MARKED rules,
 * instead of a walk over its marks for each point. */
enum { LOAD_GUESSES = 128, LOAD_MARKED = 256 };

struct lw {
	struct run_conf *conf;
	const struct lconf *lc;
	unsigned k;               /* this worker, 0-based               */
	struct ltest *tv;
	size_t tc, next;
	struct lrep *rep;
	struct live *live;
	double rate;              /* this worker's share                 */
	uint64_t quota;           /* --calls: this worker's share        */
	unsigned max_conc;
	uint64_t t0, stop_at;     /* ms                                  */
	uint64_t tick_due;        /* when the tick should run            */
	uint64_t due_done;        /* calls the clock has asked for so far */
	uint64_t seq;
	unsigned inprog;
	bool stopping;
	struct tmr tick;
	uint64_t mem_base, peak;
	const char *part_dir;
	uint16_t guess[LOAD_GUESSES];  /* a call's Nth point's rule, + 1 */
};

struct mark {
	uint16_t rule;
	bool broken;
};

/* One call in progress */
struct lcall {
	struct test t;
	struct lw *w;
	struct ltest *lt;
	struct mark *markv;
	size_t markc, marksz;
	uint64_t marked[LOAD_MARKED / 64];  /* rules in markv, by index */
	char *reason;
	uint64_t lat[LOAD_METRICS];    /* us, 0: not seen */
};


/* --- the options --------------------------------------------------------- */

static const char load_usage[] =
"usage: siptap load --rate CPS [--calls N | --duration S] [options] PATH...\n"
"\n"
"Plays the tests of the scenario files as calls, over and over, every\n"
"rule checked on every call; TAP at the end (a point a test, a point a\n"
"rule), stats.csv, histograms and summary.md in the report folder.\n"
"\n"
"  --rate CPS          calls started a second, the whole run (needed;\n"
"                      0.01..100000)\n"
"  --calls N           start N calls in all, then end\n"
"  --duration S        start calls for S seconds (default 10)\n"
"  --max-concurrent M  calls in progress at once (default 10000)\n"
"  --pace-ms MS        the calls due start together every MS ms\n"
"                      (1..1000, default 10, SIPp's -timer_resol)\n"
"  --workers N         processes (default one a core)\n"
"  --shard K/N         the K-th of N parallel runs; siptap merge DIR...\n"
"                      combines their reports\n"
"  --timeout S         time limit of one call (default 5)\n"
"  --report-dir DIR    where the reports go (default reports/)\n"
"  --t1 MS, --seed N, --uas-fault NAME, --transport udp|tcp,\n"
"  --proxy URI, --target ADDR:PORT, --agent ADDR:PORT, --filter TEXT,\n"
"  --lua-dir DIR, --tap-version 13|14\n"
"                      as for siptap run\n"
"\n"
"More: docs/load.md\n";


/* One line, exit 2: the option and what it must be */
static int bad(const char *opt, const char *val, const char *what)
{
	(void)fprintf(stderr, "siptap: load: %s: '%s' is not %s\n", opt,
		      val ? val : "", what);
	return EXIT_USAGE;
}


static bool num_in(const char *s, double lo, double hi, double *v)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);

	return !*end && !errno && isfinite(*v) && *v >= lo && *v <= hi;
}


static bool whole_in(const char *s, double lo, double hi, double *v)
{
	return num_in(s, lo, hi, v) && *v == floor(*v);
}


static int opt_proxy(struct run_conf *conf, const char *s)
{
	struct pl pl, val;
	struct uri uri;
	char tp[8];

	pl_set_str(&pl, s);
	if (uri_decode(&uri, &pl) || pl_strcasecmp(&uri.scheme, "sip"))
		return EINVAL;
	conf->proxy_tp = SIP_TRANSP_UDP;
	if (!msg_param_decode(&uri.params, "transport", &val)) {
		(void)pl_strcpy(&val, tp, sizeof(tp));
		if (!str_casecmp(tp, "tcp"))
			conf->proxy_tp = SIP_TRANSP_TCP;
		else if (str_casecmp(tp, "udp"))
			return EINVAL;
	}
	conf->proxy_uri = s;
	conf->transport = conf->proxy_tp;

	return sa_set(&conf->proxy, &uri.host, uri.port ? uri.port :
		      sip_transp_port(conf->proxy_tp, 0));
}


enum {
	O_RATE = 1, O_CALLS, O_DURATION, O_MAXC, O_PACE, O_WORKERS, O_SHARD,
	O_REPORT, O_TIMEOUT, O_T1, O_SEED, O_FAULT, O_TRANSPORT, O_PROXY,
	O_TARGET, O_AGENT, O_FILTER, O_LUADIR, O_TAPV, O_HELP,
};

static const struct option load_opts[] = {
	{"rate",           required_argument, NULL, O_RATE},
	{"calls",          required_argument, NULL, O_CALLS},
	{"duration",       required_argument, NULL, O_DURATION},
	{"max-concurrent", required_argument, NULL, O_MAXC},
	{"pace-ms",        required_argument, NULL, O_PACE},
	{"workers",        required_argument, NULL, O_WORKERS},
	{"shard",          required_argument, NULL, O_SHARD},
	{"report-dir",     required_argument, NULL, O_REPORT},
	{"timeout",        required_argument, NULL, O_TIMEOUT},
	{"t1",             required_argument, NULL, O_T1},
	{"seed",           required_argument, NULL, O_SEED},
	{"uas-fault",      required_argument, NULL, O_FAULT},
	{"transport",      required_argument, NULL, O_TRANSPORT},
	{"proxy",          required_argument, NULL, O_PROXY},
	{"target",         required_argument, NULL, O_TARGET},
	{"agent",          required_argument, NULL, O_AGENT},
	{"filter",         required_argument, NULL, O_FILTER},
	{"lua-dir",        required_argument, NULL, O_LUADIR},
	{"tap-version",    required_argument, NULL, O_TAPV},
	{"help",           no_argument,       NULL, O_HELP},
	{NULL, 0, NULL, 0},
};


/* One option into conf or lc; 0 or exit status 2 (its line printed) */
static int opt_one(int c, const char *a, struct run_conf *conf,
		   struct lconf *lc)
{
	enum fault f;
	double v;

	switch (c) {

	case O_RATE:
		if (!num_in(a, 0.01, 100000, &lc->rate))
			return bad("--rate", a, "a number of calls per second"
				   " in 0.01..100000");
		return 0;
	case O_CALLS:
		if (!whole_in(a, 1, 1e9, &v))
			return bad("--calls", a, "a whole number in 1..10^9");
		lc->calls = (uint64_t)v;
		return 0;
	case O_DURATION:
		if (!num_in(a, 0.1, 86400, &lc->duration))
			return bad("--duration", a, "a number of seconds in "
				   "0.1..86400");
		return 0;
	case O_MAXC:
		if (!whole_in(a, 1, 100000, &v))
			return bad("--max-concurrent", a, "a whole number in "
				   "1..100000");
		lc->max_conc = (unsigned)v;
		return 0;
	case O_PACE:
		if (!whole_in(a, 1, 1000, &v))
			return bad("--pace-ms", a, "a whole number of ms in "
				   "1..1000");
		lc->pace_ms = (unsigned)v;
		return 0;
	case O_WORKERS:
		if (!whole_in(a, 1, MAX_WORKERS, &v))
			return bad("--workers", a, "a whole number in 1..64");
		lc->workers = (unsigned)v;
		return 0;
	case O_SHARD:
		if (sscanf(a, "%u/%u", &lc->shard_k, &lc->shard_n) != 2 ||
		    !lc->shard_k || lc->shard_k > lc->shard_n ||
		    lc->shard_n > 10000)
			return bad("--shard", a, "K/N with 1 <= K <= N");
		return 0;
	case O_REPORT:
		conf->report_dir = a;
		return 0;
	case O_TIMEOUT:
		if (!whole_in(a, 1, 3600, &v))
			return bad("--timeout", a, "a whole number of seconds"
				   " in 1..3600");
		conf->timeout_s = (uint32_t)v;
		return 0;
	case O_T1:
		if (!whole_in(a, 1, 60000, &v))
			return bad("--t1", a, "a number of ms in 1..60000");
		conf->t1 = (uint32_t)v;
		return 0;
	case O_SEED:
		if (!whole_in(a, 0, 1e15, &v))
			return bad("--seed", a, "a non-negative integer");
		conf->seed = (uint64_t)v;
		return 0;
	case O_FAULT:
		if (fault_lookup(a, &f))
			return bad("--uas-fault", a, "a fault (see siptap "
				   "faults)");
		conf->faults |= (uint64_t)1 << f;
		return 0;
	case O_TRANSPORT:
		if (!str_casecmp(a, "udp"))
			conf->transport = SIP_TRANSP_UDP;
		else if (!str_casecmp(a, "tcp"))
			conf->transport = SIP_TRANSP_TCP;
		else
			return bad("--transport", a, "udp or tcp");
		return 0;
	case O_PROXY:
		if (opt_proxy(conf, a))
			return bad("--proxy", a, "a SIP URI with a numeric "
				   "host, e.g. sip:127.0.0.1:5060");
		return 0;
	case O_TARGET:
	case O_AGENT:
		if (sa_decode(c == O_TARGET ? &conf->target : &conf->agent, a,
			      strlen(a)) ||
		    !sa_is_loopback(c == O_TARGET ? &conf->target :
				    &conf->agent))
			return bad(c == O_TARGET ? "--target" : "--agent", a,
				   "ADDR:PORT on 127.0.0.1 or ::1");
		return 0;
	case O_FILTER:
		if (conf->filterc >= RUN_MAX_FILTERS)
			return bad("--filter", a, "one more filter (at most "
				   "32)");
		conf->filterv[conf->filterc++] = a;
		return 0;
	case O_LUADIR:
		conf->lua_dir = a;
		return 0;
	case O_TAPV:
		if (strcmp(a, "13") && strcmp(a, "14"))
			return bad("--tap-version", a, "13 or 14");
		conf->tap_version = atoi(a);
		return 0;
	}

	return EXIT_USAGE;
}


/* What the options say together; 0 or exit status 2 */
static int opts_check(struct run_conf *conf, struct lconf *lc)
{
	const char *e = NULL;

	if (!lc->rate)
		e = "--rate CPS is needed (calls per second)";
	else if (lc->calls && lc->duration)
		e = "--calls and --duration: one or the other";
	else if (sa_isset(&conf->target, SA_ADDR) &&
		 sa_isset(&conf->agent, SA_ADDR))
		e = "--target and --agent: one remote UAS at a time";
	else if (sa_isset(&conf->agent, SA_ADDR) && conf->faults)
		e = "--agent: --uas-fault breaks the reference UAS, which a "
			"remote run does not use";
	if (e) {
		(void)fprintf(stderr, "siptap: load: %s\n", e);
		return EXIT_USAGE;
	}
	if (!lc->calls && !lc->duration)
		lc->duration = 10;
	if (!lc->shard_n)
		lc->shard_k = lc->shard_n = 1;
	if (!lc->workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		lc->workers = n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS :
			(unsigned)n;
	}
	if (!lc->max_conc)
		lc->max_conc = 10000;
	if (!lc->pace_ms)
		lc->pace_ms = PACE_MS;

	return 0;
}


static int opts_parse(int argc, char *argv[], struct run_conf *conf,
		      struct lconf *lc)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", load_opts, NULL)) != -1) {
		int err;

		if (c == 'h' || c == O_HELP) {
			(void)fputs(load_usage, stdout);
			exit(0);
		}
		if (c == '?' || c == ':') {
			(void)fprintf(stderr, "siptap: load: option '%s' is "
				      "unknown or needs a value (see "
				      "docs/load.md)\n", argv[optind - 1]);
			return EXIT_USAGE;
		}
		err = opt_one(c, optarg, conf, lc);
		if (err)
			return err;
	}

	return opts_check(conf, lc);
}


/* --- a call -------------------------------------------------------------- */

/* The rule id a point names: its description's first word when it is
 * one ("P-COPY-1 Via, ...", "R-PRACK-1: PRACK answered"), else the
 * rule of its diagnostics. */
static bool rule_id(const char *desc, const struct tap_diag *diagv,
		    size_t diagc, char *id, size_t sz)
{
	size_t n = 0, dashes = 0, i;

	for (; desc && desc[n] && n < sz - 1; n++) {
		const char ch = desc[n];

		if (ch == '-')
			++dashes;
		else if (!(ch >= 'A' && ch <= 'Z') &&
			 !(ch >= '0' && ch <= '9'))
			break;
	}
	if (n > 4 && dashes == 2 && desc[n - 1] >= '0' && desc[n - 1] <= '9'
	    && (!desc[n] || desc[n] == ' ' || desc[n] == ':')) {
		memcpy(id, desc, n);
		id[n] = '\0';
		return true;
	}
	for (i = 0; i < diagc; i++) {
		if (!strcmp(diagv[i].key, "rule")) {
			str_ncpy(id, diagv[i].val, sz);
			return true;
		}
	}

	return false;
}


static const char *diag_val(const struct tap_diag *diagv, size_t diagc,
			    const char *key)
{
	size_t i;

	for (i = 0; i < diagc; i++) {
		if (!strcmp(diagv[i].key, key))
			return diagv[i].val;
	}

	return NULL;
}


/* The run's rule id, found where the last call's point num was first */
static struct lrep_rule *point_rule(struct lw *w, unsigned num,
				    const char *id)
{
	struct lrep *rep = w->rep;
	uint16_t *g = num < LOAD_GUESSES ? &w->guess[num] : NULL;
	struct lrep_rule *u;

	if (g && *g && *g <= rep->rulec && !strcmp(rep->rulev[*g - 1].id, id))
		return &rep->rulev[*g - 1];
	u = lrep_rule(rep, id);
	if (u && g && rep->rulec < UINT16_MAX)
		*g = (uint16_t)(u - rep->rulev + 1);

	return u;
}


/* The index of rule ui's mark in the call, made when it has none;
 * markc when there is no memory for it */
static size_t call_mark(struct lcall *c, size_t ui)
{
	const bool bit = ui < LOAD_MARKED;
	size_t i;

	if (!bit || (c->marked[ui / 64] >> (ui % 64)) & 1) {
		for (i = 0; i < c->markc; i++) {
			if (c->markv[i].rule == ui)
				return i;
		}
	}
	if (c->markc == c->marksz) {
		/* small at first: a call holds its marks for its whole
		 * life, and most come with its rules, at its end */
		const size_t sz = c->marksz ? c->marksz * 2 : 4;
		struct mark *m = c->markv ?
			mem_realloc(c->markv, sz * sizeof(*m)) :
			mem_alloc(sz * sizeof(*m), NULL);

		if (!m)
			return c->markc;
		c->markv = m;
		c->marksz = sz;
	}
	if (bit)
		c->marked[ui / 64] |= 1ULL << (ui % 64);
	c->markv[c->markc] = (struct mark){(uint16_t)ui, false};

	return c->markc++;
}


/* runner_point_h: the call's rule marks, its first failure's reason */
static void call_point(struct test *t, bool ok, const char *desc,
		       const struct tap_diag *diagv, size_t diagc)
{
	struct lcall *c = t->point_arg;
	const bool todo = t->todo || t->test_todo;
	struct lrep_rule *u;
	char id[48];
	size_t i;

	if (!ok && !todo && !c->reason) {
		const char *wf = diag_val(diagv, diagc, "waiting_for");
		const char *msg = diag_val(diagv, diagc, "message");

		/* a Lua error's message is its reason; its first line, short:
		 * reasons are counted by their text */
		if (wf || !msg || (desc && !strcmp(msg, desc)))
			msg = "";
		(void)re_sdprintf(&c->reason, "%s%s%s%s%s%b",
				  desc ? desc : "not ok",
				  wf ? " (waiting for " : "", wf ? wf : "",
				  wf ? ")" : "", *msg ? ": " : "", msg,
				  min(strcspn(msg, "\n"), (size_t)120));
	}
	if (!rule_id(desc, diagv, diagc, id, sizeof(id)))
		return;
	u = point_rule(c->w, t->points, id);
	if (!u)
		return;
	i = call_mark(c, (size_t)(u - c->w->rep->rulev));
	if (i == c->markc)
		return;
	if (!ok && !todo && !c->markv[i].broken) {
		c->markv[i].broken = true;
		if (!u->test) {
			const char *found = diag_val(diagv, diagc, "found");

			(void)str_dup(&u->test, t->name);
			(void)str_dup(&u->found, found ? found :
				      diag_val(diagv, diagc, "message"));
		}
	}
}


static bool is_met(const struct pl *pl, const char *met)
{
	return !pl_strcmp(pl, met);
}


/* The call's latencies, from its UAC's side of the wire, while it is
 * still there (runner: endh, before the world goes) */
static void call_latency(struct lcall *c, const struct list *msgs)
{
	uint64_t inv = 0, prack = 0;
	uint32_t prack_cseq = 0;
	struct le *le;

	for (le = msgs->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;
		const struct wire_head *h = &wm->b->head;

		if (wm->role != WIRE_UAC || !wm->decoded || wm->retrans)
			continue;
		if (wm->tx && h->req && is_met(&h->met, "INVITE") && !inv)
			inv = wm->usec + 1;
		else if (wm->tx && h->req && is_met(&h->met, "PRACK") &&
			 !prack) {
			prack = wm->usec + 1;
			prack_cseq = h->cseq;
		}
		else if (!wm->tx && !h->req && inv &&
			 is_met(&h->cseq_met, "INVITE")) {
			if (h->scode > 100 && h->scode < 200 && !c->lat[0])
				c->lat[0] = wm->usec + 1 - inv + 1;
			else if (h->scode >= 200 && h->scode < 300 &&
				 !c->lat[2])
				c->lat[2] = wm->usec + 1 - inv + 1;
		}
		else if (!wm->tx && !h->req && prack && h->cseq == prack_cseq
			 && is_met(&h->cseq_met, "PRACK") && h->scode >= 200
			 && !c->lat[1]) {
			c->lat[1] = wm->usec + 1 - prack + 1;
		}
	}
}


static void call_destructor(void *arg)
{
	struct lcall *c = arg;

	mem_deref(c->t.out);
	mem_deref(c->t.first_failure);
	mem_deref(c->t.skipped);
	mem_deref(c->t.wire_log);
	mem_deref(c->t.remote_name);
	list_flush(&c->t.findings);
	mem_deref(c->markv);
	mem_deref(c->reason);
}


/* A failing call's subtest lines and wire, for the reports */
static void call_keep(struct lcall *c)
{
	struct lrep_test *rt = &c->w->rep->testv[c->lt->rti];
	struct lrep_fail *f;
	struct mbuf *mb;

	if (rt->failc >= LOAD_FAILS_KEPT)
		return;
	mb = mbuf_alloc(mbuf_get_left(c->t.out) + 64);
	if (!mb)
		return;
	f = &rt->failv[rt->failc++];
	(void)runner_out_tap(&c->t, mb);
	(void)tap_plan(mb, 1, c->t.points, NULL);
	mb->pos = 0;
	(void)mbuf_strdup(mb, &f->tap, mb->end);
	if (c->t.wire_log) {
		c->t.wire_log->pos = 0;
		(void)mbuf_strdup(c->t.wire_log, &f->wire,
				  c->t.wire_log->end);
	}
	mem_deref(mb);
}


static void call_count(struct lcall *c)
{
	struct lw *w = c->w;
	struct lrep_test *rt = &w->rep->testv[c->lt->rti];
	struct live *lv = w->live;
	uint64_t broken = 0;
	unsigned m;
	size_t i;

	++rt->calls;
	if (c->t.skipped && !c->t.failed) {
		++rt->skipped;
		if (!rt->skip)
			(void)str_dup(&rt->skip, c->t.skipped);
	}
	else if (!c->t.failed) {
		++rt->passed;
		++lv->passed;
	}
	else {
		++lv->failed;
		lrep_reason(w->rep, c->reason ? c->reason : "not ok", 1);
		call_keep(c);
	}
	for (i = 0; i < c->markc; i++) {
		struct lrep_rule *u = &w->rep->rulev[c->markv[i].rule];

		++u->checked;
		if (c->markv[i].broken)
			++broken;
		else
			++u->held;
	}
	lv->broken += broken;
	for (m = 0; m < LOAD_METRICS; m++) {
		if (!c->lat[m])
			continue;
		hist_add(lrep_hist(&rt->h[m]), c->lat[m] - 1);
		hist_add(&lv->h[m], c->lat[m] - 1);
	}
	++lv->completed;
}


static void worker_end(struct lw *w);


static void call_done(struct test *t, void *arg)
{
	struct lcall *c = arg;
	struct lw *w = c->w;

	call_count(c);
	--w->inprog;
	w->live->inprog = w->inprog;
	mem_deref(c);
	if (w->stopping && !w->inprog)
		worker_end(w);
}


/* The call's points are all in (its rules ran). Only a failing call's
 * TAP is read (call_keep): a passing one's (about 2 KB) goes now, not
 * after its grave's wait (runner.c grave_add). */
static void call_end(struct test *t, const struct list *msgs)
{
	call_latency(t->point_arg, msgs);
	if (!t->failed)
		mbuf_reset(t->out);
}


static struct ltest *next_test(struct lw *w)
{
	size_t i;

	for (i = 0; i < w->tc; i++) {
		struct ltest *lt = &w->tv[w->next++ % w->tc];

		if (lt->tmpl.L)
			return lt;
	}

	return NULL;
}


static void call_start(struct lw *w)
{
	struct ltest *lt = next_test(w);
	struct lcall *c;

	if (!lt)
		return;
	c = mem_zalloc(sizeof(*c), call_destructor);
	if (!c)
		return;
	c->w = w;
	c->lt = lt;
	c->t.conf = w->conf;
	c->t.st = lt->st;
	c->t.file = lt->st->file;
	c->t.index = lt->st->index;
	c->t.name = lt->st->name;
	c->t.test_todo = lt->st->todo;
	c->t.num = (unsigned)(++w->seq);
	c->t.pointh = call_point;
	c->t.point_arg = c;
	c->t.endh = call_end;

	++w->inprog;
	++w->live->started;
	w->live->inprog = w->inprog;
	if (runner_start_shared(&c->t, lt->tmpl.L, call_done, c)) {
		--w->inprog;
		++w->live->failed;
		lrep_reason(w->rep, "siptap had no memory for the call", 1);
		mem_deref(c);
	}
}


/* --- a worker ------------------------------------------------------------ */

/* The worker's anonymous resident memory: heap, stacks, Lua. Resident
 * pages that map files (the code of siptap, libre, Lua, libc; about
 * 1 MB more of it is touched by a worker's first calls) are shared
 * with every process that maps them and are no call's memory. */
static uint64_t anon_bytes(void)
{
	unsigned long size = 0, res = 0, shared = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu %lu", &size, &res, &shared) != 3 ||
		    shared > res)
			res = shared = 0;
		(void)fclose(f);
	}

	return (uint64_t)(res - shared) * (uint64_t)sysconf(_SC_PAGESIZE);
}


static void worker_end(struct lw *w)
{
	struct rusage ru;

	tmr_cancel(&w->tick);
	if (!w->stopping)   /* interrupted while it started calls */
		w->rep->play_s = (double)(clock_mono_ms() - w->t0) / 1000.0;
	w->rep->unfinished = w->inprog;
	w->rep->missed = w->live->missed;
	w->rep->lag_ms = w->live->lag_ms;
	w->rep->workers = 1;
	if (!getrusage(RUSAGE_SELF, &ru))
		w->rep->cpu_s = (double)(ru.ru_utime.tv_sec +
					 ru.ru_stime.tv_sec) +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
			1e6;
	re_cancel();
}


/* Whether this tick ran later than 2*T1 (at least 100 ms). A loop at
 * the machine's limit runs hundreds of ms late and its calls still
 * pass (the rules count siptap's own lateness); past 2*T1 the calls
 * in progress would see their retransmissions pile up. */
static bool loop_late(const struct lw *w, uint64_t now)
{
	uint64_t slack = 2 * (uint64_t)w->conf->t1;

	if (slack < 100)
		slack = 100;

	return w->tick_due && now > w->tick_due + slack;
}


/* The time the --calls share took to start, s: the last call's slot
 * counts (N calls take N/rate). A last call started within a pace of
 * its due time was on time: the pace put it there, not a busy loop
 * (--rate 1000 --calls 10 took 11 ms, not 10, and was warned of). */
static double quota_time(const struct lw *w, uint64_t el)
{
	const double due = (double)(w->quota - 1) / w->rate;
	double at = (double)el / 1000.0;

	if (at <= due + w->lc->pace_ms / 1000.0)
		at = due;

	return at + 1.0 / w->rate;
}


/* The pace: every call the clock asks for by now starts, unless
 * --max-concurrent calls are in progress; they wait, up to a second's
 * worth, then count as missed (the warning says so). */
static void tick(void *arg)
{
	struct lw *w = arg;
	const uint64_t now = clock_mono_ms();
	const bool late = loop_late(w, now);
	uint64_t due, period, el;

	/* the pace counts from the loop's first turn: re_main() takes a
	 * few ms to start, which a short run counted as a lower rate */
	if (!w->t0)
		w->t0 = now;
	el = now - w->t0;

	/* a loop that runs late makes siptap's own timers late too (the
	 * reference UAS's retransmissions, the UAC's ACK): the run says so */
	if (w->tick_due && now > w->tick_due + w->live->lag_ms)
		w->live->lag_ms = now - w->tick_due;

	/* the base of the memory a call: taken once the loop runs (re_main
	 * allocates and clears its table of events first: 768 KB that no
	 * call holds, and that was counted as theirs) */
	if (!w->mem_base)
		w->mem_base = anon_bytes();

	if (run_interrupted() || (w->stopping && now >= w->stop_at)) {
		w->rep->interrupted = run_interrupted() != 0;
		worker_end(w);
		return;
	}

	if (!w->stopping) {
		/* the tick that sees the duration's end comes up to a pace
		 * after it: no call is due past the end */
		if (w->lc->duration && el > (uint64_t)(w->lc->duration * 1000))
			el = (uint64_t)(w->lc->duration * 1000);
		due = (uint64_t)(w->rate * (double)el / 1000.0) + 1;
		if (w->quota && due > w->quota)
			due = w->quota;
		if (due > w->due_done + (uint64_t)w->rate + 1) {
			w->live->missed += due - w->due_done -
				(uint64_t)w->rate - 1;
			w->due_done = due - (uint64_t)w->rate - 1;
		}
		/* a loop running late is a machine short of CPU: a call
		 * started now would be late in every timer of its own and
		 * fail for siptap's sake, and slow the calls in progress;
		 * the calls due wait, then count as not started (the
		 * warning says so) */
		while (!late && w->due_done < due &&
		       w->inprog < w->max_conc) {
			++w->due_done;
			call_start(w);
			/* a backlog starts over several turns, the calls in
			 * progress served between them: a second's worth
			 * at once stalled the loop for seconds */
			if (clock_mono_ms() >= now + TICK_BUDGET_MS)
				break;
		}
		if ((w->lc->duration && el >= w->lc->duration * 1000) ||
		    (w->quota && w->due_done >= w->quota)) {
			w->stopping = true;
			/* the backlog left is calls not started too */
			w->live->missed += due - w->due_done;
			w->rep->play_s = w->lc->duration ? (double)el / 1000.0 :
				quota_time(w, el);
			w->stop_at = now + w->conf->timeout_s * 1000 + 500;
		}
		if (w->inprog > w->peak) {
			uint64_t mem = anon_bytes();

			w->peak = w->inprog;
			w->rep->peak = w->peak;
			if (mem > w->mem_base && w->peak >= 8)
				w->rep->mem_per_call = (mem - w->mem_base) /
					w->peak;
		}
	}
	if (w->stopping && !w->inprog) {
		worker_end(w);
		return;
	}

	period = w->lc->pace_ms;
	w->tick_due = now + period;
	tmr_start(&w->tick, period, tick, w);
}


/* Each test's state, its file loaded once */
static void states_load(struct lw *w)
{
	size_t i;

	for (i = 0; i < w->tc; i++) {
		struct ltest *lt = &w->tv[i];
		struct test *tm = &lt->tmpl;
		struct lrep_test *rt;

		tm->conf = w->conf;
		tm->st = lt->st;
		tm->file = lt->st->file;
		tm->index = lt->st->index;
		tm->name = lt->st->name;
		rt = lrep_test(w->rep, tm->file, tm->index, tm->name);
		if (!rt)
			continue;
		lt->rti = (size_t)(rt - w->rep->testv);
		if (!runner_shared_load(tm) || !tm->out)
			continue;

		/* the file changed since it was listed: its point */
		tm->out->pos = 0;
		(void)mbuf_strdup(tm->out, &rt->failv[0].tap, tm->out->end);
		rt->failc = rt->failv[0].tap ? 1 : 0;
		++rt->calls;
	}
}


/* A worker's life: its share of the calls, then its part */
static int worker_run(struct lw *w)
{
	int err;

	/* four sockets a call (UAC and UAS, UDP and TCP) and its
	 * connections: libre's default of 1024 descriptors is 250 calls */
	err = fd_setsize(WORKER_FDS);
	if (err)
		return err;
	states_load(w);
	tmr_init(&w->tick);
	tmr_start(&w->tick, 0, tick, w);
	(void)re_main(NULL);

	/* the states and the calls still in progress go with the
	 * process (_exit): closing a state under its calls would only
	 * cost time */
	err = lrep_save(w->rep, w->part_dir);
	w->live->done = 1;

	return err;
}


/* --- the run ------------------------------------------------------------- */

struct lrun {
	struct run_conf *conf;
	struct lconf *lc;
	struct ltest *tv;         /* the tests a call can be of         */
	size_t tc;
	struct lrep *rep;         /* the run's: its seconds, then all   */
	struct live *livev;       /* a worker each (shared memory)      */
	pid_t pids[MAX_WORKERS];
	unsigned workers;
	struct live prev;         /* the sums a second ago              */
	struct live sum;
};


static void live_sum(const struct lrun *lr, struct live *s)
{
	unsigned k, m, i;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < lr->workers; k++) {
		const struct live *l = &lr->livev[k];

		s->started += l->started;
		s->completed += l->completed;
		s->passed += l->passed;
		s->failed += l->failed;
		s->broken += l->broken;
		s->inprog += l->inprog;
		s->missed += l->missed;
		for (m = 0; m < LOAD_METRICS; m++) {
			for (i = 0; i < HIST_BUCKETS; i++)
				s->h[m].n[i] += l->h[m].n[i];
			s->h[m].count += l->h[m].count;
		}
	}
}


static void live_line(const struct lrun *lr, size_t sec,
		      const struct lrep_sec *s)
{
	uint64_t p[LOAD_METRICS][2];
	unsigned m;

	for (m = 0; m < LOAD_METRICS; m++) {
		p[m][0] = s->h[m] ? hist_percentile(s->h[m], 50) : 0;
		p[m][1] = s->h[m] ? hist_percentile(s->h[m], 99) : 0;
	}
	(void)fprintf(stderr, "\r%4zus started %llu passed %llu failed %llu "
		      "%llu/s in progress %llu | 18x %.1f/%.1f PRACK %.1f/%.1f"
		      " 200 %.1f/%.1f ms p50/p99 \033[K", sec,
		      (unsigned long long)lr->sum.started,
		      (unsigned long long)lr->sum.passed,
		      (unsigned long long)lr->sum.failed,
		      (unsigned long long)s->completed,
		      (unsigned long long)lr->sum.inprog,
		      p[0][0] / 1e3, p[0][1] / 1e3, p[1][0] / 1e3,
		      p[1][1] / 1e3, p[2][0] / 1e3, p[2][1] / 1e3);
	(void)fflush(stderr);
}


/* One row of stats.csv: what the workers did in the second past */
static void second(struct lrun *lr, size_t i)
{
	struct lrep_sec *s = lrep_sec(lr->rep, i);
	const struct live *a = &lr->sum, *b = &lr->prev;
	unsigned m;

	live_sum(lr, &lr->sum);
	if (!s)
		return;
	s->started = a->started - b->started;
	s->completed = a->completed - b->completed;
	s->passed = a->passed - b->passed;
	s->failed = a->failed - b->failed;
	s->broken = a->broken - b->broken;
	s->inprog = a->inprog;
	for (m = 0; m < LOAD_METRICS; m++) {
		if (a->h[m].count == b->h[m].count || !lrep_hist(&s->h[m]))
			continue;
		hist_diff(s->h[m], &a->h[m], &b->h[m]);
	}
	if (lr->lc->live)
		live_line(lr, i + 1, s);
	lr->prev = lr->sum;
}


static bool workers_done(struct lrun *lr)
{
	unsigned k, left = 0;

	for (k = 0; k < lr->workers; k++) {
		int status;

		if (lr->pids[k] > 0 &&
		    waitpid(lr->pids[k], &status, WNOHANG) == lr->pids[k]) {
			lr->pids[k] = 0;
			if (WIFSIGNALED(status))
				(void)fprintf(stderr, "siptap: load: worker %u"
					      " died of signal %d\n", k + 1,
					      WTERMSIG(status));
		}
		if (lr->pids[k] > 0)
			++left;
	}

	return !left;
}


/* The run's side: a row a second until every worker is done; SIGINT
 * is passed on to them by pid, and they write what they have. */
static void watch(struct lrun *lr, uint64_t t0)
{
	size_t sec = 0;
	bool told = false;

	for (;;) {
		const uint64_t next = t0 + (sec + 1) * 1000;
		uint64_t now = clock_mono_ms();
		struct timespec ts;
		bool done;

		if (now < next) {
			ts.tv_sec = (time_t)((next - now) / 1000);
			ts.tv_nsec = (long)((next - now) % 1000) * 1000000;
			(void)nanosleep(&ts, NULL);
		}
		if (run_interrupted() && !told) {
			unsigned k;

			for (k = 0; k < lr->workers; k++)
				if (lr->pids[k] > 0)
					(void)kill(lr->pids[k], SIGINT);
			told = true;
		}
		done = workers_done(lr);
		if (clock_mono_ms() >= next || done)
			second(lr, sec++);
		if (done)
			break;
	}
	lr->rep->seconds = (double)(clock_mono_ms() - t0) / 1000.0;
	if (lr->lc->live)
		(void)fprintf(stderr, "\n");
}


static void mode_line(struct lrun *lr)
{
	const struct run_conf *c = lr->conf;
	const struct lconf *lc = lr->lc;
	char shard[48] = "";

	if (lc->shard_n > 1)
		(void)re_snprintf(shard, sizeof(shard), ", shard %u/%u",
				  lc->shard_k, lc->shard_n);
	(void)re_sdprintf(&lr->rep->mode, "UAC over %s%s%s%s%J%s%J, seed "
			  "%llu, T1 %u ms, calls started every %u ms%s",
			  sip_transp_name(c->transport),
			  c->proxy_uri ? ", through the proxy " : "",
			  c->proxy_uri ? c->proxy_uri : "",
			  sa_isset(&c->target, SA_ADDR) ?
			  ", calling the remote UAS " : "",
			  sa_isset(&c->target, SA_ADDR) ? &c->target : NULL,
			  sa_isset(&c->agent, SA_ADDR) ?
			  ", the UAS played by the agent at " : "",
			  sa_isset(&c->agent, SA_ADDR) ? &c->agent : NULL,
			  (unsigned long long)c->seed, c->t1, lc->pace_ms,
			  shard);
}


/* This worker's share of a whole n split k of n ways (shards, then
 * workers): the parts add up to the whole */
static uint64_t share(uint64_t n, unsigned k, unsigned of)
{
	return n * (k + 1) / of - n * k / of;
}


static pid_t worker_fork(struct lrun *lr, unsigned k, const char *dir)
{
	const struct lconf *lc = lr->lc;
	const unsigned ways = lc->shard_n * lr->workers;
	const unsigned slot = (lc->shard_k - 1) * lr->workers + k;
	struct lw w;
	pid_t pid;
	int err;

	pid = fork();
	if (pid)
		return pid;

	memset(&w, 0, sizeof(w));
	w.conf = lr->conf;
	w.lc = lc;
	w.k = k;
	w.tv = lr->tv;
	w.tc = lr->tc;
	w.next = slot;   /* shards and workers start on tests of their own */
	w.rep = lrep_alloc();
	w.live = &lr->livev[k];
	w.rate = lc->rate / ways;
	w.quota = lc->calls ? share(lc->calls, slot, ways) : 0;
	w.max_conc = (unsigned)share(lc->max_conc, slot, ways);
	if (lc->fd_calls && w.max_conc > lc->fd_calls)
		w.max_conc = lc->fd_calls;
	if (!w.max_conc)
		w.max_conc = 1;
	w.part_dir = dir;
	if (!w.rep)
		err = ENOMEM;
	else if (lc->calls && !w.quota)   /* fewer calls than workers */
		err = lrep_save(w.rep, dir);
	else
		err = worker_run(&w);
	if (err)
		(void)fprintf(stderr, "siptap: load: worker %u: %s: %s\n", k,
			      dir, strerror(err));
	(void)fflush(stdout);
	_exit(err ? 3 : 0);
}


/* The tests a call can be of; one that cannot be played is in the
 * report as it is (a file that does not load fails, a skip skips) */
static int tests_pick(struct lrun *lr, const struct list *testl)
{
	struct le *le;

	lr->tv = mem_zalloc((list_count(testl) + 1) * sizeof(*lr->tv), NULL);
	if (!lr->tv)
		return ENOMEM;
	for (le = testl->head; le; le = le->next) {
		const struct suite_test *st = le->data;
		struct lrep_test *rt = lrep_test(lr->rep, st->file,
						 st->index, st->name);

		if (!rt)
			return ENOMEM;
		if (st->load_error) {
			struct mbuf *mb = mbuf_alloc(512);

			if (!mb)
				return ENOMEM;
			(void)tap_point(mb, 1, false, 1, "the file loads",
					TAP_NONE, NULL);
			(void)tap_yaml(mb, 1, (struct tap_diag[]){
					{"message", st->load_error, 0},
					{"file", st->file, 0}}, 2);
			(void)tap_plan(mb, 1, 1, NULL);
			mb->pos = 0;
			(void)mbuf_strdup(mb, &rt->failv[0].tap, mb->end);
			rt->failc = 1;
			mem_deref(mb);
			continue;
		}
		if (st->skip) {
			(void)str_dup(&rt->skip, st->skip);
			continue;
		}
		lr->tv[lr->tc++].st = st;
	}

	return 0;
}


/* The open-file limit raised to its hard limit (the workers inherit
 * it): how many calls at once a worker has descriptors for. A call
 * refused a socket would fail for siptap's sake, not the peer's. */
static unsigned fd_calls(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > WORKER_FDS)
		rl.rlim_cur = WORKER_FDS;
	if (rl.rlim_cur <= FDS_SPARE + FDS_A_CALL)
		return 1;

	return (unsigned)((rl.rlim_cur - FDS_SPARE) / FDS_A_CALL);
}


static int play(struct lrun *lr)
{
	char dir[4096];
	uint64_t t0;
	unsigned k;
	int err;

	lr->livev = mmap(NULL, lr->workers * sizeof(struct live),
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	if (lr->livev == MAP_FAILED)
		return errno;
	memset(lr->livev, 0, lr->workers * sizeof(struct live));

	lr->lc->fd_calls = fd_calls();
	t0 = clock_mono_ms();
	for (k = 0; k < lr->workers; k++) {
		(void)re_snprintf(dir, sizeof(dir), "%s/parts/w%u",
				  lr->conf->report_dir, k + 1);
		err = lrep_mkdirs(dir);
		if (err)
			return err;
		(void)fflush(stdout);
		(void)fflush(stderr);
		lr->pids[k] = worker_fork(lr, k, dir);
		if (lr->pids[k] < 0)
			return errno;
	}
	watch(lr, t0);

	for (k = 0; k < lr->workers; k++) {
		char e[512];

		(void)re_snprintf(dir, sizeof(dir), "%s/parts/w%u",
				  lr->conf->report_dir, k + 1);
		if (lrep_load(lr->rep, dir, e, sizeof(e))) {
			(void)fprintf(stderr, "siptap: load: worker %u left "
				      "no counts: %s\n", k + 1, e);
			++lr->rep->lost;
		}
	}
	(void)munmap(lr->livev, lr->workers * sizeof(struct live));

	return 0;
}


/* A rate the run could not hold: said, never hidden */
static void rate_warning(const struct lrun *lr)
{
	const struct lrep *r = lr->rep;
	const struct lconf *lc = lr->lc;
	const double asked = lc->rate / lc->shard_n;
	const double got = r->play_s > 0 ?
		(double)lr->sum.started / r->play_s : 0;
	const uint64_t share_most = (lr->sum.started + lr->workers - 1) /
		lr->workers;
	const double need = (double)(share_most * lr->workers) / asked;
	char why[160];

	if (r->lag_ms > lr->conf->t1 / 2)
		(void)fprintf(stderr, "siptap: load: warning: siptap's own "
			      "loop ran up to %llu ms late (T1 is %u ms): the "
			      "machine is short of CPU; timing rules (R-RETX-*, "
			      "P-2XX-1, ...) may fail for siptap's lateness, not "
			      "the peer's\n", (unsigned long long)r->lag_ms,
			      lr->conf->t1);
	/* held: within 5 % of the time the calls needed at the rate asked,
	 * and a few ms of the clock's grain (3 calls at 1000/s are 3 ms;
	 * the pace's grain is quota_time()'s).
	 * Each worker plays its share at its part of the rate: 5 calls on
	 * 2 workers are 3 and 2, and the 3 take 3/5 s at 5/s each, not the
	 * 1/2 s of 5 calls at 10/s (that was warned of, all kept up) */
	if (r->interrupted || (!r->missed && r->play_s <= need * 1.05 +
	    0.003))
		return;
	/* peaks add up over the workers */
	if (lc->fd_calls && lc->fd_calls * lr->workers < lc->max_conc &&
	    r->peak >= lc->fd_calls)
		(void)re_snprintf(why, sizeof(why), "the open-file limit "
				  "allows %u calls at once a worker, %u "
				  "worker%s; or the machine could not keep up",
				  lc->fd_calls, lr->workers,
				  lr->workers == 1 ? "" : "s");
	else
		(void)re_snprintf(why, sizeof(why), "--max-concurrent %u was "
				  "reached, or the machine could not keep up",
				  lc->max_conc);
	(void)fprintf(stderr, "siptap: load: warning: asked for %.1f calls/s,"
		      " reached %.1f calls/s; %llu calls due were not started"
		      " (%s)\n", asked, got, (unsigned long long)r->missed,
		      why);
}


static int setup(struct run_conf *conf)
{
	int ret = run_lua_dir_find(conf);

	if (ret)
		return ret;
	if (libre_init()) {
		(void)fprintf(stderr, "siptap: libre_init failed\n");
		return EXIT_USAGE;
	}
	if (sandbox_lib_alloc(&conf->lib, conf->lua_dir)) {
		(void)fprintf(stderr, "siptap: out of memory\n");
		return EXIT_USAGE;
	}
	sandbox_lib_preload(conf->lib);
	dbg_init(DBG_ERR, DBG_NONE);

	return 0;
}


static int load_run(struct run_conf *conf, struct lconf *lc,
		    struct list *testl)
{
	struct lrun lr;
	bool failed = false;
	int err;

	memset(&lr, 0, sizeof(lr));
	lr.conf = conf;
	lr.lc = lc;
	lr.workers = lc->workers;
	lr.rep = lrep_alloc();
	if (!lr.rep || tests_pick(&lr, testl)) {
		err = ENOMEM;
		goto out;
	}
	lr.rep->rate = lc->rate / lc->shard_n;
	lr.rep->parts = 1;
	mode_line(&lr);
	if (!lr.tc) {
		(void)fprintf(stderr, "siptap: load: no test to play (each "
			      "was skipped or its file does not load)\n");
	}
	else {
		err = play(&lr);
		if (err) {
			(void)fprintf(stderr, "siptap: load: %s\n",
				      strerror(err));
			goto out;
		}
	}
	if (run_interrupted())
		lr.rep->interrupted = true;
	rate_warning(&lr);
	err = lrep_report(lr.rep, conf->report_dir, conf->tap_version, true,
			  &failed);
	if (err)
		(void)fprintf(stderr, "siptap: load: could not write all "
			      "reports to %s\n", conf->report_dir);
 out:
	mem_deref(lr.tv);
	mem_deref(lr.rep);
	if (err)
		return EXIT_USAGE;

	return failed || run_interrupted() ? 1 : 0;
}


int load_main(struct run_conf *conf, int argc, char *argv[])
{
	struct lconf lc;
	struct list testl = LIST_INIT, memo = LIST_INIT;
	char err[512] = "";
	int ret;

	memset(&lc, 0, sizeof(lc));
	conf->timeout_s = 5;
	/* main() hands the words after "load"; getopt wants a name
	 * before them: the command word itself, argv[-1] */
	--argv;
	++argc;
	ret = opts_parse(argc, argv, conf, &lc);
	if (ret)
		return ret;
	if (optind >= argc) {
		(void)fprintf(stderr, "siptap: load: which scenario files? "
			      "siptap load --rate CPS PATH...\n");
		return EXIT_USAGE;
	}
	lc.live = isatty(fileno(stderr));

	conf->memo = &memo;   /* SIPTAP.memo, as in siptap run */
	run_signals_catch();
	ret = setup(conf);
	if (!ret && lrep_mkdirs(conf->report_dir)) {
		(void)fprintf(stderr, "siptap: load: --report-dir %s: %s\n",
			      conf->report_dir, strerror(errno));
		ret = EXIT_USAGE;
	}
	if (!ret && suite_collect(&testl, (const char *const *)argv + optind,
				  (size_t)(argc - optind), conf, err,
				  sizeof(err))) {
		(void)fprintf(stderr, "siptap: load: %s\n", err);
		ret = EXIT_USAGE;
	}
	if (!ret) {
		suite_select(&testl, conf);
		ret = load_run(conf, &lc, &testl);
	}
	list_flush(&testl);
	run_memo_flush(&memo);
	conf->lib = mem_deref(conf->lib);
	libre_close();

	return ret;
}
