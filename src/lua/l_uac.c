/**
 * @file l_uac.c  The UAC and its calls, in Lua
 *
 *   local call = t:uac():invite{ supported = "100rel", sdp = true }
 *   local r = call:response(183)       -- waits; skips retransmissions
 *   local pr = call:prack(r)           -- waits for the PRACK's answer
 *   call:ack(call:response(200))
 *
 * Waits read the test's wire, so what they return is what arrived.
 */
#include <ctype.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "wire.h"
#include "sdp.h"
#include "webrtc.h"
#include "progress.h"
#include "uac.h"
#include "sizes.h"
#include "runner.h"
#include "msgview.h"
#include "l_siptap.h"


#define UAC_META  "siptap.uac"
#define CALL_META "siptap.call"

struct lcall {
	struct uac_call *call;
	struct test *t;
	const struct wire_msg *last;   /* the latest response returned */
	const struct wire_msg *final;  /* the final response, if seen  */
};


static struct test *check_uac(lua_State *L)
{
	struct test **tp = luaL_checkudata(L, 1, UAC_META);

	return *tp;
}


static struct lcall *check_call(lua_State *L)
{
	return luaL_checkudata(L, 1, CALL_META);
}


static int call_gc(lua_State *L)
{
	struct lcall *lc = check_call(L);

	lc->call  = mem_deref(lc->call);
	lc->last  = mem_deref((void *)lc->last);
	lc->final = mem_deref((void *)lc->final);

	return 0;
}


/* Header lines from a Lua list into a fixed array, each one checked
 * like the UAS's extraHeaders: "Name: value", text on one line. */
static size_t check_string_list(lua_State *L, int idx, const char *fn,
				const char **v, size_t max)
{
	char err[PROGRESS_ERRSZ];
	size_t i, n;

	if (lua_isnoneornil(L, idx))
		return 0;
	if (!lua_istable(L, idx))
		luaL_error(L, "%s: headers must be a list of strings, got %s",
			   fn, luaL_typename(L, idx));

	n = (size_t)luaL_len(L, idx);
	if (n > max)
		luaL_error(L, "%s: headers: more than %d entries", fn,
			   (int)max);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, idx, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: headers[%d] must be a string, got "
				   "%s", fn, (int)i + 1, luaL_typename(L, -1));
		lua_pushfstring(L, "headers[%d]", (int)i + 1);
		v[i] = l_check_nul(L, -2, fn, lua_tostring(L, -1));
		if (progress_check_header(lua_tostring(L, -1), v[i], err,
					  sizeof(err)))
			luaL_error(L, "%s: %s", fn, err);
		lua_pop(L, 2);  /* the table keeps the string alive */
	}

	return n;
}


static const char *opt_string(lua_State *L, int tbl, const char *key)
{
	const char *s;

	lua_getfield(L, tbl, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "invite: %s must be a string, got %s", key,
			   luaL_typename(L, -1));
	s = l_check_text(L, -1, "invite", key);
	lua_pop(L, 1);   /* still referenced by the options table */

	return s;
}


/* retransmit = false: one send, no Timer A/E copies (RFC 3261 17.1) */
static bool opt_once(lua_State *L, int tbl, const char *fn)
{
	bool once = false;

	if (!lua_istable(L, tbl))
		return false;
	lua_getfield(L, tbl, "retransmit");
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
		luaL_error(L, "%s: retransmit must be a boolean, got %s", fn,
			   luaL_typename(L, -1));
	once = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
	lua_pop(L, 1);

	return once;
}


/* body = bytes, sent whole: a body is no text, a NUL in it included */
static void invite_body(lua_State *L, int tbl, struct uac_invite_opts *o)
{
	lua_getfield(L, tbl, "body");
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "invite: body must be a string, got %s",
			   luaL_typename(L, -1));
	o->body = lua_tolstring(L, -1, &o->body_len);
	lua_pop(L, 1);   /* still referenced by the options table */
}


/* sdp = true makes an offer, sdp = "webrtc" a browser's (with video =
 * true a video section too); any other string is sent as given. */
static void invite_sdp(lua_State *L, int tbl,
		       struct uac_invite_opts *o)
{
	struct webrtc_opts rtc;
	struct sa laddr;
	char *sdp = NULL;
	bool webrtc;
	int err;

	memset(&rtc, 0, sizeof(rtc));
	lua_getfield(L, tbl, "video");
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
		luaL_error(L, "invite: video must be a boolean, got %s",
			   luaL_typename(L, -1));
	rtc.video = lua_toboolean(L, -1);
	lua_pop(L, 1);

