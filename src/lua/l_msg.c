/**
 * @file l_msg.c  Message objects: one SIP message of the wire, in Lua
 *
 * Fields (msg.status, msg.reason, msg.method, msg.uri, msg.body,
 * msg.raw, msg.time, msg.sent, msg.role, msg.transport, msg.src,
 * msg.dst, msg.retransmission, msg.seq, msg.request, msg.call_id,
 * msg.cseq, msg.cseq_method, msg.undecodable, msg.link: "dropped",
 * "delayed", "duplicate" or "reordered" when link impairment did that,
 * docs/network.md; msg.header_names: the header names in order, lower
 * case, joined by commas, nil for a head not CR LF clean;
 * msg.well_formed: what P-WIRE-1 finds nothing wrong with) and methods (msg:header(name),
 * msg:headers(name), msg:has_header(name)). Header values are the
 * bytes of the header line, compact names understood.
 *
 * A message siptap could not decode (msg.undecodable true) has raw and
 * the fields of where and when, none of the decoded ones, and
 * msg.reason says why it is no SIP message ("header line 3 has no
 * colon: 'Bad'"): a response's reason phrase otherwise.
 */
#include <string.h>
#include <strings.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "wire.h"
#include "msgview.h"
#include "l_siptap.h"


#define MSG_META "siptap.msg"


/*
 * Why the objects are built this way: the rules read every message's
 * fields and headers many times after each call (38 rules a call under
 * siptap load), and a C __index that formats a fresh value on every
 * read was most of their cost. So a message has one object per state
 * (the same userdata every time it is pushed, while one is alive), its
 * own metatable whose __index is a table of its fields, each made on
 * its first read, and a table of its header lines by name, made on the
 * first header() call. A read is then a table lookup inside Lua. The
 * message behind it never changes once on the wire (wire.c fills it
 * before anyone sees it), so nothing kept goes stale.
 *
 *   userdata  -> its wire_msg; user value 1: the fields table
 *   metatable -> __index = fields, __gc, __tostring, __name, MARK
 *   fields    -> status, method, ... (metatable FIELDS: __index =
 *                fields_index, which makes one)
 */
static const char MARK = 'm';      /* in a message's metatable      */
static const char OBJECTS = 'o';   /* registry: wm -> its object (weak) */
static const char FIELDS = 'f';    /* registry: the fields' metatable */
static const char OWNER = 'u';     /* fields: the userdata itself    */
static const char HEADERS = 'h';   /* fields: name -> list of values */

enum {
	FIELDS_HINT  = 8,   /* fields table's first size, entries */
	HEADERS_HINT = 16,  /* header table's first size, entries */
	FIELDS_WIRE_HINT = 16, /* the same, filled for t:wire() */
};


static void msg_pushpl(lua_State *L, const struct pl *pl)
{
	lua_pushlstring(L, pl->p, pl->l);
}


/* The message of the userdata at idx, or NULL when it is none. */
static const struct wire_msg **msg_test(lua_State *L, int idx)
{
	const struct wire_msg **wmp = lua_touserdata(L, idx);
	bool ours;

	if (!wmp || lua_type(L, idx) != LUA_TUSERDATA ||
	    !lua_getmetatable(L, idx))
		return NULL;

	ours = lua_rawgetp(L, -1, &MARK) == LUA_TBOOLEAN;
	lua_pop(L, 2);

	return ours ? wmp : NULL;
}


static const struct wire_msg *msg_get(lua_State *L,
				      const struct wire_msg **wmp)
{
	/* a finalizer of the scenario's may hold one that was collected */
	if (!*wmp)
		luaL_error(L, "%s: the message was already collected",
			   MSG_META);

	return *wmp;
}


const struct wire_msg *l_msg_check(lua_State *L, int idx)
{
	const struct wire_msg **wmp = msg_test(L, idx);

	if (!wmp)
		luaL_typeerror(L, idx, MSG_META);

	return msg_get(L, wmp);
}


