/**
 * @file webrtc.c  Session descriptions in the WebRTC profile
 *
 * Written as text, not through libre's sdp_session: an offer needs
 * session-level a=group and per-section attributes (mid, candidates,
 * ssrc) in the order a browser writes them, and an answer mirrors
 * the offer's mids, which libre's encoder does not carry.
 */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <re.h>
#include "webrtc.h"


enum {
	DEFAULT_PORT = 49170,
	MAX_MEDIA    = 16,
	MAX_FMTS     = 32,
	UFRAG_LEN    = 8,      /* RFC 8839 5.4: 4..256 ice-chars  */
	PWD_LEN      = 24,     /* RFC 8839 5.4: 22..256 ice-chars */
	FP_LEN       = 32,     /* sha-256 */
};

enum { DIR_SEND = 1, DIR_RECV = 2 };

static const char *dir_names[] = {
	"inactive", "sendonly", "recvonly", "sendrecv"   /* by bits */
};

static const char *default_codecs[] = {
	"opus", "PCMU", "PCMA", "G722", "telephone-event"
};


/* --- what both sides make: credentials, fingerprint, addresses -------- */

/* One side's transport: ICE credentials and the DTLS fingerprint. */
struct transport {
	char ufrag[UFRAG_LEN + 1];
	char pwd[PWD_LEN + 1];
	char fp[FP_LEN * 3];       /* "AB:CD:..." */
	char addrtype[4];          /* IP4, IP6 */
	struct sa addr;
};


/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 5.4), fresh per call */
static void ice_str(char *s, size_t len)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = set[rand_u32() % (sizeof(set) - 1)];
	s[len] = '\0';
}


/* The sha-256 fingerprint (RFC 8122 5) of a self-signed certificate
 * made for this description, as a browser makes one per connection.
 * OpenSSL's own: libre 1.1.0's tls_set_selfsigned fails on OpenSSL 3. */
static int cert_digest(uint8_t *md)
{
	EVP_PKEY *key = EVP_EC_gen("prime256v1");
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned int len = 0;
	int err = ENOMEM;

	if (!key || !x)
		goto out;
	name = X509_get_subject_name(x);
	if (!ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(rand_u32() >> 1))
	    || !X509_gmtime_adj(X509_getm_notBefore(x), 0)
	    || !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600)
	    || !X509_set_pubkey(x, key)
	    || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					   (const unsigned char *)"siptap",
					   -1, -1, 0)
	    || !X509_set_issuer_name(x, name)
	    || !X509_sign(x, key, EVP_sha256())
	    || !X509_digest(x, EVP_sha256(), md, &len) || len != FP_LEN)
		goto out;
	err = 0;

 out:
	X509_free(x);
	EVP_PKEY_free(key);

	return err;
}


static int fingerprint(char *fp, size_t sz)
{
	uint8_t md[FP_LEN];
	size_t i;
	int err;

	err = cert_digest(md);
	if (err)
		return err;

	for (i = 0; i < FP_LEN; i++)
		(void)re_snprintf(fp + i * 3, sz - i * 3, "%02X%s", md[i],
				  i + 1 < FP_LEN ? ":" : "");

	return 0;
}


static int transport_make(struct transport *tp, const struct sa *laddr)
{
	ice_str(tp->ufrag, UFRAG_LEN);
	ice_str(tp->pwd, PWD_LEN);
	tp->addr = *laddr;
	str_ncpy(tp->addrtype, sa_af(laddr) == AF_INET6 ? "IP6" : "IP4",
		 sizeof(tp->addrtype));

	return fingerprint(tp->fp, sizeof(tp->fp));
}


static int print_head(struct mbuf *mb, const struct transport *tp)
{
	return mbuf_printf(mb, "v=0\r\n"
			   "o=- %llu 2 IN %s %j\r\n"
			   "s=-\r\n"
			   "t=0 0\r\n",
			   (unsigned long long)(rand_u64() >> 2), tp->addrtype,
			   &tp->addr);
}


/* A section's address (and for RTP its RTCP one, muxed), its one host
 * candidate (on the loopback address siptap listens on: never another)
 * and the ICE and DTLS lines. */