	lua_getfield(L, tbl, "sdp");
	webrtc = lua_type(L, -1) == LUA_TSTRING &&
		!strcmp(lua_tostring(L, -1), "webrtc");
	if (rtc.video && !webrtc)
		luaL_error(L, "invite: video = true needs sdp = \"webrtc\"");
	if (lua_type(L, -1) == LUA_TSTRING && !webrtc) {
		o->body = lua_tolstring(L, -1, &o->body_len);
		lua_setfield(L, tbl, "sdp");  /* keep it referenced */
		return;
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (lua_type(L, -1) != LUA_TBOOLEAN && !webrtc)
		luaL_error(L, "invite: sdp must be true, \"webrtc\" or an SDP "
			   "string, got %s", luaL_typename(L, -1));
	lua_pop(L, 1);

	runner_loopback(&laddr, runner_test(L)->conf);
	err = webrtc ? webrtc_offer(&sdp, &laddr, &rtc)
		: sdpgen_offer(&sdp, &laddr, NULL);
	if (err)
		luaL_error(L, "invite: cannot make an SDP offer (%s)",
			   strerror(err));
	lua_pushstring(L, sdp);
	mem_deref(sdp);
	o->body = lua_tolstring(L, -1, &o->body_len);
	lua_setfield(L, tbl, "sdp");
}


/* A tag or branch the scenario chose: an RFC 3261 token, so that it
 * cannot end the header it goes into. */
static const char *opt_token(lua_State *L, int tbl, const char *fn,
			     const char *key)
{
	const char *s, *p;

	lua_getfield(L, tbl, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: %s must be a string, got %s", fn, key,
			   luaL_typename(L, -1));
	s = lua_tostring(L, -1);
	for (p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("-.!%*_+`'~", *p))
			luaL_error(L, "%s: %s '%s' is not a token (letters, "
				   "digits and -.!%%*_+`'~ only)", fn, key, s);
	}
	if (!*s || lua_rawlen(L, -1) != strlen(s))
		luaL_error(L, "%s: %s must be a non-empty token", fn, key);
	lua_pop(L, 1);   /* still referenced by the options table */

	return s;
}


/* A remote UAS that makes its SDP with a browser's RTCPeerConnection
 * (the agent's start said offers = "webrtc") cannot take an offer
 * without ICE and DTLS-SRTP: the test is skipped with the reason
 * before its INVITE goes out, never failed on the stand-in's account. */
static void skip_unoffered(lua_State *L, const struct test *t,
			   const struct uac_invite_opts *o)
{
	char why[256];

	if (!t->remote_webrtc_only || !o->body || (o->ctype &&
	    str_casecmp(o->ctype, "application/sdp")) ||
	    webrtc_is_offer(o->body))
		return;

	(void)re_snprintf(why, sizeof(why), "%s takes WebRTC offers only "
			  "(RTCPeerConnection: ICE, DTLS-SRTP); this test "
			  "offers other SDP", t->remote_name ?
			  t->remote_name : "the remote UAS");
	runner_skip(L, why);
}


static int l_invite(lua_State *L)
{
	static const char *const known[] = {
		"ruri", "to", "from", "supported", "require", "headers",
		"sdp", "body", "content_type", "to_tag", "video",
		"retransmit", NULL
	};
	struct test *t = check_uac(L);
	struct uac_invite_opts o;
	char why[PROGRESS_ERRSZ];
	struct lcall *lc;
	struct uac_call *call = NULL;
	int err;

	memset(&o, 0, sizeof(o));
	if (!l_options(L, 2, "uac:invite", known)) {
		lua_settop(L, 1);
		lua_newtable(L);
	}

	o.ruri      = opt_string(L, 2, "ruri");
	o.to        = opt_string(L, 2, "to");
	o.from      = opt_string(L, 2, "from");
	o.supported = opt_string(L, 2, "supported");
	o.require   = opt_string(L, 2, "require");
	o.ctype     = opt_string(L, 2, "content_type");
	o.to_tag    = opt_token(L, 2, "invite", "to_tag");
	o.once      = opt_once(L, 2, "invite");
	lua_getfield(L, 2, "headers");
	o.xhdrc = check_string_list(L, -1, "invite", o.xhdrv, UAC_MAX_HDRS);
	lua_setfield(L, 2, "headers");
	invite_body(L, 2, &o);
	if (o.body && lua_getfield(L, 2, "video") != LUA_TNIL)
		return luaL_error(L, "invite: video = true needs sdp = "
				  "\"webrtc\", not a body");
	if (o.body)
		lua_pop(L, 1);
	else
		invite_sdp(L, 2, &o);
	if (progress_check_own("headers", o.xhdrv, o.xhdrc,
			       uac_invite_own_hdrs(&o), why, sizeof(why)))
		return luaL_error(L, "invite: %s", why);
	skip_unoffered(L, t, &o);

	lc = lua_newuserdatauv(L, sizeof(*lc), 1);
	memset(lc, 0, sizeof(*lc));
	luaL_setmetatable(L, CALL_META);
	lua_newtable(L);                   /* seqs of responses taken */
	lua_setiuservalue(L, -2, 1);

	err = uac_invite(&call, t->uac, &o);
	if (err == EMSGSIZE)
		return luaL_error(L, "invite: body of %d bytes: %s",
				  (int)o.body_len, sizes_strerror(err));
	if (err)
		return luaL_error(L, "invite: could not send (%s)",
				  sizes_strerror(err));

	lc->call = mem_ref(call);
	lc->t = t;

	return 1;
}


