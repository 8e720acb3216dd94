/**
 * @file ws_reg.c  A WebSocket client's REGISTER, for the reference UAS
 *
 * With --transport ws|wss the reference UAS reaches siptap's UAC the way
 * a browser reaches its edge proxy: it opens a WebSocket connection to
 * the listener (libre connects, ws.c upgrades it) and REGISTERs over it;
 * the test's requests then come down that connection. The REGISTER is
 * sent without a libre transaction: over a connection nothing is
 * retransmitted (RFC 3261 17.1.1.2), and siptap wants the 200 or why
 * there is none.
 */
#include <string.h>
#include <re.h>
#include "ws.h"
#include "ws_reg.h"

enum { REG_TIMEOUT_MS = 10000 };

struct ws_reg {
	struct le le;
	struct sip_lsnr *lsnr;
	struct sa srv;
	char callid[40];
	struct tmr tmr;
	ws_reg_h *h;
	void *arg;
};

static struct list regs;


static void reg_destructor(void *arg)
{
	struct ws_reg *r = arg;

	list_unlink(&r->le);
	tmr_cancel(&r->tmr);
	mem_deref(r->lsnr);
}


/* Once: the handler is called, the registration does nothing more. */
static void done(struct ws_reg *r, int err, const char *why)
{
	ws_reg_h *h = r->h;

	r->h = NULL;
	tmr_cancel(&r->tmr);
	list_unlink(&r->le);
	if (h)
		h(err, why, r->arg);
}


static void timeout(void *arg)
{
	struct ws_reg *r = arg;
	char why[160];

	(void)re_snprintf(why, sizeof(why), "no answer to its REGISTER in "
			  "%u ms (is the WebSocket listener at %J up?)",
			  REG_TIMEOUT_MS, &r->srv);
	done(r, ETIMEDOUT, why);
}


/* ws_fail_h: the listener's answer to the upgrade was refused. */
static void fail(const struct sa *srv, const char *why, void *arg)
{
	struct le *le = regs.head;
	(void)arg;

	while (le) {
		struct ws_reg *r = le->data;

		le = le->next;
		if (sa_cmp(&r->srv, srv, SA_ALL))
			done(r, EPROTO, why);
	}
}


static bool response(const struct sip_msg *msg, void *arg)
{
	struct ws_reg *r = arg;
	char why[160];

	if (pl_strcmp(&msg->callid, r->callid))
		return false;
	if (msg->scode < 200)
		return true;

	if (msg->scode < 300) {
		done(r, 0, NULL);
		return true;
	}
	(void)re_snprintf(why, sizeof(why), "its REGISTER was answered %u "
			  "%r", msg->scode, &msg->reason);
	done(r, EPROTO, why);

	return true;
}


/* REGISTERs sip:user@host over a WebSocket connection from sip to the
 * listener srv (tp ws or wss); h gets 0 on a 2xx, else an error and a
 * line that says why. */
int ws_register(struct ws_reg **rp, struct sip *sip, enum sip_transp tp,
		const struct sa *srv, const char *user, ws_reg_h *h,
		void *arg)
{
	struct ws_reg *r;
	struct mbuf *mb = NULL;
	char branch[32];
	int err;

	if (!rp || !sip || !srv || !user || !h)
		return EINVAL;

	r = mem_zalloc(sizeof(*r), reg_destructor);
	if (!r)
		return ENOMEM;

	r->srv = *srv;
	r->h   = h;
	r->arg = arg;
	(void)re_snprintf(r->callid, sizeof(r->callid), "reg%08x%08x",
			  rand_u32(), rand_u32());
	(void)re_snprintf(branch, sizeof(branch), "z9hG4bK%08x%08x",
			  rand_u32(), rand_u32());
	err = sip_listen(&r->lsnr, sip, false, response, r);
	if (err)
		goto out;

	mb = mbuf_alloc(512);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}
	/* a WebSocket client's sent-by and Contact host need not resolve
	 * (RFC 7118 5.2.2, 5.2.3): the edge answers over the connection */
	err = mbuf_printf(mb, "REGISTER sip:%j SIP/2.0\r\n"
			  "Via: SIP/2.0/%s siptap-uas.invalid;branch=%s\r\n"
			  "Max-Forwards: 70\r\n"
			  "From: <sip:%s@%j>;tag=%08x\r\n"
			  "To: <sip:%s@%j>\r\n"
			  "Call-ID: %s\r\nCSeq: 1 REGISTER\r\n"
			  "Contact: <sip:%s@siptap-uas.invalid;transport=%s>"
			  ";expires=600\r\n"
			  "Content-Length: 0\r\n\r\n", srv,
			  sip_transp_name(tp), branch, user, srv, rand_u32(),
			  user, srv, r->callid, user,
			  tp == SIP_TRANSP_WSS ? "wss" : "ws");
	if (err)
		goto out;

	ws_set_fail_handler(fail, NULL);
	list_append(&regs, &r->le, r);
	tmr_start(&r->tmr, REG_TIMEOUT_MS, timeout, r);
	mb->pos = 0;
	err = sip_send(sip, NULL, ws_stream_transp(tp), srv, mb);

 out:
	mem_deref(mb);
	if (err)
		mem_deref(r);
	else
		*rp = r;

	return err;
}
