/**
 * @file l_msg.c  Message objects: one SIP message of the wire, in Lua
 *
 * Fields (msg.status, msg.reason, msg.method, msg.uri, msg.body,
 * msg.raw, msg.time, msg.sent, msg.role, msg.transport, msg.src,
 * msg.dst, msg.retransmission, msg.seq, msg.request, msg.call_id,
 * msg.cseq, msg.cseq_method, msg.undecodable, msg.link: "dropped",
 * "delayed", "duplicate" or "reordered" when link impairment did that,
 * docs/network.md) and methods (msg:header(name),
 * msg:headers(name), msg:has_header(name)). Header values are the
 * bytes of the header line, compact names understood.
 *
 * A message siptap could not decode (msg.undecodable true) has raw and
 * the fields of where and when, none of the decoded ones, and
 * msg.reason says why it is no SIP message ("header line 3 has no
 * colon: 'Bad'"): a response's reason phrase otherwise.
 */
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "wire.h"
#include "msgview.h"
#include "l_siptap.h"


#define MSG_META "siptap.msg"


static void msg_pushpl(lua_State *L, const struct pl *pl)
{
	lua_pushlstring(L, pl->p, pl->l);
}


const struct wire_msg *l_msg_check(lua_State *L, int idx)
{
	const struct wire_msg **wmp = luaL_checkudata(L, idx, MSG_META);

	return *wmp;
}


static int msg_gc(lua_State *L)
{
	const struct wire_msg **wmp = luaL_checkudata(L, 1, MSG_META);

	*wmp = mem_deref((void *)*wmp);

	return 0;
}


void l_msg_push(lua_State *L, const struct wire_msg *wm)
{
	const struct wire_msg **wmp = lua_newuserdatauv(L, sizeof(*wmp), 0);

	*wmp = mem_ref((void *)wm);
	luaL_setmetatable(L, MSG_META);
}


struct hdr_walk {
	const char *name;
	lua_State *L;       /* push every value into the table on top */
	unsigned count;
	bool first_only;
};


static bool hdr_handler(const struct pl *name, const struct pl *val,
			void *arg)
{
	struct hdr_walk *w = arg;

	if (!msgview_name_eq(name, w->name))
		return false;

	++w->count;
	if (w->L && w->first_only) {
		msg_pushpl(w->L, val);
		return true;
	}
	if (w->L) {
		msg_pushpl(w->L, val);
		lua_rawseti(w->L, -2, w->count);
	}

	return false;
}


unsigned l_msg_header_count(const struct wire_msg *wm, const char *name)
{
	struct hdr_walk w = {name, NULL, 0, false};

	(void)msgview_headers(wm->raw->buf, wm->raw->end, hdr_handler, &w);

	return w.count;
}


/* Pushes the first value of the header, or nil. */
void l_msg_push_header(lua_State *L, const struct wire_msg *wm,
		       const char *name)
{
	struct hdr_walk w = {name, L, 0, true};

	(void)msgview_headers(wm->raw->buf, wm->raw->end, hdr_handler, &w);
	if (!w.count)
		lua_pushnil(L);
}


void l_msg_push_body(lua_State *L, const struct wire_msg *wm)
{
	struct pl body;

	(void)msgview_body(wm->raw->buf, wm->raw->end, &body);
	msg_pushpl(L, &body);
}


static int l_header(lua_State *L)
{
	l_msg_push_header(L, l_msg_check(L, 1), luaL_checkstring(L, 2));
	return 1;
}


static int l_headers(lua_State *L)
{
	const struct wire_msg *wm = l_msg_check(L, 1);
	struct hdr_walk w = {luaL_checkstring(L, 2), L, 0, false};

	lua_newtable(L);
	(void)msgview_headers(wm->raw->buf, wm->raw->end, hdr_handler, &w);

	return 1;
}


static int l_has_header(lua_State *L)
{
	lua_pushboolean(L, l_msg_header_count(l_msg_check(L, 1),
					      luaL_checkstring(L, 2)) > 0);
	return 1;
}