/* uac:send_raw(bytes, [{to = "127.0.0.1:5060"}]): any bytes, anywhere
 * (the UAS by default), over UDP. */
static int l_send_raw(lua_State *L)
{
	struct test *t = check_uac(L);
	size_t len;
	const char *bytes = luaL_checklstring(L, 2, &len);
	static const char *const known[] = {"to", NULL};
	struct sa to, *dst = NULL;
	int err;

	if (l_options(L, 3, "uac:send_raw", known)) {
		lua_getfield(L, 3, "to");
		if (!lua_isnil(L, -1)) {
			const char *s = luaL_checkstring(L, -1);

			if (sa_decode(&to, s, strlen(s)))
				return luaL_error(L, "send_raw: to: '%s' is "
						  "not ADDR:PORT", s);
			dst = &to;
		}
		lua_pop(L, 1);
	}

	/* edge mode (--agent with --proxy): the UAS has no address of
	 * ours to send to, only the uri it registered at the proxy; over
	 * ws|wss only the connection it registered on reaches it */
	if (!dst && sa_isset(&t->conf->agent, SA_ADDR) &&
	    sa_isset(&t->conf->proxy, SA_ADDR))
		return runner_skip(L, "uac:send_raw: in edge mode the UAS is "
				   "reached only through the proxy, at the uri "
				   "it registered there; a hand-made message "
				   "has no address to go to");
	if (!dst && sa_isset(&t->conf->agent, SA_ADDR) &&
	    (t->conf->transport == SIP_TRANSP_WS ||
	     t->conf->transport == SIP_TRANSP_WSS))
		return runner_skip(L, "uac:send_raw sends UDP; the agent's "
				   "UAS is reached only over the WebSocket "
				   "connection it registered on");

	/* by default to the UAS's UDP port, whatever --transport says */
	if (!dst && !sa_isset(&t->conf->target, SA_ADDR))
		dst = &t->uas_addr;

	err = uac_send_raw(t->uac, SIP_TRANSP_UDP, dst,
			   (const uint8_t *)bytes, len);
	if (err)
		return luaL_error(L, "send_raw: %s", sizes_strerror(err));

	return 0;
}


/* The UAS address, as "127.0.0.1:port", for scenarios that build raw
 * messages. */
static int l_target(lua_State *L)
{
	struct test *t = check_uac(L);
	char buf[64];

	(void)re_snprintf(buf, sizeof(buf), "%J", uac_target(t->uac));
	lua_pushstring(L, buf);

	return 1;
}


/* --- waiting for responses ----------------------------------------- */

struct match {
	const char *callid;
	const char *cseq_met;
	uint32_t cseq;      /* 0: any */
	int scode;          /* 0: any; -1: any final */
	bool copies;        /* retransmissions count too */
	bool timer;         /* Timer B/F ends the wait: uac_tx_left() */
};


static bool matches(const struct wire_msg *wm, const struct match *m)
{
	const struct wire_head *h = &wm->b->head;

	if (wm->role != WIRE_UAC || wm->tx || !wm->decoded || h->req ||
	    wm->link == WIRE_LINK_DROPPED)
		return false;
	if (pl_strcmp(&h->callid, m->callid) ||
	    pl_strcmp(&h->cseq_met, m->cseq_met))
		return false;
	if (m->cseq && h->cseq != m->cseq)
		return false;
	if (m->scode == -1)
		return h->scode >= 200;

	return !m->scode || h->scode == m->scode;
}


