/*
 * src/sip/uas.c's uas_reply_print() against libre's sip_treplyf(): for
 * PRACKs and BYEs of every shape the response's bytes depend on (Vias
 * on lines of their own or one line, rport asked or given or not, a
 * source other than the Via's, no To tag, compact names, Record-Route)
 * and each status code, the same bytes libre's server transaction
 * sends, and the same rport (where libre sends it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "uas.h"


static const char *const reqs[] = {
	"PRACK sip:uas@127.0.0.1:5070 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa1;rport\r\n"
	"From: <sip:uac@127.0.0.1:5060>;tag=1928301774\r\n"
	"To: <sip:uas@127.0.0.1:5070>;tag=8321234356\r\n"
	"Call-ID: a84b4c76e66710@127.0.0.1\r\n"
	"CSeq: 2 PRACK\r\n"
	"RAck: 1 1 INVITE\r\n"
	"Max-Forwards: 70\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	"BYE sip:uas@127.0.0.1:5070 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKa2\r\n"
	"Via: SIP/2.0/UDP 10.0.0.9:5099;branch=z9hG4bKb2;received=1.2.3.4\r\n"
	"Record-Route: <sip:p1;lr>\r\n"
	"From: \"A\" <sip:uac@127.0.0.1:5060>;tag=1\r\n"
	"To: <sip:uas@127.0.0.1:5070>\r\n"
	"Call-ID: c2\r\n"
	"CSeq: 3 BYE\r\n"
	"\r\n",
	"BYE sip:uas@127.0.0.1 SIP/2.0\r\n"
	"v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa3 , "
	"SIP/2.0/TCP h2:5080;branch=z9hG4bKb3\r\n"
	"f: <sip:uac@x>;tag=f3\r\n"
	"t: <sip:uas@y>;tag=t3\r\n"
	"i: c3\r\n"
	"CSeq: 4 BYE\r\n"
	"l: 0\r\n"
	"\r\n",
	"PRACK sip:uas@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP host.example:5060;rport=999;branch=z9hG4bKa4\r\n"
	"CSeq: 5 PRACK\r\n"
	"Call-ID: c4\r\n"
	"To: sip:uas@y\r\n"
	"From: sip:uac@x;tag=f4\r\n"
	"\r\n",
};

static const char *const srcs[] = {
	"127.0.0.1:5060", "127.0.0.2:7000", "127.0.0.1:5061",
};

static const struct {
	uint16_t scode;
	const char *reason;
} codes[] = {
	{200, "OK"}, {481, "Call/Transaction Does Not Exist"},
	{100, "Trying"}, {180, "Ringing"},
};


static void one(struct sip *sip, const char *req, const char *src,
		uint16_t scode, const char *reason)
{
	struct mbuf *in = mbuf_alloc(1024), *ours = mbuf_alloc(64);
	struct mbuf *theirs = NULL;
	struct sip_strans *st = NULL;
	struct sip_msg *msg = NULL;
	bool rport = false;
	struct pl rp;

	assert_non_null(in);
	assert_non_null(ours);
	assert_int_equal(mbuf_write_str(in, req), 0);
	in->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, in), 0);
	assert_int_equal(sa_decode(&msg->src, src, strlen(src)), 0);
	msg->tp = SIP_TRANSP_UDP;

	assert_int_equal(sip_strans_alloc(&st, sip, msg, NULL, NULL), 0);
	assert_int_equal(sip_treplyf(&st, &theirs, sip, msg, false, scode,
				     reason, "Content-Length: 0\r\n\r\n"), 0);
	assert_int_equal(uas_reply_print(ours, msg, scode, reason, &rport),
			 0);
	assert_non_null(theirs);
	assert_int_equal(ours->end, theirs->end);
	assert_memory_equal(ours->buf, theirs->buf, theirs->end);
	assert_int_equal(rport,
			 !msg_param_exists(&msg->via.params, "rport", &rp));

	mem_deref(st);
	mem_deref(theirs);
	mem_deref(ours);
	mem_deref(msg);
	mem_deref(in);
}


static void test_reply_print(void **state)
{
	struct sip *sip = NULL;
	struct sa laddr;
	size_t i, k, c;

	(void)state;
	assert_int_equal(sip_alloc(&sip, NULL, 1, 1, 1, NULL, NULL, NULL), 0);
	assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
	assert_int_equal(sip_transp_add(sip, SIP_TRANSP_UDP, &laddr), 0);

	for (i = 0; i < ARRAY_SIZE(reqs); i++)
		for (k = 0; k < ARRAY_SIZE(srcs); k++)
			for (c = 0; c < ARRAY_SIZE(codes); c++)
				one(sip, reqs[i], srcs[k], codes[c].scode,
				    codes[c].reason);

	sip_close(sip, true);
	mem_deref(sip);
}


/* libre for the whole group: its stack, timers and sockets */
static int group_setup(void **state)
{
	(void)state;
	return libre_init();
}


static int group_teardown(void **state)
{
	(void)state;
	libre_close();
	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_print),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
