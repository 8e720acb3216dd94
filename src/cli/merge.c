/**
 * @file merge.c  What a load run counts, in files that add up
 *
 * The counts of a load run (load.h) are written and read back here, by
 * the run over its workers' parts and by `siptap merge DIR...` over the
 * shards of a run on several machines; then the reports: load.tap (one
 * point per scenario test and one per rule id), summary.md with the
 * plot, stats.csv (a row a second) and percentiles.csv.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <re.h>
#include "hist.h"
#include "tap.h"
#include "text.h"
#include "runner.h"
#include "load.h"


const char *const lrep_metric[LOAD_METRICS] = {
	"invite_18x", "prack_200", "invite_200",
};

static const char *const metric_title[LOAD_METRICS] = {
	"INVITE to first 18x", "PRACK to its 200", "INVITE to 200",
};


/* --- the counts in memory ---------------------------------------------- */

static void lrep_destructor(void *arg)
{
	struct lrep *r = arg;
	size_t i;
	unsigned m, k;

	for (i = 0; i < r->testc; i++) {
		struct lrep_test *t = &r->testv[i];

		mem_deref(t->file);
		mem_deref(t->name);
		mem_deref(t->skip);
		for (m = 0; m < LOAD_METRICS; m++)
			mem_deref(t->h[m]);
		for (k = 0; k < t->failc; k++) {
			mem_deref(t->failv[k].tap);
			mem_deref(t->failv[k].wire);
		}
	}
	for (i = 0; i < r->rulec; i++) {
		mem_deref(r->rulev[i].id);
		mem_deref(r->rulev[i].test);
		mem_deref(r->rulev[i].found);
	}
	for (i = 0; i < r->reasonc; i++)
		mem_deref(r->reasonv[i].text);
	for (i = 0; i < r->secc; i++) {
		for (m = 0; m < LOAD_METRICS; m++)
			mem_deref(r->secv[i].h[m]);
	}
	mem_deref(r->testv);
	mem_deref(r->rulev);
	mem_deref(r->reasonv);
	mem_deref(r->secv);
	mem_deref(r->mode);
}


struct lrep *lrep_alloc(void)
{
	return mem_zalloc(sizeof(struct lrep), lrep_destructor);
}


/* One more zeroed element at the end of a mem array; NULL: no memory */
static void *grow(void **vp, size_t *cp, size_t sz)
{
	/* libre's mem_realloc() does not take NULL */
	char *v = *vp ? mem_realloc(*vp, (*cp + 1) * sz) :
		mem_zalloc(sz, NULL);

	if (!v)
		return NULL;
	memset(v + *cp * sz, 0, sz);
	*vp = v;

	return v + (*cp)++ * sz;
}


struct lrep_test *lrep_test(struct lrep *r, const char *file,
			    unsigned index, const char *name)
{
	struct lrep_test *t;
	size_t i;

	for (i = 0; i < r->testc; i++) {
		t = &r->testv[i];
		if (t->index == index && !strcmp(t->file, file))
			return t;
	}

	t = grow((void **)&r->testv, &r->testc, sizeof(*t));
	if (!t)
		return NULL;
	t->index = index;
	if (str_dup(&t->file, file) || str_dup(&t->name, name ? name : file))
		return NULL;

	return t;
}


struct lrep_rule *lrep_rule(struct lrep *r, const char *id)
{
	struct lrep_rule *u;
	size_t i;

	for (i = 0; i < r->rulec; i++) {
		if (!strcmp(r->rulev[i].id, id))
			return &r->rulev[i];
	}

	u = grow((void **)&r->rulev, &r->rulec, sizeof(*u));
	if (!u || str_dup(&u->id, id))
		return NULL;

	return u;
}


void lrep_reason(struct lrep *r, const char *text, uint64_t n)
{
	struct lrep_reason *x;
	size_t i;

	for (i = 0; i < r->reasonc; i++) {
		if (!strcmp(r->reasonv[i].text, text)) {
			r->reasonv[i].n += n;
			return;
		}
	}

	x = grow((void **)&r->reasonv, &r->reasonc, sizeof(*x));
	if (x && !str_dup(&x->text, text))
		x->n = n;
}


struct lrep_sec *lrep_sec(struct lrep *r, size_t i)
{
	while (r->secc <= i) {
		if (!grow((void **)&r->secv, &r->secc, sizeof(*r->secv)))
			return NULL;
	}

	return &r->secv[i];
}


/* The histogram at *hp, made at its first use */
struct hist *lrep_hist(struct hist **hp)
{
	if (!*hp)
		*hp = mem_zalloc(sizeof(struct hist), NULL);

	return *hp;
}


int lrep_mkdirs(const char *dir)
{
	char path[4096];
	char *p;

	str_ncpy(path, dir, sizeof(path));
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return errno;

	return 0;
}


