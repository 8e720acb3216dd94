/**
 * @file test_msgview.c  Unit tests of src/sip/msgview.c: header lines as they
 *                       were on the wire, from untrusted bytes
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "msgview.h"


enum { MAX_HDRS = 16 };

/* What msgview_headers handed to the callback, in order. */
struct seen {
	struct pl name[MAX_HDRS];
	struct pl val[MAX_HDRS];
	size_t n;       /**< callbacks made                     */
	size_t stop;    /**< return true from this call (1-based) */
	size_t wanted;  /**< headers matching 'want'            */
	const char *want;
	uint8_t *buf;   /**< the message, alive while we look   */
};


static bool collect(const struct pl *name, const struct pl *val, void *arg)
{
	struct seen *s = arg;

	if (s->n < MAX_HDRS) {
		s->name[s->n] = *name;
		s->val[s->n]  = *val;
	}
	if (s->want && msgview_name_eq(name, s->want))
		++s->wanted;

	return ++s->n == s->stop;
}


/* Copy of a literal on the heap, exactly len bytes, so a sanitizer sees
 * any read past the end of the message. */
static uint8_t *dup_exact(const char *lit, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, lit, len);

	return p;
}


/* A pl must equal the bytes of a literal, which may hold a NUL. */
static void check_pl(const struct pl *pl, const char *want, size_t len,
		     const char *file, int line)
{
	if (pl->l == len && (!len || !memcmp(pl->p, want, len)))
		return;

	print_error("want (%zu bytes) \"%.*s\", got (%zu bytes) \"%.*s\"\n",
		    len, (int)len, want, pl->l, (int)pl->l, pl->p);
	_fail(file, line);
}

#define assert_pl(pl, lit) \
	check_pl((pl), (lit), sizeof(lit) - 1, __FILE__, __LINE__)


/* Run msgview_headers over a heap copy of a literal; the copy lives
 * in s until seen_reset, since the names and values point into it. */
static void headers(const char *lit, size_t len, struct seen *s)
{
	s->buf = dup_exact(lit, len);

	assert_int_equal(msgview_headers(s->buf, len, collect, s), 0);
}


