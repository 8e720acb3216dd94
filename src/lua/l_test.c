/**
 * @file l_test.c  test() and the t object: assertions, waits, the roles
 *
 * A scenario file calls test(name, [opts,] fn) at its top level; the
 * runner later calls fn(t) as a coroutine. Each assertion on t is one
 * TAP test point of the test's subtest; a failure carries a YAML block
 * with what was wanted, what was found, where, and the raw message.
 */
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "tap.h"
#include "text.h"
#include "wire.h"
#include "uas.h"
#include "link.h"
#include "uac.h"
#include "late.h"
#include "runner.h"
#include "l_siptap.h"


#define TESTS_KEY "siptap.tests"

/* The most tests a file may declare (the option matrix, --matrix full,
 * is 13608) */
enum { TESTS_MAX = 1000000 };

/* --- helpers the Lua-facing files share ------------------------------ */

/* The known keys, "a, b, c", for an error message. */
static const char *known_list(lua_State *L, const char *const *known)
{
	luaL_Buffer b;
	const char *const *k;

	luaL_buffinit(L, &b);
	for (k = known; *k; k++) {
		if (k != known)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, *k);
	}
	luaL_pushresult(&b);

	return lua_tostring(L, -1);
}


/* An options table may hold only the known keys: a typo ("statuscode",
 * "timeot") is an error naming it, not an option silently ignored. */
void l_check_options(lua_State *L, int tbl, const char *fn,
		     const char *const *known)
{
	tbl = lua_absindex(L, tbl);
	lua_pushnil(L);
	while (lua_next(L, tbl)) {
		const char *const *k;

		lua_pop(L, 1);
		for (k = known; *k; k++) {
			if (lua_type(L, -1) == LUA_TSTRING &&
			    !strcmp(lua_tostring(L, -1), *k))
				break;
		}
		if (!*k) {
			const char *key = l_quote(L, -1);

			luaL_error(L, "%s: unknown option '%s' (it takes %s)",
				   fn, key, known_list(L, known));
		}
	}
}


/* The value at idx quoted in an error message: one line, whatever it
 * holds (what is no text as \xNN). Pushes the quote. */
const char *l_quote(lua_State *L, int idx)
{
	char q[128];
	size_t len;
	const char *s = luaL_tolstring(L, idx, &len);

	lua_pushstring(L, text_snprint(q, sizeof(q), &text_esc_line, s, len));

	return lua_tostring(L, -1);
}


/* The string at idx as a C string: a NUL inside would cut it there on
 * the wire, so it is refused, naming fn and what. */
const char *l_check_nul(lua_State *L, int idx, const char *fn,
			const char *what)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);

	if (s && strlen(s) != len)
		luaL_error(L, "%s: %s: must not contain NUL (byte %d)", fn,
			   what, (int)strlen(s) + 1);

	return s;
}


/* The string at idx, if it is text a start line or a header may hold
 * (RFC 3261 25.1 TEXT-UTF8: UTF-8, no control character but HTAB). */
const char *l_check_text(lua_State *L, int idx, const char *fn,
			 const char *what)
{
	char err[TEXT_ERRSZ];
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);

	if (s && text_check(s, len, err, sizeof(err)))
		luaL_error(L, "%s: %s: %s", fn, what, err);

	return s;
}


/* The options argument at idx: nothing, or a table of known keys.
 * Returns whether there is a table. */
bool l_options(lua_State *L, int idx, const char *fn,
	       const char *const *known)
{
	if (lua_isnoneornil(L, idx))
		return false;
	if (!lua_istable(L, idx))
		luaL_error(L, "%s: options must be a table, got %s", fn,
			   luaL_typename(L, idx));
	l_check_options(L, idx, fn, known);

	return true;
}


/* The {timeout = ms} of a wait's options at idx (or the default). fn
 * names the wait; its options may hold the known keys (NULL: timeout
 * alone). */
uint32_t l_wait_timeout(lua_State *L, int idx, const char *fn,
			const char *const *known)
{
	static const char *const timeout_only[] = {"timeout", NULL};
	lua_Integer ms = L_WAIT_DEFAULT_MS;
	int isint;

	l_options(L, idx, fn, known ? known : timeout_only);
	if (!lua_istable(L, idx))
		return ms;

	lua_getfield(L, idx, "timeout");
	if (!lua_isnil(L, -1)) {
		const char *type = luaL_typename(L, -1);

		ms = lua_tointegerx(L, -1, &isint);
		if (lua_type(L, -1) != LUA_TNUMBER || !isint)
			luaL_error(L, "%s: timeout must be an integer (ms), "
				   "got %s (%s)", fn,
				   luaL_tolstring(L, -1, NULL), type);
	}
	lua_pop(L, 1);
	if (ms < 1 || ms > L_WAIT_MAX_MS)
		luaL_error(L, "%s: timeout must be 1..%d ms, got %I", fn,
			   (int)L_WAIT_MAX_MS, ms);

	return (uint32_t)ms;
}


