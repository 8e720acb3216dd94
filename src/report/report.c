/**
 * @file report.c  What a run leaves in --report-dir, and the terminal
 *
 * CI systems read JUnit XML; people read summary.md and the wire logs.
 * Everything here is written after the run from the tests' results, so
 * a broken scenario or a failing test never costs the reports.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <re.h>
#include "runner.h"
#include "report.h"
#include "findings.h"
#include "text.h"


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


/* A file made and removed in dir: the one sure test that the reports
 * can be written there (access() says yes to root on a read-only
 * mount, and no to nothing else that matters) */
static int probe_write(const char *dir)
{
	char path[4096];
	int fd, err = 0;

	(void)re_snprintf(path, sizeof(path), "%s/.siptap-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return errno;
	if (close(fd))
		err = errno;
	(void)unlink(path);

	return err;
}


/* Made and tried before the first test (and before the scenario files
 * are read), so that a report dir we cannot write is an error up front,
 * not after minutes of tests. One line on stderr when it fails. */
int report_dirs(const struct run_conf *conf)
{
	const char *dir = conf->report_dir;
	char path[4096];
	struct stat st;
	int err;

	if (!stat(dir, &st) && !S_ISDIR(st.st_mode)) {
		re_fprintf(stderr, "siptap: --report-dir %s: is a file, not a "
			   "folder\n", dir);
		return ENOTDIR;
	}

	err = mkdirs(dir);
	if (!err)
		err = probe_write(dir);
	(void)re_snprintf(path, sizeof(path), "%s/wire", dir);
	if (!err)
		err = mkdirs(path);
	if (!err && conf->pcap_dir)
		err = mkdirs(conf->pcap_dir);
	if (err)
		re_fprintf(stderr, "siptap: --report-dir %s: cannot write "
			   "there: %m\n", dir, err);

	return err;
}


static FILE *open_report(const struct run_conf *conf, const char *name,
			 char *path, size_t sz)
{
	FILE *f;

	(void)re_snprintf(path, sz, "%s/%s", conf->report_dir, name);
	f = fopen(path, "w");
	if (!f)
		re_fprintf(stderr, "siptap: %s: %m\n", path, errno);

	return f;
}


/* --- JUnit ------------------------------------------------------------ */

/* XML 1.0 text and attribute values: the five entities, CR as a
 * reference (a parser would drop it), TAB and LF as they are.
 * Other control bytes and bytes that are not UTF-8 (from a peer, say)
 * are no XML characters at all, not even as &#x1;: the text \xNN. */
static const char *const xml_map[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
	['\''] = "&apos;", ['\t'] = "\t", ['\n'] = "\n", ['\r'] = "&#13;",
};
static const struct text_esc esc_xml = {xml_map, "\\x%02x", "\\x%02x"};


static void xml_text(FILE *f, const char *s, size_t len)
{
	(void)text_file(f, &esc_xml, s, len);
}


static void xml_str(FILE *f, const char *s)
{
	if (s)
		xml_text(f, s, strlen(s));
}


/* scenarios/flows/cancel.lua -> scenarios.flows.cancel: Jenkins takes
 * what follows the last dot as the class, the rest as the package. */
static void classname(FILE *f, const char *file)
{
	size_t len = strlen(file);
	char *dotted;
	size_t i;

	if (len > 4 && !strcmp(file + len - 4, ".lua"))
		len -= 4;
	if (re_sdprintf(&dotted, "%b", file, len))
		return;
	for (i = 0; i < len; i++) {
		if (dotted[i] == '/')
			dotted[i] = '.';
	}
	i = dotted[0] == '.';
	xml_text(f, dotted + i, len - i);
	mem_deref(dotted);
}


static double seconds(const struct test *t)
{
	return (double)t->elapsed_usec / 1e6;
}


/* Interrupted before its verdict: run.c leaves it unfinished */
bool report_unfinished(const struct test *t)
{
	return t->result == RESULT_ERROR && !t->finished;
}


/* <failure>'s and <error>'s type: what kind of problem, for the CI's
 * grouping: the rule the first failing point names, a check without a
 * rule, a broken scenario, an interrupted run */
static void problem_type(FILE *f, const struct test *t)
{
	struct pl id;

	if (report_unfinished(t))
		fputs("interrupted", f);
	else if (t->st->load_error)
		fputs("scenario-does-not-load", f);
	else if (t->result == RESULT_ERROR)
		fputs("scenario-error", f);
	else if (findings_rule_prefix(t->first_failure, &id))
		xml_text(f, id.p, id.l);
	else
		fputs("check", f);
}


static void problem(FILE *f, const struct test *t)
{
	const char *tag = t->result == RESULT_ERROR ? "error" : "failure";
	const struct suite_test *st = t->st;

	fprintf(f, "      <%s message=\"", tag);
	if (report_unfinished(t))
		xml_str(f, "interrupted");
	else
		xml_str(f, st->load_error ? "the scenario file does not load"
			: t->first_failure);
	fputs("\" type=\"", f);
	problem_type(f, t);
	fputs("\">", f);
	if (report_unfinished(t))
		xml_str(f, "the run was stopped (SIGINT or SIGTERM) before "
			"this test had a verdict");
	else if (st->load_error)
		xml_str(f, st->load_error);
	else if (t->out)
		xml_text(f, (const char *)t->out->buf, t->out->end);
	fprintf(f, "</%s>\n", tag);
	if (t->wire_log) {
		fputs("      <system-out>", f);
		xml_text(f, (const char *)t->wire_log->buf, t->wire_log->end);
		fputs("</system-out>\n", f);
	}
}


static void testcase(FILE *f, const struct test *t)
{
	const struct suite_test *st = t->st;

	fputs("    <testcase classname=\"", f);
	classname(f, st->file);
	fputs("\" name=\"", f);
	xml_str(f, st->name ? st->name : st->file);
	fputs("\" file=\"", f);
	xml_str(f, st->file);
	fprintf(f, "\" time=\"%.3f\">\n", seconds(t));

	switch (t->result) {

	case RESULT_SKIP:
		fputs("      <skipped message=\"", f);
		xml_str(f, st->skip ? st->skip : t->skipped);
		fputs("\"/>\n", f);
		break;

	case RESULT_TODO:
		fputs("      <skipped message=\"TODO: ", f);
		xml_str(f, st->todo);
		fputs("\"/>\n", f);
		break;

	case RESULT_FAIL:
	case RESULT_ERROR:
		problem(f, t);
		break;

	default:
		break;
	}

	fputs("    </testcase>\n", f);
}


struct tally {
	unsigned fail, error, skip;
	double time;
};


/* JUnit's counts of testv[from..to): a failing TODO counts as skipped */
static struct tally tally(const struct test *testv, size_t from, size_t to)
{
	struct tally n = {0, 0, 0, 0};
	size_t i;

	for (i = from; i < to; i++) {
		n.fail  += testv[i].result == RESULT_FAIL;
		n.error += testv[i].result == RESULT_ERROR;
		n.skip  += testv[i].result == RESULT_SKIP ||
			testv[i].result == RESULT_TODO;
		n.time  += seconds(&testv[i]);
	}

	return n;
}


/* The tests of one file, testv[from..to), as one testsuite. */
static void testsuite(FILE *f, const struct test *testv, size_t from,
		      size_t to)
{
	const struct tally n = tally(testv, from, to);
	size_t i;

	fputs("  <testsuite name=\"", f);
	xml_str(f, testv[from].st->file);
	fprintf(f, "\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" "
		"skipped=\"%u\" time=\"%.3f\">\n", to - from, n.fail,
		n.error, n.skip, n.time);
	for (i = from; i < to; i++)
		testcase(f, &testv[i]);
	fputs("  </testsuite>\n", f);
}


int report_junit(FILE *f, const struct test *testv, size_t testc)
{
	const struct tally n = tally(testv, 0, testc);
	size_t i, from = 0;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	/* no skipped= here: Jenkins' junit-10.xsd has it on <testsuite>
	 * only */
	fprintf(f, "<testsuites name=\"siptap\" tests=\"%zu\" failures=\"%u\""
		" errors=\"%u\" time=\"%.3f\">\n", testc, n.fail, n.error,
		n.time);
	for (i = 1; i <= testc; i++) {
		if (i < testc &&
		    !strcmp(testv[i].st->file, testv[from].st->file))
			continue;
		testsuite(f, testv, from, i);
		from = i;
	}
	fputs("</testsuites>\n", f);

	return ferror(f) ? EIO : 0;
}


/* --- summary.md and the wire logs ------------------------------------- */

/* A scenario's or a peer's text on one Markdown line */
static void md(FILE *f, const char *s)
{
	if (s)
		(void)text_file(f, &text_esc_md, s, strlen(s));
}


static void rule_ids(FILE *f, const char *name)
{
	const char *open = name ? strrchr(name, '[') : NULL;
	const char *close = open ? strchr(open, ']') : NULL;

	if (open && close) {
		fputc(' ', f);
		(void)text_file(f, &text_esc_md, open,
				(size_t)(close - open + 1));
	}
}


static int slower(const void *a, const void *b)
{
	const struct test *x = *(const struct test *const *)a;
	const struct test *y = *(const struct test *const *)b;

	return (x->elapsed_usec < y->elapsed_usec) -
		(x->elapsed_usec > y->elapsed_usec);
}


static bool failed(const struct test *t)
{
	return t->result == RESULT_FAIL || t->result == RESULT_ERROR;
}


static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
		: "a signal";
}