/* --- the files ----------------------------------------------------------- */

/* A field of a TSV line: tabs and line ends would cut it */
static int field(struct re_printf *pf, const char *s)
{
	int err = 0;

	if (!s || !*s)
		return re_hprintf(pf, "-");
	for (; *s && !err; s++)
		err = re_hprintf(pf, "%c", *s == '\t' || *s == '\n' ||
				 *s == '\r' ? ' ' : *s);

	return err;
}


static int file_write(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char path[4096];
	FILE *f;
	int err = 0;

	(void)re_snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return errno;
	if (len && fwrite(data, 1, len, f) != len)
		err = EIO;
	if (fclose(f) && !err)
		err = errno;

	return err;
}


static int hist_lines(FILE *f, const char *scope, const struct hist *h,
		      unsigned m)
{
	unsigned i;

	if (!h)
		return 0;
	for (i = 0; i < HIST_BUCKETS; i++) {
		if (h->n[i])
			(void)re_fprintf(f, "%s\t%s\t%u\t%llu\n", scope,
					 lrep_metric[m], i,
					 (unsigned long long)h->n[i]);
	}

	return 0;
}


static int save_hists(const struct lrep *r, const char *dir)
{
	char path[4096], scope[4200];
	size_t i;
	unsigned m;
	FILE *f;

	(void)re_snprintf(path, sizeof(path), "%s/latency.hist", dir);
	f = fopen(path, "w");
	if (!f)
		return errno;
	(void)re_fprintf(f, "# siptap latency histograms: scope, metric, "
			 "bucket (hist.h: log-linear, 32 a power of two, "
			 "microseconds), count\n");
	for (i = 0; i < r->testc; i++) {
		(void)re_snprintf(scope, sizeof(scope), "test\t%H\t%u", field,
				  r->testv[i].file, r->testv[i].index);
		for (m = 0; m < LOAD_METRICS; m++)
			(void)hist_lines(f, scope, r->testv[i].h[m], m);
	}
	for (i = 0; i < r->secc; i++) {
		(void)re_snprintf(scope, sizeof(scope), "sec\t%zu", i);
		for (m = 0; m < LOAD_METRICS; m++)
			(void)hist_lines(f, scope, r->secv[i].h[m], m);
	}

	return fclose(f) ? errno : 0;
}


static void save_test(FILE *f, const char *dir, const struct lrep_test *t,
		      size_t ti)
{
	char name[64];
	unsigned k;

	(void)re_fprintf(f, "test\t%H\t%u\t%llu\t%llu\t%llu\t%H\t%H\n",
			 field, t->file, t->index,
			 (unsigned long long)t->calls,
			 (unsigned long long)t->passed,
			 (unsigned long long)t->skipped, field, t->name,
			 field, t->skip);
	for (k = 0; k < t->failc; k++) {
		(void)re_snprintf(name, sizeof(name), "failures/%zu-%u.tap",
				  ti, k);
		(void)file_write(dir, name, t->failv[k].tap,
				 str_len(t->failv[k].tap));
		(void)re_snprintf(name, sizeof(name), "wire/%zu-%u.log", ti,
				  k);
		(void)file_write(dir, name, t->failv[k].wire,
				 str_len(t->failv[k].wire));
		(void)re_fprintf(f, "fail\t%H\t%u\t%zu-%u\n", field, t->file,
				 t->index, ti, k);
	}
}


