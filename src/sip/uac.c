/**
 * @file uac.c  The UAC a scenario drives: INVITE, PRACK, ACK, CANCEL, BYE
 */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <re.h>
#include "progress.h"
#include "uac.h"
#include "wire.h"
#include "sizes.h"
#include "ws.h"
#include "sdp.h"
#include "okretx.h"
#include "text.h"


enum { MAX_ROUTES = 16 };

struct uac {
	char mark[12];           /* ends each From tag: uac_stale_tag()  */
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct sip_lsnr *rsp_lsnr;
	enum sip_transp tp;
	struct sa target;
	struct sa proxy;         /* outbound proxy, if set */
	enum sip_transp proxy_tp;
	bool flow;               /* every request to target (uac_set_flow) */
	char *uri;               /* the UAS's own URI, if it has one     */
	bool token;              /* its mark in the R-URI: uac_set_token */
	struct list calls;
	struct sa ws_laddr;      /* the WebSocket listener (uac_set_ws)  */
	struct list bindings;    /* WebSocket clients that registered    */
	uint32_t t1;             /* timer T1, ms (RFC 3261 17.1.1.1)     */
	char *user;              /* digest credentials (uac_set_auth)    */
	char *password;
	char *nonce;             /* the last nonce answered, and its nc:
				  * made at a challenge (a call with none,
				  * any call under load, has 128 bytes less)
				  * and whole (a longer one's nc counts up) */
	uint32_t nc;
	struct sa laddr;         /* the last local address printed, and */
	char laddr_txt[64];      /* its text (laddr_put)                 */
};

/* A WebSocket client's REGISTER, as an edge proxy keeps it: its AOR's
 * user and the connection it came over (RFC 7118 5, RFC 5626). */
struct binding {
	struct le le;
	char *user;
	struct sa paddr;
	enum sip_transp tp;
};


/* A client transaction (RFC 3261 17.1) as far as siptap keeps one: the
 * request's bytes, sent again at Timer A/E over UDP until a response,
 * and Timer B/F's time after which no response means none will come.
 * The bytes stay siptap's: a retransmission is the same buffer again. */
struct uac_tx {
	struct le le;
	struct uac_call *call;
	struct mbuf *mb;
	struct sa dst;
	enum sip_transp tp;
	char branch[48];
	char met[16];
	uint32_t cseq;
	uint64_t sent;           /* tmr_jiffies() of the first copy      */
	uint32_t interval;       /* until the next copy, ms              */
	bool answered;           /* any response: Timer B/F is off       */
	bool final;              /* a final response: nothing more       */
	bool retransmit;
	uint32_t next_cseq;      /* sent again with credentials as this  */
	unsigned auths;          /* challenges answered on the way here  */
	struct tmr tmr;
};

struct uac_call {
	struct le le;
	struct uac *uac;
	char callid[48];
	char ftag[36];
	char branch[48];
	uint32_t invite_cseq;
	uint32_t cseq;
	char *ruri;
	char *to;
	char *to_tag;            /* the INVITE's, when the scenario gave one */
	char *from;
	struct sa dst;
	enum sip_transp tp;
	struct mbuf *invite;
	struct mbuf *prack;      /* the latest PRACK: uac_prack_again()   */
	struct sa prack_dst;
	enum sip_transp prack_tp;
	uint32_t prack_cseq;
	char refuse_met[16];     /* call:refuse(): the far end's next ... */
	uint16_t refuse_scode;   /* ... request of this method gets this  */
	struct list txl;         /* its client transactions (uac_tx)     */
	struct mbuf *ack;        /* the ACK of the 2xx, sent again for a
				  * copy of the 2xx (RFC 3261 13.2.2.4)  */
	struct sa ack_dst;
	enum sip_transp ack_tp;
	bool ack_again;          /* ... unless retransmit = false        */
	uint32_t ack_cseq;       /* the INVITE's or a re-INVITE's        */
	struct okretx *okretx;   /* our 2xx to the far end's re-INVITE   */
};

/* What a response tells about the dialog it creates (RFC 3261 12.1.2) */
struct dialog {
	struct pl totag;
	struct pl ruri;            /* the remote Contact */
	struct uri uri;            /* the same, decoded (sip_addr_decode) */
	struct pl routev[MAX_ROUTES];
	size_t routec;
};


static void call_destructor(void *arg)
{
	struct uac_call *call = arg;

	list_unlink(&call->le);
	list_flush(&call->txl);
	mem_deref(call->okretx);
	mem_deref(call->ack);
	mem_deref(call->ruri);
	mem_deref(call->to);
	mem_deref(call->to_tag);
	mem_deref(call->from);
	mem_deref(call->invite);
	mem_deref(call->prack);
}


static void binding_destructor(void *arg)
{
	struct binding *b = arg;

	list_unlink(&b->le);
	mem_deref(b->user);
}


static void uac_destructor(void *arg)
{
	struct uac *uac = arg;

	list_flush(&uac->calls);
	list_flush(&uac->bindings);
	mem_deref(uac->uri);
	mem_deref(uac->user);
	mem_deref(uac->password);
	mem_deref(uac->nonce);
	mem_deref(uac->lsnr);
	mem_deref(uac->rsp_lsnr);
}


static bool via_print(const struct sip_hdr *hdr, const struct sip_msg *msg,
		      void *arg)
{
	(void)msg;

	return mbuf_printf(arg, "Via: %r\r\n", &hdr->val) != 0;
}


/* A response to a request that came over one of the UAC's WebSocket
 * connections, down that connection. libre's own reply would be sent
 * there too but traced to the Via's sent-by (a WebSocket client's
 * is often a .invalid host, RFC 7118 5.2.2): the wire would show a
 * message to port 5060. Over a connection nothing is retransmitted, so
 * no server transaction is missed. */
static int ws_reply_sdp(struct uac *uac, const struct sip_msg *msg,
			uint16_t scode, const char *reason,
			const struct mbuf *head, const char *sdp)
{
	const struct sip_hdr *cseq = sip_msg_hdr(msg, SIP_HDR_CSEQ);
	struct mbuf *mb = mbuf_alloc(512);
	int err;

	if (!mb || !cseq) {
		mem_deref(mb);
		return mb ? EPROTO : ENOMEM;
	}

	err  = mbuf_printf(mb, "SIP/2.0 %u %s\r\n", scode, reason);
	err |= sip_msg_hdr_apply(msg, true, SIP_HDR_VIA, via_print, mb) ?
		ENOMEM : 0;
	err |= mbuf_printf(mb, "From: %r\r\nTo: %r", &msg->from.val,
			   &msg->to.val);
	if (!pl_isset(&msg->to.tag))
		err |= mbuf_printf(mb, ";tag=%08x", rand_u32());
	err |= mbuf_printf(mb, "\r\nCall-ID: %r\r\nCSeq: %r\r\n",
			   &msg->callid, &cseq->val);
	if (head)
		err |= mbuf_write_mem(mb, head->buf, head->end);
	if (sdp)
		err |= mbuf_printf(mb, "Content-Type: application/sdp\r\n"
				   "Content-Length: %zu\r\n\r\n%s",
				   strlen(sdp), sdp);
	else
		err |= mbuf_printf(mb, "Content-Length: 0\r\n\r\n");
	if (!err) {
		mb->pos = 0;
		err = sip_send(uac->sip, NULL, msg->tp, &msg->src, mb);
	}
	mem_deref(mb);

	return err;
}


static void ws_reply(struct uac *uac, const struct sip_msg *msg,
		     uint16_t scode, const char *reason, const char *fmt,
		     ...)
{
	struct mbuf *head = mbuf_alloc(128);
	va_list ap;
	int err;

	if (!head)
		return;
	va_start(ap, fmt);
	err = mbuf_vprintf(head, fmt, ap);
	va_end(ap);
	if (!err)
		(void)ws_reply_sdp(uac, msg, scode, reason, head, NULL);
	mem_deref(head);
}


