/**
 * @file hdrdec.c  libre's header decoders, plain shapes without re_regex,
 *                 and its message decoder (hdrdec_msg, at the end)
 *
 * How libre 1.1.0's re_regex() reads an expression (src/base/regex.c
 * has it at length): a search that tries each start in turn, literals
 * compared without case, each class taking as many bytes as it can and
 * giving none back; a literal met with no byte left ends the search.
 * Each reader below is that search written out for one expression of
 * libre's. Where it would have to follow libre into a corner (a search
 * that must move on, a failure whose half-written captures matter, an
 * IPv6 host not at the start, a parameter name that is not plain) it
 * answers HDRDEC_UNSURE and the decoder calls libre's own function.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <re.h>
#include "hdrdec.h"

enum {
	NAME_MAX_LEN = 64,  /* msg_param_decode prints into 128 bytes */
};


/* sa_set(sa, host, 0), a dotted-quad IPv4 address read here: libre
 * prints the host into a buffer and gives it to inet_pton, about a
 * thousand instructions, for the host of every URI and Via it decodes
 * (some 30 a call under siptap load). Only what inet_pton takes is read
 * here (four decimal octets up to 255, no leading zero); anything else
 * (IPv6, a name, 1.2.3, 01.2.3.4) is libre's, as before. */
static int host_set(struct sa *sa, const struct pl *host)
{
	uint32_t v = 0, octet = 0;
	unsigned dots = 0, nd = 0;
	size_t i;

	if (!host->p || host->l < 7 || host->l > 15)
		return sa_set(sa, host, 0);

	for (i = 0; i < host->l; i++) {
		const char c = host->p[i];

		/* a digit: not after an octet's leading 0, at most 3, <= 255 */
		if (c >= '0' && c <= '9' && !(nd && !octet) && nd < 3 &&
		    octet * 10 + (uint32_t)(c - '0') <= 255) {
			octet = octet * 10 + (uint32_t)(c - '0');
			++nd;
		}
		else if (c == '.' && nd && dots < 3) {
			v = v << 8 | octet;
			octet = 0;
			nd = 0;
			++dots;
		}
		else {
			return sa_set(sa, host, 0);
		}
	}
	if (dots != 3 || !nd)
		return sa_set(sa, host, 0);

	sa_set_in(sa, v << 8 | octet, 0);

	return 0;
}


/* One start of a search: matched, try the next start, or give up */
enum attempt { A_MATCH, A_AGAIN, A_END };


static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}


/* libre's decoder name, defined for the whole process: the fast
 * reader, or libre's own when it is not sure */
#define DECODER(name, type, fast)                                        \
	int name(type *out, const struct pl *pl)                         \
	{                                                                \
		static int (*libre)(type *, const struct pl *);          \
		int err = fast(out, pl);                                 \
									 \
		if (err != HDRDEC_UNSURE)                                \
			return err;                                      \
		if (!libre)                                              \
			libre = real(#name);                             \
		return libre(out, pl);                                   \
	}


/* The class [ \t\r\n] */
static bool lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


/* tolower() in the C locale, as re_regex compares literals */
static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}


static void skip_lws(const char **p, size_t *l)
{
	while (*l && lws(**p)) {
		++*p;
		--*l;
	}
}


/* A run of bytes none of a, b, c, d (a class [^abcd]) */
static size_t run_not(const char *p, size_t l, char a, char b, char c,
		      char d)
{
	size_t n = 0;

	while (n < l && p[n] != a && p[n] != b && p[n] != c && p[n] != d)
		++n;
	return n;
}


/* Take n bytes at *p as a capture */
static void take(const char **p, size_t *l, size_t n, struct pl *cap)
{
	cap->p = *p;
	cap->l = n;
	*p += n;
	*l -= n;
}


/* A literal byte: A_END when no byte is left */
static enum attempt lit(const char **p, size_t *l, char c)
{
	if (!*l)
		return A_END;
	if (lower(**p) != lower(c))
		return A_AGAIN;
	++*p;
	--*l;
	return A_MATCH;
}


/* A run of the class "[~ \t\r\n" stop "]": quoted strings and backslash escapes
 * go through, a capture that is one quoted string loses its quotes */
static struct pl quoted_run(const char **pp, size_t *lp, char stop)
{
	const char *p = *pp;
	size_t l = *lp;
	bool quote = false, esc = false;
	struct pl v = {p, 0};

