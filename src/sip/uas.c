/**
 * @file uas.c  The reference UAS: progress(), 100rel, accept, reject
 *
 * One struct uas per test listens on its own sip instance. Each INVITE
 * becomes a struct uas_call that the scenario takes with incoming().
 * Responses are formatted here, so the bytes on the wire are exactly
 * what conformance.md says, and sent through libre's server transaction
 * (which also answers a retransmitted INVITE with the latest response,
 * P-RETX-1). Reliable provisionals (RFC 3262) are ours: RSeq, the
 * T1-doubling retransmission, PRACK matching, and the queue that holds
 * back a second reliable provisional (R-ONE-1) or a 2xx (R-FINAL-1)
 * until the PRACK comes.
 */
#define _GNU_SOURCE 1  /* memmem() */
#include <string.h>
#include <re.h>
#include "progress.h"
#include "sdp.h"
#include "webrtc.h"
#include "fault.h"
#include "uas.h"
#include "ws.h"
#include "text.h"
#include "wire.h"
#include "sizes.h"
#include "okretx.h"


struct uas {
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct sip_lsnr *rsp_lsnr;  /* copies of a 2xx to our re-INVITE   */
	struct list calls;
	struct list replays;    /* answered PRACKs and BYEs (struct replay) */
	struct uas_conf conf;
	bool webrtc;            /* its offers are WebRTC ones */
	uas_stray_h *strayh;    /* another test's INVITE? (uas_set_stray) */
	void *stray_arg;
};

/* A request of our own in the dialog (uas_request): UPDATE, INFO, BYE,
 * re-INVITE */
struct dlgreq {
	struct uas_call *call;     /* the call owns it: no reference      */
	struct sip_request *req;
	struct sip_request *ack;   /* a re-INVITE's ACK of its 2xx         */
	char met[16];
	char *body;                /* the offer, or NULL                   */
	char *ctype;               /* not SDP: its Content-Type            */
	char *xhdrs;               /* extra header lines, CRLF each        */
	uint32_t cseq;             /* of the latest copy sent              */
	uint16_t scode;            /* its final response; 0: none yet      */
	int err;                   /* no final response at all             */
	bool retried;              /* sent again after a 491, once         */
	bool done;
	struct tmr tmr;            /* the 491 back-off                     */
};

/* A formatted response, sent now or held in the queue. */
struct resp {
	struct le le;
	struct mbuf *mb;
	uint16_t scode;
	bool reliable;
	uint32_t rseq;
	bool has_sdp;
	bool acked;
};

/* A PRACK or BYE answered over UDP, for its retransmissions, or an
 * INVITE accepted and ACKed (no response: its copies are absorbed):
 * what libre's server transaction would keep of it, less the decoded
 * request (about 3 KB with its headers and datagram) */
struct replay {
	struct le le;
	struct tmr tmr;            /* Timer J                             */
	struct mbuf *mb;           /* the response, as sent               */
	struct sa dst;
	void *sock;
	enum sip_transp tp;
	uint64_t tag;              /* libre's To tag of the request       */
	uint32_t cseq;
	struct pl branch, sentby, met, callid, ftag, ruri;  /* in s[]    */
	char s[];
};

/* Where the dialog's offer/answer stands (RFC 3264, RFC 3311 5.2) */
enum oa {
	OA_IDLE = 0,             /* no offer open                        */
	OA_REMOTE,               /* the peer's offer awaits our answer   */
	OA_LOCAL,                /* our offer awaits the peer's answer   */
};

struct uas_call {
	struct le le;
	struct uas *uas;
	struct sip_msg *invite;  /* NULL once let go at the ACK: inv_msg() */
	struct mbuf *inv_mb;     /* its bytes, where the slices below point */
	size_t inv_off;          /* its start line in inv_mb (UDP)         */
	struct pl callid;        /* the INVITE's, in inv_mb                */
	struct pl cseq_met;
	uint32_t cseq;
	void *sock;              /* where it came: what libre set          */
	enum sip_transp tp;
	struct sa src, ldst;
	uint64_t inv_tag;
	struct sip_strans *st;
	struct sip_strans *st_acc;  /* libre's, Accepted after our 2xx  */
	uint64_t acc_at;            /* tmr_jiffies() of that 2xx         */
	struct sa dst;
	char totag[24];
	enum uas_state state;
	bool taken;
	bool peer_requires;      /* Require: 100rel     */
	bool peer_supports;      /* Supported: 100rel   */
	char *remote_offer;      /* SDP of the INVITE   */
	char *local_sdp;         /* the SDP we sent     */
	size_t local_sdp_len;    /* a body is bytes: NULs included */
	uint32_t next_rseq;
	unsigned rel_count;      /* reliable provisionals formatted      */
	struct list sent_rel;    /* reliable provisionals sent (struct resp) */
	struct resp *unacked;    /* the one waiting for its PRACK           */
	struct resp *retx;       /* the one being retransmitted             */
	struct list queue;       /* held back until the PRACK               */
	struct tmr rel_tmr;
	struct tmr refresh_tmr;  /* P-LONG-1                                */
	struct resp *last_prov;  /* the latest non-100 provisional sent     */
	uint64_t rel_interval;
	uint64_t rel_deadline;   /* tmr_jiffies() of R-TIMEOUT-1 */
	struct mbuf *final_mb;   /* 2xx, retransmitted until ACK            */
	struct tmr final_tmr;
	uint32_t final_interval;
	uint32_t final_elapsed;
	enum oa oa;              /* the offer/answer now                 */
	bool oa_started;         /* an SDP went either way already       */
	bool rel_sent;           /* a reliable provisional went out      */
	struct dlgreq *req;      /* our own request in the dialog, or NULL */
	uint32_t lcseq;          /* our CSeq in the dialog               */
	struct okretx *okretx;   /* our 2xx to a re-INVITE, until its ACK */
};


static int send_response(struct uas_call *call, struct resp *r);
static bool response_handler(const struct sip_msg *msg, void *arg);
static void oa_sent(struct uas_call *call);
static void offer_answered(struct uas_call *call, const struct sip_msg *msg);
static void set_local_sdp(struct uas_call *call, const char *sdp,
			  size_t len);
static void refresh_start(struct uas_call *call, struct resp *r);
static bool queue_busy(const struct uas_call *call);

/* Is this fault switched on for the call's UAS? (--uas-fault) */
#define FAULT(call, f) fault_on((call)->uas->conf.faults, FAULT_##f)
#define UAS_FAULT(uas, f) fault_on((uas)->conf.faults, FAULT_##f)


static void resp_destructor(void *arg)
{
	struct resp *r = arg;

	list_unlink(&r->le);
	mem_deref(r->mb);
}


static void call_destructor(void *arg)
{
	struct uas_call *call = arg;

	tmr_cancel(&call->rel_tmr);
	tmr_cancel(&call->final_tmr);
	tmr_cancel(&call->refresh_tmr);
	mem_deref(call->last_prov);
	list_flush(&call->queue);
	list_flush(&call->sent_rel);
	list_unlink(&call->le);
	mem_deref(call->st);
	mem_deref(call->invite);
	mem_deref(call->inv_mb);
	mem_deref(call->sock);
	mem_deref(call->remote_offer);
	mem_deref(call->local_sdp);
	mem_deref(call->final_mb);
	mem_deref(call->req);
	mem_deref(call->okretx);
}


static void uas_destructor(void *arg)
{
	struct uas *uas = arg;
	struct le *le;

	/* The list holds the first reference of each call; the Lua
	 * objects that held the others are gone before the uas is. */
	while ((le = uas->calls.head)) {
		struct uas_call *call = le->data;

		list_unlink(&call->le);
		tmr_cancel(&call->rel_tmr);
		tmr_cancel(&call->final_tmr);
		tmr_cancel(&call->refresh_tmr);
		call->okretx = mem_deref(call->okretx);
		mem_deref(call);
	}
	list_flush(&uas->replays);
	mem_deref(uas->lsnr);
	mem_deref(uas->rsp_lsnr);
}


/* The INVITE, decoded: after the ACK from its bytes again, for what
 * needs more than the slices the call keeps (a request of ours in the
 * dialog, its headers asked for), and kept for the rest of the call.
 * NULL only without memory. */
static const struct sip_msg *inv_msg(const struct uas_call *call)
{
	struct uas_call *c = (struct uas_call *)call;   /* a cache */
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	int err;

	if (call->invite || !call->inv_mb)
		return call->invite;

	mb = mbuf_alloc_ref(call->inv_mb);
	if (!mb)
		return NULL;
	mb->pos = call->inv_off;
	err = sip_msg_decode(&msg, mb);
	mem_deref(mb);
	if (err)
		return NULL;
	/* what libre's transport set on it */
	msg->sock = mem_ref(call->sock);
	msg->tp   = call->tp;
	msg->src  = call->src;
	msg->dst  = call->ldst;
	msg->tag  = call->inv_tag;
	c->invite = msg;

	return msg;
}


static struct uas_call *call_find(const struct uas *uas,
				  const struct sip_msg *msg)
{
	struct le *le;

	for (le = uas->calls.head; le; le = le->next) {
		struct uas_call *call = le->data;

		if (pl_cmp(&call->callid, &msg->callid))
			continue;
		if (pl_strcmp(&msg->to.tag, call->totag))
			continue;
		return call;
	}

	return NULL;
}


static bool is_sdp(const struct sip_msg *msg)
{
	return msg_ctype_cmp(&msg->ctyp, "application", "sdp") &&
		mbuf_get_left(msg->mb) > 0;
}


/* --- formatting ----------------------------------------------------- */

static bool print_hdr(const struct sip_hdr *hdr, const struct sip_msg *msg,
		      void *arg)
{
	struct mbuf *mb = arg;

	(void)text_put_pl(mb, &hdr->name);
	(void)text_put(mb, ": ", NULL);
	(void)text_put_pl(mb, &hdr->val);
	(void)text_put(mb, "\r\n", NULL);

	return false;
}


/* Our address on the INVITE's transport, as its sender reaches us */
static int call_laddr(const struct uas_call *call, struct sa *laddr)
{
	return sip_transp_laddr(call->uas->sip, laddr, call->tp, &call->src);
}


