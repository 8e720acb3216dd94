/**
 * @file wire.c  Every SIP message a test sent or received
 */
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <re.h>
#include "clock.h"
#include "wire.h"


struct wire {
	struct list msgl;
	struct list portl;
	unsigned count;
	uint64_t t0;
	struct sa remote;        /* wire_mirror(): a remote UAS's address */
	wire_event_h *eh;
	void *arg;
};

/* The arg of one sip instance's trace handler: which role it plays. */
struct wire_port {
	struct le le;
	struct wire *wire;
	enum wire_role role;
};


static void wire_destructor(void *arg)
{
	struct wire *wire = arg;

	list_flush(&wire->msgl);
	list_flush(&wire->portl);
}


static void msg_destructor(void *arg)
{
	struct wire_msg *wm = arg;

	mem_deref(wm->raw);
}


int wire_alloc(struct wire **wirep, wire_event_h *eh, void *arg)
{
	struct wire *wire;

	if (!wirep)
		return EINVAL;

	wire = mem_zalloc(sizeof(*wire), wire_destructor);
	if (!wire)
		return ENOMEM;

	wire->t0  = clock_mono_usec();
	wire->eh  = eh;
	wire->arg = arg;

	*wirep = wire;

	return 0;
}


uint64_t wire_now(const struct wire *wire)
{
	return clock_mono_usec() - wire->t0;
}


/* Decodes the raw bytes once and keeps the head: its slices point into
 * raw, which the decoded message only held a reference to. */
static void head_decode(struct wire_msg *wm)
{
	struct wire_head *h = &wm->head;
	struct sip_msg *msg = NULL;

	wm->raw->pos = 0;
	if (!sip_msg_decode(&msg, wm->raw)) {
		wm->decoded = true;
		h->req      = msg->req;
		h->met      = msg->met;
		h->ruri     = msg->ruri;
		h->scode    = msg->scode;
		h->reason   = msg->reason;
		h->callid   = msg->callid;
		h->cseq     = msg->cseq.num;
		h->cseq_met = msg->cseq.met;
		h->to_tag   = msg->to.tag;
	}
	mem_deref(msg);
	wm->raw->pos = 0;
}


/* The whole message as libre decodes it, for what needs more than the
 * head (an in-dialog request takes Contact and Record-Route from a
 * response). The bytes are shared with wm; *msgp is the caller's. */
int wire_msg_decode(const struct wire_msg *wm, struct sip_msg **msgp)
{
	struct mbuf *mb;
	int err;

	if (!wm || !msgp)
		return EINVAL;

	mb = mbuf_alloc_ref(wm->raw);
	if (!mb)
		return ENOMEM;

	mb->pos = 0;
	err = sip_msg_decode(msgp, mb);
	mem_deref(mb);

	return err;
}


/* An earlier message with the same bytes: the other end's copy of this
 * one, or a retransmission. */
static const struct wire_msg *same_bytes(const struct wire *wire,
					 const uint8_t *p, size_t len)
{
	struct le *le;

	for (le = wire->msgl.head; le; le = le->next) {
		const struct wire_msg *o = le->data;

		if (o->raw->end == len && !memcmp(o->raw->buf, p, len))
			return o;
	}

	return NULL;
}


/* A retransmission is the same bytes, same direction, same endpoint.
 * The same bytes are always the same buffer (see wire_add). */
static bool seen_before(const struct wire *wire, const struct wire_msg *wm)
{
	struct le *le;

	for (le = wire->msgl.head; le; le = le->next) {
		const struct wire_msg *o = le->data;

		if (o->raw == wm->raw && o->role == wm->role &&
		    o->tx == wm->tx)
			return true;
	}

	return false;
}


int wire_add(struct wire *wire, enum wire_role role, bool tx,
	     enum sip_transp tp, const struct sa *src, const struct sa *dst,
	     const uint8_t *p, size_t len)
{
	const struct wire_msg *twin;
	struct wire_msg *wm;
	int err;

	if (!wire || !p)
		return EINVAL;

	wm = mem_zalloc(sizeof(*wm), msg_destructor);
	if (!wm)
		return ENOMEM;

	wm->role = role;
	wm->tx   = tx;
	wm->tp   = tp;
	wm->usec = wire_now(wire);
	if (src)
		wm->src = *src;
	if (dst)
		wm->dst = *dst;

	/* each message between our UAC and UAS is on the wire twice, sent
	 * and received, and a retransmission is the same bytes again: one
	 * buffer (and one decoding) serves every copy */
	twin = same_bytes(wire, p, len);
	if (twin) {
		wm->raw     = mem_ref(twin->raw);
		wm->decoded = twin->decoded;
		wm->head    = twin->head;
	}
	else {
		wm->raw = mbuf_alloc(len ? len : 1);
		if (!wm->raw) {
			err = ENOMEM;
			goto out;
		}
		err = mbuf_write_mem(wm->raw, p, len);
		if (err)
			goto out;

		head_decode(wm);
	}

	wm->retrans  = seen_before(wire, wm);
	wm->seq      = ++wire->count;
	list_append(&wire->msgl, &wm->le, wm);

	if (wire->eh)
		wire->eh(wm, wire->arg);

	return 0;

 out:
	mem_deref(wm);
	return err;
}