	for (; l; p++, l--, v.l++) {
		if (esc) {
			esc = false;
			continue;
		}
		if (*p == '\\') {
			esc = true;
			continue;
		}
		if (*p == '"') {
			quote = !quote;
			continue;
		}
		if (quote)
			continue;
		if (lws(*p) || *p == stop)
			break;
	}
	*pp = p;
	*lp = l;
	if (v.l > 1 && v.p[0] == '"' && v.p[v.l - 1] == '"') {
		v.p += 1;
		v.l -= 2;
	}
	return v;
}


/* ";[ \t\r\n]*NAME[ \t\r\n]*=[ \t\r\n]*[~ \t\r\n;]+" at one start */
static enum attempt param_at(const char *p, size_t l, const char *name,
			     struct pl *val)
{
	enum attempt a;
	struct pl v;

	if ((a = lit(&p, &l, ';')) != A_MATCH)
		return a;
	skip_lws(&p, &l);
	for (; *name; name++) {
		if ((a = lit(&p, &l, *name)) != A_MATCH)
			return a;
	}
	skip_lws(&p, &l);
	if ((a = lit(&p, &l, '=')) != A_MATCH)
		return a;
	skip_lws(&p, &l);

	v = quoted_run(&p, &l, ';');
	if (!v.l)
		return A_AGAIN;

	*val = v;
	return A_MATCH;
}


/* A name msg_param_decode's expression takes as literal bytes */
static bool plain_name(const char *name)
{
	size_t n;

	for (n = 0; name[n]; n++) {
		if (n >= NAME_MAX_LEN || name[n] == '[' || name[n] == '\\' ||
		    (unsigned char)name[n] < 0x21 ||
		    (unsigned char)name[n] > 0x7e)
			return false;
	}
	return n > 0;
}


int hdrdec_param(const struct pl *pl, const char *name, struct pl *val)
{
	const char *p, *end;

	if (!pl || !pl->p || !name || !val || !plain_name(name))
		return HDRDEC_UNSURE;

	/* an attempt not at a ';' fails at once, with a byte left */
	p = pl->p;
	end = pl->p + pl->l;
	while (p < end && (p = memchr(p, ';', (size_t)(end - p)))) {
		switch (param_at(p, (size_t)(end - p), name, val)) {
		case A_MATCH:
			return 0;
		case A_END:
			return ENOENT;
		case A_AGAIN:
			break;
		}
		++p;
	}
	return ENOENT;
}


int msg_param_decode(const struct pl *pl, const char *name, struct pl *val)
{
	static hdrdec_param_f *libre;
	int err = hdrdec_param(pl, name, val);

	if (err != HDRDEC_UNSURE)
		return err;
	if (!libre)
		libre = real("msg_param_decode");
	return libre(pl, name, val);
}


/* A class's run: how many of the bytes at p are (or are not) in it */
static size_t run_lws(const char *p, size_t l, bool in)
{
	size_t n = 0;

	while (n < l && lws(p[n]) == in)
		++n;
	return n;
}


/* "[0-9]+[ \t\r\n]+[^ \t\r\n]+" at one start */
static bool cseq_at(const char *p, size_t l, struct pl *num,
		    struct pl *met)
{
	size_t n = 0, w;

	while (n < l && p[n] >= '0' && p[n] <= '9')
		++n;
	if (!n)
		return false;
	num->p = p;
	num->l = n;
	p += n;
	l -= n;
	if (!(w = run_lws(p, l, true)))
		return false;
	p += w;
	l -= w;
	if (!(n = run_lws(p, l, false)))
		return false;
	met->p = p;
	met->l = n;
	return true;
}


int hdrdec_cseq(struct sip_cseq *cseq, const struct pl *pl)
{
	struct pl num, met;
	size_t s;

	if (!cseq || !pl || !pl->p)
		return HDRDEC_UNSURE;

	for (s = 0; s < pl->l; s++) {
		if (cseq_at(pl->p + s, pl->l - s, &num, &met)) {
			cseq->met = met;
			cseq->num = pl_u32(&num);
			return 0;
		}
	}
	return HDRDEC_UNSURE;
}


DECODER(sip_cseq_decode, struct sip_cseq, hdrdec_cseq)


