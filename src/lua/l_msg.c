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
 * msg.well_formed: what P-WIRE-1 finds nothing wrong with; msg.bytes_of,
 * filled by t:wire() alone: the seq of the wire's first message with
 * the same bytes) and methods (msg:header(name), msg:headers(name),
 * msg:has_header(name), msg:same_headers(other, name)). Header values
 * are the bytes of the header line, compact names understood.
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
 * its first read (the index of its header lines, where each name and
 * value is, is the wire's: wire_msg_hlines). A read is then a table
 * lookup inside Lua. The message behind it never changes once on the
 * wire (wire.c fills it before anyone sees it), so nothing kept goes
 * stale.
 *
 *   userdata  -> struct msg_ud (its wire_msg, MARK); user value 1: the
 *                fields table
 *   metatable -> __index = fields, __gc, __tostring, __name,
 *                __metatable (given to a new message when this one is
 *                collected: msg_gc)
 *   fields    -> status, method, ... (metatable FIELDS: __index =
 *                fields_index, which makes one)
 *
 * The rules read the wire through views instead (below: one table a
 * message, no object of its own).
 */
static const char MARK = 'm';      /* in a message's userdata       */
static const char OBJECTS = 'o';   /* registry: wm -> its object (weak) */
static const char FIELDS = 'f';    /* registry: the fields' metatable */
static const char KEYS = 'k';      /* registry: the names t:wire() fills */
static const char POOL = 'p';      /* registry: metatables to reuse */
static const char DEAD = 'd';      /* registry: a collected one's */
static const char GC = 'g';        /* registry: msg_gc, with them */
static const char OWNER = 'u';     /* fields: the userdata itself    */
static const char VIEW = 'v';      /* registry: a view's metatable   */
static const char ANCHOR = 'a';    /* registry: a views' anchor's    */

enum {
	FIELDS_HINT  = 8,   /* fields table's first size, entries */
	FIELDS_WIRE_HINT = 16, /* the same, filled for t:wire() */
	POOL_MAX = 256,     /* metatables kept for reuse */
};


static void msg_pushpl(lua_State *L, const struct pl *pl)
{
	lua_pushlstring(L, pl->p, pl->l);
}


/* A message's userdata: its wire_msg (NULL once collected) and a mark
 * that says it is one (the address of MARK: no other userdata holds it,
 * and a scenario cannot make one that does), read without asking its
 * metatable (which is the message's own: nothing to compare it with). */
struct msg_ud {
	const struct wire_msg *wm;
	const char *mark;
};


/*
 * Views (l_msg_push_views: what siptap.rules reads the wire through).
 * The rules read every message of a call many times and keep none of
 * them, nor give any to the scenario. An object as above is a userdata,
 * a table of fields and a metatable of its own, registered as wm's
 * object and finalized one by one; a read of a field goes through its
 * metatable's __index. A view is one table: the fields t:wire() fills
 * are its own keys (one lookup a read), the rest are made by a shared
 * metatable's __index on first read, as fields_index() does. Its wm's
 * slot in the anchor of its wire is at [1] (a light userdata, which no
 * scenario can make) and that anchor at [2], in the array part: no slot
 * of the hash part taken. The anchor is one userdata for all the views
 * of one t:_views() call, holding a reference to each of their messages
 * until it is collected, with the views, which hold it: one finalizer a
 * wire, not one a message, and no registration (two views of one
 * message are two tables: a rule compares messages by their fields,
 * never by identity).
 */
struct anchor {
	const char *mark;           /* &ANCHOR */
	size_t n;
	const struct wire_msg *wm[];
};


static int anchor_gc(lua_State *L)
{
	struct anchor *a = lua_touserdata(L, 1);
	size_t i;

	for (i = 0; a && i < a->n; i++)
		a->wm[i] = mem_deref((void *)a->wm[i]);
	if (a)
		a->n = 0;

	return 0;
}


/* The view at idx's message, or NULL when idx holds no view: [1] its
 * message's slot in its anchor, a light userdata, [2] that anchor,
 * nothing at [3] (read with the types lua_rawgeti() gives: every method
 * of a view's asks it). A slot is checked to be one of that anchor's:
 * a scenario can copy a view's [1] and [2] into a table of its own,
 * and a slot paired with another wire's anchor might be one whose
 * message was let go. */
static const struct wire_msg *view_test(lua_State *L, int idx)
{
	const struct wire_msg *const *slot = NULL;
	const struct anchor *a = NULL;
	uintptr_t at, first;
	int t1, t2, t3;

	if (lua_type(L, idx) != LUA_TTABLE)
		return NULL;
	idx = lua_absindex(L, idx);
	t1 = lua_rawgeti(L, idx, 1);
	t2 = lua_rawgeti(L, idx, 2);
	t3 = lua_rawgeti(L, idx, 3);
	if (t1 == LUA_TLIGHTUSERDATA && t2 == LUA_TUSERDATA && t3 == LUA_TNIL &&
	    lua_rawlen(L, -2) >= sizeof(*a)) {
		slot = lua_touserdata(L, -3);
		a = lua_touserdata(L, -2);
	}
	lua_settop(L, -4);
	if (!slot || !a || a->mark != &ANCHOR)
		return NULL;
	/* a finalizer may hold a view whose anchor went before it */
	if (!a->n)
		luaL_error(L, "%s: the message was already collected",
			   MSG_META);
	at = (uintptr_t)slot;
	first = (uintptr_t)a->wm;
	if (at < first || at >= first + a->n * sizeof(a->wm[0]) ||
	    (at - first) % sizeof(a->wm[0]))
		return NULL;

	return *slot;
}


/* The userdata at idx when it is a message's, or NULL. */
static struct msg_ud *msg_test(lua_State *L, int idx)
{
	struct msg_ud *u = lua_touserdata(L, idx);

	if (!u || lua_type(L, idx) != LUA_TUSERDATA ||
	    lua_rawlen(L, idx) != sizeof(*u) || u->mark != &MARK)
		return NULL;

	return u;
}


static const struct wire_msg *msg_get(lua_State *L, const struct msg_ud *u)
{
	/* a finalizer of the scenario's may hold one that was collected */
	if (!u->wm)
		luaL_error(L, "%s: the message was already collected",
			   MSG_META);

	return u->wm;
}


const struct wire_msg *l_msg_check(lua_State *L, int idx)
{
	const struct msg_ud *u = msg_test(L, idx);
	const struct wire_msg *wm;

	if (u)
		return msg_get(L, u);
	wm = view_test(L, idx);
	if (!wm)
		luaL_typeerror(L, idx, MSG_META);

	return wm;
}


/* A message's __gc (a closure of DEAD and POOL, the registry's GC):
 * its wire_msg let go, and its metatable kept for a new message's (up
 * to POOL_MAX of them): making one was a table and five keys a message.
 * The object is left the shared DEAD metatable, which reads the fields
 * it kept, as before: it can still be reached for a while, a key of a
 * weak table until the next collection. */
static int msg_gc(lua_State *L)
{
	struct msg_ud *u = lua_touserdata(L, 1);
	lua_Unsigned n;

	if (u)
		u->wm = mem_deref((void *)u->wm);

	if (!u || !lua_getmetatable(L, 1))
		return 0;
	lua_pushvalue(L, lua_upvalueindex(1));    /* DEAD */
	lua_setmetatable(L, 1);
	/* not nil: the key stays, so setting it again is no new key */
	lua_pushboolean(L, false);
	lua_setfield(L, -2, "__index");

	lua_pushvalue(L, lua_upvalueindex(2));    /* POOL */
	n = lua_rawlen(L, -1);
	if (n < POOL_MAX) {
		lua_pushvalue(L, -2);
		lua_rawseti(L, -2, (lua_Integer)n + 1);
	}

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

	(void)msgview_headers(wm->b->raw->buf, wm->b->raw->end, hdr_handler,
			      &w);

	return w.count;
}


/* Pushes the first value of the header, or nil. */
void l_msg_push_header(lua_State *L, const struct wire_msg *wm,
		       const char *name)
{
	struct hdr_walk w = {name, L, 0, true};

	(void)msgview_headers(wm->b->raw->buf, wm->b->raw->end, hdr_handler,
			      &w);
	if (!w.count)
		lua_pushnil(L);
}


void l_msg_push_body(lua_State *L, const struct wire_msg *wm)
{
	struct pl body;

	(void)msgview_body(wm->b->raw->buf, wm->b->raw->end, &body);
	msg_pushpl(L, &body);
}


/* The name a header is filed under: its long form (a compact one
 * unfolded), in lower case. Two names mean the same header exactly when
 * they are filed under the same name (msgview_name_eq). Written to buf;
 * a longer one to a userdata left on the stack. *lp: its length. */
enum { FILED_BUF = 64 };

static const char *file_name(lua_State *L, const char *name,
			     char buf[FILED_BUF], size_t *lp)
{
	const struct pl asked = {name, strlen(name)};
	const char *lng = msgview_long_name(&asked);
	const char *p = lng ? lng : name;
	const size_t l = lng ? strlen(lng) : asked.l;
	char *d = l <= FILED_BUF ? buf : lua_newuserdatauv(L, l, 0);
	size_t i;

	for (i = 0; i < l; i++) {
		char c = p[i];

		d[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	*lp = l;

	return d;
}



struct collect {
	lua_State *L;
	const char *filed;  /* the name looked for, as file_name() files it */
	size_t l;
	unsigned n;         /* its values so far */
};


/* A value of the header looked for, in order: the first one a string
 * on top, from the second one on a list of them (most headers come
 * once) */
static void collect_value(struct collect *c, const char *p, size_t l)
{
	lua_State *L = c->L;

	if (++c->n == 2) {
		lua_createtable(L, 2, 0);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
	}
	lua_pushlstring(L, p, l);
	if (c->n >= 2)
		lua_rawseti(L, -2, c->n);
}


/* msgview_headers, for a head too long for an index */
static bool collect_handler(const struct pl *name, const struct pl *val,
			    void *arg)
{
	struct collect *c = arg;

	if (msgview_filed_eq(name, c->filed, c->l))
		collect_value(c, val->p, val->l);

	return false;
}


/* The next line of x from *i on filed under filed (fl bytes), *i past
 * it; NULL when none is left. (inline: each header() and same_headers()
 * walks a message's lines through it; out of line it cost the rules 1 %
 * more instructions.) */
static inline const struct wire_hline *
next_filed(const char *base, const struct wire_hlines *x, size_t *i,
	   const char *filed, size_t fl)
{
	for (; *i < x->n; (*i)++) {
		const struct wire_hline *h = &x->v[*i];
		const struct pl name = {h->lng ? h->lng : base + h->noff,
					h->nlen};

		/* (a long form is no one letter: not unfolded again) */
		if (name.l == fl && msgview_filed_eq(&name, filed, fl)) {
			++*i;
			return h;
		}
	}

	return NULL;
}


/* Pushes the values of the header filed under filed (fl bytes): a
 * string, a list of them, or false; from wm's index of its header
 * lines (wire_msg_hlines) or, without one, from its bytes. */
static void push_collected(lua_State *L, const struct wire_msg *wm,
			   const char *filed, size_t fl)
{
	const char *base = (const char *)wm->b->raw->buf;
	struct collect c = {L, filed, fl, 0};
	const struct wire_hlines *x = wire_msg_hlines(wm);
	const struct wire_hline *h;
	size_t i = 0;

	if (!x) {
		(void)msgview_headers(wm->b->raw->buf, wm->b->raw->end,
				      collect_handler, &c);
	}
	while (x && (h = next_filed(base, x, &i, filed, fl)))
		collect_value(&c, base + h->voff, h->vlen);
	if (!c.n)
		lua_pushboolean(L, false);
}


/* The values of the header asked for by name (any case, long or
 * compact): a string, a list of them, or nil; looked for in the index
 * of the message's header lines that the wire keeps with its bytes
 * (wire_msg_hlines, made on the first ask; the UAS's copy of what the
 * UAC sent reads the same one): where each name and value is, no
 * string made but of the values asked. Nothing else is kept: most names
 * are asked once a message (31 of 34 asks a call under siptap load),
 * and a table of every line by name, made on the first ask as before,
 * made a string of each name and value of ten or so messages a call,
 * most never read. Pushes one value. */
static void push_values(lua_State *L, const struct wire_msg *wm,
			const char *name)
{
	const int top = lua_gettop(L);
	char buf[FILED_BUF];
	const char *filed;
	size_t fl;

	filed = file_name(L, name, buf, &fl);   /* may push its buffer */
	push_collected(L, wm, filed, fl);
	if (lua_gettop(L) > top + 1) {
		lua_replace(L, top + 1);
		lua_settop(L, top + 1);
	}
	if (lua_isboolean(L, -1)) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
}


static int l_header(lua_State *L)
{
	const struct wire_msg *wm = l_msg_check(L, 1);
	const char *name = luaL_checkstring(L, 2);

	push_values(L, wm, name);
	if (lua_istable(L, -1))
		lua_rawgeti(L, -1, 1);

	return 1;
}


/* A new list each call: the caller may change it. */
static int l_headers(lua_State *L)
{
	const struct wire_msg *wm = l_msg_check(L, 1);
	const char *name = luaL_checkstring(L, 2);
	lua_Integer i, n;

	push_values(L, wm, name);
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


/* One header's lines of a and b (their text at ba, bb, their indexes
 * xa, xb) value by value: the same? */
static bool same_lines(lua_State *L, const char *name,
		       const char *ba, const struct wire_hlines *xa,
		       const char *bb, const struct wire_hlines *xb)
{
	const struct wire_hline *x, *y;
	size_t i = 0, j = 0, fl;
	char buf[FILED_BUF];
	const char *filed = file_name(L, name, buf, &fl);

	for (;;) {
		x = next_filed(ba, xa, &i, filed, fl);
		y = next_filed(bb, xb, &j, filed, fl);
		if (!x || !y)
			return !x && !y;
		if (x->vlen != y->vlen ||
		    memcmp(ba + x->voff, bb + y->voff, x->vlen))
			return false;
	}
}


/* msg:same_headers(other, name, ...): whether comparing
 * msg:headers(name) with other:headers(name) value by value finds them
 * the same, for every name given, read in place from each one's index
 * of its header lines: no list nor string made (P-COPY-1 compares four
 * headers of every response with the INVITE's, in one call). Nothing
 * (nil) when either head is too long for an index: ask headers() then. */
static int l_same_headers(lua_State *L)
{
	const struct wire_msg *a = l_msg_check(L, 1);
	const struct wire_msg *b = l_msg_check(L, 2);
	const int top = lua_gettop(L) < 3 ? 3 : lua_gettop(L);
	const struct wire_hlines *xa, *xb;
	int k;

	for (k = 3; k <= top; k++)   /* a name at least */
		(void)luaL_checkstring(L, k);
	xa = wire_msg_hlines(a);
	xb = wire_msg_hlines(b);
	if (!xa || !xb)
		return 0;

	for (k = 3; k <= top; k++) {
		if (!same_lines(L, lua_tostring(L, k),
				(const char *)a->b->raw->buf, xa,
				(const char *)b->b->raw->buf, xb)) {
			lua_pushboolean(L, false);
			return 1;
		}
	}
	lua_pushboolean(L, true);

	return 1;
}


static int l_has_header(lua_State *L)
{
	const struct wire_msg *wm = l_msg_check(L, 1);
	const char *name = luaL_checkstring(L, 2);

	push_values(L, wm, name);
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
	if (msgview_crlf_lines(wm->b->raw->buf, wm->b->raw->end, name_handler,
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

	if (wm->b->why || msgview_crlf_lines(wm->b->raw->buf, wm->b->raw->end,
					  clean_handler, &w) || w.bad)
		return false;

	if (!w.lengths)
		return !strcmp(tp, "UDP") || !strcmp(tp, "WS") ||
			!strcmp(tp, "WSS");

	/* the body follows the last line's CR LF and the blank line's */
	body = wm->b->raw->end - (size_t)(w.end + 4 -
				       (const char *)wm->b->raw->buf);

	return w.length == body;
}


/* A message's fields and methods by name */
enum field {
	F_NONE = 0,
	F_STATUS, F_REASON, F_METHOD, F_URI, F_REQUEST, F_CALL_ID, F_CSEQ,
	F_CSEQ_METHOD, F_TO_TAG,                   /* decoded ones */
	F_TIME, F_ROLE, F_SENT, F_SEQ, F_RETRANSMISSION, F_BODY, F_RAW,
	F_WELL_FORMED, F_HEADER_NAMES, F_UNDECODABLE, F_TRANSPORT, F_SRC,
	F_DST, F_LINK, F_HEADER, F_HEADERS, F_HAS_HEADER, F_SAME_HEADERS,
};


/* The field k names (a C string: what strcmp compared before), by its
 * length and first byte then one memcmp, not a strcmp for each name
 * before it (about 20 on a miss, for every nil field read) */
static enum field field_of(const char *k)
{
#define FIELD(name, f) {name, sizeof(name) - 1, f}
	static const struct {
		const char *name;
		size_t l;
		enum field f;
	} names[] = {
		FIELD("status", F_STATUS),       FIELD("reason", F_REASON),
		FIELD("method", F_METHOD),       FIELD("uri", F_URI),
		FIELD("request", F_REQUEST),     FIELD("call_id", F_CALL_ID),
		FIELD("cseq", F_CSEQ),           FIELD("cseq_method", F_CSEQ_METHOD),
		FIELD("to_tag", F_TO_TAG),       FIELD("time", F_TIME),
		FIELD("role", F_ROLE),           FIELD("sent", F_SENT),
		FIELD("seq", F_SEQ),
		FIELD("retransmission", F_RETRANSMISSION),
		FIELD("body", F_BODY),           FIELD("raw", F_RAW),
		FIELD("well_formed", F_WELL_FORMED),
		FIELD("header_names", F_HEADER_NAMES),
		FIELD("undecodable", F_UNDECODABLE),
		FIELD("transport", F_TRANSPORT), FIELD("src", F_SRC),
		FIELD("dst", F_DST),             FIELD("link", F_LINK),
		FIELD("header", F_HEADER),       FIELD("headers", F_HEADERS),
		FIELD("has_header", F_HAS_HEADER),
		FIELD("same_headers", F_SAME_HEADERS),
	};
#undef FIELD
	const size_t l = strlen(k);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].l == l && names[i].name[0] == k[0] &&
		    !memcmp(names[i].name, k, l))
			return names[i].f;
	}

	return F_NONE;
}


/* A field that needs the decoded message; false when f is none of
 * them. */
static bool push_decoded(lua_State *L, const struct wire_head *m,
			 enum field f)
{
	switch (f) {

	case F_STATUS:
		m->req ? lua_pushnil(L) : lua_pushinteger(L, m->scode);
		break;
	case F_REASON:
		m->req ? lua_pushnil(L) : msg_pushpl(L, &m->reason);
		break;
	case F_METHOD:
		m->req ? msg_pushpl(L, &m->met) : lua_pushnil(L);
		break;
	case F_URI:
		m->req ? msg_pushpl(L, &m->ruri) : lua_pushnil(L);
		break;
	case F_REQUEST:
		lua_pushboolean(L, m->req);
		break;
	case F_CALL_ID:
		msg_pushpl(L, &m->callid);
		break;
	case F_CSEQ:
		lua_pushinteger(L, m->cseq);
		break;
	case F_CSEQ_METHOD:
		msg_pushpl(L, &m->cseq_met);
		break;
	case F_TO_TAG:
		pl_isset(&m->to_tag) ? msg_pushpl(L, &m->to_tag)
			: lua_pushnil(L);
		break;
	default:
		return false;
	}

	return true;
}


/* Pushes field k of wm, nil when it has none of that name. */
static void push_field(lua_State *L, const struct wire_msg *wm,
		       const char *k)
{
	const enum field f = field_of(k);

	if (wm->decoded && push_decoded(L, &wm->b->head, f))
		return;

	switch (f) {

	case F_TIME:
		lua_pushnumber(L, (lua_Number)wm->usec / 1000.0);
		break;
	case F_ROLE:
		lua_pushstring(L, wire_role_name(wm->role));
		break;
	case F_SENT:
		lua_pushboolean(L, wm->tx);
		break;
	case F_SEQ:
		lua_pushinteger(L, wm->seq);
		break;
	case F_RETRANSMISSION:
		lua_pushboolean(L, wm->retrans);
		break;
	case F_BODY:
		l_msg_push_body(L, wm);
		break;
	case F_RAW:
		lua_pushlstring(L, (const char *)wm->b->raw->buf,
				wm->b->raw->end);
		break;
	case F_WELL_FORMED:
		lua_pushboolean(L, well_formed(wm));
		break;
	case F_HEADER_NAMES:
		push_header_names(L, wm);
		break;
	case F_UNDECODABLE:
		lua_pushboolean(L, wm->b->why != NULL);
		break;
	case F_REASON:
		wm->b->why ? (void)lua_pushstring(L, wm->b->why)
			: lua_pushnil(L);
		break;
	case F_TRANSPORT:
		lua_pushstring(L, sip_transp_name(wm->tp));
		break;
	case F_SRC:
		push_addr(L, &wm->b->src);
		break;
	case F_DST:
		push_addr(L, &wm->b->dst);
		break;
	case F_LINK:
		lua_pushstring(L, wire_link_name(wm->link));
		break;
	case F_HEADER:
		lua_pushcfunction(L, l_header);
		break;
	case F_HEADERS:
		lua_pushcfunction(L, l_headers);
		break;
	case F_HAS_HEADER:
		lua_pushcfunction(L, l_has_header);
		break;
	case F_SAME_HEADERS:
		lua_pushcfunction(L, l_same_headers);
		break;
	default:
		lua_pushnil(L);
		break;
	}
}


/* An __index of a table of fields (an object's, or a view): the field
 * of that name, kept in the table for the next read (one that is nil is
 * asked again). An object's table has OWNER, set by msg_new() alone and
 * one of ours: no need to ask its metatable (l_msg_check) on every
 * first read. */
static int index_keep(lua_State *L, bool view)
{
	const struct wire_msg *wm;

	lua_settop(L, 2);
	if (lua_type(L, 2) != LUA_TSTRING) {
		lua_pushnil(L);
		return 1;
	}
	if (view) {
		wm = view_test(L, 1);
		if (!wm)
			return luaL_typeerror(L, 1, MSG_META);
	}
	else {
		lua_rawgetp(L, 1, &OWNER);
		wm = msg_get(L, lua_touserdata(L, 3));
	}
	push_field(L, wm, lua_tostring(L, 2));
	if (!lua_isnil(L, -1)) {
		lua_pushvalue(L, 2);
		lua_pushvalue(L, -2);
		lua_rawset(L, 1);
	}

	return 1;
}


/* The fields' __index (fields, key): a field not read before, kept for
 * the next read (one that is nil is asked of the message again). Each
 * is made when first read: a scenario holding a call's messages holds
 * the few fields it read, not all of them. */
static int fields_index(lua_State *L)
{
	return index_keep(L, false);
}


/* The registry's tables a new object needs, at absolute indexes:
 * fetched once for a whole wire */
struct regs {
	int objects;        /* OBJECTS */
	int fields_mt;      /* FIELDS */
	int pool;           /* POOL */
};


static void regs_push(lua_State *L, struct regs *r)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &OBJECTS);
	r->objects = lua_gettop(L);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &FIELDS);
	r->fields_mt = lua_gettop(L);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &POOL);
	r->pool = lua_gettop(L);
}


