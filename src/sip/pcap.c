/**
 * @file pcap.c  A test's wire as a pcap file, for Wireshark and tshark
 *
 * The wire holds whole SIP messages with their real addresses, so each
 * becomes a raw IP packet (DLT_RAW: IPv4 and IPv6 alike) with headers
 * made up around it. UDP messages are one datagram each. TCP, TLS, WS
 * and WSS messages are data segments of a connection whose handshake
 * was never captured: sequence numbers start at 1 in each direction and
 * advance by the payload, so tshark's TCP reassembly still joins them.
 * A WS or WSS connection starts with its HTTP upgrade (made up: the wire
 * keeps SIP messages only) and kernel-like sequence numbers, and
 * carries each message in a frame, so Wireshark decodes SIP over
 * WebSocket (write_ws).
 */
/* libpcap's headers use the BSD u_char/u_int, which strict -std=c11
 * hides */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pcap/pcap.h>
#include <re.h>
#include "wire.h"
#include "pcap.h"
#include "ws.h"


enum {
	SNAPLEN  = 65535,  /**< largest packet a record holds      */
	IP4_HLEN = 20,
	IP6_HLEN = 40,
	UDP_HLEN = 8,
	TCP_HLEN = 20,
	TTL      = 64,
	TCP_PSH  = 0x08,
	TCP_ACK  = 0x10,
};

/* One pcap file being written; the destructor closes it. */
struct pcapw {
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	struct list flowl;      /**< TCP directions seen so far        */
	uint64_t t0;            /**< Unix time of the wire's usec 0    */
	uint16_t ipid;          /**< IPv4 identification, per packet   */
	uint8_t ttl;            /**< of this packet: 0 marks a drop    */
	uint8_t pkt[SNAPLEN];   /**< the packet being built            */
};

/* One direction of one TCP connection, so that its sequence numbers
 * follow on from one message to the next and the other direction can
 * acknowledge them. */
struct flow {
	struct le le;
	struct sa src;
	struct sa dst;
	uint32_t nxt;           /**< sequence number of its next byte  */
};


static void pcapw_destructor(void *arg)
{
	struct pcapw *w = arg;

	list_flush(&w->flowl);
	if (w->dumper)
		pcap_dump_close(w->dumper);
	if (w->pcap)
		pcap_close(w->pcap);
}


static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}


static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}


/* The Internet checksum (RFC 1071) is a ones' complement sum of 16-bit
 * big-endian words; this adds len bytes to a running sum and folds it,
 * so a sum may be carried across the pseudo-header, header and data.
 * Only the last piece may have an odd length. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return sum;
}


static uint16_t csum_final(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return ~sum & 0xffff;
}


/* UDP and TCP checksums cover a pseudo-header of the IP addresses,
 * protocol and length; the addresses are read back from the IP header
 * already built at ip, so the two can never disagree. */
static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint32_t sum;

	if (ip[0] >> 4 == 4)
		sum = csum_add(0, ip + 12, 8);
	else
		sum = csum_add(0, ip + 8, 32);

	return sum + proto + (uint32_t)l4len;
}


/* A capture needs both addresses in one IP family; anything else (an
 * address the trace did not give) cannot be written as a packet. */
static int msg_af(const struct sa *src, const struct sa *dst)
{
	int af = sa_af(src);

	if (af != sa_af(dst))
		return AF_UNSPEC;

	return af == AF_INET || af == AF_INET6 ? af : AF_UNSPEC;
}


static size_t ip_hlen(int af)
{
	return af == AF_INET ? IP4_HLEN : IP6_HLEN;
}


/* The IP header at the start of the packet, for l4len bytes of proto
 * after it; IPv4's header checksum is filled in here, IPv6 has none. */
static void ip_header(struct pcapw *w, const struct sa *src,
		      const struct sa *dst, int af, uint8_t proto, size_t l4len)
{
	uint8_t *p = w->pkt;

	if (af == AF_INET) {
		p[0] = 0x45;                       /* version 4, 5 words */
		p[1] = 0;
		put16(p + 2, (uint16_t)(IP4_HLEN + l4len));
		put16(p + 4, w->ipid++);
		put16(p + 6, 0x4000);              /* don't fragment     */
		p[8] = w->ttl;
		p[9] = proto;
		put16(p + 10, 0);
		memcpy(p + 12, &src->u.in.sin_addr, 4);
		memcpy(p + 16, &dst->u.in.sin_addr, 4);
		put16(p + 10, csum_final(csum_add(0, p, IP4_HLEN)));
		return;
	}

	put32(p, 6u << 28);                        /* version 6, no flow */
	put16(p + 4, (uint16_t)l4len);
	p[6] = proto;
	p[7] = w->ttl;
	memcpy(p + 8, &src->u.in6.sin6_addr, 16);
	memcpy(p + 24, &dst->u.in6.sin6_addr, 16);
}