static int print_transport(struct mbuf *mb, const struct transport *tp,
			   uint16_t port, bool rtp, const char *setup,
			   bool no_fp)
{
	int err;

	err = mbuf_printf(mb, "c=IN %s %j\r\n", tp->addrtype, &tp->addr);
	if (rtp)
		err |= mbuf_printf(mb, "a=rtcp:%u IN %s %j\r\n", port,
				   tp->addrtype, &tp->addr);
	err |= mbuf_printf(mb, "a=candidate:1 1 udp 2122260223 %j %u typ "
			   "host generation 0\r\n"
			   "a=ice-ufrag:%s\r\n"
			   "a=ice-pwd:%s\r\n"
			   "a=ice-options:trickle\r\n",
			   &tp->addr, port, tp->ufrag, tp->pwd);
	if (!no_fp)
		err |= mbuf_printf(mb, "a=fingerprint:sha-256 %s\r\n", tp->fp);
	err |= mbuf_printf(mb, "a=setup:%s\r\n", setup);

	return err;
}


static int dir_bits(const char *dir)
{
	size_t i;

	for (i = 0; dir && i < ARRAY_SIZE(dir_names); i++) {
		if (!strcmp(dir_names[i], dir))
			return (int)i;
	}

	return DIR_SEND | DIR_RECV;
}


static int finish(char **sdpp, struct mbuf *mb, int err)
{
	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, sdpp, mbuf_get_left(mb));
	}
	mem_deref(mb);

	return err;
}


/* --- the offer --------------------------------------------------------- */

struct ids {
	char stream[37];
	char cname[17];
};


/* The audio formats an offer can hold, in a browser's numbers */
static const struct {
	const char *name, *pt, *rtpmap, *fmtp;
} audio_fmts[] = {
	{"opus", "111", "opus/48000/2", "minptime=10;useinbandfec=1"},
	{"PCMU", "0", "PCMU/8000", NULL},
	{"PCMA", "8", "PCMA/8000", NULL},
	{"G722", "9", "G722/8000", NULL},
	{"telephone-event", "126", "telephone-event/48000", NULL},
	{"telephone-event", "110", "telephone-event/8000", NULL},
};

/* Chromium's (less what it offers beyond siptap's codecs) */
static const size_t browser_fmts[] = {0, 1, 2, 4, 5};


/* The audio formats of an offer, as indexes into audio_fmts: a
 * browser's, or one a codec named by the codecs option, in its order
 * (telephone-event then at 48000 Hz only). */
static size_t offer_fmts(const struct webrtc_opts *opts, size_t *fv)
{
	size_t n = 0, i, j;

	if (!opts || !opts->codecc) {
		memcpy(fv, browser_fmts, sizeof(browser_fmts));
		return ARRAY_SIZE(browser_fmts);
	}
	for (i = 0; i < opts->codecc; i++) {
		for (j = 0; j < ARRAY_SIZE(audio_fmts); j++) {
			if (!str_casecmp(audio_fmts[j].name, opts->codecv[i])) {
				fv[n++] = j;
				break;
			}
		}
	}

	return n;
}


static int print_audio(struct mbuf *mb, const struct transport *tp,
		       const struct ids *ids, uint16_t port, const char *dir,
		       const struct webrtc_opts *opts)
{
	const uint32_t ssrc = rand_u32();
	size_t fv[ARRAY_SIZE(audio_fmts)], n, i;
	int err;

	n = offer_fmts(opts, fv);
	if (!n)
		return EINVAL;

	err = mbuf_printf(mb, "m=audio %u UDP/TLS/RTP/SAVPF", port);
	for (i = 0; i < n; i++)
		err |= mbuf_printf(mb, " %s", audio_fmts[fv[i]].pt);
	err |= mbuf_write_str(mb, "\r\n");
	err |= print_transport(mb, tp, port, true, "actpass", false);
	err |= mbuf_printf(mb, "a=mid:0\r\n"
			   "a=extmap:1 urn:ietf:params:rtp-hdrext:"
			   "ssrc-audio-level\r\n"
			   "a=%s\r\n"
			   "a=msid:%s %s-a\r\n"
			   "a=rtcp-mux\r\n",
			   dir, ids->stream, ids->stream);
	for (i = 0; i < n; i++) {
		err |= mbuf_printf(mb, "a=rtpmap:%s %s\r\n",
				   audio_fmts[fv[i]].pt,
				   audio_fmts[fv[i]].rtpmap);
		if (audio_fmts[fv[i]].fmtp)
			err |= mbuf_printf(mb, "a=rtcp-fb:%s transport-cc\r\n"
					   "a=fmtp:%s %s\r\n",
					   audio_fmts[fv[i]].pt,
					   audio_fmts[fv[i]].pt,
					   audio_fmts[fv[i]].fmtp);
	}
	err |= mbuf_printf(mb, "a=ssrc:%u cname:%s\r\n"
			   "a=ssrc:%u msid:%s %s-a\r\n",
			   ssrc, ids->cname, ssrc, ids->stream, ids->stream);

	return err;
}