/* via.c's expression at the first byte only: "SIP", "/", "2.0", "/"
 * each followed by [ \t\r\n]*, then the transport [A-Z]+, blanks, the
 * sent-by [^; \t\r\n]+, blanks and the parameters [^]* */
static bool via_at0(const char *p, size_t l, struct pl *transp,
		    struct pl *sentby, struct pl *params)
{
	static const char *const lits[] = {"SIP", "/", "2.0", "/"};
	size_t i, n;
	const char *c;

	for (i = 0; i < ARRAY_SIZE(lits); i++) {
		for (c = lits[i]; *c; c++) {
			if (lit(&p, &l, *c) != A_MATCH)
				return false;
		}
		skip_lws(&p, &l);
	}
	for (n = 0; n < l && ((p[n] >= 'a' && p[n] <= 'z') ||
			      (p[n] >= 'A' && p[n] <= 'Z')); n++)
		;
	if (!n)
		return false;
	take(&p, &l, n, transp);
	skip_lws(&p, &l);
	for (n = 0; n < l && !lws(p[n]) && p[n] != ';'; n++)
		;
	if (!n)
		return false;
	take(&p, &l, n, sentby);
	skip_lws(&p, &l);
	take(&p, &l, l, params);
	return true;
}


/* decode_hostport() of via.c: an IPv6 reference at the start, or a
 * host with no '[' at all (the IPv6 search cannot match then) */
static bool hostport(const struct pl *hp, struct pl *host, struct pl *port)
{
	const char *p = hp->p;
	size_t l = hp->l, n;

	if (l && p[0] == '[') {
		for (n = 1; n < l && ((p[n] >= '0' && p[n] <= '9') ||
				      (lower(p[n]) >= 'a' &&
				       lower(p[n]) <= 'f') ||
				      p[n] == ':'); n++)
			;
		if (n == 1 || n >= l || p[n] != ']')
			return false;
		host->p = p + 1;
		host->l = n - 1;
		++n;
	}
	else {
		if (memchr(p, '[', l))
			return false;
		for (n = 0; n < l && p[n] != ':'; n++)
			;
		if (!n)
			return false;
		host->p = p;
		host->l = n;
	}
	while (n < l && p[n] == ':')
		++n;
	port->p = p + n;
	for (port->l = 0; n < l && p[n] >= '0' && p[n] <= '9'; n++)
		++port->l;
	return true;
}


int hdrdec_via(struct sip_via *via, const struct pl *pl)
{
	struct pl transp, host, port;

	if (!via || !pl || !pl->p)
		return HDRDEC_UNSURE;
	if (!via_at0(pl->p, pl->l, &transp, &via->sentby, &via->params))
		return HDRDEC_UNSURE;
	if (!hostport(&via->sentby, &host, &port))
		return HDRDEC_UNSURE;

	if (!pl_strcmp(&transp, "TCP"))
		via->tp = SIP_TRANSP_TCP;
	else if (!pl_strcmp(&transp, "TLS"))
		via->tp = SIP_TRANSP_TLS;
	else if (!pl_strcmp(&transp, "UDP"))
		via->tp = SIP_TRANSP_UDP;
	else
		via->tp = SIP_TRANSP_NONE;

	sa_init(&via->addr, AF_INET);
	(void)host_set(&via->addr, &host);
	if (pl_isset(&port))
		sa_set_port(&via->addr, pl_u32(&port));

	via->val = *pl;

	return msg_param_decode(&via->params, "branch", &via->branch);
}


DECODER(sip_via_decode, struct sip_via, hdrdec_via)


/* uri.c's two expressions at the first byte: with the user part,
 * "[^:]+:[^@:]*[:]*[^@]*@[^/;? ]+[^;? ]*[^?]*[^]*", and without it,
 * "[^:]+:[^/;? ]+[^;? ]*[^?]*[^]*"; A_AGAIN: the search would move on
 * (not followed here) */
static enum attempt uri_at(const char *p, size_t l, bool userinfo,
			   struct uri *uri, struct pl *hostport)
{
	struct pl colons;
	size_t n;
	enum attempt a;

