/**
 * @file l_siptap.h  The Lua-facing objects, one C file each
 *
 * l_test.c  test() and t          l_msg.c  message objects
 * l_uac.c   the UAC and its calls l_uas.c  the UAS and its invitations
 * l_peer.c  a hostile peer        l_remote.c a remote UAS (--agent)
 * l_uas_common.c  what l_uas.c and l_remote.c share
 * l_calls.c the calls of a wire of views (t:_views(true))
 */

struct test;
struct wire_msg;

/** How long a wait (response, incoming, wait) waits by default */
enum { L_WAIT_DEFAULT_MS = 5000, L_WAIT_MAX_MS = 600000 };

/* One options check and one wait-timeout reader for every Lua-facing
 * object: an unknown key is an error naming it, never ignored. */
void l_check_options(lua_State *L, int tbl, const char *fn,
		     const char *const *known);
const char *l_quote(lua_State *L, int idx);
const char *l_check_nul(lua_State *L, int idx, const char *fn,
			const char *what);
const char *l_check_text(lua_State *L, int idx, const char *fn,
			 const char *what);
bool l_options(lua_State *L, int idx, const char *fn,
	       const char *const *known);
uint32_t l_wait_timeout(lua_State *L, int idx, const char *fn,
			const char *const *known);

void l_test_declare_open(lua_State *L);
void l_test_declared(lua_State *L);
void l_test_open(lua_State *L);
void l_test_push(lua_State *L, struct test *t);

void l_msg_open(lua_State *L);
void l_msg_push(lua_State *L, const struct wire_msg *wm);
void l_msg_push_wire(lua_State *L, const struct list *msgs);
void l_msg_push_views(lua_State *L, const struct list *msgs, bool calls);
const struct wire_msg *l_msg_check(lua_State *L, int idx);

void l_calls_push(lua_State *L, int wire, const struct wire_msg *const *wmv,
		  size_t n);
unsigned l_msg_header_count(const struct wire_msg *wm, const char *name);
void l_msg_push_header(lua_State *L, const struct wire_msg *wm,
		       const char *name);
void l_msg_push_body(lua_State *L, const struct wire_msg *wm);

void l_uac_open(lua_State *L);
int  l_uac_push(lua_State *L, struct test *t);
const char *l_uac_challenged(const struct test *t);

void l_peer_open(lua_State *L);
int  l_peer_push(lua_State *L, struct test *t);

void l_uas_open(lua_State *L);
int  l_uas_push(lua_State *L, struct test *t, int opts);

void l_remote_open(lua_State *L);
int  l_remote_uas_push(lua_State *L, struct test *t, int opts);
void l_remote_serve(struct test *t);

/* What each UAS object (l_uas.c, l_remote.c) gives for its methods */
struct l_uas_ops {
	lua_CFunction incoming;   /* uas:incoming()                     */
	lua_CFunction progress;   /* inv:progress(), accept(), ...      */
	lua_CFunction accept;
	lua_CFunction reject;
	lua_CFunction state;
	lua_CFunction queued;
	lua_CFunction request;
	lua_CFunction inv_state;  /* pushes the enum uas_state, for wait */
	lua_CFunction inv_gc;     /* NULL: none                          */
	lua_CFunction update;     /* inv:update(), info(), bye(); NULL:  */
	lua_CFunction info;       /* not through this UAS (an error that */
	lua_CFunction bye;        /* says so)                            */
	lua_CFunction reinvite;
};
void l_uas_register(lua_State *L, const char *uas_meta, const char *inv_meta,
		    const struct l_uas_ops *ops);
void l_uas_push_request(lua_State *L, struct test *t,
			const struct pl *callid);
void l_uas_reject_args(lua_State *L);
bool l_sdh_typed(lua_State *L, const char *fn, const char *key, int type);
int  l_sdh_modifiers(lua_State *L, int tbl, const char *fn);
void l_sdh_modify(lua_State *L, int list, const char *fn, const char *type,
		  bool remote);

/* l_uas_dialog.c: the reference UAS's own requests in the dialog */
struct uas_call *l_inv_call(lua_State *L);
int  l_uas_update(lua_State *L);
int  l_uas_info(lua_State *L);
int  l_uas_bye(lua_State *L);
int  l_uas_reinvite(lua_State *L);
bool l_uas_push_final(lua_State *L, struct test *t, const struct pl *callid,
		      const char *met, uint32_t cseq);