static void seen_reset(struct seen *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

#define HEADERS(lit, s) headers((lit), sizeof(lit) - 1, (s))


static void test_start_line(void **state)
{
	static const char msg[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a\r\n\r\n";
	static const char lf[] = "SIP/2.0 180 Ringing\nTo: b\n\n";
	static const char one[] = "SIP/2.0 200 OK";
	struct pl line;
	uint8_t *p;

	(void)state;

	assert_int_equal(msgview_start_line((const uint8_t *)msg,
					    sizeof(msg) - 1, &line), 0);
	assert_pl(&line, "INVITE sip:bob@example.com SIP/2.0");

	assert_int_equal(msgview_start_line((const uint8_t *)lf,
					    sizeof(lf) - 1, &line), 0);
	assert_pl(&line, "SIP/2.0 180 Ringing");

	/* no line end at all: the whole buffer */
	p = dup_exact(one, sizeof(one) - 1);
	assert_int_equal(msgview_start_line(p, sizeof(one) - 1, &line), 0);
	assert_pl(&line, "SIP/2.0 200 OK");
	free(p);

	assert_int_equal(msgview_start_line(NULL, 4, &line), EINVAL);
	assert_int_equal(msgview_start_line((const uint8_t *)msg, 4, NULL),
			 EINVAL);
}


static void test_headers_crlf(void **state)
{
	struct seen s = {0};

	(void)state;

	HEADERS("INVITE sip:b@h SIP/2.0\r\n"
		"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"To: <sip:b@h>\r\n"
		"Call-ID: abc@h\r\n"
		"\r\n"
		"X: not a header, body\r\n", &s);

	assert_int_equal(s.n, 3);
	assert_pl(&s.name[0], "Via");
	assert_pl(&s.val[0], "SIP/2.0/UDP h;branch=z9hG4bK1");
	assert_pl(&s.name[1], "To");
	assert_pl(&s.val[1], "<sip:b@h>");
	assert_pl(&s.name[2], "Call-ID");
	assert_pl(&s.val[2], "abc@h");
	seen_reset(&s);
}


static void test_headers_lf(void **state)
{
	struct seen s = {0};

	(void)state;

	/* bare LF, and the two mixed in one message */
	HEADERS("SIP/2.0 200 OK\n"
		"Via: v1\n"
		"CSeq: 1 INVITE\r\n"
		"To: t\n"
		"\n"
		"Body: no\n", &s);

	assert_int_equal(s.n, 3);
	assert_pl(&s.name[0], "Via");
	assert_pl(&s.val[0], "v1");
	assert_pl(&s.name[1], "CSeq");
	assert_pl(&s.val[1], "1 INVITE");
	assert_pl(&s.name[2], "To");
	assert_pl(&s.val[2], "t");
	seen_reset(&s);
}


static void test_headers_folded(void **state)
{
	struct seen s = {0};

	(void)state;

	/* a folded value keeps its line ends, as it was on the wire */
	HEADERS("OPTIONS sip:h SIP/2.0\r\n"
		"Subject: I know you're there,\r\n"
		"  pick up the phone\r\n"
		"\tand talk to me!\r\n"
		"To: t\n"
		" folded-lf\n"
		"From: f\r\n"
		"\r\n", &s);

	assert_int_equal(s.n, 3);
	assert_pl(&s.name[0], "Subject");
	assert_pl(&s.val[0], "I know you're there,\r\n"
		  "  pick up the phone\r\n"
		  "\tand talk to me!");
	assert_pl(&s.name[1], "To");
	assert_pl(&s.val[1], "t\n folded-lf");
	assert_pl(&s.name[2], "From");
	assert_pl(&s.val[2], "f");
	seen_reset(&s);
}


static void test_headers_trimmed(void **state)
{
	struct seen s = {0};

	(void)state;

	HEADERS("BYE sip:h SIP/2.0\r\n"
		"Max-Forwards:70\r\n"
		"Via \t:  \t SIP/2.0/UDP h \t \r\n"
		"Subject:\r\n"
		"Supported:   \r\n"
		"\r\n", &s);

	assert_int_equal(s.n, 4);
	assert_pl(&s.name[0], "Max-Forwards");
	assert_pl(&s.val[0], "70");
	assert_pl(&s.name[1], "Via");
	assert_pl(&s.val[1], "SIP/2.0/UDP h");
	assert_pl(&s.name[2], "Subject");
	assert_pl(&s.val[2], "");
	assert_pl(&s.name[3], "Supported");
	assert_pl(&s.val[3], "");
	seen_reset(&s);
}


static void test_headers_no_colon(void **state)
{
	struct seen s = {0};

	(void)state;

	HEADERS("INVITE sip:h SIP/2.0\r\n"
		"Via: a\r\n"
		"this line has no colon\r\n"
		"To: b\r\n"
		"\r\n", &s);

	assert_int_equal(s.n, 2);
	assert_pl(&s.name[0], "Via");
	assert_pl(&s.name[1], "To");
	assert_pl(&s.val[1], "b");
	seen_reset(&s);
}


static void test_headers_stop(void **state)
{
	static const char msg[] = "INVITE sip:h SIP/2.0\r\n"
		"Via: 1\r\nVia: 2\r\nVia: 3\r\nVia: 4\r\n\r\n";
	struct seen s = {0};

	(void)state;

	s.stop = 2;
	HEADERS(msg, &s);
	assert_int_equal(s.n, 2);
	assert_pl(&s.val[1], "2");

	seen_reset(&s);
	s.stop = 1;
	HEADERS(msg, &s);
	assert_int_equal(s.n, 1);
	assert_pl(&s.val[0], "1");

	/* never true: all four */
	seen_reset(&s);
	HEADERS(msg, &s);
	assert_int_equal(s.n, 4);

	assert_int_equal(msgview_headers(NULL, 4, collect, &s), EINVAL);
	assert_int_equal(msgview_headers((const uint8_t *)msg, sizeof(msg),
					 NULL, &s), EINVAL);
	seen_reset(&s);
}


static void test_name_eq(void **state)
{
	struct pl v = PL("v"), via = PL("Via"), i = PL("i"), cid = PL("Call-ID");
	struct pl big_v = PL("V"), big_i = PL("I"), q = PL("q");
	struct pl vias = PL("Vias"), empty = PL("");

	(void)state;

	/* compact on the wire, asked by the long name */
	assert_true(msgview_name_eq(&v, "Via"));
	assert_true(msgview_name_eq(&i, "Call-ID"));
	assert_true(msgview_name_eq(&big_v, "via"));
	assert_true(msgview_name_eq(&big_i, "CALL-ID"));

	/* long on the wire, asked by the compact form */
	assert_true(msgview_name_eq(&via, "v"));
	assert_true(msgview_name_eq(&via, "V"));
	assert_true(msgview_name_eq(&cid, "i"));
	assert_true(msgview_name_eq(&cid, "I"));

	/* both the same form, any case */
	assert_true(msgview_name_eq(&via, "VIA"));
	assert_true(msgview_name_eq(&cid, "call-id"));
	assert_true(msgview_name_eq(&v, "V"));
	assert_true(msgview_name_eq(&big_i, "i"));

	/* and what must not match */
	assert_false(msgview_name_eq(&v, "Call-ID"));
	assert_false(msgview_name_eq(&i, "Via"));
	assert_false(msgview_name_eq(&via, "i"));
	assert_false(msgview_name_eq(&cid, "v"));
	assert_false(msgview_name_eq(&vias, "Via"));
	assert_false(msgview_name_eq(&vias, "v"));
	assert_false(msgview_name_eq(&via, "Vi"));
	assert_false(msgview_name_eq(&q, "Via"));
	assert_true(msgview_name_eq(&q, "Q"));
	assert_false(msgview_name_eq(&empty, "Via"));
	assert_false(msgview_name_eq(&via, ""));
}


static void test_long_name(void **state)
{
	struct pl f = PL("f"), t = PL("T"), l = PL("l"), q = PL("q");
	struct pl at = PL("@"), two = PL("ff");

	(void)state;

	assert_string_equal(msgview_long_name(&f), "From");
	assert_string_equal(msgview_long_name(&t), "To");
	assert_string_equal(msgview_long_name(&l), "Content-Length");
	assert_null(msgview_long_name(&q));
	assert_null(msgview_long_name(&at));   /* '@' | 0x20 is '`' */
	assert_null(msgview_long_name(&two));
	assert_null(msgview_long_name(NULL));
}


/* A message in compact form, searched by the long names. */
static void test_headers_compact(void **state)
{
	static const char msg[] = "INVITE sip:h SIP/2.0\r\n"
		"v: SIP/2.0/UDP a\r\n"
		"Via: SIP/2.0/UDP b\r\n"
		"i: id1\r\n"
		"V: SIP/2.0/UDP c\r\n"
		"\r\n";
	struct seen s = {0};

	(void)state;

	s.want = "Via";
	HEADERS(msg, &s);
	assert_int_equal(s.wanted, 3);
	assert_pl(&s.name[0], "v");
	assert_pl(&s.val[0], "SIP/2.0/UDP a");

	seen_reset(&s);
	s.want = "v";
	HEADERS(msg, &s);
	assert_int_equal(s.wanted, 3);

	seen_reset(&s);
	s.want = "Call-ID";
	HEADERS(msg, &s);
	assert_int_equal(s.wanted, 1);
	seen_reset(&s);
}


static void test_body(void **state)
{
	static const char crlf[] = "INVITE sip:h SIP/2.0\r\n"
		"Content-Length: 4\r\n\r\nv=0\n";
	static const char lf[] = "INVITE sip:h SIP/2.0\nl: 3\n\nabc";
	static const char crlfcrlf[] = "INVITE sip:h SIP/2.0\r\nTo: t\r\n\r\n"
		"\r\n\r\nx";
	static const char none[] = "INVITE sip:h SIP/2.0\r\nTo: t\r\n";
	static const char empty[] = "SIP/2.0 200 OK\r\nTo: t\r\n\r\n";
	struct pl body;
	uint8_t *p;

	(void)state;

	p = dup_exact(crlf, sizeof(crlf) - 1);
	assert_int_equal(msgview_body(p, sizeof(crlf) - 1, &body), 0);
	assert_pl(&body, "v=0\n");
	free(p);

	p = dup_exact(lf, sizeof(lf) - 1);
	assert_int_equal(msgview_body(p, sizeof(lf) - 1, &body), 0);
	assert_pl(&body, "abc");
	free(p);

	/* the first blank line ends the headers; later ones are body */
	p = dup_exact(crlfcrlf, sizeof(crlfcrlf) - 1);
	assert_int_equal(msgview_body(p, sizeof(crlfcrlf) - 1, &body), 0);
	assert_pl(&body, "\r\n\r\nx");
	free(p);

	/* no blank line: no body, pointing at the end, not past it */
	p = dup_exact(none, sizeof(none) - 1);
	assert_int_equal(msgview_body(p, sizeof(none) - 1, &body), 0);
	assert_int_equal(body.l, 0);
	assert_ptr_equal(body.p, (const char *)p + sizeof(none) - 1);
	free(p);

	p = dup_exact(empty, sizeof(empty) - 1);
	assert_int_equal(msgview_body(p, sizeof(empty) - 1, &body), 0);
	assert_int_equal(body.l, 0);
	assert_ptr_equal(body.p, (const char *)p + sizeof(empty) - 1);
	free(p);

	assert_int_equal(msgview_body(NULL, 1, &body), EINVAL);
	assert_int_equal(msgview_body((const uint8_t *)lf, 1, NULL), EINVAL);
}


/* Cut a message at every length: nothing may read past the cut, and
 * what is seen is a prefix of what the whole message gives. */
static void test_truncated(void **state)
{
	static const char msg[] = "INVITE sip:h SIP/2.0\r\n"
		"Via: SIP/2.0/UDP h\r\n"
		"Subject: folded\r\n value\r\n"
		"To: t\r\n"
		"\r\n"
		"v=0\r\n";
	const size_t full = sizeof(msg) - 1;
	size_t len;

	(void)state;

	for (len = 0; len <= full; len++) {
		uint8_t *p = dup_exact(msg, len);
		struct seen s = {0};
		struct pl line, body;
		size_t k;

		assert_int_equal(msgview_start_line(p, len, &line), 0);
		assert_true(line.l <= len);

		assert_int_equal(msgview_headers(p, len, collect, &s), 0);
		assert_true(s.n <= 3);
		for (k = 0; k < s.n; k++) {
			assert_true(s.name[k].p >= (const char *)p);
			assert_true(s.val[k].p + s.val[k].l
				    <= (const char *)p + len);
		}

		assert_int_equal(msgview_body(p, len, &body), 0);
		assert_true(body.p + body.l == (const char *)p + len);

		free(p);
	}
}


/* Cut mid-header, with no blank line: the last header is partial. */
static void test_truncated_mid_header(void **state)
{
	struct seen s = {0};
	struct pl body;
	static const char msg[] = "INVITE sip:h SIP/2.0\r\nVia: a\r\nTo: <si";

	(void)state;

	HEADERS(msg, &s);
	assert_int_equal(s.n, 2);
	assert_pl(&s.name[1], "To");
	assert_pl(&s.val[1], "<si");

	/* ends on a CR whose LF was cut off: no line end was seen, so
	 * the CR stays in the value */
	seen_reset(&s);
	HEADERS("INVITE sip:h SIP/2.0\r\nVia: a\r", &s);
	assert_int_equal(s.n, 1);
	assert_pl(&s.val[0], "a\r");

	/* ends inside a name */
	seen_reset(&s);
	HEADERS("INVITE sip:h SIP/2.0\r\nVia: a\r\nCall-", &s);
	assert_int_equal(s.n, 1);

	/* the LF of the blank line cut off */
	seen_reset(&s);
	HEADERS("INVITE sip:h SIP/2.0\r\nVia: a\r\n\r", &s);
	assert_int_equal(s.n, 1);

	assert_int_equal(msgview_body((const uint8_t *)msg, sizeof(msg) - 1,
				      &body), 0);
	assert_int_equal(body.l, 0);
	seen_reset(&s);
}


static void test_empty(void **state)
{
	uint8_t *p = dup_exact("", 0);
	struct seen s = {0};
	struct pl line, body;

	(void)state;

	assert_int_equal(msgview_start_line(p, 0, &line), 0);
	assert_int_equal(line.l, 0);
	assert_int_equal(msgview_headers(p, 0, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(msgview_body(p, 0, &body), 0);
	assert_int_equal(body.l, 0);

	free(p);
}


static void test_only_crlf(void **state)
{
	static const char *const bufs[] = {"\r\n", "\n", "\r", "\r\n\r\n",
					   "\n\n", " \r\n"};
	size_t i;

	(void)state;

	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		const size_t len = strlen(bufs[i]);
		uint8_t *p = dup_exact(bufs[i], len);
		struct seen s = {0};
		struct pl line, body;

		assert_int_equal(msgview_start_line(p, len, &line), 0);
		assert_true(line.l <= len);
		assert_int_equal(msgview_headers(p, len, collect, &s), 0);
		assert_int_equal(s.n, 0);
		assert_int_equal(msgview_body(p, len, &body), 0);
		assert_int_equal(body.l, 0);
		free(p);
	}
}


static void test_nul_bytes(void **state)
{
	static const char msg[] = "INVITE sip:h SIP/2.0\r\n"
		"Subject: a\0b\r\n"
		"X-N\0ul: v\r\n"
		"To: \0\r\n"
		"\r\n"
		"\0body";
	struct seen s = {0};
	struct pl body;
	uint8_t *p;

	(void)state;

	HEADERS(msg, &s);
	assert_int_equal(s.n, 3);
	assert_pl(&s.name[0], "Subject");
	assert_pl(&s.val[0], "a\0b");
	assert_pl(&s.name[1], "X-N\0ul");
	assert_pl(&s.val[1], "v");
	assert_pl(&s.val[2], "\0");

	/* a NUL in the name is no way to match a shorter name */
	assert_false(msgview_name_eq(&s.name[1], "X-N"));

	p = dup_exact(msg, sizeof(msg) - 1);
	assert_int_equal(msgview_body(p, sizeof(msg) - 1, &body), 0);
	assert_pl(&body, "\0body");
	free(p);
	seen_reset(&s);
}


/* 64 KB of headers: every one seen, none lost at the end. */
static void test_large(void **state)
{
	const size_t size = 64 * 1024;
	struct mbuf *mb = mbuf_alloc(size + 512);
	struct seen s = {0};
	struct pl body;
	size_t n = 0;
	uint8_t *p;

	(void)state;

	assert_non_null(mb);
	assert_int_equal(mbuf_printf(mb, "INVITE sip:h SIP/2.0\r\n"), 0);
	while (mb->end < size) {
		assert_int_equal(mbuf_printf(mb, "X-H%zu: value %zu\r\n", n,
					     n), 0);
		++n;
	}
	assert_int_equal(mbuf_printf(mb, "Via: last\r\n\r\nbody"), 0);

	p = dup_exact((const char *)mb->buf, mb->end);
	s.want = "v";
	assert_int_equal(msgview_headers(p, mb->end, collect, &s), 0);
	assert_int_equal(s.n, n + 1);
	assert_int_equal(s.wanted, 1);
	assert_pl(&s.name[3], "X-H3");
	assert_pl(&s.val[3], "value 3");

	assert_int_equal(msgview_body(p, mb->end, &body), 0);
	assert_pl(&body, "body");

	free(p);
	mem_deref(mb);
}


struct lines_seen {
	unsigned n;
	char last[64];
};


static bool line_collect(const struct pl *line, void *arg)
{
	struct lines_seen *s = arg;

	++s->n;
	(void)pl_strcpy(line, s->last, sizeof(s->last));

	return false;
}


static int crlf_lines(const char *lit, struct lines_seen *s)
{
	size_t len = strlen(lit);
	uint8_t *p = dup_exact(lit, len);
	int err;

	memset(s, 0, sizeof(*s));
	err = msgview_crlf_lines(p, len, line_collect, s);
	free(p);

	return err;
}


/* identity() in checkers/wire.lua reads the header names through this:
 * every head line CR LF clean to the blank line, else EBADMSG (the Lua
 * side reads those heads its own way) */
static void test_crlf_lines(void **state)
{
	struct lines_seen s;

	(void)state;

	assert_int_equal(crlf_lines("SIP/2.0 183 X\r\nRSeq: 1\r\n\r\nbody",
				    &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.last, "RSeq: 1");

	/* a bare LF, a bare CR, no blank line, the blank line first */
	assert_int_equal(crlf_lines("SIP/2.0 183 X\r\nA: 1\nB: 2\r\n\r\n",
				    &s), EBADMSG);
	assert_int_equal(crlf_lines("SIP/2.0 183 X\r\nA: 1\rB\r\n\r\n",
				    &s), EBADMSG);
	assert_int_equal(crlf_lines("SIP/2.0 183 X\r\nA: 1\r\n", &s),
			 EBADMSG);
	assert_int_equal(crlf_lines("SIP/2.0 183 X\r\nA: 1\r", &s),
			 EBADMSG);
	assert_int_equal(crlf_lines("\r\nSIP/2.0 183 X\r\n\r\n", &s),
			 EBADMSG);
	assert_int_equal(s.n, 0);
	assert_int_equal(msgview_crlf_lines(NULL, 4, line_collect, &s),
			 EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_line),
		cmocka_unit_test(test_crlf_lines),
		cmocka_unit_test(test_headers_crlf),
		cmocka_unit_test(test_headers_lf),
		cmocka_unit_test(test_headers_folded),
		cmocka_unit_test(test_headers_trimmed),
		cmocka_unit_test(test_headers_no_colon),
		cmocka_unit_test(test_headers_stop),
		cmocka_unit_test(test_name_eq),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_headers_compact),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_truncated_mid_header),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_only_crlf),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