static int print_video(struct mbuf *mb, const struct transport *tp,
		       const struct ids *ids, uint16_t port, const char *dir)
{
	const uint32_t ssrc = rand_u32(), rtx = rand_u32();
	int err;

	err  = mbuf_printf(mb, "m=video %u UDP/TLS/RTP/SAVPF 96 97\r\n", port);
	err |= print_transport(mb, tp, port, true, "actpass", false);
	err |= mbuf_printf(mb, "a=mid:1\r\n"
			   "a=extmap:2 urn:ietf:params:rtp-hdrext:toffset\r\n"
			   "a=%s\r\n"
			   "a=msid:%s %s-v\r\n"
			   "a=rtcp-mux\r\n"
			   "a=rtcp-rsize\r\n"
			   "a=rtpmap:96 VP8/90000\r\n"
			   "a=rtcp-fb:96 goog-remb\r\n"
			   "a=rtcp-fb:96 transport-cc\r\n"
			   "a=rtcp-fb:96 ccm fir\r\n"
			   "a=rtcp-fb:96 nack\r\n"
			   "a=rtcp-fb:96 nack pli\r\n"
			   "a=rtpmap:97 rtx/90000\r\n"
			   "a=fmtp:97 apt=96\r\n"
			   "a=ssrc-group:FID %u %u\r\n"
			   "a=ssrc:%u cname:%s\r\n"
			   "a=ssrc:%u cname:%s\r\n",
			   dir, ids->stream, ids->stream, ssrc, rtx, ssrc,
			   ids->cname, rtx, ids->cname);

	return err;
}


/* A data channel (RFC 8841 5.1, RFC 8832): SCTP over the DTLS of the
 * bundle, as Chromium offers it */
static int print_data(struct mbuf *mb, const struct transport *tp,
		      uint16_t port, const char *mid)
{
	int err;

	err  = mbuf_printf(mb, "m=application %u UDP/DTLS/SCTP "
			   "webrtc-datachannel\r\n", port);
	err |= print_transport(mb, tp, port, false, "actpass", false);
	err |= mbuf_printf(mb, "a=mid:%s\r\n"
			   "a=sctp-port:5000\r\n"
			   "a=max-message-size:262144\r\n", mid);

	return err;
}


/* An offer as Chromium writes one once ICE gathering is done: the
 * host candidate is on siptap's own loopback address. */
int webrtc_offer(char **sdpp, const struct sa *laddr,
		 const struct webrtc_opts *opts)
{
	const uint16_t port = opts && opts->port ? opts->port : DEFAULT_PORT;
	const bool video = opts && opts->video;
	const bool data = opts && opts->data_channel;
	const char *dir = dir_names[dir_bits(opts ? opts->direction : NULL)];
	struct transport tp;
	struct ids ids;
	struct mbuf *mb;
	int err;

	if (!sdpp || !laddr)
		return EINVAL;

	err = transport_make(&tp, laddr);
	if (err)
		return err;
	ice_str(ids.stream, sizeof(ids.stream) - 1);
	ice_str(ids.cname, sizeof(ids.cname) - 1);
	/* an msid is a token: no '/' or '+' (RFC 8830 2) */
	for (char *p = ids.stream; *p; p++) {
		if (*p == '+' || *p == '/')
			*p = '-';
	}

	mb = mbuf_alloc(2048);
	if (!mb)
		return ENOMEM;

	err  = print_head(mb, &tp);
	err |= mbuf_printf(mb, "a=group:BUNDLE 0%s%s\r\n"
			   "a=extmap-allow-mixed\r\n"
			   "a=msid-semantic: WMS %s\r\n",
			   video ? " 1" : "", data ? (video ? " 2" : " 1") : "",
			   ids.stream);
	err |= print_audio(mb, &tp, &ids, port, dir, opts);
	if (video)
		err |= print_video(mb, &tp, &ids, port + 2, dir);
	if (data)
		err |= print_data(mb, &tp, port + (video ? 4 : 2),
				  video ? "2" : "1");

	return finish(sdpp, mb, err);
}