/* The first matching response not yet taken, not a retransmission. */
static const struct wire_msg *take(lua_State *L, const struct match *m)
{
	struct lcall *lc = check_call(L);
	struct le *le;

	lua_getiuservalue(L, 1, 1);
	for (le = wire_msgs(lc->t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;

		/* a copy the link dropped never reached the UAC; the
		 * next one is the first it got */
		if (wm->link == WIRE_LINK_DROPPED || wm->unseen ||
		    (wm->heard && !m->copies) || !matches(wm, m))
			continue;
		if (lua_rawgeti(L, -1, wm->seq) != LUA_TNIL) {
			lua_pop(L, 1);
			continue;
		}
		lua_pop(L, 1);
		lua_pushboolean(L, true);
		lua_rawseti(L, -2, wm->seq);
		lua_pop(L, 1);
		return wm;
	}
	lua_pop(L, 1);

	return NULL;
}


/* Marks every matching response already on the wire as taken. */
static void mark_taken(lua_State *L, struct lcall *lc, const struct match *m)
{
	struct le *le;

	lua_getiuservalue(L, 1, 1);
	for (le = wire_msgs(lc->t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;

		if (!matches(wm, m))
			continue;
		lua_pushboolean(L, true);
		lua_rawseti(L, -2, wm->seq);
	}
	lua_pop(L, 1);
}


static void remember(struct lcall *lc, const struct wire_msg *wm)
{
	const struct wire_head *h = &wm->b->head;

	/* the INVITE's responses make the dialog; a re-INVITE's do not */
	if (h->scode > 100 && !pl_strcmp(&h->cseq_met, "INVITE") &&
	    h->cseq == uac_call_invite_cseq(lc->call)) {
		mem_deref((void *)lc->last);
		lc->last = mem_ref((void *)wm);
		if (wm->b->head.scode >= 200) {
			mem_deref((void *)lc->final);
			lc->final = mem_ref((void *)wm);
		}
	}
}


/* The wait state lives on the Lua stack above the arguments:
 * [top-1] match description string, [top] light userdata of a
 * struct match kept in a full userdata at [top-2]. */
static int response_k(lua_State *L, int status, lua_KContext ctx)
{
	struct lcall *lc = check_call(L);
	const struct match *m = lua_touserdata(L, (int)ctx);
	struct match cur = *m;
	const struct wire_msg *wm;

	/* a request challenged and sent again with credentials: the
	 * answer to that copy (uac_tx_follow) */
	if (!m->copies)
		cur.cseq = uac_tx_follow(lc->call, m->cseq_met, m->cseq);
	wm = take(L, &cur);

	if (wm) {
		runner_wait_end(lc->t);
		remember(lc, wm);
		l_msg_push(L, wm);
		return 1;
	}
	if (runner_wait_expired(lc->t)) {
		runner_wait_end(lc->t);
		if (m->timer && !uac_tx_left(lc->call, m->cseq_met, cur.cseq))
			return luaL_error(L, "no response (Timer %s: none "
					  "in 64*T1 = %d ms to the %s)%s",
					  strcmp(m->cseq_met, "INVITE") ?
					  "F" : "B",
					  (int)(64 * uac_t1(lc->t->uac)),
					  m->cseq_met,
					  runner_undecodable(lc->t, WIRE_UAC));
		return luaL_error(L, "no %s arrived within the wait%s",
				  lua_tostring(L, (int)ctx + 1),
				  runner_undecodable(lc->t, WIRE_UAC));
	}

	return runner_yield(L, ctx, response_k);
}


/* Pushes the match state and starts the wait; returns its index. */
static int wait_for(lua_State *L, struct lcall *lc, const struct match *m,
		    const char *fn, const char *what, uint32_t ms)
{
	struct match *mm = lua_newuserdatauv(L, sizeof(*mm), 1);
	int idx = lua_gettop(L);
	uint32_t left;

	*mm = *m;
	/* a wait for an answer ends with Timer B/F: after 64*T1 without
	 * one, none is coming (RFC 3261 17.1.1.2, 17.1.2.2) */
	left = m->copies ? UINT32_MAX :
		uac_tx_left(lc->call, m->cseq_met, m->cseq);
	if (left < ms) {
		ms = left ? left : 1;
		mm->timer = true;
	}
	lua_pushstring(L, m->callid);   /* keeps callid alive */
	mm->callid = lua_tostring(L, -1);
	lua_setiuservalue(L, idx, 1);
	lua_pushstring(L, what);

	runner_wait_begin(L, fn, lua_tostring(L, -1), ms);

	return idx;
}


/* A wait for the UAS's response to the INVITE (its SDP, when it makes
 * one, is in it): the default wait grows to the time an
 * agent said its UAS may take to answer (start's answer_ms: a browser
 * making its SDP on a busy machine); a timeout the scenario gave is
 * the scenario's. */
static uint32_t response_timeout(lua_State *L, int opts, const char *fn,
				 const char *const *known)
{
	uint32_t ms = l_wait_timeout(L, opts, fn, known);
	const struct test *t = runner_test(L);
	bool given = false;

	if (lua_istable(L, opts)) {
		given = lua_getfield(L, opts, "timeout") != LUA_TNIL;
		lua_pop(L, 1);
	}
	if (!given && t && t->agent && t->remote_answer_ms > ms)
		ms = t->remote_answer_ms;

	return ms;
}


/* call:response([code], [{timeout = ms}]) */
static int l_response(lua_State *L)
{
	struct lcall *lc = check_call(L);
	int opts = lua_istable(L, 2) ? 2 : 3;
	struct match m = {uac_call_id(lc->call), "INVITE", 0, 0, false, false};
	char what[64];
	int idx;

	if (opts == 3 && !lua_isnoneornil(L, 2)) {
		m.scode = (int)luaL_checkinteger(L, 2);
		luaL_argcheck(L, m.scode >= 100 && m.scode <= 699, 2,
			      "a status code 100..699");
	}
	(void)re_snprintf(what, sizeof(what), "response to the INVITE");
	if (m.scode)
		(void)re_snprintf(what, sizeof(what), "%d response to the "
				  "INVITE", m.scode);

	idx = wait_for(L, lc, &m, "call:response", what,
		       response_timeout(L, opts, "call:response", NULL));

	return response_k(L, LUA_OK, idx);
}


/* call:responses(): every response to the INVITE so far, retransmissions
 * included, in arrival order. */
static int l_responses(lua_State *L)
{
	struct lcall *lc = check_call(L);
	struct match m = {uac_call_id(lc->call), "INVITE", 0, 0, false, false};
	struct le *le;
	int i = 0;

	lua_newtable(L);
	for (le = wire_msgs(lc->t->wire)->head; le; le = le->next) {
		if (!matches(le->data, &m))
			continue;
		l_msg_push(L, le->data);
		lua_rawseti(L, -2, ++i);
	}

	return 1;
}


/* The response an in-dialog request refers to: the argument, or the
 * latest one this call returned. uac.c wants it decoded in full (see
 * wire_msg_decode), which the caller does last, after anything that
 * may raise. */
static const struct wire_msg *dialog_resp(lua_State *L, int idx,
					  const char *fn)
{
	struct lcall *lc = check_call(L);

	if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
		return l_msg_check(L, idx);
	if (!lc->last)
		luaL_error(L, "%s: no response with a To tag yet (wait for "
			   "one with call:response())", fn);

	return lc->last;
}


/* The final response to the request met sent with cseq; fn and known
 * name the call's method and its options (NULL: timeout only). */
static int wait_final(lua_State *L, const char *met, uint32_t cseq,
		      int opts, const char *fn, const char *const *known)
{
	struct lcall *lc = check_call(L);
	struct match m = {uac_call_id(lc->call), met, cseq, -1, false, false};
	char what[64];
	int idx;

	(void)re_snprintf(what, sizeof(what), "final response to the %s",
			  met);
	idx = wait_for(L, lc, &m, fn, what, !strcmp(met, "INVITE") ?
		       response_timeout(L, opts, fn, known) :
		       l_wait_timeout(L, opts, fn, known));

	return response_k(L, LUA_OK, idx);
}


static long opt_long(lua_State *L, int tbl, const char *key)
{
	long v = -1;

	if (!lua_istable(L, tbl))
		return -1;
	lua_getfield(L, tbl, key);
	if (!lua_isnil(L, -1))
		v = (long)luaL_checkinteger(L, -1);
	lua_pop(L, 1);

	return v;
}


static bool require_100rel(const struct pl *name, const struct pl *val,
			   void *arg)
{
	bool *found = arg;

	if (msgview_name_eq(name, "Require") &&
	    !re_regex(val->p, val->l, "100rel"))
		*found = true;

	return *found;
}


/* A PRACK for a response without RSeq: when the INVITE required 100rel
 * that is R-WHEN-1's finding, and the error says so. */
static const char *no_rseq_why(char *buf, size_t sz,
			       const struct uac_call *call, uint16_t scode)
{
	const struct mbuf *inv = uac_call_invite(call);
	bool required = false;

	if (inv)
		(void)msgview_headers(inv->buf, inv->end, require_100rel,
				      &required);
	if (required)
		(void)re_snprintf(buf, sz, "prack: no PRACK possible: the %u "
				  "has no RSeq, sent unreliably to an INVITE "
				  "that requires 100rel (a consequence of "
				  "R-WHEN-1)", scode);
	else
		(void)re_snprintf(buf, sz, "prack: the %u has no RSeq (not a "
				  "reliable provisional)", scode);

	return buf;
}


/* Why fn could not build an in-dialog request from resp: what resp
 * lacks and the rule that lack breaks, so that the error reads as a
 * consequence, not as a second finding. Made before resp is let go:
 * luaL_error() does not return. */
static const char *dialog_why(char *buf, size_t sz, const char *fn,
			      const char *what, const struct sip_msg *resp,
			      int err)
{
	const char *lack = resp ? uac_dialog_lack(resp) : NULL;
	const char *rule = !lack ? NULL :
		!strcmp(lack, "no To tag") ? "P-TAG-1" :
		resp->scode < 200 ? "P-DLG-1" : NULL;

	if (err != EPROTO || !lack)
		(void)re_snprintf(buf, sz, "%s: could not send (%s)", fn,
				  sizes_strerror(err));
	else if (rule)
		(void)re_snprintf(buf, sz, "%s: no %s possible: the %u has %s "
				  "(a consequence of %s)", fn, what,
				  resp->scode, lack, rule);
	else
		(void)re_snprintf(buf, sz, "%s: no %s possible: the %u has %s "
				  "(RFC 3261 12.1.2)", fn, what, resp->scode,
				  lack);

	return buf;
}


/* call:prack([resp], [{rseq=, cseq=, method=, sdp=, headers=,
 * timeout=}]) */
static int l_prack(lua_State *L)
{
	static const char *const known[] = {
		"rseq", "cseq", "method", "sdp", "headers", "timeout",
		"retransmit", NULL
	};
	struct lcall *lc = check_call(L);
	int opts = lua_istable(L, 2) ? 2 : 3;
	const struct wire_msg *wm = dialog_resp(L, 2, "prack");
	struct sip_msg *resp = NULL;
	struct uac_req_opts o;
	char why[PROGRESS_ERRSZ], msg[160];
	uint32_t cseq;
	int err;

	/* every option checked before anything is sent */
	(void)l_wait_timeout(L, opts, "call:prack", known);
	runner_wait_allowed(L, "call:prack");
	memset(&o, 0, sizeof(o));
	o.rseq = opt_long(L, opts, "rseq");
	o.cseq = opt_long(L, opts, "cseq");
	o.once = opt_once(L, opts, "prack");
	if (lua_istable(L, opts)) {
		/* the strings stay alive in the options table */
		lua_getfield(L, opts, "method");
		o.method = l_check_text(L, -1, "prack", "method");
		lua_getfield(L, opts, "sdp");
		if (lua_type(L, -1) == LUA_TSTRING)
			o.body = lua_tolstring(L, -1, &o.body_len);
		lua_getfield(L, opts, "headers");
		o.xhdrc = check_string_list(L, lua_gettop(L), "prack",
					    o.xhdrv, UAC_MAX_HDRS);
		if (progress_check_own("headers", o.xhdrv, o.xhdrc,
				       uac_prack_own_hdrs(&o), why,
				       sizeof(why)))
			return luaL_error(L, "prack: %s", why);
		lua_pop(L, 3);
	}

	err = wire_msg_decode(wm, &resp);
	if (!err)
		err = uac_prack(lc->call, resp, &o, &cseq);
	if (err == EPROTO && resp && o.rseq < 0 &&
	    !sip_msg_hdr(resp, SIP_HDR_RSEQ))
		(void)no_rseq_why(msg, sizeof(msg), lc->call, resp->scode);
	else if (err)
		(void)dialog_why(msg, sizeof(msg), "prack", "PRACK", resp,
				 err);
	mem_deref(resp);
	if (err)
		return luaL_error(L, "%s", msg);

	return wait_final(L, "PRACK", cseq, opts, "call:prack", known);
}


static void dialog_sdp(lua_State *L, int opts, const char *fn,
		       struct uac_req_opts *o);


/* call:ack([final], [{sdp =, retransmit = false}]): sdp, the answer to an
 * offer in the 2xx; retransmit = false sends no ACK again for a copy of
 * the final response. */
static void ack_opts(lua_State *L, int opts, struct uac_req_opts *o)
{
	static const char *const known[] = {"sdp", "retransmit", NULL};

	memset(o, 0, sizeof(*o));
	o->rseq = o->cseq = -1;
	if (l_options(L, opts, "call:ack", known))
		dialog_sdp(L, opts, "call:ack", o);
}


static int l_ack(lua_State *L)
{
	struct lcall *lc = check_call(L);
	const int opts = lua_istable(L, 2) ? 2 : 3;
	const struct wire_msg *final;
	struct sip_msg *msg = NULL;
	char why[160];
	struct uac_req_opts o;
	bool reinvite, once;
	int err;

	once = opt_once(L, opts, "ack");
	if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2))
		final = l_msg_check(L, 2);
	else if (lc->final)
		final = lc->final;
	else
		return luaL_error(L, "ack: no final response yet");

	if (final->b->head.scode < 200)
		return luaL_error(L, "ack: %d is not a final response",
				  (int)final->b->head.scode);

	ack_opts(L, opts, &o);
	/* a re-INVITE's 2xx: the ACK follows the dialog's route set, that
	 * of the INVITE's 2xx */
	reinvite = final->b->head.scode < 300 && lc->final &&
		final->b->head.cseq != uac_call_invite_cseq(lc->call);
	err = wire_msg_decode(reinvite ? lc->final : final, &msg);
	if (!err && (reinvite || o.body))
		err = uac_ack_dialog(lc->call, msg, final->b->head.cseq, &o);
	else if (!err)
		err = uac_ack(lc->call, msg, once);
	if (err)
		(void)dialog_why(why, sizeof(why), "ack", "ACK", msg, err);
	mem_deref(msg);
	if (err)
		return luaL_error(L, "%s", why);

	return 0;
}


