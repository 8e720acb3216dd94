/**
 * @file wire.c  Every SIP message a test sent or received
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <re.h>
#include "clock.h"
#include "msgview.h"
#include "wire.h"
#include "ws.h"


/* The arg of one sip instance's trace handler: which role it plays. */
struct wire_port {
	struct wire *wire;
	enum wire_role role;
};

struct wire {
	struct list msgl;
	unsigned count;
	uint64_t t0;
	struct sa remote;        /* wire_mirror(): a remote UAS's address */
	wire_event_h *eh;
	void *arg;
	/* one a role, for all of its sip instances: they differ in
	 * nothing else (allocated one an instance, they were two
	 * allocations of 64 bytes a load call) */
	struct wire_port portv[WIRE_PEER + 1];
};


/* The buffer one of siptap's senders is sending (wire_sending) */
static struct mbuf *sending;
/* The message last sent on any wire (wire_sent_ref); NULL once gone */
static const struct wire_msg *last_sent;


static void wire_destructor(void *arg)
{
	struct wire *wire = arg;

	list_flush(&wire->msgl);
}


/* A body's hlines when its head is walked instead (wire_msg_hlines) */
static struct wire_hlines hlines_none;


/* The message whose own body b is */
static struct wire_msg *body_owner(const struct wire_body *b)
{
	return (struct wire_msg *)((char *)b - offsetof(struct wire_msg, own));
}


