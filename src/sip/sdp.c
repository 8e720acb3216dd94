/**
 * @file sdp.c  Session descriptions the reference UAS and the UAC produce
 */
#include <string.h>
#include <re.h>
#include "sdp.h"


struct codec {
	const char *name;
	const char *pt;
	uint32_t srate;
	uint8_t ch;
	const char *fmtp;
};

/* The static ones keep their RFC 3551 numbers; the dynamic ones use the
 * numbers most softphones pick, so captures look familiar. */
static const struct codec codecs[] = {
	{"PCMU",            "0",   8000,  1, NULL},
	{"PCMA",            "8",   8000,  1, NULL},
	{"G722",            "9",   8000,  1, NULL},
	{"opus",            "111", 48000, 2, "minptime=10;useinbandfec=1"},
	{"telephone-event", "101", 8000,  1, "0-16"},
};

static const char *default_codecs[] = {"PCMU", "PCMA", "telephone-event"};

static const char *directions[] = {
	"inactive", "recvonly", "sendonly", "sendrecv"  /* enum sdp_dir */
};


static const struct codec *codec_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++) {
		if (!str_casecmp(codecs[i].name, name))
			return &codecs[i];
	}

	return NULL;
}


bool sdpgen_codec_known(const char *name)
{
	return name && codec_find(name) != NULL;
}


bool sdpgen_direction_known(const char *dir)
{
	size_t i;

	for (i = 0; dir && i < ARRAY_SIZE(directions); i++) {
		if (!strcmp(directions[i], dir))
			return true;
	}

	return false;
}


static enum sdp_dir direction(const char *dir)
{
	size_t i;

	for (i = 0; dir && i < ARRAY_SIZE(directions); i++) {
		if (!strcmp(directions[i], dir))
			return (enum sdp_dir)i;
	}

	return SDP_SENDRECV;
}


/* SIP.js's hold: what it would receive it no longer does (sendrecv
 * becomes sendonly, recvonly inactive); an answer then mirrors the
 * offer through it (libre ANDs), as SIP.js's answer does. */
static enum sdp_dir local_dir(const struct sdpgen_opts *opts)
{
	enum sdp_dir d = direction(opts ? opts->direction : NULL);

	if (opts && opts->hold)
		d = (enum sdp_dir)(d & SDP_SENDONLY);

	return d;
}


static int audio_add(struct sdp_session *sess, uint16_t port,
		     const struct sdpgen_opts *opts, bool wanted)
{
	const char *const *namev = default_codecs;
	size_t namec = ARRAY_SIZE(default_codecs);
	struct sdp_media *m;
	size_t i;
	int err;

	if (opts && opts->codecc) {
		namev = opts->codecv;
		namec = opts->codecc;
	}

	err = sdp_media_add(&m, sess, "audio", port, "RTP/AVP");
	if (err)
		return err;

	for (i = 0; i < namec; i++) {
		const struct codec *c = codec_find(namev[i]);

		if (!c)
			return EINVAL;
		err = sdp_format_add(NULL, m, false, c->pt, c->name, c->srate,
				     c->ch, NULL, NULL, NULL, false, c->fmtp);
		if (err)
			return err;
	}

	sdp_media_set_ldir(m, local_dir(opts));
	sdp_media_set_disabled(m, !wanted);

	return 0;
}


/* constraints.video: VP8 and H264 at the numbers browsers pick */
static int video_add(struct sdp_session *sess, uint16_t port,
		     const struct sdpgen_opts *opts, bool wanted)
{
	struct sdp_media *m;
	int err;

	err = sdp_media_add(&m, sess, "video", port, "RTP/AVP");
	if (err)
		return err;

	err  = sdp_format_add(NULL, m, false, "96", "VP8", 90000, 1, NULL,
			      NULL, NULL, false, NULL);
	err |= sdp_format_add(NULL, m, false, "97", "H264", 90000, 1, NULL,
			      NULL, NULL, false, "packetization-mode=1");
	if (err)
		return err;

	sdp_media_set_ldir(m, local_dir(opts));
	sdp_media_set_disabled(m, !wanted);

	return 0;
}