/* call:cancel([{branch =, timeout =}]): branch, another Via branch
 * than the INVITE's: a CANCEL that matches no transaction. */
static int l_cancel(lua_State *L)
{
	static const char *const known[] = {"branch", "timeout",
		"retransmit", NULL};
	struct lcall *lc = check_call(L);
	const char *branch = NULL;
	int err;

	(void)l_wait_timeout(L, 2, "call:cancel", known);
	runner_wait_allowed(L, "call:cancel");
	if (lua_istable(L, 2))
		branch = opt_token(L, 2, "cancel", "branch");
	err = uac_cancel(lc->call, branch, opt_once(L, 2, "cancel"));
	if (err)
		return luaL_error(L, "cancel: could not send (%s)",
				  sizes_strerror(err));

	return wait_final(L, "CANCEL", uac_call_invite_cseq(lc->call), 2,
			  "call:cancel", known);
}


static int l_bye(lua_State *L)
{
	static const char *const known[] = {"timeout", "retransmit", NULL};
	struct lcall *lc = check_call(L);
	const struct wire_msg *wm;
	struct sip_msg *resp = NULL;
	char why[160];
	uint32_t cseq;
	int err;

	int opts = lua_istable(L, 2) ? 2 : 3;

	(void)l_wait_timeout(L, opts, "call:bye", known);
	runner_wait_allowed(L, "call:bye");
	wm = (lua_isnoneornil(L, 2) || lua_istable(L, 2)) && lc->final ?
		lc->final : dialog_resp(L, 2, "bye");
	err = wire_msg_decode(wm, &resp);
	if (!err)
		err = uac_bye(lc->call, resp, opt_once(L, opts, "bye"),
			      &cseq);
	if (err)
		(void)dialog_why(why, sizeof(why), "bye", "BYE", resp, err);
	mem_deref(resp);
	if (err)
		return luaL_error(L, "%s", why);

	return wait_final(L, "BYE", cseq, opts, "call:bye", known);
}