static int msg_gc(lua_State *L)
{
	const struct wire_msg **wmp = lua_touserdata(L, 1);

	if (wmp)
		*wmp = mem_deref((void *)*wmp);

	return 0;
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


/* The name a header is filed under: its long form (a compact one
 * unfolded), in lower case. Two names mean the same header exactly when
 * they are filed under the same name (msgview_name_eq). */
static void push_filed(lua_State *L, const char *p, size_t l)
{
	const struct pl name = {p, l};
	const char *lng = msgview_long_name(&name);
	char buf[64];
	luaL_Buffer b;
	char *d;
	size_t i;

	if (lng) {
		p = lng;
		l = strlen(lng);
	}

	d = l <= sizeof(buf) ? buf : luaL_buffinitsize(L, &b, l);
	for (i = 0; i < l; i++) {
		char c = p[i];

		d[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	if (d == buf)
		lua_pushlstring(L, buf, l);
	else
		luaL_pushresultsize(&b, l);
}


/* msgview_headers: each value under its name, in order: a string for
 * one value, a list from the second one on (most headers come once);
 * the table of them is on top */
static bool file_handler(const struct pl *name, const struct pl *val,
			 void *arg)
{
	lua_State *L = arg;

	push_filed(L, name->p, name->l);
	lua_pushvalue(L, -1);
	switch (lua_rawget(L, -3)) {

	case LUA_TNIL:
		lua_pop(L, 1);
		msg_pushpl(L, val);
		lua_rawset(L, -3);
		return false;

	case LUA_TSTRING:
		lua_createtable(L, 2, 0);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
		lua_pushvalue(L, -2);
		lua_pushvalue(L, -2);
		lua_rawset(L, -5);
		break;

	default:
		break;
	}
	msg_pushpl(L, val);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	lua_pop(L, 2);

	return false;
}


/* The values of the header asked for by name (any case, long or
 * compact): a string, a list of them, or nil; from the message's table
 * of header lines, made on first use. The name as asked is filed there
 * too, so a name asked again is one lookup. Pushes one value. */
static void push_values(lua_State *L, int ud, const char *name)
{
	const struct wire_msg *wm;

	lua_getiuservalue(L, ud, 1);
	if (lua_rawgetp(L, -1, &HEADERS) != LUA_TTABLE) {
		wm = l_msg_check(L, ud);
		lua_pop(L, 1);
		/* room for a usual message's header names: growing from
		 * empty rehashed it four times */
		lua_createtable(L, 0, HEADERS_HINT);
		(void)msgview_headers(wm->raw->buf, wm->raw->end,
				      file_handler, L);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, -3, &HEADERS);
	}
	lua_remove(L, -2);

	lua_pushstring(L, name);
	lua_pushvalue(L, -1);
	if (lua_rawget(L, -3) == LUA_TNIL) {
		lua_pop(L, 1);
		push_filed(L, name, strlen(name));
		if (lua_rawget(L, -3) == LUA_TNIL) {
			lua_pop(L, 1);
			lua_pushboolean(L, false);
		}
		lua_pushvalue(L, -2);
		lua_pushvalue(L, -2);
		lua_rawset(L, -5);
	}
	lua_replace(L, -3);
	lua_pop(L, 1);
	if (lua_isboolean(L, -1)) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
}


static int l_header(lua_State *L)
{
	const char *name;

	(void)l_msg_check(L, 1);
	name = luaL_checkstring(L, 2);
	push_values(L, 1, name);
	if (lua_istable(L, -1))
		lua_rawgeti(L, -1, 1);

	return 1;
}


/* A new list each call: the caller may change it. */
static int l_headers(lua_State *L)
{
	const char *name;
	lua_Integer i, n;

	(void)l_msg_check(L, 1);
	name = luaL_checkstring(L, 2);
	push_values(L, 1, name);
	if (lua_type(L, -1) == LUA_TSTRING) {
		lua_createtable(L, 1, 0);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
		return 1;
	}
	n = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
	lua_createtable(L, (int)n, 0);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -2, i);
		lua_rawseti(L, -2, i);
	}

	return 1;
}


static int l_has_header(lua_State *L)
{
	const char *name;

	(void)l_msg_check(L, 1);
	name = luaL_checkstring(L, 2);
	push_values(L, 1, name);
	lua_pushboolean(L, !lua_isnil(L, -1));

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


/* Lua's %s (isspace in the C locale) */
static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}


struct names_walk {
	luaL_Buffer *b;
	size_t n;           /* lines so far */
	size_t names;       /* names added */
};


/* A header line's name as the Lua pattern "^([^:%s]+)%s*:" reads it,
 * lower case, after a comma from the second on; the start line and a
 * line without such a name (a folded one) add none. */
