/**
 * @file sandbox.h  The Lua state a scenario runs in
 *
 * Base, string, table, math, utf8, coroutine and a safe part of os;
 * require() finds only Lua files under the siptap library folder. No
 * io, no os.execute, no package.loadlib, no debug, no bytecode.
 */

int sandbox_new(lua_State **Lp, const char *lua_dir);
int sandbox_load_scenario(lua_State *L, const char *path);
int sandbox_traceback(lua_State *L);
