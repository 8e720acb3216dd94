/**
 * @file test_tap.c  Unit tests of src/base/tap.c: exact bytes of every line
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "tap.h"


static int setup(void **state)
{
	*state = mbuf_alloc(256);

	return *state ? 0 : -1;
}


static int teardown(void **state)
{
	mem_deref(*state);

	return 0;
}


/* Print a byte string readably for a failure message. */
static void dump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	print_message("%s (%zu bytes): \"", what, n);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n')
			print_message("\\n");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			print_message("\\x%02x", p[i]);
		else
			print_message("%c", p[i]);
	}
	print_message("\"\n");
}


/* The whole of mb, from byte 0 to its end, must be exactly want. */
static void check_out(const struct mbuf *mb, const char *want, size_t len,
		      const char *file, int line)
{
	if (mb->end == len && !memcmp(mb->buf, want, len))
		return;

	dump("want", (const uint8_t *)want, len);
	dump("got ", mb->buf, mb->end);
	_fail(file, line);
}

/* sizeof, not strlen, so a literal may hold a NUL */
#define assert_out(mb, lit) \
	check_out((mb), (lit), sizeof(lit) - 1, __FILE__, __LINE__)


static void test_version_line(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_version_line(mb, 13), 0);
	assert_int_equal(tap_version_line(mb, 14), 0);
	assert_out(mb, "TAP version 13\nTAP version 14\n");

	assert_int_equal(tap_version_line(mb, 12), EINVAL);
	assert_int_equal(tap_version_line(mb, 15), EINVAL);
	assert_int_equal(tap_version_line(mb, 0), EINVAL);
	assert_int_equal(tap_version_line(NULL, 14), EINVAL);
	assert_out(mb, "TAP version 13\nTAP version 14\n");
}


static void test_plan(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_plan(mb, 0, 5, NULL), 0);
	assert_int_equal(tap_plan(mb, 0, 0, NULL), 0);
	assert_int_equal(tap_plan(mb, 2, 12, NULL), 0);
	assert_out(mb, "1..5\n1..0\n        1..12\n");

	assert_int_equal(tap_plan(NULL, 0, 1, NULL), EINVAL);
}


static void test_plan_skip(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_plan(mb, 0, 0, "no IPv6 peer"), 0);
	assert_int_equal(tap_plan(mb, 1, 7, "count ignored"), 0);
	assert_int_equal(tap_plan(mb, 0, 0, ""), 0);
	assert_int_equal(tap_plan(mb, 0, 0, "two\r\nlines"), 0);
	assert_out(mb,
		   "1..0 # SKIP no IPv6 peer\n"
		   "    1..0 # SKIP count ignored\n"
		   "1..0 # SKIP\n"
		   "1..0 # SKIP two  lines\n");
}


static void test_subtest(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_subtest(mb, 1, "outer"), 0);
	assert_int_equal(tap_subtest(mb, 2, "inner"), 0);
	assert_int_equal(tap_subtest(mb, 1, NULL), 0);
	assert_int_equal(tap_subtest(mb, 1, ""), 0);
	assert_int_equal(tap_subtest(mb, 1, "a\nb"), 0);
	assert_out(mb,
		   "# Subtest: outer\n"
		   "    # Subtest: inner\n"
		   "# Subtest\n"
		   "# Subtest\n"
		   "# Subtest: a b\n");

	/* level is the child's: 0 has no parent */
	assert_int_equal(tap_subtest(mb, 0, "x"), EINVAL);
	assert_int_equal(tap_subtest(NULL, 1, "x"), EINVAL);
}


/* A subtest as TAP 14 lays it out: comment at the parent's indentation,
 * child lines and their YAML deeper, correlated point at the parent. */