static int print_contact(struct mbuf *mb, const struct uas_call *call)
{
	enum sip_transp tp = ws_transp(call->tp, &call->ldst, &call->src);
	char hp[TEXT_HOSTPORT_SZ];
	struct sa laddr;
	int err;

	/* a WebSocket client's Contact, as it registered it: the edge
	 * reaches it over its connection only (RFC 7118 5.2.3) */
	if (tp == SIP_TRANSP_WS || tp == SIP_TRANSP_WSS)
		return mbuf_printf(mb, "Contact: <sip:siptap@siptap-uas.invalid"
				   "%s>\r\n", sip_transp_param(tp));

	err = call_laddr(call, &laddr);
	if (err)
		return err;

	/* "%J" as libre prints it; then sip_transp_param():
	 * ";transport=tcp", or "" for UDP */
	return text_put(mb, "Contact: <sip:siptap@", text_hostport(hp, &laddr),
			sip_transp_param(call->tp), ">\r\n", NULL);
}


/* The headers every response copies from the INVITE (P-COPY-1, P-TAG-1,
 * P-DLG-1), in the order RFC 3261 prints them. */
static int print_head(struct mbuf *mb, const struct uas_call *call,
		      uint16_t scode, const char *reason)
{
	const struct sip_msg *inv = inv_msg(call);
	const struct sip_hdr *ts;
	int err;

	if (!inv)
		return ENOMEM;

	err  = text_put(mb, "SIP/2.0 ", NULL);
	err |= text_put_u32(mb, scode);
	/* no reason (a noAnswerTimeout's 480): none, as "%s" printed it */
	err |= text_put(mb, " ", reason ? reason : "", "\r\n", NULL);
	if (FAULT(call, VIA_DROPPED))
		(void)print_hdr(sip_msg_hdr(inv, SIP_HDR_VIA), inv, mb);
	else
		(void)sip_msg_hdr_apply(inv, true, SIP_HDR_VIA, print_hdr, mb);
	if (scode > 100 && scode < 300 && !FAULT(call, NO_RECORD_ROUTE))
		(void)sip_msg_hdr_apply(inv, true, SIP_HDR_RECORD_ROUTE,
					print_hdr, mb);
	err |= text_put(mb, "From: ", NULL);
	err |= text_put_pl(mb, &inv->from.val);
	err |= text_put(mb, "\r\nTo: ", NULL);
	err |= text_put_pl(mb, &inv->to.val);
	if (scode > 100 && !pl_isset(&inv->to.tag) && !FAULT(call, NO_TO_TAG))
		err |= text_put(mb, ";tag=", call->totag,
				scode >= 200 && FAULT(call, NEW_TAG_FINAL)
				? "f" : "", NULL);
	err |= text_put(mb, "\r\nCall-ID: ", NULL);
	err |= text_put_pl(mb, &inv->callid);
	err |= text_put(mb, "\r\nCSeq: ", NULL);
	err |= text_put_u32(mb, inv->cseq.num);
	err |= text_put(mb, " ", NULL);
	err |= text_put_pl(mb, &inv->cseq.met);
	err |= text_put(mb, "\r\n", NULL);

	ts = sip_msg_hdr(inv, SIP_HDR_TIMESTAMP);
	if (scode == 100 && ts && !FAULT(call, TRYING_RELIABLE))
		err |= mbuf_printf(mb, "Timestamp: %r\r\n", &ts->val);
	if (scode > 100 && scode < 300 &&
	    !(scode < 200 && FAULT(call, NO_CONTACT)))
		err |= print_contact(mb, call);

	return err;
}


/* The PROGRESS_OWN_ bits of what print_head(), uas_progress() and
 * print_tail() write into a response: the headers extraHeaders may not
 * add a second time. */
unsigned uas_own_hdrs(uint16_t scode, bool reliable, bool body)
{
	unsigned own = PROGRESS_OWN_VIA | PROGRESS_OWN_FROM | PROGRESS_OWN_TO |
		PROGRESS_OWN_CALLID | PROGRESS_OWN_CSEQ | PROGRESS_OWN_CLEN;

	if (scode > 100 && scode < 300)
		own |= PROGRESS_OWN_CONTACT;
	if (body)
		own |= PROGRESS_OWN_CTYPE;
	if (reliable)
		own |= PROGRESS_OWN_REQUIRE | PROGRESS_OWN_RSEQ;

	return own;
}


static int print_clen(struct mbuf *mb, size_t n)
{
	int err;

	err  = text_put(mb, "Content-Length: ", NULL);
	err |= text_put_u32(mb, (uint32_t)n);
	err |= text_put(mb, "\r\n", NULL);

	return err;
}


static int print_tail(struct mbuf *mb, const struct uas_call *call,
		      const char *const *xhdrv, size_t xhdrc,
		      const char *ctype, const char *body, size_t blen)
{
	size_t i;
	int err = 0;

	if (xhdrc && FAULT(call, EXTRA_HEADER_DROPPED))
		--xhdrc;
	for (i = 0; i < xhdrc; i++) {
		err |= text_put(mb, xhdrv[i], "\r\n", NULL);
		if (FAULT(call, EXTRA_HEADER_TWICE))
			err |= text_put(mb, xhdrv[i], "\r\n", NULL);
	}
	if (body && !FAULT(call, NO_CONTENT_TYPE))
		err |= text_put(mb, "Content-Type: ",
				ctype ? ctype : "application/sdp", "\r\n",
				NULL);
	if (!FAULT(call, WRONG_CONTENT_LENGTH))
		err |= print_clen(mb, body ? blen : 0);
	else if (body && blen)
		err |= print_clen(mb, blen - 1);
	err |= text_put(mb, "\r\n", NULL);
	if (body)
		err |= mbuf_write_mem(mb, (const uint8_t *)body, blen);

	return err;
}


/* A response the call keeps (its retransmissions), sent again: the
 * wire keeps a reference to it, not a copy (wire_sending) */
static void resp_send(struct uas_call *call, struct mbuf *mb)
{
	mb->pos = 0;
	wire_sending(mb);
	(void)sip_send(call->uas->sip, call->sock, call->tp, &call->dst, mb);
	wire_sending(NULL);
}


static int resp_alloc(struct resp **rp, uint16_t scode)
{
	struct resp *r = mem_zalloc(sizeof(*r), resp_destructor);

	if (!r)
		return ENOMEM;

	r->mb = mbuf_alloc(512);
	if (!r->mb) {
		mem_deref(r);
		return ENOMEM;
	}
	r->scode = scode;
	*rp = r;

	return 0;
}


/* --- PRACK and BYE: their answers kept for retransmissions ---------- */

/* libre's server transaction keeps a non-INVITE request's decoded
 * message for Timer J (64*T1 over UDP: the whole of most calls) only to
 * answer its copies. A replay keeps what that takes, and answers them
 * as libre's would: the same bytes again to a copy (same branch,
 * sent-by and CSeq method), 482 to a merged request (no To tag, same
 * CSeq, Call-ID, From tag and Request-URI), 200 to a CANCEL of it
 * (RFC 3261 17.2.2, 8.2.2.2, 9.2). */

static void replay_destructor(void *arg)
{
	struct replay *rp = arg;

	list_unlink(&rp->le);
	tmr_cancel(&rp->tmr);
	mem_deref(rp->mb);
	mem_deref(rp->sock);
}


static void replay_tmr_handler(void *arg)
{
	mem_deref(arg);
}


static char *replay_pl(struct pl *dst, const struct pl *src, char *p)
{
	if (src->l)
		memcpy(p, src->p, src->l);
	dst->p = p;
	dst->l = src->l;

	return p + src->l;
}


static int replay_add(struct uas *uas, const struct sip_msg *msg,
		      struct mbuf *mb, uint64_t ms)
{
	const size_t n = msg->via.branch.l + msg->via.sentby.l +
		msg->cseq.met.l + msg->callid.l + msg->from.tag.l +
		msg->ruri.l;
	struct replay *rp = mem_zalloc(sizeof(*rp) + n, replay_destructor);
	struct pl rport;
	char *p;

	if (!rp)
		return ENOMEM;

	/* where libre sent it: with rport when the Via asked for it */
	sip_reply_addr(&rp->dst, msg,
		       !msg_param_exists(&msg->via.params, "rport", &rport));
	p = replay_pl(&rp->branch, &msg->via.branch, rp->s);
	p = replay_pl(&rp->sentby, &msg->via.sentby, p);
	p = replay_pl(&rp->met, &msg->cseq.met, p);
	p = replay_pl(&rp->callid, &msg->callid, p);
	p = replay_pl(&rp->ftag, &msg->from.tag, p);
	(void)replay_pl(&rp->ruri, &msg->ruri, p);
	rp->cseq = msg->cseq.num;
	rp->tag  = msg->tag;
	rp->tp   = msg->tp;
	rp->sock = mem_ref(msg->sock);
	rp->mb   = mb ? wire_sent_ref(mb->buf, mb->end) : NULL;
	if (!rp->mb && mb) {   /* not on a wire: a copy of its own */
		(void)mbuf_resize(mb, mb->end);   /* 1 KB as libre made it */
		rp->mb = mem_ref(mb);
	}
	list_append(&uas->replays, &rp->le, rp);
	tmr_start(&rp->tmr, ms, replay_tmr_handler, rp);

	return 0;
}


/* One header line of a response: name, value, what follows the value */
static int reply_line(struct mbuf *mb, const struct sip_hdr *hdr,
		      const char *tail)
{
	int err;

	err  = text_put_pl(mb, &hdr->name);
	err |= text_put(mb, ": ", NULL);
	err |= text_put_pl(mb, &hdr->val);
	err |= text_put(mb, tail, NULL);

	return err;
}


/* The first Via of a response to msg, as libre writes it: rport filled
 * in and received added when the request asked for rport, received
 * also when it came from elsewhere than its Via says */
static int reply_via(struct mbuf *mb, const struct sip_msg *msg,
		     const struct sip_hdr *hdr, bool *rportp)
{
	char addr[64];
	struct pl rp;
	int err;

	err  = text_put_pl(mb, &hdr->name);
	err |= text_put(mb, ": ", NULL);
	if (!msg_param_exists(&msg->via.params, "rport", &rp)) {
		err |= mbuf_write_pl_skip(mb, &hdr->val, &rp);
		err |= text_put(mb, ";rport=", NULL);
		err |= text_put_u32(mb, sa_port(&msg->src));
		*rportp = true;
	}
	else {
		err |= text_put_pl(mb, &hdr->val);
	}
	if (*rportp || !sa_cmp(&msg->src, &msg->via.addr, SA_ADDR))
		err |= text_put(mb, ";received=",
				text_addr(addr, sizeof(addr), &msg->src) ?
				"?" : addr, NULL);
	err |= text_put(mb, "\r\n", NULL);

	return err;
}


