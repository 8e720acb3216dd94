/**
 * @file main.c  The command line
 *
 *   siptap run [options] [PATH...]    run scenarios, TAP on stdout
 *   siptap list [PATH...]             the test names
 *
 * Exit status: 0 all passed, 1 a test failed, 2 usage or set-up error.
 */
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <getopt.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <limits.h>
#include <errno.h>
#include <sys/stat.h>
#include <lua.h>
#include <re.h>
#include "runner.h"
#include "suite.h"
#include "run.h"
#include "fault.h"
#include "report.h"
#include "sandbox.h"
#include "bindings.h"
#include "findings.h"
#include "rulebook.h"
#include <lauxlib.h>
#include "load.h"

#define DEBUG_MODULE "siptap"
#define DEBUG_LEVEL 3
#include <re_dbg.h>


enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
"usage: siptap run [options] [PATH...]\n"
"       siptap list [--long|--json] [options] [PATH...]\n"
"       siptap rules [--markdown] [ID]\n"
"       siptap faults\n"
"       siptap load [load options] PATH...   (siptap load --help)\n"
"       siptap merge DIR...\n"
"       siptap --help | --version\n"
"\n"
"Runs SIP scenario files (Lua) against siptap's reference UAS and prints\n"
"the results as TAP on stdout. A PATH that is a folder means every *.lua\n"
"below it, in sorted order; the default is scenarios/ (an installed\n"
"siptap without one in the working folder: its own scenarios).\n"
"\n"
"commands:\n"
"  run                 run the tests, TAP on stdout, a copy in the reports\n"
"  list                print the test names, one per line, run nothing\n"
"  rules               the rule book: each rule id the TAP cites, its\n"
"                      title, RFC sections, when it is checked, the\n"
"                      faults that break it, the rule (or only ID)\n"
"  faults              list the reference UAS's fault switches and the\n"
"                      rules each breaks\n"
"  load                the tests as calls at a rate, every rule on every\n"
"                      call (docs/load.md; siptap load --help)\n"
"  merge               combine the reports of load shards into one\n"
"\n"
"options:\n"
"  --tap-version 13|14 TAP version to print (default 14, or 13 when the\n"
"                      environment has TAP_VERSION=13, as prove sets it)\n"
"  --tap-yaml all|failed\n"
"                      which top-level points get a YAML block (duration_ms,\n"
"                      a failure's reason): all (default), or only failing\n"
"                      ones, for readers such as tap-spec that cannot take\n"
"                      one after a passing point\n"
"  --t1 MS             SIP timer T1 of the reference UAS (default 500)\n"
"  --timeout S         time limit per test in seconds (default 30)\n"
"  --report-dir DIR    where reports go (default reports/)\n"
"  --seed N            seed for scenarios' math.random and the option\n"
"                      matrix (default 1; printed in the TAP)\n"
"  --loss PERCENT      drop that share of every test's UDP messages at\n"
"                      random, from --seed (docs/network.md)\n"
"  --matrix pairwise|full\n"
"                      option combinations: all pairs (default) or the\n"
"                      full cartesian product\n"
"  --uas-fault NAME    break the reference UAS on purpose (repeatable;\n"
"                      see siptap faults)\n"
"  --transport udp|tcp|tls|ws|wss\n"
"                      what the UAC sends over (default udp; tls and wss\n"
"                      need --tls-cert); ws|wss: siptap is a WebSocket\n"
"                      edge the UAS registers with (docs/websocket.md)\n"
"  --tls-cert FILE     PEM with the reference UAS's key and certificate\n"
"                      (and the wss listener's)\n"
"  --ws-listen ADDR:PORT\n"
"                      the WebSocket listener of --transport ws|wss, on\n"
"                      127.0.0.1 or ::1 (default: a free port on\n"
"                      127.0.0.1, one a test)\n"
"  --proxy URI         send every UAC request through this SIP server,\n"
"                      e.g. sip:127.0.0.1:5060;transport=tcp\n"
"  --auth USER:PASSWORD\n"
"                      answer 401 and 407 challenges with these digest\n"
"                      credentials (MD5, SHA-256; docs/network.md)\n"
"  --uas-listen ADDR:PORT\n"
"                      the reference UAS listens here (UDP and TCP), for\n"
"                      a proxy to forward to (default: a free port)\n"
"  --target ADDR:PORT  call a remote UAS instead of the reference UAS\n"
"                      (scenarios written for it only expect)\n"
"  --agent ADDR:PORT   another implementation plays the UAS, driven by\n"
"                      its agent listening here (docs/agents.md;\n"
"                      SIP over UDP, or WebSocket with --transport\n"
"                      ws|wss; with --proxy, edge mode: the UAS\n"
"                      registered there by itself; the same scenarios)\n"
"  --ip 127.0.0.1|::1  the address siptap's own UAC and UAS bind (default:\n"
"                      the family of --proxy, --uas-listen, --target,\n"
"                      --agent or --ws-listen, else 127.0.0.1)\n"
"  --jobs N            tests at once (default 4; 1 with --uas-listen\n"
"                      or --ws-listen)\n"
"  --workers N         processes the tests run in (default one a core,\n"
"                      at most --jobs); each runs its share at once\n"
"  --filter TEXT       only tests whose name or file contains TEXT\n"
"                      (repeatable)\n"
"  --rule ID           only tests that check rule ID (repeatable): its id\n"
"                      in the test's name, or a point of it in the last\n"
"                      run in REPORT-DIR (general rules included)\n"
"  --rerun-failed      only the tests that failed, errored or were\n"
"                      interrupted in the last run in REPORT-DIR\n"
"  --shard K/N         only the K-th of N stable slices of the suite, for\n"
"                      CI jobs in parallel (1 <= K <= N)\n"
"  --bail              stop at the first failing test (Bail out!); the\n"
"                      tests not run are skipped in the reports\n"
"  --list              print the selected test names, run nothing\n"
"  --long              with list: file:line, name and rule ids, tab-\n"
"                      separated\n"
"  --json              with list: the same as a JSON array\n"
"  --markdown          with rules: as Markdown (docs/rules.md)\n"
"  --pcap              a capture per test in REPORT-DIR/pcap/\n"
"  --allow-unsafe      let scenarios use io and all of os (files,\n"
"                      commands); without it they cannot\n"
"  --todo FILE         known deviations of the peer under test: lines\n"
"                      \"TEXT | REASON\"; tests whose name contains TEXT\n"
"                      (every part of \"A & B\") run as TODO with REASON\n"
"  --lua-dir DIR       the siptap Lua library (default: PREFIX/share/\n"
"                      siptap/lua beside an installed binary, else the\n"
"                      source tree it was built from; siptap --version)\n"
"  -h, --help          this text\n"
"  -V, --version       the version\n"
"\n"
"Reports (in --report-dir): <run>.tap, junit.xml, summary.md, findings.md\n"
"(each rule broken on the wire), wire/NNN.log for each failed test, and\n"
"pcap/NNN.pcap with --pcap, last-run.tsv (for --rule and --rerun-failed).\n"
"\n"
"Exit status: 0 all tests passed, 1 a test failed, 2 usage or set-up error\n"
"(bad option, missing path, no scenario files, reports not writable).\n";