/* --- reading an offer -------------------------------------------------- */

struct offered {
	struct pl type, port, proto, fmts;   /* the m= line's fields */
	struct pl body;                      /* its attribute lines  */
	struct pl mid;
	struct pl setup;
	bool rtcp_mux;
	bool bundle_only;                    /* port 0: if bundled   */
	int dir;                             /* -1: none of its own  */
};

struct offer {
	struct offered m[MAX_MEDIA];
	size_t n;
	int dir;                             /* the session's        */
	struct pl bundle;                    /* a=group:BUNDLE mids  */
};


static bool starts(const struct pl *line, const char *prefix)
{
	const size_t n = strlen(prefix);

	return line->l >= n && !memcmp(line->p, prefix, n);
}


static int pl_dir(const struct pl *val)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dir_names); i++) {
		if (!pl_strcmp(val, dir_names[i]))
			return (int)i;
	}

	return -1;
}


static void offer_attr(struct offer *o, struct offered *m,
		       const struct pl *line)
{
	struct pl name, val = PL_INIT;
	int d;

	if (re_regex(line->p, line->l, "a=[^:]+[:]*[^]*", &name, NULL, &val))
		return;

	d = pl_dir(&name);
	if (d >= 0) {
		if (m)
			m->dir = d;
		else
			o->dir = d;
	}
	else if (!m && !pl_strcmp(&name, "group") &&
		 !re_regex(val.p, val.l, "BUNDLE[ ]*[^]*", NULL, &val)) {
		o->bundle = val;
	}
	else if (m && !pl_strcmp(&name, "mid"))
		m->mid = val;
	else if (m && !pl_strcmp(&name, "setup"))
		m->setup = val;
	else if (m && !pl_strcmp(&name, "rtcp-mux"))
		m->rtcp_mux = true;
	else if (m && !pl_strcmp(&name, "bundle-only"))
		m->bundle_only = true;
}


/* The offer's sections and what the answer mirrors of them. More than
 * MAX_MEDIA sections is E2BIG, no answer: one that left some out would
 * not mirror the offer (S-OA-1), and no browser offers that many. */
static int offer_read(struct offer *o, const char *sdp)
{
	struct offered *m = NULL;
	const char *p = sdp;
	struct pl line;

	memset(o, 0, sizeof(*o));
	o->dir = DIR_SEND | DIR_RECV;

	while (*p) {
		const size_t n = strcspn(p, "\n");

		line.p = p;
		line.l = n && p[n - 1] == '\r' ? n - 1 : n;
		p += p[n] ? n + 1 : n;

		if (starts(&line, "m=")) {
			if (o->n >= MAX_MEDIA)
				return E2BIG;
			m = &o->m[o->n++];
			m->dir = -1;
			if (re_regex(line.p, line.l, "m=[^ ]+ [^ ]+ [^ ]+ [^]+",
				     &m->type, &m->port, &m->proto, &m->fmts))
				return EBADMSG;
			m->body.p = p;
		}
		else if (starts(&line, "a=")) {
			offer_attr(o, m, &line);
		}
		if (m)
			m->body.l = (size_t)(p - m->body.p);
	}

	return o->n ? 0 : EBADMSG;
}


/* The value of "a=<name>:<pt> <value>" in a section, e.g. the rtpmap
 * or fmtp of one payload type. */
static bool fmt_attr(const struct offered *m, const char *name,
		     const struct pl *pt, struct pl *val)
{
	const char *p = m->body.p, *end = m->body.p + m->body.l;
	struct pl n, t;

	while (p < end) {
		const size_t len = strcspn(p, "\n");
		const size_t l = len && p[len - 1] == '\r' ? len - 1 : len;

		if (!re_regex(p, l, "a=[^:]+:[0-9]+ [^]+", &n, &t, val) &&
		    !pl_strcmp(&n, name) && !pl_cmp(&t, pt))
			return true;
		p += len + 1;
	}

	return false;
}


