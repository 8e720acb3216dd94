/**
 * @file test_progress.c  Unit tests of src/sip/progress.c (P-RANGE-1,
 *                        P-REASON-1, P-HDR-1, P-BODY-1)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "progress.h"


/* A refusal must be EINVAL with an error text naming the option. */
#define assert_refused(e, err, opt) do {				\
		assert_int_equal((e), EINVAL);				\
		if (!strstr((err), (opt)))				\
			fail_msg("error \"%s\" does not name %s",	\
				 (err), (opt));				\
	} while (0)


static void test_status(void **state)
{
	static const long good[] = {100, 180, 181, 183, 199};
	static const long bad[] = {99, 200, 700, 0, -1, 100000};
	char err[PROGRESS_ERRSZ];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(progress_check_status(good[i], err,
						       sizeof(err)), 0);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_refused(progress_check_status(bad[i], err,
						     sizeof(err)),
			       err, "statusCode");
	}
}


static void test_validate_status(void **state)
{
	static const uint16_t good[] = {0, 100, 180, 199};
	static const uint16_t bad[] = {99, 200, 700};
	struct progress_opts opts;
	char err[PROGRESS_ERRSZ];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&opts, 0, sizeof(opts));
		opts.scode = good[i];
		assert_int_equal(progress_validate(&opts, err, sizeof(err)),
				 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&opts, 0, sizeof(opts));
		opts.scode = bad[i];
		err[0] = '\0';
		assert_refused(progress_validate(&opts, err, sizeof(err)),
			       err, "statusCode");
	}
}


static void test_validate_args(void **state)
{
	struct progress_opts opts;
	char err[PROGRESS_ERRSZ];
	(void)state;

	memset(&opts, 0, sizeof(opts));
	assert_int_equal(progress_validate(NULL, err, sizeof(err)), EINVAL);
	assert_int_equal(progress_validate(&opts, NULL, 0), EINVAL);
	assert_int_equal(progress_validate(&opts, err, sizeof(err)), 0);
}


static void test_scode_default(void **state)
{
	struct progress_opts opts;
	(void)state;

	memset(&opts, 0, sizeof(opts));
	assert_int_equal(progress_scode(&opts), 180);
	opts.scode = 183;
	assert_int_equal(progress_scode(&opts), 183);
}


/* P-REASON-1 */
static void test_default_reason(void **state)
{
	const char *other;
	(void)state;

	assert_string_equal(progress_default_reason(100), "Trying");
	assert_string_equal(progress_default_reason(180), "Ringing");
	assert_string_equal(progress_default_reason(181),
			    "Call Is Being Forwarded");
	assert_string_equal(progress_default_reason(182), "Queued");
	assert_string_equal(progress_default_reason(183),
			    "Session Progress");
	assert_string_equal(progress_default_reason(199),
			    "Early Dialog Terminated");

	/* some phrase for the others, never NULL or empty */
	other = progress_default_reason(150);
	assert_non_null(other);
	assert_true(*other != '\0');
}


static void test_reason(void **state)
{
	struct progress_opts opts;
	(void)state;

	memset(&opts, 0, sizeof(opts));
	assert_string_equal(progress_reason(&opts), "Ringing");

	opts.scode = 100;
	assert_string_equal(progress_reason(&opts), "Trying");

	opts.scode = 183;
	assert_string_equal(progress_reason(&opts), "Session Progress");

	opts.reason = "Wird weitergeleitet";
	assert_string_equal(progress_reason(&opts), "Wird weitergeleitet");
}