static int l_tostring(lua_State *L)
{
	const struct wire_msg *wm = l_msg_check(L, 1);
	char *s = NULL;

	if (re_sdprintf(&s, "%H", wire_msg_print, wm))
		return luaL_error(L, "out of memory");
	lua_pushstring(L, s);
	mem_deref(s);

	return 1;
}


static void push_addr(lua_State *L, const struct sa *sa)
{
	char buf[64];

	(void)re_snprintf(buf, sizeof(buf), "%J", sa);
	lua_pushstring(L, buf);
}


/* Fields that need the decoded message; nil when it did not decode. */
static bool push_decoded(lua_State *L, const struct wire_head *m,
			 const char *k)
{
	if (!strcmp(k, "status"))
		m->req ? lua_pushnil(L) : lua_pushinteger(L, m->scode);
	else if (!strcmp(k, "reason"))
		m->req ? lua_pushnil(L) : msg_pushpl(L, &m->reason);
	else if (!strcmp(k, "method"))
		m->req ? msg_pushpl(L, &m->met) : lua_pushnil(L);
	else if (!strcmp(k, "uri"))
		m->req ? msg_pushpl(L, &m->ruri) : lua_pushnil(L);
	else if (!strcmp(k, "request"))
		lua_pushboolean(L, m->req);
	else if (!strcmp(k, "call_id"))
		msg_pushpl(L, &m->callid);
	else if (!strcmp(k, "cseq"))
		lua_pushinteger(L, m->cseq);
	else if (!strcmp(k, "cseq_method"))
		msg_pushpl(L, &m->cseq_met);
	else if (!strcmp(k, "to_tag"))
		pl_isset(&m->to_tag) ? msg_pushpl(L, &m->to_tag)
			: lua_pushnil(L);
	else
		return false;

	return true;
}


static int l_index(lua_State *L)
{
	const struct wire_msg *wm = l_msg_check(L, 1);
	const char *k = luaL_checkstring(L, 2);

	if (wm->decoded && push_decoded(L, &wm->head, k))
		return 1;

	if (!strcmp(k, "undecodable"))
		lua_pushboolean(L, wm->why != NULL);
	else if (!strcmp(k, "reason") && wm->why)
		lua_pushstring(L, wm->why);
	else if (!strcmp(k, "body"))
		l_msg_push_body(L, wm);
	else if (!strcmp(k, "raw"))
		lua_pushlstring(L, (const char *)wm->raw->buf, wm->raw->end);
	else if (!strcmp(k, "time"))
		lua_pushnumber(L, (lua_Number)wm->usec / 1000.0);
	else if (!strcmp(k, "sent"))
		lua_pushboolean(L, wm->tx);
	else if (!strcmp(k, "role"))
		lua_pushstring(L, wire_role_name(wm->role));
	else if (!strcmp(k, "transport"))
		lua_pushstring(L, sip_transp_name(wm->tp));
	else if (!strcmp(k, "src"))
		push_addr(L, &wm->src);
	else if (!strcmp(k, "dst"))
		push_addr(L, &wm->dst);
	else if (!strcmp(k, "retransmission"))
		lua_pushboolean(L, wm->retrans);
	else if (!strcmp(k, "seq"))
		lua_pushinteger(L, wm->seq);
	else if (!strcmp(k, "link"))
		lua_pushstring(L, wire_link_name(wm->link));
	else {
		/* methods */
		luaL_getmetatable(L, MSG_META);
		lua_getfield(L, -1, "methods");
		lua_getfield(L, -1, k);
	}

	return 1;
}


static const luaL_Reg msg_methods[] = {
	{"header",     l_header},
	{"headers",    l_headers},
	{"has_header", l_has_header},
	{NULL, NULL}
};


void l_msg_open(lua_State *L)
{
	luaL_newmetatable(L, MSG_META);
	lua_pushcfunction(L, l_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, msg_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, l_tostring);
	lua_setfield(L, -2, "__tostring");
	luaL_newlib(L, msg_methods);
	lua_setfield(L, -2, "methods");
	lua_pop(L, 1);
}
