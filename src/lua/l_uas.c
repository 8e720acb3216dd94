/**
 * @file l_uas.c  The reference UAS and its invitations, in Lua
 *
 *   local inv = t:uas():incoming()      -- waits for an INVITE
 *   inv:progress{ statusCode = 183, rel100 = true }
 *   inv:accept()                        -- or inv:reject{statusCode=486}
 *
 * progress() takes SIP.js's options. Every option is checked before
 * anything is sent; an error names the option, and the scenario's file
 * and line (luaL_error adds those).
 */
#include <math.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "progress.h"
#include "sdp.h"
#include "wire.h"
#include "fault.h"
#include "uas.h"
#include "sizes.h"
#include "uac.h"
#include "runner.h"
#include "l_siptap.h"


#define UAS_META "siptap.uas"
#define INV_META "siptap.invitation"
/* t:uas{sendInitialProvisionalResponse, noAnswerTimeout}, for the
 * invitations that come after: SIP.js's UserAgent options, same meaning */
#define AUTO180_KEY "siptap.uas.auto180"
#define NOANSWER_KEY "siptap.uas.noanswer"

struct linv {
	struct uas_call *call;
	struct test *t;
	struct tmr noanswer_tmr;   /* noAnswerTimeout: 480 when it fires */
};


static struct test *check_uas(lua_State *L)
{
	struct test **tp = luaL_checkudata(L, 1, UAS_META);

	return *tp;
}


static struct linv *check_inv(lua_State *L)
{
	return luaL_checkudata(L, 1, INV_META);
}


/* The reference UAS's call of the invitation at 1 (l_uas_dialog.c) */
struct uas_call *l_inv_call(lua_State *L)
{
	return check_inv(L)->call;
}


static int inv_gc(lua_State *L)
{
	struct linv *li = check_inv(L);

	tmr_cancel(&li->noanswer_tmr);
	li->call = mem_deref(li->call);

	return 0;
}


/* noAnswerTimeout, as SIP.js's Invitation: no final response yet, so
 * 480 Temporarily Unavailable (RFC 3398 7.2.4.1, "no answer"), with
 * the phrase SIP.js sends (it went out empty) */
static void noanswer_handler(void *arg)
{
	struct linv *li = arg;
	enum uas_state st = uas_call_state(li->call);

	if (st == UAS_INCOMING || st == UAS_EARLY)
		(void)uas_reject(li->call, 480, "Temporarily Unavailable",
				 NULL, 0);
}


static lua_Integer registry_int(lua_State *L, const char *key)
{
	lua_Integer v;

	lua_getfield(L, LUA_REGISTRYINDEX, key);
	v = lua_tointeger(L, -1);
	lua_pop(L, 1);

	return v;
}


/* What t:uas{} asked of every invitation: SIP.js's automatic 180 as the
 * INVITE arrives (before the scenario's first progress), and its timer
 * that rejects an unanswered INVITE. */
static int incoming_defaults(lua_State *L, struct linv *li)
{
	const lua_Integer noanswer = registry_int(L, NOANSWER_KEY);
	struct progress_opts o;
	int err;

	tmr_init(&li->noanswer_tmr);
	if (noanswer > 0)
		tmr_start(&li->noanswer_tmr, (uint64_t)noanswer * 1000,
			  noanswer_handler, li);
	/* SIP.js does not send it to an INVITE that requires 100rel */
	if (!registry_int(L, AUTO180_KEY) ||
	    sip_msg_hdr_has_value(uas_call_invite(li->call), SIP_HDR_REQUIRE,
				  "100rel"))
		return 0;

	memset(&o, 0, sizeof(o));
	err = uas_progress(li->call, &o);
	if (err)
		return luaL_error(L, "incoming: the automatic 180 of "
				  "sendInitialProvisionalResponse could not "
				  "be sent (%s)", sizes_strerror(err));

	return 0;
}


/* --- incoming() ------------------------------------------------------ */

static int incoming_k(lua_State *L, int status, lua_KContext ctx)
{
	struct test *t = check_uas(L);
	struct uas_call *call = uas_take_call(t->uas);
	struct linv *li;

	if (call) {
		runner_wait_end(t);
		li = lua_newuserdatauv(L, sizeof(*li), 0);
		memset(li, 0, sizeof(*li));
		li->call = call;
		li->t = t;
		luaL_setmetatable(L, INV_META);
		(void)incoming_defaults(L, li);
		return 1;
	}
	if (runner_wait_expired(t)) {
		runner_wait_end(t);
		return luaL_error(L, "incoming: no INVITE arrived within the "
				  "wait%s%s", runner_undecodable(t, WIRE_UAS),
				  l_uac_challenged(t));
	}

	return runner_yield(L, 0, incoming_k);
}


/* uas:incoming([{timeout = ms}]) */
static int l_incoming(lua_State *L)
{
	(void)check_uas(L);
	runner_wait_begin(L, "uas:incoming", "an INVITE at the UAS",
			  l_wait_timeout(L, 2, "uas:incoming", NULL));

	return incoming_k(L, LUA_OK, 0);
}


/* --- reading the options table --------------------------------------- */

struct lopts {
	struct progress_opts p;
	struct test *t;
	struct sdpgen_opts sdh;
	bool sdh_given;
	bool datachannel;       /* SIP.js's dataChannel = true            */
	int modifiers;          /* stack index of the list, 0: none */
	const char *fn;         /* "progress", "accept", "reject"   */
};