static bool over_ws(const struct sip_msg *msg)
{
	return ws_transp(msg->tp, &msg->dst, &msg->src) != msg->tp;
}


static struct binding *binding_find(const struct uac *uac,
				    const struct pl *user)
{
	struct le *le;

	for (le = uac->bindings.head; le; le = le->next) {
		struct binding *b = le->data;

		if (!pl_strcmp(user, b->user))
			return b;
	}

	return NULL;
}


/* A REGISTER over one of the UAC's WebSocket connections: the binding
 * of the To's user to that connection, answered 200 with the Contact
 * and its expiry (RFC 3261 10.3); expires=0 ends it. Over anything else
 * siptap is no registrar. */
static void register_take(struct uac *uac, const struct sip_msg *msg)
{
	const struct sip_hdr *ct = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	enum sip_transp tp = ws_transp(msg->tp, &msg->dst, &msg->src);
	struct sip_addr addr;
	struct binding *b;
	struct pl ex;
	uint32_t expires = 3600;

	if (tp != SIP_TRANSP_WS && tp != SIP_TRANSP_WSS) {
		(void)sip_treply(NULL, uac->sip, msg, 501, "Not Implemented");
		return;
	}
	if (!ct || sip_addr_decode(&addr, &ct->val)) {
		ws_reply(uac, msg, 400, "No Contact", "");
		return;
	}
	if (!msg_param_decode(&addr.params, "expires", &ex))
		expires = pl_u32(&ex);
	else if (pl_isset(&msg->expires))
		expires = pl_u32(&msg->expires);

	b = binding_find(uac, &msg->to.uri.user);
	if (!b && expires) {
		b = mem_zalloc(sizeof(*b), binding_destructor);
		if (!b || pl_strdup(&b->user, &msg->to.uri.user)) {
			mem_deref(b);
			ws_reply(uac, msg, 500, "No Memory", "");
			return;
		}
		list_append(&uac->bindings, &b->le, b);
	}
	if (!expires) {
		mem_deref(b);
		ws_reply(uac, msg, 200, "OK", "");
		return;
	}
	b->paddr = msg->src;
	b->tp    = tp;
	ws_reply(uac, msg, 200, "OK", "Contact: <%r>;expires=%u\r\n",
		 &addr.auri, expires);
}


/* Requests that reach the UAC (a BYE from the far end, say) are
 * answered so that the peer does not retransmit them for 32 s. */
static bool uac_dialog_answer(struct uac *uac, const struct sip_msg *msg);
static void uac_ack_take(struct uac *uac, const struct sip_msg *msg);


static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct uac *uac = arg;

	wire_nodelay(msg);
	if (!pl_strcmp(&msg->met, "ACK")) {
		uac_ack_take(uac, msg);
		return true;
	}
	if (!pl_strcmp(&msg->met, "REGISTER")) {
		register_take(uac, msg);
		return true;
	}
	if (uac_dialog_answer(uac, msg))
		return true;
	if (over_ws(msg)) {
		if (!pl_strcmp(&msg->met, "BYE"))
			ws_reply(uac, msg, 200, "OK", "");
		else
			ws_reply(uac, msg, 501, "Not Implemented", "");
		return true;
	}
	if (!pl_strcmp(&msg->met, "BYE"))
		(void)sip_treply(NULL, uac->sip, msg, 200, "OK");
	else
		(void)sip_treply(NULL, uac->sip, msg, 501, "Not Implemented");

	return true;
}


static void tx_dispatch(struct uac *uac, const struct sip_msg *msg);


/* Responses are read from the wire; this one ends the retransmissions
 * of the request it answers (tx_dispatch), and tells libre they were
 * expected, so it does not report them as unhandled. */
static bool response_handler(const struct sip_msg *msg, void *arg)
{
	wire_nodelay(msg);
	tx_dispatch(arg, msg);

	return true;
}


int uac_alloc(struct uac **uacp, struct sip *sip, enum sip_transp tp,
	      const struct sa *target)
{
	struct uac *uac;
	int err;

	if (!uacp || !sip || !target)
		return EINVAL;

	uac = mem_zalloc(sizeof(*uac), uac_destructor);
	if (!uac)
		return ENOMEM;

	uac->mark[0] = '.';
	uac->mark[1] = 't';
	text_hex(uac->mark + 2, rand_u32(), 8);
	uac->mark[10] = '\0';
	uac->sip    = sip;
	uac->tp     = tp;
	uac->t1     = 500;
	uac->target = *target;

	err  = sip_listen(&uac->lsnr, sip, true, request_handler, uac);
	err |= sip_listen(&uac->rsp_lsnr, sip, false, response_handler, uac);
	if (err)
		mem_deref(uac);
	else
		*uacp = uac;

	return err;
}


/* prefix and two random numbers in hex, "%s%08x%08x" without printf
 * (a call makes five: Call-ID, From tag, branches) */
static void rand_token(char *buf, size_t sz, const char *prefix)
{
	const size_t n = strlen(prefix);

	if (n + 17 > sz) {
		(void)re_snprintf(buf, sz, "%s%08x%08x", prefix, rand_u32(),
				  rand_u32());
		return;
	}
	memcpy(buf, prefix, n);
	text_hex(buf + n, rand_u32(), 8);
	text_hex(buf + n + 8, rand_u32(), 8);
	buf[n + 16] = '\0';
}


/* RAck's value, "%ld %ld %s" (rs and cs are never negative here) */
static void rack_txt(char *buf, size_t sz, long rs, long cs,
		     const char *met)
{
	const size_t n = strlen(met);
	char *p = buf;

	if (rs < 0 || cs < 0 || rs > UINT32_MAX || cs > UINT32_MAX ||
	    n + 23 > sz) {
		(void)re_snprintf(buf, sz, "%ld %ld %s", rs, cs, met);
		return;
	}
	p = text_u32(p, (uint32_t)rs);
	*p++ = ' ';
	p = text_u32(p, (uint32_t)cs);
	*p++ = ' ';
	memcpy(p, met, n + 1);
}


/* The strings up to NULL, one after the other, as a new string (what
 * re_sdprintf() of "%s%s..." gives) */
static int str_cat(char **dst, ...)
{
	const char *s;
	size_t n = 0;
	va_list ap;
	char *p;

	va_start(ap, dst);
	while ((s = va_arg(ap, const char *)))
		n += strlen(s);
	va_end(ap);

	p = mem_alloc(n + 1, NULL);
	if (!p)
		return ENOMEM;
	*dst = p;
	va_start(ap, dst);
	while ((s = va_arg(ap, const char *))) {
		n = strlen(s);
		memcpy(p, s, n);
		p += n;
	}
	va_end(ap);
	*p = '\0';

	return 0;
}


static int laddr_get(const struct uac_call *call, struct sa *laddr)
{
	/* the edge's listener, as a proxy's Via over WebSocket says */
	if (call->tp == SIP_TRANSP_WS || call->tp == SIP_TRANSP_WSS) {
		*laddr = call->uac->ws_laddr;
		return sa_isset(laddr, SA_ALL) ? 0 : EPROTONOSUPPORT;
	}

	return sip_transp_laddr(call->uac->sip, laddr, call->tp, &call->dst);
}


/* Where a request to uri goes: host and port of the URI (numeric hosts
 * only: siptap resolves nothing) and its transport parameter. */
static int uri_hop(const struct uri *uri, struct sa *dst,
		   enum sip_transp *tp)
{
	struct pl val;

