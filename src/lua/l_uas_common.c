/**
 * @file l_uas_common.c  What both UAS objects share, in Lua
 *
 * The reference UAS (l_uas.c) and a remote one (l_remote.c, --agent)
 * have the same methods, so a scenario does not know which it drives.
 * What is the same code for both lives here, and neither file reaches
 * into the other: uas:address(), inv:wait(), the INVITE inv:request()
 * returns, and inv:reject(486) as a short form.
 *
 * Both register their methods through l_uas_register(), so the two
 * have the same methods by construction. inv:wait() asks the invitation
 * its state through a function in its metatable (each object gives its
 * own: the reference UAS's call knows it, a remote invitation's is read
 * from the wire).
 */
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "wire.h"
#include "uas.h"
#include "runner.h"
#include "l_siptap.h"


/* The invitation's metatable field: pushes its enum uas_state */
#define INV_STATE "__siptap_state"


/* uas:address(): where the test's UAS listens, the reference UAS or a
 * remote one (--agent); both objects have it */
static int l_address(lua_State *L)
{
	struct test *t = runner_test(L);
	char buf[64];

	luaL_checktype(L, 1, LUA_TUSERDATA);
	(void)re_snprintf(buf, sizeof(buf), "%J", &t->uas_addr);
	lua_pushstring(L, buf);

	return 1;
}


/* inv:reject(486) means inv:reject{statusCode = 486}: the table goes to
 * argument 2, for both UASes' reject. */
void l_uas_reject_args(lua_State *L)
{
	if (lua_type(L, 2) != LUA_TNUMBER)
		return;

	lua_createtable(L, 0, 1);
	lua_pushvalue(L, 2);
	lua_setfield(L, -2, "statusCode");
	lua_replace(L, 2);
}


/* The state of the invitation at 1, as its own object tells it */
static enum uas_state inv_state(lua_State *L)
{
	enum uas_state state;

	if (luaL_getmetafield(L, 1, INV_STATE) == LUA_TNIL)
		luaL_typeerror(L, 1, "invitation");
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	state = (enum uas_state)lua_tointeger(L, -1);
	lua_pop(L, 1);

	return state;
}


static int wait_state_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = runner_test(L);
	enum uas_state now = inv_state(L);

	(void)status;
	if (now >= (enum uas_state)ctx) {
		runner_wait_end(t);
		lua_pushstring(L, uas_state_name(now));
		return 1;
	}
	if (runner_wait_expired(t)) {
		runner_wait_end(t);
		return luaL_error(L, "wait: the call did not get to '%s' "
				  "within the wait (it is %s)",
				  uas_state_name((enum uas_state)ctx),
				  uas_state_name(now));
	}

	return runner_yield(L, ctx, wait_state_k);
}


/* inv:wait(state, [{timeout = ms}]): until the call is in state
 * ("early", "accepted", "confirmed", "terminated") or past it; the
 * invitations of both UASes */
static int l_wait(lua_State *L)
{
	static const char *const states[] = {
		"incoming", "early", "accepted", "confirmed", "terminated",
		NULL
	};
	int state;

	(void)inv_state(L);   /* checks the invitation */
	state = luaL_checkoption(L, 2, NULL, states);
	runner_wait_begin(L, "inv:wait", "the invitation's state",
			  l_wait_timeout(L, 3, "inv:wait", NULL));

	return wait_state_k(L, LUA_OK, state);
}


/* The INVITE with this Call-ID as the UAS received it, or nil */
void l_uas_push_request(lua_State *L, struct test *t,
			const struct pl *callid)
{
	struct le *le;

	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;

		if (wm->role != WIRE_UAS || wm->tx || !wm->decoded ||
		    wm->unseen || !wm->head.req || pl_strcmp(&wm->head.met, "INVITE") ||
		    pl_cmp(&wm->head.callid, callid))
			continue;
		l_msg_push(L, wm);
		return;
	}

	lua_pushnil(L);
}


/* The UAS object's metatable uas_meta and its invitations' inv_meta,
 * with the methods every UAS has: ops gives each object's own. */
void l_uas_register(lua_State *L, const char *uas_meta, const char *inv_meta,
		    const struct l_uas_ops *ops)
{
	const luaL_Reg uas_methods[] = {
		{"incoming", ops->incoming},
		{"address",  l_address},
		{NULL, NULL}
	};
	const luaL_Reg inv_methods[] = {
		{"progress", ops->progress},
		{"accept",   ops->accept},
		{"reject",   ops->reject},
		{"state",    ops->state},
		{"queued",   ops->queued},
		{"wait",     l_wait},
		{"request",  ops->request},
		{NULL, NULL}
	};

	luaL_newmetatable(L, uas_meta);
	luaL_newlib(L, uas_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	luaL_newmetatable(L, inv_meta);
	luaL_newlib(L, inv_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ops->inv_state);
	lua_setfield(L, -2, INV_STATE);
	if (ops->inv_gc) {
		lua_pushcfunction(L, ops->inv_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
}