static void test_check_reason(void **state)
{
	static const char *bad[] = {
		"Ringing\r", "Ring\ning", "Ringing\r\n", "\nX-Injected: 1",
		/* RFC 3261 TEXT-UTF8: no control but HTAB, UTF-8 only */
		"Ring\x07", "\x1b[2J", "Ring\x7f", "Ring\xff", "a\xc0\xaf",
		"a\xed\xa0\x80", "L\xc3",
	};
	char err[PROGRESS_ERRSZ];
	struct progress_opts opts;
	size_t i;
	(void)state;

	assert_int_equal(progress_check_reason("Ringing", err, sizeof(err)),
			 0);
	/* UTF-8 is allowed (RFC 3261 25.1 UTF8-NONASCII) */
	assert_int_equal(progress_check_reason("L\xc3\xa4utet \xe2\x9c\x93",
					       err, sizeof(err)), 0);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_refused(progress_check_reason(bad[i], err,
						     sizeof(err)),
			       err, "reasonPhrase");
	}

	memset(&opts, 0, sizeof(opts));
	opts.reason = "\xe5\x91\xbc\xe3\x81\xb3\xe5\x87\xba\xe3\x81\x97\xe4"
		"\xb8\xad";
	assert_int_equal(progress_validate(&opts, err, sizeof(err)), 0);
	assert_string_equal(progress_reason(&opts), opts.reason);

	opts.reason = "Ringing\r\nX-Injected: 1";
	err[0] = '\0';
	assert_refused(progress_validate(&opts, err, sizeof(err)), err,
		       "reasonPhrase");
}


static const char *good_hdrs[] = {
	"X-Foo: bar",
	"X-Foo:bar",
	"Subject: caf\xc3\xa9",
	"X-Tab: a\tb",
	"X-Tok.en!%*_+`'~: v",
};

static const char *bad_hdrs[] = {
	"NoColon",
	": novalue",
	"Bad Name: x",
	"X-Foo: a\r\nInjected: b",
	"X-Foo: a\nInjected: b",
	"X-Foo: a\r",
	"X-Foo: \x1b[31m",
	"X-Foo: \xc3\x28",
	"X-Foo: \x01",
	"X@Y: z",
	" X-Foo: folded",
	"",
};


static void test_check_header(void **state)
{
	char err[PROGRESS_ERRSZ];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(good_hdrs) / sizeof(good_hdrs[0]); i++) {
		if (progress_check_header("extraHeaders", good_hdrs[i], err,
					  sizeof(err)))
			fail_msg("\"%s\" refused: %s", good_hdrs[i], err);
	}

	for (i = 0; i < sizeof(bad_hdrs) / sizeof(bad_hdrs[0]); i++) {
		err[0] = '\0';
		assert_refused(progress_check_header("extraHeaders",
						     bad_hdrs[i], err,
						     sizeof(err)),
			       err, "extraHeaders");
	}
}


static void test_validate_headers(void **state)
{
	struct progress_opts opts;
	char err[PROGRESS_ERRSZ];
	size_t i;
	(void)state;

	memset(&opts, 0, sizeof(opts));
	for (i = 0; i < sizeof(good_hdrs) / sizeof(good_hdrs[0]); i++)
		opts.xhdrv[opts.xhdrc++] = good_hdrs[i];
	assert_int_equal(progress_validate(&opts, err, sizeof(err)), 0);

	/* one bad header among good ones spoils the lot */
	for (i = 0; i < sizeof(bad_hdrs) / sizeof(bad_hdrs[0]); i++) {
		opts.xhdrv[opts.xhdrc] = bad_hdrs[i];
		err[0] = '\0';
		opts.xhdrc++;
		assert_refused(progress_validate(&opts, err, sizeof(err)),
			       err, "extraHeaders");
		opts.xhdrc--;
	}
}


static void test_validate_header_count(void **state)
{
	struct progress_opts opts;
	char err[PROGRESS_ERRSZ];
	size_t i;
	(void)state;

	memset(&opts, 0, sizeof(opts));
	for (i = 0; i < PROGRESS_MAX_HDRS; i++)
		opts.xhdrv[i] = "X-Foo: bar";

	opts.xhdrc = PROGRESS_MAX_HDRS;
	assert_int_equal(progress_validate(&opts, err, sizeof(err)), 0);

	/* a count past the array is refused, not read past */
	opts.xhdrc = PROGRESS_MAX_HDRS + 1;
	err[0] = '\0';
	assert_refused(progress_validate(&opts, err, sizeof(err)), err,
		       "extraHeaders");
}


