/**
 * @file test_l_msg.c  Unit tests of src/lua/l_msg.c (and the msgview.c
 * walks under it): the message accessors give what they gave at
 * 1e1a891, read through the old and the new code side by side
 *
 * The old code is tests/unit/ref/ *-1e1a891.c.in, the files as they
 * were (their project #include lines taken out), built here with every
 * public name prefixed ref_. 960 messages, mutated from a few
 * of a call's (case, blanks, folding, compact names, bare LF, NUL,
 * lines cut or doubled, truncation: decodable or not), are put on a
 * wire; four Lua states read each of them: the old and the new t:wire()
 * objects (filled at once), and the old and the new objects made one
 * field at a time (call:response()). In each, one Lua reader reads
 * every field twice (the first read and the kept one), unknown names
 * and metamethod names too, and every header by every spelling (as on
 * the wire, lower and upper case, each compact letter and long form,
 * names with blanks, absent ones) through header(), headers() and
 * has_header(), into one string: the old and the new string of each
 * message must be the same, and so must the string of each message
 * read through a view (l_msg_push_views: the rules' wire). The
 * comparison is shown to fail: with a difference planted in the new
 * reader's answers (compact names not understood), it finds it. A third
 * test reads a message reached after its collection, while new ones
 * reuse the metatable it had; a fourth, a view a finalizer holds after
 * its anchor went.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <re.h>
#include "wire.h"
#include "msgview.h"
#include "l_siptap.h"

/* the old code, every public name ref_ */
#define msgview_crlf_lines  ref_msgview_crlf_lines
#define msgview_start_line  ref_msgview_start_line
#define msgview_headers     ref_msgview_headers
#define msgview_body        ref_msgview_body
#define msgview_name_eq     ref_msgview_name_eq
#define msgview_long_name   ref_msgview_long_name
#define l_msg_check         ref_msg_check
#define l_msg_header_count  ref_msg_header_count
#define l_msg_push_header   ref_msg_push_header
#define l_msg_push_body     ref_msg_push_body
#define l_msg_push          ref_msg_push
#define l_msg_push_read     ref_msg_push_read
#define l_msg_open          ref_msg_open
#include "ref/msgview-1e1a891.c.in"
#include "ref/l_msg-1e1a891.c.in"
#undef msgview_crlf_lines
#undef msgview_start_line
#undef msgview_headers
#undef msgview_body
#undef msgview_name_eq
#undef msgview_long_name
#undef l_msg_check
#undef l_msg_header_count
#undef l_msg_push_header
#undef l_msg_push_body
#undef l_msg_push
#undef l_msg_push_read
#undef l_msg_open