/* What libre 1.1.0's sip_treplyf() writes for a response to msg with
 * "Content-Length: 0\r\n\r\n" as its format and no Record-Route, byte
 * for byte, without its printf (about 9 K instructions a response, two
 * a call): the status line; in the request's order its Vias, To (with
 * a tag of the message's own when it had none and the response is no
 * 100), From, Call-ID and CSeq; no Server line (siptap's stacks have no
 * software string: runner.c's sip_alloc). rportp: whether the first Via
 * asked for rport (libre then answers to the port it came from). */
int uas_reply_print(struct mbuf *mb, const struct sip_msg *msg,
		    uint16_t scode, const char *reason, bool *rportp)
{
	unsigned vias = 0;
	struct le *le;
	int err;

	err  = text_put(mb, "SIP/2.0 ", NULL);
	err |= text_put_u32(mb, scode);
	err |= text_put(mb, " ", reason, "\r\n", NULL);

	for (le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *hdr = le->data;
		char tag[16];

		switch (hdr->id) {

		case SIP_HDR_VIA:
			if (vias++)
				err |= reply_line(mb, hdr, "\r\n");
			else
				err |= reply_via(mb, msg, hdr, rportp);
			break;

		case SIP_HDR_TO:
			err |= reply_line(mb, hdr, "");
			if (!pl_isset(&msg->to.tag) && scode > 100) {
				text_hex(tag, msg->tag, 16);
				err |= text_put(mb, ";tag=", NULL);
				err |= mbuf_write_mem(mb, (uint8_t *)tag, 16);
			}
			err |= text_put(mb, "\r\n", NULL);
			break;

		case SIP_HDR_FROM:
		case SIP_HDR_CALL_ID:
		case SIP_HDR_CSEQ:
			err |= reply_line(mb, hdr, "\r\n");
			break;

		default:
			break;
		}
	}
	err |= text_put(mb, "Content-Length: 0\r\n\r\n", NULL);

	return err;
}


/* sip_treplyf(stp, mbp, sip, msg, false, scode, reason,
 * "Content-Length: 0\r\n\r\n") over a server transaction, the same
 * bytes to the same address (uas_reply_print) */
static int reply_send(struct sip_strans **stp, struct mbuf **mbp,
		      struct sip *sip, const struct sip_msg *msg,
		      uint16_t scode, const char *reason)
{
	struct mbuf *mb;
	bool rport = false;
	struct sa dst;
	int err;

	if (!reason)
		return EINVAL;
	if (!pl_strcmp(&msg->met, "ACK"))
		return 0;

	mb = mbuf_alloc(512);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}
	err = uas_reply_print(mb, msg, scode, reason, &rport);
	if (err)
		goto out;

	mb->pos = 0;
	sip_reply_addr(&dst, msg, rport);
	err = sip_strans_reply(stp, sip, msg, &dst, scode, mb);

 out:
	if (err)
		*stp = mem_deref(*stp);
	if (!err)
		*mbp = mb;
	else
		mem_deref(mb);

	return err;
}


/* A response without a body to msg, a PRACK or BYE, through a server
 * transaction as before; over UDP its answer then goes on as a replay
 * and the transaction (with msg) goes. Over any other transport libre
 * ends it itself once the response is sent. */
static int replay_reply(struct uas *uas, const struct sip_msg *msg,
			uint16_t scode, const char *reason)
{
	struct sip_strans *st = NULL, *own;
	struct mbuf *mb = NULL;
	int err;

	if (msg->tp != SIP_TRANSP_UDP)
		return sip_treplyf(NULL, NULL, uas->sip, msg, false, scode,
				   reason, "Content-Length: 0\r\n\r\n");

	err = sip_strans_alloc(&st, uas->sip, msg, NULL, NULL);
	if (err)
		return err;
	own = st;
	err = reply_send(&st, &mb, uas->sip, msg, scode, reason);
	if (err)
		return err;   /* libre let its transaction go */

	/* the reference sip_strans_alloc gave is the only one: libre's
	 * Timer J would have let it go */
	mem_deref(own);
	err = replay_add(uas, msg, mb, 64 * SIP_T1);
	mem_deref(mb);

	return err;
}


static bool replay_same(const struct replay *rp, const struct sip_msg *msg)
{
	return !pl_cmp(&rp->branch, &msg->via.branch) &&
		!pl_cmp(&rp->sentby, &msg->via.sentby);
}


/* True when msg was a replay's to answer (it was) */
static bool replay_handle(struct uas *uas, const struct sip_msg *msg)
{
	const bool cancel = !pl_strcmp(&msg->met, "CANCEL");
	struct le *le;

	if (!pl_strcmp(&msg->met, "ACK"))
		return false;

	for (le = uas->replays.head; le; le = le->next) {
		struct replay *rp = le->data;

		if (!replay_same(rp, msg) || pl_cmp(&rp->met, &msg->cseq.met))
			continue;
		if (rp->mb) {    /* none: an accepted INVITE's, absorbed */
			rp->mb->pos = 0;
			(void)sip_send(uas->sip, rp->sock, rp->tp, &rp->dst,
				       rp->mb);
		}
		return true;
	}
	for (le = uas->replays.head; le && !pl_isset(&msg->to.tag);
	     le = le->next) {
		struct replay *rp = le->data;

		if (pl_cmp(&rp->met, &msg->cseq.met) ||
		    rp->cseq != msg->cseq.num ||
		    pl_cmp(&rp->callid, &msg->callid) ||
		    pl_cmp(&rp->ftag, &msg->from.tag) ||
		    pl_cmp(&rp->ruri, &msg->ruri))
			continue;
		(void)sip_reply(uas->sip, msg, 482, "Loop Detected");
		return true;
	}
	for (le = uas->replays.head; le && cancel; le = le->next) {
		struct replay *rp = le->data;

		if (!replay_same(rp, msg) || !pl_strcmp(&rp->met, "CANCEL"))
			continue;
		((struct sip_msg *)msg)->tag = rp->tag;
		(void)sip_reply(uas->sip, msg, 200, "OK");
		return true;
	}

	return false;
}


/* --- 100rel: retransmission, PRACK, the queue ------------------------ */

static void final_send(struct uas_call *call, struct resp *r);


/* Sends what the PRACK released, up to the next reliable one. */
static void queue_flush(struct uas_call *call)
{
	struct le *le;

	while (!call->unacked && (le = call->queue.head)) {
		struct resp *r = le->data;

		list_unlink(&r->le);
		(void)send_response(call, r);
	}
}


static void rel_timeout(struct uas_call *call)
{
	struct resp *r = NULL;

	/* R-TIMEOUT-1: no PRACK in 64*T1, reject with a 5xx */
	call->unacked = NULL;
	list_flush(&call->queue);
	if (resp_alloc(&r, 504))
		return;
	if (print_head(r->mb, call, 504, "Server Time-out") ||
	    print_tail(r->mb, call, NULL, 0, NULL, NULL, 0)) {
		mem_deref(r);
		return;
	}
	(void)send_response(call, r);
}


/* Retransmits call->retx: T1, 2*T1, 4*T1, ... with no T2 cap
 * (R-RETX-1), until the PRACK or the final response stops it, or 64*T1
 * after the first copy (R-TIMEOUT-1; not at the next retransmission
 * after that). */
static void rel_tmr_handler(void *arg)
{
	struct uas_call *call = arg;
	struct resp *r = call->retx;
	const bool forever = FAULT(call, RETRANSMIT_FOREVER);
	const uint64_t now = tmr_jiffies();

	if (!r)
		return;

	if (now >= call->rel_deadline && !forever) {
		call->retx = NULL;
		if (!FAULT(call, NO_TIMEOUT))
			rel_timeout(call);
		return;
	}

	r->mb->pos = 0;
	if (!FAULT(call, NO_RETRANSMIT))
		resp_send(call, r->mb);

	call->rel_interval *= 2;
	tmr_start(&call->rel_tmr, forever ? call->rel_interval :
		  min(call->rel_interval, call->rel_deadline - now),
		  rel_tmr_handler, call);
}


static void rel_start(struct uas_call *call, struct resp *r)
{
	call->unacked = r;
	call->retx = r;
	call->rel_interval = call->uas->conf.t1;
	call->rel_deadline = tmr_jiffies() + 64 * call->uas->conf.t1;
	tmr_start(&call->rel_tmr, call->rel_interval, rel_tmr_handler, call);
}


static void rel_stop(struct uas_call *call)
{
	if (FAULT(call, RETRANSMIT_FOREVER))
		return;

	tmr_cancel(&call->rel_tmr);
	call->retx = NULL;
}


static struct resp *rel_match(const struct uas_call *call,
			      const struct sip_msg *prack)
{
	const struct sip_hdr *rack = sip_msg_hdr(prack, SIP_HDR_RACK);
	struct pl rseq, cseq, met;
	struct le *le;

	if (!rack || re_regex(rack->val.p, rack->val.l,
			      "[0-9]+[ \t]+[0-9]+[ \t]+[^ \t]+",
			      &rseq, NULL, &cseq, NULL, &met))
		return NULL;
	if (pl_u32(&cseq) != call->cseq || pl_cmp(&met, &call->cseq_met))
		return NULL;

	for (le = call->sent_rel.head; le; le = le->next) {
		struct resp *r = le->data;

		if (r->rseq == pl_u32(&rseq) && !r->acked)
			return r;
	}

	return NULL;
}


static void prack_reply(struct uas *uas, const struct sip_msg *msg,
			bool ok)
{
	/* R-PRACK-3: the answer goes through a server transaction, which
	 * answers a retransmitted PRACK with it again */
	if (UAS_FAULT(uas, PRACK_STATELESS))
		(void)sip_replyf(uas->sip, msg, ok ? 200 : 481,
				 ok ? "OK" : "Call/Transaction Does Not Exist",
				 "Content-Length: 0\r\n\r\n");
	else if (ok)
		(void)replay_reply(uas, msg, 200, "OK");
	else
		(void)replay_reply(uas, msg, 481,
				   "Call/Transaction Does Not Exist");
}