/* The streams the options ask for, on laddr: audio unless constraints
 * leave it out, video when they ask for it. An answer has both, the
 * unwanted one disabled, so that an offered stream the constraints
 * decline is answered with port 0 (RFC 3264 6). */
static int session_make(struct sdp_session **sessp, const struct sa *laddr,
			const struct sdpgen_opts *opts, bool answer)
{
	const bool c = opts && opts->constrained;
	const bool audio = !c || opts->audio;
	const bool video = c && opts->video;
	struct sdp_session *sess = NULL;
	struct sa maddr = *laddr;
	int err = 0;

	sa_set_port(&maddr, opts && opts->port ? opts->port : 49170);

	err = sdp_session_alloc(&sess, &maddr);
	if (err)
		return err;

	if (audio || answer)
		err = audio_add(sess, sa_port(&maddr), opts, audio);
	if (!err && (video || answer))
		err = video_add(sess, sa_port(&maddr) > 65533 ?
				sa_port(&maddr) - 2 : sa_port(&maddr) + 2,
				opts, video);

	if (err)
		mem_deref(sess);
	else
		*sessp = sess;

	return err;
}


static int encode(char **sdpp, struct sdp_session *sess, bool offer)
{
	struct mbuf *mb = NULL;
	int err;

	err = sdp_encode(&mb, sess, offer);
	if (err)
		return err;

	mb->pos = 0;
	err = mbuf_strdup(mb, sdpp, mbuf_get_left(mb));
	mem_deref(mb);

	return err;
}


/* --- made once a shape --------------------------------------------------
 * libre makes an SDP from a session it fills and prints with its printf:
 * some 20 thousand instructions an offer and 38 thousand an answer (it
 * decodes the offer first), in every call of siptap load. For the same
 * inputs it prints the same bytes, but for the o= line's session id and
 * version, drawn at random for each session (sdp_session_alloc). So the
 * last few made without options (or with options that choose nothing)
 * are kept by what they were made from: the local address (its port is
 * not in the SDP) and, for an answer, the offer without the values of
 * its o= lines, which libre's decoder passes over. One kept is given out
 * again with a fresh id and version, drawn as libre draws them. Not
 * kept: one too big for a slot, or whose o= line origin() cannot read. */
enum { SHAPE_SLOTS = 4, SHAPE_MAX = 1024 };

struct shape {
	struct sa laddr;
	size_t keylen;           /* the offer, its o= values left out   */
	char key[SHAPE_MAX];
	size_t len;              /* the SDP made                         */
	size_t num, num_end;     /* "<id> <version>" of its o= line      */
	char sdp[SHAPE_MAX];
};

static struct shape shapes[2][SHAPE_SLOTS];   /* [answer?][slot] */
static unsigned shapes_used[2], shapes_next[2];

static int origin(const char *sdp, struct pl *line, struct pl *user,
		  struct pl *id, struct pl *ver, struct pl *rest);


/* The offer as libre's decoder reads it: a line starts the offer or
 * follows CR or LF, and an o= line's value runs to the next CR or LF.
 * Returns the key's length, or 0 when it does not fit. */
static size_t shape_key(char key[SHAPE_MAX], const char *offer, size_t len)
{
	bool start = true;
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		const char c = offer[i];

		if (n >= SHAPE_MAX)
			return 0;
		key[n++] = c;
		if (start && c == 'o' && i + 1 < len && offer[i + 1] == '=') {
			if (n >= SHAPE_MAX)
				return 0;
			key[n++] = '=';
			for (i += 2; i < len && offer[i] != '\r' &&
				     offer[i] != '\n'; i++)
				;
			--i;   /* the line's end is the next round's */
			start = false;
			continue;
		}
		start = c == '\r' || c == '\n';
	}

	return n;
}


