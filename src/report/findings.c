/**
 * @file findings.c  findings.md: every rule the wire showed broken
 *
 * summary.md says which tests failed; findings.md is for the question
 * a run against another implementation asks: which rules does it
 * break, with which options, and what exactly did it send. TODO points
 * count: a known deviation is still a finding. One table row per rule
 * id, then each test that broke it with the message it is about.
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


/* "R-RSEQ-1" at the start of a rule checker's point, e.g. "R-RSEQ-1
 * The first RSeq ... (3 checked)" */
static bool rule_prefix(const char *s, struct pl *id)
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
	    (s[n] && s[n] != ' '))
		return false;

	id->p = s;
	id->l = n;

	return true;
}


/* The rule ids a finding counts under: the one its rule checker named,
 * else the ids in the test's name ("... [P-BODY-1 S-ANS-2]"). */
static void finding_rule(const struct test *t, const struct finding *f,
			 struct pl *rule)
{
	const char *name = t->st->name ? t->st->name : "";
	const char *open = strrchr(name, '['), *close;

	if (f->rule) {
		pl_set_str(rule, f->rule);
		return;
	}
	if (rule_prefix(f->point, rule))
		return;

	close = open ? strchr(open, ']') : NULL;
	if (open && close && close > open + 1) {
		rule->p = open + 1;
		rule->l = (size_t)(close - open - 1);
		return;
	}
	pl_set_str(rule, "(no rule id)");
}


/* A scenario's or a peer's text on one Markdown line, at most max
 * bytes (cut at a character's start) and "..." */
static void cell(FILE *f, const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0, n = len;

	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			--n;
	}
	(void)text_file(f, &text_esc_md, s, n);
	if (n < len)
		fputs("...", f);
}


/* The message, line by line, as a code block; bytes that are no text
 * (a hostile peer's) as \xNN. */
static void excerpt(FILE *f, const char *raw)
{
	unsigned lines = 0;
	const char *p = raw;

	fputs("\n  ~~~\n", f);
	while (*p && lines < EXCERPT_LINES) {
		size_t n = strcspn(p, "\r\n");

		fputs("  ", f);
		(void)text_file(f, &text_esc_log, p, n);
		fputc('\n', f);
		++lines;
		p += n;
		if (*p == '\r')
			++p;
		if (*p == '\n')
			++p;
	}
	if (*p)
		fputs("  ...\n", f);
	fputs("  ~~~\n", f);
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


static void rows_make(struct list *rows, const struct test *testv,
		      size_t testc)
{
	size_t i;

	for (i = 0; i < testc; i++) {
		const struct test *t = &testv[i];
		struct le *le;

		for (le = t->findings.head; le; le = le->next) {
			const struct finding *fd = le->data;
			struct rule_row *r;
			struct pl id;

			finding_rule(t, fd, &id);
			r = row_get(rows, &id);
			if (!r)
				continue;
			if (!r->first) {
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
		cell(f, r->first->what ? r->first->what : r->first->point,
		     CELL_MAX);
		fputs(" |\n", f);
	}
}


static void details(FILE *f, const struct rule_row *r,
		    const struct test *testv, size_t testc)
{
	size_t i;

	fputs("\n## ", f);
	(void)text_file(f, &text_esc_md, r->id.p, r->id.l);
	fputc('\n', f);
	for (i = 0; i < testc; i++) {
		const struct test *t = &testv[i];
		bool named = false;
		struct le *le;

		for (le = t->findings.head; le; le = le->next) {
			const struct finding *fd = le->data;
			struct pl id;

			finding_rule(t, fd, &id);
			if (pl_cmp(&id, &r->id))
				continue;
			if (!named) {
				fprintf(f, "\n### %u. ", t->num);
				cell(f, test_name(t), SIZE_MAX);
				if (t->st->todo) {
					fputs(" (TODO: ", f);
					cell(f, t->st->todo, SIZE_MAX);
					fputc(')', f);
				}
				fputs("\n\n", f);
				named = true;
			}
			fputs("- not ok: ", f);
			cell(f, fd->point, SIZE_MAX);
			if (fd->what) {
				fputs(": ", f);
				cell(f, fd->what, SIZE_MAX);
			}
			fputc('\n', f);
			if (fd->raw)
				excerpt(f, fd->raw);
		}
	}
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
		"%llu, T1 %u ms, %zu tests.\n\n",
		(unsigned long long)conf->seed, conf->t1, testc);

	rows_make(&rows, testv, testc);
	if (!rows.head) {
		fputs("No rule broken.\n", f);
		return 0;
	}

	table(f, &rows);
	for (le = rows.head; le; le = le->next)
		details(f, le->data, testv, testc);
	list_flush(&rows);

	return 0;
}