/* The counts as files in dir (made if missing) */
int lrep_save(const struct lrep *r, const char *dir)
{
	char path[4096];
	size_t i;
	FILE *f;
	int err;

	(void)re_snprintf(path, sizeof(path), "%s/failures", dir);
	err = lrep_mkdirs(path);
	(void)re_snprintf(path, sizeof(path), "%s/wire", dir);
	if (!err)
		err = lrep_mkdirs(path);
	if (err)
		return err;

	(void)re_snprintf(path, sizeof(path), "%s/load.counts", dir);
	f = fopen(path, "w");
	if (!f)
		return errno;

	(void)re_fprintf(f, "siptap-load\t1\n");
	(void)re_fprintf(f, "meta\tplay\t%.3f\nmeta\tlag_ms\t%llu\n",
			 r->play_s, (unsigned long long)r->lag_ms);
	(void)re_fprintf(f, "meta\trate\t%.3f\nmeta\tseconds\t%.3f\n"
			 "meta\tcpu\t%.3f\nmeta\tmem_per_call\t%llu\n"
			 "meta\tpeak\t%llu\nmeta\tunfinished\t%llu\n"
			 "meta\tmissed\t%llu\nmeta\tworkers\t%u\n"
			 "meta\tparts\t%u\nmeta\tlost\t%u\n"
			 "meta\tinterrupted\t%d\n"
			 "meta\tmode\t%H\n", r->rate, r->seconds, r->cpu_s,
			 (unsigned long long)r->mem_per_call,
			 (unsigned long long)r->peak,
			 (unsigned long long)r->unfinished,
			 (unsigned long long)r->missed, r->workers,
			 r->parts, r->lost, r->interrupted, field,
			 r->mode);
	for (i = 0; i < r->testc; i++)
		save_test(f, dir, &r->testv[i], i);
	for (i = 0; i < r->rulec; i++) {
		const struct lrep_rule *u = &r->rulev[i];

		(void)re_fprintf(f, "rule\t%H\t%llu\t%llu\t%H\t%H\n", field,
				 u->id, (unsigned long long)u->checked,
				 (unsigned long long)u->held, field, u->test,
				 field, u->found);
	}
	for (i = 0; i < r->reasonc; i++)
		(void)re_fprintf(f, "reason\t%llu\t%H\n",
				 (unsigned long long)r->reasonv[i].n, field,
				 r->reasonv[i].text);
	for (i = 0; i < r->secc; i++) {
		const struct lrep_sec *s = &r->secv[i];

		(void)re_fprintf(f, "sec\t%zu\t%llu\t%llu\t%llu\t%llu\t%llu\t"
				 "%llu\n", i, (unsigned long long)s->started,
				 (unsigned long long)s->completed,
				 (unsigned long long)s->passed,
				 (unsigned long long)s->failed,
				 (unsigned long long)s->broken,
				 (unsigned long long)s->inprog);
	}
	err = fclose(f) ? errno : 0;

	return err ? err : save_hists(r, dir);
}


/* --- reading them back, adding up --------------------------------------- */

enum { MAX_FIELDS = 10 };

/* Cuts line at its tabs; "-" is an empty field */
static size_t split(char *line, char *fv[MAX_FIELDS])
{
	size_t n = 0, i;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		char *tab = strchr(p, '\t');

		fv[n++] = p;
		if (!tab || n == MAX_FIELDS)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(fv[i], "-"))
			fv[i][0] = '\0';
	}

	return n;
}


static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 10);
}


static char *file_read(const char *dir, const char *name)
{
	char path[4096];
	struct mbuf *mb = mbuf_alloc(1024);
	char buf[4096], *s = NULL;
	size_t n;
	FILE *f;

	(void)re_snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || !mb)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		(void)mbuf_write_mem(mb, (uint8_t *)buf, n);
	mb->pos = 0;
	(void)mbuf_strdup(mb, &s, mb->end);
 out:
	if (f)
		(void)fclose(f);
	mem_deref(mb);

	return s;
}


static void load_meta(struct lrep *r, char *fv[], size_t n)
{
	const char *k = fv[1], *v = n > 2 ? fv[2] : "";

	if (!strcmp(k, "rate"))
		r->rate += atof(v);
	else if (!strcmp(k, "seconds") && atof(v) > r->seconds)
		r->seconds = atof(v);
	else if (!strcmp(k, "play") && atof(v) > r->play_s)
		r->play_s = atof(v);
	else if (!strcmp(k, "cpu"))
		r->cpu_s += atof(v);
	else if (!strcmp(k, "mem_per_call") && num(v) > r->mem_per_call)
		r->mem_per_call = num(v);
	else if (!strcmp(k, "lag_ms") && num(v) > r->lag_ms)
		r->lag_ms = num(v);
	else if (!strcmp(k, "peak"))
		r->peak += num(v);
	else if (!strcmp(k, "unfinished"))
		r->unfinished += num(v);
	else if (!strcmp(k, "missed"))
		r->missed += num(v);
	else if (!strcmp(k, "workers"))
		r->workers += (unsigned)num(v);
	else if (!strcmp(k, "parts"))
		r->parts += (unsigned)num(v);
	else if (!strcmp(k, "lost"))
		r->lost += (unsigned)num(v);
	else if (!strcmp(k, "interrupted"))
		r->interrupted |= num(v) != 0;
	else if (!strcmp(k, "mode") && !r->mode && *v)
		(void)str_dup(&r->mode, v);
}


static void load_fail(struct lrep *r, const char *dir, char *fv[], size_t n)
{
	struct lrep_test *t;
	char name[128];

	if (n < 4)
		return;
	t = lrep_test(r, fv[1], (unsigned)num(fv[2]), NULL);
	if (!t || t->failc >= LOAD_FAILS_KEPT)
		return;
	(void)re_snprintf(name, sizeof(name), "failures/%s.tap", fv[3]);
	t->failv[t->failc].tap = file_read(dir, name);
	(void)re_snprintf(name, sizeof(name), "wire/%s.log", fv[3]);
	t->failv[t->failc].wire = file_read(dir, name);
	if (t->failv[t->failc].tap)
		++t->failc;
}