static void msg_destructor(void *arg)
{
	struct wire_msg *wm = arg;

	if (last_sent == wm)
		last_sent = NULL;
	if (wm->shared) {
		mem_deref(body_owner(wm->b));
		return;
	}
	mem_deref(wm->own.raw);
	mem_deref(wm->own.why);
	if (wm->own.hlines != &hlines_none)
		mem_deref(wm->own.hlines);
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


/* What libre decoded of the datagrams siptap's own endpoints sent, for
 * the libre of the endpoint that receives them (wire_kept_take, sizes.c)
 * and for an in-dialog request that refers to one (wire_msg_decode):
 * between siptap's UAC and UAS every message was decoded twice, once
 * here for its head and once more by the receiver's libre, the same
 * bytes each time, and a response an in-dialog request refers to a
 * third time; a decoding was about a tenth of a call's cost. The latest
 * few are kept (the receiver reads them on the next turns of the loop);
 * each goes when its slot is needed again. */
enum { KEPT_N = 32 };

static struct kept {
	struct sip_msg *msg;
	bool lent;               /* given to the receiver's libre once */
} kept[KEPT_N];
static unsigned kept_next;


static void keep(struct sip_msg *msg)
{
	struct kept *k = &kept[kept_next];

	mem_deref(k->msg);
	k->msg  = msg;
	k->lent = false;
	kept_next = (kept_next + 1) % KEPT_N;
}


/* The latest kept decoding of the bytes at p (raw: those very bytes, a
 * buffer the wire shares; else bytes equal to them) not yet lent. */
static struct kept *kept_find(const uint8_t *p, size_t len, bool raw)
{
	unsigned i;

	/* the latest first: a message is read on the loop's next turns */
	for (i = 1; i <= KEPT_N; i++) {
		struct kept *k = &kept[(kept_next + KEPT_N - i) % KEPT_N];
		const struct mbuf *mb = k->msg ? k->msg->mb : NULL;

		if (!mb || mb->end != len)
			continue;
		if (raw ? mb->buf == p : !k->lent && !memcmp(mb->buf, p, len))
			return k;
	}

	return NULL;
}


/**
 * Drops the kept decodings that hold socket sock: the receiver's libre
 * sets a message's socket (a reference) when it takes the decoding, and
 * a kept one then held a closed test's socket, and its port, open until
 * its slot was needed again (--uas-listen: the next test could not bind
 * the port). For a watch that goes (sizes.c).
 */
void wire_kept_forget(const void *sock)
{
	unsigned i;

	if (!sock)
		return;
	for (i = 0; i < KEPT_N; i++) {
		if (kept[i].msg && kept[i].msg->sock == sock) {
			kept[i].msg = mem_deref(kept[i].msg);
			kept[i].lent = false;
		}
	}
}


/**
 * libre's decoding of the bytes at p, when a sender of ours sent these
 * very bytes lately: a reference for the caller, decoded from the
 * bytes' own copy (its mb starts at them, pos at the body), lent once.
 * NULL when none is kept: the caller decodes.
 */
struct sip_msg *wire_kept_take(const uint8_t *p, size_t len)
{
	struct kept *k = kept_find(p, len, false);

	if (!k)
		return NULL;

	k->lent = true;
	return mem_ref(k->msg);
}


/* A decoding of the bytes at p that sizes.c made as they came to one of
 * our sockets from someone else (wire_fresh): the wire's head is taken
 * from it, not decoded a second time. */
static struct {
	const uint8_t *p;
	size_t len;
	const struct sip_msg *msg;
} fresh;


/**
 * The bytes at p that go on a wire next (wire_recv) decode as msg, libre's
 * decoding of them in place (NULL: forget it). Only for as long as the
 * caller holds msg.
 */
void wire_fresh(const uint8_t *p, size_t len, const struct sip_msg *msg)
{
	fresh.p   = msg ? p : NULL;
	fresh.len = len;
	fresh.msg = msg;
}


/* pl, a slice of the bytes at from, as the same slice of mb's copy */
static struct pl rebase(const struct pl *pl, const uint8_t *from,
			const struct mbuf *mb)
{
	struct pl r = PL_INIT;

	if (pl->p) {
		r.p = (const char *)mb->buf + (pl->p - (const char *)from);
		r.l = pl->l;
	}

	return r;
}


/* The head of wm from msg, libre's decoding of the same bytes at from */
static void head_take(struct wire_msg *wm, const struct sip_msg *msg,
		      const uint8_t *from)
{
	struct wire_head *h = &wm->own.head;
	const struct mbuf *raw = wm->own.raw;

	wm->decoded = true;
	h->req      = msg->req;
	h->met      = rebase(&msg->met, from, raw);
	h->scode    = msg->scode;
	/* (a request has no reason phrase, a response no URI: one union) */
	if (msg->req)
		h->ruri   = rebase(&msg->ruri, from, raw);
	else
		h->reason = rebase(&msg->reason, from, raw);
	h->callid   = rebase(&msg->callid, from, raw);
	h->cseq     = msg->cseq.num;
	h->cseq_met = rebase(&msg->cseq.met, from, raw);
	h->to_tag   = rebase(&msg->to.tag, from, raw);
}


/* Decodes the raw bytes once and keeps the head: its slices point into
 * raw, which the decoded message only held a reference to. A datagram
 * one of our senders sent: the decoded message is kept for its receiver
 * (keep), on an mbuf of its own over the same bytes (raw's position is
 * the wire's; the message's stays at its body, as libre leaves it). */
static void head_decode(struct wire_msg *wm)
{
	const bool sent = wm->tx && wm->tp == SIP_TRANSP_UDP;
	struct sip_msg *msg = NULL;
	struct mbuf *raw = wm->own.raw;
	struct mbuf *mb = sent ? mbuf_alloc_ref(raw) : NULL;

	raw->pos = 0;
	if (mb)
		mb->pos = 0;
	/* (the bytes are raw's own: the slices stay where they are) */
	if (!sip_msg_decode(&msg, mb ? mb : raw))
		head_take(wm, msg, raw->buf);
	if (msg && mb)
		keep(msg);
	else
		mem_deref(msg);
	mem_deref(mb);
	raw->pos = 0;
}


/* The whole message as libre decodes it, for what needs more than the
 * head (an in-dialog request takes Contact and Record-Route from a
 * response). The bytes are shared with wm; *msgp is the caller's. */
int wire_msg_decode(const struct wire_msg *wm, struct sip_msg **msgp)
{
	const struct kept *k;
	struct mbuf *mb;
	int err;

	if (!wm || !msgp)
		return EINVAL;

	/* the sender's wire decoded these bytes lately: the same message
	 * (its receiver's libre may hold it too, and read only) */
	k = kept_find(wm->b->raw->buf, wm->b->raw->end, true);
	if (k) {
		*msgp = mem_ref(k->msg);
		return 0;
	}

	mb = mbuf_alloc_ref(wm->b->raw);
	if (!mb)
		return ENOMEM;

	mb->pos = 0;
	err = sip_msg_decode(msgp, mb);
	mem_deref(mb);

	return err;
}


/* The first message of msgs with the same bytes: the other end's copy
 * of this one, or a retransmission (a copy shares its twin's buffer:
 * the bytes are compared only when the buffer is not the same). */
static const struct wire_msg *same_bytes(const struct list *msgs,
					 const uint8_t *p, size_t len)
{
	struct le *le;

	for (le = list_head(msgs); le; le = le->next) {
		const struct wire_msg *o = le->data;
		const struct mbuf *r = o->b->raw;

		if (r->end == len && (r->buf == p || !memcmp(r->buf, p, len)))
			return o;
	}

	return NULL;
}


/**
 * The first message of msgs (a wire's, wire_msgs) with the same bytes
 * as wm, one of them: an earlier copy, or wm itself.
 */
const struct wire_msg *wire_msg_first(const struct list *msgs,
				      const struct wire_msg *wm)
{
	const struct mbuf *r = wm->b->raw;
	const struct wire_msg *o = same_bytes(msgs, r->buf, r->end);

	return o ? o : wm;
}


enum { HLINES_MAX = 64 };   /* lines indexed; a longer head is walked */

struct hlines_walk {
	struct wire_hline v[HLINES_MAX];
	const uint8_t *base;
	size_t n;
	bool full;
};


static bool hline_add(const struct pl *name, const struct pl *val,
		      void *arg)
{
	struct hlines_walk *w = arg;
	struct wire_hline *h;

	if (w->n == HLINES_MAX) {
		w->full = true;
		return true;
	}

	h = &w->v[w->n++];
	h->lng  = msgview_long_name(name);
	h->noff = (uint32_t)((const uint8_t *)name->p - w->base);
	h->nlen = h->lng ? (uint32_t)strlen(h->lng) : (uint32_t)name->l;
	h->voff = (uint32_t)((const uint8_t *)val->p - w->base);
	h->vlen = (uint32_t)val->l;

	return false;
}


/**
 * The index of wm's header lines, made on the first ask and kept with
 * its bytes: a copy of the same bytes (the UAS's of what the UAC sent,
 * a retransmission) reads the same one, and no Lua object holds it.
 * NULL for a head of more than HLINES_MAX lines or of 4 GB, or out of
 * memory: the caller reads the bytes with msgview_headers() then.
 */
const struct wire_hlines *wire_msg_hlines(const struct wire_msg *wm)
{
	/* the index is a cache of the bytes, which never change; b is
	 * its owner's own body, no const object */
	struct wire_body *b = (struct wire_body *)wm->b;
	struct hlines_walk w;
	struct wire_hlines *x;

	if (b->hlines)
		return b->hlines == &hlines_none ? NULL : b->hlines;

	w.base = b->raw->buf;
	w.n = 0;
	w.full = b->raw->end > UINT32_MAX;
	if (!w.full)
		(void)msgview_headers(b->raw->buf, b->raw->end, hline_add, &w);
	if (w.full) {
		b->hlines = &hlines_none;
		return NULL;
	}

	x = mem_alloc(sizeof(*x) + w.n * sizeof(w.v[0]), NULL);
	if (!x)
		return NULL;   /* asked again next time */
	x->n = w.n;
	if (w.n)
		memcpy(x->v, w.v, w.n * sizeof(w.v[0]));
	b->hlines = x;

	return x;
}


/* These bytes are on the wire, and libre decoded them there: a copy
 * need not be decoded again to know that it decodes (sizes.c). */
bool wire_decoded(const struct wire *wire, const uint8_t *p, size_t len)
{
	const struct wire_msg *twin = wire ? same_bytes(&wire->msgl, p, len)
					     : NULL;

	return twin && twin->decoded;
}


/* A retransmission is the same bytes, same direction, same endpoint.
 * The same bytes are always the same buffer (see wire_add). heard: one
 * of them reached the endpoint (the link dropped none of them). */
static bool seen_before(const struct wire *wire, const struct wire_msg *wm,
			bool heard)
{
	struct le *le;

	for (le = wire->msgl.head; le; le = le->next) {
		const struct wire_msg *o = le->data;

		if (o->b->raw == wm->b->raw && o->role == wm->role &&
		    o->tx == wm->tx &&
		    (!heard || o->link != WIRE_LINK_DROPPED))
			return true;
	}

	return false;
}


/* mb is about to be sent by a sender of ours that keeps it (for its
 * retransmissions, its ACK or CANCEL) and never changes its bytes
 * again; NULL once sent. A message traced with exactly its bytes is
 * kept by reference: each message a call holds was held twice, by the
 * sender and by the wire. Its room past the message goes first (once
 * shared, the buffer is never resized). */
void wire_sending(struct mbuf *mb)
{
	if (mb && mb->end && mb->size > mb->end && mem_nrefs(mb->buf) == 1)
		(void)mbuf_resize(mb, mb->end);
	sending = mb;
}


/* The bytes just sent, p..len, as the wire keeps them: a new mbuf on
 * the wire's buffer, for a sender that keeps them for later copies but
 * did not make them itself (libre's response of a server transaction,
 * which the reference UAS keeps as a replay: it was held twice, its own
 * trimmed copy and the wire's). NULL when they are not the wire's last
 * sent message. The buffer is never changed or resized. */
struct mbuf *wire_sent_ref(const uint8_t *p, size_t len)
{
	struct mbuf *mb;

	if (!last_sent || !p || last_sent->b->raw->end != len ||
	    memcmp(last_sent->b->raw->buf, p, len))
		return NULL;

	mb = mbuf_alloc_ref(last_sent->b->raw);
	if (mb)
		mb->pos = 0;

	return mb;
}


/* Why bytes that libre did not decode are no SIP message: the first
 * thing wrong, quoted (see wire_reason), then what the socket's side
 * knew (a connection closed mid-message); libre's own error only when
 * nothing better is known. */
static int why_set(struct wire_msg *wm, const char *given)
{
	static const char libre[] = "libre could not decode it";
	char why[256];

	struct wire_body *b = &wm->own;

	if (!wire_reason(why, sizeof(why), b->raw->buf, b->raw->end))
		return str_dup(&b->why, given ? given : libre);
	if (!given || !strncmp(given, libre, sizeof(libre) - 1) ||
	    !strcmp(given, why))
		return str_dup(&b->why, why);

	return re_sdprintf(&b->why, "%s; %s", why, given);
}


/* A decoded earlier copy of these bytes with the same transport and
 * addresses, whose body a new entry can share: the other end's copy of
 * a message between our UAC and UAS, or a retransmission. NULL: the
 * entry needs a body of its own (why: not to be decoded). */
static const struct wire_msg *sharable(const struct wire_msg *twin,
				       enum sip_transp tp,
				       const struct sa *src,
				       const struct sa *dst, const char *why)
{
	if (!twin || !twin->decoded || why || twin->tp != tp || !src ||
	    !dst)
		return NULL;
	/* (the same address and length: past that, the bytes of a sockaddr
	 * are padding nothing reads) */
	if (!sa_cmp(src, &twin->b->src, SA_ALL) ||
	    src->len != twin->b->src.len ||
	    !sa_cmp(dst, &twin->b->dst, SA_ALL) ||
	    dst->len != twin->b->dst.len)
		return NULL;

	return twin;
}


/* The body of a new entry wm of its own: the bytes at p, their head
 * and why they are no SIP (given: the socket's word) */
static int body_fill(struct wire_msg *wm, const struct wire_msg *twin,
		     const struct sa *src, const struct sa *dst,
		     const uint8_t *p, size_t len, const char *why)
{
	struct wire_body *b = &wm->own;

	wm->b = b;
	if (src)
		b->src = *src;
	if (dst)
		b->dst = *dst;

	/* each message between our UAC and UAS is on the wire twice, sent
	 * and received, and a retransmission is the same bytes again: one
	 * buffer (and one decoding) serves every copy */
	if (twin) {
		b->raw      = mem_ref(twin->b->raw);
		wm->decoded = twin->decoded;
		b->head     = twin->b->head;
		/* the twin may be a copy libre was not to get (no
		 * Content-Length on a stream): it decodes all the same */
		if (!wm->decoded && twin->b->why)
			head_decode(wm);
	}
	else if (sending && len && p == sending->buf && len == sending->end) {
		/* the sender's own bytes, which it keeps as they are: a
		 * reference, not a copy (an mbuf of its own: pos and end
		 * are the wire's) */
		b->raw = mbuf_alloc_ref(sending);
		if (!b->raw)
			return ENOMEM;
		head_decode(wm);
	}
	else {
		int err;

		b->raw = mbuf_alloc(len ? len : 1);
		if (!b->raw)
			return ENOMEM;
		err = mbuf_write_mem(b->raw, p, len);
		if (err)
			return err;

		if (fresh.msg && p == fresh.p && len == fresh.len)
			head_take(wm, fresh.msg, p);
		else
			head_decode(wm);
	}

	/* what libre could not decode, or was not to get (a stream
	 * message without Content-Length): no head, and why */
	if (!wm->decoded || why) {
		wm->decoded = false;
		return why_set(wm, why);
	}

	return 0;
}


static int add(struct wire *wire, enum wire_role role, bool tx,
	       enum sip_transp tp, const struct sa *src, const struct sa *dst,
	       const uint8_t *p, size_t len, const char *why,
	       enum wire_link link)
{
	const struct wire_msg *twin, *same;
	struct wire_msg *wm;
	int err = 0;

	if (!wire || !p)
		return EINVAL;

	twin = same_bytes(&wire->msgl, p, len);
	same = sharable(twin, tp, src, dst, why);

	/* a copy is the entry without a body: it shares its twin's (and
	 * holds the message that owns it) */
	wm = mem_zalloc(same ? offsetof(struct wire_msg, own) : sizeof(*wm),
			msg_destructor);
	if (!wm)
		return ENOMEM;

	wm->role = role;
	wm->tx   = tx;
	wm->tp   = tp;
	wm->usec = wire_now(wire);

	if (same) {
		wm->b       = same->b;
		wm->shared  = true;
		wm->decoded = true;
		mem_ref(body_owner(same->b));
	}
	else {
		err = body_fill(wm, twin, src, dst, p, len, why);
		if (err)
			goto out;
	}

	wm->link     = link;
	wm->retrans  = seen_before(wire, wm, false);
	wm->heard    = seen_before(wire, wm, true);
	wm->seq      = ++wire->count;
	list_append(&wire->msgl, &wm->le, wm);
	if (tx)
		last_sent = wm;

	if (wire->eh && link != WIRE_LINK_DROPPED)
		wire->eh(wm, wire->arg);

	return 0;

 out:
	mem_deref(wm);
	return err;
}


int wire_add(struct wire *wire, enum wire_role role, bool tx,
	     enum sip_transp tp, const struct sa *src, const struct sa *dst,
	     const uint8_t *p, size_t len)
{
	return add(wire, role, tx, tp, src, dst, p, len, NULL,
		   WIRE_LINK_NONE);
}


/* A message the remote UAS's agent says its UAS sent (tx) or got, in
 * edge mode: between the proxy and the UAS, on no socket of ours. It is
 * the UAS's side of the call, marked as the agent's word; no addresses
 * (the agent does not know the connection's), so no pcap packet. usec:
 * when it happened on the wire's clock, as the agent says (its report
 * comes later, over the control connection), at most now; the message
 * goes where that time puts it. */
int wire_report(struct wire *wire, bool tx, enum sip_transp tp,
		uint64_t usec, const uint8_t *p, size_t len)
{
	struct wire_msg *wm;
	struct le *le;
	int err = add(wire, WIRE_UAS, tx, tp, NULL, NULL, p, len, NULL,
		      WIRE_LINK_NONE);

	if (err)
		return err;

	wm = wire->msgl.tail->data;
	wm->reported = true;
	if (usec >= wm->usec)
		return 0;

	wm->usec = usec;
	list_unlink(&wm->le);
	for (le = wire->msgl.tail; le; le = le->prev) {
		const struct wire_msg *o = le->data;

		if (o->usec <= usec)
			break;
	}
	if (le)
		list_insert_after(&wire->msgl, le, &wm->le, wm);
	else
		list_prepend(&wire->msgl, &wm->le, wm);

	return 0;
}


/* What the mirror (wire_mirror) keeps of a message the UAC sent or got:
 * the remote UAS's copy, the other way round. */
static void mirror(struct wire *wire, enum wire_role role, bool tx,
		   enum sip_transp tp, const struct sa *src,
		   const struct sa *dst, const uint8_t *p, size_t len,
		   const char *why)
{
	const struct sa *peer = tx ? dst : src;
	struct wire_msg *wm;

	if (role != WIRE_UAC || !sa_isset(&wire->remote, SA_ALL) ||
	    !sa_cmp(peer, &wire->remote, SA_ALL))
		return;

	if (add(wire, WIRE_UAS, !tx, tp, src, dst, p, len, why,
		WIRE_LINK_NONE))
		return;
	wm = wire->msgl.tail->data;
	wm->mirror = true;
}


/* A message one of the test's endpoints received, as its socket got it
 * (sizes.c): why is NULL when libre took it, else why not. */
int wire_recv(struct wire *wire, enum wire_role role, enum sip_transp tp,
	      const struct sa *src, const struct sa *dst, const uint8_t *p,
	      size_t len, const char *why)
{
	int err;

	err = add(wire, role, false, tp, src, dst, p, len, why,
		  WIRE_LINK_NONE);
	if (!err)
		mirror(wire, role, false, tp, src, dst, p, len, why);

	return err;
}


/* The latest copy our UAC sent of these bytes: what a message impaired
 * on its way to the UAS was (wire_recv_link). */
static struct wire_msg *uac_copy(const struct wire *wire, const uint8_t *p,
				 size_t len)
{
	struct le *le;

	for (le = wire->msgl.tail; le; le = le->prev) {
		struct wire_msg *o = le->data;

		if (o->role == WIRE_UAC && o->tx && o->b->raw->end == len &&
		    !memcmp(o->b->raw->buf, p, len))
			return o->unseen ? NULL : o;
	}

	return NULL;
}


/**
 * A message the link impaired (link.h), on the wire as its endpoint got
 * it, marked. The rules judge the peer on what it received and what it
 * sent: a message dropped on its way to the UAS, and our UAC's copy of
 * it, are not for them (unseen); one dropped on its way to our UAC the
 * peer did send, and stays (the UAC's waits skip it); a copy the link
 * made to our UAC is none the peer sent (unseen), one it made to the UAS
 * is on the UAC's side too, as a copy sent.
 */
int wire_recv_link(struct wire *wire, enum wire_role role,
		   enum sip_transp tp, const struct sa *src,
		   const struct sa *dst, const uint8_t *p, size_t len,
		   enum wire_link link)
{
	struct wire_msg *sent = NULL;
	int err;

	if (role == WIRE_UAS)
		sent = uac_copy(wire, p, len);
	if (link == WIRE_LINK_DUPLICATE && sent) {
		err = add(wire, WIRE_UAC, true, tp, &sent->b->src,
			  &sent->b->dst, p, len, NULL, link);
		if (err)
			return err;
	}

	err = add(wire, role, false, tp, src, dst, p, len, NULL, link);
	if (err)
		return err;

	if (link == WIRE_LINK_DROPPED && role == WIRE_UAS) {
		((struct wire_msg *)wire->msgl.tail->data)->unseen = true;
		if (sent)
			sent->unseen = true;
	}
	else if (link == WIRE_LINK_DUPLICATE && role == WIRE_UAC) {
		((struct wire_msg *)wire->msgl.tail->data)->unseen = true;
	}

	return 0;
}


const char *wire_link_name(enum wire_link link)
{
	switch (link) {

	case WIRE_LINK_DROPPED:   return "dropped";
	case WIRE_LINK_DELAYED:   return "delayed";
	case WIRE_LINK_DUPLICATE: return "duplicate";
	case WIRE_LINK_REORDERED: return "reordered";
	default:                  return NULL;
	}
}


const struct list *wire_msgs(const struct wire *wire)
{
	return wire ? &wire->msgl : NULL;
}


/* The trace handler's arg for a sip instance of the role: the wire's
 * own (it goes with the wire; a sip instance does not free its arg) */
int wire_port_alloc(struct wire_port **portp, struct wire *wire,
		    enum wire_role role)
{
	struct wire_port *port;

	if (!portp || !wire || (unsigned)role > WIRE_PEER)
		return EINVAL;

	port = &wire->portv[role];
	port->wire = wire;
	port->role = role;
	*portp = port;

	return 0;
}


/* sip_trace_h: libre passes the arg given to sip_alloc, our port.
 * What libre sends: the received messages came before libre parsed
 * them (wire_recv), this would be a second copy of the decodable ones. */
void wire_trace(bool tx, enum sip_transp tp, const struct sa *src,
		const struct sa *dst, const uint8_t *pkt, size_t len,
		void *arg)
{
	struct wire_port *port = arg;

	tp = ws_transp(tp, src, dst);
	if (!tx || add(port->wire, port->role, tx, tp, src, dst, pkt, len,
		       NULL, WIRE_LINK_NONE))
		return;

	mirror(port->wire, port->role, tx, tp, src, dst, pkt, len, NULL);
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
	const struct wire_head *m = &wm->b->head;
	int err;

	err = re_hprintf(pf, "#%u +%llu.%03llums %s %s %s ",
			 wm->seq, (unsigned long long)wm->usec / 1000,
			 (unsigned long long)wm->usec % 1000,
			 wire_role_name(wm->role), wm->tx ? "sent" : "recv",
			 sip_transp_name(wm->tp));
	err |= wm->reported ? re_hprintf(pf, "(the agent's report) ")
		: re_hprintf(pf, "%J -> %J ", &wm->b->src, &wm->b->dst);
	if (wm->b->why)
		return err | re_hprintf(pf, "(undecodable, %zu bytes: %s)%s",
					wm->b->raw->end, wm->b->why,
					wm->retrans ? " [retransmission]"
					: "");
	if (m->req)
		err |= re_hprintf(pf, "%r %r", &m->met, &m->ruri);
	else
		err |= re_hprintf(pf, "%u %r (%r)", m->scode, &m->reason,
				  &m->cseq_met);

	err |= re_hprintf(pf, "%s", wm->retrans ? " [retransmission]" : "");
	if (wm->link)
		err |= re_hprintf(pf, " [%s by the link]",
				  wire_link_name(wm->link));

	return err;
}


/* A line of the message for a reason, quoted: at most 60 bytes, the ones
 * that are not printable ASCII as \xNN (the reason is one line). */
static void quote(char *buf, size_t sz, const uint8_t *p, size_t n)
{
	size_t i, k = 0;

	if (n && p[n - 1] == '\r')
		--n;

	for (i = 0; i < n && i < 60 && k + 5 < sz; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			buf[k++] = p[i];
		else
			k += re_snprintf(buf + k, sz - k, "\\x%02x", p[i]);
	}
	if (i < n && k + 4 < sz) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
}


static bool is_token(const uint8_t *p, size_t n)
{
	static const char other[] = "-.!%*_+`'~";
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum(p[i]) && !strchr(other, p[i]))
			return false;

	return n > 0;
}


