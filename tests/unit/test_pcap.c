/**
 * @file test_pcap.c  Unit tests of src/sip/pcap.c: a wire written as a pcap
 *                    file and read back with libpcap, header by header
 */
/* libpcap's headers use the BSD u_char/u_int, which strict -std=c11
 * hides */
#define _DEFAULT_SOURCE 1
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include <re.h>
#include "wire.h"
#include "pcap.h"


enum {
	MAX_PKTS = 16,
	BIG      = 70000,   /* more than one IP packet holds */
};

/* 2023-11-14T22:13:20.9995Z: close enough to a second's end that the
 * microseconds carry into the seconds */
static const uint64_t T0 = 1700000000999500ULL;

/* One record read back from the file. */
struct pkt {
	struct pcap_pkthdr h;
	uint8_t *data;
};

/* Each test's wire, file and what was read back from it. */
struct fix {
	struct list msgs;
	char path[64];
	struct pkt pkt[MAX_PKTS];
	size_t n;
};


static void msg_destructor(void *arg)
{
	struct wire_msg *wm = arg;

	mem_deref(wm->own.raw);
}


/* A wire message as wire_add would make it, without a wire: the fields
 * pcapw_write reads, and nothing decoded. */
static void add(struct fix *f, enum wire_role role, bool tx,
		enum sip_transp tp, const char *src, uint16_t sport,
		const char *dst, uint16_t dport, uint64_t usec,
		const void *p, size_t len)
{
	struct wire_msg *wm = mem_zalloc(sizeof(*wm), msg_destructor);

	assert_non_null(wm);
	wm->role = role;
	wm->tx   = tx;
	wm->tp   = tp;
	wm->usec = usec;
	wm->b    = &wm->own;
	if (src)
		assert_int_equal(0, sa_set_str(&wm->own.src, src, sport));
	if (dst)
		assert_int_equal(0, sa_set_str(&wm->own.dst, dst, dport));

	wm->own.raw = mbuf_alloc(len ? len : 1);
	assert_non_null(wm->own.raw);
	assert_int_equal(0, mbuf_write_mem(wm->own.raw, p, len));
	wm->own.raw->pos = 0;

	list_append(&f->msgs, &wm->le, wm);
}


static void add_str(struct fix *f, enum wire_role role, bool tx,
		    enum sip_transp tp, const char *src, uint16_t sport,
		    const char *dst, uint16_t dport, uint64_t usec,
		    const char *s)
{
	add(f, role, tx, tp, src, sport, dst, dport, usec, s, strlen(s));
}


/* Write the fixture's wire and read every record back, copied, since
 * libpcap reuses its buffer. */
static void write_and_read(struct fix *f)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int r;

	assert_int_equal(0, pcapw_write(f->path, &f->msgs, T0));

	p = pcap_open_offline(f->path, errbuf);
	assert_non_null(p);
	assert_int_equal(DLT_RAW, pcap_datalink(p));
	assert_int_equal(65535, pcap_snapshot(p));

	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		assert_true(f->n < MAX_PKTS);
		f->pkt[f->n].h    = *h;
		f->pkt[f->n].data = malloc(h->caplen);
		assert_non_null(f->pkt[f->n].data);
		memcpy(f->pkt[f->n].data, data, h->caplen);
		++f->n;
	}
	assert_int_equal(PCAP_ERROR_BREAK, r);   /* end of file, no error */

	pcap_close(p);
}


static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;

	strcpy(f->path, "/tmp/test_pcap_XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0) {
		free(f);
		return -1;
	}
	close(fd);

	*state = f;

	return 0;
}


static int teardown(void **state)
{
	struct fix *f = *state;
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->pkt[i].data);
	list_flush(&f->msgs);
	unlink(f->path);
	free(f);

	return 0;
}


static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}


static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}


/* The Internet checksum written out the long way, independent of the
 * one in pcap.c: summing data that carries a valid checksum gives 0. */