/* R-PRACK-4: a PRACK that carries SDP answers our offer (the 18x's to
 * an offerless INVITE) or makes a new one, answered in its 2xx. True
 * when its response was sent here. */
static bool prack_sdp(struct uas_call *call, const struct sip_msg *msg)
{
	if (!is_sdp(msg))
		return false;
	if (call->oa == OA_LOCAL) {
		call->oa = OA_IDLE;    /* the answer to our offer */
		return false;
	}
	if (call->oa == OA_REMOTE || FAULT(call, PRACK_OFFER_IGNORED))
		return false;

	offer_answered(call, msg);

	return true;
}


/* R-PRACK-1, R-PRACK-2, R-RETX-2, R-FINAL-2 */
static void handle_prack(struct uas *uas, const struct sip_msg *msg)
{
	struct uas_call *call = call_find(uas, msg);
	struct resp *r = call ? rel_match(call, msg) : NULL;
	bool ok = r != NULL;

	if (call && FAULT(call, PRACK_ALWAYS_200))
		ok = true;
	if (r && FAULT(call, PRACK_481))
		ok = false;
	if (r && call->state >= UAS_ACCEPTED &&
	    FAULT(call, PRACK_AFTER_FINAL_481))
		ok = false;

	if (!ok || !prack_sdp(call, msg))
		prack_reply(uas, msg, ok);
	if (!r)
		return;

	r->acked = true;
	if (call->unacked == r) {
		rel_stop(call);
		call->unacked = NULL;
		queue_flush(call);
	}
}


/* --- final responses ----------------------------------------------- */

static void final_tmr_handler(void *arg)
{
	struct uas_call *call = arg;
	const uint32_t t1 = call->uas->conf.t1;

	call->final_elapsed += call->final_interval;
	if (call->final_elapsed >= 64 * t1) {
		/* no ACK: give up (under 2xx-after-ack the call stays up) */
		if (call->state == UAS_ACCEPTED)
			call->state = UAS_TERMINATED;
		return;
	}

	call->final_mb->pos = 0;
	resp_send(call, call->final_mb);

	/* RFC 3261 13.3.1.4, P-2XX-1: doubling up to T2, which siptap
	 * scales with T1 like every timer (8*T1: 4 s at T1 = 500 ms). Over
	 * TCP too: the retransmission is end to end, for the hops after
	 * the first. */
	call->final_interval = min(call->final_interval * 2, 8 * t1);
	tmr_start(&call->final_tmr, call->final_interval, final_tmr_handler,
		  call);
}


/* After a final response, nothing is retransmitted but the 2xx
 * (R-FINAL-2); PRACKs for what was sent are still answered. */
static void final_send(struct uas_call *call, struct resp *r)
{
	struct sip_strans *st;
	int err;

	rel_stop(call);
	tmr_cancel(&call->refresh_tmr);
	call->unacked = NULL;
	list_flush(&call->queue);

	r->mb->pos = 0;
	wire_sending(r->mb);
	st = call->st;
	/* taken before libre starts its timer: that one is due at
	 * acc_at + 64*T1 or later, never sooner */
	call->acc_at = tmr_jiffies();
	err = sip_strans_reply(&call->st, call->uas->sip, inv_msg(call),
			       &call->dst, r->scode, r->mb);
	wire_sending(NULL);

	if (r->scode < 300) {
		/* libre's transaction stays Accepted for 64*T1 of its own,
		 * holding the INVITE; inv_release() lets both go at the ACK */
		call->st_acc = err ? NULL : st;
		call->state = UAS_ACCEPTED;
		call->final_mb = mem_ref(r->mb);
		call->final_interval = call->uas->conf.t1;
		call->final_elapsed = 0;
		if (!FAULT(call, NO_2XX_RETRANSMIT))
			tmr_start(&call->final_tmr, call->final_interval,
				  final_tmr_handler, call);
	}
	else {
		call->state = UAS_TERMINATED;
	}

	mem_deref(r);
}


/* P-LONG-1: an INVITE held without a final response gets a non-100
 * provisional at least once a minute. siptap scales the minute with
 * T1 (120 * T1: 60 s at the default 500 ms) so tests can see it. An
 * unreliable provisional is sent again as it was; a reliable one is
 * sent again as a new reliable provisional (next RSeq), through the
 * queue like any other. */
static void refresh_tmr_handler(void *arg)
{
	struct uas_call *call = arg;
	struct resp *last = call->last_prov;
	struct resp *r = NULL;
	const char *rseq_line;

	if (!last || call->state >= UAS_ACCEPTED)
		return;

	if (!last->reliable) {
		last->mb->pos = 0;
		resp_send(call, last->mb);
		refresh_start(call, last);
		return;
	}

	if (resp_alloc(&r, last->scode))
		return;
	r->reliable = true;
	r->has_sdp  = false;
	r->rseq     = call->next_rseq++;
	last->mb->pos = 0;
	/* the buffer is no C string (its room is trimmed when sent) */
	rseq_line = memmem(last->mb->buf, last->mb->end, "\r\nRSeq: ", 8);
	if (!rseq_line) {
		mem_deref(r);
		return;
	}
	/* the same head with the new RSeq, and no body: the offer/answer
	 * is done already */
	(void)mbuf_write_mem(r->mb, last->mb->buf,
			     (size_t)((const uint8_t *)rseq_line -
				      last->mb->buf));
	(void)mbuf_printf(r->mb, "\r\nRSeq: %u\r\nContent-Length: 0"
			  "\r\n\r\n", r->rseq);
	if (queue_busy(call))
		list_append(&call->queue, &r->le, r);
	else
		(void)send_response(call, r);
}


static void refresh_start(struct uas_call *call, struct resp *r)
{
	if (FAULT(call, NO_REFRESH))
		return;

	/* r may be last_prov itself: take the new reference first */
	mem_ref(r);
	mem_deref(call->last_prov);
	call->last_prov = r;
	tmr_start(&call->refresh_tmr, 120 * call->uas->conf.t1,
		  refresh_tmr_handler, call);
}


static int send_response(struct uas_call *call, struct resp *r)
{
	int err;

	if (r->scode >= 200) {
		final_send(call, r);
		return 0;
	}

	r->mb->pos = 0;
	wire_sending(r->mb);
	if (FAULT(call, NO_RETX_INVITE))   /* the transaction never learns */
		err = sip_send(call->uas->sip, call->sock, call->tp,
			       &call->dst, r->mb);
	else
		err = sip_strans_reply(&call->st, call->uas->sip,
				       inv_msg(call), &call->dst, r->scode,
				       r->mb);
	wire_sending(NULL);
	if (call->state == UAS_INCOMING && r->scode > 100)
		call->state = UAS_EARLY;
	if (r->scode > 100)
		refresh_start(call, r);

	if (r->reliable) {
		list_append(&call->sent_rel, &r->le, r);
		rel_start(call, r);
	}
	else {
		mem_deref(r);
	}

	return err;
}


/* --- requests -------------------------------------------------------- */

/* 487 to the pending INVITE: after a CANCEL, or a BYE in the early
 * dialog (P-BYE-1). */
static void terminate_invite(struct uas_call *call)
{
	struct resp *r = NULL;

	if (call->state >= UAS_ACCEPTED)
		return;
	if (resp_alloc(&r, 487))
		return;
	if (print_head(r->mb, call, 487, "Request Terminated") ||
	    print_tail(r->mb, call, NULL, 0, NULL, NULL, 0)) {
		mem_deref(r);
		return;
	}
	final_send(call, r);
}


static void cancel_handler(void *arg)
{
	terminate_invite(arg);
}


static bool has_option(const struct sip_msg *msg, enum sip_hdrid id,
		       const char *option)
{
	return sip_msg_hdr_has_value(msg, id, option);
}


/* The option tags of Require that name an extension we do not have
 * (anything but 100rel), as one comma list (libre splits the list). */
struct unsupported {
	struct mbuf *mb;
	bool first_only;
};

static bool unsupported_tag(const struct sip_hdr *hdr,
			    const struct sip_msg *msg, void *arg)
{
	struct unsupported *u = arg;

	(void)msg;
	if (!pl_strcasecmp(&hdr->val, "100rel"))
		return false;
	(void)mbuf_printf(u->mb, "%s%r", u->mb->end ? ", " : "", &hdr->val);

	return u->first_only;
}


/* P-EXT-1: an INVITE that requires extensions we do not have gets 420
 * at once, no 100 Trying first, with every one of them in Unsupported
 * and what we do support in Supported. True when it was rejected. */
static bool reject_unsupported(struct uas *uas, const struct sip_msg *msg)
{
	struct unsupported u = {NULL, UAS_FAULT(uas, UNSUPPORTED_FIRST)};
	bool rejected;

	if (UAS_FAULT(uas, REQUIRE_ACCEPTED))
		return false;

	u.mb = mbuf_alloc(64);
	if (!u.mb)
		return false;

	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, unsupported_tag,
				&u);
	rejected = u.mb->end > 0;
	if (rejected)
		(void)sip_treplyf(NULL, NULL, uas->sip, msg, false, 420,
				  "Bad Extension", "Unsupported: %b\r\n"
				  "Supported: 100rel\r\n"
				  "Content-Length: 0\r\n\r\n",
				  u.mb->buf, u.mb->end);
	mem_deref(u.mb);

	return rejected;
}


