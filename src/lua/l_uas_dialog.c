/**
 * @file l_uas_dialog.c  The reference UAS's own requests in the dialog
 *
 * inv:update{}, inv:reinvite{}, inv:info{} and inv:bye{} send a request
 * of the UAS's in the dialog of the invitation (uas_request) and return
 * the peer's
 * final response as the UAS received it, read from the wire. What the
 * RFCs forbid (an UPDATE before the early dialog may carry one, P-UPD-2;
 * a BYE from the callee before the ACK, RFC 3261 15) is an error that
 * says so, unless a --uas-fault lets it through.
 */
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "progress.h"
#include "sdp.h"
#include "webrtc.h"
#include "uas.h"
#include "wire.h"
#include "runner.h"
#include "l_siptap.h"


/* The final response to the UAS's met with cseq in the call callid as
 * the UAS got it, pushed; false when the wire has none (yet, or it
 * could not be decoded). Through --agent: the mirror of what the UAC
 * sent. */
bool l_uas_push_final(lua_State *L, struct test *t, const struct pl *callid,
		      const char *met, uint32_t cseq)
{
	struct le *le;

	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;
		const struct wire_head *h = &wm->b->head;

		if (wm->role != WIRE_UAS || wm->tx || !wm->decoded ||
		    h->req || wm->retrans || h->scode < 200 ||
		    h->cseq != cseq || pl_strcmp(&h->cseq_met, met) ||
		    pl_cmp(&h->callid, callid))
			continue;
		l_msg_push(L, wm);
		return true;
	}

	return false;
}


/* The wait: the method's name at ctx, the function's at ctx + 1 */
static int own_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = runner_test(L);
	struct uas_call *call = l_inv_call(L);
	const char *met = lua_tostring(L, (int)ctx);
	const char *fn = lua_tostring(L, (int)ctx + 1);
	uint32_t cseq;
	uint16_t scode;
	int err;

	(void)status;
	if (uas_request_done(call, &cseq, &scode, &err)) {
		runner_wait_end(t);
		if (err)
			return luaL_error(L, "%s: no final response to the %s "
					  "(%s)", fn, met, strerror(err));
		if (l_uas_push_final(L, t, uas_call_callid(call), met,
				     cseq))
			return 1;
		return luaL_error(L, "%s: the %u to the %s could not be read"
				  "%s", fn, scode, met,
				  runner_undecodable(t, WIRE_UAS));
	}
	if (runner_wait_expired(t)) {
		runner_wait_end(t);
		return luaL_error(L, "%s: no final response to the %s arrived "
				  "within the wait%s", fn, met,
				  runner_undecodable(t, WIRE_UAS));
	}

	return runner_yield(L, ctx, own_k);
}


/* extraHeaders (SIP.js's requestOptions.extraHeaders), each checked,
 * pushed as one string of CRLF-ended lines (or nil) */
static void push_headers(lua_State *L, int opts, const char *fn)
{
	char err[PROGRESS_ERRSZ], what[32];
	luaL_Buffer b;
	lua_Integer i, n;
	int tbl;

	if (!lua_istable(L, opts) ||
	    lua_getfield(L, opts, "extraHeaders") == LUA_TNIL) {
		if (lua_istable(L, opts))
			lua_pop(L, 1);
		lua_pushnil(L);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: extraHeaders must be a list of strings, "
			   "got %s", fn, luaL_typename(L, -1));
	tbl = lua_gettop(L);
	n = luaL_len(L, tbl);
	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		(void)re_snprintf(what, sizeof(what), "extraHeaders[%d]",
				  (int)i);
		if (lua_rawgeti(L, tbl, i) != LUA_TSTRING)
			luaL_error(L, "%s: %s must be a string", fn, what);
		if (progress_check_header(what, lua_tostring(L, -1), err,
					  sizeof(err)))
			luaL_error(L, "%s: %s", fn, err);
		luaL_addvalue(&b);
		luaL_addstring(&b, "\r\n");
	}
	luaL_pushresult(&b);
	lua_remove(L, tbl);
}


/* Sends met with body (and ctype) and waits for its final response. */
static int own_request(lua_State *L, const char *met, const char *fn,
		       const char *body, const char *ctype,
		       const char *const *known)
{
	const int opts = 2;
	struct uas_call *call = l_inv_call(L);
	const char *why = NULL;
	int hdrs, err;

	push_headers(L, opts, fn);
	hdrs = lua_gettop(L);
	runner_wait_allowed(L, fn);
	err = uas_request(call, met, body, ctype, lua_tostring(L, hdrs),
			  &why);
	if (err)
		return luaL_error(L, "%s: %s", fn, why ? why : strerror(err));

	lua_pushstring(L, met);
	lua_pushstring(L, fn);
	runner_wait_begin(L, fn, "the final response", l_wait_timeout(L,
			  opts, fn, known));

	return own_k(L, LUA_OK, lua_gettop(L) - 1);
}