/* The keys of a message's metatable, alive or collected, but for
 * __index and __gc, into the table on top */
static void set_meta(lua_State *L)
{
	lua_pushcfunction(L, l_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushliteral(L, MSG_META);
	lua_setfield(L, -2, "__name");
	/* getmetatable(m) gives its name, not the fields to change */
	lua_pushliteral(L, MSG_META);
	lua_setfield(L, -2, "__metatable");
}


/* Pushes a message's metatable, but for its __index: one a collected
 * message left (msg_gc), or a new one. */
static void push_meta(lua_State *L, const struct regs *r)
{
	const lua_Integer n = (lua_Integer)lua_rawlen(L, r->pool);

	if (n > 0) {
		lua_rawgeti(L, r->pool, n);
		lua_pushnil(L);
		lua_rawseti(L, r->pool, n);
		return;
	}

	lua_createtable(L, 0, 5);
	lua_pushboolean(L, false);
	lua_setfield(L, -2, "__index");
	lua_rawgetp(L, LUA_REGISTRYINDEX, &GC);
	lua_setfield(L, -2, "__gc");
	set_meta(L);
}


/* A new object for wm, registered as its object; its fields table has
 * room for nfields. */
static void msg_new(lua_State *L, const struct wire_msg *wm, int nfields,
		    const struct regs *r)
{
	struct msg_ud *u = lua_newuserdatauv(L, sizeof(*u), 1);

	u->wm = mem_ref((void *)wm);
	u->mark = &MARK;

	lua_createtable(L, 0, nfields);          /* fields */
	lua_pushvalue(L, r->fields_mt);
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -2);
	lua_rawsetp(L, -2, &OWNER);

	push_meta(L, r);                         /* its metatable */
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -3);
	lua_setiuservalue(L, -2, 1);

	lua_pushvalue(L, -1);
	lua_rawsetp(L, r->objects, wm);
}