	if (!(n = run_not(p, l, ':', ':', ':', ':')))
		return A_AGAIN;
	take(&p, &l, n, &uri->scheme);
	if ((a = lit(&p, &l, ':')) != A_MATCH)
		return a;
	if (userinfo) {
		take(&p, &l, run_not(p, l, '@', ':', '@', '@'), &uri->user);
		for (n = 0; n < l && p[n] == ':'; n++)
			;
		take(&p, &l, n, &colons);
		take(&p, &l, run_not(p, l, '@', '@', '@', '@'),
		     &uri->password);
		if ((a = lit(&p, &l, '@')) != A_MATCH)
			return a;
	}
	if (!(n = run_not(p, l, '/', ';', '?', ' ')))
		return A_AGAIN;
	take(&p, &l, n, hostport);
	take(&p, &l, run_not(p, l, ';', '?', ' ', ' '), &uri->path);
	take(&p, &l, run_not(p, l, '?', '?', '?', '?'), &uri->params);
	take(&p, &l, l, &uri->headers);
	return A_MATCH;
}


int hdrdec_uri(struct uri *uri, const struct pl *pl)
{
	struct pl hp, port = PL_INIT;
	struct sa addr;
	enum attempt a;

	if (!uri || !pl || !pl->p || !pl->l)
		return HDRDEC_UNSURE;

	memset(uri, 0, sizeof(*uri));
	a = uri_at(pl->p, pl->l, true, uri, &hp);
	if (a == A_AGAIN)
		return HDRDEC_UNSURE;
	if (a == A_END) {
		memset(uri, 0, sizeof(*uri));
		if (uri_at(pl->p, pl->l, false, uri, &hp) != A_MATCH)
			return HDRDEC_UNSURE;
	}
	if (!hostport(&hp, &uri->host, &port))
		return HDRDEC_UNSURE;

	if (0 == host_set(&addr, &uri->host))
		uri->af = sa_af(&addr);
	else
		uri->af = AF_UNSPEC;
	if (pl_isset(&port))
		uri->port = (uint16_t)pl_u32(&port);

	return 0;
}


DECODER(uri_decode, struct uri, hdrdec_uri)


/* addr.c's "[~ \t\r\n<]*[ \t\r\n]*<[^>]+>[^]*" at one start */
static enum attempt addr_at(const char *p, size_t l, struct sip_addr *addr)
{
	enum attempt a;
	size_t n;

	addr->dname = quoted_run(&p, &l, '<');
	skip_lws(&p, &l);
	if ((a = lit(&p, &l, '<')) != A_MATCH)
		return a;
	if (!(n = run_not(p, l, '>', '>', '>', '>')))
		return A_AGAIN;
	take(&p, &l, n, &addr->auri);
	if ((a = lit(&p, &l, '>')) != A_MATCH)
		return a;
	take(&p, &l, l, &addr->params);
	return A_MATCH;
}


/* addr.c's second expression, "[^;]+[^]*": from the first byte that
 * is not ';' (false: there is none) */
static bool addr_plain(const char *p, size_t l, struct sip_addr *addr)
{
	size_t s;

	for (s = 0; s < l && p[s] == ';'; s++)
		;
	if (s == l)
		return false;
	p += s;
	l -= s;
	take(&p, &l, run_not(p, l, ';', ';', ';', ';'), &addr->auri);
	take(&p, &l, l, &addr->params);
	return true;
}


int hdrdec_addr(struct sip_addr *addr, const struct pl *pl)
{
	enum attempt a = A_AGAIN;
	size_t s;
	int err;

	if (!addr || !pl || !pl->p || !pl->l)
		return HDRDEC_UNSURE;

	memset(addr, 0, sizeof(*addr));
	for (s = 0; s < pl->l && a == A_AGAIN; s++)
		a = addr_at(pl->p + s, pl->l - s, addr);
	if (a == A_MATCH) {
		if (!addr->dname.l)
			addr->dname.p = NULL;
		if (!addr->params.l)
			addr->params.p = NULL;
	}
	else {
		memset(addr, 0, sizeof(*addr));
		if (!addr_plain(pl->p, pl->l, addr))
			return HDRDEC_UNSURE;
	}

	err = uri_decode(&addr->uri, &addr->auri);
	if (err)
		memset(addr, 0, sizeof(*addr));
	return err;
}


DECODER(sip_addr_decode, struct sip_addr, hdrdec_addr)