/* One record of caplen bytes from w->pkt; len is what the packet would
 * have been had it fitted, larger only for a truncated datagram. Write
 * errors show when the file is flushed. */
static void dump(struct pcapw *w, uint64_t usec, size_t caplen, size_t len)
{
	struct pcap_pkthdr h;
	uint64_t t = w->t0 + usec;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec  = (time_t)(t / 1000000);
	h.ts.tv_usec = (suseconds_t)(t % 1000000);
	h.caplen     = (bpf_u_int32)caplen;
	h.len        = (bpf_u_int32)len;

	pcap_dump((u_char *)w->dumper, &h, w->pkt);
}


/* A datagram can hold no more than an IP packet does: a larger message
 * (which libre could not have sent over UDP either) keeps its first
 * bytes, and the record's original length says how many were cut, so
 * Wireshark shows it as "packet size limited during capture". */
static void write_udp(struct pcapw *w, const struct wire_msg *wm,
		      const struct sa *dst, int af)
{
	size_t iphl = ip_hlen(af);
	size_t len  = wm->b->raw->end;
	size_t n    = min(len, (size_t)SNAPLEN - iphl - UDP_HLEN);
	uint8_t *udp = w->pkt + iphl;
	uint16_t cs;

	ip_header(w, &wm->b->src, dst, af, IPPROTO_UDP, UDP_HLEN + n);

	put16(udp, sa_port(&wm->b->src));
	put16(udp + 2, sa_port(dst));
	put16(udp + 4, (uint16_t)(UDP_HLEN + n));
	put16(udp + 6, 0);
	memcpy(udp + UDP_HLEN, wm->b->raw->buf, n);

	cs = csum_final(csum_add(pseudo_sum(w->pkt, IPPROTO_UDP,
					    UDP_HLEN + n),
				 udp, UDP_HLEN + n));
	put16(udp + 6, cs ? cs : 0xffff);          /* 0 means "none"     */

	dump(w, wm->usec, iphl + UDP_HLEN + n, iphl + UDP_HLEN + len);
}


static struct flow *flow_find(const struct list *flowl, const struct sa *src,
			      const struct sa *dst)
{
	struct le *le;

	LIST_FOREACH(flowl, le) {
		struct flow *f = le->data;

		if (sa_cmp(&f->src, src, SA_ALL) &&
		    sa_cmp(&f->dst, dst, SA_ALL))
			return f;
	}

	return NULL;
}


/* The direction src->dst, made on its first message with its sequence
 * numbers starting at 1. */
static int flow_get(struct pcapw *w, const struct sa *src,
		    const struct sa *dst, struct flow **fp)
{
	struct flow *f = flow_find(&w->flowl, src, dst);

	if (!f) {
		f = mem_zalloc(sizeof(*f), NULL);
		if (!f)
			return ENOMEM;

		f->src = *src;
		f->dst = *dst;
		f->nxt = 1;
		list_append(&w->flowl, &f->le, f);
	}

	*fp = f;

	return 0;
}


/* Bytes on a stream become PSH|ACK data segments, as many as their
 * size needs, each acknowledging all the other direction has sent. */
static int write_segments(struct pcapw *w, const struct sa *src,
			  const struct sa *dst, int af, uint64_t usec,
			  const uint8_t *p, size_t len)
{
	size_t iphl = ip_hlen(af);
	size_t max  = (size_t)SNAPLEN - iphl - TCP_HLEN;
	size_t off  = 0;
	uint8_t *tcp = w->pkt + iphl;
	const struct flow *back;
	struct flow *f;
	uint32_t ack;
	int err;

	err = flow_get(w, src, dst, &f);
	if (err)
		return err;

	back = flow_find(&w->flowl, dst, src);
	ack  = back ? back->nxt : 1;

	do {
		size_t n = min(len - off, max);
		uint16_t cs;

		ip_header(w, src, dst, af, IPPROTO_TCP, TCP_HLEN + n);

		put16(tcp, sa_port(src));
		put16(tcp + 2, sa_port(dst));
		put32(tcp + 4, f->nxt);
		put32(tcp + 8, ack);
		tcp[12] = (TCP_HLEN / 4) << 4;     /* data offset        */
		tcp[13] = TCP_PSH | TCP_ACK;
		put16(tcp + 14, 65535);            /* window             */
		put16(tcp + 16, 0);
		put16(tcp + 18, 0);                /* urgent pointer     */
		memcpy(tcp + TCP_HLEN, p + off, n);

		cs = csum_final(csum_add(pseudo_sum(w->pkt, IPPROTO_TCP,
						    TCP_HLEN + n),
					 tcp, TCP_HLEN + n));
		put16(tcp + 16, cs);

		dump(w, usec, iphl + TCP_HLEN + n, iphl + TCP_HLEN + n);

		f->nxt += (uint32_t)n;
		off    += n;
	} while (off < len);

	return 0;
}


