/**
 * @file runner.c  Running one test as a coroutine on the libre main loop
 *
 * runner_run() builds the test's world (Lua state, sip instances on
 * 127.0.0.1, UAC, UAS, wire), starts the test function as a coroutine
 * and runs the main loop until the coroutine ends, raises, or the test
 * times out. Waits yield; any message on the wire wakes the coroutine
 * on the next loop turn (never inside a libre callback), and the wait's
 * continuation decides whether to return or yield again.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "tap.h"
#include "wire.h"
#include "link.h"
#include "uac.h"
#include "uas.h"
#include "sandbox.h"
#include "clock.h"
#include "late.h"
#include "runner.h"
#include "pcap.h"
#include "agent.h"
#include "frame.h"
#include "text.h"
#include "sizes.h"
#include "ws.h"
#include "ws_reg.h"


/* The registry's copy of the last error a wait's misuse made a point of */
#define REPORTED_KEY "siptap.reported"


/* The test whose Lua runs now, for a signal handler (worker.c) that
 * must name it: signals know no context. */
static struct test *current;


struct test *runner_current(void)
{
	return current;
}


struct test *runner_test(lua_State *L)
{
	return *(struct test **)lua_getextraspace(L);
}


static void finding_destructor(void *arg)
{
	struct finding *f = arg;

	list_unlink(&f->le);
	mem_deref(f->point);
	mem_deref(f->rule);
	mem_deref(f->what);
	mem_deref(f->wanted);
	mem_deref(f->found);
	mem_deref(f->raw);
}


static const char *diag_get(const struct tap_diag *diagv, size_t diagc,
			    const char *key, size_t *lenp)
{
	size_t i;

	for (i = 0; i < diagc; i++) {
		if (strcmp(diagv[i].key, key))
			continue;
		*lenp = diagv[i].len ? diagv[i].len : strlen(diagv[i].val);
		return diagv[i].val;
	}

	return NULL;
}


/* An empty finding at the end of the test's list. */
struct finding *runner_finding_new(struct test *t)
{
	struct finding *f = mem_zalloc(sizeof(*f), finding_destructor);

	if (f)
		list_append(&t->findings, &f->le, f);

	return f;
}


/* A copy of n bytes, NUL-terminated, NULs inside kept: a peer's bytes
 * are the finding. */
static char *bytes_dup(const char *p, size_t n)
{
	char *s = mem_alloc(n + 1, NULL);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}

	return s;
}


/* Keeps what a not-ok point says for findings.md: the message, what
 * was wanted and what was found apart (findings.md shows "expected"
 * and "observed"), and the message on the wire it is about. */
static void finding_add(struct test *t, const char *desc, bool todo,
			const struct tap_diag *diagv, size_t diagc)
{
	const char *msg, *wanted, *found, *rule, *raw;
	size_t msgl = 0, wl = 0, fl = 0, rl = 0, rawl = 0, cl = 0;
	struct finding *f;

	f = runner_finding_new(t);
	if (!f)
		return;

	msg    = diag_get(diagv, diagc, "message", &msgl);
	wanted = diag_get(diagv, diagc, "wanted", &wl);
	found  = diag_get(diagv, diagc, "found", &fl);
	rule   = diag_get(diagv, diagc, "rule", &rl);
	raw    = diag_get(diagv, diagc, "raw", &rawl);

	f->todo = todo;
	f->contract = diag_get(diagv, diagc, "contract", &cl) != NULL;
	(void)str_dup(&f->point, desc ? desc : "not ok");
	if (rule)
		(void)re_sdprintf(&f->rule, "%b", rule, rl);
	/* t:ok() and the like say their description as "message" */
	if (msg && (!desc || strcmp(msg, desc))) {
		f->what = bytes_dup(msg, msgl);
		f->what_len = f->what ? msgl : 0;
	}
	if (wanted)
		f->wanted = bytes_dup(wanted, wl);
	if (found) {
		f->found = bytes_dup(found, fl);
		f->found_len = f->found ? fl : 0;
	}
	if (raw) {
		f->raw = bytes_dup(raw, rawl);
		f->raw_len = f->raw ? rawl : 0;
	}
}


/* siptap load reads a call's TAP only when the call failed (load.c
 * call_keep); a passing call's, some 20 lines each escaped, went unread.
 * A load call's passing point is kept as it came instead: POINT_MARK,
 * its number (4 bytes), its description and a NUL, written as TAP by
 * runner_out_tap() when asked. TAP text never holds the mark nor a NUL:
 * every control byte in it is escaped (tap.c). */
enum { POINT_MARK = 0x01, POINT_NUM = sizeof(uint32_t) };

static void point_defer(struct mbuf *mb, unsigned num, const char *desc)
{
	const size_t start = mb->end;
	const uint32_t n = num;
	int err;

	mb->pos = start;
	err  = mbuf_write_u8(mb, POINT_MARK);
	err |= mbuf_write_mem(mb, (const uint8_t *)&n, sizeof(n));
	if (desc)
		err |= mbuf_write_str(mb, desc);
	err |= mbuf_write_u8(mb, 0);
	/* out of memory: the point is lost, as a line tap_point() could
	 * not write is, but no part of it stays for runner_out_tap() to
	 * read the next lines as */
	if (err)
		mb->pos = mb->end = start;
}


/* t's TAP lines into dst, its kept passing points written as TAP */
int runner_out_tap(const struct test *t, struct mbuf *dst)
{
	const uint8_t *p, *end;
	int err = 0;

	if (!t->out || !dst)
		return EINVAL;
	p = t->out->buf;
	end = p + t->out->end;
	while (p < end && !err) {
		const uint8_t *m = memchr(p, POINT_MARK, (size_t)(end - p));
		const char *desc;
		size_t dl;
		uint32_t num;

		err = mbuf_write_mem(dst, p, (size_t)((m ? m : end) - p));
		if (!m || err || (size_t)(end - m) < 1 + POINT_NUM + 1)
			break;
		memcpy(&num, m + 1, sizeof(num));
		desc = (const char *)m + 1 + POINT_NUM;
		dl = strnlen(desc, (size_t)(end - (const uint8_t *)desc));
		if ((const uint8_t *)desc + dl == end)
			break;   /* cut short: never written so */
		err = tap_point(dst, 1, true, num, desc, TAP_NONE, NULL);
		p = (const uint8_t *)desc + dl + 1;
	}

	return err;
}


/* Inside a TODO test every point is TODO, so that no TAP consumer
 * counts its failures against the run. */
void runner_point(struct test *t, bool ok, const char *desc,
		  const struct tap_diag *diagv, size_t diagc)
{
	const char *todo = t->todo ? t->todo : t->test_todo;

	++t->points;
	if (ok && !todo && t->pointh)
		point_defer(t->out, t->points, desc);
	else
		(void)tap_point(t->out, 1, ok, t->points, desc,
				todo ? TAP_TODO : TAP_NONE, todo);
	if (t->pointh)
		t->pointh(t, ok, desc, diagv, diagc);

	if (ok)
		return;

	if (todo)
		++t->todo_failed;
	else
		++t->failed;

	if (!t->first_failure && !todo)
		(void)str_dup(&t->first_failure, desc ? desc : "not ok");
	finding_add(t, desc, todo != NULL, diagv, diagc);

	if (diagc)
		(void)tap_yaml(t->out, 1, diagv, diagc);
}


/* Ends the test as one that cannot run against this UAS (a siptap
 * extension an agent has no such option for): the error unwinds the
 * scenario and run.c reports the test # SKIP with why, or not ok when
 * a point failed before. Never returns. */
int runner_skip(lua_State *L, const char *why)
{
	struct test *t = runner_test(L);

	if (!t->skipped)
		(void)str_dup(&t->skipped, why);

	/* the reason as it is, no position: runner_error() knows it so */
	lua_pushstring(L, why);

	return lua_error(L);
}


void runner_point_skip(struct test *t, const char *desc, const char *reason)
{
	++t->points;
	(void)tap_point(t->out, 1, true, t->points, desc, TAP_SKIP, reason);
}


/* "file:line" of the innermost frame in the scenario file itself, so a
 * helper from lua/siptap does not hide where the scenario asked. Level 0
 * too: a C function there has no line and is passed over, and in a
 * coroutine that ran out of memory it is the scenario's own function. */
int runner_where(lua_State *L, char *buf, size_t sz)
{
	struct test *t = runner_test(L);
	lua_Debug ar;
	int level, first = -1;

	for (level = 0; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline < 0)
			continue;
		if (first < 0)
			first = level;
		if (ar.source[0] == '@' && !strcmp(ar.source + 1, t->file))
			return re_snprintf(buf, sz, "%s:%d", t->file,
					   ar.currentline);
	}

	if (first > 0 && lua_getstack(L, first, &ar) &&
	    lua_getinfo(L, "Sl", &ar))
		return re_snprintf(buf, sz, "%s:%d", ar.short_src,
				   ar.currentline);

	return re_snprintf(buf, sz, "%s", t->file);
}


/* --- waking ------------------------------------------------------------ */

static void done_handler(void *arg);
static void wake_handler(void *arg);


/* What is to run on the next loop turn (a test to resume, a test that
 * is over), outside whatever callback asked for it: one libre timer for
 * all of them. libre keeps its timers in one list sorted by a linear
 * walk, and a 0 ms timer is put after every timer that is due: a timer
 * per wake was a walk over all due timers per message, which under
 * siptap load, once the loop fell behind, made it fall further. */
static struct list soonl;
static struct tmr soon_tmr;


static void soon_run(void *arg)
{
	struct list now = LIST_INIT;
	struct le *le;
	(void)arg;

	/* what these ask for runs on the turn after */
	now = soonl;
	list_init(&soonl);
	for (le = now.head; le; le = le->next)
		le->list = &now;

	while ((le = now.head)) {
		struct test *t = le->data;

		list_unlink(le);
		if (le == &t->done_le)
			done_handler(t);
		else
			wake_handler(t);
	}
}


/* le: the test's wake_le or done_le; once until it has run */
static void soon(struct le *le, struct test *t)
{
	if (le->list)
		return;
	list_append(&soonl, le, t);
	if (!tmr_isrunning(&soon_tmr))
		tmr_start(&soon_tmr, 0, soon_run, NULL);
}


static uint64_t unix_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


/* The test is over: the rest (rules, teardown, the caller's handler)
 * runs on the next loop turn, outside whatever callback got here. */
static void finish(struct test *t)
{
	if (t->done)
		return;

	t->done = true;
	list_unlink(&t->wake_le);
	tmr_cancel(&t->wait_tmr);
	tmr_cancel(&t->timeout_tmr);
	soon(&t->done_le, t);
}


/* The sandbox's guard stopped the test (its deadline, its instruction
 * budget): one failing point with the line it was at. */
