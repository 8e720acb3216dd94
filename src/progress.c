/**
 * @file progress.c  The options of progress(): defaults and validation
 *
 * Every check here guards the wire: a value that passes can be printed
 * into a status line or header without changing the message's framing.
 */
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <re.h>
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


int progress_check_reason(const char *reason, char *err, size_t errsz)
{
	if (!has_crlf(reason))
		return 0;

	snprintf(err, errsz, "reasonPhrase: must not contain CR or LF");
	return EINVAL;
}


/* A header is "Name: value" on one line: a token, a colon, anything
 * but CR/LF. Leading white space before the colon is refused too,
 * since it would read as a folded continuation line. */
int progress_check_header(const char *hdr, char *err, size_t errsz)
{
	const char *colon = strchr(hdr, ':');
	const char *p;

	if (has_crlf(hdr)) {
		snprintf(err, errsz, "extraHeaders: \"%.40s\" contains CR or "
			 "LF", hdr);
		return EINVAL;
	}
	if (!colon) {
		snprintf(err, errsz, "extraHeaders: \"%.40s\" has no colon "
			 "(want \"Name: value\")", hdr);
		return EINVAL;
	}
	if (colon == hdr) {
		snprintf(err, errsz, "extraHeaders: \"%.40s\" has an empty "
			 "header name", hdr);
		return EINVAL;
	}
	for (p = hdr; p < colon; p++) {
		if (!is_token_char(*p)) {
			snprintf(err, errsz, "extraHeaders: \"%.40s\" has an "
				 "invalid header name", hdr);
			return EINVAL;
		}
	}

	return 0;
}


/* type "/" subtype, both tokens, optional parameters after ";" */
int progress_check_ctype(const char *ctype, char *err, size_t errsz)
{
	const char *p = ctype;
	size_t type = 0, sub = 0;

	if (has_crlf(ctype))
		goto bad;

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
	snprintf(err, errsz, "body.contentType: \"%.40s\" is not a media "
		 "type (want \"type/subtype\")", ctype);
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
		e = progress_check_header(opts->xhdrv[i], err, errsz);
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