static void load_line(struct lrep *r, const char *dir, char *fv[], size_t n)
{
	struct lrep_test *t;
	struct lrep_rule *u;
	struct lrep_sec *s;

	if (!strcmp(fv[0], "meta") && n >= 2) {
		load_meta(r, fv, n);
	}
	else if (!strcmp(fv[0], "test") && n >= 8) {
		t = lrep_test(r, fv[1], (unsigned)num(fv[2]), fv[6]);
		if (!t)
			return;
		t->calls += num(fv[3]);
		t->passed += num(fv[4]);
		t->skipped += num(fv[5]);
		if (*fv[7] && !t->skip)
			(void)str_dup(&t->skip, fv[7]);
	}
	else if (!strcmp(fv[0], "fail")) {
		load_fail(r, dir, fv, n);
	}
	else if (!strcmp(fv[0], "rule") && n >= 6) {
		u = lrep_rule(r, fv[1]);
		if (!u)
			return;
		u->checked += num(fv[2]);
		u->held += num(fv[3]);
		if (!u->test && *fv[4]) {
			(void)str_dup(&u->test, fv[4]);
			(void)str_dup(&u->found, fv[5]);
		}
	}
	else if (!strcmp(fv[0], "reason") && n >= 3) {
		lrep_reason(r, fv[2], num(fv[1]));
	}
	else if (!strcmp(fv[0], "sec") && n >= 8) {
		s = lrep_sec(r, (size_t)num(fv[1]));
		if (!s)
			return;
		s->started += num(fv[2]);
		s->completed += num(fv[3]);
		s->passed += num(fv[4]);
		s->failed += num(fv[5]);
		s->broken += num(fv[6]);
		s->inprog += num(fv[7]);
	}
}


static void load_hists(struct lrep *r, const char *dir)
{
	char path[4096], line[8192];
	char *fv[MAX_FIELDS];
	FILE *f;

	(void)re_snprintf(path, sizeof(path), "%s/latency.hist", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t n = split(line, fv), m, b;
		struct hist **hp = NULL;

		if (!strcmp(fv[0], "test") && n >= 6) {
			struct lrep_test *t = lrep_test(r, fv[1],
						       (unsigned)num(fv[2]),
						       NULL);

			for (m = 0; t && m < LOAD_METRICS; m++)
				if (!strcmp(fv[3], lrep_metric[m]))
					hp = &t->h[m];
			b = 4;
		}
		else if (!strcmp(fv[0], "sec") && n >= 5) {
			struct lrep_sec *s = lrep_sec(r, (size_t)num(fv[1]));

			for (m = 0; s && m < LOAD_METRICS; m++)
				if (!strcmp(fv[2], lrep_metric[m]))
					hp = &s->h[m];
			b = 3;
		}
		else {
			continue;
		}
		if (hp && lrep_hist(hp))
			hist_add_n(*hp, (unsigned)num(fv[b]), num(fv[b + 1]));
	}
	(void)fclose(f);
}


/* Adds the counts of dir to r. 0, or ENOENT/EPROTO with err set */
int lrep_load(struct lrep *r, const char *dir, char *err, size_t errsz)
{
	char path[4096], line[8192];
	char *fv[MAX_FIELDS];
	FILE *f;

	(void)re_snprintf(path, sizeof(path), "%s/load.counts", dir);
	f = fopen(path, "r");
	if (!f) {
		(void)re_snprintf(err, errsz, "%s: %m (not the report folder"
				  " of a siptap load run)", path, errno);
		return ENOENT;
	}
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "siptap-load\t1", 13)) {
		(void)re_snprintf(err, errsz, "%s:1: not a siptap load count "
				  "file (version 1)", path);
		(void)fclose(f);
		return EPROTO;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = split(line, fv);

		load_line(r, dir, fv, n);
	}
	(void)fclose(f);
	load_hists(r, dir);

	return 0;
}


/* --- the reports --------------------------------------------------------- */

/* Calls started a second while they were started */
static double reached(const struct lrep *r)
{
	uint64_t started = 0;
	size_t i;

	for (i = 0; i < r->secc; i++)
		started += r->secv[i].started;

	return r->play_s > 0 ? (double)started / r->play_s : 0;
}


static double ms(uint64_t usec)
{
	return (double)usec / 1000.0;
}


static void totals(const struct lrep *r, uint64_t *calls, uint64_t *passed)
{
	size_t i;

	*calls = *passed = 0;
	for (i = 0; i < r->testc; i++) {
		*calls += r->testv[i].calls;
		*passed += r->testv[i].passed;
	}
}