/* call:retransmit(): the INVITE again. call:retransmit("prack",
 * [{timeout =}]): the latest PRACK again, byte for byte, and waits for
 * the final response that answers it (a copy of the first answer
 * counts: that is what a server transaction sends, R-PRACK-3). */
static int l_retransmit(lua_State *L)
{
	static const char *const what[] = {"invite", "prack", NULL};
	static const char *const known[] = {"timeout", NULL};
	struct lcall *lc = check_call(L);
	struct match m = {uac_call_id(lc->call), "PRACK", 0, -1, true, false};
	uint32_t cseq, ms;
	int idx, err;

	if (luaL_checkoption(L, 2, "invite", what) == 0) {
		if (!lua_isnoneornil(L, 3))
			return luaL_error(L, "retransmit: options are for "
					  "\"prack\" only");
		err = uac_retransmit(lc->call);
		if (err)
			return luaL_error(L, "retransmit: %s",
					  sizes_strerror(err));
		return 0;
	}

	ms = l_wait_timeout(L, 3, "call:retransmit", known);
	runner_wait_allowed(L, "call:retransmit");
	err = uac_prack_again(lc->call, &cseq);
	if (err == ENOENT)
		return luaL_error(L, "retransmit: no PRACK sent yet (send "
				  "one with call:prack())");
	if (err)
		return luaL_error(L, "retransmit: could not send (%s)",
				  sizes_strerror(err));

	/* only the answers that arrive from now on */
	m.cseq = cseq;
	mark_taken(L, lc, &m);
	idx = wait_for(L, lc, &m, "call:retransmit", "final response to the "
		       "retransmitted PRACK", ms);

	return response_k(L, LUA_OK, idx);
}