static const struct shape *shape_find(bool answer, const struct sa *laddr,
				      const char *key, size_t keylen)
{
	unsigned i;

	for (i = 0; i < shapes_used[answer]; i++) {
		const struct shape *sh = &shapes[answer][i];

		if (sa_cmp(&sh->laddr, laddr, SA_ADDR) &&
		    sh->keylen == keylen && !memcmp(sh->key, key, keylen))
			return sh;
	}

	return NULL;
}


/* sdp as made from laddr (and key), kept when its o= line is read */
static void shape_keep(bool answer, const struct sa *laddr, const char *key,
		       size_t keylen, const char *sdp)
{
	const size_t len = strlen(sdp);
	struct pl line, user, id, ver, rest;
	struct shape *sh;

	if (len >= SHAPE_MAX || origin(sdp, &line, &user, &id, &ver, &rest))
		return;

	sh = &shapes[answer][shapes_next[answer]];
	shapes_next[answer] = (shapes_next[answer] + 1) % SHAPE_SLOTS;
	if (shapes_used[answer] < SHAPE_SLOTS)
		++shapes_used[answer];
	sh->laddr = *laddr;
	sh->keylen = keylen;
	memcpy(sh->key, key, keylen);
	sh->len = len;
	sh->num = (size_t)(id.p - sdp);
	sh->num_end = (size_t)(ver.p + ver.l - sdp);
	memcpy(sh->sdp, sdp, len);
}


static int shape_give(char **sdpp, const struct shape *sh)
{
	const uint32_t id = rand_u32();
	const uint32_t ver = rand_u32() & 0x7fffffff;
	char nums[32];
	size_t n;
	char *p;
	int m;

	m = re_snprintf(nums, sizeof(nums), "%u %u", id, ver);
	if (m <= 0)
		return ENOMEM;
	n = sh->num + (size_t)m + (sh->len - sh->num_end);
	p = mem_alloc(n + 1, NULL);
	if (!p)
		return ENOMEM;
	memcpy(p, sh->sdp, sh->num);
	memcpy(p + sh->num, nums, (size_t)m);
	memcpy(p + sh->num + m, sh->sdp + sh->num_end, sh->len - sh->num_end);
	p[n] = '\0';
	*sdpp = p;

	return 0;
}


/* Options that choose nothing make what no options make: a scenario
 * without sessionDescriptionHandlerOptions, or with empty ones (most
 * calls). A field added to struct sdpgen_opts must be added here. */
static bool opts_plain(const struct sdpgen_opts *o)
{
	return !o || (!o->codecc && !o->direction && !o->port &&
		      !o->constrained && !o->hold && !o->ice_restart &&
		      !o->data_channel);
}


static int offer_make(char **sdpp, const struct sa *laddr,
		      const struct sdpgen_opts *opts)
{
	struct sdp_session *sess = NULL;
	int err;

	err = session_make(&sess, laddr, opts, false);
	if (err)
		return err;

	err = encode(sdpp, sess, true);
	mem_deref(sess);

	return err;
}


int sdpgen_offer(char **sdpp, const struct sa *laddr,
		 const struct sdpgen_opts *opts)
{
	const struct shape *sh;
	int err;

	if (!sdpp || !laddr)
		return EINVAL;

	/* SIP.js would offer no stream at all: no SDP offer has none */
	if (opts && opts->constrained && !opts->audio && !opts->video)
		return EINVAL;

	if (!opts_plain(opts))
		return offer_make(sdpp, laddr, opts);

	sh = shape_find(false, laddr, "", 0);
	if (sh)
		return shape_give(sdpp, sh);

	err = offer_make(sdpp, laddr, opts);
	if (!err)
		shape_keep(false, laddr, "", 0, *sdpp);

	return err;
}