/* Each getter leaves the value on the stack: the options table's own
 * strings are then referenced for as long as the call runs. A string
 * goes on as a C string, so it may not hold a NUL; the rest of what
 * text may hold is progress.c's to check, after the faults. */
static const char *get_string(lua_State *L, int tbl, const char *fn,
			      const char *key)
{
	lua_getfield(L, tbl, key);
	if (lua_isnil(L, -1))
		return NULL;
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: %s must be a string, got %s", fn, key,
			   luaL_typename(L, -1));

	return l_check_nul(L, -1, fn, key);
}


static void get_status(lua_State *L, int tbl, struct lopts *o)
{
	char err[PROGRESS_ERRSZ];
	lua_Integer code;
	int isint;

	lua_getfield(L, tbl, "statusCode");
	if (lua_isnil(L, -1))
		return;
	if (lua_type(L, -1) != LUA_TNUMBER)
		luaL_error(L, "%s: statusCode must be an integer, got %s "
			   "(%s)", o->fn, luaL_typename(L, -1),
			   luaL_tolstring(L, -1, NULL));

	code = lua_tointegerx(L, -1, &isint);
	if (!isint)
		luaL_error(L, "%s: statusCode must be an integer, got %s",
			   o->fn, luaL_tolstring(L, -1, NULL));
	if (progress_check_status((long)code, err, sizeof(err)) &&
	    !uas_fault(o->t->uas, FAULT_ACCEPT_ANY_STATUS))
		luaL_error(L, "%s: %s", o->fn, err);

	o->p.scode = (uint16_t)code;
}


static void get_headers(lua_State *L, int tbl, struct lopts *o)
{
	size_t i, n;

	lua_getfield(L, tbl, "extraHeaders");
	if (lua_isnil(L, -1))
		return;
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: extraHeaders must be a list of strings, "
			   "got %s", o->fn, luaL_typename(L, -1));

	n = (size_t)luaL_len(L, -1);
	if (n > PROGRESS_MAX_HDRS)
		luaL_error(L, "%s: extraHeaders: more than %d headers", o->fn,
			   PROGRESS_MAX_HDRS);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: extraHeaders[%d] must be a string, "
				   "got %s", o->fn, (int)i + 1,
				   luaL_typename(L, -1));
		lua_pushfstring(L, "extraHeaders[%d]", (int)i + 1);
		o->p.xhdrv[i] = l_check_nul(L, -2, o->fn, lua_tostring(L, -1));
		lua_pop(L, 2);
	}
	o->p.xhdrc = n;
}


static void get_body(lua_State *L, int tbl, struct lopts *o)
{
	static const char *const known[] = {"body", "contentType", NULL};
	int b;

	lua_getfield(L, tbl, "body");
	b = lua_gettop(L);
	if (lua_isnil(L, b))
		return;
	if (lua_type(L, b) == LUA_TSTRING) {
		o->p.body = lua_tolstring(L, b, &o->p.body_len);
		return;
	}
	if (!lua_istable(L, b))
		luaL_error(L, "%s: body must be a string or {body = ..., "
			   "contentType = ...}, got %s", o->fn,
			   luaL_typename(L, b));

	l_check_options(L, b, "progress: body", known);
	o->p.body_is_table = true;
	lua_getfield(L, b, "body");
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: body.body must be a string, got %s", o->fn,
			   luaL_typename(L, -1));
	o->p.body = lua_tolstring(L, -1, &o->p.body_len);
	lua_getfield(L, b, "contentType");
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: body.contentType must be a string, got %s",
			   o->fn, luaL_typename(L, -1));
	o->p.ctype = l_check_nul(L, -1, o->fn, "body.contentType");
}


#define SDHO "sessionDescriptionHandlerOptions"
#define SDHM "sessionDescriptionHandlerModifiers"


/* l_check_options() on the table at tbl, the message naming the call:
 * "accept: sessionDescriptionHandlerOptions.constraints: unknown ..." */
static void sdh_check(lua_State *L, const struct lopts *o, int tbl,
		      const char *sub, const char *const *known)
{
	l_check_options(L, tbl, lua_pushfstring(L, "%s: " SDHO "%s", o->fn,
						sub), known);
	lua_pop(L, 1);
}


/* The value on top is nil or of type `type`; raises naming fn and the
 * key of sessionDescriptionHandlerOptions. */
bool l_sdh_typed(lua_State *L, const char *fn, const char *key, int type)
{
	if (lua_isnil(L, -1))
		return false;
	if (lua_type(L, -1) != type)
		luaL_error(L, "%s: " SDHO ".%s must be a %s, got %s", fn,
			   key, lua_typename(L, type), luaL_typename(L, -1));

	return true;
}


/* A name SIP.js has that siptap's UAS cannot make true on the wire:
 * an error, never a silent no-op. */
static void sdh_cannot(lua_State *L, const struct lopts *o, int tbl,
		       const char *key, const char *why)
{
	lua_getfield(L, tbl, key);
	if (!lua_isnil(L, -1))
		luaL_error(L, "%s: " SDHO ".%s: SIP.js has it, siptap cannot "
			   "honour it (%s)", o->fn, key, why);
	lua_pop(L, 1);
}


/* constraints.audio/.video: a boolean or a table of track constraints
 * (getUserMedia's MediaTrackConstraints: any table asks for the
 * medium) */
static bool sdh_medium(lua_State *L, const struct lopts *o, int c,
		       const char *key, bool *given)
{
	bool on;

	lua_getfield(L, c, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return false;
	}
	if (!lua_isboolean(L, -1) && !lua_istable(L, -1))
		luaL_error(L, "%s: " SDHO ".constraints.%s must be a boolean "
			   "or a table of track constraints, got %s", o->fn,
			   key, luaL_typename(L, -1));
	on = lua_toboolean(L, -1);
	lua_pop(L, 1);
	*given = true;

	return on;
}


