/**
 * @file test_text.c  Unit tests of src/base/text.c: TEXT-UTF8 checks and the
 *                    escaper every report prints through
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>
#include <re.h>
#include "text.h"


#define S(lit) lit, sizeof(lit) - 1


static void test_utf8_len(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		size_t want;
	} v[] = {
		{S("a"), 1},
		{S("\xc3\xa9"), 2},             /* é */
		{S("\xe2\x9c\x93"), 3},         /* ✓ */
		{S("\xf0\x9f\x98\x80"), 4},     /* U+1F600 */
		{S("\xf4\x8f\xbf\xbf"), 4},     /* U+10FFFF */
		{S("\xc0\xaf"), 0},             /* overlong '/' */
		{S("\xc1\xbf"), 0},             /* overlong */
		{S("\xe0\x80\xaf"), 0},         /* overlong */
		{S("\xed\xa0\x80"), 0},         /* surrogate U+D800 */
		{S("\xf0\x80\x80\xaf"), 0},     /* overlong */
		{S("\xf4\x90\x80\x80"), 0},     /* beyond U+10FFFF */
		{S("\xf5\x80\x80\x80"), 0},
		{S("\xff"), 0},
		{S("\x80"), 0},                 /* a lone continuation */
		{S("\xc3"), 0},                 /* cut */
		{S("\xe2\x9c"), 0},             /* cut */
		{S("\xc3\x28"), 0},             /* no continuation */
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (text_utf8_len((const uint8_t *)v[i].s, v[i].len) !=
		    v[i].want)
			fail_msg("case %zu: want %zu", i, v[i].want);
	}
}


static void test_check(void **state)
{
	char err[TEXT_ERRSZ];
	(void)state;

	assert_int_equal(text_check(S("Ringing"), err, sizeof(err)), 0);
	assert_int_equal(text_check(S("L\xc3\xa4utet\t\xe2\x9c\x93"), err,
				    sizeof(err)), 0);
	assert_int_equal(text_check(S(""), err, sizeof(err)), 0);

	assert_int_equal(text_check(S("Ring\0ing"), err, sizeof(err)),
			 EINVAL);
	assert_string_equal(err, "must not contain NUL (byte 5)");
	assert_int_equal(text_check(S("ab\r"), err, sizeof(err)), EINVAL);
	assert_string_equal(err, "must not contain CR or LF");
	assert_int_equal(text_check(S("\x1b[0m"), err, sizeof(err)), EINVAL);
	assert_string_equal(err, "must not contain the control character "
			    "0x1b (byte 1)");
	assert_int_equal(text_check(S("x\x7f"), err, sizeof(err)), EINVAL);
	assert_string_equal(err, "must not contain the control character "
			    "0x7f (byte 2)");
	assert_int_equal(text_check(S("\xc3\xa9\xff"), err, sizeof(err)),
			 EINVAL);
	assert_string_equal(err, "must be UTF-8 (byte 3, 0xff, is not)");
}


static const char *const test_map[128] = {
	['"'] = "\\\"", ['\n'] = "\n",
};
static const struct text_esc esc_test = {test_map, "<%02x>", "[%02x]"};


static void test_escape(void **state)
{
	static const char in[] = "a\"b\n\x01\xff\xc3\xa9\xef\xbf\xbe\xed"
		"\xa0\x80\x7f\0z\xc2\x9b\xc2\xa0";
	static const char want[] = "a\\\"b\n<01>[ff]\xc3\xa9[ef][bf][be]"
		"[ed][a0][80]<7f><00>z<9b>\xc2\xa0";
	struct mbuf *mb = mbuf_alloc(64);
	(void)state;

	assert_non_null(mb);
	assert_int_equal(text_mbuf(mb, &esc_test, in, sizeof(in) - 1), 0);
	assert_int_equal(mb->end, sizeof(want) - 1);
	assert_memory_equal(mb->buf, want, sizeof(want) - 1);

	mbuf_rewind(mb);
	assert_int_equal(text_mbuf(mb, &esc_test, NULL, 0), 0);
	assert_int_equal(mb->end, 0);
	assert_int_equal(text_mbuf(mb, &esc_test, NULL, 1), EINVAL);
	mem_deref(mb);
}