	*tp = SIP_TRANSP_UDP;
	if (!msg_param_decode(&uri->params, "transport", &val)) {
		if (!pl_strcasecmp(&val, "tcp"))
			*tp = SIP_TRANSP_TCP;
		else if (!pl_strcasecmp(&val, "tls"))
			*tp = SIP_TRANSP_TLS;
		else if (!pl_strcasecmp(&val, "ws"))
			*tp = SIP_TRANSP_WS;
		else if (!pl_strcasecmp(&val, "wss"))
			*tp = SIP_TRANSP_WSS;
	}

	return sa_set(dst, &uri->host,
		      uri->port ? uri->port : sip_transp_port(*tp, 0));
}


static int next_hop(const struct pl *uri_pl, struct sa *dst,
		    enum sip_transp *tp)
{
	struct uri uri;
	struct pl pl = *uri_pl;
	int err;

	err = uri_decode(&uri, &pl);
	if (err)
		return err;

	return uri_hop(&uri, dst, tp);
}


/* libre sends over WebSocket as over the TCP (TLS) connection it
 * rides on (ws.c frames it); a client's connection that is gone is not
 * opened again (libre would connect to the client's port). */
static int send_on(struct uac *uac, const struct sa *dst, enum sip_transp tp,
		   struct mbuf *mb)
{
	int err = sizes_check(tp, mb->end);

	if (err)
		return err;
	if ((tp == SIP_TRANSP_WS || tp == SIP_TRANSP_WSS) && !ws_alive(dst))
		return sizes_no_conn();

	mb->pos = 0;
	wire_sending(mb);
	err = sip_send(uac->sip, NULL, ws_stream_transp(tp), dst, mb);
	wire_sending(NULL);

	return err;
}


static int send_mb(struct uac_call *call, const struct sa *dst,
		   enum sip_transp tp, struct mbuf *mb)
{
	return send_on(call->uac, dst, tp, mb);
}


/* --- client transactions (RFC 3261 17.1) ----------------------------- */

static void tx_destructor(void *arg)
{
	struct uac_tx *tx = arg;

	tmr_cancel(&tx->tmr);
	list_unlink(&tx->le);
	mem_deref(tx->mb);
}


static bool is_invite(const struct uac_tx *tx)
{
	return !strcmp(tx->met, "INVITE");
}


/* Timer A (INVITE) and E (the others): the same bytes again, the
 * interval doubling, a non-INVITE's capped at T2 (RFC 3261 17.1.2.2;
 * T2 is 8*T1 as in uas.c, 4 s at T1 = 500 ms); none after Timer B or F
 * (64*T1), which ends the transaction. */
static void tx_tmr_handler(void *arg)
{
	struct uac_tx *tx = arg;
	const uint64_t t1 = tx->call->uac->t1;
	const uint64_t age = tmr_jiffies() - tx->sent;

	if (tx->final || age >= 64 * t1)
		return;

	(void)send_mb(tx->call, &tx->dst, tx->tp, tx->mb);

	tx->interval *= 2;
	if (!is_invite(tx) && tx->interval > 8 * t1)
		tx->interval = (uint32_t)(8 * t1);
	tmr_start(&tx->tmr, min((uint64_t)tx->interval, 64 * t1 - age),
		  tx_tmr_handler, tx);
}


/* A request just sent becomes a transaction; over UDP its copies
 * follow unless the scenario asked for one send (retransmit = false).
 * Streams are reliable: no copies (17.1.1.2), Timer B/F all the same. */
static int tx_start(struct uac_call *call, struct mbuf *mb,
		    const struct sa *dst, enum sip_transp tp,
		    const char *met, uint32_t cseq, const char *branch,
		    bool retransmit)
{
	struct uac_tx *tx;

	tx = mem_zalloc(sizeof(*tx), tx_destructor);
	if (!tx)
		return ENOMEM;

	tx->call = call;
	tx->mb   = mem_ref(mb);
	tx->dst  = *dst;
	tx->tp   = tp;
	tx->cseq = cseq;
	tx->sent = tmr_jiffies();
	tx->interval = call->uac->t1;
	str_ncpy(tx->branch, branch, sizeof(tx->branch));
	str_ncpy(tx->met, met, sizeof(tx->met));
	list_append(&call->txl, &tx->le, tx);

	tx->retransmit = retransmit;
	if (retransmit && tp == SIP_TRANSP_UDP)
		tmr_start(&tx->tmr, tx->interval, tx_tmr_handler, tx);

	return 0;
}


/* A response ends Timer A; a final one ends Timer E, a provisional
 * makes it T2 (17.1.2.2). Timer B ends with any response, F with a
 * final one. */
static void tx_response(struct uac_tx *tx, const struct sip_msg *msg)
{
	const uint32_t t2 = 8 * tx->call->uac->t1;

	if (is_invite(tx) || msg->scode >= 200) {
		tx->answered = true;
		tx->final = tx->final || msg->scode >= 200 || is_invite(tx);
		tmr_cancel(&tx->tmr);
		return;
	}

	if (tmr_isrunning(&tx->tmr) && tx->interval < t2) {
		tx->interval = t2;
		tmr_start(&tx->tmr, t2, tx_tmr_handler, tx);
	}
}


static struct uac_tx *tx_find(const struct uac_call *call,
			      const struct pl *branch, const struct pl *met)
{
	struct le *le;

	LIST_FOREACH(&call->txl, le) {
		struct uac_tx *tx = le->data;

		if (!pl_strcmp(branch, tx->branch) &&
		    !pl_strcmp(met, tx->met))
			return tx;
	}

	return NULL;
}


/* A copy of the final response to the INVITE (or the re-INVITE) last
 * ACKed gets the ACK again: the UAS retransmits its 2xx until an ACK
 * arrives (RFC 3261 13.2.2.4), a non-2xx until its transaction sees
 * one (17.1.1.2). */
static void ack_again(struct uac_call *call, const struct sip_msg *msg)
{
	if (!call->ack || !call->ack_again || msg->scode < 200 ||
	    pl_strcmp(&msg->cseq.met, "INVITE") ||
	    msg->cseq.num != call->ack_cseq)
		return;

	(void)send_mb(call, &call->ack_dst, call->ack_tp, call->ack);
}


/* --- digest authentication (RFC 3261 22, RFC 7616) ------------------- */

/* The credentials for 401 and 407 challenges; user NULL: none (a
 * challenge is then the scenario's to see) */
int uac_set_auth(struct uac *uac, const char *user, const char *password)
{
	int err;

	uac->user = mem_deref(uac->user);
	uac->password = mem_deref(uac->password);
	if (!user)
		return 0;

	err  = str_dup(&uac->user, user);
	err |= str_dup(&uac->password, password ? password : "");

	return err;
}


/* H(data) of RFC 7616 3.4.1, lower-case hex, MD5 or SHA-256 */
static int digest_hex(char *out, size_t sz, bool sha256, const char *fmt,
		      ...)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *in = NULL;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = re_vsdprintf(&in, fmt, ap);
	va_end(ap);
	if (err)
		return err;

	if (!EVP_Digest(in, strlen(in), md, &mdlen,
			sha256 ? EVP_sha256() : EVP_md5(), NULL))
		err = EPROTO;
	else
		(void)re_snprintf(out, sz, "%w", md, (size_t)mdlen);
	mem_deref(in);

	return err;
}


/* Where s is in pl, or NULL */
static const char *find(const struct pl *pl, const char *s)
{
	const size_t n = strlen(s);
	size_t i;

	for (i = 0; n && i + n <= pl->l; i++)
		if (!memcmp(pl->p + i, s, n))
			return pl->p + i;

	return NULL;
}


