/**
 * @file uac.c  The UAC a scenario drives: INVITE, PRACK, ACK, CANCEL, BYE
 */
#include <string.h>
#include <re.h>
#include "progress.h"
#include "uac.h"
#include "wire.h"
#include "sizes.h"
#include "ws.h"
#include "sdp.h"


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
	struct list calls;
	struct sa ws_laddr;      /* the WebSocket listener (uac_set_ws)  */
	struct list bindings;    /* WebSocket clients that registered    */
};

/* A WebSocket client's REGISTER, as an edge proxy keeps it: its AOR's
 * user and the connection it came over (RFC 7118 5, RFC 5626). */
struct binding {
	struct le le;
	char *user;
	struct sa paddr;
	enum sip_transp tp;
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
};

/* What a response tells about the dialog it creates (RFC 3261 12.1.2) */
struct dialog {
	struct pl totag;
	struct pl ruri;            /* the remote Contact */
	struct pl routev[MAX_ROUTES];
	size_t routec;
};


static void call_destructor(void *arg)
{
	struct uac_call *call = arg;

	list_unlink(&call->le);
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
static void ws_reply(struct uac *uac, const struct sip_msg *msg,
		     uint16_t scode, const char *reason, const char *fmt,
		     ...)
{
	const struct sip_hdr *cseq = sip_msg_hdr(msg, SIP_HDR_CSEQ);
	struct mbuf *mb = mbuf_alloc(512);
	va_list ap;
	int err;

	if (!mb || !cseq) {
		mem_deref(mb);
		return;
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
	va_start(ap, fmt);
	err |= mbuf_vprintf(mb, fmt, ap);
	va_end(ap);
	err |= mbuf_printf(mb, "Content-Length: 0\r\n\r\n");
	if (!err) {
		mb->pos = 0;
		(void)sip_send(uac->sip, NULL, msg->tp, &msg->src, mb);
	}
	mem_deref(mb);
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


static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct uac *uac = arg;

	wire_nodelay(msg);
	if (!pl_strcmp(&msg->met, "ACK"))
		return true;
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


/* Responses are read from the wire; this only tells libre they were
 * expected, so it does not report them as unhandled. */
static bool response_handler(const struct sip_msg *msg, void *arg)
{
	(void)arg;
	wire_nodelay(msg);

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

	(void)re_snprintf(uac->mark, sizeof(uac->mark), ".t%08x",
			  rand_u32());
	uac->sip    = sip;
	uac->tp     = tp;
	uac->target = *target;

	err  = sip_listen(&uac->lsnr, sip, true, request_handler, uac);
	err |= sip_listen(&uac->rsp_lsnr, sip, false, response_handler, uac);
	if (err)
		mem_deref(uac);
	else
		*uacp = uac;

	return err;
}


static void rand_token(char *buf, size_t sz, const char *prefix)
{
	(void)re_snprintf(buf, sz, "%s%08x%08x", prefix, rand_u32(),
			  rand_u32());
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
static int next_hop(const struct pl *uri_pl, struct sa *dst,
		    enum sip_transp *tp)
{
	struct uri uri;
	struct pl pl = *uri_pl, val;
	int err;

	err = uri_decode(&uri, &pl);
	if (err)
		return err;

	*tp = SIP_TRANSP_UDP;
	if (!msg_param_decode(&uri.params, "transport", &val)) {
		if (!pl_strcasecmp(&val, "tcp"))
			*tp = SIP_TRANSP_TCP;
		else if (!pl_strcasecmp(&val, "tls"))
			*tp = SIP_TRANSP_TLS;
		else if (!pl_strcasecmp(&val, "ws"))
			*tp = SIP_TRANSP_WS;
		else if (!pl_strcasecmp(&val, "wss"))
			*tp = SIP_TRANSP_WSS;
	}

	return sa_set(dst, &uri.host,
		      uri.port ? uri.port : sip_transp_port(*tp, 0));
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
	return sip_send(uac->sip, NULL, ws_stream_transp(tp), dst, mb);
}


static int send_mb(struct uac_call *call, const struct sa *dst,
		   enum sip_transp tp, struct mbuf *mb)
{
	return send_on(call->uac, dst, tp, mb);
}


static int print_via(struct mbuf *mb, const struct uac_call *call,
		     enum sip_transp tp, const char *branch)
{
	struct sa laddr;
	int err;

	err = laddr_get(call, &laddr);
	if (err)
		return err;

	return mbuf_printf(mb, "Via: SIP/2.0/%s %J;branch=%s;rport\r\n",
			   sip_transp_name(tp), &laddr, branch);
}


static int print_body(struct mbuf *mb, const char *const *xhdrv,
		      size_t xhdrc, const char *ctype, const char *body,
		      size_t blen)
{
	size_t i;
	int err = 0;

	for (i = 0; i < xhdrc; i++)
		err |= mbuf_printf(mb, "%s\r\n", xhdrv[i]);
	if (body)
		err |= mbuf_printf(mb, "Content-Type: %s\r\n",
				   ctype ? ctype : "application/sdp");
	err |= mbuf_printf(mb, "Content-Length: %zu\r\n\r\n",
			   body ? blen : 0);
	if (body)
		err |= mbuf_write_mem(mb, (const uint8_t *)body, blen);

	return err;
}


static int print_contact(struct mbuf *mb, const struct uac_call *call)
{
	struct sa laddr;
	int err;

	err = laddr_get(call, &laddr);
	if (err)
		return err;

	/* sip_transp_param(): ";transport=tcp", or "" for UDP */
	return mbuf_printf(mb, "Contact: <sip:uac@%J%s>\r\n", &laddr,
			   sip_transp_param(call->tp));
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
	(void)re_snprintf(call->ftag, sizeof(call->ftag), "%08x%08x%s",
			  rand_u32(), rand_u32(), uac->mark);
	rand_token(call->branch, sizeof(call->branch), "z9hG4bK");
	list_append(&uac->calls, &call->le, call);

	err = laddr_get(call, &laddr);
	if (err)
		goto out;

	err  = o->ruri ? str_dup(&call->ruri, o->ruri)
		: uac->uri ? str_dup(&call->ruri, uac->uri)
		: re_sdprintf(&call->ruri, "sip:siptap@%J%s", &uac->target,
			      sip_transp_param(uac->tp));
	err |= str_dup(&call->to, o->to ? o->to : call->ruri);
	if (o->to_tag)
		err |= str_dup(&call->to_tag, o->to_tag);
	err |= o->from ? str_dup(&call->from, o->from)
		: re_sdprintf(&call->from, "sip:uac@%J", &laddr);
	if (err)
		goto out;

	call->invite = mb = mbuf_alloc(1024);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}

	err  = mbuf_printf(mb, "INVITE %s SIP/2.0\r\n", call->ruri);
	err |= print_via(mb, call, call->tp, call->branch);
	err |= mbuf_printf(mb, "Max-Forwards: 70\r\n"
			   "From: <%s>;tag=%s\r\nTo: <%s>%s%s\r\n"
			   "Call-ID: %s\r\nCSeq: %u INVITE\r\n",
			   call->from, call->ftag, call->to,
			   call->to_tag ? ";tag=" : "",
			   call->to_tag ? call->to_tag : "", call->callid,
			   call->cseq);
	err |= print_contact(mb, call);
	if (o->supported)
		err |= mbuf_printf(mb, "Supported: %s\r\n", o->supported);
	if (o->require)
		err |= mbuf_printf(mb, "Require: %s\r\n", o->require);
	err |= print_body(mb, o->xhdrv, o->xhdrc, o->ctype, o->body,
			  o->body_len);
	if (err)
		goto out;

	err = send_mb(call, &call->dst, call->tp, mb);

 out:
	if (err)
		mem_deref(call);
	else
		*callp = call;

	return err;
}


/* Is ftag the From tag of an INVITE another UAC sent: another test's,
 * or another run's? Each UAC ends its From tags with its own random
 * mark (".t" and 8 hex digits), which a proxy keeps, topology hiding or
 * not; a tag without such a mark (a B2BUA's) is not taken for stale. */
bool uac_stale_tag(const struct uac *uac, const struct pl *ftag)
{
	const size_t n = strlen(uac->mark);
	const char *p;

	if (!ftag || ftag->l <= n)
		return false;
	p = ftag->p + ftag->l - n;
	if (p[0] != '.' || p[1] != 't')
		return false;

	return memcmp(p, uac->mark, n) != 0;
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

	if (uac_dialog_lack(resp))
		return EPROTO;
	contact = sip_msg_hdr(resp, SIP_HDR_CONTACT);
	if (!contact || sip_addr_decode(&addr, &contact->val))
		return EPROTO;

	d->totag = resp->to.tag;
	d->ruri  = addr.auri;
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
			  const struct uac_req_opts *o)
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
		err = next_hop(d.routec ? &d.routev[0] : &d.ruri, &dst, &tp);
		if (err)
			return err;
	}

	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;

	rand_token(branch, sizeof(branch), "z9hG4bK");
	err  = mbuf_printf(mb, "%s %r SIP/2.0\r\n", met, &d.ruri);
	err |= print_via(mb, call, tp, branch);
	err |= mbuf_printf(mb, "Max-Forwards: 70\r\n");
	for (i = 0; i < d.routec; i++)
		err |= mbuf_printf(mb, "Route: <%r>\r\n", &d.routev[i]);
	err |= mbuf_printf(mb, "From: <%s>;tag=%s\r\nTo: <%s>;tag=%r\r\n"
			   "Call-ID: %s\r\nCSeq: %u %s\r\n",
			   call->from, call->ftag, call->to, &d.totag,
			   call->callid, cseq, met);
	if (rack)
		err |= mbuf_printf(mb, "RAck: %s\r\n", rack);
	if (!strcmp(met, "UPDATE") || !strcmp(met, "INVITE"))
		err |= print_contact(mb, call);   /* target refreshes */
	if (o)
		err |= print_body(mb, o->xhdrv, o->xhdrc, o->ctype, o->body,
				  o->body_len);
	else
		err |= print_body(mb, NULL, 0, NULL, NULL, 0);
	if (!err)
		err = send_mb(call, &dst, tp, mb);
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
	(void)re_snprintf(rack, sizeof(rack), "%ld %ld %s", rs, cs,
			  o->method ? o->method : "INVITE");

	*cseqp = ++call->cseq;

	return dialog_request(call, resp, "PRACK", call->cseq, rack, o);
}


int uac_bye(struct uac_call *call, const struct sip_msg *resp,
	    uint32_t *cseqp)
{
	if (!call || !resp)
		return EINVAL;

	*cseqp = ++call->cseq;

	return dialog_request(call, resp, "BYE", call->cseq, NULL, NULL);
}


/* RFC 3261 17.1.1.3: the ACK of a non-2xx reuses the INVITE's branch
 * and goes where the INVITE went; the ACK of a 2xx is in the dialog. */
int uac_ack(struct uac_call *call, const struct sip_msg *final)
{
	struct mbuf *mb;
	int err;

	if (!call || !final)
		return EINVAL;

	/* the 2xx's CSeq: the INVITE's, or a re-INVITE's */
	if (final->scode < 300)
		return dialog_request(call, final, "ACK", final->cseq.num,
				      NULL, NULL);

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

	mem_deref(mb);

	return err;
}


/* RFC 3261 9.1: same branch, Request-URI, To as the INVITE. Another
 * branch makes a CANCEL that matches no transaction (9.2: 481). */
int uac_cancel(struct uac_call *call, const char *branch)
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

	return dialog_request(call, resp, met, call->cseq, NULL, o);
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


static int dialog_reply(struct uac_call *call, const struct sip_msg *msg,
			uint16_t scode, const char *reason, const char *sdp)
{
	struct mbuf *mb = mbuf_alloc(512);
	int err = 0;

	if (!mb)
		return ENOMEM;
	if (scode < 300 && !pl_strcmp(&msg->met, "UPDATE"))
		err = print_contact(mb, call);
	if (scode == 500 || scode == 491)
		err |= mbuf_printf(mb, "Retry-After: 1\r\n");
	if (!err)
		err = sdpgen_treply(call->uac->sip, msg, scode, reason, mb,
				    sdp);
	mem_deref(mb);

	return err;
}


/* UPDATE and INFO of the far end in one of our calls: 200,
 * an offer answered (libre's answer: the formats both have), or what
 * call:refuse() asked for once. False: not one of ours. */
static bool uac_dialog_answer(struct uac *uac, const struct sip_msg *msg)
{
	struct uac_call *call;
	char *offer = NULL, *sdp = NULL;
	struct sa laddr;

	/* a re-INVITE would want our ACK: not taken (501) */
	if (pl_strcmp(&msg->met, "UPDATE") && pl_strcmp(&msg->met, "INFO"))
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

	if (!pl_strcmp(&msg->met, "UPDATE") &&
	    msg_ctype_cmp(&msg->ctyp, "application", "sdp") &&
	    mbuf_get_left(msg->mb) && !laddr_get(call, &laddr) &&
	    !mbuf_strdup(msg->mb, &offer, mbuf_get_left(msg->mb)))
		(void)sdpgen_answer(&sdp, &laddr, NULL, offer, strlen(offer));

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

	return dialog_request(call, dlg, "ACK", cseq, NULL, o);
}