/* libre answers with the formats both sides have, in the offer's order
 * and with its payload type numbers (RFC 3264 6.1); with none in common
 * the stream is rejected (port 0), which is no error here. */
static int answer_make(char **sdpp, const struct sa *laddr,
		       const struct sdpgen_opts *opts, const char *offer,
		       size_t offer_len)
{
	struct sdp_session *sess = NULL;
	struct mbuf *mb = NULL;
	int err;

	err = session_make(&sess, laddr, opts, true);
	if (err)
		return err;

	mb = mbuf_alloc(offer_len + 1);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}
	err = mbuf_write_mem(mb, (const uint8_t *)offer, offer_len);
	if (err)
		goto out;
	mb->pos = 0;

	err = sdp_decode(sess, mb, true);
	if (err)
		goto out;

	err = encode(sdpp, sess, false);

 out:
	mem_deref(mb);
	mem_deref(sess);

	return err;
}


int sdpgen_answer(char **sdpp, const struct sa *laddr,
		  const struct sdpgen_opts *opts, const char *offer,
		  size_t offer_len)
{
	const struct shape *sh;
	char key[SHAPE_MAX];
	size_t keylen;
	int err;

	if (!sdpp || !laddr || !offer)
		return EINVAL;

	keylen = opts_plain(opts) ? shape_key(key, offer, offer_len) : 0;
	if (!keylen)
		return answer_make(sdpp, laddr, opts, offer, offer_len);

	sh = shape_find(true, laddr, key, keylen);
	if (sh)
		return shape_give(sdpp, sh);

	err = answer_make(sdpp, laddr, opts, offer, offer_len);
	if (!err)
		shape_keep(true, laddr, key, keylen, *sdpp);

	return err;
}


/* --- the o= line across one dialog (S-VER-1) --------------------------- */

/* The o= line of sdp (never its first line): where it is, and its
 * username, sess-id, version and the rest (nettype addrtype address). */
static int origin(const char *sdp, struct pl *line, struct pl *user,
		  struct pl *id, struct pl *ver, struct pl *rest)
{
	const char *o = strstr(sdp, "\no=");

	if (!o)
		return EBADMSG;

	line->p = o + 1;
	line->l = strcspn(line->p, "\r\n");

	if (re_regex(line->p, line->l, "o=[^ ]+ [0-9]+ [0-9]+ [^\r\n]+",
		     user, id, ver, rest))
		return EBADMSG;

	return 0;
}


/* sdp with the o= line of prev, its version raised by bump (RFC 3264
 * 8: one more for a changed SDP, the same for a repeated one). The
 * sess-id goes up by one with new_id: only the sdp-origin-changes
 * fault wants that. */
int sdpgen_follow(char **sdpp, const char *sdp, const char *prev,
		  unsigned bump, bool new_id)
{
	struct pl line, user, id, ver, rest, skip;
	int err;

	if (!sdpp || !sdp || !prev)
		return EINVAL;

	err = origin(prev, &line, &user, &id, &ver, &rest);
	if (err)
		return err;
	err = origin(sdp, &line, &skip, &skip, &skip, &skip);
	if (err)
		return err;

	return re_sdprintf(sdpp, "%b"
			   "o=%r %llu %llu %r%s",
			   sdp, (size_t)(line.p - sdp), &user,
			   (unsigned long long)(pl_u64(&id) + (new_id ? 1 : 0)),
			   (unsigned long long)(pl_u64(&ver) + bump), &rest,
			   line.p + line.l);
}


/* --- fault switches: answers that break S-FMT-1, S-OA-1, S-OA-2 ------- */

enum { MAX_MEDIA = 16 };

/* The walk over an SDP's lines that a fault rewrites. */
struct brk {
	enum sdpgen_break what;
	int media;                      /* the m= section, -1: session  */
	bool done;                      /* the one change is made       */
	bool pending;                   /* a line to add at section end */
	enum sdp_dir session;           /* the offer's session level    */
	enum sdp_dir offered[MAX_MEDIA];
	size_t offeredc;
};