/* constraints = {audio, video}: the media of the SDP; neither given is
 * SIP.js's default, audio */
static void get_constraints(lua_State *L, int s, struct lopts *o)
{
	static const char *const known[] = {"audio", "video", NULL};
	bool given = false;
	int c;

	lua_getfield(L, s, "constraints");
	c = lua_gettop(L);
	if (!l_sdh_typed(L, o->fn, "constraints", LUA_TTABLE))
		return;
	sdh_check(L, o, c, ".constraints", known);
	o->sdh.constrained = true;
	o->sdh.audio = sdh_medium(L, o, c, "audio", &given);
	o->sdh.video = sdh_medium(L, o, c, "video", &given);
	if (!given)
		o->sdh.audio = true;
}


/* offerOptions = {iceRestart}, answerOptions = {}: RTCOfferOptions'
 * other members change nothing siptap can make (legacy
 * offerToReceive*, voiceActivityDetection) */
static void get_offer_answer(lua_State *L, int s, struct lopts *o)
{
	static const char *const offer[] = {
		"iceRestart", "offerToReceiveAudio", "offerToReceiveVideo",
		"voiceActivityDetection", NULL
	};
	static const char *const answer[] = {"voiceActivityDetection", NULL};
	const char *why = "RTCPeerConnection's, no SDP of siptap's changes";
	int t;

	lua_getfield(L, s, "offerOptions");
	t = lua_gettop(L);
	if (l_sdh_typed(L, o->fn, "offerOptions", LUA_TTABLE)) {
		sdh_check(L, o, t, ".offerOptions", offer);
		sdh_cannot(L, o, t, "offerToReceiveAudio", why);
		sdh_cannot(L, o, t, "offerToReceiveVideo", why);
		sdh_cannot(L, o, t, "voiceActivityDetection", why);
		lua_getfield(L, t, "iceRestart");
		if (l_sdh_typed(L, o->fn, "offerOptions.iceRestart", LUA_TBOOLEAN))
			o->sdh.ice_restart = lua_toboolean(L, -1);
	}

	lua_getfield(L, s, "answerOptions");
	t = lua_gettop(L);
	if (l_sdh_typed(L, o->fn, "answerOptions", LUA_TTABLE)) {
		sdh_check(L, o, t, ".answerOptions", answer);
		sdh_cannot(L, o, t, "voiceActivityDetection", why);
	}
}


/* dataChannel, dataChannelLabel, dataChannelOptions (RTCDataChannelInit)
 * and iceGatheringTimeout: checked here; what a data channel needs is
 * checked when the SDP is made (push_sdp) */
static void get_channel(lua_State *L, int s, struct lopts *o)
{
	static const struct {
		const char *key;
		int type;
	} init[] = {
		{"ordered", LUA_TBOOLEAN}, {"maxPacketLifeTime", LUA_TNUMBER},
		{"maxRetransmits", LUA_TNUMBER}, {"protocol", LUA_TSTRING},
		{"negotiated", LUA_TBOOLEAN}, {"id", LUA_TNUMBER},
	};
	static const char *const known[] = {
		"ordered", "maxPacketLifeTime", "maxRetransmits", "protocol",
		"negotiated", "id", NULL
	};
	char key[64];
	size_t i;
	int t;

	lua_getfield(L, s, "iceGatheringTimeout");
	if (l_sdh_typed(L, o->fn, "iceGatheringTimeout", LUA_TNUMBER)) {
		const lua_Number ms = lua_tonumber(L, -1);

		if (!(ms >= 0) || ms == HUGE_VAL)
			luaL_error(L, "%s: " SDHO ".iceGatheringTimeout must "
				   "be a number of ms, 0 or more, got %s",
				   o->fn, luaL_tolstring(L, -1, NULL));
	}

	lua_getfield(L, s, "dataChannel");
	if (l_sdh_typed(L, o->fn, "dataChannel", LUA_TBOOLEAN))
		o->datachannel = lua_toboolean(L, -1);
	lua_getfield(L, s, "dataChannelLabel");
	(void)l_sdh_typed(L, o->fn, "dataChannelLabel", LUA_TSTRING);

	lua_getfield(L, s, "dataChannelOptions");
	t = lua_gettop(L);
	if (!l_sdh_typed(L, o->fn, "dataChannelOptions", LUA_TTABLE))
		return;
	sdh_check(L, o, t, ".dataChannelOptions", known);
	for (i = 0; i < ARRAY_SIZE(init); i++) {
		lua_getfield(L, t, init[i].key);
		(void)re_snprintf(key, sizeof(key), "dataChannelOptions.%s",
				  init[i].key);
		(void)l_sdh_typed(L, o->fn, key, init[i].type);
		lua_pop(L, 1);
	}
}