static void test_subtest_stream(void **state)
{
	struct mbuf *mb = *state;
	const struct tap_diag d[] = {{"found", "false", 0}};

	assert_int_equal(tap_version_line(mb, 14), 0);
	assert_int_equal(tap_plan(mb, 0, 1, NULL), 0);
	assert_int_equal(tap_subtest(mb, 1, "call"), 0);
	assert_int_equal(tap_point(mb, 1, true, 1, "100 Trying", TAP_NONE,
				   NULL), 0);
	assert_int_equal(tap_subtest(mb, 2, "rel"), 0);
	assert_int_equal(tap_point(mb, 2, false, 1, "RSeq", TAP_NONE,
				   NULL), 0);
	assert_int_equal(tap_yaml(mb, 2, d, 1), 0);
	assert_int_equal(tap_plan(mb, 2, 1, NULL), 0);
	assert_int_equal(tap_point(mb, 1, false, 2, "rel", TAP_NONE, NULL),
			 0);
	assert_int_equal(tap_plan(mb, 1, 2, NULL), 0);
	assert_int_equal(tap_point(mb, 0, false, 1, "call", TAP_NONE, NULL),
			 0);
	assert_out(mb,
		   "TAP version 14\n"
		   "1..1\n"
		   "# Subtest: call\n"
		   "    ok 1 - 100 Trying\n"
		   "    # Subtest: rel\n"
		   "        not ok 1 - RSeq\n"
		   "          ---\n"
		   "          found: \"false\"\n"
		   "          ...\n"
		   "        1..1\n"
		   "    not ok 2 - rel\n"
		   "    1..2\n"
		   "not ok 1 - call\n");
}


static void test_point(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(mb, 0, true, 1, "first", TAP_NONE, NULL),
			 0);
	assert_int_equal(tap_point(mb, 0, false, 3, "third", TAP_NONE,
				   NULL), 0);
	assert_int_equal(tap_point(mb, 0, true, 4, NULL, TAP_NONE, NULL), 0);
	assert_int_equal(tap_point(mb, 0, false, 5, "", TAP_NONE, NULL), 0);
	assert_int_equal(tap_point(mb, 0, true, 6, "42", TAP_NONE, NULL), 0);
	assert_out(mb,
		   "ok 1 - first\n"
		   "not ok 3 - third\n"
		   "ok 4\n"
		   "not ok 5\n"
		   "ok 6 - 42\n");
}


static void test_point_nested(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(mb, 1, true, 1, "a", TAP_NONE, NULL), 0);
	assert_int_equal(tap_point(mb, 3, false, 2, "b", TAP_TODO, "c"), 0);
	assert_out(mb,
		   "    ok 1 - a\n"
		   "            not ok 2 - b # TODO c\n");
}


static void test_point_escape(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(mb, 0, true, 1, "P-TAG-1 # SKIP not",
				   TAP_NONE, NULL), 0);
	assert_int_equal(tap_point(mb, 0, true, 2, "C:\\path\\#x",
				   TAP_NONE, NULL), 0);
	assert_int_equal(tap_point(mb, 0, true, 3, "#\\", TAP_NONE, NULL),
			 0);
	/* a trailing backslash must not swallow the directive's # */
	assert_int_equal(tap_point(mb, 0, true, 4, "dir\\", TAP_SKIP, "r"),
			 0);
	assert_out(mb,
		   "ok 1 - P-TAG-1 \\# SKIP not\n"
		   "ok 2 - C:\\\\path\\\\\\#x\n"
		   "ok 3 - \\#\\\\\n"
		   "ok 4 - dir\\\\ # SKIP r\n");
}


static void test_point_crlf(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(mb, 0, false, 1, "one\r\ntwo\nthree\r",
				   TAP_NONE, NULL), 0);
	assert_int_equal(tap_point(mb, 0, true, 2, "\nok 3", TAP_NONE,
				   NULL), 0);
	assert_out(mb,
		   "not ok 1 - one  two three \n"
		   "ok 2 -  ok 3\n");
}


