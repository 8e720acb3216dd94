/**
 * @file sandbox.h  The Lua state a scenario runs in
 *
 * Base, string, table, math, utf8, coroutine and a safe part of os;
 * require() finds only Lua files under the siptap library folder. No
 * io, no os.execute, no package.loadlib, no debug, no bytecode;
 * with --allow-unsafe, io and all of os (the user's own risk).
 * require() reads and compiles each Lua file once per run, as text; the
 * run's struct sandbox_lib keeps the compiled chunk, without debug
 * information, for every state (bytecode that siptap made itself,
 * never a scenario's).
 * A guard stops a state at its deadline (--timeout) or after
 * SANDBOX_BUDGET instructions without a wait, from a count hook that
 * no pcall, coroutine or error handler can get round (sandbox.c). The
 * runs siptap makes all the time go between sandbox_enter() and
 * sandbox_leave(): they start without the hook, which costs at every
 * instruction, and a CPU-time signal puts it on one that goes on.
 * math.random starts from the run's seed, and the global SIPTAP tells
 * scenarios the run's settings (seed, t1, matrix).
 */

enum {
	SANDBOX_MEM_CAP = 256 * 1024 * 1024,  /**< bytes per test's state  */
	SANDBOX_OWN_MARGIN = 4 * 1024 * 1024, /**< more for siptap's own   */
	SANDBOX_BUDGET  = 200 * 1000 * 1000,  /**< instructions per resume */
	SANDBOX_HOOK_COUNT = 10000,           /**< the guard looks this often */
};

struct sandbox_lib;

int sandbox_lib_alloc(struct sandbox_lib **libp, const char *dir);
void sandbox_lib_preload(struct sandbox_lib *lib);
int sandbox_new(lua_State **Lp, struct sandbox_lib *lib, uint64_t seed,
		bool unsafe);
void sandbox_budget(lua_State *L);
lua_State *sandbox_enter(lua_State *L);
void sandbox_leave(lua_State *L, lua_State *prev);
void sandbox_deadline(lua_State *L, uint32_t seconds);
void sandbox_guard_reset(lua_State *L, uint32_t seconds);
const char *sandbox_stopped(lua_State *L, const char **at);
void sandbox_close(lua_State *L);
int sandbox_load_scenario(lua_State *L, const char *path);
int sandbox_traceback(lua_State *L);