/* codecs = {...}, direction, port: siptap's own, not SIP.js's */
static void get_extensions(lua_State *L, int s, struct lopts *o)
{
	size_t i, n;

	lua_getfield(L, s, "codecs");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			luaL_error(L, "%s: sessionDescriptionHandlerOptions."
				   "codecs must be a list of names", o->fn);
		n = (size_t)luaL_len(L, -1);
		if (n == 0 || n > SDPGEN_MAX_CODECS)
			luaL_error(L, "%s: sessionDescriptionHandlerOptions."
				   "codecs: 1..%d names", o->fn,
				   SDPGEN_MAX_CODECS);
		for (i = 0; i < n; i++) {
			lua_rawgeti(L, -1, (lua_Integer)i + 1);
			o->sdh.codecv[i] = l_check_nul(L, -1, o->fn,
				"sessionDescriptionHandlerOptions.codecs");
			if (!sdpgen_codec_known(o->sdh.codecv[i]))
				luaL_error(L, "%s: sessionDescriptionHandler"
					   "Options.codecs[%d]: unknown codec "
					   "'%s' (PCMU, PCMA, G722, opus, "
					   "telephone-event)", o->fn,
					   (int)i + 1, l_quote(L, -1));
			for (size_t j = 0; j < i; j++) {
				if (!str_casecmp(o->sdh.codecv[j],
						 o->sdh.codecv[i]))
					luaL_error(L, "%s: sessionDescription"
						   "HandlerOptions.codecs[%d]:"
						   " '%s' is listed twice",
						   o->fn, (int)i + 1,
						   o->sdh.codecv[i]);
			}
			lua_pop(L, 1);
		}
		o->sdh.codecc = n;
	}

	o->sdh.direction = get_string(L, s, o->fn, "direction");
	if (o->sdh.direction && !sdpgen_direction_known(o->sdh.direction))
		luaL_error(L, "%s: sessionDescriptionHandlerOptions.direction"
			   ": '%s' is not sendrecv, sendonly, recvonly or "
			   "inactive", o->fn, l_quote(L, -1));

	lua_getfield(L, s, "port");
	if (!lua_isnil(L, -1)) {
		lua_Integer port = luaL_checkinteger(L, -1);

		if (port < 1 || port > 65535)
			luaL_error(L, "%s: sessionDescriptionHandlerOptions."
				   "port must be 1..65535", o->fn);
		o->sdh.port = (uint16_t)port;
	}
}


/* sessionDescriptionHandlerOptions: SIP.js's Web SDH options with its
 * meaning, and siptap's extensions codecs, direction and port. */
static void get_sdh_options(lua_State *L, int tbl, struct lopts *o)
{
	static const char *const known[] = {
		"constraints", "hold", "offerOptions", "answerOptions",
		"iceGatheringTimeout", "dataChannel", "dataChannelLabel",
		"dataChannelOptions", "onDataChannel",
		"codecs", "direction", "port", NULL
	};
	int s;

	lua_getfield(L, tbl, SDHO);
	s = lua_gettop(L);
	if (lua_isnil(L, s))
		return;
	if (!lua_istable(L, s))
		luaL_error(L, "%s: sessionDescriptionHandlerOptions must be a "
			   "table, got %s", o->fn, luaL_typename(L, s));
	/* its getters leave up to 13 values and take 4 more for a while;
	 * what follows read_options() (push_sdp) has its own check */
	luaL_checkstack(L, 20, SDHO);
	sdh_check(L, o, s, "", known);
	o->sdh_given = true;

	sdh_cannot(L, o, s, "onDataChannel", "it has no data channel to "
		   "hand to a callback");
	get_constraints(L, s, o);
	lua_getfield(L, s, "hold");
	if (l_sdh_typed(L, o->fn, "hold", LUA_TBOOLEAN))
		o->sdh.hold = lua_toboolean(L, -1);
	get_offer_answer(L, s, o);
	get_channel(L, s, o);
	get_extensions(L, s, o);
}


/* sessionDescriptionHandlerModifiers of the options at tbl, checked
 * (fn names the call in errors): pushes the list and returns its stack
 * index, or pushes nil and returns 0 */
int l_sdh_modifiers(lua_State *L, int tbl, const char *fn)
{
	size_t i, n;

	lua_getfield(L, tbl, "sessionDescriptionHandlerModifiers");
	if (lua_isnil(L, -1))
		return 0;
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: sessionDescriptionHandlerModifiers must be "
			   "a list of functions, got %s", fn,
			   luaL_typename(L, -1));

	n = (size_t)luaL_len(L, -1);
	for (i = 0; i < n; i++) {
		if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TFUNCTION)
			luaL_error(L, "%s: sessionDescriptionHandlerModifiers"
				   "[%d] must be a function, got %s", fn,
				   (int)i + 1, luaL_typename(L, -1));
		lua_pop(L, 1);
	}

	return lua_gettop(L);
}


static void get_modifiers(lua_State *L, int tbl, struct lopts *o)
{
	o->modifiers = l_sdh_modifiers(L, tbl, o->fn);
	o->sdh_given = o->sdh_given ||
		(o->modifiers && luaL_len(L, o->modifiers) > 0);
}


static void get_rel100(lua_State *L, int tbl, struct lopts *o)
{
	lua_getfield(L, tbl, "rel100");
	if (lua_isnil(L, -1))
		return;
	if (!lua_isboolean(L, -1))
		luaL_error(L, "%s: rel100 must be a boolean, got %s", o->fn,
			   luaL_typename(L, -1));

	o->p.rel100 = lua_toboolean(L, -1);
}


/* progress_validate(), less what a --uas-fault lets through. */
static int validate(struct lopts *o, char *err, size_t errsz)
{
	struct progress_opts p = o->p;
	struct uas *uas = o->t->uas;

	if (uas_fault(uas, FAULT_ACCEPT_ANY_STATUS))
		p.scode = 0;
	if (uas_fault(uas, FAULT_REASON_CRLF))
		p.reason = NULL;
	if (uas_fault(uas, FAULT_HEADER_INJECTION))
		p.xhdrc = 0;

	return progress_validate(&p, err, errsz);
}