static void test_point_directive(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(mb, 0, true, 1, "ipv6", TAP_SKIP,
				   "no IPv6 peer"), 0);
	assert_int_equal(tap_point(mb, 0, false, 2, "rseq", TAP_TODO,
				   "SIP.js starts at 0"), 0);
	assert_int_equal(tap_point(mb, 0, true, 3, "bare", TAP_SKIP, NULL),
			 0);
	assert_int_equal(tap_point(mb, 0, false, 4, NULL, TAP_TODO, ""), 0);
	assert_int_equal(tap_point(mb, 0, true, 5, NULL, TAP_SKIP, "why"),
			 0);
	/* no directive: a reason is ignored */
	assert_int_equal(tap_point(mb, 0, true, 6, "plain", TAP_NONE,
				   "ignored"), 0);
	assert_out(mb,
		   "ok 1 - ipv6 # SKIP no IPv6 peer\n"
		   "not ok 2 - rseq # TODO SIP.js starts at 0\n"
		   "ok 3 - bare # SKIP\n"
		   "not ok 4 # TODO\n"
		   "ok 5 # SKIP why\n"
		   "ok 6 - plain\n");
}


static void test_point_reason_text(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(mb, 0, true, 1, "d", TAP_SKIP,
				   "line\r\nbreak\n"), 0);
	assert_int_equal(tap_point(mb, 0, false, 2, "d#", TAP_TODO,
				   "issue #12 \\o/"), 0);
	assert_out(mb,
		   "ok 1 - d # SKIP line  break \n"
		   "not ok 2 - d\\# # TODO issue \\#12 \\\\o/\n");
}


static void test_point_bad_args(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(NULL, 0, true, 1, "x", TAP_NONE, NULL),
			 EINVAL);
	assert_int_equal(tap_point(mb, 0, true, 0, "x", TAP_NONE, NULL),
			 EINVAL);
	assert_int_equal(tap_point(mb, 0, true, 1, "x",
				   (enum tap_directive)7, NULL), EINVAL);
	assert_int_equal(mb->end, 0);
}


static void test_yaml(void **state)
{
	struct mbuf *mb = *state;
	const struct tap_diag d[] = {
		{"message", "To tag missing", 0},
		{"wanted", "tag", 0},
		{"found", "", 0},
	};

	assert_int_equal(tap_yaml(mb, 0, d, 3), 0);
	assert_out(mb,
		   "  ---\n"
		   "  message: \"To tag missing\"\n"
		   "  wanted: \"tag\"\n"
		   "  found: \"\"\n"
		   "  ...\n");
}


static void test_yaml_nested(void **state)
{
	struct mbuf *mb = *state;
	const struct tap_diag d[] = {{"at", "scenarios/a.lua:12", 0}};

	assert_int_equal(tap_yaml(mb, 1, d, 1), 0);
	assert_int_equal(tap_yaml(mb, 2, d, 1), 0);
	assert_out(mb,
		   "      ---\n"
		   "      at: \"scenarios/a.lua:12\"\n"
		   "      ...\n"
		   "          ---\n"
		   "          at: \"scenarios/a.lua:12\"\n"
		   "          ...\n");
}


static void test_yaml_quoting(void **state)
{
	struct mbuf *mb = *state;
	static const char raw[] = "SIP/2.0 180 \"Ring\"\r\nX: a\\b\0tail";
	const struct tap_diag d[] = {
		{"raw", raw, sizeof(raw) - 1},
		{"message", "C:\\dir \"q\"", 0},
	};

	assert_int_equal(tap_yaml(mb, 0, d, 2), 0);
	assert_out(mb,
		   "  ---\n"
		   "  raw: \"SIP/2.0 180 \\\"Ring\\\"\\r\\nX: a\\\\b\\x00tail\"\n"
		   "  message: \"C:\\\\dir \\\"q\\\"\"\n"
		   "  ...\n");
}


static void test_yaml_empty(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_yaml(mb, 0, NULL, 0), 0);
	assert_int_equal(mb->end, 0);
}