/* reader(m, plant): every field and header of m, as one string */
static const char reader[] =
"local m, plant, view = ...\n"
"local out = {}\n"
"local function put(k, v)\n"
"  local t = type(v)\n"
"  if t == 'string' then out[#out + 1] = k .. '=s' .. #v .. ':' .. v\n"
"  elseif t == 'table' then\n"
"    out[#out + 1] = k .. '=t' .. #v .. ':' .. table.concat(v, '\\0|')\n"
"  elseif t == 'function' then out[#out + 1] = k .. '=f'\n"
"  else out[#out + 1] = k .. '=' .. t .. ':' .. tostring(v) end\n"
"end\n"
"local fields = { 'status', 'reason', 'method', 'uri', 'request',\n"
"  'call_id', 'cseq', 'cseq_method', 'to_tag', 'time', 'role', 'sent',\n"
"  'seq', 'retransmission', 'body', 'raw', 'well_formed',\n"
"  'header_names', 'undecodable', 'transport', 'src', 'dst', 'link',\n"
"  'header', 'headers', 'has_header', 'nope', 'Status', 'STATUS',\n"
"  '__index', '__gc', '__name', '__tostring', '__metatable', '',\n"
"  'status\\0x', 'cseq_methodx', 'ur', 'r', 'to_ta', 'header_name' }\n"
"for pass = 1, 2 do\n"
"  for _, k in ipairs(fields) do put(pass .. k, m[k]) end\n"
"  -- (a view holds its message at [1]: not a field)\n"
"  if not view then put(pass .. '[1]', m[1]) end\n"
"  put(pass .. '[true]', m[true])\n"
"end\n"
"local long = { a = 'Accept-Contact', b = 'Referred-By',\n"
"  c = 'Content-Type', d = 'Request-Disposition', e = 'Content-Encoding',\n"
"  f = 'From', i = 'Call-ID', j = 'Reject-Contact', k = 'Supported',\n"
"  l = 'Content-Length', m = 'Contact', n = 'Identity-Info', o = 'Event',\n"
"  r = 'Refer-To', s = 'Subject', t = 'To', u = 'Allow-Events', v = 'Via',\n"
"  x = 'Session-Expires', y = 'Identity' }\n"
"local names = { 'X-None', '', 'Via ', ' via', 'v ', 'CALL-ID', 'i',\n"
"  'z', 'Z', 'content-length', 'L' }\n"
"for c = string.byte('a'), string.byte('z') do\n"
"  names[#names + 1] = string.char(c)\n"
"  names[#names + 1] = string.char(c):upper()\n"
"end\n"
"for c = string.byte('a'), string.byte('z') do\n"
"  names[#names + 1] = long[string.char(c)]\n"
"end\n"
"local raw = m.raw\n"
"local head = raw:match('^(.-)\\r?\\n\\r?\\n') or raw\n"
"local first = true\n"
"for line in head:gmatch('[^\\n]+') do\n"
"  if not first then\n"
"    local n = line:match('^([^:]*):')\n"
"    if n then\n"
"      names[#names + 1] = n\n"
"      names[#names + 1] = n:lower()\n"
"      names[#names + 1] = n:upper()\n"
"      names[#names + 1] = n:match('^[ \\t]*(.-)[ \\t]*$')\n"
"    end\n"
"  end\n"
"  first = false\n"
"end\n"
"for pass = 1, 2 do\n"
"  for _, n in ipairs(names) do\n"
"    local h, hs, has = m:header(n), m:headers(n), m:has_header(n)\n"
"    if plant and #n == 1 then h, has = nil, false end\n"
"    put(pass .. 'header(' .. n .. ')', h)\n"
"    put(pass .. 'headers(' .. n .. ')', hs)\n"
"    put(pass .. 'has_header(' .. n .. ')', has)\n"
"  end\n"
"end\n"
"return table.concat(out, '\\n')\n";


/* A few messages of a call, compact and long names, a folded line */
static const char *const bases[] = {
	"INVITE sip:uas@127.0.0.1:5070 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1;rport\r\n"
	"v: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK0\r\n"
	"Max-Forwards: 70\r\n"
	"f: <sip:uac@127.0.0.1>;tag=a1\r\n"
	"To: <sip:uas@127.0.0.1>\r\n"
	"i: 1234@127.0.0.1\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:uac@127.0.0.1:5060>\r\n"
	"k: 100rel\r\n"
	"Subject: a\r\n b folded\r\n"
	"X-Case: A\r\nx-CASE: B\r\nX-Empty:\r\n"
	"c: application/sdp\r\n"
	"Content-Length: 23\r\n\r\n"
	"v=0\r\no=- 1 1 IN IP4 x\r\n",

	"SIP/2.0 183 Session Progress\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1;rport=5060\r\n"
	"From: <sip:uac@127.0.0.1>;tag=a1\r\n"
	"t: <sip:uas@127.0.0.1>;tag=b2\r\n"
	"Call-ID: 1234@127.0.0.1\r\n"
	"CSeq: 1 INVITE\r\n"
	"Require: 100rel\r\nRSeq: 1\r\n"
	"Record-Route: <sip:p1>\r\nRecord-Route: <sip:p2>,<sip:p3>\r\n"
	"Content-Type: application/sdp\r\n"
	"l: 10\r\n\r\n"
	"v=0\r\ns=-\r\n",

	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
	"From: <sip:uac@127.0.0.1>;tag=a1\r\n"
	"To: <sip:uas@127.0.0.1>;tag=b2\r\n"
	"Call-ID: 1234@127.0.0.1\r\n"
	"CSeq: 2 PRACK\r\n"
	"Content-Length: 0\r\n\r\n",

	"BYE sip:uac@127.0.0.1:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK9\r\n"
	"From: <sip:uas@127.0.0.1>;tag=b2\r\n"
	"To: <sip:uac@127.0.0.1>;tag=a1\r\n"
	"Call-ID: 1234@127.0.0.1\r\n"
	"CSeq: 1 BYE\r\n"
	"Max-Forwards: 70\r\n\r\n",

	"SIP/2.0 180 Ringing\r\nVia: x\r\nBad line\r\n\r\n",

	NULL,     /* a head of more lines than the index holds: long_head() */
};


