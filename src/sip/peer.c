/**
 * @file peer.c  A hostile peer: raw bytes at siptap's own UAC and UAS
 */
#include <string.h>
#include <re.h>
#include "wire.h"
#include "peer.h"
#include "sizes.h"


struct peer {
	struct wire *wire;
	struct udp_sock *us;
	struct sa laddr;
	struct list connl;
};

/* One TCP connection: bytes wait until it is established; with cut,
 * it is closed right after them (a stream cut mid-message). */
struct conn {
	struct le le;
	struct peer *peer;
	struct tcp_conn *tc;
	struct mbuf *mb;
	struct sa dst;
	bool cut;
};


static void conn_destructor(void *arg)
{
	struct conn *c = arg;

	list_unlink(&c->le);
	mem_deref(c->tc);
	mem_deref(c->mb);
}


static void peer_destructor(void *arg)
{
	struct peer *peer = arg;

	list_flush(&peer->connl);
	mem_deref(peer->us);
}


static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct peer *peer = arg;

	(void)wire_add(peer->wire, WIRE_PEER, false, SIP_TRANSP_UDP, src,
		       &peer->laddr, mbuf_buf(mb), mbuf_get_left(mb));
}


int peer_alloc(struct peer **peerp, struct wire *wire,
	       const struct sa *laddr)
{
	struct peer *peer;
	int err;

	peer = mem_zalloc(sizeof(*peer), peer_destructor);
	if (!peer)
		return ENOMEM;

	peer->wire = wire;
	peer->laddr = *laddr;
	err = udp_listen(&peer->us, &peer->laddr, udp_recv, peer);
	if (!err)
		err = udp_local_get(peer->us, &peer->laddr);

	if (err)
		mem_deref(peer);
	else
		*peerp = peer;

	return err;
}


static void tcp_estab(void *arg)
{
	struct conn *c = arg;
	struct sa laddr;

	(void)tcp_conn_local_get(c->tc, &laddr);
	c->mb->pos = 0;
	(void)wire_add(c->peer->wire, WIRE_PEER, true, SIP_TRANSP_TCP,
		       &laddr, &c->dst, mbuf_buf(c->mb),
		       mbuf_get_left(c->mb));
	(void)tcp_send(c->tc, c->mb);
	if (c->cut)
		c->tc = mem_deref(c->tc);
}


static void tcp_recv(struct mbuf *mb, void *arg)
{
	struct conn *c = arg;
	struct sa laddr;

	(void)tcp_conn_local_get(c->tc, &laddr);
	(void)wire_add(c->peer->wire, WIRE_PEER, false, SIP_TRANSP_TCP,
		       &c->dst, &laddr, mbuf_buf(mb), mbuf_get_left(mb));
}


static void tcp_close(int err, void *arg)
{
	struct conn *c = arg;

	(void)err;
	c->tc = mem_deref(c->tc);
}


static int send_tcp(struct peer *peer, const struct sa *dst,
		    const uint8_t *p, size_t len, bool cut)
{
	struct conn *c;
	int err;

	c = mem_zalloc(sizeof(*c), conn_destructor);
	if (!c)
		return ENOMEM;

	c->peer = peer;
	c->dst  = *dst;
	c->cut  = cut;
	list_append(&peer->connl, &c->le, c);

	c->mb = mbuf_alloc(len ? len : 1);
	if (!c->mb)
		return ENOMEM;
	err = mbuf_write_mem(c->mb, p, len);
	if (!err)
		err = tcp_connect(&c->tc, dst, tcp_estab, tcp_recv, tcp_close,
				  c);
	if (!err)   /* what comes back goes on the wire in whole messages */
		err = sizes_frame(c->tc);

	return err;
}


int peer_send(struct peer *peer, enum sip_transp tp, const struct sa *dst,
	      const uint8_t *p, size_t len, bool cut)
{
	struct mbuf *mb;
	int err;

	if (!peer || !dst || !p)
		return EINVAL;

	if (tp == SIP_TRANSP_TCP)
		return send_tcp(peer, dst, p, len, cut);

	mb = mbuf_alloc(len ? len : 1);
	if (!mb)
		return ENOMEM;
	err = mbuf_write_mem(mb, p, len);
	if (!err) {
		mb->pos = 0;
		(void)wire_add(peer->wire, WIRE_PEER, true, SIP_TRANSP_UDP,
			       &peer->laddr, dst, p, len);
		err = udp_send(peer->us, dst, mb);
	}
	mem_deref(mb);

	return err;
}


const struct sa *peer_laddr(const struct peer *peer)
{
	return &peer->laddr;
}
