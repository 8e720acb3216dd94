/**
 * @file ws.c  SIP over WebSocket (RFC 7118) on libre's SIP connections
 *
 * Why not libre's own WebSocket transport (sip_transp_add_websock):
 * libre 1.1.0 answers the upgrade without Sec-WebSocket-Protocol (so
 * Chromium and SIP.js refuse the connection), closes a connection after
 * 32 s, prints to stdout (where siptap's TAP goes) and routes no request
 * to a client it accepted. Why not libwebsockets: it would own the
 * sockets and the event loop, and siptap's wire, pcap and loss
 * accounting are built on libre's. So a WebSocket connection here is one
 * of libre's SIP TCP (TLS for wss) connections with a tcp_helper above
 * TLS and below nothing: the helper does the upgrade and the framing,
 * libre's SIP stack sees whole messages (routing, transactions, the
 * dialog's connection by address) and siptap's wire sees each message a
 * frame carried, or what came instead and why it was dropped.
 *
 * A message goes up to libre with a Content-Length: a frame is a whole
 * message and need not have one (RFC 7118 5.1), but libre's stream
 * reader closes the connection without it. The wire keeps the bytes as
 * they came.
 */
#include <string.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <openssl/sha.h>
#include <re.h>
#include "sizes.h"
#include "wire.h"
#include "ws.h"

enum {
	WS_LAYER      = 500,      /* above TLS (0), below sizes' framer */
	CUT_CHECK_MS  = 20,
	OP_CONT  = 0x0, OP_TEXT = 0x1, OP_BIN = 0x2,
	OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xa,
	CLOSE_GOING_AWAY     = 1001,
	CLOSE_PROTOCOL_ERROR = 1002,
	CLOSE_TOO_BIG        = 1009,
};

static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* A listener of siptap's (a test's edge): connections accepted on its
 * socket are WebSocket servers, connections to its address clients. */
struct ws_lsnr {
	struct le le;
	struct tcp_sock *ts;
	struct sa laddr;
	enum sip_transp tp;        /* SIP_TRANSP_WS or SIP_TRANSP_WSS     */
};

/* One WebSocket connection (either end). */
struct ws_conn {
	struct le le;
	struct tcp_conn *tc;
	struct tcp_helper *th;     /* a reference: tells when tc is gone */
	enum sip_transp tp;
	bool server;
	bool open;                 /* upgraded                           */
	bool dead;                 /* closed or refused: bytes ignored   */
	struct sa laddr;
	struct sa paddr;
	char key[32];              /* client: the Sec-WebSocket-Key sent  */
	struct mbuf *acc;          /* bytes not yet a whole head/frame   */
	struct mbuf *msg;          /* a fragmented message so far        */
	struct tmr tmr;            /* a message cut short by the close   */
};

static struct list lsnrs;
static struct list conns;
static ws_raw_h *raw_handler;
static ws_fail_h *fail_handler;
static void *fail_arg;


void ws_init(ws_raw_h *rawh)
{
	raw_handler = rawh;
}


void ws_set_fail_handler(ws_fail_h *failh, void *arg)
{
	fail_handler = failh;
	fail_arg = arg;
}


static void raw(const struct ws_conn *c, const uint8_t *p, size_t len,
		const char *why)
{
	if (raw_handler)
		raw_handler(&c->laddr, &c->paddr, c->tp, p ? p : (uint8_t *)"",
			    len, why);
}


/* A debug switch for the e2e test that shows a client refusing it:
 * SIPTAP_WS_FAULT=no-protocol answers the upgrade without
 * Sec-WebSocket-Protocol (what libre 1.1.0's server does). */
static bool fault_no_protocol(void)
{
	const char *f = getenv("SIPTAP_WS_FAULT");

	return f && !strcmp(f, "no-protocol");
}


/* --- the codec ---------------------------------------------------------- */

/* Where the head at p ends (after CR LF CR LF), 0 if not yet. */
static size_t http_end(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 3 < len; i++)
		if (!memcmp(p + i, "\r\n\r\n", 4))
			return i + 4;

	return 0;
}


/* The value of header name in the HTTP head p (start line skipped). */
static bool hdr_get(const uint8_t *p, size_t hlen, const char *name,
		    struct pl *val)
{
	const char *q = (const char *)p, *end = q + hlen;
	struct pl line, n, v;

	q = memchr(q, '\n', end - q);
	while (q && ++q < end) {
		const char *eol = memchr(q, '\n', end - q);

		line.p = q;
		line.l = (eol ? eol : end) - q;
		q = eol;
		if (re_regex(line.p, line.l, "[^: \t]+[ \t]*:[ \t]*[^\r]*",
			     &n, NULL, NULL, &v) || n.p != line.p)
			continue;
		if (pl_strcasecmp(&n, name))
			continue;
		while (v.l && (v.p[v.l - 1] == ' ' || v.p[v.l - 1] == '\t'))
			--v.l;
		*val = v;
		return true;
	}

