/**
 * @file l_remote.c  A remote UAS and its invitations, in Lua (--agent)
 *
 * The same methods as l_uas.c's, so a scenario does not know which UAS
 * it drives:
 *
 *   local inv = t:uas():incoming()      -- the agent saw an INVITE
 *   inv:progress{ statusCode = 183, rel100 = true }
 *   inv:accept()
 *
 * Each call goes to the agent as a JSON-RPC request and waits for its
 * answer. The options are passed as they are, unchecked: what the
 * implementation accepts or refuses is the thing under test, and an
 * error it reports is raised in the scenario at the calling line.
 * Modifiers stay in Lua: the agent gets a number for each and asks
 * siptap to run it (l_remote_serve). The call's state is read from the
 * wire, the one thing every UAS shares.
 */
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "agent.h"
#include "sandbox.h"
#include "tap.h"
#include "uas.h"
#include "wire.h"
#include "late.h"
#include "runner.h"
#include "l_siptap.h"


#define RUAS_META "siptap.remote_uas"
#define RINV_META "siptap.remote_invitation"
#define GUARD_META "siptap.remote_mbuf"
#define MODIFIERS "siptap.modifiers"

enum {
	ANSWER_WAIT_MS = 10000,   /* for an agent's answer; a UAS that
				     holds a call open still answers */
	JSON_MAX_DEPTH = 16,
};

/* An invitation of the remote UAS; its Call-ID is the user value. */
struct rinv {
	struct test *t;
	lua_Integer call;         /* the agent's handle */
};

static const char *const methods[] = {
	"progress", "accept", "reject", "queued", "configure", "bye",
	"info", "reinvite"
};
/* what a test waits for, kept as long as the wait (runner.h) */
static const char *const answers[] = {
	"the agent's answer to progress()", "the agent's answer to accept()",
	"the agent's answer to reject()", "the agent's answer to queued()",
	"the agent's answer to configure()", "the agent's answer to bye()",
	"the agent's answer to info()", "the agent's answer to reinvite()"
};
/* the method that waits, for an error when it cannot */
static const char *const waits[] = {
	"inv:progress", "inv:accept", "inv:reject", "inv:queued", "t:uas",
	"inv:bye", "inv:info", "inv:reinvite"
};
/* the SIP request of each of the UAS's own, NULL for the others */
static const char *const sip_methods[] = {
	NULL, NULL, NULL, NULL, NULL, "BYE", "INFO", "INVITE"
};
/* the options of each of the UAS's own, as the reference UAS's */
static const char *const bye_known[] = {"extraHeaders", "timeout", NULL};
static const char *const info_known[] = {"body", "contentType",
					 "extraHeaders", "timeout", NULL};
static const char *const reinvite_known[] = {"sdp", "extraHeaders",
	"timeout", "sessionDescriptionHandlerOptions",
	"sessionDescriptionHandlerModifiers", NULL};
static const char *const *const own_known[] = {
	NULL, NULL, NULL, NULL, NULL, bye_known, info_known, reinvite_known
};
/* at most 8: a wait's context keeps it in 3 bits */
enum method { M_PROGRESS, M_ACCEPT, M_REJECT, M_QUEUED, M_CONFIGURE,
	      M_BYE, M_INFO, M_REINVITE };


static struct rinv *check_rinv(lua_State *L)
{
	return luaL_checkudata(L, 1, RINV_META);
}


/* --- Lua values as JSON ---------------------------------------------- */

/* Bytes as a JSON string: a scenario's text goes out byte for byte
 * (CR, LF and NUL escaped), whatever it holds. */