static uint16_t inet_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);

	return (uint16_t)~sum;
}


/* The UDP or TCP checksum of the segment after an IPv4 or IPv6 header
 * checks out against the pseudo-header. */
static void assert_l4_sum(const uint8_t *ip, size_t iphl, uint8_t proto)
{
	const uint8_t *l4 = ip + iphl;
	size_t l4len;
	uint32_t sum = proto;
	size_t i;

	if (iphl == 20) {
		l4len = get16(ip + 2) - 20;
		for (i = 12; i < 20; i += 2)
			sum += get16(ip + i);
	}
	else {
		l4len = get16(ip + 4);
		for (i = 8; i < 40; i += 2)
			sum += get16(ip + i);
	}
	sum += (uint32_t)l4len;

	assert_int_equal(0, inet_sum(sum, l4, l4len));
}


/* A well-formed IPv4 header from src to dst of proto, total bytes long. */
static void assert_ip4(const uint8_t *ip, const char *src, const char *dst,
		       uint8_t proto, size_t total)
{
	struct sa a;

	assert_int_equal(0x45, ip[0]);
	assert_int_equal(total, get16(ip + 2));
	assert_int_equal(0x4000, get16(ip + 6));
	assert_int_equal(64, ip[8]);
	assert_int_equal(proto, ip[9]);
	assert_int_equal(0, inet_sum(0, ip, 20));

	assert_int_equal(0, sa_set_str(&a, src, 0));
	assert_memory_equal(&a.u.in.sin_addr, ip + 12, 4);
	assert_int_equal(0, sa_set_str(&a, dst, 0));
	assert_memory_equal(&a.u.in.sin_addr, ip + 16, 4);
}


/* The record's time is the wire's start plus the message's usec. */
static void assert_time(const struct pkt *k, uint64_t usec)
{
	uint64_t t = T0 + usec;

	assert_int_equal(t / 1000000, k->h.ts.tv_sec);
	assert_int_equal(t % 1000000, k->h.ts.tv_usec);
}


static const char INVITE[] =
	"INVITE sip:b@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
	"Content-Length: 0\r\n\r\n";
static const char TRYING[] =
	"SIP/2.0 100 Trying\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
	"Content-Length: 0\r\n\r\n";
