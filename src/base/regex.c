/**
 * @file regex.c  libre's re_regex(), each expression compiled once
 *
 * The language, as libre 1.1.0 reads it (src/fmt/regex.c there):
 * literal bytes compared without case, and classes "[...]" followed by
 * '*', '+' or a digit 1-9 (how many), each class capturing into the
 * next struct pl argument (NULL: not kept). In a class, '^' first
 * negates, '~' first negates and lets quoted strings and backslash
 * escapes through (a capture that is one quoted string loses its
 * quotes), 'a-z' is a range, '\\' escapes. A class takes as many bytes
 * as it can and never gives any back; an attempt that fails starts
 * again one byte further, until no byte is left, and the captures the
 * failed attempt wrote stay written. A literal met with no byte left
 * ends the search. Errors: EINVAL for a NULL argument, a class without
 * its count or with more than 64 ranges (only when an attempt gets
 * there), ENOENT for no match.
 *
 * Here an expression becomes a list of operations once (compile), kept
 * in a table by its text (msg_param_decode() prints its expression into
 * a buffer of its own, so the address alone does not tell), and each
 * search runs that list.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "regex.h"


enum op_kind { OP_LIT, OP_CLASS, OP_INVAL, OP_END };

/* The bytes a class takes; the same class in many expressions (white
 * space, "[^]") is one of these */
struct cls {
	struct cls *next;
	bool all;             /**< takes every byte ("[^]")               */
	uint8_t set[256];     /**< 1 for the input bytes it takes         */
};

struct op {
	uint8_t kind;         /**< enum op_kind                            */
	bool qesc;            /**< OP_CLASS: quotes and escapes let through */
	int16_t lit;          /**< OP_LIT: the byte, as tolower() gives it */
	uint32_t nmin, nmax;
	const struct cls *cls;
};

struct prog {
	char *expr;           /**< its text, the table's key              */
	uint32_t hash;
	size_t opc;
	struct op *opv;
};

enum {
	RANGES_MAX = 64,      /**< libre's limit of ranges in a class     */
	TABLE_SZ   = 512,     /**< open addressing; at most half full      */
};

static struct prog *table[TABLE_SZ];
static unsigned compiled;
static struct cls *classes;

/* The latest program met at each expression's address: most
 * expressions are libre's constants, met at the same address each time;
 * the text is compared all the same (a buffer's address is not its
 * text) */
enum { RECENT_SZ = 64 };

static struct {
	const char *expr;
	const struct prog *pg;
} recent[RECENT_SZ];


/* tolower() of each byte as libre applies it: to a plain char, so bytes
 * from 0x80 up are passed negative */
static int lower[256];
static bool lower_made;


static void lower_make(void)
{
	int b;

	for (b = 0; b < 256; b++)
		lower[b] = tolower((int)(signed char)b);
	lower_made = true;
}


static bool in_set(const struct cls *c, uint8_t b)
{
	return c->set[b];
}


/* The input bytes a class takes: those whose tolower(), as a byte, is
 * in one of the ranges (not in any, when negated); NULL: no memory */
static const struct cls *class_get(const uint8_t (*rng)[2], size_t n,
				   bool neg)
{
	struct cls c, *k;
	int b;

	c.all = true;
	for (b = 0; b < 256; b++) {
		const uint8_t v = (uint8_t)lower[b];
		bool hit = false;
		size_t i;

		for (i = 0; i < n && !hit; i++)
			hit = rng[i][0] <= v && v <= rng[i][1];
		c.set[b] = hit != neg;
		c.all = c.all && c.set[b];
	}

	for (k = classes; k; k = k->next) {
		if (!memcmp(k->set, c.set, sizeof(c.set)))
			return k;
	}
	k = malloc(sizeof(*k));
	if (!k)
		return NULL;
	*k = c;
	k->next = classes;
	classes = k;

	return k;
}


/* A class's count: '*', '+' or 1-9; false for anything else */
static bool count(char c, struct op *op)
{
	if (c == '*' || c == '+') {
		op->nmin = c == '+';
		op->nmax = UINT32_MAX;
		return true;
	}
	if ('1' <= c && c <= '9') {
		op->nmin = op->nmax = (uint32_t)(c - '0');
		return true;
	}

	return false;
}


/* The state of reading an expression, as libre's loop keeps it */
struct reader {
	bool esc;             /* the previous byte was a lone '\\'     */
	bool in_class, closed, neg, qesc, range;
	uint8_t rng[RANGES_MAX][2];
	size_t n;
};