static void summary_failures(FILE *f, const struct test *testv, size_t testc)
{
	size_t i, n = 0;

	fprintf(f, "## Failures\n\n");
	for (i = 0; i < testc; i++) {
		const struct test *t = &testv[i];

		if (!failed(t))
			continue;
		++n;
		fprintf(f, "- %u. ", t->num);
		md(f, t->st->name ? t->st->name : t->st->file);
		if (report_unfinished(t)) {
			fputs(" (interrupted: no verdict)\n", f);
			continue;
		}
		fputs(t->result == RESULT_ERROR ? " (error)" : "", f);
		rule_ids(f, t->first_failure);
		if (t->first_failure) {
			fputs(": ", f);
			md(f, t->first_failure);
		}
		if (t->wire_log)
			fprintf(f, " (wire: `wire/%03u.log`)", t->num);
		fputc('\n', f);
	}
	if (!n)
		fprintf(f, "None.\n");
}


static void summary(FILE *f, const struct run_conf *conf,
		    const struct test *testv, size_t testc,
		    const struct run_stats *stats)
{
	const struct test **byt;
	size_t i;

	fprintf(f, "# siptap run\n\n");
	fprintf(f, "| tests | passed | failed | skipped | todo |\n"
		"|---|---|---|---|---|\n| %u | %u | %u | %u | %u |\n\n",
		stats->tests, stats->passed, stats->failed, stats->skipped,
		stats->todo);
	if (stats->interrupted)
		fprintf(f, "**Interrupted** by %s: %u tests had no verdict; "
			"they count as failed here and are `<error "
			"type=\"interrupted\">` in junit.xml.\n\n",
			signal_name(stats->signal), stats->unfinished);
	fprintf(f, "Seed %llu, T1 %u ms, matrix %s. Replay, from the folder "
		"the run started in:\n\n    %s\n\n",
		(unsigned long long)conf->seed, conf->t1, conf->matrix,
		conf->replay ? conf->replay : "siptap run");

	summary_failures(f, testv, testc);

	byt = malloc(testc * sizeof(*byt) + 1);
	if (!byt)
		return;
	for (i = 0; i < testc; i++)
		byt[i] = &testv[i];
	qsort(byt, testc, sizeof(*byt), slower);

	fprintf(f, "\n## Slowest tests\n\n| seconds | test |\n|---|---|\n");
	for (i = 0; i < testc && i < 5; i++) {
		fprintf(f, "| %.3f | ", seconds(byt[i]));
		md(f, byt[i]->st->name ? byt[i]->st->name : byt[i]->st->file);
		fputs(" |\n", f);
	}
	free(byt);
}