	return false;
}


/* Is token one of the comma-separated tokens of val? */
static bool has_token(const struct pl *val, const char *token)
{
	struct pl rest = *val, tok;

	while (rest.l) {
		const char *comma = pl_strchr(&rest, ',');

		tok.p = rest.p;
		tok.l = comma ? (size_t)(comma - rest.p) : rest.l;
		rest.p += tok.l + (comma ? 1 : 0);
		rest.l -= tok.l + (comma ? 1 : 0);
		while (tok.l && (*tok.p == ' ' || *tok.p == '\t')) {
			++tok.p;
			--tok.l;
		}
		while (tok.l && (tok.p[tok.l - 1] == ' ' ||
				 tok.p[tok.l - 1] == '\t'))
			--tok.l;
		if (!pl_strcasecmp(&tok, token))
			return true;
	}

	return false;
}


/* The first line of p quoted for a reason (at most 60 bytes). */
static void first_line(char *buf, size_t sz, const uint8_t *p, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && i < 60 && p[i] != '\r' && p[i] != '\n' &&
		     o + 5 < sz; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			buf[o++] = p[i];
		else
			o += re_snprintf(buf + o, sz - o, "\\x%02x", p[i]);
	}
	buf[o] = '\0';
}


/* A client's opening handshake (RFC 6455 4.1, 4.2.1): 0 with *hlen and
 * up set (up->sip false when it does not offer sip), EAGAIN while the
 * head is not whole, EPROTO when it is no upgrade (why), E2BIG when the
 * head is over WS_MAX_HANDSHAKE. */
int ws_upgrade_parse(const uint8_t *p, size_t len, size_t *hlen,
		     struct ws_upgrade *up, char *why, size_t whysz)
{
	struct pl v, meth;
	char line[320];
	size_t n;

	if (!p || !hlen || !up)
		return EINVAL;

	memset(up, 0, sizeof(*up));
	first_line(line, sizeof(line), p, len);
	n = http_end(p, len);
	if (!n && len >= 4 && memcmp(p, "GET ", len < 4 ? len : 4)) {
		(void)re_snprintf(why, whysz, "no WebSocket upgrade (an HTTP"
				  " GET, RFC 6455 4.1): '%s'", line);
		return EPROTO;
	}
	if (!n)
		return len > WS_MAX_HANDSHAKE ? E2BIG : EAGAIN;
	*hlen = n;

	if (re_regex((const char *)p, n, "[^ ]+ [^ ]+ HTTP/1.1\r\n", &meth,
		     NULL) || meth.p != (const char *)p ||
	    pl_strcmp(&meth, "GET")) {
		(void)re_snprintf(why, whysz, "no WebSocket upgrade (an HTTP"
				  "/1.1 GET, RFC 6455 4.1): '%s'", line);
		return EPROTO;
	}
	if (!hdr_get(p, n, "Upgrade", &v) || !has_token(&v, "websocket") ||
	    !hdr_get(p, n, "Connection", &v) || !has_token(&v, "upgrade")) {
		(void)re_snprintf(why, whysz, "an HTTP request that is no "
				  "WebSocket upgrade (Upgrade: websocket and "
				  "Connection: Upgrade, RFC 6455 4.1): '%s'",
				  line);
		return EPROTO;
	}
	if (!hdr_get(p, n, "Sec-WebSocket-Version", &v) ||
	    pl_strcmp(&v, "13")) {
		(void)re_snprintf(why, whysz, "a WebSocket upgrade without "
				  "Sec-WebSocket-Version: 13 (RFC 6455 4.1)");
		return EPROTO;
	}
	if (!hdr_get(p, n, "Sec-WebSocket-Key", &v) || v.l < 16 ||
	    v.l >= sizeof(up->key)) {
		(void)re_snprintf(why, whysz, "a WebSocket upgrade without a "
				  "Sec-WebSocket-Key (RFC 6455 4.1)");
		return EPROTO;
	}
	(void)pl_strcpy(&v, up->key, sizeof(up->key));
	up->sip = hdr_get(p, n, "Sec-WebSocket-Protocol", &v) &&
		has_token(&v, "sip");

	return 0;
}