/* line is NULL at the end of the SDP. */
typedef int (line_h)(struct mbuf *mb, const struct pl *line, void *arg);


static int walk(struct mbuf *mb, const char *sdp, line_h *fn, void *arg)
{
	const char *p = sdp;
	struct pl line;
	int err = 0;

	while (*p && !err) {
		const size_t n = strcspn(p, "\n");

		line.p = p;
		line.l = n && p[n - 1] == '\r' ? n - 1 : n;
		err = fn(mb, &line, arg);
		p += p[n] ? n + 1 : n;
	}

	return err ? err : fn(mb, NULL, arg);
}


/* sdp line by line through fn, into a new string at sdpp */
static int rewrite(char **sdpp, const char *sdp, line_h *fn, void *arg)
{
	struct mbuf *mb = mbuf_alloc(strlen(sdp) + 256);
	int err;

	if (!mb)
		return ENOMEM;

	err = walk(mb, sdp, fn, arg);
	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, sdpp, mbuf_get_left(mb));
	}
	mem_deref(mb);

	return err;
}


static bool starts(const struct pl *line, const char *prefix)
{
	const size_t n = strlen(prefix);

	return line && line->l >= n && !memcmp(line->p, prefix, n);
}


static enum sdp_dir pl_direction(const struct pl *line, bool *found)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(directions); i++) {
		if (line->l == strlen(directions[i]) + 2 && starts(line, "a=")
		    && !memcmp(line->p + 2, directions[i], line->l - 2)) {
			*found = true;
			return (enum sdp_dir)i;
		}
	}

	*found = false;
	return SDP_SENDRECV;
}


/* The offer's direction of each stream: its own, else the session's
 * (a session-level one comes before every m= line). */
static int offered_dirs(struct mbuf *mb, const struct pl *line, void *arg)
{
	struct brk *b = arg;
	enum sdp_dir d;
	bool found;

	(void)mb;
	if (!line)
		return 0;
	if (starts(line, "m=")) {
		b->media = (int)b->offeredc;
		if (b->offeredc < MAX_MEDIA)
			b->offered[b->offeredc++] = b->session;
		return 0;
	}
	d = pl_direction(line, &found);
	if (!found)
		return 0;
	if (b->media < 0)
		b->session = d;
	else if (b->media < MAX_MEDIA)
		b->offered[b->media] = d;

	return 0;
}


static int put(struct mbuf *mb, const struct pl *line)
{
	return mbuf_printf(mb, "%r\r\n", line);
}


/* The direction the answer's current stream takes with
 * SDPGEN_DIRECTION_SAME: the offered one, where that is one-way. */
static bool same_dir(const struct brk *b, enum sdp_dir *dp)
{
	if (b->media < 0 || (size_t)b->media >= b->offeredc)
		return false;
	*dp = b->offered[b->media];

	return *dp == SDP_SENDONLY || *dp == SDP_RECVONLY;
}


/* What a fault adds at the end of a media section (line: the next m=
 * line, or NULL at the end of the SDP). */
static int section_end(struct mbuf *mb, struct brk *b, const struct pl *line)
{
	enum sdp_dir d;
	int err = 0;

	if (b->pending && b->what == SDPGEN_FOREIGN_CODEC)
		err = mbuf_write_str(mb, "a=rtpmap:18 G729/8000\r\n");
	else if (b->pending && same_dir(b, &d))
		err = mbuf_printf(mb, "a=%s\r\n", directions[d]);
	b->pending = false;
	if (!line && b->what == SDPGEN_EXTRA_MLINE)
		err |= mbuf_write_str(mb, "m=video 49172 RTP/AVP 31\r\n"
				      "a=rtpmap:31 H261/90000\r\n");

	return err;
}


