/*
 * src/base/regex.c against libre's own re_regex(), reached past ours
 * with dlsym(RTLD_NEXT): for every expression and input below, and for
 * a few hundred thousand made at random from the bytes that matter,
 * the same return value and the same ten captures (pointer and length,
 * written or left alone), NULL captures included.
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
#include "regex.h"

typedef int (re_regex_f)(const char *ptr, size_t len, const char *expr,
			 ...);

enum { CAPS = 10 };

static re_regex_f *libre_regex;


/* The expressions libre 1.1.0 and siptap decode SIP with, and some
 * made to reach every corner of the language */
static const char *const exprs[] = {
	"[^ \t\r\n]+ [^ \t\r\n]+ [^\r\n]*[\r]*[\n]1",
	"SIP[  \t\r\n]*/[ \t\r\n]*2.0[ \t\r\n]*/[ \t\r\n]*"
	"[A-Z]+[ \t\r\n]*[^; \t\r\n]+[ \t\r\n]*[^]*",
	"\\[[0-9a-f:]+\\][:]*[0-9]*",
	"[^:]+[:]*[0-9]*",
	"[~ \t\r\n<]*[ \t\r\n]*<[^>]+>[^]*",
	"[^;]+[^]*",
	";[ \t\r\n]*tag[ \t\r\n]*=[ \t\r\n]*[~ \t\r\n;]+",
	";[ \t\r\n]*branch[ \t\r\n]*=[ \t\r\n]*[~ \t\r\n;]+",
	";[ \t\r\n]*received[ \t\r\n]*=[ \t\r\n]*[~ \t\r\n;]+",
	"[0-9]+[ \t\r\n]+[^ \t\r\n]+",
	"[ \t\r\n]*[^ \t\r\n;/]+[ \t\r\n]*/[ \t\r\n]*[^ \t\r\n;]+",
	"[^:]+:[^@:]*[:]*[^@]*@[^/;? ]+[^;? ]*[^?]*[^]*",
	"[^:]+:[^/;? ]+[^;? ]*[^?]*[^]*",
	";[^;=]+[=]*[^;]*",
	"[?&]1[^=]+=[^&]+",
	"[ \t\r\n,]+[a-z]+[ \t\r\n]*=[ \t\r\n]*[~ \t\r\n,]*",
	"[ \t\r\n]*Digest[ \t\r\n]+",
	"[^: \t]+[ \t]*:[ \t]*[^\r]*",
	"[0-9]+[ \t]+[0-9]+[ \t]+[^ \t]+",
	"[^ ]+ [^ ]+ SIP/2.0",
	"o=[^ ]+ [0-9]+ [0-9]+ [^\r\n]+",
	"m=[^ ]+ [0-9]+",
	"100rel",
	"[^]*",
	"[^]+",
	"[^ ]1",
	"[a-c]3x",
	"[~]*",
	"[~\"]+",
	"[~\"\\\\a]+[^]*",
	"[~\\\\]1;",
	"[~,]+",
	"[~^]*;",
	"[^~]*",
	"[a-]+",
	"[-a]+",
	"[a-c-e]+",
	"[z-a]*",
	"[\\]]+",
	"[\\-]+",
	"[]*",
	"[]+",
	"[a]",
	"[a]x",
	"[a]0",
	"[a",
	"a\\",
	"\\",
	"a\\[b",
	"\\\\",
	"[a]\\*",
	"[a]\\\\",
	"[\xe9\xc9]+",
	"\xe9",
	"[\x80-\xff]+",
	"[A-Z]+",
	"ABC",
	"",
	"[0-9a-zA-Z!#$%&'*+.^_`|~-]+",
	"[abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrs]*",
	"[abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmn]*",
	"x[abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrs]*",
};

static const char *const inputs[] = {
	"SIP/2.0 183 Session Progress\r\n",
	"INVITE sip:uas@127.0.0.1:5060 SIP/2.0\r\n",
	"SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK776asdhds;rport",
	"SIP / 2.0 / tcp [::1]:5062 ;received=::1;branch=\"z9\"",
	"SIP/2.0/UDP [2001:db8::1]",
	"127.0.0.1:5060",
	"[::1]:5060",
	"\"Bob \\\"the\\\" UAS\" <sip:bob@example.com;transport=udp>;tag=a6c85cf",
	"Alice <sip:alice@atlanta.example.com>;tag=1928301774",
	"<sip:carol@chicago.example.com>",
	"sip:carol@chicago.example.com;tag=x",
	"sips:+1-212-555-1212:1234@gateway.com;user=phone?subject=hi&x=y",
	"sip:[::1]:5061;lr;maddr=127.0.0.1",
	"314159 INVITE",
	"1\tPRACK",
	"application/sdp",
	" multipart / mixed ;boundary=\"x;y\"",
	"Digest realm=\"a,b\", nonce=\"n\\\"c\", qop=auth, algorithm=MD5",
	";tag = \"quoted;value\" ;branch=  z9;received",
	";TAG=ABC;Tag=def",
	"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n",
	"Content-Length: 42\r\n",
	"\"unterminated <sip:x@y>",
	"\\\"esc\"aped\\",
	"\"\"",
	"\"",
	"a",
	"aaa",
	"abcABC",
	"\xe9\xc9\xff\x80 caf\xc3\xa9",
	"",
	" \t\r\n",
	";;;==",
	"]]]---^^^~~~",
};