static int usage_error(const char *fmt, const char *arg)
{
	/* one line: a CI log shows it whole, grep finds it */
	(void)fprintf(stderr, "siptap: ");
	(void)fprintf(stderr, fmt, arg);
	(void)fprintf(stderr, " (see siptap --help)\n");

	return EXIT_USAGE;
}


/* A decimal number in min..max; one past ULONG_MAX is out of range,
 * not ULONG_MAX (strtoul's ERANGE) */
static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);

	return !*end && !errno && *v >= min && *v <= max;
}


static int transport_parse(const char *s, enum sip_transp *tp)
{
	if (!str_casecmp(s, "udp"))
		*tp = SIP_TRANSP_UDP;
	else if (!str_casecmp(s, "tcp"))
		*tp = SIP_TRANSP_TCP;
	else if (!str_casecmp(s, "tls"))
		*tp = SIP_TRANSP_TLS;
	else if (!str_casecmp(s, "ws"))
		*tp = SIP_TRANSP_WS;
	else if (!str_casecmp(s, "wss"))
		*tp = SIP_TRANSP_WSS;
	else
		return EINVAL;

	return 0;
}


static bool is_ws(enum sip_transp tp)
{
	return tp == SIP_TRANSP_WS || tp == SIP_TRANSP_WSS;
}


/* sip:HOST:PORT[;transport=tcp]: numeric hosts only, siptap resolves
 * nothing */
static int proxy_parse(const char *s, struct run_conf *conf)
{
	struct pl pl, val;
	struct uri uri;

	pl_set_str(&pl, s);
	if (uri_decode(&uri, &pl) || pl_strcasecmp(&uri.scheme, "sip"))
		return EINVAL;

	conf->proxy_tp = SIP_TRANSP_UDP;
	if (!msg_param_decode(&uri.params, "transport", &val)) {
		char tp[8];

		(void)pl_strcpy(&val, tp, sizeof(tp));
		if (transport_parse(tp, &conf->proxy_tp) ||
		    is_ws(conf->proxy_tp))
			return EINVAL;
	}
	conf->proxy_uri = s;

	return sa_set(&conf->proxy, &uri.host, uri.port ? uri.port :
		      sip_transp_port(conf->proxy_tp, 0));
}


/* --agent: the agent's UAS replaces the reference UAS, reached over
 * UDP, or through --proxy (edge mode); what only the reference UAS or
 * a second UAS would need is out */