static void handle_invite(struct uas *uas, const struct sip_msg *msg)
{
	struct uas_call *call;
	int err;

	/* another test's INVITE (a fixed --uas-listen): no call of ours,
	 * and the 481's server transaction absorbs its retransmissions */
	if (uas->strayh && uas->strayh(msg, uas->stray_arg)) {
		(void)sip_treply(NULL, uas->sip, msg, 481,
				 "Call/Transaction Does Not Exist");
		return;
	}

	if (reject_unsupported(uas, msg))
		return;

	call = mem_zalloc(sizeof(*call), call_destructor);
	if (!call)
		return;

	call->uas    = uas;
	call->invite = mem_ref((void *)msg);
	call->inv_mb = mem_ref(msg->mb);
	if (msg->tp == SIP_TRANSP_UDP)
		call->inv_off = (size_t)((const uint8_t *)msg->met.p -
					 msg->mb->buf);
	call->callid   = msg->callid;
	call->cseq     = msg->cseq.num;
	call->cseq_met = msg->cseq.met;
	call->sock     = mem_ref(msg->sock);
	call->tp       = msg->tp;
	call->src      = msg->src;
	call->ldst     = msg->dst;
	call->inv_tag  = msg->tag;
	call->state  = UAS_INCOMING;
	call->peer_requires = has_option(msg, SIP_HDR_REQUIRE, "100rel");
	call->peer_supports = has_option(msg, SIP_HDR_SUPPORTED, "100rel");
	call->next_rseq = FAULT(call, RSEQ_ZERO) ? 0
		: 1 + rand_u32() % 0x40000000;  /* R-RSEQ-1 */
	text_hex(call->totag, rand_u64(), 16);
	call->totag[16] = '\0';
	sip_reply_addr(&call->dst, msg, true);

	if (is_sdp(msg)) {
		err = mbuf_strdup(msg->mb, &call->remote_offer,
				  mbuf_get_left(msg->mb));
		if (err)
			goto fail;
		call->oa = OA_REMOTE;
		call->oa_started = true;
	}

	err = sip_strans_alloc(&call->st, uas->sip, msg, cancel_handler,
			       call);
	if (err)
		goto fail;

	list_append(&uas->calls, &call->le, call);
	return;

 fail:
	mem_deref(call);
	(void)sip_treply(NULL, uas->sip, msg, 500, "Server Internal Error");
}


/* At the ACK of our 2xx: libre's INVITE transaction, Accepted until
 * 64*T1 of its own after the 2xx, only absorbs the INVITE's copies and
 * answers their CANCEL and merged copies (RFC 6026): a replay without a
 * response does that for the rest of that time, and the decoded INVITE
 * the transaction and the call held goes (about 3 KB; its bytes stay,
 * inv_msg()). Over UDP only: there the bytes are the datagram's own. */
static void inv_release(struct uas_call *call)
{
	const uint64_t now = tmr_jiffies(), end = call->acc_at + 64 * SIP_T1;
	struct sip_strans *st = call->st_acc;

	call->st_acc = NULL;
	/* from its end on libre's timer may have let it go already */
	if (!st || !call->invite || call->tp != SIP_TRANSP_UDP || now >= end)
		return;
	if (replay_add(call->uas, call->invite, NULL, end - now))
		return;
	mem_deref(st);   /* libre's timer held the only reference */
	call->invite = mem_deref(call->invite);
}


static void handle_ack(struct uas *uas, const struct sip_msg *msg)
{
	struct uas_call *call = call_find(uas, msg);

	if (call && okretx_ack(call->okretx, msg))
		call->okretx = mem_deref(call->okretx);
	/* the answer to an offer in a 2xx (call:ack{sdp}); an ACK without
	 * one ends the exchange all the same (a failed one: the session
	 * stays as it was) */
	if (call && call->oa == OA_LOCAL &&
	    (!call->req || call->req->done))
		call->oa = OA_IDLE;
	if (!call || call->state != UAS_ACCEPTED)
		return;

	if (!FAULT(call, 2XX_AFTER_ACK))
		tmr_cancel(&call->final_tmr);
	call->state = UAS_CONFIRMED;
	inv_release(call);
}


/* P-DLG-2: a request whose To tag names no dialog of ours, and a
 * CANCEL that matched no transaction (libre's server transactions took
 * every one that did), get 481 (RFC 3261 12.2.2, 9.2). */
static void reply_no_dialog(struct uas *uas, const struct sip_msg *msg)
{
	/* A CANCEL is answered without a server transaction: libre would
	 * take the INVITE's own CANCEL, which has the same Call-ID, From
	 * tag and CSeq, for a merged request of this one (482). A copy of
	 * a stray CANCEL gets the same 481 again all the same. */
	const bool f501 = UAS_FAULT(uas, NO_DIALOG_501);

	if (!pl_strcmp(&msg->met, "CANCEL"))
		(void)sip_replyf(uas->sip, msg, f501 ? 501 : 481,
				 f501 ? "Not Implemented"
				 : "Call/Transaction Does Not Exist",
				 "Content-Length: 0\r\n\r\n");
	else if (f501)
		(void)sip_treplyf(NULL, NULL, uas->sip, msg, false, 501,
				  "Not Implemented",
				  "Content-Length: 0\r\n\r\n");
	else
		(void)sip_treplyf(NULL, NULL, uas->sip, msg, false, 481,
				  "Call/Transaction Does Not Exist",
				  "Content-Length: 0\r\n\r\n");
}


static void handle_bye(struct uas *uas, const struct sip_msg *msg)
{
	struct uas_call *call = call_find(uas, msg);

	if (!call) {
		reply_no_dialog(uas, msg);
		return;
	}

	(void)replay_reply(uas, msg, 200, "OK");
	/* P-BYE-1: the INVITE still pending gets its final response */
	if (call->state < UAS_ACCEPTED && !FAULT(call, EARLY_BYE_NO_FINAL)) {
		terminate_invite(call);
		return;
	}
	tmr_cancel(&call->final_tmr);
	tmr_cancel(&call->rel_tmr);
	tmr_cancel(&call->refresh_tmr);
	call->state = UAS_TERMINATED;
}


/* A response to a request in the dialog (UPDATE, re-INVITE, PRACK,
 * INFO): the target refreshes carry our Contact (RFC 3311 5.2, RFC 3261
 * 12.2.2), an answer its SDP. A re-INVITE's 2xx is sent again until
 * its ACK (P-2XX-1), unless the fault no-2xx-retransmit is on. */
static int dlg_reply(struct uas_call *call, const struct sip_msg *msg,
		     uint16_t scode, const char *reason, const char *sdp,
		     const char *xhdr)
{
	const bool invite = !pl_strcmp(&msg->met, "INVITE");
	const bool refresh = invite || !pl_strcmp(&msg->met, "UPDATE");
	const bool retx = invite && scode >= 200 && scode < 300 &&
		!FAULT(call, NO_2XX_RETRANSMIT);
	struct mbuf *mb = mbuf_alloc(512), *resp = NULL;
	int err = 0;

	if (!mb)
		return ENOMEM;
	/* the request's Record-Route in a 2xx, as in the INVITE's: the
	 * UAC may build its route set from any 2xx of the dialog */
	if (scode >= 200 && scode < 300)
		(void)sip_msg_hdr_apply(msg, true, SIP_HDR_RECORD_ROUTE,
					print_hdr, mb);
	if (scode < 300 && refresh)
		err = print_contact(mb, call);
	if (xhdr)
		err |= mbuf_printf(mb, "%s\r\n", xhdr);
	if (!err)
		err = sdpgen_treply(call->uas->sip, msg, scode, reason, mb,
				    sdp, retx ? &resp : NULL);
	if (!err && resp)
		err = okretx_start(&call->okretx, call->uas->sip, msg, resp,
				   call->uas->conf.t1);
	mem_deref(resp);
	mem_deref(mb);

	return err;
}


/* An offer that cannot be taken right now: ours crosses it (491), or
 * the one before is not answered yet (500 with Retry-After): RFC 3311
 * 5.2, RFC 3261 14.2. True when it was refused. */
static bool refuse_offer(struct uas_call *call, const struct sip_msg *msg)
{
	char ra[32];

	if (call->oa == OA_LOCAL) {
		(void)dlg_reply(call, msg, 491, "Request Pending", NULL, NULL);
		return true;
	}
	if (call->oa == OA_REMOTE) {
		(void)re_snprintf(ra, sizeof(ra), "Retry-After: %u",
				  rand_u16() % 11);
		(void)dlg_reply(call, msg, 500, "Server Internal Error", NULL,
				ra);
		return true;
	}

	return false;
}


/* P-UPD-1: UPDATE in the early and the confirmed dialog */
static void handle_update(struct uas *uas, const struct sip_msg *msg)
{
	struct uas_call *call = call_find(uas, msg);

	if (!call || call->state == UAS_TERMINATED) {
		reply_no_dialog(uas, msg);
		return;
	}
	if (FAULT(call, UPDATE_501)) {
		(void)dlg_reply(call, msg, 501, "Not Implemented", NULL, NULL);
		return;
	}
	if (!is_sdp(msg)) {
		(void)dlg_reply(call, msg, 200, "OK", NULL, NULL);
		return;
	}
	if (!FAULT(call, UPDATE_NO_GLARE) && refuse_offer(call, msg))
		return;

	offer_answered(call, msg);
}


/* A re-INVITE: only in the confirmed dialog (the INVITE before must be
 * over: 500 with Retry-After, RFC 3261 14.2); an offer is answered in
 * the 200, none gets our SDP as the offer, answered in the ACK. */
static void handle_reinvite(struct uas_call *call, const struct sip_msg *msg)
{
	char ra[32];

	if (call->state != UAS_CONFIRMED) {
		(void)re_snprintf(ra, sizeof(ra), "Retry-After: %u",
				  rand_u16() % 11);
		(void)dlg_reply(call, msg, call->state == UAS_TERMINATED ?
				481 : 500, call->state == UAS_TERMINATED ?
				"Call/Transaction Does Not Exist" :
				"Server Internal Error", NULL,
				call->state == UAS_TERMINATED ? NULL : ra);
		return;
	}
	if (refuse_offer(call, msg))
		return;
	if (is_sdp(msg)) {
		offer_answered(call, msg);
		return;
	}

	(void)dlg_reply(call, msg, 200, "OK", call->local_sdp, NULL);
	if (call->local_sdp)
		call->oa = OA_LOCAL;
}


/* INFO (RFC 6086) in a dialog: taken, whatever it carries */
static void handle_info(struct uas *uas, const struct sip_msg *msg)
{
	struct uas_call *call = call_find(uas, msg);

	if (!call || call->state == UAS_TERMINATED)
		reply_no_dialog(uas, msg);
	else
		(void)dlg_reply(call, msg, 200, "OK", NULL, NULL);
}


