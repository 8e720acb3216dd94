/**
 * @file findings.c  findings.md: every rule the wire showed broken
 *
 * summary.md says which tests failed; findings.md is for the question
 * a run against another implementation asks: which rules does it
 * break, with which options, and what exactly did it send. TODO points
 * count: a known deviation is still a finding. One table row per rule
 * id, then each test that broke it, once, with what was expected, what
 * was observed and the message it is about. Against another UAS
 * (--agent, --target), points about siptap's own API (an error that
 * should have been raised) are no RFC finding: listed apart.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <ctype.h>
#include <re.h>
#include "runner.h"
#include "findings.h"
#include "text.h"


enum { EXCERPT_LINES = 24, CELL_MAX = 160 };

#define CONSEQUENCE "a consequence of "
#define NO_RULE "[no rule"


/* "R-RSEQ-1" at the start of a rule checker's point, e.g. "R-RSEQ-1
 * The first RSeq ... (3 checked)", or of a scenario's "R-HDR-1: ..." */
bool findings_rule_prefix(const char *s, struct pl *id)
{
	size_t n = 0, dashes = 0;

	if (!s || !isupper((unsigned char)s[0]))
		return false;
	while (isupper((unsigned char)s[n]) || isdigit((unsigned char)s[n])
	       || s[n] == '-') {
		dashes += s[n] == '-';
		++n;
	}
	if (dashes != 2 || !isdigit((unsigned char)s[n - 1]) ||
	    (s[n] && !strchr(" ):,;", s[n])))
		return false;

	id->p = s;
	id->l = n;

	return true;
}


/* The ids in the last "[...]" of s ("... [P-BODY-1 S-ANS-2]"). */
static bool bracket_ids(const char *s, struct pl *ids)
{
	const char *open = s ? strrchr(s, '[') : NULL;
	const char *close = open ? strchr(open, ']') : NULL;

	if (!close || close == open + 1)
		return false;
	ids->p = open + 1;
	ids->l = (size_t)(close - open - 1);

	return true;
}


/* The rule ids a finding counts under: the one its rule checker named;
 * none for a known deviation whose todo line says so; the rule it is a
 * consequence of; an id the point starts with; the ids of the todo
 * line (the known deviation is about them), else of the test's name. */
static void finding_rule(const struct test *t, const struct finding *f,
			 struct pl *rule)
{
	const char *cons;

	if (f->rule) {
		pl_set_str(rule, f->rule);
		return;
	}
	/* a known deviation its todo line says breaks no rule (a test
	 * that reads SIP.js's automatic 180 for its own): its scenario
	 * points are filed under no rule, not under the test's ids */
	if (t->st->todo && strstr(t->st->todo, NO_RULE)) {
		pl_set_str(rule, "(no rule)");
		return;
	}
	/* "no PRACK possible: the 180 has no Contact (a consequence of
	 * P-DLG-1)": under the rule it is a consequence of */
	if (f->what && (cons = strstr(f->what, CONSEQUENCE)) &&
	    findings_rule_prefix(cons + strlen(CONSEQUENCE), rule))
		return;
	if (findings_rule_prefix(f->point, rule))
		return;
	if (bracket_ids(t->st->todo, rule) || bracket_ids(t->st->name, rule))
		return;

	pl_set_str(rule, "(no rule id)");
}


/* A scenario's or a peer's text on one Markdown line, at most max
 * bytes (cut at a character's start) and "..." */
static void cell_n(FILE *f, const char *s, size_t len, size_t max)
{
	size_t n = len;

	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			--n;
	}
	(void)text_file(f, &text_esc_md, s, n);
	if (n < len)
		fputs("...", f);
}


static void cell(FILE *f, const char *s, size_t max)
{
	cell_n(f, s, s ? strlen(s) : 0, max);
}


/* The message, line by line, as a code block; bytes that are no text
 * (a hostile peer's, a NUL) as \xNN. Its length, not a NUL, ends it. */
static void excerpt(FILE *f, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;
	unsigned lines = 0;

	fputs("\n  ~~~\n", f);
	while (p < end && lines < EXCERPT_LINES) {
		const char *eol = p;

		while (eol < end && *eol != '\r' && *eol != '\n')
			++eol;
		fputs("  ", f);
		(void)text_file(f, &text_esc_log, p, (size_t)(eol - p));
		fputc('\n', f);
		++lines;
		p = eol;
		if (p < end && *p == '\r')
			++p;
		if (p < end && *p == '\n')
			++p;
	}
	if (p < end)
		fputs("  ...\n", f);
	fputs("  ~~~\n", f);
}


