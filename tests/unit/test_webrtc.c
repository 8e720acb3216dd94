/**
 * @file test_webrtc.c  Unit tests of src/sip/webrtc.c: the browser-shaped
 *                      offer, answers in kind, the faults, hostile offers
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "webrtc.h"


#define FP "a=fingerprint:sha-256 AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:" \
	"AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:CD\r\n"

/* Firefox-shaped: ICE and DTLS at session level, mids of its own */
#define FIREFOX(setup, extra) \
	"v=0\r\no=mozilla 4 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" FP \
	"a=group:BUNDLE a1 d1\r\n" \
	"m=audio 40000 UDP/TLS/RTP/SAVPF 109 0 101\r\n" \
	"c=IN IP4 127.0.0.1\r\na=sendonly\r\n" \
	"a=ice-pwd:0123456789abcdef0123456789abcdef\r\n" \
	"a=ice-ufrag:fedc0123\r\na=mid:a1\r\na=rtcp-mux\r\n" \
	"a=rtpmap:109 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=setup:" setup "\r\n" extra


static struct sa loopback(const char *addr)
{
	struct sa sa;

	assert_int_equal(sa_set_str(&sa, addr, 0), 0);

	return sa;
}


static void test_offer_shape(void **state)
{
	struct sa a = loopback("127.0.0.1");
	struct webrtc_opts o;
	char *sdp = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.video = true;
	assert_int_equal(webrtc_offer(&sdp, &a, &o), 0);
	assert_true(webrtc_is_offer(sdp));
	assert_non_null(strstr(sdp, "a=group:BUNDLE 0 1\r\n"));
	assert_non_null(strstr(sdp, "m=audio 49170 UDP/TLS/RTP/SAVPF 111 "));
	assert_non_null(strstr(sdp, "m=video 49172 UDP/TLS/RTP/SAVPF 96 97"));
	assert_non_null(strstr(sdp, "a=setup:actpass\r\n"));
	assert_non_null(strstr(sdp, "a=rtpmap:126 telephone-event/48000\r\n"));
	assert_non_null(strstr(sdp, "127.0.0.1 49170 typ host"));
	assert_null(strstr(sdp, "0.0.0.0"));
	mem_deref(sdp);
}


static void test_offer_data_channel(void **state)
{
	struct sa a = loopback("127.0.0.1");
	struct webrtc_opts o;
	char *sdp = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.data_channel = true;
	assert_int_equal(webrtc_offer(&sdp, &a, &o), 0);
	assert_non_null(strstr(sdp, "a=group:BUNDLE 0 1\r\n"));
	assert_non_null(strstr(sdp, "m=application 49172 UDP/DTLS/SCTP "
			       "webrtc-datachannel\r\nc=IN IP4 127.0.0.1\r\n"
			       "a=candidate:"));
	assert_non_null(strstr(sdp, "a=mid:1\r\na=sctp-port:5000\r\n"));
	sdp = mem_deref(sdp);

	o.video = true;
	assert_int_equal(webrtc_offer(&sdp, &a, &o), 0);
	assert_non_null(strstr(sdp, "a=group:BUNDLE 0 1 2\r\n"));
	assert_non_null(strstr(sdp, "m=application 49174 "));
	mem_deref(sdp);
}


static void test_offer_codecs(void **state)
{
	static const char *const codecs[] = {"PCMA", "telephone-event",
					     "opus"};
	struct sa a = loopback("127.0.0.1");
	struct webrtc_opts o;
	char *sdp = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.codecv = codecs;
	o.codecc = ARRAY_SIZE(codecs);
	o.direction = "sendonly";
	o.port = 40000;
	assert_int_equal(webrtc_offer(&sdp, &a, &o), 0);
	assert_non_null(strstr(sdp, "m=audio 40000 UDP/TLS/RTP/SAVPF "
			       "8 126 111\r\n"));
	assert_non_null(strstr(sdp, "a=fmtp:111 minptime=10;"));
	assert_non_null(strstr(sdp, "a=sendonly\r\n"));
	assert_null(strstr(sdp, "PCMU"));
	assert_null(strstr(sdp, "telephone-event/8000"));
	mem_deref(sdp);
}


static void test_offer_ipv6(void **state)
{
	struct sa a = loopback("::1");
	char *sdp = NULL;

	(void)state;
	assert_int_equal(webrtc_offer(&sdp, &a, NULL), 0);
	assert_non_null(strstr(sdp, "c=IN IP6 ::1\r\n"));
	assert_null(strstr(sdp, "m=video"));
	mem_deref(sdp);
}


static void test_answer_in_kind(void **state)
{
	struct sa a = loopback("127.0.0.1");
	char *sdp = NULL;

	(void)state;
	assert_int_equal(webrtc_answer(&sdp, &a, NULL, FIREFOX("actpass",
		"m=application 40000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
		"c=IN IP4 127.0.0.1\r\na=mid:d1\r\n")), 0);
	assert_non_null(strstr(sdp, "a=group:BUNDLE a1\r\n"));
	assert_non_null(strstr(sdp, "m=audio 49170 UDP/TLS/RTP/SAVPF "
			       "109 0 101\r\n"));
	assert_non_null(strstr(sdp, "a=setup:active\r\n"));
	assert_non_null(strstr(sdp, "a=mid:a1\r\n"));
	assert_non_null(strstr(sdp, "a=recvonly\r\n"));
	assert_non_null(strstr(sdp, "a=rtcp-mux\r\n"));
	assert_non_null(strstr(sdp, "a=fingerprint:sha-256 "));
	assert_non_null(strstr(sdp, "m=application 0 UDP/DTLS/SCTP "
			       "webrtc-datachannel\r\n"));
	assert_non_null(strstr(sdp, "a=mid:d1\r\n"));
	assert_null(strstr(sdp, "actpass"));
	assert_null(strstr(sdp, "fedc0123"));    /* its own credentials */
	mem_deref(sdp);
}