/* bases[last]: a 200 with 70 header lines, a name asked among them */
static void long_head(char *buf, size_t sz)
{
	int n = snprintf(buf, sz, "SIP/2.0 200 OK\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
			 "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
			 "Call-ID: long@head\r\nCSeq: 1 INVITE\r\n");
	int i;

	for (i = 0; i < 65 && n > 0 && (size_t)n < sz; i++)
		n += snprintf(buf + n, sz - (size_t)n, "%s: %d\r\n",
			      i % 7 ? "X-Line" : "v", i);
	if (n > 0 && (size_t)n < sz)
		(void)snprintf(buf + n, sz - (size_t)n,
			       "Content-Length: 0\r\n\r\n");
}


static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}


/* n bytes at pos of buf (len bytes, room for sz) replaced by ins */
static size_t splice(char *buf, size_t len, size_t sz, size_t pos,
		     size_t n, const char *ins, size_t il)
{
	if (pos > len)
		pos = len;
	if (n > len - pos)
		n = len - pos;
	if (len - n + il > sz)
		return len;
	memmove(buf + pos + il, buf + pos + n, len - pos - n);
	memcpy(buf + pos, ins, il);

	return len - n + il;
}


/* One random change of the bytes */
static size_t mutate(char *buf, size_t len, size_t sz, uint32_t *s)
{
	static const char letters[] = "abcdefijklmnorstuvxyzABCFIKLMTV";
	size_t pos = len ? rnd(s) % len : 0, e;
	char c;

	switch (rnd(s) % 11) {

	case 0:           /* case */
		if (len && ((buf[pos] | 0x20) >= 'a' && (buf[pos] | 0x20) <= 'z'))
			buf[pos] ^= 0x20;
		return len;
	case 1:
		return splice(buf, len, sz, pos, 0, rnd(s) % 2 ? " " : "\t",
			      1);
	case 2:
		return splice(buf, len, sz, pos, 1 + rnd(s) % 8, "", 0);
	case 3:           /* a line twice */
		while (pos && buf[pos - 1] != '\n')
			--pos;
		for (e = pos; e < len && buf[e] != '\n'; e++)
			;
		if (e < len && e - pos < 256) {
			char line[260];

			memcpy(line, buf + pos, e - pos + 1);
			return splice(buf, len, sz, pos, 0, line,
				      e - pos + 1);
		}
		return len;
	case 4: {         /* a bare LF */
		char *cr = len ? memchr(buf + pos, '\r', len - pos) : NULL;

		return cr ? splice(buf, len, sz, (size_t)(cr - buf), 1, "",
				   0) : len;
	}
	case 5:
		return splice(buf, len, sz, pos, 0, "\r\n ", 3);
	case 6:
		return splice(buf, len, sz, pos, 0, "", 1);
	case 7:
		return pos;
	case 8:
		return splice(buf, len, sz, pos, 0, ":", 1);
	case 9:           /* a name made one letter */
		while (pos && buf[pos - 1] != '\n')
			--pos;
		for (e = pos; e < len && buf[e] != ':' && buf[e] != '\n'; e++)
			;
		if (e < len && buf[e] == ':') {
			c = letters[rnd(s) % (sizeof(letters) - 1)];
			return splice(buf, len, sz, pos, e - pos, &c, 1);
		}
		return len;
	default:
		return splice(buf, len, sz, pos, 0, "\r\n", 2);
	}
}