/* Listed apart: about siptap's API, in a run against another UAS. */
static bool apart(const struct run_conf *conf, const struct finding *fd)
{
	return fd->contract && (sa_isset(&conf->agent, SA_ADDR) ||
				sa_isset(&conf->target, SA_ADDR));
}


/* What the wire showed, for the table: the observed value when the
 * point has one, else its message. */
static void observed_cell(FILE *f, const struct finding *fd)
{
	if (fd->found)
		cell_n(f, fd->found, fd->found_len, CELL_MAX);
	else if (fd->what)
		cell_n(f, fd->what, fd->what_len, CELL_MAX);
	else
		cell(f, fd->point, CELL_MAX);
}


static bool str_same(const char *a, size_t al, const char *b, size_t bl)
{
	if (!a || !b)
		return a == b;

	return al == bl && !memcmp(a, b, al);
}


/* The same point again in one test (a rule checked by the scenario and
 * again after it): one entry. */
static bool finding_same(const struct finding *a, const struct finding *b)
{
	return !strcmp(a->point, b->point) &&
		str_same(a->what, a->what_len, b->what, b->what_len) &&
		str_same(a->found, a->found_len, b->found, b->found_len) &&
		str_same(a->raw, a->raw_len, b->raw, b->raw_len);
}


/* Each distinct rule, in order of first appearance. */
struct rule_row {
	struct le le;
	struct pl id;
	unsigned tests;
	const struct test *first_test;
	const struct finding *first;
	const struct test *last_counted;
};


static struct rule_row *row_get(struct list *rows, const struct pl *id)
{
	struct rule_row *r;
	struct le *le;

	for (le = rows->head; le; le = le->next) {
		r = le->data;
		if (!pl_cmp(&r->id, id))
			return r;
	}

	r = mem_zalloc(sizeof(*r), NULL);
	if (r) {
		r->id = *id;
		list_append(rows, &r->le, r);
	}

	return r;
}


static void rows_make(struct list *rows, const struct run_conf *conf,
		      const struct test *testv, size_t testc)
{
	size_t i;

	for (i = 0; i < testc; i++) {
		const struct test *t = &testv[i];
		struct le *le;

		for (le = t->findings.head; le; le = le->next) {
			const struct finding *fd = le->data;
			struct rule_row *r;
			struct pl id;

			if (apart(conf, fd))
				continue;
			finding_rule(t, fd, &id);
			r = row_get(rows, &id);
			if (!r)
				continue;
			/* the row shows a checker's finding when there is
			 * one: its observed value is the wire's */
			if (!r->first || (!r->first->rule && fd->rule)) {
				r->first = fd;
				r->first_test = t;
			}
			if (r->last_counted != t) {
				++r->tests;
				r->last_counted = t;
			}
		}
	}
}


static const char *test_name(const struct test *t)
{
	return t->st->name ? t->st->name : t->st->file;
}


static void table(FILE *f, const struct list *rows)
{
	struct le *le;

	fprintf(f, "| rule | tests | first seen in | what the wire showed |\n"
		"|---|---|---|---|\n");
	for (le = rows->head; le; le = le->next) {
		const struct rule_row *r = le->data;

		fputs("| ", f);
		(void)text_file(f, &text_esc_md, r->id.p, r->id.l);
		fprintf(f, " | %u | %u. ", r->tests, r->first_test->num);
		cell(f, test_name(r->first_test), CELL_MAX);
		fputs(" | ", f);
		observed_cell(f, r->first);
		fputs(" |\n", f);
	}
}


static void test_heading(FILE *f, const struct test *t)
{
	fprintf(f, "\n### %u. ", t->num);
	cell(f, test_name(t), SIZE_MAX);
	if (t->st->todo) {
		fputs(" (TODO: ", f);
		cell(f, t->st->todo, SIZE_MAX);
		fputc(')', f);
	}
	fputs("\n\n", f);
}


/* One failed point: what was expected, what was observed (never the
 * expectation again), why, and the message on the wire. */