/* Reads and checks every option; raises on the first bad one. */
static void read_options(lua_State *L, int tbl, struct lopts *o)
{
	static const char *const known[] = {
		"statusCode", "reasonPhrase", "extraHeaders", "body",
		"sessionDescriptionHandlerOptions",
		"sessionDescriptionHandlerModifiers", "rel100", NULL
	};
	char err[PROGRESS_ERRSZ];

	if (lua_isnoneornil(L, tbl))
		return;
	if (!lua_istable(L, tbl))
		luaL_error(L, "%s: options must be a table, got %s", o->fn,
			   luaL_typename(L, tbl));

	l_check_options(L, tbl, o->fn, known);
	/* the getters leave their values on the stack (their strings stay
	 * referenced): the options but sessionDescriptionHandlerOptions
	 * leave at most 8 and take 3 more for a while, within the 20 slots
	 * a C function has. Asking for 48 grew the coroutine's stack to
	 * twice its 40 slots whatever the scenario did after */
	luaL_checkstack(L, 12, "options");
	get_status(L, tbl, o);
	o->p.reason = get_string(L, tbl, o->fn, "reasonPhrase");
	get_headers(L, tbl, o);
	get_body(L, tbl, o);
	get_sdh_options(L, tbl, o);
	get_modifiers(L, tbl, o);
	get_rel100(L, tbl, o);

	if (validate(o, err, sizeof(err)))
		luaL_error(L, "%s: %s", o->fn, err);
}


/* --- session descriptions -------------------------------------------- */

/* Pushes where modifier fn (at idx) is defined: "file.lua:12" */
static const char *modifier_where(lua_State *L, int idx)
{
	lua_Debug ar;

	lua_pushvalue(L, idx);
	if (!lua_getinfo(L, ">S", &ar) || ar.linedefined < 0)
		return lua_pushstring(L, "a C function");

	return lua_pushfstring(L, "%s:%d", ar.short_src, ar.linedefined);
}


/* Runs the modifiers (the list at `list`, 0: none) in order over the SDP
 * on top of the stack, as SIP.js does: modifier(sdp, type), type
 * "offer" or "answer" as the description is (a one-argument modifier
 * just ignores it). An error inside one, or a result that is no
 * string, names fn, its index and where it is defined. Leaves the
 * result on top. */
void l_sdh_modify(lua_State *L, int list, const char *fn, const char *type,
		  bool remote)
{
	const char *which = remote ? "remote" : "local";
	size_t i, n;

	if (!list)
		return;

	n = (size_t)luaL_len(L, list);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, list, (lua_Integer)i + 1);
		lua_insert(L, -2);
		lua_pushstring(L, type);
		if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
			const char *why = luaL_tolstring(L, -1, NULL);

			lua_rawgeti(L, list, (lua_Integer)i + 1);
			luaL_error(L, "%s: sessionDescriptionHandlerModifiers"
				   "[%d] raised: %s (the modifier at %s, run "
				   "over the %s %s)", fn, (int)i + 1, why,
				   modifier_where(L, -1), which, type);
		}
		if (lua_type(L, -1) != LUA_TSTRING) {
			const char *got = luaL_typename(L, -1);

			lua_rawgeti(L, list, (lua_Integer)i + 1);
			luaL_error(L, "%s: sessionDescriptionHandlerModifiers"
				   "[%d] must return the SDP as a string, got %s "
				   "(the modifier at %s, run over the %s %s)",
				   fn, (int)i + 1, got, modifier_where(L, -1),
				   which, type);
		}
	}
}


static void apply_modifiers(lua_State *L, const struct lopts *o,
			    const char *type, bool remote)
{
	l_sdh_modify(L, o->modifiers, o->fn, type, remote);
}


/* The fault switches that break the SDP itself; the answer ones only
 * where there is an offer to answer. */
static const struct {
	enum fault fault;
	enum sdpgen_break how;
	bool answer;
} sdp_breaks[] = {
	{FAULT_SDP_NO_C_LINE,         SDPGEN_NO_C_LINE,      false},
	{FAULT_SDP_BAD_PORT,          SDPGEN_BAD_PORT,       false},
	{FAULT_ANSWER_EXTRA_MLINE,    SDPGEN_EXTRA_MLINE,    true},
	{FAULT_ANSWER_FOREIGN_CODEC,  SDPGEN_FOREIGN_CODEC,  true},
	{FAULT_ANSWER_DIRECTION_SAME, SDPGEN_DIRECTION_SAME, true},
};


/* Replaces the SDP on top of the stack by s (NULL: err) */
static void replace_top(lua_State *L, const struct lopts *o, char *s,
			int err)
{
	if (err)
		luaL_error(L, "%s: could not make the SDP (%s)", o->fn,
			   strerror(err));
	lua_pushstring(L, s);
	mem_deref(s);
	lua_remove(L, -2);
}


static void break_sdp(lua_State *L, struct uas_call *call,
		      const struct lopts *o)
{
	const char *offer = uas_call_offer(call);
	size_t i;
	char *s;
	int err;

	for (i = 0; i < ARRAY_SIZE(sdp_breaks); i++) {
		if (!uas_fault(o->t->uas, sdp_breaks[i].fault) ||
		    (sdp_breaks[i].answer && !offer))
			continue;
		s = NULL;
		err = sdpgen_break(&s, lua_tostring(L, -1), sdp_breaks[i].how,
				   offer);
		replace_top(L, o, s, err);
	}
}


/* The SDP sent before, again: a repeat keeps its o= line (S-VER-1),
 * unless a fault changes it. */