/* Sec-WebSocket-Accept for key (RFC 6455 4.2.2 5.4). */
void ws_accept_key(const char *key, char out[32])
{
	uint8_t md[SHA_DIGEST_LENGTH];
	char buf[128];
	size_t olen = 31;
	int n;

	n = re_snprintf(buf, sizeof(buf), "%s%s", key, GUID);
	(void)SHA1((const uint8_t *)buf, n > 0 ? (size_t)n : 0, md);
	if (base64_encode(md, sizeof(md), out, &olen))
		olen = 0;
	out[olen] = '\0';
}


/* The server's answer to our upgrade (RFC 6455 4.1, the client's
 * checks; RFC 7118 4.1: the sip subprotocol): 0 with *hlen, EAGAIN
 * while not whole, EPROTO (why) when the client must fail it. */
int ws_response_check(const uint8_t *p, size_t len, size_t *hlen,
		      const char *key, char *why, size_t whysz)
{
	char line[320], accept[32];
	struct pl v, code;
	size_t n = http_end(p, len);

	if (!n)
		return len > WS_MAX_HANDSHAKE ? E2BIG : EAGAIN;
	*hlen = n;
	first_line(line, sizeof(line), p, n);

	if (re_regex((const char *)p, n, "HTTP/1.1 [0-9]+ ", &code) ||
	    pl_strcmp(&code, "101")) {
		(void)re_snprintf(why, whysz, "the server refused the "
				  "WebSocket upgrade: '%s'", line);
		return EPROTO;
	}
	ws_accept_key(key, accept);
	if (!hdr_get(p, n, "Sec-WebSocket-Accept", &v) ||
	    pl_strcmp(&v, accept)) {
		(void)re_snprintf(why, whysz, "the server's 101 has no or a "
				  "wrong Sec-WebSocket-Accept (RFC 6455 4.1)");
		return EPROTO;
	}
	if (!hdr_get(p, n, "Sec-WebSocket-Protocol", &v) ||
	    pl_strcasecmp(&v, "sip")) {
		(void)re_snprintf(why, whysz, "the server's 101 does not "
				  "answer Sec-WebSocket-Protocol: sip (RFC 7118"
				  " 4.1, RFC 6455 4.1: the client fails the "
				  "connection)");
		return EPROTO;
	}

	return 0;
}


/* A frame's head at p (RFC 6455 5.2): 0 when it is whole (the payload
 * may not be), EAGAIN when not, EPROTO (why) when it breaks the rules. */
int ws_frame_decode(const uint8_t *p, size_t len, struct ws_frame *f,
		    char *why, size_t whysz)
{
	size_t i, n = 2;
	uint64_t plen;

	memset(f, 0, sizeof(*f));
	if (len < 2)
		return EAGAIN;

	f->fin    = (p[0] & 0x80) != 0;
	f->opcode = p[0] & 0x0f;
	f->masked = (p[1] & 0x80) != 0;
	plen      = p[1] & 0x7f;
	if (plen == 126)
		n += 2;
	else if (plen == 127)
		n += 8;
	if (f->masked)
		n += 4;
	if (len < n)
		return EAGAIN;

	if (plen == 126) {
		plen = (uint64_t)p[2] << 8 | p[3];
	}
	else if (plen == 127) {
		plen = 0;
		for (i = 0; i < 8; i++)
			plen = plen << 8 | p[2 + i];
	}
	f->len  = plen;
	f->hlen = n;
	if (f->masked)
		memcpy(f->mkey, p + n - 4, 4);

	if (p[0] & 0x70) {
		(void)re_snprintf(why, whysz, "a frame with reserved bits set "
				  "(no extension was agreed, RFC 6455 5.2)");
		return EPROTO;
	}
	if ((f->opcode > OP_BIN && f->opcode < OP_CLOSE) ||
	    f->opcode > OP_PONG) {
		(void)re_snprintf(why, whysz, "a frame with the reserved "
				  "opcode 0x%x (RFC 6455 5.2)", f->opcode);
		return EPROTO;
	}
	if ((f->opcode & 0x8) && (!f->fin || plen > 125)) {
		(void)re_snprintf(why, whysz, "a control frame that is "
				  "fragmented or over 125 bytes (RFC 6455 "
				  "5.5)");
		return EPROTO;
	}
	if (plen >> 63) {
		(void)re_snprintf(why, whysz, "a frame length with its most "
				  "significant bit set (RFC 6455 5.2)");
		return EPROTO;
	}

	return 0;
}


void ws_unmask(uint8_t *p, size_t len, const uint8_t mkey[4], uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] ^= mkey[(off + i) & 3];
}


/* One frame with the whole payload p (fin set); masked with mkey when
 * it is not NULL (a client's frame, RFC 6455 5.3). */