static int rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lrep_rule *)a)->id,
		      ((const struct lrep_rule *)b)->id);
}


static int reason_cmp(const void *a, const void *b)
{
	const struct lrep_reason *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->text, y->text);
}


/* The failing calls kept, as the subtest of the test's point */
static void test_subtest(struct mbuf *mb, const struct lrep_test *t,
			 const char *desc)
{
	const char *tap = t->failv[0].tap;

	(void)tap_subtest(mb, 1, desc);
	(void)mbuf_write_str(mb, tap);
	if (*tap && tap[strlen(tap) - 1] != '\n')
		(void)mbuf_write_u8(mb, '\n');
}


static void test_point(struct mbuf *mb, unsigned num, const struct lrep *r,
		       const struct lrep_test *t, bool *failedp)
{
	uint64_t failed = t->calls - t->passed - t->skipped;
	char desc[1024], msg[256];
	const bool ok = !failed && t->calls;

	if (t->skip && !t->passed && !failed) {
		(void)tap_point(mb, 0, true, num, t->name, TAP_SKIP, t->skip);
		return;
	}
	/* fewer calls than tests (--calls): the test was never its turn.
	 * Not when calls were cut short: then one may be its own */
	if (!t->calls && !t->failc && !r->unfinished && !r->interrupted &&
	    !r->lost) {
		(void)tap_point(mb, 0, true, num, t->name, TAP_SKIP, "not "
				"played: the run started fewer calls than there "
				"are tests");
		return;
	}
	(void)re_snprintf(desc, sizeof(desc), "%s: passed in %llu of %llu "
			  "calls", t->name, (unsigned long long)t->passed,
			  (unsigned long long)(t->calls - t->skipped));
	if (!ok && t->failc)
		test_subtest(mb, t, desc);
	(void)tap_point(mb, 0, ok, num, desc, TAP_NONE, NULL);
	if (ok)
		return;

	*failedp = true;
	if (!t->calls && t->failc)
		(void)re_snprintf(msg, sizeof(msg), "no call was played: the "
				  "subtest above says why");
	else if (!t->calls)
		(void)re_snprintf(msg, sizeof(msg), "no call of this test "
				  "ended in the run");
	else
		(void)re_snprintf(msg, sizeof(msg), "%llu of %llu calls "
				  "failed; above, the first failing call%s "
				  "(wire: wire/%u-0.log)",
				  (unsigned long long)failed,
				  (unsigned long long)t->calls,
				  t->failc ? "" : " (none kept)",
				  num - 1);
	(void)tap_yaml(mb, 0, (struct tap_diag[]){{"message", msg, 0},
			{"file", t->file, 0}}, 2);
}


static void rule_point(struct mbuf *mb, unsigned num,
		       const struct lrep_rule *u, bool *failedp)
{
	const bool ok = u->held == u->checked;
	char desc[512], msg[256];

	(void)re_snprintf(desc, sizeof(desc), "%s held in %llu of %llu calls",
			  u->id, (unsigned long long)u->held,
			  (unsigned long long)u->checked);
	(void)tap_point(mb, 0, ok, num, desc, TAP_NONE, NULL);
	if (ok)
		return;

	*failedp = true;
	(void)re_snprintf(msg, sizeof(msg), "broken in %llu calls",
			  (unsigned long long)(u->checked - u->held));
	(void)tap_yaml(mb, 0, (struct tap_diag[]){
			{"message", msg, 0}, {"rule", u->id, 0},
			{"first_test", u->test ? u->test : "", 0},
			{"found", u->found ? u->found : "", 0}}, 4);
}


/* Workers that left no counts (one that died: a signal, Lua's panic):
 * their calls are in no figure above, which is no pass of theirs. */
static void lost_point(struct mbuf *mb, unsigned num, const struct lrep *r,
		       bool *failedp)
{
	char msg[256];

	*failedp = true;
	(void)tap_point(mb, 0, false, num, "every worker reported its calls",
			TAP_NONE, NULL);
	(void)re_snprintf(msg, sizeof(msg), "%u worker%s of the run left no "
			  "counts (siptap's stderr says how each died): their "
			  "calls are in none of the figures", r->lost,
			  r->lost == 1 ? "" : "s");
	(void)tap_yaml(mb, 0, (struct tap_diag[]){{"message", msg, 0}}, 1);
}