static void push_repeat(lua_State *L, const struct lopts *o,
			const char *prev, size_t prev_len)
{
	const bool jump = uas_fault(o->t->uas, FAULT_SDP_VERSION_JUMP);
	const bool new_id = uas_fault(o->t->uas, FAULT_SDP_ORIGIN_CHANGES);
	char *s = NULL;
	int err;

	lua_pushlstring(L, prev, prev_len);
	if (!jump && !new_id)
		return;
	err = sdpgen_follow(&s, lua_tostring(L, -1), lua_tostring(L, -1),
			    jump ? 1 : 0, new_id);
	replace_top(L, o, s, err);
}


/* Pushes the offer the answer is made from: the INVITE's, as the
 * modifiers change it (SIP.js runs them over the remote offer before
 * it is used), or nil when there is no offer or nothing changes it. */
static void push_remote(lua_State *L, struct uas_call *call,
			const struct lopts *o, bool ignore)
{
	const char *offer = uas_call_offer(call);

	if (!offer || ignore || !o->modifiers ||
	    !luaL_len(L, o->modifiers)) {
		lua_pushnil(L);
		return;
	}
	lua_pushstring(L, offer);
	apply_modifiers(L, o, "offer", true);
}


/* Pushes a new SDP: the generator's, from the options and the offer
 * at remote (nil: the INVITE's) */
static void push_made(lua_State *L, struct uas_call *call,
		      const struct sdpgen_opts *sdh, const struct lopts *o,
		      int remote)
{
	char *sdp = NULL;
	int err;

	err = uas_call_make_sdp(call, sdh, lua_tostring(L, remote), &sdp);
	if (err == EINVAL && sdh && sdh->constrained && !sdh->audio &&
	    !sdh->video)
		luaL_error(L, "%s: " SDHO ".constraints: neither audio nor "
			   "video, no stream to offer", o->fn);
	/* the modifiers ran over the remote offer, as SIP.js runs them:
	 * what they left is what could not be answered */
	if (err && !lua_isnil(L, remote))
		luaL_error(L, "%s: could not answer the offer as "
			   SDHM " left it (%s): they run over the remote "
			   "offer too, with type \"offer\"", o->fn,
			   strerror(err));
	if (err)
		luaL_error(L, "%s: could not make the SDP (%s)", o->fn,
			   strerror(err));
	lua_pushstring(L, sdp);
	mem_deref(sdp);
}


/* Pushes the SDP this response carries (the one sent before, or a new
 * one from the generator and the modifiers), or nil for none. */
static void push_sdp(lua_State *L, struct uas_call *call,
		     const struct lopts *o)
{
	size_t prev_len;
	const char *prev = uas_call_local_sdp(call, &prev_len);
	struct uas *uas = o->t->uas;
	const bool ignore = uas_fault(uas, FAULT_MODIFIERS_IGNORED);
	struct sdpgen_opts sdh;
	char *s = NULL;
	int remote;

	/* the offer, the SDP made, a modifier and its two arguments, an
	 * error's text: after the options' values (read_options) */
	luaL_checkstack(L, 8, "SDP");
	if (prev && !uas_fault(uas, FAULT_ANSWER_CHANGES)) {
		push_repeat(L, o, prev, prev_len);
		return;
	}

	/* a data channel is an m=application section of a WebRTC offer
	 * the UAS makes; RTP/AVP has none, and an answer cannot add one */
	if (o->datachannel && !ignore &&
	    (uas_call_has_offer(call) || !uas_webrtc(uas)))
		luaL_error(L, "%s: " SDHO ".dataChannel: siptap cannot honour "
			   "it in %s (a data channel goes in a WebRTC offer "
			   "the UAS makes: t:uas{sdp = \"webrtc\"} and an "
			   "INVITE without SDP)", o->fn,
			   uas_call_has_offer(call) ? "an answer" :
			   "an RTP/AVP offer");

	/* answer-changes: another RTP port, in the same session (the o=
	 * line follows below), so that S-ANS-1/S-ANS-2 see a change;
	 * sipjs-options-ignored: siptap's meaning only, as before SIP.js's */
	sdh = o->sdh;
	sdh.data_channel = o->datachannel;
	if (prev)
		sdh.port = (o->sdh.port ? o->sdh.port : 49170) + 2;
	if (uas_fault(uas, FAULT_SIPJS_OPTIONS_IGNORED))
		sdh.hold = sdh.constrained = false;
	push_remote(L, call, o, prev != NULL || ignore);
	remote = lua_gettop(L);
	push_made(L, call, ignore && !prev ? NULL : &sdh, o, remote);
	lua_remove(L, remote);

	/* answer-changes: a new SDP in the same session, one version on
	 * (what S-ANS-1/S-ANS-2 catch is the change, not its o= line) */
	if (prev && !sdpgen_follow(&s, lua_tostring(L, -1), prev, 1, false))
		replace_top(L, o, s, 0);

	if (!ignore)
		apply_modifiers(L, o, uas_call_has_offer(call) ? "answer"
				: "offer", false);

	break_sdp(L, call, o);

	if (uas_fault(uas, FAULT_SDP_LF)) {
		luaL_gsub(L, lua_tostring(L, -1), "\r\n", "\n");
		lua_remove(L, -2);
	}
}


/* --- progress, accept, reject ---------------------------------------- */

/* P-HDR-1: extraHeaders add to a response, they do not repeat what it
 * carries already (uas_own_hdrs): two To or two Content-Length headers
 * would make it one no peer can read the same way. */