/* The encoding name of a payload type: its rtpmap, else RFC 3551's */
static void fmt_name(const struct offered *m, const struct pl *pt,
		     struct pl *name)
{
	struct pl val, rest;

	if (fmt_attr(m, "rtpmap", pt, &val) &&
	    !re_regex(val.p, val.l, "[^/]+/[^]*", name, &rest))
		return;

	pl_set_str(name, !pl_strcmp(pt, "0") ? "PCMU" :
		   !pl_strcmp(pt, "8") ? "PCMA" :
		   !pl_strcmp(pt, "9") ? "G722" : "");
}


static bool codec_taken(const struct webrtc_opts *opts, const struct pl *name)
{
	const char *const *namev = default_codecs;
	size_t namec = ARRAY_SIZE(default_codecs), i;

	if (opts && opts->codecc) {
		namev = opts->codecv;
		namec = opts->codecc;
	}
	for (i = 0; i < namec; i++) {
		if (!pl_strcasecmp(name, namev[i]))
			return true;
	}

	return false;
}


/* The formats of an offered section the answer takes, in the offer's
 * order (RFC 3264 6.1): audio codecs siptap knows, VP8 and the rtx of
 * a VP8 taken. Returns how many, none if only telephone-event. */
static size_t formats(const struct offered *m, const struct webrtc_opts *opts,
		      struct pl *ptv)
{
	const bool audio = !pl_strcasecmp(&m->type, "audio");
	struct pl rest = m->fmts, pt, name, val, apt;
	size_t n = 0, media = 0, i;

	while (n < MAX_FMTS &&
	       !re_regex(rest.p, rest.l, "[0-9]+[ ]*", &pt, NULL)) {
		pl_advance(&rest, (size_t)(pt.p - rest.p) + pt.l);
		fmt_name(m, &pt, &name);
		if (audio && codec_taken(opts, &name)) {
			ptv[n++] = pt;
			media += pl_strcasecmp(&name, "telephone-event") != 0;
		}
		else if (!audio && !pl_strcasecmp(&name, "VP8")) {
			ptv[n++] = pt;
			++media;
		}
		else if (!audio && !pl_strcasecmp(&name, "rtx") &&
			 fmt_attr(m, "fmtp", &pt, &val) &&
			 !re_regex(val.p, val.l, "apt=[0-9]+", &apt)) {
			for (i = 0; i < n; i++) {
				if (!pl_cmp(&ptv[i], &apt)) {
					ptv[n++] = pt;
					break;
				}
			}
		}
	}

	return media ? n : 0;
}


/* --- the answer -------------------------------------------------------- */

static bool in_list(const struct pl *list, const struct pl *word)
{
	struct pl rest = *list, w;

	while (!re_regex(rest.p, rest.l, "[^ ]+", &w)) {
		if (!pl_cmp(&w, word))
			return true;
		pl_advance(&rest, (size_t)(w.p - rest.p) + w.l);
	}

	return false;
}


/* RFC 5763 5: the offerer said actpass (or nothing), the answerer takes
 * the active role as browsers do; it takes the other role otherwise. */
static const char *answer_setup(const struct offered *m,
				const struct webrtc_opts *opts)
{
	if (opts && opts->actpass_answer)
		return "actpass";

	return !pl_strcmp(&m->setup, "active") ? "passive" : "active";
}


/* The payload types' rtpmap, fmtp and rtcp-fb lines, as offered */
static int print_formats(struct mbuf *mb, const struct offered *m,
			 const struct pl *ptv, size_t n)
{
	const char *p, *end = m->body.p + m->body.l;
	struct pl name, pt, val;
	size_t i;
	int err = 0;

	for (i = 0; i < n; i++) {
		for (p = m->body.p; p < end; p += strcspn(p, "\n") + 1) {
			const size_t len = strcspn(p, "\r\n");

			if (re_regex(p, len, "a=[^:]+:[0-9]+ [^]+", &name, &pt,
				     &val) || pl_cmp(&pt, &ptv[i]) ||
			    (pl_strcmp(&name, "rtpmap") &&
			     pl_strcmp(&name, "fmtp") &&
			     pl_strcmp(&name, "rtcp-fb")))
				continue;
			err |= mbuf_printf(mb, "a=%r:%r %r\r\n", &name, &pt,
					   &val);
		}
	}

	return err;
}