static void json_string(struct mbuf *mb, const char *s, size_t len)
{
	size_t i;

	(void)mbuf_write_u8(mb, '"');
	for (i = 0; i < len; i++) {
		const uint8_t c = (uint8_t)s[i];

		if (c == '"' || c == '\\')
			(void)mbuf_printf(mb, "\\%c", c);
		else if (c == '\n')
			(void)mbuf_write_str(mb, "\\n");
		else if (c == '\r')
			(void)mbuf_write_str(mb, "\\r");
		else if (c == '\t')
			(void)mbuf_write_str(mb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			(void)mbuf_printf(mb, "\\u%04x", c);
		else
			(void)mbuf_write_u8(mb, c);
	}
	(void)mbuf_write_u8(mb, '"');
}


/* A table is a JSON array when its keys are exactly 1..n (or it is
 * empty: extraHeaders = {} must stay a list). */
static bool is_array(lua_State *L, int idx)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    lua_tointeger(L, -1) > n) {
			lua_pop(L, 1);
			return false;
		}
		++count;
	}

	return count == n;
}


/* A modifier function becomes a number the agent can ask to run:
 * MODIFIERS[handle] = {fn, its position in its list}. */
static lua_Integer modifier_handle(lua_State *L, int fn, lua_Integer pos)
{
	lua_Integer handle;

	fn = lua_absindex(L, fn);
	if (lua_getfield(L, LUA_REGISTRYINDEX, MODIFIERS) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, MODIFIERS);
	}
	handle = (lua_Integer)lua_rawlen(L, -1) + 1;
	lua_createtable(L, 2, 0);
	lua_pushvalue(L, fn);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, pos);
	lua_rawseti(L, -2, 2);
	lua_rawseti(L, -2, handle);
	lua_pop(L, 1);

	return handle;
}


static void json_value(lua_State *L, int idx, struct mbuf *mb,
		       const char *fn, const char *key, int depth);


static void json_table(lua_State *L, int idx, struct mbuf *mb,
		       const char *fn, const char *key, int depth)
{
	const bool modifiers = key &&
		!strcmp(key, "sessionDescriptionHandlerModifiers");
	const bool array = is_array(L, idx);
	lua_Integer i, n = (lua_Integer)lua_rawlen(L, idx);
	bool first = true;

	if (depth > JSON_MAX_DEPTH)
		luaL_error(L, "%s: options nest deeper than %d tables", fn,
			   JSON_MAX_DEPTH);

	if (array) {
		(void)mbuf_write_u8(mb, '[');
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, i);
			if (i > 1)
				(void)mbuf_write_u8(mb, ',');
			if (modifiers && lua_isfunction(L, -1))
				(void)mbuf_printf(mb, "%lld", (long long)
						  modifier_handle(L, -1, i));
			else
				json_value(L, lua_gettop(L), mb, fn, key,
					   depth + 1);
			lua_pop(L, 1);
		}
		(void)mbuf_write_u8(mb, ']');
		return;
	}

	(void)mbuf_write_u8(mb, '{');
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t len;
		const char *k;

		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "%s: %s: table keys must be strings to "
				   "go to the agent, got a %s", fn,
				   key ? key : "options",
				   luaL_typename(L, -2));
		k = lua_tolstring(L, -2, &len);
		if (!first)
			(void)mbuf_write_u8(mb, ',');
		first = false;
		json_string(mb, k, len);
		(void)mbuf_write_u8(mb, ':');
		json_value(L, lua_gettop(L), mb, fn, depth ? key : k,
			   depth + 1);
		lua_pop(L, 1);
	}
	(void)mbuf_write_u8(mb, '}');
}


/* key: the top-level option this value belongs to, for messages and
 * for spotting the modifiers list */
