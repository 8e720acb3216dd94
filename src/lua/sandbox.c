/**
 * @file sandbox.c  The Lua state a scenario runs in
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdbool.h>
#include <ctype.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>
#include <signal.h>
#include <pthread.h>
#include <sys/time.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <re.h>
#include "clock.h"
#include "sandbox.h"


static int panic(lua_State *L)
{
	(void)fprintf(stderr, "siptap: Lua panic: %s\n", lua_tostring(L, -1));

	return 0;
}


/* What a scenario may not reach, per library. */
static const char *const removed_base[] = {"dofile", "loadfile", NULL};
static const char *const removed_os[] = {
	"execute", "exit", "getenv", "remove", "rename", "tmpname",
	"setlocale", NULL
};


static void remove_fields(lua_State *L, const char *lib,
			  const char *const *names)
{
	if (lib)
		lua_getglobal(L, lib);
	else
		lua_pushglobaltable(L);

	for (; *names; names++) {
		lua_pushnil(L);
		lua_setfield(L, -2, *names);
	}
	lua_pop(L, 1);
}


/* load() that accepts text only: bytecode can break the VM. */
static int safe_load(lua_State *L)
{
	const char *mode = luaL_optstring(L, 3, "t");
	lua_CFunction load;

	if (strchr(mode, 'b'))
		return luaL_error(L, "load: binary chunks are not allowed in "
				  "scenarios");

	load = lua_tocfunction(L, lua_upvalueindex(1));
	lua_settop(L, 4);
	lua_pushstring(L, "t");
	lua_replace(L, 3);

	return load(L);
}


/* --- the library, compiled once per run ------------------------------ */

/* A module file and its compiled chunk, stripped of debug information
 * (line numbers, names of locals): the library then takes a sixth less
 * of each test's memory, and many tests run at once. An error raised
 * inside the library names no line of its own; the error point's `at`
 * and its traceback name the scenario line that called into it. */
struct chunk {
	struct le le;
	char *path;
	struct mbuf *code;
};

struct sandbox_lib {
	char *dir;
	struct list chunkl;
};


static void chunk_destructor(void *arg)
{
	struct chunk *c = arg;

	list_unlink(&c->le);
	mem_deref(c->path);
	mem_deref(c->code);
}


static void lib_destructor(void *arg)
{
	struct sandbox_lib *lib = arg;

	list_flush(&lib->chunkl);
	mem_deref(lib->dir);
}


int sandbox_lib_alloc(struct sandbox_lib **libp, const char *dir)
{
	struct sandbox_lib *lib;
	int err;

	lib = mem_zalloc(sizeof(*lib), lib_destructor);
	if (!lib)
		return ENOMEM;

	err = str_dup(&lib->dir, dir);
	if (err)
		mem_deref(lib);
	else
		*libp = lib;

	return err;
}


static struct chunk *chunk_find(const struct sandbox_lib *lib,
				const char *path)
{
	struct le *le;

	for (le = lib->chunkl.head; le; le = le->next) {
		struct chunk *c = le->data;

		if (!strcmp(c->path, path))
			return c;
	}

	return NULL;
}


static int chunk_write(lua_State *L, const void *p, size_t sz, void *ud)
{
	(void)L;

	return mbuf_write_mem(ud, p, sz);
}


/* Keeps the function on top of the stack as a chunk for every state
 * that requires the same file; NULL when it cannot be kept (no error:
 * the state at hand runs the function as compiled). */
static struct chunk *chunk_keep(lua_State *L, struct sandbox_lib *lib,
				const char *path)
{
	struct chunk *c = mem_zalloc(sizeof(*c), chunk_destructor);

	if (!c)
		return NULL;

	c->code = mbuf_alloc(4096);
	if (!c->code || str_dup(&c->path, path) ||
	    lua_dump(L, chunk_write, c->code, 1)) {
		mem_deref(c);
		return NULL;
	}

	list_append(&lib->chunkl, &c->le, c);

	return c;
}


/* The compiled chunk of a library file, compiled now if need be;
 * ENOENT when the file is not there. Pushes the loaded function. */
static int chunk_load(lua_State *L, struct sandbox_lib *lib,
		      const char *path)
{
	const struct chunk *c = chunk_find(lib, path);
	int status;

	if (!c) {
		if (access(path, R_OK))
			return ENOENT;
		status = luaL_loadfilex(L, path, "t");
		if (status != LUA_OK)
			return lua_error(L);
		c = chunk_keep(L, lib, path);
		if (!c)
			return 0;   /* runs as compiled, not kept */
		lua_pop(L, 1);
	}

	if (luaL_loadbufferx(L, (const char *)c->code->buf, c->code->end,
			     path, "b") != LUA_OK)
		return lua_error(L);

	return 0;
}