/* what, then the line at p quoted, in buf; true */
static bool said(char *buf, size_t sz, const char *what, const uint8_t *p,
		 size_t n)
{
	char q[256];

	quote(q, sizeof(q), p, n);
	(void)re_snprintf(buf, sz, "%s: '%s'", what, q);

	return true;
}


/* The run of bytes other than SP at p, up to end (what "[^ ]+" takes) */
static size_t word(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *sp = memchr(p, ' ', (size_t)(end - p));

	return (size_t)((sp ? sp : end) - p);
}


/* The start line: Method SP Request-URI SP SIP/2.0, or SIP/2.0 SP
 * 3DIGIT SP Reason-Phrase (RFC 3261 7.1, 7.2); why not in buf. Read in
 * place, as "[^ ]+ [^ ]+ [^\r\n]*" from its first byte reads it (each
 * message of every call goes through here: a regular expression and the
 * quote made before knowing it was needed were 7 thousand instructions
 * a call under siptap load); the line is quoted only to say what is
 * wrong with it. */
static bool start_line_bad(char *buf, size_t sz, const uint8_t *p, size_t n)
{
	const size_t all = n;
	const uint8_t *end, *b, *c, *ce;
	struct pl a;

	if (n && p[n - 1] == '\r')
		--n;
	end = p + n;

	a.p = (const char *)p;
	a.l = word(p, end);
	b = p + a.l + 1;
	if (!a.l || b > end || p[a.l] != ' ' || b >= end || !word(b, end))
		return said(buf, sz, "the start line is no SIP request or "
			    "status line", p, all);
	c = b + word(b, end) + 1;
	if (c > end || c[-1] != ' ')
		return said(buf, sz, "the start line is no SIP request or "
			    "status line", p, all);
	for (ce = c; ce < end && *ce != '\r' && *ce != '\n'; ce++)
		;

	if (!pl_strcmp(&a, "SIP/2.0")) {
		if (c - b - 1 == 3 && isdigit(b[0]) && isdigit(b[1]) &&
		    isdigit(b[2]))
			return false;
		return said(buf, sz, "the status line has no 3-digit status "
			    "code", p, all);
	}

	if ((ce - c != 7 || memcmp(c, "SIP/2.0", 7)) && a.l >= 4 &&
	    !memcmp(a.p, "SIP/", 4))
		return said(buf, sz, "the start line is not SIP/2.0", p, all);
	if (ce - c != 7 || memcmp(c, "SIP/2.0", 7))
		return said(buf, sz, "the start line is not SIP/2.0 (a "
			    "request line ends with SIP/2.0)", p, all);
	if (!is_token((const uint8_t *)a.p, a.l))
		return said(buf, sz, "the method is no token", p, all);

	return false;
}