static void tap_header(struct mbuf *mb, const struct lrep *r,
		       int tap_version)
{
	uint64_t calls, passed;
	char line[1024];
	size_t i;

	totals(r, &calls, &passed);
	(void)tap_version_line(mb, tap_version);
	(void)tap_plan(mb, 0, (unsigned)(r->testc + r->rulec +
					 (r->lost ? 1 : 0)), NULL);
	(void)re_snprintf(line, sizeof(line), "siptap %s load: %.1f calls/s "
			  "asked, %.1f reached, %.1f s, %llu calls (%llu "
			  "passed), %u worker%s in %u part%s",
			  SIPTAP_VERSION, r->rate, reached(r), r->seconds, (unsigned long long)calls,
			  (unsigned long long)passed, r->workers,
			  r->workers == 1 ? "" : "s", r->parts,
			  r->parts == 1 ? "" : "s");
	(void)tap_comment(mb, 0, line);
	if (r->mode)
		(void)tap_comment(mb, 0, r->mode);
	if (r->lag_ms) {
		(void)re_snprintf(line, sizeof(line), "siptap's loop ran up to "
				  "%llu ms late (its own timers with it)",
				  (unsigned long long)r->lag_ms);
		(void)tap_comment(mb, 0, line);
	}
	if (r->unfinished) {
		(void)re_snprintf(line, sizeof(line), "%llu calls still in "
				  "progress at the end, not counted",
				  (unsigned long long)r->unfinished);
		(void)tap_comment(mb, 0, line);
	}
	for (i = 0; i < r->reasonc && i < 10; i++) {
		(void)re_snprintf(line, sizeof(line), "failed calls: %llu x "
				  "%s", (unsigned long long)r->reasonv[i].n,
				  r->reasonv[i].text);
		(void)tap_comment(mb, 0, line);
	}
}


static int tap_make(struct mbuf *mb, struct lrep *r, int tap_version,
		    bool *failedp)
{
	unsigned num = 0;
	size_t i;

	/* (a run without failed calls has no reasons: no list to sort,
	 * and qsort() must not be given its NULL) */
	if (r->rulec)
		qsort(r->rulev, r->rulec, sizeof(*r->rulev), rule_cmp);
	if (r->reasonc)
		qsort(r->reasonv, r->reasonc, sizeof(*r->reasonv),
		      reason_cmp);
	tap_header(mb, r, tap_version);
	for (i = 0; i < r->testc; i++)
		test_point(mb, ++num, r, &r->testv[i], failedp);
	for (i = 0; i < r->rulec; i++)
		rule_point(mb, ++num, &r->rulev[i], failedp);
	if (r->lost)
		lost_point(mb, ++num, r, failedp);
	if (r->interrupted)
		(void)tap_comment(mb, 0, "interrupted: the counts are those "
				  "of the calls that ended before");

	return 0;
}


static void sec_hists(const struct lrep_sec *s, uint64_t p[LOAD_METRICS][2])
{
	unsigned m;

	for (m = 0; m < LOAD_METRICS; m++) {
		p[m][0] = s->h[m] ? hist_percentile(s->h[m], 50) : 0;
		p[m][1] = s->h[m] ? hist_percentile(s->h[m], 99) : 0;
	}
}


static int stats_csv(const struct lrep *r, const char *dir)
{
	char path[4096];
	size_t i;
	FILE *f;

	(void)re_snprintf(path, sizeof(path), "%s/stats.csv", dir);
	f = fopen(path, "w");
	if (!f)
		return errno;
	(void)fprintf(f, "second,started,completed,passed,failed,calls_per_s,"
		      "in_progress,broken_rules,invite_18x_p50_ms,"
		      "invite_18x_p99_ms,prack_200_p50_ms,prack_200_p99_ms,"
		      "invite_200_p50_ms,invite_200_p99_ms\n");
	for (i = 0; i < r->secc; i++) {
		const struct lrep_sec *s = &r->secv[i];
		uint64_t p[LOAD_METRICS][2];

		sec_hists(s, p);
		(void)fprintf(f, "%zu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,"
			      "%.3f,%.3f,%.3f,%.3f,%.3f,%.3f\n", i + 1,
			      (unsigned long long)s->started,
			      (unsigned long long)s->completed,
			      (unsigned long long)s->passed,
			      (unsigned long long)s->failed,
			      (unsigned long long)s->completed,
			      (unsigned long long)s->inprog,
			      (unsigned long long)s->broken,
			      ms(p[0][0]), ms(p[0][1]), ms(p[1][0]),
			      ms(p[1][1]), ms(p[2][0]), ms(p[2][1]));
	}

	return fclose(f) ? errno : 0;
}


/* name as a CSV field (RFC 4180): quoted, its quotes doubled, a line
 * break inside kept, whole */
static void pct_row(FILE *f, const char *name, unsigned m,
		    const struct hist *h)
{
	const char *p;

	(void)fputc('"', f);
	for (p = name; *p; p++) {
		if (*p == '"')
			(void)fputc('"', f);
		(void)fputc(*p, f);
	}
	(void)fprintf(f, "\",%s,%llu,%.3f,%.3f,%.3f,%.3f,%.3f\n",
		      lrep_metric[m], (unsigned long long)h->count,
		      ms(hist_percentile(h, 50)), ms(hist_percentile(h, 90)),
		      ms(hist_percentile(h, 99)), ms(hist_percentile(h, 99.9)),
		      ms(h->max));
}


