/**
 * @file text.c  Bytes that become text: on the wire, or in a report
 *
 * A scenario's string is checked once, at the Lua edge, before it can
 * reach the wire. A peer's bytes cannot be refused, only printed safely,
 * so every report writer prints through text_escape() with its own map
 * of the few ASCII characters its format reserves.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "text.h"


static bool is_cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}


/* RFC 3629 section 4: the length of the well-formed UTF-8 character at
 * p (1..4), or 0 for a byte that does not start one (an overlong form,
 * a surrogate, beyond U+10FFFF, a cut sequence). */
size_t text_utf8_len(const uint8_t *p, size_t left)
{
	const uint8_t c = p[0];
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;

	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;

	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (!is_cont(p[i]))
			return 0;
	}

	return n;
}


/* RFC 3261 25.1 TEXT-UTF8 and header values: UTF-8 text where the only
 * control character is HTAB. err reads after the option's name:
 * "reasonPhrase: must not contain NUL (byte 4)". */
int text_check(const char *s, size_t len, char *err, size_t errsz)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, n;

	while (i < len) {
		const uint8_t c = p[i];

		if (c == '\r' || c == '\n') {
			snprintf(err, errsz, "must not contain CR or LF");
			return EINVAL;
		}
		if (!c) {
			snprintf(err, errsz, "must not contain NUL (byte %zu)",
				 i + 1);
			return EINVAL;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(err, errsz, "must not contain the control "
				 "character 0x%02x (byte %zu)", c, i + 1);
			return EINVAL;
		}
		n = text_utf8_len(p + i, len - i);
		if (!n) {
			snprintf(err, errsz, "must be UTF-8 (byte %zu, 0x%02x, "
				 "is not)", i + 1, c);
			return EINVAL;
		}
		i += n;
	}

	return 0;
}


/* U+FFFE and U+FFFF are UTF-8 but no XML 1.0 character: reports print
 * them as bytes too, so that one rule serves every format. */