static void stopped(struct test *t)
{
	const char *at = NULL;
	const char *why = sandbox_stopped(t->co, &at);
	const bool late = strstr(why, "--timeout") != NULL;
	char msg[256];
	struct tap_diag diag[2] = {
		{"message", msg, 0},
		{"at", at, 0},
	};

	if (late)
		(void)re_snprintf(msg, sizeof(msg), "the test did not finish "
				  "within %u s (--timeout): it was running "
				  "Lua, not waiting", t->conf->timeout_s);
	else
		(void)re_snprintf(msg, sizeof(msg), "%s", why);

	runner_point(t, false, late ? "test finished in time" :
		     "the test waits before its instruction budget runs out",
		     diag, at && *at ? 2 : 1);
	t->errored = !late;
}


/* A shared state's call runs its test function in the thread it has
 * (begin): a second thread for it was about 0.9 KB of every call in
 * progress. Once the function is over (returned, raised, stopped, or
 * given up waiting), what runs after it -- an error's text, the rules --
 * runs in a new thread at rest, as in a test of its own state; the new
 * thread's stack holds the old one (and its declaration) until the
 * grave. */
static void thread_split(struct test *t)
{
	lua_State *S = t->shared, *L;

	if (!S || !t->co || t->L != t->co)
		return;

	L = lua_newthread(S);
	*(struct test **)lua_getextraspace(L) = t;
	lua_rawgeti(S, LUA_REGISTRYINDEX, t->shared_ref);
	lua_xmove(S, L, 1);
	luaL_unref(S, LUA_REGISTRYINDEX, t->shared_ref);
	t->shared_ref = luaL_ref(S, LUA_REGISTRYINDEX);
	t->L = L;
}


static void resume(struct test *t, int nargs)
{
	lua_State *watched;
	int nres = 0;
	int status;

	/* a fresh budget between two waits */
	watched = sandbox_enter(t->co);
	t->resumed_ms = clock_mono_ms();
	current = t;
	/* no thread resumes its own self: a shared state's call runs in
	 * its one thread (begin), resumed from the loop */
	status = lua_resume(t->co, t->L != t->co ? t->L : NULL, nargs,
			    &nres);
	current = NULL;
	sandbox_leave(t->co, watched);
	/* (out of memory: split once the thread let go, out_of_memory) */
	if (status != LUA_ERRMEM && (status != LUA_YIELD || !t->waiting_for))
		thread_split(t);

	if (status == LUA_ERRMEM) {
		runner_error(t, t->co, status);
	}
	else if (status != LUA_OK && sandbox_stopped(t->co, NULL)) {
		/* yielded out by the guard, or its error went all the way
		 * up (raised where no yield was possible) */
		stopped(t);
	}
	else if (status == LUA_YIELD) {
		lua_pop(t->co, nres);
		if (t->waiting_for)
			return;

		/* a yield that no siptap wait asked for would stall */
		lua_pushliteral(t->co, "coroutine.yield() from a test "
				"function: waits go through t, call and "
				"invitation methods");
		runner_error(t, t->co, LUA_ERRRUN);
	}
	else if (status != LUA_OK) {
		runner_error(t, t->co, status);
	}
	else {
		t->co_ok = true;
	}

	finish(t);
}


static void wake_handler(void *arg)
{
	struct test *t = arg;

	if (!t->done && t->waiting_for)
		resume(t, 0);
}


static void wire_handler(const struct wire_msg *wm, void *arg)
{
	struct test *t = arg;

	(void)wm;
	if (!t->done && t->waiting_for)
		soon(&t->wake_le, t);
}


static void wait_tmr_handler(void *arg)
{
	struct test *t = arg;

	t->wait_expired = true;
	wake_handler(t);
}


/* A wait may yield only the test's own coroutine: from a coroutine the
 * scenario made, the yield would go to its coroutine.resume and the wait
 * would not wait. The misuse is a failing point at once (a scenario
 * that ignores what coroutine.resume returns still fails) and an error
 * (runner_error knows it by REPORTED_KEY and does not count it twice). */
static void wait_here(lua_State *L, struct test *t, const char *fn)
{
	const char *why;
	char at[256];

	if (!t)
		t = runner_test(L);
	if (L == t->co && lua_isyieldable(L))
		return;

	if (L != t->co)
		why = "must be called from the test function itself, not "
			"from a coroutine it created";
	else
		why = "cannot wait here: it is called from a function that C "
			"calls (a metamethod, a table.sort comparator, a "
			"string.gsub replacement)";

	(void)runner_where(L, at, sizeof(at));
	lua_pushfstring(L, "%s %s", fn, why);
	runner_point(t, false, "scenario raised an error",
		     (struct tap_diag[]){{"message", lua_tostring(L, -1), 0},
					 {"at", at, 0}}, 2);
	lua_pushfstring(L, "%s: %s", at, lua_tostring(L, -1));
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, REPORTED_KEY);
	lua_error(L);
}


/* Raises unless method fn may wait here: for a method that sends
 * before it waits, so that nothing goes out when it cannot wait. */
void runner_wait_allowed(lua_State *L, const char *fn)
{
	wait_here(L, NULL, fn);
}


/* Starts a wait of method fn (for errors) for what (kept as long as the
 * wait: the timeout point names it) */
void runner_wait_begin(lua_State *L, const char *fn, const char *what,
		       uint32_t timeout_ms)
{
	struct test *t = runner_test(L);

	wait_here(L, t, fn);
	t->waiting_for  = what;
	t->wait_expired = false;
	tmr_start(&t->wait_tmr, timeout_ms, wait_tmr_handler, t);
}


bool runner_wait_expired(struct test *t)
{
	return t->wait_expired;
}


void runner_wait_end(struct test *t)
{
	t->waiting_for  = NULL;
	t->wait_expired = false;
	tmr_cancel(&t->wait_tmr);
}


int runner_yield(lua_State *L, lua_KContext ctx, lua_KFunction k)
{
	struct test *t = runner_test(L);

	if (L != t->co) {
		runner_wait_end(t);
		wait_here(L, t, "a siptap wait");
	}

	return lua_yieldk(L, 0, ctx, k);
}


/* Why a wait may have come to nothing: the messages siptap's UAC or UAS
 * (role, an enum wire_role; -1: either) got and could not decode ("; the
 * peer sent 1 message siptap could not decode (P-WIRE-1): header line 3
 * has no colon: 'Bad'"), or "". */
const char *runner_undecodable(const struct test *t, int role)
{
	static char why[384];
	const struct wire_msg *first = NULL;
	unsigned n = 0;
	struct le *le;

	why[0] = '\0';
	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;

		if (wm->tx || wm->role == WIRE_PEER || wm->mirror ||
		    !wm->b->why || (role >= 0 && (int)wm->role != role))
			continue;
		if (!first)
			first = wm;
		++n;
	}
	if (first)
		(void)re_snprintf(why, sizeof(why), "; the peer sent %u "
				  "message%s siptap could not decode "
				  "(P-WIRE-1): %s", n, n == 1 ? "" : "s",
				  first->b->why);

	return why;
}


static void timeout_handler(void *arg)
{
	struct test *t = arg;
	char msg[640], at[256] = "";
	struct tap_diag diag[3] = {
		{"message", msg, 0},
		{"waiting_for", t->waiting_for ? t->waiting_for : "nothing",
		 0},
		{"at", at, 0},
	};

	(void)re_snprintf(msg, sizeof(msg), "the test did not finish within "
			  "%u s (--timeout)%s", t->conf->timeout_s,
			  t->waiting_for ? runner_undecodable(t, -1) : "");
	if (t->waiting_for)
		(void)runner_where(t->co, at, sizeof(at));
	runner_point(t, false, "test finished in time", diag, *at ? 3 : 2);
	finish(t);
}


/* --- errors ------------------------------------------------------------ */

enum { SHOWN_ENTRIES = 8, ENTRY_SZ = 96 };

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}


/* One value of an error table, short: strings quoted and cut, tables
 * not opened. */
static void entry_value(lua_State *L, int idx, char *buf, size_t sz)
{
	size_t len;
	const char *s;

	switch (lua_type(L, idx)) {

	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		(void)re_snprintf(buf, sz, "\"%b%s\"", s, min(len, 40),
				  len > 40 ? "..." : "");
		break;

	case LUA_TNUMBER:
	case LUA_TBOOLEAN:
		(void)re_snprintf(buf, sz, "%s", luaL_tolstring(L, idx, NULL));
		lua_pop(L, 1);
		break;

	case LUA_TTABLE:
		(void)re_snprintf(buf, sz, "{...}");
		break;

	default:
		(void)re_snprintf(buf, sz, "(%s)", luaL_typename(L, idx));
		break;
	}
}


/* A table raised as an error, without __tostring, pushed as text: its
 * first entries, sorted, so that the same table reads the same on every
 * run. */
static void table_text(lua_State *L, int tbl)
{
	char entries[SHOWN_ENTRIES][ENTRY_SZ], key[ENTRY_SZ], val[ENTRY_SZ];
	char more[48] = "";
	size_t n = 0, total = 0, i;
	luaL_Buffer b;

	lua_pushnil(L);
	while (lua_next(L, tbl)) {
		if (n < SHOWN_ENTRIES) {
			const bool named = lua_type(L, -2) == LUA_TSTRING;

			entry_value(L, -2, key, sizeof(key));
			entry_value(L, -1, val, sizeof(val));
			(void)re_snprintf(entries[n++], ENTRY_SZ,
					  named ? "%s = %s" : "[%s] = %s",
					  named ? lua_tostring(L, -2) : key,
					  val);
		}
		++total;
		lua_pop(L, 1);
	}
	qsort(entries, n, ENTRY_SZ, entry_cmp);
	if (total > n)
		(void)re_snprintf(more, sizeof(more), ", ... (%zu entries)",
				  total);

	luaL_buffinit(L, &b);
	luaL_addchar(&b, '{');
	for (i = 0; i < n; i++) {
		if (i)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, entries[i]);
	}
	luaL_addstring(&b, more);
	luaL_addchar(&b, '}');
	luaL_pushresult(&b);
}


/* The text of an error value that is not a string: a table by its
 * __tostring when it has one (its own message), else by its entries;
 * anything else by tostring, its type named. Run protected: __tostring
 * is the scenario's code. */
static int error_text(lua_State *L)
{
	lua_settop(L, 1);
	if (luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL) {
		luaL_tolstring(L, 1, NULL);
		return 1;
	}

	lua_pushfstring(L, "error value (%s)", luaL_typename(L, 1));
	if (lua_type(L, 1) == LUA_TTABLE)
		table_text(L, 1);
	else if (!lua_isnil(L, 1))
		luaL_tolstring(L, 1, NULL);
	else
		return 1;
	lua_pushliteral(L, ": ");
	lua_insert(L, -2);
	lua_concat(L, 3);

	return 1;
}


/* Replaces the error value on top of co by its text and returns it. */
static const char *error_message(struct test *t, lua_State *co)
{
	lua_State *L = t->L;
	int status;

	if (lua_type(co, -1) == LUA_TSTRING)
		return lua_tostring(co, -1);

	/* co may be a dead coroutine: no calls there, the text is made in
	 * the test's main thread */
	lua_checkstack(L, 4);
	lua_pushcfunction(L, error_text);
	if (co == L)
		lua_insert(L, -2);
	else
		lua_xmove(co, L, 1);
	sandbox_budget(L);
	status = lua_pcall(L, 1, 1, 0);
	/* out of memory, Lua's own "not enough memory" stays: making
	 * another string could fail outside protection */
	if ((status != LUA_OK && status != LUA_ERRMEM) ||
	    !lua_isstring(L, -1)) {
		lua_pop(L, 1);
		lua_pushliteral(L, "error value (a table whose __tostring "
				"raised an error or returned no string)");
	}
	lua_xmove(L, co, 1);

	return lua_tostring(co, -1);
}