static bool name_handler(const struct pl *line, void *arg)
{
	struct names_walk *w = arg;
	size_t j = 0, k, i;

	if (w->n++ == 0)
		return false;

	while (j < line->l && line->p[j] != ':' && !is_space(line->p[j]))
		++j;
	for (k = j; k < line->l && is_space(line->p[k]); k++)
		;
	if (!j || k >= line->l || line->p[k] != ':')
		return false;

	if (w->names++)
		luaL_addchar(w->b, ',');
	for (i = 0; i < j; i++) {
		char c = line->p[i];

		luaL_addchar(w->b, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c);
	}

	return false;
}


/* m.header_names: what identity() in checkers/wire.lua compares of
 * each response, read in C (it was a Lua loop over every line of every
 * reliable provisional); nil when a head line is not CR LF clean, which
 * the Lua side then reads its own way. */
static void push_header_names(lua_State *L, const struct wire_msg *wm)
{
	struct names_walk w = {NULL, 0, 0};
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	w.b = &b;
	if (msgview_crlf_lines(wm->raw->buf, wm->raw->end, name_handler,
			       &w)) {
		luaL_pushresult(&b);
		lua_pop(L, 1);
		lua_pushnil(L);
		return;
	}
	luaL_pushresult(&b);
}


/* RFC 3261 25.1 token, as P-WIRE-1's Lua pattern [%w%-%.!%%%*_%+`'~] */
static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || (c && strchr("-.!%*_+`'~", c));
}


static bool is_token(const char *p, size_t l)
{
	size_t i;

	for (i = 0; i < l; i++) {
		if (!is_token_char(p[i]))
			return false;
	}

	return l > 0;
}


/* "METHOD URI SIP/2.0" with a token for a method, or "SIP/2.0 NNN ..." */
static bool start_line_ok(const struct pl *s)
{
	static const char ver[] = " SIP/2.0";
	const char *sp1 = memchr(s->p, ' ', s->l), *sp2;
	size_t rest;

	if (sp1 && sp1 > s->p) {
		rest = s->l - (size_t)(sp1 + 1 - s->p);
		sp2 = memchr(sp1 + 1, ' ', rest);
		if (sp2 && sp2 > sp1 + 1 &&
		    (size_t)(s->p + s->l - sp2) == sizeof(ver) - 1 &&
		    !memcmp(sp2, ver, sizeof(ver) - 1))
			return is_token(s->p, (size_t)(sp1 - s->p));
	}

	return s->l >= 12 && !memcmp(s->p, "SIP/2.0 ", 8) &&
		s->p[8] >= '0' && s->p[8] <= '9' &&
		s->p[9] >= '0' && s->p[9] <= '9' &&
		s->p[10] >= '0' && s->p[10] <= '9' && s->p[11] == ' ';
}


struct clean_walk {
	size_t n;           /* lines so far */
	const char *end;    /* past the last line */
	bool bad;
	unsigned lengths;   /* Content-Length lines */
	uint64_t length;    /* their value (UINT64_MAX: too big, or two) */
};


/* A Content-Length value, blanks (%s) trimmed: all digits, or bad */
static void length_take(struct clean_walk *w, const char *p, size_t l)
{
	uint64_t v = 0;
	size_t i;

	while (l && is_space(*p)) {
		++p;
		--l;
	}
	while (l && is_space(p[l - 1]))
		--l;
	if (!l) {
		w->bad = true;
		return;
	}
	for (i = 0; i < l; i++) {
		if (p[i] < '0' || p[i] > '9') {
			w->bad = true;
			return;
		}
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 +
			(uint64_t)(p[i] - '0');
	}
	if (w->lengths++ && v != w->length)
		v = UINT64_MAX;           /* two values: one is wrong */
	w->length = v;
}


static bool clean_handler(const struct pl *line, void *arg)
{
	struct clean_walk *w = arg;
	const char *colon;
	size_t j, k;

	w->end = line->p + line->l;
	if (w->n++ == 0) {
		w->bad = !start_line_ok(line);
		return w->bad;
	}
	if (line->p[0] == ' ' || line->p[0] == '\t') {
		w->bad = w->n == 2;       /* folded, with nothing above */
		return w->bad;
	}
	colon = memchr(line->p, ':', line->l);
	if (!colon) {
		w->bad = true;
		return true;
	}
	for (j = 0; line->p + j < colon && is_token_char(line->p[j]); j++)
		;
	for (k = j; line->p + k < colon &&
		     (line->p[k] == ' ' || line->p[k] == '\t'); k++)
		;
	if (!j || line->p + k != colon) {
		w->bad = true;
		return true;
	}
	if ((j == 14 && !strncasecmp(line->p, "content-length", 14)) ||
	    (j == 1 && (line->p[0] == 'l' || line->p[0] == 'L')))
		length_take(w, colon + 1,
			    (size_t)(line->p + line->l - (colon + 1)));

	return w->bad;
}


