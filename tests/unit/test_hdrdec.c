/*
 * src/sip/hdrdec.c against libre's own decoders, reached past siptap's
 * definitions with dlsym(RTLD_NEXT): for every header below and for
 * thousands of seeded mutations of them, each fast reader either
 * answers HDRDEC_UNSURE or gives what libre's function gives: the same
 * return value and every field the same (pointer and length). And
 * hdrdec_msg() against libre's sip_msg_decode() on whole messages and
 * their mutations: the same return value, the same position left in
 * the buffer, the same struct sip_msg, the same list of header lines
 * and the same headers found for each id.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dlfcn.h>
#include <cmocka.h>
#include <re.h>
#include "hdrdec.h"


enum { MUTATIONS = 40000, BUF = 512, MSG_MUTATIONS = 30000, MSG_BUF = 2048 };

typedef int (msg_decode_f)(struct sip_msg **, struct mbuf *);

static msg_decode_f *libre_msg;
static unsigned msg_ok, msg_err;

static hdrdec_via_f *libre_via;
static hdrdec_cseq_f *libre_cseq;
static hdrdec_param_f *libre_param;
static hdrdec_uri_f *libre_uri;
static hdrdec_addr_f *libre_addr;
static unsigned sure, unsure;

static const char *const vias[] = {
	"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds;rport",
	"SIP/2.0/TCP 127.0.0.1:40123;rport=40123;branch=z9hG4bK.a1;alias",
	"SIP/2.0/TLS example.com;branch=z9hG4bKnashds8;received=192.0.2.1",
	"SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKxyz",
	"SIP/2.0/UDP [::1]:5060;branch=z9hG4bK-1",
	"SIP/2.0/UDP [2001:DB8::9:1];branch=z9hG4bK-2",
	"SIP/2.0/UDP [::1];branch",
	"SIP/2.0/UDP [::1]",
	"SIP/2.0/UDP [::g]:5060;branch=x",
	"SIP/2.0/UDP [::1:5060;branch=x",
	"SIP / 2.0 / UDP first.example.com: 4000;ttl=16 ;maddr=224.2.0.1 "
	";branch=z9hG4bKa7c6a8dlze.1",
	"sip/2.0/udp host.example.com;BRANCH = \"z9 ;hG4bK\"",
	"SIP/2.0/UDP host\r\n ;branch=z9hG4bK\\\"x",
	"SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK-\xc3\xa9",
	"SIP/2.0/UDP host::5060;branch=;branch=2",
	"SIP/2.0/UDP :5060;branch=1",
	"SIP/2.0/UDP a[b;branch=1",
	"SIP/2.0/UDP host:abc;branch=1",
	"SIP/2.0/UDP host",
	"SIP/2.0/UDP",
	"SIP/2.0/",
	"SIP/2.1/UDP host;branch=1",
	"  SIP/2.0/UDP host;branch=1",
	"xSIP/2.0/UDP host;branch=1",
	"SIP/2.0/UDP host;branch=1, SIP/2.0/TCP other;branch=2",
	"SIP/2.0/UDP 10.0.0.1:99999999999;branch=1",
	"SIP/2.0/UDP 0.0.0.0:5060;branch=1",
	"SIP/2.0/UDP 255.255.255.255;branch=1",
	"SIP/2.0/UDP 256.1.1.1;branch=1",
	"SIP/2.0/UDP 01.2.3.4;branch=1",
	"SIP/2.0/UDP 1.2.3.04:5060;branch=1",
	"SIP/2.0/UDP 1.2.3;branch=1",
	"SIP/2.0/UDP 1.2.3.4.5;branch=1",
	"SIP/2.0/UDP 1..3.4;branch=1",
	"SIP/2.0/UDP 1.2.3.4.;branch=1",
	"SIP/2.0/UDP 1234.1.1.1;branch=1",
	"SIP/2.0/UDP 1.2.3.4a;branch=1",
	"",
};

static const char *const cseqs[] = {
	"1 INVITE", "314159 INVITE", "2 ACK", "4294967295 BYE",
	"99999999999 INVITE", "1\r\n INVITE", "1  \t REGISTER ", " 1 INVITE",
	"x1 INVITE", "1INVITE", "1 ", "INVITE", "", "0 invite x", "1 IN;VITE",
	"12 a\xff",
};

static const char *const params[] = {
	";tag=1928301774", ";tag = \"a;b\" ;x", ";branch=z9hG4bK776",
	";received=127.0.0.1;branch=z9hG4bK.1;rport", ";TAG=abc",
	";tag=\"\"", ";tag=\"\";tag=2", ";tag=", ";tag", "tag=1", ";tagx=1",
	";ta", ";tag=a\\", ";tag=\"a", ";tag=a\\;b;c", "; \r\n tag\t=\t1",
	";expires=3600", ";transport=tcp;lr", ";lr;transport=TLS", "",
	";;;;tag=9", ";x=\"tag=1\";tag=2",
};

static const char *const addrs[] = {
	"<sip:uac@127.0.0.1:40000>;tag=a6c85cf",
	"<sip:uas@127.0.0.1:5060>",
	"\"Bob \\\"B\\\" Smith\" <sip:bob@biloxi.example.com>;tag=8321234356",
	"Bob Smith <sip:bob@biloxi.example.com>",
	"Alice<sip:alice@atlanta.example.com;transport=tcp>;tag=1",
	"  <sips:[2001:db8::10]:5061;lr>;q=0.5",
	"<sip:[::1]>",
	"<sip:host:5060;maddr=[::1]?Subject=x%20y&h=1>;expires=3600",
	"sip:alice@atlanta.example.com;tag=9fxced76sl",
	"sip:alice@atlanta.example.com",
	"sip:user:pass@host:5060;lr?x=y",
	";;sip:x@y", ";;;", "<>", "<sip:a@b", "\"a <sip:x@y>",
	"\"\" <sip:x@y>", "\"a<sip:x@y>\" <sip:z@w>",
	"<tel:+1-212-555-1212>;tag=1", "<urn:service:sos>",
	"<sip:@host>", "<sip:user@>", "<sip:user@;x>", "<:x@y>",
	"<sip:a@b@c>", "<sip:a:b:c@d:e:f>", "<sip:host:99999>",
	"<sip:alice@atlanta.example.com/path;p=1>", "<sip: a@b>",
	"<sip:%61lice@atlanta.example.com;%74ransport=TCP>",
	"<mailto:a@b?x>", "<sip:alice;day=tuesday@atlanta.com>",
	"<sip:a@0.0.0.0>", "<sip:a@255.255.255.255:5060>", "<sip:a@256.0.0.1>",
	"<sip:a@00.1.2.3>", "<sip:a@1.2.3.400>", "<sip:1.2.3.4>",
	"<sip:a@1.2.3.4.5>", "<sip:a@.1.2.3>", "<sip:a@999.999.999.999>",
};

static const char *const names[] = {
	"tag", "branch", "received", "expires", "transport", "TAG", "lr",
	"a[b", "a\\b", "", "x y",
};


static unsigned long next(unsigned long *seed)
{
	*seed = *seed * 6364136223846793005UL + 1442695040888963407UL;
	return *seed >> 33;
}


static void pl_same(const struct pl *a, const struct pl *b)
{
	assert_ptr_equal(a->p, b->p);
	assert_int_equal(a->l, b->l);
}


/* A fast reader against libre's decoder on the same bytes, both
 * results filled with the same bytes first: sure means the same return
 * value and the same struct, byte for byte */