/* "file:line" from a message that starts as luaL_error starts it, when
 * it is the scenario file's (whose front short_src may cut to "...") or
 * another Lua file's. */
static bool message_where(const struct test *t, const char *msg, char *at,
			  size_t sz)
{
	const size_t flen = strlen(t->file);
	const char *colon, *d;
	size_t slen;

	for (colon = strchr(msg, ':'); colon; colon = strchr(colon + 1, ':')) {
		if (memchr(msg, '\n', (size_t)(colon - msg)))
			return false;
		for (d = colon + 1; *d >= '0' && *d <= '9'; d++)
			;
		if (d > colon + 1 && *d == ':')
			break;
	}
	if (!colon)
		return false;

	slen = (size_t)(colon - msg);
	if ((slen == flen && !strncmp(msg, t->file, flen)) ||
	    (slen > 3 && !strncmp(msg, "...", 3) && slen - 3 <= flen &&
	     !strncmp(t->file + flen - (slen - 3), msg + 3, slen - 3))) {
		(void)re_snprintf(at, sz, "%s:%b", t->file, colon + 1,
				  (size_t)(d - colon - 1));
		return true;
	}
	if (slen > 4 && !strncmp(colon - 4, ".lua", 4)) {
		(void)re_snprintf(at, sz, "%b", msg, (size_t)(d - msg));
		return true;
	}

	return false;
}


/* True when the error on top of co is one wait_here made a point of
 * (coroutine.wrap puts its own "file:line: " in front). */
static bool reported(lua_State *co)
{
	size_t mlen, rlen;
	const char *msg, *rep;
	bool same;

	if (lua_type(co, -1) != LUA_TSTRING)
		return false;

	lua_getfield(co, LUA_REGISTRYINDEX, REPORTED_KEY);
	msg = lua_tolstring(co, -2, &mlen);
	rep = lua_tolstring(co, -1, &rlen);
	same = rep && mlen >= rlen && !memcmp(msg + mlen - rlen, rep, rlen);
	lua_pop(co, 1);

	return same;
}


/* At the allocator cap: free what the test held before anything else
 * needs memory, and build no traceback. A coroutine that raised keeps
 * its frames, and their locals with them (the table that filled the
 * state): unwound first (lua_resetthread). Only then is the thread of
 * a shared state's call split off (thread_split() makes a thread: at
 * the cap, outside any protection, Lua's panic ended the siptap load
 * worker with every call it had). */
static void out_of_memory(struct test *t, lua_State *co, const char *at)
{
	struct tap_diag d[2] = {
		{"message", "not enough memory: the test went over siptap's "
		 "256 MB per test", 0},
		{"at", at, 0},
	};

	t->out_of_memory = true;
	if (lua_status(co) != LUA_OK && lua_status(co) != LUA_YIELD)
		(void)lua_resetthread(co);
	lua_settop(co, 0);
	if (!t->shared) {
		lua_pushnil(t->L);
		lua_setfield(t->L, LUA_REGISTRYINDEX, "siptap.co");
	}
	lua_gc(t->L, LUA_GCCOLLECT);
	thread_split(t);
	runner_point(t, false, "scenario raised an error", d, *at ? 2 : 1);
	t->errored = true;
}


/* A Lua error ends the test as one not-ok point with the message (any
 * value, as text), the scenario line it happened at and the traceback. */
void runner_error(struct test *t, lua_State *co, int status)
{
	struct tap_diag diag[3];
	char at[256] = "", msg_at[256];
	const char *msg, *tb;
	size_t n = 0, msgl, tbl;

	/* the innermost scenario line: for a message that has none (one
	 * raised in the siptap library, error(value), error(s, 0)) */
	if (co == t->co)
		(void)runner_where(co, at, sizeof(at));

	if (status == LUA_ERRMEM) {
		out_of_memory(t, co, at);
		return;
	}
	thread_split(t);
	/* runner_skip()'s own error, not one raised after a pcall
	 * swallowed it: no failure */
	if (t->skipped && co == t->co && lua_type(co, -1) == LUA_TSTRING &&
	    !strcmp(lua_tostring(co, -1), t->skipped)) {
		lua_pop(co, 1);
		return;
	}
	if (reported(co)) {
		t->errored = true;
		lua_pop(co, 1);
		return;
	}

	msg = error_message(t, co);
	msgl = lua_rawlen(co, -1);   /* a NUL inside does not end it */
	if (message_where(t, msg, msg_at, sizeof(msg_at)) &&
	    (!*at || !strncmp(msg_at, t->file, strlen(t->file))))
		str_ncpy(at, msg_at, sizeof(at));

	/* the message, then the traceback: luaL_traceback() would take
	 * the message as a C string */
	lua_pushvalue(co, -1);
	lua_pushliteral(co, "\n");
	luaL_traceback(co, co, NULL, 0);
	lua_concat(co, 3);

	diag[n++] = (struct tap_diag){"message", msg, msgl};
	if (*at)
		diag[n++] = (struct tap_diag){"at", at, 0};
	tb = lua_tolstring(co, -1, &tbl);
	diag[n++] = (struct tap_diag){"traceback", tb, tbl};

	runner_point(t, false, "scenario raised an error", diag, n);
	t->errored = true;
	lua_pop(co, 2);
}


/* --- the test's world -------------------------------------------------- */

enum {
	SIP_HASH_SIZE = 1,
	RULES_TIME_S  = 10,   /**< for the rules after a test */
};

/* A TCP listener on laddr's address (port 0: any free port) */
static int tcp_add(struct sip *sip, const struct sa *laddr,
		   struct sa *tcp_addr)
{
	struct sa a = *laddr;
	int err;

	err = sip_transp_add(sip, SIP_TRANSP_TCP, &a);
	if (!err && tcp_addr)
		err = sip_transp_laddr(sip, tcp_addr, SIP_TRANSP_TCP, &a);

	return err;
}


/* UDP on laddr (port 0: any free port), TCP (when tcp) on the same port
 * number (any, if taken), and TLS on any port when there is a TLS
 * context. laddr comes back with the UDP port; tls_addr with the TLS
 * one. */
static int transports_add(struct sip *sip, struct sa *laddr, bool tcp,
			  struct tls *tls, struct sa *tcp_addr,
			  struct sa *tls_addr)
{
	const bool fixed = sa_port(laddr) != 0;
	struct sa a;
	int err;

	err = sip_transp_add(sip, SIP_TRANSP_UDP, laddr);
	if (!err)
		err = sip_transp_laddr(sip, laddr, SIP_TRANSP_UDP, laddr);
	if (err)
		return err;

	/* TCP on the UDP port number when it was asked for (--uas-listen:
	 * a proxy forwards TCP there too); else any free port, found by
	 * the kernel rather than by a failing bind */
	a = *laddr;
	if (!fixed)
		sa_set_port(&a, 0);
	if (tcp || fixed) {
		err = tcp_add(sip, &a, tcp_addr);
		if (err)
			return err;
	}

	if (!tls)
		return 0;

	a = *laddr;
	sa_set_port(&a, 0);
	err = sip_transp_add(sip, SIP_TRANSP_TLS, &a, tls);
	if (!err && tls_addr)
		err = sip_transp_laddr(sip, tls_addr, SIP_TRANSP_TLS, &a);

	return err;
}


/* Tests under way, for a loss found at one of their sockets. */
static struct list worlds;
static size_t worlds_n;       /* how many */

/* The same tests by the port numbers their UAC and UAS listen on: with
 * many at once (siptap load) a datagram finds its test here instead of
 * by a walk over all of them, which grew with the calls in progress. */
static struct hash *world_ports;

enum { WORLD_PORTS_BUCKETS = 4096 };


/* siptap's own lateness: a busy machine runs this loop late, and every
 * time siptap stamps or sends is late with it. A tick every LAG_TICK_MS
 * while tests run; how late it fired is charged to each of them, so a
 * timing check can tell its own lateness from the peer's (t:late()). */
enum { LAG_TICK_MS = 10, LAG_NOTE_MS = 5 };
static struct tmr lag_tmr;
static uint64_t lag_due;


static void lag_handler(void *arg)
{
	const uint64_t now = clock_mono_ms();
	const uint64_t late = now > lag_due ? now - lag_due : 0;
	struct le *le;

	(void)arg;
	/* a test's record of it is made the first time (most never need
	 * it), and grows with the spans it holds */
	for (le = list_head(&worlds); late >= LAG_NOTE_MS && le;
	     le = le->next) {
		struct test *t = le->data;

		if (!t->wire)
			continue;
		if (!t->late)
			t->late = late_alloc();
		late_add(t->late, wire_now(t->wire) / 1000, late);
	}
	if (list_isempty(&worlds))
		return;
	lag_due = now + LAG_TICK_MS;
	tmr_start(&lag_tmr, LAG_TICK_MS, lag_handler, NULL);
}


static void lag_watch(void)
{
	if (tmr_isrunning(&lag_tmr))
		return;
	lag_due = clock_mono_ms() + LAG_TICK_MS;
	tmr_start(&lag_tmr, LAG_TICK_MS, lag_handler, NULL);
}


static void world_lost(struct test *t, const char *why)
{
	struct tap_diag diag = {"message", why, 0};

	t->lost = true;
	runner_point(t, false, "siptap lost no message (harness error, not "
		     "the peer's fault)", &diag, 1);
}


static bool world_role(const struct test *t, enum sip_transp tp,
		       const struct sa *laddr, enum wire_role *role);
static struct test *world_listener(enum sip_transp tp,
				   const struct sa *laddr,
				   enum wire_role *role);
static bool world_callid(const struct sa *laddr, const struct pl *callid);


/* sizes_loss_h: a message siptap could not take or send is the
 * harness's failure, in the test whose socket it was (found as the raw
 * wire finds it: by transport and address). */
static void world_loss(enum sip_transp tp, const struct sa *laddr,
		       const char *why)
{
	enum wire_role role;
	struct test *t;
	struct le *le;

	t = world_listener(tp, laddr, &role);
	if (t && !t->done) {
		world_lost(t, why);
		return;
	}

	for (le = worlds.head; le; le = le->next) {
		t = le->data;

		if (!t->done && world_role(t, tp, laddr, &role)) {
			world_lost(t, why);
			return;
		}
	}

	re_fprintf(stderr, "siptap: %s\n", why);
}


