/**
 * @file test_link.c  Unit tests of src/sip/link.c: which message a rule
 * names, which copies it takes, and random loss that replays by seed
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
#include "link.h"


static const char prack[] =
	"PRACK sip:a@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
	"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\n"
	"Call-ID: c1\r\nCSeq: 2 PRACK\r\nRAck: 1 1 INVITE\r\n"
	"Content-Length: 0\r\n\r\n";

static const char ok_invite[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
	"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\n"
	"Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";


static void messages(void **state)
{
	struct link_rule r;
	(void)state;

	memset(&r, 0, sizeof(r));
	assert_int_equal(link_rule_msg(&r, "PRACK"), 0);
	assert_string_equal(r.met, "PRACK");
	assert_int_equal(r.scode, 0);

	assert_int_equal(link_rule_msg(&r, "183"), 0);
	assert_int_equal(r.scode, 183);
	assert_string_equal(r.cseq_met, "");

	assert_int_equal(link_rule_msg(&r, "200 INVITE"), 0);
	assert_int_equal(r.scode, 200);
	assert_string_equal(r.cseq_met, "INVITE");
	assert_int_equal(link_rule_msg(&r, "200/PRACK"), 0);
	assert_string_equal(r.cseq_met, "PRACK");

	assert_int_equal(link_rule_msg(&r, "PRACK INVITE"), EINVAL);
	assert_int_equal(link_rule_msg(&r, "99"), EINVAL);
	assert_int_equal(link_rule_msg(&r, "700"), EINVAL);
	assert_int_equal(link_rule_msg(&r, ""), EINVAL);
	assert_int_equal(link_rule_msg(&r, "200 "), EINVAL);
	assert_int_equal(link_rule_msg(&r, "PR-ACK"), EINVAL);
}


/* Feeds msg to the link n times at the UAS's address; a bit a time,
 * set when the link took that copy. */
static unsigned feed(struct link *link, int role, const char *msg,
		     unsigned n)
{
	struct sa laddr, paddr;
	unsigned i, taken = 0;

	sa_set_str(&laddr, "127.0.0.1", 5060);
	sa_set_str(&paddr, "127.0.0.1", 5070);
	for (i = 0; i < n; i++) {
		struct mbuf *mb = mbuf_alloc(strlen(msg));

		assert_non_null(mb);
		(void)mbuf_write_str(mb, msg);
		mb->pos = 0;
		if (link_recv(link, role, &laddr, &paddr, mb))
			taken |= 1u << i;
		assert_int_equal(mb->pos, 0);   /* left as it came */
		mem_deref(mb);
	}

	return taken;
}


static void copies(void **state)
{
	struct wire *wire = NULL;
	struct link *link = NULL;
	struct link_rule r;
	(void)state;

	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	assert_int_equal(link_alloc(&link, wire, 0, 1), 0);

	/* the second and third PRACK to the UAS; none to the UAC */
	memset(&r, 0, sizeof(r));
	assert_int_equal(link_rule_msg(&r, "PRACK"), 0);
	r.action = LINK_DROP;
	r.to = WIRE_UAS;
	r.skip = 1;
	r.copies = 2;
	assert_int_equal(link_add(link, &r), 0);
	assert_int_equal(feed(link, WIRE_UAC, prack, 3), 0);
	assert_int_equal(feed(link, WIRE_UAS, prack, 5), 0x6);
	assert_int_equal(feed(link, WIRE_UAS, ok_invite, 2), 0);

	/* every 200 to the INVITE */
	memset(&r, 0, sizeof(r));
	assert_int_equal(link_rule_msg(&r, "200 INVITE"), 0);
	r.to = -1;
	assert_int_equal(link_add(link, &r), 0);
	assert_int_equal(feed(link, WIRE_UAC, ok_invite, 4), 0xf);

	/* the dropped ones are on the wire, marked */
	assert_int_equal(list_count(wire_msgs(wire)), 6);
	assert_int_equal(((struct wire_msg *)wire_msgs(wire)->head->data)
			 ->link, WIRE_LINK_DROPPED);

	mem_deref(link);
	mem_deref(wire);
}


/* The same seed drops the same copies; another seed others; 0 % none,
 * 100 % all */
static unsigned loss_run(uint64_t seed, uint32_t pct)
{
	struct wire *wire = NULL;
	struct link *link = NULL;
	unsigned taken;

	assert_int_equal(wire_alloc(&wire, NULL, NULL), 0);
	assert_int_equal(link_alloc(&link, wire, pct, seed), 0);
	taken = feed(link, WIRE_UAS, prack, 30);
	mem_deref(link);
	mem_deref(wire);

	return taken;
}


static void random_loss(void **state)
{
	unsigned a = loss_run(7, 50), n = 0, i;
	(void)state;

	assert_int_equal(loss_run(7, 50), a);
	assert_int_not_equal(loss_run(8, 50), a);
	assert_int_equal(loss_run(7, 0), 0);
	assert_int_equal(loss_run(7, 100), (1u << 30) - 1);
	for (i = 0; i < 30; i++)
		n += (a >> i) & 1;
	assert_in_range(n, 5, 25);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(messages),
		cmocka_unit_test(copies),
		cmocka_unit_test(random_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