static void test_snprint(void **state)
{
	char buf[8];
	(void)state;

	assert_string_equal(text_snprint(buf, sizeof(buf), &text_esc_line,
					 S("a\r\nb")), "a\\x0d\\x");
	assert_string_equal(text_snprint(buf, sizeof(buf), &text_esc_line,
					 S("\t")), "\\x09");
	assert_string_equal(text_snprint(buf, sizeof(buf), &text_esc_log,
					 S("\t\n")), "\t\n");
	assert_string_equal(text_snprint(buf, sizeof(buf), &text_esc_md,
					 S("a|b\n")), "a\\|b ");
	assert_string_equal(text_snprint(buf, 0, &text_esc_md, S("x")), "");
}


/* text_put*: what mbuf_printf() wrote for the same parts */
static void test_put(void **state)
{
	static const uint32_t nums[] = {0, 7, 10, 183, 4294967295u};
	const struct pl name = PL("Call-ID"), none = PL_INIT;
	struct mbuf *a = mbuf_alloc(64), *b = mbuf_alloc(64);
	size_t i;
	(void)state;

	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		mbuf_rewind(a);
		mbuf_rewind(b);
		assert_int_equal(text_put_u32(a, nums[i]), 0);
		assert_int_equal(mbuf_printf(b, "%u", nums[i]), 0);
		assert_int_equal(a->end, b->end);
		assert_memory_equal(a->buf, b->buf, a->end);
	}

	mbuf_rewind(a);
	mbuf_rewind(b);
	assert_int_equal(text_put(a, "SIP/2.0 ", "", "200", " OK\r\n", NULL),
			 0);
	assert_int_equal(text_put_pl(a, &name), 0);
	assert_int_equal(text_put_pl(a, &none), 0);    /* nothing, no error */
	assert_int_equal(text_put(a, ": ", NULL), 0);
	assert_int_equal(mbuf_printf(b, "SIP/2.0 %s%u OK\r\n%r%r: ", "", 200,
				     &name, &none), 0);
	assert_int_equal(a->end, b->end);
	assert_memory_equal(a->buf, b->buf, a->end);

	assert_int_equal(text_put(NULL, "x", NULL), EINVAL);
	mem_deref(a);
	mem_deref(b);
}


/* text_addr, text_hostport: what sa_ntop() and "%J" print, IPv4 by
 * siptap's own digits, IPv6 by libre */
static void test_addr(void **state)
{
	static const char *const addrs[] = {
		"0.0.0.0", "127.0.0.1", "10.20.30.40", "192.168.100.255",
		"255.255.255.255", "::1", "2001:db8::17",
	};
	char a[64], b[64], hp[TEXT_HOSTPORT_SZ], want[96];
	struct sa sa;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		assert_int_equal(sa_set_str(&sa, addrs[i], 5062), 0);
		assert_int_equal(text_addr(a, sizeof(a), &sa), 0);
		assert_int_equal(sa_ntop(&sa, b, sizeof(b)), 0);
		assert_string_equal(a, b);
		assert_string_equal(a, addrs[i]);
		(void)re_snprintf(want, sizeof(want), "%J", &sa);
		assert_string_equal(text_hostport(hp, &sa), want);
	}

	assert_int_equal(sa_set_str(&sa, "255.255.255.255", 1), 0);
	assert_int_equal(text_addr(a, 15, &sa), ENOSPC);  /* no room for NUL */
	assert_int_equal(text_addr(a, 16, &sa), 0);
	assert_int_equal(text_addr(NULL, 16, &sa), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_snprint),
		cmocka_unit_test(test_put),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