static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct uas *uas = arg;

	/* libre's server transactions saw it first: the replays next */
	if (replay_handle(uas, msg))
		return true;
	wire_nodelay(msg);

	if (!pl_strcmp(&msg->met, "INVITE") && !pl_isset(&msg->to.tag))
		handle_invite(uas, msg);
	else if (!pl_strcmp(&msg->met, "INVITE") && call_find(uas, msg))
		handle_reinvite(call_find(uas, msg), msg);
	else if (!pl_strcmp(&msg->met, "UPDATE"))
		handle_update(uas, msg);
	else if (!pl_strcmp(&msg->met, "INFO"))
		handle_info(uas, msg);
	else if (!pl_strcmp(&msg->met, "PRACK"))
		handle_prack(uas, msg);
	else if (!pl_strcmp(&msg->met, "ACK"))
		handle_ack(uas, msg);
	else if (!pl_strcmp(&msg->met, "BYE"))
		handle_bye(uas, msg);
	else if (!pl_strcmp(&msg->met, "CANCEL") ||
		 (pl_isset(&msg->to.tag) && !call_find(uas, msg)))
		reply_no_dialog(uas, msg);
	else
		(void)sip_treplyf(NULL, NULL, uas->sip, msg, false, 501,
				  "Not Implemented",
				  "Content-Length: 0\r\n\r\n");

	return true;
}


/* --- the API the Lua layer calls ------------------------------------ */

int uas_alloc(struct uas **uasp, struct sip *sip, const struct uas_conf *conf)
{
	struct uas *uas;
	int err;

	if (!uasp || !sip || !conf)
		return EINVAL;

	uas = mem_zalloc(sizeof(*uas), uas_destructor);
	if (!uas)
		return ENOMEM;

	uas->sip  = sip;
	uas->conf = *conf;
	if (!uas->conf.t1)
		uas->conf.t1 = 500;

	err  = sip_listen(&uas->lsnr, sip, true, request_handler, uas);
	err |= sip_listen(&uas->rsp_lsnr, sip, false, response_handler, uas);
	if (err)
		mem_deref(uas);
	else
		*uasp = uas;

	return err;
}


void uas_set_require_100rel(struct uas *uas, bool require)
{
	uas->conf.require_100rel = require;
}


void uas_set_t1(struct uas *uas, uint32_t t1)
{
	uas->conf.t1 = t1;
}


void uas_set_webrtc(struct uas *uas, bool webrtc)
{
	uas->webrtc = webrtc;
}


/* strayh tells a new INVITE that belongs to another test (a fixed
 * --uas-listen shared by the run's tests): it is answered 481. */
void uas_set_stray(struct uas *uas, uas_stray_h *strayh, void *arg)
{
	uas->strayh    = strayh;
	uas->stray_arg = arg;
}


/* Are its offers WebRTC ones (t:uas{sdp = "webrtc"})? */
bool uas_webrtc(const struct uas *uas)
{
	return uas && uas->webrtc;
}


bool uas_fault(const struct uas *uas, int fault)
{
	return fault_on(uas->conf.faults, (enum fault)fault);
}


uint32_t uas_t1(const struct uas *uas)
{
	return uas->conf.t1;
}


/* The next INVITE the scenario has not taken yet (a new reference). */
struct uas_call *uas_take_call(struct uas *uas)
{
	struct le *le;

	for (le = uas->calls.head; le; le = le->next) {
		struct uas_call *call = le->data;

		if (!call->taken) {
			call->taken = true;
			return mem_ref(call);
		}
	}

	return NULL;
}


/* R-WHEN-1..3; 100 Trying is never reliable (P-100-1) */
bool uas_call_reliable(const struct uas_call *call,
		       const struct progress_opts *opts)
{
	const bool requires = call->peer_requires &&
		!FAULT(call, REQUIRE_IGNORED);
	const bool supports = call->peer_supports ||
		(call->peer_requires && FAULT(call, REQUIRE_IGNORED));
	const bool rel100 = opts->rel100 && !FAULT(call, REL100_IGNORED);

	if (progress_scode(opts) == 100)
		return FAULT(call, TRYING_RELIABLE);
	if (requires)
		return true;
	if (supports)
		return rel100 || call->uas->conf.require_100rel;

	return rel100 && FAULT(call, RELIABLE_ALWAYS);
}


/* A provisional carries generated SDP when it is reliable (the answer,
 * or the offer if the INVITE had none: S-ANS-1, S-OFF-1), when it is a
 * 183 answering an offer (early media, S-ANS-2), or when the scenario
 * gave session description options. Unreliable SDP without an offer
 * would not be an offer (S-OFF-1), so it is not sent. */
bool uas_call_sdp_wanted(const struct uas_call *call,
			 const struct progress_opts *opts, bool sdh_given)
{
	const uint16_t scode = progress_scode(opts);

	if (scode == 100 || opts->body)
		return false;
	if (uas_call_reliable(call, opts))
		return call->remote_offer || !FAULT(call, NO_OFFER);
	if (!call->remote_offer)
		return false;

	return scode == 183 || sdh_given;
}


bool uas_call_has_offer(const struct uas_call *call)
{
	return call->remote_offer != NULL;
}


/* The INVITE's offer, or NULL: what a fault breaking the answer reads */
const char *uas_call_offer(const struct uas_call *call)
{
	return call->remote_offer;
}


const char *uas_call_local_sdp(const struct uas_call *call, size_t *lenp)
{
	if (lenp)
		*lenp = call->local_sdp_len;

	return call->local_sdp;
}


/* SIP.js's hold: the local side stops receiving (sendrecv becomes
 * sendonly, recvonly inactive). */
static const char *held(const char *dir)
{
	if (!dir || !strcmp(dir, "sendrecv") || !strcmp(dir, "sendonly"))
		return "sendonly";

	return "inactive";
}


/* A WebRTC offer or answer does what the session description options
 * ask of any SDP (codecs an answer takes, direction, port), and what
 * the S-RTC faults break. */
static const struct webrtc_opts *rtc_opts(const struct uas_call *call,
					  const struct sdpgen_opts *so,
					  struct webrtc_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	if (so) {
		ro->codecv = so->codecv;
		ro->codecc = so->codecc;
		ro->direction = so->hold ? held(so->direction) : so->direction;
		ro->port = so->port;
		/* constraints choose an offer's video; an answer takes what
		 * the offer has (webrtc.c declines only what it cannot
		 * take) */
		ro->video = so->constrained && so->video;
		ro->no_audio = so->constrained && !so->audio;
		ro->no_video = so->constrained && !so->video;
		ro->data_channel = so->data_channel;
	}
	ro->actpass_answer = FAULT(call, RTC_ACTPASS_ANSWER);
	ro->no_fingerprint = FAULT(call, RTC_NO_FINGERPRINT);
	ro->foreign_mid = FAULT(call, RTC_BUNDLE_FOREIGN_MID);

	return ro;
}


/* An answer to the INVITE's offer, or to offer (that offer as the
 * modifiers changed it: SIP.js runs them over the remote offer), fitted
 * to the offer on the wire; else an offer. */
int uas_call_make_sdp(struct uas_call *call,
		      const struct sdpgen_opts *sdpgen_opts, const char *offer,
		      char **sdpp)
{
	struct webrtc_opts ro;
	char *sdp = NULL;
	struct sa laddr;
	int err;

	err = call_laddr(call, &laddr);
	if (err)
		return err;

	if (!call->remote_offer && call->uas->webrtc)
		return webrtc_offer(sdpp, &laddr, rtc_opts(call, sdpgen_opts,
							   &ro));
	if (!call->remote_offer)
		return sdpgen_offer(sdpp, &laddr, sdpgen_opts);
	/* a WebRTC answer is made from the offer on the wire: modifiers
	 * run over the remote offer do not reach it */
	if (webrtc_is_offer(call->remote_offer))
		return webrtc_answer(sdpp, &laddr, rtc_opts(call, sdpgen_opts,
							    &ro),
				     call->remote_offer);
	if (!offer || offer == call->remote_offer)
		return sdpgen_answer(sdpp, &laddr, sdpgen_opts,
				     call->remote_offer,
				     strlen(call->remote_offer));

	err = sdpgen_answer(&sdp, &laddr, sdpgen_opts, offer, strlen(offer));
	if (!err)
		err = sdpgen_align(sdpp, sdp, call->remote_offer);
	mem_deref(sdp);

	return err;
}


static bool body_is_sdp(const char *ctype)
{
	return !ctype || !str_casecmp(ctype, "application/sdp");
}


static void remember_sdp(struct uas_call *call, const char *body,
			 size_t len, const char *ctype)
{
	if (call->local_sdp || !body || !body_is_sdp(ctype))
		return;

	call->local_sdp = mem_alloc(len + 1, NULL);
	if (!call->local_sdp)
		return;
	memcpy(call->local_sdp, body, len);
	call->local_sdp[len] = '\0';
	call->local_sdp_len = len;
}


static void set_local_sdp(struct uas_call *call, const char *sdp,
			  size_t len)
{
	call->local_sdp = mem_deref(call->local_sdp);
	remember_sdp(call, sdp, len, NULL);
}


/* An SDP went out reliably in a response to the INVITE: it answers the
 * INVITE's offer, or it is the first offer (S-OFF-1). */
static void oa_sent(struct uas_call *call)
{
	if (call->oa == OA_REMOTE)
		call->oa = OA_IDLE;
	else if (!call->oa_started)
		call->oa = OA_LOCAL;
	call->oa_started = true;
}


/* The answer to the offer msg carries (PRACK, UPDATE, re-INVITE): its
 * o= line follows ours (S-VER-1). EPROTO: nothing in it can be taken. */
static int answer_offer(struct uas_call *call, const struct sip_msg *msg,
			char **sdpp)
{
	struct webrtc_opts ro;
	char *offer = NULL, *ans = NULL;
	struct sa laddr;
	int err;

	err  = call_laddr(call, &laddr);
	err |= mbuf_strdup(msg->mb, &offer, mbuf_get_left(msg->mb));
	if (err)
		goto out;

	if (webrtc_is_offer(offer))
		err = webrtc_answer(&ans, &laddr, rtc_opts(call, NULL, &ro),
				    offer);
	else
		err = sdpgen_answer(&ans, &laddr, NULL, offer, strlen(offer));
	if (!err && sdpgen_rejected(ans))
		err = EPROTO;
	if (err)
		goto out;

	if (call->local_sdp)
		err = sdpgen_follow(sdpp, ans, call->local_sdp,
				    sdpgen_same(ans, call->local_sdp) ? 0 : 1,
				    false);
	else
		*sdpp = mem_ref(ans);

 out:
	mem_deref(offer);
	mem_deref(ans);

	return err;
}


/* R-PRACK-4, P-UPD-1: a 2xx with the answer, or 488 when nothing of
 * the offer can be taken (RFC 3264 6) */