/* --- declaring tests ----------------------------------------------- */

/* Counts n more declarations in the table at tbl; returns the number
 * of the first. A file declares at most TESTS_MAX: past that the
 * listing alone would take the state's memory. */
static lua_Integer declarations_add(lua_State *L, int tbl, lua_Integer n)
{
	lua_Integer first;

	lua_getfield(L, tbl, "count");
	first = lua_tointeger(L, -1) + 1;
	lua_pop(L, 1);
	if (n > TESTS_MAX - first + 1)
		luaL_error(L, "a file declares at most %d tests; this would "
			   "make %I", (int)TESTS_MAX, first - 1 + n);
	lua_pushinteger(L, first + n - 1);
	lua_setfield(L, tbl, "count");

	return first;
}


/* test()'s options: skip and todo, each a reason (a string) or true. */
static void declaration_options(lua_State *L, int opts)
{
	static const char *const known[] = {"skip", "todo", NULL};
	const char *const *k;

	l_check_options(L, opts, "test", known);
	for (k = known; *k; k++) {
		int type = lua_getfield(L, opts, *k);

		if (type != LUA_TNIL && type != LUA_TSTRING &&
		    type != LUA_TBOOLEAN)
			luaL_error(L, "test: %s must be a reason (a string) "
				   "or true, got %s", *k, lua_typename(L, type));
		lua_pop(L, 1);
	}
}


/* Keeps declaration num in the table at tbl: the name at index name,
 * the function at fn (0: none, a state that only lists the file does
 * not need it), skip and todo from the options table at opts (0: no
 * options). */
static void declaration_keep(lua_State *L, int tbl, lua_Integer num,
			     int name, int fn, int opts)
{
	lua_Debug ar;
	int level, line = 0;

	lua_createtable(L, 0, 5);
	lua_pushvalue(L, name);
	lua_setfield(L, -2, "name");
	/* the scenario's line that declared it, for siptap list --long:
	 * the outermost Lua frame (the file's main chunk), so a test()
	 * made by a library (siptap.matrix) gets its caller's line */
	for (level = 1; lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "l", &ar) && ar.currentline > 0)
			line = ar.currentline;
	}
	if (line) {
		lua_pushinteger(L, line);
		lua_setfield(L, -2, "line");
	}
	if (fn) {
		lua_pushvalue(L, fn);
		lua_setfield(L, -2, "fn");
	}
	if (opts) {
		lua_getfield(L, opts, "skip");
		lua_setfield(L, -2, "skip");
		lua_getfield(L, opts, "todo");
		lua_setfield(L, -2, "todo");
	}
	lua_rawseti(L, tbl, num);
}


/* test(name, [opts,] fn). The state that lists a file keeps every
 * declaration; a test's own state keeps only the one it runs, at its
 * number, so that a file declaring many tests (the option matrix) does
 * not hold all of them in each test's memory. */
static int l_declare(lua_State *L)
{
	const struct test *t = runner_test(L);
	const char *name = luaL_checkstring(L, 1);
	int fn = lua_istable(L, 2) ? 3 : 2;
	lua_Integer num;

	if (lua_type(L, fn) != LUA_TFUNCTION)
		return luaL_error(L, "test: takes (name, [options,] function),"
				  " got a %s where the function goes",
				  luaL_typename(L, fn));
	if (!*name)
		return luaL_error(L, "test: the name must not be empty");
	if (fn == 3)
		declaration_options(L, 2);

	lua_settop(L, fn);
	lua_getfield(L, LUA_REGISTRYINDEX, TESTS_KEY);
	num = declarations_add(L, fn + 1, 1);
	if (!t || num == (lua_Integer)t->index + 1)
		declaration_keep(L, fn + 1, num, 1, fn, fn == 3 ? 2 : 0);

	return 0;
}


/* tests(n, name, fn): n declarations at once. name(i) names the i-th
 * and fn(i) makes its function, each called only where needed: the
 * state that lists the file calls name for every i; a test's own state
 * calls both for its own i only, so that loading the file there costs
 * the same for 13608 tests (the option matrix with --matrix full) as
 * for one. */