/* Pushes wm's object: the one alive, or a new one. */
static void push_object_at(lua_State *L, const struct wire_msg *wm,
			   int nfields, const struct regs *r)
{
	if (lua_rawgetp(L, r->objects, wm) != LUA_TUSERDATA) {
		lua_pop(L, 1);
		msg_new(L, wm, nfields, r);
	}
}


static void push_object(lua_State *L, const struct wire_msg *wm,
			int nfields)
{
	int top = lua_gettop(L);
	struct regs r;

	regs_push(L, &r);
	push_object_at(L, wm, nfields, &r);
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
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
 * Each is set directly: the message never changes, so one read before
 * holds the same value. A message a scenario got from call:response()
 * and the like is not filled: it holds what it reads. The names are
 * strings kept in the registry (KEYS), in the order of enum wire_key,
 * each set with a raw set (lua_setfield() found each name's string and
 * asked the fields' metatable for __newindex first: about a sixth more
 * a field; the rest is Lua's insert of a key). */
enum wire_key {
	K_ROLE = 1, K_SENT, K_SEQ, K_RETRANSMISSION, K_TIME, K_REQUEST,
	K_METHOD, K_STATUS, K_CALL_ID, K_CSEQ, K_CSEQ_METHOD, K_BYTES_OF,
};

static const char *const wire_keys[] = {
	NULL, "role", "sent", "seq", "retransmission", "time", "request",
	"method", "status", "call_id", "cseq", "cseq_method", "bytes_of",
};


/* bytes_of (the seq of the wire's first message with the same bytes,
 * wire_msg_first: two messages have the same exactly when their raw is
 * the same string), for a wire of at most this many messages (the pairs
 * compared grow as its square); a longer one has none, and the rules
 * compare raw */
enum { BYTES_OF_MAX = 64 };


/* The fields of the message pushed last: where push_read() fills them,
 * with the registry tables it needs at absolute indexes (fetched once
 * for a whole wire) */
struct wire_fill {
	lua_State *L;
	int keys;
	struct regs r;
	const struct list *msgs;  /* for bytes_of, or NULL: too many */
	bool sorted;              /* into calls in C (l_calls.c): call_id
				   * left to a first read (one view in 16
				   * under siptap load reads it) */
};


static void set_bool(const struct wire_fill *f, enum wire_key k, bool v)
{
	lua_rawgeti(f->L, f->keys, k);
	lua_pushboolean(f->L, v);
	lua_rawset(f->L, -3);
}


static void set_int(const struct wire_fill *f, enum wire_key k,
		    lua_Integer v)
{
	lua_rawgeti(f->L, f->keys, k);
	lua_pushinteger(f->L, v);
	lua_rawset(f->L, -3);
}


static void set_pl(const struct wire_fill *f, enum wire_key k,
		   const struct pl *pl)
{
	lua_rawgeti(f->L, f->keys, k);
	msg_pushpl(f->L, pl);
	lua_rawset(f->L, -3);
}


/* Fills the table on top with what the rules read of every message */
static void fill(const struct wire_fill *f, const struct wire_msg *wm)
{
	const struct wire_head *h = &wm->b->head;
	lua_State *L = f->L;

	lua_rawgeti(L, f->keys, K_ROLE);
	lua_pushstring(L, wire_role_name(wm->role));
	lua_rawset(L, -3);
	set_bool(f, K_SENT, wm->tx);
	set_int(f, K_SEQ, wm->seq);
	set_bool(f, K_RETRANSMISSION, wm->retrans);
	lua_rawgeti(L, f->keys, K_TIME);
	lua_pushnumber(L, (lua_Number)wm->usec / 1000.0);
	lua_rawset(L, -3);

	if (f->msgs)
		set_int(f, K_BYTES_OF, wire_msg_first(f->msgs, wm)->seq);

	if (wm->decoded) {
		set_bool(f, K_REQUEST, h->req);
		if (h->req)
			set_pl(f, K_METHOD, &h->met);
		else
			set_int(f, K_STATUS, h->scode);
		if (!f->sorted)
			set_pl(f, K_CALL_ID, &h->callid);
		set_int(f, K_CSEQ, h->cseq);
		set_pl(f, K_CSEQ_METHOD, &h->cseq_met);
	}
}


static void push_read(const struct wire_fill *f, const struct wire_msg *wm)
{
	push_object_at(f->L, wm, FIELDS_WIRE_HINT, &f->r);
	lua_getiuservalue(f->L, -1, 1);
	fill(f, wm);
	lua_pop(f->L, 1);
}


/* Pushes a list of the messages of msgs (a wire's) that are for the
 * rules (not unseen), in order, each with what the rules read of every
 * message filled: t:wire(). */
void l_msg_push_wire(lua_State *L, const struct list *msgs)
{
	struct wire_fill f = {L, 0, {0, 0, 0},
		list_count(msgs) <= BYTES_OF_MAX ? msgs : NULL, false};
	struct le *le;
	int i = 0;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &KEYS);
	f.keys = lua_gettop(L);
	regs_push(L, &f.r);

	/* room for them all: grown from empty, the list was made anew at
	 * 1, 2, 4, 8 and 16 messages */
	lua_createtable(L, (int)list_count(msgs), 0);
	for (le = list_head(msgs); le; le = le->next) {
		const struct wire_msg *wm = le->data;

		if (wm->unseen)
			continue;
		push_read(&f, wm);
		lua_rawseti(L, -2, ++i);
	}
	lua_replace(L, f.keys);
	lua_settop(L, f.keys);
}


/* A view's __index (view, key) */
static int view_index(lua_State *L)
{
	return index_keep(L, true);
}


/* A view cannot be changed, as an object cannot (a field not there yet
 * would otherwise be set, one read before changed in place) */
static int view_newindex(lua_State *L)
{
	return luaL_error(L, "%s: a message cannot be changed", MSG_META);
}


/* Pushes an anchor with room for n messages' references, none taken */
static struct anchor *anchor_push(lua_State *L, size_t n)
{
	struct anchor *a = lua_newuserdatauv(L, sizeof(*a) +
					     n * sizeof(a->wm[0]), 0);

	a->mark = &ANCHOR;
	a->n = 0;
	lua_rawgetp(L, LUA_REGISTRYINDEX, &ANCHOR);
	lua_setmetatable(L, -2);

	return a;
}


/* Pushes the view of wm, a reference to it taken by the anchor a (at
 * index anchor) first: a view that cannot be made leaves none behind */
static void view_push(const struct wire_fill *f, struct anchor *a,
		      int anchor, const struct wire_msg *wm)
{
	lua_State *L = f->L;
	const struct wire_msg **slot = &a->wm[a->n++];

	*slot = mem_ref((void *)wm);
	lua_createtable(L, 2, FIELDS_WIRE_HINT);
	lua_pushlightuserdata(L, (void *)slot);
	lua_rawseti(L, -2, 1);
	lua_pushvalue(L, anchor);
	lua_rawseti(L, -2, 2);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &VIEW);
	lua_setmetatable(L, -2);
	fill(f, wm);
}