/* pairs(list): every two messages of t:wire()'s list, compared the
 * ways the rules tell them apart without copies (bytes_of for raw,
 * same_headers() for the lists of headers()) and by their strings and
 * lists; returns how many disagree, pairs of the same bytes (a message
 * with itself left out), pairs with a header the same and pairs with
 * one that differs */
static const char pairs_check[] =
"local list = ...\n"
"local bad, same_raw, same_h, other_h = 0, 0, 0, 0\n"
"local function same_list(a, b)\n"
"  if #a ~= #b then return false end\n"
"  for i = 1, #a do if a[i] ~= b[i] then return false end end\n"
"  return true\n"
"end\n"
"local names = { 'Via', 'v', 'From', 'f', 'Call-ID', 'i', 'CSeq',\n"
"  'To', 'Contact', 'X-None', 'content-length', 'L', 'RSeq' }\n"
"for i = 1, #list do\n"
"  for j = 1, #list do\n"
"    local a, b = list[i], list[j]\n"
"    local eq = a.raw == b.raw\n"
"    if eq and i ~= j then same_raw = same_raw + 1 end\n"
"    if not a.bytes_of or (a.bytes_of == b.bytes_of) ~= eq then\n"
"      bad = bad + 1\n"
"    end\n"
"    for _, n in ipairs(names) do\n"
"      local s = a:same_headers(b, n)\n"
"      if s ~= nil and s ~= same_list(a:headers(n), b:headers(n)) then\n"
"        bad = bad + 1\n"
"      end\n"
"      if s == true and i ~= j then same_h = same_h + 1 end\n"
"      if s == false then other_h = other_h + 1 end\n"
"    end\n"
"    -- several names in one call: all of them the same, each asked\n"
"    local all = a:same_headers(b, 'Via', 'From', 'i', 'CSeq', 'To')\n"
"    local each = true\n"
"    for _, n in ipairs({ 'Via', 'From', 'i', 'CSeq', 'To' }) do\n"
"      local s = a:same_headers(b, n)\n"
"      if s == nil then each = nil break end\n"
"      each = each and s\n"
"    end\n"
"    if all ~= each then bad = bad + 1 end\n"
"  end\n"
"end\n"
"return bad, same_raw, same_h, other_h\n";


static lua_State *state(bool ref)
{
	lua_State *L = luaL_newstate();

	assert_non_null(L);
	luaL_openlibs(L);
	if (ref)
		ref_msg_open(L);
	else
		l_msg_open(L);

	return L;
}


/* reader(list[i]) in L, its string (which holds NULs) into *out, the
 * caller's, its length into *lp */
static void read_msg(lua_State *L, int list, int i, bool plant,
		     bool view, char **out, size_t *lp)
{
	size_t l;
	const char *s;

	if (luaL_loadstring(L, reader))
		fail_msg("reader: %s", lua_tostring(L, -1));
	lua_rawgeti(L, list, i);
	lua_pushboolean(L, plant);
	lua_pushboolean(L, view);
	if (lua_pcall(L, 3, 1, 0))
		fail_msg("reader: %s", lua_tostring(L, -1));
	s = lua_tolstring(L, -1, &l);
	*out = malloc(l + 1);
	assert_non_null(*out);
	memcpy(*out, s, l + 1);
	*lp = l;
	lua_pop(L, 1);
}