/* m.well_formed: P-WIRE-1's question for the common case, in C: every
 * head line ends in CR LF with no other CR or LF, the start line is
 * right, each header line has a token for a name, and Content-Length
 * (which a stream needs) is the body's length. false: P-WIRE-1 reads
 * the message in Lua and says what is wrong. */
static bool well_formed(const struct wire_msg *wm)
{
	struct clean_walk w = {0, NULL, false, 0, 0};
	const char *tp = sip_transp_name(wm->tp);
	size_t body;

	if (wm->why || msgview_crlf_lines(wm->raw->buf, wm->raw->end,
					  clean_handler, &w) || w.bad)
		return false;

	if (!w.lengths)
		return !strcmp(tp, "UDP") || !strcmp(tp, "WS") ||
			!strcmp(tp, "WSS");

	/* the body follows the last line's CR LF and the blank line's */
	body = wm->raw->end - (size_t)(w.end + 4 -
				       (const char *)wm->raw->buf);

	return w.length == body;
}


/* Fields that need the decoded message; false when k is none of them. */
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


/* the methods, fields of every message */
static const luaL_Reg msg_methods[] = {
	{"header",     l_header},
	{"headers",    l_headers},
	{"has_header", l_has_header},
	{NULL, NULL}
};


/* Pushes field k of wm, nil when it has none of that name. */
static void push_field(lua_State *L, const struct wire_msg *wm,
		       const char *k)
{
	const luaL_Reg *r;

	if (wm->decoded && push_decoded(L, &wm->head, k))
		return;

	if (!strcmp(k, "time"))
		lua_pushnumber(L, (lua_Number)wm->usec / 1000.0);
	else if (!strcmp(k, "role"))
		lua_pushstring(L, wire_role_name(wm->role));
	else if (!strcmp(k, "sent"))
		lua_pushboolean(L, wm->tx);
	else if (!strcmp(k, "seq"))
		lua_pushinteger(L, wm->seq);
	else if (!strcmp(k, "retransmission"))
		lua_pushboolean(L, wm->retrans);
	else if (!strcmp(k, "body"))
		l_msg_push_body(L, wm);
	else if (!strcmp(k, "raw"))
		lua_pushlstring(L, (const char *)wm->raw->buf, wm->raw->end);
	else if (!strcmp(k, "well_formed"))
		lua_pushboolean(L, well_formed(wm));
	else if (!strcmp(k, "header_names"))
		push_header_names(L, wm);
	else if (!strcmp(k, "undecodable"))
		lua_pushboolean(L, wm->why != NULL);
	else if (!strcmp(k, "reason") && wm->why)
		lua_pushstring(L, wm->why);
	else if (!strcmp(k, "transport"))
		lua_pushstring(L, sip_transp_name(wm->tp));
	else if (!strcmp(k, "src"))
		push_addr(L, &wm->src);
	else if (!strcmp(k, "dst"))
		push_addr(L, &wm->dst);
	else if (!strcmp(k, "link"))
		lua_pushstring(L, wire_link_name(wm->link));
	else {
		for (r = msg_methods; r->name; r++) {
			if (!strcmp(k, r->name)) {
				lua_pushcfunction(L, r->func);
				return;
			}
		}
		lua_pushnil(L);
	}
}


/* The fields' __index (fields, key): a field not read before, kept for
 * the next read (one that is nil is asked of the message again). Each
 * is made when first read: a scenario holding a call's messages holds
 * the few fields it read, not all of them. */