static void check_own(lua_State *L, const struct lopts *o, uint16_t scode,
		      bool reliable, bool body)
{
	char err[PROGRESS_ERRSZ];

	if (progress_check_own("extraHeaders", o->p.xhdrv, o->p.xhdrc,
			       uas_own_hdrs(scode, reliable, body), err,
			       sizeof(err)))
		luaL_error(L, "%s: %s", o->fn, err);
}


static int l_progress(lua_State *L)
{
	struct linv *li = check_inv(L);
	struct lopts o;
	int err;

	memset(&o, 0, sizeof(o));
	o.t = li->t;
	o.fn = "progress";
	read_options(L, 2, &o);

	if (uas_call_state(li->call) >= UAS_ACCEPTED)
		return luaL_error(L, "progress: the call is %s already",
				  uas_state_name(uas_call_state(li->call)));

	/* S-OFF-1: the first reliable response to an INVITE without an
	 * offer carries one; a body that is not SDP cannot */
	if (uas_call_reliable(li->call, &o.p) && !uas_call_has_offer(li->call)
	    && !uas_call_local_sdp(li->call, NULL) && o.p.body && o.p.ctype &&
	    str_casecmp(o.p.ctype, "application/sdp"))
		return luaL_error(L, "progress: body: a reliable provisional to "
				  "an INVITE without an offer must carry the "
				  "SDP offer (S-OFF-1), not %s", o.p.ctype);

	if (uas_call_sdp_wanted(li->call, &o.p, o.sdh_given)) {
		push_sdp(L, li->call, &o);
		o.p.body = lua_tolstring(L, -1, &o.p.body_len);
		o.p.ctype = NULL;
	}
	check_own(L, &o, progress_scode(&o.p),
		  uas_call_reliable(li->call, &o.p),
		  o.p.body && progress_scode(&o.p) != 100);

	err = uas_progress(li->call, &o.p);
	if (err == EMSGSIZE)
		return luaL_error(L, "progress: body of %d bytes: %s",
				  (int)o.p.body_len, sizes_strerror(err));
	if (err)
		return luaL_error(L, "progress: could not send (%s)",
				  strerror(err));

	return 0;
}


/* inv:accept([{extraHeaders, sessionDescriptionHandlerOptions,
 * sessionDescriptionHandlerModifiers}]): a 200 with the answer (or an
 * offer when the INVITE had none). */
static int l_accept(lua_State *L)
{
	static const char *const known[] = {
		"extraHeaders", "sessionDescriptionHandlerOptions",
		"sessionDescriptionHandlerModifiers", NULL
	};
	struct linv *li = check_inv(L);
	const char *sdp;
	size_t sdp_len;
	struct lopts o;
	int err;

	memset(&o, 0, sizeof(o));
	o.t = li->t;
	o.fn = "accept";
	if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2))
		return luaL_error(L, "accept: takes an options table, not a %s",
				  luaL_typename(L, 2));
	if (lua_istable(L, 2)) {
		l_check_options(L, 2, "accept", known);
		read_options(L, 2, &o);
	}
	if (uas_call_state(li->call) >= UAS_ACCEPTED)
		return luaL_error(L, "accept: the call is %s already",
				  uas_state_name(uas_call_state(li->call)));

	check_own(L, &o, 200, false, true);
	push_sdp(L, li->call, &o);
	sdp = lua_tolstring(L, -1, &sdp_len);
	err = uas_accept(li->call, sdp, sdp_len, o.p.xhdrv, o.p.xhdrc);
	if (err)
		return luaL_error(L, "accept: could not send (%s)",
				  sizes_strerror(err));

	return 0;
}


/* RFC 3261 21: the phrases of the codes a scenario rejects with */
static const char *reject_reason(uint16_t code)
{
	switch (code) {

	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 415: return "Unsupported Media Type";
	case 480: return "Temporarily Unavailable";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:  return code < 400 ? "Redirection" : code < 500 ?
			"Request Failure" : code < 600 ? "Server Failure" :
			"Global Failure";
	}
}


/* inv:reject([{statusCode = 3xx..6xx, reasonPhrase, extraHeaders}]),
 * or inv:reject(486) */
static int l_reject(lua_State *L)
{
	static const char *const known[] = {
		"statusCode", "reasonPhrase", "extraHeaders", NULL
	};
	struct linv *li = check_inv(L);
	char err[PROGRESS_ERRSZ];
	lua_Integer code = 480;
	const char *reason = NULL;
	struct lopts o;
	size_t i;
	int e;

	memset(&o, 0, sizeof(o));
	o.t = li->t;
	o.fn = "reject";
	l_uas_reject_args(L);
	if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2)) {
		return luaL_error(L, "reject: takes a status code or an "
				  "options table, not a %s",
				  luaL_typename(L, 2));
	}
	if (lua_istable(L, 2)) {
		l_check_options(L, 2, "reject", known);
		lua_getfield(L, 2, "statusCode");
		if (!lua_isnil(L, -1)) {
			int isint;

			code = lua_tointegerx(L, -1, &isint);
			if (lua_type(L, -1) != LUA_TNUMBER || !isint)
				return luaL_error(L, "reject: statusCode must "
						  "be an integer");
		}
		reason = get_string(L, 2, "reject", "reasonPhrase");
		get_headers(L, 2, &o);
	}
	if (code < 300 || code > 699)
		return luaL_error(L, "reject: statusCode: %d is not 300..699",
				  (int)code);
	if (reason && progress_check_reason(reason, err, sizeof(err)))
		return luaL_error(L, "reject: %s", err);
	for (i = 0; i < o.p.xhdrc; i++) {
		if (progress_check_header("extraHeaders", o.p.xhdrv[i], err,
					  sizeof(err)))
			return luaL_error(L, "reject: %s", err);
	}
	check_own(L, &o, (uint16_t)code, false, false);
	if (uas_call_state(li->call) >= UAS_ACCEPTED)
		return luaL_error(L, "reject: the call is %s already",
				  uas_state_name(uas_call_state(li->call)));

	e = uas_reject(li->call, (uint16_t)code,
		       reason ? reason : reject_reason((uint16_t)code),
		       o.p.xhdrv, o.p.xhdrc);
	if (e)
		return luaL_error(L, "reject: could not send (%s)",
				  sizes_strerror(e));

	return 0;
}