#define CHECK(type, fast, libre, s, l)                                   \
	do {                                                             \
		struct pl pl_ = {(s), (l)};                              \
		type a_, b_;                                             \
		int e_;                                                  \
									 \
		memset(&a_, 0xa5, sizeof(a_));                           \
		memset(&b_, 0xa5, sizeof(b_));                           \
		e_ = fast(&a_, &pl_);                                    \
		if (e_ == HDRDEC_UNSURE) {                               \
			++unsure;                                        \
			break;                                           \
		}                                                        \
		++sure;                                                  \
		assert_int_equal(e_, libre(&b_, &pl_));                  \
		assert_memory_equal(&a_, &b_, sizeof(a_));               \
	} while (0)


static void check_param(const char *s, size_t l, const char *name)
{
	struct pl pl = {s, l};
	struct pl a = {(const char *)&a, 7}, b = a;
	int ea, eb;

	ea = hdrdec_param(&pl, name, &a);
	if (ea == HDRDEC_UNSURE) {
		++unsure;
		return;
	}
	++sure;
	eb = libre_param(&pl, name, &b);
	assert_int_equal(ea, eb);
	pl_same(&a, &b);
}


static void check_all(const char *s, size_t l)
{
	size_t i;

	CHECK(struct sip_via, hdrdec_via, libre_via, s, l);
	CHECK(struct sip_cseq, hdrdec_cseq, libre_cseq, s, l);
	CHECK(struct uri, hdrdec_uri, libre_uri, s, l);
	CHECK(struct sip_addr, hdrdec_addr, libre_addr, s, l);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		check_param(s, l, names[i]);
}