/* Does the challenge's qop list (RFC 7616 3.3) offer "auth"? */
static bool offers_auth(const struct pl *qop)
{
	struct pl rest = *qop, tok;

	while (!re_regex(rest.p, rest.l, "[ \t,]*[^ \t,]+", NULL, &tok)) {
		if (!pl_strcasecmp(&tok, "auth"))
			return true;
		pl_advance(&rest, (size_t)(tok.p + tok.l - rest.p));
	}

	return false;
}


/* The challenge answered: SHA-256 over MD5 when both are offered
 * (RFC 8760 2.4); one of another algorithm is passed over. */
struct pick {
	struct httpauth_digest_chall ch;
	bool found;
	bool sha256;
};


static bool pick_chall(const struct sip_hdr *hdr, const struct sip_msg *msg,
		       void *arg)
{
	struct pick *pk = arg;
	struct httpauth_digest_chall ch;
	bool sha256;
	(void)msg;

	if (httpauth_digest_challenge_decode(&ch, &hdr->val))
		return false;
	if (!pl_isset(&ch.algorithm) || !pl_strcasecmp(&ch.algorithm, "MD5"))
		sha256 = false;
	else if (!pl_strcasecmp(&ch.algorithm, "SHA-256"))
		sha256 = true;
	else
		return false;

	if (!pk->found || (sha256 && !pk->sha256)) {
		pk->ch = ch;
		pk->sha256 = sha256;
		pk->found = true;
	}

	return false;
}


/* The Authorization (401) or Proxy-Authorization (407) line for the
 * request met to ruri, qop=auth with a nonce count when the challenge
 * offers it; ENOENT when it has no challenge siptap can answer. */
static int auth_line(struct mbuf *mb, struct uac *uac,
		     const struct sip_msg *resp, const struct pl *met,
		     const struct pl *ruri)
{
	char ha1[2 * EVP_MAX_MD_SIZE + 1], ha2[sizeof(ha1)], rsp[sizeof(ha1)];
	char cnonce[20];
	struct pick pk;
	bool qop;
	int err;

	memset(&pk, 0, sizeof(pk));
	(void)sip_msg_hdr_apply(resp, true, resp->scode == 407 ?
				SIP_HDR_PROXY_AUTHENTICATE :
				SIP_HDR_WWW_AUTHENTICATE, pick_chall, &pk);
	if (!pk.found)
		return ENOENT;

	qop = pl_isset(&pk.ch.qop) && offers_auth(&pk.ch.qop);

	if (!uac->nonce || pl_strcmp(&pk.ch.nonce, uac->nonce)) {
		uac->nonce = mem_deref(uac->nonce);
		(void)pl_strdup(&uac->nonce, &pk.ch.nonce);
		uac->nc = 0;
	}
	++uac->nc;
	(void)re_snprintf(cnonce, sizeof(cnonce), "%08x%08x", rand_u32(),
			  rand_u32());

	err  = digest_hex(ha1, sizeof(ha1), pk.sha256, "%s:%r:%s", uac->user,
			  &pk.ch.realm, uac->password);
	err |= digest_hex(ha2, sizeof(ha2), pk.sha256, "%r:%r", met, ruri);
	if (err)
		return err;
	err = qop ? digest_hex(rsp, sizeof(rsp), pk.sha256,
			       "%s:%r:%08x:%s:auth:%s", ha1, &pk.ch.nonce,
			       uac->nc, cnonce, ha2)
		: digest_hex(rsp, sizeof(rsp), pk.sha256, "%s:%r:%s", ha1,
			     &pk.ch.nonce, ha2);
	if (err)
		return err;

	err = mbuf_printf(mb, "%s: Digest username=\"%s\", realm=\"%r\", "
			  "nonce=\"%r\", uri=\"%r\", response=\"%s\", "
			  "algorithm=%s",
			  resp->scode == 407 ? "Proxy-Authorization" :
			  "Authorization", uac->user, &pk.ch.realm,
			  &pk.ch.nonce, ruri, rsp,
			  pk.sha256 ? "SHA-256" : "MD5");
	if (pl_isset(&pk.ch.opaque))
		err |= mbuf_printf(mb, ", opaque=\"%r\"", &pk.ch.opaque);
	if (qop)
		err |= mbuf_printf(mb, ", qop=auth, nc=%08x, cnonce=\"%s\"",
				   uac->nc, cnonce);

	return err | mbuf_printf(mb, "\r\n");
}


static bool line_is(const struct pl *line, const char *name)
{
	const size_t n = strlen(name);

	return line->l > n && !strncasecmp(line->p, name, n) &&
		line->p[n] == ':';
}


/* tx's request again with the next CSeq, a new branch and credentials
 * for resp's challenge (RFC 3261 22.2, 8.1.3.5): the same bytes but for
 * those, so a scenario's headers and body go out as they were. */
static int reauth_build(struct mbuf **mbp, struct uac_tx *tx,
			const struct sip_msg *resp, uint32_t cseq,
			const char *branch)
{
	const struct mbuf *old = tx->mb;
	struct pl rest, line, met, ruri;
	struct mbuf *mb;
	const char *b;
	bool head = true;
	int err = 0;

	rest.p = (const char *)old->buf;
	rest.l = old->end;
	if (re_regex(rest.p, rest.l, "[^ ]+ [^ ]+ SIP/2.0", &met, &ruri))
		return EPROTO;

	mb = mbuf_alloc(old->end + 512);
	if (!mb)
		return ENOMEM;

	while (head && rest.l && !err) {
		const char *eol = pl_strchr(&rest, '\n');

		line.p = rest.p;
		line.l = eol ? (size_t)(eol - rest.p) + 1 : rest.l;
		pl_advance(&rest, line.l);
		if (line.l <= 2) {
			head = false;   /* the empty line: the body follows */
			err = mbuf_write_pl(mb, &line);
		}
		else if (line_is(&line, "CSeq")) {
			err  = mbuf_printf(mb, "CSeq: %u %s\r\n", cseq, tx->met);
			err |= auth_line(mb, tx->call->uac, resp, &met, &ruri);
		}
		else if (line_is(&line, "Authorization") ||
			 line_is(&line, "Proxy-Authorization")) {
			continue;       /* an earlier round's */
		}
		else if (line_is(&line, "Via") &&
			 (b = find(&line, tx->branch))) {
			/* siptap's one Via: the new branch for the old */
			const size_t n = strlen(tx->branch);

			err = mbuf_printf(mb, "%b%s%b", line.p,
					  (size_t)(b - line.p), branch, b + n,
					  line.l - (size_t)(b - line.p) - n);
		}
		else {
			err = mbuf_write_pl(mb, &line);
		}
	}
	if (!err)
		err = mbuf_write_pl(mb, &rest);

	if (err)
		mem_deref(mb);
	else
		*mbp = mb;

	return err;
}


/* A 401 or 407 to tx: answered once with the credentials, again only
 * for a stale nonce (RFC 7616 3.3: the password was right). An INVITE's
 * challenge is ACKed first; the new INVITE is the call's from then on
 * (its CSeq and branch: CANCEL and ACK follow it). */