/* Every NAME.lua of the library's folder dir/sub (sub "" for dir
 * itself), and below, compiled now in the scratch state L. */
static void preload_dir(lua_State *L, struct sandbox_lib *lib,
			const char *sub, unsigned depth)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	(void)re_snprintf(path, sizeof(path), "%s%s%s", lib->dir,
			  *sub ? "/" : "", sub);
	d = opendir(path);
	if (!d)
		return;

	while ((de = readdir(d))) {
		const size_t n = strlen(de->d_name);
		char rel[512];

		if (de->d_name[0] == '.')
			continue;
		(void)re_snprintf(rel, sizeof(rel), "%s%s%s", sub,
				  *sub ? "/" : "", de->d_name);
		if (n > 4 && !strcmp(de->d_name + n - 4, ".lua")) {
			(void)re_snprintf(path, sizeof(path), "%s/%s",
					  lib->dir, rel);
			if (!chunk_find(lib, path) &&
			    luaL_loadfilex(L, path, "t") == LUA_OK)
				(void)chunk_keep(L, lib, path);
			lua_settop(L, 0);
		}
		else if (depth < 4 && de->d_type == DT_DIR) {
			preload_dir(L, lib, rel, depth + 1);
		}
	}
	closedir(d);
}


/* Compiles the whole library once, before the run forks its workers:
 * they all load the same compiled chunks, none compiles again. A file
 * that does not compile is left for require() to report. */
void sandbox_lib_preload(struct sandbox_lib *lib)
{
	lua_State *L = luaL_newstate();

	if (!L)
		return;
	preload_dir(L, lib, "", 0);
	lua_close(L);
}


/* A module name of the library: dotted words of letters, digits and
 * '_'; nothing that could name a path of its own. */
static bool module_name_ok(const char *name)
{
	const char *p;

	if (!*name || *name == '.' || strlen(name) > 128)
		return false;
	for (p = name; *p; p++) {
		if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
			return false;
		if (*p != '.' && *p != '_' && !isalnum((unsigned char)*p))
			return false;
	}

	return true;
}


/* require() of a sandbox: package.loaded, package.preload, then a Lua
 * file of the run's library (--lua-dir), NAME.lua or NAME/init.lua with
 * dots as folders. It reads nothing of package but those two tables,
 * so no path a scenario puts in package.path, no searcher it adds,
 * makes it read another file; and package has no path, cpath,
 * searchers, searchpath or loadlib to probe the file system with.
 * A file is compiled once per run (chunk_keep). Upvalue: the library. */
