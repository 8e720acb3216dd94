/**
 * @file test_ws.c  Unit tests of src/sip/ws.c's codec: the opening
 * handshake (RFC 6455 4, RFC 7118 4.1) and frames (RFC 6455 5)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "ws.h"

#define UPGRADE(proto) \
	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" \
	"Connection: keep-alive, Upgrade\r\n" \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n" proto "\r\n"


static int parse(const char *s, struct ws_upgrade *up, char *why)
{
	size_t hlen = 0;

	return ws_upgrade_parse((const uint8_t *)s, strlen(s), &hlen, up, why,
				256);
}


/* RFC 6455 1.3's example key and its answer */
static void accept_key(void **state)
{
	char out[32];
	(void)state;

	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}


static void upgrades(void **state)
{
	struct ws_upgrade up;
	char why[256];
	(void)state;

	assert_int_equal(parse(UPGRADE("Sec-WebSocket-Protocol: chat, sip\r\n"),
			       &up, why), 0);
	assert_true(up.sip);
	assert_string_equal(up.key, "dGhlIHNhbXBsZSBub25jZQ==");

	/* no sip offered: parsed, but not sip (the server refuses it) */
	assert_int_equal(parse(UPGRADE(""), &up, why), 0);
	assert_false(up.sip);
	assert_int_equal(parse(UPGRADE("Sec-WebSocket-Protocol: sipx\r\n"),
			       &up, why), 0);
	assert_false(up.sip);

	/* not whole yet; garbage at once */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n", &up, why),
			 EAGAIN);
	assert_int_equal(parse("HELLO\r\n\r\n", &up, why), EPROTO);
	assert_non_null(strstr(why, "'HELLO'"));
	assert_int_equal(parse("POST / HTTP/1.1\r\n\r\n", &up, why), EPROTO);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &up,
			       why), EPROTO);
	assert_non_null(strstr(why, "Upgrade: websocket"));
}


static void answers(void **state)
{
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
	const char *ok = "HTTP/1.1 101 Switching Protocols\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		"Sec-WebSocket-Protocol: sip\r\n\r\n";
	const char *noproto = "HTTP/1.1 101 Switching Protocols\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	const char *refused = "HTTP/1.1 400 Bad Request\r\n\r\n";
	char why[256];
	size_t hlen;
	(void)state;

	assert_int_equal(ws_response_check((const uint8_t *)ok, strlen(ok),
					   &hlen, key, why, sizeof(why)), 0);
	assert_int_equal(hlen, strlen(ok));
	assert_int_equal(ws_response_check((const uint8_t *)noproto,
					   strlen(noproto), &hlen, key, why,
					   sizeof(why)), EPROTO);
	assert_non_null(strstr(why, "Sec-WebSocket-Protocol: sip"));
	assert_int_equal(ws_response_check((const uint8_t *)refused,
					   strlen(refused), &hlen, key, why,
					   sizeof(why)), EPROTO);
	assert_int_equal(ws_response_check((const uint8_t *)ok, 20, &hlen,
					   key, why, sizeof(why)), EAGAIN);
}


/* A masked frame encoded, decoded and unmasked is what went in; the
 * three length forms (7 bits, 16, 64). */
static void frames(void **state)
{
	static const size_t lens[] = {0, 5, 125, 126, 65535, 65536};
	const uint8_t mkey[4] = {1, 2, 3, 4};
	struct ws_frame f;
	char why[256];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct mbuf *mb = mbuf_alloc(lens[i] + 14);
		uint8_t *p = malloc(lens[i] + 1);
		size_t j;

		assert_non_null(mb);
		assert_non_null(p);
		for (j = 0; j < lens[i]; j++)
			p[j] = (uint8_t)('a' + j % 26);
		assert_int_equal(ws_frame_encode(mb, 0x1, p, lens[i], mkey),
				 0);
		assert_int_equal(ws_frame_decode(mb->buf, mb->end, &f, why,
						 sizeof(why)), 0);
		assert_true(f.fin);
		assert_true(f.masked);
		assert_int_equal(f.opcode, 0x1);
		assert_int_equal(f.len, lens[i]);
		assert_int_equal(f.hlen + f.len, mb->end);
		ws_unmask(mb->buf + f.hlen, (size_t)f.len, f.mkey, 0);
		assert_memory_equal(mb->buf + f.hlen, p, lens[i]);

		/* a head cut short waits */
		assert_int_equal(ws_frame_decode(mb->buf, f.hlen - 1, &f, why,
						 sizeof(why)), EAGAIN);
		free(p);
		mem_deref(mb);
	}
}


static void broken_frames(void **state)
{
	const uint8_t rsv[] = {0xc1, 0x00};           /* RSV1 set      */
	const uint8_t op3[] = {0x83, 0x00};           /* reserved op   */
	const uint8_t ping[] = {0x09, 0x00};          /* fragmented    */
	const uint8_t bigping[] = {0x89, 0x7e, 0x00, 0x80};
	struct ws_frame f;
	char why[256];
	(void)state;

	assert_int_equal(ws_frame_decode(rsv, 2, &f, why, sizeof(why)),
			 EPROTO);
	assert_non_null(strstr(why, "reserved bits"));
	assert_int_equal(ws_frame_decode(op3, 2, &f, why, sizeof(why)),
			 EPROTO);
	assert_non_null(strstr(why, "opcode 0x3"));
	assert_int_equal(ws_frame_decode(ping, 2, &f, why, sizeof(why)),
			 EPROTO);
	assert_int_equal(ws_frame_decode(bigping, 4, &f, why, sizeof(why)),
			 EPROTO);
	assert_non_null(strstr(why, "125"));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accept_key),
		cmocka_unit_test(upgrades),
		cmocka_unit_test(answers),
		cmocka_unit_test(frames),
		cmocka_unit_test(broken_frames),
	};
	int r;

	if (libre_init())
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();

	return r;
}