#define SDHO "sessionDescriptionHandlerOptions"

/* What sessionDescriptionHandlerOptions ask of a new offer. */
struct reoffer {
	bool given;             /* the table is there                  */
	bool hold;              /* SIP.js's hold (false: resume)       */
	bool ice_restart;       /* offerOptions.iceRestart             */
};


/* A name SIP.js has that a new offer of siptap's UAS cannot make true:
 * it offers the call's own media again. An error, never a no-op. */
static void sdh_refused(lua_State *L, int tbl, const char *fn,
			const char *key, const char *why)
{
	lua_getfield(L, tbl, key);
	if (!lua_isnil(L, -1))
		luaL_error(L, "%s: " SDHO ".%s: SIP.js has it, siptap cannot "
			   "honour it in a new offer (%s)", fn, key, why);
	lua_pop(L, 1);
}


/* sessionDescriptionHandlerOptions of inv:update() and inv:reinvite(),
 * with SIP.js's meaning for Session.invite(): hold (its updateDirection
 * for an offer, sdpgen_hold) and offerOptions.iceRestart (new ICE
 * credentials) change the offer; iceGatheringTimeout changes nothing
 * siptap makes; what would change the call's media is refused. */
static void get_reoffer(lua_State *L, const char *fn, struct reoffer *r)
{
	static const char *const known[] = {
		"hold", "offerOptions", "answerOptions", "constraints",
		"iceGatheringTimeout", "dataChannel", "dataChannelLabel",
		"dataChannelOptions", NULL
	};
	static const char *const offer[] = {
		"iceRestart", "offerToReceiveAudio", "offerToReceiveVideo",
		"voiceActivityDetection", NULL
	};
	const char *media = "the UAS offers the call's media again";
	const char *pc = "RTCPeerConnection's, no SDP of siptap's changes";
	int s, t;

	if (!lua_istable(L, 2) || lua_getfield(L, 2, SDHO) == LUA_TNIL)
		return;
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: " SDHO " must be a table, got %s", fn,
			   luaL_typename(L, -1));
	s = lua_gettop(L);
	l_check_options(L, s, lua_pushfstring(L, "%s: " SDHO, fn), known);
	r->given = true;

	lua_getfield(L, s, "hold");
	if (l_sdh_typed(L, fn, "hold", LUA_TBOOLEAN))
		r->hold = lua_toboolean(L, -1);
	sdh_refused(L, s, fn, "constraints", media);
	sdh_refused(L, s, fn, "dataChannel", media);
	sdh_refused(L, s, fn, "dataChannelLabel", media);
	sdh_refused(L, s, fn, "dataChannelOptions", media);
	sdh_refused(L, s, fn, "answerOptions", "the request makes an offer");
	lua_getfield(L, s, "iceGatheringTimeout");
	if (l_sdh_typed(L, fn, "iceGatheringTimeout", LUA_TNUMBER) &&
	    !(lua_tonumber(L, -1) >= 0))
		luaL_error(L, "%s: " SDHO ".iceGatheringTimeout must be a "
			   "number of ms, 0 or more", fn);

	lua_getfield(L, s, "offerOptions");
	t = lua_gettop(L);
	if (!l_sdh_typed(L, fn, "offerOptions", LUA_TTABLE))
		return;
	l_check_options(L, t, lua_pushfstring(L, "%s: " SDHO ".offerOptions",
					      fn), offer);
	sdh_refused(L, t, fn, "offerToReceiveAudio", pc);
	sdh_refused(L, t, fn, "offerToReceiveVideo", pc);
	sdh_refused(L, t, fn, "voiceActivityDetection", pc);
	lua_getfield(L, t, "iceRestart");
	if (l_sdh_typed(L, fn, "offerOptions.iceRestart", LUA_TBOOLEAN))
		r->ice_restart = lua_toboolean(L, -1);
}


/* The UAS's SDP again as a new offer (its o= version one up), shaped by
 * the options as SIP.js's handler would shape its own: pushed. */
static void push_next_offer(lua_State *L, const char *met, const char *fn,
			    const struct reoffer *r)
{
	const char *why = NULL;
	char *sdp = NULL, *held = NULL, *fresh = NULL;
	int err;

	/* what the RFCs forbid is said first */
	if (uas_request_allowed(l_inv_call(L), met, true, &why))
		luaL_error(L, "%s: %s", fn, why);
	if (uas_call_next_offer(l_inv_call(L), &sdp))
		luaL_error(L, "%s: no SDP of the UAS's yet to offer again: "
			   "give sdp = \"...\" or sdp = false", fn);
	err = r->given ? sdpgen_hold(&held, sdp, r->hold) : 0;
	if (!err && r->ice_restart)
		err = webrtc_ice_restart(&fresh, held ? held : sdp);
	if (!err)
		lua_pushstring(L, fresh ? fresh : held ? held : sdp);
	mem_deref(fresh);
	mem_deref(held);
	mem_deref(sdp);
	if (err)
		luaL_error(L, "%s: %s", fn, strerror(err));
}