static void tx_reauth(struct uac_tx *tx, const struct sip_msg *resp)
{
	struct uac_call *call = tx->call;
	char branch[48];
	struct mbuf *mb = NULL;
	struct uac_tx *ntx;
	uint32_t cseq;
	struct pl stale;

	if (!call->uac->user || tx->next_cseq)
		return;
	if (tx->auths) {
		/* challenged again: the password was wrong, unless the nonce
		 * only went stale */
		const struct sip_hdr *h = sip_msg_hdr(resp, resp->scode == 407
						      ? SIP_HDR_PROXY_AUTHENTICATE
						      : SIP_HDR_WWW_AUTHENTICATE);

		if (!h || tx->auths > 2 ||
		    re_regex(h->val.p, h->val.l, "stale=[\"]*true", &stale))
			return;
	}

	cseq = max(call->cseq, call->invite_cseq) + 1;
	rand_token(branch, sizeof(branch), "z9hG4bK");
	if (reauth_build(&mb, tx, resp, cseq, branch))
		return;

	if (is_invite(tx))
		(void)uac_ack(call, resp, true);

	if (send_mb(call, &tx->dst, tx->tp, mb) ||
	    tx_start(call, mb, &tx->dst, tx->tp, tx->met, cseq, branch,
		     tx->retransmit)) {
		mem_deref(mb);
		return;
	}

	ntx = call->txl.tail->data;
	ntx->auths = tx->auths + 1;
	tx->next_cseq = cseq;
	call->cseq = cseq;
	if (is_invite(tx)) {
		call->invite_cseq = cseq;
		str_ncpy(call->branch, branch, sizeof(call->branch));
		mem_deref(call->invite);
		call->invite = mem_ref(mb);
	}
	mem_deref(mb);
}


/* The CSeq that answers for the request met sent with cseq: the one it
 * was sent again with after a challenge (tx_reauth), and so on; 0 for
 * an INVITE: the call's INVITE now. */
uint32_t uac_tx_follow(const struct uac_call *call, const char *met,
		       uint32_t cseq)
{
	struct le *le;
	bool moved = true;

	if (!cseq && !strcmp(met, "INVITE"))
		return call->invite_cseq;

	while (moved) {
		moved = false;
		LIST_FOREACH(&call->txl, le) {
			const struct uac_tx *tx = le->data;

			if (tx->cseq == cseq && tx->next_cseq &&
			    !strcmp(tx->met, met)) {
				cseq = tx->next_cseq;
				moved = true;
				break;
			}
		}
	}

	return cseq;
}


/* The ACK just sent, kept for ack_again() */
static void ack_keep(struct uac_call *call, struct mbuf *mb,
		     const struct sa *dst, enum sip_transp tp, bool once,
		     uint32_t cseq)
{
	call->ack_cseq = cseq;
	mem_deref(call->ack);
	call->ack = mem_ref(mb);
	call->ack_dst = *dst;
	call->ack_tp = tp;
	call->ack_again = !once;
}


static void tx_dispatch(struct uac *uac, const struct sip_msg *msg)
{
	struct le *le;

	LIST_FOREACH(&uac->calls, le) {
		struct uac_call *call = le->data;
		struct uac_tx *tx;

		if (pl_strcmp(&msg->callid, call->callid))
			continue;
		tx = tx_find(call, &msg->via.branch, &msg->cseq.met);
		if (tx)
			tx_response(tx, msg);
		if (tx && (msg->scode == 401 || msg->scode == 407))
			tx_reauth(tx, msg);
		else if (tx && msg->scode >= 200)
			mem_deref(tx);   /* done: nothing of it is asked again */
		ack_again(call, msg);
		return;
	}
}


/* For a wait on the answer to met (cseq 0: the INVITE): ms until its
 * Timer B or F fires, 0 once it has, UINT32_MAX when it will not (a
 * response came, or siptap sent no such request). */
uint32_t uac_tx_left(const struct uac_call *call, const char *met,
		     uint32_t cseq)
{
	const uint64_t t1 = call->uac->t1;
	struct le *le;

	if (!cseq && !strcmp(met, "INVITE"))
		cseq = call->invite_cseq;

	for (le = call->txl.tail; le; le = le->prev) {
		const struct uac_tx *tx = le->data;
		uint64_t age;

		if (tx->cseq != cseq || strcmp(tx->met, met))
			continue;
		if (tx->answered)
			return UINT32_MAX;
		age = tmr_jiffies() - tx->sent;
		return age >= 64 * t1 ? 0 : (uint32_t)(64 * t1 - age);
	}

	return UINT32_MAX;
}


uint32_t uac_t1(const struct uac *uac)
{
	return uac->t1;
}


/* T1 of siptap's client transactions: the run's --t1 */
void uac_set_t1(struct uac *uac, uint32_t t1)
{
	if (uac && t1)
		uac->t1 = t1;
}


/* The local address as %J prints it ("[::1]:5060"), made once for
 * each address: a call's Via and Contact headers print the same one,
 * and inet_ntop() is an sprintf(). */
static int laddr_put(struct mbuf *mb, const struct uac_call *call)
{
	struct uac *uac = call->uac;
	struct sa laddr;
	int err;

	err = laddr_get(call, &laddr);
	if (err)
		return err;
	if (!uac->laddr_txt[0] || !sa_cmp(&laddr, &uac->laddr, SA_ALL)) {
		uac->laddr = laddr;
		char hp[TEXT_HOSTPORT_SZ];

		str_ncpy(uac->laddr_txt, text_hostport(hp, &laddr),
			 sizeof(uac->laddr_txt));
	}

	return text_put(mb, uac->laddr_txt, NULL);
}


static int print_via(struct mbuf *mb, const struct uac_call *call,
		     enum sip_transp tp, const char *branch)
{
	int err;

	err  = text_put(mb, "Via: SIP/2.0/", sip_transp_name(tp), " ", NULL);
	err |= laddr_put(mb, call);
	err |= text_put(mb, ";branch=", branch, ";rport\r\n", NULL);

	return err;
}


static int print_body(struct mbuf *mb, const char *const *xhdrv,
		      size_t xhdrc, const char *ctype, const char *body,
		      size_t blen)
{
	size_t i;
	int err = 0;

	for (i = 0; i < xhdrc; i++)
		err |= text_put(mb, xhdrv[i], "\r\n", NULL);
	if (body)
		err |= text_put(mb, "Content-Type: ",
				ctype ? ctype : "application/sdp", "\r\n",
				NULL);
	err |= text_put(mb, "Content-Length: ", NULL);
	err |= text_put_u32(mb, body ? (uint32_t)blen : 0);
	err |= text_put(mb, "\r\n\r\n", NULL);
	if (body)
		err |= mbuf_write_mem(mb, (const uint8_t *)body, blen);

	return err;
}


static int print_contact(struct mbuf *mb, const struct uac_call *call)
{
	int err;

	err  = text_put(mb, "Contact: <sip:uac@", NULL);
	err |= laddr_put(mb, call);
	/* sip_transp_param(): ";transport=tcp", or "" for UDP */
	err |= text_put(mb, sip_transp_param(call->tp), ">\r\n", NULL);

	return err;
}


/* Every request, in-dialog ones too, goes to target over tp whatever
 * the Contact and Record-Route say: the way an edge proxy reaches a
 * WebSocket client over its connection (RFC 7118). A remote UAS's agent
 * (--agent) is reached like that. */
void uac_set_flow(struct uac *uac, const struct sa *target,
		  enum sip_transp tp)
{
	uac->target = *target;
	uac->tp = tp;
	uac->flow = true;
}


/* The UAC is a WebSocket edge: its listener is at laddr (Via, Contact),
 * and it takes the REGISTERs that come over it. */
void uac_set_ws(struct uac *uac, const struct sa *laddr)
{
	uac->ws_laddr = *laddr;
}


/* The connection that registered user (a WebSocket client's address),
 * ENOENT when none did, ENOTCONN when it closed since. */
int uac_ws_binding(const struct uac *uac, const char *user,
		   struct sa *paddr, enum sip_transp *tp)
{
	const struct binding *b;
	struct pl pl;

	pl_set_str(&pl, user);
	b = binding_find(uac, &pl);
	if (!b)
		return ENOENT;
	*paddr = b->paddr;
	*tp = b->tp;

	return ws_alive(paddr) ? 0 : ENOTCONN;
}


/* The Request-URI (and To) of an INVITE that names none, instead of
 * sip:siptap@<target>: a UAS that answers only for its own user. */
