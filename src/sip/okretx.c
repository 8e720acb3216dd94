/**
 * @file okretx.c  A 2xx to a re-INVITE, sent again until its ACK
 */
#include <re.h>
#include "okretx.h"


struct okretx {
	struct sip *sip;
	struct sip_msg *req;     /* the re-INVITE: socket, CSeq, Call-ID */
	struct mbuf *mb;
	struct sa dst;
	struct tmr tmr;
	uint32_t t1;
	uint32_t interval;
	uint32_t elapsed;
};


static void destructor(void *arg)
{
	struct okretx *or = arg;

	tmr_cancel(&or->tmr);
	mem_deref(or->req);
	mem_deref(or->mb);
}


static void tmr_handler(void *arg)
{
	struct okretx *or = arg;

	or->elapsed += or->interval;
	if (or->elapsed >= 64 * or->t1)
		return;              /* no ACK: Timer H's end, give up */

	or->mb->pos = 0;
	(void)sip_send(or->sip, or->req->sock, or->req->tp, &or->dst, or->mb);
	or->interval = min(2 * or->interval, 8 * or->t1);
	tmr_start(&or->tmr, or->interval, tmr_handler, or);
}


/* req's 2xx mb (as sip_treplyf gave it) sent again until okretx_ack()
 * takes its ACK; *orp replaces the one before (a new re-INVITE ends
 * the retransmission of the old 2xx: its ACK came, RFC 3261 14.1).
 * Nothing to do over a reliable transport. */
int okretx_start(struct okretx **orp, struct sip *sip,
		 const struct sip_msg *req, struct mbuf *mb, uint32_t t1)
{
	struct okretx *or;

	if (!orp || !sip || !req || !mb || !t1)
		return EINVAL;
	*orp = mem_deref(*orp);
	if (req->tp != SIP_TRANSP_UDP)
		return 0;

	or = mem_zalloc(sizeof(*or), destructor);
	if (!or)
		return ENOMEM;
	or->sip = sip;
	or->req = mem_ref((void *)req);
	or->mb  = mem_ref(mb);
	or->t1  = t1;
	or->interval = t1;
	sip_reply_addr(&or->dst, req, true);
	tmr_start(&or->tmr, or->interval, tmr_handler, or);
	*orp = or;

	return 0;
}


/* True when ack is the ACK of the 2xx being retransmitted: it stops. */
bool okretx_ack(struct okretx *or, const struct sip_msg *ack)
{
	if (!or || !ack || ack->cseq.num != or->req->cseq.num ||
	    pl_cmp(&ack->callid, &or->req->callid))
		return false;

	tmr_cancel(&or->tmr);

	return true;
}