/* The role of the test's endpoint listening at laddr, if it is one */
static bool world_listens(const struct test *t, enum sip_transp tp,
			  const struct sa *laddr, enum wire_role *role)
{
	/* by transport too: a UDP port of one test may be the TCP port of
	 * another's listener at the same time */
	const struct sa *uac = tp == SIP_TRANSP_UDP ? &t->uac_addr :
		tp == SIP_TRANSP_TCP ? &t->uac_tcp_addr : NULL;
	const struct sa *uas = tp == SIP_TRANSP_UDP ? &t->uas_addr :
		tp == SIP_TRANSP_TCP ? &t->uas_tcp_addr : &t->uas_tls_addr;

	if ((tp == SIP_TRANSP_WS || tp == SIP_TRANSP_WSS) &&
	    sa_cmp(&t->uac_ws_addr, laddr, SA_ALL)) {
		*role = WIRE_UAC;
		return true;
	}
	if (uac && sa_cmp(uac, laddr, SA_ALL)) {
		*role = WIRE_UAC;
		return true;
	}
	if (sa_cmp(uas, laddr, SA_ALL)) {
		*role = WIRE_UAS;
		return true;
	}

	return false;
}


struct world_match {
	enum sip_transp tp;
	const struct sa *laddr;
	enum wire_role role;
};


static bool world_port_cmp(struct le *le, void *arg)
{
	struct world_match *m = arg;

	return world_listens(le->data, m->tp, m->laddr, &m->role);
}


/* The test listening at laddr, by its port number: NULL when none
 * does (a connection's own local address is not in the table). */
static struct test *world_listener(enum sip_transp tp,
				   const struct sa *laddr,
				   enum wire_role *role)
{
	struct world_match m = {tp, laddr, WIRE_UAC};
	struct le *le;

	le = hash_lookup(world_ports, sa_port(laddr), world_port_cmp, &m);
	if (!le)
		return NULL;
	*role = m.role;

	return le->data;
}


/* Files the test's listening ports (those that are set) */
static void world_ports_add(struct test *t)
{
	const struct sa *a[4] = {&t->uac_addr, &t->uac_tcp_addr,
				 &t->uas_addr, &t->uas_tcp_addr};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!sa_port(a[i]) || t->port_le[i].list)
			continue;
		hash_append(world_ports, sa_port(a[i]), &t->port_le[i], t);
	}
}


/* The role of the test's endpoint at laddr: a listening address, or
 * the local end of a connection its UAC or UAS sent on (libre traced
 * its first message with that source; a connection accepted by the UAS
 * is at one of the UAS's listening addresses). */
static bool world_role(const struct test *t, enum sip_transp tp,
		       const struct sa *laddr, enum wire_role *role)
{
	struct le *le;

	if (world_listens(t, tp, laddr, role))
		return true;

	/* a connection the test's UAC opened: its first message, sent,
	 * has the connection's local address */
	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;

		if (wm->role != WIRE_PEER && wm->tp == tp &&
		    sa_cmp(wm->tx ? &wm->b->src : &wm->b->dst, laddr,
			   SA_ALL)) {
			*role = wm->role;
			return true;
		}
	}

	return false;
}


/* sizes_link_h: a datagram to a test's UAC or UAS, through the test's
 * impaired link (link.h) */
static bool world_link(const struct sa *laddr, const struct sa *paddr,
		       struct mbuf *mb)
{
	enum wire_role role;
	struct test *t;
	struct le *le;

	t = world_listener(SIP_TRANSP_UDP, laddr, &role);
	if (t)
		return link_recv(t->link, role, laddr, paddr, mb);

	for (le = worlds.head; le; le = le->next) {
		t = le->data;

		if (world_role(t, SIP_TRANSP_UDP, laddr, &role))
			return link_recv(t->link, role, laddr, paddr, mb);
	}

	return false;
}


/* sizes_known_h: a datagram to a test's UAC or UAS whose bytes its
 * wire holds decoded (the test's other endpoint sent them) */
static bool world_known(const struct sa *laddr, const uint8_t *p,
			size_t len)
{
	enum wire_role role;
	struct test *t = world_listener(SIP_TRANSP_UDP, laddr, &role);

	return t && wire_decoded(t->wire, p, len);
}


/* sizes_raw_h: what a socket of a test's UAC or UAS got, on its wire
 * as it came, before libre parses it. */
static void world_raw(const struct sa *laddr, const struct sa *paddr,
		      enum sip_transp tp, const uint8_t *p, size_t len,
		      const char *why)
{
	enum wire_role role;
	struct test *t;
	struct le *le;

	/* the listening addresses of every test first (by port, then the
	 * ones not filed there, a WebSocket edge's): one test's wire is
	 * read only when no test listens there (with many tests at once,
	 * siptap load, reading them all was most of the work) */
	t = world_listener(tp, laddr, &role);
	if (t) {
		(void)wire_recv(t->wire, role, tp, paddr, laddr, p, len, why);
		return;
	}
	for (le = worlds.head; le; le = le->next) {
		t = le->data;

		if (world_listens(t, tp, laddr, &role)) {
			(void)wire_recv(t->wire, role, tp, paddr, laddr, p,
					len, why);
			return;
		}
	}
	for (le = worlds.head; le; le = le->next) {
		t = le->data;

		if (world_role(t, tp, laddr, &role)) {
			(void)wire_recv(t->wire, role, tp, paddr, laddr, p,
					len, why);
			return;
		}
	}
}


/* Once the test is over, before the rules: datagrams the kernel
 * dropped at the test's own UDP sockets. The rules would read a wire
 * with holes and blame the peer, so they do not run after a loss. */
static void world_losses(struct test *t)
{
	static const char *const who[2] = {"UAC", "UAS"};
	char why[256];
	unsigned i, n;

	for (i = 0; i < 2; i++) {
		n = sizes_udp_drops(t->udp_watch[i]);
		if (!n)
			continue;
		(void)re_snprintf(why, sizeof(why), "the kernel dropped %u "
				  "datagram%s to siptap's %s at %J: its "
				  "receive buffer was full, and siptap never "
				  "read %s", n, n == 1 ? "" : "s", who[i],
				  i ? &t->uas_addr : &t->uac_addr,
				  n == 1 ? "it" : "them");
		world_lost(t, why);
	}

	if (t->lost)
		(void)tap_comment(t->out, 1, "the rules were not checked: "
				  "siptap lost messages of this test");
}


/* Whether a test's endpoints listen on TCP from the start: when its
 * transport is not UDP, or someone else may choose TCP to reach them (a
 * proxy, a remote UAS or its agent, a fixed --uas-listen address).
 * Between siptap's own UAC and UAS over UDP only the test's peer sends
 * over TCP, and t:peer() makes the listeners (runner_tcp_listen): two
 * sockets fewer a call, a tenth of siptap load's kernel time. */
static bool tcp_at_start(const struct run_conf *conf)
{
	return conf->transport != SIP_TRANSP_UDP ||
		sa_isset(&conf->proxy, SA_ADDR) ||
		sa_isset(&conf->uas_listen, SA_ADDR) ||
		sa_isset(&conf->target, SA_ADDR) ||
		sa_isset(&conf->agent, SA_ADDR);
}


static int endpoint(struct test *t, struct sip **sipp, enum wire_role role,
		    struct sa *laddr, struct tls *tls, struct sa *tcp_addr,
		    struct sa *tls_addr)
{
	struct wire_port *port = NULL;
	struct sip *sip = NULL;
	int err;

	err = wire_port_alloc(&port, t->wire, role);
	if (err)
		return err;

	/* the port is the trace handler's arg; the wire owns it. A test
	 * has a few transactions and connections at a time: a table of
	 * one bucket (a list) each is enough, and under siptap load its
	 * six tables of two instances are memory of every call (four
	 * buckets each were about 400 bytes a call more) */
	err = sip_alloc(&sip, NULL, SIP_HASH_SIZE, SIP_HASH_SIZE,
			SIP_HASH_SIZE, NULL, NULL, port);
	if (err)
		return err;
	sip_set_trace_handler(sip, wire_trace);
	*sipp = sip;

	/* siptap load: its UDP socket one an ended call gave back, and
	 * given back in its turn (world_free) */
	sizes_udp_pool(t->shared != NULL);
	err = transports_add(sip, laddr, tcp_at_start(t->conf), tls,
			     tcp_addr, tls_addr);
	/* datagrams to it paced, and its drops counted (sizes.c) */
	if (!err)
		err = sizes_udp_watch(&t->udp_watch[role], laddr);
	sizes_udp_pool(false);

	return err;
}


/* TLS contexts: the UAS's with the certificate, the UAC's without
 * (siptap does not verify the peer: it is the thing under test). */
static int tls_make(struct test *t)
{
	int err;

	if (!t->conf->tls_cert)
		return 0;

	err = tls_alloc(&t->uas_tls, TLS_METHOD_SSLV23, t->conf->tls_cert,
			NULL);
	if (err)
		return err;

	return tls_alloc(&t->uac_tls, TLS_METHOD_SSLV23, NULL, NULL);
}


static bool is_ws(enum sip_transp tp)
{
	return tp == SIP_TRANSP_WS || tp == SIP_TRANSP_WSS;
}


/* --transport ws|wss: the UAC is a WebSocket edge (a listener the UAS
 * registers with over a connection it opens, RFC 7118); the UAS is the
 * agent's, or ours as a WebSocket client (ws_begin). Which connection a
 * test's requests go down is known once the UAS registered. */
/* The loopback address of the run's family (--ip), port 0 */
void runner_loopback(struct sa *sa, const struct run_conf *conf)
{
	sa_set_str(sa, conf && conf->af == AF_INET6 ? "::1" : "127.0.0.1", 0);
}


static int world_make_ws(struct test *t)
{
	const struct run_conf *conf = t->conf;
	struct uas_conf uconf = {conf->t1, false, conf->faults};
	struct sa laddr;
	int err;

	if (sa_isset(&conf->ws_listen, SA_ADDR))
		laddr = conf->ws_listen;
	else
		runner_loopback(&laddr, conf);

	err = ws_lsnr_add(&t->ws_lsnr, t->uac_sip, conf->transport, &laddr,
			  t->uas_tls);
	if (err)
		return err;
	t->uac_ws_addr = *ws_lsnr_addr(t->ws_lsnr);

	err = uac_alloc(&t->uac, t->uac_sip, conf->transport,
			&t->uac_ws_addr);
	if (err)
		return err;
	uac_set_ws(t->uac, &t->uac_ws_addr);

	if (sa_isset(&conf->agent, SA_ADDR))
		return 0;

	/* the UAS on the listener's loopback: its SDP names the address
	 * it is reached at */
	if (sa_isset(&conf->uas_listen, SA_ADDR))
		t->uas_addr = conf->uas_listen;
	else
		sa_set_str(&t->uas_addr, sa_af(&laddr) == AF_INET6 ? "::1" :
			   "127.0.0.1", 0);
	sa_init(&t->uas_tls_addr, sa_af(&t->uas_addr));
	err = endpoint(t, &t->uas_sip, WIRE_UAS, &t->uas_addr, t->uas_tls,
		       &t->uas_tcp_addr, &t->uas_tls_addr);
	if (err)
		return err;

	return uas_alloc(&t->uas, t->uas_sip, &uconf);
}