static int break_line(struct mbuf *mb, const struct pl *line, void *arg)
{
	struct brk *b = arg;
	struct pl media, port, rest;
	enum sdp_dir d;
	bool found;
	int err;

	if (!line || starts(line, "m=")) {
		err = section_end(mb, b, line);
		if (err || !line)
			return err;
		++b->media;
		b->pending = b->what == SDPGEN_DIRECTION_SAME &&
			same_dir(b, &d);
	}

	switch (b->what) {

	case SDPGEN_NO_C_LINE:
		return starts(line, "c=") ? 0 : put(mb, line);

	case SDPGEN_BAD_PORT:
		if (b->done || !starts(line, "m=") ||
		    re_regex(line->p, line->l, "m=[^ ]+ [^ ]+ [^\r\n]+",
			     &media, &port, &rest))
			return put(mb, line);
		b->done = true;
		/* a template variable nobody filled in */
		return mbuf_printf(mb, "m=%r $port %r\r\n", &media, &rest);

	case SDPGEN_FOREIGN_CODEC:
		if (b->done || !starts(line, "m=") ||
		    re_regex(line->p, line->l, "m=[^ ]+ [0-9]+ ", &media,
			     &port) || !pl_strcmp(&port, "0"))
			return put(mb, line);
		b->done = b->pending = true;
		return mbuf_printf(mb, "%r 18\r\n", line);

	case SDPGEN_DIRECTION_SAME:
		pl_direction(line, &found);
		if (!found || !same_dir(b, &d))
			return put(mb, line);
		b->pending = false;
		return mbuf_printf(mb, "a=%s\r\n", directions[d]);

	default:
		return put(mb, line);
	}
}


/* The answer sdp broken as a fault switch wants (what), for the
 * offer it answers. A fault that finds nothing to break (no one-way
 * stream offered for SDPGEN_DIRECTION_SAME, no accepted stream for
 * SDPGEN_FOREIGN_CODEC) leaves the SDP as it is. */
int sdpgen_break(char **sdpp, const char *sdp, enum sdpgen_break what,
		 const char *offer)
{
	struct brk b;

	if (!sdpp || !sdp)
		return EINVAL;

	memset(&b, 0, sizeof(b));
	b.media = -1;
	b.session = SDP_SENDRECV;
	if (offer)
		(void)walk(NULL, offer, offered_dirs, &b);
	b.media = -1;
	b.what = what;

	return rewrite(sdpp, sdp, break_line, &b);
}


/* --- an answer built from a modified offer, fitted to the real one --- */

/* The m= lines of an offer: what a rejected stream repeats of each */
struct mline {
	struct pl media, proto, fmt;
	struct pl rtpmap;      /* its first format's, if the offer has it */
};

struct fit {
	struct mline offered[MAX_MEDIA];
	size_t offeredc;
	size_t next;           /* the next offered stream to answer    */
	bool keep;             /* the answer's current section is kept */
};


static int offer_mlines(struct mbuf *mb, const struct pl *line, void *arg)
{
	struct fit *f = arg;
	struct mline *m;
	struct pl port;

	(void)mb;
	if (line && f->offeredc && starts(line, "a=rtpmap:")) {
		m = &f->offered[f->offeredc - 1];
		if (line->l > 9 + m->fmt.l &&
		    !memcmp(line->p + 9, m->fmt.p, m->fmt.l) &&
		    line->p[9 + m->fmt.l] == ' ')
			m->rtpmap = *line;
		return 0;
	}
	if (!line || !starts(line, "m=") || f->offeredc >= MAX_MEDIA)
		return 0;
	m = &f->offered[f->offeredc];
	pl_set_str(&m->rtpmap, "");
	if (re_regex(line->p, line->l, "m=[^ ]+ [^ ]+ [^ ]+ [^ ]+",
		     &m->media, &port, &m->proto, &m->fmt))
		return EBADMSG;
	++f->offeredc;

	return 0;
}


/* The offered streams the answer's sections skipped, rejected (port 0
 * with the offer's proto and first format, its rtpmap for S-FMT-1,
 * RFC 3264 6), up to the one
 * named media; all the rest with media NULL. */