int uac_set_uri(struct uac *uac, const char *uri)
{
	uac->uri = mem_deref(uac->uri);

	return uri ? str_dup(&uac->uri, uri) : 0;
}


/* Every request leaves through this proxy (RFC 3261 8.1.2 outbound
 * proxy); in-dialog requests still follow the route set. */
void uac_set_proxy(struct uac *uac, const struct sa *proxy,
		   enum sip_transp tp)
{
	uac->proxy = *proxy;
	uac->proxy_tp = tp;
}


/* The PROGRESS_OWN_ bits of what uac_invite() writes into an INVITE:
 * the headers its headers option may not add a second time. */
unsigned uac_invite_own_hdrs(const struct uac_invite_opts *o)
{
	unsigned own = PROGRESS_OWN_VIA | PROGRESS_OWN_MAXFWD |
		PROGRESS_OWN_FROM | PROGRESS_OWN_TO | PROGRESS_OWN_CALLID |
		PROGRESS_OWN_CSEQ | PROGRESS_OWN_CONTACT | PROGRESS_OWN_CLEN;

	if (o->supported)
		own |= PROGRESS_OWN_SUPPORTED;
	if (o->require)
		own |= PROGRESS_OWN_REQUIRE;
	if (o->body)
		own |= PROGRESS_OWN_CTYPE;

	return own;
}


/* The same for a PRACK (dialog_request(), a Route set aside) */
unsigned uac_prack_own_hdrs(const struct uac_req_opts *o)
{
	return PROGRESS_OWN_VIA | PROGRESS_OWN_MAXFWD | PROGRESS_OWN_FROM |
		PROGRESS_OWN_TO | PROGRESS_OWN_CALLID | PROGRESS_OWN_CSEQ |
		PROGRESS_OWN_RACK | PROGRESS_OWN_CLEN |
		(o->body ? PROGRESS_OWN_CTYPE : 0);
}


int uac_invite(struct uac_call **callp, struct uac *uac,
	       const struct uac_invite_opts *o)
{
	struct uac_call *call;
	char hp[TEXT_HOSTPORT_SZ];
	struct mbuf *mb;
	struct sa laddr;
	int err;

	if (!callp || !uac || !o)
		return EINVAL;

	call = mem_zalloc(sizeof(*call), call_destructor);
	if (!call)
		return ENOMEM;

	call->uac = uac;
	call->tp  = uac->tp;
	call->dst = uac->target;
	if (sa_isset(&uac->proxy, SA_ADDR)) {
		call->dst = uac->proxy;
		call->tp  = uac->proxy_tp;
	}
	call->invite_cseq = call->cseq = 1 + rand_u16() % 1000;
	rand_token(call->callid, sizeof(call->callid), "");
	rand_token(call->ftag, sizeof(call->ftag) - sizeof(uac->mark), "");
	strcat(call->ftag, uac->mark);
	rand_token(call->branch, sizeof(call->branch), "z9hG4bK");
	list_append(&uac->calls, &call->le, call);
	list_init(&call->txl);

	err = laddr_get(call, &laddr);
	if (err)
		goto out;

	err  = o->ruri ? str_dup(&call->ruri, o->ruri)
		: uac->uri ? str_dup(&call->ruri, uac->uri)
		: str_cat(&call->ruri, "sip:siptap",
			  uac->token ? uac->mark : "", "@",
			  text_hostport(hp, &uac->target),
			  sip_transp_param(uac->tp), NULL);
	err |= str_dup(&call->to, o->to ? o->to : call->ruri);
	if (o->to_tag)
		err |= str_dup(&call->to_tag, o->to_tag);
	err |= o->from ? str_dup(&call->from, o->from)
		: str_cat(&call->from, "sip:uac@", text_hostport(hp, &laddr),
			  NULL);
	if (err)
		goto out;

	call->invite = mb = mbuf_alloc(1024);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}

	err  = text_put(mb, "INVITE ", call->ruri, " SIP/2.0\r\n", NULL);
	err |= print_via(mb, call, call->tp, call->branch);
	err |= text_put(mb, "Max-Forwards: 70\r\nFrom: <", call->from,
			">;tag=", call->ftag, "\r\nTo: <", call->to, ">",
			call->to_tag ? ";tag=" : "",
			call->to_tag ? call->to_tag : "", "\r\nCall-ID: ",
			call->callid, "\r\nCSeq: ", NULL);
	err |= text_put_u32(mb, call->cseq);
	err |= text_put(mb, " INVITE\r\n", NULL);
	err |= print_contact(mb, call);
	if (o->supported)
		err |= text_put(mb, "Supported: ", o->supported, "\r\n",
				NULL);
	if (o->require)
		err |= text_put(mb, "Require: ", o->require, "\r\n", NULL);
	err |= print_body(mb, o->xhdrv, o->xhdrc, o->ctype, o->body,
			  o->body_len);
	if (err)
		goto out;

	err = send_mb(call, &call->dst, call->tp, mb);
	if (!err)
		err = tx_start(call, mb, &call->dst, call->tp, "INVITE",
			       call->cseq, call->branch, !o->once);

 out:
	if (err)
		mem_deref(call);
	else
		*callp = call;

	return err;
}


/* Does pl end in a mark (".t" and 8 hex digits) other than uac's? */
static bool foreign_mark(const struct uac *uac, const struct pl *pl)
{
	const size_t n = strlen(uac->mark);
	const char *p;
	size_t i;

	if (!pl || pl->l <= n)
		return false;
	p = pl->p + pl->l - n;
	if (p[0] != '.' || p[1] != 't')
		return false;
	for (i = 2; i < n; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return false;
	}

	return memcmp(p, uac->mark, n) != 0;
}


/* Is msg an INVITE another UAC sent: another test's, or another run's?
 * Each UAC has its own random mark (".t" and 8 hex digits). With a
 * token (uac_set_token) it is in the Request-URI's user part
 * (sip:siptap.t1a2b3c4d@...), which proxies and B2BUAs keep; it also
 * ends every From tag, which a proxy keeps, topology hiding or not. A
 * request with neither mark (a scenario's own Request-URI and a B2BUA's
 * From tag, another agent's INVITE) is not taken for stray. */
bool uac_stray(const struct uac *uac, const struct sip_msg *msg)
{
	const struct pl *user = &msg->uri.user;

	if (!uac || !msg)
		return false;
	/* the token decides when there is one: ours or another's */
	if (user->l == 6 + strlen(uac->mark) &&
	    !strncmp(user->p, "siptap.t", 8))
		return foreign_mark(uac, user);

	return foreign_mark(uac, &msg->from.tag);
}


/* Its INVITEs name the mark in the Request-URI (sip:siptap.tXXXXXXXX@)
 * when they have no Request-URI of their own: a fixed UAS address that
 * the run's tests share tells its own test's INVITEs by it. */
void uac_set_token(struct uac *uac, bool token)
{
	uac->token = token;
}


int uac_retransmit(struct uac_call *call)
{
	return send_mb(call, &call->dst, call->tp, call->invite);
}


static bool collect_route(const struct sip_hdr *hdr,
			  const struct sip_msg *msg, void *arg)
{
	struct dialog *d = arg;
	struct sip_addr addr;

	if (d->routec >= MAX_ROUTES)
		return true;
	if (!sip_addr_decode(&addr, &hdr->val))
		d->routev[d->routec++] = addr.auri;

	return false;
}


/* What resp lacks for a request in its dialog (RFC 3261 12.1.2: the
 * remote target is its Contact, the remote tag its To tag), or NULL.
 * The UAC's errors name it: "no RSeq" for a missing Contact would send
 * a maintainer to the wrong header. */