static int wire_logs(const struct run_conf *conf, const struct test *testv,
		     size_t testc)
{
	char path[4096];
	size_t i;
	int err = 0;

	for (i = 0; i < testc; i++) {
		const struct test *t = &testv[i];
		FILE *f;

		if (!t->wire_log)
			continue;
		(void)re_snprintf(path, sizeof(path), "%s/wire/%03u.log",
				  conf->report_dir, t->num);
		f = fopen(path, "w");
		if (!f) {
			err = errno;
			continue;
		}
		fprintf(f, "# %u. ", t->num);
		md(f, t->st->name ? t->st->name : t->st->file);
		fputc('\n', f);
		/* escaped when it was made (runner.c) */
		(void)fwrite(t->wire_log->buf, 1, t->wire_log->end, f);
		if (fclose(f))
			err = errno;
	}

	return err;
}


/* reports/siptap-YYYYmmdd-HHMMSS.tap, and -2, -3 ... if taken */
static int write_tap(const struct run_conf *conf, const struct mbuf *tap,
		     char *path, size_t sz)
{
	char stamp[32];
	time_t now = time(NULL);
	struct stat st;
	FILE *f;
	int n, err = 0;

	(void)strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S",
		       localtime(&now));
	(void)re_snprintf(path, sz, "%s/siptap-%s.tap",
			  conf->report_dir, stamp);
	for (n = 2; !stat(path, &st) && n < 100; n++)
		(void)re_snprintf(path, sz, "%s/siptap-%s-%d.tap",
				  conf->report_dir, stamp, n);

	f = fopen(path, "w");
	if (!f) {
		re_fprintf(stderr, "siptap: %s: %m\n", path, errno);
		return errno;
	}
	(void)fwrite(tap->buf, 1, tap->end, f);
	if (fclose(f))
		err = errno;

	return err;
}


