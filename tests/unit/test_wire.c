/**
 * @file test_wire.c  Unit tests of src/sip/wire.c: why bytes are no SIP
 * message libre can decode (wire_reason), and what the wire keeps of them
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "wire.h"


static const char *reason(const char *msg)
{
	static char buf[256];

	(void)wire_reason(buf, sizeof(buf), (const uint8_t *)msg,
			  strlen(msg));

	return buf;
}


static void reasons(void **state)
{
	(void)state;

	assert_string_equal(reason("SIP/2.0 180 Ringing\r\nVia: x\r\n"
				   "Bad line\r\nContent-Length: 0\r\n\r\n"),
			    "header line 3 has no colon: 'Bad line'");
	assert_string_equal(reason("SIP/2.0 180 Ringing\r\nBad Name: x\r\n"
				   "\r\n"), "header line 2 has a name that "
			    "is no token: 'Bad Name: x'");
	assert_string_equal(reason("SIP/3.0 180 Ringing\r\n\r\n"),
			    "the start line is not SIP/2.0: "
			    "'SIP/3.0 180 Ringing'");
	assert_string_equal(reason("INVITE sip:a@b SIP/1.0\r\n\r\n"),
			    "the start line is not SIP/2.0 (a request line "
			    "ends with SIP/2.0): 'INVITE sip:a@b SIP/1.0'");
	assert_string_equal(reason("SIP/2.0 18 Ringing\r\n\r\n"),
			    "the status line has no 3-digit status code: "
			    "'SIP/2.0 18 Ringing'");
	assert_string_equal(reason("hello\r\n\r\n"), "the start line is no "
			    "SIP request or status line: 'hello'");
	assert_string_equal(reason("\x01\x02\xff garbage"), "the start line "
			    "has no line end (11 bytes in all)");
	assert_string_equal(reason("abc"), "3 bytes: too short for a SIP "
			    "message");
	assert_string_equal(reason("SIP/2.0 180 Ringing\r\nVia: x\r\n"),
			    "the head has no empty line at its end");
	/* folding is allowed, and a whole head is libre's to judge */
	assert_string_equal(reason("SIP/2.0 180 Ringing\r\nSubject: a\r\n"
				   " b\r\nContent-Length: 0\r\n\r\n"), "");
	assert_string_equal(reason("SIP/2.0 180 Ringing\r\n b\r\n\r\n"),
			    "header line 2 starts with white space (a folded "
			    "start line)");
}