int ws_frame_encode(struct mbuf *mb, uint8_t opcode, const uint8_t *p,
		    size_t len, const uint8_t *mkey)
{
	const uint8_t mbit = mkey ? 0x80 : 0;
	size_t start;
	int err;

	err = mbuf_write_u8(mb, 0x80 | (opcode & 0x0f));
	if (len < 126) {
		err |= mbuf_write_u8(mb, mbit | (uint8_t)len);
	}
	else if (len <= 0xffff) {
		err |= mbuf_write_u8(mb, mbit | 126);
		err |= mbuf_write_u16(mb, htons((uint16_t)len));
	}
	else {
		err |= mbuf_write_u8(mb, mbit | 127);
		err |= mbuf_write_u32(mb, 0);
		err |= mbuf_write_u32(mb, htonl((uint32_t)len));
	}
	if (mkey)
		err |= mbuf_write_mem(mb, mkey, 4);
	start = mb->pos;
	if (len)
		err |= mbuf_write_mem(mb, p, len);
	if (!err && mkey)
		ws_unmask(mb->buf + start, len, mkey, 0);

	return err;
}


/* --- listeners ---------------------------------------------------------- */

static void send_close(struct ws_conn *c, uint16_t code);
static bool gone(const struct ws_conn *c);


/* The test is over: its clients are told so (close 1001, going away,
 * RFC 6455 7.4.1) before libre closes their connections, so that a
 * browser sees a clean close rather than a dropped connection. */
static void lsnr_destructor(void *arg)
{
	struct ws_lsnr *l = arg;
	struct le *le;

	list_unlink(&l->le);
	for (le = conns.head; le; le = le->next) {
		struct ws_conn *c = le->data;

		if (!c->server || !c->open || c->dead || gone(c) ||
		    !sa_cmp(&c->laddr, &l->laddr, SA_ALL))
			continue;
		send_close(c, CLOSE_GOING_AWAY);
		c->dead = true;
	}
}


/* A WebSocket listener on laddr (port 0: any) for the SIP instance sip:
 * libre's TCP transport (TLS with tls, for wss) whose connections ws.c
 * upgrades and frames. */
int ws_lsnr_add(struct ws_lsnr **lp, struct sip *sip, enum sip_transp tp,
		const struct sa *laddr, struct tls *tls)
{
	struct ws_lsnr *l;
	int err;

	if (!lp || !sip || !laddr || (tp == SIP_TRANSP_WSS && !tls))
		return EINVAL;

	l = mem_zalloc(sizeof(*l), lsnr_destructor);
	if (!l)
		return ENOMEM;

	l->tp = tp;
	if (tp == SIP_TRANSP_WSS)
		err = sip_transp_add(sip, SIP_TRANSP_TLS, laddr, tls);
	else
		err = sip_transp_add(sip, SIP_TRANSP_TCP, laddr);
	if (!err) {
		l->ts = sizes_tcp_last();
		err = l->ts ? tcp_sock_local_get(l->ts, &l->laddr) : ENOENT;
	}
	if (err) {
		mem_deref(l);
		return err;
	}
	list_append(&lsnrs, &l->le, l);
	*lp = l;

	return 0;
}


const struct sa *ws_lsnr_addr(const struct ws_lsnr *l)
{
	return l ? &l->laddr : NULL;
}


static struct ws_lsnr *lsnr_find(const struct tcp_sock *ts,
				 const struct sa *addr)
{
	struct le *le;

	for (le = lsnrs.head; le; le = le->next) {
		struct ws_lsnr *l = le->data;

		if ((ts && l->ts == ts) ||
		    (addr && sa_cmp(&l->laddr, addr, SA_ALL)))
			return l;
	}

	return NULL;
}


/* --- connections -------------------------------------------------------- */

static void conn_destructor(void *arg)
{
	struct ws_conn *c = arg;

	list_unlink(&c->le);
	tmr_cancel(&c->tmr);
	mem_deref(c->th);
	mem_deref(c->acc);
	mem_deref(c->msg);
}


static bool gone(const struct ws_conn *c)
{
	return mem_nrefs(c->th) == 1;
}


/* What a connection that closed still held: a handshake, a frame or a
 * message cut short, on the wire as such. */
static void cut_deliver(struct ws_conn *c)
{
	char why[200];

	if (c->dead)
		return;

	if (!c->open && !c->server)
		return;
	if (!c->open) {
		(void)re_snprintf(why, sizeof(why), "the client closed the "
				  "connection before its WebSocket upgrade "
				  "was whole (%zu bytes came); dropped",
				  c->acc ? c->acc->end : 0);
		raw(c, c->acc ? c->acc->buf : NULL, c->acc ? c->acc->end : 0,
		    why);
	}
	else if (c->acc || c->msg) {
		(void)re_snprintf(why, sizeof(why), "the connection closed in "
				  "the middle of a WebSocket message (%zu "
				  "bytes of it came); dropped",
				  (c->msg ? c->msg->end : 0) +
				  (c->acc ? c->acc->end : 0));
		raw(c, c->msg ? c->msg->buf : c->acc->buf,
		    c->msg ? c->msg->end : c->acc->end, why);
	}
	c->dead = true;
	c->acc = mem_deref(c->acc);
	c->msg = mem_deref(c->msg);
}