static int l_state(lua_State *L)
{
	lua_pushstring(L, uas_state_name(uas_call_state(check_inv(L)->call)));
	return 1;
}


/* inv:wait's state (l_uas_common.c), as the call knows it */
static int inv_state(lua_State *L)
{
	lua_pushinteger(L, uas_call_state(check_inv(L)->call));
	return 1;
}


static int l_queued(lua_State *L)
{
	lua_pushinteger(L, uas_call_queued(check_inv(L)->call));
	return 1;
}


/* inv:request(): the INVITE as the UAS received it */
static int l_request(lua_State *L)
{
	struct linv *li = check_inv(L);

	l_uas_push_request(L, li->t, uas_call_callid(li->call));

	return 1;
}


/* sendInitialProvisionalResponse (boolean) and noAnswerTimeout (whole
 * seconds), SIP.js's UserAgent options: kept for the invitations that
 * come after. */
static void sipjs_options(lua_State *L, int opts, struct uas *uas)
{
	lua_getfield(L, opts, "sendInitialProvisionalResponse");
	if (!lua_isnil(L, -1)) {
		if (!lua_isboolean(L, -1))
			luaL_error(L, "uas: sendInitialProvisionalResponse must "
				   "be a boolean, got %s",
				   luaL_typename(L, -1));
		lua_pushinteger(L, lua_toboolean(L, -1));
		lua_setfield(L, LUA_REGISTRYINDEX, AUTO180_KEY);
	}
	lua_pop(L, 1);

	/* sdp = "webrtc": the offers it makes are a browser's */
	lua_getfield(L, opts, "sdp");
	if (!lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TSTRING ||
				  strcmp(lua_tostring(L, -1), "webrtc")))
		luaL_error(L, "uas: sdp must be \"webrtc\", got %s%s%s",
			   lua_type(L, -1) == LUA_TSTRING ? "'" : "",
			   lua_type(L, -1) == LUA_TSTRING ?
			   l_quote(L, -1) : luaL_typename(L, -1),
			   lua_type(L, -1) == LUA_TSTRING ? "'" : "");
	if (!lua_isnil(L, -1))
		uas_set_webrtc(uas, true);
	lua_pop(L, 1);

	lua_getfield(L, opts, "noAnswerTimeout");
	if (!lua_isnil(L, -1)) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    lua_tointeger(L, -1) > 3600)
			luaL_error(L, "uas: noAnswerTimeout must be whole "
				   "seconds, 1..3600");
		lua_setfield(L, LUA_REGISTRYINDEX, NOANSWER_KEY);
	}
	else {
		lua_pop(L, 1);
	}
}


/* t:uas([{rel100 = "required", t1 = ms, sendInitialProvisionalResponse =
 * bool, noAnswerTimeout = s}]) */
int l_uas_push(lua_State *L, struct test *t, int opts)
{
	static const char *const known[] = {"rel100", "t1",
		"sendInitialProvisionalResponse", "noAnswerTimeout", "sdp",
		NULL};
	struct test **tp;

	if (sa_isset(&t->conf->target, SA_ADDR))
		return luaL_error(L, "t:uas(): this run calls a remote UAS "
				  "(--target); its scenarios can only send "
				  "and expect");

	if (l_options(L, opts, "t:uas", known)) {
		const char *rel;

		lua_getfield(L, opts, "t1");
		if (!lua_isnil(L, -1)) {
			lua_Integer t1 = luaL_checkinteger(L, -1);

			if (t1 < 1 || t1 > 60000)
				return luaL_error(L, "uas: t1 must be 1..60000"
						  " ms");
			uas_set_t1(t->uas, (uint32_t)t1);
		}
		lua_pop(L, 1);

		lua_getfield(L, opts, "rel100");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "uas: rel100 must be \"required\" "
					  "or \"supported\", not a %s",
					  luaL_typename(L, -1));
		rel = l_check_nul(L, -1, "uas", "rel100");
		if (rel && strcmp(rel, "required") && strcmp(rel, "supported"))
			return luaL_error(L, "uas: rel100 must be \"required\" "
					  "or \"supported\"");
		if (rel)
			uas_set_require_100rel(t->uas,
					       !strcmp(rel, "required"));
		lua_pop(L, 1);
		sipjs_options(L, opts, t->uas);
	}

	tp = lua_newuserdatauv(L, sizeof(*tp), 0);
	*tp = t;
	luaL_setmetatable(L, UAS_META);

	return 1;
}


void l_uas_open(lua_State *L)
{
	static const struct l_uas_ops ops = {   /* in l_siptap.h's order */
		l_incoming, l_progress, l_accept, l_reject, l_state,
		l_queued, l_request, inv_state, inv_gc,
		l_uas_update, l_uas_info, l_uas_bye, l_uas_reinvite
	};

	l_uas_register(L, UAS_META, INV_META, &ops);
}