/* Pushes views of the messages of msgs that are for the rules (not
 * unseen), in order, with what t:wire() fills filled: the rules' wire
 * (siptap.rules), a cheaper t:wire() for readers that keep none of its
 * messages and compare none with a scenario's. With calls, then their
 * calls as l_calls.c sorts them (or nil). */
void l_msg_push_views(lua_State *L, const struct list *msgs, bool calls)
{
	struct wire_fill f = {L, 0, {0, 0, 0},
		list_count(msgs) <= BYTES_OF_MAX ? msgs : NULL, calls};
	struct anchor *a;
	struct le *le;
	int i = 0, anchor;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &KEYS);
	f.keys = lua_gettop(L);
	a = anchor_push(L, list_count(msgs));
	anchor = lua_gettop(L);

	lua_createtable(L, (int)list_count(msgs), 0);
	for (le = list_head(msgs); le; le = le->next) {
		if (((const struct wire_msg *)le->data)->unseen)
			continue;
		view_push(&f, a, anchor, le->data);
		lua_rawseti(L, -2, ++i);
	}
	if (calls) {
		l_calls_push(L, -1, a->wm, a->n);
		lua_replace(L, anchor);
	}
	lua_replace(L, f.keys);
	lua_settop(L, calls ? f.keys + 1 : f.keys);
}