const struct list *wire_msgs(const struct wire *wire)
{
	return wire ? &wire->msgl : NULL;
}


int wire_port_alloc(struct wire_port **portp, struct wire *wire,
		    enum wire_role role)
{
	struct wire_port *port;

	if (!portp || !wire)
		return EINVAL;

	port = mem_zalloc(sizeof(*port), NULL);
	if (!port)
		return ENOMEM;

	/* owned by the wire: a sip instance does not free its arg */
	port->wire = wire;
	port->role = role;
	list_append(&wire->portl, &port->le, port);
	*portp = port;

	return 0;
}


/* sip_trace_h: libre passes the arg given to sip_alloc, our port. */
void wire_trace(bool tx, enum sip_transp tp, const struct sa *src,
		const struct sa *dst, const uint8_t *pkt, size_t len,
		void *arg)
{
	struct wire_port *port = arg;
	struct wire *wire = port->wire;
	const struct sa *peer = tx ? dst : src;
	struct wire_msg *wm;

	if (wire_add(wire, port->role, tx, tp, src, dst, pkt, len))
		return;

	if (port->role != WIRE_UAC || !sa_isset(&wire->remote, SA_ALL) ||
	    !sa_cmp(peer, &wire->remote, SA_ALL))
		return;

	/* what the remote UAS sent or received, as the UAS's own copy */
	if (wire_add(wire, WIRE_UAS, !tx, tp, src, dst, pkt, len))
		return;
	wm = wire->msgl.tail->data;
	wm->mirror = true;
}


/* Remote mode: every message between our UAC and the remote UAS at
 * this address is also kept as the UAS's (role uas, the other
 * direction), the way the reference UAS's own trace would show it. On
 * 127.0.0.1 nothing is lost between the two, so the rules that read
 * the UAS's side hold for any UAS. */
void wire_mirror(struct wire *wire, const struct sa *remote)
{
	if (wire && remote)
		wire->remote = *remote;
}


/* Nagle's algorithm holds a small write back until the peer ACKs the
 * last one, and the peer delays its ACK by some 40 ms: that would show
 * on the wire as a late first response over TCP and TLS. siptap's
 * timings are part of what it tests, so its connections send at once. */
void wire_nodelay(const struct sip_msg *msg)
{
	struct tcp_conn *tc = sip_msg_tcpconn(msg);
	int on = 1;

	if (!tc)
		return;

	(void)setsockopt(tcp_conn_fd(tc), IPPROTO_TCP, TCP_NODELAY, &on,
			 sizeof(on));
}


const char *wire_role_name(enum wire_role role)
{
	return role == WIRE_UAC ? "uac" : role == WIRE_UAS ? "uas" : "peer";
}


/* One line per message, for logs and diagnostics. */
int wire_msg_print(struct re_printf *pf, const struct wire_msg *wm)
{
	const struct wire_head *m = &wm->head;
	int err;

	err = re_hprintf(pf, "#%u +%llu.%03llums %s %s %s %J -> %J ",
			 wm->seq, (unsigned long long)wm->usec / 1000,
			 (unsigned long long)wm->usec % 1000,
			 wire_role_name(wm->role), wm->tx ? "sent" : "recv",
			 sip_transp_name(wm->tp), &wm->src, &wm->dst);
	if (!wm->decoded)
		return err | re_hprintf(pf, "(undecodable, %zu bytes)",
					wm->raw->end);
	if (m->req)
		err |= re_hprintf(pf, "%r %r", &m->met, &m->ruri);
	else
		err |= re_hprintf(pf, "%u %r (%r)", m->scode, &m->reason,
				  &m->cseq_met);

	return err | re_hprintf(pf, "%s", wm->retrans ? " [retransmission]"
				: "");
}