/* --- last-run.tsv: what --rerun-failed and --rule read next time ---- */

static void tsv_field(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}


static bool tsv_same(const char *tsv, const char *s)
{
	for (; *tsv && *s; tsv++, s++) {
		char c = *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s;

		if (*tsv != c)
			return false;
	}

	return !*tsv && !*s;
}


static const char *verdict(const struct test *t)
{
	if (report_unfinished(t))
		return "interrupted";

	switch (t->result) {

	case RESULT_FAIL:  return "fail";
	case RESULT_ERROR: return "error";
	case RESULT_SKIP:  return "skip";
	case RESULT_TODO:  return "todo";
	default:           return "pass";
	}
}


/* The rule ids a test checked: its points that start with one ("    ok
 * 3 - R-RSEQ-1 ..."), general rules included, and those its name names
 * ("... [R-HDR-1 S-ANS-1]") */
static void checked_ids(FILE *f, const struct test *t)
{
	const char *name = t->st->name;
	const char *p = t->out ? (const char *)t->out->buf : NULL;
	const char *end = p ? p + t->out->end : NULL;
	const char *open = name ? strrchr(name, '[') : NULL;
	struct pl id;

	for (; p && p < end; ) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *dash = memchr(p, '-', eol ? (size_t)(eol - p) : 0);

		if (eol && dash && !strncmp(p, "    ", 4) &&
		    (p[4] == 'o' || p[4] == 'n') && dash + 2 < eol &&
		    findings_rule_prefix(dash + 2, &id))
			re_fprintf(f, " %r", &id);
		p = eol ? eol + 1 : end;
	}
	for (p = open; p && *p && *p != ']'; p++)
		fputc(*p == '[' ? ' ' : *p, f);
}


/* This run's tests, then the earlier run's tests this one did not run:
 * a --rule or --rerun-failed run does not forget the rest. */