static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(vias); i++)
		check_all(vias[i], strlen(vias[i]));
	for (i = 0; i < ARRAY_SIZE(cseqs); i++)
		check_all(cseqs[i], strlen(cseqs[i]));
	for (i = 0; i < ARRAY_SIZE(params); i++)
		check_all(params[i], strlen(params[i]));
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		check_all(addrs[i], strlen(addrs[i]));
		if (addrs[i][0] == '<')
			check_all(addrs[i] + 1, strcspn(addrs[i] + 1, ">"));
	}
}


/* The plain shapes are taken by the fast readers (not all handed on) */
static void test_plain_sure(void **state)
{
	struct sip_via via;
	struct sip_cseq cseq;
	struct sip_addr addr;
	struct pl v, pl;

	(void)state;
	pl_set_str(&pl, vias[0]);
	assert_int_equal(hdrdec_via(&via, &pl), 0);
	assert_int_equal(via.tp, SIP_TRANSP_UDP);
	assert_int_equal(sa_port(&via.addr), 5060);
	assert_int_equal(pl_strcmp(&via.branch, "z9hG4bK776asdhds"), 0);
	pl_set_str(&pl, vias[4]);
	assert_int_equal(hdrdec_via(&via, &pl), 0);
	pl_set_str(&pl, "314159 INVITE");
	assert_int_equal(hdrdec_cseq(&cseq, &pl), 0);
	assert_int_equal(cseq.num, 314159);
	pl_set_str(&pl, addrs[0]);
	assert_int_equal(hdrdec_addr(&addr, &pl), 0);
	assert_int_equal(addr.uri.port, 40000);
	assert_int_equal(pl_strcmp(&addr.params, ";tag=a6c85cf"), 0);
	pl_set_str(&pl, ";a=1;tag=x");
	assert_int_equal(hdrdec_param(&pl, "tag", &v), 0);
	assert_int_equal(pl_strcmp(&v, "x"), 0);
	assert_int_equal(hdrdec_param(&pl, "b", &v), ENOENT);
	assert_int_equal(hdrdec_param(&pl, "a[", &v), HDRDEC_UNSURE);
}


/* src into buf (room for max), then one to most bytes of it replaced,
 * put in or taken out, each one of the n at bytes; its length */
static size_t mutate(char *buf, const char *src, size_t max,
		     const char *bytes, size_t n, unsigned most,
		     unsigned long *seed)
{
	size_t l = strlen(src), at;
	unsigned k, edits;

	memcpy(buf, src, l);
	edits = 1 + next(seed) % most;

	for (k = 0; k < edits; k++) {
		char c = bytes[next(seed) % n];

		at = l ? next(seed) % (l + 1) : 0;
		switch (next(seed) % 3) {
		case 0:
			if (at < l)
				buf[at] = c;
			break;
		case 1:
			if (l + 1 < max) {
				memmove(buf + at + 1, buf + at, l - at);
				buf[at] = c;
				++l;
			}
			break;
		default:
			if (at < l) {
				memmove(buf + at, buf + at + 1, l - at - 1);
				--l;
			}
			break;
		}
	}

	return l;
}


/* Each mutation: a few bytes replaced, put in or taken out, from the
 * bytes the expressions care about */