static void json_value(lua_State *L, int idx, struct mbuf *mb,
		       const char *fn, const char *key, int depth)
{
	char num[32];
	size_t len;
	const char *s;
	lua_Number d;

	switch (lua_type(L, idx)) {

	case LUA_TNIL:
		(void)mbuf_write_str(mb, "null");
		break;

	case LUA_TBOOLEAN:
		(void)mbuf_write_str(mb, lua_toboolean(L, idx) ? "true"
				     : "false");
		break;

	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			(void)mbuf_printf(mb, "%lld",
					  (long long)lua_tointeger(L, idx));
			break;
		}
		d = lua_tonumber(L, idx);
		if (!isfinite(d))
			luaL_error(L, "%s: %s: %f has no JSON form", fn,
				   key ? key : "options", d);
		/* re_printf has no %g; 17 digits give the double back */
		(void)snprintf(num, sizeof(num), "%.17g", d);
		(void)mbuf_write_str(mb, num);
		break;

	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		json_string(mb, s, len);
		break;

	case LUA_TTABLE:
		json_table(L, idx, mb, fn, key, depth);
		break;

	default:
		luaL_error(L, "%s: %s: a %s cannot go to the agent (functions "
			   "only as sessionDescriptionHandlerModifiers)", fn,
			   key ? key : "options", luaL_typename(L, idx));
	}
}


/* The mbuf lives in a userdata while Lua values are encoded, so that
 * an error half way through frees it with the rest. */
static int guard_gc(lua_State *L)
{
	struct mbuf **mbp = luaL_checkudata(L, 1, GUARD_META);

	*mbp = mem_deref(*mbp);

	return 0;
}


static struct mbuf *guard_push(lua_State *L)
{
	struct mbuf **mbp = lua_newuserdatauv(L, sizeof(*mbp), 0);

	*mbp = NULL;
	luaL_setmetatable(L, GUARD_META);
	*mbp = mbuf_alloc(512);
	if (!*mbp)
		luaL_error(L, "out of memory");

	return *mbp;
}


/* --- requests and their answers -------------------------------------- */

static int answer_k(lua_State *L, int status, lua_KContext ctx);


/* Sends method with the JSON params in the guard on top of the stack
 * (popped), and waits for the answer. ctx: the request id and method. */
static int request(lua_State *L, struct test *t, enum method m)
{
	struct mbuf *mb = *(struct mbuf **)lua_touserdata(L, -1);
	char where[64];
	uint32_t id;
	int err;

	runner_wait_allowed(L, waits[m]);
	(void)mbuf_write_u8(mb, 0);
	err = agent_request(t->agent, &id, methods[m], (char *)mb->buf);
	lua_pop(L, 1);
	if (err) {
		/* lua_pushfstring knows no %J */
		(void)re_snprintf(where, sizeof(where), "%J",
				  &t->conf->agent);
		return luaL_error(L, "%s: could not reach the agent at %s "
				  "(%s)", methods[m], where, strerror(err));
	}

	runner_wait_begin(L, waits[m], answers[m], ANSWER_WAIT_MS);

	return answer_k(L, LUA_OK, (lua_KContext)id << 3 | m);
}


/* An answer: nil for progress/accept/reject, the number for queued,
 * the uas object again for configure. */
static int answered(lua_State *L, struct test *t, enum method m,
		    const struct odict *result)
{
	uint64_t n = 0;

	switch (m) {

	case M_QUEUED:
		if (!result || !odict_get_number(result, &n, "queued"))
			return luaL_error(L, "queued: the agent's answer has "
					  "no number 'queued'");
		lua_pushinteger(L, (lua_Integer)n);
		return 1;

	case M_CONFIGURE:
		if (result && odict_get_number(result, &n, "t1") && n > 0 &&
		    n <= 60000)
			t->remote_t1 = (uint32_t)n;
		lua_pushvalue(L, 1);
		return 1;

	default:
		return 0;
	}
}


/* The final response to the UAS's own request (its CSeq at ctx, the
 * SIP method at ctx + 1, the Lua method's name at ctx + 2), from the
 * wire: the mirror of what siptap's UAC answered. */