static int remote_check(const struct run_conf *conf)
{
	if (!sa_isset(&conf->agent, SA_ADDR))
		return 0;
	if (sa_isset(&conf->target, SA_ADDR))
		return usage_error("%s", "--agent and --target: one remote UAS"
				   " at a time");
	/* --proxy: edge mode, the agent's UAS registered with the proxy
	 * (a WebSocket edge) by its own means; no UAS of ours listens */
	if (sa_isset(&conf->uas_listen, SA_ADDR))
		return usage_error("%s", "--agent: --uas-listen is for the "
				   "reference UAS, which a remote run does not"
				   " use");
	if (conf->faults)
		return usage_error("%s", "--agent: --uas-fault breaks the "
				   "reference UAS, which a remote run does "
				   "not use");
	if (conf->transport != SIP_TRANSP_UDP && !is_ws(conf->transport))
		return usage_error("%s", "--agent: the agent's SIP transport "
				   "is UDP, or WebSocket (--transport udp, ws "
				   "or wss)");
	if (is_ws(conf->transport) && sa_isset(&conf->proxy, SA_ADDR))
		return usage_error("%s", "--agent with --proxy (edge mode): "
				   "the UAC sends UDP to the proxy, which is "
				   "the WebSocket edge; --transport ws|wss makes"
				   " siptap the edge itself");

	return 0;
}


static int default_tap_version(void)
{
	const char *env = getenv("TAP_VERSION");

	return env && !strcmp(env, "13") ? 13 : 14;
}


/* --- the options of run and list, as data ------------------------------ */

/* How an option's value goes into struct run_conf */
enum opt_kind {
	OPT_UINT,    /* a number in min..max, into a 32- or 64-bit field */
	OPT_STR,     /* the value as it is                               */
	OPT_FLAG,    /* no value: the bool becomes true                  */
	OPT_ADDR,    /* ADDR:PORT, into a struct sa                      */
	OPT_FUNC,    /* parse() does it                                  */
};

/* parse(): 0, or the exit status of a usage error it printed */
typedef int (opt_parse_h)(struct run_conf *conf, const char *arg);

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;                /* its field in struct run_conf       */
	size_t size;               /* OPT_UINT: the field's size         */
	unsigned long min, max;    /* OPT_UINT                           */
	const char *what;          /* OPT_UINT, OPT_ADDR: what it must be */
	opt_parse_h *parse;        /* OPT_FUNC                           */
};

#define FIELD(f) offsetof(struct run_conf, f)
#define OPT_U(name, f, min, max, what) \
	{name, OPT_UINT, FIELD(f), sizeof(((struct run_conf *)0)->f), \
	 min, max, what, NULL}
#define OPT_S(name, f)    {name, OPT_STR,  FIELD(f), 0, 0, 0, NULL, NULL}
#define OPT_B(name, f)    {name, OPT_FLAG, FIELD(f), 0, 0, 0, NULL, NULL}
#define OPT_A(name, f)    {name, OPT_ADDR, FIELD(f), 0, 0, 0, "ADDR:PORT", \
			   NULL}
#define OPT_F(name, h)    {name, OPT_FUNC, 0, 0, 0, 0, NULL, h}


static int opt_matrix(struct run_conf *conf, const char *arg)
{
	if (strcmp(arg, "pairwise") && strcmp(arg, "full"))
		return usage_error("--matrix: '%s' is not pairwise or full",
				   arg);
	conf->matrix = arg;

	return 0;
}


static int opt_tap_yaml(struct run_conf *conf, const char *arg)
{
	if (strcmp(arg, "all") && strcmp(arg, "failed"))
		return usage_error("--tap-yaml: '%s' is not all or failed",
				   arg);
	conf->tap_yaml = arg;

	return 0;
}


static int opt_fault(struct run_conf *conf, const char *arg)
{
	enum fault fault;

	if (fault_lookup(arg, &fault))
		return usage_error("--uas-fault: no fault '%s' (see siptap "
				   "faults)", arg);
	conf->faults |= (uint64_t)1 << fault;

	return 0;
}


static int opt_transport(struct run_conf *conf, const char *arg)
{
	if (transport_parse(arg, &conf->transport))
		return usage_error("--transport: '%s' is not udp, tcp, tls, "
				   "ws or wss", arg);

	return 0;
}


static int opt_ip(struct run_conf *conf, const char *arg)
{
	struct sa sa;

	if (sa_set_str(&sa, arg, 0) || !sa_is_loopback(&sa))
		return usage_error("--ip: '%s' is not 127.0.0.1 or ::1", arg);
	conf->af = sa_af(&sa);

	return 0;
}


static int opt_proxy(struct run_conf *conf, const char *arg)
{
	if (proxy_parse(arg, conf))
		return usage_error("--proxy: '%s' is not a SIP URI with a "
				   "numeric host, e.g. sip:127.0.0.1:5060",
				   arg);

	return 0;
}