/* One byte of a class before its ']' closes it: false when the class
 * has no room for it (EINVAL) */
static bool class_byte(struct reader *r, char c)
{
	if (r->esc)
		r->esc = false;
	else if (c == ']') {
		r->closed = true;
		return true;
	}
	else if ((c == '~' || c == '^') && !r->n) {
		r->neg  = true;
		r->qesc = r->qesc || c == '~';
		return true;
	}
	else if (c == '-' && r->n && !r->range) {
		r->range = true;
		--r->n;
		return true;
	}

	if (r->n >= RANGES_MAX)
		return false;
	r->rng[r->n][1] = (uint8_t)tolower(c);
	if (r->range)
		r->range = false;
	else
		r->rng[r->n][0] = (uint8_t)tolower(c);
	++r->n;

	return true;
}


/* The operations of expr into opv (room for strlen(expr) + 1); 0: no
 * memory */
static size_t compile(const char *expr, struct op *opv)
{
	struct reader r = {0};
	size_t opc = 0;
	const char *e;

	for (e = expr; *e; e++) {
		struct op *op = &opv[opc];

		if (*e == '\\' && !r.esc) {
			r.esc = true;
			continue;
		}
		if (!r.in_class) {
			if (*e == '[' && !r.esc) {
				memset(&r, 0, sizeof(r));
				r.in_class = true;
				continue;
			}
			op->kind = OP_LIT;
			op->lit  = (int16_t)tolower(*e);
			r.esc    = false;
			++opc;
			continue;
		}
		if (r.closed) {
			if (!count(*e, op))
				break;
			op->kind = OP_CLASS;
			op->qesc = r.qesc;
			op->cls  = class_get((const uint8_t (*)[2])r.rng, r.n,
					     r.neg);
			if (!op->cls)
				return 0;
			r.in_class = false;
			r.esc = false;
			++opc;
			continue;
		}
		if (!class_byte(&r, *e))
			break;
	}

	/* stopped inside a class (no count, no room, or the end): an
	 * attempt that gets here is an error */
	opv[opc++].kind = r.in_class ? OP_INVAL : OP_END;

	return opc;
}


static uint32_t text_hash(const char *s, size_t *lenp)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = s; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	*lenp = (size_t)(p - s);

	return h;
}


static void table_clear(void)
{
	size_t i;

	for (i = 0; i < TABLE_SZ; i++) {
		if (!table[i])
			continue;
		free(table[i]->opv);
		free(table[i]->expr);
		free(table[i]);
		table[i] = NULL;
	}
	memset(recent, 0, sizeof(recent));
	compiled = 0;
	while (classes) {
		struct cls *next = classes->next;

		free(classes);
		classes = next;
	}
}


static struct prog *prog_make(const char *expr, size_t len, uint32_t h)
{
	struct prog *pg = calloc(1, sizeof(*pg));
	struct op *ops;

	if (!pg)
		return NULL;
	pg->expr = malloc(len + 1);
	pg->opv  = calloc(len + 1, sizeof(*pg->opv));
	if (!pg->expr || !pg->opv) {
		free(pg->expr);
		free(pg->opv);
		free(pg);
		return NULL;
	}
	memcpy(pg->expr, expr, len + 1);
	pg->hash = h;
	pg->opc  = compile(expr, pg->opv);
	if (!pg->opc) {
		free(pg->expr);
		free(pg->opv);
		free(pg);
		return NULL;
	}
	/* room was made for a literal a byte: most are classes */
	ops = realloc(pg->opv, pg->opc * sizeof(*ops));
	if (ops)
		pg->opv = ops;

	return pg;
}


/* expr's operations, compiled when first seen; NULL: no memory */
static const struct prog *prog_find(const char *expr)
{
	size_t len, i;
	const uint32_t h = text_hash(expr, &len);
	struct prog *pg;

	if (!lower_made)
		lower_make();

	for (i = h % TABLE_SZ; table[i]; i = (i + 1) % TABLE_SZ) {
		if (table[i]->hash == h && !strcmp(table[i]->expr, expr))
			return table[i];
	}

	/* a process meets a few dozen expressions; should it meet many
	 * more, start over rather than grow */
	if (compiled >= TABLE_SZ / 2) {
		table_clear();
		for (i = h % TABLE_SZ; table[i]; i = (i + 1) % TABLE_SZ)
			;
	}

	pg = prog_make(expr, len, h);
	if (!pg)
		return NULL;
	table[i] = pg;
	++compiled;

	return pg;
}