/* An INVITE of another test or run at the UAS (world_isolate): one
 * line in this test's TAP output, and a 481 (uas.c); never its call. */
static bool world_stray(const struct sip_msg *msg, void *arg)
{
	struct test *t = arg;
	char line[256];

	if (!uac_stray(t->uac, msg))
		return false;

	(void)re_snprintf(line, sizeof(line), "a stray INVITE of another "
			  "test or run reached the UAS (Request-URI %b, "
			  "Call-ID %b): answered 481, not this test's call",
			  msg->ruri.p, min(msg->ruri.l, (size_t)80),
			  msg->callid.p, min(msg->callid.l, (size_t)60));
	(void)tap_comment(t->out, 1, line);

	return true;
}


/* A fixed --uas-listen address (a proxy forwards to it) is every
 * test's in turn: a late INVITE of an earlier test may come to it.
 * Each test's INVITEs carry its UAC's token in the Request-URI, and
 * the UAS turns away those with another's. */
static void world_isolate(struct test *t)
{
	const struct run_conf *conf = t->conf;

	if (!t->uac || !t->uas)
		return;
	if (!sa_isset(&conf->uas_listen, SA_ADDR) &&
	    !sa_isset(&conf->proxy, SA_ADDR))
		return;
	if (!sa_isset(&conf->target, SA_ADDR))
		uac_set_token(t->uac, true);
	uas_set_stray(t->uas, world_stray, t);
}


/**
 * Makes the TCP listeners a test's UAC and UAS went without (UDP between
 * siptap's own ends, tcp_at_start): for its peer, which may send to
 * them over TCP. A no-op when they listen already.
 */
int runner_tcp_listen(struct test *t)
{
	struct sip *sip[2] = {t->uac_sip, t->uas_sip};
	const struct sa *udp[2] = {&t->uac_addr, &t->uas_addr};
	struct sa *tcp[2] = {&t->uac_tcp_addr, &t->uas_tcp_addr};
	size_t i;
	int err;

	for (i = 0; i < 2; i++) {
		struct sa a = *udp[i];

		if (!sip[i] || sa_port(tcp[i]))
			continue;
		sa_set_port(&a, 0);
		err = tcp_add(sip[i], &a, tcp[i]);
		if (err)
			return err;
	}
	world_ports_add(t);

	return 0;
}


static int world_make(struct test *t)
{
	const struct run_conf *conf = t->conf;
	struct uas_conf uconf = {conf->t1, false, conf->faults};
	const struct sa *target;
	struct sa *tls_addr = &t->uas_tls_addr;
	int err;

	sizes_init(world_loss);
	sizes_raw_handler(world_raw);
	sizes_known_handler(world_known);
	sizes_callid_handler(world_callid);
	ws_init(world_raw);
	sizes_link_handler(world_link);
	if (!world_ports &&
	    hash_alloc(&world_ports, WORLD_PORTS_BUCKETS))
		return ENOMEM;
	list_append(&worlds, &t->world_le, t);
	++worlds_n;
	lag_watch();
	/* t->late: made when the loop first runs late (lag_handler); an
	 * agent's report of its host's (l_remote.c) needs an agent */
	if (sa_isset(&conf->agent, SA_ADDR)) {
		t->remote_late = late_alloc();
		if (!t->remote_late)
			return ENOMEM;
	}

	err = wire_alloc(&t->wire, wire_handler, t);
	if (!err)
		err = link_alloc(&t->link, t->wire, conf->loss, conf->seed *
				 1000003 + hash_joaat_str(t->name));
	if (!err)
		err = tls_make(t);
	if (err)
		return err;

	/* on ::1 when the run is (--ip, or an IPv6 address it was given) */
	runner_loopback(&t->uac_addr, conf);
	err = endpoint(t, &t->uac_sip, WIRE_UAC, &t->uac_addr, t->uac_tls,
		       &t->uac_tcp_addr, NULL);
	if (err)
		return err;
	world_ports_add(t);

	if (is_ws(conf->transport))
		return world_make_ws(t);

	/* --agent: the remote UAS's address comes with the agent's answer
	 * (remote_started) */
	if (sa_isset(&conf->agent, SA_ADDR)) {
		err = uac_alloc(&t->uac, t->uac_sip, SIP_TRANSP_UDP,
				&conf->agent);
		/* edge mode: the INVITE goes to the agent's uri through the
		 * proxy, which reaches the UAS over its own connection */
		if (!err && sa_isset(&conf->proxy, SA_ADDR))
			uac_set_proxy(t->uac, &conf->proxy, conf->proxy_tp);
		if (!err)
			uac_set_t1(t->uac, conf->t1);
		return err;
	}

	/* --uas-listen: a fixed address a proxy can forward to */
	if (sa_isset(&conf->uas_listen, SA_ADDR))
		t->uas_addr = conf->uas_listen;
	else
		runner_loopback(&t->uas_addr, conf);
	sa_init(tls_addr, sa_af(&t->uas_addr));

	err = endpoint(t, &t->uas_sip, WIRE_UAS, &t->uas_addr, t->uas_tls,
		       &t->uas_tcp_addr, tls_addr);
	if (err)
		return err;
	world_ports_add(t);

	err = uas_alloc(&t->uas, t->uas_sip, &uconf);
	if (err)
		return err;

	/* --target: a remote UAS instead of ours */
	if (sa_isset(&conf->target, SA_ADDR))
		target = &conf->target;
	else if (conf->transport == SIP_TRANSP_TLS)
		target = tls_addr;
	else if (conf->transport == SIP_TRANSP_TCP)
		target = &t->uas_tcp_addr;
	else
		target = &t->uas_addr;

	err = uac_alloc(&t->uac, t->uac_sip, conf->transport, target);
	if (!err)
		uac_set_t1(t->uac, conf->t1);
	if (!err)
		err = uac_set_auth(t->uac, conf->auth_user,
				   conf->auth_password);
	if (!err && sa_isset(&conf->proxy, SA_ADDR))
		uac_set_proxy(t->uac, &conf->proxy, conf->proxy_tp);
	if (!err)
		world_isolate(t);

	return err;
}


/* Calls f with each Call-ID of the messages on the test's wire, once
 * each in a row (the same Call-ID later again: again); true when f
 * did. */
static bool world_callids(const struct test *t,
			  bool (*f)(const struct pl *id, void *arg),
			  void *arg)
{
	const struct pl *last = NULL;
	struct le *le;

	for (le = t->wire ? wire_msgs(t->wire)->head : NULL; le;
	     le = le->next) {
		const struct wire_msg *wm = le->data;
		const struct pl *id = &wm->b->head.callid;

		if (!wm->decoded || !id->l || (last && !pl_cmp(last, id)))
			continue;
		last = id;
		if (f(id, arg))
			return true;
	}

	return false;
}


static bool callid_eq(const struct pl *id, void *arg)
{
	return !pl_cmp(id, arg);
}


/* sizes_callid_h: whether the test listening at laddr has callid on
 * its wire (a socket lent again tells the call's messages from those
 * of the calls that ended) */
static bool world_callid(const struct sa *laddr, const struct pl *callid)
{
	enum wire_role role;
	struct test *t = world_listener(SIP_TRANSP_UDP, laddr, &role);

	return t && world_callids(t, callid_eq, (void *)callid);
}


static bool callid_ended(const struct pl *id, void *arg)
{
	(void)arg;
	sizes_udp_ended(id);

	return false;
}


/* The test's UDP sockets given back for later calls (siptap load:
 * sizes_udp_pool), the Call-IDs on its wire kept as those of a call
 * that ended: a late message of this test's to them is then not the
 * next tenant's (sizes.c). */
static void world_give_back(struct test *t)
{
	size_t i;

	if (t->shared)
		(void)world_callids(t, callid_ended, NULL);
	for (i = 0; i < 2; i++) {
		sizes_udp_release(t->udp_watch[i]);
		t->udp_watch[i] = NULL;
	}
}


/* Lua first (its objects hold references into the rest), then the
 * roles, then the sip instances with their transports. */
static void world_free(struct test *t)
{
	struct sip *sips[2] = {t->uac_sip, t->uas_sip};
	size_t i;

	if (t->shared) {
		/* graves_flush() let go of its Lua side and collected it */
	}
	else if (t->L) {
		sandbox_close(t->L);
	}
	t->L = t->co = NULL;

	t->ws_reg = mem_deref(t->ws_reg);
	t->ws_lsnr = mem_deref(t->ws_lsnr);
	t->late = mem_deref(t->late);
	t->remote_late = mem_deref(t->remote_late);
	t->link = mem_deref(t->link);
	t->uac = mem_deref(t->uac);
	t->uas = mem_deref(t->uas);
	t->peer = mem_deref(t->peer);
	t->agent = mem_deref(t->agent);
	t->agent_tmr = mem_deref(t->agent_tmr);
	if (list_contains(&worlds, &t->world_le)) {
		list_unlink(&t->world_le);
		--worlds_n;
	}
	for (i = 0; i < 4; i++)
		hash_unlink(&t->port_le[i]);

	world_give_back(t);
	for (i = 0; i < 2; i++) {
		if (!sips[i])
			continue;
		sip_close(sips[i], true);
		mem_deref(sips[i]);
	}
	t->uac_sip = t->uas_sip = NULL;
	sizes_sweep();
	t->wire = mem_deref(t->wire);
	t->uas_tls = mem_deref(t->uas_tls);
	t->uac_tls = mem_deref(t->uac_tls);
}


static int state_make(struct test *t)
{
	int err;

	err = sandbox_new(&t->L, t->conf->lib, t->conf->seed,
			  t->conf->allow_unsafe);
	if (!err)
		err = run_conf_push(t->L, t->conf);
	if (err)
		return err;
	sandbox_deadline(t->L, t->conf->timeout_s);

	*(struct test **)lua_getextraspace(t->L) = t;
	for (runner_open_h *const *open = t->conf->objects->openv; *open;
	     open++)
		(*open)(t->L);

	return 0;
}


/* Loads the file again in this test's own state and pushes its
 * declaration number index. */
static bool declaration_get(struct test *t)
{
	lua_State *L = t->L;
	bool same = false;
	int status;

	t->resumed_ms = clock_mono_ms();
	current = t;
	status = sandbox_load_scenario(L, t->file);
	current = NULL;
	if (status != LUA_OK) {
		runner_error(t, L, LUA_ERRRUN);
		return false;
	}

	t->conf->objects->declared(L);
	lua_rawgeti(L, -1, (lua_Integer)t->index + 1);
	lua_remove(L, -2);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "name");
		same = lua_isstring(L, -1) &&
			!strcmp(lua_tostring(L, -1), t->name);
		lua_pop(L, 1);
	}
	if (!same) {
		/* e.g. tests declared in pairs() order, which changes from
		 * one Lua state to the next */
		runner_point(t, false, "the file declares the same tests, in "
			     "the same order, each time it loads", NULL, 0);
		return false;
	}

	/* what loading left behind (the parser's work, the other tests'
	 * declarations) goes now, before the test holds its sockets and
	 * waits with the others */
	lua_gc(L, LUA_GCCOLLECT);

	return true;
}