/* --auth USER:PASSWORD: the password may hold colons, the user not */
static int opt_auth(struct run_conf *conf, const char *arg)
{
	static char user[256];
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(user))
		return usage_error("--auth: '%s' is not USER:PASSWORD", arg);
	memcpy(user, arg, colon - arg);
	user[colon - arg] = '\0';
	conf->auth_user = user;
	conf->auth_password = colon + 1;

	return 0;
}


static int opt_filter(struct run_conf *conf, const char *arg)
{
	if (conf->filterc >= RUN_MAX_FILTERS)
		return usage_error("%s", "--filter: too many");
	conf->filterv[conf->filterc++] = arg;

	return 0;
}


/* R-RSEQ-1: capitals and digits in three parts */
static int opt_rule(struct run_conf *conf, const char *arg)
{
	struct pl id;

	if (!findings_rule_prefix(arg, &id) || id.l != strlen(arg))
		return usage_error("--rule: '%s' is not a rule id such as "
				   "R-RSEQ-1 (see docs/rules.md)", arg);
	if (conf->rulec >= RUN_MAX_FILTERS)
		return usage_error("%s", "--rule: too many");
	conf->rulev[conf->rulec++] = arg;

	return 0;
}


static int opt_shard(struct run_conf *conf, const char *arg)
{
	if (sscanf(arg, "%u/%u", &conf->shard_k, &conf->shard_n) != 2 ||
	    !conf->shard_n || !conf->shard_k ||
	    conf->shard_k > conf->shard_n)
		return usage_error("--shard: '%s' is not K/N with "
				   "1 <= K <= N", arg);

	return 0;
}


static int opt_help(struct run_conf *conf, const char *arg)
{
	(void)fputs(usage_text, stdout);
	exit(0);
}


/* In the order of --help */
static const struct opt opts[] = {
	OPT_U("tap-version", tap_version, 13, 14, "13 or 14"),
	OPT_F("tap-yaml",    opt_tap_yaml),
	OPT_U("t1",          t1, 1, 60000, "a number of ms in 1..60000"),
	OPT_U("timeout",     timeout_s, 1, 86400,
	      "a number of seconds in 1..86400"),
	OPT_S("report-dir",  report_dir),
	OPT_U("seed",        seed, 0, ULONG_MAX,
	      "an integer in 0..18446744073709551615"),
	OPT_U("loss",        loss, 0, 100, "a percentage in 0..100"),
	OPT_F("matrix",      opt_matrix),
	OPT_F("uas-fault",   opt_fault),
	OPT_F("transport",   opt_transport),
	OPT_S("tls-cert",    tls_cert),
	OPT_A("ws-listen",   ws_listen),
	OPT_F("proxy",       opt_proxy),
	OPT_F("auth",        opt_auth),
	OPT_A("uas-listen",  uas_listen),
	OPT_A("target",      target),
	OPT_A("agent",       agent),
	OPT_F("ip",          opt_ip),
	OPT_U("jobs",        jobs, 1, 256, "a number in 1..256"),
	OPT_U("workers",     workers, 1, 256, "a number in 1..256"),
	OPT_F("filter",      opt_filter),
	OPT_F("rule",        opt_rule),
	OPT_B("rerun-failed", rerun_failed),
	OPT_F("shard",       opt_shard),
	OPT_B("bail",        bail),
	OPT_B("list",        list_only),
	OPT_B("long",        list_long),
	OPT_B("json",        list_json),
	OPT_B("markdown",    markdown),
	OPT_B("pcap",        pcap),
	OPT_B("allow-unsafe", allow_unsafe),
	OPT_S("todo",        todo_file),
	OPT_S("lua-dir",     lua_dir),
	OPT_F("help",        opt_help),
};

enum { OPTC = sizeof(opts) / sizeof(opts[0]), OPT_VAL = 256 };


/* One option's value into conf; 0 or an exit status */
static int opt_set(const struct opt *o, struct run_conf *conf,
		   const char *arg)
{
	char *field = (char *)conf + o->off;
	char why[128];
	unsigned long v;

	switch (o->kind) {

	case OPT_UINT:
		if (!parse_uint(arg, o->min, o->max, &v))
			break;
		if (o->size == sizeof(uint64_t))
			*(uint64_t *)(void *)field = v;
		else
			*(uint32_t *)(void *)field = (uint32_t)v;
		return 0;

	case OPT_STR:
		*(const char **)(void *)field = arg;
		return 0;

	case OPT_FLAG:
		*(bool *)field = true;
		return 0;

	case OPT_ADDR:
		if (sa_decode((struct sa *)(void *)field, arg, strlen(arg)))
			break;
		return 0;

	case OPT_FUNC:
		return o->parse(conf, arg);
	}

	(void)snprintf(why, sizeof(why), "--%s: '%%s' is not %s", o->name,
		       o->what);
	return usage_error(why, arg);
}