static const struct prog *prog_get(const char *expr)
{
	const size_t i = ((uintptr_t)expr >> 3) % RECENT_SZ;
	const struct prog *pg = recent[i].pg;

	if (pg && recent[i].expr == expr && !strcmp(pg->expr, expr))
		return pg;

	pg = prog_find(expr);
	recent[i].expr = expr;
	recent[i].pg   = pg;

	return pg;
}


unsigned regex_compiled(void)
{
	return compiled;
}


/* How many of the n bytes at p a class without quotes takes, up to max */
static size_t plain_take(const struct op *op, const char *p, size_t n)
{
	const uint8_t *u = (const uint8_t *)p;
	size_t i;

	if (op->cls->all)
		return n;
	for (i = 0; i < n && op->cls->set[u[i]]; i++)
		;

	return i;
}


/* The same with quoted strings and backslash escapes let through */
static size_t quoted_take(const struct op *op, const char *p, size_t n)
{
	bool quote = false, esc = false;
	size_t i;

	for (i = 0; i < n; i++) {
		const uint8_t c = (uint8_t)p[i];

		if (esc)
			esc = false;
		else if (c == '\\')
			esc = true;
		else if (c == '"')
			quote = !quote;
		else if (!quote && !in_set(op->cls, c))
			break;
	}

	return i;
}


/* A class at *pp with *lp bytes left: how many it takes (as libre
 * counts them, quotes it strips not counted), its capture in *cap */
static uint32_t class_take(const struct op *op, const char **pp, size_t *lp,
			   struct pl *cap)
{
	const size_t n = *lp < op->nmax ? *lp : op->nmax;
	size_t took;
	uint32_t nm;

	took = op->qesc ? quoted_take(op, *pp, n) : plain_take(op, *pp, n);
	cap->p = *pp;
	cap->l = took;
	nm = (uint32_t)took;

	if (op->qesc && took > 1 && cap->p[0] == '"' &&
	    cap->p[took - 1] == '"') {
		cap->p += 1;
		cap->l -= 2;
		nm     -= 2;
	}

	*pp += took;
	*lp -= took;

	return nm;
}


enum { ATTEMPT_NEXT = -1 };

/* One attempt at p: 0, an errno value that ends the search, or
 * ATTEMPT_NEXT */
static int attempt(const struct prog *pg, const char *p, size_t l,
		   va_list ap)
{
	size_t i;

	for (i = 0; i < pg->opc; i++) {
		const struct op *op = &pg->opv[i];
		struct pl cap, *out;
		uint32_t nm;

		switch (op->kind) {

		case OP_LIT:
			if (!l)
				return ENOENT;
			if (op->lit != lower[(uint8_t)*p])
				return ATTEMPT_NEXT;
			++p;
			--l;
			break;

		case OP_CLASS:
			out = va_arg(ap, struct pl *);
			nm = class_take(op, &p, &l, &cap);
			if (nm < op->nmin || nm > op->nmax)
				return ATTEMPT_NEXT;
			if (out)
				*out = cap;
			break;

		case OP_INVAL:
			return EINVAL;

		case OP_END:
			return 0;
		}
	}

	return 0;
}


/* Whether an attempt at byte c fails at once, on the first operation,
 * writing nothing: such starts are skipped without an attempt */
static bool hopeless(const struct op *first, uint8_t c)
{
	switch (first->kind) {

	case OP_LIT:
		return first->lit != lower[c];

	case OP_CLASS:
		return first->nmin && !in_set(first->cls, c) &&
			!(first->qesc && (c == '"' || c == '\\'));

	default:
		return false;
	}
}


/**
 * libre's re_regex(): see the top of this file and libre's re_fmt.h.
 * Each attempt reads the capture arguments from the first again.
 */
int re_regex(const char *ptr, size_t len, const char *expr, ...)
{
	const struct prog *pg;
	size_t start;

	if (!ptr || !expr)
		return EINVAL;

	pg = prog_get(expr);
	if (!pg)
		return ENOMEM;

	for (start = 0; start < len; start++) {
		va_list ap;
		int err;

		if (hopeless(&pg->opv[0], (uint8_t)ptr[start]))
			continue;
		va_start(ap, expr);
		err = attempt(pg, ptr + start, len - start, ap);
		va_end(ap);
		if (err != ATTEMPT_NEXT)
			return err;
	}

	return *expr ? ENOENT : 0;
}
