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
		    wm->unseen || !wm->b->head.req ||
		    pl_strcmp(&wm->b->head.met, "INVITE") ||
		    pl_cmp(&wm->b->head.callid, callid))
			continue;
		l_msg_push(L, wm);
		return;
	}

	lua_pushnil(L);
}


/* An in-dialog request of the UAS that this UAS object cannot send */
static int l_not_here(lua_State *L)
{
	return luaL_error(L, "inv:%s: not available through --agent (the "
			  "agent's API has no such request): a scenario skips "
			  "it with { skip = SIPTAP.agent and \"...\" }",
			  lua_tostring(L, lua_upvalueindex(1)));
}


static void own_method(lua_State *L, const char *name, lua_CFunction fn)
{
	if (fn) {
		lua_pushcfunction(L, fn);
	}
	else {
		lua_pushstring(L, name);
		lua_pushcclosure(L, l_not_here, 1);
	}
	lua_setfield(L, -2, name);
}


/* The next request the UAS got in the invitation's dialog after the one
 * returned before (method: of that method only; the others are passed
 * over), not a retransmission; nil when there is none yet. The last
 * one returned is in the invitation's user value table. */
static bool push_next_request(lua_State *L, struct test *t,
			      const struct pl *callid, const char *met,
			      unsigned *after)
{
	struct le *le;

	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;
		const struct wire_head *h = &wm->b->head;

		if (wm->seq <= *after || wm->role != WIRE_UAS || wm->tx ||
		    !wm->decoded || !h->req || wm->retrans ||
		    pl_cmp(&h->callid, callid))
			continue;
		if (!pl_strcmp(&h->met, "INVITE") && !pl_isset(&h->to_tag))
			continue;   /* the INVITE itself: inv:request() */
		if (met && pl_strcasecmp(&h->met, met))
			continue;
		*after = wm->seq;
		l_msg_push(L, wm);
		return true;
	}

	return false;
}


#define NEXT_KEY "siptap.inv.next"

/* ctx: the stack index of the method (or nil); ctx + 1 the Call-ID */
static int next_request_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = runner_test(L);
	const char *met = lua_tostring(L, (int)ctx);
	struct pl callid;
	unsigned after;

	(void)status;
	pl_set_str(&callid, lua_tostring(L, (int)ctx + 1));
	lua_getfield(L, LUA_REGISTRYINDEX, NEXT_KEY);
	lua_pushvalue(L, 1);
	lua_rawget(L, -2);
	after = (unsigned)lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (push_next_request(L, t, &callid, met, &after)) {
		runner_wait_end(t);
		lua_pushvalue(L, 1);
		lua_pushinteger(L, after);
		lua_rawset(L, -4);
		return 1;
	}
	lua_pop(L, 1);
	if (runner_wait_expired(t)) {
		runner_wait_end(t);
		return luaL_error(L, "inv:next_request: no %s arrived within "
				  "the wait%s", met ? met : "request",
				  runner_undecodable(t, WIRE_UAS));
	}

	return runner_yield(L, ctx, next_request_k);
}


/* inv:next_request([method], [{timeout = ms}]): waits for the next
 * request of the peer in the invitation's dialog (a PRACK, an UPDATE,
 * a re-INVITE, a BYE, an INFO...) and returns it as the UAS got it */
static int l_next_request(lua_State *L)
{
	const int opts = lua_istable(L, 2) ? 2 : 3;
	uint32_t ms;
	int idx;

	(void)inv_state(L);   /* checks the invitation */
	if (opts == 3 && !lua_isnoneornil(L, 2))
		(void)l_check_text(L, 2, "inv:next_request", "method");
	ms = l_wait_timeout(L, opts, "inv:next_request", NULL);
	runner_wait_allowed(L, "inv:next_request");
	if (opts == 2)
		lua_pushnil(L);
	else
		lua_pushvalue(L, 2);
	idx = lua_gettop(L);
	lua_getfield(L, 1, "request");
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "call_id");
	lua_replace(L, -2);
	runner_wait_begin(L, "inv:next_request", "a request in the dialog",
			  ms);

	return next_request_k(L, LUA_OK, idx);
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
		{"next_request", l_next_request},
		{NULL, NULL}
	};

	lua_newtable(L);                  /* invitation -> last seq */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, NEXT_KEY);
	luaL_newmetatable(L, uas_meta);
	luaL_newlib(L, uas_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	luaL_newmetatable(L, inv_meta);
	luaL_newlib(L, inv_methods);
	own_method(L, "update", ops->update);
	own_method(L, "info", ops->info);
	own_method(L, "bye", ops->bye);
	own_method(L, "reinvite", ops->reinvite);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ops->inv_state);
	lua_setfield(L, -2, INV_STATE);
	if (ops->inv_gc) {
		lua_pushcfunction(L, ops->inv_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
}