/* The line where two readers' strings first differ, NULs shown as @ */
static void show_difference(int i, char *a, size_t al, char *b, size_t bl)
{
	size_t k = 0, start, j;

	while (k < al && k < bl && a[k] == b[k])
		++k;
	for (start = k; start && a[start - 1] != '\n'; start--)
		;
	for (j = 0; j < al; j++)
		a[j] = a[j] ? a[j] : '@';
	for (j = 0; j < bl; j++)
		b[j] = b[j] ? b[j] : '@';
	print_message("first difference, message %d:\nold: %.200s\n"
		      "new: %.200s\n", i, a + start, b + start);
}


struct counts {
	unsigned msgs;
	unsigned decoded;
	unsigned differ;
	unsigned pairs_bad;     /* pairs_check's, over every wire */
	unsigned same_raw;
	unsigned same_h;
	unsigned other_h;
};


/* pairs_check over the list at index 1 of L */
static void check_pairs(lua_State *L, struct counts *c)
{
	if (luaL_loadstring(L, pairs_check))
		fail_msg("pairs: %s", lua_tostring(L, -1));
	lua_pushvalue(L, 1);
	if (lua_pcall(L, 1, 4, 0))
		fail_msg("pairs: %s", lua_tostring(L, -1));
	c->pairs_bad += (unsigned)lua_tointeger(L, -4);
	c->same_raw += (unsigned)lua_tointeger(L, -3);
	c->same_h += (unsigned)lua_tointeger(L, -2);
	c->other_h += (unsigned)lua_tointeger(L, -1);
	lua_pop(L, 4);
}


/* Reads message i of list 1 in old and in new, counted in c */
static void compare_one(lua_State *old, lua_State *new, int i,
			const struct wire_msg *wm, bool plant, bool view,
			struct counts *c)
{
	size_t al, bl;
	char *a, *b;

	read_msg(old, 1, i, false, view, &a, &al);
	read_msg(new, 1, i, plant, view, &b, &bl);
	++c->msgs;
	c->decoded += wm->decoded;
	if (al != bl || memcmp(a, b, al)) {
		if (!c->differ++ && !plant)
			show_difference(i, a, al, b, bl);
	}
	free(a);
	free(b);
}


/* How the new code gives the messages of a wire */
enum path {
	WIRE,     /* t:wire()'s objects, filled at once */
	ONE,      /* objects made one field at a time (call:response()) */
	VIEWS,    /* the rules' views (t:_views()) */
};


/* The messages of wire through old objects and the new code's way */
static void compare(const struct wire *wire, enum path path, bool plant,
		    struct counts *c)
{
	lua_State *old = state(true), *new = state(false);
	const struct le *le;
	int i = 0, n;

	lua_newtable(old);
	for (le = list_head(wire_msgs(wire)); le; le = le->next) {
		path == ONE ? ref_msg_push(old, le->data)
			: ref_msg_push_read(old, le->data);
		lua_rawseti(old, 1, ++i);
	}
	if (path == ONE) {
		lua_newtable(new);
		i = 0;
		for (le = list_head(wire_msgs(wire)); le; le = le->next) {
			l_msg_push(new, le->data);
			lua_rawseti(new, 1, ++i);
		}
	}
	else {
		if (path == WIRE)
			l_msg_push_wire(new, wire_msgs(wire));
		else
			l_msg_push_views(new, wire_msgs(wire), false);
		if (!plant)
			check_pairs(new, c);
	}
	n = (int)lua_rawlen(old, 1);
	assert_int_equal(n, (int)lua_rawlen(new, 1));

	le = list_head(wire_msgs(wire));
	for (i = 1; i <= n; i++, le = le->next)
		compare_one(old, new, i, le->data, plant, path == VIEWS, c);

	lua_close(old);
	lua_close(new);
}