static int l_declare_many(lua_State *L)
{
	const struct test *t = runner_test(L);
	lua_Integer first, lo, hi, i, n;
	int isint;

	n = lua_tointegerx(L, 1, &isint);
	if (lua_type(L, 1) != LUA_TNUMBER || !isint || n < 0 ||
	    n > TESTS_MAX)
		return luaL_error(L, "tests: n must be a whole number "
				  "0..%d, got %s", (int)TESTS_MAX,
				  luaL_tolstring(L, 1, NULL));
	if (lua_type(L, 2) != LUA_TFUNCTION ||
	    lua_type(L, 3) != LUA_TFUNCTION)
		return luaL_error(L, "tests: takes (n, name, fn), name and fn "
				  "functions of i; got a %s and a %s",
				  luaL_typename(L, 2), luaL_typename(L, 3));
	lua_settop(L, 3);

	lua_getfield(L, LUA_REGISTRYINDEX, TESTS_KEY);
	first = declarations_add(L, 4, n);
	lo = t ? (lua_Integer)t->index + 2 - first : 1;
	hi = t ? lo : n;

	for (i = lo < 1 ? 1 : lo; i <= hi && i <= n; i++) {
		lua_pushvalue(L, 2);
		lua_pushinteger(L, i);
		lua_call(L, 1, 1);
		if (lua_type(L, 5) != LUA_TSTRING || !lua_rawlen(L, 5))
			return luaL_error(L, "tests: name(%I) must return a "
					  "name (a string, not empty)", i);
		if (t) {
			lua_pushvalue(L, 3);
			lua_pushinteger(L, i);
			lua_call(L, 1, 1);
			if (!lua_isfunction(L, 6))
				return luaL_error(L, "tests: fn(%I) must "
						  "return a function", i);
		}
		declaration_keep(L, 4, first + i - 1, 5, t ? 6 : 0, 0);
		lua_settop(L, 4);
	}

	return 0;
}


/* print() in a scenario: its text becomes TAP comment lines of the
 * test, so stdout stays valid TAP; at load time it goes to stderr. */
static int l_print(lua_State *L)
{
	struct test *t = runner_test(L);
	luaL_Buffer b;
	int i, n = lua_gettop(L);

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);

	if (t && t->out)
		(void)tap_comment(t->out, 1, lua_tostring(L, -1));
	else
		(void)re_fprintf(stderr, "%s\n", lua_tostring(L, -1));

	return 0;
}


void l_test_declare_open(lua_State *L)
{
	lua_pushcfunction(L, l_print);
	lua_setglobal(L, "print");

	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, TESTS_KEY);
	lua_pushcfunction(L, l_declare);
	lua_setglobal(L, "test");
	lua_pushcfunction(L, l_declare_many);
	lua_setglobal(L, "tests");
}


/* Pushes the declarations table: {name, fn, skip, todo} by number,
 * 1-based (in a test's state, its own only), and count. */
void l_test_declared(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, TESTS_KEY);
}


/* --- helpers ------------------------------------------------------- */

/* A test's userdata: the test, and a mark that says it is one (the
 * address of TMARK, which no other userdata holds and no scenario can
 * make): checked without asking the registry for the metatable by its
 * name, as luaL_checkudata() does, on each of the 40 or so points the
 * rules make after every call under siptap load. */
static const char TMARK = 't';

struct tbox {
	struct test *t;
	const char *mark;
};


static struct test *check_t(lua_State *L)
{
	const struct tbox *b = lua_touserdata(L, 1);

	if (!b || lua_type(L, 1) != LUA_TUSERDATA ||
	    lua_rawlen(L, 1) != sizeof(*b) || b->mark != &TMARK)
		luaL_typeerror(L, 1, "siptap.test");

	return b->t;
}


/* A string for the diagnostics, which are C strings: a NUL inside is
 * spelled \x00 (as the reports write it), so that what follows it is
 * not lost. */
static const char *show_string(lua_State *L, int idx)
{
	size_t len, i;
	const char *s = lua_tolstring(L, idx, &len);
	luaL_Buffer b;

	if (strlen(s) == len)
		return s;

	luaL_buffinit(L, &b);
	for (i = 0; i < len; i++) {
		if (s[i])
			luaL_addchar(&b, s[i]);
		else
			luaL_addstring(&b, "\\x00");
	}
	luaL_pushresult(&b);

	return lua_tostring(L, -1);
}


/* A value as text for the diagnostics: strings quoted by YAML itself,
 * other types by tostring with their type named. */
static const char *show(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);

	if (lua_type(L, idx) == LUA_TSTRING)
		return show_string(L, idx);
	if (lua_type(L, idx) == LUA_TNUMBER)
		return luaL_tolstring(L, idx, NULL);

	luaL_tolstring(L, idx, NULL);
	return lua_pushfstring(L, "%s (%s)", lua_tostring(L, -1),
			       luaL_typename(L, idx));
}