static void test_yaml_bad_args(void **state)
{
	struct mbuf *mb = *state;
	const struct tap_diag ok = {"message", "m", 0};
	const struct tap_diag bad[] = {
		{NULL, "v", 0},
		{"", "v", 0},
		{"two words", "v", 0},
		{"colon:", "v", 0},
		{"line\nbreak", "v", 0},
		{"-dash", "v", 0},
		{"\"q\"", "v", 0},
		{"message", NULL, 0},
	};
	struct tap_diag two[2];
	size_t i;

	assert_int_equal(tap_yaml(NULL, 0, &ok, 1), EINVAL);
	assert_int_equal(tap_yaml(mb, 0, NULL, 1), EINVAL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		two[0] = ok;
		two[1] = bad[i];
		assert_int_equal(tap_yaml(mb, 0, two, 2), EINVAL);
	}

	/* nothing half-written */
	assert_int_equal(mb->end, 0);

	/* keys the callers use, and plain words with - and . */
	two[0] = ok;
	two[1] = (struct tap_diag){"x-rule.id_2", "v", 0};
	assert_int_equal(tap_yaml(mb, 0, two, 2), 0);
	assert_out(mb,
		   "  ---\n"
		   "  message: \"m\"\n"
		   "  x-rule.id_2: \"v\"\n"
		   "  ...\n");
}


static void test_yaml_quote(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_yaml_quote(mb, "plain text", 10), 0);
	assert_int_equal(tap_yaml_quote(mb, "", 0), 0);
	assert_int_equal(tap_yaml_quote(mb, NULL, 0), 0);
	assert_int_equal(tap_yaml_quote(mb, "ab", 1), 0);
	assert_out(mb, "\"plain text\"\"\"\"\"\"a\"");

	assert_int_equal(tap_yaml_quote(NULL, "x", 1), EINVAL);
	assert_int_equal(tap_yaml_quote(mb, NULL, 1), EINVAL);
}


static void test_yaml_quote_quotes(void **state)
{
	struct mbuf *mb = *state;
	static const char s[] = "say \"hi\" \\ \\\" \"\\ \\\\";

	assert_int_equal(tap_yaml_quote(mb, s, sizeof(s) - 1), 0);
	assert_out(mb,
		   "\"say \\\"hi\\\" \\\\ \\\\\\\" \\\"\\\\ \\\\\\\\\"");
}


static void test_yaml_quote_crlf(void **state)
{
	struct mbuf *mb = *state;
	static const char s[] = "a\r\nb\nc\rd\te";

	assert_int_equal(tap_yaml_quote(mb, s, sizeof(s) - 1), 0);
	assert_out(mb, "\"a\\r\\nb\\nc\\rd\\te\"");
}


static void test_yaml_quote_nul(void **state)
{
	struct mbuf *mb = *state;
	static const char s[] = "head\0tail";
	static const char lead[] = "\0\0x";

	assert_int_equal(tap_yaml_quote(mb, s, sizeof(s) - 1), 0);
	assert_int_equal(tap_yaml_quote(mb, lead, sizeof(lead) - 1), 0);
	assert_out(mb, "\"head\\x00tail\"\"\\x00\\x00x\"");
}


static void test_yaml_quote_controls(void **state)
{
	struct mbuf *mb = *state;
	static const char s[] = "\x01\x08\x0b\x0c\x1b[0m\x1f\x7f~ ";

	assert_int_equal(tap_yaml_quote(mb, s, sizeof(s) - 1), 0);
	assert_out(mb, "\"\\x01\\x08\\x0b\\x0c\\x1b[0m\\x1f\\x7f~ \"");
}


static void test_yaml_quote_utf8(void **state)
{
	struct mbuf *mb = *state;
	/* é, –, ✓, U+1F600, U+0085 (NEL), U+2028, and a stray 0xff: NEL,
	 * a C1 control, as YAML's \x85 (the character U+0085), the stray
	 * byte as the text \xff, since YAML's \xff would be U+00FF */
	static const char s[] = "Klingelt \xc3\xa9 \xe2\x80\x93 \xe2\x9c\x93 "
		"\xf0\x9f\x98\x80 \xc2\x85\xe2\x80\xa8\xff";

	assert_int_equal(tap_yaml_quote(mb, s, sizeof(s) - 1), 0);
	assert_out(mb, "\"Klingelt \xc3\xa9 \xe2\x80\x93 \xe2\x9c\x93 "
		   "\xf0\x9f\x98\x80 \\x85\xe2\x80\xa8\\\\xff\"");
}