/* rounds wires of mutated messages, each compared the three ways */
static void run(unsigned rounds, bool plant, struct counts *c)
{
	static char buf[4096], longb[4096];
	struct sa src, dst;
	uint32_t seed = 17;
	unsigned r, j;

	assert_int_equal(sa_set_str(&src, "127.0.0.1", 5060), 0);
	assert_int_equal(sa_set_str(&dst, "::1", 5070), 0);

	for (r = 0; r < rounds; r++) {
		struct wire *wire = NULL;

		assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
		for (j = 0; j < 16; j++) {
			const char *b = bases[rnd(&seed) % ARRAY_SIZE(bases)];
			size_t len, k, muts = rnd(&seed) % 5;

			if (!b) {
				long_head(longb, sizeof(longb));
				b = longb;
			}
			len = strlen(b);

			memcpy(buf, b, len);
			for (k = 0; k < muts; k++)
				len = mutate(buf, len, sizeof(buf), &seed);
			assert_int_equal(wire_add(wire, j % 3 ? WIRE_UAC :
						  WIRE_UAS, j % 2, j % 4 ?
						  SIP_TRANSP_UDP :
						  SIP_TRANSP_TCP, &src, &dst,
						  (const uint8_t *)buf, len),
					 0);
		}
		compare(wire, WIRE, plant, c);
		compare(wire, ONE, plant, c);
		compare(wire, VIEWS, plant, c);
		mem_deref(wire);
	}
}


static void same_answers(void **state)
{
	struct counts c = {0, 0, 0, 0, 0, 0, 0};

	(void)state;
	run(60, false, &c);
	print_message("%u messages read (%u decoded), %u differ\n", c.msgs,
		      c.decoded, c.differ);
	print_message("pairs: %u disagree; %u of the same bytes, %u with a "
		      "header the same, %u with one not\n", c.pairs_bad,
		      c.same_raw, c.same_h, c.other_h);
	/* bytes_of and same_headers() find what raw and headers() find */
	assert_int_equal(c.pairs_bad, 0);
	assert_true(c.same_raw > 0 && c.same_h > 0 && c.other_h > 0);
	assert_int_equal(c.msgs, 60 * 16 * 3);
	/* both kinds are there: libre's decodings and bytes it refused */
	assert_true(c.decoded > c.msgs / 4 && c.decoded < c.msgs);
	assert_int_equal(c.differ, 0);
}


/* the comparison can fail: a planted difference is found */
static void planted(void **state)
{
	struct counts c = {0, 0, 0, 0, 0, 0, 0};

	(void)state;
	run(5, true, &c);
	assert_true(c.differ > 0);
}


/* collected(plant): a message reached after its collection (a
 * key of a weak table until the next one) reads the fields it kept and
 * no other, while new messages reuse the metatable it had (msg_gc):
 * none of them reads another's fields. "ok" or what went wrong. */
static const char collected[] =
"local plant = ...\n"
"local a, b = push(false), push(true)\n"
"local st, cid = a.status, a.call_id\n"
"local weak = setmetatable({}, { __mode = 'k' })\n"
"weak[a] = true\n"
"a = nil\n"
"collectgarbage()\n"
"local news = {}\n"
"for i = 1, 50 do news[i] = push(i % 2 == 0) end\n"
"local got\n"
"for k in pairs(weak) do got = k end\n"
"if plant then got = news[1] end\n"
"if not got then return 'the collected message is gone already' end\n"
"if got.status ~= st or got.call_id ~= cid then\n"
"  return 'a collected message reads ' .. tostring(got.status) ..\n"
"    ', not its own ' .. tostring(st)\n"
"end\n"
"if got[1] ~= nil then return 'a collected message has [1]' end\n"
"local ok, err = pcall(function() return got.reason end)\n"
"if ok or not tostring(err):find('already collected') then\n"
"  return 'a field it had not read: ' .. tostring(err)\n"
"end\n"
"if getmetatable(got) ~= 'siptap.msg' then return 'its metatable' end\n"
"for i = 1, 50 do\n"
"  if news[i].status ~= (i % 2 == 0 and b.status or st) then\n"
"    return 'a new message reads ' .. tostring(news[i].status)\n"
"  end\n"
"end\n"
"return 'ok'\n";