/* The options of run and list, from the table above, into conf */
static int parse_options(int argc, char *argv[], struct run_conf *conf)
{
	struct option longopts[OPTC + 1];
	size_t i;
	int c;

	for (i = 0; i < OPTC; i++) {
		longopts[i] = (struct option){
			opts[i].name,
			opts[i].kind == OPT_FLAG || opts[i].parse == opt_help
				? no_argument : required_argument,
			NULL, OPT_VAL + (int)i
		};
	}
	longopts[OPTC] = (struct option){NULL, 0, NULL, 0};

	/* ":": a missing value is ':', not '?'; no "+": options may
	 * follow the paths (getopt moves the paths to the end) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		int err;

		if (c == 'h')
			return opt_help(conf, NULL);
		if (c == ':')
			return usage_error("%s needs a value", argv[optind - 1]);
		if (c < OPT_VAL || c >= OPT_VAL + OPTC)
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		err = opt_set(&opts[c - OPT_VAL], conf, optarg);
		if (err)
			return err;
	}

	return 0;
}


static bool lua_dir_ok(const char *dir)
{
	char path[4096];
	struct stat st;

	(void)re_snprintf(path, sizeof(path), "%s/siptap/rules.lua", dir);

	return !stat(path, &st) && S_ISREG(st.st_mode);
}


/* An installed siptap's scenarios (PREFIX/share/siptap/scenarios):
 * the default PATH where the working folder has no scenarios/ */
static char installed_scenarios[4096];


/* The Lua library: --lua-dir; else share/siptap/lua beside an installed
 * binary (PREFIX/bin/siptap), so a prefix can move; else the source
 * tree the binary was built from. */
int run_lua_dir_find(struct run_conf *conf)
{
	static char dir[4096];
	char exe[4096];
	ssize_t n;
	char *slash;

	if (conf->lua_dir) {
		if (lua_dir_ok(conf->lua_dir))
			return 0;
		(void)fprintf(stderr, "siptap: --lua-dir %s: not the siptap Lua"
			      " library (no siptap/rules.lua in it)\n",
			      conf->lua_dir);
		return EXIT_USAGE;
	}

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		(void)re_snprintf(dir, sizeof(dir), "%s/../%s", exe,
				  SIPTAP_DATA_SUBDIR "/lua");
		if (lua_dir_ok(dir)) {
			conf->lua_dir = dir;
			(void)re_snprintf(installed_scenarios,
					  sizeof(installed_scenarios),
					  "%s/../" SIPTAP_DATA_SUBDIR
					  "/scenarios", exe);
			return 0;
		}
	}

	conf->lua_dir = SIPTAP_LUA_DIR;
	if (lua_dir_ok(conf->lua_dir))
		return 0;
	(void)fprintf(stderr, "siptap: the siptap Lua library is neither in "
		      "%s nor in %s/../" SIPTAP_DATA_SUBDIR "/lua: give "
		      "--lua-dir DIR\n", SIPTAP_LUA_DIR, n > 0 ? exe : "?");

	return EXIT_USAGE;
}


/* --rule and --rerun-failed read the last run in the report folder */
static int last_run_load(struct run_conf *conf, struct list *l)
{
	int err;

	if (!conf->rulec && !conf->rerun_failed && !conf->list_long &&
	    !conf->list_json)
		return 0;
	err = report_last_run_load(conf->report_dir, l);
	conf->last_run = l;
	if (err == ENOENT && conf->rerun_failed) {
		(void)fprintf(stderr, "siptap: --rerun-failed: no earlier run "
			      "in %s (no last-run.tsv there)\n",
			      conf->report_dir);
		return EXIT_USAGE;
	}
	if (err == ENOENT && conf->rulec)
		(void)fprintf(stderr, "siptap: --rule: no earlier run in %s: "
			      "only the tests whose names name the rule\n",
			      conf->report_dir);
	else if (err && err != ENOENT) {
		(void)fprintf(stderr, "siptap: %s/last-run.tsv: %s\n",
			      conf->report_dir, strerror(err));
		return EXIT_USAGE;
	}

	return 0;
}


static int collect(struct list *testl, const struct run_conf *conf,
		   int argc, char *argv[])
{
	static const char *default_path[] = {"scenarios"};
	const char *const *pathv = default_path;
	size_t pathc = 1;
	char err[512] = "";
	struct stat st;

	if (stat("scenarios", &st) && *installed_scenarios)
		default_path[0] = installed_scenarios;

	if (argc > 0) {
		pathv = (const char *const *)argv;
		pathc = (size_t)argc;
	}

	if (suite_collect(testl, pathv, pathc, conf, err, sizeof(err)) ||
	    (conf->todo_file &&
	     suite_todo_file(testl, conf->todo_file, err, sizeof(err)))) {
		(void)fprintf(stderr, "siptap: %s\n", err);
		return EXIT_USAGE;
	}

	return 0;
}