static void test_answer_passive(void **state)
{
	struct sa a = loopback("127.0.0.1");
	char *sdp = NULL;

	(void)state;
	assert_int_equal(webrtc_answer(&sdp, &a, NULL,
				       FIREFOX("active", "")), 0);
	assert_non_null(strstr(sdp, "a=setup:passive\r\n"));
	mem_deref(sdp);
}


static void test_answer_faults(void **state)
{
	struct sa a = loopback("127.0.0.1");
	struct webrtc_opts o;
	char *sdp = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.actpass_answer = o.no_fingerprint = o.foreign_mid = true;
	assert_int_equal(webrtc_answer(&sdp, &a, &o,
				       FIREFOX("actpass", "")), 0);
	assert_non_null(strstr(sdp, "a=setup:actpass\r\n"));
	assert_null(strstr(sdp, "a=fingerprint"));
	assert_non_null(strstr(sdp, "a=group:BUNDLE a1 siptap-x\r\n"));
	mem_deref(sdp);
}


static void test_answer_codecs(void **state)
{
	static const char *const codecs[] = {"PCMU"};
	struct sa a = loopback("127.0.0.1");
	struct webrtc_opts o;
	char *sdp = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.codecv = codecs;
	o.codecc = 1;
	o.direction = "inactive";
	assert_int_equal(webrtc_answer(&sdp, &a, &o,
				       FIREFOX("actpass", "")), 0);
	assert_non_null(strstr(sdp, "UDP/TLS/RTP/SAVPF 0\r\n"));
	assert_non_null(strstr(sdp, "a=inactive\r\n"));
	mem_deref(sdp);
}


/* What a peer may send: each is an error or an answer, never a crash */
static void test_answer_hostile(void **state)
{
	struct sa a = loopback("127.0.0.1");
	struct mbuf *mb = mbuf_alloc(4096);
	char *sdp = NULL, *many = NULL;
	int i;

	(void)state;
	assert_int_equal(webrtc_answer(&sdp, &a, NULL,
		"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF\r\n"), EBADMSG);
	assert_int_equal(webrtc_answer(&sdp, &a, NULL, "v=0\r\n"), EBADMSG);
	assert_int_equal(webrtc_answer(&sdp, &a, NULL, ""), EBADMSG);
	assert_int_equal(webrtc_answer(&sdp, &a, NULL, NULL), EINVAL);
	assert_null(sdp);

	/* LF line ends, no last line end, unknown codec only */
	assert_int_equal(webrtc_answer(&sdp, &a, NULL,
		"v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 100\na=mid:0\n"
		"a=rtpmap:100 foo/8000\na=fmtp:100"), 0);
	assert_non_null(strstr(sdp, "m=audio 0 UDP/TLS/RTP/SAVPF 100\r\n"));
	sdp = mem_deref(sdp);

	assert_non_null(mb);
	assert_int_equal(mbuf_write_str(mb, "v=0\r\n"), 0);
	for (i = 0; i < 17; i++)
		assert_int_equal(mbuf_write_str(mb, "m=audio 9 "
			"UDP/TLS/RTP/SAVPF 0\r\n"), 0);
	mb->pos = 0;
	assert_int_equal(mbuf_strdup(mb, &many, mb->end), 0);
	assert_int_equal(webrtc_answer(&sdp, &a, NULL, many), E2BIG);
	mem_deref(many);
	mem_deref(mb);
}


static void test_is_offer(void **state)
{
	(void)state;
	assert_false(webrtc_is_offer(NULL));
	assert_false(webrtc_is_offer("v=0\r\nm=audio 9 RTP/AVP 0\r\n"
				     "a=ice-ufrag:abcd\r\n" FP));
	assert_false(webrtc_is_offer("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0"
				     "\r\n" FP));
	assert_true(webrtc_is_offer("v=0\r\nm=audio 9 RTP/AVP 0\r\n"
				    "m=video 9 udp/tls/rtp/savpf 96\r\n"
				    "a=ice-ufrag:abcd\r\n" FP));
	assert_true(webrtc_is_offer(FIREFOX("actpass", "")));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offer_shape),
		cmocka_unit_test(test_offer_data_channel),
		cmocka_unit_test(test_offer_codecs),
		cmocka_unit_test(test_offer_ipv6),
		cmocka_unit_test(test_answer_in_kind),
		cmocka_unit_test(test_answer_passive),
		cmocka_unit_test(test_answer_faults),
		cmocka_unit_test(test_answer_codecs),
		cmocka_unit_test(test_answer_hostile),
		cmocka_unit_test(test_is_offer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
