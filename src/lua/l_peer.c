/**
 * @file l_peer.c  The hostile peer, in Lua
 *
 *   local peer = t:peer()
 *   peer:send("INVITE sip:x SIP/2.0\r\n\r\n")             -- UDP, to the UAS
 *   peer:send(bytes, { to = "uac", transport = "tcp", cut = true })
 *
 * "to" is "uas" (default), "uac" or "ADDR:PORT"; what the peer sends and
 * gets is on t:wire() with role "peer".
 */
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <re.h>
#include "peer.h"
#include "runner.h"
#include "l_siptap.h"


#define PEER_META "siptap.peer"


static struct test *check_peer(lua_State *L)
{
	struct test **tp = luaL_checkudata(L, 1, PEER_META);

	return *tp;
}


static int dest(lua_State *L, struct test *t, const char *to,
		enum sip_transp tp, struct sa *dst)
{
	const bool tcp = tp == SIP_TRANSP_TCP;

	if (!to || !strcmp(to, "uas"))
		*dst = tcp ? t->uas_tcp_addr : t->uas_addr;
	else if (!strcmp(to, "uac"))
		*dst = tcp ? t->uac_tcp_addr : t->uac_addr;
	else if (sa_decode(dst, to, strlen(to)))
		return luaL_error(L, "peer:send: to: '%s' is not uas, uac or "
				  "ADDR:PORT", to);

	return 0;
}


/* peer:send(bytes, [{to = "uas", transport = "udp", cut = false}]) */
static int l_send(lua_State *L)
{
	static const char *const known[] = {"to", "transport", "cut", NULL};
	struct test *t = check_peer(L);
	size_t len;
	const char *bytes = luaL_checklstring(L, 2, &len);
	enum sip_transp tp = SIP_TRANSP_UDP;
	const char *to = NULL;
	bool cut = false;
	struct sa dst;
	int err;

	if (l_options(L, 3, "peer:send", known)) {
		lua_getfield(L, 3, "to");
		to = lua_tostring(L, -1);
		lua_getfield(L, 3, "transport");
		if (lua_isstring(L, -1)) {
			const char *s = lua_tostring(L, -1);

			if (!strcmp(s, "tcp"))
				tp = SIP_TRANSP_TCP;
			else if (strcmp(s, "udp"))
				return luaL_error(L, "peer:send: transport "
						  "'%s' is not udp or tcp", s);
		}
		lua_getfield(L, 3, "cut");
		cut = lua_toboolean(L, -1);
		lua_pop(L, 2);   /* "to" stays referenced by the table */
	}

	dest(L, t, to, tp, &dst);
	err = peer_send(t->peer, tp, &dst, (const uint8_t *)bytes, len, cut);
	if (err)
		return luaL_error(L, "peer:send: %s", strerror(err));

	return 0;
}


static int l_address(lua_State *L)
{
	struct test *t = check_peer(L);
	char buf[64];

	(void)re_snprintf(buf, sizeof(buf), "%J", peer_laddr(t->peer));
	lua_pushstring(L, buf);

	return 1;
}


static const luaL_Reg peer_methods[] = {
	{"send",    l_send},
	{"address", l_address},
	{NULL, NULL}
};


void l_peer_open(lua_State *L)
{
	luaL_newmetatable(L, PEER_META);
	luaL_newlib(L, peer_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}


/* t:peer(): the test's one hostile peer, made when first asked for */
int l_peer_push(lua_State *L, struct test *t)
{
	struct test **tp;
	struct sa laddr;

	runner_loopback(&laddr, t->conf);
	if (!t->peer && peer_alloc(&t->peer, t->wire, &laddr))
		return luaL_error(L, "t:peer(): no UDP socket on %s",
				  t->conf->af == AF_INET6 ? "::1" : "127.0.0.1");
	/* the peer may send to the UAC or UAS over TCP */
	if (runner_tcp_listen(t))
		return luaL_error(L, "t:peer(): no TCP listener on %s",
				  t->conf->af == AF_INET6 ? "::1" : "127.0.0.1");

	tp = lua_newuserdatauv(L, sizeof(*tp), 0);
	*tp = t;
	luaL_setmetatable(L, PEER_META);

	return 1;
}