struct answer {
	const struct offer *o;
	const struct webrtc_opts *opts;
	const struct transport *tp;
	struct pl taken[MAX_MEDIA];     /* mids of the bundled sections */
	size_t takenc;
	char cname[17];
};


/* A section the answer does not take: port 0, the first offered format
 * with its a=rtpmap (RFC 8866 wants one for a dynamic payload type,
 * port 0 or not), and its mid so that the offerer can tell which it is
 * (RFC 8829 5.3.1). */
static int print_rejected(struct mbuf *mb, const struct answer *a,
			  const struct offered *m)
{
	struct pl first = m->fmts;
	int err;

	first.l = strcspn(first.p, " \r\n");
	if (first.l > m->fmts.l)
		first.l = m->fmts.l;

	err = mbuf_printf(mb, "m=%r 0 %r %r\r\nc=IN %s %j\r\n", &m->type,
			  &m->proto, &first, a->tp->addrtype, &a->tp->addr);
	if (pl_isset(&m->mid))
		err |= mbuf_printf(mb, "a=mid:%r\r\n", &m->mid);

	return err | print_formats(mb, m, &first, 1);
}


static int print_section(struct mbuf *mb, struct answer *a, size_t i)
{
	const struct offered *m = &a->o->m[i];
	const int offered = m->dir >= 0 ? m->dir : a->o->dir;
	const int want = dir_bits(a->opts ? a->opts->direction : NULL);
	const bool bundled = pl_isset(&m->mid) && pl_isset(&a->o->bundle) &&
		in_list(&a->o->bundle, &m->mid);
	uint16_t port = a->opts && a->opts->port ? a->opts->port
		: DEFAULT_PORT;
	struct pl ptv[MAX_FMTS];
	size_t n, j;
	int dir, err;

	/* RFC 8843 6: a=bundle-only with port 0 is a stream offered for
	 * the BUNDLE transport only; taken, it stays so (7.3.1) */
	const bool only = bundled && m->bundle_only && !pl_u32(&m->port);

	n = pl_u32(&m->port) || only ? formats(m, a->opts, ptv) : 0;
	/* SIP.js's constraints: a medium not asked for is declined */
	if (a->opts && ((a->opts->no_audio && !pl_strcasecmp(&m->type, "audio"))
			|| (a->opts->no_video &&
			    !pl_strcasecmp(&m->type, "video"))))
		n = 0;
	if (!n || pl_strcasecmp(&m->proto, "UDP/TLS/RTP/SAVPF"))
		return print_rejected(mb, a, m);

	/* RFC 3264 6.1: send only what the offerer receives, and so on */
	dir = ((want & DIR_SEND) && (offered & DIR_RECV) ? DIR_SEND : 0) |
	      ((want & DIR_RECV) && (offered & DIR_SEND) ? DIR_RECV : 0);
	/* bundled sections share one transport (RFC 8843 7.3.1) */
	if (!bundled)
		port += (uint16_t)(2 * i);
	else if (a->takenc < MAX_MEDIA)
		a->taken[a->takenc++] = m->mid;

	err = mbuf_printf(mb, "m=%r %u %r", &m->type, only ? 0 : port,
			  &m->proto);
	for (j = 0; j < n; j++)
		err |= mbuf_printf(mb, " %r", &ptv[j]);
	err |= mbuf_write_str(mb, "\r\n");
	if (only)
		err |= mbuf_printf(mb, "c=IN %s %j\r\na=bundle-only\r\n",
				   a->tp->addrtype, &a->tp->addr);
	else
		err |= print_transport(mb, a->tp, port, true,
				       answer_setup(m, a->opts),
				       a->opts && a->opts->no_fingerprint);
	if (pl_isset(&m->mid))
		err |= mbuf_printf(mb, "a=mid:%r\r\n", &m->mid);
	err |= mbuf_printf(mb, "a=%s\r\n", dir_names[dir]);
	if (m->rtcp_mux)
		err |= mbuf_write_str(mb, "a=rtcp-mux\r\n");
	err |= print_formats(mb, m, ptv, n);
	if (dir & DIR_SEND)
		err |= mbuf_printf(mb, "a=ssrc:%u cname:%s\r\n", rand_u32(),
				   a->cname);

	return err;
}


/* The sections first (which are taken decides the BUNDLE group), then
 * the head with the group in front of them. */