static int fields_index(lua_State *L)
{
	const struct wire_msg *wm;

	lua_settop(L, 2);
	if (lua_type(L, 2) != LUA_TSTRING) {
		lua_pushnil(L);
		return 1;
	}
	/* OWNER is set by msg_new() alone and is one of ours: no need to
	 * ask its metatable (l_msg_check) on every first read */
	lua_rawgetp(L, 1, &OWNER);
	wm = msg_get(L, lua_touserdata(L, 3));
	push_field(L, wm, lua_tostring(L, 2));
	if (!lua_isnil(L, -1)) {
		lua_pushvalue(L, 2);
		lua_pushvalue(L, -2);
		lua_rawset(L, 1);
	}

	return 1;
}


/* A new object for wm, registered as its object (weak table on top);
 * its fields table has room for nfields. */
static void msg_new(lua_State *L, const struct wire_msg *wm, int nfields)
{
	const struct wire_msg **wmp = lua_newuserdatauv(L, sizeof(*wmp), 1);

	*wmp = mem_ref((void *)wm);

	lua_createtable(L, 0, nfields);          /* fields */
	lua_rawgetp(L, LUA_REGISTRYINDEX, &FIELDS);
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -2);
	lua_rawsetp(L, -2, &OWNER);

	lua_createtable(L, 0, 6);                /* its metatable */
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, msg_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, l_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushliteral(L, MSG_META);
	lua_setfield(L, -2, "__name");
	/* getmetatable(m) gives its name, not the fields to change */
	lua_pushliteral(L, MSG_META);
	lua_setfield(L, -2, "__metatable");
	lua_pushboolean(L, true);
	lua_rawsetp(L, -2, &MARK);
	lua_setmetatable(L, -3);
	lua_setiuservalue(L, -2, 1);

	lua_pushvalue(L, -1);
	lua_rawsetp(L, -3, wm);
}


static void push_object(lua_State *L, const struct wire_msg *wm,
			int nfields)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &OBJECTS);
	if (lua_rawgetp(L, -1, wm) != LUA_TUSERDATA) {
		lua_pop(L, 1);
		msg_new(L, wm, nfields);
	}
	lua_remove(L, -2);
}


/* The owner and the few fields most reads are of (status, cseq_method,
 * seq, body ...): a table that grows from 2 was rehashed at each
 * doubling, most of a first read's cost. */
void l_msg_push(lua_State *L, const struct wire_msg *wm)
{
	push_object(L, wm, FIELDS_HINT);
}


/* What the rules read of every message of a test's wire (W.calls sorts
 * them by these): made at once for t:wire(), one C call a message
 * instead of a __index call a field (about 180 a call under siptap
 * load). The values are push_field()'s, as a first read makes them
 * (the fields of a message it could not decode are where and when, no
 * status, method or call_id); a nil one is left to __index, as before.
 * Each is set directly, by name: the message never changes, so one read
 * before holds the same value. A message a scenario got from
 * call:response() and the like is not filled: it holds what it reads. */
static void set_pl(lua_State *L, const char *k, const struct pl *pl)
{
	msg_pushpl(L, pl);
	lua_setfield(L, -2, k);
}


void l_msg_push_read(lua_State *L, const struct wire_msg *wm)
{
	const struct wire_head *h = &wm->head;

	push_object(L, wm, FIELDS_WIRE_HINT);
	lua_getiuservalue(L, -1, 1);

	lua_pushstring(L, wire_role_name(wm->role));
	lua_setfield(L, -2, "role");
	lua_pushboolean(L, wm->tx);
	lua_setfield(L, -2, "sent");
	lua_pushinteger(L, wm->seq);
	lua_setfield(L, -2, "seq");
	lua_pushboolean(L, wm->retrans);
	lua_setfield(L, -2, "retransmission");
	lua_pushnumber(L, (lua_Number)wm->usec / 1000.0);
	lua_setfield(L, -2, "time");

	if (wm->decoded) {
		lua_pushboolean(L, h->req);
		lua_setfield(L, -2, "request");
		if (h->req) {
			set_pl(L, "method", &h->met);
		}
		else {
			lua_pushinteger(L, h->scode);
			lua_setfield(L, -2, "status");
		}
		set_pl(L, "call_id", &h->callid);
		lua_pushinteger(L, h->cseq);
		lua_setfield(L, -2, "cseq");
		set_pl(L, "cseq_method", &h->cseq_met);
	}

	lua_pop(L, 1);
}


void l_msg_open(lua_State *L)
{
	lua_newtable(L);                 /* wm -> its object, while alive */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &OBJECTS);

	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, fields_index);
	lua_setfield(L, -2, "__index");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &FIELDS);
}