static int safe_require(lua_State *L)
{
	struct sandbox_lib *lib = lua_touserdata(L, lua_upvalueindex(1));
	const char *name = luaL_checkstring(L, 1);
	const char *const forms[] = {"%s/%s.lua", "%s/%s/init.lua"};
	char rel[160], path[4096];
	size_t i;

	lua_settop(L, 1);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	if (lua_getfield(L, 2, name) != LUA_TNIL && lua_toboolean(L, -1))
		return 1;
	lua_pop(L, 1);

	lua_getfield(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	if (lua_istable(L, -1) && lua_getfield(L, -1, name) == LUA_TFUNCTION) {
		lua_pushvalue(L, 1);
		lua_pushliteral(L, ":preload:");
	}
	else {
		lua_settop(L, 2);
		if (!module_name_ok(name))
			return luaL_error(L, "require: '%s' is not a module "
					  "name (dotted words of letters, "
					  "digits and _)", name);
		(void)re_snprintf(rel, sizeof(rel), "%s", name);
		for (i = 0; rel[i]; i++)
			if (rel[i] == '.')
				rel[i] = '/';
		for (i = 0; i < 2; i++) {
			(void)re_snprintf(path, sizeof(path), forms[i],
					  lib->dir, rel);
			if (chunk_load(L, lib, path) == 0)
				break;
		}
		if (i == 2)
			return luaL_error(L, "module '%s' not found: require "
					  "finds the siptap library only "
					  "(--lua-dir)", name);
		lua_pushvalue(L, 1);
		lua_pushstring(L, path);
	}

	lua_call(L, 2, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);

	return 1;
}


static void restrict_package(lua_State *L, struct sandbox_lib *lib)
{
	static const char *const removed[] = {
		"path", "cpath", "searchers", "searchpath", "loadlib", NULL
	};

	remove_fields(L, LUA_LOADLIBNAME, removed);
	lua_pushlightuserdata(L, lib);
	lua_pushcclosure(L, safe_require, 1);
	lua_setglobal(L, "require");
}


/* setmetatable() that refuses __gc: a finalizer runs with the count
 * hook off, so a loop in one could never be stopped by the guard. */
static int safe_setmetatable(lua_State *L)
{
	lua_pushliteral(L, "__gc");
	if (lua_istable(L, 2) && lua_rawget(L, 2) != LUA_TNIL)
		return luaL_error(L, "setmetatable: __gc metamethods are not "
				  "allowed in scenarios (a finalizer cannot "
				  "be stopped at --timeout)");
	lua_settop(L, 2);

	return lua_tocfunction(L, lua_upvalueindex(1))(L);
}


/* Each state's allocator keeps count: a scenario that eats memory gets
 * "not enough memory" at SANDBOX_MEM_CAP, not the machine's OOM killer.
 * What siptap itself makes in the state outside any Lua run (a call's
 * thread, the test's object, the thread the rules run in) may go
 * SANDBOX_OWN_MARGIN beyond it: that is done outside protection, and
 * in a state a scenario filled (a global that holds it all, under
 * siptap load every call of the test after) it was Lua's panic, the
 * process gone. The scenario's and the rules' runs keep the cap.
 * The same block holds the state's guard (below). */
struct sandbox_alloc {
	size_t used;
	bool lua_runs;             /* between sandbox_enter and _leave  */
	uint64_t spent;            /* instructions since the last wait  */
	uint64_t deadline;         /* monotonic usec; 0: none           */
	uint32_t seconds;          /* the deadline, as it was given     */
	const char *stop;          /* why the guard stopped the state   */
	char at[256];              /* the scenario line it stopped at   */
	char why[160];
};

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sandbox_alloc *a = ud;

	if (!ptr)
		osize = 0;

	if (nsize == 0) {
		free(ptr);
		a->used -= osize;
		return NULL;
	}
	if (nsize > osize && a->used + (nsize - osize) > SANDBOX_MEM_CAP +
	    (a->lua_runs ? 0 : SANDBOX_OWN_MARGIN))
		return NULL;

	/* a new block is most of Lua's allocations: malloc's path, not
	 * realloc's, which first looks up the size of a block it has not */
	ptr = ptr ? realloc(ptr, nsize) : malloc(nsize);
	if (ptr)
		a->used = a->used - osize + nsize;

	return ptr;
}


static struct sandbox_alloc *guard(lua_State *L)
{
	void *ud = NULL;

	(void)lua_getallocf(L, &ud);

	return ud;
}


/* The innermost frame with a line: the scenario's (the library's
 * chunks have no line information). */
static void guard_where(lua_State *L, char *buf, size_t sz)
{
	lua_Debug ar;
	int level;

	for (level = 0; lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline >= 0) {
			(void)re_snprintf(buf, sz, "%s:%d", ar.short_src,
					  ar.currentline);
			return;
		}
	}
}


/* The thread siptap runs now without the hook (sandbox_enter) */
static lua_State *volatile watched;


/* The count hook, every SANDBOX_HOOK_COUNT instructions of any thread
 * of the state: it stops a test at its deadline or at its instruction
 * budget, whatever the Lua does. It yields the running coroutine out
 * of every pcall (which cannot catch a yield); where no yield is
 * possible (inside a C function that called Lua: table.sort, gsub,
 * load's reader), it raises an error, and from then on it fires at
 * every instruction of every thread, so no loop that catches errors
 * gets to run again. The runner then finds the test stopped. */
static void guard_hook(lua_State *L, lua_Debug *ar)
{
	struct sandbox_alloc *g = guard(L);

	(void)ar;
	if (!g->stop) {
		g->spent += SANDBOX_HOOK_COUNT;
		if (g->spent > SANDBOX_BUDGET) {
			(void)re_snprintf(g->why, sizeof(g->why),
					  "instruction budget exceeded (%d "
					  "million without waiting: an "
					  "endless loop?)",
					  SANDBOX_BUDGET / 1000000);
		}
		else if (g->deadline && clock_mono_usec() >= g->deadline) {
			(void)re_snprintf(g->why, sizeof(g->why), "still "
					  "running Lua at the end of --timeout "
					  "(%u s)", g->seconds);
		}
		else {
			return;
		}
		g->stop = g->why;
		guard_where(L, g->at, sizeof(g->at));
	}

	lua_sethook(L, guard_hook, LUA_MASKCOUNT, 1);
	if (watched && watched != L)   /* the thread siptap runs, unhooked */
		lua_sethook(watched, guard_hook, LUA_MASKCOUNT, 1);
	if (lua_isyieldable(L))
		(void)lua_yield(L, 0);
	else
		(void)luaL_error(L, "%s", g->stop);
}