struct memo {
	struct le le;
	char *key;
	char *val;
	size_t len;
};


static void memo_destructor(void *arg)
{
	struct memo *m = arg;

	list_unlink(&m->le);
	mem_deref(m->key);
	mem_deref(m->val);
}


/* What SIPTAP.memo keeps: the run's memory, not a test's, so it has
 * caps of its own (README, "Writing scenarios") */
enum {
	MEMO_KEY_MAX   = 256,                /* bytes of a key            */
	MEMO_VAL_MAX   = 4 * 1024 * 1024,    /* bytes of a value          */
	MEMO_TOTAL_MAX = 16 * 1024 * 1024,   /* bytes of all, keys too    */
	MEMO_COUNT_MAX = 1024,               /* keys                      */
};


/* Whether one more value of len bytes under key fits; raises if not. */
static void memo_fits(lua_State *L, size_t klen, size_t len, size_t used,
		      size_t count)
{
	if (klen > MEMO_KEY_MAX)
		luaL_error(L, "SIPTAP.memo: a key is at most %d bytes, this "
			   "one is %d", (int)MEMO_KEY_MAX, (int)klen);
	if (len > MEMO_VAL_MAX)
		luaL_error(L, "SIPTAP.memo: a value is at most %d MB, this "
			   "one is %d bytes", (int)(MEMO_VAL_MAX >> 20),
			   (int)len);
	if (count >= MEMO_COUNT_MAX)
		luaL_error(L, "SIPTAP.memo: a run keeps at most %d values",
			   (int)MEMO_COUNT_MAX);
	if (used + klen + len > MEMO_TOTAL_MAX)
		luaL_error(L, "SIPTAP.memo: a run keeps at most %d MB (keys "
			   "and values); %d bytes are kept, this one is %d",
			   (int)(MEMO_TOTAL_MAX >> 20), (int)used,
			   (int)(klen + len));
}


/* SIPTAP.memo(key) -> string or nil; SIPTAP.memo(key, string): a string
 * kept for the whole run, across the tests' Lua states. Each test loads
 * its file again; a file that computes its tests (the option matrix)
 * does the work once. The first value kept under a key stays. */
static int l_memo(lua_State *L)
{
	struct list *cache = lua_touserdata(L, lua_upvalueindex(1));
	size_t klen, len, used = 0, count = 0;
	const char *key = luaL_checklstring(L, 1, &klen);
	struct memo *m;
	struct le *le;
	const char *val;

	for (le = cache->head; le; le = le->next) {
		m = le->data;
		if (!strcmp(m->key, key)) {
			lua_pushlstring(L, m->val, m->len);
			return 1;
		}
		used += strlen(m->key) + m->len;
		++count;
	}
	if (lua_isnoneornil(L, 2))
		return 0;

	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "SIPTAP.memo: keeps strings, not a %s",
				  luaL_typename(L, 2));
	val = lua_tolstring(L, 2, &len);
	memo_fits(L, klen, len, used, count);

	m = mem_zalloc(sizeof(*m), memo_destructor);
	if (m && !str_dup(&m->key, key))
		m->val = mem_alloc(len + 1, NULL);
	if (!m || !m->val) {
		mem_deref(m);
		return luaL_error(L, "SIPTAP.memo: out of memory");
	}
	memcpy(m->val, val, len);
	m->val[len] = '\0';
	m->len = len;
	list_append(cache, &m->le, m);
	lua_pushvalue(L, 2);

	return 1;
}


void run_memo_flush(struct list *cache)
{
	list_flush(cache);
}


/* The memo's entries from the n-th on: what a file's listing, in a
 * process of its own (suite.c), hands back to the run. */
int run_memo_encode(const struct list *cache, size_t from, struct mbuf *mb)
{
	struct le *le;
	size_t i = 0;
	int err = 0;

	for (le = cache->head; le && !err; le = le->next, i++) {
		const struct memo *m = le->data;

		if (i < from)
			continue;
		err  = frame_put(mb, m->key, strlen(m->key));
		err |= frame_put(mb, m->val, m->len);
	}

	return err;
}


/* Entries as run_memo_encode() wrote them, up to the end of mb; a key
 * kept already keeps its first value. */
int run_memo_decode(struct list *cache, struct mbuf *mb)
{
	while (mbuf_get_left(mb)) {
		struct memo *m = mem_zalloc(sizeof(*m), memo_destructor);
		struct le *le;
		int err;

		if (!m)
			return ENOMEM;
		err = frame_get(mb, &m->key, NULL);
		if (!err)
			err = frame_get(mb, &m->val, &m->len);
		if (!err && (!m->key || !m->val))
			err = EPROTO;
		for (le = cache->head; !err && le; le = le->next) {
			if (!strcmp(((struct memo *)le->data)->key, m->key))
				break;
		}
		if (err || le) {
			mem_deref(m);
			if (err)
				return err;
			continue;
		}
		list_append(cache, &m->le, m);
	}

	return 0;
}


/* The global SIPTAP = {seed, t1, matrix, version}: what a scenario
 * may read of the run's settings. */
int run_conf_push(lua_State *L, const struct run_conf *conf)
{
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)conf->seed);
	lua_setfield(L, -2, "seed");
	lua_pushinteger(L, conf->t1);
	lua_setfield(L, -2, "t1");
	lua_pushstring(L, conf->matrix ? conf->matrix : "pairwise");
	lua_setfield(L, -2, "matrix");
	lua_pushstring(L, SIPTAP_VERSION);
	lua_setfield(L, -2, "version");
	if (conf->proxy_uri) {
		lua_pushstring(L, conf->proxy_uri);
		lua_setfield(L, -2, "proxy");
	}
	lua_pushboolean(L, sa_isset(&conf->target, SA_ADDR));
	lua_setfield(L, -2, "remote");
	/* --agent: scenarios that need what only the reference UAS has
	 * (t:uas{sdp = "webrtc"}, siptap's extensions) skip with the
	 * reason */
	lua_pushboolean(L, sa_isset(&conf->agent, SA_ADDR));
	lua_setfield(L, -2, "agent");
	lua_pushstring(L, sip_transp_name(conf->transport));
	lua_setfield(L, -2, "transport");
	/* siptap's own address (--ip): what its SDP and candidates name */
	lua_pushstring(L, conf->af == AF_INET6 ? "::1" : "127.0.0.1");
	lua_setfield(L, -2, "ip");
	if (conf->memo) {
		lua_pushlightuserdata(L, conf->memo);
		lua_pushcclosure(L, l_memo, 1);
		lua_setfield(L, -2, "memo");
	}
	lua_setglobal(L, "SIPTAP");

	return 0;
}


/* The rules that need no knowledge of the case (siptap.rules.general)
 * over everything the test's UAC saw, once the test is over. */
static void general_rules(struct test *t)
{
	lua_State *L = t->L;
	lua_State *watched = sandbox_enter(L);
	int base = lua_gettop(L);

	lua_pushcfunction(L, sandbox_traceback);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "siptap.rules");
	if (lua_pcall(L, 1, 1, base + 1) == LUA_OK) {
		lua_getfield(L, -1, "after");
		t->conf->objects->push_test(L, t);
		if (lua_pcall(L, 1, 0, base + 1) == LUA_OK) {
			sandbox_leave(L, watched);
			lua_settop(L, base);
			return;
		}
	}
	sandbox_leave(L, watched);
	runner_error(t, L, LUA_ERRRUN);
	lua_settop(L, base);
}


/* --pcap DIR: the test's wire as DIR/NNN.pcap (tshark reads it) */
void runner_pcap(struct test *t)
{
	char path[4096];

	(void)re_snprintf(path, sizeof(path), "%s/%03u.pcap",
			  t->conf->pcap_dir, t->num);
	if (pcapw_write(path, wire_msgs(t->wire), t->started_unix_usec))
		re_fprintf(stderr, "siptap: could not write %s\n", path);
}


/* The bytes of a message, each line indented under its summary; what
 * is no text (a peer's control bytes, bytes that are not UTF-8) as
 * \xNN, so that the log stays a text file whatever came in. */
static void raw_indented(struct mbuf *mb, const uint8_t *p, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '\n')
			continue;
		(void)mbuf_write_str(mb, "    ");
		(void)text_mbuf(mb, &text_esc_log, (const char *)p + start,
				(i > start && p[i - 1] == '\r') ?
				i - start - 1 : i - start);
		(void)mbuf_write_u8(mb, '\n');
		start = i + 1;
	}
}


/* The wire of a failed test, one line a message, for the reports. The
 * summary line holds a peer's reason phrase or Request-URI: escaped
 * too. */
static void wire_log_make(struct test *t)
{
	struct mbuf *line = mbuf_alloc(256);
	struct le *le;

	t->wire_log = mbuf_alloc(1024);
	if (!t->wire_log || !line)
		goto out;

	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;

		if (wm->mirror)   /* the same bytes as the UAC's copy */
			continue;
		mbuf_rewind(line);
		(void)mbuf_printf(line, "%H\n", wire_msg_print, wm);
		(void)text_mbuf(t->wire_log, &text_esc_log,
				(const char *)line->buf, line->end);
		raw_indented(t->wire_log, wm->b->raw->buf,
			     min(wm->b->raw->end, (size_t)4096));
	}
 out:
	mem_deref(line);
}


/* Calls of shared states (siptap load) that are over wait here for
 * their world to go. Their Lua objects must be finalized first, while
 * what they point into (the UAS's transactions, the UAC's calls) is
 * still there; a full collection of a state does that for every call
 * that ended since the last one. It is done for GRAVES_MAX calls, or
 * an eighth of the calls in progress, or GRAVES_MS after the first,
 * whichever comes first. Waiting longer with many calls in progress
 * (20 ms for each 64 of them, up to 500 ms) kept every ended call's
 * world and the rules' garbage that long, for no CPU saved: with 660
 * calls in progress (2 s holds) 26 KB a call instead of 29, CPU a call
 * the same (docs/load.md, Round 6). Until then a late message to one of
 * their sockets only goes on their wire (a test that is done is not
 * woken). */
enum { GRAVES_MAX = 16, GRAVES_MS = 20, GRAVES_STATES = 64 };

static struct list graves;
static struct tmr graves_tmr;


static void graves_flush(void *arg)
{
	lua_State *seen[GRAVES_STATES];
	size_t n = 0, i;
	struct le *le;

	(void)arg;
	tmr_cancel(&graves_tmr);
	for (le = graves.head; le; le = le->next) {
		struct test *t = le->data;

		lua_settop(t->L, 0);
		luaL_unref(t->shared, LUA_REGISTRYINDEX, t->shared_ref);
		for (i = 0; i < n && seen[i] != t->shared; i++)
			;
		if (i == n && n < GRAVES_STATES)
			seen[n++] = t->shared;
	}
	for (i = 0; i < n; i++)
		lua_gc(seen[i], LUA_GCCOLLECT);

	while ((le = graves.head)) {
		struct test *t = le->data;

		list_unlink(le);
		world_free(t);
		t->doneh(t, t->done_arg);
	}
}