static int reject_upto(struct mbuf *mb, struct fit *f, const struct pl *media)
{
	int err = 0;

	while (f->next < f->offeredc && !err) {
		const struct mline *m = &f->offered[f->next];

		if (media && !pl_cmp(&m->media, media))
			return 0;
		err = mbuf_printf(mb, "m=%r 0 %r %r\r\n", &m->media,
				  &m->proto, &m->fmt);
		if (!err && pl_isset(&m->rtpmap))
			err = put(mb, &m->rtpmap);
		++f->next;
	}

	return err;
}


static int fit_line(struct mbuf *mb, const struct pl *line, void *arg)
{
	struct fit *f = arg;
	struct pl media;

	if (!line)
		return reject_upto(mb, f, NULL);
	if (!starts(line, "m=")) {
		if (!f->keep)
			return 0;
		return put(mb, line);
	}
	if (re_regex(line->p, line->l, "m=[^ ]+ ", &media))
		return EBADMSG;
	if (reject_upto(mb, f, &media))
		return ENOMEM;
	f->keep = f->next < f->offeredc;
	if (!f->keep)
		return 0;
	++f->next;

	return put(mb, line);
}


/* The answer made from an offer a modifier changed, with one m= line
 * for each of the offer that went on the wire, in its order (RFC 3264
 * 6, S-OA-1): a stream the modifier took out is rejected with port 0,
 * one it added is left out. An answer that fits already is the same
 * bytes. */
int sdpgen_align(char **sdpp, const char *answer, const char *offer)
{
	struct fit f;
	int err;

	if (!sdpp || !answer || !offer)
		return EINVAL;

	memset(&f, 0, sizeof(f));
	err = walk(NULL, offer, offer_mlines, &f);
	if (err)
		return err;
	f.keep = true;          /* the session level */

	return rewrite(sdpp, answer, fit_line, &f);
}


/* SIP.js's direction for a new offer (its session description handler's
 * updateDirection() in the stable state): on hold, what sent goes on
 * sending only and what did not send goes inactive; off hold, what sent
 * sends and receives, and the rest receives. */
static enum sdp_dir hold_dir(enum sdp_dir d, bool hold)
{
	const bool sends = d == SDP_SENDRECV || d == SDP_SENDONLY;

	if (hold)
		return sends ? SDP_SENDONLY : SDP_INACTIVE;

	return sends ? SDP_SENDRECV : SDP_RECVONLY;
}


struct holdw {
	bool hold;
	enum sdp_dir session;   /* the session level's, else sendrecv */
	bool media;             /* in an m= section                   */
	bool active;            /* its port is not 0                  */
	bool has_dir;           /* it has its own direction line      */
};


static int hold_line(struct mbuf *mb, const struct pl *line, void *arg)
{
	struct holdw *h = arg;
	struct pl port;
	enum sdp_dir d;
	bool found;

	if (!line || starts(line, "m=")) {
		/* the section before gets the session's direction, mapped */
		if (h->media && h->active && !h->has_dir &&
		    mbuf_printf(mb, "a=%s\r\n",
				directions[hold_dir(h->session, h->hold)]))
			return ENOMEM;
		if (!line)
			return 0;
		h->media = true;
		h->has_dir = false;
		h->active = !re_regex(line->p, line->l, "m=[^ ]+ [0-9]+",
				      NULL, &port) && pl_u32(&port) != 0;
		return put(mb, line);
	}
	d = pl_direction(line, &found);
	if (!found)
		return put(mb, line);
	if (!h->media) {
		h->session = d;         /* each section gets its own */
		return 0;
	}
	h->has_dir = true;
	if (!h->active)
		return put(mb, line);

	return mbuf_printf(mb, "a=%s\r\n", directions[hold_dir(d, h->hold)]);
}


