/**
 * @file l_calls.c  The calls of a wire of views, sorted in C
 *
 * siptap.checkers.wire's W.calls reads the whole wire of a test after
 * it and sorts its messages into calls (the UAC's INVITE, responses,
 * PRACKs, their answers, the rest of the dialog), each side's messages
 * by Call-ID, and the INVITEs the UAS got; W.uas_view sorts the UAS's
 * side of a call the same way. Under siptap load those Lua loops, a
 * dozen field reads and a list insert a message, were about a tenth of
 * the rules' instructions a call. t:_views(true) gives the same sorts
 * made here from the messages themselves, with each list made at its
 * size: { calls, sides, uas_invites, uas_views = { Call-ID -> view } }.
 *
 * Only the common wire is sorted here. Where W.calls does more than
 * sort (a challenged INVITE, whose round it sets aside; a request sent
 * twice under one CSeq in other bytes, a merged copy it splits off) or
 * the wire is long, nil is given and W.calls sorts it in Lua, as
 * before: one authority for what those mean. e2e_rules_fast compares
 * the two sorts over every test of scenarios/.
 */
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "wire.h"
#include "l_siptap.h"


/* Past these, W.calls sorts in Lua (a hostile test's long wire) */
enum { CORE_MSGS = 256, CORE_IDS = 32, CORE_SENT = 16 };

/* A call's lists, named as W.calls names them */
enum kind {
	K_NONE = -1,
	K_RESPONSES, K_PRACKS, K_PRACK_ANSWERS, K_INVITE_COPIES, K_DIALOG,
	K_LISTS
};

static const char *const list_names[K_LISTS] = {
	"responses", "pracks", "prack_answers", "invite_copies", "dialog",
};

/* One Call-ID of the wire: its messages on each side (uac, uas) */
struct core_id {
	struct pl id;
	int call;                 /* the UAC's call with it, -1: none  */
	unsigned side[2];
	bool uas_invite;          /* the UAS got an INVITE with it     */
};

/* A UAC call: its INVITE, its lists' sizes, the requests it sent (a
 * CSeq and method twice: W.calls splits the copy off) */
struct core_call {
	int id;
	const struct wire_msg *invite;
	unsigned n[K_LISTS];
	struct { uint32_t cseq; struct pl met; } sent[CORE_SENT];
	unsigned sentc;
};

/* The call as the UAS saw it (W.uas_view): for each Call-ID the UAS
 * got an INVITE with, that INVITE and its lists' sizes */
struct core_view {
	int id;
	const struct wire_msg *invite;
	unsigned n[K_LISTS];
};

struct core {
	struct core_id idv[CORE_IDS];
	struct core_call callv[CORE_IDS];
	struct core_view viewv[CORE_IDS];
	unsigned idc, callc, viewc, uas_invc;
	int8_t kind[CORE_MSGS];
	int8_t ukind[CORE_MSGS];      /* its list in its UAS view      */
	int8_t id_of[CORE_MSGS];      /* -1: of no call's side         */
	int8_t view_of[CORE_IDS];     /* an id's UAS view, -1: none    */
	bool uas_inv[CORE_MSGS];
};


static int id_find(struct core *c, const struct pl *id)
{
	unsigned k;

	for (k = 0; k < c->idc; k++) {
		if (!pl_cmp(&c->idv[k].id, id))
			return (int)k;
	}
	if (c->idc == CORE_IDS)
		return -1;
	c->idv[c->idc] = (struct core_id){*id, -1, {0, 0}, false};
	c->view_of[c->idc] = -1;

	return (int)c->idc++;
}


/* A challenge (401, 407 to an INVITE): W.calls sets its round aside */
static bool challenge(const struct wire_msg *wm)
{
	const struct wire_head *h = &wm->b->head;

	return !h->req && (h->scode == 401 || h->scode == 407) &&
		!pl_strcmp(&h->cseq_met, "INVITE") && wm->role != WIRE_PEER;
}


/* A request the UAC sent again under its CSeq and method (not a
 * retransmission: other bytes), else noted; false when it was */