static void entry(FILE *f, const struct finding *fd, unsigned times,
		  bool raw_shown)
{
	fputs("- not ok: ", f);
	cell(f, fd->point, SIZE_MAX);
	if (times > 1)
		fprintf(f, " (%u times)", times);
	fputc('\n', f);
	if (fd->wanted) {
		fputs("  - expected: ", f);
		cell(f, fd->wanted, SIZE_MAX);
		fputc('\n', f);
	}
	if (fd->found) {
		fputs("  - observed: ", f);
		cell_n(f, fd->found, fd->found_len, SIZE_MAX);
		fputc('\n', f);
	}
	if (fd->what) {
		fputs(fd->found ? "  - why: " : "  - observed: ", f);
		cell_n(f, fd->what, fd->what_len, SIZE_MAX);
		fputc('\n', f);
	}
	if (fd->raw && raw_shown)
		fputs("  - on the wire: the message above\n", f);
	else if (fd->raw)
		excerpt(f, fd->raw, fd->raw_len);
}


/* Does fd belong to this section: rule id (or, apart, none)? */
static bool in_section(const struct run_conf *conf, const struct test *t,
		       const struct finding *fd, const struct pl *id)
{
	struct pl fid;

	if (!id)
		return apart(conf, fd);
	if (apart(conf, fd))
		return false;
	finding_rule(t, fd, &fid);

	return !pl_cmp(&fid, id);
}


/* A test's points of one section, each distinct one once. */
static void test_entries(FILE *f, const struct run_conf *conf,
			 const struct test *t, const struct pl *id)
{
	bool named = false;
	struct le *le, *le2;

	for (le = t->findings.head; le; le = le->next) {
		const struct finding *fd = le->data;
		unsigned times = 1;
		bool dup = false, raw_shown = false;

		if (!in_section(conf, t, fd, id))
			continue;

		for (le2 = t->findings.head; le2 != le; le2 = le2->next) {
			const struct finding *o = le2->data;

			if (!in_section(conf, t, o, id))
				continue;
			dup |= finding_same(o, fd);
			raw_shown |= fd->raw && str_same(o->raw, o->raw_len,
							 fd->raw, fd->raw_len);
		}
		if (dup)
			continue;
		for (le2 = le->next; le2; le2 = le2->next) {
			const struct finding *o = le2->data;

			times += in_section(conf, t, o, id) &&
				finding_same(o, fd);
		}

		if (!named) {
			test_heading(f, t);
			named = true;
		}
		entry(f, fd, times, raw_shown);
	}
}


static void details(FILE *f, const struct run_conf *conf,
		    const struct rule_row *r, const struct test *testv,
		    size_t testc)
{
	size_t i;

	fputs("\n## ", f);
	(void)text_file(f, &text_esc_md, r->id.p, r->id.l);
	fputc('\n', f);
	for (i = 0; i < testc; i++)
		test_entries(f, conf, &testv[i], &r->id);
}


/* siptap's API contract, apart from the RFC: what a remote UAS's agent
 * did with a call siptap's own UAS refuses. */
static void contract(FILE *f, const struct run_conf *conf,
		     const struct test *testv, size_t testc)
{
	bool any = false;
	size_t i;

	for (i = 0; i < testc && !any; i++) {
		struct le *le;

		for (le = testv[i].findings.head; le; le = le->next)
			any |= apart(conf, le->data);
	}
	if (!any)
		return;

	fputs("\n# siptap's API contract, not RFC findings\n\n"
	      "Points about siptap's own Lua API that the UAS under test "
	      "(or its agent) did not keep: a call siptap's UAS refuses with "
	      "an error naming the option and the scenario line went "
	      "through. What the wire showed meanwhile is under its rule "
	      "above.\n", f);
	for (i = 0; i < testc; i++)
		test_entries(f, conf, &testv[i], NULL);
}


int findings_write(FILE *f, const struct run_conf *conf,
		   const struct test *testv, size_t testc)
{
	struct list rows = LIST_INIT;
	const char *who = NULL;
	struct le *le;
	size_t i;

	for (i = 0; i < testc && !who; i++)
		who = testv[i].remote_name;

	fputs(who ? "# Findings: " : "# Findings", f);
	cell(f, who, SIZE_MAX);
	fputs("\n\n", f);
	fprintf(f, "Every rule of conformance.md that a test point found "
		"broken on the wire, known deviations (TODO) included. Seed "
		"%llu, T1 %u ms, %zu tests. Each test once per rule: what was "
		"expected, what was observed, the message in question.\n\n",
		(unsigned long long)conf->seed, conf->t1, testc);

	rows_make(&rows, conf, testv, testc);
	if (!rows.head)
		fputs("No rule broken.\n", f);
	else
		table(f, &rows);
	for (le = rows.head; le; le = le->next)
		details(f, conf, le->data, testv, testc);
	list_flush(&rows);
	contract(f, conf, testv, testc);

	return 0;
}