/* percentiles.csv: each test's and all calls' (test "*") */
static int percentiles_csv(const struct lrep *r, const char *dir,
			   struct hist all[LOAD_METRICS])
{
	char path[4096];
	size_t i;
	unsigned m;
	FILE *f;

	(void)re_snprintf(path, sizeof(path), "%s/percentiles.csv", dir);
	f = fopen(path, "w");
	if (!f)
		return errno;
	(void)fprintf(f, "test,metric,count,p50_ms,p90_ms,p99_ms,p999_ms,"
		      "max_ms\n");
	for (i = 0; i < r->testc; i++) {
		for (m = 0; m < LOAD_METRICS; m++) {
			if (!r->testv[i].h[m])
				continue;
			pct_row(f, r->testv[i].name, m, r->testv[i].h[m]);
			hist_merge(&all[m], r->testv[i].h[m]);
		}
	}
	for (m = 0; m < LOAD_METRICS; m++) {
		if (all[m].count)
			pct_row(f, "*", m, &all[m]);
	}

	return fclose(f) ? errno : 0;
}


/* plot.png of calls/s and INVITE->200 p99 over time, by gnuplot (if
 * it is there: without it, summary.md says so) */
static bool plot(const char *dir)
{
	char script[8192];
	pid_t pid;
	int status, fd;

	(void)re_snprintf(script, sizeof(script),
		"set terminal png size 900,400\n"
		"set output '%s/plot.png'\n"
		"set datafile separator ','\n"
		"set key autotitle columnhead\n"
		"set xlabel 'second'\nset ylabel 'calls/s'\n"
		"set y2label 'p99 ms'\nset y2tics\nset ytics nomirror\n"
		"plot '%s/stats.csv' using 1:6 with lines title 'calls/s', "
		"'' using 1:14 axes x1y2 with lines title 'INVITE->200 p99 "
		"ms', '' using 1:10 axes x1y2 with lines title "
		"'INVITE->18x p99 ms'\n", dir, dir);

	pid = fork();
	if (pid < 0)
		return false;
	if (!pid) {
		int p[2];

		fd = open("/dev/null", 0);
		if (pipe(p))
			_exit(127);
		if (write(p[1], script, strlen(script)) < 0)
			_exit(127);
		close(p[1]);
		dup2(p[0], 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;

	return WIFEXITED(status) && !WEXITSTATUS(status);
}


static void summary_tests(FILE *f, const struct lrep *r)
{
	size_t i;
	unsigned m;

	(void)re_fprintf(f, "\n## Tests\n\n| test | calls | passed |"
			 " INVITE->18x p50/p99 ms | PRACK->200 p50/p99 ms |"
			 " INVITE->200 p50/p99 ms |\n|---|---|---|---|---|---|\n");
	for (i = 0; i < r->testc; i++) {
		const struct lrep_test *t = &r->testv[i];

		/* a name may hold a newline or a bar: one cell still */
		(void)fputs("| ", f);
		(void)text_file(f, &text_esc_md, t->name, strlen(t->name));
		(void)re_fprintf(f, " | %llu | %llu |",
				 (unsigned long long)t->calls,
				 (unsigned long long)t->passed);
		for (m = 0; m < LOAD_METRICS; m++) {
			if (t->h[m])
				(void)fprintf(f, " %.2f / %.2f |",
					      ms(hist_percentile(t->h[m], 50)),
					      ms(hist_percentile(t->h[m], 99)));
			else
				(void)fprintf(f, " - |");
		}
		(void)fprintf(f, "\n");
	}
}


static int summary(const struct lrep *r, const char *dir, bool png,
		   const struct hist all[LOAD_METRICS])
{
	char path[4096];
	uint64_t calls, passed;
	size_t i;
	unsigned m;
	FILE *f;

	totals(r, &calls, &passed);
	(void)re_snprintf(path, sizeof(path), "%s/summary.md", dir);
	f = fopen(path, "w");
	if (!f)
		return errno;
	(void)re_fprintf(f, "# siptap load\n\n%s\n\n- asked: %.1f calls/s; "
			 "reached: %.1f calls/s over %.1f s\n- calls: %llu, "
			 "passed %llu, failed %llu; in progress at the end: "
			 "%llu; due but not started: %llu\n- workers: %u in "
			 "%u part%s; CPU: %.1f s (%.3f ms a call); memory: "
			 "%llu bytes a call in progress (peak %llu at once)"
			 "%s\n", r->mode ? r->mode : "",
			 r->rate, reached(r), r->seconds,
			 (unsigned long long)calls,
			 (unsigned long long)passed,
			 (unsigned long long)(calls - passed),
			 (unsigned long long)r->unfinished,
			 (unsigned long long)r->missed, r->workers, r->parts,
			 r->parts == 1 ? "" : "s", r->cpu_s,
			 calls ? r->cpu_s * 1000 / (double)calls : 0,
			 (unsigned long long)r->mem_per_call,
			 (unsigned long long)r->peak,
			 r->interrupted ? "\n- **interrupted**" : "");
	if (r->lost)
		(void)re_fprintf(f, "- **%u worker%s left no counts** (died): "
				 "their calls are in none of these figures\n",
				 r->lost, r->lost == 1 ? "" : "s");
	(void)fprintf(f, "\n## Latency, all calls\n\n| metric | count | p50 "
		      "| p90 | p99 | max (ms) |\n|---|---|---|---|---|---|\n");
	for (m = 0; m < LOAD_METRICS; m++)
		(void)fprintf(f, "| %s | %llu | %.2f | %.2f | %.2f | %.2f |\n",
			      metric_title[m],
			      (unsigned long long)all[m].count,
			      ms(hist_percentile(&all[m], 50)),
			      ms(hist_percentile(&all[m], 90)),
			      ms(hist_percentile(&all[m], 99)),
			      ms(all[m].max));
	(void)fprintf(f, "\n%s\n", png ? "![calls/s and p99 over time]"
		      "(plot.png)" : r->secc < 2 ? "(no plot: the run was "
		      "shorter than two seconds)" : "(no plot: gnuplot is not "
		      "installed, or it failed)");
	summary_tests(f, r);
	if (r->reasonc)
		(void)fprintf(f, "\n## Why calls failed\n\n");
	for (i = 0; i < r->reasonc; i++)
		(void)re_fprintf(f, "- %llu x %s\n",
				 (unsigned long long)r->reasonv[i].n,
				 r->reasonv[i].text);

	return fclose(f) ? errno : 0;
}


/* Every report of r into dir: load.tap (on stdout too when print),
 * the counts themselves, stats.csv, percentiles.csv, summary.md, the
 * plot. *failedp: a point failed. */
int lrep_report(struct lrep *r, const char *dir, int tap_version,
		bool print, bool *failedp)
{
	struct hist *all = mem_zalloc(LOAD_METRICS * sizeof(*all), NULL);
	struct mbuf *mb = mbuf_alloc(8192);
	int err;

	*failedp = false;
	if (!all || !mb) {
		err = ENOMEM;
		goto out;
	}
	err = tap_make(mb, r, tap_version, failedp);
	if (print) {
		(void)fwrite(mb->buf, 1, mb->end, stdout);
		(void)fflush(stdout);
	}
	err |= file_write(dir, "load.tap", (char *)mb->buf, mb->end);
	err |= lrep_save(r, dir);
	err |= stats_csv(r, dir);
	err |= percentiles_csv(r, dir, all);
	err |= summary(r, dir, r->secc > 1 && plot(dir), all);
 out:
	mem_deref(all);
	mem_deref(mb);

	return err;
}


/* siptap merge [--report-dir OUT] DIR...: the shards' counts as one */
int merge_main(struct run_conf *conf, int argc, char *argv[])
{
	const char *out = "reports/merged";
	struct lrep *r;
	char err[512];
	bool failed;
	int i = 0, ret = 0;

	if (argc >= 2 && !strcmp(argv[0], "--report-dir")) {
		out = argv[1];
		i = 2;
	}
	if (i >= argc) {
		(void)fprintf(stderr, "siptap: merge: which folders? siptap "
			      "merge [--report-dir OUT] DIR...\n");
		return 2;
	}

	r = lrep_alloc();
	if (!r)
		return 2;
	for (; i < argc && !ret; i++) {
		if (lrep_load(r, argv[i], err, sizeof(err))) {
			(void)fprintf(stderr, "siptap: merge: %s\n", err);
			ret = 2;
		}
	}
	if (!ret && r->mode && strstr(r->mode, ", shard "))
		*strstr(r->mode, ", shard ") = '\0';   /* all of them now */
	if (!ret && lrep_mkdirs(out)) {
		(void)fprintf(stderr, "siptap: merge: --report-dir %s: %s\n",
			      out, strerror(errno));
		ret = 2;
	}
	if (!ret && lrep_report(r, out, conf->tap_version, true, &failed)) {
		(void)fprintf(stderr, "siptap: merge: could not write all "
			      "of %s\n", out);
		ret = 2;
	}
	if (!ret)
		ret = failed ? 1 : 0;
	mem_deref(r);

	return ret;
}