void sandbox_budget(lua_State *L)
{
	struct sandbox_alloc *g = guard(L);

	g->spent = 0;
	if (!g->stop)
		lua_sethook(L, guard_hook, LUA_MASKCOUNT, SANDBOX_HOOK_COUNT);
}


void sandbox_deadline(lua_State *L, uint32_t seconds)
{
	guard(L)->seconds = seconds;
	guard(L)->deadline = seconds ? clock_mono_usec() +
		(uint64_t)seconds * 1000000 : 0;
}


/* A stopped state made usable again, for what siptap itself runs in
 * it afterwards (the rules), with a deadline of its own. */
void sandbox_guard_reset(lua_State *L, uint32_t seconds)
{
	struct sandbox_alloc *g = guard(L);

	g->stop = NULL;
	g->at[0] = '\0';
	sandbox_deadline(L, seconds);
	sandbox_budget(L);
}


/* --- the watch -------------------------------------------------------
 * A count hook, whatever its count, makes Lua stop in its debug code at
 * every instruction (luaG_traceexec): about a sixth of a siptap load
 * call's CPU went there. So the runs siptap makes all the time (a
 * test's coroutine between two waits, the rules after it) start
 * without it, and SIGVTALRM, every WATCH_CPU_MS of the process's own
 * CPU time, puts it on the thread that runs then: a run that goes on
 * gets the guard within that time, and from then it counts as before.
 * Only while Lua runs does a process use CPU that much, so the signal
 * comes to user code, not to a blocking call (SA_RESTART anyway).
 * lua_sethook() is the one Lua call a signal handler may make. Every
 * other thread keeps the hook all the time; coroutines that a scenario
 * makes get it from the start (the watch sees only siptap's thread). */
enum { WATCH_CPU_MS = 10 };

static bool watch_armed;
static bool watch_atfork;


static void watch_handler(int sig)
{
	lua_State *L = watched;

	(void)sig;
	if (L && !lua_gethookmask(L))
		lua_sethook(L, guard_hook, LUA_MASKCOUNT, SANDBOX_HOOK_COUNT);
}


/* a forked child has no interval timer of its parent's */
static void watch_forked(void)
{
	watch_armed = false;
	watched = NULL;
}


static void watch_arm(void)
{
	struct sigaction sa;
	struct itimerval it;

	if (watch_armed)
		return;
	watch_armed = true;
	if (!watch_atfork)
		watch_atfork = !pthread_atfork(NULL, NULL, watch_forked);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_handler;
	sa.sa_flags = SA_RESTART;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGVTALRM, &sa, NULL);

	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = it.it_interval.tv_usec = WATCH_CPU_MS * 1000;
	(void)setitimer(ITIMER_VIRTUAL, &it, NULL);
}


lua_State *sandbox_enter(lua_State *L)
{
	struct sandbox_alloc *g = guard(L);
	lua_State *prev = watched;

	watch_arm();
	g->spent = 0;
	g->lua_runs = true;
	watched = L;
	if (!g->stop)
		lua_sethook(L, NULL, 0, 0);

	return prev;
}


void sandbox_leave(lua_State *L, lua_State *prev)
{
	struct sandbox_alloc *g = guard(L);

	watched = prev;
	g->lua_runs = false;
	if (!g->stop)
		lua_sethook(L, guard_hook, LUA_MASKCOUNT, SANDBOX_HOOK_COUNT);
}


/* coroutine.create and coroutine.wrap whose thread has the guard's hook
 * from the start: made in a run without it, it would have none.
 * Upvalue: Lua's own. */
static int guarded_coroutine(lua_State *L)
{
	lua_State *co;
	int n = lua_tocfunction(L, lua_upvalueindex(1))(L);

	co = n == 1 ? lua_tothread(L, -1) : NULL;
	if (!co && n == 1 && lua_getupvalue(L, -1, 1)) {  /* wrap's */
		co = lua_tothread(L, -1);
		lua_pop(L, 1);
	}
	if (!co)
		return luaL_error(L, "siptap: a coroutine without its "
				  "thread");
	lua_sethook(co, guard_hook, LUA_MASKCOUNT,
		    guard(L)->stop ? 1 : SANDBOX_HOOK_COUNT);

	return n;
}