/* contract: the point is about siptap's own API (an option refused, an
 * error naming the scenario line), not the RFC: findings.md lists it
 * apart in runs against another UAS. */
static void point_of(lua_State *L, struct test *t, bool ok,
		     const char *desc, const char *wanted, const char *found,
		     const struct wire_msg *wm, const char *contract)
{
	struct tap_diag diag[6];
	size_t n = 0;
	char at[256];

	if (!ok) {
		runner_where(L, at, sizeof(at));
		diag[n++] = (struct tap_diag){"message",
			desc ? desc : "assertion failed", 0};
		if (wanted)
			diag[n++] = (struct tap_diag){"wanted", wanted, 0};
		if (found)
			diag[n++] = (struct tap_diag){"found", found, 0};
		diag[n++] = (struct tap_diag){"at", at, 0};
		if (wm)
			diag[n++] = (struct tap_diag){"raw",
				(const char *)wm->b->raw->buf,
				wm->b->raw->end};
		if (contract)
			diag[n++] = (struct tap_diag){"contract", contract, 0};
	}

	runner_point(t, ok, desc, diag, n);
}


static void point(lua_State *L, struct test *t, bool ok, const char *desc,
		  const char *wanted, const char *found,
		  const struct wire_msg *wm)
{
	point_of(L, t, ok, desc, wanted, found, wm, NULL);
}


/* --- assertions ---------------------------------------------------- */

static int l_ok(lua_State *L)
{
	struct test *t = check_t(L);
	bool ok = lua_toboolean(L, 2);

	point(L, t, ok, luaL_optstring(L, 3, NULL), "a true value",
	      ok ? NULL : show(L, 2), NULL);
	lua_pushboolean(L, ok);

	return 1;
}


static int equal_check(lua_State *L, bool want_equal)
{
	struct test *t = check_t(L);
	const char *desc = luaL_optstring(L, 4, NULL);
	bool eq, ok;

	lua_settop(L, 4);
	eq = lua_type(L, 2) == lua_type(L, 3) && lua_rawequal(L, 2, 3);
	ok = eq == want_equal;

	if (ok)
		point(L, t, true, desc, NULL, NULL, NULL);
	else if (want_equal && lua_type(L, 2) != lua_type(L, 3))
		/* "1" and 1 would print alike: name the types */
		point(L, t, false, desc,
		      lua_pushfstring(L, "%s (%s)", show(L, 3),
				      luaL_typename(L, 3)),
		      lua_pushfstring(L, "%s (%s)", show(L, 2),
				      luaL_typename(L, 2)), NULL);
	else if (want_equal)
		point(L, t, false, desc, show(L, 3), show(L, 2), NULL);
	else
		point(L, t, false, desc,
		      lua_pushfstring(L, "anything but %s", show(L, 3)),
		      show(L, 2), NULL);

	lua_pushboolean(L, ok);
	return 1;
}


static int l_is(lua_State *L)
{
	return equal_check(L, true);
}


static int l_isnt(lua_State *L)
{
	return equal_check(L, false);
}


/* string.find(s, pattern) through the string library in this state */
static bool pattern_find(lua_State *L, int s, int pattern)
{
	bool found;

	s = lua_absindex(L, s);
	pattern = lua_absindex(L, pattern);
	lua_getglobal(L, "string");
	lua_getfield(L, -1, "find");
	lua_pushvalue(L, s);
	lua_pushvalue(L, pattern);
	lua_call(L, 2, 1);
	found = !lua_isnil(L, -1);
	lua_pop(L, 2);

	return found;
}


static int like_check(lua_State *L, bool want_match)
{
	struct test *t = check_t(L);
	const char *pat = luaL_checkstring(L, 3);
	const char *desc = luaL_optstring(L, 4, NULL);
	bool ok;

	ok = lua_type(L, 2) == LUA_TSTRING &&
		pattern_find(L, 2, 3) == want_match;

	point(L, t, ok, desc, ok ? NULL : lua_pushfstring(L, "%s pattern %s",
		      want_match ? "a string matching" : "no match for", pat),
	      ok ? NULL : show(L, 2), NULL);

	lua_pushboolean(L, ok);
	return 1;
}


static int l_like(lua_State *L)
{
	return like_check(L, true);
}


static int l_unlike(lua_State *L)
{
	return like_check(L, false);
}


static int l_pass(lua_State *L)
{
	point(L, check_t(L), true, luaL_optstring(L, 2, NULL), NULL, NULL,
	      NULL);
	return 0;
}


static int l_fail(lua_State *L)
{
	point(L, check_t(L), false, luaL_optstring(L, 2, NULL), NULL,
	      luaL_optstring(L, 3, NULL), NULL);
	return 0;
}