static bool sent_once(struct core_call *cc, const struct wire_head *h)
{
	unsigned i;

	for (i = 0; i < cc->sentc; i++) {
		if (cc->sent[i].cseq == h->cseq &&
		    !pl_cmp(&cc->sent[i].met, &h->met))
			return false;
	}
	if (cc->sentc == CORE_SENT)
		return false;
	cc->sent[cc->sentc].cseq = h->cseq;
	cc->sent[cc->sentc++].met = h->met;

	return true;
}


/* Which of call cc's lists a message of the UAC's goes in (W.calls) */
static enum kind uac_kind(struct core_call *cc, const struct wire_msg *wm)
{
	const struct wire_head *h = &wm->b->head;
	/* a re-INVITE (another CSeq) and its answers are the dialog's */
	const bool other = cc->invite && h->cseq != cc->invite->b->head.cseq;

	if (wm->tx && h->req && !pl_strcmp(&h->met, "INVITE") && !other) {
		if (!cc->invite)
			cc->invite = wm;
		return K_INVITE_COPIES;
	}
	if (wm->tx && h->req && !pl_strcmp(&h->met, "PRACK"))
		return K_PRACKS;
	if (h->req || wm->tx)
		return K_DIALOG;
	if (!pl_strcmp(&h->cseq_met, "INVITE") && !other)
		return K_RESPONSES;
	if (!pl_strcmp(&h->cseq_met, "PRACK"))
		return K_PRACK_ANSWERS;

	return K_DIALOG;
}


static bool uac_sort(struct core *c, size_t i, int k,
		     const struct wire_msg *wm)
{
	const struct wire_head *h = &wm->b->head;
	struct core_call *cc;

	if (c->idv[k].call < 0) {
		c->idv[k].call = (int)c->callc;
		cc = &c->callv[c->callc++];
		memset(cc->n, 0, sizeof(cc->n));
		cc->id = k;
		cc->invite = NULL;
		cc->sentc = 0;
	}
	cc = &c->callv[c->idv[k].call];
	if (wm->tx && h->req && pl_strcmp(&h->met, "ACK") && !wm->retrans &&
	    !sent_once(cc, h))
		return false;
	c->kind[i] = (int8_t)uac_kind(cc, wm);
	++cc->n[c->kind[i]];

	return true;
}


/* Which list of the UAS's view of its call (W.uas_view) a message of
 * the UAS's goes in, the INVITE it got being inv; K_NONE: none */
static enum kind uas_kind(const struct wire_msg *inv,
			  const struct wire_msg *wm)
{
	const struct wire_head *h = &wm->b->head;
	const bool other = h->cseq != inv->b->head.cseq;
	const bool invite = !pl_strcmp(&h->cseq_met, "INVITE");
	const bool prack = !pl_strcmp(&h->cseq_met, "PRACK");

	if (!wm->tx && h->req && !pl_strcmp(&h->met, "INVITE") && !other)
		return K_INVITE_COPIES;
	if (!wm->tx && h->req && !pl_strcmp(&h->met, "PRACK"))
		return K_PRACKS;
	if (wm->tx && !h->req && invite && !other)
		return K_RESPONSES;
	if (wm->tx && !h->req && prack)
		return K_PRACK_ANSWERS;
	if (h->req || (!prack && (!invite || other)))
		return K_DIALOG;

	return K_NONE;
}


/* Each message of the UAS's in the view of its Call-ID, once the
 * INVITE it got with it is known */
static void sort_views(struct core *c, const struct wire_msg *const *wmv,
		       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const int k = c->id_of[i];
		struct core_view *v;

		c->ukind[i] = K_NONE;
		if (k < 0 || wmv[i]->role != WIRE_UAS || c->view_of[k] < 0)
			continue;
		v = &c->viewv[c->view_of[k]];
		c->ukind[i] = (int8_t)uas_kind(v->invite, wmv[i]);
		if (c->ukind[i] != K_NONE)
			++v->n[c->ukind[i]];
	}
}


/* The first pass: each message's call, list and side; false where
 * W.calls must sort the wire itself */