const char *uac_dialog_lack(const struct sip_msg *resp)
{
	const struct sip_hdr *contact;
	struct sip_addr addr;

	if (!resp)
		return "no response";
	contact = sip_msg_hdr(resp, SIP_HDR_CONTACT);
	if (!contact)
		return "no Contact";
	if (sip_addr_decode(&addr, &contact->val))
		return "a Contact that is no SIP address";
	if (!pl_isset(&resp->to.tag))
		return "no To tag";

	return NULL;
}


/* The route set is the Record-Route of the response, reversed. */
static int dialog_from(struct dialog *d, const struct sip_msg *resp)
{
	const struct sip_hdr *contact;
	struct sip_addr addr;
	size_t i;

	memset(d, 0, sizeof(*d));

	/* what uac_dialog_lack() asks, the Contact decoded once */
	contact = resp ? sip_msg_hdr(resp, SIP_HDR_CONTACT) : NULL;
	if (!contact || sip_addr_decode(&addr, &contact->val) ||
	    !pl_isset(&resp->to.tag))
		return EPROTO;

	d->totag = resp->to.tag;
	d->ruri  = addr.auri;
	d->uri   = addr.uri;
	(void)sip_msg_hdr_apply(resp, true, SIP_HDR_RECORD_ROUTE,
				collect_route, d);
	for (i = 0; i < d->routec / 2; i++) {
		struct pl tmp = d->routev[i];

		d->routev[i] = d->routev[d->routec - 1 - i];
		d->routev[d->routec - 1 - i] = tmp;
	}

	return 0;
}


/* An in-dialog request (PRACK, ACK for a 2xx, BYE). */
static int dialog_request(struct uac_call *call, const struct sip_msg *resp,
			  const char *met, uint32_t cseq, const char *rack,
			  const struct uac_req_opts *o, bool once)
{
	struct dialog d;
	struct mbuf *mb;
	struct sa dst;
	enum sip_transp tp;
	char branch[48];
	size_t i;
	int err;

	err = dialog_from(&d, resp);
	if (err)
		return err;

	if (call->uac->flow) {
		dst = call->uac->target;
		tp  = call->uac->tp;
	}
	else {
		/* the Contact's URI as dialog_from() decoded it */
		err = d.routec ? next_hop(&d.routev[0], &dst, &tp)
			: uri_hop(&d.uri, &dst, &tp);
		if (err)
			return err;
	}

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	rand_token(branch, sizeof(branch), "z9hG4bK");
	err  = text_put(mb, met, " ", NULL);
	err |= text_put_pl(mb, &d.ruri);
	err |= text_put(mb, " SIP/2.0\r\n", NULL);
	err |= print_via(mb, call, tp, branch);
	err |= text_put(mb, "Max-Forwards: 70\r\n", NULL);
	for (i = 0; i < d.routec; i++) {
		err |= text_put(mb, "Route: <", NULL);
		err |= text_put_pl(mb, &d.routev[i]);
		err |= text_put(mb, ">\r\n", NULL);
	}
	err |= text_put(mb, "From: <", call->from, ">;tag=", call->ftag,
			"\r\nTo: <", call->to, ">;tag=", NULL);
	err |= text_put_pl(mb, &d.totag);
	err |= text_put(mb, "\r\nCall-ID: ", call->callid, "\r\nCSeq: ",
			NULL);
	err |= text_put_u32(mb, cseq);
	err |= text_put(mb, " ", met, "\r\n", NULL);
	if (rack)
		err |= text_put(mb, "RAck: ", rack, "\r\n", NULL);
	if (!strcmp(met, "UPDATE") || !strcmp(met, "INVITE"))
		err |= print_contact(mb, call);   /* target refreshes */
	if (o)
		err |= print_body(mb, o->xhdrv, o->xhdrc, o->ctype, o->body,
				  o->body_len);
	else
		err |= print_body(mb, NULL, 0, NULL, NULL, 0);
	if (!err)
		err = send_mb(call, &dst, tp, mb);
	if (!err && !strcmp(met, "ACK"))
		ack_keep(call, mb, &dst, tp, once, cseq);
	else if (!err)
		err = tx_start(call, mb, &dst, tp, met, cseq, branch, !once);
	if (!err && !strcmp(met, "PRACK")) {
		/* kept, to be sent again byte for byte (R-PRACK-3) */
		mem_deref(call->prack);
		call->prack = mem_ref(mb);
		call->prack_dst = dst;
		call->prack_tp = tp;
		call->prack_cseq = cseq;
	}

	mem_deref(mb);

	return err;
}


/* The latest PRACK again, the same bytes (same branch, CSeq and RAck):
 * the retransmission a UAC sends over UDP when no answer came (RFC 3261
 * 17.1.2.2). ENOENT when no PRACK was sent. */
int uac_prack_again(struct uac_call *call, uint32_t *cseqp)
{
	if (!call || !cseqp)
		return EINVAL;
	if (!call->prack)
		return ENOENT;

	*cseqp = call->prack_cseq;

	return send_mb(call, &call->prack_dst, call->prack_tp, call->prack);
}


int uac_prack(struct uac_call *call, const struct sip_msg *resp,
	      const struct uac_req_opts *o, uint32_t *cseqp)
{
	const struct sip_hdr *rseq;
	char rack[96];
	long rs, cs;

	if (!call || !resp || !o)
		return EINVAL;

	rseq = sip_msg_hdr(resp, SIP_HDR_RSEQ);
	if (!rseq && o->rseq < 0)
		return EPROTO;   /* not a reliable provisional */

	rs = o->rseq >= 0 ? o->rseq : (long)pl_u32(&rseq->val);
	cs = o->cseq >= 0 ? o->cseq : (long)resp->cseq.num;
	rack_txt(rack, sizeof(rack), rs, cs, o->method ? o->method : "INVITE");

	*cseqp = ++call->cseq;

	return dialog_request(call, resp, "PRACK", call->cseq, rack, o,
			      o->once);
}


int uac_bye(struct uac_call *call, const struct sip_msg *resp, bool once,
	    uint32_t *cseqp)
{
	if (!call || !resp)
		return EINVAL;

	*cseqp = ++call->cseq;

	return dialog_request(call, resp, "BYE", call->cseq, NULL, NULL,
			      once);
}


/* RFC 3261 17.1.1.3: the ACK of a non-2xx reuses the INVITE's branch
 * and goes where the INVITE went; the ACK of a 2xx is in the dialog. */
int uac_ack(struct uac_call *call, const struct sip_msg *final, bool once)
{
	struct mbuf *mb;
	int err;

	if (!call || !final)
		return EINVAL;

	/* the 2xx's CSeq: the INVITE's, or a re-INVITE's */
	if (final->scode < 300)
		return dialog_request(call, final, "ACK", final->cseq.num,
				      NULL, NULL, once);

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	err  = mbuf_printf(mb, "ACK %s SIP/2.0\r\n", call->ruri);
	err |= print_via(mb, call, call->tp, call->branch);
	err |= mbuf_printf(mb, "Max-Forwards: 70\r\n"
			   "From: <%s>;tag=%s\r\nTo: %r\r\n"
			   "Call-ID: %s\r\nCSeq: %u ACK\r\n"
			   "Content-Length: 0\r\n\r\n",
			   call->from, call->ftag, &final->to.val,
			   call->callid, call->invite_cseq);
	if (!err)
		err = send_mb(call, &call->dst, call->tp, mb);
	if (!err)
		ack_keep(call, mb, &call->dst, call->tp, once,
			 call->invite_cseq);

	mem_deref(mb);

	return err;
}


/* RFC 3261 9.1: same branch, Request-URI, To as the INVITE. Another
 * branch makes a CANCEL that matches no transaction (9.2: 481). */