static int l_call_id(lua_State *L)
{
	lua_pushstring(L, uac_call_id(check_call(L)->call));
	return 1;
}


/* --- requests in the early and confirmed dialog (issue 19) ---------- */

/* The body of an in-dialog request: sdp = an SDP string, or true for an
 * offer of the generator's; kept referenced in the options table. */
static void dialog_sdp(lua_State *L, int opts, const char *fn,
		       struct uac_req_opts *o)
{
	struct sa laddr;
	char *sdp = NULL;
	int err;

	lua_getfield(L, opts, "sdp");
	if (lua_type(L, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1)) {
		runner_loopback(&laddr, runner_test(L)->conf);
		err = sdpgen_offer(&sdp, &laddr, NULL);
		if (err)
			luaL_error(L, "%s: cannot make an SDP offer (%s)", fn,
				   strerror(err));
		lua_pushstring(L, sdp);
		mem_deref(sdp);
		lua_setfield(L, opts, "sdp");
		lua_getfield(L, opts, "sdp");
	}
	else if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING &&
		 !lua_isboolean(L, -1)) {
		luaL_error(L, "%s: sdp must be true or an SDP string, got %s",
			   fn, luaL_typename(L, -1));
	}
	if (lua_type(L, -1) == LUA_TSTRING)
		o->body = lua_tolstring(L, -1, &o->body_len);
	lua_pop(L, 1);
}


/* call:update / call:info / call:reinvite ([resp], [{sdp =, headers =,
 * timeout =}]): the request in the dialog of resp (the latest response
 * with a To tag), and its final response. */