static int last_run_write(const struct run_conf *conf,
			  const struct test *testv, size_t testc)
{
	char path[4096];
	struct le *le;
	size_t i;
	FILE *f = open_report(conf, "last-run.tsv", path, sizeof(path));

	if (!f)
		return errno;
	fputs("# siptap: verdict, file, name, rule ids checked\n", f);
	for (i = 0; i < testc; i++) {
		const struct test *t = &testv[i];

		fprintf(f, "%s\t", verdict(t));
		tsv_field(f, t->st->file);
		fputc('\t', f);
		tsv_field(f, t->st->name ? t->st->name : "");
		fputc('\t', f);
		checked_ids(f, t);
		fputc('\n', f);
	}
	for (le = conf->last_run ? conf->last_run->head : NULL; le;
	     le = le->next) {
		const struct report_entry *e = le->data;

		for (i = 0; i < testc; i++) {
			if (!strcmp(e->file, testv[i].st->file) &&
			    tsv_same(e->name, testv[i].st->name ?
				     testv[i].st->name : ""))
				break;
		}
		if (i == testc)
			fprintf(f, "%s\t%s\t%s\t%s\n", e->verdict, e->file,
				e->name, e->ids);
	}

	return fclose(f) ? errno : 0;
}


static void entry_destructor(void *arg)
{
	struct report_entry *e = arg;

	list_unlink(&e->le);
	mem_deref(e->verdict);
	mem_deref(e->file);
	mem_deref(e->name);
	mem_deref(e->ids);
}


static int entry_parse(struct list *l, char *line)
{
	char *f[4];
	struct report_entry *e;
	int i, err;

	line[strcspn(line, "\r\n")] = '\0';
	if (*line == '#' || !*line)
		return 0;
	for (i = 0; i < 4; i++) {
		f[i] = line;
		line += strcspn(line, "\t");
		if (*line)
			*line++ = '\0';
	}
	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return ENOMEM;
	list_append(l, &e->le, e);
	err  = str_dup(&e->verdict, f[0]);
	err |= str_dup(&e->file, f[1]);
	err |= str_dup(&e->name, f[2]);
	err |= str_dup(&e->ids, f[3]);

	return err;
}


/* ENOENT when there was no earlier run in that folder */
int report_last_run_load(const char *report_dir, struct list *l)
{
	char path[4096], line[8192];
	FILE *f;
	int err = 0;

	(void)re_snprintf(path, sizeof(path), "%s/last-run.tsv", report_dir);
	f = fopen(path, "r");
	if (!f)
		return errno;
	while (!err && fgets(line, sizeof(line), f))
		err = entry_parse(l, line);
	(void)fclose(f);

	return err;
}


const struct report_entry *report_last_run_find(const struct list *l,
						const char *file,
						const char *name)
{
	struct le *le;

	for (le = l ? l->head : NULL; le; le = le->next) {
		const struct report_entry *e = le->data;

		if (!strcmp(e->file, file) && tsv_same(e->name, name))
			return e;
	}

	return NULL;
}