/* A header line (not a folded continuation): name, colon, value, the
 * name a token (RFC 3261 7.3, 25.1). line is its number in the message,
 * the start line being line 1. */
static bool header_line_bad(char *buf, size_t sz, const uint8_t *p,
			    size_t n, unsigned line)
{
	const uint8_t *colon = memchr(p, ':', n);
	size_t nl;
	char q[256];

	quote(q, sizeof(q), p, n);
	if (!colon) {
		(void)re_snprintf(buf, sz, "header line %u has no colon: "
				  "'%s'", line, q);
		return true;
	}

	for (nl = colon - p; nl && (p[nl - 1] == ' ' || p[nl - 1] == '\t');
	     nl--)
		;
	if (!is_token(p, nl)) {
		(void)re_snprintf(buf, sz, "header line %u has a name that is "
				  "no token: '%s'", line, q);
		return true;
	}

	return false;
}


/**
 * Why the start line of the bytes at p is no SIP request or status line,
 * in buf. libre decodes some that are not ("SIP/2.0 18 Ringing" as a
 * response with status 18): such a message is no SIP to siptap either,
 * kept from libre and from the rules that read calls, a P-WIRE-1
 * finding only.
 *
 * @return the length of the reason, 0 when the start line is good
 */
size_t wire_start_reason(char *buf, size_t sz, const uint8_t *p, size_t len)
{
	const uint8_t *eol = p ? memchr(p, '\n', len) : NULL;

	if (!buf || !sz || !eol)
		return 0;
	buf[0] = '\0';

	return start_line_bad(buf, sz, p, eol - p) ? strlen(buf) : 0;
}