/* The offer of inv:update() and inv:reinvite() (options at index 2),
 * pushed: sdp, an SDP string; false: none (nil pushed); none or true:
 * the UAS's SDP again (push_next_offer). sessionDescriptionHandler-
 * Modifiers run over the offer, as SIP.js runs them over its own. */
static const char *push_offer(lua_State *L, const char *met, const char *fn)
{
	struct reoffer r = {false, false, false};
	int t, mods;

	get_reoffer(L, fn, &r);
	mods = lua_istable(L, 2) ? l_sdh_modifiers(L, 2, fn) : 0;
	t = lua_istable(L, 2) ? lua_getfield(L, 2, "sdp") : LUA_TNIL;
	if (t != LUA_TNIL && t != LUA_TSTRING && t != LUA_TBOOLEAN)
		luaL_error(L, "%s: sdp must be an SDP string or false, got "
			   "%s", fn, luaL_typename(L, -1));
	if (t != LUA_TNIL && r.given)
		luaL_error(L, "%s: sdp and " SDHO " together: the options "
			   "shape the UAS's own offer, sdp replaces it; give "
			   "one", fn);
	if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
		if (mods && luaL_len(L, mods) > 0)
			luaL_error(L, "%s: sessionDescriptionHandlerModifiers "
				   "with sdp = false: there is no offer to "
				   "modify (the answer in the ACK is siptap's)",
				   fn);
		lua_pushnil(L);
		return NULL;
	}
	if (t == LUA_TSTRING)
		(void)l_check_nul(L, -1, fn, "sdp");
	else
		push_next_offer(L, met, fn, &r);
	l_sdh_modify(L, mods, fn, "offer", false);

	return l_check_nul(L, -1, fn, "the modified offer");
}


/* inv:update() and inv:reinvite(): met with the offer push_offer()
 * makes of the options at 2 */
static int offer_request(lua_State *L, const char *met, const char *fn)
{
	static const char *const known[] = {"sdp", "extraHeaders", "timeout",
		SDHO, "sessionDescriptionHandlerModifiers", NULL};
	const char *body;

	lua_settop(L, 2);
	(void)l_options(L, 2, fn, known);
	body = push_offer(L, met, fn);

	return own_request(L, met, fn, body, NULL, known);
}


/* inv:update([{sdp =, extraHeaders =, timeout =,
 *              sessionDescriptionHandlerOptions =, ...Modifiers =}]) */
int l_uas_update(lua_State *L)
{
	return offer_request(L, "UPDATE", "inv:update");
}


/* inv:reinvite([{sdp =, extraHeaders =, timeout =, sessionDescription-
 * HandlerOptions =, sessionDescriptionHandlerModifiers =}]): the UAS's
 * re-INVITE after the ACK (RFC 3261 14.1); its 2xx is ACKed (with the
 * answer, when the 2xx offered) before the 2xx is returned. */
int l_uas_reinvite(lua_State *L)
{
	return offer_request(L, "INVITE", "inv:reinvite");
}


/* inv:info([{body =, contentType =, extraHeaders =, timeout =}]) */
int l_uas_info(lua_State *L)
{
	static const char *const known[] = {"body", "contentType",
					    "extraHeaders", "timeout", NULL};
	const char *body = NULL, *ctype = NULL;
	char err[PROGRESS_ERRSZ];

	lua_settop(L, 2);
	if (l_options(L, 2, "inv:info", known)) {
		if (lua_getfield(L, 2, "body") != LUA_TNIL)
			body = l_check_nul(L, -1, "inv:info", "body");
		if (lua_getfield(L, 2, "contentType") != LUA_TNIL)
			ctype = l_check_text(L, -1, "inv:info", "contentType");
	}
	if (body && !ctype)
		return luaL_error(L, "inv:info: a body needs its contentType");
	if (ctype && progress_check_ctype(ctype, err, sizeof(err)))
		return luaL_error(L, "inv:info: %s", err);

	return own_request(L, "INFO", "inv:info", body, body ? ctype : NULL,
			   known);
}


/* inv:bye([{extraHeaders =, timeout =}]): the UAS hangs up */
int l_uas_bye(lua_State *L)
{
	static const char *const known[] = {"extraHeaders", "timeout", NULL};

	lua_settop(L, 2);
	(void)l_options(L, 2, "inv:bye", known);

	return own_request(L, "BYE", "inv:bye", NULL, NULL, known);
}