/* Connections whose TCP connection is gone: theirs is the last
 * reference to the helper. */
void ws_sweep(void)
{
	struct le *le = conns.head;

	while (le) {
		struct ws_conn *c = le->data;

		le = le->next;
		if (gone(c)) {
			cut_deliver(c);
			mem_deref(c);
		}
	}
}


/* While a server's connection is not upgraded, or a message or frame
 * waits for its rest: whether the connection is gone (what came is then
 * on the wire as cut short). */
static void cut_check(void *arg)
{
	struct ws_conn *c = arg;

	if (!gone(c)) {
		if ((c->server && !c->open) || c->acc || c->msg)
			tmr_start(&c->tmr, CUT_CHECK_MS, cut_check, c);
		return;
	}
	cut_deliver(c);
}


static int send_below(struct ws_conn *c, struct mbuf *mb)
{
	mb->pos = 0;
	return tcp_send_helper(c->tc, mb, c->th);
}


static int send_frame(struct ws_conn *c, uint8_t op, const uint8_t *p,
		      size_t len)
{
	uint8_t mkey[4];
	struct mbuf *mb = mbuf_alloc(len + 14);
	int err;

	if (!mb)
		return ENOMEM;

	rand_bytes(mkey, sizeof(mkey));
	err = ws_frame_encode(mb, op, p, len, c->server ? NULL : mkey);
	if (!err)
		err = send_below(c, mb);
	mem_deref(mb);

	return err;
}


static void send_close(struct ws_conn *c, uint16_t code)
{
	uint8_t b[2] = {code >> 8, code & 0xff};

	(void)send_frame(c, OP_CLOSE, b, sizeof(b));
}


static int send_http(struct ws_conn *c, const char *fmt, ...)
{
	struct mbuf *mb = mbuf_alloc(256);
	va_list ap;
	int err;

	if (!mb)
		return ENOMEM;

	va_start(ap, fmt);
	err = mbuf_vprintf(mb, fmt, ap);
	va_end(ap);
	if (!err)
		err = send_below(c, mb);
	mem_deref(mb);

	return err;
}


/* Content-Length of the head p..hlen: -1 none, -2 not a number. */
static long clen_of(const uint8_t *p, size_t hlen)
{
	struct pl v;

	if (!hdr_get(p, hlen, "Content-Length", &v) &&
	    !hdr_get(p, hlen, "l", &v))
		return -1;
	if (!v.l || v.l > 9 || re_regex(v.p, v.l, "[0-9]+", NULL))
		return -2;

	return (long)pl_u32(&v);
}


/* One whole WebSocket message: a SIP message (RFC 7118 5.1: one per
 * message, Content-Length optional, right when it is there). On the
 * wire as it came; into up (for libre, with a Content-Length) when
 * libre can take it. */
static int msg_deliver(struct ws_conn *c, struct mbuf *m, struct mbuf *up)
{
	const uint8_t *p = m->buf;
	const size_t len = m->end;
	struct sip_msg *msg = NULL;
	size_t he = sizes_head_end(p, len);
	char why[200] = "";
	long cl;
	int err;

	/* a keepalive of CR LF (RFC 5626 as over a stream): no message */
	if (len && strspn((const char *)p, "\r\n") >= len)
		return 0;

	m->pos = 0;
	err = he ? sip_msg_decode(&msg, m) : EBADMSG;
	mem_deref(msg);
	m->pos = 0;
	cl = he ? clen_of(p, he) : -1;
	if (!err && wire_start_reason(why, sizeof(why), p, len))
		err = EBADMSG;
	else if (err && !he)
		(void)re_snprintf(why, sizeof(why), "a WebSocket message that "
				  "is no SIP message: it has no empty line "
				  "after its head (RFC 7118 5.1, RFC 3261 7)");
	else if (err)
		(void)re_snprintf(why, sizeof(why), "libre could not decode "
				  "it: %m", err);
	else if (cl == -2 || (cl >= 0 && (size_t)cl != len - he)) {
		(void)re_snprintf(why, sizeof(why), "Content-Length is not "
				  "the %zu bytes of body its WebSocket message "
				  "carries (RFC 7118 5.1: it MUST be right when "
				  "present)", len - he);
		err = EBADMSG;
	}
	raw(c, p, len, err ? why : NULL);
	if (err)
		return 0;

	if (cl >= 0)
		return mbuf_write_mem(up, p, len);

	/* the head without its empty line, a Content-Length, the rest */
	err  = mbuf_write_mem(up, p, he - (p[he - 2] == '\r' ? 2 : 1));
	err |= mbuf_printf(up, "Content-Length: %zu\r\n\r\n", len - he);
	err |= mbuf_write_mem(up, p + he, len - he);

	return err;
}


