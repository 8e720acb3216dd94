/**
 * @file msgview.c  Reading a SIP message's header lines from its bytes
 */
#include <string.h>
#include <re.h>
#include "msgview.h"


/* RFC 3261 7.3.3 compact forms, and a few from later RFCs */
static const struct { char c; const char *name; } compact[] = {
	{'a', "Accept-Contact"},   {'b', "Referred-By"},
	{'c', "Content-Type"},     {'d', "Request-Disposition"},
	{'e', "Content-Encoding"}, {'f', "From"},
	{'i', "Call-ID"},          {'j', "Reject-Contact"},
	{'k', "Supported"},        {'l', "Content-Length"},
	{'m', "Contact"},          {'n', "Identity-Info"},
	{'o', "Event"},            {'r', "Refer-To"},
	{'s', "Subject"},          {'t', "To"},
	{'u', "Allow-Events"},     {'v', "Via"},
	{'x', "Session-Expires"},  {'y', "Identity"},
};


/* The long name of a one-letter header name, or NULL. */
const char *msgview_long_name(const struct pl *name)
{
	size_t i;
	char c;

	if (!name || name->l != 1)
		return NULL;

	c = (char)(name->p[0] | 0x20);
	for (i = 0; i < ARRAY_SIZE(compact); i++) {
		if (compact[i].c == c)
			return compact[i].name;
	}

	return NULL;
}


/* Does a name on the wire (maybe compact) mean the wanted header? */
bool msgview_name_eq(const struct pl *name, const char *wanted)
{
	const char *lng;
	struct pl w;

	if (!pl_strcasecmp(name, wanted))
		return true;

	lng = msgview_long_name(name);
	if (lng && !str_casecmp(lng, wanted))
		return true;

	/* the caller may ask by the compact form too */
	pl_set_str(&w, wanted);
	lng = msgview_long_name(&w);

	return lng && !pl_strcasecmp(name, lng);
}


/* Is a name on the wire (maybe compact, any case) filed under filed,
 * the long form in lower case that a lookup asks for (l bytes)? The
 * same answer as msgview_name_eq() with filed's own spellings, without
 * a compact table walk for each name of more than one letter. */
bool msgview_filed_eq(const struct pl *name, const char *filed, size_t l)
{
	const char *p = name->p;
	size_t i;

	if (name->l == 1) {
		const char *lng = msgview_long_name(name);

		if (lng) {
			p = lng;
			if (strlen(lng) != l)
				return false;
		}
		else if (l != 1)
			return false;
	}
	else if (name->l != l)
		return false;

	for (i = 0; i < l; i++) {
		char c = p[i];

		if (((c >= 'A' && c <= 'Z') ? (char)(c + 32) : c) != filed[i])
			return false;
	}

	return true;
}


/* End of the line starting at p: the offset of its CR LF (or lone LF). */
static size_t line_end(const uint8_t *p, size_t len, size_t pos,
		       size_t *next)
{
	/* memchr: libc's reads a word or a vector at a time, the byte loop
	 * it replaces was most of a header walk's cost */
	const uint8_t *lf = pos < len ? memchr(p + pos, '\n', len - pos)
		: NULL;
	size_t i;

	if (!lf) {
		*next = len;
		return len;
	}

	i = (size_t)(lf - p);
	*next = i + 1;

	return (i > pos && p[i - 1] == '\r') ? i - 1 : i;
}


int msgview_start_line(const uint8_t *p, size_t len, struct pl *line)
{
	size_t next, end;

	if (!p || !line)
		return EINVAL;

	end = line_end(p, len, 0, &next);
	line->p = (const char *)p;
	line->l = end;

	return 0;
}


static bool is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}


static void trim(struct pl *pl)
{
	while (pl->l && is_wsp((uint8_t)pl->p[0])) {
		++pl->p;
		--pl->l;
	}
	while (pl->l && is_wsp((uint8_t)pl->p[pl->l - 1]))
		--pl->l;
}


/* Calls h for each header line (a folded line is one value, its CR LF
 * kept) until h returns true or the blank line ends the headers. */
int msgview_headers(const uint8_t *p, size_t len, msgview_hdr_h *h,
		    void *arg)
{
	size_t pos, next, end;

	if (!p || !h)
		return EINVAL;

	(void)line_end(p, len, 0, &pos);   /* skip the start line */

	while (pos < len) {
		struct pl name, val;
		const uint8_t *colon;

		end = line_end(p, len, pos, &next);
		if (end == pos)
			return 0;                 /* blank line: body next */

		/* continuation lines belong to this header */
		while (next < len && is_wsp(p[next]))
			end = line_end(p, len, next, &next);

		colon = memchr(p + pos, ':', end - pos);
		if (colon) {
			name.p = (const char *)p + pos;
			name.l = (size_t)(colon - (p + pos));
			val.p  = (const char *)colon + 1;
			val.l  = (size_t)((p + end) - (colon + 1));
			trim(&name);
			trim(&val);
			if (h(&name, &val, arg))
				return 0;
		}

		pos = next;
	}

	return 0;
}


/* Calls h for each line of a head in which every line ends in CR LF
 * and holds no other CR or LF (the common case: one pass with memchr),
 * the start line first, CR LF taken off, until h returns true or the
 * blank line. EBADMSG for any other head (a bare CR or LF, no blank
 * line, a blank line first): the caller reads it its own way; h may
 * have been called for lines before the one that is wrong. */
int msgview_crlf_lines(const uint8_t *p, size_t len, msgview_line_h *h,
		       void *arg)
{
	size_t pos = 0, n = 0;

	if (!p || !h)
		return EINVAL;

	for (;;) {
		const uint8_t *cr = pos < len ?
			memchr(p + pos, '\r', len - pos) : NULL;
		struct pl line;
		size_t i;

		if (!cr)
			return EBADMSG;
		i = (size_t)(cr - p);
		if (i + 1 >= len || p[i + 1] != '\n' ||
		    memchr(p + pos, '\n', i - pos))
			return EBADMSG;
		if (i == pos)
			return n ? 0 : EBADMSG;

		++n;
		line.p = (const char *)p + pos;
		line.l = i - pos;
		if (h(&line, arg))
			return 0;
		pos = i + 2;
	}
}


/* The bytes after the blank line (empty when there is none). */
int msgview_body(const uint8_t *p, size_t len, struct pl *body)
{
	size_t pos = 0, next, end;

	if (!p || !body)
		return EINVAL;

	while (pos < len) {
		end = line_end(p, len, pos, &next);
		if (end == pos && pos > 0) {
			body->p = (const char *)p + next;
			body->l = len - next;
			return 0;
		}
		pos = next;
	}

	body->p = (const char *)p + len;
	body->l = 0;

	return 0;
}