static int dialog_method(lua_State *L, const char *met, const char *fn)
{
	static const char *const known[] = {"sdp", "headers", "timeout",
					    NULL};
	struct lcall *lc = check_call(L);
	const int opts = lua_istable(L, 2) ? 2 : 3;
	const struct wire_msg *wm;
	struct sip_msg *resp = NULL;
	struct uac_req_opts o;
	char why[PROGRESS_ERRSZ], msg[160];
	uint32_t cseq;
	int err;

	(void)l_wait_timeout(L, opts, fn, known);
	runner_wait_allowed(L, fn);
	memset(&o, 0, sizeof(o));
	o.rseq = o.cseq = -1;
	wm = dialog_resp(L, opts == 2 ? 3 : 2, met);
	if (lua_istable(L, opts)) {
		dialog_sdp(L, opts, fn, &o);
		lua_getfield(L, opts, "headers");
		o.xhdrc = check_string_list(L, lua_gettop(L), fn, o.xhdrv,
					    UAC_MAX_HDRS);
		if (progress_check_own("headers", o.xhdrv, o.xhdrc,
				       uac_prack_own_hdrs(&o), why,
				       sizeof(why)))
			return luaL_error(L, "%s: %s", fn, why);
		lua_pop(L, 1);
	}

	err = wire_msg_decode(wm, &resp);
	if (!err)
		err = uac_dialog_req(lc->call, resp, met, &o, &cseq);
	if (err)
		(void)dialog_why(msg, sizeof(msg), fn, met, resp, err);
	mem_deref(resp);
	if (err)
		return luaL_error(L, "%s", msg);

	return wait_final(L, met, cseq, opts, fn, known);
}


static int l_update(lua_State *L)
{
	return dialog_method(L, "UPDATE", "call:update");
}


static int l_info(lua_State *L)
{
	return dialog_method(L, "INFO", "call:info");
}


static int l_reinvite(lua_State *L)
{
	return dialog_method(L, "INVITE", "call:reinvite");
}


/* call:refuse(method, status): the UAS's next request of that method
 * in this call gets status (491 makes a glare), once. */
static int l_refuse(lua_State *L)
{
	struct lcall *lc = check_call(L);
	const char *met = luaL_checkstring(L, 2);
	const lua_Integer scode = luaL_checkinteger(L, 3);

	luaL_argcheck(L, scode >= 300 && scode <= 699, 3,
		      "a final status code 300..699");
	if (uac_refuse(lc->call, met, (uint16_t)scode))
		return luaL_error(L, "refuse: method '%s' is too long", met);

	return 0;
}


/* Why the UAS may have had no INVITE: the test's UAC got a 401 or 407
 * it did not (or could not) answer, "; the UAC's INVITE got 407 ...",
 * else "". For uas:incoming()'s error. */
const char *l_uac_challenged(const struct test *t)
{
	static char why[160];
	const struct wire_msg *last = NULL;
	struct le *le;

	why[0] = '\0';
	for (le = wire_msgs(t->wire)->head; le; le = le->next) {
		const struct wire_msg *wm = le->data;

		if (wm->role == WIRE_UAC && !wm->tx && wm->decoded &&
		    !wm->b->head.req && wm->b->head.scode >= 200 &&
		    !pl_strcmp(&wm->b->head.cseq_met, "INVITE"))
			last = wm;
	}
	if (last && (last->b->head.scode == 401 || last->b->head.scode == 407))
		(void)re_snprintf(why, sizeof(why), "; the UAC's INVITE got "
				  "%u %r (credentials: --auth or t:uac{auth = "
				  "...}; wrong ones are not sent twice)",
				  last->b->head.scode, &last->b->head.reason);

	return why;
}


static const luaL_Reg uac_methods[] = {
	{"invite",   l_invite},
	{"send_raw", l_send_raw},
	{"target",   l_target},
	{NULL, NULL}
};

static const luaL_Reg call_methods[] = {
	{"response",   l_response},
	{"responses",  l_responses},
	{"prack",      l_prack},
	{"ack",        l_ack},
	{"cancel",     l_cancel},
	{"bye",        l_bye},
	{"retransmit", l_retransmit},
	{"call_id",    l_call_id},
	{"update",     l_update},
	{"info",       l_info},
	{"reinvite",   l_reinvite},
	{"refuse",     l_refuse},
	{NULL, NULL}
};


void l_uac_open(lua_State *L)
{
	luaL_newmetatable(L, UAC_META);
	luaL_newlib(L, uac_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	luaL_newmetatable(L, CALL_META);
	luaL_newlib(L, call_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, call_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
}


int l_uac_push(lua_State *L, struct test *t)
{
	struct test **tp = lua_newuserdatauv(L, sizeof(*tp), 0);

	*tp = t;
	luaL_setmetatable(L, UAC_META);

	return 1;
}
