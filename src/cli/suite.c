/**
 * @file suite.c  Finding scenario files and the tests they declare
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/stat.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "sandbox.h"
#include "runner.h"
#include "suite.h"
#include "l_siptap.h"
#include "frame.h"
#include "worker.h"
#include "report.h"


enum { MAX_FILES = 4096 };

struct files {
	char *v[MAX_FILES];
	size_t c;
};


static void test_destructor(void *arg)
{
	struct suite_test *st = arg;

	list_unlink(&st->le);
	mem_deref(st->file);
	mem_deref(st->name);
	mem_deref(st->skip);
	mem_deref(st->todo);
	mem_deref(st->load_error);
}


static bool is_lua(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".lua");
}


static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


static int add_file(struct files *f, const char *path)
{
	if (f->c >= MAX_FILES)
		return E2BIG;

	return str_dup(&f->v[f->c++], path);
}


/* Every *.lua below dir; sorted once at the end by the caller. */
static int walk(struct files *f, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return errno;

	while (!err && (de = readdir(d))) {
		char path[4096];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		(void)re_snprintf(path, sizeof(path), "%s/%s", dir,
				  de->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			err = walk(f, path);
		else if (S_ISREG(st.st_mode) && is_lua(de->d_name))
			err = add_file(f, path);
	}

	closedir(d);

	return err;
}


static int find_files(struct files *f, const char *const *pathv,
		      size_t pathc, char *err, size_t errsz)
{
	size_t i, first;
	int e;

	for (i = 0; i < pathc; i++) {
		struct stat st;
		char path[4096];

		/* "scenarios/" and "scenarios" name the same tests */
		(void)re_snprintf(path, sizeof(path), "%s", pathv[i]);
		while (strlen(path) > 1 && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';

		if (stat(path, &st)) {
			(void)re_snprintf(err, errsz, "%s: %m", pathv[i],
					  errno);
			return ENOENT;
		}

		first = f->c;
		if (S_ISDIR(st.st_mode))
			e = walk(f, path);
		else
			e = add_file(f, path);
		if (e) {
			(void)re_snprintf(err, errsz, "%s: %m", pathv[i], e);
			return e;
		}
		qsort(f->v + first, f->c - first, sizeof(char *), cmp_str);
	}

	return 0;
}


static int entry_add(struct list *testl, const char *file, unsigned index,
		     struct suite_test **stp)
{
	struct suite_test *st = mem_zalloc(sizeof(*st), test_destructor);

	if (!st)
		return ENOMEM;

	st->index = index;
	list_append(testl, &st->le, st);
	*stp = st;

	return str_dup(&st->file, file);
}


static void opt_dup(lua_State *L, int tbl, const char *key, char **out)
{
	lua_getfield(L, tbl, key);
	if (lua_isstring(L, -1))
		(void)str_dup(out, lua_tostring(L, -1));
	else if (lua_toboolean(L, -1))
		(void)str_dup(out, "");
	lua_pop(L, 1);
}


/* Loads one file in a throwaway state and lists what it declares. */
static int list_file(struct list *testl, const char *file,
		     const struct run_conf *conf)
{
	struct suite_test *st;
	lua_State *L = NULL;
	lua_Integer i, n;
	int err;

	err = sandbox_new(&L, conf->lib, conf->seed, conf->allow_unsafe);
	if (!err)
		err = run_conf_push(L, conf);
	if (err)
		return err;

	l_test_declare_open(L);
	sandbox_deadline(L, conf->timeout_s);
	worker_once_watch(L, conf->timeout_s);

	if (sandbox_load_scenario(L, file) != LUA_OK) {
		err = entry_add(testl, file, 0, &st);
		if (!err)
			err = str_dup(&st->load_error, lua_tostring(L, -1));
		goto out;
	}

	l_test_declared(L);
	n = luaL_len(L, -1);
	if (n == 0) {
		err = entry_add(testl, file, 0, &st);
		if (!err)
			err = str_dup(&st->load_error, "the file declares no "
				      "tests (call test(name, function(t) ... "
				      "end))");
		goto out;
	}

	for (i = 1; i <= n && !err; i++) {
		lua_rawgeti(L, -1, i);
		err = entry_add(testl, file, (unsigned)(i - 1), &st);
		if (!err) {
			lua_getfield(L, -1, "name");
			err = str_dup(&st->name, lua_tostring(L, -1));
			lua_pop(L, 1);
			lua_getfield(L, -1, "line");
			st->line = (unsigned)lua_tointeger(L, -1);
			lua_pop(L, 1);
			opt_dup(L, -1, "skip", &st->skip);
			opt_dup(L, -1, "todo", &st->todo);
		}
		lua_pop(L, 1);
	}

 out:
	sandbox_close(L);

	return err;
}


/* --- listing in a process of its own ----------------------------------- */

/* A file's top level is the scenario's code like any test's: a loop
 * the guard stops is one thing, a pattern match that backtracks in C
 * for hours another. So each file is listed in a child process that
 * the run kills at --timeout; it hands back the declarations and what
 * the file kept in SIPTAP.memo, for the tests to find. */
struct listing {
	const char *file;
	const struct run_conf *conf;
};


static int list_encode(struct mbuf *mb, const struct list *testl)
{
	struct le *le;
	int err = mbuf_write_u32(mb, (uint32_t)list_count(testl));

	for (le = testl->head; le && !err; le = le->next) {
		const struct suite_test *st = le->data;

		err  = mbuf_write_u32(mb, st->index);
		err |= mbuf_write_u32(mb, st->line);
		err |= frame_put_str(mb, st->name);
		err |= frame_put_str(mb, st->skip);
		err |= frame_put_str(mb, st->todo);
		err |= frame_put_str(mb, st->load_error);
	}

	return err;
}


static int list_job(void *arg, struct mbuf *out)
{
	const struct listing *job = arg;
	const size_t memo_from = job->conf->memo ?
		list_count(job->conf->memo) : 0;
	struct list testl = LIST_INIT;
	int err;

	err = list_file(&testl, job->file, job->conf);
	if (!err)
		err = list_encode(out, &testl);
	if (!err && job->conf->memo)
		err = run_memo_encode(job->conf->memo, memo_from, out);
	list_flush(&testl);

	return err;
}


static int list_decode(struct list *testl, const char *file,
		       struct mbuf *mb, const struct run_conf *conf)
{
	uint32_t i, n;
	int err = 0;

	if (mbuf_get_left(mb) < 4)
		return EPROTO;
	n = mbuf_read_u32(mb);
	for (i = 0; i < n && !err; i++) {
		struct suite_test *st;

		if (mbuf_get_left(mb) < 8)
			return EPROTO;
		err = entry_add(testl, file, mbuf_read_u32(mb), &st);
		if (!err)
			st->line = mbuf_read_u32(mb);
		if (!err)
			err = frame_get(mb, &st->name, NULL);
		if (!err)
			err = frame_get(mb, &st->skip, NULL);
		if (!err)
			err = frame_get(mb, &st->todo, NULL);
		if (!err)
			err = frame_get(mb, &st->load_error, NULL);
	}

	if (!err && conf->memo)
		err = run_memo_decode(conf->memo, mb);

	return err;
}


/* The file's listing could not finish: one entry that fails. */
static int list_lost(struct list *testl, const char *file, int err,
		     const char *at, const struct run_conf *conf)
{
	struct suite_test *st;
	int e = entry_add(testl, file, 0, &st);

	if (e)
		return e;
	if (err == ETIMEDOUT)
		return re_sdprintf(&st->load_error, "%s%sthe file did not "
				   "finish loading within %u s (--timeout): "
				   "siptap killed the process loading it (its "
				   "top level is stuck in a C function, such "
				   "as a pattern match that backtracks)",
				   at, *at ? ": " : "", conf->timeout_s);

	return re_sdprintf(&st->load_error, "siptap's process loading the "
			   "file ended before it reported (%m)", err);
}


static int list_file_apart(struct list *testl, const char *file,
			   const struct run_conf *conf)
{
	struct listing job = {file, conf};
	struct mbuf *mb = NULL;
	char at[256] = "";
	int err;

	err = worker_once(list_job, &job, conf->timeout_s, &mb, at,
			  sizeof(at));
	if (err == EINTR)
		return err;
	if (!err)
		err = list_decode(testl, file, mb, conf);
	mem_deref(mb);
	if (err == ENOMEM)
		return err;

	return err ? list_lost(testl, file, err, at, conf) : 0;
}


int suite_collect(struct list *testl, const char *const *pathv,
		  size_t pathc, const struct run_conf *conf, char *err,
		  size_t errsz)
{
	struct files f;
	size_t i;
	int e;

	memset(&f, 0, sizeof(f));

	e = find_files(&f, pathv, pathc, err, errsz);
	for (i = 0; !e && i < f.c; i++) {
		e = list_file_apart(testl, f.v[i], conf);
		if (e == EINTR)
			break;   /* SIGINT: the run bails out with the rest */
		if (e)
			(void)re_snprintf(err, errsz, "%s: %m", f.v[i], e);
	}
	if (e == EINTR)
		e = 0;
	if (!e && !f.c) {
		(void)re_snprintf(err, errsz, "no *.lua scenario files found");
		e = ENOENT;
	}

	for (i = 0; i < f.c; i++)
		mem_deref(f.v[i]);

	return e;
}


/* TEXT is one or more parts joined by " & ": the name contains each
 * (an option combination of the matrix is a few words apart). */
static bool todo_match(const char *name, const char *text)
{
	const char *amp;

	while ((amp = strstr(text, " & "))) {
		struct pl part = {text, (size_t)(amp - text)};
		char buf[256];

		if (pl_strcpy(&part, buf, sizeof(buf)) || !strstr(name, buf))
			return false;
		text = amp + 3;
	}

	return strstr(name, text) != NULL;
}


/* --todo FILE: known deviations of the peer under test. Each line is
 * "TEXT | REASON": every test whose name contains TEXT (each part of
 * "A & B") runs as a TODO with REASON, so that a finding is reported,
 * never hidden as a pass, and does not fail the run. The first line
 * that matches a test gives its reason. Blank lines and "#" comments
 * are skipped. */
int suite_todo_file(struct list *testl, const char *path, char *err,
		    size_t errsz)
{
	char line[1024];
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		(void)re_snprintf(err, errsz, "--todo %s: %m", path, errno);
		return errno;
	}

	while (fgets(line, sizeof(line), f)) {
		char *bar, *text, *why, *end;
		struct le *le;

		++lineno;
		line[strcspn(line, "\r\n")] = '\0';
		text = line + strspn(line, " \t");
		if (!*text || *text == '#')
			continue;

		bar = strstr(text, " | ");
		if (!bar) {
			(void)re_snprintf(err, errsz, "%s:%u: want \"TEXT | "
					  "REASON\"", path, lineno);
			(void)fclose(f);
			return EINVAL;
		}
		*bar = '\0';
		why = bar + 3;
		for (end = bar; end > text && end[-1] == ' '; --end)
			end[-1] = '\0';

		for (le = testl->head; le; le = le->next) {
			struct suite_test *st = le->data;

			if (st->name && !st->todo && todo_match(st->name, text))
				(void)str_dup(&st->todo, why);
		}
	}

	(void)fclose(f);

	return 0;
}


static bool filter_match(const struct suite_test *st,
			 const struct run_conf *conf)
{
	const char *name = st->name ? st->name : st->file;
	size_t i;

	if (!conf->filterc)
		return true;

	for (i = 0; i < conf->filterc; i++) {
		if (strstr(name, conf->filterv[i]) ||
		    strstr(st->file, conf->filterv[i]))
			return true;
	}

	return false;
}


/* --rule ID: the test names the rule ("... [R-RSEQ-1]"), or checked it
 * in the last run in the report folder (a point of a general rule
 * such as R-RSEQ-1 counts: last-run.tsv has them) */
static bool rule_match(const struct suite_test *st,
		       const struct run_conf *conf)
{
	const struct report_entry *e;
	const char *open;
	size_t i;

	if (!conf->rulec)
		return true;
	e = st->name ? report_last_run_find(conf->last_run, st->file,
					    st->name) : NULL;
	open = st->name ? strrchr(st->name, '[') : NULL;

	for (i = 0; i < conf->rulec; i++) {
		if (e && report_ids_has(e->ids, conf->rulev[i]))
			return true;
		if (open && strstr(open, conf->rulev[i])) {
			char ids[256];

			(void)re_snprintf(ids, sizeof(ids), "%s", open + 1);
			ids[strcspn(ids, "]")] = '\0';
			if (report_ids_has(ids, conf->rulev[i]))
				return true;
		}
	}

	return false;
}


/* --rerun-failed: failed, errored or interrupted in the last run */
static bool rerun_match(const struct suite_test *st,
			const struct run_conf *conf)
{
	const struct report_entry *e;

	if (!conf->rerun_failed)
		return true;
	e = report_last_run_find(conf->last_run, st->file,
				 st->name ? st->name : "");

	return e && (!strcmp(e->verdict, "fail") ||
		     !strcmp(e->verdict, "error") ||
		     !strcmp(e->verdict, "interrupted"));
}


/* --filter, then --shard K/N: the tests whose position in the filtered,
 * ordered suite is K-1 modulo N. The order is the files' sorted order
 * and each file's declarations, so every machine of a CI matrix cuts
 * the same slices, and the N slices add up to the whole suite. */
void suite_select(struct list *testl, const struct run_conf *conf)
{
	struct le *le = testl->head;
	unsigned pos = 0;

	while (le) {
		struct suite_test *st = le->data;
		bool keep = filter_match(st, conf) && rule_match(st, conf) &&
			rerun_match(st, conf);

		le = le->next;
		if (keep && conf->shard_n)
			keep = pos++ % conf->shard_n == conf->shard_k - 1;
		if (!keep)
			mem_deref(st);
	}
}