/* sdp as SIP.js offers it again with sessionDescriptionHandlerOptions
 * .hold (true) or without it (false): each m= section that is not
 * rejected gets its own direction line, hold_dir() of the one it had
 * (its own, else the session's, else sendrecv). */
int sdpgen_hold(char **sdpp, const char *sdp, bool hold)
{
	struct holdw h;

	if (!sdpp || !sdp)
		return EINVAL;

	memset(&h, 0, sizeof(h));
	h.hold = hold;
	h.session = SDP_SENDRECV;

	return rewrite(sdpp, sdp, hold_line, &h);
}


/* Does an answer take nothing of its offer (every m= port 0, or no m=
 * line at all)? Then the offer is refused instead (RFC 3264 6: 488). */
bool sdpgen_rejected(const char *sdp)
{
	const char *p = sdp;
	struct pl port;

	while (p && (p = strstr(p, "\nm=")) != NULL) {
		p += 3;
		if (!re_regex(p, strcspn(p, "\r\n"), "[^ ]+ [0-9]+", NULL,
			      &port) && pl_u32(&port) != 0)
			return false;
	}

	return true;
}


/* sdp with each port that is not 0 moved up by two: a change of the
 * session a new offer can make (RFC 3264 8: then its o= version goes
 * up). */
int sdpgen_moved(char **sdpp, const char *sdp)
{
	struct mbuf *mb;
	const char *p = sdp, *m;
	struct pl media, port;
	int err = 0;

	if (!sdpp || !sdp)
		return EINVAL;

	mb = mbuf_alloc(strlen(sdp) + 16);
	if (!mb)
		return ENOMEM;

	while (!err && (m = strstr(p, "\nm=")) != NULL) {
		m += 3;
		if (re_regex(m, strcspn(m, "\r\n"), "[^ ]+ [0-9]+", &media,
			     &port) || !pl_u32(&port)) {
			err = mbuf_write_mem(mb, (const uint8_t *)p,
					     (size_t)(m - p));
			p = m;
			continue;
		}
		err  = mbuf_write_mem(mb, (const uint8_t *)p,
				      (size_t)(port.p - p));
		err |= mbuf_printf(mb, "%u", pl_u32(&port) + 2);
		p = port.p + port.l;
	}
	if (!err)
		err = mbuf_write_str(mb, p);
	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, sdpp, mb->end);
	}
	mem_deref(mb);

	return err;
}


/* The lines of sdp from its o= line's end on (the whole sdp without
 * it: nothing comes before o= but v=) */
static const char *after_origin(const char *sdp)
{
	const char *o = strstr(sdp, "\no=");

	return o ? o + 1 + strcspn(o + 1, "\n") : sdp;
}


/* Do a and b describe the same session, their o= lines aside? Then a
 * repeat keeps the version (RFC 3264 8, S-VER-1). */
bool sdpgen_same(const char *a, const char *b)
{
	return a && b && !strcmp(after_origin(a), after_origin(b));
}


/* A response to msg through a server transaction: the header lines in
 * head (CRLF each; may be empty), then the SDP as its body, or none.
 * What the reference UAS and the UAC answer in a dialog. mbp, if not
 * NULL: the response's bytes, to send again (a re-INVITE's 2xx). */
int sdpgen_treply(struct sip *sip, const struct sip_msg *msg,
		  uint16_t scode, const char *reason, struct mbuf *head,
		  const char *sdp, struct mbuf **mbp)
{
	int err;

	if (!sip || !msg || !head)
		return EINVAL;

	if (sdp)
		err = mbuf_printf(head, "Content-Type: application/sdp\r\n"
				  "Content-Length: %zu\r\n\r\n%s",
				  strlen(sdp), sdp);
	else
		err = mbuf_printf(head, "Content-Length: 0\r\n\r\n");
	if (err)
		return err;

	return sip_treplyf(NULL, mbp, sip, msg, false, scode, reason, "%b",
			   head->buf, head->end);
}