/* After --filter and --shard: an empty selection is a usage error, not
 * a green run of nothing (unless a signal cut the listing short: then
 * the run bails out with what it has) */
static int selection_check(const struct list *testl)
{
	if (!list_isempty(testl) || run_interrupted())
		return 0;

	(void)fprintf(stderr, "siptap: no test selected (the options "
		      "--filter, --shard, --rule or --rerun-failed left none)"
		      "\n");
	return EXIT_USAGE;
}


static int cmd_run(struct run_conf *conf, int argc, char *argv[])
{
	struct run_stats stats;
	struct list testl = LIST_INIT;
	struct list last = LIST_INIT;
	int err, ret;

	/* before any scenario file is read: a run must be able to leave
	 * its reports */
	if (!conf->list_only && report_dirs(conf))
		return EXIT_USAGE;

	ret = last_run_load(conf, &last);
	if (!ret)
		ret = collect(&testl, conf, argc, argv);
	if (ret)
		goto out;

	suite_select(&testl, conf);
	ret = selection_check(&testl);
	if (ret)
		goto out;
	if (conf->list_only) {
		ret = run_list(&testl, conf);
		goto out;
	}

	err = run_suite(conf, &testl, &stats);
	if (stats.child)
		goto out;   /* a test's own process: the run reports */
	if (err)
		ret = EXIT_USAGE;
	else
		ret = stats.failed || stats.interrupted ? EXIT_FAILED : 0;

	if (!err) {
		const bool color = report_color(stderr);

		(void)fprintf(stderr, "%ssiptap: %u tests: %u passed, %u "
			      "failed, %u skipped, %u todo%s\n",
			      !color ? "" : stats.failed ? "\033[31m"
			      : "\033[32m", stats.tests, stats.passed,
			      stats.failed, stats.skipped, stats.todo,
			      color ? "\033[0m" : "");
	}
 out:
	list_flush(&testl);
	list_flush(&last);

	return ret;
}


static int cmd_list(struct run_conf *conf, int argc, char *argv[])
{
	struct list testl = LIST_INIT;
	struct list last = LIST_INIT;
	int ret;

	ret = last_run_load(conf, &last);
	if (!ret)
		ret = collect(&testl, conf, argc, argv);
	if (!ret) {
		suite_select(&testl, conf);
		ret = selection_check(&testl);
	}
	if (!ret)
		ret = run_list(&testl, conf);
	list_flush(&testl);
	list_flush(&last);

	return ret;
}


/* What the checkers know, "ID\tSCOPE\tTITLE" lines, from the Lua
 * library itself (titles live beside the checks) */
static const char checkers_chunk[] =
	"local C = require 'siptap.checkers'\n"
	"local R = require 'siptap.rules'\n"
	"local scope, out = {}, {}\n"
	"for _, id in ipairs(R.general) do scope[id] = 'general' end\n"
	"for _, id in ipairs(R.proxy) do scope[id] = 'proxy' end\n"
	"for id, title in pairs(C.titles) do\n"
	"  out[#out + 1] = id .. '\\t' .. (scope[id] or 'scenario') ..\n"
	"    '\\t' .. title\n"
	"end\n"
	"table.sort(out)\n"
	"return table.concat(out, '\\n')\n";


static int cmd_rules(struct run_conf *conf, int argc, char *argv[])
{
	lua_State *L = NULL;
	int err;

	if (argc > 1)
		return usage_error("%s", "rules: one rule id at most");
	err = sandbox_new(&L, conf->lib, conf->seed, false);
	if (err)
		return EXIT_USAGE;
	if (luaL_loadstring(L, checkers_chunk) ||
	    lua_pcall(L, 0, 1, 0) != LUA_OK) {
		(void)fprintf(stderr, "siptap: rules: the Lua library's "
			      "checkers do not load: %s\n",
			      lua_tostring(L, -1));
		sandbox_close(L);
		return EXIT_USAGE;
	}
	if (argc && !rulebook_has(lua_tostring(L, -1), argv[0])) {
		(void)fprintf(stderr, "siptap: rules: no rule '%s' in the rule "
			      "book\n", argv[0]);
		sandbox_close(L);
		return EXIT_USAGE;
	}
	(void)re_printf("%H", rulebook_print_h, &(struct rulebook_args){
			lua_tostring(L, -1), conf->markdown,
			argc ? argv[0] : NULL});
	sandbox_close(L);

	return 0;
}


static int cmd_help(struct run_conf *conf, int argc, char *argv[])
{
	(void)fputs(usage_text, stdout);
	return 0;
}


static int cmd_version(struct run_conf *conf, int argc, char *argv[])
{
	int ret = run_lua_dir_find(conf);

	(void)printf("siptap %s (libre %s, %s)\n", SIPTAP_VERSION,
		     sys_libre_version_get(), LUA_RELEASE);
	if (!ret)
		(void)printf("Lua library: %s\n", conf->lua_dir);

	return 0;
}