static bool sort(struct core *c, const struct wire_msg *const *wmv,
		 size_t n)
{
	size_t i;

	if (n > CORE_MSGS)
		return false;
	for (i = 0; i < n; i++) {
		const struct wire_msg *wm = wmv[i];
		const struct wire_head *h = &wm->b->head;
		int k;

		c->kind[i] = K_NONE;
		c->id_of[i] = -1;
		c->uas_inv[i] = false;
		/* (no Call-ID read of a message libre could not decode) */
		if (!wm->decoded || wm->role == WIRE_PEER)
			continue;
		if (challenge(wm))
			return false;
		k = id_find(c, &h->callid);
		if (k < 0)
			return false;
		c->id_of[i] = (int8_t)k;
		++c->idv[k].side[wm->role == WIRE_UAS];
		if (wm->role == WIRE_UAS && !wm->tx && h->req &&
		    !pl_strcmp(&h->met, "INVITE") && !c->idv[k].uas_invite) {
			struct core_view *v = &c->viewv[c->viewc];

			c->idv[k].uas_invite = true;
			c->uas_inv[i] = true;
			++c->uas_invc;
			c->view_of[k] = (int8_t)c->viewc++;
			v->id = k;
			v->invite = wm;
			memset(v->n, 0, sizeof(v->n));
		}
		if (wm->role == WIRE_UAC && !uac_sort(c, i, k, wm))
			return false;
	}
	sort_views(c, wmv, n);

	return true;
}


/* --- the tables ---------------------------------------------------------
 * On the stack, from base: the sides' lists (2 an id), each call's
 * table and its lists (1 + K_LISTS a call), each UAS view's table and
 * its lists (as many), then uas_invites. */
struct slots {
	int sides, calls, views, uas_invites;
};


static struct slots slots_at(const struct core *c, int base)
{
	struct slots sl;

	sl.sides = base;
	sl.calls = sl.sides + 2 * (int)c->idc;
	sl.views = sl.calls + (int)c->callc * (1 + K_LISTS);
	sl.uas_invites = sl.views + (int)c->viewc * (1 + K_LISTS);

	return sl;
}


static void push_id(lua_State *L, const struct core *c, int k)
{
	lua_pushlstring(L, c->idv[k].id.p, c->idv[k].id.l);
}


/* A table of a call's fields (W.calls adds five more to a call's), with
 * its lists after it on the stack, each made at its size */
static void push_lists(lua_State *L, const unsigned n[K_LISTS], int slot)
{
	unsigned l;

	lua_createtable(L, 0, 16);
	for (l = 0; l < K_LISTS; l++) {
		lua_createtable(L, (int)n[l], 0);
		lua_pushvalue(L, -1);
		lua_setfield(L, slot, list_names[l]);
	}
}


static void make_tables(lua_State *L, const struct core *c, int wire,
			const struct slots *sl)
{
	unsigned k, j;

	for (k = 0; k < c->idc; k++) {
		lua_createtable(L, (int)c->idv[k].side[0], 0);
		lua_createtable(L, (int)c->idv[k].side[1], 0);
	}
	for (j = 0; j < c->callc; j++) {
		const int slot = sl->calls + (int)j * (1 + K_LISTS);

		push_lists(L, c->callv[j].n, slot);
		push_id(L, c, c->callv[j].id);
		lua_setfield(L, slot, "id");
		lua_pushvalue(L, wire);
		lua_setfield(L, slot, "wire");
		lua_newtable(L);
		lua_setfield(L, slot, "merged");
	}
	for (j = 0; j < c->viewc; j++) {
		const int slot = sl->views + (int)j * (1 + K_LISTS);

		push_lists(L, c->viewv[j].n, slot);
		push_id(L, c, c->viewv[j].id);
		lua_pushvalue(L, -1);
		lua_setfield(L, slot, "id");
		lua_setfield(L, slot, "uas_id");
		lua_pushvalue(L, wire);
		lua_setfield(L, slot, "wire");
	}
	lua_createtable(L, (int)c->uas_invc, (int)c->uas_invc);
}


/* The view on top into list kind of the table at slot (1 + kind past
 * it), the n-th */
static void put(lua_State *L, int slot, int kind, unsigned n)
{
	lua_pushvalue(L, -1);
	lua_rawseti(L, slot + 1 + kind, n);
}