static void grave_add(struct test *t)
{
	const size_t most = max((size_t)GRAVES_MAX, worlds_n / 8);

	list_append(&graves, &t->done_le, t);   /* out of the soon queue */
	if (list_count(&graves) >= most)
		graves_flush(NULL);
	else if (!tmr_isrunning(&graves_tmr))
		tmr_start(&graves_tmr, GRAVES_MS, graves_flush, NULL);
}


/* Lateness that can move a timing: said in the TAP, so that a reader
 * of a failed timing knows whose it may be (siptap's, or the host of
 * the agent's UAS, as the agent reported: not the UAS's own doing). */
static void late_note(struct test *t)
{
	const uint64_t t1 = t->agent ? t->remote_t1 : t->conf->t1;
	const uint64_t own = t->late ? t->late->max : 0;
	const uint64_t host = t->remote_late ? t->remote_late->max : 0;
	char line[256];

	if (own > t1 / 2 || (t->failed && own >= t1 / 10))
		(void)re_snprintf(line, sizeof(line), "siptap's own loop "
				  "ran up to %llu ms late in this test (the "
				  "machine is short of CPU): its times are "
				  "late by as much",
				  (unsigned long long)own);
	else
		line[0] = '\0';
	if (line[0])
		(void)tap_comment(t->out, 1, line);
	if (host > t1 / 2 || (t->failed && host >= t1 / 10)) {
		(void)re_snprintf(line, sizeof(line), "the agent's host "
				  "(%s) ran up to %llu ms late in this test, "
				  "as the agent reported: the UAS's times are "
				  "late by as much",
				  t->remote_name ? t->remote_name : "agent",
				  (unsigned long long)host);
		(void)tap_comment(t->out, 1, line);
	}
}


static void done_handler(void *arg)
{
	struct test *t = arg;

	thread_split(t);   /* timed out waiting: its thread is suspended */

	if (t->wire) {
		t->elapsed_usec = wire_now(t->wire) - t->started_usec;
		/* also after an error or a timeout: the wire so far may
		 * show why (a proxy that dropped the 180, say) */
		world_losses(t);
		if (!t->out_of_memory && !t->lost) {
			/* the test's deadline is not theirs; a shared
			 * state has none (its calls' waits time out) */
			sandbox_guard_reset(t->L, t->shared ? 0 :
					    RULES_TIME_S);
			general_rules(t);
		}
		if (!t->points && !t->skipped)
			runner_point(t, false, "the test made no assertions",
				     NULL, 0);
		late_note(t);
		/* a TODO test's failures are findings too: their wire
		 * is what a maintainer files */
		if (t->failed || t->todo_failed)
			wire_log_make(t);
		if (t->conf->pcap_dir)
			runner_pcap(t);
		if (t->endh)
			t->endh(t, wire_msgs(t->wire));
	}
	else if (!t->points) {
		runner_point(t, false, "the test could be set up", NULL, 0);
	}

	if (t->shared) {
		grave_add(t);
		return;
	}
	world_free(t);
	t->doneh(t, t->done_arg);
}


/* The test function starts as a coroutine. */
static void begin(struct test *t)
{
	/* each test its own random sequence, the same on every run with
	 * this --seed */
	lua_getglobal(t->L, "math");
	lua_getfield(t->L, -1, "randomseed");
	lua_pushinteger(t->L, (lua_Integer)(t->conf->seed + t->index + 1));
	lua_call(t->L, 1, 0);
	lua_pop(t->L, 1);

	if (t->shared && !sa_isset(&t->conf->agent, SA_ADDR)) {
		/* the call's thread is the coroutine (thread_split); not
		 * with --agent, whose modifiers run in t->L at any time */
		t->co = t->L;
		lua_getfield(t->L, -1, "fn");
	}
	else {
		t->co = lua_newthread(t->L);
		/* a new thread copies the main thread's extra space */
		*(struct test **)lua_getextraspace(t->co) = t;
		if (t->shared)   /* the registry is shared: the stack */
			lua_insert(t->L, -2);
		else
			lua_setfield(t->L, LUA_REGISTRYINDEX, "siptap.co");
		lua_getfield(t->L, -1, "fn");
		lua_xmove(t->L, t->co, 1);
	}
	t->conf->objects->push_test(t->co, t);

	t->started_usec = wire_now(t->wire);
	t->started_unix_usec = unix_usec() - t->started_usec;
	resume(t, 1);
}


/* --- remote mode (--agent) --------------------------------------------- */

/* Edge mode (--agent with --proxy): the UAS registered with the proxy
 * by its own means and is called at the uri it answered; its own
 * messages are between the proxy and it, not on our sockets. */
static int remote_take_edge(struct test *t, const struct odict *res)
{
	const char *uri = odict_string(res, "uri");
	struct uri u;
	struct pl pl;

	pl_set_str(&pl, uri ? uri : "");
	if (!uri || uri_decode(&u, &pl) || pl_strcasecmp(&u.scheme, "sip"))
		return EPROTO;

	return uac_set_uri(t->uac, uri) ? ENOMEM : 0;
}


/* What any answer to start may say: the agent's name for the reports,
 * the T1 its UAS really uses. */
static void remote_name_t1(struct test *t, const struct odict *res)
{
	const char *name = odict_string(res, "agent");
	uint64_t t1 = 0;

	t->remote_t1 = t->conf->t1;
	if (odict_get_number(res, &t1, "t1") && t1 > 0 && t1 <= 60000)
		t->remote_t1 = (uint32_t)t1;
	/* answer_ms: how long its UAS may take to answer here (a browser
	 * making its SDP on a busy machine); the default response wait
	 * grows to it (l_uac.c) */
	t1 = 0;
	t->remote_answer_ms = odict_get_number(res, &t1, "answer_ms") &&
		t1 <= 120000 ? (uint32_t)t1 : 0;
	(void)str_dup(&t->remote_name, name ? name : "agent");
}


/* The answer to start over WebSocket: {transport, uri, t1, agent}; the
 * user of uri must have registered over the test's listener. */
static int remote_take_ws(struct test *t, const struct odict *res,
			  char *why, size_t whysz)
{
	const char *uri = odict_string(res, "uri");
	char user[128];
	enum sip_transp tp;
	struct sa paddr;
	struct uri u;
	struct pl pl;
	int err;

	if (uri)
		pl_set_str(&pl, uri);
	if (!uri || uri_decode(&u, &pl) || !pl_isset(&u.user)) {
		(void)re_snprintf(why, whysz, "the agent's answer to start has "
				  "no \"uri\" sip:USER@HOST (over %s)",
				  sip_transp_name(t->conf->transport));
		return EPROTO;
	}
	(void)pl_strcpy(&u.user, user, sizeof(user));
	err = uac_ws_binding(t->uac, user, &paddr, &tp);
	if (err) {
		(void)re_snprintf(why, whysz, "no WebSocket connection to %s://"
				  "%J registered the user '%s' of the agent's "
				  "uri %s%s", t->conf->transport ==
				  SIP_TRANSP_WSS ? "wss" : "ws",
				  &t->uac_ws_addr, user, uri, err == ENOTCONN ?
				  " (the one that did is closed)" : "");
		return err;
	}

	t->uas_addr = paddr;
	uac_set_flow(t->uac, &paddr, tp);
	if (uac_set_uri(t->uac, uri))
		return ENOMEM;
	wire_mirror(t->wire, &paddr);

	return 0;
}


/* What every start answer may say of the UAS besides: offers =
 * "webrtc" (it makes its SDP with a browser's WebRTC stack). */
static void remote_identity(struct test *t, const struct odict *res)
{
	const char *offers = odict_string(res, "offers");

	remote_name_t1(t, res);
	t->remote_webrtc_only = offers && !str_casecmp(offers, "webrtc");
	/* SIPTAP.agent_webrtc: the agent's UAS has a WebRTC stack, so the
	 * scenarios that need one (a WebRTC answer) run against it */
	if (t->remote_webrtc_only) {
		if (lua_getglobal(t->L, "SIPTAP") == LUA_TTABLE) {
			lua_pushboolean(t->L, true);
			lua_setfield(t->L, -2, "agent_webrtc");
		}
		lua_pop(t->L, 1);
	}
}


/* The agent's answer to start: {host, port, t1, agent, uri}. Its UAS must
 * be on this machine: siptap sends to no other address. Edge mode: a uri
 * alone. */
static int remote_take(struct test *t, const struct odict *res)
{
	const char *host = odict_string(res, "host");
	uint64_t port = 0;
	struct sa addr;

	if (sa_isset(&t->conf->proxy, SA_ADDR))
		return remote_take_edge(t, res);

	if (!host || !odict_get_number(res, &port, "port") || !port ||
	    port > 65535 || sa_set_str(&addr, host, (uint16_t)port) ||
	    !sa_is_loopback(&addr))
		return EPROTO;

	t->uas_addr = addr;
	uac_set_flow(t->uac, &addr, SIP_TRANSP_UDP);
	if (uac_set_uri(t->uac, odict_string(res, "uri")))
		return ENOMEM;
	wire_mirror(t->wire, &addr);

	return 0;
}


/* One failing point and the test is over, wherever it waits (the
 * rules still run over its wire): what the test drives is gone. */
void runner_fail_now(struct test *t, const char *desc, const char *why)
{
	struct tap_diag diag = {"message", why, 0};

	if (t->done)
		return;
	runner_point(t, false, desc, &diag, 1);
	finish(t);
}


static void remote_failed(struct test *t, const char *why)
{
	runner_fail_now(t, "the agent set up the remote UAS", why);
}


/* Until the agent answers start, the test function waits. */
static void remote_started(struct test *t)
{
	struct odict *msg = agent_response(t->agent, t->agent_start_id);
	const struct odict_entry *res;
	char why[512];
	int err = agent_error(t->agent);

	if (!msg && !err)
		return;

	if (!msg) {
		(void)re_snprintf(why, sizeof(why), "the agent at %J: %s%s",
				  &t->conf->agent, strerror(err),
				  err == EPROTO ? " (a line that is not a "
				  "JSON-RPC message)" : "");
		remote_failed(t, why);
		return;
	}

	res = odict_get_type(msg, ODICT_OBJECT, "result");
	if (res)
		remote_identity(t, res->u.odict);
	if (!res) {
		err = EPROTO;
		(void)re_snprintf(why, sizeof(why), "the agent refused "
				  "start: %H", agent_error_print, msg);
	}
	else if (is_ws(t->conf->transport)) {
		err = remote_take_ws(t, res->u.odict, why, sizeof(why));
	}
	else if ((err = remote_take(t, res->u.odict))) {
		(void)re_snprintf(why, sizeof(why), "%s",
				  sa_isset(&t->conf->proxy, SA_ADDR) ?
				  "the agent's answer to start has no sip: "
				  "uri to call through the proxy" :
				  "the agent's answer to start has no host "
				  "and port on 127.0.0.1 or ::1");
	}
	mem_deref(msg);

	if (err)
		remote_failed(t, why);
	else
		begin(t);
}