struct two {
	const struct wire_msg *a, *b;
};


/* push(second): the object of the first message or the second */
static int push_one(lua_State *L)
{
	const struct two *t = lua_touserdata(L, lua_upvalueindex(1));

	l_msg_push(L, lua_toboolean(L, 1) ? t->b : t->a);

	return 1;
}


/* script(plant) in a new state with fn as the global name, a closure
 * of arg: what it returns ("ok" or what went wrong) */
static const char *run_script(const char *script, const char *name,
			      lua_CFunction fn, void *arg, bool plant)
{
	static char res[256];
	lua_State *L = state(false);

	lua_pushlightuserdata(L, arg);
	lua_pushcclosure(L, fn, 1);
	lua_setglobal(L, name);
	if (luaL_loadstring(L, script))
		fail_msg("%s: %s", name, lua_tostring(L, -1));
	lua_pushboolean(L, plant);
	if (lua_pcall(L, 1, 1, 0))
		fail_msg("%s: %s", name, lua_tostring(L, -1));
	snprintf(res, sizeof(res), "%s", lua_tostring(L, -1));
	lua_close(L);

	return res;
}


/* A wire of the first n (1 or 2) of bases[1], bases[2] */
static struct wire *small_wire(unsigned n)
{
	struct wire *wire = NULL;
	struct sa src;
	unsigned i;

	assert_int_equal(sa_set_str(&src, "127.0.0.1", 5060), 0);
	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	for (i = 1; i <= n; i++)
		assert_int_equal(wire_add(wire, WIRE_UAC, false,
					  SIP_TRANSP_UDP, &src, &src,
					  (const uint8_t *)bases[i],
					  strlen(bases[i])), 0);

	return wire;
}


static void after_collection(void **state)
{
	struct wire *wire = small_wire(2);
	struct two t;

	(void)state;
	t.a = list_head(wire_msgs(wire))->data;
	t.b = list_head(wire_msgs(wire))->next->data;
	assert_string_equal(run_script(collected, "push", push_one, &t, false),
			    "ok");
	/* the check can fail: another message in its place is seen */
	assert_string_not_equal(run_script(collected, "push", push_one, &t,
					   true), "ok");
	mem_deref(wire);
}


/* a view a finalizer holds, after its wire's anchor was finalized:
 * what it holds is read, any other field is refused. With plant, the
 * finalizer is made after the views, and so runs before their anchor's:
 * the body is read then, and the check must see it. */
static const char held[] =
"local plant = ...\n"
"local seen = {}\n"
"local function holder()\n"
"  return setmetatable({}, { __gc = function(h)\n"
"    seen.role = h.view.role\n"
"    seen.ok, seen.err = pcall(function() return h.view.body end)\n"
"  end })\n"
"end\n"
"local h = not plant and holder()\n"
"local v = views()[1]\n"
"h = h or holder()\n"
"h.view, v = v, nil\n"
"h = nil\n"
"collectgarbage()\n"
"collectgarbage()\n"
"if seen.role ~= 'uac' then return 'its role: ' .. tostring(seen.role) end\n"
"if seen.ok or not tostring(seen.err):find('already collected') then\n"
"  return 'a field it had not read: ' .. tostring(seen.err)\n"
"end\n"
"return 'ok'\n";


static int push_views(lua_State *L)
{
	l_msg_push_views(L, lua_touserdata(L, lua_upvalueindex(1)), false);

	return 1;
}


static void view_after_anchor(void **state)
{
	struct wire *wire = small_wire(1);
	void *msgs = (void *)wire_msgs(wire);

	(void)state;
	assert_string_equal(run_script(held, "views", push_views, msgs, false),
			    "ok");
	assert_string_not_equal(run_script(held, "views", push_views, msgs,
					   true), "ok");
	mem_deref(wire);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_answers),
		cmocka_unit_test(planted),
		cmocka_unit_test(after_collection),
		cmocka_unit_test(view_after_anchor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