static int write_tcp(struct pcapw *w, const struct wire_msg *wm,
		     const struct sa *dst, int af)
{
	return write_segments(w, &wm->b->src, dst, af, wm->usec,
			      wm->b->raw->buf, wm->b->raw->end);
}


/* The opening handshake of a WebSocket connection, which the wire does
 * not keep (it is no SIP message): an upgrade and its 101 with
 * Sec-WebSocket-Protocol: sip, made up so that Wireshark follows the
 * stream from HTTP into WebSocket and from there into SIP. */
static int write_ws_handshake(struct pcapw *w, const struct sa *cli,
			      const struct sa *srv, int af, uint64_t usec)
{
	static const char key[] = "c2lwdGFwIHBjYXAga2V5IQ==";
	char req[256], res[256], accept[32];
	struct flow *fc, *fs;
	int n, m;

	/* sequence numbers that look like a kernel's (not 1), each
	 * direction its own, the same for the same ports */
	if (flow_get(w, cli, srv, &fc) || flow_get(w, srv, cli, &fs))
		return ENOMEM;
	fc->nxt = (sa_port(cli) << 16 | sa_port(srv)) * 2654435761u;
	fs->nxt = (sa_port(srv) << 16 | sa_port(cli)) * 2246822519u;

	ws_accept_key(key, accept);
	n = re_snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %J\r\n"
			"Upgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13"
			"\r\nSec-WebSocket-Protocol: sip\r\n\r\n", srv, key);
	m = re_snprintf(res, sizeof(res), "HTTP/1.1 101 Switching Protocols"
			"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Accept: %s\r\n"
			"Sec-WebSocket-Protocol: sip\r\n\r\n", accept);
	if (n < 0 || m < 0)
		return ENOMEM;

	return write_segments(w, cli, srv, af, usec, (uint8_t *)req, n) |
		write_segments(w, srv, cli, af, usec, (uint8_t *)res, m);
}


/* A SIP message over WebSocket: one text frame, masked from the client
 * (RFC 6455 5.3; the key is made up, the wire keeps the message, not
 * the frame). What came instead of a message (why) goes as its bytes.
 * The client is the side that is not siptap's edge: our UAC received
 * from it, or our UAS (a WebSocket client) sent. wss is shown as ws:
 * the wire keeps what was inside TLS. */
static int write_ws(struct pcapw *w, const struct wire_msg *wm,
		    const struct sa *dst, int af)
{
	const bool to_srv = (wm->role == WIRE_UAC) != wm->tx;
	const struct sa *cli = to_srv ? &wm->b->src : dst;
	const struct sa *srv = to_srv ? dst : &wm->b->src;
	uint8_t mkey[4];
	struct mbuf *mb;
	int err = 0;

	if (wm->b->why)
		return write_tcp(w, wm, dst, af);

	if (!flow_find(&w->flowl, cli, srv))
		err = write_ws_handshake(w, cli, srv, af, wm->usec);
	if (err)
		return err;

	mb = mbuf_alloc(wm->b->raw->end + 14);
	if (!mb)
		return ENOMEM;
	put32(mkey, (uint32_t)wm->seq * 2654435761u);
	err = ws_frame_encode(mb, 0x1, wm->b->raw->buf, wm->b->raw->end,
			      to_srv ? mkey : NULL);
	if (!err)
		err = write_segments(w, &wm->b->src, dst, af, wm->usec,
				     mb->buf, mb->end);
	mem_deref(mb);

	return err;
}


static bool is_stream(enum sip_transp tp)
{
	return tp == SIP_TRANSP_TCP || tp == SIP_TRANSP_TLS ||
	       tp == SIP_TRANSP_WS || tp == SIP_TRANSP_WSS;
}


/* When both ends are siptap's, each message is on the wire twice: sent
 * by one role and received by the other. Its twin is the copy going the
 * other way, with the same bytes, source and destination; a received
 * message with no twin came from a peer that is not siptap.
 *
 * On a stream the destination is not compared: libre (1.1.0 and since)
 * traces a message sent on an open connection with the address it was
 * asked to send to, which for a response is the Via's sent-by, not the
 * connection's far end. The receiving side's trace has the real one. */