static void caps_clear(struct pl *c)
{
	size_t i;

	for (i = 0; i < CAPS; i++) {
		c[i].p = (const char *)(uintptr_t)(0x1000 + i);
		c[i].l = 777 + i;
	}
}


/* Both functions on the same bytes (a copy without a NUL after them),
 * the captures every other one NULL when skip */
static void same(const char *in, size_t len, const char *expr, bool skip)
{
	struct pl a[CAPS], b[CAPS];
	struct pl *pa[CAPS], *pb[CAPS];
	char buf[512];
	int ea, eb;
	size_t i;

	assert_true(len <= sizeof(buf));
	memcpy(buf, in, len);
	caps_clear(a);
	caps_clear(b);
	for (i = 0; i < CAPS; i++) {
		pa[i] = skip && i % 2 ? NULL : &a[i];
		pb[i] = skip && i % 2 ? NULL : &b[i];
	}

	ea = re_regex(buf, len, expr, pa[0], pa[1], pa[2], pa[3], pa[4],
		      pa[5], pa[6], pa[7], pa[8], pa[9]);
	eb = libre_regex(buf, len, expr, pb[0], pb[1], pb[2], pb[3], pb[4],
			 pb[5], pb[6], pb[7], pb[8], pb[9]);

	if (ea != eb)
		fail_msg("expr \"%s\" on %zu bytes \"%.*s\": %d, libre %d",
			 expr, len, (int)len, in, ea, eb);
	for (i = 0; i < CAPS; i++) {
		if (a[i].p != b[i].p || a[i].l != b[i].l)
			fail_msg("expr \"%s\" on \"%.*s\": capture %zu "
				 "differs (%td+%zu, libre %td+%zu)", expr,
				 (int)len, in, i, a[i].p - buf, a[i].l,
				 b[i].p - buf, b[i].l);
	}
}


static int setup(void **state)
{
	(void)state;
	/* a call into libre, so that the linker keeps it (--as-needed):
	 * re_regex alone is this executable's own */
	(void)mem_deref(NULL);
	libre_regex = (re_regex_f *)dlsym(RTLD_NEXT, "re_regex");

	return libre_regex ? 0 : -1;
}


/* re_regex here is regex.c's, and libre's is another function */
static void test_ours(void **state)
{
	struct pl pl;

	(void)state;
	assert_ptr_not_equal((void *)libre_regex, (void *)re_regex);
	assert_int_equal(0, re_regex("ab12", 4, "[0-9]+", &pl));
	assert_int_equal(2, pl.l);
	assert_true(regex_compiled() > 0);
}


static void test_null_args(void **state)
{
	struct pl pl;

	(void)state;
	assert_int_equal(libre_regex(NULL, 3, "a", &pl),
			 re_regex(NULL, 3, "a", &pl));
	assert_int_equal(libre_regex("abc", 3, NULL, &pl),
			 re_regex("abc", 3, NULL, &pl));
}


/* Every expression on every input, and on each input's prefixes */
static void test_table(void **state)
{
	size_t e, i, cut;

	(void)state;
	for (e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
			const size_t len = strlen(inputs[i]);

			for (cut = 0; cut <= len; cut++) {
				same(inputs[i], cut, exprs[e], false);
				same(inputs[i], cut, exprs[e], true);
			}
		}
	}
}


static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;

	return (uint32_t)(rng_state % n);
}


/* An expression from the language's own characters and a few others */
static void rnd_expr(char *buf, size_t sz)
{
	static const char *const parts[] = {
		"[", "]", "^", "~", "-", "\\", "*", "+", "1", "2", "9", "0",
		"a", "Z", "z", " ", "\t", ";", "=", ":", "\"", "<", ">", ",",
		"[^ ]+", "[~ ;]+", "[a-z]*", "[0-9]1", "[^]*", "[ \t]*",
		"\xe9", "[\xc0-\xff]+", "x",
	};
	size_t n = 1 + rnd(10), len = 0, i;

	for (i = 0; i < n; i++) {
		const char *s = parts[rnd(sizeof(parts) / sizeof(parts[0]))];
		const size_t l = strlen(s);

		if (len + l + 1 > sz)
			break;
		memcpy(buf + len, s, l);
		len += l;
	}
	buf[len] = '\0';
}


static size_t rnd_input(char *buf, size_t sz)
{
	static const char alpha[] = "aAzZ09 \t\r\n;:=<>\",\\[]-^~@.x\xe9\xc9"
		"\x80\xff";
	size_t n = rnd((uint32_t)sz), i;

	for (i = 0; i < n; i++)
		buf[i] = alpha[rnd(sizeof(alpha) - 1)];

	return n;
}


static void test_random(void **state)
{
	char expr[64], in[48];
	unsigned k;

	(void)state;
	for (k = 0; k < 300000; k++) {
		const size_t len = rnd_input(in, sizeof(in));

		rnd_expr(expr, sizeof(expr));
		same(in, len, expr, k % 3 == 0);
	}
}


/* Random inputs for libre's own expressions: closer to headers */
static void test_random_inputs(void **state)
{
	char in[48];
	unsigned k;

	(void)state;
	for (k = 0; k < 200000; k++) {
		const size_t len = rnd_input(in, sizeof(in));

		same(in, len, exprs[rnd(sizeof(exprs) / sizeof(exprs[0]))],
		     k % 2 == 0);
	}
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_random_inputs),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