/* A header siptap writes itself, by full or compact name, any case */
static void test_check_own(void **state)
{
	static const struct {
		const char *hdr;
		unsigned own;
		const char *named;   /* NULL: allowed */
	} v[] = {
		{"Via: x",             PROGRESS_OWN_VIA,     "Via"},
		{"v: x",               PROGRESS_OWN_VIA,     "Via"},
		{"V:x",                PROGRESS_OWN_VIA,     "Via"},
		{"content-length: 0",  PROGRESS_OWN_CLEN,    "Content-Length"},
		{"l: 0",               PROGRESS_OWN_CLEN,    "Content-Length"},
		{"i: x",               PROGRESS_OWN_CALLID,  "Call-ID"},
		{"m: <sip:a@b>",       PROGRESS_OWN_CONTACT, "Contact"},
		{"k: timer",           PROGRESS_OWN_SUPPORTED, "Supported"},
		{"RSEQ: 1",            PROGRESS_OWN_RSEQ,    "RSeq"},
		{"Contact: <sip:a@b>", PROGRESS_OWN_VIA,     NULL},
		{"Viа: x",             PROGRESS_OWN_VIA,     NULL},
		{"Vias: x",            PROGRESS_OWN_VIA,     NULL},
		{"X-Via: x",           ~0u,                  NULL},
		{"Require: 100rel",    PROGRESS_OWN_RSEQ,    NULL},
	};
	char err[PROGRESS_ERRSZ];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int e;

		err[0] = '\0';
		e = progress_check_own("extraHeaders", &v[i].hdr, 1, v[i].own,
				       err, sizeof(err));
		if (!v[i].named && e)
			fail_msg("\"%s\" refused: %s", v[i].hdr, err);
		if (v[i].named) {
			assert_refused(e, err, v[i].named);
			assert_refused(e, err, "extraHeaders");
		}
	}
}


static void test_error_truncated(void **state)
{
	char err[16];
	(void)state;

	memset(err, 'x', sizeof(err));
	assert_int_equal(progress_check_header("extraHeaders",
					       "Very Long Header Name: and "
					       "a value", err, sizeof(err)),
			 EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}


static void test_check_ctype(void **state)
{
	static const char *good[] = {
		"text/plain",
		"application/sdp",
		"application/sdp; charset=utf-8",
		"application/vnd.3gpp.ussd+xml",
		"multipart/mixed;boundary=x",
	};
	static const char *bad[] = {
		"textplain",
		"text/plain\r\nX: y",
		"text/plain\n",
		"text/",
		"/plain",
		"text plain/x",
		"",
	};
	char err[PROGRESS_ERRSZ];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (progress_check_ctype(good[i], err, sizeof(err)))
			fail_msg("\"%s\" refused: %s", good[i], err);
	}

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_refused(progress_check_ctype(bad[i], err, sizeof(err)),
			       err, "body.contentType");
	}
}


/* P-BODY-1: a body table must say its Content-Type */
static void test_validate_body(void **state)
{
	static const char sdp[] = "v=0\r\n";
	struct progress_opts opts;
	char err[PROGRESS_ERRSZ];
	(void)state;

	/* a plain string body: application/sdp by default */
	memset(&opts, 0, sizeof(opts));
	opts.body = sdp;
	opts.body_len = sizeof(sdp) - 1;
	assert_int_equal(progress_validate(&opts, err, sizeof(err)), 0);

	/* a table without contentType */
	opts.body_is_table = true;
	err[0] = '\0';
	assert_refused(progress_validate(&opts, err, sizeof(err)), err,
		       "body.contentType");

	opts.ctype = "text/plain";
	assert_int_equal(progress_validate(&opts, err, sizeof(err)), 0);

	opts.ctype = "application/sdp; charset=utf-8";
	assert_int_equal(progress_validate(&opts, err, sizeof(err)), 0);

	opts.ctype = "textplain";
	err[0] = '\0';
	assert_refused(progress_validate(&opts, err, sizeof(err)), err,
		       "body.contentType");

	opts.ctype = "text/plain\r\nX: y";
	err[0] = '\0';
	assert_refused(progress_validate(&opts, err, sizeof(err)), err,
		       "body.contentType");
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_validate_status),
		cmocka_unit_test(test_validate_args),
		cmocka_unit_test(test_scode_default),
		cmocka_unit_test(test_default_reason),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_check_reason),
		cmocka_unit_test(test_check_header),
		cmocka_unit_test(test_validate_headers),
		cmocka_unit_test(test_validate_header_count),
		cmocka_unit_test(test_check_own),
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_check_ctype),
		cmocka_unit_test(test_validate_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