/* DEAD's __index (object, key): a collected message reads the fields
 * it kept; any other name is an error, as its fields' __index gave */
static int dead_index(lua_State *L)
{
	lua_settop(L, 2);
	lua_getiuservalue(L, 1, 1);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, 3) != LUA_TNIL || lua_type(L, 2) != LUA_TSTRING)
		return 1;

	(void)msg_get(L, lua_touserdata(L, 1));

	return 0;
}


void l_msg_open(lua_State *L)
{
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &POOL);

	lua_createtable(L, 0, 4);
	lua_pushcfunction(L, dead_index);
	lua_setfield(L, -2, "__index");
	set_meta(L);
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &DEAD);

	lua_rawgetp(L, LUA_REGISTRYINDEX, &POOL);
	lua_pushcclosure(L, msg_gc, 2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &GC);

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

	lua_createtable(L, 0, 6);              /* a view's metatable */
	lua_pushcfunction(L, view_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, view_newindex);
	lua_setfield(L, -2, "__newindex");
	set_meta(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &VIEW);

	lua_createtable(L, 0, 1);              /* an anchor's */
	lua_pushcfunction(L, anchor_gc);
	lua_setfield(L, -2, "__gc");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &ANCHOR);

	lua_createtable(L, ARRAY_SIZE(wire_keys) - 1, 0);
	for (size_t i = 1; i < ARRAY_SIZE(wire_keys); i++) {
		lua_pushstring(L, wire_keys[i]);
		lua_rawseti(L, -2, (lua_Integer)i);
	}
	lua_rawsetp(L, LUA_REGISTRYINDEX, &KEYS);
}