/* t:report(ok, desc, [{message=, rule=, wanted=, found=}], [msg]): a
 * point with the diagnostics a checker (siptap.rules) worked out. */
static int l_report(lua_State *L)
{
	static const char *const keys[] = {
		"message", "rule", "wanted", "found", "contract", NULL
	};
	struct test *t = check_t(L);
	bool ok = lua_toboolean(L, 2);
	const char *desc = luaL_optstring(L, 3, NULL);
	const struct wire_msg *wm = NULL;
	struct tap_diag diag[7];
	size_t n = 0, i;
	char at[256];

	lua_settop(L, 5);
	if (!lua_isnil(L, 5))
		wm = l_msg_check(L, 5);

	if (!lua_isnil(L, 4))
		l_options(L, 4, "t:report", keys);
	if (!ok && lua_istable(L, 4)) {
		for (i = 0; keys[i]; i++) {
			size_t len;

			lua_getfield(L, 4, keys[i]);
			if (lua_isstring(L, -1)) {
				/* a peer's reason phrase may hold a NUL:
				 * its length, not strlen() */
				const char *s = lua_tolstring(L, -1, &len);

				diag[n++] = (struct tap_diag){keys[i], s,
					len};
			}
		}
	}
	if (!ok) {
		/* "at" only when a scenario line asked for this check */
		runner_where(L, at, sizeof(at));
		if (!strncmp(at, t->file, strlen(t->file)))
			diag[n++] = (struct tap_diag){"at", at, 0};
		if (wm)
			diag[n++] = (struct tap_diag){"raw",
				(const char *)wm->b->raw->buf,
				wm->b->raw->end};
	}

	runner_point(t, ok, desc, diag, n);
	lua_pushboolean(L, ok);

	return 1;
}


/* --- assertions on messages ---------------------------------------- */

static int l_has_header(lua_State *L)
{
	struct test *t = check_t(L);
	const struct wire_msg *wm = l_msg_check(L, 2);
	const char *name = luaL_checkstring(L, 3);
	const char *desc = luaL_optstring(L, 4, NULL);
	bool ok = l_msg_header_count(wm, name) > 0;

	point(L, t, ok, desc, lua_pushfstring(L, "a %s header", name),
	      "none", wm);
	lua_pushboolean(L, ok);

	return 1;
}


static int l_no_header(lua_State *L)
{
	struct test *t = check_t(L);
	const struct wire_msg *wm = l_msg_check(L, 2);
	const char *name = luaL_checkstring(L, 3);
	const char *desc = luaL_optstring(L, 4, NULL);
	unsigned n = l_msg_header_count(wm, name);

	point(L, t, n == 0, desc, lua_pushfstring(L, "no %s header", name),
	      lua_pushfstring(L, "%d %s header(s)", (int)n, name), wm);
	lua_pushboolean(L, n == 0);

	return 1;
}


static int l_header_is(lua_State *L)
{
	struct test *t = check_t(L);
	const struct wire_msg *wm = l_msg_check(L, 2);
	const char *name = luaL_checkstring(L, 3);
	const char *want = luaL_checkstring(L, 4);
	const char *desc = luaL_optstring(L, 5, NULL);
	const char *got;
	bool ok;

	l_msg_push_header(L, wm, name);
	got = lua_tostring(L, -1);
	ok = got && !strcmp(got, want);

	point(L, t, ok, desc, want,
	      got ? got : lua_pushfstring(L, "no %s header", name), wm);
	lua_pushboolean(L, ok);

	return 1;
}


static int l_body_is(lua_State *L)
{
	struct test *t = check_t(L);
	const struct wire_msg *wm = l_msg_check(L, 2);
	size_t wlen, glen;
	const char *want = luaL_checklstring(L, 3, &wlen);
	const char *desc = luaL_optstring(L, 4, NULL);
	const char *got;
	bool ok;

	l_msg_push_body(L, wm);
	got = lua_tolstring(L, -1, &glen);
	ok = glen == wlen && !memcmp(got, want, wlen);

	point(L, t, ok, desc, want, got, wm);
	lua_pushboolean(L, ok);

	return 1;
}


/* --- raises and todo: a protected call that may wait inside -------- */

#define RAISES_CONTRACT "siptap's API: the call raises an error naming " \
	"what was wrong"