/* id as a whole word of the space-separated ids */
bool report_ids_has(const char *ids, const char *id)
{
	const size_t n = strlen(id);
	const char *p;

	for (p = ids; p && (p = strstr(p, id)); p += n) {
		if ((p == ids || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	}

	return false;
}


int report_write(const struct run_conf *conf, const struct mbuf *tap,
		 const struct test *testv, size_t testc,
		 struct run_stats *stats)
{
	char path[4096];
	FILE *f;
	int err;

	err = write_tap(conf, tap, stats->tap_path, sizeof(stats->tap_path));

	f = open_report(conf, "junit.xml", path, sizeof(path));
	if (f) {
		err |= report_junit(f, testv, testc);
		if (fclose(f))
			err = errno;
	}
	else {
		err = errno;
	}

	f = open_report(conf, "summary.md", path, sizeof(path));
	if (f) {
		summary(f, conf, testv, testc, stats);
		if (fclose(f))
			err = errno;
	}
	else {
		err = errno;
	}

	f = open_report(conf, "findings.md", path, sizeof(path));
	if (f) {
		err |= findings_write(f, conf, testv, testc);
		if (fclose(f))
			err = errno;
	}
	else {
		err = errno;
	}

	err |= last_run_write(conf, testv, testc);

	return err | wire_logs(conf, testv, testc);
}


/* --- the end of a run on stderr ---------------------------------------- */

enum { END_LIST_MAX = 20 };

/* "  3. name\n     R-RSEQ-1 the first ... (rule R-RSEQ-1)": what a
 * person reading a CI log needs first, before any report */
static void end_failure(const struct test *t)
{
	const char *name = t->st->name ? t->st->name : t->st->file;
	char line[512];
	struct pl id;

	re_fprintf(stderr, "  %u. %s\n", t->num,
		   text_snprint(line, sizeof(line), &text_esc_line,
				name, strlen(name)));
	if (t->st->load_error) {
		re_fprintf(stderr, "     the scenario file does not load\n");
		return;
	}
	if (!t->first_failure)
		return;
	re_fprintf(stderr, "     first failing point: %s",
		   text_snprint(line, sizeof(line), &text_esc_line,
				t->first_failure, strlen(t->first_failure)));
	if (findings_rule_prefix(t->first_failure, &id))
		re_fprintf(stderr, " (rule %r: siptap rules %r)", &id, &id);
	re_fprintf(stderr, "\n");
}


void report_end(const struct run_conf *conf, const struct test *testv,
		size_t testc, const struct run_stats *stats)
{
	size_t i, n = 0;

	if (stats->failed > stats->unfinished)
		re_fprintf(stderr, "siptap: failed:\n");
	for (i = 0; i < testc; i++) {
		if (!failed(&testv[i]) || report_unfinished(&testv[i]))
			continue;
		if (++n <= END_LIST_MAX)
			end_failure(&testv[i]);
	}
	if (n > END_LIST_MAX)
		re_fprintf(stderr, "  ... and %zu more (summary.md)\n",
			   n - END_LIST_MAX);

	if (stats->interrupted)
		re_fprintf(stderr, "siptap: interrupted by %s: %u tests had no "
			   "verdict (failed, <error type=\"interrupted\"> in "
			   "junit.xml)\n", signal_name(stats->signal),
			   stats->unfinished);
	re_fprintf(stderr, "siptap: reports: %s %s/junit.xml %s/summary.md "
		   "%s/findings.md%s%s%s\n", stats->tap_path, conf->report_dir,
		   conf->report_dir, conf->report_dir,
		   n ? " " : "", n ? conf->report_dir : "",
		   n ? "/wire/" : "");
	if (conf->replay)
		re_fprintf(stderr, "siptap: replay: %s\n", conf->replay);
}


/* --- the terminal ------------------------------------------------------ */

/* Escape sequences (colour, the progress line's erase) only on a
 * terminal that understands them: not for TERM=dumb (Emacs shells,
 * some CI log viewers) nor when NO_COLOR (no-color.org) is set. */
bool report_escapes(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (!isatty(fileno(f)) || (nc && *nc))
		return false;

	return !term || strcmp(term, "dumb");
}


bool report_color(FILE *f)
{
	return report_escapes(f);
}


/* stdout and stderr are the same terminal: what goes to stdout must
 * first erase the progress line, or the two run into one line. */
bool report_shared_tty(void)
{
	struct stat a, b;

	if (!isatty(STDOUT_FILENO) || !isatty(STDERR_FILENO) ||
	    fstat(STDOUT_FILENO, &a) || fstat(STDERR_FILENO, &b))
		return false;

	return a.st_rdev == b.st_rdev;
}


/* A line on stderr that redraws itself, only on a terminal. */
void report_progress(const struct run_stats *stats, size_t done,
		     size_t total)
{
	fprintf(stderr, "\r\033[K[%zu/%zu] %u passed, %u failed", done, total,
		stats->passed, stats->failed);
	(void)fflush(stderr);
}


void report_progress_end(void)
{
	fputs("\r\033[K", stderr);
	(void)fflush(stderr);
}
