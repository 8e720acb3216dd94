/**
 * @file hdrdec.c  libre's header decoders, plain shapes without re_regex
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
#include <re.h>
#include "hdrdec.h"

enum {
	NAME_MAX_LEN = 64,  /* msg_param_decode prints into 128 bytes */
};


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
	(void)sa_set(&via->addr, &host, 0);
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

	if (0 == sa_set(&addr, &uri->host, 0))
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
