/**
 * @file progress.c  The options of progress(): defaults and validation
 *
 * Every check here guards the wire: a value that passes can be printed
 * into a status line or header without changing the message's framing.
 */
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <re.h>
#include "text.h"
#include "progress.h"


/* RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" /
 * "_" / "+" / "`" / "'" / "~"); a header name is a token. */
static bool is_token_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;

	return strchr("-.!%*_+`'~", c) != NULL && c != '\0';
}


static bool has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}


int progress_check_status(long scode, char *err, size_t errsz)
{
	if (scode >= 100 && scode <= 199)
		return 0;

	snprintf(err, errsz, "statusCode: %ld is not a provisional status "
		 "code (100..199)", scode);
	return EINVAL;
}


/* RFC 3261 25.1 TEXT-UTF8: the rest of what a reason phrase or a header
 * value may not hold (a control character, bytes that are not UTF-8) */
static int check_text(const char *s, char *err, size_t errsz,
		      const char *what, int namel, const char *name)
{
	char why[TEXT_ERRSZ];

	if (!text_check(s, strlen(s), why, sizeof(why)))
		return 0;

	snprintf(err, errsz, "%s: %s%.*s%s%s", what, namel ? "\"" : "",
		 namel, name, namel ? "\" " : "", why);
	return EINVAL;
}


int progress_check_reason(const char *reason, char *err, size_t errsz)
{
	if (!has_crlf(reason))
		return check_text(reason, err, errsz, "reasonPhrase", 0, "");

	snprintf(err, errsz, "reasonPhrase: must not contain CR or LF");
	return EINVAL;
}


/* A header is "Name: value" on one line: a token, a colon, text (see
 * check_text). Leading white space before the colon is refused too,
 * since it would read as a folded continuation line. what names the
 * option in the error: "extraHeaders", "invite: headers[2]". */
int progress_check_header(const char *what, const char *hdr, char *err,
			  size_t errsz)
{
	const char *colon = strchr(hdr, ':');
	const char *why = NULL;
	char q[64];
	const char *p;

	if (has_crlf(hdr))
		why = "contains CR or LF";
	else if (!colon)
		why = "has no colon (want \"Name: value\")";
	else if (colon == hdr)
		why = "has an empty header name";
	for (p = hdr; !why && p < colon; p++) {
		if (!is_token_char(*p))
			why = "has an invalid header name";
	}
	if (!why)
		return check_text(hdr, err, errsz, what, (int)(colon - hdr),
				  hdr);

	/* the header quoted on one line, whatever it holds */
	snprintf(err, errsz, "%s: \"%s\" %s", what,
		 text_snprint(q, sizeof(q), &text_esc_line, hdr,
			      strnlen(hdr, 40)), why);
	return EINVAL;
}


/* The headers siptap writes itself, by full and compact name (RFC 3261
 * 7.3.3, RFC 3262); a second one from extraHeaders would contradict the
 * first (two Content-Lengths, a second To). */
static const struct {
	const char *name;
	const char *compact;
	unsigned bit;
} own_hdrs[] = {
	{"Via",            "v",  PROGRESS_OWN_VIA},
	{"From",           "f",  PROGRESS_OWN_FROM},
	{"To",             "t",  PROGRESS_OWN_TO},
	{"Call-ID",        "i",  PROGRESS_OWN_CALLID},
	{"CSeq",           NULL, PROGRESS_OWN_CSEQ},
	{"Contact",        "m",  PROGRESS_OWN_CONTACT},
	{"Max-Forwards",   NULL, PROGRESS_OWN_MAXFWD},
	{"Content-Type",   "c",  PROGRESS_OWN_CTYPE},
	{"Content-Length", "l",  PROGRESS_OWN_CLEN},
	{"Require",        NULL, PROGRESS_OWN_REQUIRE},
	{"RSeq",           NULL, PROGRESS_OWN_RSEQ},
	{"RAck",           NULL, PROGRESS_OWN_RACK},
	{"Supported",      "k",  PROGRESS_OWN_SUPPORTED},
};