/* A frame that breaks RFC 6455: on the wire with why, a close frame
 * (1002) to the peer, the connection closed. */
static int frame_broken(struct ws_conn *c, const uint8_t *p, size_t len,
			const char *why, uint16_t code)
{
	char w[300];

	(void)re_snprintf(w, sizeof(w), "%s; dropped, siptap closed the "
			  "WebSocket connection (%u)", why, code);
	raw(c, p, len, w);
	send_close(c, code);
	c->dead = true;

	return EPROTO;
}


/* A message over siptap's limit: siptap's loss (a harness error of the
 * test, as over TCP, sizes.c), not the peer's fault; the connection
 * closes (1009), as nothing after it could be read. */
static int too_big(struct ws_conn *c, uint64_t size)
{
	char why[256];

	(void)re_snprintf(why, sizeof(why), "siptap could not take a "
			  "WebSocket message of %llu bytes or more from %J at "
			  "%J: over its limit of %u bytes for a SIP message; "
			  "it closed the connection (1009)",
			  (unsigned long long)size, &c->paddr, &c->laddr,
			  (unsigned)SIZES_STREAM_MAX);
	sizes_lost(c->tp, &c->laddr, why);
	send_close(c, CLOSE_TOO_BIG);
	c->dead = true;

	return EOVERFLOW;
}


/* One whole frame f at p (its payload unmasked in place). */
static int frame_take(struct ws_conn *c, struct ws_frame *f, uint8_t *p,
		      struct mbuf *up)
{
	uint8_t *pl = p + f->hlen;
	int err = 0;

	if (f->masked)
		ws_unmask(pl, (size_t)f->len, f->mkey, 0);

	switch (f->opcode) {

	case OP_PING:
		return send_frame(c, OP_PONG, pl, (size_t)f->len);

	case OP_PONG:
		return 0;

	case OP_CLOSE:
		/* the closing handshake (RFC 6455 5.5.1): answered, then
		 * the connection closes */
		if (c->msg) {
			raw(c, c->msg->buf, c->msg->end, "the peer closed the "
			    "WebSocket connection in the middle of a "
			    "fragmented message; dropped");
			c->msg = mem_deref(c->msg);
		}
		send_close(c, f->len >= 2 ? (uint16_t)(pl[0] << 8 | pl[1])
			   : 1000);
		c->dead = true;
		return ECONNRESET;

	case OP_CONT:
		if (!c->msg)
			return frame_broken(c, p, f->hlen + (size_t)f->len,
					    "a continuation frame without a "
					    "message to continue (RFC 6455 "
					    "5.4)", CLOSE_PROTOCOL_ERROR);
		break;

	default:
		if (c->msg)
			return frame_broken(c, p, f->hlen + (size_t)f->len,
					    "a new message in the middle of a "
					    "fragmented one (RFC 6455 5.4)",
					    CLOSE_PROTOCOL_ERROR);
		c->msg = mbuf_alloc((size_t)f->len + 1);
		if (!c->msg)
			return ENOMEM;
		break;
	}

	if (c->msg->end + f->len > SIZES_STREAM_MAX)
		return too_big(c, c->msg->end + f->len);
	c->msg->pos = c->msg->end;
	err = mbuf_write_mem(c->msg, pl, (size_t)f->len);
	if (!err && f->fin) {
		err = msg_deliver(c, c->msg, up);
		c->msg = mem_deref(c->msg);
	}

	return err;
}