static int final_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = runner_test(L);
	const uint32_t cseq = (uint32_t)lua_tointeger(L, (int)ctx);
	const char *met = lua_tostring(L, (int)ctx + 1);
	const char *fn = lua_tostring(L, (int)ctx + 2);
	struct pl callid;

	(void)status;
	lua_getiuservalue(L, 1, 1);
	pl_set_str(&callid, lua_tostring(L, -1));
	if (l_uas_push_final(L, t, &callid, met, cseq)) {
		runner_wait_end(t);
		return 1;
	}
	lua_pop(L, 1);
	if (runner_wait_expired(t)) {
		runner_wait_end(t);
		return luaL_error(L, "%s: no final response to the %s arrived "
				  "within the wait%s", fn, met,
				  runner_undecodable(t, WIRE_UAS));
	}

	return runner_yield(L, ctx, final_k);
}


/* The agent sent the request (its CSeq in result): now its final
 * response, within the scenario's timeout (option 'timeout'). */
static int final_wait(lua_State *L, enum method m, uint64_t cseq)
{
	uint32_t ms;

	if (!cseq || cseq > UINT32_MAX)
		return luaL_error(L, "%s: the agent's answer has no number "
				  "'cseq' (of the request it sent)",
				  methods[m]);
	ms = l_wait_timeout(L, 2, waits[m], own_known[m]);
	runner_wait_begin(L, waits[m], "the final response", ms);
	lua_settop(L, 2);
	lua_pushinteger(L, (lua_Integer)cseq);
	lua_pushstring(L, sip_methods[m]);
	lua_pushstring(L, waits[m]);

	return final_k(L, LUA_OK, lua_gettop(L) - 2);
}


static int answer_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = runner_test(L);
	const enum method m = (enum method)(ctx & 7);
	struct odict *msg = agent_response(t->agent, (uint32_t)(ctx >> 3));
	const struct odict_entry *res;
	char text[1024];
	int n;

	(void)status;
	if (!msg) {
		if (agent_error(t->agent)) {
			runner_wait_end(t);
			return luaL_error(L, "%s: the connection to the agent "
					  "ended (%s)", methods[m],
					  strerror(agent_error(t->agent)));
		}
		if (runner_wait_expired(t)) {
			runner_wait_end(t);
			return luaL_error(L, "%s: the agent did not answer "
					  "within %d ms", methods[m],
					  (int)ANSWER_WAIT_MS);
		}
		return runner_yield(L, ctx, answer_k);
	}

	runner_wait_end(t);
	res = odict_get_type(msg, ODICT_OBJECT, "result");
	if (sip_methods[m] && res) {
		uint64_t cseq = 0;

		/* the wait goes on, for the final response: msg is freed
		 * first, as a yield does not return here */
		(void)odict_get_number(res->u.odict, &cseq, "cseq");
		mem_deref(msg);
		return final_wait(L, m, cseq);
	}
	if (res || !odict_lookup(msg, "error")) {
		n = answered(L, t, m, res ? res->u.odict : NULL);
		mem_deref(msg);
		return n;
	}

	(void)re_snprintf(text, sizeof(text), "%H", agent_error_print, msg);
	mem_deref(msg);

	return luaL_error(L, "%s: the remote UAS refused: %s", methods[m],
			  text);
}


/* sessionDescriptionHandlerOptions that are siptap's own (its reference
 * UAS's SDP generator), not SIP.js's: the agent's implementation has no
 * such option, so a test that uses one cannot run against it. A skip
 * with the reason, never a pass on options the UAS did not take. */
static void skip_extensions(lua_State *L, struct test *t)
{
	static const char *const own[] = {"codecs", "direction", "port"};
	size_t i;

	if (!lua_istable(L, 2) ||
	    lua_getfield(L, 2, "sessionDescriptionHandlerOptions") !=
	    LUA_TTABLE) {
		lua_settop(L, 2);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(own); i++) {
		if (lua_getfield(L, -1, own[i]) == LUA_TNIL) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushfstring(L, "siptap extension %s: %s has no such "
				"option (sessionDescriptionHandlerOptions."
				"%s is siptap's reference UAS's own)", own[i],
				t->remote_name ? t->remote_name : "the agent",
				own[i]);
		runner_skip(L, lua_tostring(L, -1));
	}
	lua_settop(L, 2);
}