static int cmd_faults(struct run_conf *conf, int argc, char *argv[])
{
	(void)re_printf("%H", fault_print_all, NULL);
	return 0;
}


/* --transport ws|wss: siptap is the WebSocket edge the UAS registers
 * with; what would put something else between them is out. */
static int ws_check(const struct run_conf *conf)
{
	if (sa_isset(&conf->ws_listen, SA_ADDR) && !is_ws(conf->transport))
		return usage_error("%s", "--ws-listen: only with --transport "
				   "ws or wss");
	if (sa_isset(&conf->ws_listen, SA_ADDR) &&
	    !sa_is_loopback(&conf->ws_listen))
		return usage_error("%s", "--ws-listen: siptap listens on "
				   "127.0.0.1 or ::1 only");
	if (!is_ws(conf->transport))
		return 0;
	if (conf->transport == SIP_TRANSP_WSS && !conf->tls_cert)
		return usage_error("%s", "--transport wss needs --tls-cert FILE"
				   " (a PEM with key and certificate)");
	if (sa_isset(&conf->proxy, SA_ADDR) ||
	    sa_isset(&conf->target, SA_ADDR))
		return usage_error("%s", "--transport ws|wss: the UAS registers"
				   " with siptap's WebSocket listener; not with"
				   " --proxy or --target");

	return 0;
}


/* One run is on one address family: siptap's own sockets on ::1 when
 * --ip ::1 says so or an address it is given is IPv6, else on
 * 127.0.0.1. An IPv4 and an IPv6 address together cannot meet. */
static int ip_check(struct run_conf *conf)
{
	static char line[160];
	const struct {
		const char *name;
		const struct sa *sa;
	} addrv[] = {
		{"--proxy", &conf->proxy}, {"--uas-listen", &conf->uas_listen},
		{"--target", &conf->target}, {"--agent", &conf->agent},
		{"--ws-listen", &conf->ws_listen},
	};
	const char *by = conf->af ? "--ip" : NULL;
	size_t i;

	for (i = 0; i < sizeof(addrv) / sizeof(addrv[0]); i++) {
		const int af = sa_af(addrv[i].sa);

		if (!sa_isset(addrv[i].sa, SA_ADDR))
			continue;
		if (!by) {
			conf->af = af;
			by = addrv[i].name;
			continue;
		}
		if (af == conf->af)
			continue;
		(void)re_snprintf(line, sizeof(line), "%s: an IPv%c address,"
				  " and %s says IPv%c: siptap runs on one of"
				  " 127.0.0.1 and ::1 (docs/network.md)",
				  addrv[i].name, af == AF_INET6 ? '6' : '4',
				  by, conf->af == AF_INET6 ? '6' : '4');
		return usage_error("%s", line);
	}
	if (!conf->af)
		conf->af = AF_INET;

	return 0;
}


/* What the options say together, once all are read; 0 or an exit
 * status */
static int options_check(struct run_conf *conf)
{
	static char pcap_dir[4096];
	int ret;

	if (conf->transport == SIP_TRANSP_TLS && !conf->tls_cert)
		return usage_error("%s", "--transport tls needs --tls-cert FILE "
				   "(a PEM with key and certificate)");
	ret = ws_check(conf);
	if (!ret)
		ret = ip_check(conf);
	if (ret)
		return ret;
	if (sa_isset(&conf->proxy, SA_ADDR))
		conf->transport = conf->proxy_tp;
	ret = remote_check(conf);
	if (ret)
		return ret;
	if (conf->loss && conf->transport != SIP_TRANSP_UDP)
		return usage_error("--loss: link impairment is for UDP only, "
				   "and the UAC sends over %s (--transport, "
				   "--proxy)", sip_transp_name(conf->transport));
	/* one fixed UAS address can serve one test at a time */
	if (!conf->jobs)
		conf->jobs = sa_isset(&conf->uas_listen, SA_ADDR) ||
			sa_isset(&conf->ws_listen, SA_ADDR) ? 1 : 4;
	else if (conf->jobs > 1 && sa_isset(&conf->uas_listen, SA_ADDR))
		return usage_error("%s", "--jobs: with --uas-listen only one "
				   "test can run at a time (--jobs 1)");
	else if (conf->jobs > 1 && sa_isset(&conf->ws_listen, SA_ADDR))
		return usage_error("%s", "--jobs: with --ws-listen only one "
				   "test can run at a time (--jobs 1)");
	if (conf->pcap) {
		(void)re_snprintf(pcap_dir, sizeof(pcap_dir), "%s/pcap",
				  conf->report_dir);
		conf->pcap_dir = pcap_dir;
	}
	conf->progress = report_escapes(stderr);

	return 0;
}