/* A peer's bytes in a description, a reason or a comment: TAP stays
 * UTF-8 text without control bytes but TAB. */
static void test_hostile_bytes(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_point(mb, 0, false, 1, "180 R\xffing\x01\x7f"
				   "\xc3\xa9\xc3", TAP_TODO,
				   "b\x1b" "c\xed\xa0\x80"), 0);
	assert_int_equal(tap_comment(mb, 0, "x\x00"), 0);
	assert_int_equal(tap_comment(mb, 0, "a\tb\x08\xc0\xaf\r\n"
				     "c\xef\xbf\xbf"), 0);
	assert_int_equal(tap_subtest(mb, 1, "s\x02\xf5"), 0);
	assert_out(mb,
		   "not ok 1 - 180 R\\xffing\\x01\\x7f\xc3\xa9\\xc3 # TODO "
		   "b\\x1bc\\xed\\xa0\\x80\n"
		   "# x\n"
		   "# a\tb\\x08\\xc0\\xaf\n"
		   "# c\\xef\\xbf\\xbf\n"
		   "# Subtest: s\\x02\\xf5\n");
}


static void test_comment(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_comment(mb, 0, "one line"), 0);
	assert_int_equal(tap_comment(mb, 1, "first\nsecond"), 0);
	assert_int_equal(tap_comment(mb, 0, "ends\n"), 0);
	assert_int_equal(tap_comment(mb, 0, "crlf\r\nand\rcr"), 0);
	assert_int_equal(tap_comment(mb, 2, "gap\n\nx"), 0);
	assert_int_equal(tap_comment(mb, 0, ""), 0);
	assert_int_equal(tap_comment(mb, 0, "# already # and \\"), 0);
	assert_out(mb,
		   "# one line\n"
		   "    # first\n"
		   "    # second\n"
		   "# ends\n"
		   "# crlf\n"
		   "# and\n"
		   "# cr\n"
		   "        # gap\n"
		   "        #\n"
		   "        # x\n"
		   "#\n"
		   "# # already # and \\\n");

	assert_int_equal(tap_comment(NULL, 0, "x"), EINVAL);
	assert_int_equal(tap_comment(mb, 0, NULL), EINVAL);
}


static void test_bail_out(void **state)
{
	struct mbuf *mb = *state;

	assert_int_equal(tap_bail_out(mb, "peer unreachable"), 0);
	assert_int_equal(tap_bail_out(mb, NULL), 0);
	assert_int_equal(tap_bail_out(mb, ""), 0);
	assert_int_equal(tap_bail_out(mb, "a\r\nb"), 0);
	assert_out(mb,
		   "Bail out! peer unreachable\n"
		   "Bail out!\n"
		   "Bail out!\n"
		   "Bail out! a  b\n");

	assert_int_equal(tap_bail_out(NULL, "x"), EINVAL);
}


#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_version_line),
		T(test_plan),
		T(test_plan_skip),
		T(test_subtest),
		T(test_subtest_stream),
		T(test_point),
		T(test_point_nested),
		T(test_point_escape),
		T(test_point_crlf),
		T(test_point_directive),
		T(test_point_reason_text),
		T(test_point_bad_args),
		T(test_yaml),
		T(test_yaml_nested),
		T(test_yaml_quoting),
		T(test_yaml_empty),
		T(test_yaml_bad_args),
		T(test_yaml_quote),
		T(test_yaml_quote_quotes),
		T(test_yaml_quote_crlf),
		T(test_yaml_quote_nul),
		T(test_yaml_quote_controls),
		T(test_yaml_quote_utf8),
		T(test_hostile_bytes),
		T(test_comment),
		T(test_bail_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
