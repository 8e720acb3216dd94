/*
 * src/sip/hdrdec.c against libre's own decoders, reached past siptap's
 * definitions with dlsym(RTLD_NEXT): for every header below and for
 * thousands of seeded mutations of them, each fast reader either
 * answers HDRDEC_UNSURE or gives what libre's function gives: the same
 * return value and every field the same (pointer and length).
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


enum { MUTATIONS = 40000, BUF = 512 };

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
	unsigned i, k, edits;
	size_t l, at, set;
	const char *src;

	(void)state;
	for (i = 0; i < MUTATIONS; i++) {
		set = next(&seed) % ARRAY_SIZE(sets);
		src = sets[set][next(&seed) % sizes[set]];
		l = strlen(src);
		memcpy(buf, src, l);
		edits = 1 + next(&seed) % 4;
		for (k = 0; k < edits; k++) {
			char c = bytes[next(&seed) % (sizeof(bytes) - 1)];

			at = l ? next(&seed) % (l + 1) : 0;
			switch (next(&seed) % 3) {
			case 0:
				if (at < l)
					buf[at] = c;
				break;
			case 1:
				if (l + 1 < BUF) {
					memmove(buf + at + 1, buf + at, l - at);
					buf[at] = c;
					++l;
				}
				break;
			default:
				if (at < l) {
					memmove(buf + at, buf + at + 1,
						l - at - 1);
					--l;
				}
				break;
			}
		}
		check_all(buf, l);
	}
	print_message("hdrdec: %u sure (all as libre), %u handed to libre\n",
		      sure, unsure);
	assert_true(sure > MUTATIONS);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_plain_sure),
		cmocka_unit_test(test_mutations),
	};

	libre_via = (hdrdec_via_f *)dlsym(RTLD_NEXT, "sip_via_decode");
	libre_cseq = (hdrdec_cseq_f *)dlsym(RTLD_NEXT, "sip_cseq_decode");
	libre_param = (hdrdec_param_f *)dlsym(RTLD_NEXT, "msg_param_decode");
	libre_uri = (hdrdec_uri_f *)dlsym(RTLD_NEXT, "uri_decode");
	libre_addr = (hdrdec_addr_f *)dlsym(RTLD_NEXT, "sip_addr_decode");
	if (!libre_via || !libre_cseq || !libre_param || !libre_uri ||
	    !libre_addr)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