/* m with {"call": N, "options": the Lua value at 2, as it is} */
static int send_options(lua_State *L, struct rinv *ri, enum method m)
{
	struct mbuf *mb = guard_push(L);

	(void)mbuf_printf(mb, "{\"call\":%lld,\"options\":",
			  (long long)ri->call);
	if (lua_isnil(L, 2))
		(void)mbuf_write_str(mb, "{}");
	else
		json_value(L, 2, mb, methods[m], NULL, 0);
	(void)mbuf_write_u8(mb, '}');

	return request(L, ri->t, m);
}


/* inv:progress(opts), inv:accept(opts), inv:reject(opts or code) */
static int invitation_call(lua_State *L, enum method m)
{
	struct rinv *ri = check_rinv(L);

	if (m == M_REJECT)
		l_uas_reject_args(L);
	lua_settop(L, 2);
	if (m == M_PROGRESS || m == M_ACCEPT)
		skip_extensions(L, ri->t);

	return send_options(L, ri, m);
}


/* inv:bye(), inv:info(), inv:reinvite(): the UAS's own request in the
 * dialog, through the agent's API (SIP.js: Session.bye(), info(),
 * invite()); the options checked as the reference UAS's, sent as they
 * are; the peer's final response returned from the wire. */
static int own_request(lua_State *L, enum method m)
{
	struct rinv *ri = check_rinv(L);

	lua_settop(L, 2);
	(void)l_wait_timeout(L, 2, waits[m], own_known[m]);
	return send_options(L, ri, m);
}


static int l_rbye(lua_State *L)
{
	return own_request(L, M_BYE);
}


static int l_rinfo(lua_State *L)
{
	return own_request(L, M_INFO);
}


static int l_rreinvite(lua_State *L)
{
	return own_request(L, M_REINVITE);
}


static int l_progress(lua_State *L)
{
	return invitation_call(L, M_PROGRESS);
}


static int l_accept(lua_State *L)
{
	return invitation_call(L, M_ACCEPT);
}


static int l_reject(lua_State *L)
{
	return invitation_call(L, M_REJECT);
}


static int l_queued(lua_State *L)
{
	struct rinv *ri = check_rinv(L);
	struct mbuf *mb = guard_push(L);

	(void)mbuf_printf(mb, "{\"call\":%lld}", (long long)ri->call);

	return request(L, ri->t, M_QUEUED);
}


/* --- the call's state, from the wire ---------------------------------- */

/* What the UAC saw of this call: a 1xx other than 100 (early), a 2xx
 * (accepted), its ACK sent (confirmed), a final >= 300 or a BYE sent
 * or received (terminated). */
static enum uas_state wire_state(const struct test *t, const char *callid)
{
	enum uas_state state = UAS_INCOMING;
	struct le *le;

	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;
		const struct wire_head *h = &wm->b->head;

		if (wm->role != WIRE_UAC || !wm->decoded ||
		    pl_strcmp(&h->callid, callid))
			continue;

		if (!h->req && !wm->tx && !pl_strcmp(&h->cseq_met, "INVITE")) {
			if (h->scode >= 300)
				return UAS_TERMINATED;
			if (h->scode >= 200)
				state = max(state, UAS_ACCEPTED);
			else if (h->scode > 100)
				state = max(state, UAS_EARLY);
		}
		else if (h->req && !pl_strcmp(&h->met, "BYE")) {
			return UAS_TERMINATED;   /* either side's */
		}
		else if (h->req && wm->tx) {
			if (!pl_strcmp(&h->met, "ACK") &&
			    state == UAS_ACCEPTED)
				state = UAS_CONFIRMED;
		}
	}

	return state;
}