static void test_mutations(void **state)
{
	static const char bytes[] = " \t\r\n;=\"\\:[]/.,<>?@&%"
				    "0159aAfFgSsIiPpUuDd\x80\xff\0";
	static const char *const *sets[] = {vias, cseqs, params, addrs};
	static const size_t sizes[] = {ARRAY_SIZE(vias), ARRAY_SIZE(cseqs),
				       ARRAY_SIZE(params), ARRAY_SIZE(addrs)};
	unsigned long seed = 17;
	char buf[BUF];
	unsigned i;
	size_t l, set;
	const char *src;

	(void)state;
	for (i = 0; i < MUTATIONS; i++) {
		set = next(&seed) % ARRAY_SIZE(sets);
		src = sets[set][next(&seed) % sizes[set]];
		l = mutate(buf, src, BUF, bytes, sizeof(bytes) - 1, 4, &seed);
		check_all(buf, l);
	}
	print_message("hdrdec: %u sure (all as libre), %u handed to libre\n",
		      sure, unsure);
	assert_true(sure > MUTATIONS);
}


/* Whole messages: what siptap's UAC and UAS send, then the shapes
 * libre's header loop has a branch for */
static const char *const msgs[] = {
	"INVITE sip:uas@127.0.0.1:5070 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:uas@127.0.0.1:5070>\r\n"
	"From: \"Alice A.\" <sip:uac@127.0.0.1:5060>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@127.0.0.1\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:uac@127.0.0.1:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE\r\n"
	"Supported: 100rel, timer\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 13\r\n"
	"\r\n"
	"v=0\r\no=- 1 1\r\n",
	"SIP/2.0 183 Session Progress\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1;rport=5060;"
	"received=127.0.0.1\r\n"
	"To: <sip:uas@127.0.0.1:5070>;tag=8321234356\r\n"
	"From: <sip:uac@127.0.0.1:5060>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@127.0.0.1\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Require: 100rel\r\n"
	"RSeq: 1\r\n"
	"Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	/* compact forms, folding, several Vias, quotes around commas */
	"BYE sip:a@b SIP/2.0\n"
	"v: SIP/2.0/UDP h1;branch=z9hG4bK1 , SIP/2.0/TCP h2;branch=x\n"
	"v: SIP/2.0/UDP h3\n"
	"f: \"a, b\" <sip:f@x>;tag=1\n"
	"t: sip:t@y\n"
	"i: cid\n"
	"m: \"x,\\\"y\" <sip:c@z>, <sip:d@z>;q=0.5,\n"
	"Subject: one,\r\n two\r\n\tthree\r\n"
	"X-Custom: a, b\r\n"
	"x: 90\r\n"
	"l: 0\r\n"
	"\r\n",
	/* empty values, blanks before ':', an empty element, a Route */
	"OPTIONS sip:o SIP/2.0\r\n"
	"Via : SIP/2.0/UDP h:5060;branch=z9hG4bK2\r\n"
	"Allow:\r\n"
	"Supported: ,,a, ,b,\r\n"
	"Route: <sip:r1>,<sip:r2>\r\n"
	"Expires: 30\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"\r\n",
	/* broken: no colon, no name, no end, bad To, no headers */
	"SIP/2.0 200 OK\r\nNoColon\r\n\r\n",
	"SIP/2.0 200 OK\r\n: x\r\n\r\n",
	"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n",
	"SIP/2.0 200 OK\r\nTo: <\r\n\r\n",
	"SIP/2.0 200 OK\r\n\r\n",
	"SIP/2.0 0 OK\r\n\r\n",
	"INVITE bad SIP/2.0\r\n\r\n",
	"INVITE\r\n\r\n",
	"",
};


/* The headers of h (a message's table) with id, in the table's order */
static unsigned by_id(const struct hash *h, enum sip_hdrid id,
		      const struct sip_hdr **v, unsigned max)
{
	struct le *le;
	unsigned n = 0;

	for (le = list_head(hash_list(h, id)); le; le = le->next) {
		const struct sip_hdr *hdr = le->data;

		if (hdr->id == id && n < max)
			v[n++] = hdr;
	}

	return n;
}


static void hdr_same(const struct sip_hdr *a, const struct sip_hdr *b)
{
	pl_same(&a->name, &b->name);
	pl_same(&a->val, &b->val);
	assert_int_equal(a->id, b->id);
}