/* libre_close() lists every file descriptor still registered on its
 * loop on stderr ("fd N in use: ...", libre's fd_debug), which the exit
 * closes anyway. That is libre's debugging, not siptap's output: stderr
 * is /dev/null for the time of it. */
static void libre_close_quiet(void)
{
	int saved = dup(STDERR_FILENO);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)fflush(stderr);
	if (saved >= 0 && null >= 0)
		(void)dup2(null, STDERR_FILENO);
	libre_close();
	(void)fflush(stderr);
	if (saved >= 0 && null >= 0)
		(void)dup2(saved, STDERR_FILENO);
	if (saved >= 0)
		(void)close(saved);
	if (null >= 0)
		(void)close(null);
}


/* One word for a POSIX shell: as it is when it is safe, else in single
 * quotes (a ' as '\'') */
static int shell_word(struct re_printf *pf, const char *w)
{
	const char *p;
	int err = 0;

	if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_./:=@%+,-") == strlen(w))
		return re_hprintf(pf, "%s", w);

	err = re_hprintf(pf, "'");
	for (p = w; *p && !err; p++)
		err = *p == '\'' ? re_hprintf(pf, "'\\''")
			: re_hprintf(pf, "%c", *p);

	return err | re_hprintf(pf, "'");
}


/* The command line as typed, every option and path kept, for the
 * replay line on stderr and in summary.md; getopt reorders argv, so
 * it is taken before. */
static char *replay_line(int argc, char *argv[])
{
	struct mbuf *mb = mbuf_alloc(256);
	char *line = NULL;
	int i, err = 0;

	if (!mb)
		return NULL;
	for (i = 0; i < argc && !err; i++)
		err = mbuf_printf(mb, "%s%H", i ? " " : "", shell_word,
				  argv[i]);
	mb->pos = 0;
	if (!err)
		(void)mbuf_strdup(mb, &line, mb->end);
	mem_deref(mb);

	return line;
}


typedef int (cmd_h)(struct run_conf *conf, int argc, char *argv[]);

/* run and list: their options, then libre and the Lua library around
 * the command itself */
static int with_run(cmd_h *cmdh, struct run_conf *conf, int argc,
		    char *argv[])
{
	struct list memo = LIST_INIT;
	int ret;

	ret = parse_options(argc, argv, conf);
	if (!ret)
		ret = options_check(conf);
	if (!ret)
		ret = run_lua_dir_find(conf);
	if (ret)
		return ret;

	conf->memo = &memo;
	run_signals_catch();
	if (libre_init()) {
		(void)fprintf(stderr, "siptap: libre_init failed\n");
		return EXIT_USAGE;
	}
	if (sandbox_lib_alloc(&conf->lib, conf->lua_dir)) {
		(void)fprintf(stderr, "siptap: out of memory\n");
		libre_close_quiet();
		return EXIT_USAGE;
	}
	sandbox_lib_preload(conf->lib);

	/* libre's own warnings are not siptap's output: the wire and the
	 * TAP tell what happened (a peer's undecodable message never
	 * reaches libre: sizes.c records it and keeps it from libre) */
	dbg_init(DBG_ERR, DBG_NONE);

	ret = cmdh(conf, argc - optind, argv + optind);

	run_memo_flush(&memo);
	mem_deref(conf->lib);
	libre_close_quiet();

	return ret;
}


static const struct command {
	const char *name;
	cmd_h *cmdh;
	bool run;              /* takes the options, runs through with_run */
} commands[] = {
	{"run",       cmd_run,     true},
	{"list",      cmd_list,    true},
	{"rules",     cmd_rules,   true},
	{"faults",    cmd_faults,  false},
	{"load",      load_main,   false},
	{"merge",     merge_main,  false},
	{"help",      cmd_help,    false},
	{"--help",    cmd_help,    false},
	{"-h",        cmd_help,    false},
	{"--version", cmd_version, false},
	{"-V",        cmd_version, false},
};


int main(int argc, char *argv[])
{
	struct run_conf conf = {
		.tap_version = default_tap_version(),
		.t1          = 500,
		.timeout_s   = 30,
		.report_dir  = "reports",
		.seed        = 1,
		.matrix      = "pairwise",
		.tap_yaml    = "all",
		.objects     = &bindings_objects,
	};
	char *replay;
	size_t i;
	int ret;

	if (argc < 2)
		return usage_error("%s", "a command is needed: run or list");

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		if (strcmp(argv[1], c->name))
			continue;
		if (!c->run)
			return c->cmdh(&conf, argc - 2, argv + 2);

		/* options start after the command */
		replay = replay_line(argc, argv);
		conf.replay = replay;
		ret = with_run(c->cmdh, &conf, argc - 1, argv + 1);
		mem_deref(replay);
		return ret;
	}

	return usage_error("unknown command '%s' (run, list or faults)",
			   argv[1]);
}