static void offer_answered(struct uas_call *call, const struct sip_msg *msg)
{
	char *sdp = NULL;

	if (answer_offer(call, msg, &sdp)) {
		(void)dlg_reply(call, msg, 488, "Not Acceptable Here", NULL,
				NULL);
		return;
	}
	if (!dlg_reply(call, msg, 200, "OK", sdp, NULL))
		set_local_sdp(call, sdp, strlen(sdp));
	mem_deref(sdp);
}


static bool queue_busy(const struct uas_call *call)
{
	return call->unacked || call->queue.head;
}


/* P-WIRE-1 broken on purpose: a header line without a colon after the
 * head, or every CR LF of the head a bare LF (the body is S-FMT-1's). */
static int wire_faults(struct mbuf *mb, const struct uas_call *call,
		       uint16_t scode)
{
	size_t i, k, head = mb->end;

	if (scode == 100)
		return 0;
	if (FAULT(call, BAD_HEADER_LINE))
		return mbuf_printf(mb, "Ringing tone follows\r\n");
	if (!FAULT(call, LF_LINE_ENDS))
		return 0;

	for (i = 0; i + 3 < mb->end; i++)
		if (!memcmp(mb->buf + i, "\r\n\r\n", 4)) {
			head = i + 4;
			break;
		}
	for (i = k = 0; i < mb->end; i++)
		if (i >= head || mb->buf[i] != '\r' || i + 1 >= mb->end ||
		    mb->buf[i + 1] != '\n')
			mb->buf[k++] = mb->buf[i];
	mb->end = mb->pos = k;

	return 0;
}


int uas_progress(struct uas_call *call, const struct progress_opts *opts)
{
	const uint16_t scode = progress_scode(opts);
	const bool reliable = uas_call_reliable(call, opts);
	const char *body = scode == 100 ? NULL : opts->body;
	struct resp *r = NULL;
	int err;

	if (call->state >= UAS_ACCEPTED)
		return EPROTO;

	err = resp_alloc(&r, scode);
	if (err)
		return err;

	r->reliable = reliable;
	r->has_sdp  = body && body_is_sdp(opts->ctype);

	err = print_head(r->mb, call, scode, FAULT(call, WRONG_REASON) ? "OK"
			 : progress_reason(opts));
	if (reliable && call->rel_count++ && FAULT(call, RSEQ_REUSE)) {
		r->rseq = call->next_rseq - 1;
	}
	else if (reliable) {
		r->rseq = call->next_rseq;
		call->next_rseq += FAULT(call, RSEQ_SKIP) ? 2 : 1;
	}
	if (reliable) {
		if (!FAULT(call, NO_REQUIRE_HEADER))
			err |= text_put(r->mb, "Require: 100rel\r\n", NULL);
		err |= text_put(r->mb, "RSeq: ", NULL);
		err |= text_put_u32(r->mb, r->rseq);
		err |= text_put(r->mb, "\r\n", NULL);
	}
	if (FAULT(call, BAD_HEADER_LINE))
		err |= wire_faults(r->mb, call, scode);
	err |= print_tail(r->mb, call, opts->xhdrv, opts->xhdrc, opts->ctype,
			  body,
			  opts->body_len);
	if (FAULT(call, LF_LINE_ENDS))
		err |= wire_faults(r->mb, call, scode);
	if (!err)
		err = sizes_check(call->tp, r->mb->end);
	if (err) {
		mem_deref(r);
		return err;
	}

	remember_sdp(call, body, opts->body_len, opts->ctype);
	if (reliable)
		call->rel_sent = true;
	if (reliable && r->has_sdp)
		oa_sent(call);

	if (scode == 100)
		return send_response(call, r);

	/* R-ONE-1: nothing overtakes a reliable provisional not PRACKed */
	if (queue_busy(call) && (reliable || call->queue.head) &&
	    !FAULT(call, NO_QUEUE)) {
		list_append(&call->queue, &r->le, r);
		if (call->state == UAS_INCOMING)
			call->state = UAS_EARLY;
		return 0;
	}

	return send_response(call, r);
}


int uas_accept(struct uas_call *call, const char *sdp, size_t sdp_len,
	       const char *const *xhdrv, size_t xhdrc)
{
	struct resp *r = NULL;
	int err;

	if (call->state >= UAS_ACCEPTED)
		return EPROTO;

	err = resp_alloc(&r, 200);
	if (err)
		return err;

	err  = print_head(r->mb, call, 200, "OK");
	err |= print_tail(r->mb, call, xhdrv, xhdrc, NULL, sdp,
			  sdp ? sdp_len : 0);
	if (!err)
		err = sizes_check(call->tp, r->mb->end);
	if (err) {
		mem_deref(r);
		return err;
	}
	remember_sdp(call, sdp, sdp ? sdp_len : 0, NULL);
	if (sdp)
		oa_sent(call);

	/* R-FINAL-1: no 2xx while SDP it answers is not PRACKed */
	if (((call->unacked && call->unacked->has_sdp) || call->queue.head) &&
	    !FAULT(call, EARLY_2XX)) {
		list_append(&call->queue, &r->le, r);
		call->state = UAS_ACCEPTED;
		return 0;
	}

	final_send(call, r);

	return 0;
}


int uas_reject(struct uas_call *call, uint16_t scode, const char *reason,
	       const char *const *xhdrv, size_t xhdrc)
{
	struct resp *r = NULL;
	int err;

	if (call->state >= UAS_ACCEPTED)
		return EPROTO;
	if (scode < 300 || scode > 699)
		return ERANGE;

	err = resp_alloc(&r, scode);
	if (err)
		return err;

	err  = print_head(r->mb, call, scode, reason);
	err |= print_tail(r->mb, call, xhdrv, xhdrc, NULL, NULL, 0);
	if (!err)
		err = sizes_check(call->tp, r->mb->end);
	if (err) {
		mem_deref(r);
		return err;
	}

	final_send(call, r);

	return 0;
}


enum uas_state uas_call_state(const struct uas_call *call)
{
	return call->state;
}


const char *uas_state_name(enum uas_state state)
{
	static const char *names[] = {
		"incoming", "early", "accepted", "confirmed", "terminated"
	};

	return state <= UAS_TERMINATED ? names[state] : "?";
}


/* The INVITE decoded (decoded again after the ACK: inv_msg()); NULL
 * only when there is no memory for that */
const struct sip_msg *uas_call_invite(const struct uas_call *call)
{
	return inv_msg(call);
}


const struct pl *uas_call_callid(const struct uas_call *call)
{
	return &call->callid;
}


unsigned uas_call_queued(const struct uas_call *call)
{
	return list_count(&call->queue);
}


/* --- requests of our own in the dialog (issue 19) --------------------- */

static void dlgreq_destructor(void *arg)
{
	struct dlgreq *q = arg;

	tmr_cancel(&q->tmr);
	mem_deref(q->req);
	mem_deref(q->ack);
	mem_deref(q->body);
	mem_deref(q->ctype);
	mem_deref(q->xhdrs);
}


static bool print_route(const struct sip_hdr *hdr, const struct sip_msg *msg,
			void *arg)
{
	(void)msg;
	(void)mbuf_printf(arg, "Route: %r\r\n", &hdr->val);

	return false;
}


/* Over WebSocket the reference UAS is the client: libre wrote its Via
 * ("SIP/2.0/TCP laddr", TLS) before it calls this, and it names the
 * connection's own transport, WS or WSS (RFC 7118 5.2.2). A libre that
 * wrote no Via yet leaves nothing to change. */
static int ws_via(enum sip_transp tp, const struct sa *src,
		  const struct sa *dst, struct mbuf *mb, void *arg)
{
	const char *tcp = tp == SIP_TRANSP_TLS ? "Via: SIP/2.0/TLS " :
		"Via: SIP/2.0/TCP ";
	const char *ws = tp == SIP_TRANSP_TLS ? "Via: SIP/2.0/WSS " :
		"Via: SIP/2.0/WS ";
	const uint8_t *at = memmem(mb->buf, mb->end, tcp, strlen(tcp));
	struct mbuf *rest;
	size_t off;
	int err;

	(void)src;
	(void)dst;
	(void)arg;
	if (!at)
		return 0;
	off = (size_t)(at - mb->buf);
	rest = mbuf_alloc(mb->end - off);
	if (!rest)
		return ENOMEM;
	err = mbuf_write_mem(rest, at + strlen(tcp), mb->end - off -
			     strlen(tcp));
	mb->pos = mb->end = off;
	err |= mbuf_write_str(mb, ws);
	err |= mbuf_write_mem(mb, rest->buf, rest->end);
	mem_deref(rest);

	return err;
}


/* Over WebSocket every request of ours goes down the connection the
 * INVITE came on, to the edge (RFC 7118 5.2.3): the next hop is the
 * edge's address over the TCP (TLS) connection the WebSocket rides on,
 * whatever the Contact and the Route say. */
static int ws_flow(const struct sip_msg *inv, struct uri *flow, char **strp)
{
	enum sip_transp tp = ws_transp(inv->tp, &inv->dst, &inv->src);
	struct pl pl;
	int err;

	if (tp != SIP_TRANSP_WS && tp != SIP_TRANSP_WSS)
		return ENOENT;
	err = re_sdprintf(strp, "sip:%J;transport=%s", &inv->src,
			  tp == SIP_TRANSP_WSS ? "tls" : "tcp");
	if (err)
		return err;
	pl_set_str(&pl, *strp);

	return uri_decode(flow, &pl);
}


/* The INVITE's Record-Route in order is our route set, its Contact the
 * remote target (RFC 3261 12.1.1); From and To are the INVITE's, the
 * other way round. */
static int dlgreq_send(struct dlgreq *q);
static void dlgreq_resp(int err, const struct sip_msg *msg, void *arg);
static void dlgreq_ack(struct dlgreq *q, const struct sip_msg *msg);


static void dlgreq_retry(void *arg)
{
	struct dlgreq *q = arg;
	int err = dlgreq_send(q);

	if (err) {
		q->err = err;
		q->done = true;
	}
}


static void dlgreq_over(struct dlgreq *q, const struct sip_msg *msg)
{
	struct uas_call *call = q->call;

	q->done = true;
	if (q->body && !q->ctype && call->oa == OA_LOCAL) {
		call->oa = OA_IDLE;
		if (msg && msg->scode < 300 && is_sdp(msg))
			set_local_sdp(call, q->body, strlen(q->body));
	}
	if (msg && msg->scode < 300 && !strcmp(q->met, "BYE")) {
		tmr_cancel(&call->final_tmr);
		call->state = UAS_TERMINATED;
	}
}