static int raises_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = check_t(L);
	const char *desc = luaL_optstring(L, 4, NULL);
	bool raised = status != LUA_OK && status != LUA_YIELD;
	const char *msg;
	bool ok;

	if (!raised) {
		point_of(L, t, false, desc, lua_pushfstring(L,
			 "an error matching %s", luaL_checkstring(L, 3)),
			 "no error", NULL, RAISES_CONTRACT);
		lua_pushboolean(L, false);
		return 1;
	}

	msg = show(L, -1);
	lua_pushstring(L, msg);
	ok = pattern_find(L, -1, 3);
	point_of(L, t, ok, desc, lua_pushfstring(L, "an error matching %s",
		 lua_tostring(L, 3)), msg, NULL, RAISES_CONTRACT);
	lua_pushboolean(L, ok);

	return 1;
}


/* t:raises(fn, pattern, desc): fn must raise an error matching pattern */
static int l_raises(lua_State *L)
{
	check_t(L);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	luaL_checkstring(L, 3);
	lua_settop(L, 4);

	lua_pushvalue(L, 2);
	return raises_k(L, lua_pcallk(L, 0, 0, 0, 0, raises_k), 0);
}


static int todo_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = check_t(L);

	t->todo = NULL;
	if (status != LUA_OK && status != LUA_YIELD)
		return lua_error(L);

	return 0;
}


/* t:todo(reason, fn): assertions inside fn are TODO points */
static int l_todo(lua_State *L)
{
	struct test *t = check_t(L);

	luaL_checkstring(L, 2);
	luaL_checktype(L, 3, LUA_TFUNCTION);
	lua_settop(L, 3);

	/* the reason string stays on this stack while fn runs */
	t->todo = lua_tostring(L, 2);
	lua_pushvalue(L, 3);

	return todo_k(L, lua_pcallk(L, 0, 0, 0, 0, todo_k), 0);
}


static int l_skip(lua_State *L)
{
	struct test *t = check_t(L);
	const char *reason = luaL_checkstring(L, 2);
	const char *save = t->todo;

	t->todo = NULL;
	runner_point_skip(t, luaL_optstring(L, 3, NULL), reason);
	t->todo = save;

	return 0;
}


/* t:skip_test(reason): the test cannot run here (against this UAS);
 * it ends now and is reported # SKIP reason, or not ok when a point
 * failed before. */
static int l_skip_test(lua_State *L)
{
	(void)check_t(L);

	return runner_skip(L, luaL_checkstring(L, 2));
}


static int l_diag(lua_State *L)
{
	struct test *t = check_t(L);

	tap_comment(t->out, 1, luaL_checkstring(L, 2));

	return 0;
}


/* --- waiting --------------------------------------------------------- */

static int sleep_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = check_t(L);

	if (runner_wait_expired(t)) {
		runner_wait_end(t);
		return 0;
	}

	return runner_yield(L, 0, sleep_k);
}


/* t:sleep(ms): let the wire run for a while */
static int l_sleep(lua_State *L)
{
	lua_Integer ms = luaL_checkinteger(L, 2);

	check_t(L);
	if (ms < 0 || ms > L_WAIT_MAX_MS)
		return luaL_error(L, "t:sleep: ms must be 0..%d, got %I",
				  (int)L_WAIT_MAX_MS, ms);
	runner_wait_begin(L, "t:sleep", "t:sleep()", ms ? (uint32_t)ms : 1);

	return sleep_k(L, LUA_OK, 0);
}


/* The run's T1; in remote mode the one the remote UAS uses, which
 * scenarios scale their waits by. */
static int l_t1(lua_State *L)
{
	struct test *t = check_t(L);

	lua_pushinteger(L, t->agent ? t->remote_t1 : t->conf->t1);
	return 1;
}


/* T1 of this test's UAS (t:uas{t1 = ms} may change it) */
static int l_uas_t1(lua_State *L)
{
	struct test *t = check_t(L);

	lua_pushinteger(L, t->agent ? t->remote_t1 : uas_t1(t->uas));
	return 1;
}


/* t:late([from, to]): how late (ms) siptap's own loop ran in this test,
 * and the agent's UAS host as the agent reported (0 without one); with
 * from and to (ms on the wire's clock, as m.time), in a lateness that
 * touches that interval. A timing that missed by no more was not the
 * UAS's doing. */
static int l_late(lua_State *L)
{
	struct test *t = check_t(L);
	const struct late *l[2] = {t->late, t->remote_late};
	int i;

	if (lua_isnoneornil(L, 2)) {
		for (i = 0; i < 2; i++)
			lua_pushinteger(L, l[i] ? (lua_Integer)l[i]->max : 0);
		return 2;
	}
	else {
		const lua_Number from = luaL_checknumber(L, 2);
		lua_Number to = luaL_checknumber(L, 3);

		if (to > 1e12)   /* math.huge: to the end */
			to = 1e12;
		if (from < 0 || to < from)
			return luaL_error(L, "t:late: from and to must be ms "
					  "with 0 <= from <= to");
		for (i = 0; i < 2; i++)
			lua_pushinteger(L, (lua_Integer)late_within(l[i],
					(uint64_t)from, (uint64_t)to));
		return 2;
	}
}