/*
 * The whole message: libre 1.1.0's sip_msg_decode(), its start line
 * (a re_regex() expression, read here by hand: start_read) and its
 * header loop, a state machine over every byte of the head. Here the
 * same machine, with one difference: after a byte that leaves it
 * inside a header's name or value, the bytes up to the next one the
 * machine reacts to (blanks, line ends, ':' in a name, '"' in a value
 * and ',' in a value libre splits at commas) are passed over at once. They would each have done
 * nothing but what the byte before them did, so the message is the
 * same: every header line, every comma element, the same slices, the
 * same ids and the same decoders called in the same order. The headers
 * are slots in blocks the message owns, not an allocation each (nobody
 * holds a header past its message), and its hash table has fewer
 * buckets (a look-up filters its bucket by id, in the same order).
 */
enum {
	STARTLINE_MAX = 8192,   /* libre's: longer and no start line: bad */
	MSG_BUCKETS   = 8,
	SLOTS_FIRST   = 10,     /* a call's messages have 8 on average */
	SLOTS_MORE    = 16,
	NAMES_SEEN    = 64,
	NAME_SEEN_MAX = 24,
};

/* What ends a run the machine passes over (see cls) */
enum {
	K_NAME  = 1,            /* in a header's name */
	K_VALUE = 2,            /* in a value libre keeps whole */
	K_LIST  = 4,            /* in a value libre splits at commas */
};

struct slots {
	struct slots *next;
	unsigned n, size;
	struct sip_hdr *hdrv;
};

struct fastmsg {
	struct sip_msg msg;     /* first: the message is the allocation */
	struct slots *more;
	struct slots first;
	struct sip_hdr firstv[SLOTS_FIRST];
};

/* The start line's parts (libre's x, y, z) and what follows it */
struct start {
	struct pl x, y, z;
	const char *p;
	size_t l;
};


static uint8_t cls[256];


static void cls_init(void)
{
	static const char blank[] = " \t\r\n";
	const char *s;

	for (s = blank; *s; s++)
		cls[(uint8_t)*s] = K_NAME | K_VALUE | K_LIST;
	cls[':'] |= K_NAME;
	cls['"'] |= K_VALUE | K_LIST;
	cls[','] |= K_LIST;
}


/* The first byte from p on (before end) of class stop, or end: sixteen
 * at a time where the CPU can and sixteen are left, then one by one */
static const char *run_end(const char *p, const char *end, uint8_t stop)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), ht = _mm_set1_epi8('\t');
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const char ca = stop == K_NAME ? ':' : '"';
	const __m128i a = _mm_set1_epi8(ca);
	const __m128i b = _mm_set1_epi8(stop == K_LIST ? ',' : ca);

	while (end - p >= 16) {
		const __m128i v = _mm_loadu_si128((const void *)p);
		__m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, sp),
					 _mm_cmpeq_epi8(v, ht));
		int bits;

		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, cr),
						 _mm_cmpeq_epi8(v, lf)));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, a),
						 _mm_cmpeq_epi8(v, b)));
		bits = _mm_movemask_epi8(m);
		if (bits)
			return p + __builtin_ctz((unsigned)bits);
		p += 16;
	}
#endif
	while (p < end && !(cls[(uint8_t)*p] & stop))
		++p;

	return p;
}


static void fastmsg_destructor(void *arg)
{
	struct fastmsg *fm = arg;
	struct sip_msg *msg = &fm->msg;

	/* the headers are the message's own, in its slots */
	mem_deref(msg->hdrht);
	mem_deref(msg->sock);
	mem_deref(msg->mb);
	while (fm->more) {
		struct slots *s = fm->more;

		fm->more = s->next;
		mem_deref(s);
	}
}


static struct sip_hdr *slot(struct fastmsg *fm)
{
	struct slots *s = fm->more ? fm->more : &fm->first;

	if (s->n == s->size) {
		s = mem_zalloc(sizeof(*s) + SLOTS_MORE * sizeof(*s->hdrv),
			       NULL);
		if (!s)
			return NULL;
		s->hdrv  = (struct sip_hdr *)(s + 1);
		s->size  = SLOTS_MORE;
		s->next  = fm->more;
		fm->more = s;
	}

	return &s->hdrv[s->n++];
}


/* The hash libre makes a header's id of, remembered for the names seen
 * last (the same bytes, the same hash: a call's messages repeat a dozen
 * names), one slot for each length and first and last byte mixed */
static enum sip_hdrid hdr_hashed(const struct pl *name)
{
	static struct {
		char name[NAME_SEEN_MAX];
		size_t len;
		enum sip_hdrid id;
	} seen[NAMES_SEEN];
	unsigned k;