int webrtc_answer(char **sdpp, const struct sa *laddr,
		  const struct webrtc_opts *opts, const char *offer)
{
	struct transport tp;
	struct answer a;
	struct offer *o;
	struct mbuf *mb = NULL, *media = NULL;
	size_t i;
	int err;

	if (!sdpp || !laddr || !offer)
		return EINVAL;

	o = mem_zalloc(sizeof(*o), NULL);
	if (!o)
		return ENOMEM;
	err = offer_read(o, offer);
	if (!err)
		err = transport_make(&tp, laddr);
	if (err)
		goto out;

	memset(&a, 0, sizeof(a));
	a.o = o;
	a.opts = opts;
	a.tp = &tp;
	ice_str(a.cname, sizeof(a.cname) - 1);

	mb = mbuf_alloc(1024);
	media = mbuf_alloc(2048);
	if (!mb || !media) {
		err = ENOMEM;
		goto out;
	}
	for (i = 0; i < o->n && !err; i++)
		err = print_section(media, &a, i);

	err |= print_head(mb, &tp);
	if (a.takenc || (opts && opts->foreign_mid)) {
		err |= mbuf_write_str(mb, "a=group:BUNDLE");
		for (i = 0; i < a.takenc; i++)
			err |= mbuf_printf(mb, " %r", &a.taken[i]);
		/* the fault: a mid no offered section has */
		if (opts && opts->foreign_mid)
			err |= mbuf_write_str(mb, " siptap-x");
		err |= mbuf_write_str(mb, "\r\n");
	}
	err |= mbuf_write_str(mb, "a=msid-semantic: WMS\r\n");
	err |= mbuf_write_mem(mb, media->buf, media->end);
	err = finish(sdpp, mb, err);
	mb = NULL;

 out:
	mem_deref(mb);
	mem_deref(media);
	mem_deref(o);

	return err;
}


/* sdp with fresh ICE credentials (offerOptions.iceRestart, RFC 8839
 * 4.4.1.1.1: a new ufrag and pwd restart ICE): every a=ice-ufrag and
 * a=ice-pwd line gets the same new pair, as one bundled transport has
 * one. An SDP without them (RTP/AVP) comes back the same. */
int webrtc_ice_restart(char **sdpp, const char *sdp)
{
	char ufrag[UFRAG_LEN + 1], pwd[PWD_LEN + 1];
	struct mbuf *mb;
	const char *p;
	int err = 0;

	if (!sdpp || !sdp)
		return EINVAL;
	mb = mbuf_alloc(strlen(sdp) + 64);
	if (!mb)
		return ENOMEM;

	ice_str(ufrag, UFRAG_LEN);
	ice_str(pwd, PWD_LEN);
	for (p = sdp; *p && !err; ) {
		size_t n = strcspn(p, "\n");
		const size_t eol = n && p[n - 1] == '\r' ? n - 1 : n;

		if (!strncmp(p, "a=ice-ufrag:", 12))
			err = mbuf_printf(mb, "a=ice-ufrag:%s\r\n", ufrag);
		else if (!strncmp(p, "a=ice-pwd:", 10))
			err = mbuf_printf(mb, "a=ice-pwd:%s\r\n", pwd);
		else
			err = mbuf_printf(mb, "%b\r\n", p, eol);
		p += p[n] ? n + 1 : n;
	}
	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, sdpp, mbuf_get_left(mb));
	}
	mem_deref(mb);

	return err;
}


/* The WebRTC profile (RFC 8829 5.1.2): a UDP/TLS/RTP/SAVPF section,
 * ICE credentials and a DTLS fingerprint. */
bool webrtc_is_offer(const char *sdp)
{
	const char *m = sdp;
	bool savpf = false;

	if (!sdp)
		return false;

	/* an SDP opens with v=: every m= line follows a line end */
	while (!savpf && (m = strstr(m, "\nm=")) != NULL) {
		struct pl type, port, proto;

		++m;
		savpf = !re_regex(m, strcspn(m, "\r\n"), "m=[^ ]+ [^ ]+ [^ ]+",
				  &type, &port, &proto) &&
			!pl_strcasecmp(&proto, "UDP/TLS/RTP/SAVPF");
	}

	return savpf && strstr(sdp, "\na=ice-ufrag:") &&
		strstr(sdp, "\na=fingerprint:");
}