static const char OK[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
	"Content-Length: 0\r\n\r\n";


/* A UAC and UAS of siptap's over UDP, each message traced twice, and a
 * response from a peer that is not siptap, traced once on receipt: one
 * datagram each, with the headers a reader checks. */
static void test_udp(void **state)
{
	struct fix *f = *state;
	const uint8_t *ip, *udp;
	size_t len = strlen(INVITE);

	add_str(f, WIRE_UAC, true,  SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.1", 5060, 1000, INVITE);
	add_str(f, WIRE_UAS, false, SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.1", 5060, 1100, INVITE);
	add_str(f, WIRE_UAS, true,  SIP_TRANSP_UDP, "127.0.0.1", 5060,
		"127.0.0.1", 5070, 2000, TRYING);
	add_str(f, WIRE_UAC, false, SIP_TRANSP_UDP, "127.0.0.1", 5060,
		"127.0.0.1", 5070, 2100, TRYING);
	add_str(f, WIRE_UAC, false, SIP_TRANSP_UDP, "127.0.0.2", 5060,
		"127.0.0.1", 5070, 3000, OK);

	write_and_read(f);
	assert_int_equal(3, f->n);

	ip  = f->pkt[0].data;
	udp = ip + 20;
	assert_int_equal(20 + 8 + len, f->pkt[0].h.caplen);
	assert_int_equal(20 + 8 + len, f->pkt[0].h.len);
	assert_ip4(ip, "127.0.0.1", "127.0.0.1", 17, 20 + 8 + len);
	assert_int_equal(5070, get16(udp));
	assert_int_equal(5060, get16(udp + 2));
	assert_int_equal(8 + len, get16(udp + 4));
	assert_int_not_equal(0, get16(udp + 6));
	assert_l4_sum(ip, 20, 17);
	assert_memory_equal(INVITE, udp + 8, len);
	assert_time(&f->pkt[0], 1000);

	ip = f->pkt[1].data;
	assert_ip4(ip, "127.0.0.1", "127.0.0.1", 17,
		   20 + 8 + strlen(TRYING));
	assert_int_equal(5060, get16(ip + 20));
	assert_int_equal(5070, get16(ip + 22));
	assert_memory_equal(TRYING, ip + 28, strlen(TRYING));
	assert_time(&f->pkt[1], 2000);

	/* IPv4 identification differs from packet to packet */
	assert_int_not_equal(get16(f->pkt[0].data + 4),
			     get16(f->pkt[1].data + 4));

	ip = f->pkt[2].data;
	assert_ip4(ip, "127.0.0.2", "127.0.0.1", 17, 20 + 8 + strlen(OK));
	assert_l4_sum(ip, 20, 17);
	assert_memory_equal(OK, ip + 28, strlen(OK));
	assert_time(&f->pkt[2], 3000);
}


/* The same over IPv6: version, payload length, next header, addresses
 * and the UDP checksum IPv6 makes mandatory. */
static void test_udp_ipv6(void **state)
{
	struct fix *f = *state;
	const uint8_t *ip;
	size_t len = strlen(INVITE);
	struct sa a;

	add_str(f, WIRE_UAC, true, SIP_TRANSP_UDP, "::1", 5070,
		"2001:db8::5", 5060, 42, INVITE);

	write_and_read(f);
	assert_int_equal(1, f->n);

	ip = f->pkt[0].data;
	assert_int_equal(40 + 8 + len, f->pkt[0].h.caplen);
	assert_int_equal(0x60000000, get32(ip));
	assert_int_equal(8 + len, get16(ip + 4));
	assert_int_equal(17, ip[6]);
	assert_int_equal(64, ip[7]);
	assert_int_equal(0, sa_set_str(&a, "::1", 0));
	assert_memory_equal(&a.u.in6.sin6_addr, ip + 8, 16);
	assert_int_equal(0, sa_set_str(&a, "2001:db8::5", 0));
	assert_memory_equal(&a.u.in6.sin6_addr, ip + 24, 16);

	assert_int_equal(5070, get16(ip + 40));
	assert_int_equal(5060, get16(ip + 42));
	assert_int_equal(8 + len, get16(ip + 44));
	assert_int_not_equal(0, get16(ip + 46));
	assert_l4_sum(ip, 40, 17);
	assert_memory_equal(INVITE, ip + 48, len);
	assert_time(&f->pkt[0], 42);
}


/* One TCP segment's header: ports, numbers, PSH|ACK, checksum. */
static void assert_tcp(const struct pkt *k, uint16_t sport, uint16_t dport,
		       uint32_t seq, uint32_t ack, size_t paylen)
{
	const uint8_t *ip = k->data, *tcp = ip + 20;

	assert_int_equal(20 + 20 + paylen, k->h.caplen);
	assert_int_equal(k->h.caplen, k->h.len);
	assert_ip4(ip, "127.0.0.1", "127.0.0.1", 6, 20 + 20 + paylen);
	assert_int_equal(sport, get16(tcp));
	assert_int_equal(dport, get16(tcp + 2));
	assert_int_equal(seq, get32(tcp + 4));
	assert_int_equal(ack, get32(tcp + 8));
	assert_int_equal(0x50, tcp[12]);
	assert_int_equal(0x18, tcp[13]);
	assert_l4_sum(ip, 20, 6);
}


/* Over TCP each direction numbers its bytes from 1, and every segment
 * acknowledges all the other direction has sent so far, so a reader
 * can reassemble the stream without the handshake. */
static void test_tcp_seq(void **state)
{
	struct fix *f = *state;
	const uint32_t a = (uint32_t)strlen(INVITE);
	const uint32_t b = (uint32_t)strlen(TRYING);
	const uint32_t c = (uint32_t)strlen(OK);

	add_str(f, WIRE_UAC, true,  SIP_TRANSP_TCP, "127.0.0.1", 40000,
		"127.0.0.1", 5060, 10, INVITE);
	add_str(f, WIRE_UAS, false, SIP_TRANSP_TCP, "127.0.0.1", 40000,
		"127.0.0.1", 5060, 20, INVITE);
	add_str(f, WIRE_UAS, true,  SIP_TRANSP_TCP, "127.0.0.1", 5060,
		"127.0.0.1", 40000, 30, TRYING);
	add_str(f, WIRE_UAC, false, SIP_TRANSP_TCP, "127.0.0.1", 5060,
		"127.0.0.1", 40000, 40, TRYING);
	add_str(f, WIRE_UAS, true,  SIP_TRANSP_TCP, "127.0.0.1", 5060,
		"127.0.0.1", 40000, 50, OK);
	add_str(f, WIRE_UAC, true,  SIP_TRANSP_TCP, "127.0.0.1", 40000,
		"127.0.0.1", 5060, 60, INVITE);

	write_and_read(f);
	assert_int_equal(4, f->n);

	assert_tcp(&f->pkt[0], 40000, 5060, 1,     1,         a);
	assert_tcp(&f->pkt[1], 5060, 40000, 1,     1 + a,     b);
	assert_tcp(&f->pkt[2], 5060, 40000, 1 + b, 1 + a,     c);
	assert_tcp(&f->pkt[3], 40000, 5060, 1 + a, 1 + b + c, a);

	assert_memory_equal(INVITE, f->pkt[0].data + 40, a);
	assert_memory_equal(OK, f->pkt[2].data + 40, c);
	assert_time(&f->pkt[0], 10);
	assert_time(&f->pkt[3], 60);
}


static bool has(const uint8_t *p, size_t n, const char *s)
{
	const size_t l = strlen(s);
	size_t i;

	for (i = 0; i + l <= n; i++)
		if (!memcmp(p + i, s, l))
			return true;

	return false;
}


/* Over WebSocket the connection starts with the upgrade and its 101
 * (made up, with the sip subprotocol), then each message is one text
 * frame: masked from the client (the side our UAC received from),
 * plain from the server; the sequence numbers follow on from the
 * handshake's. */
static void test_ws(void **state)
{
	struct fix *f = *state;
	const size_t a = strlen(INVITE), b = strlen(TRYING);
	const uint8_t *req, *res, *fr;
	uint32_t s0, s1;
	size_t i, n0, n1;
	uint8_t un[sizeof(TRYING)];

	/* our UAC (the edge) sends the INVITE, the client answers */
	add_str(f, WIRE_UAC, true,  SIP_TRANSP_WS, "127.0.0.1", 8080,
		"127.0.0.1", 40000, 10, INVITE);
	add_str(f, WIRE_UAC, false, SIP_TRANSP_WS, "127.0.0.1", 40000,
		"127.0.0.1", 8080, 20, TRYING);

	write_and_read(f);
	assert_int_equal(4, f->n);

	req = f->pkt[0].data + 40;
	res = f->pkt[1].data + 40;
	n0  = f->pkt[0].h.caplen - 40;
	n1  = f->pkt[1].h.caplen - 40;
	assert_memory_equal(req, "GET / HTTP/1.1\r\n", 16);
	assert_true(has(req, n0, "Sec-WebSocket-Protocol: sip\r\n"));
	assert_memory_equal(res, "HTTP/1.1 101 ", 13);
	assert_true(has(res, n1, "Sec-WebSocket-Protocol: sip\r\n"));
	assert_int_equal(40000, get16(f->pkt[0].data + 20));   /* client */
	s0 = get32(f->pkt[0].data + 24);
	s1 = get32(f->pkt[1].data + 24);
	assert_true(s0 != 1 && s1 != 1);

	/* server to client: unmasked, after the 101 */
	fr = f->pkt[2].data + 40;
	assert_int_equal(8080, get16(f->pkt[2].data + 20));
	assert_int_equal(s1 + n1, get32(f->pkt[2].data + 24));
	assert_int_equal(0x81, fr[0]);
	assert_int_equal(a, fr[1]);                    /* < 126, no mask */
	assert_memory_equal(INVITE, fr + 2, a);

	/* client to server: masked */
	fr = f->pkt[3].data + 40;
	assert_int_equal(s0 + n0, get32(f->pkt[3].data + 24));
	assert_int_equal(0x81, fr[0]);
	assert_true(fr[1] & 0x80);
	assert_int_equal(b, fr[1] & 0x7f);
	for (i = 0; i < b; i++)
		un[i] = fr[6 + i] ^ fr[2 + (i & 3)];
	assert_memory_equal(TRYING, un, b);
	for (i = 0; i < f->n; i++)
		assert_l4_sum(f->pkt[i].data, 20, 6);
}


/* libre traces a response sent on an accepted connection as going to
 * the Via's sent-by, not to the connection's far end; the receiver's
 * copy has the real address, and the packet must take it, or the
 * response would leave the connection it belongs to. */
static void test_tcp_response_via(void **state)
{
	struct fix *f = *state;
	const uint32_t a = (uint32_t)strlen(INVITE);
	const uint32_t b = (uint32_t)strlen(TRYING);

	add_str(f, WIRE_UAC, true,  SIP_TRANSP_TCP, "127.0.0.1", 53374,
		"127.0.0.1", 5060, 10, INVITE);
	add_str(f, WIRE_UAS, false, SIP_TRANSP_TCP, "127.0.0.1", 53374,
		"127.0.0.1", 5060, 20, INVITE);
	/* sent "to" the Via's port 5070, received on port 53374 */
	add_str(f, WIRE_UAS, true,  SIP_TRANSP_TCP, "127.0.0.1", 5060,
		"127.0.0.1", 5070, 30, TRYING);
	add_str(f, WIRE_UAC, false, SIP_TRANSP_TCP, "127.0.0.1", 5060,
		"127.0.0.1", 53374, 40, TRYING);
	/* a peer that is not siptap: its trace is all there is */
	add_str(f, WIRE_UAS, true,  SIP_TRANSP_TCP, "127.0.0.1", 5060,
		"127.0.0.1", 5070, 50, OK);

	write_and_read(f);
	assert_int_equal(3, f->n);

	assert_tcp(&f->pkt[0], 53374, 5060, 1, 1,     a);
	assert_tcp(&f->pkt[1], 5060, 53374, 1, 1 + a, b);
	assert_time(&f->pkt[1], 30);
	assert_tcp(&f->pkt[2], 5060, 5070,  1, 1,     strlen(OK));
}


/* A TLS message too big for one packet becomes consecutive segments
 * at the same time, carrying its bytes in order; TLS is written as its
 * plaintext over TCP. */
static void test_tcp_split(void **state)
{
	struct fix *f = *state;
	const size_t first = 65535 - 40;
	uint8_t *big = malloc(BIG);
	size_t i;

	assert_non_null(big);
	for (i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 7);

	add(f, WIRE_UAC, true, SIP_TRANSP_TLS, "127.0.0.1", 40001,
	    "127.0.0.1", 5061, 77, big, BIG);

	write_and_read(f);
	assert_int_equal(2, f->n);

	assert_tcp(&f->pkt[0], 40001, 5061, 1, 1, first);
	assert_tcp(&f->pkt[1], 40001, 5061, 1 + (uint32_t)first, 1,
		   BIG - first);
	assert_int_equal(65535, f->pkt[0].h.caplen);
	assert_memory_equal(big, f->pkt[0].data + 40, first);
	assert_memory_equal(big + first, f->pkt[1].data + 40, BIG - first);
	assert_time(&f->pkt[0], 77);
	assert_time(&f->pkt[1], 77);

	free(big);
}


/* A datagram cannot be split: it keeps what fits, and the record's
 * original length tells a reader how much was cut. */
static void test_udp_truncated(void **state)
{
	struct fix *f = *state;
	uint8_t *big = calloc(1, BIG);
	const uint8_t *ip;

	assert_non_null(big);
	add(f, WIRE_UAC, true, SIP_TRANSP_UDP, "127.0.0.1", 5070,
	    "127.0.0.1", 5060, 5, big, BIG);

	write_and_read(f);
	assert_int_equal(1, f->n);

	ip = f->pkt[0].data;
	assert_int_equal(65535, f->pkt[0].h.caplen);
	assert_int_equal(20 + 8 + BIG, f->pkt[0].h.len);
	assert_ip4(ip, "127.0.0.1", "127.0.0.1", 17, 65535);
	assert_int_equal(65535 - 20, get16(ip + 24));
	assert_l4_sum(ip, 20, 17);

	free(big);
}


/* Only a received message with a sent twin (same bytes, source and
 * destination) is dropped, wherever the twin is in the list; sent
 * retransmissions all stay, and near-twins are other packets. */
static void test_dedupe(void **state)
{
	struct fix *f = *state;

	/* received traced before the send: still an echo */
	add_str(f, WIRE_UAS, false, SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.1", 5060, 1, INVITE);
	add_str(f, WIRE_UAC, true,  SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.1", 5060, 2, INVITE);
	/* a retransmission, sent and received again */
	add_str(f, WIRE_UAC, true,  SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.1", 5060, 3, INVITE);
	add_str(f, WIRE_UAS, false, SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.1", 5060, 4, INVITE);
	/* same bytes, another source port: not ours */
	add_str(f, WIRE_UAS, false, SIP_TRANSP_UDP, "127.0.0.1", 5071,
		"127.0.0.1", 5060, 5, INVITE);
	/* same bytes, another destination: not ours */
	add_str(f, WIRE_UAS, false, SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.3", 5060, 6, INVITE);
	/* same addresses, other bytes: not ours */
	add_str(f, WIRE_UAS, false, SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"127.0.0.1", 5060, 7, OK);

	write_and_read(f);
	assert_int_equal(5, f->n);

	assert_time(&f->pkt[0], 2);
	assert_time(&f->pkt[1], 3);
	assert_time(&f->pkt[2], 5);
	assert_int_equal(5071, get16(f->pkt[2].data + 20));
	assert_time(&f->pkt[3], 6);
	assert_time(&f->pkt[4], 7);
	assert_memory_equal(OK, f->pkt[4].data + 28, strlen(OK));
}


/* Messages no packet can carry are left out, and an empty wire is
 * still a valid, empty capture. */
static void test_skipped(void **state)
{
	struct fix *f = *state;

	add_str(f, WIRE_UAC, true, SIP_TRANSP_UDP, NULL, 0, NULL, 0, 1,
		INVITE);
	add_str(f, WIRE_UAC, true, SIP_TRANSP_UDP, "127.0.0.1", 5070,
		"::1", 5060, 2, INVITE);

	write_and_read(f);
	assert_int_equal(0, f->n);
}


static void test_errors(void **state)
{
	struct fix *f = *state;

	assert_int_equal(EINVAL, pcapw_write(NULL, &f->msgs, T0));
	assert_int_equal(EINVAL, pcapw_write(f->path, NULL, T0));
	assert_int_equal(EIO, pcapw_write("/nonexistent-dir/x.pcap",
					  &f->msgs, T0));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_ipv6, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ws, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_seq, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_response_via, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_split, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