static const char *callid_of(lua_State *L)
{
	const char *callid;

	lua_getiuservalue(L, 1, 1);
	callid = lua_tostring(L, -1);
	lua_pop(L, 1);   /* the userdata keeps the string alive */

	return callid;
}


/* The state of the remote invitation at 1 */
static enum uas_state rinv_state(lua_State *L)
{
	struct rinv *ri = check_rinv(L);

	return wire_state(ri->t, callid_of(L));
}


/* inv:wait's state (l_uas_common.c), as the wire shows it */
static int push_state(lua_State *L)
{
	lua_pushinteger(L, rinv_state(L));
	return 1;
}


static int l_state(lua_State *L)
{
	lua_pushstring(L, uas_state_name(rinv_state(L)));

	return 1;
}


static int l_request(lua_State *L)
{
	struct rinv *ri = check_rinv(L);
	struct pl callid;

	pl_set_str(&callid, callid_of(L));
	l_uas_push_request(L, ri->t, &callid);

	return 1;
}


/* --- the remote UAS --------------------------------------------------- */

static int incoming_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = runner_test(L);
	struct odict *msg = agent_take(t->agent, "invite");
	const struct odict_entry *params;
	const char *callid;
	struct rinv *ri;
	uint64_t call;

	(void)status;
	(void)ctx;
	if (!msg) {
		if (agent_error(t->agent) || runner_wait_expired(t)) {
			runner_wait_end(t);
			return luaL_error(L, "incoming: no INVITE arrived "
					  "within the wait%s",
					  agent_error(t->agent) ? " (the "
					  "connection to the agent ended)"
					  : "");
		}
		return runner_yield(L, 0, incoming_k);
	}

	runner_wait_end(t);
	params = odict_get_type(msg, ODICT_OBJECT, "params");
	callid = params ? odict_string(params->u.odict, "callId") : NULL;
	if (!callid || !odict_get_number(params->u.odict, &call, "call")) {
		mem_deref(msg);
		return luaL_error(L, "incoming: the agent's invite "
				  "notification lacks call or callId");
	}

	ri = lua_newuserdatauv(L, sizeof(*ri), 1);
	ri->t = t;
	ri->call = (lua_Integer)call;
	luaL_setmetatable(L, RINV_META);
	lua_pushstring(L, callid);
	lua_setiuservalue(L, -2, 1);
	mem_deref(msg);

	return 1;
}


/* The agent tells of the INVITE at its UAS: on a busy machine as late
 * as it may answer (start's answer_ms), which a default wait allows */
static int l_incoming(lua_State *L)
{
	const struct test *t = runner_test(L);
	uint32_t ms;

	(void)luaL_checkudata(L, 1, RUAS_META);
	ms = l_wait_timeout(L, 2, "uas:incoming", NULL);
	if (!lua_istable(L, 2) && t && t->remote_answer_ms > ms)
		ms = t->remote_answer_ms;
	runner_wait_begin(L, "uas:incoming", "an INVITE at the remote UAS",
			  ms);

	return incoming_k(L, LUA_OK, 0);
}


/* t:uas([{rel100 = "required"|"supported", t1 = ms,
 * sendInitialProvisionalResponse = bool, noAnswerTimeout = s}]) in remote
 * mode: the options go to the agent (configure); the T1 it really uses
 * comes back, and t:uas_t1() tells it. */
int l_remote_uas_push(lua_State *L, struct test *t, int opts)
{
	static const char *const known[] = {"rel100", "t1",
		"sendInitialProvisionalResponse", "noAnswerTimeout", NULL};
	struct test **tp;
	struct mbuf *mb;

	bool given = l_options(L, opts, "t:uas", known);

	tp = lua_newuserdatauv(L, sizeof(*tp), 0);
	*tp = t;
	luaL_setmetatable(L, RUAS_META);
	if (!given)
		return 1;

	lua_replace(L, 1);    /* answered() returns what is at 1 */
	mb = guard_push(L);
	json_value(L, opts, mb, "uas", NULL, 0);

	return request(L, t, M_CONFIGURE);
}