int uac_cancel(struct uac_call *call, const char *branch, bool once)
{
	struct mbuf *mb;
	int err;

	if (!call)
		return EINVAL;

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	err  = mbuf_printf(mb, "CANCEL %s SIP/2.0\r\n", call->ruri);
	err |= print_via(mb, call, call->tp, branch ? branch : call->branch);
	err |= mbuf_printf(mb, "Max-Forwards: 70\r\n"
			   "From: <%s>;tag=%s\r\nTo: <%s>%s%s\r\n"
			   "Call-ID: %s\r\nCSeq: %u CANCEL\r\n"
			   "Content-Length: 0\r\n\r\n",
			   call->from, call->ftag, call->to,
			   call->to_tag ? ";tag=" : "",
			   call->to_tag ? call->to_tag : "", call->callid,
			   call->invite_cseq);
	if (!err)
		err = send_mb(call, &call->dst, call->tp, mb);
	if (!err)
		err = tx_start(call, mb, &call->dst, call->tp, "CANCEL",
			       call->invite_cseq,
			       branch ? branch : call->branch, !once);

	mem_deref(mb);

	return err;
}


int uac_send_raw(struct uac *uac, enum sip_transp tp, const struct sa *dst,
		 const uint8_t *p, size_t len)
{
	struct mbuf *mb;
	int err;

	if (!uac || !p)
		return EINVAL;

	mb = mbuf_alloc(len ? len : 1);
	if (!mb)
		return ENOMEM;

	err = mbuf_write_mem(mb, p, len);
	if (!err)
		err = send_on(uac, dst ? dst : &uac->target, tp, mb);
	mem_deref(mb);

	return err;
}


const char *uac_call_id(const struct uac_call *call)
{
	return call->callid;
}


uint32_t uac_call_invite_cseq(const struct uac_call *call)
{
	return call->invite_cseq;
}


/* The INVITE as sent, for an error that says what it asked for. */
const struct mbuf *uac_call_invite(const struct uac_call *call)
{
	return call->invite;
}


const struct sa *uac_target(const struct uac *uac)
{
	return &uac->target;
}


/* --- the early and confirmed dialog (issue 19) ----------------------- */

/* UPDATE, INFO or a re-INVITE in the dialog resp made (its offer, if
 * any, in o->body). */
int uac_dialog_req(struct uac_call *call, const struct sip_msg *resp,
		   const char *met, const struct uac_req_opts *o,
		   uint32_t *cseqp)
{
	if (!call || !resp || !met || !cseqp)
		return EINVAL;

	*cseqp = ++call->cseq;

	return dialog_request(call, resp, met, call->cseq, NULL, o,
			      o ? o->once : false);
}


/* The far end's next request of method met in this call gets scode
 * instead of the usual answer (491: a glare the scenario makes). */
int uac_refuse(struct uac_call *call, const char *met, uint16_t scode)
{
	if (!call || !met || str_len(met) >= sizeof(call->refuse_met))
		return EINVAL;

	str_ncpy(call->refuse_met, met, sizeof(call->refuse_met));
	call->refuse_scode = scode;

	return 0;
}


static struct uac_call *call_by_id(const struct uac *uac,
				   const struct pl *callid)
{
	struct le *le;

	for (le = uac->calls.head; le; le = le->next) {
		struct uac_call *call = le->data;

		if (!pl_strcmp(callid, call->callid))
			return call;
	}

	return NULL;
}


/* A 2xx to a re-INVITE is ours to send again until the ACK (RFC 3261
 * 13.3.1.4): libre's server transaction sends it once. */
static int dialog_reply(struct uac_call *call, const struct sip_msg *msg,
			uint16_t scode, const char *reason, const char *sdp)
{
	const bool invite = !pl_strcmp(&msg->met, "INVITE");
	struct mbuf *mb = mbuf_alloc(512), *resp = NULL;
	int err = 0;

	if (!mb)
		return ENOMEM;
	if (scode < 300 && (invite || !pl_strcmp(&msg->met, "UPDATE")))
		err = print_contact(mb, call);   /* target refreshes */
	if (scode == 500 || scode == 491)
		err |= mbuf_printf(mb, "Retry-After: 1\r\n");
	/* over siptap's WebSocket down the connection, as ws_reply(); the
	 * 2xx to a re-INVITE is sent once there (a reliable transport) */
	if (!err && over_ws(msg))
		err = ws_reply_sdp(call->uac, msg, scode, reason, mb, sdp);
	else if (!err)
		err = sdpgen_treply(call->uac->sip, msg, scode, reason, mb,
				    sdp, invite && scode < 300 ? &resp : NULL);
	if (!err && resp)
		err = okretx_start(&call->okretx, call->uac->sip, msg, resp,
				   uac_t1(call->uac));
	mem_deref(resp);
	mem_deref(mb);

	return err;
}


/* The far end's re-INVITE (RFC 3261 14.2, RFC 3264 8): its offer
 * answered in the 200, or none: the 200 offers (libre's offer from our
 * address), the ACK answers. */
static int reinvite_sdp(struct uac_call *call, const char *offer, char **sdpp)
{
	struct sa laddr;
	int err = laddr_get(call, &laddr);

	if (err)
		return err;
	if (offer)
		return sdpgen_answer(sdpp, &laddr, NULL, offer, strlen(offer));

	return sdpgen_offer(sdpp, &laddr, NULL);
}


/* The ACK of our 2xx to a re-INVITE: its retransmissions stop */
static void uac_ack_take(struct uac *uac, const struct sip_msg *msg)
{
	struct uac_call *call = call_by_id(uac, &msg->callid);

	if (call)
		(void)okretx_ack(call->okretx, msg);
}


/* UPDATE, INFO and re-INVITE of the far end in one of our calls: 200,
 * an offer answered (libre's answer: the formats both have), a
 * re-INVITE without one offered to, or what call:refuse() asked for
 * once. False: not one of ours. */
static bool uac_dialog_answer(struct uac *uac, const struct sip_msg *msg)
{
	const bool invite = !pl_strcmp(&msg->met, "INVITE");
	struct uac_call *call;
	char *offer = NULL, *sdp = NULL;

	if (pl_strcmp(&msg->met, "UPDATE") && pl_strcmp(&msg->met, "INFO") &&
	    !(invite && pl_isset(&msg->to.tag)))
		return false;
	call = call_by_id(uac, &msg->callid);
	if (!call)
		return false;

	if (call->refuse_scode && !pl_strcmp(&msg->met, call->refuse_met)) {
		const uint16_t scode = call->refuse_scode;

		call->refuse_scode = 0;
		(void)dialog_reply(call, msg, scode, scode == 491 ?
				   "Request Pending" : "Refused", NULL);
		return true;
	}

	if ((invite || !pl_strcmp(&msg->met, "UPDATE")) &&
	    msg_ctype_cmp(&msg->ctyp, "application", "sdp") &&
	    mbuf_get_left(msg->mb))
		(void)mbuf_strdup(msg->mb, &offer, mbuf_get_left(msg->mb));
	if (invite || offer)
		(void)reinvite_sdp(call, offer, &sdp);

	(void)dialog_reply(call, msg, 200, "OK", sdp);
	mem_deref(offer);
	mem_deref(sdp);

	return true;
}


/* The ACK of a 2xx in the dialog dlg made (the INVITE's 2xx: its route
 * set; a re-INVITE's 2xx need not repeat the Record-Route, RFC 3261
 * 12.2.1.1), with CSeq cseq and, in o->body, the answer to an offer the
 * 2xx made (RFC 3264 5). */
int uac_ack_dialog(struct uac_call *call, const struct sip_msg *dlg,
		   uint32_t cseq, const struct uac_req_opts *o)
{
	if (!call || !dlg)
		return EINVAL;
	if (dlg->scode >= 300)
		return EPROTO;

	return dialog_request(call, dlg, "ACK", cseq, NULL, o, o ? o->once : false);
}