static size_t report_char_len(const uint8_t *p, size_t left)
{
	const size_t n = text_utf8_len(p, left);

	if (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
		return 0;

	return n;
}


static int write_run(struct re_printf *pf, const char *p, const char *end)
{
	return end > p ? pf->vph(p, (size_t)(end - p), pf->arg) : 0;
}


/* The len bytes at s, each one that esc's format cannot hold replaced;
 * valid UTF-8 beyond ASCII goes out as it is, but for the C1 controls
 * U+0080..U+009F, which are written like the C0 ones. */
int text_escape(struct re_printf *pf, const struct text_esc *esc,
		const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	const uint8_t *run = p;
	const char *const *map;
	int err = 0;

	if (!pf || !esc || (!s && len))
		return EINVAL;
	map = esc->map;

	while (p < end && !err) {
		uint8_t c;
		const char *rep;
		const char *fmt = NULL;
		unsigned v;             /* what fmt prints */
		size_t n = 1;

		/* most bytes: printable ASCII the format keeps (a report
		 * line is written for each point of every call), passed
		 * over in a loop of their own */
		while (p < end && (uint8_t)(*p - 0x20) < 0x5f &&
		       (!map || !map[*p]))
			++p;
		if (p == end)
			break;
		c = *p;
		v = c;
		rep = c < 0x80 && map ? map[c] : NULL;
		if (c >= 0x80) {
			n = report_char_len(p, (size_t)(end - p));
			if (!n) {
				fmt = esc->bad;
				n = 1;
			}
			else if (c == 0xc2 && p[1] < 0xa0) {
				/* a C1 control (U+009B is a terminal's CSI),
				 * as its code point */
				fmt = esc->ctl;
				v = p[1];
			}
		}
		else if (!rep && (c < 0x20 || c == 0x7f)) {
			fmt = esc->ctl;
		}
		if (!rep && !fmt) {
			p += n;
			continue;
		}

		err = write_run(pf, (const char *)run, (const char *)p);
		if (rep)
			err |= re_hprintf(pf, "%s", rep);
		else
			err |= re_hprintf(pf, fmt, v);
		p += n;
		run = p;
	}
	if (err)
		return err;

	return write_run(pf, (const char *)run, (const char *)end);
}


static int vph_mbuf(const char *p, size_t size, void *arg)
{
	return mbuf_write_mem(arg, (const uint8_t *)p, size);
}


static int vph_file(const char *p, size_t size, void *arg)
{
	return fwrite(p, 1, size, arg) == size ? 0 : EIO;
}


int text_mbuf(struct mbuf *mb, const struct text_esc *esc, const char *s,
	      size_t len)
{
	struct re_printf pf = {vph_mbuf, mb};

	return mb ? text_escape(&pf, esc, s, len) : EINVAL;
}


int text_file(FILE *f, const struct text_esc *esc, const char *s,
	      size_t len)
{
	struct re_printf pf = {vph_file, f};

	return f ? text_escape(&pf, esc, s, len) : EINVAL;
}


struct sbuf {
	char *p;
	size_t left;
};


/* Fills the buffer and drops the rest: an error text is cut, not lost */
static int vph_buf(const char *p, size_t size, void *arg)
{
	struct sbuf *b = arg;
	const size_t n = size < b->left ? size : b->left;

	memcpy(b->p, p, n);
	b->p += n;
	b->left -= n;

	return 0;
}


/* The len bytes at s, escaped, as a C string in buf (cut to sz - 1):
 * a value quoted in an error message */
const char *text_snprint(char *buf, size_t sz, const struct text_esc *esc,
			 const char *s, size_t len)
{
	struct sbuf b = {buf, sz ? sz - 1 : 0};
	struct re_printf pf = {vph_buf, &b};

	if (!buf || !sz)
		return "";

	(void)text_escape(&pf, esc, s, len);
	*b.p = '\0';

	return buf;
}


/* One line of an error message: every control byte, TAB, CR and LF
 * too, as \xNN */
const struct text_esc text_esc_line = {NULL, "\\x%02x", "\\x%02x"};


static const char *const log_map[128] = {
	['\t'] = "\t", ['\n'] = "\n",
};

/* Wire logs, Markdown code blocks, comments: lines stay lines, the
 * rest that is not text becomes \xNN. */
const struct text_esc text_esc_log = {log_map, "\\x%02x", "\\x%02x"};


static const char *const md_map[128] = {
	['\t'] = " ", ['\r'] = " ", ['\n'] = " ", ['|'] = "\\|",
};

/* Markdown list items, headings and table cells: one line, and no
 * column bar that would split a cell. */
const struct text_esc text_esc_md = {md_map, "\\x%02x", "\\x%02x"};


int text_put(struct mbuf *mb, ...)
{
	const char *s;
	va_list ap;
	int err = 0;

	va_start(ap, mb);
	while ((s = va_arg(ap, const char *)))
		err |= mbuf_write_mem(mb, (const uint8_t *)s, strlen(s));
	va_end(ap);

	return err;
}


int text_put_pl(struct mbuf *mb, const struct pl *pl)
{
	if (!pl || !pl->l)
		return 0;

	return mbuf_write_mem(mb, (const uint8_t *)pl->p, pl->l);
}


char *text_u32(char *p, uint32_t v)
{
	uint32_t t;
	size_t n = 1, i;

	for (t = v; t >= 10; t /= 10)
		++n;
	for (i = n; i-- > 0; v /= 10)
		p[i] = (char)('0' + v % 10);

	return p + n;
}


int text_put_u32(struct mbuf *mb, uint32_t v)
{
	char buf[10];

	return mbuf_write_mem(mb, (const uint8_t *)buf,
			      (size_t)(text_u32(buf, v) - buf));
}


void text_hex(char *p, uint64_t v, unsigned digits)
{
	static const char hex[] = "0123456789abcdef";

	while (digits-- > 0) {
		p[digits] = hex[v & 0xf];
		v >>= 4;
	}
}


/* sa_ntop() but for IPv4 itself: glibc's inet_ntop prints an IPv4
 * address with sprintf, some 1,700 instructions, and siptap prints a
 * dozen in every call (its Via, Contact and received=). Other families
 * go to sa_ntop(). */
int text_addr(char *buf, size_t sz, const struct sa *sa)
{
	const uint8_t *b;
	char *p = buf;
	int i;

	if (!buf || !sa)
		return EINVAL;
	if (sa_af(sa) != AF_INET)
		return sa_ntop(sa, buf, (int)min(sz, (size_t)INT_MAX));
	if (sz < sizeof("255.255.255.255"))
		return ENOSPC;

	b = (const uint8_t *)&sa->u.in.sin_addr.s_addr;   /* network order */
	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = text_u32(p, b[i]);
	}
	*p = '\0';

	return 0;
}


const char *text_hostport(char buf[TEXT_HOSTPORT_SZ], const struct sa *sa)
{
	const bool v6 = sa_af(sa) == AF_INET6;
	char addr[64], *p = buf;
	size_t n;

	if (text_addr(addr, sizeof(addr), sa))
		return "?";
	n = strlen(addr);
	if (v6)
		*p++ = '[';
	memcpy(p, addr, n);
	p += n;
	if (v6)
		*p++ = ']';
	*p++ = ':';
	*text_u32(p, sa_port(sa)) = '\0';

	return buf;
}
