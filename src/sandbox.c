/**
 * @file sandbox.c  The Lua state a scenario runs in
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdbool.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <re.h>
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


/* package.searchers[2] of a sandbox: Lua's own file searcher, except
 * that a file is read and compiled once per run, as text, and every
 * state loads the compiled chunk. A test then pays for running the
 * modules it requires, not for parsing them again.
 * Upvalues: the library, package, the original package.searchpath. */
static int lib_searcher(lua_State *L)
{
	struct sandbox_lib *lib = lua_touserdata(L, lua_upvalueindex(1));
	const char *name = luaL_checkstring(L, 1);
	const struct chunk *c;
	const char *path;
	int status;

	lua_pushvalue(L, lua_upvalueindex(3));
	lua_pushvalue(L, 1);
	if (lua_getfield(L, lua_upvalueindex(2), "path") != LUA_TSTRING)
		return luaL_error(L, "'package.path' must be a string");
	lua_call(L, 2, 2);
	if (lua_isnil(L, -2))
		return 1;           /* its "no file ..." lines */

	lua_pop(L, 1);
	path = lua_tostring(L, -1);
	c = chunk_find(lib, path);
	if (!c) {
		status = luaL_loadfilex(L, path, "t");
		if (status == LUA_OK && (c = chunk_keep(L, lib, path)))
			lua_pop(L, 1);
	}
	if (c)
		status = luaL_loadbufferx(L, (const char *)c->code->buf,
					  c->code->end, path, "b");
	if (status != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file "
				  "'%s':\n\t%s", name, path,
				  lua_tostring(L, -1));

	lua_insert(L, -2);         /* loader, then the file name */

	return 2;
}


static void restrict_package(lua_State *L, struct sandbox_lib *lib)
{
	lua_getglobal(L, "package");

	lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", lib->dir, lib->dir);
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_pushnil(L);
	lua_setfield(L, -2, "loadlib");

	/* keep the preload searcher, Lua files through the run's
	 * library, drop the C searchers */
	lua_getfield(L, -1, "searchers");
	lua_pushlightuserdata(L, lib);
	lua_pushvalue(L, -3);
	lua_getfield(L, -1, "searchpath");
	lua_pushcclosure(L, lib_searcher, 3);
	lua_rawseti(L, -2, 2);
	lua_pushnil(L);
	lua_rawseti(L, -2, 4);
	lua_pushnil(L);
	lua_rawseti(L, -2, 3);
	lua_pop(L, 2);
}


/* Each state's allocator keeps count: a scenario that eats memory gets
 * "not enough memory" at SANDBOX_MEM_CAP, not the machine's OOM killer. */
struct sandbox_alloc {
	size_t used;
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
	if (nsize > osize && a->used + (nsize - osize) > SANDBOX_MEM_CAP)
		return NULL;

	ptr = realloc(ptr, nsize);
	if (ptr)
		a->used = a->used - osize + nsize;

	return ptr;
}


/* The count hook: a scenario that loops without waiting ends with an
 * error instead of holding the whole run. Reset at each resume. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	luaL_error(L, "instruction budget exceeded (%d million without "
		   "waiting: an endless loop?)", SANDBOX_BUDGET / 1000000);
}


void sandbox_budget(lua_State *L)
{
	lua_sethook(L, budget_hook, LUA_MASKCOUNT, SANDBOX_BUDGET);
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

	restrict_package(L, lib);

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