/* --- what the agent asks of siptap ------------------------------------ */

/* Runs modifier `handle` over the SDP, as modifier(sdp, type) (type:
 * "offer" or "answer", as the agent says; nil if it does not); its
 * result, or NULL and why. */
static const char *run_modifier(lua_State *L, lua_Integer handle,
				const char *sdp, const char *type, char *why,
				size_t whysz)
{
	lua_Integer pos;

	if (lua_getfield(L, LUA_REGISTRYINDEX, MODIFIERS) != LUA_TTABLE ||
	    lua_rawgeti(L, -1, handle) != LUA_TTABLE) {
		(void)re_snprintf(why, whysz, "no modifier %lld",
				  (long long)handle);
		return NULL;
	}
	lua_rawgeti(L, -1, 1);
	lua_rawgeti(L, -2, 2);
	pos = lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_pushcfunction(L, sandbox_traceback);
	lua_insert(L, -2);
	lua_pushstring(L, sdp);
	lua_pushstring(L, type);

	sandbox_budget(L);
	if (lua_pcall(L, 2, 1, -4) != LUA_OK) {
		(void)re_snprintf(why, whysz, "sessionDescriptionHandler"
				  "Modifiers[%lld] raised: %s", (long long)pos,
				  lua_tostring(L, -1));
		return NULL;
	}
	if (lua_type(L, -1) != LUA_TSTRING) {
		(void)re_snprintf(why, whysz, "sessionDescriptionHandler"
				  "Modifiers[%lld] must return the SDP as a "
				  "string, got %s", (long long)pos,
				  luaL_typename(L, -1));
		return NULL;
	}

	return lua_tostring(L, -1);
}


static void serve_modify(struct test *t, struct odict *msg)
{
	const struct odict_entry *params = odict_get_type(msg, ODICT_OBJECT,
							  "params");
	lua_State *L = t->L;
	const int top = lua_gettop(L);
	uint64_t id = 0, handle = 0;
	const char *sdp, *out = NULL;
	char why[512] = "modify: params need modifier and sdp";
	struct mbuf *mb;

	(void)odict_get_number(msg, &id, "id");
	sdp = params ? odict_string(params->u.odict, "sdp") : NULL;
	if (sdp && odict_get_number(params->u.odict, &handle, "modifier"))
		out = run_modifier(L, (lua_Integer)handle, sdp,
				   odict_string(params->u.odict, "type"), why,
				   sizeof(why));

	mb = mbuf_alloc(512);
	if (out && mb) {
		(void)mbuf_write_str(mb, "{\"sdp\":");
		json_string(mb, out, strlen(out));
		(void)mbuf_write_str(mb, "}");
		(void)mbuf_write_u8(mb, 0);
		(void)agent_respond(t->agent, (uint32_t)id, (char *)mb->buf,
				    NULL);
	}
	else {
		(void)agent_respond(t->agent, (uint32_t)id, NULL, why);
	}
	mem_deref(mb);
	lua_settop(L, top);
}


/* The params of a notification, or NULL */
static const struct odict *params_of(const struct odict *msg)
{
	const struct odict_entry *e = odict_get_type(msg, ODICT_OBJECT,
						     "params");

	return e ? e->u.odict : NULL;
}


/* A string of a notification's params, or NULL */
static const char *param(const struct odict *msg, const char *key)
{
	const struct odict *params = params_of(msg);

	return params ? odict_string(params, key) : NULL;
}


/* The implementation's own warnings, as TAP comments of the test. */
static void serve_log(struct test *t, struct odict *msg)
{
	const char *level = param(msg, "level");
	const char *text = param(msg, "message");
	char *line = NULL;

	if (!text)
		return;
	if (!re_sdprintf(&line, "%s %s: %s", t->remote_name ?
			 t->remote_name : "agent", level ? level : "log",
			 text))
		(void)tap_comment(t->out, 1, line);
	mem_deref(line);
}


