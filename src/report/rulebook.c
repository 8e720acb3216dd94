/**
 * @file rulebook.c  The rule book, from the code: `siptap rules`
 *
 * The book's table rows ("| P-TAG-1 | rule | 3261 8.2.6.2 |", from
 * docs/conformance.md and conformance-next.md, embedded at build time)
 * give the text and the RFC sections; the checkers give each id's title
 * and when it runs; fault.c the faults that break it. docs/rules.md is
 * this printed with --markdown (tests/docs/samples.sh keeps it so).
 */
#include <string.h>
#include <re.h>
#include "fault.h"
#include "rulebook.h"

extern const char rulebook_text[];


static void trim(struct pl *pl)
{
	while (pl->l && pl->p[0] == ' ')
		++pl->p, --pl->l;
	while (pl->l && pl->p[pl->l - 1] == ' ')
		--pl->l;
}


/* The next cell of a table row from *p (at a '|'), up to the next '|' */
static bool cell(const char **p, const char *eol, struct pl *c)
{
	const char *bar;

	if (*p >= eol || **p != '|')
		return false;
	bar = memchr(*p + 1, '|', (size_t)(eol - *p - 1));
	if (!bar)
		return false;
	c->p = *p + 1;
	c->l = (size_t)(bar - *p - 1);
	trim(c);
	*p = bar;

	return true;
}


/* "| ID | text | source |" at p: the three cells, if ID is a rule id */
static bool row(const char *p, const char *eol, struct pl *id,
		struct pl *text, struct pl *src)
{
	size_t i, dashes = 0;

	if (!cell(&p, eol, id) || !cell(&p, eol, text) || !cell(&p, eol, src)
	    || !id->l || id->p[0] < 'A' || id->p[0] > 'Z')
		return false;
	for (i = 0; i < id->l; i++) {
		char c = id->p[i];

		if (c == '-')
			++dashes;
		else if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
			return false;
	}

	return dashes == 2;
}


/* The checkers' line of id: "ID\tSCOPE\tTITLE" */
static bool checker(const char *checkers, const struct pl *id,
		    struct pl *scope, struct pl *title)
{
	const char *p = checkers;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		const char *t1 = memchr(p, '\t', (size_t)(end - p));
		const char *t2 = t1 ? memchr(t1 + 1, '\t',
					     (size_t)(end - t1 - 1)) : NULL;

		if (t2 && (size_t)(t1 - p) == id->l &&
		    !memcmp(p, id->p, id->l)) {
			scope->p = t1 + 1;
			scope->l = (size_t)(t2 - t1 - 1);
			title->p = t2 + 1;
			title->l = (size_t)(end - t2 - 1);
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}

	return false;
}


static const char *when(const struct pl *scope)
{
	if (!pl_strcmp(scope, "general"))
		return "after every test that made a call (a general rule)";
	if (!pl_strcmp(scope, "proxy"))
		return "after every test run through --proxy";

	return "where a scenario asks for it (rules.check), e.g. with the "
		"options it gave progress()";
}


/* id as a whole word of a space-separated list */
static bool has_word(const char *list, const struct pl *id)
{
	const char *p;

	for (p = list; p && *p; ) {
		size_t n = strcspn(p, " ");

		if (n == id->l && !memcmp(p, id->p, n))
			return true;
		p += n;
		p += strspn(p, " ");
	}

	return false;
}


static int faults_of(struct re_printf *pf, const struct pl *id)
{
	int f, n = 0, err = 0;

	for (f = 0; f < FAULT_COUNT && !err; f++) {
		const struct fault_info *fi = fault_info((enum fault)f);

		if (has_word(fi->rules, id))
			err = re_hprintf(pf, "%s%s", n++ ? ", " : "", fi->name);
	}
	if (!n && !err)
		err = re_hprintf(pf, "none yet");

	return err;
}


static int one(struct re_printf *pf, const char *checkers, bool md,
	       const struct pl *id, const struct pl *text,
	       const struct pl *src)
{
	struct pl scope = PL_INIT, title = PL_INIT;
	bool has = checker(checkers, id, &scope, &title);
	int err;

	if (md)
		err = re_hprintf(pf, "## %r\n\n%r\n\n- RFC: %r\n- checked: %s\n"
				 "- broken by `--uas-fault`: ", id,
				 has ? &title : text, src,
				 has ? when(&scope) : "by no checker yet");
	else
		err = re_hprintf(pf, "%r  %r\n  RFC:       %r\n  checked:   "
				 "%s\n  broken by: ", id, has ? &title : text,
				 src, has ? when(&scope) : "by no checker yet");
	err |= faults_of(pf, id);
	err |= re_hprintf(pf, md ? "\n- the rule: %r\n\n" :
			  "\n  the rule:  %r\n\n", text);

	return err;
}


/* The book's row of id, or false */
static bool book_row(const struct pl *want, struct pl *text, struct pl *src)
{
	const char *p = rulebook_text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		struct pl id;

		if (!eol)
			eol = p + strlen(p);
		if (row(p, eol, &id, text, src) && !pl_cmp(&id, want))
			return true;
		p = *eol ? eol + 1 : eol;
	}

	return false;
}


bool rulebook_has(const char *checkers, const char *id)
{
	struct pl want, text, src, scope, title;

	pl_set_str(&want, id);

	return book_row(&want, &text, &src) ||
		checker(checkers, &want, &scope, &title);
}


/* Checkers whose id has no row in the book (the proxy rules): listed
 * after it, with the checker's title */
static int checkers_only(struct re_printf *pf, const char *checkers,
			 bool md, const char *only)
{
	static const char no_row[] = "no row in the rule book yet; see the "
		"checker in lua/siptap/checkers/";
	const char *p = checkers;
	int err = 0;

	while (p && *p && !err) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		struct pl id = {p, strcspn(p, "\t")}, text, src, scope, title;

		if (id.l < (size_t)(end - p) && !book_row(&id, &text, &src) &&
		    checker(checkers, &id, &scope, &title) &&
		    (!only || !pl_strcmp(&id, only))) {
			pl_set_str(&src, no_row);
			err = one(pf, checkers, md, &id, &title, &src);
		}
		p = eol ? eol + 1 : NULL;
	}

	return err;
}


int rulebook_print(struct re_printf *pf, const char *checkers,
		   bool markdown, const char *only)
{
	const char *p = rulebook_text;
	int err = 0;

	if (markdown)
		err = re_hprintf(pf, "# The rule book\n\nGenerated by `siptap "
				 "rules --markdown` (tests/docs/samples.sh "
				 "checks it is current): every rule id the TAP "
				 "lines, summary.md and findings.md cite. The "
				 "title is the checker's, the rule the text of "
				 "[conformance.md](conformance.md) and "
				 "[conformance-next.md](conformance-next.md); "
				 "how the checks run: [checks.md](checks.md)."
				 "\n\n");

	while (*p && !err) {
		const char *eol = strchr(p, '\n');
		struct pl id, text, src;

		if (!eol)
			eol = p + strlen(p);
		if (row(p, eol, &id, &text, &src) &&
		    (!only || !pl_strcmp(&id, only)))
			err = one(pf, checkers, markdown, &id, &text, &src);
		p = *eol ? eol + 1 : eol;
	}

	return err ? err : checkers_only(pf, checkers, markdown, only);
}


int rulebook_print_h(struct re_printf *pf, void *arg)
{
	const struct rulebook_args *a = arg;

	return rulebook_print(pf, a->checkers, a->markdown, a->only);
}