static int l_name(lua_State *L)
{
	lua_pushstring(L, check_t(L)->name);
	return 1;
}


/* t:wire() lists every message of this test, in order; not the ones
 * the link kept from the peer under test (wire_recv_link) */
static int l_wire(lua_State *L)
{
	l_msg_push_wire(L, wire_msgs(check_t(L)->wire));

	return 1;
}


/* t:_views(): the same messages as views (l_msg.c), for siptap.rules
 * alone: cheaper to make and read, not the objects a scenario holds.
 * Not documented for scenarios: a field a view holds already can be
 * assigned over (an object's cannot), and the rules assign none.
 * t:_views(true): and their calls, sorted as W.calls begins (l_calls.c),
 * or nil where W.calls sorts them itself. */
static int l_views(lua_State *L)
{
	const bool calls = lua_toboolean(L, 2);

	l_msg_push_views(L, wire_msgs(check_t(L)->wire), calls);

	return calls ? 2 : 1;
}


/* --- t:link ----------------------------------------------------------- */

static uint32_t link_uint(lua_State *L, const char *key, uint32_t dflt,
			  uint32_t max)
{
	lua_Integer v;
	int isint;

	lua_getfield(L, 2, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	v = lua_tointegerx(L, -1, &isint);
	if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < 0 || v > max)
		luaL_error(L, "t:link: %s must be an integer in 0..%d, got %s",
			   key, (int)max, luaL_tolstring(L, -1, NULL));
	lua_pop(L, 1);

	return (uint32_t)v;
}


/* The one action key of a t:link rule and the message it names */
static void link_action(lua_State *L, struct link_rule *r)
{
	static const char *const acts[] = {"drop", "duplicate", "delay",
		"reorder"};
	const char *msg = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(acts); i++) {
		lua_getfield(L, 2, acts[i]);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			continue;
		}
		if (msg)
			luaL_error(L, "t:link: one of drop, duplicate, delay, "
				   "reorder a rule, not two");
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "t:link: %s must be a message: a method "
				   "(\"PRACK\"), a status (\"183\") or both "
				   "(\"200 INVITE\"), got %s", acts[i],
				   luaL_typename(L, -1));
		msg = lua_tostring(L, -1);
		r->action = (enum link_action)i;
		if (link_rule_msg(r, msg))
			luaL_error(L, "t:link: %s: '%s' is no message: a method "
				   "(\"PRACK\"), a status (\"183\") or both "
				   "(\"200 INVITE\")", acts[i], msg);
		lua_pop(L, 1);
	}
	if (!msg)
		luaL_error(L, "t:link: which message? drop, duplicate, delay or "
			   "reorder = \"PRACK\" (or loss = PERCENT)");
}


/* t:link{drop|duplicate|delay|reorder = MESSAGE, to =, skip =, copies =,
 * ms =} or t:link{loss = PERCENT}: the test's UDP link from now on
 * (docs/network.md). */
static int l_link(lua_State *L)
{
	static const char *const known[] = {"drop", "duplicate", "delay",
		"reorder", "to", "skip", "copies", "ms", "loss", NULL};
	struct test *t = check_t(L);
	struct link_rule r;
	const char *to;
	bool all;
	int err, n;

	luaL_checktype(L, 2, LUA_TTABLE);
	(void)l_options(L, 2, "t:link", known);
	if (t->conf->transport != SIP_TRANSP_UDP)
		return luaL_error(L, "t:link: link impairment is for UDP only, "
				  "and the UAC sends over %s (--transport, "
				  "--proxy)", sip_transp_name(t->conf->transport));

	if (lua_getfield(L, 2, "loss") != LUA_TNIL) {
		lua_pop(L, 1);
		link_set_loss(t->link, link_uint(L, "loss", 0, 100));
		for (n = 0, lua_pushnil(L); lua_next(L, 2); n++)
			lua_pop(L, 1);
		if (n > 1)
			return luaL_error(L, "t:link: loss is a rule of its own: "
					  "t:link{loss = PERCENT}");
		return 0;
	}
	lua_pop(L, 1);

	memset(&r, 0, sizeof(r));
	link_action(L, &r);
	r.skip   = link_uint(L, "skip", 0, 1000000);
	lua_getfield(L, 2, "copies");
	all = lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1),
							"all");
	lua_pop(L, 1);
	r.copies = all ? 0 : link_uint(L, "copies", 1, 1000000);
	if (!all && !r.copies)
		return luaL_error(L, "t:link: copies must be 1 or more, or "
				  "\"all\"");
	r.ms     = link_uint(L, "ms", 0, L_WAIT_MAX_MS);
	if (r.action == LINK_DELAY && !r.ms)
		return luaL_error(L, "t:link: delay needs ms = how long");

	lua_getfield(L, 2, "to");
	to = lua_tostring(L, -1);
	r.to = !to ? -1 : !strcmp(to, "uas") ? WIRE_UAS :
		!strcmp(to, "uac") ? WIRE_UAC : -2;
	if (r.to == -2 || (to && lua_type(L, -1) != LUA_TSTRING))
		return luaL_error(L, "t:link: to must be \"uas\" or \"uac\", "
				  "got %s", luaL_tolstring(L, -1, NULL));
	lua_pop(L, 1);

	err = link_add(t->link, &r);
	if (err)
		return luaL_error(L, "t:link: %s", err == EOVERFLOW ?
				  "more than 32 rules" : strerror(err));

	return 0;
}