/* Edge mode (--proxy): what the UAS sent and got over its connection
 * to the proxy, as the agent saw it there ({dir = "sent"|"received",
 * data, at = µs since 1970}); the UAS's side of the call, marked as the
 * agent's report.
 * Without a proxy our own sockets have it: a report is ignored. */
static void serve_wire(struct test *t, struct odict *msg)
{
	const char *dir = param(msg, "dir");
	const char *data = param(msg, "data");
	uint64_t at = 0, usec = UINT64_MAX;

	if (!sa_isset(&t->conf->proxy, SA_ADDR) || !dir || !data ||
	    (strcmp(dir, "sent") && strcmp(dir, "received")))
		return;

	/* at: when, in µs of the wall clock (both on this machine) */
	if (odict_get_number(params_of(msg), &at, "at"))
		usec = at > t->started_unix_usec ? at - t->started_unix_usec
			: 0;

	(void)wire_report(t->wire, !strcmp(dir, "sent"), SIP_TRANSP_WS,
			  usec, (const uint8_t *)data, strlen(data));
}


/* The implementation failed (a page error, a crashed browser): one
 * failing point with its error and stack, and the test is over. */
static void serve_failed(struct test *t, struct odict *msg)
{
	const char *text = param(msg, "message");
	char desc[160];

	(void)re_snprintf(desc, sizeof(desc), "%s kept running",
			  t->remote_name ? t->remote_name : "the remote UAS");
	runner_fail_now(t, desc, text ? text : "the agent said its UAS "
			"failed, without a message");
}


/* How late the UAS's host ran ({ms, at = µs since 1970 when it ran
 * again}: e.g. a browser page's timers on a busy machine); t:late()'s
 * second value. */
static void serve_late(struct test *t, struct odict *msg)
{
	const struct odict *params = params_of(msg);
	uint64_t ms = 0, at = 0;

	if (!params || !odict_get_number(params, &ms, "ms") || !ms ||
	    ms > 3600 * 1000)
		return;
	if (!odict_get_number(params, &at, "at") ||
	    at < t->started_unix_usec)
		at = t->started_unix_usec;
	late_add(t->remote_late, (at - t->started_unix_usec) / 1000, ms);
}


/* Called outside the test's coroutine whenever the agent sent
 * something: modifiers run in the test's Lua state (its main thread),
 * so a call:response() wait is no obstacle. */
void l_remote_serve(struct test *t)
{
	struct odict *msg;

	while ((msg = agent_take(t->agent, "log"))) {
		serve_log(t, msg);
		mem_deref(msg);
	}
	while ((msg = agent_take(t->agent, "wire"))) {
		serve_wire(t, msg);
		mem_deref(msg);
	}
	while ((msg = agent_take(t->agent, "late"))) {
		serve_late(t, msg);
		mem_deref(msg);
	}
	if ((msg = agent_take(t->agent, "failed"))) {
		serve_failed(t, msg);
		mem_deref(msg);
		return;
	}
	while (t->L && (msg = agent_take(t->agent, "modify"))) {
		serve_modify(t, msg);
		mem_deref(msg);
	}
}


void l_remote_open(lua_State *L)
{
	static const struct l_uas_ops ops = {   /* in l_siptap.h's order */
		l_incoming, l_progress, l_accept, l_reject, l_state,
		l_queued, l_request, push_state, NULL,
		NULL,             /* update: SIP.js has no UPDATE API */
		l_rinfo, l_rbye, l_rreinvite
	};

	l_uas_register(L, RUAS_META, RINV_META, &ops);

	luaL_newmetatable(L, GUARD_META);
	lua_pushcfunction(L, guard_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
}