/* The header hdr (checked by progress_check_header) is one of own */
static const char *own_name(const char *hdr, unsigned own)
{
	const size_t n = strcspn(hdr, ":");
	size_t i;

	for (i = 0; i < sizeof(own_hdrs) / sizeof(own_hdrs[0]); i++) {
		const char *c = own_hdrs[i].compact;

		if (!(own & own_hdrs[i].bit))
			continue;
		if ((strlen(own_hdrs[i].name) == n &&
		     !strncasecmp(hdr, own_hdrs[i].name, n)) ||
		    (c && n == 1 && tolower((unsigned char)*hdr) == *c))
			return own_hdrs[i].name;
	}

	return NULL;
}


/* None of the xhdrc headers may be one of own, the PROGRESS_OWN_ bits of
 * what the message carries already. */
int progress_check_own(const char *what, const char *const *xhdrv,
		       size_t xhdrc, unsigned own, char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < xhdrc; i++) {
		const char *name = own_name(xhdrv[i], own);

		if (!name)
			continue;
		snprintf(err, errsz, "%s: \"%.*s\" is a header siptap writes "
			 "itself in this message (%s)", what,
			 (int)strcspn(xhdrv[i], ":"), xhdrv[i], name);
		return EINVAL;
	}

	return 0;
}


/* type "/" subtype, both tokens, optional parameters after ";" */
int progress_check_ctype(const char *ctype, char *err, size_t errsz)
{
	const char *p = ctype;
	size_t type = 0, sub = 0;
	char q[64];

	if (has_crlf(ctype))
		goto bad;
	if (check_text(ctype, err, errsz, "body.contentType", 0, ""))
		return EINVAL;

	while (*p && is_token_char(*p)) {
		++type;
		++p;
	}
	if (*p++ != '/')
		goto bad;
	while (*p && is_token_char(*p)) {
		++sub;
		++p;
	}
	if (!type || !sub || (*p && *p != ';' && *p != ' '))
		goto bad;

	return 0;

 bad:
	snprintf(err, errsz, "body.contentType: \"%s\" is not a media "
		 "type (want \"type/subtype\")",
		 text_snprint(q, sizeof(q), &text_esc_line, ctype,
			      strnlen(ctype, 40)));
	return EINVAL;
}


int progress_validate(const struct progress_opts *opts, char *err,
		      size_t errsz)
{
	size_t i;
	int e;

	if (!opts || !err)
		return EINVAL;

	if (opts->scode) {
		e = progress_check_status(opts->scode, err, errsz);
		if (e)
			return e;
	}
	if (opts->reason) {
		e = progress_check_reason(opts->reason, err, errsz);
		if (e)
			return e;
	}
	if (opts->xhdrc > PROGRESS_MAX_HDRS) {
		snprintf(err, errsz, "extraHeaders: more than %d headers",
			 PROGRESS_MAX_HDRS);
		return EINVAL;
	}
	for (i = 0; i < opts->xhdrc; i++) {
		e = progress_check_header("extraHeaders", opts->xhdrv[i], err,
					  errsz);
		if (e)
			return e;
	}
	if (opts->body_is_table && !opts->ctype) {
		snprintf(err, errsz, "body.contentType: missing (a body "
			 "table needs {body = ..., contentType = ...})");
		return EINVAL;
	}
	if (opts->ctype)
		return progress_check_ctype(opts->ctype, err, errsz);

	return 0;
}


uint16_t progress_scode(const struct progress_opts *opts)
{
	return opts->scode ? opts->scode : 180;
}


/* P-REASON-1 */
const char *progress_default_reason(uint16_t scode)
{
	switch (scode) {

	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 199: return "Early Dialog Terminated";
	default:  return "Provisional Response";
	}
}


const char *progress_reason(const struct progress_opts *opts)
{
	return opts->reason ? opts->reason
		: progress_default_reason(progress_scode(opts));
}