/* t:uac([{auth = {user =, password =}, t1 = ms}]): the UAC, with
 * credentials for the 401 and 407 challenges of this test (--auth's
 * otherwise), and the T1 of its transactions (--t1's otherwise) */
static int l_uac(lua_State *L)
{
	static const char *const known[] = {"auth", "t1", NULL};
	static const char *const auth_known[] = {"user", "password", NULL};
	struct test *t = check_t(L);
	const char *user, *password;

	if (!l_options(L, 2, "t:uac", known))
		return l_uac_push(L, t);

	lua_getfield(L, 2, "t1");
	if (!lua_isnil(L, -1)) {
		int isint;
		lua_Integer t1 = lua_tointegerx(L, -1, &isint);

		if (!isint || t1 < 1 || t1 > 60000)
			return luaL_error(L, "t:uac: t1 must be an integer in "
					  "1..60000 (ms), got %s",
					  luaL_tolstring(L, -1, NULL));
		uac_set_t1(t->uac, (uint32_t)t1);
	}
	lua_pop(L, 1);

	lua_getfield(L, 2, "auth");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			return luaL_error(L, "t:uac: auth must be a table {user "
					  "= ..., password = ...}, got %s",
					  luaL_typename(L, -1));
		(void)l_options(L, lua_gettop(L), "t:uac: auth", auth_known);
		lua_getfield(L, -1, "user");
		lua_getfield(L, -2, "password");
		if (lua_type(L, -2) != LUA_TSTRING ||
		    lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "t:uac: auth needs user and password "
					  "(strings)");
		user = l_check_text(L, -2, "t:uac", "auth.user");
		password = l_check_text(L, -1, "t:uac", "auth.password");
		if (uac_set_auth(t->uac, user, password))
			return luaL_error(L, "t:uac: out of memory");
		lua_pop(L, 2);
	}
	lua_pop(L, 1);

	return l_uac_push(L, t);
}


static int l_peer(lua_State *L)
{
	return l_peer_push(L, check_t(L));
}


static int l_uas(lua_State *L)
{
	struct test *t = check_t(L);

	if (t->agent)
		return l_remote_uas_push(L, t, 2);

	return l_uas_push(L, t, 2);
}


static const luaL_Reg test_methods[] = {
	{"ok",         l_ok},
	{"is",         l_is},
	{"isnt",       l_isnt},
	{"like",       l_like},
	{"unlike",     l_unlike},
	{"pass",       l_pass},
	{"fail",       l_fail},
	{"report",     l_report},
	{"has_header", l_has_header},
	{"no_header",  l_no_header},
	{"header_is",  l_header_is},
	{"body_is",    l_body_is},
	{"raises",     l_raises},
	{"todo",       l_todo},
	{"skip",       l_skip},
	{"skip_test",  l_skip_test},
	{"diag",       l_diag},
	{"sleep",      l_sleep},
	{"t1",         l_t1},
	{"uas_t1",     l_uas_t1},
	{"late",       l_late},
	{"name",       l_name},
	{"wire",       l_wire},
	{"_views",     l_views},
	{"link",       l_link},
	{"uac",        l_uac},
	{"uas",        l_uas},
	{"peer",       l_peer},
	{NULL, NULL}
};


void l_test_open(lua_State *L)
{
	luaL_newmetatable(L, "siptap.test");
	luaL_newlib(L, test_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}


void l_test_push(lua_State *L, struct test *t)
{
	struct tbox *b = lua_newuserdatauv(L, sizeof(*b), 0);

	b->t = t;
	b->mark = &TMARK;
	luaL_setmetatable(L, "siptap.test");
}