/* The second pass: every view into its lists */
static void fill(lua_State *L, const struct core *c,
		 const struct wire_msg *const *wmv, size_t n, int wire,
		 const struct slots *sl)
{
	unsigned side_n[CORE_IDS][2] = {{0}};
	unsigned list_n[CORE_IDS][K_LISTS] = {{0}};
	unsigned view_n[CORE_IDS][K_LISTS] = {{0}};
	unsigned inv_n = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const int k = c->id_of[i];
		int role, call, view;

		if (k < 0)
			continue;
		role = wmv[i]->role == WIRE_UAS;
		(void)lua_rawgeti(L, wire, (lua_Integer)i + 1);
		lua_pushvalue(L, -1);
		lua_rawseti(L, sl->sides + 2 * k + role, ++side_n[k][role]);
		call = c->idv[k].call;
		view = c->view_of[k];
		if (c->uas_inv[i]) {
			const int slot = sl->views + view * (1 + K_LISTS);

			lua_pushvalue(L, -1);
			lua_rawseti(L, sl->uas_invites, ++inv_n);
			push_id(L, c, k);
			lua_pushvalue(L, -2);
			lua_rawset(L, sl->uas_invites);
			lua_pushvalue(L, -1);
			lua_setfield(L, slot, "invite");
			lua_pushvalue(L, -1);
			lua_setfield(L, slot, "uas_invite");
		}
		if (c->kind[i] != K_NONE && call >= 0) {
			const int slot = sl->calls + call * (1 + K_LISTS);

			if (wmv[i] == c->callv[call].invite) {
				lua_pushvalue(L, -1);
				lua_setfield(L, slot, "invite");
			}
			put(L, slot, c->kind[i], ++list_n[call][c->kind[i]]);
		}
		if (c->ukind[i] != K_NONE) {
			put(L, sl->views + view * (1 + K_LISTS), c->ukind[i],
			    ++view_n[view][c->ukind[i]]);
		}
		lua_settop(L, sl->uas_invites);
	}
}


/* Pushes { calls =, sides =, uas_invites =, uas_views = } */
static void push_core(lua_State *L, const struct core *c,
		      const struct slots *sl)
{
	unsigned k, j;

	lua_createtable(L, 0, 4);
	lua_createtable(L, 0, 2);                 /* sides */
	lua_createtable(L, 0, (int)c->idc);       /* uac  */
	lua_createtable(L, 0, (int)c->idc);       /* uas  */
	for (k = 0; k < c->idc; k++) {
		for (j = 0; j < 2; j++) {
			if (!c->idv[k].side[j])
				continue;
			push_id(L, c, (int)k);
			lua_pushvalue(L, sl->sides + 2 * (int)k + (int)j);
			lua_rawset(L, j ? -3 : -4);
		}
	}
	lua_setfield(L, -3, "uas");
	lua_setfield(L, -2, "uac");

	/* a view's sides are its call's (W.uas_view) */
	lua_createtable(L, 0, (int)c->viewc);
	for (j = 0; j < c->viewc; j++) {
		const int slot = sl->views + (int)j * (1 + K_LISTS);

		lua_pushvalue(L, -2);
		lua_setfield(L, slot, "sides");
		push_id(L, c, c->viewv[j].id);
		lua_pushvalue(L, slot);
		lua_rawset(L, -3);
	}
	lua_setfield(L, -3, "uas_views");
	lua_setfield(L, -2, "sides");

	lua_createtable(L, (int)c->callc, 0);
	for (j = 0; j < c->callc; j++) {
		lua_pushvalue(L, sl->calls + (int)j * (1 + K_LISTS));
		lua_rawseti(L, -2, j + 1);
	}
	lua_setfield(L, -2, "calls");
	lua_pushvalue(L, sl->uas_invites);
	lua_setfield(L, -2, "uas_invites");
}


void l_calls_push(lua_State *L, int wire, const struct wire_msg *const *wmv,
		  size_t n)
{
	struct core core, *c = &core;
	struct slots sl;
	int base;

	wire = lua_absindex(L, wire);
	c->idc = c->callc = c->viewc = c->uas_invc = 0;
	if (!sort(c, wmv, n)) {
		lua_pushnil(L);
		return;
	}
	base = lua_gettop(L) + 1;
	sl = slots_at(c, base);
	/* the tables on the stack, and a few above them (a rules' thread
	 * is new each call: room for all CORE_IDS grew its stack each) */
	luaL_checkstack(L, sl.uas_invites - base + 12, "the calls of the wire");
	make_tables(L, c, wire, &sl);
	fill(L, c, wmv, n, wire, &sl);
	push_core(L, c, &sl);
	lua_replace(L, base);
	lua_settop(L, base);
}