	if (name->l > NAME_SEEN_MAX)
		return (enum sip_hdrid)(hash_joaat_ci(name->p, name->l) &
					0xfff);

	k = (unsigned)(name->l * 7 + (uint8_t)name->p[0] +
		       (uint8_t)name->p[name->l - 1]) % NAMES_SEEN;
	if (seen[k].len != name->l || memcmp(seen[k].name, name->p, name->l)) {
		memcpy(seen[k].name, name->p, name->l);
		seen[k].len = name->l;
		seen[k].id  = (enum sip_hdrid)(hash_joaat_ci(name->p, name->l) &
					       0xfff);
	}

	return seen[k].id;
}


/* libre's ids: a compact form's letter, an X- header none, else the
 * name's hash */
static enum sip_hdrid hdr_id(const struct pl *name)
{
	static const enum sip_hdrid compact[26] = {
		['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT,
		['b' - 'a'] = SIP_HDR_REFERRED_BY,
		['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
		['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION,
		['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
		['f' - 'a'] = SIP_HDR_FROM,
		['i' - 'a'] = SIP_HDR_CALL_ID,
		['j' - 'a'] = SIP_HDR_REJECT_CONTACT,
		['k' - 'a'] = SIP_HDR_SUPPORTED,
		['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
		['m' - 'a'] = SIP_HDR_CONTACT,
		['n' - 'a'] = SIP_HDR_IDENTITY_INFO,
		['o' - 'a'] = SIP_HDR_EVENT,
		['r' - 'a'] = SIP_HDR_REFER_TO,
		['s' - 'a'] = SIP_HDR_SUBJECT,
		['t' - 'a'] = SIP_HDR_TO,
		['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
		['v' - 'a'] = SIP_HDR_VIA,
		['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
		['y' - 'a'] = SIP_HDR_IDENTITY,
	};
	char c;

	if (!name->l)
		return SIP_HDR_NONE;
	if (name->l > 1) {
		if ((name->p[0] == 'x' || name->p[0] == 'X') &&
		    name->p[1] == '-')
			return SIP_HDR_NONE;
		return hdr_hashed(name);
	}
	c = lower(name->p[0]);
	if (c < 'a' || c > 'z' || !compact[c - 'a'])
		return SIP_HDR_NONE;

	return compact[c - 'a'];
}


/* The headers whose values libre splits at commas */
static bool hdr_listed(enum sip_hdrid id)
{
	switch (id) {

	case SIP_HDR_ACCEPT:                  case SIP_HDR_ACCEPT_CONTACT:
	case SIP_HDR_ACCEPT_ENCODING:         case SIP_HDR_ACCEPT_LANGUAGE:
	case SIP_HDR_ACCEPT_RESOURCE_PRIORITY: case SIP_HDR_ALERT_INFO:
	case SIP_HDR_ALLOW:                   case SIP_HDR_ALLOW_EVENTS:
	case SIP_HDR_AUTHENTICATION_INFO:     case SIP_HDR_CALL_INFO:
	case SIP_HDR_CONTACT:                 case SIP_HDR_CONTENT_ENCODING:
	case SIP_HDR_CONTENT_LANGUAGE:        case SIP_HDR_ERROR_INFO:
	case SIP_HDR_HISTORY_INFO:            case SIP_HDR_IN_REPLY_TO:
	case SIP_HDR_P_ASSERTED_IDENTITY:     case SIP_HDR_P_ASSOCIATED_URI:
	case SIP_HDR_P_EARLY_MEDIA:           case SIP_HDR_P_MEDIA_AUTHORIZATION:
	case SIP_HDR_P_PREFERRED_IDENTITY:    case SIP_HDR_P_REFUSED_URI_LIST:
	case SIP_HDR_P_VISITED_NETWORK_ID:    case SIP_HDR_PATH:
	case SIP_HDR_PERMISSION_MISSING:      case SIP_HDR_PROXY_REQUIRE:
	case SIP_HDR_REASON:                  case SIP_HDR_RECORD_ROUTE:
	case SIP_HDR_REJECT_CONTACT:          case SIP_HDR_REQUEST_DISPOSITION:
	case SIP_HDR_REQUIRE:                 case SIP_HDR_RESOURCE_PRIORITY:
	case SIP_HDR_ROUTE:                   case SIP_HDR_SECURITY_CLIENT:
	case SIP_HDR_SECURITY_SERVER:         case SIP_HDR_SECURITY_VERIFY:
	case SIP_HDR_SERVICE_ROUTE:           case SIP_HDR_SUPPORTED:
	case SIP_HDR_TRIGGER_CONSENT:         case SIP_HDR_UNSUPPORTED:
	case SIP_HDR_VIA:                     case SIP_HDR_WARNING:
		return true;

	default:
		return false;
	}
}


/* One header, as libre adds it: atomic, one value (a comma element, or
 * a line libre does not split); line, on the message's list of lines.
 * A Via or Route that is not atomic (a line split into elements) is on
 * neither, the elements are. The headers libre reads at once are read
 * here, with the same decoders (siptap's, above). */
static int hdr_put(struct fastmsg *fm, const struct pl *name,
		   enum sip_hdrid id, const char *p, ssize_t l, bool atomic,
		   bool line)
{
	struct sip_msg *msg = &fm->msg;
	const bool via_route = id == SIP_HDR_VIA || id == SIP_HDR_ROUTE;
	struct sip_hdr *hdr;
	int err = 0;

	if (via_route && !atomic)
		return 0;

	hdr = slot(fm);
	if (!hdr)
		return ENOMEM;

	hdr->name  = *name;
	hdr->val.p = p;
	hdr->val.l = l > 0 ? (size_t)l : 0;
	hdr->id    = id;
	if (atomic)
		hash_append(msg->hdrht, id, &hdr->he, hdr);
	if (line || via_route)
		list_append(&msg->hdrl, &hdr->le, hdr);

	switch (id) {

	case SIP_HDR_VIA:
		if (!pl_isset(&msg->via.sentby))
			err = sip_via_decode(&msg->via, &hdr->val);
		break;

	case SIP_HDR_TO:
		err = sip_addr_decode((struct sip_addr *)&msg->to, &hdr->val);
		if (err)
			break;
		(void)msg_param_decode(&msg->to.params, "tag", &msg->to.tag);
		msg->to.val = hdr->val;
		break;

	case SIP_HDR_FROM:
		err = sip_addr_decode((struct sip_addr *)&msg->from,
				      &hdr->val);
		if (err)
			break;
		(void)msg_param_decode(&msg->from.params, "tag",
				       &msg->from.tag);
		msg->from.val = hdr->val;
		break;

	case SIP_HDR_CALL_ID:        msg->callid  = hdr->val; break;
	case SIP_HDR_CSEQ:
		err = sip_cseq_decode(&msg->cseq, &hdr->val);
		break;
	case SIP_HDR_MAX_FORWARDS:   msg->maxfwd  = hdr->val; break;
	case SIP_HDR_CONTENT_TYPE:
		err = msg_ctype_decode(&msg->ctyp, &hdr->val);
		break;
	case SIP_HDR_CONTENT_LENGTH: msg->clen    = hdr->val; break;
	case SIP_HDR_EXPIRES:        msg->expires = hdr->val; break;
	default:
		break;
	}

	return err;
}


/* A run of bytes of class [^ \t\r\n] at p[*i], as a capture */
static size_t word(const char *p, size_t l, size_t *i, struct pl *cap)
{
	const size_t from = *i;

	while (*i < l && !lws(p[*i]))
		++*i;
	cap->p = p + from;
	cap->l = *i - from;

	return cap->l;
}


/* The start line, as libre reads it: its expression "[^ \t\r\n]+
 * [^ \t\r\n]+ [^\r\n]*[\r]*[\n]1" matched at the first byte (libre
 * takes a match that starts later for no start line either) */
static int start_read(struct start *st, const char *p, size_t l)
{
	size_t i = 0;

	if (!word(p, l, &i, &st->x) || i >= l || p[i++] != ' ' ||
	    !word(p, l, &i, &st->y) || i >= l || p[i++] != ' ')
		return l > STARTLINE_MAX ? EBADMSG : ENODATA;
	st->z.p = p + i;
	while (i < l && p[i] != '\r' && p[i] != '\n')
		++i;
	st->z.l = (size_t)(p + i - st->z.p);
	while (i < l && p[i] == '\r')
		++i;
	if (i >= l || p[i] != '\n')
		return l > STARTLINE_MAX ? EBADMSG : ENODATA;
	st->l = l - (i + 1);
	st->p = p + i + 1;

	return 0;
}


static int start_take(struct sip_msg *msg, const struct start *st)
{
	msg->req = (0 == pl_strcmp(&st->z, "SIP/2.0"));
	if (msg->req) {
		msg->met  = st->x;
		msg->ruri = st->y;
		msg->ver  = st->z;
		if (uri_decode(&msg->uri, &st->y))
			return EBADMSG;
	}
	else {
		msg->ver    = st->x;
		msg->scode  = pl_u32(&st->y);
		msg->reason = st->z;
		if (!msg->scode)
			return EBADMSG;
	}

	return 0;
}


/* The header loop: libre's machine (see above). 0 with the head read,
 * *lp what is left past it; ENODATA: the head does not end. */
static int head_read(struct fastmsg *fm, const char *p, size_t *lp)
{
	size_t l = *lp;
	const char *const end = p + l, *q;
	struct pl name = PL_INIT;
	const char *v = NULL, *cv = NULL;  /* the line's, the element's */
	enum sip_hdrid id = SIP_HDR_NONE;
	bool listed = false, quote = false;
	uint32_t ws = 0, lf = 0;
	uint8_t stop;
	int err;

	for (; l > 0; p++, l--) {

		switch (*p) {

		case ' ':
		case '\t':
			lf = 0;  /* a folded line goes on */
			++ws;
			continue;

		case '\r':
			++ws;
			continue;

		case '\n':
			++ws;
			if (!lf++)
				continue;
			++p;     /* an empty line: the end of the head */
			--l;
			break;

		default:
			break;
		}

		if (lf || (*p == ',' && listed && !quote)) {
			if (!name.l)
				return EBADMSG;

			err = hdr_put(fm, &name, id, cv ? cv : p,
				      cv ? p - cv - ws : 0, true,
				      cv == v && lf);
			if (err)
				return err;
			if (!lf) {       /* a comma element */
				cv = NULL;
				continue;
			}
			if (cv != v) {   /* the line of the elements */
				err = hdr_put(fm, &name, id, v ? v : p,
					      v ? p - v - ws : 0, false, true);
				if (err)
					return err;
			}
			if (lf > 1) {
				*lp = l;
				return 0;
			}
			listed = false;
			name.p = NULL;
			cv = v = NULL;
			lf = 0;
		}

		if (!name.p) {
			name.p = p;
			name.l = 0;
			ws = 0;
		}

		if (!name.l) {
			if (*p != ':') {
				ws = 0;
				stop = K_NAME;
				goto pass;
			}
			name.l = p - name.p >= ws ? p - name.p - ws : 0;
			if (!name.l)
				return EBADMSG;
			id = hdr_id(&name);
			listed = hdr_listed(id);
			continue;
		}

		if (!cv) {
			quote = false;
			cv = p;
		}
		if (!v)
			v = p;
		if (*p == '"')
			quote = !quote;
		ws = 0;
		stop = listed ? K_LIST : K_VALUE;

	pass:
		/* the bytes up to the next one that matters */
		q = run_end(p + 1, end, stop);
		l -= (size_t)(q - 1 - p);
		p  = q - 1;
	}

	return ENODATA;
}


int hdrdec_msg(struct sip_msg **msgp, struct mbuf *mb)
{
	struct fastmsg *fm;
	struct start st;
	size_t l;
	int err;

	if (!msgp || !mb)
		return EINVAL;
	if (!cls[' '])
		cls_init();

	err = start_read(&st, (const char *)mbuf_buf(mb), mbuf_get_left(mb));
	if (err)
		return err;

	fm = mem_zalloc(sizeof(*fm), fastmsg_destructor);
	if (!fm)
		return ENOMEM;
	fm->first.hdrv = fm->firstv;
	fm->first.size = SLOTS_FIRST;

	err = hash_alloc(&fm->msg.hdrht, MSG_BUCKETS);
	if (err)
		goto out;

	fm->msg.tag = rand_u64();
	fm->msg.mb  = mem_ref(mb);
	err = start_take(&fm->msg, &st);
	if (err)
		goto out;

	l = st.l;
	err = head_read(fm, st.p, &l);

 out:
	if (err) {
		mem_deref(fm);
		return err;
	}
	*msgp   = &fm->msg;
	mb->pos = mb->end - l;

	return 0;
}