/**
 * Why the bytes at p are no SIP message libre can decode, in buf: the
 * first thing wrong, quoted ("header line 3 has no colon: 'Bad'").
 *
 * @return the length of the reason, 0 when none was found here (the
 *         caller falls back to libre's error)
 */
size_t wire_reason(char *buf, size_t sz, const uint8_t *p, size_t len)
{
	const uint8_t *q = p, *end = p + len;
	unsigned line = 1;

	if (!buf || !sz)
		return 0;
	buf[0] = '\0';

	if (len <= 4) {
		(void)re_snprintf(buf, sz, "%zu byte%s: too short for a SIP "
				  "message", len, len == 1 ? "" : "s");
		return strlen(buf);
	}

	while (q < end) {
		const uint8_t *eol = memchr(q, '\n', end - q);
		size_t n = (eol ? eol : end) - q;

		if (line == 1 && !eol) {
			(void)re_snprintf(buf, sz, "the start line has no line "
					  "end (%zu bytes in all)", len);
			break;
		}
		if (line == 1 && start_line_bad(buf, sz, q, n))
			break;
		if (line > 1 && (n == 0 || (n == 1 && q[0] == '\r')))
			return 0;   /* the head is whole: libre's to tell */
		if (line == 2 && (q[0] == ' ' || q[0] == '\t')) {
			(void)re_snprintf(buf, sz, "header line 2 starts with "
					  "white space (a folded start line)");
			break;
		}
		if (line > 1 && q[0] != ' ' && q[0] != '\t' &&
		    header_line_bad(buf, sz, q, n, line))
			break;
		if (!eol) {
			(void)re_snprintf(buf, sz, "the head has no empty line "
					  "at its end");
			break;
		}
		q = eol + 1;
		++line;
	}
	if (q >= end && !buf[0])
		(void)re_snprintf(buf, sz, "the head has no empty line at its "
				  "end");

	return strlen(buf);
}