static void guard_coroutines(lua_State *L)
{
	static const char *const names[] = {"create", "wrap", NULL};
	const char *const *name;

	lua_getglobal(L, LUA_COLIBNAME);
	for (name = names; *name; name++) {
		lua_getfield(L, -1, *name);
		lua_pushcclosure(L, guarded_coroutine, 1);
		lua_setfield(L, -2, *name);
	}
	lua_pop(L, 1);
}


const char *sandbox_stopped(lua_State *L, const char **at)
{
	struct sandbox_alloc *g = guard(L);

	if (at)
		*at = g->at;

	return g->stop;
}


/* The message handler that xpcall() of a sandbox passes on: once the
 * guard has stopped the state, the scenario's handler is not called.
 * An error the guard raises is raised inside its hook, where hooks are
 * off: a handler that looped then would loop for ever.
 * Upvalue: the scenario's handler. */
static int guarded_handler(lua_State *L)
{
	if (guard(L)->stop)
		return 1;

	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);

	return lua_gettop(L);
}


/* xpcall(f, msgh, ...) with msgh behind guarded_handler.
 * Upvalue: Lua's xpcall. */
static int safe_xpcall(lua_State *L)
{
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, guarded_handler, 1);
	lua_replace(L, 2);

	return lua_tocfunction(L, lua_upvalueindex(1))(L);
}


void sandbox_close(lua_State *L)
{
	void *ud = NULL;

	if (!L)
		return;
	(void)lua_getallocf(L, &ud);
	lua_close(L);
	free(ud);
}


int sandbox_new(lua_State **Lp, struct sandbox_lib *lib, uint64_t seed,
		bool unsafe)
{
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base},
		{LUA_LOADLIBNAME, luaopen_package},
		{LUA_COLIBNAME, luaopen_coroutine},
		{LUA_TABLIBNAME, luaopen_table},
		{LUA_OSLIBNAME, luaopen_os},
		{LUA_STRLIBNAME, luaopen_string},
		{LUA_MATHLIBNAME, luaopen_math},
		{LUA_UTF8LIBNAME, luaopen_utf8},
		{NULL, NULL}
	};
	const luaL_Reg *l;
	lua_State *L;

	struct sandbox_alloc *a = calloc(1, sizeof(*a));

	L = a ? lua_newstate(capped_alloc, a) : NULL;
	if (!L) {
		free(a);
		return ENOMEM;
	}
	lua_atpanic(L, panic);
	sandbox_budget(L);

	/* the runner keeps its struct test here; none yet */
	memset(lua_getextraspace(L), 0, LUA_EXTRASPACE);

	for (l = libs; l->func; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}

	if (unsafe) {
		/* --allow-unsafe: files and commands, as the user asked */
		luaL_requiref(L, LUA_IOLIBNAME, luaopen_io, 1);
		lua_pop(L, 1);
	}
	else {
		remove_fields(L, NULL, removed_base);
		remove_fields(L, LUA_OSLIBNAME, removed_os);
	}

	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);

	lua_getglobal(L, "load");
	lua_pushcclosure(L, safe_load, 1);
	lua_setglobal(L, "load");
	lua_getglobal(L, "setmetatable");
	lua_pushcclosure(L, safe_setmetatable, 1);
	lua_setglobal(L, "setmetatable");
	lua_getglobal(L, "xpcall");
	lua_pushcclosure(L, safe_xpcall, 1);
	lua_setglobal(L, "xpcall");

	restrict_package(L, lib);
	guard_coroutines(L);

	/* the same seed in every state of a run: a file's top level must
	 * declare the same tests each time it is loaded */
	lua_getglobal(L, LUA_MATHLIBNAME);
	lua_getfield(L, -1, "randomseed");
	lua_pushinteger(L, (lua_Integer)seed);
	lua_call(L, 1, 0);
	lua_pop(L, 1);

	*Lp = L;

	return 0;
}


/* Message handler for lua_pcall: the message plus a traceback. */
int sandbox_traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)",
				      luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);

	return 1;
}


/* Loads and runs a scenario file's top level: it declares its tests.
 * On error the message (with traceback) is left on the stack. */
int sandbox_load_scenario(lua_State *L, const char *path)
{
	int base, status;

	lua_pushcfunction(L, sandbox_traceback);
	base = lua_gettop(L);

	status = luaL_loadfilex(L, path, "t");
	if (status == LUA_OK)
		status = lua_pcall(L, 0, 0, base);

	lua_remove(L, base);

	return status;
}