/* Whatever the agent sent is dealt with on a loop turn of its own. */
static void agent_turn(void *arg)
{
	struct test *t = arg;

	if (t->done)
		return;

	if (!t->co) {
		remote_started(t);
		return;
	}

	t->conf->objects->serve(t);
	if (t->waiting_for)
		resume(t, 0);
}


static void agent_tmr_destructor(void *arg)
{
	tmr_cancel(arg);
}


static void agent_handler(void *arg)
{
	struct test *t = arg;

	if (!t->done)
		tmr_start(t->agent_tmr, 0, agent_turn, t);
}


/* start's params over WebSocket: the edge's url, for the agent's UA
 * to connect and REGISTER to (docs/websocket.md). */
static int ws_sip_params(char **params, const struct test *t)
{
	const bool wss = t->conf->transport == SIP_TRANSP_WSS;
	const struct sa *a = &t->uac_ws_addr;
	const bool v6 = sa_af(a) == AF_INET6;

	return re_sdprintf(params, "{\"sip\":{\"transport\":\"%s\","
			   "\"url\":\"%s://%s%j%s:%u\",\"host\":\"%j\","
			   "\"port\":%u},\"t1\":%u,\"test\":\"%H\"}",
			   wss ? "wss" : "ws", wss ? "wss" : "ws",
			   v6 ? "[" : "", a, v6 ? "]" : "", sa_port(a), a,
			   sa_port(a), t->conf->t1, utf8_encode,
			   t->name ? t->name : t->file);
}


/* One control connection per test; the agent's UAS for this test sends
 * its SIP to our UAC's UDP address. */
static int remote_start(struct test *t)
{
	char *params = NULL;
	int err;

	/* its turn comes on a timer of its own, made with it (agent_handler) */
	t->agent_tmr = mem_zalloc(sizeof(*t->agent_tmr),
				  agent_tmr_destructor);
	if (!t->agent_tmr)
		return ENOMEM;
	tmr_init(t->agent_tmr);

	err = agent_connect(&t->agent, &t->conf->agent, agent_handler, t);
	if (err)
		return err;

	if (is_ws(t->conf->transport))
		err = ws_sip_params(&params, t);
	else
		err = re_sdprintf(&params, "{\"sip\":{\"transport\":"
				  "\"udp\",\"host\":\"%j\",\"port\":%u},"
				  "\"t1\":%u,\"test\":\"%H\"}", &t->uac_addr,
				  sa_port(&t->uac_addr), t->conf->t1,
				  utf8_encode, t->name ? t->name : t->file);
	if (!err)
		err = agent_request(t->agent, &t->agent_start_id, "start",
				    params);
	mem_deref(params);

	return err;
}


/* --- the reference UAS over WebSocket ---------------------------------- */

/* ws_reg_h: the reference UAS registered (or not) over its WebSocket
 * connection; the test's requests go down that connection. */
static void ws_registered(int err, const char *why, void *arg)
{
	struct test *t = arg;
	struct tap_diag diag = {"message", why, 0};
	enum sip_transp tp;
	struct sa paddr;

	if (t->done)
		return;
	if (!err)
		err = uac_ws_binding(t->uac, "siptap", &paddr, &tp);
	if (err) {
		runner_point(t, false, "the reference UAS registered over "
			     "WebSocket", why ? &diag : NULL, why ? 1 : 0);
		finish(t);
		return;
	}

	uac_set_flow(t->uac, &paddr, tp);
	begin(t);
}


static void ws_begin(struct test *t)
{
	char why[160];
	int err;

	err = ws_register(&t->ws_reg, t->uas_sip, t->conf->transport,
			  &t->uac_ws_addr, "siptap", ws_registered, t);
	if (!err)
		return;

	(void)re_snprintf(why, sizeof(why), "could not send its REGISTER to"
			  " %J: %m", &t->uac_ws_addr, err);
	ws_registered(err, why, t);
}


/* The test's world, its timeout and its start, once its state holds
 * its declaration on top. */
static int launch(struct test *t)
{
	int err;

	err = world_make(t);
	if (err) {
		char why[160];
		struct tap_diag diag = {"message", why, 0};

		/* e.g. a fixed --ws-listen or --uas-listen in use */
		(void)re_snprintf(why, sizeof(why), "%m", err);
		runner_point(t, false, "set up the UAC and UAS on 127.0.0.1",
			     &diag, 1);
		t->wire = mem_deref(t->wire);
		finish(t);
		return 0;
	}

	tmr_start(&t->timeout_tmr, t->conf->timeout_s * 1000,
		  timeout_handler, t);

	if (!sa_isset(&t->conf->agent, SA_ADDR) &&
	    is_ws(t->conf->transport)) {
		ws_begin(t);
		return 0;
	}
	if (!sa_isset(&t->conf->agent, SA_ADDR)) {
		begin(t);
		return 0;
	}

	err = remote_start(t);
	if (err) {
		char why[256];

		(void)re_snprintf(why, sizeof(why), "the agent at %J: %s",
				  &t->conf->agent, strerror(err));
		remote_failed(t, why);
	}

	return 0;
}


/* Starts a test; doneh is called once it is over (passed, failed,
 * timed out or never set up), its points in t->out. */
int runner_start(struct test *t, runner_done_h *doneh, void *arg)
{
	int err;

	t->doneh = doneh;
	t->done_arg = arg;
	t->deadline_ms = clock_mono_ms() + (uint64_t)t->conf->timeout_s * 1000;
	t->out = mbuf_alloc(1024);
	if (!t->out)
		return ENOMEM;

	err = state_make(t);
	if (err || !declaration_get(t)) {
		finish(t);
		return 0;
	}

	return launch(t);
}


static int warm(lua_State *L)
{
	lua_getglobal(L, "require");
	lua_pushliteral(L, "siptap.rules");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "titles");   /* loads the checkers: kept */

	return 0;
}


/* What every call of a shared state needs whatever it plays, loaded
 * before the first one: siptap.rules and its checkers (kept under
 * SIPTAP.load: about 150 KB of Lua), then a full collection, so that
 * the collector paces itself from the state's real size. siptap load
 * counts memory from its loop's first turn: the first call's rules
 * loaded them, as memory of the calls in progress. A failure is left
 * to the first call's rules: they say it, as before.
 * The collector's pause: a cycle starts when the state has grown by
 * half since the last one, not doubled (Lua's 200). Calls that are
 * ended are collected by the graves' full collections; while none
 * ends (the first hold of every call), the incremental cycles alone
 * bound the calls' garbage: with 2 s holds about 1 KB a call in
 * progress less (docs/load.md, Round 9). */
enum { SHARED_GC_PAUSE = 150 };

static void shared_warm(lua_State *L)
{
	const int top = lua_gettop(L);   /* the declaration on it stays */

	lua_pushcfunction(L, warm);
	(void)lua_pcall(L, 0, 0, 0);
	lua_settop(L, top);
	lua_gc(L, LUA_GCCOLLECT);
	(void)lua_gc(L, LUA_GCINC, SHARED_GC_PAUSE, 0, 0);
}


/* The globals' __newindex in a shared state: a call sets a global that
 * was not there. The calls of a test share its file's state, globals
 * and file-level locals with it (under siptap run each test has a state
 * of its own): what one call keeps in a global, later calls see, and a
 * scenario that counts there passes one by one and fails under load.
 * Said once a state (upvalue 1), where the call set it; then set. */
static int global_new(lua_State *L)
{
	/* (lua_tostring() would turn a number key into a string key) */
	const char *key = lua_type(L, 2) == LUA_TSTRING ?
		lua_tostring(L, 2) : NULL;
	char at[256];

	if (runner_test(L) && !lua_toboolean(L, lua_upvalueindex(1))) {
		lua_pushboolean(L, 1);
		lua_replace(L, lua_upvalueindex(1));
		(void)runner_where(L, at, sizeof(at));
		/* one line: a key of _G[...] may be any text */
		if (!key || strlen(key) > 64 ||
		    key[strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
			       "KLMNOPQRSTUVWXYZ0123456789_")])
			key = "(a key that is no name)";
		re_fprintf(stderr, "siptap: load: warning: %s: a call sets "
			   "the global '%s': the calls of a test share its "
			   "file's globals (one Lua state a test and worker), "
			   "so later calls see it; keep what is a call's own "
			   "in locals (docs/load.md)\n", at, key);
	}
	lua_settop(L, 3);
	lua_rawset(L, 1);

	return 0;
}


/* The watch of global_new() on the globals, unless the file gave them
 * a metatable of its own */
static void globals_watch(lua_State *L)
{
	lua_pushglobaltable(L);
	if (!lua_getmetatable(L, -1)) {
		lua_createtable(L, 0, 1);
		lua_pushboolean(L, 0);
		lua_pushcclosure(L, global_new, 1);
		lua_setfield(L, -2, "__newindex");
		lua_setmetatable(L, -2);
	}
	else {
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}


/* A state for many calls of one test (siptap load): made and its file
 * loaded once, the test's declaration left on its stack, no deadline
 * (each call's waits have their own). tmpl names the test; a file that
 * does not load leaves its failing point in tmpl->out. 0, or an error
 * with tmpl->L closed. */
int runner_shared_load(struct test *tmpl)
{
	int err;

	tmpl->out = mbuf_alloc(512);
	if (!tmpl->out)
		return ENOMEM;
	err = state_make(tmpl);
	if (!err && !declaration_get(tmpl))
		err = EINVAL;
	if (err) {
		sandbox_close(tmpl->L);
		tmpl->L = NULL;
		return err;
	}
	sandbox_deadline(tmpl->L, 0);
	*(struct test **)lua_getextraspace(tmpl->L) = NULL;

	/* SIPTAP.load: the state plays many calls (siptap.rules keeps its
	 * checkers loaded between them) */
	if (lua_getglobal(tmpl->L, "SIPTAP") == LUA_TTABLE) {
		lua_pushboolean(tmpl->L, 1);
		lua_setfield(tmpl->L, -2, "load");
	}
	lua_pop(tmpl->L, 1);
	shared_warm(tmpl->L);
	globals_watch(tmpl->L);

	/* its calls' UDP sockets given back and lent again (world_free) */
	return sizes_udp_pool_init();
}


/* A call of the test whose shared state S runner_shared_load() made: a
 * thread of S of its own (anchored in S's registry until world_free),
 * its coroutine in that; no new state, nothing compiled again. */
int runner_start_shared(struct test *t, lua_State *S, runner_done_h *doneh,
			void *arg)
{
	t->doneh = doneh;
	t->done_arg = arg;
	t->deadline_ms = clock_mono_ms() + (uint64_t)t->conf->timeout_s * 1000;
	/* small, grown as points come: a call holds it all its life, and
	 * most of its points come at its end, from the rules */
	t->out = mbuf_alloc(128);
	if (!t->out)
		return ENOMEM;

	t->L = lua_newthread(S);
	t->shared = S;
	t->shared_ref = luaL_ref(S, LUA_REGISTRYINDEX);
	*(struct test **)lua_getextraspace(t->L) = t;
	lua_pushvalue(S, -1);        /* the declaration, kept on S's top */
	lua_xmove(S, t->L, 1);

	return launch(t);
}