/* The frames in c->acc: whole ones taken, the rest kept. */
static int frames_take(struct ws_conn *c, struct mbuf *up)
{
	size_t pos = 0;
	int err = 0;

	while (!err && !c->dead && pos < c->acc->end) {
		uint8_t *p = c->acc->buf + pos;
		const size_t left = c->acc->end - pos;
		struct ws_frame f;
		char why[200];

		err = ws_frame_decode(p, left, &f, why, sizeof(why));
		if (err == EAGAIN || (!err && left < f.hlen + f.len)) {
			err = 0;
			if (!f.hlen || f.len <= SIZES_STREAM_MAX)
				break;
			err = too_big(c, f.len);
			break;
		}
		if (err)
			return frame_broken(c, p, left, why,
					    CLOSE_PROTOCOL_ERROR);
		if (c->server != f.masked)
			return frame_broken(c, p, left, c->server ?
					    "an unmasked frame from the client"
					    " (RFC 6455 5.1)" :
					    "a masked frame from the server "
					    "(RFC 6455 5.1)",
					    CLOSE_PROTOCOL_ERROR);

		err = frame_take(c, &f, p, up);
		pos += f.hlen + (size_t)f.len;
	}

	if (!c->acc)
		return err;
	if (c->dead || pos >= c->acc->end) {
		c->acc = mem_deref(c->acc);
	}
	else if (pos) {
		memmove(c->acc->buf, c->acc->buf + pos, c->acc->end - pos);
		c->acc->end -= pos;
	}

	return err;
}


/* The server's side of the opening handshake, on the bytes in c->acc. */
static int upgrade_take(struct ws_conn *c)
{
	struct ws_upgrade up;
	char why[300], accept[32];
	size_t hlen = 0;
	int err;

	err = ws_upgrade_parse(c->acc->buf, c->acc->end, &hlen, &up, why,
			       sizeof(why));
	if (err == EAGAIN)
		return 0;
	if (err == E2BIG)
		(void)re_snprintf(why, sizeof(why), "a WebSocket upgrade over "
				  "%u bytes", WS_MAX_HANDSHAKE);
	if (!err && !up.sip) {
		(void)re_snprintf(why, sizeof(why), "a WebSocket upgrade that "
				  "does not offer Sec-WebSocket-Protocol: sip "
				  "(RFC 7118 4.1)");
		err = ENOPROTOOPT;
	}
	if (err) {
		char w[400];

		(void)re_snprintf(w, sizeof(w), "%s; siptap answered 400 and "
				  "closed the connection", why);
		raw(c, c->acc->buf, hlen ? hlen : c->acc->end, w);
		(void)send_http(c, "HTTP/1.1 400 Bad Request\r\n"
				"Sec-WebSocket-Version: 13\r\n"
				"Connection: close\r\nContent-Type: text/plain"
				"\r\nContent-Length: %zu\r\n\r\n%s\n",
				strlen(why) + 1, why);
		c->dead = true;
		return EPROTO;
	}

	ws_accept_key(up.key, accept);
	err = send_http(c, "HTTP/1.1 101 Switching Protocols\r\n"
			"Upgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Accept: %s\r\n%s\r\n", accept,
			fault_no_protocol() ? "" :
			"Sec-WebSocket-Protocol: sip\r\n");
	if (err)
		return err;

	c->open = true;
	memmove(c->acc->buf, c->acc->buf + hlen, c->acc->end - hlen);
	c->acc->end -= hlen;

	return 0;
}


/* The client's side: the server's answer in c->acc. */
static int answer_take(struct ws_conn *c, bool *estab)
{
	char why[300];
	size_t hlen = 0;
	int err;

	err = ws_response_check(c->acc->buf, c->acc->end, &hlen, c->key, why,
				sizeof(why));
	if (err == EAGAIN)
		return 0;
	if (err) {
		if (err == E2BIG)
			(void)re_snprintf(why, sizeof(why), "an answer to the "
					  "WebSocket upgrade over %u bytes",
					  WS_MAX_HANDSHAKE);
		raw(c, c->acc->buf, hlen ? hlen : c->acc->end, why);
		if (fail_handler)
			fail_handler(&c->paddr, why, fail_arg);
		c->dead = true;
		return EPROTO;
	}

	c->open = true;
	*estab = true;
	memmove(c->acc->buf, c->acc->buf + hlen, c->acc->end - hlen);
	c->acc->end -= hlen;

	return 0;
}


/* tcp_helper_recv_h: the handshake, then frames; whole SIP messages go
 * up to libre in mb, nothing else does. */
static bool ws_recv(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	struct ws_conn *c = arg;
	struct mbuf *up;

	if (c->dead)
		return true;

	if (!c->acc) {
		c->acc = mbuf_alloc(mbuf_get_left(mb) + 1);
		if (!c->acc) {
			*err = ENOMEM;
			return true;
		}
	}
	c->acc->pos = c->acc->end;
	*err = mbuf_write_mem(c->acc, mbuf_buf(mb), mbuf_get_left(mb));
	if (*err)
		return true;

	if (!c->open)
		*err = c->server ? upgrade_take(c) : answer_take(c, estab);
	if (*err || !c->open) {
		if (!*err && !tmr_isrunning(&c->tmr))
			tmr_start(&c->tmr, CUT_CHECK_MS, cut_check, c);
		return true;
	}

	up = mbuf_alloc(mbuf_get_left(mb) + 64);
	if (!up) {
		*err = ENOMEM;
		return true;
	}
	*err = frames_take(c, up);
	mb->pos = mb->end = 0;
	if (!*err && up->end)
		*err = mbuf_write_mem(mb, up->buf, up->end);
	mb->pos = 0;
	mem_deref(up);

	if ((c->acc || c->msg) && !c->dead && !tmr_isrunning(&c->tmr))
		tmr_start(&c->tmr, CUT_CHECK_MS, cut_check, c);

	/* an estab from the 101 must reach libre (false); with nothing
	 * for libre's reader the mb is empty and it is not called */
	return *err ? true : (*estab ? false : mb->end == 0);
}