static void dlgreq_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct dlgreq *q = arg;
	const uint32_t t1 = q->call->uas->conf.t1;

	if (!err && msg->scode < 200)
		return;
	if (!err && msg->scode < 300 && !strcmp(q->met, "INVITE"))
		dlgreq_ack(q, msg);
	if (q->done)
		return;                 /* a copy of the 2xx: ACKed again */
	if (err) {
		q->err = err;
		dlgreq_over(q, NULL);
		return;
	}

	q->cseq = msg->cseq.num;
	/* P-UPD-2, RFC 3261 14.1: the side that did not make the Call-ID
	 * waits 0 to 2 s (4*T1) before it offers again, once */
	if (msg->scode == 491 && !q->retried && q->body && !q->ctype) {
		q->retried = true;
		tmr_start(&q->tmr, rand_u32() % (4 * t1 + 1), dlgreq_retry, q);
		return;
	}
	q->scode = msg->scode;
	dlgreq_over(q, msg);
}


/* Our request met with CSeq cseq in the dialog, body an offer (ctype
 * NULL) or of ctype; libre writes the request line, Via and
 * Max-Forwards. Stateless: an ACK. */
static int dlgreq_sendm(struct dlgreq *q, struct sip_request **reqp,
			bool stateful, const char *met, uint32_t cseq,
			const char *body, const char *ctype)
{
	struct uas_call *call = q->call;
	const struct sip_msg *inv = inv_msg(call);
	const struct sip_hdr *contact = sip_msg_hdr(inv, SIP_HDR_CONTACT);
	const struct sip_hdr *rr = sip_msg_hdr(inv, SIP_HDR_RECORD_ROUTE);
	const bool refresh = !strcmp(met, "UPDATE") || !strcmp(met, "INVITE");
	struct sip_addr target, first;
	struct uri flow;
	struct mbuf *mb;
	char *uri = NULL, *flowstr = NULL;
	int err, ws;

	if (!inv)
		return ENOMEM;
	if (!contact || sip_addr_decode(&target, &contact->val))
		return EPROTO;
	if (rr && sip_addr_decode(&first, &rr->val))
		return EPROTO;
	ws = ws_flow(inv, &flow, &flowstr);
	if (ws && ws != ENOENT)
		return ws;

	mb = mbuf_alloc(1024);
	if (!mb)
		return ENOMEM;

	err = pl_strdup(&uri, &target.auri);
	(void)sip_msg_hdr_apply(inv, true, SIP_HDR_RECORD_ROUTE, print_route,
				mb);
	err |= mbuf_printf(mb, "From: %r;tag=%s\r\nTo: %r\r\n"
			   "Call-ID: %r\r\nCSeq: %u %s\r\n",
			   &inv->to.val, call->totag, &inv->from.val,
			   &inv->callid, cseq, met);
	if (refresh)
		err |= print_contact(mb, call);   /* a target refresh */
	if (strcmp(met, "ACK"))
		err |= mbuf_printf(mb, "%s", q->xhdrs ? q->xhdrs : "");
	if (body)
		err |= mbuf_printf(mb, "Content-Type: %s\r\n"
				   "Content-Length: %zu\r\n\r\n%s",
				   ctype ? ctype : "application/sdp",
				   strlen(body), body);
	else
		err |= mbuf_printf(mb, "Content-Length: 0\r\n\r\n");
	if (!err) {
		*reqp = mem_deref(*reqp);
		err = sip_requestf(reqp, call->uas->sip, stateful, met, uri,
				   !ws ? &flow : rr ? &first.uri : NULL, NULL,
				   !ws ? ws_via : NULL,
				   stateful ? dlgreq_resp : NULL, q, "%b",
				   mb->buf, mb->end);
	}
	mem_deref(flowstr);
	mem_deref(uri);
	mem_deref(mb);

	return err;
}


static int dlgreq_send(struct dlgreq *q)
{
	struct uas_call *call = q->call;

	if (!call->lcseq)
		call->lcseq = 1 + rand_u16();
	q->cseq = call->lcseq++;

	return dlgreq_sendm(q, &q->req, true, q->met, q->cseq, q->body,
			    q->ctype);
}


/* The ACK of the 2xx to our re-INVITE (RFC 3261 13.2.2.4), again for
 * each copy of the 2xx; an offer in a 2xx to our offerless re-INVITE
 * is answered in it (RFC 3264 5), with libre's answer. */
static void dlgreq_ack(struct dlgreq *q, const struct sip_msg *msg)
{
	struct uas_call *call = q->call;
	const bool answer = !q->body && is_sdp(msg);
	char *sdp = NULL;

	if (answer && !q->ack && !answer_offer(call, msg, &sdp))
		set_local_sdp(call, sdp, strlen(sdp));
	(void)dlgreq_sendm(q, &q->ack, false, "ACK", msg->cseq.num,
			   answer ? call->local_sdp : NULL, NULL);
	mem_deref(sdp);
}


/* A copy of the 2xx to our re-INVITE, after libre's client transaction
 * ended with the first: ACKed again (RFC 3261 13.2.2.4) */
static bool response_handler(const struct sip_msg *msg, void *arg)
{
	struct uas *uas = arg;
	struct le *le;

	if (msg->scode < 200 || msg->scode >= 300 ||
	    pl_strcmp(&msg->cseq.met, "INVITE"))
		return false;

	for (le = uas->calls.head; le; le = le->next) {
		struct uas_call *call = le->data;
		struct dlgreq *q = call->req;

		if (pl_cmp(&call->callid, &msg->callid) ||
		    pl_strcmp(&msg->from.tag, call->totag) || !q || !q->done ||
		    strcmp(q->met, "INVITE") || msg->cseq.num != q->cseq)
			continue;
		dlgreq_ack(q, msg);
		return true;
	}

	return false;
}


/* May we send met now? 0, or EPROTO with why: what the RFCs forbid is
 * refused (P-UPD-2, RFC 3261 15), unless a fault lets it through. */
static int dlgreq_allowed(const struct uas_call *call, const char *met,
			  bool offer, const char **why)
{
	const bool early = call->state < UAS_ACCEPTED;
	const bool lax = FAULT(call, UPDATE_TOO_EARLY);

	if (call->state == UAS_TERMINATED)
		*why = "the call is over";
	else if (call->state == UAS_INCOMING)
		*why = "no dialog yet: send a provisional response first";
	else if (!strcmp(met, "BYE") && call->state != UAS_CONFIRMED)
		*why = early ? "no BYE in the early dialog from the UAS (RFC "
			"3261 15): reject the INVITE instead" : "no BYE before "
			"the ACK of the 2xx (RFC 3261 15)";
	else if (!strcmp(met, "INVITE") && call->state != UAS_CONFIRMED)
		*why = early ? "no re-INVITE in the early dialog (RFC 3261 "
			"14.1): UPDATE it (RFC 3311)" : "no re-INVITE before "
			"the ACK of the 2xx (RFC 3261 14.1)";
	else if (!strcmp(met, "UPDATE") && early && !call->rel_sent &&
		 !has_option(inv_msg(call), SIP_HDR_ALLOW, "UPDATE") && !lax)
		*why = "no UPDATE in the early dialog before a reliable "
			"provisional, and the INVITE has no Allow: UPDATE "
			"(RFC 3311 5.1)";
	else if (offer && call->oa != OA_IDLE && !lax)
		*why = "an offer/answer is still open (RFC 3311 5.1)";
	else
		return 0;

	return EPROTO;
}


/* Our own request in the dialog: met with body (an offer when ctype is
 * NULL; NULL: no body) and xhdrs (header lines, CRLF each; NULL: none).
 * One at a time: EBUSY while the one before has no final response. */
int uas_request(struct uas_call *call, const char *met, const char *body,
		const char *ctype, const char *xhdrs, const char **why)
{
	const bool offer = body && !ctype;
	struct dlgreq *q;
	int err;

	if (!call || !met || !why || str_len(met) >= sizeof(q->met))
		return EINVAL;
	if (call->req && !call->req->done) {
		*why = "the request before has no final response yet";
		return EBUSY;
	}
	err = dlgreq_allowed(call, met, offer, why);
	if (err)
		return err;

	q = mem_zalloc(sizeof(*q), dlgreq_destructor);
	if (!q)
		return ENOMEM;
	q->call = call;
	str_ncpy(q->met, met, sizeof(q->met));
	err  = body ? str_dup(&q->body, body) : 0;
	err |= xhdrs ? str_dup(&q->xhdrs, xhdrs) : 0;
	err |= ctype ? str_dup(&q->ctype, ctype) : 0;
	if (!err)
		err = dlgreq_send(q);
	if (err) {
		*why = "could not send it";
		mem_deref(q);
		return err;
	}

	mem_deref(call->req);
	call->req = q;
	if (offer)
		call->oa = OA_LOCAL;

	return 0;
}


/* Our request's outcome: true when it is over, with the CSeq and the
 * status of its final response (0 and *errp: none came). */
bool uas_request_done(const struct uas_call *call, uint32_t *cseqp,
		      uint16_t *scodep, int *errp)
{
	const struct dlgreq *q = call->req;

	if (!q || !q->done)
		return false;
	*cseqp = q->cseq;
	*scodep = q->scode;
	*errp = q->err;

	return true;
}


/* The offer an UPDATE of ours makes by default: our SDP with its ports
 * moved, a change, so its o= version one up (RFC 3264 8) */
int uas_call_next_offer(struct uas_call *call, char **sdpp)
{
	char *moved = NULL;
	int err;

	if (!call->local_sdp)
		return ENOENT;

	err = sdpgen_moved(&moved, call->local_sdp);
	if (!err)
		err = sdpgen_follow(sdpp, moved, call->local_sdp,
				    FAULT(call, UPDATE_TOO_EARLY) ? 0 : 1,
				    false);
	mem_deref(moved);

	return err;
}


/* May the UAS send met (with an offer) now? 0, or EPROTO and why */
int uas_request_allowed(const struct uas_call *call, const char *met,
			bool offer, const char **why)
{
	return dlgreq_allowed(call, met, offer, why);
}