static void undecodable_kept(void **state)
{
	static const char bad[] = "SIP/2.0 180 Ringing\r\nBad\r\n\r\n";
	static const char good[] = "SIP/2.0 180 Ringing\r\nCall-ID: a\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	const struct wire_msg *wm;
	struct wire *wire = NULL;
	struct sa a;
	(void)state;

	sa_set_str(&a, "127.0.0.1", 5060);
	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	assert_int_equal(wire_recv(wire, WIRE_UAC, SIP_TRANSP_UDP, &a, &a,
				   (const uint8_t *)bad, strlen(bad),
				   "libre could not decode it"), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_false(wm->decoded);
	assert_string_equal(wm->b->why, "header line 2 has no colon: 'Bad'");

	/* decodable, and still not for libre: why as given */
	assert_int_equal(wire_recv(wire, WIRE_UAC, SIP_TRANSP_TCP, &a, &a,
				   (const uint8_t *)good, strlen(good),
				   "it has no Content-Length"), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_false(wm->decoded);
	assert_string_equal(wm->b->why, "it has no Content-Length");

	assert_int_equal(wire_add(wire, WIRE_UAS, true, SIP_TRANSP_UDP, &a,
				  &a, (const uint8_t *)good, strlen(good)), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_true(wm->decoded);
	assert_null(wm->b->why);

	mem_deref(wire);
}


/* A datagram our sender sent is decoded once: that decoding is lent to
 * the libre that receives the same bytes (once), and is what an
 * in-dialog request gets for the wire's copy; nothing else is kept. */
static void sent_lent(void **state)
{
	static const char ok[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP "
		"127.0.0.1:5070;branch=z9hG4bKlent\r\nFrom: <sip:a@b>;tag=1"
		"\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: lent\r\nCSeq: 7 INVITE"
		"\r\nContent-Length: 4\r\n\r\nbody";
	static const char tcp[] = "SIP/2.0 200 OK\r\nCall-ID: tcp\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	static const char bad[] = "SIP/2.0 200 OK\r\nBad\r\n\r\n";
	const struct wire_msg *wm;
	struct sip_msg *msg, *again = NULL;
	struct wire *wire = NULL;
	struct sa a;
	(void)state;

	sa_set_str(&a, "127.0.0.1", 5060);
	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);

	/* received, over TCP, undecodable: none kept */
	assert_int_equal(wire_recv(wire, WIRE_UAC, SIP_TRANSP_UDP, &a, &a,
				   (const uint8_t *)tcp, strlen(tcp), NULL), 0);
	assert_null(wire_kept_take((const uint8_t *)tcp, strlen(tcp)));
	assert_int_equal(wire_add(wire, WIRE_UAS, true, SIP_TRANSP_TCP, &a,
				  &a, (const uint8_t *)ok, strlen(ok)), 0);
	assert_null(wire_kept_take((const uint8_t *)ok, strlen(ok)));
	assert_int_equal(wire_add(wire, WIRE_UAS, true, SIP_TRANSP_UDP, &a,
				  &a, (const uint8_t *)bad, strlen(bad)), 0);
	assert_null(wire_kept_take((const uint8_t *)bad, strlen(bad)));
	mem_deref(wire);

	/* sent over UDP: lent once, as libre decodes it */
	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	assert_int_equal(wire_add(wire, WIRE_UAS, true, SIP_TRANSP_UDP, &a,
				  &a, (const uint8_t *)ok, strlen(ok)), 0);
	wm = wire_msgs(wire)->tail->data;
	msg = wire_kept_take((const uint8_t *)ok, strlen(ok) - 1);
	assert_null(msg);
	msg = wire_kept_take((const uint8_t *)ok, strlen(ok));
	assert_non_null(msg);
	assert_null(wire_kept_take((const uint8_t *)ok, strlen(ok)));
	assert_int_equal(msg->scode, 200);
	assert_int_equal(msg->cseq.num, 7);
	assert_true(!pl_strcmp(&msg->to.tag, "2"));
	assert_true(!pl_strcmp(&msg->callid, "lent"));
	assert_int_equal(mbuf_get_left(msg->mb), 4);
	assert_memory_equal(mbuf_buf(msg->mb), "body", 4);
	assert_ptr_equal(msg->mb->buf, wm->b->raw->buf);

	/* the wire's copy, decoded for an in-dialog request: the same */
	assert_int_equal(wire_msg_decode(wm, &again), 0);
	assert_ptr_equal(again, msg);
	mem_deref(again);
	mem_deref(msg);
	mem_deref(wire);
}


/* What sizes.c decoded as it came (wire_fresh) is the wire's head for
 * those very bytes: not decoded again (here the bytes changed after, to
 * tell the two apart: CSeq 7 is the given decoding's). */
static void fresh_taken(void **state)
{
	static const char ok[] = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP "
		"127.0.0.1:5070;branch=z9hG4bKf\r\nFrom: <sip:a@b>;tag=1\r\n"
		"To: <sip:c@d>\r\nCall-ID: fresh\r\nCSeq: 7 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	struct mbuf *mb = mbuf_alloc(sizeof(ok));
	const struct wire_msg *wm;
	struct sip_msg *msg = NULL;
	struct wire *wire = NULL;
	char *cseq;
	struct sa a;
	(void)state;

	sa_set_str(&a, "127.0.0.1", 5060);
	assert_non_null(mb);
	assert_int_equal(mbuf_write_str(mb, ok), 0);
	mb->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, mb), 0);
	cseq = strstr((char *)mb->buf, "CSeq: 7");
	assert_non_null(cseq);
	cseq[6] = '8';

	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	wire_fresh(mb->buf, mb->end, msg);
	assert_int_equal(wire_recv(wire, WIRE_UAC, SIP_TRANSP_UDP, &a, &a,
				   mb->buf, mb->end, NULL), 0);
	wire_fresh(NULL, 0, NULL);
	wm = wire_msgs(wire)->tail->data;
	assert_true(wm->decoded);
	assert_int_equal(wm->b->head.cseq, 7);
	assert_int_equal(wm->b->head.scode, 180);
	assert_false(pl_isset(&wm->b->head.to_tag));
	assert_ptr_equal(wm->b->head.callid.p, (const char *)wm->b->raw->buf +
			 (msg->callid.p - (const char *)mb->buf));
	assert_true(!pl_strcmp(&wm->b->head.callid, "fresh"));
	assert_true(!pl_strcmp(&wm->b->head.cseq_met, "INVITE"));

	/* forgotten: the bytes as they are now are decoded (on a wire of
	 * their own: this one holds them decoded already) */
	wire = mem_deref(wire);
	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	assert_int_equal(wire_recv(wire, WIRE_UAC, SIP_TRANSP_UDP, &a, &a,
				   mb->buf, mb->end, NULL), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_int_equal(wm->b->head.cseq, 8);
	mem_deref(msg);
	mem_deref(mb);
	mem_deref(wire);
}


/* A message between our UAC and UAS is on the wire twice: the second
 * copy, same bytes, transport and addresses, shares the first's body
 * (its own role, direction and order); a copy that differs in any of
 * them, or that was not for libre, has its own. A request's head has
 * its URI, a response's its reason phrase (one union). */
static void copies_shared(void **state)
{
	static const char inv[] = "INVITE sip:c@d SIP/2.0\r\nVia: SIP/2.0/UDP "
		"127.0.0.1:5070;branch=z9hG4bKs\r\nFrom: <sip:a@b>;tag=1\r\n"
		"To: <sip:c@d>\r\nCall-ID: shared\r\nCSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char ring[] = "SIP/2.0 180 Ringing\r\nCall-ID: shared"
		"\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	const struct wire_msg *sent, *wm;
	struct wire *wire = NULL;
	struct sa a, b, c;
	(void)state;

	sa_set_str(&a, "127.0.0.1", 5060);
	sa_set_str(&b, "127.0.0.1", 5070);
	sa_set_str(&c, "::1", 5070);
	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	assert_int_equal(wire_add(wire, WIRE_UAC, true, SIP_TRANSP_UDP, &a,
				  &b, (const uint8_t *)inv, strlen(inv)), 0);
	sent = wire_msgs(wire)->tail->data;
	assert_false(sent->shared);
	assert_ptr_equal(sent->b, &sent->own);
	assert_true(sent->b->head.req);
	assert_true(!pl_strcmp(&sent->b->head.met, "INVITE"));
	assert_true(!pl_strcmp(&sent->b->head.ruri, "sip:c@d"));

	/* the UAS's copy */
	assert_int_equal(wire_recv(wire, WIRE_UAS, SIP_TRANSP_UDP, &a, &b,
				   (const uint8_t *)inv, strlen(inv), NULL), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_true(wm->shared);
	assert_ptr_equal(wm->b, sent->b);
	assert_true(wm->decoded);
	assert_int_equal(wm->role, WIRE_UAS);
	assert_false(wm->tx);
	assert_false(wm->retrans);
	assert_int_equal(wm->seq, 2);
	assert_int_equal(wm->tp, SIP_TRANSP_UDP);

	/* another address, another transport, not for libre: their own */
	assert_int_equal(wire_recv(wire, WIRE_UAS, SIP_TRANSP_UDP, &a, &c,
				   (const uint8_t *)inv, strlen(inv), NULL), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_false(wm->shared);
	assert_ptr_equal(wm->b, &wm->own);
	assert_true(sa_cmp(&wm->b->dst, &c, SA_ALL));
	assert_ptr_equal(wm->b->raw->buf, sent->b->raw->buf);
	assert_true(wm->retrans);
	assert_int_equal(wire_recv(wire, WIRE_UAS, SIP_TRANSP_TCP, &a, &b,
				   (const uint8_t *)inv, strlen(inv), NULL), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_false(wm->shared);
	assert_int_equal(wm->tp, SIP_TRANSP_TCP);
	assert_int_equal(wire_recv(wire, WIRE_UAS, SIP_TRANSP_UDP, &a, &b,
				   (const uint8_t *)inv, strlen(inv),
				   "it has no Content-Length"), 0);
	wm = wire_msgs(wire)->tail->data;
	assert_false(wm->shared);
	assert_false(wm->decoded);
	assert_string_equal(wm->b->why, "it has no Content-Length");
	assert_null(sent->b->why);

	assert_int_equal(wire_add(wire, WIRE_UAS, true, SIP_TRANSP_UDP, &b,
				  &a, (const uint8_t *)ring, strlen(ring)), 0);
	assert_int_equal(wire_recv(wire, WIRE_UAC, SIP_TRANSP_UDP, &b, &a,
				   (const uint8_t *)ring, strlen(ring), NULL),
			 0);
	wm = wire_msgs(wire)->tail->data;
	assert_true(wm->shared);
	assert_false(wm->b->head.req);
	assert_int_equal(wm->b->head.scode, 180);
	assert_true(!pl_strcmp(&wm->b->head.reason, "Ringing"));
	assert_false(pl_isset(&wm->b->head.met));

	mem_deref(wire);
}


/* A sip instance's trace arg is its role's port, the wire's own: what
 * it sends is on the wire as that role's */
static void ports_roles(void **state)
{
	static const char bye[] = "BYE sip:c@d SIP/2.0\r\nCall-ID: p\r\n"
		"CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
	struct wire_port *uac = NULL, *uas = NULL, *again = NULL;
	const struct wire_msg *wm;
	struct wire *wire = NULL;
	struct sa a, b;
	(void)state;

	sa_set_str(&a, "127.0.0.1", 5060);
	sa_set_str(&b, "127.0.0.1", 5070);
	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	assert_int_equal(wire_port_alloc(&uac, wire, WIRE_UAC), 0);
	assert_int_equal(wire_port_alloc(&uas, wire, WIRE_UAS), 0);
	assert_int_equal(wire_port_alloc(&again, wire, WIRE_UAS), 0);
	assert_ptr_equal(again, uas);
	assert_ptr_not_equal(uac, uas);
	assert_int_equal(wire_port_alloc(&again, wire, WIRE_PEER + 1),
			 EINVAL);

	wire_trace(true, SIP_TRANSP_UDP, &b, &a, (const uint8_t *)bye,
		   strlen(bye), uas);
	wm = wire_msgs(wire)->tail->data;
	assert_int_equal(wm->role, WIRE_UAS);
	assert_true(wm->tx);
	wire_trace(true, SIP_TRANSP_UDP, &a, &b, (const uint8_t *)bye,
		   strlen(bye), uac);
	wm = wire_msgs(wire)->tail->data;
	assert_int_equal(wm->role, WIRE_UAC);
	assert_int_equal(list_count(wire_msgs(wire)), 2);

	mem_deref(wire);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reasons),
		cmocka_unit_test(undecodable_kept),
		cmocka_unit_test(sent_lent),
		cmocka_unit_test(fresh_taken),
		cmocka_unit_test(copies_shared),
		cmocka_unit_test(ports_roles),
	};
	int r;

	if (libre_init())
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();

	return r;
}