/* tcp_helper_send_h: what libre sends is one SIP message, one frame
 * (text: SIP is UTF-8, RFC 7118 4.2 allows either). */
static bool ws_send(int *err, struct mbuf *mb, void *arg)
{
	struct ws_conn *c = arg;

	if (!c->open || c->dead) {
		*err = ENOTCONN;
		return true;
	}

	*err = send_frame(c, OP_TEXT, mbuf_buf(mb), mbuf_get_left(mb));

	return true;
}


/* tcp_helper_estab_h: a client sends its upgrade once the connection
 * (and TLS) is up, and holds libre's estab until the 101. */
static bool ws_estab(int *err, bool active, void *arg)
{
	struct ws_conn *c = arg;
	uint8_t nonce[16];
	size_t klen = sizeof(c->key) - 1;

	if (c->server || !active)
		return false;

	(void)tcp_conn_local_get(c->tc, &c->laddr);
	rand_bytes(nonce, sizeof(nonce));
	if (base64_encode(nonce, sizeof(nonce), c->key, &klen))
		klen = 0;
	c->key[klen] = '\0';
	*err = send_http(c, "GET / HTTP/1.1\r\nHost: %J\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13"
			 "\r\nSec-WebSocket-Protocol: sip\r\n\r\n", &c->paddr,
			 c->key);

	return true;
}


/* sizes.c's tcp_accept and tcp_connect: a connection accepted on a
 * WebSocket listener's socket ts, or opened to one's address peer,
 * gets the helper (and no SIP stream framer: true). */
bool ws_attach(struct tcp_conn *tc, struct tcp_sock *ts,
	       const struct sa *peer)
{
	struct ws_lsnr *l = lsnr_find(ts, peer);
	struct ws_conn *c;

	if (!l)
		return false;

	ws_sweep();
	c = mem_zalloc(sizeof(*c), conn_destructor);
	if (!c)
		return true;

	c->tc     = tc;
	c->tp     = l->tp;
	c->server = ts != NULL;
	if (c->server) {
		c->laddr = l->laddr;
		(void)tcp_conn_peer_get(tc, &c->paddr);
	}
	else {
		c->paddr = l->laddr;
	}
	if (tcp_register_helper(&c->th, tc, WS_LAYER, ws_estab, ws_send,
				ws_recv, c)) {
		mem_deref(c);
		return true;
	}
	mem_ref(c->th);
	list_append(&conns, &c->le, c);
	if (c->server)
		tmr_start(&c->tmr, CUT_CHECK_MS, cut_check, c);

	return true;
}


static struct ws_conn *conn_find(const struct sa *laddr,
				 const struct sa *paddr)
{
	struct le *le;

	for (le = conns.head; le; le = le->next) {
		struct ws_conn *c = le->data;

		if ((!laddr || sa_cmp(&c->laddr, laddr, SA_ALL)) &&
		    sa_cmp(&c->paddr, paddr, SA_ALL) && !gone(c))
			return c;
	}

	return NULL;
}


/* libre traces a message on a WebSocket connection as TCP (or TLS):
 * the transport it really went over. */
enum sip_transp ws_transp(enum sip_transp tp, const struct sa *src,
			  const struct sa *dst)
{
	struct ws_conn *c;

	if (tp != SIP_TRANSP_TCP && tp != SIP_TRANSP_TLS)
		return tp;

	c = conn_find(src, dst);
	if (!c)
		c = conn_find(dst, src);

	return c ? c->tp : tp;
}


/* The libre transport a WebSocket transport rides on. */
enum sip_transp ws_stream_transp(enum sip_transp tp)
{
	return tp == SIP_TRANSP_WS ? SIP_TRANSP_TCP :
		tp == SIP_TRANSP_WSS ? SIP_TRANSP_TLS : tp;
}


/* Is the WebSocket connection from paddr (a client's) still open? */
bool ws_alive(const struct sa *paddr)
{
	const struct ws_conn *c = conn_find(NULL, paddr);

	return c && c->open && !c->dead;
}