static const struct wire_msg *twin_of(const struct list *msgs,
				      const struct wire_msg *wm)
{
	struct le *le;

	LIST_FOREACH(msgs, le) {
		const struct wire_msg *o = le->data;

		if (o->tx == wm->tx || o->tp != wm->tp || !o->b->raw)
			continue;
		if (o->b->raw->end != wm->b->raw->end)
			continue;
		if (!sa_cmp(&o->b->src, &wm->b->src, SA_ALL))
			continue;
		if (!is_stream(wm->tp) &&
		    !sa_cmp(&o->b->dst, &wm->b->dst, SA_ALL))
			continue;
		if (!memcmp(o->b->raw->buf, wm->b->raw->buf, wm->b->raw->end))
			return o;
	}

	return NULL;
}


/* Did link impairment (link.h) drop this message on its way in? A sent
 * one: its received copy, the next one with its bytes and addresses. */
static bool dropped(const struct wire_msg *wm)
{
	const struct le *le;

	if (wm->link == WIRE_LINK_DROPPED || !wm->tx)
		return wm->link == WIRE_LINK_DROPPED;

	for (le = wm->le.next; le; le = le->next) {
		const struct wire_msg *o = le->data;

		if (!o->tx && o->b->raw == wm->b->raw &&
		    sa_cmp(&o->b->src, &wm->b->src, SA_ALL) &&
		    sa_cmp(&o->b->dst, &wm->b->dst, SA_ALL))
			return o->link == WIRE_LINK_DROPPED;
	}

	return false;
}


/* One message as its packet(s), or none for a received copy of what
 * siptap sent. A sent stream message takes its destination from its
 * twin, so both directions of a connection share one TCP flow.
 * Messages no packet can show (no bytes, no addresses, an unknown
 * transport) are left out, not an error, so one odd trace does not
 * cost the whole capture. */
static int write_msg(struct pcapw *w, const struct list *msgs,
		     const struct wire_msg *wm)
{
	const struct wire_msg *twin;
	const struct sa *dst = &wm->b->dst;
	int af;

	if (!wm->b->raw)
		return 0;

	twin = twin_of(msgs, wm);
	if (twin && !wm->tx)
		return 0;
	if (twin && is_stream(wm->tp))
		dst = &twin->b->dst;

	af = msg_af(&wm->b->src, dst);
	if (af == AF_UNSPEC)
		return 0;

	/* a message the link dropped is in the capture, with TTL (IPv6:
	 * hop limit) 0: ip.ttl == 0 finds them (docs/network.md) */
	w->ttl = dropped(wm) ? 0 : TTL;

	if (wm->tp == SIP_TRANSP_UDP) {
		write_udp(w, wm, dst, af);
		return 0;
	}

	if (wm->tp == SIP_TRANSP_WS || wm->tp == SIP_TRANSP_WSS)
		return write_ws(w, wm, dst, af);

	return is_stream(wm->tp) ? write_tcp(w, wm, dst, af) : 0;
}


/**
 * Write a test's wire to a pcap file, one packet per message (a TCP
 * message over 64 KiB as several segments), each message once.
 *
 * @param path             File to (over)write; "-" is standard output
 * @param msgs             The wire's messages (struct wire_msg), in order
 * @param start_unix_usec  Unix time in microseconds of the wire's usec 0
 *
 * @return 0 if success, EINVAL, ENOMEM, or EIO if libpcap could not
 *         open or write the file
 */
int pcapw_write(const char *path, const struct list *msgs,
		uint64_t start_unix_usec)
{
	struct pcapw *w;
	struct le *le;
	int err = 0;

	if (!path || !msgs)
		return EINVAL;

	w = mem_zalloc(sizeof(*w), pcapw_destructor);
	if (!w)
		return ENOMEM;

	w->t0 = start_unix_usec;

	w->pcap = pcap_open_dead(DLT_RAW, SNAPLEN);
	if (!w->pcap) {
		err = ENOMEM;
		goto out;
	}

	w->dumper = pcap_dump_open(w->pcap, path);
	if (!w->dumper) {
		err = EIO;
		goto out;
	}

	LIST_FOREACH(msgs, le) {
		err = write_msg(w, msgs, le->data);
		if (err)
			goto out;
	}

	if (pcap_dump_flush(w->dumper))
		err = EIO;

 out:
	mem_deref(w);
	return err;
}