/* Every header of a's and b's tables, found by its id in the other */
static void table_same(const struct sip_msg *a, const struct sip_msg *b)
{
	const struct sip_hdr *va[64], *vb[64];
	uint32_t i;

	for (i = 0; i < hash_bsize(a->hdrht); i++) {
		struct le *le;

		for (le = list_head(hash_list(a->hdrht, i)); le;
		     le = le->next) {
			const struct sip_hdr *hdr = le->data;
			unsigned n, k;

			n = by_id(a->hdrht, hdr->id, va, 64);
			assert_int_equal(n, by_id(b->hdrht, hdr->id, vb, 64));
			for (k = 0; k < n; k++)
				hdr_same(va[k], vb[k]);
		}
	}
	for (i = 0; i < hash_bsize(b->hdrht); i++) {
		struct le *le;

		for (le = list_head(hash_list(b->hdrht, i)); le;
		     le = le->next) {
			const struct sip_hdr *hdr = le->data;

			assert_int_equal(by_id(a->hdrht, hdr->id, va, 64),
					 by_id(b->hdrht, hdr->id, vb, 64));
		}
	}
}


static void msg_same(const struct sip_msg *a, const struct sip_msg *b)
{
	struct sip_msg x = *a, y = *b;
	struct le *la, *lb;

	/* (the tag is random, the lists and the table compared below) */
	x.tag = y.tag = 0;
	memset(&x.hdrl, 0, sizeof(x.hdrl));
	memset(&y.hdrl, 0, sizeof(y.hdrl));
	x.hdrht = y.hdrht = NULL;
	assert_memory_equal(&x, &y, sizeof(x));

	for (la = a->hdrl.head, lb = b->hdrl.head; la && lb;
	     la = la->next, lb = lb->next)
		hdr_same(la->data, lb->data);
	assert_null(la);
	assert_null(lb);
	table_same(a, b);
}


static void check_msg(const char *s, size_t l)
{
	struct mbuf *mb = mbuf_alloc(l + 1);
	struct sip_msg *a = NULL, *b = NULL;
	size_t pos;
	int ea, eb;

	assert_non_null(mb);
	assert_int_equal(mbuf_write_mem(mb, (const uint8_t *)s, l), 0);
	mb->pos = 0;
	ea = hdrdec_msg(&a, mb);
	pos = mb->pos;
	mb->pos = 0;
	eb = libre_msg(&b, mb);
	assert_int_equal(ea, eb);
	assert_int_equal(pos, mb->pos);
	if (ea) {
		++msg_err;
	}
	else {
		++msg_ok;
		msg_same(a, b);
	}
	mem_deref(a);
	mem_deref(b);
	mem_deref(mb);
}


static void test_msg_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(msgs); i++)
		check_msg(msgs[i], strlen(msgs[i]));
	assert_int_equal(msg_ok, 4);
}


/* Each mutation: bytes the header loop reacts to, replaced, put in or
 * taken out, up to eight of them */
static void test_msg_mutations(void **state)
{
	static const char bytes[] = " \t\r\n:,\";<>@=vVfFtTxX-0lLmMiI\\\x80";
	unsigned long seed = 23;
	static char buf[MSG_BUF];
	unsigned i;
	size_t l;
	const char *src;

	(void)state;
	msg_ok = msg_err = 0;
	for (i = 0; i < MSG_MUTATIONS; i++) {
		src = msgs[next(&seed) % 4];
		l = mutate(buf, src, MSG_BUF, bytes, sizeof(bytes) - 1, 8,
			   &seed);
		check_msg(buf, l);
	}
	print_message("hdrdec: %u messages decoded as libre does, %u "
		      "refused as libre does\n", msg_ok, msg_err);
	assert_true(msg_ok > MSG_MUTATIONS / 4);
	assert_true(msg_err > MSG_MUTATIONS / 20);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_plain_sure),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_msg_table),
		cmocka_unit_test(test_msg_mutations),
	};

	libre_via = (hdrdec_via_f *)dlsym(RTLD_NEXT, "sip_via_decode");
	libre_cseq = (hdrdec_cseq_f *)dlsym(RTLD_NEXT, "sip_cseq_decode");
	libre_param = (hdrdec_param_f *)dlsym(RTLD_NEXT, "msg_param_decode");
	libre_uri = (hdrdec_uri_f *)dlsym(RTLD_NEXT, "uri_decode");
	libre_addr = (hdrdec_addr_f *)dlsym(RTLD_NEXT, "sip_addr_decode");
	libre_msg = (msg_decode_f *)dlsym(RTLD_NEXT, "sip_msg_decode");
	if (!libre_via || !libre_cseq || !libre_param || !libre_uri ||
	    !libre_addr || !libre_msg)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
